//! What a replication measures (docs/output.md): unserved user-time by cause, outages (maximal
//! intervals with at least one whole user unserved), and each Edge pool's peak load and
//! time refusing users for lack of room. Times are integer microseconds; user-time is a
//! float (users are a continuous quantity) summed in a fixed event order.

use crate::time::SimDuration;

pub use crate::vocabulary::{CAUSE_COUNT, Cause};

/// An amount of users at or below this counts as nobody: a millionth of a user. Float
/// residue of sums over up to millions of users (about 1e-12 relative) stays far below it,
/// so whether a group is displaced, a pool has room or a cohort is done never depends on
/// rounding, and never on where events fall (docs/model.md, "What moves between events").
pub const NOBODY: f64 = 1e-6;
/// A share of partners' requests at or below this counts as none (float residue).
pub const NO_SHARE: f64 = 1e-12;
/// At least one whole user unserved makes an outage (docs/output.md); the tolerance absorbs
/// float residue when exactly one user is unserved.
pub const WHOLE_USER: f64 = 1.0 - 1e-9;

/// One service in one scope over one replication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceTally {
    /// Unserved user-microseconds, by cause.
    pub unserved_user_micros: [f64; CAUSE_COUNT],
    /// Number of outages (zero-length ones are not outages).
    pub outages: u64,
    /// Total time in outage.
    pub outage_micros: u64,
}

impl ServiceTally {
    /// Total unserved user-microseconds.
    pub fn unserved_total(&self) -> f64 {
        self.unserved_user_micros.iter().sum()
    }
}

/// Follows whether a scope is in outage and records each maximal interval.
#[derive(Clone, Debug, Default)]
pub struct OutageTracker {
    started: Option<SimDuration>,
}

impl OutageTracker {
    /// Updates the tracker at `now` with whether the scope is in outage.
    pub fn update(&mut self, now: SimDuration, in_outage: bool, tally: &mut ServiceTally) {
        match (self.started, in_outage) {
            (None, true) => self.started = Some(now),
            (Some(start), false) => {
                self.started = None;
                if now > start {
                    tally.outages += 1;
                    tally.outage_micros += now.as_micros() - start.as_micros();
                }
            }
            _ => {}
        }
    }

    /// Whether an outage is open.
    pub fn is_open(&self) -> bool {
        self.started.is_some()
    }
}

/// An Edge pool over one replication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgePoolTally {
    /// The most remote users connected at once.
    pub peak_load: f64,
    /// Time the pool was up and full while users who may reach it were refused for lack
    /// of room.
    pub overload_micros: u64,
}
