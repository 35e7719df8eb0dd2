//! Writing result folders safely (docs/reliability.md).
//!
//! A command's files are all written into a private staging folder beside the output
//! folder (created exclusively, with an unpredictable name and owner-only permissions, so
//! nothing planted in a shared folder can redirect a write), synced, and then swapped in
//! place of the output folder in one step that is undone if it fails: the output folder
//! holds either every previous file or every new one, never a mix, never a stale file of
//! an earlier study. A re-run owns the whole folder: it replaces a folder only when
//! edgesim wrote every file in it (the owner file lists them) and refuses any other.
//! Staging folders are removed on error, on drop, and by the signal handler
//! ([`remove_staging_on_signals`]) before the process exits.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The file edgesim writes into every output folder it owns, listing what it wrote.
pub const OWNER_FILE: &str = ".edgesim-output";

/// Why a result folder could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    /// The file or folder.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

fn error_at(path: &Path) -> impl Fn(std::io::Error) -> WriteError + '_ {
    move |source| WriteError {
        path: path.to_path_buf(),
        source,
    }
}

/// The default output folder of a scenario file: `output/<file stem>/`, the stem reduced
/// to letters, digits, `-`, `_` and `.` and never starting with a dot, so that it is
/// always a plain child of `output/` (a file called `...toml` gives `output/scenario`).
pub fn default_folder(scenario_name: &str) -> PathBuf {
    Path::new("output").join(plain_name(scenario_name, ""))
}

/// The default folder of `edgesim sweep`: `output/<file stem>-sweep/`, beside the run's.
pub fn default_sweep_folder(scenario_name: &str) -> PathBuf {
    Path::new("output").join(plain_name(scenario_name, "-sweep"))
}

/// The default folder of `edgesim trace`: `output/<file stem>-trace/`, beside the run's.
pub fn default_trace_folder(scenario_name: &str) -> PathBuf {
    Path::new("output").join(plain_name(scenario_name, "-trace"))
}

fn plain_name(scenario_name: &str, suffix: &str) -> String {
    let stem = Path::new(scenario_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    let base = if cleaned.is_empty() {
        "scenario"
    } else {
        cleaned
    };
    format!("{base}{suffix}")
}

/// Staging folders that exist now, for the signal handler.
static STAGING_FOLDERS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn register(path: &Path) {
    if let Ok(mut folders) = STAGING_FOLDERS.lock() {
        folders.push(path.to_path_buf());
    }
}

fn unregister(path: &Path) {
    if let Ok(mut folders) = STAGING_FOLDERS.lock() {
        folders.retain(|p| p != path);
    }
}

/// On SIGINT, SIGTERM or SIGHUP: removes every staging folder, then exits with 128 + the
/// signal number (130, 143, 129). The previous results stay as they were.
pub fn remove_staging_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let folders = STAGING_FOLDERS
                .lock()
                .map(|f| f.clone())
                .unwrap_or_default();
            for folder in folders {
                let _ = fs::remove_dir_all(folder);
            }
            std::process::exit(128 + signal);
        }
    });
}

/// The entries of `folder` that edgesim did not write (all of them when it has no owner
/// file); empty when the folder does not exist.
pub fn foreign_entries(folder: &Path) -> Result<Vec<String>, WriteError> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(error_at(folder)(e)),
    };
    let owned: Vec<String> = fs::read_to_string(folder.join(OWNER_FILE))
        .map(|text| {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut foreign = Vec::new();
    for entry in entries {
        let entry = entry.map_err(error_at(folder))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != OWNER_FILE && !owned.contains(&name) {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

/// A set of result files written together and swapped in place of the output folder.
pub struct Staging {
    folder: PathBuf,
    staging: Option<tempfile::TempDir>,
    files: Vec<String>,
}

impl Staging {
    /// Starts staging files for `folder`. Refuses when `folder` exists and holds anything
    /// edgesim did not write (naming a few), or is not a folder.
    pub fn new(folder: &Path) -> Result<Self, WriteError> {
        let folder = std::path::absolute(folder).map_err(error_at(folder))?;
        if folder.exists() && !folder.is_dir() {
            return Err(WriteError {
                path: folder,
                source: std::io::Error::other("it is a file, not a folder; choose another -o"),
            });
        }
        let foreign = foreign_entries(&folder)?;
        if !foreign.is_empty() {
            let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
            let more = if foreign.len() > 5 {
                format!(" and {} more", foreign.len() - 5)
            } else {
                String::new()
            };
            return Err(WriteError {
                path: folder,
                source: std::io::Error::other(format!(
                    "the folder holds files edgesim did not write ({}{more}); a run replaces its \
                     whole output folder, so choose a new or empty folder with -o, or move them",
                    shown.join(", ")
                )),
            });
        }
        let (parent, name) = split(&folder)?;
        fs::create_dir_all(&parent).map_err(error_at(&parent))?;
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.edgesim-"))
            .tempdir_in(&parent)
            .map_err(error_at(&parent))?;
        register(staging.path());
        Ok(Staging {
            folder,
            staging: Some(staging),
            files: Vec::new(),
        })
    }

    /// The folder the files go to.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    fn staging_path(&self) -> &Path {
        self.staging
            .as_ref()
            .map(tempfile::TempDir::path)
            .expect("staging until committed")
    }

    /// Creates the file `name` (a plain file name) for streaming.
    pub fn create(&mut self, name: &str) -> Result<std::io::BufWriter<fs::File>, WriteError> {
        let destination = self.folder.join(name);
        if name.is_empty()
            || name.contains(['/', '\\'])
            || name.starts_with('.')
            || self.files.iter().any(|f| f == name)
        {
            return Err(WriteError {
                path: destination,
                source: std::io::Error::other("not a plain, new file name"),
            });
        }
        let path = self.staging_path().join(name);
        let file = fs::File::create_new(&path).map_err(error_at(&destination))?;
        self.files.push(name.to_string());
        Ok(std::io::BufWriter::new(file))
    }

    /// Stages `contents` as `name`.
    pub fn write(&mut self, name: &str, contents: &[u8]) -> Result<(), WriteError> {
        let mut file = self.create(name)?;
        file.write_all(contents)
            .and_then(|()| file.flush())
            .map_err(error_at(&self.folder.join(name)))
    }

    /// Makes the staged files the output folder: syncs them, then swaps the staging
    /// folder in place of the output folder (the previous one is set aside first, and put
    /// back if the swap fails). Returns the files written.
    pub fn commit(mut self) -> Result<Vec<PathBuf>, WriteError> {
        let staging = self.staging.take().expect("staging until committed");
        unregister(staging.path());
        let result = self.swap_in(staging.path(), |from, to| fs::rename(from, to));
        if result.is_ok() {
            // The staging folder is now the output folder: it must not be removed.
            let _ = staging.keep();
        }
        result
    }

    fn swap_in(
        &self,
        staged: &Path,
        rename: impl Fn(&Path, &Path) -> std::io::Result<()>,
    ) -> Result<Vec<PathBuf>, WriteError> {
        let mut listing =
            String::from("# Written by edgesim; a re-run replaces this whole folder.\n");
        for name in &self.files {
            listing.push_str(name);
            listing.push('\n');
        }
        fs::write(staged.join(OWNER_FILE), listing).map_err(error_at(&self.folder))?;
        for name in self.files.iter().map(String::as_str).chain([OWNER_FILE]) {
            fs::File::open(staged.join(name))
                .and_then(|f| f.sync_all())
                .map_err(error_at(&self.folder.join(name)))?;
        }
        sync_folder(staged);
        let (parent, name) = split(&self.folder)?;
        // Check again: something may have appeared in the folder since the run started.
        let foreign = foreign_entries(&self.folder)?;
        if !foreign.is_empty() {
            return Err(WriteError {
                path: self.folder.clone(),
                source: std::io::Error::other(format!(
                    "files appeared that edgesim did not write ({}); nothing was changed",
                    foreign.join(", ")
                )),
            });
        }
        let aside = if self.folder.exists() {
            let aside = unique_sibling(&parent, &format!(".{name}.edgesim-previous-"));
            rename(&self.folder, &aside).map_err(error_at(&self.folder))?;
            Some(aside)
        } else {
            None
        };
        if let Err(source) = rename(staged, &self.folder) {
            if let Some(aside) = &aside {
                let _ = fs::rename(aside, &self.folder);
            }
            return Err(WriteError {
                path: self.folder.clone(),
                source,
            });
        }
        sync_folder(&parent);
        if let Some(aside) = aside {
            let _ = fs::remove_dir_all(aside);
        }
        Ok(self
            .files
            .iter()
            .map(|name| self.folder.join(name))
            .collect())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            unregister(staging.path());
            // TempDir removes the folder and everything in it.
        }
    }
}

/// The parent and the file name of an absolute folder path.
fn split(folder: &Path) -> Result<(PathBuf, String), WriteError> {
    match (folder.parent(), folder.file_name()) {
        (Some(parent), Some(name)) => {
            Ok((parent.to_path_buf(), name.to_string_lossy().into_owned()))
        }
        _ => Err(WriteError {
            path: folder.to_path_buf(),
            source: std::io::Error::other(
                "cannot replace this folder; choose a folder inside it with -o",
            ),
        }),
    }
}

/// A name in `parent` that does not exist yet.
fn unique_sibling(parent: &Path, prefix: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut attempt = 0u32;
    loop {
        let candidate = parent.join(format!("{prefix}{}-{nanos}-{attempt}", std::process::id()));
        if !candidate.exists() {
            return candidate;
        }
        attempt += 1;
    }
}

/// Asks the file system to make a folder's entries durable (best effort: not every
/// platform can sync a folder).
fn sync_folder(folder: &Path) {
    if let Ok(handle) = fs::File::open(folder) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_replaces_the_whole_folder_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut first = Staging::new(&out).unwrap();
        first.write("a.csv", b"first").unwrap();
        first.write("old.csv", b"only in the first").unwrap();
        first.commit().unwrap();
        let mut second = Staging::new(&out).unwrap();
        second.write("a.csv", b"second").unwrap();
        second.commit().unwrap();
        assert_eq!(fs::read(out.join("a.csv")).unwrap(), b"second");
        assert!(
            !out.join("old.csv").exists(),
            "a stale file of the first run"
        );
        assert_eq!(entries(dir.path()), ["out"]);
    }

    /// The names in `folder`, sorted.
    fn entries(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_swap_that_fails_puts_the_previous_folder_back() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut first = Staging::new(&out).unwrap();
        first.write("a.csv", b"first").unwrap();
        first.commit().unwrap();
        let mut second = Staging::new(&out).unwrap();
        second.write("a.csv", b"second").unwrap();
        let staged = second.staging_path().to_path_buf();
        // The first rename (setting the old folder aside) works; the second fails.
        let calls = std::cell::Cell::new(0);
        let result = second.swap_in(&staged, |from, to| {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                fs::rename(from, to)
            } else {
                Err(std::io::Error::other("injected failure"))
            }
        });
        assert!(result.is_err());
        assert_eq!(fs::read(out.join("a.csv")).unwrap(), b"first");
        drop(second);
        assert_eq!(entries(dir.path()), ["out"]);
    }

    #[test]
    fn a_folder_with_foreign_files_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        let error = Staging::new(dir.path()).err().expect("refused");
        assert!(error.to_string().contains("notes.txt"), "{error}");
        assert_eq!(fs::read(dir.path().join("notes.txt")).unwrap(), b"mine");
    }

    #[test]
    fn a_dropped_staging_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut staging = Staging::new(&out).unwrap();
        staging.write("a.csv", b"x").unwrap();
        drop(staging);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn file_names_must_be_plain() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new(&dir.path().join("out")).unwrap();
        for bad in ["../x", "a/b", "", ".hidden"] {
            assert!(staging.write(bad, b"x").is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_folder_is_always_a_plain_child_of_output() {
        assert_eq!(
            default_folder("scenarios/contoso-three-site.toml"),
            Path::new("output/contoso-three-site")
        );
        for name in ["...toml", "..toml", ".toml", "", "/", "a/../..toml"] {
            let folder = default_folder(name);
            assert_eq!(folder.parent(), Some(Path::new("output")), "{name}");
            let child = folder.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                !child.starts_with('.') && !child.is_empty(),
                "{name} gives {child}"
            );
        }
        assert_eq!(default_trace_folder("c.toml"), Path::new("output/c-trace"));
    }
}
