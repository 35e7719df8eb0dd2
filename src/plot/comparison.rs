//! The layout comparison as a forest plot: for each service, every layout's paired
//! difference in downtime against the baseline, with its 95% interval. Green: less
//! downtime (the interval excludes zero); vermillion: more; grey: no significant
//! difference.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    BETTER, Chart, DrawResult, INK, MUTED, NEUTRAL, RowPanel, WORSE, anchored, axis_label, fail,
    on_both_backends, panel_title, row_labels, row_panel_mesh, row_y, shorten, text, text_width,
    titled,
};
use crate::model::services::Service;
use crate::results::Results;
use crate::stats::ComparisonRow;

/// The chart.
pub struct Comparison;

const ROW: u32 = 26;
const PANEL_HEAD: u32 = 28;
const AXIS: u32 = 34;
const WIDTH: u32 = 1000;

/// Whether a paired difference is significantly better (−1), worse (+1) or neither (0).
pub fn verdict(row: &ComparisonRow) -> i8 {
    interval_verdict(row.ci95)
}

/// −1 when a difference's 95% interval lies below 0, +1 when above, 0 otherwise.
pub fn interval_verdict(ci95: Option<(f64, f64)>) -> i8 {
    match ci95 {
        Some((_, high)) if high < 0.0 => -1,
        Some((low, _)) if low > 0.0 => 1,
        _ => 0,
    }
}

/// One paired change at height `y`: its 95% interval with end ticks and a mark at the
/// mean, coloured by [`interval_verdict`].
pub fn draw_change<DB: DrawingBackend>(
    chart: &mut RowPanel<'_, DB>,
    mean: f64,
    ci95: Option<(f64, f64)>,
    y: f64,
) -> DrawResult {
    let color = match interval_verdict(ci95) {
        -1 => BETTER,
        1 => WORSE,
        _ => NEUTRAL,
    };
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

/// An interval from `low` to `high` at height `y`, with end ticks.
pub fn whisker(low: f64, high: f64, y: f64, color: RGBColor) -> [PathElement<(f64, f64)>; 3] {
    [
        PathElement::new([(low, y), (high, y)], color.stroke_width(2)),
        PathElement::new([(low, y - 0.2), (low, y + 0.2)], color.stroke_width(2)),
        PathElement::new([(high, y - 0.2), (high, y + 0.2)], color.stroke_width(2)),
    ]
}

fn rows(results: &Results, service: Service) -> Vec<(usize, &ComparisonRow)> {
    results
        .layouts()
        .enumerate()
        .skip(1)
        .filter_map(|(i, layout)| Some((i, results.comparison_row(layout, service, "all")?)))
        .collect()
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
        let baseline = results.layouts().next().unwrap_or("");
        let body = titled(
            area,
            self.title(),
            &format!(
                "Paired difference in downtime against {baseline}, minutes per year, with its 95% interval. \
                 Green: less downtime; vermillion: more; grey: no significant difference."
            ),
        )?;
        let layouts: Vec<String> = results.layouts().map(|l| shorten(l, 30)).collect();
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
        let mut rest = body;
        for (index, &service) in services.iter().enumerate() {
            let service_rows = rows(results, service);
            let (panel, below) =
                rest.split_vertically(Self::panel_height(service_rows.len()) as i32);
            rest = below;
            panel_title(area, service.title(), panel.get_base_pixel())?;
            let reach = service_rows
                .iter()
                .flat_map(|(_, r)| {
                    let (low, high) = r
                        .ci95
                        .unwrap_or((r.delta_downtime_min_per_year, r.delta_downtime_min_per_year));
                    [low.abs(), high.abs(), r.delta_downtime_min_per_year.abs()]
                })
                .fold(0.0f64, f64::max);
            let reach = if reach > 0.0 { reach * 1.1 } else { 1.0 };
            let plot = panel.split_vertically(PANEL_HEAD as i32).1;
            let count = service_rows.len();
            let mut chart = ChartBuilder::on(&plot)
                .margin_left(label_width as u32)
                .margin_right(130)
                .x_label_area_size(AXIS - 4)
                .build_cartesian_2d(-reach..reach, 0.0..count as f64)
                .map_err(fail)?;
            row_panel_mesh(
                &mut chart,
                9,
                if index + 1 == services.len() {
                    "change in minutes of downtime per year (negative is better)"
                } else {
                    ""
                },
            )?;
            chart
                .draw_series([PathElement::new(
                    [(0.0, 0.0), (0.0, count as f64)],
                    MUTED.stroke_width(1),
                )])
                .map_err(fail)?;
            for (i, (_, row)) in service_rows.iter().enumerate() {
                let y = row_y(i, count);
                draw_change(&mut chart, row.delta_downtime_min_per_year, row.ci95, y)?;
                let (right, ry) = chart.backend_coord(&(reach, y));
                let interval = row.ci95.map_or(String::new(), |(low, high)| {
                    format!(
                        " [{}, {}]",
                        axis_label(&round2(low)),
                        axis_label(&round2(high))
                    )
                });
                area.draw(&Text::new(
                    format!(
                        "{}{interval}",
                        axis_label(&round2(row.delta_downtime_min_per_year))
                    ),
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
        results.study.layouts.len() > 1
    }

    fn size(&self, results: &Results) -> (u32, u32) {
        let panels: u32 = results
            .services()
            .iter()
            .map(|&s| rows(results, s).len())
            .filter(|&n| n > 0)
            .map(Self::panel_height)
            .sum();
        (WIDTH, 58 + panels + 10)
    }

    on_both_backends!(Results);
}
