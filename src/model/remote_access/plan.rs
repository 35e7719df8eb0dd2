//! What moves between remote-access events (rule R3, F2; docs/model.md, "What moves
//! between events"): sign-in return flows and the room full pools free, planned at an
//! event, integrated exactly to the next, and the instant the plan next changes.

use crate::time::SimDuration;
use crate::topology::{EdgePoolIndex, FrontEndPoolIndex, PerEdge, PerFrontEnd};

use super::grant::{Part, PlanScratch, Walker};
use super::{Context, RemoteAccess};
use crate::model::metrics::{NOBODY, WHOLE_USER};

/// The most passes of a plan with several answers (rule G1): far more than a chain of
/// pools freeing room for one another needs; a swap cycle fed by an open pool converges
/// geometrically within it.
const MAX_PLAN_PASSES: usize = 64;

/// Users of one FE pool moving from one Edge pool to another as they sign in again:
/// `amount` · g(Δ) have moved Δ after the anchor.
struct Flow {
    front_end: FrontEndPoolIndex,
    source: EdgePoolIndex,
    destination: EdgePoolIndex,
    amount: f64,
}

/// What an Edge pool is to the plan, from the anchor on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PoolRole {
    /// Down, or full with nothing leaving it.
    Closed,
    /// Up with room.
    Open,
    /// Full, but its users leave for better pools: the room they free goes to the users
    /// who sign in again towards it, as far as it goes.
    Freeing,
    /// Full, its users leave, and mobile users wait for it: they take the freed room.
    Absorbing,
}

/// What moves between remote-access events, and why users wait; see the module comment.
pub(super) struct Plan {
    /// Stale milestone events carry an older generation.
    generation: u64,
    flows: Vec<Flow>,
    /// Per Edge pool: planned inflow − outflow (users, times g).
    net_inflow: PerEdge<f64>,
    /// Per Edge pool: planned outflow (users, times g): the room it frees.
    pub(super) outflow: PerEdge<f64>,
    /// Per Edge pool, with several answers: its outflow in the previous pass of the plan
    /// (see [`RemoteAccess::plan`]); zero otherwise.
    outflow_hint: PerEdge<f64>,
    /// Per Edge pool: planned inflow granted to returning users (users, times g).
    pub(super) granted: PerEdge<f64>,
    /// Per Edge pool: its role.
    pub(super) role: PerEdge<PoolRole>,
    /// Per Edge pool: a freeing pool asked for more than it frees (its room stays 0).
    pub(super) binding: PerEdge<bool>,
    /// Per Edge pool: mobile users waiting for it that take the room it frees.
    waiting: PerEdge<f64>,
    /// Per Edge pool: whether it has room from the anchor on (now, or the instant after).
    pub(super) has_room: PerEdge<bool>,
    /// Per FE pool: the pool whose freed room its waiting mobile users take.
    pub(super) absorbing_into: PerFrontEnd<Option<EdgePoolIndex>>,
    /// What the next milestone is, for traces.
    milestone_reason: &'static str,
}

impl Plan {
    /// An empty plan for `edge_count` Edge pools and `fe_count` FE pools.
    pub(super) fn new(edge_count: usize, fe_count: usize) -> Self {
        let mut plan = Plan {
            generation: 0,
            flows: Vec::new(),
            net_inflow: PerEdge::default(),
            outflow: PerEdge::default(),
            outflow_hint: PerEdge::filled(edge_count, 0.0),
            granted: PerEdge::default(),
            role: PerEdge::default(),
            binding: PerEdge::default(),
            waiting: PerEdge::default(),
            has_room: PerEdge::default(),
            absorbing_into: PerFrontEnd::default(),
            milestone_reason: "",
        };
        plan.clear(edge_count, fe_count);
        plan
    }

    fn clear(&mut self, edge_count: usize, fe_count: usize) {
        self.generation += 1;
        self.flows.clear();
        for per_pool in [
            &mut self.net_inflow,
            &mut self.outflow,
            &mut self.granted,
            &mut self.waiting,
        ] {
            per_pool.reset(edge_count, 0.0);
        }
        self.role.reset(edge_count, PoolRole::Closed);
        self.binding.reset(edge_count, false);
        self.has_room.reset(edge_count, false);
        self.absorbing_into.reset(fe_count, None);
    }
}

impl RemoteAccess {
    /// Why the current plan's milestone happens, for traces.
    pub fn milestone_reason(&self) -> &'static str {
        self.plan.milestone_reason
    }

    /// Moves the state from the anchor to `ctx.now` along the plan, exactly, and makes
    /// `ctx.now` the anchor. `ctx.derived` must be the state that held since the anchor.
    /// The plan's amounts shrink with what has moved, so it stays valid for what follows.
    pub fn materialize(&mut self, ctx: &Context<'_>) {
        let elapsed = ctx.now.as_micros().saturating_sub(self.anchor.as_micros());
        self.anchor = self.anchor.max(ctx.now);
        if elapsed == 0 || self.plan.flows.is_empty() {
            return;
        }
        let (fraction, filled) = self.fraction_moved(ctx, elapsed);
        for flow in &mut self.plan.flows {
            let moved = flow.amount * fraction;
            self.desktop_on[(flow.front_end, flow.source)] -= moved;
            self.desktop_on[(flow.front_end, flow.destination)] += moved;
            self.load[flow.source] -= moved;
            self.load[flow.destination] += moved;
            flow.amount -= moved;
        }
        self.absorb_freed_room(fraction);
        self.settle_pools(ctx, fraction, filled);
    }

    /// The share g of the plan's movement that `elapsed` microseconds carry out, never
    /// past the instant an open pool fills (its milestone is rounded up to the next
    /// microsecond); and that pool, if one fills.
    fn fraction_moved(&self, ctx: &Context<'_>, elapsed: u64) -> (f64, Option<EdgePoolIndex>) {
        let mut fraction = -libm::expm1(-(elapsed as f64) / self.session_micros);
        let mut filled = None;
        for edge in self.load.indices() {
            let net = self.plan.net_inflow[edge];
            if self.plan.role[edge] == PoolRole::Open && net > 0.0 {
                let fills_at = self.room(ctx, edge) / net;
                if fills_at <= fraction {
                    fraction = fills_at;
                    filled = Some(edge);
                }
            }
        }
        (fraction, filled)
    }

    /// Waiting mobile users take the room their pool freed (`fraction` of its outflow),
    /// in proportion to how many of them wait.
    fn absorb_freed_room(&mut self, fraction: f64) {
        let plan = &self.plan;
        self.scratch.absorbed.refill(self.load.len(), |edge| {
            if plan.role[edge] == PoolRole::Absorbing {
                (plan.outflow[edge] * fraction).min(plan.waiting[edge])
            } else {
                0.0
            }
        });
        for front_end in self.remote_users.indices() {
            let Some(edge) = self.plan.absorbing_into[front_end] else {
                continue;
            };
            let (absorbed, waiting) = (self.scratch.absorbed[edge], self.plan.waiting[edge]);
            let take = if absorbed >= waiting {
                self.mobile_waiting[front_end]
            } else {
                absorbed * self.mobile_waiting[front_end] / waiting
            };
            self.mobile_on[(front_end, edge)] += take;
            self.load[edge] += take;
            self.mobile_waiting[front_end] -= take;
            self.unserved_mobile[front_end] -= take;
        }
    }

    /// After `fraction` of the plan moved: pools that filled are exactly full, peaks are
    /// kept, and the plan's amounts shrink to what is left to move.
    fn settle_pools(&mut self, ctx: &Context<'_>, fraction: f64, filled: Option<EdgePoolIndex>) {
        for edge in self.load.indices() {
            let absorbing = self.plan.role[edge] == PoolRole::Absorbing;
            let absorbed = self.scratch.absorbed[edge];
            // A pool that fills, binds, or whose waiting users take all it frees has no
            // room, exactly (so that rounding never makes it look open).
            let full = filled == Some(edge)
                || (self.plan.role[edge] == PoolRole::Freeing && self.plan.binding[edge])
                || (absorbing && absorbed < self.plan.waiting[edge]);
            if full {
                self.load[edge] = ctx.capacity(edge);
            }
            if absorbing {
                self.plan.waiting[edge] -= absorbed.min(self.plan.waiting[edge]);
            }
            // Loads move monotonically along a plan, so the peak is at one end.
            self.peak[edge] = self.peak[edge].max(self.load[edge]);
            self.plan.net_inflow[edge] *= 1.0 - fraction;
            self.plan.outflow[edge] *= 1.0 - fraction;
            self.plan.granted[edge] *= 1.0 - fraction;
        }
    }

    /// What a pool frees for the walkers of this pass: its outflow planned so far, or
    /// with several answers its outflow in the previous pass if that was more.
    pub(super) fn planned_outflow(&self, edge: EdgePoolIndex) -> f64 {
        self.plan.outflow[edge].max(self.plan.outflow_hint[edge])
    }

    fn role_of(&self, ctx: &Context<'_>, edge: EdgePoolIndex) -> PoolRole {
        let frees = self.planned_outflow(edge) > 0.0;
        if !ctx.edge_up(edge) {
            PoolRole::Closed
        } else if self.plan.waiting[edge] > 0.0 {
            // Mobile users still wait for it after taking what room it had: whatever it
            // frees is theirs.
            if frees {
                PoolRole::Absorbing
            } else {
                PoolRole::Closed
            }
        } else if ctx.capacity(edge) - self.load[edge] > 0.0 {
            PoolRole::Open
        } else if frees {
            PoolRole::Freeing
        } else {
            PoolRole::Closed
        }
    }

    /// Plans what moves from now on (the anchor must be now).
    ///
    /// Sign-in return (rule R3): desktop users of an up FE pool on a pool of SRV rank r
    /// sign in again at rate 1/`session` and walk the groups before r, best first: in each
    /// group they share themselves by weight among the pools they may use that have room
    /// or free room; an open pool takes everyone, a freeing pool (full, but its own users
    /// leave for better groups) no more than it frees. Walkers with nowhere else to go
    /// before their own pool are served first there; the others share what is left and
    /// go on, to the group's other pools and then to the next groups. What finds no room
    /// stays. Groups are planned best first, because the room a pool frees comes from its
    /// users leaving for better groups.
    ///
    /// Every amount planned is proportional to the users it comes from and every
    /// threshold is at exactly zero, so planning again at any later instant continues
    /// the same movement: the plan depends on the state only.
    ///
    /// With several answers (rule G1) a pool may be ranked differently by different FE
    /// pools' answers, so the room it frees can come from walkers planned at the same or a
    /// later rank. The plan is then made again, each pass seeing every pool's outflow in
    /// the pass before, until the outflows no longer change (a fixed point reached from
    /// no movement at all, so full pools that would only swap users never do); at most
    /// [`MAX_PLAN_PASSES`] passes. With one answer the first pass is that fixed point.
    pub fn plan(&mut self, ctx: &Context<'_>) {
        if self.dns.single() {
            // The hint stays empty: every pool's outflow is planned before its own rank.
            self.plan_pass(ctx);
            return;
        }
        let edge_count = self.load.len();
        self.plan.outflow_hint.reset(edge_count, 0.0);
        for _ in 0..MAX_PLAN_PASSES {
            self.plan_pass(ctx);
            if self.outflow_settled() {
                break;
            }
            let outflow = std::mem::take(&mut self.plan.outflow);
            self.plan
                .outflow_hint
                .refill(edge_count, |edge| outflow[edge]);
            self.plan.outflow = outflow;
        }
    }

    /// Whether this pass's outflows are those of the pass before, to rounding.
    fn outflow_settled(&self) -> bool {
        self.plan
            .outflow
            .iter()
            .zip(self.plan.outflow_hint.iter())
            .all(|(&now, &before)| (now - before).abs() <= 1e-12 * now.abs().max(before.abs()))
    }

    /// One pass of [`RemoteAccess::plan`].
    fn plan_pass(&mut self, ctx: &Context<'_>) {
        self.plan.clear(self.load.len(), self.remote_users.len());
        self.plan_waiting_mobile(ctx);
        let mut scratch = std::mem::take(&mut self.scratch);
        self.gather_walkers(ctx, &mut scratch);
        for level in 0..self.dns.levels {
            // The pools of this rank in any answer, in the order the answers list them,
            // and where each is among them.
            if scratch.level_position.len() != self.load.len() {
                scratch.level_position.reset(self.load.len(), None);
            }
            for &edge in &scratch.level_pools {
                scratch.level_position[edge] = None;
            }
            scratch.level_pools.clear();
            for group in self.dns.groups_at(level) {
                for record in group {
                    if scratch.level_position[record.target].is_none() {
                        scratch.level_position[record.target] = Some(scratch.level_pools.len());
                        scratch.level_pools.push(record.target);
                    }
                }
            }
            for position in 0..scratch.level_pools.len() {
                let edge = scratch.level_pools[position];
                self.plan.role[edge] = self.role_of(ctx, edge);
            }
            let rank = u32::try_from(level).expect("few SRV ranks");
            self.plan_level(ctx, rank, &mut scratch);
        }
        self.scratch = scratch;
        self.plan_room(ctx);
    }

    /// Mobile users still waiting for an up pool they may reach found it full: they take
    /// the room it frees (rule F2).
    fn plan_waiting_mobile(&mut self, ctx: &Context<'_>) {
        for front_end in self.remote_users.indices() {
            if self.mobile_waiting[front_end] <= 0.0 || !ctx.front_end_up(front_end) {
                continue;
            }
            let edge = ctx.associated(front_end);
            if ctx.edge_up(edge) && ctx.allows(front_end, edge) {
                self.plan.absorbing_into[front_end] = Some(edge);
                self.plan.waiting[edge] += self.mobile_waiting[front_end];
            }
        }
    }

    /// Once every group is planned: the roles of pools no SRV record names, which pools
    /// have room from now on, and who still waits for which pool.
    fn plan_room(&mut self, ctx: &Context<'_>) {
        for edge in self.load.indices() {
            if !self.dns.listed[edge] {
                self.plan.role[edge] = self.role_of(ctx, edge);
            }
            let role = self.plan.role[edge];
            // Room a walking client can use from now on: more than nobody, now or once the
            // users leaving it have left (users leave faster than returning users
            // arrive). Room now plus what the plan still frees stays the same as the plan
            // moves, so the answer does not change between events; a sum, not either part
            // alone, which would cross the threshold as the plan moves.
            self.plan.has_room[edge] = match role {
                PoolRole::Open | PoolRole::Freeing => {
                    !self.plan.binding[edge]
                        && self.room(ctx, edge) + (-self.plan.net_inflow[edge]).max(0.0) > NOBODY
                }
                PoolRole::Closed | PoolRole::Absorbing => false,
            };
            if role != PoolRole::Absorbing {
                self.plan.waiting[edge] = 0.0;
            }
        }
        for front_end in self.remote_users.indices() {
            if let Some(edge) = self.plan.absorbing_into[front_end]
                && self.plan.role[edge] != PoolRole::Absorbing
            {
                self.plan.absorbing_into[front_end] = None;
            }
        }
    }

    /// One walker per up FE pool and SRV rank that holds some of its desktop users.
    fn gather_walkers(&mut self, ctx: &Context<'_>, scratch: &mut PlanScratch) {
        scratch.walkers.clear();
        for front_end in self.remote_users.indices() {
            if !ctx.front_end_up(front_end) {
                continue;
            }
            // Each rank's sum adds its occupied pools in index order: the same sum as over
            // every pool of the rank, whose empty cells add nothing.
            let desktop_on = &self.desktop_on;
            let pools = &mut self.off_best[front_end];
            pools.retain(|&edge| desktop_on[(front_end, edge)] > 0.0);
            scratch.rank_demand.clear();
            for &edge in pools.iter() {
                let rank = self
                    .dns
                    .rank(front_end, edge)
                    .expect("off_best holds SRV targets");
                let on = desktop_on[(front_end, edge)];
                match scratch.rank_demand.iter_mut().find(|(r, _)| *r == rank) {
                    Some((_, demand)) => *demand += on,
                    None => scratch.rank_demand.push((rank, on)),
                }
            }
            scratch.rank_demand.sort_by_key(|&(rank, _)| rank);
            for &(source_rank, demand) in &scratch.rank_demand {
                if demand > 0.0 {
                    scratch.walkers.push(Walker {
                        front_end,
                        source_rank,
                        demand,
                        left: demand,
                    });
                }
            }
        }
    }

    fn usable(&self, ctx: &Context<'_>, front_end: FrontEndPoolIndex, edge: EdgePoolIndex) -> bool {
        matches!(self.plan.role[edge], PoolRole::Open | PoolRole::Freeing)
            && ctx.allows(front_end, edge)
    }

    /// Plans the walkers that reach the groups of rank `rank` (each its own answer's)
    /// with users left.
    fn plan_level(&mut self, ctx: &Context<'_>, rank: u32, scratch: &mut PlanScratch) {
        self.gather_parts(ctx, rank, scratch);
        if scratch.parts.is_empty() {
            return;
        }
        self.find_open_later(ctx, rank, scratch);
        self.grant(scratch);
        for part in &scratch.parts {
            if part.granted > 0.0 {
                self.plan_flows(
                    &scratch.walkers[part.walker],
                    scratch.level_pools[part.position],
                    part.granted,
                );
            }
        }
        for part in &scratch.parts {
            scratch.walkers[part.walker].left -= part.granted;
        }
    }

    /// Each walker that reaches its answer's group of rank `rank` with users left asks
    /// each of its usable pools there for its share by weight (into `scratch.parts`).
    fn gather_parts(&self, ctx: &Context<'_>, rank: u32, scratch: &mut PlanScratch) {
        scratch.parts.clear();
        scratch.asks.clear();
        for (index, walker) in scratch.walkers.iter().enumerate() {
            scratch.asks.push(false);
            if walker.source_rank <= rank || walker.left <= 0.0 {
                continue;
            }
            let answer = self.dns.of(walker.front_end);
            let Some(group) = answer.ranked_group(rank as usize) else {
                continue;
            };
            let options = group
                .iter()
                .enumerate()
                .filter(|(_, record)| self.usable(ctx, walker.front_end, record.target))
                .map(|(in_group, record)| (in_group, record.weight));
            crate::model::srv::weight_shares_into(options, &mut scratch.shares);
            for &(in_group, share) in &scratch.shares {
                let record = &group[in_group];
                let position = scratch.level_position[record.target]
                    .expect("the level holds every answer's group");
                scratch.parts.push(Part {
                    walker: index,
                    position,
                    weight: record.weight,
                    share,
                    granted: 0.0,
                });
                scratch.asks[index] = true;
            }
        }
    }

    /// Whether each walker that asks finds an open pool in a later group before its own
    /// (only those walkers' answers are read).
    fn find_open_later(&self, ctx: &Context<'_>, rank: u32, scratch: &mut PlanScratch) {
        scratch.open_later.clear();
        for (walker, &asks) in scratch.walkers.iter().zip(&scratch.asks) {
            if !asks {
                scratch.open_later.push(false);
                continue;
            }
            let answer = self.dns.of(walker.front_end);
            let later = answer.ranked.records().iter().any(|record| {
                let edge = record.target;
                answer.rank[edge].is_some_and(|r| r > rank && r < walker.source_rank)
                    && ctx.edge_up(edge)
                    && ctx.capacity(edge) - self.load[edge] > 0.0
                    && ctx.allows(walker.front_end, edge)
            });
            scratch.open_later.push(later);
        }
    }

    /// The flows that carry `granted` of `walker`'s users to `destination`, from each
    /// pool of its rank in proportion to the users there.
    fn plan_flows(&mut self, walker: &Walker, destination: EdgePoolIndex, granted: f64) {
        self.plan.granted[destination] += granted;
        let front_end = walker.front_end;
        for &source in &self.off_best[front_end] {
            let on = self.desktop_on[(front_end, source)];
            if on <= 0.0 || self.dns.rank(front_end, source) != Some(walker.source_rank) {
                continue;
            }
            let amount = on * granted / walker.demand;
            self.plan.flows.push(Flow {
                front_end,
                source,
                destination,
                amount,
            });
            self.plan.outflow[source] += amount;
            self.plan.net_inflow[destination] += amount;
            self.plan.net_inflow[source] -= amount;
        }
        // Users will move there as time passes: planning must read that cell too.
        self.note_off_best(front_end, destination);
    }

    /// The first instant, after now, at which something discrete changes along the plan:
    /// an open pool fills, waiting mobile users have taken all the room they were waiting
    /// for, a FE pool's unserved users drop below one whole user, or a pool stops refusing
    /// a whole user for lack of room (`refused` as [`RemoteAccess::fill_snapshot`] gave it).
    pub fn next_milestone(
        &mut self,
        ctx: &Context<'_>,
        refused: &PerEdge<super::Refused>,
    ) -> Option<SimDuration> {
        let mut first: Option<(f64, &'static str)> = None;
        let mut consider = |fraction: f64, reason: &'static str| {
            if fraction < 1.0 && first.is_none_or(|(f, _)| fraction < f) {
                first = Some((fraction.max(0.0), reason));
            }
        };
        for edge in self.load.indices() {
            match self.plan.role[edge] {
                PoolRole::Open if self.plan.net_inflow[edge] > 0.0 => consider(
                    self.room(ctx, edge) / self.plan.net_inflow[edge],
                    "users signing in again filled a preferred Edge pool",
                ),
                PoolRole::Absorbing => consider(
                    self.plan.waiting[edge] / self.plan.outflow[edge],
                    "mobile users waiting for room have all connected",
                ),
                _ => {}
            }
        }
        for front_end in self.remote_users.indices() {
            let Some(edge) = self.plan.absorbing_into[front_end] else {
                continue;
            };
            let unserved = self.unserved_desktop[front_end] + self.unserved_mobile[front_end];
            let falling = self.absorbing_rate(front_end, edge);
            if unserved >= WHOLE_USER && falling > 0.0 {
                consider(
                    (unserved - WHOLE_USER) / falling,
                    "fewer than one user left unserved",
                );
            }
        }
        for pool in refused {
            if pool.level >= WHOLE_USER && pool.falling > 0.0 {
                consider(
                    (pool.level - WHOLE_USER) / pool.falling,
                    "an Edge pool no longer refuses a whole user",
                );
            }
        }
        let (fraction, reason) = first?;
        self.plan.milestone_reason = reason;
        // g(Δ) = fraction  ⇔  Δ = −session · ln(1 − fraction).
        let delta = -self.session_micros * libm::log1p(-fraction);
        let delta = SimDuration::from_micros((libm::ceil(delta) as u64).max(1));
        Some(ctx.now.saturating_add(delta))
    }

    /// How many of FE pool `front_end`'s waiting mobile users the room freed on `edge`
    /// connects, times g.
    pub(super) fn absorbing_rate(&self, front_end: FrontEndPoolIndex, edge: EdgePoolIndex) -> f64 {
        self.mobile_waiting[front_end] * self.plan.outflow[edge] / self.plan.waiting[edge]
    }
}
