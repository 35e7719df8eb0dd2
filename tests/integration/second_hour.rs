//! A planner's second hour (a new user's report): messages that point at the mistake,
//! one F1 warning per scenario, docs that say what a bare duration means.

use edgesim::scenario::load_str;

/// The built-in example without its assumptions, with `replace` applied.
fn contoso_replacing(from: &str, to: &str) -> String {
    let text = crate::contoso_layouts_text();
    assert!(text.contains(from), "the example has {from}");
    text.replacen(from, to, 1)
}

#[test]
fn a_misspelt_value_gets_a_suggestion() {
    let text = contoso_replacing("inbound = \"srv_priority\"", "inbound = \"geodns\"");
    let error = load_str("typo.toml", &text).err().unwrap().to_string();
    assert!(
        error.contains("\"geodns\" is not one of the accepted values"),
        "{error}"
    );
    assert!(error.contains("did you mean \"geo_dns\"?"), "{error}");
    // A value nothing like an accepted one gets the list alone.
    let text = contoso_replacing("inbound = \"srv_priority\"", "inbound = \"carrier-pigeon\"");
    let error = load_str("far.toml", &text).err().unwrap().to_string();
    assert!(!error.contains("did you mean"), "{error}");
    assert!(
        error.contains("\"srv_priority\", \"single_target\", \"geo_dns\""),
        "{error}"
    );
}

#[test]
fn an_unclosed_inline_table_is_named_on_its_own_line() {
    // The parser stumbles on the next line; the mistake is the missing `}` on this one.
    let from = "pool_failover = \"30m\"";
    let text = contoso_replacing(
        "response = { dist = \"lognormal\", median = \"1h\", p95 = \"3h\" }",
        "response = { dist = \"lognormal\", median = \"1h\", p95 = \"3h\"",
    );
    assert!(text.contains(from));
    let line = text
        .lines()
        .position(|l| l.starts_with("response = { dist = \"lognormal\""))
        .unwrap()
        + 1;
    let error = load_str("brace.toml", &text).err().unwrap().to_string();
    assert!(
        error.contains(&format!(
            "the inline table opened on line {line} is not closed"
        )),
        "{error}"
    );
    assert!(error.contains(&format!("brace.toml:{line}:")), "{error}");
    assert!(
        error.contains(&format!("add `}}` at the end of line {line}")),
        "{error}"
    );
    // A brace inside a string is not a table.
    let text = contoso_replacing(
        "description = \"Microsoft's 2014 advice",
        "description = \"{ Microsoft's 2014 advice",
    )
    .replacen("[firewall]", "[firewall\n", 1);
    let error = load_str("string.toml", &text).err().unwrap().to_string();
    assert!(!error.contains("inline table opened"), "{error}");
}

#[test]
fn f1_is_one_warning_naming_every_layout_it_holds_in() {
    // A layout with a third federation record lists other pools than the rest: still one
    // F1, naming all five layouts.
    let text = format!(
        "{}\n[[layouts]]\nname = \"three-federation-pools\"\n[[layouts.dns.federation]]\ntarget = \"edge-dublin\"\npriority = 10\nweight = 100\n[[layouts.dns.federation]]\ntarget = \"edge-amsterdam\"\npriority = 20\nweight = 100\n[[layouts.dns.federation]]\ntarget = \"edge-redmond\"\npriority = 30\nweight = 100\n",
        crate::contoso_layouts_text()
    );
    let loaded = load_str("f1.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let f1: Vec<_> = loaded
        .warnings
        .iter()
        .filter(|w| w.rule == Some("F1"))
        .collect();
    assert_eq!(f1.len(), 1, "{f1:?}");
    // geo-dns does not depend on priorities: it is the one layout F1 does not concern.
    assert_eq!(
        f1[0].layouts,
        vec![
            "distinct-priorities",
            "equal-priorities",
            "unpaired-pools",
            "three-federation-pools"
        ]
    );
}

#[test]
fn the_scenario_docs_say_what_a_bare_duration_means_and_have_one_defaults_table() {
    let docs = std::fs::read_to_string(crate::project_path("docs/scenario.md")).unwrap();
    assert_eq!(docs.matches("| default | value | source |").count(), 1);
    assert!(docs.contains("A bare duration means two different things"));
    assert!(docs.contains("**Two keys named federation.**"));
}

#[test]
fn the_terminal_lists_scores_in_rank_order_with_ascii_signs() {
    let dir = tempfile::tempdir().unwrap();
    let output = crate::edgesim()
        .args(["run", "-n", "50", "--no-charts", "--no-runs", "-o"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !stdout.contains('\u{2212}'),
        "a Unicode minus in:\n{stdout}"
    );
    // Each score list (one per assumption) counts 1., 2., 3., 4. in that order.
    let mut lists = 0;
    let mut expected = 1;
    for line in stdout.lines() {
        let trimmed = line.trim_start();
        if let Some((rank, _)) = trimmed.split_once(". ")
            && let Ok(rank) = rank.parse::<usize>()
            && line.contains("baseline")
        {
            if rank == 1 {
                lists += 1;
                expected = 1;
            }
            assert_eq!(rank, expected, "{line}\n{stdout}");
            expected += 1;
        }
    }
    assert_eq!(lists, 3, "one score list per assumption:\n{stdout}");
    assert!(stdout.contains(" -"), "negative changes are written with -");
}

#[test]
fn sweep_intervals_are_lines_not_bands_that_blend() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    crate::edgesim()
        .args(["sweep", "-n", "20", "-q", "--vary", "dns.ttl=5m,1d", "-o"])
        .arg(&out)
        .assert()
        .success();
    let svg = std::fs::read_to_string(out.join("sweep.svg")).unwrap();
    assert!(!svg.contains("<polygon"), "a filled band in sweep.svg");
    assert!(svg.contains("two thin lines"));
}

#[test]
fn the_sweep_report_speaks_of_every_layout() {
    // The traffic manager's detection delay moves inbound federation in geo-dns only: a
    // sentence about the first layout alone ("no key swept changes it") read as true of
    // all.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    crate::edgesim()
        .args(["sweep", &crate::contoso_layouts(), "-n", "40", "-q"])
        .args(["--vary", "federation.geo_dns_detect=1m,30m", "-o"])
        .arg(&out)
        .assert()
        .success();
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    let section = &report[report.find("<h3>Inbound federation</h3>").unwrap()..];
    let section = &section[..section.find("</ul>").unwrap()];
    assert!(
        section.contains("In layout geo-dns, federation.geo_dns_detect moves it most"),
        "{section}"
    );
    // The layouts it does not move, said once together.
    assert!(
        section.contains(
            "In layouts distinct-priorities, equal-priorities, unpaired-pools, no key swept changes it."
        ),
        "{section}"
    );
    // Remote access reads no detection delay: one sentence for all.
    let remote = &report[report.find("<h3>Remote access</h3>").unwrap()..];
    let remote = &remote[..remote.find("</ul>").unwrap()];
    assert!(
        remote.contains("No key swept changes it, in any layout."),
        "{remote}"
    );
}

#[test]
fn sweeping_a_distribution_by_a_duration_keeps_its_shape() {
    // operations.response is log-normal, median 1 h, p95 3 h. Swept to 4h it must be the
    // log-normal of median 4 h and p95 12 h (the example's slow-administrator assumption,
    // written in by hand), not a fixed four hours; swept to 1h, the base itself.
    let text = crate::contoso_layouts_text();
    let spec = edgesim::scenario::SweepSpec {
        key: "operations.response".to_string(),
        values: Vec::new(),
    };
    let document = toml_edit::Document::parse(&text).unwrap();
    let tree = edgesim::scenario::tree::Node::from_document_root(document.as_table());
    let four_hours = edgesim::scenario::tree::Node::from_command_line("4h");
    let overlay = spec.overlay_on(&tree, &four_hours).unwrap();
    let swept = edgesim::scenario::load_str_with("swept.toml", &text, Some(&overlay)).unwrap();
    let by_hand = load_str(
        "by-hand.toml",
        &contoso_replacing(
            "response = { dist = \"lognormal\", median = \"1h\", p95 = \"3h\" }",
            "response = { dist = \"lognormal\", median = \"4h\", p95 = \"12h\" }",
        ),
    )
    .unwrap();
    let simulation = by_hand.scenario.simulation;
    for replication in 0..5 {
        let a = edgesim::model::simulate_replication(
            &swept.scenario.layouts[0],
            &simulation,
            replication,
            &mut edgesim::model::NoObserver,
        );
        let b = edgesim::model::simulate_replication(
            &by_hand.scenario.layouts[0],
            &simulation,
            replication,
            &mut edgesim::model::NoObserver,
        );
        assert!(a == b, "replication {replication}");
    }
    // On the command line: the point at the base's value is the base, by construction.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    crate::edgesim()
        .args([
            "sweep",
            &crate::contoso_layouts(),
            "-n",
            "20",
            "-q",
            "--no-charts",
        ])
        .args(["--vary", "operations.response=15m,1h,4h", "-o"])
        .arg(&out)
        .assert()
        .success();
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let one_hour: Vec<&str> = csv
        .lines()
        .filter(|l| l.starts_with("operations.response=1h,"))
        .collect();
    assert!(!one_hour.is_empty());
    for row in one_hour {
        assert!(row.ends_with(",unaffected,unaffected"), "{row}");
    }
}

/// `d263 19:22:36.087`, as the story writes a time, from trace.csv's seconds.
fn clock_of(seconds: &str) -> String {
    let (whole, fraction) = seconds.split_once('.').unwrap();
    let whole: u64 = whole.parse().unwrap();
    format!(
        "d{} {:02}:{:02}:{:02}.{}",
        whole / 86_400,
        whole % 86_400 / 3_600,
        whole % 3_600 / 60,
        whole % 60,
        &fraction[..3]
    )
}

#[test]
fn the_trace_story_can_tell_every_event_or_the_longest_outage() {
    // Replication 3 of the large example has 145 failures, repairs and administrator
    // events: the default story tells 40 and says how to see the rest.
    let dir = tempfile::tempdir().unwrap();
    let story = |which: &str| {
        let out = dir.path().join(which.replace('.', "_"));
        let output = crate::edgesim()
            .args([
                "trace",
                "scenarios/large-enterprise.toml",
                "--replication",
                "3",
            ])
            .args(["--story", which, "-o"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (
            String::from_utf8(output.stdout).unwrap(),
            out.join("trace.csv"),
        )
    };
    let event_line = |line: &&str| line.starts_with("  d");
    let (first, csv) = story("first");
    assert_eq!(first.lines().filter(event_line).count(), 40);
    assert!(first.contains("... 40 of 145 events told"), "{first}");
    assert!(first.contains("--story all tells every one"), "{first}");
    let (all, _) = story("all");
    assert_eq!(all.lines().filter(event_line).count(), 145);

    // The longest time some service was not fully served, found again from trace.csv's
    // served columns: the story's heading names it, and tells only events inside it.
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(csv)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let mut since: Option<String> = None;
    let mut longest: Option<(f64, String, String)> = None;
    for row in &rows {
        let time = row[0].to_string();
        let degraded = (4..row.len())
            .any(|i| !row[i].is_empty() && row[i].parse::<f64>().unwrap() < 1.0 - 1e-12);
        match (degraded, &since) {
            (true, None) => since = Some(time),
            (false, Some(start)) => {
                let length = time.parse::<f64>().unwrap() - start.parse::<f64>().unwrap();
                if longest.as_ref().is_none_or(|(l, _, _)| length > *l) {
                    longest = Some((length, start.clone(), time));
                }
                since = None;
            }
            _ => {}
        }
    }
    let (_, start, end) = longest.expect("something was not fully served");
    let (start, end) = (start.as_str(), end.as_str());
    let (focused, _) = story("longest");
    assert!(
        focused.contains(&format!(
            "The longest time some service was not fully served, from {} to {}",
            clock_of(start),
            clock_of(end)
        )),
        "{focused}"
    );
    let told: Vec<&str> = focused.lines().filter(event_line).collect();
    assert!(!told.is_empty());
    // Each told event's time, back in seconds, lies inside the period.
    let seconds_of = |clock: &str| -> f64 {
        let (day, time) = clock.trim_start_matches('d').split_once(' ').unwrap();
        let parts: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
        day.parse::<f64>().unwrap() * 86_400.0 + parts[0] * 3_600.0 + parts[1] * 60.0 + parts[2]
    };
    let (from, to) = (start.parse::<f64>().unwrap(), end.parse::<f64>().unwrap());
    for line in told {
        let at = seconds_of(line.trim_start().split("  ").next().unwrap());
        assert!(
            at >= from - 0.001 && at <= to + 0.001,
            "{line} outside {from}..{to}"
        );
    }
    // A window in simulated time, and a window that ends before it starts.
    let (window, _) = story("100d..300d");
    assert!(
        window.contains("From d100 00:00:00.000 to d300 00:00:00.000"),
        "{window}"
    );
    let output = crate::edgesim()
        .args(["trace", "--story", "5d..1d"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ends before it starts"));
}

#[test]
fn progress_moves_while_a_slow_replication_runs_and_promises_no_early_time() {
    // One replication of 60 years of the large example takes seconds: the log must show
    // it advancing before it ends, and no time left before 2% of it is done.
    let output = crate::edgesim()
        .env("EDGESIM_PROGRESS_EVERY", "100ms")
        .args([
            "run",
            "scenarios/large-enterprise.toml",
            "--horizon",
            "60y",
            "-n",
            "1",
        ])
        .args([
            "-j",
            "1",
            "--layout",
            "hub-first",
            "--no-charts",
            "--no-runs",
            "-o",
        ])
        .arg(tempfile::tempdir().unwrap().path().join("out"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("edgesim: 0/1 replications ("))
        .collect();
    let shares: Vec<u64> = lines
        .iter()
        .map(|l| {
            l["edgesim: 0/1 replications (".len()..]
                .split('%')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        shares.iter().any(|&s| s > 0),
        "no progress shown within the replication:\n{stderr}"
    );
    for (line, share) in lines.iter().zip(&shares) {
        if *share < 2 {
            assert!(line.ends_with("warming up"), "{line}");
        }
    }
}
