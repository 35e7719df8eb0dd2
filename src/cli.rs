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
    /// Only these layouts (repeatable); all by default. The first is the baseline.
    #[arg(long = "layout", value_name = "NAME")]
    pub layouts: Vec<String>,
    /// Worker threads; all cores by default. Results do not depend on it.
    #[arg(short = 'j', long = "threads", value_name = "THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Output folder; `output/<scenario file stem>/` by default.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Run only shard K of N (replications congruent to K−1 modulo N) and write a part
    /// file for `edgesim merge`.
    #[arg(long, value_name = "K/N", value_parser = crate::montecarlo::Shard::parse)]
    pub shard: Option<crate::montecarlo::Shard>,
    /// Draw no charts (charts are not drawn yet; accepted for scripts).
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

/// Loads the scenario `run` was given, or the built-in example.
fn load_for_run(args: &RunArgs) -> Result<scenario::LoadedScenario, scenario::LoadError> {
    match &args.scenario {
        Some(path) => scenario::load_file(path),
        None => scenario::load_str(scenario::BUILTIN_EXAMPLE_NAME, scenario::BUILTIN_EXAMPLE),
    }
}

/// `edgesim run`: every layout, every replication, the files of SPEC §4.
fn run(args: &RunArgs) -> u8 {
    match run_study(args) {
        Ok(()) => EXIT_OK,
        Err(message) => {
            eprintln!("{message}");
            EXIT_FAILURE
        }
    }
}

fn run_study(args: &RunArgs) -> Result<(), String> {
    let mut loaded = load_for_run(args).map_err(|error| error.to_string())?;
    apply_overrides(&mut loaded.scenario, args).map_err(|message| format!("error: {message}"))?;
    let shard = args.shard;
    if !args.quiet && !loaded.warnings.is_empty() {
        eprintln!("{}", loaded.rendered_warnings());
    }
    let scenario = &loaded.scenario;
    let folder = args
        .output
        .clone()
        .unwrap_or_else(|| crate::output::default_folder(&loaded.source.name));
    let fail = |error: crate::output::WriteError| format!("error: {error}");
    let mut staging = crate::output::Staging::new(&folder).map_err(fail)?;
    let mut runs = if args.no_runs {
        None
    } else {
        let file = staging.create("runs.csv").map_err(fail)?;
        Some(
            crate::report::RunsWriter::new(file, scenario)
                .map_err(|e| format!("error: cannot write runs.csv: {e}"))?,
        )
    };
    let part = shard.unwrap_or(crate::montecarlo::Shard::WHOLE);
    let progress = progress_bar(part.size(scenario.simulation.replications), args.quiet);
    let study = crate::montecarlo::run(
        scenario,
        part,
        args.threads.map(usize::from),
        |replication, results| {
            progress.inc(1);
            match &mut runs {
                Some(writer) => writer
                    .write(replication, results)
                    .map_err(|e| format!("error: cannot write runs.csv: {e}")),
                None => Ok(()),
            }
        },
    )?;
    progress.finish_and_clear();
    if let Some(writer) = runs {
        writer
            .finish()
            .map_err(|e| format!("error: cannot write runs.csv: {e}"))?;
    }
    let info = crate::report::RunInfo::new(scenario, &loaded.source.name, &loaded.source.text);
    crate::report::stage_results(&mut staging, &info, &study).map_err(fail)?;
    if let Some(shard) = shard {
        let part = crate::report::Part {
            info: info.clone(),
            shard,
            has_runs: !args.no_runs,
            study: study.clone(),
        };
        let text = serde_json::to_string(&part)
            .map_err(|e| format!("error: cannot write the part file: {e}"))?;
        staging
            .write(crate::report::PART_FILE, text.as_bytes())
            .map_err(fail)?;
    }
    let written = staging.commit().map_err(fail)?;
    if !args.quiet {
        print!("{}", crate::report::terminal_table(&study));
        println!("\nWrote {} files to {}", written.len(), folder.display());
    }
    Ok(())
}

/// A progress bar on a terminal; hidden in a pipe or with `-q`.
fn progress_bar(total: u64, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal as _;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} replications, {per_sec}, {eta} left",
    ) {
        bar.set_style(style);
    }
    bar
}

/// `edgesim merge`: shard folders into the files a single run writes.
fn merge(args: &MergeArgs) -> u8 {
    match merge_parts(args) {
        Ok(()) => EXIT_OK,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_FAILURE
        }
    }
}

fn merge_parts(args: &MergeArgs) -> Result<(), String> {
    use std::io::{BufRead as _, Write as _};
    let mut parts: Vec<(PathBuf, crate::report::Part)> = Vec::new();
    for folder in &args.parts {
        let path = folder.join(crate::report::PART_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read {}: {e} (give the folders written by `edgesim run --shard K/N`)",
                path.display()
            )
        })?;
        let part: crate::report::Part = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not an edgesim part file: {e}", path.display()))?;
        parts.push((folder.clone(), part));
    }
    parts.sort_by_key(|(_, part)| part.shard.index);
    let (first_folder, first) = &parts[0];
    for (folder, part) in &parts[1..] {
        if part.info != first.info
            || part.shard.count != first.shard.count
            || part.has_runs != first.has_runs
        {
            return Err(format!(
                "{} does not belong to the same run as {} (scenario, flags or edgesim version differ: fingerprints {} and {})",
                folder.display(),
                first_folder.display(),
                part.info.fingerprint,
                first.info.fingerprint
            ));
        }
    }
    let count = first.shard.count;
    let indices: Vec<u64> = parts.iter().map(|(_, p)| p.shard.index).collect();
    if indices != (0..count).collect::<Vec<_>>() {
        let given: Vec<String> = indices
            .iter()
            .map(|i| format!("{}/{count}", i + 1))
            .collect();
        return Err(format!(
            "merge needs every shard 1/{count} to {count}/{count} exactly once; got {}",
            given.join(", ")
        ));
    }
    let mut study = first.study.clone();
    for (_, part) in &parts[1..] {
        study.merge(&part.study);
    }
    let fail = |error: crate::output::WriteError| error.to_string();
    let mut staging = crate::output::Staging::new(&args.output).map_err(fail)?;
    if first.has_runs {
        let rows_per_replication: usize = study
            .layouts
            .iter()
            .flat_map(|l| &l.services)
            .map(|s| s.scopes.len())
            .sum();
        let mut readers = Vec::new();
        for (folder, _) in &parts {
            let path = folder.join("runs.csv");
            let file = std::fs::File::open(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut lines = std::io::BufReader::new(file).lines();
            lines.next();
            readers.push((path, lines));
        }
        let mut out = staging.create("runs.csv").map_err(fail)?;
        let io = |e: std::io::Error| format!("cannot write runs.csv: {e}");
        writeln!(out, "{}", crate::report::RUNS_HEADER).map_err(io)?;
        for replication in 0..first.info.replications {
            let (path, lines) = &mut readers[(replication % count) as usize];
            for _ in 0..rows_per_replication {
                let line = lines
                    .next()
                    .ok_or_else(|| format!("{} ends early", path.display()))?
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                writeln!(out, "{line}").map_err(io)?;
            }
        }
        out.flush().map_err(io)?;
    }
    crate::report::stage_results(&mut staging, &first.info, &study).map_err(fail)?;
    let written = staging.commit().map_err(fail)?;
    print!("{}", crate::report::terminal_table(&study));
    println!(
        "\nMerged {} shards into {} files in {}",
        count,
        written.len(),
        args.output.display()
    );
    Ok(())
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
