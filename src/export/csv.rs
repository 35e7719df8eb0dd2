//! The CSV files: `summary.csv`, `causes.csv`, `pools.csv` and `comparison.csv`.

use std::fmt::Write as _;

use super::{ExportError, Exporter, csv_field, decimal, optional};
use crate::results::Results;
use crate::stats::SCORE_SERVICE;

/// The header of `summary.csv`: the columns of the product's contract, then the evidence
/// each row rests on (docs/output.md, "Evidence and intervals").
pub const SUMMARY_HEADER: &str = "layout,service,scope,replications,availability,ci95_low,ci95_high,nines,downtime_min_per_year,downtime_p50,downtime_p95,downtime_p99,outages_per_year,mean_outage_min,replications_with_downtime,interval,replications_needed,downtime_p95_supported,downtime_p99_supported";
/// The columns `summary.csv` gains with an `[objective]`, filled on rows of service `score`.
pub const SCORE_COLUMNS: &str = "score_user_min_per_year,score_ci95_low,score_ci95_high,score_rank";
/// The header of `causes.csv`.
pub const CAUSES_HEADER: &str = "layout,service,scope,cause,downtime_min_per_year";
/// The header of `pools.csv`.
pub const POOLS_HEADER: &str =
    "layout,edge_pool,capacity,peak_load_p50,peak_load_p95,peak_load_max,overload_min_per_year";
/// The header of `comparison.csv`: the contract's columns, then the evidence and the
/// verdict (docs/output.md, "Verdicts").
pub const COMPARISON_HEADER: &str = "layout,baseline,service,scope,delta_downtime_min_per_year,ci95_low,ci95_high,replications,replications_differing,interval,replications_needed,material_threshold,verdict,delta_outages_per_year,outages_ci95_low,outages_ci95_high,outages_verdict";

/// `header` with an `assumption` column after `layout` when the study has assumptions.
pub(super) fn with_assumption_column(header: &str, assumptions: bool) -> String {
    if assumptions {
        header.replacen("layout,", "layout,assumption,", 1)
    } else {
        header.to_string()
    }
}

/// The layout's field, and its assumption's when the study has assumptions.
pub(super) fn layout_fields(layout: &str, assumption: Option<&str>, assumptions: bool) -> String {
    if assumptions {
        format!(
            "{},{}",
            csv_field(layout),
            csv_field(assumption.unwrap_or_default())
        )
    } else {
        csv_field(layout)
    }
}

/// `summary.csv`: availability, interval, nines and downtime per layout, service, scope.
pub struct SummaryCsv;

impl Exporter for SummaryCsv {
    fn file_name(&self) -> String {
        "summary.csv".to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        // With an [objective], four columns carry each layout's score on rows of service
        // `score`; without one the file is exactly as before.
        let scored = results.study.objective.is_some();
        let assumptions = results.study.has_assumptions();
        let header = with_assumption_column(SUMMARY_HEADER, assumptions);
        let mut out = if scored {
            format!("{header},{SCORE_COLUMNS}\n")
        } else {
            format!("{header}\n")
        };
        for (index, row) in results.summary.iter().enumerate() {
            let (low, high) = split(row.ci95);
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                layout_fields(&row.layout, row.assumption.as_deref(), assumptions),
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
                row.with_downtime,
                row.interval.kind(),
                whole_or_empty(row.replications_needed),
                row.downtime_p95_supported,
                row.downtime_p99_supported,
            );
            out.push_str(if scored { ",,,,\n" } else { "\n" });
            // Each layout's score follows its last service row.
            let last_of_layout = results
                .summary
                .get(index + 1)
                .is_none_or(|next| next.layout != row.layout || next.assumption != row.assumption);
            if last_of_layout
                && let Some(score) = results
                    .scores
                    .iter()
                    .find(|s| s.layout == row.layout && s.assumption == row.assumption)
            {
                let (low, high) = split(score.ci95);
                let _ = writeln!(
                    out,
                    "{},{SCORE_SERVICE},all,{},,,,,,,,,,,{},{},{},,,{},{},{},{}",
                    layout_fields(&score.layout, score.assumption.as_deref(), assumptions),
                    score.replications,
                    score.with_loss,
                    score.interval.kind(),
                    whole_or_empty(score.replications_needed),
                    decimal(score.score_user_min_per_year, 6),
                    optional(low, 6),
                    optional(high, 6),
                    score.rank
                );
            }
        }
        Ok(Some(out.into_bytes()))
    }
}

/// The two ends of an optional interval.
fn split(interval: Option<(f64, f64)>) -> (Option<f64>, Option<f64>) {
    interval.map_or((None, None), |(low, high)| (Some(low), Some(high)))
}

/// The columns of a change against the baseline, from `delta_downtime_min_per_year` to
/// `verdict` (or their equivalents in the score's unit).
struct Change {
    delta: f64,
    ci95: Option<(f64, f64)>,
    replications: u64,
    differing: u64,
    interval: &'static str,
    needed: Option<u64>,
    threshold: f64,
    verdict: &'static str,
}

/// The CSV fields of a change, joined.
fn change_columns(change: &Change) -> String {
    let (low, high) = split(change.ci95);
    format!(
        "{},{},{},{},{},{},{},{},{}",
        decimal(change.delta, 6),
        optional(low, 6),
        optional(high, 6),
        change.replications,
        change.differing,
        change.interval,
        whole_or_empty(change.needed),
        decimal(change.threshold, 6),
        change.verdict,
    )
}

/// A count, or an empty field.
fn whole_or_empty(value: Option<u64>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

/// `causes.csv`: downtime by cause.
pub struct CausesCsv;

impl Exporter for CausesCsv {
    fn file_name(&self) -> String {
        "causes.csv".to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        let assumptions = results.study.has_assumptions();
        let mut out = format!("{}\n", with_assumption_column(CAUSES_HEADER, assumptions));
        for row in &results.causes {
            let _ = writeln!(
                out,
                "{},{},{},{},{}",
                layout_fields(&row.layout, row.assumption.as_deref(), assumptions),
                row.service,
                csv_field(&row.scope),
                row.cause,
                decimal(row.downtime_min_per_year, 6)
            );
        }
        Ok(Some(out.into_bytes()))
    }
}

/// `pools.csv`: Edge pool capacity, peak loads and overload.
pub struct PoolsCsv;

impl Exporter for PoolsCsv {
    fn file_name(&self) -> String {
        "pools.csv".to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        let assumptions = results.study.has_assumptions();
        let mut out = format!("{}\n", with_assumption_column(POOLS_HEADER, assumptions));
        for row in &results.pools {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{}",
                layout_fields(&row.layout, row.assumption.as_deref(), assumptions),
                csv_field(&row.edge_pool),
                row.capacity,
                row.peak_load_p50,
                row.peak_load_p95,
                row.peak_load_max,
                decimal(row.overload_min_per_year, 6)
            );
        }
        Ok(Some(out.into_bytes()))
    }
}

/// `comparison.csv`: paired differences against the baseline (two layouts or more).
pub struct ComparisonCsv;

impl Exporter for ComparisonCsv {
    fn file_name(&self) -> String {
        "comparison.csv".to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        // Two layouts or more (cells of one layout under several assumptions are not
        // compared with each other).
        if results.comparison.is_empty()
            && results.scores.iter().all(|s| s.delta_vs_baseline.is_none())
        {
            return Ok(None);
        }
        let assumptions = results.study.has_assumptions();
        let mut out = format!(
            "{}\n",
            with_assumption_column(COMPARISON_HEADER, assumptions)
        );
        for row in &results.comparison {
            let (outages_low, outages_high) = split(row.outages_ci95);
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{}",
                layout_fields(&row.layout, row.assumption.as_deref(), assumptions),
                csv_field(&row.baseline),
                row.service,
                csv_field(&row.scope),
                change_columns(&Change {
                    delta: row.delta_downtime_min_per_year,
                    ci95: row.ci95,
                    replications: row.replications,
                    differing: row.differing,
                    interval: row.interval.kind(),
                    needed: row.replications_needed,
                    threshold: row.material_min_per_year,
                    verdict: row.verdict.name(),
                }),
                decimal(row.delta_outages_per_year, 6),
                optional(outages_low, 6),
                optional(outages_high, 6),
                row.outages_verdict.name(),
            );
        }
        for score in &results.scores {
            let Some(delta) = score.delta_vs_baseline else {
                continue;
            };
            let study = &results.study;
            let index = study
                .layouts
                .iter()
                .position(|l| l.layout == score.layout && l.assumption == score.assumption)
                .unwrap_or(0);
            let baseline = &study.layouts[study.baseline_of(index)].layout;
            let _ = writeln!(
                out,
                "{},{},{SCORE_SERVICE},all,{},,,,",
                layout_fields(&score.layout, score.assumption.as_deref(), assumptions),
                csv_field(baseline),
                change_columns(&Change {
                    delta: delta.user_min_per_year,
                    ci95: delta.ci95,
                    replications: score.replications,
                    differing: delta.differing,
                    interval: delta.interval.kind(),
                    needed: delta.replications_needed,
                    threshold: delta.material_user_min_per_year,
                    verdict: delta.verdict.name(),
                }),
            );
        }
        Ok(Some(out.into_bytes()))
    }
}
