//! Optional HTTP/1.1 response decoding, for callers that read the Docker socket themselves.
//!
//! [`ResponseDecoder`] takes the bytes of one HTTP/1.1 response exactly as a socket delivers
//! them (what `curl -si --raw` or `nc -U /var/run/docker.sock` shows): the status line, the
//! headers, then a body framed by `Transfer-Encoding: chunked`, by `Content-Length`, or by the
//! end of the connection. It hands the body out as slices of the input, ready for
//! [`crate::Decoder::feed`] or [`crate::pipeline::Pipeline::feed`].
//!
//! Like the rest of the crate it is sans-IO: it never reads or waits, keeps no copy of the body,
//! and accepts the input split at any byte. Only the response head is buffered, up to a limit
//! ([`DEFAULT_MAX_HEAD_LEN`] unless set with [`ResponseDecoder::with_max_head_len`]).
//!
//! What it tolerates: CRLF or bare LF line endings, chunk extensions (`1a;name=value`),
//! whitespace after a chunk size, trailers, interim `1xx` responses before the real one, a
//! body that ends right after the `0` chunk without the final empty line, and a body announced
//! as chunked that was already de-chunked (see [`ResponseDecoder::is_body_already_dechunked`]).
//! What it reports, as an
//! [`HttpError`] carrying the byte offset: a malformed status line or header, a head larger than
//! the limit, a bad `Content-Length`, an unsupported transfer coding, a bad chunk size, chunk
//! data not followed by a line ending, and (from [`ResponseDecoder::finish`]) a response cut off
//! before its head or body ended.
//!
//! ```
//! use pullstream::http::ResponseDecoder;
//!
//! let wire = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
//!              Transfer-Encoding: chunked\r\n\r\n\
//!              1f\r\n{\"status\":\"Pulling fs layer\"}\r\n\r\n\
//!              0\r\n\r\n";
//! let mut http = ResponseDecoder::new();
//! let mut body = Vec::new();
//! // Any split works; here the response arrives in two reads.
//! for piece in [&wire[..40], &wire[40..]] {
//!     http.feed_all(piece, |slice| body.extend_from_slice(slice))?;
//! }
//! http.finish()?;
//! assert_eq!(http.status(), Some(200));
//! assert!(http.is_chunked() && http.is_complete());
//! assert_eq!(body, b"{\"status\":\"Pulling fs layer\"}\r\n");
//! # Ok::<(), pullstream::http::HttpError>(())
//! ```

use std::fmt;

/// The bytes every HTTP/1.x response begins with. A progress stream's body can never begin
/// with them (its first byte is `{` or white space), so input that does is a whole response.
pub const RESPONSE_PREFIX: &[u8] = b"HTTP/1.";

/// Whether input beginning with `prefix` is a raw HTTP/1.x response rather than a bare body:
/// `Some(true)` when it begins with [`RESPONSE_PREFIX`], `Some(false)` as soon as a byte
/// differs, `None` while `prefix` is too short to tell (it is a proper prefix of
/// `HTTP/1.`, or empty).
///
/// ```
/// use pullstream::http::starts_like_response;
/// assert_eq!(starts_like_response(b"HTTP/1.1 200 OK\r\n"), Some(true));
/// assert_eq!(starts_like_response(b"{\"status\":\"Pulling fs layer\"}"), Some(false));
/// assert_eq!(starts_like_response(b"HTTP"), None);
/// assert_eq!(starts_like_response(b"HTTX"), Some(false));
/// ```
pub fn starts_like_response(prefix: &[u8]) -> Option<bool> {
    let shared = prefix.len().min(RESPONSE_PREFIX.len());
    if prefix[..shared] != RESPONSE_PREFIX[..shared] {
        Some(false)
    } else if shared == RESPONSE_PREFIX.len() {
        Some(true)
    } else {
        None
    }
}

/// The default limit on the size of the response head (status line and headers), and on the
/// total size of the trailers: 64 KiB.
pub const DEFAULT_MAX_HEAD_LEN: usize = 64 * 1024;

/// The longest chunk-size line accepted, extensions included.
pub const MAX_CHUNK_LINE_LEN: usize = 4096;

/// Why an HTTP response could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// The first line is not `HTTP/1.x NNN [reason]` (e.g. a bare body given where a whole
    /// response was expected).
    BadStatusLine,
    /// The head (status line and headers), or the trailers, grew past the limit.
    HeadTooLarge {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// A header line has no `:` or an empty name.
    BadHeader,
    /// `Content-Length` is not a decimal number, or two of them disagree.
    BadContentLength,
    /// `Transfer-Encoding` names a coding other than `chunked` (e.g. `gzip`).
    UnsupportedTransferEncoding,
    /// A chunk-size line is not hexadecimal digits (optionally followed by `;extensions`), or
    /// the size does not fit in 64 bits.
    BadChunkSize,
    /// A chunk-size line is longer than [`MAX_CHUNK_LINE_LEN`].
    ChunkLineTooLong {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The data of a chunk is not followed by a line ending.
    MissingChunkDelimiter,
    /// The input ended before the end of the head.
    TruncatedHead,
    /// The input ended before the end of the body: inside a chunk or before the `0` chunk of a
    /// chunked body, or before `Content-Length` bytes arrived.
    TruncatedBody,
}

impl fmt::Display for HttpErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpErrorKind::BadStatusLine => {
                f.write_str("not an HTTP/1.x status line (is the input a bare body?)")
            }
            HttpErrorKind::HeadTooLarge { limit } => {
                write!(f, "HTTP head larger than the limit of {limit} bytes")
            }
            HttpErrorKind::BadHeader => f.write_str("malformed HTTP header line"),
            HttpErrorKind::BadContentLength => f.write_str("invalid Content-Length"),
            HttpErrorKind::UnsupportedTransferEncoding => {
                f.write_str("unsupported Transfer-Encoding (only chunked is understood)")
            }
            HttpErrorKind::BadChunkSize => f.write_str("invalid chunk size line"),
            HttpErrorKind::ChunkLineTooLong { limit } => {
                write!(f, "chunk size line longer than {limit} bytes")
            }
            HttpErrorKind::MissingChunkDelimiter => {
                f.write_str("chunk data not followed by a line ending")
            }
            HttpErrorKind::TruncatedHead => f.write_str("response ended inside the HTTP head"),
            HttpErrorKind::TruncatedBody => {
                f.write_str("truncated body: response ended before the end of the HTTP body")
            }
        }
    }
}

/// An HTTP decoding error at a known offset, counted in bytes from the start of the response.
///
/// ```
/// use pullstream::http::{HttpErrorKind, ResponseDecoder};
/// let mut http = ResponseDecoder::new();
/// let err = http
///     .feed_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", |_| {})
///     .unwrap_err();
/// assert_eq!(err.kind(), HttpErrorKind::BadChunkSize);
/// assert_eq!(err.offset(), 47);
/// assert_eq!(err.to_string(), "byte 47: invalid chunk size line");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpError {
    kind: HttpErrorKind,
    offset: u64,
}

impl HttpError {
    /// What went wrong.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// Offset of the offending byte (for truncation: the length of the input), from the start
    /// of the response.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// True for [`HttpErrorKind::TruncatedHead`] and [`HttpErrorKind::TruncatedBody`]: the
    /// input stopped early, but every byte that arrived was well formed.
    pub fn is_truncation(&self) -> bool {
        matches!(
            self.kind,
            HttpErrorKind::TruncatedHead | HttpErrorKind::TruncatedBody
        )
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for HttpError {}

/// What one [`ResponseDecoder::feed`] call did: how much input it used, and whether the head
/// or the whole response ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FeedReport {
    /// Bytes of the input used. Less than the input's length only when the response ended
    /// inside it: the rest belongs to whatever follows on the connection.
    pub consumed: usize,
    /// The response is complete (see [`ResponseDecoder::is_complete`]).
    pub complete: bool,
    /// This call stopped right after the head of the final response, so that the caller can
    /// look at [`ResponseDecoder::status`] and the headers before any body is handed out. It
    /// happens once per response; feed the unconsumed rest of the input next.
    pub head: bool,
}

/// Where the decoder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading the status line.
    StatusLine,
    /// Reading header lines.
    Headers,
    /// Reading a chunk-size line (its progress is in [`ResponseDecoder::chunk_line`]).
    ChunkSize,
    /// Inside a chunk's data.
    ChunkData { remaining: u64 },
    /// After a chunk's data: expecting CRLF or LF.
    ChunkDataEnd { cr: bool },
    /// After the `0` chunk: trailer lines until an empty one.
    Trailers { line_len: usize, total: usize },
    /// A `Content-Length` body.
    Length { remaining: u64 },
    /// A body that ends with the connection.
    UntilEof,
    /// The response is complete.
    Done,
    /// A sticky error.
    Failed(HttpError),
}

/// Progress through a chunk-size line.
///
/// It lives beside the state rather than inside it: kept in the enum, its bytes were left
/// uninitialised in the other states, and the optimiser's hoisted loads of them made valgrind
/// report (harmless) reads of uninitialised memory from C programs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ChunkLine {
    value: u64,
    digits: u32,
    /// Past the digits: only whitespace, `;ext` or the line ending may follow.
    after_digits: bool,
    in_ext: bool,
    len: usize,
}

/// Decodes one HTTP/1.1 response, fed in pieces, handing out its body as slices of the input.
///
/// Call [`ResponseDecoder::feed`] (or [`ResponseDecoder::feed_all`]) with every piece read from
/// the connection, then [`ResponseDecoder::finish`] at end of input. Errors are sticky: once `feed` failed, every
/// later call returns the same error.
///
/// ```
/// use pullstream::http::ResponseDecoder;
///
/// let wire = b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\
///              Content-Length: 31\r\n\r\n{\"message\":\"No such image: x\"}\n";
/// let mut http = ResponseDecoder::new();
/// let mut body = Vec::new();
/// for byte in wire.chunks(1) {
///     http.feed(byte, |slice| body.extend_from_slice(slice))?;
/// }
/// http.finish()?;
/// assert_eq!(http.status(), Some(404));
/// assert_eq!(http.reason(), Some("Not Found"));
/// assert!(!http.is_success());
/// assert_eq!(http.header("content-type"), Some("application/json"));
/// assert_eq!(http.content_length(), Some(31));
/// assert_eq!(body, b"{\"message\":\"No such image: x\"}\n");
/// # Ok::<(), pullstream::http::HttpError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ResponseDecoder {
    state: State,
    max_head_len: usize,
    /// Absolute offset of the next byte.
    offset: u64,
    /// Bytes of the current head so far.
    head_len: usize,
    /// The line being read (head only).
    line: Vec<u8>,
    status: Option<u16>,
    reason: Option<String>,
    headers: Vec<(String, String)>,
    chunked: bool,
    content_length: Option<u64>,
    body_len: u64,
    head_done: bool,
    /// The head said chunked, but the body began with `{`: it was de-chunked already.
    dechunked: bool,
    chunk_line: ChunkLine,
}

impl Default for ResponseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseDecoder {
    /// A decoder with the default head limit ([`DEFAULT_MAX_HEAD_LEN`]).
    pub fn new() -> Self {
        Self::with_max_head_len(DEFAULT_MAX_HEAD_LEN)
    }

    /// A decoder that rejects a head (status line and headers), or trailers, longer than
    /// `limit` bytes with [`HttpErrorKind::HeadTooLarge`].
    ///
    /// ```
    /// use pullstream::http::{HttpErrorKind, ResponseDecoder};
    /// let mut http = ResponseDecoder::with_max_head_len(32);
    /// let err = http.feed(b"HTTP/1.1 200 OK\r\nServer: a very long server name\r\n", |_| {});
    /// assert_eq!(err.unwrap_err().kind(), HttpErrorKind::HeadTooLarge { limit: 32 });
    /// ```
    pub fn with_max_head_len(limit: usize) -> Self {
        ResponseDecoder {
            state: State::StatusLine,
            chunk_line: ChunkLine::default(),
            max_head_len: limit,
            offset: 0,
            head_len: 0,
            line: Vec::new(),
            status: None,
            reason: None,
            headers: Vec::new(),
            chunked: false,
            content_length: None,
            body_len: 0,
            head_done: false,
            dechunked: false,
        }
    }

    /// The status code, once the status line of the final (non-`1xx`) response has been read.
    pub fn status(&self) -> Option<u16> {
        if self.is_head_complete() {
            self.status
        } else {
            None
        }
    }

    /// The reason phrase (`"OK"`, `"Not Found"`), once the head has been read.
    pub fn reason(&self) -> Option<&str> {
        if self.is_head_complete() {
            self.reason.as_deref()
        } else {
            None
        }
    }

    /// True when the status is `2xx`.
    pub fn is_success(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
    }

    /// The value of the first header named `name` (ASCII case-insensitive), once the head has
    /// been read. Values are trimmed; bytes that are not UTF-8 are replaced.
    pub fn header(&self, name: &str) -> Option<&str> {
        if !self.is_head_complete() {
            return None;
        }
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header of the response, in order, once the head has been read.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        let done = self.is_head_complete();
        self.headers
            .iter()
            .filter(move |_| done)
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// True when the body is framed by `Transfer-Encoding: chunked`.
    pub fn is_chunked(&self) -> bool {
        self.is_head_complete() && self.chunked
    }

    /// The `Content-Length`, when the head gave one (and the body is not chunked).
    pub fn content_length(&self) -> Option<u64> {
        if self.is_head_complete() && !self.chunked {
            self.content_length
        } else {
            None
        }
    }

    /// True once the status line and headers of the final response have been read.
    pub fn is_head_complete(&self) -> bool {
        self.head_done
    }

    /// True once the whole response has arrived: the `0` chunk (and trailers) of a chunked
    /// body, or `Content-Length` bytes. A body that ends with the connection is complete only
    /// after [`ResponseDecoder::finish`].
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// True once the body is known to be cut short: [`ResponseDecoder::finish`] found a chunked
    /// body without its `0` chunk (or cut inside a chunk), or an identity body shorter than its
    /// `Content-Length` ([`HttpErrorKind::TruncatedBody`]); or the chunked framing broke
    /// ([`HttpErrorKind::BadChunkSize`], [`HttpErrorKind::ChunkLineTooLong`],
    /// [`HttpErrorKind::MissingChunkDelimiter`]) after some of the body had been handed out.
    /// Bytes past a broken chunk line cannot be read as body, so the body ends there, short of
    /// its `0` chunk: it is cut just as surely as when the connection closed early. For a
    /// success (`2xx`) response the progress stream inside is then a cut stream: tell the
    /// pipeline with [`crate::pipeline::Pipeline::note_truncated_body`].
    ///
    /// ```
    /// use pullstream::http::ResponseDecoder;
    /// let mut http = ResponseDecoder::new();
    /// http.feed_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"status\":\"x\"}", |_| {})?;
    /// assert!(!http.is_body_truncated());
    /// assert!(http.finish().is_err());
    /// assert!(http.is_success() && http.is_body_truncated());
    /// # Ok::<(), pullstream::http::HttpError>(())
    /// ```
    ///
    /// A framing error once the body began counts too (a mangled `0` chunk line after every
    /// record), one before any body byte does not (nothing of a stream arrived):
    ///
    /// ```
    /// use pullstream::http::{HttpErrorKind, ResponseDecoder};
    /// let head = &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"[..];
    /// let mut http = ResponseDecoder::new();
    /// let wire = [head, b"3\r\n{}\n\r\nzz\r\n\r\n"].concat();
    /// let err = http.feed_all(&wire, |_| {}).unwrap_err();
    /// assert_eq!(err.kind(), HttpErrorKind::BadChunkSize);
    /// assert!(http.is_body_truncated());
    /// let mut http = ResponseDecoder::new();
    /// assert!(http.feed_all(&[head, b"zz\r\n"].concat(), |_| {}).is_err());
    /// assert!(!http.is_body_truncated());
    /// ```
    pub fn is_body_truncated(&self) -> bool {
        let State::Failed(error) = self.state else {
            return false;
        };
        match error.kind {
            HttpErrorKind::TruncatedBody => true,
            HttpErrorKind::BadChunkSize
            | HttpErrorKind::ChunkLineTooLong { .. }
            | HttpErrorKind::MissingChunkDelimiter => self.body_len > 0,
            _ => false,
        }
    }

    /// True when the head announced `Transfer-Encoding: chunked` but the body began with `{`
    /// where a chunk size was due: the body had been de-chunked already (what `curl -si`
    /// writes without `--raw`). It is then read as it is, to the end of the input, so a cut
    /// in it cannot be told from its end.
    ///
    /// ```
    /// use pullstream::http::ResponseDecoder;
    /// let mut http = ResponseDecoder::new();
    /// let mut body = Vec::new();
    /// let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{\"status\":\"x\"}\r\n";
    /// http.feed_all(wire, |slice| body.extend_from_slice(slice))?;
    /// http.finish()?;
    /// assert!(http.is_chunked() && http.is_body_already_dechunked());
    /// assert_eq!(body, b"{\"status\":\"x\"}\r\n");
    /// # Ok::<(), pullstream::http::HttpError>(())
    /// ```
    pub fn is_body_already_dechunked(&self) -> bool {
        self.dechunked
    }

    /// Bytes of input consumed so far (the offset of the next byte).
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Bytes of body handed out so far.
    pub fn body_len(&self) -> u64 {
        self.body_len
    }

    fn fail(&mut self, kind: HttpErrorKind, offset: u64) -> HttpError {
        let error = HttpError { kind, offset };
        self.state = State::Failed(error);
        error
    }

    /// Decodes `input`, the next bytes of the response, calling `body` with each piece of body
    /// found in it (slices of `input`, in order).
    ///
    /// Returns how much of `input` was used. All of it is used, except in two cases: the call
    /// stops once right after the head of the final response ([`FeedReport::head`]), and bytes
    /// after the end of the response are left alone ([`FeedReport::complete`]). So feed in a loop
    /// until the input is used up or the response is complete:
    ///
    /// ```
    /// use pullstream::http::ResponseDecoder;
    /// let mut http = ResponseDecoder::new();
    /// let mut input = &b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html>"[..];
    /// let mut body = Vec::new();
    /// while !input.is_empty() {
    ///     let report = http.feed(input, |slice| body.extend_from_slice(slice))?;
    ///     input = &input[report.consumed..];
    ///     if report.head {
    ///         // Decide what to do with the body before it arrives.
    ///         assert_eq!(http.status(), Some(502));
    ///         assert_eq!(http.header("Content-Type"), Some("text/html"));
    ///     }
    ///     if report.complete {
    ///         break;
    ///     }
    /// }
    /// http.finish()?; // no Content-Length, not chunked: the body ends with the input
    /// assert_eq!(body, b"<html>");
    /// # Ok::<(), pullstream::http::HttpError>(())
    /// ```
    ///
    /// After an error, every call returns it again.
    pub fn feed(
        &mut self,
        input: &[u8],
        mut body: impl FnMut(&[u8]),
    ) -> Result<FeedReport, HttpError> {
        let mut i = 0;
        let mut head = false;
        while i < input.len() {
            let at = self.offset + i as u64;
            match self.state {
                State::Failed(error) => return Err(error),
                State::Done => break,
                State::StatusLine | State::Headers => {
                    let rest = &input[i..];
                    let (take, ended) = match memchr::memchr(b'\n', rest) {
                        Some(k) => (k + 1, true),
                        None => (rest.len(), false),
                    };
                    if self.head_len + take > self.max_head_len {
                        let limit = self.max_head_len;
                        let bad = at + (self.max_head_len - self.head_len) as u64;
                        return Err(self.fail(HttpErrorKind::HeadTooLarge { limit }, bad));
                    }
                    self.line.extend_from_slice(&rest[..take]);
                    self.head_len += take;
                    i += take;
                    if ended {
                        let line_start = self.offset + i as u64 - self.line.len() as u64;
                        self.end_head_line(line_start)?;
                        if self.head_done {
                            head = true;
                            break;
                        }
                    }
                }
                State::ChunkSize => {
                    let ChunkLine {
                        mut value,
                        mut digits,
                        mut after_digits,
                        mut in_ext,
                        mut len,
                    } = self.chunk_line;
                    let byte = input[i];
                    if byte == b'{' && len == 0 && self.body_len == 0 {
                        // No chunk size starts with `{`, and every progress body does: a
                        // body that was de-chunked before it got here. Read it as it is.
                        self.dechunked = true;
                        self.state = State::UntilEof;
                        continue;
                    }
                    i += 1;
                    len += 1;
                    if len > MAX_CHUNK_LINE_LEN {
                        let limit = MAX_CHUNK_LINE_LEN;
                        return Err(self.fail(HttpErrorKind::ChunkLineTooLong { limit }, at));
                    }
                    if byte == b'\n' {
                        if digits == 0 {
                            return Err(self.fail(HttpErrorKind::BadChunkSize, at));
                        }
                        self.state = if value == 0 {
                            State::Trailers {
                                line_len: 0,
                                total: 0,
                            }
                        } else {
                            State::ChunkData { remaining: value }
                        };
                        continue;
                    }
                    if !in_ext {
                        match byte {
                            b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' if !after_digits => {
                                let digit = (byte as char).to_digit(16).unwrap_or(0);
                                if value >> 60 != 0 {
                                    return Err(self.fail(HttpErrorKind::BadChunkSize, at));
                                }
                                value = value << 4 | u64::from(digit);
                                digits += 1;
                            }
                            b' ' | b'\t' | b'\r' if digits > 0 => after_digits = true,
                            b';' if digits > 0 => in_ext = true,
                            _ => return Err(self.fail(HttpErrorKind::BadChunkSize, at)),
                        }
                    }
                    self.chunk_line = ChunkLine {
                        value,
                        digits,
                        after_digits,
                        in_ext,
                        len,
                    };
                }
                State::ChunkData { remaining } => {
                    let avail = (input.len() - i) as u64;
                    let take = remaining.min(avail) as usize;
                    body(&input[i..i + take]);
                    self.body_len += take as u64;
                    i += take;
                    let left = remaining - take as u64;
                    self.state = if left == 0 {
                        State::ChunkDataEnd { cr: false }
                    } else {
                        State::ChunkData { remaining: left }
                    };
                }
                State::ChunkDataEnd { cr } => {
                    let byte = input[i];
                    i += 1;
                    self.state = match byte {
                        b'\r' if !cr => State::ChunkDataEnd { cr: true },
                        b'\n' => self.chunk_size_start(),
                        _ => return Err(self.fail(HttpErrorKind::MissingChunkDelimiter, at)),
                    };
                }
                State::Trailers { line_len, total } => {
                    let byte = input[i];
                    i += 1;
                    if total + 1 > self.max_head_len {
                        let limit = self.max_head_len;
                        return Err(self.fail(HttpErrorKind::HeadTooLarge { limit }, at));
                    }
                    self.state = match byte {
                        b'\n' if line_len == 0 => State::Done,
                        b'\n' => State::Trailers {
                            line_len: 0,
                            total: total + 1,
                        },
                        // A CR alone does not make a line non-empty.
                        b'\r' => State::Trailers {
                            line_len,
                            total: total + 1,
                        },
                        _ => State::Trailers {
                            line_len: line_len + 1,
                            total: total + 1,
                        },
                    };
                }
                State::Length { remaining } => {
                    let avail = (input.len() - i) as u64;
                    let take = remaining.min(avail) as usize;
                    body(&input[i..i + take]);
                    self.body_len += take as u64;
                    i += take;
                    let left = remaining - take as u64;
                    self.state = if left == 0 {
                        State::Done
                    } else {
                        State::Length { remaining: left }
                    };
                }
                State::UntilEof => {
                    body(&input[i..]);
                    self.body_len += (input.len() - i) as u64;
                    i = input.len();
                }
            }
        }
        if let State::Failed(error) = self.state {
            return Err(error);
        }
        self.offset += i as u64;
        Ok(FeedReport {
            consumed: i,
            complete: self.state == State::Done,
            head,
        })
    }

    /// Like [`ResponseDecoder::feed`], but goes on past the end of the head: it uses all of
    /// `input` unless the response ends inside it. [`FeedReport::head`] tells whether the head
    /// ended during this call.
    ///
    /// ```
    /// use pullstream::http::ResponseDecoder;
    /// let mut http = ResponseDecoder::new();
    /// let mut body = Vec::new();
    /// let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n";
    /// let report = http.feed_all(wire, |slice| body.extend_from_slice(slice))?;
    /// assert!(report.head && report.complete);
    /// assert_eq!(report.consumed, 40); // the next response is left alone
    /// assert_eq!(body, b"{}");
    /// # Ok::<(), pullstream::http::HttpError>(())
    /// ```
    pub fn feed_all(
        &mut self,
        input: &[u8],
        mut body: impl FnMut(&[u8]),
    ) -> Result<FeedReport, HttpError> {
        let mut total = FeedReport::default();
        loop {
            let report = self.feed(&input[total.consumed..], &mut body)?;
            total.consumed += report.consumed;
            total.complete = report.complete;
            total.head |= report.head;
            if !report.head || report.complete || total.consumed == input.len() {
                return Ok(total);
            }
        }
    }

    fn chunk_size_start(&mut self) -> State {
        self.chunk_line = ChunkLine::default();
        State::ChunkSize
    }

    /// Processes the head line in `self.line` (ending with LF), which started at `line_start`.
    fn end_head_line(&mut self, line_start: u64) -> Result<(), HttpError> {
        let mut line = std::mem::take(&mut self.line);
        line.pop(); // the LF
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let result = if self.state == State::StatusLine {
            self.status_line(&line, line_start)
        } else if line.is_empty() {
            self.end_of_head(line_start)
        } else {
            self.header_line(&line, line_start)
        };
        line.clear();
        self.line = line;
        result
    }

    fn status_line(&mut self, line: &[u8], at: u64) -> Result<(), HttpError> {
        // `HTTP/1.1 200 OK`: version, a space, three digits, then a space and a reason or
        // nothing.
        let ok = line.len() >= 12
            && line.starts_with(b"HTTP/1.")
            && line[7].is_ascii_digit()
            && line[8] == b' '
            && line[9..12].iter().all(u8::is_ascii_digit)
            && (line.len() == 12 || line[12] == b' ');
        if !ok {
            return Err(self.fail(HttpErrorKind::BadStatusLine, at));
        }
        let code = line[9..12]
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
        self.status = Some(code);
        let reason = line.get(13..).unwrap_or_default();
        self.reason = Some(String::from_utf8_lossy(reason).trim().to_string());
        self.headers.clear();
        self.chunked = false;
        self.content_length = None;
        self.state = State::Headers;
        Ok(())
    }

    fn header_line(&mut self, line: &[u8], at: u64) -> Result<(), HttpError> {
        // An obsolete folded continuation line belongs to the previous header.
        if matches!(line[0], b' ' | b'\t') {
            return match self.headers.last_mut() {
                Some((_, value)) => {
                    let more = String::from_utf8_lossy(line);
                    value.push(' ');
                    value.push_str(more.trim());
                    Ok(())
                }
                None => Err(self.fail(HttpErrorKind::BadHeader, at)),
            };
        }
        let colon = match memchr::memchr(b':', line) {
            Some(k) if k > 0 && !line[..k].iter().any(|b| b.is_ascii_whitespace()) => k,
            _ => return Err(self.fail(HttpErrorKind::BadHeader, at)),
        };
        let name = String::from_utf8_lossy(&line[..colon]).into_owned();
        let value = String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_string();
        if name.eq_ignore_ascii_case("content-length") {
            let parsed = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                value.parse::<u64>().ok()
            } else {
                None
            };
            match (parsed, self.content_length) {
                (Some(n), None) => self.content_length = Some(n),
                (Some(n), Some(m)) if n == m => {}
                _ => return Err(self.fail(HttpErrorKind::BadContentLength, at)),
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            for coding in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                if coding.eq_ignore_ascii_case("chunked") {
                    self.chunked = true;
                } else if !coding.eq_ignore_ascii_case("identity") {
                    return Err(self.fail(HttpErrorKind::UnsupportedTransferEncoding, at));
                }
            }
        }
        self.headers.push((name, value));
        Ok(())
    }

    fn end_of_head(&mut self, _at: u64) -> Result<(), HttpError> {
        let status = self.status.unwrap_or(0);
        self.head_len = 0;
        self.state = if (100..200).contains(&status) && status != 101 {
            // An interim response (`100 Continue`): the real one follows.
            State::StatusLine
        } else if status == 204 || status == 304 {
            self.head_done = true;
            State::Done
        } else if self.chunked {
            self.head_done = true;
            self.chunk_size_start()
        } else if let Some(n) = self.content_length {
            self.head_done = true;
            if n == 0 {
                State::Done
            } else {
                State::Length { remaining: n }
            }
        } else {
            self.head_done = true;
            State::UntilEof
        };
        Ok(())
    }

    /// Ends the input. A body that runs until the connection closes becomes complete; a
    /// response cut off inside its head or its framed body is reported as
    /// [`HttpErrorKind::TruncatedHead`] or [`HttpErrorKind::TruncatedBody`] (at the offset where
    /// the input ended). A chunked body that stops right after its `0` chunk, before the final
    /// empty line, is accepted. Returns the sticky error, if any.
    ///
    /// ```
    /// use pullstream::http::{HttpErrorKind, ResponseDecoder};
    /// let mut http = ResponseDecoder::new();
    /// http.feed_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\"", |_| {})?;
    /// let err = http.finish().unwrap_err();
    /// assert_eq!(err.kind(), HttpErrorKind::TruncatedBody);
    /// assert_eq!(err.offset(), 54);
    /// # Ok::<(), pullstream::http::HttpError>(())
    /// ```
    pub fn finish(&mut self) -> Result<(), HttpError> {
        let at = self.offset;
        match self.state {
            State::Done => Ok(()),
            State::Failed(error) => Err(error),
            State::UntilEof => {
                self.state = State::Done;
                Ok(())
            }
            State::Trailers { line_len: 0, .. } => {
                self.state = State::Done;
                Ok(())
            }
            State::StatusLine | State::Headers => Err(self.fail(HttpErrorKind::TruncatedHead, at)),
            State::ChunkSize
            | State::ChunkData { .. }
            | State::ChunkDataEnd { .. }
            | State::Trailers { .. }
            | State::Length { .. } => Err(self.fail(HttpErrorKind::TruncatedBody, at)),
        }
    }
}

crate::stable_enum! {
    /// The class of an [`HttpErrorKind`]: what went wrong with an HTTP response, coarsely.
    /// Its codes are the C statuses 120–149 (`PULLSTREAM_STATUS_HTTP_BAD_HEAD`, …).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum HttpErrorClass {
        /// The status line or a header is malformed (or the input is a bare body, not a whole
        /// response).
        BadHead = 120 => "bad_head",
        /// The head or a chunk-size line is longer than its limit.
        TooLarge = 121 => "too_large",
        /// A chunk-size line or the end of a chunk is malformed.
        BadChunk = 122 => "bad_chunk",
        /// The input ended inside the head or the body.
        Truncated = 123 => "truncated",
        /// A transfer coding other than `chunked` (e.g. `gzip`).
        Unsupported = 124 => "unsupported",
    }
}

impl HttpErrorKind {
    /// The class of this error.
    pub fn class(&self) -> HttpErrorClass {
        match self {
            HttpErrorKind::BadStatusLine
            | HttpErrorKind::BadHeader
            | HttpErrorKind::BadContentLength => HttpErrorClass::BadHead,
            HttpErrorKind::HeadTooLarge { .. } | HttpErrorKind::ChunkLineTooLong { .. } => {
                HttpErrorClass::TooLarge
            }
            HttpErrorKind::BadChunkSize | HttpErrorKind::MissingChunkDelimiter => {
                HttpErrorClass::BadChunk
            }
            HttpErrorKind::TruncatedHead | HttpErrorKind::TruncatedBody => {
                HttpErrorClass::Truncated
            }
            HttpErrorKind::UnsupportedTransferEncoding => HttpErrorClass::Unsupported,
        }
    }
}
