//! Snapshots (insta) of what a planner reads: `--help` texts, the terminal table and
//! rendered errors and warnings. A change of wording fails here until it is reviewed
//! (`cargo insta review`, or compare the `.snap.new` file and rename it).

use crate::edgesim;

fn stdout_of(args: &[&str]) -> String {
    let output = edgesim().args(args).output().unwrap();
    String::from_utf8(output.stdout).unwrap()
}

fn stderr_of(args: &[&str]) -> (Option<i32>, String) {
    let output = edgesim().args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn help_texts() {
    insta::assert_snapshot!("help", stdout_of(&["--help"]));
    for command in [
        "run", "trace", "validate", "merge", "diff", "sweep", "explore",
    ] {
        insta::assert_snapshot!(format!("help_{command}"), stdout_of(&[command, "--help"]));
    }
}

#[test]
fn terminal_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = edgesim()
        .args([
            "run",
            "scenarios/two-site-minimal.toml",
            "-n",
            "20",
            "--no-charts",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    // The table, without the lines naming the temporary folder.
    let table: String = stdout
        .lines()
        .take_while(|line| !line.starts_with("Wrote "))
        .map(|line| format!("{line}\n"))
        .collect();
    insta::assert_snapshot!("table_two_site_minimal", table);
}

#[test]
fn rendered_errors() {
    for file in [
        "unknown-key-top-level",
        "unknown-unit",
        "dangling-srv-target",
        "missing-edge-pool-site",
        "time-stands-still",
        "retry-storm",
        "syntax-unclosed-string",
    ] {
        let (code, stderr) = stderr_of(&["validate", &format!("tests/malformed/{file}.toml")]);
        assert_eq!(code, Some(1), "{file}");
        insta::assert_snapshot!(format!("error_{file}"), stderr);
    }
    let (code, stderr) = stderr_of(&["run", "-n", "0"]);
    assert_eq!(code, Some(2));
    insta::assert_snapshot!("error_usage_replications", stderr);
}

#[test]
fn rendered_warnings() {
    insta::assert_snapshot!(
        "warnings_misconfigured",
        stdout_of(&["validate", "scenarios/misconfigured.toml"])
    );
}
