//! Failure processes (docs/model.md, R1): servers, Edge pools, sites and Front End pools
//! alternate up and down by their distributions; injected outages hold a target down on
//! top of that. From these, the derived state the rest of the model reads: which FE pools
//! are up, and each Edge pool's up servers and capacity.

use crate::distribution::Distribution;
use crate::engine::rng::{Purpose, Stream};
use crate::time::SimDuration;
use crate::topology::{
    EdgePoolIndex, FailureProcess, FrontEndPoolIndex, OutageTarget, PerEdge, PerFrontEnd,
    PoolIndex, SiteIndex, Topology,
};

/// A component that can fail: the flat index of a site, FE pool, Edge pool or server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ComponentId(pub u32);

impl ComponentId {
    /// Its position among the components.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A count or position as the u32 the model keeps it in (resolution bounds every list far
/// below u32::MAX entries).
pub(super) fn small(value: usize) -> u32 {
    u32::try_from(value).expect("lists are bounded far below u32::MAX")
}

/// What a component is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentKind {
    /// A site.
    Site(SiteIndex),
    /// A Front End pool.
    FrontEndPool(FrontEndPoolIndex),
    /// An Edge pool's own process (common-cause failures).
    EdgePool(EdgePoolIndex),
    /// One Edge server (0-based within its pool).
    EdgeServer(EdgePoolIndex, u32),
}

struct ComponentState {
    kind: ComponentKind,
    failed: bool,
    outage_holds: u32,
    stream: Option<Stream>,
    /// Derived from the component's id: orders its events among simultaneous ones.
    key: u64,
}

/// The up/down state of every component of one replication.
pub struct Components {
    states: Vec<ComponentState>,
    front_end_offset: u32,
    edge_pool_offset: u32,
    server_offsets: Vec<u32>,
}

/// The state the remote-access model reads, derived from the components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derived {
    /// Per FE pool: its own process and its site are up.
    pub front_end_up: PerFrontEnd<bool>,
    /// Per Edge pool: servers up, counted only while the pool process and site are up
    /// (0 means the pool is down).
    pub edge_servers_up: PerEdge<u32>,
    /// Per FE pool: the pool its users are homed on (itself unless failed over, rule D1).
    /// The component state homes everyone at home; the services' view may not.
    pub home: PerFrontEnd<FrontEndPoolIndex>,
    /// Per FE pool: down, with a backup, its failover not complete (rule D1).
    pub failover_pending: PerFrontEnd<bool>,
    /// Per Edge pool: up but cut off from its next hop (rule D2), so it counts no servers
    /// in the services' view.
    pub cut_off: PerEdge<bool>,
}

impl Derived {
    /// Everything up, everyone at home, for `topology`'s pools.
    pub fn new(topology: &Topology) -> Self {
        Derived {
            front_end_up: PerFrontEnd::filled(topology.front_end_pools.len(), true),
            edge_servers_up: topology.edge_pools.iter().map(|p| p.servers).collect(),
            home: PerFrontEnd::from_fn(topology.front_end_pools.len(), |front_end| front_end),
            failover_pending: PerFrontEnd::filled(topology.front_end_pools.len(), false),
            cut_off: PerEdge::filled(topology.edge_pools.len(), false),
        }
    }

    /// Whether the components' part of the state (which pools are up, servers up) is the
    /// same as `other`'s.
    pub fn same_components(&self, other: &Derived) -> bool {
        self.front_end_up == other.front_end_up && self.edge_servers_up == other.edge_servers_up
    }

    /// Whether the firewall lets the users of FE pool `front_end`, served by the pool they
    /// are homed on, reach Edge pool `edge`.
    pub fn allows(
        &self,
        topology: &Topology,
        front_end: FrontEndPoolIndex,
        edge: EdgePoolIndex,
    ) -> bool {
        topology.firewall.allows(self.home[front_end], edge)
    }

    /// Whether Edge pool `pool` is up.
    pub fn edge_up(&self, pool: EdgePoolIndex) -> bool {
        self.edge_servers_up[pool] > 0
    }
}

impl Components {
    /// Every component up, with its failure stream for replication `replication`.
    pub fn new(topology: &Topology, seed: u64, replication: u64) -> Self {
        let mut states = Vec::new();
        let mut add = |kind: ComponentKind, process: &FailureProcess, key: u64| {
            states.push(ComponentState {
                kind,
                failed: false,
                outage_holds: 0,
                key,
                stream: process
                    .can_fail()
                    .then(|| Stream::new(seed, replication, key, Purpose::Failures)),
            });
        };
        for (i, site) in topology.sites.iter().enumerate() {
            add(
                ComponentKind::Site(SiteIndex::from_index(i)),
                &site.failure,
                site.stream_key,
            );
        }
        for (i, pool) in topology.front_end_pools.iter().enumerate() {
            add(
                ComponentKind::FrontEndPool(FrontEndPoolIndex::from_index(i)),
                &pool.failure,
                pool.stream_key,
            );
        }
        for (i, pool) in topology.edge_pools.iter().enumerate() {
            add(
                ComponentKind::EdgePool(EdgePoolIndex::from_index(i)),
                &pool.pool_failure,
                pool.stream_key,
            );
        }
        for (i, pool) in topology.edge_pools.iter().enumerate() {
            for server in 0..pool.servers {
                let kind = ComponentKind::EdgeServer(EdgePoolIndex::from_index(i), server);
                add(kind, &pool.server_failure, pool.server_stream_key(server));
            }
        }
        let front_end_offset = small(topology.sites.len());
        let edge_pool_offset = front_end_offset + small(topology.front_end_pools.len());
        let mut server_offsets = Vec::with_capacity(topology.edge_pools.len());
        let mut next = edge_pool_offset + small(topology.edge_pools.len());
        for pool in &topology.edge_pools {
            server_offsets.push(next);
            next += pool.servers;
        }
        Components {
            states,
            front_end_offset,
            edge_pool_offset,
            server_offsets,
        }
    }

    /// All component ids.
    pub fn ids(&self) -> impl Iterator<Item = ComponentId> + use<> {
        (0..small(self.states.len())).map(ComponentId)
    }

    /// What component `id` is.
    pub fn kind(&self, id: ComponentId) -> ComponentKind {
        self.states[id.index()].kind
    }

    /// The id an injected outage's target has.
    pub fn outage_component(&self, target: OutageTarget) -> ComponentId {
        ComponentId(match target {
            OutageTarget::Site(site) => site.0,
            OutageTarget::FrontEndPool(pool) => self.front_end_offset + pool.0,
            OutageTarget::EdgePool(pool) => self.edge_pool_offset + pool.0,
            OutageTarget::EdgeServer { pool, server } => self.server_offsets[pool.index()] + server,
        })
    }

    /// The id and name of a component, as the planner writes it.
    pub fn name(&self, topology: &Topology, id: ComponentId) -> String {
        match self.kind(id) {
            ComponentKind::Site(i) => topology.sites[i.index()].id.clone(),
            ComponentKind::FrontEndPool(i) => topology.front_end_pools[i.index()].id.clone(),
            ComponentKind::EdgePool(i) => topology.edge_pools[i.index()].id.clone(),
            ComponentKind::EdgeServer(pool, server) => {
                format!("{}#{}", topology.edge_pools[pool.index()].id, server + 1)
            }
        }
    }

    fn process<'t>(&self, topology: &'t Topology, id: ComponentId) -> &'t FailureProcess {
        match self.kind(id) {
            ComponentKind::Site(i) => &topology.sites[i.index()].failure,
            ComponentKind::FrontEndPool(i) => &topology.front_end_pools[i.index()].failure,
            ComponentKind::EdgePool(i) => &topology.edge_pools[i.index()].pool_failure,
            ComponentKind::EdgeServer(pool, _) => &topology.edge_pools[pool.index()].server_failure,
        }
    }

    fn draw(
        &mut self,
        topology: &Topology,
        id: ComponentId,
        pick: fn(&FailureProcess) -> &Distribution,
    ) -> Option<SimDuration> {
        let distribution = pick(self.process(topology, id));
        let stream = self.states[id.index()].stream.as_mut()?;
        distribution.sample(stream)
    }

    /// Draws the time until component `id` next fails, if it can fail.
    pub fn draw_time_to_failure(
        &mut self,
        topology: &Topology,
        id: ComponentId,
    ) -> Option<SimDuration> {
        self.draw(topology, id, |p| &p.time_to_failure)
    }

    /// Draws how long component `id` stays down once failed.
    pub fn draw_time_to_repair(
        &mut self,
        topology: &Topology,
        id: ComponentId,
    ) -> Option<SimDuration> {
        self.draw(topology, id, |p| &p.time_to_repair)
    }

    /// The tie key of component `id`'s events: simultaneous failures (or repairs) are
    /// handled in an order fixed by the components' ids, not by where the scenario lists
    /// them (rule S1).
    pub fn tie(&self, id: ComponentId) -> u64 {
        self.states[id.index()].key
    }

    /// Marks a random failure or its repair.
    pub fn set_failed(&mut self, id: ComponentId, failed: bool) {
        self.states[id.index()].failed = failed;
    }

    /// Adds (`true`) or removes (`false`) one injected-outage hold.
    pub fn hold(&mut self, id: ComponentId, start: bool) {
        let holds = &mut self.states[id.index()].outage_holds;
        *holds = if start {
            *holds + 1
        } else {
            holds.saturating_sub(1)
        };
    }

    fn down(&self, id: u32) -> bool {
        let state = &self.states[ComponentId(id).index()];
        state.failed || state.outage_holds > 0
    }

    /// Whether component `id` itself is down (failed or held by an injected outage),
    /// whatever the state of what it depends on.
    pub fn is_down(&self, id: ComponentId) -> bool {
        self.down(id.0)
    }

    /// The derived state: FE pools up, Edge servers up per pool.
    pub fn derive(&self, topology: &Topology, into: &mut Derived) {
        into.front_end_up
            .refill(topology.front_end_pools.len(), |front_end| {
                let pool = &topology.front_end_pools[front_end.index()];
                !self.down(self.front_end_offset + front_end.0) && !self.down(pool.site.0)
            });
        into.edge_servers_up
            .refill(topology.edge_pools.len(), |edge| {
                let pool = &topology.edge_pools[edge.index()];
                if self.down(self.edge_pool_offset + edge.0) || self.down(pool.site.0) {
                    return 0;
                }
                let first = self.server_offsets[edge.index()];
                small(
                    (first..first + pool.servers)
                        .filter(|&s| !self.down(s))
                        .count(),
                )
            });
    }
}
