//! The layout comparison as a forest plot: for each service, every layout's paired
//! difference in downtime against the baseline, with its 95% interval, coloured by its
//! verdict. Every panel shares one scale, so a change of a minute looks as small next to
//! one of a hundred as it is, and a shaded band marks the changes too small to matter
//! (the `[materiality]` threshold). Changes that rest on too few replications, or that a
//! layout cannot make, are named instead of drawn as intervals.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    BETTER, Chart, DrawResult, INK, MUTED, NEUTRAL, RowPanel, WORSE, anchored, axis_label, fail,
    on_both_backends, panel_title, row_labels, row_panel_mesh, row_y, text, text_width, titled,
};
use crate::results::Results;
use crate::stats::{ComparisonRow, Verdict};
use crate::vocabulary::Service;

/// The chart.
pub struct Comparison;

const ROW: u32 = 26;
const PANEL_HEAD: u32 = 28;
const AXIS: u32 = 34;
const WIDTH: u32 = 1000;

/// The colour of a verdict: green and vermillion for material changes, their pale tints
/// for significant but immaterial ones, grey otherwise.
pub fn verdict_color(verdict: Verdict) -> RGBColor {
    let pale = |c: RGBColor| {
        let mix = |v: u8| ((u16::from(v) + 2 * 0xee) / 3) as u8;
        RGBColor(mix(c.0), mix(c.1), mix(c.2))
    };
    match verdict {
        Verdict::MateriallyBetter => BETTER,
        Verdict::MateriallyWorse => WORSE,
        Verdict::BetterImmaterial => pale(BETTER),
        Verdict::WorseImmaterial => pale(WORSE),
        _ => NEUTRAL,
    }
}

/// The band of changes too small to matter, from −`threshold` to +`threshold`.
pub fn draw_material_band<DB: DrawingBackend>(
    chart: &mut RowPanel<'_, DB>,
    threshold: f64,
    rows: usize,
) -> DrawResult {
    if threshold > 0.0 {
        chart
            .draw_series([Rectangle::new(
                [(-threshold, 0.0), (threshold, rows.max(1) as f64)],
                RGBColor(0xf2, 0xf2, 0xf2).filled(),
            )])
            .map_err(fail)?;
    }
    chart
        .draw_series([PathElement::new(
            [(0.0, 0.0), (0.0, rows.max(1) as f64)],
            MUTED.stroke_width(1),
        )])
        .map_err(fail)?;
    Ok(())
}

/// One paired change at height `y`, coloured by its verdict: its 95% interval with end
/// ticks and a mark at the mean when it has one; a hollow mark at the mean when too few
/// replications differ; nothing when the layout cannot change it.
pub fn draw_change<DB: DrawingBackend>(
    chart: &mut RowPanel<'_, DB>,
    mean: f64,
    ci95: Option<(f64, f64)>,
    verdict: Verdict,
    y: f64,
) -> DrawResult {
    let color = verdict_color(verdict);
    match verdict {
        Verdict::Unaffected => Ok(()),
        Verdict::TooFewDiffer => {
            chart
                .draw_series([Circle::new((mean, y), 4, color.stroke_width(2))])
                .map_err(fail)?;
            Ok(())
        }
        _ => {
            if let Some((low, high)) = ci95 {
                chart
                    .draw_series(whisker(low, high, y, color))
                    .map_err(fail)?;
            }
            chart
                .draw_series([Rectangle::new(
                    [(mean, y - 0.22), (mean, y + 0.22)],
                    color.stroke_width(5),
                )])
                .map_err(fail)?;
            Ok(())
        }
    }
}

/// An interval from `low` to `high` at height `y`, with end ticks.
pub fn whisker(low: f64, high: f64, y: f64, color: RGBColor) -> [PathElement<(f64, f64)>; 3] {
    [
        PathElement::new([(low, y), (high, y)], color.stroke_width(2)),
        PathElement::new([(low, y - 0.2), (low, y + 0.2)], color.stroke_width(2)),
        PathElement::new([(high, y - 0.2), (high, y + 0.2)], color.stroke_width(2)),
    ]
}

/// The label to the right of a change: its figures, or why there is no interval.
pub fn change_label(
    mean: String,
    ci95: Option<(String, String)>,
    verdict: Verdict,
    differing: &str,
) -> String {
    match verdict {
        Verdict::Unaffected => "0: unaffected (changes nothing it reads)".to_string(),
        Verdict::TooFewDiffer => format!("{mean}: too few differ ({differing})"),
        _ => match ci95 {
            Some((low, high)) => format!("{mean} [{low}, {high}]"),
            None => mean,
        },
    }
}

fn rows(results: &Results, service: Service) -> Vec<(usize, &ComparisonRow)> {
    results
        .layouts()
        .enumerate()
        .skip(1)
        .filter_map(|(i, layout)| Some((i, results.comparison_row(layout, service, "all")?)))
        .collect()
}

/// How far every panel's axis reaches either side of 0: the largest interval end or
/// estimate of a change that has an interval, and every service's threshold, so that
/// panels share one scale and the bands show.
fn common_reach(results: &Results, services: &[Service]) -> f64 {
    let reach = services
        .iter()
        .flat_map(|&service| {
            let threshold = results.study.materiality.downtime(service);
            rows(results, service)
                .into_iter()
                .flat_map(|(_, r)| {
                    let mean = r.delta_downtime_min_per_year.abs();
                    match (r.verdict, r.ci95) {
                        (Verdict::Unaffected, _) => vec![],
                        (Verdict::TooFewDiffer, _) | (_, None) => vec![mean],
                        (_, Some((low, high))) => vec![low.abs(), high.abs(), mean],
                    }
                })
                .chain([threshold])
                .collect::<Vec<f64>>()
        })
        .fold(0.0f64, f64::max);
    if reach > 0.0 { reach * 1.1 } else { 1.0 }
}

impl Comparison {
    fn panel_height(rows: usize) -> u32 {
        PANEL_HEAD + ROW * rows.max(1) as u32 + AXIS
    }

    fn draw<DB: DrawingBackend>(
        &self,
        results: &Results,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        // With assumptions each cell is compared with the first layout under its own
        // assumption (the labels are "layout · assumption").
        let first = results.study.layouts.first();
        let baseline = match first.and_then(|l| l.assumption.as_ref().map(|_| l)) {
            Some(cell) => {
                let layout = cell.layout.split(" · ").next().unwrap_or_default();
                format!("{layout} under the same assumption")
            }
            None => results.layouts().next().unwrap_or("").to_string(),
        };
        let body = titled(
            area,
            self.title(),
            &format!(
                "Paired difference in downtime against {baseline}, minutes per year, with its 95% interval, on one scale for every service.\n\
                 Green: materially less downtime; vermillion: materially more; pale: significant but inside the shaded band of changes\n\
                 too small to matter ([materiality]); grey: no significant difference; hollow: too few replications differ to tell."
            ),
        )?;
        let layouts: Vec<String> = results.layouts().map(super::layout_label).collect();
        let label_width = text_width(
            layouts.iter().map(|l| l.chars().count()).max().unwrap_or(4),
            13,
        ) as i32
            + 24;
        let services: Vec<Service> = results
            .services()
            .into_iter()
            .filter(|&s| !rows(results, s).is_empty())
            .collect();
        let reach = common_reach(results, &services);
        let mut rest = body;
        for (index, &service) in services.iter().enumerate() {
            let service_rows = rows(results, service);
            let (panel, below) =
                rest.split_vertically(Self::panel_height(service_rows.len()) as i32);
            rest = below;
            panel_title(area, service.title(), panel.get_base_pixel())?;
            let plot = panel.split_vertically(PANEL_HEAD as i32).1;
            let count = service_rows.len();
            let mut chart = ChartBuilder::on(&plot)
                .margin_left(label_width as u32)
                .margin_right(230)
                .x_label_area_size(AXIS - 4)
                .build_cartesian_2d(-reach..reach, 0.0..count as f64)
                .map_err(fail)?;
            row_panel_mesh(
                &mut chart,
                9,
                if index + 1 == services.len() {
                    "change in minutes of downtime per year (negative is better; shaded: too small to matter)"
                } else {
                    ""
                },
            )?;
            draw_material_band(
                &mut chart,
                results.study.materiality.downtime(service),
                count,
            )?;
            for (i, (_, row)) in service_rows.iter().enumerate() {
                let y = row_y(i, count);
                draw_change(
                    &mut chart,
                    row.delta_downtime_min_per_year,
                    row.ci95,
                    row.verdict,
                    y,
                )?;
                let (right, ry) = chart.backend_coord(&(reach, y));
                let label = change_label(
                    axis_label(&round2(row.delta_downtime_min_per_year)),
                    row.ci95
                        .map(|(low, high)| (axis_label(&round2(low)), axis_label(&round2(high)))),
                    row.verdict,
                    &format!("{} of {}", row.differing, row.replications),
                );
                area.draw(&Text::new(
                    label,
                    (right + 8, ry),
                    anchored(text(12, &INK), HPos::Left, VPos::Center),
                ))
                .map_err(fail)?;
            }
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let names: Vec<String> = service_rows
                .iter()
                .map(|(i, _)| layouts[*i].clone())
                .collect();
            row_labels(area, &names, (xs.clone(), ys.clone()), 13)?;
        }
        Ok(())
    }
}

/// Two decimals, so interval labels stay short.
fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

impl Chart<Results> for Comparison {
    fn file_stem(&self) -> &'static str {
        "comparison"
    }

    fn title(&self) -> &'static str {
        "Layout comparison against the baseline"
    }

    fn applies(&self, results: &Results) -> bool {
        // Two layouts or more: one layout's cells under several assumptions are not
        // compared with each other.
        !results.comparison.is_empty()
    }

    fn size(&self, results: &Results) -> (u32, u32) {
        let panels: u32 = results
            .services()
            .iter()
            .map(|&s| rows(results, s).len())
            .filter(|&n| n > 0)
            .map(Self::panel_height)
            .sum();
        (WIDTH, super::title_height(3) + panels + 10)
    }

    on_both_backends!(Results);
}
