//! Federation, XMPP and the Edge association as services (docs/model.md): who is
//! unserved now, and why, from the component state and what the administrator published.

use crate::time::SimDuration;
use crate::topology::{EdgePoolIndex, FrontEndPoolIndex, InboundFederation, Topology};

use super::admin::Administration;
use super::components::Derived;
use super::dns::TrafficManager;
use super::metrics::Cause;
use super::services::Snapshot;

fn any_pool_up(derived: &Derived) -> bool {
    derived.edge_servers_up.iter().any(|&servers| servers > 0)
}

fn reachable_pool_up(topology: &Topology, derived: &Derived, front_end: FrontEndPoolIndex) -> bool {
    derived
        .edge_servers_up
        .indices()
        .any(|edge| derived.edge_up(edge) && derived.allows(topology, front_end, edge))
}

/// Whether an Edge pool `front_end`'s users may reach is up but cut off from its next hop.
fn reachable_pool_cut_off(
    topology: &Topology,
    derived: &Derived,
    front_end: FrontEndPoolIndex,
) -> bool {
    derived
        .cut_off
        .enumerate()
        .any(|(edge, &cut_off)| cut_off && derived.allows(topology, front_end, edge))
}

/// Why the users of a FE pool are unserved while the pool they are homed on is down:
/// their failover is not complete (rule D1), or their FE pool is down.
pub fn front_end_cause(derived: &Derived, front_end: FrontEndPoolIndex) -> Cause {
    if derived.failover_pending[front_end] {
        Cause::PoolFailoverPending
    } else {
        Cause::FrontEndDown
    }
}

/// Why a user of an up FE pool lacks a pool the administrator must provide (a route,
/// an association): the only pools it may reach are cut off from their next hop, no pool
/// is up, none it may reach is, or the change is not made yet.
pub fn awaiting_cause(
    topology: &Topology,
    derived: &Derived,
    front_end: FrontEndPoolIndex,
) -> Cause {
    let reachable_up = reachable_pool_up(topology, derived, front_end);
    if !reachable_up && reachable_pool_cut_off(topology, derived, front_end) {
        Cause::NextHopDown
    } else if !any_pool_up(derived) {
        Cause::AllPoolsDown
    } else if !reachable_up {
        Cause::Firewall
    } else {
        Cause::AwaitingAdmin
    }
}

/// Outbound federation (R6, docs/model.md), per user: served while the user's FE pool is up,
/// the current route pool is up, and the firewall lets the FE pool reach it.
pub fn outbound(
    topology: &Topology,
    derived: &Derived,
    admin: &Administration,
    snapshot: &mut Snapshot,
) {
    let Some(route) = admin.route else { return };
    for (front_end, &up) in derived.front_end_up.enumerate() {
        let users = topology.front_end_pools[front_end.index()].users as f64;
        let cause = if !up {
            front_end_cause(derived, front_end)
        } else if derived.edge_up(route) {
            if derived.allows(topology, front_end, route) {
                continue;
            }
            Cause::Firewall
        } else if derived.cut_off[route] {
            Cause::NextHopDown
        } else {
            awaiting_cause(topology, derived, front_end)
        };
        snapshot.per_front_end[front_end.index()][cause.index()] += users;
    }
}

/// The Edge association (R8, docs/model.md), per user: served while the FE pool is up and
/// its currently associated Edge pool is up.
pub fn association(
    topology: &Topology,
    derived: &Derived,
    admin: &Administration,
    snapshot: &mut Snapshot,
) {
    for (front_end, &up) in derived.front_end_up.enumerate() {
        // Users homed on a backup use its association (rule D1).
        let associated = admin.association[derived.home[front_end]];
        let cause = if !up {
            front_end_cause(derived, front_end)
        } else if derived.edge_up(associated) {
            continue;
        } else if derived.cut_off[associated] {
            Cause::NextHopDown
        } else {
            awaiting_cause(topology, derived, front_end)
        };
        let users = topology.front_end_pools[front_end.index()].users as f64;
        snapshot.per_front_end[front_end.index()][cause.index()] += users;
    }
}

/// XMPP (R7, F3, docs/model.md): outbound is up while the gateway is up; inbound also needs
/// partners' cached answer to name the current gateway.
pub fn xmpp(
    derived: &Derived,
    admin: &mut Administration,
    now: SimDuration,
    inbound: &mut Snapshot,
    outbound: &mut Snapshot,
) {
    let Some(gateway) = admin.gateway else { return };
    if !derived.edge_up(gateway) {
        let cause = if derived.cut_off[gateway] {
            Cause::NextHopDown
        } else if any_pool_up(derived) {
            Cause::AwaitingAdmin
        } else {
            Cause::AllPoolsDown
        };
        inbound.organisation[cause.index()] = 1.0;
        outbound.organisation[cause.index()] = 1.0;
        return;
    }
    let cached = admin
        .xmpp_dns
        .as_mut()
        .map_or(gateway, |dns| dns.cached(now));
    if cached != gateway {
        inbound.organisation[Cause::DnsCache.index()] = 1.0;
    }
}

/// Inbound federation (R5, F1, docs/model.md): the exact share of partners' requests that
/// fail now.
///
/// - `srv_priority`: a partner picks a target in the lowest-priority group by weight; if
///   it is down it fails back to the next group (never to a sibling). With p_g the
///   weight share of up targets in group g, the failing share is Π_g (1 − p_g).
/// - `single_target`: the lowest priority, then the highest weight, ties split evenly;
///   the failing share is the share of those targets that are down.
/// - `geo_dns`: partners use the traffic manager's answer of one TTL ago; it fails while
///   that pool is down.
pub fn inbound(
    topology: &Topology,
    derived: &Derived,
    traffic_manager: Option<&mut TrafficManager>,
    now: SimDuration,
    snapshot: &mut Snapshot,
) {
    let records = &topology.dns.federation;
    if records.is_empty() {
        return;
    }
    let up = |edge: EdgePoolIndex| derived.edge_up(edge);
    let failing = match topology.federation.inbound {
        InboundFederation::SrvPriority => records
            .priority_groups()
            .map(|group| 1.0 - super::srv::share_up(group, up))
            .product::<f64>(),
        InboundFederation::SingleTarget => {
            let first = records
                .priority_groups()
                .next()
                .expect("records are not empty");
            let heaviest = first.iter().map(|r| r.weight).max().unwrap_or(0);
            let chosen: Vec<_> = first.iter().filter(|r| r.weight == heaviest).collect();
            chosen.iter().filter(|r| !up(r.target)).count() as f64 / chosen.len() as f64
        }
        InboundFederation::GeoDns => {
            let manager = traffic_manager.expect("geo_dns has a traffic manager");
            let cached = manager.answer.cached(now);
            if derived.edge_up(cached) {
                0.0
            } else {
                let cause = if manager.answer.published() != cached {
                    Cause::DnsCache
                } else {
                    Cause::DnsDesign
                };
                let cause = if records.records().iter().any(|r| up(r.target)) {
                    cause
                } else {
                    unanswered(derived, records)
                };
                snapshot.organisation[cause.index()] = 1.0;
                return;
            }
        }
    };
    if failing > 0.0 {
        let cause = if records.records().iter().any(|r| up(r.target)) {
            Cause::DnsDesign
        } else {
            unanswered(derived, records)
        };
        snapshot.organisation[cause.index()] = failing;
    }
}

/// Why partners fail when no federation target answers: some are up but cut off from
/// their next hop (rule D2), or every one is down.
fn unanswered(derived: &Derived, records: &crate::topology::SrvRecords) -> Cause {
    if records.records().iter().any(|r| derived.cut_off[r.target]) {
        Cause::NextHopDown
    } else {
        Cause::AllPoolsDown
    }
}
