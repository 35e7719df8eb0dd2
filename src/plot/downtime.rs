//! Downtime by service and layout: minutes per year with 95% intervals on a log scale,
//! where 99.9% (525.6 min) and 99.999% (5.3 min) are both readable, with reference lines
//! at 99.9%, 99.99% and 99.999%.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Chart, DrawResult, INK, MUTED, anchored, fail, layout_color, log_range, log_tick_label,
    minutes_label, on_both_backends, panel_title, row_labels, row_y, text, text_width, titled,
};
use crate::results::Results;
use crate::stats::MINUTES_PER_YEAR;
use crate::stats::interval::Interval;
use crate::vocabulary::Service;

/// The chart.
pub struct Downtime;

/// Availability targets drawn as reference lines, with their downtime per year.
pub const TARGETS: [(&str, f64); 3] = [
    ("99.9%", MINUTES_PER_YEAR * 1e-3),
    ("99.99%", MINUTES_PER_YEAR * 1e-4),
    ("99.999%", MINUTES_PER_YEAR * 1e-5),
];

const ROW: u32 = 24;
const PANEL_HEAD: u32 = 28;
const AXIS: u32 = 34;
const WIDTH: u32 = 1000;

/// One layout's downtime for one service: mean and interval, minutes per year.
struct Row {
    layout: usize,
    mean: f64,
    interval: Option<(f64, f64)>,
    /// Fewer than five replications had downtime: the interval is a one-sided bound.
    bounded: bool,
    /// Replications with downtime.
    with_downtime: u64,
}

fn rows(results: &Results, service: Service) -> Vec<Row> {
    results
        .layouts()
        .enumerate()
        .filter_map(|(layout, name)| {
            let row = results.summary_row(name, service, "all")?;
            Some(Row {
                layout,
                mean: row.downtime_min_per_year,
                interval: row.downtime_ci95,
                bounded: matches!(row.interval, Interval::Bounds { .. }),
                with_downtime: row.with_downtime,
            })
        })
        .collect()
}

impl Downtime {
    fn panel_height(layouts: usize) -> u32 {
        PANEL_HEAD + ROW * layouts as u32 + AXIS
    }

    fn draw<DB: DrawingBackend>(
        &self,
        results: &Results,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let body = titled(
            area,
            self.title(),
            "Minutes per year: mean over replications with its 95% interval (log scale). Vertical \
             dashes: 99.9%, 99.99%, 99.999% availability. Fewer than five replications with downtime: a dashed 95% upper bound.",
        )?;
        let layouts: Vec<String> = results.layouts().map(super::layout_label).collect();
        let services = results.services();
        let all: Vec<Row> = services.iter().flat_map(|&s| rows(results, s)).collect();
        let values = all.iter().flat_map(|r| {
            let (low, high) = r.interval.unwrap_or((r.mean, r.mean));
            [r.mean, low, high]
        });
        let (low, high) = log_range(values, &[TARGETS[0].1, TARGETS[2].1]);
        let label_width = text_width(
            layouts.iter().map(|l| l.chars().count()).max().unwrap_or(4),
            13,
        ) as i32
            + 24;
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
                .margin_right(150)
                .x_label_area_size(AXIS - 4)
                .build_cartesian_2d((low..high).log_scale(), 0.0..count as f64)
                .map_err(fail)?;
            let last = index + 1 == services.len();
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_labels(12)
                .x_label_formatter(&log_tick_label)
                .x_label_style(text(12, &INK))
                .x_desc(if last { "minutes per year" } else { "" })
                .axis_desc_style(text(13, &INK))
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
                .draw()
                .map_err(fail)?;
            for (name, minutes) in TARGETS {
                if minutes <= low || minutes >= high {
                    continue;
                }
                chart
                    .draw_series(DashedLineSeries::new(
                        [(minutes, 0.0), (minutes, count as f64)],
                        5,
                        4,
                        MUTED.stroke_width(1),
                    ))
                    .map_err(fail)?;
                let (x, y) = chart.backend_coord(&(minutes, count as f64));
                area.draw(&Text::new(
                    name.to_string(),
                    (x + 3, y - 2),
                    anchored(text(11, &MUTED), HPos::Left, VPos::Bottom),
                ))
                .map_err(fail)?;
            }
            for (i, row) in service_rows.iter().enumerate() {
                let y = row_y(i, count);
                let color = layout_color(row.layout);
                if let (true, Some((_, hi))) = (row.bounded, row.interval) {
                    // Only a bound: thin and dashed, so that it does not read as data.
                    chart
                        .draw_series(DashedLineSeries::new(
                            [(low, y), (hi.max(low), y)],
                            4,
                            4,
                            color.stroke_width(1),
                        ))
                        .map_err(fail)?;
                } else if let Some((lo, hi)) = row.interval {
                    let (lo, hi) = (lo.max(low), hi.max(low));
                    chart
                        .draw_series([
                            PathElement::new([(lo, y), (hi, y)], color.stroke_width(2)),
                            PathElement::new([(lo, y - 0.2), (lo, y + 0.2)], color.stroke_width(2)),
                            PathElement::new([(hi, y - 0.2), (hi, y + 0.2)], color.stroke_width(2)),
                        ])
                        .map_err(fail)?;
                }
                let at = row.mean.max(low);
                let marker = if row.mean > 0.0 {
                    Circle::new((at, y), 5, color.filled())
                } else {
                    Circle::new((at, y), 5, color.stroke_width(2))
                };
                chart.draw_series([marker]).map_err(fail)?;
                let (right, py) = chart.backend_coord(&(high, y));
                let value = match (row.bounded, row.with_downtime) {
                    (true, 0) => "0 (none seen)".to_string(),
                    (true, k) => format!("{} ({k} with downtime)", minutes_label(row.mean)),
                    _ => minutes_label(row.mean),
                };
                area.draw(&Text::new(
                    value,
                    (right + 8, py),
                    anchored(text(12, &INK), HPos::Left, VPos::Center),
                ))
                .map_err(fail)?;
            }
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let labels: Vec<String> = service_rows
                .iter()
                .map(|r| layouts[r.layout].clone())
                .collect();
            row_labels(area, &labels, (xs.clone(), ys.clone()), 13)?;
        }
        Ok(())
    }
}

impl Chart<Results> for Downtime {
    fn file_stem(&self) -> &'static str {
        "downtime"
    }

    fn title(&self) -> &'static str {
        "Downtime by service and layout"
    }

    fn size(&self, results: &Results) -> (u32, u32) {
        let panels: u32 = results
            .services()
            .iter()
            .map(|&s| Self::panel_height(rows(results, s).len()))
            .sum();
        (WIDTH, 58 + panels + 10)
    }

    on_both_backends!(Results);
}
