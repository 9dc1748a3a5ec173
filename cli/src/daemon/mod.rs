//! `pullstream pull` and `pullstream push`: talk to the daemon directly.
//!
//! The response goes through the same code as piped input (`--http`): the HTTP layer, the
//! pipeline, the display, `--json`, `--events` and the exit codes. Around it: locating the
//! daemon ([`connect`]), the reference ([`mod@reference`]), credentials ([`auth`]), retries and
//! durations ([`retry`]).

mod auth;
mod connect;
mod reference;
mod retry;

use std::ffi::OsString;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pullstream::outcome::IncompleteReason;
use pullstream::pipeline::Pipeline;
use pullstream::tracker::{StallPhase, TrackerConfig};

use crate::args::{Mode, READ_SIZE};
use crate::{drive, spawn_reader, warn, Controls, Session, SessionSetup};
use connect::{Host, Request};
use reference::Reference;

/// The API version asked for when `/_ping` names none: the oldest the Engine still serves
/// (moby `api/common.go`, `MinSupportedAPIVersion`, 1.24 since Docker 25).
pub const MIN_API_VERSION: (u32, u32) = (1, 24);
/// The newest API version this client speaks; a daemon that offers more is asked for this.
pub const MAX_API_VERSION: (u32, u32) = (1, 47);

/// Exit code when the daemon cannot be reached or does not speak HTTP (sysexits
/// `EX_UNAVAILABLE`).
pub const EXIT_UNAVAILABLE: i32 = 69;
/// Exit code after Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;
/// Without `--stall-timeout`, a read that waits this long fails (the body is then cut).
const READ_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Extraction reports little or no progress: it is a stall only after this many times the
/// `--stall-timeout`.
const EXTRACT_STALL_FACTOR: u32 = 4;

pub const USAGE: &str = "\
Usage: pullstream pull [OPTIONS] IMAGE[:TAG|@DIGEST]
       pullstream push [OPTIONS] IMAGE[:TAG]

Asks the Docker Engine (or Podman) to pull or push an image, shows its progress and prints a
verdict, exactly as for a piped progress stream.

Options:
      --host URL            the daemon: unix:///path or tcp://host:port (default: DOCKER_HOST,
                            else /var/run/docker.sock, else Podman's socket)
      --json                print only the final summary, as one line of JSON
      --events              print every event as one line of JSON, then the summary
  -q, --quiet               print only the verdict
      --platform P          pull for os/arch[/variant] (pull only)
      --verify              after success, check that the image exists and report its id
      --retries N           try again up to N times after a rate limit, a network error or
                            a cut stream (default 0)
      --stall-timeout D     stop when nothing progresses for D (30s, 2m, 500ms); extraction
                            gets four times as long
      --timeout D           stop when the whole operation (retries included) takes longer
      --username U          log in as U, the password read from stdin (--password-stdin)
      --password-stdin      read the password from standard input
  -h, --help                print this help

Credentials otherwise come from $DOCKER_CONFIG/config.json or ~/.docker/config.json
(auths, credHelpers, credsStore), as the docker CLI finds them.

Exit status: 0 success, 1 failed, 2 incomplete (cut, stalled, timed out), 64 usage error,
69 the daemon cannot be reached, 74 stdout cannot be written,
130 interrupted.
";

/// The command line of `pull` / `push`.
#[derive(Debug, Default)]
struct DaemonOptions {
    image: String,
    host: Option<String>,
    mode: Option<Mode>,
    quiet: bool,
    platform: Option<String>,
    verify: bool,
    retries: u32,
    stall_timeout: Option<Duration>,
    timeout: Option<Duration>,
    username: Option<String>,
    password_stdin: bool,
    help: bool,
}

fn parse(command: &str, args: Vec<OsString>) -> Result<DaemonOptions, String> {
    let mut options = DaemonOptions::default();
    let mut image = None;
    let mut args = args.into_iter().map(|a| a.to_string_lossy().into_owned());
    let mut only_operands = false;
    while let Some(arg) = args.next() {
        if only_operands || !arg.starts_with('-') {
            if let Some(first) = &image {
                return Err(format!("more than one image ('{first}' and '{arg}')"));
            }
            image = Some(arg);
            continue;
        }
        let (flag, mut inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |flag: &str| {
            inline
                .take()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let set_mode = |wanted: Mode, options: &mut DaemonOptions| {
            if options.mode.is_some_and(|m| m != wanted) {
                return Err(String::from("--json and --events cannot be used together"));
            }
            options.mode = Some(wanted);
            Ok(())
        };
        match flag.as_str() {
            "--" => only_operands = true,
            "-h" | "--help" => options.help = true,
            "--json" => set_mode(Mode::Json, &mut options)?,
            "--events" => set_mode(Mode::Events, &mut options)?,
            "-q" | "--quiet" => options.quiet = true,
            "--verify" => options.verify = true,
            "--password-stdin" => options.password_stdin = true,
            "--host" | "-H" => options.host = Some(value(&flag)?),
            "--platform" => {
                let platform = value(&flag)?;
                let parts: Vec<&str> = platform.split('/').collect();
                if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
                    return Err(format!("--platform: '{platform}' is not os/arch[/variant]"));
                }
                if command == "push" {
                    return Err(String::from("--platform applies to pull only"));
                }
                options.platform = Some(platform.to_ascii_lowercase());
            }
            "--retries" => {
                let text = value(&flag)?;
                options.retries = text
                    .parse()
                    .map_err(|_| format!("--retries: '{text}' is not a valid number"))?;
            }
            "--stall-timeout" => {
                options.stall_timeout = Some(
                    retry::parse_duration(&value(&flag)?)
                        .map_err(|e| format!("--stall-timeout: {e}"))?,
                )
            }
            "--timeout" => {
                options.timeout = Some(
                    retry::parse_duration(&value(&flag)?).map_err(|e| format!("--timeout: {e}"))?,
                )
            }
            "--username" | "-u" => options.username = Some(value(&flag)?),
            _ => return Err(format!("unknown option '{arg}' for {command}")),
        }
        if inline.is_some() {
            return Err(format!("{flag} takes no value"));
        }
    }
    if options.help {
        return Ok(options);
    }
    if options.quiet && options.mode.is_some() {
        return Err(String::from(
            "--quiet applies to the human output, not --json or --events",
        ));
    }
    if options.username.is_some() != options.password_stdin {
        return Err(String::from("--username and --password-stdin go together"));
    }
    options.image = image.ok_or_else(|| format!("{command} needs an image name"))?;
    Ok(options)
}

/// `30s`, `2m`, `500ms`, `1m30s`: as the options are written.
pub fn show_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1000 || !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

/// Runs `pullstream pull|push …`; returns the exit code.
pub fn main(command: &'static str, args: Vec<OsString>) -> i32 {
    let options = match parse(command, args) {
        Ok(options) if options.help => {
            print!("{USAGE}");
            return 0;
        }
        Ok(options) => options,
        Err(message) => {
            warn(&format!("{message} (see 'pullstream {command} --help')"));
            return 64;
        }
    };
    let started = Instant::now();
    let deadline = options.timeout.map(|t| started + t);
    let reference = match Reference::parse(&options.image) {
        Ok(reference) if command == "push" && reference.digest.is_some() => {
            warn(&format!(
                "cannot push a digest reference ('{}'): name a tag",
                options.image
            ));
            return 64;
        }
        Ok(reference) => reference,
        Err(message) => {
            warn(&message);
            return 64;
        }
    };
    let host = match connect::locate(options.host.as_deref()) {
        Ok(host) => host,
        Err(message) => {
            warn(&message);
            return 64;
        }
    };
    let auth_header = match credentials(&options, &reference, deadline) {
        Ok(header) => header,
        Err(message) => {
            warn(&format!(
                "credentials for {}: {message}",
                reference.registry_key()
            ));
            return 1;
        }
    };
    let version = match negotiate(&host, deadline) {
        Ok(version) => version,
        Err(message) => {
            warn(&message);
            return EXIT_UNAVAILABLE;
        }
    };
    let cancel = Arc::new(AtomicBool::new(false));
    // Without the handler Ctrl-C kills the process at once; with it the loop sees the flag,
    // closes the connection (the daemon then cancels the pull) and says so.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, cancel.clone());
    let target = match command {
        "pull" => {
            let mut target = format!(
                "/v{}.{}/images/create?fromImage={}&tag={}",
                version.0,
                version.1,
                connect::query_escape(&reference.familiar_name()),
                connect::query_escape(&reference.api_tag())
            );
            if let Some(platform) = &options.platform {
                target.push_str(&format!("&platform={}", connect::query_escape(platform)));
            }
            target
        }
        _ => format!(
            "/v{}.{}/images/{}/push?tag={}",
            version.0,
            version.1,
            connect::path_escape(&reference.familiar_name()),
            connect::query_escape(reference.tag.as_deref().unwrap_or("latest"))
        ),
    };
    let mut headers = Vec::new();
    if let Some(header) = &auth_header {
        headers.push(("X-Registry-Auth", header.clone()));
    } else if command == "push" {
        headers.push(("X-Registry-Auth", String::from(auth::EMPTY)));
    }
    let request = Request {
        method: "POST",
        target: &target,
        headers,
    };
    let controls = Controls {
        deadline,
        stall_after: options.stall_timeout,
        cancel: Some(cancel.clone()),
    };
    let mut tracker = TrackerConfig::default();
    if let Some(limit) = options.stall_timeout {
        let ms = limit.as_millis().min(u128::from(u64::MAX)) as u64;
        tracker = tracker.stall_after(StallPhase::Transfer, ms).stall_after(
            StallPhase::Extract,
            ms.saturating_mul(u64::from(EXTRACT_STALL_FACTOR)),
        );
    }
    let mode = options.mode.unwrap_or(Mode::Human);
    if mode == Mode::Human && !options.quiet {
        warn(&format!(
            "{command}ing {} through {host} (API {}.{})",
            reference.full(),
            version.0,
            version.1
        ));
    }
    let mut retry = 0;
    loop {
        let conn = match connect::send(&host, &request) {
            Ok(conn) => conn,
            Err(message) => {
                warn(&message);
                return EXIT_UNAVAILABLE;
            }
        };
        let closer = conn.try_clone().ok();
        conn.set_read_timeout(Some(
            options
                .stall_timeout
                .map_or(READ_TIMEOUT, |t| t.saturating_mul(EXTRACT_STALL_FACTOR + 1)),
        ));
        let rx = spawn_reader(Box::new(conn), READ_SIZE);
        let session = Session::new(
            SessionSetup {
                mode,
                quiet: options.quiet,
                chunk_size: READ_SIZE,
                label: format!("the daemon at {host}"),
                http: true,
                detect: false,
            },
            Pipeline::with_config(pullstream::Config::default(), tracker.clone()),
        );
        let driven = drive(session, rx, 1.0, &controls);
        if driven.abort.is_some() {
            if let Some(closer) = &closer {
                closer.shutdown();
            }
        }
        let interrupted = cancel.load(Ordering::Relaxed);
        let mut verdict = driven
            .session
            .conclude(driven.now_ms, driven.read_error, driven.abort);
        if let Some(delay) = retry_delay(&verdict.summary, retry, options.retries, deadline) {
            retry += 1;
            verdict.erase_live();
            warn(&format!(
                "attempt {} of {} {}: retrying in {}",
                retry,
                options.retries + 1,
                retry_cause(&verdict.summary),
                show_duration(delay)
            ));
            if sleep_unless_cancelled(delay, &cancel) {
                continue;
            }
        }
        if verdict.code == 0 && options.verify && command == "pull" {
            match verify(&host, version, &reference, deadline) {
                Ok(id) => {
                    if verdict.summary.image_id.is_none() {
                        verdict.summary.image_id = Some(id);
                    }
                }
                Err(message) => {
                    verdict.summary.set_failed(format!("--verify: {message}"));
                    verdict.code = 1;
                    verdict.reason = Some(format!("--verify: {message}"));
                }
            }
        }
        let code = verdict.report();
        return if interrupted { EXIT_INTERRUPTED } else { code };
    }
}

/// The `X-Registry-Auth` value, if any: `--username` with the password on stdin, else the
/// docker config.
fn credentials(
    options: &DaemonOptions,
    reference: &Reference,
    deadline: Option<Instant>,
) -> Result<Option<String>, String> {
    let server = reference.registry_key();
    if let Some(username) = &options.username {
        let mut password = String::new();
        io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut password)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        let password = password.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            return Err(String::from(
                "--password-stdin: standard input held no password",
            ));
        }
        return Ok(Some(
            auth::Credentials::from_password(username.clone(), password, &server).header(),
        ));
    }
    Ok(auth::lookup(&server, deadline)?.map(|c| c.header()))
}

/// `GET /_ping`: the daemon's `API-Version`, capped at ours; the minimum when it names none.
fn negotiate(host: &Host, deadline: Option<Instant>) -> Result<(u32, u32), String> {
    let ping = connect::small_request(
        host,
        deadline,
        &Request {
            method: "GET",
            target: "/_ping",
            headers: Vec::new(),
        },
    )?;
    let offered = ping.api_version.as_deref().and_then(|v| {
        let (major, minor) = v.trim().split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    });
    // Below the floor (`0.1`) the daemon is not one we can speak to by its word: the floor,
    // which a real Engine serves. Too large to parse as a number: newer than us, so our newest.
    let too_big = ping.api_version.as_deref().is_some_and(|v| {
        v.trim()
            .split_once('.')
            .is_some_and(|(a, b)| is_huge_number(a) || is_huge_number(b))
    });
    if too_big {
        return Ok(MAX_API_VERSION);
    }
    Ok(offered.map_or(MIN_API_VERSION, |v: (u32, u32)| {
        v.clamp(MIN_API_VERSION, MAX_API_VERSION)
    }))
}

/// All digits, yet too long for a `u32`.
fn is_huge_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u32>().is_err()
}

/// After a failed attempt: how long to wait before the next, if it is worth one.
fn retry_delay(
    summary: &pullstream::summary::Summary,
    done: u32,
    retries: u32,
    deadline: Option<Instant>,
) -> Option<Duration> {
    if done >= retries {
        return None;
    }
    let retryable = match summary.outcome {
        pullstream::outcome::Verdict::Failed => summary.error.as_ref().is_some_and(|e| e.retryable),
        pullstream::outcome::Verdict::Incomplete => matches!(
            summary.incomplete_reason,
            Some(
                IncompleteReason::TruncatedBody
                    | IncompleteReason::CutMidRecord
                    | IncompleteReason::NoTerminalStatus
            )
        ),
        _ => false,
    };
    if !retryable {
        return None;
    }
    let hint = summary
        .error
        .as_ref()
        .and_then(|e| retry::retry_after_hint(&e.message));
    let delay = retry::backoff(done + 1, retry::jitter(), hint);
    // A retry that would start after the deadline cannot finish before it.
    match deadline {
        Some(deadline) if Instant::now() + delay >= deadline => None,
        _ => Some(delay),
    }
}

/// What the failed attempt was, in a few words (never a secret: the daemon's message is not
/// repeated, the verdict line of the last attempt gives it).
fn retry_cause(summary: &pullstream::summary::Summary) -> String {
    match (&summary.error, summary.incomplete_reason) {
        (Some(error), _) => format!("failed ({})", error.kind.name()),
        (None, Some(reason)) => format!("incomplete ({})", reason.name()),
        _ => String::from("did not succeed"),
    }
}

/// Sleeps for `delay` unless Ctrl-C comes first; returns whether it slept it all.
fn sleep_unless_cancelled(delay: Duration, cancel: &AtomicBool) -> bool {
    let until = Instant::now() + delay;
    while Instant::now() < until {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20).min(until - Instant::now()));
    }
    !cancel.load(Ordering::Relaxed)
}

/// `GET /images/{name}/json`: the image's id.
fn verify(
    host: &Host,
    version: (u32, u32),
    reference: &Reference,
    deadline: Option<Instant>,
) -> Result<String, String> {
    let mut name = reference.familiar_name();
    if let Some(digest) = &reference.digest {
        name.push('@');
        name.push_str(digest);
    } else if let Some(tag) = &reference.tag {
        name.push(':');
        name.push_str(tag);
    }
    let target = format!(
        "/v{}.{}/images/{}/json",
        version.0,
        version.1,
        connect::path_escape(&name)
    );
    let answer = connect::small_request(
        host,
        deadline,
        &Request {
            method: "GET",
            target: &target,
            headers: Vec::new(),
        },
    )?;
    let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    if answer.status != 200 {
        let message = json["message"].as_str().unwrap_or("no message");
        return Err(format!(
            "the daemon does not have {name} after the pull (HTTP {}: {})",
            answer.status,
            crate::render::sanitize(message, " ")
        ));
    }
    json["Id"]
        .as_str()
        .map(|id| crate::render::sanitize(id, " "))
        .ok_or_else(|| format!("the daemon's answer about {name} has no Id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_show_as_written() {
        assert_eq!(show_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(show_duration(Duration::from_secs(30)), "30s");
        assert_eq!(show_duration(Duration::from_secs(120)), "2m");
        assert_eq!(show_duration(Duration::from_secs(90)), "1m30s");
    }
}
