//! The command line: clap definitions, the calls into the library ([`crate::study`]) and
//! the mapping of errors to exit codes (0 ok, 1 invalid input or failed run, 2 usage).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::scenario;
use crate::study::{self, RunListener, RunOptions, TraceOptions};

/// Exit code for success (warnings allowed).
pub const EXIT_OK: u8 = 0;
/// Exit code for invalid input or a failed run.
pub const EXIT_FAILURE: u8 = 1;

/// edgesim: how available Lync Server 2013 Edge services stay when Edge pools, servers
/// and sites fail.
#[derive(Debug, Parser)]
#[command(name = "edgesim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (the built-in example when none is given).
    Run(RunArgs),
    /// Simulate one replication event by event: write trace.csv and print its story.
    Trace(TraceArgs),
    /// Combine the folders of `run --shard K/N` into the files a single run writes.
    Merge(MergeArgs),
    /// Check scenario files: print what was loaded and any disaster-recovery warnings.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true, value_name = "SCENARIO")]
        scenarios: Vec<PathBuf>,
    },
}

/// The options of `edgesim run` (SPEC §5). Command-line flags override the file.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
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
    /// Do not write runs.csv (for very large studies).
    #[arg(long)]
    pub no_runs: bool,
    /// No progress bar and no final table.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The options of `edgesim merge` (SPEC §5).
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

/// The options of `edgesim trace` (SPEC §5).
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// The scenario file.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// The layout to trace; the first (the baseline) by default.
    #[arg(long = "layout", value_name = "NAME")]
    pub layout: Option<String>,
    /// The replication to trace (numbered from 0).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub replication: u64,
    /// Output folder; `output/<scenario file stem>-trace/` by default.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
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
    };
    ExitCode::from(code)
}

/// `edgesim validate`: exit 0 when every file loads (warnings allowed), 1 otherwise.
fn validate(paths: &[PathBuf]) -> u8 {
    let mut failed = false;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    for path in paths {
        match scenario::load_file(path) {
            Ok(loaded) => {
                let mut out = stdout.lock();
                let _ = writeln!(out, "{}", loaded.summary());
                if !loaded.warnings.is_empty() {
                    let _ = writeln!(out, "\n{}", loaded.rendered_warnings());
                }
            }
            Err(error) => {
                failed = true;
                let _ = writeln!(stderr.lock(), "{error}");
            }
        }
    }
    if failed { EXIT_FAILURE } else { EXIT_OK }
}

/// Shows the scenario's warnings and a progress bar on a terminal.
struct Progress {
    quiet: bool,
    bar: indicatif::ProgressBar,
}

impl RunListener for Progress {
    fn started(&mut self, loaded: &scenario::LoadedScenario, replications: u64) {
        if self.quiet {
            return;
        }
        if !loaded.warnings.is_empty() {
            eprintln!("{}", loaded.rendered_warnings());
        }
        use std::io::IsTerminal as _;
        if std::io::stderr().is_terminal() {
            self.bar = indicatif::ProgressBar::new(replications);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} replications, {per_sec}, {eta} left",
            ) {
                self.bar.set_style(style);
            }
        }
    }

    fn replication_done(&mut self) {
        self.bar.inc(1);
    }

    fn simulated(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// `edgesim run`: every layout, every replication, the files of the output folder.
fn run(args: &RunArgs) -> u8 {
    let options = RunOptions {
        scenario: args.scenario.clone(),
        replications: args.replications,
        horizon: args.horizon.clone(),
        seed: args.seed,
        layouts: args.layouts.clone(),
        threads: args.threads.map(usize::from),
        output: args.output.clone(),
        shard: args.shard,
        charts: !args.no_charts,
        runs: !args.no_runs,
    };
    let mut progress = Progress {
        quiet: args.quiet,
        bar: indicatif::ProgressBar::hidden(),
    };
    match study::run(&options, &mut progress) {
        Ok(outcome) => {
            if !args.quiet {
                print!("{}", crate::export::table::terminal_table(&outcome.results));
                println!(
                    "\nWrote {} files to {}",
                    outcome.files.len(),
                    outcome.folder.display()
                );
                if let Some(report) = &outcome.report {
                    println!("Report: {}", report.display());
                }
            }
            EXIT_OK
        }
        Err(message) => {
            eprintln!("{message}");
            EXIT_FAILURE
        }
    }
}

/// `edgesim merge`: shard folders into the files a single run writes.
fn merge(args: &MergeArgs) -> u8 {
    match study::merge(&args.parts, &args.output, !args.no_charts) {
        Ok(outcome) => {
            print!("{}", crate::export::table::terminal_table(&outcome.results));
            println!(
                "\nMerged {} shards into {} files in {}",
                args.parts.len(),
                outcome.files.len(),
                outcome.folder.display()
            );
            if let Some(report) = &outcome.report {
                println!("Report: {}", report.display());
            }
            EXIT_OK
        }
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_FAILURE
        }
    }
}

/// `edgesim trace`: one replication, written to `trace.csv` and a timeline, and told as
/// a story.
fn trace(args: &TraceArgs) -> u8 {
    let options = TraceOptions {
        scenario: args.scenario.clone(),
        layout: args.layout.clone(),
        replication: args.replication,
        output: args.output.clone(),
    };
    match study::trace(&options) {
        Ok(outcome) => {
            print!("{}", outcome.story);
            for file in &outcome.files {
                println!("Wrote {}", file.display());
            }
            EXIT_OK
        }
        Err(message) => {
            eprintln!("{message}");
            EXIT_FAILURE
        }
    }
}
