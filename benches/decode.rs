//! Throughput of every stage of the decoder, against serde_json and a naive framing loop
//! measured in the same run.
//!
//! ```text
//! cargo bench --bench decode                      # everything, then a summary table (~3 min)
//! cargo bench --bench decode -- full_pipeline     # one group (criterion filter)
//! cargo bench --bench decode -- --test            # smoke: every bench once
//! ```
//!
//! Inputs come from the crate's deterministic generator (`pullstream::synth`), so every run
//! and every machine decodes the same bytes: a 64 MiB pull stream, ~88 % `Downloading`
//! records whose progress bars carry `\u003e`. Chunk sizes are swept on the CRLF stream (what
//! Docker ≥ 1.10 sends); the other framings run whole and at 4 KiB.
//!
//! Groups:
//! * `frame_only`: the `Splitter` alone (record boundaries, nothing parsed).
//! * `frame_view`: `Decoder::feed` + `record.message()` (boundaries, validation, fields).
//! * `full_pipeline`: `Pipeline::feed` (decoder + `Event::classify` + `Tracker::observe`).
//! * `c_abi`: the `extern "C"` feed-with-callback entry point, called from Rust.
//! * `errors`: `full_pipeline` over a stream of ~100 KB error records (a proxy's escaped HTML
//!   page, a long Go error chain), whose every message is classified: its per-byte cost
//!   against `full_pipeline` on the pull stream is the error path's target (at most 2x).
//! * `baselines`: serde_json `StreamDeserializer` into owned and borrowed mirrors of bollard's
//!   `CreateImageInfo`, and a naive byte-at-a-time framing loop.
//!
//! After criterion has run, `summary` reads criterion's estimates of this run and prints the
//! throughput table and the ratios the project's performance targets are stated in
//! (`docs/PERFORMANCE.md`).

use std::borrow::Cow;
use std::ffi::c_void;
use std::hint::black_box;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, BenchmarkId, Criterion, SamplingMode, Throughput};
use serde::Deserialize;

use pullstream::pipeline::{Item, Pipeline};
use pullstream::scan::{Split, Splitter};
use pullstream::synth::{Framing, Generator, StreamSize};
use pullstream::Decoder;
use pullstream_capi::enums::CallStatus;
use pullstream_capi::{
    pullstream_decoder_feed, pullstream_decoder_finish, pullstream_decoder_free,
    pullstream_decoder_new, pullstream_event,
};

/// Seed of every generated input: change it and every figure in docs/PERFORMANCE.md changes.
const SEED: u64 = 6;

/// Chunk sizes of the sweep; `usize::MAX` stands for the whole buffer in one `feed`.
const CHUNKS: [(usize, &str); 4] = [
    (64, "64B"),
    (4 << 10, "4KiB"),
    (64 << 10, "64KiB"),
    (usize::MAX, "whole"),
];

/// The two chunk sizes the other framings run at.
const FEW_CHUNKS: [(usize, &str); 2] = [(4 << 10, "4KiB"), (usize::MAX, "whole")];

struct Inputs {
    concatenated: Vec<u8>,
    crlf: Vec<u8>,
    lf: Vec<u8>,
    errors: Vec<u8>,
}

/// Size of the error stream: 320 records of about 100 KB.
const ERROR_STREAM_BYTES: usize = 32 << 20;

/// A CRLF stream of error records of about 100 KB each, as Docker writes them (the message in
/// both `errorDetail.message` and `error`), JSON-escaped as Go escapes it. Two messages
/// alternate: a registry proxy's HTML error page quoted in `error parsing HTTP 502 response
/// body` (many short English words, `\u003c` escapes, line breaks), and a long chain of Go
/// network errors (URLs, digests, addresses).
fn error_stream(target: usize) -> Vec<u8> {
    const HALF: usize = 50_000;
    let page = concat!(
        "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n",
        "<center><h1>502 Bad Gateway</h1></center>\n<p>The server did not receive a timely ",
        "response from the upstream server while it was trying to complete the request for ",
        "/v2/library/alpine/manifests/latest. Please try again in a few minutes; if the ",
        "problem is not resolved, contact the administrator of this registry & quote ",
        "\"req-7f3a9c\".</p>\n<hr><center>nginx/1.25.3</center>\n</body>\n</html>\n",
    );
    let chain = concat!(
        "failed to copy: httpReadSeeker: failed open: failed to do request: Get ",
        "\"https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/",
        "sha256/4a/4abcf20661432fb2d719aaf90656f55c287f8ca915dc1c92ec14ff61e67fbaf8/data",
        "?verify=1700000000-abcdef\": dial tcp 104.16.101.215:443: i/o timeout; retrying ",
    );
    let escape = |text: &str| -> String {
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    };
    let repeat = |prefix: &str, unit: &str| {
        let mut text = String::from(prefix);
        while text.len() < HALF {
            text.push_str(unit);
        }
        escape(&text)
    };
    let messages = [
        repeat(
            "error parsing HTTP 502 response body: invalid character '<' looking for beginning of value: \"",
            page,
        ),
        repeat("", chain),
    ];
    let mut out = Vec::with_capacity(target + 2 * HALF * 3);
    let mut n = 0;
    while out.len() < target {
        let message = &messages[n % messages.len()];
        n += 1;
        out.extend_from_slice(b"{\"errorDetail\":{\"message\":\"");
        out.extend_from_slice(message.as_bytes());
        out.extend_from_slice(b"\"},\"error\":\"");
        out.extend_from_slice(message.as_bytes());
        out.extend_from_slice(b"\"}\r\n");
    }
    out
}

fn inputs() -> &'static Inputs {
    static INPUTS: OnceLock<Inputs> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let make = |framing| {
            Generator::new(SEED)
                .size(StreamSize::Large)
                .framing(framing)
                .generate()
        };
        Inputs {
            concatenated: make(Framing::Concatenated),
            crlf: make(Framing::Crlf),
            lf: make(Framing::Lf),
            errors: error_stream(ERROR_STREAM_BYTES),
        }
    })
}

/// Every (framing, chunk size) a pipeline group runs, CRLF first.
fn cases() -> Vec<(&'static str, &'static [u8], usize, &'static str)> {
    let inputs = inputs();
    let mut cases = Vec::new();
    for (size, label) in CHUNKS {
        cases.push(("crlf", inputs.crlf.as_slice(), size, label));
    }
    for (name, data) in [("concat", &inputs.concatenated), ("lf", &inputs.lf)] {
        for (size, label) in FEW_CHUNKS {
            cases.push((name, data.as_slice(), size, label));
        }
    }
    cases
}

/// `data` in pieces of `size` bytes (the last one shorter).
fn chunks(data: &[u8], size: usize) -> std::slice::Chunks<'_, u8> {
    data.chunks(size.min(data.len()).max(1))
}

// ---------------------------------------------------------------------------------------------
// The code under test, one function per group. Each returns something that depends on every
// record so the optimiser cannot drop work.

#[inline(never)]
fn frame_only(data: &[u8], size: usize) -> u64 {
    let mut splitter = Splitter::new();
    let mut records = 0;
    for chunk in chunks(data, size) {
        let mut pos = 0;
        loop {
            let split = splitter.split(chunk, pos);
            match split {
                Split::NeedMore => break,
                Split::End(_) => records += 1,
                _ => {}
            }
            pos = split.resume_at(chunk.len());
        }
    }
    records
}

#[inline(never)]
fn frame_view(data: &[u8], size: usize) -> u64 {
    let mut decoder = Decoder::new();
    let mut sum = 0u64;
    for chunk in chunks(data, size) {
        for record in decoder.feed(chunk).flatten() {
            // What a progress display reads: status, id and the numbers.
            let message = record.message();
            sum = sum.wrapping_add(message.status.map_or(0, |s| s.raw().len() as u64));
            sum = sum.wrapping_add(message.id.map_or(0, |s| s.raw().len() as u64));
            if let Some(detail) = message.progress_detail {
                sum = sum.wrapping_add(detail.current.unwrap_or(0) as u64);
            }
        }
    }
    sum + decoder.finish().count() as u64
}

#[inline(never)]
fn full_pipeline(data: &[u8], size: usize) -> u64 {
    let mut pipeline = Pipeline::new();
    let mut events = 0u64;
    // The same work per item as the C callback below: count it, read one field. (The C
    // callback also receives the layer-limit notice, which this stream reaches, as an event.)
    let mut count = |item: Item<'_, '_>| {
        events += match item {
            Item::Event { event, .. } => {
                1 + event.progress().and_then(|p| p.current).unwrap_or(0) % 2
            }
            _ => 1,
        };
        ControlFlow::Continue(())
    };
    for chunk in chunks(data, size) {
        let _ = pipeline.feed(chunk, 0, &mut count);
    }
    let _ = pipeline.finish(0, &mut count);
    black_box(pipeline.summary());
    events
}

/// The callback a C caller would pass: counts events, reads one field.
unsafe extern "C" fn count_event(userdata: *mut c_void, event: *const pullstream_event) -> i32 {
    // SAFETY: `userdata` is the `u64` counter `c_abi` passes; `event` is valid for the call.
    unsafe {
        *userdata.cast::<u64>() += 1 + (*event).progress_current.max(0) as u64 % 2;
    }
    0
}

/// The same work as `full_pipeline`, through the `extern "C"` functions a C caller uses.
#[inline(never)]
fn c_abi(data: &[u8], size: usize) -> u64 {
    let mut decoder = std::ptr::null_mut();
    let mut events = 0u64;
    let userdata = std::ptr::addr_of_mut!(events).cast::<c_void>();
    // SAFETY: the handle is created, used on this thread only and freed once; every chunk is a
    // live slice for the duration of its call; the callback matches what `userdata` points to.
    unsafe {
        let status = pullstream_decoder_new(std::ptr::null(), &mut decoder);
        assert_eq!(status, CallStatus::Ok.code());
        for chunk in chunks(data, size) {
            let status = pullstream_decoder_feed(
                decoder,
                chunk.as_ptr(),
                chunk.len(),
                0,
                Some(count_event),
                userdata,
            );
            debug_assert_eq!(status, CallStatus::Ok.code());
        }
        pullstream_decoder_finish(decoder, 0, Some(count_event), userdata);
        pullstream_decoder_free(decoder);
    }
    events
}

// ---------------------------------------------------------------------------------------------
// Baselines.

/// bollard's `CreateImageInfo` (what `bollard::Docker::create_image` yields), written out:
/// every string owned.
#[allow(dead_code)]
#[derive(Deserialize)]
struct OwnedInfo {
    id: Option<String>,
    error: Option<String>,
    #[serde(rename = "errorDetail")]
    error_detail: Option<OwnedErrorDetail>,
    status: Option<String>,
    progress: Option<String>,
    #[serde(rename = "progressDetail")]
    progress_detail: Option<ProgressDetail>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct OwnedErrorDetail {
    code: Option<i64>,
    message: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct ProgressDetail {
    current: Option<i64>,
    total: Option<i64>,
}

/// The same fields borrowed from the input: `Cow`, because a string with an escape (every
/// progress bar) cannot be a `&str` into the input.
#[allow(dead_code)]
#[derive(Deserialize)]
struct BorrowedInfo<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "errorDetail")]
    error_detail: Option<BorrowedErrorDetail<'a>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    progress: Option<Cow<'a, str>>,
    #[serde(rename = "progressDetail")]
    progress_detail: Option<ProgressDetail>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct BorrowedErrorDetail<'a> {
    code: Option<i64>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
}

#[inline(never)]
fn serde_owned(data: &[u8]) -> u64 {
    let mut sum = 0u64;
    for info in serde_json::Deserializer::from_slice(data).into_iter::<OwnedInfo>() {
        let info = info.expect("the generated stream is valid");
        sum = sum.wrapping_add(info.status.map_or(0, |s| s.len() as u64));
        sum = sum.wrapping_add(info.id.map_or(0, |s| s.len() as u64));
        if let Some(detail) = info.progress_detail {
            sum = sum.wrapping_add(detail.current.unwrap_or(0) as u64);
        }
    }
    sum
}

#[inline(never)]
fn serde_borrowed(data: &[u8]) -> u64 {
    let mut sum = 0u64;
    for info in serde_json::Deserializer::from_slice(data).into_iter::<BorrowedInfo<'_>>() {
        let info = info.expect("the generated stream is valid");
        sum = sum.wrapping_add(info.status.map_or(0, |s| s.len() as u64));
        sum = sum.wrapping_add(info.id.map_or(0, |s| s.len() as u64));
        if let Some(detail) = info.progress_detail {
            sum = sum.wrapping_add(detail.current.unwrap_or(0) as u64);
        }
    }
    sum
}

/// What anyone would write first: one byte at a time, tracking depth, strings and escapes.
#[inline(never)]
fn naive_framing(data: &[u8]) -> u64 {
    let (mut depth, mut in_string, mut escaped, mut records) = (0u32, false, false, 0u64);
    for &byte in data {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    records += 1;
                }
            }
            _ => {}
        }
    }
    records
}

// ---------------------------------------------------------------------------------------------
// Criterion groups.

/// Settings shared by every group: one iteration decodes 64 MiB (tens of milliseconds), so
/// flat sampling with the minimum sample count keeps the whole run near three minutes.
fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

fn run_group(c: &mut Criterion, name: &str, f: fn(&[u8], usize) -> u64) {
    let mut group = c.benchmark_group(name);
    configure(&mut group);
    for (framing, data, size, label) in cases() {
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_with_input(BenchmarkId::new(framing, label), &size, |b, &size| {
            b.iter(|| f(black_box(data), size))
        });
    }
    group.finish();
}

fn bench_frame_only(c: &mut Criterion) {
    run_group(c, "frame_only", frame_only);
}

fn bench_frame_view(c: &mut Criterion) {
    run_group(c, "frame_view", frame_view);
}

fn bench_full_pipeline(c: &mut Criterion) {
    run_group(c, "full_pipeline", full_pipeline);
}

fn bench_c_abi(c: &mut Criterion) {
    run_group(c, "c_abi", c_abi);
}

fn bench_errors(c: &mut Criterion) {
    let data = &inputs().errors;
    let mut group = c.benchmark_group("errors");
    configure(&mut group);
    group.throughput(Throughput::Bytes(data.len() as u64));
    for (size, label) in FEW_CHUNKS {
        group.bench_with_input(BenchmarkId::new("crlf", label), &size, |b, &size| {
            b.iter(|| full_pipeline(black_box(data), size))
        });
    }
    group.finish();
}

fn bench_baselines(c: &mut Criterion) {
    let inputs = inputs();
    let mut group = c.benchmark_group("baselines");
    configure(&mut group);
    for (framing, data) in [("concat", &inputs.concatenated), ("crlf", &inputs.crlf)] {
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function(BenchmarkId::new("serde_owned", framing), |b| {
            b.iter(|| serde_owned(black_box(data)))
        });
        group.bench_function(BenchmarkId::new("serde_borrowed", framing), |b| {
            b.iter(|| serde_borrowed(black_box(data)))
        });
        group.bench_function(BenchmarkId::new("naive_framing", framing), |b| {
            b.iter(|| naive_framing(black_box(data)))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_frame_only,
    bench_frame_view,
    bench_full_pipeline,
    bench_c_abi,
    bench_errors,
    bench_baselines
);

// ---------------------------------------------------------------------------------------------
// Summary: criterion's estimates of this run, as one table plus the target ratios.

/// Where criterion writes its estimates (the same rule criterion uses).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // The bench binary lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .nth(3)
        .map_or_else(|| "target".into(), PathBuf::from)
        .join("criterion")
}

/// Criterion's raw measurements of one benchmark: per sample, the iterations run and the
/// nanoseconds they took.
#[derive(Deserialize)]
struct Samples {
    iters: Vec<f64>,
    times: Vec<f64>,
}

/// MB/s (10^6 bytes per second) of one benchmark's fastest sample, if it ran in this process.
///
/// The fastest sample, not the median: on two shared cores, other work only ever slows a sample
/// down (one benchmark's samples have spread by 30 %, and the same benchmark's median by up to
/// 50 % between runs minutes apart), so the least disturbed sample is the steadiest estimate of
/// what the code costs, and the ratios are taken between like estimates. Criterion's own report
/// above still shows its medians and intervals.
fn throughput(since: SystemTime, id: &str, bytes: usize) -> Option<f64> {
    let path = criterion_dir().join(id).join("new/sample.json");
    let fresh = std::fs::metadata(&path).and_then(|m| m.modified()).ok()? >= since;
    if !fresh {
        return None;
    }
    let samples: Samples = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    let fastest_ns = samples
        .iters
        .iter()
        .zip(&samples.times)
        .map(|(iters, time)| time / iters)
        .fold(f64::INFINITY, f64::min);
    fastest_ns
        .is_finite()
        .then(|| bytes as f64 / fastest_ns * 1e3)
}

fn summary(since: SystemTime) {
    let inputs = inputs();
    let size = |framing: &str| match framing {
        "errors" => inputs.errors.len(),
        "concat" => inputs.concatenated.len(),
        "lf" => inputs.lf.len(),
        _ => inputs.crlf.len(),
    };
    let get = |id: &str| {
        let framing = if id.starts_with("errors/") {
            "errors"
        } else {
            id.split('/')
                .find(|p| ["concat", "crlf", "lf"].contains(p))
                .unwrap_or("crlf")
        };
        throughput(since, id, size(framing))
    };
    let show = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.0}"));

    println!();
    println!("== pullstream decode summary (MB/s = 10^6 bytes/s, fastest of criterion's samples)");
    println!(
        "   inputs: synth seed {SEED}, Large: concat {} B, crlf {} B, lf {} B",
        inputs.concatenated.len(),
        inputs.crlf.len(),
        inputs.lf.len()
    );
    let groups = ["frame_only", "frame_view", "full_pipeline", "c_abi"];
    println!("| input | {} |", groups.join(" | "));
    println!("|---|{}", "---:|".repeat(groups.len()));
    for (framing, _, _, label) in cases() {
        let row: Vec<String> = groups
            .iter()
            .map(|g| show(get(&format!("{g}/{framing}/{label}"))))
            .collect();
        println!("| {framing} {label} | {} |", row.join(" | "));
    }
    println!(
        "| errors crlf (error records, {} B) | full pipeline 4KiB {} | whole {} |",
        inputs.errors.len(),
        show(get("errors/crlf/4KiB")),
        show(get("errors/crlf/whole"))
    );
    println!();
    println!("| baseline | concat | crlf |");
    println!("|---|---:|---:|");
    for name in ["serde_owned", "serde_borrowed", "naive_framing"] {
        println!(
            "| {name} | {} | {} |",
            show(get(&format!("baselines/{name}/concat"))),
            show(get(&format!("baselines/{name}/crlf")))
        );
    }

    println!();
    println!("| target | measured | goal | met |");
    println!("|---|---:|---:|:---:|");
    let row = |name: &str, value: Option<f64>, goal: f64, unit: &str, higher_is_better: bool| {
        let (shown, met) = match value {
            Some(v) => {
                let met = if higher_is_better {
                    v >= goal
                } else {
                    v <= goal
                };
                (format!("{v:.2}{unit}"), if met { "yes" } else { "NO" })
            }
            None => ("-".to_string(), "?"),
        };
        let op = if higher_is_better { "≥" } else { "≤" };
        println!("| {name} | {shown} | {op} {goal}{unit} | {met} |");
    };
    let ratio = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
    // How much slower `a` ran than `b`, in percent of `b`'s throughput; negative when faster
    // (shown as it is: a clamp at 0 would hide which way the noise went).
    let spread = |a: Option<f64>, b: Option<f64>| Some((1.0 - a? / b?) * 100.0);
    let full = get("full_pipeline/concat/whole");
    row(
        "full pipeline, concat whole (GB/s)",
        full.map(|v| v / 1e3),
        1.0,
        "",
        true,
    );
    row(
        "full pipeline / serde borrowed, concat",
        ratio(full, get("baselines/serde_borrowed/concat")),
        2.0,
        "x",
        true,
    );
    row(
        "full pipeline / serde owned, concat",
        ratio(full, get("baselines/serde_owned/concat")),
        2.0,
        "x",
        true,
    );
    row(
        "frame_only / naive framing, concat",
        ratio(
            get("frame_only/concat/whole"),
            get("baselines/naive_framing/concat"),
        ),
        2.5,
        "x",
        true,
    );
    row(
        "frame_only / naive framing, crlf",
        ratio(
            get("frame_only/crlf/whole"),
            get("baselines/naive_framing/crlf"),
        ),
        2.5,
        "x",
        true,
    );
    for group in ["frame_only", "frame_view", "full_pipeline"] {
        for framing in ["crlf", "concat"] {
            row(
                &format!("{group} {framing}: 4 KiB slower than whole by (%, < 0: faster)"),
                spread(
                    get(&format!("{group}/{framing}/4KiB")),
                    get(&format!("{group}/{framing}/whole")),
                ),
                10.0,
                "",
                false,
            );
        }
    }
    for label in ["4KiB", "whole"] {
        row(
            &format!("error records slower per byte than a pull stream, crlf {label} (x)"),
            ratio(
                get(&format!("full_pipeline/crlf/{label}")),
                get(&format!("errors/crlf/{label}")),
            ),
            2.0,
            "x",
            false,
        );
    }
    for (framing, label) in [("concat", "whole"), ("crlf", "4KiB"), ("crlf", "whole")] {
        let id = |g: &str| format!("{g}/{framing}/{label}");
        row(
            &format!("c_abi slower than full pipeline, {framing} {label} (%, < 0: faster)"),
            spread(get(&id("c_abi")), get(&id("full_pipeline"))),
            15.0,
            "",
            false,
        );
    }
}

/// `PULLSTREAM_PROFILE=<group>[,<framing>[,<chunk bytes>]]` runs one function over a smaller
/// stream (`PULLSTREAM_PROFILE_BYTES`, default 8 MiB) without criterion, for
/// `valgrind --tool=callgrind --toggle-collect=<function>` (instruction counts are repeatable
/// where wall-clock time on two noisy cores is not). The group `stream` writes the generated
/// bytes to stdout instead; `errors` runs `full_pipeline` over the error-record stream.
fn profile(spec: &str) {
    let mut parts = spec.split(',');
    let group = parts.next().unwrap_or("full_pipeline");
    let framing = match parts.next().unwrap_or("concat") {
        "crlf" => Framing::Crlf,
        "lf" => Framing::Lf,
        _ => Framing::Concatenated,
    };
    let size = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let bytes = std::env::var("PULLSTREAM_PROFILE_BYTES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8 << 20);
    let data = if group == "errors" {
        error_stream(bytes)
    } else {
        Generator::new(SEED)
            .target_bytes(bytes)
            .framing(framing)
            .generate()
    };
    let out = match group {
        // The generated stream itself, for measuring other tools on the same bytes (for
        // instance the command line's peak memory: `... | /usr/bin/time -v pullstream --json`).
        "stream" => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&data).expect("write the stream to stdout");
            return;
        }
        "frame_only" => frame_only(&data, size),
        "frame_view" => frame_view(&data, size),
        "serde_owned" => serde_owned(&data),
        "serde_borrowed" => serde_borrowed(&data),
        "naive_framing" => naive_framing(&data),
        "c_abi" => c_abi(&data, size),
        _ => full_pipeline(&data, size),
    };
    println!("{group} over {} bytes: {out}", data.len());
}

fn main() {
    if let Ok(spec) = std::env::var("PULLSTREAM_PROFILE") {
        return profile(&spec);
    }
    let since = SystemTime::now() - Duration::from_secs(1);
    // Generate before criterion starts timing anything (about a second per stream).
    let _ = inputs();
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary(since);
}
