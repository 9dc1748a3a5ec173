//! The `pullstream` binary, run as a user would: every fixture at several chunk sizes and in
//! all three framings, `--events`, `--http`, bad input, usage errors, `--demo`, and the live
//! display in a real pseudo-terminal.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::reframe;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pullstream");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_with(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("run pullstream");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "{args:?}: {}",
        run.stderr
    );
    run
}

fn run(args: &[&str], stdin: &[u8]) -> Run {
    run_with(args, stdin, &[])
}

fn fixtures() -> Vec<(String, PathBuf, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "stream"))
        .collect();
    paths.sort();
    let out: Vec<_> = paths
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let expect = std::fs::read(dir.join(format!("{name}.expect.json"))).unwrap();
            (name, path, serde_json::from_slice(&expect).unwrap())
        })
        .collect();
    assert!(out.len() >= 20, "fixtures missing");
    out
}

/// The exit code the expectation implies.
fn expected_code(expect: &Value) -> i32 {
    match expect["outcome"].as_str() {
        Some("success") => 0,
        Some("failed") => 1,
        _ => 2,
    }
}

fn check(name: &str, how: &str, run: &Run, expect: &Value) -> Value {
    assert_eq!(
        run.stdout.matches('\n').count(),
        1,
        "{name} ({how}): --json prints one line: {:?}",
        run.stdout
    );
    let got: Value = serde_json::from_str(run.stdout.trim_end()).unwrap();
    let wrong: Vec<String> = expect
        .as_object()
        .unwrap()
        .iter()
        .filter(|(key, want)| got.get(key.as_str()) != Some(want))
        .map(|(key, want)| format!("{key}: want {want}, got {}", got[key.as_str()]))
        .collect();
    assert!(wrong.is_empty(), "{name} ({how}): {wrong:#?}\n{got}");
    assert_eq!(
        run.code,
        expected_code(expect),
        "{name} ({how}): exit code; stderr: {}",
        run.stderr
    );
    got
}

#[test]
fn every_fixture_at_several_chunk_sizes() {
    for (name, path, expect) in fixtures() {
        let path = path.to_str().unwrap();
        let whole = run(&["--json", path], b"");
        check(&name, "whole", &whole, &expect);
        for size in ["1", "7", "4096"] {
            let got = run(&["--json", "--chunk-size", size, path], b"");
            check(&name, size, &got, &expect);
            assert_eq!(
                got.stdout, whole.stdout,
                "{name}: --chunk-size {size} differs"
            );
            assert_eq!(
                got.stderr, whole.stderr,
                "{name}: --chunk-size {size} stderr"
            );
        }
        // The human output does not depend on the chunk size either (on a non-terminal).
        let human = run(&[path], b"");
        let human_1 = run(&["--chunk-size=1", "-"], &std::fs::read(path).unwrap());
        assert_eq!(human.stdout, human_1.stdout, "{name}: human output");
        assert_eq!(human.code, whole.code);
        assert!(
            !human.stdout.contains('\x1b'),
            "{name}: escapes off a terminal"
        );
    }
}

#[test]
fn every_clean_fixture_in_all_three_framings() {
    let mut tried = 0;
    for (name, path, expect) in fixtures() {
        let clean = expect["malformed_records"].as_u64().unwrap_or(0) == 0
            && expect["incomplete_reason"] != "cut_mid_record";
        if !clean {
            continue;
        }
        let stream = std::fs::read(&path).unwrap();
        for delimiter in [&b""[..], b"\r\n", b"\n"] {
            let body = reframe(&stream, delimiter);
            for size in ["1", "7", "4096"] {
                let got = run(&["--json", "--chunk-size", size], &body);
                check(&name, &format!("{delimiter:?} / {size}"), &got, &expect);
            }
        }
        tried += 1;
    }
    assert!(tried >= 15);
}

#[test]
fn events_are_ndjson_and_end_with_the_summary() {
    for (name, path, _) in fixtures() {
        let path = path.to_str().unwrap();
        let events = run(&["--events", path], b"");
        let json = run(&["--json", path], b"");
        assert_eq!(events.code, json.code, "{name}");
        let lines: Vec<&str> = events.stdout.lines().collect();
        let (summary, rest) = lines.split_last().unwrap();
        assert_eq!(
            *summary,
            json.stdout.trim_end(),
            "{name}: last line is the summary"
        );
        let mut last_offset = 0;
        for line in rest {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            let offset = value["offset"].as_u64().expect("offset");
            assert!(offset >= last_offset, "{name}: offsets in order");
            last_offset = offset;
            let kind = value["event"].as_str().expect("event");
            if kind == "malformed" {
                assert!(value["error"].as_str().unwrap().starts_with("byte "));
            } else {
                assert!(value.get("layer").is_some() && value.get("status").is_some());
            }
            if kind == "error" {
                assert!(value["error"]["message"].is_string());
                assert!(value["error"]["kind"].is_string());
            }
            if kind == "downloading" {
                assert!(value["progress"]["unit"].is_string());
            }
        }
        let same = run(&["--events", "--chunk-size", "7", path], b"");
        assert_eq!(
            same.stdout, events.stdout,
            "{name}: --events at chunk size 7"
        );
    }
    let garbage =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pull_garbage_between.stream");
    let events = run(&["--events", garbage.to_str().unwrap()], b"");
    assert!(events.stdout.contains("\"event\":\"malformed\""));
}

/// A small deterministic generator for chunk sizes.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn http_chunked(body: &[u8], seed: u64) -> Vec<u8> {
    let mut rng = Lcg(seed);
    let mut out = b"HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\nContent-Type: application/json\r\n\
Docker-Experimental: false\r\nOstype: linux\r\nServer: Docker/24.0.7 (linux)\r\n\
Transfer-Encoding: chunked\r\n\r\n"
        .to_vec();
    let mut rest = body;
    while !rest.is_empty() {
        let n = (1 + rng.below(300) as usize).min(rest.len());
        if rng.below(3) == 0 {
            out.extend_from_slice(format!("{n:X};ext=\"a;b\";x\r\n").as_bytes());
        } else {
            out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        }
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[n..];
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn http_chunked_gives_the_same_summary_as_the_body() {
    for (name, path, expect) in fixtures() {
        let body = std::fs::read(&path).unwrap();
        let plain = run(&["--json"], &body);
        let wire = http_chunked(&body, name.len() as u64);
        for size in ["1", "7", "65536"] {
            let got = run(&["--http", "--json", "--chunk-size", size], &wire);
            assert_eq!(
                got.stdout, plain.stdout,
                "{name} over HTTP, chunk size {size}"
            );
            if name != "empty" {
                assert_eq!(got.code, plain.code, "{name}: {}", got.stderr);
            }
        }
        if name != "empty" {
            check(&name, "http", &run(&["--http", "--json"], &wire), &expect);
        }
    }
}

#[test]
fn http_error_responses() {
    let message =
        "pull access denied for nope, repository does not exist or may require 'docker login'";
    let body = format!("{{\"message\":\"{message}\"}}\n");
    let wire = format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let got = run(&["--http", "--json"], wire.as_bytes());
    assert_eq!(got.code, 1, "{}", got.stderr);
    let summary: Value = serde_json::from_str(got.stdout.trim()).unwrap();
    assert_eq!(summary["error"]["message"], message);
    assert_eq!(summary["error"]["kind"], "not_found");
    let human = run(&["--http"], wire.as_bytes());
    assert_eq!(human.code, 1);
    assert!(human.stderr.contains(message));

    let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
    let wire = format!(
        "HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n{html}"
    );
    for args in [&["--http"][..], &["--http", "--json"]] {
        let got = run(args, wire.as_bytes());
        assert_eq!(got.code, 3, "{}", got.stderr);
        assert_eq!(got.stderr.lines().count(), 1, "one line: {}", got.stderr);
        assert!(got.stderr.contains("502"), "{}", got.stderr);
    }
    // A body given where a whole response is expected.
    let got = run(
        &["--http"],
        b"{\"status\":\"Pulling fs layer\",\"id\":\"a\"}\r\n",
    );
    assert_eq!(got.code, 3);
    assert!(got.stderr.contains("status line"), "{}", got.stderr);
    // A bad chunk size.
    let got = run(
        &["--http"],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
    );
    assert_eq!(got.code, 3);
    assert!(got.stderr.contains("chunk size"), "{}", got.stderr);
    // A chunked body cut before its terminator: the truncation is reported.
    let body = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/pull_cut_at_record_boundary.stream"),
    )
    .unwrap();
    let mut wire = http_chunked(&body, 9);
    wire.truncate(wire.len() - 5);
    let got = run(&["--http", "--json"], &wire);
    assert_eq!(got.code, 2);
    assert!(got.stderr.contains("truncated body"), "{}", got.stderr);
}

#[test]
fn bad_input_gives_a_reason_not_a_panic() {
    let html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n";
    let got = run(&[], html);
    assert_eq!(got.code, 3);
    assert!(got
        .stderr
        .lines()
        .last()
        .unwrap()
        .contains("not a progress stream"));
    let got = run(&["--json"], html);
    assert_eq!(got.code, 3);
    assert!(serde_json::from_str::<Value>(got.stdout.trim()).is_ok());

    let mut rng = Lcg(42);
    let noise: Vec<u8> = (0..20_000).map(|_| rng.below(256) as u8).collect();
    for size in ["1", "4096"] {
        let got = run(&["--chunk-size", size], &noise);
        assert_eq!(got.code, 3, "{}", got.stderr);
        // At most 10 malformed lines, a count of the rest, and the reason.
        assert!(got.stderr.lines().count() <= 12, "{}", got.stderr);
        assert!(got.stderr.contains("more malformed"), "{}", got.stderr);
    }

    let cut = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pull_cut_mid_record.stream"),
    )
    .unwrap();
    let got = run(&[], &cut);
    assert_eq!(got.code, 2);
    assert!(got
        .stderr
        .lines()
        .last()
        .unwrap()
        .starts_with("pullstream: incomplete"));

    let got = run(&[], b"");
    assert_eq!(got.code, 2);
    assert!(got.stderr.contains("empty"));

    let got = run(&["/nonexistent/pullstream-input"], b"");
    assert_eq!(got.code, 3);
    assert_eq!(got.stderr.lines().count(), 1);
    let got = run(&[env!("CARGO_MANIFEST_DIR")], b"");
    assert_eq!(got.code, 3, "a directory cannot be read");
}

#[test]
fn usage_errors_exit_64() {
    for args in [
        &["--bogus"][..],
        &["-x"],
        &["--chunk-size"],
        &["--chunk-size", "0"],
        &["--chunk-size", "12kb"],
        &["--chunk-size=-1"],
        &["a", "b"],
        &["--json", "--events"],
        &["--demo", "file"],
        &["--demo", "--http"],
        &["--demo-speed", "2"],
        &["--demo", "--demo-speed", "0"],
        &["--json=yes"],
    ] {
        let got = run(args, b"");
        assert_eq!(got.code, 64, "{args:?}");
        assert_eq!(got.stderr.lines().count(), 1, "{args:?}: {}", got.stderr);
        assert!(got.stdout.is_empty());
    }
    let help = run(&["--help"], b"");
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("--chunk-size"));
    assert_eq!(run(&["-V"], b"").code, 0);
}

#[test]
fn demo_succeeds() {
    let got = run(&["--demo", "--demo-speed", "100", "--json"], b"");
    assert_eq!(got.code, 0, "{}", got.stderr);
    let summary: Value = serde_json::from_str(got.stdout.trim()).unwrap();
    assert_eq!(summary["outcome"], "success");
    assert_eq!(summary["result"], "downloaded");
    let human = run(&["--demo", "--demo-speed", "100"], b"");
    assert_eq!(human.code, 0);
    assert!(human.stdout.contains("20c8b685cc4b  downloading  41.9 MB"));
    assert!(human
        .stdout
        .lines()
        .last()
        .unwrap()
        .starts_with("downloaded nginx:latest"));
}

/// The live display, in a real pseudo-terminal made by util-linux `script`.
#[test]
fn live_display_in_a_pty() {
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let pty = |no_color: &str| {
        let output = Command::new("script")
            .args([
                "-qfec",
                &format!("{BIN} --demo --demo-speed 20"),
                "/dev/null",
            ])
            .env("NO_COLOR", no_color)
            .env("COLUMNS", "100")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let screen = pty("");
    assert!(screen.contains("\x1b[2K"), "clear-line");
    assert!(screen.contains("A\r\x1b[J"), "cursor-up then clear");
    assert!(screen.contains("\x1b[32m"), "colour");
    assert!(screen.contains("5/5 layers"));
    assert!(screen.contains("nginx:latest  digest sha256:bc5e"));
    assert!(!screen.contains("panicked"));
    let plain = pty("1");
    assert!(
        plain.contains("\x1b[2K") && !plain.contains("\x1b[32m"),
        "NO_COLOR"
    );
}

/// The summary line of a `--json` run.
fn summary_of(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {:?} (stderr {:?})", run.stdout, run.stderr))
}

/// `body` in an HTTP/1.1 200 response cut short: `how` is "no-zero-chunk" (every chunk but
/// the terminating `0` one), "inside-chunk" (the connection closes inside a chunk) or
/// "short-identity" (fewer bytes than `Content-Length`).
fn cut_response(body: &[u8], how: &str) -> Vec<u8> {
    match how {
        "no-zero-chunk" => {
            let mut wire = http_chunked(body, 3);
            wire.truncate(wire.len() - b"0\r\n\r\n".len());
            wire
        }
        "inside-chunk" => {
            let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            wire.extend_from_slice(format!("{:x}\r\n", body.len() + 100).as_bytes());
            wire.extend_from_slice(body);
            wire
        }
        _ => {
            let mut wire = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                body.len() + 1
            )
            .into_bytes();
            wire.extend_from_slice(body);
            wire
        }
    }
}

#[test]
fn http_body_cut_short_is_truncated_body_exit_2() {
    for (name, path, expect) in fixtures() {
        if expect["outcome"] != "success" {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        for how in ["no-zero-chunk", "inside-chunk", "short-identity"] {
            let wire = cut_response(&body, how);
            // With `--http`, and detected without it.
            for args in [
                &["--http", "--json"][..],
                &["--json"],
                &["--json", "--chunk-size", "7"],
            ] {
                let got = run(args, &wire);
                let summary = summary_of(&got);
                let what = format!("{name}, {how}, {args:?}: {}", got.stdout);
                assert_eq!(got.code, 2, "{what}");
                assert_eq!(summary["outcome"], "incomplete", "{what}");
                assert_eq!(summary["incomplete_reason"], "truncated_body", "{what}");
                assert!(
                    got.stderr.contains("truncated body"),
                    "{what}: {}",
                    got.stderr
                );
            }
        }
        let human = run(&["--http"], &cut_response(&body, "no-zero-chunk"));
        assert_eq!(human.code, 2);
        assert!(
            human
                .stderr
                .lines()
                .last()
                .unwrap()
                .contains("incomplete: the body was cut short"),
            "{name}: {}",
            human.stderr
        );
    }
}

#[test]
fn http_framing_broken_after_the_stream_began_is_a_cut_stream() {
    let body = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pull_success_crlf.stream"),
    )
    .unwrap();
    let mut wire = cut_response(&body, "no-zero-chunk");
    wire.extend_from_slice(b"zz\r\n");
    let got = run(&["--http", "--json"], &wire);
    assert_eq!(got.code, 2, "{}", got.stderr);
    assert_eq!(summary_of(&got)["incomplete_reason"], "truncated_body");
    assert!(got.stderr.contains("chunk size"), "{}", got.stderr);
    // Broken before any record: not a progress stream.
    let got = run(
        &["--http", "--json"],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
    );
    assert_eq!(got.code, 3, "{}", got.stderr);
    assert_eq!(
        summary_of(&got)["incomplete_reason"],
        "not_a_progress_stream"
    );
}

#[test]
fn raw_http_without_the_flag_is_detected_and_decoded() {
    for (name, path, _) in fixtures() {
        let body = std::fs::read(&path).unwrap();
        let plain = run(&["--json"], &body);
        // `curl -si --raw` (chunked on the wire) and `curl -si` (head says chunked, body
        // de-chunked), each given without `--http`.
        let raw = http_chunked(&body, name.len() as u64 + 1);
        let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let mut dechunked = raw[..head_end].to_vec();
        dechunked.extend_from_slice(&body);
        for (how, wire) in [("raw", &raw), ("dechunked", &dechunked)] {
            if how == "dechunked" && body.is_empty() {
                // A chunked head with nothing after it is a body cut before its `0` chunk.
                continue;
            }
            for size in ["1", "7", "65536"] {
                let got = run(&["--json", "--chunk-size", size], wire);
                let what = format!("{name}, {how}, chunk size {size}");
                assert_eq!(got.stdout, plain.stdout, "{what}");
                assert_eq!(got.code, plain.code, "{what}: {}", got.stderr);
                let told: Vec<&str> = got
                    .stderr
                    .lines()
                    .filter(|l| l.contains("raw HTTP response"))
                    .collect();
                assert_eq!(told.len(), 1, "{what}: said once: {}", got.stderr);
                assert_eq!(
                    told[0].contains("de-chunked already"),
                    how == "dechunked",
                    "{what}: {}",
                    told[0]
                );
                // Besides that line, stderr is what the body alone gives.
                let rest: Vec<&str> = got
                    .stderr
                    .lines()
                    .filter(|l| !l.contains("raw HTTP response"))
                    .collect();
                let alone: Vec<&str> = plain.stderr.lines().collect();
                if name != "empty" {
                    assert_eq!(rest, alone, "{what}");
                }
            }
        }
    }
    // A body is never taken for a response, even one shorter than `HTTP/1.`.
    let got = run(&["--json"], b"HTTP");
    assert!(!got.stderr.contains("raw HTTP"), "{}", got.stderr);
    assert_eq!(
        summary_of(&got)["incomplete_reason"],
        "not_a_progress_stream"
    );
}

#[test]
fn not_a_progress_stream_is_told_from_a_cut_stream() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = root.join("README.md");
    let readme = readme.to_str().unwrap();
    let dir = root.join("docs");
    let dir = dir.to_str().unwrap();
    let missing = "/nonexistent/pullstream-input";
    let mut rng = Lcg(7);
    let noise: Vec<u8> = (0..5000).map(|_| rng.below(256) as u8).collect();
    let readme_bytes = std::fs::read(readme).unwrap();
    let cases: &[(&str, &[&str], &[u8])] = &[
        ("README as a file", &["--json", readme], b""),
        ("README piped in", &["--json"], &readme_bytes),
        ("a directory", &["--json", dir], b""),
        ("a missing file", &["--json", missing], b""),
        ("binary noise", &["--json"], &noise),
        (
            "HTML",
            &["--json"],
            b"<html><body>502 Bad Gateway</body></html>\n",
        ),
    ];
    for (what, args, stdin) in cases {
        let got = run(args, stdin);
        assert_eq!(got.code, 3, "{what}: {}", got.stderr);
        let summary = summary_of(&got);
        assert_eq!(summary["outcome"], "incomplete", "{what}");
        assert_eq!(
            summary["incomplete_reason"], "not_a_progress_stream",
            "{what}"
        );
    }
    // JSON with no field of the vocabulary says so in its verdict line.
    let inspect = b"[\n  {\n    \"Id\": \"sha256:00\",\n    \"RepoTags\": []\n  }\n]\n";
    let got = run(&[], inspect);
    assert_eq!(got.code, 3, "{}", got.stderr);
    assert!(
        got.stderr
            .lines()
            .last()
            .unwrap()
            .contains("no record with a field of the progress vocabulary (1 JSON object"),
        "{}",
        got.stderr
    );
    // An unreadable input is named, in one line.
    for path in [dir, missing] {
        let got = run(&[path], b"");
        assert_eq!(got.code, 3);
        assert_eq!(got.stderr.lines().count(), 1, "{}", got.stderr);
        assert!(
            got.stderr.contains(&format!("cannot read {path}: ")),
            "{}",
            got.stderr
        );
    }
    // A cut stream stays a cut stream (exit 2), even cut within its first record.
    let cut = root.join("tests/fixtures/pull_cut_mid_record.stream");
    let got = run(&["--json", cut.to_str().unwrap()], b"");
    assert_eq!(
        (got.code, summary_of(&got)["incomplete_reason"].clone()),
        (2, "cut_mid_record".into())
    );
    let got = run(&["--json"], b"{\"status\":\"Pulling from libr");
    assert_eq!(
        (got.code, summary_of(&got)["incomplete_reason"].clone()),
        (2, "cut_mid_record".into())
    );
    let got = run(&["--json"], b"");
    assert_eq!(
        (got.code, summary_of(&got)["incomplete_reason"].clone()),
        (2, "empty_stream".into())
    );
}

/// The faults of issue 12 through the command-line tool: a record cut where a value may begin,
/// after a backslash (LF framing) or inside a string (no delimiters) loses neither the digest
/// nor the final status nor an error record after it; an error record that is not valid JSON
/// still fails the pull.
#[test]
fn faults_lose_no_record_and_no_error_through_the_tool() {
    let pulling = r#"{"status":"Pulling from library/alpine","id":"3.20"}"#;
    let digest = r#"{"status":"Digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}"#;
    let done = r#"{"status":"Status: Downloaded newer image for alpine:3.20"}"#;
    let error = r#"{"errorDetail":{"message":"toomanyrequests: rate limit"},"error":"toomanyrequests: rate limit"}"#;
    let cuts = [
        (r#"{"status":"Downloading","progressDetail":"#, "\r\n"),
        (r#"{"status":"Downloading","aux":[1,"#, "\r\n"),
        (r#"{"status":"Downloading","progress":"[=> ] 1\"#, "\n"),
        (r#"{"status":"Downloading","progress":"[=> ] 1"#, ""),
    ];
    for (cut, delimiter) in cuts {
        let stream = [pulling, cut, digest, done].join(delimiter) + delimiter;
        let summary = summary_of(&run(&["--json"], stream.as_bytes()));
        assert_eq!(summary["outcome"], "success", "{cut}: {summary}");
        assert!(
            summary["digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:0123"),
            "{cut}: {summary}"
        );
        assert_eq!(summary["malformed_records"], 1, "{cut}: {summary}");
        // An error record swallowed by the cut one still fails the pull.
        let stream = [pulling, cut, error, done].join(delimiter) + delimiter;
        let run = run(&["--json"], stream.as_bytes());
        let summary = summary_of(&run);
        assert_eq!(
            (run.code, &summary["outcome"]),
            (1, &Value::from("failed")),
            "{cut}: {summary}"
        );
        assert_eq!(summary["error"]["kind"], "rate_limited", "{cut}: {summary}");
    }
    // Error records that do not validate: a string code, invalid UTF-8, a raw tab, `error`
    // as an object, a repeated key.
    let bad_errors: [&[u8]; 5] = [
        br#"{"errorDetail":{"code":"ENOSPC","message":"no space left on device"},"error":"no space left on device"}"#,
        b"{\"errorDetail\":{\"message\":\"no space left on device \xff\"},\"error\":\"no space left on device \xff\"}",
        b"{\"error\":\"no space left\ton device\"}",
        br#"{"error":{"message":"no space left on device"}}"#,
        br#"{"error":"no space left on device","error":"no space left on device"}"#,
    ];
    for bad in bad_errors {
        let mut stream = format!("{pulling}\r\n").into_bytes();
        stream.extend_from_slice(bad);
        stream.extend_from_slice(format!("\r\n{done}\r\n").as_bytes());
        let run = run(&["--json"], &stream);
        let summary = summary_of(&run);
        assert_eq!(run.code, 1, "{}: {summary}", bad.escape_ascii());
        assert_eq!(
            summary["error"]["kind"],
            "disk_full",
            "{}: {summary}",
            bad.escape_ascii()
        );
        assert!(
            summary["malformed_records"].as_u64().unwrap() >= 1,
            "{summary}"
        );
    }
}

/// The command-line tool's own per-layer state (the phase log it prints when piped) is bounded
/// by the tracker's default limits: no phase line for layers past the layer limit or with ids
/// past the id limit, and one notice per limit on stderr.
#[test]
fn the_command_line_phase_log_is_bounded_too() {
    use pullstream::tracker::{DEFAULT_MAX_ID_LEN, DEFAULT_MAX_LAYERS};
    let mut stream = String::new();
    for i in 0..DEFAULT_MAX_LAYERS + 100 {
        stream.push_str(&format!(
            "{{\"status\":\"Waiting\",\"progressDetail\":{{}},\"id\":\"{i:012x}\"}}\n"
        ));
    }
    let long = "l".repeat(DEFAULT_MAX_ID_LEN + 1);
    stream.push_str(&format!(
        "{{\"status\":\"Waiting\",\"progressDetail\":{{}},\"id\":\"{long}\"}}\n"
    ));
    let mut child = Command::new(BIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pullstream");
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || input.write_all(stream.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let phase_lines = stdout.lines().filter(|l| l.contains("waiting")).count();
    assert_eq!(phase_lines, DEFAULT_MAX_LAYERS, "{stderr}");
    assert!(!stdout.contains(&long));
    assert_eq!(
        stderr.matches("further layers are not tracked").count(),
        1,
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("layer id longer than").count(),
        1,
        "{stderr}"
    );
}
