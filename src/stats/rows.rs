//! The tables a study's accumulators give (docs/output.md): `summary.csv`, `causes.csv`,
//! `pools.csv`, `comparison.csv` and the `[objective]` scores, each row with the evidence
//! it rests on, its 95% interval (or bounds) and, for changes, its verdict.

use serde::Serialize;

#[cfg(doc)]
use super::interval::MIN_CARRYING;
use super::interval::{self, Interval, Sample};
use super::verdict::Verdict;
use super::{MINUTES_PER_YEAR, PairedSums, ScopeAccumulator, Study, UNAVAILABILITY_SCALE};
use crate::time::{MICROS_PER_MINUTE, MICROS_PER_YEAR};
use crate::vocabulary::Service;

/// The service name of the score's rows in `summary.csv`, `comparison.csv` and `sweep.csv`.
pub const SCORE_SERVICE: &str = "score";

/// Serialises an interval as its kind alone (`two_sided`, `bounds`, ...): its ends are in
/// the row's `ci95` fields.
pub(crate) fn serialize_kind<S: serde::Serializer>(
    interval: &Interval,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(interval.kind())
}

/// One row of `summary.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryRow {
    /// Layout name.
    pub layout: String,
    /// The assumption it is evaluated under (`None` without `[[assumptions]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumption: Option<String>,
    /// Service name.
    pub service: &'static str,
    /// `all` or a FE pool id.
    pub scope: String,
    /// Replications.
    pub replications: u64,
    /// Replications with any downtime: the estimate rests on them.
    pub with_downtime: u64,
    /// Mean availability.
    pub availability: f64,
    /// The 95% statement on availability: a two-sided interval when at least
    /// [`MIN_CARRYING`] replications had downtime, else `(bound, 1)` with a one-sided
    /// bound from the rate of replications with downtime; `None` with one replication.
    pub ci95: Option<(f64, f64)>,
    /// What `ci95` is: `two_sided`, `bounds` or `none`. The downtime's interval, minutes
    /// per year, is `downtime_ci95`.
    #[serde(serialize_with = "serialize_kind")]
    pub interval: Interval,
    /// The same statement on downtime, minutes per year.
    pub downtime_ci95: Option<(f64, f64)>,
    /// The replications that would carry a two-sided interval at the observed rate
    /// (`None` when enough do).
    pub replications_needed: Option<u64>,
    /// The yearly downtime over replications, minutes per year: what an interval is made
    /// of (`summary.json` only; `diff` reads it to compare runs that did not pair).
    pub downtime_sample: Sample,
    /// −log10(1 − availability); `None` when availability is 1.
    pub nines: Option<f64>,
    /// Mean downtime, minutes per year.
    pub downtime_min_per_year: f64,
    /// Median yearly downtime over replications, minutes.
    pub downtime_p50: f64,
    /// 95th percentile.
    pub downtime_p95: f64,
    /// 99th percentile.
    pub downtime_p99: f64,
    /// Whether enough replications support the 95th percentile (docs/output.md).
    pub downtime_p95_supported: bool,
    /// Whether enough replications support the 99th percentile.
    pub downtime_p99_supported: bool,
    /// Outages per year.
    pub outages_per_year: f64,
    /// Mean outage length, minutes; `None` without outages.
    pub mean_outage_min: Option<f64>,
}

impl SummaryRow {
    /// Whether no replication had any downtime.
    pub fn no_downtime_seen(&self) -> bool {
        self.with_downtime == 0
    }
}

/// Whether `n` replications support the `p` quantile: the sample holds a distribution-free
/// one-sided 95% upper confidence bound for it (an order statistic), which needs
/// 1 − pⁿ ≥ 0.95: 59 replications for the 95th percentile, 299 for the 99th. Below that
/// the percentile is little more than the largest value seen.
pub fn percentile_supported(n: u64, p: f64) -> bool {
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    1.0 - libm::pow(p, f64::from(n)) >= 0.95
}

/// One row of `causes.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CauseRow {
    /// Layout name.
    pub layout: String,
    /// The assumption it is evaluated under (`None` without `[[assumptions]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumption: Option<String>,
    /// Service name.
    pub service: &'static str,
    /// Scope.
    pub scope: String,
    /// Cause name.
    pub cause: &'static str,
    /// Mean downtime from this cause, minutes per year.
    pub downtime_min_per_year: f64,
}

/// One row of `pools.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolRow {
    /// Layout name.
    pub layout: String,
    /// The assumption it is evaluated under (`None` without `[[assumptions]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumption: Option<String>,
    /// Edge pool id.
    pub edge_pool: String,
    /// Full capacity.
    pub capacity: u64,
    /// Median per-replication peak load.
    pub peak_load_p50: u64,
    /// 95th percentile.
    pub peak_load_p95: u64,
    /// Largest peak load seen.
    pub peak_load_max: u64,
    /// Mean time refusing users for lack of room, minutes per year.
    pub overload_min_per_year: f64,
}

/// One row of `comparison.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparisonRow {
    /// Layout name.
    pub layout: String,
    /// The assumption it is evaluated under (`None` without `[[assumptions]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumption: Option<String>,
    /// The baseline layout.
    pub baseline: String,
    /// Service name.
    pub service: &'static str,
    /// Scope.
    pub scope: String,
    /// Replications paired.
    pub replications: u64,
    /// Replications in which the two layouts' downtime differs: the change rests on them.
    pub differing: u64,
    /// Mean paired difference in downtime, minutes per year (negative: less downtime).
    pub delta_downtime_min_per_year: f64,
    /// The 95% statement on the difference: a two-sided interval when at least
    /// [`MIN_CARRYING`] replications differ, else bounds from the rates of replications
    /// that got worse and better, `(0, 0)` when unaffected; `None` with one replication.
    pub ci95: Option<(f64, f64)>,
    /// What `ci95` is: `two_sided`, `bounds`, `unaffected` or `none`.
    #[serde(serialize_with = "serialize_kind")]
    pub interval: Interval,
    /// The replications that would carry a two-sided interval at the observed rate of
    /// differing replications (`None` when enough do, or when unaffected).
    pub replications_needed: Option<u64>,
    /// The threshold of material change used, minutes per year.
    pub material_min_per_year: f64,
    /// What the change amounts to.
    pub verdict: Verdict,
    /// Mean paired difference in outages per year.
    pub delta_outages_per_year: f64,
    /// Its 95% interval (`None` when fewer than [`MIN_CARRYING`] replications differ in
    /// outages).
    pub outages_ci95: Option<(f64, f64)>,
    /// What the change in outages amounts to, against the outages threshold.
    pub outages_verdict: Verdict,
}

/// One layout's score (`summary.csv` rows of service `score`, `summary.json` `scores`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreRow {
    /// Layout name.
    pub layout: String,
    /// The assumption it is evaluated under (`None` without `[[assumptions]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assumption: Option<String>,
    /// Replications.
    pub replications: u64,
    /// Replications that lost any weighted user-minute: the score rests on them.
    pub with_loss: u64,
    /// Σ weight × users over the layout's services.
    pub weighted_users: f64,
    /// Mean weighted user-minutes lost per year.
    pub score_user_min_per_year: f64,
    /// Its 95% statement: two-sided with at least [`MIN_CARRYING`] replications that
    /// lost anything, else `(0, bound)`; `None` with one replication.
    pub ci95: Option<(f64, f64)>,
    /// What `ci95` is: `two_sided`, `bounds` or `none`.
    #[serde(serialize_with = "serialize_kind")]
    pub interval: Interval,
    /// The replications that would carry a two-sided interval (`None` when enough do).
    pub replications_needed: Option<u64>,
    /// 1 for the lowest mean score; layouts with equal means share a rank.
    pub rank: usize,
    /// The score by cause, weighted user-minutes per year, in cause order.
    #[serde(serialize_with = "serialize_as_map")]
    pub causes: Vec<(&'static str, f64)>,
    /// The paired difference against the baseline's score; `None` for the baseline.
    pub delta_vs_baseline: Option<ScoreDelta>,
}

/// A layout's score minus the baseline's, replication by replication.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ScoreDelta {
    /// Mean paired difference, weighted user-minutes per year (negative: better).
    pub user_min_per_year: f64,
    /// Its 95% statement (as for comparisons); `None` with one replication.
    pub ci95: Option<(f64, f64)>,
    /// What `ci95` is: `two_sided`, `bounds`, `unaffected` or `none`.
    #[serde(serialize_with = "serialize_kind")]
    pub interval: Interval,
    /// Replications in which the two scores differ.
    pub differing: u64,
    /// The replications that would carry a two-sided interval (`None` when enough do).
    pub replications_needed: Option<u64>,
    /// The threshold of material change used, weighted user-minutes per year.
    pub material_user_min_per_year: f64,
    /// What the change amounts to.
    pub verdict: Verdict,
}

/// Serialises pairs as a map, keeping their order.
pub fn serialize_as_map<S, K, V>(pairs: &[(K, V)], serializer: S) -> Result<S::Ok, S::Error>
where
    S: serde::Serializer,
    K: Serialize,
    V: Serialize,
{
    use serde::ser::SerializeMap as _;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (key, value) in pairs {
        map.serialize_entry(key, value)?;
    }
    map.end()
}

/// Minutes per year of a quantity in unavailability units.
pub(crate) fn minutes_per_year(units: f64) -> f64 {
    units / UNAVAILABILITY_SCALE * MINUTES_PER_YEAR
}

/// The replications a change would need to be carried by [`MIN_CARRYING`] replications
/// (`None` when it is, or when it cannot change).
fn needed_for(interval: &Interval, differing: u64, replications: u64) -> Option<u64> {
    match interval {
        Interval::Unaffected => None,
        _ => interval::replications_needed(differing, replications),
    }
}

/// A paired difference's interval, zero by construction when `unaffected` and indeed no
/// replication differed (a replication that differs despite the flag would be a defect in
/// [`crate::model::inputs`]; it is then reported as the difference it is).
fn paired_interval(paired: &PairedSums, unaffected: bool) -> Interval {
    if unaffected && paired.all_equal() {
        Interval::Unaffected
    } else {
        paired.interval(UNAVAILABILITY_SCALE)
    }
}

impl Study {
    fn horizon_years(&self) -> f64 {
        self.horizon_micros as f64 / MICROS_PER_YEAR as f64
    }

    /// The rows of `summary.csv`.
    pub fn summary(&self) -> Vec<SummaryRow> {
        let mut rows = Vec::new();
        for layout in &self.layouts {
            for service in &layout.services {
                for scope in &service.scopes {
                    let mut row = self.summary_row(&layout.layout, service.service, scope);
                    row.assumption = layout.assumption.clone();
                    rows.push(row);
                }
            }
        }
        rows
    }

    fn summary_row(&self, layout: &str, service: Service, scope: &ScopeAccumulator) -> SummaryRow {
        let n = scope.replications;
        let sample = scope.unavailability.sample(n);
        let mean = sample.mean();
        let availability = 1.0 - mean / UNAVAILABILITY_SCALE;
        let interval = interval::mean_interval(&sample, UNAVAILABILITY_SCALE, interval::ALPHA);
        let percentile = |p: f64| minutes_per_year(scope.downtime.quantile(p).unwrap_or(0) as f64);
        let downtime = interval.map(minutes_per_year);
        SummaryRow {
            layout: layout.to_string(),
            assumption: None,
            service: service.name(),
            scope: scope.scope.clone(),
            replications: n,
            with_downtime: scope.unavailability.nonzero,
            availability,
            ci95: interval.ends().map(|(low, high)| {
                (
                    (1.0 - high / UNAVAILABILITY_SCALE).max(0.0),
                    (1.0 - low / UNAVAILABILITY_SCALE).min(1.0),
                )
            }),
            interval,
            downtime_ci95: downtime.ends(),
            replications_needed: interval::replications_needed(scope.unavailability.nonzero, n),
            downtime_sample: Sample {
                mean: minutes_per_year(sample.mean),
                variance: sample.variance * (MINUTES_PER_YEAR / UNAVAILABILITY_SCALE).powi(2),
                max: minutes_per_year(sample.max),
                ..sample
            },
            // `+ 0.0` turns the -0 of an availability of exactly 0 into 0.
            nines: (availability < 1.0).then(|| -libm::log10(1.0 - availability) + 0.0),
            downtime_min_per_year: minutes_per_year(mean),
            downtime_p50: percentile(0.50),
            downtime_p95: percentile(0.95),
            downtime_p99: percentile(0.99),
            downtime_p95_supported: percentile_supported(n, 0.95),
            downtime_p99_supported: percentile_supported(n, 0.99),
            outages_per_year: scope.outages as f64 / (n.max(1) as f64 * self.horizon_years()),
            mean_outage_min: (scope.outages > 0).then(|| {
                scope.outage_micros as f64 / scope.outages as f64 / MICROS_PER_MINUTE as f64
            }),
        }
    }

    /// The rows of `causes.csv`: every cause of every service and scope.
    pub fn causes(&self) -> Vec<CauseRow> {
        let mut rows = Vec::new();
        let listed = self.listed_causes();
        for layout in &self.layouts {
            for service in &layout.services {
                for scope in &service.scopes {
                    let n = scope.replications.max(1) as f64;
                    for &cause in &listed {
                        rows.push(CauseRow {
                            layout: layout.layout.clone(),
                            assumption: layout.assumption.clone(),
                            service: service.service.name(),
                            scope: scope.scope.clone(),
                            cause: cause.name(),
                            downtime_min_per_year: minutes_per_year(
                                scope.causes[cause.index()] as f64 / n,
                            ),
                        });
                    }
                }
            }
        }
        rows
    }

    /// The rows of `pools.csv`.
    pub fn pools(&self) -> Vec<PoolRow> {
        let mut rows = Vec::new();
        for layout in &self.layouts {
            for pool in &layout.pools {
                let n = pool.peak_load.total().max(1) as f64;
                let overload_minutes = pool.overload_micros as f64 / MICROS_PER_MINUTE as f64;
                rows.push(PoolRow {
                    layout: layout.layout.clone(),
                    assumption: layout.assumption.clone(),
                    edge_pool: pool.edge_pool.clone(),
                    capacity: pool.capacity,
                    peak_load_p50: pool.peak_load.quantile(0.5).unwrap_or(0),
                    peak_load_p95: pool.peak_load.quantile(0.95).unwrap_or(0),
                    peak_load_max: pool.peak_load.max(),
                    overload_min_per_year: overload_minutes / n / self.horizon_years(),
                });
            }
        }
        rows
    }

    /// One row per layout's score (empty without an `[objective]`).
    pub fn scores(&self) -> Vec<ScoreRow> {
        let Some(objective) = &self.objective else {
            return Vec::new();
        };
        let user_minutes = |units: f64| minutes_per_year(units) * objective.reference_users;
        // The most a layout's score can be in one replication: every service it weighs
        // down for the whole horizon.
        let cap_of = |factors: &[f64]| factors.iter().sum::<f64>() * UNAVAILABILITY_SCALE;
        let baseline_cap = |index: usize| {
            self.layouts[self.baseline_of(index)]
                .score
                .as_ref()
                .map_or(0.0, |s| cap_of(&s.factors))
        };
        let threshold = self.materiality.score_user_min_per_year.unwrap_or(0.0);
        let mut rows: Vec<ScoreRow> = self
            .layouts
            .iter()
            .enumerate()
            .filter_map(|(index, layout)| {
                let score = layout.score.as_ref()?;
                let n = score.replications;
                let sample = score.score.sample(n);
                let cap = cap_of(&score.factors);
                let interval = interval::mean_interval(&sample, cap, interval::ALPHA);
                Some(ScoreRow {
                    layout: layout.layout.clone(),
                    assumption: layout.assumption.clone(),
                    replications: n,
                    with_loss: score.score.nonzero,
                    weighted_users: score.weighted_users,
                    score_user_min_per_year: user_minutes(sample.mean()),
                    ci95: interval.map(user_minutes).ends(),
                    interval,
                    replications_needed: interval::replications_needed(score.score.nonzero, n),
                    rank: 0,
                    causes: self
                        .listed_causes()
                        .iter()
                        .map(|c| {
                            (
                                c.name(),
                                user_minutes(score.causes[*c as usize] as f64 / n.max(1) as f64),
                            )
                        })
                        .collect(),
                    delta_vs_baseline: score.paired.as_ref().map(|paired| {
                        let interval = if score.unaffected && paired.all_equal() {
                            Interval::Unaffected
                        } else {
                            paired.interval(cap.max(baseline_cap(index)))
                        };
                        let mean = user_minutes(paired.mean());
                        ScoreDelta {
                            user_min_per_year: mean,
                            ci95: interval.map(user_minutes).ends(),
                            interval,
                            differing: paired.differing(),
                            replications_needed: needed_for(
                                &interval,
                                paired.differing(),
                                paired.replications,
                            ),
                            material_user_min_per_year: threshold,
                            verdict: Verdict::of(mean, &interval.map(user_minutes), threshold),
                        }
                    }),
                })
            })
            .collect();
        // Layouts rank among those under the same assumption.
        let means: Vec<(Option<String>, f64)> = rows
            .iter()
            .map(|r| (r.assumption.clone(), r.score_user_min_per_year))
            .collect();
        for row in &mut rows {
            row.rank = 1 + means
                .iter()
                .filter(|(a, m)| *a == row.assumption && *m < row.score_user_min_per_year)
                .count();
        }
        rows
    }

    /// The rows of `comparison.csv` (empty with one layout).
    pub fn comparison(&self) -> Vec<ComparisonRow> {
        let mut rows = Vec::new();
        let years = self.horizon_years();
        for (index, layout) in self.layouts.iter().enumerate() {
            let base = self.baseline_of(index);
            if base == index {
                continue;
            }
            let baseline = &self.layouts[base];
            for service in &layout.services {
                let threshold = self.materiality.downtime(service.service);
                for scope in &service.scopes {
                    let Some(paired) = &scope.paired else {
                        continue;
                    };
                    let interval = paired_interval(&paired.downtime, service.unaffected);
                    let delta = minutes_per_year(paired.downtime.mean());
                    let outages_interval = if service.unaffected && paired.outages.all_equal() {
                        Interval::Unaffected
                    } else {
                        match paired.outages.interval(f64::INFINITY) {
                            Interval::TwoSided { low, high } => Interval::TwoSided {
                                low: low / years,
                                high: high / years,
                            },
                            _ => Interval::None,
                        }
                    };
                    let delta_outages = paired.outages.mean() / years;
                    rows.push(ComparisonRow {
                        layout: layout.layout.clone(),
                        assumption: layout.assumption.clone(),
                        baseline: baseline.layout.clone(),
                        service: service.service.name(),
                        scope: scope.scope.clone(),
                        replications: paired.downtime.replications,
                        differing: paired.downtime.differing(),
                        delta_downtime_min_per_year: delta,
                        ci95: interval.map(minutes_per_year).ends(),
                        interval,
                        replications_needed: needed_for(
                            &interval,
                            paired.downtime.differing(),
                            paired.downtime.replications,
                        ),
                        material_min_per_year: threshold,
                        verdict: Verdict::of(delta, &interval.map(minutes_per_year), threshold),
                        delta_outages_per_year: delta_outages,
                        outages_ci95: match outages_interval {
                            Interval::TwoSided { low, high } => Some((low, high)),
                            _ => None,
                        },
                        outages_verdict: Verdict::of(
                            delta_outages,
                            &outages_interval,
                            self.materiality.outages_per_year,
                        ),
                    });
                }
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_supported_from_59_and_299_replications() {
        assert!(!percentile_supported(58, 0.95));
        assert!(percentile_supported(59, 0.95));
        assert!(!percentile_supported(298, 0.99));
        assert!(percentile_supported(299, 0.99));
        assert!(percentile_supported(5, 0.5));
        assert!(!percentile_supported(4, 0.5));
    }
}
