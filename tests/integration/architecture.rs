//! Data flows one way (docs/architecture.md): every module of `src/` sits on a floor, and
//! no file's code names a module on a floor above its own. Doc comments may point up (a
//! link to the command that drives a library call is no dependency), and so may tests,
//! which load scenarios to build their inputs.

use std::collections::BTreeMap;
use std::path::Path;

use super::project_path;

/// Each top-level module and its floor, lowest first.
const FLOORS: &[(&str, u32)] = &[
    ("time", 0),
    ("vocabulary", 0),
    ("format", 0),
    ("output", 0),
    ("engine", 1),
    ("distribution", 2),
    ("topology", 3),
    ("scenario", 4),
    ("model", 5),
    ("stats", 6),
    ("montecarlo", 7),
    ("precision", 8),
    ("explore", 8),
    ("results", 9),
    ("study", 10),
    ("sweep", 11),
    ("diff", 11),
    ("trace", 11),
    ("plot", 12),
    ("export", 13),
    ("commands", 14),
    ("cli", 15),
];

fn floor_of(module: &str) -> Option<u32> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
}

/// The top-level module a file of `src/` belongs to (`src/model/admin.rs` → `model`).
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().unwrap();
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

/// The modules a file's code names as `crate::module`, outside comments and tests.
fn code_dependencies(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]") {
            break;
        }
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((number + 1, name));
            }
            rest = after;
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_file_names_a_module_on_a_floor_above_its_own() {
    let src = project_path("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut upward: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let module = module_of(relative);
        if module == "lib" || module == "main" {
            continue;
        }
        let own = floor_of(&module).unwrap_or_else(|| {
            panic!("src/{}: give module `{module}` a floor", relative.display())
        });
        let text = std::fs::read_to_string(file).unwrap();
        for (line, dependency) in code_dependencies(&text) {
            checked += 1;
            let Some(floor) = floor_of(&dependency) else {
                panic!(
                    "src/{}:{line}: crate::{dependency} has no floor",
                    relative.display()
                );
            };
            if floor > own {
                upward
                    .entry(format!("{module} (floor {own})"))
                    .or_default()
                    .push(format!(
                        "src/{}:{line} names {dependency} (floor {floor})",
                        relative.display()
                    ));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} references found: is the scan broken?"
    );
    assert!(upward.is_empty(), "arrows that run up: {upward:#?}");
}

#[test]
fn the_scan_sees_code_and_skips_comments_and_tests() {
    let text = "use crate::model::Thing;\n// crate::cli in a comment\nlet x = crate::stats::f(crate::time::g);\n#[cfg(test)]\nuse crate::cli;\n";
    let names: Vec<String> = code_dependencies(text)
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(names, ["model", "stats", "time"]);
}
