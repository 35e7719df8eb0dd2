//! `edgesim explore`'s cost–score chart (docs/output.md, "Explore"): every candidate at
//! its yearly cost and its score by the search's criterion, with its 95% interval;
//! survivors in colour, eliminated candidates in grey, the Pareto front (no candidate is
//! both cheaper and better) joined by a line, and the recommended candidate ringed.
//! Without `[costs]` candidates stand in generation order.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Chart, DrawResult, INK, MUTED, PALETTE, anchored, fail, on_both_backends, text, titled,
};
use crate::explore::Status;
use crate::results::Results;

/// The chart.
pub struct Explore;

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 620;

impl Explore {
    fn draw<DB: DrawingBackend>(
        &self,
        results: &Results,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let Some(report) = results.explore.as_deref() else {
            return Ok(());
        };
        let search = &report.search;
        let has_costs = report.costs.iter().any(Option::is_some);
        let x_of = |i: usize| {
            if has_costs {
                report.costs[i].unwrap_or(0.0)
            } else {
                (i + 1) as f64
            }
        };
        let unit = report.unit.as_deref().unwrap_or("");
        let body = titled(
            area,
            self.title(),
            &format!(
                "Each candidate's score by the search's criterion ({}) on the ringed, recommended candidate's footing: its score plus the\n\
                 candidate's paired difference from it, with that difference's 95% bounds; {}.\n\
                 Coloured: still in the running at the end; grey: eliminated (after fewer replications, so wider bounds).\n\
                 The line joins the Pareto front: no candidate as cheap is better.",
                search.criterion.name(),
                if has_costs {
                    format!("against its yearly cost in {unit}")
                } else {
                    "in generation order (the scenario has no [costs])".to_string()
                }
            ),
        )?;
        let count = search.outcomes.len();
        let (x_low, x_high) = (0..count)
            .map(x_of)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
                (l.min(x), h.max(x))
            });
        let pad = ((x_high - x_low) * 0.06).max(if has_costs {
            x_high.abs() * 0.05 + 1.0
        } else {
            1.0
        });
        let points: Vec<(f64, Option<(f64, f64)>)> =
            (0..count).map(|i| report.on_footing(i)).collect();
        let survivors_reach = (0..count)
            .filter(|&i| search.outcomes[i].status == Status::Survived)
            .filter_map(|i| points[i].1.map(|(_, high)| high))
            .fold(0.0f64, f64::max);
        let reach = points.iter().map(|p| p.0).fold(survivors_reach, f64::max);
        let reach = if reach > 0.0 { reach * 1.1 } else { 1.0 };
        // A scatter, not bars: the axis starts near the lowest bound, where the candidates
        // differ.
        let floor = points
            .iter()
            .map(|p| p.1.map_or(p.0, |(low, _)| low.min(p.0)))
            .fold(f64::INFINITY, f64::min)
            .max(0.0);
        let floor = if floor.is_finite() && floor < reach {
            floor * 0.9
        } else {
            0.0
        };
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .margin_right(40)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d((x_low - pad)..(x_high + pad), floor..reach)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc(if has_costs {
                format!("yearly cost ({unit})")
            } else {
                "candidate (generation order)".to_string()
            })
            .y_desc("weighted user-minutes lost per year")
            .x_label_formatter(&|x| crate::format::compact(*x))
            .y_label_formatter(&|y| crate::format::compact(*y))
            .label_style(text(12, &INK))
            .axis_desc_style(text(13, &INK))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(fail)?;
        let colour = PALETTE[4];
        let grey = MUTED.mix(0.45);
        // Eliminated first, so the survivors are drawn on top.
        let mut order: Vec<usize> = (0..count).collect();
        order.sort_by_key(|&i| search.outcomes[i].status == Status::Survived);
        for &i in &order {
            let outcome = &search.outcomes[i];
            let survived = outcome.status == Status::Survived;
            let (x, y) = (x_of(i), points[i].0);
            if let Some((low, high)) = points[i].1 {
                let style = if survived {
                    colour.stroke_width(2)
                } else {
                    grey.stroke_width(1)
                };
                chart
                    .draw_series([PathElement::new(
                        vec![(x, low), (x, high.min(reach))],
                        style,
                    )])
                    .map_err(fail)?;
            }
            let point = if survived {
                Circle::new((x, y), 5, colour.filled())
            } else {
                Circle::new((x, y), 4, grey.filled())
            };
            chart.draw_series([point]).map_err(fail)?;
        }
        let on_front = report.front();
        let mut front: Vec<usize> = (0..count).filter(|&i| on_front[i]).collect();
        front.sort_by(|&a, &b| x_of(a).total_cmp(&x_of(b)));
        if front.len() > 1 {
            chart
                .draw_series([PathElement::new(
                    front
                        .iter()
                        .map(|&i| (x_of(i), points[i].0))
                        .collect::<Vec<_>>(),
                    INK.stroke_width(1),
                )])
                .map_err(fail)?;
        }
        let recommended = search.recommended();
        for &i in &front {
            let outcome = &search.outcomes[i];
            let (px, py) = chart.backend_coord(&(x_of(i), points[i].0));
            area.draw(&Text::new(
                outcome.candidate.name.clone(),
                (px + 8, py - 8),
                anchored(text(11, &INK), HPos::Left, VPos::Bottom),
            ))
            .map_err(fail)?;
        }
        if let Some(best) = recommended {
            let outcome = &search.outcomes[best];
            let (x, y) = (x_of(best), points[best].0);
            chart
                .draw_series([Circle::new((x, y), 10, INK.stroke_width(2))])
                .map_err(fail)?;
            let (px, py) = chart.backend_coord(&(x, y));
            area.draw(&Text::new(
                format!("recommended: {}", outcome.candidate.name),
                (px + 14, py + 6),
                anchored(text(12, &INK), HPos::Left, VPos::Top),
            ))
            .map_err(fail)?;
        }
        Ok(())
    }
}

impl Chart<Results> for Explore {
    fn file_stem(&self) -> &'static str {
        "explore"
    }

    fn title(&self) -> &'static str {
        "Cost and score of every candidate"
    }

    fn applies(&self, results: &Results) -> bool {
        results.explore.is_some()
    }

    fn size(&self, _results: &Results) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    on_both_backends!(Results);
}
