//! Downtime per Front End pool: for each per-user service, a heat map of FE pools (rows)
//! by layouts (columns), coloured by minutes of downtime per year on a log scale, so that
//! a site that suffers stands out.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Chart, DrawResult, INK, MUTED, anchored, fail, log_range, log_tick_label, minutes_label,
    on_both_backends, panel_title_style, shorten, text, text_width, titled,
};
use crate::results::Results;
use crate::vocabulary::Service;

/// The chart.
pub struct FrontEnds;

const CELL_WIDTH: i32 = 112;
const CELL_HEIGHT: i32 = 26;
/// Above a panel's columns: its title (this much) and the column labels' lines.
const PANEL_TITLE: i32 = 20;
/// One line of a column label.
const LABEL_LINE: i32 = 18;
/// A column label's lines at most this long (a cell is 112 px wide at 12 px text).
const LABEL_CHARACTERS: usize = 16;
const PANEL_GAP: i32 = 18;
const SCALE_HEIGHT: i32 = 58;

/// Viridis, from low to high: readable for every common colour vision.
const VIRIDIS: [(u8, u8, u8); 5] = [
    (0xFD, 0xE7, 0x25),
    (0x5E, 0xC9, 0x62),
    (0x21, 0x91, 0x8C),
    (0x3B, 0x52, 0x8B),
    (0x44, 0x01, 0x54),
];

/// The colour at `t` in 0..=1 along [`VIRIDIS`].
fn viridis(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let i = (t.floor() as usize).min(VIRIDIS.len() - 2);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A column's label in lines of at most [`LABEL_CHARACTERS`]: the layout's name (up to 30
/// characters, as every chart names layouts) broken at `-`, `_` or a space where it can,
/// then the assumption's, the same way.
fn column_lines(layout: &str) -> Vec<String> {
    let (name, assumption) = match layout.split_once(" · ") {
        Some((name, assumption)) => (name, Some(assumption)),
        None => (layout, None),
    };
    let mut lines = wrap(&shorten(name, 30));
    if let Some(assumption) = assumption {
        lines.extend(wrap(&shorten(assumption, 30)));
    }
    lines
}

/// `label` in lines of at most [`LABEL_CHARACTERS`], broken after the last `-`, `_` or
/// space that fits, else where the line is full.
fn wrap(label: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest: Vec<char> = label.chars().collect();
    while rest.len() > LABEL_CHARACTERS {
        let cut = (2..=LABEL_CHARACTERS)
            .rev()
            .find(|&i| matches!(rest[i - 1], '-' | '_' | ' '))
            .unwrap_or(LABEL_CHARACTERS);
        lines.push(
            rest[..cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
        rest = rest[cut..].to_vec();
    }
    lines.push(rest.iter().collect());
    lines
}

/// The height above a panel's cells: its title and the tallest column label.
fn panel_head(results: &Results) -> i32 {
    let lines = results
        .layouts()
        .map(|l| column_lines(l).len())
        .max()
        .unwrap_or(1) as i32;
    PANEL_TITLE + LABEL_LINE * lines
}

fn per_user_services(results: &Results) -> Vec<Service> {
    results
        .services()
        .into_iter()
        .filter(|s| s.per_user())
        .collect()
}

/// The FE pools, in the order the first layout that has them lists them.
fn front_ends(results: &Results) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for row in &results.summary {
        if row.scope != "all" && !names.contains(&row.scope) {
            names.push(row.scope.clone());
        }
    }
    names
}

impl FrontEnds {
    fn label_width(front_ends: &[String]) -> i32 {
        text_width(
            front_ends
                .iter()
                .map(|f| shorten(f, 28).chars().count())
                .max()
                .unwrap_or(4),
            13,
        ) as i32
            + 28
    }

    fn draw<DB: DrawingBackend>(
        &self,
        results: &Results,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let body = titled(
            area,
            self.title(),
            "Minutes of downtime per year for each FE pool's users (mean over replications); \
             darker is worse. Empty: the layout has no such FE pool.",
        )?;
        let front_ends = front_ends(results);
        let services = per_user_services(results);
        let layouts: Vec<&str> = results.layouts().collect();
        let head = panel_head(results);
        let values = results
            .summary
            .iter()
            .filter(|r| r.scope != "all")
            .map(|r| r.downtime_min_per_year);
        let (low, high) = log_range(values, &[]);
        let position = |minutes: f64| {
            if minutes <= 0.0 {
                0.0
            } else {
                ((minutes.max(low).ln() - low.ln()) / (high.ln() - low.ln())).clamp(0.0, 1.0)
            }
        };
        let (x0, y0) = body.get_base_pixel();
        let left = x0 + Self::label_width(&front_ends);
        // The colour scale.
        let bar_width = CELL_WIDTH * 4;
        for step in 0..bar_width {
            let t = step as f64 / (bar_width - 1) as f64;
            area.draw(&Rectangle::new(
                [(left + step, y0 + 8), (left + step + 1, y0 + 24)],
                viridis(t).filled(),
            ))
            .map_err(fail)?;
        }
        let mut decade = low;
        while decade <= high * 1.0001 {
            let x = left + (position(decade) * (bar_width - 1) as f64).round() as i32;
            area.draw(&PathElement::new(
                [(x, y0 + 24), (x, y0 + 29)],
                INK.stroke_width(1),
            ))
            .map_err(fail)?;
            area.draw(&Text::new(
                log_tick_label(&decade),
                (x, y0 + 31),
                anchored(text(11, &INK), HPos::Center, VPos::Top),
            ))
            .map_err(fail)?;
            decade *= 10.0;
        }
        area.draw(&Text::new(
            "minutes per year",
            (left + bar_width + 12, y0 + 16),
            anchored(text(12, &MUTED), HPos::Left, VPos::Center),
        ))
        .map_err(fail)?;
        let mut top = y0 + SCALE_HEIGHT;
        for &service in &services {
            area.draw(&Text::new(
                service.title(),
                (x0 + 16, top + 4),
                anchored(panel_title_style(), HPos::Left, VPos::Top),
            ))
            .map_err(fail)?;
            for (column, layout) in layouts.iter().enumerate() {
                // The layout's name (and a cell's assumption) in lines, the last just
                // above the cells.
                let x = left + column as i32 * CELL_WIDTH + CELL_WIDTH / 2;
                let lines = column_lines(layout);
                for (line, label) in lines.iter().enumerate() {
                    let lift = LABEL_LINE * (lines.len() - 1 - line) as i32;
                    area.draw(&Text::new(
                        label.clone(),
                        (x, top + head - 6 - lift),
                        anchored(text(12, &INK), HPos::Center, VPos::Bottom),
                    ))
                    .map_err(fail)?;
                }
            }
            for (row, front_end) in front_ends.iter().enumerate() {
                let y = top + head + row as i32 * CELL_HEIGHT;
                area.draw(&Text::new(
                    shorten(front_end, 28),
                    (left - 10, y + CELL_HEIGHT / 2),
                    anchored(text(13, &INK), HPos::Right, VPos::Center),
                ))
                .map_err(fail)?;
                for (column, layout) in layouts.iter().enumerate() {
                    let x = left + column as i32 * CELL_WIDTH;
                    let cell = [(x + 1, y + 1), (x + CELL_WIDTH - 1, y + CELL_HEIGHT - 1)];
                    let Some(row) = results.summary_row(layout, service, front_end) else {
                        area.draw(&Rectangle::new(cell, RGBColor(0xF2, 0xF2, 0xF2).filled()))
                            .map_err(fail)?;
                        continue;
                    };
                    let t = position(row.downtime_min_per_year);
                    area.draw(&Rectangle::new(cell, viridis(t).filled()))
                        .map_err(fail)?;
                    let ink = if t > 0.45 { WHITE } else { INK };
                    area.draw(&Text::new(
                        minutes_label(row.downtime_min_per_year),
                        (x + CELL_WIDTH / 2, y + CELL_HEIGHT / 2),
                        anchored(text(12, &ink), HPos::Center, VPos::Center),
                    ))
                    .map_err(fail)?;
                }
            }
            top += head + CELL_HEIGHT * front_ends.len() as i32 + PANEL_GAP;
        }
        Ok(())
    }
}

impl Chart<Results> for FrontEnds {
    fn file_stem(&self) -> &'static str {
        "front-end-pools"
    }

    fn title(&self) -> &'static str {
        "Downtime per Front End pool"
    }

    fn applies(&self, results: &Results) -> bool {
        !per_user_services(results).is_empty() && !front_ends(results).is_empty()
    }

    fn size(&self, results: &Results) -> (u32, u32) {
        let front_ends = front_ends(results);
        let layouts = results.layouts().count() as i32;
        let width = (Self::label_width(&front_ends) + layouts * CELL_WIDTH + 32).max(760);
        let panels = per_user_services(results).len() as i32
            * (panel_head(results) + CELL_HEIGHT * front_ends.len() as i32 + PANEL_GAP);
        (width as u32, (58 + SCALE_HEIGHT + panels + 10) as u32)
    }

    on_both_backends!(Results);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_labels_keep_names_of_thirty_characters_on_lines_that_fit_a_cell() {
        assert_eq!(
            column_lines("distinct-priorities · partners-never-retry"),
            vec!["distinct-", "priorities", "partners-never-", "retry"]
        );
        assert_eq!(column_lines("geo-dns"), vec!["geo-dns"]);
        assert_eq!(
            column_lines("unpaired-pools · slow-administrator"),
            vec!["unpaired-pools", "slow-", "administrator"]
        );
        // 30 characters kept whole, over two lines; longer ones shortened with "…".
        let long = "a-layout-name-of-thirty-chars!";
        assert_eq!(long.chars().count(), 30);
        assert_eq!(column_lines(long).concat(), long);
        for line in column_lines("a-very-long-layout-name-that-goes-on-and-on") {
            assert!(line.chars().count() <= LABEL_CHARACTERS, "{line}");
        }
    }
}
