//! Scenario bytes: loading and validating must never panic, hang or exhaust memory, and
//! whatever loads must simulate. Horizons are cut to a week so one input stays fast.
#![no_main]

use edgesim::model::{NoObserver, simulate_replication};
use edgesim::time::SimDuration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match edgesim::scenario::load_bytes("fuzz.toml", data) {
        Ok(loaded) => {
            let _ = loaded.summary();
            let _ = loaded.rendered_warnings();
            let mut simulation = loaded.scenario.simulation;
            simulation.horizon = simulation.horizon.min(SimDuration::from_hours(7 * 24));
            for topology in loaded.scenario.layouts.iter().take(2) {
                let result = simulate_replication(topology, &simulation, 0, &mut NoObserver);
                for service in &result.services {
                    let availability = service.availability(None, result.horizon);
                    assert!((0.0..=1.0).contains(&availability), "{availability}");
                }
            }
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});
