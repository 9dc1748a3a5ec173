//! Async and owned: an adapter over any [`Stream`] of byte chunks that yields owned items and
//! ends with the [`Summary`] (feature `stream`, which adds only `futures-core`).
//!
//! hyper, reqwest and bollard hand out a response body as a `Stream<Item = Result<B, E>>` of
//! chunks (`B` is usually `bytes::Bytes`). [`PullStream`] feeds those chunks to a [`Pipeline`]
//! and turns what the pipeline lends (events borrowing the chunk) into [`OwnedItem`]s that can
//! cross an `.await`, a channel or a task. The last item is always [`OwnedItem::Finished`].
//! When only the verdict matters, [`summary_of`] (or [`PullStream::into_summary`]) skips
//! building owned items altogether.
//!
//! ```
//! use std::pin::Pin;
//! use futures_core::Stream;
//! use pullstream::stream::{summary_of, OwnedItem, PullStream};
//!
//! /// The next item of a stream (what `StreamExt::next` does).
//! async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
//!     std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
//! }
//! # use std::task::{Context, Poll};
//! # /// Ready-made chunks, standing in for an HTTP body.
//! # struct Chunks(std::vec::IntoIter<Result<&'static [u8], std::io::Error>>);
//! # impl Stream for Chunks {
//! #     type Item = Result<&'static [u8], std::io::Error>;
//! #     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
//! #         Poll::Ready(self.0.next())
//! #     }
//! # }
//! # fn body() -> Chunks {
//! #     Chunks(vec![
//! #         Ok(&b"{\"status\":\"Pulling from library/alpine\",\"id\":\"3.20\"}\r\n{\"status\":\"Dig"[..]),
//! #         Ok(&b"est: sha256:00\"}\r\n{\"status\":\"Status: Image is up to date for alpine:3.20\"}\r\n"[..]),
//! #     ].into_iter())
//! # }
//!
//! # async fn example() {
//! // Every item, owned (`body()` is any `Stream` of `Result<impl AsRef<[u8]>, impl Display>`):
//! let mut items = PullStream::new(body());
//! while let Some(item) = next(&mut items).await {
//!     match item {
//!         OwnedItem::Event(event) => println!("{} {:?}", event.kind, event.layer),
//!         OwnedItem::Malformed(error) => eprintln!("skipped: {error}"),
//!         OwnedItem::Finished(finished) => println!("{}", finished.summary.to_json()),
//!         _ => {}
//!     }
//! }
//! // Only the verdict:
//! let finished = summary_of(body()).await;
//! assert_eq!(finished.summary.result, Some(pullstream::outcome::SuccessKind::UpToDate));
//! # }
//! # struct NoWake;
//! # impl std::task::Wake for NoWake { fn wake(self: std::sync::Arc<Self>) {} }
//! # let waker = std::sync::Arc::new(NoWake).into();
//! # let mut future = std::pin::pin!(example());
//! # use std::future::Future;
//! # assert!(future.as_mut().poll(&mut Context::from_waker(&waker)).is_ready());
//! ```
//!
//! An error from the body stream (a connection reset, a timeout) ends the stream as a cut one:
//! the pipeline is told the body was truncated
//! ([`Pipeline::note_truncated_body`]), so the verdict is incomplete with the reason
//! `truncated_body` (or failed, when the daemon had reported an error), and the error's text is
//! in [`Finished::transport_error`]. The [`Summary`] has no field for that text.

use std::collections::VecDeque;
use std::fmt::Display;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_core::Stream;

use crate::decoder::Record;
use crate::error::Error;
use crate::event::{Event, FailureKind, Progress};
use crate::pipeline::{Item, Pipeline};
use crate::summary::Summary;
use crate::tracker::{Stall, TrackerLimit};

/// An error the daemon reported, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OwnedDaemonError {
    /// The message, decoded, verbatim.
    pub message: String,
    /// `errorDetail.code`, when set.
    pub code: Option<i64>,
    /// Classification of the message.
    pub kind: FailureKind,
}

/// One record and what it means, with owned text: what a consumer of a progress stream
/// usually keeps of an [`Event`] (the full borrowed [`Event`] is available from
/// [`Pipeline::feed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OwnedEvent {
    /// [`Event::kind_name`]: `"downloading"`, `"pull_complete"`, `"error"`, …
    pub kind: &'static str,
    /// Offset of the record's first byte in the stream.
    pub offset: u64,
    /// The layer the event is about ([`Event::layer_id`]), decoded.
    pub layer: Option<String>,
    /// The record's `id`, decoded (a layer, a tag, `moby.image.id`…).
    pub id: Option<String>,
    /// The record's `status`, decoded.
    pub status: Option<String>,
    /// The record's `stream` (build or load output), decoded.
    pub stream: Option<String>,
    /// The progress numbers, for the kinds that carry them ([`Event::progress`]).
    pub progress: Option<Progress>,
    /// The daemon's error, for [`Event::Error`].
    pub error: Option<OwnedDaemonError>,
}

impl OwnedEvent {
    /// Copies what matters of `event` (classified from `record`).
    pub fn new(record: &Record<'_>, event: &Event<'_>) -> OwnedEvent {
        let message = record.message();
        let text = |text: Option<crate::json::JsonStr<'_>>| text.map(|t| t.decode().into_owned());
        OwnedEvent {
            kind: event.kind_name(),
            offset: record.offset(),
            layer: text(event.layer_id()),
            id: text(message.id),
            status: text(message.status),
            stream: text(message.stream),
            progress: event.progress(),
            error: match event {
                Event::Error(error) => Some(OwnedDaemonError {
                    message: error.message.decode().into_owned(),
                    code: error.code,
                    kind: error.kind,
                }),
                _ => None,
            },
        }
    }
}

/// How the stream ended: the summary, and the body stream's error when it ended on one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finished {
    /// The verdict and counts, as [`Pipeline::summary`] gives them.
    pub summary: Summary,
    /// The text (`Display`) of the error that ended the body stream, if one did. The stream
    /// then counts as cut: see the [module documentation](self).
    pub transport_error: Option<String>,
}

/// What a [`PullStream`] yields, in stream order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OwnedItem {
    /// A record and what it means.
    Event(OwnedEvent),
    /// Bytes that could not be decoded, reported and skipped: [`Error::offset`],
    /// [`Error::kind`] and the message (`Display`).
    Malformed(Error),
    /// The record just delivered was the first to reach one of the tracker's limits (see
    /// [`Item::TrackerLimit`]).
    TrackerLimit(TrackerLimit),
    /// The last item: the stream ended (or the body stream failed).
    Finished(Finished),
}

/// Where the adapter's milliseconds come from.
enum Clock {
    /// Milliseconds since the adapter was made.
    Monotonic(Instant),
    /// The caller's clock ([`PullStream::with_clock`]).
    Custom(Box<dyn FnMut() -> u64 + Send>),
}

impl Clock {
    fn now_ms(&mut self) -> u64 {
        match self {
            Clock::Monotonic(start) => {
                u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
            }
            Clock::Custom(clock) => clock(),
        }
    }
}

/// An adapter over a `Stream` of byte chunks: a [`Stream`] of [`OwnedItem`]s ending with
/// [`OwnedItem::Finished`], after which it yields `None`.
///
/// It is `Send` when the body stream is, and `Unpin` when the body stream is (the `Stream`
/// implementation needs `Unpin`: wrap a body that is not in `Box::pin`). Memory: the items of
/// one chunk are queued until they are taken, so at most one chunk's worth of owned items is
/// held. The body stream is dropped as soon as it ends or fails, releasing its connection.
pub struct PullStream<S> {
    /// `None` once it ended or failed.
    body: Option<S>,
    pipeline: Pipeline,
    clock: Clock,
    queue: VecDeque<OwnedItem>,
    /// Build owned items for events, malformed stretches and notices (not in summary mode).
    owned_items: bool,
    /// [`OwnedItem::Finished`] was handed out: only `None` from now on.
    done: bool,
}

impl<S> std::fmt::Debug for PullStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullStream")
            .field("body_ended", &self.body.is_none())
            .field("pipeline", &self.pipeline)
            .field("queued", &self.queue.len())
            .field("owned_items", &self.owned_items)
            .field("done", &self.done)
            .finish()
    }
}

impl<S> PullStream<S> {
    /// An adapter over `body` with a default [`Pipeline`] and a monotonic clock.
    pub fn new(body: S) -> Self {
        Self::with_pipeline(body, Pipeline::new())
    }

    /// An adapter over `body` that feeds `pipeline` (for its limits and stall thresholds:
    /// [`Pipeline::with_config`]).
    pub fn with_pipeline(body: S, pipeline: Pipeline) -> Self {
        PullStream {
            body: Some(body),
            pipeline,
            clock: Clock::Monotonic(Instant::now()),
            queue: VecDeque::new(),
            owned_items: true,
            done: false,
        }
    }

    /// Reads the time from `now_ms` (milliseconds from any fixed origin, never decreasing)
    /// instead of the monotonic clock: for rates and stalls in tests and replays. It is read
    /// once per chunk and once at the end.
    pub fn with_clock(mut self, now_ms: impl FnMut() -> u64 + Send + 'static) -> Self {
        self.clock = Clock::Custom(Box::new(now_ms));
        self
    }

    /// Yields only [`OwnedItem::Finished`]: no owned item is built for events, malformed
    /// stretches or notices. [`PullStream::into_summary`] gives the same as a future.
    pub fn summary_only(mut self) -> Self {
        self.owned_items = false;
        self
    }

    /// A future that drives the adapter to its end and resolves to its [`Finished`], building
    /// no owned item on the way.
    pub fn into_summary(self) -> SummaryOf<S> {
        SummaryOf {
            stream: self.summary_only(),
        }
    }

    /// The pipeline (its tracker holds the layers, rates and the progress so far).
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The adapter's clock now, in milliseconds.
    pub fn now_ms(&mut self) -> u64 {
        self.clock.now_ms()
    }

    /// Layers newly found stalled now, by the adapter's clock ([`crate::Tracker::poll_stalls`]).
    /// Call it from a timer of your own: the adapter only runs when a chunk arrives.
    pub fn poll_stalls(&mut self) -> Vec<Stall> {
        let now = self.clock.now_ms();
        self.pipeline.tracker_mut().poll_stalls(now)
    }

    fn feed(&mut self, chunk: &[u8]) {
        let now = self.clock.now_ms();
        let queue = &mut self.queue;
        let owned_items = self.owned_items;
        // The callback never pauses, so every item of the chunk is delivered in this call.
        let _ = self.pipeline.feed(chunk, now, |item| {
            if owned_items {
                queue.push_back(owned(item));
            }
            ControlFlow::Continue(())
        });
    }

    /// Ends the stream: drops the body, finishes the pipeline and queues [`Finished`].
    fn end(&mut self, transport_error: Option<String>) {
        self.body = None;
        if transport_error.is_some() {
            self.pipeline.note_truncated_body();
        }
        let now = self.clock.now_ms();
        let queue = &mut self.queue;
        let owned_items = self.owned_items;
        let _ = self.pipeline.finish(now, |item| {
            if owned_items {
                queue.push_back(owned(item));
            }
            ControlFlow::Continue(())
        });
        self.queue.push_back(OwnedItem::Finished(Finished {
            summary: self.pipeline.summary(),
            transport_error,
        }));
    }
}

fn owned(item: Item<'_, '_>) -> OwnedItem {
    // Exhaustive: a kind of item added to the pipeline must be given its owned form here.
    match item {
        Item::Event { record, event } => OwnedItem::Event(OwnedEvent::new(record, event)),
        Item::Malformed(error) => OwnedItem::Malformed(error.clone()),
        Item::TrackerLimit(notice) => OwnedItem::TrackerLimit(notice),
    }
}

/// How many chunks one `poll_next` feeds, at most, before it yields to the executor.
const CHUNKS_PER_POLL: usize = 64;

impl<S, B, E> Stream for PullStream<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: Display,
{
    type Item = OwnedItem;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<OwnedItem>> {
        let this = self.get_mut();
        let mut chunks_fed = 0;
        loop {
            if let Some(item) = this.queue.pop_front() {
                this.done = matches!(item, OwnedItem::Finished(_));
                return Poll::Ready(Some(item));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if chunks_fed == CHUNKS_PER_POLL {
                // A body that is always ready (a fast socket, a file) must not keep the task
                // from yielding when its chunks give nothing to hand out (summary mode).
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let Some(body) = this.body.as_mut() else {
                // Unreachable: ending queues `Finished`. Ending again keeps the promise that
                // the last item is `Finished` all the same.
                this.end(None);
                continue;
            };
            match Pin::new(body).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    chunks_fed += 1;
                    this.feed(chunk.as_ref());
                }
                Poll::Ready(Some(Err(error))) => this.end(Some(error.to_string())),
                Poll::Ready(None) => this.end(None),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            (self.queue.len().max(1), None)
        }
    }
}

/// The future of [`summary_of`] and [`PullStream::into_summary`]: resolves to the stream's
/// [`Finished`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct SummaryOf<S> {
    stream: PullStream<S>,
}

impl<S, B, E> Future for SummaryOf<S>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: Display,
{
    type Output = Finished;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Finished> {
        loop {
            match Pin::new(&mut self.stream).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(OwnedItem::Finished(finished))) => return Poll::Ready(finished),
                Poll::Ready(Some(_)) => {}
                // Polled again after it resolved: report the end as it stands.
                Poll::Ready(None) => {
                    return Poll::Ready(Finished {
                        summary: self.stream.pipeline.summary(),
                        transport_error: None,
                    })
                }
            }
        }
    }
}

/// Drives `body` to its end through a default [`Pipeline`] and resolves to the summary (and the
/// body stream's error, if it failed), building no owned item: the cheap path when only the
/// verdict matters. For limits or a clock of your own, use
/// `PullStream::with_pipeline(body, pipeline).with_clock(…).into_summary()`.
pub fn summary_of<S>(body: S) -> SummaryOf<S> {
    PullStream::new(body).into_summary()
}
