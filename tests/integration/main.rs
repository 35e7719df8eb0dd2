//! The one integration-test binary: runs the `edgesim` command line as a planner would.

mod architecture;
mod assumptions;
mod causes;
mod charts;
mod coverage;
mod diff;
mod event_counts;
mod explore;
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
mod regions;
mod regressions;
mod remote_access;
mod robustness;
mod run;
mod second_hour;
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

/// The built-in example's text without its `[[assumptions]]`: its four layouts alone, for
/// tests of what a study of layouts writes.
pub fn contoso_layouts_text() -> String {
    let text = include_str!("../../scenarios/contoso-three-site.toml");
    let end = text
        .find("# What the world may do")
        .expect("the example's assumptions follow this comment");
    text[..end].to_string()
}

/// [`contoso_layouts_text`] as a file (written once per test binary), for the command line.
pub fn contoso_layouts() -> String {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contoso-layouts.toml");
        std::fs::write(&path, contoso_layouts_text()).expect("the test folder is writable");
        path
    })
    .display()
    .to_string()
}
