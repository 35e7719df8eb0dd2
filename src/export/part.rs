//! The part file of a shard (`part.json`): the exact accumulators and what was run, so
//! that `merge` rebuilds exactly the results a single run would have.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ExportError, Exporter};
use crate::montecarlo::Shard;
use crate::results::{Results, RunInfo};
use crate::stats::Study;

/// The name of a shard's part file.
pub const PART_FILE: &str = "part.json";

/// A shard's exact accumulators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// What was run.
    pub info: RunInfo,
    /// Which shard.
    pub shard: Shard,
    /// Whether the shard wrote `runs.csv`.
    pub has_runs: bool,
    /// The scenario's description.
    pub description: String,
    /// The scenario's warnings, rendered.
    pub warnings: Vec<String>,
    /// The accumulators.
    pub study: Study,
}

impl Part {
    /// Reads the part file in `folder`.
    pub fn read(folder: &Path) -> Result<Part, String> {
        let path = folder.join(PART_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read {}: {e} (give the folders written by `edgesim run --shard K/N`)",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{} is not an edgesim part file: {e}", path.display()))
    }
}

/// Writes the part file of shard `shard`.
pub struct PartFile {
    /// Which shard.
    pub shard: Shard,
    /// Whether the shard wrote `runs.csv`.
    pub has_runs: bool,
}

impl Exporter for PartFile {
    fn file_name(&self) -> String {
        PART_FILE.to_string()
    }

    fn export(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        let part = Part {
            info: results.info.clone(),
            shard: self.shard,
            has_runs: self.has_runs,
            description: results.description.clone(),
            warnings: results.warnings.clone(),
            study: results.study.clone(),
        };
        Ok(Some(
            serde_json::to_string(&part)
                .expect("plain data serialises")
                .into_bytes(),
        ))
    }
}
