//! `pullstream::http::ResponseDecoder` over whole responses split at every byte.

use pullstream::http::{HttpError, HttpErrorKind, ResponseDecoder};

/// What decoding a response gave.
#[derive(Debug, PartialEq)]
struct Decoded {
    status: Option<u16>,
    chunked: bool,
    body: Vec<u8>,
    /// Bytes left over after the end of the response.
    rest: usize,
    result: Result<(), HttpError>,
}

/// Feeds `pieces` in order the way a socket reader would, then `finish`.
fn decode(pieces: &[&[u8]]) -> Decoded {
    let mut http = ResponseDecoder::new();
    let mut body = Vec::new();
    let mut rest = 0;
    let mut heads = 0;
    let mut result = Ok(());
    'outer: for piece in pieces {
        let mut input = *piece;
        if http.is_complete() {
            rest += input.len();
            continue;
        }
        while !input.is_empty() {
            match http.feed(input, |slice| body.extend_from_slice(slice)) {
                Ok(report) => {
                    input = &input[report.consumed..];
                    if report.head {
                        heads += 1;
                        // The head is known before any body is handed out.
                        assert!(http.status().is_some());
                    }
                    if report.complete {
                        rest += input.len();
                        break;
                    }
                }
                Err(error) => {
                    result = Err(error);
                    break 'outer;
                }
            }
        }
    }
    if result.is_ok() {
        result = http.finish();
        assert!(heads <= 1, "head reported {heads} times");
    }
    Decoded {
        status: http.status(),
        chunked: http.is_chunked(),
        body,
        rest,
        result,
    }
}

/// Decodes whole, byte by byte, and split at every point; all must agree. Returns the result.
fn decode_everywhere(wire: &[u8]) -> Decoded {
    let whole = decode(&[wire]);
    let bytes: Vec<&[u8]> = wire.chunks(1).collect();
    assert_eq!(decode(&bytes), whole, "byte by byte");
    for cut in 0..=wire.len() {
        let (a, b) = wire.split_at(cut);
        assert_eq!(decode(&[a, b]), whole, "split at {cut}");
    }
    for cut in (0..wire.len()).step_by(3) {
        let end = (cut + 5).min(wire.len());
        let got = decode(&[&wire[..cut], &wire[cut..end], &wire[end..]]);
        assert_eq!(got, whole, "split at {cut} and {end}");
    }
    whole
}

const RECORDS: &[u8] = b"{\"status\":\"Pulling from library/alpine\",\"id\":\"3.20\"}\r\n\
{\"status\":\"Digest: sha256:00\"}\r\n\
{\"status\":\"Status: Image is up to date for alpine:3.20\"}\r\n";

/// Chunked framing of `body` with the given chunk sizes (cycled), extensions on odd chunks.
fn chunked(head: &str, body: &[u8], sizes: &[usize], newline: &str) -> Vec<u8> {
    let mut out = head.replace("\r\n", newline).into_bytes();
    let mut k = 0;
    let mut rest = body;
    while !rest.is_empty() {
        let n = sizes[k % sizes.len()].min(rest.len());
        if k % 2 == 1 {
            out.extend_from_slice(format!("{n:X};name=\"v;x\"{newline}").as_bytes());
        } else {
            out.extend_from_slice(format!("{n:x}{newline}").as_bytes());
        }
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(newline.as_bytes());
        rest = &rest[n..];
        k += 1;
    }
    out.extend_from_slice(format!("0{newline}").as_bytes());
    out
}

const CHUNKED_HEAD: &str = "HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\n\
Content-Type: application/json\r\nDocker-Experimental: false\r\nOstype: linux\r\n\
Server: Docker/24.0.7 (linux)\r\nDate: Wed, 06 Feb 2019 16:53:19 GMT\r\n\
Transfer-Encoding: chunked\r\n\r\n";

#[test]
fn chunked_with_extensions_and_trailers() {
    let mut wire = chunked(CHUNKED_HEAD, RECORDS, &[57, 1, 30, 200], "\r\n");
    wire.extend_from_slice(b"X-Trailer: yes\r\nAnother: one\r\n\r\n");
    let got = decode_everywhere(&wire);
    assert_eq!(got.result, Ok(()));
    assert_eq!(got.status, Some(200));
    assert!(got.chunked);
    assert_eq!(got.body, RECORDS);
    assert_eq!(got.rest, 0);
}

#[test]
fn chunked_with_bare_lf() {
    let mut wire = chunked(CHUNKED_HEAD, RECORDS, &[10, 77], "\n");
    wire.extend_from_slice(b"\n");
    let got = decode_everywhere(&wire);
    assert_eq!(got.result, Ok(()));
    assert_eq!(got.body, RECORDS);
}

#[test]
fn chunked_as_seen_in_a_telnet_session() {
    // The exchange in the seed transcript: hex sizes, one record per chunk, `0` at the end.
    let wire = b"HTTP/1.1 200 OK\r\nApi-Version: 1.39\r\nContent-Type: application/json\r\n\
Transfer-Encoding: chunked\r\n\r\n\
39\r\n{\"status\":\"Pulling from jenkins/jenkins\",\"id\":\"latest\"}\r\n\r\n\
0\r\n\r\n";
    let got = decode_everywhere(wire);
    assert_eq!(got.result, Ok(()));
    assert_eq!(
        got.body,
        b"{\"status\":\"Pulling from jenkins/jenkins\",\"id\":\"latest\"}\r\n"
    );
}

#[test]
fn chunked_ending_after_the_zero_chunk_is_accepted() {
    let wire = chunked(CHUNKED_HEAD, RECORDS, &[64], "\r\n");
    let got = decode_everywhere(&wire);
    assert_eq!(got.result, Ok(()));
    assert_eq!(got.body, RECORDS);
}

#[test]
fn identity_with_content_length_leaves_what_follows() {
    let mut wire = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        RECORDS.len()
    )
    .into_bytes();
    wire.extend_from_slice(RECORDS);
    wire.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    let got = decode_everywhere(&wire);
    assert_eq!(got.result, Ok(()));
    assert!(!got.chunked);
    assert_eq!(got.body, RECORDS);
    assert_eq!(got.rest, 17);
}

#[test]
fn identity_until_eof() {
    let mut wire = b"HTTP/1.0 200 OK\nContent-Type: application/json\n\n".to_vec();
    wire.extend_from_slice(RECORDS);
    let got = decode_everywhere(&wire);
    assert_eq!(got.result, Ok(()));
    assert_eq!(got.body, RECORDS);
}

#[test]
fn not_found_with_a_json_message() {
    let body = b"{\"message\":\"pull access denied for nope, repository does not exist\"}\n";
    let mut wire = format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    wire.extend_from_slice(body);
    let got = decode_everywhere(&wire);
    assert_eq!(got.result, Ok(()));
    assert_eq!(got.status, Some(404));
    assert_eq!(got.body, body);
}

#[test]
fn bad_gateway_with_html() {
    let wire = b"HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Type: text/html\r\n\
Content-Length: 52\r\n\r\n<html><body><h1>502 Bad Gateway</h1></body></html>\r\n";
    let got = decode_everywhere(wire);
    assert_eq!(got.result, Ok(()));
    assert_eq!(got.status, Some(502));
    assert!(got.body.starts_with(b"<html>"));
}

#[test]
fn interim_continue_is_skipped() {
    let mut wire = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
    wire.extend_from_slice(&chunked(CHUNKED_HEAD, RECORDS, &[40], "\r\n"));
    wire.extend_from_slice(b"\r\n");
    let got = decode_everywhere(&wire);
    assert_eq!(got.result, Ok(()));
    assert_eq!(got.status, Some(200));
    assert_eq!(got.body, RECORDS);
}

fn error_of(wire: &[u8]) -> HttpError {
    decode_everywhere(wire).result.unwrap_err()
}

#[test]
fn bad_chunk_size_is_reported_where_it_is() {
    let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (bad, at) in [("zz\r\n", 0), ("\r\n", 0), ("1 2\r\n", 2), ("-4\r\n", 0)] {
        let wire = format!("{head}5\r\n{{\"a\"}}\r\n{bad}");
        let error = error_of(wire.as_bytes());
        assert_eq!(error.kind(), HttpErrorKind::BadChunkSize, "{bad:?}");
        assert_eq!(error.offset(), (head.len() + 10 + at) as u64, "{bad:?}");
        assert!(error.to_string().starts_with("byte "));
    }
    let huge = format!("{head}fffffffffffffffff\r\n");
    assert_eq!(
        error_of(huge.as_bytes()).kind(),
        HttpErrorKind::BadChunkSize
    );
    let long = format!("{head}1;{}\r\n", "x".repeat(5000));
    assert!(matches!(
        error_of(long.as_bytes()).kind(),
        HttpErrorKind::ChunkLineTooLong { .. }
    ));
    let no_crlf = format!("{head}2\r\n{{}}X");
    let error = error_of(no_crlf.as_bytes());
    assert_eq!(error.kind(), HttpErrorKind::MissingChunkDelimiter);
    assert_eq!(error.offset(), (head.len() + 5) as u64);
}

#[test]
fn truncated_body_and_head() {
    let wire = chunked(CHUNKED_HEAD, RECORDS, &[64], "\r\n");
    // Cut before the `0` chunk.
    let cut = &wire[..wire.len() - 3];
    let error = error_of(cut);
    assert_eq!(error.kind(), HttpErrorKind::TruncatedBody);
    assert!(error.is_truncation());
    assert_eq!(error.offset(), cut.len() as u64);
    let short = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}";
    assert_eq!(error_of(short).kind(), HttpErrorKind::TruncatedBody);
    let head = b"HTTP/1.1 200 OK\r\nContent-Le";
    assert_eq!(error_of(head).kind(), HttpErrorKind::TruncatedHead);
    assert_eq!(error_of(b"").kind(), HttpErrorKind::TruncatedHead);
}

#[test]
fn malformed_heads() {
    assert_eq!(error_of(RECORDS).kind(), HttpErrorKind::BadStatusLine);
    assert_eq!(error_of(RECORDS).offset(), 0);
    assert_eq!(
        error_of(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").kind(),
        HttpErrorKind::BadHeader
    );
    let bad_length = b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n";
    let error = error_of(bad_length);
    assert_eq!(error.kind(), HttpErrorKind::BadContentLength);
    assert_eq!(error.offset(), 17);
    let gzip = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
    assert_eq!(
        error_of(gzip).kind(),
        HttpErrorKind::UnsupportedTransferEncoding
    );
}

#[test]
fn head_size_is_bounded() {
    let mut wire = b"HTTP/1.1 200 OK\r\n".to_vec();
    for k in 0..5000 {
        wire.extend_from_slice(format!("X-Header-{k}: some value\r\n").as_bytes());
    }
    let mut http = ResponseDecoder::new();
    let error = http.feed(&wire, |_| {}).unwrap_err();
    assert_eq!(
        error.kind(),
        HttpErrorKind::HeadTooLarge {
            limit: pullstream::http::DEFAULT_MAX_HEAD_LEN
        }
    );
    assert_eq!(
        error.offset(),
        pullstream::http::DEFAULT_MAX_HEAD_LEN as u64
    );
    // Errors are sticky.
    assert_eq!(http.feed(b"more", |_| {}).unwrap_err(), error);
    assert_eq!(http.finish().unwrap_err(), error);
}

#[test]
fn body_slices_borrow_the_input() {
    let wire = chunked(CHUNKED_HEAD, RECORDS, &[1000], "\r\n");
    let mut http = ResponseDecoder::new();
    let range = wire.as_ptr_range();
    let mut slices = 0;
    http.feed_all(&wire, |slice| {
        assert!(range.contains(&slice.as_ptr()));
        slices += 1;
    })
    .unwrap();
    assert_eq!(slices, 1);
    assert_eq!(http.body_len(), RECORDS.len() as u64);
}

// --- How the body ended feeds the verdict -------------------------------------------------

use std::ops::ControlFlow;
use std::path::Path;

use pullstream::http::starts_like_response;
use pullstream::pipeline::Pipeline;
use pullstream::summary::Summary;

/// The fixtures (`name`, stream, expected `outcome`).
fn fixtures() -> Vec<(String, Vec<u8>, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "stream") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let expect: serde_json::Value = serde_json::from_slice(
                &std::fs::read(dir.join(format!("{name}.expect.json"))).unwrap(),
            )
            .unwrap();
            let outcome = expect["outcome"].as_str().unwrap().to_string();
            out.push((name, std::fs::read(&path).unwrap(), outcome));
        }
    }
    out.sort();
    out
}

/// The ways a connection cuts a response body short.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// Every chunk arrives, the terminating `0` chunk does not.
    NoZeroChunk,
    /// The connection closes inside a chunk that announced more than arrived.
    InsideChunk,
    /// An identity body shorter than its `Content-Length`.
    ShortIdentity,
    /// Every chunk arrives, then a mangled line where the `0` chunk is due (`zz`).
    BadZeroChunkLine,
    /// Every chunk arrives, but the last one's data is not followed by its line ending.
    MissingChunkDelimiter,
}

/// The cuts the connection makes by closing early: `finish` finds them.
const CLOSE_CUTS: [Cut; 3] = [Cut::NoZeroChunk, Cut::InsideChunk, Cut::ShortIdentity];
/// Every cut, also those where the framing breaks after the body began: the body ends there.
const CUTS: [Cut; 5] = [
    Cut::NoZeroChunk,
    Cut::InsideChunk,
    Cut::ShortIdentity,
    Cut::BadZeroChunkLine,
    Cut::MissingChunkDelimiter,
];

/// A `status` response carrying `body`, cut short the way `cut` says (or whole with `None`).
fn response(status: &str, body: &[u8], cut: Option<Cut>) -> Vec<u8> {
    let mut wire = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\n").into_bytes();
    match cut {
        Some(Cut::ShortIdentity) => {
            let promised = body.len() + 17;
            wire.extend_from_slice(format!("Content-Length: {promised}\r\n\r\n").as_bytes());
            wire.extend_from_slice(body);
        }
        Some(Cut::InsideChunk) => {
            wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            // The whole body, then the chunk breaks off 40 bytes before the size it announced.
            wire.extend_from_slice(format!("{:x}\r\n", body.len() + 40).as_bytes());
            wire.extend_from_slice(body);
        }
        Some(Cut::NoZeroChunk | Cut::BadZeroChunkLine | Cut::MissingChunkDelimiter) | None => {
            wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            for piece in body.chunks(97) {
                wire.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                wire.extend_from_slice(piece);
                wire.extend_from_slice(b"\r\n");
            }
            match cut {
                None => wire.extend_from_slice(b"0\r\n\r\n"),
                Some(Cut::BadZeroChunkLine) => wire.extend_from_slice(b"zz\r\n\r\n"),
                Some(Cut::MissingChunkDelimiter) => {
                    wire.truncate(wire.len() - 2);
                    wire.extend_from_slice(b"XX0\r\n\r\n");
                }
                _ => {}
            }
        }
    }
    wire
}

/// Decodes `wire` the way a socket reader with a pipeline would, `read` bytes at a time: the
/// body goes to the pipeline, and a success response whose body was cut short is told to it.
/// A framing error stops the reading, as it would stop a client.
fn verdict_over_http(wire: &[u8], read: usize) -> Summary {
    let mut http = ResponseDecoder::new();
    let mut pipeline = Pipeline::new();
    for piece in wire.chunks(read) {
        let fed = http.feed_all(piece, |body| {
            let _ = pipeline.feed(body, 0, |_| ControlFlow::Continue(()));
        });
        if fed.is_err() {
            break;
        }
    }
    let _ = http.finish();
    if http.is_success() && http.is_body_truncated() {
        pipeline.note_truncated_body();
    }
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    pipeline.summary()
}

#[test]
fn a_success_body_cut_short_is_a_truncated_stream() {
    let mut successes = 0;
    for (name, stream, outcome) in fixtures() {
        if outcome != "success" {
            continue;
        }
        successes += 1;
        for read in [1, 7, usize::MAX] {
            // Whole, the response gives the fixture's own verdict: the cut is what changes it.
            let whole = verdict_over_http(&response("200 OK", &stream, None), read);
            assert_eq!(
                whole.outcome.name(),
                "success",
                "{name} whole, reads of {read}"
            );
            for cut in CUTS {
                let got = verdict_over_http(&response("200 OK", &stream, Some(cut)), read);
                let what = format!("{name}, {cut:?}, reads of {read}: {}", got.to_json());
                assert_eq!(got.outcome.name(), "incomplete", "{what}");
                assert_eq!(
                    got.incomplete_reason.map(|reason| reason.name()),
                    Some("truncated_body"),
                    "{what}"
                );
                assert_eq!(got.exit_code(), 2, "{what}");
                assert_eq!(got.result, None, "{what}");
                // Everything that arrived was still decoded.
                assert_eq!(got.records, whole.records, "{what}");
                assert_eq!(got.malformed_records, whole.malformed_records, "{what}");
            }
        }
    }
    // Among them the dialects whose success is inferred from a clean end of stream.
    assert!(successes >= 10, "{successes} successful fixtures");
}

#[test]
fn a_cut_inside_a_record_is_still_a_truncated_body_and_not_a_malformed_stretch() {
    let (_, stream, _) = fixtures()
        .into_iter()
        .find(|(name, _, _)| name == "pull_containerd_docker24")
        .unwrap();
    // Cut 10 bytes into the last record, inside a chunk that announced the whole body.
    let cut = stream.len() - 40;
    let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    wire.extend_from_slice(format!("{:x}\r\n", stream.len()).as_bytes());
    wire.extend_from_slice(&stream[..cut]);
    let got = verdict_over_http(&wire, 7);
    assert_eq!(
        got.incomplete_reason.map(|reason| reason.name()),
        Some("truncated_body"),
        "{}",
        got.to_json()
    );
    assert_eq!(
        got.malformed_records, 0,
        "the cut record is the truncation, not garbage"
    );
}

#[test]
fn an_error_response_or_a_daemon_error_keeps_its_verdict() {
    // A failed stream cut short stays failed: the daemon's error is the verdict.
    for (name, stream, outcome) in fixtures() {
        if outcome != "failed" {
            continue;
        }
        for cut in CUTS {
            let got = verdict_over_http(&response("200 OK", &stream, Some(cut)), 7);
            assert_eq!(got.outcome.name(), "failed", "{name}, {cut:?}");
            assert_eq!(got.exit_code(), 1, "{name}, {cut:?}");
        }
    }
    // A 404 whose body was cut short is not a cut progress stream: it keeps the verdict its
    // JSON message gives, as before.
    let message = b"{\"message\":\"manifest unknown: nope\"}\r\n";
    for cut in [Cut::ShortIdentity, Cut::NoZeroChunk] {
        let got = verdict_over_http(&response("404 Not Found", message, Some(cut)), 3);
        assert_eq!(got.outcome.name(), "failed", "{cut:?}");
        assert_eq!(got.error.as_ref().unwrap().kind.name(), "not_found");
    }
    // Cut inside the message: no error record, and still not called a truncated stream.
    let got = verdict_over_http(
        &response("404 Not Found", &message[..20], Some(Cut::ShortIdentity)),
        3,
    );
    assert_eq!(
        got.incomplete_reason.map(|reason| reason.name()),
        Some("cut_mid_record"),
        "{}",
        got.to_json()
    );
}

#[test]
fn is_body_truncated_only_after_a_body_cut_short() {
    let whole = response("200 OK", RECORDS, None);
    let mut http = ResponseDecoder::new();
    http.feed_all(&whole, |_| {}).unwrap();
    http.finish().unwrap();
    assert!(!http.is_body_truncated());
    for cut in CLOSE_CUTS {
        let mut http = ResponseDecoder::new();
        http.feed_all(&response("200 OK", RECORDS, Some(cut)), |_| {})
            .unwrap();
        assert!(!http.is_body_truncated(), "{cut:?}: not before finish");
        assert_eq!(
            http.finish().unwrap_err().kind(),
            HttpErrorKind::TruncatedBody
        );
        assert!(http.is_body_truncated(), "{cut:?}");
    }
    // Framing that breaks once the body began ends the body there: it is cut at once.
    for (cut, kind) in [
        (Cut::BadZeroChunkLine, HttpErrorKind::BadChunkSize),
        (
            Cut::MissingChunkDelimiter,
            HttpErrorKind::MissingChunkDelimiter,
        ),
    ] {
        let mut http = ResponseDecoder::new();
        let error = http.feed_all(&response("200 OK", RECORDS, Some(cut)), |_| {});
        assert_eq!(error.unwrap_err().kind(), kind, "{cut:?}");
        assert!(http.is_body_truncated(), "{cut:?}");
        assert_eq!(http.finish().unwrap_err().kind(), kind, "{cut:?}");
        assert!(http.is_body_truncated(), "{cut:?}");
    }
    // Before any body byte it is a broken response, not a cut stream.
    let mut http = ResponseDecoder::new();
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    assert!(http.feed_all(head, |_| {}).is_err());
    assert!(!http.is_body_truncated());
    // A cut head is not a cut body; a body that runs to the end of the connection cannot be cut.
    let mut http = ResponseDecoder::new();
    http.feed_all(b"HTTP/1.1 200 OK\r\nContent-", |_| {})
        .unwrap();
    assert_eq!(
        http.finish().unwrap_err().kind(),
        HttpErrorKind::TruncatedHead
    );
    assert!(!http.is_body_truncated());
    let mut http = ResponseDecoder::new();
    http.feed_all(b"HTTP/1.1 200 OK\r\n\r\n{\"status\":\"Pull", |_| {})
        .unwrap();
    http.finish().unwrap();
    assert!(!http.is_body_truncated());
}

#[test]
fn a_body_dechunked_already_is_read_as_it_is() {
    // What `curl -si` (without `--raw`) writes: the head says chunked, the body is not.
    let mut wire = CHUNKED_HEAD.as_bytes().to_vec();
    wire.extend_from_slice(RECORDS);
    let got = decode_everywhere(&wire);
    assert_eq!(got.body, RECORDS);
    assert_eq!(got.result, Ok(()));
    assert!(got.chunked);
    let mut http = ResponseDecoder::new();
    http.feed_all(&wire, |_| {}).unwrap();
    assert!(http.is_body_already_dechunked());
    // Only at the very start of the body: a `{` where a later chunk size is due is an error.
    let mut late = chunked(CHUNKED_HEAD, RECORDS, &[30], "\r\n");
    late.truncate(late.len() - 3); // the `0` chunk
    late.extend_from_slice(b"{\"status\":\"x\"}\r\n");
    assert_eq!(error_of(&late).kind(), HttpErrorKind::BadChunkSize);
    // A real chunked body is not mistaken for one.
    let mut http = ResponseDecoder::new();
    http.feed_all(&chunked(CHUNKED_HEAD, RECORDS, &[30], "\r\n"), |_| {})
        .unwrap();
    assert!(!http.is_body_already_dechunked());
}

#[test]
fn raw_responses_are_told_from_bodies_by_their_first_bytes() {
    let cases: &[(&[u8], Option<bool>)] = &[
        (b"", None),
        (b"H", None),
        (b"HTTP/1", None),
        (b"HTTP/1.", Some(true)),
        (b"HTTP/1.1 200 OK\r\n", Some(true)),
        (b"HTTP/1.0 404 Not Found\r\n", Some(true)),
        (b"HTTP/2 200\r\n", Some(false)),
        (b"http/1.1 200 OK", Some(false)),
        (b"{\"status\":\"Pulling fs layer\"}", Some(false)),
        (b" HTTP/1.1", Some(false)),
        (b"HTTX", Some(false)),
    ];
    for (input, want) in cases {
        assert_eq!(
            starts_like_response(input),
            *want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn input_that_is_not_a_progress_stream_says_so() {
    let summary = |input: &[u8], read: usize| {
        let mut pipeline = Pipeline::new();
        for piece in input.chunks(read) {
            let _ = pipeline.feed(piece, 0, |_| ControlFlow::Continue(()));
        }
        let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
        pipeline.summary()
    };
    let readme = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let not_a_stream: &[(&str, &[u8])] = &[
        ("README.md", &readme),
        ("HTML", b"<html><body>502 Bad Gateway</body></html>\n"),
        // JSON, but no record has a field of the progress vocabulary.
        (
            "docker inspect",
            b"[\n  {\n    \"Id\": \"sha256:00\",\n    \"RepoTags\": []\n  }\n]\n",
        ),
        (
            "garbage then an object with no known field",
            b"# notes\n{\"outcome\":\"failed\"}\n",
        ),
        ("binary", b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe"),
    ];
    for (what, input) in not_a_stream {
        for read in [1, 7, usize::MAX] {
            let got = summary(input, read);
            assert_eq!(
                got.incomplete_reason.map(|reason| reason.name()),
                Some("not_a_progress_stream"),
                "{what}: {}",
                got.to_json()
            );
            assert_eq!(got.exit_code(), 3, "{what}");
        }
    }
    let cut_or_empty: &[(&str, &[u8], &str)] = &[
        ("empty", b"", "empty_stream"),
        ("white space", b"\r\n \n", "empty_stream"),
        // A stream cut a few bytes in is a cut stream, not something else.
        (
            "cut first record",
            b"{\"status\":\"Pulling from libr",
            "cut_mid_record",
        ),
        // Unknown objects with nothing undecodable: perhaps a stream this crate does not know.
        (
            "objects, no garbage",
            b"{\"outcome\":\"failed\"}\n{}\n",
            "no_terminal_status",
        ),
        // One record of the vocabulary among garbage: a progress stream with noise.
        (
            "garbage and a record",
            b"<html>\n{\"status\":\"Pulling fs layer\",\"id\":\"a\"}\n",
            "no_terminal_status",
        ),
    ];
    for (what, input, reason) in cut_or_empty {
        let got = summary(input, 3);
        assert_eq!(
            got.incomplete_reason.map(|reason| reason.name()),
            Some(*reason),
            "{what}: {}",
            got.to_json()
        );
        assert_eq!(got.exit_code(), 2, "{what}");
    }
    // A daemon error is a verdict even with nothing else: an HTTP error body.
    let got = summary(b"garbage {\"message\":\"No such image: x\"}", 5);
    assert_eq!(
        (got.outcome.name(), got.exit_code()),
        ("failed", 1),
        "{}",
        got.to_json()
    );
}
