//! `edgesim sweep` (docs/output.md, "Sweeps"): one key varied at a time over a list of
//! values, every point run for every chosen layout on the same random numbers as the base
//! point, with each point's paired difference against the base.
//!
//! Each layout becomes a study whose "layouts" are the points (the base first), so the
//! paired comparison against the first layout of [`crate::stats::Study`] is exactly the
//! difference against the base point, replication by replication, and the base point's
//! figures are those `run` gives for that layout, to the bit (a layout's results depend
//! only on its topology, the seed and the replication, not on its place in a study).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;

use crate::commands::{Failure, RunOptions, apply_overrides, load_for_run};
use crate::model::services::Service;
use crate::montecarlo::Shard;
use crate::output::Staging;
use crate::scenario::tree::Node;
use crate::scenario::{self, LoadedScenario, SweepSpec};
use crate::stats::SCORE_SERVICE;
use crate::topology::Scenario;

/// What `edgesim sweep` was asked for.
#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    /// The scenario, the settings that override it, the output folder
    /// (`output/<scenario file stem>-sweep/` when `None`) and whether to draw charts
    /// (`sweep.svg`/`.png`, `tornado.svg`/`.png` with two keys or more, `report.html`);
    /// shards and `runs.csv` do not apply.
    pub run: RunOptions,
    /// `KEY=V1,V2,...` from the command line; the file's `[[sweeps]]` when empty.
    pub varies: Vec<String>,
    /// Say on stderr what runs (one line per layout).
    pub progress: bool,
}

/// One point of a sweep: the base, or one key at one value.
#[derive(Clone, Debug)]
pub struct SweepPoint {
    /// `base`, or `key=value`.
    pub label: String,
    /// The key varied (`None` for the base point).
    pub key: Option<String>,
    /// The value, as written.
    pub value: Option<String>,
}

/// One row of `sweep.csv`.
#[derive(Clone, Debug)]
pub struct SweepRow {
    /// The point's label.
    pub point: String,
    /// The key varied (empty for the base point).
    pub key: String,
    /// The value (empty for the base point).
    pub value: String,
    /// Layout name.
    pub layout: String,
    /// Service name.
    pub service: &'static str,
    /// `all` or a FE pool id.
    pub scope: String,
    /// Mean downtime, minutes per year.
    pub downtime_min_per_year: f64,
    /// Its 95% interval, or `(0, bound)` when fewer than five replications had downtime.
    pub ci95: Option<(f64, f64)>,
    /// What `ci95` is: `two_sided`, `bounds` or `none`.
    pub interval: &'static str,
    /// Replications with any downtime (or any loss, for the score).
    pub with_downtime: u64,
    /// Replications run.
    pub replications: u64,
    /// Paired difference against the base point, minutes per year (0 at the base).
    pub delta_min_per_year: f64,
    /// Its 95% interval (bounds when fewer than five replications differ).
    pub delta_ci95: Option<(f64, f64)>,
    /// What `delta_ci95` is: `two_sided`, `bounds`, `unaffected` (the key is not read) or
    /// `none`; empty at the base point.
    pub delta_interval: &'static str,
    /// Replications in which the point differs from the base (0 at the base point).
    pub differing: u64,
    /// The verdict on the difference against the base point (`None` at the base point).
    pub verdict: Option<crate::stats::Verdict>,
}

impl SweepRow {
    /// Whether no replication had any downtime.
    pub fn no_downtime_seen(&self) -> bool {
        self.with_downtime == 0
    }
}

/// What a sweep ran, for its report.
#[derive(Clone, Debug)]
pub struct SweepInfo {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as given.
    pub scenario_file: String,
    /// Replications per point and layout.
    pub replications: u64,
    /// The horizon, in the scenario syntax.
    pub horizon: String,
    /// The seed.
    pub seed: u64,
}

/// What a sweep produced.
#[derive(Clone, Debug)]
pub struct SweepOutcome {
    /// What was run.
    pub info: SweepInfo,
    /// The points, base first.
    pub points: Vec<SweepPoint>,
    /// Every row of `sweep.csv`.
    pub rows: Vec<SweepRow>,
    /// Where `sweep.csv` was written.
    pub file: PathBuf,
    /// Every file written, `sweep.csv` first.
    pub files: Vec<PathBuf>,
    /// Where each (point, layout, service)'s row of all users is in `rows`.
    overall_rows: HashMap<(String, String, &'static str), usize>,
}

impl SweepOutcome {
    /// The row of all users for `point`, `layout` and `service`.
    pub fn overall(&self, point: &str, layout: &str, service: &str) -> Option<&SweepRow> {
        let service = if service == SCORE_SERVICE {
            SCORE_SERVICE
        } else {
            Service::ALL.iter().find(|s| s.name() == service)?.name()
        };
        self.overall_rows
            .get(&(point.to_string(), layout.to_string(), service))
            .map(|&index| &self.rows[index])
    }
}

/// Reads `KEY=V1,V2,...` (values as TOML where they parse, else as text).
pub fn parse_vary(text: &str) -> Result<SweepSpec, String> {
    let Some((key, values)) = text.split_once('=') else {
        return Err(format!(
            "--vary {text}: write KEY=V1,V2,... e.g. --vary operations.response=15m,30m,1h"
        ));
    };
    let key = key.trim();
    let values: Vec<Node> = split_values(values)
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(Node::from_command_line)
        .collect();
    if key.is_empty() {
        return Err(format!(
            "--vary {text}: the key is missing, e.g. --vary dns.ttl=5m,1h"
        ));
    }
    if values.is_empty() {
        return Err(format!(
            "--vary {text}: give at least one value after =, e.g. --vary {key}=1,2,3"
        ));
    }
    Ok(SweepSpec {
        key: key.to_string(),
        values,
    })
}

/// Splits `V1,V2,...` at the commas outside quotes, brackets and braces, so that a value
/// may be an inline table (`{ dist = "fixed", value = "1h" }`) or an array.
fn split_values(text: &str) -> Vec<&str> {
    let mut values = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                values.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    values.push(&text[start..]);
    values
}

/// Runs a sweep and writes `sweep.csv`.
pub fn sweep(options: &SweepOptions) -> Result<SweepOutcome, Failure> {
    let run_options = &options.run;
    let mut base = load_for_run(run_options).map_err(|error| error.to_string())?;
    apply_overrides(&mut base.scenario, run_options)
        .map_err(|message| Failure::Usage(format!("error: {message}")))?;
    let from_command_line = !options.varies.is_empty();
    let specs: Vec<SweepSpec> = if from_command_line {
        options
            .varies
            .iter()
            .map(|text| parse_vary(text))
            .collect::<Result<_, _>>()
            .map_err(|message| Failure::Usage(format!("error: {message}")))?
    } else {
        base.sweeps.clone()
    };
    let listed: usize = specs.iter().map(|s| s.values.len()).sum();
    if listed > scenario::MAX_SWEEP_POINTS {
        return Err(Failure::Usage(format!(
            "error: --vary lists {listed} values; sweep at most {} at a time (each is a whole study of every layout)",
            scenario::MAX_SWEEP_POINTS
        )));
    }
    if specs.is_empty() {
        return Err(Failure::Usage(format!(
            "error: nothing to sweep: give --vary KEY=V1,V2,... or add a [[sweeps]] table to {}",
            base.source.name
        )));
    }
    // A mistake in a --vary is the command line's; one in [[sweeps]] is the scenario's.
    let refuse = |message: String| {
        if from_command_line {
            Failure::Usage(message)
        } else {
            Failure::Failed(message)
        }
    };
    let mut points = vec![SweepPoint {
        label: "base".to_string(),
        key: None,
        value: None,
    }];
    let mut scenarios: Vec<Scenario> = vec![base.scenario.clone()];
    for spec in &specs {
        for value in &spec.values {
            let text = value.to_toml_text();
            let label = format!("{}={text}", spec.key);
            if points.iter().any(|p| p.label == label) {
                continue;
            }
            let overlay = spec
                .overlay(value)
                .map_err(|message| refuse(format!("error: --vary {label}: {message}")))?;
            let mut loaded: LoadedScenario =
                scenario::load_str_with(&base.source.name, &base.source.text, Some(&overlay))
                    .map_err(|error| {
                        let origin = if from_command_line {
                            "--vary"
                        } else {
                            "[[sweeps]] point"
                        };
                        refuse(format!(
                            "error: {origin} {label} does not give a valid scenario:\n{error}"
                        ))
                    })?;
            apply_overrides(&mut loaded.scenario, run_options)
                .map_err(|message| Failure::Usage(format!("error: {message}")))?;
            points.push(SweepPoint {
                label,
                key: Some(spec.key.clone()),
                value: Some(text),
            });
            scenarios.push(loaded.scenario);
        }
    }
    let mut rows = Vec::new();
    for (index, layout) in base.scenario.layouts.iter().enumerate() {
        let study_scenario = Scenario {
            name: base.scenario.name.clone(),
            description: None,
            simulation: base.scenario.simulation,
            layouts: points
                .iter()
                .zip(&scenarios)
                .map(|(point, scenario)| {
                    let mut topology = scenario.layouts[index].clone();
                    debug_assert_eq!(topology.layout_name, layout.layout_name);
                    topology.layout_name = point.label.clone();
                    topology
                })
                .collect(),
            objective: base.scenario.objective.clone(),
            materiality: base.scenario.materiality.clone(),
        };
        if options.progress {
            eprintln!(
                "sweep: layout {} ({} of {}), {} points × {} replications",
                layout.layout_name,
                index + 1,
                base.scenario.layouts.len(),
                points.len(),
                base.scenario.simulation.replications
            );
        }
        let study = crate::montecarlo::run(
            &study_scenario,
            Shard::WHOLE,
            run_options.threads,
            |_, _| Ok(()),
        )
        .map_err(|message| Failure::Failed(format!("error: {message}")))?;
        let comparison = study.comparison();
        for summary in study.summary() {
            let point = points
                .iter()
                .find(|p| p.label == summary.layout)
                .expect("a point per study layout");
            let delta = comparison.iter().find(|c| {
                c.layout == summary.layout
                    && c.service == summary.service
                    && c.scope == summary.scope
            });
            rows.push(SweepRow {
                point: point.label.clone(),
                key: point.key.clone().unwrap_or_default(),
                value: point.value.clone().unwrap_or_default(),
                layout: layout.layout_name.clone(),
                service: summary.service,
                scope: summary.scope.clone(),
                downtime_min_per_year: summary.downtime_min_per_year,
                ci95: summary.downtime_ci95,
                interval: summary.interval.kind(),
                with_downtime: summary.with_downtime,
                replications: summary.replications,
                delta_min_per_year: delta.map_or(0.0, |d| d.delta_downtime_min_per_year),
                delta_ci95: match delta {
                    Some(d) => d.ci95,
                    None => Some((0.0, 0.0)),
                },
                delta_interval: delta.map_or("", |d| d.interval.kind()),
                differing: delta.map_or(0, |d| d.differing),
                verdict: delta.map(|d| d.verdict),
            });
        }
        // With an [objective], each point's score, paired against the base point's.
        for score in study.scores() {
            let point = points
                .iter()
                .find(|p| p.label == score.layout)
                .expect("a point per study layout");
            rows.push(SweepRow {
                point: point.label.clone(),
                key: point.key.clone().unwrap_or_default(),
                value: point.value.clone().unwrap_or_default(),
                layout: layout.layout_name.clone(),
                service: SCORE_SERVICE,
                scope: "all".to_string(),
                downtime_min_per_year: score.score_user_min_per_year,
                ci95: score.ci95,
                interval: score.interval.kind(),
                with_downtime: score.with_loss,
                replications: score.replications,
                delta_min_per_year: score.delta_vs_baseline.map_or(0.0, |d| d.user_min_per_year),
                delta_ci95: match score.delta_vs_baseline {
                    Some(d) => d.ci95,
                    None => Some((0.0, 0.0)),
                },
                delta_interval: score.delta_vs_baseline.map_or("", |d| d.interval.kind()),
                differing: score.delta_vs_baseline.map_or(0, |d| d.differing),
                verdict: score.delta_vs_baseline.map(|d| d.verdict),
            });
        }
    }
    let folder = run_options
        .output
        .clone()
        .unwrap_or_else(|| crate::output::default_sweep_folder(&base.source.name));
    let fail = |error: crate::output::WriteError| format!("error: {error}");
    let mut staging = Staging::new(&folder, crate::output::OutputKind::Sweep).map_err(fail)?;
    let mut out = staging.create("sweep.csv").map_err(fail)?;
    write_csv(&rows, &mut out).map_err(|e| format!("error: cannot write sweep.csv: {e}"))?;
    out.flush()
        .map_err(|e| format!("error: cannot write sweep.csv: {e}"))?;
    drop(out);
    let simulation = &base.scenario.simulation;
    let mut outcome = SweepOutcome {
        info: SweepInfo {
            scenario: base.scenario.name.clone(),
            scenario_file: base.source.name.clone(),
            replications: simulation.replications,
            horizon: simulation.horizon.to_string(),
            seed: simulation.seed,
        },
        points,
        rows,
        file: folder.join("sweep.csv"),
        files: Vec::new(),
        overall_rows: HashMap::new(),
    };
    outcome.overall_rows = outcome
        .rows
        .iter()
        .enumerate()
        .filter(|(_, row)| row.scope == "all")
        .map(|(index, row)| ((row.point.clone(), row.layout.clone(), row.service), index))
        .collect();
    if run_options.charts {
        for chart in crate::plot::sweep::sweep_charts() {
            if !chart.applies(&outcome) {
                continue;
            }
            let stem = chart.file_stem();
            let svg = crate::plot::render_svg(chart.as_ref(), &outcome)
                .map_err(|e| format!("error: cannot draw {stem}.svg: {e}"))?;
            staging
                .write(&format!("{stem}.svg"), svg.as_bytes())
                .map_err(fail)?;
            let png = crate::plot::render_png(chart.as_ref(), &outcome)
                .map_err(|e| format!("error: cannot draw {stem}.png: {e}"))?;
            staging.write(&format!("{stem}.png"), &png).map_err(fail)?;
        }
        let report = crate::export::sweep_report::render(&outcome)
            .map_err(|e| format!("error: cannot write report.html: {e}"))?;
        staging
            .write(crate::export::report::REPORT_FILE, report.as_bytes())
            .map_err(fail)?;
    }
    outcome.files = staging.commit().map_err(fail)?;
    Ok(outcome)
}

fn optional_pair(pair: Option<(f64, f64)>) -> [String; 2] {
    match pair {
        Some((low, high)) => [format!("{low:.6}"), format!("{high:.6}")],
        None => [String::new(), String::new()],
    }
}

/// Writes `sweep.csv`.
fn write_csv(rows: &[SweepRow], out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record([
            "point",
            "key",
            "value",
            "layout",
            "service",
            "scope",
            "downtime_min_per_year",
            "ci95_low",
            "ci95_high",
            "delta_vs_base_min_per_year",
            "delta_ci95_low",
            "delta_ci95_high",
            "replications",
            "replications_with_downtime",
            "interval",
            "replications_differing",
            "delta_interval",
            "verdict",
        ])
        .map_err(std::io::Error::other)?;
    for row in rows {
        let [low, high] = optional_pair(row.ci95);
        let [delta_low, delta_high] = optional_pair(row.delta_ci95);
        writer
            .write_record([
                row.point.as_str(),
                &row.key,
                &row.value,
                &row.layout,
                row.service,
                &row.scope,
                &format!("{:.6}", row.downtime_min_per_year),
                &low,
                &high,
                &format!("{:.6}", row.delta_min_per_year),
                &delta_low,
                &delta_high,
                &row.replications.to_string(),
                &row.with_downtime.to_string(),
                row.interval,
                &row.differing.to_string(),
                row.delta_interval,
                row.verdict.map_or("", |v| v.name()),
            ])
            .map_err(std::io::Error::other)?;
    }
    writer.flush()
}

/// The terminal table: for every service and layout, each point's downtime (all users)
/// and its difference against the base point.
pub fn table(outcome: &SweepOutcome) -> String {
    let mut text = String::new();
    let all: Vec<&SweepRow> = outcome.rows.iter().filter(|r| r.scope == "all").collect();
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for row in &all {
        if !groups.contains(&(row.layout.as_str(), row.service)) {
            groups.push((row.layout.as_str(), row.service));
        }
    }
    for (layout, service) in groups {
        text.push_str(&format!(
            "\n{service}, layout {layout} (downtime in {} per year; change against the base, 95% interval)\n",
            crate::plot::sweep::unit_of(service)
        ));
        for row in all
            .iter()
            .filter(|r| r.layout == layout && r.service == service)
        {
            // Scores run to millions of user-minutes: whole numbers are precise enough.
            let places = if service == SCORE_SERVICE { 0 } else { 1 };
            let delta = match row.delta_interval {
                _ if row.key.is_empty() => String::new(),
                "unaffected" => format!("{:>10}  unaffected: the key is not read", 0),
                "bounds" => format!(
                    "{:+10.places$}  too few replications differ ({} of {})",
                    row.delta_min_per_year, row.differing, row.replications
                ),
                _ => {
                    let interval = row.delta_ci95.map_or_else(String::new, |(l, h)| {
                        format!(" [{l:+.places$}, {h:+.places$}]")
                    });
                    let verdict = row
                        .verdict
                        .filter(|v| v.sign() != 0)
                        .map_or(String::new(), |v| format!("  {}", v.words()));
                    format!("{:+10.places$}{interval}{verdict}", row.delta_min_per_year)
                }
            };
            // An estimate that fewer than five replications carry says so.
            let evidence = match (row.interval, row.with_downtime) {
                ("bounds", 0) => "  (none seen)".to_string(),
                ("bounds", k) => format!("  ({k} with downtime)"),
                _ => String::new(),
            };
            text.push_str(&format!(
                "  {:<40} {:>10.places$} {delta}{evidence}\n",
                row.point, row.downtime_min_per_year
            ));
        }
    }
    text.push_str(&format!(
        "\n{} points × {} rows; wrote {}\n",
        outcome.points.len(),
        outcome.rows.len() / outcome.points.len().max(1),
        outcome.file.display()
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_split_at_commas_outside_tables_arrays_and_quotes() {
        assert_eq!(split_values("5m,1h, 1d"), vec!["5m", "1h", " 1d"]);
        assert_eq!(
            split_values(
                r#"{ dist = "fixed", value = "1h" },{ dist = "exponential", mean = "2h" }"#
            ),
            vec![
                r#"{ dist = "fixed", value = "1h" }"#,
                r#"{ dist = "exponential", mean = "2h" }"#
            ]
        );
        assert_eq!(split_values(r#""a,b",[1, 2]"#), vec![r#""a,b""#, "[1, 2]"]);
        let spec = parse_vary(r#"operations.response={ dist = "fixed", value = "1h" },30m"#)
            .expect("two values");
        assert_eq!(spec.values.len(), 2);
    }

    #[test]
    fn key_paths_may_quote_an_id_with_dots_and_are_bounded() {
        use crate::scenario::key_path_segments;
        assert_eq!(
            key_path_segments(r#"edge_pools."edge.dallas".servers"#).unwrap(),
            vec!["edge_pools", "edge.dallas", "servers"]
        );
        assert_eq!(
            key_path_segments("dns.ttl").unwrap(),
            vec!["dns".to_string(), "ttl".to_string()]
        );
        for bad in ["", "dns..ttl", ".dns", "dns.", r#"a."b"c.d"#, r#"a."b.c"#] {
            assert!(key_path_segments(bad).is_err(), "{bad}");
        }
        // Forty thousand segments (a crash of the stack before the bound): refused at once.
        let deep = vec!["a"; 40_000].join(".");
        assert!(key_path_segments(&deep).unwrap_err().contains("bytes long"));
        let seventeen = vec!["a"; 17].join(".");
        assert!(
            key_path_segments(&seventeen)
                .unwrap_err()
                .contains("more than 16 parts")
        );
    }
}
