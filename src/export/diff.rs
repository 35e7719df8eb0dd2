//! The outputs of a comparison of two result folders: `diff.csv` and its terminal table.

use super::{ExportError, Exporter, TerminalExporter};
use crate::diff::{DiffResults, DiffRow, Evidence, Method};

/// The file name of [`DiffCsv`].
pub const DIFF_FILE: &str = "diff.csv";

/// `diff.csv`: a row per layout, service and scope of either folder (docs/output.md,
/// "Comparing two studies").
pub struct DiffCsv;

impl Exporter<DiffResults> for DiffCsv {
    fn file_name(&self) -> String {
        DIFF_FILE.to_string()
    }

    fn export(&self, results: &DiffResults) -> Result<Option<Vec<u8>>, ExportError> {
        let mut bytes = Vec::new();
        write_csv(&results.rows, &mut bytes).map_err(|e| ExportError::Text {
            file: DIFF_FILE.to_string(),
            message: e.to_string(),
        })?;
        Ok(Some(bytes))
    }
}

/// The terminal table: notes, the rows that changed, a verdict, and what the rows that
/// cannot see a change would need (the command says where it wrote `diff.csv`).
pub struct DiffTable;

impl TerminalExporter<DiffResults> for DiffTable {
    fn render(&self, results: &DiffResults) -> String {
        table(results)
    }
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.6}"))
}

/// Writes `diff.csv`.
fn write_csv(rows: &[DiffRow], out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "layout,service,scope,old_downtime_min_per_year,new_downtime_min_per_year,change_min_per_year,ci95_low,ci95_high,method,worse,interval,replications_differing,evidence,replications_needed,old_replications_with_downtime,new_replications_with_downtime"
    )?;
    let mut writer = csv::Writer::from_writer(out);
    for row in rows {
        let change = row.change;
        writer
            .write_record([
                row.layout.as_str(),
                row.service.as_str(),
                row.scope.as_str(),
                &optional(row.old_min_per_year),
                &optional(row.new_min_per_year),
                &optional(change.map(|c| c.min_per_year)),
                &optional(change.and_then(|c| c.ci95).map(|ci| ci.0)),
                &optional(change.and_then(|c| c.ci95).map(|ci| ci.1)),
                change.map_or("", |c| c.method.name()),
                if row.worse { "true" } else { "false" },
                change.map_or("", |c| c.interval.kind()),
                &change
                    .and_then(|c| c.differing)
                    .map_or_else(String::new, |k| k.to_string()),
                change.map_or("", |c| c.evidence.name()),
                &change
                    .and_then(|c| c.replications_needed)
                    .map_or_else(String::new, |n| n.to_string()),
                &row.with_downtime
                    .0
                    .map_or_else(String::new, |n| n.to_string()),
                &row.with_downtime
                    .1
                    .map_or_else(String::new, |n| n.to_string()),
            ])
            .map_err(std::io::Error::other)?;
    }
    writer.flush()
}

/// The terminal table: rows that changed (all of them when few), and a verdict.
fn table(outcome: &DiffResults) -> String {
    let mut text = String::new();
    for note in &outcome.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    let compared: Vec<&DiffRow> = outcome.rows.iter().filter(|r| r.change.is_some()).collect();
    let changed: Vec<&&DiffRow> = compared
        .iter()
        .filter(|r| r.change.is_some_and(|c| c.min_per_year != 0.0))
        .collect();
    if !changed.is_empty() {
        text.push_str(&format!(
            "\n{:<24} {:<20} {:<16} {:>10} {:>10} {:>10}  {:<22} {}\n",
            "layout", "service", "scope", "old", "new", "change", "95% interval", ""
        ));
        for row in &changed {
            let change = row.change.expect("compared");
            let interval = change
                .ci95
                .map_or_else(|| "n/a".to_string(), |(l, h)| format!("[{l:+.1}, {h:+.1}]"));
            text.push_str(&format!(
                "{:<24} {:<20} {:<16} {:>10.1} {:>10.1} {:>+10.1}  {:<22} {}\n",
                row.layout,
                row.service,
                row.scope,
                row.old_min_per_year.unwrap_or(0.0),
                row.new_min_per_year.unwrap_or(0.0),
                change.min_per_year,
                interval,
                if row.worse { "WORSE" } else { "" }
            ));
        }
        text.push_str("(downtime in minutes per year)\n");
    }
    let worse = outcome.worse().count();
    text.push_str(&format!(
        "\n{} rows compared, {} changed; {}\n",
        compared.len(),
        changed.len(),
        if worse == 0 {
            format!(
                "none got significantly worse by more than {} min/year",
                outcome.threshold_min_per_year
            )
        } else {
            const NAMED: usize = 10;
            let mut named: Vec<String> = outcome
                .worse()
                .take(NAMED)
                .map(|r| format!("{} {} {}", r.layout, r.service, r.scope))
                .collect();
            if worse > NAMED {
                named.push(format!("and {} more in diff.csv", worse - NAMED));
            }
            format!(
                "{worse} got significantly worse by more than {} min/year: {}",
                outcome.threshold_min_per_year,
                named.join("; ")
            )
        }
    ));
    text.push_str(&blind_note(outcome));
    text
}

/// What the rows that cannot see say, and what would let them, and how many rows were
/// the same in every replication (empty when there is nothing to say).
fn blind_note(outcome: &DiffResults) -> String {
    let mut text = String::new();
    let identical: Vec<&DiffRow> = outcome.identical().collect();
    if let Some(bound) = identical
        .iter()
        .filter_map(|r| r.change.and_then(|c| c.ci95).map(|(_, high)| high))
        .reduce(f64::max)
    {
        text.push_str(&format!(
            "note: {} rows are the same in every replication of both runs (no difference seen; bounds of ±{:.1} min/year in diff.csv, from how rarely an unseen difference could occur)\n",
            identical.len(),
            bound
        ));
    }
    let blind: Vec<&DiffRow> = outcome.blind().collect();
    if blind.is_empty() {
        return text;
    }
    let count = |evidence: Evidence| {
        blind
            .iter()
            .filter(|r| r.change.is_some_and(|c| c.evidence == evidence))
            .count()
    };
    let needed = blind
        .iter()
        .filter_map(|r| r.change.and_then(|c| c.replications_needed))
        .max();
    let unpaired = blind
        .iter()
        .any(|r| r.change.is_some_and(|c| c.method != Method::Paired));
    let mut parts = Vec::new();
    for (evidence, words) in [
        (
            Evidence::TooFewDiffer,
            "only 1 to 4 replications differ between the runs",
        ),
        (
            Evidence::TooFewWithDowntime,
            "fewer than 5 replications of a run had downtime",
        ),
        (
            Evidence::TooWide,
            "the interval is wider than the threshold",
        ),
    ] {
        let n = count(evidence);
        if n > 0 {
            parts.push(format!("{n} because {words}"));
        }
    }
    let mut names: Vec<String> = blind
        .iter()
        .take(5)
        .map(|r| format!("{} {} {}", r.layout, r.service, r.scope))
        .collect();
    if blind.len() > 5 {
        names.push(format!("and {} more in diff.csv", blind.len() - 5));
    }
    let mut fixes = Vec::new();
    if unpaired {
        fixes.push("run both with the same seed, replications and horizon, keeping runs.csv, so that they pair".to_string());
    }
    if let Some(needed) = needed {
        fixes.push(format!(
            "run about {} replications",
            crate::format::thousands(needed)
        ));
    }
    text.push_str(&format!(
        "note: {} rows cannot see a change of {} min/year ({}): {}; to see them, {}\n",
        blind.len(),
        outcome.threshold_min_per_year,
        parts.join(", "),
        names.join("; "),
        fixes.join(", or ")
    ));
    text
}
