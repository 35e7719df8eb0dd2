//! Typed reading of the TOML tree, collecting every error instead of stopping at the first.
//!
//! Each reader returns `None` after recording an error that names the key path, shows where
//! the value was written and says what to change; callers substitute a placeholder so the
//! rest of the file is still checked (and references to a pool with one bad key do not
//! produce a cascade of "unknown id" errors).

use super::diagnostic::{Diagnostic, Span};
use super::tree::{Entry, Node, NodeValue};
use crate::time::{SimDuration, parse_duration};

/// Collects the findings of one load.
#[derive(Debug, Default)]
pub struct Findings {
    /// Everything found so far, in the order found.
    pub items: Vec<Diagnostic>,
    /// Ids from the file being read, for the examples in help texts.
    pub examples: Examples,
}

/// Ids the file itself uses, so that a suggested fix quotes the planner's own names
/// rather than those of an example scenario. Help texts write `{site}`, `{front_end}`
/// and `{edge_pool}` where one belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Examples {
    /// The first site's id.
    pub site: String,
    /// The first Front End pool's id.
    pub front_end: String,
    /// The first Edge pool's id.
    pub edge_pool: String,
}

impl Default for Examples {
    fn default() -> Self {
        Examples {
            site: "east".to_string(),
            front_end: "fe-east".to_string(),
            edge_pool: "edge-east".to_string(),
        }
    }
}

impl Examples {
    /// The first id of each kind written in `root`'s arrays (neutral names where none is).
    pub fn from_tree(root: &Node) -> Self {
        let first_id = |array: &str| -> Option<String> {
            let NodeValue::Array(items) = &root.get(array)?.value else {
                return None;
            };
            items.iter().find_map(|item| match &item.get("id")?.value {
                NodeValue::String(id) if !id.trim().is_empty() && !id.contains(['"', '\\']) => {
                    Some(id.clone())
                }
                _ => None,
            })
        };
        let neutral = Examples::default();
        Examples {
            site: first_id("sites").unwrap_or(neutral.site),
            front_end: first_id("front_end_pools").unwrap_or(neutral.front_end),
            edge_pool: first_id("edge_pools").unwrap_or(neutral.edge_pool),
        }
    }

    /// `text` with `{site}`, `{front_end}` and `{edge_pool}` replaced by the file's ids.
    pub fn fill(&self, text: &str) -> String {
        if !text.contains('{') {
            return text.to_string();
        }
        text.replace("{site}", &self.site)
            .replace("{front_end}", &self.front_end)
            .replace("{edge_pool}", &self.edge_pool)
    }
}

impl Findings {
    /// Records a finding.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Records an error at `path`, pointing at `span`.
    pub fn error(
        &mut self,
        path: &str,
        span: Option<Span>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let help = self.examples.fill(&help.into());
        let mut diagnostic = Diagnostic::error(path, message).with_span(span);
        if !help.is_empty() {
            diagnostic = diagnostic.with_help(help);
        }
        self.push(diagnostic);
    }

    /// How many errors were recorded.
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == super::diagnostic::Severity::Error)
            .count()
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.items
            .iter()
            .any(|d| d.severity == super::diagnostic::Severity::Error)
    }
}

/// `parent.key`, or `key` at the root.
pub fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// A table being read: knows its path and which keys it accepts.
pub struct TableReader<'n> {
    path: String,
    span: Option<Span>,
    entries: &'n [Entry],
}

impl<'n> TableReader<'n> {
    /// Opens `node` as a table at `path`; reports a type error, and every key not in
    /// `allowed`, naming the keys that are accepted.
    pub fn open(
        node: &'n Node,
        path: &str,
        allowed: &[&str],
        findings: &mut Findings,
    ) -> Option<Self> {
        let NodeValue::Table(entries) = &node.value else {
            findings.error(
                path,
                node.span.clone(),
                format!("expected a table, found {}", node.value.type_name()),
                format!("write `{path}` as a table, e.g. {{ key = value }}"),
            );
            return None;
        };
        for entry in entries {
            if !allowed.contains(&entry.key.as_str()) {
                let entry_path = child_path(path, &entry.key);
                let suggestion = closest(&entry.key, allowed)
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                findings.error(
                    &entry_path,
                    entry.key_span.clone().or_else(|| entry.node.span.clone()),
                    format!("unknown key `{}`", entry.key),
                    format!(
                        "{suggestion}{} accepts: {}",
                        if path.is_empty() {
                            "the top level"
                        } else {
                            path
                        },
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(TableReader {
            path: path.to_string(),
            span: node.span.clone(),
            entries,
        })
    }

    /// The path of `key` in this table.
    pub fn path_of(&self, key: &str) -> String {
        child_path(&self.path, key)
    }

    /// This table's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where this table was written.
    pub fn span(&self) -> Option<Span> {
        self.span.clone()
    }

    /// The value of `key`, if present.
    pub fn optional(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| &entry.node)
    }

    /// Reads `key` with `reader` when present; `None` when absent or invalid.
    pub fn read<T>(
        &self,
        key: &str,
        findings: &mut Findings,
        reader: impl FnOnce(&Node, &str, &mut Findings) -> Option<T>,
    ) -> Option<T> {
        let node = self.optional(key)?;
        reader(node, &self.path_of(key), findings)
    }

    /// The value of `key`; reports it missing when absent.
    pub fn required(&self, key: &str, findings: &mut Findings, example: &str) -> Option<&'n Node> {
        let found = self.optional(key);
        if found.is_none() {
            findings.error(
                &self.path_of(key),
                self.span.clone(),
                format!("missing key `{key}`"),
                format!("add `{key} = {example}`"),
            );
        }
        found
    }
}

/// Suggests the allowed key closest to a misspelt one (edit distance at most 2).
fn closest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|candidate| (edit_distance(key, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b_chars.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b_chars.len()]
}

fn type_error(node: &Node, path: &str, expected: &str, findings: &mut Findings, help: &str) {
    findings.error(
        path,
        node.span.clone(),
        format!("expected {expected}, found {}", node.value.type_name()),
        help,
    );
}

/// Reads a string.
pub fn read_string(node: &Node, path: &str, findings: &mut Findings) -> Option<String> {
    match &node.value {
        NodeValue::String(s) => Some(s.clone()),
        _ => {
            type_error(node, path, "a string", findings, "put the value in quotes");
            None
        }
    }
}

/// The longest id or name, in characters: far above any real name, and small enough that
/// a name repeated on every row of `runs.csv` cannot make it huge.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

/// Whether `c` is a Unicode noncharacter (U+FDD0 to U+FDEF, and the last two code points
/// of every plane): not valid in XML, so it would break every SVG chart.
fn noncharacter(c: char) -> bool {
    let code = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// Why `text` cannot be an id or a name (`None` when it can): too long, a character that
/// would break a chart (not valid in XML) or reach a terminal as a command (control
/// characters: escape sequences, NUL), or, unless `multiline` (descriptions), a first
/// character a spreadsheet would run as a formula (`=`, `+`, `-`, `@`).
pub fn unsafe_text(text: &str, multiline: bool) -> Option<(String, String)> {
    let limit = if multiline {
        MAX_DESCRIPTION_CHARS
    } else {
        MAX_NAME_CHARS
    };
    let count = text.chars().count();
    if count > limit {
        return Some((
            format!("{count} characters long"),
            format!("shorten it to at most {limit} characters"),
        ));
    }
    if let Some(c) = text.chars().find(|&c| {
        (c.is_control() && !(multiline && matches!(c, '\n' | '\t' | '\r'))) || noncharacter(c)
    }) {
        return Some((
            format!("it holds the character {}", c.escape_unicode()),
            "remove control characters and noncharacters (they would reach terminals as commands and break the charts)".to_string(),
        ));
    }
    if !multiline && text.starts_with(['=', '+', '-', '@']) {
        return Some((
            format!("it begins with `{}`", &text[..1]),
            "start it with a letter or a digit: a spreadsheet opening the CSV files would run a cell that begins with =, +, - or @ as a formula".to_string(),
        ));
    }
    None
}

/// Reads a name (a scenario's or a layout's): a string that [`unsafe_text`] accepts.
pub fn read_name(node: &Node, path: &str, findings: &mut Findings) -> Option<String> {
    let name = read_string(node, path, findings)?;
    if let Some((problem, help)) = unsafe_text(&name, false) {
        findings.error(
            path,
            node.span.clone(),
            format!("this name cannot be used: {problem}"),
            help,
        );
        return None;
    }
    Some(name)
}

/// Reads a description: a string of at most [`MAX_DESCRIPTION_CHARS`] characters with no
/// control characters but line breaks and tabs.
pub fn read_description(node: &Node, path: &str, findings: &mut Findings) -> Option<String> {
    let text = read_string(node, path, findings)?;
    if let Some((problem, help)) = unsafe_text(&text, true) {
        findings.error(
            path,
            node.span.clone(),
            format!("this description cannot be used: {problem}"),
            help,
        );
        return None;
    }
    Some(text)
}

/// Reads a non-empty identifier string (ids of sites and pools).
pub fn read_id(node: &Node, path: &str, findings: &mut Findings) -> Option<String> {
    let id = read_string(node, path, findings)?;
    if let Some((problem, help)) = unsafe_text(&id, false) {
        findings.error(
            path,
            node.span.clone(),
            format!("this id cannot be used: {problem}"),
            help,
        );
        return None;
    }
    if id.trim().is_empty() {
        findings.error(
            path,
            node.span.clone(),
            "an id may not be empty",
            "give it a short name such as \"dublin\"",
        );
        return None;
    }
    if id.contains('#') {
        findings.error(
            path,
            node.span.clone(),
            format!("id \"{id}\" contains `#`"),
            "`#` separates a pool from a server number in outage targets (\"{edge_pool}#2\"); remove it from the id",
        );
        return None;
    }
    Some(id)
}

/// Reads an integer in `min..=max`.
pub fn read_integer(
    node: &Node,
    path: &str,
    min: i64,
    max: i64,
    findings: &mut Findings,
) -> Option<i64> {
    let value = match &node.value {
        NodeValue::Integer(i) => *i,
        NodeValue::Float(f) => {
            findings.error(
                path,
                node.span.clone(),
                format!("expected a whole number, found {f}"),
                "remove the decimal part",
            );
            return None;
        }
        _ => {
            type_error(node, path, "an integer", findings, "write a whole number");
            return None;
        }
    };
    if value < min || value > max {
        findings.error(
            path,
            node.span.clone(),
            format!("{value} is out of range"),
            format!("use a whole number from {min} to {max}"),
        );
        return None;
    }
    Some(value)
}

/// Reads a number (integer or float) that must be finite and satisfy `check`.
pub fn read_number(
    node: &Node,
    path: &str,
    findings: &mut Findings,
    requirement: &str,
    check: impl Fn(f64) -> bool,
) -> Option<f64> {
    let value = match &node.value {
        NodeValue::Integer(i) => *i as f64,
        NodeValue::Float(f) => *f,
        NodeValue::String(s) => {
            findings.error(
                path,
                node.span.clone(),
                format!("expected a number, found the string \"{s}\""),
                "write the number without quotes and without a unit",
            );
            return None;
        }
        _ => {
            type_error(node, path, "a number", findings, "write a plain number");
            return None;
        }
    };
    if !value.is_finite() || !check(value) {
        findings.error(
            path,
            node.span.clone(),
            format!("{value} is not allowed here"),
            format!("use {requirement}"),
        );
        return None;
    }
    Some(value)
}

/// Reads a duration string such as `"45m"`; a bare number is an error that says which unit to add.
pub fn read_duration(node: &Node, path: &str, findings: &mut Findings) -> Option<SimDuration> {
    match &node.value {
        NodeValue::String(text) => match parse_duration(text) {
            Ok(duration) => Some(duration),
            Err(error) => {
                findings.error(path, node.span.clone(), error.to_string(), "");
                None
            }
        },
        NodeValue::Integer(_) | NodeValue::Float(_) => {
            let number = match node.value {
                NodeValue::Integer(i) => i.to_string(),
                NodeValue::Float(f) => f.to_string(),
                _ => unreachable!("matched a number above"),
            };
            findings.error(
                path,
                node.span.clone(),
                format!("bare number {number}: a duration needs a unit"),
                format!(
                    "write it as a string with a unit, e.g. \"{number}s\", \"{number}m\" or \"{number}h\" (units: ms, s, m, h, d, w, y)"
                ),
            );
            None
        }
        _ => {
            type_error(
                node,
                path,
                "a duration string",
                findings,
                "write a number and a unit in quotes, e.g. \"45m\"",
            );
            None
        }
    }
}

/// Reads a duration that must be greater than zero.
pub fn read_positive_duration(
    node: &Node,
    path: &str,
    findings: &mut Findings,
) -> Option<SimDuration> {
    let duration = read_duration(node, path, findings)?;
    if duration.is_zero() {
        findings.error(
            path,
            node.span.clone(),
            "must be greater than zero",
            "give a positive duration, e.g. \"1h\"",
        );
        return None;
    }
    Some(duration)
}

/// Reads an array.
pub fn read_array<'n>(node: &'n Node, path: &str, findings: &mut Findings) -> Option<&'n [Node]> {
    match &node.value {
        NodeValue::Array(items) => Some(items),
        _ => {
            type_error(
                node,
                path,
                "an array",
                findings,
                "write a list in [ ... ] or repeat the [[table]] header",
            );
            None
        }
    }
}

/// Reads a string that must be one of `choices`, returning the matching value.
pub fn read_choice<T: Copy>(
    node: &Node,
    path: &str,
    choices: &[(&str, T)],
    findings: &mut Findings,
) -> Option<T> {
    let text = read_string(node, path, findings)?;
    if let Some((_, value)) = choices.iter().find(|(name, _)| *name == text) {
        return Some(*value);
    }
    let names: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let allowed: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
    let suggestion = closest(&text, &allowed)
        .map(|s| format!("did you mean \"{s}\"? "))
        .unwrap_or_default();
    findings.error(
        path,
        node.span.clone(),
        format!("\"{text}\" is not one of the accepted values"),
        format!("{suggestion}use one of {}", names.join(", ")),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_keys_get_a_suggestion() {
        assert_eq!(closest("serverz", &["id", "servers"]), Some("servers"));
        assert_eq!(closest("colour", &["id", "servers"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
