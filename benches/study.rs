//! Whole studies: `cargo bench --bench study`.
//!
//! - Throughput on 1 and 2 threads: 200 replications of every layout of
//!   contoso-three-site.toml (600 replication-years per iteration).
//! - End to end, as `edgesim run -n 10000 -q --no-charts` does it (simulate, stream
//!   runs.csv, export every file, commit the folder), with and without runs.csv: 30,000
//!   replication-years per iteration, on all cores.

use criterion::{Criterion, criterion_group, criterion_main};
use edgesim::commands::{RunOptions, Silent};
use edgesim::montecarlo::{Shard, run};

fn throughput(c: &mut Criterion) {
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

fn end_to_end(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("run -n 10000 of contoso-three-site, end to end");
    group.sample_size(10);
    for runs in [true, false] {
        let name = if runs { "with runs.csv" } else { "--no-runs" };
        let mut iteration = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                iteration += 1;
                let options = RunOptions {
                    replications: Some(10_000),
                    output: Some(dir.path().join(format!("{name}-{iteration}"))),
                    charts: false,
                    runs,
                    ..RunOptions::default()
                };
                edgesim::commands::run(&options, &mut Silent).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, throughput, end_to_end);
criterion_main!(benches);
