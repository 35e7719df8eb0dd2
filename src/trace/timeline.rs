//! What the timeline chart of one traced replication needs, gathered event by event
//! while the replication runs (the chart itself is [`crate::plot::timeline`]).

use std::collections::HashMap;

use crate::model::TraceRecord;
use crate::time::{MICROS_PER_DAY, SimDuration};
use crate::topology::Topology;
use crate::vocabulary::{SERVICE_COUNT, Service};

/// The administrator's lane.
pub(crate) const ADMIN_LANE: &str = "administrator";

/// The columns the horizon is cut into: two per pixel of the timeline chart's width
/// (1,200 pixels), so
/// that what the chart keeps per column is all it could show, and its memory does not
/// grow with the number of events.
pub const COLUMNS: u32 = 2 * 1200;

/// What the served line did within one column: its first, lowest, highest and last
/// value there.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnRange {
    column: u32,
    lowest: f64,
    highest: f64,
    last: f64,
}

/// What the timeline of one replication needs, gathered event by event with memory
/// bounded by the number of lanes and [`COLUMNS`], not by the number of events.
pub struct TimelineData {
    pub(crate) horizon_days: f64,
    pub(crate) lanes: Vec<(String, String)>,
    pub(crate) lane_of: HashMap<String, usize>,
    /// Per lane, when it went down, if it is down now.
    down_since: Vec<Option<f64>>,
    /// Per lane, the intervals (days) it was down; intervals closer than a column apart
    /// are merged, since the chart could not tell them apart.
    pub(crate) down: Vec<Vec<(f64, f64)>>,
    /// The columns in which the administrator changed something.
    pub(crate) change_columns: Vec<u32>,
    /// Per service in [`Service::ALL`] order: `None` when the layout does not have it.
    pub(crate) served: [Option<Vec<ColumnRange>>; SERVICE_COUNT],
    pub(crate) lowest_served: f64,
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
                if record.served[service.index()].is_some() {
                    self.served[service.index()] = Some(Vec::new());
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
    pub(crate) fn down_intervals(&self, lane: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
        let open = self.down_since[lane].map(|start| (start, self.horizon_days));
        self.down[lane].iter().copied().chain(open)
    }

    /// The step line of one service's served fraction through each column's last value,
    /// and the columns' full extents as separate segments (a wide line that doubles back on
    /// itself at one x does not draw), all at least `floor`.
    pub(crate) fn served_lines(&self, series: &[ColumnRange], floor: f64) -> ServedLines {
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
pub(crate) struct ServedLines {
    /// The step line through each column's last value.
    pub(crate) steps: Vec<(f64, f64)>,
    /// Vertical segments spanning each column's lowest and highest value.
    pub(crate) extents: Vec<[(f64, f64); 2]>,
}

/// The lanes, top to bottom: per site, the site, its FE pools, its Edge pools and their
/// servers; then the administrator.
pub(crate) fn lanes(topology: &Topology) -> Vec<(String, String)> {
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

pub(crate) fn days(time: SimDuration) -> f64 {
    time.as_micros() as f64 / MICROS_PER_DAY as f64
}

/// Whether a record is an administrator's change (not a response with nothing to do).
fn is_change(record: &TraceRecord) -> bool {
    record.event == "admin"
        && (record.detail.contains('→')
            || record.detail.contains("associated with")
            || record.detail.contains("returns"))
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
        fractions[Service::RemoteAccess.index()] = Some(served);
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
        assert!(data.served[Service::RemoteAccess.index()].is_some());
        assert!(data.served[Service::FederationInbound.index()].is_none());
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
        let series = data.served[Service::RemoteAccess.index()].as_ref().unwrap();
        assert!(series.len() <= columns);
        // Each column still knows its lowest and highest: 0.4 and 1.0 here.
        assert!(series.iter().all(|r| r.lowest == 0.4 && r.highest == 1.0));
        let ServedLines { steps, extents } = data.served_lines(series, 0.0);
        assert!(steps.len() <= 2 * columns + 1);
        assert!(!extents.is_empty());
    }
}
