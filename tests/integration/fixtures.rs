//! Scenarios and helpers shared by the behaviour modules.

use edgesim::model::services::Service;
use edgesim::model::{NoObserver, simulate_replication};
use edgesim::scenario::load_str;
use edgesim::topology::{Simulation, Topology};

/// Two sites "a" and "b"; FE pool fe-a at "a" with `remote` remote users (and three times
/// as many users), associated with edge-a; Edge pools edge-a (`servers_a` servers,
/// remote-access priority 10) and edge-b (`servers_b`, priority 20); a 7-day horizon and
/// one replication. `dns` adds keys under `[dns]`; `rest` appends any other tables.
pub fn two_sites(remote: u64, servers_a: u32, servers_b: u32, dns: &str, rest: &str) -> String {
    format!(
        r#"
name = "two sites"
[simulation]
horizon = "7d"
replications = 1
[[sites]]
id = "a"
[[sites]]
id = "b"
[[front_end_pools]]
id = "fe-a"
site = "a"
users = {users}
remote_users = {remote}
edge_pool = "edge-a"
[[edge_pools]]
id = "edge-a"
site = "a"
servers = {servers_a}
internal_fqdn = "int.a.example.com"
external_fqdn = "sip.a.example.com"
[[edge_pools]]
id = "edge-b"
site = "b"
servers = {servers_b}
internal_fqdn = "int.b.example.com"
external_fqdn = "sip.b.example.com"
[dns]
remote_access = [ {{ target = "edge-a", priority = 10, weight = 100 }},
                  {{ target = "edge-b", priority = 20, weight = 100 }} ]
{dns}
{rest}
"#,
        users = remote.max(1) * 3,
    )
}

/// A 6-hour outage of edge-a starting at 1 day.
pub const SIX_HOURS_OF_EDGE_A: &str =
    "[[outages]]\ntarget = \"edge-a\"\nstart = \"1d\"\nduration = \"6h\"\n";

/// edge-a down 6 h from 1 d with fixed client delays: each remote user of fe-a loses
/// 30 s to notice plus 20 s on the dead edge-a, in every one of `replications`.
pub fn fifty_second_loss(replications: u64) -> String {
    two_sites(
        1000,
        2,
        2,
        "",
        &format!("[clients]\ndetect = \"30s\"\nconnect_timeout = \"20s\"\n{SIX_HOURS_OF_EDGE_A}"),
    )
    .replace(
        "replications = 1",
        &format!("replications = {replications}"),
    )
}

/// Loads scenario text that must be valid; returns its first layout and settings.
pub fn load(text: &str) -> (Topology, Simulation) {
    let loaded = match load_str("test.toml", text) {
        Ok(loaded) => loaded,
        Err(error) => panic!("{error}"),
    };
    let mut scenario = loaded.scenario;
    (scenario.layouts.remove(0), scenario.simulation)
}

/// Mean and standard error, over replications 0..`replications`, of one minus the
/// availability of `service` (scope all).
pub fn unavailability(text: &str, service: Service, replications: u64) -> (f64, f64) {
    let (topology, simulation) = load(text);
    let samples: Vec<f64> = (0..replications)
        .map(|r| {
            let result = simulate_replication(&topology, &simulation, r, &mut NoObserver);
            1.0 - result
                .service(service)
                .expect("configured")
                .availability(None, result.horizon)
        })
        .collect();
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let variance = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}
