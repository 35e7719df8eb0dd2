//! Layouts (docs/scenario.md): each layout is the base scenario with the layout's tables merged in.
//! Tables merge key by key; arrays (and every other value) replace whole, except that a
//! table written where the base has a list of records edits those records by id:
//! `edge_pools.edge-dallas.servers = 3` changes one pool and keeps the others.

use super::decode::Findings;
use super::tree::{Entry, Node, NodeValue};

/// Merges `overlay` into `base`: a key in both whose values are both tables merges
/// recursively; a table over a list of records edits the records it names by id (see
/// [`record_key`]); any other key of `overlay` replaces or adds to `base`. Edits that
/// name no record are left out here and reported by [`check_edits`].
pub fn merge(base: &Node, overlay: &Node) -> Node {
    match (&base.value, &overlay.value) {
        (NodeValue::Table(base_entries), NodeValue::Table(overlay_entries)) => {
            let mut merged: Vec<Entry> = base_entries.clone();
            for entry in overlay_entries {
                match merged.iter_mut().find(|e| e.key == entry.key) {
                    Some(existing) => {
                        existing.node = merge(&existing.node, &entry.node);
                        if !matches!(entry.node.value, NodeValue::Table(_)) {
                            existing.key_span = entry.key_span.clone();
                        }
                    }
                    None => merged.push(entry.clone()),
                }
            }
            Node {
                value: NodeValue::Table(merged),
                span: base.span.clone(),
            }
        }
        (NodeValue::Array(items), NodeValue::Table(edits)) if record_key(items).is_some() => {
            let key = record_key(items).expect("checked");
            let edited = items
                .iter()
                .map(|item| {
                    let id = record_id(item, key);
                    match edits.iter().find(|edit| Some(edit.key.as_str()) == id) {
                        Some(edit) => point_id_at(merge(item, &edit.node), key, edit),
                        None => item.clone(),
                    }
                })
                .collect();
            Node {
                value: NodeValue::Array(edited),
                span: base.span.clone(),
            }
        }
        _ => overlay.clone(),
    }
}

/// An edited record's id (or target) points at the edit that names it, so that what is
/// said about the record in a layout points at that layout's line.
fn point_id_at(mut record: Node, key: &str, edit: &Entry) -> Node {
    if let (NodeValue::Table(fields), Some(span)) = (&mut record.value, &edit.key_span)
        && let Some(field) = fields.iter_mut().find(|field| field.key == key)
    {
        field.node.span = Some(span.clone());
    }
    record
}

/// The key that identifies the records of a list, when every item is a table that has it
/// as a string: `id` (sites, pools), or `target` (SRV records).
pub fn record_key(items: &[Node]) -> Option<&'static str> {
    ["id", "target"]
        .into_iter()
        .find(|key| !items.is_empty() && items.iter().all(|item| record_id(item, key).is_some()))
}

/// The record of `items` whose id (by [`record_key`]) is `id`, as an edit by id finds it.
pub fn record_by_id<'n>(items: &'n [Node], id: &str) -> Option<&'n Node> {
    let key = record_key(items)?;
    items.iter().find(|item| record_id(item, key) == Some(id))
}

fn record_id<'n>(item: &'n Node, key: &str) -> Option<&'n str> {
    match &item.get(key)?.value {
        NodeValue::String(id) => Some(id),
        _ => None,
    }
}

/// Reports the edits by id in `overlay`, the layout at key path `layout`, that [`merge`]
/// cannot apply to `base`: an id no record has, an edit that is not a table, an edit of
/// the id itself.
pub fn check_edits(base: &Node, overlay: &Node, layout: &str, findings: &mut Findings) {
    check_edits_under(base, overlay, layout, "", findings);
}

/// [`check_edits`] for the tables at `path` (relative to the scenario's root).
fn check_edits_under(
    base: &Node,
    overlay: &Node,
    layout: &str,
    path: &str,
    findings: &mut Findings,
) {
    let (Some(base_entries), Some(overlay_entries)) = (base.as_table(), overlay.as_table()) else {
        return;
    };
    for entry in overlay_entries {
        let Some(base_entry) = base_entries.iter().find(|e| e.key == entry.key) else {
            continue;
        };
        let entry_path = if path.is_empty() {
            entry.key.clone()
        } else {
            format!("{path}.{}", entry.key)
        };
        match (&base_entry.node.value, &entry.node.value) {
            (NodeValue::Table(_), NodeValue::Table(_)) => {
                check_edits_under(&base_entry.node, &entry.node, layout, &entry_path, findings);
            }
            (NodeValue::Array(items), NodeValue::Table(edits)) => {
                check_record_edits(items, edits, layout, &entry_path, findings);
            }
            _ => {}
        }
    }
}

fn check_record_edits(
    items: &[Node],
    edits: &[Entry],
    layout: &str,
    path: &str,
    findings: &mut Findings,
) {
    let Some(key) = record_key(items) else {
        return;
    };
    let ids: Vec<&str> = items
        .iter()
        .filter_map(|item| record_id(item, key))
        .collect();
    let known: std::collections::HashSet<&str> = ids.iter().copied().collect();
    for edit in edits {
        let edit_path = if layout.is_empty() {
            format!("{path}.{}", edit.key)
        } else {
            format!("{layout}.{path}.{}", edit.key)
        };
        let span = edit.key_span.clone().or_else(|| edit.node.span.clone());
        if !known.contains(edit.key.as_str()) {
            // A dozen ids are enough to recognise a misspelling; every id on every error
            // of a file with thousands of each would be megabytes of messages.
            let mut listed: Vec<String> =
                ids.iter().take(12).map(|id| format!("\"{id}\"")).collect();
            if ids.len() > 12 {
                listed.push(format!("… ({} in all)", ids.len()));
            }
            findings.error(
                &edit_path,
                span,
                format!(
                    "the base scenario's `{path}` has no record whose {key} is \"{}\"",
                    edit.key
                ),
                format!(
                    "edit one of {} by its {key}; to add or remove records, write the whole list as an array (arrays replace the base's list)",
                    listed.join(", ")
                ),
            );
            continue;
        }
        let Some(fields) = edit.node.as_table() else {
            findings.error(
                &edit_path,
                span,
                format!(
                    "an edit by {key} is a table of the keys to change, not {}",
                    edit.node.value.type_name()
                ),
                format!(
                    "write the keys to change, e.g. `{path}.{}.<key> = <value>`",
                    edit.key
                ),
            );
            continue;
        };
        if let Some(changed) = fields.iter().find(|field| field.key == key) {
            findings.error(
                &format!("{edit_path}.{key}"),
                changed.key_span.clone(),
                format!("an edit by {key} may not change the record's {key}"),
                format!(
                    "layouts pair their results record by record; to use another {key}, write the whole list as an array"
                ),
            );
        }
    }
}

/// The base tree without some top-level keys (e.g. `layouts`).
pub fn without_keys(node: &Node, keys: &[&str]) -> Node {
    match &node.value {
        NodeValue::Table(entries) => Node {
            value: NodeValue::Table(
                entries
                    .iter()
                    .filter(|e| !keys.contains(&e.key.as_str()))
                    .cloned()
                    .collect(),
            ),
            span: node.span.clone(),
        },
        _ => node.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        let document = toml_edit::Document::parse(text.to_string()).unwrap();
        Node::from_document_root(document.as_table())
    }

    fn render(node: &Node) -> String {
        match &node.value {
            NodeValue::Table(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|e| format!("{}={}", e.key, render(&e.node)))
                    .collect();
                format!("{{{}}}", inner.join(","))
            }
            NodeValue::Array(items) => {
                let inner: Vec<String> = items.iter().map(render).collect();
                format!("[{}]", inner.join(","))
            }
            NodeValue::String(s) => s.clone(),
            NodeValue::Integer(i) => i.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn tables_merge_key_by_key() {
        let base = tree("[federation]\noutbound_route = \"a\"\ninbound = \"srv_priority\"\n");
        let layout = tree("[federation]\ninbound = \"single_target\"\n");
        assert_eq!(
            render(&merge(&base, &layout)),
            "{federation={outbound_route=a,inbound=single_target}}"
        );
    }

    #[test]
    fn arrays_replace_whole() {
        let base = tree(
            "[dns]\nttl = \"1h\"\nfederation = [{target=\"a\",priority=10,weight=1},{target=\"b\",priority=20,weight=1}]\n",
        );
        let layout = tree("[dns]\nfederation = [{target=\"b\",priority=10,weight=1}]\n");
        assert_eq!(
            render(&merge(&base, &layout)),
            "{dns={ttl=1h,federation=[{target=b,priority=10,weight=1}]}}"
        );
    }

    #[test]
    fn nested_tables_merge_and_new_keys_are_added() {
        let base = tree("[clients]\ndetect = { dist = \"fixed\", value = \"30s\" }\n");
        let layout = tree(
            "[clients]\ndetect = { value = \"10s\" }\nmobile_share = 0.25\n[operations]\nresponse = \"1h\"\n",
        );
        assert_eq!(
            render(&merge(&base, &layout)),
            "{clients={detect={dist=fixed,value=10s},mobile_share=Float(0.25)},operations={response=1h}}"
        );
    }

    #[test]
    fn a_value_replaces_a_table_and_vice_versa() {
        let base = tree("[clients]\ndetect = { dist = \"fixed\", value = \"30s\" }\n");
        let layout = tree("[clients]\ndetect = \"10s\"\n");
        assert_eq!(render(&merge(&base, &layout)), "{clients={detect=10s}}");
    }

    #[test]
    fn a_table_over_a_list_of_records_edits_them_by_id() {
        let base = tree(
            "[[edge_pools]]\nid = \"a\"\nservers = 2\n[[edge_pools]]\nid = \"b\"\nservers = 2\n[dns]\nremote_access = [{target=\"a\",priority=10,weight=1},{target=\"b\",priority=20,weight=1}]\n",
        );
        let layout = tree("edge_pools.b.servers = 3\ndns.remote_access.a.priority = 30\n");
        assert_eq!(
            render(&merge(&base, &layout)),
            "{edge_pools=[{id=a,servers=2},{id=b,servers=3}],dns={remote_access=[{target=a,priority=30,weight=1},{target=b,priority=20,weight=1}]}}"
        );
        let mut findings = Findings::default();
        check_edits(&base, &layout, "layouts[0]", &mut findings);
        assert!(findings.items.is_empty(), "{:?}", findings.items);
        // What is said about the edited pool's id points at the edit (`b` in
        // `edge_pools.b.servers`, bytes 11..12 of the layout), the other keeps its own.
        let merged = merge(&base, &layout);
        let pools = match &merged.get("edge_pools").unwrap().value {
            NodeValue::Array(items) => items.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(pools[1].get("id").unwrap().span, Some(11..12));
        assert_eq!(pools[0].get("id").unwrap().span, base_id_span(&base));
    }

    fn base_id_span(base: &Node) -> Option<crate::scenario::diagnostic::Span> {
        match &base.get("edge_pools").unwrap().value {
            NodeValue::Array(items) => items[0].get("id").unwrap().span.clone(),
            _ => None,
        }
    }

    #[test]
    fn edits_naming_no_record_or_changing_an_id_are_reported() {
        let base = tree("[[edge_pools]]\nid = \"a\"\nservers = 2\n");
        let layout =
            tree("edge_pools.c.servers = 3\nedge_pools.a.id = \"z\"\n[dns]\nttl = \"1h\"\n");
        let mut findings = Findings::default();
        check_edits(&base, &layout, "layouts[1]", &mut findings);
        let paths: Vec<&str> = findings
            .items
            .iter()
            .filter_map(|d| d.key_path.as_deref())
            .collect();
        assert_eq!(
            paths,
            ["layouts[1].edge_pools.c", "layouts[1].edge_pools.a.id"]
        );
        assert!(
            findings.items[0]
                .message
                .contains("no record whose id is \"c\"")
        );
        assert_eq!(render(&merge(&base, &layout)).matches("id=").count(), 1);
    }

    #[test]
    fn removing_keys_keeps_the_rest_in_order() {
        let base =
            tree("name = \"x\"\n[[layouts]]\nname = \"a\"\n[simulation]\nhorizon = \"1y\"\n");
        assert_eq!(
            render(&without_keys(&base, &["layouts"])),
            "{name=x,simulation={horizon=1y}}"
        );
    }
}
