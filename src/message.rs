//! The borrowed view of one record: every field the daemons send, as written.
//!
//! This is the schema Docker calls `JSONMessage` (and, since v29, `jsonstream.Message`). All
//! fields are optional, unknown fields are ignored and field order never matters.
//!
//! Two readers take a record's bytes:
//!
//! - [`Message::parse_lenient`], which the decoder uses, reads a record that is valid JSON the
//!   way the daemon's own Go client would: a known field whose JSON type is wrong reads as absent,
//!   a repeated known key takes its last value, and the record is still delivered, with the first
//!   such oddity reported beside it ([`Parsed::oddity`]). Only invalid JSON (or UTF-8) loses the
//!   record.
//! - [`Message::parse`] is the strict reading of the same rules: any oddity is an error.
//!
//! A record that is not valid JSON but carries an `error` or `errorDetail` key is still an error
//! report: [`salvage_error`] recovers its message from the bytes as well as it can.

use std::ops::Range;

use memchr::{memchr, memchr2};

use crate::error::{ErrorKind, ErrorSource, SalvagedError};
use crate::json::{push_lossy, unquote_lossy, Fault, JsonStr, KeyText, Number, Parser, RawJson};

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

/// A record read by [`Message::parse_lenient`]: every field that could be read, and the first
/// oddity met on the way.
///
/// ```
/// use pullstream::message::Message;
/// use pullstream::ErrorKind;
///
/// let record = br#"{"errorDetail":{"code":"ENOSPC","message":"no space left on device"}}"#;
/// let parsed = Message::parse_lenient(record, 16).unwrap();
/// let detail = parsed.message.error_detail.unwrap();
/// assert_eq!(detail.message.unwrap(), "no space left on device");
/// assert_eq!(detail.code, None);
/// let (kind, at) = parsed.oddity.unwrap();
/// assert!(matches!(kind, ErrorKind::WrongType { field: "code", .. }));
/// assert_eq!(at, 23);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parsed<'a> {
    /// The fields, read by the rules of [`Message::parse_lenient`].
    pub message: Message<'a>,
    /// The first oddity in record order, with its index in the record: an
    /// [`ErrorKind::WrongType`] (at the value's first byte) or an [`ErrorKind::DuplicateField`]
    /// (after the repeated key's `:`). `None` when the record reads cleanly.
    pub oddity: Option<(ErrorKind, usize)>,
}

/// The first oddity of a record; later ones are not kept (one report per record).
#[derive(Default)]
struct Oddity(Option<Fault>);

impl Oddity {
    fn note(&mut self, fault: Fault) {
        if self.0.is_none() {
            self.0 = Some(fault);
        }
    }
}

/// Fields already seen in one object, to notice repeated keys.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    /// Marks the field with `bit`; true when it was marked already (a repeated key).
    fn repeated(&mut self, bit: u32) -> bool {
        let repeated = self.0 & bit != 0;
        self.0 |= bit;
        repeated
    }
}

fn wrong_type(field: &'static str, expected: &'static str, at: usize) -> Fault {
    (ErrorKind::WrongType { field, expected }, at)
}

// The field readers below follow Go's `encoding/json`, which is what the daemon and its client
// decode with (golang/go `src/encoding/json/decode.go`): a value of the wrong type is skipped
// and leaves the field as it was ("Unmarshal skips that field and completes the unmarshaling as
// best it can", `Unmarshal`'s doc and `literalStore`); `null` leaves a string, number or bool as
// it was and resets an object field (`literalStore`, case 'n'); a repeated key is decoded again
// into the same field, so its last good value stands and a repeated object is merged into the
// first one (`object` decodes each key into its field; `indirect` reuses a non-nil pointer).

/// A string field. With `salvage` (the error texts), a value of the wrong type that meets the
/// field still absent fills it with the text [`salvage_text`] finds in it.
fn read_string<'a>(
    parser: &mut Parser<'a>,
    field: &'static str,
    slot: &mut Option<JsonStr<'a>>,
    oddity: &mut Oddity,
    salvage: bool,
) -> Result<(), Fault> {
    match parser.peek() {
        Some(b'"') => *slot = Some(parser.string()?),
        Some(b'n') => {
            parser.eat_null()?;
        }
        _ => {
            // Noted before the value is read: a strict reading reports this, not a later fault.
            oddity.note(wrong_type(field, "a string", parser.pos()));
            let value = parser.raw_value()?;
            if salvage && slot.is_none() {
                *slot = Some(salvage_text(value));
            }
        }
    }
    Ok(())
}

fn read_int(
    parser: &mut Parser<'_>,
    field: &'static str,
    slot: &mut Option<i64>,
    oddity: &mut Oddity,
) -> Result<(), Fault> {
    if parser.eat_null()? {
        return Ok(());
    }
    let at = parser.pos();
    match parser.peek() {
        Some(b'-' | b'0'..=b'9') => match parser.number()? {
            Number::Int(v) => *slot = Some(v),
            Number::Other => {
                oddity.note(wrong_type(field, "a whole number that fits in 64 bits", at));
            }
        },
        _ => {
            oddity.note(wrong_type(field, "an integer", at));
            parser.raw_value()?;
        }
    }
    Ok(())
}

fn read_bool(
    parser: &mut Parser<'_>,
    field: &'static str,
    slot: &mut Option<bool>,
    oddity: &mut Oddity,
) -> Result<(), Fault> {
    match parser.peek() {
        Some(b't' | b'f' | b'n') => {
            if let Some(value) = parser.bool_or_null()? {
                *slot = Some(value);
            }
        }
        _ => {
            oddity.note(wrong_type(field, "true or false", parser.pos()));
            parser.raw_value()?;
        }
    }
    Ok(())
}

/// What an object field holds next: `Some(true)` when an object starts (the `{` not consumed),
/// `Some(false)` after a `null`, `None` after a value of the wrong type (noted, and returned in
/// `wrong` for salvage).
fn object_or_null<'a>(
    parser: &mut Parser<'a>,
    field: &'static str,
    oddity: &mut Oddity,
    wrong: &mut Option<RawJson<'a>>,
) -> Result<Option<bool>, Fault> {
    match parser.peek() {
        Some(b'{') => Ok(Some(true)),
        Some(b'n') => parser.eat_null().map(|_| Some(false)),
        _ => {
            oddity.note(wrong_type(field, "an object", parser.pos()));
            *wrong = Some(parser.raw_value()?);
            Ok(None)
        }
    }
}

/// Text for an error field whose value has the wrong type: a string as it is; from an object,
/// its `message` string (Docker's `JSONError` shape; the last one if repeated); a number,
/// `true` or `false` as written (text with no quote, backslash or control character, so valid
/// string content); [`UNREADABLE_ERROR`] for an array or an object without a `message` string
/// (the key says the record is an error even when its text cannot be had; an empty string is
/// not one: Podman 2 writes `"error":""` on every record).
fn salvage_text(value: RawJson<'_>) -> JsonStr<'_> {
    let unreadable = JsonStr::from_validated(UNREADABLE_ERROR, false);
    match value.get().as_bytes().first() {
        Some(b'"') => value.as_str().unwrap_or(unreadable),
        Some(b'{') => message_member(value).unwrap_or(unreadable),
        Some(b'[') | None => unreadable,
        Some(_) => JsonStr::from_validated(value.get(), false),
    }
}

/// The text given to an error field whose value holds no text.
pub const UNREADABLE_ERROR: &str = "unknown error (the error field could not be read)";

/// The last `message` member of an object that is a string.
fn message_member(object: RawJson<'_>) -> Option<JsonStr<'_>> {
    let mut parser = Parser::new(object.get(), crate::scan::MAX_DEPTH_LIMIT);
    let mut found = None;
    parser
        .object(|parser, key| {
            if Detail::find(key) == Some(Detail::Message) && parser.peek() == Some(b'"') {
                found = Some(parser.string()?);
                return Ok(());
            }
            parser.raw_value().map(drop)
        })
        .ok()?;
    found
}

// ---------------------------------------------------------------------------------------------
// The fields, listed once: every reader below (the general parser, the fast path, the salvage
// reader) takes its keys, its duplicate-detection bits and the names in its errors from here.

/// Declares the keys of one JSON object the readers know: an enum with one variant per key, in
/// the order of [`Message`]'s fields (which is also the order of the duplicate-detection bits).
/// Keys are byte strings so that the fast path matches them as byte patterns, as it did before
/// the table existed (a `&str` match compiled to slower comparisons: 1 % more instructions).
macro_rules! fields {
    ($(#[$meta:meta])* enum $name:ident { $($(#[$doc:meta])* $variant:ident = $key:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum $name {
            $($(#[$doc])* $variant,)+
        }

        impl $name {
            /// Every field, in declaration order.
            #[cfg(test)]
            const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The JSON key, as the daemon writes it (and as errors name the field).
            const fn key(self) -> &'static str {
                match self {
                    $($name::$variant => {
                        // Checked when compiling: a key that is not UTF-8 does not build.
                        const KEY: &str = match std::str::from_utf8($key) {
                            Ok(key) => key,
                            Err(_) => panic!("a field key must be UTF-8"),
                        };
                        KEY
                    })+
                }
            }

            /// The field a key names. Escaped keys (legal, never sent) are compared decoded.
            fn find(key: KeyText<'_>) -> Option<Self> {
                match key.plain() {
                    Some(plain) => Self::from_key(plain.as_bytes()),
                    None => [$($name::$variant,)+].into_iter().find(|field| key == field.key()),
                }
            }

        }

        impl Field for $name {
            #[inline(always)]
            fn from_key(key: &[u8]) -> Option<Self> {
                match key {
                    $($key => Some($name::$variant),)+
                    _ => None,
                }
            }

            #[inline(always)]
            fn bit(self) -> u32 {
                1 << self as u32
            }
        }
    };
}

/// What the readers need of a field table made by `fields!`.
trait Field: Copy {
    /// The field whose key is exactly `key` (no escapes resolved).
    fn from_key(key: &[u8]) -> Option<Self>;
    /// The field's bit in a set of fields already seen (to notice a repeated key).
    fn bit(self) -> u32;
}

fields! {
    /// The top-level fields of a record ([`Message`]).
    enum Top {
        Status = b"status",
        Id = b"id",
        ProgressDetail = b"progressDetail",
        Progress = b"progress",
        Stream = b"stream",
        ErrorDetail = b"errorDetail",
        Error = b"error",
        Message = b"message",
        Aux = b"aux",
        From = b"from",
        Time = b"time",
        TimeNano = b"timeNano",
    }
}

fields! {
    /// The fields of `progressDetail` ([`ProgressDetail`]).
    enum Progress {
        Current = b"current",
        Total = b"total",
        Start = b"start",
        HideCounts = b"hidecounts",
        Units = b"units",
    }
}

fields! {
    /// The fields of `errorDetail` ([`ErrorDetail`]).
    enum Detail {
        Code = b"code",
        Message = b"message",
    }
}

impl<'a> Message<'a> {
    /// Parses one record (a complete JSON object) strictly: every known field must have its
    /// JSON type and appear once.
    ///
    /// `max_depth` bounds nesting inside `aux` and unknown fields (at most
    /// [`crate::scan::MAX_DEPTH_LIMIT`], whatever is asked).
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] for invalid JSON or UTF-8; otherwise the first oddity that
    /// [`Message::parse_lenient`] would report beside the record ([`ErrorKind::WrongType`] or
    /// [`ErrorKind::DuplicateField`]). The index is the position of the problem inside `bytes`.
    pub fn parse(bytes: &'a [u8], max_depth: u32) -> Result<Message<'a>, (ErrorKind, usize)> {
        let mut oddity = Oddity::default();
        let read = read_record(bytes, max_depth, &mut oddity);
        // An oddity always lies before any syntax error (both are found reading forward).
        match oddity.0 {
            Some(fault) => Err(fault),
            None => read,
        }
    }

    /// Parses one record (a complete JSON object), delivering every field it can read.
    ///
    /// A record that is valid JSON is never lost to a field it cannot read. As Go's
    /// `encoding/json` decodes it (golang/go `src/encoding/json/decode.go`):
    /// - a known field whose value has the wrong JSON type (`"status":1`, `"progressDetail":"x"`,
    ///   `"current":1.5`, an integer beyond `i64`) reads as absent, or keeps the value an
    ///   earlier occurrence of its key gave it;
    /// - a known key repeated in one object takes its last value of the right type; a repeated
    ///   `progressDetail` or `errorDetail` object is merged into the first; `null` resets those
    ///   two objects and `aux`, and leaves any other field as it was;
    /// - the error fields salvage what text they can: `error` or `errorDetail.message` of the
    ///   wrong type takes the `message` string of an object, or the text of a number or
    ///   boolean, or else the empty string; an `errorDetail` that is not an object becomes one
    ///   whose `message` is the value's text (a string as it is) and whose `code` is absent. So
    ///   `error` and `error_detail` are `Some` exactly when the record has that key with a
    ///   value other than `null` (and, for `errorDetail`, no `null` after it).
    ///
    /// The first such oddity (a wrong type, or a repeated key) comes back in
    /// [`Parsed::oddity`]. `max_depth` is as for [`Message::parse`].
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] for invalid JSON or UTF-8 (see [`salvage_error`] for what can
    /// still be read from such a record), with its position inside `bytes`.
    pub fn parse_lenient(
        bytes: &'a [u8],
        max_depth: u32,
    ) -> Result<Parsed<'a>, (ErrorKind, usize)> {
        let mut oddity = Oddity::default();
        let message = read_record(bytes, max_depth, &mut oddity)?;
        Ok(Parsed {
            message,
            oddity: oddity.0,
        })
    }
}

fn read_record<'a>(
    bytes: &'a [u8],
    max_depth: u32,
    oddity: &mut Oddity,
) -> Result<Message<'a>, Fault> {
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
    let mut parser = Parser::new(text, max_depth.min(crate::scan::MAX_DEPTH_LIMIT));
    let mut m = Message::default();
    let mut seen = Seen::default();
    parser.object(|parser, key| {
        let at = parser.pos();
        let Some(field) = Top::find(key) else {
            return parser.raw_value().map(drop);
        };
        let name = field.key();
        if seen.repeated(field.bit()) {
            oddity.note((ErrorKind::DuplicateField { field: name }, at));
        }
        match field {
            Top::Status => read_string(parser, name, &mut m.status, oddity, false),
            Top::Id => read_string(parser, name, &mut m.id, oddity, false),
            Top::ProgressDetail => read_progress_detail(parser, &mut m.progress_detail, oddity),
            Top::Progress => read_string(parser, name, &mut m.progress, oddity, false),
            Top::Stream => read_string(parser, name, &mut m.stream, oddity, false),
            Top::ErrorDetail => read_error_detail(parser, &mut m.error_detail, oddity),
            Top::Error => read_string(parser, name, &mut m.error, oddity, true),
            Top::Message => read_string(parser, name, &mut m.message, oddity, false),
            Top::Aux => {
                let value = parser.raw_value()?;
                m.aux = (value.get() != "null").then_some(value);
                Ok(())
            }
            Top::From => read_string(parser, name, &mut m.from, oddity, false),
            Top::Time => read_int(parser, name, &mut m.time, oddity),
            Top::TimeNano => read_int(parser, name, &mut m.time_nano, oddity),
        }
    })?;
    if parser.peek().is_some() {
        return Err((
            ErrorKind::Syntax {
                reason: "trailing characters after the record",
            },
            parser.pos(),
        ));
    }
    Ok(m)
}

fn read_progress_detail<'a>(
    parser: &mut Parser<'a>,
    slot: &mut Option<ProgressDetail<'a>>,
    oddity: &mut Oddity,
) -> Result<(), Fault> {
    match object_or_null(parser, Top::ProgressDetail.key(), oddity, &mut None)? {
        Some(true) => {}
        Some(false) => {
            *slot = None;
            return Ok(());
        }
        None => return Ok(()),
    }
    let mut detail = slot.unwrap_or_default();
    let mut seen = Seen::default();
    parser.object(|parser, key| {
        let at = parser.pos();
        let Some(field) = Progress::find(key) else {
            return parser.raw_value().map(drop);
        };
        let name = field.key();
        if seen.repeated(field.bit()) {
            oddity.note((ErrorKind::DuplicateField { field: name }, at));
        }
        match field {
            Progress::Current => read_int(parser, name, &mut detail.current, oddity),
            Progress::Total => read_int(parser, name, &mut detail.total, oddity),
            Progress::Start => read_int(parser, name, &mut detail.start, oddity),
            Progress::HideCounts => read_bool(parser, name, &mut detail.hidecounts, oddity),
            Progress::Units => read_string(parser, name, &mut detail.units, oddity, false),
        }
    })?;
    *slot = Some(detail);
    Ok(())
}

fn read_error_detail<'a>(
    parser: &mut Parser<'a>,
    slot: &mut Option<ErrorDetail<'a>>,
    oddity: &mut Oddity,
) -> Result<(), Fault> {
    let mut wrong = None;
    match object_or_null(parser, Top::ErrorDetail.key(), oddity, &mut wrong)? {
        Some(true) => {}
        Some(false) => {
            *slot = None;
            return Ok(());
        }
        None => {
            if let (None, Some(value)) = (*slot, wrong) {
                *slot = Some(ErrorDetail {
                    code: None,
                    message: Some(salvage_text(value)),
                });
            }
            return Ok(());
        }
    }
    let mut detail = slot.unwrap_or_default();
    let mut seen = Seen::default();
    parser.object(|parser, key| {
        let at = parser.pos();
        let Some(field) = Detail::find(key) else {
            return parser.raw_value().map(drop);
        };
        let name = field.key();
        if seen.repeated(field.bit()) {
            oddity.note((ErrorKind::DuplicateField { field: name }, at));
        }
        match field {
            Detail::Code => read_int(parser, name, &mut detail.code, oddity),
            Detail::Message => read_string(parser, name, &mut detail.message, oddity, true),
        }
    })?;
    *slot = Some(detail);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The fast path: one pass that finds the record's end *and* reads its fields.
//
// The decoder calls it when a record starts in the bytes it holds, before the splitter has
// looked for the record's end. It accepts only the shapes daemons actually send (known keys in
// any order, without escapes; strings, integers, `null`, and the two small nested objects), and
// gives up (`None`) on anything else, including a record that runs past the end of the input.
// Giving up costs only time: the decoder then frames the record with the splitter and parses
// it with the general parser, so every error, oddity and offset stays exactly what the general
// path reports. What it accepts, the general path accepts with the same fields and no oddity
// (it gives up on a repeated key and on any value of the wrong type), and the splitter would
// have ended the record at the same byte (no raw line break in a string, no `{` outside a
// value, depth 2 at most).
//
// It reads already-validated UTF-8 (the decoder checks its input in blocks, which is cheaper
// than once per record), so every string is borrowed straight into the `Message`.

struct Fast<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Fast<'a> {
    /// Skips spaces, tabs and carriage returns, but not a line feed: the fast path gives up on
    /// a record with a line feed outside its strings, because there the splitter may end the
    /// record (a `{` that begins a line, docs/FORMAT.md §2.2), and only the general path decides.
    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r') = self.bytes.get(self.pos) {
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
            at = crate::swar::string_stop(bytes, at)?;
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

    /// The members of an object whose `{` was just consumed; `member` reads the value of one
    /// known field. An unknown or repeated key gives up (the general path reports a repeat).
    #[inline(always)]
    fn members<F: Field>(
        &mut self,
        mut member: impl FnMut(&mut Self, F) -> Option<()>,
    ) -> Option<()> {
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
            let field = F::from_key(key.raw().as_bytes())?;
            let bit = field.bit();
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            member(self, field)?;
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

    // Out of line, as the optimiser used to choose: inlined, this and `error_detail` made the
    // member reader of `record` too large to be inlined into `members` (measured with
    // callgrind: 220 k more instructions per 4 MiB of `full_pipeline`, +0.5 %).
    #[inline(never)]
    fn progress_detail(&mut self) -> Option<Option<ProgressDetail<'a>>> {
        if !self.opt_object()? {
            return Some(None);
        }
        let mut d = ProgressDetail::default();
        self.members(|p, field| {
            match field {
                Progress::Current => d.current = p.opt_int()?,
                Progress::Total => d.total = p.opt_int()?,
                Progress::Start => d.start = p.opt_int()?,
                Progress::HideCounts => d.hidecounts = p.opt_bool()?,
                Progress::Units => d.units = p.opt_string()?,
            }
            Some(())
        })?;
        Some(Some(d))
    }

    // Out of line: see `progress_detail`.
    #[inline(never)]
    fn error_detail(&mut self) -> Option<Option<ErrorDetail<'a>>> {
        if !self.opt_object()? {
            return Some(None);
        }
        let mut d = ErrorDetail::default();
        self.members(|p, field| {
            match field {
                Detail::Code => d.code = p.opt_int()?,
                Detail::Message => d.message = p.opt_string()?,
            }
            Some(())
        })?;
        Some(Some(d))
    }

    /// Any record of known keys, in any order.
    fn record(&mut self, max_depth: u32) -> Option<Message<'a>> {
        if self.next()? != b'{' {
            return None;
        }
        let mut m = Message::default();
        self.members(|p, field| {
            match field {
                Top::Status => m.status = p.opt_string()?,
                Top::Id => m.id = p.opt_string()?,
                // A nested object is depth 2: a tighter limit is the general path's to report.
                Top::ProgressDetail if max_depth < 2 => return None,
                Top::ProgressDetail => m.progress_detail = p.progress_detail()?,
                Top::Progress => m.progress = p.opt_string()?,
                Top::Stream => m.stream = p.opt_string()?,
                Top::ErrorDetail if max_depth < 2 => return None,
                Top::ErrorDetail => m.error_detail = p.error_detail()?,
                Top::Error => m.error = p.opt_string()?,
                Top::Message => m.message = p.opt_string()?,
                // The general path skips and validates `aux` (and unknown keys).
                Top::Aux => return None,
                Top::From => m.from = p.opt_string()?,
                Top::Time => m.time = p.opt_int()?,
                Top::TimeNano => m.time_nano = p.opt_int()?,
            }
            Some(())
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

// ---------------------------------------------------------------------------------------------
// Salvage: the error report inside a record that is not valid JSON.

/// Recovers the error report from a record that failed to parse, when it has one.
///
/// A record with an `error` or `errorDetail` key at its top level is an error report whatever
/// else is wrong with it: invalid UTF-8, a raw control character or a bad escape in a string,
/// a missing comma, garbage after the record, a cut, values of the wrong type, repeated keys.
/// This reads the bytes loosely (a string runs to the next unescaped `"`; brackets are counted
/// whatever their kind; anything else is skipped) and keeps the rules of
/// [`Message::parse_lenient`]: a later value replaces an earlier one unless it has the wrong
/// type, a repeated `errorDetail` object is merged into the first, `null` resets `errorDetail`
/// and leaves `error` as it was, and a value of the wrong type gives what text it can (an
/// object's `message` string, a bare word as written).
///
/// Returns `None` when the bytes do not start (after whitespace) with `{`, or have no `error` or
/// `errorDetail` key at the top level with a value other than `null`. A key is a string at the
/// top level followed by `:`; text inside a string is never a key. On a valid record it agrees
/// with [`Message::parse_lenient`].
///
/// Time is linear in `bytes.len()`; the message is at most three times as long (one U+FFFD per
/// invalid byte). Never panics.
///
/// ```
/// use pullstream::message::salvage_error;
///
/// let record = b"{\"errorDetail\":{\"code\":\"ENOSPC\",\"message\":\"write /var/lib/\xff: no space\"}}";
/// let salvaged = salvage_error(record).unwrap();
/// assert_eq!(salvaged.message, "write /var/lib/\u{FFFD}: no space");
/// assert_eq!(salvaged.code, None);
/// assert!(salvage_error(br#"{"status":"\"error\":\"x\""}"#).is_none());
/// ```
pub fn salvage_error(bytes: &[u8]) -> Option<SalvagedError> {
    let mut loose = Loose { bytes, pos: 0 };
    if loose.peek() != Some(b'{') {
        return None;
    }
    let mut detail: Option<LooseDetail> = None;
    let mut error: Option<LooseText> = None;
    loose.members(|loose, key| {
        if loose.key_is(key.clone(), Top::ErrorDetail.key()) {
            match loose.peek() {
                Some(b'{') => {
                    let mut merged = detail.take().unwrap_or_default();
                    loose.members(|loose, key| {
                        if loose.key_is(key.clone(), Detail::Message.key()) {
                            loose.text(&mut merged.message);
                        } else if loose.key_is(key, Detail::Code.key()) {
                            if let LooseValue::Word(word) = loose.value() {
                                let word = bytes.get(word).unwrap_or_default();
                                if let Some(code) = std::str::from_utf8(word)
                                    .ok()
                                    .and_then(|word| word.parse().ok())
                                {
                                    merged.code = Some(code);
                                }
                            }
                        } else {
                            loose.skip();
                        }
                    });
                    detail = Some(merged);
                }
                _ => match loose.value() {
                    LooseValue::Null => detail = None,
                    value => {
                        if detail.is_none() {
                            detail = Some(LooseDetail {
                                message: Some(value.into_text()),
                                code: None,
                            });
                        }
                    }
                },
            }
        } else if loose.key_is(key, Top::Error.key()) {
            loose.text(&mut error);
        } else {
            loose.skip();
        }
    });
    if detail.is_none() && error.is_none() {
        return None;
    }
    let mut message = String::new();
    let mut source = ErrorSource::Legacy;
    if let Some(detail) = &detail {
        source = ErrorSource::ErrorDetail;
        if let Some(text) = &detail.message {
            text.decode(bytes, &mut message);
        }
    }
    if message.is_empty() {
        if let Some(text) = &error {
            text.decode(bytes, &mut message);
            if !message.is_empty() {
                source = ErrorSource::Legacy;
            }
        }
    }
    Some(SalvagedError {
        message,
        code: detail.and_then(|detail| detail.code),
        source,
    })
}

/// Where a salvaged text lies in the record.
#[derive(Clone, Debug)]
enum LooseText {
    /// The inside of a string, escapes and all.
    Quoted(Range<usize>),
    /// A bare word (a number, a literal, garbage), as written.
    Bare(Range<usize>),
    /// Nothing readable (an array, an object without a `message` string, a missing value).
    Empty,
}

impl LooseText {
    fn decode(&self, bytes: &[u8], out: &mut String) {
        match self {
            LooseText::Quoted(span) => {
                unquote_lossy(bytes.get(span.clone()).unwrap_or_default(), out)
            }
            LooseText::Bare(span) => push_lossy(bytes.get(span.clone()).unwrap_or_default(), out),
            LooseText::Empty => {}
        }
    }
}

#[derive(Default)]
struct LooseDetail {
    message: Option<LooseText>,
    code: Option<i64>,
}

/// One value, read loosely.
enum LooseValue {
    String(Range<usize>),
    /// An object whose `message` member was a string (its last one), or `None`.
    Object(Option<Range<usize>>),
    Word(Range<usize>),
    Null,
    /// An array, or no value at all (`"error":}`).
    Other,
}

impl LooseValue {
    fn into_text(self) -> LooseText {
        match self {
            LooseValue::String(span) | LooseValue::Object(Some(span)) => LooseText::Quoted(span),
            LooseValue::Word(span) => LooseText::Bare(span),
            LooseValue::Object(None) | LooseValue::Null | LooseValue::Other => LooseText::Empty,
        }
    }
}

/// A forgiving reader over bytes that may be anything. Every step moves forward, and no byte is
/// read twice except a key's (once as a string, once to compare it), so a pass is linear.
struct Loose<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl Loose<'_> {
    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.bytes.get(self.pos).copied()
    }

    /// The string whose opening quote is at `pos`: the span of its inside. It ends at the next
    /// `"` not escaped by a backslash, or at the end of the bytes.
    fn string(&mut self) -> Range<usize> {
        let start = (self.pos + 1).min(self.bytes.len());
        let mut at = start;
        loop {
            let rest = self.bytes.get(at..).unwrap_or_default();
            let Some(k) = memchr2(b'"', b'\\', rest) else {
                self.pos = self.bytes.len();
                return start..self.bytes.len();
            };
            let hit = at + k;
            if rest.get(k) == Some(&b'"') {
                self.pos = hit + 1;
                return start..hit;
            }
            // A backslash: whatever follows it is escaped, even a quote.
            at = hit + 2;
        }
    }

    /// A run of bytes up to whitespace, punctuation or a quote.
    fn word(&mut self) -> Range<usize> {
        let start = self.pos;
        while let Some(&byte) = self.bytes.get(self.pos) {
            if matches!(
                byte,
                b' ' | b'\t' | b'\r' | b'\n' | b'{' | b'}' | b'[' | b']' | b',' | b':' | b'"'
            ) {
                break;
            }
            self.pos += 1;
        }
        start..self.pos
    }

    /// Skips a bracketed value whose opening bracket is at `pos`, to the bracket that closes
    /// it (of either kind), strings skipped whole; or to the end of the bytes.
    fn skip_nested(&mut self) {
        let mut depth = 0usize;
        while let Some(&byte) = self.bytes.get(self.pos) {
            match byte {
                b'"' => {
                    self.string();
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.pos += 1;
                        return;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// The members of the object whose `{` is at `pos`: `member` is called with each key (a
    /// string followed by `:`), positioned at its value. Stray bytes between members are
    /// skipped; the object ends at a closing bracket of either kind, or at the end of the bytes.
    fn members(&mut self, mut member: impl FnMut(&mut Self, Range<usize>)) {
        self.pos += 1;
        loop {
            match self.peek() {
                None => return,
                Some(b'}' | b']') => {
                    self.pos += 1;
                    return;
                }
                Some(b'"') => {
                    let key = self.string();
                    if self.peek() == Some(b':') {
                        self.pos += 1;
                        member(self, key);
                    }
                }
                Some(b'{' | b'[') => self.skip_nested(),
                Some(b',' | b':') => self.pos += 1,
                // Not punctuation, so the word is at least this byte long.
                Some(_) => {
                    self.word();
                }
            }
        }
    }

    /// Skips one value of any shape without looking inside it.
    fn skip(&mut self) {
        match self.peek() {
            Some(b'"') => {
                self.string();
            }
            Some(b'{' | b'[') => self.skip_nested(),
            // Punctuation (a missing value) is left to the caller's loop.
            Some(b'}' | b']' | b',' | b':') | None => {}
            Some(_) => {
                self.word();
            }
        }
    }

    /// True when the key spanning `key` reads `name` (decoded, if it has escapes).
    fn key_is(&self, key: Range<usize>, name: &str) -> bool {
        let raw = self.bytes.get(key).unwrap_or_default();
        if memchr(b'\\', raw).is_none() {
            return raw == name.as_bytes();
        }
        // Keys are short; an escaped one (legal, never sent) is decoded to compare.
        let mut decoded = String::new();
        unquote_lossy(raw, &mut decoded);
        decoded == name
    }

    /// Reads one value; an object is read for its `message` string.
    fn value(&mut self) -> LooseValue {
        match self.peek() {
            Some(b'"') => LooseValue::String(self.string()),
            Some(b'{') => {
                let mut message = None;
                // Members are skipped, never read as values: recursion stops at this level.
                self.members(|loose, key| {
                    if loose.key_is(key, Detail::Message.key()) && loose.peek() == Some(b'"') {
                        message = Some(loose.string());
                    } else {
                        loose.skip();
                    }
                });
                LooseValue::Object(message)
            }
            Some(b'[') => {
                self.skip_nested();
                LooseValue::Other
            }
            Some(b'}' | b']' | b',' | b':') | None => LooseValue::Other,
            Some(_) => {
                let word = self.word();
                if self.bytes.get(word.clone()) == Some(b"null".as_slice()) {
                    LooseValue::Null
                } else {
                    LooseValue::Word(word)
                }
            }
        }
    }

    /// Reads the value of an error text (`error`, `errorDetail.message`) into `slot`: a string
    /// replaces it, `null` leaves it, anything else fills it only when it is still empty.
    fn text(&mut self, slot: &mut Option<LooseText>) {
        match self.value() {
            LooseValue::String(span) => *slot = Some(LooseText::Quoted(span)),
            LooseValue::Null => {}
            value => {
                if slot.is_none() {
                    *slot = Some(value.into_text());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Message<'_>, String> {
        Message::parse(text.as_bytes(), 16).map_err(|(kind, at)| format!("{kind} @{at}"))
    }

    /// Each table's keys are distinct, each key finds its own field (plain and escaped), and
    /// each field has its own duplicate-detection bit.
    #[test]
    fn field_tables_are_one_to_one() {
        fn check<F: Copy + PartialEq + std::fmt::Debug>(
            all: &[F],
            key: fn(F) -> &'static str,
            bit: fn(F) -> u32,
            from_key: fn(&[u8]) -> Option<F>,
        ) {
            let mut bits = 0u32;
            for &field in all {
                assert_eq!(from_key(key(field).as_bytes()), Some(field), "{field:?}");
                assert_eq!(bits & bit(field), 0, "{field:?} shares a bit");
                bits |= bit(field);
            }
            assert_eq!(from_key(b"unknown"), None);
        }
        check(Top::ALL, Top::key, Top::bit, Top::from_key);
        check(
            Progress::ALL,
            Progress::key,
            Progress::bit,
            Progress::from_key,
        );
        check(Detail::ALL, Detail::key, Detail::bit, Detail::from_key);
        // An escaped key is compared decoded.
        let m = parse(r#"{"st\u0061tus":"a","errorDetail":{"c\u006fde":2}}"#).unwrap();
        assert_eq!(m.status.unwrap(), "a");
        assert_eq!(m.error_detail.unwrap().code, Some(2));
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
