//! The scenario format of docs/scenario.md, read from the TOML tree into plain structs whose
//! references (ids) are still strings. Every table lists the keys it accepts here, so
//! this file is the one place that says what a scenario may contain.
//!
//! Invalid values are reported and replaced by placeholders so that the rest of the file
//! is still checked; a load with any error never returns a topology.

use super::decode::{
    Findings, TableReader, index_path, read_array, read_choice, read_description, read_duration,
    read_id, read_integer, read_name, read_number, read_positive_duration, read_string,
};
use super::diagnostic::{Diagnostic, Span};
use super::distribution::{DistributionUse, read_distribution};
use super::tree::{Node, NodeValue};
use crate::distribution::Distribution;
use crate::time::{MICROS_PER_MINUTE, MICROS_PER_SECOND, SimDuration};
use crate::topology::{
    Clients, Failback, InboundFederation, Materiality, Objective, Operations, Simulation,
};
use crate::vocabulary::Service;

/// Keys of the top level.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "name",
    "description",
    "simulation",
    "sites",
    "front_end_pools",
    "edge_pools",
    "dns",
    "federation",
    "firewall",
    "failures",
    "outages",
    "clients",
    "operations",
    "layouts",
    "assumptions",
    "sweeps",
    "objective",
    "materiality",
    "explore",
    "costs",
];

/// Top-level tables a layout may not change (docs/scenario.md).
pub const LAYOUT_FORBIDDEN_KEYS: &[&str] = &[
    "simulation",
    "failures",
    "outages",
    "sites",
    "objective",
    "materiality",
    "explore",
    "costs",
];

/// Keys a `[[layouts]]` entry accepts.
pub const LAYOUT_KEYS: &[&str] = &[
    "name",
    "description",
    "front_end_pools",
    "edge_pools",
    "dns",
    "federation",
    "firewall",
    "clients",
    "operations",
];

/// Keys a `[[layouts]]` entry may hold without being unknown: its own keys, and the
/// forbidden ones (reported with a message of their own).
pub const LAYOUT_KEYS_AND_FORBIDDEN: &[&str] = &[
    "name",
    "description",
    "front_end_pools",
    "edge_pools",
    "dns",
    "federation",
    "firewall",
    "clients",
    "operations",
    "simulation",
    "failures",
    "outages",
    "sites",
    "objective",
    "materiality",
    "explore",
    "costs",
    "layouts",
];

/// The most replications a run may ask for (docs/scenario.md).
pub const MAX_REPLICATIONS: u64 = 100_000_000;
/// The longest horizon, in years (docs/scenario.md).
pub const MAX_HORIZON_YEARS: u64 = 1_000;
/// The most users one Front End pool may have: far above Lync's 80,000 per pool, and
/// small enough that totals over every pool cannot overflow.
pub const MAX_USERS_PER_POOL: i64 = 1_000_000_000;
/// The largest weight a service may have in `[objective]`: far above any sensible ratio
/// between services, and small enough that a score stays far inside an `f64`.
pub const MAX_OBJECTIVE_WEIGHT: f64 = 1e6;
/// The largest `[materiality]` threshold in minutes of downtime per year: a whole year.
pub const MAX_MATERIAL_MIN_PER_YEAR: f64 = 525_600.0;
/// The most servers Topology Builder accepts in one Edge pool (F4).
pub const MAX_SERVERS_PER_POOL: i64 = 20;

/// A value with the place it was written, for messages about references.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    /// The value (an empty string for an id that could not be read).
    pub value: T,
    /// Where it was written.
    pub span: Option<Span>,
    /// Its key path.
    pub path: String,
}

/// A scenario as written, before references are resolved.
#[derive(Clone, Debug)]
pub struct RawScenario {
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `[simulation]`.
    pub simulation: Simulation,
    /// `[[sites]]`.
    pub sites: Vec<RawSite>,
    /// `[[front_end_pools]]`.
    pub front_end_pools: Vec<RawFrontEndPool>,
    /// `[[edge_pools]]`.
    pub edge_pools: Vec<RawEdgePool>,
    /// `[dns]`.
    pub dns: RawDns,
    /// `[federation]`.
    pub federation: RawFederation,
    /// `[firewall]`.
    pub firewall: RawFirewall,
    /// `[failures]`.
    pub failures: RawFailures,
    /// `[[outages]]`.
    pub outages: Vec<RawOutage>,
    /// `[clients]`.
    pub clients: Clients,
    /// `[operations]`.
    pub operations: Operations,
    /// `[objective]`, if present.
    pub objective: Option<Objective>,
    /// `[materiality]`, or the defaults.
    pub materiality: Materiality,
}

/// A failure/repair pair, either key possibly absent (overrides give only what changes).
#[derive(Clone, Debug, Default)]
pub struct RawFailureSpec {
    /// `time_to_failure`, if given.
    pub time_to_failure: Option<Distribution>,
    /// `time_to_repair`, if given.
    pub time_to_repair: Option<Distribution>,
    /// Its key path.
    pub path: String,
    /// Where it was written.
    pub span: Option<Span>,
}

/// `[failures]`: the default processes of each component kind.
#[derive(Clone, Debug, Default)]
pub struct RawFailures {
    /// Each Edge server.
    pub server: Option<RawFailureSpec>,
    /// Each Edge pool as a whole.
    pub edge_pool: Option<RawFailureSpec>,
    /// Each site.
    pub site: Option<RawFailureSpec>,
    /// Each Front End pool.
    pub front_end_pool: Option<RawFailureSpec>,
}

/// `[[sites]]` entry.
#[derive(Clone, Debug)]
pub struct RawSite {
    /// `id`.
    pub id: Spanned<String>,
    /// `failures.site` override.
    pub site_failure: Option<RawFailureSpec>,
}

/// `[[front_end_pools]]` entry.
#[derive(Clone, Debug)]
pub struct RawFrontEndPool {
    /// `id`.
    pub id: Spanned<String>,
    /// `site`.
    pub site: Spanned<String>,
    /// `users`.
    pub users: u64,
    /// `remote_users`.
    pub remote_users: Spanned<u64>,
    /// `edge_pool`.
    pub edge_pool: Spanned<String>,
    /// `backup`: the paired Front End pool, if any (section "Front End pool disaster
    /// recovery" of docs/model.md).
    pub backup: Option<Spanned<String>>,
    /// `failures.front_end_pool` override.
    pub pool_failure: Option<RawFailureSpec>,
}

/// `[[edge_pools]]` entry.
#[derive(Clone, Debug)]
pub struct RawEdgePool {
    /// `id`.
    pub id: Spanned<String>,
    /// `site`.
    pub site: Spanned<String>,
    /// `servers`.
    pub servers: u32,
    /// Where `servers` was written.
    pub servers_span: Option<Span>,
    /// `capacity_per_server`.
    pub capacity_per_server: u64,
    /// `internal_fqdn`.
    pub internal_fqdn: Spanned<String>,
    /// `external_fqdn`.
    pub external_fqdn: Spanned<String>,
    /// `next_hop`: the Front End pool it forwards inward to, if modelled.
    pub next_hop: Option<Spanned<String>>,
    /// `failures.server` override.
    pub server_failure: Option<RawFailureSpec>,
    /// `failures.edge_pool` override.
    pub pool_failure: Option<RawFailureSpec>,
}

/// One SRV record as written.
#[derive(Clone, Debug)]
pub struct RawSrvRecord {
    /// `target`.
    pub target: Spanned<String>,
    /// `priority`.
    pub priority: u16,
    /// `weight`.
    pub weight: u16,
}

/// `[dns]`.
#[derive(Clone, Debug)]
pub struct RawDns {
    /// `ttl`.
    pub ttl: SimDuration,
    /// `[[dns.remote_access]]`.
    pub remote_access: Vec<RawSrvRecord>,
    /// `[[dns.federation]]`.
    pub federation: Vec<RawSrvRecord>,
    /// `[[dns.regions]]`.
    pub regions: Vec<RawRegion>,
}

/// How a `[[dns.regions]]` entry answers, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawAnswerKind {
    /// `answer = "srv"`.
    Srv,
    /// `answer = "geo_dns"`.
    GeoDns,
}

/// One `[[dns.regions]]` entry as written (rule G1).
#[derive(Clone, Debug)]
pub struct RawRegion {
    /// `id`.
    pub id: Spanned<String>,
    /// `sites`.
    pub sites: Vec<Spanned<String>>,
    /// `front_end_pools`.
    pub front_end_pools: Vec<Spanned<String>>,
    /// `remote_access`.
    pub remote_access: Vec<RawSrvRecord>,
    /// `answer`.
    pub answer: Spanned<RawAnswerKind>,
    /// `geo_dns_detect`, if written.
    pub geo_dns_detect: Option<Spanned<SimDuration>>,
    /// Where the entry was written.
    pub span: Option<Span>,
}

/// `[federation]`.
#[derive(Clone, Debug)]
pub struct RawFederation {
    /// `outbound_route`.
    pub outbound_route: Option<Spanned<String>>,
    /// `xmpp_gateway`.
    pub xmpp_gateway: Option<Spanned<String>>,
    /// `inbound`.
    pub inbound: Spanned<InboundFederation>,
    /// `geo_dns_detect`, if written.
    pub geo_dns_detect: Option<Spanned<SimDuration>>,
    /// `failback`.
    pub failback: Failback,
}

/// A Front End pool / Edge pool pair in `[firewall]`.
#[derive(Clone, Debug)]
pub struct RawFirewallPair {
    /// `front_end`.
    pub front_end: Spanned<String>,
    /// `edge`.
    pub edge: Spanned<String>,
}

/// `[firewall]`.
#[derive(Clone, Debug)]
pub struct RawFirewall {
    /// `default = "allow"`.
    pub default_allow: bool,
    /// `deny`.
    pub deny: Vec<RawFirewallPair>,
    /// `allow`.
    pub allow: Vec<RawFirewallPair>,
}

/// `[[outages]]` entry.
#[derive(Clone, Debug)]
pub struct RawOutage {
    /// `target`.
    pub target: Spanned<String>,
    /// `start`.
    pub start: Spanned<SimDuration>,
    /// `duration`.
    pub duration: SimDuration,
}

/// The `[clients]` defaults of docs/scenario.md (with F4's 21 s connect timeout).
pub fn default_clients() -> Clients {
    Clients {
        detect: Distribution::Uniform {
            min: SimDuration::ZERO,
            max: SimDuration::from_micros(5 * MICROS_PER_MINUTE),
        },
        connect_timeout: Distribution::Fixed(SimDuration::from_micros(21 * MICROS_PER_SECOND)),
        retry: Distribution::Uniform {
            min: SimDuration::from_micros(30 * MICROS_PER_SECOND),
            max: SimDuration::from_micros(2 * MICROS_PER_MINUTE),
        },
        session: SimDuration::from_hours(12),
        mobile_share: 0.0,
    }
}

/// The documented recovery time objective of a Lync Server 2013 Front End pool failover or
/// failback, counted from the administrator's decision: 30 minutes (Microsoft, "Recovery
/// time for pool failover and pool failback", TechNet JJ205079).
pub const DOCUMENTED_POOL_FAILOVER: SimDuration = SimDuration::from_micros(30 * MICROS_PER_MINUTE);

/// The `[operations]` default of docs/scenario.md: the response log-normal, median 1 h,
/// p95 3 h; a pool failover or failback the documented 30 minutes.
pub fn default_operations() -> Operations {
    Operations {
        response: Distribution::lognormal_from_median_p95(
            SimDuration::from_hours(1),
            SimDuration::from_hours(3),
        ),
        pool_failover: Distribution::Fixed(DOCUMENTED_POOL_FAILOVER),
    }
}

fn spanned<T>(value: T, node: Option<&Node>, path: String) -> Spanned<T> {
    Spanned {
        value,
        span: node.and_then(|n| n.span.clone()),
        path,
    }
}

/// Reads the whole scenario tree (the base, or a layout merged into it).
pub fn read_scenario(root: &Node, findings: &mut Findings) -> RawScenario {
    findings.examples = super::decode::Examples::from_tree(root);
    let empty = Node {
        value: super::tree::NodeValue::Table(Vec::new()),
        span: root.span.clone(),
    };
    let top = TableReader::open(root, "", TOP_LEVEL_KEYS, findings)
        .or_else(|| TableReader::open(&empty, "", TOP_LEVEL_KEYS, findings))
        .expect("an empty table always opens");
    let name = top
        .required("name", findings, "\"Edge design, three sites\"")
        .and_then(|n| read_name(n, "name", findings))
        .unwrap_or_default();
    if top.optional("name").is_some() && name.trim().is_empty() {
        findings.error(
            "name",
            top.optional("name").and_then(|n| n.span.clone()),
            "the scenario name is empty",
            "give the scenario a name; it appears in every report",
        );
    }
    let description = top
        .optional("description")
        .and_then(|n| read_description(n, "description", findings));
    let simulation = read_simulation(&top, findings);
    RawScenario {
        name,
        description,
        simulation,
        sites: read_table_array(&top, "sites", findings, read_site),
        front_end_pools: read_table_array(&top, "front_end_pools", findings, read_front_end_pool),
        edge_pools: read_table_array(&top, "edge_pools", findings, read_edge_pool),
        dns: read_dns(&top, findings),
        federation: read_federation(&top, findings),
        firewall: read_firewall(&top, findings),
        failures: read_failures(&top, findings),
        outages: read_table_array(&top, "outages", findings, read_outage),
        clients: read_clients(&top, findings),
        operations: read_operations(&top, findings),
        objective: read_objective(&top, findings),
        materiality: read_materiality(&top, findings),
    }
}

/// `[materiality]`: how large a change must be to matter (docs/scenario.md): minutes of
/// downtime per year for every service, per service, the score's weighted user-minutes
/// per year, and outages per year.
fn read_materiality(top: &TableReader<'_>, findings: &mut Findings) -> Materiality {
    let mut materiality = Materiality::default();
    let Some(node) = top.optional("materiality") else {
        return materiality;
    };
    let Some(table) = TableReader::open(
        node,
        "materiality",
        &[
            "downtime_min_per_year",
            "services",
            "score_user_min_per_year",
            "outages_per_year",
        ],
        findings,
    ) else {
        return materiality;
    };
    let minutes = |value: &Node, path: &str, findings: &mut Findings| {
        read_number(
            value,
            path,
            findings,
            "minutes of downtime per year, from 0 to 525600 (a whole year), e.g. 5",
            |m| (0.0..=MAX_MATERIAL_MIN_PER_YEAR).contains(&m),
        )
    };
    if let Some(value) = table.optional("downtime_min_per_year")
        && let Some(m) = minutes(value, &table.path_of("downtime_min_per_year"), findings)
    {
        materiality.set_downtime(None, m);
    }
    if let Some(services_node) = table.optional("services") {
        let names: Vec<&str> = Service::ALL.iter().map(|s| s.name()).collect();
        if let Some(services) =
            TableReader::open(services_node, &table.path_of("services"), &names, findings)
        {
            for service in Service::ALL {
                if let Some(value) = services.optional(service.name())
                    && let Some(m) = minutes(value, &services.path_of(service.name()), findings)
                {
                    materiality.set_downtime(Some(service), m);
                }
            }
        }
    }
    if let Some(value) = table.optional("score_user_min_per_year") {
        materiality.score_user_min_per_year = read_number(
            value,
            &table.path_of("score_user_min_per_year"),
            findings,
            "weighted user-minutes per year, 0 or more, e.g. 450000",
            |m| (0.0..=1e18).contains(&m),
        );
    }
    if let Some(value) = table.optional("outages_per_year")
        && let Some(rate) = read_number(
            value,
            &table.path_of("outages_per_year"),
            findings,
            "outages per year, 0 or more, e.g. 1",
            |r| (0.0..=1e9).contains(&r),
        )
    {
        materiality.outages_per_year = rate;
    }
    materiality
}

/// `[objective]`: an optional `weights` table, one non-negative weight per service name.
fn read_objective(top: &TableReader<'_>, findings: &mut Findings) -> Option<Objective> {
    let node = top.optional("objective")?;
    let table = TableReader::open(node, "objective", &["weights", "targets"], findings)?;
    let mut objective = Objective {
        weights: Service::ALL.iter().map(|&s| (s, 1.0)).collect(),
        targets: read_targets(&table, findings),
    };
    let Some(weights_node) = table.optional("weights") else {
        return Some(objective);
    };
    let names: Vec<&str> = Service::ALL.iter().map(|s| s.name()).collect();
    let weights = TableReader::open(weights_node, &table.path_of("weights"), &names, findings)?;
    for (service, weight) in &mut objective.weights {
        let path = weights.path_of(service.name());
        if let Some(value) = weights.optional(service.name())
            && let Some(number) = read_number(
                value,
                &path,
                findings,
                "a finite number at least 0 (the weight of one lost user-minute)",
                |w| w.is_finite() && (0.0..=MAX_OBJECTIVE_WEIGHT).contains(&w),
            )
        {
            *weight = number;
        }
    }
    if objective.weights.iter().all(|(_, w)| *w == 0.0) {
        findings.error(
            &table.path_of("weights"),
            weights.span(),
            "every service weighs 0, so every layout would score 0",
            "give at least one service a positive weight, e.g. remote_access = 1",
        );
    }
    Some(objective)
}

/// `[objective] targets`: per service, an availability written `"99.95%"` or `0.9995`,
/// above 0 and below 1.
fn read_targets(table: &TableReader<'_>, findings: &mut Findings) -> Vec<(Service, f64)> {
    let Some(node) = table.optional("targets") else {
        return Vec::new();
    };
    let names: Vec<&str> = Service::ALL.iter().map(|s| s.name()).collect();
    let Some(targets) = TableReader::open(node, &table.path_of("targets"), &names, findings) else {
        return Vec::new();
    };
    let mut read = Vec::new();
    for service in Service::ALL {
        let path = targets.path_of(service.name());
        let Some(value) = targets.optional(service.name()) else {
            continue;
        };
        let availability = match &value.value {
            NodeValue::String(text) => text
                .trim()
                .strip_suffix('%')
                .and_then(|number| number.trim().parse::<f64>().ok())
                .map(|percent| percent / 100.0),
            NodeValue::Float(f) => Some(*f),
            _ => None,
        };
        match availability {
            Some(a) if a.is_finite() && a > 0.0 && a < 1.0 => read.push((service, a)),
            _ => findings.error(
                &path,
                value.span.clone(),
                "not an availability edgesim can aim for",
                "write a percentage below 100, e.g. \"99.95%\", or a fraction below 1, e.g. 0.9995",
            ),
        }
    }
    read
}

fn read_simulation(top: &TableReader<'_>, findings: &mut Findings) -> Simulation {
    let mut simulation = Simulation {
        horizon: SimDuration::from_hours(1),
        replications: 1000,
        seed: 0,
    };
    let Some(node) = top.required("simulation", findings, "{ horizon = \"1y\" }") else {
        return simulation;
    };
    let Some(table) = TableReader::open(
        node,
        "simulation",
        &["horizon", "replications", "seed"],
        findings,
    ) else {
        return simulation;
    };
    if let Some(horizon_node) = table.required("horizon", findings, "\"1y\"") {
        let path = table.path_of("horizon");
        if let Some(horizon) = read_positive_duration(horizon_node, &path, findings) {
            if horizon.as_micros() > MAX_HORIZON_YEARS * crate::time::MICROS_PER_YEAR {
                findings.error(
                    &path,
                    horizon_node.span.clone(),
                    format!("horizon {horizon} is over {MAX_HORIZON_YEARS} years"),
                    "use more replications instead of a longer horizon",
                );
            } else {
                simulation.horizon = horizon;
            }
        }
    }
    if let Some(n) = table.optional("replications") {
        let max = MAX_REPLICATIONS as i64;
        if let Some(replications) =
            read_integer(n, &table.path_of("replications"), 1, max, findings)
        {
            simulation.replications = replications as u64;
        }
    }
    let seed = |n: &Node, p: &str, f: &mut Findings| read_integer(n, p, 0, i64::MAX, f);
    if let Some(seed) = table.read("seed", findings, seed) {
        simulation.seed = seed as u64;
    }
    simulation
}

/// Reads an optional array of tables at `key`, each with `read_item`.
fn read_table_array<T>(
    top: &TableReader<'_>,
    key: &str,
    findings: &mut Findings,
    read_item: fn(&Node, &str, &mut Findings) -> Option<T>,
) -> Vec<T> {
    let path = top.path_of(key);
    let Some(node) = top.optional(key) else {
        return Vec::new();
    };
    let Some(items) = read_array(node, &path, findings) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| read_item(item, &index_path(&path, i), findings))
        .collect()
}

fn read_required_id(
    table: &TableReader<'_>,
    key: &str,
    findings: &mut Findings,
    example: &str,
) -> Spanned<String> {
    let path = table.path_of(key);
    let node = table.required(key, findings, example);
    let value = node
        .and_then(|n| read_id(n, &path, findings))
        .unwrap_or_default();
    spanned(value, node, path).with_fallback_span(table.span())
}

impl<T> Spanned<T> {
    fn with_fallback_span(mut self, span: Option<Span>) -> Self {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }
}

fn read_optional_id(
    table: &TableReader<'_>,
    key: &str,
    findings: &mut Findings,
) -> Option<Spanned<String>> {
    let path = table.path_of(key);
    let node = table.optional(key)?;
    let value = read_id(node, &path, findings).unwrap_or_default();
    Some(spanned(value, Some(node), path))
}

fn read_site(node: &Node, path: &str, findings: &mut Findings) -> Option<RawSite> {
    let table = TableReader::open(node, path, &["id", "failures"], findings)?;
    let id = read_required_id(&table, "id", findings, "\"west\"");
    let overrides = read_failure_overrides(&table, &["site"], findings);
    Some(RawSite {
        id,
        site_failure: overrides.site,
    })
}

fn read_front_end_pool(
    node: &Node,
    path: &str,
    findings: &mut Findings,
) -> Option<RawFrontEndPool> {
    let table = TableReader::open(
        node,
        path,
        &[
            "id",
            "site",
            "users",
            "remote_users",
            "edge_pool",
            "backup",
            "failures",
        ],
        findings,
    )?;
    let id = read_required_id(&table, "id", findings, "\"fe-west\"");
    let site = read_required_id(&table, "site", findings, "\"{site}\"");
    let users = table
        .required("users", findings, "40000")
        .and_then(|n| read_integer(n, &table.path_of("users"), 0, MAX_USERS_PER_POOL, findings))
        .unwrap_or(0) as u64;
    let remote_node = table.required("remote_users", findings, "12000");
    let remote_users = remote_node
        .and_then(|n| {
            read_integer(
                n,
                &table.path_of("remote_users"),
                0,
                MAX_USERS_PER_POOL,
                findings,
            )
        })
        .unwrap_or(0) as u64;
    let edge_pool = read_required_id(&table, "edge_pool", findings, "\"{edge_pool}\"");
    let backup = read_optional_id(&table, "backup", findings);
    let overrides = read_failure_overrides(&table, &["front_end_pool"], findings);
    Some(RawFrontEndPool {
        id,
        site,
        users,
        remote_users: spanned(remote_users, remote_node, table.path_of("remote_users")),
        edge_pool,
        backup,
        pool_failure: overrides.front_end_pool,
    })
}

fn read_edge_pool(node: &Node, path: &str, findings: &mut Findings) -> Option<RawEdgePool> {
    let table = TableReader::open(
        node,
        path,
        &[
            "id",
            "site",
            "servers",
            "capacity_per_server",
            "internal_fqdn",
            "external_fqdn",
            "next_hop",
            "failures",
        ],
        findings,
    )?;
    let id = read_required_id(&table, "id", findings, "\"edge-west\"");
    let site = read_required_id(&table, "site", findings, "\"{site}\"");
    let servers_span = table.optional("servers").and_then(|n| n.span.clone());
    let servers = table
        .required("servers", findings, "2")
        .and_then(|n| {
            read_integer(
                n,
                &table.path_of("servers"),
                1,
                MAX_SERVERS_PER_POOL,
                findings,
            )
        })
        .unwrap_or(1) as u32;
    let capacity_per_server = table
        .optional("capacity_per_server")
        .map(|n| {
            read_integer(
                n,
                &table.path_of("capacity_per_server"),
                1,
                1_000_000_000,
                findings,
            )
            .unwrap_or(1) as u64
        })
        .unwrap_or(crate::topology::DOCUMENTED_USERS_PER_SERVER);
    let internal_fqdn = read_fqdn(
        &table,
        "internal_fqdn",
        "\"edge-int.west.example.com\"",
        findings,
    );
    let external_fqdn = read_fqdn(
        &table,
        "external_fqdn",
        "\"sip.west.example.com\"",
        findings,
    );
    let next_hop = read_optional_id(&table, "next_hop", findings);
    let overrides = read_failure_overrides(&table, &["server", "edge_pool"], findings);
    Some(RawEdgePool {
        id,
        site,
        servers,
        servers_span,
        capacity_per_server,
        internal_fqdn,
        external_fqdn,
        next_hop,
        server_failure: overrides.server,
        pool_failure: overrides.edge_pool,
    })
}

/// Reads a host name: letters, digits and hyphens in dot-separated labels of 1 to 63
/// characters (RFC 1123), at most 253 in all. Compared case-insensitively later.
fn read_fqdn(
    table: &TableReader<'_>,
    key: &str,
    example: &str,
    findings: &mut Findings,
) -> Spanned<String> {
    let path = table.path_of(key);
    let node = table.required(key, findings, example);
    let mut value = node
        .and_then(|n| read_string(n, &path, findings))
        .unwrap_or_default();
    if let Some(node) = node {
        let trimmed = value.trim_end_matches('.');
        let valid = !trimmed.is_empty()
            && trimmed.len() <= 253
            && trimmed.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !valid && matches!(node.value, super::tree::NodeValue::String(_)) {
            findings.error(
                &path,
                node.span.clone(),
                format!("\"{value}\" is not a valid host name"),
                format!("write a fully qualified domain name such as {example}"),
            );
            value.clear();
        }
    }
    spanned(value, node, path)
}

fn read_failure_spec(
    node: &Node,
    path: &str,
    require_both: bool,
    findings: &mut Findings,
) -> Option<RawFailureSpec> {
    let table = TableReader::open(node, path, &["time_to_failure", "time_to_repair"], findings)?;
    let mut spec = RawFailureSpec {
        path: path.to_string(),
        span: node.span.clone(),
        ..RawFailureSpec::default()
    };
    for (key, usage, example) in [
        ("time_to_failure", DistributionUse::Failure, "\"1y\""),
        ("time_to_repair", DistributionUse::Repair, "\"2h\""),
    ] {
        let found = if require_both {
            table.required(key, findings, example)
        } else {
            table.optional(key)
        };
        // A key that is present but invalid keeps a placeholder: the error is already out.
        let value = found.map(|n| {
            read_distribution(n, &table.path_of(key), usage, findings)
                .unwrap_or(Distribution::Never)
        });
        match key {
            "time_to_failure" => spec.time_to_failure = value,
            _ => spec.time_to_repair = value,
        }
    }
    if let (Some(failure), Some(repair)) = (&spec.time_to_failure, &spec.time_to_repair)
        && let Some(ttf_node) = table.optional("time_to_failure")
    {
        warn_if_down_most_of_the_time(
            failure,
            repair,
            ttf_node,
            &table.path_of("time_to_failure"),
            findings,
        );
    }
    Some(spec)
}

/// Rule U1 (docs/model.md): a component whose mean time to failure is shorter than its
/// mean time to repair would be down most of the time, which is almost always a unit
/// mistake (`m` is minutes; there is no month).
fn warn_if_down_most_of_the_time(
    failure: &Distribution,
    repair: &Distribution,
    node: &Node,
    path: &str,
    findings: &mut Findings,
) {
    let (Some(failure_hours), Some(repair_hours)) = (failure.mean_hours(), repair.mean_hours())
    else {
        return;
    };
    if failure_hours <= 0.0 || repair_hours <= failure_hours {
        return;
    }
    let down = repair_hours / (failure_hours + repair_hours);
    let help = if uses_minutes(node) {
        "`m` means minutes in edgesim, not months; write months in days, e.g. \"240d\" for eight months (a year is \"1y\")"
    } else {
        "check the units: a failure should come far less often than its repair takes (e.g. time_to_failure = \"1y\", time_to_repair = \"2h\")"
    };
    findings.push(
        Diagnostic::warning(
            "U1",
            format!(
                "the mean time to failure ({}) is shorter than the mean time to repair ({}): the component would be down {} of the time",
                hours_text(failure_hours),
                hours_text(repair_hours),
                if down > 0.99 {
                    format!("{:.1}%", 100.0 * down)
                } else {
                    format!("{:.0}%", 100.0 * down)
                }
            ),
        )
        .with_key_path(path)
        .with_span(node.span.clone())
        .with_help(help),
    );
}

/// Whether a duration in `node` (a string, or a string in a distribution table) is
/// written in minutes, e.g. `"8m"`.
fn uses_minutes(node: &Node) -> bool {
    match &node.value {
        NodeValue::String(text) => {
            let text = text.trim();
            text.ends_with('m')
                && !text.ends_with("ms")
                && text[..text.len() - 1].trim().parse::<f64>().is_ok()
        }
        NodeValue::Table(entries) => entries.iter().any(|entry| uses_minutes(&entry.node)),
        _ => false,
    }
}

/// A mean in hours, in the unit that reads best.
fn hours_text(hours: f64) -> String {
    if hours < 1.0 {
        format!("{:.1} min", hours * 60.0)
    } else if hours < 48.0 {
        format!("{hours:.1} h")
    } else {
        format!("{:.1} d", hours / 24.0)
    }
}

fn read_failure_kinds(
    node: &Node,
    path: &str,
    kinds: &[&str],
    require_both: bool,
    findings: &mut Findings,
) -> RawFailures {
    let mut failures = RawFailures::default();
    let Some(table) = TableReader::open(node, path, kinds, findings) else {
        return failures;
    };
    for kind in kinds {
        let Some(node) = table.optional(kind) else {
            continue;
        };
        let spec = read_failure_spec(node, &table.path_of(kind), require_both, findings);
        match *kind {
            "server" => failures.server = spec,
            "edge_pool" => failures.edge_pool = spec,
            "site" => failures.site = spec,
            _ => failures.front_end_pool = spec,
        }
    }
    failures
}

fn read_failures(top: &TableReader<'_>, findings: &mut Findings) -> RawFailures {
    match top.optional("failures") {
        Some(node) => read_failure_kinds(
            node,
            "failures",
            &["server", "edge_pool", "site", "front_end_pool"],
            true,
            findings,
        ),
        None => RawFailures::default(),
    }
}

/// Per-component `failures = { ... }` overrides: only the kinds that apply to it.
fn read_failure_overrides(
    table: &TableReader<'_>,
    kinds: &[&str],
    findings: &mut Findings,
) -> RawFailures {
    match table.optional("failures") {
        Some(node) => read_failure_kinds(node, &table.path_of("failures"), kinds, false, findings),
        None => RawFailures::default(),
    }
}

fn read_srv_record(node: &Node, path: &str, findings: &mut Findings) -> Option<RawSrvRecord> {
    let table = TableReader::open(node, path, &["target", "priority", "weight"], findings)?;
    let target = read_required_id(&table, "target", findings, "\"{edge_pool}\"");
    let mut number = |key: &str, example: &str| {
        table
            .required(key, findings, example)
            .and_then(|n| read_integer(n, &table.path_of(key), 0, 65_535, findings))
            .unwrap_or(0) as u16
    };
    let priority = number("priority", "10");
    let weight = number("weight", "100");
    Some(RawSrvRecord {
        target,
        priority,
        weight,
    })
}

fn read_dns(top: &TableReader<'_>, findings: &mut Findings) -> RawDns {
    let mut dns = RawDns {
        ttl: SimDuration::from_hours(1),
        remote_access: Vec::new(),
        federation: Vec::new(),
        regions: Vec::new(),
    };
    let Some(node) = top.optional("dns") else {
        return dns;
    };
    let Some(table) = TableReader::open(
        node,
        "dns",
        &["ttl", "remote_access", "federation", "regions"],
        findings,
    ) else {
        return dns;
    };
    if let Some(ttl) = table.optional("ttl") {
        dns.ttl = read_duration(ttl, &table.path_of("ttl"), findings).unwrap_or(dns.ttl);
    }
    dns.remote_access = read_table_array(&table, "remote_access", findings, read_srv_record);
    dns.federation = read_table_array(&table, "federation", findings, read_srv_record);
    dns.regions = read_table_array(&table, "regions", findings, read_region);
    dns
}

/// One `[[dns.regions]]` entry (rule G1).
fn read_region(node: &Node, path: &str, findings: &mut Findings) -> Option<RawRegion> {
    let table = TableReader::open(
        node,
        path,
        &[
            "id",
            "sites",
            "front_end_pools",
            "remote_access",
            "answer",
            "geo_dns_detect",
        ],
        findings,
    )?;
    let id = read_required_id(&table, "id", findings, "\"europe\"");
    let sites = read_id_list(&table, "sites", findings);
    let front_end_pools = read_id_list(&table, "front_end_pools", findings);
    let remote_access = read_table_array(&table, "remote_access", findings, read_srv_record);
    let answer_path = table.path_of("answer");
    let answer = match table.optional("answer") {
        Some(n) => {
            let choices = [
                ("srv", RawAnswerKind::Srv),
                ("geo_dns", RawAnswerKind::GeoDns),
            ];
            let value =
                read_choice(n, &answer_path, &choices, findings).unwrap_or(RawAnswerKind::Srv);
            spanned(value, Some(n), answer_path)
        }
        None => spanned(RawAnswerKind::Srv, None, answer_path),
    };
    let geo_dns_detect = table.optional("geo_dns_detect").map(|n| {
        let path = table.path_of("geo_dns_detect");
        let value = read_duration(n, &path, findings).unwrap_or_default();
        spanned(value, Some(n), path)
    });
    Some(RawRegion {
        id,
        sites,
        front_end_pools,
        remote_access,
        answer,
        geo_dns_detect,
        span: table.span(),
    })
}

/// An optional list of ids at `key` (`[]` when absent).
fn read_id_list(
    table: &TableReader<'_>,
    key: &str,
    findings: &mut Findings,
) -> Vec<Spanned<String>> {
    read_table_array(table, key, findings, |item, path, findings| {
        let value = read_id(item, path, findings)?;
        Some(spanned(value, Some(item), path.to_string()))
    })
}

fn read_federation(top: &TableReader<'_>, findings: &mut Findings) -> RawFederation {
    let mut federation = RawFederation {
        outbound_route: None,
        xmpp_gateway: None,
        inbound: spanned(
            InboundFederation::SrvPriority,
            None,
            "federation.inbound".into(),
        ),
        geo_dns_detect: None,
        failback: Failback::Return,
    };
    let Some(node) = top.optional("federation") else {
        return federation;
    };
    let Some(table) = TableReader::open(
        node,
        "federation",
        &[
            "outbound_route",
            "xmpp_gateway",
            "inbound",
            "geo_dns_detect",
            "failback",
        ],
        findings,
    ) else {
        return federation;
    };
    federation.outbound_route = read_optional_id(&table, "outbound_route", findings);
    federation.xmpp_gateway = read_optional_id(&table, "xmpp_gateway", findings);
    if let Some(n) = table.optional("inbound") {
        let choices = [
            ("srv_priority", InboundFederation::SrvPriority),
            ("single_target", InboundFederation::SingleTarget),
            ("geo_dns", InboundFederation::GeoDns),
        ];
        let path = table.path_of("inbound");
        let value =
            read_choice(n, &path, &choices, findings).unwrap_or(InboundFederation::SrvPriority);
        federation.inbound = spanned(value, Some(n), path);
    }
    if let Some(n) = table.optional("geo_dns_detect") {
        let path = table.path_of("geo_dns_detect");
        let value = read_duration(n, &path, findings).unwrap_or_default();
        federation.geo_dns_detect = Some(spanned(value, Some(n), path));
    }
    if let Some(n) = table.optional("failback") {
        let choices = [("return", Failback::Return), ("stay", Failback::Stay)];
        federation.failback = read_choice(n, &table.path_of("failback"), &choices, findings)
            .unwrap_or(Failback::Return);
    }
    federation
}

fn read_firewall_pair(node: &Node, path: &str, findings: &mut Findings) -> Option<RawFirewallPair> {
    let table = TableReader::open(node, path, &["front_end", "edge"], findings)?;
    Some(RawFirewallPair {
        front_end: read_required_id(&table, "front_end", findings, "\"{front_end}\""),
        edge: read_required_id(&table, "edge", findings, "\"{edge_pool}\""),
    })
}

fn read_firewall(top: &TableReader<'_>, findings: &mut Findings) -> RawFirewall {
    let mut firewall = RawFirewall {
        default_allow: true,
        deny: Vec::new(),
        allow: Vec::new(),
    };
    let Some(node) = top.optional("firewall") else {
        return firewall;
    };
    let Some(table) = TableReader::open(node, "firewall", &["default", "deny", "allow"], findings)
    else {
        return firewall;
    };
    if let Some(n) = table.optional("default") {
        firewall.default_allow = read_choice(
            n,
            &table.path_of("default"),
            &[("allow", true), ("deny", false)],
            findings,
        )
        .unwrap_or(true);
    }
    firewall.deny = read_table_array(&table, "deny", findings, read_firewall_pair);
    firewall.allow = read_table_array(&table, "allow", findings, read_firewall_pair);
    firewall
}

fn read_outage(node: &Node, path: &str, findings: &mut Findings) -> Option<RawOutage> {
    let table = TableReader::open(node, path, &["target", "start", "duration"], findings)?;
    let target_path = table.path_of("target");
    let target_node = table.required("target", findings, "\"{edge_pool}\"");
    let target = target_node
        .and_then(|n| read_string(n, &target_path, findings))
        .unwrap_or_default();
    if target.is_empty()
        && target_node.is_some_and(|n| matches!(n.value, super::tree::NodeValue::String(_)))
    {
        findings.error(
            &target_path,
            target_node.and_then(|n| n.span.clone()),
            "an outage needs a target",
            "name an Edge pool, a server (\"{edge_pool}#2\", 1-based), a site or a Front End pool",
        );
    }
    let start_path = table.path_of("start");
    let start_node = table.required("start", findings, "\"30d\"");
    let start = start_node
        .and_then(|n| read_duration(n, &start_path, findings))
        .unwrap_or_default();
    let duration = table
        .required("duration", findings, "\"6h\"")
        .and_then(|n| read_positive_duration(n, &table.path_of("duration"), findings))
        .unwrap_or(SimDuration::from_micros(1));
    Some(RawOutage {
        target: spanned(target, target_node, target_path),
        start: spanned(start, start_node, start_path),
        duration,
    })
}

/// The shortest mean `retry` wait other than a fixed zero (docs/scenario.md, limits).
pub const MINIMUM_RETRY_MEAN_SECONDS: f64 = 1.0;

/// Reads `clients.retry`: a fixed `"0s"` (wait for the next Edge pool change) or a wait
/// whose mean is at least [`MINIMUM_RETRY_MEAN_SECONDS`], so that users whom nothing can
/// serve do not walk the SRV list thousands of times a second for hours.
fn retry_wait(node: &Node, path: &str, findings: &mut Findings) -> Option<Distribution> {
    let retry = read_distribution(node, path, DistributionUse::Delay, findings)?;
    let mean_seconds = retry.mean_hours().unwrap_or(f64::INFINITY) * 3_600.0;
    if retry.is_always_zero() || mean_seconds >= MINIMUM_RETRY_MEAN_SECONDS {
        return Some(retry);
    }
    findings.error(
        path,
        node.span.clone(),
        format!(
            "a retry wait with a mean of {:.0} ms makes users whom no Edge pool answers walk the \
             SRV list more than once a second for as long as nothing answers (an event storm)",
            mean_seconds * 1_000.0
        ),
        "give a mean of at least \"1s\" (clients wait tens of seconds; the default is 30 s to 2 min), \
         or a fixed \"0s\" to wait for the next change of an Edge pool",
    );
    None
}

fn read_clients(top: &TableReader<'_>, findings: &mut Findings) -> Clients {
    let mut clients = default_clients();
    let Some(node) = top.optional("clients") else {
        return clients;
    };
    let Some(table) = TableReader::open(
        node,
        "clients",
        &[
            "detect",
            "connect_timeout",
            "retry",
            "session",
            "mobile_share",
        ],
        findings,
    ) else {
        return clients;
    };
    let delay =
        |n: &Node, p: &str, f: &mut Findings| read_distribution(n, p, DistributionUse::Delay, f);
    if let Some(detect) = table.read("detect", findings, delay) {
        clients.detect = detect;
    }
    if let Some(timeout) = table.read("connect_timeout", findings, delay) {
        clients.connect_timeout = timeout;
    }
    if let Some(retry) = table.read("retry", findings, retry_wait) {
        clients.retry = retry;
    }
    if let Some(session) = table.read("session", findings, read_positive_duration) {
        clients.session = session;
    }
    let share = |n: &Node, p: &str, f: &mut Findings| {
        read_number(
            n,
            p,
            f,
            "a share from 0 to 1 (e.g. 0.25 for a quarter)",
            |v| (0.0..=1.0).contains(&v),
        )
    };
    if let Some(mobile_share) = table.read("mobile_share", findings, share) {
        clients.mobile_share = mobile_share;
    }
    clients
}

fn read_operations(top: &TableReader<'_>, findings: &mut Findings) -> Operations {
    let mut operations = default_operations();
    let Some(node) = top.optional("operations") else {
        return operations;
    };
    let Some(table) =
        TableReader::open(node, "operations", &["response", "pool_failover"], findings)
    else {
        return operations;
    };
    let delay =
        |n: &Node, p: &str, f: &mut Findings| read_distribution(n, p, DistributionUse::Delay, f);
    if let Some(response) = table.read("response", findings, delay) {
        operations.response = response;
    }
    if let Some(pool_failover) = table.read("pool_failover", findings, delay) {
        operations.pool_failover = pool_failover;
    }
    operations
}
