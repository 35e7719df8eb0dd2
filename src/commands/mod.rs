//! The commands that produce files, as drivers over a [`crate::study`]: each loads and
//! checks its input, runs the study (or reads one), and hands the results to exporters
//! that stage every file and commit them together. The command line only parses
//! arguments, calls these and maps a [`Failure`] to an exit code.

pub mod diff;
pub mod explore;
pub mod run;
pub mod sweep;
pub mod trace;

use std::path::PathBuf;

use crate::montecarlo::Shard;
use crate::results::Results;
use crate::scenario::{self, LoadedScenario};

pub use self::run::{RUNS_WARNING_BYTES, merge, run};
pub use self::trace::{TraceOptions, TraceOutcome, trace};
pub use crate::study::Failure;

/// What `edgesim run` was asked for. Every field but the scenario overrides the file.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The scenario file; `None` for the built-in example.
    pub scenario: Option<PathBuf>,
    /// Replications.
    pub replications: Option<u64>,
    /// Horizon, in the scenario syntax.
    pub horizon: Option<String>,
    /// Seed.
    pub seed: Option<u64>,
    /// Only these layouts, in the scenario's order (all when empty).
    pub layouts: Vec<String>,
    /// Worker threads (rayon's default when `None`).
    pub threads: Option<usize>,
    /// `--material` overrides of `[materiality]`: `MINUTES`, `SERVICE=MINUTES`,
    /// `score=USER_MINUTES` or `outages=PER_YEAR`.
    pub material: Vec<String>,
    /// Output folder (`output/<scenario file stem>/` when `None`).
    pub output: Option<PathBuf>,
    /// Run only this shard and write a part file.
    pub shard: Option<Shard>,
    /// Draw charts and the report.
    pub charts: bool,
    /// Write `runs.csv`.
    pub runs: bool,
    /// Run in batches until every named row is this precise (`--precision`).
    pub precision: Option<PrecisionOptions>,
}

/// `run --precision`: the target and which rows it applies to.
#[derive(Clone, Debug, Default)]
pub struct PrecisionOptions {
    /// The largest relative half-width of a 95% interval (0.1 for ±10%).
    pub relative_half_width: f64,
    /// `SERVICE`, `SERVICE:SCOPE` or `score`; each service's `all` and the score when
    /// empty.
    pub rows: Vec<String>,
    /// The most replications (100 batches when `None`).
    pub max_replications: Option<u64>,
}

/// Told what a run is doing, for progress displays.
pub trait RunListener {
    /// The scenario loaded; `replications` are about to run.
    fn started(&mut self, _loaded: &LoadedScenario, _replications: u64) {}
    /// Something the planner should know before the run goes on (shown even when quiet).
    fn warning(&mut self, _message: &str) {}
    /// One more replication is done.
    fn replication_done(&mut self) {}
    /// A precision target extends the run to `replications` in all.
    fn extended(&mut self, _replications: u64) {}
    /// Every replication is done; the files are being written.
    fn simulated(&mut self) {}
}

/// A listener that ignores everything.
pub struct Silent;

impl RunListener for Silent {}

/// What a command wrote.
pub struct Outcome {
    /// The study's results.
    pub results: Results,
    /// The output folder.
    pub folder: PathBuf,
    /// Every file written.
    pub files: Vec<PathBuf>,
    /// The report, when one was written.
    pub report: Option<PathBuf>,
}

/// Loads the scenario `run` was given, or the built-in example.
pub fn load_for_run(options: &RunOptions) -> Result<LoadedScenario, scenario::LoadError> {
    match &options.scenario {
        Some(path) => scenario::load_file(path),
        None => scenario::load_str(scenario::BUILTIN_EXAMPLE_NAME, scenario::BUILTIN_EXAMPLE),
    }
}

/// Applies the command-line overrides to a loaded scenario.
pub fn apply_overrides(
    scenario: &mut crate::topology::Scenario,
    options: &RunOptions,
) -> Result<(), String> {
    if let Some(replications) = options.replications {
        if !(1..=scenario::schema::MAX_REPLICATIONS).contains(&replications) {
            return Err(format!(
                "-n {replications}: use 1 to {} replications",
                scenario::schema::MAX_REPLICATIONS
            ));
        }
        scenario.simulation.replications = replications;
    }
    if let Some(text) = &options.horizon {
        let horizon = crate::time::parse_duration(text).map_err(|e| format!("--horizon: {e}"))?;
        let max = scenario::schema::MAX_HORIZON_YEARS * crate::time::MICROS_PER_YEAR;
        if horizon.is_zero() || horizon.as_micros() > max {
            return Err(format!(
                "--horizon {text}: use a positive horizon of at most {} years",
                scenario::schema::MAX_HORIZON_YEARS
            ));
        }
        scenario.simulation.horizon = horizon;
    }
    if let Some(seed) = options.seed {
        scenario.simulation.seed = seed;
    }
    for text in &options.material {
        apply_material(&mut scenario.materiality, text)?;
    }
    if !options.layouts.is_empty() {
        // In the order given: the first named is the baseline of comparisons.
        let mut chosen = Vec::with_capacity(options.layouts.len());
        for (i, name) in options.layouts.iter().enumerate() {
            if options.layouts[..i].contains(name) {
                return Err(format!("--layout {name}: named twice"));
            }
            // With assumptions, a layout is one cell per assumption: all are kept.
            let cells: Vec<_> = scenario
                .layouts
                .iter()
                .filter(|t| &t.layout_name == name)
                .cloned()
                .collect();
            if cells.is_empty() {
                return Err(format!(
                    "--layout {name}: the scenario has no such layout (it has: {})",
                    layout_names(scenario)
                ));
            }
            chosen.extend(cells);
        }
        scenario.layouts = chosen;
    }
    Ok(())
}

/// Applies one `--material` override (docs/scenario.md, "materiality").
fn apply_material(
    materiality: &mut crate::topology::Materiality,
    text: &str,
) -> Result<(), String> {
    use crate::vocabulary::Service;
    let (what, value) = match text.split_once('=') {
        Some((what, value)) => (Some(what.trim()), value.trim()),
        None => (None, text.trim()),
    };
    let number: f64 = value
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| {
            format!(
                "--material {text}: `{value}` is not a number of 0 or more; write e.g. --material 5 (minutes per year) or --material remote_access=10"
            )
        })?;
    match what {
        None => materiality.set_downtime(None, number),
        Some("score") => materiality.score_user_min_per_year = Some(number),
        Some("outages") => materiality.outages_per_year = number,
        Some(name) => {
            let service = Service::from_name(name).ok_or_else(|| {
                format!(
                    "--material {text}: `{name}` is not a service, `score` or `outages` (services: {})",
                    Service::names()
                )
            })?;
            materiality.set_downtime(Some(service), number);
        }
    }
    if materiality
        .downtime_min_per_year
        .values()
        .any(|&m| m > 525_600.0)
    {
        return Err(format!(
            "--material {text}: use at most 525600 minutes per year (a whole year)"
        ));
    }
    Ok(())
}

fn layout_names(scenario: &crate::topology::Scenario) -> String {
    let mut names: Vec<&str> = Vec::new();
    for topology in &scenario.layouts {
        if !names.contains(&topology.layout_name.as_str()) {
            names.push(&topology.layout_name);
        }
    }
    names.join(", ")
}
