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
    let rows = csv_rows(&dir.path().join("d/diff.csv"));
    assert!(!rows.is_empty());
    for row in &rows {
        // No replication differs: the change is 0, with bounds rather than a [0, 0]
        // interval, and the row says it cannot see a change.
        assert_eq!(row["change_min_per_year"], "0.000000", "{row:?}");
        assert_eq!(row["method"], "paired", "{row:?}");
        assert_eq!(row["worse"], "false", "{row:?}");
        assert_eq!(row["replications_differing"], "0", "{row:?}");
        assert_eq!(row["interval"], "bounds", "{row:?}");
        assert_eq!(row["evidence"], "none_differ", "{row:?}");
        let low: f64 = row["ci95_low"].parse().unwrap();
        assert!(low < 0.0, "{row:?}");
    }
    assert!(
        stdout.contains("are the same in every replication of both runs (no difference seen"),
        "{stdout}"
    );
}

/// The rows of a CSV file, each as a map from column to value.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            headers
                .iter()
                .zip(record.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
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
    for row in csv_rows(&dir.path().join("d/diff.csv")) {
        let worse = row["worse"] == "true";
        assert_eq!(worse, row["service"] == "remote_access", "{row:?}");
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
/// `all`, with the given downtime (minutes) per replication of a one-year horizon, and
/// a summary.csv (but no per-row sample in summary.json, as an older edgesim wrote).
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
    // 10,000 replications, of which five got worse by exactly 60 minutes: a Poisson count
    // of five, each of size d = 60/10,000 of a minute per year on the mean. The upper end
    // is Garwood's exact Poisson limit for five, 11.6683·d = 0.070010 (Ulm 1990, table 1);
    // the lower end allows one unseen decrease as large as the largest change, which
    // brings it to 5·d − √((5 − 1.6235)² + (−ln 0.025)²)·d ≈ 0 (1.6235 is Garwood's lower
    // limit, −ln 0.025 = 3.6889 the exact limit for none).
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    let before = vec![10.0; 10_000];
    let mut after = before.clone();
    for value in after.iter_mut().take(5) {
        *value += 60.0;
    }
    hand_folder(&old, 1, &before);
    hand_folder(&new, 1, &after);
    // The lower end is just above 0: with no replication better, five worse is (barely)
    // significant, so the gate fails at a threshold of 0.
    let (code, stdout, stderr) = diff(&old, &new, &dir.path().join("d"), &[]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let row = &csv_rows(&dir.path().join("d/diff.csv"))[0];
    let number = |column: &str| row[column].parse::<f64>().unwrap();
    let d = 60.0 / 10_000.0;
    assert!(
        (number("change_min_per_year") - 5.0 * d).abs() < 1e-6,
        "{row:?}"
    );
    assert!(
        (number("ci95_high") - 11.6683 * d).abs() < 2e-3 * 11.6683 * d,
        "{row:?}"
    );
    let low = 5.0 * d - ((5.0f64 - 1.6235).powi(2) + 3.6889f64.powi(2)).sqrt() * d;
    assert!((number("ci95_low") - low).abs() < 2e-3 * d, "{row:?}");
    assert_eq!(row["method"], "paired");
    assert_eq!(row["replications_differing"], "5");
    assert_eq!(row["interval"], "two_sided");
    // Every replication of both runs had downtime (10 minutes at least).
    assert_eq!(row["old_replications_with_downtime"], "10000");
    assert_eq!(row["new_replications_with_downtime"], "10000");
}

#[test]
fn an_unpaired_interval_matches_welch_where_every_replication_carries_it() {
    // 400 replications each, every one with downtime, small spreads: both gamma intervals
    // are symmetric, and their combination is Welch's: the change ± t · √(s²/n + s²/n).
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    let before: Vec<f64> = (0..400).map(|i| 100.0 + f64::from(i % 7)).collect();
    let after: Vec<f64> = (0..400).map(|i| 110.0 + f64::from(i % 5)).collect();
    hand_folder(&old, 1, &before);
    hand_folder(&new, 2, &after);
    let (_, stdout, _) = diff(&old, &new, &dir.path().join("d"), &[]);
    assert!(
        stdout.contains("unpaired (Welch): the seeds differ (1 and 2)"),
        "{stdout}"
    );
    let row = &csv_rows(&dir.path().join("d/diff.csv"))[0];
    assert_eq!(row["method"], "welch");
    let variance = |values: &[f64]| {
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64
    };
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    let standard_error = ((variance(&before) + variance(&after)) / 400.0).sqrt();
    // Each side's interval uses t at 0.975 with 399 degrees of freedom: 1.966 (the
    // NIST/SEMATECH table gives 1.966 at 400).
    let half = 1.966 * standard_error;
    let (low, high): (f64, f64) = (
        row["ci95_low"].parse().unwrap(),
        row["ci95_high"].parse().unwrap(),
    );
    let mean_change: f64 = row["change_min_per_year"].parse().unwrap();
    assert!(
        (mean_change - (mean(&after) - mean(&before))).abs() < 1e-6,
        "{row:?}"
    );
    assert!((low - (mean_change - half)).abs() < 2e-3 * half, "{row:?}");
    assert!((high - (mean_change + half)).abs() < 2e-3 * half, "{row:?}");
}

#[test]
fn rows_that_cannot_see_the_threshold_say_so_and_what_would_fix_them() {
    // Paired, three replications differ: too few; unpaired and wider than 1 min/yr: too
    // wide, and the note asks for the same seed and replications.
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    hand_folder(&old, 1, &[10.0, 20.0, 30.0, 10.0, 20.0, 30.0]);
    hand_folder(&new, 1, &[12.0, 25.0, 29.0, 10.0, 20.0, 30.0]);
    let (code, stdout, _) = diff(&old, &new, &dir.path().join("d"), &["--threshold", "1"]);
    assert_eq!(code, Some(0), "{stdout}");
    let row = &csv_rows(&dir.path().join("d/diff.csv"))[0];
    assert_eq!(row["evidence"], "too_few_differ", "{row:?}");
    assert_eq!(row["replications_differing"], "3");
    assert_eq!(row["interval"], "bounds");
    // Three of six differ: five would take about 5 · 6/3 = 10 replications.
    assert_eq!(row["replications_needed"], "10");
    assert!(
        stdout.contains("1 rows cannot see a change of 1 min/year"),
        "{stdout}"
    );
    assert!(stdout.contains("run about 10 replications"), "{stdout}");
    // --fail-blind turns it into a failure for a CI gate.
    let (code, _, _) = diff(
        &old,
        &new,
        &dir.path().join("d2"),
        &["--threshold", "1", "--fail-blind"],
    );
    assert_eq!(code, Some(1));

    let wide_old: Vec<f64> = (0..40).map(|i| f64::from(i % 9) * 10.0 + 1.0).collect();
    let wide_new: Vec<f64> = (0..40).map(|i| f64::from(i % 7) * 10.0 + 1.0).collect();
    hand_folder(&old, 1, &wide_old);
    hand_folder(&new, 2, &wide_new);
    let (_, stdout, _) = diff(&old, &new, &dir.path().join("d3"), &["--threshold", "1"]);
    let row = &csv_rows(&dir.path().join("d3/diff.csv"))[0];
    assert_eq!(row["evidence"], "too_wide", "{row:?}");
    assert!(
        stdout.contains("because the interval is wider than the threshold")
            && stdout.contains("run both with the same seed, replications and horizon"),
        "{stdout}"
    );
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
        // A damaged folder cannot be compared: 2, never the 1 a gate reads as "worse".
        assert_eq!(code, Some(2), "{what}: {stderr}");
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
