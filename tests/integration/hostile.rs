//! Hostile input on the newer surfaces (docs/reliability.md): each test is a case that once
//! crashed, ran unbounded, deleted files or injected something, and fails without the fix
//! that stops it.

use std::fs;
use std::path::Path;

use crate::{edgesim, outcome, project_path};

/// tests/valid-base.toml with `extra` appended, written into `dir` as `name`.
fn base_with(dir: &Path, name: &str, extra: &str) -> std::path::PathBuf {
    let base = fs::read_to_string(project_path("tests/valid-base.toml")).unwrap();
    let file = dir.join(name);
    fs::write(&file, format!("{base}\n{extra}")).unwrap();
    file
}

#[test]
fn a_key_path_of_forty_thousand_parts_is_refused_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let deep = vec!["a"; 40_000].join(".");
    let file = base_with(
        dir.path(),
        "deep.toml",
        &format!("[[sweeps]]\nkey = \"operations.{deep}\"\nvalues = [1]\n"),
    );
    for command in ["validate", "run", "sweep"] {
        let mut args = vec![command, file.to_str().unwrap()];
        if command != "validate" {
            args.extend(["-q", "-o"]);
        }
        let mut cmd = edgesim();
        cmd.args(&args);
        if command != "validate" {
            cmd.arg(dir.path().join(command));
        }
        let (code, stdout, stderr) = outcome(&mut cmd);
        assert_eq!(code, Some(1), "{command}: {stderr}");
        assert!(
            format!("{stdout}{stderr}").contains("a key path has at most 1000"),
            "{command}: {stdout}{stderr}"
        );
    }
    // The same through --vary: a usage error.
    let (code, _, stderr) = outcome(
        edgesim()
            .args(["sweep", "tests/valid-base.toml", "--vary"])
            .arg(format!("operations.{deep}=1"))
            .arg("-o")
            .arg(dir.path().join("s")),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("a key path has at most 1000"), "{stderr}");
}

#[test]
fn vary_takes_inline_tables_and_ids_with_dots() {
    // An Edge pool whose id holds a dot, swept by a quoted key; and a distribution given
    // as an inline table, whose commas do not split it.
    let dir = tempfile::tempdir().unwrap();
    let base = fs::read_to_string(project_path("scenarios/two-site-minimal.toml")).unwrap();
    let dotted = base.replace("edge-west", "edge.west");
    let file = dir.path().join("dotted.toml");
    fs::write(&file, dotted).unwrap();
    let (code, stdout, stderr) = outcome(
        edgesim()
            .args(["sweep", file.to_str().unwrap(), "-n", "4", "-q", "--no-charts"])
            .args([
                "--vary",
                r#"edge_pools."edge.west".servers=3"#,
                "--vary",
                r#"operations.response={ dist = "fixed", value = "1h" },{ dist = "exponential", mean = "2h" }"#,
                "-o",
            ])
            .arg(dir.path().join("s")),
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let mut reader = csv::Reader::from_path(dir.path().join("s/sweep.csv")).unwrap();
    let points: std::collections::BTreeSet<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(points.len(), 4, "{points:?}");
    assert!(
        points.contains(r#"edge_pools."edge.west".servers=3"#),
        "{points:?}"
    );
    assert!(
        points.contains(r#"operations.response={ dist = "fixed", value = "1h" }"#),
        "{points:?}"
    );
}
