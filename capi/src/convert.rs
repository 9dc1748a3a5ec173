//! From the crate's Rust types to the plain C values of [`crate::types`], and the static names
//! of the C enumerations.

use std::fmt::Write as _;

use crate::types::*;
use pullstream::decoder::Record;
use pullstream::error::{Error, ErrorKind};
use pullstream::event::{Event, FailureKind, Progress, PullResult, Unit};
use pullstream::json::{JsonStr, RawJson};
use pullstream::outcome::{Dialect, IncompleteReason, Operation, SuccessKind};
use pullstream::tracker::{Completion, Limit, Phase, StallReason, TrackerLimit};

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
        kind: pullstream_event_kind::Other,
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
        progress_unit: pullstream_unit::None,
        pull_result: pullstream_pull_result::None,
        size: -1,
        retry_seconds: 0,
        failure_kind: pullstream_failure_kind::None,
        error_code: 0,
        error_status: pullstream_status::Ok,
        error_message: pullstream_bytes::ABSENT,
    }
}

fn set_progress(out: &mut pullstream_event, progress: Progress) {
    out.progress_current = number(progress.current);
    out.progress_total = number(progress.total);
    out.progress_unit = unit_code(progress.unit);
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
    out.kind = event_kind_code(event);
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
            out.pull_result = match result {
                PullResult::Downloaded => pullstream_pull_result::Downloaded,
                PullResult::UpToDate => pullstream_pull_result::UpToDate,
            };
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
            out.failure_kind = failure_kind_code(error.kind);
            if error.kind.is_retryable() {
                out.flags |= PULLSTREAM_FLAG_RETRYABLE;
            }
            if let Some(code) = error.code {
                out.error_code = code;
                out.flags |= PULLSTREAM_FLAG_HAS_ERROR_CODE;
            }
        }
        #[allow(unreachable_patterns)] // new variants carry nothing the C view knows yet
        _ => {}
    }
}

/// The C view of bytes that could not be decoded. `message` receives the error text.
pub(crate) fn malformed_view(error: &Error, message: &mut String) -> pullstream_event {
    message.clear();
    let _ = write!(message, "{error}");
    let mut out = blank_event();
    out.kind = pullstream_event_kind::Malformed;
    out.offset = error.offset();
    out.error_status = decode_error_status(error.kind());
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
    out.kind = pullstream_event_kind::TrackerLimit;
    out.offset = offset;
    out.error_status = limit_status(limit.which);
    out.size = i64::try_from(limit.limit).unwrap_or(i64::MAX);
    out.error_message = pullstream_bytes::borrow(message.as_bytes());
    out
}

/// Every tracker limit with its C status: the one list both directions read (the notice's
/// `error_status`, `pullstream_config_set_limit`'s argument). Each status is named
/// `PULLSTREAM_STATUS_<LIMIT NAME>_LIMIT` after [`Limit::name`]; a test checks this list
/// against [`Limit::ALL`] and [`STATUS_NAMES`].
pub(crate) const LIMIT_STATUSES: &[(Limit, pullstream_status)] = {
    use pullstream_status as S;
    &[
        (Limit::Layers, S::LayerLimit),
        (Limit::Segments, S::SegmentLimit),
        (Limit::IdLength, S::IdLengthLimit),
        (Limit::TextLength, S::TextLengthLimit),
        (Limit::ErrorLength, S::ErrorLengthLimit),
    ]
};

/// The C status of a tracker limit (limits added later than the C list read as OTHER).
pub(crate) fn limit_status(which: Limit) -> pullstream_status {
    LIMIT_STATUSES
        .iter()
        .find(|(limit, _)| *limit == which)
        .map_or(pullstream_status::MalformedOther, |&(_, status)| status)
}

/// The tracker limit a C status names, if it names one.
pub(crate) fn limit_of_status(status: u32) -> Option<Limit> {
    LIMIT_STATUSES
        .iter()
        .find(|(_, s)| *s as u32 == status)
        .map(|&(limit, _)| limit)
}

/// The status code of a decode error kind.
pub(crate) fn decode_error_status(kind: &ErrorKind) -> pullstream_status {
    match kind {
        ErrorKind::NotJson { .. } => pullstream_status::NotJson,
        ErrorKind::Unterminated { .. } => pullstream_status::Unterminated,
        ErrorKind::RecordTooLarge { .. } => pullstream_status::RecordTooLarge,
        ErrorKind::TooDeep { .. } => pullstream_status::TooDeep,
        ErrorKind::Syntax { .. } => pullstream_status::Syntax,
        ErrorKind::WrongType { .. } => pullstream_status::WrongType,
        ErrorKind::DuplicateField { .. } => pullstream_status::DuplicateField,
        ErrorKind::Truncated { .. } => pullstream_status::Truncated,
        #[allow(unreachable_patterns)]
        _ => pullstream_status::MalformedOther,
    }
}

/// The C kind of an event; kinds added to [`Event`] later map to OTHER.
pub(crate) fn event_kind_code(event: &Event<'_>) -> pullstream_event_kind {
    use pullstream_event_kind as K;
    match event {
        Event::PullingFrom { .. } => K::PullingFrom,
        Event::PullingFsLayer { .. } => K::PullingFsLayer,
        Event::Waiting { .. } => K::Waiting,
        Event::Downloading { .. } => K::Downloading,
        Event::VerifyingChecksum { .. } => K::VerifyingChecksum,
        Event::DownloadComplete { .. } => K::DownloadComplete,
        Event::Extracting { .. } => K::Extracting,
        Event::PullComplete { .. } => K::PullComplete,
        Event::AlreadyExists { .. } => K::AlreadyExists,
        Event::Retrying { .. } => K::Retrying,
        Event::Digest { .. } => K::Digest,
        Event::PullFinished { .. } => K::PullFinished,
        Event::PushRefersTo { .. } => K::PushRefersTo,
        Event::Preparing { .. } => K::Preparing,
        Event::Pushing { .. } => K::Pushing,
        Event::Pushed { .. } => K::Pushed,
        Event::LayerAlreadyExists { .. } => K::LayerAlreadyExists,
        Event::MountedFrom { .. } => K::MountedFrom,
        Event::TagDigest { .. } => K::TagDigest,
        Event::PushResult { .. } => K::PushResult,
        Event::BuildOutput { .. } => K::BuildOutput,
        Event::BuiltImage { .. } => K::BuiltImage,
        Event::Tagged { .. } => K::Tagged,
        Event::BuildKitTrace { .. } => K::BuildkitTrace,
        Event::LoadingLayer { .. } => K::LoadingLayer,
        Event::LoadedImage { .. } => K::LoadedImage,
        Event::LoadedImageId { .. } => K::LoadedImageId,
        Event::DownloadingFrom { .. } => K::DownloadingFrom,
        Event::Importing { .. } => K::Importing,
        Event::ImportedImage { .. } => K::ImportedImage,
        Event::PodmanPulledImage { .. } => K::PodmanPulledImage,
        Event::PullingRepository { .. } => K::PullingRepository,
        Event::LegacyNotice { .. } => K::LegacyNotice,
        Event::Warning { .. } => K::Warning,
        Event::Aux { .. } => K::Aux,
        Event::Error(_) => K::Error,
        Event::Empty => K::Empty,
        Event::Other(_) => K::Other,
        #[allow(unreachable_patterns)]
        _ => K::Other,
    }
}

/// Every event kind with its stable name, NUL-terminated (the names of `Event::kind_name`, plus
/// `malformed` and `tracker_limit`).
pub(crate) const EVENT_KIND_NAMES: &[(pullstream_event_kind, &str)] = {
    use pullstream_event_kind as K;
    &[
        (K::Other, "other\0"),
        (K::PullingFrom, "pulling_from\0"),
        (K::PullingFsLayer, "pulling_fs_layer\0"),
        (K::Waiting, "waiting\0"),
        (K::Downloading, "downloading\0"),
        (K::VerifyingChecksum, "verifying_checksum\0"),
        (K::DownloadComplete, "download_complete\0"),
        (K::Extracting, "extracting\0"),
        (K::PullComplete, "pull_complete\0"),
        (K::AlreadyExists, "already_exists\0"),
        (K::Retrying, "retrying\0"),
        (K::Digest, "digest\0"),
        (K::PullFinished, "pull_finished\0"),
        (K::PushRefersTo, "push_refers_to\0"),
        (K::Preparing, "preparing\0"),
        (K::Pushing, "pushing\0"),
        (K::Pushed, "pushed\0"),
        (K::LayerAlreadyExists, "layer_already_exists\0"),
        (K::MountedFrom, "mounted_from\0"),
        (K::TagDigest, "tag_digest\0"),
        (K::PushResult, "push_result\0"),
        (K::BuildOutput, "build_output\0"),
        (K::BuiltImage, "built_image\0"),
        (K::Tagged, "tagged\0"),
        (K::BuildkitTrace, "buildkit_trace\0"),
        (K::LoadingLayer, "loading_layer\0"),
        (K::LoadedImage, "loaded_image\0"),
        (K::LoadedImageId, "loaded_image_id\0"),
        (K::DownloadingFrom, "downloading_from\0"),
        (K::Importing, "importing\0"),
        (K::ImportedImage, "imported_image\0"),
        (K::PodmanPulledImage, "podman_pulled_image\0"),
        (K::PullingRepository, "pulling_repository\0"),
        (K::LegacyNotice, "legacy_notice\0"),
        (K::Warning, "warning\0"),
        (K::Aux, "aux\0"),
        (K::Error, "error\0"),
        (K::Empty, "empty\0"),
        (K::Malformed, "malformed\0"),
        (K::TrackerLimit, "tracker_limit\0"),
    ]
};

/// Every status with its name (NUL-terminated, for C).
pub(crate) const STATUS_NAMES: &[(pullstream_status, &str)] = {
    use pullstream_status as S;
    &[
        (S::Ok, "PULLSTREAM_STATUS_OK\0"),
        (S::NullArgument, "PULLSTREAM_STATUS_NULL_ARGUMENT\0"),
        (S::InvalidArgument, "PULLSTREAM_STATUS_INVALID_ARGUMENT\0"),
        (S::InvalidState, "PULLSTREAM_STATUS_INVALID_STATE\0"),
        (S::Panic, "PULLSTREAM_STATUS_PANIC\0"),
        (S::BufferTooSmall, "PULLSTREAM_STATUS_BUFFER_TOO_SMALL\0"),
        (S::Paused, "PULLSTREAM_STATUS_PAUSED\0"),
        (S::Stopped, "PULLSTREAM_STATUS_STOPPED\0"),
        (S::NotJson, "PULLSTREAM_STATUS_NOT_JSON\0"),
        (S::Unterminated, "PULLSTREAM_STATUS_UNTERMINATED\0"),
        (S::RecordTooLarge, "PULLSTREAM_STATUS_RECORD_TOO_LARGE\0"),
        (S::TooDeep, "PULLSTREAM_STATUS_TOO_DEEP\0"),
        (S::Syntax, "PULLSTREAM_STATUS_SYNTAX\0"),
        (S::WrongType, "PULLSTREAM_STATUS_WRONG_TYPE\0"),
        (S::DuplicateField, "PULLSTREAM_STATUS_DUPLICATE_FIELD\0"),
        (S::Truncated, "PULLSTREAM_STATUS_TRUNCATED\0"),
        (S::HttpBadHead, "PULLSTREAM_STATUS_HTTP_BAD_HEAD\0"),
        (S::HttpTooLarge, "PULLSTREAM_STATUS_HTTP_TOO_LARGE\0"),
        (S::HttpBadChunk, "PULLSTREAM_STATUS_HTTP_BAD_CHUNK\0"),
        (S::HttpTruncated, "PULLSTREAM_STATUS_HTTP_TRUNCATED\0"),
        (S::HttpUnsupported, "PULLSTREAM_STATUS_HTTP_UNSUPPORTED\0"),
        (S::LayerLimit, "PULLSTREAM_STATUS_LAYER_LIMIT\0"),
        (S::SegmentLimit, "PULLSTREAM_STATUS_SEGMENT_LIMIT\0"),
        (S::IdLengthLimit, "PULLSTREAM_STATUS_ID_LENGTH_LIMIT\0"),
        (S::TextLengthLimit, "PULLSTREAM_STATUS_TEXT_LENGTH_LIMIT\0"),
        (
            S::ErrorLengthLimit,
            "PULLSTREAM_STATUS_ERROR_LENGTH_LIMIT\0",
        ),
        (S::MalformedOther, "PULLSTREAM_STATUS_MALFORMED_OTHER\0"),
    ]
};

/// Every failure kind, in C order.
const FAILURE_KINDS: &[(FailureKind, pullstream_failure_kind)] = {
    use pullstream_failure_kind as F;
    &[
        (FailureKind::RateLimited, F::RateLimited),
        (FailureKind::Unauthorized, F::Unauthorized),
        (FailureKind::NotFound, F::NotFound),
        (FailureKind::PlatformMismatch, F::PlatformMismatch),
        (FailureKind::DiskFull, F::DiskFull),
        (FailureKind::Network, F::Network),
        (FailureKind::Cancelled, F::Cancelled),
        (FailureKind::BuildFailed, F::BuildFailed),
        (FailureKind::Other, F::Other),
    ]
};

/// The C failure kind of a Rust one (kinds added later map to OTHER).
pub(crate) fn failure_kind_code(kind: FailureKind) -> pullstream_failure_kind {
    FAILURE_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(pullstream_failure_kind::Other, |(_, c)| *c)
}

/// The C failure kind of a summary's `error.kind` name.
pub(crate) fn failure_kind_from_name(name: &str) -> pullstream_failure_kind {
    FAILURE_KINDS
        .iter()
        .find(|(k, _)| k.as_str() == name)
        .map_or(pullstream_failure_kind::Other, |(_, c)| *c)
}

/// The name of a failure kind value (NUL-terminated), if it is one.
pub(crate) fn failure_kind_name(value: u32) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "none\0",
        "rate_limited\0",
        "unauthorized\0",
        "not_found\0",
        "platform_mismatch\0",
        "disk_full\0",
        "network\0",
        "cancelled\0",
        "build_failed\0",
        "other\0",
    ];
    NAMES.get(usize::try_from(value).ok()?).copied()
}

/// The C success kind of a summary's `result` name.
pub(crate) fn success_kind_from_name(name: Option<&str>) -> pullstream_success_kind {
    use pullstream_success_kind as S;
    let kinds = [
        (SuccessKind::Downloaded, S::Downloaded),
        (SuccessKind::UpToDate, S::UpToDate),
        (SuccessKind::Pushed, S::Pushed),
        (SuccessKind::Built, S::Built),
        (SuccessKind::Loaded, S::Loaded),
        (SuccessKind::Imported, S::Imported),
    ];
    kinds
        .iter()
        .find(|(k, _)| Some(k.as_str()) == name)
        .map_or(S::None, |(_, c)| *c)
}

/// The C incomplete reason of a summary's `incomplete_reason` name.
pub(crate) fn incomplete_reason_from_name(name: Option<&str>) -> pullstream_incomplete_reason {
    use pullstream_incomplete_reason as R;
    let reasons = [
        (IncompleteReason::EmptyStream, R::EmptyStream),
        (IncompleteReason::CutMidRecord, R::CutMidRecord),
        (IncompleteReason::NoTerminalStatus, R::NoTerminalStatus),
        (IncompleteReason::TruncatedBody, R::TruncatedBody),
        (IncompleteReason::NotAProgressStream, R::NotAProgressStream),
    ];
    reasons
        .iter()
        .find(|(r, _)| Some(r.as_str()) == name)
        .map_or(R::None, |(_, c)| *c)
}

/// The C verdict of a summary's `outcome` name.
pub(crate) fn verdict_from_name(name: &str) -> pullstream_verdict {
    match name {
        "success" => pullstream_verdict::Success,
        "failed" => pullstream_verdict::Failed,
        "incomplete" => pullstream_verdict::Incomplete,
        _ => pullstream_verdict::Unknown,
    }
}

/// The C operation of a Rust one.
pub(crate) fn operation_code(operation: Operation) -> pullstream_operation {
    match operation {
        Operation::Pull => pullstream_operation::Pull,
        Operation::Push => pullstream_operation::Push,
        Operation::Build => pullstream_operation::Build,
        Operation::Load => pullstream_operation::Load,
        Operation::Import => pullstream_operation::Import,
        #[allow(unreachable_patterns)]
        _ => pullstream_operation::Unknown,
    }
}

/// The C dialect of a Rust one.
pub(crate) fn dialect_code(dialect: Dialect) -> pullstream_dialect {
    match dialect {
        Dialect::Docker => pullstream_dialect::Docker,
        Dialect::DockerContainerd => pullstream_dialect::DockerContainerd,
        Dialect::Podman => pullstream_dialect::Podman,
        #[allow(unreachable_patterns)]
        _ => pullstream_dialect::Unknown,
    }
}

/// The C phase of a Rust one.
pub(crate) fn phase_code(phase: Phase) -> pullstream_phase {
    match phase {
        Phase::Queued => pullstream_phase::Queued,
        Phase::Waiting => pullstream_phase::Waiting,
        Phase::Retrying => pullstream_phase::Retrying,
        Phase::Transferring => pullstream_phase::Transferring,
        Phase::Verifying => pullstream_phase::Verifying,
        Phase::Downloaded => pullstream_phase::Downloaded,
        Phase::Extracting => pullstream_phase::Extracting,
        Phase::Done => pullstream_phase::Done,
        #[allow(unreachable_patterns)]
        _ => pullstream_phase::Unknown,
    }
}

/// The C completion of a Rust one.
pub(crate) fn completion_code(completion: Option<Completion>) -> pullstream_completion {
    match completion {
        Some(Completion::Pulled) => pullstream_completion::Pulled,
        Some(Completion::AlreadyPresent) => pullstream_completion::AlreadyPresent,
        Some(Completion::Pushed) => pullstream_completion::Pushed,
        Some(Completion::Loaded) => pullstream_completion::Loaded,
        #[allow(unreachable_patterns)]
        _ => pullstream_completion::None,
    }
}

/// The C unit of a Rust one.
pub(crate) fn unit_code(unit: Unit) -> pullstream_unit {
    match unit {
        Unit::Bytes => pullstream_unit::Bytes,
        Unit::Seconds => pullstream_unit::Seconds,
    }
}

/// The C view of a stall reason: `(reason, idle_ms, bytes_per_sec)`.
pub(crate) fn stall_reason_code(reason: StallReason) -> (pullstream_stall_reason, u64, u64) {
    match reason {
        StallReason::NoProgress { idle_ms } => (pullstream_stall_reason::NoProgress, idle_ms, 0),
        StallReason::TooSlow { bytes_per_sec } => {
            (pullstream_stall_reason::TooSlow, 0, bytes_per_sec)
        }
        #[allow(unreachable_patterns)]
        _ => (pullstream_stall_reason::Unknown, 0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C list of tracker limits covers every limit once, with distinct statuses in the
    /// 150–159 range named after the limit, both ways round.
    #[test]
    fn every_limit_has_one_status_named_after_it() {
        assert_eq!(LIMIT_STATUSES.len(), Limit::ALL.len());
        for which in Limit::ALL {
            let status = limit_status(which);
            assert!((150..160).contains(&(status as u32)), "{which:?}");
            assert_eq!(limit_of_status(status as u32), Some(which));
            let name = STATUS_NAMES
                .iter()
                .find(|(s, _)| *s == status)
                .map(|(_, name)| name.trim_end_matches('\0'));
            let expected = format!("PULLSTREAM_STATUS_{}_LIMIT", which.name().to_uppercase());
            assert_eq!(name, Some(expected.as_str()));
        }
        assert_eq!(limit_of_status(pullstream_status::Ok as u32), None);
        assert_eq!(
            limit_of_status(pullstream_status::MalformedOther as u32),
            None
        );
    }
}
