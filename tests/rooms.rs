//! The library's modules ("rooms") form a chain: each may use the rooms before it in [`ROOMS`],
//! never one after it, so the import graph has no cycles and can be read front to back.
//!
//! The check reads the source: every `crate::<module>` path in a line of code (comments and doc
//! comments are skipped, so doc links to later rooms are fine) counts as a use.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Every module of `src/`, in dependency order: shared leaf types first, then the stages in the
/// order bytes pass through them. Where a stage hands out a type it fills in, the type's room
/// comes first: the decoder parses each record's fields as it frames it (`message` before
/// `decoder`), and the tracker builds an [`pullstream::Outcome`] (`outcome` before `tracker`).
const ROOMS: &[&str] = &[
    "stable", "error", "swar", "http", "scan", "json", "message", "decoder", "failure", "event",
    "outcome", "tracker", "summary", "pipeline", "stream", "synth", "lib",
];

/// The exported macros, each with the module that defines it.
const MACRO_HOMES: &[(&str, &str)] = &[("stable_enum", "stable")];

/// The crate modules each source file names, with the first line that names each.
fn uses(source: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    for (number, line) in source.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            // A grouped path would hide its rooms from this reader: one path per room.
            assert!(
                !rest.starts_with('{'),
                "line {}: write `use crate::<room>::…` once per room, not `crate::{{…}}`",
                number + 1
            );
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::stable_enum!` is the macro `stable` exports at the root: a use of `stable`.
            let name = if rest[name.len()..].starts_with('!') {
                MACRO_HOMES
                    .iter()
                    .find(|(macro_name, _)| *macro_name == name)
                    .map_or(name, |(_, home)| home.to_string())
            } else {
                name
            };
            // `crate::Config` names a root re-export, not a module.
            if name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                found.entry(name).or_insert(number + 1);
            }
        }
    }
    found
}

/// Each room's name and the modules it uses: a `src/<room>.rs` file, or every `.rs` file of a
/// `src/<room>/` folder (a room split into files, like `tracker`), whose uses are merged.
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for entry in fs::read_dir(&src).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        let (name, files) = if path.is_dir() {
            let mut files: Vec<_> = fs::read_dir(&path)
                .expect("a readable folder")
                .map(|entry| entry.expect("a directory entry").path())
                .filter(|file| file.extension().and_then(|e| e.to_str()) == Some("rs"))
                .collect();
            files.sort();
            (path.file_name(), files)
        } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
            (path.file_stem(), vec![path.clone()])
        } else {
            continue;
        };
        let name = name.and_then(|s| s.to_str()).expect("a UTF-8 name");
        let room = graph.entry(name.to_owned()).or_default();
        for file in files {
            let source = fs::read_to_string(&file).expect("a readable source file");
            let shown = file
                .strip_prefix(&src)
                .unwrap_or(&file)
                .display()
                .to_string();
            for (used, line) in uses(&source) {
                room.entry(used).or_insert(format!("src/{shown}:{line}"));
            }
        }
    }
    graph
}

#[test]
fn every_module_has_a_place_in_the_order() {
    for name in graph().keys() {
        assert!(
            ROOMS.contains(&name.as_str()),
            "src/{name}.rs is not in ROOMS: give it its place in the order"
        );
    }
}

#[test]
fn rooms_use_only_the_rooms_before_them() {
    let position = |name: &str| ROOMS.iter().position(|&room| room == name);
    let mut wrong = Vec::new();
    for (name, used) in graph() {
        let Some(here) = position(&name) else {
            continue;
        };
        for (other, at) in used {
            match position(&other) {
                Some(there) if there <= here => {}
                Some(_) => wrong.push(format!("{at} ({name}) uses `{other}`, a later room")),
                None => wrong.push(format!("{at} ({name}) uses `{other}`, not a room")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the rooms have a cycle or a backward use:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_a_use() {
    let source =
        "use crate::event::{Event, Unit};\n/// [`crate::tracker`]\nlet x = crate::scan::f();\n";
    let used = uses(source);
    assert_eq!(used.keys().collect::<Vec<_>>(), ["event", "scan"]);
    assert_eq!(used["scan"], 3);
}

#[test]
#[should_panic(expected = "once per room")]
fn the_checker_refuses_a_grouped_path() {
    uses("use crate::{event::Event, tracker::Tracker};\n");
}
