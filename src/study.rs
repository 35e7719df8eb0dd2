//! Orchestration of the commands that produce files: `run` (load, apply the overrides,
//! simulate, stream `runs.csv`, export every file, commit them together), `merge` (shard
//! folders into the files of a single run) and `trace` (one replication, its CSV and its
//! timeline). The command line only parses arguments, calls these and maps errors to
//! exit codes.

use std::path::{Path, PathBuf};

use crate::export::part::{Part, PartFile};
use crate::export::runs::RunsWriter;
use crate::export::{self, Exporter};
use crate::montecarlo::Shard;
use crate::output::Staging;
use crate::results::{Results, RunInfo};
use crate::scenario::{self, LoadedScenario};

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

/// Why a command failed, which decides its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A mistake on the command line: an override out of range, an unknown layout, a
    /// shard with nothing in it (exit 2).
    Usage(String),
    /// Invalid input (a scenario, a part file, a folder edgesim may not write) or a failed
    /// write (exit 1).
    Failed(String),
}

impl Failure {
    /// The message, as printed on stderr.
    pub fn message(&self) -> &str {
        match self {
            Failure::Usage(message) | Failure::Failed(message) => message,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Failed(message)
    }
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

/// The warnings of a loaded scenario, each rendered as text.
fn rendered_warnings(loaded: &LoadedScenario) -> Vec<String> {
    loaded
        .warnings
        .iter()
        .map(|w| loaded.source.render(w))
        .collect()
}

/// The size of `runs.csv` above which a run warns first (docs/output.md).
pub const RUNS_WARNING_BYTES: u64 = 2_000_000_000;

/// `edgesim run`: every layout, every replication of the shard, every file, committed
/// together (a failure leaves every previous file as it was).
pub fn run(options: &RunOptions, listener: &mut dyn RunListener) -> Result<Outcome, Failure> {
    let mut loaded = load_for_run(options).map_err(|error| error.to_string())?;
    apply_overrides(&mut loaded.scenario, options)
        .map_err(|message| Failure::Usage(format!("error: {message}")))?;
    let target = precision_target(options, &loaded.scenario)?;
    let scenario = &loaded.scenario;
    let shard = options.shard.unwrap_or(Shard::WHOLE);
    let replications = scenario.simulation.replications;
    if shard.size(replications) == 0 {
        return Err(Failure::Usage(format!(
            "error: --shard {}/{}: with {replications} replications this shard has none; split into at most {replications} shards",
            shard.index + 1,
            shard.count
        )));
    }
    listener.started(&loaded, shard.size(replications));
    if options.runs {
        // With a precision target, what the cap would write.
        let most = target
            .as_ref()
            .map_or(shard.size(replications), |t| t.max_replications);
        let bytes = export::runs::estimated_bytes(scenario, most);
        if bytes > RUNS_WARNING_BYTES {
            listener.warning(&format!(
                "warning: runs.csv will take {} {:.1} GB ({} bytes per replication); add --no-runs to skip it (every other file stays the same)",
                if target.is_some() { "up to" } else { "about" },
                bytes as f64 / 1e9,
                bytes / most.max(1)
            ));
        }
    }
    let folder = options
        .output
        .clone()
        .unwrap_or_else(|| crate::output::default_folder(&loaded.source.name));
    let fail = |error: crate::output::WriteError| format!("error: {error}");
    let mut staging = Staging::new(&folder, crate::output::OutputKind::Run).map_err(fail)?;
    let mut runs = if options.runs {
        let file = staging.create("runs.csv").map_err(fail)?;
        Some(
            RunsWriter::new(file, scenario)
                .map_err(|e| format!("error: cannot write runs.csv: {e}"))?,
        )
    } else {
        None
    };
    let pool = crate::montecarlo::thread_pool(options.threads)?;
    let mut study = crate::stats::Study::new(scenario);
    let mut batch = Batch {
        scenario,
        pool: &pool,
        study: &mut study,
        listener: &mut *listener,
        runs: &mut runs,
    };
    batch.simulate(shard.replications(replications))?;
    // A precision target: more batches, in replication order, until every named row is
    // precise enough or the cap is reached.
    let mut precision = None;
    if let Some(target) = &target {
        let mut report = crate::precision::assess(batch.study, target);
        while let Some(total) = crate::precision::next_total(&report) {
            batch.listener.extended(total);
            batch.simulate(report.replications..total)?;
            report = crate::precision::assess(batch.study, target);
        }
        precision = Some(report);
    }
    listener.simulated();
    let mut scenario = loaded.scenario.clone();
    if let Some(report) = &precision {
        scenario.simulation.replications = report.replications;
    }
    let scenario = &scenario;
    if let Some(writer) = runs {
        writer
            .finish()
            .map_err(|e| format!("error: cannot write runs.csv: {e}"))?;
    }
    let mut results = Results::new(
        RunInfo::new(scenario, &loaded.source.name, &loaded.source.text),
        scenario.description.clone().unwrap_or_default(),
        rendered_warnings(&loaded),
        study,
    );
    results.precision = precision;
    let mut exporters = export::file_exporters(options.charts);
    if let Some(shard) = options.shard {
        exporters.push(Box::new(PartFile {
            shard,
            has_runs: options.runs,
        }));
    }
    Ok(finish(staging, results, &exporters)?)
}

/// What simulating a batch of replications of a run needs.
struct Batch<'a> {
    scenario: &'a crate::topology::Scenario,
    pool: &'a rayon::ThreadPool,
    study: &'a mut crate::stats::Study,
    listener: &'a mut dyn RunListener,
    runs: &'a mut Option<RunsWriter<std::io::BufWriter<std::fs::File>>>,
}

impl Batch<'_> {
    /// Adds `replications` to the study, telling the listener and streaming `runs.csv`.
    fn simulate(&mut self, replications: impl Iterator<Item = u64>) -> Result<(), String> {
        let (listener, runs) = (&mut *self.listener, &mut *self.runs);
        crate::montecarlo::extend(
            self.scenario,
            self.pool,
            replications,
            self.study,
            &mut |replication, results| {
                listener.replication_done();
                match runs {
                    Some(writer) => writer
                        .write(replication, results)
                        .map_err(|e| format!("error: cannot write runs.csv: {e}")),
                    None => Ok(()),
                }
            },
        )
    }
}

/// The precision target `run --precision` asks for, checked against the run's other
/// options; `None` without one.
fn precision_target(
    options: &RunOptions,
    scenario: &crate::topology::Scenario,
) -> Result<Option<crate::precision::PrecisionTarget>, Failure> {
    let Some(precision) = &options.precision else {
        return Ok(None);
    };
    let usage = |message: String| Failure::Usage(format!("error: {message}"));
    if options.shard.is_some() {
        return Err(usage(
            "--precision decides after each batch whether to run more, so it cannot be split into shards; run it whole (or shard a run of the replications it reported)".to_string(),
        ));
    }
    let target = precision.relative_half_width;
    if !(target.is_finite() && target > 0.0 && target < 1.0) {
        return Err(usage(format!(
            "--precision {target}: give the largest relative half-width of a 95% interval, above 0 and below 1 (e.g. 0.1 or 10% for ±10%)"
        )));
    }
    let batch = scenario.simulation.replications;
    let max_replications = precision
        .max_replications
        .unwrap_or_else(|| batch.saturating_mul(100))
        .min(scenario::schema::MAX_REPLICATIONS);
    if max_replications < batch {
        return Err(usage(format!(
            "--max-replications {max_replications}: the first batch alone is {batch} replications (-n); give at least that many"
        )));
    }
    let rows = precision
        .rows
        .iter()
        .map(|text| crate::precision::RowSelector::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    Ok(Some(crate::precision::PrecisionTarget {
        relative_half_width: target,
        rows,
        batch,
        max_replications,
    }))
}

/// Stages every exporter's file and commits them with whatever was staged before.
fn finish(
    mut staging: Staging,
    results: Results,
    exporters: &[Box<dyn Exporter>],
) -> Result<Outcome, String> {
    export::stage(&mut staging, &results, exporters).map_err(|e| format!("error: {e}"))?;
    let folder = staging.folder().to_path_buf();
    let files = staging.commit().map_err(|e| format!("error: {e}"))?;
    let report = files
        .iter()
        .find(|f| {
            f.file_name()
                .is_some_and(|n| n == export::report::REPORT_FILE)
        })
        .cloned();
    Ok(Outcome {
        results,
        folder,
        files,
        report,
    })
}

/// `edgesim merge`: the shard folders of one run into exactly the files a single run
/// would have written (charts and the report too when `charts` is set).
pub fn merge(part_folders: &[PathBuf], output: &Path, charts: bool) -> Result<Outcome, Failure> {
    let output_here = std::path::absolute(output).map_err(|e| e.to_string())?;
    for folder in part_folders {
        let same = std::path::absolute(folder).is_ok_and(|f| f == output_here)
            || (output.exists()
                && std::fs::canonicalize(folder).ok() == std::fs::canonicalize(output).ok());
        if same {
            return Err(Failure::Usage(format!(
                "-o {}: that is one of the shard folders being merged; write the merge to a new folder",
                output.display()
            )));
        }
    }
    let mut parts: Vec<(PathBuf, Part)> = Vec::new();
    for folder in part_folders {
        parts.push((folder.clone(), Part::read(folder)?));
    }
    parts.sort_by_key(|(_, part)| part.shard.index);
    let (first_folder, first) = &parts[0];
    for (folder, part) in &parts[1..] {
        // The fingerprint covers the scenario's text, the flags and the version; the
        // file's path may differ between machines.
        let same_run = part.info.fingerprint == first.info.fingerprint
            && RunInfo {
                scenario_file: first.info.scenario_file.clone(),
                ..part.info.clone()
            } == first.info;
        if !same_run
            || part.shard.count != first.shard.count
            || part.has_runs != first.has_runs
            || !part.study.same_shape(&first.study)
        {
            return Err(Failure::Failed(format!(
                "{} does not belong to the same run as {} (scenario, flags or edgesim version differ: fingerprints {} and {})",
                folder.display(),
                first_folder.display(),
                part.info.fingerprint,
                first.info.fingerprint
            )));
        }
    }
    let count = first.shard.count;
    let indices: Vec<u64> = parts.iter().map(|(_, p)| p.shard.index).collect();
    let complete = indices.len() as u64 == count && indices.iter().copied().eq(0..count);
    if !complete {
        let given: Vec<String> = indices
            .iter()
            .take(20)
            .map(|i| format!("{}/{count}", i + 1))
            .collect();
        return Err(Failure::Failed(format!(
            "merge needs every shard 1/{count} to {count}/{count} exactly once; got {}{}",
            given.join(", "),
            if indices.len() > 20 { ", ..." } else { "" }
        )));
    }
    let mut study = first.study.clone();
    for (folder, part) in &parts[1..] {
        study.merge(&part.study).map_err(|overflow| {
            Failure::Failed(format!(
                "{}: {overflow}: its counts are not ones a shard can hold",
                folder.display()
            ))
        })?;
    }
    let mut staging =
        Staging::new(output, crate::output::OutputKind::Run).map_err(|e| e.to_string())?;
    if first.has_runs {
        let shard_files: Vec<PathBuf> = parts.iter().map(|(f, _)| f.join("runs.csv")).collect();
        let mut out = staging.create("runs.csv").map_err(|e| e.to_string())?;
        export::runs::interleave(&shard_files, first.info.replications, &study, &mut out)?;
    }
    let results = Results::new(
        first.info.clone(),
        first.description.clone(),
        first.warnings.clone(),
        study,
    );
    Ok(finish(staging, results, &export::file_exporters(charts))
        .map_err(|e| e.trim_start_matches("error: ").to_string())?)
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
            let Some(topology) = scenario.layouts.iter().find(|t| &t.layout_name == name) else {
                return Err(format!(
                    "--layout {name}: the scenario has no such layout (it has: {})",
                    layout_names(scenario)
                ));
            };
            chosen.push(topology.clone());
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
    use crate::model::services::Service;
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
    scenario
        .layouts
        .iter()
        .map(|t| t.layout_name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `edgesim trace` was asked for.
#[derive(Clone, Debug, Default)]
pub struct TraceOptions {
    /// The scenario file; `None` for the built-in example.
    pub scenario: Option<PathBuf>,
    /// The layout (the baseline when `None`).
    pub layout: Option<String>,
    /// The replication, from 0.
    pub replication: u64,
    /// Horizon, in the scenario syntax (overrides the file).
    pub horizon: Option<String>,
    /// Seed (overrides the file).
    pub seed: Option<u64>,
    /// Output folder (`output/<scenario file stem>-trace/` when `None`).
    pub output: Option<PathBuf>,
}

/// What `edgesim trace` produced.
pub struct TraceOutcome {
    /// The scenario's warnings, rendered.
    pub warnings: Option<String>,
    /// The story to print.
    pub story: String,
    /// The files written: `trace.csv`, `timeline.svg`, `timeline.png`.
    pub files: Vec<PathBuf>,
}

/// `edgesim trace`: one replication of one layout, event by event. Replication K of a
/// run depends only on the scenario, the seed, the horizon and K, not on the run's
/// replication count, so any K that a run could have is accepted.
pub fn trace(options: &TraceOptions) -> Result<TraceOutcome, Failure> {
    let mut loaded = load_for_run(&RunOptions {
        scenario: options.scenario.clone(),
        ..RunOptions::default()
    })
    .map_err(|error| error.to_string())?;
    let overrides = RunOptions {
        horizon: options.horizon.clone(),
        seed: options.seed,
        layouts: options.layout.iter().cloned().collect(),
        ..RunOptions::default()
    };
    apply_overrides(&mut loaded.scenario, &overrides)
        .map_err(|message| Failure::Usage(format!("error: {message}")))?;
    let scenario = &loaded.scenario;
    let topology = &scenario.layouts[0];
    let max = scenario::schema::MAX_REPLICATIONS;
    if options.replication >= max {
        return Err(Failure::Usage(format!(
            "error: --replication {}: replications are numbered 0 to {}",
            options.replication,
            max - 1
        )));
    }
    let folder = options
        .output
        .clone()
        .unwrap_or_else(|| crate::output::default_trace_folder(&loaded.source.name));
    let fail = |error: crate::output::WriteError| format!("error: {error}");
    let mut staging = Staging::new(&folder, crate::output::OutputKind::Trace).map_err(fail)?;
    let trace_csv = staging.create("trace.csv").map_err(fail)?;
    let traced = crate::trace::trace(
        topology,
        &scenario.simulation,
        options.replication,
        trace_csv,
    )
    .map_err(|error| match error {
        crate::trace::TraceError::Write(_) => {
            format!("error: {} in {}", error, folder.display())
        }
        _ => format!("error: {error}"),
    })?;
    let view = crate::plot::timeline::TraceView {
        topology,
        simulation: &scenario.simulation,
        replication: options.replication,
        timeline: &traced.timeline,
    };
    let chart = crate::plot::timeline::Timeline;
    let svg = crate::plot::render_svg(&chart, &view).map_err(|e| format!("error: {e}"))?;
    let png = crate::plot::render_png(&chart, &view).map_err(|e| format!("error: {e}"))?;
    staging
        .write("timeline.svg", svg.as_bytes())
        .map_err(fail)?;
    staging.write("timeline.png", &png).map_err(fail)?;
    let files = staging.commit().map_err(fail)?;
    Ok(TraceOutcome {
        warnings: (!loaded.warnings.is_empty()).then(|| loaded.rendered_warnings()),
        story: crate::trace::story(topology, &scenario.simulation, options.replication, &traced),
        files,
    })
}
