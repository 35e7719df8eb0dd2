//! `matrix.csv` and `robust.csv` (docs/output.md, "Assumptions"): every layout's loss
//! under every assumption with its regret, and the layouts the robust rules choose, with
//! their paired intervals. Written only when the scenario has `[[assumptions]]`.

use std::fmt::Write as _;

use super::{ExportError, Exporter, csv_field, decimal, optional};
use crate::results::Results;

/// The header of `matrix.csv`.
pub const MATRIX_HEADER: &str = "metric,layout,assumption,replications,value,ci95_low,ci95_high,interval,best_layout,regret,regret_ci95_low,regret_ci95_high,regret_interval";
/// The header of `robust.csv`.
pub const ROBUST_HEADER: &str = "metric,rule,layout,value,ci95_low,ci95_high,interval,deciding_assumption,tied_layouts,runner_up,runner_up_value,runner_up_assumption,delta_vs_runner_up,delta_ci95_low,delta_ci95_high,delta_interval,replications,replications_differing,material_threshold,verdict,depends_on_assumption";

/// The two ends of an interval, or two empty fields.
fn ends(interval: Option<(f64, f64)>) -> String {
    let (low, high) = interval.map_or((None, None), |(l, h)| (Some(l), Some(h)));
    format!("{},{}", optional(low, 6), optional(high, 6))
}

/// `matrix.csv`: per metric (each service for all users, then the score), each layout
/// under each assumption.
pub struct MatrixCsv;

impl Exporter for MatrixCsv {
    fn file_name(&self) -> String {
        "matrix.csv".to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        if results.robust.matrix.is_empty() {
            return Ok(None);
        }
        let mut out = format!("{MATRIX_HEADER}\n");
        for cell in &results.robust.matrix {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                cell.metric,
                csv_field(&cell.layout),
                csv_field(&cell.assumption),
                cell.replications,
                decimal(cell.value, 6),
                ends(cell.ci95),
                cell.interval.kind(),
                csv_field(&cell.best_layout),
                decimal(cell.regret, 6),
                ends(cell.regret_ci95),
                cell.regret_interval.kind(),
            );
        }
        Ok(Some(out.into_bytes()))
    }
}

/// `robust.csv`: per metric, the layout with the best worst case and the one with the
/// least maximum regret.
pub struct RobustCsv;

impl Exporter for RobustCsv {
    fn file_name(&self) -> String {
        "robust.csv".to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        if results.robust.choices.is_empty() {
            return Ok(None);
        }
        let mut out = format!("{ROBUST_HEADER}\n");
        for row in &results.robust.choices {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                row.metric,
                row.rule.name(),
                csv_field(&row.layout),
                decimal(row.value, 6),
                ends(row.ci95),
                row.interval.kind(),
                csv_field(&row.deciding_assumption),
                csv_field(&row.tied.join(";")),
                csv_field(row.runner_up.as_deref().unwrap_or_default()),
                optional(row.runner_up_value, 6),
                csv_field(row.runner_up_assumption.as_deref().unwrap_or_default()),
                optional(row.delta_vs_runner_up, 6),
                ends(row.delta_ci95),
                row.delta_interval.kind(),
                row.replications,
                row.differing,
                decimal(row.material, 6),
                row.verdict.map_or("", |v| v.name()),
                row.depends_on_assumption,
            );
        }
        Ok(Some(out.into_bytes()))
    }
}
