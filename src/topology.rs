//! The resolved scenario the simulator reads: ids turned into dense indices, one
//! [`Topology`] per layout, SRV records sorted, the firewall as a matrix and every
//! distribution ready to sample. Nothing here needs a string look-up at run time.

use crate::distribution::Distribution;
use crate::time::SimDuration;
use crate::vocabulary::{Cause, Service};

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in its vector.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl PoolIndex for $name {
            fn from_index(index: usize) -> Self {
                // Resolution caps every list far below u32::MAX entries.
                $name(u32::try_from(index).expect("an index fits in u32"))
            }

            fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

/// An index newtype: the position of one kind of thing in its vector.
pub trait PoolIndex: Copy + Eq + Ord {
    /// The index of position `index`.
    fn from_index(index: usize) -> Self;
    /// Its position.
    fn index(self) -> usize;
}

/// A vector indexed by one kind of index only ([`PerFrontEnd`], [`PerEdge`]), so that an
/// Edge pool's index can never read a FE pool's entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indexed<I, T> {
    items: Vec<T>,
    index: std::marker::PhantomData<fn(I) -> I>,
}

/// Users of one Lync Server 2013 Enterprise Edition Front End pool at most: 80,000
/// (Microsoft, "Capacity planning using the user models", TechNet Gg615015). A paired
/// pool must carry its partner's users after a failover (rule D1).
pub const DOCUMENTED_USERS_PER_FRONT_END_POOL: u64 = 80_000;

/// One entry per FE pool.
pub type PerFrontEnd<T> = Indexed<FrontEndPoolIndex, T>;
/// One entry per Edge pool.
pub type PerEdge<T> = Indexed<EdgePoolIndex, T>;

impl<I: PoolIndex, T> Indexed<I, T> {
    /// `len` copies of `value`.
    pub fn filled(len: usize, value: T) -> Self
    where
        T: Clone,
    {
        vec![value; len].into()
    }

    /// The entry of each index, from `entry`.
    pub fn from_fn(len: usize, entry: impl FnMut(I) -> T) -> Self {
        (0..len).map(I::from_index).map(entry).collect()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every index, in order.
    pub fn indices(&self) -> impl Iterator<Item = I> + use<I, T> {
        (0..self.items.len()).map(I::from_index)
    }

    /// The entries, in index order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The entries, in index order, to change.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// Each index with its entry.
    pub fn enumerate(&self) -> impl Iterator<Item = (I, &T)> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, t)| (I::from_index(i), t))
    }

    /// The entries as a slice (for code that reads them all, in order).
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    /// Empties it and fills it with the entry of each of `len` indices, from `entry`,
    /// keeping its memory.
    pub fn refill(&mut self, len: usize, entry: impl FnMut(I) -> T) {
        self.items.clear();
        self.items.extend((0..len).map(I::from_index).map(entry));
    }

    /// Empties it and fills it with `len` copies of `value`, keeping its memory.
    pub fn reset(&mut self, len: usize, value: T)
    where
        T: Clone,
    {
        self.items.clear();
        self.items.resize(len, value);
    }
}

impl<I, T> Default for Indexed<I, T> {
    fn default() -> Self {
        Vec::new().into()
    }
}

impl<I, T> From<Vec<T>> for Indexed<I, T> {
    fn from(items: Vec<T>) -> Self {
        Indexed {
            items,
            index: std::marker::PhantomData,
        }
    }
}

impl<I, T> FromIterator<T> for Indexed<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        iter.into_iter().collect::<Vec<T>>().into()
    }
}

impl<I: PoolIndex, T> std::ops::Index<I> for Indexed<I, T> {
    type Output = T;
    fn index(&self, index: I) -> &T {
        &self.items[index.index()]
    }
}

impl<I: PoolIndex, T> std::ops::IndexMut<I> for Indexed<I, T> {
    fn index_mut(&mut self, index: I) -> &mut T {
        &mut self.items[index.index()]
    }
}

impl<'a, I, T> IntoIterator for &'a Indexed<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// One entry per FE pool and Edge pool (what a FE pool's users have on an Edge pool).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PerCell<T> {
    edge_count: usize,
    items: Vec<T>,
}

impl<T: Clone> PerCell<T> {
    /// `value` in every cell of `front_ends` × `edges`.
    pub fn filled(front_ends: usize, edges: usize, value: T) -> Self {
        PerCell {
            edge_count: edges,
            items: vec![value; front_ends * edges],
        }
    }
}

impl<T> std::ops::Index<(FrontEndPoolIndex, EdgePoolIndex)> for PerCell<T> {
    type Output = T;
    fn index(&self, (front_end, edge): (FrontEndPoolIndex, EdgePoolIndex)) -> &T {
        &self.items[front_end.index() * self.edge_count + edge.index()]
    }
}

impl<T> std::ops::IndexMut<(FrontEndPoolIndex, EdgePoolIndex)> for PerCell<T> {
    fn index_mut(&mut self, (front_end, edge): (FrontEndPoolIndex, EdgePoolIndex)) -> &mut T {
        &mut self.items[front_end.index() * self.edge_count + edge.index()]
    }
}

index_type!(
    /// The position of a site in [`Topology::sites`].
    SiteIndex
);
index_type!(
    /// The position of a Front End pool in [`Topology::front_end_pools`].
    FrontEndPoolIndex
);
index_type!(
    /// The position of an Edge pool in [`Topology::edge_pools`].
    EdgePoolIndex
);

/// A checked scenario: its settings and every layout, materialised.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The scenario's `name`.
    pub name: String,
    /// The scenario's `description`, if any.
    pub description: Option<String>,
    /// Horizon, replications and seed.
    pub simulation: Simulation,
    /// The layouts to compare; the first is the baseline. One layout named `base` when the
    /// file has no `[[layouts]]`.
    pub layouts: Vec<Topology>,
    /// The `[objective]` that scores each layout by one number, if the file has one.
    pub objective: Option<Objective>,
    /// The `[materiality]` thresholds that tell material changes from merely significant
    /// ones (docs/scenario.md, "materiality").
    pub materiality: Materiality,
}

impl Scenario {
    /// This scenario with `variants` as its layouts (each a layout under a name of its
    /// own, the first the baseline of every comparison): a sweep's points, or designs a
    /// search considers, studied on common random numbers.
    pub fn with_variants(&self, variants: Vec<Topology>) -> Scenario {
        Scenario {
            name: self.name.clone(),
            description: None,
            simulation: self.simulation,
            layouts: variants,
            objective: self.objective.clone(),
            materiality: self.materiality.clone(),
        }
    }
}

/// The default smallest change in a service's downtime that matters: 5 minutes per year,
/// about the whole yearly budget of "five nines" (99.999% of 525,600 minutes is 5.26
/// minutes of downtime).
pub const DEFAULT_MATERIAL_MIN_PER_YEAR: f64 = 5.0;
/// The default smallest change in outages per year that matters: one a year.
pub const DEFAULT_MATERIAL_OUTAGES_PER_YEAR: f64 = 1.0;

/// The `[materiality]` table: how large a change must be to matter to the planner, so that
/// verdicts tell material changes from merely significant ones (docs/output.md, "Verdicts").
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Materiality {
    /// Per service, the smallest change in downtime that matters, minutes per year.
    pub downtime_min_per_year: std::collections::BTreeMap<Service, f64>,
    /// The smallest change in the `[objective]` score that matters, weighted user-minutes
    /// per year; `None` for the default (the services' threshold times the weighted users
    /// of the service that weighs most).
    pub score_user_min_per_year: Option<f64>,
    /// The smallest change in outages per year that matters.
    pub outages_per_year: f64,
}

impl Default for Materiality {
    fn default() -> Self {
        Materiality {
            downtime_min_per_year: Service::ALL
                .iter()
                .map(|&s| (s, DEFAULT_MATERIAL_MIN_PER_YEAR))
                .collect(),
            score_user_min_per_year: None,
            outages_per_year: DEFAULT_MATERIAL_OUTAGES_PER_YEAR,
        }
    }
}

impl Materiality {
    /// The threshold of `service`, minutes of downtime per year.
    pub fn downtime(&self, service: Service) -> f64 {
        self.downtime_min_per_year
            .get(&service)
            .copied()
            .unwrap_or(DEFAULT_MATERIAL_MIN_PER_YEAR)
    }

    /// Sets the threshold of `service` (every service when `None`).
    pub fn set_downtime(&mut self, service: Option<Service>, minutes: f64) {
        for (s, m) in &mut self.downtime_min_per_year {
            if service.is_none_or(|only| only == *s) {
                *m = minutes;
            }
        }
    }
}

/// The `[objective]` table: how much each service's lost user-minutes count in a layout's
/// score (docs/output.md, "Score"). Shared by every layout, so their scores compare.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// Per service, in report order, the weight of one lost user-minute (default 1).
    pub weights: Vec<(Service, f64)>,
    /// Per service, the availability of all users a layout must reach (`targets`, e.g.
    /// remote access 0.9995): met only when the 95% interval says so (`edgesim explore`).
    pub targets: Vec<(Service, f64)>,
}

impl Objective {
    /// The weight of `service`.
    pub fn weight(&self, service: Service) -> f64 {
        self.weights
            .iter()
            .find(|(s, _)| *s == service)
            .map_or(1.0, |(_, w)| *w)
    }

    /// Per service `topology` has (in report order), its weight × the users it concerns:
    /// the remote users for remote access, every user for the others.
    pub fn weighted_users(&self, topology: &Topology) -> Vec<f64> {
        topology
            .configured_services()
            .iter()
            .map(|(service, users)| self.weight(*service) * users.iter().sum::<f64>())
            .collect()
    }
}

/// The `[simulation]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Simulation {
    /// Simulated time per replication.
    pub horizon: SimDuration,
    /// Number of independent replications.
    pub replications: u64,
    /// The seed all random streams derive from.
    pub seed: u64,
}

/// One layout of the scenario, fully resolved.
#[derive(Clone, Debug)]
pub struct Topology {
    /// The layout's name (`base` when the scenario has no layouts).
    pub layout_name: String,
    /// The assumption this layout is evaluated under, when the scenario has
    /// `[[assumptions]]` (docs/scenario.md); `None` otherwise.
    pub assumption: Option<String>,
    /// Sites, in file order.
    pub sites: Vec<Site>,
    /// Front End pools, in file order.
    pub front_end_pools: Vec<FrontEndPool>,
    /// Edge pools, in file order.
    pub edge_pools: Vec<EdgePool>,
    /// DNS records and TTL.
    pub dns: Dns,
    /// Federation route, XMPP gateway and partner behaviour.
    pub federation: Federation,
    /// Which Front End pools may reach which Edge pools (R4).
    pub firewall: Firewall,
    /// Injected outages, identical in every replication.
    pub outages: Vec<Outage>,
    /// Client behaviour.
    pub clients: Clients,
    /// Administrator behaviour.
    pub operations: Operations,
    /// Where its parts were written, for messages; the simulator never reads it.
    pub source: SourceSpans,
}

impl Topology {
    /// How outputs that list layouts on one axis name this one: `layout`, or
    /// `layout · assumption` when it is evaluated under an assumption.
    pub fn cell_label(&self) -> String {
        match &self.assumption {
            Some(assumption) => format!("{} · {assumption}", self.layout_name),
            None => self.layout_name.clone(),
        }
    }

    /// Whether the layout can put an unserved moment down to `cause`: the
    /// disaster-recovery causes need a FE pool with a `backup` (rule D1) or an Edge pool
    /// with a `next_hop` (rule D2).
    pub fn may_cause(&self, cause: Cause) -> bool {
        match cause {
            Cause::PoolFailoverPending => self.front_end_pools.iter().any(|p| p.backup.is_some()),
            Cause::NextHopDown => self.edge_pools.iter().any(|p| p.next_hop.is_some()),
            _ => true,
        }
    }

    /// Whether the layout has disaster recovery to model (rules D1, D2).
    pub fn has_recovery(&self) -> bool {
        self.may_cause(Cause::PoolFailoverPending) || self.may_cause(Cause::NextHopDown)
    }

    /// The services a layout has (docs/output.md: no rows for a service that is not configured),
    /// each with its per-FE-pool weights.
    pub fn configured_services(&self) -> Vec<(Service, Vec<f64>)> {
        let topology = self;
        let users: Vec<f64> = topology
            .front_end_pools
            .iter()
            .map(|p| p.users as f64)
            .collect();
        let remote: Vec<f64> = topology
            .front_end_pools
            .iter()
            .map(|p| p.remote_users as f64)
            .collect();
        let has_users = users.iter().sum::<f64>() > 0.0;
        let mut services = Vec::new();
        for service in Service::ALL {
            let configured = match service {
                Service::RemoteAccess => remote.iter().sum::<f64>() > 0.0,
                Service::FederationInbound => !topology.dns.federation.is_empty(),
                Service::FederationOutbound => {
                    topology.federation.outbound_route.is_some() && has_users
                }
                Service::XmppInbound | Service::XmppOutbound => {
                    topology.federation.xmpp_gateway.is_some()
                }
                Service::EdgeAssociation => has_users,
            };
            if configured {
                let weights = match service {
                    Service::RemoteAccess => remote.clone(),
                    _ => users.clone(),
                };
                services.push((service, weights));
            }
        }
        services
    }
}

/// A byte range in the scenario file.
pub type SourceSpan = std::ops::Range<usize>;

/// Where the parts of a layout were written in the scenario file, so that warnings can
/// point at the line; `None` where a part has no text of its own (a default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceSpans {
    /// Each site's id.
    pub sites: Vec<Option<SourceSpan>>,
    /// Each FE pool's id.
    pub front_end_pools: Vec<Option<SourceSpan>>,
    /// Each Edge pool's id.
    pub edge_pools: Vec<Option<SourceSpan>>,
    /// Each Edge pool's `servers`.
    pub edge_pool_servers: Vec<Option<SourceSpan>>,
    /// Per Edge pool, the target of its federation SRV record, if it has one.
    pub federation_records: Vec<Option<SourceSpan>>,
    /// Per FE pool, the first firewall entry that names it.
    pub firewall_entries: Vec<Option<SourceSpan>>,
    /// `federation.outbound_route`.
    pub outbound_route: Option<SourceSpan>,
    /// `federation.xmpp_gateway`.
    pub xmpp_gateway: Option<SourceSpan>,
    /// `federation.inbound`.
    pub inbound: Option<SourceSpan>,
    /// Each injected outage's `start`.
    pub outage_starts: Vec<Option<SourceSpan>>,
    /// Each FE pool's `backup`, where written.
    pub front_end_backups: Vec<Option<SourceSpan>>,
    /// Each Edge pool's `next_hop`, where written.
    pub edge_next_hops: Vec<Option<SourceSpan>>,
    /// Each `[[dns.regions]]` entry's id.
    pub regions: Vec<Option<SourceSpan>>,
    /// Per `[[dns.regions]]` entry: its `geo_dns_detect`, where written on a region that
    /// answers by SRV list (it has no effect there).
    pub unused_region_detects: Vec<Option<SourceSpan>>,
}

/// How a component fails and is repaired.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureProcess {
    /// Time from repair (or time 0) to the next failure.
    pub time_to_failure: Distribution,
    /// Time from failure to repair.
    pub time_to_repair: Distribution,
}

impl FailureProcess {
    /// A component that never fails at random.
    pub const NEVER: FailureProcess = FailureProcess {
        time_to_failure: Distribution::Never,
        time_to_repair: Distribution::Never,
    };

    /// Whether the component can fail at random.
    pub fn can_fail(&self) -> bool {
        self.time_to_failure != Distribution::Never
    }
}

/// A site.
#[derive(Clone, Debug)]
pub struct Site {
    /// The site's id.
    pub id: String,
    /// The key of its random streams (a stable hash of the id).
    pub stream_key: u64,
    /// How the whole site fails.
    pub failure: FailureProcess,
}

/// A Front End pool and the users homed on it.
#[derive(Clone, Debug)]
pub struct FrontEndPool {
    /// The pool's id.
    pub id: String,
    /// The key of its random streams (a stable hash of the id).
    pub stream_key: u64,
    /// Its site.
    pub site: SiteIndex,
    /// Users homed on the pool.
    pub users: u64,
    /// Of them, remote users signed in at the peak (held all year).
    pub remote_users: u64,
    /// The Edge pool associated with it at time 0 (R8).
    pub edge_pool: EdgePoolIndex,
    /// Its paired Front End pool (both ways), if any (rule D1).
    pub backup: Option<FrontEndPoolIndex>,
    /// How the pool's own process fails.
    pub failure: FailureProcess,
}

/// An Edge pool.
#[derive(Clone, Debug)]
pub struct EdgePool {
    /// The pool's id.
    pub id: String,
    /// The key of its random streams (a stable hash of the id).
    pub stream_key: u64,
    /// Its site.
    pub site: SiteIndex,
    /// Number of Edge servers (1 to 20).
    pub servers: u32,
    /// Concurrent remote users one server holds.
    pub capacity_per_server: u64,
    /// Internal FQDN (unique, R2).
    pub internal_fqdn: String,
    /// External FQDN, the SRV target (unique, R2).
    pub external_fqdn: String,
    /// How the pool as a whole fails (common cause: DMZ, load balancer, certificate).
    pub pool_failure: FailureProcess,
    /// How each of its servers fails.
    pub server_failure: FailureProcess,
    /// The Front End pool it forwards inward to, when modelled (rule D2).
    pub next_hop: Option<FrontEndPoolIndex>,
}

/// How many cohorts a displaced group of remote users is split into (at least 4,
/// docs/model.md, "Remote access"). It sits here, below the scenario and the model, because
/// both read it: the model splits groups, and the scenario's work budget counts walks.
pub const COHORTS_PER_GROUP: usize = 8;

/// Concurrent remote users Microsoft documents for one Edge server (rule F4), the
/// default of `capacity_per_server`.
pub const DOCUMENTED_USERS_PER_SERVER: u64 = 12_000;

impl EdgePool {
    /// Concurrent remote users the pool holds with every server up.
    pub fn full_capacity(&self) -> u64 {
        self.capacity_per_server * u64::from(self.servers)
    }

    /// The stream key of server `server` (0-based), derived from the pool id and the
    /// 1-based server number the planner sees, so it does not depend on other pools.
    pub fn server_stream_key(&self, server: u32) -> u64 {
        stream_key_of(&format!("{}#{}", self.id, server + 1))
    }
}

/// One DNS SRV record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SrvRecord {
    /// The Edge pool whose external FQDN is the target.
    pub target: EdgePoolIndex,
    /// Lower numbers are tried first.
    pub priority: u16,
    /// Relative share within a priority.
    pub weight: u16,
}

/// The records of one SRV name, sorted by priority (file order within a priority).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SrvRecords {
    records: Vec<SrvRecord>,
}

impl SrvRecords {
    /// Sorts `records` by priority, keeping file order among equal priorities.
    pub fn new(mut records: Vec<SrvRecord>) -> Self {
        records.sort_by_key(|record| record.priority);
        SrvRecords { records }
    }

    /// All records, lowest priority number first.
    pub fn records(&self) -> &[SrvRecord] {
        &self.records
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records grouped by priority, lowest number first.
    pub fn priority_groups(&self) -> impl Iterator<Item = &[SrvRecord]> {
        self.records.chunk_by(|a, b| a.priority == b.priority)
    }

    /// Whether `pool` is a target.
    pub fn contains(&self, pool: EdgePoolIndex) -> bool {
        self.records.iter().any(|record| record.target == pool)
    }
}

/// The `[dns]` table.
#[derive(Clone, Debug)]
pub struct Dns {
    /// How long partners cache an answer (F3, geo_dns).
    pub ttl: SimDuration,
    /// `_sip._tls` records (remote access, R3).
    pub remote_access: SrvRecords,
    /// `_sipfederationtls._tcp` records (inbound federation, R5).
    pub federation: SrvRecords,
    /// Regional remote-access answers (rule G1): the users of the FE pools a region names
    /// get its answer instead of `remote_access`.
    pub regions: Vec<Region>,
}

impl Dns {
    /// The region whose answer FE pool `front_end`'s remote users get, if one names it.
    pub fn region_of(&self, front_end: FrontEndPoolIndex) -> Option<&Region> {
        self.regions
            .iter()
            .find(|region| region.front_end_pools.contains(&front_end))
    }

    /// The remote-access SRV records FE pool `front_end`'s users are answered from: their
    /// region's list, else `dns.remote_access` (rule G1). Under `geo_dns` this is the
    /// traffic manager's order of preference, not what clients walk.
    pub fn remote_access_for(&self, front_end: FrontEndPoolIndex) -> &SrvRecords {
        self.region_of(front_end)
            .map_or(&self.remote_access, |region| &region.remote_access)
    }
}

/// How a region answers its users' remote-access queries (rule G1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionAnswer {
    /// Split DNS: the region's users get its SRV list and walk it (R3).
    Srv,
    /// A health-checked traffic manager names one pool, the first in the list's order
    /// that it sees up, `detect` late; clients cache the answer for `dns.ttl`.
    GeoDns {
        /// Health-check time before the traffic manager sees a pool's change.
        detect: SimDuration,
    },
}

/// One `[[dns.regions]]` entry: the remote-access answer of some FE pools' users (rule G1).
#[derive(Clone, Debug)]
pub struct Region {
    /// Its id.
    pub id: String,
    /// The FE pools whose remote users it answers (its sites' pools and the pools named).
    pub front_end_pools: Vec<FrontEndPoolIndex>,
    /// The SRV list (under geo_dns: the order of preference).
    pub remote_access: SrvRecords,
    /// How it answers.
    pub answer: RegionAnswer,
}

/// How partners pick an Edge pool for inbound federation (docs/model.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboundFederation {
    /// Fail back across priority groups (R5, the 2014 text).
    SrvPriority,
    /// One target, no retry (F1, Microsoft's 2019 correction).
    SingleTarget,
    /// A traffic manager answers with a running pool after a health-check delay (F1).
    GeoDns,
}

/// What happens to the administrator's changes when the failed pool is back (docs/model.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failback {
    /// One more response after recovery, the changes are undone.
    Return,
    /// The changes stay.
    Stay,
}

/// The `[federation]` table.
#[derive(Clone, Debug)]
pub struct Federation {
    /// The pool outbound federation leaves through (R6), if federation is configured.
    pub outbound_route: Option<EdgePoolIndex>,
    /// The XMPP gateway pool (R7), if XMPP is configured.
    pub xmpp_gateway: Option<EdgePoolIndex>,
    /// Partner behaviour for inbound federation.
    pub inbound: InboundFederation,
    /// geo_dns: health-check time before the traffic manager answers another pool.
    pub geo_dns_detect: SimDuration,
    /// Whether changes return to the repaired pool.
    pub failback: Failback,
}

/// Which Front End pools may reach which Edge pools, as a dense matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firewall {
    edge_pool_count: usize,
    allowed: Vec<bool>,
}

impl Firewall {
    /// A firewall where every pair has the `default` verdict.
    pub fn new(front_end_pool_count: usize, edge_pool_count: usize, default_allow: bool) -> Self {
        Firewall {
            edge_pool_count,
            allowed: vec![default_allow; front_end_pool_count * edge_pool_count],
        }
    }

    /// Sets the verdict for one pair.
    pub fn set(&mut self, front_end: FrontEndPoolIndex, edge: EdgePoolIndex, allow: bool) {
        self.allowed[front_end.index() * self.edge_pool_count + edge.index()] = allow;
    }

    /// Whether the Front End servers of `front_end` may reach the Edge servers of `edge`.
    pub fn allows(&self, front_end: FrontEndPoolIndex, edge: EdgePoolIndex) -> bool {
        self.allowed[front_end.index() * self.edge_pool_count + edge.index()]
    }
}

/// What an injected outage takes down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutageTarget {
    /// A whole site.
    Site(SiteIndex),
    /// A Front End pool.
    FrontEndPool(FrontEndPoolIndex),
    /// A whole Edge pool.
    EdgePool(EdgePoolIndex),
    /// One server of an Edge pool (0-based; `edge-dublin#2` is server 1).
    EdgeServer {
        /// The pool.
        pool: EdgePoolIndex,
        /// The server, 0-based.
        server: u32,
    },
}

/// An injected outage, identical in every replication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outage {
    /// The target as the planner wrote it.
    pub target_id: String,
    /// What goes down.
    pub target: OutageTarget,
    /// When it starts, from time 0.
    pub start: SimDuration,
    /// How long it lasts.
    pub duration: SimDuration,
}

/// The `[clients]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct Clients {
    /// Time for a connected client to notice its Edge is gone.
    pub detect: Distribution,
    /// Time lost on each SRV target that does not answer (F4: 21 s); drawn per cohort
    /// and target.
    pub connect_timeout: Distribution,
    /// Wait before walking the SRV list again.
    pub retry: Distribution,
    /// Mean time between sign-ins (exponential).
    pub session: SimDuration,
    /// Share of remote users with no SRV fallback (F2).
    pub mobile_share: f64,
}

/// The `[operations]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct Operations {
    /// Time from an Edge pool failure to the administrator's published change.
    pub response: Distribution,
    /// Time to carry out a Front End pool failover or failback once decided (rule D1).
    pub pool_failover: Distribution,
}

/// A stable 64-bit hash of a component id (FNV-1a), the key of its random streams.
///
/// Stable across platforms and versions on purpose: it must not change when the
/// standard library's hasher does, or results would change with it.
pub fn stream_key_of(id: &str) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    id.bytes().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_pool_vectors_are_read_by_their_own_index_type_and_keep_order() {
        let mut per_edge: PerEdge<u32> = PerEdge::from_fn(3, |edge| edge.0 * 10);
        assert_eq!(per_edge[EdgePoolIndex(2)], 20);
        per_edge[EdgePoolIndex(1)] += 5;
        assert_eq!(per_edge.as_slice(), &[0, 15, 20]);
        let indices: Vec<u32> = per_edge.indices().map(|e| e.0).collect();
        assert_eq!(indices, vec![0, 1, 2]);
        per_edge.refill(2, |edge| edge.0 + 7);
        assert_eq!(per_edge.as_slice(), &[7, 8]);
        let mut cells = PerCell::filled(2, 3, 0.0);
        cells[(FrontEndPoolIndex(1), EdgePoolIndex(2))] = 4.5;
        cells[(FrontEndPoolIndex(0), EdgePoolIndex(2))] = 1.0;
        // Row-major by FE pool: no two cells share a slot.
        assert_eq!(cells[(FrontEndPoolIndex(1), EdgePoolIndex(2))], 4.5);
        assert_eq!(cells[(FrontEndPoolIndex(1), EdgePoolIndex(0))], 0.0);
        assert_eq!(cells.items, vec![0.0, 0.0, 1.0, 0.0, 0.0, 4.5]);
    }

    #[test]
    fn stream_keys_are_the_published_fnv1a_values() {
        // FNV-1a 64 test vectors from the reference implementation.
        assert_eq!(stream_key_of(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stream_key_of("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stream_key_of("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn srv_records_sort_by_priority_and_keep_file_order_within() {
        let record = |target, priority| SrvRecord {
            target: EdgePoolIndex(target),
            priority,
            weight: 1,
        };
        let records = SrvRecords::new(vec![record(0, 20), record(1, 10), record(2, 20)]);
        let targets: Vec<u32> = records.records().iter().map(|r| r.target.0).collect();
        assert_eq!(targets, vec![1, 0, 2]);
        let sizes: Vec<usize> = records.priority_groups().map(<[_]>::len).collect();
        assert_eq!(sizes, vec![1, 2]);
    }
}
