//! `runs.csv`: one row per replication, layout, service and scope, streamed in
//! replication order during a run, and interleaved from shard folders by `merge`.

use std::path::PathBuf;

use super::{csv_field, decimal, exact_availability};
use crate::model::ReplicationResult;
use crate::stats::{Study, UNAVAILABILITY_SCALE};
use crate::time::{MICROS_PER_MINUTE, SimDuration};
use crate::topology::Scenario;

/// The header of `runs.csv`.
pub const RUNS_HEADER: &str = "layout,replication,service,scope,availability,downtime_min,outages";

/// Streams `runs.csv` rows in replication order.
pub struct RunsWriter<W: std::io::Write> {
    out: W,
    horizon_minutes: f64,
    /// The layouts, services and scopes of the run, in the order rows are written.
    names: Study,
}

impl<W: std::io::Write> RunsWriter<W> {
    /// Starts the file with its header, for runs of `scenario`.
    pub fn new(mut out: W, scenario: &Scenario) -> std::io::Result<Self> {
        let names = Study::new(scenario);
        writeln!(
            out,
            "{}",
            super::csv::with_assumption_column(RUNS_HEADER, names.has_assumptions())
        )?;
        let horizon: SimDuration = scenario.simulation.horizon;
        Ok(RunsWriter {
            out,
            horizon_minutes: horizon.as_micros() as f64 / MICROS_PER_MINUTE as f64,
            names,
        })
    }

    /// Writes one replication's rows: each layout, service and scope.
    pub fn write(
        &mut self,
        replication: u64,
        results: &[ReplicationResult],
    ) -> std::io::Result<()> {
        let study = &self.names;
        let assumptions = study.has_assumptions();
        for (layout, result) in study.layouts.iter().zip(results) {
            let cell = super::csv::layout_fields(
                &layout.layout,
                layout.assumption.as_deref(),
                assumptions,
            );
            for ((service, figures), accumulator) in
                study.figures(result).into_iter().zip(&layout.services)
            {
                for figure in figures {
                    let scope = &accumulator.scopes[figure.scope_index].scope;
                    let downtime =
                        figure.unavailability as f64 / UNAVAILABILITY_SCALE * self.horizon_minutes;
                    writeln!(
                        self.out,
                        "{cell},{replication},{},{},{},{},{}",
                        service.name(),
                        csv_field(scope),
                        exact_availability(figure.unavailability),
                        decimal(downtime, 6),
                        figure.outages
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The longest `runs.csv` row edgesim writes, with room to spare: names of at most 200
/// characters, figures of a few dozen.
pub const MAX_ROW_BYTES: usize = 16 * 1024;

/// A reader that fails on a line longer than [`MAX_ROW_BYTES`], so that a damaged
/// `runs.csv` cannot make the CSV reader buffer one endless record.
struct ShortLines<R> {
    inner: R,
    since_line_break: usize,
}

impl<R> ShortLines<R> {
    fn new(inner: R) -> Self {
        ShortLines {
            inner,
            since_line_break: 0,
        }
    }
}

impl<R: std::io::Read> std::io::Read for ShortLines<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        for &byte in &buffer[..read] {
            self.since_line_break = if byte == b'\n' {
                0
            } else {
                self.since_line_break + 1
            };
            if self.since_line_break > MAX_ROW_BYTES {
                return Err(std::io::Error::other(format!(
                    "a line longer than {MAX_ROW_BYTES} bytes"
                )));
            }
        }
        Ok(read)
    }
}

/// Writes the `runs.csv` of a whole run from the `runs.csv` of its shard folders
/// (`shard_files[k]` holds the replications congruent to k modulo their number), in
/// replication order. Every row is read as CSV (a quoted id may hold a line break) and
/// checked to be the one expected there — its layout, replication, service and scope —
/// with well-formed figures; a shard with missing, extra, swapped or damaged rows is
/// refused.
pub fn interleave(
    shard_files: &[PathBuf],
    replications: u64,
    study: &Study,
    out: &mut impl std::io::Write,
) -> Result<(), String> {
    let keys: Vec<(&str, Option<&str>, &str, &str)> = study
        .layouts
        .iter()
        .flat_map(|layout| {
            layout.services.iter().flat_map(move |service| {
                service.scopes.iter().map(move |scope| {
                    (
                        layout.layout.as_str(),
                        layout.assumption.as_deref(),
                        service.service.name(),
                        scope.scope.as_str(),
                    )
                })
            })
        })
        .collect();
    let header_expected = super::csv::with_assumption_column(RUNS_HEADER, study.has_assumptions());
    // With assumptions, every column after `layout` is one further right.
    let at = usize::from(study.has_assumptions());
    let count = shard_files.len() as u64;
    let mut readers = Vec::new();
    for (index, path) in shard_files.iter().enumerate() {
        // Only a plain file no larger than this shard's rows can take is read (a FIFO, a
        // device or an endless file would block or exhaust memory), and no row may be
        // longer than any edgesim writes.
        let metadata =
            std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let shard = crate::montecarlo::Shard {
            index: index as u64,
            count,
        };
        let most =
            (shard.size(replications) as u128 * keys.len() as u128 + 1) * MAX_ROW_BYTES as u128;
        if !metadata.is_file() || u128::from(metadata.len()) > most {
            return Err(format!(
                "{} is not a runs.csv this shard could have written ({})",
                path.display(),
                if metadata.is_file() {
                    format!("{} bytes", metadata.len())
                } else {
                    "not a plain file".to_string()
                }
            ));
        }
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(ShortLines::new(file));
        let header = reader
            .headers()
            .map_err(|e| format!("{} is not a runs.csv: {e}", path.display()))?
            .iter()
            .collect::<Vec<_>>()
            .join(",");
        if header != header_expected {
            return Err(format!(
                "{} is not a runs.csv (its header is \"{header}\")",
                path.display()
            ));
        }
        readers.push((path, reader.into_records()));
    }
    let io = |e: std::io::Error| format!("cannot write runs.csv: {e}");
    writeln!(out, "{header_expected}").map_err(io)?;
    for replication in 0..replications {
        let (path, records) = &mut readers[(replication % count) as usize];
        for &(layout, assumption, service, scope) in &keys {
            let record = records
                .next()
                .ok_or_else(|| format!("{} ends before replication {replication}", path.display()))?
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let well_formed = record.len() == 7 + at
                && record[4 + at]
                    .parse::<f64>()
                    .is_ok_and(|a| (0.0..=1.0).contains(&a))
                && record[5 + at].parse::<f64>().is_ok_and(|d| d >= 0.0)
                && record[6 + at].parse::<u64>().is_ok();
            let expected = well_formed
                && &record[0] == layout
                && (at == 0 || &record[1] == assumption.unwrap_or_default())
                && record[1 + at] == replication.to_string()
                && &record[2 + at] == service
                && &record[3 + at] == scope;
            if !expected {
                return Err(format!(
                    "{} line {}: expected the row of layout {layout}, replication {replication}, {service}, {scope}; \
                     the shard's runs.csv does not belong to this run or was changed",
                    path.display(),
                    record.position().map_or(0, |p| p.line())
                ));
            }
            writeln!(
                out,
                "{},{replication},{service},{},{},{},{}",
                super::csv::layout_fields(layout, assumption, at == 1),
                csv_field(scope),
                &record[4 + at],
                &record[5 + at],
                &record[6 + at]
            )
            .map_err(io)?;
        }
    }
    for (path, records) in &mut readers {
        if records.next().is_some() {
            return Err(format!(
                "{} has rows beyond its replications",
                path.display()
            ));
        }
    }
    out.flush().map_err(io)
}

/// About how many bytes `runs.csv` takes for `replications` replications of
/// `scenario`, for the warning before a run that would write gigabytes: each row is its
/// layout, assumption (when there are assumptions), service and scope names plus about 36
/// bytes of figures and separators.
pub fn estimated_bytes(scenario: &Scenario, replications: u64) -> u64 {
    let names = Study::new(scenario);
    let digits = u64::from(replications.max(1).ilog10() + 1);
    let per_replication: u64 = names
        .layouts
        .iter()
        .flat_map(|layout| {
            layout.services.iter().flat_map(move |service| {
                service.scopes.iter().map(move |scope| {
                    let assumption = layout.assumption.as_ref().map_or(0, |a| a.len() + 1);
                    (layout.layout.len()
                        + assumption
                        + service.service.name().len()
                        + scope.scope.len()) as u64
                        + 36
                        + digits
                })
            })
        })
        .sum();
    per_replication.saturating_mul(replications)
}
