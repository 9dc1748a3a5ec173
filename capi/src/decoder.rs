//! `pullstream_decoder`: the opaque handle over a [`Pipeline`] (decoder + tracker), and every
//! function that takes one.

use std::cell::{Cell, OnceCell};
use std::ffi::{c_char, c_void};
use std::ops::ControlFlow;

use crate::config::pullstream_config;
use crate::convert::{self, Scratch};
use crate::enums::CallStatus;
use crate::types::*;
use crate::{copy_out, panic_text, with_handle, with_handle_mut, Guarded};
use pullstream::pipeline::{Item, Pipeline};
use pullstream::summary::Summary;

/// The last decode error a handle reported; its text is the scratch's error text.
#[derive(Clone, Copy, Debug)]
struct LastError {
    status: pullstream_status,
    offset: u64,
}

/// A stream decoder: bytes in, events out, and a verdict at the end.
///
/// **Ownership:** created by `pullstream_decoder_new`, freed by `pullstream_decoder_free`
/// (which accepts NULL). **Threads:** a handle may be moved between threads but must not be
/// used from two at once; distinct handles are independent. Callbacks run on the calling
/// thread and must not call back into the same handle.
pub struct pullstream_decoder {
    pipeline: Pipeline,
    /// `finish` ran to its end: the stream is over.
    finished: bool,
    /// `finish` was called (it may be paused): no more bytes belong to this stream.
    finishing: bool,
    /// A panic was caught: only `last_error` and `free` still work.
    poisoned: Cell<bool>,
    panic_message: OnceCell<String>,
    last_error: Option<LastError>,
    scratch: Scratch,
    /// The summary `pullstream_decoder_outcome` lent strings from.
    outcome_summary: Option<Summary>,
}

impl Guarded for pullstream_decoder {
    fn is_poisoned(&self) -> bool {
        self.poisoned.get()
    }

    /// Marks the handle unusable and keeps the panic's text for `last_error`.
    fn poison(&self, payload: &(dyn std::any::Any + Send)) {
        self.poisoned.set(true);
        let _ = self
            .panic_message
            .set(format!("panic inside pullstream: {}", panic_text(payload)));
    }
}

/// Turns pipeline items into C events and hands them to the callback.
struct Emitter<'h> {
    scratch: &'h mut Scratch,
    last_error: &'h mut Option<LastError>,
    callback: pullstream_event_callback,
    userdata: *mut c_void,
    /// Offset of the last record delivered (for tracker-limit events).
    last_offset: u64,
    /// The event handed to the callback, filled in place for every item (building it in a
    /// local and moving it here cost a copy of its 136 bytes per record).
    view: pullstream_event,
}

impl Emitter<'_> {
    fn item(&mut self, item: Item<'_, '_>) -> ControlFlow<()> {
        match item {
            Item::Event { record, event } => {
                self.last_offset = record.offset();
                if self.callback.is_none() {
                    return ControlFlow::Continue(());
                }
                convert::fill_event_view(&mut self.view, record, event, self.scratch);
            }
            Item::Malformed(error) => {
                self.view = convert::malformed_view(error, self.scratch.error_text_buf());
                self.remember(self.view.error_status, self.view.offset);
            }
            Item::TrackerLimit(limit) => {
                self.view = convert::tracker_limit_view(
                    limit,
                    self.last_offset,
                    self.scratch.error_text_buf(),
                );
                self.remember(self.view.error_status, self.view.offset);
            }
        };
        let Some(callback) = self.callback else {
            return ControlFlow::Continue(());
        };
        // SAFETY: the caller of feed/finish guarantees `callback` may be called with
        // `userdata`; `view` and the bytes it points to live until the call returns.
        let answer = unsafe { callback(self.userdata, &self.view) };
        if answer == 0 {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    }

    fn remember(&mut self, status: pullstream_status, offset: u64) {
        *self.last_error = Some(LastError { status, offset });
    }
}

impl pullstream_decoder {
    fn emitter(
        &mut self,
        callback: pullstream_event_callback,
        userdata: *mut c_void,
    ) -> (&mut Pipeline, Emitter<'_>) {
        self.outcome_summary = None;
        (
            &mut self.pipeline,
            Emitter {
                scratch: &mut self.scratch,
                last_error: &mut self.last_error,
                callback,
                userdata,
                last_offset: 0,
                view: convert::blank_event(),
            },
        )
    }

    /// The transport ended the body early (see `pullstream_decoder_set_truncated_body`).
    pub(super) fn note_truncated_body(&mut self) {
        self.outcome_summary = None;
        self.pipeline.note_truncated_body();
    }

    fn stopped(&self) -> bool {
        let decoder = self.pipeline.decoder();
        decoder.config().get_stop_at_first_error() && decoder.stats().errors > 0
    }
}

/// Creates a decoder and stores it in `*decoder_out`. `config` may be NULL for the defaults; it
/// is copied, so it may be freed right after.
///
/// Returns `OK`, `NULL_ARGUMENT` (`decoder_out` is NULL) or `PANIC`. `*decoder_out` is written
/// only on success.
///
/// # Safety
/// `config` is NULL or a live config; `decoder_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_new(
    config: *const pullstream_config,
    decoder_out: *mut *mut pullstream_decoder,
) -> pullstream_status {
    if decoder_out.is_null() {
        return CallStatus::NullArgument.code();
    }
    // SAFETY: the caller guarantees `config` is NULL or a live config.
    let config = unsafe { config.as_ref() };
    crate::boundary(|| {
        let pipeline = match config {
            Some(c) => Pipeline::with_config(c.decoder.clone(), c.tracker.clone()),
            None => Pipeline::new(),
        };
        let handle = Box::new(pullstream_decoder {
            pipeline,
            finished: false,
            finishing: false,
            poisoned: Cell::new(false),
            panic_message: OnceCell::new(),
            last_error: None,
            scratch: Scratch::default(),
            outcome_summary: None,
        });
        // SAFETY: `decoder_out` is non-NULL and the caller guarantees it is writable.
        unsafe { decoder_out.write(Box::into_raw(handle)) };
        CallStatus::Ok.code()
    })
}

/// Frees a decoder, at any point of its life (even mid-stream, paused, or after a panic).
/// `NULL` is a no-op.
///
/// # Safety
/// `decoder` is NULL or a pointer from `pullstream_decoder_new` that was not freed yet; it must
/// not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_free(decoder: *mut pullstream_decoder) {
    if decoder.is_null() {
        return;
    }
    // SAFETY: `decoder` came from `Box::into_raw` in `pullstream_decoder_new`, freed once.
    let handle = unsafe { Box::from_raw(decoder) };
    let _ = crate::boundary(move || {
        drop(handle);
        CallStatus::Ok.code()
    });
}

/// Feeds the next `len` bytes of the stream, received at `now_ms` (the caller's monotonic clock,
/// in milliseconds). Each event completed by these bytes is passed to `callback` (which may be
/// NULL: the tracker still sees every event), in stream order.
///
/// Returns `OK` when every event was delivered; `PAUSED` when the callback returned non-zero
/// (call again, with `len` 0 or with the next bytes, to resume: nothing is lost);
/// `STOPPED` when the decoder stops at the first error and has met one; `NULL_ARGUMENT`
/// (`decoder` NULL, or `data` NULL with `len` > 0); `INVALID_STATE` once
/// `pullstream_decoder_finish` has been called (even while it is paused: resume it by calling
/// `pullstream_decoder_finish` again) or after an earlier panic; `PANIC`.
///
/// The bytes are not kept after the call returns (a record cut by the end of `data` is copied).
///
/// A record someone else already split off the stream (its JSON text, from your own HTTP
/// client or a JSON library that kept the text) is fed the same way, as it is, followed by a
/// line feed (`"\n"`, in the same call or the next): the events and verdict are those of the
/// bytes on the wire. Re-serialising a parsed object instead loses what its parser dropped
/// (docs/DECODED_RECORDS.md).
///
/// # Safety
/// `decoder` is NULL or a live handle; `data` is valid for reading `len` bytes (or NULL when
/// `len` is 0); `callback`, if not NULL, may be called with `userdata`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_feed(
    decoder: *mut pullstream_decoder,
    data: *const u8,
    len: usize,
    now_ms: u64,
    callback: pullstream_event_callback,
    userdata: *mut c_void,
) -> pullstream_status {
    if decoder.is_null() || (data.is_null() && len > 0) {
        return CallStatus::NullArgument.code();
    }
    let chunk: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: `data` is non-NULL and the caller guarantees `len` readable bytes there.
        unsafe { std::slice::from_raw_parts(data, len) }
    };
    let body = |handle: &mut pullstream_decoder| {
        // Once `finish` has been called the stream has ended, even while that call is paused:
        // bytes fed now would be decoded past the end, and an empty feed would undo the finish.
        if handle.finished || handle.finishing {
            return CallStatus::InvalidState.code();
        }
        let (pipeline, mut emitter) = handle.emitter(callback, userdata);
        let flow = pipeline.feed(chunk, now_ms, |item| emitter.item(item));
        if flow.is_break() {
            CallStatus::Paused.code()
        } else if handle.stopped() {
            CallStatus::Stopped.code()
        } else {
            CallStatus::Ok.code()
        }
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(decoder, body) }
}

/// Ends the stream: delivers the events still held (a record cut off at the end is reported as
/// a `MALFORMED` event with status `TRUNCATED`) and fixes the verdict.
///
/// Returns `OK` (calling it again is a no-op that returns `OK`), `PAUSED` (call
/// `pullstream_decoder_finish` again to resume), `NULL_ARGUMENT`, `INVALID_STATE` after an
/// earlier panic, or `PANIC`.
///
/// # Safety
/// `decoder` is NULL or a live handle; `callback`, if not NULL, may be called with `userdata`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_finish(
    decoder: *mut pullstream_decoder,
    now_ms: u64,
    callback: pullstream_event_callback,
    userdata: *mut c_void,
) -> pullstream_status {
    let body = |handle: &mut pullstream_decoder| {
        if handle.finished {
            return CallStatus::Ok.code();
        }
        handle.finishing = true;
        let (pipeline, mut emitter) = handle.emitter(callback, userdata);
        if pipeline
            .finish(now_ms, |item| emitter.item(item))
            .is_break()
        {
            return CallStatus::Paused.code();
        }
        handle.finished = true;
        CallStatus::Ok.code()
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(decoder, body) }
}

/// Tells the decoder that the transport ended the body before its own end: an HTTP body cut
/// short (a chunked body without its terminating `0` chunk, a connection closed inside a chunk,
/// an identity body shorter than its `Content-Length`), or any transport that knows the body
/// was cut (libcurl's `CURLE_PARTIAL_FILE`). The verdict becomes incomplete with reason
/// `PULLSTREAM_INCOMPLETE_REASON_TRUNCATED_BODY` (exit code 2), even where success would be
/// inferred from a clean end of stream, unless the daemon reported an error (failed) or the
/// input is not a progress stream at all. `pullstream_http_finish_into` calls it for you.
///
/// May be called at any time, before or after `pullstream_decoder_finish`; calling it again
/// changes nothing. Do not call it for the body of an HTTP error response (non-`2xx`): its
/// verdict comes from its JSON message.
///
/// Returns `OK`, `NULL_ARGUMENT`, `INVALID_STATE` after an earlier panic, or `PANIC`.
///
/// # Safety
/// `decoder` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_set_truncated_body(
    decoder: *mut pullstream_decoder,
) -> pullstream_status {
    let body = |handle: &mut pullstream_decoder| {
        handle.note_truncated_body();
        CallStatus::Ok.code()
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(decoder, body) }
}

/// Writes the one-line JSON summary (the command-line tool's `--json` output, without the
/// newline) to `buf` followed by a NUL byte, and its length (without the NUL) to `*len_out`.
/// Before `pullstream_decoder_finish` has completed, the stream counts as ending cleanly.
///
/// Returns `OK`; `BUFFER_TOO_SMALL` when `cap` < length + 1 (only `*len_out` is written: allocate
/// `*len_out + 1` bytes and call again); `NULL_ARGUMENT` (`decoder` or `len_out` NULL, or `buf`
/// NULL with `cap` > 0); `INVALID_STATE`; `PANIC`.
///
/// # Safety
/// `decoder` is NULL or a live handle; `buf` is valid for writing `cap` bytes (or NULL with `cap`
/// 0); `len_out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_summary_json(
    decoder: *const pullstream_decoder,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> pullstream_status {
    let body = |handle: &pullstream_decoder| {
        let json = handle.pipeline.summary().to_json();
        // SAFETY: the caller guarantees `buf`/`cap` and `len_out` as documented.
        unsafe { copy_out(json.as_bytes(), buf, cap, len_out) }
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle(decoder, body) }
}

/// Writes to `*exit_code_out` the exit code for the summary: 0 success, 1 the daemon reported
/// an error, 2 incomplete, 3 not a progress stream at all.
///
/// # Safety
/// `decoder` is NULL or a live handle; `exit_code_out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_exit_code(
    decoder: *const pullstream_decoder,
    exit_code_out: *mut i32,
) -> pullstream_status {
    if exit_code_out.is_null() {
        return CallStatus::NullArgument.code();
    }
    let body = |handle: &pullstream_decoder| {
        let code = handle.pipeline.summary().exit_code();
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { exit_code_out.write(code) };
        CallStatus::Ok.code()
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle(decoder, body) }
}

/// Fills `*outcome_out` with the verdict and the summary's fields. Its strings stay valid until
/// the next call with a non-const `pullstream_decoder *`.
///
/// # Safety
/// `decoder` is NULL or a live handle; `outcome_out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_outcome(
    decoder: *mut pullstream_decoder,
    outcome_out: *mut pullstream_outcome,
) -> pullstream_status {
    if outcome_out.is_null() {
        return CallStatus::NullArgument.code();
    }
    let body = |handle: &mut pullstream_decoder| {
        let tracker = handle.pipeline.tracker();
        let (operation, dialect) = (tracker.operation(), tracker.dialect());
        let summary = handle.outcome_summary.insert(handle.pipeline.summary());
        let error = summary.error.as_ref();
        let mut flags = 0;
        if error.is_some_and(|e| e.retryable) {
            flags |= PULLSTREAM_FLAG_RETRYABLE;
        }
        let error_code = error.and_then(|e| e.code);
        if error_code.is_some() {
            flags |= PULLSTREAM_FLAG_HAS_ERROR_CODE;
        }
        let outcome = pullstream_outcome {
            verdict: summary.outcome.code(),
            operation: operation.code(),
            dialect: dialect.code(),
            success_kind: summary.result.map_or(0, |kind| kind.code()),
            failure_kind: error.map_or(0, |e| e.kind.code()),
            incomplete_reason: summary.incomplete_reason.map_or(0, |reason| reason.code()),
            exit_code: summary.exit_code(),
            flags,
            error_code: error_code.unwrap_or(0),
            reference: pullstream_bytes::from_opt(summary.reference.as_deref()),
            digest: pullstream_bytes::from_opt(summary.digest.as_deref()),
            image_id: pullstream_bytes::from_opt(summary.image_id.as_deref()),
            error_message: pullstream_bytes::from_opt(error.map(|e| e.message.as_str())),
            layers_seen: summary.layers.seen as u64,
            layers_complete: summary.layers.complete as u64,
            layers_already_present: summary.layers.already_present as u64,
            layers_pending: summary.layers.pending as u64,
            bytes_downloaded: summary.bytes.downloaded,
            bytes_total_known: summary.bytes.total_known,
            records: summary.records,
            malformed_records: summary.malformed_records,
        };
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { outcome_out.write(outcome) };
        CallStatus::Ok.code()
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(decoder, body) }
}

/// Fills `*snapshot_out` with progress over the whole stream so far. Changes nothing.
///
/// # Safety
/// `decoder` is NULL or a live handle; `snapshot_out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_snapshot(
    decoder: *const pullstream_decoder,
    snapshot_out: *mut pullstream_snapshot,
) -> pullstream_status {
    if snapshot_out.is_null() {
        return CallStatus::NullArgument.code();
    }
    let body = |handle: &pullstream_decoder| {
        let snapshot = handle.pipeline.tracker().snapshot();
        let aggregate = snapshot.aggregate;
        let decoder = handle.pipeline.decoder();
        let stats = decoder.stats();
        let out = pullstream_snapshot {
            operation: snapshot.operation.code(),
            dialect: snapshot.dialect.code(),
            layer_count: snapshot.layers.len(),
            segment_count: snapshot.segments.len(),
            layers_known: aggregate.layers_known,
            layers_done: aggregate.layers_done,
            layers_already_present: aggregate.layers_already_present,
            bytes_done: aggregate.bytes_done,
            bytes_total_known: aggregate.bytes_total_known,
            percent_by_count: aggregate.percent_by_count,
            percent_by_bytes: aggregate.percent_by_bytes,
            bytes_per_sec: aggregate.bytes_per_sec.unwrap_or(-1.0),
            eta_secs: aggregate.eta_secs.unwrap_or(-1.0),
            position: decoder.position(),
            records: stats.records,
            decode_errors: stats.errors,
        };
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { snapshot_out.write(out) };
        CallStatus::Ok.code()
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle(decoder, body) }
}

/// Fills `*layer_out` with entry `index` of the layer table (`0 <= index < layer_count` of
/// the snapshot; layers in order of first appearance). Returns `INVALID_ARGUMENT` past the end.
/// The id stays valid until the next call with a non-const `pullstream_decoder *`.
///
/// # Safety
/// `decoder` is NULL or a live handle; `layer_out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_layer(
    decoder: *const pullstream_decoder,
    index: usize,
    layer_out: *mut pullstream_layer,
) -> pullstream_status {
    if layer_out.is_null() {
        return CallStatus::NullArgument.code();
    }
    let body = |handle: &pullstream_decoder| {
        let snapshot = handle.pipeline.tracker().snapshot();
        let Some(layer) = snapshot.layers.get(index) else {
            return CallStatus::InvalidArgument.code();
        };
        let transfer = layer.transfer();
        let (extract, extract_unit) = layer.extract();
        let total = |t: Option<u64>| t.and_then(|t| i64::try_from(t).ok()).unwrap_or(-1);
        let mut flags = 0;
        if layer.is_stalled() {
            flags |= PULLSTREAM_FLAG_STALLED;
        }
        if layer.is_non_layer() {
            flags |= PULLSTREAM_FLAG_NON_LAYER;
        }
        let out = pullstream_layer {
            id: pullstream_bytes::borrow(layer.id().as_bytes()),
            segment: layer.segment(),
            phase: layer.phase().code(),
            completion: layer.completion().map_or(0, |how| how.code()),
            transfer_current: transfer.current,
            transfer_total: total(transfer.total),
            extract_current: extract.current,
            extract_total: total(extract.total),
            extract_unit: extract_unit.code(),
            retries: layer.retries(),
            flags,
        };
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { layer_out.write(out) };
        CallStatus::Ok.code()
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle(decoder, body) }
}

/// Checks every active layer against the stall thresholds at `now_ms` and passes each layer
/// newly found stalled to `callback` (may be NULL). A layer is reported once, until it makes
/// progress again. `*count_out`, when not NULL, receives the number of stalls found. The
/// library cancels nothing: what to do about a stall is the caller's choice.
///
/// # Safety
/// `decoder` is NULL or a live handle; `callback`, if not NULL, may be called with `userdata`;
/// `count_out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_poll_stalls(
    decoder: *mut pullstream_decoder,
    now_ms: u64,
    callback: pullstream_stall_callback,
    userdata: *mut c_void,
    count_out: *mut usize,
) -> pullstream_status {
    let body = |handle: &mut pullstream_decoder| {
        handle.outcome_summary = None;
        let stalls = handle.pipeline.tracker_mut().poll_stalls(now_ms);
        if let Some(callback) = callback {
            for stall in &stalls {
                let (reason, idle_ms, bytes_per_sec) = convert::stall_reason_view(stall.reason);
                let view = pullstream_stall {
                    layer_id: pullstream_bytes::borrow(stall.layer.as_bytes()),
                    phase: stall.phase.code(),
                    reason,
                    idle_ms,
                    bytes_per_sec,
                };
                // SAFETY: the caller guarantees `callback` may be called with `userdata`;
                // `view` lives until the call returns.
                unsafe { callback(userdata, &view) };
            }
        }
        if !count_out.is_null() {
            // SAFETY: non-NULL, and the caller guarantees it is writable.
            unsafe { count_out.write(stalls.len()) };
        }
        CallStatus::Ok.code()
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(decoder, body) }
}

/// Copies the handle's last error into the caller's buffer: the text of the last decode error
/// (the same text as the last `MALFORMED`/`TRACKER_LIMIT` event's `error_message`), or, after a
/// caught panic, a description of the panic. `*status_out` (may be NULL) receives its status
/// (`OK` when there was none, with an empty text), `*offset_out` (may be NULL) its stream
/// offset. Works on a handle that panicked. Buffer rules as in
/// `pullstream_decoder_summary_json`.
///
/// # Safety
/// `decoder` is NULL or a live handle; `buf` is valid for writing `cap` bytes (or NULL with `cap`
/// 0); `len_out`, `offset_out` and `status_out` are NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_decoder_last_error(
    decoder: *const pullstream_decoder,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
    offset_out: *mut u64,
    status_out: *mut pullstream_status,
) -> pullstream_status {
    // SAFETY: the caller guarantees `decoder` is NULL or a live handle not being mutated.
    let Some(handle) = (unsafe { decoder.as_ref() }) else {
        return CallStatus::NullArgument.code();
    };
    let (status, offset, text) = match (handle.panic_message.get(), &handle.last_error) {
        (Some(message), _) => (CallStatus::Panic.code(), 0, message.as_str()),
        (None, Some(last)) => (last.status, last.offset, handle.scratch.error_text()),
        (None, None) => (CallStatus::Ok.code(), 0, ""),
    };
    // SAFETY: forwarded from the caller.
    let copied = unsafe { copy_out(text.as_bytes(), buf, cap, len_out) };
    if copied == CallStatus::Ok.code() {
        if !offset_out.is_null() {
            // SAFETY: non-NULL, and the caller guarantees it is writable.
            unsafe { offset_out.write(offset) };
        }
        if !status_out.is_null() {
            // SAFETY: non-NULL, and the caller guarantees it is writable.
            unsafe { status_out.write(status) };
        }
    }
    copied
}
