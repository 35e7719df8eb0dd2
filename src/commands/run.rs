//! `edgesim run` (load, apply the overrides, run the study while streaming `runs.csv`,
//! export every file, commit them together) and `edgesim merge` (shard folders into the
//! files of a single run).

use std::path::{Path, PathBuf};

use super::{Failure, Outcome, RunListener, RunOptions, apply_overrides, load_for_run};
use crate::export::part::{Part, PartFile};
use crate::export::runs::RunsWriter;
use crate::export::{self, Exporter};
use crate::model::ReplicationResult;
use crate::montecarlo::Shard;
use crate::output::Staging;
use crate::results::{Results, RunInfo};
use crate::scenario;
use crate::study::{Origin, StudyObserver, StudyOptions};

/// The size of `runs.csv` above which a run warns first (docs/output.md).
pub const RUNS_WARNING_BYTES: u64 = 2_000_000_000;

/// `edgesim run`: every layout, every replication of the shard, every file, committed
/// together (a failure leaves every previous file as it was).
pub fn run(options: &RunOptions, listener: &mut dyn RunListener) -> Result<Outcome, Failure> {
    let mut loaded = load_for_run(options)?;
    apply_overrides(&mut loaded.scenario, options).map_err(Failure::Usage)?;
    let target = precision_target(options, &loaded.scenario)?;
    let scenario = &loaded.scenario;
    let shard = options.shard.unwrap_or(Shard::WHOLE);
    let replications = scenario.simulation.replications;
    crate::study::check_shard(shard, replications)?;
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
    let mut staging = Staging::new(&folder, crate::output::OutputKind::Run)?;
    let runs = if options.runs {
        let file = staging.create("runs.csv")?;
        Some(RunsWriter::new(file, scenario).map_err(|e| format!("cannot write runs.csv: {e}"))?)
    } else {
        None
    };
    let mut observer = RunObserver {
        listener: &mut *listener,
        runs,
    };
    let study_options = StudyOptions {
        shard,
        threads: options.threads,
        precision: target,
    };
    let results = crate::study::study(
        scenario,
        &Origin::of(&loaded),
        &study_options,
        &mut observer,
    )?;
    if let Some(writer) = observer.runs {
        writer
            .finish()
            .map_err(|e| format!("cannot write runs.csv: {e}"))?;
    }
    listener.simulated();
    let mut exporters = export::file_exporters(options.charts);
    if let Some(shard) = options.shard {
        exporters.push(Box::new(PartFile {
            shard,
            has_runs: options.runs,
        }));
    }
    finish(staging, results, &exporters)
}

/// Tells the listener of each replication and streams it to `runs.csv`.
struct RunObserver<'a> {
    listener: &'a mut dyn RunListener,
    runs: Option<RunsWriter<std::io::BufWriter<std::fs::File>>>,
}

impl StudyObserver for RunObserver<'_> {
    fn replication_done(
        &mut self,
        replication: u64,
        results: &[ReplicationResult],
    ) -> Result<(), Failure> {
        self.listener.replication_done();
        match &mut self.runs {
            Some(writer) => writer
                .write(replication, results)
                .map_err(|e| Failure::Failed(format!("cannot write runs.csv: {e}"))),
            None => Ok(()),
        }
    }

    fn extended(&mut self, replications: u64) {
        self.listener.extended(replications);
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
    let usage = |message: String| Failure::Usage(message);
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
) -> Result<Outcome, Failure> {
    export::stage(&mut staging, &results, exporters)?;
    let folder = staging.folder().to_path_buf();
    let files = staging.commit()?;
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
    let mut staging = Staging::new(output, crate::output::OutputKind::Run)?;
    if first.has_runs {
        let shard_files: Vec<PathBuf> = parts.iter().map(|(f, _)| f.join("runs.csv")).collect();
        let mut out = staging.create("runs.csv")?;
        export::runs::interleave(&shard_files, first.info.replications, &study, &mut out)?;
    }
    let results = Results::new(
        first.info.clone(),
        first.description.clone(),
        first.warnings.clone(),
        study,
    );
    finish(staging, results, &export::file_exporters(charts))
}
