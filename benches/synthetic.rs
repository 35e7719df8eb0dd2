//! Cost per event as topologies grow: `cargo bench --bench synthetic`.
//!
//! A synthetic enterprise of N sites, each with one Front End pool (10,000 users, 3,000
//! remote) and one Edge pool of 2 servers; remote-access SRV records in three priority
//! tiers; usual failure figures; a 30-day horizon. N = 3, 30 and 300. Criterion reports the
//! time of one 30-day replication; the events it takes are printed first, so time per
//! event = time / events. (1,000 and 3,000 pools are left out while a replication there
//! takes minutes: see docs/performance.md.)

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use edgesim::model::{NoObserver, simulate_replication};

/// The scenario text of a synthetic enterprise with `pools` sites and Edge pools.
pub fn synthetic_scenario(pools: usize) -> String {
    let mut text = format!(
        "name = \"synthetic, {pools} Edge pools\"\n[simulation]\nhorizon = \"30d\"\nreplications = 100\nseed = 1\n"
    );
    for i in 0..pools {
        let _ = write!(
            text,
            "[[sites]]\nid = \"s{i}\"\n[[front_end_pools]]\nid = \"fe-{i}\"\nsite = \"s{i}\"\nusers = 10000\nremote_users = 3000\nedge_pool = \"edge-{i}\"\n[[edge_pools]]\nid = \"edge-{i}\"\nsite = \"s{i}\"\nservers = 2\ninternal_fqdn = \"int.edge-{i}.example.com\"\nexternal_fqdn = \"sip.edge-{i}.example.com\"\n"
        );
    }
    let records: Vec<String> = (0..pools)
        .map(|i| {
            format!(
                "{{ target = \"edge-{i}\", priority = {}, weight = 100 }}",
                10 + 10 * (i % 3)
            )
        })
        .collect();
    let _ = write!(
        text,
        "[dns]\nremote_access = [ {} ]\nfederation = [ {{ target = \"edge-0\", priority = 10, weight = 0 }}, {{ target = \"edge-1\", priority = 20, weight = 0 }} ]\n",
        records.join(", ")
    );
    text.push_str(
        "[federation]\noutbound_route = \"edge-0\"\nxmpp_gateway = \"edge-1\"\n\
         [failures]\n\
         server = { time_to_failure = \"1y\", time_to_repair = { dist = \"lognormal\", median = \"2h\", p95 = \"12h\" } }\n\
         edge_pool = { time_to_failure = \"8mo\", time_to_repair = \"4h\" }\n\
         site = { time_to_failure = \"20y\", time_to_repair = { dist = \"uniform\", min = \"1d\", max = \"7d\" } }\n",
    );
    text.replace("\"8mo\"", "\"240d\"")
}

fn cost_per_event(c: &mut Criterion) {
    let mut group = c.benchmark_group("one 30-day replication of a synthetic enterprise");
    group.sample_size(10);
    for pools in [3usize, 30, 300] {
        let text = synthetic_scenario(pools);
        let scenario = edgesim::scenario::load_str("synthetic.toml", &text)
            .unwrap_or_else(|e| panic!("{e}"))
            .scenario;
        let topology = &scenario.layouts[0];
        let events: u64 = (0..10)
            .map(|r| {
                simulate_replication(topology, &scenario.simulation, r, &mut NoObserver).events
            })
            .sum();
        eprintln!(
            "{pools} Edge pools: {:.0} events per 30-day replication",
            events as f64 / 10.0
        );
        let mut replication = 0u64;
        group.bench_with_input(BenchmarkId::new("Edge pools", pools), &pools, |b, _| {
            b.iter(|| {
                replication += 1;
                simulate_replication(
                    black_box(topology),
                    &scenario.simulation,
                    replication,
                    &mut NoObserver,
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, cost_per_event);
criterion_main!(benches);
