//! From the crate's Rust types to the plain C values of [`crate::types`]. Enumerations convert
//! by their stable codes (`kind.code()`), so nothing here lists their variants.

use std::fmt::Write as _;

use crate::enums::{CallStatus, ItemKind};
use crate::types::*;
use pullstream::decoder::Record;
use pullstream::error::Error;
use pullstream::event::{Event, EventKind, Progress};
use pullstream::json::{JsonStr, RawJson};
use pullstream::tracker::TrackerLimit;

/// Buffers for text that must be unescaped before C can see it, one per event field. Reused
/// for every event, so decoding allocates only when a string with escapes is longer than any
/// seen before.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    status: String,
    id: String,
    layer: String,
    detail: String,
    tag: String,
    /// The daemon's error message of an `ERROR` event.
    daemon_message: String,
    /// The text of the last decode error or layer-limit notice: that event's `error_message`
    /// borrows it, and `pullstream_decoder_last_error` copies it out. Only those two events
    /// write it, so it always holds the last error's text and nothing needs copying per error.
    error_text: String,
}

impl Scratch {
    /// The buffer for the text of a decode error (see `error_text`).
    pub(crate) fn error_text_buf(&mut self) -> &mut String {
        &mut self.error_text
    }

    /// The text of the last decode error or layer-limit notice (empty before the first).
    pub(crate) fn error_text(&self) -> &str {
        &self.error_text
    }
}

/// The decoded text of `text`: borrowed in place when it has no escapes, otherwise unescaped
/// into `buf`. The result is valid while `text`'s bytes and `buf` are neither moved nor changed.
fn decoded(text: Option<JsonStr<'_>>, buf: &mut String) -> pullstream_bytes {
    match text {
        None => pullstream_bytes::ABSENT,
        Some(text) if !text.has_escapes() => pullstream_bytes::borrow(text.raw().as_bytes()),
        Some(text) => {
            buf.clear();
            buf.extend(text.chars());
            pullstream_bytes::borrow(buf.as_bytes())
        }
    }
}

fn raw(json: RawJson<'_>) -> pullstream_bytes {
    pullstream_bytes::borrow(json.get().as_bytes())
}

fn number(value: Option<u64>) -> i64 {
    value.and_then(|v| i64::try_from(v).ok()).unwrap_or(-1)
}

/// An event with nothing set: kind OTHER, absent strings, unknown numbers.
pub(crate) fn blank_event() -> pullstream_event {
    pullstream_event {
        kind: EventKind::Other.code(),
        flags: 0,
        offset: 0,
        record: pullstream_bytes::ABSENT,
        status: pullstream_bytes::ABSENT,
        id: pullstream_bytes::ABSENT,
        layer_id: pullstream_bytes::ABSENT,
        detail: pullstream_bytes::ABSENT,
        tag: pullstream_bytes::ABSENT,
        progress_current: -1,
        progress_total: -1,
        progress_unit: 0,
        pull_result: 0,
        size: -1,
        retry_seconds: 0,
        failure_kind: 0,
        error_code: 0,
        error_status: CallStatus::Ok.code(),
        error_message: pullstream_bytes::ABSENT,
    }
}

fn set_progress(out: &mut pullstream_event, progress: Progress) {
    out.progress_current = number(progress.current);
    out.progress_total = number(progress.total);
    out.progress_unit = progress.unit.code();
    if progress.hidden {
        out.flags |= PULLSTREAM_FLAG_PROGRESS_HIDDEN;
    }
}

/// Fills `out` with the C view of one record and its event. Pointers borrow `record` and
/// `scratch`. `out` is written in place, not returned: the view is 136 bytes, and a copy of it
/// per record was a measurable part of the C path's overhead.
pub(crate) fn fill_event_view(
    out: &mut pullstream_event,
    record: &Record<'_>,
    event: &Event<'_>,
    scratch: &mut Scratch,
) {
    let message = record.message();
    *out = blank_event();
    out.kind = event.kind().code();
    out.offset = record.offset();
    out.record = pullstream_bytes::borrow(record.as_bytes());
    out.status = decoded(message.status, &mut scratch.status);
    out.id = decoded(message.id, &mut scratch.id);
    out.layer_id = decoded(event.layer_id(), &mut scratch.layer);
    match event.progress() {
        // Progress events (most of a pull) carry nothing else.
        Some(progress) => set_progress(out, progress),
        None => fill_event_details(out, event, scratch),
    }
}

/// The kind-specific fields of an event without progress. Kept out of line so the path taken
/// by progress records stays small.
#[inline(never)]
fn fill_event_details(out: &mut pullstream_event, event: &Event<'_>, scratch: &mut Scratch) {
    let detail = &mut scratch.detail;
    let tag = &mut scratch.tag;
    match *event {
        Event::PullingFrom {
            repository,
            tag: pulled_tag,
        } => {
            out.detail = decoded(Some(repository), detail);
            out.tag = decoded(pulled_tag, tag);
        }
        Event::Retrying { seconds, .. } => out.retry_seconds = seconds,
        Event::PullFinished { result, reference } => {
            out.detail = decoded(Some(reference), detail);
            out.pull_result = result.code();
        }
        Event::TagDigest {
            tag: pushed_tag,
            digest,
            size,
        } => {
            out.detail = decoded(Some(digest), detail);
            out.tag = decoded(Some(pushed_tag), tag);
            out.size = number(size);
        }
        Event::PushResult {
            tag: pushed_tag,
            digest,
            size,
        } => {
            out.detail = decoded(digest, detail);
            out.tag = decoded(pushed_tag, tag);
            out.size = number(size);
        }
        Event::MountedFrom { repository, .. } | Event::PushRefersTo { repository } => {
            out.detail = decoded(Some(repository), detail)
        }
        Event::Digest { digest: text }
        | Event::BuildOutput { text }
        | Event::BuiltImage { id: text, .. }
        | Event::Tagged { reference: text }
        | Event::LoadedImage { reference: text }
        | Event::LoadedImageId { id: text }
        | Event::DownloadingFrom { url: text }
        | Event::ImportedImage { id: text }
        | Event::PodmanPulledImage { id: text }
        | Event::PullingRepository { name: text }
        | Event::LegacyNotice { text }
        | Event::Warning { text } => out.detail = decoded(Some(text), detail),
        Event::BuildKitTrace { data } | Event::Aux { data, .. } => out.detail = raw(data),
        Event::Error(error) => {
            out.error_message = decoded(Some(error.message), &mut scratch.daemon_message);
            out.failure_kind = error.kind.code();
            if error.kind.is_retryable() {
                out.flags |= PULLSTREAM_FLAG_RETRYABLE;
            }
            if let Some(code) = error.code {
                out.error_code = code;
                out.flags |= PULLSTREAM_FLAG_HAS_ERROR_CODE;
            }
        }
        // The layer states (`Waiting`, `Pushed`, …), `Empty`, `Other`, and kinds added to the
        // core crate later: nothing beyond the kind, the layer and the progress.
        _ => {}
    }
}

/// The C view of bytes that could not be decoded. `message` receives the error text.
pub(crate) fn malformed_view(error: &Error, message: &mut String) -> pullstream_event {
    message.clear();
    let _ = write!(message, "{error}");
    let mut out = blank_event();
    out.kind = ItemKind::Malformed.code();
    out.offset = error.offset();
    out.error_status = error.kind().class().code();
    out.error_message = pullstream_bytes::borrow(message.as_bytes());
    out
}

/// The C view of a tracker-limit notice, at the offset of the record that reached the limit;
/// its message is written into `message` (the scratch's error text).
pub(crate) fn tracker_limit_view(
    limit: TrackerLimit,
    offset: u64,
    message: &mut String,
) -> pullstream_event {
    message.clear();
    let _ = write!(message, "byte {offset}: {limit}");
    let mut out = blank_event();
    out.kind = ItemKind::TrackerLimit.code();
    out.offset = offset;
    out.error_status = limit.which.code();
    out.size = i64::try_from(limit.limit).unwrap_or(i64::MAX);
    out.error_message = pullstream_bytes::borrow(message.as_bytes());
    out
}

/// The C stall reason, idle time and rate of a stall reason.
pub(crate) fn stall_reason_view(
    reason: pullstream::tracker::StallReason,
) -> (pullstream_stall_reason, u64, u64) {
    (
        reason.kind().code(),
        reason.idle_ms().unwrap_or(0),
        reason.bytes_per_sec().unwrap_or(0),
    )
}
