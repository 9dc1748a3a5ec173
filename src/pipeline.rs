//! The whole way through the house in one call: decoder → events → tracker → summary.
//!
//! Most users want exactly this; the rooms stay usable one by one for those who do not.

use std::ops::ControlFlow;

use crate::decoder::{Config, Decoder, Record};
use crate::error::{Error, ErrorKind};
use crate::event::Event;
use crate::summary::Summary;
use crate::tracker::{Ending, Limit, Tracker, TrackerConfig, TrackerLimit};

/// A `Pipeline` can be shared between threads and moved to one (its `Tracker` is `Send + Sync`).
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Pipeline>();
};

/// Something the pipeline has to tell its caller about, in stream order.
///
/// Not `#[non_exhaustive]`: every consumer (the C ABI, the command-line tool) must show each
/// kind of item, so a new one should fail their build rather than be dropped by a wildcard.
#[derive(Clone, Copy, Debug)]
pub enum Item<'r, 'a> {
    /// A record and its classification (already applied to the tracker).
    Event {
        /// The record.
        record: &'r Record<'a>,
        /// What it means.
        event: &'r Event<'a>,
    },
    /// Bytes that could not be decoded (reported and skipped).
    Malformed(&'r Error),
    /// The record just delivered was the first to reach one of the tracker's limits (too many
    /// layers or images, an id or a text too long: see [`Limit`]). Delivered once per stream
    /// and limit, right after that record (several, in [`Limit::ALL`] order, when it reached
    /// several); later records past a limit are only counted
    /// ([`Tracker::untracked_events`]) or cut, because every consumer would otherwise have to
    /// silence the repeats (a stream past the layer limit names a new layer in a large share of
    /// its records).
    TrackerLimit(TrackerLimit),
}

/// Decoder plus tracker: feed bytes, get items, and a [`Summary`] at the end.
///
/// ```
/// use std::ops::ControlFlow;
/// let mut pipeline = pullstream::pipeline::Pipeline::new();
/// let body = b"{\"status\":\"Pulling from library/alpine\",\"id\":\"3.20\"}\r\n\
///              {\"status\":\"Digest: sha256:00\"}\r\n\
///              {\"status\":\"Status: Image is up to date for alpine:3.20\"}\r\n";
/// let mut events = 0;
/// let _ = pipeline.feed(body, 0, |_item| { events += 1; ControlFlow::Continue(()) });
/// let _ = pipeline.finish(0, |_item| ControlFlow::Continue(()));
/// let summary = pipeline.summary();
/// assert_eq!(events, 3);
/// assert_eq!(summary.outcome.name(), "success");
/// assert_eq!(summary.result.map(|kind| kind.name()), Some("up_to_date"));
/// ```
#[derive(Debug, Default)]
pub struct Pipeline {
    decoder: Decoder,
    tracker: Tracker,
    ending: Option<Ending>,
    /// The transport said the body ended before its own end ([`Pipeline::note_truncated_body`]).
    truncated_body: bool,
    /// Records with at least one field of the progress vocabulary (not [`Event::Empty`]).
    progress_records: u64,
    limit_notices: LimitNotices,
    /// Where [`Pipeline::feed_record`] writes a record's JSON text, reused from one to the next.
    record_text: Vec<u8>,
}

/// Where the [`Item::TrackerLimit`] notices of a stream stand (sets of [`Limit::bit`]s).
#[derive(Debug, Default)]
struct LimitNotices {
    /// Notices not yet delivered because the caller paused on their record (or on an earlier
    /// notice of the same record).
    held: u8,
    /// Limits whose notice was given (or is held): later records past them are not announced.
    given: u8,
}

impl LimitNotices {
    /// Holds a notice for every limit the tracker has reached and no notice was given for.
    fn note_new(&mut self, tracker: &Tracker) {
        for notice in tracker.limits_reached() {
            let bit = notice.which.bit();
            if self.given & bit == 0 {
                self.given |= bit;
                self.held |= bit;
            }
        }
    }

    /// Delivers the held notices in order; stops (keeping the rest) when the caller pauses.
    fn deliver(
        &mut self,
        tracker: &Tracker,
        on_item: &mut impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if self.held == 0 {
            return ControlFlow::Continue(());
        }
        for which in Limit::ALL {
            if self.held & which.bit() != 0 {
                self.held &= !which.bit();
                on_item(Item::TrackerLimit(tracker.notice(which)))?;
            }
        }
        ControlFlow::Continue(())
    }
}

impl Pipeline {
    /// A pipeline with default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// A pipeline with the given decoder and tracker configurations.
    pub fn with_config(decoder: Config, tracker: TrackerConfig) -> Self {
        Pipeline {
            decoder: Decoder::with_config(decoder),
            tracker: Tracker::with_config(tracker),
            ending: None,
            truncated_body: false,
            progress_records: 0,
            limit_notices: LimitNotices::default(),
            record_text: Vec::new(),
        }
    }

    /// The decoder.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The tracker (for snapshots and stall polling).
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The tracker, mutably (for [`Tracker::poll_stalls`] and [`Tracker::expect_layer`]).
    pub fn tracker_mut(&mut self) -> &mut Tracker {
        &mut self.tracker
    }

    /// Feeds a chunk; `on_item` sees every item in order and may return
    /// `ControlFlow::Break(())` to pause. After a pause, `feed(&[], …)` resumes with nothing
    /// lost. Returns `Break` when paused.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        now_ms: u64,
        mut on_item: impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if self
            .limit_notices
            .deliver(&self.tracker, &mut on_item)
            .is_break()
        {
            // The chunk is not read yet, so hand it to the decoder unread.
            return pause_with(&mut self.decoder, chunk);
        }
        drive(
            self.decoder.feed(chunk),
            &mut self.tracker,
            now_ms,
            &mut on_item,
            &mut None,
            &mut self.limit_notices,
            &mut self.progress_records,
        )
    }

    /// Feeds one record that someone else already decoded (bollard's `CreateImageInfo`, a
    /// `serde_json::Value`, any [`serde::Serialize`] value): it is written as JSON into a
    /// buffer the pipeline reuses, ended with a line feed, and fed as one framed record, so it
    /// gives the events and verdict its JSON text gives. `on_item` and the return value are as
    /// for [`Pipeline::feed`]; the error is the serialiser's (a map whose keys are not strings,
    /// a `Serialize` implementation that fails), and then nothing was fed.
    ///
    /// What the value no longer holds cannot be seen: a model that dropped `units`,
    /// `hidecounts`, `error` or `progress` loses what they tell (see `docs/DECODED_RECORDS.md`).
    /// Bytes that never decoded reach nobody, so the malformed count only counts values that
    /// serialise to something that is not a record. Do not feed a record while a byte chunk
    /// fed before it stopped inside a record: the two would be read as one.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// let mut pipeline = pullstream::pipeline::Pipeline::new();
    /// let record = serde_json::json!({"status": "Status: Image is up to date for alpine:3.20"});
    /// pipeline.feed_record(&record, 0, |_| ControlFlow::Continue(()))?;
    /// let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    /// assert_eq!(pipeline.summary().result, Some(pullstream::outcome::SuccessKind::UpToDate));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn feed_record<T: serde::Serialize + ?Sized>(
        &mut self,
        record: &T,
        now_ms: u64,
        on_item: impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, serde_json::Error> {
        // Taken out so that `feed` can borrow the pipeline; put back (empty) to keep its
        // capacity.
        let mut text = std::mem::take(&mut self.record_text);
        let written = serde_json::to_writer(&mut text, record);
        let flow = written.map(|()| {
            text.push(b'\n');
            self.feed(&text, now_ms, on_item)
        });
        // One huge record must not pin its size for the rest of the stream.
        text.clear();
        text.shrink_to(RECORD_TEXT_KEPT);
        self.record_text = text;
        flow
    }

    /// Ends the stream: delivers what is left, notes whether the stream was cut inside a
    /// record, and fixes the verdict. Returns `Break` when paused: call `finish` again to go
    /// on, not `feed` (a feed would treat the held bytes as a stream that continues).
    pub fn finish(
        &mut self,
        now_ms: u64,
        mut on_item: impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        self.limit_notices.deliver(&self.tracker, &mut on_item)?;
        let mut ending = self.ending.take();
        let flow = drive(
            self.decoder.finish(),
            &mut self.tracker,
            now_ms,
            &mut on_item,
            &mut ending,
            &mut self.limit_notices,
            &mut self.progress_records,
        );
        if flow.is_continue() {
            self.ending = Some(ending.unwrap_or(Ending::Clean));
        } else {
            self.ending = ending;
        }
        flow
    }

    /// Tells the pipeline that the transport ended the body before its own end: an HTTP body
    /// cut short (a chunked body without its terminating `0` chunk, a connection closed inside
    /// a chunk, an identity body shorter than its `Content-Length`). The stream is then a cut
    /// stream whatever its records said: the verdict is incomplete with
    /// [`IncompleteReason::TruncatedBody`](crate::outcome::IncompleteReason::TruncatedBody),
    /// unless the daemon reported an error (failed) or the input was not a progress stream at
    /// all. It may be called at any time, before or after [`Pipeline::finish`].
    ///
    /// With [`crate::http::ResponseDecoder`], call it when
    /// [`ResponseDecoder::is_body_truncated`](crate::http::ResponseDecoder::is_body_truncated)
    /// is true for a success (`2xx`) response; an error response's body keeps its own verdict.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use pullstream::http::ResponseDecoder;
    /// use pullstream::pipeline::Pipeline;
    ///
    /// // Podman ends a pull with the image id; this body's `0` chunk never came.
    /// let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
    ///              2e\r\n{\"status\":\"Pulling fs layer\",\"id\":\"a1b2c3\"}\n\r\n";
    /// let mut http = ResponseDecoder::new();
    /// let mut pipeline = Pipeline::new();
    /// http.feed_all(wire, |body| {
    ///     let _ = pipeline.feed(body, 0, |_| ControlFlow::Continue(()));
    /// })?;
    /// let _ = http.finish(); // Err(TruncatedBody)
    /// if http.is_success() && http.is_body_truncated() {
    ///     pipeline.note_truncated_body();
    /// }
    /// let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    /// let summary = pipeline.summary();
    /// assert_eq!(summary.incomplete_reason.map(|reason| reason.name()), Some("truncated_body"));
    /// assert_eq!(summary.exit_code(), 2);
    /// # Ok::<(), pullstream::http::HttpError>(())
    /// ```
    pub fn note_truncated_body(&mut self) {
        self.truncated_body = true;
    }

    /// How the stream ended, as far as it is known: before [`Pipeline::finish`] has run to its
    /// end, cleanly (or truncated, once [`Pipeline::note_truncated_body`] was called).
    pub fn ending(&self) -> Ending {
        let decoder_ending = self.ending.unwrap_or(Ending::Clean);
        if self.truncated_body {
            Ending::TruncatedBody {
                inside_record: decoder_ending == Ending::CutMidRecord,
            }
        } else {
            decoder_ending
        }
    }

    /// The summary of everything seen so far. Before [`Pipeline::finish`] has run to its end,
    /// the stream counts as ending cleanly here.
    ///
    /// When no record carried a field of the progress vocabulary (every record, if any, was
    /// [`Event::Empty`], like `docker inspect` output) and some bytes could not be decoded, the
    /// input is not a progress stream ([`Summary::set_not_a_progress_stream`]).
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::new(&self.tracker, self.decoder.stats(), self.ending());
        if self.progress_records == 0 && summary.malformed_records > 0 {
            summary.set_not_a_progress_stream();
        }
        summary
    }
}

/// The capacity [`Pipeline::feed_record`]'s buffer keeps between records: a progress record is
/// a few hundred bytes, an error record rarely more than a few kilobytes.
const RECORD_TEXT_KEPT: usize = 64 << 10;

/// Takes `chunk` into the decoder without delivering anything: dropping the iterator before
/// its first item hands every byte back to the decoder for the next call.
fn pause_with(decoder: &mut Decoder, chunk: &[u8]) -> ControlFlow<()> {
    drop(decoder.feed(chunk));
    ControlFlow::Break(())
}

fn drive(
    mut records: crate::decoder::Records<'_>,
    tracker: &mut Tracker,
    now_ms: u64,
    on_item: &mut impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
    ending: &mut Option<Ending>,
    limit_notices: &mut LimitNotices,
    progress_records: &mut u64,
) -> ControlFlow<()> {
    loop {
        // Read in place, by reference: binding the item by value (as `for` does) copied its
        // 360 bytes once per record.
        let next = records.next();
        let Some(item) = &next else {
            break;
        };
        let flow = match item {
            Ok(record) => {
                // A record re-read after a cut-off one at the end: the stream did not end cut.
                *ending = None;
                let event = Event::classify(record.message());
                *progress_records += u64::from(!matches!(event, Event::Empty));
                if tracker.observe(&event, now_ms).is_err() {
                    limit_notices.note_new(tracker);
                }
                let flow = on_item(Item::Event {
                    record,
                    event: &event,
                });
                // Paused on the record: its notices come first when the caller resumes.
                flow?;
                limit_notices.deliver(tracker, on_item)
            }
            Err(error) => {
                if let ErrorKind::Truncated { .. } = error.kind() {
                    *ending = Some(Ending::CutMidRecord);
                }
                if let Some(salvaged) = error.salvaged_error() {
                    // Malformed, and still the daemon's error: the verdict must not miss it.
                    let event = Event::Error(salvaged.daemon_error());
                    // An error record names no layer, so no limit can be reached here.
                    let _ = tracker.observe(&event, now_ms);
                }
                on_item(Item::Malformed(error))
            }
        };
        if flow.is_break() {
            return flow;
        }
    }
    ControlFlow::Continue(())
}
