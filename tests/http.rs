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
                Ok(progress) => {
                    input = &input[progress.consumed..];
                    if progress.head {
                        heads += 1;
                        // The head is known before any body is handed out.
                        assert!(http.status().is_some());
                    }
                    if progress.complete {
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
