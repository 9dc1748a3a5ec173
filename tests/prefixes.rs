//! Every prefix of a successful fixture, cut at a record boundary, must not be a success,
//! unless the daemon's own code has finished the operation by then (docs/FORMAT.md §8).
//!
//! A stream has no end marker, so a cut between two records looks like a clean end. The
//! verdict may only say `success` once the stream holds the record that the daemon writes when
//! the operation is done. Each successful fixture is listed in [`FINISHED_TAIL`] with the number
//! of its last records after which the operation is, in the daemon's code, finished, and why.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use pullstream::pipeline::Pipeline;
use pullstream::Decoder;
use serde_json::Value;

/// (fixture, how many of its last records end a finished prefix, why). `1` means only the
/// whole stream: every shorter prefix must not be a success. A larger number says that the
/// operation was finished, in the daemon's code, before the records that follow it.
const FINISHED_TAIL: &[(&str, usize, &str)] = &[
    (
        "build_buildkit",
        1,
        "the moby.image.id aux is BuildKit's result, written once the solve returned",
    ),
    (
        "build_classic_docker1_12_no_aux",
        1,
        "`Successfully built` is the last record",
    ),
    (
        "build_classic_multistage",
        3,
        "the aux after step 4/4 is the last stage's image (builder/dockerfile emitImageID); \
         `Successfully built` follows it, and only tagging remains",
    ),
    ("build_classic_quiet", 1, "the id line is the only record"),
    (
        "build_classic_step_prints_result_lines",
        3,
        "the aux after step 3/3 is the build's image; what the steps printed before it \
         (`Successfully built acme`, digests) is their own output, not the daemon's",
    ),
    (
        "build_podman_step_prints_id",
        4,
        "Podman's final id line after the last step, then its aux, `Successfully built` and \
         tagging; the 64-hex line of step 2/3 is the step's own output",
    ),
    (
        "build_classic_with_pull",
        3,
        "as build_classic_multistage: the aux after step 4/4, then `Successfully built`, \
         then tagging",
    ),
    (
        "import_url_total_minus_one",
        1,
        "the image id status is the last record",
    ),
    ("load_graphdriver", 1, "`Loaded image` is the last record"),
    (
        "load_two_images",
        1,
        "the second image's `Loaded image` is the last record",
    ),
    ("load_image_id", 1, "the only record"),
    (
        "load_containerd",
        1,
        "the last image's `Loaded image` (containerd image_exporter.go writes one per image)",
    ),
    (
        "pull_all_tags",
        1,
        "the graphdriver writes one `Status:` after the last tag",
    ),
    ("pull_concatenated_old", 1, "`Status:` is the last record"),
    ("pull_containerd_seconds", 1, "`Status:` is the last record"),
    (
        "pull_docker29_no_progress_string",
        2,
        "distribution/pull_v2.go writes the platform warning after `Status:`",
    ),
    ("pull_garbage_between", 1, "`Status:` is the last record"),
    ("pull_podman2_single_record", 1, "the only record"),
    (
        "pull_podman3_1_pull_complete",
        1,
        "Podman's closing `Pull complete` is the last record",
    ),
    (
        "pull_podman5_closing_record",
        1,
        "Podman's closing `Download complete` is the last record",
    ),
    (
        "pull_podman_compat",
        1,
        "Podman's closing `Download complete` is the last record",
    ),
    ("pull_podman_image_present", 1, "the only record"),
    (
        "pull_redhat_v1_trying_stream",
        1,
        "`Status:` is the last record",
    ),
    (
        "pull_redhat_v1_up_to_date",
        1,
        "`Status:` is the last record",
    ),
    ("pull_success_crlf", 1, "`Status:` is the last record"),
    ("pull_up_to_date", 1, "`Status:` is the last record"),
    (
        "push_aux_digest",
        2,
        "distribution/push_v2.go writes `<tag>: digest:` once the manifest is in the \
         registry; the aux after it repeats it",
    ),
    (
        "push_two_tags",
        2,
        "the last tag's `<tag>: digest:` and its aux",
    ),
    (
        "push_docker1_8_digest_line",
        1,
        "`Digest:` is the last record",
    ),
    (
        "push_v1_registry_docker1_9",
        1,
        "`Pushing tag for rev` is the last record",
    ),
];

/// (fixture, records after which a cut is also a success, why): points before the tail where
/// one part of the operation has finished and nothing tells that another one follows, so the
/// cut cannot be told from the end. Only records listed here may end such a prefix.
const ALSO_FINISHED: &[(&str, &[usize], &str)] = &[
    (
        "push_two_tags",
        &[7, 8],
        "tag 1.0's digest line and aux: a push of that tag alone ends there",
    ),
    (
        "load_two_images",
        &[2],
        "the first image's `Loaded image`: an archive of that image alone ends there",
    ),
    (
        "load_containerd",
        &[0],
        "the first image's `Loaded image`: an archive of that image alone ends there",
    ),
];

fn successful_fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "stream"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expect: Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{name}.expect.json"))).unwrap(),
        )
        .unwrap();
        if expect["outcome"] == "success" {
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    out
}

/// Where each record of `stream` ends (one past its closing brace).
fn record_ends(stream: &[u8]) -> Vec<usize> {
    let mut decoder = Decoder::new();
    decoder
        .feed(stream)
        .filter_map(Result::ok)
        .map(|record| record.offset() as usize + record.as_bytes().len())
        .collect()
}

/// The records of `stream` (bad bytes dropped), each followed by a line feed.
fn reframe_lf(stream: &[u8]) -> Vec<u8> {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    for record in decoder.feed(stream).filter_map(Result::ok) {
        out.extend_from_slice(record.as_bytes());
        out.push(b'\n');
    }
    out
}

fn outcome(stream: &[u8]) -> String {
    let mut pipeline = Pipeline::new();
    let _ = pipeline.feed(stream, 0, |_| ControlFlow::Continue(()));
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    pipeline.summary().outcome.name().to_owned()
}

#[test]
fn no_prefix_of_a_successful_stream_is_a_success_before_the_daemon_finished() {
    let fixtures = successful_fixtures();
    assert!(fixtures.len() >= 20, "fixtures missing");
    let mut prefixes = 0;
    for (name, stream) in &fixtures {
        let Some(&(_, tail, _)) = FINISHED_TAIL.iter().find(|(n, ..)| n == name) else {
            panic!("{name}: successful fixture without a FINISHED_TAIL entry");
        };
        let ends = record_ends(stream);
        assert!(tail >= 1 && tail <= ends.len(), "{name}: bad tail {tail}");
        let first_finished = ends.len() - tail;
        assert_eq!(outcome(&[]), "incomplete");
        for (index, &end) in ends.iter().enumerate() {
            let got = outcome(&stream[..end]);
            let also = ALSO_FINISHED
                .iter()
                .find(|(n, ..)| n == name)
                .is_some_and(|(_, points, _)| points.contains(&index));
            let want_success = index >= first_finished || also;
            assert_eq!(
                got == "success",
                want_success,
                "{name}: cut after record {index} of {} gives {got}",
                ends.len()
            );
            // Re-framed with LF, as Podman frames, the verdict is the same.
            let lf = reframe_lf(&stream[..end]);
            assert_eq!(
                outcome(&lf),
                got,
                "{name}: LF re-framing after record {index}"
            );
            prefixes += 1;
        }
    }
    eprintln!("checked {prefixes} prefixes of {} fixtures", fixtures.len());
}

#[test]
fn every_listed_fixture_exists_and_succeeds() {
    let names: Vec<String> = successful_fixtures().into_iter().map(|(n, _)| n).collect();
    let listed = FINISHED_TAIL.iter().map(|(name, ..)| name);
    for name in listed.chain(ALSO_FINISHED.iter().map(|(name, ..)| name)) {
        assert!(
            names.iter().any(|n| n == name),
            "{name} is listed but is not a successful fixture"
        );
    }
}
