//! Displaced groups of remote users walking the SRV list in cohorts (rules R3, R4): their
//! slots, their events, and passing over targets that cannot answer.

use crate::engine::queue::{EventClass, EventQueue, Tie};
use crate::engine::rng::{Purpose, Stream};
use crate::time::SimDuration;
use crate::topology::{EdgePoolIndex, FrontEndPoolIndex};

use super::plan::PoolRole;
use super::{COHORTS_PER_GROUP, Context, RemoteAccess, Start};
use crate::model::Event;
use crate::model::metrics::NOBODY;

/// The place of a cohort in the slab of cohorts (slots are reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CohortSlot(u32);

impl CohortSlot {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a cohort is in its failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// The slot is free.
    Free,
    /// Connection died; the client has not noticed yet.
    Detecting,
    /// Trying the target at `position` of its SRV order.
    Walking,
    /// The last target timed out; the retry wait is drawn next.
    Exhausted,
    /// Waiting `retry` before walking again.
    Retrying,
    /// `retry = 0`: waiting for the next change of any Edge pool.
    Parked,
}

/// A share of a displaced group, walking on its own draws.
pub(super) struct Cohort {
    pub(super) front_end: FrontEndPoolIndex,
    pub(super) amount: f64,
    mobile: bool,
    pub(super) phase: Phase,
    generation: u32,
    order: Vec<EdgePoolIndex>,
    /// The target its next event is for (`order.len()`: the walk is exhausted then).
    position: usize,
    /// Arrival time at each position of `order` drawn so far in this walk (the last one,
    /// at `order.len()`, is when the walk is exhausted).
    arrivals: Vec<SimDuration>,
    /// Positions from here up to `position` were passed over without an event because
    /// their targets could not answer under the plan in force (see
    /// [`RemoteAccess::advance`]).
    skipped_from: usize,
    walk_started: SimDuration,
    /// The walk's own stream of connect timeouts, when they are random: the timeout at
    /// each position is then the same whenever it is drawn (see [`RemoteAccess::advance`]).
    timeouts: Option<Stream>,
    /// Orders the cohort's events among simultaneous ones (rule S1): see [`cohort_tie`].
    tie: Tie,
}

impl Cohort {
    fn free() -> Self {
        Cohort {
            front_end: FrontEndPoolIndex(0),
            amount: 0.0,
            mobile: false,
            phase: Phase::Free,
            generation: 0,
            order: Vec::new(),
            position: 0,
            arrivals: Vec::new(),
            skipped_from: 0,
            walk_started: SimDuration::ZERO,
            timeouts: None,
            tie: 0,
        }
    }
}

/// The tie key of cohort `ordinal` (0 to [`COHORTS_PER_GROUP`] − 1) of group number
/// `group` of the FE pool whose id gives `front_end_key`: simultaneous cohorts take room
/// round-robin (every FE pool's first cohort, then every second one, ...), FE pools in an
/// order fixed by their ids, so no FE pool is served first because of where the scenario
/// lists it; within a FE pool, older groups first. The key is unique among pending cohort
/// events, so their order never rests on when an event happened to be queued.
fn cohort_tie(ordinal: usize, front_end_key: u64, group: u64) -> Tie {
    const GROUP_BITS: u32 = 61;
    const _: () = assert!(COHORTS_PER_GROUP <= 1 << (128 - 64 - GROUP_BITS));
    ((ordinal as u128) << (64 + GROUP_BITS))
        | (u128::from(front_end_key) << GROUP_BITS)
        | u128::from(group & ((1 << GROUP_BITS) - 1))
}

/// Schedules cohort `slot`'s next event at `at`, ordered among simultaneous ones by its tie.
fn schedule(queue: &mut EventQueue<Event>, at: SimDuration, slot: CohortSlot, cohort: &Cohort) {
    queue.push_tied(
        at,
        EventClass::Client,
        cohort.tie,
        Event::Cohort {
            slot,
            generation: cohort.generation,
        },
    );
}

/// Why a target did not take a cohort's users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The pool is down.
    Down,
    /// The firewall blocks it for the cohort's FE pool.
    Blocked,
    /// It has no room.
    Full,
}

impl Refusal {
    /// As a trace says it.
    pub fn words(self) -> &'static str {
        match self {
            Refusal::Down => "down",
            Refusal::Blocked => "blocked by the firewall",
            Refusal::Full => "full",
        }
    }
}

/// What one cohort event did, as data: traces describe it (`model::describe`), the event
/// loop only reads whether it changed the state.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientStep {
    /// Mobile users noticed their loss; they wait for their associated Edge pool.
    MobileNoticed,
    /// Users reached a target: `connected` of them connected, the rest (if any) go on.
    Connected {
        /// The target.
        edge: EdgePoolIndex,
        /// Users connected.
        connected: f64,
    },
    /// Users reached a target that did not take them.
    Refused {
        /// The target.
        edge: EdgePoolIndex,
        /// Why.
        why: Refusal,
    },
    /// The walk ended and the firewall blocks every target: they stop walking.
    Futile,
    /// The walk ended: they retry after `wait`.
    Retry {
        /// The retry wait.
        wait: SimDuration,
    },
    /// The walk ended: they wait for an Edge pool to change.
    Parked,
}

/// Where a cohort that goes on walks next, and what it passed over without an event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WalkOn {
    /// Targets passed over (recorded only when the step is described).
    pub passed: Vec<(EdgePoolIndex, Refusal)>,
    /// The next target (`None`: the walk ends).
    pub next: Option<EdgePoolIndex>,
    /// When the cohort gets there.
    pub at: SimDuration,
}

/// What one cohort step did.
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    /// The FE pool whose users moved.
    pub front_end: FrontEndPoolIndex,
    /// Whether the step changed who is connected or waiting (if not, nothing derived from
    /// the state needs recomputing).
    pub changes_state: bool,
    /// The cohort's users when the step began.
    pub users: f64,
    /// What happened.
    pub step: ClientStep,
    /// Of the users who reached a target, those who found it full and went on.
    pub left: f64,
    /// Where they go on to, when they do.
    pub walk_on: Option<WalkOn>,
}

impl StepReport {
    fn new(
        front_end: FrontEndPoolIndex,
        users: f64,
        step: ClientStep,
        changes_state: bool,
    ) -> Self {
        StepReport {
            front_end,
            changes_state,
            users,
            step,
            left: 0.0,
            walk_on: None,
        }
    }
}

impl RemoteAccess {
    /// Starts a displaced group of `amount` users of `front_end`, split into cohorts.
    pub fn displace(
        &mut self,
        ctx: &mut Context<'_>,
        front_end: FrontEndPoolIndex,
        amount: f64,
        mobile: bool,
        start: Start,
    ) {
        if amount <= NOBODY {
            return;
        }
        if mobile {
            self.unserved_mobile[front_end] += amount;
        } else {
            self.unserved_desktop[front_end] += amount;
        }
        let share = amount / COHORTS_PER_GROUP as f64;
        self.groups_started += 1;
        for ordinal in 0..COHORTS_PER_GROUP {
            let tie = cohort_tie(ordinal, self.front_end_keys[front_end], self.groups_started);
            let slot = self.allocate(front_end, share, mobile, tie);
            let clients = &ctx.topology.clients;
            let stream = &mut self.streams[front_end];
            let (phase, delay) = match start {
                Start::Detect => (Phase::Detecting, clients.detect.sample(stream)),
                Start::WalkNow => (Phase::Retrying, Some(SimDuration::ZERO)),
                Start::Retry if self.retry_is_zero => (Phase::Parked, None),
                Start::Retry => (Phase::Retrying, clients.retry.sample(stream)),
            };
            let cohort = &mut self.cohorts[slot.index()];
            cohort.phase = phase;
            if phase == Phase::Parked {
                self.parked.push(slot);
            } else {
                let at = ctx.now.saturating_add(delay.unwrap_or_default());
                schedule(ctx.queue, at, slot, cohort);
            }
        }
    }

    fn allocate(
        &mut self,
        front_end: FrontEndPoolIndex,
        amount: f64,
        mobile: bool,
        tie: Tie,
    ) -> CohortSlot {
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.cohorts.push(Cohort::free());
                CohortSlot(u32::try_from(self.cohorts.len() - 1).expect("fewer than 2³² cohorts"))
            }
        };
        let cohort = &mut self.cohorts[slot.index()];
        cohort.front_end = front_end;
        cohort.amount = amount;
        cohort.mobile = mobile;
        cohort.position = 0;
        cohort.skipped_from = 0;
        cohort.arrivals.clear();
        cohort.tie = tie;
        slot
    }

    fn release(&mut self, slot: CohortSlot) {
        let cohort = &mut self.cohorts[slot.index()];
        cohort.phase = Phase::Free;
        cohort.amount = 0.0;
        cohort.generation = cohort.generation.wrapping_add(1);
        self.free_slots.push(slot);
    }

    /// Every cohort of `front_end` stops (its FE pool went down).
    pub(super) fn release_all_of(&mut self, front_end: FrontEndPoolIndex) {
        for index in 0..self.cohorts.len() {
            let cohort = &self.cohorts[index];
            if cohort.phase != Phase::Free && cohort.front_end == front_end {
                self.release(CohortSlot(crate::model::components::small(index)));
            }
        }
        let cohorts = &self.cohorts;
        self.parked
            .retain(|&slot| cohorts[slot.index()].phase != Phase::Free);
    }

    /// An Edge pool changed state or capacity: parked cohorts (`retry = 0`) walk now.
    pub fn edge_changed(&mut self, ctx: &mut Context<'_>) {
        self.wake_parked(ctx, |_| true);
    }

    /// Parked cohorts of the FE pools `wakes` accepts walk now.
    pub(super) fn wake_parked(
        &mut self,
        ctx: &mut Context<'_>,
        wakes: impl Fn(FrontEndPoolIndex) -> bool,
    ) {
        let mut parked = std::mem::take(&mut self.parked);
        parked.retain(|&slot| {
            let cohort = &mut self.cohorts[slot.index()];
            if !wakes(cohort.front_end) {
                return true;
            }
            cohort.phase = Phase::Retrying;
            schedule(ctx.queue, ctx.now, slot, cohort);
            false
        });
        self.parked = parked;
    }

    /// Handles a cohort's event. Returns `None` for a stale event. `describe` records what
    /// a trace needs to tell the step (the targets passed over).
    pub fn cohort_step(
        &mut self,
        ctx: &mut Context<'_>,
        slot: CohortSlot,
        generation: u32,
        describe: bool,
    ) -> Option<StepReport> {
        let cohort = &self.cohorts[slot.index()];
        if cohort.generation != generation || matches!(cohort.phase, Phase::Free | Phase::Parked) {
            return None;
        }
        let (front_end, amount) = (cohort.front_end, cohort.amount);
        match cohort.phase {
            Phase::Detecting if cohort.mobile => {
                self.mobile_waiting[front_end] += amount;
                self.release(slot);
                Some(StepReport::new(
                    front_end,
                    amount,
                    ClientStep::MobileNoticed,
                    true,
                ))
            }
            Phase::Detecting | Phase::Retrying => {
                self.begin_walk(ctx, slot);
                Some(self.arrive(ctx, slot, describe))
            }
            Phase::Walking => Some(self.arrive(ctx, slot, describe)),
            Phase::Exhausted if self.walk_is_futile(ctx, front_end) => {
                // They stay unserved whatever happens to the Edge pools; walking again
                // would only repeat this walk, for ever (an event storm with a short retry).
                self.release(slot);
                Some(StepReport::new(
                    front_end,
                    amount,
                    ClientStep::Futile,
                    false,
                ))
            }
            Phase::Exhausted => Some(self.walk_ended(ctx, slot)),
            Phase::Free | Phase::Parked => None,
        }
    }

    /// Whether the firewall blocks, for the FE pool `front_end`'s users are homed on,
    /// every pool their answer may name, so that walking again can never connect them
    /// (the firewall does not change during a replication).
    fn walk_is_futile(&self, ctx: &Context<'_>, front_end: FrontEndPoolIndex) -> bool {
        let home = ctx.derived.home[front_end];
        !self
            .dns
            .of(front_end)
            .ranked
            .records()
            .iter()
            .any(|record| ctx.topology.firewall.allows(home, record.target))
    }

    /// The cohort's walk ended without room for it: it retries after `retry`, or (with a
    /// zero `retry`, or a zero wait after a walk that took no time, which would fail again
    /// at once) waits for an Edge pool to change.
    fn walk_ended(&mut self, ctx: &mut Context<'_>, slot: CohortSlot) -> StepReport {
        let cohort = &self.cohorts[slot.index()];
        let (front_end, amount) = (cohort.front_end, cohort.amount);
        let walk_took_no_time = cohort.walk_started == ctx.now;
        let retry = if self.retry_is_zero {
            None
        } else {
            ctx.topology
                .clients
                .retry
                .sample(&mut self.streams[front_end])
        };
        let cohort = &mut self.cohorts[slot.index()];
        let step = match retry {
            Some(wait) if !(wait.is_zero() && walk_took_no_time) => {
                cohort.phase = Phase::Retrying;
                schedule(ctx.queue, ctx.now.saturating_add(wait), slot, cohort);
                ClientStep::Retry { wait }
            }
            _ => {
                cohort.phase = Phase::Parked;
                self.parked.push(slot);
                ClientStep::Parked
            }
        };
        StepReport::new(front_end, amount, step, false)
    }

    fn begin_walk(&mut self, ctx: &Context<'_>, slot: CohortSlot) {
        let front_end = self.cohorts[slot.index()].front_end;
        let mut order = std::mem::take(&mut self.cohorts[slot.index()].order);
        crate::model::srv::draw_order(
            &self.dns.of(front_end).walk,
            &mut self.streams[front_end],
            &mut self.order_scratch,
            &mut order,
        );
        let timeouts = (!self.timeout_is_fixed).then(|| {
            let walk = self.streams[front_end].next_u64();
            Stream::new(
                self.seed,
                self.replication,
                self.front_end_keys[front_end],
                Purpose::Walk(walk),
            )
        });
        let cohort = &mut self.cohorts[slot.index()];
        cohort.order = order;
        cohort.timeouts = timeouts;
        cohort.position = 0;
        cohort.skipped_from = 0;
        cohort.arrivals.clear();
        cohort.arrivals.push(ctx.now);
        cohort.phase = Phase::Walking;
        cohort.walk_started = ctx.now;
    }

    /// The cohort reaches the target at its position: connect as far as room allows,
    /// and send the rest on after `connect_timeout`.
    fn arrive(&mut self, ctx: &mut Context<'_>, slot: CohortSlot, describe: bool) -> StepReport {
        let cohort = &self.cohorts[slot.index()];
        let (front_end, target, users) = (
            cohort.front_end,
            cohort.order[cohort.position],
            cohort.amount,
        );
        let mut report = if self.answers(ctx, front_end, target) {
            let take = self.connect_within_room(ctx, front_end, target, users);
            self.unserved_desktop[front_end] -= take;
            let cohort = &mut self.cohorts[slot.index()];
            cohort.amount -= take;
            let step = ClientStep::Connected {
                edge: target,
                connected: take,
            };
            if cohort.amount <= NOBODY {
                self.unserved_desktop[front_end] -= cohort.amount;
                self.release(slot);
                return StepReport::new(front_end, users, step, true);
            }
            let mut report = StepReport::new(front_end, users, step, true);
            report.left = cohort.amount;
            report
        } else {
            let why = if !ctx.edge_up(target) {
                Refusal::Down
            } else if !ctx.allows(front_end, target) {
                Refusal::Blocked
            } else {
                Refusal::Full
            };
            StepReport::new(
                front_end,
                users,
                ClientStep::Refused { edge: target, why },
                false,
            )
        };
        report.walk_on = Some(self.advance(ctx, slot, describe));
        report
    }

    /// Why `edge` certainly does not answer `front_end`'s clients from now until the plan
    /// changes, if it does not: it is down, the firewall blocks it, or it is full and
    /// closed (nothing leaves it and nothing is planned into it, so its room stays 0).
    fn cannot_answer(
        &self,
        ctx: &Context<'_>,
        front_end: FrontEndPoolIndex,
        edge: EdgePoolIndex,
    ) -> Option<Refusal> {
        if !ctx.edge_up(edge) {
            Some(Refusal::Down)
        } else if !ctx.allows(front_end, edge) {
            Some(Refusal::Blocked)
        } else if self.closed_full(ctx, edge) {
            Some(Refusal::Full)
        } else {
            None
        }
    }

    /// Whether `edge` is up but full, and stays so until the plan changes.
    fn closed_full(&self, ctx: &Context<'_>, edge: EdgePoolIndex) -> bool {
        self.plan.role[edge] == PoolRole::Closed && self.room(ctx, edge) <= NOBODY
    }

    /// Sends cohort `slot` on from the target it has just tried: it reaches the next one
    /// after its `connect_timeout` (rule R4). Targets that cannot answer under the plan in
    /// force ([`RemoteAccess::cannot_answer`]) are passed over without an event: their
    /// timeouts are drawn and the cohort's next event is its arrival at the first target
    /// that might answer, or the end of its walk. Should the plan change so that a passed
    /// target might answer after all, [`RemoteAccess::revisit_passed_targets`] brings the
    /// cohort back to it at its arrival time. Either way the cohort sees each target
    /// exactly as stepping through every timeout would. A random `connect_timeout` is
    /// drawn from the walk's own stream, so a timeout does not depend on when it is drawn.
    fn advance(&mut self, ctx: &mut Context<'_>, slot: CohortSlot, describe: bool) -> WalkOn {
        let front_end = self.cohorts[slot.index()].front_end;
        let mut walk_on = WalkOn::default();
        let cohort = &mut self.cohorts[slot.index()];
        cohort.skipped_from = cohort.position + 1;
        loop {
            let next = self.step_to_next_target(ctx, slot);
            let cohort = &mut self.cohorts[slot.index()];
            if next >= cohort.order.len() {
                cohort.phase = Phase::Exhausted;
                break;
            }
            let target = cohort.order[next];
            if !self.look_ahead {
                break;
            }
            let Some(why) = self.cannot_answer(ctx, front_end, target) else {
                break;
            };
            if describe {
                walk_on.passed.push((target, why));
            }
        }
        let cohort = &self.cohorts[slot.index()];
        walk_on.at = cohort.arrivals[cohort.position];
        walk_on.next = cohort.order.get(cohort.position).copied();
        schedule(ctx.queue, walk_on.at, slot, cohort);
        walk_on
    }

    /// Moves cohort `slot` to its next position, drawing the timeout that gets it there
    /// if this walk has not drawn it yet; returns the position.
    fn step_to_next_target(&mut self, ctx: &Context<'_>, slot: CohortSlot) -> usize {
        let cohort = &mut self.cohorts[slot.index()];
        let next = cohort.position + 1;
        if cohort.arrivals.len() <= next {
            let stream = match cohort.timeouts.as_mut() {
                Some(walk) => walk,
                None => &mut self.streams[cohort.front_end],
            };
            let timeout = ctx
                .topology
                .clients
                .connect_timeout
                .sample(stream)
                .unwrap_or_default();
            let at = cohort.arrivals[cohort.position].saturating_add(timeout);
            cohort.arrivals.push(at);
        }
        cohort.position = next;
        next
    }

    /// After a new plan: if a pool that could not answer under the previous plan might
    /// answer now, cohorts that passed over it at a time not yet reached come back to
    /// it (see `RemoteAccess::advance`). An arrival due now counts if its event would
    /// have followed the one being handled (rule S1).
    pub fn revisit_passed_targets(&mut self, ctx: &mut Context<'_>) {
        let mut reopened = false;
        for edge in self.load.indices() {
            let closed = !ctx.edge_up(edge) || self.closed_full(ctx, edge);
            reopened |= self.closed[edge] && !closed;
            self.closed[edge] = closed;
        }
        if !reopened {
            return;
        }
        for index in 0..self.cohorts.len() {
            let slot = CohortSlot(crate::model::components::small(index));
            if let Some(position) = self.first_target_to_revisit(ctx, slot) {
                let cohort = &mut self.cohorts[slot.index()];
                cohort.generation = cohort.generation.wrapping_add(1);
                cohort.phase = Phase::Walking;
                cohort.position = position;
                cohort.skipped_from = position;
                schedule(ctx.queue, cohort.arrivals[position], slot, cohort);
            }
        }
    }

    /// The first target cohort `slot` passed over, reached at a time not yet past, that
    /// might answer now.
    fn first_target_to_revisit(&self, ctx: &Context<'_>, slot: CohortSlot) -> Option<usize> {
        let cohort = &self.cohorts[slot.index()];
        if !matches!(cohort.phase, Phase::Walking | Phase::Exhausted)
            || cohort.skipped_from >= cohort.position
        {
            return None;
        }
        let due = |at: SimDuration| {
            at > ctx.now
                || (at == ctx.now && ctx.queue.would_follow_last(EventClass::Client, cohort.tie))
        };
        (cohort.skipped_from..cohort.position).find(|&position| {
            due(cohort.arrivals[position])
                && self
                    .cannot_answer(ctx, cohort.front_end, cohort.order[position])
                    .is_none()
        })
    }
}
