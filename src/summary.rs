//! The one-line JSON summary: a public, stable format shared by the command-line tool and the
//! C API (see the README for the schema).

use serde::Serialize;

use crate::decoder::DecoderStats;
use crate::event::FailureKind;
use crate::outcome::{Dialect, IncompleteReason, Operation, Outcome, SuccessKind, Verdict};
use crate::tracker::{Ending, Tracker};

/// The daemon's error, as reported in the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SummaryError {
    /// The classification of the message (in JSON its name: `"rate_limited"`, …).
    pub kind: FailureKind,
    /// The first error message, verbatim.
    pub message: String,
    /// `errorDetail.code`, when set.
    pub code: Option<i64>,
    /// Whether trying again later may succeed.
    pub retryable: bool,
}

/// Layer counts in the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LayerCounts {
    /// Image layers seen (not tags, image ids or non-layer blobs).
    pub seen: usize,
    /// Layers that reached their last phase (including those already present).
    pub complete: usize,
    /// Layers that were already present (`Already exists`, `Layer already exists`, mounts).
    pub already_present: usize,
    /// `seen - complete`.
    pub pending: usize,
}

/// Byte counts in the summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ByteCounts {
    /// Bytes transferred, as last reported per layer.
    pub downloaded: u64,
    /// Sum of the layer sizes the stream reported.
    pub total_known: u64,
}

/// The final summary of a stream. Field order is the JSON key order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// The verdict (in JSON its name: `"success"`, `"failed"` or `"incomplete"`).
    pub outcome: Verdict,
    /// The operation (in JSON `"pull"`, `"push"`, `"build"`, `"load"`, `"import"` or
    /// `"unknown"`).
    pub operation: Operation,
    /// For a success, what it achieved (in JSON `"downloaded"`, `"up_to_date"`, … or null).
    pub result: Option<SuccessKind>,
    /// The image reference, when known.
    pub reference: Option<String>,
    /// The manifest digest, when known.
    pub digest: Option<String>,
    /// The image id, when known.
    pub image_id: Option<String>,
    /// The first error, when the operation failed.
    pub error: Option<SummaryError>,
    /// For an incomplete stream, why (in JSON `"empty_stream"`, `"cut_mid_record"`, … or null).
    pub incomplete_reason: Option<IncompleteReason>,
    /// The dialect (in JSON `"docker"`, `"docker-containerd"`, `"podman"` or `"unknown"`).
    pub dialect: Dialect,
    /// Layer counts.
    pub layers: LayerCounts,
    /// Byte counts.
    pub bytes: ByteCounts,
    /// Records decoded.
    pub records: u64,
    /// Stretches of bytes that could not be decoded (a record cut off at the end of the stream
    /// is counted by `incomplete_reason`, not here).
    pub malformed_records: u64,
    /// Layers still pending when the stream ended (in order of first appearance).
    pub pending_layers: Vec<String>,
}

impl Summary {
    /// Builds the summary from a tracker and the decoder's counters.
    ///
    /// An incomplete stream with no record decoded and at least one stretch of bytes that
    /// could not be decoded (a record cut off at the end does not count) is not a progress
    /// stream: its reason is [`IncompleteReason::NotAProgressStream`]. Here every record counts;
    /// [`crate::pipeline::Pipeline::summary`] also discounts records with no field of the
    /// progress vocabulary (see [`Summary::set_not_a_progress_stream`]).
    pub fn new(tracker: &Tracker, stats: DecoderStats, ending: Ending) -> Summary {
        let snapshot = tracker.snapshot();
        let aggregate = snapshot.aggregate;
        let outcome = tracker.outcome(ending);
        let truncated = u64::from(matches!(
            ending,
            Ending::CutMidRecord
                | Ending::TruncatedBody {
                    inside_record: true
                }
        ));
        let mut summary = Summary {
            outcome: outcome.verdict(),
            operation: snapshot.operation,
            result: None,
            reference: None,
            digest: None,
            image_id: None,
            error: None,
            incomplete_reason: None,
            dialect: snapshot.dialect,
            layers: LayerCounts {
                seen: aggregate.layers_known,
                complete: aggregate.layers_done,
                already_present: aggregate.layers_already_present,
                pending: aggregate.layers_known - aggregate.layers_done,
            },
            bytes: ByteCounts {
                downloaded: aggregate.bytes_done,
                total_known: aggregate.bytes_total_known,
            },
            records: stats.records,
            malformed_records: stats.errors.saturating_sub(truncated),
            pending_layers: tracker.pending_layers(),
        };
        let details = tracker.image_details();
        summary.reference = details.reference;
        summary.digest = details.digest;
        summary.image_id = details.image_id;
        match outcome {
            Outcome::Success(success) => summary.result = Some(success.kind),
            Outcome::Failed(failure) => {
                summary.error = Some(SummaryError {
                    kind: failure.kind,
                    retryable: failure.is_retryable(),
                    message: failure.message,
                    code: failure.code,
                });
            }
            Outcome::Incomplete(incomplete) => {
                summary.incomplete_reason = Some(incomplete.reason);
            }
        }
        if summary.records == 0 && summary.malformed_records > 0 {
            summary.set_not_a_progress_stream();
        }
        summary
    }

    /// Marks the input as not a progress stream: when the outcome is incomplete, its reason
    /// becomes [`IncompleteReason::NotAProgressStream`] (exit code 3). A failed or successful
    /// summary is left as it is: an error the daemon reported, or a finished operation, proves
    /// the input was a progress stream. Returns whether the reason was set.
    ///
    /// [`crate::pipeline::Pipeline::summary`] calls it when no record carried a field of the
    /// progress vocabulary and some bytes could not be decoded; the command-line tool also calls
    /// it when its input could not be read before any record, or was an HTTP response whose
    /// head or status says it holds no progress stream.
    pub fn set_not_a_progress_stream(&mut self) -> bool {
        if self.outcome != Verdict::Incomplete {
            return false;
        }
        self.incomplete_reason = Some(IncompleteReason::NotAProgressStream);
        true
    }

    /// Records that the caller stopped reading before the stream ended (`reason`:
    /// [`IncompleteReason::Stalled`], [`IncompleteReason::TimedOut`] or
    /// [`IncompleteReason::Cancelled`]): whatever the bytes so far said, the operation did not
    /// finish. An error the daemon already reported still wins. Returns whether the summary
    /// changed.
    ///
    /// ```
    /// use pullstream::outcome::{IncompleteReason, Verdict};
    /// let mut pipeline = pullstream::Pipeline::new();
    /// let _ = pipeline.feed(b"{\"status\":\"Pulling fs layer\",\"id\":\"a1\"}\n", 0, |_| {
    ///     std::ops::ControlFlow::Continue(())
    /// });
    /// let mut summary = pipeline.summary();
    /// assert!(summary.set_stopped_early(IncompleteReason::Stalled));
    /// assert_eq!(summary.outcome, Verdict::Incomplete);
    /// assert_eq!(summary.exit_code(), 2);
    /// ```
    pub fn set_stopped_early(&mut self, reason: IncompleteReason) -> bool {
        if self.outcome == Verdict::Failed {
            return false;
        }
        self.outcome = Verdict::Incomplete;
        self.result = None;
        self.incomplete_reason = Some(reason);
        true
    }

    /// Records that a check made after the stream (the command-line tool's `--verify`, which
    /// asks the daemon for the image) found the operation did not do what the stream said: the
    /// verdict becomes failed, with `message` classified as a daemon error would be.
    pub fn set_failed(&mut self, message: String) {
        let kind = FailureKind::classify(crate::json::JsonStr::from_validated(&message, false));
        self.outcome = Verdict::Failed;
        self.result = None;
        self.incomplete_reason = None;
        self.error = Some(SummaryError {
            kind,
            retryable: kind.is_retryable(),
            message,
            code: None,
        });
    }

    /// The process exit code the command-line tool (and the C example) use for this summary:
    /// 0 success, 1 the daemon reported an error, 2 incomplete (a cut, truncated or empty
    /// stream), 3 not a progress stream at all (`incomplete_reason` is
    /// `"not_a_progress_stream"`).
    pub fn exit_code(&self) -> i32 {
        match self.outcome {
            Verdict::Success => 0,
            Verdict::Failed => 1,
            Verdict::Incomplete
                if self.incomplete_reason == Some(IncompleteReason::NotAProgressStream) =>
            {
                3
            }
            Verdict::Incomplete => 2,
        }
    }

    /// The summary as one line of JSON (no trailing newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}
