//! Candidates of `edgesim explore` (docs/scenario.md, "explore"): every combination the
//! decision space allows, each a set of edits by id of the baseline layout — exactly
//! what a `[[layouts]]` entry would write — so that any candidate can be written out
//! ([`Candidate::layout_entry`]) and run on its own, and is materialised through the
//! scenario loader like a layout ([`materialise`]).

use crate::scenario::explore::{ExploreSpace, SrvList};
use crate::scenario::tree::{Node, NodeValue};
use crate::scenario::{LoadError, LoadedScenario};
use crate::topology::Topology;

/// One candidate: its name and its edits of the baseline layout.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// `c1`, `c2`, ... in generation order (zero-padded to sort as text).
    pub name: String,
    /// Each edit: a dotted key path and its value, in a fixed order.
    pub edits: Vec<(String, Node)>,
    /// What it changes, in words: `remote-access SRV order edge-a > edge-b; route
    /// edge-b; edge-c 3 servers`.
    pub changes: String,
}

/// A value of an edit.
fn integer(value: i64) -> Node {
    Node {
        value: NodeValue::Integer(value),
        span: None,
    }
}

fn string(value: &str) -> Node {
    Node {
        value: NodeValue::String(value.to_string()),
        span: None,
    }
}

/// Every order of `0..n`, in lexicographic order.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut all = Vec::new();
    let mut current: Vec<usize> = (0..n).collect();
    loop {
        all.push(current.clone());
        // The next permutation in lexicographic order.
        let Some(i) = (1..n).rev().find(|&i| current[i - 1] < current[i]) else {
            return all;
        };
        let j = (i..n)
            .rev()
            .find(|&j| current[j] > current[i - 1])
            .expect("a larger element follows");
        current.swap(i - 1, j);
        current[i..].reverse();
    }
}

/// One dimension of the space: its choices, each a list of edits and a phrase.
type Dimension = Vec<(Vec<(String, Node)>, String)>;

/// The choices of each dimension `space` opens on `layout`.
fn dimensions(space: &ExploreSpace, layout: &Topology) -> Vec<Dimension> {
    let pool_id = |index: usize| layout.edge_pools[index].id.clone();
    let mut dimensions: Vec<Dimension> = Vec::new();
    for list in &space.reorder {
        let records = match list {
            SrvList::RemoteAccess => layout.dns.remote_access.records(),
            SrvList::Federation => layout.dns.federation.records(),
        };
        let targets: Vec<String> = records.iter().map(|r| pool_id(r.target.index())).collect();
        dimensions.push(
            permutations(targets.len())
                .into_iter()
                .map(|order| {
                    let edits = order
                        .iter()
                        .enumerate()
                        .map(|(rank, &record)| {
                            (
                                format!("{}.{}.priority", list.key(), targets[record]),
                                integer(10 * (rank as i64 + 1)),
                            )
                        })
                        .collect();
                    let named: Vec<&str> = order.iter().map(|&r| targets[r].as_str()).collect();
                    (edits, format!("{} {}", list.title(), named.join(" > ")))
                })
                .collect(),
        );
    }
    for (key, words, pools) in [
        ("federation.outbound_route", "route", &space.route),
        ("federation.xmpp_gateway", "gateway", &space.gateway),
    ] {
        if !pools.is_empty() {
            dimensions.push(
                pools
                    .iter()
                    .map(|id| (vec![(key.to_string(), string(id))], format!("{words} {id}")))
                    .collect(),
            );
        }
    }
    for (id, low, high) in &space.servers {
        dimensions.push(
            (*low..=*high)
                .map(|servers| {
                    (
                        vec![(
                            format!("edge_pools.{id}.servers"),
                            integer(i64::from(servers)),
                        )],
                        format!("{id} {servers} servers"),
                    )
                })
                .collect(),
        );
    }
    dimensions
}

/// Every candidate of `space` on `layout`: the product of its dimensions, the first
/// dimension varying slowest.
pub fn candidates(space: &ExploreSpace, layout: &Topology) -> Vec<Candidate> {
    let dimensions = dimensions(space, layout);
    let total: usize = dimensions.iter().map(Vec::len).product();
    let width = total.to_string().len();
    (0..total)
        .map(|index| {
            let mut rest = index;
            let mut picks = vec![0; dimensions.len()];
            for (d, dimension) in dimensions.iter().enumerate().rev() {
                picks[d] = rest % dimension.len();
                rest /= dimension.len();
            }
            let mut edits = Vec::new();
            let mut phrases = Vec::new();
            for (dimension, &pick) in dimensions.iter().zip(&picks) {
                let (choice_edits, phrase) = &dimension[pick];
                edits.extend(choice_edits.iter().cloned());
                phrases.push(phrase.clone());
            }
            Candidate {
                name: format!("c{:0width$}", index + 1),
                edits,
                changes: phrases.join("; "),
            }
        })
        .collect()
}

impl Candidate {
    /// The edits as one overlay, to merge over a layout like a `[[layouts]]` entry.
    pub fn overlay(&self) -> Node {
        self.edits.iter().fold(
            Node {
                value: NodeValue::Table(Vec::new()),
                span: None,
            },
            |overlay, (key, value)| {
                let path: Vec<&str> = key.split('.').collect();
                crate::scenario::layout::merge(&overlay, &Node::at_path(&path, value.clone()))
            },
        )
    }

    /// The candidate as a `[[layouts]]` entry a scenario accepts: its name, its changes
    /// as the description, and one dotted key per edit.
    pub fn layout_entry(&self) -> String {
        let mut text = format!(
            "[[layouts]]\nname = \"{}\"\ndescription = \"{}\"\n",
            self.name,
            self.changes.replace('\\', "\\\\").replace('"', "\\\"")
        );
        for (key, value) in &self.edits {
            let quoted: Vec<String> = key.split('.').map(quote_key).collect();
            let value = match &value.value {
                NodeValue::String(s) => format!("\"{s}\""),
                _ => value.to_toml_text(),
            };
            text.push_str(&format!("{} = {value}\n", quoted.join(".")));
        }
        text
    }
}

/// A key as TOML writes it: bare when it can be, quoted otherwise.
fn quote_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_string()
    } else {
        format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The topologies of `candidate`: the scenario `text` (from `file`) with the candidate's
/// edits merged over every layout, the cells of its first layout (one per assumption,
/// or the layout alone), each named after the candidate.
pub fn materialise(
    file: &str,
    text: &str,
    candidate: &Candidate,
) -> Result<Vec<Topology>, LoadError> {
    let loaded: LoadedScenario =
        crate::scenario::load_str_with(file, text, Some(&candidate.overlay()))?;
    let first = loaded
        .scenario
        .layouts
        .first()
        .map(|t| t.layout_name.clone())
        .unwrap_or_default();
    Ok(loaded
        .scenario
        .layouts
        .into_iter()
        .filter(|t| t.layout_name == first)
        .map(|mut t| {
            t.layout_name = candidate.name.clone();
            t
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_every_order_once_in_lexicographic_order() {
        assert_eq!(permutations(1), vec![vec![0]]);
        assert_eq!(
            permutations(3),
            vec![
                vec![0, 1, 2],
                vec![0, 2, 1],
                vec![1, 0, 2],
                vec![1, 2, 0],
                vec![2, 0, 1],
                vec![2, 1, 0]
            ]
        );
        assert_eq!(permutations(5).len(), 120);
        let mut sorted = permutations(4);
        sorted.dedup();
        assert_eq!(sorted.len(), 24);
    }
}

/// How a search spends replications (docs/output.md, "Explore").
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// The chance the procedure may eliminate the best candidate, at most.
    pub alpha: f64,
    /// Replications of every candidate in the screening stage.
    pub first_stage: u64,
    /// Worker threads (results never depend on them).
    pub threads: Option<usize>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            alpha: 0.05,
            first_stage: 10,
            threads: None,
        }
    }
}

/// Where a candidate ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Still in the running when the search stopped.
    Survived,
    /// Eliminated after `replications`: significantly worse than `by`.
    Eliminated {
        /// Replications it had then.
        replications: u64,
        /// The candidate then best by its mean.
        by: String,
    },
}

/// One candidate's outcome.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The candidate.
    pub candidate: Candidate,
    /// Replications simulated for it.
    pub replications: u64,
    /// Its mean score, weighted user-minutes per year.
    pub score_user_min_per_year: f64,
    /// Where it ended.
    pub status: Status,
}

/// What a search found.
#[derive(Clone, Debug)]
pub struct SearchResults {
    /// Every candidate, in generation order.
    pub outcomes: Vec<Outcome>,
    /// The survivors, best mean first.
    pub selected: Vec<usize>,
    /// Replications spent over all candidates.
    pub replications_spent: u64,
}

/// Sequential elimination on common random numbers: every surviving candidate runs the
/// same replications; after each stage (the first `first_stage` replications, then
/// doubling) each is compared with the best by its mean, paired replication by
/// replication, and eliminated when its score is significantly higher. Stage `s` of a
/// search with `k` survivors uses level `alpha / 2^s / (k − 1)` per comparison, so over
/// every stage and comparison the best candidate is eliminated with probability at most
/// `alpha` (a union bound). It stops with one survivor, when every survivor is within the
/// score's materiality threshold of the best (their upper bounds below it), or at the
/// scenario's replications.
pub fn search(
    scenario: &crate::topology::Scenario,
    topologies: Vec<Topology>,
    candidates: Vec<Candidate>,
    options: &SearchOptions,
) -> Result<SearchResults, String> {
    use rayon::prelude::*;
    let study_scenario = scenario.with_variants(topologies);
    let study = crate::stats::Study::new(&study_scenario);
    if study.objective.is_none() {
        return Err(
            "explore ranks candidates by the [objective] score: add [objective] to the scenario"
                .to_string(),
        );
    }
    let pool = crate::montecarlo::thread_pool(options.threads)?;
    let total = scenario.simulation.replications;
    let threshold = scenario.materiality.score_user_min_per_year.unwrap_or(0.0);
    let count = candidates.len();
    let mut scores: Vec<Vec<u64>> = vec![Vec::new(); count];
    let mut status: Vec<Status> = vec![Status::Survived; count];
    let mut done: u64 = 0;
    let mut stage: i32 = 0;
    loop {
        let target = if done == 0 {
            options.first_stage.min(total)
        } else {
            (done * 2).min(total)
        };
        let alive: Vec<usize> = (0..count)
            .filter(|&i| status[i] == Status::Survived)
            .collect();
        let runs: Vec<(usize, u64)> = alive
            .iter()
            .flat_map(|&i| (done..target).map(move |r| (i, r)))
            .collect();
        let simulated: Vec<u64> = pool.install(|| {
            runs.par_iter()
                .map(|&(i, r)| {
                    let result = crate::model::simulate_replication(
                        &study_scenario.layouts[i],
                        &study_scenario.simulation,
                        r,
                        &mut crate::model::NoObserver,
                    );
                    study.score_of(i, &result).unwrap_or(0)
                })
                .collect()
        });
        for (&(i, _), score) in runs.iter().zip(simulated) {
            scores[i].push(score);
        }
        done = target;
        stage += 1;
        let mean = |i: usize| scores[i].iter().map(|&s| s as f64).sum::<f64>() / done as f64;
        let best = *alive
            .iter()
            .min_by(|&&a, &&b| mean(a).total_cmp(&mean(b)))
            .expect("a survivor");
        let level = options.alpha / 2f64.powi(stage) / (alive.len().max(2) - 1) as f64;
        let mut all_within = true;
        for &i in &alive {
            if i == best {
                continue;
            }
            let mut paired = crate::stats::PairedSums::default();
            for (a, b) in scores[i].iter().zip(&scores[best]) {
                paired.add(i128::from(*a) - i128::from(*b));
            }
            let cap = study.score_cap(i).max(study.score_cap(best));
            let interval = crate::stats::interval::difference_interval(
                &paired.increases.sample(done),
                &paired.decreases.sample(done),
                cap,
                level,
            );
            match interval.ends() {
                Some((low, _))
                    if low > 0.0
                        && matches!(
                            interval,
                            crate::stats::interval::Interval::TwoSided { .. }
                        ) =>
                {
                    status[i] = Status::Eliminated {
                        replications: done,
                        by: candidates[best].name.clone(),
                    };
                }
                Some((_, high)) if study.score_user_minutes(high) < threshold => {}
                _ => all_within = false,
            }
        }
        let survivors = status.iter().filter(|s| **s == Status::Survived).count();
        if survivors <= 1 || all_within || done >= total {
            break;
        }
    }
    let spent = scores.iter().map(|s| s.len() as u64).sum();
    let mean_of = |i: usize| {
        let n = scores[i].len().max(1) as f64;
        study.score_user_minutes(scores[i].iter().map(|&s| s as f64).sum::<f64>() / n)
    };
    let mut selected: Vec<usize> = (0..count)
        .filter(|&i| status[i] == Status::Survived)
        .collect();
    selected.sort_by(|&a, &b| mean_of(a).total_cmp(&mean_of(b)));
    let outcomes = candidates
        .into_iter()
        .enumerate()
        .map(|(i, candidate)| Outcome {
            candidate,
            replications: scores[i].len() as u64,
            score_user_min_per_year: mean_of(i),
            status: status[i].clone(),
        })
        .collect();
    Ok(SearchResults {
        outcomes,
        selected,
        replications_spent: spent,
    })
}
