//! Properties of the tracker, over arbitrary sequences of records of known shapes (every status
//! of the vocabulary, `Retrying`, seconds units, `hidecounts`, `total: -1`, `current > total`,
//! errors, `aux`, `stream`) with arbitrary ids, values and order:
//!
//! 1. the outcome, the summary and the final snapshot do not depend on how the byte stream is
//!    chunked or framed (records fed through [`Pipeline`] with random cuts);
//! 2. aggregate percentages never decrease (`aggregate()` after every event) and stay in 0..=100;
//! 3. no sequence panics the tracker, whatever the clock does and however `poll_stalls` is
//!    called in between.
//!
//! The record generator is the one the `tracker` fuzz target uses (`fuzz/fuzz_body.rs`).

use std::ops::ControlFlow;

use proptest::prelude::*;
use pullstream::pipeline::Pipeline;
use pullstream::tracker::{Ending, TrackerConfig};
use pullstream::Config;

include!("common/fuzz_body.rs");

use fuzz_body::{TrackerCase, TrackerOp, SHAPES};

fn arb_number() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(-1)),
        1 => Just(Some(0)),
        6 => (0i64..5000).prop_map(Some),
        1 => any::<i64>().prop_map(Some),
    ]
}

fn arb_id() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        8 => (0u8..6).prop_map(|k| Some(format!("{k}a{k}b{k}c{k}d{k}e{k}f"))),
        1 => "[a-z0-9:@\\\\\"\u{e9}\u{1F600}]{0,14}".prop_map(Some),
    ]
}

fn arb_record(now_ms: impl Strategy<Value = u64>) -> impl Strategy<Value = TrackerOp> {
    (
        0..SHAPES.len(),
        arb_id(),
        "[a-z0-9/:.\\\\\"\u{e9} ]{0,12}",
        arb_number(),
        arb_number(),
        any::<(bool, bool)>(),
        0u32..100,
        now_ms,
    )
        .prop_map(
            |(shape, id, text, current, total, (seconds_unit, hidecounts), n, now_ms)| {
                TrackerOp::Record {
                    shape,
                    id,
                    text,
                    current,
                    total,
                    seconds_unit: seconds_unit && shape == 6,
                    hidecounts,
                    n,
                    now_ms,
                }
            },
        )
}

fn arb_op() -> impl Strategy<Value = TrackerOp> {
    let clock = prop_oneof![8 => 0u64..100_000, 1 => any::<u64>()];
    prop_oneof![
        8 => arb_record(clock.clone()),
        1 => clock.prop_map(|now_ms| TrackerOp::Poll { now_ms }),
        1 => (arb_id(), prop_oneof![0u64..100_000, any::<u64>()])
            .prop_map(|(id, size)| TrackerOp::Expect { id: id.unwrap_or_default(), size }),
    ]
}

/// Everything observable at the end of a pipeline run.
fn final_state(pipeline: &mut Pipeline) -> (String, String, String, String) {
    let summary = pipeline.summary().to_json();
    let tracker = pipeline.tracker();
    let snapshot = tracker.snapshot();
    let layers = format!("{:?} {:?}", snapshot.layers, snapshot.segments);
    let rest = format!(
        "{:?} {:?} {:?} {:?}",
        snapshot.aggregate.layers_known,
        snapshot.operation,
        snapshot.dialect,
        tracker.outcome(Ending::Clean)
    );
    let aggregate = pipeline.tracker_mut().aggregate();
    (
        summary,
        layers,
        rest,
        format!(
            "{} {} {} {} {}",
            aggregate.bytes_done,
            aggregate.bytes_total_known,
            aggregate.layers_done,
            aggregate.percent_by_count,
            aggregate.percent_by_bytes
        ),
    )
}

fn run(pieces: &[&[u8]]) -> (String, String, String, String) {
    let mut pipeline =
        Pipeline::with_config(Config::default(), TrackerConfig::default().max_layers(5));
    for piece in pieces {
        let _ = pipeline.feed(piece, 0, |_| ControlFlow::Continue(()));
    }
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    final_state(&mut pipeline)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The outcome, the summary and the final snapshot do not depend on chunking or framing.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn outcome_and_snapshot_do_not_depend_on_chunking(
        ops in prop::collection::vec(arb_record(Just(0u64)), 0..40),
        delimiters in prop::collection::vec(0u8..3, 40),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..16),
    ) {
        let mut stream = Vec::new();
        for (op, delimiter) in ops.iter().zip(delimiters.iter().cycle()) {
            stream.extend_from_slice(op.json().unwrap().as_bytes());
            stream.extend_from_slice(match delimiter { 0 => &b"\r\n"[..], 1 => b"\n", _ => b"" });
        }
        let whole = run(&[&stream]);
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        at.push(0);
        at.push(stream.len());
        at.sort_unstable();
        let pieces: Vec<&[u8]> = at.windows(2).map(|w| &stream[w[0]..w[1]]).collect();
        let chunked = run(&pieces);
        prop_assert_eq!(&whole, &chunked);
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        prop_assert_eq!(&whole, &run(&bytes));
    }

    /// Percentages never decrease and stay within 0..=100; the layer limit holds; nothing panics
    /// (checked inside `check_tracker` after every event and every `poll_stalls`).
    #[test]
    #[cfg_attr(miri, ignore)]
    fn percentages_never_decrease_and_nothing_panics(
        max_layers in prop_oneof![Just(0usize), Just(1), 2usize..8, Just(4096)],
        stall_transfer_ms in prop_oneof![Just(0u64), 1u64..60_000],
        stall_extract_ms in prop_oneof![Just(0u64), 1u64..60_000],
        min_bytes_per_sec in prop_oneof![Just(0u64), 1u64..100_000],
        rate_window_ms in 0u64..20_000,
        ops in prop::collection::vec(arb_op(), 0..120),
    ) {
        fuzz_body::check_tracker(&TrackerCase {
            max_layers,
            stall_transfer_ms,
            stall_extract_ms,
            min_bytes_per_sec,
            rate_window_ms,
            ops,
        });
    }

    /// The fuzz target's byte layout never panics either (arbitrary bytes as a tracker case).
    #[test]
    #[cfg_attr(miri, ignore)]
    fn arbitrary_bytes_as_a_tracker_case(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        fuzz_body::check_tracker(&TrackerCase::from_bytes(&bytes));
    }
}
