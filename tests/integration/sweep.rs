//! `edgesim sweep`: points on the same random numbers as the base, errors as documented.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use crate::{edgesim, outcome};

fn sweep(args: &[&str], out: &Path) -> (Option<i32>, String, String) {
    outcome(
        edgesim()
            .arg("sweep")
            .args(args)
            .args(["-q", "-o"])
            .arg(out),
    )
}

/// (point, layout, service, scope).
type RowKey = (String, String, String, String);
/// (downtime, delta, delta interval low, high), as written.
type RowFigures = (String, String, String, String);

/// `sweep.csv` by row.
fn rows(folder: &Path) -> HashMap<RowKey, RowFigures> {
    let mut reader = csv::Reader::from_path(folder.join("sweep.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                (
                    r[0].to_string(),
                    r[3].to_string(),
                    r[4].to_string(),
                    r[5].to_string(),
                ),
                (
                    r[6].to_string(),
                    r[9].to_string(),
                    r[10].to_string(),
                    r[11].to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn a_key_a_service_does_not_read_leaves_it_exactly_unchanged_at_every_point() {
    // Partners' DNS caches (the TTL) are read by inbound federation and XMPP only.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let (code, _, stderr) = sweep(&["-n", "30", "--vary", "dns.ttl=1m,1d"], &out);
    assert_eq!(code, Some(0), "{stderr}");
    let rows = rows(&out);
    let mut changed = 0;
    for ((point, layout, service, scope), (downtime, delta, low, high)) in &rows {
        let base = &rows[&(
            "base".to_string(),
            layout.clone(),
            service.clone(),
            scope.clone(),
        )];
        if service == "remote_access" || service == "federation_outbound" {
            assert_eq!(downtime, &base.0, "{point} {layout} {service} {scope}");
            assert_eq!(
                (delta.as_str(), low.as_str(), high.as_str()),
                ("0.000000", "0.000000", "0.000000"),
                "{point} {layout} {service} {scope}"
            );
        } else if downtime != &base.0 {
            changed += 1;
        }
    }
    assert!(
        changed > 0,
        "the TTL changed nothing at all: the sweep did not apply"
    );
    // Labelled as zero by construction, not as "no difference seen".
    let mut reader = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (interval, differing, verdict) = (
        column("delta_interval"),
        column("replications_differing"),
        column("verdict"),
    );
    let mut labelled = 0;
    for record in reader.records() {
        let record = record.unwrap();
        if &record[0] != "base" && &record[4] == "remote_access" {
            assert_eq!(
                (&record[interval], &record[differing], &record[verdict]),
                ("unaffected", "0", "unaffected"),
                "{record:?}"
            );
            labelled += 1;
        }
    }
    assert!(labelled > 0);
}

#[test]
fn a_point_at_the_base_value_reproduces_the_base_and_run_to_the_bit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    // two-site-minimal's edge-west has 2 servers.
    let (code, _, stderr) = sweep(
        &[
            "scenarios/two-site-minimal.toml",
            "-n",
            "40",
            "--vary",
            "edge_pools.edge-west.servers=2,3",
        ],
        &out,
    );
    assert_eq!(code, Some(0), "{stderr}");
    let rows = rows(&out);
    let run_folder = dir.path().join("run");
    edgesim()
        .args([
            "run",
            "scenarios/two-site-minimal.toml",
            "-n",
            "40",
            "-q",
            "--no-charts",
            "-o",
        ])
        .arg(&run_folder)
        .assert()
        .success();
    let summary = fs::read_to_string(run_folder.join("summary.csv")).unwrap();
    let mut compared = 0;
    for line in summary.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let key = |point: &str| {
            (
                point.to_string(),
                f[0].to_string(),
                f[1].to_string(),
                f[2].to_string(),
            )
        };
        let base = &rows[&key("base")];
        let same = &rows[&key("edge_pools.edge-west.servers=2")];
        // summary.csv writes downtime with 6 decimals too.
        assert_eq!(base.0, f[8], "{line}");
        assert_eq!(
            same,
            &(
                f[8].to_string(),
                "0.000000".into(),
                "0.000000".into(),
                "0.000000".into()
            ),
            "{line}"
        );
        compared += 1;
    }
    assert!(compared >= 4);
}

#[test]
fn sweep_mistakes_are_usage_errors_with_the_key_path() {
    let dir = tempfile::tempdir().unwrap();
    for (vary, expected) in [
        ("operations.respons.median=1h", "unknown key `respons`"),
        ("dns.ttl=15", "a duration needs a unit"),
        ("dns.ttl=", "give at least one value"),
        ("simulation.seed=3", "cannot be swept"),
        (
            "edge_pools.edge-wst.servers=3",
            "no record whose id is \"edge-wst\"",
        ),
        ("ttl", "write KEY=V1,V2"),
    ] {
        let (code, _, stderr) = sweep(
            &["scenarios/two-site-minimal.toml", "-n", "5", "--vary", vary],
            &dir.path().join("s"),
        );
        assert_eq!(code, Some(2), "{vary}: {stderr}");
        assert!(stderr.contains(expected), "{vary}: {stderr}");
    }
    let many = format!(
        "dns.ttl={}",
        (1..=201)
            .map(|m| format!("{m}m"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (code, _, stderr) = sweep(
        &["scenarios/two-site-minimal.toml", "--vary", &many],
        &dir.path().join("s"),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("lists 201 values; sweep at most 200"),
        "{stderr}"
    );
    let (code, _, stderr) = sweep(&["scenarios/two-site-minimal.toml"], &dir.path().join("s"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("nothing to sweep"), "{stderr}");
}

#[test]
fn a_file_s_sweeps_run_when_no_vary_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(crate::project_path("scenarios/two-site-minimal.toml")).unwrap();
    let file = dir.path().join("with-sweeps.toml");
    fs::write(
        &file,
        format!("{text}\n[[sweeps]]\nkey = \"clients.detect\"\nvalues = [\"10s\", \"10m\"]\n"),
    )
    .unwrap();
    let out = dir.path().join("s");
    let (code, _, stderr) = sweep(&[file.to_str().unwrap(), "-n", "20"], &out);
    assert_eq!(code, Some(0), "{stderr}");
    let rows = rows(&out);
    let all = |point: &str| {
        rows[&(
            point.to_string(),
            "base".into(),
            "remote_access".into(),
            "all".into(),
        )]
            .clone()
    };
    // Noticing a dead connection later can only lose more: the paired difference of
    // detect = 10m against detect = 10s is positive.
    let slow: f64 = all("clients.detect=10m").1.parse().unwrap();
    let fast: f64 = all("clients.detect=10s").1.parse().unwrap();
    assert!(slow > fast, "{slow} vs {fast}");
}

#[test]
fn a_sweep_draws_its_lines_and_with_two_keys_a_tornado() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    edgesim()
        .args(["sweep", "scenarios/two-site-minimal.toml", "-n", "20", "-q"])
        .args(["--vary", "clients.detect=10s,10m", "-o"])
        .arg(&one)
        .assert()
        .success();
    for file in ["sweep.csv", "sweep.svg", "sweep.png"] {
        assert!(one.join(file).is_file(), "{file}");
    }
    assert!(
        !one.join("tornado.svg").exists(),
        "a tornado needs two keys"
    );
    let two = dir.path().join("two");
    edgesim()
        .args(["sweep", "scenarios/two-site-minimal.toml", "-n", "20", "-q"])
        .args([
            "--vary",
            "clients.detect=10s,10m",
            "--vary",
            "dns.ttl=5m,1d",
            "-o",
        ])
        .arg(&two)
        .assert()
        .success();
    for stem in ["sweep", "tornado"] {
        let svg = fs::read_to_string(two.join(format!("{stem}.svg"))).unwrap();
        let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let texts: String = document
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect();
        assert!(
            texts.contains("clients.detect") && texts.contains("dns.ttl"),
            "{stem}"
        );
        let png = fs::read(two.join(format!("{stem}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
    let report = fs::read_to_string(two.join("report.html")).unwrap();
    assert!(
        report.contains("<h2>Sweep</h2>")
            && report.contains("clients.detect = 10s, 10m")
            && report.contains("moves it most")
            && report.matches("<svg").count() == 2
            && !report.contains("<script")
            && !report.contains("src=\"http")
            && !report.contains("href=\"http"),
        "report.html lacks its sweep section or charts, or fetches something"
    );
    let no_charts = dir.path().join("none");
    edgesim()
        .args([
            "sweep",
            "scenarios/two-site-minimal.toml",
            "-n",
            "5",
            "-q",
            "--no-charts",
        ])
        .args(["--vary", "dns.ttl=5m", "-o"])
        .arg(&no_charts)
        .assert()
        .success();
    assert!(!no_charts.join("sweep.svg").exists());
}
