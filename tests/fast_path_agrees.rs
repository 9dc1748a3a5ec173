//! The decoder's fast path (one pass that frames and reads a record lying wholly in the input)
//! must be invisible: the decoder has to deliver exactly what the splitter plus the general
//! parser (`Message::parse`) deliver, item for item, offset for offset, field for field, however
//! the stream is chunked.
//!
//! The inputs are Docker-shaped records (the layout the fast path is built for), varied where
//! the fast path must give up or must still agree: other key orders, `null`s, escapes in keys
//! and values, whitespace, numbers at and past the `i64` range, fractions, leading zeros,
//! duplicate and unknown keys, `aux`, non-ASCII and invalid UTF-8, control characters, and
//! random byte mutations on top.

use proptest::prelude::*;

use pullstream::scan::{Split, Splitter};
use pullstream::{Decoder, Message};

/// One value for a string field.
fn string_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("\"Downloading\"".to_string()),
        2 => Just(r#""[==========>          ]  1.2MB/3.4MB""#.to_string()),
        3 => Just(r#""[==========\u003e          ]  1.2MB/3.4MB""#.to_string()),
        1 => Just("\"4cbb392bb3e1\"".to_string()),
        1 => Just("null".to_string()),
        1 => Just("\"\"".to_string()),
        1 => Just(r#""a\"b\\c\/d\b\f\n\r\t\ud83d\ude00""#.to_string()),
        1 => Just("\"caf\u{e9} \u{1F600}\"".to_string()),
        1 => Just(r#""bad \x escape""#.to_string()),
        1 => Just(r#""bad \u12 escape""#.to_string()),
        1 => Just("\"tab\tinside\"".to_string()),
        1 => Just("12".to_string()),
        1 => Just("{}".to_string()),
        1 => "[ -~]{0,40}".prop_map(|s| format!("{:?}", s)),
    ]
}

/// One value for an integer field.
fn int_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0i64..10_000_000).prop_map(|v| v.to_string()),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => Just("-1".to_string()),
        1 => Just("-0".to_string()),
        1 => Just("0".to_string()),
        1 => Just("9223372036854775807".to_string()),
        1 => Just("9223372036854775808".to_string()),
        1 => Just("-9223372036854775808".to_string()),
        1 => Just("-9223372036854775809".to_string()),
        1 => Just("007".to_string()),
        1 => Just("1.5".to_string()),
        1 => Just("1e3".to_string()),
        1 => Just("-".to_string()),
        1 => Just("null".to_string()),
        1 => Just("\"12\"".to_string()),
        1 => Just("true".to_string()),
    ]
}

/// `progressDetail`'s value.
fn detail_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (int_value(), int_value()).prop_map(|(c, t)| format!(r#"{{"current":{c},"total":{t}}}"#)),
        2 => Just("{}".to_string()),
        1 => int_value().prop_map(|c| format!(r#"{{"current":{c}}}"#)),
        1 => (int_value(), int_value()).prop_map(|(c, t)| format!(r#"{{"total":{t},"current":{c}}}"#)),
        1 => Just(r#"{"current":1,"current":2}"#.to_string()),
        1 => Just(r#"{"current":5,"total":10,"start":3,"hidecounts":true,"units":"s"}"#.to_string()),
        1 => Just(r#"{"hidecounts":maybe}"#.to_string()),
        1 => Just(r#"{"other":[1,2]}"#.to_string()),
        1 => Just(r#"{ "current" : 5 , "total" : 10 }"#.to_string()),
        1 => Just("null".to_string()),
        1 => Just("[]".to_string()),
    ]
}

/// One `"key":value` member.
fn member() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => string_value().prop_map(|v| format!(r#""status":{v}"#)),
        3 => detail_value().prop_map(|v| format!(r#""progressDetail":{v}"#)),
        3 => string_value().prop_map(|v| format!(r#""progress":{v}"#)),
        3 => string_value().prop_map(|v| format!(r#""id":{v}"#)),
        1 => string_value().prop_map(|v| format!(r#""stream":{v}"#)),
        1 => string_value().prop_map(|v| format!(r#""error":{v}"#)),
        1 => string_value().prop_map(|v| format!(r#""message":{v}"#)),
        1 => string_value().prop_map(|v| format!(r#""from":{v}"#)),
        1 => int_value().prop_map(|v| format!(r#""time":{v}"#)),
        1 => int_value().prop_map(|v| format!(r#""timeNano":{v}"#)),
        1 => (int_value(), string_value())
            .prop_map(|(c, m)| format!(r#""errorDetail":{{"code":{c},"message":{m}}}"#)),
        1 => string_value().prop_map(|v| format!(r#""errorDetail":{{"message":{v}}}"#)),
        1 => Just(r#""aux":{"ID":"sha256:ab"}"#.to_string()),
        1 => Just(r#""unknown":[1,{"a":null}]"#.to_string()),
        1 => string_value().prop_map(|v| format!(r#""st\u0061tus":{v}"#)),
    ]
}

/// A record: Docker's own layout most of the time, otherwise members in any order.
fn record() -> impl Strategy<Value = String> {
    let docker = (
        string_value(),
        proptest::option::of(detail_value()),
        proptest::option::of(string_value()),
        proptest::option::of(string_value()),
    )
        .prop_map(|(status, detail, progress, id)| {
            let mut out = format!(r#"{{"status":{status}"#);
            if let Some(d) = detail {
                out.push_str(&format!(r#","progressDetail":{d}"#));
            }
            if let Some(p) = progress {
                out.push_str(&format!(r#","progress":{p}"#));
            }
            if let Some(i) = id {
                out.push_str(&format!(r#","id":{i}"#));
            }
            out.push('}');
            out
        });
    let any_order =
        (proptest::collection::vec(member(), 0..6), any::<bool>()).prop_map(|(members, spaced)| {
            if spaced {
                format!("{{ {} }}", members.join(" , "))
            } else {
                format!("{{{}}}", members.join(","))
            }
        });
    prop_oneof![3 => docker, 2 => any_order]
}

/// A stream of records in one of the three framings, with a few random byte mutations.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(record(), 1..12),
        prop_oneof![Just(""), Just("\r\n"), Just("\n")],
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
    )
        .prop_map(|(records, delimiter, mutations)| {
            let mut bytes = Vec::new();
            for r in records {
                bytes.extend_from_slice(r.as_bytes());
                bytes.extend_from_slice(delimiter.as_bytes());
            }
            for (index, byte) in mutations {
                let at = index.index(bytes.len());
                bytes[at] = byte;
            }
            bytes
        })
}

/// What the splitter plus `Message::parse` make of `input` (the decoder without its fast path,
/// with the default limits, which these small inputs never reach).
fn reference(input: &[u8]) -> Vec<String> {
    let mut splitter = Splitter::new();
    let mut out = Vec::new();
    let (mut pos, mut start, mut skipping) = (0, None, false);
    loop {
        let found = splitter.split(input, pos);
        pos = found.resume_at(input.len());
        match found {
            Split::Start(i) => {
                start = Some(i);
                skipping = false;
            }
            Split::End(end) => {
                let Some(s) = start.take() else { continue };
                if std::mem::take(&mut skipping) {
                    continue;
                }
                match Message::parse_lenient(&input[s..end], 128) {
                    Ok(parsed) => {
                        out.push(format!("record {s}..{end}"));
                        if let Some((kind, at)) = parsed.oddity {
                            out.push(format!("error @{}: {kind}", s + at));
                        }
                    }
                    Err((kind, at)) => out.push(format!("error @{}: {kind}", s + at)),
                }
            }
            Split::NotJson(i) => out.push(format!("error @{i}: not json")),
            Split::Unterminated { at, .. } => {
                // A record held after it went too deep is still reported when it is cut.
                skipping = false;
                out.push(format!("error @{at}: unterminated"));
                start = None;
            }
            Split::TooDeep(i) => {
                if !skipping {
                    out.push(format!("error @{i}: too deep"));
                    skipping = true;
                }
            }
            Split::NeedMore => break,
        }
    }
    if let Some(s) = start {
        out.push(format!("error @{s}: truncated"));
    }
    out
}

/// The decoder's items for `input` fed in `pieces`, checking every record's fields against
/// `Message::parse` on its bytes as it goes.
fn decoded(input: &[u8], cuts: &[usize]) -> Result<Vec<String>, TestCaseError> {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    let mut from = 0;
    let mut ends: Vec<usize> = cuts.iter().copied().filter(|&c| c <= input.len()).collect();
    ends.sort_unstable();
    ends.push(input.len());
    for end in ends {
        let piece = &input[from..end.max(from)];
        from = end.max(from);
        for item in decoder.feed(piece) {
            out.push(render(item)?);
        }
    }
    for item in decoder.finish() {
        out.push(render(item)?);
    }
    Ok(out)
}

fn render(
    item: Result<pullstream::Record<'_>, pullstream::Error>,
) -> Result<String, TestCaseError> {
    Ok(match item {
        Ok(record) => {
            let general = Message::parse_lenient(record.as_bytes(), 128);
            prop_assert!(
                general.is_ok(),
                "delivered a record the general parser rejects: {:?}",
                general
            );
            prop_assert_eq!(
                record.message(),
                &general.unwrap().message,
                "fields differ for {:?}",
                String::from_utf8_lossy(record.as_bytes())
            );
            let s = record.offset();
            format!("record {s}..{}", s + record.as_bytes().len() as u64)
        }
        Err(e) => {
            let kind = match e.kind() {
                pullstream::ErrorKind::NotJson { .. } => "not json".to_string(),
                pullstream::ErrorKind::Unterminated { .. } => "unterminated".to_string(),
                pullstream::ErrorKind::TooDeep { .. } => "too deep".to_string(),
                pullstream::ErrorKind::Truncated { .. } => "truncated".to_string(),
                other => other.to_string(),
            };
            format!("error @{}: {kind}", e.offset())
        }
    })
}

/// The log up to the first record found cut off. After it the decoder reads the cut record's
/// bytes again for records it swallowed (tests/recovery.rs), which the reference does not model.
fn up_to_a_cut(mut log: Vec<String>) -> Vec<String> {
    if let Some(cut) = log
        .iter()
        .position(|line| line.ends_with(": unterminated") || line.ends_with(": truncated"))
    {
        log.truncate(cut + 1);
    }
    log
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whole input: the fast path sees nearly every record.
    #[test]
    fn whole_feed_matches_the_general_path(input in stream()) {
        prop_assert_eq!(up_to_a_cut(decoded(&input, &[])?), up_to_a_cut(reference(&input)));
    }

    /// Random cuts: records cross chunks, the fast path gives up at chunk ends and is tried
    /// again on assembled records.
    #[test]
    fn chunked_feed_matches_the_general_path(
        input in stream(),
        cuts in proptest::collection::vec(0usize..4096, 0..24),
    ) {
        prop_assert_eq!(up_to_a_cut(decoded(&input, &cuts)?), up_to_a_cut(reference(&input)));
    }

    /// One byte at a time: no record lies wholly in a chunk.
    #[test]
    fn byte_at_a_time_matches_the_general_path(input in stream()) {
        let cuts: Vec<usize> = (0..input.len()).collect();
        prop_assert_eq!(up_to_a_cut(decoded(&input, &cuts)?), up_to_a_cut(reference(&input)));
    }
}

/// The stream generator's output, the shape the fast path exists for, at a few chunk sizes.
#[test]
fn generated_stream_matches_the_general_path() {
    for framing in [
        pullstream::synth::Framing::Concatenated,
        pullstream::synth::Framing::Crlf,
        pullstream::synth::Framing::Lf,
    ] {
        let input = pullstream::synth::Generator::new(11)
            .target_bytes(256 << 10)
            .framing(framing)
            .generate();
        let expected = reference(&input);
        for chunk in [1usize, 7, 64, 4096, usize::MAX] {
            let size = chunk.min(input.len());
            let cuts: Vec<usize> = (size..input.len()).step_by(size).collect();
            assert_eq!(
                decoded(&input, &cuts).unwrap(),
                expected,
                "{framing:?}, chunks of {chunk}"
            );
        }
    }
}
