//! Federation, XMPP and the Edge association under manual failover (docs/model.md)
//! against hand calculations, a closed form and a continuous-time Markov chain.

use edgesim::model::metrics::Cause;
use edgesim::model::services::Service;
use edgesim::model::{ReplicationResult, TraceRecord, simulate_replication};

use crate::fixtures::{self, SIX_HOURS_OF_EDGE_A, load, unavailability};

/// The shared two-site scenario; edge-a is the federation route and XMPP gateway;
/// federation SRV records as `federation`; DNS TTL 1 h; fixed administrator response
/// 45 min; `settings` go under `[federation]`; `outages` are appended.
fn scenario(federation: &str, settings: &str, outages: &str) -> String {
    fixtures::two_sites(
        1000,
        2,
        2,
        &format!("ttl = \"1h\"\nfederation = {federation}"),
        &format!(
            "[federation]\noutbound_route = \"edge-a\"\nxmpp_gateway = \"edge-a\"\n{settings}\n[clients]\ndetect = \"30s\"\nconnect_timeout = \"20s\"\n[operations]\nresponse = \"45m\"\n{outages}"
        ),
    )
}

const DISTINCT: &str = r#"[ { target = "edge-a", priority = 10, weight = 100 }, { target = "edge-b", priority = 20, weight = 100 } ]"#;
const EQUAL: &str = r#"[ { target = "edge-a", priority = 10, weight = 50 }, { target = "edge-b", priority = 10, weight = 50 } ]"#;

fn simulate(text: &str) -> (ReplicationResult, Vec<TraceRecord>) {
    let (topology, simulation) = load(text);
    let mut trace = Vec::new();
    let result = simulate_replication(&topology, &simulation, 0, &mut trace);
    (result, trace)
}

fn seconds_lost(result: &ReplicationResult, service: Service, cause: Option<Cause>) -> f64 {
    let service_result = result.service(service).expect("configured");
    let weight: f64 = if service.per_user() {
        service_result.weights.iter().sum()
    } else {
        1.0
    };
    let unserved = match cause {
        Some(cause) => service_result.all.unserved_user_micros[cause as usize],
        None => service_result.all.unserved_total(),
    };
    unserved / weight / 1e6
}

/// Asserts the seconds each service lost (scope all), from one cause or from all:
/// user-seconds ÷ users for per-user services (the loss of each user when all lose the
/// same), request-share-seconds for organisation-level ones.
fn assert_losses(result: &ReplicationResult, expected: &[(Service, Option<Cause>, f64)]) {
    for &(service, cause, seconds) in expected {
        let actual = seconds_lost(result, service, cause);
        assert!(
            (actual - seconds).abs() < 1e-6 * seconds.max(1.0),
            "{} ({cause:?}): lost {actual} s, expected {seconds} s",
            service.name()
        );
    }
}

#[test]
fn losing_the_pool_that_holds_everything_costs_one_response_and_a_ttl() {
    // edge-a is route, gateway and fe-a's associated pool; it is down 6 h; the
    // administrator moves everything to edge-b after 45 min (2,700 s); partners' DNS
    // caches keep naming edge-a for XMPP one more hour (3,600 s). failback = "stay".
    let (result, _) = simulate(&scenario(
        DISTINCT,
        "failback = \"stay\"",
        SIX_HOURS_OF_EDGE_A,
    ));
    assert_losses(
        &result,
        &[
            (Service::FederationOutbound, None, 2_700.0),
            (Service::EdgeAssociation, None, 2_700.0),
            (Service::XmppOutbound, None, 2_700.0),
            (Service::XmppInbound, None, 2_700.0 + 3_600.0),
            (Service::XmppInbound, Some(Cause::AwaitingAdmin), 2_700.0),
            (Service::XmppInbound, Some(Cause::DnsCache), 3_600.0),
        ],
    );
    // Distinct federation priorities: partners fail back to edge-b at once (R5).
    assert_losses(
        &result,
        &[
            (Service::FederationInbound, None, 0.0),
            (
                Service::FederationOutbound,
                Some(Cause::AwaitingAdmin),
                2_700.0,
            ),
        ],
    );
}

#[test]
fn failback_returns_one_response_after_recovery_with_no_extra_loss() {
    // failback = "return": at 1 d + 6 h + 45 min (110,700 s) the route, the gateway and
    // the association go back to edge-a, which is up: no loss for the route and the
    // association, but the gateway change makes partners' caches wait one more TTL.
    let (result, trace) = simulate(&scenario(DISTINCT, "", SIX_HOURS_OF_EDGE_A));
    assert_losses(
        &result,
        &[
            (Service::FederationOutbound, None, 2_700.0),
            (Service::EdgeAssociation, None, 2_700.0),
            (Service::XmppOutbound, None, 2_700.0),
            (Service::XmppInbound, None, 2_700.0 + 3_600.0 + 3_600.0),
        ],
    );
    let failback = trace
        .iter()
        .find(|r| r.event == "admin" && r.detail.contains("failback"))
        .expect("a failback");
    assert_eq!(failback.time.as_micros(), 110_700 * 1_000_000);
    assert!(
        failback
            .detail
            .contains("outbound federation route returns"),
        "{}",
        failback.detail
    );
    assert!(
        failback.detail.contains("fe-a associated with it again"),
        "{}",
        failback.detail
    );
}

#[test]
fn inbound_federation_under_each_partner_behaviour() {
    // Equal priorities, weights 50/50: half the requests pick the dead edge-a and are not
    // retried on the sibling: half of 6 h = 10,800 s.
    let (result, _) = simulate(&scenario(EQUAL, "", SIX_HOURS_OF_EDGE_A));
    assert_losses(
        &result,
        &[
            (Service::FederationInbound, None, 10_800.0),
            (Service::FederationInbound, Some(Cause::DnsDesign), 10_800.0),
        ],
    );
    // single_target (F1): partners take edge-a and never retry: all 6 h.
    let (result, _) = simulate(&scenario(
        DISTINCT,
        "inbound = \"single_target\"",
        SIX_HOURS_OF_EDGE_A,
    ));
    assert_losses(&result, &[(Service::FederationInbound, None, 21_600.0)]);
    // geo_dns: the traffic manager notices after 2 min (120 s), then partners' caches
    // name edge-a one more TTL (3,600 s).
    let (result, _) = simulate(&scenario(
        DISTINCT,
        "inbound = \"geo_dns\"\ngeo_dns_detect = \"2m\"",
        SIX_HOURS_OF_EDGE_A,
    ));
    assert_losses(
        &result,
        &[
            (Service::FederationInbound, None, 3_720.0),
            (Service::FederationInbound, Some(Cause::DnsDesign), 120.0),
            (Service::FederationInbound, Some(Cause::DnsCache), 3_600.0),
        ],
    );
}

#[test]
fn a_pool_back_before_the_response_closes_the_incident_with_no_change() {
    // edge-a is down 30 min, less than the 45 min response: nothing is published, every
    // service that depends on edge-a loses exactly the 30 min, and XMPP inbound has no
    // DNS wait because the gateway never moved.
    let outage = "[[outages]]\ntarget = \"edge-a\"\nstart = \"1d\"\nduration = \"30m\"\n";
    let (result, trace) = simulate(&scenario(DISTINCT, "", outage));
    assert_losses(
        &result,
        &[
            (Service::FederationOutbound, None, 1_800.0),
            (Service::EdgeAssociation, None, 1_800.0),
            (Service::XmppOutbound, None, 1_800.0),
            (Service::XmppInbound, None, 1_800.0),
        ],
    );
    // The incident closes the moment edge-a returns (1 d + 30 min); its response, due at
    // 1 d + 45 min, is never carried out.
    let closed = trace
        .iter()
        .find(|r| r.detail.contains("back before the administrator's change"))
        .expect("the incident closes");
    assert_eq!(closed.event, "outage_end");
    assert_eq!(closed.time.as_micros(), (86_400 + 1_800) * 1_000_000);
    assert!(!trace.iter().any(|r| r.event == "admin"));
}

#[test]
fn with_no_candidate_up_the_change_is_made_the_moment_one_comes_back() {
    // edge-b is down from 23 h to 1 d + 2 h; edge-a from 1 d for 6 h. At 1 d + 45 min
    // the administrator has no pool to move to; edge-b comes back at 1 d + 2 h and the
    // route, gateway and association move to it at that instant (not a response later):
    // outbound federation and the association lose exactly 2 h (7,200 s), all of it with
    // no pool up; XMPP inbound another TTL.
    let outages = "[[outages]]\ntarget = \"edge-a\"\nstart = \"1d\"\nduration = \"6h\"\n[[outages]]\ntarget = \"edge-b\"\nstart = \"23h\"\nduration = \"3h\"\n";
    let (result, trace) = simulate(&scenario(DISTINCT, "failback = \"stay\"", outages));
    assert_losses(
        &result,
        &[
            (Service::FederationOutbound, None, 7_200.0),
            (
                Service::FederationOutbound,
                Some(Cause::AllPoolsDown),
                7_200.0,
            ),
            (Service::EdgeAssociation, None, 7_200.0),
            (Service::XmppInbound, None, 7_200.0 + 3_600.0),
        ],
    );
    let moved = trace
        .iter()
        .find(|r| {
            r.detail
                .contains("outbound federation route edge-a → edge-b")
        })
        .expect("the route moves");
    assert_eq!(moved.time.as_micros(), (86_400 + 7_200) * 1_000_000);
}

/// Two pools of two servers, exponential failure (mean 20 h) and repair (mean 2 h) per
/// server, exponential administrator response (mean 1 h), nothing else fails.
fn markov_scenario(federation: &str, settings: &str) -> String {
    scenario(federation, settings, "")
        .replace("horizon = \"7d\"", "horizon = \"1y\"")
        .replace("response = \"45m\"", "response = { dist = \"exponential\", mean = \"1h\" }")
        .replace(
            "[clients]",
            "[failures]\nserver = { time_to_failure = \"20h\", time_to_repair = \"2h\" }\n[clients]",
        )
}

/// Solves π Q = 0 with Σ π = 1 by Gaussian elimination with partial pivoting.
fn stationary(generator: &[Vec<f64>]) -> Vec<f64> {
    let n = generator.len();
    // Transpose: Qᵀ πᵀ = 0; replace the last equation by the normalisation.
    let mut a: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| generator[j][i]).collect())
        .collect();
    let mut b = vec![0.0; n];
    a[n - 1] = vec![1.0; n];
    b[n - 1] = 1.0;
    for column in 0..n {
        let pivot = (column..n)
            .max_by(|&x, &y| a[x][column].abs().total_cmp(&a[y][column].abs()))
            .unwrap();
        a.swap(column, pivot);
        b.swap(column, pivot);
        let (upper, lower) = a.split_at_mut(column + 1);
        let pivot_row = &upper[column];
        for (offset, row) in lower.iter_mut().enumerate() {
            let factor = row[column] / pivot_row[column];
            if factor != 0.0 {
                for (value, pivot_value) in row[column..].iter_mut().zip(&pivot_row[column..]) {
                    *value -= factor * pivot_value;
                }
                b[column + 1 + offset] -= factor * b[column];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let sum: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - sum) / a[row][row];
    }
    x
}

#[test]
fn outbound_federation_matches_the_markov_chain() {
    // The continuous-time Markov chain of the route under failback = "stay".
    // State: servers up in each pool (0..=2), the route's pool, the number of each pool's
    // incidents awaiting a response (0..=K, truncated: a new incident beyond K is
    // dropped; with these rates more than 3 outstanding has probability below 1e-6), and
    // whether the route's move is pending for want of a candidate.
    // Transitions: each up server fails at λ = 1/20 h, each down server is repaired at
    // μ = 1/2 h (one crew per server); a pool whose last server fails opens an incident;
    // each awaiting incident responds at ρ = 1/h: if its pool is down and holds the route,
    // the route moves to the other pool if that is up, else the move is pending; a
    // pending move is made the instant the other pool comes up, and lapses when the
    // route's pool comes back. Outbound federation is up while the route's pool is up.
    const K: usize = 3;
    let (lambda, mu, rho) = (1.0 / 20.0, 1.0 / 2.0, 1.0);
    let index = |servers: [usize; 2], route: usize, waiting: [usize; 2], pending: usize| {
        ((((servers[0] * 3 + servers[1]) * 2 + route) * (K + 1) + waiting[0]) * (K + 1)
            + waiting[1])
            * 2
            + pending
    };
    let n = 9 * 2 * (K + 1) * (K + 1) * 2;
    let mut q = vec![vec![0.0; n]; n];
    let mut up_states = Vec::new();
    for s0 in 0..3 {
        for s1 in 0..3 {
            for route in 0..2 {
                for w0 in 0..=K {
                    for w1 in 0..=K {
                        for pending in 0..2 {
                            let servers = [s0, s1];
                            let waiting = [w0, w1];
                            let from = index(servers, route, waiting, pending);
                            if servers[route] > 0 {
                                up_states.push(from);
                            }
                            let mut add = |to: usize, rate: f64| {
                                if to != from {
                                    q[from][to] += rate;
                                    q[from][from] -= rate;
                                }
                            };
                            for pool in 0..2 {
                                let other = 1 - pool;
                                // A server of `pool` fails.
                                if servers[pool] > 0 {
                                    let mut next_servers = servers;
                                    next_servers[pool] -= 1;
                                    let mut next_waiting = waiting;
                                    if next_servers[pool] == 0 && next_waiting[pool] < K {
                                        next_waiting[pool] += 1;
                                    }
                                    add(
                                        index(next_servers, route, next_waiting, pending),
                                        servers[pool] as f64 * lambda,
                                    );
                                }
                                // A server of `pool` is repaired.
                                if servers[pool] < 2 {
                                    let mut next_servers = servers;
                                    next_servers[pool] += 1;
                                    let (mut next_route, mut next_pending) = (route, pending);
                                    if servers[pool] == 0 && pending == 1 {
                                        if route == pool {
                                            next_pending = 0; // lapses
                                        } else {
                                            next_route = pool; // made at once
                                            next_pending = 0;
                                        }
                                    }
                                    add(
                                        index(next_servers, next_route, waiting, next_pending),
                                        (2 - servers[pool]) as f64 * mu,
                                    );
                                }
                                // One of `pool`'s awaiting incidents responds.
                                if waiting[pool] > 0 {
                                    let mut next_waiting = waiting;
                                    next_waiting[pool] -= 1;
                                    let (mut next_route, mut next_pending) = (route, pending);
                                    if servers[pool] == 0 && route == pool {
                                        if servers[other] > 0 {
                                            next_route = other;
                                            next_pending = 0;
                                        } else {
                                            next_pending = 1;
                                        }
                                    }
                                    add(
                                        index(servers, next_route, next_waiting, next_pending),
                                        waiting[pool] as f64 * rho,
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let pi = stationary(&q);
    let expected: f64 = 1.0 - up_states.iter().map(|&s| pi[s]).sum::<f64>();
    let truncated: f64 = (0..n)
        .filter(|&s| (s / 2) % (K + 1) == K || (s / (2 * (K + 1))) % (K + 1) == K)
        .map(|s| pi[s])
        .sum();
    assert!(truncated < 1e-5, "truncation mass {truncated}");
    let (mean, standard_error) = unavailability(
        &markov_scenario(DISTINCT, "failback = \"stay\""),
        Service::FederationOutbound,
        20,
    );
    eprintln!("outbound federation: simulated {mean} ± {standard_error}, Markov chain {expected}");
    assert!(
        (mean - expected).abs() < 4.0 * standard_error,
        "simulated {mean} ± {standard_error}, chain {expected}"
    );
    assert!(
        standard_error < 0.1 * expected,
        "too loose to fail: SE {standard_error}"
    );
}

#[test]
fn equal_priorities_lose_the_mean_of_the_pools_down_probabilities() {
    // Inbound federation with both pools at priority 10, weights 50/50: the failing share
    // is (down_a + down_b) / 2, so its unavailability is the mean of the two pools' down
    // probabilities. A pool of two independent servers is down with probability q² where
    // q = 2 h / (20 h + 2 h) = 1/11: q² = 1/121.
    let (mean, standard_error) =
        unavailability(&markov_scenario(EQUAL, ""), Service::FederationInbound, 20);
    let expected = 1.0 / 121.0;
    eprintln!("equal priorities: simulated {mean} ± {standard_error}, closed form {expected}");
    assert!(
        (mean - expected).abs() < 4.0 * standard_error,
        "simulated {mean} ± {standard_error}, expected {expected}"
    );
    assert!(
        standard_error < 0.1 * expected,
        "too loose to fail: SE {standard_error}"
    );
}

#[test]
fn a_front_end_pool_back_on_a_down_edge_pool_gets_an_incident_of_its_own() {
    // edge-a is down from 1 d for 6 h. fe-a is down from 1 d + 10 min to 1 d + 2 h, so
    // when edge-a's incident publishes at 1 d + 45 min, fe-a is not up and is not
    // re-associated. When fe-a comes back at 1 d + 2 h still associated with the down
    // edge-a, it opens an incident of its own: 45 min later it is associated with
    // edge-b. Edge association for fe-a: 600 s awaiting the administrator, 6,600 s with
    // its FE pool down, then 2,700 s awaiting again = 9,900 s, 3,300 s of them
    // awaiting_admin.
    let outages = format!(
        "{SIX_HOURS_OF_EDGE_A}[[outages]]\ntarget = \"fe-a\"\nstart = \"87000s\"\nduration = \"6600s\"\n"
    );
    let (result, trace) = simulate(&scenario(DISTINCT, "", &outages));
    assert_losses(
        &result,
        &[
            (Service::EdgeAssociation, None, 9_900.0),
            (
                Service::EdgeAssociation,
                Some(Cause::AwaitingAdmin),
                3_300.0,
            ),
            (Service::EdgeAssociation, Some(Cause::FrontEndDown), 6_600.0),
        ],
    );
    let reassociated = trace
        .iter()
        .find(|r| r.event == "admin" && r.detail.contains("fe-a associated with edge-b"))
        .expect("fe-a is re-associated");
    assert_eq!(
        reassociated.time.as_micros(),
        (86_400 + 7_200 + 2_700) * 1_000_000
    );
}
