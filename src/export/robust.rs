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

/// A loss in `metric`'s number format: minutes per year, or whole weighted user-minutes.
fn bare(metric: &str, value: f64) -> String {
    if metric == crate::stats::SCORE_SERVICE {
        crate::format::whole(value)
    } else {
        crate::format::minutes_label(value)
    }
}

/// A change in `metric`'s number format, with its sign.
fn signed(metric: &str, value: f64) -> String {
    if metric == crate::stats::SCORE_SERVICE {
        crate::format::signed_whole(value)
    } else {
        crate::format::signed_minutes(value)
    }
}

/// A loss with its unit: `115.7 min/yr`, `98,936,887 weighted user-min/yr`.
fn amount(metric: &str, value: f64) -> String {
    let unit = if metric == crate::stats::SCORE_SERVICE {
        "weighted user-min/yr"
    } else {
        "min/yr"
    };
    format!("{} {unit}", bare(metric, value))
}

/// A signed change with its interval in the unit of `metric`.
fn change(metric: &str, delta: f64, interval: Option<(f64, f64)>) -> String {
    let number = |v: f64| signed(metric, v);
    match interval {
        Some((low, high)) => format!("{} [{}, {}]", number(delta), number(low), number(high)),
        None => number(delta),
    }
}

/// A value with its interval, in the unit of `metric`.
fn with_interval(metric: &str, value: f64, interval: Option<(f64, f64)>) -> String {
    match interval {
        Some((low, high)) if low != high => format!(
            "{} [{}, {}]",
            amount(metric, value),
            bare(metric, low),
            bare(metric, high)
        ),
        _ => amount(metric, value),
    }
}

/// The robust choice for `metric` (a service's name or `score`) in a reader's words: the
/// best worst case, the least maximum regret, and whether the best layout depends on the
/// assumption; each names the assumption it rests on. Empty without assumptions.
pub fn choice_sentences(results: &Results, metric: &str) -> Vec<String> {
    use crate::stats::robust::Rule;
    let rows: Vec<&crate::stats::robust::ChoiceRow> = results
        .robust
        .choices
        .iter()
        .filter(|c| c.metric == metric)
        .collect();
    let mut sentences = Vec::new();
    for row in &rows {
        let ties = if row.tied.is_empty() {
            String::new()
        } else {
            format!(" (tied by construction with {})", row.tied.join(", "))
        };
        let mut sentence = match row.rule {
            Rule::BestWorstCase => format!(
                "Best in the worst case: {}{ties}, which loses at most {} (under {})",
                row.layout,
                with_interval(metric, row.value, row.ci95),
                row.deciding_assumption
            ),
            Rule::LeastRegret if row.value == 0.0 => format!(
                "Least maximum regret: {}{ties}, the best under every assumption",
                row.layout
            ),
            Rule::LeastRegret => format!(
                "Least maximum regret: {}{ties}, which loses at most {} more than the best layout under {} ({})",
                row.layout,
                with_interval(metric, row.value, row.ci95),
                row.deciding_assumption,
                rows.first()
                    .and_then(|r| {
                        r.best_per_assumption
                            .iter()
                            .find(|(a, _)| *a == row.deciding_assumption)
                    })
                    .map_or("", |(_, layout)| layout.as_str())
            ),
        };
        match (&row.runner_up, row.verdict) {
            (Some(runner_up), Some(verdict)) => {
                let what = match row.rule {
                    Rule::BestWorstCase => "worst case",
                    Rule::LeastRegret => "largest regret",
                };
                let _ = write!(
                    sentence,
                    "; against the next, {runner_up} ({what} {} under {}): {} paired, {}.",
                    amount(metric, row.runner_up_value.unwrap_or_default()),
                    row.runner_up_assumption.as_deref().unwrap_or_default(),
                    change(
                        metric,
                        row.delta_vs_runner_up.unwrap_or_default(),
                        row.delta_ci95
                    ),
                    verdict.words()
                );
            }
            _ if row.tied.is_empty() => sentence.push_str("; it is the only layout."),
            _ => sentence.push_str("; every other layout is tied with it."),
        }
        sentences.push(sentence);
    }
    if let Some(row) = rows.first() {
        let listed: Vec<String> = row
            .best_per_assumption
            .iter()
            .map(|(assumption, layout)| format!("{layout} under {assumption}"))
            .collect();
        sentences.push(if row.depends_on_assumption {
            format!(
                "The best layout depends on the assumption: {}.",
                listed.join("; ")
            )
        } else {
            format!(
                "The best layout is {} under every assumption.",
                row.best_per_assumption
                    .first()
                    .map_or("", |(_, layout)| layout.as_str())
            )
        });
    }
    sentences
}
