//! Every fixture at every chunk size: feeding a stream whole or in pieces of any size must give
//! the same items (same offsets, same bytes, same parsed messages, same errors).

mod common;

use common::{log_chunked, log_whole, log_with_early_drops, random_pieces, Rng};
use pullstream::{Config, Decoder, ErrorKind};

/// What one item of a fixture should be.
#[derive(Debug)]
enum Exp {
    /// A record with exactly these bytes.
    Rec(&'static str),
    /// An error of this kind.
    Err(ErrorKind),
}

use Exp::{Err as E, Rec};

/// One hand-written stream and the items it must produce, with hand-computed offsets.
struct Fixture {
    name: &'static str,
    input: Vec<u8>,
    expected: Vec<(u64, Exp)>,
}

// Realistic pull records and the awkward shapes, each a valid JSON object on its own.
const R1: &str = r#"{"status":"Pulling from library/alpine","id":"latest"}"#;
const R2: &str = r#"{"status":"Pulling fs layer","progressDetail":{},"id":"a1b2c3d4e5f6"}"#;
const R3: &str = r#"{"status":"Downloading","progressDetail":{"current":1048576,"total":3623807},"progress":"[==============\u003e                                    ]  1.049MB/3.624MB","id":"a1b2c3d4e5f6"}"#;
const R4: &str = r#"{}"#;
const R5: &str = r#"{"errorDetail":{"message":"manifest for alpine:nope not found: manifest unknown"},"error":"manifest for alpine:nope not found: manifest unknown"}"#;
const R6: &str = r#"{"aux":{"ID":"sha256:4048db5d3672"}}"#;
const R7: &str = r#"{"aux":[{"Tag":"v1"},[],"x",1.5,null,true]}"#;
const R8: &str = r#"{"aux":"eyJhIjoxfQ=="}"#;
const R9: &str = r#"{"status":"br{ac}es [and] ]\"[ \\\" \\\\\" \\\\\\\"}{ end","id":"\\"}"#;
const R10: &str = r#"{"status":"Extracting é 日本 🐳","id":"ü","progressDetail":{"current":3,"total":10,"units":"s","hidecounts":true}}"#;
const R11: &str = r#"{"stream":"Step 1/2 : FROM alpine\n"}"#;
const PULL: [&str; 11] = [R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11];

/// The pull records joined with `sep` after each one (or run together when `sep` is empty).
fn framed(records: &[&str], sep: &str) -> Vec<u8> {
    let mut out = String::new();
    for record in records {
        out.push_str(record);
        out.push_str(sep);
    }
    out.into_bytes()
}

fn pull_expected(offsets: [u64; 11]) -> Vec<(u64, Exp)> {
    offsets
        .into_iter()
        .zip(PULL)
        .map(|(o, r)| (o, Rec(r)))
        .collect()
}

const LINE_BREAK: ErrorKind = ErrorKind::Unterminated {
    reason: "line break inside a string",
};
const MISPLACED_STRING: ErrorKind = ErrorKind::Unterminated {
    reason: "a string where none may stand",
};
const NEW_RECORD: ErrorKind = ErrorKind::Unterminated {
    reason: "a new record began before this one closed",
};

fn not_json(byte: u8) -> Exp {
    E(ErrorKind::NotJson { byte })
}

fn syntax(reason: &'static str) -> Exp {
    E(ErrorKind::Syntax { reason })
}

/// Records that frame but do not read: invalid JSON is reported and dropped; valid JSON with a
/// field of the wrong type or a repeated key is delivered (the field reads as absent, the last
/// copy wins) and the oddity is reported right after it.
fn invalid_expected(base: [u64; 8]) -> Vec<(u64, Exp)> {
    vec![
        (base[0] + 10, syntax("expected a value")),
        (base[1], Rec(r#"{"status":"ok"}"#)),
        (base[2] + 5, syntax("invalid literal")),
        (base[3], Rec(r#"{"progressDetail":{"current":"12"}}"#)),
        (
            base[3] + 29,
            E(ErrorKind::WrongType {
                field: "current",
                expected: "an integer",
            }),
        ),
        (base[4], Rec(r#"{"status":"a","status":"b"}"#)),
        (
            base[4] + 23,
            E(ErrorKind::DuplicateField { field: "status" }),
        ),
        (base[5] + 5, syntax("expected ':'")),
        (base[6] + 12, syntax("invalid \\u escape")),
        (base[7] + 7, syntax("expected a key")),
    ]
}

const INVALID: [&str; 8] = [
    r#"{"status":}"#,
    r#"{"status":"ok"}"#,
    r#"{"a":tru}"#,
    r#"{"progressDetail":{"current":"12"}}"#,
    r#"{"status":"a","status":"b"}"#,
    r#"{"a" 1}"#,
    r#"{"status":"a\u12"}"#,
    r#"{"a":1,}"#,
];

fn fixtures() -> Vec<Fixture> {
    vec![
        Fixture {
            name: "pull, concatenated",
            input: framed(&PULL, ""),
            expected: pull_expected([0, 54, 123, 309, 311, 456, 492, 535, 557, 626, 746]),
        },
        Fixture {
            name: "pull, crlf",
            input: framed(&PULL, "\r\n"),
            expected: pull_expected([0, 56, 127, 315, 319, 466, 504, 549, 573, 644, 766]),
        },
        Fixture {
            name: "pull, lf",
            input: framed(&PULL, "\n"),
            expected: pull_expected([0, 55, 125, 312, 315, 461, 498, 542, 565, 635, 756]),
        },
        Fixture {
            name: "garbage, crlf",
            input: b"<html><body><h1>502 Bad Gateway</h1></body></html>\r\n{\"status\":\"a\"}\r\n]\r\n\0{\"status\":\"b\"}\r\nplain text line\r\n{\"status\":\"c\"}\r\n\tnull\r\n[1,2]\r\n{\"status\":\"d\"}\r\n".to_vec(),
            expected: vec![
                (0, not_json(b'<')),
                (52, Rec(r#"{"status":"a"}"#)),
                (68, not_json(b']')),
                (71, not_json(0)),
                (72, Rec(r#"{"status":"b"}"#)),
                (88, not_json(b'p')),
                (105, Rec(r#"{"status":"c"}"#)),
                (122, not_json(b'n')),
                (128, not_json(b'[')),
                (135, Rec(r#"{"status":"d"}"#)),
            ],
        },
        Fixture {
            name: "garbage, lf",
            input: b"<html><body><h1>502 Bad Gateway</h1></body></html>\n{\"status\":\"a\"}\n]\n\0{\"status\":\"b\"}\nplain text line\n{\"status\":\"c\"}\n\tnull\n[1,2]\n{\"status\":\"d\"}\n".to_vec(),
            expected: vec![
                (0, not_json(b'<')),
                (51, Rec(r#"{"status":"a"}"#)),
                (66, not_json(b']')),
                (68, not_json(0)),
                (69, Rec(r#"{"status":"b"}"#)),
                (84, not_json(b'p')),
                (100, Rec(r#"{"status":"c"}"#)),
                (116, not_json(b'n')),
                (121, not_json(b'[')),
                (127, Rec(r#"{"status":"d"}"#)),
            ],
        },
        Fixture {
            name: "garbage, concatenated",
            input: b"{\"status\":\"a\"}]{\"status\":\"b\"}\0{\"status\":\"c\"}x y z{\"status\":\"d\"}".to_vec(),
            expected: vec![
                (0, Rec(r#"{"status":"a"}"#)),
                (14, not_json(b']')),
                (15, Rec(r#"{"status":"b"}"#)),
                (29, not_json(0)),
                (30, Rec(r#"{"status":"c"}"#)),
                (44, not_json(b'x')),
                (49, Rec(r#"{"status":"d"}"#)),
            ],
        },
        Fixture {
            name: "invalid records that frame, concatenated",
            input: framed(&INVALID, ""),
            expected: invalid_expected([0, 11, 26, 35, 70, 97, 104, 122]),
        },
        Fixture {
            name: "invalid records that frame, crlf",
            input: framed(&INVALID, "\r\n"),
            expected: invalid_expected([0, 13, 30, 41, 78, 107, 116, 136]),
        },
        Fixture {
            name: "invalid records that frame, lf",
            input: framed(&INVALID, "\n"),
            expected: invalid_expected([0, 12, 28, 38, 74, 102, 110, 129]),
        },
        Fixture {
            name: "invalid UTF-8 and a control character",
            input: b"{\"status\":\"\xff\"}\r\n{\"status\":\"a\x01b\"}\r\n{\"status\":\"ok\"}".to_vec(),
            expected: vec![
                (11, syntax("invalid UTF-8")),
                (28, syntax("control character in string")),
                (34, Rec(r#"{"status":"ok"}"#)),
            ],
        },
        Fixture {
            name: "cut records, crlf",
            input: b"{\"status\":\"Downlo\r\n{\"status\":\"ok\"}\r\n{\"a\":1\r\n{\"b\":2}\r\n".to_vec(),
            expected: vec![
                (18, E(LINE_BREAK)),
                (19, Rec(r#"{"status":"ok"}"#)),
                (44, E(NEW_RECORD)),
                (44, Rec(r#"{"b":2}"#)),
            ],
        },
        Fixture {
            name: "cut records, lf",
            input: b"{\"status\":\"Downlo\n{\"status\":\"ok\"}\n{\"a\":1\n{\"b\":2}\n".to_vec(),
            expected: vec![
                (17, E(LINE_BREAK)),
                (18, Rec(r#"{"status":"ok"}"#)),
                (41, E(NEW_RECORD)),
                (41, Rec(r#"{"b":2}"#)),
            ],
        },
        Fixture {
            // Without line breaks a record cut inside a string reads the next record's quotes
            // the wrong way round; the first string where none may stand shows it, and the
            // record it swallowed is read again from its `{`.
            name: "cut records, concatenated",
            input: br#"{"a":1{"b":2}{"status":"x"{"status":"ok"}{"status":"Downlo{"status":"ok"}"#.to_vec(),
            expected: vec![
                (6, E(NEW_RECORD)),
                (6, Rec(r#"{"b":2}"#)),
                (26, E(NEW_RECORD)),
                (26, Rec(r#"{"status":"ok"}"#)),
                (66, E(MISPLACED_STRING)),
                (58, Rec(r#"{"status":"ok"}"#)),
            ],
        },
        Fixture {
            name: "whitespace, tabs and blank lines",
            input: b"  \t\r\n\r\n{\"status\":\"x\"}\n\n\t \r\n  {\"status\":\"y\"}   \t\r\n\r\n{}{} {}\t{}\n \n".to_vec(),
            expected: vec![
                (7, Rec(r#"{"status":"x"}"#)),
                (29, Rec(r#"{"status":"y"}"#)),
                (51, Rec("{}")),
                (53, Rec("{}")),
                (56, Rec("{}")),
                (59, Rec("{}")),
            ],
        },
        Fixture {
            name: "ends inside a record",
            input: br#"{"status":"a"}
{"status":"Downloading","progressDetail":{"cur"#
                .to_vec()
                .into_iter()
                .flat_map(|b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] })
                .collect(),
            expected: vec![
                (0, Rec(r#"{"status":"a"}"#)),
                (16, E(ErrorKind::Truncated { len: 46 })),
            ],
        },
        Fixture {
            name: "ends inside an escape",
            input: br#"{"status":"a\"#.to_vec(),
            expected: vec![(0, E(ErrorKind::Truncated { len: 13 }))],
        },
        Fixture {
            name: "ends in garbage",
            input: b"{\"status\":\"a\"}\r\nHTTP/1.1 502".to_vec(),
            expected: vec![(0, Rec(r#"{"status":"a"}"#)), (16, not_json(b'H'))],
        },
        Fixture {
            name: "only whitespace",
            input: b"\r\n \t\n".to_vec(),
            expected: vec![],
        },
        Fixture {
            name: "empty",
            input: Vec::new(),
            expected: vec![],
        },
    ]
}

/// Checks the whole-buffer feed against the hand-computed items.
fn check_expected(fixture: &Fixture) {
    let mut decoder = Decoder::new();
    let mut got = Vec::new();
    for item in decoder.feed(&fixture.input) {
        got.push(match item {
            Ok(r) => {
                let start = r.offset() as usize;
                assert_eq!(
                    &fixture.input[start..start + r.as_bytes().len()],
                    r.as_bytes(),
                    "{}: record bytes are not the input at its offset",
                    fixture.name
                );
                (r.offset(), Ok(r.as_bytes().to_vec()))
            }
            Err(e) => (e.offset(), Err(e.kind().clone())),
        });
    }
    for item in decoder.finish() {
        let e = item.expect_err("finish yields only errors here");
        got.push((e.offset(), Err(e.kind().clone())));
    }
    let want: Vec<_> = fixture
        .expected
        .iter()
        .map(|(offset, exp)| match exp {
            Rec(text) => (*offset, Ok(text.as_bytes().to_vec())),
            E(kind) => (*offset, Err(kind.clone())),
        })
        .collect();
    assert_eq!(got, want, "fixture {}", fixture.name);
}

#[test]
fn whole_feed_gives_the_hand_computed_items() {
    for fixture in fixtures() {
        check_expected(&fixture);
    }
}

#[test]
fn every_fixture_at_every_chunk_size() {
    let config = Config::default();
    for fixture in fixtures() {
        let whole = log_whole(&config, &fixture.input);
        assert_eq!(
            whole.len(),
            fixture.expected.len(),
            "fixture {}",
            fixture.name
        );
        for size in 1..=fixture.input.len() {
            let chunked = log_chunked(&config, &fixture.input, size);
            assert_eq!(
                chunked, whole,
                "fixture {} in pieces of {size}",
                fixture.name
            );
        }
    }
}

#[test]
fn all_fixtures_as_one_stream_at_every_chunk_size() {
    // The fixtures run together (each ends cleanly after a line break) so that carry-over
    // crosses from one kind of trouble into the next.
    let config = Config::default();
    let mut input = Vec::new();
    for fixture in fixtures() {
        input.extend_from_slice(&fixture.input);
        input.extend_from_slice(b"\r\n");
    }
    let whole = log_whole(&config, &input);
    for size in 1..=input.len() {
        assert_eq!(
            log_chunked(&config, &input, size),
            whole,
            "pieces of {size}"
        );
    }
}

#[test]
fn parsed_fields_of_the_pull_records() {
    let input = framed(&PULL, "\r\n");
    let mut decoder = Decoder::new();
    let records: Vec<_> = decoder.feed(&input).map(|item| item.unwrap()).collect();
    assert_eq!(records.len(), PULL.len());
    let m = |i: usize| *records[i].message();

    assert_eq!(m(0).status.unwrap(), "Pulling from library/alpine");
    assert_eq!(m(0).id.unwrap(), "latest");
    assert!(m(1).progress_detail.unwrap().is_empty());
    let detail = m(2).progress_detail.unwrap();
    assert_eq!(
        (detail.current, detail.total),
        (Some(1048576), Some(3623807))
    );
    let bar = m(2).progress.unwrap();
    assert!(bar.raw().contains(r"\u003e"));
    assert_eq!(
        bar.decode(),
        "[==============>                                    ]  1.049MB/3.624MB"
    );
    assert_eq!(m(3), pullstream::Message::default());
    let error = m(4).error_detail.unwrap();
    assert_eq!(error.code, None);
    assert_eq!(
        error.message.unwrap(),
        "manifest for alpine:nope not found: manifest unknown"
    );
    assert_eq!(
        m(4).error.unwrap(),
        "manifest for alpine:nope not found: manifest unknown"
    );
    assert_eq!(m(5).aux.unwrap().get(), r#"{"ID":"sha256:4048db5d3672"}"#);
    assert_eq!(
        m(6).aux.unwrap().get(),
        r#"[{"Tag":"v1"},[],"x",1.5,null,true]"#
    );
    assert_eq!(m(7).aux.unwrap().as_str().unwrap(), "eyJhIjoxfQ==");
    assert_eq!(
        m(8).status.unwrap().decode(),
        r#"br{ac}es [and] ]"[ \" \\" \\\"}{ end"#
    );
    assert_eq!(m(8).id.unwrap().decode(), "\\");
    assert_eq!(m(9).status.unwrap(), "Extracting é 日本 🐳");
    assert_eq!(m(9).id.unwrap(), "ü");
    let detail = m(9).progress_detail.unwrap();
    assert_eq!(detail.units.unwrap(), "s");
    assert_eq!(detail.hidecounts, Some(true));
    assert_eq!(m(10).stream.unwrap().decode(), "Step 1/2 : FROM alpine\n");
}

/// Every fixture, and all of them run together, fed in random pieces with iterators dropped
/// after at least `min_take` items, must log the same items as one whole feed.
fn check_early_drops(min_take: usize, seeds: u64) {
    let config = Config::default();
    let mut all = Vec::new();
    for fixture in fixtures() {
        all.extend_from_slice(&fixture.input);
        all.extend_from_slice(b"\r\n");
    }
    let mut inputs: Vec<Vec<u8>> = fixtures().into_iter().map(|f| f.input).collect();
    inputs.push(all);
    for (n, input) in inputs.iter().enumerate() {
        let whole = log_whole(&config, input);
        for seed in 0..seeds {
            let mut rng = Rng::new(seed * 1000 + n as u64);
            let max = 1 + rng.below(64);
            let pieces = random_pieces(input, max, &mut rng);
            let got = log_with_early_drops(&config, &pieces, &mut rng, min_take);
            assert_eq!(got, whole, "input {n}, seed {seed}, min_take {min_take}");
        }
    }
}

#[test]
fn iterators_dropped_after_some_items_lose_and_duplicate_nothing() {
    check_early_drops(1, 300);
}

#[test]
fn iterators_dropped_at_any_point_lose_and_duplicate_nothing() {
    check_early_drops(0, 300);
}

#[test]
fn iterator_dropped_before_first_next_keeps_offsets() {
    let mut decoder = Decoder::new();
    let first: Vec<u64> = decoder
        .feed(b"{\"a\":1}\r\n")
        .map(|r| r.unwrap().offset())
        .collect();
    assert_eq!(first, [0]);
    drop(decoder.feed(b"{\"b\":2}"));
    let record = decoder.feed(&[]).next().unwrap().unwrap();
    assert_eq!(record.as_bytes(), b"{\"b\":2}");
    assert_eq!(
        record.offset(),
        9,
        "the record starts at byte 9 of the stream"
    );
}

#[test]
fn iterator_dropped_before_first_next_loses_nothing() {
    // Offsets aside (see the ignored test above), the bytes and their order survive.
    let mut decoder = Decoder::new();
    assert_eq!(decoder.feed(b"{\"a\":1}\r\n").count(), 1);
    drop(decoder.feed(b"{\"b\":2}\r\n{\"c\""));
    drop(decoder.feed(b":3}"));
    let got: Vec<Vec<u8>> = decoder
        .feed(&[])
        .map(|r| r.unwrap().as_bytes().to_vec())
        .collect();
    assert_eq!(got, [b"{\"b\":2}".to_vec(), b"{\"c\":3}".to_vec()]);
    assert!(decoder.finish().next().is_none());
}
