//! `edgesim validate`: every example loads, every malformed file is refused with a clear
//! message, and warnings fire where the rules say they should.

use std::fs;

use crate::{edgesim, project_path};

fn scenario_files(folder: &str) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(project_path(folder))
        .expect("the folder exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| format!("{folder}/{}", path.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_scenario_validates() {
    let files = scenario_files("scenarios");
    assert!(
        files.len() >= 4,
        "expected the four example scenarios, found {files:?}"
    );
    for file in files {
        let output = edgesim().args(["validate", &file]).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{file} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains(": ok,"), "{file}: {stdout}");
    }
}

#[test]
fn every_example_starts_with_a_comment_explaining_it() {
    for file in scenario_files("scenarios") {
        let text = fs::read_to_string(project_path(&file)).unwrap();
        assert!(text.starts_with("# "), "{file} has no header comment");
        assert!(
            text.contains("What it shows"),
            "{file} does not say what it shows"
        );
    }
}

/// Every "(N servers)" or "N Edge servers" an example says of itself, in its comments or
/// its description, is the number of Edge servers its base layout has.
#[test]
fn every_example_states_its_true_server_count() {
    let mut checked = 0;
    for file in scenario_files("scenarios") {
        let text = fs::read_to_string(project_path(&file)).unwrap();
        let loaded = edgesim::scenario::load_file(&project_path(&file)).unwrap();
        let servers: u32 = loaded.scenario.layouts[0]
            .edge_pools
            .iter()
            .map(|pool| pool.servers)
            .sum();
        let words: Vec<&str> = text.split_whitespace().collect();
        for pair in words.windows(3) {
            let claims = match pair {
                [number, next, _] if number.starts_with('(') && next.starts_with("servers)") => {
                    Some(number)
                }
                [number, "Edge", next] if next.starts_with("servers") => Some(number),
                _ => None,
            };
            if let Some(number) = claims.and_then(|n| n.trim_start_matches('(').parse::<u32>().ok())
            {
                assert_eq!(number, servers, "{file} says {number} servers");
                checked += 1;
            }
        }
    }
    assert!(checked >= 2, "no server count found to check");
}

#[test]
fn validate_describes_what_was_loaded() {
    let output = edgesim()
        .args(["validate", "scenarios/contoso-three-site.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Hand count of the file: 3 sites, 3 FE pools with 40,000 + 30,000 + 20,000 users
    // (12,000 + 9,000 + 6,000 remote), 3 pools of 2 servers of 12,000.
    assert!(stdout.contains("3 sites"), "{stdout}");
    assert!(stdout.contains("90000 users, 27000 remote"), "{stdout}");
    assert!(
        stdout.contains("6 servers, room for 72000 remote users"),
        "{stdout}"
    );
    // Each layout once, baseline first, then the assumptions it is judged under.
    assert!(
        stdout.contains(
            "layouts distinct-priorities (baseline), equal-priorities, geo-dns, unpaired-pools:"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "assumptions (every layout judged under each): partners-retry, partners-never-retry, slow-administrator"
        ),
        "{stdout}"
    );
}

#[test]
fn misconfigured_example_yields_every_warning_kind() {
    let output = edgesim()
        .args(["validate", "scenarios/misconfigured.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for kind in [
        "warning[R2]",
        "warning[R4]",
        "warning[R5]",
        "warning[F1]",
        "warning[R6]",
        "warning[R7]",
        "warning[F4]",
        "warning[capacity]",
        "warning[U1]",
        "warning[G1]",
    ] {
        assert!(stdout.contains(kind), "missing {kind} in:\n{stdout}");
    }
    // U1 says what `m` means: six minutes meant as six months.
    assert!(stdout.contains(
        "the mean time to failure (6.0 min) is shorter than the mean time to repair (24.0 h)"
    ));
    assert!(stdout.contains("`m` means minutes in edgesim, not months"));
    // Each warning names what it is about.
    assert!(stdout.contains("\"fe-branch\" from Edge pool(s) \"edge-small\""));
    assert!(stdout.contains("\"edge-big\" has 13 servers"));
    // Capacity by hand: hq holds both Edge pools, so 0 is left for 15,000 + 1,500 users,
    // of whom the 1,500 of fe-branch still need room while hq's FE pool is down too.
    assert!(stdout.contains("hold 0 remote users but 16500 need room"));
    assert!(stdout.contains("1500 do"));
}

#[test]
fn a_sound_design_has_no_structural_warnings() {
    let output = edgesim()
        .args(["validate", "scenarios/two-site-minimal.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    for kind in ["R2", "R4", "R5", "R6", "R7", "F4", "capacity", "U1"] {
        assert!(
            !stdout.contains(&format!("warning[{kind}]")),
            "{kind} in:\n{stdout}"
        );
    }
}

/// The expectations a malformed file states about itself in `# expect:` lines.
fn expectations(file: &str, bytes: &[u8]) -> Vec<String> {
    if file.ends_with("/empty.toml") {
        // An empty file has room for no comment: it lacks the two required keys.
        return vec![
            "missing key `name`".into(),
            "missing key `simulation`".into(),
        ];
    }
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|line| line.strip_prefix("# expect: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_malformed_file_is_refused_with_a_message_that_names_the_key() {
    let files = scenario_files("tests/malformed");
    assert!(
        files.len() >= 30,
        "expected at least 30 malformed files, found {}",
        files.len()
    );
    for file in files {
        let bytes = fs::read(project_path(&file)).unwrap();
        let expected = expectations(&file, &bytes);
        assert!(!expected.is_empty(), "{file} states no expectation");
        let output = edgesim().args(["validate", &file]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{file} was not refused:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{file} panicked:\n{stderr}");
        assert!(
            stderr.contains(&file),
            "{file}: the message does not name the file:\n{stderr}"
        );
        for text in &expected {
            assert!(
                stderr.contains(text.as_str()),
                "{file}: expected `{text}` in:\n{stderr}"
            );
        }
        assert!(
            output.stdout.is_empty(),
            "{file}: a refused file printed a summary"
        );
    }
}

#[test]
fn the_base_of_the_malformed_files_is_itself_valid() {
    // Otherwise a malformed file could fail for a reason other than its one defect.
    edgesim()
        .args(["validate", "tests/valid-base.toml"])
        .assert()
        .code(0);
}

#[test]
fn every_error_is_reported_not_only_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::read_to_string(project_path("tests/valid-base.toml")).unwrap();
    let broken = base
        .replace(
            "servers = 2\ninternal_fqdn = \"edge-int.west",
            "servers = 0\ninternal_fqdn = \"edge-int.west",
        )
        .replace("ttl = \"1h\"", "ttl = 3600")
        .replace("edge_pool = \"edge-east\"", "edge_pool = \"edge-nowhere\"");
    let path = dir.path().join("three-defects.toml");
    fs::write(&path, broken).unwrap();
    let output = edgesim().arg("validate").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    for key in [
        "edge_pools[1].servers",
        "dns.ttl",
        "front_end_pools[0].edge_pool",
    ] {
        assert!(stderr.contains(key), "missing {key}:\n{stderr}");
    }
    assert!(stderr.contains("3 errors found"), "{stderr}");
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let output = edgesim()
        .args(["validate", "scenarios/does-not-exist.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("does-not-exist.toml") && stderr.contains("cannot read"));
}

#[test]
fn usage_errors_exit_with_code_2() {
    edgesim().arg("validate").assert().code(2);
    edgesim().arg("frobnicate").assert().code(2);
    edgesim().args(["run", "--shard", "4/3"]).assert().code(2);
    edgesim().args(["run", "-j", "0"]).assert().code(2);
    edgesim().args(["merge", "-o", "x"]).assert().code(2);
    // Values clap accepts but edgesim cannot use are usage mistakes too, and change nothing.
    for args in [
        &["run", "-n", "0"][..],
        &["run", "--horizon", "12"],
        &["run", "--horizon", "0s"],
        &["run", "--layout", "nonexistent"],
        &["run", "--layout", "geo-dns", "--layout", "geo-dns"],
        &["trace", "--horizon", "12"],
        &["trace", "--layout", "nonexistent"],
    ] {
        let output = edgesim().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).starts_with("error: "),
            "{args:?}"
        );
    }
}

#[test]
fn one_bad_file_among_good_ones_fails_the_command() {
    edgesim()
        .args([
            "validate",
            "scenarios/two-site-minimal.toml",
            "tests/malformed/zero-servers.toml",
        ])
        .assert()
        .code(1);
}

#[test]
fn warnings_point_at_the_line_they_are_about() {
    let output = edgesim()
        .args(["validate", "scenarios/misconfigured.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let text = fs::read_to_string(project_path("scenarios/misconfigured.toml")).unwrap();
    let line_of = |needle: &str| {
        text.lines()
            .position(|line| line.starts_with(needle))
            .map(|i| i + 1)
            .unwrap_or_else(|| panic!("no line starts with {needle}"))
    };
    for (rule, needle) in [
        ("warning[R6]", "outbound_route ="),
        ("warning[R7]", "xmpp_gateway ="),
        ("warning[F4]", "servers = 13"),
        ("warning[R4]", "deny ="),
        ("warning[U1]", "failures = { site"),
    ] {
        let block = stdout
            .split(rule)
            .nth(1)
            .unwrap_or_else(|| panic!("no {rule}"));
        let location = format!("misconfigured.toml:{}:", line_of(needle));
        let first_lines: String = block.lines().take(2).collect();
        assert!(
            first_lines.contains(&location),
            "{rule} should point at {location}:\n{block}"
        );
    }
}

#[test]
fn a_failure_shorter_than_its_repair_is_a_warning_that_checks_the_units() {
    // Four hours between failures of a FE pool that takes two days to repair: down 92% of
    // the time whatever the unit, so U1 warns, without the note on minutes. (Edge servers
    // down that much would be refused: their remote users would walk the SRV list all
    // year, tests/malformed/endless-repair.toml.)
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hours.toml");
    let base = fs::read_to_string(project_path("tests/valid-base.toml")).unwrap();
    let text = base.replace(
        "[failures]\n",
        "[failures]\nfront_end_pool = { time_to_failure = \"4h\", time_to_repair = \"2d\" }\n",
    );
    assert_ne!(text, base);
    fs::write(&file, text).unwrap();
    let output = edgesim()
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "a warning, not an error");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("warning[U1]: failures.front_end_pool.time_to_failure"),
        "{stdout}"
    );
    assert!(stdout.contains("(4.0 h) is shorter than the mean time to repair (2.0 d): the component would be down 92% of the time"), "{stdout}");
    assert!(!stdout.contains("not months"), "{stdout}");
    // A repair shorter than the time to failure is no warning.
    let fine = fs::read_to_string(&file)
        .unwrap()
        .replace("\"4h\"", "\"4d\"");
    fs::write(&file, fine).unwrap();
    let output = edgesim()
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains("U1"));
}
