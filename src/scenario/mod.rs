//! Scenario files (docs/scenario.md): text → checked, resolved [`Scenario`], or every error found.
//!
//! The flow is one way: bytes → UTF-8 → TOML syntax ([`tree`]) → typed reading with
//! key paths ([`schema`]) → layouts merged ([`layout`]) → references resolved
//! ([`resolve`]) → disaster-recovery warnings ([`lint`]).

pub mod assumption;
pub mod budget;
pub mod decode;
pub mod diagnostic;
pub mod distribution;
pub mod explore;
pub mod layout;
pub mod lint;
pub mod resolve;
pub mod schema;
pub mod sweep_scale;
pub mod tree;

use std::fmt;
use std::path::Path;

use decode::{
    Findings, TableReader, index_path, read_array, read_description, read_name, read_string,
};
use diagnostic::{Diagnostic, FindingKind, Severity, SourceText, Span};
use tree::{Node, NodeValue};

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
    /// Disaster-recovery warnings (docs/scenario.md), merged across layouts.
    pub warnings: Vec<Diagnostic>,
    /// The file's `[[sweeps]]`, each of whose values was checked like a layout.
    pub sweeps: Vec<SweepSpec>,
    /// The file's `[explore]`: what `edgesim explore` may change in the baseline layout,
    /// checked against it.
    pub explore: Option<explore::ExploreSpace>,
    /// The file's `[costs]`.
    pub costs: Option<explore::Costs>,
}

/// One key a sweep varies and the values it takes (`[[sweeps]]` or `sweep --vary`).
#[derive(Clone, Debug)]
pub struct SweepSpec {
    /// The dotted key path, e.g. `edge_pools.edge-dallas.servers`.
    pub key: String,
    /// The values, in order.
    pub values: Vec<Node>,
}

/// The most sweep values × sites and pools of every layout that `validate` checks: each
/// value is a load of the whole scenario.
pub const MAX_SWEEP_CHECK_WORK: usize = 500_000;

/// The most layouts a scenario may have: every layout is simulated in every replication
/// and has a row in every chart, so a thousand would take minutes and gigabytes for one
/// replication and draw charts a hundred thousand pixels tall.
pub const MAX_LAYOUTS: usize = 64;

/// The most values a sweep may list in all (each is a scenario loaded and run for every
/// layout; the cap keeps a hostile file from turning one load into thousands).
pub const MAX_SWEEP_POINTS: usize = 200;

/// Top-level keys a sweep may not vary, and why.
const UNSWEEPABLE: [(&str, &str); 7] = [
    ("simulation", RUN_SETTING),
    ("layouts", RUN_SETTING),
    ("sweeps", RUN_SETTING),
    ("name", RUN_SETTING),
    ("description", RUN_SETTING),
    (
        "objective",
        "every point is scored with the same [objective] so that their scores compare; change the weights in the file and sweep again",
    ),
    (
        "materiality",
        "it decides how verdicts read, not what the model does; change it in the file (or with run --material)",
    ),
];

/// Why a key of the file's own structure or of the run cannot be swept.
const RUN_SETTING: &str =
    "it is not a model setting (use -n, --seed or --horizon for the run's settings)";

impl SweepSpec {
    /// The scenario tree that sets `key` to `value`, to merge over every layout; or why
    /// the key cannot be swept.
    pub fn overlay(&self, value: &Node) -> Result<Node, String> {
        let segments = key_path_segments(&self.key)?;
        if let Some((_, reason)) = UNSWEEPABLE.iter().find(|(key, _)| *key == segments[0]) {
            return Err(format!("`{}` cannot be swept: {reason}", shown(&self.key)));
        }
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        Ok(Node::at_path(&segments, value.clone()))
    }

    /// [`SweepSpec::overlay`] over the scenario tree `base` (the file as written): a bare
    /// duration given for a key that holds a distribution there sets that distribution's
    /// location and keeps its form ([`sweep_scale::scaled`]).
    pub fn overlay_on(&self, base: &Node, value: &Node) -> Result<Node, String> {
        let segments = key_path_segments(&self.key)?;
        let path: Vec<&str> = segments.iter().map(String::as_str).collect();
        let value = sweep_scale::scaled(sweep_scale::at_path(base, &path), value)
            .map_err(|message| format!("`{}`: {message}", shown(&self.key)))?;
        self.overlay(&value)
    }
}

/// The most segments a sweep's key path may have: the deepest key of the format has six
/// (`edge_pools.<id>.failures.server.time_to_failure.<parameter>`); a path of thousands
/// would only exhaust the stack of the code that merges it.
pub const MAX_KEY_PATH_SEGMENTS: usize = 16;
/// The longest key path, in bytes.
pub const MAX_KEY_PATH_BYTES: usize = 1_000;

/// A key path as a message shows it: at most 80 characters.
fn shown(key: &str) -> String {
    let mut text: String = key.chars().take(80).collect();
    if text.len() < key.len() {
        text.push('…');
    }
    text
}

/// The segments of a dotted key path. A segment in double quotes may hold dots (an id
/// such as `edge_pools."edge.dallas".servers`).
pub fn key_path_segments(key: &str) -> Result<Vec<String>, String> {
    let not_a_path = || {
        format!(
            "`{}` is not a key path; write the scenario keys joined by dots, e.g. operations.response or edge_pools.<id>.servers (quote an id that holds a dot: edge_pools.\"edge.dallas\".servers)",
            shown(key)
        )
    };
    if key.len() > MAX_KEY_PATH_BYTES {
        return Err(format!(
            "the key path `{}` is {} bytes long; a key path has at most {MAX_KEY_PATH_BYTES}",
            shown(key),
            key.len()
        ));
    }
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    for c in key.chars() {
        match c {
            '"' if quoted => quoted = false,
            '"' if current.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => return Err(not_a_path()),
            '.' if !quoted => {
                if current.trim().is_empty() && !was_quoted {
                    return Err(not_a_path());
                }
                segments.push(std::mem::take(&mut current));
                was_quoted = false;
            }
            _ if was_quoted && !quoted => return Err(not_a_path()),
            _ => current.push(c),
        }
        if segments.len() > MAX_KEY_PATH_SEGMENTS {
            return Err(format!(
                "the key path `{}` has more than {MAX_KEY_PATH_SEGMENTS} parts; the scenario's keys are at most six deep",
                shown(key)
            ));
        }
    }
    if quoted || (current.trim().is_empty() && !was_quoted) {
        return Err(not_a_path());
    }
    segments.push(current);
    if segments.len() > MAX_KEY_PATH_SEGMENTS {
        return Err(format!(
            "the key path `{}` has more than {MAX_KEY_PATH_SEGMENTS} parts; the scenario's keys are at most six deep",
            shown(key)
        ));
    }
    Ok(segments)
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

/// The most diagnostics of one file shown: a file with more has a systematic mistake, and
/// the first ones show it; the rest would only flood the terminal.
pub const MAX_DIAGNOSTICS_SHOWN: usize = 100;

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in self.diagnostics.iter().take(MAX_DIAGNOSTICS_SHOWN) {
            writeln!(f, "{}", self.source.render(diagnostic))?;
        }
        let hidden = self.diagnostics.len().saturating_sub(MAX_DIAGNOSTICS_SHOWN);
        if hidden > 0 {
            writeln!(
                f,
                "... and {hidden} more; fix these first and validate again\n"
            )?;
        }
        let count = self.error_count();
        write!(
            f,
            "{}: {count} error{} found; nothing was run",
            diagnostic::terminal_safe(&self.source.name, 2_000),
            if count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for LoadError {}

/// Reads and checks the scenario file at `path`.
pub fn load_file(path: &Path) -> Result<LoadedScenario, LoadError> {
    let name = path.display().to_string();
    let refuse = |message: String, help: &str| LoadError {
        source: SourceText::new(name.clone(), ""),
        diagnostics: vec![Diagnostic::error("", message).with_help(help)],
    };
    if path.is_dir() {
        let mut scenarios: Vec<String> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|file| file.ends_with(".toml"))
            .collect();
        scenarios.sort();
        let holds = match scenarios.len() {
            0 => "it holds no .toml file".to_string(),
            n if n <= 5 => format!("it holds {}", scenarios.join(", ")),
            n => format!(
                "it holds {} and {} more .toml files",
                scenarios[..4].join(", "),
                n - 4
            ),
        };
        let folder = path.display().to_string();
        let folder = folder.trim_end_matches('/');
        let example = scenarios.first().map_or("scenario.toml", String::as_str);
        return Err(refuse(
            format!("this is a folder, not a scenario file ({holds})"),
            &format!(
                "give one file, e.g. {folder}/{example}; `edgesim validate` takes several at once: edgesim validate {folder}/*.toml"
            ),
        ));
    }
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path).and_then(|file| {
        use std::io::Read as _;
        file.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes)
    });
    match read {
        Ok(_) if bytes.len() as u64 > MAX_SCENARIO_BYTES => Err(refuse(
            format!(
                "the file is larger than {} MiB; a scenario is a short text file",
                MAX_SCENARIO_BYTES >> 20
            ),
            "check that this is the scenario you meant",
        )),
        Ok(_) => load_bytes(&name, &bytes),
        Err(error) => Err(refuse(
            format!("cannot read the scenario file: {error}"),
            "check the path; scenarios live under scenarios/",
        )),
    }
}

/// The largest scenario file read (16 MiB): far more than any topology needs, and a guard
/// against being handed a device or a huge file by mistake.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// Checks scenario bytes read from a file called `name`.
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<LoadedScenario, LoadError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(name, text),
        Err(error) => {
            let valid = &bytes[..error.valid_up_to()];
            let source = SourceText::new(name, String::from_utf8_lossy(bytes));
            let (line, column) =
                SourceText::new(name, String::from_utf8_lossy(valid)).line_column(valid.len());
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

/// Checks scenario text from a file called `name`: the scenario, its layouts, and every
/// value of its `[[sweeps]]` (each point must load as a scenario of its own).
pub fn load_str(name: &str, text: &str) -> Result<LoadedScenario, LoadError> {
    let loaded = load_str_with(name, text, None)?;
    let mut diagnostics = Vec::new();
    // Each sweep value is checked by loading the whole scenario with it, every layout and
    // component: bound that work, or one validate of a large file takes minutes.
    let points: usize = loaded.sweeps.iter().map(|s| s.values.len()).sum();
    let components: usize = loaded
        .scenario
        .layouts
        .iter()
        .map(|t| t.sites.len() + t.front_end_pools.len() + t.edge_pools.len())
        .sum();
    if points.saturating_mul(components) > MAX_SWEEP_CHECK_WORK {
        return Err(LoadError {
            diagnostics: vec![
                Diagnostic::error(
                    "sweeps",
                    format!(
                        "checking {points} sweep values means loading the scenario {points} times, with {} layouts of {components} sites and pools in all: more than edgesim checks at once",
                        loaded.scenario.layouts.len()
                    ),
                )
                .with_help(format!(
                    "list at most {} values in [[sweeps]] for this scenario (or fewer layouts), or give them with sweep --vary a few at a time",
                    (MAX_SWEEP_CHECK_WORK / components.max(1)).max(1)
                )),
            ],
            source: loaded.source,
        });
    }
    let file_tree = toml_edit::Document::parse(text)
        .map(|document| Node::from_document_root(document.as_table()))
        .ok();
    for (i, spec) in loaded.sweeps.iter().enumerate() {
        for (j, value) in spec.values.iter().enumerate() {
            let path = format!("sweeps[{i}].values[{j}]");
            let point = format!("{} = {}", spec.key, value.to_toml_text());
            let overlay = match file_tree
                .as_ref()
                .map_or_else(|| spec.overlay(value), |tree| spec.overlay_on(tree, value))
            {
                Ok(overlay) => overlay,
                Err(message) => {
                    diagnostics.push(
                        Diagnostic::error(format!("sweeps[{i}].key"), message)
                            .with_span(value.span.clone()),
                    );
                    break;
                }
            };
            if let Err(error) = load_str_with(name, text, Some(&overlay)) {
                for mut diagnostic in error.diagnostics {
                    if diagnostic.severity == Severity::Error {
                        diagnostic.message = format!("{} (at {path}: {point})", diagnostic.message);
                        diagnostics.push(diagnostic);
                    }
                }
            }
        }
    }
    if diagnostics.is_empty() {
        Ok(loaded)
    } else {
        Err(LoadError {
            source: loaded.source,
            diagnostics,
        })
    }
}

/// [`load_str`] with `overlay` merged over every layout (after the layout's own
/// changes), as a sweep point is; `[[sweeps]]` values are not checked here.
pub fn load_str_with(
    name: &str,
    text: &str,
    overlay: Option<&Node>,
) -> Result<LoadedScenario, LoadError> {
    load_layouts_with(name, text, overlay, None)
}

/// [`load_str_with`] keeping only layout `only` (every layout when `None`): an explore
/// candidate edits the layout explored, and the other layouts need not accept its edits.
pub fn load_layouts_with(
    name: &str,
    text: &str,
    overlay: Option<&Node>,
    only: Option<&str>,
) -> Result<LoadedScenario, LoadError> {
    let source = SourceText::new(name, text);
    let document = match toml_edit::Document::parse(text) {
        Ok(document) => document,
        Err(error) => {
            let message = error.message().trim().to_string();
            let before = error.span().map_or(text.len(), |span| span.start);
            // An inline table must close on its own line (TOML): one left open is the
            // mistake, whatever the parser stumbled on next.
            let diagnostic = match unclosed_inline_table(text, before) {
                Some((line, span)) => Diagnostic::error(
                    "",
                    format!("TOML syntax error: the inline table opened on line {line} is not closed"),
                )
                .with_span(Some(span))
                .with_help(format!(
                    "add `}}` at the end of line {line}: an inline table {{ ... }} ends on the line it starts (the parser then said: {message})"
                )),
                None => Diagnostic::error("", format!("TOML syntax error: {message}"))
                    .with_span(error.span())
                    .with_help("see docs/scenario.md for the format; strings need quotes, tables [brackets]"),
            };
            return Err(LoadError {
                source,
                diagnostics: vec![diagnostic],
            });
        }
    };
    let file_root = Node::from_document_root(document.as_table());
    let mut findings = Findings::default();
    let sweeps = read_sweeps(&file_root, &mut findings);
    let file_root = if file_root.get("sweeps").is_some() {
        layout::without_keys(&file_root, &["sweeps"])
    } else {
        file_root
    };
    let has_layouts = file_root.get("layouts").is_some();
    // Without layouts the scenario is its one layout, so the overlay goes on the base.
    let root = match overlay {
        Some(overlay) if !has_layouts => {
            layout::check_edits(&file_root, overlay, "", &mut findings);
            layout::merge(&file_root, overlay)
        }
        _ => file_root,
    };
    // Assumptions are read apart and merged over each layout (docs/scenario.md).
    let assumptions = root
        .get("assumptions")
        .map(|node| assumption::read_assumptions(node, &mut findings))
        .unwrap_or_default();
    let root = if root.get("assumptions").is_some() {
        layout::without_keys(&root, &["assumptions"])
    } else {
        root
    };
    let explore_space = root
        .get("explore")
        .and_then(|node| explore::read_explore(node, &mut findings));
    let costs = root
        .get("costs")
        .and_then(|node| explore::read_costs(node, &mut findings));
    let raw = schema::read_scenario(&root, &mut findings);
    let base = resolve::resolve_topology(&raw, "base", &mut findings);
    let mut diagnostics = findings.items;

    let mut topologies: Vec<Topology> = Vec::new();
    match root.get("layouts") {
        None if !assumptions.is_empty() => {
            let base_tree = layout::without_keys(&root, &["layouts"]);
            for cell in cells_under_assumptions("base", &base_tree, &assumptions, &mut diagnostics)
            {
                topologies.push(cell);
            }
        }
        None => topologies.extend(base),
        Some(layouts_node) if !assumptions.is_empty() => {
            let base_tree = layout::without_keys(&root, &["layouts"]);
            for (name, materialised, _) in
                materialise_layouts(&base_tree, layouts_node, &mut diagnostics)
                    .into_iter()
                    .filter(|(name, _, _)| only.is_none_or(|only| only == name))
            {
                let materialised = match overlay {
                    Some(overlay) => layout::merge(&materialised, overlay),
                    None => materialised,
                };
                topologies.extend(cells_under_assumptions(
                    &name,
                    &materialised,
                    &assumptions,
                    &mut diagnostics,
                ));
            }
        }
        Some(layouts_node) => {
            let base_tree = layout::without_keys(&root, &["layouts"]);
            for (name, materialised, replaced) in
                materialise_layouts(&base_tree, layouts_node, &mut diagnostics)
                    .into_iter()
                    .filter(|(name, _, _)| only.is_none_or(|only| only == name))
            {
                let mut layout_findings = Findings::default();
                let materialised = match overlay {
                    Some(overlay) => {
                        layout::check_edits(&materialised, overlay, "", &mut layout_findings);
                        layout::merge(&materialised, overlay)
                    }
                    None => materialised,
                };
                let layout_raw = schema::read_scenario(&materialised, &mut layout_findings);
                let topology = resolve::resolve_topology(&layout_raw, &name, &mut layout_findings);
                if let Some(hint) = replaced_list_hint(&base_tree, &replaced) {
                    for finding in &mut layout_findings.items {
                        if finding.kind == FindingKind::DanglingReference {
                            let help = finding.help.take().unwrap_or_default();
                            finding.help = Some(format!("{help}; {hint}"));
                        }
                    }
                }
                merge_findings(&mut diagnostics, layout_findings.items, &name);
                topologies.extend(topology);
            }
        }
    }

    if let Some(objective) = &raw.objective
        && !topologies.is_empty()
        && topologies.iter().all(|topology| {
            objective
                .weighted_users(topology)
                .iter()
                .all(|&users| users == 0.0)
        })
    {
        diagnostics.push(
            Diagnostic::error(
                "objective.weights",
                "the [objective] weighs only services that no layout has (or that concern no users), so every layout would score 0",
            )
            .with_span(root.get("objective").and_then(|n| n.span.clone()))
            .with_help("give a positive weight to a service the layouts have, e.g. remote_access = 1"),
        );
    }
    // The decision space is of the baseline layout (under the first assumption).
    let mut explore_space = explore_space;
    if let (Some(space), Some(layout), Some(node)) =
        (&mut explore_space, topologies.first(), root.get("explore"))
    {
        let mut space_findings = Findings::default();
        explore::check_space(space, layout, node, &mut space_findings);
        diagnostics.extend(space_findings.items);
        if !space.pairings.is_empty() {
            space.front_end_pools = layout_tree(text, &layout.layout_name)
                .and_then(|tree| tree.get("front_end_pools").cloned());
        }
    }
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(LoadError {
            source,
            diagnostics,
        });
    }
    // Warnings found while reading (rule U1) come first. With layouts, the base is not
    // run: only what holds in some layout is kept (the layouts' names were merged in).
    let mut warnings: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Warning && (!has_layouts || !d.layouts.is_empty()))
        .collect();
    let mut layout_names: Vec<&str> = topologies.iter().map(|t| t.layout_name.as_str()).collect();
    layout_names.sort_unstable();
    layout_names.dedup();
    let layout_count = layout_names.len();
    // F1 asks the planner to consider partners that do not retry: an assumption that
    // says so already has every layout judged under it.
    let partners_never_retry = topologies.iter().any(|t| {
        t.assumption.is_some()
            && t.federation.inbound == crate::topology::InboundFederation::SingleTarget
    });
    let mut layout_names_in_order: Vec<String> = Vec::new();
    for topology in &topologies {
        if !layout_names_in_order.contains(&topology.layout_name) {
            layout_names_in_order.push(topology.layout_name.clone());
        }
    }
    for topology in &topologies {
        let name = topology.layout_name.clone();
        let mut found = lint::lint(topology, &raw.simulation);
        if partners_never_retry {
            found.retain(|d| d.rule != Some("F1"));
        }
        merge_findings(&mut warnings, found, &name);
    }
    // F1 is about what partners do, which is the same for every layout: one warning (the
    // first layout's words) naming every layout it holds in, even where their federation
    // records differ and so would their lists of pools.
    if let Some(first) = warnings.iter().position(|w| w.rule == Some("F1")) {
        let mut layouts: Vec<String> = Vec::new();
        for warning in warnings.iter().filter(|w| w.rule == Some("F1")) {
            for layout in &warning.layouts {
                if !layouts.contains(layout) {
                    layouts.push(layout.clone());
                }
            }
        }
        let mut index = 0;
        warnings.retain(|w| {
            let keep = w.rule != Some("F1") || index == first;
            index += 1;
            keep
        });
        if let Some(f1) = warnings.iter_mut().find(|w| w.rule == Some("F1")) {
            // In scenario order.
            layouts.sort_by_key(|l| layout_names_in_order.iter().position(|n| n == l));
            f1.layouts = layouts;
        }
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
            objective: raw.objective,
            materiality: raw.materiality,
        },
        warnings,
        sweeps,
        explore: explore_space,
        costs,
    })
}

/// Reads the file's `[[sweeps]]`: a dotted `key` and a non-empty list of `values`.
fn read_sweeps(root: &Node, findings: &mut Findings) -> Vec<SweepSpec> {
    let mut sweeps = Vec::new();
    let Some(node) = root.get("sweeps") else {
        return sweeps;
    };
    let Some(items) = read_array(node, "sweeps", findings) else {
        return sweeps;
    };
    for (i, item) in items.iter().enumerate() {
        let path = index_path("sweeps", i);
        let Some(table) = TableReader::open(item, &path, &["key", "values"], findings) else {
            continue;
        };
        let key = table
            .required("key", findings, "\"operations.response\"")
            .and_then(|k| read_string(k, &table.path_of("key"), findings));
        let values = table
            .required("values", findings, "[\"15m\", \"30m\", \"1h\"]")
            .and_then(|v| read_array(v, &table.path_of("values"), findings).map(|v| (v, item)));
        let (Some(key), Some((values, _))) = (key, values) else {
            continue;
        };
        if values.is_empty() {
            findings.error(
                &table.path_of("values"),
                item.span.clone(),
                "a sweep needs at least one value",
                "list the values to try, e.g. values = [\"15m\", \"30m\", \"1h\"]",
            );
            continue;
        }
        let listed: usize = sweeps.iter().map(|s: &SweepSpec| s.values.len()).sum();
        if listed + values.len() > MAX_SWEEP_POINTS {
            findings.error(
                &table.path_of("values"),
                item.span.clone(),
                format!("the sweeps list more than {MAX_SWEEP_POINTS} values in all"),
                "sweep fewer values at a time; each one is a whole study of every layout",
            );
            break;
        }
        sweeps.push(SweepSpec {
            key,
            values: values.to_vec(),
        });
    }
    sweeps
}

/// Adds `found` (from layout `layout`) to `all`, merging repeats: a finding already
/// reported for the base is not repeated, one seen in another layout gains this layout.
fn merge_findings(all: &mut Vec<Diagnostic>, found: Vec<Diagnostic>, layout: &str) {
    type Identity = (
        bool,
        Option<&'static str>,
        Option<String>,
        String,
        Option<Span>,
    );
    let identity = |d: &Diagnostic| -> Identity {
        (
            d.severity == Severity::Error,
            d.rule,
            d.key_path.clone(),
            d.message.clone(),
            d.span.clone(),
        )
    };
    // An index of what is there, so that merging stays linear in the findings.
    let mut index: std::collections::HashMap<Identity, usize> = all
        .iter()
        .enumerate()
        .map(|(i, d)| (identity(d), i))
        .collect();
    for mut diagnostic in found {
        match index.get(&identity(&diagnostic)).copied() {
            Some(i) if all[i].layouts.is_empty() && all[i].severity == Severity::Error => {}
            // A layout is evaluated once per assumption: it is listed once.
            Some(i) if all[i].layouts.iter().any(|l| l == layout) => {}
            Some(i) => all[i].layouts.push(layout.to_string()),
            None => {
                diagnostic.layouts = vec![layout.to_string()];
                index.insert(identity(&diagnostic), all.len());
                all.push(diagnostic);
            }
        }
    }
}

/// Lists of records a layout may replace with an array, dropping records that something
/// else still names.
const REPLACEABLE_LISTS: [&str; 2] = ["front_end_pools", "edge_pools"];

/// What to tell a planner whose layout replaced the lists `replaced` with arrays, when a
/// reference no longer resolves: arrays replace whole lists, and the edit-by-id form.
fn replaced_list_hint(base: &Node, replaced: &[&str]) -> Option<String> {
    let list = replaced.first()?;
    let example_id = base
        .get(list)
        .and_then(|node| match &node.value {
            NodeValue::Array(items) => items.first()?.get("id"),
            _ => None,
        })
        .and_then(|id| match &id.value {
            NodeValue::String(id) => Some(id.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "edge-a".to_string());
    let field = if *list == "edge_pools" {
        "servers = 3"
    } else {
        "remote_users = 5000"
    };
    Some(format!(
        "this layout's `{list} = [...]` replaces the base's whole list, so records it leaves out no longer exist; to change one record and keep the others, edit it by id instead: `{list}.{example_id}.{field}`"
    ))
}

/// Layout `name` (its tree `layout_tree`) under each assumption: one topology per cell,
/// in assumption order, its findings merged into `diagnostics` under "layout under
/// assumption".
fn cells_under_assumptions(
    name: &str,
    layout_tree: &Node,
    assumptions: &[assumption::Assumption],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Topology> {
    let mut cells = Vec::new();
    for belief in assumptions {
        let mut cell_findings = Findings::default();
        let tree = assumption::apply(layout_tree, belief);
        let raw = schema::read_scenario(&tree, &mut cell_findings);
        let topology = resolve::resolve_topology(&raw, name, &mut cell_findings);
        merge_findings(
            diagnostics,
            cell_findings.items,
            &format!("{name} under {}", belief.name),
        );
        if let Some(mut topology) = topology {
            topology.assumption = Some(belief.name.clone());
            cells.push(topology);
        }
    }
    cells
}

/// The last line before byte `before` of `text` that opens an inline table `{` it does
/// not close (outside strings and comments), with its 1-based number and the span of that
/// `{`.
fn unclosed_inline_table(text: &str, before: usize) -> Option<(usize, std::ops::Range<usize>)> {
    // Multi-line strings may hold braces across lines: leave those to the parser.
    let head = &text[..before.min(text.len())];
    if head.contains("\"\"\"") || head.contains("\'\'\'") {
        return None;
    }
    let mut found = None;
    let mut offset = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if offset >= before {
            break;
        }
        let mut open: Vec<usize> = Vec::new();
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            match quote {
                Some(q) => {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' && q == '"' {
                        escaped = true;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '"' | '\'' => quote = Some(c),
                    '#' => break,
                    '{' => open.push(offset + i),
                    '}' => {
                        open.pop();
                    }
                    _ => {}
                },
            }
        }
        if let Some(&start) = open.first()
            && start < before
        {
            found = Some((number + 1, start..start + 1));
        }
        offset += line.len();
    }
    found
}

/// The tree of layout `name` as the loader materialises it (the base with the layout's
/// changes; the base itself for a scenario without `[[layouts]]`), or `None` when the text
/// does not parse or has no such layout.
pub fn layout_tree(text: &str, name: &str) -> Option<Node> {
    let document = toml_edit::Document::parse(text).ok()?;
    let root = Node::from_document_root(document.as_table());
    let base_tree = layout::without_keys(&root, &["layouts"]);
    match root.get("layouts") {
        None => Some(base_tree),
        Some(layouts) => materialise_layouts(&base_tree, layouts, &mut Vec::new())
            .into_iter()
            .find(|(layout, _, _)| layout == name)
            .map(|(_, tree, _)| tree),
    }
}

/// Checks the `[[layouts]]` entries and returns each layout's name with the base merged
/// with its tables, and the lists of records it replaced with arrays.
fn materialise_layouts(
    base: &Node,
    layouts_node: &Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(String, Node, Vec<&'static str>)> {
    let mut findings = Findings::default();
    let mut materialised = Vec::new();
    let Some(items) = read_array(layouts_node, "layouts", &mut findings) else {
        diagnostics.extend(findings.items);
        return materialised;
    };
    if items.len() > MAX_LAYOUTS {
        findings.error(
            "layouts",
            layouts_node.span.clone(),
            format!("{} layouts; a scenario may have at most {MAX_LAYOUTS}", items.len()),
            "every layout runs in every replication and has a row in every chart; compare fewer at a time (split the file, or use --layout to pick some)",
        );
        diagnostics.extend(findings.items);
        return materialised;
    }
    if items.is_empty() {
        findings.error(
            "layouts",
            layouts_node.span.clone(),
            "layouts is empty",
            "remove it to run the scenario as one layout named \"base\", or add [[layouts]] entries with a name",
        );
    }
    let mut names: std::collections::HashSet<String> = std::collections::HashSet::new();
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
            .and_then(|n| read_name(n, &table.path_of("name"), &mut findings));
        if let Some(description) = table.optional("description") {
            read_description(description, &table.path_of("description"), &mut findings);
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
                    "layouts share [simulation], [failures], [[outages]], the list of sites, the [objective] and [materiality] so their results are paired and their scores compare; move this to the base scenario or to a separate scenario file",
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
        if !names.insert(name.clone()) {
            findings.error(
                &table.path_of("name"),
                table.optional("name").and_then(|n| n.span.clone()),
                format!("duplicate layout name \"{name}\""),
                "give each layout its own name",
            );
            continue;
        }
        if forbidden_found {
            continue;
        }
        let overlay = layout::without_keys(item, &["name", "description"]);
        let errors_before = findings.items.len();
        layout::check_edits(base, &overlay, &path, &mut findings);
        if findings.items.len() > errors_before {
            // Merging edits that cannot apply would only add errors that follow from them.
            continue;
        }
        for key in assumption::world_keys_in_layout(&overlay) {
            let mut warning = Diagnostic::warning(
                    "A1",
                    format!(
                        "layout \"{name}\" changes `{key}`, which is what the world does, not a design choice"
                    ),
                )
                .with_key_path(format!("{path}.{key}"))
                .with_span(item.span.clone())
                .with_help("write it as an [[assumptions]] entry, so that every layout is judged under it and the verdict names it (docs/scenario.md, \"assumptions\")");
            // It holds in this layout only (the base alone is not run).
            warning.layouts = vec![name.clone()];
            findings.push(warning);
        }
        let replaced = REPLACEABLE_LISTS
            .into_iter()
            .filter(|list| {
                overlay
                    .get(list)
                    .is_some_and(|node| matches!(node.value, NodeValue::Array(_)))
            })
            .collect();
        materialised.push((name, layout::merge(base, &overlay), replaced));
    }
    diagnostics.extend(findings.items);
    materialised
}

/// One line about a layout's components: sites, pools, servers, users, records, outages.
fn describe_components(topology: &Topology) -> String {
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
    // Regional answers (rule G1) are counted with their way of answering.
    let regions = match topology.dns.regions.len() {
        0 => String::new(),
        count => {
            let geo = topology
                .dns
                .regions
                .iter()
                .filter(|r| r.answer != crate::topology::RegionAnswer::Srv)
                .count();
            let records: usize = topology
                .dns
                .regions
                .iter()
                .map(|r| r.remote_access.records().len())
                .sum();
            let geo = if geo > 0 {
                format!(", {geo} by geo-DNS")
            } else {
                String::new()
            };
            let plural = if count == 1 { "" } else { "s" };
            format!(" ({count} region{plural} with {records} more{geo})")
        }
    };
    format!(
        "{} sites, {} Front End pools ({users} users, {remote} remote), {} Edge pools ({servers} servers, room for {capacity} remote users), {} remote-access{regions} and {} federation SRV records, {} injected outages",
        topology.sites.len(),
        topology.front_end_pools.len(),
        topology.edge_pools.len(),
        topology.dns.remote_access.records().len(),
        topology.dns.federation.records().len(),
        topology.outages.len(),
    )
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
        // Layouts that differ only in settings share one line about their components.
        let mut groups: Vec<(Vec<String>, String)> = Vec::new();
        // With assumptions, each layout once (under the first assumption).
        let first_assumption = scenario.layouts.first().and_then(|t| t.assumption.clone());
        let layouts: Vec<&Topology> = scenario
            .layouts
            .iter()
            .filter(|t| t.assumption == first_assumption)
            .collect();
        for (i, topology) in layouts.iter().enumerate() {
            let name = if layouts.len() > 1 && i == 0 {
                format!("{} (baseline)", topology.layout_name)
            } else {
                topology.layout_name.clone()
            };
            let components = describe_components(topology);
            match groups.iter_mut().find(|(_, text)| *text == components) {
                Some((names, _)) => names.push(name),
                None => groups.push((vec![name], components)),
            }
        }
        for (names, components) in groups {
            let label = if names.len() == 1 {
                "layout"
            } else {
                "layouts"
            };
            lines.push(format!("  {label} {}: {components}", names.join(", ")));
        }
        let mut assumptions: Vec<&str> = Vec::new();
        for topology in &scenario.layouts {
            if let Some(name) = &topology.assumption
                && !assumptions.contains(&name.as_str())
            {
                assumptions.push(name);
            }
        }
        if !assumptions.is_empty() {
            lines.push(format!(
                "  assumptions (every layout judged under each): {}",
                assumptions.join(", ")
            ));
        }
        if let Some(objective) = &scenario.objective {
            let weights: Vec<String> = objective
                .weights
                .iter()
                .map(|(service, weight)| format!("{} {weight}", service.name()))
                .collect();
            lines.push(format!(
                "  objective: weighted user-minutes lost per year; weights {}",
                weights.join(", ")
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
        let mut shown: Vec<String> = self
            .warnings
            .iter()
            .take(MAX_DIAGNOSTICS_SHOWN)
            .map(|w| self.source.render(w))
            .collect();
        let hidden = self.warnings.len().saturating_sub(MAX_DIAGNOSTICS_SHOWN);
        if hidden > 0 {
            shown.push(format!("... and {hidden} more warnings\n"));
        }
        shown.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::Distribution;
    use crate::time::{MICROS_PER_DAY, MICROS_PER_MINUTE, MICROS_PER_SECOND, SimDuration};
    use crate::topology::{EdgePoolIndex, FrontEndPoolIndex, InboundFederation, OutageTarget};

    const BASE: &str = include_str!("../../tests/valid-base.toml");

    fn load(text: &str) -> LoadedScenario {
        match load_str("test.toml", text) {
            Ok(loaded) => loaded,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn the_built_in_example_loads_with_four_layouts_under_three_assumptions() {
        let loaded = load(BUILTIN_EXAMPLE);
        let names: Vec<&str> = loaded
            .scenario
            .layouts
            .iter()
            .filter(|t| t.assumption.as_deref() == Some("partners-retry"))
            .map(|t| t.layout_name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "distinct-priorities",
                "equal-priorities",
                "geo-dns",
                "unpaired-pools"
            ]
        );
        assert_eq!(loaded.scenario.layouts.len(), 12);
        assert!(loaded.warnings.iter().all(|w| w.rule != Some("A1")));
        assert_eq!(loaded.scenario.simulation.seed, 20_140_312);
        assert_eq!(loaded.scenario.simulation.replications, 2000);
    }

    #[test]
    fn layouts_change_only_what_they_name() {
        let loaded = load(BUILTIN_EXAMPLE);
        let under = |assumption: &str| -> Vec<&Topology> {
            loaded
                .scenario
                .layouts
                .iter()
                .filter(|t| t.assumption.as_deref() == Some(assumption))
                .collect()
        };
        let [distinct, equal, geo, unpaired] = under("partners-retry")[..] else {
            panic!("four layouts")
        };
        let [never_distinct, _, never_geo, _] = under("partners-never-retry")[..] else {
            panic!("four layouts")
        };
        let priorities = |t: &Topology| -> Vec<(u32, u16, u16)> {
            t.dns
                .federation
                .records()
                .iter()
                .map(|r| (r.target.0, r.priority, r.weight))
                .collect()
        };
        assert_eq!(priorities(distinct), vec![(0, 10, 100), (1, 20, 100)]);
        assert_eq!(priorities(equal), vec![(0, 10, 50), (1, 10, 50)]);
        assert_eq!(priorities(geo), priorities(distinct));
        assert_eq!(distinct.federation.inbound, InboundFederation::SrvPriority);
        assert_eq!(equal.federation.inbound, InboundFederation::SrvPriority);
        assert_eq!(geo.federation.inbound, InboundFederation::GeoDns);
        // Partners that never retry: the SRV layouts take one target, the traffic manager
        // still answers.
        assert_eq!(
            never_distinct.federation.inbound,
            InboundFederation::SingleTarget
        );
        assert_eq!(never_geo.federation.inbound, InboundFederation::GeoDns);
        // Merging the federation table key by key keeps the route and gateway.
        assert_eq!(geo.federation.outbound_route, Some(EdgePoolIndex(0)));
        assert_eq!(geo.federation.xmpp_gateway, Some(EdgePoolIndex(0)));
        // The list given whole drops the pairing and keeps everything else.
        let backups = |t: &Topology| -> Vec<Option<u32>> {
            t.front_end_pools
                .iter()
                .map(|p| p.backup.map(|b| b.0))
                .collect()
        };
        assert_eq!(backups(distinct), vec![Some(1), Some(0), None]);
        assert_eq!(backups(unpaired), vec![None, None, None]);
        assert_eq!(priorities(unpaired), priorities(distinct));
        let next_hops = |t: &Topology| -> Vec<Option<u32>> {
            t.edge_pools
                .iter()
                .map(|p| p.next_hop.map(|n| n.0))
                .collect()
        };
        assert_eq!(next_hops(unpaired), vec![Some(0), Some(1), Some(2)]);
        assert_eq!(next_hops(distinct), next_hops(unpaired));
    }

    #[test]
    fn defaults_are_those_documented_in_scenario_md() {
        let minimal = load(include_str!("../../scenarios/two-site-minimal.toml"));
        assert_eq!(minimal.scenario.simulation.replications, 1000);
        assert_eq!(minimal.scenario.simulation.seed, 0);
        let topology = &minimal.scenario.layouts[0];
        assert_eq!(topology.layout_name, "base");
        assert_eq!(topology.edge_pools[0].capacity_per_server, 12_000);
        assert_eq!(topology.dns.ttl, SimDuration::from_hours(1));
        assert_eq!(topology.federation.inbound, InboundFederation::SrvPriority);
        assert_eq!(
            topology.federation.geo_dns_detect,
            SimDuration::from_micros(2 * MICROS_PER_MINUTE)
        );
        assert_eq!(
            topology.clients.connect_timeout,
            Distribution::Fixed(SimDuration::from_micros(21 * MICROS_PER_SECOND))
        );
        assert_eq!(topology.clients.session, SimDuration::from_hours(12));
        assert_eq!(topology.clients.mobile_share, 0.0);
        assert!(
            topology
                .firewall
                .allows(FrontEndPoolIndex(1), EdgePoolIndex(0))
        );
        // No [failures] for sites or FE pools: they never fail at random.
        assert!(!topology.sites[0].failure.can_fail());
        assert!(!topology.front_end_pools[0].failure.can_fail());
        // A bare duration in time_to_failure is an exponential mean.
        assert_eq!(
            topology.edge_pools[0].server_failure.time_to_failure,
            Distribution::Exponential {
                mean: SimDuration::from_micros(365 * MICROS_PER_DAY)
            }
        );
    }

    #[test]
    fn a_bare_duration_is_fixed_outside_failures() {
        let text = BASE.replace(
            "retry = { dist = \"uniform\", min = \"30s\", max = \"2m\" }",
            "retry = \"45s\"\ndetect = \"0s\"",
        );
        let topology = &load(&text).scenario.layouts[0];
        assert_eq!(
            topology.clients.retry,
            Distribution::Fixed(SimDuration::from_micros(45 * MICROS_PER_SECOND))
        );
        assert_eq!(
            topology.clients.detect,
            Distribution::Fixed(SimDuration::ZERO)
        );
    }

    #[test]
    fn per_pool_overrides_merge_key_by_key_with_the_defaults() {
        let text = BASE.replace(
            "servers = 2\ninternal_fqdn = \"edge-int.west",
            "servers = 2\nfailures = { server = { time_to_failure = \"2y\" } }\ninternal_fqdn = \"edge-int.west",
        );
        let topology = &load(&text).scenario.layouts[0];
        let west = &topology.edge_pools[1].server_failure;
        assert_eq!(
            west.time_to_failure,
            Distribution::Exponential {
                mean: SimDuration::from_micros(2 * 365 * MICROS_PER_DAY)
            }
        );
        // The repair time is inherited from [failures].server.
        assert_eq!(
            west.time_to_repair,
            Distribution::Exponential {
                mean: SimDuration::from_hours(4)
            }
        );
        assert_eq!(
            topology.edge_pools[0].server_failure.time_to_failure,
            Distribution::Exponential {
                mean: SimDuration::from_micros(365 * MICROS_PER_DAY)
            }
        );
    }

    #[test]
    fn server_outages_are_one_based_in_the_file_and_zero_based_inside() {
        let text = BASE.replace(
            "target = \"edge-east\"\nstart",
            "target = \"edge-east#2\"\nstart",
        );
        let outage = &load(&text).scenario.layouts[0].outages[0];
        assert_eq!(
            outage.target,
            OutageTarget::EdgeServer {
                pool: EdgePoolIndex(0),
                server: 1
            }
        );
        assert_eq!(outage.start, SimDuration::from_micros(30 * MICROS_PER_DAY));
        assert_eq!(outage.duration, SimDuration::from_hours(6));
    }

    #[test]
    fn the_firewall_becomes_a_matrix() {
        let text = BASE.replace(
            "mobile_share = 0.1\n",
            "mobile_share = 0.1\n\n[firewall]\ndefault = \"deny\"\nallow = [ { front_end = \"fe-east\", edge = \"edge-west\" } ]\n",
        );
        let firewall = &load(&text).scenario.layouts[0].firewall;
        assert!(!firewall.allows(FrontEndPoolIndex(0), EdgePoolIndex(0)));
        assert!(firewall.allows(FrontEndPoolIndex(0), EdgePoolIndex(1)));
    }

    #[test]
    fn stream_keys_follow_ids_not_positions() {
        let loaded = load(BUILTIN_EXAMPLE);
        let reordered_text = BUILTIN_EXAMPLE
            .replacen("id = \"dublin\"", "id = \"tmp\"", 1)
            .replacen("id = \"redmond\"", "id = \"dublin\"", 1)
            .replacen("id = \"tmp\"", "id = \"redmond\"", 1);
        let reordered = load(&reordered_text);
        let key = |l: &LoadedScenario, id: &str| {
            l.scenario.layouts[0]
                .sites
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.stream_key)
                .unwrap()
        };
        assert_eq!(key(&loaded, "dublin"), key(&reordered, "dublin"));
        assert_ne!(key(&loaded, "dublin"), key(&loaded, "redmond"));
    }

    #[test]
    fn an_edit_by_id_gives_the_layout_the_whole_list_would() {
        let whole = "[[layouts.edge_pools]]\nid = \"edge-east\"\nsite = \"east\"\nservers = 2\ninternal_fqdn = \"edge-int.east.example.com\"\nexternal_fqdn = \"sip.east.example.com\"\n[[layouts.edge_pools]]\nid = \"edge-west\"\nsite = \"west\"\nservers = 4\ninternal_fqdn = \"edge-int.west.example.com\"\nexternal_fqdn = \"sip.west.example.com\"\n";
        let text = format!(
            "{BASE}\n[[layouts]]\nname = \"whole\"\n{whole}\n[[layouts]]\nname = \"edit\"\nedge_pools.edge-west.servers = 4\n[[layouts]]\nname = \"srv\"\ndns.remote_access.edge-west.priority = 5\n"
        );
        let loaded = load(&text);
        let [whole, edit, srv] = &loaded.scenario.layouts[..] else {
            panic!("three layouts")
        };
        assert_eq!(
            format!("{:?}", whole.edge_pools),
            format!("{:?}", edit.edge_pools)
        );
        assert_eq!(edit.edge_pools[0].servers, 2);
        assert_eq!(edit.edge_pools[1].servers, 4);
        let priority_of = |topology: &Topology, target: usize| {
            topology
                .dns
                .remote_access
                .records()
                .iter()
                .find(|r| r.target.index() == target)
                .map(|r| r.priority)
        };
        assert_eq!(priority_of(srv, 1), Some(5));
        assert_eq!(priority_of(srv, 0), priority_of(whole, 0));
    }

    #[test]
    fn a_layout_may_resize_and_remove_pools() {
        let text = format!(
            "{BASE}\n[[layouts]]\nname = \"as-is\"\n\n[[layouts]]\nname = \"bigger-west\"\n[[layouts.edge_pools]]\nid = \"edge-east\"\nsite = \"east\"\nservers = 2\ninternal_fqdn = \"edge-int.east.example.com\"\nexternal_fqdn = \"sip.east.example.com\"\n[[layouts.edge_pools]]\nid = \"edge-west\"\nsite = \"west\"\nservers = 4\ninternal_fqdn = \"edge-int.west.example.com\"\nexternal_fqdn = \"sip.west.example.com\"\n"
        );
        let loaded = load(&text);
        let [as_is, bigger] = &loaded.scenario.layouts[..] else {
            panic!("two layouts")
        };
        assert_eq!(as_is.edge_pools[1].servers, 2);
        assert_eq!(bigger.edge_pools[1].servers, 4);
        assert_eq!(bigger.edge_pools[1].full_capacity(), 48_000);
        assert_eq!(as_is.outages, bigger.outages);
    }
}
