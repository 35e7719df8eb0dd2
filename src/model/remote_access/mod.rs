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
//! plan of what moves from then on. Every movement is a fixed amount times
//! g(Δ) = 1 − e^(−Δ/session), the share of users who have signed in again after Δ:
//! sign-in return flows, and room that a full pool frees as its users leave, taken at once
//! by mobile users waiting for that pool. Each instant at which something discrete
//! changes (a pool fills, waiting users have all been connected, a FE pool's unserved
//! users drop below one whole user) is an event. No other event reads or changes this
//! state, so results never depend on unrelated events.
//!
//! The rooms: this file holds the state, connecting users and what a change of the
//! components does to them; `cohorts.rs` the displaced groups walking the SRV list;
//! `plan.rs` what moves between events and when it next changes; `grant.rs` how a priority
//! group's room is shared among the users walking to it; `snapshot.rs` who is unserved
//! and why. SRV ordering and weights are [`super::srv`]'s.

mod answers;
mod cohorts;
mod grant;
mod plan;
mod snapshot;

use crate::distribution::Distribution;
use crate::engine::queue::EventQueue;
use crate::engine::rng::{Purpose, Stream};
use crate::time::SimDuration;
use crate::topology::{EdgePoolIndex, FrontEndPoolIndex, PerCell, PerEdge, PerFrontEnd, Topology};

use self::answers::Answers;
use self::cohorts::Cohort;
pub use self::cohorts::{ClientStep, CohortSlot, Refusal, StepReport, WalkOn};
use self::grant::PlanScratch;
use self::plan::Plan;
pub use self::snapshot::Refused;
use super::Event;
use super::components::Derived;
use super::metrics::{EdgePoolTally, NOBODY};

pub use crate::topology::COHORTS_PER_GROUP;

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
    pub association: &'a PerFrontEnd<EdgePoolIndex>,
}

impl Context<'_> {
    fn capacity(&self, edge: EdgePoolIndex) -> f64 {
        self.derived.edge_servers_up[edge] as f64
            * self.topology.edge_pools[edge.index()].capacity_per_server as f64
    }

    /// Whether the firewall lets `front_end`'s users, under the pool they are homed on
    /// (rule D1), reach `edge`.
    fn allows(&self, front_end: FrontEndPoolIndex, edge: EdgePoolIndex) -> bool {
        self.derived.allows(self.topology, front_end, edge)
    }

    fn edge_up(&self, edge: EdgePoolIndex) -> bool {
        self.derived.edge_up(edge)
    }

    fn front_end_up(&self, front_end: FrontEndPoolIndex) -> bool {
        self.derived.front_end_up[front_end]
    }

    /// The Edge pool `front_end`'s mobile users use now: the association of the pool they
    /// are homed on (rule D1).
    fn associated(&self, front_end: FrontEndPoolIndex) -> EdgePoolIndex {
        self.association[self.derived.home[front_end]]
    }
}

/// The remote users of every FE pool, and where they are.
pub struct RemoteAccess {
    remote_users: PerFrontEnd<f64>,
    mobile_share: f64,
    session_micros: f64,
    /// The instant the state below describes; the plan says what moves after it.
    anchor: SimDuration,
    desktop_on: PerCell<f64>,
    mobile_on: PerCell<f64>,
    load: PerEdge<f64>,
    /// Per Edge pool, the most users connected at once so far.
    peak: PerEdge<f64>,
    unserved_desktop: PerFrontEnd<f64>,
    unserved_mobile: PerFrontEnd<f64>,
    mobile_waiting: PerFrontEnd<f64>,
    /// The SRV lists (or geo-DNS answers) each FE pool's users get (rules R3, G1).
    dns: Answers,
    /// Per FE pool: the pools of SRV rank 1 or worse that may hold its desktop users, in
    /// index order (a superset: cells that emptied are dropped when next seen). Only these
    /// users sign in again to better pools, so planning reads only these cells.
    off_best: PerFrontEnd<Vec<EdgePoolIndex>>,
    cohorts: Vec<Cohort>,
    free_slots: Vec<CohortSlot>,
    parked: Vec<CohortSlot>,
    streams: PerFrontEnd<Stream>,
    /// Per FE pool: the key its id gives, for a cohort's tie key.
    front_end_keys: PerFrontEnd<u64>,
    order_scratch: Vec<(EdgePoolIndex, u64)>,
    plan: Plan,
    scratch: PlanScratch,
    retry_is_zero: bool,
    /// Per Edge pool: whether it could answer no one under the last plan (down, or full
    /// and closed), to know when cohorts must come back to targets they passed over.
    closed: PerEdge<bool>,
    /// The run's seed and this replication's number, for walks' timeout streams.
    seed: u64,
    replication: u64,
    /// Whether `connect_timeout` draws nothing (a fixed duration).
    timeout_is_fixed: bool,
    /// Displaced groups started so far (numbers them for their cohorts' tie keys).
    groups_started: u64,
    /// Whether cohorts pass over targets that cannot answer (see `cohorts::advance`);
    /// off only to check that passing over changes nothing.
    look_ahead: bool,
    /// Scratch space of connecting users, kept between events.
    connecting: ConnectScratch,
}

/// Scratch space of [`RemoteAccess::connect_initially`] and
/// [`RemoteAccess::connect_mobile`].
#[derive(Default)]
struct ConnectScratch {
    /// Per Edge pool: the FE pools asking it for room, and how much.
    requests: PerEdge<Vec<(FrontEndPoolIndex, f64)>>,
    /// The pools asked, in the order first asked.
    asked: Vec<EdgePoolIndex>,
    /// One FE pool's share of each pool of a priority group that answers it.
    shares: Vec<(EdgePoolIndex, f64)>,
}

impl RemoteAccess {
    /// No one connected yet; streams for replication `replication`.
    pub fn new(topology: &Topology, seed: u64, replication: u64) -> Self {
        let fe_count = topology.front_end_pools.len();
        let edge_count = topology.edge_pools.len();
        let front_ends = &topology.front_end_pools;
        let per_front_end =
            |entry: &dyn Fn(usize) -> f64| PerFrontEnd::from_fn(fe_count, |fe| entry(fe.index()));
        RemoteAccess {
            remote_users: per_front_end(&|fe| front_ends[fe].remote_users as f64),
            mobile_share: topology.clients.mobile_share,
            session_micros: topology.clients.session.as_micros() as f64,
            anchor: SimDuration::ZERO,
            desktop_on: PerCell::filled(fe_count, edge_count, 0.0),
            mobile_on: PerCell::filled(fe_count, edge_count, 0.0),
            load: PerEdge::filled(edge_count, 0.0),
            peak: PerEdge::filled(edge_count, 0.0),
            unserved_desktop: PerFrontEnd::filled(fe_count, 0.0),
            unserved_mobile: PerFrontEnd::filled(fe_count, 0.0),
            mobile_waiting: PerFrontEnd::filled(fe_count, 0.0),
            off_best: PerFrontEnd::filled(fe_count, Vec::new()),
            dns: Answers::new(topology),
            cohorts: Vec::new(),
            free_slots: Vec::new(),
            parked: Vec::new(),
            streams: front_ends
                .iter()
                .map(|p| Stream::new(seed, replication, p.stream_key, Purpose::Clients))
                .collect(),
            front_end_keys: front_ends.iter().map(|p| p.stream_key).collect(),
            order_scratch: Vec::new(),
            plan: Plan::new(edge_count, fe_count),
            scratch: PlanScratch::default(),
            retry_is_zero: topology.clients.retry == Distribution::Fixed(SimDuration::ZERO),
            closed: PerEdge::filled(edge_count, false),
            seed,
            replication,
            timeout_is_fixed: matches!(
                topology.clients.connect_timeout,
                Distribution::Fixed(_) | Distribution::Never
            ),
            groups_started: 0,
            look_ahead: true,
            connecting: ConnectScratch {
                requests: PerEdge::filled(edge_count, Vec::new()),
                ..ConnectScratch::default()
            },
        }
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
    pub fn remote_users(&self, front_end: FrontEndPoolIndex) -> f64 {
        self.remote_users[front_end]
    }

    /// Users connected to Edge pool `edge` at the anchor.
    pub fn load(&self, edge: EdgePoolIndex) -> f64 {
        self.load[edge]
    }

    /// Unserved remote users of an up FE pool `front_end` at the anchor: (desktop, mobile).
    pub fn unserved(&self, front_end: FrontEndPoolIndex) -> (f64, f64) {
        (
            self.unserved_desktop[front_end],
            self.unserved_mobile[front_end],
        )
    }

    fn room(&self, ctx: &Context<'_>, edge: EdgePoolIndex) -> f64 {
        (ctx.capacity(edge) - self.load[edge]).max(0.0)
    }

    fn answers(
        &self,
        ctx: &Context<'_>,
        front_end: FrontEndPoolIndex,
        edge: EdgePoolIndex,
    ) -> bool {
        ctx.edge_up(edge) && ctx.allows(front_end, edge) && self.room(ctx, edge) > NOBODY
    }

    /// Connects as many of `wanted` users as `edge` has room for and returns how many; a
    /// pool whose room is all taken is left with exactly none.
    fn connect_within_room(
        &mut self,
        ctx: &Context<'_>,
        front_end: FrontEndPoolIndex,
        edge: EdgePoolIndex,
        wanted: f64,
    ) -> f64 {
        let room = self.room(ctx, edge);
        let take = wanted.min(room);
        self.connect(front_end, edge, take, false);
        if take >= room {
            self.load[edge] = ctx.capacity(edge);
        }
        take
    }

    fn connect(
        &mut self,
        front_end: FrontEndPoolIndex,
        edge: EdgePoolIndex,
        amount: f64,
        mobile: bool,
    ) {
        if mobile {
            self.mobile_on[(front_end, edge)] += amount;
        } else {
            self.desktop_on[(front_end, edge)] += amount;
            self.note_off_best(front_end, edge);
        }
        self.load[edge] += amount;
        self.peak[edge] = self.peak[edge].max(self.load[edge]);
    }

    /// Time 0: everyone connected as if they had walked at no cost. Mobile users take
    /// their associated pool first (they have no alternative); desktop users fill pools in
    /// SRV order, sharing equal priorities by weight and a pool's room among FE pools in
    /// proportion to their users. Users who fit nowhere walk after one retry.
    pub fn connect_initially(&mut self, ctx: &mut Context<'_>) {
        let mut mobile_left: PerFrontEnd<f64> = self
            .remote_users
            .iter()
            .map(|r| r * self.mobile_share)
            .collect();
        let mut desktop_left: PerFrontEnd<f64> = self
            .remote_users
            .iter()
            .map(|r| r * (1.0 - self.mobile_share))
            .collect();
        self.connect_mobile(ctx, &mut mobile_left, NOBODY, |_, _| {});
        let levels = self
            .dns
            .lists
            .iter()
            .map(|answer| answer.walk.priority_groups().count())
            .max()
            .unwrap_or(0);
        for level in 0..levels {
            // Spill within each FE pool's group until demand or room runs out.
            while self.request_in_level(ctx, level, &desktop_left) {
                self.grant_requests(ctx, &mut desktop_left);
            }
        }
        for front_end in desktop_left.indices() {
            if !ctx.front_end_up(front_end) {
                continue;
            }
            if desktop_left[front_end] > NOBODY {
                self.displace(ctx, front_end, desktop_left[front_end], false, Start::Retry);
            }
            if mobile_left[front_end] > NOBODY {
                self.mobile_waiting[front_end] += mobile_left[front_end];
                self.unserved_mobile[front_end] += mobile_left[front_end];
            }
        }
    }

    /// Each up FE pool's desktop users still to place ask the pools of the priority group
    /// at `level` of their answer that answer them, by weight (into the connecting
    /// scratch). Returns whether anyone asked.
    fn request_in_level(
        &mut self,
        ctx: &Context<'_>,
        level: usize,
        desktop_left: &PerFrontEnd<f64>,
    ) -> bool {
        let mut shares = std::mem::take(&mut self.connecting.shares);
        let mut any = false;
        for (front_end, &left) in desktop_left.enumerate() {
            if left <= NOBODY || !ctx.front_end_up(front_end) {
                continue;
            }
            let Some(group) = self.dns.of(front_end).walk.priority_groups().nth(level) else {
                continue;
            };
            let open = group
                .iter()
                .filter(|record| self.answers(ctx, front_end, record.target))
                .map(|record| (record.target, record.weight));
            super::srv::weight_shares_into(open, &mut shares);
            for &(edge, share) in &shares {
                self.connecting.requests[edge].push((front_end, left * share));
                any = true;
            }
        }
        self.connecting.shares = shares;
        any
    }

    /// Connects the requests gathered in the connecting scratch, each pool's room shared in
    /// proportion, and takes what was connected off `desktop_left`.
    fn grant_requests(&mut self, ctx: &Context<'_>, desktop_left: &mut PerFrontEnd<f64>) {
        for edge in self.load.indices() {
            if self.connecting.requests[edge].is_empty() {
                continue;
            }
            let demands = std::mem::take(&mut self.connecting.requests[edge]);
            let (scale, full) = self.share_of_room(ctx, edge, &demands);
            for &(front_end, amount) in &demands {
                let amount = amount * scale;
                self.connect(front_end, edge, amount, false);
                desktop_left[front_end] -= amount;
            }
            if full {
                self.load[edge] = ctx.capacity(edge);
            }
            self.connecting.requests[edge] = demands;
            self.connecting.requests[edge].clear();
        }
    }

    /// Mobile users (`wanting` per FE pool, counted above `at_least`) connect to their
    /// FE pool's associated Edge pool as far as its room allows, and are taken off
    /// `wanting`; `connected` is told of each FE pool's users connected. FE pools that
    /// share a pool share its room in proportion to their users, whatever order they are
    /// listed in.
    fn connect_mobile(
        &mut self,
        ctx: &Context<'_>,
        wanting: &mut PerFrontEnd<f64>,
        at_least: f64,
        mut connected: impl FnMut(FrontEndPoolIndex, f64),
    ) {
        // Pools in the order their first FE pool asks for them.
        let mut asked = std::mem::take(&mut self.connecting.asked);
        asked.clear();
        for (front_end, &amount) in wanting.enumerate() {
            let edge = ctx.associated(front_end);
            if amount <= at_least
                || !ctx.front_end_up(front_end)
                || !self.answers(ctx, front_end, edge)
            {
                continue;
            }
            if self.connecting.requests[edge].is_empty() {
                asked.push(edge);
            }
            self.connecting.requests[edge].push((front_end, amount));
        }
        for &edge in &asked {
            let demands = std::mem::take(&mut self.connecting.requests[edge]);
            let (scale, full) = self.share_of_room(ctx, edge, &demands);
            for &(front_end, amount) in &demands {
                let amount = amount * scale;
                self.connect(front_end, edge, amount, true);
                wanting[front_end] -= amount;
                connected(front_end, amount);
            }
            if full {
                // Exactly full, so that rounding never leaves it looking open.
                self.load[edge] = ctx.capacity(edge);
            }
            self.connecting.requests[edge] = demands;
            self.connecting.requests[edge].clear();
        }
        self.connecting.asked = asked;
    }

    /// The share of each demand on `edge` it can grant (1, or room ÷ total when room is
    /// short), and whether the demands fill it.
    fn share_of_room(
        &self,
        ctx: &Context<'_>,
        edge: EdgePoolIndex,
        demands: &[(FrontEndPoolIndex, f64)],
    ) -> (f64, bool) {
        let room = self.room(ctx, edge);
        let total: f64 = demands.iter().map(|(_, a)| a).sum();
        let scale = if total > room { room / total } else { 1.0 };
        (scale, room <= total)
    }

    /// Remembers that `front_end`'s desktop users may be on `edge`, if it is not of the
    /// best SRV rank.
    fn note_off_best(&mut self, front_end: FrontEndPoolIndex, edge: EdgePoolIndex) {
        if self.dns.rank(front_end, edge).is_some_and(|rank| rank >= 1) {
            let pools = &mut self.off_best[front_end];
            if let Err(at) = pools.binary_search(&edge) {
                pools.insert(at, edge);
            }
        }
    }

    /// FE pool `front_end` went down: its users hold no Edge capacity and stop walking.
    pub fn front_end_down(&mut self, front_end: FrontEndPoolIndex) {
        self.off_best[front_end].clear();
        for edge in self.load.indices() {
            let cell = (front_end, edge);
            self.load[edge] -= self.desktop_on[cell] + self.mobile_on[cell];
            self.desktop_on[cell] = 0.0;
            self.mobile_on[cell] = 0.0;
        }
        self.release_all_of(front_end);
        self.unserved_desktop[front_end] = 0.0;
        self.unserved_mobile[front_end] = 0.0;
        self.mobile_waiting[front_end] = 0.0;
    }

    /// FE pool `front_end` is back: desktop users walk at once, mobile users connect at once.
    pub fn front_end_up(&mut self, ctx: &mut Context<'_>, front_end: FrontEndPoolIndex) {
        let users = self.remote_users[front_end];
        let mobile = users * self.mobile_share;
        self.displace(ctx, front_end, users - mobile, false, Start::WalkNow);
        if mobile > NOBODY {
            self.mobile_waiting[front_end] += mobile;
            self.unserved_mobile[front_end] += mobile;
        }
    }

    /// Each Edge pool lost `lost_fraction[pool]` of its connections (0: none; a server's
    /// share; 1: all) in one event. Each FE pool's users who lost service together form one
    /// displaced group of desktop users and one of mobile users, however many pools they
    /// were on, so that the draws do not depend on the order the pools are listed in.
    pub fn edges_lost(&mut self, ctx: &mut Context<'_>, lost_fraction: &PerEdge<f64>) {
        for front_end in self.remote_users.indices() {
            let (mut desktop, mut mobile) = (0.0, 0.0);
            for (edge, &fraction) in lost_fraction.enumerate() {
                if fraction <= 0.0 {
                    continue;
                }
                let cell = (front_end, edge);
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
        for (edge, &fraction) in lost_fraction.enumerate() {
            if fraction >= 1.0 {
                self.load[edge] = 0.0;
            }
        }
    }

    /// Mobile users who noticed their loss connect at once to their associated pool,
    /// as far as its room allows. Returns the users connected.
    pub fn connect_waiting_mobile(&mut self, ctx: &Context<'_>) -> f64 {
        if self.mobile_waiting.iter().all(|&w| w <= 0.0) {
            return 0.0;
        }
        let mut waiting = std::mem::take(&mut self.mobile_waiting);
        let mut unserved = std::mem::take(&mut self.unserved_mobile);
        let mut total = 0.0;
        self.connect_mobile(ctx, &mut waiting, 0.0, |front_end, amount| {
            unserved[front_end] -= amount;
            total += amount;
        });
        self.mobile_waiting = waiting;
        self.unserved_mobile = unserved;
        total
    }

    /// Records each pool's peak load so far.
    pub fn record_peaks(&self, pools: &mut [EdgePoolTally]) {
        for (tally, &peak) in pools.iter_mut().zip(&self.peak) {
            tally.peak_load = peak;
        }
    }
}
