//! Sweeps (docs/output.md, "Sweeps"): one key varied at a time over a list of values,
//! every point studied for every chosen layout on the same random numbers as the base
//! point, with each point's paired difference against the base. The driver that loads
//! the points and writes the files is `edgesim sweep` ([`crate::commands::sweep`]).
//!
//! Each layout becomes a study of the points as named variants of it (the base first,
//! [`Scenario::with_variants`]), so the paired comparison against the first layout of a
//! study is exactly the difference against the base point, replication by replication,
//! and the base point's figures are those `run` gives for that layout, to the bit (a
//! layout's results depend only on its topology, the seed and the replication, not on its
//! place in a study).

use std::collections::HashMap;

use crate::results::Results;
use crate::scenario::SweepSpec;
use crate::scenario::tree::Node;
use crate::stats::SCORE_SERVICE;
use crate::study::{Failure, Origin, Quiet, StudyOptions};
use crate::topology::Scenario;
use crate::vocabulary::Service;

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
    /// What `delta_ci95` is: `two_sided`, `bounds`, `unaffected` (nothing the service
    /// reads changes: the key is not read, or the point is the base value) or `none`;
    /// empty at the base point.
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

/// A sweep's results, in memory.
#[derive(Clone, Debug)]
pub struct SweepResults {
    /// What was run.
    pub info: SweepInfo,
    /// The points, base first.
    pub points: Vec<SweepPoint>,
    /// Every row of `sweep.csv`.
    pub rows: Vec<SweepRow>,
    /// Each chosen layout's study of the points (its layouts are the points' labels, the
    /// base first), in the scenario's layout order: every figure of every point, with its
    /// interval, evidence, causes and paired difference against the base.
    pub studies: Vec<Results>,
    /// Where each (point, layout, service)'s row of all users is in `rows`.
    overall_rows: HashMap<(String, String, &'static str), usize>,
}

impl SweepResults {
    /// The keys varied, in the order given.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for key in self.points.iter().filter_map(|p| p.key.as_deref()) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// The layouts, in the order run.
    pub fn layouts(&self) -> Vec<&str> {
        let mut layouts: Vec<&str> = Vec::new();
        for row in &self.rows {
            if !layouts.contains(&row.layout.as_str()) {
                layouts.push(&row.layout);
            }
        }
        layouts
    }

    /// The score first when there is one (the one number to rank by), then the services
    /// in `summary.csv` order.
    pub fn services(&self) -> Vec<&'static str> {
        let mut services: Vec<&'static str> = Vec::new();
        for row in &self.rows {
            if !services.contains(&row.service) {
                services.push(row.service);
            }
        }
        if let Some(index) = services.iter().position(|s| *s == SCORE_SERVICE) {
            services[..=index].rotate_right(1);
        }
        services
    }

    /// The labels and values of the points of `key`, in the order given.
    pub fn points_of(&self, key: &str) -> Vec<(&str, &str)> {
        self.points
            .iter()
            .filter(|p| p.key.as_deref() == Some(key))
            .map(|p| (p.label.as_str(), p.value.as_deref().unwrap_or("")))
            .collect()
    }

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

/// One point of a sweep and the scenario it gives (with the run's overrides applied).
#[derive(Clone, Debug)]
pub struct SweepVariant {
    /// The point.
    pub point: SweepPoint,
    /// Its scenario: the same layouts as the base, one key changed.
    pub scenario: Scenario,
}

/// Studies every variant (the base point first) for every layout of the base, each
/// layout on common random numbers across its points, and returns the rows of
/// `sweep.csv` with each layout's study. `each_layout` is told of a layout (its index)
/// before it runs.
pub fn sweep(
    variants: &[SweepVariant],
    origin: &Origin,
    threads: Option<usize>,
    each_layout: &mut dyn FnMut(usize),
) -> Result<SweepResults, Failure> {
    let base = &variants
        .first()
        .ok_or_else(|| Failure::Failed("a sweep needs its base point".to_string()))?
        .scenario;
    let points: Vec<SweepPoint> = variants.iter().map(|v| v.point.clone()).collect();
    let options = StudyOptions {
        threads,
        ..StudyOptions::default()
    };
    let mut rows = Vec::new();
    let mut studies = Vec::with_capacity(base.layouts.len());
    for (index, layout) in base.layouts.iter().enumerate() {
        let study_scenario = base.with_variants(
            variants
                .iter()
                .map(|variant| {
                    let mut topology = variant.scenario.layouts[index].clone();
                    debug_assert_eq!(topology.layout_name, layout.layout_name);
                    topology.layout_name = variant.point.label.clone();
                    // Every point of a cell is under its one assumption: the study of
                    // the points is a plain one, and the rows name the cell.
                    topology.assumption = None;
                    topology
                })
                .collect(),
        );
        each_layout(index);
        let results = crate::study::study(&study_scenario, origin, &options, &mut Quiet)?;
        rows.extend(point_rows(&points, &layout.cell_label(), &results));
        studies.push(results);
    }
    let simulation = &base.simulation;
    let mut results = SweepResults {
        info: SweepInfo {
            scenario: base.name.clone(),
            scenario_file: origin.file.clone(),
            replications: simulation.replications,
            horizon: simulation.horizon.to_string(),
            seed: simulation.seed,
        },
        points,
        rows,
        studies,
        overall_rows: HashMap::new(),
    };
    results.overall_rows = results
        .rows
        .iter()
        .enumerate()
        .filter(|(_, row)| row.scope == "all")
        .map(|(index, row)| ((row.point.clone(), row.layout.clone(), row.service), index))
        .collect();
    Ok(results)
}

/// The rows of `sweep.csv` for one layout: each point's summary rows, then, with an
/// `[objective]`, each point's score, paired against the base point's.
fn point_rows(points: &[SweepPoint], layout: &str, results: &Results) -> Vec<SweepRow> {
    let point_of = |label: &str| {
        points
            .iter()
            .find(|p| p.label == label)
            .expect("a point per study layout")
    };
    let mut rows = Vec::new();
    for summary in &results.summary {
        let point = point_of(&summary.layout);
        let delta = results.comparison.iter().find(|c| {
            c.layout == summary.layout && c.service == summary.service && c.scope == summary.scope
        });
        rows.push(SweepRow {
            point: point.label.clone(),
            key: point.key.clone().unwrap_or_default(),
            value: point.value.clone().unwrap_or_default(),
            layout: layout.to_string(),
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
    for score in &results.scores {
        let point = point_of(&score.layout);
        rows.push(SweepRow {
            point: point.label.clone(),
            key: point.key.clone().unwrap_or_default(),
            value: point.value.clone().unwrap_or_default(),
            layout: layout.to_string(),
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
    rows
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
