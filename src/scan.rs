//! Framing: find where each top-level JSON record starts and ends, across chunk boundaries.
//!
//! The [`Splitter`] is the first room of the house. It never allocates and never looks at a byte
//! twice: its whole state is a handful of integers, so it resumes in the middle of a string, an
//! escape or a nested object when the next chunk arrives. It knows nothing about buffering; the
//! [`crate::Decoder`] builds on it and owns the carry-over.
//!
//! All three framings found in the wild are handled by one rule, "skip whitespace between
//! values": records concatenated with no delimiter (`}{`, Docker ≤ 1.9), `\r\n` after every
//! record (Docker ≥ 1.10) and `\n` (Podman).

use std::mem::take as mem_take;

use memchr::memchr2;

use crate::swar;

/// The default for [`crate::Config::max_depth`].
pub const DEFAULT_MAX_DEPTH: u32 = 128;

/// The largest [`crate::Config::max_depth`] accepted: parsing recurses once per level, and 1024
/// levels fit comfortably in a small thread stack. Here, below the JSON parser and the decoder,
/// so that both can bound their depth by it.
pub const MAX_DEPTH_LIMIT: u32 = 1024;

/// What [`Splitter::split`] found. Each variant says where the caller resumes
/// ([`Split::resume_at`]).
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// A record begins with the `{` at this index; the splitter is now inside it.
    Start(usize),
    /// The open record ends just before this index (exclusive end, after its closing `}`).
    End(usize),
    /// The byte at this index cannot begin a record. The splitter now skips bytes up to the next
    /// `{` (a new record) or line break (a new line that may hold one).
    NotJson(usize),
    /// The open record was abandoned at this index, because what stands there cannot occur in a
    /// JSON value: a raw line break inside a string, or a `{` where no value may stand. The
    /// splitter is back outside any record and re-reads the byte at this index, so a `{` there
    /// starts the next record.
    Unterminated {
        /// Index of the byte that showed the record was cut off.
        at: usize,
        /// Human-readable cause.
        reason: &'static str,
    },
    /// Nesting went past the depth limit at this index. The splitter keeps counting (it needs
    /// no memory to do so) and will still report the record's [`Split::End`].
    TooDeep(usize),
    /// Every byte of the input was consumed without reaching any of the above.
    NeedMore,
}

impl Split {
    /// The index at which to call [`Splitter::split`] again on the same input.
    pub fn resume_at(&self, input_len: usize) -> usize {
        match *self {
            Split::Start(i) | Split::NotJson(i) | Split::TooDeep(i) => i + 1,
            Split::End(i) => i,
            Split::Unterminated { at, .. } => at,
            Split::NeedMore => input_len,
        }
    }
}

/// Where the splitter stands between two bytes of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Outside any record, skipping whitespace.
    Between,
    /// Outside any record, skipping a run of bytes that are not JSON.
    Garbage,
    /// Inside a record.
    Record,
}

/// An incremental, allocation-free framer for a stream of JSON objects.
///
/// The state is the nesting depth, whether the previous chunk ended inside a string (and right
/// after a backslash there), and whether the scan is inside a record at all; plus the last
/// significant byte outside strings, which lets it notice a record that was cut off and a new one
/// that began (`{` can only follow `:`, `,` or `[` inside a valid record).
///
/// ```
/// use pullstream::scan::{Split, Splitter};
///
/// let mut splitter = Splitter::new();
/// let chunk1 = br#"{"status":"a"}{"stat"#;
/// let chunk2 = br#"us":"b"}"#;
/// assert_eq!(splitter.split(chunk1, 0), Split::Start(0));
/// assert_eq!(splitter.split(chunk1, 1), Split::End(14));
/// assert_eq!(splitter.split(chunk1, 14), Split::Start(14));
/// assert_eq!(splitter.split(chunk1, 15), Split::NeedMore);
/// // The second record ends at index 8 of the next chunk.
/// assert_eq!(splitter.split(chunk2, 0), Split::End(8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Splitter {
    depth: u32,
    in_string: bool,
    escaped: bool,
    place: Place,
    prev: u8,
    /// One bit per open container, innermost in bit 0: set for an object, clear for an array.
    /// Only the innermost 64 levels are known; deeper ones read as arrays, which can only make
    /// the cut-record check below more lenient, never wrong about a valid record. Once a record
    /// went deeper than 64 levels its outer bits are lost, and closing brackets are no longer
    /// matched against them (`levels_lost`).
    objects: u64,
    levels_lost: bool,
    max_depth: u32,
    /// What lay between the previous record and the current position (see [`Gap`]).
    gap: u8,
    /// The open record is being skipped (see [`Splitter::skip_rest_of_record`]).
    skipping: bool,
    /// The open record began after a line feed: the stream is line-delimited here, so a `{`
    /// that begins a line begins a record (see [`Splitter::scan_record`]).
    line_record: bool,
    /// Outside strings in a record: only blanks since a line feed that came after the last
    /// significant byte.
    line_start: bool,
}

/// What separated a record from the one before it, as seen by [`Splitter::gap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// Nothing: `}{` (or the first record of the stream).
    None,
    /// A `\r\n` line ending (Docker ≥ 1.10).
    Crlf,
    /// A bare `\n` (Podman).
    Lf,
    /// Other whitespace, or bytes that were not JSON.
    Other,
}

const GAP_LF: u8 = 1;
const GAP_CR: u8 = 2;
const GAP_OTHER: u8 = 4;

impl Default for Splitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Splitter {
    /// A splitter at the start of a stream, with the default depth limit.
    pub fn new() -> Self {
        Self::with_max_depth(DEFAULT_MAX_DEPTH)
    }

    /// A splitter that reports [`Split::TooDeep`] when nesting passes `max_depth`.
    pub fn with_max_depth(max_depth: u32) -> Self {
        Splitter {
            depth: 0,
            in_string: false,
            escaped: false,
            place: Place::Between,
            prev: 0,
            objects: 0,
            levels_lost: false,
            max_depth: max_depth.max(1),
            gap: 0,
            skipping: false,
            line_record: false,
            line_start: false,
        }
    }

    /// What lay between the previous record's end and the record that just started (valid
    /// right after [`Split::Start`]; the same however the stream was chunked).
    pub fn gap(&self) -> Gap {
        match self.gap {
            0 => Gap::None,
            g if g == GAP_LF | GAP_CR => Gap::Crlf,
            GAP_LF => Gap::Lf,
            _ => Gap::Other,
        }
    }

    /// True when the open (or last) record began after a line feed: the stream is
    /// line-delimited there.
    pub(crate) fn began_a_line(&self) -> bool {
        self.line_record
    }

    /// True while the splitter is inside a record.
    pub fn in_record(&self) -> bool {
        self.place == Place::Record
    }

    /// Forget any partial record and start again outside records.
    pub fn reset(&mut self) {
        *self = Self::with_max_depth(self.max_depth);
    }

    /// Scan `input[from..]` and stop at the first thing worth reporting.
    ///
    /// Indices in the result are indices into `input`. When the result is [`Split::NeedMore`],
    /// the state is kept, so the next chunk is scanned from where this one stopped.
    #[inline]
    pub fn split(&mut self, input: &[u8], from: usize) -> Split {
        let mut i = from;
        while i < input.len() {
            match self.place {
                Place::Between => match input[i] {
                    b'\n' => {
                        self.gap |= GAP_LF;
                        i += 1;
                    }
                    b'\r' => {
                        self.gap |= GAP_CR;
                        i += 1;
                    }
                    b' ' | b'\t' => {
                        self.gap |= GAP_OTHER;
                        i += 1;
                    }
                    b'{' => return self.start(i),
                    _ => {
                        self.place = Place::Garbage;
                        self.gap |= GAP_OTHER;
                        return Split::NotJson(i);
                    }
                },
                Place::Garbage => match memchr2(b'{', b'\n', &input[i..]) {
                    Some(k) if input[i + k] == b'{' => return self.start(i + k),
                    Some(k) => {
                        self.place = Place::Between;
                        self.gap |= GAP_LF;
                        i += k + 1;
                    }
                    None => return Split::NeedMore,
                },
                Place::Record if self.skipping => return self.scan_skipped(input, i),
                Place::Record => return self.scan_record(input, i),
            }
        }
        Split::NeedMore
    }

    /// Marks the open record as one whose bytes are being thrown away (it outgrew the record
    /// size limit). Its structure still decides where it ends, with one more rule: a `{` at the
    /// start of a line abandons it ([`Split::Unterminated`]), so a record cut where a value may
    /// begin cannot swallow the valid records that follow it in a line-delimited stream. That
    /// rule is kept for skipped records only: their bytes are not held, so they cannot be
    /// re-read later the way the decoder re-reads a failed record it holds.
    pub fn skip_rest_of_record(&mut self) {
        if self.place == Place::Record {
            self.skipping = true;
            // The skip's own line rule reads line starts from `prev`: a line feed the record's
            // scan has just passed counts too.
            if self.line_start {
                self.prev = b'\n';
            }
        }
    }

    /// Puts the splitter outside any record, as after bytes that were not JSON (and a line feed,
    /// when `after_line_feed`), so that the next `{` starts a record (the decoder re-reads a
    /// failed record's bytes from here).
    pub(crate) fn restart_between(&mut self, after_line_feed: bool) {
        *self = Self::with_max_depth(self.max_depth);
        self.gap = if after_line_feed {
            GAP_OTHER | GAP_LF
        } else {
            GAP_OTHER
        };
    }

    /// Forgets the open record, so that its bytes can be scanned again from its `{`: what lay
    /// before it (see [`Splitter::gap`]) is kept, so the record reads the same the second time.
    pub(crate) fn rewind_to_record_start(&mut self) {
        let gap = self.gap;
        *self = Self::with_max_depth(self.max_depth);
        self.gap = gap;
    }

    fn start(&mut self, at: usize) -> Split {
        self.place = Place::Record;
        self.skipping = false;
        self.line_record = self.gap & GAP_LF != 0;
        self.line_start = false;
        self.levels_lost = false;
        self.depth = 1;
        self.prev = b'{';
        self.objects = 1;
        self.in_string = false;
        self.escaped = false;
        Split::Start(at)
    }

    /// Puts the splitter where it stands after reporting [`Split::End`] for the open record,
    /// for a caller that found the record's end itself (the decoder's fast path parses a record
    /// that lies wholly in its input in one pass, and only a valid record ends that way).
    pub(crate) fn record_ended(&mut self) {
        self.place = Place::Between;
        self.skipping = false;
        self.gap = 0;
        self.depth = 0;
        self.prev = b'}';
        self.in_string = false;
        self.escaped = false;
    }

    fn abandon(&mut self, at: usize, reason: &'static str) -> Split {
        self.place = Place::Between;
        self.skipping = false;
        self.gap = GAP_OTHER;
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
        Split::Unterminated { at, reason }
    }

    /// The hot loop. Both inside and outside strings it jumps eight bytes at a time to the next
    /// byte that matters there (see [`swar`]): inside, `"` and control characters (of which only
    /// the line break matters; escapes are told by the backslashes before a stop); outside, `"`
    /// and the four brackets. Everything else outside strings only matters through `prev`, which
    /// is read back from the bytes skipped (usually one `:` or `,`). A string followed by `:"` or
    /// `,"` leads straight into the next.
    ///
    /// Kept out of line: inlined into [`Splitter::split`], it shared registers with the
    /// between-records code, and the loop re-loaded its constants on every word (measured: 1.2 M
    /// more instructions per 4 MiB than the one call per record this costs).
    #[inline(never)]
    fn scan_record(&mut self, input: &[u8], mut i: usize) -> Split {
        if self.in_string {
            if self.escaped {
                // The byte after a backslash that ended the previous chunk.
                match input.get(i) {
                    None => return Split::NeedMore,
                    Some(b'\n') => return self.abandon(i, "line break inside a string"),
                    Some(_) => {}
                }
                self.escaped = false;
                i += 1;
            }
            self.in_string = false;
            match self.cross_string(input, i) {
                Ok(next) => i = next,
                Err(stop) => return self.string_stopped(stop),
            }
        }
        loop {
            // Go writes `":"`, `","`, `":{` and `"}`: the next byte that matters is usually
            // within two, so look at them before scanning words.
            let at = match input.get(i..i + 2) {
                Some([b'"' | b'{' | b'}' | b'[' | b']', _]) => i,
                Some(&[b @ (b':' | b','), b'"' | b'{' | b'[']) => {
                    self.prev = b;
                    // A significant byte: whatever line feed came before it (perhaps at the end
                    // of the previous chunk) no longer begins the line the stop is on.
                    self.line_start = false;
                    i + 1
                }
                _ => {
                    let Some(at) = swar::structural_stop(input, i) else {
                        self.note_prev(input, i, input.len());
                        return Split::NeedMore;
                    };
                    self.note_prev(input, i, at);
                    at
                }
            };
            let byte = input[at];
            match byte {
                b'"' => {
                    // A string (key or value) may only follow `{`, `[`, `:` or `,`. Anything else
                    // means the quotes are out of step: a record was cut inside a string and the
                    // next record's quotes are being read the wrong way round.
                    if !matches!(self.prev, b'{' | b'[' | b':' | b',') {
                        // The quote is not read again as the start of a garbage run: the cut
                        // was reported, and the scan goes on to the next `{` or line.
                        let cut = self.abandon(at, "a string where none may stand");
                        self.place = Place::Garbage;
                        return cut;
                    }
                    self.line_start = false;
                    let mut start = at + 1;
                    loop {
                        match self.cross_string(input, start) {
                            Ok(next) => {
                                // Go writes `":"` and `","`: most strings are followed by a
                                // separator and the next string, which can be entered at once.
                                if let Some(&[separator @ (b':' | b','), b'"']) =
                                    input.get(next..next + 2)
                                {
                                    self.prev = separator;
                                    start = next + 2;
                                    continue;
                                }
                                i = next;
                                break;
                            }
                            Err(stop) => return self.string_stopped(stop),
                        }
                    }
                    self.prev = b'"';
                    continue;
                }
                b'{' | b'[' => {
                    // A value may follow `:`, `[`, or `,` inside an array; a `{` anywhere else
                    // is a new record after one that was cut off. So is a `{` that begins a
                    // line in a line-delimited stream: daemons write a record per line and
                    // escape every line feed in strings, so a record cut where a value may
                    // begin cannot take the next line's record as that value.
                    let value_may_start = match self.prev {
                        b':' | b'[' => true,
                        b',' => self.objects & 1 == 0,
                        _ => false,
                    };
                    if byte == b'{' && !value_may_start {
                        return self.abandon(at, "a new record began before this one closed");
                    }
                    if byte == b'{' && self.line_start && self.line_record {
                        let cut = self.abandon(at, "a record began at the start of a line");
                        self.gap |= GAP_LF;
                        return cut;
                    }
                    // Before the depth check, which may return with the scan resumed after it.
                    self.line_start = false;
                    self.depth = self.depth.saturating_add(1);
                    self.objects = (self.objects << 1) | u64::from(byte == b'{');
                    self.levels_lost |= self.depth > 64;
                    self.prev = byte;
                    if self.depth == self.max_depth.saturating_add(1) {
                        return Split::TooDeep(at);
                    }
                }
                _ => {
                    // `}` or `]`, which must close what was opened (known for the innermost
                    // 64 levels): a record cut inside a string and followed by other records
                    // may otherwise close on the wrong bracket and frame as one.
                    let closes_object = byte == b'}';
                    if !self.levels_lost && closes_object != (self.objects & 1 == 1) {
                        let cut = self.abandon(at, "a bracket that does not match");
                        self.place = Place::Garbage;
                        return cut;
                    }
                    self.depth = self.depth.saturating_sub(1);
                    self.objects >>= 1;
                    self.prev = byte;
                    if self.depth == 0 {
                        self.place = Place::Between;
                        self.gap = 0;
                        return Split::End(at + 1);
                    }
                }
            }
            self.line_start = false;
            i = at + 1;
        }
    }

    /// The scan of a record being skipped: a byte at a time (this is the rare path), with the
    /// same rules as [`Splitter::scan_record`] for strings and nesting, and one more: a `{`
    /// whose line holds nothing before it abandons the record. `prev` is `\n` right after a
    /// line break outside strings, until the next byte that is not a space, tab or carriage
    /// return.
    #[cold]
    fn scan_skipped(&mut self, input: &[u8], from: usize) -> Split {
        for (at, &byte) in input.iter().enumerate().skip(from) {
            if self.in_string {
                if mem_take(&mut self.escaped) {
                    if byte == b'\n' {
                        return self.abandon(at, "line break inside a string");
                    }
                    continue;
                }
                match byte {
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    b'\n' => return self.abandon(at, "line break inside a string"),
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => {
                    self.in_string = true;
                    self.prev = b'"';
                }
                b' ' | b'\t' | b'\r' => {}
                b'{' if self.prev == b'\n' => {
                    return self.abandon(at, "a record began at the start of a line")
                }
                b'{' | b'[' => {
                    self.depth = self.depth.saturating_add(1);
                    self.prev = byte;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    self.prev = byte;
                    if self.depth == 0 {
                        self.record_ended();
                        return Split::End(at + 1);
                    }
                }
                _ => self.prev = byte,
            }
        }
        Split::NeedMore
    }

    /// Crosses string content from `start` (the scan is inside a string, not after a
    /// backslash). `Ok` is the index just past the closing quote; `Err(Some(at))` a line break at
    /// `at`; `Err(None)` the end of the input, where the state is set to say the splitter stopped
    /// inside a string (`in_string`, `escaped`, and `prev` as a string leaves it). While the
    /// scan runs, `in_string` stays false: it only records where a chunk left off.
    ///
    /// Backslashes are not stops. Daemons escape one byte in a hundred (`\u003e` in progress
    /// bars), so the jump looks only for `"` and control characters, and a stop that matters (a
    /// quote or a line break) is then checked for an escape by counting the backslashes right
    /// before it: an odd run escapes it. The count never goes back past `start`, where the scan
    /// is known not to be escaped, so every byte is counted at most once and the cost stays
    /// linear. Control characters other than the line break only matter to the parser, which
    /// rejects them later, so those stops just continue.
    #[inline(always)]
    fn cross_string(&mut self, input: &[u8], start: usize) -> Result<usize, Option<usize>> {
        let mut i = start;
        loop {
            let Some(at) = swar::quote_or_control(input, i) else {
                let escaped = ends_in_odd_backslashes(input, start, input.len());
                return Err(self.suspend_in_string(escaped));
            };
            match input[at] {
                b'"' if !ends_in_odd_backslashes(input, start, at) => return Ok(at + 1),
                // A raw line feed can never stand in a JSON string, escaped or not: after a
                // backslash it is still the end of a cut record (Podman's LF framing).
                b'\n' => return Err(Some(at)),
                _ => i = at + 1,
            }
        }
    }

    /// The input ended inside a string (right after a backslash when `escaped`).
    #[cold]
    fn suspend_in_string(&mut self, escaped: bool) -> Option<usize> {
        self.in_string = true;
        self.escaped = escaped;
        self.prev = b'"';
        None
    }

    /// What [`Splitter::cross_string`] reported, when it did not reach the closing quote.
    #[cold]
    fn string_stopped(&mut self, line_break: Option<usize>) -> Split {
        match line_break {
            Some(at) => self.abandon(at, "line break inside a string"),
            None => Split::NeedMore,
        }
    }

    /// Sets `prev` to the last byte of `input[from..to]` that is not whitespace, if any (those
    /// bytes were skipped outside strings: numbers, literals, `:` and `,`), and `line_start` to
    /// whether a line feed follows it (when the span is all blanks, a line feed in it sets
    /// `line_start`, which may carry over from the previous chunk).
    #[inline(always)]
    fn note_prev(&mut self, input: &[u8], from: usize, to: usize) {
        let Some(span) = input.get(from..to) else {
            return;
        };
        let significant = span
            .iter()
            .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        let blanks = &span[significant.map_or(0, |k| k + 1)..];
        let line_feed = memchr::memchr(b'\n', blanks).is_some();
        match significant {
            Some(k) => {
                self.prev = span[k];
                self.line_start = line_feed;
            }
            None => self.line_start |= line_feed,
        }
    }
}

/// True when `input[from..to]` ends in an odd number of backslashes, that is when the byte at
/// `to` is escaped, given that the byte at `from` is not.
#[inline(always)]
fn ends_in_odd_backslashes(input: &[u8], from: usize, to: usize) -> bool {
    let Some(span) = input.get(from..to) else {
        return false;
    };
    // Almost every stop has no backslash before it: answer that with one comparison.
    match span.last() {
        Some(b'\\') => span.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the splitter over `input` in one piece and renders what it found as a compact log.
    fn log(input: &[u8]) -> Vec<String> {
        let mut splitter = Splitter::with_max_depth(4);
        let mut out = Vec::new();
        let mut pos = 0;
        loop {
            let found = splitter.split(input, pos);
            pos = found.resume_at(input.len());
            out.push(match found {
                Split::Start(i) => format!("start {i}"),
                Split::End(i) => format!("end {i}"),
                Split::NotJson(i) => format!("garbage {i}"),
                Split::Unterminated { at, .. } => format!("cut {at}"),
                Split::TooDeep(i) => format!("deep {i}"),
                Split::NeedMore => break,
            });
        }
        out
    }

    const CASES: &[(&str, &[u8], &[&str])] = &[
        ("empty", b"", &[]),
        ("whitespace only", b" \r\n\t ", &[]),
        ("empty object", b"{}", &["start 0", "end 2"]),
        (
            "concatenated",
            b"{}{}",
            &["start 0", "end 2", "start 2", "end 4"],
        ),
        (
            "crlf",
            b"{}\r\n{}\r\n",
            &["start 0", "end 2", "start 4", "end 6"],
        ),
        ("lf", b"{}\n{}\n", &["start 0", "end 2", "start 3", "end 5"]),
        ("braces in string", br#"{"a":"}{"}"#, &["start 0", "end 10"]),
        ("escaped quote", br#"{"a":"\"}"}"#, &["start 0", "end 11"]),
        (
            "escaped backslash then quote",
            br#"{"a":"\\"}"#,
            &["start 0", "end 10"],
        ),
        (
            "backslash run before quote",
            br#"{"a":"\\\"}"}{}"#,
            &["start 0", "end 13", "start 13", "end 15"],
        ),
        (
            "unicode escape",
            br#"{"a":"\u003e"}"#,
            &["start 0", "end 14"],
        ),
        (
            "nested",
            br#"{"a":{"b":[1,{"c":2}]}}"#,
            &["start 0", "end 23"],
        ),
        ("aux array", br#"{"aux":[{},[]]}"#, &["start 0", "end 15"]),
        (
            "stray bracket",
            b"]\n{}",
            &["garbage 0", "start 2", "end 4"],
        ),
        (
            "html line",
            b"<html>x</html>\r\n{}",
            &["garbage 0", "start 16", "end 18"],
        ),
        ("two garbage lines", b"a\nb\n", &["garbage 0", "garbage 2"]),
        (
            "garbage then brace",
            b"xx{}",
            &["garbage 0", "start 2", "end 4"],
        ),
        ("nul byte", b"\0{}", &["garbage 0", "start 1", "end 3"]),
        ("top-level array", b"[]", &["garbage 0"]),
        (
            "line break in string",
            b"{\"a\":\"b\n{}",
            &["start 0", "cut 7", "start 8", "end 10"],
        ),
        (
            "control characters other than the line break stay in the string",
            b"{\"a\":\"\t\r\x01}{\"}\r\n{}",
            &["start 0", "end 13", "start 15", "end 17"],
        ),
        (
            "escaped backslash then line break",
            b"{\"a\":\"\\\\\n{}",
            &["start 0", "cut 8", "start 9", "end 11"],
        ),
        (
            "four backslashes then quote",
            br#"{"a":"\\\\"}{}"#,
            &["start 0", "end 12", "start 12", "end 14"],
        ),
        (
            "a line break after a backslash still ends a cut record",
            b"{\"a\":\"\\\n\"}{}",
            &["start 0", "cut 7", "garbage 8", "start 10", "end 12"],
        ),
        (
            "strings chained by separators",
            br#"{"a":"b","c":"d","e":{"f":"g"}}"#,
            &["start 0", "end 31"],
        ),
        (
            "cut after a number",
            b"{\"a\":1\r\n{}",
            &["start 0", "cut 8", "start 8", "end 10"],
        ),
        (
            "brace after brace",
            b"{{}",
            &["start 0", "cut 1", "start 1", "end 3"],
        ),
        (
            "value object is fine",
            br#"{"a":{},"b":[{}]}"#,
            &["start 0", "end 17"],
        ),
        (
            "too deep",
            b"{\"a\":[[[[1]]]]}",
            &["start 0", "deep 8", "end 15"],
        ),
        ("unclosed", b"{\"a\":", &["start 0"]),
    ];

    #[test]
    fn table() {
        for (name, input, expected) in CASES {
            assert_eq!(&log(input), expected, "case {name}");
        }
    }

    #[test]
    fn every_split_point_gives_the_same_boundaries() {
        for (name, input, _) in CASES {
            // Feed the input as two pieces and translate indices back to whole-input offsets.
            for cut in 0..=input.len() {
                let mut splitter = Splitter::with_max_depth(4);
                let mut found = Vec::new();
                for (base, piece) in [(0, &input[..cut]), (cut, &input[cut..])] {
                    let mut pos = 0;
                    loop {
                        let split = splitter.split(piece, pos);
                        pos = split.resume_at(piece.len());
                        if split == Split::NeedMore {
                            break;
                        }
                        found.push(match split {
                            Split::Start(i) => format!("start {}", base + i),
                            Split::End(i) => format!("end {}", base + i),
                            Split::NotJson(i) => format!("garbage {}", base + i),
                            Split::Unterminated { at, .. } => format!("cut {}", base + at),
                            Split::TooDeep(i) => format!("deep {}", base + i),
                            Split::NeedMore => unreachable!(),
                        });
                    }
                }
                assert_eq!(found, log(input), "case {name} cut at {cut}");
            }
        }
    }
}
