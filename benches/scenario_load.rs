//! How long it takes to load and check a scenario: parsing, layout merging, resolution
//! and warnings. Run with `cargo bench --bench scenario_load`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

const LARGE_ENTERPRISE: &str = include_str!("../scenarios/large-enterprise.toml");
const CONTOSO: &str = include_str!("../scenarios/contoso-three-site.toml");

fn load(c: &mut Criterion) {
    c.bench_function("load large-enterprise.toml (14 sites, 2 layouts)", |b| {
        b.iter(|| {
            edgesim::scenario::load_str("large-enterprise.toml", black_box(LARGE_ENTERPRISE))
                .unwrap()
        })
    });
    c.bench_function("load contoso-three-site.toml (3 sites, 3 layouts)", |b| {
        b.iter(|| {
            edgesim::scenario::load_str("contoso-three-site.toml", black_box(CONTOSO)).unwrap()
        })
    });
}

criterion_group!(benches, load);
criterion_main!(benches);
