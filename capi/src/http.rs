//! `pullstream_http`: the HTTP/1.1 response layer for C callers that read a socket themselves.
//!
//! It turns the raw bytes of one response (status line, headers, a chunked or identity body)
//! into body bytes, handed to a callback as slices of the caller's input. A caller pipes those
//! into `pullstream_decoder_feed`; the verdict then comes from the decoder as usual (an error
//! body `{"message": …}` is a failed outcome, an HTML page from a proxy is not a stream).
//! `pullstream_http_finish_into` ends the response and tells the decoder when a success
//! response's body was cut short, so the verdict says `TRUNCATED_BODY`.

use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::panic::{self, AssertUnwindSafe};

use crate::enums::CallStatus;
use pullstream::http::HttpErrorClass;
use pullstream::http::{HttpError, ResponseDecoder};

use crate::{
    copy_out, pullstream_bytes, pullstream_decoder, pullstream_status, with_handle_mut, Guarded,
};

/// Receives body bytes: `userdata` first, then the bytes (valid only during the call; not
/// NUL-terminated).
pub type pullstream_body_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, body: pullstream_bytes)>;

/// An HTTP/1.1 response decoder.
///
/// **Ownership:** created by `pullstream_http_new`, freed by `pullstream_http_free` (which
/// accepts NULL). **Threads:** a handle may be moved between threads but must not be used from
/// two at once.
pub struct pullstream_http {
    response: ResponseDecoder,
    error: Option<HttpError>,
    poisoned: Cell<bool>,
}

/// What is known about the response so far.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct pullstream_http_info {
    /// The status code of the final response, or 0 before the head is complete.
    pub status: u16,
    /// 1 when the status line and headers have arrived, else 0.
    pub head_complete: u8,
    /// 1 when the body uses `Transfer-Encoding: chunked`, else 0.
    pub chunked: u8,
    /// 1 when the whole response has arrived (the `0` chunk, `Content-Length` bytes, or, for a
    /// body that runs to the end of the connection, after `pullstream_http_finish`), else 0.
    pub complete: u8,
    /// Body bytes handed out so far.
    pub body_len: u64,
}

fn status_of(error: &HttpError) -> pullstream_status {
    error.kind().class().code()
}

impl Guarded for pullstream_http {
    fn is_poisoned(&self) -> bool {
        self.poisoned.get()
    }

    fn poison(&self, _payload: &(dyn std::any::Any + Send)) {
        self.poisoned.set(true);
    }
}

/// Creates an HTTP response decoder and stores it in `*http_out`.
///
/// Returns `OK`, `NULL_ARGUMENT` (`http_out` NULL) or `PANIC`.
///
/// # Safety
/// `http_out` is NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_http_new(
    http_out: *mut *mut pullstream_http,
) -> pullstream_status {
    if http_out.is_null() {
        return CallStatus::NullArgument.code();
    }
    let handle = panic::catch_unwind(|| {
        Box::new(pullstream_http {
            response: ResponseDecoder::new(),
            error: None,
            poisoned: Cell::new(false),
        })
    });
    match handle {
        Ok(handle) => {
            // SAFETY: `http_out` is non-NULL and writable (caller's contract).
            unsafe { http_out.write(Box::into_raw(handle)) };
            CallStatus::Ok.code()
        }
        Err(_) => CallStatus::Panic.code(),
    }
}

/// Frees a handle from `pullstream_http_new`. NULL is a no-op.
///
/// # Safety
/// `http` is NULL or a live handle, not used again afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_http_free(http: *mut pullstream_http) {
    if http.is_null() {
        return;
    }
    // SAFETY: `http` came from `Box::into_raw` in `pullstream_http_new` and is freed once.
    let handle = unsafe { Box::from_raw(http) };
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(handle)));
}

/// Feeds the next `len` bytes of the response; every piece of body they complete is passed to
/// `callback` (NULL: the body is dropped), in order, as slices of `data`.
///
/// Returns `OK`; `NULL_ARGUMENT` (`http` NULL, or `data` NULL with `len` > 0); one of the
/// `HTTP_*` statuses when the response is malformed (sticky: later calls return it again;
/// `pullstream_http_last_error` has the text and offset); `INVALID_STATE` after a panic;
/// `PANIC`. Bytes after the end of the response are ignored.
///
/// # Safety
/// `http` is NULL or a live handle; `data` is valid for reading `len` bytes (or NULL when `len`
/// is 0); `callback`, if not NULL, may be called with `userdata`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_http_feed(
    http: *mut pullstream_http,
    data: *const u8,
    len: usize,
    callback: pullstream_body_callback,
    userdata: *mut c_void,
) -> pullstream_status {
    if http.is_null() || (data.is_null() && len > 0) {
        return CallStatus::NullArgument.code();
    }
    let input: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: `data` is non-NULL and the caller guarantees `len` readable bytes there.
        unsafe { std::slice::from_raw_parts(data, len) }
    };
    let body = |handle: &mut pullstream_http| {
        if let Some(error) = &handle.error {
            return status_of(error);
        }
        let result = handle.response.feed_all(input, |piece| {
            if let Some(callback) = callback {
                // SAFETY: the caller allows `callback` to be called with `userdata`; `piece`
                // lives until the call returns.
                unsafe { callback(userdata, pullstream_bytes::borrow(piece)) };
            }
        });
        match result {
            Ok(_) => CallStatus::Ok.code(),
            Err(error) => {
                let status = status_of(&error);
                handle.error = Some(error);
                status
            }
        }
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(http, body) }
}

/// Ends the input (the connection closed). A body that runs to the end of the connection is
/// complete now; a response cut short gives `HTTP_TRUNCATED`. It tells no decoder: to have a
/// body cut short count as a cut stream in the verdict, call `pullstream_http_finish_into`
/// instead.
///
/// Returns `OK`, an `HTTP_*` status, `NULL_ARGUMENT`, `INVALID_STATE` after a panic, or `PANIC`.
///
/// # Safety
/// `http` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_http_finish(http: *mut pullstream_http) -> pullstream_status {
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(http, finish) }
}

/// Ends the response (as `pullstream_http_finish`).
fn finish(handle: &mut pullstream_http) -> pullstream_status {
    if let Some(error) = &handle.error {
        return status_of(error);
    }
    match handle.response.finish() {
        Ok(()) => CallStatus::Ok.code(),
        Err(error) => {
            let status = status_of(&error);
            handle.error = Some(error);
            status
        }
    }
}

/// Ends the input like `pullstream_http_finish`, and tells `decoder` (the decoder the body
/// went to) how the body ended: when the response is a success (`2xx`) and its body was cut
/// short (a chunked body without its `0` chunk or cut inside a chunk, an identity body shorter
/// than its `Content-Length`, or chunked framing that broke after part of the body arrived),
/// it calls `pullstream_decoder_set_truncated_body(decoder)`, so the verdict is incomplete with
/// reason `TRUNCATED_BODY` (exit code 2), as the command-line tool says. The body of an error
/// response keeps its own verdict. Call it before or after `pullstream_decoder_finish`.
///
/// Returns `HTTP_TRUNCATED` whenever the body was cut short in that sense (for a `2xx`
/// response the decoder has been told; the status is for your logs, and
/// `pullstream_http_last_error` names the framing error, if that was the cause); otherwise
/// what `pullstream_http_finish` returns. `NULL_ARGUMENT` when `http` or `decoder` is NULL
/// (nothing is done); `INVALID_STATE` when either handle panicked earlier.
///
/// # Safety
/// `http` is NULL or a live handle; `decoder` is NULL or a live decoder handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_http_finish_into(
    http: *mut pullstream_http,
    decoder: *mut pullstream_decoder,
) -> pullstream_status {
    if http.is_null() || decoder.is_null() {
        return CallStatus::NullArgument.code();
    }
    let body = |decoder: &mut pullstream_decoder| {
        let body = |handle: &mut pullstream_http| {
            let status = finish(handle);
            if !handle.response.is_body_truncated() {
                return status;
            }
            if handle.response.is_success() {
                decoder.note_truncated_body();
            }
            // A framing error after the body began cut it: say so, as for a closed connection.
            HttpErrorClass::Truncated.code()
        };
        // SAFETY: forwarded from the caller.
        unsafe { with_handle_mut(http, body) }
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(decoder, body) }
}

/// Writes what is known about the response to `*info_out`.
///
/// Returns `OK`, `NULL_ARGUMENT`, `INVALID_STATE` after a panic, or `PANIC`.
///
/// # Safety
/// `http` is NULL or a live handle; `info_out` is NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_http_get_info(
    http: *mut pullstream_http,
    info_out: *mut pullstream_http_info,
) -> pullstream_status {
    if info_out.is_null() {
        return CallStatus::NullArgument.code();
    }
    let body = |handle: &mut pullstream_http| {
        let response = &handle.response;
        let info = pullstream_http_info {
            status: response.status().unwrap_or(0),
            head_complete: u8::from(response.is_head_complete()),
            chunked: u8::from(response.is_chunked()),
            complete: u8::from(response.is_complete()),
            body_len: response.body_len(),
        };
        // SAFETY: `info_out` is non-NULL and writable (caller's contract).
        unsafe { info_out.write(info) };
        CallStatus::Ok.code()
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(http, body) }
}

/// Copies the text of the response's error (NUL-terminated) into `buf`, its length into
/// `*len_out` and, if `offset_out` is not NULL, the byte offset in the response where it was
/// found into `*offset_out`. With no error, the text is empty and the offset 0.
///
/// Returns `OK`, `BUFFER_TOO_SMALL` (only `*len_out` written), `NULL_ARGUMENT`,
/// `INVALID_STATE` after a panic, or `PANIC`.
///
/// # Safety
/// `http` is NULL or a live handle; `buf` is valid for writing `cap` bytes (or NULL with `cap`
/// 0); `len_out` is NULL or writable; `offset_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pullstream_http_last_error(
    http: *mut pullstream_http,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
    offset_out: *mut u64,
) -> pullstream_status {
    let body = |handle: &mut pullstream_http| {
        let (text, offset) = match &handle.error {
            Some(error) => (error.to_string(), error.offset()),
            None => (String::new(), 0),
        };
        // SAFETY: forwarded from the caller's contract on `buf`, `cap` and `len_out`.
        let status = unsafe { copy_out(text.as_bytes(), buf, cap, len_out) };
        if status == CallStatus::Ok.code() && !offset_out.is_null() {
            // SAFETY: `offset_out` is non-NULL and writable (caller's contract).
            unsafe { offset_out.write(offset) };
        }
        status
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_handle_mut(http, body) }
}
