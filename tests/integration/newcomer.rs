//! A newcomer's first hour: pipes, progress in logs, warnings with `-q`, advice that uses
//! the file's own values, durations written as people write them, folders given as files.

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::{edgesim, project_path, root};

/// The binary as a plain process, for tests that need its pipes.
fn process() -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("edgesim"));
    command.current_dir(root());
    command
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // `edgesim run | head -0`: the reader is gone before the table is printed.
    let mut child = process()
        .args(["run", "-n", "20", "--no-charts", "-o"])
        .arg(dir.path().join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // The files were written all the same.
    assert!(dir.path().join("out/summary.csv").exists());
}

#[test]
fn quiet_hides_progress_and_the_table_but_not_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let output = edgesim()
        .args([
            "run",
            "scenarios/misconfigured.toml",
            "-n",
            "2",
            "-q",
            "--no-charts",
            "-o",
        ])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning[capacity]"), "{stderr}");
    assert!(!stderr.contains("replications/s"), "{stderr}");
}

#[test]
fn progress_goes_to_a_log_as_plain_lines() {
    let dir = tempfile::tempdir().unwrap();
    let output = edgesim()
        .env("EDGESIM_PROGRESS_EVERY", "0s")
        .args(["run", "-n", "30", "--no-charts", "-o"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("edgesim: "))
        .collect();
    assert!(!lines.is_empty(), "{stderr}");
    for line in &lines {
        // "edgesim: 7/30 replications (23%), warming up" or "..., 812 replications/s, about 2 s left"
        assert!(line.contains("/30 replications ("), "{line}");
        assert!(!line.contains('.') || line.ends_with("left"), "{line}");
        assert!(!line.contains('\r') && !line.contains('\x1b'), "{line:?}");
    }
}

/// A run that would write a runs.csv of many gigabytes says so before it starts, and names
/// the flag that avoids it. The run is then interrupted: it leaves nothing behind.
#[test]
fn a_huge_runs_csv_is_announced_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = process()
        .args(["run", "-n", "30000000", "--no-charts", "-o"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut warning = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if line.contains("runs.csv") {
            warning = line.clone();
            break;
        }
        line.clear();
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(
        warning.contains("GB") && warning.contains("--no-runs"),
        "{warning}"
    );
    // 30,000,000 replications × 180 rows (four layouts under three assumptions, 15 rows
    // each) of about 83 bytes plus the assumption's name (17 characters on average) and a
    // comma: about 540 GB.
    let gigabytes: f64 = warning
        .split("about ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("{warning}"));
    assert!((450.0..650.0).contains(&gigabytes), "{warning}");
    assert!(!status.success());
    assert!(!out.exists(), "an interrupted run left {}", out.display());
}

#[test]
fn the_runs_csv_estimate_is_close_to_the_file_written() {
    let dir = tempfile::tempdir().unwrap();
    for scenario in [
        "scenarios/contoso-three-site.toml",
        "scenarios/large-enterprise.toml",
    ] {
        let out = dir.path().join(scenario.replace('/', "-"));
        edgesim()
            .args([
                "run",
                scenario,
                "-n",
                "40",
                "--horizon",
                "30d",
                "-q",
                "--no-charts",
                "-o",
            ])
            .arg(&out)
            .assert()
            .success();
        let written = fs::metadata(out.join("runs.csv")).unwrap().len() as f64;
        let loaded = edgesim::scenario::load_file(&project_path(scenario)).unwrap();
        let estimate = edgesim::export::runs::estimated_bytes(&loaded.scenario, 40) as f64;
        assert!(
            (estimate / written - 1.0).abs() < 0.05,
            "{scenario}: estimated {estimate}, written {written}"
        );
    }
}

#[test]
fn durations_may_add_up_terms() {
    let dir = tempfile::tempdir().unwrap();
    let output = edgesim()
        .args([
            "run",
            "-n",
            "2",
            "--horizon",
            "1d 1h",
            "--no-charts",
            "-q",
            "-o",
        ])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
    // 25 hours, in microseconds.
    assert!(
        summary.contains("\"horizon_micros\": 90000000000,"),
        "{summary}"
    );
}

#[test]
fn a_folder_given_as_a_scenario_is_explained() {
    let output = edgesim().args(["run", "scenarios/"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("this is a folder"), "{stderr}");
    assert!(stderr.contains("contoso-three-site.toml"), "{stderr}");
    assert!(
        stderr.contains("edgesim validate scenarios/*.toml"),
        "{stderr}"
    );
}

/// Advice quotes the planner's file, not the example scenario: the capacity warning uses
/// the file's `capacity_per_server` and, when a layout left a pool out of
/// dns.remote_access, says to list it rather than to buy servers.
#[test]
fn advice_uses_the_files_own_values_and_names_the_real_cause() {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::read_to_string(project_path("tests/valid-base.toml")).unwrap();
    let small = base.replace("servers = 2", "servers = 2\ncapacity_per_server = 1000");
    let path = dir.path().join("small.toml");
    fs::write(&path, &small).unwrap();
    let output = edgesim().arg("validate").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("at 1000 remote users each (capacity_per_server in this file)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("12,000") && !stdout.contains("12000 remote users each"),
        "{stdout}"
    );

    let unlisted = format!(
        "{base}\n[[layouts]]\nname = \"east only\"\ndns = {{ remote_access = [ {{ target = \"edge-east\", priority = 10, weight = 100 }} ] }}\n"
    );
    let path = dir.path().join("unlisted.toml");
    fs::write(&path, &unlisted).unwrap();
    let output = edgesim().arg("validate").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("add \"edge-west\" to dns.remote_access"),
        "{stdout}"
    );

    // A missing reference suggests an id of this file, not one of the Contoso example.
    let missing = base.replacen("edge_pool = \"edge-east\"\n", "", 1);
    let path = dir.path().join("missing.toml");
    fs::write(&path, &missing).unwrap();
    let output = edgesim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("add `edge_pool = \"edge-east\"`"),
        "{stderr}"
    );
    assert!(!stderr.contains("dublin"), "{stderr}");
}
