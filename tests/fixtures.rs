//! Every fixture in `tests/fixtures/`, at many chunk sizes and in all three framings, must reach
//! the verdict written in its `.expect.json`.

mod common;

use common::reframe;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use pullstream::pipeline::Pipeline;
use serde_json::Value;

fn fixtures() -> Vec<(String, Vec<u8>, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "stream"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expect_path = dir.join(format!("{name}.expect.json"));
        let expect: Value =
            serde_json::from_slice(&std::fs::read(&expect_path).expect("expect file")).unwrap();
        out.push((name, std::fs::read(&path).unwrap(), expect));
    }
    assert!(out.len() >= 20, "fixtures missing");
    out
}

/// Runs the whole pipeline over `stream` in pieces of `chunk` bytes; returns the summary JSON.
fn summarize(stream: &[u8], chunk: usize) -> Value {
    let mut pipeline = Pipeline::new();
    for piece in stream.chunks(chunk.max(1)) {
        let _ = pipeline.feed(piece, 0, |_| ControlFlow::Continue(()));
    }
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    serde_json::from_str(&pipeline.summary().to_json()).unwrap()
}

/// The expectation lists the keys it cares about; every one of them must match.
fn check(name: &str, how: &str, got: &Value, expect: &Value) {
    let wrong: Vec<String> = expect
        .as_object()
        .unwrap()
        .iter()
        .filter(|(key, want)| got.get(key.as_str()) != Some(want))
        .map(|(key, want)| format!("{key}: want {want}, got {}", got[key.as_str()]))
        .collect();
    assert!(
        wrong.is_empty(),
        "{name} ({how}): {wrong:#?}\n   summary: {got}"
    );
}

#[test]
fn every_fixture_reaches_its_verdict_at_every_chunk_size() {
    for (name, stream, expect) in fixtures() {
        let whole = summarize(&stream, stream.len());
        check(&name, "whole", &whole, &expect);
        for size in 1..=stream.len() {
            let got = summarize(&stream, size);
            assert_eq!(got, whole, "{name}: chunk size {size} differs from whole");
        }
    }
}

#[test]
fn every_clean_fixture_reaches_its_verdict_in_all_three_framings() {
    for (name, stream, expect) in fixtures() {
        let clean = expect["malformed_records"].as_u64().unwrap_or(0) == 0
            && expect["incomplete_reason"] != "cut_mid_record";
        if !clean {
            continue;
        }
        for (framing, delimiter) in [("concatenated", &b""[..]), ("crlf", b"\r\n"), ("lf", b"\n")] {
            let reframed = reframe(&stream, delimiter);
            for size in [1, 2, 3, 7, 64, 4096, reframed.len().max(1)] {
                let got = summarize(&reframed, size);
                check(&name, &format!("{framing}, chunk {size}"), &got, &expect);
            }
        }
    }
}
