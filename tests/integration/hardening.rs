//! The guarantees of docs/reliability.md that need a real process: no write outside the
//! output folder, interrupted runs that leave nothing behind, merges that check what they
//! merge, and bounded resources.

use std::fs;
use std::path::{Path, PathBuf};
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
fn an_id_that_needs_csv_quoting_survives_a_merge_byte_for_byte() {
    // A comma and quotes make every CSV field of this id quoted (a line break, which
    // would too, is refused in ids: it is a control character).
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(contoso())
        .unwrap()
        .replace("\"fe-dublin\"", "\"fe-dublin, \\\"the\\\" hub\"");
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
    assert_eq!(output.status.code(), Some(2));
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
    // A score that does not fit the [objective] (contoso has one), checksum made to match:
    // a negative factor, a missing score, the objective dropped while scores remain.
    type Tamper = fn(&mut edgesim::export::part::Part);
    let tampers: [(&str, Tamper); 3] = [
        ("negative factor", |p| {
            p.study.layouts[0].score.as_mut().unwrap().factors[0] = -1.0
        }),
        ("missing score", |p| p.study.layouts[1].score = None),
        ("no objective", |p| p.study.objective = None),
    ];
    for (what, tamper) in tampers {
        let mut part = edgesim::export::part::Part::parse(text.as_bytes()).unwrap();
        tamper(&mut part);
        part.checksum = part.content_checksum();
        fs::write(one.join("part.json"), serde_json::to_string(&part).unwrap()).unwrap();
        let output = merge(&merged, &[&one, &two]);
        assert_eq!(output.status.code(), Some(1), "{what}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("score does not match"),
            "{what}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // Evidence that a shard's replications cannot hold, or a study of another shape,
    // checksum made to match: more replications with downtime than replications, a sum
    // larger than the carrying replications times the largest value, a paired difference
    // over other replications, a service marked unaffected in one shard only, another
    // materiality; figures per cell (the example has assumptions) that disagree with the
    // cell's sums, belong to another replication, or are missing.
    let tampers: [(&str, Tamper, &str); 8] = [
        (
            "cell figure",
            |p| p.study.cell_runs.as_mut().unwrap().runs[0].figures[0] += 1,
            "figures per cell do not hold",
        ),
        (
            "cell replication",
            |p| p.study.cell_runs.as_mut().unwrap().runs[0].replication = 1,
            "figures per cell do not hold",
        ),
        (
            "no cell figures",
            |p| p.study.cell_runs = None,
            "no figures per cell",
        ),
        (
            "carrying",
            |p| {
                p.study.layouts[0].services[0].scopes[0]
                    .unavailability
                    .nonzero = 1_000_000
            },
            "does not hold",
        ),
        (
            "sum",
            |p| {
                let sums = &mut p.study.layouts[0].services[0].scopes[0].unavailability;
                sums.sum = u128::from(sums.nonzero + 1) * u128::from(sums.max);
            },
            "does not hold",
        ),
        (
            "paired",
            |p| {
                // Layout 3: equal-priorities under the first assumption, compared with
                // distinct-priorities under it.
                let paired = p.study.layouts[3].services[0].scopes[0]
                    .paired
                    .as_mut()
                    .unwrap();
                paired.downtime.replications += 1;
            },
            "does not hold",
        ),
        (
            "unaffected",
            |p| {
                p.study.layouts[3].services[1].unaffected =
                    !p.study.layouts[3].services[1].unaffected
            },
            "does not belong to the same run",
        ),
        (
            "materiality",
            |p| p.study.materiality.outages_per_year = 7.0,
            "does not belong to the same run",
        ),
    ];
    for (what, tamper, message) in tampers {
        let mut part = edgesim::export::part::Part::parse(text.as_bytes()).unwrap();
        tamper(&mut part);
        part.checksum = part.content_checksum();
        fs::write(one.join("part.json"), serde_json::to_string(&part).unwrap()).unwrap();
        let output = merge(&merged, &[&one, &two]);
        assert_eq!(output.status.code(), Some(1), "{what}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(message),
            "{what}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
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
    // A usage mistake: the command line asks for a shard that cannot exist.
    assert_eq!(output.status.code(), Some(2));
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
            "geo-dns",
            "--layout",
            "distinct-priorities",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let comparison = fs::read_to_string(out.join("comparison.csv")).unwrap();
    // layout, assumption, baseline: geo-dns is the baseline under every assumption.
    assert!(comparison.lines().skip(1).all(|l| {
        let fields: Vec<&str> = l.split(',').collect();
        fields[0] == "distinct-priorities" && fields[2] == "geo-dns"
    }));
}

/// A malformed file with one line replaced, written into `dir`.
fn malformed_variant(dir: &Path, base: &str, line_start: &str, replacement: &str) -> PathBuf {
    let text = fs::read_to_string(project_path(&format!("tests/malformed/{base}"))).unwrap();
    let mut replaced = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with(line_start) {
                replaced += 1;
                replacement.to_string()
            } else {
                line.to_string()
            }
        })
        .collect();
    assert_eq!(replaced, 1, "{base} has one line starting {line_start:?}");
    let path = dir.join(format!("variant-{}.toml", replacement.len()));
    fs::write(&path, lines.join("\n")).unwrap();
    path
}

/// Validates `file`, which must be refused as invalid (exit 1) with every one of
/// `expected` in its message.
fn assert_refused(file: &Path, expected: &[&str]) {
    let output = edgesim().arg("validate").arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}: {stderr}",
        file.display()
    );
    for text in expected {
        assert!(
            stderr.contains(text),
            "{}: no {text:?} in {stderr}",
            file.display()
        );
    }
}

#[test]
fn distributions_whose_draws_round_to_zero_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let server = "server = { time_to_failure = \"1y\", time_to_repair = ";
    for repair in [
        r#"{ dist = "lognormal", mu = -60, sigma = 1 }"#,
        r#"{ dist = "gamma", shape = 1e-300, scale = "1h" }"#,
        r#"{ dist = "uniform", min = "0s", max = "1ms" }"#,
        r#"{ dist = "weibull", shape = 0.01, scale = "1h" }"#,
    ] {
        let file = malformed_variant(
            dir.path(),
            "time-stands-still.toml",
            "server = ",
            &format!("{server}{repair} }}"),
        );
        assert_refused(
            &file,
            &["failures.server.time_to_repair", "shorter than 1 ms"],
        );
    }
}

#[test]
fn outage_targets_that_name_no_component_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for target in ["#1", "#", "#2#3", "edge-east#2#3", " "] {
        let file = malformed_variant(
            dir.path(),
            "outage-empty-target.toml",
            "target = \"\"",
            &format!("target = {target:?}"),
        );
        assert_refused(&file, &["outages[0].target"]);
    }
}

#[test]
fn thread_counts_beyond_the_cap_are_usage_errors() {
    for threads in ["257", "65535"] {
        let output = edgesim()
            .args(["run", "-j", threads, "-n", "1"])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "-j {threads}: {stderr}");
        assert!(stderr.contains("256"), "-j {threads}: {stderr}");
    }
}

#[test]
fn a_file_larger_than_the_cap_is_refused_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    // Sparse: 17 MiB on the size the tool sees, nothing on disk.
    fs::File::create(&path).unwrap().set_len(17 << 20).unwrap();
    assert_refused(&path, &["larger than 16 MiB"]);
}

#[test]
fn every_one_of_ten_thousand_mistakes_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(project_path("tests/malformed/time-stands-still.toml")).unwrap();
    let keys: String = (0..10_000).map(|i| format!("unknown_{i} = 1\n")).collect();
    let path = dir.path().join("many.toml");
    fs::write(&path, format!("{keys}{text}")).unwrap();
    let output = edgesim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    // Each unknown key, plus the repair time the file was written to get wrong, counted;
    // the first hundred shown, so that a systematic mistake cannot flood the terminal.
    assert!(
        stderr.contains("10001 errors found"),
        "{}",
        &stderr[stderr.len().saturating_sub(500)..]
    );
    assert!(stderr.contains("unknown_99 "), "{}", &stderr[..500]);
    assert!(!stderr.contains("unknown_100 "));
    assert!(stderr.contains("... and 9901 more; fix these first"));
}

#[test]
fn more_than_a_thousand_pools_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(project_path("tests/valid-base.toml")).unwrap();
    let sites: String = (0..1_000)
        .map(|i| format!("[[sites]]\nid = \"extra-{i}\"\n"))
        .collect();
    let path = dir.path().join("many-sites.toml");
    fs::write(&path, format!("{text}\n{sites}")).unwrap();
    let output = edgesim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("sites") && stderr.contains("at most 1000"),
        "{stderr}"
    );
}
