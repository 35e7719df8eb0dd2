//! `edgesim explore`'s search: `cargo bench --bench explore`.
//!
//! Before timing, it prints the replications each search spends against exhaustive
//! evaluation at equal confidence: every candidate run to the replications the search's
//! last stage needed (an exhaustive evaluation cannot know in advance which comparisons
//! are hard, so it must give every candidate that many), and against every candidate run
//! to the scenario's replications.
//!
//! - A space with a best known by construction (the integration test's): 6 candidates,
//!   at most 160 replications each, 20 seeds.
//! - The built-in example's `[explore]`: 54 candidates under 3 assumptions, at most 2,000
//!   replications, with and without its remote-access target.

use criterion::{Criterion, criterion_group, criterion_main};
use edgesim::explore::{SearchOptions, SearchResults, candidate_cells, candidates, search};
use edgesim::scenario::{LoadedScenario, load_str};

const CONTOSO: &str = include_str!("../scenarios/contoso-three-site.toml");

/// The integration test's space: Amsterdam's and Redmond's pools fail every 60 days for
/// 2 days, Dublin's servers every 30 days for a day; routes × Dublin's server count.
fn known_best() -> String {
    let end = CONTOSO.find("# What the world may do").unwrap();
    let often = "failures = { edge_pool = { time_to_failure = \"60d\", time_to_repair = \"2d\" } }";
    let text = CONTOSO[..end]
        .replace("next_hop = \"fe-amsterdam\"\n", &format!("next_hop = \"fe-amsterdam\"\n{often}\n"))
        .replace("next_hop = \"fe-redmond\"\n", &format!("next_hop = \"fe-redmond\"\n{often}\n"))
        .replace(
            "next_hop = \"fe-dublin\"\n",
            "next_hop = \"fe-dublin\"\nfailures = { server = { time_to_failure = \"30d\", time_to_repair = \"1d\" } }\n",
        );
    format!(
        "{text}\n[explore]\nroute = [\"edge-amsterdam\", \"edge-redmond\", \"edge-dublin\"]\nservers = {{ edge-dublin = [1, 2] }}\n"
    )
}

fn prepared(
    text: &str,
) -> (
    LoadedScenario,
    Vec<edgesim::explore::Candidate>,
    Vec<Vec<edgesim::topology::Topology>>,
) {
    let loaded = load_str("bench.toml", text).unwrap();
    let all = candidates(
        loaded.explore.as_ref().unwrap(),
        &loaded.scenario.layouts[0],
    );
    let explored = loaded.scenario.layouts[0].layout_name.clone();
    let cells = candidate_cells(&loaded, &explored, &all).unwrap();
    (loaded, all, cells)
}

fn options(loaded: &LoadedScenario) -> SearchOptions {
    let space = loaded.explore.as_ref().unwrap();
    SearchOptions {
        criterion: space.criterion,
        budget_replication_years: space.budget_replication_years,
        ..SearchOptions::default()
    }
}

/// One search of a prepared space.
fn search_once(
    (loaded, all, cells): &(
        LoadedScenario,
        Vec<edgesim::explore::Candidate>,
        Vec<Vec<edgesim::topology::Topology>>,
    ),
) -> SearchResults {
    search(
        &loaded.scenario,
        cells.clone(),
        all.clone(),
        &options(loaded),
    )
    .unwrap()
}

fn describe(name: &str, found: &[SearchResults], cap: u64) {
    let count = found[0].outcomes.len() as u64;
    let spent: u64 = found.iter().map(|f| f.replications_spent).sum();
    let equal: u64 = found
        .iter()
        .map(|f| count * f.stages.last().copied().unwrap_or(0))
        .sum();
    let full = count * cap * found.len() as u64;
    println!(
        "{name}: {} search(es) of {count} candidates spent {spent} replications: {:.3} of exhaustive evaluation at equal confidence ({equal}), {:.3} of every candidate to {cap} ({full})",
        found.len(),
        spent as f64 / equal as f64,
        spent as f64 / full as f64
    );
}

fn searches(c: &mut Criterion) {
    let mut known = prepared(&known_best());
    known.0.scenario.simulation.replications = 160;
    let found: Vec<SearchResults> = (1..=20)
        .map(|seed| {
            known.0.scenario.simulation.seed = seed;
            search_once(&known)
        })
        .collect();
    describe("known best", &found, 160);
    let mut group = c.benchmark_group("explore");
    group.sample_size(10);
    group.bench_function("known best, 6 candidates, at most 160 replications", |b| {
        b.iter(|| search_once(&known))
    });

    let end = CONTOSO.find("# A candidate is recommended only").unwrap();
    let costs = CONTOSO.find("# Yearly costs").unwrap();
    let without_target = format!("{}{}", &CONTOSO[..end], &CONTOSO[costs..]);
    for (name, text) in [
        ("built-in example", CONTOSO.to_string()),
        ("built-in example without its target", without_target),
    ] {
        let space = prepared(&text);
        let replications = space.0.scenario.simulation.replications;
        describe(name, &[search_once(&space)], replications);
        group.bench_function(format!("{name}, 54 candidates × 3 assumptions"), |b| {
            b.iter(|| search_once(&space))
        });
    }
    group.finish();
}

criterion_group!(benches, searches);
criterion_main!(benches);
