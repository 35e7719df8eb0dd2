//! The `[objective]` score (docs/output.md, "Score"): each layout's weighted user-minutes
//! lost per year with its 95% interval, best first, then each layout's paired change
//! against the baseline, coloured like the comparison. The second panel is the one to
//! read: the layouts share every failure, so the change is far surer than either score.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::comparison::{change_label, draw_change, draw_material_band, whisker};
use super::{
    Chart, DrawResult, INK, RowPanel, anchored, fail, layout_color, on_both_backends, panel_title,
    row_labels, row_panel_mesh, row_y, signed_whole, text, text_width, titled, whole,
};
use crate::results::Results;
use crate::stats::interval::Interval;
use crate::stats::{ScoreDelta, ScoreRow, Verdict};

/// The chart.
pub struct Score;

const ROW: u32 = 28;
const PANEL_HEAD: u32 = 28;
const AXIS: u32 = 40;
const WIDTH: u32 = 1000;

/// The scores, best first (by rank, then in layout order).
fn ranked(results: &Results) -> Vec<(usize, &ScoreRow)> {
    let mut rows: Vec<(usize, &ScoreRow)> = results.scores.iter().enumerate().collect();
    rows.sort_by_key(|(index, row)| (row.rank, *index));
    rows
}

/// A panel of `rows` rows over `x`, with room for the names on the left and the figures
/// on the right.
fn rows_chart<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    label_width: i32,
    x: std::ops::Range<f64>,
    rows: usize,
) -> Result<RowPanel<'a, DB>, String> {
    ChartBuilder::on(plot)
        .margin_left(label_width as u32)
        .margin_right(200)
        .x_label_area_size(AXIS - 10)
        .build_cartesian_2d(x, 0.0..rows.max(1) as f64)
        .map_err(fail)
}

impl Score {
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
                "[objective]: weighted user-minutes lost per year over all services, with 95% intervals (or bounds); lower is better.\n\
                 Below: the paired change against {baseline}. Green: materially less; vermillion: materially more; pale: significant but\n\
                 inside the shaded band of changes too small to matter ([materiality]); grey: no significant difference; hollow: too few differ."
            ),
        )?;
        let rows = ranked(results);
        let names: Vec<String> = rows
            .iter()
            .map(|(_, r)| super::layout_label(&r.layout))
            .collect();
        let label_width = text_width(
            names.iter().map(|n| n.chars().count()).max().unwrap_or(4),
            13,
        ) as i32
            + 24;
        let (top, bottom) = body.split_vertically(Self::panel_height(rows.len()) as i32);
        panel_title(area, "Score", top.get_base_pixel())?;
        // A bound that rests on too few replications is written, not drawn: it would
        // flatten every bar.
        let reach = rows
            .iter()
            .map(|(_, r)| {
                r.ci95
                    .filter(|_| matches!(r.interval, Interval::TwoSided { .. }))
                    .map_or(r.score_user_min_per_year, |(_, high)| high)
                    .max(r.score_user_min_per_year)
            })
            .fold(0.0f64, f64::max);
        let reach = if reach > 0.0 { reach * 1.05 } else { 1.0 };
        let count = rows.len();
        let plot = top.split_vertically(PANEL_HEAD as i32).1;
        let mut chart = rows_chart(&plot, label_width, 0.0..reach, count)?;
        row_panel_mesh(&mut chart, 6, "weighted user-minutes lost per year")?;
        for (i, (index, row)) in rows.iter().enumerate() {
            let y = row_y(i, count);
            let color = layout_color(*index);
            chart
                .draw_series([Rectangle::new(
                    [(0.0, y - 0.3), (row.score_user_min_per_year, y + 0.3)],
                    color.mix(0.55).filled(),
                )])
                .map_err(fail)?;
            if let Some((low, high)) = row
                .ci95
                .filter(|_| matches!(row.interval, Interval::TwoSided { .. }))
            {
                chart
                    .draw_series(whisker(low, high, y, INK))
                    .map_err(fail)?;
            }
            let (right, ry) = chart.backend_coord(&(reach, y));
            let interval = match (row.interval, row.ci95) {
                (Interval::TwoSided { .. }, Some((low, high))) => {
                    format!(" [{}, {}]", whole(low), whole(high))
                }
                (_, Some((_, high))) => {
                    format!(" (at most {}: too few lost anything)", whole(high))
                }
                _ => String::new(),
            };
            area.draw(&Text::new(
                format!(
                    "{}. {}{interval}",
                    row.rank,
                    whole(row.score_user_min_per_year)
                ),
                (right + 8, ry),
                anchored(text(12, &INK), HPos::Left, VPos::Center),
            ))
            .map_err(fail)?;
        }
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        row_labels(area, &names, (xs, ys), 13)?;

        let changes: Vec<(&str, ScoreDelta)> = rows
            .iter()
            .filter_map(|(_, r)| Some((r.layout.as_str(), r.delta_vs_baseline?)))
            .collect();
        if changes.is_empty() {
            return Ok(());
        }
        panel_title(
            area,
            format!("Change against {baseline}"),
            bottom.get_base_pixel(),
        )?;
        let threshold = results
            .study
            .materiality
            .score_user_min_per_year
            .unwrap_or(0.0);
        let reach = changes
            .iter()
            .flat_map(|(_, delta)| {
                let mean = delta.user_min_per_year.abs();
                match (delta.verdict, delta.ci95) {
                    (Verdict::Unaffected, _) => vec![],
                    (Verdict::TooFewDiffer, _) | (_, None) => vec![mean],
                    (_, Some((low, high))) => vec![low.abs(), high.abs(), mean],
                }
            })
            .chain([threshold])
            .fold(0.0f64, f64::max);
        let reach = if reach > 0.0 { reach * 1.1 } else { 1.0 };
        let count = changes.len();
        let plot = bottom.split_vertically(PANEL_HEAD as i32).1;
        let mut chart = rows_chart(&plot, label_width, -reach..reach, count)?;
        row_panel_mesh(
            &mut chart,
            7,
            "change in weighted user-minutes per year (negative is better)",
        )?;
        draw_material_band(&mut chart, threshold, count)?;
        for (i, (_, delta)) in changes.iter().enumerate() {
            let (mean, ci) = (&delta.user_min_per_year, &delta.ci95);
            let y = row_y(i, count);
            draw_change(&mut chart, *mean, *ci, delta.verdict, y)?;
            let (right, ry) = chart.backend_coord(&(reach, y));
            let replications = results.scores.first().map_or(0, |r| r.replications);
            area.draw(&Text::new(
                change_label(
                    signed_whole(*mean),
                    ci.map(|(low, high)| (signed_whole(low), signed_whole(high))),
                    delta.verdict,
                    &format!("{} of {replications}", delta.differing),
                ),
                (right + 8, ry),
                anchored(text(12, &INK), HPos::Left, VPos::Center),
            ))
            .map_err(fail)?;
        }
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let change_names: Vec<String> = changes
            .iter()
            .map(|(l, _)| super::layout_label(l))
            .collect();
        row_labels(area, &change_names, (xs, ys), 13)?;
        Ok(())
    }
}

impl Chart<Results> for Score {
    fn file_stem(&self) -> &'static str {
        "score"
    }

    fn title(&self) -> &'static str {
        "Score of each layout"
    }

    fn applies(&self, results: &Results) -> bool {
        !results.scores.is_empty()
    }

    fn size(&self, results: &Results) -> (u32, u32) {
        let count = results.scores.len();
        let changes = results
            .scores
            .iter()
            .filter(|r| r.delta_vs_baseline.is_some())
            .count();
        let below = if changes > 0 {
            Self::panel_height(changes)
        } else {
            0
        };
        (
            WIDTH,
            super::title_height(3) + Self::panel_height(count) + below + 10,
        )
    }

    on_both_backends!(Results);
}
