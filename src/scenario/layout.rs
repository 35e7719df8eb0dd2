//! Layouts (docs/scenario.md): each layout is the base scenario with the layout's tables merged in.
//! Tables merge key by key; arrays (and every other value) replace whole.

use super::tree::{Entry, Node, NodeValue};

/// Merges `overlay` into `base`: a key in both whose values are both tables merges
/// recursively; any other key of `overlay` replaces or adds to `base`.
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
        _ => overlay.clone(),
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
    fn removing_keys_keeps_the_rest_in_order() {
        let base =
            tree("name = \"x\"\n[[layouts]]\nname = \"a\"\n[simulation]\nhorizon = \"1y\"\n");
        assert_eq!(
            render(&without_keys(&base, &["layouts"])),
            "{name=x,simulation={horizon=1y}}"
        );
    }
}
