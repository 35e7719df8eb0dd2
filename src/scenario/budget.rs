//! What a layout may cost before it runs (docs/scenario.md, "Limits"): two budgets, each
//! far above any real deployment, that refuse a file whose failures would make a study
//! take hours, with the reason. The model itself also stops a replication that passes a
//! hard cap on events (see `model::event_cap`), so no file, whatever these estimates miss,
//! can make a run do unbounded work.
//!
//! - **State changes**: components fail and are repaired `2 ÷ (mean time to failure + mean
//!   time to repair)` times per simulated year each.
//! - **Client walks**: remote users whom no Edge pool answers walk the SRV list again after
//!   each `retry`, for as long as nothing answers, in at least [`COHORTS_PER_GROUP`]
//!   cohorts. Servers that fail every second and are repaired in hours, or repairs that
//!   never end (a log-normal of `mu = 700`), leave every pool down for most of the horizon,
//!   and the cohorts then walk millions of times a year.

use super::decode::Findings;
use crate::distribution::Distribution;
use crate::time::{MICROS_PER_HOUR, SimDuration};
use crate::topology::{COHORTS_PER_GROUP, FailureProcess, FrontEndPoolIndex, Topology};

/// The most component state changes (failures and repairs) a scenario may expect per
/// simulated year (docs/scenario.md): far above any real deployment (one change every
/// five minutes), far below what would make a study take hours.
pub const MAX_STATE_CHANGES_PER_YEAR: f64 = 100_000.0;

/// The most walks of the SRV list the remote users of one FE pool may be expected to make
/// per simulated year because failures leave no Edge pool to answer them (docs/scenario.md):
/// with the default timers and two SRV targets, their users finding nothing for about 46%
/// of the year. A real
/// deployment makes a handful.
pub const MAX_CLIENT_WALKS_PER_YEAR: f64 = 1_000_000.0;

/// Points of the midpoint rule that averages a time-to-failure distribution's share below
/// `t` over the horizon: a work estimate needs no more.
const HORIZON_POINTS: usize = 256;

/// Refuses `topology` if its expected state changes or client walks per simulated year
/// pass their budgets; `horizon` is the scenario's.
pub fn check(topology: &Topology, horizon: SimDuration, findings: &mut Findings) {
    check_state_changes(topology, findings);
    check_client_walks(topology, horizon, findings);
}

/// Each failing component changes state twice per cycle of mean time to failure plus
/// mean time to repair; refuses scenarios whose expected changes per simulated year pass
/// [`MAX_STATE_CHANGES_PER_YEAR`], naming the component that contributes most.
fn check_state_changes(topology: &Topology, findings: &mut Findings) {
    let per_year = |process: &FailureProcess| -> f64 {
        let (Some(up), Some(down)) = (
            process.time_to_failure.mean_hours(),
            process.time_to_repair.mean_hours(),
        ) else {
            return 0.0;
        };
        if up + down <= 0.0 {
            return f64::INFINITY;
        }
        2.0 * 8_760.0 / (up + down)
    };
    let mut total = 0.0;
    let mut largest = (0.0, String::new());
    let mut add = |count: f64, rate: f64, what: String| {
        total += count * rate;
        if count * rate > largest.0 {
            largest = (count * rate, what);
        }
    };
    for site in &topology.sites {
        add(1.0, per_year(&site.failure), format!("site {}", site.id));
    }
    for pool in &topology.front_end_pools {
        add(
            1.0,
            per_year(&pool.failure),
            format!("Front End pool {}", pool.id),
        );
    }
    for pool in &topology.edge_pools {
        add(
            1.0,
            per_year(&pool.pool_failure),
            format!("Edge pool {}", pool.id),
        );
        add(
            f64::from(pool.servers),
            per_year(&pool.server_failure),
            format!("the {} servers of {}", pool.servers, pool.id),
        );
    }
    if total > MAX_STATE_CHANGES_PER_YEAR {
        findings.error(
            "failures",
            None,
            format!(
                "components would fail and be repaired about {:.0} times per simulated year \
                 ({:.0} of them {}); the budget is {MAX_STATE_CHANGES_PER_YEAR:.0}, beyond which a \
                 study takes hours and the model's assumptions (failures rare against repairs) no longer hold",
                total, largest.0, largest.1
            ),
            "check the units of time_to_failure (\"1y\", not \"1s\") and time_to_repair",
        );
    }
}

/// The share of the horizon a component failing by `process` is expected to be down, as
/// far as a work estimate needs: its long-run share, mean repair ÷ (mean time to failure
/// plus mean repair), but never more than the mean share of the horizon after its first
/// failure, which is what bounds it when repairs outlast the horizon (a site lost for a
/// century in a one-year study is down for a fortieth of it, not five sixths).
pub fn down_share(process: &FailureProcess, horizon: SimDuration) -> f64 {
    let Some(up_hours) = process.time_to_failure.mean_hours() else {
        return 0.0;
    };
    let long_run = match process.time_to_repair.mean_hours() {
        None => 1.0,
        Some(down_hours) => {
            let share = down_hours / (up_hours + down_hours);
            if share.is_finite() { share } else { 1.0 }
        }
    };
    long_run
        .min(share_after_first_failure(&process.time_to_failure, horizon))
        .clamp(0.0, 1.0)
}

/// The mean over the horizon of the share of draws of `time_to_failure` below `t`: the
/// expected share of the horizon after a first failure.
fn share_after_first_failure(time_to_failure: &Distribution, horizon: SimDuration) -> f64 {
    let horizon_hours = horizon.as_micros() as f64 / MICROS_PER_HOUR as f64;
    let step = horizon_hours / HORIZON_POINTS as f64;
    let sum: f64 = (0..HORIZON_POINTS)
        .map(|point| time_to_failure.share_below((point as f64 + 0.5) * step))
        .sum();
    sum / HORIZON_POINTS as f64
}

/// Each component's expected share of the horizon up ([`down_share`]), computed once
/// per layout.
pub struct UpShares {
    sites: Vec<f64>,
    front_end_pools: Vec<f64>,
    /// Edge pools, given their site is up: the pool is, and at least one server.
    edge_pools: Vec<f64>,
}

impl UpShares {
    /// The shares of every component of `topology` over `horizon`.
    pub fn new(topology: &Topology, horizon: SimDuration) -> Self {
        let up = |process: &FailureProcess| 1.0 - down_share(process, horizon);
        UpShares {
            sites: topology
                .sites
                .iter()
                .map(|site| up(&site.failure))
                .collect(),
            front_end_pools: topology
                .front_end_pools
                .iter()
                .map(|pool| up(&pool.failure))
                .collect(),
            edge_pools: topology
                .edge_pools
                .iter()
                .map(|pool| {
                    let all_servers_down =
                        (1.0 - up(&pool.server_failure)).powi(pool.servers as i32);
                    up(&pool.pool_failure) * (1.0 - all_servers_down)
                })
                .collect(),
        }
    }

    /// The expected share of the horizon during which FE pool `front_end` is up and none
    /// of the remote-access targets its firewall lets it reach is up: its desktop users
    /// are then all unserved and walk. Sites fail independently; within an up site, pools
    /// and servers do too.
    pub fn nothing_answers(&self, topology: &Topology, front_end: FrontEndPoolIndex) -> f64 {
        let pool = &topology.front_end_pools[front_end.index()];
        // Per site: the chance that none of its reachable targets is up, given it is up.
        let mut none_up_in_site = vec![1.0; topology.sites.len()];
        for record in topology.dns.remote_access_for(front_end).records() {
            if topology.firewall.allows(front_end, record.target) {
                let site = topology.edge_pools[record.target.index()].site.index();
                none_up_in_site[site] *= 1.0 - self.edge_pools[record.target.index()];
            }
        }
        let mut share = self.front_end_pools[front_end.index()];
        for (site, (site_up, none_up)) in self.sites.iter().zip(&none_up_in_site).enumerate() {
            share *= if site == pool.site.index() {
                // The FE pool is up only while its own site is.
                site_up * none_up
            } else {
                (1.0 - site_up) + site_up * none_up
            };
        }
        share
    }
}

/// The mean time, in seconds, between two walks of a cohort of FE pool `front_end` that
/// nothing answers: its `retry` wait and a `connect_timeout` per target it walks (one
/// under geo-DNS, rule G1). `None` when such cohorts never walk again (`retry = "0s"`
/// waits for an Edge pool to change; a retry or timeout that never ends).
pub fn walk_cycle_seconds(topology: &Topology, front_end: FrontEndPoolIndex) -> Option<f64> {
    let clients = &topology.clients;
    if clients.retry == Distribution::Fixed(SimDuration::ZERO) {
        return None;
    }
    let retry = clients.retry.mean_hours()?;
    let timeout = clients.connect_timeout.mean_hours()?;
    let targets = match topology.dns.region_of(front_end) {
        Some(region) if region.answer != crate::topology::RegionAnswer::Srv => 1.0,
        _ => topology.dns.remote_access_for(front_end).records().len() as f64,
    };
    Some((retry + targets * timeout) * 3_600.0)
}

/// Refuses a layout in which the remote users of a FE pool would be expected to walk the
/// SRV list more than [`MAX_CLIENT_WALKS_PER_YEAR`] times per simulated year because
/// failures leave no Edge pool to answer them: [`COHORTS_PER_GROUP`] cohorts (one displaced
/// group; more groups only add walks) × the share of time nothing answers × a year ÷ the
/// walk cycle. Names the FE pool that walks most.
///
/// The budget is per FE pool, so it bounds each pool's walks whatever the layout's size;
/// with the state-change budget it also bounds the walks of groups split by pools that
/// come back briefly: a pool that is up only moments at a time (so that cohorts reach it
/// and lose it again) must be down nearly all the time within that budget, which this one
/// refuses. Users walking because Edge capacity is short are not counted: that is a
/// planner's question, and bounded by the model's cap on events.
fn check_client_walks(topology: &Topology, horizon: SimDuration, findings: &mut Findings) {
    if topology.clients.mobile_share >= 1.0 {
        // Mobile users wait for their associated pool; they never walk (F2).
        return;
    }
    let up_shares = UpShares::new(topology, horizon);
    let mut most: Option<(f64, usize, f64, f64)> = None;
    for (index, pool) in topology.front_end_pools.iter().enumerate() {
        let front_end = FrontEndPoolIndex(index as u32);
        let Some(cycle_seconds) = walk_cycle_seconds(topology, front_end) else {
            return;
        };
        let reaches_a_target = topology
            .dns
            .remote_access_for(front_end)
            .records()
            .iter()
            .any(|record| topology.firewall.allows(front_end, record.target));
        if pool.remote_users == 0 || !reaches_a_target {
            // Users the firewall blocks from every target walk once and stop.
            continue;
        }
        // Walks per year of this FE pool's cohorts.
        let share = up_shares.nothing_answers(topology, front_end);
        let walks = share * COHORTS_PER_GROUP as f64 * 8_760.0 * 3_600.0 / cycle_seconds;
        if most.is_none_or(|(largest, ..)| walks > largest) {
            most = Some((walks, index, share, cycle_seconds));
        }
    }
    let Some((walks, index, share, cycle_seconds)) = most else {
        return;
    };
    if walks > MAX_CLIENT_WALKS_PER_YEAR {
        findings.error(
            "failures",
            None,
            format!(
                "the remote users of Front End pool {} would find every Edge pool they may use \
                 down for about {:.0}% of the time (by the failure and repair times alone), and \
                 walk the SRV list again every {:.0} s on average (clients.retry and a \
                 connect_timeout per target) in at least {COHORTS_PER_GROUP} cohorts: about \
                 {walks:.0} walks per simulated year. The budget is {MAX_CLIENT_WALKS_PER_YEAR:.0} \
                 per FE pool: beyond it a replication spends its time on walks that change \
                 nothing, and failures are no longer rare against repairs, as the model assumes",
                topology.front_end_pools[index].id,
                share * 100.0,
                cycle_seconds,
            ),
            "check time_to_failure and time_to_repair of servers, Edge pools and sites: a unit \
             (\"1y\", not \"1s\"), or a repair that never ends (a log-normal mu is the log of \
             hours: mu = 700 is a mean of 10^304 hours)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(time_to_failure: Distribution, time_to_repair: Distribution) -> FailureProcess {
        FailureProcess {
            time_to_failure,
            time_to_repair,
        }
    }

    fn hours(h: u64) -> SimDuration {
        SimDuration::from_micros(h * MICROS_PER_HOUR)
    }

    const YEAR_HOURS: u64 = 8_760;

    #[test]
    fn long_run_share_is_repair_over_cycle() {
        // 4 h repairs of a server failing about once a year: 4 / 8,764 of the time down.
        let share = down_share(
            &process(
                Distribution::Exponential {
                    mean: hours(YEAR_HOURS),
                },
                Distribution::Fixed(hours(4)),
            ),
            hours(YEAR_HOURS),
        );
        assert!((share - 4.0 / 8_764.0).abs() < 1e-12, "{share}");
    }

    #[test]
    fn repairs_that_never_end_are_down_after_the_first_failure() {
        // Exponential failures of mean 30 days that are never repaired: down from the first
        // failure on, 1 − (30/365)(1 − e^(−365/30)) of a year on average.
        let never_repaired = down_share(
            &process(
                Distribution::Exponential {
                    mean: hours(30 * 24),
                },
                Distribution::LogNormal {
                    mu_ln_hours: 700.0,
                    sigma: 1.0,
                },
            ),
            hours(YEAR_HOURS),
        );
        let expected = 1.0 - 30.0 / 365.0 * (1.0 - (-365.0f64 / 30.0).exp());
        assert!(
            (never_repaired - expected).abs() < 1e-4,
            "{never_repaired} vs {expected}"
        );
        // Never repaired at all is the same.
        let never = down_share(
            &process(
                Distribution::Exponential {
                    mean: hours(30 * 24),
                },
                Distribution::Never,
            ),
            hours(YEAR_HOURS),
        );
        assert!((never - expected).abs() < 1e-4);
    }

    #[test]
    fn a_long_loss_in_a_short_horizon_counts_only_the_horizon() {
        // A site lost every 20 years for a century: in one year it is down about
        // (1/2)(1/20) of the time (exponential first failure), not 100/120.
        let share = down_share(
            &process(
                Distribution::Exponential {
                    mean: hours(20 * YEAR_HOURS),
                },
                Distribution::Fixed(hours(100 * YEAR_HOURS)),
            ),
            hours(YEAR_HOURS),
        );
        let expected = 1.0 - 20.0 * (1.0 - (-1.0f64 / 20.0).exp());
        assert!((share - expected).abs() < 1e-5, "{share} vs {expected}");
    }

    #[test]
    fn components_that_never_fail_are_never_down() {
        assert_eq!(down_share(&FailureProcess::NEVER, hours(YEAR_HOURS)), 0.0);
    }

    #[test]
    fn nothing_answers_when_the_own_site_is_up_and_every_reachable_pool_is_down() {
        // Two sites, one two-server Edge pool each, both remote-access targets; fe-east at
        // east. By hand: fe-east up (its pool and its site), edge-east down given east up,
        // and west down or edge-west down given west up.
        let text = include_str!("../../tests/valid-base.toml").replace(
            "[failures]\n",
            "[failures]\nsite = { time_to_failure = \"10y\", time_to_repair = \"3d\" }\n\
             edge_pool = { time_to_failure = \"200d\", time_to_repair = \"2h\" }\n\
             front_end_pool = { time_to_failure = \"2y\", time_to_repair = \"2h\" }\n",
        );
        let loaded = crate::scenario::load_str("two-sites.toml", &text).expect("valid");
        let topology = &loaded.scenario.layouts[0];
        let horizon = loaded.scenario.simulation.horizon;
        let cycle = |up_hours: f64, down_hours: f64| down_hours / (up_hours + down_hours);
        let site_down = cycle(87_600.0, 72.0);
        let pool_down = cycle(4_800.0, 2.0);
        let server_down = cycle(8_760.0, 4.0);
        let front_end_down = cycle(17_520.0, 2.0);
        let edge_up = (1.0 - pool_down) * (1.0 - server_down * server_down);
        let expected = (1.0 - front_end_down)
            * (1.0 - site_down)
            * (1.0 - edge_up)
            * (site_down + (1.0 - site_down) * (1.0 - edge_up));
        let shares = UpShares::new(topology, horizon);
        let got = shares.nothing_answers(topology, FrontEndPoolIndex(0));
        assert!((got / expected - 1.0).abs() < 1e-9, "{got} vs {expected}");
    }
}
