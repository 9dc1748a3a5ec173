//! Stall detection: layers with no progress, or too slow, by the caller's clock.

use super::*;

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

impl Tracker {
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
}
