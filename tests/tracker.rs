//! The tracker's state machines, aggregate, stall detection and verdict rules.

use pullstream::event::Event;
use pullstream::outcome::{IncompleteReason, Outcome, SuccessKind};
use pullstream::tracker::{
    Completion, Ending, Phase, StallPhase, StallReason, Tracker, TrackerConfig,
};
use pullstream::Decoder;

/// Feeds records (one JSON object per line) to `tracker`, all at time `now_ms`.
fn feed(tracker: &mut Tracker, now_ms: u64, records: &str) {
    let mut decoder = Decoder::new();
    for item in decoder.feed(records.as_bytes()) {
        let record = item.expect("valid record");
        let _ = tracker.observe(&Event::classify(record.message()), now_ms);
    }
}

fn layer(id: &str, status: &str) -> String {
    format!(r#"{{"status":"{status}","progressDetail":{{}},"id":"{id}"}}"#)
}

fn progress(id: &str, status: &str, current: u64, total: u64) -> String {
    format!(
        r#"{{"status":"{status}","progressDetail":{{"current":{current},"total":{total}}},"id":"{id}"}}"#
    )
}

#[test]
fn layer_created_on_first_event_of_any_kind_and_kept_in_order() {
    let mut tracker = Tracker::new();
    // The containerd store sends no "Pulling fs layer".
    feed(&mut tracker, 0, &progress("bbb", "Downloading", 1, 10));
    feed(&mut tracker, 0, &layer("aaa", "Pulling fs layer"));
    feed(&mut tracker, 0, &progress("bbb", "Downloading", 5, 10));
    let snapshot = tracker.snapshot();
    let ids: Vec<&str> = snapshot.layers.iter().map(|l| l.id()).collect();
    assert_eq!(ids, ["bbb", "aaa"]);
    assert_eq!(snapshot.layers[0].phase(), Phase::Transferring);
    assert_eq!(snapshot.layers[0].transfer().current, 5);
    assert_eq!(snapshot.layers[1].phase(), Phase::Queued);
}

#[test]
fn retrying_resets_download_progress() {
    let mut tracker = Tracker::new();
    feed(&mut tracker, 0, &progress("a", "Downloading", 800, 1000));
    feed(&mut tracker, 0, &layer("a", "Retrying in 5 seconds"));
    let snapshot = tracker.snapshot();
    assert_eq!(snapshot.layers[0].phase(), Phase::Retrying);
    assert_eq!(snapshot.layers[0].transfer().current, 0);
    assert_eq!(snapshot.layers[0].retries(), 1);
    feed(&mut tracker, 0, &progress("a", "Downloading", 100, 1000));
    assert_eq!(tracker.snapshot().layers[0].phase(), Phase::Transferring);
    assert_eq!(tracker.snapshot().aggregate.bytes_done, 100);
}

#[test]
fn seconds_are_never_added_to_bytes_and_hidecounts_is_respected() {
    let mut tracker = Tracker::new();
    feed(
        &mut tracker,
        0,
        concat!(
            r#"{"status":"Downloading","progressDetail":{"current":500,"total":1000},"id":"a"}"#,
            "\n",
            r#"{"status":"Download complete","progressDetail":{"hidecounts":true},"id":"a"}"#,
            "\n",
            r#"{"status":"Extracting","progressDetail":{"current":7,"units":"s"},"id":"a"}"#,
            "\n",
        ),
    );
    let snapshot = tracker.snapshot();
    let (extract, unit) = snapshot.layers[0].extract();
    assert_eq!(unit, pullstream::event::Unit::Seconds);
    assert_eq!(extract.current, 7);
    assert_eq!(snapshot.aggregate.bytes_done, 1000);
    assert_eq!(snapshot.aggregate.bytes_total_known, 1000);
    assert_eq!(
        snapshot.dialect,
        pullstream::outcome::Dialect::DockerContainerd
    );
}

#[test]
fn download_complete_without_byte_events_completes_the_download() {
    let mut tracker = Tracker::new();
    feed(&mut tracker, 0, &layer("a", "Pulling fs layer"));
    feed(&mut tracker, 0, &layer("a", "Download complete"));
    assert_eq!(tracker.snapshot().layers[0].phase(), Phase::Downloaded);
    feed(&mut tracker, 0, &layer("a", "Pull complete"));
    assert_eq!(
        tracker.snapshot().layers[0].completion(),
        Some(Completion::Pulled)
    );
}

#[test]
fn non_layer_ids_are_not_pending_layers() {
    let mut tracker = Tracker::new();
    feed(
        &mut tracker,
        0,
        &[
            r#"{"status":"Pulling from library/alpine","id":"latest"}"#.to_string(),
            layer("aaa", "Pulling fs layer"),
            progress("aaa", "Downloading", 10, 10),
            r#"{"status":"Download complete","progressDetail":{"hidecounts":true},"id":"cfg"}"#
                .to_string(),
        ]
        .join("\r\n"),
    );
    let snapshot = tracker.snapshot();
    assert!(snapshot
        .layers
        .iter()
        .any(|l| l.id() == "cfg" && l.is_non_layer()));
    assert_eq!(snapshot.aggregate.layers_known, 1);
    assert_eq!(tracker.pending_layers(), ["aaa"]);
}

#[test]
fn phases_never_go_backwards() {
    let mut tracker = Tracker::new();
    feed(&mut tracker, 0, &progress("a", "Extracting", 5, 10));
    feed(&mut tracker, 0, &layer("a", "Waiting"));
    feed(&mut tracker, 0, &layer("a", "Verifying Checksum"));
    assert_eq!(tracker.snapshot().layers[0].phase(), Phase::Extracting);
}

#[test]
fn layer_limit_holds() {
    let mut tracker = Tracker::with_config(TrackerConfig::default().max_layers(3));
    let records: Vec<String> = (0..10)
        .map(|i| layer(&format!("l{i}"), "Pulling fs layer"))
        .collect();
    let mut decoder = Decoder::new();
    let text = records.join("\n");
    let mut refused = 0;
    for item in decoder.feed(text.as_bytes()) {
        let record = item.unwrap();
        if let Err(limit) = tracker.observe(&Event::classify(record.message()), 0) {
            assert_eq!(limit.limit, 3);
            refused += 1;
        }
    }
    assert_eq!(refused, 7);
    assert_eq!(tracker.snapshot().layers.len(), 3);
    assert_eq!(tracker.untracked_events(), 7);
}

#[test]
fn percentages_never_go_backwards_even_when_new_layers_appear() {
    let mut tracker = Tracker::new();
    feed(&mut tracker, 0, &progress("a", "Downloading", 90, 100));
    let first = tracker.aggregate();
    assert!((first.percent_by_bytes - 90.0).abs() < 1e-9);
    // A new, larger layer makes the raw ratio drop; the reported one holds.
    feed(&mut tracker, 0, &progress("b", "Downloading", 0, 900));
    let second = tracker.aggregate();
    assert!(second.percent_by_bytes >= first.percent_by_bytes);
    assert_eq!(second.bytes_total_known, 1000);
}

#[test]
fn snapshots_never_go_backwards_across_a_retry() {
    let mut tracker = Tracker::new();
    feed(&mut tracker, 0, &progress("a", "Downloading", 50, 100));
    assert!((tracker.snapshot().aggregate.percent_by_bytes - 50.0).abs() < 1e-9);
    feed(&mut tracker, 0, &layer("a", "Retrying in 5 seconds"));
    let after = tracker.snapshot().aggregate;
    assert_eq!(after.bytes_done, 0, "the bytes restart");
    assert!(
        (after.percent_by_bytes - 50.0).abs() < 1e-9,
        "the percentage holds"
    );
}

#[test]
fn pre_seeded_sizes_count_from_the_start() {
    let mut tracker = Tracker::new();
    tracker.expect_layer("a", 1000).unwrap();
    tracker.expect_layer("b", 3000).unwrap();
    assert_eq!(tracker.snapshot().aggregate.bytes_total_known, 4000);
    // The daemon omits the total; the pre-seeded size stands.
    feed(
        &mut tracker,
        0,
        r#"{"status":"Downloading","progressDetail":{"current":500},"id":"a"}"#,
    );
    let aggregate = tracker.snapshot().aggregate;
    assert_eq!(
        (aggregate.bytes_done, aggregate.bytes_total_known),
        (500, 4000)
    );
}

#[test]
fn rate_and_eta_come_from_the_callers_clock_and_are_zero_safe() {
    let mut tracker = Tracker::new();
    assert_eq!(tracker.snapshot().aggregate.bytes_per_sec, None);
    feed(
        &mut tracker,
        1_000,
        &progress("a", "Downloading", 0, 10_000),
    );
    // Same timestamp twice: no division by zero.
    feed(
        &mut tracker,
        1_000,
        &progress("a", "Downloading", 100, 10_000),
    );
    feed(
        &mut tracker,
        3_000,
        &progress("a", "Downloading", 2_100, 10_000),
    );
    let aggregate = tracker.snapshot().aggregate;
    let rate = aggregate.bytes_per_sec.unwrap();
    assert!((rate - 1050.0).abs() < 1.0, "{rate}");
    let eta = aggregate.eta_secs.unwrap();
    assert!((eta - 7900.0 / rate).abs() < 0.01, "{eta}");
}

#[test]
fn stalls_are_phase_aware_reported_once_and_cleared_by_progress() {
    let config = TrackerConfig::default().stall_after(StallPhase::Transfer, 10_000);
    let mut tracker = Tracker::with_config(config);
    feed(&mut tracker, 0, &layer("queued", "Waiting"));
    feed(&mut tracker, 0, &progress("busy", "Downloading", 1, 100));
    assert!(tracker.poll_stalls(9_999).is_empty());
    let stalls = tracker.poll_stalls(10_000);
    assert_eq!(stalls.len(), 1, "the waiting layer is never stalled");
    assert_eq!(stalls[0].layer, "busy");
    assert_eq!(stalls[0].phase, Phase::Transferring);
    assert_eq!(
        stalls[0].reason,
        StallReason::NoProgress { idle_ms: 10_000 }
    );
    assert!(tracker.poll_stalls(20_000).is_empty(), "reported once");
    assert!(tracker.snapshot().layers[1].is_stalled());
    feed(
        &mut tracker,
        21_000,
        &progress("busy", "Downloading", 2, 100),
    );
    assert!(!tracker.snapshot().layers[1].is_stalled());
    assert_eq!(
        tracker.poll_stalls(31_000).len(),
        1,
        "a new stall after progress"
    );
}

#[test]
fn slow_transfers_are_stalls_when_a_minimum_rate_is_set() {
    let config = TrackerConfig::default()
        .min_bytes_per_sec(1_000)
        .rate_window_ms(5_000);
    let mut tracker = Tracker::with_config(config);
    feed(&mut tracker, 0, &progress("a", "Downloading", 0, 1_000_000));
    feed(
        &mut tracker,
        5_000,
        &progress("a", "Downloading", 100, 1_000_000),
    );
    let stalls = tracker.poll_stalls(5_000);
    assert_eq!(stalls.len(), 1);
    assert_eq!(stalls[0].reason, StallReason::TooSlow { bytes_per_sec: 20 });
}

#[test]
fn snapshot_changes_nothing() {
    let mut tracker = Tracker::new();
    feed(&mut tracker, 0, &progress("a", "Downloading", 1, 2));
    // The first read may raise the percentages' high-water marks; later reads change nothing.
    let _ = tracker.snapshot();
    let before = format!("{:?}", tracker);
    let _ = tracker.snapshot();
    let _ = tracker.outcome(Ending::Clean);
    assert_eq!(format!("{:?}", tracker), before);
}

#[test]
fn all_tags_pull_keeps_segments_apart() {
    let mut tracker = Tracker::new();
    let stream = [
        r#"{"status":"Pulling from library/busybox","id":"1.36"}"#.to_string(),
        layer("aaa", "Pulling fs layer"),
        layer("aaa", "Pull complete"),
        r#"{"status":"Digest: sha256:11"}"#.to_string(),
        r#"{"status":"Pulling from library/busybox","id":"latest"}"#.to_string(),
        layer("aaa", "Already exists"),
        r#"{"status":"Digest: sha256:22"}"#.to_string(),
        r#"{"status":"Status: Downloaded newer image for busybox"}"#.to_string(),
    ]
    .join("\r\n");
    feed(&mut tracker, 0, &stream);
    let snapshot = tracker.snapshot();
    assert_eq!(snapshot.segments.len(), 2);
    assert_eq!(snapshot.segments[0].tag.as_deref(), Some("1.36"));
    assert_eq!(snapshot.segments[1].digest.as_deref(), Some("sha256:22"));
    assert_eq!(
        snapshot.layers.len(),
        2,
        "the same id is a layer of each image"
    );
    assert_eq!(snapshot.layers[1].segment(), 1);
    match tracker.outcome(Ending::Clean) {
        Outcome::Success(success) => {
            assert_eq!(success.kind, SuccessKind::Downloaded);
            assert_eq!(success.reference.as_deref(), Some("busybox"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn verdict_rules() {
    let status = r#"{"status":"Status: Downloaded newer image for a:b"}"#;
    let pulling = r#"{"status":"Pulling from library/a","id":"b"}"#;
    let cases: Vec<(String, Ending, &str)> = vec![
        (String::new(), Ending::Clean, "incomplete:empty_stream"),
        (pulling.into(), Ending::CutMidRecord, "incomplete:cut_mid_record"),
        (format!("{pulling}\n{}", layer("x", "Pull complete")), Ending::Clean, "incomplete:no_terminal_status"),
        (format!("{pulling}\n{status}"), Ending::Clean, "success:Downloaded"),
        // An error wins over a success line, and over a cut.
        (format!("{pulling}\n{status}\n{{\"error\":\"unauthorized\"}}"), Ending::CutMidRecord, "failed:Unauthorized"),
        // moby's own client calls this success; it is not.
        (format!("{pulling}\n{}", progress("x", "Downloading", 5, 5)), Ending::Clean, "incomplete:no_terminal_status"),
        (r#"{"stream":"Loaded image: a:b\n"}"#.into(), Ending::Clean, "success:Loaded"),
        (r#"{"status":"Importing","progressDetail":{"current":1,"total":-1}}"#.into(), Ending::Clean, "incomplete:no_terminal_status"),
        (r#"{"status":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}"#.into(), Ending::Clean, "success:Imported"),
        ("{}".into(), Ending::Clean, "incomplete:no_terminal_status"),
    ];
    for (stream, ending, expected) in cases {
        let mut tracker = Tracker::new();
        feed(&mut tracker, 0, &stream);
        let got = match tracker.outcome(ending) {
            Outcome::Success(s) => format!("success:{:?}", s.kind),
            Outcome::Failed(f) => format!("failed:{:?}", f.kind),
            Outcome::Incomplete(i) => format!(
                "incomplete:{}",
                match i.reason {
                    IncompleteReason::EmptyStream => "empty_stream",
                    IncompleteReason::CutMidRecord => "cut_mid_record",
                    IncompleteReason::NoTerminalStatus => "no_terminal_status",
                    _ => "other",
                }
            ),
            other => format!("{other:?}"),
        };
        assert_eq!(got, expected, "stream: {stream}");
    }
}

/// The limit is announced once, after the first record past it, however many records follow
/// past it and however the stream is chunked; the tracker still counts every refused record.
#[test]
fn the_layer_limit_is_announced_once_per_stream() {
    use pullstream::pipeline::{Item, Pipeline};
    use std::ops::ControlFlow;
    let stream: String = ["a", "b", "c", "b", "d", "a", "e"]
        .iter()
        .map(|id| layer(id, "Waiting") + "\n")
        .collect();
    for chunk_len in [1, 7, stream.len()] {
        let config = TrackerConfig::default().max_layers(2);
        let mut pipeline = Pipeline::with_config(pullstream::Config::default(), config);
        let mut seen = Vec::new();
        let mut on_item = |item: Item<'_, '_>| {
            seen.push(match item {
                Item::Event { event, .. } => event
                    .layer_id()
                    .map_or(String::new(), |id| id.decode().into_owned()),
                Item::TrackerLimit(limit) => format!("limit {}", limit.limit),
                _ => "other".to_string(),
            });
            ControlFlow::Continue(())
        };
        for chunk in stream.as_bytes().chunks(chunk_len) {
            let _ = pipeline.feed(chunk, 0, &mut on_item);
        }
        let _ = pipeline.finish(0, &mut on_item);
        assert_eq!(
            seen,
            ["a", "b", "c", "limit 2", "b", "d", "a", "e"],
            "chunks of {chunk_len}"
        );
        // c, d and e were refused.
        assert_eq!(pipeline.tracker().untracked_events(), 3);
    }
}

#[test]
fn a_layer_limit_notice_survives_a_pause_on_its_record() {
    use pullstream::pipeline::{Item, Pipeline};
    use std::ops::ControlFlow;
    let config = TrackerConfig::default().max_layers(1);
    let mut pipeline = Pipeline::with_config(pullstream::Config::default(), config);
    let stream = format!("{}\n{}\n", layer("a", "Waiting"), layer("b", "Waiting"));
    let mut seen = Vec::new();
    // Pause on every record.
    let mut flow = pipeline.feed(stream.as_bytes(), 0, |item| {
        seen.push(match item {
            Item::Event { event, .. } => event.kind_name().to_string(),
            Item::TrackerLimit(limit) => format!("limit {}", limit.limit),
            _ => "other".to_string(),
        });
        ControlFlow::Break(())
    });
    while flow.is_break() {
        flow = pipeline.feed(&[], 0, |item| {
            seen.push(match item {
                Item::Event { event, .. } => event.kind_name().to_string(),
                Item::TrackerLimit(limit) => format!("limit {}", limit.limit),
                _ => "other".to_string(),
            });
            ControlFlow::Break(())
        });
    }
    assert_eq!(seen, ["waiting", "waiting", "limit 1"]);
}

#[test]
fn a_push_with_layers_still_pending_after_a_digest_line_is_not_finished() {
    let mut tracker = Tracker::new();
    let stream = [
        r#"{"status":"The push refers to repository [r/app]"}"#.to_string(),
        layer("a", "Pushed"),
        r#"{"status":"v1: digest: sha256:aa size: 1"}"#.to_string(),
        layer("b", "Preparing"),
    ]
    .join("\n");
    feed(&mut tracker, 0, &stream);
    assert!(matches!(
        tracker.outcome(Ending::Clean),
        Outcome::Incomplete(ref i) if i.pending_layers == ["b"]
    ));
}

#[test]
fn a_stream_line_before_any_pull_record_does_not_make_the_pull_a_build() {
    use pullstream::outcome::Operation;
    let mut tracker = Tracker::new();
    // A vendor's notice (any text but a build step) ahead of an ordinary pull.
    feed(
        &mut tracker,
        0,
        "{\"stream\":\"Using mirror registry.example.com\\n\"}\n",
    );
    assert_eq!(tracker.operation(), Operation::Build);
    feed(
        &mut tracker,
        0,
        r#"{"status":"Pulling from acme/tool","id":"1"}"#,
    );
    feed(
        &mut tracker,
        0,
        r#"{"status":"Status: Image is up to date for acme/tool:1"}"#,
    );
    assert_eq!(tracker.operation(), Operation::Pull);
    assert!(matches!(
        tracker.outcome(Ending::Clean),
        Outcome::Success(ref s) if s.kind == SuccessKind::UpToDate
    ));
}

#[test]
fn a_build_step_keeps_a_base_image_pull_a_build() {
    use pullstream::outcome::Operation;
    let mut tracker = Tracker::new();
    feed(&mut tracker, 0, r#"{"stream":"Step 1/2 : FROM acme/base"}"#);
    feed(
        &mut tracker,
        0,
        r#"{"status":"Pulling from acme/base","id":"latest"}"#,
    );
    feed(
        &mut tracker,
        0,
        r#"{"status":"Status: Downloaded newer image for acme/base:latest"}"#,
    );
    assert_eq!(tracker.operation(), Operation::Build);
    assert!(!tracker.outcome(Ending::Clean).is_success());
}

#[test]
fn a_cut_classic_build_reports_the_step_it_reached() {
    let mut tracker = Tracker::new();
    feed(
        &mut tracker,
        0,
        r#"{"stream":"Step 1/3 : FROM acme/base AS build"}"#,
    );
    feed(&mut tracker, 0, r#"{"aux":{"ID":"sha256:0123"}}"#);
    feed(
        &mut tracker,
        0,
        r#"{"stream":"Step 2/3 : FROM acme/runtime"}"#,
    );
    match tracker.outcome(Ending::Clean) {
        Outcome::Incomplete(incomplete) => {
            assert_eq!(incomplete.reason, IncompleteReason::NoTerminalStatus);
            let step = incomplete.build_step.expect("step");
            assert_eq!((step.current, step.total), (2, Some(3)));
        }
        other => panic!("{other:?}"),
    }
    // The last stage's result, after the last step, ends the build.
    feed(
        &mut tracker,
        0,
        r#"{"stream":"Step 3/3 : COPY --from=build /out /"}"#,
    );
    feed(&mut tracker, 0, r#"{"aux":{"ID":"sha256:4567"}}"#);
    match tracker.outcome(Ending::Clean) {
        Outcome::Success(success) => assert_eq!(success.image_id.as_deref(), Some("sha256:4567")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn podman_closing_record_is_a_second_ending_or_a_new_id() {
    let blobs = [
        layer("aaa", "Pulling fs layer"),
        progress("aaa", "Downloading", 10, 10),
        layer("aaa", "Download complete"),
    ];
    let mut tracker = Tracker::new();
    for record in &blobs {
        feed(&mut tracker, 0, record);
    }
    // The blob's own first ending: a cut here is not finished.
    assert!(!tracker.outcome(Ending::Clean).is_success());
    // A `Pull complete` (Podman 3.1) for the image id, never seen before, is.
    feed(&mut tracker, 0, &layer("fff", "Pull complete"));
    match tracker.outcome(Ending::Clean) {
        Outcome::Success(success) => assert_eq!(success.image_id.as_deref(), Some("fff")),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The limits on what the tracker keeps (issue 12, part 6).

use pullstream::tracker::{Limit, CUT_MARK};

/// Runs `stream` through a pipeline with `config`, fed `chunk_len` bytes at a time, pausing on
/// every item when `pause` (and resuming with empty feeds and repeated finishes); returns what
/// it delivered: layer ids or statuses for events, `limit NAME VALUE` for notices.
fn deliver(config: TrackerConfig, stream: &str, chunk_len: usize, pause: bool) -> Vec<String> {
    use pullstream::pipeline::{Item, Pipeline};
    use std::ops::ControlFlow;
    let mut pipeline = Pipeline::with_config(pullstream::Config::default(), config);
    let mut seen = Vec::new();
    // Items delivered by the current call: a pause must be honoured at once.
    let in_call = std::cell::Cell::new(0);
    let mut on_item = |item: Item<'_, '_>| {
        in_call.set(in_call.get() + 1);
        assert!(!pause || in_call.get() == 1, "an item after a pause");
        seen.push(match item {
            Item::Event { event, record } => event.layer_id().map_or_else(
                || {
                    record
                        .message()
                        .status
                        .map(|s| s.decode().into_owned())
                        .unwrap_or_default()
                },
                |id| id.decode().into_owned(),
            ),
            Item::TrackerLimit(limit) => format!("limit {} {}", limit.which.name(), limit.limit),
            _ => "other".to_string(),
        });
        if pause {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    for chunk in stream.as_bytes().chunks(chunk_len) {
        in_call.set(0);
        let mut flow = pipeline.feed(chunk, 0, &mut on_item);
        while flow.is_break() {
            in_call.set(0);
            flow = pipeline.feed(&[], 0, &mut on_item);
        }
    }
    in_call.set(0);
    while pipeline.finish(0, &mut on_item).is_break() {
        in_call.set(0);
    }
    seen
}

/// Every limit is announced once per stream, right after the first record that reached it
/// (several after one record, in `Limit::ALL` order), however the stream is chunked and
/// wherever the caller pauses.
#[test]
fn each_limit_is_announced_once_after_the_record_that_reached_it() {
    let long_id = "i".repeat(40);
    let long_text = "t".repeat(40);
    let stream = [
        r#"{"status":"Pulling from library/a","id":"latest"}"#.to_string(),
        layer("a", "Waiting"),
        layer("b", "Waiting"),
        layer(&long_id, "Waiting"),
        // A new image past the segment limit, with a repository past the text limit.
        format!(r#"{{"status":"Pulling from {long_text}","id":"latest"}}"#),
        layer("c", "Waiting"),
        layer("d", "Waiting"),
        layer(&long_id, "Waiting"),
        format!(r#"{{"status":"Digest: {long_text}"}}"#),
        format!(r#"{{"errorDetail":{{"message":"{long_text}"}},"error":"{long_text}"}}"#),
        format!(r#"{{"status":"Pulling from {long_text}","id":"latest"}}"#),
    ]
    .join("\n")
        + "\n";
    let config = TrackerConfig::default()
        .max_layers(3)
        .max_segments(1)
        .max_id_len(32)
        .max_text_len(20)
        .max_error_len(30);
    let expected = [
        "Pulling from library/a",
        "a",
        "b",
        long_id.as_str(),
        "limit id_length 32",
        &format!("Pulling from {long_text}"),
        "limit segment 1",
        "limit text_length 20",
        "c",
        "d",
        "limit layer 3",
        long_id.as_str(),
        &format!("Digest: {long_text}"),
        // The error record: its status is absent.
        "",
        "limit error_length 30",
        &format!("Pulling from {long_text}"),
    ];
    for chunk_len in [1, 7, stream.len()] {
        for pause in [false, true] {
            let seen = deliver(config.clone(), &stream, chunk_len, pause);
            assert_eq!(seen, expected, "chunks of {chunk_len}, pause {pause}");
        }
    }
}

/// A layer id longer than the limit is refused, never cut: two such ids that share their first
/// bytes stay apart (neither is tracked), and their events are counted as untracked. The limit
/// is on the decoded id: an escaped id whose raw text is longer but whose text fits is tracked
/// and matches the same id written plainly.
#[test]
fn a_layer_id_longer_than_the_limit_is_refused_not_cut() {
    let config = TrackerConfig::default().max_id_len(8);
    let mut tracker = Tracker::with_config(config);
    let records = [
        progress("abcdefgh-one", "Downloading", 1, 10),
        progress("abcdefgh-two", "Downloading", 2, 10),
        layer("abcdefgh-one", "Pull complete"),
        // `\u0061` is `a`: eight bytes decoded, 13 on the wire.
        progress(r"\u0061bcdefgh", "Downloading", 3, 10),
        progress("abcdefgh", "Downloading", 4, 10),
    ]
    .join("\n");
    let mut decoder = Decoder::new();
    let mut limits = Vec::new();
    for item in decoder.feed(records.as_bytes()) {
        let record = item.unwrap();
        if let Err(limit) = tracker.observe(&Event::classify(record.message()), 0) {
            limits.push(limit.which);
        }
    }
    assert_eq!(limits, [Limit::IdLength; 3]);
    let snapshot = tracker.snapshot();
    let ids: Vec<&str> = snapshot.layers.iter().map(|l| l.id()).collect();
    assert_eq!(ids, ["abcdefgh"]);
    assert_eq!(snapshot.layers[0].transfer().current, 4);
    assert_eq!(tracker.untracked_events(), 3);
    assert_eq!(
        tracker.expect_layer(&"x".repeat(9), 1).map_err(|l| l.which),
        Err(Limit::IdLength)
    );
    assert!(tracker.expect_layer(&"x".repeat(8), 1).is_ok());
}

/// Texts past their limit are kept cut, at a character boundary, ending in the cut mark, never
/// longer than the limit; the error event still carries the whole message.
#[test]
fn texts_longer_than_their_limit_are_kept_cut_with_a_mark() {
    // `é` is two bytes: a cut at an odd byte must step back to a boundary.
    let reference = format!("registry.example.com/{}:v1", "é".repeat(100));
    let digest = format!("sha256:{}", "0".repeat(2000));
    let message = format!("toomanyrequests: {}", "ü".repeat(50_000));
    let stream = [
        r#"{"status":"Pulling from library/app","id":"v1"}"#.to_string(),
        format!(r#"{{"status":"Digest: {digest}"}}"#),
        format!(r#"{{"status":"Status: Downloaded newer image for {reference}"}}"#),
    ]
    .join("\n");
    let config = TrackerConfig::default().max_text_len(33).max_error_len(101);
    let mut tracker = Tracker::with_config(config.clone());
    feed(&mut tracker, 0, &stream);
    let Outcome::Success(success) = tracker.outcome(Ending::Clean) else {
        panic!("{:?}", tracker.outcome(Ending::Clean));
    };
    for (text, whole) in [(&success.reference, &reference), (&success.digest, &digest)] {
        let text = text.as_deref().unwrap();
        assert!(text.len() <= 33 && text.len() >= 33 - 4, "{text}");
        assert!(text.ends_with(CUT_MARK), "{text}");
        assert!(whole.starts_with(text.strip_suffix(CUT_MARK).unwrap()));
    }
    assert_eq!(
        tracker.snapshot().segments[0].digest.as_deref(),
        success.digest.as_deref()
    );
    // A text that fits, even exactly, is kept whole.
    let mut tracker = Tracker::with_config(config.clone());
    feed(
        &mut tracker,
        0,
        &format!(r#"{{"status":"Digest: {}"}}"#, "d".repeat(33)),
    );
    assert_eq!(tracker.image_details().digest, Some("d".repeat(33)));

    let mut tracker = Tracker::with_config(config);
    let record = format!(r#"{{"errorDetail":{{"message":"{message}"}},"error":"{message}"}}"#);
    let mut decoder = Decoder::new();
    for item in decoder.feed(record.as_bytes()) {
        let record = item.unwrap();
        let event = Event::classify(record.message());
        let Event::Error(error) = event else {
            panic!("{event:?}")
        };
        assert_eq!(error.message.decode(), message);
        let limit = tracker.observe(&event, 0).unwrap_err();
        assert_eq!((limit.which, limit.limit), (Limit::ErrorLength, 101));
    }
    let Outcome::Failed(failure) = tracker.outcome(Ending::Clean) else {
        panic!()
    };
    assert!(failure.message.len() <= 101 && failure.message.len() >= 101 - 4);
    assert!(failure.message.ends_with(CUT_MARK));
    assert!(message.starts_with(failure.message.strip_suffix(CUT_MARK).unwrap()));
}

/// Past the segment limit, further images share the last entry, which describes the newest of
/// them; their layers are still told apart per image (the same id in two images is two layers).
#[test]
fn images_past_the_segment_limit_share_the_last_entry() {
    let mut records = Vec::new();
    for image in 0..5 {
        records.push(format!(
            r#"{{"status":"Pulling from library/app{image}","id":"v{image}"}}"#
        ));
        records.push(layer("shared", "Pulling fs layer"));
        records.push(format!(r#"{{"status":"Digest: sha256:{image}"}}"#));
    }
    records.push(r#"{"status":"Pulling from library/last","id":"v9"}"#.to_string());
    let mut tracker = Tracker::with_config(TrackerConfig::default().max_segments(2));
    feed(&mut tracker, 0, &records.join("\n"));
    let snapshot = tracker.snapshot();
    assert_eq!(snapshot.segments.len(), 2);
    assert_eq!(
        snapshot.segments[0].repository.as_deref(),
        Some("library/app0")
    );
    let last = &snapshot.segments[1];
    assert_eq!(last.repository.as_deref(), Some("library/last"));
    assert_eq!(last.tag.as_deref(), Some("v9"));
    // The newest image has not named its digest: an older image's is not shown as its.
    assert_eq!(last.digest, None);
    assert_eq!(last.first_layer, 1);
    assert_eq!(snapshot.layers.len(), 5);
    assert!(snapshot.layers[1..].iter().all(|l| l.segment() == 1));
    assert_eq!(
        tracker
            .limits_reached()
            .map(|l| l.which)
            .collect::<Vec<_>>(),
        [Limit::Segments]
    );
}

/// The verdict of `records` (one JSON object per line) at a clean end.
fn verdict(records: &str) -> Outcome {
    let mut tracker = Tracker::new();
    feed(&mut tracker, 0, records);
    tracker.outcome(Ending::Clean)
}

fn is_no_terminal_status(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Incomplete(i) if i.reason == IncompleteReason::NoTerminalStatus)
}

#[test]
fn what_a_build_step_prints_is_never_the_build_result() {
    // FORMAT.md §8.1 rule A: pip's `Successfully built <package>` and digests printed by a
    // step, while a step is still to come or in a non-quiet Docker build.
    let cases = [
        // `Successfully built` that is not a 12-hex short id, before the last step.
        "{\"stream\":\"Step 1/3 : FROM python:3.12-slim\\n\"}\n\
         {\"stream\":\"Step 2/3 : RUN pip install .\"}\n\
         {\"stream\":\"Successfully built acme\\n\"}\n",
        // A 12-hex one while step 3/3 is still to come.
        "{\"stream\":\"Step 2/3 : RUN make\"}\n\
         {\"stream\":\"Successfully built 0123456789ab\\n\"}\n",
        // A digest printed by the last step of a Docker build (not a quiet build).
        "{\"stream\":\"Step 2/2 : RUN crane digest alpine\"}\n\
         {\"stream\":\"sha256:4d8794547a06b7c1bf740295237dbd28e4ef1083f09179218e9bb99f70308dc2\\n\"}\n",
        // Podman: a 64-hex sum printed by step 2/3.
        "{\"stream\":\"STEP 1/3: FROM alpine\\n\"}\n\
         {\"stream\":\"STEP 2/3: RUN sha256sum f\\n\"}\n\
         {\"stream\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\\n\"}\n",
    ];
    for records in cases {
        let outcome = verdict(records);
        assert!(is_no_terminal_status(&outcome), "{records}: {outcome:?}");
    }
    // The daemon's own lines still count: after the last step, and a quiet build's id line.
    let finished = [
        "{\"stream\":\"Step 2/2 : RUN make\"}\n\
         {\"stream\":\"Successfully built 0123456789ab\\n\"}\n",
        "{\"stream\":\"sha256:4d8794547a06b7c1bf740295237dbd28e4ef1083f09179218e9bb99f70308dc2\\n\"}\n",
        "{\"stream\":\"STEP 2/2: RUN make\\n\"}\n\
         {\"stream\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\\n\"}\n",
    ];
    for records in finished {
        assert!(matches!(verdict(records), Outcome::Success(_)), "{records}");
    }
}

#[test]
fn a_layer_after_one_tag_or_image_finished_reopens_the_push_or_load() {
    // FORMAT.md §8.1 rule B: `push --all-tags` goes on with the next tag (the same layers
    // announced again), a load with the next image (even a layer at 100 %).
    let push = format!(
        "{}\n{}\n{}\n{}\n",
        r#"{"status":"The push refers to repository [registry.example.com/team/app]"}"#,
        layer("2f79cfa40df4", "Layer already exists"),
        r#"{"status":"1.0: digest: sha256:1111111111111111111111111111111111111111111111111111111111111111 size: 528"}"#,
        layer("2f79cfa40df4", "Preparing"),
    );
    assert!(is_no_terminal_status(&verdict(&push)), "{push}");
    let pushed = format!(
        "{push}{}\n",
        r#"{"status":"latest: digest: sha256:2222222222222222222222222222222222222222222222222222222222222222 size: 528"}"#
    );
    assert!(matches!(verdict(&pushed), Outcome::Success(_)));
    let load = format!(
        "{}\n{}\n{}\n",
        progress("3615967ed59f", "Loading layer", 7627776, 7627776),
        r#"{"stream":"Loaded image: a:1\n"}"#,
        progress("603d2ebf696f", "Loading layer", 3584000, 3584000),
    );
    assert!(is_no_terminal_status(&verdict(&load)), "{load}");
    let loaded = format!("{load}{}\n", r#"{"stream":"Loaded image: b:1\n"}"#);
    assert!(matches!(verdict(&loaded), Outcome::Success(_)));
}
