//! The async adapter (`pullstream::stream`, feature `stream`): chunk streams of every size give
//! the pipeline's summary and items; an error from the body stream is a cut stream carrying
//! the error's text; early drop; `Send`; the summary-only path; the injected clock; and the
//! example's output against the command-line tool's on every fixture.

use std::collections::VecDeque;
use std::future::Future;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_core::Stream;
use pullstream::outcome::{IncompleteReason, Verdict};
use pullstream::pipeline::{Item, Pipeline};
use pullstream::stream::{summary_of, Finished, OwnedEvent, OwnedItem, PullStream};
use pullstream::tracker::{StallPhase, TrackerConfig};

fn fixtures() -> Vec<(String, PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "stream"))
        .collect();
    paths.sort();
    let out: Vec<_> = paths
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            (name, path, bytes)
        })
        .collect();
    assert!(out.len() >= 20, "fixtures missing");
    out
}

/// A body stream from a list of chunks and errors. Every other poll is `Pending` (after
/// waking itself), as a socket is, so the adapter's `Pending` path runs too. Counts its polls
/// and tells when it is dropped.
struct Body {
    chunks: VecDeque<Result<Vec<u8>, String>>,
    pending_next: bool,
    polls: Arc<AtomicUsize>,
    dropped: Arc<AtomicBool>,
}

impl Body {
    fn new(chunks: impl IntoIterator<Item = Result<Vec<u8>, String>>) -> Body {
        Body {
            chunks: chunks.into_iter().collect(),
            pending_next: true,
            polls: Arc::default(),
            dropped: Arc::default(),
        }
    }

    fn of(bytes: &[u8], size: usize) -> Body {
        Body::new(bytes.chunks(size).map(|c| Ok(c.to_vec())))
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

impl Stream for Body {
    type Item = Result<Vec<u8>, String>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.pending_next = !self.pending_next;
        if !self.pending_next {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(self.chunks.pop_front())
    }
}

/// A waker that counts its wakes; `block_on` polls again only after one.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Runs `future` to its end on this thread (the test bodies wake themselves before `Pending`).
fn block_on<F: Future>(future: F) -> F::Output {
    let wakes = Arc::new(CountingWaker::default());
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        let before = wakes.0.load(Ordering::SeqCst);
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        assert!(
            wakes.0.load(Ordering::SeqCst) > before,
            "Pending without a wake: the task would hang"
        );
    }
}

/// The next item of `stream`.
fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    block_on(std::future::poll_fn(|cx| {
        Pin::new(&mut *stream).poll_next(cx)
    }))
}

/// Every item of `stream`, after checking that it ends with `Finished` and then stays ended.
fn collect<S: Stream<Item = OwnedItem> + Unpin>(stream: &mut S) -> (Vec<OwnedItem>, Finished) {
    let mut items = Vec::new();
    while let Some(item) = next(stream) {
        items.push(item);
    }
    assert!(next(stream).is_none(), "the stream stays ended");
    let Some(OwnedItem::Finished(finished)) = items.pop() else {
        panic!("the last item is Finished");
    };
    assert!(
        !items.iter().any(|i| matches!(i, OwnedItem::Finished(_))),
        "Finished comes once"
    );
    (items, finished)
}

/// What the pipeline gives for `bytes` fed whole, as owned items, and its summary.
fn by_pipeline(bytes: &[u8]) -> (Vec<OwnedItem>, pullstream::summary::Summary) {
    let mut pipeline = Pipeline::new();
    let mut items = Vec::new();
    let mut take = |item: Item<'_, '_>| {
        items.push(match item {
            Item::Event { record, event } => OwnedItem::Event(OwnedEvent::new(record, event)),
            Item::Malformed(error) => OwnedItem::Malformed(error.clone()),
            Item::TrackerLimit(notice) => OwnedItem::TrackerLimit(notice),
        });
        ControlFlow::Continue(())
    };
    let _ = pipeline.feed(bytes, 0, &mut take);
    let _ = pipeline.finish(0, &mut take);
    (items, pipeline.summary())
}

#[test]
fn chunk_streams_of_every_size_give_the_pipelines_items_and_summary() {
    for (name, _, bytes) in fixtures() {
        let (want_items, want_summary) = by_pipeline(&bytes);
        let sizes = (1..=64).chain([1000, bytes.len().max(1)]);
        for size in sizes {
            let mut stream = PullStream::new(Body::of(&bytes, size)).with_clock(|| 0);
            let (items, finished) = collect(&mut stream);
            assert_eq!(finished.summary, want_summary, "{name} in chunks of {size}");
            assert_eq!(finished.transport_error, None, "{name}");
            assert_eq!(items, want_items, "{name} in chunks of {size}");
        }
    }
}

#[test]
fn the_summary_only_path_gives_the_full_paths_summary() {
    for (name, _, bytes) in fixtures() {
        for size in [1, 7, 4096] {
            let mut full = PullStream::new(Body::of(&bytes, size));
            let (_, want) = collect(&mut full);
            let got = block_on(summary_of(Body::of(&bytes, size)));
            assert_eq!(got, want, "{name} in chunks of {size}");
            // The summary-only stream yields `Finished` alone.
            let mut quiet = PullStream::new(Body::of(&bytes, size)).summary_only();
            let (items, finished) = collect(&mut quiet);
            assert!(items.is_empty(), "{name}");
            assert_eq!(finished, want, "{name}");
        }
    }
}

#[test]
fn an_error_from_the_body_stream_ends_it_as_a_cut_stream_with_the_errors_text() {
    let reset = "connection reset by peer (os error 104)";
    for (name, _, bytes) in fixtures() {
        for cut in [0, bytes.len() / 2, bytes.len()] {
            let mut chunks: Vec<Result<Vec<u8>, String>> =
                bytes[..cut].chunks(100).map(|c| Ok(c.to_vec())).collect();
            chunks.push(Err(reset.to_string()));
            // Anything after the error is never read.
            chunks.push(Ok(
                b"{\"status\":\"Status: Image is up to date for x\"}\n".to_vec()
            ));
            let body = Body::new(chunks);
            let (polls, dropped) = (body.polls.clone(), body.dropped.clone());
            let mut stream = PullStream::new(body);
            let (_, finished) = collect(&mut stream);
            assert!(
                dropped.load(Ordering::SeqCst),
                "{name}: the body is dropped at its error"
            );
            let polls_at_end = polls.load(Ordering::SeqCst);
            assert!(next(&mut stream).is_none());
            assert_eq!(polls.load(Ordering::SeqCst), polls_at_end, "{name}");

            assert_eq!(finished.transport_error.as_deref(), Some(reset), "{name}");
            let summary = &finished.summary;
            // What the pipeline says of the same bytes when told the body was cut.
            let mut pipeline = Pipeline::new();
            let _ = pipeline.feed(&bytes[..cut], 0, |_| ControlFlow::Continue(()));
            pipeline.note_truncated_body();
            let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
            assert_eq!(*summary, pipeline.summary(), "{name} cut at {cut}");
            if summary.outcome != Verdict::Failed && summary.records > 0 {
                assert_eq!(summary.outcome, Verdict::Incomplete, "{name} cut at {cut}");
                assert_eq!(
                    summary.incomplete_reason,
                    Some(IncompleteReason::TruncatedBody),
                    "{name} cut at {cut}"
                );
            }
        }
    }
}

#[test]
fn a_whole_successful_stream_cut_by_an_error_is_not_a_success() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pull_success_crlf.stream"),
    )
    .unwrap();
    assert_eq!(
        block_on(summary_of(Body::of(&bytes, 10))).summary.outcome,
        Verdict::Success
    );
    let body = Body::new([Ok(bytes), Err("timed out".to_string())]);
    let finished = block_on(summary_of(body));
    assert_eq!(finished.summary.outcome, Verdict::Incomplete);
    assert_eq!(
        finished.summary.incomplete_reason,
        Some(IncompleteReason::TruncatedBody)
    );
    assert_eq!(finished.summary.exit_code(), 2);
    assert_eq!(finished.transport_error.as_deref(), Some("timed out"));
}

#[test]
fn dropping_the_adapter_early_drops_the_body_at_once() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pull_success_crlf.stream"),
    )
    .unwrap();
    for taken in [0, 1, 5] {
        let body = Body::of(&bytes, 3);
        let dropped = body.dropped.clone();
        let mut stream = PullStream::new(body);
        for _ in 0..taken {
            assert!(matches!(next(&mut stream), Some(OwnedItem::Event(_))));
        }
        assert!(!dropped.load(Ordering::SeqCst));
        drop(stream);
        assert!(dropped.load(Ordering::SeqCst), "after {taken} items");
    }
    // A summary future dropped half-way, too.
    let body = Body::of(&bytes, 3);
    let dropped = body.dropped.clone();
    let mut future = Box::pin(summary_of(body));
    let waker = Waker::from(Arc::new(CountingWaker::default()));
    assert!(future
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    drop(future);
    assert!(dropped.load(Ordering::SeqCst));
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn the_adapter_and_its_futures_are_send_with_a_send_body() {
    let stream = PullStream::new(Body::of(b"{}", 1));
    assert_send(&stream);
    assert_send(&summary_of(Body::of(b"{}", 1)));
    // An async block that holds the adapter across an await, as a spawned task does.
    let task = async {
        let mut stream = PullStream::new(Body::of(b"{\"status\":\"Waiting\",\"id\":\"a1\"}", 4));
        let mut kinds = Vec::new();
        while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await
        {
            if let OwnedItem::Event(event) = item {
                kinds.push(event.kind);
            }
        }
        kinds
    };
    assert_send(&task);
    assert_eq!(block_on(task), ["waiting"]);
    // The items cross threads.
    let items = std::thread::spawn(move || collect(&mut { stream }).0)
        .join()
        .unwrap();
    assert_eq!(items.len(), 1);
}

#[test]
fn the_injected_clock_times_rates_and_stalls() {
    let now = Arc::new(AtomicU64::new(1_000));
    let reads = Arc::new(AtomicUsize::new(0));
    let clock = {
        let (now, reads) = (now.clone(), reads.clone());
        move || {
            reads.fetch_add(1, Ordering::SeqCst);
            now.load(Ordering::SeqCst)
        }
    };
    let config = TrackerConfig::default().stall_after(StallPhase::Transfer, 5_000);
    let pipeline = Pipeline::with_config(Default::default(), config);
    let record = b"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":10,\"total\":100},\"id\":\"a1\"}\n";
    // One chunk, then a body that has nothing more for now.
    let body = Body::new([Ok(record.to_vec())]);
    let mut stream = PullStream::with_pipeline(body, pipeline).with_clock(clock);
    let Some(OwnedItem::Event(event)) = next(&mut stream) else {
        panic!("the download event");
    };
    assert_eq!(event.kind, "downloading");
    assert_eq!(event.layer.as_deref(), Some("a1"));
    assert_eq!(event.progress.unwrap().current, Some(10));
    assert!(
        reads.load(Ordering::SeqCst) >= 1,
        "the clock was read for the chunk"
    );
    now.store(3_000, Ordering::SeqCst);
    assert!(stream.poll_stalls().is_empty(), "2 s idle is not a stall");
    now.store(7_000, Ordering::SeqCst);
    let stalls = stream.poll_stalls();
    assert_eq!(stalls.len(), 1, "6 s idle is: {stalls:?}");
    assert_eq!(stalls[0].layer, "a1");
}

#[test]
fn owned_events_carry_the_records_text_and_the_daemons_error() {
    let body = concat!(
        "{\"status\":\"Pulling from library/alpine\",\"id\":\"3.20\"}\r\n",
        "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"a1\\u0062\"}\r\n",
        "\u{1}",
        "{\"errorDetail\":{\"code\":7,\"message\":\"toomanyrequests: slow down\"},",
        "\"error\":\"toomanyrequests: slow down\"}\r\n",
    );
    let mut stream = PullStream::new(Body::of(body.as_bytes(), 5));
    let (items, finished) = collect(&mut stream);
    let [OwnedItem::Event(pulling), OwnedItem::Event(layer), OwnedItem::Malformed(garbage), OwnedItem::Event(error)] =
        &items[..]
    else {
        panic!("four items: {items:?}");
    };
    assert_eq!(pulling.kind, "pulling_from");
    assert_eq!(pulling.id.as_deref(), Some("3.20"));
    assert_eq!(pulling.layer, None, "a tag is not a layer");
    assert_eq!(layer.kind, "pulling_fs_layer");
    assert_eq!(layer.layer.as_deref(), Some("a1b"), "decoded");
    assert_eq!(layer.status.as_deref(), Some("Pulling fs layer"));
    assert_eq!(
        layer.offset,
        body.find("{\"status\":\"Pulling fs").unwrap() as u64
    );
    assert_eq!(garbage.offset(), body.find('\u{1}').unwrap() as u64);
    assert!(garbage.to_string().contains("not JSON"), "{garbage}");
    let daemon = error.error.as_ref().unwrap();
    assert_eq!(daemon.message, "toomanyrequests: slow down");
    assert_eq!(daemon.code, Some(7));
    assert_eq!(daemon.kind.name(), "rate_limited");
    assert_eq!(finished.summary.outcome, Verdict::Failed);
}

/// Throughput of the adapter next to the pipeline's on the benchmark stream (benches/decode.rs:
/// `pullstream::synth` seed 6, `Large`, CRLF), 64 KiB chunks. A measurement, not a check:
/// `cargo test --release -p pullstream --features stream,synth --test stream -- --ignored --nocapture throughput`
#[cfg(feature = "synth")]
#[test]
#[ignore = "a measurement: run it in release"]
fn throughput_next_to_the_pipeline() {
    use pullstream::synth::{Framing, Generator, StreamSize};
    use std::time::Instant;

    let input = Generator::new(6)
        .size(StreamSize::Large)
        .framing(Framing::Crlf)
        .generate();
    let chunks: Vec<Vec<u8>> = input.chunks(64 << 10).map(<[u8]>::to_vec).collect();
    let mb = input.len() as f64 / 1e6;
    let rounds = 5;
    let best = |mut run: Box<dyn FnMut() -> u64>| {
        let mut best = f64::MAX;
        let mut check = 0;
        for _ in 0..rounds {
            let start = Instant::now();
            check = run();
            best = best.min(start.elapsed().as_secs_f64());
        }
        (mb / best, check)
    };
    let (pipeline, records) = best(Box::new(|| {
        let mut pipeline = Pipeline::new();
        for chunk in &chunks {
            let _ = pipeline.feed(chunk, 0, |_| ControlFlow::Continue(()));
        }
        let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
        pipeline.summary().records
    }));
    /// The chunks, lent and always ready: the body costs nothing.
    struct Lent<'a>(std::slice::Iter<'a, Vec<u8>>);
    impl<'a> Stream for Lent<'a> {
        type Item = Result<&'a [u8], String>;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.0.next().map(|chunk| Ok(&chunk[..])))
        }
    }
    let ready = || Lent(chunks.iter());
    let (owned, owned_records) = best(Box::new(|| {
        let mut stream = PullStream::new(ready());
        let mut events = 0;
        while let Some(item) = next(&mut stream) {
            events += u64::from(matches!(item, OwnedItem::Event(_)));
        }
        events
    }));
    let (summary_only, summary_records) =
        best(Box::new(|| block_on(summary_of(ready())).summary.records));
    assert_eq!((owned_records, summary_records), (records, records));
    eprintln!(
        "{mb:.1} MB, {records} records, best of {rounds}: Pipeline {pipeline:.0} MB/s, \
         PullStream owned items {owned:.0} MB/s, summary_of {summary_only:.0} MB/s"
    );
}

#[test]
fn an_always_ready_body_does_not_keep_the_task_from_yielding() {
    /// A body that is always ready with one more chunk of `{}` records.
    struct Endless;
    impl Stream for Endless {
        type Item = Result<&'static [u8], String>;
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(Some(Ok(&b"{}\n{}\n"[..])))
        }
    }
    let wakes = Arc::new(CountingWaker::default());
    let waker = Waker::from(wakes.clone());
    let mut future = std::pin::pin!(summary_of(Endless));
    for round in 1..=3 {
        let poll = future.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(poll.is_pending(), "round {round}");
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            round,
            "it asks to be polled again"
        );
    }
}
