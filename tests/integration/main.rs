//! The one integration-test binary: runs the `edgesim` command line as a planner would.

mod architecture;
mod assumptions;
mod causes;
mod charts;
mod coverage;
mod diff;
mod event_counts;
mod fixtures;
mod hardening;
mod hostile;
mod invariance;
mod manual_failover;
mod newcomer;
mod objective;
mod pairing;
mod precision;
mod properties;
mod recovery;
mod regressions;
mod remote_access;
mod robustness;
mod run;
mod snapshots;
mod study_api;
mod sweep;
mod trace;
mod validate;

use std::path::{Path, PathBuf};

/// The project root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path under the project root.
pub fn project_path(relative: &str) -> PathBuf {
    root().join(relative)
}

/// The `edgesim` binary, run from the project root.
pub fn edgesim() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("edgesim").expect("the binary is built");
    command.current_dir(root());
    command
}

/// Runs `command` and returns its exit code, stdout and stderr.
pub fn outcome(command: &mut assert_cmd::Command) -> (Option<i32>, String, String) {
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
