//! `edgesim trace`: one replication as `trace.csv` and a printed story.

use std::fs;

use crate::{edgesim, project_path};

const SCENARIO: &str = r#"
name = "trace test"
[simulation]
horizon = "7d"
replications = 3
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
[dns]
remote_access = [ { target = "edge-a", priority = 10, weight = 100 },
                  { target = "edge-b", priority = 20, weight = 100 } ]
[clients]
detect = "30s"
connect_timeout = "20s"
[[outages]]
target = "edge-a"
start = "1d"
duration = "6h"
"#;

#[test]
fn trace_writes_the_events_and_tells_the_story() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("outage.toml");
    fs::write(&scenario, SCENARIO).unwrap();
    let out = dir.path().join("out");
    let output = edgesim()
        .arg("trace")
        .arg(&scenario)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // By hand: 30 s to notice + 20 s on the dead edge-a = 50 s = 0.83 min per user.
    assert!(stdout.contains("edge-a injected outage starts"), "{stdout}");
    assert!(
        stdout.contains("fe-a: each user unserved 0.83 min"),
        "{stdout}"
    );
    assert!(stdout.contains("client_failover 100.0%"), "{stdout}");

    let mut reader = csv::Reader::from_path(out.join("trace.csv")).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "time_s",
            "event",
            "target",
            "detail",
            "remote_access_served",
            "federation_inbound_served",
            "federation_outbound_served",
            "xmpp_inbound_served",
            "xmpp_outbound_served",
            "edge_association_served",
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let start = rows
        .iter()
        .find(|r| &r[1] == "outage_start")
        .expect("the outage starts");
    assert_eq!(&start[0], "86400.000000");
    assert_eq!(&start[2], "edge-a");
    // Right after the outage starts every user is unserved.
    assert_eq!(start[4].parse::<f64>().unwrap(), 0.0);
    // 50 s later the last cohort connects to edge-b and everyone is served.
    let reconnected = rows
        .iter()
        .rfind(|r| &r[1] == "client" && r[3].contains("connected to edge-b"))
        .expect("users reconnect");
    assert_eq!(&reconnected[0], "86450.000000");
    assert!((reconnected[4].parse::<f64>().unwrap() - 1.0).abs() < 1e-9);
}

#[test]
fn trace_rejects_an_unknown_layout_or_replication() {
    let file = project_path("scenarios/two-site-minimal.toml");
    let output = edgesim()
        .arg("trace")
        .arg(&file)
        .args(["--layout", "nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such layout"));
    let output = edgesim()
        .arg("trace")
        .arg(&file)
        .args(["--replication", "5000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("replications 0 to 999"));
}
