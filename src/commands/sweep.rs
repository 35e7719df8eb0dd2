//! `edgesim sweep`: loads the base scenario and one scenario per swept value (the
//! command line's `--vary` or the file's `[[sweeps]]`), studies them through
//! [`crate::sweep::sweep`] and writes `sweep.csv`, the charts and the report together.

use std::path::PathBuf;

use super::{Failure, RunOptions, apply_overrides, load_for_run};
use crate::export;
use crate::output::Staging;
use crate::scenario::{self, LoadedScenario, SweepSpec};
use crate::study::Origin;
use crate::sweep::{SweepPoint, SweepResults, SweepVariant, parse_vary};

/// What `edgesim sweep` was asked for.
#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    /// The scenario, the settings that override it, the output folder
    /// (`output/<scenario file stem>-sweep/` when `None`) and whether to draw charts
    /// (`sweep.svg`/`.png`, `tornado.svg`/`.png` with two keys or more, `report.html`);
    /// shards and `runs.csv` do not apply.
    pub run: RunOptions,
    /// `KEY=V1,V2,...` from the command line; the file's `[[sweeps]]` when empty.
    pub varies: Vec<String>,
    /// Say on stderr what runs (one line per layout).
    pub progress: bool,
}

/// What `edgesim sweep` wrote.
pub struct SweepOutcome {
    /// The sweep's results.
    pub results: SweepResults,
    /// `sweep.csv`.
    pub file: PathBuf,
    /// Every file written, `sweep.csv` first.
    pub files: Vec<PathBuf>,
}

/// Runs a sweep and writes its files.
pub fn sweep(options: &SweepOptions) -> Result<SweepOutcome, Failure> {
    let run_options = &options.run;
    let mut base = load_for_run(run_options)?;
    apply_overrides(&mut base.scenario, run_options).map_err(Failure::Usage)?;
    let variants = variants(&base, options)?;
    let layouts = &base.scenario.layouts;
    let simulation = &base.scenario.simulation;
    let mut each_layout = |index: usize| {
        if options.progress {
            eprintln!(
                "sweep: layout {} ({} of {}), {} points × {} replications",
                layouts[index].cell_label(),
                index + 1,
                layouts.len(),
                variants.len(),
                simulation.replications
            );
        }
    };
    let results = crate::sweep::sweep(
        &variants,
        &Origin::of(&base),
        run_options.threads,
        &mut each_layout,
    )?;
    let folder = run_options
        .output
        .clone()
        .unwrap_or_else(|| crate::output::default_sweep_folder(&base.source.name));
    let mut staging = Staging::new(&folder, crate::output::OutputKind::Sweep)?;
    let exporters = export::sweep::sweep_exporters(run_options.charts);
    export::stage(&mut staging, &results, &exporters)?;
    let files = staging.commit()?;
    Ok(SweepOutcome {
        results,
        file: folder.join(export::sweep::SWEEP_FILE),
        files,
    })
}

/// The base point and one variant per distinct swept value, each with the run's
/// overrides applied.
fn variants(base: &LoadedScenario, options: &SweepOptions) -> Result<Vec<SweepVariant>, Failure> {
    let from_command_line = !options.varies.is_empty();
    let specs: Vec<SweepSpec> = if from_command_line {
        options
            .varies
            .iter()
            .map(|text| parse_vary(text))
            .collect::<Result<_, _>>()
            .map_err(Failure::Usage)?
    } else {
        base.sweeps.clone()
    };
    let listed: usize = specs.iter().map(|s| s.values.len()).sum();
    if listed > scenario::MAX_SWEEP_POINTS {
        return Err(Failure::Usage(format!(
            "--vary lists {listed} values; sweep at most {} at a time (each is a whole study of every layout)",
            scenario::MAX_SWEEP_POINTS
        )));
    }
    if specs.is_empty() {
        return Err(Failure::Usage(format!(
            "nothing to sweep: give --vary KEY=V1,V2,... or add a [[sweeps]] table to {}",
            base.source.name
        )));
    }
    // A mistake in a --vary is the command line's; one in [[sweeps]] is the scenario's.
    let refuse = |message: String| {
        if from_command_line {
            Failure::Usage(message)
        } else {
            Failure::Failed(message)
        }
    };
    // The file as written: a duration swept over a distribution scales it (its form kept).
    let file_tree = toml_edit::Document::parse(&base.source.text)
        .map(|document| scenario::tree::Node::from_document_root(document.as_table()))
        .map_err(|e| Failure::Failed(format!("{}: {e}", base.source.name)))?;
    let mut variants = vec![SweepVariant {
        point: SweepPoint {
            label: "base".to_string(),
            key: None,
            value: None,
        },
        scenario: base.scenario.clone(),
    }];
    for spec in &specs {
        for value in &spec.values {
            let text = value.to_toml_text();
            let label = format!("{}={text}", spec.key);
            if variants.iter().any(|v| v.point.label == label) {
                continue;
            }
            let overlay = spec
                .overlay_on(&file_tree, value)
                .map_err(|message| refuse(format!("--vary {label}: {message}")))?;
            let mut loaded: LoadedScenario =
                scenario::load_str_with(&base.source.name, &base.source.text, Some(&overlay))
                    .map_err(|error| {
                        let origin = if from_command_line {
                            "--vary"
                        } else {
                            "[[sweeps]] point"
                        };
                        refuse(format!(
                            "{origin} {label} does not give a valid scenario:\n{error}"
                        ))
                    })?;
            apply_overrides(&mut loaded.scenario, &options.run).map_err(Failure::Usage)?;
            variants.push(SweepVariant {
                point: SweepPoint {
                    label,
                    key: Some(spec.key.clone()),
                    value: Some(text),
                },
                scenario: loaded.scenario,
            });
        }
    }
    Ok(variants)
}
