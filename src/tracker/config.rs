//! The tracker's limits and thresholds ([`TrackerConfig`]), the limits' notices, and the text
//! cutting that enforces them.

use super::*;

/// The default for [`TrackerConfig::max_layers`].
pub const DEFAULT_MAX_LAYERS: usize = 4096;

/// The default for [`TrackerConfig::max_segments`].
pub const DEFAULT_MAX_SEGMENTS: usize = 1024;

/// The default for [`TrackerConfig::max_id_len`]: real layer ids are 12 hex digits (Docker) or
/// 64 (Podman), with `sha256:` at most.
pub const DEFAULT_MAX_ID_LEN: usize = 256;

/// The default for [`TrackerConfig::max_text_len`]: a whole reference (a name of at most 255
/// bytes, a tag of at most 128 and a digest) is shorter than this.
pub const DEFAULT_MAX_TEXT_LEN: usize = 1024;

/// The default for [`TrackerConfig::max_error_len`]: error messages quote registry and proxy
/// responses, a few kilobytes at most in practice.
pub const DEFAULT_MAX_ERROR_LEN: usize = 64 << 10;

/// What a text cut at its limit ends with, so that it cannot pass for a whole value.
pub const CUT_MARK: &str = "\u{2026}";

/// Limits and thresholds of a [`Tracker`].
///
/// # Memory
///
/// Everything the tracker keeps is bounded by its limits, whatever the input. On a 64-bit
/// target, with `L` = [`max_layers`](TrackerConfig::max_layers), `S` =
/// [`max_segments`](TrackerConfig::max_segments), `I` = [`max_id_len`](TrackerConfig::max_id_len),
/// `T` = [`max_text_len`](TrackerConfig::max_text_len) and `E` =
/// [`max_error_len`](TrackerConfig::max_error_len), its heap holds at most
///
/// ```text
///   L × (112 + 2·I + 64)      the layer table, and the current image's id index (a second copy
///                             of each id, plus a hash slot), allocated in powers of two
/// + S × (112 + 3·T)           the images: repository, tag and digest each
/// + 11 × T + E                the stream's findings: reference, digest, image ids, push
///                             repository and tag, …, and the first error message
/// ```
///
/// bytes, plus the allocator's rounding. With the defaults (4096 layers, 1024 images, ids of
/// 256 bytes, texts of 1 KiB, an error of 64 KiB) that is under 8 MiB; `tests/hostile.rs`
/// measures it on the worst inputs. [`Tracker::pending_layers`] (and so the summary) copies at
/// most `L × I` bytes more while it is built.
///
/// Each limit, when first reached, is reported once per stream as a [`TrackerLimit`] (see
/// [`Limit`] for what happens to the input past each one).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackerConfig {
    pub(super) max_layers: usize,
    pub(super) max_segments: usize,
    pub(super) max_id_len: usize,
    pub(super) max_text_len: usize,
    pub(super) max_error_len: usize,
    pub(super) stall_transfer_ms: u64,
    pub(super) stall_extract_ms: u64,
    pub(super) min_bytes_per_sec: u64,
    pub(super) rate_window_ms: u64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            max_layers: DEFAULT_MAX_LAYERS,
            max_segments: DEFAULT_MAX_SEGMENTS,
            max_id_len: DEFAULT_MAX_ID_LEN,
            max_text_len: DEFAULT_MAX_TEXT_LEN,
            max_error_len: DEFAULT_MAX_ERROR_LEN,
            stall_transfer_ms: 30_000,
            stall_extract_ms: 120_000,
            min_bytes_per_sec: 0,
            rate_window_ms: 10_000,
        }
    }
}

impl TrackerConfig {
    /// Most layers tracked over the whole stream (default 4096). Events for further layers are
    /// counted ([`Tracker::untracked_events`]) but not tracked ([`Limit::Layers`]).
    pub fn max_layers(mut self, layers: usize) -> Self {
        self.max_layers = layers;
        self
    }

    /// Most images (segments) kept over the whole stream (default 1024; at least 1). Each
    /// `Pulling from` opens one; past the limit, further images share the last entry
    /// ([`Limit::Segments`]).
    pub fn max_segments(mut self, segments: usize) -> Self {
        self.max_segments = segments.max(1);
        self
    }

    /// Longest layer id tracked, in bytes once decoded (default 256). Events about a layer
    /// with a longer id are counted ([`Tracker::untracked_events`]) but not tracked
    /// ([`Limit::IdLength`]).
    pub fn max_id_len(mut self, bytes: usize) -> Self {
        self.max_id_len = bytes;
        self
    }

    /// Longest reference, repository, tag, digest or image id kept, in bytes once decoded
    /// (default 1024; at least 16). A longer one is kept cut, ending in [`CUT_MARK`]
    /// ([`Limit::TextLength`]).
    pub fn max_text_len(mut self, bytes: usize) -> Self {
        self.max_text_len = bytes.max(MIN_TEXT_LIMIT);
        self
    }

    /// Longest error message kept for the verdict, in bytes once decoded (default 64 KiB; at
    /// least 16). A longer one is kept cut, ending in [`CUT_MARK`] ([`Limit::ErrorLength`]).
    /// Events still carry the whole message.
    pub fn max_error_len(mut self, bytes: usize) -> Self {
        self.max_error_len = bytes.max(MIN_TEXT_LIMIT);
        self
    }

    /// The value of one limit.
    pub fn limit(&self, which: Limit) -> usize {
        match which {
            Limit::Layers => self.max_layers,
            Limit::Segments => self.max_segments,
            Limit::IdLength => self.max_id_len,
            Limit::TextLength => self.max_text_len,
            Limit::ErrorLength => self.max_error_len,
        }
    }

    /// Sets one limit, as the named setter does (for callers that hold a [`Limit`]).
    pub fn with_limit(self, which: Limit, value: usize) -> Self {
        match which {
            Limit::Layers => self.max_layers(value),
            Limit::Segments => self.max_segments(value),
            Limit::IdLength => self.max_id_len(value),
            Limit::TextLength => self.max_text_len(value),
            Limit::ErrorLength => self.max_error_len(value),
        }
    }

    /// A layer in `phase` with no progress for `ms` milliseconds is stalled
    /// (defaults: transfer 30 s, extract 120 s; 0 turns that check off).
    pub fn stall_after(mut self, phase: StallPhase, ms: u64) -> Self {
        match phase {
            StallPhase::Transfer => self.stall_transfer_ms = ms,
            StallPhase::Extract => self.stall_extract_ms = ms,
        }
        self
    }

    /// A transferring layer slower than this over a whole [`TrackerConfig::rate_window_ms`]
    /// window is stalled (default 0: off).
    pub fn min_bytes_per_sec(mut self, rate: u64) -> Self {
        self.min_bytes_per_sec = rate;
        self
    }

    /// The window for rates: the minimum-throughput check and the aggregate rate and ETA
    /// (default 10 s).
    pub fn rate_window_ms(mut self, ms: u64) -> Self {
        self.rate_window_ms = ms.max(1);
        self
    }
}

/// The smallest text limit: room for a few characters and [`CUT_MARK`].
pub(super) const MIN_TEXT_LIMIT: usize = 16;

crate::stable_enum! {
    /// One of the limits on what a [`Tracker`] keeps (see [`TrackerConfig`]). Its code is the
    /// C status of its notice (`PULLSTREAM_STATUS_<NAME>_LIMIT`, 150–159); [`Limit::ALL`] is
    /// the order their notices come in when one record reaches several.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Limit {
        /// A record named a layer beyond the configured maximum number of layers
        /// (`TrackerConfig::max_layers`); it was counted but not tracked.
        Layers = 150 => "layer",
        /// A `Pulling from` opened more images than the configured maximum
        /// (`TrackerConfig::max_segments`); further images share the last one's entry, which
        /// then describes the newest of them; their layers are still told apart per image.
        Segments = 151 => "segment",
        /// A record named a layer whose id is longer than the configured maximum
        /// (`TrackerConfig::max_id_len`); it was counted but not tracked (never cut: two layers
        /// whose long ids share a beginning must not become one).
        IdLength = 152 => "id_length",
        /// A reference, repository, tag, digest or image id was longer than the configured
        /// maximum (`TrackerConfig::max_text_len`); it is kept cut to that many bytes, ending in
        /// `…` (U+2026).
        TextLength = 153 => "text_length",
        /// The first error message was longer than the configured maximum
        /// (`TrackerConfig::max_error_len`); the outcome keeps it cut to that many bytes, ending
        /// in `…` (U+2026). Events still carry it whole.
        ErrorLength = 154 => "error_length",
    }
}

impl Limit {
    /// This limit's bit in a set of limits.
    pub(crate) fn bit(self) -> u8 {
        1 << (self.code() - Limit::Layers.code())
    }
}

/// A record reached one of the tracker's limits: what [`Tracker::observe`] reports, and the
/// notice a [`Pipeline`](crate::pipeline::Pipeline) gives once per stream and limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackerLimit {
    /// Which limit.
    pub which: Limit,
    /// Its value in force.
    pub limit: usize,
}

impl std::fmt::Display for TrackerLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let limit = self.limit;
        match self.which {
            Limit::Layers => write!(f, "more than {limit} layers; further layers are not tracked"),
            Limit::Segments => write!(
                f,
                "more than {limit} images; further images share the last one's entry"
            ),
            Limit::IdLength => write!(
                f,
                "a layer id longer than {limit} bytes; such layers are not tracked"
            ),
            Limit::TextLength => write!(
                f,
                "a reference, digest or image id longer than {limit} bytes; kept cut to {limit} bytes"
            ),
            Limit::ErrorLength => write!(
                f,
                "an error message longer than {limit} bytes; kept cut to {limit} bytes"
            ),
        }
    }
}

impl std::error::Error for TrackerLimit {}

/// `text` decoded, cut to at most `limit` bytes when longer (at a character boundary, ending in
/// [`CUT_MARK`]); the flag says whether it was cut. Reads at most about `limit` bytes of it.
pub(super) fn cut_text(text: JsonStr<'_>, limit: usize) -> (String, bool) {
    // Unescaping only shortens: a raw text within the limit decodes within it.
    if text.raw().len() <= limit {
        return (text.decode().into_owned(), false);
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.len() + c.len_utf8() > limit {
            let mut end = limit.saturating_sub(CUT_MARK.len()).min(out.len());
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
            out.push_str(CUT_MARK);
            return (out, true);
        }
        out.push(c);
    }
    (out, false)
}

/// The decoded length of `text` is more than `limit` bytes (read only as far as needed).
pub(super) fn longer_than(text: JsonStr<'_>, limit: usize) -> bool {
    if text.raw().len() <= limit {
        return false;
    }
    if !text.has_escapes() {
        return true;
    }
    let mut len = 0;
    text.chars().any(|c| {
        len += c.len_utf8();
        len > limit
    })
}
