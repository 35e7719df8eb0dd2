//! A study as a library call: a resolved scenario (its layouts, or any set of named
//! variants of one layout), a range of replications and options in; [`Results`] in
//! memory out. Writing files is a separate step (an [`crate::export::Exporter`] per file),
//! so the commands (`run`, `merge`, `sweep`, `diff`, `trace`, in [`crate::commands`]) are
//! drivers over this call, and so are the searches to come: a [`Runner`] adds
//! replications a batch at a time and shows the accumulated [`Study`] between batches.
//!
//! ```no_run
//! use edgesim::study::{Origin, Quiet, StudyOptions, study};
//!
//! let loaded = edgesim::scenario::load_file("scenarios/contoso-three-site.toml".as_ref())?;
//! // Two variants of the first layout, compared on common random numbers.
//! let base = &loaded.scenario.layouts[0];
//! let mut roomier = base.clone();
//! roomier.layout_name = "twice the room per Edge server".to_string();
//! for pool in &mut roomier.edge_pools {
//!     pool.capacity_per_server *= 2;
//! }
//! let variants = loaded.scenario.with_variants(vec![base.clone(), roomier]);
//! let results = study(&variants, &Origin::of(&loaded), &StudyOptions::default(), &mut Quiet)?;
//! for row in &results.comparison {
//!     // Point, interval, evidence and verdict of each paired difference.
//!     println!("{} {} {:+.1} min/year ({} of {} replications differ): {}",
//!         row.layout, row.service, row.delta_downtime_min_per_year,
//!         row.differing, row.replications, row.verdict.name());
//! }
//! // Writing files is a separate step over the same results.
//! let folder = std::path::Path::new("output/mine");
//! let mut staging = edgesim::output::Staging::new(folder, edgesim::output::OutputKind::Run)?;
//! edgesim::export::stage(&mut staging, &results, &edgesim::export::file_exporters(true))?;
//! staging.commit()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::model::ReplicationResult;
use crate::montecarlo::Shard;
use crate::precision::{PrecisionReport, PrecisionTarget};
use crate::results::{Results, RunInfo};
use crate::scenario::LoadedScenario;
use crate::stats::Study;
use crate::topology::Scenario;

/// Why a command or a study failed, which decides its exit code. A message never says
/// `error:` itself: [`Display`](std::fmt::Display) renders the prefix, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A mistake on the command line: an override out of range, an unknown layout, a
    /// shard with nothing in it (exit 2).
    Usage(String),
    /// Invalid input (a part file, a folder edgesim may not write) or a failed write
    /// (exit 1).
    Failed(String),
    /// A scenario that does not load: its findings, rendered with their own severities
    /// and places (exit 1).
    Invalid(String),
}

impl Failure {
    /// What went wrong, without the `error:` prefix.
    pub fn message(&self) -> &str {
        match self {
            Failure::Usage(message) | Failure::Failed(message) | Failure::Invalid(message) => {
                message
            }
        }
    }

    /// Whether it is a mistake on the command line (exit 2) rather than bad input or a
    /// failed write (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, Failure::Usage(_))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Usage(message) | Failure::Failed(message) => write!(f, "error: {message}"),
            Failure::Invalid(findings) => f.write_str(findings),
        }
    }
}

impl std::error::Error for Failure {}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Failed(message)
    }
}

impl From<crate::output::WriteError> for Failure {
    fn from(error: crate::output::WriteError) -> Self {
        Failure::Failed(error.to_string())
    }
}

impl From<crate::scenario::LoadError> for Failure {
    fn from(error: crate::scenario::LoadError) -> Self {
        Failure::Invalid(error.to_string())
    }
}

/// Where a study's scenario came from, for [`RunInfo`] (its fingerprint covers the text)
/// and for what the results say about it.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    /// The scenario file as given (or the built-in example's name).
    pub file: String,
    /// The file's text.
    pub text: String,
    /// The scenario's description (may be empty).
    pub description: String,
    /// Its disaster-recovery warnings, rendered as text.
    pub warnings: Vec<String>,
}

impl Origin {
    /// The origin of a loaded scenario.
    pub fn of(loaded: &LoadedScenario) -> Self {
        Origin {
            file: loaded.source.name.clone(),
            text: loaded.source.text.clone(),
            description: loaded.scenario.description.clone().unwrap_or_default(),
            warnings: loaded
                .warnings
                .iter()
                .map(|w| loaded.source.render(w))
                .collect(),
        }
    }
}

/// How to run a study.
#[derive(Clone, Debug)]
pub struct StudyOptions {
    /// The replications: those of this shard of `[simulation].replications`.
    pub shard: Shard,
    /// Worker threads (rayon's default when `None`). Results never depend on it.
    pub threads: Option<usize>,
    /// Keep adding batches of `[simulation].replications` until every named row is this
    /// precise (`run --precision`); `None` runs the shard once.
    pub precision: Option<PrecisionTarget>,
}

impl Default for StudyOptions {
    fn default() -> Self {
        StudyOptions {
            shard: Shard::WHOLE,
            threads: None,
            precision: None,
        }
    }
}

/// Told about each replication as it is folded in, in replication order (`run` streams
/// `runs.csv` and shows progress from it).
pub trait StudyObserver {
    /// Replication `replication` of every layout, in layout order.
    fn replication_done(
        &mut self,
        _replication: u64,
        _results: &[ReplicationResult],
    ) -> Result<(), Failure> {
        Ok(())
    }
    /// A precision target extends the study to `replications` in all.
    fn extended(&mut self, _replications: u64) {}
}

/// An observer that ignores everything.
pub struct Quiet;

impl StudyObserver for Quiet {}

/// A study under way: add replications in batches, read the accumulated study between
/// them. The study depends only on which replications were added, never on the threads
/// or on how they were batched.
pub struct Runner<'s> {
    scenario: &'s Scenario,
    pool: rayon::ThreadPool,
    study: Study,
}

impl<'s> Runner<'s> {
    /// A study of every layout of `scenario`, with no replication yet.
    pub fn new(scenario: &'s Scenario, threads: Option<usize>) -> Result<Self, Failure> {
        Ok(Runner {
            scenario,
            pool: crate::montecarlo::thread_pool(threads)?,
            study: Study::new(scenario),
        })
    }

    /// Adds `replications` (in increasing order), telling `observer` about each.
    pub fn extend(
        &mut self,
        replications: impl Iterator<Item = u64>,
        observer: &mut dyn StudyObserver,
    ) -> Result<(), Failure> {
        crate::montecarlo::extend(
            self.scenario,
            &self.pool,
            replications,
            &mut self.study,
            &mut |replication, results| {
                observer
                    .replication_done(replication, results)
                    .map_err(|failure| failure.message().to_string())
            },
        )
        .map_err(Failure::Failed)
    }

    /// What has been accumulated so far.
    pub fn study(&self) -> &Study {
        &self.study
    }

    /// The accumulated study.
    pub fn into_study(self) -> Study {
        self.study
    }
}

/// Runs a study of every layout of `scenario` (with any command-line overrides already
/// applied) and returns its results in memory: the shard's replications, then, with a
/// precision target, more batches in replication order until every named row is precise
/// enough or the cap is reached.
pub fn study(
    scenario: &Scenario,
    origin: &Origin,
    options: &StudyOptions,
    observer: &mut dyn StudyObserver,
) -> Result<Results, Failure> {
    let replications = scenario.simulation.replications;
    let shard = options.shard;
    check_shard(shard, replications)?;
    let mut runner = Runner::new(scenario, options.threads)?;
    runner.extend(shard.replications(replications), observer)?;
    let precision = match &options.precision {
        Some(target) => Some(extend_to_precision(&mut runner, target, observer)?),
        None => None,
    };
    let mut run = scenario.clone();
    if let Some(report) = &precision {
        run.simulation.replications = report.replications;
    }
    let mut results = Results::new(
        RunInfo::new(&run, &origin.file, &origin.text),
        origin.description.clone(),
        origin.warnings.clone(),
        runner.into_study(),
    );
    results.precision = precision;
    Ok(results)
}

/// Refuses a shard with no replication in it.
pub fn check_shard(shard: Shard, replications: u64) -> Result<(), Failure> {
    if shard.size(replications) == 0 {
        return Err(Failure::Usage(format!(
            "--shard {}/{}: with {replications} replications this shard has none; split into at most {replications} shards",
            shard.index + 1,
            shard.count
        )));
    }
    Ok(())
}

/// Adds batches in replication order until every row `target` names is precise enough or
/// its cap is reached, and says how it ended.
fn extend_to_precision(
    runner: &mut Runner<'_>,
    target: &PrecisionTarget,
    observer: &mut dyn StudyObserver,
) -> Result<PrecisionReport, Failure> {
    let mut report = crate::precision::assess(runner.study(), target);
    while let Some(total) = crate::precision::next_total(&report) {
        observer.extended(total);
        runner.extend(report.replications..total, observer)?;
        report = crate::precision::assess(runner.study(), target);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_says_error_once_and_findings_keep_their_own_words() {
        let usage = Failure::Usage("-n 0: use 1 to 100 replications".to_string());
        assert_eq!(usage.to_string(), "error: -n 0: use 1 to 100 replications");
        assert!(usage.is_usage());
        let failed = Failure::from("cannot write runs.csv: disk full".to_string());
        assert_eq!(
            failed.to_string(),
            "error: cannot write runs.csv: disk full"
        );
        assert!(!failed.is_usage());
        let loaded = crate::scenario::load_str("bad.toml", "[simulation]\nreplications = 0\n");
        let invalid = Failure::from(loaded.expect_err("invalid"));
        let text = invalid.to_string();
        assert!(text.starts_with("error"), "{text}");
        assert!(!text.starts_with("error: error"), "{text}");
        assert!(!invalid.is_usage());
    }
}
