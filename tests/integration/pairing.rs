//! Front End pool pairing and Edge next hops in the scenario (docs/model.md, rules D1 and
//! D2): read, resolved both ways, refused where they cannot be, warned where weak.

use edgesim::scenario::{LoadedScenario, load_str};
use edgesim::topology::{FrontEndPoolIndex, Topology};

/// The malformed-test base with a second FE pool at the other site, changed by `edit`.
fn scenario(edit: impl Fn(String) -> String) -> Result<LoadedScenario, String> {
    let base = include_str!("../valid-base.toml").replace(
        "[[edge_pools]]\nid = \"edge-east\"",
        "[[front_end_pools]]\nid = \"fe-west\"\nsite = \"west\"\nusers = 20000\nremote_users = 2000\nedge_pool = \"edge-west\"\n\n[[edge_pools]]\nid = \"edge-east\"",
    );
    load_str("pairing.toml", &edit(base)).map_err(|e| e.to_string())
}

fn first(loaded: &LoadedScenario) -> &Topology {
    &loaded.scenario.layouts[0]
}

fn warnings(loaded: &LoadedScenario) -> Vec<(Option<&'static str>, String)> {
    loaded
        .warnings
        .iter()
        .map(|w| (w.rule, w.message.clone()))
        .collect()
}

#[test]
fn a_backup_written_on_one_side_pairs_both_pools() {
    let loaded = scenario(|s| {
        s.replace(
            "edge_pool = \"edge-east\"\n",
            "edge_pool = \"edge-east\"\nbackup = \"fe-west\"\n",
        )
    })
    .unwrap();
    let pools = &first(&loaded).front_end_pools;
    assert_eq!(pools[0].backup, Some(FrontEndPoolIndex(1)));
    assert_eq!(pools[1].backup, Some(FrontEndPoolIndex(0)));
    // Written on both sides, naming each other: the same pair.
    let both = scenario(|s| {
        s.replace(
            "edge_pool = \"edge-east\"\n",
            "edge_pool = \"edge-east\"\nbackup = \"fe-west\"\n",
        )
        .replace(
            "edge_pool = \"edge-west\"\n",
            "edge_pool = \"edge-west\"\nbackup = \"fe-east\"\n",
        )
    })
    .unwrap();
    assert_eq!(
        first(&both).front_end_pools[1].backup,
        Some(FrontEndPoolIndex(0))
    );
    // Without backup, nothing is paired.
    let none = scenario(|s| s).unwrap();
    assert!(
        first(&none)
            .front_end_pools
            .iter()
            .all(|p| p.backup.is_none())
    );
}

#[test]
fn a_pool_paired_with_itself_or_with_two_pools_or_an_unknown_one_is_refused() {
    let itself = scenario(|s| {
        s.replace(
            "edge_pool = \"edge-east\"\n",
            "edge_pool = \"edge-east\"\nbackup = \"fe-east\"\n",
        )
    })
    .unwrap_err();
    assert!(itself.contains("front_end_pools[0].backup"), "{itself}");
    assert!(itself.contains("fe-east is paired with itself"), "{itself}");

    let two = scenario(|s| {
        s.replace(
            "edge_pool = \"edge-east\"\n",
            "edge_pool = \"edge-east\"\nbackup = \"fe-west\"\n",
        )
        .replace(
            "edge_pool = \"edge-west\"\n",
            "edge_pool = \"edge-west\"\nbackup = \"fe-south\"\n",
        )
        .replace(
            "[[edge_pools]]\nid = \"edge-east\"",
            "[[sites]]\nid = \"south\"\n\n[[front_end_pools]]\nid = \"fe-south\"\nsite = \"south\"\nusers = 100\nremote_users = 10\nedge_pool = \"edge-west\"\n\n[[edge_pools]]\nid = \"edge-east\"",
        )
    })
    .unwrap_err();
    assert!(two.contains("front_end_pools[1].backup"), "{two}");
    assert!(
        two.contains("fe-west is already paired with fe-east"),
        "{two}"
    );

    let unknown = scenario(|s| {
        s.replace(
            "edge_pool = \"edge-east\"\n",
            "edge_pool = \"edge-east\"\nbackup = \"fe-nowhere\"\n",
        )
    })
    .unwrap_err();
    assert!(
        unknown.contains("there is no Front End pool with the id \"fe-nowhere\""),
        "{unknown}"
    );
    let hop = scenario(|s| {
        s.replace(
            "external_fqdn = \"sip.east.example.com\"\n",
            "external_fqdn = \"sip.east.example.com\"\nnext_hop = \"edge-west\"\n",
        )
    })
    .unwrap_err();
    assert!(hop.contains("edge_pools[0].next_hop"), "{hop}");
}

#[test]
fn weak_pairs_and_remote_next_hops_are_warnings() {
    // One site for both pools, 30,000 + 60,000 users, and an Edge pool forwarding to the
    // other site.
    let loaded = scenario(|s| {
        s.replace(
            "edge_pool = \"edge-east\"\n",
            "edge_pool = \"edge-east\"\nbackup = \"fe-west\"\n",
        )
        .replace(
            "site = \"west\"\nusers = 20000",
            "site = \"east\"\nusers = 80000",
        )
        .replace(
            "external_fqdn = \"sip.west.example.com\"\n",
            "external_fqdn = \"sip.west.example.com\"\nnext_hop = \"fe-east\"\n",
        )
    })
    .unwrap();
    let found = warnings(&loaded);
    let has = |rule: &str, words: &str| {
        found
            .iter()
            .any(|(r, m)| *r == Some(rule) && m.contains(words))
    };
    assert!(has("D1", "both at site \"east\""), "{found:#?}");
    assert!(has("D1", "together home 90000 users"), "{found:#?}");
    assert!(
        has(
            "D2",
            "forwards inward to Front End pool \"fe-east\" at site \"east\""
        ),
        "{found:#?}"
    );
    // A sound pair at two sites, within 80,000 users, with local next hops: no warning.
    let sound = scenario(|s| {
        s.replace(
            "edge_pool = \"edge-east\"\n",
            "edge_pool = \"edge-east\"\nbackup = \"fe-west\"\n",
        )
        .replace(
            "external_fqdn = \"sip.west.example.com\"\n",
            "external_fqdn = \"sip.west.example.com\"\nnext_hop = \"fe-west\"\n",
        )
    })
    .unwrap();
    let rules: Vec<_> = warnings(&sound)
        .into_iter()
        .filter(|(r, _)| matches!(r, Some("D1" | "D2")))
        .collect();
    assert!(rules.is_empty(), "{rules:#?}");
    // Without backup or next_hop there is no D warning at all.
    let plain = scenario(|s| s).unwrap();
    assert!(
        warnings(&plain)
            .iter()
            .all(|(r, _)| !matches!(r, Some("D1" | "D2")))
    );
}

#[test]
fn pool_failover_defaults_to_the_documented_30_minutes_and_can_be_set() {
    use edgesim::distribution::Distribution;
    use edgesim::time::SimDuration;
    let plain = scenario(|s| s).unwrap();
    assert_eq!(
        first(&plain).operations.pool_failover,
        Distribution::Fixed(SimDuration::from_micros(30 * 60 * 1_000_000))
    );
    let set = scenario(|s| format!("{s}\n[operations]\npool_failover = \"45m\"\n")).unwrap();
    assert_eq!(
        first(&set).operations.pool_failover,
        Distribution::Fixed(SimDuration::from_micros(45 * 60 * 1_000_000))
    );
    let bad = scenario(|s| format!("{s}\n[operations]\npool_failover = \"soon\"\n")).unwrap_err();
    assert!(bad.contains("operations.pool_failover"), "{bad}");
}
