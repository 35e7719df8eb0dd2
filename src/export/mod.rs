//! Every output of a study is an exporter of its [`Results`]: one type per file format
//! behind the [`Exporter`] trait (`summary.csv`, `causes.csv`, `pools.csv`,
//! `comparison.csv`, `matrix.csv` and `robust.csv` with assumptions, `summary.json`, the part file, each chart as SVG and PNG, and
//! `report.html`), plus the terminal table and `runs.csv`, which is streamed during the
//! run. Numbers are plain decimals with a dot and a fixed number of places, so equal
//! accumulators always give byte-identical files.

pub mod charts;
pub mod csv;
pub mod diff;
pub mod explore;
pub mod json;
pub mod part;
pub mod report;
pub mod robust;
pub mod runs;
pub mod sweep;
pub mod sweep_report;
pub mod table;
pub mod trace;

use crate::output::{Staging, WriteError};
use crate::results::Results;
use crate::stats::UNAVAILABILITY_SCALE;

pub use self::csv::{
    CAUSES_HEADER, COMPARISON_HEADER, POOLS_HEADER, SCORE_COLUMNS, SUMMARY_HEADER,
};
pub use self::part::PART_FILE;
pub use self::runs::RUNS_HEADER;

/// An output that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A chart could not be drawn.
    #[error("cannot draw {file}: {message}")]
    Chart {
        /// The chart's file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// A text file could not be made.
    #[error("cannot write {file}: {message}")]
    Text {
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// A file could not be staged.
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<ExportError> for crate::study::Failure {
    fn from(error: ExportError) -> Self {
        crate::study::Failure::Failed(error.to_string())
    }
}

/// One output file made from results: a study's [`Results`] by default, or a sweep's,
/// a comparison of two runs, or one traced replication.
pub trait Exporter<R: ?Sized = Results>: Sync {
    /// The file it writes, in the output folder.
    fn file_name(&self) -> String;
    /// The file's bytes, or `None` when the results have nothing for it (e.g. no
    /// comparison with one layout).
    fn export(&self, results: &R) -> Result<Option<Vec<u8>>, ExportError>;
}

/// One text shown on the terminal, made from results (the table of a run, a sweep or a
/// comparison of runs, the story of a traced replication).
pub trait TerminalExporter<R: ?Sized = Results> {
    /// The text, ending with a line break.
    fn render(&self, results: &R) -> String;
}

/// The files a run writes (all but `runs.csv` and the part file), in the order they are
/// staged; charts and the report only when `charts` is set.
pub fn file_exporters(charts: bool) -> Vec<Box<dyn Exporter>> {
    let mut exporters: Vec<Box<dyn Exporter>> = vec![
        Box::new(self::csv::SummaryCsv),
        Box::new(self::csv::CausesCsv),
        Box::new(self::csv::PoolsCsv),
        Box::new(self::csv::ComparisonCsv),
        Box::new(self::robust::MatrixCsv),
        Box::new(self::robust::RobustCsv),
        Box::new(self::json::SummaryJson),
    ];
    if charts {
        exporters.extend(self::charts::chart_files());
        exporters.push(Box::new(self::report::Report));
    }
    exporters
}

/// Stages every exporter's file in `staging`. Charts are drawn in parallel; the files are
/// staged in exporter order.
pub fn stage<'e, R: Sync + ?Sized>(
    staging: &mut Staging,
    results: &R,
    exporters: &[Box<dyn Exporter<R> + 'e>],
) -> Result<(), ExportError> {
    use rayon::prelude::*;
    let files: Vec<(String, Option<Vec<u8>>)> = exporters
        .par_iter()
        .map(|exporter| Ok((exporter.file_name(), exporter.export(results)?)))
        .collect::<Result<_, ExportError>>()?;
    for (name, bytes) in files {
        if let Some(bytes) = bytes {
            staging.write(&name, &bytes)?;
        }
    }
    Ok(())
}

/// An availability in units of 10⁻¹⁵ unavailability, printed exactly.
pub fn exact_availability(unavailability: u64) -> String {
    let scale = UNAVAILABILITY_SCALE as u64;
    if unavailability >= scale {
        "0.000000000000000".to_string()
    } else if unavailability == 0 {
        "1.000000000000000".to_string()
    } else {
        format!("0.{:015}", scale - unavailability)
    }
}

/// `value` with `places` decimals; zero has no sign ("-0.000" reads as a loss).
pub fn decimal(value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_string()
    } else {
        text
    }
}

/// [`decimal`], or an empty field for `None`.
pub fn optional(value: Option<f64>, places: usize) -> String {
    value.map_or_else(String::new, |v| decimal(v, places))
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_edgesim_writes_is_one_it_may_replace() {
        let mut names: Vec<String> = file_exporters(true).iter().map(|e| e.file_name()).collect();
        names.extend(sweep::sweep_exporters(true).iter().map(|e| e.file_name()));
        names.push(diff::DiffCsv.file_name());
        names.extend(["runs.csv", "part.json", "trace.csv"].map(String::from));
        names.extend(["timeline.svg", "timeline.png"].map(String::from));
        for name in names {
            assert!(
                crate::output::OUTPUT_FILES.contains(&name.as_str()),
                "{name}"
            );
        }
    }

    #[test]
    fn availability_is_printed_exactly_from_integer_units() {
        assert_eq!(exact_availability(0), "1.000000000000000");
        assert_eq!(exact_availability(1), "0.999999999999999");
        assert_eq!(exact_availability(82_671_957_671_957), "0.917328042328043");
        assert_eq!(
            exact_availability(1_000_000_000_000_000),
            "0.000000000000000"
        );
    }

    #[test]
    fn decimals_have_no_negative_zero_and_fields_are_quoted() {
        assert_eq!(decimal(-0.0000001, 6), "0.000000");
        assert_eq!(decimal(-1.5, 2), "-1.50");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("plain"), "plain");
    }

    #[test]
    fn random_crate_versions_match_the_lock_file() {
        let lock = include_str!("../../Cargo.lock");
        for (name, version) in crate::results::RANDOM_CRATES {
            let entry = format!("name = \"{name}\"\nversion = \"{version}\"");
            assert!(lock.contains(&entry), "Cargo.lock has no {name} {version}");
        }
    }
}
