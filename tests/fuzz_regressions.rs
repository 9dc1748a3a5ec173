//! Fuzz crashes, kept as regression tests, and a replay of the committed seed corpus.
//!
//! The fuzz targets' checks live in `tests/common/fuzz_body.rs`, included here verbatim, so every
//! input replays under plain `cargo test` with no fuzzing tool; the seeds are built in memory by
//! the encoders there (the files in `fuzz/seeds/` are the same bytes, written by
//! `cargo xtask fuzz-seeds`). A crash file from
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

fn fixtures() -> Vec<(String, Vec<u8>)> {
    fuzz_body::seeds::fixtures(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
}

/// Replays the seeds of `target`, built in memory by the same encoders that write
/// `fuzz/seeds/<target>/` (`cargo xtask fuzz-seeds`), so this needs no file outside the package.
fn replay_seeds(target: &str) {
    let seeds: Vec<_> = fuzz_body::seeds::core(&fixtures())
        .into_iter()
        .filter(|seed| seed.target == target)
        .collect();
    assert!(seeds.len() >= 10, "only {} {target} seeds", seeds.len());
    for seed in seeds {
        let result = std::panic::catch_unwind(|| replay(target, &seed.bytes));
        assert!(result.is_ok(), "seed {target}/{} failed", seed.name);
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

/// The seeds decode to the cases they were encoded from: the encoders and the decoders agree.
#[test]
fn seed_cases_round_trip() {
    let fixtures = fixtures();
    for (index, (name, data)) in fixtures.iter().enumerate() {
        let tracker = fuzz_body::seeds::tracker_case(data);
        assert!(
            !tracker.ops.is_empty() || data.is_empty(),
            "{name}: no tracker ops"
        );
        assert_eq!(
            fuzz_body::TrackerCase::from_bytes(&tracker.to_bytes()),
            tracker,
            "{name}: tracker case"
        );
        let http = fuzz_body::seeds::http_case(data, index);
        assert_eq!(
            fuzz_body::ChunkedCase::from_bytes(&http.to_bytes()),
            http,
            "{name}: http case"
        );
    }
    for seed in fuzz_body::seeds::core(&fixtures) {
        if seed.target == "chunked" || seed.target == "http" {
            let case = fuzz_body::ChunkedCase::from_bytes(&seed.bytes);
            assert_eq!(case.to_bytes(), seed.bytes, "{}/{}", seed.target, seed.name);
        }
    }
    // Every field away from its default, time jumping back and far, ids and numbers of every
    // encoding.
    use fuzz_body::TrackerOp;
    let case = fuzz_body::TrackerCase {
        max_layers: 3,
        stall_transfer_ms: 1,
        stall_extract_ms: 65535,
        min_bytes_per_sec: 7,
        rate_window_ms: 9,
        ops: vec![
            TrackerOp::Expect {
                id: fuzz_body::pool_id(0),
                size: 70_000,
            },
            TrackerOp::Record {
                shape: 19,
                id: Some(fuzz_body::pool_id(2)),
                text: "é".repeat(11),
                current: Some(65_536),
                total: Some(-1),
                seconds_unit: true,
                hidecounts: true,
                n: 255,
                now_ms: 65_535,
            },
            TrackerOp::Poll { now_ms: 10 },
            TrackerOp::Record {
                shape: 0,
                id: Some("layer".into()),
                text: String::new(),
                current: Some(5),
                total: None,
                seconds_unit: false,
                hidecounts: false,
                n: 0,
                now_ms: u64::MAX,
            },
            TrackerOp::Expect {
                id: "x".into(),
                size: 3,
            },
        ],
    };
    assert_eq!(fuzz_body::TrackerCase::from_bytes(&case.to_bytes()), case);
}

/// Writes the core targets' seeds to `$PULLSTREAM_FUZZ_SEEDS_DIR/<target>/`; run by
/// `cargo xtask fuzz-seeds` (the C call sequences come from capi/tests/fuzz_regressions.rs).
#[test]
#[ignore = "writes files: run through `cargo xtask fuzz-seeds`"]
fn write_fuzz_seeds() {
    let dir = std::env::var_os("PULLSTREAM_FUZZ_SEEDS_DIR")
        .expect("PULLSTREAM_FUZZ_SEEDS_DIR names the seed directory");
    let seeds = fuzz_body::seeds::core(&fixtures());
    fuzz_body::seeds::write(Path::new(&dir), &seeds);
    println!("wrote {} seeds", seeds.len());
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
