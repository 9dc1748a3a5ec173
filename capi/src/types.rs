//! The plain C types of the ABI: status codes, numeric enumerations, borrowed byte strings and
//! the structs the library fills in.
//!
//! Every enumeration here has explicit values that are never renumbered or reused; a retired
//! value stays reserved. Functions that *take* one of these values from C take a `uint32_t`
//! and reject unknown values with `PULLSTREAM_STATUS_INVALID_ARGUMENT`; structs the library
//! fills in may carry values added in later versions, so C code must handle unknown values.

use std::ffi::c_void;

/// Status returned by every fallible function.
///
/// Values are stable and never reused. `0` is success; `1`–`99` are about the call itself;
/// `100`–`199` name the kinds of bytes the decoder could not decode (they appear in
/// `pullstream_event.error_status` and `pullstream_decoder_last_error`, never as a return value).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL. Nothing was changed.
    NullArgument = 1,
    /// An argument was out of range (an unknown enumeration value, a layer index past the end).
    /// Nothing was changed.
    InvalidArgument = 2,
    /// The handle cannot do this now: it panicked earlier (it only answers
    /// `pullstream_decoder_last_error` and `pullstream_decoder_free` from then on), or bytes
    /// were fed after `pullstream_decoder_finish` completed.
    InvalidState = 3,
    /// A bug inside the library was caught at the boundary. The handle is unusable from now
    /// on (later calls return `PULLSTREAM_STATUS_INVALID_STATE`); free it.
    Panic = 4,
    /// The caller's buffer is too small; the needed length was written to `*len_out` and
    /// nothing else was written.
    BufferTooSmall = 5,
    /// The event callback returned non-zero. Nothing is lost: call the same function again
    /// (`pullstream_decoder_feed` with an empty chunk, or `pullstream_decoder_finish`) to resume
    /// with the next event.
    Paused = 6,
    /// The decoder was configured to stop at the first error and has met one: further bytes
    /// are ignored (`pullstream_decoder_finish` still fixes the verdict).
    Stopped = 7,
    /// A byte outside any record that cannot start one (an HTML page, a stray byte).
    NotJson = 100,
    /// A record was abandoned before it closed (a raw line break inside a string, a new `{`).
    Unterminated = 101,
    /// A record grew past the configured maximum record length and was skipped.
    RecordTooLarge = 102,
    /// A record nested deeper than the configured maximum depth and was skipped.
    TooDeep = 103,
    /// A delimited record that is not valid JSON (or not UTF-8).
    Syntax = 104,
    /// A field the decoder reads had the wrong JSON type.
    WrongType = 105,
    /// A field the decoder reads appeared twice in one object.
    DuplicateField = 106,
    /// The stream ended inside a record (reported by `pullstream_decoder_finish`).
    Truncated = 107,
    /// `pullstream_http`: the status line or a header is malformed (or the input is a bare
    /// body, not a whole response).
    HttpBadHead = 120,
    /// `pullstream_http`: the head or a chunk-size line is longer than its limit.
    HttpTooLarge = 121,
    /// `pullstream_http`: a chunk-size line or the end of a chunk is malformed.
    HttpBadChunk = 122,
    /// `pullstream_http`: the input ended inside the head or the body.
    HttpTruncated = 123,
    /// `pullstream_http`: a transfer coding other than `chunked` (e.g. `gzip`).
    HttpUnsupported = 124,
    /// A record named a layer beyond the configured maximum number of layers; it was counted
    /// but not tracked. Statuses 150–159 name the tracker's limits: each is the `error_status`
    /// of a `PULLSTREAM_EVENT_KIND_TRACKER_LIMIT` event and the `limit` argument of
    /// `pullstream_config_set_limit`.
    LayerLimit = 150,
    /// A `Pulling from` opened more images than the configured maximum; further images share
    /// the last one's entry (`segment_count` stops growing).
    SegmentLimit = 151,
    /// A record named a layer whose id is longer than the configured maximum; it was counted
    /// but not tracked.
    IdLengthLimit = 152,
    /// A reference, repository, tag, digest or image id was longer than the configured maximum;
    /// it is kept cut to that many bytes, ending in `…` (U+2026).
    TextLengthLimit = 153,
    /// The first error message was longer than the configured maximum; the outcome keeps it cut
    /// to that many bytes, ending in `…` (U+2026). The `ERROR` event carried it whole.
    ErrorLengthLimit = 154,
    /// Bytes that could not be decoded, for a reason newer than this list.
    MalformedOther = 199,
}

/// What an event is: one value per kind of record the classifier knows, plus the items that
/// are not records (`MALFORMED`, `TRACKER_LIMIT`). Values are stable and never reused; a kind of
/// record added to the classifier later is reported as `PULLSTREAM_EVENT_KIND_OTHER` until it
/// gets a value of its own.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_event_kind {
    /// A record the classifier does not know (never an error: daemons add statuses).
    Other = 0,
    /// `Pulling from <repository>`: `detail` is the repository, `tag` the tag.
    PullingFrom = 1,
    /// `Pulling fs layer`.
    PullingFsLayer = 2,
    /// `Waiting`.
    Waiting = 3,
    /// `Downloading`, with progress (no `layer_id` for a classic-builder `ADD <url>`).
    Downloading = 4,
    /// `Verifying Checksum`.
    VerifyingChecksum = 5,
    /// `Download complete`.
    DownloadComplete = 6,
    /// `Extracting`, with progress in bytes or (containerd store) seconds.
    Extracting = 7,
    /// `Pull complete`.
    PullComplete = 8,
    /// `Already exists`.
    AlreadyExists = 9,
    /// `Retrying in N seconds`: `retry_seconds` is N.
    Retrying = 10,
    /// `Digest: …`: `detail` is the digest.
    Digest = 11,
    /// `Status: Downloaded newer image for …` / `… is up to date …`: `detail` is the reference,
    /// `pull_result` says which.
    PullFinished = 12,
    /// `The push refers to repository [...]`: `detail` is the repository.
    PushRefersTo = 13,
    /// `Preparing`.
    Preparing = 14,
    /// `Pushing`, with progress.
    Pushing = 15,
    /// `Pushed`.
    Pushed = 16,
    /// `Layer already exists`.
    LayerAlreadyExists = 17,
    /// `Mounted from <repository>`: `detail` is the source repository.
    MountedFrom = 18,
    /// `<tag>: digest: <digest> size: <n>`: `tag`, `detail` (the digest) and `size`.
    TagDigest = 19,
    /// Push result in `aux`: `tag`, `detail` (the digest) and `size`.
    PushResult = 20,
    /// Build output (`stream`): `detail` is the text, not line-aligned.
    BuildOutput = 21,
    /// The image a build produced: `detail` is the image id.
    BuiltImage = 22,
    /// `Successfully tagged <reference>`: `detail` is the reference.
    Tagged = 23,
    /// A BuildKit trace: `detail` is the raw JSON value of `aux`, undecoded.
    BuildkitTrace = 24,
    /// `Loading layer`, with progress.
    LoadingLayer = 25,
    /// `Loaded image: <reference>`: `detail` is the reference.
    LoadedImage = 26,
    /// `Loaded image ID: <id>`: `detail` is the image id.
    LoadedImageId = 27,
    /// `Downloading from <url>`: `detail` is the URL.
    DownloadingFrom = 28,
    /// `Importing`, with progress.
    Importing = 29,
    /// The image id an import created: `detail`.
    ImportedImage = 30,
    /// Podman 2.x's single pull record: `detail` is the image id.
    PodmanPulledImage = 31,
    /// `Pulling repository <name>` (legacy v1 registry): `detail` is the name.
    PullingRepository = 32,
    /// A legacy-registry notice: `detail` is the text.
    LegacyNotice = 33,
    /// `WARNING: …` and deprecation notices: `detail` is the text.
    Warning = 34,
    /// Any other `aux` payload: `detail` is its raw JSON value, undecoded.
    Aux = 35,
    /// An error reported by the daemon: `error_message`, `failure_kind`, `error_code`.
    Error = 36,
    /// `{}`: nothing to do.
    Empty = 37,
    /// Bytes that could not be decoded (reported and skipped): `offset`, `error_status` (a
    /// decode-error `pullstream_status`) and `error_message`. `record` is empty.
    Malformed = 100,
    /// The record just delivered was the first to reach one of the tracker's limits:
    /// `error_status` says which (`PULLSTREAM_STATUS_LAYER_LIMIT`, `_SEGMENT_LIMIT`,
    /// `_ID_LENGTH_LIMIT`, `_TEXT_LENGTH_LIMIT`, `_ERROR_LENGTH_LIMIT`), `size` is the limit in
    /// force, `offset` that record's offset, `error_message` says what happens past it. Sent once
    /// per stream and limit; later records past a limit are counted or cut, not announced.
    /// (Called `LAYER_LIMIT` before the other limits existed; the value is the same.)
    TrackerLimit = 101,
}

/// What a progress number counts.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_unit {
    /// The event carries no progress.
    None = 0,
    /// Bytes.
    Bytes = 1,
    /// Seconds (the containerd store's `Extracting`).
    Seconds = 2,
}

/// Which `Status:` line ended a pull.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_pull_result {
    /// Not a `PULL_FINISHED` event.
    None = 0,
    /// `Status: Downloaded newer image for …`.
    Downloaded = 1,
    /// `Status: Image is up to date for …`.
    UpToDate = 2,
}

/// Classification of a daemon's error message (names as in the JSON summary).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_failure_kind {
    /// No error.
    None = 0,
    /// `rate_limited`: the registry's rate limit.
    RateLimited = 1,
    /// `unauthorized`: missing or rejected credentials.
    Unauthorized = 2,
    /// `not_found`: no such repository, tag or manifest.
    NotFound = 3,
    /// `platform_mismatch`: no image for the requested platform.
    PlatformMismatch = 4,
    /// `disk_full`: the daemon's disk is full.
    DiskFull = 5,
    /// `network`: a connection failed.
    Network = 6,
    /// `cancelled`: the operation was cancelled.
    Cancelled = 7,
    /// `build_failed`: a build step failed.
    BuildFailed = 8,
    /// `other`: anything else.
    Other = 9,
}

/// The verdict.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_verdict {
    /// A verdict newer than this list.
    Unknown = 0,
    /// The operation finished.
    Success = 1,
    /// The daemon reported an error.
    Failed = 2,
    /// The stream ended before the operation finished.
    Incomplete = 3,
}

/// The operation the stream reported on.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_operation {
    /// Nothing in the stream said.
    Unknown = 0,
    /// A pull.
    Pull = 1,
    /// A push.
    Push = 2,
    /// A build.
    Build = 3,
    /// A load.
    Load = 4,
    /// An import.
    Import = 5,
}

/// Which daemon produced the stream.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_dialect {
    /// Not enough vocabulary to tell.
    Unknown = 0,
    /// Docker Engine, classic image store.
    Docker = 1,
    /// Docker Engine, containerd image store.
    DockerContainerd = 2,
    /// Podman's Docker-compatible API.
    Podman = 3,
}

/// What a successful operation achieved.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_success_kind {
    /// Not a success.
    None = 0,
    /// A pull fetched at least one new image.
    Downloaded = 1,
    /// A pull found everything present already.
    UpToDate = 2,
    /// A push finished.
    Pushed = 3,
    /// A build produced an image.
    Built = 4,
    /// A load read at least one image.
    Loaded = 5,
    /// An import created an image.
    Imported = 6,
}

/// Why a stream that reported no error did not finish.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_incomplete_reason {
    /// Not incomplete.
    None = 0,
    /// No record at all.
    EmptyStream = 1,
    /// The stream stopped inside a record.
    CutMidRecord = 2,
    /// The stream ended cleanly but the operation never reported that it finished.
    NoTerminalStatus = 3,
    /// The transport ended the body before its own end (an HTTP body cut short): told by
    /// `pullstream_http_finish_into` or `pullstream_decoder_set_truncated_body`.
    TruncatedBody = 4,
    /// The input is not a progress stream: no record with a field of the progress vocabulary,
    /// and bytes that could not be decoded (exit code 3).
    NotAProgressStream = 5,
}

/// Where a layer is in its life.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_phase {
    /// A phase newer than this list.
    Unknown = 0,
    /// Announced but not started.
    Queued = 1,
    /// Waiting for a transfer slot.
    Waiting = 2,
    /// Counting down to a retry.
    Retrying = 3,
    /// Bytes are moving.
    Transferring = 4,
    /// `Verifying Checksum`.
    Verifying = 5,
    /// `Download complete`.
    Downloaded = 6,
    /// `Extracting`.
    Extracting = 7,
    /// Finished (see `pullstream_layer.completion`).
    Done = 8,
}

/// How a layer finished.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_completion {
    /// Not finished (or finished in a way newer than this list).
    None = 0,
    /// `Pull complete`.
    Pulled = 1,
    /// Already present locally or in the registry.
    AlreadyPresent = 2,
    /// `Pushed`.
    Pushed = 3,
    /// `Loading layer` reached its total.
    Loaded = 4,
}

/// Which stall threshold `pullstream_config_set_stall_after_ms` sets (pass as `uint32_t`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_stall_phase {
    /// Downloading, pushing or loading bytes (default 30 000 ms).
    Transfer = 1,
    /// Extracting (default 120 000 ms).
    Extract = 2,
}

/// Why a layer is reported as stalled.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum pullstream_stall_reason {
    /// A reason newer than this list.
    Unknown = 0,
    /// No progress at all for `idle_ms`.
    NoProgress = 1,
    /// Progress slower than the configured minimum: `bytes_per_sec`.
    TooSlow = 2,
}

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
