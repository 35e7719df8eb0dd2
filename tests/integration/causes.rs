//! Every cause is named for what happened (docs/output.md, "Causes"): for each cause and a
//! service that can suffer it, a scenario whose injected outages produce exactly that
//! state; the test checks that causes.csv puts the downtime down to that cause and that the
//! report's verdict names it in words that are true of the state, e.g. "every federation
//! SRV target" when a pool that is not a federation target is still up.

use crate::edgesim;

/// Three sites a, b, c, one Edge pool of two servers at each, one FE pool at a with 300 of
/// its 1,000 users remote, associated with edge-a. `dns` gives the SRV records, `extra`
/// any other tables, `outages` the injected outages as (target, start, duration).
fn scenario(dns: &str, extra: &str, outages: &[(&str, &str, &str)]) -> String {
    let mut text = format!(
        r#"
name = "causes"
[simulation]
horizon = "2d"
replications = 1
[[sites]]
id = "a"
[[sites]]
id = "b"
[[sites]]
id = "c"
[[front_end_pools]]
id = "fe-a"
site = "a"
users = 1000
remote_users = 300
edge_pool = "edge-a"
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
[[edge_pools]]
id = "edge-c"
site = "c"
servers = 2
internal_fqdn = "int.c.example.com"
external_fqdn = "sip.c.example.com"
[dns]
{dns}
{extra}
"#
    );
    for (target, start, duration) in outages {
        text.push_str(&format!(
            "[[outages]]\ntarget = \"{target}\"\nstart = \"{start}\"\nduration = \"{duration}\"\n"
        ));
    }
    text
}

/// Remote-access records: edge-a first, edge-b second (edge-c is no target).
const REMOTE_A_B: &str = "remote_access = [ { target = \"edge-a\", priority = 10, weight = 100 }, { target = \"edge-b\", priority = 20, weight = 100 } ]";
/// Federation records: edge-a first, edge-b second (edge-c is no target).
const FEDERATION_A_B: &str = "federation = [ { target = \"edge-a\", priority = 10, weight = 100 }, { target = \"edge-b\", priority = 20, weight = 100 } ]";

/// Runs `text`; returns the downtime by cause of `service` (all users) and the report's
/// verdict on it.
fn run(text: &str, service: &str, title: &str) -> (Vec<(String, f64)>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("causes.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    edgesim()
        .args(["run", file.to_str().unwrap(), "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    let causes = std::fs::read_to_string(out.join("causes.csv")).unwrap();
    let by_cause: Vec<(String, f64)> = causes
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[1] == service && fields[2] == "all")
                .then(|| (fields[3].to_string(), fields[4].parse().unwrap()))
        })
        .collect();
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    let start = format!("<li><strong>{title}</strong>");
    let verdict = report
        .split(&start)
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .unwrap_or_else(|| panic!("no verdict for {title}"))
        .to_string();
    (by_cause, verdict)
}

/// Checks that `cause` carries all of the service's downtime (or, with `dominant`, the
/// most of it) and that the verdict says `words` and none of `untrue`.
fn check(
    text: &str,
    (service, title): (&str, &str),
    cause: &str,
    dominant: bool,
    words: &str,
    untrue: &[&str],
) {
    let (by_cause, verdict) = run(text, service, title);
    let total: f64 = by_cause.iter().map(|(_, m)| m).sum();
    let of = by_cause
        .iter()
        .find(|(c, _)| c == cause)
        .map_or(0.0, |(_, m)| *m);
    assert!(total > 0.0, "{service}: no downtime at all: {by_cause:?}");
    if dominant {
        assert!(
            by_cause.iter().all(|(_, m)| *m <= of),
            "{cause} is not the largest cause of {service}: {by_cause:?}"
        );
    } else {
        assert!(
            (of - total).abs() <= 1e-9 * total,
            "{service}: {by_cause:?}, expected all {cause}"
        );
    }
    assert!(
        verdict.contains(words),
        "{title}: «{words}» not in: {verdict}"
    );
    for phrase in untrue {
        assert!(
            !verdict.contains(phrase),
            "{title}: untrue «{phrase}» in: {verdict}"
        );
    }
}

const REMOTE: (&str, &str) = ("remote_access", "Remote access");
const INBOUND: (&str, &str) = ("federation_inbound", "Inbound federation");
const OUTBOUND: (&str, &str) = ("federation_outbound", "Outbound federation");
const XMPP_INBOUND: (&str, &str) = ("xmpp_inbound", "Inbound XMPP");
const ASSOCIATION: (&str, &str) = ("edge_association", "Edge association (media)");

#[test]
fn every_federation_target_down_is_not_every_edge_pool_down() {
    // Both federation targets are down for two hours; edge-c, no federation target, stays
    // up. Partners cannot reach the organisation, but not because every pool is down.
    let text = scenario(
        &format!("{REMOTE_A_B}\n{FEDERATION_A_B}"),
        "[federation]\noutbound_route = \"edge-c\"",
        &[("edge-a", "1d", "2h"), ("edge-b", "1d", "2h")],
    );
    check(
        &text,
        INBOUND,
        "all_pools_down",
        false,
        "every federation SRV target being down at once",
        &["every Edge pool being down"],
    );
}

#[test]
fn every_remote_access_target_down_names_the_srv_records() {
    let text = scenario(
        REMOTE_A_B,
        "",
        &[("edge-a", "1d", "2h"), ("edge-b", "1d", "2h")],
    );
    check(
        &text,
        REMOTE,
        "all_pools_down",
        true,
        "every Edge pool in the remote-access SRV records being down at once",
        &["every Edge pool being down"],
    );
}

#[test]
fn every_edge_pool_down_is_said_so() {
    let text = scenario(
        &format!("{REMOTE_A_B}\n{FEDERATION_A_B}"),
        "[federation]\noutbound_route = \"edge-a\"",
        &[
            ("edge-a", "1d", "2h"),
            ("edge-b", "1d", "2h"),
            ("edge-c", "1d", "2h"),
        ],
    );
    check(
        &text,
        OUTBOUND,
        "all_pools_down",
        true,
        "every Edge pool being down at once",
        &[],
    );
}

#[test]
fn a_front_end_pool_down_is_said_so() {
    let text = scenario(REMOTE_A_B, "", &[("fe-a", "1d", "2h")]);
    check(
        &text,
        REMOTE,
        "front_end_down",
        false,
        "the users' Front End pools being down",
        &[],
    );
}

#[test]
fn a_blocked_survivor_is_the_firewall() {
    let text = scenario(
        REMOTE_A_B,
        "[firewall]\ndeny = [ { front_end = \"fe-a\", edge = \"edge-b\" } ]",
        &[("edge-a", "1d", "2h")],
    );
    check(
        &text,
        REMOTE,
        "firewall",
        true,
        "firewall rules that block the Edge pools still up",
        &[],
    );
}

#[test]
fn a_survivor_too_small_is_capacity() {
    // edge-b holds 20 of the 300 remote users.
    let text = scenario(REMOTE_A_B, "", &[("edge-a", "1d", "2h")]).replace(
        "id = \"edge-b\"\nsite = \"b\"\nservers = 2",
        "id = \"edge-b\"\nsite = \"b\"\nservers = 2\ncapacity_per_server = 10",
    );
    check(
        &text,
        REMOTE,
        "capacity",
        true,
        "surviving Edge pools without room for the displaced users",
        &[],
    );
}

#[test]
fn a_route_waiting_for_the_administrator_names_the_route() {
    // The route's pool fails for four hours; the administrator moves the route after one.
    let text = scenario(
        &format!("{REMOTE_A_B}\n{FEDERATION_A_B}"),
        "[federation]\noutbound_route = \"edge-a\"\n[operations]\nresponse = \"1h\"",
        &[("edge-a", "1d", "4h")],
    );
    check(
        &text,
        OUTBOUND,
        "awaiting_admin",
        false,
        "waiting for an administrator to move the outbound federation route",
        &["XMPP"],
    );
}

#[test]
fn an_association_waiting_for_the_administrator_names_the_association() {
    let text = scenario(
        REMOTE_A_B,
        "[operations]\nresponse = \"1h\"",
        &[("edge-a", "1d", "4h")],
    );
    check(
        &text,
        ASSOCIATION,
        "awaiting_admin",
        false,
        "waiting for an administrator to associate the Front End pool with an Edge pool that is up",
        &["route"],
    );
}

#[test]
fn partners_caching_the_old_gateway_is_the_dns_cache() {
    // The gateway's pool fails for ten hours; the administrator moves the gateway at once,
    // and partners' caches keep the old answer for the two-hour TTL.
    let text = scenario(
        &format!("ttl = \"2h\"\n{REMOTE_A_B}\n{FEDERATION_A_B}"),
        "[federation]\noutbound_route = \"edge-a\"\nxmpp_gateway = \"edge-a\"\n[operations]\nresponse = \"0s\"",
        &[("edge-a", "1d", "10h")],
    );
    check(
        &text,
        XMPP_INBOUND,
        "dns_cache",
        false,
        "partners' DNS caches still naming the old XMPP gateway",
        &[],
    );
}

#[test]
fn partners_that_take_one_target_is_the_dns_design() {
    let text = scenario(
        &format!("{REMOTE_A_B}\n{FEDERATION_A_B}"),
        "[federation]\noutbound_route = \"edge-c\"\ninbound = \"single_target\"",
        &[("edge-a", "1d", "2h")],
    );
    check(
        &text,
        INBOUND,
        "dns_design",
        false,
        "partners sent to a pool that is down while another is up",
        &[],
    );
}

#[test]
fn clients_walking_the_list_is_client_failover() {
    let text = scenario(
        REMOTE_A_B,
        "[clients]\ndetect = \"5m\"",
        &[("edge-a", "1d", "2h")],
    );
    check(
        &text,
        REMOTE,
        "client_failover",
        false,
        "clients noticing the loss and walking the SRV list",
        &[],
    );
}

/// A second FE pool, fe-b at site b with `users` users (none remote), and `keys`.
fn second_front_end_pool(users: u64, keys: &str) -> String {
    format!(
        "[[front_end_pools]]\nid = \"fe-b\"\nsite = \"b\"\nusers = {users}\nremote_users = 0\nedge_pool = \"edge-b\"\n{keys}\n"
    )
}

#[test]
fn a_pool_waiting_for_its_failover_is_said_so() {
    // fe-a is paired with fe-b and down 2 h: its users wait for the decision and the
    // failover (about 1 h 30 with the defaults) before they are served as fe-b's.
    let text = scenario(
        REMOTE_A_B,
        &second_front_end_pool(100, "backup = \"fe-a\""),
        &[("fe-a", "1d", "2h")],
    );
    check(
        &text,
        REMOTE,
        "pool_failover_pending",
        true,
        "before their failover to the backup pool is complete",
        &[],
    );
}

#[test]
fn an_edge_pool_cut_off_from_its_next_hop_is_said_so() {
    // edge-a, the XMPP gateway, forwards to fe-a; fe-a is down 2 h, so edge-a answers
    // nothing until the administrator moves its next hop to fe-b.
    let text = scenario(
        &format!("{REMOTE_A_B}\n{FEDERATION_A_B}"),
        &format!(
            "{}[federation]\noutbound_route = \"edge-a\"\nxmpp_gateway = \"edge-a\"",
            second_front_end_pool(10_000, "")
        ),
        &[("fe-a", "1d", "2h")],
    )
    .replace(
        "external_fqdn = \"sip.a.example.com\"\n",
        "external_fqdn = \"sip.a.example.com\"\nnext_hop = \"fe-a\"\n",
    );
    check(
        &text,
        XMPP_INBOUND,
        "next_hop_down",
        false,
        "cut off from their next-hop Front End pool",
        &["every Edge pool being down"],
    );
    check(
        &text,
        OUTBOUND,
        "next_hop_down",
        true,
        "cut off from their next-hop Front End pool",
        &[],
    );
}
