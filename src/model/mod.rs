//! The Lync behaviours, driven by the event queue: one replication of one layout.
//!
//! One loop serves every rule family: each event is applied to the component state, the
//! derived state is reconciled (which FE pools and Edge pools changed), the behaviours
//! react to the changes (remote access, the administrator, the geo-DNS traffic manager),
//! and the services whose inputs the event may have changed take a new snapshot of who is
//! unserved, and why. Each service integrates its snapshots exactly between its own
//! changes, and remote access integrates what moves between its events (sign-in flows,
//! room freed, waiting users) from its last event on, so no result depends on an event
//! that changes nothing it reads (docs/model.md, "What moves between events").

pub mod admin;
pub mod components;
mod describe;
pub mod dns;
pub mod federation;
pub mod inputs;
pub mod metrics;
pub mod recovery;
pub mod remote_access;
pub mod services;
pub mod srv;
pub mod work;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::queue::{EventClass, EventQueue};
use crate::time::SimDuration;
use crate::topology::{
    EdgePoolIndex, FrontEndPoolIndex, InboundFederation, PerEdge, PoolIndex, Simulation, Topology,
};

use admin::{Administration, Moment};
use components::{ComponentId, Components, Derived};
use describe::Happened;
use dns::TrafficManager;
use metrics::EdgePoolTally;
use recovery::Recovery;
use remote_access::{CohortSlot, Context, Refused, RemoteAccess};
use services::{SERVICE_COUNT, Service, ServiceAccumulator, ServiceResult, Snapshot};

/// Events between two looks at a replication's cancel flag.
const CANCEL_CHECK_EVENTS: u64 = 4_096;

/// How far every replication simulated in this process has got, in simulated
/// microseconds summed over them (a finished replication counts its whole horizon): read
/// by progress displays, so that they move while slow replications run. No result reads
/// it, and it is only added to.
pub static SIMULATED_MICROS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Something that happens at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A component fails at random.
    Fail(ComponentId),
    /// A component is repaired.
    Repair(ComponentId),
    /// Injected outage number `0` starts.
    OutageStart(u32),
    /// Injected outage number `0` ends.
    OutageEnd(u32),
    /// A cohort of displaced users reaches its next step.
    Cohort {
        /// Its slot.
        slot: CohortSlot,
        /// The slot's generation when the event was scheduled (stale if it changed).
        generation: u32,
    },
    /// Something discrete changes along remote access's plan: a pool fills, waiting users
    /// have all connected, or a FE pool's unserved users drop below one (stale unless it
    /// is the milestone the current plan has scheduled).
    RemoteMilestone,
    /// The administrator's response to an incident has elapsed.
    AdminResponse {
        /// The incident's slot.
        incident: admin::IncidentSlot,
        /// The slot's use (stale if the slot was reused).
        generation: u32,
    },
    /// A step of a Front End pool's disaster recovery is due (rules D1, D2).
    Recovery {
        /// The FE pool whose loss it follows.
        front_end: FrontEndPoolIndex,
        /// The pool's step count when it was scheduled (stale if it changed).
        generation: u32,
        /// What is due.
        step: recovery::Step,
    },
    /// The administrator fails an incident's changes back.
    AdminFailback {
        /// The incident's slot.
        incident: admin::IncidentSlot,
        /// The slot's use (stale if the slot was reused).
        generation: u32,
    },
    /// A published DNS answer reaches partners' caches.
    DnsExpiry,
    /// The geo-DNS traffic manager's health checks see an Edge pool's change.
    HealthCheck {
        /// The pool.
        pool: EdgePoolIndex,
        /// Whether it is now seen up.
        up: bool,
    },
    /// A region's geo-DNS traffic manager sees an Edge pool's change (rule G1).
    RegionHealthCheck {
        /// The region, by position in `dns.regions`.
        region: u32,
        /// The pool.
        pool: EdgePoolIndex,
        /// Whether it is now seen up.
        up: bool,
    },
    /// A region's changed geo-DNS answer reaches its remote users' caches (rule G1).
    RegionAnswer {
        /// The region, by position in `dns.regions`.
        region: u32,
    },
    /// Changes nothing, but makes every part of the model re-plan and take its snapshot
    /// again (invariance tests: see [`simulate_replication_with_ticks`]).
    Tick,
}

/// One processed event, as a trace shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRecord {
    /// When.
    pub time: SimDuration,
    /// What kind of event (`failure`, `repair`, `outage_start`, `client`, `admin`, ...).
    pub event: &'static str,
    /// The component or FE pool concerned.
    pub target: String,
    /// What happened.
    pub detail: String,
    /// The served fraction of each service after the event, in [`Service::ALL`] order;
    /// `None` for a service the layout does not have.
    pub served: [Option<f64>; SERVICE_COUNT],
    /// What is down after the event: sites and Edge servers that are down themselves, FE
    /// pools and Edge pools that are not up (for whatever reason).
    pub down: Vec<String>,
}

impl TraceRecord {
    /// The served fraction of remote access after the event (1 when not configured).
    pub fn remote_access_served(&self) -> f64 {
        self.served[Service::RemoteAccess.index()].unwrap_or(1.0)
    }
}

/// Receives each processed event; the default does nothing and costs nothing.
pub trait Observer {
    /// Whether records should be built at all.
    fn enabled(&self) -> bool {
        false
    }
    /// Called after each processed event when enabled.
    fn record(&mut self, _record: TraceRecord) {}
    /// Whether the observer wants no more events: the replication then ends at once
    /// (a trace that reached its size limit).
    fn is_full(&self) -> bool {
        false
    }
}

/// An observer that ignores everything.
pub struct NoObserver;

impl Observer for NoObserver {}

impl Observer for Vec<TraceRecord> {
    fn enabled(&self) -> bool {
        true
    }
    fn record(&mut self, record: TraceRecord) {
        self.push(record);
    }
}

/// What one replication of one layout measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplicationResult {
    /// The simulated time.
    pub horizon: SimDuration,
    /// The services the layout has, in [`Service::ALL`] order.
    pub services: Vec<ServiceResult>,
    /// Per Edge pool: peak load and overload time.
    pub edge_pools: Vec<EdgePoolTally>,
    /// Events processed (stale ones excluded).
    pub events: u64,
    /// Set when the replication passed its cap on events ([`work::event_cap`]) and
    /// stopped before its horizon: its figures must not be used.
    pub stopped: Option<work::Stopped>,
}

impl ReplicationResult {
    /// The result of `service`, if the layout has it.
    pub fn service(&self, service: Service) -> Option<&ServiceResult> {
        self.services.iter().find(|s| s.service == service)
    }
}

/// Simulates replication `replication` of `topology`, telling `observer` every event.
pub fn simulate_replication<O: Observer>(
    topology: &Topology,
    simulation: &Simulation,
    replication: u64,
    observer: &mut O,
) -> ReplicationResult {
    simulate_replication_with_ticks(topology, simulation, replication, &[], observer)
}

/// [`simulate_replication`] with a no-op event at each of `ticks` that makes every part of
/// the model re-plan and take its snapshot again, as if something had happened. A model
/// that integrates exactly what moves between events gives the same results, to rounding,
/// wherever ticks fall; the invariance tests use this to check it.
pub fn simulate_replication_with_ticks<O: Observer>(
    topology: &Topology,
    simulation: &Simulation,
    replication: u64,
    ticks: &[SimDuration],
    observer: &mut O,
) -> ReplicationResult {
    let mut run = Replication::new(topology, simulation, replication);
    for &at in ticks {
        run.queue.push(at, EventClass::Client, Event::Tick);
    }
    run.run(observer);
    run.finish()
}

/// [`simulate_replication`] with no observer that gives up, returning `None`, soon after
/// `cancel` is set (when another replication run in parallel passed its cap on events and
/// the run is failing anyway).
pub fn simulate_replication_unless_cancelled(
    topology: &Topology,
    simulation: &Simulation,
    replication: u64,
    cancel: &AtomicBool,
) -> Option<ReplicationResult> {
    let mut run = Replication::new(topology, simulation, replication);
    run.cancel = Some(cancel);
    run.run(&mut NoObserver);
    (!run.cancelled).then(|| run.finish())
}

/// [`simulate_replication`] with `event_cap` in place of [`work::event_cap`], so tests
/// can reach the cap in a few thousand events.
#[doc(hidden)]
pub fn simulate_replication_with_event_cap(
    topology: &Topology,
    simulation: &Simulation,
    replication: u64,
    event_cap: u64,
) -> ReplicationResult {
    let mut run = Replication::new(topology, simulation, replication);
    run.event_cap = event_cap;
    run.run(&mut NoObserver);
    run.finish()
}

/// [`simulate_replication`] with every walking cohort stepping through every target, one
/// event per `connect_timeout`, instead of passing over targets that cannot answer. The
/// results must be the same; the invariance tests use this to check it.
#[doc(hidden)]
pub fn simulate_replication_stepping_every_target(
    topology: &Topology,
    simulation: &Simulation,
    replication: u64,
) -> ReplicationResult {
    let mut run = Replication::new(topology, simulation, replication);
    run.remote.step_through_every_target();
    run.run(&mut NoObserver);
    run.finish()
}

struct Replication<'t> {
    topology: &'t Topology,
    horizon: SimDuration,
    now: SimDuration,
    queue: EventQueue<Event>,
    components: Components,
    /// The components' state: which pools are up themselves.
    physical: Derived,
    /// Scratch for the components' state after an event (before it, once swapped).
    next_physical: Derived,
    /// The state every service reads: `physical` seen through disaster recovery (users
    /// homed on a backup, Edge pools cut off from their next hop).
    derived: Derived,
    /// Scratch for the services' state after an event (before it, once swapped).
    next_derived: Derived,
    recovery: Recovery,
    /// Per Edge pool, the share of its connections the current event cut (scratch).
    lost_fraction: PerEdge<f64>,
    remote: RemoteAccess,
    admin: Administration,
    traffic_manager: Option<TrafficManager>,
    services: Vec<ServiceAccumulator>,
    service_slot: [Option<usize>; SERVICE_COUNT],
    pools: Vec<EdgePoolTally>,
    /// Edge pools refusing users for lack of room since `refusing_since`.
    refusing: Vec<bool>,
    refused: PerEdge<Refused>,
    /// Remote access's snapshot when the layout has no remote users (nothing reads it).
    unused_snapshot: Snapshot,
    refusing_since: SimDuration,
    /// Remote access must re-plan and take its snapshot (its state or inputs changed).
    remote_changed: bool,
    /// When remote access's current plan next reaches a milestone (an event is queued).
    milestone_at: Option<SimDuration>,
    /// The other services must take their snapshots (components, the administrator's
    /// changes or DNS answers changed).
    others_changed: bool,
    /// An administrator's change was made and the state is not yet settled: another
    /// change falls at the same instant (rule S1).
    settle_due: bool,
    /// The association version remote access last planned with.
    association_seen: u64,
    /// What reconciling an event noted for traces (an incident closed, a failback dropped).
    note: String,
    events: u64,
    /// The most events this replication may process ([`work::event_cap`]).
    event_cap: u64,
    /// Per FE pool: events of its walking cohorts, to say why the cap was passed.
    client_events: Vec<u64>,
    /// Set when the cap was passed.
    stopped: Option<work::Stopped>,
    /// Set by another thread when the run is failing: the replication then gives up.
    cancel: Option<&'t AtomicBool>,
    /// Whether it gave up because `cancel` was set.
    cancelled: bool,
    /// Whether the event being handled is told in words (a trace is being recorded).
    describe: bool,
    /// The simulated time already added to [`SIMULATED_MICROS`].
    reported: SimDuration,
}

/// Builds a [`Context`] from disjoint fields of the replication.
macro_rules! context {
    ($run:ident, $derived:expr) => {
        Context {
            topology: $run.topology,
            now: $run.now,
            queue: &mut $run.queue,
            derived: $derived,
            association: &$run.admin.association,
        }
    };
}

/// Builds a [`Moment`] from disjoint fields of the replication.
macro_rules! moment {
    ($run:ident) => {
        Moment {
            topology: $run.topology,
            now: $run.now,
            queue: &mut $run.queue,
            derived: &$run.derived,
            physical: &$run.physical,
            describe: $run.describe,
        }
    };
}

/// Every component's first failure and every injected outage's start and end.
fn initial_events(topology: &Topology, components: &mut Components) -> EventQueue<Event> {
    let mut queue = EventQueue::default();
    for id in components.ids() {
        if let Some(at) = components.draw_time_to_failure(topology, id) {
            queue.push_tied(
                at,
                EventClass::Failure,
                u128::from(components.tie(id)),
                Event::Fail(id),
            );
        }
    }
    for (i, outage) in topology.outages.iter().enumerate() {
        queue.push(
            outage.start,
            EventClass::Failure,
            Event::OutageStart(components::small(i)),
        );
        queue.push(
            outage.start.saturating_add(outage.duration),
            EventClass::Recovery,
            Event::OutageEnd(components::small(i)),
        );
    }
    queue
}

/// The geo-DNS traffic manager, when inbound federation uses one (F1).
fn traffic_manager(topology: &Topology) -> Option<TrafficManager> {
    (topology.federation.inbound == InboundFederation::GeoDns
        && !topology.dns.federation.is_empty())
    .then(|| {
        let records = topology.dns.federation.records().len();
        let mut preference =
            srv::preference_order(&topology.dns.federation, topology.edge_pools.len());
        preference.truncate(records);
        TrafficManager::new(preference, topology.edge_pools.len(), topology.dns.ttl)
    })
}

/// An accumulator per service the layout has, and where each service's is.
fn service_accumulators(
    topology: &Topology,
) -> (Vec<ServiceAccumulator>, [Option<usize>; SERVICE_COUNT]) {
    let mut service_slot = [None; SERVICE_COUNT];
    let services = topology
        .configured_services()
        .into_iter()
        .enumerate()
        .map(|(slot, (service, weights))| {
            service_slot[service.index()] = Some(slot);
            ServiceAccumulator::new(
                service,
                weights,
                topology.clients.session,
                topology.has_recovery(),
            )
        })
        .collect();
    (services, service_slot)
}

impl<'t> Replication<'t> {
    fn new(topology: &'t Topology, simulation: &Simulation, replication: u64) -> Self {
        let mut components = Components::new(topology, simulation.seed, replication);
        let mut physical = Derived::new(topology);
        components.derive(topology, &mut physical);
        let recovery = Recovery::new(topology, simulation.seed, replication);
        let mut derived = physical.clone();
        recovery.view(topology, &physical, &mut derived);
        let queue = initial_events(topology, &mut components);
        let traffic_manager = traffic_manager(topology);
        let (services, service_slot) = service_accumulators(topology);
        let mut run = Replication {
            topology,
            horizon: simulation.horizon,
            now: SimDuration::ZERO,
            queue,
            components,
            next_physical: physical.clone(),
            physical,
            next_derived: derived.clone(),
            recovery,
            lost_fraction: PerEdge::filled(topology.edge_pools.len(), 0.0),
            derived,
            remote: RemoteAccess::new(topology, simulation.seed, replication),
            admin: Administration::new(topology, simulation.seed, replication),
            traffic_manager,
            services,
            service_slot,
            pools: vec![EdgePoolTally::default(); topology.edge_pools.len()],
            refusing: vec![false; topology.edge_pools.len()],
            refused: PerEdge::default(),
            unused_snapshot: Snapshot::default(),
            refusing_since: SimDuration::ZERO,
            remote_changed: true,
            milestone_at: None,
            others_changed: true,
            settle_due: false,
            association_seen: 0,
            note: String::new(),
            events: 0,
            event_cap: work::event_cap(topology, simulation.horizon),
            client_events: vec![0; topology.front_end_pools.len()],
            stopped: None,
            cancel: None,
            cancelled: false,
            describe: false,
            reported: SimDuration::ZERO,
        };
        let mut ctx = context!(run, &run.derived);
        run.remote.connect_initially(&mut ctx);
        run.settle();
        run
    }

    fn run<O: Observer>(&mut self, observer: &mut O) {
        self.describe = observer.enabled();
        if self.describe {
            let record = self.record(
                SimDuration::ZERO,
                "start",
                String::new(),
                "everyone connected as if they had walked the SRV list at no cost".to_string(),
            );
            observer.record(record);
        }
        while let Some(at) = self.queue.peek_time() {
            if at > self.horizon {
                break;
            }
            let (at, event) = self.queue.pop().expect("peeked");
            self.now = at;
            self.note.clear();
            let happened = self.handle(event);
            if event == Event::Tick {
                self.settle();
                continue;
            }
            let Some(happened) = happened else {
                // A stale event may be the last of simultaneous administrator changes.
                if self.settle_due && !self.administrator_acts_again_now() {
                    let made = self.settle();
                    if let (true, Some(made)) = (self.describe, made) {
                        observer.record(self.record(at, "admin", String::new(), made));
                    }
                }
                continue;
            };
            if !self.count_event(at) {
                break;
            }
            let made = self.settle_after(event, &happened);
            if self.describe {
                observer.record(self.describe_event(at, &happened, made));
                if observer.is_full() {
                    break;
                }
            }
        }
    }

    /// Counts an event handled at `at`; whether the replication goes on (not past its
    /// cap on events, not cancelled).
    fn count_event(&mut self, at: SimDuration) -> bool {
        self.events += 1;
        if self.events > self.event_cap {
            self.stopped = Some(work::Stopped {
                at,
                events: self.events,
                cap: self.event_cap,
                client_events: std::mem::take(&mut self.client_events),
            });
            return false;
        }
        // Reading the flag costs a little, so only every few thousand events.
        if self.events.is_multiple_of(CANCEL_CHECK_EVENTS) {
            self.report_progress(at);
            if self
                .cancel
                .is_some_and(|cancel| cancel.load(Ordering::Relaxed))
            {
                self.cancelled = true;
                return false;
            }
        }
        true
    }

    /// Adds the simulated time since the last report to [`SIMULATED_MICROS`].
    fn report_progress(&mut self, at: SimDuration) {
        let at = at.min(self.horizon);
        if at > self.reported {
            SIMULATED_MICROS.fetch_add(
                at.as_micros() - self.reported.as_micros(),
                Ordering::Relaxed,
            );
            self.reported = at;
        }
    }

    /// Settles the state after an event that happened, if it may have changed it; returns
    /// the administrator's changes, if any. A client step that connected nobody (a
    /// timeout, a retry wait) changes nothing the services, flows or outages depend on.
    /// Administrator's changes that fall at one instant take effect together (rule S1):
    /// the state settles after the last of them.
    fn settle_after(&mut self, event: Event, happened: &Happened) -> Option<String> {
        let administrator = matches!(
            event,
            Event::AdminResponse { .. } | Event::AdminFailback { .. } | Event::Recovery { .. }
        );
        if administrator && self.administrator_acts_again_now() {
            self.settle_due = true;
            None
        } else if happened.changes_state() || self.settle_due {
            self.settle()
        } else {
            None
        }
    }

    /// The trace record of an event at `at`, with what reconciling it noted and the
    /// administrator's changes it made.
    fn describe_event(
        &self,
        at: SimDuration,
        happened: &Happened,
        made: Option<String>,
    ) -> TraceRecord {
        let (kind, target, mut detail) = happened.describe(self.topology, &self.components, at);
        for extra in [Some(self.note.trim_start_matches("; ")), made.as_deref()]
            .into_iter()
            .flatten()
            .filter(|text| !text.is_empty())
        {
            detail.push_str(if detail.is_empty() { "" } else { "; " });
            detail.push_str(extra);
        }
        self.record(at, kind, target, detail)
    }

    /// Whether the next event is another administrator's event at this instant.
    fn administrator_acts_again_now(&self) -> bool {
        self.queue.peek_class() == Some((self.now, EventClass::Administrator))
    }

    /// A trace record of the state now.
    fn record(
        &self,
        time: SimDuration,
        event: &'static str,
        target: String,
        detail: String,
    ) -> TraceRecord {
        let mut served = [None; SERVICE_COUNT];
        for accumulator in &self.services {
            served[accumulator.service.index()] = Some(accumulator.served_fraction(time));
        }
        let topology = self.topology;
        let mut down = Vec::new();
        for id in self.components.ids() {
            let kind = self.components.kind(id);
            let own_state_shown = matches!(
                kind,
                components::ComponentKind::Site(_) | components::ComponentKind::EdgeServer(..)
            );
            if own_state_shown && self.components.is_down(id) {
                down.push(self.components.name(topology, id));
            }
        }
        for (front_end, &up) in self.physical.front_end_up.enumerate() {
            if !up {
                down.push(topology.front_end_pools[front_end.index()].id.clone());
            }
        }
        for edge in self.derived.edge_servers_up.indices() {
            if !self.derived.edge_up(edge) {
                down.push(topology.edge_pools[edge.index()].id.clone());
            }
        }
        TraceRecord {
            time,
            event,
            target,
            detail,
            served,
            down,
        }
    }

    fn finish(mut self) -> ReplicationResult {
        let horizon = self.horizon;
        self.report_progress(horizon);
        self.now = horizon;
        let ctx = context!(self, &self.derived);
        self.remote.materialize(&ctx);
        self.remote.record_peaks(&mut self.pools);
        self.accrue_refusing();
        ReplicationResult {
            horizon,
            services: self
                .services
                .into_iter()
                .map(|s| s.finish(horizon))
                .collect(),
            edge_pools: self.pools,
            events: self.events,
            stopped: self.stopped,
        }
    }

    /// Adds the time since `refusing_since` to the pools refusing users since then.
    fn accrue_refusing(&mut self) {
        let elapsed = self
            .now
            .as_micros()
            .saturating_sub(self.refusing_since.as_micros());
        for (tally, &refusing) in self.pools.iter_mut().zip(&self.refusing) {
            if refusing {
                tally.overload_micros += elapsed;
            }
        }
        self.refusing_since = self.now;
    }

    /// After an event: pending administrator changes whose target came up are made; if
    /// remote access's state or inputs changed, it re-plans and takes its snapshot; if
    /// components, published changes or DNS answers changed, so do the other services.
    /// Returns the administrator's changes, if any.
    fn settle(&mut self) -> Option<String> {
        self.settle_due = false;
        let made = self.admin.make_all_pending(&mut moment!(self));
        if made.is_some() {
            self.others_changed = true;
        }
        if self.admin.association_version != self.association_seen {
            self.association_seen = self.admin.association_version;
            // Only mobile users read the association (F2).
            self.remote_changed |= self.remote.has_mobile_users();
        }
        if std::mem::take(&mut self.remote_changed) {
            self.settle_remote();
        }
        if std::mem::take(&mut self.others_changed) {
            self.settle_others();
        }
        made
    }

    /// Remote access from now on: waiting mobile users take free room, the plan of what
    /// moves is made, the snapshot is taken and the next milestone scheduled.
    fn settle_remote(&mut self) {
        let ctx = context!(self, &self.derived);
        self.remote.materialize(&ctx);
        self.remote.connect_waiting_mobile(&ctx);
        self.remote.plan(&ctx);
        let mut ctx = context!(self, &self.derived);
        self.remote.revisit_passed_targets(&mut ctx);
        self.remote.record_peaks(&mut self.pools);
        self.accrue_refusing();
        let slot = self.service_slot[Service::RemoteAccess.index()];
        let snapshot = match slot {
            Some(slot) => {
                self.services[slot].begin_snapshot();
                &mut self.services[slot].next
            }
            None => {
                self.unused_snapshot
                    .reset(self.topology.front_end_pools.len());
                &mut self.unused_snapshot
            }
        };
        let ctx = context!(self, &self.derived);
        self.remote.fill_snapshot(&ctx, snapshot, &mut self.refused);
        let milestone = self
            .remote
            .next_milestone(&ctx, &self.refused)
            .filter(|&at| at <= self.horizon);
        // A plan made again that reaches the same milestone keeps the event already in
        // the queue, so stale milestones do not pile up.
        if milestone != self.milestone_at {
            if let Some(at) = milestone {
                ctx.queue
                    .push(at, EventClass::Client, Event::RemoteMilestone);
            }
            self.milestone_at = milestone;
        }
        for (refusing, refused) in self.refusing.iter_mut().zip(&self.refused) {
            *refusing = refused.refuses();
        }
        if let Some(slot) = slot {
            self.services[slot].commit(self.now);
        }
    }

    /// Every service but remote access from now on: each reads only the components, what
    /// the administrator published and partners' DNS caches.
    fn settle_others(&mut self) {
        let (topology, now) = (self.topology, self.now);
        for accumulator in &mut self.services {
            if accumulator.service != Service::RemoteAccess {
                accumulator.begin_snapshot();
            }
        }
        if let Some(slot) = self.service_slot[Service::FederationOutbound.index()] {
            federation::outbound(
                topology,
                &self.derived,
                &self.admin,
                &mut self.services[slot].next,
            );
        }
        if let Some(slot) = self.service_slot[Service::EdgeAssociation.index()] {
            federation::association(
                topology,
                &self.derived,
                &self.admin,
                &mut self.services[slot].next,
            );
        }
        if let (Some(inbound), Some(outbound)) = (
            self.service_slot[Service::XmppInbound.index()],
            self.service_slot[Service::XmppOutbound.index()],
        ) {
            let mut inbound_snapshot = std::mem::take(&mut self.services[inbound].next);
            federation::xmpp(
                &self.derived,
                &mut self.admin,
                now,
                &mut inbound_snapshot,
                &mut self.services[outbound].next,
            );
            self.services[inbound].next = inbound_snapshot;
        }
        if let Some(slot) = self.service_slot[Service::FederationInbound.index()] {
            federation::inbound(
                topology,
                &self.derived,
                self.traffic_manager.as_mut(),
                now,
                &mut self.services[slot].next,
            );
        }
        for accumulator in &mut self.services {
            if accumulator.service != Service::RemoteAccess {
                accumulator.commit(now);
            }
        }
    }

    /// Applies one event. Returns what it did, or `None` if it was stale (with
    /// `self.describe`, it keeps what a trace needs to tell it).
    fn handle(&mut self, event: Event) -> Option<Happened> {
        match event {
            Event::Fail(id) => Some(self.fail(id)),
            Event::Repair(id) => Some(self.repair(id)),
            Event::OutageStart(index) | Event::OutageEnd(index) => {
                let starts = matches!(event, Event::OutageStart(_));
                let outage = &self.topology.outages[index as usize];
                let id = self.components.outage_component(outage.target);
                self.components.hold(id, starts);
                self.reconcile();
                Some(Happened::Outage { index, starts })
            }
            Event::Cohort { slot, generation } => self.cohort_step(slot, generation),
            Event::RemoteMilestone => {
                if self.milestone_at != Some(self.now) {
                    return None;
                }
                self.milestone_at = None;
                self.remote_changed = true;
                Some(Happened::Milestone {
                    reason: self.remote.milestone_reason(),
                })
            }
            Event::AdminResponse {
                incident,
                generation,
            } => {
                let said = self
                    .admin
                    .respond(&mut moment!(self), incident, generation)?;
                self.others_changed = true;
                Some(Happened::Admin { said })
            }
            Event::AdminFailback {
                incident,
                generation,
            } => {
                let said = self
                    .admin
                    .fail_back(&mut moment!(self), incident, generation)?;
                self.others_changed = true;
                Some(Happened::Admin { said })
            }
            Event::Recovery {
                front_end,
                generation,
                step,
            } => {
                let said = self
                    .recovery
                    .step(&mut moment!(self), front_end, generation, step)?;
                self.reconcile();
                Some(Happened::Admin { said })
            }
            Event::DnsExpiry => {
                self.others_changed = true;
                Some(Happened::DnsExpiry)
            }
            Event::Tick => {
                self.remote_changed = true;
                self.others_changed = true;
                None
            }
            Event::HealthCheck { pool, up } => self.health_check(pool, up),
            Event::RegionHealthCheck { region, pool, up } => {
                let region = region as usize;
                let (expiry, answer) = self.remote.region_health(region, self.now, pool, up)?;
                if let Some(expiry) = expiry {
                    self.queue.push(
                        expiry,
                        EventClass::Client,
                        Event::RegionAnswer {
                            region: components::small(region),
                        },
                    );
                }
                // Why users wait may change (the answer published is not the one cached).
                self.remote_changed = true;
                Some(Happened::RegionHealthCheck {
                    region,
                    pool,
                    up,
                    answer,
                })
            }
            Event::RegionAnswer { region } => {
                let region = region as usize;
                let mut ctx = context!(self, &self.derived);
                self.remote.materialize(&ctx);
                let pool = self.remote.region_answer(&mut ctx, region)?;
                self.remote_changed = true;
                Some(Happened::RegionAnswer { region, pool })
            }
        }
    }

    /// A cohort of remote users takes its step (`None` for a stale event).
    fn cohort_step(&mut self, slot: CohortSlot, generation: u32) -> Option<Happened> {
        let mut ctx = context!(self, &self.derived);
        self.remote.materialize(&ctx);
        let report = self
            .remote
            .cohort_step(&mut ctx, slot, generation, self.describe)?;
        self.remote_changed |= report.changes_state;
        self.client_events[report.front_end.index()] += 1;
        Some(Happened::Client(report))
    }

    /// The traffic manager's health checks see `pool` `up` (or down); it answers anew.
    fn health_check(&mut self, pool: EdgePoolIndex, up: bool) -> Option<Happened> {
        self.others_changed = true;
        let manager = self.traffic_manager.as_mut()?;
        if let Some(expiry) = manager.health(self.now, pool, up) {
            self.queue
                .push(expiry, EventClass::Client, Event::DnsExpiry);
        }
        let answer = manager.answer.published();
        Some(Happened::GeoDns { pool, up, answer })
    }

    /// A component fails: its repair is drawn and scheduled.
    fn fail(&mut self, id: ComponentId) -> Happened {
        self.components.set_failed(id, true);
        let repair = self
            .components
            .draw_time_to_repair(self.topology, id)
            .unwrap_or_default();
        self.queue.push_tied(
            self.now.saturating_add(repair),
            EventClass::Recovery,
            u128::from(self.components.tie(id)),
            Event::Repair(id),
        );
        self.reconcile();
        Happened::Failure {
            component: id,
            repair,
        }
    }

    /// A component is repaired: its next failure is drawn and scheduled.
    fn repair(&mut self, id: ComponentId) -> Happened {
        self.components.set_failed(id, false);
        if let Some(next) = self.components.draw_time_to_failure(self.topology, id) {
            self.queue.push_tied(
                self.now.saturating_add(next),
                EventClass::Failure,
                u128::from(self.components.tie(id)),
                Event::Fail(id),
            );
        }
        self.reconcile();
        Happened::Repair { component: id }
    }

    /// Applies the consequences of a change of component state or of disaster recovery,
    /// in the order of docs/model.md: disaster recovery reacts to the components (rules
    /// D1, D2) and the services' state is derived anew; users whose FE pool went down (or
    /// who move to another) release their connections first; then Edge pools that lost
    /// servers, went down or were cut off displace their users, and Edge pools that went
    /// down themselves open incidents; then users whose FE pool came back (or who moved)
    /// walk, and FE pools back open an incident if their associated pool is down; then
    /// Edge pools that came back end their incidents' pending parts.
    fn reconcile(&mut self) {
        self.components
            .derive(self.topology, &mut self.next_physical);
        let physical_changed = !self.next_physical.same_components(&self.physical);
        if physical_changed {
            // `next_physical` now holds the components before the event, `physical` after.
            std::mem::swap(&mut self.physical, &mut self.next_physical);
            let mut note = std::mem::take(&mut self.note);
            let before = &self.next_physical;
            self.recovery
                .components_changed(&mut moment!(self), before, &mut note);
            self.note = note;
        }
        // Without recovery the view changes exactly when the components do.
        let view_changed = if self.recovery.enabled() {
            self.recovery
                .view(self.topology, &self.physical, &mut self.next_derived);
            self.next_derived != self.derived
        } else {
            if physical_changed {
                self.recovery
                    .view(self.topology, &self.physical, &mut self.next_derived);
            }
            physical_changed
        };
        if !physical_changed && !view_changed {
            return;
        }
        // Remote access moves to now under the state that held until now.
        let ctx = context!(self, &self.derived);
        self.remote.materialize(&ctx);
        self.remote_changed = true;
        self.others_changed = true;
        let front_ends = self.derived.front_end_up.len();
        let front_ends = move || (0..front_ends).map(FrontEndPoolIndex::from_index);
        for front_end in front_ends() {
            if self.users_leave(front_end) {
                self.remote.front_end_down(front_end);
            }
        }
        let edge_changed = self.edges_lose_connections();
        std::mem::swap(&mut self.derived, &mut self.next_derived);
        // `next_derived` now holds the state before the event, `derived` the state after.
        self.open_incidents();
        for front_end in front_ends() {
            if self.users_arrive(front_end) {
                let mut ctx = context!(self, &self.derived);
                self.remote.front_end_up(&mut ctx, front_end);
            }
            if !self.next_physical.front_end_up[front_end] && self.physical.front_end_up[front_end]
            {
                self.admin.front_end_up(&mut moment!(self), front_end);
            }
        }
        self.end_incidents_and_check_health();
        if edge_changed {
            let mut ctx = context!(self, &self.derived);
            self.remote.edge_changed(&mut ctx);
        }
    }

    /// Whether `front_end`'s users lose their FE pool with the change (`derived` before it,
    /// `next_derived` after): it went down, or they move to another (a failback).
    fn users_leave(&self, front_end: FrontEndPoolIndex) -> bool {
        let (before, after) = (&self.derived, &self.next_derived);
        before.front_end_up[front_end]
            && (!after.front_end_up[front_end] || before.home[front_end] != after.home[front_end])
    }

    /// Whether `front_end`'s users have a FE pool again after the change (`next_derived`
    /// before it, `derived` after): theirs came back, or they moved to an up one.
    fn users_arrive(&self, front_end: FrontEndPoolIndex) -> bool {
        let (before, after) = (&self.next_derived, &self.derived);
        after.front_end_up[front_end]
            && (!before.front_end_up[front_end] || before.home[front_end] != after.home[front_end])
    }

    /// Edge pools that lost servers or went down (from `derived` to `next_derived`)
    /// displace the share of their users those held; returns whether any Edge pool's
    /// servers changed.
    fn edges_lose_connections(&mut self) -> bool {
        let mut edge_changed = false;
        let mut any_lost = false;
        for edge in self.lost_fraction.indices() {
            let (before, after) = (
                self.derived.edge_servers_up[edge],
                self.next_derived.edge_servers_up[edge],
            );
            edge_changed |= before != after;
            let fraction = if after >= before {
                0.0
            } else if after == 0 {
                1.0
            } else {
                f64::from(before - after) / f64::from(before)
            };
            any_lost |= fraction > 0.0;
            self.lost_fraction[edge] = fraction;
        }
        if any_lost {
            let mut ctx = context!(self, &self.next_derived);
            self.remote.edges_lost(&mut ctx, &self.lost_fraction);
        }
        edge_changed
    }

    /// Whether Edge pool `edge` went down with the event (`next_derived` is the state
    /// before it, `derived` after).
    fn went_down(&self, edge: EdgePoolIndex) -> bool {
        self.next_derived.edge_up(edge) && !self.derived.edge_up(edge)
    }

    /// Whether Edge pool `edge` came up with the event.
    fn came_up(&self, edge: EdgePoolIndex) -> bool {
        !self.next_derived.edge_up(edge) && self.derived.edge_up(edge)
    }

    /// Every Edge pool that went down itself opens an incident (a cut-off does not, rule
    /// D2).
    fn open_incidents(&mut self) {
        for pool in self.lost_fraction.indices() {
            if self.next_physical.edge_up(pool) && !self.physical.edge_up(pool) {
                let mut note = std::mem::take(&mut self.note);
                self.admin.pool_down(&mut moment!(self), pool, &mut note);
                self.note = note;
            }
        }
    }

    /// Every Edge pool that came up ends its incidents' pending parts; the traffic
    /// managers' health checks (inbound federation's, F1, and geo-DNS regions', G1) see
    /// every change their `geo_dns_detect` later.
    fn end_incidents_and_check_health(&mut self) {
        for pool in self.lost_fraction.indices() {
            if !self.next_physical.edge_up(pool) && self.physical.edge_up(pool) {
                let mut note = std::mem::take(&mut self.note);
                self.admin.pool_up(&mut moment!(self), pool, &mut note);
                self.note = note;
            }
        }
        let federation_at = self
            .now
            .saturating_add(self.topology.federation.geo_dns_detect);
        for pool in self.lost_fraction.indices() {
            if self.went_down(pool) || self.came_up(pool) {
                let up = self.came_up(pool);
                if self.traffic_manager.is_some() {
                    self.queue.push(
                        federation_at,
                        EventClass::Client,
                        Event::HealthCheck { pool, up },
                    );
                }
                // Regions' traffic managers that answer remote users (rule G1).
                for (region, detect) in self.remote.watching(pool) {
                    self.queue.push(
                        self.now.saturating_add(detect),
                        EventClass::Client,
                        Event::RegionHealthCheck {
                            region: components::small(region),
                            pool,
                            up,
                        },
                    );
                }
            }
        }
    }
}
