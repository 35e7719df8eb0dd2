//! Turns a [`RawScenario`] into a [`Topology`]: ids become indices, references are
//! checked, failure overrides are combined with the defaults, and the cross-field rules of
//! docs/scenario.md (unique ids and FQDNs, remote users within users, ...) are enforced.

use std::collections::HashMap;

use super::decode::Findings;
use super::diagnostic::FindingKind;
use super::schema::{RawAnswerKind, RawFailureSpec, RawScenario, RawSrvRecord, Spanned};
use crate::topology::{
    Dns, EdgePool, EdgePoolIndex, FailureProcess, Federation, Firewall, FrontEndPool,
    FrontEndPoolIndex, InboundFederation, Outage, OutageTarget, PoolIndex, Region, RegionAnswer,
    Site, SiteIndex, SourceSpan, SourceSpans, SrvRecord, SrvRecords, Topology, stream_key_of,
};

/// The most sites, Front End pools or Edge pools of each kind in one layout. Far above any
/// real deployment (the largest have tens); beyond it one replication costs minutes,
/// since the cost of an event grows faster than the number of pools.
pub const MAX_COMPONENTS_PER_KIND: usize = 1_000;
/// The most injected outages in a scenario.
pub const MAX_OUTAGES: usize = 100_000;
/// The most Front End pool × Edge pool pairs (the firewall matrix).
pub const MAX_FIREWALL_PAIRS: usize = 10_000_000;

/// What an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Component {
    Site(SiteIndex),
    FrontEndPool(FrontEndPoolIndex),
    EdgePool(EdgePoolIndex),
}

impl Component {
    fn kind_name(self) -> &'static str {
        match self {
            Component::Site(_) => "a site",
            Component::FrontEndPool(_) => "a Front End pool",
            Component::EdgePool(_) => "an Edge pool",
        }
    }
}

struct Namespace<'r> {
    by_id: HashMap<&'r str, (Component, &'r str)>,
}

impl<'r> Namespace<'r> {
    fn build(raw: &'r RawScenario, findings: &mut Findings) -> Self {
        let mut namespace = Namespace {
            by_id: HashMap::new(),
        };
        let sites = raw
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| (&s.id, Component::Site(SiteIndex(i as u32))));
        let front_ends = raw
            .front_end_pools
            .iter()
            .enumerate()
            .map(|(i, p)| (&p.id, Component::FrontEndPool(FrontEndPoolIndex(i as u32))));
        let edges = raw
            .edge_pools
            .iter()
            .enumerate()
            .map(|(i, p)| (&p.id, Component::EdgePool(EdgePoolIndex(i as u32))));
        for (id, component) in sites.chain(front_ends).chain(edges) {
            if id.value.is_empty() {
                continue;
            }
            if let Some((_, first_path)) = namespace.by_id.get(id.value.as_str()) {
                findings.error(
                    &id.path,
                    id.span.clone(),
                    format!("duplicate id \"{}\", already used at {first_path}", id.value),
                    "ids of sites, Front End pools and Edge pools share one namespace; rename one of them",
                );
            } else {
                namespace
                    .by_id
                    .insert(id.value.as_str(), (component, id.path.as_str()));
            }
        }
        namespace
    }

    fn ids_of_kind(&self, wanted: impl Fn(Component) -> bool) -> String {
        let mut ids: Vec<&str> = self
            .by_id
            .iter()
            .filter(|(_, (component, _))| wanted(*component))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        if ids.is_empty() {
            return "none is defined".to_string();
        }
        let shown: Vec<String> = ids.iter().take(12).map(|id| format!("\"{id}\"")).collect();
        let more = if ids.len() > 12 { ", ..." } else { "" };
        format!("known: {}{more}", shown.join(", "))
    }

    /// Resolves `reference` to a component of the kind `pick` accepts; reports a dangling
    /// or wrong-kind reference. An empty reference was already reported by the reader.
    fn resolve<T>(
        &self,
        reference: &Spanned<String>,
        wanted_name: &str,
        pick: fn(Component) -> Option<T>,
        findings: &mut Findings,
    ) -> Option<T> {
        if reference.value.is_empty() {
            return None;
        }
        let wanted = |c: Component| pick(c).is_some();
        match self.by_id.get(reference.value.as_str()) {
            Some((component, _)) => match pick(*component) {
                Some(found) => Some(found),
                None => {
                    findings.error(
                        &reference.path,
                        reference.span.clone(),
                        format!(
                            "\"{}\" is {}, not {wanted_name}",
                            reference.value,
                            component.kind_name()
                        ),
                        format!("name {wanted_name} here ({})", self.ids_of_kind(wanted)),
                    );
                    None
                }
            },
            None => {
                findings.error(
                    &reference.path,
                    reference.span.clone(),
                    format!(
                        "there is no {} with the id \"{}\"",
                        wanted_name
                            .split_once(' ')
                            .map_or(wanted_name, |(_, noun)| noun),
                        reference.value
                    ),
                    format!(
                        "fix the spelling or define it ({})",
                        self.ids_of_kind(wanted)
                    ),
                );
                if let Some(finding) = findings.items.last_mut() {
                    finding.kind = FindingKind::DanglingReference;
                }
                None
            }
        }
    }

    fn site(&self, reference: &Spanned<String>, findings: &mut Findings) -> Option<SiteIndex> {
        self.resolve(
            reference,
            "a site",
            |c| match c {
                Component::Site(i) => Some(i),
                _ => None,
            },
            findings,
        )
    }

    fn edge_pool(
        &self,
        reference: &Spanned<String>,
        findings: &mut Findings,
    ) -> Option<EdgePoolIndex> {
        self.resolve(
            reference,
            "an Edge pool",
            |c| match c {
                Component::EdgePool(i) => Some(i),
                _ => None,
            },
            findings,
        )
    }

    fn front_end_pool(
        &self,
        reference: &Spanned<String>,
        findings: &mut Findings,
    ) -> Option<FrontEndPoolIndex> {
        self.resolve(
            reference,
            "a Front End pool",
            |c| match c {
                Component::FrontEndPool(i) => Some(i),
                _ => None,
            },
            findings,
        )
    }
}

/// Combines a component's override with the scenario default, key by key.
fn failure_process(
    own: Option<&RawFailureSpec>,
    default: Option<&RawFailureSpec>,
    kind: &str,
    findings: &mut Findings,
) -> FailureProcess {
    let time_to_failure = own
        .and_then(|s| s.time_to_failure.clone())
        .or_else(|| default.and_then(|s| s.time_to_failure.clone()));
    let time_to_repair = own
        .and_then(|s| s.time_to_repair.clone())
        .or_else(|| default.and_then(|s| s.time_to_repair.clone()));
    match (time_to_failure, time_to_repair) {
        (Some(time_to_failure), Some(time_to_repair)) => FailureProcess {
            time_to_failure,
            time_to_repair,
        },
        (None, None) => FailureProcess::NEVER,
        (failure, _) => {
            let missing = if failure.is_none() {
                "time_to_failure"
            } else {
                "time_to_repair"
            };
            if let Some(own) = own {
                findings.error(
                    &own.path,
                    own.span.clone(),
                    format!("{missing} is missing and [failures].{kind} has none to inherit"),
                    format!("add {missing} here, or a [failures].{kind} table with both keys"),
                );
            }
            FailureProcess::NEVER
        }
    }
}

fn check_count(count: usize, what: &str, path: &str, findings: &mut Findings) {
    if count > MAX_COMPONENTS_PER_KIND {
        findings.error(
            path,
            None,
            format!("{count} {what} are more than a study can simulate in reasonable time"),
            format!(
                "use at most {MAX_COMPONENTS_PER_KIND}; model identical pools as one larger pool"
            ),
        );
    }
}

/// Resolves one layout of the scenario. Returns `None` when anything was wrong (the
/// errors are in `findings`).
pub fn resolve_topology(
    raw: &RawScenario,
    layout_name: &str,
    findings: &mut Findings,
) -> Option<Topology> {
    let errors_before = findings.items.len();
    check_sizes(raw, findings);
    let namespace = Namespace::build(raw, findings);
    let sites = resolve_sites(raw, findings);
    let edge_pools = resolve_edge_pools(raw, &namespace, findings);
    let mut front_end_pools = resolve_front_end_pools(raw, &namespace, findings);
    pair_front_end_pools(raw, &mut front_end_pools, findings);
    let regions = resolve_regions(raw, &namespace, &front_end_pools, findings);
    let (remote_access, federation_records) = resolve_dns(raw, &regions, &namespace, findings);
    let federation = resolve_federation(raw, !federation_records.is_empty(), &namespace, findings);
    let firewall = resolve_firewall(raw, &namespace, findings);
    let outages = resolve_outages(raw, &namespace, findings);

    if findings.items.len() > errors_before {
        return None;
    }
    let topology = Topology {
        layout_name: layout_name.to_string(),
        assumption: None,
        sites,
        front_end_pools,
        edge_pools,
        dns: Dns {
            ttl: raw.dns.ttl,
            remote_access,
            federation: federation_records,
            regions,
        },
        federation,
        firewall,
        outages,
        clients: raw.clients.clone(),
        operations: raw.operations.clone(),
        source: source_spans(raw, &namespace),
    };
    super::budget::check(&topology, raw.simulation.horizon, findings);
    (findings.items.len() == errors_before).then_some(topology)
}

/// Refuses counts that would exhaust memory or time: sites and pools of each kind, the
/// FE pool × Edge pool matrix, injected outages.
fn check_sizes(raw: &RawScenario, findings: &mut Findings) {
    check_count(raw.sites.len(), "sites", "sites", findings);
    check_count(
        raw.front_end_pools.len(),
        "Front End pools",
        "front_end_pools",
        findings,
    );
    check_count(raw.edge_pools.len(), "Edge pools", "edge_pools", findings);
    if raw
        .front_end_pools
        .len()
        .saturating_mul(raw.edge_pools.len())
        > MAX_FIREWALL_PAIRS
    {
        findings.error(
            "firewall",
            None,
            "the Front End pool × Edge pool matrix is too large",
            format!("keep Front End pools × Edge pools under {MAX_FIREWALL_PAIRS}"),
        );
    }
    if raw.outages.len() > MAX_OUTAGES {
        findings.error(
            "outages",
            None,
            format!(
                "{} injected outages would exhaust memory",
                raw.outages.len()
            ),
            format!("use at most {MAX_OUTAGES}, or stochastic [failures]"),
        );
    }
}

/// Each site with its failure process.
fn resolve_sites(raw: &RawScenario, findings: &mut Findings) -> Vec<Site> {
    let failures = &raw.failures;
    raw.sites
        .iter()
        .map(|site| Site {
            id: site.id.value.clone(),
            stream_key: stream_key_of(&site.id.value),
            failure: failure_process(
                site.site_failure.as_ref(),
                failures.site.as_ref(),
                "site",
                findings,
            ),
        })
        .collect()
}

/// Each Edge pool, with unique FQDNs (R2) and its next hop.
fn resolve_edge_pools(
    raw: &RawScenario,
    namespace: &Namespace<'_>,
    findings: &mut Findings,
) -> Vec<EdgePool> {
    let failures = &raw.failures;
    let mut fqdns: HashMap<String, &str> = HashMap::new();
    let mut edge_pools = Vec::with_capacity(raw.edge_pools.len());
    for pool in &raw.edge_pools {
        let site = namespace.site(&pool.site, findings);
        for fqdn in [&pool.internal_fqdn, &pool.external_fqdn] {
            if fqdn.value.is_empty() {
                continue;
            }
            let key = fqdn.value.trim_end_matches('.').to_ascii_lowercase();
            if let Some(first) = fqdns.get(&key) {
                findings.error(
                    &fqdn.path,
                    fqdn.span.clone(),
                    format!("FQDN \"{}\" is already used at {first}", fqdn.value),
                    "every Edge pool needs its own internal and external FQDN (R2); Edge pools are not paired",
                );
            } else {
                fqdns.insert(key, fqdn.path.as_str());
            }
        }
        edge_pools.push(EdgePool {
            id: pool.id.value.clone(),
            stream_key: stream_key_of(&pool.id.value),
            site: site.unwrap_or(SiteIndex(0)),
            servers: pool.servers,
            capacity_per_server: pool.capacity_per_server,
            internal_fqdn: pool.internal_fqdn.value.clone(),
            external_fqdn: pool.external_fqdn.value.clone(),
            pool_failure: failure_process(
                pool.pool_failure.as_ref(),
                failures.edge_pool.as_ref(),
                "edge_pool",
                findings,
            ),
            server_failure: failure_process(
                pool.server_failure.as_ref(),
                failures.server.as_ref(),
                "server",
                findings,
            ),
            next_hop: pool
                .next_hop
                .as_ref()
                .and_then(|hop| namespace.front_end_pool(hop, findings)),
        });
    }

    edge_pools
}

/// Each Front End pool, its remote users within its users (pairing comes after, from
/// every pool).
fn resolve_front_end_pools(
    raw: &RawScenario,
    namespace: &Namespace<'_>,
    findings: &mut Findings,
) -> Vec<FrontEndPool> {
    let failures = &raw.failures;
    let mut front_end_pools = Vec::with_capacity(raw.front_end_pools.len());
    for pool in &raw.front_end_pools {
        let site = namespace.site(&pool.site, findings);
        let edge_pool = namespace.edge_pool(&pool.edge_pool, findings);
        if pool.remote_users.value > pool.users {
            findings.error(
                &pool.remote_users.path,
                pool.remote_users.span.clone(),
                format!(
                    "remote_users {} is above users {}",
                    pool.remote_users.value, pool.users
                ),
                "remote users are the part of the pool's users signed in from outside; lower remote_users or raise users",
            );
        }
        front_end_pools.push(FrontEndPool {
            id: pool.id.value.clone(),
            stream_key: stream_key_of(&pool.id.value),
            site: site.unwrap_or(SiteIndex(0)),
            users: pool.users,
            remote_users: pool.remote_users.value,
            edge_pool: edge_pool.unwrap_or(EdgePoolIndex(0)),
            backup: pool
                .backup
                .as_ref()
                .and_then(|backup| namespace.front_end_pool(backup, findings)),
            failure: failure_process(
                pool.pool_failure.as_ref(),
                failures.front_end_pool.as_ref(),
                "front_end_pool",
                findings,
            ),
        });
    }
    front_end_pools
}

/// How long a traffic manager's health checks take to see a pool's change, by default
/// (federation's and regions' `geo_dns_detect`; docs/scenario.md, "Where the defaults
/// come from").
const DEFAULT_GEO_DNS_DETECT: crate::time::SimDuration =
    crate::time::SimDuration::from_micros(2 * crate::time::MICROS_PER_MINUTE);

/// The remote-access and federation SRV records; remote users need remote-access records.
fn resolve_dns(
    raw: &RawScenario,
    regions: &[Region],
    namespace: &Namespace<'_>,
    findings: &mut Findings,
) -> (SrvRecords, SrvRecords) {
    let remote_access = resolve_srv(
        &raw.dns.remote_access,
        "dns.remote_access",
        namespace,
        findings,
    );
    let federation_records =
        resolve_srv(&raw.dns.federation, "dns.federation", namespace, findings);
    // Users a region answers need no global record (rule G1).
    let remote_users: u64 = raw
        .front_end_pools
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            let pool = FrontEndPoolIndex::from_index(i);
            !regions.iter().any(|r| r.front_end_pools.contains(&pool))
        })
        .map(|(_, p)| p.remote_users.value)
        .sum();
    if remote_users > 0 && raw.dns.remote_access.is_empty() {
        let answered = if raw.dns.regions.is_empty() {
            ""
        } else {
            " (of FE pools no [[dns.regions]] entry answers)"
        };
        findings.error(
            "dns.remote_access",
            None,
            format!("{remote_users} remote users{answered} but no remote access SRV record"),
            "add [[dns.remote_access]] records (target, priority, weight) naming the Edge pools clients may use (R3), or name their sites in a [[dns.regions]] entry (G1)",
        );
    }

    (remote_access, federation_records)
}

/// The `[[dns.regions]]` entries (rule G1): each answers the remote users of its sites'
/// FE pools and of the FE pools it names, from its own SRV list; a FE pool is answered by
/// one region at most.
fn resolve_regions(
    raw: &RawScenario,
    namespace: &Namespace<'_>,
    front_end_pools: &[FrontEndPool],
    findings: &mut Findings,
) -> Vec<Region> {
    let mut regions: Vec<Region> = Vec::with_capacity(raw.dns.regions.len());
    let mut answered_by: HashMap<FrontEndPoolIndex, &str> = HashMap::new();
    for (index, raw_region) in raw.dns.regions.iter().enumerate() {
        let id = &raw_region.id;
        let path = format!("dns.regions[{index}]");
        if !id.value.is_empty() && regions.iter().any(|r| r.id == id.value) {
            findings.error(
                &id.path,
                id.span.clone(),
                format!("two [[dns.regions]] entries have the id \"{}\"", id.value),
                "give each region its own id",
            );
        }
        let mut pools: Vec<FrontEndPoolIndex> = Vec::new();
        for site in &raw_region.sites {
            if let Some(site) = namespace.site(site, findings) {
                pools.extend(
                    front_end_pools
                        .iter()
                        .enumerate()
                        .filter(|(_, pool)| pool.site == site)
                        .map(|(i, _)| FrontEndPoolIndex::from_index(i)),
                );
            }
        }
        for pool in &raw_region.front_end_pools {
            if let Some(pool) = namespace.front_end_pool(pool, findings) {
                pools.push(pool);
            }
        }
        pools.sort_unstable();
        pools.dedup();
        if pools.is_empty() && raw_region.sites.is_empty() && raw_region.front_end_pools.is_empty()
        {
            findings.error(
                &path,
                raw_region.span.clone(),
                format!("region \"{}\" names no site and no Front End pool", id.value),
                "add sites = [\"<site id>\"] or front_end_pools = [\"<FE pool id>\"]: the users of those FE pools get this region's answer",
            );
        }
        for &pool in &pools {
            if let Some(other) = answered_by.insert(pool, id.value.as_str()) {
                findings.error(
                    &path,
                    raw_region.span.clone(),
                    format!(
                        "Front End pool \"{}\" is in region \"{other}\" and in region \"{}\"",
                        front_end_pools[pool.index()].id,
                        id.value
                    ),
                    "a FE pool's users get one remote-access answer: name the pool (or its site) in one region only",
                );
            }
        }
        let list_path = format!("{path}.remote_access");
        let remote_access = resolve_srv(&raw_region.remote_access, &list_path, namespace, findings);
        if raw_region.remote_access.is_empty() {
            findings.error(
                &list_path,
                raw_region.span.clone(),
                format!("region \"{}\" has no remote_access records", id.value),
                "add remote_access = [{ target = \"<Edge pool id>\", priority = 10, weight = 100 }, ...]: the SRV list this region's users get (under geo_dns, the traffic manager's order of preference)",
            );
        }
        let answer = match raw_region.answer.value {
            // A `geo_dns_detect` here has no effect: a warning (lint), so that a sweep of
            // it over layouts whose regions answer either way stays possible.
            RawAnswerKind::Srv => RegionAnswer::Srv,
            RawAnswerKind::GeoDns => RegionAnswer::GeoDns {
                detect: raw_region
                    .geo_dns_detect
                    .as_ref()
                    .map_or(DEFAULT_GEO_DNS_DETECT, |d| d.value),
            },
        };
        regions.push(Region {
            id: id.value.clone(),
            front_end_pools: pools,
            remote_access,
            answer,
        });
    }
    regions
}

/// Where the layout's parts were written, for warnings.
fn source_spans(raw: &RawScenario, namespace: &Namespace<'_>) -> SourceSpans {
    let edge_index = |id: &str| match namespace.by_id.get(id) {
        Some((Component::EdgePool(i), _)) => Some(i.index()),
        _ => None,
    };
    let mut federation_records = vec![None; raw.edge_pools.len()];
    for record in &raw.dns.federation {
        if let Some(i) = edge_index(&record.target.value) {
            federation_records[i].get_or_insert(record.target.span.clone());
        }
    }
    let mut firewall_entries: Vec<Option<SourceSpan>> = vec![None; raw.front_end_pools.len()];
    for pair in raw.firewall.deny.iter().chain(&raw.firewall.allow) {
        if let Some((Component::FrontEndPool(i), _)) =
            namespace.by_id.get(pair.front_end.value.as_str())
            && firewall_entries[i.index()].is_none()
        {
            firewall_entries[i.index()] = pair.front_end.span.clone();
        }
    }
    SourceSpans {
        regions: raw.dns.regions.iter().map(|r| r.id.span.clone()).collect(),
        unused_region_detects: raw
            .dns
            .regions
            .iter()
            .map(|r| match (&r.geo_dns_detect, r.answer.value) {
                (Some(detect), RawAnswerKind::Srv) => detect.span.clone().or(r.span.clone()),
                _ => None,
            })
            .collect(),
        sites: raw.sites.iter().map(|s| s.id.span.clone()).collect(),
        front_end_pools: raw
            .front_end_pools
            .iter()
            .map(|p| p.id.span.clone())
            .collect(),
        edge_pools: raw.edge_pools.iter().map(|p| p.id.span.clone()).collect(),
        edge_pool_servers: raw
            .edge_pools
            .iter()
            .map(|p| p.servers_span.clone())
            .collect(),
        federation_records: federation_records
            .into_iter()
            .map(Option::flatten)
            .collect(),
        firewall_entries,
        outbound_route: raw
            .federation
            .outbound_route
            .as_ref()
            .and_then(|r| r.span.clone()),
        xmpp_gateway: raw
            .federation
            .xmpp_gateway
            .as_ref()
            .and_then(|r| r.span.clone()),
        inbound: raw.federation.inbound.span.clone(),
        outage_starts: raw.outages.iter().map(|o| o.start.span.clone()).collect(),
        front_end_backups: raw
            .front_end_pools
            .iter()
            .map(|p| p.backup.as_ref().and_then(|b| b.span.clone()))
            .collect(),
        edge_next_hops: raw
            .edge_pools
            .iter()
            .map(|p| p.next_hop.as_ref().and_then(|h| h.span.clone()))
            .collect(),
    }
}

/// Pairs each Front End pool with its backup both ways (rule D1): naming the backup on
/// one side is enough. A pool paired with itself, or with two pools, is an error at the
/// `backup` that makes the second pairing.
fn pair_front_end_pools(raw: &RawScenario, pools: &mut [FrontEndPool], findings: &mut Findings) {
    let mut partner: Vec<Option<usize>> = vec![None; pools.len()];
    for (index, raw_pool) in raw.front_end_pools.iter().enumerate() {
        let (Some(written), Some(backup)) = (&raw_pool.backup, pools[index].backup) else {
            continue;
        };
        let backup = backup.index();
        let id = |i: usize| pools[i].id.as_str();
        let clash = if backup == index {
            Some((
                format!("{} is paired with itself", id(index)),
                "name the Front End pool at another site that takes its users over",
            ))
        } else if partner[backup].is_some_and(|other| other != index) {
            Some((
                format!(
                    "{} is already paired with {}; a Front End pool has one backup",
                    id(backup),
                    id(partner[backup].expect("checked"))
                ),
                "pair each Front End pool with one other (writing backup on one side is enough)",
            ))
        } else if partner[index].is_some_and(|other| other != backup) {
            Some((
                format!(
                    "{} is already paired with {}; a Front End pool has one backup",
                    id(index),
                    id(partner[index].expect("checked"))
                ),
                "pair each Front End pool with one other (writing backup on one side is enough)",
            ))
        } else {
            None
        };
        match clash {
            Some((message, help)) => {
                findings.error(&written.path, written.span.clone(), message, help);
            }
            None => {
                partner[index] = Some(backup);
                partner[backup] = Some(index);
            }
        }
    }
    for (pool, partner) in pools.iter_mut().zip(partner) {
        pool.backup = partner.map(FrontEndPoolIndex::from_index);
    }
}

fn resolve_srv(
    records: &[RawSrvRecord],
    path: &str,
    namespace: &Namespace<'_>,
    findings: &mut Findings,
) -> SrvRecords {
    let mut resolved: Vec<SrvRecord> = Vec::with_capacity(records.len());
    for record in records {
        let Some(target) = namespace.edge_pool(&record.target, findings) else {
            continue;
        };
        if resolved.iter().any(|r| r.target == target) {
            findings.error(
                &record.target.path,
                record.target.span.clone(),
                format!(
                    "{path} already has a record for \"{}\"",
                    record.target.value
                ),
                "give each Edge pool one record per SRV name",
            );
            continue;
        }
        resolved.push(SrvRecord {
            target,
            priority: record.priority,
            weight: record.weight,
        });
    }
    SrvRecords::new(resolved)
}

fn resolve_federation(
    raw: &RawScenario,
    has_federation_records: bool,
    namespace: &Namespace<'_>,
    findings: &mut Findings,
) -> Federation {
    let settings = &raw.federation;
    let outbound_route = settings
        .outbound_route
        .as_ref()
        .and_then(|r| namespace.edge_pool(r, findings));
    if has_federation_records && settings.outbound_route.is_none() {
        findings.error(
            "federation.outbound_route",
            None,
            "dns.federation has records but no outbound federation route is set",
            "add outbound_route = \"<Edge pool id>\" under [federation]: outbound federation leaves through one published pool (R6)",
        );
    }
    if settings.inbound.value != InboundFederation::SrvPriority && !has_federation_records {
        findings.error(
            &settings.inbound.path,
            settings.inbound.span.clone(),
            "an inbound federation mode is set but dns.federation has no records",
            "add [[dns.federation]] records, or remove federation.inbound",
        );
    }
    let xmpp_gateway = settings
        .xmpp_gateway
        .as_ref()
        .and_then(|r| namespace.edge_pool(r, findings));
    Federation {
        outbound_route,
        xmpp_gateway,
        inbound: settings.inbound.value,
        geo_dns_detect: settings
            .geo_dns_detect
            .as_ref()
            .map_or(DEFAULT_GEO_DNS_DETECT, |d| d.value),
        failback: settings.failback,
    }
}

fn resolve_firewall(
    raw: &RawScenario,
    namespace: &Namespace<'_>,
    findings: &mut Findings,
) -> Firewall {
    let mut firewall = Firewall::new(
        raw.front_end_pools.len(),
        raw.edge_pools.len(),
        raw.firewall.default_allow,
    );
    let mut seen: HashMap<(FrontEndPoolIndex, EdgePoolIndex), bool> = HashMap::new();
    for (pairs, allow) in [(&raw.firewall.deny, false), (&raw.firewall.allow, true)] {
        for pair in pairs {
            let front_end = namespace.front_end_pool(&pair.front_end, findings);
            let edge = namespace.edge_pool(&pair.edge, findings);
            let (Some(front_end), Some(edge)) = (front_end, edge) else {
                continue;
            };
            if seen.insert((front_end, edge), allow) == Some(!allow) {
                findings.error(
                    &pair.edge.path,
                    pair.edge.span.clone(),
                    format!(
                        "{} → {} is both allowed and denied",
                        pair.front_end.value, pair.edge.value
                    ),
                    "keep the pair in one list only",
                );
            }
            firewall.set(front_end, edge, allow);
        }
    }
    firewall
}

fn resolve_outages(
    raw: &RawScenario,
    namespace: &Namespace<'_>,
    findings: &mut Findings,
) -> Vec<Outage> {
    let mut outages = Vec::with_capacity(raw.outages.len());
    for outage in &raw.outages {
        let reference = &outage.target;
        if reference.value.is_empty() {
            continue;
        }
        let target = if let Some((pool_id, server)) = reference.value.split_once('#') {
            if pool_id.is_empty()
                || server.is_empty()
                || !server.bytes().all(|b| b.is_ascii_digit())
            {
                findings.error(
                    &reference.path,
                    reference.span.clone(),
                    format!("\"{}\" is not a server of an Edge pool", reference.value),
                    "write the pool's id, '#' and the server's number (1-based), e.g. \"{edge_pool}#2\"",
                );
                continue;
            }
            let pool_reference = Spanned {
                value: pool_id.to_string(),
                span: reference.span.clone(),
                path: reference.path.clone(),
            };
            let Some(pool) = namespace.edge_pool(&pool_reference, findings) else {
                continue;
            };
            let servers = raw.edge_pools[pool.index()].servers;
            match server.parse::<u32>() {
                Ok(number) if (1..=servers).contains(&number) => OutageTarget::EdgeServer {
                    pool,
                    server: number - 1,
                },
                _ => {
                    findings.error(
                        &reference.path,
                        reference.span.clone(),
                        format!("\"{}\" names no server of {pool_id}", reference.value),
                        format!(
                            "servers of {pool_id} are numbered 1 to {servers}, e.g. \"{pool_id}#1\""
                        ),
                    );
                    continue;
                }
            }
        } else {
            match namespace.by_id.get(reference.value.as_str()) {
                Some((Component::Site(i), _)) => OutageTarget::Site(*i),
                Some((Component::FrontEndPool(i), _)) => OutageTarget::FrontEndPool(*i),
                Some((Component::EdgePool(i), _)) => OutageTarget::EdgePool(*i),
                None => {
                    findings.error(
                        &reference.path,
                        reference.span.clone(),
                        format!("no site, Front End pool or Edge pool has the id \"{}\"", reference.value),
                        "name an Edge pool, a server (\"{edge_pool}#2\", 1-based), a site or a Front End pool that this layout has",
                    );
                    continue;
                }
            }
        };
        outages.push(Outage {
            target_id: reference.value.clone(),
            target,
            start: outage.start.value,
            duration: outage.duration,
        });
    }
    outages
}
