//! The distribution of yearly downtime across replications: for each service, the
//! empirical cumulative distribution of each layout, with the 50th, 95th and 99th
//! percentiles marked.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Chart, DrawResult, INK, anchored, fail, layout_color, log_range, log_tick_label,
    on_both_backends, panel_title_style, text, titled,
};
use crate::results::Results;
use crate::stats::{MINUTES_PER_YEAR, UNAVAILABILITY_SCALE};
use crate::vocabulary::Service;

/// The chart.
pub struct Distribution;

const PANEL_WIDTH: u32 = 500;
const PANEL_HEIGHT: u32 = 300;
const LEGEND_ROW: u32 = 22;

/// The percentiles marked, with their marker.
const PERCENTILES: [(f64, &str); 3] = [(0.50, "p50"), (0.95, "p95"), (0.99, "p99")];

/// One layout's cumulative distribution for one service: (minutes per year, share of
/// replications at or below), from the smallest bucket up, and the share with none.
struct Curve {
    layout: usize,
    none: f64,
    steps: Vec<(f64, f64)>,
    percentiles: Vec<f64>,
}

fn curves(results: &Results, service: Service) -> Vec<Curve> {
    let to_minutes = |units: u64| units as f64 / UNAVAILABILITY_SCALE * MINUTES_PER_YEAR;
    results
        .study
        .layouts
        .iter()
        .enumerate()
        .filter_map(|(layout, accumulator)| {
            let scope = accumulator
                .services
                .iter()
                .find(|s| s.service == service)?
                .scopes
                .first()?;
            let histogram = &scope.downtime;
            let total = histogram.total().max(1) as f64;
            let mut seen = 0u64;
            let mut none = 0.0;
            let mut steps = Vec::new();
            for (bucket, count) in histogram.buckets() {
                seen += count;
                if bucket == 0 {
                    none = seen as f64 / total;
                } else {
                    steps.push((to_minutes(bucket), seen as f64 / total));
                }
            }
            let percentiles = PERCENTILES
                .iter()
                .map(|&(p, _)| to_minutes(histogram.quantile(p).unwrap_or(0)))
                .collect();
            Some(Curve {
                layout,
                none,
                steps,
                percentiles,
            })
        })
        .collect()
}

impl Distribution {
    fn columns(services: usize) -> u32 {
        if services > 1 { 2 } else { 1 }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        results: &Results,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let body = titled(
            area,
            self.title(),
            "Share of replications whose yearly downtime is at most x minutes (log scale). \
             Circles: p50, triangles: p95, squares: p99. Replications with no downtime start each curve.",
        )?;
        let services = results.services();
        let layouts: Vec<&str> = results.layouts().collect();
        let (legend, panels) =
            body.split_vertically(LEGEND_ROW as i32 * legend_rows(&layouts) as i32 + 8);
        draw_legend(area, &legend, &layouts)?;
        let columns = Self::columns(services.len()) as usize;
        let rows = services.len().div_ceil(columns);
        let cells = panels.split_evenly((rows, columns));
        for (cell, &service) in cells.iter().zip(&services) {
            let curves = curves(results, service);
            let values = curves.iter().flat_map(|c| {
                c.steps
                    .iter()
                    .map(|s| s.0)
                    .chain(c.percentiles.iter().copied())
            });
            let (low, high) = log_range(values, &[]);
            let mut chart = ChartBuilder::on(cell)
                .caption(service.title(), panel_title_style())
                .margin(10)
                .margin_right(24)
                .x_label_area_size(42)
                .y_label_area_size(48)
                .build_cartesian_2d((low..high).log_scale(), 0.0..1.0)
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_labels(12)
                .x_label_formatter(&log_tick_label)
                .y_labels(6)
                .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
                .x_label_style(text(12, &INK))
                .y_label_style(text(12, &INK))
                .x_desc("minutes per year")
                .y_desc("replications")
                .axis_desc_style(text(13, &INK))
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
                .draw()
                .map_err(fail)?;
            // The baseline last, on top: layouts identical to it then show its colour.
            for curve in curves.iter().rev() {
                let color = layout_color(curve.layout);
                let mut points = vec![(low, 0.0), (low, curve.none)];
                let mut level = curve.none;
                for &(x, share) in &curve.steps {
                    points.push((x, level));
                    points.push((x, share));
                    level = share;
                }
                points.push((high, level));
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))
                    .map_err(fail)?;
                for (&minutes, &(p, _)) in curve.percentiles.iter().zip(&PERCENTILES) {
                    let x = minutes.max(low);
                    let style = color.filled();
                    let (px, py) = chart.backend_coord(&(x, p));
                    match p {
                        p if p < 0.9 => area.draw(&Circle::new((px, py), 5, style)),
                        p if p < 0.98 => area.draw(&TriangleMarker::new((px, py), 6, style)),
                        _ => {
                            area.draw(&Rectangle::new([(px - 4, py - 4), (px + 4, py + 4)], style))
                        }
                    }
                    .map_err(fail)?;
                }
            }
        }
        Ok(())
    }
}

/// Layouts per legend row.
const LEGEND_PER_ROW: usize = 4;

fn legend_rows(layouts: &[&str]) -> usize {
    layouts.len().div_ceil(LEGEND_PER_ROW).max(1)
}

/// A legend of layout colours above the panels, so that it covers no data.
pub fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    layouts: &[&str],
) -> DrawResult {
    let (x0, y0) = area.get_base_pixel();
    let width = area.dim_in_pixel().0 as i32 - 32;
    let column = width / LEGEND_PER_ROW as i32;
    for (i, layout) in layouts.iter().enumerate() {
        let x = x0 + 16 + column * (i % LEGEND_PER_ROW) as i32;
        let y = y0 + 4 + LEGEND_ROW as i32 * (i / LEGEND_PER_ROW) as i32 + LEGEND_ROW as i32 / 2;
        let color = layout_color(i);
        root.draw(&PathElement::new(
            [(x, y), (x + 22, y)],
            color.stroke_width(3),
        ))
        .map_err(fail)?;
        root.draw(&Text::new(
            super::layout_label(layout),
            (x + 28, y),
            anchored(text(13, &INK), HPos::Left, VPos::Center),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

impl Chart<Results> for Distribution {
    fn file_stem(&self) -> &'static str {
        "downtime-distribution"
    }

    fn title(&self) -> &'static str {
        "Distribution of yearly downtime across replications"
    }

    fn size(&self, results: &Results) -> (u32, u32) {
        let services = results.services().len();
        let columns = Self::columns(services);
        let rows = (services as u32).div_ceil(columns);
        let legend = LEGEND_ROW * legend_rows(&results.layouts().collect::<Vec<_>>()) as u32 + 8;
        (
            PANEL_WIDTH * columns,
            58 + legend + PANEL_HEIGHT * rows + 10,
        )
    }

    on_both_backends!(Results);
}
