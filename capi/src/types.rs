//! The plain C types of the ABI: status codes, numeric enumerations, borrowed byte strings and
//! the structs the library fills in.
//!
//! Every enumeration is a `uint32_t` here; its values, names and docs come from one list
//! ([`crate::enums::C_ENUMS`], built on the core crate's stable tables) and are never renumbered
//! or reused; a retired value stays reserved. Functions that *take* one of these values from C
//! take a `uint32_t` and reject unknown values with `PULLSTREAM_STATUS_INVALID_ARGUMENT`;
//! structs the library fills in may carry values added in later versions, so C code must handle
//! unknown values.

use std::ffi::c_void;

/// A `pullstream_status` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_status = u32;

/// A `pullstream_event_kind` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_event_kind = u32;

/// A `pullstream_unit` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_unit = u32;

/// A `pullstream_pull_result` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_pull_result = u32;

/// A `pullstream_failure_kind` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_failure_kind = u32;

/// A `pullstream_verdict` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_verdict = u32;

/// A `pullstream_operation` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_operation = u32;

/// A `pullstream_dialect` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_dialect = u32;

/// A `pullstream_success_kind` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_success_kind = u32;

/// A `pullstream_incomplete_reason` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_incomplete_reason = u32;

/// A `pullstream_phase` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_phase = u32;

/// A `pullstream_completion` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_completion = u32;

/// A `pullstream_stall_phase` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_stall_phase = u32;

/// A `pullstream_stall_reason` value (the C `enum` is generated from [`crate::enums::C_ENUMS`]).
pub type pullstream_stall_reason = u32;

/// Bit in `pullstream_event.flags` and `pullstream_outcome.flags`: `error_code` is set.
pub const PULLSTREAM_FLAG_HAS_ERROR_CODE: u32 = 1;
/// Bit in `pullstream_event.flags` and `pullstream_outcome.flags`: trying again later may
/// succeed (rate limits, network failures).
pub const PULLSTREAM_FLAG_RETRYABLE: u32 = 2;
/// Bit in `pullstream_event.flags`: the daemon asked clients not to show the counts.
pub const PULLSTREAM_FLAG_PROGRESS_HIDDEN: u32 = 4;
/// Bit in `pullstream_layer.flags`: a stall is reported and no progress was seen since.
pub const PULLSTREAM_FLAG_STALLED: u32 = 8;
/// Bit in `pullstream_layer.flags`: a blob that is not an image layer (a config or manifest
/// that only ever reported `Download complete`).
pub const PULLSTREAM_FLAG_NON_LAYER: u32 = 16;

/// A borrowed byte string: `len` bytes at `ptr`, **not** NUL-terminated, UTF-8 for text
/// fields. `ptr` is NULL (and `len` 0) when the value is absent; when `len` is 0, never read
/// `ptr`. The library owns the bytes; every struct that holds one says how long it stays
/// valid. Copy the bytes to keep them longer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pullstream_bytes {
    /// First byte, or NULL when absent.
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

impl pullstream_bytes {
    /// The absent value (NULL, 0).
    pub const ABSENT: pullstream_bytes = pullstream_bytes {
        ptr: std::ptr::null(),
        len: 0,
    };

    /// Borrows `bytes` (the caller keeps them alive as long as documented).
    pub fn borrow(bytes: &[u8]) -> pullstream_bytes {
        pullstream_bytes {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }

    /// Borrows `text`, or the absent value.
    pub fn from_opt(text: Option<&str>) -> pullstream_bytes {
        text.map_or(Self::ABSENT, |t| Self::borrow(t.as_bytes()))
    }
}

/// One event, delivered to a `pullstream_event_callback`.
///
/// **Lifetime:** the struct and every `pullstream_bytes` in it are valid only during the
/// callback that receives it. Copy what you need before returning.
///
/// Fields that do not apply to the event's kind are absent (`ptr` NULL), `-1`, or 0. Only the
/// library creates these; later versions may append fields.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pullstream_event {
    /// What the event is.
    pub kind: pullstream_event_kind,
    /// `PULLSTREAM_FLAG_HAS_ERROR_CODE`, `PULLSTREAM_FLAG_RETRYABLE`,
    /// `PULLSTREAM_FLAG_PROGRESS_HIDDEN` bits.
    pub flags: u32,
    /// Absolute offset in the stream of the record's `{`, or of the bad bytes for
    /// `PULLSTREAM_EVENT_KIND_MALFORMED`.
    pub offset: u64,
    /// The record's exact bytes, from `{` to `}` (empty for `MALFORMED` and `TRACKER_LIMIT`).
    pub record: pullstream_bytes,
    /// The record's `status` text, decoded.
    pub status: pullstream_bytes,
    /// The record's `id` field, decoded (a layer id, a tag, `moby.image.id`…).
    pub id: pullstream_bytes,
    /// The layer this event is about, decoded, when it is about one.
    pub layer_id: pullstream_bytes,
    /// The kind's main value, decoded (see `pullstream_event_kind`).
    pub detail: pullstream_bytes,
    /// A tag, for `PULLING_FROM`, `TAG_DIGEST` and `PUSH_RESULT`.
    pub tag: pullstream_bytes,
    /// Units done, or -1 when unknown or not a progress event.
    pub progress_current: i64,
    /// Units expected, or -1 when unknown (the daemon's `-1`, absent or `0`).
    pub progress_total: i64,
    /// What the progress numbers count.
    pub progress_unit: pullstream_unit,
    /// For `PULL_FINISHED`: which `Status:` line.
    pub pull_result: pullstream_pull_result,
    /// Manifest size for `TAG_DIGEST` and `PUSH_RESULT`; for `TRACKER_LIMIT`, the limit in
    /// force; otherwise -1.
    pub size: i64,
    /// For `RETRYING`: seconds until the retry.
    pub retry_seconds: u32,
    /// For `ERROR`: the classification of the message.
    pub failure_kind: pullstream_failure_kind,
    /// For `ERROR`: `errorDetail.code` when `PULLSTREAM_FLAG_HAS_ERROR_CODE` is set.
    pub error_code: i64,
    /// For `MALFORMED`: a decode-error status (100–149, 199); for `TRACKER_LIMIT`: the limit's
    /// status (150–159); otherwise `PULLSTREAM_STATUS_OK`.
    pub error_status: pullstream_status,
    /// For `ERROR`: the daemon's message, decoded. For `MALFORMED` and `TRACKER_LIMIT`: what
    /// was wrong, in English (`byte 0: not JSON: …`).
    pub error_message: pullstream_bytes,
}

/// Called once per event, in stream order, from inside `pullstream_decoder_feed` or
/// `pullstream_decoder_finish`, on the caller's thread. `userdata` is passed through untouched.
/// Return 0 to go on, non-zero to pause (the call returns `PULLSTREAM_STATUS_PAUSED`).
/// The callback must not call any function on the same decoder.
pub type pullstream_event_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const pullstream_event) -> i32>;

/// A layer newly found stalled, delivered to a `pullstream_stall_callback`.
///
/// **Lifetime:** valid only during the callback.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pullstream_stall {
    /// The layer id.
    pub layer_id: pullstream_bytes,
    /// The phase it is stuck in.
    pub phase: pullstream_phase,
    /// Why it counts as stalled.
    pub reason: pullstream_stall_reason,
    /// For `NO_PROGRESS`: milliseconds since the last change.
    pub idle_ms: u64,
    /// For `TOO_SLOW`: the measured rate.
    pub bytes_per_sec: u64,
}

/// Called once per newly stalled layer from inside `pullstream_decoder_poll_stalls`.
/// The callback must not call any function on the same decoder.
pub type pullstream_stall_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, stall: *const pullstream_stall)>;

/// Progress over the whole stream, filled in by `pullstream_decoder_snapshot`. Plain values:
/// no lifetime.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pullstream_snapshot {
    /// The operation detected so far.
    pub operation: pullstream_operation,
    /// The dialect detected so far.
    pub dialect: pullstream_dialect,
    /// Entries in the layer table (`pullstream_decoder_layer` indexes `0..layer_count`),
    /// including blobs that are not image layers.
    pub layer_count: usize,
    /// Images in the stream (`pull --all-tags` and builds have several).
    pub segment_count: usize,
    /// Image layers seen.
    pub layers_known: usize,
    /// Image layers finished.
    pub layers_done: usize,
    /// Image layers that were already present.
    pub layers_already_present: usize,
    /// Bytes transferred so far.
    pub bytes_done: u64,
    /// Sum of the layer sizes known so far.
    pub bytes_total_known: u64,
    /// Layers done out of known, in percent.
    pub percent_by_count: f64,
    /// Bytes done out of known, in percent.
    pub percent_by_bytes: f64,
    /// Transfer rate over the rate window, or -1 when it cannot be measured.
    pub bytes_per_sec: f64,
    /// Seconds left at that rate, or -1 when it cannot be estimated.
    pub eta_secs: f64,
    /// Bytes fed so far (the offset of the next byte).
    pub position: u64,
    /// Records decoded so far.
    pub records: u64,
    /// Decode errors reported so far (including a record cut off at the end).
    pub decode_errors: u64,
}

/// One entry of the layer table, filled in by `pullstream_decoder_layer`.
///
/// **Lifetime:** `id` stays valid until the next call that takes a non-const
/// `pullstream_decoder *` (feed, finish, poll_stalls, outcome, free).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pullstream_layer {
    /// The layer id, decoded.
    pub id: pullstream_bytes,
    /// Index of the image (segment) the layer belongs to.
    pub segment: usize,
    /// Current phase.
    pub phase: pullstream_phase,
    /// How it finished, once it has.
    pub completion: pullstream_completion,
    /// Bytes transferred.
    pub transfer_current: u64,
    /// Bytes to transfer, or -1 when unknown.
    pub transfer_total: i64,
    /// Extraction progress.
    pub extract_current: u64,
    /// Extraction total, or -1 when unknown.
    pub extract_total: i64,
    /// What the extraction numbers count.
    pub extract_unit: pullstream_unit,
    /// Transfer retries so far.
    pub retries: u32,
    /// `PULLSTREAM_FLAG_STALLED`, `PULLSTREAM_FLAG_NON_LAYER` bits.
    pub flags: u32,
}

/// The verdict and the summary's fields, filled in by `pullstream_decoder_outcome`. The same
/// facts as `pullstream_decoder_summary_json`, as numbers.
///
/// **Lifetime:** the `pullstream_bytes` fields stay valid until the next call that takes a
/// non-const `pullstream_decoder *` (feed, finish, poll_stalls, outcome, free).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct pullstream_outcome {
    /// Success, failed or incomplete.
    pub verdict: pullstream_verdict,
    /// The operation.
    pub operation: pullstream_operation,
    /// The dialect.
    pub dialect: pullstream_dialect,
    /// For a success: what was achieved.
    pub success_kind: pullstream_success_kind,
    /// For a failure: the classification of the first error.
    pub failure_kind: pullstream_failure_kind,
    /// For an incomplete stream: why.
    pub incomplete_reason: pullstream_incomplete_reason,
    /// The exit code the command-line tool would use (0 success, 1 failed, 2 incomplete,
    /// 3 not a progress stream).
    pub exit_code: i32,
    /// `PULLSTREAM_FLAG_HAS_ERROR_CODE`, `PULLSTREAM_FLAG_RETRYABLE` bits.
    pub flags: u32,
    /// `errorDetail.code` of the first error, when `PULLSTREAM_FLAG_HAS_ERROR_CODE` is set.
    pub error_code: i64,
    /// The image reference, when known.
    pub reference: pullstream_bytes,
    /// The manifest digest, when known.
    pub digest: pullstream_bytes,
    /// The image id, when known.
    pub image_id: pullstream_bytes,
    /// The first error message, verbatim, for a failure.
    pub error_message: pullstream_bytes,
    /// Image layers seen.
    pub layers_seen: u64,
    /// Image layers finished.
    pub layers_complete: u64,
    /// Image layers already present.
    pub layers_already_present: u64,
    /// Image layers not finished.
    pub layers_pending: u64,
    /// Bytes transferred, as last reported per layer.
    pub bytes_downloaded: u64,
    /// Sum of the layer sizes the stream reported.
    pub bytes_total_known: u64,
    /// Records decoded.
    pub records: u64,
    /// Stretches of bytes that could not be decoded.
    pub malformed_records: u64,
}
