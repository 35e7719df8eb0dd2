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
    /// Check scenario files: print what was loaded and any disaster-recovery warnings.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true, value_name = "SCENARIO")]
        scenarios: Vec<PathBuf>,
    },
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate { scenarios } => validate(&scenarios),
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
