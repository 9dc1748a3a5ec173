//! The tracker: per-layer state machines, aggregate progress, stall detection, and the verdict.
//!
//! Time is never read here: every call that cares takes `now_ms`, a monotonic clock in
//! milliseconds chosen by the caller, so the tracker is deterministic and testable.

use std::cell::Cell;
use std::collections::HashMap;

use crate::event::{BuiltImageOrigin, Event, FailureKind, PullResult, Unit};
use crate::json::JsonStr;
use crate::outcome::{
    BuildStep, Dialect, Failure, Incomplete, IncompleteReason, Operation, Outcome, Success,
    SuccessKind,
};

/// Segments with at most this many layers are searched linearly (faster than hashing).
const SMALL_SEGMENT: usize = 16;

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

crate::stable_enum! {
    /// Where a layer is in its life. Phases are ordered: a layer only moves forward, except that
    /// `Retrying` sends a transfer back to the start.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    #[non_exhaustive]
    pub enum Phase {
        /// Announced (`Pulling fs layer`, `Preparing`) but not started.
        Queued = 1 => "queued",
        /// Waiting for a transfer slot.
        Waiting = 2 => "waiting",
        /// Counting down to a retry; its byte count restarted.
        Retrying = 3 => "retrying",
        /// Bytes are moving (`Downloading`, `Pushing`, `Loading layer`).
        Transferring = 4 => "transferring",
        /// `Verifying Checksum`.
        Verifying = 5 => "verifying",
        /// `Download complete`.
        Downloaded = 6 => "downloaded",
        /// `Extracting`.
        Extracting = 7 => "extracting",
        /// Finished (the layer's completion says how).
        Done = 8 => "done",
    }
}

crate::stable_enum! {
    /// How a layer finished.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Completion {
        /// `Pull complete`.
        Pulled = 1 => "pulled",
        /// `Already exists` (pull) or `Layer already exists` / `Mounted from` (push).
        AlreadyPresent = 2 => "already_present",
        /// `Pushed`.
        Pushed = 3 => "pushed",
        /// `Loading layer` reached its total.
        Loaded = 4 => "loaded",
    }
}

/// A byte (or second) counter with an optional known total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter {
    /// Units done.
    pub current: u64,
    /// Units expected, when known.
    pub total: Option<u64>,
}

/// One layer as the tracker sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    id: Box<str>,
    segment: usize,
    phase: Phase,
    completion: Option<Completion>,
    transfer: Counter,
    extract: Counter,
    extract_unit: Unit,
    retries: u32,
    /// Every event so far was `Download complete`: a non-layer blob (containerd config or
    /// manifest, Podman's final image id).
    only_download_complete: bool,
    last_change_ms: u64,
    window_start_ms: u64,
    window_start_bytes: u64,
    stalled: bool,
}

impl Layer {
    /// The layer id as the daemon wrote it (decoded).
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Index of the image (segment) this layer belongs to.
    pub fn segment(&self) -> usize {
        self.segment
    }
    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// How it finished, once it has.
    pub fn completion(&self) -> Option<Completion> {
        self.completion
    }
    /// Bytes transferred (downloaded, pushed or loaded) and the total when known.
    pub fn transfer(&self) -> Counter {
        self.transfer
    }
    /// Extraction progress and its unit.
    pub fn extract(&self) -> (Counter, Unit) {
        (self.extract, self.extract_unit)
    }
    /// How many times the transfer was retried.
    pub fn retries(&self) -> u32 {
        self.retries
    }
    /// True while a stall is reported for this layer and no progress has been seen since.
    pub fn is_stalled(&self) -> bool {
        self.stalled
    }
    /// True for blobs that are not image layers (only ever reported `Download complete`).
    pub fn is_non_layer(&self) -> bool {
        self.only_download_complete
    }
}

/// One image within the stream: a pull of one tag (`pull --all-tags` and builds have several),
/// or the whole push/load/import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// Repository from `Pulling from` / `The push refers to repository`.
    pub repository: Option<String>,
    /// Tag from `Pulling from`'s id, or the pushed tag.
    pub tag: Option<String>,
    /// `Digest:` of this image.
    pub digest: Option<String>,
    /// `Status:` of this image, if it came.
    pub result: Option<PullResult>,
    /// Index of the first of this segment's layers in [`Snapshot::layers`].
    pub first_layer: usize,
}

crate::stable_enum! {
    /// Which thresholds apply to a stalled layer.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum StallPhase {
        /// Downloading, pushing or loading bytes (default 30 000 ms).
        Transfer = 1 => "transfer",
        /// Extracting (default 120 000 ms).
        Extract = 2 => "extract",
    }
}

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
    max_layers: usize,
    max_segments: usize,
    max_id_len: usize,
    max_text_len: usize,
    max_error_len: usize,
    stall_transfer_ms: u64,
    stall_extract_ms: u64,
    min_bytes_per_sec: u64,
    rate_window_ms: u64,
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

/// Why a layer is reported as stalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StallReason {
    /// No progress at all for this long.
    NoProgress {
        /// Milliseconds since the last change.
        idle_ms: u64,
    },
    /// Progress, but slower than the configured minimum over the window.
    TooSlow {
        /// The measured rate.
        bytes_per_sec: u64,
    },
}

crate::stable_enum! {
    /// Why a layer is stalled, without the measurement: the kind of a [`StallReason`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum StallKind {
        /// No progress at all for `idle_ms`.
        NoProgress = 1 => "no_progress",
        /// Progress slower than the configured minimum: `bytes_per_sec`.
        TooSlow = 2 => "too_slow",
    }
}

impl StallReason {
    /// The kind of this reason, without the measurement.
    pub fn kind(&self) -> StallKind {
        match self {
            StallReason::NoProgress { .. } => StallKind::NoProgress,
            StallReason::TooSlow { .. } => StallKind::TooSlow,
        }
    }

    /// For [`StallReason::NoProgress`], the milliseconds since the last change.
    pub fn idle_ms(&self) -> Option<u64> {
        match *self {
            StallReason::NoProgress { idle_ms } => Some(idle_ms),
            StallReason::TooSlow { .. } => None,
        }
    }

    /// For [`StallReason::TooSlow`], the measured rate in bytes per second.
    pub fn bytes_per_sec(&self) -> Option<u64> {
        match *self {
            StallReason::TooSlow { bytes_per_sec } => Some(bytes_per_sec),
            StallReason::NoProgress { .. } => None,
        }
    }
}

/// A stalled layer, reported once until it makes progress again.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stall {
    /// Layer id.
    pub layer: String,
    /// The phase it is stuck in.
    pub phase: Phase,
    /// Why it counts as stalled.
    pub reason: StallReason,
}

/// The smallest text limit: room for a few characters and [`CUT_MARK`].
const MIN_TEXT_LIMIT: usize = 16;

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

/// True when every byte of `text` is a lowercase hexadecimal digit, as Go's ids are written.
fn is_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `text` decoded, cut to at most `limit` bytes when longer (at a character boundary, ending in
/// [`CUT_MARK`]); the flag says whether it was cut. Reads at most about `limit` bytes of it.
fn cut_text(text: JsonStr<'_>, limit: usize) -> (String, bool) {
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
fn longer_than(text: JsonStr<'_>, limit: usize) -> bool {
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

/// Aggregate progress over all layers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Aggregate {
    /// Bytes transferred so far (current counters; a retry takes its layer back to 0).
    pub bytes_done: u64,
    /// Sum of the totals known so far.
    pub bytes_total_known: u64,
    /// Layers counted (non-layer blobs excluded).
    pub layers_known: usize,
    /// Layers finished.
    pub layers_done: usize,
    /// Layers that were already present.
    pub layers_already_present: usize,
    /// Layers done out of known, in percent; never goes backwards.
    pub percent_by_count: f64,
    /// Bytes done out of known, in percent; never goes backwards.
    pub percent_by_bytes: f64,
    /// Transfer rate over the rate window, when it can be measured.
    pub bytes_per_sec: Option<f64>,
    /// Seconds left at that rate for the bytes known, when it can be estimated.
    pub eta_secs: Option<f64>,
}

/// A read-only view of the tracker's whole state.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot<'t> {
    /// Every tracked layer, in order of first appearance.
    pub layers: &'t [Layer],
    /// The images in the stream.
    pub segments: &'t [Segment],
    /// Totals.
    pub aggregate: Aggregate,
    /// The operation detected so far.
    pub operation: Operation,
    /// The dialect detected so far.
    pub dialect: Dialect,
}

/// How the byte stream ended, as the decoder (and the transport, when it knows) saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ending {
    /// The stream ended between records.
    Clean,
    /// The stream stopped inside a record.
    CutMidRecord,
    /// The transport said the body ended before its own end (an HTTP body cut short). It
    /// outranks [`Ending::CutMidRecord`]: the framing proves the cut.
    TruncatedBody {
        /// The decoder was also inside a record when the body ended.
        inside_record: bool,
    },
}

const RATE_SAMPLES: usize = 32;

/// Vocabulary seen so far that tells daemons apart.
#[derive(Clone, Copy, Debug, Default)]
struct Markers {
    docker: bool,
    containerd: bool,
    podman: bool,
    legacy_v1: bool,
    pulling_from: bool,
}

/// What the stream said about its result so far.
#[derive(Clone, Debug, Default)]
struct Findings {
    first_error: Option<Failure>,
    /// A `Status:` line came after the last `Pulling from`.
    pull_finished: bool,
    any_downloaded: bool,
    any_pull_result: bool,
    pull_reference: Option<String>,
    push_repository: Option<String>,
    push_tag: Option<String>,
    push_finished: bool,
    digest: Option<String>,
    built_image: Option<String>,
    /// A record that only the end of a whole build writes came (see `build_finished`).
    build_finished: bool,
    /// The latest `Step N/M` (Docker) or `STEP N/M:` (Podman) a build started.
    build_step: Option<BuildStep>,
    /// A Docker `Step N` line came: the build is not a quiet (`q=1`) one, so an id line is a
    /// step's own output, never the build's result.
    docker_build_steps: bool,
    tagged: Option<String>,
    loaded_reference: Option<String>,
    loaded_id: Option<String>,
    /// A `Loaded image…` line came and no layer loaded after it (a later `Loading layer`
    /// belongs to the archive's next image).
    load_finished: bool,
    imported_id: Option<String>,
    podman_image: Option<String>,
    /// The last record could be Podman's closing record (see [`Tracker::podman_final_image`]):
    /// the index of the id it named.
    podman_closing_candidate: Option<usize>,
}

/// Follows a stream's events and reaches a verdict.
///
/// ```
/// use pullstream::{Decoder, event::Event, tracker::{Ending, Tracker}};
/// let stream = concat!(
///     r#"{"status":"Pulling from library/alpine","id":"latest"}"#, "\r\n",
///     r#"{"status":"Pulling fs layer","progressDetail":{},"id":"aaaaaaaaaaaa"}"#, "\r\n",
///     r#"{"status":"Downloading","progressDetail":{"current":50,"total":100},"id":"aaaaaaaaaaaa"}"#, "\r\n",
///     r#"{"status":"Pull complete","progressDetail":{},"id":"aaaaaaaaaaaa"}"#, "\r\n",
///     r#"{"status":"Digest: sha256:0123"}"#, "\r\n",
///     r#"{"status":"Status: Downloaded newer image for alpine:latest"}"#, "\r\n",
/// );
/// let mut decoder = Decoder::new();
/// let mut tracker = Tracker::new();
/// for record in decoder.feed(stream.as_bytes()) {
///     let record = record?;
///     let _ = tracker.observe(&Event::classify(record.message()), 0);
/// }
/// match tracker.outcome(Ending::Clean) {
///     pullstream::Outcome::Success(success) => {
///         assert_eq!(success.reference.as_deref(), Some("alpine:latest"));
///         assert_eq!(success.digest.as_deref(), Some("sha256:0123"));
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), pullstream::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Tracker {
    config: TrackerConfig,
    layers: Vec<Layer>,
    segments: Vec<Segment>,
    /// Where the current segment's layers begin in `layers`.
    segment_start: usize,
    /// The current segment's layers by id, used once it outgrows a linear scan.
    segment_index: HashMap<Box<str>, usize>,
    last_hit: usize,
    events: u64,
    untracked_events: u64,
    operation: Operation,
    operation_is_strong: bool,
    markers: Markers,
    found: Findings,
    percent_by_count: Cell<f64>,
    percent_by_bytes: Cell<f64>,
    /// Sum of positive byte deltas: never decreases, so rates survive retries.
    moved_bytes: u64,
    /// The latest `now_ms` seen.
    last_ms: u64,
    samples: [(u64, u64); RATE_SAMPLES],
    sample_count: usize,
    sample_next: usize,
    /// Every limit reached so far, as [`Limit::bit`]s.
    limits_reached: u8,
    /// The first limit the event being observed reached.
    event_limit: Option<TrackerLimit>,
}

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracker {
    /// A tracker with the default [`TrackerConfig`].
    pub fn new() -> Self {
        Self::with_config(TrackerConfig::default())
    }

    /// A tracker with the given limits and thresholds.
    pub fn with_config(config: TrackerConfig) -> Self {
        Tracker {
            config,
            layers: Vec::new(),
            segments: vec![Segment::default()],
            segment_start: 0,
            segment_index: HashMap::new(),
            last_hit: 0,
            events: 0,
            untracked_events: 0,
            operation: Operation::Unknown,
            operation_is_strong: false,
            markers: Markers::default(),
            found: Findings::default(),
            percent_by_count: Cell::new(0.0),
            percent_by_bytes: Cell::new(0.0),
            moved_bytes: 0,
            last_ms: 0,
            samples: [(0, 0); RATE_SAMPLES],
            sample_count: 0,
            sample_next: 0,
            limits_reached: 0,
            event_limit: None,
        }
    }

    /// The limits and thresholds in force.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Every limit reached so far (by [`Tracker::observe`] or [`Tracker::expect_layer`]), in
    /// [`Limit::ALL`] order.
    pub fn limits_reached(&self) -> impl Iterator<Item = TrackerLimit> + '_ {
        Limit::ALL
            .into_iter()
            .filter(|which| self.limits_reached & which.bit() != 0)
            .map(|which| self.notice(which))
    }

    /// The notice for one limit, with its value in force.
    pub fn notice(&self, which: Limit) -> TrackerLimit {
        TrackerLimit {
            which,
            limit: self.config.limit(which),
        }
    }

    /// Notes that the current event reached `which`, and returns its notice.
    fn reach(&mut self, which: Limit) -> TrackerLimit {
        let notice = self.notice(which);
        self.limits_reached |= which.bit();
        self.event_limit.get_or_insert(notice);
        notice
    }

    /// `text` decoded, cut to the text limit.
    fn keep_text(&mut self, text: JsonStr<'_>) -> String {
        let (text, cut) = cut_text(text, self.config.max_text_len);
        if cut {
            self.reach(Limit::TextLength);
        }
        text
    }

    /// Events observed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Events about layers that were not tracked: past the layer limit, or with an id longer
    /// than the id limit.
    pub fn untracked_events(&self) -> u64 {
        self.untracked_events
    }

    /// Declares a layer and its size before the daemon mentions it (for example from a manifest
    /// the caller already fetched), so totals and percentages are right from the start.
    ///
    /// # Errors
    /// [`TrackerLimit`] when the layer limit is reached or the id is longer than the id limit.
    pub fn expect_layer(&mut self, id: &str, size: u64) -> Result<(), TrackerLimit> {
        self.event_limit = None;
        let index = self.layer_index(JsonStr::plain(id), 0)?;
        let layer = &mut self.layers[index];
        layer.transfer.total = Some(size);
        layer.only_download_complete = false;
        Ok(())
    }

    /// Updates the state with one event. `now_ms` is the caller's monotonic clock.
    ///
    /// # Errors
    /// [`TrackerLimit`] when the event reached one of the limits (the first, when it reached
    /// several): the event was still applied as far as the limit allows (see [`Limit`]).
    pub fn observe(&mut self, event: &Event<'_>, now_ms: u64) -> Result<(), TrackerLimit> {
        self.event_limit = None;
        self.events += 1;
        self.found.podman_closing_candidate = None;
        self.note_operation_and_dialect(event);
        let result = match *event {
            Event::Error(error) => {
                if self.found.first_error.is_none() {
                    let (message, cut) = cut_text(error.message, self.config.max_error_len);
                    if cut {
                        self.reach(Limit::ErrorLength);
                    }
                    self.found.first_error = Some(Failure {
                        kind: error.kind,
                        message,
                        code: error.code,
                    });
                }
                Ok(())
            }
            Event::PullingFrom { repository, tag } => {
                self.start_segment_if_used();
                let repository = self.keep_text(repository);
                let tag = tag.map(|t| self.keep_text(t));
                let segment = self.current_segment();
                segment.repository = Some(repository);
                segment.tag = tag;
                self.found.pull_finished = false;
                Ok(())
            }
            // Docker 1.6-1.8 ended a push with `Digest: …` (moby `graph/push_v2.go` of those
            // releases); later pushes write `<tag>: digest: …` instead.
            Event::Digest { digest } if self.operation == Operation::Push => {
                self.finish_push(None, Some(digest));
                Ok(())
            }
            Event::Digest { digest } => {
                let digest = self.keep_text(digest);
                self.current_segment().digest = Some(digest.clone());
                self.found.digest = Some(digest);
                Ok(())
            }
            Event::PullFinished { result, reference } => {
                self.current_segment().result = Some(result);
                self.found.pull_finished = true;
                self.found.any_pull_result = true;
                self.found.any_downloaded |= result == PullResult::Downloaded;
                self.found.pull_reference = Some(self.keep_text(reference));
                Ok(())
            }
            Event::PushRefersTo { repository } => {
                let repository = self.keep_text(repository);
                self.current_segment().repository = Some(repository.clone());
                self.found.push_repository = Some(repository);
                Ok(())
            }
            Event::TagDigest { tag, digest, .. } => {
                self.finish_push(Some(tag), Some(digest));
                Ok(())
            }
            Event::PushResult { tag, digest, .. } => {
                self.finish_push(tag, digest);
                Ok(())
            }
            Event::BuiltImage { id, origin } => {
                let (is_result, finishes) = self.build_result(id, origin);
                // The full `sha256:` id from aux (the last stage's wins) beats the short id
                // of `Successfully built`, which names the same image.
                if is_result && (id.starts_with("sha256:") || self.found.built_image.is_none()) {
                    self.found.built_image = Some(self.keep_text(id));
                }
                self.found.build_finished |= finishes;
                Ok(())
            }
            Event::BuildOutput { text } => {
                if let Some(step) = BuildStep::parse(text.raw()) {
                    self.found.build_step = Some(step);
                    self.found.docker_build_steps |= text.starts_with("Step ");
                }
                Ok(())
            }
            Event::Tagged { reference } => {
                self.found.tagged = Some(self.keep_text(reference));
                Ok(())
            }
            Event::LoadedImage { reference } => {
                self.found.loaded_reference = Some(self.keep_text(reference));
                self.finish_loading();
                Ok(())
            }
            Event::LoadedImageId { id } => {
                self.found.loaded_id = Some(self.keep_text(id));
                self.finish_loading();
                Ok(())
            }
            Event::ImportedImage { id } => {
                self.found.imported_id = Some(self.keep_text(id));
                Ok(())
            }
            Event::PodmanPulledImage { id } => {
                self.found.podman_image = Some(self.keep_text(id));
                Ok(())
            }
            _ => match event.layer_id() {
                Some(id) => {
                    self.reopen_if_more_follows(event);
                    self.observe_layer(event, id, now_ms)
                }
                None => Ok(()),
            },
        };
        self.sample(now_ms);
        // A limit the event reached also counts when the event was otherwise applied.
        match self.event_limit.take() {
            Some(limit) if result.is_ok() => Err(limit),
            _ => result,
        }
    }

    fn note_operation_and_dialect(&mut self, event: &Event<'_>) {
        use Event as E;
        let (operation, strong) = match event {
            E::PullingFrom { .. }
            | E::PullingFsLayer { .. }
            | E::VerifyingChecksum { .. }
            | E::Extracting { .. }
            | E::PullComplete { .. }
            | E::Digest { .. }
            | E::PullFinished { .. }
            | E::PullingRepository { .. }
            | E::LegacyNotice { .. }
            | E::PodmanPulledImage { .. }
            | E::Downloading { layer: Some(_), .. } => (Operation::Pull, true),
            // Both pulls and (containerd) pushes use these.
            E::Waiting { .. }
            | E::AlreadyExists { .. }
            | E::DownloadComplete { .. }
            | E::Retrying { .. } => (Operation::Pull, false),
            E::PushRefersTo { .. }
            | E::Preparing { .. }
            | E::Pushing { .. }
            | E::Pushed { .. }
            | E::LayerAlreadyExists { .. }
            | E::MountedFrom { .. }
            | E::TagDigest { .. }
            | E::PushResult { .. } => (Operation::Push, true),
            E::DownloadingFrom { .. } | E::Importing { .. } | E::ImportedImage { .. } => {
                (Operation::Import, true)
            }
            E::LoadingLayer { .. } | E::LoadedImage { .. } | E::LoadedImageId { .. } => {
                (Operation::Load, true)
            }
            E::BuiltImage { .. } | E::Tagged { .. } | E::BuildKitTrace { .. } => {
                (Operation::Build, true)
            }
            // Red Hat's docker wrote `Trying to pull repository …` as a `stream` record before
            // its pull records (atomic-reactor's captured logs show it).
            E::BuildOutput { text } if text.starts_with("Trying to pull repository ") => {
                (Operation::Pull, false)
            }
            // A build announces its steps; any other text is only a hint, because other
            // operations write `stream` lines too.
            E::BuildOutput { text } => (
                Operation::Build,
                text.starts_with("Step ") || text.starts_with("STEP "),
            ),
            // A classic build's `ADD <url>`; pulls always name the layer.
            E::Downloading { layer: None, .. } => (Operation::Build, false),
            // Only build steps fail with an exit code.
            E::Error(error) if error.kind == FailureKind::BuildFailed => (Operation::Build, false),
            _ => (Operation::Unknown, false),
        };
        // The first signal decides, except that a pull can turn out to be a build's base-image
        // pull, and a weak guess gives way to any strong signal.
        let replace = match (self.operation, self.operation_is_strong) {
            (Operation::Unknown, _) => operation != Operation::Unknown,
            (_, false) => strong,
            (Operation::Pull, true) => strong && operation == Operation::Build,
            _ => false,
        };
        if replace {
            self.operation = operation;
            self.operation_is_strong = strong;
        }

        let markers = &mut self.markers;
        match event {
            E::Downloading { progress, .. }
            | E::Extracting { progress, .. }
            | E::Pushing { progress, .. }
            | E::DownloadComplete { progress, .. }
            | E::AlreadyExists { progress, .. }
            | E::PullComplete { progress, .. }
                if progress.hidden || progress.unit == Unit::Seconds =>
            {
                markers.containerd = true
            }
            E::PullingFrom { .. } => {
                markers.docker = true;
                markers.pulling_from = true;
            }
            E::Digest { .. }
            | E::PullFinished { .. }
            | E::Waiting { .. }
            | E::VerifyingChecksum { .. }
            | E::Extracting { .. }
            | E::PushRefersTo { .. }
            | E::Preparing { .. }
            | E::LoadingLayer { .. }
            | E::LoadedImageId { .. }
            | E::BuildKitTrace { .. }
            | E::ImportedImage { .. }
            | E::DownloadingFrom { .. } => markers.docker = true,
            E::PullingRepository { .. } | E::LegacyNotice { .. } => {
                markers.docker = true;
                markers.legacy_v1 = true;
            }
            E::PodmanPulledImage { .. } => markers.podman = true,
            E::BuildOutput { text } => {
                if text.starts_with("STEP ") {
                    markers.podman = true;
                } else if text.starts_with("Step ") {
                    markers.docker = true;
                }
            }
            _ => {}
        }
    }

    fn current_segment(&mut self) -> &mut Segment {
        let last = self.segments.len() - 1;
        &mut self.segments[last]
    }

    /// A `Pulling from` opens a new image, unless the current one has not been used yet.
    fn start_segment_if_used(&mut self) {
        let used = self.layers.len() > self.segment_start
            || self
                .segments
                .last()
                .is_some_and(|s| *s != Segment::default());
        if used {
            // The new image's layers are told apart from earlier images' even past the
            // segment limit.
            self.segment_start = self.layers.len();
            self.segment_index.clear();
            if self.segments.len() >= self.config.max_segments {
                // The last entry describes the newest image of those that share it.
                self.reach(Limit::Segments);
                let last = self.current_segment();
                *last = Segment {
                    first_layer: last.first_layer,
                    ..Segment::default()
                };
                return;
            }
            self.segments.push(Segment {
                first_layer: self.layers.len(),
                ..Segment::default()
            });
        }
    }

    fn finish_push(&mut self, tag: Option<JsonStr<'_>>, digest: Option<JsonStr<'_>>) {
        if let Some(tag) = tag {
            let tag = self.keep_text(tag);
            self.current_segment().tag = Some(tag.clone());
            self.found.push_tag = Some(tag);
        }
        if let Some(digest) = digest {
            let digest = self.keep_text(digest);
            self.current_segment().digest = Some(digest.clone());
            self.found.digest = Some(digest);
        }
        self.found.push_finished = true;
        // The daemon puts the manifest only after every layer of the tag was pushed (moby
        // `distribution/push_v2.go`, `daemon/containerd/image_push.go`, and the v1 pusher): a
        // layer still open here lost its last record, it is not still being pushed.
        for layer in &mut self.layers[self.segment_start..] {
            if layer.phase < Phase::Done {
                layer.phase = Phase::Done;
                layer.completion = Some(Completion::Pushed);
            }
        }
    }

    /// `Loaded image` means every layer read from the archive is in.
    fn finish_loading(&mut self) {
        self.found.load_finished = true;
        for layer in &mut self.layers[self.segment_start..] {
            if layer.phase == Phase::Transferring {
                layer.phase = Phase::Done;
                layer.completion = Some(Completion::Loaded);
            }
        }
    }

    /// A layer event after a record that ends one image of a push or a load means the daemon
    /// went on with another one: the operation is unfinished until that one's own closing
    /// record. moby `distribution/push_v2.go` pushes tag after tag (layers, then
    /// `<tag>: digest:`), and `image/tarexport/load.go` loads image after image (layers, then
    /// `Loaded image…`); the v1 and Docker 1.6–1.8 pushers go tag by tag likewise.
    fn reopen_if_more_follows(&mut self, event: &Event<'_>) {
        match (self.operation, event) {
            (Operation::Push, _) => self.found.push_finished = false,
            (Operation::Load, Event::LoadingLayer { .. }) => self.found.load_finished = false,
            _ => {}
        }
    }

    /// Whether a built-image record names the build's result, and whether it says that the
    /// whole build finished. Build steps print what they like (pip writes `Successfully built
    /// <package>`, a `RUN` may print a digest), so a record counts only in the form the daemon
    /// writes it and only where no step is still to come:
    ///
    /// - `Successfully built <id>`: moby `api/server/backend/build/backend.go` writes it once
    ///   `Build` returned, with the 12-digit short id (`stringid.TruncateID`); Podman's compat
    ///   handler writes the same 12 digits.
    /// - an id line (`sha256:<64 hex>` or 64 hex): Docker writes it only for a quiet build
    ///   (`build_routes.go` `postBuild`), whose steps are never shown, so it never counts after
    ///   a Docker `Step` line; Podman's builder writes it at the end, after its last `STEP`.
    /// - a stage's aux id: the classic builder writes one per stage; it is the result only
    ///   after the last `Step M/M` started.
    /// - BuildKit's `moby.image.id` aux: always the result.
    fn build_result(&self, id: JsonStr<'_>, origin: BuiltImageOrigin) -> (bool, bool) {
        let step = self.found.build_step;
        // No step is still to come: none was announced, its count is unknown (Docker before
        // 1.13 wrote `Step N :`), or the last one started.
        let steps_done = step.is_none_or(|s| s.total.is_none_or(|total| s.current >= total));
        let last_step_started = step.is_some_and(|s| s.total == Some(s.current));
        match origin {
            BuiltImageOrigin::StageAux => (true, last_step_started),
            BuiltImageOrigin::BuildResultAux => (true, true),
            BuiltImageOrigin::SuccessfullyBuilt => {
                let counts = steps_done && id.raw().len() == 12 && is_hex(id.raw());
                (counts, counts)
            }
            BuiltImageOrigin::IdLine => {
                let counts = steps_done && !self.found.docker_build_steps;
                (counts, counts)
            }
        }
    }

    /// Finds the layer in the current segment, creating it on its first event of any kind
    /// (the containerd store sends no `Pulling fs layer`).
    fn layer_index(&mut self, id: JsonStr<'_>, now_ms: u64) -> Result<usize, TrackerLimit> {
        // Consecutive records usually name the same layer.
        if let Some(layer) = self.layers.get(self.last_hit) {
            if self.last_hit >= self.segment_start && id == *layer.id {
                return Ok(self.last_hit);
            }
        }
        // An id this long was never stored: refused before it costs a lookup (or a hash of
        // all its bytes).
        if longer_than(id, self.config.max_id_len) {
            return Err(self.reach(Limit::IdLength));
        }
        let segment = &self.layers[self.segment_start..];
        let found = if segment.len() <= SMALL_SEGMENT {
            segment
                .iter()
                .rposition(|layer| id == *layer.id)
                .map(|k| self.segment_start + k)
        } else {
            // Images with many layers (or a hostile stream of new ids) would make a linear
            // scan cost every record a walk of the whole table.
            self.segment_index.get(&*id.decode()).copied()
        };
        if let Some(index) = found {
            self.last_hit = index;
            return Ok(index);
        }
        if self.layers.len() >= self.config.max_layers {
            return Err(self.reach(Limit::Layers));
        }
        self.layers.push(Layer {
            id: id.decode().into(),
            segment: self.segments.len() - 1,
            phase: Phase::Queued,
            completion: None,
            transfer: Counter::default(),
            extract: Counter::default(),
            extract_unit: Unit::Bytes,
            retries: 0,
            only_download_complete: true,
            last_change_ms: now_ms,
            window_start_ms: now_ms,
            window_start_bytes: 0,
            stalled: false,
        });
        self.last_hit = self.layers.len() - 1;
        let id = self.layers[self.last_hit].id.clone();
        self.segment_index.insert(id, self.last_hit);
        Ok(self.last_hit)
    }

    fn observe_layer(
        &mut self,
        event: &Event<'_>,
        id: JsonStr<'_>,
        now_ms: u64,
    ) -> Result<(), TrackerLimit> {
        let known = self.layers.len();
        let index = match self.layer_index(id, now_ms) {
            Ok(index) => index,
            Err(limit) => {
                self.untracked_events += 1;
                return Err(limit);
            }
        };
        let is_new = self.layers.len() > known;
        let layer = &mut self.layers[index];
        let before = (layer.phase, layer.transfer.current, layer.extract.current);
        // Podman's closing record names the image id, which is the config blob's id: it is
        // either an id never seen (nothing was copied, or a schema1 image) or a second ending
        // for a blob that already ended. A blob's own first ending never qualifies, because
        // containers/image announces every copied blob (`Pulling fs layer`) before it ends it.
        let closing_candidate = match *event {
            Event::DownloadComplete { progress, .. } | Event::PullComplete { progress, .. } => {
                progress.current.is_none()
                    && progress.total.is_none()
                    && (is_new || layer.phase >= Phase::Downloaded)
            }
            _ => false,
        };
        let mut moved = 0;
        let advance = |layer: &mut Layer, phase: Phase| {
            // Phases only move forward; a late duplicate status changes nothing.
            if phase > layer.phase {
                layer.phase = phase;
            }
        };
        if !matches!(event, Event::DownloadComplete { .. }) {
            layer.only_download_complete = false;
        }
        match *event {
            Event::PullingFsLayer { .. } | Event::Preparing { .. } => advance(layer, Phase::Queued),
            Event::Waiting { .. } => advance(layer, Phase::Waiting),
            // A retry restarts the transfer from zero.
            Event::Retrying { .. } if layer.phase < Phase::Done => {
                layer.phase = Phase::Retrying;
                layer.transfer.current = 0;
                layer.retries = layer.retries.saturating_add(1);
            }
            Event::Downloading { progress, .. }
            | Event::Pushing { progress, .. }
            | Event::LoadingLayer { progress, .. } => {
                if layer.phase == Phase::Retrying {
                    layer.phase = Phase::Transferring;
                }
                advance(layer, Phase::Transferring);
                if progress.unit == Unit::Bytes && !progress.hidden {
                    if let Some(current) = progress.current {
                        moved = current.saturating_sub(layer.transfer.current);
                        layer.transfer.current = current;
                    }
                    if progress.total.is_some() {
                        layer.transfer.total = progress.total;
                    }
                }
                if let (Event::LoadingLayer { .. }, Some(total)) = (event, layer.transfer.total) {
                    if layer.transfer.current >= total {
                        layer.phase = Phase::Done;
                        layer.completion = Some(Completion::Loaded);
                    }
                }
            }
            Event::VerifyingChecksum { .. } => advance(layer, Phase::Verifying),
            Event::DownloadComplete { .. } => {
                advance(layer, Phase::Downloaded);
                // Download complete with no byte events still completes the download.
                if let Some(total) = layer.transfer.total {
                    moved = total.saturating_sub(layer.transfer.current);
                    layer.transfer.current = layer.transfer.current.max(total);
                }
            }
            Event::Extracting { progress, .. } => {
                advance(layer, Phase::Extracting);
                layer.extract_unit = progress.unit;
                if let Some(current) = progress.current {
                    layer.extract.current = current;
                }
                if progress.total.is_some() {
                    layer.extract.total = progress.total;
                }
            }
            Event::PullComplete { .. } => {
                layer.phase = Phase::Done;
                layer.completion.get_or_insert(Completion::Pulled);
            }
            Event::Pushed { .. } => {
                layer.phase = Phase::Done;
                layer.completion.get_or_insert(Completion::Pushed);
            }
            Event::AlreadyExists { .. }
            | Event::LayerAlreadyExists { .. }
            | Event::MountedFrom { .. } => {
                layer.phase = Phase::Done;
                layer.completion.get_or_insert(Completion::AlreadyPresent);
            }
            _ => {}
        }
        if (layer.phase, layer.transfer.current, layer.extract.current) != before {
            layer.last_change_ms = now_ms;
            layer.stalled = false;
        }
        self.moved_bytes = self.moved_bytes.saturating_add(moved);
        if closing_candidate {
            self.found.podman_closing_candidate = Some(index);
        }
        Ok(())
    }

    /// Records a rate sample at most every 100 ms of the caller's clock; the newest state is
    /// always `(last_ms, moved_bytes)`.
    fn sample(&mut self, now_ms: u64) {
        self.last_ms = self.last_ms.max(now_ms);
        if self.sample_count > 0 {
            let last = (self.sample_next + RATE_SAMPLES - 1) % RATE_SAMPLES;
            if now_ms.saturating_sub(self.samples[last].0) < 100 {
                return;
            }
        }
        self.samples[self.sample_next] = (now_ms, self.moved_bytes);
        self.sample_next = (self.sample_next + 1) % RATE_SAMPLES;
        self.sample_count = (self.sample_count + 1).min(RATE_SAMPLES);
    }

    /// Transfer rate over the rate window: from the oldest sample inside the window to now.
    fn rate(&self) -> Option<f64> {
        if self.sample_count == 0 {
            return None;
        }
        let newest = (self.last_ms, self.moved_bytes);
        let oldest_index = (self.sample_next + RATE_SAMPLES - self.sample_count) % RATE_SAMPLES;
        let mut oldest = self.samples[(self.sample_next + RATE_SAMPLES - 1) % RATE_SAMPLES];
        for k in 0..self.sample_count {
            let sample = self.samples[(oldest_index + k) % RATE_SAMPLES];
            if newest.0.saturating_sub(sample.0) <= self.config.rate_window_ms {
                oldest = sample;
                break;
            }
        }
        let elapsed_ms = newest.0.saturating_sub(oldest.0);
        if elapsed_ms == 0 {
            return None;
        }
        let bytes = newest.1.saturating_sub(oldest.1);
        Some(bytes as f64 * 1000.0 / elapsed_ms as f64)
    }

    /// Whether `Download complete` is a layer's last phase in this segment: on Podman, the
    /// legacy v1 registry, and containerd stores that do not report extraction (Docker 24–27).
    fn download_is_final(&self, segment: usize) -> bool {
        match self.dialect() {
            Dialect::Podman => true,
            _ if self.markers.legacy_v1 => true,
            Dialect::DockerContainerd => !self.layers.iter().any(|layer| {
                layer.segment == segment
                    && (layer.phase == Phase::Extracting
                        || layer.completion == Some(Completion::Pulled))
            }),
            _ => false,
        }
    }

    /// The id of Podman's closing record, when the stream ended on one.
    ///
    /// Podman's compat pull handler (containers/podman `pkg/api/handlers/compat/images.go`,
    /// 3.x-4.x; `pkg/api/handlers/utils/images.go` `CompatPull`, 4.6+) relays containers/image's
    /// progress events over an unbuffered channel and, once the pull returned, writes one more
    /// record: `Download complete` (`Pull complete` in 3.1, and for libpod requests in
    /// 3.2-4.5) with the first 12 digits of the image id, which is the config digest.
    fn podman_final_image(&self) -> Option<usize> {
        (self.dialect() == Dialect::Podman && self.operation == Operation::Pull)
            .then_some(self.found.podman_closing_candidate)
            .flatten()
    }

    fn counts_as_layer(&self, index: usize) -> bool {
        !self.layers[index].only_download_complete && self.podman_final_image() != Some(index)
    }

    fn is_complete(&self, index: usize) -> bool {
        let layer = &self.layers[index];
        layer.phase == Phase::Done
            || (layer.phase >= Phase::Downloaded && self.download_is_final(layer.segment))
    }

    /// The dialect, from the vocabulary seen so far.
    pub fn dialect(&self) -> Dialect {
        let m = self.markers;
        if m.containerd {
            Dialect::DockerContainerd
        } else if m.docker {
            Dialect::Docker
        } else if m.podman || (self.operation == Operation::Pull && !self.layers.is_empty()) {
            // Podman's compat pull has layer statuses but none of Docker's framing lines.
            Dialect::Podman
        } else {
            Dialect::Unknown
        }
    }

    /// The operation, from the vocabulary seen so far.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// How far a build got: the latest `Step N/M` (Docker's classic builder) or `STEP N/M:`
    /// (Podman) it started. `None` for other operations and for BuildKit, whose steps are
    /// inside its traces.
    pub fn build_step(&self) -> Option<BuildStep> {
        (self.operation == Operation::Build)
            .then_some(self.found.build_step)
            .flatten()
    }

    /// Aggregate progress. The percentages never go backwards from one read to the next
    /// (through this method or [`Tracker::snapshot`]), even when a retry or a newly announced
    /// layer makes the raw ratio drop.
    pub fn aggregate(&self) -> Aggregate {
        let mut aggregate = self.raw_aggregate();
        // High-water marks, kept in cells so that reading stays `&self`: they only ever rise,
        // and nothing else depends on them.
        let by_count = self.percent_by_count.get().max(aggregate.percent_by_count);
        let by_bytes = self.percent_by_bytes.get().max(aggregate.percent_by_bytes);
        self.percent_by_count.set(by_count);
        self.percent_by_bytes.set(by_bytes);
        aggregate.percent_by_count = by_count;
        aggregate.percent_by_bytes = by_bytes;
        aggregate
    }

    fn raw_aggregate(&self) -> Aggregate {
        let mut aggregate = Aggregate::default();
        for (index, layer) in self.layers.iter().enumerate() {
            if !self.counts_as_layer(index) {
                continue;
            }
            aggregate.layers_known += 1;
            let complete = self.is_complete(index);
            if complete {
                aggregate.layers_done += 1;
            }
            if layer.completion == Some(Completion::AlreadyPresent) {
                aggregate.layers_already_present += 1;
                continue;
            }
            let mut done = layer.transfer.current;
            if let Some(total) = layer.transfer.total {
                if complete {
                    done = done.max(total);
                }
                aggregate.bytes_total_known = aggregate.bytes_total_known.saturating_add(total);
                done = done.min(total);
            }
            aggregate.bytes_done = aggregate.bytes_done.saturating_add(done);
        }
        if aggregate.layers_known > 0 {
            aggregate.percent_by_count =
                aggregate.layers_done as f64 * 100.0 / aggregate.layers_known as f64;
        }
        if aggregate.bytes_total_known > 0 {
            aggregate.percent_by_bytes = (aggregate.bytes_done as f64 * 100.0
                / aggregate.bytes_total_known as f64)
                .min(100.0);
        }
        aggregate.bytes_per_sec = self.rate();
        if let Some(rate) = aggregate.bytes_per_sec.filter(|&r| r > 0.0) {
            let left = aggregate
                .bytes_total_known
                .saturating_sub(aggregate.bytes_done);
            aggregate.eta_secs = Some(left as f64 / rate);
        }
        aggregate
    }

    /// A read-only view of the whole state. Reading changes nothing but the percentages'
    /// high-water marks (see [`Tracker::aggregate`]).
    pub fn snapshot(&self) -> Snapshot<'_> {
        let aggregate = self.aggregate();
        Snapshot {
            layers: &self.layers,
            segments: &self.segments,
            aggregate,
            operation: self.operation,
            dialect: self.dialect(),
        }
    }

    /// Layers counted as image layers that have not finished, in order of first appearance.
    pub fn pending_layers(&self) -> Vec<String> {
        (0..self.layers.len())
            .filter(|&i| self.counts_as_layer(i) && !self.is_complete(i))
            .map(|i| self.layers[i].id.to_string())
            .collect()
    }

    /// Checks every active layer against the stall thresholds at `now_ms` and returns the
    /// layers newly found stalled. A layer is reported once, until it makes progress again.
    /// Queued and waiting layers are never stalled. The tracker cancels nothing.
    pub fn poll_stalls(&mut self, now_ms: u64) -> Vec<Stall> {
        let config = &self.config;
        let mut stalls = Vec::new();
        for layer in &mut self.layers {
            let threshold = match layer.phase {
                Phase::Transferring => config.stall_transfer_ms,
                Phase::Extracting => config.stall_extract_ms,
                _ => continue,
            };
            let idle_ms = now_ms.saturating_sub(layer.last_change_ms);
            let mut reason = None;
            if threshold > 0 && idle_ms >= threshold {
                reason = Some(StallReason::NoProgress { idle_ms });
            } else if layer.phase == Phase::Transferring && config.min_bytes_per_sec > 0 {
                let window = now_ms.saturating_sub(layer.window_start_ms);
                if window >= config.rate_window_ms {
                    let bytes = layer
                        .transfer
                        .current
                        .saturating_sub(layer.window_start_bytes);
                    let rate = bytes.saturating_mul(1000) / window.max(1);
                    if rate < config.min_bytes_per_sec {
                        reason = Some(StallReason::TooSlow {
                            bytes_per_sec: rate,
                        });
                    }
                    layer.window_start_ms = now_ms;
                    layer.window_start_bytes = layer.transfer.current;
                }
            }
            if let Some(reason) = reason {
                if !layer.stalled {
                    layer.stalled = true;
                    stalls.push(Stall {
                        layer: layer.id.to_string(),
                        phase: layer.phase,
                        reason,
                    });
                }
            }
        }
        stalls
    }

    /// The verdict, given how the byte stream ended. Can be asked at any time; it does not
    /// change the state.
    pub fn outcome(&self, ending: Ending) -> Outcome {
        if let Some(failure) = &self.found.first_error {
            return Outcome::Failed(failure.clone());
        }
        let incomplete = |reason| {
            Outcome::Incomplete(Incomplete {
                reason,
                pending_layers: self.pending_layers(),
                build_step: self.build_step(),
            })
        };
        match ending {
            Ending::CutMidRecord => return incomplete(IncompleteReason::CutMidRecord),
            Ending::TruncatedBody { .. } => return incomplete(IncompleteReason::TruncatedBody),
            Ending::Clean => {}
        }
        if self.events == 0 {
            return incomplete(IncompleteReason::EmptyStream);
        }
        match self.success() {
            Some(success) => Outcome::Success(success),
            None => incomplete(IncompleteReason::NoTerminalStatus),
        }
    }

    fn success(&self) -> Option<Success> {
        let (finished, details) = self.result_details();
        finished.then_some(details)
    }

    /// What the stream has said about the image so far (reference, digest, image id), whatever
    /// the outcome: a failed push may still have named its digest.
    pub fn image_details(&self) -> Success {
        self.result_details().1
    }

    /// Whether the operation reported that it finished, and what it reported.
    fn result_details(&self) -> (bool, Success) {
        let found = &self.found;
        let mut details = Success {
            kind: SuccessKind::Downloaded,
            reference: None,
            digest: found.digest.clone(),
            image_id: None,
        };
        let finished = match self.operation {
            Operation::Pull => {
                details.reference = found.pull_reference.clone();
                if found.any_pull_result && !found.any_downloaded {
                    details.kind = SuccessKind::UpToDate;
                }
                if let Some(id) = &found.podman_image {
                    details.image_id = Some(id.clone());
                    true
                } else if self.markers.pulling_from || self.markers.legacy_v1 {
                    found.pull_finished
                } else if found.any_pull_result {
                    true
                } else {
                    match self.dialect() {
                        // Docker 24's containerd store writes no closing record at all (moby
                        // `daemon/containerd/image_pull.go` of 24.0): its end cannot be told
                        // from a cut, so it is never called finished.
                        Dialect::Podman => match self.podman_final_image() {
                            Some(image) => {
                                details.image_id = Some(self.layers[image].id.to_string());
                                self.pending_layers().is_empty()
                            }
                            None => false,
                        },
                        _ => false,
                    }
                }
            }
            Operation::Push => {
                details.kind = SuccessKind::Pushed;
                details.reference = match (&found.push_repository, &found.push_tag) {
                    (Some(repository), Some(tag)) => Some(format!("{repository}:{tag}")),
                    (Some(repository), None) => Some(repository.clone()),
                    _ => None,
                };
                // `push --all-tags` reports a digest per tag: a layer still pending means
                // another tag was on its way when the stream ended.
                found.push_finished && self.pending_layers().is_empty()
            }
            Operation::Build => {
                details.kind = SuccessKind::Built;
                // Until the build's result came, an id names an earlier stage's image, not
                // the build's.
                details.image_id = found
                    .build_finished
                    .then(|| found.built_image.clone())
                    .flatten();
                details.reference = found.tagged.clone();
                // A `Digest:` inside a build belongs to its base image.
                details.digest = None;
                found.build_finished
            }
            Operation::Load => {
                details.kind = SuccessKind::Loaded;
                details.reference = found.loaded_reference.clone();
                details.image_id = found.loaded_id.clone();
                // A layer still loading after the last `Loaded image` line belongs to the
                // archive's next image.
                found.load_finished && self.pending_layers().is_empty()
            }
            Operation::Import => {
                details.kind = SuccessKind::Imported;
                details.image_id = found.imported_id.clone();
                found.imported_id.is_some()
            }
            Operation::Unknown => false,
        };
        (finished, details)
    }
}
