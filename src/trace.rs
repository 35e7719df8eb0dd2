//! One replication, event by event: `trace.csv` and a short readable story of what
//! failed when, how long users were unserved, and why.

use std::fmt::Write as _;

use crate::model::metrics::{Cause, ServiceTally};
use crate::model::{ReplicationResult, TraceRecord, simulate_replication};
use crate::time::{
    MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND, SimDuration,
};
use crate::topology::{Simulation, Topology};

/// The header of `trace.csv`.
pub const TRACE_HEADER: [&str; 5] = [
    "time_s",
    "event",
    "target",
    "detail",
    "remote_access_served",
];

/// The most component events the printed story lists before summarising the rest.
pub const STORY_EVENT_LINES: usize = 40;

/// A traced replication.
pub struct Trace {
    /// Every processed event.
    pub records: Vec<TraceRecord>,
    /// What the replication measured.
    pub result: ReplicationResult,
}

/// Simulates replication `replication` of `topology`, keeping every event.
pub fn trace(topology: &Topology, simulation: &Simulation, replication: u64) -> Trace {
    let mut records: Vec<TraceRecord> = Vec::new();
    let result = simulate_replication(topology, simulation, replication, &mut records);
    Trace { records, result }
}

/// Seconds since time 0 as an exact decimal (microsecond resolution).
pub fn seconds(time: SimDuration) -> String {
    let micros = time.as_micros();
    format!(
        "{}.{:06}",
        micros / MICROS_PER_SECOND,
        micros % MICROS_PER_SECOND
    )
}

/// A clock reading such as `d12 03:04:05.250` (day counted from 0).
pub fn clock(time: SimDuration) -> String {
    let micros = time.as_micros();
    let days = micros / MICROS_PER_DAY;
    let hours = micros % MICROS_PER_DAY / MICROS_PER_HOUR;
    let minutes = micros % MICROS_PER_HOUR / MICROS_PER_MINUTE;
    let secs = micros % MICROS_PER_MINUTE / MICROS_PER_SECOND;
    let millis = micros % MICROS_PER_SECOND / 1000;
    format!("d{days} {hours:02}:{minutes:02}:{secs:02}.{millis:03}")
}

/// The records as CSV with [`TRACE_HEADER`].
pub fn to_csv(records: &[TraceRecord]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(TRACE_HEADER)
        .expect("writing to memory");
    for record in records {
        writer
            .write_record([
                seconds(record.time).as_str(),
                record.event,
                record.target.as_str(),
                record.detail.as_str(),
                format!("{:.12}", record.remote_access_served).as_str(),
            ])
            .expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

fn cause_breakdown(tally: &ServiceTally) -> String {
    let total = tally.unserved_total();
    if total <= 0.0 {
        return "none".to_string();
    }
    Cause::ALL
        .iter()
        .filter(|&&cause| tally.unserved_user_micros[cause as usize] > 0.0)
        .map(|&cause| {
            let share = tally.unserved_user_micros[cause as usize] / total;
            format!("{} {:.1}%", cause.name(), 100.0 * share)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short readable account of the replication.
pub fn story(
    topology: &Topology,
    simulation: &Simulation,
    replication: u64,
    trace: &Trace,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Layout \"{}\", replication {replication} (seed {}, horizon {}): {} events.",
        topology.layout_name,
        simulation.seed,
        simulation.horizon,
        trace.records.len()
    );
    let component_events: Vec<&TraceRecord> = trace
        .records
        .iter()
        .filter(|r| {
            matches!(
                r.event,
                "failure" | "repair" | "outage_start" | "outage_end"
            )
        })
        .collect();
    if component_events.is_empty() {
        let _ = writeln!(out, "Nothing failed.");
    } else {
        let _ = writeln!(out, "What failed and came back:");
        for record in component_events.iter().take(STORY_EVENT_LINES) {
            let what = match record.event {
                "failure" => "failed",
                "repair" => "repaired",
                "outage_start" => "injected outage starts",
                _ => "injected outage ends",
            };
            let detail = if record.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", record.detail)
            };
            let _ = writeln!(
                out,
                "  {}  {} {what}{detail}; remote access {:.4}% served",
                clock(record.time),
                record.target,
                100.0 * record.remote_access_served
            );
        }
        if component_events.len() > STORY_EVENT_LINES {
            let _ = writeln!(
                out,
                "  ... and {} more (see trace.csv)",
                component_events.len() - STORY_EVENT_LINES
            );
        }
    }
    let horizon = trace.result.horizon;
    match &trace.result.remote_access {
        None => {
            let _ = writeln!(out, "No remote users: remote access is not configured.");
        }
        Some(remote) => {
            let _ = writeln!(
                out,
                "Remote access: availability {:.8}; {} outage(s), {:.2} min in outage; unserved: {}.",
                remote.availability(None, horizon),
                remote.all.outages,
                remote.all.outage_micros as f64 / MICROS_PER_MINUTE as f64,
                cause_breakdown(&remote.all)
            );
            for (i, pool) in topology.front_end_pools.iter().enumerate() {
                let tally = &remote.per_front_end[i];
                if pool.remote_users == 0 {
                    continue;
                }
                let lost_minutes =
                    tally.unserved_total() / remote.remote_users[i] / MICROS_PER_MINUTE as f64;
                let _ = writeln!(
                    out,
                    "  {}: each remote user unserved {:.2} min on average; {} outage(s), {:.2} min; why: {}",
                    pool.id,
                    lost_minutes,
                    tally.outages,
                    tally.outage_micros as f64 / MICROS_PER_MINUTE as f64,
                    cause_breakdown(tally)
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "Edge pools (peak remote users / capacity, minutes refusing users for lack of room):"
    );
    for (pool, tally) in topology.edge_pools.iter().zip(&trace.result.edge_pools) {
        let _ = writeln!(
            out,
            "  {}: {:.0} / {}, {:.2} min",
            pool.id,
            tally.peak_load,
            pool.full_capacity(),
            tally.overload_micros as f64 / MICROS_PER_MINUTE as f64
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_exact_and_readable() {
        let t = SimDuration::from_micros(
            12 * MICROS_PER_DAY + 3 * MICROS_PER_HOUR + 4 * MICROS_PER_MINUTE + 5_250_000,
        );
        assert_eq!(clock(t), "d12 03:04:05.250");
        assert_eq!(seconds(SimDuration::from_micros(1_500_001)), "1.500001");
    }
}
