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

/// A set of result files written together: each goes to a temporary name in the output
/// folder, and [`Staging::commit`] renames them all only after every one was written and
/// every destination was checked, so a failed run changes none of the previous files.
/// Temporary files left by a failure are removed when the staging is dropped.
pub struct Staging {
    folder: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
}

impl Staging {
    /// Starts staging files for `folder`, creating it if needed.
    pub fn new(folder: &Path) -> Result<Self, WriteError> {
        fs::create_dir_all(folder).map_err(|source| WriteError {
            path: folder.to_path_buf(),
            source,
        })?;
        Ok(Staging {
            folder: folder.to_path_buf(),
            staged: Vec::new(),
        })
    }

    /// The folder the files go to.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Creates the temporary file for `name` and returns it for streaming.
    pub fn create(&mut self, name: &str) -> Result<std::io::BufWriter<fs::File>, WriteError> {
        let destination = self.folder.join(name);
        let temporary = self
            .folder
            .join(format!(".{name}.{}.tmp", std::process::id()));
        let file = fs::File::create(&temporary).map_err(|source| WriteError {
            path: destination.clone(),
            source,
        })?;
        self.staged.push((temporary, destination));
        Ok(std::io::BufWriter::new(file))
    }

    /// Stages `contents` as `name`.
    pub fn write(&mut self, name: &str, contents: &[u8]) -> Result<(), WriteError> {
        let mut file = self.create(name)?;
        file.write_all(contents)
            .and_then(|()| file.flush())
            .map_err(|source| WriteError {
                path: self.folder.join(name),
                source,
            })
    }

    /// Renames every staged file over its destination, after checking that none of the
    /// destinations is a folder (the one way a rename could fail half-way).
    pub fn commit(mut self) -> Result<Vec<PathBuf>, WriteError> {
        for (_, destination) in &self.staged {
            if destination.is_dir() {
                return Err(WriteError {
                    path: destination.clone(),
                    source: std::io::Error::other("a folder is in the way of this file"),
                });
            }
        }
        let staged = std::mem::take(&mut self.staged);
        let mut written = Vec::with_capacity(staged.len());
        for (temporary, destination) in staged {
            fs::rename(&temporary, &destination).map_err(|source| WriteError {
                path: destination.clone(),
                source,
            })?;
            written.push(destination);
        }
        Ok(written)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        for (temporary, _) in &self.staged {
            let _ = fs::remove_file(temporary);
        }
    }
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
