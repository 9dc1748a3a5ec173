//! docs/ERRORS.md is a test: every message in its table must classify to the kind and
//! `retryable` value the row gives, through the public classifier, and the counts it shows must
//! be the table's. Plus the word-boundary and precedence cases the table cannot show on its own.

use std::collections::BTreeMap;

use proptest::prelude::*;
use pullstream::event::FailureKind;
use pullstream::JsonStr;

const DOC: &str = include_str!("../docs/ERRORS.md");

fn kind_named(name: &str) -> FailureKind {
    const ALL: [FailureKind; 9] = [
        FailureKind::RateLimited,
        FailureKind::Unauthorized,
        FailureKind::NotFound,
        FailureKind::PlatformMismatch,
        FailureKind::DiskFull,
        FailureKind::Network,
        FailureKind::Cancelled,
        FailureKind::BuildFailed,
        FailureKind::Other,
    ];
    ALL.into_iter()
        .find(|k| k.as_str() == name)
        .unwrap_or_else(|| panic!("no kind named {name:?}"))
}

fn classify(message: &str) -> FailureKind {
    FailureKind::classify(JsonStr::plain(message))
}

/// The rows of one `## ` section's table, each split into its cells (outer pipes dropped).
fn table(section: &str) -> Vec<Vec<String>> {
    let start = DOC
        .find(&format!("\n## {section}\n"))
        .unwrap_or_else(|| panic!("no section {section:?}"));
    let body = &DOC[start + section.len() + 5..];
    let body = body.split("\n## ").next().unwrap_or_default();
    body.lines()
        .filter(|line| line.starts_with('|') && !line.starts_with("|-") && !line.starts_with("|--"))
        .skip(1) // the header
        .filter(|line| !line.starts_with("|---"))
        .map(|line| {
            let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
            inner
                .split('|')
                .map(|cell| cell.trim().to_owned())
                .collect()
        })
        .collect()
}

struct Row {
    number: String,
    message: String,
    kind: String,
    retryable: String,
}

fn rows() -> Vec<Row> {
    table("The table")
        .into_iter()
        .map(|cells| {
            assert!(cells.len() >= 5, "short row {cells:?}");
            let message = cells[1]
                .strip_prefix('`')
                .and_then(|m| m.strip_suffix('`'))
                .unwrap_or_else(|| panic!("message not in backticks: {cells:?}"));
            Row {
                number: cells[0].clone(),
                message: message.to_owned(),
                kind: cells[2].clone(),
                retryable: cells[3].clone(),
            }
        })
        .collect()
}

#[test]
fn every_row_classifies_as_the_table_says() {
    let rows = rows();
    assert!(rows.len() >= 100, "only {} messages", rows.len());
    let mut wrong = Vec::new();
    for row in &rows {
        let want = kind_named(&row.kind);
        let got = classify(&row.message);
        let retryable = match row.retryable.as_str() {
            "yes" => true,
            "no" => false,
            other => panic!("row {}: retryable {other:?}", row.number),
        };
        if got != want || got.is_retryable() != retryable {
            wrong.push(format!(
                "row {}: {:?} is {} (retryable {}), table says {} (retryable {})",
                row.number,
                row.message,
                got.as_str(),
                got.is_retryable(),
                row.kind,
                row.retryable
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_counts_are_the_tables() {
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows() {
        *counted.entry(row.kind).or_default() += 1;
    }
    let mut shown: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = None;
    for cells in table("Counts") {
        let count: usize = cells[2].parse().expect("a count");
        if cells[0] == "total" {
            total = Some(count);
            continue;
        }
        let kind = cells[0].trim_matches('`').to_owned();
        let retryable = kind_named(&kind).is_retryable();
        assert_eq!(cells[1], if retryable { "yes" } else { "no" }, "{kind}");
        if count > 0 {
            shown.insert(kind, count);
        }
    }
    assert_eq!(shown, counted);
    assert_eq!(total, Some(counted.values().sum()));
    // Every kind has at least one real message.
    assert_eq!(counted.len(), 9, "{counted:?}");
}

#[test]
fn words_match_only_whole_words() {
    let cases: &[(&str, FailureKind)] = &[
        // `eof` inside a name, a reference or a path is not Go's io.EOF.
        (
            "manifest for geoffrey/app:latest is invalid",
            FailureKind::Other,
        ),
        ("error pulling geoffrey/app", FailureKind::Other),
        ("pulling eof/app:latest failed", FailureKind::Other),
        ("Get \"https://r/v2/\": EOF", FailureKind::Network),
        (
            "read tcp 1.2.3.4:5->6.7.8.9:443: unexpected eof",
            FailureKind::Network,
        ),
        // Other words inside longer words.
        ("notfound is a tag", FailureKind::Other),
        ("the image deniedx was refused", FailureKind::Other),
        ("image timeouts/app", FailureKind::Other),
        ("unauthorizedish", FailureKind::Other),
        ("ratelimiter/app:1", FailureKind::Other),
        ("my-4290/app", FailureKind::Other),
        // A number alone is not a status code.
        ("failed to copy layer 429 of 500", FailureKind::Other),
        ("Step 5/503 : RUN make", FailureKind::Other),
        ("status code 429", FailureKind::RateLimited),
        ("StatusCode: 503", FailureKind::Network),
        ("HTTP 404", FailureKind::NotFound),
        // Separators: underscores, slashes, punctuation.
        ("MANIFEST_UNKNOWN", FailureKind::NotFound),
        ("i/o timeout", FailureKind::Network),
        ("I/O TIMEOUT", FailureKind::Network),
        ("connection\treset", FailureKind::Network),
        ("read-only file system", FailureKind::DiskFull),
        // `permission denied` is a local file, not the registry's `denied`.
        (
            "open /etc/docker/key.json: permission denied",
            FailureKind::Other,
        ),
        // Words split by something that is not a separator stay apart.
        ("no suchhost", FailureKind::Other),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(message, want)| classify(message) != *want)
        .map(|(message, want)| {
            format!(
                "{message:?}: {} want {}",
                classify(message).as_str(),
                want.as_str()
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn precedence_between_tiers() {
    let cases: &[(&str, FailureKind)] = &[
        // What failed beats the status code and the words of a wrapped cause.
        (
            "process \"/bin/sh -c curl -f https://x/ || echo 429 Too Many Requests\" did not complete successfully: exit code: 22",
            FailureKind::BuildFailed,
        ),
        (
            "no match for platform in manifest sha256:ab: not found",
            FailureKind::PlatformMismatch,
        ),
        // A status code beats the words around it.
        (
            "failed to resolve reference: unexpected status: 429 Too Many Requests: not found",
            FailureKind::RateLimited,
        ),
        // A registry code beats Go's texts and words.
        ("denied: requested access to the resource is denied: EOF", FailureKind::Unauthorized),
        // Go's timeout beats its own `request canceled`.
        (
            "net/http: request canceled (Client.Timeout exceeded while awaiting headers)",
            FailureKind::Network,
        ),
        ("context canceled", FailureKind::Cancelled),
        ("context deadline exceeded", FailureKind::Network),
        // An expired token beats Docker's `pull access denied` wrapper.
        (
            "pull access denied for x, repository does not exist or may require 'docker login': denied: Your authorization token has expired.",
            FailureKind::Unauthorized,
        ),
        ("", FailureKind::Other),
    ];
    for (message, want) in cases {
        assert_eq!(classify(message), *want, "{message:?}");
    }
}

#[test]
fn escaped_text_is_read_as_decoded() {
    // A record's raw text: Go escapes `<`, `>` and `&`, quotes and line breaks.
    let mut decoder = pullstream::Decoder::new();
    let record = decoder
        .feed(br#"{"errorDetail":{"message":"a\u003cb\u003e\nnot found\"EOF"},"error":"x"}"#)
        .next()
        .expect("a record")
        .expect("valid");
    let message = record.message().error_detail.unwrap().message.unwrap();
    assert!(message.has_escapes());
    assert_eq!(FailureKind::classify(message), FailureKind::NotFound);
}

proptest! {
    /// Any text classifies without panicking, and separators around it change nothing.
    #[test]
    fn any_text_classifies(text in ".{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let kind = classify(&text);
        prop_assert_eq!(classify(&format!(" {text} ")), kind);
        let lossy = String::from_utf8_lossy(&bytes);
        let _ = classify(&lossy);
    }

    /// Known phrases are found wherever they sit among other words.
    #[test]
    fn phrases_are_found_among_other_words(before in "[a-z ]{0,40}", after in "[a-z ]{0,40}") {
        let text = format!("{before} 429 Too Many Requests {after}");
        prop_assert_eq!(classify(&text), FailureKind::RateLimited);
    }
}
