//! `pullstream pull` / `push` against the fake daemon in `daemon/mod.rs`.

mod daemon;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use daemon::{fixture, temp_dir, Answer, Daemon};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pullstream");
const SECRET: &str = "s3cr3t-Pa55word";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A command with a clean environment: no DOCKER_* variables, and a docker config directory
/// that is empty unless the test writes one.
fn command(args: &[&str], config_dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("NO_COLOR")
        .env("DOCKER_CONFIG", config_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn finish(mut child: Child, stdin: &[u8]) -> Run {
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
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// `pullstream <args>` against `daemon` (`--host` added), with `stdin`.
fn run_on(daemon: &Daemon, args: &[&str], stdin: &[u8]) -> Run {
    let mut all = vec![args[0], "--host", &daemon.host];
    all.extend_from_slice(&args[1..]);
    finish(command(&all, daemon.dir()).spawn().unwrap(), stdin)
}

fn json(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim_end())
        .unwrap_or_else(|e| panic!("{e}: {:?} / {}", run.stdout, run.stderr))
}

/// `pullstream --json FILE` on a fixture's bytes.
fn piped_json(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(format!("{name}.stream"));
    let out = Command::new(BIN).arg("--json").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pull_json_equals_the_piped_json_on_unix_and_tcp() {
    for name in [
        "pull_containerd_docker24",
        "pull_up_to_date",
        "pull_rate_limited_midstream",
        "pull_cut_at_record_boundary",
        "pull_podman_compat",
    ] {
        for daemon in [Daemon::unix(), Daemon::tcp()] {
            daemon.pulls([Answer::Replay {
                body: fixture(name),
                chunk: 97,
                pace: Duration::ZERO,
            }]);
            let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
            assert_eq!(run.stdout, piped_json(name), "{name} on {}", daemon.host);
            let expect: Value = serde_json::from_str(&piped_json(name)).unwrap();
            let code = match expect["outcome"].as_str() {
                Some("success") => 0,
                Some("failed") => 1,
                _ => 2,
            };
            assert_eq!(run.code, code, "{name}: {}", run.stderr);
        }
    }
}

#[test]
fn pull_sends_the_request_the_docker_cli_sends() {
    let daemon = Daemon::unix();
    daemon
        .api_version(Some("1.43"))
        .pulls([Answer::fixture("pull_success_crlf")]);
    let digest = "sha256:bc5eac5eafc581aeda3008b4b1f07ebba230de2f27d47767129a6a905c84f470";
    let cases = [
        ("alpine", "alpine", "latest"),
        ("alpine:3.20", "alpine", "3.20"),
        ("user/app:v1", "user/app", "v1"),
        ("localhost:5000/team/x", "localhost:5000/team/x", "latest"),
    ];
    for (image, from, tag) in cases {
        let run = run_on(&daemon, &["pull", "--json", image], b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        let sent = daemon.operations().pop().unwrap();
        assert_eq!(sent.method, "POST");
        assert_eq!(sent.path, "/v1.43/images/create");
        assert_eq!(sent.query("fromImage"), Some(from), "{image}");
        assert_eq!(sent.query("tag"), Some(tag), "{image}");
        assert_eq!(sent.query("platform"), None);
        // No credentials configured: a pull sends no header.
        assert_eq!(sent.header("x-registry-auth"), None);
    }
    let run = run_on(
        &daemon,
        &[
            "pull",
            "--json",
            "--platform",
            "linux/arm64/v8",
            &format!("nginx@{digest}"),
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sent = daemon.operations().pop().unwrap();
    assert_eq!(sent.query("fromImage"), Some("nginx"));
    assert_eq!(sent.query("tag"), Some(digest));
    assert_eq!(sent.query("platform"), Some("linux/arm64/v8"));
    // The ping came first, on its own connection.
    assert_eq!(daemon.requests()[0].path, "/_ping");
}

#[test]
fn api_version_is_capped_and_has_a_floor() {
    for (offered, used) in [
        (Some("1.99"), "/v1.47/"),
        (None, "/v1.24/"),
        (Some("1.30"), "/v1.30/"),
    ] {
        let daemon = Daemon::unix();
        daemon
            .api_version(offered)
            .pulls([Answer::fixture("pull_up_to_date")]);
        let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        let path = daemon.operations()[0].path.clone();
        assert!(path.starts_with(used), "{offered:?}: {path}");
    }
}

#[test]
fn push_always_sends_an_auth_header() {
    let daemon = Daemon::unix();
    daemon.pushes([Answer::fixture("push_aux_digest")]);
    let run = run_on(
        &daemon,
        &["push", "--json", "localhost:5000/team/app:2"],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, piped_json("push_aux_digest"));
    let sent = daemon.operations().pop().unwrap();
    assert_eq!(sent.path, "/v1.45/images/localhost:5000/team/app/push");
    assert_eq!(sent.query("tag"), Some("2"));
    assert_eq!(sent.header("x-registry-auth"), Some("e30="));
}

#[test]
fn error_statuses_give_the_daemons_message() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::Error {
        status: 404,
        message: String::from("pull access denied for nothere, repository does not exist"),
    }]);
    let run = run_on(&daemon, &["pull", "--json", "nothere"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let summary = json(&run);
    assert_eq!(summary["outcome"], "failed");
    assert!(summary["error"]["message"]
        .as_str()
        .unwrap()
        .contains("repository does not exist"));
    assert!(
        run.stderr.contains("repository does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_body_cut_inside_a_chunk_is_truncated() {
    let daemon = Daemon::tcp();
    let body = fixture("pull_containerd_docker24");
    daemon.pulls([Answer::CutMidChunk {
        at: body.len() / 2,
        body,
    }]);
    let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(json(&run)["incomplete_reason"], "truncated_body");
}

#[test]
fn retries_a_rate_limit_then_succeeds() {
    let daemon = Daemon::unix();
    daemon.pulls([
        Answer::fixture("pull_rate_limited_midstream"),
        Answer::Error {
            status: 500,
            message: String::from(
                "Get https://registry-1.docker.io/v2/: net/http: TLS handshake timeout",
            ),
        },
        Answer::fixture("pull_success_crlf"),
    ]);
    let run = run_on(
        &daemon,
        &["pull", "--json", "--retries", "3", "alpine"],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, piped_json("pull_success_crlf"));
    assert_eq!(daemon.operations().len(), 3);
    assert!(
        run.stderr
            .contains("attempt 1 of 4 failed (rate_limited): retrying in"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("attempt 2 of 4 failed (network)"),
        "{}",
        run.stderr
    );
    // Without --retries: one attempt, its verdict.
    let daemon = Daemon::unix();
    daemon.pulls([
        Answer::fixture("pull_rate_limited_midstream"),
        Answer::fixture("pull_success_crlf"),
    ]);
    let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
    assert_eq!(run.code, 1);
    assert_eq!(daemon.operations().len(), 1);
}

#[test]
fn does_not_retry_what_will_fail_again() {
    let daemon = Daemon::unix();
    daemon.pulls([
        Answer::fixture("pull_platform_mismatch"),
        Answer::fixture("pull_success_crlf"),
    ]);
    let run = run_on(
        &daemon,
        &["pull", "--json", "--retries", "3", "alpine"],
        b"",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(daemon.operations().len(), 1);
}

#[test]
fn a_stall_aborts_with_its_own_reason() {
    let daemon = Daemon::unix();
    let body = fixture("pull_containerd_docker24");
    daemon.pulls([Answer::Stall {
        body: body[..body.len() / 3].to_vec(),
    }]);
    let started = Instant::now();
    let run = run_on(
        &daemon,
        &["pull", "--json", "--stall-timeout", "700ms", "alpine"],
        b"",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(json(&run)["incomplete_reason"], "stalled");
    assert!(
        run.stderr.contains("incomplete (stalled)"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn the_timeout_covers_the_whole_operation() {
    let daemon = Daemon::tcp();
    daemon.pulls([Answer::Replay {
        body: fixture("pull_containerd_docker24"),
        // Faster than the display's 100 ms tick: the input never pauses long enough for
        // the loop's idle branch, and the time limit must still be seen.
        chunk: 8,
        pace: Duration::from_millis(30),
    }]);
    let started = Instant::now();
    let run = run_on(
        &daemon,
        &["pull", "--json", "--timeout", "1s", "alpine"],
        b"",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(json(&run)["incomplete_reason"], "timed_out");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn ctrl_c_closes_the_connection_and_says_cancelled() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::Stall {
        body: fixture("pull_containerd_docker24")[..300].to_vec(),
    }]);
    let child = command(
        &["pull", "--host", &daemon.host, "--json", "alpine"],
        daemon.dir(),
    )
    .spawn()
    .unwrap();
    // Wait until the request arrived, then interrupt.
    let started = Instant::now();
    while daemon.operations().is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let run = finish(child, b"");
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert_eq!(json(&run)["incomplete_reason"], "cancelled");
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
}

#[test]
fn verify_reports_the_id_or_fails() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::fixture("pull_up_to_date")]);
    let run = run_on(&daemon, &["pull", "--json", "--verify", "alpine:3.20"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let inspect = daemon.operations().pop().unwrap();
    assert_eq!(inspect.method, "GET");
    assert_eq!(inspect.path, "/v1.45/images/alpine:3.20/json");
    assert!(json(&run)["image_id"].as_str().is_some());
    daemon.image_id(None);
    let run = run_on(&daemon, &["pull", "--json", "--verify", "alpine:3.20"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let summary = json(&run);
    assert_eq!(summary["outcome"], "failed");
    assert_eq!(summary["result"], serde_json::Value::Null);
    assert!(summary["error"]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("--verify: ")));
    assert!(
        run.stderr
            .contains("--verify: the daemon does not have alpine:3.20"),
        "{}",
        run.stderr
    );
}

#[test]
fn quiet_prints_only_the_verdict() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::fixture("pull_success_crlf")]);
    let run = run_on(&daemon, &["pull", "-q", "alpine"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(run.stdout.starts_with("downloaded"), "{}", run.stdout);
    assert_eq!(run.stderr, "");
}

#[test]
fn daemon_missing_or_not_http() {
    let dir = temp_dir("nodaemon");
    let missing = format!("unix://{}/nothere.sock", dir.display());
    let run = finish(
        command(&["pull", "--host", &missing, "alpine"], &dir)
            .spawn()
            .unwrap(),
        b"",
    );
    assert_eq!(run.code, 69);
    assert!(
        run.stderr.contains("nothere.sock") && run.stderr.contains("is the daemon running"),
        "{}",
        run.stderr
    );
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("tcp://127.0.0.1:{port}");
    let run = finish(
        command(&["pull", "--host", &host, "alpine"], &dir)
            .spawn()
            .unwrap(),
        b"",
    );
    assert_eq!(run.code, 69, "{}", run.stderr);
    // DOCKER_HOST is read when --host is absent.
    let run = finish(
        command(&["pull", "alpine"], &dir)
            .env("DOCKER_HOST", &missing)
            .spawn()
            .unwrap(),
        b"",
    );
    assert_eq!(run.code, 69);
    assert!(run.stderr.contains("nothere.sock"), "{}", run.stderr);
    for (host, says) in [
        ("ssh://me@box", "ssh -nNT -L"),
        ("http://x", "not a daemon address"),
    ] {
        let run = finish(
            command(&["pull", "--host", host, "alpine"], &dir)
                .spawn()
                .unwrap(),
            b"",
        );
        assert_eq!(run.code, 64);
        assert!(run.stderr.contains(says), "{}", run.stderr);
    }
    let run = finish(
        command(&["pull", "--host", "tcp://127.0.0.1:2376", "alpine"], &dir)
            .env("DOCKER_TLS_VERIFY", "1")
            .spawn()
            .unwrap(),
        b"",
    );
    assert_eq!(run.code, 64);
    assert!(run.stderr.contains("TLS"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(dir);

    for answer in [Answer::NotHttp, Answer::HugeHeaders { bytes: 200_000 }] {
        let daemon = Daemon::unix();
        daemon.ping_answer(answer.clone());
        let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
        assert_eq!(run.code, 69, "{answer:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("did not answer with HTTP"),
            "{}",
            run.stderr
        );
    }
    // The same answers to the pull itself: not a progress stream.
    for answer in [Answer::NotHttp, Answer::HugeHeaders { bytes: 200_000 }] {
        let daemon = Daemon::unix();
        daemon.pulls([answer.clone()]);
        let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
        assert_eq!(run.code, 3, "{answer:?}: {}", run.stderr);
        assert_eq!(json(&run)["incomplete_reason"], "not_a_progress_stream");
    }
    // HTTP/1.0: a body until the connection closes, decoded the same.
    let daemon = Daemon::tcp();
    daemon.pulls([Answer::Http10 {
        body: fixture("pull_success_crlf"),
    }]);
    let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, piped_json("pull_success_crlf"));
}

/// Writes `config.json` into the daemon's directory (its DOCKER_CONFIG in these tests).
fn write_config(daemon: &Daemon, config: &Value) {
    std::fs::write(daemon.dir().join("config.json"), config.to_string()).unwrap();
}

fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for group in text.as_bytes().chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &b)| a | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= group.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn credentials_from_auths_and_password_stdin() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::fixture("pull_up_to_date")]);
    write_config(
        &daemon,
        &serde_json::json!({"auths": {
            "https://index.docker.io/v1/": {"auth": base64(&format!("hub-user:{SECRET}"))},
            "localhost:5000": {"auth": base64("local:pw")},
        }}),
    );
    let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let auth = daemon.operations().pop().unwrap().auth.unwrap();
    assert_eq!(auth["username"], "hub-user");
    assert_eq!(auth["password"], SECRET);
    assert_eq!(auth["serveraddress"], "https://index.docker.io/v1/");
    let run = run_on(&daemon, &["pull", "--json", "localhost:5000/x"], b"");
    assert_eq!(run.code, 0);
    let auth = daemon.operations().pop().unwrap().auth.unwrap();
    assert_eq!(auth["username"], "local");
    assert_eq!(auth["serveraddress"], "localhost:5000");
    // --username and --password-stdin win over the config.
    let run = run_on(
        &daemon,
        &[
            "push",
            "--json",
            "--username",
            "me",
            "--password-stdin",
            "alpine",
        ],
        format!("{SECRET}\n").as_bytes(),
    );
    let auth = daemon.operations().pop().unwrap().auth.unwrap();
    assert_eq!(auth["username"], "me");
    assert_eq!(auth["password"], SECRET);
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));
}

/// A `docker-credential-<name>` script in the daemon's directory.
fn write_helper(daemon: &Daemon, name: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = daemon.dir().join(format!("docker-credential-{name}"));
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn run_with_path(daemon: &Daemon, args: &[&str]) -> Run {
    let mut all = vec![args[0], "--host", &daemon.host];
    all.extend_from_slice(&args[1..]);
    let path = format!(
        "{}:{}",
        daemon.dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    finish(
        command(&all, daemon.dir())
            .env("PATH", path)
            .spawn()
            .unwrap(),
        b"",
    )
}

#[test]
fn credential_helpers_and_secrets_never_shown() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::Error {
        status: 401,
        message: String::from("unauthorized: authentication required"),
    }]);
    // credHelpers for this registry wins over credsStore.
    write_helper(
        &daemon,
        "good",
        &format!(
            r#"read server; echo "{{\"ServerURL\":\"$server\",\"Username\":\"<token>\",\"Secret\":\"{SECRET}\"}}""#
        ),
    );
    write_helper(
        &daemon,
        "bad",
        &format!("echo 'oops {SECRET}' >&2; echo '{SECRET}'; exit 1"),
    );
    write_helper(&daemon, "garbled", &format!("echo 'not json {SECRET}'"));
    write_config(
        &daemon,
        &serde_json::json!({"credsStore": "bad", "credHelpers": {"ghcr.io": "good"}}),
    );
    for args in [
        &["pull", "ghcr.io/o/app"][..],
        &["pull", "--events", "ghcr.io/o/app"],
        &["pull", "--json", "ghcr.io/o/app"],
    ] {
        let run = run_with_path(&daemon, args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "{}{}",
            run.stdout,
            run.stderr
        );
        let auth = daemon.operations().pop().unwrap().auth.unwrap();
        assert_eq!(auth["identitytoken"], SECRET);
        assert_eq!(auth["serveraddress"], "ghcr.io");
        assert!(auth.get("password").is_none());
    }
    // Docker Hub goes to credsStore, which fails: a clear error without the secret, no request.
    let before = daemon.operations().len();
    let run = run_with_path(&daemon, &["pull", "alpine"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("docker-credential-bad") && run.stderr.contains("failed"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{}",
        run.stderr
    );
    assert_eq!(daemon.operations().len(), before);
    for (store, says) in [("garbled", "not its JSON"), ("missing", "cannot be run")] {
        write_config(&daemon, &serde_json::json!({"credsStore": store}));
        let run = run_with_path(&daemon, &["pull", "alpine"]);
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains(says), "{}", run.stderr);
        assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
    }
}

#[test]
fn usage_errors() {
    let dir = temp_dir("usage");
    for (args, says) in [
        (&["pull"][..], "needs an image"),
        (&["pull", "Alpine"], "invalid reference"),
        (&["pull", "--retries", "x", "a"], "not a valid number"),
        (&["pull", "--stall-timeout", "3d", "a"], "unknown unit"),
        (&["pull", "--platform", "linux", "a"], "os/arch"),
        (
            &[
                "push",
                "a@sha256:bc5eac5eafc581aeda3008b4b1f07ebba230de2f27d47767129a6a905c84f470",
            ],
            "digest",
        ),
        (&["pull", "--username", "u", "a"], "go together"),
        (&["pull", "a", "b"], "more than one image"),
    ] {
        let run = finish(command(args, &dir).spawn().unwrap(), b"");
        assert_eq!(run.code, 64, "{args:?}");
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    let run = finish(command(&["pull", "--help"], &dir).spawn().unwrap(), b"");
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("Usage: pullstream pull"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn retries_a_cut_stream_but_not_past_the_timeout() {
    let daemon = Daemon::tcp();
    let body = fixture("pull_success_crlf");
    daemon.pulls([
        Answer::CutMidChunk {
            at: body.len() / 2,
            body,
        },
        Answer::fixture("pull_success_crlf"),
    ]);
    let run = run_on(
        &daemon,
        &["pull", "--json", "--retries", "1", "alpine"],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("attempt 1 of 2 incomplete (truncated_body)"),
        "{}",
        run.stderr
    );
    // A retry-after hint longer than what --timeout leaves: no retry, the failure at once.
    let daemon = Daemon::unix();
    daemon.pulls([
        Answer::Error {
            status: 500,
            message: String::from("toomanyrequests: slow down, retry after 30s"),
        },
        Answer::fixture("pull_success_crlf"),
    ]);
    let started = Instant::now();
    let run = run_on(
        &daemon,
        &[
            "pull",
            "--json",
            "--retries",
            "5",
            "--timeout",
            "5s",
            "alpine",
        ],
        b"",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(json(&run)["error"]["kind"], "rate_limited");
    assert_eq!(daemon.operations().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn extraction_gets_longer_before_it_is_a_stall() {
    let daemon = Daemon::unix();
    let body = concat!(
        r#"{"status":"Pulling from library/alpine","id":"latest"}"#,
        "\r\n",
        r#"{"status":"Pulling fs layer","progressDetail":{},"id":"aaaaaaaaaaaa"}"#,
        "\r\n",
        r#"{"status":"Downloading","progressDetail":{"current":100,"total":100},"id":"aaaaaaaaaaaa"}"#,
        "\r\n",
        r#"{"status":"Download complete","progressDetail":{},"id":"aaaaaaaaaaaa"}"#,
        "\r\n",
        r#"{"status":"Extracting","progressDetail":{"current":10,"total":100},"id":"aaaaaaaaaaaa"}"#,
        "\r\n",
    );
    daemon.pulls([Answer::Stall {
        body: body.as_bytes().to_vec(),
    }]);
    let started = Instant::now();
    let run = run_on(
        &daemon,
        &["pull", "--json", "--stall-timeout", "400ms", "alpine"],
        b"",
    );
    let took = started.elapsed();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(json(&run)["incomplete_reason"], "stalled");
    assert!(run.stderr.contains("while extracting"), "{}", run.stderr);
    // Four times the stall timeout, not one.
    assert!(took >= Duration::from_millis(1500), "{took:?}");
}

#[test]
fn docker_contexts_name_the_daemon() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::fixture("pull_up_to_date")]);
    // A context directory is named by a hash of the context's name; the name inside counts.
    let meta = daemon.dir().join("contexts/meta/0123abcd");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        serde_json::json!({"Name": "fake", "Endpoints": {"docker": {"Host": daemon.host}}})
            .to_string(),
    )
    .unwrap();
    let nowhere = "unix:///nonexistent/docker.sock";
    // DOCKER_CONTEXT wins over DOCKER_HOST.
    let run = finish(
        command(&["pull", "--json", "alpine"], daemon.dir())
            .env("DOCKER_CONTEXT", "fake")
            .env("DOCKER_HOST", nowhere)
            .spawn()
            .unwrap(),
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // currentContext is read when neither is set; DOCKER_HOST wins over it.
    write_config(&daemon, &serde_json::json!({"currentContext": "fake"}));
    let run = finish(
        command(&["pull", "--json", "alpine"], daemon.dir())
            .spawn()
            .unwrap(),
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = finish(
        command(&["pull", "--json", "alpine"], daemon.dir())
            .env("DOCKER_HOST", nowhere)
            .spawn()
            .unwrap(),
        b"",
    );
    assert_eq!(run.code, 69, "{}", run.stderr);
    assert_eq!(daemon.operations().len(), 2);
    let run = finish(
        command(&["pull", "--json", "alpine"], daemon.dir())
            .env("DOCKER_CONTEXT", "other")
            .spawn()
            .unwrap(),
        b"",
    );
    assert_eq!(run.code, 64, "{}", run.stderr);
    assert!(
        run.stderr.contains("docker context 'other' not found"),
        "{}",
        run.stderr
    );
}

// ---- Attacks (issue 16): odd daemons, odd input, odd options. Each must end, honestly. ----

/// Runs `args` against a daemon whose pull answers `answer`.
fn pull_answered(answer: Answer) -> (Run, Daemon) {
    let daemon = Daemon::unix();
    daemon.pulls([answer]);
    let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
    (run, daemon)
}

#[test]
fn attack_odd_answers_to_the_pull() {
    let body = fixture("pull_success_crlf");
    // 200 with a Content-Length the body never reaches: cut, not success.
    let mut short = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    short.extend_from_slice(&body[..body.len() - 40]);
    let (run, _daemon) = pull_answered(Answer::Raw(short));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(json(&run)["incomplete_reason"], "truncated_body");
    // 200 with neither length nor chunking, closing before the final status: not success.
    let mut unframed = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec();
    unframed.extend_from_slice(&fixture("pull_cut_at_record_boundary"));
    let (run, _daemon) = pull_answered(Answer::Raw(unframed));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_ne!(json(&run)["outcome"], "success");
    // Transfer-Encoding: gzip: refused, not decoded as garbage and not called success.
    let mut gzip = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec();
    gzip.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
    let (run, _daemon) = pull_answered(Answer::Raw(gzip));
    assert!(run.code != 0, "{}", run.stderr);
    assert_ne!(json(&run)["outcome"], "success");
    assert!(run.stderr.contains("Transfer-Encoding"), "{}", run.stderr);
    // A redirect is not followed (the Engine never redirects): failed, the status named.
    let (run, daemon) = pull_answered(Answer::Raw(
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
    ));
    assert!(run.code == 1 || run.code == 3, "{}", run.stderr);
    assert_ne!(json(&run)["outcome"], "success");
    assert!(run.stderr.contains("301"), "{}", run.stderr);
    assert_eq!(daemon.operations().len(), 1);
}

#[test]
fn attack_odd_api_versions() {
    for (offered, used) in [
        // Older than any Engine this client can speak to: the floor, not /v0.1/.
        ("0.1", "/v1.24/"),
        ("garbage", "/v1.24/"),
        ("1.", "/v1.24/"),
        ("-1.30", "/v1.24/"),
        // Numbers too big for any integer type: a daemon newer than us, so our newest.
        ("1.99999999999999999999999", "/v1.47/"),
        ("99999999999999999999.0", "/v1.47/"),
    ] {
        let daemon = Daemon::unix();
        daemon
            .api_version(Some(offered))
            .pulls([Answer::fixture("pull_up_to_date")]);
        let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
        assert_eq!(run.code, 0, "{offered}: {}", run.stderr);
        let path = daemon.operations()[0].path.clone();
        assert!(path.starts_with(used), "{offered:?}: {path}");
    }
    // A header of 100 kB: a head too large for the decoder, so not an answer.
    let daemon = Daemon::unix();
    let huge = "1".repeat(100_000);
    daemon.api_version(Some(&huge));
    let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
    assert_eq!(run.code, 69, "{}", run.stderr);
    assert!(daemon.operations().is_empty());
}

#[test]
fn attack_bad_references_send_nothing() {
    let long = format!("a{}", "b".repeat(299));
    for image in [
        "Alpine",
        "alpine:Latest!",
        "al pine",
        "alp!ne",
        "ALPINE:3",
        "alpine@sha256:xyz",
        "",
        long.as_str(),
    ] {
        let daemon = Daemon::unix();
        let run = run_on(&daemon, &["pull", "--json", image], b"");
        assert_eq!(run.code, 64, "{image:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{image:?}: {}", run.stdout);
        assert!(run.stderr.contains("pullstream"), "{}", run.stderr);
        assert!(daemon.requests().is_empty(), "{image:?} reached the daemon");
    }
}

#[test]
fn attack_a_helper_that_hangs_stops_at_the_timeout() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::fixture("pull_success_crlf")]);
    write_helper(&daemon, "hang", &format!("echo {SECRET} >&2; sleep 1000"));
    write_config(
        &daemon,
        &serde_json::json!({"credHelpers": {"ghcr.io": "hang"}}),
    );
    let started = Instant::now();
    let run = run_with_path(&daemon, &["pull", "--timeout", "1s", "ghcr.io/o/app"]);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("docker-credential-hang"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(SECRET) && !run.stdout.contains(SECRET));
    assert!(daemon.operations().is_empty());
}

#[test]
fn attack_config_not_json_or_huge() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::fixture("pull_success_crlf")]);
    let path = daemon.dir().join("config.json");
    std::fs::write(&path, format!("{{\"auths\": {{\"x\": \"{SECRET}\" ")).unwrap();
    let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("config.json"), "{}", run.stderr);
    assert!(!run.stderr.contains(SECRET) && !run.stdout.contains(SECRET));
    assert!(daemon.operations().is_empty());
    // 40 MB of whitespace inside a valid document: refused by size, not read whole.
    let mut big = b"{\"auths\":{}".to_vec();
    big.extend(std::iter::repeat_n(b' ', 40 << 20));
    big.push(b'}');
    std::fs::write(&path, big).unwrap();
    let run = run_on(&daemon, &["pull", "--json", "alpine"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("too large"), "{}", run.stderr);
}

#[test]
fn attack_odd_daemon_addresses() {
    let dir = temp_dir("addresses");
    let run = finish(
        command(&["pull", "alpine"], &dir)
            .env("DOCKER_HOST", "unix:///nonexistent")
            .spawn()
            .unwrap(),
        b"",
    );
    assert_eq!(run.code, 69, "{}", run.stderr);
    assert!(run.stderr.contains("/nonexistent"), "{}", run.stderr);
    for host in [
        "tcp://host:notaport",
        "tcp://host:99999",
        "tcp://",
        "unix://",
    ] {
        let run = finish(
            command(&["pull", "alpine"], &dir)
                .env("DOCKER_HOST", host)
                .spawn()
                .unwrap(),
            b"",
        );
        assert_eq!(run.code, 64, "{host}: {}", run.stderr);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn attack_many_retries_stop_at_the_timeout() {
    let daemon = Daemon::unix();
    daemon.pulls([Answer::Error {
        status: 500,
        message: String::from(
            "Get https://registry-1.docker.io/v2/: net/http: TLS handshake timeout",
        ),
    }]);
    let started = Instant::now();
    let run = run_on(
        &daemon,
        &[
            "pull",
            "--json",
            "--retries",
            "1000",
            "--timeout",
            "1s",
            "alpine",
        ],
        b"",
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(json(&run)["error"]["kind"], "network");
    // A daemon that never answers the ping: the timeout still holds.
    let daemon = Daemon::unix();
    daemon.ping_answer(Answer::Silent);
    let started = Instant::now();
    let run = run_on(
        &daemon,
        &["pull", "--json", "--timeout", "1s", "alpine"],
        b"",
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_ne!(run.code, 0, "{}", run.stderr);
    // --stall-timeout 0 is refused as a usage error.
    let run = run_on(&daemon, &["pull", "--stall-timeout", "0", "alpine"], b"");
    assert_eq!(run.code, 64, "{}", run.stderr);
    assert!(run.stderr.contains("positive"), "{}", run.stderr);
}

/// The screen a terminal would show after `output`: enough of a VT100 for the live display
/// (`\r`, `\n`, cursor up `ESC[nA`, erase `ESC[J` and `ESC[2K`; colours ignored).
fn screen_after(output: &str) -> Vec<String> {
    let mut screen: Vec<String> = vec![String::new()];
    let mut row = 0usize;
    let mut chars = output.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // The display clears each line (`ESC[2K`) before writing it: `\r` alone can stay.
            '\r' => {}
            '\n' => {
                row += 1;
                if row == screen.len() {
                    screen.push(String::new());
                }
            }
            '\x1b' => {
                let mut params = String::new();
                let _ = chars.next(); // '['
                let mut end = ' ';
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        end = c;
                        break;
                    }
                    params.push(c);
                }
                match end {
                    'A' => row = row.saturating_sub(params.parse().unwrap_or(1)),
                    'J' => {
                        screen.truncate(row + 1);
                        screen[row].clear();
                    }
                    'K' => screen[row].clear(),
                    _ => {}
                }
            }
            c => screen[row].push(c),
        }
    }
    screen
}

#[test]
fn retries_leave_no_stale_live_display() {
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let daemon = Daemon::unix();
    let body = fixture("pull_success_crlf");
    daemon.pulls([
        Answer::Replay {
            body: body[..body.len() * 2 / 3].to_vec(),
            chunk: 64,
            pace: Duration::from_millis(15),
        },
        Answer::Replay {
            body: body.clone(),
            chunk: 64,
            pace: Duration::from_millis(15),
        },
    ]);
    let pull = format!(
        "stty rows 40 cols 100; {BIN} pull --host {} --retries 2 alpine",
        daemon.host
    );
    let output = Command::new("script")
        .args(["-qfec", &pull, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .env("DOCKER_CONFIG", daemon.dir())
        .env_remove("DOCKER_HOST")
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let raw = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(raw.contains("attempt 1 of 3"), "{raw}");
    let screen = screen_after(&raw);
    for layer in ["25254ce6793d", "54a539f94cdc", "8914a7ea30af"] {
        let shown = screen
            .iter()
            .filter(|l| l.contains(layer) && l.trim_end().ends_with(']'))
            .count();
        assert!(
            shown <= 1,
            "{layer} drawn {shown} times:\n{}",
            screen.join("\n")
        );
    }
}

#[test]
fn aborts_leave_one_live_display() {
    if !Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let body = fixture("pull_success_crlf");
    for (how, says) in [
        ("--stall-timeout 700ms", "incomplete (stalled)"),
        ("--timeout 1s", "incomplete (timed_out)"),
        ("", "cancelled"),
    ] {
        let daemon = Daemon::unix();
        daemon.pulls([Answer::Stall {
            body: body[..body.len() / 2].to_vec(),
        }]);
        // Ctrl-C: SIGINT from `timeout`, as the terminal would send it.
        let wrap = if how.is_empty() {
            "timeout -s INT 1 "
        } else {
            ""
        };
        let pull = format!(
            "stty rows 40 cols 100; {wrap}{BIN} pull --host {} {how} alpine",
            daemon.host
        );
        let output = Command::new("script")
            .args(["-qfec", &pull, "/dev/null"])
            .env("SHELL", "/bin/sh")
            .env("DOCKER_CONFIG", daemon.dir())
            .env_remove("DOCKER_HOST")
            .env_remove("COLUMNS")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let raw = String::from_utf8_lossy(&output.stdout).into_owned();
        let screen = screen_after(&raw);
        let text = screen.join("\n");
        assert!(text.contains(says), "{how}: {text}");
        assert!(!text.contains("panicked"), "{text}");
        for layer in ["25254ce6793d", "54a539f94cdc", "8914a7ea30af"] {
            let shown = screen
                .iter()
                .filter(|l| l.contains(layer) && l.trim_end().ends_with(']'))
                .count();
            assert_eq!(shown, 1, "{how}: {layer} drawn {shown} times:\n{text}");
        }
        // The verdict is the last thing on screen, below the final drawing.
        let last = screen.iter().rev().find(|l| !l.trim().is_empty()).unwrap();
        assert!(last.contains(says), "{how}: last line {last:?}\n{text}");
    }
}
