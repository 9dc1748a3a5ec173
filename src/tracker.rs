//! The tracker: per-layer state machines, aggregate progress, stall detection, and the verdict.
//!
//! Time is never read here: every call that cares takes `now_ms`, a monotonic clock in
//! milliseconds chosen by the caller, so the tracker is deterministic and testable.

use std::cell::Cell;
use std::collections::HashMap;

use crate::event::{Event, FailureKind, PullResult, Unit};
use crate::json::JsonStr;
use crate::outcome::{
    Dialect, Failure, Incomplete, IncompleteReason, Operation, Outcome, Success, SuccessKind,
};

/// Segments with at most this many layers are searched linearly (faster than hashing).
const SMALL_SEGMENT: usize = 16;

/// The default for [`TrackerConfig::max_layers`].
pub const DEFAULT_MAX_LAYERS: usize = 4096;

/// Where a layer is in its life. Phases are ordered: a layer only moves forward, except that
/// `Retrying` sends a transfer back to the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Announced (`Pulling fs layer`, `Preparing`) but not started.
    Queued,
    /// Waiting for a transfer slot.
    Waiting,
    /// Counting down to a retry; its byte count restarted.
    Retrying,
    /// Bytes are moving (`Downloading`, `Pushing`, `Loading layer`).
    Transferring,
    /// `Verifying Checksum`.
    Verifying,
    /// `Download complete`.
    Downloaded,
    /// `Extracting`.
    Extracting,
    /// Finished (see [`Layer::completion`]).
    Done,
}

impl Phase {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Waiting => "waiting",
            Phase::Retrying => "retrying",
            Phase::Transferring => "transferring",
            Phase::Verifying => "verifying",
            Phase::Downloaded => "downloaded",
            Phase::Extracting => "extracting",
            Phase::Done => "done",
        }
    }
}

/// How a layer finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Completion {
    /// `Pull complete`.
    Pulled,
    /// `Already exists` (pull) or `Layer already exists` / `Mounted from` (push).
    AlreadyPresent,
    /// `Pushed`.
    Pushed,
    /// `Loading layer` reached its total.
    Loaded,
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

/// Which thresholds apply to a stalled layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StallPhase {
    /// Downloading, pushing or loading bytes.
    Transfer,
    /// Extracting.
    Extract,
}

/// Limits and thresholds of a [`Tracker`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackerConfig {
    max_layers: usize,
    stall_transfer_ms: u64,
    stall_extract_ms: u64,
    min_bytes_per_sec: u64,
    rate_window_ms: u64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            max_layers: DEFAULT_MAX_LAYERS,
            stall_transfer_ms: 30_000,
            stall_extract_ms: 120_000,
            min_bytes_per_sec: 0,
            rate_window_ms: 10_000,
        }
    }
}

impl TrackerConfig {
    /// Most layers tracked over the whole stream (default 4096). Events for further layers are
    /// counted but not tracked, and [`Tracker::observe`] reports [`LayerLimit`].
    pub fn max_layers(mut self, layers: usize) -> Self {
        self.max_layers = layers;
        self
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

/// An event named a layer beyond [`TrackerConfig::max_layers`]; it was not tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerLimit {
    /// The limit in force.
    pub limit: usize,
}

impl std::fmt::Display for LayerLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "more than {} layers; further layers are not tracked",
            self.limit
        )
    }
}

impl std::error::Error for LayerLimit {}

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
    tagged: Option<String>,
    loaded_reference: Option<String>,
    loaded_id: Option<String>,
    imported_id: Option<String>,
    podman_image: Option<String>,
    /// The last record was a `Download complete`/`Pull complete` with no progress numbers:
    /// Podman's final image-id record, if the stream ends here.
    last_was_completion_of: Option<usize>,
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
        }
    }

    /// Events observed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Events about layers beyond the layer limit, which were not tracked.
    pub fn untracked_events(&self) -> u64 {
        self.untracked_events
    }

    /// Declares a layer and its size before the daemon mentions it (for example from a manifest
    /// the caller already fetched), so totals and percentages are right from the start.
    ///
    /// # Errors
    /// [`LayerLimit`] when the layer limit is reached.
    pub fn expect_layer(&mut self, id: &str, size: u64) -> Result<(), LayerLimit> {
        let index = self.layer_index(JsonStr::plain(id), 0)?;
        let layer = &mut self.layers[index];
        layer.transfer.total = Some(size);
        layer.only_download_complete = false;
        Ok(())
    }

    /// Updates the state with one event. `now_ms` is the caller's monotonic clock.
    ///
    /// # Errors
    /// [`LayerLimit`] when the event names a new layer past the limit (the event is counted
    /// but its layer is not tracked).
    pub fn observe(&mut self, event: &Event<'_>, now_ms: u64) -> Result<(), LayerLimit> {
        self.events += 1;
        self.found.last_was_completion_of = None;
        self.note_operation_and_dialect(event);
        let result = match *event {
            Event::Error(error) => {
                if self.found.first_error.is_none() {
                    self.found.first_error = Some(Failure {
                        kind: error.kind,
                        message: error.message.decode().into_owned(),
                        code: error.code,
                    });
                }
                Ok(())
            }
            Event::PullingFrom { repository, tag } => {
                self.start_segment_if_used();
                let segment = self.current_segment();
                segment.repository = Some(repository.decode().into_owned());
                segment.tag = tag.map(|t| t.decode().into_owned());
                self.found.pull_finished = false;
                Ok(())
            }
            Event::Digest { digest } => {
                let digest = digest.decode().into_owned();
                self.current_segment().digest = Some(digest.clone());
                self.found.digest = Some(digest);
                Ok(())
            }
            Event::PullFinished { result, reference } => {
                self.current_segment().result = Some(result);
                self.found.pull_finished = true;
                self.found.any_pull_result = true;
                self.found.any_downloaded |= result == PullResult::Downloaded;
                self.found.pull_reference = Some(reference.decode().into_owned());
                Ok(())
            }
            Event::PushRefersTo { repository } => {
                let repository = repository.decode().into_owned();
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
            Event::BuiltImage { id } => {
                // The full `sha256:` id from aux (the last stage's wins) beats the short id
                // of `Successfully built`, which names the same image.
                if id.starts_with("sha256:") || self.found.built_image.is_none() {
                    self.found.built_image = Some(id.decode().into_owned());
                }
                Ok(())
            }
            Event::Tagged { reference } => {
                self.found.tagged = Some(reference.decode().into_owned());
                Ok(())
            }
            Event::LoadedImage { reference } => {
                self.found.loaded_reference = Some(reference.decode().into_owned());
                self.finish_loading();
                Ok(())
            }
            Event::LoadedImageId { id } => {
                self.found.loaded_id = Some(id.decode().into_owned());
                self.finish_loading();
                Ok(())
            }
            Event::ImportedImage { id } => {
                self.found.imported_id = Some(id.decode().into_owned());
                Ok(())
            }
            Event::PodmanPulledImage { id } => {
                self.found.podman_image = Some(id.decode().into_owned());
                Ok(())
            }
            _ => match event.layer_id() {
                Some(id) => self.observe_layer(event, id, now_ms),
                None => Ok(()),
            },
        };
        self.sample(now_ms);
        result
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
            E::BuildOutput { .. }
            | E::BuiltImage { .. }
            | E::Tagged { .. }
            | E::BuildKitTrace { .. } => (Operation::Build, true),
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
            (Operation::Pull, false) => strong,
            (Operation::Pull, true) => operation == Operation::Build,
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
            self.segment_start = self.layers.len();
            self.segment_index.clear();
            self.segments.push(Segment {
                first_layer: self.layers.len(),
                ..Segment::default()
            });
        }
    }

    fn finish_push(&mut self, tag: Option<JsonStr<'_>>, digest: Option<JsonStr<'_>>) {
        if let Some(tag) = tag {
            let tag = tag.decode().into_owned();
            self.current_segment().tag = Some(tag.clone());
            self.found.push_tag = Some(tag);
        }
        if let Some(digest) = digest {
            let digest = digest.decode().into_owned();
            self.current_segment().digest = Some(digest.clone());
            self.found.digest = Some(digest);
        }
        self.found.push_finished = true;
    }

    /// `Loaded image` means every layer read from the archive is in.
    fn finish_loading(&mut self) {
        for layer in &mut self.layers[self.segment_start..] {
            if layer.phase == Phase::Transferring {
                layer.phase = Phase::Done;
                layer.completion = Some(Completion::Loaded);
            }
        }
    }

    /// Finds the layer in the current segment, creating it on its first event of any kind
    /// (the containerd store sends no `Pulling fs layer`).
    fn layer_index(&mut self, id: JsonStr<'_>, now_ms: u64) -> Result<usize, LayerLimit> {
        // Consecutive records usually name the same layer.
        if let Some(layer) = self.layers.get(self.last_hit) {
            if self.last_hit >= self.segment_start && id == *layer.id {
                return Ok(self.last_hit);
            }
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
            return Err(LayerLimit {
                limit: self.config.max_layers,
            });
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
    ) -> Result<(), LayerLimit> {
        let index = match self.layer_index(id, now_ms) {
            Ok(index) => index,
            Err(limit) => {
                self.untracked_events += 1;
                return Err(limit);
            }
        };
        let layer = &mut self.layers[index];
        let before = (layer.phase, layer.transfer.current, layer.extract.current);
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
        if let Event::DownloadComplete { progress, .. } | Event::PullComplete { progress, .. } =
            *event
        {
            if progress.current.is_none() && progress.total.is_none() {
                self.found.last_was_completion_of = Some(index);
            }
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

    /// The id of Podman's final image-id record, when the stream ended on one.
    fn podman_final_image(&self) -> Option<usize> {
        (self.dialect() == Dialect::Podman && self.operation == Operation::Pull)
            .then_some(self.found.last_was_completion_of)
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
                        // Docker 24's containerd store ends without a `Status:` line.
                        Dialect::DockerContainerd => {
                            self.pending_layers().is_empty() && !self.layers.is_empty()
                        }
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
                details.image_id = found.built_image.clone();
                details.reference = found.tagged.clone();
                // A `Digest:` inside a build belongs to its base image.
                details.digest = None;
                found.built_image.is_some()
            }
            Operation::Load => {
                details.kind = SuccessKind::Loaded;
                details.reference = found.loaded_reference.clone();
                details.image_id = found.loaded_id.clone();
                found.loaded_reference.is_some() || found.loaded_id.is_some()
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
