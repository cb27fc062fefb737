//! The domain's folders depend on each other one way only: the model on
//! nothing, the ports on the model, the use cases on both, the background
//! jobs on all three (the bulk runner issues through the issue use case),
//! the contract suites on the model and the ports. A file that reaches the
//! other way fails here, naming itself and what it reached; so does one
//! that climbs out of its folder with `super::super`.

use std::fs;
use std::path::{Path, PathBuf};

/// Each folder of `src/` and the folders its code may name.
const MAY_USE: &[(&str, &[&str])] = &[
    ("model", &["model"]),
    ("ports", &["model", "ports"]),
    ("use_cases", &["model", "ports", "use_cases"]),
    ("jobs", &["model", "ports", "use_cases", "jobs"]),
    ("contract", &["model", "ports", "contract"]),
];

#[test]
fn every_folder_uses_only_the_folders_beneath_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for (folder, allowed) in MAY_USE {
        for file in rust_files(&src.join(folder)) {
            let text = fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue; // documentation may point anywhere
                }
                for used in crate_paths(code) {
                    if !allowed.contains(&used) {
                        wrong.push(format!("{}:{} uses crate::{used}", file.display(), number + 1));
                    }
                }
                if code.contains("super::super") {
                    wrong.push(format!("{}:{} climbs out with super::super", file.display(), number + 1));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "arrows pointing the wrong way:\n{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_an_arrow_the_wrong_way() {
    assert_eq!(crate_paths("use crate::jobs::HandOff;"), ["jobs"]);
    assert_eq!(crate_paths("let a = crate::model::X; crate::ports::Y"), ["model", "ports"]);
    assert!(crate_paths("use super::HandOff;").is_empty());
}

/// The top-level modules a line names as `crate::<module>`.
fn crate_paths(code: &str) -> Vec<&str> {
    code.match_indices("crate::")
        .map(|(at, found)| {
            let rest = &code[at + found.len()..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

fn rust_files(folder: &Path) -> Vec<PathBuf> {
    assert!(folder.is_dir(), "no folder {}", folder.display());
    let mut files = Vec::new();
    for entry in fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}
