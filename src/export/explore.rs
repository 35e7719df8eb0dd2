//! `edgesim explore`'s own outputs (docs/output.md, "Explore"): `explore.csv` (every
//! candidate), the terminal's ranking, the report's "Explore" section, and the sentences
//! they share about what the search guarantees.

use std::fmt::Write as _;

use super::report::escape;
use super::{ExportError, Exporter, TerminalExporter, csv_field, decimal, optional};
use crate::explore::{ExploreReport, Outcome, Status, Stop, TargetCheck};
use crate::format::{compact, thousands};
use crate::results::Results;
use crate::stats::interval::Interval;

/// The file name of [`ExploreCsv`].
pub const EXPLORE_FILE: &str = "explore.csv";

/// `explore.csv`: one row per candidate, in generation order.
pub struct ExploreCsv;

impl Exporter for ExploreCsv {
    fn file_name(&self) -> String {
        EXPLORE_FILE.to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        Ok(results
            .explore
            .as_deref()
            .map(|report| csv(report).into_bytes()))
    }
}

/// Why a candidate ended where it did, in words (empty for a survivor).
pub fn why(status: &Status, targets: &[(crate::vocabulary::Service, f64)]) -> String {
    match status {
        Status::Survived => String::new(),
        Status::Worse {
            by,
            replications,
            gap_user_min_per_year,
        } => format!(
            "significantly worse than {by} (by {} on the same {replications} replications)",
            compact(*gap_user_min_per_year)
        ),
        Status::MissesTarget {
            service,
            assumption,
            ..
        } => {
            let target = targets
                .iter()
                .find(|(s, _)| s == service)
                .map_or(String::new(), |(_, t)| format!(" {}", target_percent(*t)));
            let under = assumption
                .as_ref()
                .map_or(String::new(), |a| format!(" under {a}"));
            format!("misses the {} target{target}{under}", service.name())
        }
    }
}

/// An availability target as a percentage: `99.95%`.
pub fn target_percent(availability: f64) -> String {
    let text = format!("{:.6}", availability * 100.0);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

fn eliminated_after(status: &Status) -> Option<u64> {
    match status {
        Status::Survived => None,
        Status::Worse { replications, .. } | Status::MissesTarget { replications, .. } => {
            Some(*replications)
        }
    }
}

fn csv(report: &ExploreReport) -> String {
    let search = &report.search;
    let mut text = String::from(
        "candidate,changes,cost,score,score_ci95_low,score_ci95_high,replications,status,interval,eliminated_after,why,criterion,deciding_assumption",
    );
    for (service, _) in &search.targets {
        let _ = write!(text, ",target_{}", service.name());
    }
    text.push_str(
        ",gap_to_recommended,gap_ci95_low,gap_ci95_high,pareto,recommended,confirmed,as_explored\n",
    );
    let recommended = search.recommended();
    let front = report.front();
    for (i, outcome) in search.outcomes.iter().enumerate() {
        let ends = outcome.score_interval.ends();
        let _ = write!(
            text,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&outcome.candidate.name),
            csv_field(&outcome.candidate.changes),
            optional(report.costs[i], 2),
            decimal(outcome.score_user_min_per_year, 1),
            optional(ends.map(|e| e.0), 1),
            optional(ends.map(|e| e.1), 1),
            outcome.replications,
            outcome.status.name(),
            outcome.score_interval.kind(),
            eliminated_after(&outcome.status).map_or(String::new(), |r| r.to_string()),
            csv_field(&why(&outcome.status, &search.targets)),
            search.criterion.name(),
            csv_field(outcome.deciding_assumption.as_deref().unwrap_or("")),
        );
        for check in &outcome.targets {
            let _ = write!(text, ",{}", check.name());
        }
        let gap = outcome.gap_to_recommended;
        let finite = |x: f64| x.is_finite().then_some(x);
        let _ = writeln!(
            text,
            ",{},{},{},{},{},{},{}",
            optional(gap.map(|g| g.mean), 1),
            optional(gap.and_then(|g| finite(g.low)), 1),
            optional(gap.and_then(|g| finite(g.high)), 1),
            front[i],
            recommended == Some(i),
            report.confirmed.contains(&i),
            outcome.candidate.as_explored
        );
    }
    text
}

/// A candidate as the sentences name it: `c10 (route edge-dublin; ...)`, saying so when
/// it is the layout explored as it is.
fn named(outcome: &Outcome, explored: &str) -> String {
    if outcome.candidate.as_explored {
        format!(
            "{} ({}: {} as it is)",
            outcome.candidate.name, outcome.candidate.changes, explored
        )
    } else {
        format!("{} ({})", outcome.candidate.name, outcome.candidate.changes)
    }
}

/// A score and its interval: `55.6 M [50.1 M, 61.0 M]`, or `at most ...` for bounds.
fn score_text(outcome: &Outcome) -> String {
    let value = compact(outcome.score_user_min_per_year);
    match outcome.score_interval {
        Interval::TwoSided { low, high } => {
            format!("{value} [{}, {}]", compact(low), compact(high))
        }
        Interval::Bounds { high, .. } => {
            format!(
                "{value} (at most {}: too few replications lost anything)",
                compact(high)
            )
        }
        Interval::Unaffected => format!("{value} (equal to the reference by construction)"),
        Interval::None => value,
    }
}

/// What the criterion is, in words.
fn criterion_words(report: &ExploreReport) -> String {
    let search = &report.search;
    if search.assumptions.is_empty() {
        "the [objective] score (weighted user-minutes lost per year; lower is better)".to_string()
    } else {
        match search.criterion {
            crate::scenario::explore::Criterion::WorstCase => format!(
                "the worst case of the [objective] score across the assumptions {} (weighted user-minutes lost per year under the assumption where the candidate does worst)",
                search.assumptions.join(", ")
            ),
            crate::scenario::explore::Criterion::Regret => format!(
                "the largest regret across the assumptions {} (weighted user-minutes lost per year beyond the best candidate under the same assumption, where that gap is largest)",
                search.assumptions.join(", ")
            ),
        }
    }
}

/// The sentences that say what the search found and what it guarantees: the space, the
/// spending, why it stopped, the recommendation with its probability of correct
/// selection, and the targets.
pub fn sentences(report: &ExploreReport) -> Vec<String> {
    let search = &report.search;
    let count = search.outcomes.len();
    let confidence = format!("{}%", decimal((1.0 - search.alpha) * 100.0, 0));
    let last = search.stages.last().copied().unwrap_or(0);
    let exhaustive = count as u64 * last;
    let mut lines = vec![format!(
        "Searched {count} candidates of layout {} by {}.",
        report.explored,
        criterion_words(report)
    )];
    lines.push(format!(
        "Spent {} replications ({} replication-years) in {} stage(s) of {} replications; every candidate run to {} replications would have spent {} ({}x as many). Stopped because {}.",
        thousands(search.replications_spent),
        thousands(search.replication_years_spent.round() as u64),
        search.stages.len(),
        search
            .stages
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        thousands(last),
        thousands(exhaustive),
        decimal(exhaustive as f64 / search.replications_spent.max(1) as f64, 1),
        search.stop.words()
    ));
    let names = |indices: &[usize]| {
        indices
            .iter()
            .map(|&i| search.outcomes[i].candidate.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let threshold = thousands(report.threshold_user_min_per_year.round() as u64);
    let with_targets = if search.targets.is_empty() {
        ""
    } else {
        " among those that meet every target"
    };
    match search.recommended() {
        Some(best) => {
            let outcome = &search.outcomes[best];
            let cost = report.costs[best]
                .map(|c| format!(", cost {} {} a year", compact(c), report.unit.as_deref().unwrap_or("")))
                .unwrap_or_default();
            lines.push(format!(
                "Recommended: {}: score {}{cost}.",
                named(outcome, &report.explored),
                score_text(outcome)
            ));
            lines.push(match search.stop {
                Stop::OneLeft => format!(
                    "It is the best candidate{with_targets} with probability at least {confidence}: the procedure keeps the best with that probability, and it alone was left."
                ),
                Stop::WithinThreshold => format!(
                    "With probability at least {confidence} it is the best candidate{with_targets} or within the score's threshold ({threshold} weighted user-minutes a year) of it; the candidates left ({}) cannot be materially better.",
                    names(&search.selected)
                ),
                Stop::Replications | Stop::Budget | Stop::NoneLeft => format!(
                    "With probability at least {confidence} the best candidate{with_targets} is among those left ({}), which {} could not separate: it is the best of them by its mean, not proven best; more replications (-n) or a larger [explore] budget would separate them.",
                    names(&search.selected),
                    if search.stop == Stop::Budget { "the budget" } else { "the replications" }
                ),
            });
        }
        None if search.selected.is_empty() => lines.push(format!(
            "Every candidate is shown to miss a target at {confidence} (explore.csv says which, and under which assumption); none is recommended. Relax [objective.targets] or widen [explore]."
        )),
        None => lines.push(format!(
            "No candidate left ({}) is shown to meet every target at {confidence}; none is recommended. Their targets: {}.",
            names(&search.selected),
            search
                .selected
                .iter()
                .map(|&i| format!("{} {}", search.outcomes[i].candidate.name, target_words(report, i)))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
    if let Some(best) = search.recommended() {
        if !search.targets.is_empty() {
            lines.push(format!("Targets: {}.", target_words(report, best)));
        }
        lines.extend(cheaper_alternatives(report, best));
    }
    lines
}

/// Candidates that meet every target, cost less than the recommended one and are shown
/// (95%, paired) to be no more than the score's threshold worse, eliminated or not (a
/// significant difference need not be a material one): the cheaper choice gives up
/// nothing material.
fn cheaper_alternatives(report: &ExploreReport, best: usize) -> Vec<String> {
    let search = &report.search;
    let (Some(best_cost), Some(unit)) = (report.costs[best], report.unit.as_deref()) else {
        return Vec::new();
    };
    let mut cheaper: Vec<(usize, f64, f64, f64)> = (0..search.outcomes.len())
        .filter_map(|i| {
            let cost = report.costs[i]?;
            let gap = search.outcomes[i].gap_to_recommended?;
            let (mean, high) = (gap.mean, gap.high);
            let meets = search.outcomes[i]
                .targets
                .iter()
                .all(|t| *t == TargetCheck::Met);
            (meets && cost < best_cost && high < report.threshold_user_min_per_year)
                .then_some((i, cost, mean, high))
        })
        .collect();
    cheaper.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.total_cmp(&b.2)));
    cheaper
        .into_iter()
        .take(3)
        .map(|(i, cost, mean, high)| {
            let outcome = &search.outcomes[i];
            let explored = &report.explored;
            format!(
                "Cheaper and not materially worse: {} costs {} {unit} a year less; its score is {} above the recommended one's, at most {} (95%, paired), below the threshold of {} weighted user-minutes a year.",
                named(outcome, explored),
                compact(best_cost - cost),
                crate::format::compact(mean),
                crate::format::compact(high),
                thousands(report.threshold_user_min_per_year.round() as u64)
            )
        })
        .collect()
}

fn target_words(report: &ExploreReport, index: usize) -> String {
    report
        .search
        .targets
        .iter()
        .zip(&report.search.outcomes[index].targets)
        .map(|((service, target), check)| {
            format!(
                "{} {} {}",
                service.name(),
                target_percent(*target),
                match check {
                    TargetCheck::Met => "met (the 95% interval's worst end meets it)",
                    TargetCheck::Missed => "missed",
                    TargetCheck::Undecided => "not shown (the interval straddles it)",
                }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidates in the order a planner reads them: survivors best first, then the
/// eliminated ones by how long they lasted, then by score.
fn ranked(report: &ExploreReport) -> Vec<usize> {
    let search = &report.search;
    let mut order: Vec<usize> = (0..search.outcomes.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&search.outcomes[a], &search.outcomes[b]);
        let survived = |o: &Outcome| o.status != Status::Survived;
        survived(x)
            .cmp(&survived(y))
            .then(y.replications.cmp(&x.replications))
            .then(
                x.score_user_min_per_year
                    .total_cmp(&y.score_user_min_per_year),
            )
            .then(a.cmp(&b))
    });
    order
}

/// The terminal's view: the sentences and the ten candidates best ranked.
pub struct ExploreTable;

impl TerminalExporter for ExploreTable {
    fn render(&self, results: &Results) -> String {
        let Some(report) = results.explore.as_deref() else {
            return String::new();
        };
        let mut text = String::new();
        for line in sentences(report) {
            let _ = writeln!(text, "{line}");
        }
        let _ = writeln!(text);
        let order = ranked(report);
        for &i in order.iter().take(10) {
            let outcome = &report.search.outcomes[i];
            let _ = writeln!(
                text,
                "  {:<6} {:<10} {:>6} reps  {}{}  {}",
                outcome.candidate.name,
                outcome.status.name(),
                outcome.replications,
                score_text(outcome),
                report.costs[i]
                    .map(|c| format!("  cost {}", compact(c)))
                    .unwrap_or_default(),
                outcome.candidate.changes
            );
        }
        if order.len() > 10 {
            let _ = writeln!(text, "  ... and {} more in explore.csv", order.len() - 10);
        }
        text
    }
}

/// The report's "Explore" section: the sentences, the cost–score chart, the confirmation
/// and a table of the candidates.
pub fn section(html: &mut String, results: &Results, chart: Option<&str>) {
    let Some(report) = results.explore.as_deref() else {
        return;
    };
    let _ = writeln!(
        html,
        "<h2>Explore</h2>\n<p>Candidates are the explored layout with the changes [explore] allows; they were compared on common random numbers by \
         sequential elimination (docs/output.md, \"Explore\").</p>\n<ul class=\"verdict\">"
    );
    for line in sentences(report) {
        let _ = writeln!(html, "<li>{}</li>", escape(&line));
    }
    let _ = writeln!(html, "</ul>");
    if let Some(svg) = chart {
        super::report::figure(html, "explore", "Cost and score of every candidate", svg);
    }
    let _ = writeln!(
        html,
        "<h3>Confirmation</h3>\n<p>{} and the candidates above were run again on seed {} (the search used seed {}), so these figures are not the ones \
         the candidates were chosen on; the rest of this report is that run.</p>",
        escape(&report.explored),
        report.confirmation_seed,
        report.search_seed
    );
    let _ = writeln!(
        html,
        "<table>\n<thead><tr><th class=\"name\">layout</th><th class=\"text\">changes</th><th>cost</th><th>score</th><th>change against {}</th></tr></thead>\n<tbody>",
        escape(&report.explored)
    );
    for row in &results.scores {
        let index = report
            .search
            .outcomes
            .iter()
            .position(|o| o.candidate.name == row.layout);
        let changes = index.map_or("(the layout explored)".to_string(), |i| {
            report.search.outcomes[i].candidate.changes.clone()
        });
        let cost = index.map_or(report.explored_cost, |i| report.costs[i]);
        let label = match &row.assumption {
            Some(a) => format!("{} · {a}", row.layout),
            None => row.layout.clone(),
        };
        let score = match row.ci95 {
            Some((low, high)) => format!(
                "{} [{}, {}]",
                compact(row.score_user_min_per_year),
                compact(low),
                compact(high)
            ),
            None => compact(row.score_user_min_per_year),
        };
        let change = row.delta_vs_baseline.map_or(String::new(), |d| {
            let interval = d
                .ci95
                .map(|(low, high)| format!(" [{}, {}]", compact(low), compact(high)))
                .unwrap_or_default();
            format!(
                "{}{interval} ({})",
                compact(d.user_min_per_year),
                d.verdict.name()
            )
        });
        let _ = writeln!(
            html,
            "<tr><td class=\"name\">{}</td><td class=\"text\">{}</td><td>{}</td><td class=\"ci\">{}</td><td class=\"ci\">{}</td></tr>",
            escape(&label),
            escape(&changes),
            cost.map_or(String::new(), compact),
            escape(&score),
            escape(&change)
        );
    }
    let _ = writeln!(html, "</tbody></table>");
    let _ = writeln!(
        html,
        "<h3>Candidates</h3>\n<table>\n<thead><tr><th class=\"name\">candidate</th><th class=\"text\">changes</th><th>cost</th><th>score (search)</th><th>replications</th><th class=\"text\">status</th></tr></thead>\n<tbody>"
    );
    let order = ranked(report);
    for &i in order.iter().take(30) {
        let outcome = &report.search.outcomes[i];
        let status = match &outcome.status {
            Status::Survived => "survived".to_string(),
            other => format!(
                "eliminated after {}: {}",
                eliminated_after(other).unwrap_or(0),
                why(other, &report.search.targets)
            ),
        };
        let _ = writeln!(
            html,
            "<tr><td class=\"name\">{}</td><td class=\"text\">{}</td><td>{}</td><td class=\"ci\">{}</td><td>{}</td><td class=\"text\">{}</td></tr>",
            escape(&outcome.candidate.name),
            escape(&outcome.candidate.changes),
            report.costs[i].map_or(String::new(), compact),
            escape(&score_text(outcome)),
            outcome.replications,
            escape(&status)
        );
    }
    let _ = writeln!(html, "</tbody></table>");
    if order.len() > 30 {
        let _ = writeln!(
            html,
            "<p>{} more candidates in explore.csv.</p>",
            order.len() - 30
        );
    }
}
