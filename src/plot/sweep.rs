//! The charts of a sweep (`edgesim sweep`): downtime against each varied value, one line
//! per layout with its 95% interval as two thin lines (its edges) and the base point as a dashed line; and,
//! with two or more keys, a tornado chart of what each key's lowest and highest value
//! change against the base, keys sorted by effect.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Chart, DrawResult, INK, MUTED, anchored, axis_label, fail, layout_color, on_both_backends,
    panel_title, row_labels, row_panel_mesh, row_y, shorten, text, text_width, titled,
};
use crate::stats::SCORE_SERVICE;
use crate::sweep::{SweepResults, SweepRow};
use crate::vocabulary::Service;

const PANEL_HEAD: u32 = 28;
const CELL_WIDTH: u32 = 430;
const CELL_HEIGHT: u32 = 250;
const LEGEND: u32 = 30;

/// A service's title from its name in `sweep.csv`; the score's names its unit, which is
/// not the services' minutes.
pub fn service_title(name: &str) -> &'static str {
    if name == SCORE_SERVICE {
        return "Score (weighted user-minutes lost per year)";
    }
    Service::ALL
        .iter()
        .find(|s| s.name() == name)
        .map_or("service", |s| s.title())
}

/// The unit of a row of `sweep.csv`: the services' downtime is in minutes, the score's in
/// weighted user-minutes.
pub fn unit_of(service: &str) -> &'static str {
    if service == SCORE_SERVICE {
        "weighted user-minutes"
    } else {
        "minutes"
    }
}

/// The interval drawn as a band: a two-sided interval only, not the bound of a point
/// where fewer than five replications had downtime (a share of a whole year, which would
/// flatten every line).
fn band_of(row: &SweepRow) -> Option<(f64, f64)> {
    row.ci95.filter(|_| row.interval == "two_sided")
}

/// Downtime against each varied value: a row of panels per service, a panel per key.
pub struct SweepLines;

impl SweepLines {
    fn draw<DB: DrawingBackend>(
        &self,
        outcome: &SweepResults,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let body = titled(
            area,
            self.title(),
            "Downtime per year of all users at each value (minutes; the score in weighted user-minutes), \
             95% interval as two thin lines. Dashed: the base point. One key varied at a time.",
        )?;
        let layouts = outcome.layouts();
        let (legend, grid) = body.split_vertically(LEGEND as i32);
        let mut x = 16;
        for (index, layout) in layouts.iter().enumerate() {
            let color = layout_color(index);
            legend
                .draw(&Rectangle::new([(x, 10), (x + 18, 14)], color.filled()))
                .map_err(fail)?;
            let label = shorten(layout, 30);
            legend
                .draw(&Text::new(
                    label.clone(),
                    (x + 24, 12),
                    anchored(text(13, &INK), HPos::Left, VPos::Center),
                ))
                .map_err(fail)?;
            x += 24 + text_width(label.chars().count(), 13) as i32 + 24;
        }
        let keys = outcome.keys();
        let services = outcome.services();
        let rows = grid.split_evenly((services.len(), keys.len()));
        for (cell, (service, key)) in rows.iter().zip(
            services
                .iter()
                .flat_map(|s| keys.iter().map(move |k| (*s, *k))),
        ) {
            panel_title(
                area,
                format!("{} — {}", service_title(service), shorten(key, 40)),
                cell.get_base_pixel(),
            )?;
            self.panel(
                outcome,
                &layouts,
                service,
                key,
                &cell.split_vertically(PANEL_HEAD as i32).1,
            )?;
        }
        Ok(())
    }

    fn panel<DB: DrawingBackend>(
        &self,
        outcome: &SweepResults,
        layouts: &[&str],
        service: &str,
        key: &str,
        plot: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let points = outcome.points_of(key);
        let reach = layouts
            .iter()
            .flat_map(|layout| {
                points
                    .iter()
                    .map(|(label, _)| *label)
                    .chain(["base"])
                    .filter_map(move |label| outcome.overall(label, layout, service))
            })
            .flat_map(|r| {
                let (_, high) =
                    band_of(r).unwrap_or((r.downtime_min_per_year, r.downtime_min_per_year));
                [r.downtime_min_per_year, high]
            })
            .fold(0.0f64, f64::max);
        let top = if reach > 0.0 { reach * 1.15 } else { 1.0 };
        let count = points.len();
        let x_range = -0.5..(count as f64 - 0.5);
        let mut chart = ChartBuilder::on(plot)
            .margin_left(12)
            .margin_right(18)
            .margin_bottom(6)
            .x_label_area_size(34)
            .y_label_area_size(58)
            .build_cartesian_2d(x_range, 0.0..top)
            .map_err(fail)?;
        let labels: Vec<String> = points.iter().map(|(_, v)| shorten(v, 14)).collect();
        let label_of = |x: &f64| {
            let index = x.round();
            if (x - index).abs() < 1e-6 && index >= 0.0 && (index as usize) < labels.len() {
                labels[index as usize].clone()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(count.max(1) * 2 + 1)
            .x_label_formatter(&label_of)
            .y_labels(6)
            .y_label_formatter(&axis_label)
            .x_label_style(text(12, &INK))
            .y_label_style(text(12, &INK))
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(0xE4, 0xE4, 0xE4))
            .draw()
            .map_err(fail)?;
        for (index, layout) in layouts.iter().enumerate() {
            let color = layout_color(index);
            let rows: Vec<(f64, &SweepRow)> = points
                .iter()
                .enumerate()
                .filter_map(|(i, (label, _))| {
                    outcome
                        .overall(label, layout, service)
                        .map(|r| (i as f64, r))
                })
                .collect();
            if let Some(base) = outcome.overall("base", layout, service) {
                chart
                    .draw_series(DashedLineSeries::new(
                        [
                            (-0.5, base.downtime_min_per_year),
                            (count as f64 - 0.5, base.downtime_min_per_year),
                        ],
                        6,
                        4,
                        color.mix(0.7).stroke_width(1),
                    ))
                    .map_err(fail)?;
            }
            // The interval's two edges as thin lines of the layout's colour, not a filled
            // band: overlapping bands of two layouts would blend into a colour that is in
            // no legend.
            let edges: Vec<(f64, f64, f64)> = rows
                .iter()
                .filter_map(|(x, r)| band_of(r).map(|(low, high)| (*x, low.max(0.0), high)))
                .collect();
            if edges.len() >= 2 {
                for edge in [
                    edges
                        .iter()
                        .map(|&(x, low, _)| (x, low))
                        .collect::<Vec<_>>(),
                    edges
                        .iter()
                        .map(|&(x, _, high)| (x, high))
                        .collect::<Vec<_>>(),
                ] {
                    chart
                        .draw_series(LineSeries::new(edge, color.mix(0.55).stroke_width(1)))
                        .map_err(fail)?;
                }
            }
            chart
                .draw_series(LineSeries::new(
                    rows.iter().map(|(x, r)| (*x, r.downtime_min_per_year)),
                    color.stroke_width(2),
                ))
                .map_err(fail)?;
            chart
                .draw_series(
                    rows.iter().map(|(x, r)| {
                        Circle::new((*x, r.downtime_min_per_year), 3, color.filled())
                    }),
                )
                .map_err(fail)?;
        }
        Ok(())
    }
}

impl Chart<SweepResults> for SweepLines {
    fn file_stem(&self) -> &'static str {
        "sweep"
    }

    fn title(&self) -> &'static str {
        "Downtime at each value of the keys swept"
    }

    fn size(&self, outcome: &SweepResults) -> (u32, u32) {
        let (keys, services) = (outcome.keys().len().max(1), outcome.services().len().max(1));
        (
            (CELL_WIDTH * keys as u32).max(700),
            58 + LEGEND + (CELL_HEIGHT + PANEL_HEAD) * services as u32 + 10,
        )
    }

    on_both_backends!(SweepResults);
}

/// What each key's lowest and highest value change against the base, for the first
/// layout, keys sorted by effect: a panel per service.
pub struct Tornado;

/// One bar: a key, its first and last value with their paired differences.
struct Bar<'a> {
    key: &'a str,
    low: (&'a str, f64),
    high: (&'a str, f64),
}

const ROW: u32 = 30;
const AXIS: u32 = 34;
/// The colours of a key's first and last value (Okabe–Ito blue and orange).
const FIRST_VALUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const LAST_VALUE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);

fn bars<'a>(outcome: &'a SweepResults, service: &str) -> Vec<Bar<'a>> {
    let Some(layout) = outcome.layouts().first().copied() else {
        return Vec::new();
    };
    let mut bars: Vec<Bar<'a>> = outcome
        .keys()
        .into_iter()
        .filter_map(|key| {
            let points = outcome.points_of(key);
            let (first, last) = (points.first()?, points.last()?);
            let delta = |label: &str| {
                outcome
                    .overall(label, layout, service)
                    .map(|r| r.delta_min_per_year)
            };
            Some(Bar {
                key,
                low: (first.1, delta(first.0)?),
                high: (last.1, delta(last.0)?),
            })
        })
        .collect();
    bars.sort_by(|a, b| {
        let effect = |bar: &Bar| (bar.high.1 - bar.low.1).abs();
        effect(b).total_cmp(&effect(a))
    });
    bars
}

impl Tornado {
    fn panel_height(rows: usize) -> u32 {
        PANEL_HEAD + ROW * rows.max(1) as u32 + AXIS
    }

    fn draw<DB: DrawingBackend>(
        &self,
        outcome: &SweepResults,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let layout = outcome.layouts().first().copied().unwrap_or("");
        let body = titled(
            area,
            self.title(),
            &format!(
                "Layout {layout}, all users: change in minutes of downtime per year (the score in weighted \
                 user-minutes) against the base at each key's first (blue) and last (orange) value; keys sorted by effect."
            ),
        )?;
        let keys: Vec<String> = outcome.keys().iter().map(|k| shorten(k, 40)).collect();
        let label_width = text_width(
            keys.iter().map(|k| k.chars().count()).max().unwrap_or(4),
            13,
        ) as i32
            + 24;
        let services = outcome.services();
        let mut rest = body;
        for (index, service) in services.iter().enumerate() {
            let service_bars = bars(outcome, service);
            let (panel, below) =
                rest.split_vertically(Self::panel_height(service_bars.len()) as i32);
            rest = below;
            panel_title(area, service_title(service), panel.get_base_pixel())?;
            let reach = service_bars
                .iter()
                .flat_map(|b| [b.low.1.abs(), b.high.1.abs()])
                .fold(0.0f64, f64::max);
            let reach = if reach > 0.0 { reach * 1.25 } else { 1.0 };
            let plot = panel.split_vertically(PANEL_HEAD as i32).1;
            let count = service_bars.len();
            let mut chart = ChartBuilder::on(&plot)
                .margin_left(label_width as u32)
                .margin_right(40)
                .x_label_area_size(AXIS - 4)
                .build_cartesian_2d(-reach..reach, 0.0..count.max(1) as f64)
                .map_err(fail)?;
            row_panel_mesh(
                &mut chart,
                9,
                if index + 1 == services.len() {
                    "change in minutes of downtime per year against the base"
                } else {
                    ""
                },
            )?;
            chart
                .draw_series([PathElement::new(
                    [(0.0, 0.0), (0.0, count.max(1) as f64)],
                    MUTED.stroke_width(1),
                )])
                .map_err(fail)?;
            for (i, bar) in service_bars.iter().enumerate() {
                let y = row_y(i, count);
                if bar.low.1 == 0.0 && bar.high.1 == 0.0 {
                    let (px, py) = chart.backend_coord(&(0.0, y));
                    area.draw(&Text::new(
                        "unchanged at every value",
                        (px + 6, py),
                        anchored(text(11, &MUTED), HPos::Left, VPos::Center),
                    ))
                    .map_err(fail)?;
                    continue;
                }
                for ((value, delta), (_, other), color) in [
                    (bar.low, bar.high, FIRST_VALUE),
                    (bar.high, bar.low, LAST_VALUE),
                ] {
                    chart
                        .draw_series([Rectangle::new(
                            [(0.0, y - 0.3), (delta, y + 0.3)],
                            color.mix(0.85).filled(),
                        )])
                        .map_err(fail)?;
                    let (px, py) = chart.backend_coord(&(delta, y));
                    // A value that changes nothing is labelled on the side away from the
                    // other value's bar.
                    let leftwards = delta < 0.0 || (delta == 0.0 && other > 0.0);
                    let (horizontal, offset) = if leftwards {
                        (HPos::Right, -4)
                    } else {
                        (HPos::Left, 4)
                    };
                    area.draw(&Text::new(
                        shorten(value, 12),
                        (px + offset, py),
                        anchored(text(11, &INK), horizontal, VPos::Center),
                    ))
                    .map_err(fail)?;
                }
            }
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let names: Vec<String> = service_bars.iter().map(|b| shorten(b.key, 40)).collect();
            row_labels(area, &names, (xs.clone(), ys.clone()), 13)?;
        }
        Ok(())
    }
}

impl Chart<SweepResults> for Tornado {
    fn file_stem(&self) -> &'static str {
        "tornado"
    }

    fn title(&self) -> &'static str {
        "Which key matters most"
    }

    fn applies(&self, outcome: &SweepResults) -> bool {
        outcome.keys().len() >= 2
    }

    fn size(&self, outcome: &SweepResults) -> (u32, u32) {
        let panels: u32 = outcome
            .services()
            .iter()
            .map(|s| Self::panel_height(bars(outcome, s).len()))
            .sum();
        (1000, 58 + panels + 10)
    }

    on_both_backends!(SweepResults);
}

/// Every chart of a sweep, in report order.
pub fn sweep_charts() -> Vec<Box<dyn Chart<SweepResults>>> {
    vec![Box::new(SweepLines), Box::new(Tornado)]
}
