//! Every C enumeration, composed from the core crate's stable tables ([`pullstream::stable`]).
//!
//! The Rust side of the ABI carries enumeration values as `uint32_t` (the type aliases in
//! `types.rs`); the C `enum` blocks, the `pullstream_*_name()` functions, the Python
//! constants and the tables in `docs/C_API.md` are all generated from [`C_ENUMS`], which adds
//! to the core tables only the values that exist in C alone (`NONE`/`UNKNOWN` for "no value",
//! the decoder's items that are not records, the statuses of a call). So a variant added in
//! the core crate reaches C, Python and the docs with no edit here; the freshness tests of
//! the header, the Python module and the docs say which file to regenerate.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use pullstream::error::ErrorClass;
use pullstream::event::{EventKind, FailureKind, PullResult, Unit};
use pullstream::http::HttpErrorClass;
use pullstream::outcome::{Dialect, IncompleteReason, Operation, SuccessKind, Verdict};
use pullstream::stable::{Entry, StableEnum};
use pullstream::stable_enum;
use pullstream::tracker::{Completion, Limit, Phase, StallKind, StallPhase};

stable_enum! {
    /// The statuses about a call itself (the other statuses name decode errors, HTTP errors
    /// and tracker limits: see [`STATUS`]).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum CallStatus {
        /// Success.
        Ok = 0 => "ok",
        /// A required pointer argument was NULL. Nothing was changed.
        NullArgument = 1 => "null_argument",
        /// An argument was out of range (an unknown enumeration value, a layer index past the
        /// end). Nothing was changed.
        InvalidArgument = 2 => "invalid_argument",
        /// The handle cannot do this now: it panicked earlier (it only answers
        /// `pullstream_decoder_last_error` and `pullstream_decoder_free` from then on), or bytes
        /// were fed after `pullstream_decoder_finish` completed.
        InvalidState = 3 => "invalid_state",
        /// A bug inside the library was caught at the boundary. The handle is unusable from now
        /// on (later calls return `PULLSTREAM_STATUS_INVALID_STATE`); free it.
        Panic = 4 => "panic",
        /// The caller's buffer is too small; the needed length was written to `*len_out` and
        /// nothing else was written.
        BufferTooSmall = 5 => "buffer_too_small",
        /// The event callback returned non-zero. Nothing is lost: call the same function again
        /// (`pullstream_decoder_feed` with an empty chunk, or `pullstream_decoder_finish`) to
        /// resume with the next event.
        Paused = 6 => "paused",
        /// The decoder was configured to stop at the first error and has met one: further bytes
        /// are ignored (`pullstream_decoder_finish` still fixes the verdict).
        Stopped = 7 => "stopped",
        /// Bytes that could not be decoded, for a reason newer than this list.
        MalformedOther = 199 => "malformed_other",
    }
}

stable_enum! {
    /// The items of a decoder that are not records, in `pullstream_event.kind`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum ItemKind {
        /// Bytes that could not be decoded (reported and skipped): `offset`, `error_status` (a
        /// decode-error `pullstream_status`) and `error_message`. `record` is empty.
        Malformed = 100 => "malformed",
        /// The record just delivered was the first to reach one of the tracker's limits:
        /// `error_status` says which (`PULLSTREAM_STATUS_LAYER_LIMIT`, `_SEGMENT_LIMIT`,
        /// `_ID_LENGTH_LIMIT`, `_TEXT_LENGTH_LIMIT`, `_ERROR_LENGTH_LIMIT`), `size` is the limit
        /// in force, `offset` that record's offset, `error_message` says what happens past it.
        /// Sent once per stream and limit; later records past a limit are counted or cut, not
        /// announced. (Called `LAYER_LIMIT` before the other limits existed; the value is the
        /// same.)
        TrackerLimit = 101 => "tracker_limit",
    }
}

/// The value 0 of an enumeration whose field may hold no value.
const fn zero(name: &'static str, doc: &'static str) -> Entry {
    Entry {
        code: 0,
        name,
        variant: "",
        doc,
    }
}

const NONE_NO_PROGRESS: &[Entry] = &[zero("none", " The event carries no progress.\n")];
const NONE_NOT_PULL_FINISHED: &[Entry] = &[zero("none", " Not a `PULL_FINISHED` event.\n")];
const NONE_NO_ERROR: &[Entry] = &[zero("none", " No error.\n")];
const UNKNOWN_VERDICT: &[Entry] = &[zero("unknown", " A verdict newer than this list.\n")];
const NONE_NOT_SUCCESS: &[Entry] = &[zero("none", " Not a success.\n")];
const NONE_NOT_INCOMPLETE: &[Entry] = &[zero("none", " Not incomplete.\n")];
const UNKNOWN_PHASE: &[Entry] = &[zero("unknown", " A phase newer than this list.\n")];
const NONE_NOT_FINISHED: &[Entry] = &[zero(
    "none",
    " Not finished (or finished in a way newer than this list).\n",
)];
const UNKNOWN_STALL: &[Entry] = &[zero("unknown", " A reason newer than this list.\n")];

/// A run of values of a C enumeration, all from one table; each C name is
/// `PULLSTREAM_<ENUM>_<prefix><NAME><suffix>`.
#[derive(Debug)]
pub struct Part {
    /// The values.
    pub entries: &'static [Entry],
    /// Put before each upper-case name (`HTTP_`).
    pub prefix: &'static str,
    /// Put after each upper-case name (`_LIMIT`).
    pub suffix: &'static str,
}

const fn part(entries: &'static [Entry]) -> Part {
    Part {
        entries,
        prefix: "",
        suffix: "",
    }
}

/// One C enumeration: its name, its doc and the tables its values come from.
#[derive(Debug)]
pub struct CEnum {
    /// The C type name, e.g. `pullstream_event_kind`.
    pub c_name: &'static str,
    /// The doc comment of the C type, one line per line.
    pub doc: &'static str,
    /// Where the values come from.
    pub parts: &'static [Part],
    /// Whether `*_name()` gives the C name (`PULLSTREAM_STATUS_OK`) rather than the stable
    /// name (`rate_limited`).
    pub names_are_c_names: bool,
}

/// One value of a C enumeration, resolved.
#[derive(Debug, Clone)]
pub struct CValue {
    /// The numeric value.
    pub code: u32,
    /// The full C name, e.g. `PULLSTREAM_STATUS_NOT_JSON`.
    pub c_name: String,
    /// The stable (JSON) name, e.g. `not_json`.
    pub name: &'static str,
    /// The doc.
    pub entry: Entry,
}

impl CEnum {
    /// Every value, by increasing code.
    pub fn values(&self) -> Vec<CValue> {
        let stem = self.c_name.to_uppercase();
        let mut values: Vec<CValue> = self
            .parts
            .iter()
            .flat_map(|part| {
                let stem = &stem;
                part.entries.iter().map(move |entry| CValue {
                    code: entry.code,
                    c_name: format!(
                        "{stem}_{}{}{}",
                        part.prefix,
                        entry.upper_name(),
                        part.suffix
                    ),
                    name: entry.name,
                    entry: *entry,
                })
            })
            .collect();
        values.sort_by_key(|value| value.code);
        values
    }
}

const fn table<E: StableEnum>() -> &'static [Entry] {
    E::TABLE
}

/// `pullstream_status`: the statuses of a call, then the decode-error classes, the HTTP error
/// classes and the tracker limits, by code.
pub const STATUS: CEnum = CEnum {
    c_name: "pullstream_status",
    doc: "Status returned by every fallible function.

Values are stable and never reused. `0` is success; `1`–`99` are about the call itself;
`100`–`199` name the kinds of bytes the decoder could not decode (they appear in
`pullstream_event.error_status` and `pullstream_decoder_last_error`, never as a return value):
`120`–`149` the errors of `pullstream_http`, `150`–`159` the tracker's limits (each is the
`error_status` of a `PULLSTREAM_EVENT_KIND_TRACKER_LIMIT` event and the `limit` argument of
`pullstream_config_set_limit`).",
    parts: &[
        part(table::<CallStatus>()),
        part(table::<ErrorClass>()),
        Part {
            entries: table::<HttpErrorClass>(),
            prefix: "HTTP_",
            suffix: "",
        },
        Part {
            entries: table::<Limit>(),
            prefix: "",
            suffix: "_LIMIT",
        },
    ],
    names_are_c_names: true,
};

/// `pullstream_event_kind`: the core's event kinds and the decoder's other items.
pub const EVENT_KIND: CEnum = CEnum {
    c_name: "pullstream_event_kind",
    doc: "What an event is: one value per kind of record the classifier knows, plus the items that
are not records (`MALFORMED`, `TRACKER_LIMIT`). Values are stable and never reused; a kind of
record added to the classifier later is reported as `PULLSTREAM_EVENT_KIND_OTHER` until it
gets a value of its own.",
    parts: &[part(table::<EventKind>()), part(table::<ItemKind>())],
    names_are_c_names: false,
};

/// `pullstream_failure_kind`.
pub const FAILURE_KIND: CEnum = CEnum {
    c_name: "pullstream_failure_kind",
    doc: "Classification of a daemon's error message (names as in the JSON summary).",
    parts: &[part(NONE_NO_ERROR), part(table::<FailureKind>())],
    names_are_c_names: false,
};

/// Every C enumeration, in header order.
pub const C_ENUMS: &[CEnum] = &[
    STATUS,
    EVENT_KIND,
    CEnum {
        c_name: "pullstream_unit",
        doc: "What a progress number counts.",
        parts: &[part(NONE_NO_PROGRESS), part(table::<Unit>())],
        names_are_c_names: false,
    },
    CEnum {
        c_name: "pullstream_pull_result",
        doc: "Which `Status:` line ended a pull.",
        parts: &[part(NONE_NOT_PULL_FINISHED), part(table::<PullResult>())],
        names_are_c_names: false,
    },
    FAILURE_KIND,
    CEnum {
        c_name: "pullstream_verdict",
        doc: "The verdict.",
        parts: &[part(UNKNOWN_VERDICT), part(table::<Verdict>())],
        names_are_c_names: false,
    },
    CEnum {
        c_name: "pullstream_operation",
        doc: "The operation the stream reported on.",
        parts: &[part(table::<Operation>())],
        names_are_c_names: false,
    },
    CEnum {
        c_name: "pullstream_dialect",
        doc: "Which daemon produced the stream.",
        parts: &[part(table::<Dialect>())],
        names_are_c_names: false,
    },
    CEnum {
        c_name: "pullstream_success_kind",
        doc: "What a successful operation achieved.",
        parts: &[part(NONE_NOT_SUCCESS), part(table::<SuccessKind>())],
        names_are_c_names: false,
    },
    CEnum {
        c_name: "pullstream_incomplete_reason",
        doc: "Why a stream that reported no error did not finish.",
        parts: &[part(NONE_NOT_INCOMPLETE), part(table::<IncompleteReason>())],
        names_are_c_names: false,
    },
    CEnum {
        c_name: "pullstream_phase",
        doc: "Where a layer is in its life.",
        parts: &[part(UNKNOWN_PHASE), part(table::<Phase>())],
        names_are_c_names: false,
    },
    CEnum {
        c_name: "pullstream_completion",
        doc: "How a layer finished.",
        parts: &[part(NONE_NOT_FINISHED), part(table::<Completion>())],
        names_are_c_names: false,
    },
    CEnum {
        c_name: "pullstream_stall_reason",
        doc: "Why a layer is reported as stalled.",
        parts: &[part(UNKNOWN_STALL), part(table::<StallKind>())],
        names_are_c_names: false,
    },
    CEnum {
        c_name: "pullstream_stall_phase",
        doc: "Which stall threshold `pullstream_config_set_stall_after_ms` sets (pass as `uint32_t`).",
        parts: &[part(table::<StallPhase>())],
        names_are_c_names: false,
    },
];

/// The names `*_name()` returns for one enumeration, NUL-terminated, built on first use and
/// kept for the life of the process (a few kilobytes).
pub(crate) struct NameTable {
    names: OnceLock<Vec<(u32, CString)>>,
}

impl NameTable {
    pub(crate) const fn new() -> NameTable {
        NameTable {
            names: OnceLock::new(),
        }
    }

    /// The name of `code` in `of` as a static C string, if `code` is one of its values.
    pub(crate) fn get(&'static self, of: &CEnum, code: u32) -> Option<*const c_char> {
        let names = self.names.get_or_init(|| {
            of.values()
                .into_iter()
                .filter_map(|value| {
                    let name = if of.names_are_c_names {
                        value.c_name
                    } else {
                        value.name.to_owned()
                    };
                    // Names are identifiers: no NUL byte, so this never drops one.
                    CString::new(name).ok().map(|name| (value.code, name))
                })
                .collect()
        });
        names
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, name)| name.as_ptr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within each C enumeration, no two values share a code or a C name.
    #[test]
    fn codes_and_names_are_distinct() {
        for of in C_ENUMS {
            let values = of.values();
            for (i, value) in values.iter().enumerate() {
                for earlier in &values[..i] {
                    assert_ne!(earlier.code, value.code, "{}", value.c_name);
                    assert_ne!(earlier.c_name, value.c_name);
                }
            }
        }
    }

    /// The status ranges the docs promise hold.
    #[test]
    fn status_ranges() {
        for value in STATUS.values() {
            let range = if value.c_name.contains("_HTTP_") {
                120..150
            } else if value.c_name.ends_with("_LIMIT") {
                150..160
            } else if value.code >= 100 {
                100..200
            } else {
                0..100
            };
            assert!(range.contains(&value.code), "{}", value.c_name);
        }
    }
}
