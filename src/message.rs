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

fn opt_string<'a>(
    parser: &mut Parser<'a>,
    field: &'static str,
) -> Result<Option<JsonStr<'a>>, Fault> {
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
/// Returns the field's index in `names` (its bit for duplicate detection) and its name.
fn known<'k>(key: KeyText<'_>, names: &[&'k str]) -> Option<(u32, &'k str)> {
    let index = match key.plain() {
        Some(plain) => names.iter().position(|name| *name == plain),
        None => names.iter().position(|name| key == *name),
    }?;
    Some((index as u32, names[index]))
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
    /// `max_depth` bounds nesting inside `aux` and unknown fields (at most
    /// [`crate::decoder::MAX_DEPTH_LIMIT`], whatever is asked).
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
        // The parser recurses once per nesting level: bound it whatever the caller asks.
        let mut parser = Parser::new(text, max_depth.min(crate::decoder::MAX_DEPTH_LIMIT));
        let mut message = Message::default();
        let mut seen = Seen::default();
        parser.object(|parser, key| {
            let at = parser.pos();
            let Some((bit, name)) = known(key, TOP_FIELDS) else {
                return parser.raw_value().map(drop);
            };
            seen.mark(bit, name, at)?;
            match name {
                "status" => message.status = opt_string(parser, name)?,
                "id" => message.id = opt_string(parser, name)?,
                "progressDetail" => message.progress_detail = progress_detail(parser)?,
                "progress" => message.progress = opt_string(parser, name)?,
                "stream" => message.stream = opt_string(parser, name)?,
                "errorDetail" => message.error_detail = error_detail(parser)?,
                "error" => message.error = opt_string(parser, name)?,
                "message" => message.message = opt_string(parser, name)?,
                "aux" => {
                    let value = parser.raw_value()?;
                    message.aux = (value.get() != "null").then_some(value);
                }
                "from" => message.from = opt_string(parser, name)?,
                "time" => message.time = opt_int(parser, name)?,
                _ => message.time_nano = opt_int(parser, name)?,
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
        let Some((bit, name)) = known(key, &["current", "total", "start", "hidecounts", "units"])
        else {
            return parser.raw_value().map(drop);
        };
        seen.mark(bit, name, at)?;
        match name {
            "current" => detail.current = opt_int(parser, name)?,
            "total" => detail.total = opt_int(parser, name)?,
            "start" => detail.start = opt_int(parser, name)?,
            "hidecounts" => detail.hidecounts = opt_bool(parser, name)?,
            _ => detail.units = opt_string(parser, name)?,
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
        let Some((bit, name)) = known(key, &["code", "message"]) else {
            return parser.raw_value().map(drop);
        };
        seen.mark(bit, name, at)?;
        match name {
            "code" => detail.code = opt_int(parser, name)?,
            _ => detail.message = opt_string(parser, name)?,
        }
        Ok(())
    })?;
    Ok(Some(detail))
}

// ---------------------------------------------------------------------------------------------
// The fast path: one pass that finds the record's end *and* reads its fields.
//
// The decoder calls it when a record starts in the bytes it holds, before the splitter has
// looked for the record's end. It accepts only the shapes daemons actually send (known keys in
// any order, without escapes; strings, integers, `null`, and the two small nested objects), and
// gives up (`None`) on anything else, including a record that runs past the end of the input.
// Giving up costs only time: the decoder then frames the record with the splitter and parses
// it with [`Message::parse`] as before, so every error and every offset stays exactly what the
// general path reports. What it accepts, the general path accepts with the same fields, and the
// splitter would have ended the record at the same byte (no raw line break in a string, no `{`
// outside a value, depth 2 at most).
//
// It reads already-validated UTF-8 (the decoder checks its input in blocks, which is cheaper
// than once per record), so every string is borrowed straight into the `Message`.

struct Fast<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Fast<'a> {
    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, consumed.
    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        self.skip_ws();
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `word` if the input continues with exactly it (no whitespace skipped: this is
    /// how the straight-line path recognises Go's compact output in one comparison).
    #[inline(always)]
    fn eat(&mut self, word: &[u8]) -> bool {
        let found = self.bytes.get(self.pos..self.pos + word.len()) == Some(word);
        if found {
            self.pos += word.len();
        }
        found
    }

    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.eat(word).then_some(())
    }

    /// The text of a string whose opening quote was just consumed: plain runs are crossed
    /// eight bytes at a time, escapes are checked as `Parser::escape` checks them.
    #[inline(always)]
    fn string(&mut self) -> Option<JsonStr<'a>> {
        let bytes = self.bytes;
        let start = self.pos;
        let mut escaped = false;
        let mut at = start;
        loop {
            at = crate::scan::swar::string_stop(bytes, at)?;
            match *bytes.get(at)? {
                b'"' => {
                    self.pos = at + 1;
                    return Some(JsonStr::from_validated(self.text.get(start..at)?, escaped));
                }
                b'\\' => {
                    escaped = true;
                    at += match *bytes.get(at + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        b'u' if bytes.get(at + 2..at + 6)?.iter().all(u8::is_ascii_hexdigit) => 6,
                        _ => return None,
                    };
                }
                // A control character: invalid in a string.
                _ => return None,
            }
        }
    }

    /// `"…"` or `null`.
    #[inline(always)]
    fn opt_string(&mut self) -> Option<Option<JsonStr<'a>>> {
        match self.next()? {
            b'"' => self.string().map(Some),
            b'n' => self.literal(b"ull").map(|()| None),
            _ => None,
        }
    }

    /// An integer that fits in `i64` (except `i64::MIN`, left to the general path).
    #[inline(always)]
    fn int(&mut self) -> Option<i64> {
        let bytes = self.bytes;
        let negative = bytes.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let first = self.pos;
        let mut value: i64 = 0;
        while let Some(&byte) = bytes.get(self.pos) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            value = value.checked_mul(10)?.checked_add(i64::from(digit))?;
            self.pos += 1;
        }
        let digits = self.pos - first;
        if digits == 0 || (digits > 1 && bytes.get(first) == Some(&b'0')) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = bytes.get(self.pos) {
            return None;
        }
        Some(if negative { -value } else { value })
    }

    /// An integer or `null`.
    #[inline(always)]
    fn opt_int(&mut self) -> Option<Option<i64>> {
        if self.peek()? == b'n' {
            self.pos += 1;
            return self.literal(b"ull").map(|()| None);
        }
        self.int().map(Some)
    }

    fn opt_bool(&mut self) -> Option<Option<bool>> {
        match self.next()? {
            b't' => self.literal(b"rue").map(|()| Some(true)),
            b'f' => self.literal(b"alse").map(|()| Some(false)),
            b'n' => self.literal(b"ull").map(|()| None),
            _ => None,
        }
    }

    /// The members of an object whose `{` was just consumed; `member` reads one value and
    /// returns the bit that marks its key as seen (so duplicates go to the general path).
    #[inline(always)]
    fn members(&mut self, mut member: impl FnMut(&mut Self, &[u8]) -> Option<u32>) -> Option<()> {
        let mut seen = 0u32;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            if self.next()? != b'"' {
                return None;
            }
            let key = self.string()?;
            if key.has_escapes() || self.next()? != b':' {
                return None;
            }
            let bit = member(self, key.raw().as_bytes())?;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            match self.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// `{…}` (true, the `{` consumed) or `null` (false).
    fn opt_object(&mut self) -> Option<bool> {
        match self.next()? {
            b'{' => Some(true),
            b'n' => self.literal(b"ull").map(|()| false),
            _ => None,
        }
    }

    fn progress_detail(&mut self) -> Option<Option<ProgressDetail<'a>>> {
        if !self.opt_object()? {
            return Some(None);
        }
        let mut d = ProgressDetail::default();
        self.members(|p, key| {
            Some(match key {
                b"current" => {
                    d.current = p.opt_int()?;
                    1
                }
                b"total" => {
                    d.total = p.opt_int()?;
                    1 << 1
                }
                b"start" => {
                    d.start = p.opt_int()?;
                    1 << 2
                }
                b"hidecounts" => {
                    d.hidecounts = p.opt_bool()?;
                    1 << 3
                }
                b"units" => {
                    d.units = p.opt_string()?;
                    1 << 4
                }
                _ => return None,
            })
        })?;
        Some(Some(d))
    }

    fn error_detail(&mut self) -> Option<Option<ErrorDetail<'a>>> {
        if !self.opt_object()? {
            return Some(None);
        }
        let mut d = ErrorDetail::default();
        self.members(|p, key| {
            Some(match key {
                b"code" => {
                    d.code = p.opt_int()?;
                    1
                }
                b"message" => {
                    d.message = p.opt_string()?;
                    1 << 1
                }
                _ => return None,
            })
        })?;
        Some(Some(d))
    }

    /// Any record of known keys, in any order.
    fn record(&mut self, max_depth: u32) -> Option<Message<'a>> {
        if self.next()? != b'{' {
            return None;
        }
        let mut m = Message::default();
        self.members(|p, key| {
            Some(match key {
                b"status" => {
                    m.status = p.opt_string()?;
                    1
                }
                b"id" => {
                    m.id = p.opt_string()?;
                    1 << 1
                }
                b"progressDetail" => {
                    // A nested object is depth 2: a tighter limit is the general path's to report.
                    if max_depth < 2 {
                        return None;
                    }
                    m.progress_detail = p.progress_detail()?;
                    1 << 2
                }
                b"progress" => {
                    m.progress = p.opt_string()?;
                    1 << 3
                }
                b"stream" => {
                    m.stream = p.opt_string()?;
                    1 << 4
                }
                b"errorDetail" => {
                    if max_depth < 2 {
                        return None;
                    }
                    m.error_detail = p.error_detail()?;
                    1 << 5
                }
                b"error" => {
                    m.error = p.opt_string()?;
                    1 << 6
                }
                b"message" => {
                    m.message = p.opt_string()?;
                    1 << 7
                }
                b"from" => {
                    m.from = p.opt_string()?;
                    1 << 9
                }
                b"time" => {
                    m.time = p.opt_int()?;
                    1 << 10
                }
                b"timeNano" => {
                    m.time_nano = p.opt_int()?;
                    1 << 11
                }
                // `aux`, unknown keys: the general path skips and validates them.
                _ => return None,
            })
        })?;
        Some(m)
    }

    /// Docker's own layout, byte for byte as Go writes it: `status`, then optionally
    /// `progressDetail` (empty, or `current` and `total`), `progress` and `id`, in that order,
    /// with no whitespace. Nine records in ten look like this, and each key then costs one
    /// comparison instead of a scan and a lookup. Anything else: `None`, and [`Fast::record`]
    /// reads the record from its start.
    #[inline(always)]
    fn docker_layout(&mut self, max_depth: u32) -> Option<Message<'a>> {
        if !self.eat(br#"{"status":""#) {
            return None;
        }
        let mut m = Message {
            status: Some(self.string()?),
            ..Message::default()
        };
        if max_depth >= 2 && self.eat(br#","progressDetail":{"#) {
            let mut d = ProgressDetail::default();
            if !self.eat(b"}") {
                if !self.eat(br#""current":"#) {
                    return None;
                }
                d.current = Some(self.int()?);
                if self.eat(br#","total":"#) {
                    d.total = Some(self.int()?);
                }
                if !self.eat(b"}") {
                    return None;
                }
            }
            m.progress_detail = Some(d);
        }
        if self.eat(br#","progress":""#) {
            m.progress = Some(self.string()?);
        }
        if self.eat(br#","id":""#) {
            m.id = Some(self.string()?);
        }
        if !self.eat(b"}") {
            return None;
        }
        Some(m)
    }
}

impl<'a> Message<'a> {
    /// The fast path (see above): the record that starts at `text[0]` and, when it is one the
    /// fast path reads, its fields and its length in bytes. `None` means "use the general path".
    #[inline]
    pub(crate) fn parse_prefix(text: &'a str, max_depth: u32) -> Option<(Message<'a>, usize)> {
        let mut fast = Fast {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        };
        if let Some(message) = fast.docker_layout(max_depth) {
            return Some((message, fast.pos));
        }
        fast.pos = 0;
        let message = fast.record(max_depth)?;
        Some((message, fast.pos))
    }
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
        assert_eq!(
            (detail.current, detail.total, detail.start),
            (Some(1), Some(-1), Some(7))
        );
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
        assert_eq!(
            parse(r#"{"status":null,"aux":null}"#).unwrap(),
            Message::default()
        );
        assert!(parse(r#"{"progressDetail":{}}"#)
            .unwrap()
            .progress_detail
            .unwrap()
            .is_empty());
    }

    #[test]
    fn errors_are_reported_with_positions() {
        let cases = [
            (
                r#"{"progressDetail":{"current":"12"}}"#,
                "invalid record: \"current\" must be an integer @29",
            ),
            (
                r#"{"progressDetail":{"current":1.5}}"#,
                "invalid record: \"current\" must be a whole number that fits in 64 bits @29",
            ),
            (
                r#"{"progressDetail":{"total":1e400}}"#,
                "invalid record: \"total\" must be a whole number that fits in 64 bits @27",
            ),
            (
                r#"{"status":1}"#,
                "invalid record: \"status\" must be a string @10",
            ),
            (
                r#"{"status":"a","status":"b"}"#,
                "invalid record: duplicate field \"status\" @23",
            ),
            (
                r#"{"status":"a\u12"}"#,
                "invalid record: invalid \\u escape @12",
            ),
            (
                "{\"status\":\"a\u{1}\"}",
                "invalid record: control character in string @12",
            ),
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
