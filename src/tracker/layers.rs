//! Layers and images (segments): the per-layer state machine and where each layer belongs.

use super::*;

/// Segments with at most this many layers are searched linearly (faster than hashing).
pub(super) const SMALL_SEGMENT: usize = 16;

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
#[non_exhaustive]
pub struct Counter {
    /// Units done.
    pub current: u64,
    /// Units expected, when known.
    pub total: Option<u64>,
}

/// One layer as the tracker sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub(super) id: Box<str>,
    pub(super) segment: usize,
    pub(super) phase: Phase,
    pub(super) completion: Option<Completion>,
    pub(super) transfer: Counter,
    pub(super) extract: Counter,
    pub(super) extract_unit: Unit,
    pub(super) retries: u32,
    /// Every event so far was `Download complete`: a non-layer blob (containerd config or
    /// manifest, Podman's final image id).
    pub(super) only_download_complete: bool,
    pub(super) last_change_ms: u64,
    pub(super) window_start_ms: u64,
    pub(super) window_start_bytes: u64,
    pub(super) stalled: bool,
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
#[non_exhaustive]
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

/// True when every byte of `text` is a lowercase hexadecimal digit, as Go's ids are written.
pub(super) fn is_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Tracker {
    pub(super) fn current_segment(&mut self) -> &mut Segment {
        let last = self.segments.len() - 1;
        &mut self.segments[last]
    }

    /// A `Pulling from` opens a new image, unless the current one has not been used yet.
    pub(super) fn start_segment_if_used(&mut self) {
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

    /// Finds the layer in the current segment, creating it on its first event of any kind
    /// (the containerd store sends no `Pulling fs layer`).
    pub(super) fn layer_index(
        &mut self,
        id: JsonStr<'_>,
        now_ms: u64,
    ) -> Result<usize, TrackerLimit> {
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

    pub(super) fn observe_layer(
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

    pub(super) fn counts_as_layer(&self, index: usize) -> bool {
        !self.layers[index].only_download_complete && self.podman_final_image() != Some(index)
    }

    pub(super) fn is_complete(&self, index: usize) -> bool {
        let layer = &self.layers[index];
        layer.phase == Phase::Done
            || (layer.phase >= Phase::Downloaded && self.download_is_final(layer.segment))
    }
}
