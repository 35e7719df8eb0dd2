//! How one SRV priority group's room is granted to the desktop users walking to it as
//! they sign in again (rule R3): open pools take everyone, freeing pools no more than
//! they free, captive walkers first.

use crate::topology::{EdgePoolIndex, FrontEndPoolIndex};

use super::RemoteAccess;
use super::plan::PoolRole;

/// Desktop users of one FE pool on the pools of one SRV rank: they sign in again together
/// and walk the same groups (rule R3), from the best group with a pool they may use down
/// to the group before their own.
pub(super) struct Walker {
    pub(super) front_end: FrontEndPoolIndex,
    pub(super) source_rank: u32,
    /// Users on those pools.
    pub(super) demand: f64,
    /// Of them, the share not yet granted in the groups planned so far.
    pub(super) left: f64,
}

/// One walker's part in one group.
pub(super) struct Part {
    /// The walker, in `PlanScratch::walkers`.
    pub(super) walker: usize,
    /// The pool's position in `PlanScratch::level_pools`.
    pub(super) position: usize,
    /// Its SRV weight in the walker's group.
    pub(super) weight: u16,
    /// Its share by weight among the walker's options in the group.
    pub(super) share: f64,
    /// What it is granted there.
    pub(super) granted: f64,
}

/// Scratch space of the plan, kept between events.
#[derive(Default)]
pub(super) struct PlanScratch {
    pub(super) walkers: Vec<Walker>,
    /// The pools of the rank being planned, in every answer's group of that rank (one
    /// group when every FE pool gets the same answer); parts name them by position.
    pub(super) level_pools: Vec<EdgePoolIndex>,
    /// Per Edge pool: its position in `level_pools`, if it is of the rank being planned.
    pub(super) level_position: crate::topology::PerEdge<Option<usize>>,
    pub(super) parts: Vec<Part>,
    /// Per position in the group: the pool binds (asked for more than it frees).
    binding: Vec<bool>,
    captive_request: Vec<f64>,
    free_request: Vec<f64>,
    /// Per position: the share of a captive (or free) walker's request it grants.
    captive_grant: Vec<f64>,
    free_grant: Vec<f64>,
    /// Per Edge pool: the freed room waiting mobile users took (see `materialize`).
    pub(super) absorbed: crate::topology::PerEdge<f64>,
    /// Per walker: whether an open pool waits for it in a later group before its own.
    pub(super) open_later: Vec<bool>,
    pub(super) shares: Vec<(usize, f64)>,
    /// Per walker: every option it has in the group binds and nothing later is open.
    captive: Vec<bool>,
    /// One FE pool's desktop users on the pools of each rank it occupies beyond the best.
    pub(super) rank_demand: Vec<(u32, f64)>,
    /// Per walker: whether it asks anything of the group being planned.
    pub(super) asks: Vec<bool>,
}

impl RemoteAccess {
    /// Grants the walkers' parts in one group: open pools take everything, freeing pools
    /// no more than they free. A freeing pool asked for more binds: walkers with no other
    /// option in the group and no open pool later (captive) are served first, in
    /// proportion; the others share what is left and send the rest to their options in
    /// the group that do not bind, by weight, or on to the next groups. Binding pools are
    /// found by repeating until none is newly asked for more than it frees.
    pub(super) fn grant(&mut self, scratch: &mut PlanScratch) {
        scratch.binding.clear();
        scratch.binding.resize(scratch.level_pools.len(), false);
        loop {
            self.grant_shares(scratch);
            grant_parts(scratch);
            if !self.find_newly_binding(scratch) {
                break;
            }
        }
        for (position, &edge) in scratch.level_pools.iter().enumerate() {
            if scratch.binding[position] {
                self.plan.binding[edge] = true;
            }
        }
    }

    /// The room a freeing pool frees that earlier ranks have not granted yet (it may be
    /// in several answers' groups, at different ranks).
    fn frees(&self, edge: EdgePoolIndex) -> f64 {
        self.planned_outflow(edge) - self.plan.granted[edge]
    }

    /// Which walkers are captive (every option they have here binds and nothing later is
    /// open to them), and the share of its request each binding pool grants captive and
    /// free walkers.
    fn grant_shares(&self, scratch: &mut PlanScratch) {
        let size = scratch.level_pools.len();
        for per_position in [
            &mut scratch.captive_request,
            &mut scratch.free_request,
            &mut scratch.captive_grant,
            &mut scratch.free_grant,
        ] {
            per_position.clear();
            per_position.resize(size, 0.0);
        }
        let binding = &scratch.binding;
        scratch.captive.clear();
        scratch
            .captive
            .extend(scratch.open_later.iter().map(|&open| !open));
        for part in &scratch.parts {
            scratch.captive[part.walker] &= binding[part.position];
        }
        for part in &scratch.parts {
            if binding[part.position] {
                let request = part.share * scratch.walkers[part.walker].left;
                if scratch.captive[part.walker] {
                    scratch.captive_request[part.position] += request;
                } else {
                    scratch.free_request[part.position] += request;
                }
            }
        }
        for position in (0..size).filter(|&p| binding[p]) {
            let frees = self.frees(scratch.level_pools[position]);
            let (captive_request, free_request) = (
                scratch.captive_request[position],
                scratch.free_request[position],
            );
            if captive_request >= frees {
                scratch.captive_grant[position] = frees / captive_request;
            } else {
                scratch.captive_grant[position] = 1.0;
                if free_request > 0.0 {
                    scratch.free_grant[position] =
                        ((frees - captive_request) / free_request).min(1.0);
                }
            }
        }
    }

    /// Marks the freeing pools of the group asked for more than they free; returns
    /// whether there was one.
    fn find_newly_binding(&self, scratch: &mut PlanScratch) -> bool {
        let mut newly_binding = false;
        for (position, &edge) in scratch.level_pools.iter().enumerate() {
            if scratch.binding[position] || self.plan.role[edge] != PoolRole::Freeing {
                continue;
            }
            let asked: f64 = scratch
                .parts
                .iter()
                .filter(|p| p.position == position)
                .map(|p| p.granted)
                .sum();
            if asked > self.frees(edge) {
                scratch.binding[position] = true;
                newly_binding = true;
            }
        }
        newly_binding
    }
}

/// Each walker's parts granted: in full where the pool does not bind, in the binding
/// pool's share otherwise; what a binding pool refused goes to the walker's options here
/// that do not bind, by weight (with none, it walks on to the next groups). Parts are
/// grouped by walker, in walker order.
fn grant_parts(scratch: &mut PlanScratch) {
    let mut first = 0;
    while first < scratch.parts.len() {
        let walker = scratch.parts[first].walker;
        let end = first
            + scratch.parts[first..]
                .iter()
                .take_while(|p| p.walker == walker)
                .count();
        let parts = &mut scratch.parts[first..end];
        first = end;
        let left = scratch.walkers[walker].left;
        let grants = if scratch.captive[walker] {
            &scratch.captive_grant
        } else {
            &scratch.free_grant
        };
        let mut rejected = 0.0;
        let (mut free_weight, mut free_count) = (0u64, 0usize);
        for part in parts.iter_mut() {
            let request = part.share * left;
            if scratch.binding[part.position] {
                part.granted = request * grants[part.position];
                rejected += request - part.granted;
            } else {
                part.granted = request;
                free_weight += u64::from(part.weight);
                free_count += 1;
            }
        }
        if free_count > 0 {
            for part in parts.iter_mut() {
                if !scratch.binding[part.position] {
                    part.granted += rejected
                        * crate::model::srv::weight_share(part.weight, free_weight, free_count);
                }
            }
        }
    }
}
