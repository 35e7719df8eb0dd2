//! Partners' DNS caches (docs/model.md, F3): the answer partners use at time t is the answer
//! published at time t − TTL (before time 0, the initial answer). And the geo-DNS traffic
//! manager of F1, which sees each pool's state `geo_dns_detect` late.

use std::collections::VecDeque;

use crate::time::SimDuration;
use crate::topology::{EdgePoolIndex, PerEdge};

/// A published DNS answer (an Edge pool) and the history partners' caches lag behind.
#[derive(Clone, Debug)]
pub struct DelayedAnswer {
    ttl: SimDuration,
    /// (time published, pool), oldest first; the first entry is in force before any other.
    history: VecDeque<(SimDuration, EdgePoolIndex)>,
}

impl DelayedAnswer {
    /// An answer naming `initial` since before time 0.
    pub fn new(initial: EdgePoolIndex, ttl: SimDuration) -> Self {
        DelayedAnswer {
            ttl,
            history: VecDeque::from([(SimDuration::ZERO, initial)]),
        }
    }

    /// The answer published now.
    pub fn published(&self) -> EdgePoolIndex {
        self.history.back().expect("never empty").1
    }

    /// Publishes `pool` at `now`. Returns when partners' caches will have it (the
    /// instant to re-evaluate), or `None` if the answer did not change.
    pub fn publish(&mut self, now: SimDuration, pool: EdgePoolIndex) -> Option<SimDuration> {
        if self.published() == pool {
            return None;
        }
        self.history.push_back((now, pool));
        Some(now.saturating_add(self.ttl))
    }

    /// The answer partners use at `now`: the one published at `now − TTL`.
    pub fn cached(&mut self, now: SimDuration) -> EdgePoolIndex {
        let Some(seen_at) = now.as_micros().checked_sub(self.ttl.as_micros()) else {
            return self.history.front().expect("never empty").1;
        };
        // Entries older than the newest one in force at `now − TTL` are never needed again.
        while self.history.len() > 1 && self.history[1].0.as_micros() <= seen_at {
            self.history.pop_front();
        }
        self.history.front().expect("never empty").1
    }
}

/// The geo-DNS traffic manager (F1): it names the first pool in federation SRV order that
/// its health checks see up, and sees every change `detect` late.
#[derive(Clone, Debug)]
pub struct TrafficManager {
    /// Pools in federation preference order.
    preference: Vec<EdgePoolIndex>,
    /// Per Edge pool, whether the health checks see it up.
    seen_up: PerEdge<bool>,
    /// What the traffic manager answers, with partners' caching.
    pub answer: DelayedAnswer,
}

impl TrafficManager {
    /// Every pool seen up; the answer names the first preferred pool.
    pub fn new(preference: Vec<EdgePoolIndex>, edge_pools: usize, ttl: SimDuration) -> Self {
        let first = preference[0];
        TrafficManager {
            preference,
            seen_up: PerEdge::filled(edge_pools, true),
            answer: DelayedAnswer::new(first, ttl),
        }
    }

    /// The health checks now see `pool` as `up`; returns when partners' caches will have a
    /// changed answer, if it changed. With no pool seen up the answer stays as it was.
    pub fn health(
        &mut self,
        now: SimDuration,
        pool: EdgePoolIndex,
        up: bool,
    ) -> Option<SimDuration> {
        self.seen_up[pool] = up;
        let named = self.preference.iter().copied().find(|&p| self.seen_up[p])?;
        self.answer.publish(now, named)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P0: EdgePoolIndex = EdgePoolIndex(0);
    const P1: EdgePoolIndex = EdgePoolIndex(1);
    const P2: EdgePoolIndex = EdgePoolIndex(2);

    fn minutes(m: u64) -> SimDuration {
        SimDuration::from_micros(m * 60_000_000)
    }

    #[test]
    fn partners_see_an_answer_one_ttl_late() {
        let mut answer = DelayedAnswer::new(P0, minutes(60));
        assert_eq!(answer.publish(minutes(45), P1), Some(minutes(105)));
        assert_eq!(answer.publish(minutes(50), P1), None);
        assert_eq!(answer.cached(minutes(46)), P0);
        assert_eq!(answer.cached(minutes(104)), P0);
        assert_eq!(answer.cached(minutes(105)), P1);
        assert_eq!(answer.published(), P1);
    }

    #[test]
    fn a_zero_ttl_is_seen_at_once_and_quick_changes_are_skipped() {
        let mut answer = DelayedAnswer::new(P0, SimDuration::ZERO);
        answer.publish(minutes(10), P1);
        assert_eq!(answer.cached(minutes(10)), P1);
        let mut answer = DelayedAnswer::new(P0, minutes(60));
        answer.publish(minutes(10), P1);
        answer.publish(minutes(20), P2);
        assert_eq!(answer.cached(minutes(75)), P1);
        assert_eq!(answer.cached(minutes(80)), P2);
    }

    #[test]
    fn the_traffic_manager_names_the_first_pool_it_sees_up() {
        let mut manager = TrafficManager::new(vec![P1, P0], 2, minutes(60));
        assert_eq!(manager.answer.published(), P1);
        assert_eq!(manager.health(minutes(2), P1, false), Some(minutes(62)));
        assert_eq!(manager.answer.published(), P0);
        // Nothing seen up: the answer stays.
        assert_eq!(manager.health(minutes(3), P0, false), None);
        assert_eq!(manager.health(minutes(9), P1, true), Some(minutes(69)));
        assert_eq!(manager.answer.published(), P1);
    }
}
