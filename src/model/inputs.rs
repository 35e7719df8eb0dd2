//! What each service reads of a layout (docs/model.md, "What each service reads").
//!
//! Random streams are keyed by component ids and every service integrates exactly what it
//! reads, so two layouts whose inputs to a service are equal give that service
//! bit-identical results in every replication (the invariance tests check this over
//! generated scenarios). Such a service is *unaffected* by the layout: its difference
//! against the baseline is exactly zero by construction, which the outputs say rather
//! than "no difference seen" (docs/output.md).
//!
//! The inputs are rendered as text and compared whole. They may only over-state what a
//! service reads: a part left out would call a layout unaffected when it is not.

use std::fmt::Write as _;

use crate::topology::{InboundFederation, Topology};

use super::services::Service;
use super::srv::preference_order;

/// Everything `service` reads of `topology`, as text: two layouts with equal text give the
/// service bit-identical results on common random numbers.
pub fn service_inputs(topology: &Topology, service: Service) -> String {
    let mut text = components(topology);
    let t = topology;
    let users: Vec<u64> = t.front_end_pools.iter().map(|p| p.users).collect();
    match service {
        Service::RemoteAccess => {
            let remote: Vec<u64> = t.front_end_pools.iter().map(|p| p.remote_users).collect();
            let capacity: Vec<u64> = t.edge_pools.iter().map(|p| p.capacity_per_server).collect();
            let _ = write!(
                text,
                "remote users {remote:?}\ncapacity {capacity:?}\nrecords {}\nfirewall {:?}\nclients {:?}\n",
                remote_access_answers(t),
                t.firewall,
                t.clients
            );
            // Mobile users wait for their associated pool, so the administrator matters
            // only when some remote users are mobile.
            if t.clients.mobile_share > 0.0 && remote.iter().any(|&r| r > 0) {
                text.push_str(&administrator_for_association(t));
            }
        }
        Service::FederationInbound => {
            let _ = write!(
                text,
                "records {:?}\ninbound {:?}\n",
                t.dns.federation, t.federation.inbound
            );
            // Only the traffic manager reads the TTL and its detection delay.
            if t.federation.inbound == InboundFederation::GeoDns {
                let _ = write!(
                    text,
                    "ttl {:?}\ndetect {:?}\n",
                    t.dns.ttl, t.federation.geo_dns_detect
                );
            }
        }
        Service::FederationOutbound => {
            let _ = write!(
                text,
                "users {users:?}\nroute {:?}\n{}",
                t.federation.outbound_route,
                administrator_for_federation(t)
            );
        }
        Service::XmppInbound => {
            let _ = write!(
                text,
                "gateway {:?}\nttl {:?}\n{}",
                t.federation.xmpp_gateway,
                t.dns.ttl,
                administrator_for_federation(t)
            );
        }
        Service::XmppOutbound => {
            let _ = write!(
                text,
                "gateway {:?}\n{}",
                t.federation.xmpp_gateway,
                administrator_for_federation(t)
            );
        }
        Service::EdgeAssociation => {
            let _ = write!(
                text,
                "users {users:?}\n{}",
                administrator_for_association(t)
            );
        }
    }
    text
}

/// The remote-access answer each FE pool's users get (rule G1): its SRV list, and under
/// geo-DNS the traffic manager's delay and the TTL clients cache its answer for.
fn remote_access_answers(t: &Topology) -> String {
    let mut text = String::new();
    for index in 0..t.front_end_pools.len() {
        let front_end = crate::topology::PoolIndex::from_index(index);
        let _ = write!(text, "{:?}", t.dns.remote_access_for(front_end));
        if let Some(region) = t.dns.region_of(front_end)
            && let crate::topology::RegionAnswer::GeoDns { detect } = region.answer
        {
            let _ = write!(text, " geo_dns detect {detect:?} ttl {:?}", t.dns.ttl);
        }
        text.push(';');
    }
    text
}

/// The administrator's inputs for the route and the gateway: candidates in federation SRV
/// order that the up FE pools may reach, ties broken by their users; when the response
/// comes and whether changes fail back. (The administrator reads the SRV lists only
/// through their preference order.)
fn administrator_for_federation(t: &Topology) -> String {
    let users: Vec<u64> = t.front_end_pools.iter().map(|p| p.users).collect();
    format!(
        "federation order {:?}\nfirewall {:?}\nusers {users:?}\noperations {:?}\nfailback {:?}\n",
        preference_order(&t.dns.federation, t.edge_pools.len()),
        t.firewall,
        t.operations,
        t.federation.failback
    )
}

/// The administrator's inputs for the associations: candidates in remote-access SRV order
/// at another site that the FE pool may reach.
fn administrator_for_association(t: &Topology) -> String {
    let association: Vec<_> = t.front_end_pools.iter().map(|p| p.edge_pool).collect();
    format!(
        "association {association:?}\nremote-access order {:?}\nfirewall {:?}\noperations {:?}\nfailback {:?}\n",
        (0..t.front_end_pools.len())
            .map(|i| preference_order(
                t.dns
                    .remote_access_for(crate::topology::PoolIndex::from_index(i)),
                t.edge_pools.len()
            ))
            .collect::<Vec<_>>(),
        t.firewall,
        t.operations,
        t.federation.failback
    )
}

/// What fails, when and how: every site, FE pool and Edge pool with its failure processes
/// and server count, and the injected outages. Every service reads these.
fn components(topology: &Topology) -> String {
    let mut text = String::new();
    for site in &topology.sites {
        let _ = writeln!(text, "site {} {:?}", site.id, site.failure);
    }
    for pool in &topology.front_end_pools {
        let _ = writeln!(
            text,
            "front end {} {:?} {:?}",
            pool.id, pool.site, pool.failure
        );
    }
    for pool in &topology.edge_pools {
        let _ = writeln!(
            text,
            "edge {} {:?} {} {:?} {:?}",
            pool.id, pool.site, pool.servers, pool.pool_failure, pool.server_failure
        );
    }
    let _ = writeln!(text, "outages {:?}", topology.outages);
    // Disaster recovery (rules D1, D2) decides when users have a FE pool and when Edge
    // pools answer, for every service; its timing is the administrator's.
    if topology.has_recovery() {
        let backups: Vec<_> = topology.front_end_pools.iter().map(|p| p.backup).collect();
        let next_hops: Vec<_> = topology.edge_pools.iter().map(|p| p.next_hop).collect();
        let _ = writeln!(
            text,
            "recovery {backups:?} {next_hops:?} {:?}",
            topology.operations
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
name = "inputs"
[simulation]
horizon = "30d"
[[sites]]
id = "a"
[[sites]]
id = "b"
[[front_end_pools]]
id = "fe"
site = "a"
users = 1000
remote_users = 300
edge_pool = "edge-a"
[[edge_pools]]
id = "edge-a"
site = "a"
servers = 2
internal_fqdn = "int-a.example.com"
external_fqdn = "sip-a.example.com"
[[edge_pools]]
id = "edge-b"
site = "b"
servers = 2
internal_fqdn = "int-b.example.com"
external_fqdn = "sip-b.example.com"
[dns]
remote_access = [ { target = "edge-a", priority = 10, weight = 100 }, { target = "edge-b", priority = 20, weight = 100 } ]
federation = [ { target = "edge-a", priority = 10, weight = 100 }, { target = "edge-b", priority = 20, weight = 100 } ]
[federation]
outbound_route = "edge-a"
xmpp_gateway = "edge-a"
[[layouts]]
name = "base"
[[layouts]]
name = "ttl"
dns = { ttl = "5m" }
[[layouts]]
name = "detect"
clients = { detect = "1h" }
[[layouts]]
name = "route"
federation = { outbound_route = "edge-b" }
[[layouts]]
name = "servers"
edge_pools.edge-b.servers = 3
[[layouts]]
name = "equal"
dns.federation.edge-b.priority = 10
[[layouts]]
name = "next-hop"
edge_pools.edge-a.next_hop = "fe"
[[layouts]]
name = "next-hop-slower"
edge_pools.edge-a.next_hop = "fe"
operations = { pool_failover = "2h" }
[[layouts]]
name = "region"
[[layouts.dns.regions]]
id = "near"
sites = ["a"]
remote_access = [ { target = "edge-b", priority = 10, weight = 100 }, { target = "edge-a", priority = 20, weight = 100 } ]
[[layouts]]
name = "geo-region"
[[layouts.dns.regions]]
id = "near"
sites = ["a"]
answer = "geo_dns"
remote_access = [ { target = "edge-a", priority = 10, weight = 100 }, { target = "edge-b", priority = 20, weight = 100 } ]
[[layouts]]
name = "geo-region-ttl"
dns.ttl = "5m"
[[layouts.dns.regions]]
id = "near"
sites = ["a"]
answer = "geo_dns"
remote_access = [ { target = "edge-a", priority = 10, weight = 100 }, { target = "edge-b", priority = 20, weight = 100 } ]
[[layouts]]
name = "geo-region-detect"
[[layouts.dns.regions]]
id = "near"
sites = ["a"]
answer = "geo_dns"
geo_dns_detect = "10m"
remote_access = [ { target = "edge-a", priority = 10, weight = 100 }, { target = "edge-b", priority = 20, weight = 100 } ]
"#;

    /// The services whose inputs differ between the base and layout `name`.
    fn affected(name: &str) -> Vec<Service> {
        affected_between("base", name)
    }

    /// The services whose inputs differ between layouts `from` and `to`.
    fn affected_between(from: &str, to: &str) -> Vec<Service> {
        let loaded = crate::scenario::load_str("inputs.toml", BASE).expect("valid");
        let layouts = &loaded.scenario.layouts;
        let layout = |name: &str| layouts.iter().find(|t| t.layout_name == name).unwrap();
        Service::ALL
            .into_iter()
            .filter(|&s| service_inputs(layout(from), s) != service_inputs(layout(to), s))
            .collect()
    }

    #[test]
    fn a_region_affects_remote_access_and_the_association_order_only() {
        // Its own list (rule G1): what fe's users walk, and the order the administrator
        // re-associates fe in (R8).
        assert_eq!(
            affected("region"),
            vec![Service::RemoteAccess, Service::EdgeAssociation]
        );
        // A geo-DNS region with the same list: what clients walk changes, the
        // administrator's order does not.
        assert_eq!(affected("geo-region"), vec![Service::RemoteAccess]);
        // Under it the TTL is read by remote access too; its detection delay only there.
        assert_eq!(
            affected_between("geo-region", "geo-region-ttl"),
            vec![Service::RemoteAccess, Service::XmppInbound]
        );
        assert_eq!(
            affected_between("geo-region", "geo-region-detect"),
            vec![Service::RemoteAccess]
        );
    }

    #[test]
    fn each_layout_affects_exactly_the_services_that_read_what_it_changes() {
        // The TTL: partners' XMPP caches (inbound federation reads it only under geo-DNS).
        assert_eq!(affected("ttl"), vec![Service::XmppInbound]);
        // Clients: remote access only.
        assert_eq!(affected("detect"), vec![Service::RemoteAccess]);
        // The route: outbound federation only.
        assert_eq!(affected("route"), vec![Service::FederationOutbound]);
        // A server more: every service reads whether the pool is up.
        assert_eq!(affected("servers"), Service::ALL.to_vec());
        assert!(affected("base").is_empty());
        // Equal federation priorities: partners' choice changes, but not the order in
        // which the administrator considers pools for the route and the gateway (edge-a
        // keeps coming first: same weight, first in the file).
        assert_eq!(affected("equal"), vec![Service::FederationInbound]);
        // A next hop cuts Edge pools off for every service (rule D2), and with recovery
        // every service reads how long a failover takes.
        assert_eq!(affected("next-hop"), Service::ALL.to_vec());
        let loaded = crate::scenario::load_str("inputs.toml", BASE).expect("valid");
        let layout = |name: &str| {
            let layouts = &loaded.scenario.layouts;
            layouts.iter().find(|t| t.layout_name == name).unwrap()
        };
        for service in Service::ALL {
            assert_ne!(
                service_inputs(layout("next-hop"), service),
                service_inputs(layout("next-hop-slower"), service)
            );
        }
    }
}
