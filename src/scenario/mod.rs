//! Scenario files (SPEC §2): text → checked, resolved [`Scenario`], or every error found.
//!
//! The flow is one way: bytes → UTF-8 → TOML syntax ([`tree`]) → typed reading with
//! key paths ([`schema`]) → layouts merged ([`layout`]) → references resolved
//! ([`resolve`]) → disaster-recovery warnings ([`lint`]).

pub mod decode;
pub mod diagnostic;
pub mod distribution;
pub mod layout;
pub mod lint;
pub mod resolve;
pub mod schema;
pub mod tree;

use std::fmt;
use std::path::Path;

use decode::{Findings, TableReader, index_path, read_array, read_string};
use diagnostic::{Diagnostic, Severity, SourceText};
use tree::Node;

use crate::topology::{Scenario, Topology};

/// The built-in example scenario that `edgesim run` uses when given none.
pub const BUILTIN_EXAMPLE: &str = include_str!("../../scenarios/contoso-three-site.toml");
/// The name the built-in example is reported under.
pub const BUILTIN_EXAMPLE_NAME: &str = "contoso-three-site.toml";

/// A scenario that loaded without errors, with its warnings.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    /// The file it came from.
    pub source: SourceText,
    /// The checked scenario.
    pub scenario: Scenario,
    /// Disaster-recovery warnings (SPEC §2), merged across layouts.
    pub warnings: Vec<Diagnostic>,
}

/// A scenario that did not load: every error found, and the warnings seen on the way.
#[derive(Clone, Debug)]
pub struct LoadError {
    /// The file it came from.
    pub source: SourceText,
    /// The findings, errors first.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// The number of errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.diagnostics {
            writeln!(f, "{}", self.source.render(diagnostic))?;
        }
        let count = self.error_count();
        write!(
            f,
            "{}: {count} error{} found; nothing was run",
            self.source.name,
            if count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for LoadError {}

/// Reads and checks the scenario file at `path`.
pub fn load_file(path: &Path) -> Result<LoadedScenario, LoadError> {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => load_bytes(&name, &bytes),
        Err(error) => Err(LoadError {
            source: SourceText {
                name,
                text: String::new(),
            },
            diagnostics: vec![
                Diagnostic::error("", format!("cannot read the scenario file: {error}"))
                    .with_help("check the path; scenarios live under scenarios/"),
            ],
        }),
    }
}

/// Checks scenario bytes read from a file called `name`.
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<LoadedScenario, LoadError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(name, text),
        Err(error) => {
            let valid = &bytes[..error.valid_up_to()];
            let source = SourceText {
                name: name.to_string(),
                text: String::from_utf8_lossy(bytes).into_owned(),
            };
            let (line, column) = SourceText {
                name: name.to_string(),
                text: String::from_utf8_lossy(valid).into_owned(),
            }
            .line_column(valid.len());
            Err(LoadError {
                source,
                diagnostics: vec![
                    Diagnostic::error(
                        "",
                        format!(
                            "the file is not valid UTF-8: bad byte at line {line}, column {column} (byte offset {})",
                            error.valid_up_to()
                        ),
                    )
                    .with_help("save the scenario as UTF-8 text"),
                ],
            })
        }
    }
}

/// Checks scenario text from a file called `name`.
pub fn load_str(name: &str, text: &str) -> Result<LoadedScenario, LoadError> {
    let source = SourceText {
        name: name.to_string(),
        text: text.to_string(),
    };
    let document = match toml_edit::Document::parse(text) {
        Ok(document) => document,
        Err(error) => {
            let message = error.message().trim().to_string();
            return Err(LoadError {
                source,
                diagnostics: vec![
                    Diagnostic::error("", format!("TOML syntax error: {message}"))
                        .with_span(error.span())
                        .with_help("see docs/scenario.md for the format; strings need quotes, tables [brackets]"),
                ],
            });
        }
    };
    let root = Node::from_document_root(document.as_table());
    let mut findings = Findings::default();
    let raw = schema::read_scenario(&root, &mut findings);
    let base = resolve::resolve_topology(&raw, "base", &mut findings);
    let mut diagnostics = findings.items;

    let mut topologies: Vec<Topology> = Vec::new();
    match root.get("layouts") {
        None => topologies.extend(base),
        Some(layouts_node) => {
            let base_tree = layout::without_keys(&root, &["layouts"]);
            for (name, materialised) in
                materialise_layouts(&base_tree, layouts_node, &mut diagnostics)
            {
                let mut layout_findings = Findings::default();
                let layout_raw = schema::read_scenario(&materialised, &mut layout_findings);
                let topology = resolve::resolve_topology(&layout_raw, &name, &mut layout_findings);
                merge_findings(&mut diagnostics, layout_findings.items, &name);
                topologies.extend(topology);
            }
        }
    }

    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(LoadError {
            source,
            diagnostics,
        });
    }
    let mut warnings = Vec::new();
    let layout_count = topologies.len();
    for topology in &topologies {
        let name = topology.layout_name.clone();
        merge_findings(&mut warnings, lint::lint(topology, &raw.simulation), &name);
    }
    // A warning that holds in every layout needs no list of layouts.
    for warning in &mut warnings {
        if warning.layouts.len() == layout_count {
            warning.layouts.clear();
        }
    }
    Ok(LoadedScenario {
        source,
        scenario: Scenario {
            name: raw.name,
            description: raw.description,
            simulation: raw.simulation,
            layouts: topologies,
        },
        warnings,
    })
}

/// Adds `found` (from layout `layout`) to `all`, merging repeats: a finding already
/// reported for the base is not repeated, one seen in another layout gains this layout.
fn merge_findings(all: &mut Vec<Diagnostic>, found: Vec<Diagnostic>, layout: &str) {
    for mut diagnostic in found {
        let same = all.iter_mut().find(|d| {
            d.severity == diagnostic.severity
                && d.rule == diagnostic.rule
                && d.key_path == diagnostic.key_path
                && d.message == diagnostic.message
                && d.span == diagnostic.span
        });
        match same {
            Some(existing)
                if existing.layouts.is_empty() && existing.severity == Severity::Error => {}
            Some(existing) => existing.layouts.push(layout.to_string()),
            None => {
                diagnostic.layouts = vec![layout.to_string()];
                all.push(diagnostic);
            }
        }
    }
}

/// Checks the `[[layouts]]` entries and returns each layout's name with the base merged
/// with its tables.
fn materialise_layouts(
    base: &Node,
    layouts_node: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(String, Node)> {
    let mut findings = Findings::default();
    let mut materialised = Vec::new();
    let Some(items) = read_array(layouts_node, "layouts", &mut findings) else {
        diagnostics.extend(findings.items);
        return materialised;
    };
    if items.is_empty() {
        findings.error(
            "layouts",
            layouts_node.span.clone(),
            "layouts is empty",
            "remove it to run the scenario as one layout named \"base\", or add [[layouts]] entries with a name",
        );
    }
    let mut names: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = index_path("layouts", i);
        let Some(table) = TableReader::open(
            item,
            &path,
            schema::LAYOUT_KEYS_AND_FORBIDDEN,
            &mut findings,
        ) else {
            continue;
        };
        let name = table
            .required("name", &mut findings, "\"equal-priorities\"")
            .and_then(|n| read_string(n, &table.path_of("name"), &mut findings));
        if let Some(description) = table.optional("description") {
            read_string(description, &table.path_of("description"), &mut findings);
        }
        let mut forbidden_found = false;
        for key in schema::LAYOUT_FORBIDDEN_KEYS
            .iter()
            .chain(["layouts"].iter())
        {
            if table.optional(key).is_some() {
                forbidden_found = true;
                let key_span = item
                    .as_table()
                    .and_then(|entries| entries.iter().find(|e| e.key == *key))
                    .and_then(|e| e.key_span.clone().or_else(|| e.node.span.clone()));
                findings.error(
                    &table.path_of(key),
                    key_span,
                    format!("a layout may not change `{key}`"),
                    "layouts share [simulation], [failures], [[outages]] and the list of sites so their results are paired; move this to the base scenario or to a separate scenario file",
                );
            }
        }
        let Some(name) = name else { continue };
        if name.trim().is_empty() {
            findings.error(
                &table.path_of("name"),
                item.span.clone(),
                "a layout name may not be empty",
                "name the layout, e.g. \"equal-priorities\"",
            );
            continue;
        }
        if names.contains(&name) {
            findings.error(
                &table.path_of("name"),
                table.optional("name").and_then(|n| n.span.clone()),
                format!("duplicate layout name \"{name}\""),
                "give each layout its own name",
            );
            continue;
        }
        names.push(name.clone());
        if forbidden_found {
            continue;
        }
        let overlay = layout::without_keys(item, &["name", "description"]);
        materialised.push((name, layout::merge(base, &overlay)));
    }
    diagnostics.extend(findings.items);
    materialised
}

impl LoadedScenario {
    /// A short description of what was loaded: sites, pools, servers, users and layouts.
    pub fn summary(&self) -> String {
        let scenario = &self.scenario;
        let simulation = &scenario.simulation;
        let mut lines = vec![
            format!("{}: ok, \"{}\"", self.source.name, scenario.name),
            format!(
                "  simulation: horizon {}, {} replications, seed {}",
                simulation.horizon, simulation.replications, simulation.seed
            ),
        ];
        for (i, topology) in scenario.layouts.iter().enumerate() {
            let servers: u64 = topology
                .edge_pools
                .iter()
                .map(|p| u64::from(p.servers))
                .sum();
            let capacity: u64 = topology.edge_pools.iter().map(|p| p.full_capacity()).sum();
            let users: u64 = topology.front_end_pools.iter().map(|p| p.users).sum();
            let remote: u64 = topology
                .front_end_pools
                .iter()
                .map(|p| p.remote_users)
                .sum();
            let role = if scenario.layouts.len() > 1 && i == 0 {
                " (baseline)"
            } else {
                ""
            };
            lines.push(format!(
                "  layout {}{role}: {} sites, {} Front End pools ({users} users, {remote} remote), {} Edge pools ({servers} servers, room for {capacity} remote users), {} remote-access and {} federation SRV records, {} injected outages",
                topology.layout_name,
                topology.sites.len(),
                topology.front_end_pools.len(),
                topology.edge_pools.len(),
                topology.dns.remote_access.records().len(),
                topology.dns.federation.records().len(),
                topology.outages.len(),
            ));
        }
        let count = self.warnings.len();
        lines.push(format!(
            "  {count} warning{}",
            if count == 1 { "" } else { "s" }
        ));
        lines.join("\n")
    }

    /// The warnings, rendered with their locations.
    pub fn rendered_warnings(&self) -> String {
        self.warnings
            .iter()
            .map(|w| self.source.render(w))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
