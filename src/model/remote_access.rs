//! Remote access (SPEC §3.2; rules R1, R3, R4, F2): remote users as a continuous quantity
//! per Front End pool, connected to Edge pools or displaced and walking the `_sip._tls` SRV
//! list in cohorts; users returning to preferred pools as they sign in again; mobile users
//! pinned to their FE pool's associated Edge pool.
//!
//! The cohort rule: users who lose service together form a displaced group that is split
//! into [`COHORTS_PER_GROUP`] equal cohorts, each with its own draw of `detect`, of the SRV
//! order and of `retry`. Every cohort's delays have the per-user distribution, so where
//! capacity does not bind the expected served time is exactly the per-user one; where it
//! binds, cohorts take room in the order they arrive. The cost is independent of the
//! number of users.

use crate::distribution::Distribution;
use crate::engine::queue::{EventClass, EventQueue};
use crate::engine::rng::{Purpose, Stream};
use crate::time::SimDuration;
use crate::topology::{EdgePoolIndex, FrontEndPoolIndex, Topology};

use super::Event;
use super::components::Derived;
use super::metrics::{Cause, EdgePoolTally, NOBODY};
use super::services::Snapshot;

/// Formats a trace detail only when a trace is being recorded.
macro_rules! detail {
    ($describe:expr, $($arg:tt)*) => {
        if $describe { format!($($arg)*) } else { String::new() }
    };
}

/// How many cohorts a displaced group is split into (SPEC §3.2 asks for at least 4).
pub const COHORTS_PER_GROUP: usize = 8;

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
    position: usize,
    walk_started: SimDuration,
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

/// One user movement of a sign-in return flow.
struct Flow {
    front_end: u32,
    source: u32,
    destination: u32,
    amount: f64,
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
    desktop_on: Vec<f64>,
    mobile_on: Vec<f64>,
    load: Vec<f64>,
    unserved_desktop: Vec<f64>,
    unserved_mobile: Vec<f64>,
    mobile_waiting: Vec<f64>,
    srv_rank: Vec<Option<u32>>,
    cohorts: Vec<Cohort>,
    free_slots: Vec<u32>,
    parked: Vec<u32>,
    streams: Vec<Stream>,
    order_scratch: Vec<(u32, u64)>,
    shares_scratch: Vec<(u32, f64)>,
    open_pools: Vec<bool>,
    flows: Vec<Flow>,
    net_inflow: Vec<f64>,
    flow_generation: u64,
    retry_is_zero: bool,
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
        RemoteAccess {
            edge_count,
            remote_users: topology
                .front_end_pools
                .iter()
                .map(|p| p.remote_users as f64)
                .collect(),
            mobile_share: topology.clients.mobile_share,
            desktop_on: vec![0.0; fe_count * edge_count],
            mobile_on: vec![0.0; fe_count * edge_count],
            load: vec![0.0; edge_count],
            unserved_desktop: vec![0.0; fe_count],
            unserved_mobile: vec![0.0; fe_count],
            mobile_waiting: vec![0.0; fe_count],
            srv_rank,
            cohorts: Vec::new(),
            free_slots: Vec::new(),
            parked: Vec::new(),
            streams: topology
                .front_end_pools
                .iter()
                .map(|p| Stream::new(seed, replication, p.stream_key, Purpose::Clients))
                .collect(),
            order_scratch: Vec::new(),
            shares_scratch: Vec::new(),
            open_pools: vec![false; edge_count],
            flows: Vec::new(),
            net_inflow: vec![0.0; edge_count],
            flow_generation: 0,
            retry_is_zero: topology.clients.retry == Distribution::Fixed(SimDuration::ZERO),
        }
    }

    fn cell(&self, front_end: u32, edge: u32) -> usize {
        front_end as usize * self.edge_count + edge as usize
    }

    /// Remote users of FE pool `front_end` (all of them, connected or not).
    pub fn remote_users(&self, front_end: usize) -> f64 {
        self.remote_users[front_end]
    }

    /// Users connected to Edge pool `edge`.
    pub fn load(&self, edge: usize) -> f64 {
        self.load[edge]
    }

    /// Unserved remote users of an up FE pool `front_end`: (desktop, mobile).
    pub fn unserved(&self, front_end: usize) -> (f64, f64) {
        (
            self.unserved_desktop[front_end],
            self.unserved_mobile[front_end],
        )
    }

    fn room(&self, ctx: &Context<'_>, edge: u32) -> f64 {
        (ctx.capacity(edge as usize) - self.load[edge as usize]).max(0.0)
    }

    /// Recomputes which Edge pools are up with room (before the firewall is applied).
    fn refresh_open_pools(&mut self, ctx: &Context<'_>) {
        for edge in 0..self.edge_count {
            self.open_pools[edge] =
                ctx.derived.edge_up(edge) && self.room(ctx, edge as u32) > NOBODY;
        }
    }

    fn answers(&self, ctx: &Context<'_>, front_end: u32, edge: u32) -> bool {
        ctx.derived.edge_up(edge as usize)
            && ctx.allows(front_end, edge)
            && self.room(ctx, edge) > NOBODY
    }

    fn connect(&mut self, front_end: u32, edge: u32, amount: f64, mobile: bool) {
        let cell = self.cell(front_end, edge);
        if mobile {
            self.mobile_on[cell] += amount;
        } else {
            self.desktop_on[cell] += amount;
        }
        self.load[edge as usize] += amount;
    }

    /// Time 0 (SPEC §3.2): everyone connected as if they had walked at no cost. Mobile
    /// users take their associated pool first (they have no alternative); desktop users
    /// fill pools in SRV order, sharing equal priorities by weight and a pool's room among
    /// FE pools in proportion to their users. Users who fit nowhere walk after one retry.
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
        for (edge, demands) in self.demands_by_pool(ctx, &mobile_left, |fe, _| ctx.association[fe])
        {
            let granted = self.share_room(ctx, edge, &demands);
            for (fe, amount) in granted {
                self.connect(fe as u32, edge, amount, true);
                mobile_left[fe] -= amount;
            }
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
                    for (fe, amount) in self.share_room(ctx, edge as u32, &demands) {
                        self.connect(fe as u32, edge as u32, amount, false);
                        desktop_left[fe] -= amount;
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

    fn demands_by_pool(
        &self,
        ctx: &Context<'_>,
        amounts: &[f64],
        target: impl Fn(usize, &Self) -> u32,
    ) -> Vec<(u32, Vec<(usize, f64)>)> {
        let mut by_pool: Vec<(u32, Vec<(usize, f64)>)> = Vec::new();
        for (fe, &amount) in amounts.iter().enumerate() {
            if amount <= NOBODY || !ctx.derived.front_end_up[fe] {
                continue;
            }
            let edge = target(fe, self);
            if !ctx.derived.edge_up(edge as usize) || !ctx.allows(fe as u32, edge) {
                continue;
            }
            match by_pool.iter_mut().find(|(e, _)| *e == edge) {
                Some((_, demands)) => demands.push((fe, amount)),
                None => by_pool.push((edge, vec![(fe, amount)])),
            }
        }
        by_pool
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
        for _ in 0..COHORTS_PER_GROUP {
            let slot = self.allocate(front_end, share, mobile);
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
                let generation = cohort.generation;
                let at = ctx.now.saturating_add(delay.unwrap_or_default());
                ctx.queue
                    .push(at, EventClass::Client, Event::Cohort { slot, generation });
            }
        }
    }

    fn allocate(&mut self, front_end: u32, amount: f64, mobile: bool) -> u32 {
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
                    walk_started: SimDuration::ZERO,
                });
                (self.cohorts.len() - 1) as u32
            }
        };
        let cohort = &mut self.cohorts[slot as usize];
        cohort.front_end = front_end;
        cohort.amount = amount;
        cohort.mobile = mobile;
        cohort.position = 0;
        slot
    }

    fn release(&mut self, slot: u32) {
        let cohort = &mut self.cohorts[slot as usize];
        cohort.phase = Phase::Free;
        cohort.amount = 0.0;
        cohort.generation = cohort.generation.wrapping_add(1);
        self.free_slots.push(slot);
    }

    /// FE pool `front_end` went down: its users hold no Edge capacity and stop walking.
    pub fn front_end_down(&mut self, front_end: u32) {
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

    /// Edge pool `edge` lost `fraction` of its connections (a server, or all of them).
    pub fn edge_lost(&mut self, ctx: &mut Context<'_>, edge: u32, fraction: f64) {
        for front_end in 0..self.remote_users.len() as u32 {
            let cell = self.cell(front_end, edge);
            let desktop = self.desktop_on[cell] * fraction;
            let mobile = self.mobile_on[cell] * fraction;
            self.desktop_on[cell] -= desktop;
            self.mobile_on[cell] -= mobile;
            self.load[edge as usize] -= desktop + mobile;
            self.displace(ctx, front_end, desktop, false, Start::Detect);
            self.displace(ctx, front_end, mobile, true, Start::Detect);
        }
        if fraction >= 1.0 {
            self.load[edge as usize] = 0.0;
        }
    }

    /// An Edge pool changed state or capacity: parked cohorts (`retry = 0`) walk now.
    pub fn edge_changed(&mut self, ctx: &mut Context<'_>) {
        for slot in std::mem::take(&mut self.parked) {
            let cohort = &mut self.cohorts[slot as usize];
            cohort.phase = Phase::Retrying;
            let generation = cohort.generation;
            ctx.queue.push(
                ctx.now,
                EventClass::Client,
                Event::Cohort { slot, generation },
            );
        }
    }

    /// Mobile users who noticed their loss connect at once to their associated pool,
    /// as far as its room allows. Returns the users connected.
    pub fn connect_waiting_mobile(&mut self, ctx: &Context<'_>) -> f64 {
        let mut connected = 0.0;
        for front_end in 0..self.remote_users.len() {
            let waiting = self.mobile_waiting[front_end];
            if waiting <= NOBODY || !ctx.derived.front_end_up[front_end] {
                continue;
            }
            let edge = ctx.association[front_end];
            if !self.answers(ctx, front_end as u32, edge) {
                continue;
            }
            let take = waiting.min(self.room(ctx, edge));
            self.connect(front_end as u32, edge, take, true);
            self.mobile_waiting[front_end] -= take;
            self.unserved_mobile[front_end] -= take;
            connected += take;
        }
        connected
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
                        ctx.queue.push(
                            ctx.now.saturating_add(wait),
                            EventClass::Client,
                            Event::Cohort { slot, generation },
                        );
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
        let cohort = &mut self.cohorts[slot as usize];
        cohort.order = order;
        cohort.position = 0;
        cohort.phase = Phase::Walking;
        cohort.walk_started = ctx.now;
    }

    /// The cohort reaches the target at its position: connect as far as room allows,
    /// and send the rest on after `connect_timeout`.
    fn arrive(&mut self, ctx: &mut Context<'_>, slot: u32, describe: bool) -> StepReport {
        let cohort = &self.cohorts[slot as usize];
        let (front_end, target, generation) = (
            cohort.front_end,
            cohort.order[cohort.position],
            cohort.generation,
        );
        let fe_id = &ctx.topology.front_end_pools[front_end as usize].id;
        let edge_id = &ctx.topology.edge_pools[target as usize].id;
        let mut report = StepReport {
            front_end,
            ..StepReport::default()
        };
        if self.answers(ctx, front_end, target) {
            let take = cohort.amount.min(self.room(ctx, target));
            self.connect(front_end, target, take, false);
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
        let timeout = ctx.topology.clients.connect_timeout;
        let cohort = &mut self.cohorts[slot as usize];
        cohort.position += 1;
        if cohort.position >= cohort.order.len() {
            cohort.phase = Phase::Exhausted;
        }
        ctx.queue.push(
            ctx.now.saturating_add(timeout),
            EventClass::Client,
            Event::Cohort { slot, generation },
        );
        report
    }

    /// Plans the sign-in return flows for the interval that starts now and returns when
    /// the first destination fills, if one will. Desktop users of an up FE pool on a pool
    /// in a worse SRV priority group than the best group with a reachable, up pool with
    /// room move there at rate 1/`session`, shared by weight (SPEC §3.2).
    pub fn plan_flows(&mut self, ctx: &Context<'_>) -> Option<SimDuration> {
        self.flows.clear();
        self.flow_generation += 1;
        self.net_inflow.iter_mut().for_each(|x| *x = 0.0);
        self.refresh_open_pools(ctx);
        let groups = &ctx.topology.dns.remote_access;
        let mut shares = std::mem::take(&mut self.shares_scratch);
        for front_end in 0..self.remote_users.len() as u32 {
            if !ctx.derived.front_end_up[front_end as usize] {
                continue;
            }
            let open = |edge: u32| self.open_pools[edge as usize] && ctx.allows(front_end, edge);
            let Some((best_rank, best_group)) = groups
                .priority_groups()
                .enumerate()
                .find(|(_, group)| group.iter().any(|r| open(r.target.0)))
            else {
                continue;
            };
            let best_rank = best_rank as u32;
            let row = front_end as usize * self.edge_count;
            let has_worse = (0..self.edge_count).any(|source| {
                self.desktop_on[row + source] > NOBODY
                    && self.srv_rank[source].is_some_and(|rank| rank > best_rank)
            });
            if !has_worse {
                continue;
            }
            weight_shares_into(
                best_group
                    .iter()
                    .filter(|r| open(r.target.0))
                    .map(|r| (r.target.0, r.weight)),
                &mut shares,
            );
            for source in 0..self.edge_count as u32 {
                let amount = self.desktop_on[row + source as usize];
                let worse = self.srv_rank[source as usize].is_some_and(|rank| rank > best_rank);
                if amount <= NOBODY || !worse {
                    continue;
                }
                for &(destination, share) in &shares {
                    let moving = amount * share;
                    self.flows.push(Flow {
                        front_end,
                        source,
                        destination,
                        amount: moving,
                    });
                    self.net_inflow[destination as usize] += moving;
                    self.net_inflow[source as usize] -= moving;
                }
            }
        }
        self.shares_scratch = shares;
        let session_micros = ctx.topology.clients.session.as_micros() as f64;
        let mut first_fill: Option<f64> = None;
        for edge in 0..self.edge_count as u32 {
            let net = self.net_inflow[edge as usize];
            let room = self.room(ctx, edge);
            if net > room && net > NOBODY {
                // net · (1 − e^(−Δ/s)) = room  ⇒  Δ = −s · ln(1 − room/net).
                let delta = -session_micros * libm::log1p(-room / net);
                first_fill = Some(first_fill.map_or(delta, |d: f64| d.min(delta)));
            }
        }
        first_fill.map(|delta| {
            ctx.now
                .saturating_add(SimDuration::from_micros(libm::ceil(delta.max(0.0)) as u64))
        })
    }

    /// The generation of the current flow plan (a flow-limit event of another is stale).
    pub fn flow_generation(&self) -> u64 {
        self.flow_generation
    }

    /// Moves users along the planned flows for `elapsed`, exactly integrating the
    /// exponential sign-in return; no destination is filled beyond its room.
    pub fn apply_flows(&mut self, ctx: &Context<'_>, elapsed: SimDuration) {
        if self.flows.is_empty() || elapsed.is_zero() {
            return;
        }
        let session_micros = ctx.topology.clients.session.as_micros() as f64;
        let mut fraction = -libm::expm1(-(elapsed.as_micros() as f64) / session_micros);
        for edge in 0..self.edge_count as u32 {
            let net = self.net_inflow[edge as usize];
            if net > NOBODY {
                fraction = fraction.min(self.room(ctx, edge) / net);
            }
        }
        for flow in &mut self.flows {
            let moved = flow.amount * fraction;
            let from = flow.front_end as usize * self.edge_count + flow.source as usize;
            let to = flow.front_end as usize * self.edge_count + flow.destination as usize;
            self.desktop_on[from] -= moved;
            self.desktop_on[to] += moved;
            self.load[flow.source as usize] -= moved;
            self.load[flow.destination as usize] += moved;
            // What is left to move decays the same way, so the plan stays valid for the
            // next interval if nothing else changes.
            flow.amount -= moved;
        }
        for net in &mut self.net_inflow {
            *net *= 1.0 - fraction;
        }
    }

    /// Writes who is unserved now, and why, into `snapshot`, and marks in `refusing` the
    /// Edge pools that refuse users for lack of room.
    pub fn fill_snapshot(
        &self,
        ctx: &Context<'_>,
        snapshot: &mut Snapshot,
        refusing: &mut Vec<bool>,
    ) {
        refusing.clear();
        refusing.resize(self.edge_count, false);
        for front_end in 0..self.remote_users.len() {
            let unserved = &mut snapshot.per_front_end[front_end];
            if !ctx.derived.front_end_up[front_end] {
                unserved[Cause::FrontEndDown as usize] += self.remote_users[front_end];
                continue;
            }
            let (desktop, mobile) = self.unserved(front_end);
            if desktop > NOBODY {
                let cause = self.desktop_cause(ctx, front_end as u32);
                unserved[cause as usize] += desktop;
                if cause == Cause::Capacity {
                    for record in ctx.topology.dns.remote_access.records() {
                        if ctx.derived.edge_up(record.target.index())
                            && ctx.allows(front_end as u32, record.target.0)
                        {
                            refusing[record.target.index()] = true;
                        }
                    }
                }
            }
            if mobile > NOBODY {
                let cause = self.mobile_cause(ctx, front_end as u32);
                unserved[cause as usize] += mobile;
                if cause == Cause::Capacity {
                    refusing[ctx.association[front_end] as usize] = true;
                }
            }
        }
    }

    /// Why unserved desktop users of an up FE pool are unserved now.
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
        } else if !records
            .iter()
            .any(|r| self.answers(ctx, front_end, r.target.0))
        {
            Cause::Capacity
        } else {
            Cause::ClientFailover
        }
    }

    /// Why unserved mobile users of an up FE pool are unserved now (F2: they only use the
    /// associated pool, so another pool being up helps only after re-association).
    pub fn mobile_cause(&self, ctx: &Context<'_>, front_end: u32) -> Cause {
        let edge = ctx.association[front_end as usize];
        if !ctx.derived.edge_up(edge as usize) {
            super::federation::awaiting_cause(ctx.topology, ctx.derived, front_end as usize)
        } else if !ctx.allows(front_end, edge) {
            Cause::Firewall
        } else if self.room(ctx, edge) <= NOBODY {
            Cause::Capacity
        } else {
            Cause::ClientFailover
        }
    }

    /// Records each pool's peak load.
    pub fn record_peaks(&self, pools: &mut [EdgePoolTally]) {
        for (tally, &load) in pools.iter_mut().zip(&self.load) {
            tally.peak_load = tally.peak_load.max(load);
        }
    }
}

/// Shares of equal-priority targets by weight; all-zero weights share equally.
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
