//! Statistics over replications (docs/output.md): exact integer accumulators that fold in any
//! order and merge across shards to the same bits, and the figures derived from them —
//! means with intervals that keep their promise where outages are rare, nines, downtime
//! percentiles, outage rates, downtime by cause, paired differences between layouts, and
//! verdicts that tell material changes from merely significant ones.
//!
//! Each replication's unavailability is quantised to an integer number of 10⁻¹⁵ (far
//! below any availability edgesim reports) before it is summed, so sums and sums of
//! squares are exact `u128`s: a single run, any thread count, and any sharding give the
//! same accumulators, hence byte-identical files.

pub mod histogram;
pub mod interval;
pub mod robust;
pub mod rows;
pub mod student_t;
pub mod verdict;

use serde::{Deserialize, Serialize};

use crate::model::ReplicationResult;
use crate::model::metrics::ServiceTally;
use crate::model::services::ServiceResult;
use crate::time::SimDuration;
use crate::topology::{Materiality, Objective, Scenario, Topology};
use crate::vocabulary::Service;
use crate::vocabulary::{CAUSE_COUNT, Cause};

use histogram::{Histogram, Overflow};
use interval::{Interval, Sample};

pub use rows::{
    CauseRow, ComparisonRow, PoolRow, SCORE_SERVICE, ScoreDelta, ScoreRow, SummaryRow,
    serialize_as_map,
};
pub use verdict::Verdict;

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

/// Exact sums of a non-negative integer quantity over replications: what an interval
/// needs (sums, how many replications carry it, the largest value).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sums {
    /// Replications whose value was not zero.
    pub nonzero: u64,
    /// Σ value.
    pub sum: u128,
    /// Σ value².
    pub sum_squares: u128,
    /// The largest value.
    pub max: u64,
}

impl Sums {
    /// Adds one replication's value.
    pub fn add(&mut self, value: u64) {
        if value > 0 {
            self.nonzero += 1;
        }
        self.sum += u128::from(value);
        self.sum_squares += u128::from(value) * u128::from(value);
        self.max = self.max.max(value);
    }

    /// Adds another shard's sums; `Err` when one would overflow.
    pub fn merge(&mut self, other: &Sums) -> Result<(), Overflow> {
        add_checked(&mut self.nonzero, other.nonzero)?;
        add_checked(&mut self.sum, other.sum)?;
        add_checked(&mut self.sum_squares, other.sum_squares)?;
        self.max = self.max.max(other.max);
        Ok(())
    }

    /// The sample over `replications` replications, for [`interval`].
    pub fn sample(&self, replications: u64) -> Sample {
        Sample::from_sums(
            replications,
            self.nonzero,
            self.sum as f64,
            self.sum_squares as f64,
            self.max as f64,
        )
    }
}

/// Exact sums of a paired difference (this layout − the baseline, replication by
/// replication), its increases and decreases apart: the interval treats them as two
/// non-negative means ([`interval::difference_interval`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedSums {
    /// Replications paired.
    pub replications: u64,
    /// The positive differences.
    pub increases: Sums,
    /// The negative differences, as positive values.
    pub decreases: Sums,
}

impl PairedSums {
    /// Adds one replication's difference.
    pub fn add(&mut self, difference: i128) {
        self.replications += 1;
        let magnitude = u64::try_from(difference.unsigned_abs()).unwrap_or(u64::MAX);
        if difference >= 0 {
            self.increases.add(magnitude);
            self.decreases.add(0);
        } else {
            self.increases.add(0);
            self.decreases.add(magnitude);
        }
    }

    /// Adds another shard's sums; `Err` when one would overflow.
    pub fn merge(&mut self, other: &PairedSums) -> Result<(), Overflow> {
        add_checked(&mut self.replications, other.replications)?;
        self.increases.merge(&other.increases)?;
        self.decreases.merge(&other.decreases)
    }

    /// Adds another shard's sums, if it has any, into `slot`.
    fn merge_into(
        slot: &mut Option<PairedSums>,
        other: &Option<PairedSums>,
    ) -> Result<(), Overflow> {
        match other {
            Some(other) => slot.get_or_insert_with(PairedSums::default).merge(other),
            None => Ok(()),
        }
    }

    /// Replications in which the two layouts differ.
    pub fn differing(&self) -> u64 {
        self.increases.nonzero + self.decreases.nonzero
    }

    /// Whether no replication differed.
    pub fn all_equal(&self) -> bool {
        self.differing() == 0
    }

    /// The mean difference, in the sums' units.
    pub fn mean(&self) -> f64 {
        let n = self.replications.max(1) as f64;
        (self.increases.sum as f64 - self.decreases.sum as f64) / n
    }

    /// The 95% interval of the mean difference in the sums' units, a change being at most
    /// `cap` in one replication.
    pub fn interval(&self, cap: f64) -> Interval {
        interval::difference_interval(
            &self.increases.sample(self.replications),
            &self.decreases.sample(self.replications),
            cap,
            interval::ALPHA,
        )
    }
}

/// The paired differences of one scope against the baseline's: downtime and outages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedAccumulator {
    /// Unavailability, in units of 10⁻¹⁵.
    pub downtime: PairedSums,
    /// Outages.
    pub outages: PairedSums,
}

/// Adds `other`'s sums by cause into `sums`; `Err` when one would overflow.
fn add_each(sums: &mut [u128; CAUSE_COUNT], other: &[u128; CAUSE_COUNT]) -> Result<(), Overflow> {
    for (sum, other_sum) in sums.iter_mut().zip(other) {
        add_checked(sum, *other_sum)?;
    }
    Ok(())
}

/// `*slot += value`, or `Err` when it would overflow: a merged study's counts cannot wrap
/// (a tampered part with a counter near the top used to show as a small number).
fn add_checked<T: num_like::CheckedAdd>(slot: &mut T, value: T) -> Result<(), Overflow> {
    *slot = slot.checked(value).ok_or(Overflow)?;
    Ok(())
}

/// The integers [`add_checked`] adds.
mod num_like {
    /// An integer with a checked addition.
    pub trait CheckedAdd: Sized + Copy {
        /// `self + value`, or `None` on overflow.
        fn checked(self, value: Self) -> Option<Self>;
    }
    impl CheckedAdd for u64 {
        fn checked(self, value: Self) -> Option<Self> {
            self.checked_add(value)
        }
    }
    impl CheckedAdd for u128 {
        fn checked(self, value: Self) -> Option<Self> {
            self.checked_add(value)
        }
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
    /// Per-replication unavailability, in units of 10⁻¹⁵.
    pub unavailability: Sums,
    /// Per-replication unavailability, in units of 10⁻¹⁵, for percentiles.
    pub downtime: Histogram,
    /// Outages seen.
    pub outages: u64,
    /// Time in outage, microseconds.
    pub outage_micros: u128,
    /// Σ unavailability by cause.
    #[serde(with = "cause_sums")]
    pub causes: [u128; CAUSE_COUNT],
    /// The paired differences against the baseline's same service and scope, if it has
    /// one.
    pub paired: Option<PairedAccumulator>,
}

/// One service of one layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccumulator {
    /// The service.
    pub service: Service,
    /// Whether the layout changes nothing the service reads against the baseline
    /// ([`crate::model::inputs`]), so that its difference is zero by construction; never
    /// for the baseline itself.
    #[serde(default)]
    pub unaffected: bool,
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
    /// The assumption it is evaluated under, when the scenario has `[[assumptions]]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumption: Option<String>,
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
    /// Per-replication score, in units of 10⁻¹⁵ reference users over the horizon.
    pub score: Sums,
    /// Σ score by cause.
    #[serde(with = "cause_sums")]
    pub causes: [u128; CAUSE_COUNT],
    /// The paired difference against the baseline's score.
    pub paired: Option<PairedSums>,
    /// Whether the layout changes nothing any weighed service reads and weighs the same
    /// users as the baseline, so that its score is the baseline's by construction.
    #[serde(default)]
    pub unaffected: bool,
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
    /// The thresholds of material change, with the score's resolved when there is an
    /// `[objective]`.
    #[serde(default)]
    pub materiality: Materiality,
    /// The disaster-recovery causes some layout can produce (rules D1, D2), by name:
    /// empty when no layout names a `backup` or a `next_hop`, and then the outputs list
    /// exactly the causes they always did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_causes: Vec<String>,
    /// Each replication's figures of every cell, kept only when the study has
    /// `[[assumptions]]`: the robust choice compares cells under different assumptions
    /// replication by replication ([`robust`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_runs: Option<CellRuns>,
}

/// The figures a robust choice pairs across cells (a layout under an assumption): per
/// replication, for every cell, its quantised unavailability for all users of each
/// service (in [`Service::ALL`] order, 0 where the layout has no such service) and its
/// score (0 without an `[objective]`). Shards hold their own replications; merged, they
/// are in replication order, so any combination of cells has exact paired sums whatever
/// the sharding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellRuns {
    /// Per cell and figure, the first cell whose figure is the same by construction: the
    /// service reads the same inputs ([`crate::model::inputs`]), or, for the score, every
    /// service does and the weights are equal. A sum of cells that cancels once each is
    /// replaced by this one is zero by construction, as an unaffected comparison is.
    #[serde(default)]
    pub same_as: Vec<Vec<usize>>,
    /// One entry per replication added, in replication order.
    pub runs: Vec<CellRun>,
}

/// One replication's figures of every cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellRun {
    /// The replication's index.
    pub replication: u64,
    /// [`CELL_METRICS`] figures per cell, cells in layout order.
    pub figures: Vec<u64>,
}

/// The figures kept per cell and replication: one per service, then the score.
pub const CELL_METRICS: usize = Service::ALL.len() + 1;

impl CellRuns {
    /// The figure of cell `cell` and metric `metric` (a service index, or
    /// [`Service::ALL`]`.len()` for the score) in `run`.
    pub fn figure(run: &CellRun, cell: usize, metric: usize) -> u64 {
        run.figures[cell * CELL_METRICS + metric]
    }

    /// The first cell whose figure `metric` equals cell `cell`'s by construction.
    pub fn representative(&self, cell: usize, metric: usize) -> usize {
        self.same_as.get(cell).map_or(cell, |row| row[metric])
    }

    /// [`CellRuns::same_as`] for the cells of `scenario` with their score setup.
    fn equal_by_construction(
        scenario: &Scenario,
        layouts: &[LayoutAccumulator],
    ) -> Vec<Vec<usize>> {
        let inputs: Vec<Vec<Option<String>>> = scenario
            .layouts
            .iter()
            .map(|topology| {
                let configured: Vec<Service> = topology
                    .configured_services()
                    .into_iter()
                    .map(|(service, _)| service)
                    .collect();
                Service::ALL
                    .into_iter()
                    .map(|service| {
                        configured
                            .contains(&service)
                            .then(|| crate::model::inputs::service_inputs(topology, service))
                    })
                    .collect()
            })
            .collect();
        let factors = |cell: usize| layouts[cell].score.as_ref().map(|s| &s.factors);
        (0..inputs.len())
            .map(|cell| {
                let mut row: Vec<usize> = (0..Service::ALL.len())
                    .map(|metric| {
                        (0..=cell)
                            .find(|&other| {
                                inputs[other][metric].is_some()
                                    && inputs[other][metric] == inputs[cell][metric]
                            })
                            .unwrap_or(cell)
                    })
                    .collect();
                row.push(
                    (0..=cell)
                        .find(|&other| {
                            inputs[other] == inputs[cell] && factors(other) == factors(cell)
                        })
                        .unwrap_or(cell),
                );
                row
            })
            .collect()
    }
}

/// A per-cause array in a part file: the causes in discriminant order, trailing zeros
/// past the first eight left out, so that a study without disaster recovery writes the
/// part it always did and an older part still reads.
mod cause_sums {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::vocabulary::CAUSE_COUNT;

    /// The causes every part has always held.
    const ALWAYS: usize = 8;

    pub fn serialize<S: Serializer>(
        sums: &[u128; CAUSE_COUNT],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let used = sums
            .iter()
            .rposition(|&sum| sum != 0)
            .map_or(0, |last| last + 1)
            .max(ALWAYS);
        sums[..used].serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<[u128; CAUSE_COUNT], D::Error> {
        let read = Vec::<u128>::deserialize(deserializer)?;
        if read.len() < ALWAYS || read.len() > CAUSE_COUNT {
            return Err(serde::de::Error::invalid_length(
                read.len(),
                &"eight to ten per-cause sums",
            ));
        }
        let mut sums = [0; CAUSE_COUNT];
        sums[..read.len()].copy_from_slice(&read);
        Ok(sums)
    }
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
    /// The causes the outputs list, in precedence order: every cause but the
    /// disaster-recovery ones no layout can produce.
    pub fn listed_causes(&self) -> Vec<Cause> {
        Cause::ALL
            .into_iter()
            .filter(|cause| {
                !cause.needs_recovery() || self.recovery_causes.iter().any(|c| c == cause.name())
            })
            .collect()
    }

    /// The layout that layout `index` is compared with: the first under the same
    /// assumption (the first of all without assumptions).
    pub fn baseline_of(&self, index: usize) -> usize {
        let assumption = &self.layouts[index].assumption;
        self.layouts
            .iter()
            .position(|layout| &layout.assumption == assumption)
            .unwrap_or(0)
    }

    /// Whether the study evaluates its layouts under `[[assumptions]]`.
    pub fn has_assumptions(&self) -> bool {
        self.layouts
            .iter()
            .any(|layout| layout.assumption.is_some())
    }

    /// Empty accumulators for every layout of `scenario`.
    pub fn new(scenario: &Scenario) -> Self {
        let baseline_of = |topology: &Topology| {
            scenario
                .layouts
                .iter()
                .position(|t| t.assumption == topology.assumption)
                .unwrap_or(0)
        };
        let layouts = scenario
            .layouts
            .iter()
            .enumerate()
            .map(|(index, topology)| LayoutAccumulator {
                layout: topology.layout_name.clone(),
                assumption: topology.assumption.clone(),
                services: topology
                    .configured_services()
                    .into_iter()
                    .map(|(service, _)| {
                        let mut scopes = vec!["all".to_string()];
                        if service.per_user() {
                            scopes.extend(topology.front_end_pools.iter().map(|p| p.id.clone()));
                        }
                        let base = &scenario.layouts[baseline_of(topology)];
                        let unaffected = index != baseline_of(topology)
                            && crate::model::inputs::service_inputs(base, service)
                                == crate::model::inputs::service_inputs(topology, service);
                        ServiceAccumulator {
                            service,
                            unaffected,
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
            materiality: scenario.materiality.clone(),
            recovery_causes: Cause::ALL
                .into_iter()
                .filter(|&cause| scenario.layouts.iter().any(|t| t.may_cause(cause)))
                .filter(|cause| cause.needs_recovery())
                .map(|cause| cause.name().to_string())
                .collect(),
            cell_runs: scenario
                .layouts
                .iter()
                .any(|t| t.assumption.is_some())
                .then(CellRuns::default),
        };
        if let Some(objective) = &scenario.objective {
            study.set_objective(scenario, objective);
        }
        if let Some(runs) = &mut study.cell_runs {
            runs.same_as = CellRuns::equal_by_construction(scenario, &study.layouts);
        }
        study
    }

    /// Sets up the score of every layout from each service's weight × the users it
    /// concerns ([`Objective::weighted_users`]), and the score's materiality.
    fn set_objective(&mut self, scenario: &Scenario, objective: &Objective) {
        let weighted: Vec<Vec<f64>> = scenario
            .layouts
            .iter()
            .map(|topology| objective.weighted_users(topology))
            .collect();
        let totals: Vec<f64> = weighted.iter().map(|w| w.iter().sum()).collect();
        let reference_users = totals.iter().copied().fold(0.0, f64::max);
        for ((layout, weighted), total) in self.layouts.iter_mut().zip(&weighted).zip(totals) {
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
        // A layout's score is the baseline's by construction when it weighs the same
        // services by the same factors and each of them is unaffected.
        for index in 0..self.layouts.len() {
            let base = self.baseline_of(index);
            if base == index {
                continue;
            }
            let (before, after) = self.layouts.split_at_mut(index);
            let (baseline, layout) = (&before[base], &mut after[0]);
            let base_services: Vec<Service> = baseline.services.iter().map(|s| s.service).collect();
            let base_factors = baseline.score.as_ref().map(|s| s.factors.clone());
            {
                let services: Vec<Service> = layout.services.iter().map(|s| s.service).collect();
                if let Some(score) = &mut layout.score {
                    let weighed_unaffected = layout
                        .services
                        .iter()
                        .zip(&score.factors)
                        .all(|(service, &factor)| service.unaffected || factor == 0.0);
                    score.unaffected = services == base_services
                        && base_factors.as_ref() == Some(&score.factors)
                        && weighed_unaffected;
                }
            }
        }
        // The default threshold of the score: the services' threshold for all the users
        // of the service that weighs most.
        if self.materiality.score_user_min_per_year.is_none() {
            let largest = scenario
                .layouts
                .iter()
                .zip(&weighted)
                .flat_map(|(topology, weighted)| {
                    topology
                        .configured_services()
                        .into_iter()
                        .zip(weighted.iter().copied())
                        .map(|((service, _), users)| users * self.materiality.downtime(service))
                        .collect::<Vec<f64>>()
                })
                .fold(0.0, f64::max);
            self.materiality.score_user_min_per_year = Some(largest);
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

    /// Layout `index`'s score in one replication's `result`, in the units [`Study::add`]
    /// sums (10⁻¹⁵ of the reference users over the horizon); `None` without an
    /// `[objective]`.
    pub fn score_of(&self, index: usize, result: &ReplicationResult) -> Option<u64> {
        self.score_of_figures(index, &self.figures(result))
    }

    /// [`Study::score_of`] from the replication's [`Study::figures`], for a caller that
    /// needs those too.
    pub fn score_of_figures(
        &self,
        index: usize,
        figures: &[(Service, Vec<RunFigure>)],
    ) -> Option<u64> {
        let score = self.layouts[index].score.as_ref()?;
        Some(weigh(
            &score.factors,
            figures.iter().map(|(_, f)| f[0].unavailability as f64),
        ))
    }

    /// The most a score of layout `index` can be in one replication: every weighed
    /// service down for the whole horizon.
    pub fn score_cap(&self, index: usize) -> f64 {
        self.layouts[index].score.as_ref().map_or(0.0, |s| {
            s.factors.iter().sum::<f64>() * UNAVAILABILITY_SCALE
        })
    }

    /// Score units as weighted user-minutes per year.
    pub fn score_user_minutes(&self, units: f64) -> f64 {
        rows::minutes_per_year(units) * self.objective.as_ref().map_or(0.0, |o| o.reference_users)
    }

    /// Adds replication `replication`: `results` holds each layout's result, in layout
    /// order.
    pub fn add(&mut self, replication: u64, results: &[ReplicationResult]) {
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
                    scope.replications += 1;
                    scope.unavailability.add(figure.unavailability);
                    scope.downtime.record(figure.unavailability);
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
                score.score.add(q);
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
        self.add_cell_run(replication, &figures, &scores);
    }

    /// Keeps this replication's figures of every cell, when the study has assumptions.
    fn add_cell_run(
        &mut self,
        replication: u64,
        figures: &[Vec<(Service, Vec<RunFigure>)>],
        scores: &[Option<u64>],
    ) {
        let Some(cell_runs) = &mut self.cell_runs else {
            return;
        };
        let mut row = vec![0; figures.len() * CELL_METRICS];
        for (cell, (layout_figures, score)) in figures.iter().zip(scores).enumerate() {
            let at = cell * CELL_METRICS;
            for (service, service_figures) in layout_figures {
                row[at + service.index()] = service_figures[0].unavailability;
            }
            row[at + Service::ALL.len()] = score.unwrap_or(0);
        }
        cell_runs.runs.push(CellRun {
            replication,
            figures: row,
        });
    }

    /// The paired differences of each layout's score against the baseline's.
    fn add_score_pairs(&mut self, scores: &[Option<u64>]) {
        for index in 0..self.layouts.len() {
            let base = self.baseline_of(index);
            let (Some(baseline), true) = (scores[base], base != index) else {
                continue;
            };
            let (layout, score) = (&mut self.layouts[index], &scores[index]);
            if let (Some(accumulator), Some(score)) = (&mut layout.score, score) {
                let difference = i128::from(*score) - i128::from(baseline);
                accumulator
                    .paired
                    .get_or_insert_with(PairedSums::default)
                    .add(difference);
            }
        }
    }

    /// Paired differences against the baseline: the same service and scope name, in the
    /// same replication (so the common random numbers cancel).
    fn add_pairs(&mut self, figures: &[Vec<(Service, Vec<RunFigure>)>]) {
        for index in 0..self.layouts.len() {
            let base = self.baseline_of(index);
            if base == index {
                continue;
            }
            let baseline_figures = &figures[base];
            let layout_figures = &figures[index];
            let (before, after) = self.layouts.split_at_mut(index);
            let (baseline, layout) = (&before[base], &mut after[0]);
            for (accumulator, (_, service_figures)) in
                layout.services.iter_mut().zip(layout_figures)
            {
                let Some(position) = baseline
                    .services
                    .iter()
                    .position(|s| s.service == accumulator.service)
                else {
                    continue;
                };
                let baseline_scopes = &baseline.services[position].scopes;
                let baseline_service = &baseline_figures[position].1;
                for (scope, figure) in accumulator.scopes.iter_mut().zip(service_figures) {
                    let Some(index) = baseline_scopes.iter().position(|s| s.scope == scope.scope)
                    else {
                        continue;
                    };
                    let base = &baseline_service[index];
                    let paired = scope.paired.get_or_insert_with(PairedAccumulator::default);
                    paired
                        .downtime
                        .add(i128::from(figure.unavailability) - i128::from(base.unavailability));
                    paired
                        .outages
                        .add(i128::from(figure.outages) - i128::from(base.outages));
                }
            }
        }
    }

    /// Whether `other` accumulates the same things as this study: the same horizon,
    /// layouts, services, scopes, Edge pools, unaffected services, score setup and
    /// materiality (the shards of one run always do).
    pub fn same_shape(&self, other: &Study) -> bool {
        let layouts_match = self.layouts.len() == other.layouts.len()
            && self.layouts.iter().zip(&other.layouts).all(|(a, b)| {
                a.layout == b.layout
                    && a.assumption == b.assumption
                    && a.services.len() == b.services.len()
                    && a.services.iter().zip(&b.services).all(|(x, y)| {
                        x.service == y.service
                            && x.unaffected == y.unaffected
                            && x.scopes.len() == y.scopes.len()
                            && x.scopes
                                .iter()
                                .zip(&y.scopes)
                                .all(|(p, q)| p.scope == q.scope)
                    })
                    && a.pools.len() == b.pools.len()
                    && a.pools
                        .iter()
                        .zip(&b.pools)
                        .all(|(p, q)| p.edge_pool == q.edge_pool && p.capacity == q.capacity)
                    && match (&a.score, &b.score) {
                        (None, None) => true,
                        (Some(x), Some(y)) => {
                            x.factors == y.factors
                                && x.weighted_users == y.weighted_users
                                && x.unaffected == y.unaffected
                        }
                        _ => false,
                    }
            });
        layouts_match
            && self.cell_runs.is_some() == other.cell_runs.is_some()
            && self.horizon_micros == other.horizon_micros
            && self.objective == other.objective
            && self.materiality == other.materiality
    }

    /// Adds another study's accumulators (a shard of the same run); `Err` when a count or
    /// sum would overflow (the study is then partly merged and must be discarded).
    pub fn merge(&mut self, other: &Study) -> Result<(), Overflow> {
        for (layout, other_layout) in self.layouts.iter_mut().zip(&other.layouts) {
            for (service, other_service) in layout.services.iter_mut().zip(&other_layout.services) {
                for (scope, other_scope) in service.scopes.iter_mut().zip(&other_service.scopes) {
                    add_checked(&mut scope.replications, other_scope.replications)?;
                    scope.unavailability.merge(&other_scope.unavailability)?;
                    scope.downtime.merge(&other_scope.downtime)?;
                    add_checked(&mut scope.outages, other_scope.outages)?;
                    add_checked(&mut scope.outage_micros, other_scope.outage_micros)?;
                    add_each(&mut scope.causes, &other_scope.causes)?;
                    if let Some(other_paired) = &other_scope.paired {
                        let paired = scope.paired.get_or_insert_with(PairedAccumulator::default);
                        paired.downtime.merge(&other_paired.downtime)?;
                        paired.outages.merge(&other_paired.outages)?;
                    }
                }
            }
            for (pool, other_pool) in layout.pools.iter_mut().zip(&other_layout.pools) {
                pool.peak_load.merge(&other_pool.peak_load)?;
                add_checked(&mut pool.overload_micros, other_pool.overload_micros)?;
            }
            if let (Some(score), Some(other_score)) = (&mut layout.score, &other_layout.score) {
                add_checked(&mut score.replications, other_score.replications)?;
                score.score.merge(&other_score.score)?;
                add_each(&mut score.causes, &other_score.causes)?;
                PairedSums::merge_into(&mut score.paired, &other_score.paired)?;
            }
        }
        if let (Some(runs), Some(other_runs)) = (&mut self.cell_runs, &other.cell_runs) {
            runs.runs.extend(other_runs.runs.iter().cloned());
            runs.runs.sort_by_key(|run| run.replication);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MICROS_PER_MINUTE;
    use crate::vocabulary::Cause;

    #[test]
    fn means_and_variances_from_exact_sums() {
        // Values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7, so the variance of
        // the mean is 32/7/8 = 4/7; seven are not zero, the largest is 9.
        let mut sums = Sums::default();
        for value in [2, 4, 4, 4, 5, 5, 7, 9, 0] {
            sums.add(value);
        }
        let sample = sums.sample(9);
        assert_eq!((sample.nonzero, sample.max), (8, 9.0));
        let values = [2u64, 4, 4, 4, 5, 5, 7, 9];
        let mut eight = Sums::default();
        values.iter().for_each(|&v| eight.add(v));
        let sample = eight.sample(8);
        assert_eq!(sample.mean(), 5.0);
        assert!((sample.variance_of_mean() - 4.0 / 7.0).abs() < 1e-12);
        // A paired difference keeps its increases and decreases apart.
        let mut paired = PairedSums::default();
        for difference in [3i128, 0, -2, 5, 0] {
            paired.add(difference);
        }
        assert_eq!(paired.differing(), 3);
        assert_eq!(paired.mean(), 6.0 / 5.0);
        assert_eq!((paired.increases.max, paired.decreases.max), (5, 2));
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
            tally.unserved_user_micros[cause.index()] = users * minutes * MICROS_PER_MINUTE as f64;
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
            stopped: None,
        }
    }

    fn scored_study() -> Study {
        let loaded = crate::scenario::load_str("scored.toml", SCORED).expect("valid");
        Study::new(&loaded.scenario)
    }

    #[test]
    fn a_score_is_weight_times_users_times_downtime_with_honest_bounds_from_two_replications() {
        let mut study = scored_study();
        // Replication 1: base 2·300·60 + 0.5·1000·30 = 51,000 user-minutes; more-remote
        // 2·600·60 + 15,000 = 87,000. Replication 2: media only, 0.5·1000·120 = 60,000 in
        // both. The horizon is one year, so these are also per year.
        study.add(
            0,
            &[
                replication(300.0, 60.0, 30.0),
                replication(600.0, 60.0, 30.0),
            ],
        );
        study.add(
            1,
            &[
                replication(300.0, 0.0, 120.0),
                replication(600.0, 0.0, 120.0),
            ],
        );
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
        // Two replications lost something: fewer than five carry the score, so it gets a
        // bound from the rate of replications with a loss (2 of 2: at most all of them)
        // times the most one can lose, 1,100 weighted users all year: 578,160,000.
        assert_eq!(base.with_loss, 2);
        assert_eq!(base.interval.kind(), "bounds");
        let (low, high) = base.ci95.unwrap();
        close(low, 0.0);
        close(high, 1100.0 * 525_600.0);
        assert_eq!(base.replications_needed, Some(5));
        close(base.causes[Cause::AllPoolsDown.index()].1, 18_000.0);
        close(base.causes[Cause::FrontEndDown.index()].1, 37_500.0);
        assert!(base.delta_vs_baseline.is_none());
        let more = &scores[1];
        close(more.score_user_min_per_year, 73_500.0);
        assert_eq!((base.rank, more.rank), (1, 2));
        // Paired differences 36,000 and 0: one replication differs. The bounds are the
        // Clopper–Pearson rates at 97.5% each, worse in 1 of 2 (1 − p² = 0.025, p = √0.975)
        // and better in 0 of 2 ((1 − p)² = 0.025, p = 1 − √0.025), times the most a change
        // can be, 1,700 weighted users all year.
        let delta = more.delta_vs_baseline.unwrap();
        close(delta.user_min_per_year, 18_000.0);
        assert_eq!(delta.differing, 1);
        assert_eq!(delta.verdict, Verdict::TooFewDiffer);
        let (low, high) = delta.ci95.unwrap();
        let most = 1700.0 * 525_600.0;
        close(low, -(1.0 - 0.025f64.sqrt()) * most);
        close(high, 0.975f64.sqrt() * most);
    }

    #[test]
    fn scores_merge_exactly_and_survive_a_part_file() {
        let first = [
            replication(300.0, 60.0, 30.0),
            replication(600.0, 60.0, 30.0),
        ];
        let second = [replication(300.0, 7.0, 0.5), replication(600.0, 0.0, 11.0)];
        let mut whole = scored_study();
        whole.add(0, &first);
        whole.add(1, &second);
        let (mut a, mut b) = (scored_study(), scored_study());
        b.add(1, &second);
        a.add(0, &first);
        a.merge(&b).unwrap();
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
        assert_eq!(
            rows::minutes_per_year(UNAVAILABILITY_SCALE),
            MINUTES_PER_YEAR
        );
    }
}
