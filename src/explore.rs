//! Candidates of `edgesim explore` (docs/scenario.md, "explore"): every combination the
//! decision space allows, each a set of edits by id of the baseline layout — exactly
//! what a `[[layouts]]` entry would write — so that any candidate can be written out
//! ([`Candidate::layout_entry`]) and run on its own, and is materialised through the
//! scenario loader like a layout ([`materialise`]).

use crate::scenario::explore::{Criterion, ExploreSpace};
use crate::scenario::tree::{Node, NodeValue};
use crate::scenario::{LoadError, LoadedScenario};
use crate::stats::interval::Interval;
use crate::topology::Topology;
use crate::vocabulary::Service;

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
    /// Whether every choice is what the layout explored already has (its SRV lists in
    /// the same order with distinct priorities): the candidate is that layout as it is.
    pub as_explored: bool,
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

/// Every ranking of `n` records, as each record's rank (0 first): the strict orders, in
/// the lexicographic order of the records they put first, second, ...; with `ties`, also
/// every order with equal ranks (weak orders: 13 of 3 records, 4,683 of 6), in the
/// lexicographic order of the rank vectors.
fn rankings(n: usize, ties: bool) -> Vec<Vec<usize>> {
    if !ties {
        return permutations(n)
            .into_iter()
            .map(|order| {
                let mut ranks = vec![0; n];
                for (rank, &record) in order.iter().enumerate() {
                    ranks[record] = rank;
                }
                ranks
            })
            .collect();
    }
    let mut all = Vec::new();
    let mut ranks = vec![0usize; n];
    loop {
        // Keep the rank vectors whose ranks are 0..k with none skipped.
        let top = ranks.iter().copied().max().unwrap_or(0);
        if (0..=top).all(|rank| ranks.contains(&rank)) {
            all.push(ranks.clone());
        }
        // The next vector in lexicographic order, each rank below n.
        let Some(i) = (0..n).rev().find(|&i| ranks[i] + 1 < n) else {
            return all;
        };
        ranks[i] += 1;
        for rank in &mut ranks[i + 1..] {
            *rank = 0;
        }
    }
}

/// One dimension of the space: its choices, each a list of edits, a phrase, and whether
/// it is what the layout already has.
type Dimension = Vec<(Vec<(String, Node)>, String, bool)>;

/// The choices of each dimension `space` opens on `layout`.
fn dimensions(space: &ExploreSpace, layout: &Topology) -> Vec<Dimension> {
    let pool_id = |index: usize| layout.edge_pools[index].id.clone();
    let mut dimensions: Vec<Dimension> = Vec::new();
    for list in &space.reorder {
        // check_space made sure the layout has the list.
        let records = list.records(layout).unwrap_or_default();
        let targets: Vec<String> = records.iter().map(|r| pool_id(r.target.index())).collect();
        // The layout's own order as ranks: the dense rank of each record's priority.
        let mut priorities: Vec<u16> = records.iter().map(|r| r.priority).collect();
        priorities.sort_unstable();
        priorities.dedup();
        let current: Vec<usize> = records
            .iter()
            .map(|r| {
                priorities
                    .iter()
                    .position(|&p| p == r.priority)
                    .unwrap_or(0)
            })
            .collect();
        dimensions.push(
            rankings(targets.len(), space.equal_priorities)
                .into_iter()
                .map(|ranks| {
                    let edits = ranks
                        .iter()
                        .enumerate()
                        .map(|(record, &rank)| {
                            (
                                format!("{}.{}.priority", list.key(), targets[record]),
                                integer(10 * (rank as i64 + 1)),
                            )
                        })
                        .collect();
                    let groups: Vec<String> = (0..=ranks.iter().copied().max().unwrap_or(0))
                        .map(|rank| {
                            (0..ranks.len())
                                .filter(|&r| ranks[r] == rank)
                                .map(|r| targets[r].as_str())
                                .collect::<Vec<_>>()
                                .join(" = ")
                        })
                        .collect();
                    (
                        edits,
                        format!("{} {}", list.title(), groups.join(" > ")),
                        ranks == current,
                    )
                })
                .collect(),
        );
    }
    if !space.pairings.is_empty() {
        dimensions.push(pairing_choices(space, layout));
    }
    for (key, words, pools, current) in [
        (
            "federation.outbound_route",
            "route",
            &space.route,
            layout.federation.outbound_route,
        ),
        (
            "federation.xmpp_gateway",
            "gateway",
            &space.gateway,
            layout.federation.xmpp_gateway,
        ),
    ] {
        if !pools.is_empty() {
            let current = current.map(|pool| pool_id(pool.index()));
            dimensions.push(
                pools
                    .iter()
                    .map(|id| {
                        (
                            vec![(key.to_string(), string(id))],
                            format!("{words} {id}"),
                            current.as_deref() == Some(id.as_str()),
                        )
                    })
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
                        layout
                            .edge_pools
                            .iter()
                            .any(|p| &p.id == id && p.servers == servers),
                    )
                })
                .collect(),
        );
    }
    dimensions
}

/// The pairing plans of `space` as choices: each rewrites the layout's `front_end_pools`
/// whole, every `backup` removed and the plan's written on the first pool of each pair
/// (rule D1 pairs both ways).
fn pairing_choices(space: &ExploreSpace, layout: &Topology) -> Dimension {
    let index = |id: &str| layout.front_end_pools.iter().position(|p| p.id == id);
    let mut current: Vec<(usize, usize)> = layout
        .front_end_pools
        .iter()
        .enumerate()
        .filter_map(|(i, pool)| pool.backup.map(|b| (i.min(b.index()), i.max(b.index()))))
        .collect();
    current.sort_unstable();
    current.dedup();
    space
        .pairings
        .iter()
        .map(|plan| {
            let pools: Vec<Node> = match space.front_end_pools.as_ref().map(|n| &n.value) {
                Some(NodeValue::Array(items)) => items
                    .iter()
                    .map(|item| {
                        let id = match item.get("id").map(|n| &n.value) {
                            Some(NodeValue::String(id)) => id.clone(),
                            _ => String::new(),
                        };
                        let mut entries: Vec<crate::scenario::tree::Entry> = item
                            .as_table()
                            .unwrap_or(&[])
                            .iter()
                            .filter(|e| e.key != "backup")
                            .cloned()
                            .collect();
                        if let Some((_, backup)) = plan.iter().find(|(pool, _)| *pool == id) {
                            entries.push(crate::scenario::tree::Entry {
                                key: "backup".to_string(),
                                key_span: None,
                                node: string(backup),
                            });
                        }
                        Node {
                            value: NodeValue::Table(entries),
                            span: None,
                        }
                        .without_spans()
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let mut pairs: Vec<(usize, usize)> = plan
                .iter()
                .filter_map(|(a, b)| Some((index(a)?.min(index(b)?), index(a)?.max(index(b)?))))
                .collect();
            pairs.sort_unstable();
            let words = if plan.is_empty() {
                "no Front End pool paired".to_string()
            } else {
                format!(
                    "pairing {}",
                    plan.iter()
                        .map(|(a, b)| format!("{a} + {b}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            (
                vec![(
                    "front_end_pools".to_string(),
                    Node {
                        value: NodeValue::Array(pools),
                        span: None,
                    },
                )],
                words,
                pairs == current,
            )
        })
        .collect()
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
            let mut as_explored = true;
            for (dimension, &pick) in dimensions.iter().zip(&picks) {
                let (choice_edits, phrase, current) = &dimension[pick];
                edits.extend(choice_edits.iter().cloned());
                phrases.push(phrase.clone());
                as_explored &= current;
            }
            Candidate {
                name: format!("c{:0width$}", index + 1),
                edits,
                changes: phrases.join("; "),
                as_explored,
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
        self.layout_entry_over(&[])
    }

    /// [`Candidate::layout_entry`] of a candidate of a layout that itself makes `base`
    /// edits of the scenario: those first (less any the candidate sets), then its own.
    pub fn layout_entry_over(&self, base: &[(String, Node)]) -> String {
        let mut text = format!(
            "[[layouts]]\nname = \"{}\"\ndescription = \"{}\"\n",
            self.name,
            self.changes.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let own = base
            .iter()
            .filter(|(key, _)| !self.edits.iter().any(|(k, _)| k == key));
        for (key, value) in own.chain(&self.edits) {
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
/// edits merged over every layout, the cells of layout `explored` (one per assumption,
/// or the layout alone), each named after the candidate.
pub fn materialise(
    file: &str,
    text: &str,
    explored: &str,
    candidate: &Candidate,
) -> Result<Vec<Topology>, LoadError> {
    let loaded: LoadedScenario =
        crate::scenario::load_layouts_with(file, text, Some(&candidate.overlay()), Some(explored))?;
    Ok(loaded
        .scenario
        .layouts
        .into_iter()
        .filter(|t| t.layout_name == explored)
        .map(|mut t| {
            t.layout_name = candidate.name.clone();
            t
        })
        .collect())
}

/// Every candidate's cells (one topology per assumption, or one), materialised from
/// the scenario `loaded` was read from, on layout `explored`.
pub fn candidate_cells(
    loaded: &LoadedScenario,
    explored: &str,
    candidates: &[Candidate],
) -> Result<Vec<Vec<Topology>>, LoadError> {
    candidates
        .iter()
        .map(|c| materialise(&loaded.source.name, &loaded.source.text, explored, c))
        .collect()
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

    #[test]
    fn rankings_with_ties_are_the_weak_orders() {
        // The ordered Bell (Fubini) numbers: 1, 3, 13, 75, 541, 4683.
        for (n, count) in [(1, 1), (2, 3), (3, 13), (4, 75), (5, 541), (6, 4683)] {
            let all = rankings(n, true);
            assert_eq!(all.len(), count, "{n}");
            let mut unique = all.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), count);
        }
        assert_eq!(rankings(2, true), vec![vec![0, 0], vec![0, 1], vec![1, 0]]);
        // Without ties, the strict orders: record 0 first, then 1, ...
        assert_eq!(rankings(2, false), vec![vec![0, 1], vec![1, 0]]);
        assert_eq!(rankings(3, false)[1], vec![0, 2, 1]);
    }
}

/// How a search spends replications (docs/output.md, "Explore").
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// The chance the procedure may lose the best candidate, at most.
    pub alpha: f64,
    /// Replications of every candidate in the screening stage.
    pub first_stage: u64,
    /// Worker threads (results never depend on them).
    pub threads: Option<usize>,
    /// How a candidate is judged across assumptions.
    pub criterion: Criterion,
    /// The most replication-years the search may spend (every cell of every candidate
    /// counts); `None`: only the scenario's replications bound it.
    pub budget_replication_years: Option<u64>,
    /// Each candidate's yearly cost, to choose the cheaper of candidates whose scores are
    /// equal (empty: generation order decides).
    pub costs: Vec<f64>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            alpha: 0.05,
            first_stage: 10,
            threads: None,
            criterion: Criterion::WorstCase,
            budget_replication_years: None,
            costs: Vec::new(),
        }
    }
}

/// Where a candidate ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Still in the running when the search stopped.
    Survived,
    /// Eliminated after `replications`: significantly worse than `by`, then the leader.
    Worse {
        /// Replications it had then.
        replications: u64,
        /// The leader it was compared with.
        by: String,
        /// How much worse by the criterion than the leader on those same replications,
        /// weighted user-minutes per year.
        gap_user_min_per_year: f64,
    },
    /// Eliminated after `replications`: its interval shows it misses a target.
    MissesTarget {
        /// Replications it had then.
        replications: u64,
        /// The service whose target it misses.
        service: Service,
        /// The assumption under which it misses it (`None` without assumptions).
        assumption: Option<String>,
    },
}

impl Status {
    /// `survived`, `worse` or `misses_target`, as `explore.csv` writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Survived => "survived",
            Status::Worse { .. } => "eliminated",
            Status::MissesTarget { .. } => "eliminated",
        }
    }
}

/// Whether a candidate meets one target, by its interval at 95%.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetCheck {
    /// The interval's worst end meets it (under every assumption).
    Met,
    /// The interval's best end misses it (under some assumption).
    Missed,
    /// The interval straddles it: not shown either way.
    Undecided,
}

impl TargetCheck {
    /// `met`, `missed` or `undecided`.
    pub fn name(self) -> &'static str {
        match self {
            TargetCheck::Met => "met",
            TargetCheck::Missed => "missed",
            TargetCheck::Undecided => "undecided",
        }
    }
}

/// One candidate's outcome.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The candidate.
    pub candidate: Candidate,
    /// Replications simulated for it (each under every assumption).
    pub replications: u64,
    /// Its score by the criterion (its worst case, or its largest regret), weighted
    /// user-minutes per year.
    pub score_user_min_per_year: f64,
    /// The 95% interval of that score, on its replications.
    pub score_interval: Interval,
    /// The assumption that decides its score (`None` without assumptions).
    pub deciding_assumption: Option<String>,
    /// Per target, in the scenario's order, whether its interval meets it.
    pub targets: Vec<TargetCheck>,
    /// Where it ended.
    pub status: Status,
    /// For every candidate but the recommended one: how much worse than the recommended
    /// one by the criterion, on the candidate's replications, with bounds at 95%.
    pub gap_to_recommended: Option<Gap>,
}

/// How much worse one candidate is than another by the criterion, paired on the same
/// replications, weighted user-minutes per year.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gap {
    /// The difference of their criteria's means.
    pub mean: f64,
    /// At 95%, under every assumption jointly: the difference is at least this (the
    /// least, over assumptions, of their difference under the same assumption).
    pub low: f64,
    /// ... and at most this (the largest such difference).
    pub high: f64,
}

/// Why a search stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// One candidate survived.
    OneLeft,
    /// Every candidate was eliminated (each misses a target).
    NoneLeft,
    /// No survivor can be materially better than the leader (the score's threshold).
    WithinThreshold,
    /// The survivors reached the scenario's replications.
    Replications,
    /// The next stage would have spent more than the budget.
    Budget,
}

impl Stop {
    /// In words, for the report and the terminal.
    pub fn words(self) -> &'static str {
        match self {
            Stop::OneLeft => "one candidate was left",
            Stop::NoneLeft => "every candidate was shown to miss a target",
            Stop::WithinThreshold => {
                "no candidate left could be materially better than the leader (the score's threshold)"
            }
            Stop::Replications => "the candidates left reached the scenario's replications",
            Stop::Budget => "the next stage would have spent more than the budget",
        }
    }
}

/// What a search found.
#[derive(Clone, Debug)]
pub struct SearchResults {
    /// Every candidate, in generation order.
    pub outcomes: Vec<Outcome>,
    /// The survivors, best first by the criterion.
    pub selected: Vec<usize>,
    /// Replications spent over all candidates (each counts once however many
    /// assumptions it ran under).
    pub replications_spent: u64,
    /// Replication-years spent: replications × cells per candidate × horizon in years.
    pub replication_years_spent: f64,
    /// The stages run, each with the replications every candidate then running had.
    pub stages: Vec<u64>,
    /// Why it stopped.
    pub stop: Stop,
    /// The criterion used.
    pub criterion: Criterion,
    /// The chance the procedure may have lost the best candidate, at most.
    pub alpha: f64,
    /// The targets, as the scenario's `[objective.targets]` gives them.
    pub targets: Vec<(Service, f64)>,
    /// The assumptions every candidate ran under (empty without assumptions).
    pub assumptions: Vec<String>,
}

impl SearchResults {
    /// The candidate recommended: the best survivor that meets every target by its
    /// interval (the best survivor when there are no targets); `None` when no survivor is
    /// shown to meet them.
    pub fn recommended(&self) -> Option<usize> {
        self.selected.iter().copied().find(|&i| {
            self.outcomes[i]
                .targets
                .iter()
                .all(|t| *t == TargetCheck::Met)
        })
    }
}

/// Every replication's figures of the candidates, in memory: per candidate and
/// replication, per cell (assumption) its score then its unavailability of all users of
/// each target service, in the study's units.
struct Figures {
    /// Cells per candidate (assumptions, or 1).
    cells: usize,
    /// Figures per cell: the score and one per target.
    per_cell: usize,
    /// `runs[candidate][replication]`: `cells × per_cell` figures.
    runs: Vec<Vec<Vec<u64>>>,
}

/// One term of a per-replication combination of figures: a candidate's score under an
/// assumption, with a sign.
type Term = (usize, usize, i128);

impl Figures {
    fn score(&self, candidate: usize, replication: usize, cell: usize) -> u64 {
        self.runs[candidate][replication][cell * self.per_cell]
    }

    /// The mean over the first `n` replications of a sum of terms.
    fn mean(&self, terms: &[Term], n: usize) -> f64 {
        let total: i128 = (0..n)
            .map(|r| {
                terms
                    .iter()
                    .map(|&(c, a, sign)| sign * i128::from(self.score(c, r, a)))
                    .sum::<i128>()
            })
            .sum();
        total as f64 / n.max(1) as f64
    }

    /// The interval at two-sided level 1 − `alpha` of a sum of terms over the first `n`
    /// replications, paired replication by replication; `cap` bounds one term.
    fn interval(&self, terms: &[Term], n: usize, cap: f64, alpha: f64) -> Interval {
        if let [(c, a, 1)] = terms {
            let mut sums = crate::stats::Sums::default();
            for r in 0..n {
                sums.add(self.score(*c, r, *a));
            }
            return crate::stats::interval::mean_interval(&sums.sample(n as u64), cap, alpha);
        }
        let mut paired = crate::stats::PairedSums::default();
        for r in 0..n {
            paired.add(
                terms
                    .iter()
                    .map(|&(c, a, sign)| sign * i128::from(self.score(c, r, a)))
                    .sum(),
            );
        }
        if paired.all_equal() {
            return Interval::Unaffected;
        }
        crate::stats::interval::difference_interval(
            &paired.increases.sample(n as u64),
            &paired.decreases.sample(n as u64),
            cap * terms.len() as f64,
            alpha,
        )
    }

    /// The interval at level 1 − `alpha` of a candidate's unavailability of target
    /// `target` under cell `cell`, over its replications.
    fn target_interval(
        &self,
        candidate: usize,
        cell: usize,
        target: usize,
        alpha: f64,
    ) -> Interval {
        let mut sums = crate::stats::Sums::default();
        for run in &self.runs[candidate] {
            sums.add(run[cell * self.per_cell + 1 + target]);
        }
        crate::stats::interval::mean_interval(
            &sums.sample(self.runs[candidate].len() as u64),
            crate::stats::UNAVAILABILITY_SCALE,
            alpha,
        )
    }

    /// Whether a candidate meets each target at level 1 − `alpha`.
    fn target_checks(
        &self,
        candidate: usize,
        targets: &[(Service, f64)],
        alpha: f64,
    ) -> Vec<(TargetCheck, usize)> {
        targets
            .iter()
            .enumerate()
            .map(|(t, &(_, availability))| {
                let limit = (1.0 - availability) * crate::stats::UNAVAILABILITY_SCALE;
                let mut verdict = (TargetCheck::Met, 0);
                for cell in 0..self.cells {
                    match self.target_interval(candidate, cell, t, alpha) {
                        Interval::TwoSided { low, .. } if low > limit => {
                            return (TargetCheck::Missed, cell);
                        }
                        interval => {
                            let high = interval.ends().map_or(f64::INFINITY, |(_, high)| high);
                            if high > limit {
                                verdict = (TargetCheck::Undecided, cell);
                            }
                        }
                    }
                }
                verdict
            })
            .collect()
    }
}

/// The criterion's view of the candidates at one moment: the reference candidate under
/// each assumption (for regret) and the terms of each candidate's criterion cells.
struct Judge {
    criterion: Criterion,
    /// Per assumption, the candidate best by its mean among those running.
    references: Vec<usize>,
}

impl Judge {
    /// The terms of candidate `c`'s criterion figure under cell `a`.
    fn terms(&self, c: usize, a: usize) -> Vec<Term> {
        match self.criterion {
            Criterion::WorstCase => vec![(c, a, 1)],
            Criterion::Regret => vec![(c, a, 1), (self.references[a], a, -1)],
        }
    }

    /// The terms of `i`'s figure under `a` minus `b`'s under `a2`, like terms merged.
    fn difference(&self, i: usize, a: usize, b: usize, a2: usize) -> Vec<Term> {
        let mut terms: Vec<Term> = Vec::new();
        let negated = self
            .terms(b, a2)
            .into_iter()
            .map(|(c, cell, s)| (c, cell, -s));
        for (c, cell, sign) in self.terms(i, a).into_iter().chain(negated) {
            match terms.iter_mut().find(|t| t.0 == c && t.1 == cell) {
                Some(term) => term.2 += sign,
                None => terms.push((c, cell, sign)),
            }
        }
        terms.retain(|t| t.2 != 0);
        terms
    }

    /// Candidate `c`'s criterion figure by its means over `n` replications, and the cell
    /// that decides it.
    fn value(&self, figures: &Figures, c: usize, n: usize) -> (f64, usize) {
        (0..figures.cells)
            .map(|a| (figures.mean(&self.terms(c, a), n), a))
            .fold(
                (f64::NEG_INFINITY, 0),
                |best, x| if x.0 > best.0 { x } else { best },
            )
    }
}

/// Sequential elimination on common random numbers (docs/output.md, "Explore"): every
/// candidate still running simulates the same replications under every assumption; after
/// each stage (the first `first_stage` replications, then doubling to the scenario's
/// replications: `S` stages planned) each survivor is compared, paired replication by
/// replication, with the leader (the best survivor by its means that meets every target
/// by its interval), and eliminated when its criterion is significantly worse, or when its
/// interval shows it misses a target. Each stage spends at most `alpha / S` on the tests
/// that could lose the best candidate, so over every stage it is lost with probability at
/// most `alpha` (a union bound).
///
/// `cells[c]` are candidate `c`'s topologies, one per assumption in the same order for
/// every candidate (or one).
pub fn search(
    scenario: &crate::topology::Scenario,
    cells: Vec<Vec<Topology>>,
    candidates: Vec<Candidate>,
    options: &SearchOptions,
) -> Result<SearchResults, String> {
    search_with_progress(scenario, cells, candidates, options, &mut |_| {})
}

/// [`search`], telling `progress` before each stage what it runs.
pub fn search_with_progress(
    scenario: &crate::topology::Scenario,
    cells: Vec<Vec<Topology>>,
    candidates: Vec<Candidate>,
    options: &SearchOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<SearchResults, String> {
    use rayon::prelude::*;
    let count = candidates.len();
    let per_candidate = cells.first().map_or(1, Vec::len).max(1);
    if cells.len() != count || cells.iter().any(|c| c.len() != per_candidate) {
        return Err("every candidate needs the same cells".to_string());
    }
    let assumptions: Vec<String> = cells[0]
        .iter()
        .filter_map(|t| t.assumption.clone())
        .collect();
    let study_scenario = scenario.with_variants(cells.into_iter().flatten().collect());
    let study = crate::stats::Study::new(&study_scenario);
    if study.objective.is_none() {
        return Err(
            "explore ranks candidates by the [objective] score: add [objective] to the scenario"
                .to_string(),
        );
    }
    let targets: Vec<(Service, f64)> = scenario
        .objective
        .as_ref()
        .map(|o| o.targets.clone())
        .unwrap_or_default();
    for (service, _) in &targets {
        if let Some(topology) = study_scenario
            .layouts
            .iter()
            .find(|t| !t.configured_services().iter().any(|(s, _)| s == service))
        {
            return Err(format!(
                "[objective.targets] sets a target for {}, which candidate {} does not have",
                service.name(),
                topology.layout_name
            ));
        }
    }
    let pool = crate::montecarlo::thread_pool(options.threads)?;
    let total = scenario.simulation.replications;
    let horizon_years =
        scenario.simulation.horizon.as_micros() as f64 / crate::time::MICROS_PER_YEAR as f64;
    let threshold = study.materiality.score_user_min_per_year.unwrap_or(0.0);
    let cap = (0..study_scenario.layouts.len())
        .map(|i| study.score_cap(i))
        .fold(0.0, f64::max);
    let mut figures = Figures {
        cells: per_candidate,
        per_cell: 1 + targets.len(),
        runs: vec![Vec::new(); count],
    };
    let mut status: Vec<Status> = vec![Status::Survived; count];
    let mut judge = Judge {
        criterion: options.criterion,
        references: vec![0; per_candidate],
    };
    let mut running: Vec<usize> = (0..count).collect();
    let mut done: u64 = 0;
    let mut stages = Vec::new();
    let mut spent_years = 0.0;
    // The stages' replications, planned before the first: the first stage, then doubling
    // to the scenario's replications. Each stage spends alpha / (planned stages), so the
    // chance of losing the best is at most alpha however many stages run.
    let mut schedule = vec![options.first_stage.max(2).min(total)];
    while let Some(&last) = schedule.last()
        && last < total
    {
        schedule.push((last * 2).min(total));
    }
    let planned_stages = schedule.len();
    let mut last_stage = false;
    let stop = loop {
        let mut target = schedule[stages.len()];
        if let Some(budget) = options.budget_replication_years {
            let per_replication = running.len() as f64 * per_candidate as f64 * horizon_years;
            let affordable = ((budget as f64 - spent_years) / per_replication).floor() as u64;
            if done + affordable < target {
                // The budget cuts this stage short: it is the last.
                target = done + affordable;
                last_stage = true;
            }
            if target <= done || target < 2 {
                if done == 0 {
                    return Err(format!(
                        "the budget of {budget} replication-years does not cover the screening stage ({} replication-years: {count} candidates × {} cell(s) × 2 replications × {horizon_years} years); raise [explore] budget or narrow the space",
                        (2.0 * per_replication).ceil(),
                        per_candidate
                    ));
                }
                break Stop::Budget;
            }
        }
        progress(&format!(
            "explore: stage {}: {} candidate(s) × {} cell(s), replications {} to {}",
            stages.len() + 1,
            running.len(),
            per_candidate,
            done + 1,
            target
        ));
        let runs: Vec<(usize, u64)> = running
            .iter()
            .flat_map(|&i| (done..target).map(move |r| (i, r)))
            .collect();
        let simulated: Vec<Vec<u64>> = pool.install(|| {
            runs.par_iter()
                .map(|&(i, r)| {
                    let mut row = Vec::with_capacity(per_candidate * (1 + targets.len()));
                    for cell in 0..per_candidate {
                        let index = i * per_candidate + cell;
                        let result = crate::model::simulate_replication(
                            &study_scenario.layouts[index],
                            &study_scenario.simulation,
                            r,
                            &mut crate::model::NoObserver,
                        );
                        // Each cell's figures once, for its score and its targets.
                        let services = study.figures(&result);
                        row.push(study.score_of_figures(index, &services).unwrap_or(0));
                        for (service, _) in &targets {
                            row.push(
                                services
                                    .iter()
                                    .find(|(s, _)| s == service)
                                    .map_or(0, |(_, f)| f[0].unavailability),
                            );
                        }
                    }
                    row
                })
                .collect()
        });
        for (&(i, _), row) in runs.iter().zip(simulated) {
            figures.runs[i].push(row);
        }
        spent_years +=
            (target - done) as f64 * running.len() as f64 * per_candidate as f64 * horizon_years;
        done = target;
        stages.push(done);
        let n = done as usize;
        // The references are chosen among the candidates that ran this stage.
        for (a, reference) in judge.references.iter_mut().enumerate() {
            *reference = *running
                .iter()
                .min_by(|&&x, &&y| {
                    figures
                        .mean(&[(x, a, 1)], n)
                        .total_cmp(&figures.mean(&[(y, a, 1)], n))
                })
                .expect("a candidate runs");
        }
        let alive: Vec<usize> = (0..count)
            .filter(|&i| status[i] == Status::Survived)
            .collect();
        // Per stage, the tests whose mistake could lose the best candidate k (A cells,
        // T targets), each one-sided at most at `level`: k eliminated as worse than the
        // leader needs, under some cell a, every test against the leader's cells to pass,
        // one of them falsely (A tests); "no survivor materially better than the leader"
        // is false for k only through the test under the cell that decides the leader's
        // figure (1); k shown to miss a target it meets (T × A); the leader shown to meet a
        // target it misses needs the test under the missing cell to pass falsely (T). In
        // all (A + 1)(T + 1).
        let stage_level = options.alpha / planned_stages as f64;
        let tests = (per_candidate + 1) * (1 + targets.len());
        let level = stage_level / tests as f64;
        for &i in &alive {
            if let Some((t, (_, cell))) = figures
                .target_checks(i, &targets, level)
                .into_iter()
                .enumerate()
                .find(|(_, check)| check.0 == TargetCheck::Missed)
            {
                status[i] = Status::MissesTarget {
                    replications: done,
                    service: targets[t].0,
                    assumption: assumptions.get(cell).cloned(),
                };
            }
        }
        let alive: Vec<usize> = alive
            .into_iter()
            .filter(|&i| status[i] == Status::Survived)
            .collect();
        let cost = |i: usize| options.costs.get(i).copied().unwrap_or(0.0);
        let by_value = |i: &usize| judge.value(&figures, *i, n).0;
        let leader = alive
            .iter()
            .copied()
            .filter(|&i| {
                figures
                    .target_checks(i, &targets, level)
                    .iter()
                    .all(|c| c.0 == TargetCheck::Met)
            })
            .min_by(|a, b| {
                by_value(a)
                    .total_cmp(&by_value(b))
                    .then(cost(*a).total_cmp(&cost(*b)))
            });
        let mut all_within = leader.is_some();
        if let Some(b) = leader {
            for &i in &alive {
                if i == b {
                    continue;
                }
                // Worse: under some assumption its figure is above every one of the
                // leader's, each significantly.
                let worse = (0..per_candidate).any(|a| {
                    (0..per_candidate).all(|a2| {
                        figures
                            .interval(&judge.difference(i, a, b, a2), n, cap, level)
                            .sign()
                            > 0
                    })
                });
                if worse {
                    status[i] = Status::Worse {
                        replications: done,
                        by: candidates[b].name.clone(),
                        gap_user_min_per_year: study.score_user_minutes(
                            judge.value(&figures, i, n).0 - judge.value(&figures, b, n).0,
                        ),
                    };
                    continue;
                }
                // No better than the leader by the threshold: under every assumption, its
                // figure minus the leader's is significantly above −threshold (then so is
                // the difference of their worst cases, or largest regrets).
                let within = (0..per_candidate).all(|a| {
                    figures
                        .interval(&judge.difference(i, a, b, a), n, cap, level)
                        .ends()
                        .is_some_and(|(low, _)| study.score_user_minutes(low) > -threshold)
                });
                all_within &= within;
            }
        }
        let survivors: Vec<usize> = (0..count)
            .filter(|&i| status[i] == Status::Survived)
            .collect();
        if survivors.is_empty() {
            break Stop::NoneLeft;
        }
        if survivors.len() == 1 {
            break Stop::OneLeft;
        }
        if all_within {
            break Stop::WithinThreshold;
        }
        if last_stage {
            break Stop::Budget;
        }
        if done >= total {
            break Stop::Replications;
        }
        running = survivors.clone();
        if options.criterion == Criterion::Regret {
            for &reference in &judge.references {
                if !running.contains(&reference) {
                    running.push(reference);
                }
            }
            running.sort_unstable();
        }
    };
    let replications_spent = figures.runs.iter().map(|r| r.len() as u64).sum();
    let outcomes: Vec<Outcome> = candidates
        .into_iter()
        .enumerate()
        .map(|(i, candidate)| {
            let n = figures.runs[i].len();
            let (value, cell) = judge.value(&figures, i, n);
            let interval = figures
                .interval(&judge.terms(i, cell), n, cap, 0.05)
                .map(|x| study.score_user_minutes(x));
            Outcome {
                candidate,
                replications: n as u64,
                score_user_min_per_year: study.score_user_minutes(value),
                score_interval: interval,
                deciding_assumption: assumptions.get(cell).cloned(),
                targets: figures
                    .target_checks(i, &targets, 0.05)
                    .into_iter()
                    .map(|c| c.0)
                    .collect(),
                status: status[i].clone(),
                gap_to_recommended: None,
            }
        })
        .collect();
    let mut selected: Vec<usize> = (0..count)
        .filter(|&i| status[i] == Status::Survived)
        .collect();
    // Best first; of equal scores, the cheaper (then generation order: the sort is
    // stable).
    selected.sort_by(|&a, &b| {
        outcomes[a]
            .score_user_min_per_year
            .total_cmp(&outcomes[b].score_user_min_per_year)
            .then(
                options
                    .costs
                    .get(a)
                    .unwrap_or(&0.0)
                    .total_cmp(options.costs.get(b).unwrap_or(&0.0)),
            )
    });
    let mut results = SearchResults {
        outcomes,
        selected,
        replications_spent,
        replication_years_spent: spent_years,
        stages,
        stop,
        criterion: options.criterion,
        alpha: options.alpha,
        targets,
        assumptions,
    };
    // Each candidate against the recommended one: its criterion minus the
    // recommended one's is at most the largest over assumptions of their difference under
    // the same assumption (the recommended one's worst case, or largest regret, is at
    // least its figure under each), and at least the least such difference (the
    // candidate's is at least its figure under the assumption that decides the
    // recommended one's); bounded jointly at 95%.
    if let Some(best) = results.recommended() {
        let level = 0.05 / per_candidate as f64;
        for i in 0..count {
            // On the candidate's own replications: the recommended one ran them all.
            let n = figures.runs[i].len();
            if i == best || n < 2 {
                continue;
            }
            let mean = judge.value(&figures, i, n).0 - judge.value(&figures, best, n).0;
            let (low, high) = (0..per_candidate)
                .map(|a| {
                    figures
                        .interval(&judge.difference(i, a, best, a), n, cap, level)
                        .ends()
                        .unwrap_or((f64::NEG_INFINITY, f64::INFINITY))
                })
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), (low, high)| {
                    (l.min(low), h.max(high))
                });
            results.outcomes[i].gap_to_recommended = Some(Gap {
                mean: study.score_user_minutes(mean),
                low: study.score_user_minutes(low),
                high: study.score_user_minutes(high),
            });
        }
    }
    Ok(results)
}

/// What `edgesim explore` found, kept with the confirmation run's results for the
/// report, `explore.csv` and the chart.
#[derive(Clone, Debug)]
pub struct ExploreReport {
    /// The search.
    pub search: SearchResults,
    /// The layout explored (the baseline of the confirmation run).
    pub explored: String,
    /// The unit of `[costs]`, when the scenario has them.
    pub unit: Option<String>,
    /// Per candidate (in generation order), its yearly cost, when the scenario has
    /// `[costs]`.
    pub costs: Vec<Option<f64>>,
    /// The explored layout's yearly cost.
    pub explored_cost: Option<f64>,
    /// The candidates run again in the confirmation, best first (at most
    /// [`MAX_CONFIRMED`]).
    pub confirmed: Vec<usize>,
    /// The seed of the search (the scenario's, or `--seed`).
    pub search_seed: u64,
    /// The seed of the confirmation run: the search's plus one, so that its figures do
    /// not reuse the replications the candidates were chosen on.
    pub confirmation_seed: u64,
    /// The score's materiality threshold, weighted user-minutes per year.
    pub threshold_user_min_per_year: f64,
}

impl ExploreReport {
    /// Candidate `index`'s score on the recommended candidate's footing: the recommended
    /// one's score plus the paired gap on the candidate's replications, with the gap's
    /// 95% bounds (its own score and interval for the recommended one, or without one).
    /// Candidates stopped early are then compared on the evidence that stopped them, not
    /// on means over fewer replications.
    pub fn on_footing(&self, index: usize) -> (f64, Option<(f64, f64)>) {
        let outcomes = &self.search.outcomes;
        let own = || {
            let outcome = &outcomes[index];
            let ends = match outcome.score_interval {
                Interval::TwoSided { low, high } => Some((low, high)),
                _ => None,
            };
            (outcome.score_user_min_per_year, ends)
        };
        match (
            self.search.recommended(),
            outcomes[index].gap_to_recommended,
        ) {
            (Some(best), Some(gap)) => {
                let base = outcomes[best].score_user_min_per_year;
                let finite = gap.low.is_finite() && gap.high.is_finite();
                (
                    base + gap.mean,
                    finite.then_some((base + gap.low, base + gap.high)),
                )
            }
            _ => own(),
        }
    }

    /// Per candidate, whether it is on the cost–score Pareto front, on the recommended
    /// candidate's footing ([`ExploreReport::on_footing`]).
    pub fn front(&self) -> Vec<bool> {
        pareto_front(
            &(0..self.search.outcomes.len())
                .map(|i| (self.costs[i].unwrap_or(0.0), self.on_footing(i).0))
                .collect::<Vec<_>>(),
        )
    }
}

/// The most candidates a confirmation run and `--emit` carry.
pub const MAX_CONFIRMED: usize = 3;

/// Per point `(cost, score)`, whether it is on the Pareto front: no other point is at most
/// as costly and at most as bad, and strictly better in one of them.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<bool> {
    points
        .iter()
        .map(|&(cost, score)| {
            !points
                .iter()
                .any(|&(c, s)| c <= cost && s <= score && (c < cost || s < score))
        })
        .collect()
}

/// The candidates a confirmation runs and `--emit` writes: the recommended one first, then
/// the other survivors best first, at most [`MAX_CONFIRMED`].
pub fn confirmed(search: &SearchResults) -> Vec<usize> {
    let mut chosen: Vec<usize> = search.recommended().into_iter().collect();
    for &i in &search.selected {
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen.truncate(MAX_CONFIRMED);
    chosen
}

/// The edits layout `explored` makes of the scenario's base (its `[[layouts]]` entry as
/// dotted keys, without its name and description; none for a layout without an entry),
/// so that a candidate can be written as an entry of its own.
pub fn explored_edits(text: &str, explored: &str) -> Vec<(String, Node)> {
    let Ok(document) = toml_edit::Document::parse(text) else {
        return Vec::new();
    };
    let root = Node::from_document_root(document.as_table());
    let Some(NodeValue::Array(entries)) = root.get("layouts").map(|n| &n.value) else {
        return Vec::new();
    };
    let Some(entry) = entries.iter().find(|entry| {
        matches!(entry.get("name").map(|n| &n.value), Some(NodeValue::String(name)) if name == explored)
    }) else {
        return Vec::new();
    };
    let mut edits = Vec::new();
    for item in entry.as_table().unwrap_or(&[]) {
        if item.key != "name" && item.key != "description" {
            flatten(&item.key, &item.node, &mut edits);
        }
    }
    edits
}

/// `node` at `path` as dotted keys to its leaves (tables merge key by key, so this is the
/// same edit).
fn flatten(path: &str, node: &Node, edits: &mut Vec<(String, Node)>) {
    match &node.value {
        NodeValue::Table(entries) if !entries.is_empty() => {
            for entry in entries {
                flatten(&format!("{path}.{}", entry.key), &entry.node, edits);
            }
        }
        _ => edits.push((path.to_string(), node.without_spans())),
    }
}

/// The `--emit` file: the confirmed candidates as `[[layouts]]` entries, each the
/// explored layout's own edits then the candidate's.
pub fn emitted_layouts(
    report: &ExploreReport,
    source_file: &str,
    base: &[(String, Node)],
) -> String {
    let mut text = format!(
        "# edgesim explore: the best candidates for layout \"{}\" of {} (search seed {}, confirmed on seed {}).\n\
         # Each entry is that layout with the changes its description names; paste them under the\n\
         # scenario's [[layouts]] and run it: `edgesim run {} --layout {}{}`.\n",
        report.explored,
        source_file,
        report.search_seed,
        report.confirmation_seed,
        source_file,
        report.explored,
        report
            .confirmed
            .iter()
            .map(|&i| format!(" --layout {}", report.search.outcomes[i].candidate.name))
            .collect::<String>()
    );
    for &i in &report.confirmed {
        let outcome = &report.search.outcomes[i];
        text.push('\n');
        text.push_str(&format!(
            "# {}: score {} weighted user-minutes a year by the search ({}){}\n",
            outcome.candidate.name,
            crate::format::thousands(outcome.score_user_min_per_year.round() as u64),
            report.search.criterion.name(),
            report.costs[i]
                .map(|c| format!(
                    ", cost {} {}",
                    crate::format::compact(c),
                    report.unit.as_deref().unwrap_or("")
                ))
                .unwrap_or_default()
        ));
        text.push_str(&outcome.candidate.layout_entry_over(base));
    }
    text
}
