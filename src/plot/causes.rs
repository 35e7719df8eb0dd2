//! Downtime by cause: for each service, one bar per layout, stacked by the cause each
//! unserved moment is put down to.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Chart, DrawResult, INK, anchored, cause_color, fail, minutes_label, on_both_backends,
    panel_title, row_labels, row_panel_mesh, row_y, text, text_width, titled,
};
use crate::results::Results;
use crate::vocabulary::Cause;
use crate::vocabulary::Service;

/// The chart.
pub struct Causes;

const ROW: u32 = 26;
const PANEL_HEAD: u32 = 28;
const AXIS: u32 = 34;
const WIDTH: u32 = 1000;
const LEGEND_ROW: u32 = 22;
const LEGEND_PER_ROW: usize = 4;

/// Causes that hold anywhere in the results, in precedence order.
fn present(results: &Results) -> Vec<Cause> {
    results
        .study
        .listed_causes()
        .into_iter()
        .filter(|cause| {
            results.causes.iter().any(|r| {
                r.scope == "all" && r.cause == cause.name() && r.downtime_min_per_year > 0.0
            })
        })
        .collect()
}

/// What a cause means, for the legend.
pub fn cause_title(cause: Cause) -> &'static str {
    match cause {
        Cause::FrontEndDown => "Front End pool down",
        Cause::AllPoolsDown => "every Edge pool down",
        Cause::Firewall => "firewall blocks the pools up",
        Cause::Capacity => "no room on the pools up",
        Cause::AwaitingAdmin => "awaiting the administrator",
        Cause::DnsCache => "DNS caches (old answer)",
        Cause::DnsDesign => "DNS design (answer cannot serve)",
        Cause::ClientFailover => "clients failing over",
        Cause::PoolFailoverPending => "FE pool failover pending",
        Cause::NextHopDown => "Edge pool cut off from its next hop",
    }
}

impl Causes {
    fn legend_height(causes: usize) -> u32 {
        LEGEND_ROW * causes.div_ceil(LEGEND_PER_ROW).max(1) as u32 + 8
    }

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
            "Minutes per year (mean over replications), each unserved moment put down to the first cause that holds.",
        )?;
        let causes = present(results);
        let (legend, mut rest) = body.split_vertically(Self::legend_height(causes.len()) as i32);
        let (x0, y0) = legend.get_base_pixel();
        let column = (legend.dim_in_pixel().0 as i32 - 32) / LEGEND_PER_ROW as i32;
        for (i, &cause) in causes.iter().enumerate() {
            let x = x0 + 16 + column * (i % LEGEND_PER_ROW) as i32;
            let y = y0 + 4 + (LEGEND_ROW * (i / LEGEND_PER_ROW) as u32 + LEGEND_ROW / 2) as i32;
            area.draw(&Rectangle::new(
                [(x, y - 6), (x + 14, y + 6)],
                cause_color(cause).filled(),
            ))
            .map_err(fail)?;
            area.draw(&Text::new(
                cause_title(cause),
                (x + 20, y),
                anchored(text(13, &INK), HPos::Left, VPos::Center),
            ))
            .map_err(fail)?;
        }
        let layouts: Vec<&str> = results.layouts().collect();
        let labels: Vec<String> = layouts.iter().map(|l| super::layout_label(l)).collect();
        let label_width = text_width(
            labels.iter().map(|l| l.chars().count()).max().unwrap_or(4),
            13,
        ) as i32
            + 24;
        let services = results.services();
        for (index, &service) in services.iter().enumerate() {
            let rows: Vec<(usize, Vec<(Cause, f64)>)> = layouts
                .iter()
                .enumerate()
                .filter(|(_, l)| results.summary_row(l, service, "all").is_some())
                .map(|(i, l)| (i, results.causes_of(l, service, "all")))
                .collect();
            let (panel, below) = rest.split_vertically(Self::panel_height(rows.len()) as i32);
            rest = below;
            panel_title(area, service.title(), panel.get_base_pixel())?;
            let most = rows
                .iter()
                .map(|(_, c)| c.iter().map(|x| x.1).sum::<f64>())
                .fold(0.0f64, f64::max);
            let high = if most > 0.0 { most * 1.05 } else { 1.0 };
            let plot = panel.split_vertically(PANEL_HEAD as i32).1;
            let count = rows.len();
            let mut chart = ChartBuilder::on(&plot)
                .margin_left(label_width as u32)
                .margin_right(90)
                .x_label_area_size(AXIS - 4)
                .build_cartesian_2d(0.0..high, 0.0..count as f64)
                .map_err(fail)?;
            row_panel_mesh(
                &mut chart,
                8,
                if index + 1 == services.len() {
                    "minutes per year"
                } else {
                    ""
                },
            )?;
            for (i, (_, by_cause)) in rows.iter().enumerate() {
                let y = row_y(i, count);
                let mut start = 0.0;
                for &(cause, minutes) in by_cause {
                    if minutes <= 0.0 {
                        continue;
                    }
                    chart
                        .draw_series([Rectangle::new(
                            [(start, y - 0.34), (start + minutes, y + 0.34)],
                            cause_color(cause).filled(),
                        )])
                        .map_err(fail)?;
                    start += minutes;
                }
                let (right, ry) = chart.backend_coord(&(high, y));
                area.draw(&Text::new(
                    minutes_label(start),
                    (right + 8, ry),
                    anchored(text(12, &INK), HPos::Left, VPos::Center),
                ))
                .map_err(fail)?;
            }
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let names: Vec<String> = rows.iter().map(|(i, _)| labels[*i].clone()).collect();
            row_labels(area, &names, (xs.clone(), ys.clone()), 13)?;
        }
        Ok(())
    }
}

impl Chart<Results> for Causes {
    fn file_stem(&self) -> &'static str {
        "causes"
    }

    fn title(&self) -> &'static str {
        "Downtime by cause"
    }

    fn size(&self, results: &Results) -> (u32, u32) {
        let layouts: Vec<&str> = results.layouts().collect();
        let panels: u32 = results
            .services()
            .iter()
            .map(|&s: &Service| {
                let rows = layouts
                    .iter()
                    .filter(|l| results.summary_row(l, s, "all").is_some())
                    .count();
                Self::panel_height(rows)
            })
            .sum();
        (
            WIDTH,
            58 + Self::legend_height(present(results).len()) + panels + 10,
        )
    }

    on_both_backends!(Results);
}
