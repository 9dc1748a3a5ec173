//! `pullstream_config`: an opaque bag of options with one setter per option, so that new
//! options never change an existing signature.

use crate::boundary;
use crate::enums::CallStatus;
use crate::types::pullstream_status;
use pullstream::decoder::Config;
use pullstream::tracker::{Limit, StallPhase, TrackerConfig};

/// Options for a new decoder: limits of the byte decoder and thresholds of the layer tracker.
///
/// **Ownership:** created by `pullstream_config_new`, freed by `pullstream_config_free`.
/// `pullstream_decoder_new` copies it, so it may be freed or changed right after. Not to be
/// used from two threads at once.
pub struct pullstream_config {
    pub(crate) decoder: Config,
    pub(crate) tracker: TrackerConfig,
}

/// Runs `body` on the config behind `config`, or returns `NULL_ARGUMENT`.
///
/// # Safety
/// `config` is NULL or a live pointer from `pullstream_config_new`, not used elsewhere for the
/// duration of the call.
unsafe fn with_config(
    config: *mut pullstream_config,
    body: impl FnOnce(&mut pullstream_config) -> pullstream_status,
) -> pullstream_status {
    // SAFETY: the caller guarantees `config` is NULL or valid and not aliased during the call.
    let Some(config) = (unsafe { config.as_mut() }) else {
        return CallStatus::NullArgument.code();
    };
    boundary(|| body(config))
}

/// Creates a config holding the defaults and stores it in `*config_out`.
///
/// Returns `OK`, or `NULL_ARGUMENT` when `config_out` is NULL. `*config_out` is written only on
/// success.
///
/// # Safety
/// `config_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_new(
    config_out: *mut *mut pullstream_config,
) -> pullstream_status {
    if config_out.is_null() {
        return CallStatus::NullArgument.code();
    }
    boundary(|| {
        let config = Box::new(pullstream_config {
            decoder: Config::default(),
            tracker: TrackerConfig::default(),
        });
        // SAFETY: `config_out` is non-NULL and the caller guarantees it is writable.
        unsafe { config_out.write(Box::into_raw(config)) };
        CallStatus::Ok.code()
    })
}

/// Frees a config. `NULL` is a no-op.
///
/// # Safety
/// `config` is NULL or a pointer from `pullstream_config_new` that was not freed yet; it must
/// not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_free(config: *mut pullstream_config) {
    if config.is_null() {
        return;
    }
    // SAFETY: `config` came from `Box::into_raw` in `pullstream_config_new` and is freed once.
    let config = unsafe { Box::from_raw(config) };
    let _ = boundary(move || {
        drop(config);
        CallStatus::Ok.code()
    });
}

/// Largest record, in bytes, the decoder buffers and parses (default 8 MiB, at least 2).
/// Larger records are skipped and reported as `PULLSTREAM_STATUS_RECORD_TOO_LARGE`.
/// **Raising it raises the memory a hostile peer can make the decoder hold** (about twice this).
///
/// # Safety
/// `config` is NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_set_max_record_len(
    config: *mut pullstream_config,
    bytes: usize,
) -> pullstream_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_config(config, |c| {
            c.decoder = std::mem::take(&mut c.decoder).max_record_len(bytes);
            CallStatus::Ok.code()
        })
    }
}

/// Deepest nesting of objects and arrays inside a record (default 128, clamped to 1..1024).
/// Deeper records are skipped and reported as `PULLSTREAM_STATUS_TOO_DEEP`.
///
/// # Safety
/// `config` is NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_set_max_depth(
    config: *mut pullstream_config,
    depth: u32,
) -> pullstream_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_config(config, |c| {
            c.decoder = std::mem::take(&mut c.decoder).max_depth(depth);
            CallStatus::Ok.code()
        })
    }
}

/// Non-zero: the first decode error ends decoding (feeding then returns
/// `PULLSTREAM_STATUS_STOPPED`). Zero (the default): report each bad stretch and carry on.
///
/// # Safety
/// `config` is NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_set_stop_at_first_error(
    config: *mut pullstream_config,
    stop: u32,
) -> pullstream_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_config(config, |c| {
            c.decoder = std::mem::take(&mut c.decoder).stop_at_first_error(stop != 0);
            CallStatus::Ok.code()
        })
    }
}

/// Most layers tracked over the whole stream (default 4096). Records naming further layers are
/// counted but not tracked; the first of them is followed by one
/// `PULLSTREAM_EVENT_KIND_TRACKER_LIMIT` event (`PULLSTREAM_STATUS_LAYER_LIMIT`). The same as
/// `pullstream_config_set_limit(config, PULLSTREAM_STATUS_LAYER_LIMIT, layers)`.
///
/// # Safety
/// `config` is NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_set_max_layers(
    config: *mut pullstream_config,
    layers: usize,
) -> pullstream_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_config(config, |c| {
            c.tracker = std::mem::take(&mut c.tracker).max_layers(layers);
            CallStatus::Ok.code()
        })
    }
}

/// Sets one of the tracker's limits, named by its status (150–159):
///
/// | `limit` | default | past it |
/// |---|---|---|
/// | `PULLSTREAM_STATUS_LAYER_LIMIT` | 4096 layers | further layers are counted, not tracked |
/// | `PULLSTREAM_STATUS_SEGMENT_LIMIT` | 1024 images (at least 1) | further images share the last one's entry |
/// | `PULLSTREAM_STATUS_ID_LENGTH_LIMIT` | 256 bytes | layers with longer ids are counted, not tracked |
/// | `PULLSTREAM_STATUS_TEXT_LENGTH_LIMIT` | 1024 bytes (at least 16) | longer references, digests, image ids are kept cut, ending in `…` |
/// | `PULLSTREAM_STATUS_ERROR_LENGTH_LIMIT` | 65 536 bytes (at least 16) | a longer first error message is kept cut, ending in `…` |
///
/// The first record to reach a limit is followed by one `PULLSTREAM_EVENT_KIND_TRACKER_LIMIT`
/// event with that status. Returns `INVALID_ARGUMENT` for any other `limit`.
///
/// # Safety
/// `config` is NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_set_limit(
    config: *mut pullstream_config,
    limit: u32,
    value: usize,
) -> pullstream_status {
    let Some(which) = Limit::from_code(limit) else {
        if config.is_null() {
            return CallStatus::NullArgument.code();
        }
        return CallStatus::InvalidArgument.code();
    };
    // SAFETY: forwarded from the caller.
    unsafe {
        with_config(config, |c| {
            c.tracker = std::mem::take(&mut c.tracker).with_limit(which, value);
            CallStatus::Ok.code()
        })
    }
}

/// A layer in `phase` (a `pullstream_stall_phase` value) with no progress for `ms`
/// milliseconds counts as stalled (defaults: transfer 30 000, extract 120 000; 0 turns the
/// check off). Returns `INVALID_ARGUMENT` for an unknown `phase`.
///
/// # Safety
/// `config` is NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_set_stall_after_ms(
    config: *mut pullstream_config,
    phase: u32,
    ms: u64,
) -> pullstream_status {
    let Some(phase) = StallPhase::from_code(phase) else {
        if config.is_null() {
            return CallStatus::NullArgument.code();
        }
        return CallStatus::InvalidArgument.code();
    };
    // SAFETY: forwarded from the caller.
    unsafe {
        with_config(config, |c| {
            c.tracker = std::mem::take(&mut c.tracker).stall_after(phase, ms);
            CallStatus::Ok.code()
        })
    }
}

/// A transferring layer slower than this many bytes per second over a whole rate window counts
/// as stalled (default 0: off).
///
/// # Safety
/// `config` is NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_set_min_bytes_per_sec(
    config: *mut pullstream_config,
    bytes_per_sec: u64,
) -> pullstream_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_config(config, |c| {
            c.tracker = std::mem::take(&mut c.tracker).min_bytes_per_sec(bytes_per_sec);
            CallStatus::Ok.code()
        })
    }
}

/// The window for rates, in milliseconds: the minimum-throughput check and the snapshot's rate
/// and ETA (default 10 000; at least 1).
///
/// # Safety
/// `config` is NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_config_set_rate_window_ms(
    config: *mut pullstream_config,
    ms: u64,
) -> pullstream_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_config(config, |c| {
            c.tracker = std::mem::take(&mut c.tracker).rate_window_ms(ms);
            CallStatus::Ok.code()
        })
    }
}
