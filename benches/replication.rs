//! Single-thread speed of one replication-year of every shipped scenario, per layout:
//! `cargo bench --bench replication`. Replication-years per second = 1 / (time per
//! iteration); the events each takes are counted by tests/integration/event_counts.rs.
//!
//! The same run also times a bare event loop (the hold model of `benches/engine.rs`:
//! a `BinaryHeap` of 16 integer times, one pop, one push and one exponential draw per
//! step), and prints each scenario's mean events per replication-year, so that the cost
//! per event and its ratio to the bare loop's come from one run on one machine state:
//! cost per event = time per replication-year ÷ events per replication-year.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use edgesim::engine::rng::{Purpose, Stream};
use edgesim::model::{NoObserver, simulate_replication};

/// Steps of the bare loop per iteration.
const BARE_STEPS: u64 = 10_000;

/// The hold model on a bare `BinaryHeap`: `BARE_STEPS` steps with 16 pending events.
fn bare_loop() -> u64 {
    let mut stream = Stream::new(1, 0, 0, Purpose::Failures);
    let mut draw = || (-3_600e6 * libm::log(stream.open01())) as u64;
    let mut heap: BinaryHeap<Reverse<u64>> = (0..16).map(|_| Reverse(draw())).collect();
    let mut last = 0;
    for _ in 0..BARE_STEPS {
        let Reverse(now) = heap.pop().expect("the hold model keeps its size");
        heap.push(Reverse(now + draw()));
        last = now;
    }
    last
}

/// Mean events per replication-year of `topology` over replications 1 to 100.
fn mean_events(
    topology: &edgesim::topology::Topology,
    simulation: &edgesim::topology::Simulation,
) -> f64 {
    let total: u64 = (1..=100)
        .map(|r| simulate_replication(topology, simulation, r, &mut NoObserver).events)
        .sum();
    total as f64 / 100.0
}

fn replication_years(c: &mut Criterion) {
    c.bench_function(
        &format!("bare event loop, {BARE_STEPS} steps (per step: time / {BARE_STEPS})"),
        |b| b.iter(bare_loop),
    );
    for (name, text) in [
        (
            "contoso-three-site",
            include_str!("../scenarios/contoso-three-site.toml"),
        ),
        (
            "two-site-minimal",
            include_str!("../scenarios/two-site-minimal.toml"),
        ),
        (
            "large-enterprise",
            include_str!("../scenarios/large-enterprise.toml"),
        ),
    ] {
        let scenario = edgesim::scenario::load_str(name, text).unwrap().scenario;
        for topology in &scenario.layouts {
            eprintln!(
                "{name}, {}: {:.1} events per replication-year",
                topology.layout_name,
                mean_events(topology, &scenario.simulation)
            );
            let mut replication = 0u64;
            c.bench_function(
                &format!("one replication-year of {name}, {}", topology.layout_name),
                |b| {
                    b.iter(|| {
                        replication += 1;
                        simulate_replication(
                            black_box(topology),
                            &scenario.simulation,
                            replication,
                            &mut NoObserver,
                        )
                    })
                },
            );
        }
    }
}

criterion_group!(benches, replication_years);
criterion_main!(benches);
