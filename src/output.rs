//! Writing result files safely: each file is written to a temporary name in its folder
//! and renamed over the old one, so a failed or interrupted run never leaves a
//! half-written file and never removes a previous result.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why a result file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    /// The file.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

/// Writes `contents` to `path` atomically (temporary file, then rename), creating the
/// folder if needed.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let error = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(folder).map_err(error)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(error)
}

/// The default output folder of a scenario: `output/<file stem>/`.
pub fn default_folder(scenario_name: &str) -> PathBuf {
    let stem = Path::new(scenario_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".to_string());
    Path::new("output").join(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("a.csv");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.csv")]);
    }

    #[test]
    fn an_unwritable_folder_is_an_error_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, b"keep").unwrap();
        // A folder cannot be created under a regular file.
        assert!(write_atomically(&blocker.join("x.csv"), b"new").is_err());
        assert_eq!(fs::read(&blocker).unwrap(), b"keep");
    }

    #[test]
    fn the_default_folder_is_named_after_the_file_stem() {
        assert_eq!(
            default_folder("scenarios/contoso-three-site.toml"),
            Path::new("output/contoso-three-site")
        );
    }
}
