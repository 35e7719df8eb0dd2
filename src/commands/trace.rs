//! `edgesim trace`: one replication of one layout, its CSV and its timeline.

use std::path::PathBuf;

use super::{Failure, RunOptions, apply_overrides, load_for_run};
use crate::export::TerminalExporter as _;
use crate::export::trace::TraceStory;
use crate::output::Staging;
use crate::scenario;
use crate::trace::TracedReplication;

/// What `edgesim trace` was asked for.
#[derive(Clone, Debug, Default)]
pub struct TraceOptions {
    /// The scenario file; `None` for the built-in example.
    pub scenario: Option<PathBuf>,
    /// The layout (the baseline when `None`).
    pub layout: Option<String>,
    /// The assumption it is traced under (the first when `None`; only with assumptions).
    pub assumption: Option<String>,
    /// The replication, from 0.
    pub replication: u64,
    /// Horizon, in the scenario syntax (overrides the file).
    pub horizon: Option<String>,
    /// Seed (overrides the file).
    pub seed: Option<u64>,
    /// Output folder (`output/<scenario file stem>-trace/` when `None`).
    pub output: Option<PathBuf>,
    /// Which events the printed story tells.
    pub story: crate::trace::StoryFocus,
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
    })?;
    let overrides = RunOptions {
        horizon: options.horizon.clone(),
        seed: options.seed,
        layouts: options.layout.iter().cloned().collect(),
        ..RunOptions::default()
    };
    apply_overrides(&mut loaded.scenario, &overrides).map_err(Failure::Usage)?;
    let scenario = &loaded.scenario;
    let topology = match &options.assumption {
        None => &scenario.layouts[0],
        Some(name) => scenario
            .layouts
            .iter()
            .find(|t| t.assumption.as_deref() == Some(name.as_str()))
            .ok_or_else(|| {
                let mut known: Vec<&str> = Vec::new();
                for name in scenario
                    .layouts
                    .iter()
                    .filter_map(|t| t.assumption.as_deref())
                {
                    if !known.contains(&name) {
                        known.push(name);
                    }
                }
                Failure::Usage(if known.is_empty() {
                    format!("--assumption {name}: the scenario has no [[assumptions]]")
                } else {
                    format!(
                        "--assumption {name}: no such assumption; the scenario's are {}",
                        known.join(", ")
                    )
                })
            })?,
    };
    let max = scenario::schema::MAX_REPLICATIONS;
    if options.replication >= max {
        return Err(Failure::Usage(format!(
            "--replication {}: replications are numbered 0 to {}",
            options.replication,
            max - 1
        )));
    }
    let folder = options
        .output
        .clone()
        .unwrap_or_else(|| crate::output::default_trace_folder(&loaded.source.name));
    let mut staging = Staging::new(&folder, crate::output::OutputKind::Trace)?;
    let trace_csv = staging.create("trace.csv")?;
    let traced = crate::trace::trace(
        topology,
        &scenario.simulation,
        options.replication,
        trace_csv,
    )
    .map_err(|error| match error {
        crate::trace::TraceError::Write(_) => {
            format!("{} in {}", error, folder.display())
        }
        _ => error.to_string(),
    })?;
    let traced = TracedReplication {
        focus: options.story,
        topology,
        simulation: &scenario.simulation,
        replication: options.replication,
        trace: &traced,
    };
    let exporters = crate::export::trace::timeline_exporters();
    crate::export::stage(&mut staging, &traced, &exporters)?;
    let files = staging.commit()?;
    Ok(TraceOutcome {
        warnings: (!loaded.warnings.is_empty()).then(|| loaded.rendered_warnings()),
        story: TraceStory.render(&traced),
        files,
    })
}
