// The `c_api` fuzz target's body: random sequences of C calls (through the `extern "C"`
// functions of `pullstream_capi`, exactly as C would make them), including NULL handles and
// out-pointers, NULL data with zero and non-zero lengths, buffers too small, pause/resume from the
// callback, feeding after finish, and free-and-recreate. A Rust `Pipeline` fed the same bytes
// is the model: whenever the C decoder is not paused, its summary JSON and exit code must equal
// the model's. Run under AddressSanitizer (`RUSTC_BOOTSTRAP=1 cargo fuzz run c_api`), every byte
// of every `pullstream_bytes` the library hands out is read, so a dangling or short pointer is
// caught; LeakSanitizer catches a handle that `*_free` does not release.
//
// Shared (`include!`) by `fuzz/fuzz_targets/c_api.rs` and `tests/fuzz_regressions.rs`; needs
// `fuzz_body.rs` included first (for `fuzz_body::Bytes`).

#[allow(dead_code)]
mod c_api_body {
    use std::ffi::{c_char, c_void, CStr};
    use std::ops::ControlFlow;
    use std::ptr;

    use super::fuzz_body::Bytes;
    use pullstream_capi::enums::CallStatus;
    use pullstream_capi::*;
    use pullstream::pipeline::Pipeline;
    use pullstream::tracker::{Limit, StallPhase, TrackerConfig};
    use pullstream::Config;

    /// What the event callback does, and what it saw.
    struct Callback {
        /// Return non-zero (pause) after this many events (0: never).
        pause_every: u32,
        count: u32,
        events: u64,
        checksum: u64,
    }

    fn touch(bytes: &pullstream_bytes, sum: &mut u64) {
        if bytes.ptr.is_null() {
            assert_eq!(bytes.len, 0, "NULL pointer with a length");
            return;
        }
        // SAFETY: the library promises `ptr` is valid for `len` bytes for the duration of the
        // callback or until the next mutable call; reading them all is what ASan checks.
        let slice = unsafe { std::slice::from_raw_parts(bytes.ptr, bytes.len) };
        for &b in slice {
            *sum = sum.wrapping_mul(31).wrapping_add(u64::from(b));
        }
    }

    extern "C" fn on_event(userdata: *mut c_void, event: *const pullstream_event) -> i32 {
        assert!(!userdata.is_null() && !event.is_null());
        // SAFETY: userdata is the `Callback` passed with this call; `event` is valid during it.
        let (state, event) = unsafe { (&mut *userdata.cast::<Callback>(), &*event) };
        let mut sum = state.checksum;
        for bytes in [
            &event.record,
            &event.status,
            &event.id,
            &event.layer_id,
            &event.detail,
            &event.tag,
            &event.error_message,
        ] {
            touch(bytes, &mut sum);
        }
        sum = sum.wrapping_add(event.offset ^ event.progress_current as u64 ^ event.size as u64);
        state.checksum = sum;
        state.events += 1;
        state.count += 1;
        if state.pause_every > 0 && state.count % state.pause_every == 0 {
            1
        } else {
            0
        }
    }

    extern "C" fn on_stall(userdata: *mut c_void, stall: *const pullstream_stall) {
        assert!(!userdata.is_null() && !stall.is_null());
        // SAFETY: as for `on_event`.
        let (sum, stall) = unsafe { (&mut *userdata.cast::<u64>(), &*stall) };
        touch(&stall.layer_id, sum);
    }

    fn c_text(text: *const c_char) {
        assert!(!text.is_null(), "a *_name function returned NULL");
        // SAFETY: the library returns static NUL-terminated strings.
        let text = unsafe { CStr::from_ptr(text) };
        assert!(text.to_str().is_ok());
    }

    /// A C decoder with its model.
    struct Live {
        handle: *mut pullstream_decoder,
        model: Pipeline,
        /// The last feed/finish returned PAUSED: events are still held.
        paused: bool,
        /// `finish` was accepted once (the model is finished).
        finishing: bool,
        /// `finish` returned OK: the stream is over.
        finished: bool,
    }

    impl Live {
        /// Whether the C decoder and the model must agree now.
        fn comparable(&self) -> bool {
            !self.paused
        }
    }

    /// The model's configuration, kept in step with each C config by applying the same setters.
    #[derive(Clone, Default)]
    struct ModelConfig {
        decoder: Config,
        tracker: TrackerConfig,
    }

    /// Everything the C side holds; freed at the end of every run.
    struct World {
        configs: [(*mut pullstream_config, ModelConfig); 2],
        decoder: Option<Live>,
        callback: Callback,
    }

    impl Drop for World {
        fn drop(&mut self) {
            for (config, _) in &mut self.configs {
                // SAFETY: a live config from `pullstream_config_new` or NULL (a no-op).
                unsafe { pullstream_config_free(*config) };
                *config = ptr::null_mut();
            }
            if let Some(live) = self.decoder.take() {
                // SAFETY: a live decoder.
                unsafe { pullstream_decoder_free(live.handle) };
            }
        }
    }

    /// `PULLSTREAM_FUZZ_TRACE=1` prints every call and its status (to debug a crash file).
    fn tracing() -> bool {
        static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *TRACE.get_or_init(|| std::env::var_os("PULLSTREAM_FUZZ_TRACE").is_some())
    }

    fn ok_or(status: pullstream_status, allowed: &[pullstream_status], what: &str) {
        if tracing() {
            eprintln!("c_api: {what} -> {status:?}");
        }
        assert!(
            status != CallStatus::Panic.code(),
            "{what}: the library panicked"
        );
        assert!(
            allowed.contains(&status),
            "{what}: unexpected status {status:?}"
        );
    }

    /// The calls one input makes at most; later bytes are ignored.
    pub const MAX_CALLS: usize = 200;

    /// Runs the call sequence encoded in `data` (see the op list in the code, and [`Calls`],
    /// which writes it).
    pub fn check_c_api(data: &[u8]) {
        let mut b = Bytes::new(data);
        let mut world = World {
            configs: [
                (ptr::null_mut(), ModelConfig::default()),
                (ptr::null_mut(), ModelConfig::default()),
            ],
            decoder: None,
            callback: Callback {
                pause_every: 0,
                count: 0,
                events: 0,
                checksum: 0,
            },
        };
        let mut steps = 0;
        while !b.is_empty() && steps < MAX_CALLS {
            steps += 1;
            let op = b.u8();
            let slot = (op >> 4 & 1) as usize;
            let null = op & 0x80 != 0 && op & 0x40 != 0; // about one call in four gets a NULL
            match op & 0x0f {
                // pullstream_config_new (into a slot, or with a NULL out-pointer).
                0 => {
                    if null {
                        // SAFETY: NULL out-pointer is allowed and must be rejected.
                        let status = unsafe { pullstream_config_new(ptr::null_mut()) };
                        ok_or(status, &[CallStatus::NullArgument.code()], "config_new(NULL)");
                    } else {
                        let (config, model) = &mut world.configs[slot];
                        // SAFETY: `config` is live or NULL.
                        unsafe { pullstream_config_free(*config) };
                        *config = ptr::null_mut();
                        // SAFETY: a valid out-pointer.
                        let status = unsafe { pullstream_config_new(config) };
                        ok_or(status, &[CallStatus::Ok.code()], "config_new");
                        assert!(!config.is_null());
                        *model = ModelConfig::default();
                    }
                }
                // pullstream_config_free (a slot, possibly already NULL).
                1 => {
                    let (config, model) = &mut world.configs[slot];
                    // SAFETY: live or NULL.
                    unsafe { pullstream_config_free(*config) };
                    *config = ptr::null_mut();
                    *model = ModelConfig::default();
                }
                // A config setter, on a slot (NULL when the slot is empty or `null`).
                2 => {
                    let which = b.u8() % 8;
                    let value = match b.u8() % 4 {
                        0 => 0,
                        1 => u64::from(b.u8()),
                        2 => u64::from(b.u16()),
                        _ => b.i64() as u64,
                    };
                    let (config, model) = &mut world.configs[slot];
                    let target = if null { ptr::null_mut() } else { *config };
                    let phase = b.u8() % 3;
                    // A tracker limit by its status (150..=154), or one past the list.
                    let limit = usize::from(b.u8() % 6);
                    let limit_status = 150 + limit as u32;
                    // SAFETY: `target` is live or NULL.
                    let status = unsafe {
                        match which {
                            0 => pullstream_config_set_max_record_len(target, value as usize),
                            1 => pullstream_config_set_max_depth(target, value as u32),
                            2 => pullstream_config_set_stop_at_first_error(target, value as u32),
                            3 => pullstream_config_set_max_layers(target, value as usize % 64),
                            4 => pullstream_config_set_stall_after_ms(
                                target,
                                u32::from(phase),
                                value,
                            ),
                            5 => pullstream_config_set_min_bytes_per_sec(target, value),
                            6 => pullstream_config_set_rate_window_ms(target, value),
                            _ => {
                                pullstream_config_set_limit(target, limit_status, value as usize % 64)
                            }
                        }
                    };
                    if target.is_null() {
                        ok_or(status, &[CallStatus::NullArgument.code()], "config setter on NULL");
                    } else if status == CallStatus::Ok.code() {
                        let m = model.clone();
                        *model = match which {
                            0 => ModelConfig {
                                decoder: m.decoder.max_record_len(value as usize),
                                ..m
                            },
                            1 => ModelConfig {
                                decoder: m.decoder.max_depth(value as u32),
                                ..m
                            },
                            2 => ModelConfig {
                                decoder: m.decoder.stop_at_first_error(value as u32 != 0),
                                ..m
                            },
                            3 => ModelConfig {
                                tracker: m.tracker.max_layers(value as usize % 64),
                                ..m
                            },
                            4 => {
                                let phase = if phase == 0 {
                                    StallPhase::Transfer
                                } else {
                                    StallPhase::Extract
                                };
                                ModelConfig {
                                    tracker: m.tracker.stall_after(phase, value),
                                    ..m
                                }
                            }
                            5 => ModelConfig {
                                tracker: m.tracker.min_bytes_per_sec(value),
                                ..m
                            },
                            6 => ModelConfig {
                                tracker: m.tracker.rate_window_ms(value),
                                ..m
                            },
                            _ => ModelConfig {
                                tracker: m
                                    .tracker
                                    .with_limit(Limit::ALL[limit], value as usize % 64),
                                ..m
                            },
                        };
                    } else {
                        ok_or(status, &[CallStatus::InvalidArgument.code()], "config setter");
                    }
                }
                // pullstream_decoder_new: free the current decoder (at whatever point of its
                // life) and create another, from a slot's config or NULL (the defaults).
                3 => {
                    if let Some(live) = world.decoder.take() {
                        // SAFETY: a live decoder, not used afterwards.
                        unsafe { pullstream_decoder_free(live.handle) };
                    }
                    let (config, model) = &world.configs[slot];
                    let (config, model) = if op & 0x20 != 0 {
                        (ptr::null(), ModelConfig::default())
                    } else {
                        (config.cast_const(), model.clone())
                    };
                    if null {
                        // SAFETY: NULL out-pointer must be rejected.
                        let status = unsafe { pullstream_decoder_new(config, ptr::null_mut()) };
                        ok_or(status, &[CallStatus::NullArgument.code()], "decoder_new(.., NULL)");
                    } else {
                        let mut handle = ptr::null_mut();
                        // SAFETY: config live or NULL; valid out-pointer.
                        let status = unsafe { pullstream_decoder_new(config, &mut handle) };
                        ok_or(status, &[CallStatus::Ok.code()], "decoder_new");
                        assert!(!handle.is_null());
                        let model = if config.is_null() {
                            ModelConfig::default()
                        } else {
                            model
                        };
                        world.decoder = Some(Live {
                            handle,
                            model: Pipeline::with_config(model.decoder, model.tracker),
                            paused: false,
                            finishing: false,
                            finished: false,
                        });
                    }
                }
                // pullstream_decoder_feed.
                4 | 5 => {
                    let len = usize::from(b.u16() % 512);
                    let chunk: Vec<u8> = (0..len).map(|_| b.u8()).collect();
                    let now_ms = u64::from(b.u16());
                    let mode = b.u8();
                    world.callback.pause_every = u32::from(mode >> 4);
                    world.callback.count = 0;
                    let callback: pullstream_event_callback =
                        if mode & 1 == 0 { Some(on_event) } else { None };
                    let userdata = (&mut world.callback as *mut Callback).cast::<c_void>();
                    let Some(live) = world.decoder.as_mut().filter(|_| !null) else {
                        // SAFETY: a NULL decoder must be rejected.
                        let status = unsafe {
                            pullstream_decoder_feed(
                                ptr::null_mut(),
                                chunk.as_ptr(),
                                chunk.len(),
                                now_ms,
                                callback,
                                userdata,
                            )
                        };
                        ok_or(status, &[CallStatus::NullArgument.code()], "feed(NULL, ..)");
                        continue;
                    };
                    let (data, data_len) = match mode >> 1 & 3 {
                        // NULL data with length 0 is allowed; with a length, rejected.
                        0 => (ptr::null(), 0),
                        1 if !chunk.is_empty() => (ptr::null(), chunk.len()),
                        _ => (chunk.as_ptr(), chunk.len()),
                    };
                    // SAFETY: a live decoder; `data` valid for `data_len` bytes or NULL.
                    let status = unsafe {
                        pullstream_decoder_feed(
                            live.handle,
                            data,
                            data_len,
                            now_ms,
                            callback,
                            userdata,
                        )
                    };
                    if data.is_null() && data_len > 0 {
                        ok_or(status, &[CallStatus::NullArgument.code()], "feed(NULL data, len > 0)");
                        continue;
                    }
                    if live.finishing {
                        // Once `finish` was called the stream has ended, even while that call
                        // is paused (FINDINGS.md F3, fixed).
                        ok_or(status, &[CallStatus::InvalidState.code()], "feed after finish");
                        continue;
                    }
                    ok_or(status, &[CallStatus::Ok.code(), CallStatus::Paused.code(), CallStatus::Stopped.code()], "feed");
                    if tracing() {
                        eprintln!(
                            "c_api:   fed b\"{}\" (len {}) pause_every {} callback {}",
                            chunk.escape_ascii(),
                            data_len,
                            world.callback.pause_every,
                            callback.is_some()
                        );
                    }
                    let fed = if data.is_null() { &[][..] } else { &chunk[..] };
                    let _ = live.model.feed(fed, now_ms, |_| ControlFlow::Continue(()));
                    live.paused = status == CallStatus::Paused.code();
                }
                // pullstream_decoder_finish.
                6 => {
                    let mode = b.u8();
                    world.callback.pause_every = u32::from(mode >> 4);
                    world.callback.count = 0;
                    let callback: pullstream_event_callback =
                        if mode & 1 == 0 { Some(on_event) } else { None };
                    let userdata = (&mut world.callback as *mut Callback).cast::<c_void>();
                    let handle = match &world.decoder {
                        Some(live) if !null => live.handle,
                        _ => ptr::null_mut(),
                    };
                    // SAFETY: live or NULL.
                    let status =
                        unsafe { pullstream_decoder_finish(handle, 7, callback, userdata) };
                    let Some(live) = world.decoder.as_mut().filter(|_| !handle.is_null()) else {
                        ok_or(status, &[CallStatus::NullArgument.code()], "finish(NULL)");
                        continue;
                    };
                    ok_or(status, &[CallStatus::Ok.code(), CallStatus::Paused.code(), CallStatus::Stopped.code()], "finish");
                    if !live.finishing {
                        live.finishing = true;
                        let _ = live.model.finish(7, |_| ControlFlow::Continue(()));
                    }
                    live.paused = status == CallStatus::Paused.code();
                    if status != CallStatus::Paused.code() {
                        live.finished = true;
                    }
                }
                // pullstream_decoder_summary_json with every kind of buffer.
                7 => {
                    let handle = match &world.decoder {
                        Some(live) if !null => live.handle,
                        _ => ptr::null_mut(),
                    };
                    let mut buf = vec![0u8; 4096];
                    let mut len = usize::MAX;
                    let (ptr_buf, cap, len_out): (*mut c_char, usize, *mut usize) = match b.u8() % 5
                    {
                        0 => (ptr::null_mut(), 0, &mut len),
                        1 => (buf.as_mut_ptr().cast(), usize::from(b.u8()), &mut len),
                        2 => (buf.as_mut_ptr().cast(), buf.len(), ptr::null_mut()),
                        3 => (ptr::null_mut(), 16, &mut len),
                        _ => (buf.as_mut_ptr().cast(), buf.len(), &mut len),
                    };
                    // SAFETY: `buf` is valid for `cap` bytes or NULL; `len_out` valid or NULL.
                    let status =
                        unsafe { pullstream_decoder_summary_json(handle, ptr_buf, cap, len_out) };
                    if handle.is_null() || len_out.is_null() || (ptr_buf.is_null() && cap > 0) {
                        ok_or(status, &[CallStatus::NullArgument.code()], "summary_json(NULL ..)");
                        continue;
                    }
                    ok_or(status, &[CallStatus::Ok.code(), CallStatus::BufferTooSmall.code()], "summary_json");
                    assert!(len < 1 << 20, "summary length not written");
                    if status == CallStatus::BufferTooSmall.code() {
                        assert!(cap <= len);
                        continue;
                    }
                    assert_eq!(buf[len], 0, "summary not NUL-terminated");
                    let text = std::str::from_utf8(&buf[..len]).expect("summary is UTF-8");
                    let live = world.decoder.as_ref().unwrap();
                    if live.comparable() {
                        assert_eq!(text, live.model.summary().to_json(), "C summary != model");
                    }
                }
                // pullstream_decoder_exit_code and pullstream_decoder_outcome.
                8 => {
                    let handle = match &world.decoder {
                        Some(live) if !null => live.handle,
                        _ => ptr::null_mut(),
                    };
                    let mut code = -99;
                    let out: *mut i32 = if op & 0x20 != 0 {
                        ptr::null_mut()
                    } else {
                        &mut code
                    };
                    // SAFETY: live or NULL; out valid or NULL.
                    let status = unsafe { pullstream_decoder_exit_code(handle, out) };
                    if handle.is_null() || out.is_null() {
                        ok_or(status, &[CallStatus::NullArgument.code()], "exit_code(NULL ..)");
                    } else {
                        ok_or(status, &[CallStatus::Ok.code()], "exit_code");
                        let live = world.decoder.as_ref().unwrap();
                        if live.comparable() {
                            assert_eq!(
                                code,
                                live.model.summary().exit_code(),
                                "exit code != model"
                            );
                        }
                    }
                    let mut outcome = std::mem::MaybeUninit::<pullstream_outcome>::zeroed();
                    // SAFETY: live or NULL; a writable outcome.
                    let status =
                        unsafe { pullstream_decoder_outcome(handle, outcome.as_mut_ptr()) };
                    if handle.is_null() {
                        ok_or(status, &[CallStatus::NullArgument.code()], "outcome(NULL)");
                        continue;
                    }
                    ok_or(status, &[CallStatus::Ok.code()], "outcome");
                    // SAFETY: written on OK.
                    let outcome = unsafe { outcome.assume_init() };
                    let mut sum = 0;
                    for bytes in [
                        &outcome.reference,
                        &outcome.digest,
                        &outcome.image_id,
                        &outcome.error_message,
                    ] {
                        touch(bytes, &mut sum);
                    }
                    // Calls through a const handle must not invalidate the outcome's strings.
                    let mut snapshot = std::mem::MaybeUninit::<pullstream_snapshot>::zeroed();
                    let mut len = 0usize;
                    // SAFETY: live decoder; valid out-pointers (NULL buffer with cap 0).
                    unsafe {
                        let _ = pullstream_decoder_snapshot(handle, snapshot.as_mut_ptr());
                        let _ =
                            pullstream_decoder_summary_json(handle, ptr::null_mut(), 0, &mut len);
                        let _ = pullstream_decoder_exit_code(handle, &mut code);
                    }
                    for bytes in [
                        &outcome.reference,
                        &outcome.digest,
                        &outcome.image_id,
                        &outcome.error_message,
                    ] {
                        touch(bytes, &mut sum);
                    }
                    assert!(outcome.layers_complete <= outcome.layers_seen);
                    let live = world.decoder.as_ref().unwrap();
                    if live.comparable() {
                        let summary = live.model.summary();
                        assert_eq!(outcome.records, summary.records);
                        assert_eq!(outcome.malformed_records, summary.malformed_records);
                        assert_eq!(outcome.exit_code, summary.exit_code());
                    }
                    // SAFETY: NULL out-pointer must be rejected.
                    let status = unsafe { pullstream_decoder_outcome(handle, ptr::null_mut()) };
                    ok_or(status, &[CallStatus::NullArgument.code()], "outcome(.., NULL)");
                }
                // pullstream_decoder_snapshot and pullstream_decoder_layer.
                9 => {
                    let handle = match &world.decoder {
                        Some(live) if !null => live.handle,
                        _ => ptr::null_mut(),
                    };
                    let mut snapshot = std::mem::MaybeUninit::<pullstream_snapshot>::zeroed();
                    // SAFETY: live or NULL; writable.
                    let status =
                        unsafe { pullstream_decoder_snapshot(handle, snapshot.as_mut_ptr()) };
                    let index = usize::from(b.u8());
                    let mut layer = std::mem::MaybeUninit::<pullstream_layer>::zeroed();
                    if handle.is_null() {
                        ok_or(status, &[CallStatus::NullArgument.code()], "snapshot(NULL)");
                        // SAFETY: NULL must be rejected.
                        let status =
                            unsafe { pullstream_decoder_layer(handle, index, layer.as_mut_ptr()) };
                        ok_or(status, &[CallStatus::NullArgument.code()], "layer(NULL)");
                        continue;
                    }
                    ok_or(status, &[CallStatus::Ok.code()], "snapshot");
                    // SAFETY: written on OK.
                    let snapshot = unsafe { snapshot.assume_init() };
                    assert!((0.0..=100.0).contains(&snapshot.percent_by_count));
                    assert!((0.0..=100.0).contains(&snapshot.percent_by_bytes));
                    assert!(snapshot.layers_done <= snapshot.layers_known);
                    for i in [
                        index,
                        snapshot.layer_count.saturating_sub(1),
                        snapshot.layer_count,
                    ] {
                        // SAFETY: live; writable.
                        let status =
                            unsafe { pullstream_decoder_layer(handle, i, layer.as_mut_ptr()) };
                        if i < snapshot.layer_count {
                            ok_or(status, &[CallStatus::Ok.code()], "layer");
                            // SAFETY: written on OK.
                            let layer = unsafe { layer.assume_init_ref() };
                            let mut sum = 0;
                            touch(&layer.id, &mut sum);
                        } else {
                            ok_or(status, &[CallStatus::InvalidArgument.code()], "layer past the end");
                        }
                    }
                    // SAFETY: NULL out-pointer must be rejected.
                    let status = unsafe { pullstream_decoder_layer(handle, 0, ptr::null_mut()) };
                    ok_or(status, &[CallStatus::NullArgument.code()], "layer(.., NULL)");
                }
                // pullstream_decoder_poll_stalls.
                10 => {
                    let handle = match &world.decoder {
                        Some(live) if !null => live.handle,
                        _ => ptr::null_mut(),
                    };
                    let now_ms = if op & 0x20 != 0 {
                        b.i64() as u64
                    } else {
                        u64::from(b.u32())
                    };
                    let mut sum = 0u64;
                    let mut count = usize::MAX;
                    let callback: pullstream_stall_callback =
                        if op & 0x40 != 0 { None } else { Some(on_stall) };
                    let count_out: *mut usize = if op & 0x80 != 0 {
                        ptr::null_mut()
                    } else {
                        &mut count
                    };
                    // SAFETY: live or NULL; userdata is a u64 for `on_stall`.
                    let status = unsafe {
                        pullstream_decoder_poll_stalls(
                            handle,
                            now_ms,
                            callback,
                            (&mut sum as *mut u64).cast(),
                            count_out,
                        )
                    };
                    if handle.is_null() {
                        ok_or(status, &[CallStatus::NullArgument.code()], "poll_stalls(NULL)");
                    } else {
                        ok_or(status, &[CallStatus::Ok.code()], "poll_stalls");
                        assert!(count_out.is_null() || count != usize::MAX);
                    }
                }
                // pullstream_decoder_last_error with every kind of buffer.
                11 => {
                    let handle = match &world.decoder {
                        Some(live) if !null => live.handle,
                        _ => ptr::null_mut(),
                    };
                    let mut buf = vec![0u8; 512];
                    let mut len = usize::MAX;
                    let mut offset = 0u64;
                    let mut error_status = CallStatus::Panic.code();
                    let cap = match b.u8() % 3 {
                        0 => 0,
                        1 => usize::from(b.u8()),
                        _ => buf.len(),
                    };
                    let buf_ptr: *mut c_char = if cap == 0 && op & 0x20 != 0 {
                        ptr::null_mut()
                    } else {
                        buf.as_mut_ptr().cast()
                    };
                    let (offset_out, status_out): (*mut u64, *mut pullstream_status) =
                        if op & 0x40 != 0 {
                            (ptr::null_mut(), ptr::null_mut())
                        } else {
                            (&mut offset, &mut error_status)
                        };
                    // SAFETY: live or NULL; buffers valid or NULL as described.
                    let status = unsafe {
                        pullstream_decoder_last_error(
                            handle, buf_ptr, cap, &mut len, offset_out, status_out,
                        )
                    };
                    if handle.is_null() {
                        ok_or(status, &[CallStatus::NullArgument.code()], "last_error(NULL)");
                        continue;
                    }
                    ok_or(status, &[CallStatus::Ok.code(), CallStatus::BufferTooSmall.code()], "last_error");
                    if status == CallStatus::Ok.code() {
                        assert_eq!(buf[len], 0, "last error not NUL-terminated");
                        assert!(std::str::from_utf8(&buf[..len]).is_ok());
                        if !status_out.is_null() {
                            assert!(error_status != CallStatus::Panic.code(), "a panic was recorded");
                        }
                    }
                }
                // pullstream_decoder_free (at any point of the decoder's life; NULL too).
                12 => {
                    if null {
                        // SAFETY: NULL is a no-op.
                        unsafe { pullstream_decoder_free(ptr::null_mut()) };
                    } else if let Some(live) = world.decoder.take() {
                        // SAFETY: live, not used afterwards.
                        unsafe { pullstream_decoder_free(live.handle) };
                    }
                }
                // pullstream_decoder_set_truncated_body (NULL too), at any point: the model
                // is told the same, so the verdicts must still agree.
                13 => {
                    let handle = match &mut world.decoder {
                        Some(live) if !null => {
                            live.model.note_truncated_body();
                            live.handle
                        }
                        _ => ptr::null_mut(),
                    };
                    // SAFETY: live or NULL.
                    let status = unsafe { pullstream_decoder_set_truncated_body(handle) };
                    let want = if handle.is_null() {
                        CallStatus::NullArgument.code()
                    } else {
                        CallStatus::Ok.code()
                    };
                    ok_or(status, &[want], "set_truncated_body");
                }
                // The static-text functions, with any value.
                _ => {
                    let value = b.u32();
                    // SAFETY: always safe to call.
                    unsafe {
                        c_text(pullstream_version());
                        c_text(pullstream_status_name(value));
                        c_text(pullstream_event_kind_name(value));
                        c_text(pullstream_failure_kind_name(value));
                        c_text(pullstream_status_name(value % 200));
                        c_text(pullstream_event_kind_name(value % 110));
                    }
                }
            }
        }
        // End: finish and check the verdict against the model, then free everything (Drop).
        if let Some(live) = world.decoder.as_mut() {
            let userdata = (&mut world.callback as *mut Callback).cast::<c_void>();
            world.callback.pause_every = 0;
            // SAFETY: live decoder; the callback never pauses now.
            let status =
                unsafe { pullstream_decoder_finish(live.handle, 9, Some(on_event), userdata) };
            ok_or(status, &[CallStatus::Ok.code(), CallStatus::Stopped.code()], "final finish");
            if !live.finishing {
                let _ = live.model.finish(9, |_| ControlFlow::Continue(()));
            }
            let mut buf = vec![0u8; 1 << 16];
            let mut len = 0usize;
            // SAFETY: live decoder; valid buffer.
            let status = unsafe {
                pullstream_decoder_summary_json(
                    live.handle,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    &mut len,
                )
            };
            ok_or(status, &[CallStatus::Ok.code()], "final summary_json");
            let text = std::str::from_utf8(&buf[..len]).unwrap();
            assert_eq!(
                text,
                live.model.summary().to_json(),
                "final C summary != model"
            );
        }
    }

    /// Writes the call sequences [`check_c_api`] reads, one method per op, so a seed says what
    /// it calls and its bytes follow the layout of the code above.
    pub struct Calls {
        out: super::fuzz_body::Writer,
        calls: usize,
    }

    /// The `summary_json` buffer cases (op 7).
    #[derive(Clone, Copy)]
    pub enum SummaryBuffer {
        /// NULL with capacity 0: asks for the length.
        Null,
        /// A buffer of this many bytes (may be too small).
        Small(u8),
        /// A large buffer and a NULL length pointer.
        NoLength,
        /// NULL with a capacity: rejected.
        NullWithCapacity,
        /// A large buffer.
        Large,
    }

    /// The `last_error` buffer cases (op 11).
    #[derive(Clone, Copy)]
    pub enum ErrorBuffer {
        Empty,
        Small(u8),
        Large,
    }

    impl Default for Calls {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Calls {
        pub fn new() -> Calls {
            Calls {
                out: super::fuzz_body::Writer(Vec::new()),
                calls: 0,
            }
        }

        /// The op byte: the call in the low nibble, the config slot in bit 4, `flag` (0x20,
        /// whose meaning depends on the call) and a NULL handle (0xc0).
        fn op(&mut self, call: u8, slot: u8, flag: bool, null: bool) -> &mut Self {
            let mut op = call | (slot & 1) << 4;
            if flag {
                op |= 0x20;
            }
            if null {
                op |= 0xc0;
            }
            self.out.u8(op);
            self.calls += 1;
            self
        }

        /// How many calls the sequence makes (to stay under [`MAX_CALLS`]).
        pub fn calls(&self) -> usize {
            self.calls
        }

        pub fn into_bytes(self) -> Vec<u8> {
            self.out.0
        }

        /// `pullstream_config_new` into `slot`.
        pub fn config_new(&mut self, slot: u8) -> &mut Self {
            self.op(0, slot, false, false)
        }

        /// `pullstream_config_free(slot)`.
        pub fn config_free(&mut self, slot: u8) -> &mut Self {
            self.op(1, slot, false, false)
        }

        /// A setter on `slot`: `which` 0 max_record_len, 1 max_depth, 2 stop_at_first_error,
        /// 3 max_layers, 4 stall_after_ms (with `phase`), 5 min_bytes_per_sec,
        /// 6 rate_window_ms, 7 set_limit (with `limit`, the index into `Limit::ALL`).
        pub fn config_set(&mut self, slot: u8, which: u8, value: u64, phase: u8, limit: u8) -> &mut Self {
            self.op(2, slot, false, false);
            self.out.u8(which);
            match value {
                0 => self.out.u8(0),
                1..=0xff => {
                    self.out.u8(1);
                    self.out.u8(value as u8);
                }
                0x100..=0xffff => {
                    self.out.u8(2);
                    self.out.u16(value as u16);
                }
                _ => {
                    self.out.u8(3);
                    self.out.i64(value as i64);
                }
            }
            self.out.u8(phase);
            self.out.u8(limit);
            self
        }

        /// `pullstream_decoder_new` from `slot`'s config (or NULL: the defaults), freeing the
        /// decoder there was.
        pub fn decoder_new(&mut self, slot: u8, null_config: bool) -> &mut Self {
            self.op(3, slot, null_config, false)
        }

        /// `pullstream_decoder_new(.., NULL)`: rejected.
        pub fn decoder_new_null_out(&mut self) -> &mut Self {
            self.op(3, 0, false, true)
        }

        /// The mode byte of feed and finish: pause after every `pause_every` events (0: never),
        /// no callback when `callback` is false; `data` 0 NULL/0, 1 NULL/len, 2 the data.
        fn mode(pause_every: u8, data: u8, callback: bool) -> u8 {
            (pause_every.min(15) << 4) | (data & 3) << 1 | u8::from(!callback)
        }

        /// `pullstream_decoder_feed` with `data` (at most 511 bytes).
        pub fn feed(&mut self, data: &[u8], now_ms: u16, pause_every: u8) -> &mut Self {
            assert!(data.len() < 512, "feed takes at most 511 bytes");
            self.op(4, 0, false, false);
            self.out.u16(data.len() as u16);
            self.out.bytes(data);
            self.out.u16(now_ms);
            self.out.u8(Self::mode(pause_every, 2, true));
            self
        }

        /// `pullstream_decoder_feed(NULL, 0)`: resumes after a pause.
        pub fn resume(&mut self, now_ms: u16) -> &mut Self {
            self.op(4, 0, false, false);
            self.out.u16(0);
            self.out.u16(now_ms);
            self.out.u8(Self::mode(0, 0, true));
            self
        }

        /// `pullstream_decoder_feed(NULL, len)`: rejected.
        pub fn feed_null_data(&mut self, len: u16) -> &mut Self {
            self.op(4, 0, false, false);
            let len = len.clamp(1, 511);
            self.out.u16(len);
            self.out.bytes(&vec![b'x'; usize::from(len)]);
            self.out.u16(0);
            self.out.u8(Self::mode(0, 1, true));
            self
        }

        /// `pullstream_decoder_finish`.
        pub fn finish(&mut self, pause_every: u8) -> &mut Self {
            self.op(6, 0, false, false);
            self.out.u8(Self::mode(pause_every, 0, true));
            self
        }

        /// `pullstream_decoder_summary_json`.
        pub fn summary_json(&mut self, buffer: SummaryBuffer) -> &mut Self {
            self.op(7, 0, false, false);
            match buffer {
                SummaryBuffer::Null => self.out.u8(0),
                SummaryBuffer::Small(cap) => {
                    self.out.u8(1);
                    self.out.u8(cap);
                }
                SummaryBuffer::NoLength => self.out.u8(2),
                SummaryBuffer::NullWithCapacity => self.out.u8(3),
                SummaryBuffer::Large => self.out.u8(4),
            }
            self
        }

        /// `pullstream_decoder_exit_code` and `pullstream_decoder_outcome`.
        pub fn exit_code_and_outcome(&mut self) -> &mut Self {
            self.op(8, 0, false, false)
        }

        /// `pullstream_decoder_snapshot` and `pullstream_decoder_layer(index)`.
        pub fn snapshot_and_layer(&mut self, index: u8) -> &mut Self {
            self.op(9, 0, false, false);
            self.out.u8(index);
            self
        }

        /// `pullstream_decoder_poll_stalls(now_ms)`.
        pub fn poll_stalls(&mut self, now_ms: u32) -> &mut Self {
            self.op(10, 0, false, false);
            self.out.u32(now_ms);
            self
        }

        /// `pullstream_decoder_last_error`.
        pub fn last_error(&mut self, buffer: ErrorBuffer) -> &mut Self {
            self.op(11, 0, false, false);
            match buffer {
                ErrorBuffer::Empty => self.out.u8(0),
                ErrorBuffer::Small(cap) => {
                    self.out.u8(1);
                    self.out.u8(cap);
                }
                ErrorBuffer::Large => self.out.u8(2),
            }
            self
        }

        /// `pullstream_decoder_free` of the decoder (`null`: of NULL, a no-op).
        pub fn decoder_free(&mut self, null: bool) -> &mut Self {
            self.op(12, 0, false, null)
        }

        /// `pullstream_decoder_set_truncated_body`.
        pub fn set_truncated_body(&mut self) -> &mut Self {
            self.op(13, 0, false, false)
        }

        /// The `*_name` and version functions with `value`.
        pub fn static_texts(&mut self, value: u32) -> &mut Self {
            self.op(14, 0, false, false);
            self.out.u32(value);
            self
        }
    }

    /// A fixture as a C call sequence: a config (five layers, a 2 s transfer stall; in variant
    /// 1 also a 200-byte record limit and stop at the first error), the fixture fed in pieces
    /// with pauses and resumes, every query now and then, finish (pausing), feed after finish,
    /// NULL arguments, free and recreate.
    pub fn fixture_calls(data: &[u8], variant: usize) -> Calls {
        let mut calls = Calls::new();
        calls
            .config_new(0)
            .config_set(0, 3, 5, 0, 0)
            .config_set(0, 4, 2000, 1, 0);
        if variant == 1 {
            calls.config_set(0, 0, 200, 0, 0).config_set(0, 2, 1, 0, 0);
        }
        calls.decoder_new(0, false);
        let step = if variant == 0 { 300 } else { 97 };
        for (i, piece) in data.chunks(step).enumerate() {
            let pause_every = if i % 2 == 1 { 1 } else { 3 };
            calls
                .feed(piece, (i * 500 % 65536) as u16, pause_every)
                .resume(0);
            if i % 3 == 0 {
                calls
                    .summary_json(SummaryBuffer::Large)
                    .exit_code_and_outcome()
                    .snapshot_and_layer((i % 7) as u8)
                    .poll_stalls((i * 3000) as u32)
                    .last_error(ErrorBuffer::Large);
            }
        }
        calls
            .finish(1)
            .finish(0)
            .summary_json(SummaryBuffer::Large)
            .summary_json(SummaryBuffer::Small(10))
            .summary_json(SummaryBuffer::Null)
            .exit_code_and_outcome()
            .snapshot_and_layer(0)
            .last_error(ErrorBuffer::Small(8))
            .feed(b"{}\n", 0, 0)
            .feed_null_data(3)
            .decoder_new_null_out()
            .decoder_free(false)
            .decoder_free(true)
            .decoder_new(0, true)
            .set_truncated_body()
            .static_texts(u32::MAX)
            .static_texts(7);
        calls
    }

    /// The `c_api` seeds: one call sequence per fixture, the variants alternating.
    pub fn seeds(fixtures: &[(String, Vec<u8>)]) -> Vec<super::fuzz_body::seeds::Seed> {
        fixtures
            .iter()
            .enumerate()
            .map(|(index, (name, data))| super::fuzz_body::seeds::Seed {
                target: "c_api",
                name: name.clone(),
                bytes: fixture_calls(data, index % 2).into_bytes(),
            })
            .collect()
    }
}
