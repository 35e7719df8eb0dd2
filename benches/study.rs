//! Throughput of a whole study on 1 and 2 threads: `cargo bench --bench study`.
//! Each iteration runs 200 replications of every layout of contoso-three-site.toml
//! (600 replication-years): replication-years per second = 600 / (time per iteration).

use criterion::{Criterion, criterion_group, criterion_main};
use edgesim::montecarlo::{Shard, run};

fn study(c: &mut Criterion) {
    let text = include_str!("../scenarios/contoso-three-site.toml");
    let mut scenario = edgesim::scenario::load_str("contoso-three-site.toml", text)
        .unwrap()
        .scenario;
    scenario.simulation.replications = 200;
    let mut group = c.benchmark_group("600 replication-years of contoso-three-site");
    group.sample_size(10);
    for threads in [1, 2] {
        group.bench_function(format!("{threads} thread(s)"), |b| {
            b.iter(|| run(&scenario, Shard::WHOLE, Some(threads), |_, _| Ok(())).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, study);
criterion_main!(benches);
