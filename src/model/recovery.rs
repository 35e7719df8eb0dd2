//! Front End pool disaster recovery (docs/model.md, rules D1 and D2): pool failover and
//! failback between paired FE pools, and the next hop of each Edge pool.
//!
//! Each loss of a FE pool that matters here (it has a backup, or the layout names next
//! hops) opens an incident with a stream keyed by the pool and the loss number, so every
//! layout draws the same times. One `operations.response` draw after the loss the
//! administrator decides: Edge pools whose next hop is the lost pool get a new one, and,
//! one `operations.pool_failover` draw later, the pool's users are homed on its backup.
//! When the pool is back, one more response and failover draw later everything returns.
//!
//! The services never read this state directly: [`Recovery::view`] turns the component
//! state into the one the services read (a FE pool's users are up when the pool they are
//! homed on is; an Edge pool cut off from its next hop has no servers that answer).

use crate::engine::queue::EventClass;
use crate::engine::rng::{Purpose, Stream};
use crate::time::SimDuration;
use crate::topology::{
    EdgePoolIndex, FrontEndPoolIndex, PerEdge, PerFrontEnd, PoolIndex, Topology,
};

use super::Event;
use super::admin::Moment;
use super::components::Derived;

/// What a recovery event does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The administrator's decision after a loss: next hops move, the failover starts.
    Decide,
    /// The failover is carried out: the users are homed on the backup.
    FailOver,
    /// The failback is carried out: users and next hops return to the pool.
    FailBack,
}

/// Where one FE pool's incident stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Up, nothing away.
    Idle,
    /// Down, the decision not yet made.
    Deciding,
    /// Down, decided, the failover under way.
    FailingOver,
    /// Down, the failover due but the backup down: it completes when the backup is up.
    WaitingForBackup,
    /// Down, nothing more to do until it is back.
    Decided,
    /// Back, the failback under way.
    FailingBack,
}

/// One FE pool's recovery.
struct PoolRecovery {
    /// Losses so far: the number of the current incident's stream.
    losses: u64,
    /// Counts scheduled steps: an event for an earlier one is stale.
    generation: u32,
    stage: Stage,
    stream: Option<Stream>,
    /// The failover's execution time, drawn when the incident opened.
    failover: SimDuration,
}

/// Disaster recovery's state in one replication.
pub struct Recovery {
    /// Per FE pool, the pool its users are homed on now.
    home: PerFrontEnd<FrontEndPoolIndex>,
    /// Per Edge pool, the FE pool it forwards to now (`None`: not modelled).
    next_hop: PerEdge<Option<FrontEndPoolIndex>>,
    /// Per Edge pool, a next-hop change decided and waiting for a FE pool to be up.
    next_hop_waits: PerEdge<bool>,
    pools: PerFrontEnd<PoolRecovery>,
    /// Whether a FE pool's loss matters without a backup (the layout names next hops).
    has_next_hops: bool,
    enabled: bool,
    seed: u64,
    replication: u64,
}

impl Recovery {
    /// Everyone at home and every next hop as configured.
    pub fn new(topology: &Topology, seed: u64, replication: u64) -> Self {
        let front_ends = topology.front_end_pools.len();
        Recovery {
            home: PerFrontEnd::from_fn(front_ends, |front_end| front_end),
            next_hop: topology.edge_pools.iter().map(|p| p.next_hop).collect(),
            next_hop_waits: PerEdge::filled(topology.edge_pools.len(), false),
            pools: PerFrontEnd::from_fn(front_ends, |_| PoolRecovery {
                losses: 0,
                generation: 0,
                stage: Stage::Idle,
                stream: None,
                failover: SimDuration::ZERO,
            }),
            has_next_hops: topology.edge_pools.iter().any(|p| p.next_hop.is_some()),
            enabled: topology.has_recovery(),
            seed,
            replication,
        }
    }

    /// Whether the layout has anything to recover (a backup or a next hop).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The state the services read, from the component state `physical`.
    pub fn view(&self, topology: &Topology, physical: &Derived, into: &mut Derived) {
        // Without recovery the view is the components' state, and its homes, pending
        // failovers and cut-offs keep the values both were made with.
        into.front_end_up.clone_from(&physical.front_end_up);
        into.edge_servers_up.clone_from(&physical.edge_servers_up);
        if !self.enabled {
            return;
        }
        for (front_end, &home) in self.home.enumerate() {
            into.front_end_up[front_end] = physical.front_end_up[home];
            into.home[front_end] = home;
            into.failover_pending[front_end] = home == front_end
                && !physical.front_end_up[front_end]
                && topology.front_end_pools[front_end.index()].backup.is_some();
        }
        for (edge, next_hop) in self.next_hop.enumerate() {
            let cut_off = physical.edge_up(edge)
                && next_hop.is_some_and(|next_hop| !physical.front_end_up[next_hop]);
            into.cut_off[edge] = cut_off;
            if cut_off {
                into.edge_servers_up[edge] = 0;
            }
        }
    }

    /// The component state changed from `before` to `moment.physical`: FE pools lost open
    /// incidents, FE pools back start their failback, and failovers and next-hop changes
    /// that waited for a pool to be up are made.
    pub fn components_changed(
        &mut self,
        moment: &mut Moment<'_>,
        before: &Derived,
        said: &mut String,
    ) {
        if !self.enabled {
            return;
        }
        for front_end in self.home.indices() {
            let (was, is) = (
                before.front_end_up[front_end],
                moment.physical.front_end_up[front_end],
            );
            if was && !is {
                self.lost(moment, front_end, said);
            } else if !was && is {
                self.back(moment, front_end, said);
            }
        }
        self.make_waiting(moment, said);
    }

    /// Whether a loss of `front_end` needs the administrator.
    fn matters(&self, topology: &Topology, front_end: FrontEndPoolIndex) -> bool {
        self.has_next_hops || topology.front_end_pools[front_end.index()].backup.is_some()
    }

    /// FE pool `front_end` went down: a new incident, its decision one response later. A
    /// failback still under way is dropped (what is away stays away).
    fn lost(&mut self, moment: &mut Moment<'_>, front_end: FrontEndPoolIndex, said: &mut String) {
        if !self.matters(moment.topology, front_end) {
            return;
        }
        let pool = &mut self.pools[front_end];
        if pool.stage == Stage::FailingBack {
            moment.say(
                said,
                format_args!(
                    "; failback to {} dropped: it is down again",
                    moment.front_end_id(front_end)
                ),
            );
        }
        pool.losses += 1;
        let key = moment.topology.front_end_pools[front_end.index()].stream_key;
        let mut stream = Stream::new(
            self.seed,
            self.replication,
            key,
            Purpose::PoolRecovery(pool.losses),
        );
        let operations = &moment.topology.operations;
        let response = operations.response.sample(&mut stream).unwrap_or_default();
        pool.failover = operations
            .pool_failover
            .sample(&mut stream)
            .unwrap_or_default();
        pool.stream = Some(stream);
        pool.stage = Stage::Deciding;
        Self::schedule(moment, front_end, pool, response, Step::Decide);
    }

    /// FE pool `front_end` is back: a pending failover or next-hop change lapses; if its
    /// users or any Edge pool's next hop are away, they return one response and one
    /// failover draw later.
    fn back(&mut self, moment: &mut Moment<'_>, front_end: FrontEndPoolIndex, said: &mut String) {
        let stage = self.pools[front_end].stage;
        if stage == Stage::Idle {
            return;
        }
        if matches!(
            stage,
            Stage::Deciding | Stage::FailingOver | Stage::WaitingForBackup
        ) {
            moment.say(
                said,
                format_args!(
                    "; {} was back before its failover: nothing to fail over",
                    moment.front_end_id(front_end)
                ),
            );
        }
        if !self.anything_away(moment.topology, front_end) {
            self.pools[front_end].stage = Stage::Idle;
            return;
        }
        let pool = &mut self.pools[front_end];
        let operations = &moment.topology.operations;
        let stream = pool.stream.as_mut().expect("an incident has its stream");
        let response = operations.response.sample(stream).unwrap_or_default();
        let failback = operations.pool_failover.sample(stream).unwrap_or_default();
        pool.stage = Stage::FailingBack;
        Self::schedule(
            moment,
            front_end,
            pool,
            response.saturating_add(failback),
            Step::FailBack,
        );
    }

    /// Whether `front_end`'s users are homed elsewhere or an Edge pool configured to
    /// forward to it forwards elsewhere.
    fn anything_away(&self, topology: &Topology, front_end: FrontEndPoolIndex) -> bool {
        self.home[front_end] != front_end
            || topology
                .edge_pools
                .iter()
                .zip(self.next_hop.iter())
                .any(|(pool, &now)| pool.next_hop == Some(front_end) && now != Some(front_end))
    }

    fn schedule(
        moment: &mut Moment<'_>,
        front_end: FrontEndPoolIndex,
        pool: &mut PoolRecovery,
        after: SimDuration,
        step: Step,
    ) {
        pool.generation = pool.generation.wrapping_add(1);
        moment.queue.push_tied(
            moment.now.saturating_add(after),
            EventClass::Administrator,
            u128::from(moment.topology.front_end_pools[front_end.index()].stream_key),
            Event::Recovery {
                front_end,
                generation: pool.generation,
                step,
            },
        );
    }

    /// A recovery step of `front_end` is due. Returns what happened (in words when the
    /// moment is described), or `None` for a stale event.
    pub fn step(
        &mut self,
        moment: &mut Moment<'_>,
        front_end: FrontEndPoolIndex,
        generation: u32,
        step: Step,
    ) -> Option<String> {
        let pool = &self.pools[front_end];
        let expected = match step {
            Step::Decide => Stage::Deciding,
            Step::FailOver => Stage::FailingOver,
            Step::FailBack => Stage::FailingBack,
        };
        if pool.generation != generation || pool.stage != expected {
            return None;
        }
        let mut said = String::new();
        match step {
            Step::Decide => self.decide(moment, front_end, &mut said),
            Step::FailOver => self.fail_over(moment, front_end, &mut said),
            Step::FailBack => self.fail_back(moment, front_end, &mut said),
        }
        Some(said.trim_start_matches("; ").to_string())
    }

    /// The decision after `front_end`'s loss: every Edge pool forwarding to it gets a new
    /// next hop (or waits for one), and its users' failover starts if it has a backup and
    /// they are at home.
    fn decide(&mut self, moment: &mut Moment<'_>, front_end: FrontEndPoolIndex, said: &mut String) {
        moment.say(
            said,
            format_args!("decision on the loss of {}", moment.front_end_id(front_end)),
        );
        for edge in self.next_hop.indices() {
            if self.next_hop[edge] == Some(front_end) {
                self.move_next_hop(moment, edge, said);
            }
        }
        let backup = moment.topology.front_end_pools[front_end.index()].backup;
        let pool = &mut self.pools[front_end];
        match backup {
            Some(backup) if self.home[front_end] == front_end => {
                moment.say(
                    said,
                    format_args!("; failover to {} begins", moment.front_end_id(backup)),
                );
                pool.stage = Stage::FailingOver;
                let after = pool.failover;
                Self::schedule(moment, front_end, pool, after, Step::FailOver);
            }
            _ => pool.stage = Stage::Decided,
        }
    }

    /// Moves `edge`'s next hop away from its current, down FE pool N: to N's backup if it
    /// is up, else the first up FE pool at the Edge pool's site, else the first up FE pool
    /// in file order; with none up, the change waits for one.
    fn move_next_hop(&mut self, moment: &Moment<'_>, edge: EdgePoolIndex, said: &mut String) {
        let Some(from) = self.next_hop[edge] else {
            return;
        };
        let topology = moment.topology;
        let up = |front_end: FrontEndPoolIndex| moment.physical.front_end_up[front_end];
        let site = topology.edge_pools[edge.index()].site;
        let all = || (0..topology.front_end_pools.len()).map(FrontEndPoolIndex::from_index);
        let to = topology.front_end_pools[from.index()]
            .backup
            .filter(|&backup| up(backup))
            .or_else(|| {
                all().find(|&fe| up(fe) && topology.front_end_pools[fe.index()].site == site)
            })
            .or_else(|| all().find(|&fe| up(fe)));
        let edge_id = &topology.edge_pools[edge.index()].id;
        match to {
            Some(to) => {
                self.next_hop[edge] = Some(to);
                self.next_hop_waits[edge] = false;
                moment.say(
                    said,
                    format_args!(
                        "; next hop of {edge_id} {} → {}",
                        moment.front_end_id(from),
                        moment.front_end_id(to)
                    ),
                );
            }
            None => {
                self.next_hop_waits[edge] = true;
                moment.say(
                    said,
                    format_args!("; no Front End pool up yet for the next hop of {edge_id}"),
                );
            }
        }
    }

    /// The failover of `front_end` is due: its users are homed on the backup, or wait
    /// for it to be up.
    fn fail_over(&mut self, moment: &Moment<'_>, front_end: FrontEndPoolIndex, said: &mut String) {
        let backup = moment.topology.front_end_pools[front_end.index()]
            .backup
            .expect("only a pool with a backup fails over");
        if moment.physical.front_end_up[backup] {
            self.complete_failover(moment, front_end, backup, said);
        } else {
            self.pools[front_end].stage = Stage::WaitingForBackup;
            moment.say(
                said,
                format_args!(
                    "failover of {} waits: {} is down",
                    moment.front_end_id(front_end),
                    moment.front_end_id(backup)
                ),
            );
        }
    }

    fn complete_failover(
        &mut self,
        moment: &Moment<'_>,
        front_end: FrontEndPoolIndex,
        backup: FrontEndPoolIndex,
        said: &mut String,
    ) {
        self.home[front_end] = backup;
        self.pools[front_end].stage = Stage::Decided;
        moment.say(
            said,
            format_args!(
                "; users of {} failed over to {}",
                moment.front_end_id(front_end),
                moment.front_end_id(backup)
            ),
        );
    }

    /// The failback of `front_end`: its users and the Edge pools configured to forward to
    /// it return.
    fn fail_back(&mut self, moment: &Moment<'_>, front_end: FrontEndPoolIndex, said: &mut String) {
        self.pools[front_end].stage = Stage::Idle;
        moment.say(
            said,
            format_args!("failback to {}", moment.front_end_id(front_end)),
        );
        if self.home[front_end] != front_end {
            self.home[front_end] = front_end;
            moment.say(said, format_args!("; its users return"));
        }
        for (edge, pool) in moment.topology.edge_pools.iter().enumerate() {
            let edge = EdgePoolIndex::from_index(edge);
            if pool.next_hop == Some(front_end) && self.next_hop[edge] != Some(front_end) {
                self.next_hop[edge] = Some(front_end);
                self.next_hop_waits[edge] = false;
                moment.say(said, format_args!("; next hop of {} returns", pool.id));
            }
        }
    }

    /// Failovers waiting for their backup and next-hop changes waiting for a FE pool are
    /// made the moment one is up; a next-hop change whose pool is back lapses.
    fn make_waiting(&mut self, moment: &Moment<'_>, said: &mut String) {
        for front_end in self.home.indices() {
            if self.pools[front_end].stage != Stage::WaitingForBackup {
                continue;
            }
            let backup = moment.topology.front_end_pools[front_end.index()]
                .backup
                .expect("only a pool with a backup fails over");
            if moment.physical.front_end_up[backup] {
                self.complete_failover(moment, front_end, backup, said);
            }
        }
        for edge in self.next_hop_waits.indices() {
            if !self.next_hop_waits[edge] {
                continue;
            }
            match self.next_hop[edge] {
                Some(now) if moment.physical.front_end_up[now] => {
                    self.next_hop_waits[edge] = false;
                }
                _ if moment.physical.front_end_up.iter().any(|&up| up) => {
                    self.move_next_hop(moment, edge, said);
                }
                _ => {}
            }
        }
    }
}
