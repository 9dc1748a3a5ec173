//! The C ABI called from Rust, exactly as C would call it: NULL arguments, bad enumeration
//! values, pause and resume, panics, buffers, and byte-identical summaries against the Rust
//! `Pipeline` over every fixture at several chunk sizes.

use std::ffi::{c_void, CStr};
use std::ops::ControlFlow;
use std::ptr;

use pullstream::error::ErrorClass;
use pullstream::event::FailureKind;
use pullstream::http::HttpErrorClass;
use pullstream::outcome::{Operation, Verdict};
use pullstream::pipeline::{Item, Pipeline};
use pullstream::tracker::{Limit, Phase, StallKind};
use pullstream_capi::enums::CallStatus;
use pullstream_capi::*;

/// What a test callback saw of one event (copied out during the callback).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    kind: u32,
    offset: u64,
    record: Vec<u8>,
    status: Option<String>,
    layer_id: Option<String>,
    detail: Option<String>,
    progress: (i64, i64),
    error_status: u32,
    error_message: Option<String>,
}

fn bytes(value: pullstream_bytes) -> Option<Vec<u8>> {
    if value.ptr.is_null() {
        return None;
    }
    // SAFETY: the library lends `len` readable bytes at `ptr` for the duration of the callback.
    Some(unsafe { std::slice::from_raw_parts(value.ptr, value.len) }.to_vec())
}

fn text(value: pullstream_bytes) -> Option<String> {
    bytes(value).map(|b| String::from_utf8(b).expect("text fields are UTF-8"))
}

struct Collector {
    events: Vec<Seen>,
    /// Pause after this many events (then keep pausing after each one).
    pause_every: Option<usize>,
}

unsafe extern "C" fn collect(userdata: *mut c_void, event: *const pullstream_event) -> i32 {
    // SAFETY: every test passes a `&mut Collector` as userdata; `event` is valid during the call.
    let (collector, event) = unsafe { (&mut *userdata.cast::<Collector>(), &*event) };
    collector.events.push(Seen {
        kind: event.kind,
        offset: event.offset,
        record: bytes(event.record).unwrap_or_default(),
        status: text(event.status),
        layer_id: text(event.layer_id),
        detail: text(event.detail),
        progress: (event.progress_current, event.progress_total),
        error_status: event.error_status,
        error_message: text(event.error_message),
    });
    match collector.pause_every {
        Some(n) if collector.events.len() % n == 0 => 1,
        _ => 0,
    }
}

/// A live decoder, freed on drop.
struct Handle(*mut pullstream_decoder);

impl Handle {
    fn new(config: *const pullstream_config) -> Handle {
        let mut decoder = ptr::null_mut();
        // SAFETY: `config` is NULL or live; `decoder` is writable.
        let status = unsafe { pullstream_decoder_new(config, &mut decoder) };
        assert_eq!(status, CallStatus::Ok.code());
        assert!(!decoder.is_null());
        Handle(decoder)
    }

    fn feed(&self, data: &[u8], collector: &mut Collector) -> pullstream_status {
        // SAFETY: live handle, readable data, and `collect` expects a `Collector`.
        unsafe {
            pullstream_decoder_feed(
                self.0,
                data.as_ptr(),
                data.len(),
                0,
                Some(collect),
                ptr::from_mut(collector).cast(),
            )
        }
    }

    fn finish(&self, collector: &mut Collector) -> pullstream_status {
        // SAFETY: as in `feed`.
        unsafe {
            pullstream_decoder_finish(self.0, 0, Some(collect), ptr::from_mut(collector).cast())
        }
    }

    fn summary_json(&self) -> String {
        let mut len = 0;
        // SAFETY: live handle; a size query with a NULL buffer and cap 0.
        let status =
            unsafe { pullstream_decoder_summary_json(self.0, ptr::null_mut(), 0, &mut len) };
        assert_eq!(status, CallStatus::BufferTooSmall.code());
        let mut buf = vec![0u8; len + 1];
        // SAFETY: `buf` holds `len + 1` writable bytes.
        let status = unsafe {
            pullstream_decoder_summary_json(self.0, buf.as_mut_ptr().cast(), buf.len(), &mut len)
        };
        assert_eq!(status, CallStatus::Ok.code());
        assert_eq!(buf[len], 0, "NUL-terminated");
        buf.truncate(len);
        String::from_utf8(buf).unwrap()
    }

    fn exit_code(&self) -> i32 {
        let mut code = -1;
        // SAFETY: live handle, writable out-parameter.
        assert_eq!(
            unsafe { pullstream_decoder_exit_code(self.0, &mut code) },
            CallStatus::Ok.code()
        );
        code
    }

    fn last_error(&self) -> (pullstream_status, u64, String) {
        let mut buf = [0u8; 512];
        let (mut len, mut offset, mut status) = (0, 0, CallStatus::Ok.code());
        // SAFETY: live handle, writable buffers.
        let result = unsafe {
            pullstream_decoder_last_error(
                self.0,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut len,
                &mut offset,
                &mut status,
            )
        };
        assert_eq!(result, CallStatus::Ok.code());
        (
            status,
            offset,
            String::from_utf8(buf[..len].to_vec()).unwrap(),
        )
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from `pullstream_decoder_new` and is freed once.
        unsafe { pullstream_decoder_free(self.0) };
    }
}

fn collector() -> Collector {
    Collector {
        events: Vec::new(),
        pause_every: None,
    }
}

/// Feeds `stream` through the C API in chunks of `chunk` bytes, resuming after every pause.
fn run_c(stream: &[u8], chunk: usize, pause_every: Option<usize>) -> (Vec<Seen>, String, i32) {
    let handle = Handle::new(ptr::null());
    let mut seen = Collector {
        events: Vec::new(),
        pause_every,
    };
    for piece in stream.chunks(chunk.max(1)) {
        let mut status = handle.feed(piece, &mut seen);
        while status == CallStatus::Paused.code() {
            status = handle.feed(&[], &mut seen);
        }
        assert_eq!(status, CallStatus::Ok.code());
    }
    let mut status = handle.finish(&mut seen);
    while status == CallStatus::Paused.code() {
        status = handle.finish(&mut seen);
    }
    assert_eq!(status, CallStatus::Ok.code());
    (seen.events, handle.summary_json(), handle.exit_code())
}

/// The same through the Rust `Pipeline`: event kind names, summary line, exit code.
fn run_rust(stream: &[u8], chunk: usize) -> (Vec<String>, String, i32) {
    let mut pipeline = Pipeline::new();
    let mut kinds = Vec::new();
    let mut on_item = |item: Item<'_, '_>| {
        kinds.push(match item {
            Item::Event { event, .. } => event.kind_name().to_owned(),
            Item::Malformed(_) => "malformed".to_owned(),
            Item::TrackerLimit(_) => "tracker_limit".to_owned(),
        });
        ControlFlow::Continue(())
    };
    for piece in stream.chunks(chunk.max(1)) {
        let _ = pipeline.feed(piece, 0, &mut on_item);
    }
    let _ = pipeline.finish(0, &mut on_item);
    let summary = pipeline.summary();
    (kinds, summary.to_json(), summary.exit_code())
}

fn kind_name(kind: u32) -> String {
    // SAFETY: the library returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(pullstream_event_kind_name(kind)) }
        .to_str()
        .unwrap()
        .to_owned()
}

fn status_name(status: u32) -> String {
    // SAFETY: the library returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(pullstream_status_name(status)) }
        .to_str()
        .unwrap()
        .to_owned()
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "stream"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 10, "fixtures missing");
    out
}

#[test]
fn every_fixture_gives_the_rust_summary_byte_for_byte_at_several_chunk_sizes() {
    for (name, stream) in fixtures() {
        for chunk in [1, 2, 3, 7, 64, 4096, stream.len().max(1)] {
            let (events, json, code) = run_c(&stream, chunk, None);
            let (kinds, rust_json, rust_code) = run_rust(&stream, chunk);
            assert_eq!(json, rust_json, "{name} at chunk size {chunk}");
            assert_eq!(code, rust_code, "{name} at chunk size {chunk}");
            let c_kinds: Vec<String> = events.iter().map(|e| kind_name(e.kind)).collect();
            assert_eq!(c_kinds, kinds, "{name} at chunk size {chunk}: event kinds");
        }
    }
}

#[test]
fn pausing_after_every_event_loses_nothing() {
    for (name, stream) in fixtures() {
        let (all, json, _) = run_c(&stream, 4096, None);
        for pause_every in [1, 2, 5] {
            for chunk in [1, 13, 4096] {
                let (paused, paused_json, _) = run_c(&stream, chunk, Some(pause_every));
                assert_eq!(
                    paused, all,
                    "{name}: pause every {pause_every}, chunk {chunk}"
                );
                assert_eq!(paused_json, json, "{name}");
            }
        }
    }
}

#[test]
fn a_pause_returns_paused_and_an_empty_feed_resumes() {
    let stream = b"{\"status\":\"a\"}\r\n{\"status\":\"b\"}\r\n{\"status\":\"c\"}\r\n";
    let handle = Handle::new(ptr::null());
    let mut seen = Collector {
        events: Vec::new(),
        pause_every: Some(1),
    };
    assert_eq!(handle.feed(stream, &mut seen), CallStatus::Paused.code());
    assert_eq!(seen.events.len(), 1);
    assert_eq!(handle.feed(&[], &mut seen), CallStatus::Paused.code());
    assert_eq!(handle.feed(&[], &mut seen), CallStatus::Paused.code());
    seen.pause_every = None;
    assert_eq!(handle.feed(&[], &mut seen), CallStatus::Ok.code());
    let statuses: Vec<_> = seen
        .events
        .iter()
        .map(|e| e.status.clone().unwrap())
        .collect();
    assert_eq!(statuses, ["a", "b", "c"]);
    assert_eq!(seen.events[1].offset, 16);
}

#[test]
fn null_arguments_return_a_status() {
    #[allow(non_upper_case_globals)]
    const NullArgument: u32 = CallStatus::NullArgument.code();
    let null = ptr::null_mut::<pullstream_decoder>();
    let mut len = 0;
    let mut code = 0;
    // SAFETY: every pointer is NULL or valid; NULLs must be rejected, never dereferenced.
    unsafe {
        assert_eq!(
            pullstream_decoder_new(ptr::null(), ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_feed(null, b"{}".as_ptr(), 2, 0, None, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_finish(null, 0, None, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_summary_json(null, ptr::null_mut(), 0, &mut len),
            NullArgument
        );
        assert_eq!(pullstream_decoder_exit_code(null, &mut code), NullArgument);
        assert_eq!(
            pullstream_decoder_outcome(null, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_snapshot(null, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_layer(null, 0, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_poll_stalls(null, 0, None, ptr::null_mut(), ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_last_error(
                null,
                ptr::null_mut(),
                0,
                &mut len,
                ptr::null_mut(),
                ptr::null_mut()
            ),
            NullArgument
        );
        pullstream_decoder_free(null);
        assert_eq!(pullstream_config_new(ptr::null_mut()), NullArgument);
        assert_eq!(
            pullstream_config_set_max_record_len(ptr::null_mut(), 10),
            NullArgument
        );
        assert_eq!(
            pullstream_config_set_max_depth(ptr::null_mut(), 10),
            NullArgument
        );
        assert_eq!(
            pullstream_config_set_stop_at_first_error(ptr::null_mut(), 1),
            NullArgument
        );
        assert_eq!(
            pullstream_config_set_max_layers(ptr::null_mut(), 1),
            NullArgument
        );
        assert_eq!(
            pullstream_config_set_stall_after_ms(ptr::null_mut(), 1, 1),
            NullArgument
        );
        assert_eq!(
            pullstream_config_set_min_bytes_per_sec(ptr::null_mut(), 1),
            NullArgument
        );
        assert_eq!(
            pullstream_config_set_rate_window_ms(ptr::null_mut(), 1),
            NullArgument
        );
        pullstream_config_free(ptr::null_mut());

        let handle = Handle::new(ptr::null());
        let mut seen = collector();
        // NULL data with a length is refused; NULL data with length 0 is an empty chunk.
        assert_eq!(
            pullstream_decoder_feed(handle.0, ptr::null(), 5, 0, None, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_feed(handle.0, ptr::null(), 0, 0, None, ptr::null_mut()),
            CallStatus::Ok.code()
        );
        assert_eq!(
            handle.feed(b"{\"status\":\"x\"}\n", &mut seen),
            CallStatus::Ok.code()
        );
        assert_eq!(
            pullstream_decoder_summary_json(handle.0, ptr::null_mut(), 0, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_summary_json(handle.0, ptr::null_mut(), 10, &mut len),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_exit_code(handle.0, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_outcome(handle.0, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_snapshot(handle.0, ptr::null_mut()),
            NullArgument
        );
        assert_eq!(
            pullstream_decoder_layer(handle.0, 0, ptr::null_mut()),
            NullArgument
        );
        // NULL callbacks and NULL optional out-parameters are fine.
        assert_eq!(
            pullstream_decoder_poll_stalls(handle.0, 0, None, ptr::null_mut(), ptr::null_mut()),
            CallStatus::Ok.code()
        );
        assert_eq!(seen.events.len(), 1);
    }
}

#[test]
fn bad_enumeration_values_are_refused() {
    let mut config = ptr::null_mut();
    // SAFETY: `config` is writable, then live until freed.
    unsafe {
        assert_eq!(pullstream_config_new(&mut config), CallStatus::Ok.code());
        for phase in [0, 3, 99, u32::MAX] {
            assert_eq!(
                pullstream_config_set_stall_after_ms(config, phase, 5),
                CallStatus::InvalidArgument.code()
            );
        }
        assert_eq!(
            pullstream_config_set_stall_after_ms(config, 1, 5),
            CallStatus::Ok.code()
        );
        assert_eq!(
            pullstream_config_set_stall_after_ms(config, 2, 5),
            CallStatus::Ok.code()
        );
        pullstream_config_free(config);
    }
    assert_eq!(status_name(12_345), "PULLSTREAM_STATUS_UNKNOWN");
    assert_eq!(status_name(u32::MAX), "PULLSTREAM_STATUS_UNKNOWN");
    assert_eq!(kind_name(9_999), "unknown");
    // SAFETY: static strings.
    let failure = |k| {
        unsafe { CStr::from_ptr(pullstream_failure_kind_name(k)) }
            .to_str()
            .unwrap()
    };
    assert_eq!(failure(1), "rate_limited");
    assert_eq!(failure(9), "other");
    assert_eq!(failure(10), "unknown");

    let handle = Handle::new(ptr::null());
    let mut layer = std::mem::MaybeUninit::<pullstream_layer>::uninit();
    // SAFETY: live handle, writable out-parameter.
    let status = unsafe { pullstream_decoder_layer(handle.0, 0, layer.as_mut_ptr()) };
    assert_eq!(status, CallStatus::InvalidArgument.code());
}

#[test]
fn status_names_are_the_enumerator_names() {
    // The ABI, pinned by value: these numbers and names never change.
    for (status, name) in [
        (0, "PULLSTREAM_STATUS_OK"),
        (1, "PULLSTREAM_STATUS_NULL_ARGUMENT"),
        (2, "PULLSTREAM_STATUS_INVALID_ARGUMENT"),
        (3, "PULLSTREAM_STATUS_INVALID_STATE"),
        (4, "PULLSTREAM_STATUS_PANIC"),
        (5, "PULLSTREAM_STATUS_BUFFER_TOO_SMALL"),
        (6, "PULLSTREAM_STATUS_PAUSED"),
        (7, "PULLSTREAM_STATUS_STOPPED"),
        (100, "PULLSTREAM_STATUS_NOT_JSON"),
        (102, "PULLSTREAM_STATUS_RECORD_TOO_LARGE"),
        (107, "PULLSTREAM_STATUS_TRUNCATED"),
        (150, "PULLSTREAM_STATUS_LAYER_LIMIT"),
        (151, "PULLSTREAM_STATUS_SEGMENT_LIMIT"),
        (152, "PULLSTREAM_STATUS_ID_LENGTH_LIMIT"),
        (153, "PULLSTREAM_STATUS_TEXT_LENGTH_LIMIT"),
        (154, "PULLSTREAM_STATUS_ERROR_LENGTH_LIMIT"),
    ] {
        assert_eq!(status_name(status), name);
    }
    // The header spells the same names.
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../include/pullstream.h"
    ))
    .unwrap();
    for value in 0..300 {
        let name = status_name(value);
        if name != "PULLSTREAM_STATUS_UNKNOWN" {
            assert!(
                header.contains(&format!("{name} = {value},")),
                "{name} = {value}"
            );
        }
    }
}

#[test]
fn a_panic_is_caught_and_the_handle_refuses_further_work() {
    let handle = Handle::new(ptr::null());
    let mut seen = collector();
    assert_eq!(
        handle.feed(b"{\"status\":\"x\"}\n", &mut seen),
        CallStatus::Ok.code()
    );
    // SAFETY: live handle.
    let status = unsafe { pullstream_capi::testing::panic_inside(handle.0) };
    assert_eq!(status, CallStatus::Panic.code());
    assert_eq!(
        handle.feed(b"{}", &mut seen),
        CallStatus::InvalidState.code()
    );
    assert_eq!(handle.finish(&mut seen), CallStatus::InvalidState.code());
    let mut len = 0;
    // SAFETY: live handle.
    let json = unsafe { pullstream_decoder_summary_json(handle.0, ptr::null_mut(), 0, &mut len) };
    assert_eq!(json, CallStatus::InvalidState.code());
    let (status, _, message) = handle.last_error();
    assert_eq!(status, CallStatus::Panic.code());
    assert!(message.contains("deliberate panic"), "{message}");
    // Freed by Drop: freeing a panicked handle is fine.
}

#[test]
fn summary_buffer_rules() {
    let handle = Handle::new(ptr::null());
    let json = handle.summary_json();
    let mut buf = vec![0x55u8; json.len()];
    let mut len = 0;
    // SAFETY: `buf` holds `json.len()` writable bytes: one too few for the NUL.
    let status = unsafe {
        pullstream_decoder_summary_json(handle.0, buf.as_mut_ptr().cast(), buf.len(), &mut len)
    };
    assert_eq!(status, CallStatus::BufferTooSmall.code());
    assert_eq!(len, json.len());
    assert!(
        buf.iter().all(|&b| b == 0x55),
        "nothing written on BUFFER_TOO_SMALL"
    );
}

#[test]
fn finish_is_idempotent_and_feeding_after_it_is_refused() {
    let handle = Handle::new(ptr::null());
    let mut seen = collector();
    assert_eq!(
        handle.feed(b"{\"status\":\"Pulling fs layer\",\"id\":\"ab", &mut seen),
        CallStatus::Ok.code()
    );
    assert_eq!(handle.finish(&mut seen), CallStatus::Ok.code());
    assert_eq!(seen.events.len(), 1);
    assert_eq!(kind_name(seen.events[0].kind), "malformed");
    assert_eq!(seen.events[0].error_status, ErrorClass::Truncated.code());
    assert_eq!(handle.finish(&mut seen), CallStatus::Ok.code());
    assert_eq!(seen.events.len(), 1);
    assert_eq!(
        handle.feed(b"{}", &mut seen),
        CallStatus::InvalidState.code()
    );
    assert!(handle
        .summary_json()
        .contains("\"incomplete_reason\":\"cut_mid_record\""));
    assert_eq!(handle.exit_code(), 2);
    let (status, offset, message) = handle.last_error();
    assert_eq!((status, offset), (ErrorClass::Truncated.code(), 0));
    assert!(
        message.starts_with("byte 0: stream ended inside a record"),
        "{message}"
    );
}

#[test]
fn config_limits_reach_the_decoder() {
    let mut config = ptr::null_mut();
    // SAFETY: `config` is writable, then live until freed (the decoder copies it).
    let handle = unsafe {
        assert_eq!(pullstream_config_new(&mut config), CallStatus::Ok.code());
        assert_eq!(
            pullstream_config_set_max_record_len(config, 128),
            CallStatus::Ok.code()
        );
        assert_eq!(
            pullstream_config_set_max_layers(config, 1),
            CallStatus::Ok.code()
        );
        let handle = Handle::new(config);
        pullstream_config_free(config);
        handle
    };
    let big = format!("{{\"status\":\"{}\"}}\r\n", "x".repeat(200));
    let layers = b"{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"aaaaaaaaaaaa\"}\r\n\
                   {\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"bbbbbbbbbbbb\"}\r\n";
    let mut seen = collector();
    assert_eq!(
        handle.feed(big.as_bytes(), &mut seen),
        CallStatus::Ok.code()
    );
    assert_eq!(handle.feed(layers, &mut seen), CallStatus::Ok.code());
    let kinds: Vec<String> = seen.events.iter().map(|e| kind_name(e.kind)).collect();
    assert_eq!(
        kinds,
        [
            "malformed",
            "pulling_fs_layer",
            "pulling_fs_layer",
            "tracker_limit"
        ]
    );
    assert_eq!(
        seen.events[0].error_status,
        ErrorClass::RecordTooLarge.code()
    );
    assert_eq!(seen.events[3].error_status, Limit::Layers.code());
    assert_eq!(seen.events[3].offset, seen.events[2].offset);
    assert_eq!(handle.last_error().0, Limit::Layers.code());

    let mut config = ptr::null_mut();
    // SAFETY: as above.
    let handle = unsafe {
        assert_eq!(pullstream_config_new(&mut config), CallStatus::Ok.code());
        assert_eq!(
            pullstream_config_set_stop_at_first_error(config, 1),
            CallStatus::Ok.code()
        );
        let handle = Handle::new(config);
        pullstream_config_free(config);
        handle
    };
    let mut seen = collector();
    assert_eq!(
        handle.feed(b"<html>\n{\"status\":\"x\"}\n", &mut seen),
        CallStatus::Stopped.code()
    );
    assert_eq!(
        handle.feed(b"{\"status\":\"y\"}\n", &mut seen),
        CallStatus::Stopped.code()
    );
    assert_eq!(seen.events.len(), 1);
    assert_eq!(seen.events[0].error_status, ErrorClass::NotJson.code());
}

#[test]
fn event_fields_are_decoded() {
    let stream = concat!(
        r#"{"status":"Pulling from library/alpine","id":"3.20"}"#,
        "\r\n",
        r#"{"status":"Downloading","progressDetail":{"current":5,"total":-1},"id":"0123456789ab"}"#,
        "\r\n",
        r#"{"status":"Downloading","progressDetail":{"current":7,"total":10},"id":"0123456789ab"}"#,
        "\r\n",
        r#"{"errorDetail":{"message":"a \u003cb\u003e \"c\""},"error":"a \u003cb\u003e \"c\""}"#,
        "\r\n",
    );
    let handle = Handle::new(ptr::null());
    let mut seen = collector();
    assert_eq!(
        handle.feed(stream.as_bytes(), &mut seen),
        CallStatus::Ok.code()
    );
    let e = &seen.events;
    assert_eq!(kind_name(e[0].kind), "pulling_from");
    assert_eq!(e[0].detail.as_deref(), Some("library/alpine"));
    assert_eq!(e[0].layer_id, None);
    assert_eq!(e[0].progress, (-1, -1));
    assert_eq!(e[1].layer_id.as_deref(), Some("0123456789ab"));
    assert_eq!(e[1].progress, (5, -1));
    assert_eq!(e[2].progress, (7, 10));
    assert_eq!(e[2].record, stream.split("\r\n").nth(2).unwrap().as_bytes());
    assert_eq!(kind_name(e[3].kind), "error");
    assert_eq!(e[3].error_message.as_deref(), Some("a <b> \"c\""));
    assert_eq!(e[3].status, None);

    let mut outcome = std::mem::MaybeUninit::<pullstream_outcome>::uninit();
    // SAFETY: live handle; writable out-parameter, read only after OK.
    let outcome = unsafe {
        assert_eq!(
            pullstream_decoder_outcome(handle.0, outcome.as_mut_ptr()),
            CallStatus::Ok.code()
        );
        outcome.assume_init()
    };
    assert_eq!(outcome.verdict, Verdict::Failed.code());
    assert_eq!(outcome.operation, Operation::Pull.code());
    assert_eq!(outcome.failure_kind, FailureKind::Other.code());
    assert_eq!(outcome.exit_code, 1);
    assert_eq!(text(outcome.error_message).as_deref(), Some("a <b> \"c\""));
    assert_eq!(outcome.records, 4);

    let mut snapshot = std::mem::MaybeUninit::<pullstream_snapshot>::uninit();
    let mut layer = std::mem::MaybeUninit::<pullstream_layer>::uninit();
    // SAFETY: as above.
    let (snapshot, layer) = unsafe {
        assert_eq!(
            pullstream_decoder_snapshot(handle.0, snapshot.as_mut_ptr()),
            CallStatus::Ok.code()
        );
        assert_eq!(
            pullstream_decoder_layer(handle.0, 0, layer.as_mut_ptr()),
            CallStatus::Ok.code()
        );
        (snapshot.assume_init(), layer.assume_init())
    };
    assert_eq!(snapshot.layer_count, 1);
    assert_eq!(snapshot.records, 4);
    assert_eq!(snapshot.position, stream.len() as u64);
    assert_eq!(text(layer.id).as_deref(), Some("0123456789ab"));
    assert_eq!(layer.phase, Phase::Transferring.code());
    assert_eq!((layer.transfer_current, layer.transfer_total), (7, 10));
}

#[test]
fn stalls_are_polled_with_the_callers_clock() {
    unsafe extern "C" fn on_stall(userdata: *mut c_void, stall: *const pullstream_stall) {
        // SAFETY: the test passes a `Vec<(String, u64)>`; `stall` is valid during the call.
        let (out, stall) = unsafe { (&mut *userdata.cast::<Vec<(String, u64)>>(), &*stall) };
        assert_eq!(stall.reason, StallKind::NoProgress.code());
        out.push((text(stall.layer_id).unwrap(), stall.idle_ms));
    }
    let handle = Handle::new(ptr::null());
    let record = br#"{"status":"Downloading","progressDetail":{"current":5,"total":10},"id":"0123456789ab"}"#;
    // SAFETY: live handle, readable data.
    let status = unsafe {
        pullstream_decoder_feed(
            handle.0,
            record.as_ptr(),
            record.len(),
            1_000,
            None,
            ptr::null_mut(),
        )
    };
    assert_eq!(status, CallStatus::Ok.code());
    let mut stalls: Vec<(String, u64)> = Vec::new();
    let mut count = 99;
    for now in [20_000, 31_000, 40_000] {
        // SAFETY: live handle; `on_stall` expects the Vec passed as userdata.
        let status = unsafe {
            pullstream_decoder_poll_stalls(
                handle.0,
                now,
                Some(on_stall),
                ptr::from_mut(&mut stalls).cast(),
                &mut count,
            )
        };
        assert_eq!(status, CallStatus::Ok.code());
    }
    assert_eq!(count, 0, "reported once");
    assert_eq!(stalls, [("0123456789ab".to_owned(), 30_000)]);
}

#[test]
fn version_is_the_crate_version() {
    // SAFETY: static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(pullstream_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

/// Measures the C path (a callback per event) against the Rust `Pipeline` on the same large
/// synthetic stream: `cargo test --release --test c_abi -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_c_path_against_the_rust_pipeline() {
    use pullstream::synth::{Generator, StreamSize};
    use std::time::Instant;
    let stream = Generator::new(1).size(StreamSize::Large).generate();
    let mb = stream.len() as f64 / (1024.0 * 1024.0);
    let best = |run: &mut dyn FnMut() -> usize| {
        (0..3)
            .map(|_| {
                let start = Instant::now();
                let events = run();
                (start.elapsed().as_secs_f64(), events)
            })
            .fold((f64::MAX, 0), |a, b| if b.0 < a.0 { b } else { a })
    };
    let (rust_secs, rust_events) = best(&mut || {
        let mut pipeline = Pipeline::new();
        let mut events = 0usize;
        for chunk in stream.chunks(64 * 1024) {
            let _ = pipeline.feed(chunk, 0, |_| {
                events += 1;
                ControlFlow::Continue(())
            });
        }
        let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
        std::hint::black_box(pipeline.summary());
        events
    });
    unsafe extern "C" fn count(userdata: *mut c_void, event: *const pullstream_event) -> i32 {
        // SAFETY: userdata is a `usize` counter; `event` is valid during the call.
        unsafe {
            *userdata.cast::<usize>() += 1;
            std::hint::black_box((*event).layer_id.len);
        }
        0
    }
    let (c_secs, c_events) = best(&mut || {
        let handle = Handle::new(ptr::null());
        let mut events = 0usize;
        for chunk in stream.chunks(64 * 1024) {
            // SAFETY: live handle, readable chunk, `count` expects a usize.
            let status = unsafe {
                pullstream_decoder_feed(
                    handle.0,
                    chunk.as_ptr(),
                    chunk.len(),
                    0,
                    Some(count),
                    ptr::from_mut(&mut events).cast(),
                )
            };
            assert_eq!(status, CallStatus::Ok.code());
        }
        // SAFETY: live handle.
        unsafe { pullstream_decoder_finish(handle.0, 0, None, ptr::null_mut()) };
        std::hint::black_box(handle.summary_json());
        events
    });
    assert_eq!(rust_events, c_events);
    println!(
        "stream {mb:.1} MiB, {rust_events} events: Rust Pipeline {:.0} MB/s, C ABI {:.0} MB/s, C/Rust time ratio {:.2}",
        mb / rust_secs,
        mb / c_secs,
        c_secs / rust_secs
    );
}

#[test]
fn handles_may_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<pullstream_decoder>();
    assert_send::<pullstream_config>();
    let handle = Handle::new(ptr::null());
    let address = handle.0 as usize;
    std::mem::forget(handle);
    let json = std::thread::spawn(move || {
        let handle = Handle(address as *mut pullstream_decoder);
        handle.summary_json()
    })
    .join()
    .unwrap();
    assert!(json.starts_with("{\"outcome\":\"incomplete\""));
}

#[test]
fn without_a_callback_errors_and_the_verdict_are_still_kept() {
    let stream = b"<html>\r\n{\"status\":\"Pulling from library/x\",\"id\":\"latest\"}\r\n{\"status\":\"Digest: sha256:aa\"}\r\n{\"status\":\"Status: Downloaded newer image for x:latest\"}\r\n";
    let with_callback = Handle::new(ptr::null());
    let mut seen = collector();
    assert_eq!(with_callback.feed(stream, &mut seen), CallStatus::Ok.code());
    assert_eq!(with_callback.finish(&mut seen), CallStatus::Ok.code());

    let without = Handle::new(ptr::null());
    // SAFETY: live handle, readable data; no callback, so userdata is never used.
    let status = unsafe {
        pullstream_decoder_feed(
            without.0,
            stream.as_ptr(),
            stream.len(),
            0,
            None,
            ptr::null_mut(),
        )
    };
    assert_eq!(status, CallStatus::Ok.code());
    // SAFETY: live handle.
    let status = unsafe { pullstream_decoder_finish(without.0, 0, None, ptr::null_mut()) };
    assert_eq!(status, CallStatus::Ok.code());

    assert_eq!(without.summary_json(), with_callback.summary_json());
    assert_eq!(without.exit_code(), with_callback.exit_code());
    let (status, offset, message) = without.last_error();
    assert_eq!(
        (status, offset),
        (ErrorClass::NotJson.code(), 0),
        "{message}"
    );
    assert_eq!(without.last_error(), with_callback.last_error());
}

/// The last decode error keeps its text while later events come and go: a daemon error with
/// escapes (whose message is decoded into a buffer of its own) and more records do not change
/// what `pullstream_decoder_last_error` reports, and a later decode error replaces it.
#[test]
fn the_last_error_text_survives_later_events() {
    let handle = Handle::new(ptr::null());
    let mut seen = collector();
    let first = b"<html>\r\n{\"error\":\"a \\u003cb\\u003e\",\"errorDetail\":{\"message\":\"a \\u003cb\\u003e\"}}\r\n{\"status\":\"Waiting\",\"id\":\"aa\"}\r\n";
    assert_eq!(handle.feed(first, &mut seen), CallStatus::Ok.code());
    let malformed = seen
        .events
        .iter()
        .find(|e| e.error_status == ErrorClass::NotJson.code())
        .and_then(|e| e.error_message.clone())
        .expect("a malformed event with a message");
    let daemon = seen
        .events
        .iter()
        .find_map(|e| e.error_message.clone().filter(|m| m.as_str() == "a <b>"));
    assert_eq!(daemon.as_deref(), Some("a <b>"));
    assert_eq!(
        handle.last_error(),
        (ErrorClass::NotJson.code(), 0, malformed.clone())
    );
    assert!(malformed.starts_with("byte 0:"), "{malformed}");

    let second = b"{\"status\":\"Waiting\",\"id\":\"bb\"}\r\n}\r\n";
    assert_eq!(handle.feed(second, &mut seen), CallStatus::Ok.code());
    let (status, offset, text) = handle.last_error();
    assert_eq!(status, ErrorClass::NotJson.code());
    assert_eq!(offset, (first.len() + 32) as u64);
    assert_ne!(text, malformed);
    assert!(text.starts_with(&format!("byte {offset}:")), "{text}");
}

/// `pullstream_config_set_limit` takes a tracker limit by its status; each limit reached is
/// announced by one `TRACKER_LIMIT` event whose `error_status` is that same status.
#[test]
fn tracker_limits_are_set_and_announced_by_their_statuses() {
    // SAFETY: NULL configs are refused before anything is read.
    unsafe {
        assert_eq!(
            pullstream_config_set_limit(ptr::null_mut(), Limit::Segments.code(), 1),
            CallStatus::NullArgument.code()
        );
    }
    let mut config = ptr::null_mut();
    // SAFETY: `config` is writable, then live until freed (the decoder copies it).
    let handle = unsafe {
        assert_eq!(pullstream_config_new(&mut config), CallStatus::Ok.code());
        for not_a_limit in [
            CallStatus::Ok.code(),
            ErrorClass::Truncated.code(),
            155,
            u32::MAX,
        ] {
            assert_eq!(
                pullstream_config_set_limit(config, not_a_limit, 1),
                CallStatus::InvalidArgument.code()
            );
        }
        assert_eq!(
            pullstream_config_set_limit(config, Limit::Segments.code(), 1),
            CallStatus::Ok.code()
        );
        assert_eq!(
            pullstream_config_set_limit(config, Limit::TextLength.code(), 16),
            CallStatus::Ok.code()
        );
        let handle = Handle::new(config);
        pullstream_config_free(config);
        handle
    };
    let stream = format!(
        "{}\n{}\n{}\n",
        r#"{"status":"Pulling from library/a","id":"latest"}"#,
        r#"{"status":"Pulling from library/b","id":"latest"}"#,
        r#"{"status":"Pulling from library/cccccccccccccccccccc","id":"latest"}"#,
    );
    let mut seen = collector();
    assert_eq!(
        handle.feed(stream.as_bytes(), &mut seen),
        CallStatus::Ok.code()
    );
    let notices: Vec<(String, u64)> = seen
        .events
        .iter()
        .filter(|e| kind_name(e.kind) == "tracker_limit")
        .map(|e| (status_name(e.error_status), e.offset))
        .collect();
    let second = seen.events[1].offset;
    let third = seen.events[3].offset;
    assert_eq!(
        notices,
        [
            ("PULLSTREAM_STATUS_SEGMENT_LIMIT".to_string(), second),
            ("PULLSTREAM_STATUS_TEXT_LENGTH_LIMIT".to_string(), third),
        ]
    );
    assert_eq!(handle.last_error().0, Limit::TextLength.code());
}

/// Body callback for `pullstream_http_feed`: feeds the decoder passed as userdata.
unsafe extern "C" fn body_to_decoder(userdata: *mut c_void, body: pullstream_bytes) {
    let decoder = userdata.cast::<pullstream_decoder>();
    // SAFETY: `userdata` is a live decoder; `body` is valid during the call.
    let status =
        unsafe { pullstream_decoder_feed(decoder, body.ptr, body.len, 0, None, ptr::null_mut()) };
    assert_eq!(status, CallStatus::Ok.code());
}

#[test]
fn a_cut_body_told_through_http_finish_into_gives_the_rust_summary() {
    use pullstream::http::ResponseDecoder;
    // After every chunk: nothing (the `0` chunk never came), or a mangled line where it is
    // due. Either way the body ends short of its end: the C call, the Rust calls and the
    // command-line tool all call it a truncated body.
    for (ending, feed_status) in [
        (&b""[..], CallStatus::Ok.code()),
        (&b"zz\r\n\r\n"[..], HttpErrorClass::BadChunk.code()),
    ] {
        for (name, body) in fixtures() {
            let name = format!("{name} ending {:?}", String::from_utf8_lossy(ending));
            let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for piece in body.chunks(50) {
                wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                wire.extend_from_slice(piece);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(ending);
            // The Rust way.
            let mut http = ResponseDecoder::new();
            let mut model = Pipeline::new();
            let _ = http.feed_all(&wire, |piece| {
                let _ = model.feed(piece, 0, |_| ControlFlow::Continue(()));
            });
            let _ = http.finish();
            // A mangled line before any body byte is a broken response, not a cut stream.
            let truncated = ending.is_empty() || !body.is_empty();
            assert_eq!(http.is_body_truncated(), truncated, "{name}");
            if http.is_success() && http.is_body_truncated() {
                model.note_truncated_body();
            }
            let _ = model.finish(0, |_| ControlFlow::Continue(()));
            // The C way.
            let decoder = Handle::new(ptr::null());
            let mut c_http = ptr::null_mut();
            // SAFETY: valid pointers; the callback gets the live decoder.
            unsafe {
                assert_eq!(pullstream_http_new(&mut c_http), CallStatus::Ok.code());
                let status = pullstream_http_feed(
                    c_http,
                    wire.as_ptr(),
                    wire.len(),
                    Some(body_to_decoder),
                    decoder.0.cast(),
                );
                assert_eq!(status, feed_status, "{name}");
                let status = pullstream_http_finish_into(c_http, decoder.0);
                let want = if truncated {
                    HttpErrorClass::Truncated.code()
                } else {
                    feed_status
                };
                assert_eq!(status, want, "{name}");
                pullstream_http_free(c_http);
            }
            assert_eq!(decoder.finish(&mut collector()), CallStatus::Ok.code());
            let summary = model.summary();
            assert_eq!(decoder.summary_json(), summary.to_json(), "{name}");
            assert_eq!(decoder.exit_code(), summary.exit_code(), "{name}");
            if summary.outcome != Verdict::Failed && summary.records > 0 {
                assert_eq!(
                    summary.incomplete_reason.map(|reason| reason.name()),
                    Some("truncated_body"),
                    "{name}"
                );
                assert_eq!(decoder.exit_code(), 2, "{name}");
            }
        }
    }
}

#[test]
fn truncated_body_calls_on_a_panicked_handle_are_refused() {
    let handle = Handle::new(ptr::null());
    let mut c_http = ptr::null_mut();
    // SAFETY: live handles; the decoder is made to panic on purpose.
    unsafe {
        assert_eq!(pullstream_http_new(&mut c_http), CallStatus::Ok.code());
        assert_eq!(
            pullstream_decoder_set_truncated_body(handle.0),
            CallStatus::Ok.code()
        );
        assert_eq!(
            pullstream_capi::testing::panic_inside(handle.0),
            CallStatus::Panic.code()
        );
        assert_eq!(
            pullstream_decoder_set_truncated_body(handle.0),
            CallStatus::InvalidState.code()
        );
        assert_eq!(
            pullstream_http_finish_into(c_http, handle.0),
            CallStatus::InvalidState.code()
        );
        // The response handle was left alone: it still finishes (an empty input: no head).
        assert_eq!(
            pullstream_http_finish(c_http),
            HttpErrorClass::Truncated.code()
        );
        assert_eq!(
            pullstream_http_finish_into(ptr::null_mut(), handle.0),
            CallStatus::NullArgument.code()
        );
        pullstream_http_free(c_http);
    }
}
