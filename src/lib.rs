//! Decode the progress streams of the Docker Engine API (and Podman's Docker-compatible API)
//! into typed events and a verdict you can trust.
//!
//! `POST /images/create` answers `200 OK` at once, then streams JSON records: split at arbitrary
//! bytes, concatenated with no delimiter by old daemons, CRLF- or LF-terminated by newer ones,
//! and reporting success or failure only inside the body. This crate is sans-IO: you feed it
//! bytes as they arrive, it hands back records, events and finally an outcome.
//!
//! ```
//! use pullstream::Decoder;
//!
//! let mut decoder = Decoder::new();
//! let mut seen = 0;
//! // A record split across two chunks is put back together; the others are lent in place.
//! for chunk in [&b"{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"a1"[..],
//!               &b"\"}\r\n{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"a1\"}\r\n"[..]] {
//!     for item in decoder.feed(chunk) {
//!         let record = item?;
//!         assert_eq!(record.message().id.unwrap(), "a1");
//!         seen += 1;
//!     }
//! }
//! assert!(decoder.finish().next().is_none()); // nothing was cut off
//! assert_eq!(seen, 2);
//! # Ok::<(), pullstream::Error>(())
//! ```
//!
//! # The house, one room per stage
//! Bytes pass through the rooms in this order:
//! ```text
//! bytes ─► http (optional HTTP/1.1 de-chunking) ─► scan (Splitter) ─► decoder (Records, carry)
//!       ─► message (borrowed fields, lazy unescape) ─► event (classification)
//!       ─► tracker (layers, aggregate, stalls) ─► outcome ─► summary
//! ```
//! [`Pipeline`] runs them all. The code depends the same way, front to back, with no cycles
//! (`tests/rooms.rs` checks it): a room uses only the rooms before it in
//!
//! `error` · `swar` · `http` · `scan` · `json` · `message` · `decoder` · `failure` · `event` ·
//! `outcome` · `tracker` · `summary` · `pipeline` · `synth`
//!
//! where `error` ([`Error`], and the [`error::ErrorSource`] and [`error::SalvagedError`] it
//! carries) and `swar` (the word-at-a-time byte classes the splitter and the record parser scan
//! with) are leaves every room may use, `json` is the JSON reader under `message`, and
//! `failure` classifies error texts for `event`. Where a stage fills in a type of a later
//! stage, that type's room comes first: the decoder parses each record's fields as it frames
//! it (`message` before `decoder`), and the tracker builds an [`Outcome`] (`outcome` before
//! `tracker`). The C ABI is a separate crate, `pullstream-capi`, and the command-line tool
//! `pullstream-cli`.
//!
//! # Zero-copy and lifetimes
//! A [`Record`] borrows either the chunk passed to [`Decoder::feed`] or, when it crossed a chunk
//! boundary, a buffer inside the decoder. Either way it lives until the decoder is next borrowed
//! mutably; the compiler rejects code that keeps one longer.
//!
//! # Untrusted input and limits
//! Every limit is finite by default: [`Config::max_record_len`] (8 MiB) and
//! [`Config::max_depth`] (128). Garbage between records is reported and skipped without being
//! buffered, so a stream of any length runs in bounded memory.
//!
//! # Errors and recovery
//! Bad bytes produce an [`Error`] with the absolute stream offset where they were found, and
//! decoding carries on at the next plausible record. [`Decoder::finish`] reports a stream cut off
//! inside a record. Docker's own error records are not [`Error`]s: they are events.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod decoder;
pub mod error;
pub mod event;
mod failure;
pub mod http;
pub mod json;
pub mod message;
pub mod outcome;
pub mod pipeline;
pub mod scan;
pub mod stable;
#[cfg(feature = "stream")]
pub mod stream;
pub mod summary;
mod swar;
#[cfg(feature = "synth")]
pub mod synth;
pub mod tracker;

pub use decoder::{Config, Decoder, DecoderStats, FramingStats, Record, Records};
pub use error::{Error, ErrorKind};
pub use event::Event;
pub use json::{JsonStr, RawJson};
pub use message::{ErrorDetail, Message, ProgressDetail};
pub use outcome::Outcome;
pub use pipeline::{Item, Pipeline};
pub use tracker::Tracker;

/// The README's Rust example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
