//! docs/ERRORS.md is a test: every message in its table must classify to the kind and
//! `retryable` value the row gives, through the public classifier, and the counts it shows must
//! be the table's. Plus the word-boundary and precedence cases the table cannot show on its own.

use std::collections::BTreeMap;

use proptest::prelude::*;
use pullstream::event::FailureKind;
use pullstream::JsonStr;

const DOC: &str = include_str!("../docs/ERRORS.md");

fn kind_named(name: &str) -> FailureKind {
    FailureKind::from_name(name).unwrap_or_else(|| panic!("no kind named {name:?}"))
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
                got.name(),
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
                classify(message).name(),
                want.name()
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Words joined to others by reference, path or URL punctuation are not phrase words: a name
/// cannot make a missing image look retryable.
#[test]
fn joined_words_are_not_phrase_words() {
    let cases: &[(&str, FailureKind)] = &[
        // Every Go error text or status inside a reference, with no other cue: nothing.
        ("pulling acme/broken-pipe:1.0", FailureKind::Other),
        ("pulling acme/connection-refused", FailureKind::Other),
        ("pulling acme/app:code-500", FailureKind::Other),
        ("pulling acme/status-429", FailureKind::Other),
        ("pulling acme/timeout", FailureKind::Other),
        ("pulling timeout@sha256:abc", FailureKind::Other),
        ("pulling acme/manifest_unknown:1", FailureKind::Other),
        ("pulling acme/i/o:1", FailureKind::Other),
        (
            "GET https://r/v2/?q=rate-limit&x=toomanyrequests",
            FailureKind::Other,
        ),
        // The same words standing alone are read.
        ("pulling acme: broken pipe", FailureKind::Network),
        ("status 429", FailureKind::RateLimited),
        // A trailing separator joins nothing.
        ("TLS handshake timeout.", FailureKind::Network),
        (
            "you have reached your pull rate limit.",
            FailureKind::RateLimited,
        ),
        // Compounds that are one term of Go's or the registry's text.
        (
            "read udp 1.2.3.4:5->6.7.8.9:53: i/o timeout",
            FailureKind::Network,
        ),
        (
            "(Client.Timeout exceeded while awaiting headers)",
            FailureKind::Network,
        ),
        ("{\"code\":\"BLOB_UPLOAD_UNKNOWN\"}", FailureKind::NotFound),
        ("mkdir /x: read-only file system", FailureKind::DiskFull),
        ("returned a non-zero code: 1", FailureKind::BuildFailed),
        (
            "server message: insufficient_scope: nope",
            FailureKind::Unauthorized,
        ),
        // containerd's status with no reason phrase steps over the URL, joined or not.
        (
            "unexpected status code https://r/v2/a/blobs/sha256:abc: 520 ",
            FailureKind::Network,
        ),
        (
            "unexpected status code https://r/v2/a: 404 ",
            FailureKind::Other,
        ),
        ("unexpected status code 520", FailureKind::Network),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(message, want)| classify(message) != *want)
        .map(|(message, want)| {
            format!(
                "{message:?}: {} want {}",
                classify(message).name(),
                want.name()
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Escapes as the decoder sees them: `\u002f` is `/` and joins, `\n` separates.
    for (raw, want) in [
        (
            &br#"{"error":"No such image: broken\u002fpipe"}"#[..],
            FailureKind::NotFound,
        ),
        (
            br#"{"error":"No such image: x\nbroken pipe"}"#,
            FailureKind::Network,
        ),
        (
            br#"{"error":"No such image: broken\/pipe"}"#,
            FailureKind::NotFound,
        ),
    ] {
        let mut decoder = pullstream::Decoder::new();
        let record = decoder.feed(raw).next().expect("a record").expect("valid");
        let message = record.message().error.expect("an error");
        assert!(message.has_escapes());
        assert_eq!(FailureKind::classify(message), want);
    }
}

/// The registry's `DENIED` after Podman's `reading manifest` reads as Docker's `pull access
/// denied` (not found, tier 0); alone it is a refusal.
#[test]
fn denied_on_a_pull_is_not_found() {
    let cases: &[(&str, FailureKind)] = &[
        (
            "reading manifest latest in docker.io/library/nosuch: requested access to the resource is denied",
            FailureKind::NotFound,
        ),
        // Tier 0: it beats a status code in the same message.
        (
            "reading manifest 1 in r/a: denied: denied (HTTP 401)",
            FailureKind::NotFound,
        ),
        ("denied: requested access to the resource is denied", FailureKind::Unauthorized),
        // The wrapper comes first in a Go error chain; `denied` before it is not a pull's.
        (
            "denied: requested access to the resource is denied; reading manifest x in y",
            FailureKind::Unauthorized,
        ),
        // An expired token still wins.
        (
            "reading manifest latest in x/y: denied: Your authorization token has expired.",
            FailureKind::Unauthorized,
        ),
        (
            "reading manifest latest in x/y: unauthorized: authentication required",
            FailureKind::Unauthorized,
        ),
    ];
    for (message, want) in cases {
        assert_eq!(classify(message), *want, "{message:?}");
    }
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
