//! Lenient records (issue 12, part 5): a record that is valid JSON is delivered whatever type its
//! known fields have, and the error report inside a record that is not valid JSON is recovered.
//!
//! Each class from the issue is checked through both readers: [`Message::parse_lenient`] (valid
//! JSON, one field odd) and [`salvage_error`] (the same oddity in a record that is also invalid
//! JSON): an `errorDetail.code` that is a string, invalid UTF-8 in the message, `error` as an
//! object, a raw tab, a repeated key, a wrong type in another field of the same record.

use pullstream::error::SalvagedError;
use pullstream::event::ErrorSource;
use pullstream::message::{salvage_error, Message, Parsed, UNREADABLE_ERROR};
use pullstream::ErrorKind;

use proptest::prelude::*;

fn lenient(record: &str) -> Parsed<'_> {
    Message::parse_lenient(record.as_bytes(), 16)
        .unwrap_or_else(|fault| panic!("{record}: not delivered: {fault:?}"))
}

/// The oddity as `field @index`, for short assertions.
fn oddity(parsed: &Parsed<'_>) -> Option<String> {
    parsed.oddity.as_ref().map(|(kind, at)| match kind {
        ErrorKind::WrongType { field, .. } => format!("type {field} @{at}"),
        ErrorKind::DuplicateField { field } => format!("twice {field} @{at}"),
        other => format!("{other:?} @{at}"),
    })
}

fn salvaged(record: &[u8]) -> SalvagedError {
    salvage_error(record)
        .unwrap_or_else(|| panic!("{}: nothing salvaged", String::from_utf8_lossy(record)))
}

/// The error message the parsed record reports: `errorDetail.message` when it has text, else
/// `error` (the rule `Event::classify` applies).
fn error_text(message: &Message<'_>) -> Option<String> {
    let readable = |m: &pullstream::JsonStr<'_>| !m.is_empty() && *m != UNREADABLE_ERROR;
    let detail = message
        .error_detail
        .and_then(|d| d.message)
        .filter(readable);
    detail
        .or(message.error.filter(readable))
        .map(|m| m.decode().into_owned())
}

// --- Valid JSON, one field odd: the record is delivered, the oddity reported. ---------------

#[test]
fn string_code_reads_as_absent() {
    let record = r#"{"errorDetail":{"code":"ENOSPC","message":"no space left on device"},"error":"no space left on device"}"#;
    let parsed = lenient(record);
    let detail = parsed.message.error_detail.unwrap();
    assert_eq!(detail.code, None);
    assert_eq!(detail.message.unwrap(), "no space left on device");
    assert_eq!(parsed.message.error.unwrap(), "no space left on device");
    assert_eq!(oddity(&parsed).unwrap(), "type code @23");
    // The strict reading reports the same fault as its error.
    let strict = Message::parse(record.as_bytes(), 16).unwrap_err();
    assert_eq!(Some(strict), parsed.oddity);
}

#[test]
fn error_as_an_object_salvages_its_message() {
    let parsed = lenient(r#"{"error":{"code":28,"message":"disk full"},"status":"x"}"#);
    assert_eq!(parsed.message.error.unwrap(), "disk full");
    assert_eq!(parsed.message.status.unwrap(), "x");
    assert_eq!(oddity(&parsed).unwrap(), "type error @9");
    // The last `message` string wins, as a repeated key does anywhere.
    let parsed = lenient(r#"{"error":{"message":"a","message":"b\u00e9","message":7}}"#);
    assert_eq!(parsed.message.error.unwrap(), "bé");
    // Nothing readable: present but empty, so the record still has its `error`.
    for record in [
        r#"{"error":{"detail":"x"}}"#,
        r#"{"error":["disk full"]}"#,
        r#"{"errorDetail":{"message":{"text":"x"}}}"#,
    ] {
        let parsed = lenient(record);
        let text = parsed
            .message
            .error
            .or(parsed.message.error_detail.and_then(|d| d.message));
        assert_eq!(text.unwrap(), UNREADABLE_ERROR, "{record}");
        assert!(parsed.oddity.is_some(), "{record}");
    }
    // A number or boolean: its text.
    assert_eq!(lenient(r#"{"error":500}"#).message.error.unwrap(), "500");
    assert_eq!(
        lenient(r#"{"errorDetail":{"message":true}}"#)
            .message
            .error_detail
            .unwrap()
            .message
            .unwrap(),
        "true"
    );
}

#[test]
fn error_detail_that_is_not_an_object() {
    let parsed = lenient(r#"{"errorDetail":"pull access denied","status":"Pulling"}"#);
    let detail = parsed.message.error_detail.unwrap();
    assert_eq!(detail.message.unwrap(), "pull access denied");
    assert_eq!(detail.code, None);
    assert_eq!(oddity(&parsed).unwrap(), "type errorDetail @15");
    let parsed = lenient(r#"{"errorDetail":[1,2]}"#);
    assert_eq!(
        parsed.message.error_detail.unwrap().message.unwrap(),
        UNREADABLE_ERROR
    );
    // `null` is absent, not odd.
    let parsed = lenient(r#"{"errorDetail":null,"error":null}"#);
    assert_eq!(parsed.message, Message::default());
    assert_eq!(parsed.oddity, None);
}

#[test]
fn wrong_type_in_another_field_keeps_the_error() {
    let record = r#"{"status":1,"progressDetail":"5 MB","id":{"a":1},"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}"#;
    let parsed = lenient(record);
    let message = parsed.message;
    assert_eq!(message.status, None);
    assert_eq!(message.progress_detail, None);
    assert_eq!(message.id, None);
    assert_eq!(error_text(&message).unwrap(), "unexpected EOF");
    // The first oddity in record order.
    assert_eq!(oddity(&parsed).unwrap(), "type status @10");
}

#[test]
fn each_known_field_of_the_wrong_type_reads_as_absent() {
    // (record, the field that is odd, its index)
    let cases = [
        (r#"{"status":1,"id":"a"}"#, "type status @10"),
        (r#"{"status":"s","id":["a"],"id2":1}"#, "type id @19"),
        (
            r#"{"status":"s","progressDetail":"12 MB"}"#,
            "type progressDetail @31",
        ),
        (
            r#"{"status":"s","progressDetail":{"current":1.5,"total":9}}"#,
            "type current @42",
        ),
        (
            r#"{"status":"s","progressDetail":{"current":"12","total":9}}"#,
            "type current @42",
        ),
        (
            r#"{"status":"s","progressDetail":{"current":1e3,"total":9}}"#,
            "type current @42",
        ),
        (
            r#"{"status":"s","progressDetail":{"current":9223372036854775808,"total":9}}"#,
            "type current @42",
        ),
        (
            r#"{"status":"s","progressDetail":{"hidecounts":"yes","total":9}}"#,
            "type hidecounts @45",
        ),
        (
            r#"{"status":"s","progressDetail":{"units":7,"total":9}}"#,
            "type units @40",
        ),
        (
            r#"{"status":"s","progress":{"bar":"[=>]"}}"#,
            "type progress @25",
        ),
        (r#"{"status":"s","stream":false}"#, "type stream @23"),
        (r#"{"status":"s","message":[]}"#, "type message @24"),
        (r#"{"status":"s","from":0}"#, "type from @21"),
        (r#"{"status":"s","time":"now"}"#, "type time @21"),
        (r#"{"status":"s","timeNano":-0.5}"#, "type timeNano @25"),
    ];
    for (record, expected) in cases {
        let parsed = lenient(record);
        assert_eq!(oddity(&parsed).unwrap(), expected, "{record}");
        // Everything else is still read.
        let message = parsed.message;
        if record.starts_with(r#"{"status":1"#) {
            assert_eq!(message.status, None);
        } else {
            assert_eq!(message.status.unwrap(), "s", "{record}");
        }
        let detail = message.progress_detail.unwrap_or_default();
        assert!(
            detail.current.is_none() && detail.hidecounts.is_none() && detail.units.is_none(),
            "{record}"
        );
        if message.progress_detail.is_some() {
            assert_eq!(detail.total, Some(9), "{record}");
        }
        assert!(
            message.id.is_none() || message.id.unwrap() == "a",
            "{record}"
        );
        assert!(
            message.progress.is_none() && message.stream.is_none() && message.message.is_none(),
            "{record}"
        );
        assert!(
            message.from.is_none() && message.time.is_none() && message.time_nano.is_none(),
            "{record}"
        );
        // The strict reading refuses each of them, at the same place.
        assert_eq!(
            Message::parse(record.as_bytes(), 16).err(),
            parsed.oddity,
            "{record}"
        );
    }
}

#[test]
fn repeated_key_takes_the_last_value() {
    let parsed = lenient(r#"{"status":"a","status":"b"}"#);
    assert_eq!(parsed.message.status.unwrap(), "b");
    assert_eq!(oddity(&parsed).unwrap(), "twice status @23");
    // The first oddity is the repeat, even when the repeated value is also odd.
    let parsed = lenient(r#"{"status":"a","status":1}"#);
    assert_eq!(
        parsed.message.status.unwrap(),
        "a",
        "a wrong type does not replace"
    );
    assert_eq!(oddity(&parsed).unwrap(), "twice status @23");
    let parsed = lenient(r#"{"status":"a","status":null}"#);
    assert_eq!(
        parsed.message.status.unwrap(),
        "a",
        "null leaves a string as it was"
    );
    // Objects merge; `null` resets them.
    let parsed =
        lenient(r#"{"progressDetail":{"current":1,"total":5},"progressDetail":{"total":2}}"#);
    let detail = parsed.message.progress_detail.unwrap();
    assert_eq!((detail.current, detail.total), (Some(1), Some(2)));
    let parsed = lenient(r#"{"errorDetail":{"message":"gone"},"errorDetail":null}"#);
    assert_eq!(parsed.message.error_detail, None);
    // Inside the nested objects too.
    let parsed = lenient(r#"{"errorDetail":{"message":"a","code":1,"message":"b"}}"#);
    let detail = parsed.message.error_detail.unwrap();
    assert_eq!((detail.message.unwrap().raw(), detail.code), ("b", Some(1)));
    assert_eq!(oddity(&parsed).unwrap(), "twice message @49");
    // An error record repeated with a wrong type keeps its good text.
    let parsed = lenient(
        r#"{"error":"denied","error":{"x":1},"errorDetail":{"message":"denied"},"errorDetail":"x"}"#,
    );
    assert_eq!(parsed.message.error.unwrap(), "denied");
    assert_eq!(
        parsed.message.error_detail.unwrap().message.unwrap(),
        "denied"
    );
    // Escaped keys are the same key.
    let parsed = lenient(r#"{"status":"a","st\u0061tus":"b"}"#);
    assert_eq!(parsed.message.status.unwrap(), "b");
    assert_eq!(oddity(&parsed).unwrap(), "twice status @28");
}

#[test]
fn a_clean_record_has_no_oddity_and_reads_as_strictly() {
    let record = r#"{"status":"Downloading","progressDetail":{"current":1,"total":2},"id":"x","errorDetail":{"code":1,"message":"m"},"error":"m","aux":{"a":[1]},"time":3}"#;
    let parsed = lenient(record);
    assert_eq!(parsed.oddity, None);
    assert_eq!(Ok(parsed.message), Message::parse(record.as_bytes(), 16));
}

#[test]
fn invalid_json_is_still_refused() {
    for record in [
        &b"{\"error\":\"disk \xff full\"}"[..],
        b"{\"error\":\"a\tb\"}",
        br#"{"error":"x"} trailing"#,
        br#"{"error":"\q"}"#,
        br#"{"error":"x""#,
    ] {
        let err = Message::parse_lenient(record, 16).unwrap_err();
        assert!(
            matches!(err.0, ErrorKind::Syntax { .. }),
            "{}: {err:?}",
            String::from_utf8_lossy(record)
        );
        // ... and its error report is salvaged.
        assert!(salvage_error(record).is_some());
    }
}

// --- Not valid JSON: the error report is salvaged. -------------------------------------------

#[test]
fn salvage_string_code() {
    // Cut before its last brace.
    let s = salvaged(br#"{"errorDetail":{"code":"ENOSPC","message":"no space left on device"},"error":"no space left on device""#);
    assert_eq!(s.message, "no space left on device");
    assert_eq!(s.code, None);
    assert_eq!(s.source, ErrorSource::ErrorDetail);
    let s = salvaged(br#"{"errorDetail":{"code":28,"message":"x"},,}"#);
    assert_eq!(s.code, Some(28));
    let s = salvaged(br#"{"errorDetail":{"code":1.5,"message":"x"},,}"#);
    assert_eq!(s.code, None);
}

#[test]
fn salvage_invalid_utf8_one_replacement_per_byte() {
    // A cut three-byte character (two bytes), a lone continuation byte, an overlong NUL, a
    // UTF-8-encoded surrogate: Go's decoder writes one U+FFFD per byte of each.
    let s = salvaged(b"{\"error\":\"a\xe2\x82b\x80c\xc0\x80d\xed\xa0\x80e\"}");
    let r = '\u{FFFD}';
    assert_eq!(
        s.message,
        format!("a{r}{r}b{r}c{r}{r}d{r}{r}{r}e"),
        "{:?}",
        s.message
    );
    assert_eq!(s.source, ErrorSource::Legacy);
    // Valid multi-byte text around it is kept.
    let s = salvaged("{\"errorDetail\":{\"message\":\"é\u{1F600}\"}}".as_bytes());
    assert_eq!(s.message, "é\u{1F600}");
    // A character cut by the end of the record.
    let s = salvaged(b"{\"error\":\"ab\xf0\x9f\x98");
    assert_eq!(s.message, format!("ab{r}{r}{r}"));
}

#[test]
fn salvage_error_object() {
    let s = salvaged(br#"{"error":{"code":28,"message":"disk full"},"status":x}"#);
    assert_eq!(s.message, "disk full");
    assert_eq!(s.source, ErrorSource::Legacy);
    let s = salvaged(br#"{"error":{"detail":"x"},"status":x}"#);
    assert_eq!(s.message, "");
    let s = salvaged(br#"{"errorDetail":"pull access denied",}"#);
    assert_eq!(
        (s.message.as_str(), s.source),
        ("pull access denied", ErrorSource::ErrorDetail)
    );
    let s = salvaged(br#"{"error":500 oops}"#);
    assert_eq!(s.message, "500");
}

#[test]
fn salvage_raw_control_characters_and_bad_escapes() {
    let s = salvaged(b"{\"errorDetail\":{\"message\":\"failed:\tcode\r\n 1\"}}");
    assert_eq!(s.message, "failed:\tcode\r\n 1");
    let s = salvaged(br#"{"error":"a\qb\u12zz\u00e9\ud83d\ude00\ud800x\"q\\"}"#);
    assert_eq!(s.message, "a\\qb\\u12zz\u{e9}\u{1F600}\u{FFFD}x\"q\\");
    // A backslash that ends the record.
    let s = salvaged(br#"{"error":"abc\"#);
    assert_eq!(s.message, "abc\\");
}

#[test]
fn salvage_repeated_keys() {
    let s = salvaged(br#"{"error":"first","error":"second","error":{"x":1} junk"#);
    assert_eq!(s.message, "second");
    let s = salvaged(br#"{"errorDetail":{"message":"a"},"errorDetail":{"code":3},}"#);
    assert_eq!((s.message.as_str(), s.code), ("a", Some(3)));
    let s = salvaged(br#"{"errorDetail":{"message":"a"},"errorDetail":null,"error":"b",}"#);
    assert_eq!((s.message.as_str(), s.source), ("b", ErrorSource::Legacy));
    let s = salvaged(br#"{"error":"kept","error":null,]"#);
    assert_eq!(s.message, "kept");
}

#[test]
fn salvage_wrong_type_in_another_field() {
    let s = salvaged(
        b"{\"status\":1,\"progressDetail\":\"x\",\"id\":{\"a\":[}],\"error\":\"boom\"\x00}",
    );
    assert_eq!(s.message, "boom");
}

#[test]
fn salvage_prefers_error_detail_message() {
    let s = salvaged(br#"{"error":"legacy","errorDetail":{"message":"detail"},"#);
    assert_eq!(
        (s.message.as_str(), s.source),
        ("detail", ErrorSource::ErrorDetail)
    );
    let s = salvaged(br#"{"errorDetail":{"message":""},"error":"legacy","#);
    assert_eq!(
        (s.message.as_str(), s.source),
        ("legacy", ErrorSource::Legacy)
    );
    let s = salvaged(br#"{"errorDetail":{"code":7},"#);
    assert_eq!(
        (s.message.as_str(), s.code, s.source),
        ("", Some(7), ErrorSource::ErrorDetail)
    );
}

#[test]
fn salvage_trailing_garbage_and_missing_commas() {
    let s = salvaged(br#"{"errorDetail":{"message":"x"}} {"status":"y"} garbage"#);
    assert_eq!(s.message, "x");
    let s = salvaged(br#"{"status":"Pulling" "error":"denied"}"#);
    assert_eq!(s.message, "denied");
    let s = salvaged(br#"  {"st\u0061tus":"a", "\u0065rror" : "escaped key"  ,"#);
    assert_eq!(s.message, "escaped key");
}

#[test]
fn salvage_finds_only_top_level_keys() {
    for record in [
        &br#"{"status":"\"error\":x"}"#[..],
        br#"{"status":"\"errorDetail\":{\"message\":\"x\"}"#,
        br#"{"status":"a\\","id":"\"error\":\"x\""}"#,
        br#"{"aux":{"error":"x"},"status":"x"} junk"#,
        br#"{"a":["error",{"error":"x"}],"b":{"errorDetail":{"message":"y"}}}"#,
        br#"{"status":"ok"}{"error":"next record"}"#,
        br#"{"status":"x" {"error":"stray object"} ["error":"stray array"]}"#,
        br#"{"error" "x"}"#,
        br#"{"error":null,"errorDetail":null"#,
        br#"["error",{"error":"x"}]"#,
        br#"error:"x""#,
        b"",
        b"{",
        br#"{"#,
    ] {
        assert_eq!(
            salvage_error(record),
            None,
            "{}",
            String::from_utf8_lossy(record)
        );
    }
}

/// Shapes that would cost quadratic time or deep recursion in a careless reader: each finishes
/// (a quadratic reader would take hours on these sizes) and gives the expected answer.
#[test]
fn salvage_is_linear_and_flat_on_hostile_shapes() {
    const N: usize = 4 << 20;
    let mut deep = br#"{"errorDetail":{"message":"#.to_vec();
    deep.extend(std::iter::repeat_n(b'{', N));
    assert_eq!(salvaged(&deep).message, "");
    let mut deep = br#"{"error":"#.to_vec();
    deep.extend(std::iter::repeat_n(b'[', N));
    deep.extend_from_slice(br#","error":"x""#);
    assert_eq!(salvaged(&deep).message, "");
    let mut nested_keys = br#"{"error":"#.to_vec();
    for _ in 0..N / 11 {
        nested_keys.extend_from_slice(br#"{"message":"#);
    }
    assert_eq!(salvaged(&nested_keys).message, "");
    let mut keys = b"{".to_vec();
    for _ in 0..N / 16 {
        keys.extend_from_slice(br#""error":"a\\\\","#);
    }
    assert_eq!(salvaged(&keys).message, "a\\\\");
    let mut slashes = br#"{"error":""#.to_vec();
    slashes.extend(std::iter::repeat_n(b'\\', N));
    assert_eq!(salvaged(&slashes).message.len(), N / 2);
    let mut quotes = b"{".to_vec();
    quotes.extend(std::iter::repeat_n(b'"', N));
    assert_eq!(salvage_error(&quotes), None);
    let mut invalid = br#"{"errorDetail":{"message":""#.to_vec();
    invalid.extend(std::iter::repeat_n(0xff, N));
    assert_eq!(salvaged(&invalid).message.chars().count(), N);
}

// --- Properties. -----------------------------------------------------------------------------

/// String contents, escapes included, with the traps a careless reader falls into.
fn json_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("disk full".to_string()),
        Just(String::new()),
        Just(r#"\""#.to_string()),
        Just(r"\\".to_string()),
        Just(r"\n\t\/".to_string()),
        Just(r"\u00e9".to_string()),
        Just(r"\ud83d\ude00".to_string()),
        Just(r"\ud800".to_string()),
        Just(r#"\"error\":\"x\""#.to_string()),
        Just("é€".to_string()),
        Just("{[:,".to_string()),
    ];
    proptest::collection::vec(piece, 0..4).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

/// Any JSON value of a few shapes, a little nested.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        json_string(),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("-12".to_string()),
        Just("1.5e3".to_string()),
        Just("9223372036854775808".to_string()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        let key = prop_oneof![
            Just("\"message\"".to_string()),
            Just("\"code\"".to_string()),
            Just("\"error\"".to_string()),
            json_string(),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec((key, inner), 0..4).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// A valid record whose keys are drawn from the error fields and a few others, repeated and of
/// any type.
fn valid_record() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("\"error\"".to_string()),
        Just("\"errorDetail\"".to_string()),
        Just("\"\\u0065rror\"".to_string()),
        Just("\"status\"".to_string()),
        Just("\"progressDetail\"".to_string()),
        Just("\"aux\"".to_string()),
    ];
    let detail = proptest::collection::vec(
        (
            prop_oneof![Just("\"message\""), Just("\"code\""), Just("\"other\"")],
            json_value(),
        ),
        0..4,
    )
    .prop_map(|members| {
        let members: Vec<String> = members
            .into_iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        format!("{{{}}}", members.join(","))
    });
    let value = prop_oneof![json_value(), detail];
    let space = prop_oneof![Just(""), Just(" "), Just("\n\t")];
    proptest::collection::vec((key, value, space), 0..5).prop_map(|members| {
        let members: Vec<String> = members
            .into_iter()
            .map(|(k, v, s)| format!("{s}{k}{s}:{s}{v}{s}"))
            .collect();
        format!("{{{}}}", members.join(","))
    })
}

/// Pieces of bytes close to a record.
const NEAR_JSON: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"\"",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\"error\":",
    b"\"errorDetail\":",
    b"\"message\":",
    b"\"code\":",
    b"null",
    b"12",
    b"\xff",
    b"\xe2\x82",
    b" ",
    b"\t",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Never panics, whatever the bytes.
    #[test]
    fn salvage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = salvage_error(&bytes);
    }

    /// Never panics on bytes close to a record: JSON punctuation, quotes, backslashes, the
    /// key names, invalid UTF-8.
    #[test]
    fn salvage_never_panics_on_near_json(
        pieces in proptest::collection::vec(proptest::sample::select(NEAR_JSON), 0..40)
    ) {
        let bytes = pieces.concat();
        if let Some(s) = salvage_error(&bytes) {
            prop_assert!(s.message.len() <= 3 * bytes.len());
        }
    }

    /// On a valid record the salvage reads what the lenient parser reads: the same error text
    /// (`errorDetail.message` first), the same code, `None` exactly when it has neither key.
    #[test]
    fn salvage_agrees_with_parse_lenient(record in valid_record()) {
        let parsed = Message::parse_lenient(record.as_bytes(), 16);
        prop_assert!(parsed.is_ok(), "{record}: {parsed:?}");
        let message = parsed.unwrap().message;
        let salvage = salvage_error(record.as_bytes());
        let has_error = message.error.is_some() || message.error_detail.is_some();
        prop_assert_eq!(salvage.is_some(), has_error, "{}", record);
        if let Some(s) = salvage {
            // Where no text can be had, the lenient view says so and salvage leaves it empty.
            prop_assert_eq!(Some(s.message).filter(|m| !m.is_empty()), error_text(&message), "{}", record);
            prop_assert_eq!(s.code, message.error_detail.and_then(|d| d.code), "{}", record);
        }
    }
}
