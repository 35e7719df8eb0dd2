//! Writing result folders safely (docs/reliability.md).
//!
//! A command's files are all written into a private staging folder beside the output
//! folder (created exclusively, with an unpredictable name and owner-only permissions, so
//! nothing planted in a shared folder can redirect a write), synced, and then swapped in
//! place of the output folder in one step that is undone if it fails: the output folder
//! holds either every previous file or every new one, never a mix, never a stale file of
//! an earlier study. A re-run owns the whole folder: it replaces a folder only when
//! edgesim wrote every file in it (the owner file lists them, and only plain files with
//! the names edgesim writes count: [`OUTPUT_FILES`]) and refuses any other, or a folder
//! another command wrote (the owner file names the command). Staging folders are removed
//! on error, on drop, and by the signal handler ([`remove_staging_on_signals`]) before
//! the process exits; the handler waits for a swap under way to finish; staging folders a
//! killed process left are removed, and a swap a killed process left half done is
//! finished, by the next command that writes there.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The file edgesim writes into every output folder it owns, listing what it wrote.
pub const OWNER_FILE: &str = ".edgesim-output";

/// Every file name edgesim writes into an output folder. A folder's owner file is trusted
/// only for these names, and only for plain files, so a planted owner file cannot make a
/// run delete a planner's own files or folders.
pub const OUTPUT_FILES: &[&str] = &[
    "summary.csv",
    "runs.csv",
    "causes.csv",
    "pools.csv",
    "comparison.csv",
    "matrix.csv",
    "robust.csv",
    "summary.json",
    "part.json",
    "report.html",
    "trace.csv",
    "sweep.csv",
    "diff.csv",
    "explore.csv",
    "explore.svg",
    "explore.png",
    "downtime.svg",
    "downtime.png",
    "downtime-distribution.svg",
    "downtime-distribution.png",
    "causes.svg",
    "causes.png",
    "comparison.svg",
    "comparison.png",
    "score.svg",
    "score.png",
    "matrix.svg",
    "matrix.png",
    "front-end-pools.svg",
    "front-end-pools.png",
    "edge-pools.svg",
    "edge-pools.png",
    "timeline.svg",
    "timeline.png",
    "sweep.svg",
    "sweep.png",
    "tornado.svg",
    "tornado.png",
];

/// Which command wrote a folder: a folder is replaced only by the command that wrote it,
/// so `run x-trace.toml` cannot silently replace the folder `trace x.toml` wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// `run` or `merge`: a study's results.
    Run,
    /// `trace`.
    Trace,
    /// `sweep`.
    Sweep,
    /// `diff`.
    Diff,
    /// `explore`: the search's files and its confirmation run's.
    Explore,
}

impl OutputKind {
    /// The command, as the owner file names it.
    pub fn command(self) -> &'static str {
        match self {
            OutputKind::Run => "run",
            OutputKind::Trace => "trace",
            OutputKind::Sweep => "sweep",
            OutputKind::Diff => "diff",
            OutputKind::Explore => "explore",
        }
    }
}

/// The first line of an owner file written by `kind`.
fn owner_line(kind: OutputKind) -> String {
    format!(
        "# Written by edgesim {}; a re-run replaces this whole folder.",
        kind.command()
    )
}

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

/// Writes one file whole or not at all: into a temporary file beside it, synced, then
/// renamed over it (a failure leaves any previous file as it was).
pub fn write_file_atomically(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{name}.edgesim-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written.map_err(error_at(path))
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

/// The default folder of `edgesim explore`: `output/<file stem>-explore/`, beside the
/// run's.
pub fn default_explore_folder(scenario_name: &str) -> PathBuf {
    Path::new("output").join(plain_name(scenario_name, "-explore"))
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
            // Holding the lock until the exit: a swap under way finishes first, and no
            // other starts.
            let folders = STAGING_FOLDERS.lock();
            if let Ok(folders) = &folders {
                for folder in folders.iter() {
                    let _ = fs::remove_dir_all(folder);
                }
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
    let owned: Vec<String> = read_owner_file(folder)
        .map(|text| {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .filter(|l| OUTPUT_FILES.contains(l))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut foreign = Vec::new();
    for entry in entries {
        let entry = entry.map_err(error_at(folder))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // A folder or a link is never edgesim's, whatever the owner file says.
        let plain_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !(plain_file && (name == OWNER_FILE || owned.contains(&name))) {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

/// The owner file of `folder`, if it is a plain file of reasonable size.
fn read_owner_file(folder: &Path) -> Option<String> {
    let path = folder.join(OWNER_FILE);
    let metadata = fs::symlink_metadata(&path).ok()?;
    if !metadata.is_file() || metadata.len() > 64 * 1024 {
        return None;
    }
    fs::read_to_string(path).ok()
}

/// The command that wrote `folder`, when its owner file says (older ones do not).
fn written_by(folder: &Path) -> Option<OutputKind> {
    let first = read_owner_file(folder)?.lines().next()?.to_string();
    [
        OutputKind::Run,
        OutputKind::Trace,
        OutputKind::Sweep,
        OutputKind::Diff,
        OutputKind::Explore,
    ]
    .into_iter()
    .find(|&kind| first == owner_line(kind))
}

/// A set of result files written together and swapped in place of the output folder.
pub struct Staging {
    folder: PathBuf,
    kind: OutputKind,
    staging: Option<tempfile::TempDir>,
    files: Vec<String>,
}

impl Staging {
    /// Starts staging files that `kind` writes for `folder`. Refuses when `folder` is a
    /// file or a symbolic link, when it holds anything edgesim did not write (naming a
    /// few), or when another command wrote it. First finishes what a killed process left:
    /// its staging folders are removed, a half-done swap is completed.
    pub fn new(folder: &Path, kind: OutputKind) -> Result<Self, WriteError> {
        let folder = std::path::absolute(folder).map_err(error_at(folder))?;
        if fs::symlink_metadata(&folder).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(WriteError {
                path: folder,
                source: std::io::Error::other(
                    "it is a symbolic link, which a run would replace with a folder; give the folder it points to with -o",
                ),
            });
        }
        if folder.exists() && !folder.is_dir() {
            return Err(WriteError {
                path: folder,
                source: std::io::Error::other("it is a file, not a folder; choose another -o"),
            });
        }
        let (parent, name) = split(&folder)?;
        recover(&parent, &name, &folder);
        if let Some(other) = written_by(&folder).filter(|&other| other != kind) {
            return Err(WriteError {
                path: folder,
                source: std::io::Error::other(format!(
                    "it holds what `edgesim {}` wrote, which `edgesim {}` would replace; choose another folder with -o",
                    other.command(),
                    kind.command()
                )),
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
        fs::create_dir_all(&parent).map_err(error_at(&parent))?;
        let mut builder = tempfile::Builder::new();
        let prefix = format!(".{name}.edgesim-{}-", std::process::id());
        builder.prefix(&prefix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(fs::Permissions::from_mode(0o700));
        }
        let staging = builder.tempdir_in(&parent).map_err(error_at(&parent))?;
        register(staging.path());
        Ok(Staging {
            folder,
            kind,
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
        let mut listing = owner_line(self.kind);
        listing.push('\n');
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
        // The two renames are one step for the signal handler: it waits for them (a
        // signal between them would leave no output folder, the previous results aside).
        let _swap = STAGING_FOLDERS.lock();
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

/// Finishes what a killed process (SIGKILL, out of memory) left beside `folder` (called
/// `name` in `parent`): removes the staging folders of processes that are gone, and
/// completes a swap that stopped between its two renames — the previous results set
/// aside with no output folder are put back; set aside beside a new output folder, they
/// are removed.
fn recover(parent: &Path, name: &str, folder: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let staging_prefix = format!(".{name}.edgesim-");
    let aside_prefix = format!(".{name}.edgesim-previous-");
    let mut asides = Vec::new();
    for entry in entries.flatten() {
        let sibling = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if let Some(rest) = sibling.strip_prefix(&aside_prefix) {
            if process_gone(rest) {
                asides.push(entry.path());
            }
        } else if let Some(rest) = sibling.strip_prefix(&staging_prefix)
            && process_gone(rest)
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    // The most recently set aside holds the latest results.
    asides.sort_by_key(|path| fs::metadata(path).and_then(|m| m.modified()).ok());
    if !folder.exists()
        && let Some(latest) = asides.pop()
    {
        let _ = fs::rename(&latest, folder);
    }
    if folder.exists() {
        for aside in asides {
            let _ = fs::remove_dir_all(aside);
        }
    }
}

/// Whether the process whose id starts `rest` (`<pid>-...`) is no longer running. Only
/// where that can be known (Linux's /proc); elsewhere nothing is taken for gone.
fn process_gone(rest: &str) -> bool {
    let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid.to_string()).exists()
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
        let mut first = Staging::new(&out, OutputKind::Run).unwrap();
        first.write("summary.csv", b"first").unwrap();
        first.write("comparison.csv", b"only in the first").unwrap();
        first.commit().unwrap();
        let mut second = Staging::new(&out, OutputKind::Run).unwrap();
        second.write("summary.csv", b"second").unwrap();
        second.commit().unwrap();
        assert_eq!(fs::read(out.join("summary.csv")).unwrap(), b"second");
        assert!(
            !out.join("comparison.csv").exists(),
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
        let mut first = Staging::new(&out, OutputKind::Run).unwrap();
        first.write("summary.csv", b"first").unwrap();
        first.commit().unwrap();
        let mut second = Staging::new(&out, OutputKind::Run).unwrap();
        second.write("summary.csv", b"second").unwrap();
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
        assert_eq!(fs::read(out.join("summary.csv")).unwrap(), b"first");
        drop(second);
        assert_eq!(entries(dir.path()), ["out"]);
    }

    #[test]
    fn a_folder_with_foreign_files_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        let error = Staging::new(dir.path(), OutputKind::Run)
            .err()
            .expect("refused");
        assert!(error.to_string().contains("notes.txt"), "{error}");
        assert_eq!(fs::read(dir.path().join("notes.txt")).unwrap(), b"mine");
    }

    #[test]
    fn a_dropped_staging_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut staging = Staging::new(&out, OutputKind::Run).unwrap();
        staging.write("summary.csv", b"x").unwrap();
        drop(staging);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn file_names_must_be_plain() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new(&dir.path().join("out"), OutputKind::Run).unwrap();
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

    #[test]
    fn a_planted_owner_file_cannot_make_a_run_delete_a_planner_s_files() {
        // The owner file lists a document and a folder: neither is a name edgesim writes,
        // and a folder is never edgesim's, so the run refuses and keeps both.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(out.join("docs")).unwrap();
        fs::write(out.join("docs/notes.txt"), b"mine").unwrap();
        fs::write(out.join("thesis.docx"), b"years of work").unwrap();
        fs::write(
            out.join(OWNER_FILE),
            "# Written by edgesim run; a re-run replaces this whole folder.\nthesis.docx\ndocs\n",
        )
        .unwrap();
        let error = Staging::new(&out, OutputKind::Run).err().expect("refused");
        assert!(error.to_string().contains("docs, thesis.docx"), "{error}");
        assert_eq!(fs::read(out.join("thesis.docx")).unwrap(), b"years of work");
        assert_eq!(fs::read(out.join("docs/notes.txt")).unwrap(), b"mine");
        // Even a folder with an edgesim file name is not edgesim's.
        fs::remove_file(out.join("thesis.docx")).unwrap();
        fs::remove_dir_all(out.join("docs")).unwrap();
        fs::create_dir(out.join("summary.csv")).unwrap();
        fs::write(
            out.join(OWNER_FILE),
            "# Written by edgesim run\nsummary.csv\n",
        )
        .unwrap();
        assert!(Staging::new(&out, OutputKind::Run).is_err());
    }

    #[test]
    fn staging_is_owner_only_and_links_and_other_commands_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let staging = Staging::new(&out, OutputKind::Run).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(staging.staging_path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        }
        let mut staging = staging;
        staging.write("trace.csv", b"x").unwrap();
        // Written by trace: a run may not replace it.
        let mut trace = Staging::new(&out, OutputKind::Trace).unwrap();
        trace.write("trace.csv", b"x").unwrap();
        trace.commit().unwrap();
        drop(staging);
        let error = Staging::new(&out, OutputKind::Run).err().expect("refused");
        assert!(error.to_string().contains("`edgesim trace`"), "{error}");
        assert!(Staging::new(&out, OutputKind::Trace).is_ok());
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&out, &link).unwrap();
            let error = Staging::new(&link, OutputKind::Trace)
                .err()
                .expect("refused");
            assert!(error.to_string().contains("symbolic link"), "{error}");
            assert!(
                fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }
    }

    #[test]
    fn the_signal_handler_waits_for_a_swap_under_way() {
        // The handler takes STAGING_FOLDERS before it exits; during both renames of a swap
        // that lock is held, so a signal cannot stop the swap between them.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut first = Staging::new(&out, OutputKind::Run).unwrap();
        first.write("summary.csv", b"first").unwrap();
        first.commit().unwrap();
        let mut second = Staging::new(&out, OutputKind::Run).unwrap();
        second.write("summary.csv", b"second").unwrap();
        let staged = second.staging_path().to_path_buf();
        let held = std::cell::Cell::new(0);
        second
            .swap_in(&staged, |from, to| {
                if STAGING_FOLDERS.try_lock().is_err() {
                    held.set(held.get() + 1);
                }
                fs::rename(from, to)
            })
            .unwrap();
        assert_eq!(held.get(), 2, "both renames under the lock");
        let _ = second.staging.take().map(tempfile::TempDir::keep);
        assert_eq!(fs::read(out.join("summary.csv")).unwrap(), b"second");
    }

    #[test]
    fn what_a_killed_process_left_is_cleaned_or_finished() {
        if !Path::new("/proc/self").exists() {
            return; // Which processes are gone can only be known through /proc.
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        // A staging folder of a process that is gone (pid 4194305 is above Linux's
        // largest), and the previous results set aside by a swap killed between its
        // renames: no output folder.
        let stale = dir.path().join(".out.edgesim-4194305-abcdef");
        fs::create_dir(&stale).unwrap();
        let aside = dir.path().join(".out.edgesim-previous-4194305-1-0");
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("summary.csv"), b"previous").unwrap();
        fs::write(
            aside.join(OWNER_FILE),
            "# Written by edgesim run; a re-run replaces this whole folder.\nsummary.csv\n",
        )
        .unwrap();
        let staging = Staging::new(&out, OutputKind::Run).unwrap();
        assert!(!stale.exists(), "the stale staging folder is removed");
        assert_eq!(fs::read(out.join("summary.csv")).unwrap(), b"previous");
        assert!(!aside.exists());
        drop(staging);
        assert_eq!(entries(dir.path()), ["out"]);
    }
}
