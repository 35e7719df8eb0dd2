//! The hard cap on one replication's work (docs/scenario.md, "Limits"). The scenario's
//! budgets refuse the files whose failures would make a study take hours before anything
//! runs; this cap is what bounds the work of any file whatever those estimates miss (for
//! example remote users split into ever smaller groups by pools that come back for a
//! second at a time): a replication that passes it stops, and the run fails with the
//! reason instead of running for hours.

use crate::time::{MICROS_PER_YEAR, SimDuration, human};
use crate::topology::Topology;

/// Events a replication may process per simulated year for each FE pool with remote
/// users, and once more for everything else: over three times what remote users cost
/// when Edge capacity is short all year (about 1.5 million events per FE pool-year), and
/// hundreds of times what the shipped scenarios take (at most 12,000).
pub const MAX_EVENTS_PER_POOL_YEAR: u64 = 25_000_000;

/// The most events a replication of `topology` over `horizon` may process:
/// [`MAX_EVENTS_PER_POOL_YEAR`] × (FE pools with remote users + 1) × the horizon in years
/// (rounded up).
pub fn event_cap(topology: &Topology, horizon: SimDuration) -> u64 {
    let pools = topology
        .front_end_pools
        .iter()
        .filter(|pool| pool.remote_users > 0)
        .count() as u64;
    let years = horizon.as_micros().div_ceil(MICROS_PER_YEAR).max(1);
    MAX_EVENTS_PER_POOL_YEAR
        .saturating_mul(pools + 1)
        .saturating_mul(years)
}

/// Why and where a replication stopped before its horizon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// The simulated time it reached.
    pub at: SimDuration,
    /// The events it had processed: more than the cap.
    pub events: u64,
    /// The cap ([`event_cap`]).
    pub cap: u64,
    /// Events of each FE pool's walking cohorts.
    pub client_events: Vec<u64>,
}

impl Stopped {
    /// What happened and what to change, for an error message about replication
    /// `replication` of `topology`.
    pub fn explain(&self, topology: &Topology, replication: u64) -> String {
        let mut text = format!(
            "replication {replication} of layout {} passed {} events after {} of simulated \
             time, the most one replication of it may take ({} per simulated year for each \
             Front End pool with remote users and once more, docs/scenario.md, \"Limits\")",
            topology.layout_name,
            self.cap,
            human(self.at),
            MAX_EVENTS_PER_POOL_YEAR,
        );
        let busiest = self
            .client_events
            .iter()
            .enumerate()
            .max_by_key(|&(index, &count)| (count, std::cmp::Reverse(index)));
        if let Some((index, &count)) = busiest
            && count > 0
        {
            text.push_str(&format!(
                "; {count} of them ({:.0}%) were remote users of Front End pool {} walking the SRV \
                 list: users whom no Edge pool answers or has room for walk again after every \
                 clients.retry, and each loss of a pool they reached splits them into more cohorts",
                count as f64 * 100.0 / self.events as f64,
                topology.front_end_pools[index].id,
            ));
        }
        text.push_str(
            ". Check the failure and repair times of servers, Edge pools and sites (pools that \
             come back for seconds between long repairs), the Edge capacity against \
             remote_users, and clients.retry",
        );
        text
    }
}
