//! Limits and policies: record size, nesting depth, stop-at-first-error, end of stream,
//! bounded memory on hostile input, and the decoder's counters.

mod common;

use common::{log_chunked, log_whole};
use pullstream::{Config, Decoder, DecoderStats, ErrorKind};

/// `(offset, Ok(bytes))` for a record, `(offset, Err(kind))` for an error.
type Item = (u64, Result<Vec<u8>, ErrorKind>);

fn items_in_pieces(config: &Config, input: &[u8], size: usize) -> Vec<Item> {
    let mut decoder = Decoder::with_config(config.clone());
    let mut out = Vec::new();
    let mut push = |item: Result<pullstream::Record<'_>, pullstream::Error>| {
        out.push(match item {
            Ok(r) => (r.offset(), Ok(r.as_bytes().to_vec())),
            Err(e) => (e.offset(), Err(e.kind().clone())),
        })
    };
    for piece in input.chunks(size.max(1)) {
        decoder.feed(piece).for_each(&mut push);
    }
    decoder.finish().for_each(&mut push);
    out
}

fn rec(offset: u64, bytes: &[u8]) -> Item {
    (offset, Ok(bytes.to_vec()))
}

fn err(offset: u64, kind: ErrorKind) -> Item {
    (offset, Err(kind))
}

/// Checks the hand-computed items for the whole feed and the same log at every chunk size.
fn check_every_chunk_size(config: &Config, input: &[u8], expected: &[Item]) {
    assert_eq!(
        items_in_pieces(config, input, input.len()),
        expected,
        "whole feed"
    );
    let whole = log_whole(config, input);
    for size in 1..=input.len() {
        assert_eq!(log_chunked(config, input, size), whole, "pieces of {size}");
    }
}

#[test]
fn record_too_large_is_skipped_and_the_next_one_decoded() {
    let config = Config::default().max_record_len(64);
    let big = format!(
        r#"{{"status":"{}","progressDetail":{{"x":[{{}}]}}}}"#,
        "x".repeat(100)
    );
    let input = format!("{{\"status\":\"small\"}}\r\n{big}\r\n{{\"status\":\"after\"}}\r\n");
    let after = 20 + big.len() as u64 + 2;
    check_every_chunk_size(
        &config,
        input.as_bytes(),
        &[
            rec(0, br#"{"status":"small"}"#),
            err(20, ErrorKind::RecordTooLarge { limit: 64 }),
            rec(after, br#"{"status":"after"}"#),
        ],
    );
}

#[test]
fn record_of_exactly_the_limit_passes_one_more_byte_does_not() {
    let config = Config::default().max_record_len(64);
    let exact = format!(r#"{{"status":"{}"}}"#, "x".repeat(51));
    let over = format!(r#"{{"status":"{}"}}"#, "x".repeat(52));
    assert_eq!((exact.len(), over.len()), (64, 65));
    for sep in ["", "\r\n", "\n"] {
        let input = format!("{exact}{sep}{over}{sep}{exact}{sep}");
        let step = 64 + sep.len() as u64;
        check_every_chunk_size(
            &config,
            input.as_bytes(),
            &[
                rec(0, exact.as_bytes()),
                err(step, ErrorKind::RecordTooLarge { limit: 64 }),
                rec(2 * step + 1, exact.as_bytes()),
            ],
        );
    }
}

#[test]
fn too_deep_is_reported_at_the_offending_byte() {
    let config = Config::default().max_depth(4);
    let input =
        b"{\"a\":[[[1]]]}\r\n{\"a\":[[[[1]]]]}\r\n{\"b\":{\"c\":{\"d\":{\"e\":{}}}}}\n{\"b\":2}";
    check_every_chunk_size(
        &config,
        input,
        &[
            rec(0, br#"{"a":[[[1]]]}"#),
            err(23, ErrorKind::TooDeep { limit: 4 }),
            err(52, ErrorKind::TooDeep { limit: 4 }),
            rec(59, br#"{"b":2}"#),
        ],
    );
}

#[test]
fn a_hundred_thousand_nested_brackets_do_not_overflow_the_stack() {
    const N: usize = 100_000;
    let mut input = b"{\"a\":".to_vec();
    input.extend(std::iter::repeat_n(b'[', N));
    input.extend(std::iter::repeat_n(b']', N));
    input.extend_from_slice(b"}\r\n{\"b\":2}\r\n");
    // Nested objects too: `{"a":{"a":…{}…}}`.
    let objects_at = input.len() as u64;
    input.extend(std::iter::repeat_n(&b"{\"a\":"[..], N).flatten());
    input.extend_from_slice(b"{}");
    input.extend(std::iter::repeat_n(b'}', N));
    input.extend_from_slice(b"\n{\"c\":3}");
    let b_at = 5 + 2 * N as u64 + 1 + 2;
    let c_at = input.len() as u64 - 7;
    let expected = vec![
        // The record's `{` is depth 1, so the 128th `[` (at 5 + 127) is one too many.
        err(5 + 127, ErrorKind::TooDeep { limit: 128 }),
        rec(b_at, br#"{"b":2}"#),
        err(objects_at + 5 * 128, ErrorKind::TooDeep { limit: 128 }),
        rec(c_at, br#"{"c":3}"#),
    ];
    let config = Config::default();
    for size in [input.len(), 1, 7, 4096] {
        assert_eq!(
            items_in_pieces(&config, &input, size),
            expected,
            "pieces of {size}"
        );
    }
}

#[test]
fn stop_at_first_error_stops_everything() {
    let config = Config::default().stop_at_first_error(true);
    let input = b"{\"a\":1}\r\n]\r\n{\"b\":2}\r\n{\"c\":";
    for size in 1..=input.len() {
        let mut decoder = Decoder::with_config(config.clone());
        let mut got = Vec::new();
        for piece in input.chunks(size) {
            for item in decoder.feed(piece) {
                got.push(
                    item.map(|r| r.offset())
                        .map_err(|e| (e.offset(), e.kind().clone())),
                );
            }
        }
        assert_eq!(
            got,
            [Ok(0), Err((9, ErrorKind::NotJson { byte: b']' }))],
            "pieces of {size}"
        );
        assert_eq!(decoder.feed(b"{\"d\":4}\r\n").count(), 0);
        assert_eq!(decoder.feed(&[]).count(), 0);
        assert_eq!(
            decoder.finish().count(),
            0,
            "no Truncated after the stop either"
        );
        assert_eq!(decoder.stats().records, 1);
        assert_eq!(decoder.stats().errors, 1);
    }
}

#[test]
fn stop_at_first_error_also_stops_on_a_record_error() {
    let config = Config::default().stop_at_first_error(true);
    let mut decoder = Decoder::with_config(config);
    let got: Vec<_> = decoder
        .feed(b"{\"status\":1}{\"status\":\"ok\"}")
        .map(|item| item.map(|r| r.offset()).map_err(|e| e.offset()))
        .collect();
    // The record is valid JSON: it is delivered, and its oddity (the wrong type) stops.
    assert_eq!(got, [Ok(0), Err(10)]);
    assert_eq!(decoder.feed(b"{}").count(), 0);
}

#[test]
fn finish_after_a_cut_record_reports_truncated() {
    let input = b"{\"status\":\"a\"}\r\n{\"status\":\"Downloading\"";
    check_every_chunk_size(
        &Config::default(),
        input,
        &[
            rec(0, br#"{"status":"a"}"#),
            err(16, ErrorKind::Truncated { len: 23 }),
        ],
    );
    // After finish the decoder holds nothing; offsets keep counting.
    let mut decoder = Decoder::new();
    assert_eq!(decoder.feed(input).count(), 1);
    assert_eq!(decoder.pending_len(), 23);
    let truncated = decoder.finish().next().unwrap().unwrap_err();
    assert!(truncated.is_eof());
    assert_eq!(decoder.pending_len(), 0);
    assert!(
        decoder.finish().next().is_none(),
        "a second finish reports nothing"
    );
    let record = decoder.feed(b"{}").next().unwrap().unwrap();
    assert_eq!(record.offset(), input.len() as u64);
}

#[test]
fn finish_after_a_clean_end_reports_nothing() {
    for input in [
        &b""[..],
        b"{}",
        b"{}\r\n",
        b"{\"a\":1}\n\n \t",
        b"{}\r\nnot json",
        b"{\"a\":\"}{\"}",
    ] {
        let mut decoder = Decoder::new();
        let _ = decoder.feed(input).count();
        assert!(
            decoder.finish().next().is_none(),
            "{:?}",
            input.escape_ascii()
        );
        assert_eq!(decoder.pending_len(), 0);
    }
}

#[test]
fn finish_after_a_cut_too_large_record_reports_what_arrived() {
    let config = Config::default().max_record_len(64);
    let input = format!(r#"{{"status":"{}"#, "x".repeat(100));
    let mut decoder = Decoder::with_config(config);
    let first: Vec<_> = decoder.feed(input.as_bytes()).collect();
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].as_ref().unwrap_err().kind(),
        &ErrorKind::RecordTooLarge { limit: 64 }
    );
    // Either nothing more (the record was already reported) or a Truncated error whose `len`
    // is what its documentation says: the bytes of the cut-off record that had arrived.
    for e in decoder.finish() {
        let e = e.unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::Truncated {
                len: input.len() as u64
            }
        );
    }
}

#[test]
fn pending_len_is_bounded_by_the_record_limit() {
    for limit in [64 << 10, pullstream::decoder::DEFAULT_MAX_RECORD_LEN] {
        let config = Config::default().max_record_len(limit);
        let mut decoder = Decoder::with_config(config);
        let mut errors = Vec::new();
        let mut max_pending = 0;
        for item in decoder.feed(br#"{"status":""#) {
            errors.push(item.map(|_| ()).unwrap_err());
        }
        let kib = [b'x'; 1024];
        let kibs = limit / 1024 + 1024;
        for _ in 0..kibs {
            for item in decoder.feed(&kib) {
                errors.push(item.map(|_| ()).unwrap_err());
            }
            assert!(decoder.pending_len() <= limit);
            max_pending = max_pending.max(decoder.pending_len());
        }
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind(), &ErrorKind::RecordTooLarge { limit });
        assert_eq!(errors[0].offset(), 0);
        assert!(max_pending > limit - 1024, "it did buffer up to the limit");
        assert_eq!(decoder.pending_len(), 0, "nothing is held while skipping");
        let tail: Vec<_> = decoder
            .feed(b"\"}\r\n{\"status\":\"ok\"}\r\n")
            .map(|item| item.unwrap().offset())
            .collect();
        assert_eq!(tail, [11 + kibs as u64 * 1024 + 4]);
    }
}

/// Ten megabytes of lines built from `line(i)`, each followed by `eol`; returns the stream and
/// the offset of the first non-blank byte of every line that has one.
fn garbage(eol: &str, line: impl Fn(usize) -> String) -> (Vec<u8>, Vec<u64>) {
    let mut out = Vec::with_capacity(10 << 20);
    let mut starts = Vec::new();
    let mut i = 0;
    while out.len() < 10 << 20 {
        let text = line(i);
        if let Some(k) = text.find(|c: char| !matches!(c, ' ' | '\t' | '\r')) {
            starts.push((out.len() + k) as u64);
        }
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(eol.as_bytes());
        i += 1;
    }
    (out, starts)
}

fn check_garbage(input: &[u8], starts: &[u64]) {
    let mut decoder = Decoder::new();
    let mut got = Vec::new();
    for chunk in input.chunks(64 << 10) {
        for item in decoder.feed(chunk) {
            let e = item.map(|_| ()).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::NotJson { .. }), "{e}");
            got.push(e.offset());
        }
        assert_eq!(decoder.pending_len(), 0);
    }
    assert!(decoder.finish().next().is_none());
    assert_eq!(got.len(), starts.len());
    assert_eq!(got, starts);
    assert_eq!(decoder.stats().errors, starts.len() as u64);
}

#[test]
fn ten_megabytes_of_garbage_lines_give_one_error_per_line() {
    let text = |i: usize| match i % 7 {
        0 => String::new(),
        1 => format!("  \tindented garbage line {i} with ] and [ and \"quotes\""),
        2 => "<html><head><title>502 Bad Gateway</title></head></html>".to_string(),
        3 => format!("\0\0 binary {i} \u{1}\u{7f}"),
        4 => " \t ".to_string(),
        _ => format!("plain text line number {i}: not json at all, é 日本"),
    };
    for eol in ["\n", "\r\n"] {
        let (input, starts) = garbage(eol, text);
        assert!(input.len() >= 10 << 20);
        check_garbage(&input, &starts);
    }
}

#[test]
fn ten_megabytes_of_garbage_without_line_breaks_give_one_error() {
    let input: Vec<u8> = b"garbage ] [ \"x\" \r \0 "
        .iter()
        .copied()
        .cycle()
        .take(10 << 20)
        .collect();
    check_garbage(&input, &[0]);
}

#[test]
fn stats_count_records_errors_and_framing() {
    let input =
        b"{\"a\":1}{\"b\":2}\r\n{\"c\":3}\n{\"d\":4} {\"e\":5}\r\n]\r\n{\"f\":tru}\r\n{\"g\":1}";
    let mut decoder = Decoder::new();
    assert_eq!(decoder.feed(input).count(), 8);
    assert!(decoder.finish().next().is_none());
    let stats = decoder.stats();
    assert_eq!(stats.records, 6);
    assert_eq!(stats.errors, 2);
    assert_eq!(stats.framing.concatenated, 1, "b");
    // `f` follows a garbage line: only records after pure whitespace count as CRLF/LF framed.
    assert_eq!(stats.framing.crlf, 2, "c and g");
    assert_eq!(stats.framing.lf, 1, "d");
}

fn stats_in_pieces(input: &[u8], size: usize) -> DecoderStats {
    let mut decoder = Decoder::new();
    for piece in input.chunks(size) {
        let _ = decoder.feed(piece).count();
    }
    let _ = decoder.finish().count();
    decoder.stats()
}

#[test]
fn stats_records_and_errors_do_not_depend_on_chunking() {
    let input = b"{\"a\":1}{\"b\":2}\r\n{\"c\":3}\n{\"d\":4} {\"e\":5}\r\n]\r\n{\"f\":tru}\r\n{\"g\":1}\r\n{\"h\":";
    let whole = stats_in_pieces(input, input.len());
    assert_eq!((whole.records, whole.errors), (6, 3));
    for size in 1..=input.len() {
        let stats = stats_in_pieces(input, size);
        assert_eq!((stats.records, stats.errors), (6, 3), "pieces of {size}");
    }
}

#[test]
fn stats_framing_does_not_depend_on_chunking() {
    let input =
        b"{\"a\":1}{\"b\":2}\r\n{\"c\":3}\n{\"d\":4} {\"e\":5}\r\n]\r\n{\"f\":tru}\r\n{\"g\":1}";
    let whole = stats_in_pieces(input, input.len());
    for size in 1..=input.len() {
        assert_eq!(stats_in_pieces(input, size), whole, "pieces of {size}");
    }
}

#[test]
fn reset_starts_a_new_stream_at_offset_zero() {
    let mut decoder = Decoder::new();
    let _ = decoder.feed(b"{\"a\":1}\r\n{\"b\"").count();
    decoder.reset();
    assert_eq!(decoder.pending_len(), 0);
    assert_eq!(decoder.position(), 0);
    assert_eq!(decoder.stats(), DecoderStats::default());
    let offsets: Vec<_> = decoder.feed(b"{}").map(|r| r.unwrap().offset()).collect();
    assert_eq!(offsets, [0]);
}

#[test]
fn stats_framing_is_not_counted_twice_after_an_early_drop() {
    let mut decoder = Decoder::new();
    let _ = decoder.feed(b"{}{\"b\"").count();
    // A record's delimiter is counted when the record ends.
    assert_eq!(decoder.stats().framing.concatenated, 0);
    drop(decoder.feed(b":1}"));
    let offsets: Vec<_> = decoder.feed(&[]).map(|r| r.unwrap().offset()).collect();
    assert_eq!(offsets, [2]);
    assert_eq!(decoder.stats().records, 2);
    assert_eq!(
        decoder.stats().framing.concatenated,
        1,
        "one `}}{{` in the stream"
    );
}

#[test]
fn finish_after_a_cut_too_deep_record_reports_what_arrived() {
    let mut decoder = Decoder::with_config(Config::default().max_depth(4));
    let input = b"{\"a\":[[[[[";
    // The record is held while it is open (it may have swallowed records to read again), so
    // its depth error comes when it ends: here, cut off by the end of the stream.
    assert_eq!(decoder.feed(input).count(), 0);
    let last: Vec<_> = decoder
        .finish()
        .map(|i| i.map(|_| ()).unwrap_err())
        .map(|e| (e.offset(), e.kind().clone()))
        .collect();
    assert_eq!(
        last,
        [
            (8, ErrorKind::TooDeep { limit: 4 }),
            (
                0,
                ErrorKind::Truncated {
                    len: input.len() as u64
                }
            )
        ]
    );
}
