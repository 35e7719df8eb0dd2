//! Regional remote-access answers (rule G1, docs/model.md "Regional answers"): a region's
//! own SRV list, geo-DNS per region, and what validation says about them. Every expected
//! value is derived by hand in the comment above it.

use edgesim::model::metrics::Cause;
use edgesim::model::services::Service;
use edgesim::model::{NoObserver, ReplicationResult, simulate_replication};
use edgesim::scenario::load_str;

use crate::fixtures;
use crate::remote_access::{assert_close, unserved_seconds};

/// Two sites: fe-a (1,000 remote users) at a, fe-b (500) at b; edge-a at a and edge-b at b,
/// two servers each (room for everyone anywhere); one remote-access list for everyone,
/// edge-a first; fixed client timers (notice after 30 s, 20 s per dead target, retry
/// after 5 min); edge-a down for 6 h from day 1; no random failures. `extra` is appended.
fn two_regions(extra: &str) -> String {
    format!(
        r#"
name = "two regions"
[simulation]
horizon = "7d"
replications = 1
[[sites]]
id = "a"
[[sites]]
id = "b"
[[front_end_pools]]
id = "fe-a"
site = "a"
users = 3000
remote_users = 1000
edge_pool = "edge-a"
[[front_end_pools]]
id = "fe-b"
site = "b"
users = 1500
remote_users = 500
edge_pool = "edge-b"
[[edge_pools]]
id = "edge-a"
site = "a"
servers = 2
internal_fqdn = "int.a.example.com"
external_fqdn = "sip.a.example.com"
[[edge_pools]]
id = "edge-b"
site = "b"
servers = 2
internal_fqdn = "int.b.example.com"
external_fqdn = "sip.b.example.com"
[clients]
detect = "30s"
connect_timeout = "20s"
retry = "5m"
[[outages]]
target = "edge-a"
start = "1d"
duration = "6h"
[dns]
ttl = "10m"
remote_access = [ {{ target = "edge-a", priority = 10, weight = 100 }},
                  {{ target = "edge-b", priority = 20, weight = 100 }} ]
{extra}
"#
    )
}

/// Region "west" answers site a's users edge-a first; region "east" answers fe-b's users
/// edge-b first (one region by site, one by FE pool). `answer` is added to west.
fn split(west_answer: &str) -> String {
    two_regions(&format!(
        r#"[[dns.regions]]
id = "west"
sites = ["a"]
{west_answer}
remote_access = [ {{ target = "edge-a", priority = 10, weight = 100 }},
                  {{ target = "edge-b", priority = 20, weight = 100 }} ]
[[dns.regions]]
id = "east"
front_end_pools = ["fe-b"]
remote_access = [ {{ target = "edge-b", priority = 10, weight = 100 }},
                  {{ target = "edge-a", priority = 20, weight = 100 }} ]
"#
    ))
}

fn simulate(text: &str) -> ReplicationResult {
    let (topology, simulation) = fixtures::load(text);
    simulate_replication(&topology, &simulation, 0, &mut NoObserver)
}

#[test]
fn each_region_walks_its_own_list() {
    // One list for everyone: at time 0 both FE pools' users are on edge-a. When it goes
    // down each user notices after 30 s, finds edge-a dead (20 s) and connects to edge-b:
    // 50 s each, 1,000 × 50 = 50,000 user-seconds for fe-a and 500 × 50 = 25,000 for fe-b.
    let one_list = simulate(&two_regions(""));
    assert_close(
        unserved_seconds(&one_list, 0, None),
        50_000.0,
        "fe-a, one list",
    );
    assert_close(
        unserved_seconds(&one_list, 1, None),
        25_000.0,
        "fe-b, one list",
    );
    // By region: fe-b's users are answered edge-b first, so they were never on edge-a and
    // lose nothing; fe-a's users lose their 50 s as before. All of it is client failover,
    // and after edge-a is back its users return to it as they sign in again, losing
    // nothing more.
    let regional = simulate(&split(""));
    assert_close(
        unserved_seconds(&regional, 0, None),
        50_000.0,
        "fe-a, by region",
    );
    assert_close(
        unserved_seconds(&regional, 0, Some(Cause::ClientFailover)),
        50_000.0,
        "fe-a client failover",
    );
    assert_close(unserved_seconds(&regional, 1, None), 0.0, "fe-b, by region");
    // edge-b carried fe-b's 500 from the start and fe-a's 1,000 during the outage.
    assert_close(regional.edge_pools[1].peak_load, 1_500.0, "edge-b peak");
}

#[test]
fn a_geo_dns_region_waits_for_the_health_check_and_the_ttl() {
    // West answers by geo-DNS: its clients are told edge-a only. edge-a goes down at 1 d
    // (t = 0 below). fe-a's users notice at 30 s and try edge-a: dead, 20 s, the walk ends
    // at 50 s; they retry after 5 min: walks at 350 s and 670 s find edge-a again (the
    // health checks see it down at 2 min, the traffic manager answers edge-b, and clients'
    // caches hold edge-a until 2 min + 10 min TTL = 720 s); the walk at 990 s is told
    // edge-b and connects. 990 s × 1,000 users = 990,000 user-seconds: until the traffic
    // manager notices (120 s) it is the DNS design (it names a dead pool while edge-b is
    // up), until the caches expire (600 s more) the DNS cache, then client failover
    // (270 s). fe-b (east, by SRV, edge-b first) loses nothing.
    let geo = simulate(&split("answer = \"geo_dns\"\ngeo_dns_detect = \"2m\""));
    let fe_a = |cause| unserved_seconds(&geo, 0, cause);
    assert_close(fe_a(None), 990_000.0, "fe-a in all");
    assert_close(fe_a(Some(Cause::DnsDesign)), 120_000.0, "fe-a dns design");
    assert_close(fe_a(Some(Cause::DnsCache)), 600_000.0, "fe-a dns cache");
    assert_close(
        fe_a(Some(Cause::ClientFailover)),
        270_000.0,
        "fe-a client failover",
    );
    assert_close(unserved_seconds(&geo, 1, None), 0.0, "fe-b");
    // When edge-a is back the answer returns to it (2 min + TTL later) and fe-a's users
    // move back as they sign in again, without losing service: nothing more is lost, and
    // the whole outage of fe-a is one outage.
    let tally = &geo.service(Service::RemoteAccess).unwrap().per_front_end[0];
    assert_eq!(tally.outages, 1, "{tally:?}");
}

#[test]
fn regions_that_repeat_the_list_change_no_result() {
    // Every site answered by a region whose list is dns.remote_access itself: every FE
    // pool walks, returns and is counted exactly as with the one list, so every
    // replication of every layout of the built-in example is bit-identical.
    let text = crate::contoso_layouts_text();
    let loaded = load_str("contoso.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let base = &loaded.scenario.layouts[0];
    let records: Vec<String> = base
        .dns
        .remote_access
        .records()
        .iter()
        .map(|r| {
            format!(
                "{{ target = \"{}\", priority = {}, weight = {} }}",
                base.edge_pools[r.target.index()].id,
                r.priority,
                r.weight
            )
        })
        .collect();
    let mut regional = text.clone();
    for site in &base.sites {
        regional.push_str(&format!(
            "[[dns.regions]]\nid = \"near-{0}\"\nsites = [\"{0}\"]\nremote_access = [ {1} ]\n",
            site.id,
            records.join(", ")
        ));
    }
    let with_regions = load_str("regional.toml", &regional).unwrap_or_else(|e| panic!("{e}"));
    let simulation = loaded.scenario.simulation;
    for (plain, repeated) in loaded
        .scenario
        .layouts
        .iter()
        .zip(&with_regions.scenario.layouts)
    {
        assert_eq!(repeated.dns.regions.len(), base.sites.len());
        for replication in 0..40 {
            let a = simulate_replication(plain, &simulation, replication, &mut NoObserver);
            let b = simulate_replication(repeated, &simulation, replication, &mut NoObserver);
            assert!(
                a == b,
                "layout {}, replication {replication}",
                plain.layout_name
            );
        }
    }
}

#[test]
fn region_mistakes_are_errors_that_say_what_to_change() {
    let cases = [
        (
            "[[dns.regions]]\nid = \"x\"\nsites = [\"a\"]\nremote_access = [ { target = \"edge-a\", priority = 10, weight = 1 } ]\n[[dns.regions]]\nid = \"y\"\nfront_end_pools = [\"fe-a\"]\nremote_access = [ { target = \"edge-b\", priority = 10, weight = 1 } ]\n",
            "Front End pool \"fe-a\" is in region \"x\" and in region \"y\"",
        ),
        (
            "[[dns.regions]]\nid = \"x\"\nsites = [\"nowhere\"]\nremote_access = [ { target = \"edge-a\", priority = 10, weight = 1 } ]\n",
            "there is no site with the id \"nowhere\"",
        ),
        (
            "[[dns.regions]]\nid = \"x\"\nremote_access = [ { target = \"edge-a\", priority = 10, weight = 1 } ]\n",
            "region \"x\" names no site and no Front End pool",
        ),
        (
            "[[dns.regions]]\nid = \"x\"\nsites = [\"a\"]\n",
            "region \"x\" has no remote_access records",
        ),
        (
            "[[dns.regions]]\nid = \"x\"\nsites = [\"a\"]\nanswer = \"geodns\"\nremote_access = [ { target = \"edge-a\", priority = 10, weight = 1 } ]\n",
            "did you mean \"geo_dns\"?",
        ),
        (
            "[[dns.regions]]\nid = \"x\"\nsites = [\"a\"]\nremote_access = [ { target = \"fe-b\", priority = 10, weight = 1 } ]\n",
            "\"fe-b\" is a Front End pool, not an Edge pool",
        ),
    ];
    for (extra, expected) in cases {
        let error = load_str("regions.toml", &two_regions(extra))
            .err()
            .unwrap_or_else(|| panic!("accepted:\n{extra}"))
            .to_string();
        assert!(error.contains(expected), "{expected}\nnot in\n{error}");
    }
    // Users every region answers need no global list; users no region answers do.
    let without_global = split("").replacen(
        "remote_access = [ { target = \"edge-a\", priority = 10, weight = 100 },\n                  { target = \"edge-b\", priority = 20, weight = 100 } ]\n[[dns.regions]]",
        "[[dns.regions]]",
        1,
    );
    assert!(!without_global.contains("[dns]\nttl = \"10m\"\nremote_access"));
    load_str("covered.toml", &without_global).unwrap_or_else(|e| panic!("{e}"));
    let uncovered = without_global.replace("front_end_pools = [\"fe-b\"]", "front_end_pools = []");
    let error = load_str("uncovered.toml", &uncovered)
        .expect_err("fe-b's users have no list")
        .to_string();
    assert!(
        error.contains("500 remote users (of FE pools no [[dns.regions]] entry answers) but no remote access SRV record"),
        "{error}"
    );
}

#[test]
fn a_region_with_one_pool_is_warned_about() {
    let text = two_regions(
        "[[dns.regions]]\nid = \"solo\"\nsites = [\"a\"]\nremote_access = [ { target = \"edge-a\", priority = 10, weight = 1 } ]\n",
    );
    let loaded = load_str("solo.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let g1: Vec<_> = loaded
        .warnings
        .iter()
        .filter(|w| w.rule == Some("G1"))
        .collect();
    assert_eq!(g1.len(), 1, "{:?}", loaded.warnings);
    assert!(
        g1[0].message.contains(
            "region \"solo\" answers its 1000 remote users with one Edge pool only (\"edge-a\")"
        ),
        "{}",
        g1[0].message
    );
    assert!(
        g1[0].help.as_deref().unwrap_or("").contains("\"edge-b\""),
        "{:?}",
        g1[0].help
    );
    // Two pools: no warning.
    let loaded = load_str("split.toml", &split("")).unwrap_or_else(|e| panic!("{e}"));
    assert!(loaded.warnings.iter().all(|w| w.rule != Some("G1")));
    // A detection delay on a region that answers by SRV list does nothing: a warning (a
    // sweep of it over layouts that answer either way stays possible).
    let loaded =
        load_str("stray.toml", &split("geo_dns_detect = \"1m\"")).unwrap_or_else(|e| panic!("{e}"));
    let g1: Vec<_> = loaded
        .warnings
        .iter()
        .filter(|w| w.rule == Some("G1"))
        .collect();
    assert_eq!(g1.len(), 1, "{:?}", loaded.warnings);
    assert!(
        g1[0]
            .message
            .contains("region \"west\" sets geo_dns_detect but answers by SRV list"),
        "{}",
        g1[0].message
    );
}

#[test]
fn a_region_changes_remote_access_only() {
    // The example's regional layouts change what remote access reads (and the Edge
    // association's candidates, which follow each pool's list) and nothing federation
    // reads: comparison rows say federation is unaffected, and remote access is not.
    let out = tempfile::tempdir().unwrap();
    crate::edgesim()
        .args(["run", "scenarios/regional-answers.toml", "-n", "20", "-o"])
        .arg(out.path())
        .current_dir(crate::root())
        .assert()
        .success();
    let comparison = std::fs::read_to_string(out.path().join("comparison.csv")).unwrap();
    let rows: Vec<&str> = comparison.lines().collect();
    for layout in ["regional-srv", "regional-geo-dns"] {
        for service in ["federation_inbound", "federation_outbound"] {
            let row = rows
                .iter()
                .find(|r| r.starts_with(&format!("{layout},one-list,{service},all,")))
                .unwrap_or_else(|| panic!("{layout} {service} in\n{comparison}"));
            assert!(row.contains("unaffected"), "{row}");
        }
        let row = rows
            .iter()
            .find(|r| r.starts_with(&format!("{layout},one-list,remote_access,all,")))
            .unwrap();
        assert!(!row.contains("unaffected"), "{row}");
    }
}

#[test]
fn explore_reorders_a_regions_list() {
    // One region (fe-a's site) with three pools: its list has 3! = 6 priority orders, each
    // a candidate; the one the layout has is marked as explored.
    let text = two_regions(
        r#"[[edge_pools]]
id = "edge-c"
site = "b"
servers = 2
internal_fqdn = "int.c.example.com"
external_fqdn = "sip.c.example.com"
[[dns.regions]]
id = "west"
sites = ["a"]
remote_access = [ { target = "edge-a", priority = 10, weight = 100 },
                  { target = "edge-b", priority = 20, weight = 100 },
                  { target = "edge-c", priority = 30, weight = 100 } ]
[objective]
weights = { remote_access = 1 }
[explore]
reorder = ["dns.regions.west"]
"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("explore.toml");
    std::fs::write(&scenario, &text).unwrap();
    crate::edgesim()
        .arg("explore")
        .arg(&scenario)
        .args(["-n", "10", "-q", "-o"])
        .arg(dir.path().join("out"))
        .assert()
        .success();
    let csv = std::fs::read_to_string(dir.path().join("out/explore.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 6, "{csv}");
    assert!(
        rows.iter()
            .all(|r| r.contains("region west's remote-access order")),
        "{csv}"
    );
    let explored: Vec<&&str> = rows.iter().filter(|r| r.ends_with(",true")).collect();
    assert_eq!(explored.len(), 1, "{csv}");
    assert!(
        explored[0].contains("edge-a > edge-b > edge-c"),
        "{}",
        explored[0]
    );
    // A region the layout does not have is named, with the ones it has.
    std::fs::write(
        &scenario,
        text.replace(
            "reorder = [\"dns.regions.west\"]",
            "reorder = [\"dns.regions.east\"]",
        ),
    )
    .unwrap();
    let output = crate::edgesim()
        .arg("explore")
        .arg(&scenario)
        .args(["-n", "10", "-q", "-o"])
        .arg(dir.path().join("out2"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the layout explored has no [[dns.regions]] entry \"east\"")
            && stderr.contains("\"dns.regions.west\""),
        "{stderr}"
    );
}
