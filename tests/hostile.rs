//! Hostile input: what a broken proxy, a corrupt capture or an attacker on the socket can send.
//!
//! Each test states the bound it proves: bounded memory (the decoder's held bytes, the tracker's
//! layers), a clear error at the right offset, no hang, no stack overflow, and every good
//! record still delivered. Large inputs are generated on the fly in chunks, never allocated
//! whole. The sizes here are CI-friendly; `scripts/hostile.sh` runs the full sizes (1 GiB,
//! 10 million records) through the command-line tool under `/usr/bin/time -v`. Set
//! `PULLSTREAM_HOSTILE_SCALE=16` (for example) to multiply the sizes here. A counting allocator
//! weighs what the tracker keeps against the bound documented on `TrackerConfig`.

use std::ops::ControlFlow;

use pullstream::event::Event;
use pullstream::message::Message;
use pullstream::pipeline::{Item, Pipeline};
use pullstream::tracker::{Ending, Tracker, TrackerConfig};
use pullstream::{Config, Decoder, ErrorKind};

const CHUNK: usize = 64 << 10;

/// Counts the bytes this thread holds on the heap (tests run on threads of their own), so a
/// test can weigh what one object keeps: the live bytes before and after dropping it.
struct Counting;

thread_local! {
    static LIVE: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
}

fn note(delta: isize) {
    // `try_with`: the thread-local may be gone while the thread shuts down. It is a
    // const-initialised `Cell`, so touching it never allocates (no recursion).
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

fn live_bytes() -> isize {
    LIVE.with(std::cell::Cell::get)
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds exactly as it does for `System`; the counting touches only a
// const-initialised thread-local `Cell` and never allocates.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        note(layout.size() as isize);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        note(layout.size() as isize);
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        note(size as isize - layout.size() as isize);
        // SAFETY: forwarded unchanged; `ptr` was allocated by `System` with `layout`.
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        note(-(layout.size() as isize));
        // SAFETY: forwarded unchanged; `ptr` was allocated by `System` with `layout`.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn scale() -> usize {
    std::env::var("PULLSTREAM_HOSTILE_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Everything a decoder run produced, kept small: counts, the errors (capped) and the records'
/// statuses (capped).
#[derive(Debug, Default)]
struct Tally {
    records: u64,
    errors: Vec<(u64, ErrorKind)>,
    error_count: u64,
    statuses: Vec<String>,
    max_pending: usize,
}

impl Tally {
    fn take(&mut self, item: Result<pullstream::Record<'_>, pullstream::Error>) {
        match item {
            Ok(record) => {
                self.records += 1;
                if self.statuses.len() < 64 {
                    let status = record.message().status.map(|s| s.decode().into_owned());
                    self.statuses.push(status.unwrap_or_default());
                }
            }
            Err(error) => {
                self.error_count += 1;
                if self.errors.len() < 64 {
                    self.errors.push((error.offset(), error.kind().clone()));
                }
            }
        }
    }
}

/// Feeds chunks from `next_chunk` (until it returns false) into a decoder, then finishes.
fn decode_stream(config: Config, mut next_chunk: impl FnMut(&mut Vec<u8>) -> bool) -> Tally {
    let mut decoder = Decoder::with_config(config);
    let mut tally = Tally::default();
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        chunk.clear();
        if !next_chunk(&mut chunk) {
            break;
        }
        for item in decoder.feed(&chunk) {
            tally.take(item);
        }
        tally.max_pending = tally.max_pending.max(decoder.pending_len());
    }
    for item in decoder.finish() {
        tally.take(item);
    }
    assert_eq!(decoder.pending_len(), 0);
    tally
}

/// A generator: `prefix`, then `len` bytes of `filler` (cycled), then `suffix`, in chunks.
fn generated(
    prefix: Vec<u8>,
    filler: &'static [u8],
    len: usize,
    suffix: Vec<u8>,
) -> impl FnMut(&mut Vec<u8>) -> bool {
    let mut stage = 0;
    let mut left = len;
    let mut phase = 0usize;
    move |out: &mut Vec<u8>| {
        match stage {
            0 => {
                out.extend_from_slice(&prefix);
                stage = 1;
            }
            1 if left > 0 => {
                let n = left.min(CHUNK);
                for _ in 0..n {
                    out.push(filler[phase % filler.len()]);
                    phase += 1;
                }
                left -= n;
            }
            1 => {
                out.extend_from_slice(&suffix);
                stage = 2;
            }
            _ => return false,
        }
        true
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Bytes with no `{` at all.

/// 64 MiB (× scale) with no `{`: nothing is held, errors are reported per run of garbage (not
/// per byte), and the stream counts as "not a progress stream" (exit code 3).
#[test]
fn no_brace_at_all_runs_in_bounded_memory() {
    let len = (64 << 20) * scale();
    let filler: &[u8] = b"<html>garbage \x00\xff\xfe ]]]}}} \"not a record\r\n";
    let mut gen = generated(Vec::new(), filler, len, Vec::new());
    let mut pipeline = Pipeline::new();
    let mut errors = 0u64;
    let mut first = None;
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut max_pending = 0;
    loop {
        chunk.clear();
        if !gen(&mut chunk) {
            break;
        }
        let _ = pipeline.feed(&chunk, 0, |item| {
            match item {
                Item::Malformed(error) => {
                    errors += 1;
                    first.get_or_insert((error.offset(), error.kind().clone()));
                }
                other => panic!("unexpected item {other:?}"),
            }
            ControlFlow::Continue(())
        });
        max_pending = max_pending.max(pipeline.decoder().pending_len());
    }
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    assert_eq!(max_pending, 0, "garbage was buffered");
    assert_eq!(first, Some((0, ErrorKind::NotJson { byte: b'<' })));
    // One error per garbage line at most (the filler has one line break per cycle).
    let lines = (len / filler.len() + 1) as u64;
    assert!(
        errors >= 1 && errors <= lines + 1,
        "{errors} errors for {lines} lines"
    );
    let summary = pipeline.summary();
    assert_eq!(summary.records, 0);
    assert_eq!(summary.exit_code(), 3, "{}", summary.to_json());
}

/// A single 64 MiB line of one repeated byte (no line breaks, no `{`): one error.
#[test]
fn one_long_garbage_line_is_one_error() {
    let tally = decode_stream(
        Config::default(),
        generated(
            Vec::new(),
            b"x",
            (64 << 20) * scale(),
            b"\n{\"status\":\"ok\"}".to_vec(),
        ),
    );
    assert_eq!(tally.error_count, 1, "{:?}", tally.errors);
    assert_eq!(tally.errors[0], (0, ErrorKind::NotJson { byte: b'x' }));
    assert_eq!(tally.statuses, ["ok"]);
    assert_eq!(tally.max_pending, 0);
}

// ---------------------------------------------------------------------------------------------
// 2. A huge record.

/// A 100 MiB record (default 8 MiB limit): record-too-large at its `{`, the rest skipped without
/// being held, and the next record decoded at its exact offset.
#[test]
fn record_of_100_mib_is_skipped_and_the_next_is_decoded() {
    let len = 100 << 20;
    let prefix = b"{\"status\":\"Downloading\",\"id\":\"big\",\"progress\":\"".to_vec();
    let suffix = b"\"}\r\n{\"status\":\"after\"}\r\n".to_vec();
    let after_offset = (prefix.len() + len + 4) as u64;
    let tally = decode_stream(Config::default(), generated(prefix, b"=>  ", len, suffix));
    assert_eq!(
        tally.errors,
        [(0, ErrorKind::RecordTooLarge { limit: 8 << 20 })],
        "exactly one error"
    );
    assert_eq!(tally.statuses, ["after"]);
    assert!(
        tally.max_pending <= 8 << 20,
        "held {} bytes",
        tally.max_pending
    );
    // The offset of the next record is exact.
    let mut decoder = Decoder::with_config(Config::default().max_record_len(1 << 10));
    let mut stream = vec![b'{'];
    stream.extend_from_slice(b"\"a\":\"");
    stream.resize(1 << 20, b'a');
    stream.extend_from_slice(b"\"}\r\n{\"status\":\"after\"}");
    let items: Vec<_> = decoder
        .feed(&stream)
        .map(|i| i.map(|r| r.offset()).map_err(|e| e.offset()))
        .collect();
    assert_eq!(items, [Err(0), Ok(((1 << 20) + 4) as u64)]);
    let _ = after_offset;
}

/// The same record in one feed, in 1-byte feeds at its edges, and with a small limit: the
/// error is reported once and the limit holds the carry buffer.
#[test]
fn record_too_large_is_reported_once_however_fed() {
    let mut stream = b"{\"status\":\"".to_vec();
    stream.resize(300_000, b'z');
    stream.extend_from_slice(b"\"}{\"status\":\"next\"}");
    for chunk in [1usize, 7, 4096, 65536, stream.len()] {
        let config = Config::default().max_record_len(100_000);
        let mut decoder = Decoder::with_config(config);
        let mut log = Vec::new();
        let mut held = 0;
        for piece in stream.chunks(chunk) {
            for item in decoder.feed(piece) {
                log.push(
                    item.map(|r| r.offset())
                        .map_err(|e| (e.offset(), e.kind().clone())),
                );
            }
            held = held.max(decoder.pending_len());
        }
        log.extend(decoder.finish().map(|i| {
            i.map(|r| r.offset())
                .map_err(|e| (e.offset(), e.kind().clone()))
        }));
        assert_eq!(
            log,
            [
                Err((0, ErrorKind::RecordTooLarge { limit: 100_000 })),
                Ok(300_002)
            ],
            "chunk {chunk}"
        );
        assert!(held <= 100_000, "chunk {chunk}: held {held}");
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Deep nesting.

fn nested(open: &[u8], close: &[u8], depth: usize) -> Vec<u8> {
    let mut out = b"{\"status\":\"deep\",\"aux\":".to_vec();
    for _ in 0..depth {
        out.extend_from_slice(open);
    }
    out.extend_from_slice(b"1");
    for _ in 0..depth {
        out.extend_from_slice(close);
    }
    out.extend_from_slice(b"}\r\n{\"status\":\"after\"}\r\n");
    out
}

/// Runs `f` on a thread with a small stack: recursion proportional to the input would overflow.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(f)
        .unwrap()
        .join()
        .expect("thread panicked")
}

/// 100 000 nested `[` (and `{"a":`) inside a record: a depth error, then the next record; no
/// stack overflow, even on a 256 KiB stack, whole or byte by byte.
#[test]
fn one_hundred_thousand_nested_arrays_give_a_depth_error() {
    on_small_stack(|| {
        for (open, close) in [(&b"["[..], &b"]"[..]), (&b"{\"a\":"[..], &b"}"[..])] {
            let stream = nested(open, close, 100_000);
            for chunk in [stream.len(), 4096, 1] {
                let mut decoder = Decoder::new();
                let mut tally = Tally::default();
                for piece in stream.chunks(chunk) {
                    for item in decoder.feed(piece) {
                        tally.take(item);
                    }
                }
                for item in decoder.finish() {
                    tally.take(item);
                }
                assert_eq!(tally.error_count, 1, "{:?}", tally.errors);
                assert!(matches!(
                    tally.errors[0].1,
                    ErrorKind::TooDeep { limit: 128 }
                ));
                assert_eq!(tally.statuses, ["after"]);
                assert!(decoder.pending_len() == 0);
            }
        }
    });
}

/// 100 000 `[` never closed, then the stream ends: a depth error, then a truncated record.
#[test]
fn unclosed_nesting_then_eof() {
    on_small_stack(|| {
        let mut stream = b"{\"a\":".to_vec();
        stream.resize(100_005, b'[');
        let mut decoder = Decoder::new();
        let mut kinds: Vec<ErrorKind> = decoder
            .feed(&stream)
            .map(|i| i.unwrap_err().kind().clone())
            .collect();
        kinds.extend(decoder.finish().map(|i| i.unwrap_err().kind().clone()));
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert!(matches!(kinds[0], ErrorKind::TooDeep { .. }));
        assert!(matches!(kinds[1], ErrorKind::Truncated { .. }));
    });
}

/// The deepest nesting the configuration allows (1024) is parsed on a 256 KiB stack.
#[test]
fn deepest_allowed_nesting_fits_a_small_stack() {
    on_small_stack(|| {
        for (open, close) in [(&b"["[..], &b"]"[..]), (&b"{\"a\":"[..], &b"}"[..])] {
            let config = Config::default().max_depth(u32::MAX);
            assert_eq!(config.get_max_depth(), 1024);
            // The record itself is depth 1, so 1023 levels inside it are allowed.
            let stream = nested(open, close, 1023);
            let mut tally = Tally::default();
            for item in Decoder::with_config(config).feed(&stream) {
                tally.take(item);
            }
            assert_eq!(tally.error_count, 0, "{:?}", tally.errors);
            assert_eq!(tally.statuses, ["deep", "after"]);
        }
    });
}

/// `Message::parse` is public and takes its depth limit unclamped: a caller passing a large
/// limit must not be able to overflow the stack with a deep record.
///
/// Regression for FINDINGS.md F1 (fixed): `json::Parser::skip_value` recurses once per nesting
/// level, and `Message::parse` passed `max_depth` through unclamped (only `Config::max_depth`
/// clamped, to 1024), so this aborted the whole test binary with a stack overflow. It now clamps
/// to `decoder::MAX_DEPTH_LIMIT`.
#[test]
fn message_parse_with_a_huge_depth_limit_does_not_overflow_the_stack() {
    let result = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let mut record = b"{\"aux\":".to_vec();
            record.resize(record.len() + 200_000, b'[');
            record.resize(record.len() + 200_000, b']');
            record.push(b'}');
            Message::parse(&record, u32::MAX).is_ok()
        })
        .unwrap()
        .join();
    // Either a depth error or a successful parse is acceptable; a crash is not (a stack
    // overflow aborts the whole test binary, so reaching this line is the test).
    assert!(result.is_ok());
}

// ---------------------------------------------------------------------------------------------
// 4. NUL bytes, invalid UTF-8, lone surrogates.

fn decode_all(stream: &[u8]) -> Tally {
    let mut chunks = vec![stream.to_vec()].into_iter();
    decode_stream(Config::default(), move |out| match chunks.next() {
        Some(c) => {
            out.extend_from_slice(&c);
            true
        }
        None => false,
    })
}

/// Control and non-UTF-8 bytes outside records are garbage; inside strings they make the record
/// invalid; either way the following record is delivered.
#[test]
fn nul_and_invalid_utf8_inside_and_outside_strings() {
    let bad: &[&[u8]] = &[
        b"\x00",
        b"\x00\x00\x00\x00",
        b"\xff\xfe",
        b"\xc3(",
        b"\xed\xa0\x80", // a UTF-8-encoded surrogate
        b"{\"status\":\"a\x00b\"}",
        b"{\"status\":\"a\xffb\"}",
        b"{\"status\":\"\xed\xa0\x80\"}",
        b"{\"id\":\"\xc0\xaf\"}",
        b"{\"x\":\"\xf4\x90\x80\x80\"}",
        b"{\"\xff\":1}",
        b"{\"status\":\"ok\"\x00}",
        b"{\x00\"status\":\"ok\"}",
    ];
    for garbage in bad {
        for sep in [&b"\r\n"[..], b"\n", b""] {
            let mut stream = garbage.to_vec();
            stream.extend_from_slice(sep);
            stream.extend_from_slice(b"{\"status\":\"good\"}\r\n");
            let tally = decode_all(&stream);
            assert!(
                tally.error_count >= 1,
                "{:?}: no error",
                garbage.escape_ascii()
            );
            assert_eq!(
                tally.statuses,
                ["good"],
                "{:?} then {:?}: {:?}",
                garbage.escape_ascii(),
                sep.escape_ascii(),
                tally.errors
            );
        }
    }
}

/// Lone and mismatched surrogate escapes are valid JSON syntax: the record is delivered and
/// decoding the string never panics (it may substitute U+FFFD).
#[test]
fn lone_surrogate_escapes() {
    let cases: &[&str] = &[
        r#"\ud800"#,
        r#"\udc00"#,
        r#"\udbff\udbff"#,
        r#"\ud800\u0041"#,
        r#"x\ud800"#,
        r#"\ud800\"#,
        r#"\uDFFF\uD800"#,
        r#"\ud83d\ude00"#,
        r#"\u0000"#,
        r#"\ud800\ud800\ud800"#,
    ];
    for case in cases {
        let record = format!(
            "{{\"status\":\"Downloading\",\"id\":\"{case}\",\"progressDetail\":{{\"units\":\"{case}\"}},\"error\":\"\"}}\n{{\"status\":\"Pulling from {case}\",\"id\":\"{case}\"}}\n"
        );
        let mut pipeline = Pipeline::new();
        let mut events = 0;
        let _ = pipeline.feed(record.as_bytes(), 0, |item| {
            if let Item::Event { record, event } = item {
                events += 1;
                let message = record.message();
                let id = message.id.unwrap();
                let decoded = id.decode();
                assert!(!decoded.is_empty() || case.is_empty());
                let _: String = id.chars().collect();
                let _ = event.layer_id().map(|l| l.decode().into_owned());
            }
            ControlFlow::Continue(())
        });
        let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
        let summary = pipeline.summary();
        let json = summary.to_json();
        let _: serde_json::Value = serde_json::from_str(&json).expect("summary is valid JSON");
        // The same escape in the daemon's error message, which the summary copies verbatim.
        let error =
            format!("{{\"errorDetail\":{{\"message\":\"x{case}\"}},\"error\":\"x{case}\"}}\n");
        let mut failed = Pipeline::new();
        let _ = failed.feed(error.as_bytes(), 0, |_| ControlFlow::Continue(()));
        let _ = failed.finish(0, |_| ControlFlow::Continue(()));
        let json = failed.summary().to_json();
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("summary is valid JSON");
        if !case.ends_with('\\') {
            assert_eq!(parsed["outcome"], "failed", "{case}: {json}");
            assert!(parsed["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with('x'));
        }
        // `\ud800\"` swallows the closing quote: that record is not valid, the other one is not
        // needed to be.
        if !case.ends_with('\\') {
            assert_eq!(events, 2, "{case}: {json}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Numbers in `current` / `total`.

/// Overflowing, negative, fractional and exponent numbers: integers beyond i64 and non-integers
/// are a typed error for the record; negative integers are unknown progress; nothing panics and
/// byte sums saturate.
#[test]
fn hostile_numbers_in_progress() {
    let values = [
        "99999999999999999999",
        "-99999999999999999999",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-1",
        "-0",
        "0",
        "1.5",
        "1e400",
        "-1e400",
        "1E2",
        "1e-400",
        "0.0000001",
        "18446744073709551615",
        "18446744073709551616",
        "123456789012345678901234567890e-10",
    ];
    for current in values {
        for total in values {
            let stream = format!(
                "{{\"status\":\"Downloading\",\"progressDetail\":{{\"current\":{current},\"total\":{total}}},\"id\":\"aaaaaaaaaaaa\"}}\n\
                 {{\"status\":\"Downloading\",\"progressDetail\":{{\"current\":{total},\"total\":{current}}},\"id\":\"bbbbbbbbbbbb\"}}\n\
                 {{\"status\":\"Extracting\",\"progressDetail\":{{\"current\":{current},\"total\":{total},\"units\":\"s\"}},\"id\":\"aaaaaaaaaaaa\"}}\n\
                 {{\"status\":\"Pull complete\",\"progressDetail\":{{}},\"id\":\"aaaaaaaaaaaa\"}}\n\
                 {{\"status\":\"ok\"}}\n"
            );
            let mut pipeline = Pipeline::new();
            let mut records = 0;
            let mut errors = Vec::new();
            let _ = pipeline.feed(stream.as_bytes(), 0, |item| {
                match item {
                    Item::Event { .. } => records += 1,
                    Item::Malformed(e) => errors.push(e.kind().clone()),
                    _ => {}
                }
                ControlFlow::Continue(())
            });
            let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
            // Every record is valid JSON, so every one is delivered; a number that is not a
            // 64-bit integer reads as absent and is reported once per field.
            let is_int = |v: &str| v.parse::<i64>().is_ok();
            let odd_records = 3 * usize::from(!is_int(current) || !is_int(total));
            assert_eq!(records, 5, "current {current} total {total}: {errors:?}");
            assert_eq!(errors.len(), odd_records, "current {current} total {total}");
            for error in &errors {
                assert!(
                    matches!(error, ErrorKind::WrongType { .. }),
                    "current {current} total {total}: {error:?}"
                );
            }
            let aggregate = pipeline.tracker_mut().aggregate();
            assert!(
                aggregate.percent_by_bytes.is_finite() && aggregate.percent_by_count.is_finite()
            );
            assert!((0.0..=100.0).contains(&aggregate.percent_by_bytes));
            let _: serde_json::Value = serde_json::from_str(&pipeline.summary().to_json()).unwrap();
        }
    }
}

/// Sums of huge totals saturate instead of overflowing.
#[test]
fn huge_totals_saturate() {
    let mut stream = String::new();
    for layer in 0..5 {
        stream.push_str(&format!(
            "{{\"status\":\"Downloading\",\"progressDetail\":{{\"current\":{m},\"total\":{m}}},\"id\":\"layer{layer}\"}}\n",
            m = i64::MAX
        ));
    }
    let mut pipeline = Pipeline::new();
    let _ = pipeline.feed(stream.as_bytes(), 0, |_| ControlFlow::Continue(()));
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    let aggregate = pipeline.tracker_mut().aggregate();
    assert_eq!(aggregate.bytes_total_known, u64::MAX);
    assert_eq!(aggregate.bytes_done, u64::MAX);
    assert!(aggregate.percent_by_bytes <= 100.0);
    let summary = pipeline.summary();
    assert_eq!(summary.bytes.total_known, u64::MAX);
}

// ---------------------------------------------------------------------------------------------
// 6. Duplicate keys.

/// A duplicate of a field the decoder reads is an error for that record (never "last one
/// wins" silently); duplicates of other keys are allowed; the next record is delivered.
#[test]
fn duplicate_keys() {
    let cases: &[(&str, bool)] = &[
        (
            r#"{"status":"Waiting","status":"Pull complete","id":"a"}"#,
            false,
        ),
        (r#"{"status":"Waiting","id":"a","id":"b"}"#, false),
        (
            r#"{"id":"a","progressDetail":{"current":1,"current":2}}"#,
            false,
        ),
        (
            r#"{"errorDetail":{"message":"x"},"errorDetail":{"message":"y"}}"#,
            false,
        ),
        (r#"{"status":"Waiting","id":"a","foo":1,"foo":2}"#, true),
        (
            r#"{"status":"Waiting","id":"a","aux":{"ID":"x","ID":"y"}}"#,
            true,
        ),
        (r#"{"status":"Waiting","st\u0061tus":"x"}"#, false),
    ];
    for (record, ok) in cases {
        let stream = format!("{record}\r\n{{\"status\":\"good\"}}\r\n");
        let tally = decode_all(stream.as_bytes());
        if *ok {
            assert_eq!(tally.error_count, 0, "{record}: {:?}", tally.errors);
            assert_eq!(tally.records, 2, "{record}");
        } else {
            // Delivered as Go reads it (the last copy wins), and the repeat reported.
            assert_eq!(tally.error_count, 1, "{record}");
            assert!(
                matches!(tally.errors[0].1, ErrorKind::DuplicateField { .. }),
                "{record}: {:?}",
                tally.errors
            );
            assert_eq!(tally.records, 2, "{record}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Many records, many layers.

/// A generator of `count` records cycling through a pull of 8 layers (same ids over and over).
fn record_stream(count: usize) -> impl FnMut(&mut Vec<u8>) -> bool {
    let mut produced = 0usize;
    move |out: &mut Vec<u8>| {
        if produced >= count {
            return false;
        }
        while produced < count && out.len() < CHUNK {
            let layer = produced % 8;
            let current = (produced / 8) % 1000;
            out.extend_from_slice(
                format!(
                    "{{\"status\":\"Downloading\",\"progressDetail\":{{\"current\":{current},\"total\":1000}},\"progress\":\"[==>   ]\",\"id\":\"{layer:012x}\"}}\r\n"
                )
                .as_bytes(),
            );
            produced += 1;
        }
        true
    }
}

/// One million records (× scale): constant memory in the decoder (nothing held between
/// records) and in the tracker (8 layers).
#[test]
fn a_million_records_in_constant_memory() {
    let count = 1_000_000 * scale();
    let mut gen = record_stream(count);
    let mut pipeline = Pipeline::new();
    let mut chunk = Vec::with_capacity(CHUNK + 256);
    let mut records = 0u64;
    let mut max_pending = 0;
    loop {
        chunk.clear();
        if !gen(&mut chunk) {
            break;
        }
        // Cut each chunk once in an odd place so records cross chunk boundaries too.
        let cut = chunk.len() / 3;
        for piece in [&chunk[..cut], &chunk[cut..]] {
            let _ = pipeline.feed(piece, 0, |item| {
                match item {
                    Item::Event { .. } => records += 1,
                    other => panic!("{other:?}"),
                }
                ControlFlow::Continue(())
            });
            max_pending = max_pending.max(pipeline.decoder().pending_len());
        }
    }
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    assert_eq!(records, count as u64);
    assert!(max_pending < 1024, "decoder held {max_pending} bytes");
    assert_eq!(pipeline.tracker().snapshot().layers.len(), 8);
    assert_eq!(pipeline.summary().records, count as u64);
}

/// One million distinct layer ids: the tracker's layer limit holds, the limit is announced once
/// (after the first record past it), the extra layers are counted as untracked, and the summary
/// stays small.
#[test]
fn a_million_distinct_layers_hit_the_layer_limit() {
    let count = 1_000_000 * scale();
    let mut produced = 0usize;
    let mut pipeline = Pipeline::with_config(Config::default(), TrackerConfig::default());
    let mut limits = 0u64;
    let mut events = 0u64;
    let mut chunk = Vec::with_capacity(CHUNK + 256);
    while produced < count {
        chunk.clear();
        while produced < count && chunk.len() < CHUNK {
            chunk.extend_from_slice(
                format!(
                    "{{\"status\":\"Downloading\",\"progressDetail\":{{\"current\":1,\"total\":2}},\"id\":\"{produced:012x}\"}}\n"
                )
                .as_bytes(),
            );
            produced += 1;
        }
        let _ = pipeline.feed(&chunk, 0, |item| {
            match item {
                Item::Event { .. } => events += 1,
                Item::TrackerLimit(limit) => {
                    assert_eq!(limit.which, pullstream::tracker::Limit::Layers);
                    assert_eq!(limit.limit, pullstream::tracker::DEFAULT_MAX_LAYERS);
                    limits += 1;
                }
                other => panic!("{other:?}"),
            }
            ControlFlow::Continue(())
        });
    }
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    let max = pullstream::tracker::DEFAULT_MAX_LAYERS;
    assert_eq!(events, count as u64);
    assert_eq!(limits, 1);
    let tracker = pipeline.tracker();
    assert_eq!(tracker.snapshot().layers.len(), max);
    assert_eq!(tracker.untracked_events(), (count - max) as u64);
    assert!(tracker.pending_layers().len() <= max);
    let json = pipeline.summary().to_json();
    assert!(json.len() < 200 * max, "summary of {} bytes", json.len());
    // Polling stalls over the full tracker stays bounded too.
    let stalls = pipeline.tracker_mut().poll_stalls(u64::MAX);
    assert!(stalls.len() <= max);
}

/// The same through the bare tracker with a tiny limit and ids of every shape.
#[test]
fn layer_limit_zero_and_one() {
    for max in [0usize, 1] {
        let mut tracker = Tracker::with_config(TrackerConfig::default().max_layers(max));
        let mut decoder = Decoder::new();
        let stream = b"{\"status\":\"Pulling fs layer\",\"id\":\"a\"}\n\
                       {\"status\":\"Pulling fs layer\",\"id\":\"b\"}\n\
                       {\"status\":\"Downloading\",\"progressDetail\":{\"current\":5,\"total\":10},\"id\":\"b\"}\n\
                       {\"status\":\"Pull complete\",\"id\":\"a\"}\n";
        for item in decoder.feed(stream) {
            let record = item.unwrap();
            let _ = tracker.observe(&Event::classify(record.message()), 1);
        }
        assert!(tracker.snapshot().layers.len() <= max);
        let _ = tracker.outcome(Ending::Clean);
        let _ = tracker.aggregate();
        let _ = tracker.poll_stalls(1 << 40);
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Valid records interleaved with garbage lines.

/// Every valid record is delivered when each is followed by a line of garbage, for every kind of
/// garbage line that closes itself (any value that leaves no JSON position open), fed whole and
/// in small chunks.
#[test]
fn alternating_valid_records_and_garbage_lines() {
    let garbage: &[&[u8]] = &[
        b"garbage",
        b"<html><body>502 Bad Gateway</body></html>",
        b"}",
        b"]]]",
        b"}}}}{",
        b"\"a string\"",
        b"12345",
        b"null",
        b"[1,2,{\"a\":3}]",
        b"{bad json",
        b"{\"status\":\"unterminated",
        b"{\"x\":1",
        b"{\"x\":1,",
        b"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,",
        b"{\"x\":[1,2",
        b"{\"status\":\"a\xffb\"}",
        b"\x00\x01\x02\x1b[31m",
        b"\xff\xfe\xfd",
        b"{\"status\":1}",
        b"{\"status\":\"x\" \"id\":\"y\"}",
        b"{}}",
        b"\\",
        b"\"",
        b"{\"\\",
    ];
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for round in 0..50 {
        for (i, line) in garbage.iter().enumerate() {
            let status = format!("r{round}g{i}");
            stream.extend_from_slice(
                format!("{{\"status\":\"{status}\",\"id\":\"x\"}}\r\n").as_bytes(),
            );
            expected.push(status);
            stream.extend_from_slice(line);
            stream.extend_from_slice(b"\r\n");
        }
    }
    for chunk in [stream.len(), 4096, 13, 1] {
        let mut decoder = Decoder::new();
        let mut got = Vec::new();
        for piece in stream.chunks(chunk) {
            for record in decoder.feed(piece).flatten() {
                got.push(
                    record
                        .message()
                        .status
                        .map(|s| s.decode().into_owned())
                        .unwrap_or_default(),
                );
            }
        }
        for record in decoder.finish().flatten() {
            got.push(
                record
                    .message()
                    .status
                    .map(|s| s.decode().into_owned())
                    .unwrap_or_default(),
            );
        }
        // Records decoded from garbage ("{}" of `{}}`) are fine; every valid one must be there.
        let missing: Vec<&String> = expected.iter().filter(|s| !got.contains(s)).collect();
        assert!(
            missing.is_empty(),
            "chunk {chunk}: {} valid records lost, first {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
    }
}

/// A garbage line that leaves a value position open (`{"x":`) swallows the record after it as
/// that value: the one ambiguity in the format. Decoding still recovers for the record after.
#[test]
fn garbage_with_an_open_value_recovers_after_one_record() {
    let stream = b"{\"x\":\r\n{\"status\":\"swallowed\"}\r\n{\"status\":\"good\"}\r\n";
    let tally = decode_all(stream);
    assert!(tally.statuses.contains(&"good".to_string()), "{tally:?}");
}

/// A record cut off right after a `,` inside an object (`{"progressDetail":{"current":1,`), then
/// a line break and a valid record: a `{` cannot follow `,` in an object (a key must), so the cut
/// record is provably over and the next one should be delivered, as it is after `{"x":1` or
/// `{"x":[1,2`.
///
/// Regression for FINDINGS.md F2 (fixed): `Splitter::scan_record` accepted `{` after any `,`
/// (it did not know whether the innermost container was an object or an array), so the valid
/// record was swallowed into the cut one, which then failed to parse.
#[test]
fn record_cut_after_a_comma_in_an_object_does_not_swallow_the_next() {
    for cut in [
        &b"{\"x\":1,"[..],
        b"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,",
    ] {
        let mut stream = cut.to_vec();
        stream.extend_from_slice(b"\r\n{\"status\":\"good\"}\r\n");
        let tally = decode_all(&stream);
        assert_eq!(
            tally.statuses,
            ["good"],
            "{:?}: {:?}",
            cut.escape_ascii(),
            tally.errors
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 9. What the tracker keeps: every limit of `TrackerConfig` (issue 12, part 6).

/// The bound on the tracker's heap documented on `TrackerConfig`, for `config`.
fn documented_heap_bound(config: &TrackerConfig) -> usize {
    use pullstream::tracker::{Layer, Limit, Segment};
    let [l, s, i, t, e] = Limit::ALL.map(|which| config.limit(which));
    assert!(std::mem::size_of::<Layer>() <= 112 && std::mem::size_of::<Segment>() <= 112);
    l * (112 + 2 * i + 64) + s * (112 + 3 * t) + 11 * t + e
}

/// Checks the weighed heap against the documented bound, and shows both (`--nocapture`).
fn within_bound(name: &str, heap: isize, config: &TrackerConfig) {
    let bound = documented_heap_bound(config);
    eprintln!("{name}: tracker heap {heap} bytes, documented bound {bound}");
    assert!(
        heap >= 0 && heap as usize <= bound,
        "tracker heap {heap} > bound {bound}"
    );
}

/// Runs the records `next_chunk` writes through a decoder and a tracker with `config`; returns
/// the tracker, the limits its `observe` reported (kinds, with repeats), and the bytes of heap
/// the tracker held at the end (weighed by dropping it).
fn track(
    config: TrackerConfig,
    mut next_chunk: impl FnMut(&mut Vec<u8>) -> bool,
    mut inspect: impl FnMut(&Tracker),
) -> (Vec<pullstream::tracker::Limit>, isize) {
    let before = live_bytes();
    let mut tracker = Tracker::with_config(config);
    let mut decoder = Decoder::new();
    let mut limits = Vec::new();
    let mut chunk = Vec::with_capacity(CHUNK + 256);
    loop {
        chunk.clear();
        if !next_chunk(&mut chunk) {
            break;
        }
        for item in decoder.feed(&chunk) {
            let record = item.expect("valid records only");
            if let Err(limit) = tracker.observe(&Event::classify(record.message()), 0) {
                if limits.last() != Some(&limit.which) {
                    limits.push(limit.which);
                }
            }
        }
    }
    assert!(decoder.finish().next().is_none());
    inspect(&tracker);
    let _ = tracker.outcome(Ending::Clean);
    let held = live_bytes();
    drop(tracker);
    let tracker_heap = held - live_bytes();
    assert!(
        held - before >= tracker_heap,
        "weighed more than was allocated"
    );
    (limits, tracker_heap)
}

/// A generator of records made by `record(i)` for `i` in `0..count`.
fn records(
    count: usize,
    mut record: impl FnMut(usize) -> Vec<u8>,
) -> impl FnMut(&mut Vec<u8>) -> bool {
    let mut produced = 0;
    move |out: &mut Vec<u8>| {
        if produced >= count {
            return false;
        }
        while produced < count && out.len() < CHUNK {
            out.extend_from_slice(&record(produced));
            out.extend_from_slice(b"\r\n");
            produced += 1;
        }
        true
    }
}

/// One million `Pulling from` lines (× scale), each a new image: the segments stop at the
/// limit, announced once, and the tracker's heap stays within its documented bound (it grew
/// to about 240 bytes per image before the limit: 242 MiB of RSS for the command-line tool).
#[test]
fn a_million_segments_stop_at_the_segment_limit() {
    use pullstream::tracker::{Limit, DEFAULT_MAX_SEGMENTS};
    let count = 1_000_000 * scale();
    let config = TrackerConfig::default();
    let (limits, heap) = track(
        config.clone(),
        records(count, |i| {
            format!("{{\"status\":\"Pulling from library/image{i}\",\"id\":\"tag{i}\"}}")
                .into_bytes()
        }),
        |tracker| {
            let segments = tracker.snapshot().segments;
            assert_eq!(segments.len(), DEFAULT_MAX_SEGMENTS);
            let newest = format!("library/image{}", count - 1);
            assert_eq!(
                segments.last().unwrap().repository.as_deref(),
                Some(newest.as_str())
            );
        },
    );
    assert_eq!(limits, [Limit::Segments]);
    within_bound("a_million_segments", heap, &config);
}

/// 4096 layers (the limit) with ids of exactly the id limit, the worst the layer table can
/// hold, then 1024 (× scale) layers with 64 KiB ids: the long ids are refused before any
/// lookup (their events counted), the limit announced once, and the heap stays within bound.
#[test]
fn layers_with_64_kib_ids_are_refused_and_the_table_stays_bounded() {
    use pullstream::tracker::{Limit, DEFAULT_MAX_ID_LEN, DEFAULT_MAX_LAYERS};
    let long = 1024 * scale();
    let config = TrackerConfig::default();
    let id = |i: usize, len: usize| format!("{i:08x}{}", "f".repeat(len - 8));
    let (limits, heap) = track(
        config.clone(),
        records(DEFAULT_MAX_LAYERS + long, |i| {
            let len = if i < DEFAULT_MAX_LAYERS {
                DEFAULT_MAX_ID_LEN
            } else {
                64 << 10
            };
            format!(
                "{{\"status\":\"Downloading\",\"progressDetail\":{{\"current\":1,\"total\":2}},\"id\":\"{}\"}}",
                id(i, len)
            )
            .into_bytes()
        }),
        |tracker| {
            let layers = tracker.snapshot().layers;
            assert_eq!(layers.len(), DEFAULT_MAX_LAYERS);
            assert!(layers.iter().all(|l| l.id().len() == DEFAULT_MAX_ID_LEN));
            assert_eq!(tracker.untracked_events(), long as u64);
        },
    );
    assert_eq!(limits, [Limit::IdLength]);
    within_bound("layers_with_64_kib_ids", heap, &config);
}

/// References, repositories, tags, digests and image ids of 1 MiB, in every record that names
/// one, 256 (× scale) of them: each is kept cut to the text limit, the limit is announced once,
/// and the heap stays within bound.
#[test]
fn references_of_one_mib_are_kept_cut() {
    use pullstream::tracker::{Limit, CUT_MARK, DEFAULT_MAX_TEXT_LEN};
    let count = 256 * scale();
    let config = TrackerConfig::default();
    let big = "r".repeat(1 << 20);
    let shapes: [&dyn Fn(&str) -> String; 8] = [
        &|t| format!("{{\"status\":\"Pulling from {t}\",\"id\":\"{t}\"}}"),
        &|t| format!("{{\"status\":\"Digest: sha256:{t}\"}}"),
        &|t| format!("{{\"status\":\"Status: Downloaded newer image for {t}\"}}"),
        &|t| format!("{{\"status\":\"The push refers to repository [{t}]\"}}"),
        &|t| format!("{{\"status\":\"{t}: digest: sha256:{t} size: 1\"}}"),
        &|t| format!("{{\"stream\":\"Successfully tagged {t}\\n\"}}"),
        &|t| format!("{{\"stream\":\"Loaded image: {t}\\n\"}}"),
        &|t| format!("{{\"aux\":{{\"ID\":\"sha256:{t}\"}}}}"),
    ];
    let (limits, heap) = track(
        config.clone(),
        records(count, |i| shapes[i % shapes.len()](&big).into_bytes()),
        |tracker| {
            let details = tracker.image_details();
            for text in [details.reference, details.digest, details.image_id]
                .into_iter()
                .flatten()
            {
                assert!(
                    text.len() <= DEFAULT_MAX_TEXT_LEN && text.ends_with(CUT_MARK),
                    "{}",
                    text.len()
                );
            }
            for segment in tracker.snapshot().segments {
                for text in [&segment.repository, &segment.tag, &segment.digest]
                    .into_iter()
                    .flatten()
                {
                    assert!(text.len() <= DEFAULT_MAX_TEXT_LEN, "{}", text.len());
                }
            }
        },
    );
    assert_eq!(limits, [Limit::TextLength]);
    within_bound("references_of_one_mib", heap, &config);
}

/// Error records of 100 KB, 512 (× scale) of them: the first message is kept cut to the error
/// limit, announced once; the heap stays within bound.
#[test]
fn error_records_of_100_kb_keep_one_cut_message() {
    use pullstream::tracker::{Limit, CUT_MARK, DEFAULT_MAX_ERROR_LEN};
    let count = 512 * scale();
    let config = TrackerConfig::default();
    let message = format!("toomanyrequests: {}", "e".repeat(100_000));
    let (limits, heap) = track(
        config.clone(),
        records(count, |_| {
            format!("{{\"errorDetail\":{{\"message\":\"{message}\"}},\"error\":\"{message}\"}}")
                .into_bytes()
        }),
        |tracker| {
            let pullstream::Outcome::Failed(failure) = tracker.outcome(Ending::Clean) else {
                panic!("not a failure");
            };
            assert!(failure.message.len() <= DEFAULT_MAX_ERROR_LEN);
            assert!(failure.message.ends_with(CUT_MARK));
        },
    );
    assert_eq!(limits, [Limit::ErrorLength]);
    within_bound("error_records_of_100_kb", heap, &config);
}

/// The documented bound with the default limits is what the docs say: under 8 MiB.
#[test]
fn the_default_heap_bound_is_under_8_mib() {
    assert!(documented_heap_bound(&TrackerConfig::default()) < 8 << 20);
}
