//! Assumptions (docs/scenario.md, "assumptions"): named overlays of what the world does —
//! failures, injected outages, clients, the administrator, partners' behaviour — that
//! every layout is evaluated under. A layout is what the planner chooses; an assumption
//! is what the planner believes, and may not change a choice.

use super::decode::{Findings, TableReader, index_path, read_array, read_description, read_name};
use super::layout;
use super::tree::{Node, NodeValue};

/// The most assumptions a scenario may have: every layout runs under each.
pub const MAX_ASSUMPTIONS: usize = 16;

/// Top-level tables an assumption changes whole or key by key: what the world does.
pub const WORLD_TABLES: &[&str] = &["failures", "outages", "clients", "operations"];

/// Keys of `[federation]` that are partners' behaviour, not a choice.
pub const WORLD_FEDERATION_KEYS: &[&str] = &["inbound", "geo_dns_detect"];

/// Keys an `[[assumptions]]` entry may hold without being unknown: its own, the world's,
/// and the layout's choices (reported with a message of their own).
const ASSUMPTION_KEYS_AND_CHOICES: &[&str] = &[
    "name",
    "description",
    "failures",
    "outages",
    "clients",
    "operations",
    "federation",
    "front_end_pools",
    "edge_pools",
    "dns",
    "firewall",
    "sites",
    "simulation",
    "objective",
    "materiality",
];

/// One assumption: its name and what it changes.
#[derive(Clone, Debug)]
pub struct Assumption {
    /// Its name.
    pub name: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// The tables it merges over each layout.
    pub overlay: Node,
}

/// Reads the `[[assumptions]]` entries: names unique and not empty, and only world keys.
pub fn read_assumptions(node: &Node, findings: &mut Findings) -> Vec<Assumption> {
    let mut read = Vec::new();
    let Some(items) = read_array(node, "assumptions", findings) else {
        return read;
    };
    if items.len() > MAX_ASSUMPTIONS {
        findings.error(
            "assumptions",
            node.span.clone(),
            format!(
                "{} assumptions; a scenario may have at most {MAX_ASSUMPTIONS}",
                items.len()
            ),
            "every layout runs under every assumption; keep the beliefs you are unsure of and drop the rest",
        );
        return read;
    }
    if items.is_empty() {
        findings.error(
            "assumptions",
            node.span.clone(),
            "assumptions is empty",
            "remove it, or add [[assumptions]] entries with a name",
        );
    }
    let mut names = std::collections::HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let path = index_path("assumptions", i);
        let Some(table) = TableReader::open(item, &path, ASSUMPTION_KEYS_AND_CHOICES, findings)
        else {
            continue;
        };
        let name = table
            .required("name", findings, "\"partners-never-retry\"")
            .and_then(|n| read_name(n, &table.path_of("name"), findings));
        let description = table
            .optional("description")
            .and_then(|d| read_description(d, &table.path_of("description"), findings));
        let errors_before = findings.error_count();
        refuse_choices(item, &path, findings);
        let Some(name) = name else { continue };
        if name.trim().is_empty() {
            findings.error(
                &table.path_of("name"),
                item.span.clone(),
                "an assumption name may not be empty",
                "name the assumption, e.g. \"partners-never-retry\"",
            );
            continue;
        }
        if !names.insert(name.clone()) {
            findings.error(
                &table.path_of("name"),
                table.optional("name").and_then(|n| n.span.clone()),
                format!("duplicate assumption name \"{name}\""),
                "give each assumption its own name",
            );
            continue;
        }
        if findings.error_count() > errors_before {
            continue;
        }
        read.push(Assumption {
            name,
            description,
            overlay: layout::without_keys(item, &["name", "description"]),
        });
    }
    read
}

/// Errors for every key of assumption `item` (at `path`) that is a layout's choice or
/// the scenario's own setting, each naming the key.
fn refuse_choices(item: &Node, path: &str, findings: &mut Findings) {
    let Some(entries) = item.as_table() else {
        return;
    };
    for entry in entries {
        let key = entry.key.as_str();
        let span = entry.key_span.clone().or_else(|| entry.node.span.clone());
        if key == "federation" {
            for field in entry.node.as_table().unwrap_or(&[]) {
                if field.key == "inbound"
                    && matches!(&field.node.value, NodeValue::String(s) if s == "geo_dns")
                {
                    findings.error(
                        &format!("{path}.federation.inbound"),
                        field.node.span.clone().or_else(|| field.key_span.clone()),
                        "an assumption may not set `federation.inbound = \"geo_dns\"`: a global traffic manager is a layout's choice",
                        "an assumption says how partners behave (\"srv_priority\": they retry; \"single_target\": they do not); put inbound = \"geo_dns\" in a [[layouts]] entry",
                    );
                    continue;
                }
                if !WORLD_FEDERATION_KEYS.contains(&field.key.as_str()) {
                    findings.error(
                        &format!("{path}.federation.{}", field.key),
                        field.key_span.clone().or_else(|| field.node.span.clone()),
                        format!(
                            "an assumption may not change `federation.{}`: it is a layout's choice",
                            field.key
                        ),
                        "an assumption may change federation.inbound and federation.geo_dns_detect (partners' behaviour); put this in a [[layouts]] entry",
                    );
                }
            }
        } else if !WORLD_TABLES.contains(&key) && key != "name" && key != "description" {
            findings.error(
                &format!("{path}.{key}"),
                span,
                format!("an assumption may not change `{key}`: it is not what the world does"),
                "an assumption may change [failures], [[outages]], [clients], [operations], federation.inbound and federation.geo_dns_detect; what the planner chooses goes in a [[layouts]] entry, the run's settings in the base scenario",
            );
        }
    }
}

/// The world keys a layout's `overlay` changes (`clients`, `operations`,
/// `federation.inbound`, `federation.geo_dns_detect`), as key paths.
pub fn world_keys_in_layout(overlay: &Node) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["clients", "operations"] {
        if overlay.get(table).is_some() {
            found.push(table.to_string());
        }
    }
    if let Some(federation) = overlay.get("federation") {
        for key in WORLD_FEDERATION_KEYS {
            // A global traffic manager (`inbound = "geo_dns"`) is built, not believed.
            let builds_geo_dns = *key == "inbound"
                && federation
                    .get(key)
                    .is_some_and(|n| matches!(&n.value, NodeValue::String(s) if s == "geo_dns"));
            if federation.get(key).is_some() && !builds_geo_dns {
                found.push(format!("federation.{key}"));
            }
        }
    }
    found
}

/// `layout_tree` (the base with a layout's changes) under `assumption`: the assumption's
/// tables merged over it, except that partner behaviour (`srv_priority`,
/// `single_target`) leaves a layout on `geo_dns` on geo-DNS — the traffic manager answers
/// whatever partners do.
pub fn apply(layout_tree: &Node, assumption: &Assumption) -> Node {
    let on_geo_dns = layout_tree
        .get("federation")
        .and_then(|f| f.get("inbound"))
        .is_some_and(|inbound| matches!(&inbound.value, NodeValue::String(s) if s == "geo_dns"));
    let sets_partners = assumption
        .overlay
        .get("federation")
        .and_then(|f| f.get("inbound"))
        .is_some_and(|inbound| {
            matches!(&inbound.value, NodeValue::String(s) if s == "srv_priority" || s == "single_target")
        });
    if on_geo_dns && sets_partners {
        let mut overlay = assumption.overlay.clone();
        if let NodeValue::Table(entries) = &mut overlay.value
            && let Some(federation) = entries.iter_mut().find(|e| e.key == "federation")
        {
            federation.node = layout::without_keys(&federation.node, &["inbound"]);
        }
        layout::merge(layout_tree, &overlay)
    } else {
        layout::merge(layout_tree, &assumption.overlay)
    }
}
