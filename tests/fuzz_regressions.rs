//! Fuzz crashes, kept as regression tests, and a replay of the committed seed corpus.
//!
//! The fuzz targets' checks live in `fuzz/fuzz_body.rs`, included here verbatim, so every input
//! replays under plain `cargo test` with no fuzzing tool. A crash file from
//! `fuzz/artifacts/<target>/crash-<sha1>` becomes a regression by copying it to
//! `tests/fuzz_regressions/<target>-crash-<sha1>` (it is then replayed by
//! [`replay_regression_files`]) and adding a test below with a paragraph on its root cause.
//! A failing `chunked` case prints a reproducer ready to paste into a test.

use std::path::{Path, PathBuf};

include!("common/fuzz_body.rs");

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Runs one input through the target named `target`.
fn replay(target: &str, data: &[u8]) {
    match target {
        "whole" => drop(fuzz_body::check_whole(data)),
        "chunked" => fuzz_body::check_chunked(&fuzz_body::ChunkedCase::from_bytes(data)),
        "tracker" => fuzz_body::check_tracker(&fuzz_body::TrackerCase::from_bytes(data)),
        // Replayed by the C library's own tests (capi/tests/fuzz_regressions.rs).
        "c_api" => {}
        "http" => fuzz_body::check_http(&fuzz_body::ChunkedCase::from_bytes(data)),
        other => panic!("unknown fuzz target {other:?}"),
    }
}

/// Replays every committed seed of `target` (`fuzz/seeds/<target>/`).
fn replay_seeds(target: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let seeds = files(&dir);
    assert!(
        seeds.len() >= 10,
        "only {} seeds in {}: run scripts/fuzz_seeds.py",
        seeds.len(),
        dir.display()
    );
    for path in seeds {
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| replay(target, &data));
        assert!(result.is_ok(), "seed {} failed", path.display());
    }
}

#[test]
fn replay_seeds_whole() {
    replay_seeds("whole");
}

#[test]
fn replay_seeds_chunked() {
    replay_seeds("chunked");
}

#[test]
fn replay_seeds_tracker() {
    replay_seeds("tracker");
}

#[test]
fn replay_seeds_http() {
    replay_seeds("http");
}

/// Every file in `tests/fuzz_regressions/` (named `<target>-<anything>`) passes its target.
#[test]
fn replay_regression_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    for path in files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            continue;
        }
        let target = name.split('-').next().unwrap();
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| replay(target, &data));
        assert!(result.is_ok(), "regression {name} failed");
    }
}

/// The chunked target's reproducer format compiles and runs (the shape a crash would print).
#[test]
fn chunked_reproducer_shape() {
    let case = fuzz_body::ChunkedCase {
        data: b"{\"status\":\"a\"}\r\n{\"x\":[1,{\"status\":\"b\"}\r\n".to_vec(),
        cuts: vec![3, 17, 17, 9000],
        max_record_len: 20,
        max_depth: 2,
        stop_at_first_error: false,
        pause_every: 1,
    };
    let printed = format!("{case:?}");
    assert!(printed.starts_with("fuzz_body::check_chunked(&fuzz_body::ChunkedCase {"));
    fuzz_body::check_chunked(&case);
}

/// The tracker target's edge values: layer limit 0, time jumping backwards and to `u64::MAX`,
/// `total: -1`, `current > total`, seconds units, hidecounts, retries.
#[test]
fn tracker_edge_values() {
    use fuzz_body::TrackerOp;
    let id = |s: &str| Some(s.to_string());
    let record = |shape: usize, layer: Option<String>, current, total, now_ms| TrackerOp::Record {
        shape,
        id: layer,
        text: "library/x".into(),
        current,
        total,
        seconds_unit: shape == 6,
        hidecounts: shape == 7,
        n: 3,
        now_ms,
    };
    for max_layers in [0, 1, 2, 4096] {
        let case = fuzz_body::TrackerCase {
            max_layers,
            stall_transfer_ms: 1,
            stall_extract_ms: 1,
            min_bytes_per_sec: 1000,
            rate_window_ms: 1,
            ops: vec![
                record(0, id("latest"), None, None, 0),
                record(1, id("a"), None, None, 5),
                record(3, id("a"), Some(500), Some(100), 10),
                record(3, id("b"), Some(-5), Some(-1), 3),
                TrackerOp::Poll { now_ms: u64::MAX },
                record(9, id("a"), None, None, u64::MAX),
                record(3, id("a"), Some(i64::MAX), Some(i64::MAX), 0),
                record(6, id("a"), Some(7), Some(3), 1),
                record(7, id("a"), None, None, 2),
                TrackerOp::Poll { now_ms: 0 },
                record(11, None, None, None, 2),
            ],
        };
        fuzz_body::check_tracker(&case);
    }
}
