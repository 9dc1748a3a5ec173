//! Records decoded by someone else (bollard's `CreateImageInfo`, a `serde_json::Value`) fed with
//! `Pipeline::feed_record` give the same verdict as the bytes they came from, on every fixture;
//! what a model without some fields loses is shown fixture by fixture (docs/DECODED_RECORDS.md).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use pullstream::outcome::{IncompleteReason, SuccessKind};
use pullstream::pipeline::{Item, Pipeline};
use pullstream::summary::Summary;
use pullstream::Decoder;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "stream"))
        .collect();
    paths.sort();
    let out: Vec<_> = paths
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    assert!(out.len() >= 20, "fixtures missing");
    out
}

/// What a caller sees of one event: its kind and the layer it names.
type Seen = Vec<(&'static str, Option<String>)>;

fn see(seen: &mut Seen, item: Item<'_, '_>) -> ControlFlow<()> {
    if let Item::Event { event, .. } = item {
        seen.push((
            event.kind_name(),
            event.layer_id().map(|l| l.decode().into_owned()),
        ));
    }
    ControlFlow::Continue(())
}

/// The summary and events of `stream` fed as bytes.
fn by_bytes(stream: &[u8]) -> (Summary, Seen) {
    let mut pipeline = Pipeline::new();
    let mut seen = Seen::new();
    let _ = pipeline.feed(stream, 0, |item| see(&mut seen, item));
    let _ = pipeline.finish(0, |item| see(&mut seen, item));
    (pipeline.summary(), seen)
}

/// The records of `stream` as a client that decodes JSON would hand them out: every record
/// pullstream's decoder delimits and serde_json accepts, in order (the others are skipped, as
/// such a client would drop or fail on them).
fn decoded<T: for<'de> Deserialize<'de>>(stream: &[u8]) -> Vec<T> {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    let mut take = |item: Result<pullstream::Record<'_>, pullstream::Error>| {
        if let Ok(record) = item {
            if let Ok(value) = serde_json::from_slice(record.as_bytes()) {
                out.push(value);
            }
        }
    };
    decoder.feed(stream).for_each(&mut take);
    decoder.finish().for_each(&mut take);
    out
}

/// The summary and events of `records` fed one by one with `feed_record`.
fn by_records<T: Serialize>(records: &[T]) -> (Summary, Seen) {
    let mut pipeline = Pipeline::new();
    let mut seen = Seen::new();
    for record in records {
        let flow = pipeline
            .feed_record(record, 0, |item| see(&mut seen, item))
            .expect("a decoded record serialises");
        assert!(flow.is_continue());
    }
    let _ = pipeline.finish(0, |item| see(&mut seen, item));
    (pipeline.summary(), seen)
}

/// Whether the bytes hold anything a decoded-record client never passes on: a stretch that
/// does not decode, or a record cut off at the end.
fn has_bad_bytes(summary: &Summary) -> bool {
    summary.malformed_records > 0
        || summary.incomplete_reason == Some(IncompleteReason::CutMidRecord)
}

#[test]
fn feeding_decoded_values_equals_feeding_bytes_on_every_fixture() {
    let mut lossy = Vec::new();
    for (name, stream) in fixtures() {
        let (bytes_summary, bytes_seen) = by_bytes(&stream);
        let values: Vec<Value> = decoded(&stream);
        let (records_summary, records_seen) = by_records(&values);
        if !has_bad_bytes(&bytes_summary) {
            // Clean input: everything equal, the events too.
            assert_eq!(records_summary, bytes_summary, "{name}");
            assert_eq!(records_seen, bytes_seen, "{name}");
            continue;
        }
        // The bad bytes never reach the records: the decoded records are the good ones.
        assert_eq!(records_summary.malformed_records, 0, "{name}");
        assert_eq!(records_summary.records, values.len() as u64, "{name}");
        lossy.push(name.clone());
        let mut expect = bytes_summary.clone();
        expect.records = records_summary.records;
        expect.malformed_records = 0;
        if expect.incomplete_reason == Some(IncompleteReason::CutMidRecord) {
            // The cut record is not a record for a client that decodes: the stream simply ends.
            expect.incomplete_reason = records_summary.incomplete_reason;
        }
        assert_eq!(records_summary, expect, "{name} (bad bytes dropped)");
    }
    eprintln!("fixtures whose bad bytes a decoding client drops: {lossy:?}");
}

/// `CreateImageInfo` as bollard's models have it (fussybeaver/bollard,
/// codegen/swagger/src/models.rs, generated from the Engine API's swagger): no `units`,
/// `hidecounts`, `stream`, `aux` or top-level `message`.
#[derive(Debug, Serialize, Deserialize)]
struct CreateImageInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(rename = "errorDetail", skip_serializing_if = "Option::is_none")]
    error_detail: Option<ErrorDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<String>,
    #[serde(rename = "progressDetail", skip_serializing_if = "Option::is_none")]
    progress_detail: Option<ProgressDetail>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ErrorDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ProgressDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<i64>,
}

/// The summary keys whose values differ between `a` and `b`, in key order.
fn differing_keys(a: &Summary, b: &Summary) -> Vec<String> {
    let a = serde_json::to_value(a).unwrap();
    let b = serde_json::to_value(b).unwrap();
    a.as_object()
        .unwrap()
        .iter()
        .filter(|(key, value)| b[key.as_str()] != **value)
        .map(|(key, _)| key.clone())
        .collect()
}

/// Pull, import and push fixtures (and the empty stream) that a `CreateImageInfo` (or bollard's `PushImageInfo`,
/// which has fewer fields still) does not carry whole, and what they lose: the summary keys
/// that change, and whether the events change. Every other pull, import and push fixture goes
/// through the model unchanged.
const LOSSY_THROUGH_THE_MODEL: &[(&str, &[&str], bool)] = &[
    // `hidecounts` dropped: without it, the containerd store's stream reads as Podman's.
    ("pull_containerd_docker24", &["dialect"], false),
    // `units":"s"` dropped: `Extracting` seconds no longer tell the containerd store.
    ("pull_containerd_seconds", &["dialect"], false),
    // `stream` dropped: the record that told the v1 path becomes an empty record.
    ("pull_redhat_v1_trying_stream", &[], true),
    ("pull_redhat_v1_up_to_date", &[], true),
    // `aux` (the push result) dropped; the digest line still gives the verdict.
    ("push_aux_digest", &[], true),
    ("push_containerd_by_digest", &["dialect"], false),
    ("push_two_tags", &[], true),
];

#[test]
fn a_bollard_create_image_info_loses_what_its_model_has_no_field_for() {
    let mut lossy = Vec::new();
    for (name, stream) in fixtures() {
        let values: Vec<Value> = decoded(&stream);
        let (want, want_seen) = by_records(&values);
        let infos: Vec<CreateImageInfo> = decoded(&stream);
        let (got, got_seen) = by_records(&infos);
        let keys = differing_keys(&want, &got);
        let events_differ = want_seen != got_seen;
        if ["build_", "load_", "http_"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            // Builds, loads and HTTP error bodies are not `CreateImageInfo`'s to carry: their
            // `stream`, `aux` and `message` are gone, and with them their verdict, operation
            // or dialect.
            assert!(
                !keys.is_empty(),
                "{name}: expected a loss through the model"
            );
        } else if !keys.is_empty() || events_differ {
            lossy.push((name, keys, events_differ));
        }
    }
    let expected: Vec<(String, Vec<String>, bool)> = LOSSY_THROUGH_THE_MODEL
        .iter()
        .map(|(name, keys, events)| {
            let keys = keys.iter().map(|k| k.to_string()).collect();
            (name.to_string(), keys, *events)
        })
        .collect();
    assert_eq!(lossy, expected);
}

#[test]
fn a_value_that_does_not_serialise_feeds_nothing() {
    let mut pipeline = Pipeline::new();
    // serde_json writes only maps whose keys are strings (or numbers).
    let bad: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
    let mut items = 0;
    let result = pipeline.feed_record(&bad, 0, |_| {
        items += 1;
        ControlFlow::Continue(())
    });
    assert!(result.is_err());
    assert_eq!(items, 0);
    // The next record is read alone: nothing of the failed one was left behind.
    let good = serde_json::json!({"status": "Status: Image is up to date for alpine:3.20"});
    let flow = pipeline.feed_record(&good, 0, |_| ControlFlow::Continue(()));
    assert!(flow.unwrap().is_continue());
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    let summary = pipeline.summary();
    assert_eq!((summary.records, summary.malformed_records), (1, 0));
    assert_eq!(summary.result, Some(SuccessKind::UpToDate));
}

#[test]
fn a_pause_on_a_fed_record_resumes_with_nothing_lost() {
    let records: Vec<Value> = decoded(&fixtures_named("pull_success_crlf"));
    let (want, want_seen) = by_records(&records);
    let mut pipeline = Pipeline::new();
    let mut seen = Seen::new();
    for record in &records {
        // Pause on every item, then resume with an empty feed until it runs through.
        let mut flow = pipeline
            .feed_record(record, 0, |item| {
                let _ = see(&mut seen, item);
                ControlFlow::Break(())
            })
            .unwrap();
        while flow.is_break() {
            flow = pipeline.feed(&[], 0, |item| {
                let _ = see(&mut seen, item);
                ControlFlow::Break(())
            });
        }
    }
    while pipeline.finish(0, |item| see(&mut seen, item)).is_break() {}
    assert_eq!(pipeline.summary(), want);
    assert_eq!(seen, want_seen);
}

fn fixtures_named(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.stream"));
    std::fs::read(path).unwrap()
}
