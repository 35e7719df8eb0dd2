//! The command line of SPEC §5: clap definitions and the dispatch to the library.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::scenario;

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
    /// Only these layouts (repeatable); all by default.
    #[arg(long = "layout", value_name = "NAME")]
    pub layouts: Vec<String>,
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
    /// Output folder; `output/<scenario file stem>/` by default.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate { scenarios } => validate(&scenarios),
        Command::Run(args) => run(&args),
        Command::Trace(args) => trace(&args),
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

/// Loads the scenario `run` was given, or the built-in example.
fn load_for_run(args: &RunArgs) -> Result<scenario::LoadedScenario, scenario::LoadError> {
    match &args.scenario {
        Some(path) => scenario::load_file(path),
        None => scenario::load_str(scenario::BUILTIN_EXAMPLE_NAME, scenario::BUILTIN_EXAMPLE),
    }
}

/// `edgesim run`: so far it loads and checks the scenario and applies the overrides; the
/// simulation itself is not built yet (issues #3 to #5), so nothing is written.
fn run(args: &RunArgs) -> u8 {
    let mut loaded = match load_for_run(args) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            return EXIT_FAILURE;
        }
    };
    if let Err(message) = apply_overrides(&mut loaded.scenario, args) {
        eprintln!("error: {message}");
        return EXIT_FAILURE;
    }
    println!("{}", loaded.summary());
    if !loaded.warnings.is_empty() {
        println!("\n{}", loaded.rendered_warnings());
    }
    println!(
        "\nThe scenario is valid. Monte Carlo runs and their output files are not built yet, so nothing was written; `edgesim trace` simulates one replication."
    );
    EXIT_OK
}

/// Applies the command-line overrides of SPEC §5 to a loaded scenario.
fn apply_overrides(scenario: &mut crate::topology::Scenario, args: &RunArgs) -> Result<(), String> {
    if let Some(replications) = args.replications {
        if !(1..=scenario::schema::MAX_REPLICATIONS).contains(&replications) {
            return Err(format!(
                "-n {replications}: use 1 to {} replications",
                scenario::schema::MAX_REPLICATIONS
            ));
        }
        scenario.simulation.replications = replications;
    }
    if let Some(text) = &args.horizon {
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
    if let Some(seed) = args.seed {
        scenario.simulation.seed = seed;
    }
    if !args.layouts.is_empty() {
        for name in &args.layouts {
            if !scenario.layouts.iter().any(|t| &t.layout_name == name) {
                let known: Vec<&str> = scenario
                    .layouts
                    .iter()
                    .map(|t| t.layout_name.as_str())
                    .collect();
                return Err(format!(
                    "--layout {name}: the scenario has no such layout (it has: {})",
                    known.join(", ")
                ));
            }
        }
        scenario
            .layouts
            .retain(|t| args.layouts.contains(&t.layout_name));
    }
    Ok(())
}

/// `edgesim trace`: one replication, written to `trace.csv` and told as a story.
fn trace(args: &TraceArgs) -> u8 {
    let loaded = match scenario::load_file(&args.scenario) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("{error}");
            return EXIT_FAILURE;
        }
    };
    let scenario = &loaded.scenario;
    let topology = match &args.layout {
        None => &scenario.layouts[0],
        Some(name) => match scenario.layouts.iter().find(|t| &t.layout_name == name) {
            Some(topology) => topology,
            None => {
                let known: Vec<&str> = scenario
                    .layouts
                    .iter()
                    .map(|t| t.layout_name.as_str())
                    .collect();
                eprintln!(
                    "error: --layout {name}: the scenario has no such layout (it has: {})",
                    known.join(", ")
                );
                return EXIT_FAILURE;
            }
        },
    };
    if args.replication >= scenario.simulation.replications {
        eprintln!(
            "error: --replication {}: the scenario has replications 0 to {}",
            args.replication,
            scenario.simulation.replications - 1
        );
        return EXIT_FAILURE;
    }
    let traced = crate::trace::trace(topology, &scenario.simulation, args.replication);
    let folder = args
        .output
        .clone()
        .unwrap_or_else(|| crate::output::default_folder(&loaded.source.name));
    let path = folder.join("trace.csv");
    if let Err(error) =
        crate::output::write_atomically(&path, &crate::trace::to_csv(&traced.records))
    {
        eprintln!("error: {error}");
        return EXIT_FAILURE;
    }
    print!(
        "{}",
        crate::trace::story(topology, &scenario.simulation, args.replication, &traced)
    );
    println!("Wrote {}", path.display());
    EXIT_OK
}
