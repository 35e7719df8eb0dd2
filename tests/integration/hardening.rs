//! The guarantees of docs/reliability.md that need a real process: no write outside the
//! output folder, interrupted runs that leave nothing behind, merges that check what they
//! merge, and bounded resources.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::{edgesim, project_path};

fn contoso() -> String {
    project_path("scenarios/contoso-three-site.toml")
        .display()
        .to_string()
}

fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_planted_symlink_cannot_redirect_a_write() {
    // In a shared folder someone plants a link under the name the old temporary files
    // had, pointing at a file of theirs. The run refuses the folder (it holds a file
    // edgesim did not write) and the target is untouched.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    edgesim()
        .args(["run", "-n", "3", "-q", "--no-charts", "-o"])
        .arg(&out)
        .assert()
        .success();
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, out.join(".summary.csv.4242.tmp")).unwrap();
    let output = edgesim()
        .args(["run", "-n", "3", "-q", "--no-charts", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
}

/// Starts a long run, lets it stage files for a moment, sends `signal`, and returns the
/// exit code.
fn interrupted_run(out: &Path, signal: &str) -> Option<i32> {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("edgesim"))
        .current_dir(crate::root())
        .args(["run", &contoso(), "-n", "1000000", "-q", "-o"])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the run has staged its files (runs.csv is streamed from the start).
    let parent = out.parent().unwrap();
    for _ in 0..200 {
        let staging = fs::read_dir(parent).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".edgesim-")
        });
        if staging {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    std::thread::sleep(Duration::from_millis(300));
    std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap().code()
}

#[test]
fn an_interrupted_run_removes_its_temporary_files_and_keeps_the_previous_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    edgesim()
        .args(["run", "-n", "3", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    let summary = fs::read(out.join("summary.csv")).unwrap();
    for (signal, code) in [("-TERM", 143), ("-INT", 130), ("-HUP", 129)] {
        assert_eq!(interrupted_run(&out, signal), Some(code), "{signal}");
        assert_eq!(
            names_in(dir.path()),
            vec!["out".to_string()],
            "{signal}: leftovers"
        );
        assert_eq!(
            fs::read(out.join("summary.csv")).unwrap(),
            summary,
            "{signal}"
        );
    }
}

fn run_shard(scenario: &str, shard: &str, out: &Path, extra: &[&str]) {
    edgesim()
        .args([
            "run",
            scenario,
            "-n",
            "6",
            "-q",
            "--no-charts",
            "--shard",
            shard,
            "-o",
        ])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

fn merge(out: &Path, parts: &[&Path]) -> std::process::Output {
    let mut command = edgesim();
    command.args(["merge", "--no-charts", "-o"]).arg(out);
    for part in parts {
        command.arg(part);
    }
    command.output().unwrap()
}

#[test]
fn an_id_with_a_line_break_survives_a_merge_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(contoso())
        .unwrap()
        .replace("\"fe-dublin\"", "\"fe-\\ndublin, \\\"the\\\" hub\"");
    let scenario = dir.path().join("odd.toml");
    fs::write(&scenario, text).unwrap();
    let scenario = scenario.display().to_string();
    let (whole, one, two, merged) = (
        dir.path().join("whole"),
        dir.path().join("s1"),
        dir.path().join("s2"),
        dir.path().join("merged"),
    );
    edgesim()
        .args(["run", &scenario, "-n", "6", "-q", "--no-charts", "-o"])
        .arg(&whole)
        .assert()
        .success();
    run_shard(&scenario, "1/2", &one, &[]);
    run_shard(&scenario, "2/2", &two, &[]);
    let output = merge(&merged, &[&one, &two]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        fs::read(whole.join("runs.csv")).unwrap(),
        fs::read(merged.join("runs.csv")).unwrap()
    );
}

#[test]
fn merge_refuses_runs_that_are_not_its_shards() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, merged) = (
        dir.path().join("s1"),
        dir.path().join("s2"),
        dir.path().join("m"),
    );
    run_shard(&contoso(), "1/2", &one, &[]);
    run_shard(&contoso(), "2/2", &two, &[]);
    let original = fs::read(one.join("runs.csv")).unwrap();
    // Swapped runs.csv files.
    fs::copy(two.join("runs.csv"), one.join("runs.csv")).unwrap();
    let output = merge(&merged, &[&one, &two]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected the row of"));
    // Garbage.
    fs::write(
        one.join("runs.csv"),
        b"layout,replication,service,scope,availability,downtime_min,outages\nx,y\n",
    )
    .unwrap();
    assert_eq!(merge(&merged, &[&one, &two]).status.code(), Some(1));
    // Extra rows.
    let mut longer = original.clone();
    longer.extend_from_slice(&original[original.iter().position(|&b| b == b'\n').unwrap() + 1..]);
    fs::write(one.join("runs.csv"), longer).unwrap();
    assert_eq!(merge(&merged, &[&one, &two]).status.code(), Some(1));
    assert!(!merged.exists(), "a refused merge wrote something");
    // Writing the merge over a shard being merged.
    fs::write(one.join("runs.csv"), &original).unwrap();
    let output = merge(&one, &[&one, &two]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("one of the shard folders"));
    assert_eq!(fs::read(one.join("runs.csv")).unwrap(), original);
}

#[test]
fn merge_checks_part_files() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, merged) = (
        dir.path().join("s1"),
        dir.path().join("s2"),
        dir.path().join("m"),
    );
    run_shard(&contoso(), "1/2", &one, &["--no-runs"]);
    run_shard(&contoso(), "2/2", &two, &["--no-runs"]);
    let text = fs::read_to_string(one.join("part.json")).unwrap();
    // An edited sum: the checksum no longer matches.
    let edited = text.replacen("\"sum\":", "\"sum\":1", 1);
    fs::write(one.join("part.json"), &edited).unwrap();
    let output = merge(&merged, &[&one, &two]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("checksum"));
    // A part claiming a huge number of shards, with a checksum made to match: refused
    // before anything is allocated for it.
    let mut part = edgesim::export::part::Part::parse(text.as_bytes()).unwrap();
    part.shard.count = 18_446_744_073_709_551_615;
    part.checksum = part.content_checksum();
    fs::write(one.join("part.json"), serde_json::to_string(&part).unwrap()).unwrap();
    let output = merge(&merged, &[&one, &two]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a shard"));
    // Zero replications in a scope, checksum made to match.
    let mut part = edgesim::export::part::Part::parse(text.as_bytes()).unwrap();
    part.study.layouts[0].services[0].scopes[0].replications = 0;
    part.checksum = part.content_checksum();
    fs::write(one.join("part.json"), serde_json::to_string(&part).unwrap()).unwrap();
    assert_eq!(merge(&merged, &[&one, &two]).status.code(), Some(1));
    fs::write(one.join("part.json"), &text).unwrap();
    let output = merge(&merged, &[&one, &two]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn shards_of_one_file_named_two_ways_merge() {
    // The fingerprint is of the scenario's content, not of the path it was given as.
    let dir = tempfile::tempdir().unwrap();
    fs::copy(contoso(), dir.path().join("c.toml")).unwrap();
    for (shard, name) in [("1/2", "c.toml"), ("2/2", "./c.toml")] {
        let mut command = edgesim();
        command
            .current_dir(dir.path())
            .args([
                "run",
                name,
                "-n",
                "4",
                "-q",
                "--no-charts",
                "--no-runs",
                "--shard",
                shard,
                "-o",
            ])
            .arg(dir.path().join(format!("s{}", &shard[..1])))
            .assert()
            .success();
    }
    let output = merge(
        &dir.path().join("m"),
        &[&dir.path().join("s1"), &dir.path().join("s2")],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn empty_and_absurd_shards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = edgesim()
        .args(["run", "-n", "3", "-q", "--shard", "4/4", "-o"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("has none"));
    for shard in ["1/18446744073709551615", "1/1000000000"] {
        let output = edgesim()
            .args(["run", "-n", "3", "-q", "--shard", shard, "-o"])
            .arg(dir.path().join("y"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{shard}");
    }
    assert!(!dir.path().join("x").exists() && !dir.path().join("y").exists());
}

#[test]
fn layouts_keep_the_order_given() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    edgesim()
        .args(["run", "-n", "10", "-q", "--no-charts", "--no-runs"])
        .args([
            "--layout",
            "single-target",
            "--layout",
            "distinct-priorities",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let comparison = fs::read_to_string(out.join("comparison.csv")).unwrap();
    assert!(
        comparison
            .lines()
            .skip(1)
            .all(|l| l.starts_with("distinct-priorities,single-target,"))
    );
}
