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
