//! Statistics over replications (docs/output.md): exact integer accumulators that fold in any
//! order and merge across shards to the same bits, and the figures derived from them —
//! means with Student-t intervals, nines, downtime percentiles, outage rates, downtime by
//! cause, and paired differences between layouts.
//!
//! Each replication's unavailability is quantised to an integer number of 10⁻¹⁵ (far
//! below any availability edgesim reports) before it is summed, so sums and sums of
//! squares are exact `u128`s: a single run, any thread count, and any sharding give the
//! same accumulators, hence byte-identical files.

pub mod histogram;
pub mod student_t;

use serde::{Deserialize, Serialize};

use crate::model::ReplicationResult;
use crate::model::metrics::{CAUSE_COUNT, ServiceTally};
use crate::model::services::{Service, ServiceResult};
use crate::time::{MICROS_PER_MINUTE, MICROS_PER_YEAR, SimDuration};
use crate::topology::{Objective, Scenario};

use histogram::Histogram;
use student_t::t95;

/// One unit of quantised unavailability: 10⁻¹⁵ of the horizon.
pub const UNAVAILABILITY_SCALE: f64 = 1e15;
/// Minutes in one year of 365 days (docs/scenario.md).
pub const MINUTES_PER_YEAR: f64 = 525_600.0;

/// Quantises an unserved amount over `weight × horizon` into unavailability units.
fn quantise(unserved_user_micros: f64, weight: f64, horizon: SimDuration) -> u64 {
    if weight <= 0.0 || horizon.is_zero() {
        return 0;
    }
    let fraction = (unserved_user_micros / (weight * horizon.as_micros() as f64)).clamp(0.0, 1.0);
    libm::round(fraction * UNAVAILABILITY_SCALE) as u64
}

/// Exact sums for a paired difference against the baseline layout.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedAccumulator {
    /// Replications paired.
    pub replications: u64,
    /// Σ (this − baseline), in unavailability units.
    pub sum: i128,
    /// Σ (this − baseline)².
    pub sum_squares: u128,
}

impl PairedAccumulator {
    /// Adds one replication's difference.
    fn add(&mut self, difference: i128) {
        self.replications += 1;
        self.sum += difference;
        self.sum_squares += difference.unsigned_abs() * difference.unsigned_abs();
    }

    /// Adds another shard's sums, if it has any, into `slot`.
    fn merge_into(slot: &mut Option<PairedAccumulator>, other: &Option<PairedAccumulator>) {
        if let Some(other) = other {
            let paired = slot.get_or_insert_with(PairedAccumulator::default);
            paired.replications += other.replications;
            paired.sum += other.sum;
            paired.sum_squares += other.sum_squares;
        }
    }
}

/// Adds `other`'s sums by cause into `sums`.
fn add_each(sums: &mut [u128; CAUSE_COUNT], other: &[u128; CAUSE_COUNT]) {
    for (sum, other_sum) in sums.iter_mut().zip(other) {
        *sum += other_sum;
    }
}

/// Σ factor × value, rounded to whole units, summed in service order so that every
/// platform gives the same bits.
fn weigh(factors: &[f64], values: impl Iterator<Item = f64>) -> u64 {
    let total: f64 = factors.iter().zip(values).map(|(f, v)| f * v).sum();
    libm::round(total.max(0.0)) as u64
}

/// Exact accumulators for one layout, service and scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeAccumulator {
    /// `all` or a FE pool id.
    pub scope: String,
    /// Replications added.
    pub replications: u64,
    /// Σ unavailability, in units of 10⁻¹⁵.
    pub sum: u128,
    /// Σ unavailability².
    pub sum_squares: u128,
    /// Per-replication unavailability, in units of 10⁻¹⁵.
    pub downtime: Histogram,
    /// Outages seen.
    pub outages: u64,
    /// Time in outage, microseconds.
    pub outage_micros: u128,
    /// Σ unavailability by cause.
    pub causes: [u128; CAUSE_COUNT],
    /// The paired difference against the baseline's same service and scope, if it has one.
    pub paired: Option<PairedAccumulator>,
}

/// One service of one layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccumulator {
    /// The service.
    pub service: Service,
    /// `all` first, then one per FE pool for per-user services.
    pub scopes: Vec<ScopeAccumulator>,
}

/// One Edge pool of one layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolAccumulator {
    /// The pool's id.
    pub edge_pool: String,
    /// Its full capacity.
    pub capacity: u64,
    /// Per-replication peak load (users, rounded).
    pub peak_load: Histogram,
    /// Time refusing users for lack of room, microseconds.
    pub overload_micros: u128,
}

/// One layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayoutAccumulator {
    /// The layout's name.
    pub layout: String,
    /// Its configured services.
    pub services: Vec<ServiceAccumulator>,
    /// Its Edge pools.
    pub pools: Vec<PoolAccumulator>,
    /// Its score, when the scenario has an `[objective]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<ScoreAccumulator>,
}

/// How a study scores its layouts: the `[objective]` weights and the score's unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveSetup {
    /// Per service, the weight of one lost user-minute.
    #[serde(
        serialize_with = "serialize_as_map",
        deserialize_with = "deserialize_weights"
    )]
    pub weights: Vec<(Service, f64)>,
    /// The largest Σ weight × users over the study's layouts. A score is kept in units of
    /// 10⁻¹⁵ of this many weighted users over the horizon, so that every layout's score
    /// is at most 10¹⁵ units (exact sums, as for availability) and the layouts share one
    /// unit, which their paired differences need.
    pub reference_users: f64,
}

/// Reads the weights [`serialize_as_map`] wrote (a JSON object keeps its keys' order when
/// read as a sequence of entries).
fn deserialize_weights<'de, D>(deserializer: D) -> Result<Vec<(Service, f64)>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Vec<(Service, f64)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map from service to weight")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(Entries)
}

/// Exact accumulators of one layout's score: Σ over services of weight × users ×
/// unavailability of all users, per replication.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreAccumulator {
    /// Per configured service, weight × users ÷ the reference users.
    pub factors: Vec<f64>,
    /// Σ weight × users of this layout.
    pub weighted_users: f64,
    /// Replications added.
    pub replications: u64,
    /// Σ score, in units of 10⁻¹⁵ reference users over the horizon.
    pub sum: u128,
    /// Σ score².
    pub sum_squares: u128,
    /// Σ score by cause.
    pub causes: [u128; CAUSE_COUNT],
    /// The paired difference against the baseline's score.
    pub paired: Option<PairedAccumulator>,
}

/// Everything a study has accumulated, for every layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Study {
    /// The horizon of every replication, microseconds.
    pub horizon_micros: u64,
    /// Per layout, in scenario order (the first is the baseline).
    pub layouts: Vec<LayoutAccumulator>,
    /// How layouts are scored, when the scenario has an `[objective]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<ObjectiveSetup>,
}

/// One replication's quantised figures for one service and scope, as `runs.csv` shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunFigure {
    /// The scope.
    pub scope_index: usize,
    /// Unavailability in units of 10⁻¹⁵.
    pub unavailability: u64,
    /// Outages.
    pub outages: u64,
}

/// The scopes of a service result: `all`, then each FE pool (per-user services).
fn scope_tallies<'r>(
    result: &'r ServiceResult,
) -> impl Iterator<Item = (&'r ServiceTally, f64)> + 'r {
    let all_weight = if result.service.per_user() {
        result.weights.iter().sum()
    } else {
        1.0
    };
    std::iter::once((&result.all, all_weight)).chain(
        result
            .per_front_end
            .iter()
            .zip(result.weights.iter().copied()),
    )
}

impl Study {
    /// Empty accumulators for every layout of `scenario`.
    pub fn new(scenario: &Scenario) -> Self {
        let layouts = scenario
            .layouts
            .iter()
            .map(|topology| LayoutAccumulator {
                layout: topology.layout_name.clone(),
                services: crate::model::configured_services(topology)
                    .into_iter()
                    .map(|(service, _)| {
                        let mut scopes = vec!["all".to_string()];
                        if service.per_user() {
                            scopes.extend(topology.front_end_pools.iter().map(|p| p.id.clone()));
                        }
                        ServiceAccumulator {
                            service,
                            scopes: scopes
                                .into_iter()
                                .map(|scope| ScopeAccumulator {
                                    scope,
                                    ..ScopeAccumulator::default()
                                })
                                .collect(),
                        }
                    })
                    .collect(),
                pools: topology
                    .edge_pools
                    .iter()
                    .map(|pool| PoolAccumulator {
                        edge_pool: pool.id.clone(),
                        capacity: pool.full_capacity(),
                        peak_load: Histogram::default(),
                        overload_micros: 0,
                    })
                    .collect(),
                score: None,
            })
            .collect();
        let mut study = Study {
            horizon_micros: scenario.simulation.horizon.as_micros(),
            layouts,
            objective: None,
        };
        if let Some(objective) = &scenario.objective {
            study.set_objective(scenario, objective);
        }
        study
    }

    /// Sets up the score of every layout from each service's weight × the users it
    /// concerns ([`Objective::weighted_users`]).
    fn set_objective(&mut self, scenario: &Scenario, objective: &Objective) {
        let weighted: Vec<Vec<f64>> = scenario
            .layouts
            .iter()
            .map(|topology| objective.weighted_users(topology))
            .collect();
        let totals: Vec<f64> = weighted.iter().map(|w| w.iter().sum()).collect();
        let reference_users = totals.iter().copied().fold(0.0, f64::max);
        for ((layout, weighted), total) in self.layouts.iter_mut().zip(weighted).zip(totals) {
            layout.score = Some(ScoreAccumulator {
                factors: weighted
                    .iter()
                    .map(|w| {
                        if reference_users > 0.0 {
                            w / reference_users
                        } else {
                            0.0
                        }
                    })
                    .collect(),
                weighted_users: total,
                ..ScoreAccumulator::default()
            });
        }
        self.objective = Some(ObjectiveSetup {
            weights: objective.weights.clone(),
            reference_users,
        });
    }

    fn horizon(&self) -> SimDuration {
        SimDuration::from_micros(self.horizon_micros)
    }

    /// The quantised figures of one replication of one layout, per service and scope.
    pub fn figures(&self, result: &ReplicationResult) -> Vec<(Service, Vec<RunFigure>)> {
        let horizon = self.horizon();
        result
            .services
            .iter()
            .map(|service_result| {
                let figures = scope_tallies(service_result)
                    .enumerate()
                    .map(|(scope_index, (tally, weight))| RunFigure {
                        scope_index,
                        unavailability: quantise(tally.unserved_total(), weight, horizon),
                        outages: tally.outages,
                    })
                    .collect();
                (service_result.service, figures)
            })
            .collect()
    }

    /// Adds one replication: `results` holds each layout's result, in layout order.
    pub fn add(&mut self, results: &[ReplicationResult]) {
        let horizon = self.horizon();
        // Each layout's quantised unavailability per service and scope, computed once and
        // used both for its own sums and for the paired differences.
        let figures: Vec<Vec<(Service, Vec<RunFigure>)>> =
            results.iter().map(|r| self.figures(r)).collect();
        let scores: Vec<Option<u64>> = self
            .layouts
            .iter()
            .zip(&figures)
            .map(|(layout, layout_figures)| {
                let score = layout.score.as_ref()?;
                Some(weigh(
                    &score.factors,
                    layout_figures
                        .iter()
                        .map(|(_, service_figures)| service_figures[0].unavailability as f64),
                ))
            })
            .collect();
        for ((layout, result), (layout_figures, layout_score)) in self
            .layouts
            .iter_mut()
            .zip(results)
            .zip(figures.iter().zip(&scores))
        {
            let mut score_causes = [0.0; CAUSE_COUNT];
            for (service_index, ((accumulator, service_result), (_, service_figures))) in layout
                .services
                .iter_mut()
                .zip(&result.services)
                .zip(layout_figures)
                .enumerate()
            {
                for (scope_index, ((scope, (tally, weight)), figure)) in accumulator
                    .scopes
                    .iter_mut()
                    .zip(scope_tallies(service_result))
                    .zip(service_figures)
                    .enumerate()
                {
                    // The score weighs each service's causes for all users (scope 0).
                    let score_factor = match (&layout.score, scope_index) {
                        (Some(score), 0) => Some(score.factors[service_index]),
                        _ => None,
                    };
                    let q = figure.unavailability;
                    scope.replications += 1;
                    scope.sum += u128::from(q);
                    scope.sum_squares += u128::from(q) * u128::from(q);
                    scope.downtime.record(q);
                    scope.outages += tally.outages;
                    scope.outage_micros += u128::from(tally.outage_micros);
                    for (cause, sum) in scope.causes.iter_mut().enumerate() {
                        let units = quantise(tally.unserved_user_micros[cause], weight, horizon);
                        *sum += u128::from(units);
                        if let Some(factor) = score_factor {
                            score_causes[cause] += factor * units as f64;
                        }
                    }
                }
            }
            if let (Some(score), Some(q)) = (&mut layout.score, *layout_score) {
                score.replications += 1;
                score.sum += u128::from(q);
                score.sum_squares += u128::from(q) * u128::from(q);
                for (sum, units) in score.causes.iter_mut().zip(score_causes) {
                    *sum += u128::from(libm::round(units) as u64);
                }
            }
            for (pool, tally) in layout.pools.iter_mut().zip(&result.edge_pools) {
                pool.peak_load
                    .record(libm::round(tally.peak_load.max(0.0)) as u64);
                pool.overload_micros += u128::from(tally.overload_micros);
            }
        }
        self.add_pairs(&figures);
        self.add_score_pairs(&scores);
    }

    /// The paired differences of each layout's score against the baseline's.
    fn add_score_pairs(&mut self, scores: &[Option<u64>]) {
        let Some(Some(baseline)) = scores.first() else {
            return;
        };
        for (layout, score) in self.layouts.iter_mut().zip(scores).skip(1) {
            if let (Some(accumulator), Some(score)) = (&mut layout.score, score) {
                let difference = i128::from(*score) - i128::from(*baseline);
                let paired = accumulator
                    .paired
                    .get_or_insert_with(PairedAccumulator::default);
                paired.add(difference);
            }
        }
    }

    /// Paired differences against the baseline: the same service and scope name, in the
    /// same replication (so the common random numbers cancel).
    fn add_pairs(&mut self, figures: &[Vec<(Service, Vec<RunFigure>)>]) {
        let Some(baseline_figures) = figures.first() else {
            return;
        };
        let (baseline, others) = self.layouts.split_at_mut(1);
        for (layout, layout_figures) in others.iter_mut().zip(&figures[1..]) {
            for (accumulator, (_, service_figures)) in
                layout.services.iter_mut().zip(layout_figures)
            {
                let Some(position) = baseline[0]
                    .services
                    .iter()
                    .position(|s| s.service == accumulator.service)
                else {
                    continue;
                };
                let baseline_scopes = &baseline[0].services[position].scopes;
                let baseline_service = &baseline_figures[position].1;
                for (scope, figure) in accumulator.scopes.iter_mut().zip(service_figures) {
                    let Some(index) = baseline_scopes.iter().position(|s| s.scope == scope.scope)
                    else {
                        continue;
                    };
                    let difference = i128::from(figure.unavailability)
                        - i128::from(baseline_service[index].unavailability);
                    let paired = scope.paired.get_or_insert_with(PairedAccumulator::default);
                    paired.add(difference);
                }
            }
        }
    }

    /// Adds another study's accumulators (a shard of the same run).
    pub fn merge(&mut self, other: &Study) {
        for (layout, other_layout) in self.layouts.iter_mut().zip(&other.layouts) {
            for (service, other_service) in layout.services.iter_mut().zip(&other_layout.services) {
                for (scope, other_scope) in service.scopes.iter_mut().zip(&other_service.scopes) {
                    scope.replications += other_scope.replications;
                    scope.sum += other_scope.sum;
                    scope.sum_squares += other_scope.sum_squares;
                    scope.downtime.merge(&other_scope.downtime);
                    scope.outages += other_scope.outages;
                    scope.outage_micros += other_scope.outage_micros;
                    add_each(&mut scope.causes, &other_scope.causes);
                    PairedAccumulator::merge_into(&mut scope.paired, &other_scope.paired);
                }
            }
            for (pool, other_pool) in layout.pools.iter_mut().zip(&other_layout.pools) {
                pool.peak_load.merge(&other_pool.peak_load);
                pool.overload_micros += other_pool.overload_micros;
            }
            if let (Some(score), Some(other_score)) = (&mut layout.score, &other_layout.score) {
                score.replications += other_score.replications;
                score.sum += other_score.sum;
                score.sum_squares += other_score.sum_squares;
                add_each(&mut score.causes, &other_score.causes);
                PairedAccumulator::merge_into(&mut score.paired, &other_score.paired);
            }
        }
    }
}

/// Mean and sample standard deviation from exact sums, in the sums' units.
fn mean_and_deviation(n: u64, sum: f64, sum_squares: f64) -> (f64, f64) {
    let n_f = n as f64;
    let mean = sum / n_f;
    let deviation = if n >= 2 {
        ((sum_squares - sum * mean) / (n_f - 1.0)).max(0.0).sqrt()
    } else {
        0.0
    };
    (mean, deviation)
}

/// The mean paired difference and the half-width of its 95% interval (Student t; `None`
/// with one replication), in the sums' units.
fn paired_mean_and_half_width(paired: &PairedAccumulator) -> (f64, Option<f64>) {
    let n = paired.replications.max(1);
    let (mean, deviation) = mean_and_deviation(n, paired.sum as f64, paired.sum_squares as f64);
    let half = t95(paired.replications).map(|t| t * deviation / (n as f64).sqrt());
    (mean, half)
}

/// The service name of the score's rows in `summary.csv`, `comparison.csv` and `sweep.csv`.
pub const SCORE_SERVICE: &str = "score";

/// One row of `summary.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryRow {
    /// Layout name.
    pub layout: String,
    /// Service name.
    pub service: &'static str,
    /// `all` or a FE pool id.
    pub scope: String,
    /// Replications.
    pub replications: u64,
    /// Mean availability.
    pub availability: f64,
    /// 95% interval of the mean availability (Student t; the rule of three when no
    /// downtime was seen); `None` with one replication.
    pub ci95: Option<(f64, f64)>,
    /// Whether no replication had any downtime (the interval is then 1 − 3/n to 1).
    pub no_downtime_seen: bool,
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
    /// Outages per year.
    pub outages_per_year: f64,
    /// Mean outage length, minutes; `None` without outages.
    pub mean_outage_min: Option<f64>,
}

/// One row of `causes.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CauseRow {
    /// Layout name.
    pub layout: String,
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
    /// The baseline layout.
    pub baseline: String,
    /// Service name.
    pub service: &'static str,
    /// Scope.
    pub scope: String,
    /// Mean paired difference in downtime, minutes per year (negative: less downtime).
    pub delta_downtime_min_per_year: f64,
    /// 95% interval of the paired difference; `None` with one replication.
    pub ci95: Option<(f64, f64)>,
}

/// One layout's score (`summary.csv` rows of service `score`, `summary.json` `scores`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreRow {
    /// Layout name.
    pub layout: String,
    /// Replications.
    pub replications: u64,
    /// Σ weight × users over the layout's services.
    pub weighted_users: f64,
    /// Mean weighted user-minutes lost per year.
    pub score_user_min_per_year: f64,
    /// Its 95% interval (Student t); `None` with one replication or when nothing was lost
    /// in any replication.
    pub ci95: Option<(f64, f64)>,
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
    /// Its 95% interval; `None` with one replication.
    pub ci95: Option<(f64, f64)>,
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
fn minutes_per_year(units: f64) -> f64 {
    units / UNAVAILABILITY_SCALE * MINUTES_PER_YEAR
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
                    rows.push(self.summary_row(&layout.layout, service.service, scope));
                }
            }
        }
        rows
    }

    fn summary_row(&self, layout: &str, service: Service, scope: &ScopeAccumulator) -> SummaryRow {
        let n = scope.replications.max(1);
        let (mean, deviation) = mean_and_deviation(n, scope.sum as f64, scope.sum_squares as f64);
        let availability = 1.0 - mean / UNAVAILABILITY_SCALE;
        let no_downtime_seen = scope.sum == 0;
        let ci95 = t95(scope.replications).map(|t| {
            if no_downtime_seen {
                ((1.0 - 3.0 / n as f64).max(0.0), 1.0)
            } else {
                let half = t * deviation / (n as f64).sqrt() / UNAVAILABILITY_SCALE;
                (
                    (availability - half).max(0.0),
                    (availability + half).min(1.0),
                )
            }
        });
        let percentile = |p: f64| minutes_per_year(scope.downtime.quantile(p).unwrap_or(0) as f64);
        SummaryRow {
            layout: layout.to_string(),
            service: service.name(),
            scope: scope.scope.clone(),
            replications: scope.replications,
            availability,
            ci95,
            no_downtime_seen,
            // `+ 0.0` turns the -0 of an availability of exactly 0 into 0.
            nines: (availability < 1.0).then(|| -libm::log10(1.0 - availability) + 0.0),
            downtime_min_per_year: minutes_per_year(mean),
            downtime_p50: percentile(0.50),
            downtime_p95: percentile(0.95),
            downtime_p99: percentile(0.99),
            outages_per_year: scope.outages as f64 / (n as f64 * self.horizon_years()),
            mean_outage_min: (scope.outages > 0).then(|| {
                scope.outage_micros as f64 / scope.outages as f64 / MICROS_PER_MINUTE as f64
            }),
        }
    }

    /// The rows of `causes.csv`: every cause of every service and scope.
    pub fn causes(&self) -> Vec<CauseRow> {
        let mut rows = Vec::new();
        for layout in &self.layouts {
            for service in &layout.services {
                for scope in &service.scopes {
                    let n = scope.replications.max(1) as f64;
                    for cause in crate::model::metrics::Cause::ALL {
                        rows.push(CauseRow {
                            layout: layout.layout.clone(),
                            service: service.service.name(),
                            scope: scope.scope.clone(),
                            cause: cause.name(),
                            downtime_min_per_year: minutes_per_year(
                                scope.causes[cause as usize] as f64 / n,
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
        let mut rows: Vec<ScoreRow> = self
            .layouts
            .iter()
            .filter_map(|layout| {
                let score = layout.score.as_ref()?;
                let n = score.replications.max(1);
                let (mean, deviation) =
                    mean_and_deviation(n, score.sum as f64, score.sum_squares as f64);
                let ci95 = t95(score.replications).filter(|_| score.sum > 0).map(|t| {
                    let half = t * deviation / (n as f64).sqrt();
                    (
                        user_minutes((mean - half).max(0.0)),
                        user_minutes(mean + half),
                    )
                });
                Some(ScoreRow {
                    layout: layout.layout.clone(),
                    replications: score.replications,
                    weighted_users: score.weighted_users,
                    score_user_min_per_year: user_minutes(mean),
                    ci95,
                    rank: 0,
                    causes: crate::model::metrics::Cause::ALL
                        .iter()
                        .map(|c| {
                            (
                                c.name(),
                                user_minutes(score.causes[*c as usize] as f64 / n as f64),
                            )
                        })
                        .collect(),
                    delta_vs_baseline: score.paired.as_ref().map(|paired| {
                        let (mean, half) = paired_mean_and_half_width(paired);
                        ScoreDelta {
                            user_min_per_year: user_minutes(mean),
                            ci95: half.map(|h| (user_minutes(mean - h), user_minutes(mean + h))),
                        }
                    }),
                })
            })
            .collect();
        let means: Vec<f64> = rows.iter().map(|r| r.score_user_min_per_year).collect();
        for row in &mut rows {
            row.rank = 1 + means
                .iter()
                .filter(|&&m| m < row.score_user_min_per_year)
                .count();
        }
        rows
    }

    /// The rows of `comparison.csv` (empty with one layout).
    pub fn comparison(&self) -> Vec<ComparisonRow> {
        let mut rows = Vec::new();
        let Some(baseline) = self.layouts.first() else {
            return rows;
        };
        for layout in self.layouts.iter().skip(1) {
            for service in &layout.services {
                for scope in &service.scopes {
                    let Some(paired) = &scope.paired else {
                        continue;
                    };
                    let (mean, half) = paired_mean_and_half_width(paired);
                    let ci95 =
                        half.map(|h| (minutes_per_year(mean - h), minutes_per_year(mean + h)));
                    rows.push(ComparisonRow {
                        layout: layout.layout.clone(),
                        baseline: baseline.layout.clone(),
                        service: service.service.name(),
                        scope: scope.scope.clone(),
                        delta_downtime_min_per_year: minutes_per_year(mean),
                        ci95,
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
    use crate::model::metrics::Cause;

    #[test]
    fn means_and_deviations_from_exact_sums() {
        // Values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7.
        let values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let sum: f64 = values.iter().sum();
        let squares: f64 = values.iter().map(|v| v * v).sum();
        let (mean, deviation) = mean_and_deviation(8, sum, squares);
        assert_eq!(mean, 5.0);
        assert!((deviation - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
    }

    /// One site, one FE pool of 1,000 users (300 remote), one Edge pool: the services are
    /// remote access and Edge association. Layout `more-remote` has 600 remote users.
    const SCORED: &str = r#"
name = "scored"
[simulation]
horizon = "365d"
replications = 2
[[sites]]
id = "s"
[[front_end_pools]]
id = "fe"
site = "s"
users = 1000
remote_users = 300
edge_pool = "edge"
[[edge_pools]]
id = "edge"
site = "s"
servers = 2
internal_fqdn = "edge-int.example.com"
external_fqdn = "sip.example.com"
[[dns.remote_access]]
target = "edge"
priority = 10
weight = 100
[objective]
weights = { remote_access = 2, edge_association = 0.5 }
[[layouts]]
name = "base"
[[layouts]]
name = "more-remote"
front_end_pools.fe.remote_users = 600
"#;

    /// A replication in which `remote` remote users are unserved for `remote_minutes`
    /// (all Edge pools down) and all 1,000 users lose media for `media_minutes` (their FE
    /// pool down).
    fn replication(remote: f64, remote_minutes: f64, media_minutes: f64) -> ReplicationResult {
        let tally = |users: f64, minutes: f64, cause: Cause| {
            let mut tally = ServiceTally::default();
            tally.unserved_user_micros[cause as usize] = users * minutes * MICROS_PER_MINUTE as f64;
            tally
        };
        let remote_access = tally(remote, remote_minutes, Cause::AllPoolsDown);
        let media = tally(1000.0, media_minutes, Cause::FrontEndDown);
        ReplicationResult {
            horizon: SimDuration::from_hours(365 * 24),
            services: vec![
                ServiceResult {
                    service: Service::RemoteAccess,
                    weights: vec![remote],
                    per_front_end: vec![remote_access.clone()],
                    all: remote_access,
                },
                ServiceResult {
                    service: Service::EdgeAssociation,
                    weights: vec![1000.0],
                    per_front_end: vec![media.clone()],
                    all: media,
                },
            ],
            edge_pools: vec![Default::default()],
            events: 0,
        }
    }

    fn scored_study() -> Study {
        let loaded = crate::scenario::load_str("scored.toml", SCORED).expect("valid");
        Study::new(&loaded.scenario)
    }

    #[test]
    fn a_score_is_weight_times_users_times_downtime_with_a_hand_computed_interval() {
        let mut study = scored_study();
        // Replication 1: base 2·300·60 + 0.5·1000·30 = 51,000 user-minutes; more-remote
        // 2·600·60 + 15,000 = 87,000. Replication 2: media only, 0.5·1000·120 = 60,000 in
        // both. The horizon is one year, so these are also per year.
        study.add(&[
            replication(300.0, 60.0, 30.0),
            replication(600.0, 60.0, 30.0),
        ]);
        study.add(&[
            replication(300.0, 0.0, 120.0),
            replication(600.0, 0.0, 120.0),
        ]);
        let scores = study.scores();
        let close = |found: f64, expected: f64| {
            assert!(
                (found - expected).abs() <= 1e-6 * expected.abs().max(1.0),
                "{found} ≠ {expected}"
            );
        };
        assert_eq!(study.objective.as_ref().unwrap().reference_users, 1700.0);
        let base = &scores[0];
        assert_eq!(base.weighted_users, 1100.0);
        close(base.score_user_min_per_year, 55_500.0);
        // Values 51,000 and 60,000: s = 9,000/√2, half-width t₀.₉₇₅(1) · s/√2 with
        // t₀.₉₇₅(1) = 12.706204736 (NIST table): 12.706204736 · 4,500 = 57,177.921.
        let (low, high) = base.ci95.unwrap();
        close(low, 0.0);
        close(high, 55_500.0 + 57_177.921_313);
        close(base.causes[Cause::AllPoolsDown as usize].1, 18_000.0);
        close(base.causes[Cause::FrontEndDown as usize].1, 37_500.0);
        assert!(base.delta_vs_baseline.is_none());
        let more = &scores[1];
        close(more.score_user_min_per_year, 73_500.0);
        assert_eq!((base.rank, more.rank), (1, 2));
        // Paired differences 36,000 and 0: mean 18,000, half-width 12.706204736 · 18,000.
        let delta = more.delta_vs_baseline.unwrap();
        close(delta.user_min_per_year, 18_000.0);
        let (low, high) = delta.ci95.unwrap();
        close(low, 18_000.0 - 228_711.685_251);
        close(high, 18_000.0 + 228_711.685_251);
    }

    #[test]
    fn scores_merge_exactly_and_survive_a_part_file() {
        let first = [
            replication(300.0, 60.0, 30.0),
            replication(600.0, 60.0, 30.0),
        ];
        let second = [replication(300.0, 7.0, 0.5), replication(600.0, 0.0, 11.0)];
        let mut whole = scored_study();
        whole.add(&first);
        whole.add(&second);
        let (mut a, mut b) = (scored_study(), scored_study());
        b.add(&second);
        a.add(&first);
        a.merge(&b);
        assert_eq!(a, whole);
        let text = serde_json::to_string(&whole).unwrap();
        let read: Study = serde_json::from_str(&text).unwrap();
        assert_eq!(read, whole);
        assert_eq!(serde_json::to_string(&read).unwrap(), text);
    }

    #[test]
    fn quantising_is_exact_for_simple_fractions() {
        let horizon = SimDuration::from_hours(100);
        // Half a user unserved for the whole horizon over one user: 0.5.
        assert_eq!(
            quantise(0.5 * horizon.as_micros() as f64, 1.0, horizon),
            500_000_000_000_000
        );
        assert_eq!(quantise(1.0, 0.0, horizon), 0);
        assert_eq!(minutes_per_year(UNAVAILABILITY_SCALE), MINUTES_PER_YEAR);
    }
}
