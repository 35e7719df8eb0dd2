//! Remote access (docs/model.md) against hand calculations and closed forms.
//! Every expected value is derived in the comment above it, never from an earlier run.

use edgesim::model::metrics::Cause;
use edgesim::model::services::Service;
use edgesim::model::{NoObserver, ReplicationResult, TraceRecord, simulate_replication};
use edgesim::topology::{Simulation, Topology};

use crate::fixtures;

const SECOND: f64 = 1e6;

/// The shared two-site scenario with `clients` under `[clients]` and `extra` appended.
fn two_sites(remote: u64, servers_a: u32, servers_b: u32, clients: &str, extra: &str) -> String {
    fixtures::two_sites(
        remote,
        servers_a,
        servers_b,
        "",
        &format!("[clients]\n{clients}\n{extra}"),
    )
}

const FIXED_CLIENTS: &str = r#"detect = "30s"
connect_timeout = "20s"
retry = "5m""#;

fn topology(text: &str) -> (Topology, Simulation) {
    fixtures::load(text)
}

fn simulate(text: &str) -> ReplicationResult {
    let (topology, simulation) = topology(text);
    simulate_replication(&topology, &simulation, 0, &mut NoObserver)
}

/// Unserved user-seconds of remote access for FE pool `front_end`, from one cause or all.
pub(crate) fn unserved_seconds(
    result: &ReplicationResult,
    front_end: usize,
    cause: Option<Cause>,
) -> f64 {
    let tally = &result.service(Service::RemoteAccess).unwrap().per_front_end[front_end];
    let micros = match cause {
        Some(cause) => tally.unserved_user_micros[cause as usize],
        None => tally.unserved_total(),
    };
    micros / SECOND
}

/// Asserts the unserved user-seconds of FE pool `front_end`, from one cause or all.
fn assert_unserved(
    result: &ReplicationResult,
    front_end: usize,
    expected: &[(Option<Cause>, f64)],
) {
    for &(cause, user_seconds) in expected {
        assert_close(
            unserved_seconds(result, front_end, cause),
            user_seconds,
            &format!("{cause:?}"),
        );
    }
}

pub(crate) fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-6 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} ≠ {expected}"
    );
}

#[test]
fn losing_the_top_priority_pool_costs_detect_plus_one_timeout() {
    // At 1 d edge-a goes down for 6 h. Each user notices after 30 s, tries edge-a (down:
    // 20 s lost) and connects to edge-b: 50 s per user, 1,000 users → 50,000 user-seconds,
    // all of it client failover, in one outage of 50 s.
    let text = two_sites(
        1000,
        2,
        2,
        FIXED_CLIENTS,
        "[[outages]]\ntarget = \"edge-a\"\nstart = \"1d\"\nduration = \"6h\"\n",
    );
    let result = simulate(&text);
    assert_unserved(
        &result,
        0,
        &[(None, 50_000.0), (Some(Cause::ClientFailover), 50_000.0)],
    );
    let tally = &result.service(Service::RemoteAccess).unwrap().per_front_end[0];
    assert_eq!(tally.outages, 1);
    assert_eq!(tally.outage_micros, 50 * 1_000_000);
    // Availability over 7 days: 1 − 50 s / 604,800 s.
    let availability = result
        .service(Service::RemoteAccess)
        .unwrap()
        .availability(None, result.horizon);
    assert_close(availability, 1.0 - 50.0 / 604_800.0, "availability");
}

#[test]
fn a_blocked_fallback_leaves_users_down_until_the_first_walk_after_return() {
    // Firewall: fe-a may not reach edge-b. edge-a is down from T0 = 1 d for 21,600 s.
    // Walk k starts at T0 + 30 + 340 k: edge-a (down, 20 s), edge-b (blocked, 20 s), then
    // retry 300 s. The first walk starting at or after T0 + 21,600 is k = ceil(21,570/340)
    // = 64, at T0 + 21,790: edge-a answers. Each user loses 21,790 s: 21,600 s while
    // edge-b is up but blocked (firewall), then 190 s of client failover.
    let text = two_sites(
        1000,
        2,
        2,
        FIXED_CLIENTS,
        "[firewall]\ndeny = [ { front_end = \"fe-a\", edge = \"edge-b\" } ]\n[[outages]]\ntarget = \"edge-a\"\nstart = \"1d\"\nduration = \"6h\"\n",
    );
    let result = simulate(&text);
    assert_unserved(
        &result,
        0,
        &[
            (None, 1000.0 * 21_790.0),
            (Some(Cause::Firewall), 1000.0 * 21_600.0),
            (Some(Cause::ClientFailover), 1000.0 * 190.0),
        ],
    );
}

#[test]
fn a_site_outage_costs_its_front_end_pool_exactly_the_outage() {
    // Site a holds fe-a and edge-a. For 6 h fe-a is down: its 1,000 users are unserved
    // (front_end_down) and when the site returns they walk at once to edge-a, which is
    // back at the same instant: exactly 6 h each. fe-b at site b also uses edge-a first:
    // its 500 users lose 30 s + 20 s = 50 s each.
    let text = two_sites(1000, 2, 2, FIXED_CLIENTS, "[[outages]]\ntarget = \"a\"\nstart = \"1d\"\nduration = \"6h\"\n")
        .replace(
            "[[edge_pools]]\nid = \"edge-a\"",
            "[[front_end_pools]]\nid = \"fe-b\"\nsite = \"b\"\nusers = 1500\nremote_users = 500\nedge_pool = \"edge-b\"\n[[edge_pools]]\nid = \"edge-a\"",
        );
    let result = simulate(&text);
    assert_unserved(
        &result,
        0,
        &[
            (None, 1000.0 * 21_600.0),
            (Some(Cause::FrontEndDown), 1000.0 * 21_600.0),
        ],
    );
    assert_unserved(&result, 1, &[(None, 500.0 * 50.0)]);
    let all = &result.service(Service::RemoteAccess).unwrap().all;
    // The two outages overlap (fe-b's 50 s inside fe-a's 6 h): one outage for scope all.
    assert_eq!(all.outages, 1);
    assert_eq!(all.outage_micros, 21_600 * 1_000_000);
}

#[test]
fn a_too_small_survivor_leaves_exactly_the_excess_unserved() {
    // 30,000 users on edge-a (3 servers, room 36,000); edge-b has 1 server (12,000).
    // retry = 0: walk again at the next Edge pool change. edge-a is down 6 h from T0.
    // All 30,000 lose 50 s (detect + edge-a's timeout); at T0 + 50 s edge-b takes 12,000,
    // the other 18,000 time out on it and wait until edge-a returns at T0 + 21,600 s,
    // then connect at once: 30,000 × 50 + 18,000 × (21,600 − 50) user-seconds.
    let clients = "detect = \"30s\"\nconnect_timeout = \"20s\"\nretry = \"0s\"";
    let text = two_sites(
        30_000,
        3,
        1,
        clients,
        "[[outages]]\ntarget = \"edge-a\"\nstart = \"1d\"\nduration = \"6h\"\n",
    );
    let result = simulate(&text);
    let expected = 30_000.0 * 50.0 + 18_000.0 * 21_550.0;
    assert_unserved(&result, 0, &[(None, expected)]);
    // From T0 + 50 s edge-b is full and nothing else is up: capacity.
    assert_unserved(&result, 0, &[(Some(Cause::Capacity), 18_000.0 * 21_550.0)]);
    let pools = &result.edge_pools;
    assert_close(pools[1].peak_load, 12_000.0, "edge-b peak");
    assert_close(pools[0].peak_load, 30_000.0, "edge-a peak");
    assert_eq!(
        pools[1].overload_micros,
        21_550 * 1_000_000,
        "edge-b refused users for 21,550 s"
    );
    assert_eq!(pools[0].overload_micros, 0);
}

#[test]
fn a_server_failure_with_room_left_costs_its_share_exactly_detect() {
    // edge-a has 3 servers and 12,000 users: 4,000 per server. Server 2 fails for 6 h:
    // its 4,000 users notice after 30 s and reconnect to edge-a, which has room.
    let text = two_sites(
        12_000,
        3,
        2,
        FIXED_CLIENTS,
        "[[outages]]\ntarget = \"edge-a#2\"\nstart = \"1d\"\nduration = \"6h\"\n",
    );
    let result = simulate(&text);
    assert_unserved(&result, 0, &[(None, 4_000.0 * 30.0)]);
    assert_close(result.edge_pools[1].peak_load, 0.0, "nobody went to edge-b");
}

#[test]
fn a_front_end_pool_outage_costs_exactly_the_outage() {
    let text = two_sites(
        1000,
        2,
        2,
        FIXED_CLIENTS,
        "[[outages]]\ntarget = \"fe-a\"\nstart = \"1d\"\nduration = \"6h\"\n",
    );
    let result = simulate(&text);
    assert_unserved(
        &result,
        0,
        &[
            (None, 1000.0 * 21_600.0),
            (Some(Cause::FrontEndDown), 1000.0 * 21_600.0),
        ],
    );
}

#[test]
fn a_front_end_pool_outage_releases_its_edge_capacity() {
    // edge-a and edge-b have 1 server each (12,000). fe-a and fe-b have 12,000 remote
    // users each and share one SRV list (edge-a first): at time 0 they share edge-a's room
    // in proportion to their users, 6,000 each, and put their other 6,000 on edge-b.
    // At 1 d fe-a goes down and releases its 6,000 places on edge-a: fe-b's 6,000 on
    // edge-b sign in again onto it at rate 1/12 h (session), so at 1 d + 1 h
    // 6,000·e^(−1/12) are still on edge-b. edge-b then fails: those users notice after
    // 30 s and find room on edge-a at once. fe-b loses 6,000·e^(−1/12)·30 user-seconds.
    // Had fe-a kept its capacity, edge-a would be full and they would wait two hours.
    let text = two_sites(
        12_000,
        1,
        1,
        "detect = \"30s\"\nconnect_timeout = \"20s\"\nretry = \"5m\"\nsession = \"12h\"",
        "[[outages]]\ntarget = \"fe-a\"\nstart = \"1d\"\nduration = \"6h\"\n[[outages]]\ntarget = \"edge-b\"\nstart = \"25h\"\nduration = \"2h\"\n",
    )
    .replace(
        "[[edge_pools]]\nid = \"edge-a\"",
        "[[front_end_pools]]\nid = \"fe-b\"\nsite = \"b\"\nusers = 36000\nremote_users = 12000\nedge_pool = \"edge-b\"\n[[edge_pools]]\nid = \"edge-a\"",
    );
    let result = simulate(&text);
    assert_unserved(
        &result,
        1,
        &[(None, 6_000.0 * (-1.0f64 / 12.0).exp() * 30.0)],
    );
}

#[test]
fn sign_in_return_is_exact_across_events_that_change_nothing() {
    // The previous test with a third FE pool, fe-c, whose users may only reach a third
    // pool, edge-c (priority 30; the firewall blocks the others). During fe-b's sign-in
    // flow, at 1 d + 10 min, edge-c fails: fe-c's users time out walking the list again
    // and again, and at 1 d + 10 min + 15 s fe-c itself goes down, leaving its cohorts'
    // scheduled steps stale. None of this touches fe-b, edge-a or edge-b, so fe-b still
    // loses exactly 6,000·e^(−1/12)·30 user-seconds: the flow must be integrated exactly
    // across every one of those events.
    let text = two_sites(
        12_000,
        1,
        1,
        "detect = \"30s\"\nconnect_timeout = \"20s\"\nretry = \"1m\"\nsession = \"12h\"",
        "[[outages]]\ntarget = \"fe-a\"\nstart = \"1d\"\nduration = \"6h\"\n[[outages]]\ntarget = \"edge-b\"\nstart = \"25h\"\nduration = \"2h\"\n\
         [[outages]]\ntarget = \"edge-c\"\nstart = \"1450m\"\nduration = \"3h\"\n[[outages]]\ntarget = \"fe-c\"\nstart = \"87015s\"\nduration = \"20m\"\n\
         [firewall]\ndeny = [ { front_end = \"fe-c\", edge = \"edge-a\" }, { front_end = \"fe-c\", edge = \"edge-b\" } ]\n",
    )
    .replace(
        "[[edge_pools]]\nid = \"edge-a\"",
        "[[front_end_pools]]\nid = \"fe-b\"\nsite = \"b\"\nusers = 36000\nremote_users = 12000\nedge_pool = \"edge-b\"\n\
         [[front_end_pools]]\nid = \"fe-c\"\nsite = \"b\"\nusers = 3000\nremote_users = 1000\nedge_pool = \"edge-c\"\n\
         [[edge_pools]]\nid = \"edge-c\"\nsite = \"b\"\nservers = 1\ninternal_fqdn = \"int.c.example.com\"\nexternal_fqdn = \"sip.c.example.com\"\n\
         [[edge_pools]]\nid = \"edge-a\"",
    )
    .replace(
        "{ target = \"edge-b\", priority = 20, weight = 100 } ]",
        "{ target = \"edge-b\", priority = 20, weight = 100 },\n                  { target = \"edge-c\", priority = 30, weight = 100 } ]",
    );
    let (topology, simulation) = topology(&text);
    let mut trace: Vec<TraceRecord> = Vec::new();
    let result = simulate_replication(&topology, &simulation, 0, &mut trace);
    let between = |r: &&TraceRecord| (86_400_000_000..90_000_000_000).contains(&r.time.as_micros());
    let fe_c_steps = trace
        .iter()
        .filter(between)
        .filter(|r| r.target == "fe-c")
        .count();
    assert!(
        fe_c_steps >= 8,
        "fe-c should walk during the flow: {fe_c_steps} steps"
    );
    assert_unserved(
        &result,
        1,
        &[(None, 6_000.0 * (-1.0f64 / 12.0).exp() * 30.0)],
    );
}

#[test]
fn users_return_to_the_preferred_pool_as_they_sign_in_again() {
    // After edge-a's 6 h outage, the 1,000 users on edge-b move back at rate 1/12 h.
    // Trace the served fraction: it never drops after they reconnected (no loss on the
    // way back), and the total loss stays 50 s per user.
    let text = two_sites(
        1000,
        2,
        2,
        FIXED_CLIENTS,
        "[[outages]]\ntarget = \"edge-a\"\nstart = \"1d\"\nduration = \"6h\"\n",
    );
    let (topology, simulation) = topology(&text);
    let mut trace: Vec<TraceRecord> = Vec::new();
    let result = simulate_replication(&topology, &simulation, 0, &mut trace);
    assert_unserved(&result, 0, &[(None, 50_000.0)]);
    let last = trace.last().expect("events");
    assert_close(last.remote_access_served(), 1.0, "served at the end");
}

fn unavailability_over(text: &str, replications: u64) -> (f64, f64) {
    fixtures::unavailability(text, Service::RemoteAccess, replications)
}

/// Two pools of two servers; each server fails and is repaired independently; nothing
/// else fails; zero client delays; capacity never binds.
fn four_servers(failure: &str, repair: &str) -> String {
    two_sites(
        1000,
        2,
        2,
        "detect = \"0s\"\nconnect_timeout = \"0s\"\nretry = \"0s\"",
        &format!(
            "[failures]\nserver = {{ time_to_failure = {failure}, time_to_repair = {repair} }}\n"
        ),
    )
    .replace("horizon = \"7d\"", "horizon = \"1y\"")
}

#[test]
fn two_pools_of_two_servers_are_down_exactly_when_all_four_servers_are() {
    // Closed form (a parallel system of independent repairable units; Barlow and
    // Proschan, Statistical Theory of Reliability and Life Testing, 1975): with
    // independent servers and zero client delays, remote access is down exactly while all
    // 2n = 4 servers are down, so its
    // unavailability is q^4 with q = MTTR / (MTBF + MTTR) = 1 h / 4 h = 0.25:
    // 0.25^4 = 0.00390625. Checked within 4 standard errors over 30 replication-years.
    let (mean, standard_error) = unavailability_over(&four_servers("\"3h\"", "\"1h\""), 30);
    let expected = 0.25f64.powi(4);
    assert!(
        (mean - expected).abs() < 4.0 * standard_error,
        "unavailability {mean} ± {standard_error}, closed form {expected}"
    );
    eprintln!("closed form: {mean} ± {standard_error} vs {expected}");
    assert!(
        standard_error < 0.1 * expected,
        "the check is too loose to fail: SE {standard_error}"
    );
}

#[test]
fn only_the_means_of_failure_and_repair_matter_in_the_long_run() {
    // Insensitivity (alternating renewal processes; Barlow and Proschan, 1975): for
    // independent alternating renewal processes
    // the stationary probability that a server is down is MTTR / (MTBF + MTTR) whatever
    // the distributions. Weibull(shape 0.8) with mean 3 h: scale = 3 h / Γ(1 + 1/0.8) =
    // 3 h / Γ(2.25) = 3 h / 1.1330031 = 9,532.19 s. Log-normal repair with mean 1 h:
    // mu = −σ²/2 = −0.5 with σ = 1 (ln hours). The unavailability is still 0.25^4.
    let scale_seconds = 3.0 * 3600.0 / edgesim::distribution::gamma_function(2.25);
    let failure = format!(
        "{{ dist = \"weibull\", shape = 0.8, scale = \"{:.3}s\" }}",
        scale_seconds
    );
    let repair = "{ dist = \"lognormal\", mu = -0.5, sigma = 1.0 }";
    let (mean, standard_error) = unavailability_over(&four_servers(&failure, repair), 30);
    let expected = 0.25f64.powi(4);
    assert!(
        (mean - expected).abs() < 4.0 * standard_error,
        "unavailability {mean} ± {standard_error}, closed form {expected}"
    );
    eprintln!("insensitivity: {mean} ± {standard_error} vs {expected}");
    assert!(
        standard_error < 0.15 * expected,
        "the check is too loose to fail: SE {standard_error}"
    );
}

#[test]
fn the_same_seed_and_replication_give_identical_results() {
    let text = four_servers("\"3h\"", "\"1h\"");
    let (topology, simulation) = topology(&text);
    let first = simulate_replication(&topology, &simulation, 5, &mut NoObserver);
    let second = simulate_replication(&topology, &simulation, 5, &mut NoObserver);
    assert_eq!(first, second);
    let other = simulate_replication(&topology, &simulation, 6, &mut NoObserver);
    assert_ne!(first, other);
}

fn failure_times(text: &str, component: &str) -> Vec<(u64, &'static str)> {
    let (topology, simulation) = topology(text);
    let mut trace: Vec<TraceRecord> = Vec::new();
    simulate_replication(&topology, &simulation, 3, &mut trace);
    trace
        .into_iter()
        .filter(|r| r.target == component && (r.event == "failure" || r.event == "repair"))
        .map(|r| (r.time.as_micros(), r.event))
        .collect()
}

#[test]
fn a_pool_that_serves_no_one_does_not_change_the_failures_of_others() {
    let text = four_servers("\"3h\"", "\"1h\"");
    // A third pool, listed first, in no SRV record and associated with no FE pool.
    let with_idle_pool = text.replace(
        "[[edge_pools]]\nid = \"edge-a\"",
        "[[edge_pools]]\nid = \"edge-idle\"\nsite = \"b\"\nservers = 4\ninternal_fqdn = \"int.idle.example.com\"\nexternal_fqdn = \"sip.idle.example.com\"\n[[edge_pools]]\nid = \"edge-a\"",
    );
    for server in ["edge-a#1", "edge-a#2", "edge-b#1", "edge-b#2"] {
        let before = failure_times(&text, server);
        assert!(before.len() > 10, "{server} should fail often");
        assert_eq!(before, failure_times(&with_idle_pool, server), "{server}");
    }
}

#[test]
fn mobile_users_wait_for_their_associated_pool() {
    // mobile_share 0.5: 500 of fe-a's 1,000 users are mobile, pinned to the associated
    // pool (F2). edge-a is down 6 h and the administrator re-associates fe-a with edge-b
    // after a fixed 45 min response: the 500 desktop users lose 50 s each; the 500 mobile
    // users are unserved for 2,700 s (awaiting the administrator, since edge-b is up) and
    // connect to edge-b the instant the association changes. The failback moves the
    // association back with no loss: connected users stay connected.
    let clients = format!("{FIXED_CLIENTS}\nmobile_share = 0.5");
    let extra = "[operations]\nresponse = \"45m\"\n[[outages]]\ntarget = \"edge-a\"\nstart = \"1d\"\nduration = \"6h\"\n";
    let result = simulate(&two_sites(1000, 2, 2, &clients, extra));
    assert_unserved(
        &result,
        0,
        &[
            (None, 500.0 * 50.0 + 500.0 * 2_700.0),
            (Some(Cause::AwaitingAdmin), 500.0 * 2_700.0),
            (Some(Cause::ClientFailover), 500.0 * 50.0),
        ],
    );
}

/// fe-a (600 remote users) and fe-b (200), all mobile, both associated with edge-a, which
/// has room for 400; edge-a is down from 1 d for 1 h; two days. `fe_a_first` lists fe-a
/// first, or fe-b.
fn scarce_room(fe_a_first: bool) -> String {
    let fe_a = "[[front_end_pools]]\nid = \"fe-a\"\nsite = \"a\"\nusers = 600\nremote_users = 600\nedge_pool = \"edge-a\"\n";
    let fe_b = "[[front_end_pools]]\nid = \"fe-b\"\nsite = \"a\"\nusers = 200\nremote_users = 200\nedge_pool = \"edge-a\"\n";
    let pools = if fe_a_first {
        format!("{fe_a}{fe_b}")
    } else {
        format!("{fe_b}{fe_a}")
    };
    format!(
        "name = \"scarce room\"\n[simulation]\nhorizon = \"2d\"\nreplications = 1\n\
         [[sites]]\nid = \"a\"\n{pools}\
         [[edge_pools]]\nid = \"edge-a\"\nsite = \"a\"\nservers = 1\ncapacity_per_server = 400\n\
         internal_fqdn = \"int.a.example.com\"\nexternal_fqdn = \"sip.a.example.com\"\n\
         [dns]\nremote_access = [ {{ target = \"edge-a\", priority = 10, weight = 100 }} ]\n\
         [clients]\n{FIXED_CLIENTS}\nmobile_share = 1.0\n\
         [[outages]]\ntarget = \"edge-a\"\nstart = \"1d\"\nduration = \"1h\"\n"
    )
}

#[test]
fn users_claiming_scarce_room_at_one_instant_share_it_whatever_the_listing_order() {
    // Rule S1. At time 0, and again when edge-a returns at 90,000 s with all 800 users
    // waiting for it, its 400 places go in proportion to the users who want them: 300 to
    // fe-a, 100 to fe-b (not 400 to whichever pool is listed first). Mobile users have no
    // other pool, so the rest wait to the horizon.
    // fe-a: 300 × 86,400 + 600 × 3,600 + 300 × 82,800 user-seconds unserved;
    // fe-b: 100 × 86,400 + 200 × 3,600 + 100 × 82,800.
    for fe_a_first in [true, false] {
        let (topology, simulation) = topology(&scarce_room(fe_a_first));
        let result = simulate_replication(&topology, &simulation, 0, &mut NoObserver);
        let index = |id: &str| {
            topology
                .front_end_pools
                .iter()
                .position(|p| p.id == id)
                .unwrap()
        };
        let (a, b) = (index("fe-a"), index("fe-b"));
        assert_eq!(a, if fe_a_first { 0 } else { 1 });
        assert_close(
            unserved_seconds(&result, a, None),
            300.0 * 86_400.0 + 600.0 * 3_600.0 + 300.0 * 82_800.0,
            &format!("fe-a, listed first: {fe_a_first}"),
        );
        assert_close(
            unserved_seconds(&result, b, None),
            100.0 * 86_400.0 + 200.0 * 3_600.0 + 100.0 * 82_800.0,
            &format!("fe-b, listed first: {}", !fe_a_first),
        );
    }
}
