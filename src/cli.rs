//! The command line: clap definitions, the calls into the library ([`crate::study`]),
//! progress on stderr, and the mapping of outcomes to exit codes (0 ok, 1 invalid input
//! or failed run, 2 usage mistake).

use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use crate::commands::{self, Failure, RunListener, RunOptions, TraceOptions};
use crate::export::TerminalExporter as _;
use crate::scenario;

/// Exit code for success (warnings allowed).
pub const EXIT_OK: u8 = 0;
/// Exit code for invalid input or a failed run.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for a mistake on the command line (clap uses it too).
pub const EXIT_USAGE: u8 = 2;

/// The exit codes, as every `--help` shows them.
const EXIT_CODES: &str = "\
Exit codes:
  0    success (warnings allowed)
  1    invalid scenario or part file, or a failed write; previous results are kept
       (for diff: something got significantly worse)
  2    usage mistake (unknown flag, value out of range, unknown layout)
  130  interrupted (143 for SIGTERM, 129 for SIGHUP); temporary files are removed";

const RUN_HELP: &str = "\
Examples:
  edgesim run                                   the built-in example, into output/contoso-three-site/
  edgesim run scenarios/two-site-minimal.toml -n 5000 --seed 7
  edgesim run scenarios/large-enterprise.toml --layout flat --layout hub-first --no-runs
  edgesim run --precision 10%                   batches until each service is known to ±10%
  edgesim run --material 2 --material score=1e6 verdicts: what change is material

Exit codes:
  0    success (warnings allowed)
  1    invalid scenario, or a failed write; previous results are kept
  2    usage mistake (unknown flag, -n 0, a horizon without a unit, an unknown layout)
  130  interrupted (143 for SIGTERM, 129 for SIGHUP); temporary files are removed";

const TRACE_HELP: &str = "\
Examples:
  edgesim trace                                 replication 0 of the built-in example
  edgesim trace scenarios/contoso-three-site.toml --replication 3 --layout equal-priorities
  edgesim trace my.toml --seed 7 --horizon 2y --replication 41   (replication 41 of `run --seed 7 --horizon 2y`)

Exit codes:
  0    success (warnings allowed)
  1    invalid scenario, or a failed write
  2    usage mistake (unknown layout, a horizon without a unit)";

const VALIDATE_HELP: &str = "\
Examples:
  edgesim validate scenarios/*.toml
  edgesim validate my.toml

Exit codes:
  0    every file loads (warnings allowed)
  1    a file has an error (every error of every file is reported)
  2    usage mistake";

const MERGE_HELP: &str = "\
Examples:
  edgesim run scenarios/large-enterprise.toml --shard 1/4 -o shards/1   (2/4 to 4/4 elsewhere)
  edgesim merge -o results shards/1 shards/2 shards/3 shards/4

Exit codes:
  0    success: the files of a single run
  1    the parts are not the shards of one run, or a part file is damaged
  2    usage mistake (no -o, -o is one of the shard folders)";

const SWEEP_HELP: &str = "\
Examples:
  edgesim sweep --vary operations.response=15m,30m,1h,2h
  edgesim sweep scenarios/large-enterprise.toml --vary edge_pools.edge-dallas.servers=2,3,4 --layout hub-first
  edgesim sweep my.toml -n 2000                     the file's [[sweeps]] tables

One key is varied at a time, the others stay at the scenario's values; every point runs
on the same random numbers as the base, so differences against the base are paired.
Values are TOML where they parse (3, 0.5, \"1h\") and text otherwise (1h, 15m).

Exit codes:
  0    success (warnings allowed)
  1    invalid scenario (including its [[sweeps]]), or a failed write
  2    usage mistake (a --vary key that does not exist, a value of the wrong unit, no values)";

const DIFF_HELP: &str = "\
Examples:
  edgesim diff output/before output/after                  every change, with its interval
  edgesim diff results/main results/branch --threshold 5   fail only on more than 5 min/year

A row is worse when its downtime grew by more than --threshold minutes per year at 95%
confidence for all rows together. Rows are paired by replication when both runs used the
same seed, replications, horizon and edgesim version and wrote runs.csv; otherwise the
comparison is unpaired and its intervals are wider. A row that rests on fewer than five
replications (that differ, or that had downtime), or whose interval is wider than the
threshold, cannot see a change of the threshold's size: diff says so and what would fix
it, and --fail-blind makes that a failure too.

Exit codes:
  0    nothing got significantly worse (and, with --fail-blind, every row could see)
  1    something got significantly worse (named in the output), a row could not see
       (with --fail-blind), or diff.csv could not be written
  2    the folders cannot be compared (not a run's results, damaged, nothing in common, -o is OLD or NEW)";

const EXPLORE_HELP: &str = "\
Examples:
  edgesim explore                                the built-in example's [explore], into output/contoso-three-site-explore/
  edgesim explore my.toml --emit best.toml       also write the best candidates as [[layouts]] to paste
  edgesim explore my.toml -n 4000 --seed 7       at most 4,000 replications per candidate

Candidates are the first layout (or the first --layout) with the changes [explore] allows.
They run on the same random numbers in stages (10 replications, then doubling); after each
stage a candidate significantly worse than the leader, or shown to miss a target, is
dropped. The best candidate is lost with probability at most 5%. The search is the same
with any -j; it cannot run as shards (each stage depends on every candidate's figures).

Exit codes:
  0    success (warnings allowed)
  1    invalid scenario, no [explore] or [objective], a budget too small, or a failed write
  2    usage mistake (unknown flag, -n 0, an unknown layout)";

/// edgesim: how available Lync Server 2013 Edge services stay when Edge pools, servers
/// and sites fail.
#[derive(Debug, Parser)]
#[command(name = "edgesim", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (the built-in example when none is given).
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Simulate one replication event by event: write trace.csv and a timeline, and print
    /// its story.
    #[command(after_help = TRACE_HELP)]
    Trace(TraceArgs),
    /// Combine the folders of `run --shard K/N` into the files a single run writes.
    #[command(after_help = MERGE_HELP)]
    Merge(MergeArgs),
    /// Run a scenario at several values of one or more keys, one key at a time, on the
    /// same random numbers, and write sweep.csv.
    #[command(after_help = SWEEP_HELP)]
    Sweep(SweepArgs),
    /// Compare two result folders: the change in downtime of every layout, service and
    /// scope, and whether anything got significantly worse (exit 1 if so).
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// Search the layouts the scenario's [explore] allows for the best (by the [objective]
    /// score, under every assumption), run the best again on a seed of their own, and write
    /// explore.csv, the cost–score chart and the confirmation run's files.
    #[command(after_help = EXPLORE_HELP)]
    Explore(ExploreArgs),
    /// Check scenario files: print what was loaded and any disaster-recovery warnings.
    #[command(after_help = VALIDATE_HELP)]
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true, value_name = "SCENARIO")]
        scenarios: Vec<PathBuf>,
    },
}

/// The scenario a study runs and the settings that override the file (`run`, `sweep`).
#[derive(Debug, clap::Args)]
pub struct StudyArgs {
    /// The scenario file; without one, the built-in example (contoso-three-site.toml).
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// Number of replications (overrides [simulation].replications).
    #[arg(short = 'n', long = "replications", value_name = "N")]
    pub replications: Option<u64>,
    /// Simulated time per replication, e.g. "1y" (overrides [simulation].horizon).
    #[arg(long, value_name = "DUR")]
    pub horizon: Option<String>,
    /// Seed of every random stream (overrides [simulation].seed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Only these layouts, in this order (repeatable); all by default. The first is the
    /// baseline of comparisons.
    #[arg(long = "layout", value_name = "NAME")]
    pub layouts: Vec<String>,
    /// Worker threads, 1 to 256; all cores by default. Results do not depend on it.
    #[arg(short = 'j', long = "threads", value_name = "THREADS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// The smallest change that matters (overrides [materiality]; repeatable): MINUTES of
    /// downtime per year for every service, SERVICE=MINUTES for one, score=USER_MINUTES,
    /// outages=PER_YEAR.
    #[arg(long = "material", value_name = "[WHAT=]VALUE")]
    pub material: Vec<String>,
}

impl StudyArgs {
    /// The run options these settings give, writing to `output` (the rest at defaults).
    fn run_options(&self, output: Option<PathBuf>) -> RunOptions {
        RunOptions {
            scenario: self.scenario.clone(),
            replications: self.replications,
            horizon: self.horizon.clone(),
            seed: self.seed,
            layouts: self.layouts.clone(),
            threads: self.threads.map(usize::from),
            material: self.material.clone(),
            output,
            ..RunOptions::default()
        }
    }

    /// [`StudyArgs::run_options`] that draw charts when `charts` is set (`sweep`,
    /// `explore`).
    fn charted(&self, output: Option<PathBuf>, charts: bool) -> RunOptions {
        RunOptions {
            charts,
            ..self.run_options(output)
        }
    }
}

/// The options of `edgesim run`. Command-line flags override the file.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario and the settings that override it.
    #[command(flatten)]
    pub study: StudyArgs,
    /// Output folder; `output/<scenario file stem>/` by default.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Run only shard K of N (replications congruent to K−1 modulo N) and write a part
    /// file for `edgesim merge`.
    #[arg(long, value_name = "K/N", value_parser = crate::montecarlo::Shard::parse)]
    pub shard: Option<crate::montecarlo::Shard>,
    /// Draw no charts and no report (the CSV and JSON files are the same either way).
    #[arg(long)]
    pub no_charts: bool,
    /// Do not write runs.csv (one row per replication, layout, service and scope).
    #[arg(long)]
    pub no_runs: bool,
    /// Run batches of -n replications until every named row's 95% interval is within this
    /// share of its estimate (0.1 or 10% for ±10%) and rests on at least five replications
    /// with downtime, or --max-replications is reached.
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub precision: Option<f64>,
    /// A row the precision target applies to, in every layout (repeatable): SERVICE (its
    /// `all` scope), SERVICE:SCOPE, or score; each service's `all` and the score by default.
    #[arg(long = "precision-for", value_name = "ROW", requires = "precision")]
    pub precision_for: Vec<String>,
    /// The most replications a precision target may run (100 batches by default).
    #[arg(long, value_name = "N", requires = "precision")]
    pub max_replications: Option<u64>,
    /// No progress and no final table; warnings and errors still go to stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Reads `0.1` or `10%`.
fn parse_share(text: &str) -> Result<f64, String> {
    let (number, scale) = match text.trim().strip_suffix('%') {
        Some(percent) => (percent, 100.0),
        None => (text.trim(), 1.0),
    };
    number
        .trim()
        .parse::<f64>()
        .map(|v| v / scale)
        .map_err(|_| format!("`{text}` is not a share; write e.g. 0.1 or 10%"))
}

/// The options of `edgesim merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Where the merged files go.
    #[arg(short = 'o', long = "output", value_name = "DIR", required = true)]
    pub output: PathBuf,
    /// The shard folders written by `edgesim run --shard K/N`.
    #[arg(value_name = "PART_DIR", required = true)]
    pub parts: Vec<PathBuf>,
    /// Draw no charts and no report.
    #[arg(long)]
    pub no_charts: bool,
}

/// The options of `edgesim sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The scenario and the settings that override it.
    #[command(flatten)]
    pub study: StudyArgs,
    /// A key path and its values, e.g. dns.ttl=5m,1h,1d (repeatable); the file's
    /// [[sweeps]] when none is given.
    #[arg(long = "vary", value_name = "KEY=V1,V2,...")]
    pub varies: Vec<String>,
    /// Output folder; `output/<scenario file stem>-sweep/` by default.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Draw no charts.
    #[arg(long)]
    pub no_charts: bool,
    /// No progress and no table; errors still go to stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The options of `edgesim explore`.
#[derive(Debug, clap::Args)]
pub struct ExploreArgs {
    /// The scenario and the settings that override it (-n: the most replications a
    /// candidate may get).
    #[command(flatten)]
    pub study: StudyArgs,
    /// Write the best candidates (at most 3) as [[layouts]] entries to this file.
    #[arg(long, value_name = "FILE")]
    pub emit: Option<PathBuf>,
    /// Output folder; `output/<scenario file stem>-explore/` by default.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Draw no charts and no report.
    #[arg(long)]
    pub no_charts: bool,
    /// No progress and no ranking; warnings and errors still go to stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The options of `edgesim diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The earlier result folder (written by `edgesim run` or `merge`).
    #[arg(value_name = "OLD_DIR")]
    pub old: PathBuf,
    /// The later result folder.
    #[arg(value_name = "NEW_DIR")]
    pub new: PathBuf,
    /// Minutes per year of extra downtime a row may gain before it counts as worse.
    #[arg(long, value_name = "MIN", default_value_t = 0.0)]
    pub threshold: f64,
    /// Where diff.csv goes; `output/diff/` by default.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Also exit 1 when a row cannot see a change of the threshold's size (too few
    /// replications carry it, or its interval is wider than the threshold).
    #[arg(long)]
    pub fail_blind: bool,
}

/// The options of `edgesim trace`.
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// The scenario file; without one, the built-in example (contoso-three-site.toml).
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// The layout to trace; the first (the baseline) by default.
    #[arg(long = "layout", value_name = "NAME")]
    pub layout: Option<String>,
    /// With [[assumptions]]: the assumption to trace the layout under; the first by default.
    #[arg(long = "assumption", value_name = "NAME")]
    pub assumption: Option<String>,
    /// The replication to trace (numbered from 0), as numbered by `run`.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub replication: u64,
    /// Simulated time, e.g. "2y" (overrides [simulation].horizon, as `run --horizon`).
    #[arg(long, value_name = "DUR")]
    pub horizon: Option<String>,
    /// Seed (overrides [simulation].seed, as `run --seed`).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Output folder; `output/<scenario file stem>-trace/` by default.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Which events the story tells: first (the first 40), all, longest (the longest time
    /// some service was not fully served), or a window FROM..TO such as 140d..147d.
    #[arg(long, value_name = "WHICH", default_value = "first", value_parser = crate::trace::StoryFocus::parse)]
    pub story: crate::trace::StoryFocus,
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::output::remove_staging_on_signals();
    let code = match cli.command {
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Run(args) => run(&args),
        Command::Trace(args) => trace(&args),
        Command::Merge(args) => merge(&args),
        Command::Diff(args) => diff(&args),
        Command::Sweep(args) => sweep(&args),
        Command::Explore(args) => explore(&args),
    };
    ExitCode::from(code)
}

/// Writes `text` to stdout. A closed pipe (`edgesim run | head -1`) is not an error:
/// the reader has what it wanted, so the rest is dropped quietly.
fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_all(ascii_minus(&terminal_safe(text)).as_bytes())
        .and_then(|()| out.flush());
}

/// The terminal writes signs as the ASCII hyphen-minus, as its paired differences always
/// did, so that every figure it prints pastes into a spreadsheet or a shell as a number
/// (charts and the report keep the typographic minus sign).
fn ascii_minus(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\u{2212}') {
        std::borrow::Cow::Owned(text.replace('\u{2212}', "-"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Writes `text` and a line break to stderr, ignoring a closed stderr.
fn print_err(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", terminal_safe(text));
}

/// `text` with every control character but line breaks and tabs escaped: names read from
/// files (a hand-made result folder's layouts, a path) cannot send the terminal commands.
fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.split('\n')
            .map(|line| {
                line.split('\t')
                    .map(|part| crate::scenario::diagnostic::terminal_safe(part, usize::MAX))
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The exit code of a failed command, after printing why.
fn failed(failure: &Failure) -> u8 {
    print_err(&failure.to_string());
    if failure.is_usage() {
        EXIT_USAGE
    } else {
        EXIT_FAILURE
    }
}

/// `edgesim validate`: exit 0 when every file loads (warnings allowed), 1 otherwise.
fn validate(paths: &[PathBuf]) -> u8 {
    let mut any_failed = false;
    for path in paths {
        match scenario::load_file(path) {
            Ok(loaded) => {
                let mut text = format!("{}\n", loaded.summary());
                if !loaded.warnings.is_empty() {
                    text.push_str(&format!("\n{}\n", loaded.rendered_warnings()));
                }
                print_out(&text);
            }
            Err(error) => {
                any_failed = true;
                print_err(&error.to_string());
            }
        }
    }
    if any_failed { EXIT_FAILURE } else { EXIT_OK }
}

/// How often progress is reported when stderr is not a terminal (a Slurm log, a pipe),
/// unless `EDGESIM_PROGRESS_EVERY` gives another duration (e.g. "1m"; "0s" for every
/// replication).
const PLAIN_PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// The interval of plain progress lines: `EDGESIM_PROGRESS_EVERY` when it is a valid
/// duration, otherwise [`PLAIN_PROGRESS_EVERY`].
fn plain_progress_every() -> Duration {
    std::env::var("EDGESIM_PROGRESS_EVERY")
        .ok()
        .and_then(|text| crate::time::parse_duration(&text).ok())
        .map_or(PLAIN_PROGRESS_EVERY, |every| {
            Duration::from_micros(every.as_micros())
        })
}
/// How long a run must have gone before a time left is shown: early rates include
/// start-up and thread warm-up and would promise nonsense.
const WARM_UP: Duration = Duration::from_secs(2);

/// The share of the simulated time a run must have done before a time left is shown: a
/// rate measured on less says little (a log once promised "about 3 h 8 min left" for a
/// run that ended four minutes later).
const MIN_SHARE_FOR_TIME_LEFT: f64 = 0.02;

/// How often the display looks at the replications under way (they report their
/// simulated time every few thousand events), so that it moves however slow one is.
const TICK: Duration = Duration::from_millis(250);

/// What the progress display knows, shared with the thread that refreshes it.
struct ProgressState {
    /// Replications to run (one each of every layout).
    total: u64,
    /// Replications done.
    done: u64,
    /// Simulated microseconds the run will have simulated when done: replications ×
    /// layouts × horizon.
    work_micros: f64,
    /// [`crate::model::SIMULATED_MICROS`] when the run started.
    baseline: u64,
    started: Instant,
    last_shown: Instant,
}

impl ProgressState {
    /// The share of the run's simulated time done, from the replications under way too.
    fn share(&self) -> f64 {
        let simulated = crate::model::SIMULATED_MICROS
            .load(std::sync::atomic::Ordering::Relaxed)
            .saturating_sub(self.baseline) as f64;
        let by_replications = self.done as f64 / self.total.max(1) as f64;
        (simulated / self.work_micros.max(1.0))
            .max(by_replications)
            .min(1.0)
    }

    /// "812 replications/s, about 2 min left" once the rate means something; "warming up"
    /// before.
    fn status(&self) -> String {
        let elapsed = self.started.elapsed();
        let share = self.share();
        if elapsed < WARM_UP || share < MIN_SHARE_FOR_TIME_LEFT {
            return "warming up".to_string();
        }
        let left = elapsed.as_secs_f64() * (1.0 - share) / share;
        let rate = self.total as f64 * share / elapsed.as_secs_f64();
        let pace = if rate >= 1.0 {
            format!(
                "{} replications/s",
                crate::format::thousands(rate.round() as u64)
            )
        } else {
            format!("{} per replication", rough_duration(1.0 / rate))
        };
        format!("{pace}, about {} left", rough_duration(left))
    }

    /// "edgesim: 7/30 replications (23%), warming up": the percentage is of the simulated
    /// time, replications under way included.
    fn plain_line(&self) -> String {
        format!(
            "edgesim: {}/{} replications ({}%), {}",
            crate::format::thousands(self.done),
            crate::format::thousands(self.total),
            (self.share() * 100.0).floor() as u64,
            self.status()
        )
    }
}

/// Progress of a run on stderr: a bar on a terminal, a plain line every few seconds
/// otherwise, nothing with `-q`. The scenario's warnings are shown either way. A thread
/// refreshes it every [`TICK`] from the simulated time of the replications under way, so
/// it moves within seconds however long one replication takes.
struct Progress {
    quiet: bool,
    terminal: bool,
    bar: indicatif::ProgressBar,
    plain_every: Duration,
    state: std::sync::Arc<std::sync::Mutex<ProgressState>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let now = Instant::now();
        Progress {
            quiet,
            terminal: std::io::stderr().is_terminal(),
            bar: indicatif::ProgressBar::hidden(),
            plain_every: plain_progress_every(),
            state: std::sync::Arc::new(std::sync::Mutex::new(ProgressState {
                total: 0,
                done: 0,
                work_micros: 0.0,
                baseline: 0,
                started: now,
                last_shown: now,
            })),
            stop: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
            ticker: None,
        }
    }

    /// Shows the state: the bar's position and message, or a plain line when one is due.
    fn show(
        state: &mut ProgressState,
        bar: &indicatif::ProgressBar,
        terminal: bool,
        every: Duration,
    ) {
        if terminal {
            state.last_shown = Instant::now();
            bar.set_position((state.share() * 1000.0).round() as u64);
            bar.set_message(format!(
                "{}/{} replications, {}",
                crate::format::thousands(state.done),
                crate::format::thousands(state.total),
                state.status()
            ));
        } else if state.last_shown.elapsed() >= every && state.done < state.total {
            state.last_shown = Instant::now();
            print_err(&state.plain_line());
        }
    }

    fn stop_ticker(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_ticker();
    }
}

impl RunListener for Progress {
    fn started(&mut self, loaded: &scenario::LoadedScenario, replications: u64) {
        if !loaded.warnings.is_empty() {
            print_err(&loaded.rendered_warnings());
        }
        let scenario = &loaded.scenario;
        if let Ok(mut state) = self.state.lock() {
            let now = Instant::now();
            state.total = replications;
            state.done = 0;
            state.work_micros = replications as f64
                * scenario.layouts.len() as f64
                * scenario.simulation.horizon.as_micros() as f64;
            state.baseline =
                crate::model::SIMULATED_MICROS.load(std::sync::atomic::Ordering::Relaxed);
            state.started = now;
            state.last_shown = now;
        }
        if self.quiet {
            return;
        }
        if self.terminal {
            self.bar = indicatif::ProgressBar::new(1000);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {msg}") {
                self.bar.set_style(style);
            }
            self.bar.set_message("warming up");
        }
        let (state, stop, bar) = (self.state.clone(), self.stop.clone(), self.bar.clone());
        let (terminal, every) = (self.terminal, self.plain_every);
        self.ticker = std::thread::Builder::new()
            .name("edgesim-progress".to_string())
            .spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(TICK.min(every.max(Duration::from_millis(50))));
                    if let Ok(mut state) = state.lock() {
                        Progress::show(&mut state, &bar, terminal, every);
                    }
                }
            })
            .ok();
    }

    fn warning(&mut self, message: &str) {
        self.bar.suspend(|| print_err(message));
    }

    fn replication_done(&mut self) {
        if let Ok(mut state) = self.state.lock() {
            state.done += 1;
            if !self.quiet && (!self.terminal || state.last_shown.elapsed() >= TICK) {
                Progress::show(&mut state, &self.bar, self.terminal, self.plain_every);
            }
        }
    }

    fn extended(&mut self, replications: u64) {
        if let Ok(mut state) = self.state.lock() {
            state.work_micros *= replications as f64 / state.total.max(1) as f64;
            state.total = replications;
        }
    }

    fn simulated(&mut self) {
        self.stop_ticker();
        self.bar.finish_and_clear();
    }
}

/// A time left, as precisely as a planner needs it: "40 s", "3 min", "2 h 10 min".
fn rough_duration(seconds: f64) -> String {
    let seconds = seconds.max(0.0).round() as u64;
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3_599 => format!("{} min", seconds.div_ceil(60)),
        _ => format!("{} h {} min", seconds / 3_600, seconds % 3_600 / 60),
    }
}

/// `edgesim run`: every layout, every replication, the files of the output folder.
fn run(args: &RunArgs) -> u8 {
    let options = RunOptions {
        shard: args.shard,
        charts: !args.no_charts,
        runs: !args.no_runs,
        precision: args
            .precision
            .map(|relative_half_width| crate::commands::PrecisionOptions {
                relative_half_width,
                rows: args.precision_for.clone(),
                max_replications: args.max_replications,
            }),
        ..args.study.run_options(args.output.clone())
    };
    let mut progress = Progress::new(args.quiet);
    match commands::run(&options, &mut progress) {
        Ok(outcome) => {
            if !args.quiet {
                let mut text = crate::export::table::ResultsTable.render(&outcome.results);
                text.push_str(&format!(
                    "\nWrote {} files to {}\n",
                    outcome.files.len(),
                    outcome.folder.display()
                ));
                if let Some(report) = &outcome.report {
                    text.push_str(&format!("Report: {}\n", report.display()));
                }
                print_out(&text);
            }
            EXIT_OK
        }
        Err(failure) => failed(&failure),
    }
}

/// `edgesim merge`: shard folders into the files a single run writes.
fn merge(args: &MergeArgs) -> u8 {
    match commands::merge(&args.parts, &args.output, !args.no_charts) {
        Ok(outcome) => {
            let mut text = crate::export::table::ResultsTable.render(&outcome.results);
            text.push_str(&format!(
                "\nMerged {} shards into {} files in {}\n",
                args.parts.len(),
                outcome.files.len(),
                outcome.folder.display()
            ));
            if let Some(report) = &outcome.report {
                text.push_str(&format!("Report: {}\n", report.display()));
            }
            print_out(&text);
            EXIT_OK
        }
        Err(failure) => failed(&failure),
    }
}

/// `edgesim sweep`: every point, every chosen layout, one `sweep.csv`.
fn sweep(args: &SweepArgs) -> u8 {
    let options = commands::sweep::SweepOptions {
        run: args.study.charted(args.output.clone(), !args.no_charts),
        varies: args.varies.clone(),
        progress: !args.quiet,
    };
    match commands::sweep::sweep(&options) {
        Ok(outcome) => {
            if !args.quiet {
                let mut text = crate::export::sweep::SweepTable.render(&outcome.results);
                text.push_str(&format!("; wrote {}\n", outcome.file.display()));
                print_out(&text);
            }
            EXIT_OK
        }
        Err(failure) => failed(&failure),
    }
}

/// `edgesim explore`: the search, its files and the ranking.
fn explore(args: &ExploreArgs) -> u8 {
    let options = commands::explore::ExploreOptions {
        run: args.study.charted(args.output.clone(), !args.no_charts),
        emit: args.emit.clone(),
        progress: !args.quiet,
    };
    match commands::explore::explore(&options) {
        Ok(outcome) => {
            if !args.quiet {
                let mut text = crate::export::explore::ExploreTable.render(&outcome.results);
                text.push_str(&format!(
                    "Wrote {} files to {}",
                    outcome.files.len(),
                    outcome.folder.display()
                ));
                if let Some(path) = &outcome.emitted {
                    text.push_str(&format!(
                        "; the best candidates as [[layouts]] to {}",
                        path.display()
                    ));
                }
                text.push('\n');
                print_out(&text);
            }
            EXIT_OK
        }
        Err(failure) => failed(&failure),
    }
}

/// `edgesim diff`: exit 1 when a row got significantly worse.
fn diff(args: &DiffArgs) -> u8 {
    let options = commands::diff::DiffOptions {
        inputs: crate::diff::DiffInputs {
            old: args.old.clone(),
            new: args.new.clone(),
            threshold_min_per_year: args.threshold,
        },
        output: args
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join("diff")),
    };
    match commands::diff::diff(&options) {
        Ok(outcome) => {
            let mut text = crate::export::diff::DiffTable.render(&outcome.results);
            text.push_str(&format!("Wrote {}\n", outcome.file.display()));
            print_out(&text);
            let results = &outcome.results;
            if results.worse().next().is_some()
                || (args.fail_blind && results.blind().next().is_some())
            {
                EXIT_FAILURE
            } else {
                EXIT_OK
            }
        }
        Err(failure) => failed(&failure),
    }
}

/// `edgesim trace`: one replication, written to `trace.csv` and a timeline, and told as
/// a story.
fn trace(args: &TraceArgs) -> u8 {
    let options = TraceOptions {
        scenario: args.scenario.clone(),
        layout: args.layout.clone(),
        assumption: args.assumption.clone(),
        replication: args.replication,
        horizon: args.horizon.clone(),
        seed: args.seed,
        output: args.output.clone(),
        story: args.story,
    };
    match commands::trace(&options) {
        Ok(outcome) => {
            if let Some(warnings) = &outcome.warnings {
                print_err(warnings);
            }
            let mut text = outcome.story.clone();
            for file in &outcome.files {
                text.push_str(&format!("Wrote {}\n", file.display()));
            }
            print_out(&text);
            EXIT_OK
        }
        Err(failure) => failed(&failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_is_rounded_to_what_matters() {
        assert_eq!(rough_duration(0.4), "0 s");
        assert_eq!(rough_duration(59.0), "59 s");
        assert_eq!(rough_duration(61.0), "2 min");
        assert_eq!(rough_duration(7_800.0), "2 h 10 min");
    }
}
