//! `edgesim diff OLD_DIR NEW_DIR`: compares two result folders ([`crate::diff::diff`])
//! and writes `diff.csv`.

use std::path::PathBuf;

use super::Failure;
use crate::diff::{DiffInputs, DiffResults, same_folder};
use crate::export;
use crate::output::Staging;

/// What to compare, and where the comparison goes.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    /// The folders and the threshold.
    pub inputs: DiffInputs,
    /// Where `diff.csv` goes.
    pub output: PathBuf,
}

/// What `edgesim diff` wrote.
pub struct DiffOutcome {
    /// The comparison.
    pub results: DiffResults,
    /// `diff.csv`.
    pub file: PathBuf,
}

/// Compares two result folders and writes `diff.csv`.
pub fn diff(options: &DiffOptions) -> Result<DiffOutcome, Failure> {
    for folder in [&options.inputs.old, &options.inputs.new] {
        if same_folder(folder, &options.output) {
            return Err(Failure::Usage(format!(
                "-o {}: that is one of the folders being compared, and diff would replace it; write the diff to another folder",
                options.output.display()
            )));
        }
    }
    let results = crate::diff::diff(&options.inputs)?;
    let mut staging = Staging::new(&options.output, crate::output::OutputKind::Diff)?;
    let exporters: Vec<Box<dyn export::Exporter<DiffResults>>> =
        vec![Box::new(export::diff::DiffCsv)];
    export::stage(&mut staging, &results, &exporters)?;
    staging.commit()?;
    Ok(DiffOutcome {
        results,
        file: options.output.join(export::diff::DIFF_FILE),
    })
}
