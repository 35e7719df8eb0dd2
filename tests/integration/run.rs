//! `edgesim run` and `edgesim merge` (docs/output.md): determinism across threads and shards,
//! the statistics against hand calculations, paired comparisons, and safe writing.

use std::fs;
use std::path::Path;

use crate::{edgesim, fixtures, project_path};

/// The result files of the built-in example (it has assumptions, so the matrix and the
/// robust choice too).
const FILES: [&str; 8] = [
    "summary.csv",
    "runs.csv",
    "causes.csv",
    "pools.csv",
    "comparison.csv",
    "matrix.csv",
    "robust.csv",
    "summary.json",
];

fn run_into(dir: &Path, args: &[&str]) {
    let output = edgesim()
        .arg("run")
        .args(args)
        .arg("-q")
        .arg("-o")
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn contoso() -> String {
    project_path("scenarios/contoso-three-site.toml")
        .display()
        .to_string()
}

/// Asserts that two output folders hold byte-identical result files.
fn assert_same_files(a: &Path, b: &Path, when: &str) {
    for file in FILES {
        assert_eq!(read(a, file), read(b, file), "{file} differs {when}");
    }
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

#[test]
fn one_thread_and_two_threads_write_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("j1"), dir.path().join("j2"));
    run_into(&one, &[&contoso(), "-n", "300", "-j", "1"]);
    run_into(&two, &[&contoso(), "-n", "300", "-j", "2"]);
    assert_same_files(&one, &two, "between -j 1 and -j 2");
}

#[test]
fn three_shards_merge_into_the_single_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single");
    run_into(&single, &[&contoso(), "-n", "301"]);
    let shards: Vec<_> = (1..=3)
        .map(|k| dir.path().join(format!("shard{k}")))
        .collect();
    for (k, shard) in shards.iter().enumerate() {
        run_into(
            shard,
            &[&contoso(), "-n", "301", "--shard", &format!("{}/3", k + 1)],
        );
        assert!(shard.join("part.json").exists());
    }
    let merged = dir.path().join("merged");
    let output = edgesim()
        .args(["merge", "-o"])
        .arg(&merged)
        .arg(&shards[2])
        .arg(&shards[0])
        .arg(&shards[1])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_same_files(&single, &merged, "after merging");
}

#[test]
fn merge_refuses_parts_of_different_runs_or_missing_shards() {
    let dir = tempfile::tempdir().unwrap();
    let (a, other) = (dir.path().join("a"), dir.path().join("other"));
    run_into(&a, &[&contoso(), "-n", "20", "--shard", "1/2"]);
    run_into(
        &other,
        &[&contoso(), "-n", "20", "--seed", "9", "--shard", "2/2"],
    );
    let out = dir.path().join("out");
    let refused = edgesim()
        .args(["merge", "-o"])
        .arg(&out)
        .arg(&a)
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not belong to the same run"));
    let missing = edgesim()
        .args(["merge", "-o"])
        .arg(&out)
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("every shard"));
    assert!(
        !out.join("summary.csv").exists(),
        "a refused merge writes nothing"
    );
}

/// Parses a CSV file, checking its header.
fn rows(dir: &Path, file: &str, header: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
    let found: Vec<&str> = reader.headers().unwrap().iter().collect();
    assert_eq!(found.join(","), header, "{file} header");
    reader.records().map(Result::unwrap).collect()
}

fn field<'r>(rows: &'r [csv::StringRecord], key: &[(usize, &str)], column: usize) -> &'r str {
    let row = rows
        .iter()
        .find(|r| key.iter().all(|&(i, v)| &r[i] == v))
        .unwrap_or_else(|| panic!("no row {key:?}"));
    &row[column]
}

#[test]
fn the_files_hold_hand_computed_figures_with_the_spec_headers() {
    // Every replication is the same: each remote user loses 30 s + 20 s = 50 s of a 7-day
    // horizon. Availability 1 − 50/604,800 = 0.999917328042328; zero variance, so the
    // interval is that point; downtime 50/604,800 × 525,600 = 43.452381 min/year; one
    // outage a week = 365/7 = 52.142857 per year, of 50 s = 0.833333 min. The edge
    // association loses one default administrator response per week (varying).
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("outage.toml");
    fs::write(&scenario, fixtures::fifty_second_loss(5)).unwrap();
    let out = dir.path().join("out");
    run_into(&out, &[scenario.to_str().unwrap()]);

    let summary = rows(&out, "summary.csv", edgesim::export::SUMMARY_HEADER);
    // remote_access (all + fe-a), edge_association (all + fe-a): no federation, no XMPP.
    assert_eq!(summary.len(), 4);
    let key = [(1, "remote_access"), (2, "all")];
    assert_eq!(field(&summary, &key, 3), "5");
    assert_eq!(field(&summary, &key, 4), "0.999917328042328");
    assert_eq!(field(&summary, &key, 5), "0.999917328042328");
    assert_eq!(field(&summary, &key, 6), "0.999917328042328");
    // nines = −log10(50/604,800) = log10(12,096) = 4.0826418.
    assert_eq!(field(&summary, &key, 7), "4.082642");
    assert_eq!(field(&summary, &key, 8), "43.452381");
    assert_eq!(field(&summary, &key, 12), "52.142857");
    assert_eq!(field(&summary, &key, 13), "0.833333");

    let runs = rows(&out, "runs.csv", edgesim::export::RUNS_HEADER);
    assert_eq!(runs.len(), 5 * 4);
    let first = field(&runs, &[(1, "0"), (2, "remote_access"), (3, "fe-a")], 5);
    assert_eq!(first, "0.833333", "downtime_min over the horizon: 50 s");

    let causes = rows(&out, "causes.csv", edgesim::export::CAUSES_HEADER);
    assert_eq!(
        causes.len(),
        4 * 8,
        "every cause of every service and scope"
    );
    let client = field(
        &causes,
        &[(1, "remote_access"), (2, "all"), (3, "client_failover")],
        4,
    );
    assert_eq!(client, "43.452381");

    let pools = rows(&out, "pools.csv", edgesim::export::POOLS_HEADER);
    // All 1,000 users start on edge-a; during the outage all 1,000 are on edge-b.
    assert_eq!(field(&pools, &[(1, "edge-a")], 2), "24000");
    assert_eq!(field(&pools, &[(1, "edge-a")], 5), "1000");
    assert_eq!(field(&pools, &[(1, "edge-b")], 5), "1000");
    assert!(
        !out.join("comparison.csv").exists(),
        "one layout has no comparison"
    );

    let json: serde_json::Value = serde_json::from_slice(&read(&out, "summary.json")).unwrap();
    assert_eq!(json["run"]["scenario"], "two sites");
    assert_eq!(json["run"]["replications"], 5);
    assert_eq!(json["run"]["horizon"], "1w");
    assert_eq!(json["run"]["random_crates"]["rand_chacha"], "0.10.0");
    assert_eq!(json["summary"].as_array().unwrap().len(), 4);
}

#[test]
fn no_downtime_gives_an_honest_bound_instead_of_a_zero_interval() {
    // Without the outage nothing ever fails: availability 1 in 5 replications. The
    // interval is the exact 95% bound on the rate of replications with downtime, p with
    // (1 − p)⁵ = 0.05, i.e. availability at least 0.05^(1/5) = 0.549280271653059 (the
    // "rule of three" 1 − 3/5 approximates it), and nines are empty.
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("calm.toml");
    let calm = fixtures::fifty_second_loss(5).replace(fixtures::SIX_HOURS_OF_EDGE_A, "");
    fs::write(&scenario, calm).unwrap();
    let out = dir.path().join("out");
    run_into(&out, &[scenario.to_str().unwrap()]);
    let summary = rows(&out, "summary.csv", edgesim::export::SUMMARY_HEADER);
    let key = [(1, "remote_access"), (2, "all")];
    assert_eq!(field(&summary, &key, 4), "1.000000000000000");
    assert_eq!(
        field(&summary, &key, 5),
        format!("{:.15}", 0.05f64.powf(0.2))
    );
    assert_eq!(field(&summary, &key, 6), "1.000000000000000");
    assert_eq!(field(&summary, &key, 7), "");
    assert_eq!(
        field(&summary, &key, 13),
        "",
        "no outage, no mean outage length"
    );
    // The evidence: no replication had downtime, the interval is a bound, and a
    // two-sided one would take at least 5 / (1 − 0.05^(1/5)) = 11.09, so 12 replications.
    assert_eq!(field(&summary, &key, 14), "0");
    assert_eq!(field(&summary, &key, 15), "bounds");
    assert_eq!(field(&summary, &key, 16), "12");
}

#[test]
fn paired_differences_are_narrower_than_unpaired_and_exactly_zero_for_twins() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_into(&out, &[&crate::contoso_layouts(), "-n", "200"]);
    // contoso has an [objective], so summary.csv carries the score's columns.
    let header = format!(
        "{},{}",
        edgesim::export::SUMMARY_HEADER,
        edgesim::export::SCORE_COLUMNS
    );
    let summary = rows(&out, "summary.csv", &header);
    let comparison = rows(&out, "comparison.csv", edgesim::export::COMPARISON_HEADER);
    let half_width_minutes = |layout: &str| {
        let key = [(0, layout), (1, "federation_inbound"), (2, "all")];
        let low: f64 = field(&summary, &key, 5).parse().unwrap();
        let high: f64 = field(&summary, &key, 6).parse().unwrap();
        (high - low) / 2.0 * 525_600.0
    };
    // The unpaired interval of a difference of independent means has half-width
    // sqrt(h₁² + h₂²).
    let unpaired = (half_width_minutes("distinct-priorities").powi(2)
        + half_width_minutes("equal-priorities").powi(2))
    .sqrt();
    let key = [
        (0, "equal-priorities"),
        (2, "federation_inbound"),
        (3, "all"),
    ];
    let low: f64 = field(&comparison, &key, 5).parse().unwrap();
    let high: f64 = field(&comparison, &key, 6).parse().unwrap();
    let paired = (high - low) / 2.0;
    assert!(
        paired < unpaired,
        "paired half-width {paired} not below unpaired {unpaired}"
    );
    // Equal priorities cost inbound federation downtime.
    assert!(low > 0.0);
    // The layouts differ only in federation: remote access differs by exactly nothing.
    let key = [(0, "equal-priorities"), (2, "remote_access"), (3, "all")];
    for column in 4..=6 {
        assert_eq!(field(&comparison, &key, column), "0.000000");
    }
}

#[test]
fn a_failed_run_leaves_every_previous_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_into(&out, &[&contoso(), "-n", "30"]);
    let before: Vec<Vec<u8>> = FILES.iter().map(|f| read(&out, f)).collect();

    // An invalid scenario: refused before anything is written.
    let output = edgesim()
        .arg("run")
        .arg(project_path("tests/malformed/zero-servers.toml"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    // A folder that holds a file edgesim did not write: refused, and nothing changes.
    fs::write(out.join("notes.txt"), b"the planner's own notes").unwrap();
    let output = edgesim()
        .arg("run")
        .arg(contoso())
        .args(["-n", "40", "-q", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("notes.txt"));
    for (file, contents) in FILES.iter().zip(&before) {
        assert_eq!(&read(&out, file), contents, "{file} changed");
    }
    assert_eq!(
        fs::read(out.join("notes.txt")).unwrap(),
        b"the planner's own notes"
    );
    // Nothing is left beside the folder either (staging folders are siblings).
    let siblings: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        siblings,
        vec!["out".to_string()],
        "leftovers beside the output folder"
    );
}

#[test]
fn a_re_run_with_fewer_files_leaves_no_file_of_the_earlier_study() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_into(&out, &[&contoso(), "-n", "10", "--shard", "1/2"]);
    assert!(out.join("runs.csv").exists() && out.join("part.json").exists());
    run_into(
        &out,
        &[
            &contoso(),
            "-n",
            "10",
            "--no-runs",
            "--layout",
            "distinct-priorities",
        ],
    );
    for stale in ["runs.csv", "part.json", "comparison.csv", "comparison.svg"] {
        assert!(
            !out.join(stale).exists(),
            "{stale} of the earlier study is still there"
        );
    }
    assert!(out.join("summary.csv").exists());
}

#[test]
fn the_built_in_default_runs_with_no_argument() {
    let dir = tempfile::tempdir().unwrap();
    let output = edgesim()
        .current_dir(dir.path())
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Paired differences against distinct-priorities"),
        "{stdout}"
    );
    let folder = dir.path().join("output/contoso-three-site");
    for file in FILES {
        assert!(folder.join(file).exists(), "{file} missing");
    }
    // Nothing on stdout is a progress bar: it shows only on a terminal.
    assert!(!stdout.contains("replications,"), "{stdout}");
}

#[test]
fn percentiles_are_within_half_a_permille_of_the_order_statistics_of_runs_csv() {
    // 300 replications of a one-year horizon, so that even p99 is supported: every
    // percentile of summary.csv against the exact nearest-rank order statistic of the
    // yearly downtimes runs.csv lists (printed to 6 decimals, hence the small absolute
    // allowance).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_into(
        &out,
        &[
            "scenarios/two-site-minimal.toml",
            "-n",
            "300",
            "--no-charts",
        ],
    );
    let summary = rows(&out, "summary.csv", edgesim::export::SUMMARY_HEADER);
    let runs = rows(&out, "runs.csv", edgesim::export::RUNS_HEADER);
    let mut checked = 0;
    for row in &summary {
        let (service, scope) = (&row[1], &row[2]);
        let mut yearly: Vec<f64> = runs
            .iter()
            .filter(|r| &r[2] == service && &r[3] == scope)
            .map(|r| r[5].parse::<f64>().unwrap())
            .collect();
        assert_eq!(yearly.len(), 300);
        yearly.sort_by(f64::total_cmp);
        for (p, column) in [(0.50, 9), (0.95, 10), (0.99, 11)] {
            let rank = (p * 300.0f64).ceil() as usize;
            let exact = yearly[rank - 1];
            let reported: f64 = row[column].parse().unwrap();
            assert!(
                (reported - exact).abs() <= 0.0005 * exact + 2e-6,
                "{service} {scope} p{}: {reported} vs {exact}",
                p * 100.0
            );
            checked += 1;
        }
        // 300 replications support both p95 (59) and p99 (299).
        assert_eq!((&row[17], &row[18]), ("true", "true"));
    }
    assert!(checked >= 12, "{checked}");
}

#[test]
fn the_materiality_threshold_decides_material_from_merely_significant() {
    // Equal federation priorities cost inbound federation several hundred minutes a year
    // on contoso: material at the default 5 min/yr, immaterial against 5,000 (yet still
    // significant), material again when only that service's threshold is lowered back.
    let dir = tempfile::tempdir().unwrap();
    let verdict = |extra: &[&str]| -> (String, String) {
        let out = dir.path().join(extra.join("_").replace(['=', '/'], "-"));
        let layouts = crate::contoso_layouts();
        let mut args = vec![layouts.as_str(), "-n", "100", "--no-charts", "--no-runs"];
        args.extend_from_slice(extra);
        run_into(&out, &args);
        let rows = rows(&out, "comparison.csv", edgesim::export::COMPARISON_HEADER);
        let key = [
            (0, "equal-priorities"),
            (2, "federation_inbound"),
            (3, "all"),
        ];
        (
            field(&rows, &key, 12).to_string(),
            field(&rows, &key, 11).to_string(),
        )
    };
    assert_eq!(
        verdict(&[]),
        ("materially_worse".to_string(), "5.000000".to_string())
    );
    assert_eq!(
        verdict(&["--material", "5000"]),
        ("worse_immaterial".to_string(), "5000.000000".to_string())
    );
    assert_eq!(
        verdict(&["--material", "5000", "--material", "federation_inbound=20"]),
        ("materially_worse".to_string(), "20.000000".to_string())
    );
    for bad in ["five", "-1", "remote=3", "remote_access=600000"] {
        let output = edgesim()
            .args(["run", "-n", "2", "-q", &format!("--material={bad}"), "-o"])
            .arg(dir.path().join("bad"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("--material"),
            "{bad}"
        );
    }
}
