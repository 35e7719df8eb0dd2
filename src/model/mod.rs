//! The Lync behaviours, driven by the event queue: one replication of one layout.
//!
//! One loop serves every rule family: each event is applied to the component state, the
//! derived state is reconciled (which FE pools and Edge pools changed), the behaviours
//! react to the changes, and the metrics accrue between events. New rule families plug in
//! as new [`Event`] kinds and state, not as a second loop.

pub mod components;
pub mod metrics;
pub mod remote_access;

use crate::engine::queue::{EventClass, EventQueue};
use crate::time::SimDuration;
use crate::topology::{Simulation, Topology};

use components::{ComponentId, Components, Derived};
use metrics::{EdgePoolTally, OutageTracker, ServiceTally, WHOLE_USER};
use remote_access::{Context, RemoteAccess};

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
        slot: u32,
        /// The slot's generation when the event was scheduled (stale if it changed).
        generation: u32,
    },
    /// A sign-in return flow fills its destination (stale if the plan changed).
    FlowLimit {
        /// The flow plan's generation.
        generation: u64,
    },
}

/// One processed event, as a trace shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRecord {
    /// When.
    pub time: SimDuration,
    /// What kind of event (`failure`, `repair`, `outage_start`, `client`, ...).
    pub event: &'static str,
    /// The component or FE pool concerned.
    pub target: String,
    /// What happened.
    pub detail: String,
    /// The served fraction of remote access after the event.
    pub remote_access_served: f64,
}

/// Receives each processed event; the default does nothing and costs nothing.
pub trait Observer {
    /// Whether records should be built at all.
    fn enabled(&self) -> bool {
        false
    }
    /// Called after each processed event when enabled.
    fn record(&mut self, _record: TraceRecord) {}
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

/// Remote access over one replication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RemoteAccessResult {
    /// Remote users per FE pool (the weights).
    pub remote_users: Vec<f64>,
    /// Per FE pool.
    pub per_front_end: Vec<ServiceTally>,
    /// All FE pools together (outages united).
    pub all: ServiceTally,
}

/// What one replication of one layout measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplicationResult {
    /// The simulated time.
    pub horizon: SimDuration,
    /// Remote access, when the layout has remote users.
    pub remote_access: Option<RemoteAccessResult>,
    /// Per Edge pool: peak load and overload time.
    pub edge_pools: Vec<EdgePoolTally>,
    /// Events processed (stale ones excluded).
    pub events: u64,
}

impl RemoteAccessResult {
    /// Availability of the FE pool `front_end` (or of all, with `None`): the served
    /// fraction of remote-user time.
    pub fn availability(&self, front_end: Option<usize>, horizon: SimDuration) -> f64 {
        let (tally, users) = match front_end {
            Some(i) => (&self.per_front_end[i], self.remote_users[i]),
            None => (&self.all, self.remote_users.iter().sum()),
        };
        if users <= 0.0 {
            return 1.0;
        }
        1.0 - tally.unserved_total() / (users * horizon.as_micros() as f64)
    }
}

/// Simulates replication `replication` of `topology`, telling `observer` every event.
pub fn simulate_replication<O: Observer>(
    topology: &Topology,
    simulation: &Simulation,
    replication: u64,
    observer: &mut O,
) -> ReplicationResult {
    let mut run = Replication::new(topology, simulation, replication);
    run.run(observer);
    run.finish()
}

struct Replication<'t> {
    topology: &'t Topology,
    horizon: SimDuration,
    now: SimDuration,
    queue: EventQueue<Event>,
    components: Components,
    derived: Derived,
    next_derived: Derived,
    remote: RemoteAccess,
    per_front_end: Vec<ServiceTally>,
    all: ServiceTally,
    trackers: Vec<OutageTracker>,
    all_tracker: OutageTracker,
    pools: Vec<EdgePoolTally>,
    refusing: Vec<bool>,
    events: u64,
}

impl<'t> Replication<'t> {
    fn new(topology: &'t Topology, simulation: &Simulation, replication: u64) -> Self {
        let mut components = Components::new(topology, simulation.seed, replication);
        let mut derived = Derived {
            front_end_up: Vec::new(),
            edge_servers_up: Vec::new(),
        };
        components.derive(topology, &mut derived);
        let mut queue = EventQueue::default();
        for id in components.ids().collect::<Vec<_>>() {
            if let Some(at) = components.draw_time_to_failure(topology, id) {
                queue.push(at, EventClass::Failure, Event::Fail(id));
            }
        }
        for (i, outage) in topology.outages.iter().enumerate() {
            queue.push(
                outage.start,
                EventClass::Failure,
                Event::OutageStart(i as u32),
            );
            queue.push(
                outage.start.saturating_add(outage.duration),
                EventClass::Recovery,
                Event::OutageEnd(i as u32),
            );
        }
        let fe_count = topology.front_end_pools.len();
        let mut run = Replication {
            topology,
            horizon: simulation.horizon,
            now: SimDuration::ZERO,
            queue,
            components,
            next_derived: derived.clone(),
            derived,
            remote: RemoteAccess::new(topology, simulation.seed, replication),
            per_front_end: vec![ServiceTally::default(); fe_count],
            all: ServiceTally::default(),
            trackers: vec![OutageTracker::default(); fe_count],
            all_tracker: OutageTracker::default(),
            pools: vec![EdgePoolTally::default(); topology.edge_pools.len()],
            refusing: Vec::new(),
            events: 0,
        };
        let mut ctx = Context {
            topology,
            now: SimDuration::ZERO,
            queue: &mut run.queue,
            derived: &run.derived,
        };
        run.remote.connect_initially(&mut ctx);
        run.settle();
        run
    }

    fn run<O: Observer>(&mut self, observer: &mut O) {
        while let Some(at) = self.queue.peek_time() {
            if at > self.horizon {
                break;
            }
            let (at, event) = self.queue.pop().expect("peeked");
            self.advance(at);
            if let Some((kind, target, detail)) = self.handle(event, observer.enabled()) {
                self.events += 1;
                self.settle();
                if observer.enabled() {
                    observer.record(TraceRecord {
                        time: at,
                        event: kind,
                        target,
                        detail,
                        remote_access_served: self.served_fraction(),
                    });
                }
            }
        }
        self.advance(self.horizon);
    }

    fn finish(mut self) -> ReplicationResult {
        let now = self.horizon;
        for (tracker, tally) in self.trackers.iter_mut().zip(&mut self.per_front_end) {
            tracker.update(now, false, tally);
        }
        self.all_tracker.update(now, false, &mut self.all);
        let remote_users: Vec<f64> = (0..self.topology.front_end_pools.len())
            .map(|i| self.remote.remote_users(i))
            .collect();
        let remote_access =
            (remote_users.iter().sum::<f64>() > 0.0).then_some(RemoteAccessResult {
                remote_users,
                per_front_end: self.per_front_end,
                all: self.all,
            });
        ReplicationResult {
            horizon: self.horizon,
            remote_access,
            edge_pools: self.pools,
            events: self.events,
        }
    }

    /// The served fraction of all remote users now.
    fn served_fraction(&self) -> f64 {
        let mut users = 0.0;
        let mut unserved = 0.0;
        for front_end in 0..self.topology.front_end_pools.len() {
            users += self.remote.remote_users(front_end);
            unserved += self.unserved(front_end);
        }
        if users <= 0.0 {
            1.0
        } else {
            1.0 - unserved / users
        }
    }

    fn unserved(&self, front_end: usize) -> f64 {
        if self.derived.front_end_up[front_end] {
            let (desktop, mobile) = self.remote.unserved(front_end);
            desktop + mobile
        } else {
            self.remote.remote_users(front_end)
        }
    }

    /// Accrues metrics and moves sign-in flows from now to `to`.
    fn advance(&mut self, to: SimDuration) {
        if to <= self.now {
            return;
        }
        let elapsed = SimDuration::from_micros(to.as_micros() - self.now.as_micros());
        let ctx = Context {
            topology: self.topology,
            now: self.now,
            queue: &mut self.queue,
            derived: &self.derived,
        };
        self.remote.accrue(
            &ctx,
            elapsed,
            &mut self.per_front_end,
            &mut self.all,
            &mut self.pools,
            &mut self.refusing,
        );
        self.remote.apply_flows(&ctx, elapsed);
        self.now = to;
        self.remote.record_peaks(&mut self.pools);
    }

    /// After an event: mobile users reconnect, flows are re-planned, outages updated.
    fn settle(&mut self) {
        let ctx = Context {
            topology: self.topology,
            now: self.now,
            queue: &mut self.queue,
            derived: &self.derived,
        };
        self.remote.connect_waiting_mobile(&ctx);
        if let Some(at) = self.remote.plan_flows(&ctx) {
            let generation = self.remote.flow_generation();
            ctx.queue
                .push(at, EventClass::Client, Event::FlowLimit { generation });
        }
        self.remote.record_peaks(&mut self.pools);
        let mut any = false;
        for front_end in 0..self.topology.front_end_pools.len() {
            let in_outage = self.unserved(front_end) >= WHOLE_USER;
            any |= in_outage;
            self.trackers[front_end].update(
                self.now,
                in_outage,
                &mut self.per_front_end[front_end],
            );
        }
        self.all_tracker.update(self.now, any, &mut self.all);
    }

    /// Applies one event. Returns what it was, for traces, or `None` if it was stale.
    fn handle(&mut self, event: Event, describe: bool) -> Option<(&'static str, String, String)> {
        let topology = self.topology;
        match event {
            Event::Fail(id) => {
                self.components.set_failed(id, true);
                let repair = self
                    .components
                    .draw_time_to_repair(topology, id)
                    .unwrap_or_default();
                self.queue.push(
                    self.now.saturating_add(repair),
                    EventClass::Recovery,
                    Event::Repair(id),
                );
                self.reconcile();
                Some((
                    "failure",
                    self.name_if(describe, id),
                    if describe {
                        format!("repair in {}", crate::time::human(repair))
                    } else {
                        String::new()
                    },
                ))
            }
            Event::Repair(id) => {
                self.components.set_failed(id, false);
                if let Some(next) = self.components.draw_time_to_failure(topology, id) {
                    self.queue.push(
                        self.now.saturating_add(next),
                        EventClass::Failure,
                        Event::Fail(id),
                    );
                }
                self.reconcile();
                Some(("repair", self.name_if(describe, id), String::new()))
            }
            Event::OutageStart(i) | Event::OutageEnd(i) => {
                let starts = matches!(event, Event::OutageStart(_));
                let outage = &topology.outages[i as usize];
                let id = self.components.outage_component(outage.target);
                self.components.hold(id, starts);
                self.reconcile();
                let detail = if describe && starts {
                    format!(
                        "injected outage for {}",
                        crate::time::human(outage.duration)
                    )
                } else {
                    String::new()
                };
                Some((
                    if starts { "outage_start" } else { "outage_end" },
                    outage.target_id.clone(),
                    detail,
                ))
            }
            Event::Cohort { slot, generation } => {
                let mut ctx = Context {
                    topology,
                    now: self.now,
                    queue: &mut self.queue,
                    derived: &self.derived,
                };
                let report = self
                    .remote
                    .cohort_step(&mut ctx, slot, generation, describe)?;
                let target = topology.front_end_pools[report.front_end as usize]
                    .id
                    .clone();
                Some(("client", target, report.detail))
            }
            Event::FlowLimit { generation } => {
                (generation == self.remote.flow_generation()).then(|| {
                    (
                        "sign_in_flow",
                        String::new(),
                        "a preferred Edge pool filled up".to_string(),
                    )
                })
            }
        }
    }

    fn name_if(&self, describe: bool, id: ComponentId) -> String {
        if describe {
            self.components.name(self.topology, id)
        } else {
            String::new()
        }
    }

    /// Applies the consequences of a change of component state, in the order of
    /// SPEC §3: FE pools that went down release their users first; then Edge pools that
    /// lost servers or went down displace their users; then FE pools that came back walk.
    fn reconcile(&mut self) {
        self.components
            .derive(self.topology, &mut self.next_derived);
        if self.next_derived == self.derived {
            return;
        }
        let topology = self.topology;
        for front_end in 0..topology.front_end_pools.len() {
            if self.derived.front_end_up[front_end] && !self.next_derived.front_end_up[front_end] {
                self.remote.front_end_down(front_end as u32);
            }
        }
        let mut edge_changed = false;
        for edge in 0..topology.edge_pools.len() {
            let (before, after) = (
                self.derived.edge_servers_up[edge],
                self.next_derived.edge_servers_up[edge],
            );
            edge_changed |= before != after;
            if after < before {
                let fraction = if after == 0 {
                    1.0
                } else {
                    f64::from(before - after) / f64::from(before)
                };
                let mut ctx = Context {
                    topology,
                    now: self.now,
                    queue: &mut self.queue,
                    derived: &self.next_derived,
                };
                self.remote.edge_lost(&mut ctx, edge as u32, fraction);
            }
        }
        std::mem::swap(&mut self.derived, &mut self.next_derived);
        let mut ctx = Context {
            topology,
            now: self.now,
            queue: &mut self.queue,
            derived: &self.derived,
        };
        for front_end in 0..topology.front_end_pools.len() {
            if !self.next_derived.front_end_up[front_end] && self.derived.front_end_up[front_end] {
                self.remote.front_end_up(&mut ctx, front_end as u32);
            }
        }
        if edge_changed {
            self.remote.edge_changed(&mut ctx);
        }
    }
}
