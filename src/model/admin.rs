//! The administrator (docs/model.md; rules R6, R7, R8): what is published — the outbound
//! federation route, the XMPP gateway and each FE pool's associated Edge pool — and the
//! incidents that change it.
//!
//! Each Edge pool failure opens its own incident. After one `operations.response` draw
//! (from a stream keyed by the pool and the incident number, so layouts share it) the
//! administrator publishes, in one change, everything this pool's loss still requires,
//! with targets chosen at publish time. A part with no candidate waits and is made the
//! moment one comes up; pending parts lapse when the pool returns. If the pool is back
//! before the change, the incident closes with no change. With `failback = "return"`,
//! one more response after the pool is back, whatever still points where the incident
//! moved it returns.

use std::fmt::Write as _;

use crate::engine::queue::{EventClass, EventQueue};
use crate::engine::rng::{Purpose, Stream};
use crate::time::SimDuration;
use crate::topology::{EdgePoolIndex, Failback, FrontEndPoolIndex, PerEdge, PerFrontEnd, Topology};

use super::Event;
use super::components::Derived;
use super::dns::DelayedAnswer;

/// What the administrator's steps need to see and where they schedule.
pub struct Moment<'a> {
    /// The topology.
    pub topology: &'a Topology,
    /// Now.
    pub now: SimDuration,
    /// Where new events go.
    pub queue: &'a mut EventQueue<Event>,
    /// The state the services read: Edge pools cut off from their next hop count as
    /// down, FE pools as up while the pool their users are homed on is (rules D1, D2).
    pub derived: &'a Derived,
    /// Which components are up: incidents open and close on these alone (a cut-off is
    /// not an Edge pool failure, rule D2).
    pub physical: &'a Derived,
    /// Whether what the administrator does is told in words (only for a trace).
    pub describe: bool,
}

impl Moment<'_> {
    /// Whether `edge` answers (the administrator picks no pool cut off from its next hop).
    fn edge_up(&self, edge: EdgePoolIndex) -> bool {
        self.derived.edge_up(edge)
    }

    /// Whether `edge` is up itself, cut off or not.
    fn edge_running(&self, edge: EdgePoolIndex) -> bool {
        self.physical.edge_up(edge)
    }

    fn allows(&self, front_end: FrontEndPoolIndex, edge: EdgePoolIndex) -> bool {
        self.topology.firewall.allows(front_end, edge)
    }

    fn edge_id(&self, edge: EdgePoolIndex) -> &str {
        &self.topology.edge_pools[edge.index()].id
    }

    pub(super) fn front_end_id(&self, front_end: FrontEndPoolIndex) -> &str {
        &self.topology.front_end_pools[front_end.index()].id
    }

    /// Adds `words` to `said` when the administrator's actions are being told.
    pub(super) fn say(&self, said: &mut String, words: std::fmt::Arguments<'_>) {
        if self.describe {
            let _ = said.write_fmt(words);
        }
    }
}

/// The place of an incident in the administrator's slab (slots are reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentSlot(u32);

impl IncidentSlot {
    fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// An Edge pool failed: route, gateway and every association it held.
    Pool,
    /// A FE pool came back associated with a down Edge pool: only its association.
    Association(FrontEndPoolIndex),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    AwaitingResponse,
    Published,
    AwaitingFailback,
    Closed,
}

struct Incident {
    /// Counts the uses of this slot: an event for an earlier use is stale.
    generation: u32,
    pool: EdgePoolIndex,
    scope: Scope,
    stream: Stream,
    stage: Stage,
    moved_route: Option<EdgePoolIndex>,
    moved_gateway: Option<EdgePoolIndex>,
    moved_associations: Vec<(FrontEndPoolIndex, EdgePoolIndex)>,
    pending_route: bool,
    pending_gateway: bool,
    pending_associations: Vec<FrontEndPoolIndex>,
}

impl Incident {
    fn has_pending(&self) -> bool {
        self.pending_route || self.pending_gateway || !self.pending_associations.is_empty()
    }

    fn has_moves(&self) -> bool {
        self.moved_route.is_some()
            || self.moved_gateway.is_some()
            || !self.moved_associations.is_empty()
    }
}

/// What is published now, and the incidents that change it.
pub struct Administration {
    /// The pool outbound federation leaves through (R6).
    pub route: Option<EdgePoolIndex>,
    /// The XMPP gateway pool (R7).
    pub gateway: Option<EdgePoolIndex>,
    /// Each FE pool's associated Edge pool (R8).
    pub association: PerFrontEnd<EdgePoolIndex>,
    /// Counts changes of `association` (remote access re-plans when it moves).
    pub association_version: u64,
    /// The published XMPP DNS records, with partners' caching (F3).
    pub xmpp_dns: Option<DelayedAnswer>,
    /// Incidents by slot; closed slots are reused, so memory is bounded by the incidents
    /// open at once, not by how many a replication has had.
    incidents: Vec<Incident>,
    free: Vec<IncidentSlot>,
    /// Incidents not closed, oldest first (so a replication's work does not grow with
    /// the number of incidents it has had).
    active: Vec<IncidentSlot>,
    pool_incidents: PerEdge<u64>,
    association_incidents: PerFrontEnd<u64>,
    federation_order: Vec<EdgePoolIndex>,
    /// Per FE pool, the Edge pools in its users' remote-access SRV order (rule G1).
    remote_access_order: PerFrontEnd<Vec<EdgePoolIndex>>,
    failback: Failback,
    seed: u64,
    replication: u64,
}

impl Administration {
    /// The published state at time 0.
    pub fn new(topology: &Topology, seed: u64, replication: u64) -> Self {
        let gateway = topology.federation.xmpp_gateway;
        let preference_order = super::srv::preference_order;
        Administration {
            route: topology.federation.outbound_route,
            gateway,
            association: topology
                .front_end_pools
                .iter()
                .map(|p| p.edge_pool)
                .collect(),
            association_version: 0,
            xmpp_dns: gateway.map(|g| DelayedAnswer::new(g, topology.dns.ttl)),
            incidents: Vec::new(),
            free: Vec::new(),
            active: Vec::new(),
            pool_incidents: PerEdge::filled(topology.edge_pools.len(), 0),
            association_incidents: PerFrontEnd::filled(topology.front_end_pools.len(), 0),
            federation_order: preference_order(&topology.dns.federation, topology.edge_pools.len()),
            remote_access_order: PerFrontEnd::from_fn(
                topology.front_end_pools.len(),
                |front_end| {
                    preference_order(
                        topology.dns.remote_access_for(front_end),
                        topology.edge_pools.len(),
                    )
                },
            ),
            failback: topology.federation.failback,
            seed,
            replication,
        }
    }

    fn open(&mut self, moment: &mut Moment<'_>, pool: EdgePoolIndex, scope: Scope) {
        let (key, number) = match scope {
            Scope::Pool => {
                self.pool_incidents[pool] += 1;
                (
                    moment.topology.edge_pools[pool.index()].stream_key,
                    self.pool_incidents[pool],
                )
            }
            Scope::Association(front_end) => {
                self.association_incidents[front_end] += 1;
                (
                    moment.topology.front_end_pools[front_end.index()].stream_key,
                    self.association_incidents[front_end],
                )
            }
        };
        let mut stream = Stream::new(
            self.seed,
            self.replication,
            key,
            Purpose::AdministratorResponse(number),
        );
        let response = moment
            .topology
            .operations
            .response
            .sample(&mut stream)
            .unwrap_or_default();
        let incident = Incident {
            generation: 0,
            pool,
            scope,
            stream,
            stage: Stage::AwaitingResponse,
            moved_route: None,
            moved_gateway: None,
            moved_associations: Vec::new(),
            pending_route: false,
            pending_gateway: false,
            pending_associations: Vec::new(),
        };
        let index = self.store(incident);
        self.active.push(index);
        let generation = self.incidents[index.index()].generation;
        moment.queue.push(
            moment.now.saturating_add(response),
            EventClass::Administrator,
            Event::AdminResponse {
                incident: index,
                generation,
            },
        );
    }

    /// Keeps `incident` in a free slot (its generation one more than the slot's last
    /// use) or a new one.
    fn store(&mut self, incident: Incident) -> IncidentSlot {
        match self.free.pop() {
            Some(index) => {
                let generation = self.incidents[index.index()].generation.wrapping_add(1);
                self.incidents[index.index()] = Incident {
                    generation,
                    ..incident
                };
                index
            }
            None => {
                self.incidents.push(incident);
                IncidentSlot(u32::try_from(self.incidents.len() - 1).expect("few incidents"))
            }
        }
    }

    /// Edge pool `pool` went down: a new incident. An earlier incident of the pool that
    /// still waits to fail back closes: the new incident handles the new loss.
    pub fn pool_down(&mut self, moment: &mut Moment<'_>, pool: EdgePoolIndex, said: &mut String) {
        for &index in &self.active {
            let incident = &mut self.incidents[index.index()];
            if incident.pool == pool && incident.stage == Stage::AwaitingFailback {
                incident.stage = Stage::Closed;
                moment.say(
                    said,
                    format_args!(
                        "; failback to {} dropped: it is down again",
                        moment.edge_id(pool)
                    ),
                );
            }
        }
        self.forget_closed();
        self.open(moment, pool, Scope::Pool);
    }

    /// FE pool `front_end` came back: if its associated pool is down, an incident of its own.
    pub fn front_end_up(&mut self, moment: &mut Moment<'_>, front_end: FrontEndPoolIndex) {
        let pool = self.association[front_end];
        if !moment.edge_running(pool) {
            self.open(moment, pool, Scope::Association(front_end));
        }
    }

    /// Edge pool `pool` is back: incidents still awaiting their response close with no
    /// change (a new failure opens its own); published incidents' pending parts lapse,
    /// and their changes go back one response later with `failback = "return"`.
    pub fn pool_up(&mut self, moment: &mut Moment<'_>, pool: EdgePoolIndex, said: &mut String) {
        for &index in &self.active {
            let incident = &mut self.incidents[index.index()];
            if incident.pool != pool {
                continue;
            }
            if incident.stage == Stage::AwaitingResponse {
                incident.stage = Stage::Closed;
                moment.say(
                    said,
                    format_args!(
                        "; {} was back before the administrator's change: nothing to publish",
                        moment.edge_id(pool)
                    ),
                );
                continue;
            }
            if incident.stage != Stage::Published {
                continue;
            }
            incident.pending_route = false;
            incident.pending_gateway = false;
            incident.pending_associations.clear();
            if self.failback == Failback::Return && incident.has_moves() {
                let wait = moment
                    .topology
                    .operations
                    .response
                    .sample(&mut incident.stream)
                    .unwrap_or_default();
                incident.stage = Stage::AwaitingFailback;
                let generation = incident.generation;
                moment.queue.push(
                    moment.now.saturating_add(wait),
                    EventClass::Administrator,
                    Event::AdminFailback {
                        incident: index,
                        generation,
                    },
                );
            } else {
                incident.stage = Stage::Closed;
            }
        }
        self.forget_closed();
    }

    fn forget_closed(&mut self) {
        let (incidents, free) = (&self.incidents, &mut self.free);
        self.active.retain(|&i| {
            let open = incidents[i.index()].stage != Stage::Closed;
            if !open {
                free.push(i);
            }
            open
        });
    }

    /// The route or gateway target: the first up pool in federation order that every up
    /// FE pool may reach; else the up pool reachable by the up FE pools with the most
    /// users (ties in that order); none while no up FE pool may reach any up pool.
    fn federation_candidate(&self, moment: &Moment<'_>) -> Option<EdgePoolIndex> {
        let up_front_ends = || {
            moment
                .derived
                .front_end_up
                .enumerate()
                .filter(|&(_, &up)| up)
                .map(|(front_end, _)| front_end)
        };
        let up_pools = self
            .federation_order
            .iter()
            .copied()
            .filter(|&e| moment.edge_up(e));
        if let Some(first) = up_pools
            .clone()
            .find(|&edge| up_front_ends().all(|fe| moment.allows(moment.derived.home[fe], edge)))
        {
            return Some(first);
        }
        let mut best: Option<(u64, EdgePoolIndex)> = None;
        for edge in up_pools {
            let users: u64 = up_front_ends()
                .filter(|&fe| moment.allows(moment.derived.home[fe], edge))
                .map(|fe| moment.topology.front_end_pools[fe.index()].users.max(1))
                .sum();
            if users > 0 && best.is_none_or(|(most, _)| users > most) {
                best = Some((users, edge));
            }
        }
        best.map(|(_, edge)| edge)
    }

    /// The association target for `front_end` after `failed` was lost: the first up pool
    /// at another site that it may reach, in remote-access SRV order.
    fn association_candidate(
        &self,
        moment: &Moment<'_>,
        front_end: FrontEndPoolIndex,
        failed: EdgePoolIndex,
    ) -> Option<EdgePoolIndex> {
        let site_of = |edge: EdgePoolIndex| moment.topology.edge_pools[edge.index()].site;
        self.remote_access_order[front_end]
            .iter()
            .copied()
            .find(|&edge| {
                moment.edge_up(edge)
                    && site_of(edge) != site_of(failed)
                    && moment.allows(front_end, edge)
            })
    }

    fn move_gateway(&mut self, moment: &mut Moment<'_>, to: EdgePoolIndex) {
        self.gateway = Some(to);
        if let Some(expiry) = self
            .xmpp_dns
            .as_mut()
            .and_then(|dns| dns.publish(moment.now, to))
        {
            moment
                .queue
                .push(expiry, EventClass::Client, Event::DnsExpiry);
        }
    }

    /// The response to incident `index` has elapsed: publish what the loss still needs.
    /// Returns what happened (in words when the moment is described), or `None` for a
    /// stale event.
    pub fn respond(
        &mut self,
        moment: &mut Moment<'_>,
        index: IncidentSlot,
        generation: u32,
    ) -> Option<String> {
        let incident = &self.incidents[index.index()];
        if incident.generation != generation || incident.stage != Stage::AwaitingResponse {
            return None;
        }
        let pool = incident.pool;
        let mut said = String::new();
        if moment.edge_running(pool) {
            self.incidents[index.index()].stage = Stage::Closed;
            self.forget_closed();
            moment.say(
                &mut said,
                format_args!(
                    "{} was back before the change: nothing to publish",
                    moment.edge_id(pool)
                ),
            );
            return Some(said);
        }
        moment.say(
            &mut said,
            format_args!("response to the loss of {}", moment.edge_id(pool)),
        );
        self.note_what_the_loss_needs(moment, index);
        self.incidents[index.index()].stage = Stage::Published;
        self.make_pending(moment, index, &mut said);
        self.say_what_waits(moment, index, &mut said);
        Some(said)
    }

    /// Marks as pending what incident `index`'s loss needs: the route and the gateway on
    /// the lost pool, and the associations of up FE pools with it.
    fn note_what_the_loss_needs(&mut self, moment: &Moment<'_>, index: IncidentSlot) {
        let incident = &mut self.incidents[index.index()];
        let pool = incident.pool;
        if incident.scope == Scope::Pool {
            incident.pending_route = self.route == Some(pool);
            incident.pending_gateway = self.gateway == Some(pool);
        }
        let concerned = |front_end: FrontEndPoolIndex| {
            moment.derived.front_end_up[front_end] && self.association[front_end] == pool
        };
        match incident.scope {
            Scope::Pool => incident.pending_associations.extend(
                self.association
                    .indices()
                    .filter(|&front_end| concerned(front_end)),
            ),
            Scope::Association(front_end) => {
                if concerned(front_end) {
                    incident.pending_associations.push(front_end);
                }
            }
        }
    }

    /// Says what incident `index` still waits for, and closes it if it needed nothing.
    fn say_what_waits(&mut self, moment: &Moment<'_>, index: IncidentSlot, said: &mut String) {
        let incident = &mut self.incidents[index.index()];
        if incident.pending_route {
            moment.say(
                said,
                format_args!("; no target yet for the outbound federation route"),
            );
        }
        if incident.pending_gateway {
            moment.say(said, format_args!("; no target yet for the XMPP gateway"));
        }
        for &front_end in &incident.pending_associations {
            moment.say(
                said,
                format_args!("; no Edge pool yet for {}", moment.front_end_id(front_end)),
            );
        }
        if !incident.has_pending() && !incident.has_moves() {
            incident.stage = Stage::Closed;
            moment.say(said, format_args!("; nothing needed changing"));
        }
    }

    /// Makes every pending part of incident `index` that now has a candidate.
    fn make_pending(&mut self, moment: &mut Moment<'_>, index: IncidentSlot, said: &mut String) {
        let pool = self.incidents[index.index()].pool;
        if self.incidents[index.index()].pending_route {
            if self.route != Some(pool) {
                self.incidents[index.index()].pending_route = false;
            } else if let Some(to) = self.federation_candidate(moment) {
                self.route = Some(to);
                let incident = &mut self.incidents[index.index()];
                incident.pending_route = false;
                incident.moved_route = Some(to);
                moment.say(
                    said,
                    format_args!(
                        "; outbound federation route {} → {}",
                        moment.edge_id(pool),
                        moment.edge_id(to)
                    ),
                );
            }
        }
        if self.incidents[index.index()].pending_gateway {
            if self.gateway != Some(pool) {
                self.incidents[index.index()].pending_gateway = false;
            } else if let Some(to) = self.federation_candidate(moment) {
                self.move_gateway(moment, to);
                let incident = &mut self.incidents[index.index()];
                incident.pending_gateway = false;
                incident.moved_gateway = Some(to);
                moment.say(
                    said,
                    format_args!(
                        "; XMPP gateway {} → {}",
                        moment.edge_id(pool),
                        moment.edge_id(to)
                    ),
                );
            }
        }
        self.make_pending_associations(moment, index, said);
    }

    /// Moves each pending association of incident `index` that now has a candidate.
    fn make_pending_associations(
        &mut self,
        moment: &Moment<'_>,
        index: IncidentSlot,
        said: &mut String,
    ) {
        let pool = self.incidents[index.index()].pool;
        let pending = std::mem::take(&mut self.incidents[index.index()].pending_associations);
        let mut still_pending = Vec::new();
        for front_end in pending {
            // Someone else moved it meanwhile. A FE pool that is down keeps its pending
            // part: it is made the moment a candidate comes up.
            if self.association[front_end] != pool {
                continue;
            }
            let Some(to) = self.association_candidate(moment, front_end, pool) else {
                still_pending.push(front_end);
                continue;
            };
            self.association[front_end] = to;
            self.association_version += 1;
            self.incidents[index.index()]
                .moved_associations
                .push((front_end, to));
            moment.say(
                said,
                format_args!(
                    "; {} associated with {}",
                    moment.front_end_id(front_end),
                    moment.edge_id(to)
                ),
            );
        }
        self.incidents[index.index()].pending_associations = still_pending;
    }

    /// Makes pending parts whose candidate has come up. Returns what changed, if anything
    /// (in words when the moment is described).
    pub fn make_all_pending(&mut self, moment: &mut Moment<'_>) -> Option<String> {
        let mut said = String::new();
        let mut made = false;
        for position in 0..self.active.len() {
            let index = self.active[position];
            let incident = &self.incidents[index.index()];
            if incident.stage == Stage::Published && incident.has_pending() {
                let version = (self.route, self.gateway, self.association_version);
                self.make_pending(moment, index, &mut said);
                made |= version != (self.route, self.gateway, self.association_version);
            }
        }
        made.then(|| said.trim_start_matches("; ").to_string())
    }

    /// The failback of incident `index`: what still points where it moved it returns to
    /// the repaired pool. Dropped if the pool failed again meanwhile (its new incident
    /// takes over).
    pub fn fail_back(
        &mut self,
        moment: &mut Moment<'_>,
        index: IncidentSlot,
        generation: u32,
    ) -> Option<String> {
        let incident = &mut self.incidents[index.index()];
        if incident.generation != generation || incident.stage != Stage::AwaitingFailback {
            return None;
        }
        incident.stage = Stage::Closed;
        let pool = incident.pool;
        self.forget_closed();
        let incident = &mut self.incidents[index.index()];
        let mut said = String::new();
        if !moment.edge_running(pool) {
            moment.say(
                &mut said,
                format_args!(
                    "failback to {} dropped: it is down again",
                    moment.edge_id(pool)
                ),
            );
            return Some(said);
        }
        let (route, gateway) = (incident.moved_route, incident.moved_gateway);
        let associations = std::mem::take(&mut incident.moved_associations);
        moment.say(
            &mut said,
            format_args!("failback to {}", moment.edge_id(pool)),
        );
        if route.is_some() && self.route == route {
            self.route = Some(pool);
            moment.say(
                &mut said,
                format_args!("; outbound federation route returns"),
            );
        }
        if gateway.is_some() && self.gateway == gateway {
            self.move_gateway(moment, pool);
            moment.say(&mut said, format_args!("; XMPP gateway returns"));
        }
        for (front_end, to) in associations {
            if self.association[front_end] == to {
                self.association[front_end] = pool;
                self.association_version += 1;
                moment.say(
                    &mut said,
                    format_args!(
                        "; {} associated with it again",
                        moment.front_end_id(front_end)
                    ),
                );
            }
        }
        Some(said)
    }
}
