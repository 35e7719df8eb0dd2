//! `edgesim trace`: one replication as `trace.csv` and a printed story.

use std::fs;

use crate::{edgesim, fixtures, project_path};

#[test]
fn trace_writes_the_events_and_tells_the_story() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("outage.toml");
    fs::write(&scenario, fixtures::fifty_second_loss(3)).unwrap();
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
