//! The remote-access answers users get (rules R3, G1; docs/model.md, "Regional answers"):
//! `dns.remote_access` for the FE pools no region names, else their region's SRV list,
//! or under `geo_dns` the one pool its traffic manager names, as clients' caches hold it.

use crate::model::dns::TrafficManager;
use crate::time::SimDuration;
use crate::topology::{EdgePoolIndex, FrontEndPoolIndex, PerEdge, PerFrontEnd, RegionAnswer};
use crate::topology::{SrvRecord, SrvRecords, Topology};

use super::{Context, RemoteAccess};

/// The answer of `dns.remote_access` or of one region.
pub(super) struct Answer {
    /// What clients walk when they fail over (R3): the SRV list, or under `geo_dns` the
    /// one pool clients' cached answer names.
    pub(super) walk: SrvRecords,
    /// What users signing in again walk towards, by rank: the SRV list's priority groups;
    /// under `geo_dns`, the cached answer (rank 0) before every other pool of the list
    /// (rank 1), so that users elsewhere return to the pool named.
    pub(super) ranked: SrvRecords,
    /// Per Edge pool, the index of its priority group in `ranked`.
    pub(super) rank: PerEdge<Option<u32>>,
    /// Where each priority group of `ranked` lies in its records, rank by rank (planning
    /// reads a rank's group for every walker at every event).
    ranked_groups: Vec<std::ops::Range<usize>>,
    /// Under `geo_dns`: the traffic manager, its health-check delay, and the pools of the
    /// list in its order of preference.
    geo: Option<GeoAnswer>,
    /// Whether some FE pool's users get this answer.
    pub(super) in_use: bool,
}

/// A region's traffic manager (rule G1, like F1's for federation).
struct GeoAnswer {
    manager: TrafficManager,
    detect: SimDuration,
    /// The list's pools in order of preference.
    preference: Vec<EdgePoolIndex>,
}

/// Every answer, and which one each FE pool's users get.
pub(super) struct Answers {
    /// `dns.remote_access` first, then one per region in file order.
    pub(super) lists: Vec<Answer>,
    /// Per FE pool, its answer in `lists`.
    pub(super) of: PerFrontEnd<usize>,
    /// Per Edge pool: whether some answer in use lists it.
    pub(super) listed: PerEdge<bool>,
    /// The most priority groups of any answer in use's `ranked`.
    pub(super) levels: usize,
    /// Whether one answer is in use: every FE pool's users walk the same ranks.
    single: bool,
}

impl Answer {
    fn srv(records: &SrvRecords, edge_count: usize) -> Self {
        let mut answer = Answer {
            walk: records.clone(),
            ranked: records.clone(),
            rank: PerEdge::filled(edge_count, None),
            ranked_groups: Vec::new(),
            geo: None,
            in_use: false,
        };
        answer.rank_pools();
        answer
    }

    fn geo_dns(records: &SrvRecords, detect: SimDuration, topology: &Topology) -> Self {
        let edge_count = topology.edge_pools.len();
        let mut preference = crate::model::srv::preference_order(records, edge_count);
        preference.truncate(records.records().len());
        let manager = TrafficManager::new(preference.clone(), edge_count, topology.dns.ttl);
        let mut answer = Answer {
            walk: SrvRecords::default(),
            ranked: SrvRecords::default(),
            rank: PerEdge::filled(edge_count, None),
            ranked_groups: Vec::new(),
            geo: Some(GeoAnswer {
                manager,
                detect,
                preference,
            }),
            in_use: false,
        };
        let first = answer.geo.as_ref().map(|geo| geo.preference[0]);
        answer.name(first.expect("a region has records"));
        answer
    }

    /// Under `geo_dns`: clients' caches now hold `pool`.
    fn name(&mut self, pool: EdgePoolIndex) {
        let geo = self.geo.as_ref().expect("geo_dns answers name a pool");
        let record = |target, priority| SrvRecord {
            target,
            priority,
            weight: 1,
        };
        self.walk = SrvRecords::new(vec![record(pool, 0)]);
        self.ranked = SrvRecords::new(
            geo.preference
                .iter()
                .map(|&target| record(target, u16::from(target != pool)))
                .collect(),
        );
        self.rank_pools();
    }

    fn rank_pools(&mut self) {
        self.rank.iter_mut().for_each(|rank| *rank = None);
        self.ranked_groups.clear();
        let mut start = 0;
        for (rank, group) in self.ranked.priority_groups().enumerate() {
            for record in group {
                self.rank[record.target] = Some(u32::try_from(rank).expect("few SRV ranks"));
            }
            self.ranked_groups.push(start..start + group.len());
            start += group.len();
        }
    }

    /// The records of rank `rank` among the pools users sign in again towards.
    pub(super) fn ranked_group(&self, rank: usize) -> Option<&[SrvRecord]> {
        let range = self.ranked_groups.get(rank)?.clone();
        Some(&self.ranked.records()[range])
    }

    /// The pool clients' cached answer names, under `geo_dns`.
    pub(super) fn named(&self) -> Option<EdgePoolIndex> {
        self.geo.as_ref().map(|_| self.walk.records()[0].target)
    }

    /// Under `geo_dns`: whether the traffic manager already answers another pool than
    /// clients' caches hold (they wait for the TTL), rather than not having seen the
    /// change yet.
    pub(super) fn cache_is_stale(&self) -> bool {
        self.geo
            .as_ref()
            .is_some_and(|geo| Some(geo.manager.answer.published()) != self.named())
    }
}

impl Answers {
    /// The answers of `topology`'s layout at time 0.
    pub(super) fn new(topology: &Topology) -> Self {
        let edge_count = topology.edge_pools.len();
        let mut lists = vec![Answer::srv(&topology.dns.remote_access, edge_count)];
        for region in &topology.dns.regions {
            lists.push(match region.answer {
                RegionAnswer::Srv => Answer::srv(&region.remote_access, edge_count),
                RegionAnswer::GeoDns { detect } => {
                    Answer::geo_dns(&region.remote_access, detect, topology)
                }
            });
        }
        let of = PerFrontEnd::from_fn(topology.front_end_pools.len(), |front_end| {
            topology
                .dns
                .regions
                .iter()
                .position(|region| region.front_end_pools.contains(&front_end))
                .map_or(0, |region| region + 1)
        });
        for &list in &of {
            lists[list].in_use = true;
        }
        let single = lists.iter().filter(|answer| answer.in_use).count() <= 1;
        let mut answers = Answers {
            lists,
            of,
            listed: PerEdge::filled(edge_count, false),
            levels: 0,
            single,
        };
        answers.survey();
        answers
    }

    /// Which pools some answer in use lists, and how many ranks the plan walks.
    fn survey(&mut self) {
        self.listed.iter_mut().for_each(|listed| *listed = false);
        self.levels = 0;
        for answer in self.lists.iter().filter(|answer| answer.in_use) {
            for record in answer.ranked.records() {
                self.listed[record.target] = true;
            }
            self.levels = self.levels.max(answer.ranked_groups.len());
        }
    }

    /// The answer FE pool `front_end`'s users get.
    pub(super) fn of(&self, front_end: FrontEndPoolIndex) -> &Answer {
        &self.lists[self.of[front_end]]
    }

    /// The rank of `edge` among the pools `front_end`'s users sign in again towards.
    pub(super) fn rank(&self, front_end: FrontEndPoolIndex, edge: EdgePoolIndex) -> Option<u32> {
        self.of(front_end).rank[edge]
    }

    /// The answers in use that have a priority group at `level` of `ranked`, with it.
    pub(super) fn groups_at(&self, level: usize) -> impl Iterator<Item = &[SrvRecord]> {
        self.lists
            .iter()
            .filter(|answer| answer.in_use)
            .filter_map(move |answer| answer.ranked_group(level))
    }

    /// Whether one answer is in use: every FE pool's users walk the same ranks.
    pub(super) fn single(&self) -> bool {
        self.single
    }

    /// The regions answering by geo-DNS whose list holds `pool` (by position in
    /// `dns.regions`), with their health-check delay: the traffic managers that must see
    /// its change.
    pub(super) fn watching(
        &self,
        pool: EdgePoolIndex,
    ) -> impl Iterator<Item = (usize, SimDuration)> + '_ {
        self.lists
            .iter()
            .enumerate()
            .filter_map(move |(index, answer)| {
                let geo = answer.geo.as_ref()?;
                (answer.in_use && geo.preference.contains(&pool)).then_some((index - 1, geo.detect))
            })
    }

    /// Answer `list`'s traffic manager now sees `pool` `up`; returns when clients'
    /// caches will hold a changed answer, if it changed.
    pub(super) fn health(
        &mut self,
        list: usize,
        now: SimDuration,
        pool: EdgePoolIndex,
        up: bool,
    ) -> Option<SimDuration> {
        let geo = self.lists[list].geo.as_mut()?;
        geo.manager.health(now, pool, up)
    }

    /// The pool the traffic manager of answer `list` publishes now.
    pub(super) fn published(&self, list: usize) -> Option<EdgePoolIndex> {
        self.lists[list]
            .geo
            .as_ref()
            .map(|geo| geo.manager.answer.published())
    }

    /// Clients' caches of answer `list` are read at `now`: returns the pool they name if
    /// it changed.
    pub(super) fn refresh(&mut self, list: usize, now: SimDuration) -> Option<EdgePoolIndex> {
        let answer = &mut self.lists[list];
        let cached = answer.geo.as_mut()?.manager.answer.cached(now);
        if answer.named() == Some(cached) {
            return None;
        }
        answer.name(cached);
        self.survey();
        Some(cached)
    }
}

impl RemoteAccess {
    /// The regions answering by geo-DNS whose traffic manager must see `pool`'s change,
    /// with their health-check delay (rule G1).
    pub fn watching(&self, pool: EdgePoolIndex) -> impl Iterator<Item = (usize, SimDuration)> + '_ {
        self.dns.watching(pool)
    }

    /// Region `region`'s traffic manager sees `pool` `up` (or down) now: returns when its
    /// remote users' caches will hold a changed answer, if it changed, and the pool it
    /// publishes now; `None` when what it publishes did not change (nothing any service
    /// reads changed).
    pub fn region_health(
        &mut self,
        region: usize,
        now: SimDuration,
        pool: EdgePoolIndex,
        up: bool,
    ) -> Option<(Option<SimDuration>, EdgePoolIndex)> {
        let before = self.dns.published(region + 1);
        let expiry = self.dns.health(region + 1, now, pool, up);
        let published = self.dns.published(region + 1).expect("a geo-DNS region");
        (before != Some(published)).then_some((expiry, published))
    }

    /// Region `region`'s remote users' caches are read now (the state must be
    /// materialized to now): if they name another pool, users sign in again towards it
    /// and walk to it when they fail over; cohorts waiting for a change walk now. Returns
    /// the pool named, if it changed (`None`: nothing changed).
    pub fn region_answer(&mut self, ctx: &mut Context<'_>, region: usize) -> Option<EdgePoolIndex> {
        let list = region + 1;
        let named = self.dns.refresh(list, ctx.now)?;
        // Ranks changed: which cells hold users off the best rank is found anew.
        for front_end in self.remote_users.indices() {
            if self.dns.of[front_end] != list {
                continue;
            }
            let mut pools = std::mem::take(&mut self.off_best[front_end]);
            pools.clear();
            pools.extend(self.load.indices().filter(|&edge| {
                self.desktop_on[(front_end, edge)] > 0.0
                    && self.dns.rank(front_end, edge).is_some_and(|rank| rank >= 1)
            }));
            self.off_best[front_end] = pools;
        }
        let of = &self.dns.of;
        let answered = |front_end: FrontEndPoolIndex| of[front_end] == list;
        let answered: PerFrontEnd<bool> = self.remote_users.indices().map(answered).collect();
        self.wake_parked(ctx, |front_end| answered[front_end]);
        Some(named)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
name = "answers"
[simulation]
horizon = "30d"
[[sites]]
id = "a"
[[sites]]
id = "b"
[[front_end_pools]]
id = "fe-a"
site = "a"
users = 1000
remote_users = 300
edge_pool = "edge-a"
[[front_end_pools]]
id = "fe-b"
site = "b"
users = 1000
remote_users = 300
edge_pool = "edge-b"
[[edge_pools]]
id = "edge-a"
site = "a"
servers = 2
internal_fqdn = "int-a.example.com"
external_fqdn = "sip-a.example.com"
[[edge_pools]]
id = "edge-b"
site = "b"
servers = 2
internal_fqdn = "int-b.example.com"
external_fqdn = "sip-b.example.com"
[dns]
ttl = "10m"
remote_access = [ { target = "edge-b", priority = 10, weight = 100 }, { target = "edge-a", priority = 20, weight = 100 } ]
[[dns.regions]]
id = "west"
sites = ["a"]
answer = "geo_dns"
geo_dns_detect = "2m"
remote_access = [ { target = "edge-a", priority = 10, weight = 100 }, { target = "edge-b", priority = 20, weight = 100 } ]
"#;

    const A: EdgePoolIndex = EdgePoolIndex(0);
    const B: EdgePoolIndex = EdgePoolIndex(1);
    const FE_A: FrontEndPoolIndex = FrontEndPoolIndex(0);
    const FE_B: FrontEndPoolIndex = FrontEndPoolIndex(1);

    fn minutes(m: u64) -> SimDuration {
        SimDuration::from_micros(m * 60_000_000)
    }

    #[test]
    fn a_geo_dns_region_ranks_the_pool_its_clients_were_told_first() {
        let loaded = crate::scenario::load_str("answers.toml", SCENARIO).expect("valid");
        let mut answers = Answers::new(&loaded.scenario.layouts[0]);
        // fe-b walks dns.remote_access (edge-b first); fe-a is told edge-a alone, and
        // returns to it from edge-b as it signs in again.
        assert_eq!(answers.of(FE_B).walk.records().len(), 2);
        assert_eq!(
            (answers.rank(FE_B, B), answers.rank(FE_B, A)),
            (Some(0), Some(1))
        );
        assert_eq!(answers.of(FE_A).named(), Some(A));
        assert_eq!(answers.of(FE_A).walk.records().len(), 1);
        assert_eq!(
            (answers.rank(FE_A, A), answers.rank(FE_A, B)),
            (Some(0), Some(1))
        );
        assert_eq!(answers.levels, 2);
        // The traffic manager watches both pools of its list, 2 min late.
        assert_eq!(
            answers.watching(A).collect::<Vec<_>>(),
            vec![(0, minutes(2))]
        );
        // It sees edge-a down at 5 min: it answers edge-b at once, clients' caches hold
        // edge-a for the 10 min TTL, so the cache is stale until 15 min.
        assert_eq!(answers.health(1, minutes(5), A, false), Some(minutes(15)));
        assert_eq!(answers.published(1), Some(B));
        assert!(answers.of(FE_A).cache_is_stale());
        assert_eq!(answers.refresh(1, minutes(14)), None);
        assert_eq!(answers.refresh(1, minutes(15)), Some(B));
        assert_eq!(answers.of(FE_A).named(), Some(B));
        assert!(!answers.of(FE_A).cache_is_stale());
        assert_eq!(
            (answers.rank(FE_A, B), answers.rank(FE_A, A)),
            (Some(0), Some(1))
        );
        // Nothing changed for fe-b.
        assert_eq!(
            (answers.rank(FE_B, B), answers.rank(FE_B, A)),
            (Some(0), Some(1))
        );
    }
}
