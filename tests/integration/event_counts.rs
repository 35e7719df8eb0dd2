//! A regression guard on speed that times nothing: the events a replication-year of each
//! shipped scenario and layout takes, against the figures committed in
//! `tests/event-counts.csv`. A change that makes the simulator do more than 10% more work
//! fails here; one that makes it do less prints the new figures to commit.

use std::collections::BTreeMap;
use std::fs;

use edgesim::model::{NoObserver, simulate_replication};

use crate::project_path;

/// Replications averaged per scenario: enough for a stable mean, few enough to be quick.
fn replications_of(scenario: &str) -> u64 {
    if scenario == "large-enterprise" {
        4
    } else {
        40
    }
}

/// Events per replication-year (mean over the first replications), per scenario and layout.
fn measured() -> BTreeMap<(String, String), f64> {
    let mut counts = BTreeMap::new();
    let mut files: Vec<_> = fs::read_dir(project_path("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let scenario = edgesim::scenario::load_file(&path).unwrap().scenario;
        let replications = replications_of(&stem);
        let years =
            scenario.simulation.horizon.as_micros() as f64 / edgesim::time::MICROS_PER_YEAR as f64;
        for topology in &scenario.layouts {
            let events: u64 = (0..replications)
                .map(|r| {
                    simulate_replication(topology, &scenario.simulation, r, &mut NoObserver).events
                })
                .sum();
            counts.insert(
                (stem.clone(), topology.cell_label()),
                events as f64 / replications as f64 / years,
            );
        }
    }
    counts
}

#[test]
fn events_per_replication_year_do_not_grow() {
    let measured = measured();
    let listing: String = measured
        .iter()
        .map(|((scenario, layout), events)| format!("{scenario},{layout},{events:.1}\n"))
        .collect();
    let committed_text =
        fs::read_to_string(project_path("tests/event-counts.csv")).unwrap_or_default();
    let mut committed = BTreeMap::new();
    for line in committed_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("scenario,"))
    {
        let fields: Vec<&str> = line.split(',').collect();
        committed.insert(
            (fields[0].to_string(), fields[1].to_string()),
            fields[2].parse::<f64>().unwrap(),
        );
    }
    let mut grown = Vec::new();
    for (key, &events) in &measured {
        let Some(&figure) = committed.get(key) else {
            grown.push(format!("{}/{}: no committed figure", key.0, key.1));
            continue;
        };
        if events > figure * 1.10 {
            grown.push(format!(
                "{}/{}: {events:.1} events per replication-year, committed {figure:.1}",
                key.0, key.1
            ));
        } else if events < figure - 0.05 {
            eprintln!(
                "{}/{}: {events:.1} events per replication-year, committed {figure:.1}: commit the lower figure",
                key.0, key.1
            );
        }
    }
    assert!(
        grown.is_empty(),
        "more work per replication-year than committed:\n{}\nmeasured (scenario,layout,events):\n{listing}",
        grown.join("\n")
    );
}
