//! The layout's rules, read from the source: the stages in `src/` follow the data, and a stage
//! imports only the domain, the shared pieces and the stages before it; `domain/` imports nothing
//! from `channels/`; "now" comes only from the clock.

use std::path::{Path, PathBuf};

/// The stages in the order the data travels.
const STAGES: [&str; 8] = ["domain", "intake", "schedule", "deliver", "pay", "hooks", "learn", "api"];
/// What every stage may use, and which may use no stage.
const SHARED: [&str; 3] = ["store", "queue", "runtime"];

/// Every `.rs` file below `dir`, with its path relative to `src/`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ can be read") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(file, line number, line)` of every line of code (not a comment) in `src/`.
fn code_lines() -> Vec<(String, usize, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut lines = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(&file).expect("a source file");
        for (number, line) in text.lines().enumerate() {
            if !line.trim_start().starts_with("//") {
                lines.push((relative.clone(), number + 1, line.to_owned()));
            }
        }
    }
    assert!(lines.len() > 10_000, "the sources were found ({} lines)", lines.len());
    lines
}

/// The top-level modules a line names as `crate::<module>`.
fn crate_modules(line: &str) -> Vec<&str> {
    line.match_indices("crate::")
        .map(|(at, _)| {
            let rest = &line[at + "crate::".len()..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn no_stage_imports_a_stage_after_it() {
    let mut wrong = Vec::new();
    for (file, number, line) in code_lines() {
        let module = file.split('/').next().unwrap();
        let from_stage = STAGES.iter().position(|s| *s == module);
        for target in crate_modules(&line) {
            let Some(to_stage) = STAGES.iter().position(|s| *s == target) else { continue };
            let later = match from_stage {
                Some(from) => to_stage > from,
                // The shared pieces use the domain and no stage.
                None => SHARED.contains(&module) && target != "domain",
            };
            if later {
                wrong.push(format!("src/{file}:{number}: {}", line.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "imports up the data's path:\n{}", wrong.join("\n"));
}

#[test]
fn the_domain_imports_no_channel_code() {
    let wrong: Vec<String> = code_lines()
        .into_iter()
        .filter(|(file, _, line)| file.starts_with("domain/") && line.contains("mahnwerk_channels"))
        .map(|(file, number, line)| format!("src/{file}:{number}: {}", line.trim()))
        .collect();
    assert!(wrong.is_empty(), "domain/ uses the channels crate:\n{}", wrong.join("\n"));
}

#[test]
fn now_comes_only_from_the_clock() {
    let wrong: Vec<String> = code_lines()
        .into_iter()
        .filter(|(file, _, line)| file != "runtime/clock.rs" && line.contains("Utc::now()"))
        .map(|(file, number, line)| format!("src/{file}:{number}: {}", line.trim()))
        .collect();
    assert!(wrong.is_empty(), "Utc::now() outside the clock:\n{}", wrong.join("\n"));
}

#[test]
fn the_checks_see_an_import_up_the_path() {
    assert_eq!(crate_modules("use crate::pay::{record_payment, X}; crate::domain::Money"), ["pay", "domain"]);
    assert_eq!(crate_modules("let a = 1;"), Vec::<&str>::new());
}
