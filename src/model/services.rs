//! The six services of SPEC §4 and how each is accumulated over a replication.
//!
//! Between two events the state is constant, so after each event the model takes a
//! [`Snapshot`] of who is unserved and why; the time until the next event multiplies it
//! into the tallies, and outages open and close on its totals.

use crate::time::SimDuration;

use super::metrics::{CAUSE_COUNT, NOBODY, OutageTracker, ServiceTally, WHOLE_USER};

/// A service whose availability edgesim reports.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Remote users reaching their FE pool through an Edge pool (R3, R4, F2); per remote user.
    RemoteAccess = 0,
    /// Partners' requests reaching an Edge pool (R5, F1); organisation level.
    FederationInbound = 1,
    /// Users federating out through the route (R6); per user.
    FederationOutbound = 2,
    /// Partners' XMPP traffic reaching the gateway (R7, F3); organisation level.
    XmppInbound = 3,
    /// XMPP traffic leaving through the gateway (R7); organisation level.
    XmppOutbound = 4,
    /// The media path through the associated Edge pool (R8); per user.
    EdgeAssociation = 5,
}

/// The number of services.
pub const SERVICE_COUNT: usize = 6;

impl Service {
    /// Every service, in report order.
    pub const ALL: [Service; SERVICE_COUNT] = [
        Service::RemoteAccess,
        Service::FederationInbound,
        Service::FederationOutbound,
        Service::XmppInbound,
        Service::XmppOutbound,
        Service::EdgeAssociation,
    ];

    /// The name used in files and traces.
    pub fn name(self) -> &'static str {
        match self {
            Service::RemoteAccess => "remote_access",
            Service::FederationInbound => "federation_inbound",
            Service::FederationOutbound => "federation_outbound",
            Service::XmppInbound => "xmpp_inbound",
            Service::XmppOutbound => "xmpp_outbound",
            Service::EdgeAssociation => "edge_association",
        }
    }

    /// Whether the service is measured per user and reported per FE pool (SPEC §4);
    /// the others are organisation-level, scope `all` only.
    pub fn per_user(self) -> bool {
        matches!(
            self,
            Service::RemoteAccess | Service::FederationOutbound | Service::EdgeAssociation
        )
    }
}

/// Unserved users (per-user services) or unserved share of requests (organisation-level
/// services) at one moment, by cause.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Per FE pool (per-user services).
    pub per_front_end: Vec<[f64; CAUSE_COUNT]>,
    /// The organisation-level share (organisation-level services).
    pub organisation: [f64; CAUSE_COUNT],
}

impl Snapshot {
    /// Clears the snapshot for `front_ends` FE pools.
    pub fn reset(&mut self, front_ends: usize) {
        self.per_front_end.clear();
        self.per_front_end.resize(front_ends, [0.0; CAUSE_COUNT]);
        self.organisation = [0.0; CAUSE_COUNT];
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
pub struct ServiceAccumulator {
    /// Which service.
    pub service: Service,
    /// Per FE pool weights (empty for organisation-level services).
    pub weights: Vec<f64>,
    /// Who is unserved now.
    pub snapshot: Snapshot,
    per_front_end: Vec<ServiceTally>,
    all: ServiceTally,
    trackers: Vec<OutageTracker>,
    all_tracker: OutageTracker,
}

impl ServiceAccumulator {
    /// A new accumulator; `weights` are per FE pool for per-user services.
    pub fn new(service: Service, weights: Vec<f64>) -> Self {
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
            snapshot,
            per_front_end: vec![ServiceTally::default(); front_ends],
            all: ServiceTally::default(),
            trackers: vec![OutageTracker::default(); front_ends],
            all_tracker: OutageTracker::default(),
        }
    }

    /// Clears the snapshot before it is filled again.
    pub fn begin_snapshot(&mut self) {
        let front_ends = self.per_front_end.len();
        self.snapshot.reset(front_ends);
    }

    /// Adds `elapsed` of the current snapshot to the tallies.
    pub fn accrue(&mut self, elapsed: SimDuration) {
        let micros = elapsed.as_micros() as f64;
        if micros == 0.0 {
            return;
        }
        if self.service.per_user() {
            for (tally, unserved) in self
                .per_front_end
                .iter_mut()
                .zip(&self.snapshot.per_front_end)
            {
                for (cause, &users) in unserved.iter().enumerate() {
                    if users > NOBODY {
                        tally.unserved_user_micros[cause] += users * micros;
                        self.all.unserved_user_micros[cause] += users * micros;
                    }
                }
            }
        } else {
            for (cause, &share) in self.snapshot.organisation.iter().enumerate() {
                if share > NOBODY {
                    self.all.unserved_user_micros[cause] += share * micros;
                }
            }
        }
    }

    /// Opens and closes outages from the current snapshot: at least one whole user
    /// (per-user services) or any share of requests (organisation-level) unserved.
    pub fn update_outages(&mut self, now: SimDuration) {
        if self.service.per_user() {
            let mut any = false;
            for (i, unserved) in self.snapshot.per_front_end.iter().enumerate() {
                let in_outage = unserved.iter().sum::<f64>() >= WHOLE_USER;
                any |= in_outage;
                self.trackers[i].update(now, in_outage, &mut self.per_front_end[i]);
            }
            self.all_tracker.update(now, any, &mut self.all);
        } else {
            let in_outage = self.snapshot.organisation.iter().sum::<f64>() > NOBODY;
            self.all_tracker.update(now, in_outage, &mut self.all);
        }
    }

    /// The served fraction now.
    pub fn served_fraction(&self) -> f64 {
        if self.service.per_user() {
            let weight: f64 = self.weights.iter().sum();
            let unserved: f64 = self.snapshot.per_front_end.iter().flatten().sum();
            if weight <= 0.0 {
                1.0
            } else {
                1.0 - unserved / weight
            }
        } else {
            1.0 - self.snapshot.organisation.iter().sum::<f64>()
        }
    }

    /// Closes open outages at `horizon` and returns the result.
    pub fn finish(mut self, horizon: SimDuration) -> ServiceResult {
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
