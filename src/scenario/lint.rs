//! Disaster-recovery warnings (docs/scenario.md): designs that run, but are weaker than a planner
//! may think. Each warning names the pools or records involved and the rule it comes from.

use super::diagnostic::Diagnostic;
use crate::topology::{
    DOCUMENTED_USERS_PER_FRONT_END_POOL, EdgePoolIndex, InboundFederation, Simulation, Topology,
};

/// The largest Edge pool Microsoft documents as supported (F4); Topology Builder accepts 20.
pub const SUPPORTED_SERVERS_PER_POOL: u32 = 12;

/// Every warning for one layout, in a stable order.
pub fn lint(topology: &Topology, simulation: &Simulation) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    single_site(topology, &mut warnings);
    federation_priorities(topology, &mut warnings);
    blocked_pairs(topology, &mut warnings);
    single_points_of_failure(topology, &mut warnings);
    oversized_pools(topology, &mut warnings);
    capacity(topology, &mut warnings);
    regions(topology, &mut warnings);
    outages_beyond_horizon(topology, simulation, &mut warnings);
    paired_pools(topology, &mut warnings);
    next_hops(topology, &mut warnings);
    warnings
}

fn pool_id(topology: &Topology, pool: EdgePoolIndex) -> &str {
    &topology.edge_pools[pool.index()].id
}

fn quoted_list<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    ids.into_iter()
        .map(|id| format!("\"{id}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// R2: disaster recovery needs Edge pools in separate sites.
fn single_site(topology: &Topology, warnings: &mut Vec<Diagnostic>) {
    let Some(first) = topology.edge_pools.first() else {
        return;
    };
    if topology
        .edge_pools
        .iter()
        .all(|pool| pool.site == first.site)
    {
        let site = &topology.sites[first.site.index()].id;
        warnings.push(
            Diagnostic::warning(
                "R2",
                format!(
                    "every Edge pool ({}) is at site \"{site}\": losing that site loses remote access, federation and XMPP together",
                    quoted_list(topology.edge_pools.iter().map(|p| p.id.as_str()))
                ),
            )
            .with_key_path("edge_pools")
            .with_span(topology.source.edge_pools.first().cloned().flatten())
            .with_help("disaster recovery needs Edge pools at separate sites; add a pool at another site"),
        );
    }
}

/// R5 and F1: how inbound federation depends on SRV priorities.
fn federation_priorities(topology: &Topology, warnings: &mut Vec<Diagnostic>) {
    if topology.federation.inbound != InboundFederation::SrvPriority {
        return;
    }
    let records = &topology.dns.federation;
    for group in records.priority_groups().filter(|group| group.len() > 1) {
        warnings.push(
            Diagnostic::warning(
                "R5",
                format!(
                    "federation SRV records for {} share priority {}: a partner request that reaches a down pool does not fail over to its sibling",
                    quoted_list(group.iter().map(|r| pool_id(topology, r.target))),
                    group[0].priority
                ),
            )
            .with_key_path("dns.federation")
            .with_span(topology.source.federation_records[group[0].target.index()].clone())
            .with_help("give each Edge pool its own priority in dns.federation (R5)"),
        );
    }
    if records.records().len() > 1 {
        warnings.push(
            Diagnostic::warning(
                "F1",
                format!(
                    "inbound federation survives the loss of a pool only through SRV-priority failback across {}; Microsoft withdrew that claim in 2019 (partners take one target and do not retry)",
                    quoted_list(records.records().iter().map(|r| pool_id(topology, r.target)))
                ),
            )
            .with_key_path("federation.inbound")
            .with_span(
                topology.source.inbound.clone().or_else(|| {
                    topology.source.federation_records[records.records()[0].target.index()].clone()
                }),
            )
            .with_help("judge every layout under an [[assumptions]] entry with federation = { inbound = \"single_target\" } (Microsoft's position), and compare a layout with inbound = \"geo_dns\" (a global traffic manager)"),
        );
    }
}

/// R4: a blocked FE pool / Edge pool pair breaks remote-access failover for that pool.
fn blocked_pairs(topology: &Topology, warnings: &mut Vec<Diagnostic>) {
    for (fe_index, front_end) in topology.front_end_pools.iter().enumerate() {
        let blocked: Vec<&str> = topology
            .edge_pools
            .iter()
            .enumerate()
            .filter(|(edge_index, _)| {
                !topology.firewall.allows(
                    crate::topology::FrontEndPoolIndex(fe_index as u32),
                    EdgePoolIndex(*edge_index as u32),
                )
            })
            .map(|(_, edge)| edge.id.as_str())
            .collect();
        if !blocked.is_empty() {
            warnings.push(
                Diagnostic::warning(
                    "R4",
                    format!(
                        "the firewall blocks Front End pool \"{}\" from Edge pool(s) {}: those pools are useless to its users, and failover to them does not work",
                        front_end.id,
                        quoted_list(blocked)
                    ),
                )
                .with_key_path("firewall")
                .with_span(
                    topology.source.firewall_entries[fe_index]
                        .clone()
                        .or_else(|| topology.source.front_end_pools[fe_index].clone()),
                )
                .with_help("let the Front End servers of every pool reach all Edge servers (R4)"),
            );
        }
    }
}

/// R6, R7: the route and the gateway need somewhere to move to.
fn single_points_of_failure(topology: &Topology, warnings: &mut Vec<Diagnostic>) {
    let roles = [
        (
            topology.federation.outbound_route,
            "R6",
            "outbound federation route",
            "federation.outbound_route",
            &topology.source.outbound_route,
        ),
        (
            topology.federation.xmpp_gateway,
            "R7",
            "XMPP gateway",
            "federation.xmpp_gateway",
            &topology.source.xmpp_gateway,
        ),
    ];
    for (pool, rule, role, key, span) in roles {
        let Some(pool) = pool else { continue };
        let site = topology.edge_pools[pool.index()].site;
        let has_fallback = topology
            .edge_pools
            .iter()
            .enumerate()
            .any(|(i, candidate)| {
                candidate.site != site
                    && (0..topology.front_end_pools.len()).all(|fe| {
                        topology.firewall.allows(
                            crate::topology::FrontEndPoolIndex(fe as u32),
                            EdgePoolIndex(i as u32),
                        )
                    })
            });
        if !has_fallback {
            warnings.push(
                Diagnostic::warning(
                    rule,
                    format!(
                        "the {role} \"{}\" is a single point of failure: no Edge pool at another site that every Front End pool may reach can take it over",
                        pool_id(topology, pool)
                    ),
                )
                .with_key_path(key)
                .with_span(span.clone())
                .with_help("add an Edge pool at another site, reachable through the firewall from every Front End pool, for the administrator to move it to"),
            );
        }
    }
}

/// F4: Microsoft documents Edge pools of 2 to 12 servers.
fn oversized_pools(topology: &Topology, warnings: &mut Vec<Diagnostic>) {
    for (index, pool) in topology
        .edge_pools
        .iter()
        .enumerate()
        .filter(|(_, pool)| pool.servers > SUPPORTED_SERVERS_PER_POOL)
    {
        warnings.push(
            Diagnostic::warning(
                "F4",
                format!(
                    "Edge pool \"{}\" has {} servers; Microsoft documents 2 to {SUPPORTED_SERVERS_PER_POOL} per pool (Topology Builder accepts 20)",
                    pool.id, pool.servers
                ),
            )
            .with_key_path("edge_pools")
            .with_span(topology.source.edge_pool_servers[index].clone())
            .with_help("split it into two pools, or check the design is supported"),
        );
    }
}

/// G1: a region whose list names one Edge pool gives its users nowhere else to go: under
/// SRV they walk to that pool only; under geo-DNS the traffic manager has no other pool to
/// answer. And a `geo_dns_detect` on a region that answers by SRV list does nothing.
fn regions(topology: &Topology, warnings: &mut Vec<Diagnostic>) {
    for (index, region) in topology.dns.regions.iter().enumerate() {
        if let Some(Some(span)) = topology.source.unused_region_detects.get(index) {
            warnings.push(
                Diagnostic::warning(
                    "G1",
                    format!(
                        "region \"{}\" sets geo_dns_detect but answers by SRV list: it has no effect",
                        region.id
                    ),
                )
                .with_key_path(format!("dns.regions[{index}].geo_dns_detect"))
                .with_span(Some(span.clone()))
                .with_help("add answer = \"geo_dns\" to the region, or remove geo_dns_detect"),
            );
        }
        let [only] = region.remote_access.records() else {
            continue;
        };
        let users: u64 = region
            .front_end_pools
            .iter()
            .map(|&pool| topology.front_end_pools[pool.index()].remote_users)
            .sum();
        let other = topology
            .edge_pools
            .iter()
            .enumerate()
            .find(|(i, pool)| {
                *i != only.target.index()
                    && pool.site != topology.edge_pools[only.target.index()].site
            })
            .map_or("an Edge pool at another site".to_string(), |(_, pool)| {
                format!("\"{}\" (another site)", pool.id)
            });
        warnings.push(
            Diagnostic::warning(
                "G1",
                format!(
                    "region \"{}\" answers its {users} remote users with one Edge pool only (\"{}\"): while it is down they have nowhere else to go",
                    region.id,
                    pool_id(topology, only.target)
                ),
            )
            .with_key_path(format!("dns.regions[{index}].remote_access"))
            .with_span(topology.source.regions.get(index).cloned().flatten())
            .with_help(format!(
                "add a second record with a higher priority number, e.g. {other}, so the region's users fail over (R3) or its traffic manager has another pool to name"
            )),
        );
    }
}

/// Capacity: the remote users must fit in the Edge pools that remain when the Edge pools
/// of one site are lost (the site's DMZ, or the whole site). The advice uses the file's
/// own figures, and names Edge pools that exist but are missing from dns.remote_access
/// before it suggests buying servers.
fn capacity(topology: &Topology, warnings: &mut Vec<Diagnostic>) {
    // Every pool some remote users' answer lists (rule G1: regions have their own lists).
    let mut records: Vec<crate::topology::SrvRecord> = Vec::new();
    for index in 0..topology.front_end_pools.len() {
        let front_end = crate::topology::PoolIndex::from_index(index);
        for record in topology.dns.remote_access_for(front_end).records() {
            if !records.iter().any(|r| r.target == record.target) {
                records.push(*record);
            }
        }
    }
    let lists = if topology.dns.regions.is_empty() {
        "dns.remote_access"
    } else {
        "the remote-access lists (dns.remote_access, dns.regions)"
    };
    let listed = |pool: usize| records.iter().any(|r| r.target.index() == pool);
    let srv_capacity = |excluded_site: Option<crate::topology::SiteIndex>| -> u64 {
        records
            .iter()
            .map(|r| &topology.edge_pools[r.target.index()])
            .filter(|pool| Some(pool.site) != excluded_site)
            .map(|pool| pool.full_capacity())
            .sum()
    };
    // Pools (outside `excluded_site`) that the SRV records leave out, and their capacity.
    let unlisted = |excluded_site: Option<crate::topology::SiteIndex>| -> (Vec<&str>, u64) {
        let pools: Vec<_> = topology
            .edge_pools
            .iter()
            .enumerate()
            .filter(|(i, pool)| !listed(*i) && Some(pool.site) != excluded_site)
            .map(|(_, pool)| pool)
            .collect();
        (
            pools.iter().map(|p| p.id.as_str()).collect(),
            pools.iter().map(|p| p.full_capacity()).sum(),
        )
    };
    let advice = |short: u64, excluded_site: Option<crate::topology::SiteIndex>, place: &str| {
        let (missing, missing_capacity) = unlisted(excluded_site);
        if !missing.is_empty() && missing_capacity >= short {
            return format!(
                "add {} to {lists}: {} room for {missing_capacity} remote users that no SRV record points at",
                quoted_list(missing.iter().copied()),
                if missing.len() == 1 {
                    "it has"
                } else {
                    "they have"
                },
            );
        }
        let per_server = per_server_capacity(topology, excluded_site);
        let servers = short.div_ceil(per_server.max(1));
        let source = if per_server == crate::topology::DOCUMENTED_USERS_PER_SERVER {
            "Microsoft's figure, F4".to_string()
        } else {
            "capacity_per_server in this file".to_string()
        };
        format!(
            "add Edge servers{place}: {short} more remote users need about {servers} more at {per_server} remote users each ({source})"
        )
    };
    let total_remote: u64 = topology
        .front_end_pools
        .iter()
        .map(|p| p.remote_users)
        .sum();
    if total_remote == 0 {
        return;
    }
    let full = srv_capacity(None);
    if total_remote > full {
        warnings.push(
            Diagnostic::warning(
                "capacity",
                format!(
                    "{total_remote} remote users but the Edge pools in {lists} hold only {full} with every server up"
                ),
            )
            .with_key_path("edge_pools")
            .with_help(advice(total_remote - full, None, "")),
        );
        return;
    }
    for (site_index, site) in topology.sites.iter().enumerate() {
        let site_index = crate::topology::SiteIndex(site_index as u32);
        if !topology.edge_pools.iter().any(|p| p.site == site_index) {
            continue;
        }
        let surviving = srv_capacity(Some(site_index));
        let others_remote: u64 = topology
            .front_end_pools
            .iter()
            .filter(|p| p.site != site_index)
            .map(|p| p.remote_users)
            .sum();
        if total_remote > surviving {
            let whole_site = if others_remote > surviving {
                format!(", and even with the site's own Front End pools down {others_remote} do")
            } else {
                String::new()
            };
            warnings.push(
                Diagnostic::warning(
                    "capacity",
                    format!(
                        "if the Edge pools at site \"{}\" fail, the Edge pools at other sites hold {surviving} remote users but {total_remote} need room{whole_site}",
                        site.id
                    ),
                )
                .with_key_path("edge_pools")
                .with_span(topology.source.sites[site_index.index()].clone())
                .with_help(advice(
                    total_remote - surviving,
                    Some(site_index),
                    " at the other sites so this site's loss can be absorbed",
                )),
            );
        }
    }
}

/// The remote users one Edge server holds in this layout (outside `excluded_site`): the
/// smallest `capacity_per_server` of the pools there, so that the advice never promises
/// too much.
fn per_server_capacity(
    topology: &Topology,
    excluded_site: Option<crate::topology::SiteIndex>,
) -> u64 {
    topology
        .edge_pools
        .iter()
        .filter(|pool| Some(pool.site) != excluded_site)
        .map(|pool| pool.capacity_per_server)
        .min()
        .unwrap_or(crate::topology::DOCUMENTED_USERS_PER_SERVER)
}

fn outages_beyond_horizon(
    topology: &Topology,
    simulation: &Simulation,
    warnings: &mut Vec<Diagnostic>,
) {
    for (index, outage) in topology
        .outages
        .iter()
        .enumerate()
        .filter(|(_, o)| o.start >= simulation.horizon)
    {
        warnings.push(
            Diagnostic::warning(
                "horizon",
                format!(
                    "the outage of \"{}\" starts at {}, at or after the horizon {}: it never happens",
                    outage.target_id, outage.start, simulation.horizon
                ),
            )
            .with_key_path("outages")
            .with_span(topology.source.outage_starts[index].clone())
            .with_help("move its start inside the horizon, or lengthen [simulation].horizon"),
        );
    }
}

/// D1: a pair of Front End pools survives a site loss only at two sites, and the pool that
/// takes its partner's users over must hold them all. Also says, while it is so, that the
/// model does not yet fail pools over.
fn paired_pools(topology: &Topology, warnings: &mut Vec<Diagnostic>) {
    let pools = &topology.front_end_pools;
    for (index, pool) in pools.iter().enumerate() {
        // Each pair once, from the pool listed first.
        let Some(backup) = pool.backup.filter(|b| b.index() > index) else {
            continue;
        };
        let partner = &pools[backup.index()];
        let span = topology.source.front_end_backups[index]
            .clone()
            .or_else(|| topology.source.front_end_backups[backup.index()].clone());
        if partner.site == pool.site {
            warnings.push(
                Diagnostic::warning(
                    "D1",
                    format!(
                        "Front End pools \"{}\" and \"{}\" are paired but both at site \"{}\": losing the site loses both, so the pair does not survive it",
                        pool.id,
                        partner.id,
                        topology.sites[pool.site.index()].id
                    ),
                )
                .with_key_path("front_end_pools")
                .with_span(span.clone())
                .with_help("pair Front End pools at different sites"),
            );
        }
        let users = pool.users + partner.users;
        if users > DOCUMENTED_USERS_PER_FRONT_END_POOL {
            warnings.push(
                Diagnostic::warning(
                    "D1",
                    format!(
                        "Front End pools \"{}\" and \"{}\" together home {users} users: after a failover one pool serves them all, above the {DOCUMENTED_USERS_PER_FRONT_END_POOL} users of a Lync Server 2013 Enterprise pool",
                        pool.id, partner.id
                    ),
                )
                .with_key_path("front_end_pools")
                .with_span(span)
                .with_help(format!(
                    "keep each pool of a pair at {} users or fewer (Microsoft's paired-pool design)",
                    DOCUMENTED_USERS_PER_FRONT_END_POOL / 2
                )),
            );
        }
    }
}

/// D2: an Edge pool forwards inward to a Front End pool at its own site; one at another
/// site cuts it off whenever that site is lost, though the Edge pool itself is up.
fn next_hops(topology: &Topology, warnings: &mut Vec<Diagnostic>) {
    for (index, pool) in topology.edge_pools.iter().enumerate() {
        let Some(next_hop) = pool.next_hop else {
            continue;
        };
        let hop = &topology.front_end_pools[next_hop.index()];
        if hop.site != pool.site {
            warnings.push(
                Diagnostic::warning(
                    "D2",
                    format!(
                        "Edge pool \"{}\" at site \"{}\" forwards inward to Front End pool \"{}\" at site \"{}\": losing that site cuts the Edge pool off though it is up",
                        pool.id,
                        topology.sites[pool.site.index()].id,
                        hop.id,
                        topology.sites[hop.site.index()].id
                    ),
                )
                .with_key_path("edge_pools")
                .with_span(topology.source.edge_next_hops[index].clone())
                .with_help("name a Front End pool at the Edge pool's own site as next_hop"),
            );
        }
    }
}
