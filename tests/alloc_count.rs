//! Steady-state decoding of a realistic pull stream allocates (almost) nothing: records are lent
//! in place or from reused buffers, and the borrowed view never copies.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use pullstream::Decoder;

/// Counts allocations made by the current thread while counting is switched on.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the thread-locals may already be gone while the thread shuts down. Both are
    // const-initialised `Cell`s, so touching them never allocates (no recursion).
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds exactly as it does for `System`; the counting touches only
// const-initialised thread-local `Cell`s and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded unchanged; `ptr` was allocated by `System` through this allocator
        // with `layout`, as the caller guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by this thread while running `f`.
fn count_allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (out, ALLOCATIONS.with(Cell::get))
}

fn hex_id(seed: u64) -> String {
    format!("{:012x}", seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16)
}

/// A CRLF pull stream of at least `min_len` bytes: layers announced, downloaded with progress
/// bars (`\u003e`), verified, extracted; a few in-band errors along the way.
fn pull_stream(min_len: usize) -> Vec<u8> {
    let mut out = String::with_capacity(min_len + 4096);
    out.push_str("{\"status\":\"Pulling from library/postgres\",\"id\":\"16\"}\r\n");
    let mut layer = 0u64;
    while out.len() < min_len {
        layer += 1;
        let id = hex_id(layer);
        let total = 3_000_000 + layer * 7919 % 1_000_000;
        out.push_str(&format!(
            "{{\"status\":\"Pulling fs layer\",\"progressDetail\":{{}},\"id\":\"{id}\"}}\r\n"
        ));
        out.push_str(&format!(
            "{{\"status\":\"Waiting\",\"progressDetail\":{{}},\"id\":\"{id}\"}}\r\n"
        ));
        for step in 1..=50u64 {
            let current = total * step / 50;
            let width = (step as usize) * 50 / 50;
            let bar = format!(
                "[{}\\u003e{}] {:.3}MB/{:.3}MB",
                "=".repeat(width.saturating_sub(1)),
                " ".repeat(50 - width),
                current as f64 / 1e6,
                total as f64 / 1e6
            );
            out.push_str(&format!(
                "{{\"status\":\"Downloading\",\"progressDetail\":{{\"current\":{current},\"total\":{total}}},\"progress\":\"{bar}\",\"id\":\"{id}\"}}\r\n"
            ));
        }
        out.push_str(&format!(
            "{{\"status\":\"Verifying Checksum\",\"progressDetail\":{{}},\"id\":\"{id}\"}}\r\n"
        ));
        out.push_str(&format!(
            "{{\"status\":\"Download complete\",\"progressDetail\":{{}},\"id\":\"{id}\"}}\r\n"
        ));
        if layer.is_multiple_of(40) {
            out.push_str("{\"errorDetail\":{\"message\":\"read tcp 10.0.0.2:4431-\\u003e104.18.1.1:443: read: connection reset by peer\"},\"error\":\"read tcp 10.0.0.2:4431-\\u003e104.18.1.1:443: read: connection reset by peer\"}\r\n");
        }
        out.push_str(&format!(
            "{{\"status\":\"Extracting\",\"progressDetail\":{{\"current\":{total},\"total\":{total}}},\"progress\":\"[==================================================\\u003e] {:.3}MB/{:.3}MB\",\"id\":\"{id}\"}}\r\n",
            total as f64 / 1e6,
            total as f64 / 1e6
        ));
        out.push_str(&format!(
            "{{\"status\":\"Pull complete\",\"progressDetail\":{{}},\"id\":\"{id}\"}}\r\n"
        ));
    }
    out.push_str("{\"status\":\"Digest: sha256:4048db5d36726e313ab8f7ffccf2362a34cba69e4cdd49119713483a68641fce\"}\r\n");
    out.push_str("{\"status\":\"Status: Downloaded newer image for postgres:16\"}\r\n");
    out.into_bytes()
}

/// Reads the fields a progress display reads; returns something that depends on all of them.
fn touch(decoder: &mut Decoder, chunk: &[u8]) -> (u64, u64) {
    let mut records = 0;
    let mut sum = 0u64;
    for item in decoder.feed(chunk) {
        let record = item.expect("the stream is valid");
        let message = record.message();
        records += 1;
        sum = sum.wrapping_add(message.status.map_or(0, |s| s.raw().len() as u64));
        sum = sum.wrapping_add(message.id.map_or(0, |s| s.raw().len() as u64));
        if let Some(detail) = message.progress_detail {
            sum = sum.wrapping_add(detail.current.unwrap_or(0) as u64);
            sum = sum.wrapping_add(detail.total.unwrap_or(0) as u64);
        }
        sum = sum.wrapping_add(message.progress.map_or(0, |p| p.raw().len() as u64));
        if let Some(error) = message.error_detail {
            sum = sum.wrapping_add(error.message.map_or(0, |m| m.raw().len() as u64));
        }
        black_box(record.as_bytes());
    }
    (records, sum)
}

#[test]
fn steady_state_decoding_does_not_allocate_per_record() {
    const CHUNK: usize = 64 << 10;
    let stream = pull_stream(4 << 20);
    assert!(stream.len() >= 4 << 20);
    let (warm_up, rest) = stream.split_at(CHUNK);

    let mut decoder = Decoder::new();
    let (warm_records, _) = touch(&mut decoder, warm_up);

    let ((records, sum), allocations) = count_allocations(|| {
        let mut records = 0;
        let mut sum = 0u64;
        for chunk in rest.chunks(CHUNK) {
            let (n, s) = touch(&mut decoder, chunk);
            records += n;
            sum = sum.wrapping_add(s);
        }
        (records, sum)
    });
    black_box(sum);
    assert!(decoder.finish().next().is_none());

    println!(
        "{} bytes, {} records after a warm-up of {warm_records}: {allocations} allocations \
         in steady state, {:.6} per record",
        stream.len(),
        records,
        allocations as f64 / records as f64
    );
    assert!(
        records > 20_000,
        "a realistic stream has many records ({records})"
    );
    assert_eq!(decoder.stats().records, warm_records + records);
    assert!(
        allocations <= 4,
        "{allocations} allocations for {records} records in steady state"
    );
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test above against a counter that counts nothing.
    let (_, allocations) = count_allocations(|| black_box(vec![1u8; 100]));
    assert!(allocations >= 1);
    let mut decoder = Decoder::new();
    // A record that crosses chunks is assembled in a buffer: the first time, that allocates.
    let (_, allocations) = count_allocations(|| {
        let _ = decoder.feed(b"{\"status\":\"Downlo").count();
        decoder.feed(b"ading\"}\r\n").count()
    });
    assert!(allocations >= 1);
}
