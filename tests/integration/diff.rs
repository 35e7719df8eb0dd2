//! `edgesim diff`: two result folders compared row by row, as a CI gate would use it.

use std::fs;
use std::path::Path;

use crate::{edgesim, outcome, project_path};

/// Runs `scenario` (a path under the project, or an absolute one) into `folder`.
fn run_into(scenario: &str, folder: &Path, extra: &[&str]) {
    edgesim()
        .args(["run", scenario, "-q", "--no-charts", "-o"])
        .arg(folder)
        .args(extra)
        .assert()
        .success();
}

fn diff(old: &Path, new: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    outcome(
        edgesim()
            .arg("diff")
            .arg(old)
            .arg(new)
            .arg("-o")
            .arg(out)
            .args(extra),
    )
}

#[test]
fn a_folder_against_itself_reports_no_change_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    run_into("scenarios/two-site-minimal.toml", &results, &["-n", "40"]);
    let (code, stdout, stderr) = diff(&results, &results, &dir.path().join("d"), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("paired by replication"), "{stdout}");
    assert!(stdout.contains(", 0 changed; none got"), "{stdout}");
    assert!(!stdout.contains("[objective] scores"), "{stdout}");
    let csv = fs::read_to_string(dir.path().join("d/diff.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(!rows.is_empty());
    for row in rows {
        assert!(
            row.contains(",0.000000,0.000000,0.000000,paired,false"),
            "{row}"
        );
    }
}

#[test]
fn a_deliberately_worse_scenario_exits_1_and_names_what_got_worse() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (dir.path().join("before"), dir.path().join("after"));
    run_into("scenarios/two-site-minimal.toml", &before, &["-n", "60"]);
    // Clients that take ten minutes to notice a dead connection lose more remote access
    // at every failure; everything else reads nothing of [clients].
    let text = fs::read_to_string(project_path("scenarios/two-site-minimal.toml")).unwrap();
    let worse = dir.path().join("worse.toml");
    fs::write(&worse, format!("{text}\n[clients]\ndetect = \"10m\"\n")).unwrap();
    run_into(worse.to_str().unwrap(), &after, &["-n", "60"]);
    let (code, stdout, stderr) = diff(&before, &after, &dir.path().join("d"), &[]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("got significantly worse by more than 0 min/year: base remote_access all"),
        "{stdout}"
    );
    let csv = fs::read_to_string(dir.path().join("d/diff.csv")).unwrap();
    for row in csv.lines().skip(1) {
        let worse = row.ends_with(",true");
        assert_eq!(worse, row.contains(",remote_access,"), "{row}");
    }
    // A threshold above the change lets it pass.
    let (code, stdout, _) = diff(
        &before,
        &after,
        &dir.path().join("d2"),
        &["--threshold", "100000"],
    );
    assert_eq!(code, Some(0), "{stdout}");
}

#[test]
fn folders_that_cannot_be_compared_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let (two, contoso) = (dir.path().join("two"), dir.path().join("contoso"));
    run_into("scenarios/two-site-minimal.toml", &two, &["-n", "10"]);
    run_into("scenarios/contoso-three-site.toml", &contoso, &["-n", "10"]);
    let (code, _, stderr) = diff(&two, &contoso, &dir.path().join("d"), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("no layout, service and scope in common")
            && stderr.contains("layouts base and distinct-priorities"),
        "{stderr}"
    );
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let (code, _, stderr) = diff(&two, &empty, &dir.path().join("d"), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("is not a result folder of `edgesim run` (no summary.json)"),
        "{stderr}"
    );
    let (code, _, stderr) = diff(&two, &two, &two, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("one of the folders being compared"),
        "{stderr}"
    );
    // Another seed and no runs.csv: compared unpaired, and said so.
    let other = dir.path().join("other");
    run_into(
        "scenarios/two-site-minimal.toml",
        &other,
        &["-n", "10", "--seed", "99", "--no-runs"],
    );
    let (code, stdout, stderr) = diff(&two, &other, &dir.path().join("d3"), &[]);
    assert!(code == Some(0) || code == Some(1), "{stderr}");
    assert!(
        stdout.contains("unpaired (Welch)")
            && stdout.contains("has no runs.csv")
            && stdout.contains("the seeds differ"),
        "{stdout}"
    );
}

/// Writes a result folder by hand: one layout `base`, service `remote_access`, scope
/// `all`, with the given downtime (minutes) per replication of a one-year horizon.
fn hand_folder(folder: &Path, seed: u64, downtime: &[f64]) {
    fs::create_dir_all(folder).unwrap();
    let n = downtime.len();
    let mean = downtime.iter().sum::<f64>() / n as f64;
    fs::write(
        folder.join("summary.json"),
        format!(
            r#"{{"run": {{"scenario": "hand", "scenario_file": "hand.toml", "seed": {seed}, "replications": {n}, "horizon": "1y", "horizon_micros": 31536000000000, "layouts": ["base"], "edgesim_version": "0.1.0", "random_crates": {{"libm": "0.2.16", "rand_chacha": "0.10.0"}}, "fingerprint": "0"}}}}"#
        ),
    )
    .unwrap();
    let availability = 1.0 - mean / 525_600.0;
    fs::write(
        folder.join("summary.csv"),
        format!(
            "layout,service,scope,replications,availability,ci95_low,ci95_high,nines,downtime_min_per_year,downtime_p50,downtime_p95,downtime_p99,outages_per_year,mean_outage_min\nbase,remote_access,all,{n},{availability},{availability},{availability},3,{mean},0,0,0,1,1\n"
        ),
    )
    .unwrap();
    let mut runs =
        String::from("layout,replication,service,scope,availability,downtime_min,outages\n");
    for (i, minutes) in downtime.iter().enumerate() {
        runs.push_str(&format!("base,{i},remote_access,all,0.999,{minutes},1\n"));
    }
    fs::write(folder.join("runs.csv"), runs).unwrap();
}

#[test]
fn a_paired_interval_matches_a_hand_calculation() {
    // Differences 2, 5, −1: mean 2, sample standard deviation 3, standard error 3/√3;
    // t(0.975, 2) = 4.302653 (NIST/SEMATECH table 1.3.6.7.2): 2 ± 7.452413.
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    hand_folder(&old, 1, &[10.0, 20.0, 30.0]);
    hand_folder(&new, 1, &[12.0, 25.0, 29.0]);
    let (code, stdout, stderr) = diff(&old, &new, &dir.path().join("d"), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let csv = fs::read_to_string(dir.path().join("d/diff.csv")).unwrap();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let number = |i: usize| row[i].parse::<f64>().unwrap();
    assert!((number(5) - 2.0).abs() < 1e-6, "{row:?}");
    let half = 4.302_653 * 3.0 / 3f64.sqrt();
    assert!((number(6) - (2.0 - half)).abs() < 1e-5, "{row:?}");
    assert!((number(7) - (2.0 + half)).abs() < 1e-5, "{row:?}");
    assert_eq!(row[8], "paired");
    // The same values under another seed are compared unpaired (Welch): sample variances
    // 100 and 79 (means 20 and 22), standard error √(179/3) = 7.72442, degrees of freedom
    // (179/3)² / ((100/3)²/2 + (79/3)²/2) = 3.94569.
    hand_folder(&new, 2, &[12.0, 25.0, 29.0]);
    let (_, stdout, _) = diff(&old, &new, &dir.path().join("d2"), &[]);
    assert!(
        stdout.contains("unpaired (Welch): the seeds differ (1 and 2)"),
        "{stdout}"
    );
    let csv = fs::read_to_string(dir.path().join("d2/diff.csv")).unwrap();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[8], "welch");
    let low: f64 = row[6].parse().unwrap();
    // t(0.975, 3.94569) = 2.791581, by integrating Student's t density numerically (the
    // table gives 2.776 at 4 and 3.182 at 3 degrees): 2 − 2.791581 · 7.72442 = −19.5633.
    assert!((low + 19.5633).abs() < 1e-3, "{low}");
}

#[test]
fn a_damaged_runs_csv_is_refused_with_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    run_into("scenarios/two-site-minimal.toml", &old, &["-n", "3"]);
    run_into("scenarios/two-site-minimal.toml", &new, &["-n", "3"]);
    let text = fs::read_to_string(new.join("runs.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let per_replication = (lines.len() - 1) / 3;
    // Rows 2 and 3 of replication 1 swapped; then a row of replication 1 dropped.
    let first = 1 + per_replication;
    let mut swapped = lines.clone();
    swapped.swap(first + 1, first + 2);
    let mut dropped = lines.clone();
    dropped.remove(first + 1);
    for (damaged, what) in [(swapped, "swapped"), (dropped, "dropped")] {
        fs::write(new.join("runs.csv"), damaged.join("\n") + "\n").unwrap();
        let (code, _, stderr) = diff(&old, &new, &dir.path().join("d"), &[]);
        assert_eq!(code, Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains("runs.csv") && stderr.contains("not in the order edgesim writes"),
            "{what}: {stderr}"
        );
    }
    assert!(!dir.path().join("d").exists(), "nothing written");
}

#[test]
fn scores_are_left_out_and_the_notes_say_so() {
    // contoso has an [objective]: its score rows are in weighted user-minutes.
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    run_into("scenarios/contoso-three-site.toml", &results, &["-n", "10"]);
    let (code, stdout, stderr) = diff(&results, &results, &dir.path().join("d"), &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("the [objective] scores are left out"),
        "{stdout}"
    );
    let csv = fs::read_to_string(dir.path().join("d/diff.csv")).unwrap();
    assert!(csv.lines().count() > 10);
    assert!(!csv.contains(",score,"), "{csv}");
}
