//! The files of SPEC §4 and the terminal table: one writer per format, all reading the
//! same [`Study`]. Numbers are plain decimals with a dot and a fixed number of places, so
//! equal accumulators always give byte-identical files.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::model::ReplicationResult;
use crate::montecarlo::Shard;
use crate::output::{Staging, WriteError};
use crate::stats::{ComparisonRow, Study, SummaryRow, UNAVAILABILITY_SCALE};
use crate::time::{MICROS_PER_MINUTE, SimDuration};
use crate::topology::Scenario;

/// The header of `summary.csv`.
pub const SUMMARY_HEADER: &str = "layout,service,scope,replications,availability,ci95_low,ci95_high,nines,downtime_min_per_year,downtime_p50,downtime_p95,downtime_p99,outages_per_year,mean_outage_min";
/// The header of `runs.csv`.
pub const RUNS_HEADER: &str = "layout,replication,service,scope,availability,downtime_min,outages";
/// The header of `causes.csv`.
pub const CAUSES_HEADER: &str = "layout,service,scope,cause,downtime_min_per_year";
/// The header of `pools.csv`.
pub const POOLS_HEADER: &str =
    "layout,edge_pool,capacity,peak_load_p50,peak_load_p95,peak_load_max,overload_min_per_year";
/// The header of `comparison.csv`.
pub const COMPARISON_HEADER: &str =
    "layout,baseline,service,scope,delta_downtime_min_per_year,ci95_low,ci95_high";
/// The name of a shard's part file.
pub const PART_FILE: &str = "part.json";

/// The versions of the crates that make the random numbers (kept equal to Cargo.lock by a
/// test), reported in `summary.json` so a result can be reproduced.
pub const RANDOM_CRATES: [(&str, &str); 2] = [("rand_chacha", "0.10.0"), ("libm", "0.2.16")];

/// What was run: reported in `summary.json` and checked by `merge`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as given.
    pub scenario_file: String,
    /// The seed.
    pub seed: u64,
    /// Replications of the whole run (all shards).
    pub replications: u64,
    /// The horizon, in the scenario syntax.
    pub horizon: String,
    /// The horizon in microseconds.
    pub horizon_micros: u64,
    /// The layouts run, baseline first.
    pub layouts: Vec<String>,
    /// edgesim's version.
    pub edgesim_version: String,
    /// The random-number crates and their versions.
    pub random_crates: BTreeMap<String, String>,
    /// A hash of the scenario text, the flags that change results, and edgesim's version.
    pub fingerprint: String,
}

impl RunInfo {
    /// Describes a run of `scenario` (already with command-line overrides) from the file
    /// `scenario_file` whose text is `source`.
    pub fn new(scenario: &Scenario, scenario_file: &str, source: &str) -> Self {
        let simulation = &scenario.simulation;
        let layouts: Vec<String> = scenario
            .layouts
            .iter()
            .map(|t| t.layout_name.clone())
            .collect();
        let version = env!("CARGO_PKG_VERSION").to_string();
        let fingerprint_text = format!(
            "{version}\n{}\n{}\n{}\n{}\n{source}",
            simulation.replications,
            simulation.horizon.as_micros(),
            simulation.seed,
            layouts.join("\n"),
        );
        RunInfo {
            scenario: scenario.name.clone(),
            scenario_file: scenario_file.to_string(),
            seed: simulation.seed,
            replications: simulation.replications,
            horizon: simulation.horizon.to_string(),
            horizon_micros: simulation.horizon.as_micros(),
            layouts,
            edgesim_version: version,
            random_crates: RANDOM_CRATES
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            fingerprint: format!("{:016x}", crate::topology::stream_key_of(&fingerprint_text)),
        }
    }
}

/// A shard's exact accumulators, written as `part.json` for `merge`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// What was run.
    pub info: RunInfo,
    /// Which shard.
    pub shard: Shard,
    /// Whether the shard wrote `runs.csv`.
    pub has_runs: bool,
    /// The accumulators.
    pub study: Study,
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

fn decimal(value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    // "-0.000" reads as a loss; zero has no sign.
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

fn optional(value: Option<f64>, places: usize) -> String {
    value.map_or_else(String::new, |v| decimal(v, places))
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

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

/// `summary.csv`.
pub fn summary_csv(rows: &[SummaryRow]) -> String {
    let mut out = format!("{SUMMARY_HEADER}\n");
    for row in rows {
        let (low, high) = row.ci95.map_or((None, None), |(l, h)| (Some(l), Some(h)));
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&row.layout),
            row.service,
            csv_field(&row.scope),
            row.replications,
            decimal(row.availability, 15),
            optional(low, 15),
            optional(high, 15),
            optional(row.nines, 6),
            decimal(row.downtime_min_per_year, 6),
            decimal(row.downtime_p50, 6),
            decimal(row.downtime_p95, 6),
            decimal(row.downtime_p99, 6),
            decimal(row.outages_per_year, 6),
            optional(row.mean_outage_min, 6),
        );
    }
    out
}

/// `causes.csv`.
pub fn causes_csv(study: &Study) -> String {
    let mut out = format!("{CAUSES_HEADER}\n");
    for row in study.causes() {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            csv_field(&row.layout),
            row.service,
            csv_field(&row.scope),
            row.cause,
            decimal(row.downtime_min_per_year, 6)
        );
    }
    out
}

/// `pools.csv`.
pub fn pools_csv(study: &Study) -> String {
    let mut out = format!("{POOLS_HEADER}\n");
    for row in study.pools() {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            csv_field(&row.layout),
            csv_field(&row.edge_pool),
            row.capacity,
            row.peak_load_p50,
            row.peak_load_p95,
            row.peak_load_max,
            decimal(row.overload_min_per_year, 6)
        );
    }
    out
}

/// `comparison.csv`.
pub fn comparison_csv(rows: &[ComparisonRow]) -> String {
    let mut out = format!("{COMPARISON_HEADER}\n");
    for row in rows {
        let (low, high) = row.ci95.map_or((None, None), |(l, h)| (Some(l), Some(h)));
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            csv_field(&row.layout),
            csv_field(&row.baseline),
            row.service,
            csv_field(&row.scope),
            decimal(row.delta_downtime_min_per_year, 6),
            optional(low, 6),
            optional(high, 6)
        );
    }
    out
}

/// `summary.json`: everything but the runs, with what was run.
pub fn summary_json(info: &RunInfo, study: &Study) -> String {
    #[derive(Serialize)]
    struct Document<'a> {
        run: &'a RunInfo,
        summary: Vec<SummaryRow>,
        causes: Vec<crate::stats::CauseRow>,
        pools: Vec<crate::stats::PoolRow>,
        comparison: Vec<ComparisonRow>,
    }
    let document = Document {
        run: info,
        summary: study.summary(),
        causes: study.causes(),
        pools: study.pools(),
        comparison: study.comparison(),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("plain data serialises");
    text.push('\n');
    text
}

/// Stages every result file but `runs.csv` (streamed separately) in `staging`.
pub fn stage_results(
    staging: &mut Staging,
    info: &RunInfo,
    study: &Study,
) -> Result<(), WriteError> {
    let summary = study.summary();
    staging.write("summary.csv", summary_csv(&summary).as_bytes())?;
    staging.write("causes.csv", causes_csv(study).as_bytes())?;
    staging.write("pools.csv", pools_csv(study).as_bytes())?;
    if study.layouts.len() > 1 {
        staging.write(
            "comparison.csv",
            comparison_csv(&study.comparison()).as_bytes(),
        )?;
    }
    staging.write("summary.json", summary_json(info, study).as_bytes())?;
    Ok(())
}

/// The table printed at the end of a run: availability, nines and downtime per service
/// and layout (scope `all`), then the paired differences.
pub fn terminal_table(study: &Study) -> String {
    let summary = study.summary();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<22} {:<20} {:>17} {:>6} {:>12} {:>25}",
        "layout", "service", "availability", "nines", "min/year", "95% CI of availability"
    );
    for row in summary.iter().filter(|r| r.scope == "all") {
        let interval = match row.ci95 {
            Some((low, _)) if row.no_downtime_seen => format!("≥ {low:.6} (none seen)"),
            Some((low, high)) => format!("[{low:.9}, {high:.9}]"),
            None => "—".to_string(),
        };
        let _ = writeln!(
            out,
            "{:<22} {:<20} {:>17.12} {:>6} {:>12.3} {:>25}",
            row.layout,
            row.service,
            row.availability,
            row.nines.map_or("—".to_string(), |n| format!("{n:.2}")),
            row.downtime_min_per_year,
            interval
        );
    }
    let comparison = study.comparison();
    if let Some(first) = comparison.first() {
        let _ = writeln!(
            out,
            "\nPaired differences against {} (minutes of downtime per year; negative is better):",
            first.baseline
        );
        for row in comparison.iter().filter(|r| r.scope == "all") {
            let interval = row.ci95.map_or("—".to_string(), |(low, high)| {
                format!("[{low:+.3}, {high:+.3}]")
            });
            let _ = writeln!(
                out,
                "{:<22} {:<20} {:>+12.3} {:>25}",
                row.layout, row.service, row.delta_downtime_min_per_year, interval
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for (name, version) in RANDOM_CRATES {
            let entry = format!("name = \"{name}\"\nversion = \"{version}\"");
            assert!(lock.contains(&entry), "Cargo.lock has no {name} {version}");
        }
    }
}
