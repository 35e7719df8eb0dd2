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
