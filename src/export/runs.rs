//! `runs.csv`: one row per replication, layout, service and scope, streamed in
//! replication order during a run, and interleaved from shard folders by `merge`.

use std::io::BufRead as _;
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
        writeln!(out, "{RUNS_HEADER}")?;
        let horizon: SimDuration = scenario.simulation.horizon;
        Ok(RunsWriter {
            out,
            horizon_minutes: horizon.as_micros() as f64 / MICROS_PER_MINUTE as f64,
            names: Study::new(scenario),
        })
    }

    /// Writes one replication's rows: each layout, service and scope.
    pub fn write(
        &mut self,
        replication: u64,
        results: &[ReplicationResult],
    ) -> std::io::Result<()> {
        let study = &self.names;
        for (layout, result) in study.layouts.iter().zip(results) {
            for ((service, figures), accumulator) in
                study.figures(result).into_iter().zip(&layout.services)
            {
                for figure in figures {
                    let scope = &accumulator.scopes[figure.scope_index].scope;
                    let downtime =
                        figure.unavailability as f64 / UNAVAILABILITY_SCALE * self.horizon_minutes;
                    writeln!(
                        self.out,
                        "{},{replication},{},{},{},{},{}",
                        csv_field(&layout.layout),
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

/// The rows one replication has in `runs.csv`: every scope of every service of every
/// layout.
pub fn rows_per_replication(study: &Study) -> usize {
    study
        .layouts
        .iter()
        .flat_map(|l| &l.services)
        .map(|s| s.scopes.len())
        .sum()
}

/// Writes the `runs.csv` of a whole run from the `runs.csv` of its `count` shard folders
/// (`shard_files[k]` holds the replications congruent to k modulo `count`), in
/// replication order.
pub fn interleave(
    shard_files: &[PathBuf],
    replications: u64,
    rows_per_replication: usize,
    out: &mut impl std::io::Write,
) -> Result<(), String> {
    let count = shard_files.len() as u64;
    let mut readers = Vec::new();
    for path in shard_files {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut lines = std::io::BufReader::new(file).lines();
        lines.next();
        readers.push((path, lines));
    }
    let io = |e: std::io::Error| format!("cannot write runs.csv: {e}");
    writeln!(out, "{RUNS_HEADER}").map_err(io)?;
    for replication in 0..replications {
        let (path, lines) = &mut readers[(replication % count) as usize];
        for _ in 0..rows_per_replication {
            let line = lines
                .next()
                .ok_or_else(|| format!("{} ends early", path.display()))?
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            writeln!(out, "{line}").map_err(io)?;
        }
    }
    out.flush().map_err(io)
}
