//! A plain TOML tree that remembers where each key and value was written.
//!
//! `toml_edit` keeps spans but its many table kinds (headers, inline tables, arrays of
//! tables) make merging layouts and decoding awkward; this tree has one kind of each.

use toml_edit::{Item, Value};

use super::diagnostic::Span;

/// A TOML value with the place it came from.
#[derive(Clone, Debug)]
pub struct Node {
    /// The value.
    pub value: NodeValue,
    /// Where the value was written, when known.
    pub span: Option<Span>,
}

/// The kinds of TOML value.
#[derive(Clone, Debug)]
pub enum NodeValue {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Boolean(bool),
    /// A date or time (never valid in a scenario, kept for the error message).
    Datetime(String),
    /// An array (inline, or an array of tables).
    Array(Vec<Node>),
    /// A table (header, inline or implicit), in file order.
    Table(Vec<Entry>),
}

/// One key of a table.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The key as written (unquoted).
    pub key: String,
    /// Where the key was written, when known.
    pub key_span: Option<Span>,
    /// Its value.
    pub node: Node,
}

impl NodeValue {
    /// The TOML name of this kind of value, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeValue::String(_) => "a string",
            NodeValue::Integer(_) => "an integer",
            NodeValue::Float(_) => "a float",
            NodeValue::Boolean(_) => "a boolean",
            NodeValue::Datetime(_) => "a date-time",
            NodeValue::Array(_) => "an array",
            NodeValue::Table(_) => "a table",
        }
    }
}

impl Node {
    /// A table holding `value` at the dotted key path `path` (`dns.ttl` gives
    /// `{ dns = { ttl = value } }`), to merge into a scenario like a layout.
    pub fn at_path(path: &[&str], value: Node) -> Node {
        path.iter().rev().fold(value, |inner, key| Node {
            value: NodeValue::Table(vec![Entry {
                key: (*key).to_string(),
                key_span: None,
                node: inner,
            }]),
            span: None,
        })
    }

    /// A value written on the command line: TOML if it parses as a TOML value (`3`,
    /// `0.5`, `"1h"`, `{ dist = "exponential", mean = "1h" }`), else the text as a string
    /// (`1h`). It has no place in a file, so no spans.
    pub fn from_command_line(text: &str) -> Node {
        let document = toml_edit::Document::parse(format!("value = {text}"));
        match document
            .ok()
            .and_then(|d| d.as_table().get("value").cloned())
        {
            Some(item) => item_node(&item, None).without_spans(),
            None => Node {
                value: NodeValue::String(text.to_string()),
                span: None,
            },
        }
    }

    /// The same tree with no spans (for values that were not read from the file).
    pub fn without_spans(&self) -> Node {
        let value = match &self.value {
            NodeValue::Table(entries) => NodeValue::Table(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key.clone(),
                        key_span: None,
                        node: e.node.without_spans(),
                    })
                    .collect(),
            ),
            NodeValue::Array(items) => {
                NodeValue::Array(items.iter().map(Node::without_spans).collect())
            }
            other => other.clone(),
        };
        Node { value, span: None }
    }

    /// The value as a planner would write it after `=` (for labels and CSV files): a
    /// string on its own unquoted (`1h`), strings inside tables and arrays quoted, so that
    /// `{ dist = "fixed", value = "1h" }` reads back as written.
    pub fn to_toml_text(&self) -> String {
        match &self.value {
            NodeValue::String(s) => s.clone(),
            _ => self.nested_toml_text(),
        }
    }

    /// [`Node::to_toml_text`] inside a table or an array: strings quoted.
    fn nested_toml_text(&self) -> String {
        match &self.value {
            NodeValue::String(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            NodeValue::Integer(i) => i.to_string(),
            NodeValue::Float(f) => f.to_string(),
            NodeValue::Boolean(b) => b.to_string(),
            NodeValue::Datetime(d) => d.clone(),
            NodeValue::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Node::nested_toml_text)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            NodeValue::Table(entries) => format!(
                "{{ {} }}",
                entries
                    .iter()
                    .map(|e| format!("{} = {}", e.key, e.node.nested_toml_text()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Converts a parsed `toml_edit` document's root into a tree.
    pub fn from_document_root(root: &toml_edit::Table) -> Node {
        Node {
            value: NodeValue::Table(table_entries(root)),
            span: None,
        }
    }

    /// The table entries, if this is a table.
    pub fn as_table(&self) -> Option<&[Entry]> {
        match &self.value {
            NodeValue::Table(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key`, if this is a table that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_table()?
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| &entry.node)
    }
}

fn table_entries(table: &toml_edit::Table) -> Vec<Entry> {
    table
        .iter()
        .map(|(key, item)| Entry {
            key: key.to_string(),
            key_span: table.key(key).and_then(|k| k.span()),
            node: item_node(item, table.span()),
        })
        .collect()
}

fn inline_entries(table: &toml_edit::InlineTable) -> Vec<Entry> {
    table
        .iter()
        .map(|(key, value)| Entry {
            key: key.to_string(),
            key_span: table.key(key).and_then(|k| k.span()),
            node: value_node(value),
        })
        .collect()
}

fn item_node(item: &Item, parent_span: Option<Span>) -> Node {
    match item {
        Item::None => Node {
            value: NodeValue::Table(Vec::new()),
            span: parent_span,
        },
        Item::Value(value) => value_node(value),
        Item::Table(table) => Node {
            value: NodeValue::Table(table_entries(table)),
            span: table.span().or(parent_span),
        },
        Item::ArrayOfTables(array) => Node {
            value: NodeValue::Array(
                array
                    .iter()
                    .map(|table| Node {
                        value: NodeValue::Table(table_entries(table)),
                        span: table.span(),
                    })
                    .collect(),
            ),
            span: array.span(),
        },
    }
}

fn value_node(value: &Value) -> Node {
    let node_value = match value {
        Value::String(s) => NodeValue::String(s.value().clone()),
        Value::Integer(i) => NodeValue::Integer(*i.value()),
        Value::Float(f) => NodeValue::Float(*f.value()),
        Value::Boolean(b) => NodeValue::Boolean(*b.value()),
        Value::Datetime(d) => NodeValue::Datetime(d.value().to_string()),
        Value::Array(array) => NodeValue::Array(array.iter().map(value_node).collect()),
        Value::InlineTable(table) => NodeValue::Table(inline_entries(table)),
    };
    Node {
        value: node_value,
        span: value.span(),
    }
}
