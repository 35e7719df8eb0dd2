//! The report of a sweep (`report.html` in the sweep's folder): what was run, a sweep
//! section per service (each point's downtime per layout, its paired difference against
//! the base, and which key moved it most), and the charts, inlined as SVG. Like the
//! study report it is one self-contained file: no scripts and nothing from the network.

use std::fmt::Write as _;

use super::report::{escape, figure, page_head};
use crate::plot;
use crate::sweep::{SweepResults, SweepRow};

/// `report.html` of a sweep.
pub struct SweepReport;

impl super::Exporter<SweepResults> for SweepReport {
    fn file_name(&self) -> String {
        super::report::REPORT_FILE.to_string()
    }

    fn export(&self, results: &SweepResults) -> Result<Option<Vec<u8>>, super::ExportError> {
        render(results)
            .map(|html| Some(html.into_bytes()))
            .map_err(|message| super::ExportError::Text {
                file: super::report::REPORT_FILE.to_string(),
                message,
            })
    }
}

/// The report as HTML.
pub fn render(outcome: &SweepResults) -> Result<String, String> {
    let mut charts = Vec::new();
    for chart in plot::sweep::sweep_charts() {
        if chart.applies(outcome) {
            let svg = plot::render_svg(chart.as_ref(), outcome)?;
            charts.push((chart, svg));
        }
    }
    let info = &outcome.info;
    let mut html = page_head(&format!("edgesim sweep: {}", info.scenario));
    let _ = writeln!(html, "<h1>Sweep: {}</h1>", escape(&info.scenario));
    let _ = writeln!(html, "<dl class=\"run\">");
    let keys: Vec<String> = outcome
        .keys()
        .iter()
        .map(|key| {
            let values: Vec<&str> = outcome.points_of(key).iter().map(|(_, v)| *v).collect();
            format!("{key} = {}", values.join(", "))
        })
        .collect();
    for (term, value) in [
        ("scenario file", info.scenario_file.clone()),
        ("layouts", outcome.layouts().join(", ")),
        ("keys (one at a time)", keys.join("; ")),
        ("replications", crate::format::thousands(info.replications)),
        ("horizon", info.horizon.clone()),
        ("seed", info.seed.to_string()),
    ] {
        let _ = writeln!(html, "<dt>{term}</dt><dd>{}</dd>", escape(&value));
    }
    let _ = writeln!(html, "</dl>");
    let _ = writeln!(
        html,
        "<h2>Sweep</h2>\n<p>Every point ran on the same failures as the base point (the scenario as written), \
         so each difference is paired replication by replication. Downtime of all users in minutes per year (the score, when the scenario has an [objective], in weighted user-minutes); \
         the difference against the base with its 95% interval.</p>"
    );
    for service in outcome.services() {
        section(&mut html, outcome, service);
    }
    let _ = writeln!(html, "<h2>Charts</h2>");
    for (chart, svg) in &charts {
        figure(&mut html, chart.file_stem(), chart.title(), svg);
    }
    let _ = writeln!(
        html,
        "<footer>Made by edgesim from {}; the numbers are in sweep.csv.</footer>\n</main>\n</body>\n</html>",
        escape(&info.scenario_file)
    );
    Ok(html)
}

fn cell(row: &SweepRow) -> String {
    let downtime = crate::format::minutes_label(row.downtime_min_per_year);
    if row.key.is_empty() {
        return downtime;
    }
    match row.delta_interval {
        "unaffected" => return format!("{downtime} (unaffected: nothing it reads changes)"),
        "bounds" => {
            return format!(
                "{downtime} ({}{}; too few differ: {} of {})",
                if row.delta_min_per_year > 0.0 {
                    "+"
                } else {
                    ""
                },
                plot::axis_label(&round1(row.delta_min_per_year)),
                row.differing,
                row.replications
            );
        }
        _ => {}
    }
    let interval = row.delta_ci95.map_or(String::new(), |(low, high)| {
        format!(
            " [{}, {}]",
            plot::axis_label(&round1(low)),
            plot::axis_label(&round1(high))
        )
    });
    format!(
        "{downtime} ({}{}{interval})",
        if row.delta_min_per_year > 0.0 {
            "+"
        } else {
            ""
        },
        plot::axis_label(&round1(row.delta_min_per_year))
    )
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// One service's table and, for every layout, a sentence on the key that moved it most
/// (a sentence about one layout would be read as true of all).
fn section(html: &mut String, outcome: &SweepResults, service: &str) {
    let title = crate::plot::sweep::service_title(service);
    let layouts = outcome.layouts();
    let _ = writeln!(html, "<h3>{}</h3>", escape(title));
    let _ = writeln!(html, "<ul class=\"verdict\">");
    // The layouts no key moves, said once together; each other layout with its key.
    let mut unmoved: Vec<&str> = Vec::new();
    for layout in &layouts {
        match largest_effect(outcome, layout, service) {
            Some(sentence) => {
                let _ = writeln!(html, "<li>{}</li>", escape(&sentence));
            }
            None => unmoved.push(layout),
        }
    }
    match unmoved.as_slice() {
        [] => {}
        [layout] => {
            let _ = writeln!(
                html,
                "<li>{}</li>",
                escape(&format!("In layout {layout}, no key swept changes it."))
            );
        }
        many if many.len() == layouts.len() => {
            let _ = writeln!(html, "<li>No key swept changes it, in any layout.</li>");
        }
        many => {
            let _ = writeln!(
                html,
                "<li>{}</li>",
                escape(&format!(
                    "In layouts {}, no key swept changes it.",
                    many.join(", ")
                ))
            );
        }
    }
    let _ = writeln!(html, "</ul>");
    // Many layouts make a wide table: it scrolls inside the page, not past its edge.
    let _ = write!(
        html,
        "<div class=\"scroll\"><table>\n<thead><tr><th>point</th>"
    );
    for layout in &layouts {
        let _ = write!(html, "<th>{}</th>", escape(layout));
    }
    let _ = writeln!(html, "</tr></thead>\n<tbody>");
    for point in &outcome.points {
        let _ = write!(html, "<tr><td>{}</td>", escape(&point.label));
        for layout in &layouts {
            let text = outcome
                .overall(&point.label, layout, service)
                .map_or(String::new(), cell);
            let _ = write!(html, "<td class=\"number\">{}</td>", escape(&text));
        }
        let _ = writeln!(html, "</tr>");
    }
    let _ = writeln!(html, "</tbody>\n</table></div>");
}

/// Which key's values spread a layout's downtime most, in words; `None` when no key
/// moves it.
fn largest_effect(outcome: &SweepResults, layout: &str, service: &str) -> Option<String> {
    let mut best: Option<(&str, f64, f64)> = None;
    for key in outcome.keys() {
        let deltas: Vec<f64> = outcome
            .points_of(key)
            .iter()
            .filter_map(|(label, _)| outcome.overall(label, layout, service))
            .map(|r| r.delta_min_per_year)
            .collect();
        let (low, high) = deltas
            .iter()
            .fold((0.0f64, 0.0f64), |(l, h), d| (l.min(*d), h.max(*d)));
        if best.is_none_or(|(_, l, h)| high - low > h - l) {
            best = Some((key, low, high));
        }
    }
    match best {
        Some((key, low, high)) if high > low => Some(format!(
            "In layout {layout}, {key} moves it most: from {} to {} {} per year against the base.",
            plot::axis_label(&round1(low)),
            plot::axis_label(&round1(high)),
            plot::sweep::unit_of(service)
        )),
        _ => None,
    }
}
