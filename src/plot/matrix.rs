//! The robust choice's matrix (docs/output.md, "Assumptions"): for the score and each
//! service, every layout (rows) under every assumption (columns), each cell with its loss
//! and 95% interval and its regret (the loss beyond the best layout under that
//! assumption, paired); shaded by regret, the best under each assumption outlined, and
//! the layouts the two robust rules choose marked at the right.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Chart, DrawResult, INK, MUTED, anchored, fail, on_both_backends, panel_title_style, shorten,
    text, text_width, titled,
};
use crate::format::{compact, compact_interval};
use crate::results::{Results, first_seen};
use crate::stats::robust::{ChoiceRow, MatrixCell, Rule};

/// The chart.
pub struct Matrix;

const CELL_WIDTH: i32 = 250;
const CELL_HEIGHT: i32 = 46;
const PANEL_HEAD: i32 = 54;
const PANEL_GAP: i32 = 20;
const CHOICE_WIDTH: i32 = 300;
const LABEL_CHARACTERS: usize = 30;

/// Regret 0 (the best under an assumption) and the largest regret of a panel.
const NO_REGRET: (f64, f64, f64) = (0xEA as f64, 0xF6 as f64, 0xEF as f64);
const MOST_REGRET: (f64, f64, f64) = (0xF2 as f64, 0x9E as f64, 0x7C as f64);

/// The shade of a cell whose regret is `t` of its panel's largest.
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(
        mix(NO_REGRET.0, MOST_REGRET.0),
        mix(NO_REGRET.1, MOST_REGRET.1),
        mix(NO_REGRET.2, MOST_REGRET.2),
    )
}

/// A metric's title: the service's, or the score's with its unit.
fn metric_title(metric: &str) -> &'static str {
    super::sweep::service_title(metric)
}

impl Matrix {
    fn label_width(results: &Results) -> i32 {
        let longest = results
            .robust
            .matrix
            .iter()
            .map(|c| shorten(&c.layout, LABEL_CHARACTERS).chars().count())
            .max()
            .unwrap_or(6);
        text_width(longest, 13) as i32 + 28
    }

    fn draw<DB: DrawingBackend>(
        &self,
        results: &Results,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let body = titled(
            area,
            self.title(),
            "Each layout under each assumption: loss per year with its 95% interval (minutes; the score in weighted user-minutes),\n\
             and its regret, the loss beyond the best layout under the same assumption (paired). Outlined: the best under that assumption;\n\
             shaded by regret. At the right: the layouts chosen for the best worst case and the least maximum regret.",
        )?;
        let (x0, mut top) = body.get_base_pixel();
        let left = x0 + Self::label_width(results);
        for metric in results.robust.metrics() {
            let cells: Vec<&MatrixCell> = results
                .robust
                .matrix
                .iter()
                .filter(|c| c.metric == metric)
                .collect();
            let choices: Vec<&ChoiceRow> = results
                .robust
                .choices
                .iter()
                .filter(|c| c.metric == metric)
                .collect();
            self.panel(area, metric, &cells, &choices, (x0, left, top))?;
            let layouts = first_seen(cells.iter().map(|c| c.layout.as_str())).len() as i32;
            top += PANEL_HEAD + CELL_HEIGHT * layouts + PANEL_GAP;
        }
        Ok(())
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        metric: &str,
        cells: &[&MatrixCell],
        choices: &[&ChoiceRow],
        (x0, left, top): (i32, i32, i32),
    ) -> DrawResult {
        let layouts = first_seen(cells.iter().map(|c| c.layout.as_str()));
        let assumptions = first_seen(cells.iter().map(|c| c.assumption.as_str()));
        let most_regret = cells.iter().map(|c| c.regret).fold(0.0f64, f64::max);
        area.draw(&Text::new(
            metric_title(metric),
            (x0 + 16, top + 4),
            anchored(panel_title_style(), HPos::Left, VPos::Top),
        ))
        .map_err(fail)?;
        for (column, assumption) in assumptions.iter().enumerate() {
            area.draw(&Text::new(
                format!("under {}", shorten(assumption, LABEL_CHARACTERS)),
                (
                    left + column as i32 * CELL_WIDTH + CELL_WIDTH / 2,
                    top + PANEL_HEAD - 6,
                ),
                anchored(text(12, &INK), HPos::Center, VPos::Bottom),
            ))
            .map_err(fail)?;
        }
        let right = left + assumptions.len() as i32 * CELL_WIDTH;
        area.draw(&Text::new(
            "chosen",
            (right + 14, top + PANEL_HEAD - 6),
            anchored(text(12, &MUTED), HPos::Left, VPos::Bottom),
        ))
        .map_err(fail)?;
        for (row, layout) in layouts.iter().enumerate() {
            let y = top + PANEL_HEAD + row as i32 * CELL_HEIGHT;
            area.draw(&Text::new(
                shorten(layout, LABEL_CHARACTERS),
                (left - 10, y + CELL_HEIGHT / 2),
                anchored(text(13, &INK), HPos::Right, VPos::Center),
            ))
            .map_err(fail)?;
            for (column, assumption) in assumptions.iter().enumerate() {
                let x = left + column as i32 * CELL_WIDTH;
                let frame = [(x + 1, y + 1), (x + CELL_WIDTH - 1, y + CELL_HEIGHT - 1)];
                let Some(cell) = cells
                    .iter()
                    .find(|c| c.layout == *layout && c.assumption == *assumption)
                else {
                    continue;
                };
                let t = if most_regret > 0.0 {
                    cell.regret / most_regret
                } else {
                    0.0
                };
                area.draw(&Rectangle::new(frame, shade(t).filled()))
                    .map_err(fail)?;
                if cell.best_layout == *layout {
                    area.draw(&Rectangle::new(
                        [(x + 2, y + 2), (x + CELL_WIDTH - 2, y + CELL_HEIGHT - 2)],
                        INK.stroke_width(2),
                    ))
                    .map_err(fail)?;
                }
                let value = match cell.ci95 {
                    Some(ends) => format!("{} {}", compact(cell.value), compact_interval(ends)),
                    None => compact(cell.value),
                };
                let regret = if cell.best_layout == *layout {
                    "best under this assumption".to_string()
                } else if cell.regret_interval == crate::stats::interval::Interval::Unaffected {
                    "regret 0: reads what the best reads".to_string()
                } else {
                    match cell.regret_ci95 {
                        Some(ends) => {
                            format!(
                                "regret +{} {}",
                                compact(cell.regret),
                                compact_interval(ends)
                            )
                        }
                        None => format!("regret +{}", compact(cell.regret)),
                    }
                };
                area.draw(&Text::new(
                    value,
                    (x + CELL_WIDTH / 2, y + 14),
                    anchored(text(13, &INK), HPos::Center, VPos::Center),
                ))
                .map_err(fail)?;
                area.draw(&Text::new(
                    regret,
                    (x + CELL_WIDTH / 2, y + 32),
                    anchored(text(11, &MUTED), HPos::Center, VPos::Center),
                ))
                .map_err(fail)?;
            }
            let chosen_by: Vec<&str> = choices
                .iter()
                .filter(|c| c.layout == *layout || c.tied.iter().any(|t| t == layout))
                .map(|c| match c.rule {
                    Rule::BestWorstCase => "best worst case",
                    Rule::LeastRegret => "least max regret",
                })
                .collect();
            if !chosen_by.is_empty() {
                area.draw(&Text::new(
                    chosen_by.join(", "),
                    (right + 14, y + CELL_HEIGHT / 2),
                    anchored(text(12, &INK), HPos::Left, VPos::Center),
                ))
                .map_err(fail)?;
            }
        }
        Ok(())
    }
}

impl Chart<Results> for Matrix {
    fn file_stem(&self) -> &'static str {
        "matrix"
    }

    fn title(&self) -> &'static str {
        "Layouts under each assumption"
    }

    fn applies(&self, results: &Results) -> bool {
        !results.robust.matrix.is_empty()
    }

    fn size(&self, results: &Results) -> (u32, u32) {
        let assumptions = first_seen(results.robust.matrix.iter().map(|c| c.assumption.as_str()));
        let layouts =
            first_seen(results.robust.matrix.iter().map(|c| c.layout.as_str())).len() as i32;
        let width =
            Self::label_width(results) + assumptions.len() as i32 * CELL_WIDTH + CHOICE_WIDTH;
        let panels = results.robust.metrics().len() as i32
            * (PANEL_HEAD + CELL_HEIGHT * layouts + PANEL_GAP);
        (
            width.max(900) as u32,
            (super::title_height(3) as i32 + panels + 10) as u32,
        )
    }

    on_both_backends!(Results);
}
