//! Front End pool disaster recovery (docs/model.md, rules D1 and D2) against hand
//! calculations: a site loss with and without a backup pool, a backup that is itself down
//! when the failover is due, a failback whose walk costs a timeout, and a FE pool loss
//! that cuts off its site's Edge pool until the administrator moves the next hop.
//!
//! Every delay is fixed: clients notice a lost connection after 30 s and lose 20 s on a
//! target that does not answer; the administrator decides 45 min after a loss and a pool
//! failover or failback takes 30 min more. Nothing fails at random.

use edgesim::model::metrics::Cause;
use edgesim::model::services::Service;
use edgesim::model::{NoObserver, ReplicationResult, TraceRecord, simulate_replication};

use crate::fixtures::load;

/// Two sites a and b; FE pools fe-a (at a) and fe-b (at b), each with 3,000 users of whom
/// 1,000 are remote, associated with the Edge pool at their site; Edge pools edge-a
/// (remote-access priority 10) and edge-b (priority 20), two servers each; edge-a carries
/// the outbound federation route and the XMPP gateway. `fe_a` and `edge_a` add keys to
/// fe-a and edge-a, `rest` appends tables (outages).
fn scenario(fe_a: &str, edge_a: &str, edge_b: &str, rest: &str) -> String {
    format!(
        r#"
name = "recovery"
[simulation]
horizon = "3d"
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
{fe_a}
[[front_end_pools]]
id = "fe-b"
site = "b"
users = 3000
remote_users = 1000
edge_pool = "edge-b"
[[edge_pools]]
id = "edge-a"
site = "a"
servers = 2
internal_fqdn = "int.a.example.com"
external_fqdn = "sip.a.example.com"
{edge_a}
[[edge_pools]]
id = "edge-b"
site = "b"
servers = 2
internal_fqdn = "int.b.example.com"
external_fqdn = "sip.b.example.com"
{edge_b}
[dns]
remote_access = [ {{ target = "edge-a", priority = 10, weight = 100 }},
                  {{ target = "edge-b", priority = 20, weight = 100 }} ]
federation = [ {{ target = "edge-a", priority = 10, weight = 100 }},
               {{ target = "edge-b", priority = 20, weight = 100 }} ]
[federation]
outbound_route = "edge-a"
xmpp_gateway = "edge-a"
[clients]
detect = "30s"
connect_timeout = "20s"
retry = "1m"
[operations]
response = "45m"
pool_failover = "30m"
{rest}
"#
    )
}

/// An injected outage of `target` from `start` for `duration`.
fn outage(target: &str, start: &str, duration: &str) -> String {
    format!("[[outages]]\ntarget = \"{target}\"\nstart = \"{start}\"\nduration = \"{duration}\"\n")
}

const PAIRED: &str = "backup = \"fe-b\"";

fn simulate(text: &str) -> (ReplicationResult, Vec<TraceRecord>) {
    let (topology, simulation) = load(text);
    let mut trace = Vec::new();
    let result = simulate_replication(&topology, &simulation, 0, &mut trace);
    (result, trace)
}

/// Seconds lost by the users of FE pool `scope` (per-user services: user-seconds ÷ the
/// scope's users) or by the organisation, from `cause` or from every cause.
fn lost(result: &ReplicationResult, service: Service, scope: usize, cause: Option<Cause>) -> f64 {
    let service_result = result.service(service).expect("configured");
    let (tally, weight) = if service.per_user() {
        (
            &service_result.per_front_end[scope],
            service_result.weights[scope],
        )
    } else {
        (&service_result.all, 1.0)
    };
    let unserved = match cause {
        Some(cause) => tally.unserved_user_micros[cause.index()],
        None => tally.unserved_total(),
    };
    unserved / weight / 1e6
}

/// Asserts seconds lost as (service, FE pool index, cause or every cause, seconds).
fn assert_lost(result: &ReplicationResult, expected: &[(Service, usize, Option<Cause>, f64)]) {
    for &(service, scope, cause, seconds) in expected {
        let actual = lost(result, service, scope, cause);
        assert!(
            (actual - seconds).abs() < 1e-6 * seconds.max(1.0),
            "{} of FE pool {scope} ({cause:?}): lost {actual} s, expected {seconds} s",
            service.name()
        );
    }
}

/// When the first trace record whose detail contains `words` happened, in seconds.
fn told_at(trace: &[TraceRecord], words: &str) -> Option<f64> {
    trace
        .iter()
        .find(|r| r.detail.contains(words))
        .map(|r| r.time.as_micros() as f64 / 1e6)
}

const DAY: f64 = 86_400.0;
const HOUR: f64 = 3_600.0;
const MINUTE: f64 = 60.0;

use Service::{EdgeAssociation, FederationOutbound, RemoteAccess};

#[test]
fn a_site_loss_without_a_backup_costs_its_users_the_whole_outage() {
    // Site a is down 6 h from day 1. fe-a's users have no FE pool for 6 h. fe-b's remote
    // users were on edge-a (priority 10): they notice after 30 s, lose 20 s on edge-a and
    // connect to edge-b.
    let (result, _) = simulate(&scenario("", "", "", &outage("a", "1d", "6h")));
    assert_lost(
        &result,
        &[
            (RemoteAccess, 0, None, 6.0 * HOUR),
            (RemoteAccess, 0, Some(Cause::FrontEndDown), 6.0 * HOUR),
            (RemoteAccess, 1, None, 50.0),
        ],
    );
}

#[test]
fn a_site_loss_with_a_backup_costs_the_decision_and_the_failover() {
    // fe-a paired with fe-b. 45 min decision + 30 min failover = 4,500 s waiting for the
    // failover; then fe-a's users, homed on fe-b, walk at once: edge-a (down) costs 20 s,
    // edge-b answers. Site a is back at 6 h; the failback comes 45 + 30 min later and the
    // users walk to edge-a, which is up: no loss. fe-b's users lose their 50 s as before.
    let (result, trace) = simulate(&scenario(PAIRED, "", "", &outage("a", "1d", "6h")));
    assert_lost(
        &result,
        &[
            (RemoteAccess, 0, None, 4_500.0 + 20.0),
            (RemoteAccess, 0, Some(Cause::PoolFailoverPending), 4_500.0),
            (RemoteAccess, 0, Some(Cause::ClientFailover), 20.0),
            (RemoteAccess, 1, None, 50.0),
            // Outbound federation: fe-a's users wait 75 min for their failover; then,
            // served as fe-b's, through the route the administrator moved to edge-b at
            // 45 min. fe-b's users wait 45 min for that move.
            (FederationOutbound, 0, None, 4_500.0),
            (
                FederationOutbound,
                1,
                Some(Cause::AwaitingAdmin),
                45.0 * MINUTE,
            ),
            // The association: fe-a's users use fe-b's, edge-b, once failed over (their
            // own, edge-a, is down all 6 h and nobody moved it: fe-a's users were not up
            // when the administrator answered edge-a's loss).
            (
                EdgeAssociation,
                0,
                Some(Cause::PoolFailoverPending),
                4_500.0,
            ),
            (EdgeAssociation, 0, None, 4_500.0),
            (EdgeAssociation, 1, None, 0.0),
        ],
    );
    assert_eq!(
        told_at(&trace, "users of fe-a failed over to fe-b"),
        Some(DAY + 75.0 * MINUTE)
    );
    assert_eq!(
        told_at(&trace, "failback to fe-a"),
        Some(DAY + 6.0 * HOUR + 75.0 * MINUTE)
    );
}

#[test]
fn a_failover_waits_for_a_backup_that_is_down_and_lapses_for_a_pool_that_is_back() {
    // Site a down 6 h from day 1; fe-b's own pool down 2 h from day 1 + 1 h. fe-a's
    // failover is due at 1 d + 75 min but fe-b is down: it completes when fe-b is back,
    // at 1 d + 3 h, and fe-a's users lose 20 s on edge-a before edge-b. fe-b's users: 50 s
    // at the site loss, 2 h waiting for their own failover (due at 1 d + 2 h 15 min, when
    // fe-a is down, and lapsing when fe-b is back), then 20 s on edge-a.
    let rest = outage("a", "1d", "6h") + &outage("fe-b", "25h", "2h");
    let (result, trace) = simulate(&scenario(PAIRED, "", "", &rest));
    assert_lost(
        &result,
        &[
            (
                RemoteAccess,
                0,
                Some(Cause::PoolFailoverPending),
                3.0 * HOUR,
            ),
            (RemoteAccess, 0, None, 3.0 * HOUR + 20.0),
            (
                RemoteAccess,
                1,
                Some(Cause::PoolFailoverPending),
                2.0 * HOUR,
            ),
            (RemoteAccess, 1, None, 50.0 + 2.0 * HOUR + 20.0),
        ],
    );
    assert_eq!(
        told_at(&trace, "failover of fe-a waits: fe-b is down"),
        Some(DAY + 75.0 * MINUTE)
    );
    assert_eq!(
        told_at(&trace, "users of fe-a failed over to fe-b"),
        Some(DAY + 3.0 * HOUR)
    );
    assert_eq!(
        told_at(&trace, "fe-b was back before its failover"),
        Some(DAY + 3.0 * HOUR)
    );
}

#[test]
fn failed_over_users_walk_under_the_backups_firewall_rules() {
    // fe-a paired with fe-b, whose firewall blocks edge-a. fe-a's own pool is down 6 h
    // (edge-a stays up). After 75 min fe-a's users, served as fe-b's, walk: edge-a is up
    // but blocked for them (20 s), then edge-b. The route stays on edge-a, which fe-b's
    // rules block: outbound federation is the firewall's for fe-a's users from the
    // failover (1 d + 75 min) to the failback (1 d + 6 h + 75 min), 6 h. Without the
    // rule they connect to edge-a at once and the route serves them.
    let deny = "[firewall]\ndeny = [ { front_end = \"fe-b\", edge = \"edge-a\" } ]\n";
    let rest = outage("fe-a", "1d", "6h");
    let (blocked, _) = simulate(&scenario(PAIRED, "", "", &format!("{deny}{rest}")));
    assert_lost(
        &blocked,
        &[
            (RemoteAccess, 0, None, 4_500.0 + 20.0),
            (RemoteAccess, 0, Some(Cause::ClientFailover), 20.0),
            (
                FederationOutbound,
                0,
                Some(Cause::PoolFailoverPending),
                4_500.0,
            ),
            (FederationOutbound, 0, Some(Cause::Firewall), 6.0 * HOUR),
        ],
    );
    let (open, _) = simulate(&scenario(PAIRED, "", "", &rest));
    assert_lost(
        &open,
        &[
            (RemoteAccess, 0, None, 4_500.0),
            (FederationOutbound, 0, None, 4_500.0),
        ],
    );
}

#[test]
fn failed_over_mobile_users_use_the_backups_association() {
    // Every remote user mobile: they use only their pool's associated Edge pool (F2).
    // After the 75 min failover fe-a's users, served as fe-b's, connect to fe-b's
    // association, edge-b, at once; their own, edge-a, is down with site a for 6 h.
    // fe-b's users are on edge-b throughout.
    let text = scenario(PAIRED, "", "", &outage("a", "1d", "6h"))
        .replace("retry = \"1m\"\n", "retry = \"1m\"\nmobile_share = 1.0\n");
    let (result, _) = simulate(&text);
    assert_lost(
        &result,
        &[
            (RemoteAccess, 0, None, 4_500.0),
            (RemoteAccess, 0, Some(Cause::PoolFailoverPending), 4_500.0),
            (RemoteAccess, 1, None, 0.0),
        ],
    );
}

#[test]
fn users_failing_back_walk_at_once_and_lose_a_timeout_on_a_pool_still_down() {
    // As with a backup, but edge-a stays down 2 h after site a is back, over the failback
    // at 1 d + 7 h 15 min: fe-a's users, back on fe-a, try edge-a first and lose 20 s.
    let rest = outage("a", "1d", "6h") + &outage("edge-a", "30h", "2h");
    let (result, _) = simulate(&scenario(PAIRED, "", "", &rest));
    assert_lost(
        &result,
        &[
            (RemoteAccess, 0, None, 4_500.0 + 20.0 + 20.0),
            (RemoteAccess, 0, Some(Cause::ClientFailover), 40.0),
            (RemoteAccess, 1, None, 50.0),
        ],
    );
}

#[test]
fn a_front_end_pool_loss_cuts_off_its_sites_edge_pool_until_the_next_hop_moves() {
    // edge-a forwards to fe-a, edge-b to fe-b. fe-a's own pool is down 6 h from day 1:
    // edge-a is up but answers nothing until the administrator moves its next hop, 45 min
    // later, to the first up FE pool (fe-b: fe-a has no backup and no other pool is at
    // site a). fe-b's remote users were on edge-a: 30 s to notice, 20 s on the cut-off
    // edge-a, then edge-b. The route and the gateway stay on edge-a (a cut-off opens no
    // administrator's incident): outbound federation and XMPP lose 45 min to the
    // cut-off; inbound federation falls back to edge-b and loses nothing.
    let (result, trace) = simulate(&scenario(
        "",
        "next_hop = \"fe-a\"",
        "next_hop = \"fe-b\"",
        &outage("fe-a", "1d", "6h"),
    ));
    assert_lost(
        &result,
        &[
            (RemoteAccess, 0, Some(Cause::FrontEndDown), 6.0 * HOUR),
            (RemoteAccess, 1, Some(Cause::ClientFailover), 50.0),
            (RemoteAccess, 1, None, 50.0),
            (
                FederationOutbound,
                1,
                Some(Cause::NextHopDown),
                45.0 * MINUTE,
            ),
            (FederationOutbound, 1, None, 45.0 * MINUTE),
            (
                Service::XmppOutbound,
                0,
                Some(Cause::NextHopDown),
                45.0 * MINUTE,
            ),
            (Service::XmppInbound, 0, None, 45.0 * MINUTE),
            (Service::FederationInbound, 0, None, 0.0),
        ],
    );
    assert_eq!(
        told_at(&trace, "next hop of edge-a fe-a → fe-b"),
        Some(DAY + 45.0 * MINUTE)
    );
    // fe-a is back at 1 d + 6 h; the next hop returns with its failback 75 min later.
    assert_eq!(
        told_at(&trace, "next hop of edge-a returns"),
        Some(DAY + 6.0 * HOUR + 75.0 * MINUTE)
    );
    assert!(
        !trace
            .iter()
            .any(|r| r.detail.contains("response to the loss")),
        "a cut-off opened an administrator's incident"
    );
}

#[test]
fn a_next_hop_moves_to_the_backup_first() {
    // fe-a paired with fe-b; edge-a forwards to fe-a. When fe-a is lost, edge-a's next
    // hop moves to fe-b, its backup, at the decision.
    let (_, trace) = simulate(&scenario(
        PAIRED,
        "next_hop = \"fe-a\"",
        "",
        &outage("fe-a", "1d", "6h"),
    ));
    assert_eq!(
        told_at(&trace, "next hop of edge-a fe-a → fe-b"),
        Some(DAY + 45.0 * MINUTE)
    );
}

/// Properties over generated pairings: the invariance tests' scenarios (their base
/// layout) with FE pools paired and Edge pools given next hops at random.
mod generated {
    use edgesim::model::metrics::{Cause, NOBODY};
    use edgesim::model::services::Service;
    use edgesim::model::{
        NoObserver, ReplicationResult, simulate_replication,
        simulate_replication_stepping_every_target, simulate_replication_with_ticks,
    };
    use edgesim::time::SimDuration;
    use edgesim::topology::Topology;
    use proptest::prelude::*;

    use crate::invariance::{Genes, all_layouts, config, difference, generate};

    /// Generated scenarios per property in a normal test run.
    const DEFAULT_CASES: u32 = 16;

    /// The generated scenario's base layout alone.
    fn base_of(seed: u64) -> String {
        let text = generate(seed).text;
        let end = text.find("[[layouts]]").unwrap_or(text.len());
        text[..end].to_string()
    }

    /// `text` with fe-0 and fe-1 paired (when both exist, else nothing paired) and each
    /// Edge pool forwarding to a random FE pool or to none, as `genes` decide.
    fn with_recovery(text: &str, genes: &mut Genes) -> String {
        let front_ends = text.matches("[[front_end_pools]]").count();
        let edges = text.matches("[[edge_pools]]").count();
        let mut out = text.to_string();
        if front_ends >= 2 && genes.below(4) != 0 {
            out = out.replacen("id = \"fe-0\"\n", "id = \"fe-0\"\nbackup = \"fe-1\"\n", 1);
        }
        for edge in 0..edges {
            let choice = genes.below(front_ends as u64 + 1) as usize;
            if choice < front_ends {
                out = out.replacen(
                    &format!("id = \"edge-{edge}\"\n"),
                    &format!("id = \"edge-{edge}\"\nnext_hop = \"fe-{choice}\"\n"),
                    1,
                );
            }
        }
        out
    }

    fn simulate(text: &str) -> (Topology, Vec<ReplicationResult>) {
        let (topology, simulation) = all_layouts(text).remove(0);
        let results = (0..simulation.replications)
            .map(|r| simulate_replication(&topology, &simulation, r, &mut NoObserver))
            .collect();
        (topology, results)
    }

    proptest! {
        #![proptest_config(config(std::env::var("PROPERTY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES)))]

        /// Users wait for a failover only while their own pool is down: never longer than
        /// they would be down without a backup (common random numbers: the same component
        /// histories), and only where a backup exists. Every availability stays in [0, 1].
        #[test]
        fn a_failover_is_pending_only_while_the_pool_itself_is_down(seed in any::<u64>(), pairing in any::<u64>()) {
            let plain = base_of(seed);
            let paired = with_recovery(&plain, &mut Genes(pairing));
            let (_, without) = simulate(&plain);
            let (topology, with) = simulate(&paired);
            for (replication, (a, b)) in without.iter().zip(&with).enumerate() {
                for (x, y) in a.services.iter().zip(&b.services) {
                    prop_assert_eq!(x.service, y.service);
                    prop_assert!((-1e-12..=1.0).contains(&y.availability(None, b.horizon)), "{}", paired);
                    for (front_end, pool) in topology.front_end_pools.iter().enumerate() {
                        let (Some(s), Some(t)) = (x.per_front_end.get(front_end), y.per_front_end.get(front_end)) else { continue };
                        let pending = t.unserved_user_micros[Cause::PoolFailoverPending.index()];
                        let down = s.unserved_user_micros[Cause::FrontEndDown.index()];
                        if pool.backup.is_none() {
                            prop_assert_eq!(pending, 0.0, "{} of {}, replication {}\n{}", x.service.name(), pool.id, replication, paired);
                        }
                        prop_assert!(pending <= down * (1.0 + 1e-9) + 1e-6,
                            "{} of {}, replication {}: pending {} > down without backup {}\n{}",
                            x.service.name(), pool.id, replication, pending, down, paired);
                    }
                    if !topology.edge_pools.iter().any(|p| p.next_hop.is_some()) {
                        prop_assert_eq!(y.all.unserved_user_micros[Cause::NextHopDown.index()], 0.0, "{}", paired);
                    }
                }
            }
        }

        /// What recovery moves between events (users homed elsewhere, Edge pools cut off)
        /// is integrated exactly: no-op events and stepping through every target change
        /// no result beyond rounding.
        #[test]
        fn no_op_events_and_stepping_every_target_change_no_result(
            seed in any::<u64>(),
            pairing in any::<u64>(),
            tick_seconds in proptest::collection::vec(0u64..5_184_000, 1..40),
        ) {
            let paired = with_recovery(&base_of(seed), &mut Genes(pairing));
            let ticks: Vec<SimDuration> = tick_seconds
                .iter()
                .map(|s| SimDuration::from_micros(s * 1_000_000 + 123_457))
                .collect();
            let (topology, simulation) = all_layouts(&paired).remove(0);
            for replication in 0..simulation.replications {
                let plain = simulate_replication_with_ticks(&topology, &simulation, replication, &[], &mut NoObserver);
                let ticked = simulate_replication_with_ticks(&topology, &simulation, replication, &ticks, &mut NoObserver);
                let stepping = simulate_replication_stepping_every_target(&topology, &simulation, replication);
                for other in [&ticked, &stepping] {
                    for service in Service::ALL {
                        if let Some(found) = difference(&plain, other, service, 1e-9) {
                            prop_assert!(false, "replication {replication}: {found}\n{}", paired);
                        }
                    }
                    for (p, q) in plain.edge_pools.iter().zip(&other.edge_pools) {
                        prop_assert!((p.peak_load - q.peak_load).abs() <= 1e-9 * p.peak_load + NOBODY, "peak {p:?} vs {q:?}\n{}", paired);
                    }
                }
            }
        }

        /// Where no FE pool and no site ever goes down, pairing and next hops have nothing
        /// to do: every result is bit-identical to the layout without them.
        #[test]
        fn recovery_changes_nothing_while_every_front_end_pool_stays_up(seed in any::<u64>(), pairing in any::<u64>()) {
            let plain: String = base_of(seed)
                .lines()
                .filter(|line| !line.starts_with("site = {") && !line.starts_with("front_end_pool = {"))
                .map(|line| format!("{line}\n"))
                .collect();
            let paired = with_recovery(&plain, &mut Genes(pairing));
            let (_, without) = simulate(&plain);
            let (_, with) = simulate(&paired);
            prop_assert!(without == with, "{}", paired);
        }
    }
}

/// A scenario without `backup` and `next_hop` writes, byte for byte, what edgesim wrote
/// before disaster recovery was modelled (commit 7215b2d): the FNV-1a hashes below are of
/// that version's files for `tests/golden/no-recovery/scenario.toml` (`run -n 24`, shard
/// 2/3's accumulators, `trace --replication 5`). The part file is compared from its
/// accumulators on, so that a new version number does not fail it.
#[test]
fn a_scenario_without_recovery_writes_what_it_did_before() {
    use edgesim::topology::stream_key_of;
    let scenario = crate::project_path("tests/golden/no-recovery/scenario.toml");
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], out: &str| {
        crate::edgesim()
            .args(args)
            .arg(&scenario)
            .arg("-o")
            .arg(dir.path().join(out))
            .assert()
            .success();
    };
    run(&["run", "-n", "24", "--no-charts", "-q"], "run");
    run(
        &["run", "-n", "24", "--shard", "2/3", "--no-charts", "-q"],
        "shard",
    );
    run(&["trace", "--replication", "5"], "trace");
    let hash = |file: &str| {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        format!("{:016x}", stream_key_of(&text))
    };
    for (file, before) in [
        ("run/summary.csv", "2bacb6f31e6b7268"),
        ("run/causes.csv", "fff38d9287433d6d"),
        ("run/comparison.csv", "aa7e82fa7354d21e"),
        ("run/pools.csv", "caa54bd0a0f302e2"),
        ("run/runs.csv", "1b0f0d89150875ba"),
        ("trace/trace.csv", "db831dbd14987c31"),
    ] {
        assert_eq!(hash(file), before, "{file} changed");
    }
    let part = std::fs::read_to_string(dir.path().join("shard/part.json")).unwrap();
    let study = &part[part.find("\"study\":").unwrap()..part.find(",\"checksum\"").unwrap()];
    assert_eq!(format!("{:016x}", stream_key_of(study)), "4327f0a215bca88b");
}

/// Pool failover against a closed form. In the shared scenario, fe-a (paired with fe-b)
/// fails after exponential up times (mean 1/λ = 6 h) and is repaired after exponential
/// down times (mean 1/μ = 2 h); fe-b, the sites and the Edge pools never fail. The
/// decision and the failover take D = 45 + 30 min. fe-a's users are unserved only while
/// fe-a is down, at home, and less than D has passed since the failure (then they are
/// served by fe-b); every walk connects at once. They are away from home when a down
/// period outlasts D (probability p = e^(−μD)), and return when an up period outlasts D
/// (q = e^(−λD)): a failure during the failback window finds them still on fe-b and
/// costs nothing. On the chain of states at each failure, home has stationary
/// probability π = q / (q + p(1 − q)), so the long-run unavailability of fe-a's users is
/// π · (1 − p)/μ ÷ (1/λ + 1/μ) (a renewal-reward argument).
#[test]
fn pool_failover_matches_its_closed_form() {
    let failures = "failures = { front_end_pool = { time_to_failure = { dist = \"exponential\", mean = \"6h\" }, time_to_repair = { dist = \"exponential\", mean = \"2h\" } } }";
    let text = scenario(&format!("{PAIRED}\n{failures}"), "", "", "")
        .replace("horizon = \"3d\"", "horizon = \"60d\"");
    let (lambda, mu, d): (f64, f64, f64) = (1.0 / 6.0, 1.0 / 2.0, 1.25); // per hour, per hour, hours
    let p = (-mu * d).exp();
    let q = (-lambda * d).exp();
    let home = q / (q + p * (1.0 - q));
    let expected = home * (1.0 - p) / mu / (1.0 / lambda + 1.0 / mu);
    // Without the failback window (every failure finding the users at home).
    let without_window = (1.0 - p) / mu / (1.0 / lambda + 1.0 / mu);
    // fe-a's users' unavailability in each of 200 replications of 60 days.
    let (topology, simulation) = load(&text);
    let horizon_seconds = 60.0 * DAY;
    let samples: Vec<f64> = (0..200)
        .map(|r| {
            let result = simulate_replication(&topology, &simulation, r, &mut NoObserver);
            lost(&result, RemoteAccess, 0, None) / horizon_seconds
        })
        .collect();
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let se = (samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    // Four standard errors, plus the start at home (a transient of a few cycles in 240).
    let tolerance = 4.0 * se + 0.002;
    assert!(
        (mean - expected).abs() < tolerance,
        "simulated {mean:.5} ± {se:.5}, closed form {expected:.5}"
    );
    assert!(
        (mean - without_window).abs() > tolerance,
        "the failback window is not seen: {mean:.5} against {without_window:.5}"
    );
}
