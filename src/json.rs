//! Borrowed JSON values with lazy unescaping, and the small validating parser behind them.
//!
//! Docker's records are tiny objects of strings and integers, but nearly every string that
//! matters carries an escape (`\u003e` in every progress bar). Decoding those eagerly would cost
//! an allocation per record; [`JsonStr`] keeps the raw text and decodes only when asked.

use std::borrow::Cow;
use std::fmt;

use memchr::{memchr, memchr2};

use crate::error::ErrorKind;

/// A JSON string as it appears in the record: the text between the quotes, escapes and all.
///
/// Comparing and prefix-matching work on the *decoded* text without allocating;
/// [`JsonStr::decode`] allocates only when the string contains an escape.
///
/// ```
/// let mut decoder = pullstream::Decoder::new();
/// let record = decoder.feed(br#"{"progress":"[=\u003e  ] 1MB/2MB"}"#).next().unwrap()?;
/// let bar = record.message().progress.unwrap();
/// assert_eq!(bar.raw(), r"[=\u003e  ] 1MB/2MB");
/// assert_eq!(bar.decode(), "[=>  ] 1MB/2MB");
/// assert!(bar == "[=>  ] 1MB/2MB");
/// # Ok::<(), pullstream::Error>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct JsonStr<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> JsonStr<'a> {
    /// Wraps text that is already known to be valid JSON string content (escapes checked).
    pub(crate) fn from_validated(raw: &'a str, escaped: bool) -> Self {
        JsonStr { raw, escaped }
    }

    /// A string with no escapes, for text that did not come from JSON.
    pub fn plain(text: &'a str) -> Self {
        // Text with a backslash must go through the escape-aware paths to round-trip.
        JsonStr {
            raw: text,
            escaped: text.contains('\\'),
        }
    }

    /// The raw text between the quotes, with escapes as they were on the wire.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// True when the raw text contains at least one escape sequence.
    pub fn has_escapes(&self) -> bool {
        self.escaped
    }

    /// True for `""`.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The decoded text. Borrows when there is nothing to unescape. A lone UTF-16 surrogate
    /// escape (`\ud800`) decodes to U+FFFD, as Go's encoder would have written it.
    pub fn decode(&self) -> Cow<'a, str> {
        if !self.escaped {
            return Cow::Borrowed(self.raw);
        }
        Cow::Owned(self.chars().collect())
    }

    /// The decoded characters, produced lazily without allocating.
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            rest: self.raw,
            escaped: self.escaped,
        }
    }

    /// If the decoded text starts with `prefix`, the rest of it.
    pub fn strip_prefix(&self, prefix: &str) -> Option<JsonStr<'a>> {
        if !self.escaped {
            return self.raw.strip_prefix(prefix).map(JsonStr::plain);
        }
        let mut chars = self.chars();
        for expected in prefix.chars() {
            if chars.next()? != expected {
                return None;
            }
        }
        let rest = chars.rest;
        Some(JsonStr {
            raw: rest,
            escaped: rest.contains('\\'),
        })
    }

    /// If the decoded text ends with `suffix`, the text before it.
    pub fn strip_suffix(&self, suffix: &str) -> Option<JsonStr<'a>> {
        if !self.escaped {
            return self.raw.strip_suffix(suffix).map(JsonStr::plain);
        }
        // Escapes are rare on this path: split the raw text where the decoded suffix begins.
        let mut cut = self.raw.len();
        let decoded_len = self.chars().count();
        let wanted = suffix.chars().count();
        let keep = decoded_len.checked_sub(wanted)?;
        let mut chars = self.chars();
        for _ in 0..keep {
            chars.next();
            cut = self.raw.len() - chars.rest.len();
        }
        if keep == 0 {
            cut = 0;
        }
        let (head, tail) = self.raw.split_at(cut);
        let tail = JsonStr {
            raw: tail,
            escaped: tail.contains('\\'),
        };
        if tail.chars().eq(suffix.chars()) {
            Some(JsonStr {
                raw: head,
                escaped: head.contains('\\'),
            })
        } else {
            None
        }
    }

    /// True when the decoded text starts with `prefix`.
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.strip_prefix(prefix).is_some()
    }

    /// ASCII-case-insensitive search for `needle` in the raw text. Meant for classifying
    /// messages by words that Go never escapes (letters, digits, spaces, `:` and `/`).
    pub fn contains_ignore_case(&self, needle: &str) -> bool {
        let hay = self.raw.as_bytes();
        let needle = needle.as_bytes();
        if needle.is_empty() {
            return true;
        }
        hay.windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
    }
}

/// `a == b`, with short strings compared in line. Most pairs compared here are layer ids
/// (12 bytes) in the tracker's lookups, mostly unequal: two eight-byte comparisons decide any
/// pair of 8 to 16 bytes without a call to `memcmp` (measured: the calls cost 1.8 M instructions
/// per 4 MiB of pull stream, 3.7 per record).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.first_chunk::<8>() != b.first_chunk::<8>() {
        return false;
    }
    if (8..=16).contains(&a.len()) {
        // The first and the last eight bytes cover them all.
        return a.last_chunk::<8>() == b.last_chunk::<8>();
    }
    a == b
}

impl PartialEq<str> for JsonStr<'_> {
    fn eq(&self, other: &str) -> bool {
        if !self.escaped {
            return same_bytes(self.raw.as_bytes(), other.as_bytes());
        }
        self.chars().eq(other.chars())
    }
}

impl PartialEq<&str> for JsonStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.decode(), f)
    }
}

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.escaped {
            return f.write_str(self.raw);
        }
        for c in self.chars() {
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

/// Iterator over the decoded characters of a [`JsonStr`].
#[derive(Clone, Debug)]
pub struct Chars<'a> {
    rest: &'a str,
    escaped: bool,
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let mut chars = self.rest.chars();
        let first = chars.next()?;
        if first != '\\' || !self.escaped {
            self.rest = chars.as_str();
            return Some(first);
        }
        let bytes = self.rest.as_bytes();
        let (c, used) = match bytes.get(1) {
            Some(b'n') => ('\n', 2),
            Some(b't') => ('\t', 2),
            Some(b'r') => ('\r', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'u') => decode_unicode_escape(bytes),
            Some(&other) => (other as char, 2),
            None => ('\\', 1),
        };
        self.rest = self.rest.get(used..).unwrap_or("");
        Some(c)
    }
}

/// Decodes `\uXXXX` (and a following low surrogate) at the start of `bytes`.
/// Returns the character and the number of bytes used.
fn decode_unicode_escape(bytes: &[u8]) -> (char, usize) {
    let Some(high) = hex4(bytes.get(2..6)) else {
        return (char::REPLACEMENT_CHARACTER, 2);
    };
    if (0xD800..0xDC00).contains(&high) {
        if bytes.get(6) == Some(&b'\\') && bytes.get(7) == Some(&b'u') {
            if let Some(low) = hex4(bytes.get(8..12)) {
                if (0xDC00..0xE000).contains(&low) {
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    return (
                        char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                        12,
                    );
                }
            }
        }
        return (char::REPLACEMENT_CHARACTER, 6);
    }
    (
        char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER),
        6,
    )
}

fn hex4(digits: Option<&[u8]>) -> Option<u32> {
    let digits = digits?;
    let mut value = 0u32;
    for &d in digits {
        value = value * 16 + (d as char).to_digit(16)?;
    }
    Some(value)
}

/// Appends `bytes` as text, each byte of an invalid UTF-8 sequence replaced by U+FFFD.
///
/// One U+FFFD per byte, as Go's `encoding/json` does when it coerces a string to well-formed
/// UTF-8 (golang/go `src/encoding/json/decode.go`, `unquoteBytes`: `utf8.DecodeRune` yields
/// `RuneError` with size 1 for each invalid byte). Rust's `from_utf8_lossy` would give one per
/// maximal invalid sequence, so the two would disagree on a character cut short.
pub(crate) fn push_lossy(mut bytes: &[u8], out: &mut String) {
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                out.push_str(text);
                return;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                // `None`: a sequence cut by the end of the bytes; every byte of it is invalid.
                let bad = e.error_len().unwrap_or(rest.len());
                out.extend(std::iter::repeat_n(char::REPLACEMENT_CHARACTER, bad));
                bytes = rest.get(bad..).unwrap_or_default();
            }
        }
    }
}

/// Decodes the text between a JSON string's quotes as well as it can, for a record that failed
/// validation: escapes are resolved (a lone surrogate escape becomes U+FFFD), each byte of
/// invalid UTF-8 becomes U+FFFD (see [`push_lossy`]), and what JSON does not allow is kept as
/// written: a raw control character, an unknown escape or a `\u` without four hex digits
/// (backslash included), a backslash at the end. Linear in `raw`'s length.
pub(crate) fn unquote_lossy(raw: &[u8], out: &mut String) {
    let mut rest = raw;
    while let Some(k) = memchr(b'\\', rest) {
        push_lossy(&rest[..k], out);
        let escape = &rest[k..];
        let (c, used) = match escape.get(1) {
            Some(b'"') => ('"', 2),
            Some(b'\\') => ('\\', 2),
            Some(b'/') => ('/', 2),
            Some(b'n') => ('\n', 2),
            Some(b't') => ('\t', 2),
            Some(b'r') => ('\r', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'u') if hex4(escape.get(2..6)).is_some() => decode_unicode_escape(escape),
            // Not an escape JSON knows: keep the backslash; what follows is read as text.
            _ => ('\\', 1),
        };
        out.push(c);
        rest = escape.get(used..).unwrap_or_default();
    }
    push_lossy(rest, out);
}

/// Any JSON value, kept as its raw text (validated). Used for `aux`, whose shape depends on
/// the operation.
///
/// ```
/// let mut decoder = pullstream::Decoder::new();
/// let record = decoder
///     .feed(br#"{"aux":{"Tag":"v1","Digest":"sha256:ab","Size":1571}}"#)
///     .next()
///     .unwrap()?;
/// let aux = record.message().aux.unwrap();
/// assert_eq!(aux.field("Tag").and_then(|v| v.as_str()).unwrap(), "v1");
/// assert_eq!(aux.field("Size").and_then(|v| v.as_i64()), Some(1571));
/// # Ok::<(), pullstream::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RawJson<'a> {
    text: &'a str,
}

impl<'a> RawJson<'a> {
    /// The raw JSON text of the value.
    pub fn get(&self) -> &'a str {
        self.text
    }

    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<JsonStr<'a>> {
        let mut parser = Parser::new(self.text, 1);
        if parser.peek() != Some(b'"') {
            return None;
        }
        parser.string().ok()
    }

    /// The value as an integer, if it is one that fits in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match Parser::new(self.text, 1).number().ok()? {
            Number::Int(v) => Some(v),
            Number::Other => None,
        }
    }

    /// True when the value is a JSON object.
    pub fn is_object(&self) -> bool {
        self.text.starts_with('{')
    }

    /// The value of `key` in this object (the first one, if repeated); `None` when this is not
    /// an object or has no such key.
    pub fn field(&self, key: &str) -> Option<RawJson<'a>> {
        let mut parser = Parser::new(self.text, crate::scan::MAX_DEPTH_LIMIT);
        let mut found = None;
        parser
            .object(|parser, name| {
                let value = parser.raw_value()?;
                if found.is_none() && name == key {
                    found = Some(value);
                }
                Ok(())
            })
            .ok()?;
        found
    }
}

/// A number as far as the decoder cares: an `i64`, or something else (fraction, exponent,
/// out of range) that a typed field rejects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Number {
    Int(i64),
    Other,
}

/// A problem found by the parser, with its index in the record.
pub(crate) type Fault = (ErrorKind, usize);

fn syntax(reason: &'static str, at: usize) -> Fault {
    (ErrorKind::Syntax { reason }, at)
}

/// A strict, non-recursive-in-the-caller JSON parser over one record's text.
///
/// It validates everything `serde_json` validates, borrows every string, and never allocates.
pub(crate) struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth_left: u32,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(text: &'a str, depth_limit: u32) -> Self {
        Parser {
            text,
            pos: 0,
            depth_left: depth_limit,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn skip_ws(&mut self) {
        let bytes = self.bytes();
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes().get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), Fault> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(syntax(reason, self.pos))
        }
    }

    /// True (and consumes it) when the next token is `null`.
    pub(crate) fn eat_null(&mut self) -> Result<bool, Fault> {
        if self.peek() != Some(b'n') {
            return Ok(false);
        }
        self.literal(b"null")?;
        Ok(true)
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), Fault> {
        if self.bytes()[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(syntax("invalid literal", self.pos))
        }
    }

    /// Parses a string starting at the opening quote.
    pub(crate) fn string(&mut self) -> Result<JsonStr<'a>, Fault> {
        self.expect(b'"', "expected a string")?;
        let bytes = self.bytes();
        let start = self.pos;
        let mut escaped = false;
        loop {
            let rest = &bytes[self.pos..];
            let Some(k) = memchr2(b'"', b'\\', rest) else {
                return Err(syntax("unterminated string", start - 1));
            };
            // Raw control characters are not allowed in JSON strings.
            let span = &rest[..k];
            if span.iter().fold(false, |acc, &b| acc | (b < 0x20)) {
                let at = self.pos + span.iter().position(|&b| b < 0x20).unwrap_or(0);
                return Err(syntax("control character in string", at));
            }
            self.pos += k;
            if bytes[self.pos] == b'"' {
                let raw = self
                    .text
                    .get(start..self.pos)
                    .ok_or_else(|| syntax("invalid UTF-8", start))?;
                self.pos += 1;
                return Ok(JsonStr::from_validated(raw, escaped));
            }
            escaped = true;
            self.escape()?;
        }
    }

    /// Validates one escape sequence at `pos` (the backslash).
    fn escape(&mut self) -> Result<(), Fault> {
        let bytes = self.bytes();
        match bytes.get(self.pos + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(())
            }
            Some(b'u') => {
                let digits = bytes.get(self.pos + 2..self.pos + 6);
                match digits {
                    Some(d) if d.iter().all(u8::is_ascii_hexdigit) => {
                        self.pos += 6;
                        Ok(())
                    }
                    _ => Err(syntax("invalid \\u escape", self.pos)),
                }
            }
            _ => Err(syntax("invalid escape", self.pos)),
        }
    }

    /// Parses a number, telling apart integers that fit in `i64` from everything else.
    pub(crate) fn number(&mut self) -> Result<Number, Fault> {
        self.skip_ws();
        let bytes = self.bytes();
        let start = self.pos;
        let negative = bytes.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let digits_start = self.pos;
        // Accumulate negatively so that i64::MIN is representable.
        let mut value: i64 = 0;
        let mut overflow = false;
        while let Some(&d) = bytes.get(self.pos) {
            if !d.is_ascii_digit() {
                break;
            }
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_sub(i64::from(d - b'0')))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
            self.pos += 1;
        }
        let digits = self.pos - digits_start;
        if digits == 0 {
            return Err(syntax("expected a value", start));
        }
        if digits > 1 && bytes[digits_start] == b'0' {
            return Err(syntax("number with a leading zero", start));
        }
        let mut integral = true;
        if bytes.get(self.pos) == Some(&b'.') {
            integral = false;
            self.pos += 1;
            self.digits(start)?;
        }
        if let Some(b'e' | b'E') = bytes.get(self.pos) {
            integral = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = bytes.get(self.pos) {
                self.pos += 1;
            }
            self.digits(start)?;
        }
        if !integral || overflow {
            return Ok(Number::Other);
        }
        if negative {
            Ok(Number::Int(value))
        } else {
            Ok(value.checked_neg().map_or(Number::Other, Number::Int))
        }
    }

    fn digits(&mut self, start: usize) -> Result<(), Fault> {
        let bytes = self.bytes();
        let from = self.pos;
        while bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        if self.pos == from {
            return Err(syntax("malformed number", start));
        }
        Ok(())
    }

    /// Parses an object, calling `field` with the parser positioned at each value; `field` must
    /// consume the value. Keys are compared decoded.
    pub(crate) fn object(
        &mut self,
        mut field: impl FnMut(&mut Self, KeyText<'a>) -> Result<(), Fault>,
    ) -> Result<(), Fault> {
        self.expect(b'{', "expected an object")?;
        self.enter()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth_left += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(syntax("expected a key", self.pos));
            }
            let key = self.string()?;
            self.expect(b':', "expected ':'")?;
            field(self, KeyText(key))?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth_left += 1;
                    return Ok(());
                }
                _ => return Err(syntax("expected ',' or '}'", self.pos)),
            }
        }
    }

    fn enter(&mut self) -> Result<(), Fault> {
        match self.depth_left.checked_sub(1) {
            Some(left) => {
                self.depth_left = left;
                Ok(())
            }
            None => Err((
                ErrorKind::Syntax {
                    reason: "nested too deep",
                },
                self.pos,
            )),
        }
    }

    /// Skips any value, validating it, and returns its raw text.
    pub(crate) fn raw_value(&mut self) -> Result<RawJson<'a>, Fault> {
        self.skip_ws();
        let start = self.pos;
        self.skip_value()?;
        let text = self
            .text
            .get(start..self.pos)
            .ok_or_else(|| syntax("invalid UTF-8", start))?;
        Ok(RawJson { text })
    }

    fn skip_value(&mut self) -> Result<(), Fault> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'{') => self.object(|parser, _| parser.skip_value()),
            Some(b'[') => {
                self.pos += 1;
                self.enter()?;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    self.depth_left += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value()?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            self.depth_left += 1;
                            return Ok(());
                        }
                        _ => return Err(syntax("expected ',' or ']'", self.pos)),
                    }
                }
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            Some(_) => Err(syntax("expected a value", self.pos)),
            None => Err(syntax("unexpected end of record", self.pos)),
        }
    }

    /// Parses `true`, `false` (or `null`, giving `None`).
    pub(crate) fn bool_or_null(&mut self) -> Result<Option<bool>, Fault> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| Some(true)),
            Some(b'f') => self.literal(b"false").map(|()| Some(false)),
            Some(b'n') => self.literal(b"null").map(|()| None),
            _ => Err((ErrorKind::Syntax { reason: "" }, self.pos)),
        }
    }
}

/// An object key, compared in decoded form.
#[derive(Clone, Copy)]
pub(crate) struct KeyText<'a>(JsonStr<'a>);

impl KeyText<'_> {
    /// The key's raw bytes when it has no escapes (the common case, compared by `match`).
    pub(crate) fn plain(&self) -> Option<&str> {
        (!self.0.has_escapes()).then_some(self.0.raw())
    }
}

impl PartialEq<&str> for KeyText<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-line comparison agrees with `==` for every length up to 40 bytes, with the two
    /// strings equal or differing in any one byte.
    #[test]
    fn same_bytes_agrees_with_slice_equality() {
        for len in 0..=40usize {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "len {len}");
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x01;
                assert!(!same_bytes(&a, &b), "len {len}, differ at {at}");
            }
            let longer: Vec<u8> = a.iter().copied().chain([b'z']).collect();
            assert!(!same_bytes(&a, &longer), "len {len} vs {}", len + 1);
        }
    }

    #[test]
    fn decode_escapes() {
        let s = JsonStr::from_validated(r#"a\"b\\c\/d\n\u003e\ud83d\ude00\ud800x"#, true);
        assert_eq!(s.decode(), "a\"b\\c/d\n>\u{1F600}\u{FFFD}x");
    }

    #[test]
    fn prefix_and_suffix_through_escapes() {
        let s = JsonStr::from_validated(r"\u0050ulling from lib\u002fx", true);
        let rest = s.strip_prefix("Pulling from ").unwrap();
        assert_eq!(rest.decode(), "lib/x");
        assert!(s.strip_prefix("Pulling fs").is_none());
        assert_eq!(s.strip_suffix("/x").unwrap().decode(), "Pulling from lib");
        let plain = JsonStr::plain("Retrying in 5 seconds");
        assert_eq!(
            plain.strip_suffix(" seconds").unwrap().raw(),
            "Retrying in 5"
        );
        assert!(plain.strip_suffix("nope").is_none());
    }

    #[test]
    fn numbers() {
        let cases: &[(&str, Result<Number, ()>)] = &[
            ("0", Ok(Number::Int(0))),
            ("-1", Ok(Number::Int(-1))),
            ("9223372036854775807", Ok(Number::Int(i64::MAX))),
            ("-9223372036854775808", Ok(Number::Int(i64::MIN))),
            ("9223372036854775808", Ok(Number::Other)),
            ("1.5", Ok(Number::Other)),
            ("1e400", Ok(Number::Other)),
            ("01", Err(())),
            ("-", Err(())),
            ("1.", Err(())),
            ("1e", Err(())),
        ];
        for (text, expected) in cases {
            let got = Parser::new(text, 8).number().map_err(drop);
            assert_eq!(&got, expected, "{text}");
        }
    }

    #[test]
    fn raw_field_lookup() {
        let raw = RawJson {
            text: r#"{"a":[1,{"b":2}],"ID":"sha256:x"}"#,
        };
        assert_eq!(raw.field("ID").unwrap().as_str().unwrap(), "sha256:x");
        assert_eq!(raw.field("a").unwrap().get(), r#"[1,{"b":2}]"#);
        assert!(raw.field("zz").is_none());
    }
}
