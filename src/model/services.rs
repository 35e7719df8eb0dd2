//! The six services of docs/output.md and how each is accumulated over a replication.
//!
//! After each event that may change what a service reads, the model fills a [`Snapshot`]
//! of who is unserved and why; the accumulator integrates the previous snapshot exactly
//! up to that instant when the new one differs, and outages open and close on its totals.

use crate::time::SimDuration;

use super::metrics::{
    CAUSE_COUNT, Cause, NO_SHARE, NOBODY, OutageTracker, ServiceTally, WHOLE_USER,
};

pub use crate::vocabulary::{SERVICE_COUNT, Service};

/// Unserved users (per-user services) or unserved share of requests (organisation-level
/// services) from one moment on, by cause.
///
/// Per FE pool and cause the unserved users are `level + decaying · e^(−t/τ)`, t the time
/// since the snapshot was taken and τ the accumulator's time constant: remote access has
/// mobile users who take room the instant sign-in return flows free it (docs/model.md), so
/// their number falls continuously between events; every other quantity is a constant
/// (`decaying` is zero).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Per FE pool (per-user services): the constant part.
    pub per_front_end: Vec<[f64; CAUSE_COUNT]>,
    /// Per FE pool (per-user services): the part that decays with the time constant.
    pub decaying_per_front_end: Vec<[f64; CAUSE_COUNT]>,
    /// The organisation-level share (organisation-level services).
    pub organisation: [f64; CAUSE_COUNT],
}

impl Snapshot {
    /// Clears the snapshot for `front_ends` FE pools.
    pub fn reset(&mut self, front_ends: usize) {
        for parts in [&mut self.per_front_end, &mut self.decaying_per_front_end] {
            parts.clear();
            parts.resize(front_ends, [0.0; CAUSE_COUNT]);
        }
        self.organisation = [0.0; CAUSE_COUNT];
    }

    /// Unserved users of FE pool `front_end` (all causes) `elapsed_micros` after the
    /// snapshot, with time constant `tau_micros`.
    fn front_end_total(
        &self,
        front_end: usize,
        elapsed_micros: f64,
        tau_micros: f64,
        causes: usize,
    ) -> f64 {
        let level: f64 = self.per_front_end[front_end][..causes].iter().sum();
        let decaying: f64 = self.decaying_per_front_end[front_end][..causes]
            .iter()
            .sum();
        if decaying == 0.0 {
            level
        } else {
            level + decaying * libm::exp(-elapsed_micros / tau_micros)
        }
    }
}

/// One service over one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceResult {
    /// Which service.
    pub service: Service,
    /// Per FE pool, the users (or remote users) that weight it; empty for
    /// organisation-level services.
    pub weights: Vec<f64>,
    /// Per FE pool (empty for organisation-level services).
    pub per_front_end: Vec<ServiceTally>,
    /// Scope `all`.
    pub all: ServiceTally,
}

impl ServiceResult {
    /// The served fraction of the horizon for FE pool `front_end`, or for `all`.
    pub fn availability(&self, front_end: Option<usize>, horizon: SimDuration) -> f64 {
        let (tally, weight) = match front_end {
            Some(i) => (&self.per_front_end[i], self.weights[i]),
            None if self.service.per_user() => (&self.all, self.weights.iter().sum()),
            None => (&self.all, 1.0),
        };
        if weight <= 0.0 || horizon.is_zero() {
            return 1.0;
        }
        1.0 - tally.unserved_total() / (weight * horizon.as_micros() as f64)
    }
}

/// Accumulates one configured service during a replication.
///
/// The model offers a new snapshot after every event that may change what the service
/// reads; the accumulator adds the previous one to the tallies only when the new one
/// differs. So a service's results depend only on the instants at which its own state
/// changes, never on unrelated events (a layout that changes a setting the service does
/// not read gives it bit-identical results).
pub struct ServiceAccumulator {
    /// Which service.
    pub service: Service,
    /// Per FE pool weights (empty for organisation-level services).
    pub weights: Vec<f64>,
    /// The snapshot being filled; [`ServiceAccumulator::commit`] makes it current.
    pub next: Snapshot,
    current: Snapshot,
    since: SimDuration,
    tau_micros: f64,
    per_front_end: Vec<ServiceTally>,
    all: ServiceTally,
    trackers: Vec<OutageTracker>,
    all_tracker: OutageTracker,
    /// The causes a snapshot can hold (the first ones of the per-cause arrays): the
    /// disaster-recovery causes only where the layout has recovery, so that a layout
    /// without it does no work for them.
    causes_used: usize,
}

impl ServiceAccumulator {
    /// A new accumulator; `weights` are per FE pool for per-user services; decaying parts
    /// of its snapshots have time constant `tau` (remote access: `clients.session`);
    /// `recovery`: whether the layout has disaster recovery (its causes may hold).
    pub fn new(service: Service, weights: Vec<f64>, tau: SimDuration, recovery: bool) -> Self {
        let front_ends = if service.per_user() { weights.len() } else { 0 };
        let mut snapshot = Snapshot::default();
        snapshot.reset(front_ends);
        ServiceAccumulator {
            service,
            weights: if service.per_user() {
                weights
            } else {
                Vec::new()
            },
            next: snapshot.clone(),
            current: snapshot,
            since: SimDuration::ZERO,
            tau_micros: (tau.as_micros() as f64).max(1.0),
            per_front_end: vec![ServiceTally::default(); front_ends],
            all: ServiceTally::default(),
            trackers: vec![OutageTracker::default(); front_ends],
            all_tracker: OutageTracker::default(),
            causes_used: if recovery {
                CAUSE_COUNT
            } else {
                Cause::PoolFailoverPending.index()
            },
        }
    }

    /// Clears the next snapshot before it is filled.
    pub fn begin_snapshot(&mut self) {
        let front_ends = self.per_front_end.len();
        self.next.reset(front_ends);
    }

    /// Makes the filled snapshot current at `now`: if it differs from the current one,
    /// the current one is added to the tallies up to `now` and outages open or close.
    pub fn commit(&mut self, now: SimDuration) {
        if self.next == self.current {
            return;
        }
        self.accrue_to(now);
        std::mem::swap(&mut self.current, &mut self.next);
        self.since = now;
        self.update_outages(now);
    }

    /// Adds the current snapshot from `since` to `to` to the tallies, exactly: a level ×
    /// Δ plus a decaying part × τ · (1 − e^(−Δ/τ)).
    fn accrue_to(&mut self, to: SimDuration) {
        let micros = to.as_micros().saturating_sub(self.since.as_micros()) as f64;
        if micros == 0.0 {
            return;
        }
        if self.service.per_user() {
            let decayed = -libm::expm1(-micros / self.tau_micros) * self.tau_micros;
            for (front_end, tally) in self.per_front_end.iter_mut().enumerate() {
                let level = &self.current.per_front_end[front_end];
                let decaying = &self.current.decaying_per_front_end[front_end];
                for cause in 0..self.causes_used {
                    let user_micros = if decaying[cause] == 0.0 {
                        level[cause] * micros
                    } else {
                        level[cause] * micros + decaying[cause] * decayed
                    };
                    if user_micros > NOBODY * micros {
                        tally.unserved_user_micros[cause] += user_micros;
                        self.all.unserved_user_micros[cause] += user_micros;
                    }
                }
            }
        } else {
            for (cause, &share) in self.current.organisation.iter().enumerate() {
                if share > NO_SHARE {
                    self.all.unserved_user_micros[cause] += share * micros;
                }
            }
        }
    }

    /// Opens and closes outages from the current snapshot at `now`: at least one whole
    /// user (per-user services) or any share of requests (organisation-level) unserved.
    fn update_outages(&mut self, now: SimDuration) {
        if self.service.per_user() {
            let mut any = false;
            for i in 0..self.trackers.len() {
                let in_outage =
                    self.current
                        .front_end_total(i, 0.0, self.tau_micros, self.causes_used)
                        >= WHOLE_USER;
                any |= in_outage;
                self.trackers[i].update(now, in_outage, &mut self.per_front_end[i]);
            }
            self.all_tracker.update(now, any, &mut self.all);
        } else {
            let in_outage = self.current.organisation.iter().sum::<f64>() > NO_SHARE;
            self.all_tracker.update(now, in_outage, &mut self.all);
        }
    }

    /// The served fraction at `now` (at or after the current snapshot was taken).
    pub fn served_fraction(&self, now: SimDuration) -> f64 {
        if self.service.per_user() {
            let weight: f64 = self.weights.iter().sum();
            let elapsed = now.as_micros().saturating_sub(self.since.as_micros()) as f64;
            let unserved: f64 = (0..self.per_front_end.len())
                .map(|i| {
                    self.current
                        .front_end_total(i, elapsed, self.tau_micros, self.causes_used)
                })
                .sum();
            if weight <= 0.0 {
                1.0
            } else {
                1.0 - unserved / weight
            }
        } else {
            1.0 - self.current.organisation.iter().sum::<f64>()
        }
    }

    /// Accrues up to `horizon`, closes open outages there and returns the result.
    pub fn finish(mut self, horizon: SimDuration) -> ServiceResult {
        self.accrue_to(horizon);
        for (tracker, tally) in self.trackers.iter_mut().zip(&mut self.per_front_end) {
            tracker.update(horizon, false, tally);
        }
        self.all_tracker.update(horizon, false, &mut self.all);
        ServiceResult {
            service: self.service,
            weights: self.weights,
            per_front_end: self.per_front_end,
            all: self.all,
        }
    }
}
