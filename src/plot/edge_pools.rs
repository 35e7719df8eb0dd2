//! Edge pool capacity against peak load: for each layout, each Edge pool's full capacity
//! and the median, 95th percentile and largest of its per-replication peak load of remote
//! users, with the time it refused users for lack of room.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Chart, DrawResult, INK, PALETTE, anchored, fail, minutes_label, on_both_backends, panel_title,
    row_labels, row_panel_mesh, row_y, shorten, text, text_width, thousands, titled,
};
use crate::results::Results;
use crate::stats::PoolRow;

/// The chart.
pub struct EdgePools;

/// What a pool's row says at its right: how long it was full, or its capacity. A pool
/// full although no peak reaches its bar was full only while servers were down (its
/// capacity cut), and says so.
fn capacity_note(pool: &PoolRow) -> String {
    if pool.overload_min_per_year > 0.0 && pool.peak_load_max < pool.capacity {
        format!(
            "full {} min/yr, with servers down",
            minutes_label(pool.overload_min_per_year)
        )
    } else if pool.overload_min_per_year > 0.0 {
        format!("full {} min/yr", minutes_label(pool.overload_min_per_year))
    } else {
        format!("capacity {}", thousands(pool.capacity))
    }
}

const ROW: u32 = 26;
const PANEL_HEAD: u32 = 28;
const AXIS: u32 = 34;
const LEGEND: u32 = 30;
const WIDTH: u32 = 1000;

const CAPACITY: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);
const P50: RGBColor = PALETTE[0];
const P95: RGBColor = PALETTE[1];
const MAX: RGBColor = PALETTE[3];

fn pools<'r>(results: &'r Results, layout: &str) -> Vec<&'r PoolRow> {
    results
        .pools
        .iter()
        .filter(|p| p.layout == layout)
        .collect()
}

impl EdgePools {
    fn panel_height(pools: usize) -> u32 {
        PANEL_HEAD + ROW * pools.max(1) as u32 + AXIS
    }

    fn draw<DB: DrawingBackend>(
        &self,
        results: &Results,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let body = titled(
            area,
            self.title(),
            "Remote users each Edge pool can hold with every server up, and the peak it held in a \
             replication: median, 95th percentile and largest, over replications.",
        )?;
        let (legend, mut rest) = body.split_vertically(LEGEND as i32);
        let (lx, ly) = legend.get_base_pixel();
        let y = ly + LEGEND as i32 / 2;
        let mut x = lx + 16;
        area.draw(&Rectangle::new(
            [(x, y - 7), (x + 22, y + 7)],
            CAPACITY.filled(),
        ))
        .map_err(fail)?;
        area.draw(&Text::new(
            "capacity",
            (x + 28, y),
            anchored(text(13, &INK), HPos::Left, VPos::Center),
        ))
        .map_err(fail)?;
        x += 130;
        for (label, color, shape) in [
            ("median peak", P50, 0),
            ("95th percentile peak", P95, 1),
            ("largest peak", MAX, 2),
        ] {
            draw_marker(area, (x + 8, y), color, shape)?;
            area.draw(&Text::new(
                label,
                (x + 22, y),
                anchored(text(13, &INK), HPos::Left, VPos::Center),
            ))
            .map_err(fail)?;
            x += 200;
        }
        let layouts: Vec<&str> = results.layouts().collect();
        let all_pools: Vec<String> = results
            .pools
            .iter()
            .map(|p| shorten(&p.edge_pool, 30))
            .collect();
        let label_width = text_width(
            all_pools
                .iter()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(4),
            13,
        ) as i32
            + 24;
        let most = results
            .pools
            .iter()
            .map(|p| p.capacity.max(p.peak_load_max))
            .max()
            .unwrap_or(1)
            .max(1) as f64
            * 1.05;
        for (index, layout) in layouts.iter().enumerate() {
            let rows = pools(results, layout);
            let (panel, below) = rest.split_vertically(Self::panel_height(rows.len()) as i32);
            rest = below;
            panel_title(
                area,
                format!("Layout {}", shorten(layout, 60)),
                panel.get_base_pixel(),
            )?;
            let plot = panel.split_vertically(PANEL_HEAD as i32).1;
            let count = rows.len().max(1);
            let mut chart = ChartBuilder::on(&plot)
                .margin_left(label_width as u32)
                .margin_right(170)
                .x_label_area_size(AXIS - 4)
                .build_cartesian_2d(0.0..most, 0.0..count as f64)
                .map_err(fail)?;
            row_panel_mesh(
                &mut chart,
                8,
                if index + 1 == layouts.len() {
                    "remote users"
                } else {
                    ""
                },
            )?;
            for (i, pool) in rows.iter().enumerate() {
                let y = row_y(i, count);
                chart
                    .draw_series([Rectangle::new(
                        [(0.0, y - 0.32), (pool.capacity as f64, y + 0.32)],
                        CAPACITY.filled(),
                    )])
                    .map_err(fail)?;
                // Largest first, so that equal values still show all three shapes.
                for (value, color, shape) in [
                    (pool.peak_load_max, MAX, 2),
                    (pool.peak_load_p95, P95, 1),
                    (pool.peak_load_p50, P50, 0),
                ] {
                    let point = chart.backend_coord(&(value as f64, y));
                    draw_marker(area, point, color, shape)?;
                }
                let (right, ry) = chart.backend_coord(&(most, y));
                let note = capacity_note(pool);
                area.draw(&Text::new(
                    note,
                    (right + 8, ry),
                    anchored(text(12, &INK), HPos::Left, VPos::Center),
                ))
                .map_err(fail)?;
            }
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let names: Vec<String> = rows.iter().map(|p| shorten(&p.edge_pool, 30)).collect();
            row_labels(area, &names, (xs.clone(), ys.clone()), 13)?;
        }
        Ok(())
    }
}

/// A marker: circle, triangle or diamond.
fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    color: RGBColor,
    shape: u8,
) -> DrawResult {
    let style = color.filled();
    match shape {
        0 => area.draw(&Circle::new((x, y), 4, style)),
        1 => area.draw(&TriangleMarker::new((x, y), 6, style)),
        _ => area.draw(&Polygon::new(
            vec![(x, y - 9), (x + 8, y), (x, y + 9), (x - 8, y)],
            style,
        )),
    }
    .map_err(fail)
}

impl Chart<Results> for EdgePools {
    fn file_stem(&self) -> &'static str {
        "edge-pools"
    }

    fn title(&self) -> &'static str {
        "Edge pool capacity against peak load"
    }

    fn size(&self, results: &Results) -> (u32, u32) {
        let panels: u32 = results
            .layouts()
            .map(|l| Self::panel_height(pools(results, l).len()))
            .sum();
        (WIDTH, 58 + LEGEND + panels + 10)
    }

    on_both_backends!(Results);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(peak_load_max: u64, overload_min_per_year: f64) -> PoolRow {
        PoolRow {
            layout: "l".to_string(),
            assumption: None,
            edge_pool: "edge-a".to_string(),
            capacity: 24_000,
            peak_load_p50: 9_000,
            peak_load_p95: 11_000,
            peak_load_max,
            overload_min_per_year,
        }
    }

    #[test]
    fn the_note_says_capacity_and_when_a_pool_filled_only_with_servers_down() {
        assert_eq!(capacity_note(&pool(12_000, 0.0)), "capacity 24,000");
        // Its peak never reached 24,000: it was full while a server was down.
        assert_eq!(
            capacity_note(&pool(12_000, 73.5)),
            "full 73.5 min/yr, with servers down"
        );
        assert_eq!(capacity_note(&pool(24_000, 73.5)), "full 73.5 min/yr");
    }
}
