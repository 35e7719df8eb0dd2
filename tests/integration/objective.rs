//! `[objective]` (docs/output.md, "Score"): one number per layout, checked against the
//! services' own figures and the scenario's users, never against its own output.

use std::collections::HashMap;
use std::path::Path;

use crate::{edgesim, outcome, project_path};

/// contoso-three-site.toml: 40,000 + 30,000 + 20,000 users, 30% of them remote.
const CONTOSO_USERS: f64 = 90_000.0;
const CONTOSO_REMOTE_USERS: f64 = 27_000.0;

/// The users each service concerns, times its weight in contoso's [objective] (XMPP 0.5).
fn contoso_weighted_users(service: &str) -> f64 {
    match service {
        "remote_access" => CONTOSO_REMOTE_USERS,
        "xmpp_inbound" | "xmpp_outbound" => 0.5 * CONTOSO_USERS,
        _ => CONTOSO_USERS,
    }
}

fn run(args: &[&str], out: &Path) {
    edgesim()
        .args(["run", "-q", "--no-charts", "-o"])
        .arg(out)
        .args(args)
        .assert()
        .success();
}

fn records(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().iter().map(String::from).collect();
    (headers, reader.records().map(Result::unwrap).collect())
}

/// A number, allowing for the six decimals of a file's minutes times up to 90,000 users.
fn assert_close(found: f64, expected: f64, what: &str) {
    let tolerance = 1e-9 * expected.abs() + 0.5;
    assert!(
        (found - expected).abs() <= tolerance,
        "{what}: {found} against {expected}"
    );
}

#[test]
fn the_score_is_the_services_downtime_times_their_users_and_weights() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&[&crate::contoso_layouts(), "-n", "60"], &out);
    let (headers, rows) = records(&out.join("summary.csv"));
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (downtime, score, rank) = (
        column("downtime_min_per_year"),
        column("score_user_min_per_year"),
        column("score_rank"),
    );
    let mut expected: HashMap<String, f64> = HashMap::new();
    let mut found: HashMap<String, (f64, usize)> = HashMap::new();
    for row in &rows {
        match (&row[1], &row[2]) {
            ("score", "all") => {
                found.insert(
                    row[0].to_string(),
                    (row[score].parse().unwrap(), row[rank].parse().unwrap()),
                );
                assert!(row[downtime].is_empty() && row[4].is_empty(), "{row:?}");
            }
            (service, "all") => {
                *expected.entry(row[0].to_string()).or_default() +=
                    contoso_weighted_users(service) * row[downtime].parse::<f64>().unwrap();
                assert!(row[score].is_empty(), "{row:?}");
            }
            _ => {}
        }
    }
    assert_eq!(found.len(), 4, "one score per layout");
    for (layout, (score, rank)) in &found {
        assert_close(*score, expected[layout], layout);
        // The rank counts the layouts with a lower score.
        let lower = found.values().filter(|(other, _)| other < score).count();
        assert_eq!(*rank, lower + 1, "{layout}");
    }

    // equal-priorities changes inbound federation only, so its paired change in score is
    // 90,000 users × weight 1 × its change in inbound federation, row by row.
    let (_, comparison) = records(&out.join("comparison.csv"));
    let find = |service: &str| {
        comparison
            .iter()
            .find(|r| &r[0] == "equal-priorities" && &r[2] == service && &r[3] == "all")
            .unwrap_or_else(|| panic!("no {service} row"))
            .clone()
    };
    let (federation, score) = (find("federation_inbound"), find("score"));
    for column in 4..=6 {
        let minutes: f64 = federation[column].parse().unwrap();
        assert_close(
            score[column].parse().unwrap(),
            CONTOSO_USERS * minutes,
            &format!("comparison column {column}"),
        );
    }

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["objective"]["weights"]["xmpp_inbound"], 0.5);
    assert_eq!(json["scores"].as_array().unwrap().len(), 4);
}

#[test]
fn a_scenario_without_an_objective_has_no_score_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&["scenarios/two-site-minimal.toml", "-n", "20"], &out);
    let (headers, rows) = records(&out.join("summary.csv"));
    assert_eq!(headers.join(","), edgesim::export::SUMMARY_HEADER);
    assert!(rows.iter().all(|r| &r[1] != "score"));
    let json = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(!json.contains("\"scores\"") && !json.contains("\"objective\""));
    let charted = dir.path().join("charted");
    edgesim()
        .args([
            "run",
            "scenarios/two-site-minimal.toml",
            "-q",
            "-n",
            "5",
            "-o",
        ])
        .arg(&charted)
        .assert()
        .success();
    assert!(charted.join("report.html").exists() && !charted.join("score.svg").exists());
    let report = std::fs::read_to_string(charted.join("report.html")).unwrap();
    assert!(!report.contains("<h2>Score</h2>") && !report.contains("id=\"score\""));
}

#[test]
fn an_objective_cannot_be_swept_and_its_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = outcome(
        edgesim()
            .args(["sweep", "-q", "-n", "5", "--vary"])
            .arg("objective.weights.remote_access=1,2")
            .arg("-o")
            .arg(dir.path().join("s")),
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("objective.weights.remote_access")
            && stderr.contains("cannot be swept")
            && stderr.contains("same [objective]"),
        "{stderr}"
    );
    for (file, key) in [
        ("objective-unknown-service.toml", "objective.weights.remote"),
        ("layout-forbidden-objective.toml", "layouts[0].objective"),
    ] {
        let (code, _, stderr) = outcome(
            edgesim()
                .arg("validate")
                .arg(project_path(&format!("tests/malformed/{file}"))),
        );
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains(key), "{file}: {stderr}");
    }
}

#[test]
fn a_sweep_scores_every_point_and_pairs_it_with_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    // contoso's TTL is 1h: that point is the base itself.
    let (code, _, stderr) = outcome(
        edgesim()
            .args(["sweep", "-q", "-n", "30", "--layout", "distinct-priorities"])
            .args(["--vary", "dns.ttl=1m,1h", "-o"])
            .arg(&out),
    );
    assert_eq!(code, Some(0), "{stderr}");
    let (_, rows) = records(&out.join("sweep.csv"));
    let score = |point: &str| {
        rows.iter()
            .find(|r| &r[0] == point && &r[4] == "score")
            .unwrap_or_else(|| panic!("no score at {point}"))
            .clone()
    };
    let (base, same, shorter) = (score("base"), score("dns.ttl=1h"), score("dns.ttl=1m"));
    assert_eq!(&base[9], "0.000000");
    assert_eq!(&same[6], &base[6], "the base value gives the base's score");
    assert_eq!(
        (&same[9], &same[10], &same[11]),
        ("0.000000", "0.000000", "0.000000")
    );
    // A shorter TTL moves only the services that read DNS caches; the score's change is
    // theirs times their users and weights.
    let change = |service: &str| -> f64 {
        rows.iter()
            .find(|r| &r[0] == "dns.ttl=1m" && &r[4] == service && &r[5] == "all")
            .map_or(0.0, |r| r[9].parse().unwrap())
    };
    let expected: f64 = [
        "remote_access",
        "federation_inbound",
        "federation_outbound",
        "xmpp_inbound",
        "xmpp_outbound",
        "edge_association",
    ]
    .iter()
    .map(|s| contoso_weighted_users(s) * change(s))
    .sum();
    assert!(expected < 0.0, "a shorter TTL helps XMPP");
    assert_close(shorter[9].parse().unwrap(), expected, "score change");
}

#[test]
fn layouts_that_weigh_different_users_are_told_apart_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("more-remote.toml");
    let text = crate::contoso_layouts_text()
        + "\n[[layouts]]\nname = \"more-remote\"\nfront_end_pools.fe-dublin.remote_users = 20000\n";
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    edgesim()
        .args([
            "run",
            "-q",
            "-n",
            "10",
            "--layout",
            "distinct-priorities",
            "--layout",
            "more-remote",
            "-o",
        ])
        .arg(&out)
        .arg(&scenario)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    // 8,000 more remote users, at weight 1.
    let weighted = |i: usize| json["scores"][i]["weighted_users"].as_f64().unwrap();
    assert_eq!(weighted(1) - weighted(0), 8_000.0);
    assert_eq!(
        json["objective"]["reference_users"].as_f64(),
        Some(weighted(1))
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("The layouts weigh different numbers of users"));
    // contoso's own layouts weigh the same users: no such note.
    let same = dir.path().join("same");
    edgesim()
        .args(["run", "-q", "-n", "10", "-o"])
        .arg(&same)
        .arg(crate::contoso_layouts())
        .assert()
        .success();
    let report = std::fs::read_to_string(same.join("report.html")).unwrap();
    assert!(report.contains("<h2>Score</h2>"));
    assert!(!report.contains("The layouts weigh different numbers of users"));
}

#[test]
fn a_lead_too_small_to_matter_is_called_immaterial_not_an_improvement() {
    // Clients that notice a lost Edge within 4 minutes rather than 5 save remote access a
    // little downtime in every replication with a failover: significant, paired, but far
    // below 5 minutes per year, and its score gain far below the default threshold of
    // 5 min/yr × 90,000 users = 450,000 user-minutes. The layout ranks first by its mean;
    // the report must not call that a reason to choose it.
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("lead.toml");
    let text = crate::contoso_layouts_text().replace(
            "[[layouts]]\nname = \"distinct-priorities\"",
            "[[layouts]]\nname = \"distinct-priorities\"\n[[layouts]]\nname = \"faster-detect\"\nclients = { detect = { dist = \"uniform\", min = \"0s\", max = \"4m\" } }",
        );
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    edgesim()
        .args(["run", scenario.to_str().unwrap(), "-n", "200", "-q", "-o"])
        .arg(&out)
        .args([
            "--layout",
            "distinct-priorities",
            "--layout",
            "faster-detect",
        ])
        .assert()
        .success();
    let (headers, rows) = records(&out.join("comparison.csv"));
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let remote = rows
        .iter()
        .find(|r| &r[2] == "remote_access" && &r[3] == "all")
        .unwrap();
    let change: f64 = remote[column("delta_downtime_min_per_year")]
        .parse()
        .unwrap();
    assert!(change < 0.0 && change > -5.0, "{remote:?}");
    assert_eq!(
        &remote[column("verdict")],
        "better_immaterial",
        "{remote:?}"
    );
    let score = rows.iter().find(|r| &r[2] == "score").unwrap();
    assert_eq!(&score[column("verdict")], "better_immaterial", "{score:?}");
    assert_eq!(&score[column("material_threshold")], "450000.000000");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("<strong>faster-detect</strong> ranks first")
            && report
                .contains("but against the baseline it is significantly better, but immaterial"),
        "the score paragraph"
    );
    assert!(
        report.contains(
            "Significant but immaterial (below the 5.00 min/yr that matters): faster-detect"
        ),
        "the remote access verdict"
    );
    assert!(!report.contains("a significant improvement"));
}
