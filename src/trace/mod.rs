//! One replication, event by event: `trace.csv` and a short readable story of what
//! failed when, how long users were unserved, and why.

pub mod timeline;

use std::fmt::Write as _;
use std::io::Write;

use self::timeline::TimelineData;
use crate::model::metrics::ServiceTally;
use crate::model::{Observer, ReplicationResult, TraceRecord, simulate_replication};
use crate::time::{
    MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND, SimDuration,
};
use crate::topology::{Simulation, Topology};
use crate::vocabulary::Cause;
use crate::vocabulary::Service;

/// The header of `trace.csv`: the event, then the served fraction of each service after
/// it (empty for a service the layout does not have).
pub const TRACE_HEADER: [&str; 10] = [
    "time_s",
    "event",
    "target",
    "detail",
    "remote_access_served",
    "federation_inbound_served",
    "federation_outbound_served",
    "xmpp_inbound_served",
    "xmpp_outbound_served",
    "edge_association_served",
];

/// The most component and administrator events the printed story lists before
/// summarising the rest (by default: `--story first`).
pub const STORY_EVENT_LINES: usize = 40;

/// The most failures, repairs, outages and administrator events a trace keeps for its
/// story (`--story all` lists them; beyond, trace.csv has every one).
pub const MAX_STORY_EVENTS: usize = 100_000;

/// Which events the printed story tells (`trace --story`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum StoryFocus {
    /// The first [`STORY_EVENT_LINES`] (`first`, the default).
    #[default]
    First,
    /// Every one (`all`).
    All,
    /// Those of the longest period in which some service was not fully served
    /// (`longest`).
    Longest,
    /// Those from one simulated time to another (`FROM..TO`, e.g. `140d..147d`).
    Window(SimDuration, SimDuration),
}

impl StoryFocus {
    /// Reads `first`, `all`, `longest` or `FROM..TO` (durations since the start).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "first" => Ok(StoryFocus::First),
            "all" => Ok(StoryFocus::All),
            "longest" => Ok(StoryFocus::Longest),
            other => {
                let (from, to) = other.split_once("..").ok_or_else(|| {
                    format!("`{other}`: write first, all, longest, or a window such as 140d..147d")
                })?;
                let at = |t: &str| {
                    crate::time::parse_duration(t.trim()).map_err(|e| format!("`{other}`: {e}"))
                };
                let (from, to) = (at(from)?, at(to)?);
                if to <= from {
                    return Err(format!("`{other}`: the window ends before it starts"));
                }
                Ok(StoryFocus::Window(from, to))
            }
        }
    }
}

/// The most events a trace writes (a `trace.csv` of about 240 MB): a trace is read by a
/// person; beyond this the trace is refused and a shorter horizon suggested.
pub const MAX_TRACE_EVENTS: u64 = 1_000_000;

/// Why a trace was not written.
#[derive(Debug)]
pub enum TraceError {
    /// Writing `trace.csv` failed.
    Write(csv::Error),
    /// The replication reached [`MAX_TRACE_EVENTS`] events at this simulated time, before
    /// its horizon.
    TooLong(SimDuration),
    /// The replication passed its cap on events (its explanation).
    Stopped(String),
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraceError::Write(error) => write!(f, "writing trace.csv: {error}"),
            TraceError::TooLong(at) => {
                // Whole days (whole hours under a day) that the trace did reach.
                let unit = if at.as_micros() >= MICROS_PER_DAY {
                    MICROS_PER_DAY
                } else {
                    MICROS_PER_HOUR
                };
                let suggestion =
                    SimDuration::from_micros((at.as_micros() / unit * unit).max(MICROS_PER_HOUR));
                write!(
                    f,
                    "the replication reached {MAX_TRACE_EVENTS} events after {} of simulated \
                     time, as many as a trace.csv may hold (about 240 MB); trace a shorter \
                     horizon, e.g. --horizon {}",
                    crate::time::human(*at),
                    suggestion,
                )
            }
            TraceError::Stopped(explanation) => f.write_str(explanation),
        }
    }
}

impl From<csv::Error> for TraceError {
    fn from(error: csv::Error) -> Self {
        TraceError::Write(error)
    }
}

impl From<std::io::Error> for TraceError {
    fn from(error: std::io::Error) -> Self {
        TraceError::Write(error.into())
    }
}

/// What a traced replication leaves in memory once its events are written: enough for
/// the story and the timeline, bounded whatever the number of events.
pub struct Trace {
    /// The number of processed events.
    pub events: u64,
    /// The failures, repairs, outages and administrator events, in order (at most
    /// [`MAX_STORY_EVENTS`]).
    pub notable: Vec<TraceRecord>,
    /// How many such events there were in all.
    pub notable_count: u64,
    /// The longest period in which some service was not fully served: its start and end.
    pub longest_outage: Option<(SimDuration, SimDuration)>,
    /// What the timeline chart draws.
    pub timeline: TimelineData,
    /// What the replication measured.
    pub result: ReplicationResult,
}

/// Writes each event as a `trace.csv` row as it happens and keeps only what [`Trace`]
/// holds, so that a long horizon with many events needs no more memory than a short one.
struct StreamingObserver<W: Write> {
    csv: csv::Writer<W>,
    error: Option<csv::Error>,
    events: u64,
    notable: Vec<TraceRecord>,
    notable_count: u64,
    timeline: TimelineData,
    /// When the last event was.
    last: SimDuration,
    /// Since when some service has not been fully served, if it is not.
    degraded_since: Option<SimDuration>,
    /// The longest such period that ended.
    longest_outage: Option<(SimDuration, SimDuration)>,
}

impl<W: Write> StreamingObserver<W> {
    /// Closes a period of degraded service at `end`, keeping it if it is the longest.
    fn close_outage(&mut self, end: SimDuration) {
        if let Some(start) = self.degraded_since.take() {
            let longer = self.longest_outage.is_none_or(|(s, e)| {
                end.as_micros() - start.as_micros() > e.as_micros() - s.as_micros()
            });
            if longer {
                self.longest_outage = Some((start, end));
            }
        }
    }
}

impl<W: Write> Observer for StreamingObserver<W> {
    fn enabled(&self) -> bool {
        true
    }

    fn is_full(&self) -> bool {
        self.events >= MAX_TRACE_EVENTS
    }

    fn record(&mut self, record: TraceRecord) {
        self.events += 1;
        self.last = record.time;
        self.timeline.add(&record);
        if self.error.is_none()
            && let Err(error) = self.csv.write_record(csv_fields(&record))
        {
            self.error = Some(error);
        }
        let degraded = record
            .served
            .iter()
            .any(|served| served.is_some_and(|fraction| fraction < 1.0 - 1e-12));
        if degraded && self.degraded_since.is_none() {
            self.degraded_since = Some(record.time);
        } else if !degraded {
            self.close_outage(record.time);
        }
        if is_notable(&record) {
            self.notable_count += 1;
            if self.notable.len() < MAX_STORY_EVENTS {
                self.notable.push(record);
            }
        }
    }
}

/// Simulates replication `replication` of `topology`, writing every event to `out` as
/// `trace.csv` (with [`TRACE_HEADER`]) as it happens.
pub fn trace<W: Write>(
    topology: &Topology,
    simulation: &Simulation,
    replication: u64,
    out: W,
) -> Result<Trace, TraceError> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(TRACE_HEADER)?;
    let mut observer = StreamingObserver {
        csv,
        error: None,
        events: 0,
        notable: Vec::new(),
        notable_count: 0,
        timeline: TimelineData::new(topology, simulation.horizon),
        last: SimDuration::ZERO,
        degraded_since: None,
        longest_outage: None,
    };
    let result = simulate_replication(topology, simulation, replication, &mut observer);
    observer.close_outage(simulation.horizon);
    if let Some(error) = observer.error {
        return Err(error.into());
    }
    if let Some(stopped) = &result.stopped {
        return Err(TraceError::Stopped(stopped.explain(topology, replication)));
    }
    if observer.is_full() {
        return Err(TraceError::TooLong(observer.last));
    }
    // Flushed here rather than on drop, where a full disk would go unnoticed.
    let mut out = observer.csv.into_inner().map_err(|e| e.into_error())?;
    out.flush()?;
    Ok(Trace {
        events: observer.events,
        notable: observer.notable,
        notable_count: observer.notable_count,
        longest_outage: observer.longest_outage,
        timeline: observer.timeline,
        result,
    })
}

fn is_notable(record: &TraceRecord) -> bool {
    matches!(
        record.event,
        "failure" | "repair" | "outage_start" | "outage_end" | "admin"
    )
}

/// One `trace.csv` row: the event, then the served fraction of each service after it.
fn csv_fields(record: &TraceRecord) -> Vec<String> {
    let mut fields = vec![
        seconds(record.time),
        record.event.to_string(),
        record.target.clone(),
        record.detail.clone(),
    ];
    fields.extend(
        record
            .served
            .iter()
            .map(|served| served.map_or_else(String::new, |s| format!("{s:.12}"))),
    );
    fields
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

fn cause_breakdown(tally: &ServiceTally) -> String {
    let total = tally.unserved_total();
    if total <= 0.0 {
        return "none".to_string();
    }
    Cause::ALL
        .iter()
        .filter(|&&cause| tally.unserved_user_micros[cause.index()] > 0.0)
        .map(|&cause| {
            let share = tally.unserved_user_micros[cause.index()] / total;
            format!("{} {:.1}%", cause.name(), 100.0 * share)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn story_line(record: &TraceRecord) -> String {
    let what = match record.event {
        "failure" => "failed",
        "repair" => "repaired",
        "outage_start" => "injected outage starts",
        "outage_end" => "injected outage ends",
        _ => "administrator:",
    };
    let detail = match (record.event, record.detail.is_empty()) {
        (_, true) => String::new(),
        ("admin", false) => format!(" {}", record.detail),
        _ => format!(" ({})", record.detail),
    };
    let degraded: Vec<String> = Service::ALL
        .iter()
        .filter_map(|&service| {
            let fraction = record.served[service.index()]?;
            (fraction < 1.0 - 1e-12).then(|| format!("{} {:.2}%", service.name(), 100.0 * fraction))
        })
        .collect();
    let served = if degraded.is_empty() {
        "everything served".to_string()
    } else {
        format!("served: {}", degraded.join(", "))
    };
    let target = if record.target.is_empty() {
        String::new()
    } else {
        format!("{} ", record.target)
    };
    format!("  {}  {target}{what}{detail}; {served}", clock(record.time))
}

/// One traced replication with what it was a replication of: what the timeline chart
/// and the story are made from.
pub struct TracedReplication<'a> {
    /// Which events the story tells.
    pub focus: StoryFocus,
    /// The layout.
    pub topology: &'a Topology,
    /// The simulation settings.
    pub simulation: &'a Simulation,
    /// The replication.
    pub replication: u64,
    /// What it left in memory.
    pub trace: &'a Trace,
}

/// A duration as days, hours or minutes: `5.6 days`, `3.2 h`, `41 min`.
fn span_words(micros: u64) -> String {
    let hours = micros as f64 / MICROS_PER_HOUR as f64;
    if hours >= 48.0 {
        format!("{:.1} days", hours / 24.0)
    } else if hours >= 1.0 {
        format!("{hours:.1} h")
    } else {
        format!("{:.0} min", micros as f64 / MICROS_PER_MINUTE as f64)
    }
}

/// The events the story tells, as `focus` chooses, with what it left out.
fn tell(out: &mut String, trace: &Trace, focus: StoryFocus) {
    let kept = trace.notable.len() as u64;
    let longest = trace.longest_outage.map(|(start, end)| {
        (
            start,
            end,
            format!(
                "from {} to {}, {}",
                clock(start),
                clock(end),
                span_words(end.as_micros() - start.as_micros())
            ),
        )
    });
    let window = match (focus, &longest) {
        (StoryFocus::Window(from, to), _) => Some((from, to)),
        (StoryFocus::Longest, Some((start, end, _))) => Some((*start, *end)),
        _ => None,
    };
    let heading = match (focus, &longest) {
        (StoryFocus::Longest, Some((_, _, words))) => format!(
            "The longest time some service was not fully served, {words}: what failed, what the administrator changed, what came back:"
        ),
        (StoryFocus::Longest, None) => {
            "Every service was fully served throughout; what failed and came back:".to_string()
        }
        (StoryFocus::Window(from, to), _) => format!(
            "From {} to {}: what failed, what the administrator changed, what came back:",
            clock(from),
            clock(to)
        ),
        _ => "What failed, what the administrator changed, what came back:".to_string(),
    };
    let _ = writeln!(out, "{heading}");
    let lines: Vec<&TraceRecord> = match (focus, window) {
        (_, Some((from, to))) => trace
            .notable
            .iter()
            .filter(|r| r.time >= from && r.time <= to)
            .collect(),
        (StoryFocus::First, _) => trace.notable.iter().take(STORY_EVENT_LINES).collect(),
        _ => trace.notable.iter().collect(),
    };
    if lines.is_empty() {
        let _ = writeln!(out, "  (no failure, repair or administrator event in it)");
    }
    for record in &lines {
        let _ = writeln!(out, "{}", story_line(record));
    }
    let told = lines.len() as u64;
    if told < trace.notable_count {
        let mut more = format!(
            "  ... {} of {} events told (all are in trace.csv)",
            told, trace.notable_count
        );
        if focus == StoryFocus::First {
            more.push_str("; --story all tells every one");
            if let Some((_, _, words)) = &longest {
                more.push_str(&format!(", --story longest the longest outage ({words})"));
            }
            more.push_str(", --story FROM..TO a window (e.g. 140d..147d)");
        }
        if kept < trace.notable_count && focus == StoryFocus::All {
            more.push_str(&format!("; the story keeps the first {MAX_STORY_EVENTS}"));
        }
        let _ = writeln!(out, "{more}");
    }
}

/// A short readable account of the replication, telling the events `focus` chooses.
pub fn story(
    topology: &Topology,
    simulation: &Simulation,
    replication: u64,
    trace: &Trace,
    focus: StoryFocus,
) -> String {
    let mut out = String::new();
    let under = topology
        .assumption
        .as_ref()
        .map_or_else(String::new, |a| format!(" under assumption \"{a}\""));
    let _ = writeln!(
        out,
        "Layout \"{}\"{under}, replication {replication} (seed {}, horizon {}): {} events.",
        topology.layout_name, simulation.seed, simulation.horizon, trace.events
    );
    if trace.notable.is_empty() {
        let _ = writeln!(out, "Nothing failed.");
    } else {
        tell(&mut out, trace, focus);
    }
    let horizon = trace.result.horizon;
    if trace.result.services.is_empty() {
        let _ = writeln!(out, "No service is configured.");
    }
    for result in &trace.result.services {
        let _ = writeln!(
            out,
            "{}: availability {:.8}; {} outage(s), {:.2} min in outage; unserved: {}.",
            result.service.name(),
            result.availability(None, horizon),
            result.all.outages,
            result.all.outage_micros as f64 / MICROS_PER_MINUTE as f64,
            cause_breakdown(&result.all)
        );
        for (i, pool) in topology.front_end_pools.iter().enumerate() {
            let Some(tally) = result.per_front_end.get(i) else {
                continue;
            };
            if result.weights[i] <= 0.0 || tally.unserved_total() <= 0.0 {
                continue;
            }
            let lost_minutes =
                tally.unserved_total() / result.weights[i] / MICROS_PER_MINUTE as f64;
            let _ = writeln!(
                out,
                "  {}: each user unserved {:.2} min on average; {} outage(s), {:.2} min; why: {}",
                pool.id,
                lost_minutes,
                tally.outages,
                tally.outage_micros as f64 / MICROS_PER_MINUTE as f64,
                cause_breakdown(tally)
            );
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
