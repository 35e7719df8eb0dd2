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
use std::collections::HashMap;

use crate::model::TraceRecord;
use crate::model::services::{SERVICE_COUNT, Service};
use crate::time::{MICROS_PER_DAY, SimDuration};
use crate::topology::{Simulation, Topology};

/// One traced replication.
pub struct TraceView<'a> {
    /// The layout.
    pub topology: &'a Topology,
    /// The simulation settings.
    pub simulation: &'a Simulation,
    /// The replication.
    pub replication: u64,
    /// What the chart draws, gathered while the replication ran.
    pub timeline: &'a TimelineData,
}

/// The chart.
pub struct Timeline;

const WIDTH: u32 = 1200;
const LANE: u32 = 18;
const SERVED: u32 = 280;
const LEGEND: u32 = 26;
const ADMIN_LANE: &str = "administrator";

/// The columns the horizon is cut into: two per pixel of the chart's plotting width, so
/// that what the chart keeps per column is all it could show, and its memory does not
/// grow with the number of events.
const COLUMNS: u32 = 2 * WIDTH;

/// What the served line did within one column: its first, lowest, highest and last
/// value there.
#[derive(Clone, Copy, Debug)]
struct ColumnRange {
    column: u32,
    lowest: f64,
    highest: f64,
    last: f64,
}

/// What the timeline of one replication needs, gathered event by event with memory
/// bounded by the number of lanes and [`COLUMNS`], not by the number of events.
pub struct TimelineData {
    horizon_days: f64,
    lanes: Vec<(String, String)>,
    lane_of: HashMap<String, usize>,
    /// Per lane, when it went down, if it is down now.
    down_since: Vec<Option<f64>>,
    /// Per lane, the intervals (days) it was down; intervals closer than a column apart
    /// are merged, since the chart could not tell them apart.
    down: Vec<Vec<(f64, f64)>>,
    /// The columns in which the administrator changed something.
    change_columns: Vec<u32>,
    /// Per service in [`Service::ALL`] order: `None` when the layout does not have it.
    served: [Option<Vec<ColumnRange>>; SERVICE_COUNT],
    lowest_served: f64,
    started: bool,
    is_down: Vec<bool>,
}

impl TimelineData {
    /// An empty timeline for `topology` over `horizon`.
    pub fn new(topology: &Topology, horizon: SimDuration) -> Self {
        let lanes = lanes(topology);
        let lane_of = lanes
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.clone(), i))
            .collect();
        let count = lanes.len();
        Self {
            horizon_days: days(horizon).max(1e-9),
            lanes,
            lane_of,
            down_since: vec![None; count],
            down: vec![Vec::new(); count],
            change_columns: Vec::new(),
            served: std::array::from_fn(|_| None),
            lowest_served: 1.0,
            started: false,
            is_down: vec![false; count],
        }
    }

    fn column(&self, day: f64) -> u32 {
        ((day / self.horizon_days * f64::from(COLUMNS)) as u32).min(COLUMNS)
    }

    /// Takes in the next processed event.
    pub fn add(&mut self, record: &TraceRecord) {
        let day = days(record.time);
        let column = self.column(day);
        let resolution = self.horizon_days / f64::from(COLUMNS);
        if !self.started {
            self.started = true;
            for service in Service::ALL {
                if record.served[service as usize].is_some() {
                    self.served[service as usize] = Some(Vec::new());
                }
            }
        }
        self.is_down.fill(false);
        for name in &record.down {
            if let Some(&lane) = self.lane_of.get(name) {
                self.is_down[lane] = true;
            }
        }
        for lane in 0..self.lanes.len() {
            match (self.down_since[lane], self.is_down[lane]) {
                (None, true) => {
                    let intervals = &mut self.down[lane];
                    let start = match intervals.last() {
                        Some(&(start, end)) if day - end < resolution => {
                            intervals.pop();
                            start
                        }
                        _ => day,
                    };
                    self.down_since[lane] = Some(start);
                }
                (Some(start), false) => {
                    self.down[lane].push((start, day));
                    self.down_since[lane] = None;
                }
                _ => {}
            }
        }
        if is_change(record) && self.change_columns.last() != Some(&column) {
            self.change_columns.push(column);
        }
        for (series, value) in self.served.iter_mut().zip(record.served) {
            let (Some(series), Some(value)) = (series.as_mut(), value) else {
                continue;
            };
            self.lowest_served = self.lowest_served.min(value);
            match series.last_mut() {
                Some(range) if range.column == column => {
                    range.lowest = range.lowest.min(value);
                    range.highest = range.highest.max(value);
                    range.last = value;
                }
                _ => series.push(ColumnRange {
                    column,
                    lowest: value,
                    highest: value,
                    last: value,
                }),
            }
        }
    }

    /// The down intervals of lane `lane`, those still open closed at the horizon.
    fn down_intervals(&self, lane: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
        let open = self.down_since[lane].map(|start| (start, self.horizon_days));
        self.down[lane].iter().copied().chain(open)
    }

    /// The step line of one service's served fraction through each column's last value,
    /// and the columns' full extents as separate segments (a wide line that doubles back on
    /// itself at one x does not draw), all at least `floor`.
    fn served_lines(&self, series: &[ColumnRange], floor: f64) -> ServedLines {
        let width = self.horizon_days / f64::from(COLUMNS);
        let mut steps = Vec::with_capacity(series.len() * 2 + 1);
        let mut extents = Vec::new();
        let mut level: f64 = 1.0;
        for range in series {
            let day = f64::from(range.column) * width;
            let last = range.last.max(floor);
            steps.push((day, level));
            steps.push((day, last));
            let lowest = range.lowest.max(floor);
            let highest = range.highest.max(floor);
            if lowest < level.min(last) || highest > level.max(last) {
                extents.push([(day, lowest), (day, highest)]);
            }
            level = last;
        }
        steps.push((self.horizon_days, level));
        ServedLines { steps, extents }
    }
}

/// A service's served fraction as chart points (days, fraction).
struct ServedLines {
    /// The step line through each column's last value.
    steps: Vec<(f64, f64)>,
    /// Vertical segments spanning each column's lowest and highest value.
    extents: Vec<[(f64, f64); 2]>,
}

/// The lanes, top to bottom: per site, the site, its FE pools, its Edge pools and their
/// servers; then the administrator.
fn lanes(topology: &Topology) -> Vec<(String, String)> {
    let mut lanes = Vec::new();
    for (site_index, site) in topology.sites.iter().enumerate() {
        lanes.push((site.id.clone(), format!("site {}", site.id)));
        for pool in topology
            .front_end_pools
            .iter()
            .filter(|p| p.site.index() == site_index)
        {
            lanes.push((pool.id.clone(), pool.id.clone()));
        }
        for pool in topology
            .edge_pools
            .iter()
            .filter(|p| p.site.index() == site_index)
        {
            lanes.push((pool.id.clone(), pool.id.clone()));
            for server in 1..=pool.servers {
                let name = format!("{}#{server}", pool.id);
                lanes.push((name, format!("    server {server}")));
            }
        }
    }
    lanes.push((ADMIN_LANE.to_string(), ADMIN_LANE.to_string()));
    lanes
}

fn days(time: SimDuration) -> f64 {
    time.as_micros() as f64 / MICROS_PER_DAY as f64
}

/// Whether a record is an administrator's change (not a response with nothing to do).
fn is_change(record: &TraceRecord) -> bool {
    record.event == "admin"
        && (record.detail.contains('→')
            || record.detail.contains("associated with")
            || record.detail.contains("returns"))
}

impl Timeline {
    fn draw<DB: DrawingBackend>(
        &self,
        view: &TraceView<'_>,
        area: &DrawingArea<DB, Shift>,
    ) -> DrawResult {
        let data = view.timeline;
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
            if name == ADMIN_LANE {
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
            let series = data.served[service as usize].as_deref().unwrap_or_default();
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

impl Chart<TraceView<'_>> for Timeline {
    fn file_stem(&self) -> &'static str {
        "timeline"
    }

    fn title(&self) -> &'static str {
        "Timeline of one replication"
    }

    fn size(&self, view: &TraceView<'_>) -> (u32, u32) {
        let lanes = view.timeline.lanes.len() as u32;
        (WIDTH, 58 + LANE * lanes + 30 + LEGEND + SERVED + 10)
    }

    on_both_backends!(TraceView<'_>);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MICROS_PER_HOUR;

    fn topology() -> Topology {
        crate::scenario::load_str("t.toml", include_str!("../../tests/valid-base.toml"))
            .unwrap()
            .scenario
            .layouts
            .remove(0)
    }

    fn record(hours: f64, down: &[&str], served: f64, event: &'static str) -> TraceRecord {
        let mut fractions = [None; SERVICE_COUNT];
        fractions[Service::RemoteAccess as usize] = Some(served);
        TraceRecord {
            time: SimDuration::from_micros((hours * MICROS_PER_HOUR as f64) as u64),
            event,
            target: String::new(),
            detail: if event == "admin" {
                "edge-east → edge-west".to_string()
            } else {
                String::new()
            },
            served: fractions,
            down: down.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn down_intervals_are_kept_and_closed_at_the_horizon() {
        let topology = topology();
        // 100 days: a column is 1 hour.
        let mut data = TimelineData::new(&topology, SimDuration::from_micros(100 * MICROS_PER_DAY));
        let lane = data.lane_of["edge-east#1"];
        data.add(&record(0.0, &[], 1.0, "start"));
        data.add(&record(24.0, &["edge-east#1"], 0.5, "failure"));
        data.add(&record(36.0, &[], 1.0, "repair"));
        // Down again 30 minutes later: closer than a column, so one interval.
        data.add(&record(36.5, &["edge-east#1"], 0.5, "failure"));
        data.add(&record(48.0, &[], 1.0, "repair"));
        // Down again a day later, and still down at the horizon.
        data.add(&record(72.0, &["edge-east#1"], 0.5, "failure"));
        let intervals: Vec<(f64, f64)> = data.down_intervals(lane).collect();
        assert_eq!(intervals, vec![(1.0, 2.0), (3.0, 100.0)]);
        assert_eq!(data.down_intervals(data.lane_of["edge-west#1"]).count(), 0);
        assert_eq!(data.lowest_served, 0.5);
        assert!(data.served[Service::RemoteAccess as usize].is_some());
        assert!(data.served[Service::FederationInbound as usize].is_none());
    }

    #[test]
    fn memory_is_bounded_by_the_columns_not_the_events() {
        let topology = topology();
        let horizon_hours = 24.0 * 365.0;
        let mut data = TimelineData::new(
            &topology,
            SimDuration::from_micros((horizon_hours * MICROS_PER_HOUR as f64) as u64),
        );
        // 200,000 events, every other one taking a server down, each with its own
        // served fraction and an administrator's change: far more than the columns.
        let events = 200_000;
        for k in 0..events {
            let hours = horizon_hours * k as f64 / events as f64;
            let down: &[&str] = if k % 2 == 0 { &["edge-west#2"] } else { &[] };
            let event = if k % 3 == 0 { "admin" } else { "failure" };
            data.add(&record(hours, down, 1.0 - (k % 7) as f64 / 10.0, event));
        }
        let columns = COLUMNS as usize + 1;
        assert!(data.down.iter().all(|d| d.len() <= columns));
        assert!(data.change_columns.len() <= columns);
        let series = data.served[Service::RemoteAccess as usize]
            .as_ref()
            .unwrap();
        assert!(series.len() <= columns);
        // Each column still knows its lowest and highest: 0.4 and 1.0 here.
        assert!(series.iter().all(|r| r.lowest == 0.4 && r.highest == 1.0));
        let ServedLines { steps, extents } = data.served_lines(series, 0.0);
        assert!(steps.len() <= 2 * columns + 1);
        assert!(!extents.is_empty());
    }
}
