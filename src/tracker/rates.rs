//! Aggregate progress over all layers: counts, bytes, percentages that never go backwards, and
//! the transfer rate and ETA over the rate window.

use std::sync::atomic::{AtomicU64, Ordering};

use super::*;

/// A percentage's high-water mark, raised by reads through `&self`. Atomic rather than a
/// `Cell` so that a `Tracker` is `Sync`; the percentages are never negative, and non-negative
/// floats order as their bit patterns do, so `fetch_max` on the bits keeps the larger value.
#[derive(Debug, Default)]
pub(super) struct HighWater(AtomicU64);

impl HighWater {
    /// Raises the mark to `value` when it is higher (NaN counts as 0), and returns the mark.
    pub(super) fn raise(&self, value: f64) -> f64 {
        let bits = value.max(0.0).to_bits();
        let before = self.0.fetch_max(bits, Ordering::Relaxed);
        f64::from_bits(before.max(bits))
    }
}

impl Clone for HighWater {
    fn clone(&self) -> Self {
        HighWater(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
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
#[non_exhaustive]
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

pub(super) const RATE_SAMPLES: usize = 32;

impl Tracker {
    /// Records a rate sample at most every 100 ms of the caller's clock; the newest state is
    /// always `(last_ms, moved_bytes)`.
    pub(super) fn sample(&mut self, now_ms: u64) {
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
    pub(super) fn rate(&self) -> Option<f64> {
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

    /// Aggregate progress. The percentages never go backwards from one read to the next
    /// (through this method or [`Tracker::snapshot`]), even when a retry or a newly announced
    /// layer makes the raw ratio drop.
    pub fn aggregate(&self) -> Aggregate {
        let mut aggregate = self.raw_aggregate();
        // High-water marks, raised through `&self` so that reading stays a read: they only
        // ever rise, and nothing else depends on them.
        aggregate.percent_by_count = self.percent_by_count.raise(aggregate.percent_by_count);
        aggregate.percent_by_bytes = self.percent_by_bytes.raise(aggregate.percent_by_bytes);
        aggregate
    }

    pub(super) fn raw_aggregate(&self) -> Aggregate {
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
}
