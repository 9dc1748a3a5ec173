//! Records: the decoder that owns the carry-over between chunks and lends out parsed records.
//!
//! A record wholly inside a chunk is lent as a slice of that chunk; a record that crosses chunks
//! is assembled once, in a buffer the decoder reuses. The borrow checker enforces the one rule a
//! caller must keep: a record lives until the next call that borrows the decoder mutably.
//!
//! ```compile_fail
//! let mut decoder = pullstream::Decoder::new();
//! let first = decoder.feed(b"{}").next().unwrap().unwrap();
//! let _second = decoder.feed(b"{}"); // error: `decoder` is still borrowed by `first`
//! drop(first);
//! ```

use std::mem;

use crate::error::{Error, ErrorKind};
use crate::message::{salvage_error, Message};
pub use crate::scan::MAX_DEPTH_LIMIT;
use crate::scan::{Gap, Split, Splitter, DEFAULT_MAX_DEPTH};

/// The default for [`Config::max_record_len`]: 8 MiB.
pub const DEFAULT_MAX_RECORD_LEN: usize = 8 << 20;

/// Limits and policies of a [`Decoder`]. Every limit is finite by default.
///
/// # Warning
/// The stream is untrusted input: it comes from a daemon, a proxy or anything that answers on a
/// socket. Raising a limit raises the memory a hostile peer can make the decoder hold (up to
/// about four times `max_record_len` per decoder (the open record, the record lent from
/// assembled bytes, a failed record's bytes copied to be re-read, bytes left unread), plus
/// whatever the caller itself leaves unread by
/// dropping iterators early and feeding more: drain the held items with `feed(&[])` first).
///
/// ```
/// let config = pullstream::Config::default().max_record_len(1 << 20).stop_at_first_error(true);
/// let decoder = pullstream::Decoder::with_config(config);
/// assert_eq!(decoder.config().get_max_record_len(), 1 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    max_record_len: usize,
    max_depth: u32,
    stop_at_first_error: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_record_len: DEFAULT_MAX_RECORD_LEN,
            max_depth: DEFAULT_MAX_DEPTH,
            stop_at_first_error: false,
        }
    }
}

impl Config {
    /// Largest record, in bytes, that the decoder will buffer and parse (default 8 MiB; at least
    /// 2). Larger records are reported as [`ErrorKind::RecordTooLarge`] and skipped.
    pub fn max_record_len(mut self, bytes: usize) -> Self {
        self.max_record_len = bytes.max(2);
        self
    }

    /// Deepest nesting of objects and arrays inside a record (default 128, at most 1024; the
    /// record itself is depth 1). Deeper records are reported as [`ErrorKind::TooDeep`].
    pub fn max_depth(mut self, depth: u32) -> Self {
        self.max_depth = depth.clamp(1, MAX_DEPTH_LIMIT);
        self
    }

    /// When true, the first error ends decoding: later items and feeds yield nothing
    /// (default false: report each bad stretch and carry on).
    pub fn stop_at_first_error(mut self, stop: bool) -> Self {
        self.stop_at_first_error = stop;
        self
    }

    /// The record size limit in force.
    pub fn get_max_record_len(&self) -> usize {
        self.max_record_len
    }

    /// The depth limit in force.
    pub fn get_max_depth(&self) -> u32 {
        self.max_depth
    }

    /// Whether the first error stops decoding.
    pub fn get_stop_at_first_error(&self) -> bool {
        self.stop_at_first_error
    }
}

/// How records were delimited so far (a hint of which daemon sent the stream).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FramingStats {
    /// Records that began right after the previous record's `}` (`}{`: Docker ≤ 1.9).
    pub concatenated: u64,
    /// Records preceded by `\r\n` (Docker ≥ 1.10).
    pub crlf: u64,
    /// Records preceded by a bare `\n` (Podman).
    pub lf: u64,
}

/// Counters kept by the decoder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecoderStats {
    /// Records delivered (valid JSON objects).
    pub records: u64,
    /// Errors reported (bad stretches of bytes, invalid records, limits).
    pub errors: u64,
    /// Delimiters seen between records.
    pub framing: FramingStats,
}

/// One decoded record: its bytes, its place in the stream, and its fields.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    bytes: &'a [u8],
    offset: u64,
    message: Message<'a>,
}

impl<'a> Record<'a> {
    /// The record's bytes, from its `{` to its `}`.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Absolute offset of the record's `{` in the stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The record's fields.
    pub fn message(&self) -> &Message<'a> {
        &self.message
    }
}

/// What the carry buffer holds between two calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Carry {
    /// Nothing.
    Empty,
    /// The beginning of one open record, already scanned (the splitter stands at its end).
    Open,
    /// Bytes an iterator dropped early left unread; the splitter state and skip flag that go
    /// with their first byte are saved here.
    Retained { state: Splitter, skipping: bool },
}

/// A sans-IO decoder: bytes in, records out.
///
/// ```
/// let mut decoder = pullstream::Decoder::new();
/// let mut statuses = Vec::new();
/// // One record split across two chunks, then a second record in the same chunk.
/// for chunk in [&br#"{"status":"Pulling from library/alpine","id":"la"#[..],
///               &b"test\"}\r\n{\"status\":\"Digest: sha256:ab\"}\r\n"[..]] {
///     for item in decoder.feed(chunk) {
///         statuses.push(item?.message().status.unwrap().decode().into_owned());
///     }
/// }
/// assert!(decoder.finish().next().is_none()); // clean end of stream
/// assert_eq!(statuses, ["Pulling from library/alpine", "Digest: sha256:ab"]);
/// # Ok::<(), pullstream::Error>(())
/// ```
#[derive(Debug)]
pub struct Decoder {
    config: Config,
    splitter: Splitter,
    carry: Carry,
    /// Open-record bytes or retained bytes (see [`Carry`]).
    carry_buf: Vec<u8>,
    /// Absolute offset of `carry_buf[0]`.
    carry_offset: u64,
    /// Retained bytes being read by the current iterator.
    retained_buf: Vec<u8>,
    /// Where a record that crosses chunks is assembled and lent from.
    spare_buf: Vec<u8>,
    /// Bytes received so far (the offset of the next chunk's first byte).
    position: u64,
    /// The current record is being discarded (too large or too deep).
    skipping: bool,
    /// Offset of the current record's `{` (meaningful while inside a record).
    record_start: u64,
    /// Offset just past the previous record's `}`.
    last_end: u64,
    /// The current record's offset and what preceded it, counted once it ends (a record
    /// rescanned after an early drop keeps what was seen the first time).
    delimiter: (u64, Gap),
    failed: bool,
    stats: DecoderStats,
    /// Where a failed record's bytes are copied when they must be re-read but lie in
    /// `carry_buf`, which cannot be lent (see [`resync`]).
    reread_buf: Vec<u8>,
    /// Bytes that may still be re-read after faults, and the stream offset up to which it has
    /// been credited (see `Records::resync`).
    resync_allowance: (u64, u64),
    /// The open record went past the depth limit at this offset. It is held (not parsed) until
    /// it ends or fails, so that the records a cut one swallowed can be re-read, and the depth
    /// error is reported then: an item is never given while a record is open.
    too_deep: Option<u64>,
    /// An error to report as the next item: the oddity (a known field of the wrong type, a
    /// repeated key) of the record delivered last, or the cut of a record reported too deep.
    pending_error: Option<(ErrorKind, u64)>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with the default [`Config`].
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// A decoder with the given limits and policies.
    pub fn with_config(config: Config) -> Self {
        Decoder {
            splitter: Splitter::with_max_depth(config.max_depth),
            carry: Carry::Empty,
            carry_buf: Vec::new(),
            carry_offset: 0,
            retained_buf: Vec::new(),
            spare_buf: Vec::new(),
            position: 0,
            skipping: false,
            record_start: 0,
            last_end: u64::MAX,
            delimiter: (u64::MAX, Gap::None),
            failed: false,
            stats: DecoderStats::default(),
            reread_buf: Vec::new(),
            resync_allowance: (config.max_record_len as u64, 0),
            too_deep: None,
            pending_error: None,
            config,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Counters so far.
    pub fn stats(&self) -> DecoderStats {
        self.stats
    }

    /// Bytes received so far: the absolute offset the next chunk starts at.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Bytes held over for the next call (a partial record, or items an iterator left unread).
    pub fn pending_len(&self) -> usize {
        self.carry_buf.len()
    }

    /// Forget everything and start a new stream at offset 0. Buffers keep their capacity.
    pub fn reset(&mut self) {
        self.splitter = Splitter::with_max_depth(self.config.max_depth);
        self.carry = Carry::Empty;
        self.carry_buf.clear();
        self.retained_buf.clear();
        self.spare_buf.clear();
        self.position = 0;
        self.skipping = false;
        self.last_end = u64::MAX;
        self.delimiter = (u64::MAX, Gap::None);
        self.failed = false;
        self.stats = DecoderStats::default();
        self.reread_buf.clear();
        self.resync_allowance = (self.config.max_record_len as u64, 0);
        self.too_deep = None;
        self.pending_error = None;
    }

    /// Feeds the next chunk of the stream and returns the items it completes, in order.
    ///
    /// Items are records, or errors for bytes that could not be decoded; an error never ends
    /// decoding unless [`Config::stop_at_first_error`] is set. Running out of input is not an
    /// error. Dropping the iterator before its end loses nothing: the next `feed` (even
    /// `feed(&[])`) yields the remaining items first.
    pub fn feed<'a>(&'a mut self, chunk: &'a [u8]) -> Records<'a> {
        self.records(chunk, false)
    }

    /// Ends the stream: yields whatever was left unread, then an [`ErrorKind::Truncated`] error
    /// if the stream stopped inside a record. Once the iterator has run to its end the decoder
    /// holds nothing; offsets keep counting ([`Decoder::reset`] starts again at 0).
    pub fn finish(&mut self) -> Records<'_> {
        self.records(&[], true)
    }

    fn records<'a>(&'a mut self, chunk: &'a [u8], at_eof: bool) -> Records<'a> {
        self.spare_buf.clear();
        self.retained_buf.clear();
        self.reread_buf.clear();
        let chunk_base = self.position;
        self.position += chunk.len() as u64;
        let mut open = None;
        let mut open_len = 0;
        match mem::replace(&mut self.carry, Carry::Empty) {
            Carry::Empty => {}
            Carry::Open => {
                open = Some(Origin::Carry);
                open_len = self.carry_buf.len();
            }
            Carry::Retained { state, skipping } => {
                mem::swap(&mut self.carry_buf, &mut self.retained_buf);
                self.splitter = state;
                self.skipping = skipping;
            }
        }
        let Decoder {
            config,
            splitter,
            carry_buf,
            carry_offset,
            retained_buf,
            spare_buf,
            skipping,
            record_start,
            last_end,
            delimiter,
            failed,
            stats,
            carry,
            reread_buf,
            resync_allowance,
            too_deep,
            pending_error,
            ..
        } = self;
        let first_base = *carry_offset;
        let retained_buf: &'a Vec<u8> = retained_buf;
        Records {
            config,
            splitter,
            carry,
            carry_buf,
            carry_offset,
            spare: Some(spare_buf),
            skipping,
            record_start,
            last_end,
            delimiter,
            failed,
            stats,
            first: retained_buf,
            first_base,
            chunk,
            chunk_base,
            // With nothing retained, start in the chunk (and take offsets from it).
            in_first: !retained_buf.is_empty(),
            pos: 0,
            open,
            open_len,
            at_eof,
            done: false,
            utf8: ("", 0, false, false),
            reread: Some(reread_buf),
            allowance: resync_allowance,
            too_deep,
            pending_error,
        }
    }
}

/// Where the open record's first byte is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// In the carry buffer (it began in an earlier chunk).
    Carry,
    /// In the retained bytes, at this index.
    First(usize),
    /// In the chunk, at this index.
    Chunk(usize),
}

/// The items completed by one [`Decoder::feed`] (or [`Decoder::finish`]): records and errors,
/// in stream order.
#[must_use = "records are only produced as the iterator is driven"]
#[derive(Debug)]
pub struct Records<'a> {
    config: &'a Config,
    splitter: &'a mut Splitter,
    carry: &'a mut Carry,
    carry_buf: &'a mut Vec<u8>,
    carry_offset: &'a mut u64,
    spare: Option<&'a mut Vec<u8>>,
    skipping: &'a mut bool,
    record_start: &'a mut u64,
    last_end: &'a mut u64,
    delimiter: &'a mut (u64, Gap),
    failed: &'a mut bool,
    stats: &'a mut DecoderStats,
    /// Retained bytes from an earlier early-dropped iterator, read before the chunk.
    first: &'a [u8],
    first_base: u64,
    chunk: &'a [u8],
    chunk_base: u64,
    in_first: bool,
    pos: usize,
    open: Option<Origin>,
    /// Bytes of the open record held in earlier sources (carry or retained bytes).
    open_len: usize,
    at_eof: bool,
    done: bool,
    /// Text known to be valid UTF-8 for the fast path: `(text, index in the source where it
    /// starts, whether the source is the retained bytes, whether invalid bytes follow it)`. Checked a block at a time, ahead of
    /// the records being read, so the check runs over bytes the parser is about to read anyway.
    utf8: (&'a str, usize, bool, bool),
    /// The buffer a failed record's carried-over bytes are copied into to be re-read (once per
    /// call at most: only the first record of a call can begin in the carry).
    reread: Option<&'a mut Vec<u8>>,
    allowance: &'a mut (u64, u64),
    too_deep: &'a mut Option<u64>,
    pending_error: &'a mut Option<(ErrorKind, u64)>,
}

impl<'a> Records<'a> {
    fn source(&self) -> (&'a [u8], u64) {
        if self.in_first {
            (self.first, self.first_base)
        } else {
            (self.chunk, self.chunk_base)
        }
    }

    fn error(&mut self, kind: ErrorKind, offset: u64) -> Option<Result<Record<'a>, Error>> {
        self.stats.errors += 1;
        if self.config.stop_at_first_error {
            *self.failed = true;
            self.done = true;
        }
        Some(Err(Error::new(kind, offset)))
    }

    /// The error for the open record, which failed: its depth error first when it went too
    /// deep, and this one as the next item.
    fn record_failed(&mut self, kind: ErrorKind, offset: u64) -> Option<Result<Record<'a>, Error>> {
        match self.too_deep.take() {
            Some(at) => {
                *self.pending_error = Some((kind, offset));
                let limit = self.config.max_depth;
                self.error(ErrorKind::TooDeep { limit }, at)
            }
            None => self.error(kind, offset),
        }
    }

    /// Starts discarding the open record: its bytes are no longer needed.
    fn skip_open_record(&mut self) {
        *self.skipping = true;
        self.splitter.skip_rest_of_record();
        self.drop_open_record();
    }

    /// The open record ends at `end` in the current source: its bytes, lent for `'a`.
    ///
    /// `Err(None)`: the record could not be assembled in this call and was handed, with the rest
    /// of the chunk, to the next one (see [`Records::defer_from_first`]); this call is over.
    fn complete(&mut self, end: usize) -> Result<&'a [u8], Option<ErrorKind>> {
        let (source, _) = self.source();
        let origin = self.open.take();
        self.open_len = 0;
        // Where the record began decides whether it can be lent in place or must be assembled.
        let crossed_from = match (origin, self.in_first) {
            (Some(Origin::First(start)), true) | (Some(Origin::Chunk(start)), false) => {
                return Ok(&source[start..end]);
            }
            (Some(Origin::Carry), _) => None,
            (Some(Origin::First(start)), false) => Some(start),
            (Some(Origin::Chunk(_)), true) | (None, _) => {
                return Err(Some(ErrorKind::Syntax {
                    reason: "internal: record end without a start",
                }))
            }
        };
        // Usually one record per call crosses into the chunk, so the spare buffer is free. After
        // a fault re-read from earlier bytes, a second one may cross; it is handed to the next
        // call, with the rest of the chunk, as bytes left unread.
        let Some(spare) = self.spare.take() else {
            if let Some(start) = crossed_from {
                self.defer_from_first(start);
                return Err(None);
            }
            return Err(Some(ErrorKind::Syntax {
                reason: "internal: two records crossed a chunk boundary in one feed",
            }));
        };
        match crossed_from {
            None => {
                self.carry_buf.extend_from_slice(&source[..end]);
                mem::swap(self.carry_buf, spare);
            }
            Some(start) => {
                spare.extend_from_slice(&self.first[start..]);
                spare.extend_from_slice(&source[..end]);
            }
        }
        let lent: &'a Vec<u8> = spare;
        Ok(lent.as_slice())
    }

    /// Ends this call early: the record that starts at `first[start]` and everything after it
    /// (the whole chunk) become bytes left unread, rescanned by the next call from that record.
    fn defer_from_first(&mut self, start: usize) {
        let mut retained = Vec::with_capacity(self.first.len() - start + self.chunk.len());
        retained.extend_from_slice(&self.first[start..]);
        retained.extend_from_slice(self.chunk);
        *self.carry_buf = retained;
        *self.carry_offset = *self.record_start;
        let mut state = *self.splitter;
        state.rewind_to_record_start();
        *self.carry = Carry::Retained {
            state,
            skipping: false,
        };
        self.open = None;
        self.done = true;
    }

    /// The bytes of the open record up to `end` in the current source, in at most two pieces:
    /// what arrived in an earlier source, and what lies in this one.
    ///
    /// The tail goes on for up to [`LOOK_AHEAD`] bytes past `end` where the source has them: the
    /// fault is often found inside the very key that shows where a swallowed record began.
    fn held_bytes(&self, end: usize) -> (&[u8], &'a [u8]) {
        let (source, _) = self.source();
        let end = end.saturating_add(LOOK_AHEAD).min(source.len());
        match (self.open, self.in_first) {
            (Some(Origin::Chunk(start)), false) | (Some(Origin::First(start)), true) => {
                (source.get(start..end).unwrap_or(&[]), &[])
            }
            (Some(Origin::First(start)), false) => {
                (self.first.get(start..).unwrap_or(&[]), &source[..end])
            }
            (Some(Origin::Carry), _) => (self.carry_buf.as_slice(), &source[..end]),
            _ => (&[], &[]),
        }
    }

    /// Called when the open record has failed (cut off, too large, or not JSON) with
    /// its bytes up to the absolute offset `end` still held: finds the first place inside it
    /// where a record may begin ([`resync_point`]) and moves the scan back there, so that the
    /// records a cut record swallowed are read after all. `assembled` is the record's bytes
    /// when they were already put together in one slice; `starts` says which places count.
    ///
    /// Re-reading is paid for out of an allowance that starts at the record size limit and is
    /// credited one byte for every byte of the stream the faults have reached (up to twice the
    /// limit): however hostile the input, searching and re-reading cost at most
    /// `max_record_len` + (stream length) bytes. Credit follows stream offsets, not calls, so
    /// the items are the same however the stream is cut into chunks. Returns whether the scan
    /// moved; when it did not, the caller throws the record away as before.
    fn resync(&mut self, end: u64, assembled: Option<&'a [u8]>, starts: Starts) -> bool {
        let start = *self.record_start;
        let len = end.saturating_sub(start);
        let (allowance, credited_to) = *self.allowance;
        // Saturating: the record size limit may be as large as the address space.
        let cap = (self.config.max_record_len as u64).saturating_mul(2);
        let allowance = allowance
            .saturating_add(end.saturating_sub(credited_to))
            .min(cap);
        *self.allowance = (allowance, credited_to.max(end));
        if len > allowance {
            return false;
        }
        let allowance = allowance - len;
        self.allowance.0 = allowance;
        let (_, base) = self.source();
        // In a line-delimited stream every record begins a line, and the splitter already
        // ended the record at any `{` that began one: only line starts are looked for there.
        let starts = if self.splitter.began_a_line() {
            Starts::LineStarts
        } else {
            starts
        };
        let index = match assembled {
            Some(bytes) => resync_point(bytes, &[], len as usize, starts),
            None => {
                let (head, tail) = self.held_bytes(end.saturating_sub(base) as usize);
                resync_point(head, tail, len as usize, starts)
            }
        };
        let Some(ResyncPoint { index, line_start }) = index else {
            return false;
        };
        // The re-read itself costs as much again (capped by what is left).
        self.allowance.0 = allowance.saturating_sub(len - index as u64);
        let at = start + index as u64;
        let first_end = self.first_base + self.first.len() as u64;
        if at >= base {
            self.pos = (at - base) as usize;
        } else if !self.in_first && at >= self.first_base && at < first_end {
            self.in_first = true;
            self.pos = (at - self.first_base) as usize;
        } else {
            // The place is in bytes carried over from an earlier call: lend them from the
            // assembled record, or copy them where they can be lent.
            let head_len = (base - start) as usize;
            let first: &'a [u8] = match assembled {
                Some(bytes) => &bytes[index..head_len.min(bytes.len())],
                None => {
                    let Some(buffer) = self.reread.take() else {
                        return false;
                    };
                    buffer.clear();
                    let from = (at - *self.carry_offset) as usize;
                    buffer.extend_from_slice(self.carry_buf.get(from..).unwrap_or(&[]));
                    let lent: &'a Vec<u8> = buffer;
                    lent
                }
            };
            self.first = first;
            self.first_base = at;
            self.in_first = true;
            self.pos = 0;
        }
        self.drop_open_record();
        *self.skipping = false;
        self.splitter.restart_between(line_start);
        // The UTF-8 check ahead of the fast path may describe bytes that are no longer read.
        self.utf8 = ("", 0, false, false);
        true
    }

    /// Forgets the open record's bytes.
    fn drop_open_record(&mut self) {
        if self.open == Some(Origin::Carry) {
            self.carry_buf.clear();
        }
        self.open = None;
        self.open_len = 0;
        *self.too_deep = None;
    }

    /// Saves the open record's bytes (or nothing, when skipping) for the next feed.
    fn keep_open_tail(&mut self) {
        match self.open {
            Some(Origin::Carry) => {
                self.carry_buf.extend_from_slice(self.chunk);
                *self.carry = Carry::Open;
            }
            Some(Origin::First(start)) => {
                self.carry_buf.clear();
                self.carry_buf.extend_from_slice(&self.first[start..]);
                self.carry_buf.extend_from_slice(self.chunk);
                *self.carry_offset = *self.record_start;
                *self.carry = Carry::Open;
            }
            Some(Origin::Chunk(start)) => {
                self.carry_buf.clear();
                self.carry_buf.extend_from_slice(&self.chunk[start..]);
                *self.carry_offset = *self.record_start;
                *self.carry = Carry::Open;
            }
            None => {}
        }
        self.open = None;
    }

    /// The fast path's attempt at the record that starts at `source[i]` (see
    /// `Message::parse_prefix`), within the record size limit.
    #[inline(always)]
    fn fast_record(
        &mut self,
        source: &'a [u8],
        i: usize,
        limit: usize,
    ) -> Option<(Message<'a>, usize)> {
        /// Bytes checked for UTF-8 at a time: large enough to amortise the call, small enough
        /// to stay in the first-level cache until the parser reads them.
        const BLOCK: usize = 16 << 10;
        let window = source.len().min(i.saturating_add(limit));
        let max_depth = self.config.max_depth;
        let (text, start, in_first, hard_end) = self.utf8;
        if in_first == self.in_first && start <= i {
            if let Some(rest) = text.get(i - start..) {
                // Use the checked text as it is when checking again could not give more of this
                // record: it reaches the window's end or invalid bytes, or it still holds half a
                // block (records are far shorter; a longer one just takes the general path).
                // So a block is checked again at most once per half block of input.
                if hard_end || rest.len() >= BLOCK / 2 || start + text.len() >= window {
                    let rest = rest.get(..rest.len().min(window - i))?;
                    return Message::parse_prefix(rest, max_depth);
                }
            }
        }
        // Check the next block, starting at this record (so it never begins mid-character).
        let block = source.get(i..window.min(i.saturating_add(BLOCK)))?;
        let (text, hard_end) = match std::str::from_utf8(block) {
            Ok(text) => (text, false),
            // Invalid bytes further on (a hard end), or a character cut by the block's end: the
            // text before them is still good.
            Err(e) => (
                std::str::from_utf8(block.get(..e.valid_up_to())?).ok()?,
                e.error_len().is_some(),
            ),
        };
        self.utf8 = (text, i, self.in_first, hard_end);
        Message::parse_prefix(text, max_depth)
    }

    fn next_item(&mut self) -> Option<Result<Record<'a>, Error>> {
        loop {
            let (source, base) = self.source();
            // While a record is open, never let the splitter look past its size limit: the
            // limit then trips at the same byte however the stream was chunked.
            let limit = self.config.max_record_len;
            let window = match self.open {
                Some(Origin::First(start)) if self.in_first => start.saturating_add(limit),
                Some(Origin::Chunk(start)) if !self.in_first => start.saturating_add(limit),
                Some(_) => limit.saturating_sub(self.open_len),
                None => usize::MAX,
            }
            .min(source.len());
            let found = self.splitter.split(&source[..window], self.pos);
            self.pos = found.resume_at(window);
            match found {
                Split::Start(i) => {
                    let offset = base + i as u64;
                    *self.record_start = offset;
                    *self.skipping = false;
                    self.open = Some(if self.in_first {
                        Origin::First(i)
                    } else {
                        Origin::Chunk(i)
                    });
                    self.open_len = 0;
                    if self.delimiter.0 != offset {
                        let gap = if *self.last_end == offset {
                            Gap::None
                        } else {
                            self.splitter.gap()
                        };
                        *self.delimiter = (offset, gap);
                    }
                    // Fast path: a record that lies wholly in this source is framed and read in
                    // one pass. Anything else (cut off by the source's end or the size limit,
                    // invalid, unusual) falls through to the splitter and `Message::parse`,
                    // which alone decide every error and its offset.
                    if let Some((message, len)) = self.fast_record(source, i, limit) {
                        let end = i + len;
                        self.splitter.record_ended();
                        self.pos = end;
                        self.open = None;
                        *self.last_end = base + end as u64;
                        self.count_delimiter();
                        self.stats.records += 1;
                        return Some(Ok(Record {
                            bytes: &source[i..end],
                            offset,
                            message,
                        }));
                    }
                }
                Split::End(end) => {
                    *self.last_end = base + end as u64;
                    self.count_delimiter();
                    if mem::take(self.skipping) {
                        continue;
                    }
                    let offset = *self.record_start;
                    let bytes = match self.complete(end) {
                        Ok(bytes) => bytes,
                        Err(Some(kind)) => return self.error(kind, offset),
                        Err(None) => return None,
                    };
                    if let Some(at) = self.too_deep.take() {
                        // It closed as a record does, so it swallowed nothing that needs
                        // reading again.
                        let limit = self.config.max_depth;
                        return self.error(ErrorKind::TooDeep { limit }, at);
                    }
                    // A record assembled across chunks (or one the fast path left alone) is
                    // complete here: try the fast reader on it before the general parser.
                    let max_depth = self.config.max_depth;
                    let fast = std::str::from_utf8(bytes)
                        .ok()
                        .and_then(|text| Message::parse_prefix(text, max_depth))
                        .filter(|&(_, len)| len == bytes.len());
                    let parsed = match fast {
                        Some((message, _)) => Ok((message, None)),
                        None => Message::parse_lenient(bytes, max_depth)
                            .map(|parsed| (parsed.message, parsed.oddity)),
                    };
                    return match parsed {
                        Ok((message, oddity)) => {
                            // A field of the wrong type reads as absent and the record is still
                            // delivered; the oddity is reported right after it.
                            *self.pending_error =
                                oddity.map(|(kind, at)| (kind, offset + at as u64));
                            self.stats.records += 1;
                            Some(Ok(Record {
                                bytes,
                                offset,
                                message,
                            }))
                        }
                        // Framed but not JSON: it may still be an error report. Its bounds
                        // are usually right, but a garbage line can close over the records
                        // after it (`{:` … `]`): those begin lines, and are read again.
                        Err((kind, at)) => {
                            let salvaged = salvage_error(bytes);
                            let item = self
                                .error(kind, offset + at as u64)
                                .map(|item| item.map_err(|error| error.with_salvaged(salvaged)));
                            self.resync(base + end as u64, Some(bytes), Starts::LineStarts);
                            item
                        }
                    };
                }
                Split::NotJson(i) => {
                    return self.error(ErrorKind::NotJson { byte: source[i] }, base + i as u64)
                }
                Split::Unterminated { at, reason } => {
                    if mem::take(self.skipping) {
                        continue;
                    }
                    let offset = base + at as u64;
                    let item = self.record_failed(ErrorKind::Unterminated { reason }, offset);
                    if !self.resync(offset, None, Starts::Any) {
                        self.drop_open_record();
                    }
                    return item;
                }
                Split::TooDeep(i) => {
                    // Never parsed, but held until it ends or fails, so that a cut record's
                    // nesting cannot hide the records after it.
                    if !*self.skipping && self.too_deep.is_none() {
                        *self.too_deep = Some(base + i as u64);
                    }
                }
                Split::NeedMore => {
                    if window < source.len() {
                        // The open record reached its size limit with more bytes to come.
                        let offset = *self.record_start;
                        let item = self.record_failed(ErrorKind::RecordTooLarge { limit }, offset);
                        if !self.resync(base + window as u64, None, Starts::Any) {
                            self.skip_open_record();
                        }
                        return item;
                    }
                    if self.in_first {
                        if let Some(Origin::First(start)) = self.open {
                            self.open_len = self.first.len() - start;
                        }
                        self.in_first = false;
                        self.pos = 0;
                        continue;
                    }
                    return self.end_of_input();
                }
            }
        }
    }

    fn end_of_input(&mut self) -> Option<Result<Record<'a>, Error>> {
        let inside = self.open.is_some() || *self.skipping;
        if !self.at_eof {
            self.done = true;
            self.keep_open_tail();
            return None;
        }
        // End of stream: report a cut-off record (with how much of it arrived, even when its
        // bytes were being skipped), then re-read what it swallowed, or start afresh.
        let stream_end = self.chunk_base + self.chunk.len() as u64;
        let len = stream_end.saturating_sub(*self.record_start);
        let offset = *self.record_start;
        let item = if inside && !*self.failed {
            self.record_failed(ErrorKind::Truncated { len }, offset)
        } else {
            None
        };
        if item.is_some() && self.resync(stream_end, None, Starts::Any) {
            return item;
        }
        self.done = true;
        *self.carry = Carry::Empty;
        self.carry_buf.clear();
        self.open = None;
        *self.skipping = false;
        *self.too_deep = None;
        *self.last_end = u64::MAX;
        self.splitter.reset();
        item
    }

    /// Counts how the record that just ended was separated from the one before it.
    fn count_delimiter(&mut self) {
        let framing = &mut self.stats.framing;
        match self.delimiter.1 {
            Gap::None if self.delimiter.0 != 0 => framing.concatenated += 1,
            Gap::Crlf => framing.crlf += 1,
            Gap::Lf => framing.lf += 1,
            _ => {}
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if *self.failed {
            return None;
        }
        if let Some((kind, offset)) = self.pending_error.take() {
            return self.error(kind, offset);
        }
        if self.done {
            return None;
        }
        self.next_item()
    }
}

impl std::iter::FusedIterator for Records<'_> {}

impl Drop for Records<'_> {
    /// An iterator dropped before its end hands the unread bytes back to the decoder, so the
    /// next call yields them first.
    fn drop(&mut self) {
        if self.done || *self.failed {
            return;
        }
        let (source, base) = self.source();
        let rest = &source[self.pos..];
        let mut state = *self.splitter;
        let mut skipping = *self.skipping;
        let mut offset = base + self.pos as u64;
        let mut retained = Vec::new();
        if self.open == Some(Origin::Carry) {
            // Nothing was read yet: keep the open record's bytes and rescan them next time.
            retained = mem::take(self.carry_buf);
            offset = *self.record_start;
            state.rewind_to_record_start();
            skipping = false;
        }
        retained.extend_from_slice(rest);
        if self.in_first {
            retained.extend_from_slice(self.chunk);
        }
        *self.carry_buf = retained;
        *self.carry_offset = offset;
        *self.carry = if self.carry_buf.is_empty() && !state.in_record() {
            Carry::Empty
        } else {
            Carry::Retained { state, skipping }
        };
        if *self.carry == Carry::Empty {
            *self.splitter = state;
        }
    }
}

/// Which places inside a failed record [`resync_point`] takes for the start of a record it
/// swallowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Starts {
    /// A `{` at the start of a line, or followed by a record's first key. For records that were
    /// cut off: the fault shows that the bytes after the record's `{` are not all its own.
    Any,
    /// A `{` at the start of a line only. For records that closed but are not JSON: their
    /// bounds are nearly always right, and the objects inside them are their own.
    LineStarts,
}

/// How far past a fault [`resync_point`] may read to see the key after a `{`: the byte that
/// showed the fault, which is often the quote closing that key (`{"status":"Downlo` +
/// `{"status"…` fails at the quote after the second `status`). It is always in the bytes at
/// hand; anything further might not be, and the outcome would depend on how the stream was cut
/// into chunks.
const LOOK_AHEAD: usize = 1;

/// The keys a record can begin with: the fields of Docker's `JSONMessage` (moby,
/// `pkg/jsonmessage/jsonmessage.go`), which Go writes in declaration order with empty ones left
/// out, and `message`, the one field of an HTTP error body (moby,
/// `api/server/httputils/httputils.go`'s error response). None of them but `message` begins an
/// object nested in a record (`progressDetail`: `current`, `total`…; `aux`: `ID`, `Tag`…;
/// `errorDetail`: `code`, `message`), so `{"message"` is not taken for a record start right
/// after `"errorDetail":` (see [`resync_point`]).
const RECORD_KEYS: &[&[u8]] = &[
    b"message",
    b"status",
    b"stream",
    b"progressDetail",
    b"progress",
    b"id",
    b"from",
    b"time",
    b"errorDetail",
    b"error",
    b"aux",
];

/// Where, inside a failed record's bytes (`head` then `tail`, index 0 being its own `{`), the
/// first record it may have swallowed begins: the first `{` that stands at the start of a line
/// (only spaces, tabs and carriage returns before it since the line break), or that is followed
/// by `"` and one of [`RECORD_KEYS`] and `"`, or by `}`; but not `{}` right after
/// `"progressDetail":` nor `{"message"` right after `"errorDetail":`, where they are the
/// record's own details (`"progressDetail":{}` is in nearly every daemon record). `None` when
/// there is none.
///
/// Only a `{` before `limit` counts; the bytes after it are read to see what follows a `{`.
fn resync_point(head: &[u8], tail: &[u8], limit: usize, starts: Starts) -> Option<ResyncPoint> {
    let byte = |i: usize| match i.checked_sub(head.len()) {
        None => head.get(i).copied(),
        Some(j) => tail.get(j).copied(),
    };
    let begins_line = |at: usize| {
        // Each walk back stops at the previous `{` at the latest, so all of them together
        // read each byte once.
        let mut j = at;
        while let Some(before) = j.checked_sub(1).and_then(byte) {
            match before {
                b' ' | b'\t' | b'\r' => j -= 1,
                b'\n' => return true,
                _ => break,
            }
        }
        false
    };
    let begins_record = |at: usize| {
        if starts == Starts::LineStarts {
            return false;
        }
        let follows = |text: &[u8], end: usize| {
            end >= text.len()
                && text
                    .iter()
                    .enumerate()
                    .all(|(k, &b)| byte(end - text.len() + k) == Some(b))
        };
        // `{}` and `{"message"` also stand inside records (`"progressDetail":{}`, the
        // `errorDetail` object): there they follow a `:`.
        if follows(b"{}", at + 2) {
            return !follows(b"\"progressDetail\":", at);
        }
        let Some(key) = RECORD_KEYS.iter().find(|key| {
            follows(b"{\"", at + 2)
                && follows(key, at + 2 + key.len())
                && follows(b"\"", at + 3 + key.len())
        }) else {
            return false;
        };
        *key != b"message" || !follows(b"\"errorDetail\":", at)
    };
    memchr::memchr_iter(b'{', head)
        .chain(memchr::memchr_iter(b'{', tail).map(|i| i + head.len()))
        .take_while(|&i| i < limit)
        .filter(|&i| i > 0)
        .find_map(|index| {
            let line_start = begins_line(index);
            (line_start || begins_record(index)).then_some(ResyncPoint { index, line_start })
        })
}

/// Where [`resync_point`] found a record may begin.
#[derive(Clone, Copy, Debug)]
struct ResyncPoint {
    /// Index in the failed record's bytes.
    index: usize,
    /// Whether it begins a line (the record found there is then a line-delimited one).
    line_start: bool,
}
