//! Many replications in parallel (docs/model.md, docs/reliability.md): every layout of a replication runs on
//! the same random streams (common random numbers), replications run on a rayon pool in
//! fixed-size chunks, and their results are folded and streamed out in replication
//! order, so the output depends only on the scenario, the seed and the replication
//! count — never on the number of threads or on sharding.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::model::{
    NoObserver, ReplicationResult, simulate_replication, simulate_replication_unless_cancelled,
};
use crate::stats::Study;
use crate::topology::Scenario;

/// Replications simulated in parallel before their results are folded in order. Only
/// memory depends on it, never the results.
pub const CHUNK: usize = 256;

/// One shard of a run: the replications whose index is congruent to `index` modulo
/// `count` (`--shard K/N` is `index = K − 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 0-based shard index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

/// The most shards a run may be split into (docs/distributed.md): far more machines than a
/// study needs, and a bound on what `merge` reads.
pub const MAX_SHARDS: u64 = 100_000;

impl Shard {
    /// The whole run.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N` with 1 ≤ K ≤ N ≤ [`MAX_SHARDS`].
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("--shard {text}: write K/N, e.g. 2/8"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("--shard {text}: K must be a whole number"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard {text}: N must be a whole number"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!("--shard {text}: use 1 ≤ K ≤ N"));
        }
        if n > MAX_SHARDS {
            return Err(format!("--shard {text}: use at most {MAX_SHARDS} shards"));
        }
        Ok(Shard {
            index: k - 1,
            count: n,
        })
    }

    /// The replications of this shard, in order.
    pub fn replications(self, total: u64) -> impl Iterator<Item = u64> {
        (self.index..total).step_by(self.count as usize)
    }

    /// How many replications this shard runs.
    pub fn size(self, total: u64) -> u64 {
        if self.index >= total {
            0
        } else {
            (total - self.index).div_ceil(self.count)
        }
    }
}

/// Simulates every layout of replication `replication`.
pub fn simulate_all_layouts(scenario: &Scenario, replication: u64) -> Vec<ReplicationResult> {
    scenario
        .layouts
        .iter()
        .map(|topology| {
            simulate_replication(topology, &scenario.simulation, replication, &mut NoObserver)
        })
        .collect()
}

/// What simulating one replication of every layout in parallel with others gave.
enum Outcome {
    /// Every layout ran to its horizon.
    Done(Vec<ReplicationResult>),
    /// A layout passed its cap on events (its explanation); the run fails.
    Stopped(String),
    /// Another replication stopped first, and this one gave up.
    Cancelled,
}

/// Simulates every layout of replication `replication`, giving up when `cancel` is set
/// and setting it when a layout passes its cap on events.
fn simulate_unless_cancelled(
    scenario: &Scenario,
    replication: u64,
    cancel: &AtomicBool,
) -> Outcome {
    let mut layouts = Vec::with_capacity(scenario.layouts.len());
    for topology in &scenario.layouts {
        let Some(result) = simulate_replication_unless_cancelled(
            topology,
            &scenario.simulation,
            replication,
            cancel,
        ) else {
            return Outcome::Cancelled;
        };
        if let Some(stopped) = &result.stopped {
            cancel.store(true, Ordering::Relaxed);
            return Outcome::Stopped(stopped.explain(topology, replication));
        }
        layouts.push(result);
    }
    Outcome::Done(layouts)
}

/// The error of a chunk in which a replication passed its cap: that of the lowest-numbered
/// replication that passes it, whichever thread got there first. Replications that gave
/// up before it are simulated again, one at a time, to see whether they pass it too, so
/// the message depends only on the scenario, never on the threads.
fn first_stopped(scenario: &Scenario, indices: &[u64], outcomes: &[Outcome]) -> String {
    let never = AtomicBool::new(false);
    for (&replication, outcome) in indices.iter().zip(outcomes) {
        match outcome {
            Outcome::Done(_) => {}
            Outcome::Stopped(message) => return message.clone(),
            Outcome::Cancelled => {
                if let Outcome::Stopped(message) =
                    simulate_unless_cancelled(scenario, replication, &never)
                {
                    return message;
                }
            }
        }
    }
    unreachable!("a chunk whose cancel flag is set holds a stopped replication")
}

/// Runs the shard's replications on `threads` threads (rayon's default when `None`),
/// calling `each` with every replication's results in replication order, and returns
/// the accumulated study.
pub fn run(
    scenario: &Scenario,
    shard: Shard,
    threads: Option<usize>,
    mut each: impl FnMut(u64, &[ReplicationResult]) -> Result<(), String>,
) -> Result<Study, String> {
    let pool = thread_pool(threads)?;
    let mut study = Study::new(scenario);
    extend(
        scenario,
        &pool,
        shard.replications(scenario.simulation.replications),
        &mut study,
        &mut each,
    )?;
    Ok(study)
}

/// A rayon pool of `threads` threads (rayon's default when `None`).
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, String> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = threads {
        builder = builder.num_threads(threads);
    }
    builder
        .build()
        .map_err(|e| format!("cannot start threads: {e}"))
}

/// Adds `replications` (in increasing order) to `study`, simulating them on `pool` in
/// chunks of [`CHUNK`] and folding each chunk in replication order, and calls `each`
/// with every replication's results in that order: the study depends only on which
/// replications were added, never on the pool.
pub fn extend(
    scenario: &Scenario,
    pool: &rayon::ThreadPool,
    replications: impl Iterator<Item = u64>,
    study: &mut Study,
    each: &mut impl FnMut(u64, &[ReplicationResult]) -> Result<(), String>,
) -> Result<(), String> {
    let mut indices: Vec<u64> = Vec::with_capacity(CHUNK);
    let mut replications = replications.peekable();
    while replications.peek().is_some() {
        indices.clear();
        indices.extend(replications.by_ref().take(CHUNK));
        let cancel = AtomicBool::new(false);
        let outcomes: Vec<Outcome> = pool.install(|| {
            indices
                .par_iter()
                .map(|&r| simulate_unless_cancelled(scenario, r, &cancel))
                .collect()
        });
        if cancel.load(Ordering::Relaxed) {
            return Err(first_stopped(scenario, &indices, &outcomes));
        }
        for (&replication, outcome) in indices.iter().zip(&outcomes) {
            let Outcome::Done(layouts) = outcome else {
                unreachable!("no replication gives up unless one stopped");
            };
            study.add(replication, layouts);
            each(replication, layouts)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_replications() {
        let shard = Shard::parse("2/3").unwrap();
        assert_eq!(shard, Shard { index: 1, count: 3 });
        assert_eq!(shard.replications(8).collect::<Vec<_>>(), vec![1, 4, 7]);
        assert_eq!(shard.size(8), 3);
        assert_eq!(Shard::parse("3/3").unwrap().size(8), 2);
        assert_eq!(Shard::parse("3/3").unwrap().size(2), 0);
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("two").is_err());
    }
}
