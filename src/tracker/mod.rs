//! The tracker: per-layer state machines, aggregate progress, stall detection, and the verdict.
//!
//! Time is never read here: every call that cares takes `now_ms`, a monotonic clock in
//! milliseconds chosen by the caller, so the tracker is deterministic and testable.
//!
//! One room per concern, all behind the paths of this module (`pullstream::tracker::X`):
//! `config` (limits, thresholds and the limits' notices), `layers` (the per-layer state
//! machine and the images they belong to), `detect` (operation and dialect), `rates` (aggregate
//! progress, rate and ETA), `stalls` (stall detection) and `verdict` (the outcome). [`Tracker`]
//! itself and the dispatch of each event live here.

use std::collections::HashMap;

use crate::event::{BuiltImageOrigin, Event, FailureKind, PullResult, Unit};
use crate::json::JsonStr;
use crate::outcome::{
    BuildStep, Dialect, Failure, Incomplete, IncompleteReason, Operation, Outcome, Success,
    SuccessKind,
};

mod config;
mod detect;
mod layers;
mod rates;
mod stalls;
mod verdict;

pub use config::{
    Limit, TrackerConfig, TrackerLimit, CUT_MARK, DEFAULT_MAX_ERROR_LEN, DEFAULT_MAX_ID_LEN,
    DEFAULT_MAX_LAYERS, DEFAULT_MAX_SEGMENTS, DEFAULT_MAX_TEXT_LEN,
};
pub use layers::{Completion, Counter, Layer, Phase, Segment};
pub use rates::{Aggregate, Snapshot};
pub use stalls::{Stall, StallKind, StallPhase, StallReason};
pub use verdict::Ending;

use config::{cut_text, longer_than};
use detect::Markers;
use layers::is_hex;
use rates::{HighWater, RATE_SAMPLES};
use verdict::Findings;

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
    percent_by_count: HighWater,
    percent_by_bytes: HighWater,
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
            percent_by_count: HighWater::default(),
            percent_by_bytes: HighWater::default(),
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
}

/// `Tracker` can be shared between threads: reads through `&self` only raise atomic
/// high-water marks. (`Pipeline`'s assertion is in its own room, `pipeline`, a later one.)
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tracker>();
};
