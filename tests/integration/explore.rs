//! `edgesim explore`'s decision space (docs/scenario.md, "explore"): `[explore]` and
//! `[costs]` read and checked against the baseline layout, `[objective] targets`, and the
//! candidates, each a set of edits by id that a `[[layouts]]` entry can write.

use edgesim::explore::{candidates, materialise};
use edgesim::model::inputs::service_inputs;
use edgesim::model::{NoObserver, simulate_replication};
use edgesim::scenario::load_str;
use edgesim::vocabulary::Service;

/// The built-in example's layouts with `tables` appended.
fn contoso_with(tables: &str) -> String {
    format!("{}\n{tables}", crate::contoso_layouts_text())
}

const SPACE: &str = "[explore]\nreorder = [\"dns.remote_access\"]\nroute = [\"edge-dublin\", \"edge-amsterdam\"]\nservers = { edge-redmond = [2, 3] }\nbudget = 40000\n\n[costs]\nunit = \"kEUR\"\nedge_server = 12\nedge_pool = 5\nsite = 30\n\n[objective.targets]\nremote_access = \"99.95%\"\nfederation_inbound = 0.999\n";

#[test]
fn a_space_is_read_and_makes_every_combination_once() {
    let text = contoso_with(SPACE);
    let loaded = load_str("space.toml", &text).unwrap();
    let space = loaded.explore.as_ref().unwrap();
    assert_eq!(space.budget_replication_years, Some(40_000));
    let costs = loaded.costs.as_ref().unwrap();
    assert_eq!(costs.unit, "kEUR");
    // Three sites, three pools of two servers: 6 × 12 + 3 × 5 + 3 × 30 = 177.
    assert_eq!(costs.of(&loaded.scenario.layouts[0]), 177.0);
    let targets = &loaded.scenario.objective.as_ref().unwrap().targets;
    assert_eq!(
        targets,
        &vec![
            (Service::RemoteAccess, 0.9995),
            (Service::FederationInbound, 0.999)
        ]
    );
    // 3! remote-access orders × 2 routes × 2 server counts.
    let all = candidates(space, &loaded.scenario.layouts[0]);
    assert_eq!(all.len(), 24);
    assert_eq!(all[0].name, "c01");
    assert_eq!(
        all[0].changes,
        "remote-access SRV order edge-dublin > edge-amsterdam > edge-redmond; route edge-dublin; edge-redmond 2 servers"
    );
    assert_eq!(
        all[23].changes,
        "remote-access SRV order edge-redmond > edge-amsterdam > edge-dublin; route edge-amsterdam; edge-redmond 3 servers"
    );
    let mut changes: Vec<&str> = all.iter().map(|c| c.changes.as_str()).collect();
    changes.sort_unstable();
    changes.dedup();
    assert_eq!(changes.len(), 24, "each combination once");
}

#[test]
fn a_candidate_written_as_a_layout_runs_as_the_candidate() {
    let text = contoso_with(SPACE);
    let loaded = load_str("space.toml", &text).unwrap();
    let all = candidates(
        loaded.explore.as_ref().unwrap(),
        &loaded.scenario.layouts[0],
    );
    for candidate in [&all[0], &all[9], &all[23]] {
        let cells = materialise("space.toml", &text, candidate).unwrap();
        assert_eq!(cells.len(), 1);
        let cell = &cells[0];
        assert_eq!(cell.layout_name, candidate.name);
        // The entry appended to the scenario, loaded as a layout of its own.
        let written = format!("{text}\n{}", candidate.layout_entry());
        let written = load_str("written.toml", &written).unwrap_or_else(|e| panic!("{e}"));
        let layout = written
            .scenario
            .layouts
            .iter()
            .find(|t| t.layout_name == candidate.name)
            .unwrap();
        for service in Service::ALL {
            assert_eq!(
                service_inputs(cell, service),
                service_inputs(layout, service)
            );
        }
        let simulation = loaded.scenario.simulation;
        for replication in 0..5 {
            let a = simulate_replication(cell, &simulation, replication, &mut NoObserver);
            let b = simulate_replication(layout, &simulation, replication, &mut NoObserver);
            assert!(a == b, "{} replication {replication}", candidate.name);
        }
    }
    // The last candidate: edge-redmond first at priority 10, the route in Amsterdam and
    // three servers in Redmond.
    let cell = &materialise("space.toml", &text, &all[23]).unwrap()[0];
    let redmond = cell
        .edge_pools
        .iter()
        .position(|p| p.id == "edge-redmond")
        .unwrap();
    assert_eq!(cell.edge_pools[redmond].servers, 3);
    assert_eq!(cell.dns.remote_access.records()[0].target.index(), redmond);
    assert_eq!(cell.dns.remote_access.records()[0].priority, 10);
    let amsterdam = cell
        .edge_pools
        .iter()
        .position(|p| p.id == "edge-amsterdam")
        .unwrap();
    assert_eq!(
        cell.federation.outbound_route.map(|p| p.index()),
        Some(amsterdam)
    );
}

#[test]
fn mistakes_in_a_space_name_the_key_and_what_to_change() {
    for (tables, key, words) in [
        (
            "[explore]\nroute = [\"edge-paris\"]\n",
            "explore.route",
            "no Edge pool \"edge-paris\" in the layout explored",
        ),
        (
            "[explore]\nreorder = [\"dns.xmpp\"]\n",
            "explore.reorder[0]",
            "not an SRV list edgesim can reorder",
        ),
        (
            "[explore]\nservers = { edge-dublin = [4, 2] }\n",
            "explore.servers.edge-dublin",
            "the range [4, 2] is empty",
        ),
        ("[explore]\nbudget = 10\n", "explore", "lets nothing change"),
        (
            "[explore]\nservers = { edge-dublin = [1, 20], edge-amsterdam = [1, 20], edge-redmond = [1, 20] }\n",
            "explore",
            "the space holds 8000 candidates; at most 5000",
        ),
        (
            "[costs]\nedge_server = -1\n",
            "costs.edge_server",
            "is not allowed here",
        ),
        (
            "[objective.targets]\nremote_access = \"100%\"\n",
            "objective.targets.remote_access",
            "not an availability",
        ),
        (
            "[[layouts]]\nname = \"x\"\nexplore = { route = [\"edge-dublin\"] }\n",
            "layouts[4].explore",
            "",
        ),
    ] {
        let error = load_str("bad.toml", &contoso_with(tables))
            .err()
            .unwrap_or_else(|| panic!("{tables} loads"))
            .to_string();
        assert!(error.contains(key), "{key}: {error}");
        assert!(error.contains(words), "{words}: {error}");
        assert!(error.contains("help"), "{error}");
    }
}

#[test]
fn the_search_finds_a_best_known_by_construction_and_spends_less_than_every_candidate_in_full() {
    // Amsterdam's and Redmond's Edge pools are held down for 30 days of every year: the
    // federation route belongs in Dublin, by about 30 days × 90,000 users of outbound
    // federation. The search must name it under every seed, and stop before running
    // every candidate to the scenario's replications.
    let tables = "[explore]\nroute = [\"edge-amsterdam\", \"edge-redmond\", \"edge-dublin\"]\n\n\
                  [[outages]]\ntarget = \"edge-amsterdam\"\nstart = \"100d\"\nduration = \"30d\"\n\n\
                  [[outages]]\ntarget = \"edge-redmond\"\nstart = \"200d\"\nduration = \"30d\"\n";
    let text = contoso_with(tables);
    for seed in 1..=5u64 {
        let mut loaded = load_str("route.toml", &text).unwrap();
        loaded.scenario.simulation.seed = seed;
        loaded.scenario.simulation.replications = 160;
        let all = candidates(
            loaded.explore.as_ref().unwrap(),
            &loaded.scenario.layouts[0],
        );
        let topologies: Vec<_> = all
            .iter()
            .map(|c| materialise("route.toml", &text, c).unwrap().remove(0))
            .collect();
        let found = edgesim::explore::search(
            &loaded.scenario,
            topologies,
            all,
            &edgesim::explore::SearchOptions::default(),
        )
        .unwrap();
        let best = &found.outcomes[found.selected[0]];
        assert_eq!(best.candidate.changes, "route edge-dublin", "seed {seed}");
        assert_eq!(found.selected.len(), 1, "seed {seed}");
        // The other routes are eliminated along the way (each with the stage it ended).
        for outcome in &found.outcomes {
            if outcome.candidate.changes != "route edge-dublin" {
                assert!(
                    matches!(outcome.status, edgesim::explore::Status::Eliminated { .. }),
                    "seed {seed}: {:?}",
                    outcome.status
                );
            }
        }
        assert!(
            found.replications_spent < 3 * 160,
            "seed {seed}: {} replications",
            found.replications_spent
        );
    }
}

#[test]
fn a_search_does_not_depend_on_the_threads() {
    let tables = "[explore]\nreorder = [\"dns.remote_access\"]\nroute = [\"edge-dublin\", \"edge-amsterdam\"]\n";
    let text = contoso_with(tables);
    let mut loaded = load_str("space.toml", &text).unwrap();
    loaded.scenario.simulation.replications = 40;
    let all = candidates(
        loaded.explore.as_ref().unwrap(),
        &loaded.scenario.layouts[0],
    );
    let topologies: Vec<_> = all
        .iter()
        .map(|c| materialise("space.toml", &text, c).unwrap().remove(0))
        .collect();
    let run = |threads: usize| {
        let found = edgesim::explore::search(
            &loaded.scenario,
            topologies.clone(),
            all.clone(),
            &edgesim::explore::SearchOptions {
                threads: Some(threads),
                ..edgesim::explore::SearchOptions::default()
            },
        )
        .unwrap();
        let outcomes: Vec<String> = found
            .outcomes
            .iter()
            .map(|o| {
                format!(
                    "{} {:?} {} {}",
                    o.candidate.name, o.status, o.replications, o.score_user_min_per_year
                )
            })
            .collect();
        (outcomes, found.selected, found.replications_spent)
    };
    assert_eq!(run(1), run(2));
}
