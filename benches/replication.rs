//! Single-thread speed of one replication-year of every shipped scenario, per layout:
//! `cargo bench --bench replication`. Replication-years per second = 1 / (time per
//! iteration); the events each takes are counted by tests/integration/event_counts.rs.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use edgesim::model::{NoObserver, simulate_replication};

fn replication_years(c: &mut Criterion) {
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
