//! The borrowed view of one record: every field the daemons send, as written.
//!
//! This is the schema Docker calls `JSONMessage` (and, since v29, `jsonstream.Message`). All
//! fields are optional, unknown fields are ignored, field order never matters, and a record whose
//! fields have the wrong JSON type is reported as an error for that record only.

use crate::error::ErrorKind;
use crate::json::{Fault, JsonStr, KeyText, Number, Parser, RawJson};

/// `progressDetail`: numeric progress. Present (possibly empty) on every record produced by the
/// daemon's progress path, so its presence alone does not mean there is progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgressDetail<'a> {
    /// Bytes done; for the containerd store's `Extracting`, elapsed seconds + 1.
    pub current: Option<i64>,
    /// Bytes expected: absent when unknown, `-1` when the size came from a missing
    /// `Content-Length`, and sometimes smaller than `current`.
    pub total: Option<i64>,
    /// Unix seconds when the transfer started (Docker 0.7.1–1.5 only).
    pub start: Option<i64>,
    /// The daemon asks clients not to show counts (containerd store statuses).
    pub hidecounts: Option<bool>,
    /// Unit of `current`/`total` when not bytes: `"s"` for containerd `Extracting`.
    pub units: Option<JsonStr<'a>>,
}

impl ProgressDetail<'_> {
    /// True for `{}`: no numbers, no flags.
    pub fn is_empty(&self) -> bool {
        *self == ProgressDetail::default()
    }
}

/// `errorDetail`: an in-band error reported by the daemon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorDetail<'a> {
    /// Set for classic-builder `RUN` failures (the exit status) and a few legacy registry errors.
    pub code: Option<i64>,
    /// The error text.
    pub message: Option<JsonStr<'a>>,
}

/// Every field of one record, borrowed from the record's bytes.
///
/// ```
/// let mut decoder = pullstream::Decoder::new();
/// let chunk = br#"{"status":"Downloading","progressDetail":{"current":5,"total":10},"id":"a1b2"}"#;
/// let record = decoder.feed(chunk).next().unwrap()?;
/// let message = record.message();
/// assert_eq!(message.status.unwrap(), "Downloading");
/// assert_eq!(message.id.unwrap(), "a1b2");
/// assert_eq!(message.progress_detail.unwrap().total, Some(10));
/// assert!(message.error_detail.is_none());
/// # Ok::<(), pullstream::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message<'a> {
    /// Human status text: `Downloading`, `Pulling from library/alpine`, `Digest: sha256:…`.
    pub status: Option<JsonStr<'a>>,
    /// What the status refers to: a layer, a tag, `moby.image.id`… (its meaning depends on the
    /// status; see the event module).
    pub id: Option<JsonStr<'a>>,
    /// Numeric progress.
    pub progress_detail: Option<ProgressDetail<'a>>,
    /// The server-rendered progress bar (`[==\u003e   ] 1MB/2MB`), kept raw.
    pub progress: Option<JsonStr<'a>>,
    /// A chunk of build (or load) output; not line-aligned.
    pub stream: Option<JsonStr<'a>>,
    /// In-band error.
    pub error_detail: Option<ErrorDetail<'a>>,
    /// Legacy error string (same text as `errorDetail.message`).
    pub error: Option<JsonStr<'a>>,
    /// Top-level `message`: the body of an HTTP error response.
    pub message: Option<JsonStr<'a>>,
    /// Out-of-band data of any shape (push result, build image id, BuildKit trace).
    pub aux: Option<RawJson<'a>>,
    /// Only used by the old `/events` endpoint.
    pub from: Option<JsonStr<'a>>,
    /// Only used by the old `/events` endpoint (Unix seconds).
    pub time: Option<i64>,
    /// Only used by the old `/events` endpoint (Unix nanoseconds).
    pub time_nano: Option<i64>,
}

/// Fields already seen in one object, to reject duplicates (as serde does).
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn mark(&mut self, bit: u32, field: &'static str, at: usize) -> Result<(), Fault> {
        if self.0 & (1 << bit) != 0 {
            return Err((ErrorKind::DuplicateField { field }, at));
        }
        self.0 |= 1 << bit;
        Ok(())
    }
}

fn wrong_type(field: &'static str, expected: &'static str, at: usize) -> Fault {
    (ErrorKind::WrongType { field, expected }, at)
}

fn opt_string<'a>(parser: &mut Parser<'a>, field: &'static str) -> Result<Option<JsonStr<'a>>, Fault> {
    match parser.peek() {
        Some(b'"') => parser.string().map(Some),
        Some(b'n') => parser.eat_null().map(|_| None),
        _ => Err(wrong_type(field, "a string", parser.pos())),
    }
}

fn opt_int(parser: &mut Parser<'_>, field: &'static str) -> Result<Option<i64>, Fault> {
    if parser.eat_null()? {
        return Ok(None);
    }
    let at = parser.pos();
    match parser.peek() {
        Some(b'-' | b'0'..=b'9') => match parser.number()? {
            Number::Int(v) => Ok(Some(v)),
            Number::Other => Err(wrong_type(field, "a whole number that fits in 64 bits", at)),
        },
        _ => Err(wrong_type(field, "an integer", at)),
    }
}

fn opt_bool(parser: &mut Parser<'_>, field: &'static str) -> Result<Option<bool>, Fault> {
    let at = parser.pos();
    parser
        .bool_or_null()
        .map_err(|_| wrong_type(field, "true or false", at))
}

/// Resolves a key to a known field name. Escaped keys (legal, never sent) are compared decoded.
fn known<'k>(key: KeyText<'_>, names: &[&'k str]) -> Option<&'k str> {
    match key.plain() {
        Some(plain) => names.iter().copied().find(|name| *name == plain),
        None => names.iter().copied().find(|name| key == *name),
    }
}

const TOP_FIELDS: &[&str] = &[
    "status",
    "id",
    "progressDetail",
    "progress",
    "stream",
    "errorDetail",
    "error",
    "message",
    "aux",
    "from",
    "time",
    "timeNano",
];

impl<'a> Message<'a> {
    /// Parses one record (a complete JSON object) into a borrowed view.
    ///
    /// `max_depth` bounds nesting inside `aux` and unknown fields.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] for invalid JSON or UTF-8, [`ErrorKind::WrongType`] and
    /// [`ErrorKind::DuplicateField`] for known fields that cannot be read. The index is the
    /// position of the problem inside `bytes`.
    pub fn parse(bytes: &'a [u8], max_depth: u32) -> Result<Message<'a>, (ErrorKind, usize)> {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                return Err((
                    ErrorKind::Syntax {
                        reason: "invalid UTF-8",
                    },
                    e.valid_up_to(),
                ))
            }
        };
        let mut parser = Parser::new(text, max_depth);
        let mut message = Message::default();
        let mut seen = Seen::default();
        parser.object(|parser, key| {
            let at = parser.pos();
            let Some(name) = known(key, TOP_FIELDS) else {
                return parser.raw_value().map(drop);
            };
            match name {
                "status" => {
                    seen.mark(0, "status", at)?;
                    message.status = opt_string(parser, "status")?;
                }
                "id" => {
                    seen.mark(1, "id", at)?;
                    message.id = opt_string(parser, "id")?;
                }
                "progressDetail" => {
                    seen.mark(2, "progressDetail", at)?;
                    message.progress_detail = progress_detail(parser)?;
                }
                "progress" => {
                    seen.mark(3, "progress", at)?;
                    message.progress = opt_string(parser, "progress")?;
                }
                "stream" => {
                    seen.mark(4, "stream", at)?;
                    message.stream = opt_string(parser, "stream")?;
                }
                "errorDetail" => {
                    seen.mark(5, "errorDetail", at)?;
                    message.error_detail = error_detail(parser)?;
                }
                "error" => {
                    seen.mark(6, "error", at)?;
                    message.error = opt_string(parser, "error")?;
                }
                "message" => {
                    seen.mark(7, "message", at)?;
                    message.message = opt_string(parser, "message")?;
                }
                "aux" => {
                    seen.mark(8, "aux", at)?;
                    let value = parser.raw_value()?;
                    message.aux = (value.get() != "null").then_some(value);
                }
                "from" => {
                    seen.mark(9, "from", at)?;
                    message.from = opt_string(parser, "from")?;
                }
                "time" => {
                    seen.mark(10, "time", at)?;
                    message.time = opt_int(parser, "time")?;
                }
                _ => {
                    seen.mark(11, "timeNano", at)?;
                    message.time_nano = opt_int(parser, "timeNano")?;
                }
            }
            Ok(())
        })?;
        if parser.peek().is_some() {
            return Err((
                ErrorKind::Syntax {
                    reason: "trailing characters after the record",
                },
                parser.pos(),
            ));
        }
        Ok(message)
    }
}

fn progress_detail<'a>(parser: &mut Parser<'a>) -> Result<Option<ProgressDetail<'a>>, Fault> {
    if parser.eat_null()? {
        return Ok(None);
    }
    if parser.peek() != Some(b'{') {
        return Err(wrong_type("progressDetail", "an object", parser.pos()));
    }
    let mut detail = ProgressDetail::default();
    let mut seen = Seen::default();
    parser.object(|parser, key| {
        let at = parser.pos();
        match known(key, &["current", "total", "start", "hidecounts", "units"]) {
            Some("current") => {
                seen.mark(0, "current", at)?;
                detail.current = opt_int(parser, "current")?;
            }
            Some("total") => {
                seen.mark(1, "total", at)?;
                detail.total = opt_int(parser, "total")?;
            }
            Some("start") => {
                seen.mark(2, "start", at)?;
                detail.start = opt_int(parser, "start")?;
            }
            Some("hidecounts") => {
                seen.mark(3, "hidecounts", at)?;
                detail.hidecounts = opt_bool(parser, "hidecounts")?;
            }
            Some(_) => {
                seen.mark(4, "units", at)?;
                detail.units = opt_string(parser, "units")?;
            }
            None => parser.raw_value().map(drop)?,
        }
        Ok(())
    })?;
    Ok(Some(detail))
}

fn error_detail<'a>(parser: &mut Parser<'a>) -> Result<Option<ErrorDetail<'a>>, Fault> {
    if parser.eat_null()? {
        return Ok(None);
    }
    if parser.peek() != Some(b'{') {
        return Err(wrong_type("errorDetail", "an object", parser.pos()));
    }
    let mut detail = ErrorDetail::default();
    let mut seen = Seen::default();
    parser.object(|parser, key| {
        let at = parser.pos();
        match known(key, &["code", "message"]) {
            Some("code") => {
                seen.mark(0, "code", at)?;
                detail.code = opt_int(parser, "code")?;
            }
            Some(_) => {
                seen.mark(1, "message", at)?;
                detail.message = opt_string(parser, "message")?;
            }
            None => parser.raw_value().map(drop)?,
        }
        Ok(())
    })?;
    Ok(Some(detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Message<'_>, String> {
        Message::parse(text.as_bytes(), 16).map_err(|(kind, at)| format!("{kind} @{at}"))
    }

    #[test]
    fn full_record() {
        let m = parse(
            r#"{"status":"Downloading","progressDetail":{"current":1,"total":-1,"start":7,"hidecounts":true,"units":"s"},"progress":"[\u003e]","id":"x","stream":"s","errorDetail":{"code":2,"message":"m"},"error":"e","message":"h","aux":{"ID":"y"},"from":"f","time":3,"timeNano":4,"unknown":[1,{"a":null}]}"#,
        )
        .unwrap();
        assert_eq!(m.status.unwrap(), "Downloading");
        let detail = m.progress_detail.unwrap();
        assert_eq!((detail.current, detail.total, detail.start), (Some(1), Some(-1), Some(7)));
        assert_eq!(detail.hidecounts, Some(true));
        assert_eq!(detail.units.unwrap(), "s");
        assert_eq!(m.progress.unwrap().decode(), "[>]");
        assert_eq!(m.error_detail.unwrap().code, Some(2));
        assert_eq!(m.aux.unwrap().get(), r#"{"ID":"y"}"#);
        assert_eq!((m.time, m.time_nano), (Some(3), Some(4)));
    }

    #[test]
    fn empty_and_nulls() {
        assert_eq!(parse("{}").unwrap(), Message::default());
        assert_eq!(parse(r#"{"status":null,"aux":null}"#).unwrap(), Message::default());
        assert!(parse(r#"{"progressDetail":{}}"#).unwrap().progress_detail.unwrap().is_empty());
    }

    #[test]
    fn errors_are_reported_with_positions() {
        let cases = [
            (r#"{"progressDetail":{"current":"12"}}"#, "invalid record: \"current\" must be an integer @29"),
            (r#"{"progressDetail":{"current":1.5}}"#, "invalid record: \"current\" must be a whole number that fits in 64 bits @29"),
            (r#"{"progressDetail":{"total":1e400}}"#, "invalid record: \"total\" must be a whole number that fits in 64 bits @27"),
            (r#"{"status":1}"#, "invalid record: \"status\" must be a string @10"),
            (r#"{"status":"a","status":"b"}"#, "invalid record: duplicate field \"status\" @23"),
            (r#"{"status":"a\u12"}"#, "invalid record: invalid \\u escape @12"),
            ("{\"status\":\"a\u{1}\"}", "invalid record: control character in string @12"),
            (r#"{"a":1,}"#, "invalid record: expected a key @7"),
            (r#"{"a" 1}"#, "invalid record: expected ':' @5"),
            (r#"{"a":tru}"#, "invalid record: invalid literal @5"),
            (r#"{"a":[1 2]}"#, "invalid record: expected ',' or ']' @8"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).unwrap_err(), expected, "{text}");
        }
        assert!(Message::parse(b"{\"a\":\"\xff\"}", 16).is_err());
    }

    #[test]
    fn depth_limit_applies_to_unknown_fields() {
        assert!(parse(r#"{"a":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}"#).is_err());
        assert!(parse(r#"{"a":[[[1]]]}"#).is_ok());
    }
}
