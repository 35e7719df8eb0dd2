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
fn trace_rejects_an_unknown_layout_or_replication_as_usage_mistakes() {
    let file = project_path("scenarios/two-site-minimal.toml");
    let output = edgesim()
        .arg("trace")
        .arg(&file)
        .args(["--layout", "nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such layout"));
    let output = edgesim()
        .arg("trace")
        .arg(&file)
        .args(["--replication", "100000000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("numbered 0 to 99999999"));
}

/// `trace` tells the story of exactly the replication `run` counted: replication 2 of
/// `run --seed 7 --horizon 2y` (the built-in example, whose file says 2,000 replications,
/// seed 42 and one year) has the availability and outages that `runs.csv` gives it.
#[test]
fn trace_reproduces_a_replication_of_run_with_the_same_seed_and_horizon() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    edgesim()
        .args([
            "run",
            "-n",
            "3",
            "--seed",
            "7",
            "--horizon",
            "2y",
            "--no-charts",
            "-q",
            "-o",
        ])
        .arg(&run_dir)
        .assert()
        .success();
    let runs = fs::read_to_string(run_dir.join("runs.csv")).unwrap();
    let baseline = runs
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let output = edgesim()
        .args([
            "trace",
            "--seed",
            "7",
            "--horizon",
            "2y",
            "--replication",
            "2",
            "-o",
        ])
        .arg(dir.path().join("trace"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let story = String::from_utf8_lossy(&output.stdout);
    // The built-in example has assumptions: runs.csv has layout, assumption,
    // replication, service, scope, availability, downtime and outages; the trace is of
    // the baseline under the first assumption.
    let first_assumption = runs.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    let mut checked = 0;
    for line in runs.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        if fields[0] != baseline
            || fields[1] != first_assumption
            || fields[2] != "2"
            || fields[4] != "all"
        {
            continue;
        }
        let availability: f64 = fields[5].parse().unwrap();
        let expected = format!(
            "{}: availability {availability:.8}; {} outage(s)",
            fields[3], fields[7]
        );
        assert!(story.contains(&expected), "no {expected:?} in\n{story}");
        checked += 1;
    }
    assert_eq!(checked, 6, "six services of the baseline layout");
}
