//! The table printed at the end of a run.

use std::fmt::Write as _;

use crate::format::{signed_whole, thousands, whole};
use crate::results::Results;
use crate::stats::interval::{Interval, MIN_CARRYING};
use crate::stats::{ComparisonRow, Verdict};

/// The table `run` and `merge` print: every summary row, the comparison, the scores.
pub struct ResultsTable;

impl super::TerminalExporter for ResultsTable {
    fn render(&self, results: &Results) -> String {
        let assumptions = results.assumptions();
        if assumptions.is_empty() {
            return terminal_table(results);
        }
        // One table per assumption, each exactly what a run with it written in prints,
        // then the score of every layout under every assumption.
        let mut out = assumptions
            .iter()
            .map(|assumption| {
                format!(
                    "Under assumption \"{assumption}\":\n{}",
                    terminal_table(&results.under(assumption))
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&robust_matrix(results, &assumptions));
        out
    }
}

/// The score of every layout (rows) under every assumption (columns) with its 95%
/// interval and its worst case, then the robust choice in words (remote access without an
/// `[objective]`).
fn robust_matrix(results: &Results, assumptions: &[String]) -> String {
    let metric = if results.scores.is_empty() {
        crate::vocabulary::Service::RemoteAccess.name()
    } else {
        crate::stats::SCORE_SERVICE
    };
    let cells: Vec<&crate::stats::robust::MatrixCell> = results
        .robust
        .matrix
        .iter()
        .filter(|c| c.metric == metric)
        .collect();
    if cells.is_empty() {
        return String::new();
    }
    let layouts = crate::results::first_seen(cells.iter().map(|c| c.layout.as_str()));
    let (heading, format): (&str, fn(f64) -> String) = if metric == crate::stats::SCORE_SERVICE {
        (
            "Score by layout and assumption (weighted user-minutes lost per year, 95% interval; lower is better):",
            crate::format::compact,
        )
    } else {
        (
            "Remote access by layout and assumption (minutes per year, 95% interval; lower is better):",
            crate::format::minutes_label,
        )
    };
    const COLUMN: usize = 30;
    let mut out = format!("\n{heading}\n");
    let _ = write!(out, "  {:<24}", "layout");
    for assumption in assumptions {
        let _ = write!(out, " {:>COLUMN$}", shorten(assumption, COLUMN));
    }
    let _ = writeln!(out, " {:>12}", "worst case");
    for &layout in &layouts {
        let _ = write!(out, "  {:<24}", shorten(layout, 24));
        let mut worst: Option<f64> = None;
        for assumption in assumptions {
            match cells
                .iter()
                .find(|c| c.layout == layout && c.assumption == *assumption)
            {
                Some(cell) => {
                    worst = Some(worst.map_or(cell.value, |w: f64| w.max(cell.value)));
                    let text = match cell.ci95 {
                        Some((low, high)) => {
                            format!("{} [{}, {}]", format(cell.value), format(low), format(high))
                        }
                        None => format(cell.value),
                    };
                    let _ = write!(out, " {text:>COLUMN$}");
                }
                None => {
                    let _ = write!(out, " {:>COLUMN$}", "—");
                }
            }
        }
        let _ = writeln!(out, " {:>12}", worst.map_or("—".to_string(), format));
    }
    for sentence in crate::export::robust::choice_sentences(results, metric) {
        let _ = writeln!(out, "  {sentence}");
    }
    out
}

/// `text`, cut to `width` characters with an ellipsis.
fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width - 1).collect();
        format!("{kept}…")
    }
}

/// Availability, nines and downtime per service and layout (scope `all`) with the
/// replications behind each, then the paired differences against the baseline with their
/// verdicts, then the scores; marks what rests on too few replications, and says how many
/// would do.
pub fn terminal_table(results: &Results) -> String {
    let mut out = String::new();
    let mut few = false;
    let _ = writeln!(
        out,
        "{:<22} {:<20} {:>17} {:>6} {:>12} {:>27}  with downtime",
        "layout", "service", "availability", "nines", "min/year", "95% CI of availability",
    );
    for row in results.summary.iter().filter(|r| r.scope == "all") {
        let interval = match (row.interval, row.ci95) {
            (Interval::TwoSided { .. }, Some((low, high))) => format!("[{low:.9}, {high:.9}]"),
            (_, Some((low, _))) => {
                few = true;
                format!("≥ {low:.6} (bound)*")
            }
            _ => "—".to_string(),
        };
        let _ = writeln!(
            out,
            "{:<22} {:<20} {:>17.12} {:>6} {:>12.3} {:>27}  {}",
            row.layout,
            row.service,
            row.availability,
            row.nines.map_or("—".to_string(), |n| format!("{n:.2}")),
            row.downtime_min_per_year,
            interval,
            evidence(row.with_downtime, row.replications, row.replications_needed),
        );
    }
    if few {
        let _ = writeln!(
            out,
            "* fewer than {MIN_CARRYING} replications had downtime: a one-sided 95% bound from the rate of replications with downtime \
             (it assumes nothing about how long an unseen outage lasts) replaces the interval; run the replications shown to get one."
        );
    }
    if let Some(first) = results.comparison.first() {
        let _ = writeln!(
            out,
            "\nPaired differences against {} (minutes of downtime per year; negative is better; material from the [materiality] threshold):",
            first.baseline
        );
        for row in results.comparison.iter().filter(|r| r.scope == "all") {
            let _ = writeln!(
                out,
                "{:<22} {:<20} {}",
                row.layout,
                row.service,
                change(row)
            );
        }
    }
    if !results.scores.is_empty() {
        let _ = writeln!(
            out,
            "\nScore ([objective]: weighted user-minutes lost per year, 95% interval; lower is better):"
        );
        // In rank order (with assumptions, each assumption's layouts together, in the
        // assumptions' order).
        let assumptions = results.assumptions();
        let mut rows: Vec<&crate::stats::ScoreRow> = results.scores.iter().collect();
        rows.sort_by_key(|row| {
            (
                row.assumption
                    .as_ref()
                    .and_then(|a| assumptions.iter().position(|x| x == a)),
                row.rank,
            )
        });
        for row in rows {
            let interval = match (row.interval, row.ci95) {
                (Interval::TwoSided { .. }, Some((low, high))) => {
                    format!("[{}, {}]", whole(low), whole(high))
                }
                (_, Some((_, high))) => format!("at most {} (bound)", whole(high)),
                _ => "—".to_string(),
            };
            let delta = match row.delta_vs_baseline {
                Some(delta) => match delta.verdict {
                    Verdict::Unaffected => {
                        "unaffected: the baseline's score by construction".to_string()
                    }
                    Verdict::TooFewDiffer => format!(
                        "{} against the baseline: {} of {} replications differ, too few to tell",
                        signed_whole(delta.user_min_per_year),
                        thousands(delta.differing),
                        thousands(row.replications)
                    ),
                    verdict => format!(
                        "{} {} against the baseline: {}",
                        signed_whole(delta.user_min_per_year),
                        delta.ci95.map_or(String::new(), |(low, high)| format!(
                            "[{}, {}]",
                            signed_whole(low),
                            signed_whole(high)
                        )),
                        verdict.words()
                    ),
                },
                None => "baseline".to_string(),
            };
            let _ = writeln!(
                out,
                "{:>3}. {:<22} {:>15} {:>27}  {}",
                row.rank,
                row.layout,
                whole(row.score_user_min_per_year),
                interval,
                delta
            );
        }
    }
    if let Some(precision) = &results.precision {
        out.push('\n');
        out.push_str(&precision_summary(precision));
    }
    out
}

/// How a precision-targeted run ended, in words: met, or which rows did not meet it.
pub fn precision_summary(precision: &crate::precision::PrecisionReport) -> String {
    let target = format!("±{}%", precision.target * 100.0);
    if precision.met {
        return format!(
            "Precision: every named row is within {target} of its estimate after {} replications (batches of {}).\n",
            thousands(precision.replications),
            thousands(precision.batch)
        );
    }
    let missed: Vec<String> = precision
        .rows
        .iter()
        .filter(|r| !r.met)
        .map(|r| {
            let why = match r.relative_half_width {
                _ if r.carrying == 0 => "no downtime seen".to_string(),
                Some(w) if r.carrying >= MIN_CARRYING => format!("±{:.1}%", w * 100.0),
                _ => format!("only {} replications with downtime", r.carrying),
            };
            format!("{} {} {} ({why})", r.layout, r.service, r.scope)
        })
        .collect();
    format!(
        "Precision: the cap of {} replications was reached before every named row was within {target}; not met: {}.\n",
        thousands(precision.max_replications),
        missed.join("; ")
    )
}

/// `200/200`, or `3/200 (about 334 needed)` when fewer than [`MIN_CARRYING`] carry the estimate.
fn evidence(carrying: u64, replications: u64, needed: Option<u64>) -> String {
    match needed {
        Some(needed) => format!(
            "{}/{} ({} {} needed)",
            thousands(carrying),
            thousands(replications),
            if carrying == 0 { "at least" } else { "about" },
            thousands(needed)
        ),
        None => format!("{}/{}", thousands(carrying), thousands(replications)),
    }
}

/// One paired difference in words: the change, its interval or bounds, the verdict and
/// the replications behind it.
pub fn change(row: &ComparisonRow) -> String {
    let differ = format!(
        "{} of {} replications differ",
        thousands(row.differing),
        thousands(row.replications)
    );
    match (row.verdict, row.ci95) {
        (Verdict::Unaffected, _) => {
            "0 (unaffected: the layout changes nothing it reads)".to_string()
        }
        (Verdict::TooFewDiffer, Some((low, high))) if row.differing == 0 => format!(
            "no difference seen in {} replications (the change is within {low:+.1} and {high:+.1}; about {} would tell)",
            thousands(row.replications),
            row.replications_needed
                .map_or_else(|| "more".to_string(), thousands)
        ),
        (Verdict::TooFewDiffer, Some((low, high))) => format!(
            "{:>+12.3}  too few to tell: {differ} (within {low:+.1} and {high:+.1}; about {} would tell)",
            row.delta_downtime_min_per_year,
            row.replications_needed
                .map_or_else(|| "more".to_string(), thousands)
        ),
        (verdict, interval) => format!(
            "{:>+12.3} {:>25}  {}{} ({differ})",
            row.delta_downtime_min_per_year,
            interval.map_or("—".to_string(), |(low, high)| format!(
                "[{low:+.3}, {high:+.3}]"
            )),
            verdict.words(),
            outages_note(row),
        ),
    }
}

/// A material change in outages per year, in words (empty otherwise).
pub fn outages_note(row: &ComparisonRow) -> String {
    if !row.outages_verdict.material() {
        return String::new();
    }
    format!(
        "; outages {} by {:.2} per year",
        if row.delta_outages_per_year > 0.0 {
            "up"
        } else {
            "down"
        },
        row.delta_outages_per_year.abs()
    )
}
