//! The `c_api` fuzz target's seeds and crash files, replayed as tests (the other targets' are in
//! the core crate's `tests/fuzz_regressions.rs`), and the freshness check of `fuzz/seeds/`.

use std::path::{Path, PathBuf};

include!("../../tests/common/fuzz_body.rs");
include!("common/c_api_body.rs");

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

fn workspace_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    fuzz_body::seeds::fixtures(&workspace_root().join("tests/fixtures"))
}

/// The C call sequences, built in memory by `c_api_body::seeds` (also run under valgrind by
/// `scripts/hostile.sh`).
#[test]
fn replay_seeds_c_api() {
    let seeds = c_api_body::seeds(&fixtures());
    assert!(seeds.len() >= 10, "only {} c_api seeds", seeds.len());
    for seed in seeds {
        let result = std::panic::catch_unwind(|| c_api_body::check_c_api(&seed.bytes));
        assert!(result.is_ok(), "seed c_api/{} failed", seed.name);
    }
}

/// Every fixture's call sequence fits in the calls one input may make, so its last calls
/// (finish, feed after finish, free and recreate) are not cut off.
#[test]
fn c_api_seeds_fit_the_call_limit() {
    for (index, (name, data)) in fixtures().iter().enumerate() {
        let calls = c_api_body::fixture_calls(data, index % 2).calls();
        assert!(
            calls <= c_api_body::MAX_CALLS,
            "{name}: {calls} calls, more than {}",
            c_api_body::MAX_CALLS
        );
    }
}

/// Every seed file: the core targets' and the C call sequences.
fn all_seeds() -> Vec<fuzz_body::seeds::Seed> {
    let fixtures = fixtures();
    let mut seeds = fuzz_body::seeds::core(&fixtures);
    seeds.extend(c_api_body::seeds(&fixtures));
    seeds
}

/// `fuzz/seeds/` (the starting corpus of `scripts/fuzz_ci.sh`) holds exactly what the encoders
/// build today: `cargo xtask fuzz-seeds` rewrites it.
#[test]
fn committed_fuzz_seeds_are_fresh() {
    let dir = workspace_root().join("fuzz/seeds");
    let mut expected: Vec<(String, Vec<u8>)> = all_seeds()
        .into_iter()
        .map(|seed| (format!("{}/{}", seed.target, seed.name), seed.bytes))
        .collect();
    expected.sort();
    let mut committed = Vec::new();
    for target in files_and_dirs(&dir) {
        let Some(target_name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        for path in files(&target) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            committed.push((
                format!("{target_name}/{name}"),
                std::fs::read(&path).unwrap(),
            ));
        }
    }
    committed.sort();
    let names =
        |list: &[(String, Vec<u8>)]| list.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&expected),
        "fuzz/seeds has other files than the encoders build: run `cargo xtask fuzz-seeds`"
    );
    for ((name, bytes), (_, want)) in committed.iter().zip(&expected) {
        assert!(
            bytes == want,
            "fuzz/seeds/{name} differs from what the encoders build: run `cargo xtask fuzz-seeds`"
        );
    }
}

fn files_and_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Writes the C call sequences to `$PULLSTREAM_FUZZ_SEEDS_DIR/c_api/`; run by
/// `cargo xtask fuzz-seeds` (the other targets' come from the core crate's test).
#[test]
#[ignore = "writes files: run through `cargo xtask fuzz-seeds`"]
fn write_fuzz_seeds() {
    let dir = std::env::var_os("PULLSTREAM_FUZZ_SEEDS_DIR")
        .expect("PULLSTREAM_FUZZ_SEEDS_DIR names the seed directory");
    let seeds = c_api_body::seeds(&fixtures());
    fuzz_body::seeds::write(Path::new(&dir), &seeds);
    println!("wrote {} seeds", seeds.len());
}

/// Every `tests/fuzz_regressions/c_api-*` crash file passes the target.
#[test]
fn replay_c_api_regression_files() {
    let dir = workspace_root().join("tests/fuzz_regressions");
    let mut count = 0;
    for path in files(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("c_api-") {
            continue;
        }
        count += 1;
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| c_api_body::check_c_api(&data));
        assert!(result.is_ok(), "regression {name} failed");
    }
    assert!(
        count >= 2,
        "the c_api crash files are missing from {}",
        dir.display()
    );
}

// ---------------------------------------------------------------------------------------------
// Found by the `c_api` target (FINDINGS.md F3, fixed): the minimized crash files are
// `tests/fuzz_regressions/c_api-crash-59de0877…` and `c_api-crash-5cde7400…`.

mod c_api_finish_then_feed {
    use std::ffi::c_void;
    use std::ptr;

    use pullstream_capi::enums::CallStatus;
    use pullstream_capi::*;

    unsafe extern "C" fn pause(_: *mut c_void, _: *const pullstream_event) -> i32 {
        1
    }

    const STREAM: &[u8] = b"{\"status\":\"a\"}\n{\"status\":\"b\"}\n{\"status\":\"cut";

    /// A decoder whose `finish` is paused with events still held.
    fn paused_in_finish() -> *mut pullstream_decoder {
        let mut decoder = ptr::null_mut();
        // SAFETY: valid out-pointer; the callbacks ignore userdata.
        unsafe {
            assert_eq!(
                pullstream_decoder_new(ptr::null(), &mut decoder),
                CallStatus::Ok.code()
            );
            let status = pullstream_decoder_feed(
                decoder,
                STREAM.as_ptr(),
                STREAM.len(),
                0,
                Some(pause),
                ptr::null_mut(),
            );
            assert_eq!(status, CallStatus::Paused.code());
            let status = pullstream_decoder_finish(decoder, 0, Some(pause), ptr::null_mut());
            assert_eq!(status, CallStatus::Paused.code());
        }
        decoder
    }

    fn summary(decoder: *mut pullstream_decoder) -> String {
        let mut buf = vec![0u8; 4096];
        let mut len = 0;
        // SAFETY: live decoder, valid buffer.
        let status = unsafe {
            pullstream_decoder_summary_json(decoder, buf.as_mut_ptr().cast(), buf.len(), &mut len)
        };
        assert_eq!(status, CallStatus::Ok.code());
        String::from_utf8(buf[..len].to_vec()).unwrap()
    }

    /// Bytes fed after `finish` (paused, not yet completed) are past the end of the stream: they
    /// must be refused, as they are after a completed `finish`.
    ///
    /// Root cause: `pullstream_decoder_feed` checked only `handle.finished`, which is set when
    /// `finish` completes, so during a paused finish the bytes went to `Pipeline::feed` and were
    /// decoded as if the stream had not ended (the fuzz model's summary then differed). Fixed
    /// with a `finishing` flag set by the first `finish` call.
    #[test]
    fn bytes_fed_while_finish_is_paused_are_refused() {
        let decoder = paused_in_finish();
        let late = b"{\"status\":\"late\"}\n";
        // SAFETY: live decoder, valid data.
        let status = unsafe {
            pullstream_decoder_feed(decoder, late.as_ptr(), late.len(), 0, None, ptr::null_mut())
        };
        let text = summary(decoder);
        // SAFETY: live decoder, freed once.
        unsafe { pullstream_decoder_free(decoder) };
        assert_eq!(status, CallStatus::InvalidState.code(), "summary: {text}");
    }

    /// `feed(NULL, 0)` during a paused finish answered OK, yet left the finish undone: the
    /// record cut off by the end of the stream goes back to being an open record and the verdict
    /// lost `cut_mid_record`. It must be refused (INVALID_STATE) or resume the finish.
    ///
    /// Root cause: as above; `Pipeline::feed(&[])` drained the items the paused `finish` left
    /// unread with `at_eof = false`, so the cut record was kept as an open tail instead of being
    /// reported as truncated.
    #[test]
    fn empty_feed_while_finish_is_paused_does_not_undo_the_finish() {
        let decoder = paused_in_finish();
        // SAFETY: live decoder; NULL data with length 0 is allowed.
        let status =
            unsafe { pullstream_decoder_feed(decoder, ptr::null(), 0, 0, None, ptr::null_mut()) };
        let text = summary(decoder);
        // SAFETY: live decoder, freed once.
        unsafe { pullstream_decoder_free(decoder) };
        assert!(
            status == CallStatus::InvalidState.code() || text.contains("cut_mid_record"),
            "status {status:?}, summary {text}"
        );
    }
}
