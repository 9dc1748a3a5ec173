//! The `--json` key tables in README.md and docs/CLI.md list every stable name of the
//! enumerations the summary holds, and nothing else: those tables are written by hand, so a
//! variant added to a `stable_enum!` list (or one renamed) fails here until the docs say so.
//! (docs/C_API.md's tables are generated: capi/tests/generated.rs.)

use std::collections::BTreeSet;
use std::path::Path;

use pullstream::event::FailureKind;
use pullstream::outcome::{Dialect, IncompleteReason, Operation, SuccessKind, Verdict};
use pullstream::stable::StableEnum;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `"word"` in the table row that starts with ``| `key` |``.
fn quoted_in_row(doc: &str, file: &str, key: &str) -> BTreeSet<String> {
    let start = format!("| `{key}` |");
    let row = doc
        .lines()
        .find(|line| line.starts_with(&start))
        .unwrap_or_else(|| panic!("{file}: no table row for `{key}`"));
    row.split('"')
        .skip(1)
        .step_by(2)
        .filter(|word| {
            word.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
        })
        .map(str::to_owned)
        .collect()
}

/// The row of `key` names exactly the enumeration's stable names, plus the listed other words.
fn check<E: StableEnum>(doc: &str, file: &str, key: &str, other_words: &[&str]) {
    let names: BTreeSet<String> = E::TABLE.iter().map(|e| e.name.to_owned()).collect();
    let mut expected = names.clone();
    expected.extend(other_words.iter().map(|w| w.to_string()));
    let found = quoted_in_row(doc, file, key);
    let missing: Vec<_> = names.difference(&found).collect();
    let unknown: Vec<_> = found.difference(&expected).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "{file}, row `{key}`: names missing {missing:?}, words that are no name {unknown:?}"
    );
}

#[test]
fn readme_json_table_lists_every_name() {
    let file = "README.md";
    let doc = read(file);
    check::<Verdict>(&doc, file, "outcome", &[]);
    check::<Operation>(&doc, file, "operation", &[]);
    check::<SuccessKind>(&doc, file, "result", &[]);
    check::<FailureKind>(
        &doc,
        file,
        "error",
        &["kind", "message", "code", "retryable"],
    );
    check::<IncompleteReason>(&doc, file, "incomplete_reason", &[]);
    check::<Dialect>(&doc, file, "dialect", &[]);
}

#[test]
fn cli_doc_json_table_lists_every_name() {
    let file = "docs/CLI.md";
    let doc = read(file);
    check::<Verdict>(&doc, file, "outcome", &[]);
    check::<Operation>(&doc, file, "operation", &[]);
    check::<SuccessKind>(&doc, file, "result", &[]);
    check::<FailureKind>(&doc, file, "error.kind", &[]);
    check::<IncompleteReason>(&doc, file, "incomplete_reason", &["incomplete"]);
    check::<Dialect>(&doc, file, "dialect", &[]);
}
