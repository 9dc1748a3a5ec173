//! Errors for bad bytes: every one carries the absolute stream offset where it was found.
//!
//! A Docker error record (`{"errorDetail":…}`) is *not* an [`Error`]: it is data, classified by
//! [`crate::event`]. This type is reserved for bytes that are not a well-formed record.

use std::fmt;

/// Why some bytes of the stream could not be decoded as a record.
///
/// Every variant is recoverable: the decoder reports it, skips what it must, and carries on with
/// the next record (unless [`crate::Config::stop_at_first_error`] asks it to stop).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A byte outside any record that cannot start one (an HTML page from a proxy, a stray `]`,
    /// a NUL byte, a line of text). Reported once per run of such bytes; the decoder skips to
    /// the next `{`.
    NotJson {
        /// The first byte of the run.
        byte: u8,
    },
    /// A record was abandoned before it closed, because something that cannot occur inside a
    /// JSON value appeared: a raw line break inside a string, or a `{` where no value may stand
    /// (a new record after a cut-off one). Decoding resumes at that point.
    Unterminated {
        /// What showed the record was cut off.
        reason: &'static str,
    },
    /// A record grew past [`crate::Config::max_record_len`]. The rest of it is skipped without
    /// being buffered; the next record is decoded as usual.
    RecordTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// Objects and arrays inside a record were nested deeper than
    /// [`crate::Config::max_depth`]. The rest of the record is skipped.
    TooDeep {
        /// The limit in force.
        limit: u32,
    },
    /// The record is delimited but is not valid JSON (or not valid UTF-8).
    Syntax {
        /// What is wrong, in a few words.
        reason: &'static str,
    },
    /// A field the decoder reads has a JSON type it cannot accept, e.g. `"current":"12"`,
    /// `"current":1.5` or an integer beyond `i64`.
    WrongType {
        /// The JSON key, e.g. `"current"`.
        field: &'static str,
        /// What was expected, e.g. `"an integer"`.
        expected: &'static str,
    },
    /// A field the decoder reads appears twice in one object.
    DuplicateField {
        /// The JSON key.
        field: &'static str,
    },
    /// The stream ended inside a record (reported by `finish`).
    Truncated {
        /// How many bytes of the cut-off record had arrived.
        len: u64,
    },
}

/// A decoding error at a known place in the stream.
///
/// ```
/// let mut decoder = pullstream::Decoder::new();
/// let items: Vec<_> = decoder.feed(b"<html>\r\n{\"status\":\"x\"}\r\n").collect();
/// let err = items[0].as_ref().unwrap_err();
/// assert_eq!(err.offset(), 0);
/// assert_eq!(err.to_string(), "byte 0: not JSON: unexpected '<' outside a record; skipping to the next '{'");
/// assert!(items[1].is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: u64,
    /// The daemon's error report recovered from the bytes that failed (boxed: rare, and it
    /// keeps the common error small).
    salvaged: Option<Box<SalvagedError>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, offset: u64) -> Self {
        Error {
            kind,
            offset,
            salvaged: None,
        }
    }

    pub(crate) fn with_salvaged(mut self, salvaged: Option<SalvagedError>) -> Self {
        self.salvaged = salvaged.map(Box::new);
        self
    }

    /// The error report the daemon meant to send, recovered from a record that is not valid
    /// JSON but has an `error` or `errorDetail` key (see [`crate::message::salvage_error`]).
    /// Such a record is both malformed and a failure: [`crate::pipeline::Pipeline`] gives it to
    /// the tracker as the daemon's error.
    ///
    /// ```
    /// let mut decoder = pullstream::Decoder::new();
    /// let bad = b"{\"errorDetail\":{\"message\":\"no space left\xff\"},\"error\":\"no space left\xff\"}";
    /// let error = decoder.feed(bad).next().unwrap().unwrap_err();
    /// assert_eq!(error.salvaged_error().unwrap().message, "no space left\u{fffd}");
    /// ```
    pub fn salvaged_error(&self) -> Option<&SalvagedError> {
        self.salvaged.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Absolute offset, in bytes from the start of the stream, of the offending byte (for
    /// [`ErrorKind::RecordTooLarge`] and [`ErrorKind::Truncated`], of the record's `{`).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// True when the error comes from the end of the stream (a record cut off).
    pub fn is_eof(&self) -> bool {
        matches!(self.kind, ErrorKind::Truncated { .. })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::NotJson { byte } => {
                write!(f, "not JSON: unexpected ")?;
                if byte.is_ascii_graphic() {
                    write!(f, "'{}'", *byte as char)?;
                } else {
                    write!(f, "byte 0x{byte:02x}")?;
                }
                write!(f, " outside a record; skipping to the next '{{'")
            }
            ErrorKind::Unterminated { reason } => write!(f, "record cut off: {reason}"),
            ErrorKind::RecordTooLarge { limit } => {
                write!(f, "record larger than the limit of {limit} bytes; skipped")
            }
            ErrorKind::TooDeep { limit } => {
                write!(f, "record nested deeper than the limit of {limit}; skipped")
            }
            ErrorKind::Syntax { reason } => write!(f, "invalid record: {reason}"),
            ErrorKind::WrongType { field, expected } => {
                write!(f, "invalid record: \"{field}\" must be {expected}")
            }
            ErrorKind::DuplicateField { field } => {
                write!(f, "invalid record: duplicate field \"{field}\"")
            }
            ErrorKind::Truncated { len } => {
                write!(
                    f,
                    "stream ended inside a record ({len} bytes of it arrived)"
                )
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for Error {}

crate::stable_enum! {
    /// The class of an [`ErrorKind`]: which kind of bytes could not be decoded, without the
    /// details. Its codes are the C statuses 100–149 (`PULLSTREAM_STATUS_NOT_JSON`, …).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum ErrorClass {
        /// A byte outside any record that cannot start one (an HTML page, a stray byte).
        NotJson = 100 => "not_json",
        /// A record was abandoned before it closed (a raw line break inside a string, a new `{`).
        Unterminated = 101 => "unterminated",
        /// A record grew past the configured maximum record length and was skipped.
        RecordTooLarge = 102 => "record_too_large",
        /// A record nested deeper than the configured maximum depth and was skipped.
        TooDeep = 103 => "too_deep",
        /// A delimited record that is not valid JSON (or not UTF-8).
        Syntax = 104 => "syntax",
        /// A field the decoder reads had the wrong JSON type.
        WrongType = 105 => "wrong_type",
        /// A field the decoder reads appeared twice in one object.
        DuplicateField = 106 => "duplicate_field",
        /// The stream ended inside a record (reported by `finish`).
        Truncated = 107 => "truncated",
    }
}

impl ErrorKind {
    /// The class of this error, without its details.
    pub fn class(&self) -> ErrorClass {
        match self {
            ErrorKind::NotJson { .. } => ErrorClass::NotJson,
            ErrorKind::Unterminated { .. } => ErrorClass::Unterminated,
            ErrorKind::RecordTooLarge { .. } => ErrorClass::RecordTooLarge,
            ErrorKind::TooDeep { .. } => ErrorClass::TooDeep,
            ErrorKind::Syntax { .. } => ErrorClass::Syntax,
            ErrorKind::WrongType { .. } => ErrorClass::WrongType,
            ErrorKind::DuplicateField { .. } => ErrorClass::DuplicateField,
            ErrorKind::Truncated { .. } => ErrorClass::Truncated,
        }
    }
}

crate::stable_enum! {
    /// Where an error was found in the record (named in `--events` output).
    ///
    /// Kept in this leaf room, beside [`SalvagedError`] which carries one, and re-exported as
    /// [`crate::event::ErrorSource`] beside the events that carry it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum ErrorSource {
        /// `errorDetail.message` (Docker 0.6+).
        ErrorDetail = 1 => "error_detail",
        /// The legacy `error` string alone (Podman 3.1–4.1, Docker ≤ 0.5).
        Legacy = 2 => "error",
        /// A top-level `message`: the body of an HTTP error response.
        HttpBody = 3 => "http_body",
        /// A `stream` line that reports a failure (containerd-store load: `Error unpacking
        /// image …`).
        Stream = 4 => "stream",
    }
}

/// The error report recovered from a record that is not valid JSON, by
/// [`crate::message::salvage_error`]; the [`Error`] for such a record carries it
/// ([`Error::salvaged_error`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SalvagedError {
    /// The error text: `errorDetail.message` when it has any, else `error`; empty when neither
    /// has any. Decoded as Go's `encoding/json` would (escapes resolved, each byte of invalid
    /// UTF-8 and each lone surrogate escape replaced by U+FFFD), with what JSON forbids (a raw
    /// control character, an unknown escape) kept as written.
    pub message: String,
    /// `errorDetail.code`, when it is an integer that fits in `i64`.
    pub code: Option<i64>,
    /// Which key the message came from: [`ErrorSource::ErrorDetail`] or
    /// [`ErrorSource::Legacy`] (`error`); for an empty message, `ErrorDetail` when the record
    /// has an `errorDetail`.
    pub source: ErrorSource,
}
