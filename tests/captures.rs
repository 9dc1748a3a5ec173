//! Opt-in: the third-party streams in `../shared/captures/` and `../shared/acceptance/` (never
//! committed here) must reach the verdicts a careful reader of each stream reaches. Skipped when
//! the folders are absent.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use pullstream::pipeline::Pipeline;
use serde_json::Value;

/// (file, outcome, operation, result | error kind | incomplete reason, dialect, layers seen,
/// layers pending). Each row was checked by reading the stream, not copied from our output.
const EXPECTED: &[(&str, &str, &str, &str, &str, u64, u64)] = &[
    (
        "batect-buildkit-build-fails.jsonl",
        "failed",
        "build",
        "build_failed",
        "docker",
        0,
        0,
    ),
    (
        "batect-buildkit-image-pull-multiple-layers.jsonl",
        "success",
        "build",
        "built",
        "docker",
        0,
        0,
    ),
    (
        "batect-legacy-build-error.jsonl",
        "failed",
        "build",
        "build_failed",
        "unknown",
        0,
        0,
    ),
    (
        "bollard-image_rs-test_push_image_with_error.jsonl",
        "failed",
        "push",
        "network",
        "docker",
        1,
        1,
    ),
    (
        "compose-v1-progress_stream_test-start-field.jsonl",
        "incomplete",
        "build",
        "no_terminal_status",
        "unknown",
        0,
        0,
    ),
    (
        "docker-java-pullImageResponse_legacy.jsonl",
        "incomplete",
        "pull",
        "no_terminal_status",
        "docker",
        0,
        0,
    ),
    (
        "dockerode-buildkit_test-real-trace.jsonl",
        "incomplete",
        "build",
        "no_terminal_status",
        "docker",
        0,
        0,
    ),
    (
        "ha-supervisor-docker-pull-log-2020.jsonl",
        "incomplete",
        "pull",
        "no_terminal_status",
        "docker",
        20,
        0,
    ),
    (
        "ha-supervisor-docker_pull_image_log_containerd_snapshotter_real.jsonl",
        "success",
        "pull",
        "downloaded",
        "docker-containerd",
        12,
        0,
    ),
    (
        "batect-buildkit-build-succeeds.jsonl",
        "success",
        "build",
        "built",
        "docker",
        0,
        0,
    ),
    (
        "batect-legacy-build-add-url-unknown-total.jsonl",
        "incomplete",
        "build",
        "no_terminal_status",
        "docker",
        0,
        0,
    ),
    (
        "bollard-image_rs-test_build_image_with_error.jsonl",
        "failed",
        "build",
        "build_failed",
        "docker",
        0,
        0,
    ),
    (
        "bollard-image_rs-test_create_image_with_error.jsonl",
        "failed",
        "pull",
        "network",
        "docker",
        0,
        0,
    ),
    (
        "cockpit-podman-issue-912-libpod-pull-compatMode-partial.jsonl",
        "incomplete",
        "pull",
        "no_terminal_status",
        "podman",
        8,
        3,
    ),
    (
        "docker-for-mac-issue-906-build-raw-chunked-partial.pyrepr.txt",
        "incomplete",
        "pull",
        "no_terminal_status",
        "docker",
        5,
        5,
    ),
    (
        "docker-java-pullImageResponse_error.json",
        "failed",
        "unknown",
        "not_found",
        "unknown",
        0,
        0,
    ),
    (
        "go-docker-builder-response_test-push.jsonl",
        "success",
        "push",
        "pushed",
        "docker",
        6,
        0,
    ),
    (
        "go-dockerclient-client_test-mockPullOutput.jsonl",
        "success",
        "pull",
        "downloaded",
        "docker",
        4,
        0,
    ),
    (
        "ha-supervisor-docker_pull_image_log.json",
        "success",
        "pull",
        "downloaded",
        "docker",
        4,
        0,
    ),
    (
        "ha-supervisor-docker_pull_image_log_containerd_snapshot.json",
        "success",
        "pull",
        "downloaded",
        "docker-containerd",
        2,
        0,
    ),
    (
        "moby-api-docs-v1.24-images-load-example.txt",
        "success",
        "load",
        "loaded",
        "docker",
        1,
        0,
    ),
    (
        "podman-issue-11023-compat-pull-error-podman3.2.2.jsonl",
        "failed",
        "unknown",
        "other",
        "unknown",
        0,
        0,
    ),
    (
        "atomic-reactor-README_PLUGIN_DEV-build-logs-docker-1.5.jsonl",
        "success",
        "build",
        "built",
        "docker",
        0,
        0,
    ),
    (
        "atomic-reactor-docker_mock-mock_pull_logs-rhel-v1.jsonl",
        "success",
        "pull",
        "up_to_date",
        "docker",
        0,
        0,
    ),
    (
        "atomic-reactor-docker_mock-mock_push_logs-repository-does-not-exist.jsonl",
        "failed",
        "push",
        "not_found",
        "docker",
        0,
        0,
    ),
    (
        "atomic-reactor-docker_mock-mock_push_logs_failed-docker-1.9.jsonl",
        "failed",
        "push",
        "network",
        "docker",
        0,
        0,
    ),
    (
        "atomic-reactor-test_tag_and_push-PUSH_LOGS_1_10.jsonl",
        "success",
        "push",
        "pushed",
        "docker",
        2,
        0,
    ),
    (
        "atomic-reactor-test_tag_and_push-PUSH_LOGS_1_9.jsonl",
        "success",
        "push",
        "pushed",
        "docker",
        3,
        0,
    ),
    (
        "benchhub-runner-docker_md-influxdb-1.3.9-pull.jsonl",
        "success",
        "pull",
        "downloaded",
        "docker",
        8,
        0,
    ),
    (
        "build-tools-push_test-TestPush_Output.jsonl",
        "success",
        "push",
        "pushed",
        "docker",
        12,
        0,
    ),
    (
        "ha-supervisor-docker_pull_image_log_restart.jsonl",
        "success",
        "pull",
        "downloaded",
        "docker",
        4,
        0,
    ),
    (
        "luci-app-dockerman-docker_lua-import-comment.jsonl",
        "success",
        "import",
        "imported",
        "docker",
        0,
        0,
    ),
    (
        "markruler-blog-building-container-images-in-go-docker-load.jsonl",
        "success",
        "load",
        "loaded",
        "docker",
        8,
        0,
    ),
];

/// Reads a capture; JSON-array files are turned into one record per element.
fn load(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&bytes) {
        let mut out = Vec::new();
        for item in items {
            out.extend_from_slice(serde_json::to_string(&item).unwrap().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        return out;
    }
    bytes
}

fn summarize(stream: &[u8], chunk: usize) -> Value {
    let mut pipeline = Pipeline::new();
    for piece in stream.chunks(chunk.max(1)) {
        let _ = pipeline.feed(piece, 0, |_| ControlFlow::Continue(()));
    }
    let _ = pipeline.finish(0, |_| ControlFlow::Continue(()));
    serde_json::from_str(&pipeline.summary().to_json()).unwrap()
}

fn shared(folder: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(folder);
    dir.is_dir().then_some(dir)
}

#[test]
fn third_party_streams_reach_the_expected_verdicts() {
    let mut checked = 0;
    for folder in ["acceptance", "captures"] {
        let Some(dir) = shared(folder) else {
            eprintln!("skipped: ../shared/{folder} is not here");
            continue;
        };
        for (file, outcome, operation, detail, dialect, seen, pending) in EXPECTED {
            let path = dir.join(file);
            if !path.exists() {
                continue;
            }
            let stream = load(&path);
            let whole = summarize(&stream, stream.len());
            for chunk in [1, 7, 4096] {
                assert_eq!(summarize(&stream, chunk), whole, "{file}: chunk {chunk}");
            }
            let got_detail = whole["result"]
                .as_str()
                .or(whole["error"]["kind"].as_str())
                .or(whole["incomplete_reason"].as_str())
                .unwrap_or_default();
            let got = (
                whole["outcome"].as_str().unwrap(),
                whole["operation"].as_str().unwrap(),
                got_detail,
                whole["dialect"].as_str().unwrap(),
                whole["layers"]["seen"].as_u64().unwrap(),
                whole["layers"]["pending"].as_u64().unwrap(),
            );
            assert_eq!(
                got,
                (*outcome, *operation, *detail, *dialect, *seen, *pending),
                "{file}: {whole}"
            );
            checked += 1;
        }
    }
    eprintln!("checked {checked} third-party streams");
}
