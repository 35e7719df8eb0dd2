//! The table printed at the end of a run.

use std::fmt::Write as _;

use crate::plot::{signed_whole, whole};
use crate::results::Results;

/// Availability, nines and downtime per service and layout (scope `all`), then the paired
/// differences against the baseline.
pub fn terminal_table(results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<22} {:<20} {:>17} {:>6} {:>12} {:>25}",
        "layout", "service", "availability", "nines", "min/year", "95% CI of availability"
    );
    for row in results.summary.iter().filter(|r| r.scope == "all") {
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
    if let Some(first) = results.comparison.first() {
        let _ = writeln!(
            out,
            "\nPaired differences against {} (minutes of downtime per year; negative is better):",
            first.baseline
        );
        for row in results.comparison.iter().filter(|r| r.scope == "all") {
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
    if !results.scores.is_empty() {
        let _ = writeln!(
            out,
            "\nScore ([objective]: weighted user-minutes lost per year, 95% interval; lower is better):"
        );
        for row in &results.scores {
            let interval = row.ci95.map_or("—".to_string(), |(low, high)| {
                format!("[{}, {}]", whole(low), whole(high))
            });
            let delta = match row.delta_vs_baseline {
                Some(delta) => format!(
                    "{} {} against the baseline",
                    signed_whole(delta.user_min_per_year),
                    delta.ci95.map_or(String::new(), |(low, high)| format!(
                        "[{}, {}]",
                        signed_whole(low),
                        signed_whole(high)
                    ))
                ),
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
    out
}
