//! The timeline of one traced replication: a lane per site, Front End pool, Edge pool and
//! Edge server with the intervals it was down, a lane with the administrator's changes,
//! and beneath, the served fraction of each service over time.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Chart, DrawResult, INK, PALETTE, WORSE, anchored, fail, on_both_backends, row_labels, row_y,
    shorten, text, text_width, titled,
};
use crate::trace::TracedReplication;
use crate::trace::timeline::{COLUMNS, ServedLines};
use crate::vocabulary::Service;

/// The chart.
pub struct Timeline;

const WIDTH: u32 = COLUMNS / 2;
const LANE: u32 = 18;
const SERVED: u32 = 280;
const LEGEND: u32 = 26;

impl Timeline {
    fn draw<DB: DrawingBackend>(
        &self,
        view: &TracedReplication<'_>,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let data = &view.trace.timeline;
        let horizon = data.horizon_days;
        let body = titled(
            area,
            self.title(),
            &format!(
                "Layout {}, replication {} (seed {}). Bars: down; diamonds: administrator's changes. \
                 Beneath: the share of each service's users or requests served.",
                shorten(&view.topology.layout_name, 40),
                view.replication,
                view.simulation.seed
            ),
        )?;
        let lanes = &data.lanes;
        let labels: Vec<String> = lanes.iter().map(|(_, label)| shorten(label, 30)).collect();
        let label_width = text_width(
            labels.iter().map(|l| l.chars().count()).max().unwrap_or(4),
            12,
        ) + 24;
        let lanes_height = LANE * lanes.len() as u32 + 30;
        let (top, bottom) = body.split_vertically(lanes_height as i32);
        let count = lanes.len();
        let mut chart = ChartBuilder::on(&top)
            .margin_left(label_width)
            .margin_right(24)
            .x_label_area_size(26)
            .build_cartesian_2d(0.0..horizon, 0.0..count as f64)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(12)
            .x_label_formatter(&|d| format!("day {d:.0}"))
            .x_label_style(text(11, &INK))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(0xEC, 0xEC, 0xEC))
            .draw()
            .map_err(fail)?;
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let pixels_per_day = (xs.end - xs.start) as f64 / horizon.max(1e-9);
        // At least two pixels wide, so that an outage of minutes in a year still shows.
        let min_days = 2.0 / pixels_per_day;
        for (i, (name, _)) in lanes.iter().enumerate() {
            let y = row_y(i, count);
            if name == crate::trace::timeline::ADMIN_LANE {
                let column_days = horizon / f64::from(COLUMNS);
                for day in data
                    .change_columns
                    .iter()
                    .map(|&c| f64::from(c) * column_days)
                {
                    let (px, py) = chart.backend_coord(&(day, y));
                    area.draw(&Polygon::new(
                        vec![(px, py - 6), (px + 5, py), (px, py + 6), (px - 5, py)],
                        PALETTE[0].filled(),
                    ))
                    .map_err(fail)?;
                }
                continue;
            }
            let color = if name.contains('#') {
                PALETTE[1]
            } else {
                WORSE
            };
            for (start, end) in data.down_intervals(i) {
                let end = end.max(start + min_days);
                chart
                    .draw_series([Rectangle::new(
                        [(start, y - 0.35), (end, y + 0.35)],
                        color.filled(),
                    )])
                    .map_err(fail)?;
            }
        }
        row_labels(area, &labels, (xs.clone(), ys.clone()), 12)?;
        // The served fraction of each service.
        let services: Vec<Service> = Service::ALL
            .into_iter()
            .filter(|s| data.served[*s as usize].is_some())
            .collect();
        let floor = if data.lowest_served > 0.9 { 0.9 } else { 0.0 };
        // A legend row of its own, so that it covers no data.
        let (legend, bottom) = bottom.split_vertically(LEGEND as i32);
        let (lx, ly) = legend.get_base_pixel();
        for (k, service) in services.iter().enumerate() {
            let x = lx + label_width as i32 + 172 * k as i32;
            let y = ly + LEGEND as i32 / 2 + 4;
            area.draw(&PathElement::new(
                [(x, y), (x + 20, y)],
                PALETTE[k % PALETTE.len()].stroke_width(3),
            ))
            .map_err(fail)?;
            area.draw(&Text::new(
                service.title(),
                (x + 26, y),
                anchored(text(12, &INK), HPos::Left, VPos::Center),
            ))
            .map_err(fail)?;
        }
        let mut served = ChartBuilder::on(&bottom)
            .margin_left(label_width - 56)
            .y_label_area_size(56)
            .margin_right(24)
            .margin_top(8)
            .x_label_area_size(34)
            .build_cartesian_2d(0.0..horizon, floor..1.0)
            .map_err(fail)?;
        served
            .configure_mesh()
            .x_labels(12)
            .x_label_formatter(&|d| format!("day {d:.0}"))
            .y_labels(6)
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .y_desc("served")
            .x_label_style(text(11, &INK))
            .y_label_style(text(11, &INK))
            .x_desc("simulated time")
            .axis_desc_style(text(12, &INK))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(0xEC, 0xEC, 0xEC))
            .draw()
            .map_err(fail)?;
        for (k, &service) in services.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let series = data.served[service.index()].as_deref().unwrap_or_default();
            let ServedLines { steps, extents } = data.served_lines(series, floor);
            served
                .draw_series(
                    extents
                        .into_iter()
                        .map(|segment| PathElement::new(segment, color.stroke_width(2))),
                )
                .map_err(fail)?;
            served
                .draw_series(LineSeries::new(steps, color.stroke_width(2)))
                .map_err(fail)?;
        }
        Ok(())
    }
}

impl Chart<TracedReplication<'_>> for Timeline {
    fn file_stem(&self) -> &'static str {
        "timeline"
    }

    fn title(&self) -> &'static str {
        "Timeline of one replication"
    }

    fn size(&self, view: &TracedReplication<'_>) -> (u32, u32) {
        let lanes = view.trace.timeline.lanes.len() as u32;
        (WIDTH, 58 + LANE * lanes + 30 + LEGEND + SERVED + 10)
    }

    on_both_backends!(TracedReplication<'_>);
}
