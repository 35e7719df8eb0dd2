//! No input makes edgesim panic: every one-line mutation of a valid scenario either loads
//! or is refused with errors, and every mutation that loads simulates a replication.

use std::panic::{AssertUnwindSafe, catch_unwind};

use edgesim::model::{NoObserver, simulate_replication};
use edgesim::scenario::load_str;

use crate::project_path;

/// Values that stress types, signs, ranges and units.
const VALUES: [&str; 12] = [
    "-1",
    "0",
    "\"\"",
    "1e308",
    "[]",
    "{}",
    "\"0s\"",
    "9223372036854775807",
    "true",
    "\"1000y\"",
    "\"edge-b\"",
    "{ dist = \"uniform\", min = \"0s\", max = \"0s\" }",
];

#[test]
fn no_one_line_mutation_of_a_valid_scenario_panics() {
    let base = std::fs::read_to_string(project_path("tests/valid-base.toml")).unwrap();
    let lines: Vec<&str> = base.lines().collect();
    let mut mutants = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let mut without = lines.clone();
        without.remove(i);
        mutants.push(without.join("\n"));
        if let Some((key, _)) = line.split_once(" = ") {
            for value in VALUES {
                let mut changed = lines.clone();
                let replacement = format!("{key} = {value}");
                changed[i] = &replacement;
                mutants.push(changed.join("\n"));
            }
        }
    }
    assert!(mutants.len() > 300, "only {} mutants", mutants.len());
    let mut loaded = 0;
    for (n, text) in mutants.iter().enumerate() {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if let Ok(scenario) = load_str("mutant.toml", text) {
                let mut simulation = scenario.scenario.simulation;
                // A short horizon keeps the test fast; a zero one is refused at load.
                simulation.horizon = simulation
                    .horizon
                    .min(edgesim::time::SimDuration::from_hours(24 * 30));
                for topology in &scenario.scenario.layouts {
                    simulate_replication(topology, &simulation, 0, &mut NoObserver);
                }
                true
            } else {
                false
            }
        }));
        match outcome {
            Ok(true) => loaded += 1,
            Ok(false) => {}
            Err(_) => panic!("mutant {n} panicked:\n{text}"),
        }
    }
    // Some mutations are harmless (e.g. another valid Edge pool name): they must run.
    assert!(loaded > 10, "only {loaded} mutants loaded");
}
