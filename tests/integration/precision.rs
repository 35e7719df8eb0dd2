//! `run --precision` (docs/output.md, "Precision target"): batches in replication order
//! until every named row is precise enough, or the cap; the same bytes with any `-j`,
//! and the same files as a plain run of the replications it ended with.

use std::fs;
use std::path::Path;

use crate::{edgesim, outcome};

fn run(folder: &Path, extra: &[&str]) {
    edgesim()
        .args([
            "run",
            "scenarios/two-site-minimal.toml",
            "-q",
            "--no-charts",
            "-o",
        ])
        .arg(folder)
        .args(extra)
        .assert()
        .success();
}

fn precision(folder: &Path) -> serde_json::Value {
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(folder.join("summary.json")).unwrap()).unwrap();
    json["precision"].clone()
}

const TARGET: [&str; 8] = [
    "-n",
    "20",
    "--precision",
    "5%",
    "--precision-for",
    "remote_access",
    "--precision-for",
    "federation_outbound",
];

#[test]
fn a_precision_target_runs_batches_until_every_named_row_meets_it() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    run(&one, &[&TARGET[..], &["-j", "1"]].concat());
    run(&two, &[&TARGET[..], &["-j", "2"]].concat());
    // Deterministic whatever the threads.
    for file in ["summary.csv", "runs.csv", "causes.csv", "summary.json"] {
        assert_eq!(
            fs::read(one.join(file)).unwrap(),
            fs::read(two.join(file)).unwrap(),
            "{file}"
        );
    }
    let report = precision(&one);
    let replications = report["replications"].as_u64().unwrap();
    assert_eq!(report["met"], true, "{report}");
    assert!(replications > 20, "more than one batch: {report}");
    assert_eq!(replications % 20, 0, "whole batches: {report}");
    for row in report["rows"].as_array().unwrap() {
        assert!(
            row["relative_half_width"].as_f64().unwrap() <= 0.05,
            "{row}"
        );
        assert!(row["carrying"].as_u64().unwrap() >= 5, "{row}");
    }
    // The rows' own intervals say so: summary.csv's availability interval, as downtime,
    // is within 5% of the downtime either side.
    let summary = fs::read_to_string(one.join("summary.csv")).unwrap();
    let row = summary
        .lines()
        .find(|l| l.starts_with("base,remote_access,all,"))
        .unwrap();
    let fields: Vec<f64> = row
        .split(',')
        .skip(4)
        .take(5)
        .map(|f| f.parse().unwrap())
        .collect();
    let (availability, low, high, downtime) = (fields[0], fields[1], fields[2], fields[4]);
    let reach = ((1.0 - low) - (1.0 - availability)).max((1.0 - availability) - (1.0 - high));
    assert!(reach * 525_600.0 <= 0.05 * downtime * (1.0 + 1e-9), "{row}");

    // The same files as a plain run of as many replications, but for the report of the
    // target in summary.json.
    let plain = dir.path().join("plain");
    run(&plain, &["-n", &replications.to_string()]);
    for file in ["summary.csv", "runs.csv", "causes.csv", "pools.csv"] {
        assert_eq!(
            fs::read(one.join(file)).unwrap(),
            fs::read(plain.join(file)).unwrap(),
            "{file}"
        );
    }
    let mut targeted: serde_json::Value =
        serde_json::from_slice(&fs::read(one.join("summary.json")).unwrap()).unwrap();
    targeted.as_object_mut().unwrap().remove("precision");
    let plain_json: serde_json::Value =
        serde_json::from_slice(&fs::read(plain.join("summary.json")).unwrap()).unwrap();
    assert_eq!(targeted, plain_json);
}

#[test]
fn a_target_out_of_reach_stops_at_the_cap_and_says_which_rows_missed_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = outcome(
        edgesim()
            .args([
                "run",
                "scenarios/two-site-minimal.toml",
                "--no-charts",
                "-n",
                "20",
                "--precision",
                "0.01",
                "--max-replications",
                "100",
                "-o",
            ])
            .arg(&out),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let report = precision(&out);
    assert_eq!(report["met"], false);
    assert_eq!(report["replications"], 100);
    assert!(
        stdout.contains("Precision: the cap of 100 replications was reached")
            && stdout.contains("not met: base remote_access all"),
        "{stdout}"
    );
}

#[test]
fn precision_mistakes_are_usage_errors() {
    for (extra, message) in [
        (
            vec!["--precision", "10%", "--shard", "1/2"],
            "cannot be split into shards",
        ),
        (vec!["--precision", "0"], "above 0 and below 1"),
        (vec!["--precision", "150%"], "above 0 and below 1"),
        (vec!["--precision", "ten"], "is not a share"),
        (
            vec!["--precision", "10%", "--precision-for", "remote"],
            "is not a service or `score`",
        ),
        (
            vec!["--precision", "10%", "-n", "50", "--max-replications", "10"],
            "the first batch alone is 50 replications",
        ),
        (vec!["--precision-for", "score"], "--precision"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, stderr) = outcome(
            edgesim()
                .args(["run", "scenarios/two-site-minimal.toml", "-q", "-o"])
                .arg(dir.path().join("out"))
                .args(&extra),
        );
        assert_eq!(code, Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    }
}
