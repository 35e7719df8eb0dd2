//! Remote access (rules R1, R3, R4, F2; docs/model.md, "Remote access"): remote users as a
//! continuous quantity per Front End pool, connected to Edge pools or displaced and walking
//! the `_sip._tls` SRV list in cohorts; users returning to preferred pools as they sign in
//! again; mobile users pinned to their FE pool's associated Edge pool.
//!
//! The cohort rule: users who lose service together form a displaced group that is split
//! into [`COHORTS_PER_GROUP`] equal cohorts, each with its own draw of `detect`, of the SRV
//! order, of each `connect_timeout` and of `retry`. Every cohort's delays have the
//! per-user distribution, so where capacity does not bind the expected served time is
//! exactly the per-user one; where it binds, cohorts take room in the order they arrive.
//! The cost is independent of the number of users.
//!
//! Between its own events the state moves continuously, and is integrated exactly: the
//! state is kept as it was at the last remote-access event (the anchor) together with a
//! [`Plan`] of what moves from then on. Every movement is a fixed amount times
//! g(Δ) = 1 − e^(−Δ/session), the share of users who have signed in again after Δ:
//! sign-in return flows, and room that a full pool frees as its users leave, taken at once
//! by mobile users waiting for that pool. Each instant at which something discrete
//! changes (a pool fills, waiting users have all been connected, a FE pool's unserved
//! users drop below one whole user) is an event. No other event reads or changes this
//! state, so results never depend on unrelated events.

use crate::distribution::Distribution;
use crate::engine::queue::{EventClass, EventQueue, Tie};
use crate::engine::rng::{Purpose, Stream};
use crate::time::SimDuration;
use crate::topology::{EdgePoolIndex, FrontEndPoolIndex, Topology};

use super::Event;
use super::components::Derived;
use super::metrics::{Cause, EdgePoolTally, NOBODY, WHOLE_USER};
use super::services::Snapshot;

/// Formats a trace detail only when a trace is being recorded.
macro_rules! detail {
    ($describe:expr, $($arg:tt)*) => {
        if $describe { format!($($arg)*) } else { String::new() }
    };
}

pub use crate::topology::COHORTS_PER_GROUP;

/// Where a cohort is in its failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
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

struct Cohort {
    front_end: u32,
    amount: f64,
    mobile: bool,
    phase: Phase,
    generation: u32,
    order: Vec<u32>,
    /// The target its next event is for (`order.len()`: the walk is exhausted then).
    position: usize,
    /// Arrival time at each position of `order` drawn so far in this walk (the last one,
    /// at `order.len()`, is when the walk is exhausted).
    arrivals: Vec<SimDuration>,
    /// Positions from here up to `position` were passed over without an event because
    /// their targets could not answer under the plan in force (see [`RemoteAccess::advance`]).
    skipped_from: usize,
    walk_started: SimDuration,
    /// The walk's own stream of connect timeouts, when they are random: the timeout at
    /// each position is then the same whenever it is drawn (see [`RemoteAccess::advance`]).
    timeouts: Option<Stream>,
    /// Orders the cohort's events among simultaneous ones (rule S1): see [`cohort_tie`].
    tie: Tie,
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

/// How a displaced group starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Its connection died: clients notice after `detect`.
    Detect,
    /// Its FE pool came back: clients walk at once.
    WalkNow,
    /// Found no room at time 0: walk after one `retry`.
    Retry,
}

/// Users of one FE pool moving from one Edge pool to another as they sign in again:
/// `amount` · g(Δ) have moved Δ after the anchor.
struct Flow {
    front_end: u32,
    source: u32,
    destination: u32,
    amount: f64,
}

/// What an Edge pool is to the plan, from the anchor on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PoolRole {
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
#[derive(Default)]
struct Plan {
    /// Stale milestone events carry an older generation.
    generation: u64,
    flows: Vec<Flow>,
    /// Per Edge pool: planned inflow − outflow (users, times g).
    net_inflow: Vec<f64>,
    /// Per Edge pool: planned outflow (users, times g): the room it frees.
    outflow: Vec<f64>,
    /// Per Edge pool: planned inflow granted to returning users (users, times g).
    granted: Vec<f64>,
    /// Per Edge pool: its role.
    role: Vec<PoolRole>,
    /// Per Edge pool: a freeing pool asked for more than it frees (its room stays 0).
    binding: Vec<bool>,
    /// Per Edge pool: mobile users waiting for it that take the room it frees.
    waiting: Vec<f64>,
    /// Per Edge pool: whether it has room from the anchor on (now, or the instant after).
    has_room: Vec<bool>,
    /// Per FE pool: the pool whose freed room its waiting mobile users take.
    absorbing_into: Vec<Option<u32>>,
    /// What the next milestone is, for traces.
    milestone_reason: &'static str,
}

impl Plan {
    fn clear(&mut self, edge_count: usize, fe_count: usize) {
        self.generation += 1;
        self.flows.clear();
        for per_pool in [
            &mut self.net_inflow,
            &mut self.outflow,
            &mut self.granted,
            &mut self.waiting,
        ] {
            per_pool.clear();
            per_pool.resize(edge_count, 0.0);
        }
        self.role.clear();
        self.role.resize(edge_count, PoolRole::Closed);
        self.binding.clear();
        self.binding.resize(edge_count, false);
        self.has_room.clear();
        self.has_room.resize(edge_count, false);
        self.absorbing_into.clear();
        self.absorbing_into.resize(fe_count, None);
    }
}

/// Desktop users of one FE pool on the pools of one SRV rank: they sign in again together
/// and walk the same groups (rule R3), from the best group with a pool they may use down
/// to the group before their own.
struct Walker {
    front_end: u32,
    source_rank: u32,
    /// Users on those pools.
    demand: f64,
    /// Of them, the share not yet granted in the groups planned so far.
    left: f64,
}

/// One walker's part in one group: (walker, position in the group, weight share among
/// its options there, granted).
type Part = (usize, usize, f64, f64);

/// Scratch space of the plan, kept between events.
#[derive(Default)]
struct PlanScratch {
    walkers: Vec<Walker>,
    parts: Vec<Part>,
    binding: Vec<bool>,
    captive_request: Vec<f64>,
    free_request: Vec<f64>,
    captive_grant: Vec<f64>,
    free_grant: Vec<f64>,
    absorbed: Vec<f64>,
    open_later: Vec<bool>,
    shares: Vec<(u32, f64)>,
    captive: Vec<bool>,
    /// One FE pool's desktop users on the pools of each rank it occupies beyond the best.
    rank_demand: Vec<(u32, f64)>,
    /// Per walker: whether it asks anything of the group being planned.
    asks: Vec<bool>,
}

/// The users an Edge pool refuses for lack of room: `level − falling · g(Δ)` after Δ.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Refused {
    /// Refused now.
    pub level: f64,
    /// How many of them the room it frees connects, times g.
    pub falling: f64,
}

impl Refused {
    /// Whether at least one whole user is refused now (the same threshold as an outage).
    pub fn refuses(&self) -> bool {
        self.level >= WHOLE_USER
    }
}

/// What one cohort step did, for traces.
#[derive(Clone, Debug, Default)]
pub struct StepReport {
    /// The FE pool whose users moved.
    pub front_end: u32,
    /// Whether the step changed who is connected or waiting (if not, nothing derived from
    /// the state needs recomputing).
    pub changes_state: bool,
    /// A human description of the step.
    pub detail: String,
}

/// Everything the scheduler and the derived state give a remote-access step.
pub struct Context<'a> {
    /// The topology.
    pub topology: &'a Topology,
    /// Now.
    pub now: SimDuration,
    /// Where new events go.
    pub queue: &'a mut EventQueue<Event>,
    /// Which components are up.
    pub derived: &'a Derived,
    /// Each FE pool's associated Edge pool now (mobile users use only it, F2).
    pub association: &'a [u32],
}

impl Context<'_> {
    fn capacity(&self, edge: usize) -> f64 {
        self.derived.edge_servers_up[edge] as f64
            * self.topology.edge_pools[edge].capacity_per_server as f64
    }

    fn allows(&self, front_end: u32, edge: u32) -> bool {
        self.topology
            .firewall
            .allows(FrontEndPoolIndex(front_end), EdgePoolIndex(edge))
    }
}

/// The remote users of every FE pool, and where they are.
pub struct RemoteAccess {
    edge_count: usize,
    remote_users: Vec<f64>,
    mobile_share: f64,
    session_micros: f64,
    /// The instant the state below describes; the plan says what moves after it.
    anchor: SimDuration,
    desktop_on: Vec<f64>,
    mobile_on: Vec<f64>,
    load: Vec<f64>,
    /// Per Edge pool, the most users connected at once so far.
    peak: Vec<f64>,
    unserved_desktop: Vec<f64>,
    unserved_mobile: Vec<f64>,
    mobile_waiting: Vec<f64>,
    srv_rank: Vec<Option<u32>>,
    /// Per FE pool: the pools of SRV rank 1 or worse that may hold its desktop users, in
    /// index order (a superset: cells that emptied are dropped when next seen). Only these
    /// users sign in again to better pools, so planning reads only these cells.
    off_best: Vec<Vec<u32>>,
    cohorts: Vec<Cohort>,
    free_slots: Vec<u32>,
    parked: Vec<u32>,
    streams: Vec<Stream>,
    /// Per FE pool: the key its id gives, for [`cohort_tie`].
    front_end_keys: Vec<u64>,
    order_scratch: Vec<(u32, u64)>,
    plan: Plan,
    scratch: PlanScratch,
    retry_is_zero: bool,
    /// Per FE pool: the firewall blocks every remote-access target, so walking again can
    /// never connect its users (the firewall does not change during a replication).
    walk_is_futile: Vec<bool>,
    /// Per Edge pool: whether it could answer no one under the last plan (down, or full
    /// and closed), to know when cohorts must come back to targets they passed over.
    closed: Vec<bool>,
    /// The run's seed and this replication's number, for walks' timeout streams.
    seed: u64,
    replication: u64,
    /// Whether `connect_timeout` draws nothing (a fixed duration).
    timeout_is_fixed: bool,
    /// Displaced groups started so far (numbers them for [`cohort_tie`]).
    groups_started: u64,
    /// Whether cohorts pass over targets that cannot answer (see [`RemoteAccess::advance`]);
    /// off only to check that passing over changes nothing.
    look_ahead: bool,
}

impl RemoteAccess {
    /// No one connected yet; streams for replication `replication`.
    pub fn new(topology: &Topology, seed: u64, replication: u64) -> Self {
        let fe_count = topology.front_end_pools.len();
        let edge_count = topology.edge_pools.len();
        let mut srv_rank = vec![None; edge_count];
        for (rank, group) in topology.dns.remote_access.priority_groups().enumerate() {
            for record in group {
                srv_rank[record.target.index()] = Some(rank as u32);
            }
        }
        let mut plan = Plan::default();
        plan.clear(edge_count, fe_count);
        RemoteAccess {
            edge_count,
            remote_users: topology
                .front_end_pools
                .iter()
                .map(|p| p.remote_users as f64)
                .collect(),
            mobile_share: topology.clients.mobile_share,
            session_micros: topology.clients.session.as_micros() as f64,
            anchor: SimDuration::ZERO,
            desktop_on: vec![0.0; fe_count * edge_count],
            mobile_on: vec![0.0; fe_count * edge_count],
            load: vec![0.0; edge_count],
            peak: vec![0.0; edge_count],
            unserved_desktop: vec![0.0; fe_count],
            unserved_mobile: vec![0.0; fe_count],
            mobile_waiting: vec![0.0; fe_count],
            off_best: vec![Vec::new(); fe_count],
            srv_rank,
            cohorts: Vec::new(),
            free_slots: Vec::new(),
            parked: Vec::new(),
            streams: topology
                .front_end_pools
                .iter()
                .map(|p| Stream::new(seed, replication, p.stream_key, Purpose::Clients))
                .collect(),
            front_end_keys: topology
                .front_end_pools
                .iter()
                .map(|p| p.stream_key)
                .collect(),
            order_scratch: Vec::new(),
            plan,
            scratch: PlanScratch::default(),
            retry_is_zero: topology.clients.retry == Distribution::Fixed(SimDuration::ZERO),
            closed: vec![false; edge_count],
            seed,
            replication,
            timeout_is_fixed: matches!(
                topology.clients.connect_timeout,
                Distribution::Fixed(_) | Distribution::Never
            ),
            groups_started: 0,
            look_ahead: true,
            walk_is_futile: (0..fe_count as u32)
                .map(|front_end| {
                    !topology.dns.remote_access.records().iter().any(|record| {
                        topology
                            .firewall
                            .allows(FrontEndPoolIndex(front_end), record.target)
                    })
                })
                .collect(),
        }
    }

    fn cell(&self, front_end: u32, edge: u32) -> usize {
        front_end as usize * self.edge_count + edge as usize
    }

    /// Makes every cohort step through every target, one event per timeout, instead of
    /// passing over those that cannot answer: the results must not change.
    pub fn step_through_every_target(&mut self) {
        self.look_ahead = false;
    }

    /// Whether any remote user is mobile (only then does the association matter here).
    pub fn has_mobile_users(&self) -> bool {
        self.mobile_share > 0.0 && self.remote_users.iter().any(|&r| r > 0.0)
    }

    /// Remote users of FE pool `front_end` (all of them, connected or not).
    pub fn remote_users(&self, front_end: usize) -> f64 {
        self.remote_users[front_end]
    }

    /// Users connected to Edge pool `edge` at the anchor.
    pub fn load(&self, edge: usize) -> f64 {
        self.load[edge]
    }

    /// Unserved remote users of an up FE pool `front_end` at the anchor: (desktop, mobile).
    pub fn unserved(&self, front_end: usize) -> (f64, f64) {
        (
            self.unserved_desktop[front_end],
            self.unserved_mobile[front_end],
        )
    }

    fn room(&self, ctx: &Context<'_>, edge: u32) -> f64 {
        (ctx.capacity(edge as usize) - self.load[edge as usize]).max(0.0)
    }

    fn answers(&self, ctx: &Context<'_>, front_end: u32, edge: u32) -> bool {
        ctx.derived.edge_up(edge as usize)
            && ctx.allows(front_end, edge)
            && self.room(ctx, edge) > NOBODY
    }

    /// Connects as many of `wanted` users as `edge` has room for and returns how many; a
    /// pool whose room is all taken is left with exactly none.
    fn connect_within_room(
        &mut self,
        ctx: &Context<'_>,
        front_end: u32,
        edge: u32,
        wanted: f64,
        mobile: bool,
    ) -> f64 {
        let room = self.room(ctx, edge);
        let take = wanted.min(room);
        self.connect(front_end, edge, take, mobile);
        if take >= room {
            self.load[edge as usize] = ctx.capacity(edge as usize);
        }
        take
    }

    fn connect(&mut self, front_end: u32, edge: u32, amount: f64, mobile: bool) {
        let cell = self.cell(front_end, edge);
        if mobile {
            self.mobile_on[cell] += amount;
        } else {
            self.desktop_on[cell] += amount;
            self.note_off_best(front_end, edge);
        }
        self.load[edge as usize] += amount;
        self.peak[edge as usize] = self.peak[edge as usize].max(self.load[edge as usize]);
    }

    /// Time 0: everyone connected as if they had walked at no cost. Mobile users take
    /// their associated pool first (they have no alternative); desktop users fill pools in
    /// SRV order, sharing equal priorities by weight and a pool's room among FE pools in
    /// proportion to their users. Users who fit nowhere walk after one retry.
    pub fn connect_initially(&mut self, ctx: &mut Context<'_>) {
        let fe_count = self.remote_users.len();
        let mut mobile_left: Vec<f64> = self
            .remote_users
            .iter()
            .map(|r| r * self.mobile_share)
            .collect();
        let mut desktop_left: Vec<f64> = self
            .remote_users
            .iter()
            .map(|r| r * (1.0 - self.mobile_share))
            .collect();
        for (fe, amount) in self.connect_mobile(ctx, &mobile_left, NOBODY) {
            mobile_left[fe] -= amount;
        }
        let groups: Vec<Vec<(u32, u16)>> = ctx
            .topology
            .dns
            .remote_access
            .priority_groups()
            .map(|g| g.iter().map(|r| (r.target.0, r.weight)).collect())
            .collect();
        for group in &groups {
            // Spill within the group until demand or room runs out.
            loop {
                let mut requests: Vec<Vec<(usize, f64)>> = vec![Vec::new(); self.edge_count];
                let mut any = false;
                for (fe, &left) in desktop_left.iter().enumerate() {
                    if left <= NOBODY || !ctx.derived.front_end_up[fe] {
                        continue;
                    }
                    let open: Vec<(u32, u16)> = group
                        .iter()
                        .copied()
                        .filter(|&(edge, _)| self.answers(ctx, fe as u32, edge))
                        .collect();
                    for (edge, share) in weight_shares(&open) {
                        requests[edge as usize].push((fe, left * share));
                        any = true;
                    }
                }
                if !any {
                    break;
                }
                for (edge, demands) in requests.into_iter().enumerate() {
                    if demands.is_empty() {
                        continue;
                    }
                    let granted = self.share_room(ctx, edge as u32, &demands);
                    let full =
                        self.room(ctx, edge as u32) <= demands.iter().map(|(_, a)| a).sum::<f64>();
                    for (fe, amount) in granted {
                        self.connect(fe as u32, edge as u32, amount, false);
                        desktop_left[fe] -= amount;
                    }
                    if full {
                        self.load[edge] = ctx.capacity(edge);
                    }
                }
            }
        }
        for fe in 0..fe_count {
            if !ctx.derived.front_end_up[fe] {
                continue;
            }
            if desktop_left[fe] > NOBODY {
                self.displace(ctx, fe as u32, desktop_left[fe], false, Start::Retry);
            }
            if mobile_left[fe] > NOBODY {
                self.mobile_waiting[fe] += mobile_left[fe];
                self.unserved_mobile[fe] += mobile_left[fe];
            }
        }
    }

    /// Mobile users (`wanting[fe]` per FE pool, counted above `at_least`) connect to their
    /// FE pool's associated Edge pool as far as its room allows. FE pools that share a pool
    /// share its room in proportion to their users, whatever order they are listed in.
    /// Returns the users connected, per FE pool.
    fn connect_mobile(
        &mut self,
        ctx: &Context<'_>,
        wanting: &[f64],
        at_least: f64,
    ) -> Vec<(usize, f64)> {
        let mut by_pool: Vec<(u32, Vec<(usize, f64)>)> = Vec::new();
        for (fe, &amount) in wanting.iter().enumerate() {
            let edge = ctx.association[fe];
            if amount <= at_least
                || !ctx.derived.front_end_up[fe]
                || !self.answers(ctx, fe as u32, edge)
            {
                continue;
            }
            match by_pool.iter_mut().find(|(e, _)| *e == edge) {
                Some((_, demands)) => demands.push((fe, amount)),
                None => by_pool.push((edge, vec![(fe, amount)])),
            }
        }
        let mut connected = Vec::new();
        for (edge, demands) in by_pool {
            let full = self.room(ctx, edge) <= demands.iter().map(|(_, a)| a).sum::<f64>();
            for (fe, amount) in self.share_room(ctx, edge, &demands) {
                self.connect(fe as u32, edge, amount, true);
                connected.push((fe, amount));
            }
            if full {
                // Exactly full, so that rounding never leaves it looking open.
                self.load[edge as usize] = ctx.capacity(edge as usize);
            }
        }
        connected
    }

    /// Grants each demand on `edge` in full, or in proportion when room is short.
    fn share_room(
        &self,
        ctx: &Context<'_>,
        edge: u32,
        demands: &[(usize, f64)],
    ) -> Vec<(usize, f64)> {
        let room = self.room(ctx, edge);
        let total: f64 = demands.iter().map(|(_, a)| a).sum();
        let scale = if total > room { room / total } else { 1.0 };
        demands.iter().map(|&(fe, a)| (fe, a * scale)).collect()
    }

    /// Starts a displaced group of `amount` users of `front_end`, split into cohorts.
    pub fn displace(
        &mut self,
        ctx: &mut Context<'_>,
        front_end: u32,
        amount: f64,
        mobile: bool,
        start: Start,
    ) {
        if amount <= NOBODY {
            return;
        }
        if mobile {
            self.unserved_mobile[front_end as usize] += amount;
        } else {
            self.unserved_desktop[front_end as usize] += amount;
        }
        let share = amount / COHORTS_PER_GROUP as f64;
        self.groups_started += 1;
        for ordinal in 0..COHORTS_PER_GROUP {
            let tie = cohort_tie(
                ordinal,
                self.front_end_keys[front_end as usize],
                self.groups_started,
            );
            let slot = self.allocate(front_end, share, mobile, tie);
            let clients = &ctx.topology.clients;
            let stream = &mut self.streams[front_end as usize];
            let (phase, delay) = match start {
                Start::Detect => (Phase::Detecting, clients.detect.sample(stream)),
                Start::WalkNow => (Phase::Retrying, Some(SimDuration::ZERO)),
                Start::Retry if self.retry_is_zero => (Phase::Parked, None),
                Start::Retry => (Phase::Retrying, clients.retry.sample(stream)),
            };
            let cohort = &mut self.cohorts[slot as usize];
            cohort.phase = phase;
            if phase == Phase::Parked {
                self.parked.push(slot);
            } else {
                let at = ctx.now.saturating_add(delay.unwrap_or_default());
                schedule(ctx.queue, at, slot, cohort);
            }
        }
    }

    fn allocate(&mut self, front_end: u32, amount: f64, mobile: bool, tie: Tie) -> u32 {
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.cohorts.push(Cohort {
                    front_end: 0,
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
                });
                (self.cohorts.len() - 1) as u32
            }
        };
        let cohort = &mut self.cohorts[slot as usize];
        cohort.front_end = front_end;
        cohort.amount = amount;
        cohort.mobile = mobile;
        cohort.position = 0;
        cohort.skipped_from = 0;
        cohort.arrivals.clear();
        cohort.tie = tie;
        slot
    }

    fn release(&mut self, slot: u32) {
        let cohort = &mut self.cohorts[slot as usize];
        cohort.phase = Phase::Free;
        cohort.amount = 0.0;
        cohort.generation = cohort.generation.wrapping_add(1);
        self.free_slots.push(slot);
    }

    /// Remembers that `front_end`'s desktop users may be on `edge`, if it is not of the
    /// best SRV rank.
    fn note_off_best(&mut self, front_end: u32, edge: u32) {
        if self.srv_rank[edge as usize].is_some_and(|rank| rank >= 1) {
            let pools = &mut self.off_best[front_end as usize];
            if let Err(at) = pools.binary_search(&edge) {
                pools.insert(at, edge);
            }
        }
    }

    /// FE pool `front_end` went down: its users hold no Edge capacity and stop walking.
    pub fn front_end_down(&mut self, front_end: u32) {
        self.off_best[front_end as usize].clear();
        for edge in 0..self.edge_count as u32 {
            let cell = self.cell(front_end, edge);
            self.load[edge as usize] -= self.desktop_on[cell] + self.mobile_on[cell];
            self.desktop_on[cell] = 0.0;
            self.mobile_on[cell] = 0.0;
        }
        for slot in 0..self.cohorts.len() as u32 {
            let cohort = &self.cohorts[slot as usize];
            if cohort.phase != Phase::Free && cohort.front_end == front_end {
                self.release(slot);
            }
        }
        let cohorts = &self.cohorts;
        self.parked
            .retain(|&slot| cohorts[slot as usize].phase != Phase::Free);
        self.unserved_desktop[front_end as usize] = 0.0;
        self.unserved_mobile[front_end as usize] = 0.0;
        self.mobile_waiting[front_end as usize] = 0.0;
    }

    /// FE pool `front_end` is back: desktop users walk at once, mobile users connect at once.
    pub fn front_end_up(&mut self, ctx: &mut Context<'_>, front_end: u32) {
        let users = self.remote_users[front_end as usize];
        let mobile = users * self.mobile_share;
        self.displace(ctx, front_end, users - mobile, false, Start::WalkNow);
        if mobile > NOBODY {
            self.mobile_waiting[front_end as usize] += mobile;
            self.unserved_mobile[front_end as usize] += mobile;
        }
    }

    /// Each Edge pool lost `lost_fraction[pool]` of its connections (0: none; a server's
    /// share; 1: all) in one event. Each FE pool's users who lost service together form one
    /// displaced group of desktop users and one of mobile users, however many pools they
    /// were on, so that the draws do not depend on the order the pools are listed in.
    pub fn edges_lost(&mut self, ctx: &mut Context<'_>, lost_fraction: &[f64]) {
        for front_end in 0..self.remote_users.len() as u32 {
            let (mut desktop, mut mobile) = (0.0, 0.0);
            for (edge, &fraction) in lost_fraction.iter().enumerate() {
                if fraction <= 0.0 {
                    continue;
                }
                let cell = self.cell(front_end, edge as u32);
                let lost_desktop = self.desktop_on[cell] * fraction;
                let lost_mobile = self.mobile_on[cell] * fraction;
                self.desktop_on[cell] -= lost_desktop;
                self.mobile_on[cell] -= lost_mobile;
                self.load[edge] -= lost_desktop + lost_mobile;
                desktop += lost_desktop;
                mobile += lost_mobile;
            }
            self.displace(ctx, front_end, desktop, false, Start::Detect);
            self.displace(ctx, front_end, mobile, true, Start::Detect);
        }
        for (edge, &fraction) in lost_fraction.iter().enumerate() {
            if fraction >= 1.0 {
                self.load[edge] = 0.0;
            }
        }
    }

    /// An Edge pool changed state or capacity: parked cohorts (`retry = 0`) walk now.
    pub fn edge_changed(&mut self, ctx: &mut Context<'_>) {
        for slot in std::mem::take(&mut self.parked) {
            let cohort = &mut self.cohorts[slot as usize];
            cohort.phase = Phase::Retrying;
            schedule(ctx.queue, ctx.now, slot, cohort);
        }
    }

    /// Mobile users who noticed their loss connect at once to their associated pool,
    /// as far as its room allows. Returns the users connected.
    pub fn connect_waiting_mobile(&mut self, ctx: &Context<'_>) -> f64 {
        if self.mobile_waiting.iter().all(|&w| w <= 0.0) {
            return 0.0;
        }
        let waiting = std::mem::take(&mut self.mobile_waiting);
        let connected = self.connect_mobile(ctx, &waiting, 0.0);
        self.mobile_waiting = waiting;
        let mut total = 0.0;
        for (fe, amount) in connected {
            self.mobile_waiting[fe] -= amount;
            self.unserved_mobile[fe] -= amount;
            total += amount;
        }
        total
    }

    /// Handles a cohort's event. Returns `None` for a stale event.
    pub fn cohort_step(
        &mut self,
        ctx: &mut Context<'_>,
        slot: u32,
        generation: u32,
        describe: bool,
    ) -> Option<StepReport> {
        let cohort = &self.cohorts[slot as usize];
        if cohort.generation != generation || matches!(cohort.phase, Phase::Free | Phase::Parked) {
            return None;
        }
        let front_end = cohort.front_end;
        let fe_id = &ctx.topology.front_end_pools[front_end as usize].id;
        let amount = cohort.amount;
        match cohort.phase {
            Phase::Detecting if cohort.mobile => {
                self.mobile_waiting[front_end as usize] += amount;
                self.release(slot);
                Some(StepReport {
                    changes_state: true,
                    front_end,
                    detail: detail!(
                        describe,
                        "{amount:.1} mobile users of {fe_id} noticed; they wait for their associated Edge pool"
                    ),
                })
            }
            Phase::Detecting | Phase::Retrying => {
                self.begin_walk(ctx, slot);
                Some(self.arrive(ctx, slot, describe))
            }
            Phase::Walking => Some(self.arrive(ctx, slot, describe)),
            Phase::Exhausted if self.walk_is_futile[front_end as usize] => {
                // They stay unserved whatever happens to the Edge pools; walking again
                // would only repeat this walk, for ever (an event storm with a short retry).
                self.release(slot);
                Some(StepReport {
                    front_end,
                    changes_state: false,
                    detail: detail!(
                        describe,
                        "{amount:.1} users of {fe_id} found no Edge pool; the firewall blocks every remote-access target, so they stop walking"
                    ),
                })
            }
            Phase::Exhausted => {
                let walk_took_no_time = self.cohorts[slot as usize].walk_started == ctx.now;
                let retry = if self.retry_is_zero {
                    None
                } else {
                    ctx.topology
                        .clients
                        .retry
                        .sample(&mut self.streams[front_end as usize])
                };
                let cohort = &mut self.cohorts[slot as usize];
                match retry {
                    // A zero wait after a zero-time walk would fail again at once.
                    Some(wait) if !(wait.is_zero() && walk_took_no_time) => {
                        cohort.phase = Phase::Retrying;
                        schedule(ctx.queue, ctx.now.saturating_add(wait), slot, cohort);
                        Some(StepReport {
                            front_end,
                            changes_state: false,
                            detail: detail!(
                                describe,
                                "{amount:.1} users of {fe_id} found no Edge pool; retry in {wait}"
                            ),
                        })
                    }
                    _ => {
                        cohort.phase = Phase::Parked;
                        self.parked.push(slot);
                        Some(StepReport {
                            front_end,
                            changes_state: false,
                            detail: detail!(
                                describe,
                                "{amount:.1} users of {fe_id} found no Edge pool; they wait for an Edge pool to change"
                            ),
                        })
                    }
                }
            }
            Phase::Free | Phase::Parked => None,
        }
    }

    fn begin_walk(&mut self, ctx: &Context<'_>, slot: u32) {
        let front_end = self.cohorts[slot as usize].front_end as usize;
        let mut order = std::mem::take(&mut self.cohorts[slot as usize].order);
        draw_srv_order(
            ctx.topology,
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
        let cohort = &mut self.cohorts[slot as usize];
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
    fn arrive(&mut self, ctx: &mut Context<'_>, slot: u32, describe: bool) -> StepReport {
        let cohort = &self.cohorts[slot as usize];
        let (front_end, target) = (cohort.front_end, cohort.order[cohort.position]);
        let fe_id = &ctx.topology.front_end_pools[front_end as usize].id;
        let edge_id = &ctx.topology.edge_pools[target as usize].id;
        let mut report = StepReport {
            front_end,
            ..StepReport::default()
        };
        if self.answers(ctx, front_end, target) {
            let take = self.connect_within_room(ctx, front_end, target, cohort.amount, false);
            self.unserved_desktop[front_end as usize] -= take;
            let cohort = &mut self.cohorts[slot as usize];
            cohort.amount -= take;
            report.changes_state = true;
            report.detail = detail!(
                describe,
                "{take:.1} users of {fe_id} connected to {edge_id}"
            );
            if cohort.amount <= NOBODY {
                self.unserved_desktop[front_end as usize] -= cohort.amount;
                self.release(slot);
                return report;
            }
            report
                .detail
                .push_str(&format!("; {:.1} found it full", cohort.amount));
        } else {
            let why = if !ctx.derived.edge_up(target as usize) {
                "down"
            } else if !ctx.allows(front_end, target) {
                "blocked by the firewall"
            } else {
                "full"
            };
            report.detail = detail!(
                describe,
                "{:.1} users of {fe_id} tried {edge_id}: {why}",
                cohort.amount
            );
        }
        self.advance(ctx, slot, describe, &mut report.detail);
        report
    }

    /// Why `edge` certainly does not answer `front_end`'s clients from now until the plan
    /// changes, if it does not: it is down, the firewall blocks it, or it is full and
    /// closed (nothing leaves it and nothing is planned into it, so its room stays 0).
    fn cannot_answer(&self, ctx: &Context<'_>, front_end: u32, edge: u32) -> Option<&'static str> {
        if !ctx.derived.edge_up(edge as usize) {
            Some("down")
        } else if !ctx.allows(front_end, edge) {
            Some("blocked by the firewall")
        } else if self.closed_full(ctx, edge as usize) {
            Some("full")
        } else {
            None
        }
    }

    /// Whether `edge` is up but full, and stays so until the plan changes.
    fn closed_full(&self, ctx: &Context<'_>, edge: usize) -> bool {
        self.plan.role[edge] == PoolRole::Closed && self.room(ctx, edge as u32) <= NOBODY
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
    fn advance(&mut self, ctx: &mut Context<'_>, slot: u32, describe: bool, detail: &mut String) {
        let front_end = self.cohorts[slot as usize].front_end;
        let mut passed = Vec::new();
        {
            let cohort = &mut self.cohorts[slot as usize];
            cohort.skipped_from = cohort.position + 1;
        }
        loop {
            let cohort = &mut self.cohorts[slot as usize];
            let next = cohort.position + 1;
            if cohort.arrivals.len() <= next {
                let stream = match cohort.timeouts.as_mut() {
                    Some(walk) => walk,
                    None => &mut self.streams[front_end as usize],
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
                passed.push(format!(
                    "{} ({why})",
                    ctx.topology.edge_pools[target as usize].id
                ));
            }
        }
        let cohort = &self.cohorts[slot as usize];
        let at = cohort.arrivals[cohort.position];
        schedule(ctx.queue, at, slot, cohort);
        if describe && !passed.is_empty() {
            let wait = crate::time::human(SimDuration::from_micros(
                at.as_micros().saturating_sub(ctx.now.as_micros()),
            ));
            let then = match cohort.order.get(cohort.position) {
                Some(&edge) => format!(
                    "they try {} in {wait}",
                    ctx.topology.edge_pools[edge as usize].id
                ),
                None => format!("their walk ends in {wait}"),
            };
            detail.push_str(&format!(
                "; {} cannot answer before they get there: {then}",
                passed.join(", ")
            ));
        }
    }

    /// After a new plan: if a pool that could not answer under the previous plan might
    /// answer now, cohorts that passed over it at a time not yet reached come back to
    /// it (see [`RemoteAccess::advance`]). An arrival due now counts if its event would
    /// have followed the one being handled (rule S1).
    pub fn revisit_passed_targets(&mut self, ctx: &mut Context<'_>) {
        let mut reopened = false;
        for edge in 0..self.edge_count {
            let closed = !ctx.derived.edge_up(edge) || self.closed_full(ctx, edge);
            reopened |= self.closed[edge] && !closed;
            self.closed[edge] = closed;
        }
        if !reopened {
            return;
        }
        for slot in 0..self.cohorts.len() as u32 {
            let cohort = &self.cohorts[slot as usize];
            if !matches!(cohort.phase, Phase::Walking | Phase::Exhausted)
                || cohort.skipped_from >= cohort.position
            {
                continue;
            }
            let due = |at: SimDuration| {
                at > ctx.now
                    || (at == ctx.now
                        && ctx.queue.would_follow_last(EventClass::Client, cohort.tie))
            };
            let back_to = (cohort.skipped_from..cohort.position).find(|&position| {
                due(cohort.arrivals[position])
                    && self
                        .cannot_answer(ctx, cohort.front_end, cohort.order[position])
                        .is_none()
            });
            if let Some(position) = back_to {
                let cohort = &mut self.cohorts[slot as usize];
                cohort.generation = cohort.generation.wrapping_add(1);
                cohort.phase = Phase::Walking;
                cohort.position = position;
                cohort.skipped_from = position;
                schedule(ctx.queue, cohort.arrivals[position], slot, cohort);
            }
        }
    }

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
        let mut fraction = -libm::expm1(-(elapsed as f64) / self.session_micros);
        // Never past the instant an open pool fills: its milestone is rounded up to the
        // next microsecond.
        let mut filled = None;
        for edge in 0..self.edge_count {
            let net = self.plan.net_inflow[edge];
            if self.plan.role[edge] == PoolRole::Open && net > 0.0 {
                let fills_at = self.room(ctx, edge as u32) / net;
                if fills_at <= fraction {
                    fraction = fills_at;
                    filled = Some(edge);
                }
            }
        }
        for flow in &mut self.plan.flows {
            let moved = flow.amount * fraction;
            let from = flow.front_end as usize * self.edge_count + flow.source as usize;
            let to = flow.front_end as usize * self.edge_count + flow.destination as usize;
            self.desktop_on[from] -= moved;
            self.desktop_on[to] += moved;
            self.load[flow.source as usize] -= moved;
            self.load[flow.destination as usize] += moved;
            flow.amount -= moved;
        }
        let absorbed = &mut self.scratch.absorbed;
        absorbed.clear();
        absorbed.extend((0..self.edge_count).map(|edge| {
            if self.plan.role[edge] == PoolRole::Absorbing {
                (self.plan.outflow[edge] * fraction).min(self.plan.waiting[edge])
            } else {
                0.0
            }
        }));
        for front_end in 0..self.remote_users.len() {
            let Some(edge) = self.plan.absorbing_into[front_end] else {
                continue;
            };
            let edge = edge as usize;
            let (absorbed, waiting) = (self.scratch.absorbed[edge], self.plan.waiting[edge]);
            let take = if absorbed >= waiting {
                self.mobile_waiting[front_end]
            } else {
                absorbed * self.mobile_waiting[front_end] / waiting
            };
            self.mobile_on[front_end * self.edge_count + edge] += take;
            self.load[edge] += take;
            self.mobile_waiting[front_end] -= take;
            self.unserved_mobile[front_end] -= take;
        }
        for edge in 0..self.edge_count {
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

    fn role_of(&self, ctx: &Context<'_>, edge: usize) -> PoolRole {
        let frees = self.plan.outflow[edge] > 0.0;
        if !ctx.derived.edge_up(edge) {
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
    pub fn plan(&mut self, ctx: &Context<'_>) {
        let fe_count = self.remote_users.len();
        self.plan.clear(self.edge_count, fe_count);
        // Mobile users still waiting for an up pool they may reach found it full: they
        // take the room it frees (rule F2).
        for front_end in 0..fe_count {
            if self.mobile_waiting[front_end] <= 0.0 || !ctx.derived.front_end_up[front_end] {
                continue;
            }
            let edge = ctx.association[front_end];
            if ctx.derived.edge_up(edge as usize) && ctx.allows(front_end as u32, edge) {
                self.plan.absorbing_into[front_end] = Some(edge);
                self.plan.waiting[edge as usize] += self.mobile_waiting[front_end];
            }
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        self.gather_walkers(ctx, &mut scratch);
        for (rank, group) in ctx.topology.dns.remote_access.priority_groups().enumerate() {
            for record in group {
                self.plan.role[record.target.index()] = self.role_of(ctx, record.target.index());
            }
            self.plan_group(ctx, rank as u32, group, &mut scratch);
        }
        self.scratch = scratch;
        for edge in 0..self.edge_count {
            if self.srv_rank[edge].is_none() {
                self.plan.role[edge] = self.role_of(ctx, edge);
            }
            let role = self.plan.role[edge];
            // Room a walking client can use from now on: more than nobody now, or growing
            // by more than nobody (users leave faster than returning users arrive).
            self.plan.has_room[edge] = match role {
                PoolRole::Open | PoolRole::Freeing => {
                    !self.plan.binding[edge]
                        && (self.room(ctx, edge as u32) > NOBODY
                            || -self.plan.net_inflow[edge] > NOBODY)
                }
                PoolRole::Closed | PoolRole::Absorbing => false,
            };
            if role != PoolRole::Absorbing {
                self.plan.waiting[edge] = 0.0;
            }
        }
        for front_end in 0..fe_count {
            if let Some(edge) = self.plan.absorbing_into[front_end]
                && self.plan.role[edge as usize] != PoolRole::Absorbing
            {
                self.plan.absorbing_into[front_end] = None;
            }
        }
    }

    /// One walker per up FE pool and SRV rank that holds some of its desktop users.
    fn gather_walkers(&mut self, ctx: &Context<'_>, scratch: &mut PlanScratch) {
        scratch.walkers.clear();
        for front_end in 0..self.remote_users.len() as u32 {
            if !ctx.derived.front_end_up[front_end as usize] {
                continue;
            }
            // Each rank's sum adds its occupied pools in index order: the same sum as over
            // every pool of the rank, whose empty cells add nothing.
            let row = front_end as usize * self.edge_count;
            let desktop_on = &self.desktop_on;
            let pools = &mut self.off_best[front_end as usize];
            pools.retain(|&edge| desktop_on[row + edge as usize] > 0.0);
            scratch.rank_demand.clear();
            for &edge in pools.iter() {
                let rank = self.srv_rank[edge as usize].expect("off_best holds SRV targets");
                let on = desktop_on[row + edge as usize];
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

    fn usable(&self, ctx: &Context<'_>, front_end: u32, edge: u32) -> bool {
        matches!(
            self.plan.role[edge as usize],
            PoolRole::Open | PoolRole::Freeing
        ) && ctx.allows(front_end, edge)
    }

    /// Plans the walkers that reach group `group` (rank `rank`) with users left.
    fn plan_group(
        &mut self,
        ctx: &Context<'_>,
        rank: u32,
        group: &[crate::topology::SrvRecord],
        scratch: &mut PlanScratch,
    ) {
        scratch.parts.clear();
        scratch.open_later.clear();
        scratch.asks.clear();
        for (index, walker) in scratch.walkers.iter().enumerate() {
            scratch.asks.push(false);
            if walker.source_rank <= rank || walker.left <= 0.0 {
                continue;
            }
            let options = group
                .iter()
                .enumerate()
                .filter(|(_, record)| self.usable(ctx, walker.front_end, record.target.0))
                .map(|(position, record)| (position as u32, record.weight));
            weight_shares_into(options, &mut scratch.shares);
            for &(position, share) in &scratch.shares {
                scratch.parts.push((index, position as usize, share, 0.0));
                scratch.asks[index] = true;
            }
        }
        if scratch.parts.is_empty() {
            return;
        }
        // Whether each walker that asks finds an open pool in a later group before its
        // own (only those walkers' answers are read).
        for (walker, &asks) in scratch.walkers.iter().zip(&scratch.asks) {
            if !asks {
                scratch.open_later.push(false);
                continue;
            }
            let later = ctx
                .topology
                .dns
                .remote_access
                .records()
                .iter()
                .any(|record| {
                    let edge = record.target.index();
                    self.srv_rank[edge].is_some_and(|r| r > rank && r < walker.source_rank)
                        && ctx.derived.edge_up(edge)
                        && ctx.capacity(edge) - self.load[edge] > 0.0
                        && ctx.allows(walker.front_end, record.target.0)
                });
            scratch.open_later.push(later);
        }
        self.grant(group, scratch);
        for &(index, position, _, granted) in &scratch.parts {
            if granted <= 0.0 {
                continue;
            }
            let walker = &scratch.walkers[index];
            let destination = group[position].target.0;
            self.plan.granted[destination as usize] += granted;
            let row = walker.front_end as usize * self.edge_count;
            for &source in &self.off_best[walker.front_end as usize] {
                let source = source as usize;
                let on = self.desktop_on[row + source];
                if on <= 0.0 || self.srv_rank[source] != Some(walker.source_rank) {
                    continue;
                }
                let amount = on * granted / walker.demand;
                self.plan.flows.push(Flow {
                    front_end: walker.front_end,
                    source: source as u32,
                    destination,
                    amount,
                });
                self.plan.outflow[source] += amount;
                self.plan.net_inflow[destination as usize] += amount;
                self.plan.net_inflow[source] -= amount;
            }
            // Users will move there as time passes: planning must read that cell too.
            self.note_off_best(walker.front_end, destination);
        }
        for &(index, _, _, granted) in &scratch.parts {
            scratch.walkers[index].left -= granted;
        }
    }

    /// Grants the walkers' parts in one group: open pools take everything, freeing pools
    /// no more than they free. A freeing pool asked for more binds: walkers with no other
    /// option in the group and no open pool later (captive) are served first, in
    /// proportion; the others share what is left and send the rest to their options in
    /// the group that do not bind, by weight, or on to the next groups.
    fn grant(&mut self, group: &[crate::topology::SrvRecord], scratch: &mut PlanScratch) {
        let size = group.len();
        scratch.binding.clear();
        scratch.binding.resize(size, false);
        loop {
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
            // A walker is captive when every option it has here binds and nothing later
            // is open to it.
            scratch.captive.clear();
            scratch
                .captive
                .extend(scratch.open_later.iter().map(|&open| !open));
            for &(walker, position, _, _) in &scratch.parts {
                scratch.captive[walker] &= binding[position];
            }
            for &(walker, position, share, _) in &scratch.parts {
                if binding[position] {
                    let request = share * scratch.walkers[walker].left;
                    if scratch.captive[walker] {
                        scratch.captive_request[position] += request;
                    } else {
                        scratch.free_request[position] += request;
                    }
                }
            }
            for position in (0..size).filter(|&p| binding[p]) {
                let frees = self.plan.outflow[group[position].target.index()];
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
            // Parts are grouped by walker, in walker order.
            let mut first = 0;
            while first < scratch.parts.len() {
                let walker = scratch.parts[first].0;
                let end = first
                    + scratch.parts[first..]
                        .iter()
                        .take_while(|p| p.0 == walker)
                        .count();
                let parts = &mut scratch.parts[first..end];
                first = end;
                let left = scratch.walkers[walker].left;
                let is_captive = scratch.captive[walker];
                let mut rejected = 0.0;
                let (mut free_weight, mut free_count) = (0u64, 0usize);
                for part in parts.iter_mut() {
                    let request = part.2 * left;
                    if binding[part.1] {
                        let grant = if is_captive {
                            scratch.captive_grant[part.1]
                        } else {
                            scratch.free_grant[part.1]
                        };
                        part.3 = request * grant;
                        rejected += request - part.3;
                    } else {
                        part.3 = request;
                        free_weight += u64::from(group[part.1].weight);
                        free_count += 1;
                    }
                }
                // What a binding pool refused goes to the options here that do not bind,
                // by weight; with none, it walks on to the next groups.
                if free_count > 0 {
                    for part in parts.iter_mut() {
                        if !binding[part.1] {
                            part.3 += rejected
                                * weight_share(group[part.1].weight, free_weight, free_count);
                        }
                    }
                }
            }
            let mut newly_binding = false;
            for (position, record) in group.iter().enumerate() {
                let edge = record.target.index();
                if scratch.binding[position] || self.plan.role[edge] != PoolRole::Freeing {
                    continue;
                }
                let asked: f64 = scratch
                    .parts
                    .iter()
                    .filter(|p| p.1 == position)
                    .map(|p| p.3)
                    .sum();
                if asked > self.plan.outflow[edge] {
                    scratch.binding[position] = true;
                    newly_binding = true;
                }
            }
            if !newly_binding {
                break;
            }
        }
        for (position, record) in group.iter().enumerate() {
            if scratch.binding[position] {
                self.plan.binding[record.target.index()] = true;
            }
        }
    }

    /// The first instant, after now, at which something discrete changes along the plan:
    /// an open pool fills, waiting mobile users have taken all the room they were waiting
    /// for, a FE pool's unserved users drop below one whole user, or a pool stops refusing
    /// a whole user for lack of room (`refused` as [`RemoteAccess::fill_snapshot`] gave it).
    pub fn next_milestone(
        &mut self,
        ctx: &Context<'_>,
        refused: &[Refused],
    ) -> Option<SimDuration> {
        let mut first: Option<(f64, &'static str)> = None;
        let mut consider = |fraction: f64, reason: &'static str| {
            if fraction < 1.0 && first.is_none_or(|(f, _)| fraction < f) {
                first = Some((fraction.max(0.0), reason));
            }
        };
        for edge in 0..self.edge_count {
            match self.plan.role[edge] {
                PoolRole::Open if self.plan.net_inflow[edge] > 0.0 => consider(
                    self.room(ctx, edge as u32) / self.plan.net_inflow[edge],
                    "users signing in again filled a preferred Edge pool",
                ),
                PoolRole::Absorbing => consider(
                    self.plan.waiting[edge] / self.plan.outflow[edge],
                    "mobile users waiting for room have all connected",
                ),
                _ => {}
            }
        }
        for front_end in 0..self.remote_users.len() {
            let Some(edge) = self.plan.absorbing_into[front_end] else {
                continue;
            };
            let unserved = self.unserved_desktop[front_end] + self.unserved_mobile[front_end];
            let falling = self.absorbing_rate(front_end, edge as usize);
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
    fn absorbing_rate(&self, front_end: usize, edge: usize) -> f64 {
        self.mobile_waiting[front_end] * self.plan.outflow[edge] / self.plan.waiting[edge]
    }

    /// Writes who is unserved from now on, and why, into `snapshot`, and per Edge pool the
    /// users it refuses for lack of room into `refused`.
    pub fn fill_snapshot(
        &self,
        ctx: &Context<'_>,
        snapshot: &mut Snapshot,
        refused: &mut Vec<Refused>,
    ) {
        refused.clear();
        refused.resize(self.edge_count, Refused::default());
        for front_end in 0..self.remote_users.len() {
            let level = &mut snapshot.per_front_end[front_end];
            if !ctx.derived.front_end_up[front_end] {
                level[Cause::FrontEndDown as usize] += self.remote_users[front_end];
                continue;
            }
            let (desktop, mobile) = self.unserved(front_end);
            if desktop > NOBODY {
                let cause = self.desktop_cause(ctx, front_end as u32);
                level[cause as usize] += desktop;
                if cause == Cause::Capacity {
                    for record in ctx.topology.dns.remote_access.records() {
                        if ctx.derived.edge_up(record.target.index())
                            && ctx.allows(front_end as u32, record.target.0)
                        {
                            refused[record.target.index()].level += desktop;
                        }
                    }
                }
            }
            if mobile > NOBODY {
                let cause = self.mobile_cause(ctx, front_end as u32);
                // Waiting users taking freed room: mobile − k·g(t) = (mobile − k) + k·e^(−t/s).
                let falling = self.plan.absorbing_into[front_end]
                    .map_or(0.0, |edge| self.absorbing_rate(front_end, edge as usize));
                level[cause as usize] += mobile - falling;
                snapshot.decaying_per_front_end[front_end][cause as usize] += falling;
                if cause == Cause::Capacity {
                    let pool = &mut refused[ctx.association[front_end] as usize];
                    pool.level += mobile;
                    pool.falling += falling;
                }
            }
        }
    }

    /// Whether `edge` has room from now on: room now, or room that its users free as they
    /// sign in elsewhere and that no one waiting takes.
    fn has_room(&self, edge: u32) -> bool {
        self.plan.has_room[edge as usize]
    }

    /// Why unserved desktop users of an up FE pool are unserved from now on.
    pub fn desktop_cause(&self, ctx: &Context<'_>, front_end: u32) -> Cause {
        let records = ctx.topology.dns.remote_access.records();
        let up = |edge: u32| ctx.derived.edge_up(edge as usize);
        if !records.iter().any(|r| up(r.target.0)) {
            Cause::AllPoolsDown
        } else if !records
            .iter()
            .any(|r| up(r.target.0) && ctx.allows(front_end, r.target.0))
        {
            Cause::Firewall
        } else if !records.iter().any(|r| {
            up(r.target.0) && ctx.allows(front_end, r.target.0) && self.has_room(r.target.0)
        }) {
            Cause::Capacity
        } else {
            Cause::ClientFailover
        }
    }

    /// Why unserved mobile users of an up FE pool are unserved from now on (F2: they only
    /// use the associated pool, so another pool being up helps only after re-association).
    pub fn mobile_cause(&self, ctx: &Context<'_>, front_end: u32) -> Cause {
        let edge = ctx.association[front_end as usize];
        if !ctx.derived.edge_up(edge as usize) {
            super::federation::awaiting_cause(ctx.topology, ctx.derived, front_end as usize)
        } else if !ctx.allows(front_end, edge) {
            Cause::Firewall
        } else if !self.has_room(edge) {
            Cause::Capacity
        } else {
            Cause::ClientFailover
        }
    }

    /// Records each pool's peak load so far.
    pub fn record_peaks(&self, pools: &mut [EdgePoolTally]) {
        for (tally, &peak) in pools.iter_mut().zip(&self.peak) {
            tally.peak_load = peak;
        }
    }
}

/// Shares of equal-priority targets by weight; all-zero weights share equally.
/// Schedules cohort `slot`'s next event at `at`, ordered among simultaneous ones by its tie.
fn schedule(queue: &mut EventQueue<Event>, at: SimDuration, slot: u32, cohort: &Cohort) {
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

fn weight_shares(targets: &[(u32, u16)]) -> Vec<(u32, f64)> {
    let mut shares = Vec::with_capacity(targets.len());
    weight_shares_into(targets.iter().copied(), &mut shares);
    shares
}

/// [`weight_shares`] into a reused buffer.
fn weight_shares_into(
    targets: impl Iterator<Item = (u32, u16)> + Clone,
    out: &mut Vec<(u32, f64)>,
) {
    out.clear();
    let (count, total) = targets.clone().fold((0usize, 0u64), |(n, sum), (_, w)| {
        (n + 1, sum + u64::from(w))
    });
    out.extend(targets.map(|(edge, weight)| (edge, weight_share(weight, total, count))));
}

/// The share of one of `count` equal-priority targets with weight `weight`, out of the
/// group's `total` weight (RFC 2782); a group whose weights are all zero shares equally.
pub fn weight_share(weight: u16, total: u64, count: usize) -> f64 {
    if total == 0 {
        1.0 / count as f64
    } else {
        f64::from(weight) / total as f64
    }
}

/// A uniform integer in 0..=max.
fn uniform_inclusive(stream: &mut Stream, max: u64) -> u64 {
    ((u128::from(stream.next_u64()) * (u128::from(max) + 1)) >> 64) as u64
}

/// The order in which a client tries the remote-access targets: lowest priority number
/// first; within a priority, RFC 2782's weighted selection (weight-0 records placed first
/// in the running sum, so they are picked with a very small chance, and first in file
/// order when every weight is 0).
fn draw_srv_order(
    topology: &Topology,
    stream: &mut Stream,
    scratch: &mut Vec<(u32, u64)>,
    order: &mut Vec<u32>,
) {
    order.clear();
    for group in topology.dns.remote_access.priority_groups() {
        scratch.clear();
        scratch.extend(
            group
                .iter()
                .filter(|r| r.weight == 0)
                .map(|r| (r.target.0, 0)),
        );
        scratch.extend(
            group
                .iter()
                .filter(|r| r.weight > 0)
                .map(|r| (r.target.0, u64::from(r.weight))),
        );
        while !scratch.is_empty() {
            let total: u64 = scratch.iter().map(|&(_, w)| w).sum();
            let pick = uniform_inclusive(stream, total);
            let mut running = 0;
            let chosen = scratch
                .iter()
                .position(|&(_, weight)| {
                    running += weight;
                    running >= pick
                })
                .unwrap_or(scratch.len() - 1);
            order.push(scratch.remove(chosen).0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{SrvRecord, SrvRecords};

    fn topology_with(records: Vec<SrvRecord>) -> Topology {
        let mut topology =
            crate::scenario::load_str("t.toml", include_str!("../../tests/valid-base.toml"))
                .unwrap()
                .scenario
                .layouts
                .remove(0);
        topology.dns.remote_access = SrvRecords::new(records);
        topology
    }

    fn record(target: u32, priority: u16, weight: u16) -> SrvRecord {
        SrvRecord {
            target: EdgePoolIndex(target),
            priority,
            weight,
        }
    }

    #[test]
    fn srv_order_puts_lower_priorities_first_and_splits_by_weight() {
        // Weights 30/10 in one group: the first pick is pool 0 with probability 3/4.
        let topology = topology_with(vec![record(0, 10, 30), record(1, 10, 10)]);
        let mut stream = Stream::new(1, 0, 0, Purpose::Clients);
        let (mut scratch, mut order) = (Vec::new(), Vec::new());
        let n = 40_000;
        let mut first_zero = 0;
        for _ in 0..n {
            draw_srv_order(&topology, &mut stream, &mut scratch, &mut order);
            assert_eq!(order.len(), 2);
            first_zero += usize::from(order[0] == 0);
        }
        let p = first_zero as f64 / n as f64;
        // Binomial standard error sqrt(p(1−p)/n) = 0.00217; 4 SE.
        assert!(
            (p - 0.75).abs() < 4.0 * (0.75f64 * 0.25 / n as f64).sqrt(),
            "{p}"
        );

        let topology = topology_with(vec![record(1, 20, 100), record(0, 10, 0)]);
        draw_srv_order(&topology, &mut stream, &mut scratch, &mut order);
        assert_eq!(order, vec![0, 1]);
    }

    #[test]
    fn weight_zero_is_rarely_first_and_all_zero_keeps_file_order() {
        // RFC 2782: with weights 0 and 65535, the weight-0 record is first only when the
        // draw is exactly 0, probability 1/65536.
        let topology = topology_with(vec![record(0, 10, 65535), record(1, 10, 0)]);
        let mut stream = Stream::new(2, 0, 0, Purpose::Clients);
        let (mut scratch, mut order) = (Vec::new(), Vec::new());
        let zero_first = (0..10_000)
            .filter(|_| {
                draw_srv_order(&topology, &mut stream, &mut scratch, &mut order);
                order[0] == 1
            })
            .count();
        assert!(zero_first <= 3, "{zero_first}");
        let topology = topology_with(vec![record(1, 10, 0), record(0, 10, 0)]);
        draw_srv_order(&topology, &mut stream, &mut scratch, &mut order);
        assert_eq!(order, vec![1, 0]);
    }

    #[test]
    fn weight_shares_sum_to_one() {
        let shares = weight_shares(&[(0, 50), (1, 150)]);
        assert_eq!(shares, vec![(0, 0.25), (1, 0.75)]);
        let shares = weight_shares(&[(0, 0), (1, 0)]);
        assert_eq!(shares, vec![(0, 0.5), (1, 0.5)]);
    }
}
