//! Assumptions (docs/scenario.md, "assumptions"): what the world does, as overlays every
//! layout is evaluated under; each cell equals the run with its assumption written in,
//! and the robust choice across them (docs/output.md, "Assumptions").

use edgesim::model::{NoObserver, simulate_replication};
use edgesim::scenario::load_str;
use edgesim::topology::InboundFederation;

/// The built-in example's four layouts, without its own assumptions.
fn contoso() -> String {
    crate::contoso_layouts_text()
}

/// Contoso with `assumptions` appended.
fn with_assumptions(assumptions: &str) -> String {
    format!("{}\n{assumptions}", contoso())
}

/// Partners that retry, and partners that never retry.
const RETRY_OR_NOT: &str = "[[assumptions]]\nname = \"retry\"\n\n[[assumptions]]\nname = \"never-retry\"\nfederation = { inbound = \"single_target\" }\n";

/// The scenario as written, and a slower administrator.
const AS_WRITTEN_OR_SLOW: &str = "[[assumptions]]\nname = \"as-written\"\n\n[[assumptions]]\nname = \"slow-admin\"\noperations = { response = \"4h\" }\n";

/// The built-in example's results over its first `replications` replications, in memory.
fn built_in_study(replications: u64) -> edgesim::results::Results {
    let loaded =
        edgesim::scenario::load_file(&crate::project_path("scenarios/contoso-three-site.toml"))
            .unwrap();
    let mut scenario = loaded.scenario.clone();
    scenario.simulation.replications = replications;
    edgesim::study::study(
        &scenario,
        &edgesim::study::Origin::of(&loaded),
        &edgesim::study::StudyOptions::default(),
        &mut edgesim::study::Quiet,
    )
    .unwrap()
}

/// Writes `text` as `scenario.toml` in `dir` (one name, so that runs of one text are runs
/// of the same file) and runs `edgesim ARGS -o dir/out` on it.
fn edgesim_on(dir: &std::path::Path, text: &str, out: &str, args: &[&str]) -> std::process::Output {
    let file = dir.join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    crate::edgesim()
        .args(args)
        .arg("-o")
        .arg(dir.join(out))
        .arg(&file)
        .output()
        .unwrap()
}

#[test]
fn every_layout_runs_under_every_assumption_and_a_cell_is_the_written_in_run() {
    let text = with_assumptions(
        "[[assumptions]]\nname = \"prompt-admin\"\n\n[[assumptions]]\nname = \"slow-admin\"\noperations = { response = \"4h\" }\n",
    );
    let loaded = load_str("contoso.toml", &text).unwrap();
    let cells: Vec<(String, Option<String>)> = loaded
        .scenario
        .layouts
        .iter()
        .map(|t| (t.layout_name.clone(), t.assumption.clone()))
        .collect();
    assert_eq!(cells.len(), 4 * 2, "{cells:?}");
    assert_eq!(
        cells[0],
        (
            "distinct-priorities".to_string(),
            Some("prompt-admin".to_string())
        )
    );
    assert_eq!(
        cells[1],
        (
            "distinct-priorities".to_string(),
            Some("slow-admin".to_string())
        )
    );
    // The slow administrator written into the base scenario.
    let written = contoso().replace(
        "[operations]\nresponse = { dist = \"lognormal\", median = \"1h\", p95 = \"3h\" }\n",
        "[operations]\nresponse = \"4h\"\n",
    );
    assert_ne!(written, contoso());
    let written = load_str("written.toml", &written).unwrap();
    let simulation = loaded.scenario.simulation;
    for (index, layout) in written.scenario.layouts.iter().enumerate() {
        let cell = &loaded.scenario.layouts[2 * index + 1];
        assert_eq!(cell.layout_name, layout.layout_name);
        for replication in 0..20 {
            let a = simulate_replication(cell, &simulation, replication, &mut NoObserver);
            let b = simulate_replication(layout, &simulation, replication, &mut NoObserver);
            assert!(a == b, "{} replication {replication}", layout.layout_name);
        }
    }
    // Under the assumption that changes nothing, each cell is the plain layout.
    let plain = load_str("plain.toml", &contoso()).unwrap();
    for (index, layout) in plain.scenario.layouts.iter().enumerate() {
        let cell = &loaded.scenario.layouts[2 * index];
        let a = simulate_replication(cell, &simulation, 3, &mut NoObserver);
        let b = simulate_replication(layout, &simulation, 3, &mut NoObserver);
        assert!(a == b, "{}", layout.layout_name);
    }
}

#[test]
fn partners_behaviour_leaves_a_geo_dns_layout_on_geo_dns() {
    let text = with_assumptions(
        "[[assumptions]]\nname = \"never-retry\"\nfederation = { inbound = \"single_target\" }\n",
    );
    let loaded = load_str("contoso.toml", &text).unwrap();
    for topology in &loaded.scenario.layouts {
        let expected = if topology.layout_name == "geo-dns" {
            InboundFederation::GeoDns
        } else {
            InboundFederation::SingleTarget
        };
        assert_eq!(
            topology.federation.inbound, expected,
            "{}",
            topology.layout_name
        );
    }
}

#[test]
fn an_assumption_may_not_change_a_choice() {
    for (key, text) in [
        (
            "assumptions[0].edge_pools",
            "edge_pools.edge-dublin.servers = 3",
        ),
        (
            "assumptions[0].federation.outbound_route",
            "federation = { outbound_route = \"edge-amsterdam\" }",
        ),
        ("assumptions[0].dns", "dns = { ttl = \"5m\" }"),
        (
            "assumptions[0].simulation",
            "simulation = { replications = 5 }",
        ),
    ] {
        let error = load_str(
            "contoso.toml",
            &with_assumptions(&format!("[[assumptions]]\nname = \"x\"\n{text}\n")),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains(key), "{key}: {error}");
        assert!(error.contains("an assumption may not change"), "{error}");
    }
    // Names: required, unique.
    let error = load_str(
        "contoso.toml",
        &with_assumptions("[[assumptions]]\nname = \"x\"\n[[assumptions]]\nname = \"x\"\n"),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("duplicate assumption name"), "{error}");
}

#[test]
fn a_layout_that_changes_what_the_world_does_is_warned() {
    // Partners that never retry, written as a layout: a belief, not a design. A layout
    // that builds a traffic manager (geo-dns) is a design and gets no warning.
    let text = format!(
        "{}\n[[layouts]]\nname = \"single-target\"\nfederation = {{ inbound = \"single_target\" }}\n",
        contoso()
    );
    let loaded = load_str("contoso.toml", &text).unwrap();
    let a1: Vec<&str> = loaded
        .warnings
        .iter()
        .filter(|w| w.rule == Some("A1"))
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(a1.len(), 1, "{a1:?}");
    assert!(
        a1[0].contains("\"single-target\" changes `federation.inbound`"),
        "{a1:?}"
    );
}

/// The rows of `file` in `dir` whose assumption column is `assumption`, without that
/// column; the header without it first.
fn rows_under(dir: &std::path::Path, file: &str, assumption: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .replacen("layout,assumption,", "layout,", 1);
    std::iter::once(header)
        .chain(lines.filter_map(|line| {
            let mut fields: Vec<&str> = line.split(',').collect();
            (fields[1] == assumption).then(|| {
                fields.remove(1);
                fields.join(",")
            })
        }))
        .collect()
}

#[test]
fn a_cells_rows_are_the_written_in_runs_rows_to_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let run = |text: &str, out: &str| {
        let output = edgesim_on(
            dir.path(),
            text,
            out,
            &["run", "-n", "30", "--no-charts", "-q"],
        );
        assert!(output.status.success());
    };
    run(&with_assumptions(AS_WRITTEN_OR_SLOW), "cells");
    run(&contoso(), "plain");
    run(
        &contoso().replace(
            "[operations]\nresponse = { dist = \"lognormal\", median = \"1h\", p95 = \"3h\" }\n",
            "[operations]\nresponse = \"4h\"\n",
        ),
        "written",
    );
    for file in [
        "summary.csv",
        "causes.csv",
        "pools.csv",
        "comparison.csv",
        "runs.csv",
    ] {
        let plain = std::fs::read_to_string(dir.path().join("plain").join(file)).unwrap();
        let written = std::fs::read_to_string(dir.path().join("written").join(file)).unwrap();
        assert_eq!(
            rows_under(&dir.path().join("cells"), file, "as-written"),
            plain.lines().map(str::to_string).collect::<Vec<_>>(),
            "{file} under as-written"
        );
        assert_eq!(
            rows_under(&dir.path().join("cells"), file, "slow-admin"),
            written.lines().map(str::to_string).collect::<Vec<_>>(),
            "{file} under slow-admin"
        );
    }
}

#[test]
fn shards_of_a_run_with_assumptions_merge_into_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], out: &str| {
        let mut args = vec!["run", "-n", "20", "--no-charts", "-q"];
        args.extend_from_slice(extra);
        let output = edgesim_on(
            dir.path(),
            &with_assumptions(AS_WRITTEN_OR_SLOW),
            out,
            &args,
        );
        assert!(output.status.success());
    };
    run(&[], "single");
    run(&["--shard", "1/2"], "s1");
    run(&["--shard", "2/2"], "s2");
    crate::edgesim()
        .args(["merge", "--no-charts", "-o"])
        .arg(dir.path().join("merged"))
        .arg(dir.path().join("s1"))
        .arg(dir.path().join("s2"))
        .assert()
        .success();
    for name in [
        "summary.csv",
        "causes.csv",
        "pools.csv",
        "comparison.csv",
        "runs.csv",
        "matrix.csv",
        "robust.csv",
        "summary.json",
    ] {
        let single = std::fs::read(dir.path().join("single").join(name)).unwrap();
        let merged = std::fs::read(dir.path().join("merged").join(name)).unwrap();
        assert!(single == merged, "{name} differs");
    }
}

#[test]
fn the_terminal_table_under_an_assumption_is_the_written_in_runs() {
    let dir = tempfile::tempdir().unwrap();
    let table = |text: &str, out: &str| -> String {
        let output = edgesim_on(dir.path(), text, out, &["run", "-n", "30", "--no-charts"]);
        assert!(output.status.success());
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .take_while(|line| !line.starts_with("Wrote "))
            .map(|line| format!("{line}\n"))
            .collect()
    };
    let cells = table(&with_assumptions(AS_WRITTEN_OR_SLOW), "cells");
    let written = table(
        &contoso().replace(
            "[operations]\nresponse = { dist = \"lognormal\", median = \"1h\", p95 = \"3h\" }\n",
            "[operations]\nresponse = \"4h\"\n",
        ),
        "written",
    );
    let plain = table(&contoso(), "plain");
    let (first, second) = cells
        .strip_prefix("Under assumption \"as-written\":\n")
        .and_then(|rest| rest.split_once("\nUnder assumption \"slow-admin\":\n"))
        .unwrap_or_else(|| panic!("{cells}"));
    assert_eq!(format!("{first}\n"), plain);
    // The score matrix follows the last assumption's table.
    let (second, matrix) = second
        .split_once("\nScore by layout and assumption")
        .unwrap_or_else(|| panic!("{second}"));
    assert_eq!(format!("{second}\n"), written);
    assert!(matrix.contains("worst case"), "{matrix}");
}

#[test]
fn the_report_names_the_assumption_and_says_when_the_best_layout_depends_on_it() {
    // The built-in example, two of its layouts: distinct SRV priorities are best for
    // inbound federation when partners retry and worst when they do not; the traffic
    // manager the reverse.
    let dir = tempfile::tempdir().unwrap();
    crate::edgesim()
        .args(["run", "-n", "200", "-q", "--layout", "distinct-priorities"])
        .args(["--layout", "geo-dns", "-o"])
        .arg(dir.path().join("out"))
        .assert()
        .success();
    let report = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let across = report
        .split("<h2>Across assumptions</h2>")
        .nth(1)
        .and_then(|rest| rest.split("<section").next())
        .unwrap_or_else(|| panic!("no section across assumptions"));
    let inbound = across
        .split("<li><strong>Inbound federation</strong>: ")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .unwrap_or_else(|| panic!("no inbound federation line"));
    assert!(
        inbound.contains(
            "The best layout depends on the assumption: distinct-priorities under partners-retry; \
             geo-dns under partners-never-retry; distinct-priorities under slow-administrator."
        ),
        "{inbound}"
    );
    // Worst cases: the SRV design loses its inbound federation when partners never
    // retry; the traffic manager's worst is its detection delay (with a slow
    // administrator): the traffic manager, by a paired margin that is material.
    assert!(
        inbound.contains("Best in the worst case: geo-dns, which loses at most")
            && inbound.contains("against the next, distinct-priorities (worst case")
            && inbound.contains("under partners-never-retry)"),
        "{inbound}"
    );
    let robust = std::fs::read_to_string(dir.path().join("out/robust.csv")).unwrap();
    let row = robust
        .lines()
        .find(|l| l.starts_with("federation_inbound,best_worst_case,"))
        .unwrap();
    assert!(row.ends_with(",materially_better,true"), "{row}");
    // Every statement under an assumption names it.
    for assumption in [
        "partners-retry",
        "partners-never-retry",
        "slow-administrator",
    ] {
        assert!(
            report.contains(&format!("Under assumption \u{201c}{assumption}\u{201d}")),
            "{assumption}"
        );
        assert!(
            report.contains(&format!(
                "<li>Under {assumption}: <strong>Inbound federation</strong>"
            )),
            "{assumption}"
        );
    }
    // The matrix chart is in the report, once.
    assert_eq!(report.matches("id=\"matrix\"").count(), 1, "matrix figure");
}

#[test]
fn the_score_matrix_shows_each_cells_score_and_the_worst_case() {
    let dir = tempfile::tempdir().unwrap();
    let output = edgesim_on(
        dir.path(),
        &with_assumptions(RETRY_OR_NOT),
        "out",
        &["run", "-n", "40", "--no-charts"],
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.path().join("out").join(name)).unwrap();
    let (summary, matrix) = (read("summary.csv"), read("matrix.csv"));
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let score_column = header
        .iter()
        .position(|c| *c == "score_user_min_per_year")
        .unwrap();
    let score = |layout: &str, assumption: &str| -> String {
        summary
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f[0] == layout && f[1] == assumption && f[2] == "score")
            .map(|f| f[score_column].to_string())
            .unwrap()
    };
    // matrix.csv's score cells are summary.csv's scores, to the byte.
    let cells: Vec<Vec<&str>> = matrix
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .filter(|f: &Vec<&str>| f[0] == "score")
        .collect();
    assert_eq!(cells.len(), 4 * 2);
    for cell in &cells {
        assert_eq!(cell[4], score(cell[1], cell[2]), "{cell:?}");
    }
    let matrix_line = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Score by layout and assumption"))
        .find(|l| l.trim_start().starts_with("distinct-priorities"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let (retry, never): (f64, f64) = (
        score("distinct-priorities", "retry").parse().unwrap(),
        score("distinct-priorities", "never-retry").parse().unwrap(),
    );
    let shown = |value: f64| edgesim::format::compact(value);
    assert!(
        matrix_line.starts_with("  distinct-priorities")
            && matrix_line.contains(&format!(" {} [", shown(retry)))
            && matrix_line.contains(&format!(" {} [", shown(never)))
            && matrix_line.trim_end().ends_with(&shown(retry.max(never))),
        "{matrix_line}"
    );
    // Partners that never retry cost the federation-priority design its inbound
    // federation: the worst case is under that assumption.
    assert!(never > retry, "{retry} {never}");
}

#[test]
fn a_sweep_names_each_cell() {
    let dir = tempfile::tempdir().unwrap();
    let output = edgesim_on(
        dir.path(),
        &with_assumptions(RETRY_OR_NOT),
        "out",
        &[
            "sweep",
            "--vary",
            "dns.ttl=5m",
            "-n",
            "10",
            "--no-charts",
            "-q",
        ],
    );
    assert!(output.status.success());
    let sweep = std::fs::read_to_string(dir.path().join("out/sweep.csv")).unwrap();
    for cell in [
        "distinct-priorities · retry",
        "unpaired-pools · never-retry",
    ] {
        assert!(sweep.contains(cell), "{cell} not in sweep.csv");
    }
}

#[test]
fn diff_pairs_cells_by_layout_and_assumption() {
    let dir = tempfile::tempdir().unwrap();
    let run = |text: String, out: &str| {
        let output = edgesim_on(
            dir.path(),
            &text,
            out,
            &["run", "-n", "30", "--no-charts", "-q"],
        );
        assert!(output.status.success());
    };
    run(with_assumptions(RETRY_OR_NOT), "old");
    // The same, with a shorter TTL: only the cells whose services read it change.
    run(
        with_assumptions(RETRY_OR_NOT).replace("[dns]\nttl = \"1h\"", "[dns]\nttl = \"5m\""),
        "new",
    );
    let status = crate::edgesim()
        .args(["diff", "-o"])
        .arg(dir.path().join("diff"))
        .arg(dir.path().join("old"))
        .arg(dir.path().join("new"))
        .output()
        .unwrap()
        .status;
    // 0, or 1 when something got worse; 2 would be folders it cannot compare.
    assert!(matches!(status.code(), Some(0 | 1)), "{status:?}");
    let diff = std::fs::read_to_string(dir.path().join("diff/diff.csv")).unwrap();
    let rows: Vec<&str> = diff.lines().collect();
    let row = |cell: &str, service: &str| -> Vec<String> {
        rows.iter()
            .find(|r| r.starts_with(&format!("{cell},{service},all,")))
            .unwrap_or_else(|| panic!("{cell} {service}: {diff}"))
            .split(',')
            .map(str::to_string)
            .collect()
    };
    for cell in [
        "distinct-priorities · retry",
        "distinct-priorities · never-retry",
    ] {
        // Remote access does not read the TTL: the same downtime in both runs, paired
        // replication by replication within the cell.
        let remote = row(cell, "remote_access");
        assert_eq!(
            (remote[5].as_str(), remote[8].as_str()),
            ("0.000000", "paired")
        );
        // Partners' XMPP caches do: a shorter TTL loses less.
        let xmpp = row(cell, "xmpp_inbound");
        assert_eq!(xmpp[8], "paired");
        assert!(xmpp[5].parse::<f64>().unwrap() < 0.0, "{xmpp:?}");
    }
    // Every cell is there once per service and scope: no two cells collide.
    let keys: std::collections::HashSet<String> = rows[1..]
        .iter()
        .map(|r| r.split(',').take(3).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(keys.len(), rows.len() - 1, "{diff}");
}

#[test]
fn a_trace_under_an_assumption_is_the_written_in_runs() {
    let dir = tempfile::tempdir().unwrap();
    let trace = |text: &str, out: &str, extra: &[&str]| -> Vec<u8> {
        let mut args = vec!["trace", "--replication", "5", "--layout", "unpaired-pools"];
        args.extend_from_slice(extra);
        assert!(edgesim_on(dir.path(), text, out, &args).status.success());
        std::fs::read(dir.path().join(out).join("trace.csv")).unwrap()
    };
    let cells = trace(
        &with_assumptions(AS_WRITTEN_OR_SLOW),
        "cells",
        &["--assumption", "slow-admin"],
    );
    let written = trace(
        &contoso().replace(
            "[operations]\nresponse = { dist = \"lognormal\", median = \"1h\", p95 = \"3h\" }\n",
            "[operations]\nresponse = \"4h\"\n",
        ),
        "written",
        &[],
    );
    assert!(cells == written, "the traces differ");
    let unknown = crate::edgesim()
        .args(["trace", "--assumption", "slow-admin", "-o"])
        .arg(dir.path().join("none"))
        .arg(crate::contoso_layouts())
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("the scenario has no [[assumptions]]")
    );
}

#[test]
fn cells_called_equal_by_construction_are_equal_in_every_replication() {
    // The robust choice treats a cell whose service reads what an earlier cell's reads
    // as equal to it (ties, regrets of zero); the built-in example's figures must bear
    // that out in every replication, across layouts and across assumptions.
    let results = built_in_study(30);
    let runs = results.study.cell_runs.as_ref().unwrap();
    let mut equal_pairs = 0;
    for cell in 0..results.study.layouts.len() {
        for metric in 0..edgesim::stats::CELL_METRICS {
            let representative = runs.representative(cell, metric);
            assert!(representative <= cell);
            if representative == cell {
                continue;
            }
            equal_pairs += 1;
            for run in &runs.runs {
                assert_eq!(
                    edgesim::stats::CellRuns::figure(run, cell, metric),
                    edgesim::stats::CellRuns::figure(run, representative, metric),
                    "cell {cell} metric {metric} replication {}",
                    run.replication
                );
            }
        }
    }
    // Remote access alone: equal-priorities and geo-dns read what distinct-priorities
    // reads under each assumption, and partners' behaviour changes nothing it reads.
    assert!(equal_pairs > 20, "{equal_pairs}");
    // And a cell that differs is not called equal: geo-dns's inbound federation under
    // partners that retry is not distinct-priorities'.
    let index = |layout: &str, assumption: &str| {
        results
            .study
            .layouts
            .iter()
            .position(|l| l.layout == layout && l.assumption.as_deref() == Some(assumption))
            .unwrap()
    };
    let inbound = edgesim::vocabulary::Service::FederationInbound.index();
    assert_eq!(
        runs.representative(index("geo-dns", "partners-retry"), inbound),
        index("geo-dns", "partners-retry")
    );
}

#[test]
fn cells_labelled_for_the_charts_are_the_results_derived_again_under_those_names() {
    // The charts name each cell "layout · assumption"; the labelled results rename the
    // rows rather than derive them again, which must give what deriving them would.
    let results = built_in_study(20);
    let labelled = results.with_cell_labels();
    let mut study = results.study.clone();
    for layout in &mut study.layouts {
        if let Some(assumption) = &layout.assumption {
            layout.layout = format!("{} · {assumption}", layout.layout);
        }
    }
    study.cell_runs = None;
    let mut info = results.info.clone();
    info.layouts = study.layouts.iter().map(|l| l.layout.clone()).collect();
    let derived = edgesim::results::Results::new(
        info,
        results.description.clone(),
        results.warnings.clone(),
        study,
    );
    assert_eq!(labelled.info, derived.info);
    assert_eq!(labelled.study, derived.study);
    assert_eq!(labelled.summary, derived.summary);
    assert_eq!(labelled.causes, derived.causes);
    assert_eq!(labelled.pools, derived.pools);
    assert_eq!(labelled.comparison, derived.comparison);
    assert_eq!(labelled.scores, derived.scores);
    assert!(
        labelled
            .comparison
            .iter()
            .all(|r| r.baseline.ends_with(r.assumption.as_deref().unwrap()))
    );
}
