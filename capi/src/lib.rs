//! The C ABI: an opaque decoder handle over [`pullstream::pipeline::Pipeline`], events delivered to a
//! callback, the tracker's snapshot and the verdict as plain C structs.
//!
//! This is the only module with `unsafe` code. Every exported function is written by hand as
//! `#[unsafe(no_mangle)] pub unsafe extern "C" fn pullstream_…`, checks its pointers for NULL,
//! and runs its body inside [`std::panic::catch_unwind`], so a panic never crosses into C: it
//! becomes `PULLSTREAM_STATUS_PANIC` and the handle refuses further work. The header
//! `include/pullstream.h` is generated from these files by cbindgen (`capi/tests/header.rs`) and is
//! the C documentation; `docs/C_API.md` describes the conventions.
//!
//! | C | Rust |
//! |---|---|
//! | `pullstream_config` | [`pullstream::Config`] + [`pullstream::tracker::TrackerConfig`] |
//! | `pullstream_decoder` | [`pullstream::pipeline::Pipeline`] + finish state + last error |
//! | `pullstream_event` | [`pullstream::Record`] + [`pullstream::Event`], or a decode [`pullstream::Error`] |
//! | `pullstream_snapshot`, `pullstream_layer` | [`pullstream::tracker::Snapshot`], [`pullstream::tracker::Layer`] |
//! | `pullstream_outcome`, `pullstream_decoder_summary_json` | [`pullstream::summary::Summary`] |
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

use std::ffi::c_char;
use std::panic::{self, AssertUnwindSafe};

use enums::{CallStatus, NameTable};

mod config;
mod convert;
mod decoder;
pub mod enums;
mod http;
mod types;

pub use config::*;
pub use decoder::*;
pub use http::*;
pub use types::*;

/// A handle that refuses work once a panic was caught inside it.
trait Guarded {
    /// True after a caught panic.
    fn is_poisoned(&self) -> bool;
    /// Marks the handle unusable, keeping what it wants of the panic's payload.
    fn poison(&self, payload: &(dyn std::any::Any + Send));
}

/// Runs `body` on the handle behind `handle` with panics caught: NULL gives `NULL_ARGUMENT`, a
/// poisoned handle `INVALID_STATE`, and a panic poisons the handle and gives `PANIC`.
///
/// # Safety
/// `handle` is NULL or a live handle, not used elsewhere for the duration of the call.
unsafe fn with_handle_mut<H: Guarded>(
    handle: *mut H,
    body: impl FnOnce(&mut H) -> pullstream_status,
) -> pullstream_status {
    // SAFETY: the caller guarantees `handle` is NULL or valid and unaliased during the call.
    let Some(live) = (unsafe { handle.as_mut() }) else {
        return CallStatus::NullArgument.code();
    };
    if live.is_poisoned() {
        return CallStatus::InvalidState.code();
    }
    match panic::catch_unwind(AssertUnwindSafe(|| body(live))) {
        Ok(status) => status,
        Err(payload) => {
            // SAFETY: the `&mut` lent to `body` ended with the unwind; `handle` is still live.
            unsafe { &*handle }.poison(payload.as_ref());
            CallStatus::Panic.code()
        }
    }
}

/// [`with_handle_mut`], read-only.
///
/// # Safety
/// `handle` is NULL or a live handle that no other call is changing at the same time.
unsafe fn with_handle<H: Guarded>(
    handle: *const H,
    body: impl FnOnce(&H) -> pullstream_status,
) -> pullstream_status {
    // SAFETY: the caller guarantees `handle` is NULL or valid and not being mutated.
    let Some(live) = (unsafe { handle.as_ref() }) else {
        return CallStatus::NullArgument.code();
    };
    if live.is_poisoned() {
        return CallStatus::InvalidState.code();
    }
    match panic::catch_unwind(AssertUnwindSafe(|| body(live))) {
        Ok(status) => status,
        Err(payload) => {
            live.poison(payload.as_ref());
            CallStatus::Panic.code()
        }
    }
}

/// Runs `body` with panics caught; a panic becomes `PANIC`.
fn boundary(body: impl FnOnce() -> pullstream_status) -> pullstream_status {
    panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or(CallStatus::Panic.code())
}

/// The message of a panic payload, when it has one.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

/// Copies `text` and a NUL byte into the caller's buffer and its length into `*len_out`.
///
/// # Safety
/// `buf` is valid for writing `cap` bytes (or NULL with `cap` 0); `len_out` is NULL or valid for
/// writing.
unsafe fn copy_out(
    text: &[u8],
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> pullstream_status {
    if len_out.is_null() || (buf.is_null() && cap > 0) {
        return CallStatus::NullArgument.code();
    }
    // SAFETY: `len_out` is non-NULL and the caller guarantees it is writable.
    unsafe { len_out.write(text.len()) };
    if cap <= text.len() {
        return CallStatus::BufferTooSmall.code();
    }
    // SAFETY: `buf` is non-NULL (cap > len >= 0) and writable for `cap` >= len + 1 bytes; the
    // caller's buffer cannot overlap `text`, which the library owns.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    CallStatus::Ok.code()
}

/// Static NUL-terminated text as a C string.
fn c_str(text: &'static str) -> *const c_char {
    debug_assert!(text.ends_with('\0'));
    text.as_ptr().cast()
}

/// The name of `code` in `of` from `names`, or `unknown` (static, NUL-terminated) when it is
/// not one of its values or building the names failed.
fn name_or(
    names: &'static NameTable,
    of: &enums::CEnum,
    code: u32,
    unknown: &'static str,
) -> *const c_char {
    panic::catch_unwind(AssertUnwindSafe(|| names.get(of, code)))
        .ok()
        .flatten()
        .unwrap_or_else(|| c_str(unknown))
}

/// The library's version, `"MAJOR.MINOR.PATCH"`: a static NUL-terminated string (never freed).
/// Compare with the `PULLSTREAM_VERSION_*` macros to detect a header/library mismatch.
///
/// # Safety
/// Always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_version() -> *const c_char {
    c_str(concat!(env!("CARGO_PKG_VERSION"), "\0"))
}

/// The name of a status value, e.g. `"PULLSTREAM_STATUS_PAUSED"`: a static NUL-terminated string
/// (never freed). Unknown values give `"PULLSTREAM_STATUS_UNKNOWN"`.
///
/// # Safety
/// Always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_status_name(status: u32) -> *const c_char {
    static NAMES: NameTable = NameTable::new();
    name_or(
        &NAMES,
        &enums::STATUS,
        status,
        "PULLSTREAM_STATUS_UNKNOWN\0",
    )
}

/// The stable snake_case name of an event kind value, e.g. `"downloading"` (the names the
/// command-line tool's `--events` prints): a static NUL-terminated string (never freed).
/// Unknown values give `"unknown"`.
///
/// # Safety
/// Always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_event_kind_name(kind: u32) -> *const c_char {
    static NAMES: NameTable = NameTable::new();
    name_or(&NAMES, &enums::EVENT_KIND, kind, "unknown\0")
}

/// The name of a failure kind value as in the JSON summary, e.g. `"rate_limited"` (`"none"`
/// for 0): a static NUL-terminated string (never freed). Unknown values give `"unknown"`.
///
/// # Safety
/// Always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_failure_kind_name(kind: u32) -> *const c_char {
    static NAMES: NameTable = NameTable::new();
    name_or(&NAMES, &enums::FAILURE_KIND, kind, "unknown\0")
}

#[doc(hidden)]
/// Hooks for the crate's own tests; not part of the C ABI and not stable.
pub mod testing {
    use crate::{pullstream_decoder, pullstream_status, with_handle_mut};

    /// Panics inside the handle's boundary, exactly as a bug in the library would.
    ///
    /// # Safety
    /// `decoder` is NULL or a live handle.
    pub unsafe fn panic_inside(decoder: *mut pullstream_decoder) -> pullstream_status {
        // SAFETY: forwarded from the caller.
        unsafe { with_handle_mut(decoder, |_| panic!("deliberate panic for a test")) }
    }
}
