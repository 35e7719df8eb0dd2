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

/// Validates `file`: exit code and all it printed.
fn validate(file: &Path) -> (Option<i32>, String) {
    let (code, stdout, stderr) = outcome(edgesim().args(["validate", file.to_str().unwrap()]));
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn ids_and_names_that_would_inject_are_refused_and_never_printed_raw() {
    let dir = tempfile::tempdir().unwrap();
    let base = fs::read_to_string(project_path("tests/valid-base.toml")).unwrap();
    for (what, from, to, expected) in [
        // A spreadsheet runs a cell that begins with = as a formula.
        (
            "formula",
            "id = \"east\"",
            "id = \"=cmd|' /C calc'!A0\"",
            "it begins with `=`",
        ),
        (
            "escape sequence",
            "id = \"east\"",
            "id = \"east\\u001b]0;owned\\u0007\"",
            "it holds the character \\u{1b}",
        ),
        ("NUL", "id = \"east\"", "id = \"ea\\u0000st\"", "\\u{0}"),
        (
            "noncharacter",
            "name = \"Malformed test base\"",
            "name = \"base\\uFFFF\"",
            "\\u{ffff}",
        ),
    ] {
        let file = dir.path().join(format!("{}.toml", what.replace(' ', "-")));
        let text = base.replacen(from, to, 1);
        assert_ne!(text, base, "{what}");
        fs::write(&file, text).unwrap();
        let (code, printed) = validate(&file);
        assert_eq!(code, Some(1), "{what}: {printed}");
        assert!(printed.contains(expected), "{what}: {printed}");
        assert!(
            !printed.chars().any(|c| c.is_control() && c != '\n'),
            "{what}: a raw control character reached the terminal: {printed:?}"
        );
    }
    // A layout name of ten million characters: refused at once, in a few lines.
    let file = base_with(
        dir.path(),
        "long.toml",
        &format!("[[layouts]]\nname = \"{}\"\n", "x".repeat(10_000_000)),
    );
    let (code, printed) = validate(&file);
    assert_eq!(code, Some(1));
    assert!(
        printed.contains("10000000 characters long"),
        "{}",
        &printed[..200]
    );
    assert!(printed.len() < 5_000, "{} bytes printed", printed.len());
}

#[test]
fn too_many_layouts_or_errors_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // A thousand one-line layouts: refused, not minutes and gigabytes per replication.
    let layouts: String = (0..1000)
        .map(|i| format!("[[layouts]]\nname = \"l{i}\"\n"))
        .collect();
    let file = base_with(dir.path(), "layouts.toml", &layouts);
    let (code, printed) = validate(&file);
    assert_eq!(code, Some(1));
    assert!(
        printed.contains("1000 layouts; a scenario may have at most 64"),
        "{printed}"
    );
    // Many bad edits: each error lists a dozen ids at most, and at most 100 errors show.
    let pools: String = (0..300)
        .map(|i| {
            format!(
                "[[edge_pools]]\nid = \"extra-{i}\"\nsite = \"east\"\nservers = 2\ninternal_fqdn = \"int.{i}.example.com\"\nexternal_fqdn = \"sip.{i}.example.com\"\n"
            )
        })
        .collect();
    let edits: String = (0..2000)
        .map(|i| format!("edge_pools.missing-{i}.servers = 3\n"))
        .collect();
    let file = base_with(
        dir.path(),
        "edits.toml",
        &format!("{pools}[[layouts]]\nname = \"bad\"\n{edits}"),
    );
    let (code, printed) = validate(&file);
    assert_eq!(code, Some(1));
    assert!(
        printed.contains("… (302 in all)"),
        "{}",
        &printed[..2000.min(printed.len())]
    );
    assert!(
        printed.contains("... and 1900 more; fix these first"),
        "tail"
    );
    assert!(printed.len() < 200_000, "{} bytes printed", printed.len());
}

#[test]
fn checking_sweeps_of_a_large_scenario_is_bounded() {
    // About 1,000 pools, 20 layouts and 200 sweep values: 200 loads of 20 layouts of a
    // thousand pools each. Refused with the most values this scenario may list (500,000
    // over 20 layouts × 995 sites and pools = 25), instead of a minute and more of checking.
    let dir = tempfile::tempdir().unwrap();
    let pools: String = (0..990)
        .map(|i| {
            format!(
                "[[edge_pools]]\nid = \"extra-{i}\"\nsite = \"east\"\nservers = 2\ninternal_fqdn = \"int.{i}.example.com\"\nexternal_fqdn = \"sip.{i}.example.com\"\n"
            )
        })
        .collect();
    let values: Vec<String> = (1..=200).map(|m| format!("\"{m}m\"")).collect();
    let file = base_with(
        dir.path(),
        "sweeps.toml",
        &format!(
            "{pools}[[sweeps]]\nkey = \"dns.ttl\"\nvalues = [{}]\n{}",
            values.join(", "),
            (0..20)
                .map(|i| format!("[[layouts]]\nname = \"l{i}\"\n"))
                .collect::<String>()
        ),
    );
    let (code, printed) = validate(&file);
    assert_eq!(code, Some(1), "{printed}");
    assert!(
        printed.contains("list at most 25 values in [[sweeps]] for this scenario"),
        "{printed}"
    );
}

/// Runs contoso (-n 50) into two folders and returns them.
fn two_runs(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (old, new) = (dir.join("old"), dir.join("new"));
    for folder in [&old, &new] {
        edgesim()
            .args(["run", "-n", "50", "-q", "--no-charts", "-o"])
            .arg(folder)
            .assert()
            .success();
    }
    (old, new)
}

fn diff_code(old: &Path, new: &Path, out: &Path) -> (Option<i32>, String) {
    let (code, stdout, stderr) = outcome(
        edgesim()
            .arg("diff")
            .arg(old)
            .arg(new)
            .arg("-o")
            .arg(out)
            .timeout(std::time::Duration::from_secs(60)),
    );
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn diff_refuses_damaged_folders_with_2_never_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = two_runs(dir.path());
    let summary = fs::read_to_string(new.join("summary.csv")).unwrap();
    let json = fs::read_to_string(new.join("summary.json")).unwrap();
    let runs = fs::read_to_string(new.join("runs.csv")).unwrap();
    // NaN and inf downtime, a horizon of 0, runs.csv cut to 10 of 50 replications.
    let nan = {
        let mut lines: Vec<String> = summary.lines().map(String::from).collect();
        let downtime = lines[0]
            .split(',')
            .position(|c| c == "downtime_min_per_year")
            .unwrap();
        let mut fields: Vec<String> = lines[1].split(',').map(String::from).collect();
        fields[downtime] = "NaN".into();
        lines[1] = fields.join(",");
        lines.join("\n") + "\n"
    };
    let infinite = nan.replacen("NaN", "inf", 1);
    let no_horizon = {
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["run"]["horizon_micros"] = 0.into();
        value.to_string()
    };
    let replication = runs
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "replication")
        .unwrap();
    let rows_per_replication = runs
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(replication) == Some("0"))
        .count();
    let cut: String = runs
        .lines()
        .take(1 + 10 * rows_per_replication)
        .map(|l| format!("{l}\n"))
        .collect();
    for (what, file, text, expected) in [
        (
            "NaN",
            "summary.csv",
            nan.as_str(),
            "is not a row edgesim writes",
        ),
        (
            "inf",
            "summary.csv",
            infinite.as_str(),
            "is not a row edgesim writes",
        ),
        (
            "no horizon",
            "summary.json",
            no_horizon.as_str(),
            "cannot be one edgesim made",
        ),
        (
            "cut runs.csv",
            "runs.csv",
            cut.as_str(),
            "it holds 10 of the run's 50 replications",
        ),
    ] {
        for (name, original) in [
            ("summary.csv", &summary),
            ("summary.json", &json),
            ("runs.csv", &runs),
        ] {
            fs::write(new.join(name), original).unwrap();
        }
        fs::write(new.join(file), text).unwrap();
        let (code, printed) = diff_code(&old, &new, &dir.path().join("d"));
        assert_eq!(code, Some(2), "{what}: {printed}");
        assert!(printed.contains(expected), "{what}: {printed}");
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_a_file_is_refused_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = two_runs(dir.path());
    fs::remove_file(new.join("summary.json")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(new.join("summary.json"))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        return; // No mkfifo on this machine.
    }
    let (code, printed) = diff_code(&old, &new, &dir.path().join("d"));
    assert_eq!(code, Some(2), "{printed}");
    assert!(printed.contains("not a plain file"), "{printed}");
}

/// Runs contoso's two shards (-n 6) into `dir`/s1 and `dir`/s2.
fn two_shards(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (one, two) = (dir.join("s1"), dir.join("s2"));
    for (shard, folder) in [("1/2", &one), ("2/2", &two)] {
        edgesim()
            .args([
                "run",
                "-n",
                "6",
                "-q",
                "--no-charts",
                "--shard",
                shard,
                "-o",
            ])
            .arg(folder)
            .assert()
            .success();
    }
    (one, two)
}

fn merge_output(dir: &Path, one: &Path, two: &Path) -> (Option<i32>, String) {
    let (code, stdout, stderr) = outcome(
        edgesim()
            .args(["merge", "--no-charts", "-o"])
            .arg(dir.join("merged"))
            .arg(one)
            .arg(two)
            .timeout(std::time::Duration::from_secs(60)),
    );
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn merge_checks_what_a_part_can_hold_whatever_its_checksum_says() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = two_shards(dir.path());
    let text = fs::read_to_string(one.join("part.json")).unwrap();
    // Outages set to the top of a u64, checksum made to match: it used to wrap in the
    // merge and show as 1.75 outages a year.
    let mut part = edgesim::export::part::Part::parse(text.as_bytes()).unwrap();
    part.study.layouts[0].services[0].scopes[0].outages = u64::MAX;
    part.checksum = part.content_checksum();
    fs::write(one.join("part.json"), serde_json::to_string(&part).unwrap()).unwrap();
    let (code, printed) = merge_output(dir.path(), &one, &two);
    assert_eq!(code, Some(1), "{printed}");
    assert!(printed.contains("does not hold this shard's"), "{printed}");
    // More peak load than the pool holds, checksum made to match.
    let mut part = edgesim::export::part::Part::parse(text.as_bytes()).unwrap();
    let capacity = part.study.layouts[0].pools[0].capacity;
    let mut peaks = edgesim::stats::histogram::Histogram::default();
    for _ in 0..part.study.layouts[0].pools[0].peak_load.total() {
        peaks.record(capacity + 1);
    }
    part.study.layouts[0].pools[0].peak_load = peaks;
    part.checksum = part.content_checksum();
    fs::write(one.join("part.json"), serde_json::to_string(&part).unwrap()).unwrap();
    let (code, printed) = merge_output(dir.path(), &one, &two);
    assert_eq!(code, Some(1), "{printed}");
    // An edit of the bytes: refused by the checksum, before anything is built from them.
    fs::write(
        one.join("part.json"),
        text.replacen("\"outages\":", "\"outages\": ", 1),
    )
    .unwrap();
    let (code, printed) = merge_output(dir.path(), &one, &two);
    assert_eq!(code, Some(1), "{printed}");
    assert!(printed.contains("checksum does not match"), "{printed}");
    fs::write(one.join("part.json"), &text).unwrap();
    let (code, printed) = merge_output(dir.path(), &one, &two);
    assert_eq!(code, Some(0), "{printed}");
}

#[test]
fn merge_refuses_endless_or_blocking_shard_files() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = two_shards(dir.path());
    let runs = fs::read(one.join("runs.csv")).unwrap();
    // A runs.csv far larger than the shard's rows could take (sparse: nothing is written).
    let file = fs::OpenOptions::new()
        .write(true)
        .open(one.join("runs.csv"))
        .unwrap();
    file.set_len(50 << 30).unwrap();
    drop(file);
    let (code, printed) = merge_output(dir.path(), &one, &two);
    assert_eq!(code, Some(1), "{printed}");
    assert!(
        printed.contains("is not a runs.csv this shard could have written"),
        "{printed}"
    );
    // One row that never ends, within the size: refused at the row, not buffered.
    let mut endless = runs.clone();
    endless.truncate(endless.len() - 1);
    endless.extend(std::iter::repeat_n(b'7', 40_000));
    fs::write(one.join("runs.csv"), &endless).unwrap();
    let (code, printed) = merge_output(dir.path(), &one, &two);
    assert_eq!(code, Some(1), "{printed}");
    assert!(printed.contains("a line longer than"), "{printed}");
    fs::write(one.join("runs.csv"), &runs).unwrap();
    // A FIFO named part.json: refused, not waited for.
    #[cfg(unix)]
    {
        let part = fs::read(one.join("part.json")).unwrap();
        fs::remove_file(one.join("part.json")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(one.join("part.json"))
            .status();
        if made.is_ok_and(|s| s.success()) {
            let (code, printed) = merge_output(dir.path(), &one, &two);
            assert_eq!(code, Some(1), "{printed}");
            assert!(printed.contains("not a plain file"), "{printed}");
        }
        fs::remove_file(one.join("part.json")).unwrap();
        fs::write(one.join("part.json"), part).unwrap();
    }
    let (code, printed) = merge_output(dir.path(), &one, &two);
    assert_eq!(code, Some(0), "{printed}");
}

/// tests/valid-base.toml with whole lines starting with each `from` replaced by `to`,
/// written into `dir` as `name`.
fn base_replacing(dir: &Path, name: &str, edits: &[(&str, &str)]) -> std::path::PathBuf {
    let base = fs::read_to_string(project_path("tests/valid-base.toml")).unwrap();
    let mut lines: Vec<String> = base.lines().map(str::to_string).collect();
    for (from, to) in edits {
        let line = lines
            .iter_mut()
            .find(|line| line.starts_with(from))
            .unwrap_or_else(|| panic!("valid-base.toml has no line starting with {from}"));
        *line = to.to_string();
    }
    let file = dir.join(name);
    fs::write(&file, lines.join("\n")).unwrap();
    file
}

/// Edge capacity short all year (90,000 remote users for 48,000 places) and clients that
/// retry every second with no connect timeout: a file the budgets accept (nothing fails
/// more than a real deployment does) whose overflow users walk about 250 million times a
/// year.
fn endless_walkers(dir: &Path) -> std::path::PathBuf {
    base_replacing(
        dir,
        "walkers.toml",
        &[
            ("users = ", "users = 100000"),
            ("remote_users = ", "remote_users = 90000"),
            ("retry = ", "retry = \"1s\"\nconnect_timeout = \"0s\""),
        ],
    )
}

#[test]
fn a_replication_that_passes_its_cap_on_events_stops_and_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = endless_walkers(dir.path());
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    let mut messages = Vec::new();
    for (threads, replications) in [("1", "1"), ("2", "3")] {
        let (code, _, stderr) = outcome(
            edgesim()
                .args(["run", "-q", "-n", replications, "-j", threads])
                .arg(&file)
                .arg("-o")
                .arg(&out),
        );
        assert_eq!(code, Some(1), "{stderr}");
        // 25,000,000 events per simulated year for its one FE pool with remote users and
        // once more: 50,000,000 for a one-year horizon.
        assert!(
            stderr.contains("replication 0 of layout base passed 50000000 events"),
            "{stderr}"
        );
        assert!(
            stderr.contains("Front End pool fe-east walking"),
            "{stderr}"
        );
        messages.push(stderr);
        // Nothing written, nothing half-written, and no staging folder left behind.
        assert_eq!(fs::read_dir(&out).unwrap().count(), 0);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }
    // The first replication that passes the cap is named whichever thread got there first,
    // and however many replications ran beside it.
    assert_eq!(messages[0], messages[1]);
}

#[test]
fn the_cap_on_events_names_the_pool_whose_users_walk() {
    // At a cap of 2,000 events the replication stops, most events being fe-east's cohorts.
    let dir = tempfile::tempdir().unwrap();
    let loaded = edgesim::scenario::load_file(&endless_walkers(dir.path())).unwrap();
    let scenario = &loaded.scenario;
    let topology = &scenario.layouts[0];
    let result = edgesim::model::simulate_replication_with_event_cap(
        topology,
        &scenario.simulation,
        0,
        2_000,
    );
    let stopped = result.stopped.expect("stopped at the cap");
    assert_eq!((stopped.events, stopped.cap), (2_001, 2_000));
    assert!(
        stopped.client_events[0] > 1_900,
        "{:?}",
        stopped.client_events
    );
    assert!(stopped.at < scenario.simulation.horizon);
    let text = stopped.explain(topology, 0);
    assert!(text.contains("Front End pool fe-east"), "{text}");
    // The base scenario is far below its cap: it runs to its horizon.
    let base = edgesim::scenario::load_file(&project_path("tests/valid-base.toml")).unwrap();
    let result = edgesim::model::simulate_replication(
        &base.scenario.layouts[0],
        &base.scenario.simulation,
        0,
        &mut edgesim::model::NoObserver,
    );
    assert_eq!(result.stopped, None);
    assert_eq!(
        edgesim::model::work::event_cap(
            &base.scenario.layouts[0],
            base.scenario.simulation.horizon
        ),
        // One FE pool with remote users, one year.
        2 * edgesim::model::work::MAX_EVENTS_PER_POOL_YEAR
    );
}

#[test]
fn a_trace_too_long_to_read_is_refused_with_a_horizon_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    let file = endless_walkers(dir.path());
    let out = dir.path().join("trace");
    let (code, _, stderr) = outcome(edgesim().arg("trace").arg(&file).arg("-o").arg(&out));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("reached 1000000 events after"), "{stderr}");
    assert!(!out.exists(), "no trace folder is left");
    // The horizon it suggests is one the trace reached: traced, it fits.
    let suggested = stderr
        .split("--horizon ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a suggested horizon")
        .to_string();
    let (code, _, stderr) = outcome(
        edgesim()
            .arg("trace")
            .arg(&file)
            .args(["--horizon", &suggested, "-o"])
            .arg(&out),
    );
    assert_eq!(code, Some(0), "--horizon {suggested}: {stderr}");
    assert!(out.join("trace.csv").is_file());
}

#[test]
fn budgets_accept_short_capacity_and_losses_longer_than_the_horizon() {
    // What the walk budget must not refuse: Edge capacity short all year (the overflow
    // users walk, but that is the planner's question, and bounded by the cap on events)
    // and a site lost every 20 years for a century (in a one-year study it is down a
    // fortieth of the time, not five sixths).
    let dir = tempfile::tempdir().unwrap();
    let short = base_replacing(
        dir.path(),
        "short.toml",
        &[
            ("users = ", "users = 100000"),
            ("remote_users = ", "remote_users = 90000"),
        ],
    );
    let century = base_replacing(
        dir.path(),
        "century.toml",
        &[(
            "[failures]",
            "[failures]\nsite = { time_to_failure = \"20y\", time_to_repair = \"100y\" }",
        )],
    );
    for file in [short, century] {
        let (code, output) = validate(&file);
        assert_eq!(code, Some(0), "{}: {output}", file.display());
    }
}
