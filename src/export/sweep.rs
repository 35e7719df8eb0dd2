//! A sweep's outputs: `sweep.csv`, its terminal table, each sweep chart as SVG and PNG,
//! and `report.html` (in [`super::sweep_report`]).

use super::charts::{ChartFile, Format};
use super::{ExportError, Exporter, TerminalExporter};
use crate::stats::SCORE_SERVICE;
use crate::sweep::{SweepResults, SweepRow};

/// `sweep.csv`: a row per point, layout, service and scope (docs/output.md, "Sweeps").
pub struct SweepCsv;

/// The file name of [`SweepCsv`].
pub const SWEEP_FILE: &str = "sweep.csv";

impl Exporter<SweepResults> for SweepCsv {
    fn file_name(&self) -> String {
        SWEEP_FILE.to_string()
    }

    fn export(&self, results: &SweepResults) -> Result<Option<Vec<u8>>, ExportError> {
        let mut bytes = Vec::new();
        write_csv(&results.rows, &mut bytes).map_err(|e| ExportError::Text {
            file: SWEEP_FILE.to_string(),
            message: e.to_string(),
        })?;
        Ok(Some(bytes))
    }
}

/// The terminal table: for every service and layout, each point's downtime (all users)
/// and its difference against the base point, then how many points and rows there are
/// (without a final line break: the command says where it wrote them).
pub struct SweepTable;

impl TerminalExporter<SweepResults> for SweepTable {
    fn render(&self, results: &SweepResults) -> String {
        table(results)
    }
}

/// The files `edgesim sweep` writes, in the order they are staged: `sweep.csv`, then with
/// `charts` each chart that applies as SVG and PNG, and the report.
pub fn sweep_exporters(charts: bool) -> Vec<Box<dyn Exporter<SweepResults>>> {
    let mut exporters: Vec<Box<dyn Exporter<SweepResults>>> = vec![Box::new(SweepCsv)];
    if charts {
        let charts = crate::plot::sweep::sweep_charts;
        for (svg, png) in charts().into_iter().zip(charts()) {
            exporters.push(Box::new(ChartFile::new(svg, Format::Svg)));
            exporters.push(Box::new(ChartFile::new(png, Format::Png)));
        }
        exporters.push(Box::new(super::sweep_report::SweepReport));
    }
    exporters
}

fn optional_pair(pair: Option<(f64, f64)>) -> [String; 2] {
    match pair {
        Some((low, high)) => [format!("{low:.6}"), format!("{high:.6}")],
        None => [String::new(), String::new()],
    }
}

/// Writes `sweep.csv`.
pub fn write_csv(rows: &[SweepRow], out: &mut impl std::io::Write) -> std::io::Result<()> {
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
fn table(outcome: &SweepResults) -> String {
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
                "unaffected" => format!("{:>10}  unaffected: nothing it reads changes", 0),
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
        "\n{} points × {} rows",
        outcome.points.len(),
        outcome.rows.len() / outcome.points.len().max(1),
    ));
    text
}
