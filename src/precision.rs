//! A precision target (`run --precision`, docs/output.md, "Precision target"): run
//! replications in fixed batches, in replication order, until every named row's 95%
//! interval is within a relative half-width of its estimate and rests on enough
//! replications, or a replication cap is reached. The decision after each batch reads
//! only the accumulated study, which depends only on the scenario, the seed and how many
//! replications were added, so the same target gives the same bytes with any `-j`.

use serde::Serialize;

use crate::stats::interval::{Interval, MIN_CARRYING};
use crate::stats::{SCORE_SERVICE, Study};
use crate::vocabulary::Service;

/// The rows a precision target applies to, in every layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowSelector {
    /// A service in one scope (`all` or a FE pool id).
    Service {
        /// The service.
        service: Service,
        /// The scope.
        scope: String,
    },
    /// The `[objective]` score.
    Score,
}

impl RowSelector {
    /// Parses `SERVICE`, `SERVICE:SCOPE` or `score`.
    pub fn parse(text: &str) -> Result<RowSelector, String> {
        let (name, scope) = text.split_once(':').unwrap_or((text, "all"));
        if name == SCORE_SERVICE && scope == "all" {
            return Ok(RowSelector::Score);
        }
        let service = Service::from_name(name).ok_or_else(|| {
            format!(
                "--precision-for {text}: `{name}` is not a service or `score` (services: {}); write SERVICE, SERVICE:SCOPE or score",
                Service::names()
            )
        })?;
        Ok(RowSelector::Service {
            service,
            scope: scope.to_string(),
        })
    }
}

/// What a precision target asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct PrecisionTarget {
    /// The largest half-width of a 95% interval, relative to its estimate (0.1: ±10%).
    pub relative_half_width: f64,
    /// The rows it applies to; empty for the default: each service's `all` scope and the
    /// score, in every layout.
    pub rows: Vec<RowSelector>,
    /// Replications in each batch (the scenario's replications or `-n`).
    pub batch: u64,
    /// The most replications to run.
    pub max_replications: u64,
}

/// One row's precision after the replications run so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrecisionRow {
    /// Layout name.
    pub layout: String,
    /// Service name, or `score`.
    pub service: &'static str,
    /// Scope.
    pub scope: String,
    /// The larger distance from the estimate to an end of its 95% interval, over the
    /// estimate; `None` when it has no two-sided interval or no downtime was seen.
    pub relative_half_width: Option<f64>,
    /// Replications that carry it (with downtime, or any loss for the score).
    pub carrying: u64,
    /// Whether it meets the target.
    pub met: bool,
}

/// How a precision-targeted run ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrecisionReport {
    /// The target relative half-width.
    pub target: f64,
    /// Replications in each batch.
    pub batch: u64,
    /// The cap.
    pub max_replications: u64,
    /// Replications run.
    pub replications: u64,
    /// Whether every named row met the target (otherwise the cap was reached).
    pub met: bool,
    /// Every named row.
    pub rows: Vec<PrecisionRow>,
}

/// The relative half-width around `estimate` of a two-sided interval (`None` for bounds,
/// or without an estimate to be relative to).
fn relative(estimate: f64, interval: Interval, ends: Option<(f64, f64)>) -> Option<f64> {
    match (interval, ends) {
        (Interval::TwoSided { .. }, Some((low, high))) if estimate > 0.0 => {
            Some((estimate - low).max(high - estimate) / estimate)
        }
        _ => None,
    }
}

/// Every named row's precision in `study`.
pub fn assess(study: &Study, target: &PrecisionTarget) -> PrecisionReport {
    let defaults: Vec<RowSelector>;
    let selectors = if target.rows.is_empty() {
        defaults = Service::ALL
            .into_iter()
            .map(|service| RowSelector::Service {
                service,
                scope: "all".to_string(),
            })
            .chain(std::iter::once(RowSelector::Score))
            .collect();
        &defaults
    } else {
        &target.rows
    };
    let summary = study.summary();
    let scores = study.scores();
    let mut rows = Vec::new();
    let judge = |relative_half_width: Option<f64>, carrying: u64| {
        carrying >= MIN_CARRYING
            && relative_half_width.is_some_and(|r| r <= target.relative_half_width)
    };
    for layout in &study.layouts {
        for selector in selectors {
            match selector {
                RowSelector::Service { service, scope } => {
                    let Some(row) = summary.iter().find(|r| {
                        r.layout == layout.layout
                            && r.service == service.name()
                            && &r.scope == scope
                    }) else {
                        continue;
                    };
                    let relative_half_width =
                        relative(row.downtime_min_per_year, row.interval, row.downtime_ci95);
                    rows.push(PrecisionRow {
                        layout: layout.layout.clone(),
                        service: row.service,
                        scope: scope.clone(),
                        relative_half_width,
                        carrying: row.with_downtime,
                        met: judge(relative_half_width, row.with_downtime),
                    });
                }
                RowSelector::Score => {
                    let Some(row) = scores.iter().find(|r| r.layout == layout.layout) else {
                        continue;
                    };
                    let relative_half_width =
                        relative(row.score_user_min_per_year, row.interval, row.ci95);
                    rows.push(PrecisionRow {
                        layout: layout.layout.clone(),
                        service: SCORE_SERVICE,
                        scope: "all".to_string(),
                        relative_half_width,
                        carrying: row.with_loss,
                        met: judge(relative_half_width, row.with_loss),
                    });
                }
            }
        }
    }
    let replications = study
        .layouts
        .first()
        .and_then(|l| l.services.first())
        .and_then(|s| s.scopes.first())
        .map_or(0, |scope| scope.replications);
    PrecisionReport {
        target: target.relative_half_width,
        batch: target.batch,
        max_replications: target.max_replications,
        replications,
        met: rows.iter().all(|r| r.met),
        rows,
    }
}

/// How many replications to have run after the next batch, or `None` to stop (every row
/// met the target, or the cap is reached). A half-width shrinks as 1/√n, so the next
/// total is the estimate of what the least precise row needs (at least one batch more),
/// rounded up to whole batches and kept under the cap: the same study always gives the
/// same answer.
pub fn next_total(report: &PrecisionReport) -> Option<u64> {
    let done = report.replications;
    if report.met || done >= report.max_replications {
        return None;
    }
    let batch = report.batch.max(1);
    let needed = report
        .rows
        .iter()
        .filter(|r| !r.met)
        .map(|r| {
            let by_width = r.relative_half_width.map_or(0.0, |w| {
                let ratio = w / report.target;
                done as f64 * ratio * ratio
            });
            let by_carrying = if r.carrying == 0 {
                0.0
            } else {
                done as f64 * MIN_CARRYING as f64 / r.carrying as f64
            };
            by_width.max(by_carrying)
        })
        .fold(0.0f64, f64::max);
    // Jump at most ten times what was run, so that one noisy early estimate cannot spend
    // the whole budget at once.
    let wanted =
        (libm::ceil(needed) as u64).clamp(done + batch, done.saturating_mul(10).max(done + batch));
    let rounded = wanted.div_ceil(batch).saturating_mul(batch);
    Some(rounded.min(report.max_replications))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(rows: Vec<(Option<f64>, u64)>, done: u64) -> PrecisionReport {
        let target = 0.1;
        let rows: Vec<PrecisionRow> = rows
            .into_iter()
            .map(|(w, carrying)| PrecisionRow {
                layout: "a".into(),
                service: "remote_access",
                scope: "all".into(),
                relative_half_width: w,
                carrying,
                met: carrying >= 5 && w.is_some_and(|w| w <= target),
            })
            .collect();
        PrecisionReport {
            target,
            batch: 100,
            max_replications: 10_000,
            replications: done,
            met: rows.iter().all(|r| r.met),
            rows,
        }
    }

    #[test]
    fn the_next_total_follows_the_least_precise_row_in_whole_batches() {
        // ±20% after 1,000: (0.2/0.1)² · 1,000 = 4,000 would do.
        assert_eq!(
            next_total(&report(vec![(Some(0.2), 300)], 1000)),
            Some(4000)
        );
        // ±10.5% after 1,000: 1,102.5 → rounded up to whole batches of 100.
        assert_eq!(
            next_total(&report(vec![(Some(0.105), 300)], 1000)),
            Some(1200)
        );
        // Two carrying replications of 1,000: five would take 2,500.
        assert_eq!(next_total(&report(vec![(None, 2)], 1000)), Some(2500));
        // None seen: one batch more.
        assert_eq!(next_total(&report(vec![(None, 0)], 1000)), Some(1100));
        // Never more than ten times what was run, nor the cap.
        assert_eq!(next_total(&report(vec![(Some(5.0), 6)], 100)), Some(1000));
        assert_eq!(
            next_total(&report(vec![(Some(0.2), 300)], 9_000)),
            Some(10_000)
        );
        // Met, or at the cap: stop.
        assert_eq!(next_total(&report(vec![(Some(0.05), 300)], 1000)), None);
        assert_eq!(next_total(&report(vec![(Some(0.2), 300)], 10_000)), None);
    }

    #[test]
    fn rows_are_named_by_service_scope_or_score() {
        assert_eq!(RowSelector::parse("score"), Ok(RowSelector::Score));
        assert_eq!(
            RowSelector::parse("remote_access:fe-dublin"),
            Ok(RowSelector::Service {
                service: Service::RemoteAccess,
                scope: "fe-dublin".into()
            })
        );
        assert!(RowSelector::parse("remote").is_err());
    }
}
