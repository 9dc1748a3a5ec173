//! `pullstream`: watch a Docker Engine (or Podman) progress stream and get a verdict.
//!
//! Usage, output formats and exit codes are documented in `docs/CLI.md` and `pullstream --help`.
//! Input is read on a thread in pieces of at most 64 KiB and handed to the main loop over a
//! bounded channel, so memory stays bounded and the live display can redraw while the input is
//! quiet. `--demo` replays a sample pull through the very same loop.

mod args;
mod daemon;
mod events;
mod render;

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::ops::ControlFlow;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use args::{Input, Mode, Options, Parsed};
use pullstream::http::{starts_like_response, HttpError, ResponseDecoder, RESPONSE_PREFIX};
use pullstream::outcome::IncompleteReason;
use pullstream::pipeline::{Item, Pipeline};
use pullstream::tracker::Tracker;
use render::Style;

/// Malformed stretches reported one by one; the rest are counted.
const MAX_MALFORMED_SHOWN: u64 = 10;
/// At most this many redraws per second of the live display (10).
const REDRAW_EVERY: Duration = Duration::from_millis(100);
/// Bytes of a non-2xx HTTP body kept to quote in the error line.
const SNIPPET_LEN: usize = 160;

fn main() {
    // Whatever happens, never show a panic message or a backtrace: one line, then exit 70.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let _ = writeln!(io::stderr(), "pullstream: internal error: {what}");
        std::process::exit(70);
    }));
    let code = match args::parse(std::env::args_os().skip(1)) {
        Ok(Parsed::Help) => {
            let _ = io::stdout().write_all(args::USAGE.as_bytes());
            0
        }
        Ok(Parsed::Version) => {
            let _ = writeln!(io::stdout(), "pullstream {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Ok(Parsed::Run(options)) => run(options),
        Ok(Parsed::Daemon(command, rest)) => daemon::main(command, rest),
        Err(message) => {
            warn(&format!("{message} (see 'pullstream --help')"));
            64
        }
    };
    std::process::exit(code);
}

/// One line on stderr.
fn warn(message: &str) {
    let _ = writeln!(io::stderr(), "pullstream: {message}");
}

/// What the input thread sends.
enum Chunk {
    Data(Vec<u8>),
    End,
    Failed(io::Error),
}

fn spawn_reader(mut reader: Box<dyn Read + Send>, size: usize) -> Receiver<Chunk> {
    let (tx, rx) = mpsc::sync_channel(4);
    std::thread::spawn(move || loop {
        let mut buf = vec![0; size];
        match reader.read(&mut buf) {
            Ok(0) => {
                let _ = tx.send(Chunk::End);
                return;
            }
            Ok(n) => {
                buf.truncate(n);
                if tx.send(Chunk::Data(buf)).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(Chunk::Failed(e));
                return;
            }
        }
    });
    rx
}

/// A channel that reports `error` as the input's first and last news.
fn failed_input(error: io::Error) -> Receiver<Chunk> {
    let (tx, rx) = mpsc::sync_channel(1);
    let _ = tx.send(Chunk::Failed(error));
    rx
}

fn spawn_demo(speed: f64) -> Receiver<Chunk> {
    let (tx, rx) = mpsc::sync_channel(4);
    std::thread::spawn(move || {
        for (mut record, delay_ms) in pullstream::synth::demo_pull() {
            std::thread::sleep(Duration::from_secs_f64(
                f64::from(delay_ms) / 1000.0 / speed,
            ));
            record.extend_from_slice(b"\r\n");
            if tx.send(Chunk::Data(record)).is_err() {
                return;
            }
        }
        let _ = tx.send(Chunk::End);
    });
    rx
}

/// Buffered stdout that goes quiet once a write fails. A reader that went away (a broken
/// pipe: `| head`) is no error; any other failure (`> /dev/full`) is kept for the exit code.
struct Out {
    writer: io::BufWriter<io::Stdout>,
    broken: bool,
    failed: Option<io::Error>,
}

/// Exit code when stdout cannot be written (sysexits `EX_IOERR`).
const EXIT_OUTPUT_FAILED: i32 = 74;

impl Out {
    fn new() -> Out {
        Out {
            writer: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            broken: false,
            failed: None,
        }
    }

    fn note(&mut self, result: io::Result<()>) {
        if let Err(error) = result {
            self.broken = true;
            if error.kind() != io::ErrorKind::BrokenPipe {
                self.failed.get_or_insert(error);
            }
        }
    }

    fn write(&mut self, text: &str) {
        if !self.broken {
            let result = self.writer.write_all(text.as_bytes());
            self.note(result);
        }
    }

    fn line(&mut self, text: &str) {
        self.write(text);
        self.write("\n");
    }

    fn flush(&mut self) {
        if !self.broken {
            let result = self.writer.flush();
            self.note(result);
        }
    }
}

/// The live display's state.
struct Live {
    drawn: usize,
    last_draw: Option<Instant>,
    dirty: bool,
    width: usize,
    max_layers: usize,
    /// Lines to print above the display at the next redraw, and whether they go to stderr.
    pending: Vec<(String, bool)>,
}

impl Live {
    fn new() -> Live {
        let env_number = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
        };
        Live {
            drawn: 0,
            last_draw: None,
            dirty: true,
            width: terminal_width(),
            max_layers: env_number("LINES").map_or(15, |l| l.saturating_sub(4).max(3)),
            pending: Vec::new(),
        }
    }

    fn due(&self) -> bool {
        self.last_draw.is_none_or(|t| t.elapsed() >= REDRAW_EVERY) || self.pending.len() > 200
    }

    /// Redraws in place: cursor up over the previous drawing, clear to the end of the screen,
    /// print pending log lines, then the layer lines and the aggregate line.
    fn draw(&mut self, out: &mut Out, tracker: &Tracker, style: Style) {
        // Follows resizes: one ioctl per redraw, ten a second at most.
        self.width = terminal_width();
        let mut text = String::new();
        if self.drawn > 0 {
            text.push_str(&format!("\x1b[{}A\r\x1b[J", self.drawn));
        }
        out.write(&text);
        for (line, to_stderr) in self.pending.drain(..) {
            if to_stderr {
                out.flush();
                warn(&line);
            } else {
                out.line(&line);
            }
        }
        let lines = render::live_lines(&tracker.snapshot(), self.max_layers, style);
        let mut text = String::new();
        for line in &lines {
            text.push_str("\r\x1b[2K");
            text.push_str(&render::fit(line, self.width.saturating_sub(1)));
            text.push('\n');
        }
        out.write(&text);
        out.flush();
        self.drawn = lines.len();
        self.last_draw = Some(Instant::now());
        self.dirty = false;
    }
}

impl Live {
    /// Takes the drawing off the screen (pending log lines are printed, they are history), so
    /// that what comes next (a retry's own display) does not land below a stale one.
    fn erase(&mut self, out: &mut Out) {
        if self.drawn > 0 {
            out.write(&format!("\x1b[{}A\r\x1b[J", self.drawn));
            self.drawn = 0;
        }
        for (line, to_stderr) in self.pending.drain(..) {
            if to_stderr {
                out.flush();
                warn(&line);
            } else {
                out.line(&line);
            }
        }
        out.flush();
    }
}

/// Where items go, by mode.
struct Sink {
    mode: Mode,
    /// Human mode, verdict only: no progress, no informative lines.
    quiet: bool,
    out: Out,
    style: Style,
    live: Option<Live>,
    phases: render::PhaseLog,
    malformed: u64,
    quiet_malformed: bool,
    /// Daemon errors seen (the first one is reported by the verdict, not logged).
    errors: u64,
}

impl Sink {
    fn log(&mut self, line: String, to_stderr: bool) {
        match &mut self.live {
            Some(live) => live.pending.push((line, to_stderr)),
            None if to_stderr => {
                self.out.flush();
                warn(&line);
            }
            None => self.out.line(&line),
        }
    }

    fn item(&mut self, item: Item<'_, '_>) -> ControlFlow<()> {
        match item {
            Item::Event { record, event } => {
                if let Some(live) = &mut self.live {
                    live.dirty = true;
                }
                match self.mode {
                    Mode::Json => {}
                    Mode::Events => self.out.line(&events::event_line(record, event)),
                    Mode::Human if self.quiet => {}
                    Mode::Human => {
                        if self.live.is_none() {
                            if let Some(line) = self.phases.line(event) {
                                self.out.line(&line);
                            }
                        }
                        let first_error = if let pullstream::Event::Error(_) = event {
                            self.errors += 1;
                            self.errors == 1
                        } else {
                            false
                        };
                        match render::log_line(record, event, self.style) {
                            Some(line) if !first_error => self.log(line, false),
                            _ => {}
                        }
                    }
                }
            }
            Item::Malformed(error) => {
                if self.mode == Mode::Events {
                    self.out.line(&events::malformed_line(error));
                }
                self.malformed += 1;
                if !self.quiet_malformed && self.malformed <= MAX_MALFORMED_SHOWN {
                    self.log(error.to_string(), true);
                }
            }
            Item::TrackerLimit(limit) => self.log(limit.to_string(), true),
        }
        ControlFlow::Continue(())
    }
}

/// A non-2xx HTTP status.
struct HttpFailure {
    status: u16,
    reason: String,
    content_type: Option<String>,
    snippet: Vec<u8>,
}

struct Session {
    chunk_size: usize,
    pipeline: Pipeline,
    /// What the input is called on stderr: its path, or "standard input".
    label: String,
    /// Without `--http`: the first bytes, held until they tell whether the input is a raw
    /// HTTP response (it begins with `HTTP/1.`, which no progress body can) or a body.
    /// `None` once that is decided.
    undecided: Option<Vec<u8>>,
    /// The input was found to be a raw HTTP response, and stderr has not been told yet: it is
    /// told once the first byte of the body shows whether that body was de-chunked already.
    announce_http: bool,
    /// The input was found to be a raw HTTP response without `--http`.
    detected_http: bool,
    http: Option<ResponseDecoder>,
    http_error: Option<HttpError>,
    http_failure: Option<HttpFailure>,
    /// Bytes after the end of the HTTP response.
    trailing: u64,
    sink: Sink,
}

impl Session {
    fn input(&mut self, data: &[u8], now_ms: u64) {
        let Some(held) = &mut self.undecided else {
            return self.feed(data, now_ms);
        };
        let take = (RESPONSE_PREFIX.len() - held.len()).min(data.len());
        held.extend_from_slice(&data[..take]);
        let Some(is_http) = starts_like_response(held) else {
            // Still a proper prefix of `HTTP/1.`: all of `data` is held.
            return;
        };
        let held = std::mem::take(held);
        self.undecided = None;
        if is_http {
            self.announce_http = true;
            self.detected_http = true;
            self.http = Some(ResponseDecoder::new());
        }
        self.feed(&held, now_ms);
        self.feed(&data[take..], now_ms);
    }

    /// Feeds input bytes, through the HTTP layer when there is one.
    fn feed(&mut self, data: &[u8], now_ms: u64) {
        for piece in data.chunks(self.chunk_size) {
            let Some(http) = &mut self.http else {
                let sink = &mut self.sink;
                let _ = self.pipeline.feed(piece, now_ms, |item| sink.item(item));
                continue;
            };
            if self.http_error.is_some() || http.is_complete() {
                self.trailing += piece.len() as u64;
                continue;
            }
            let mut rest = piece;
            while !rest.is_empty() {
                if self.announce_http && http.is_head_complete() {
                    // The head has ended and `rest` starts the body.
                    let dechunked = http.is_chunked() && rest[0] == b'{';
                    self.announce_http = false;
                    self.sink.log(http_detected_line(dechunked), true);
                }
                let pipeline = &mut self.pipeline;
                let sink = &mut self.sink;
                let failure = &mut self.http_failure;
                let result = http.feed(rest, |body| {
                    if let Some(failure) = failure {
                        let room = SNIPPET_LEN.saturating_sub(failure.snippet.len());
                        failure
                            .snippet
                            .extend_from_slice(&body[..room.min(body.len())]);
                    }
                    let _ = pipeline.feed(body, now_ms, |item| sink.item(item));
                });
                match result {
                    Ok(report) => {
                        rest = &rest[report.consumed..];
                        if report.head && !http.is_success() {
                            // An error response: its body is a JSON message, or not a stream.
                            self.sink.quiet_malformed = true;
                            self.http_failure = Some(HttpFailure {
                                status: http.status().unwrap_or(0),
                                reason: http.reason().unwrap_or_default().to_string(),
                                content_type: http.header("content-type").map(str::to_string),
                                snippet: Vec::new(),
                            });
                        }
                        if report.complete {
                            self.trailing += rest.len() as u64;
                            break;
                        }
                    }
                    Err(error) => {
                        self.http_error = Some(error);
                        break;
                    }
                }
            }
        }
    }

    /// Ends the input and prints the verdict; returns the exit code.
    fn finish(self, now_ms: u64, read_error: Option<io::Error>) -> i32 {
        self.conclude(now_ms, read_error, None).report()
    }

    /// Ends the input and works out the verdict, without printing it yet ([`Verdict::report`]
    /// does). `abort`, when the run was stopped before the input ended (a stall, the time
    /// limit, Ctrl-C), is the `incomplete_reason` to give and the line that says why; an
    /// error the daemon reported still wins.
    ///
    /// Where the input stopped being readable (a read error, an HTTP body cut short or with
    /// broken framing), the stream is cut: `truncated_body` once a record was decoded or
    /// whenever the HTTP framing proves a cut; before any record, a read or framing error
    /// means the input is not a progress stream (`not_a_progress_stream`, exit 3).
    fn conclude(
        mut self,
        now_ms: u64,
        read_error: Option<io::Error>,
        abort: Option<Abort>,
    ) -> Verdict {
        if let Some(held) = self.undecided.take() {
            // Shorter than `HTTP/1.` and a prefix of it: a (tiny) body.
            self.feed(&held, now_ms);
        }
        if self.announce_http {
            // No body byte came (or the head never ended).
            self.sink.log(http_detected_line(false), true);
        }
        if let Some(http) = &mut self.http {
            if self.http_error.is_none() {
                self.http_error = http.finish().err();
            }
        }
        let sink = &mut self.sink;
        let _ = self.pipeline.finish(now_ms, |item| sink.item(item));
        let began = self.pipeline.summary().records > 0;
        // A reason that replaces the verdict line on stderr.
        let mut reason = None;
        let mut notes = Vec::new();
        let mut not_a_stream = false;
        if let Some(error) = read_error {
            let line = format!("cannot read {}: {error}", self.label);
            if began {
                self.pipeline.note_truncated_body();
                notes.push(line);
            } else {
                not_a_stream = true;
                reason = Some(line);
            }
        } else if let Some(error) = self.http_error {
            let line = format!("HTTP: {error}");
            let http = self.http.as_ref();
            let head_complete = http.is_some_and(ResponseDecoder::is_head_complete);
            let success = http.is_some_and(ResponseDecoder::is_success);
            if !head_complete {
                // No (valid) head: whatever this is, it is not a progress stream.
                not_a_stream = true;
                reason = Some(line);
            } else if !success {
                // An error response: its body's JSON message, if any, is the verdict.
                notes.push(line);
            } else if http.is_some_and(ResponseDecoder::is_body_truncated) {
                // The body was cut short, or its framing broke after the body began: the
                // library's notion, which the C and Python calls share.
                self.pipeline.note_truncated_body();
                notes.push(line);
            } else {
                not_a_stream = true;
                reason = Some(line);
            }
        }
        if let Some(http) = &self.http {
            if http.is_body_already_dechunked() && !self.detected_http {
                notes.push(String::from(
                    "HTTP: the body was de-chunked already (curl without --raw?): \
                     a cut in it cannot be detected",
                ));
            }
        }
        let mut summary = self.pipeline.summary();
        let mut error_response = false;
        if let Some(failure) = &self.http_failure {
            if reason.is_none() && summary.outcome != pullstream::outcome::Verdict::Failed {
                not_a_stream = true;
                error_response = true;
                let mut line = format!(
                    "HTTP {} {}: the response is an error, and its body is not a JSON error message",
                    failure.status, failure.reason
                );
                if let Some(kind) = &failure.content_type {
                    line.push_str(&format!(" ({})", render::sanitize(kind, " ")));
                }
                let snippet = String::from_utf8_lossy(&failure.snippet);
                let snippet = render::sanitize(&snippet, " ");
                if !snippet.trim().is_empty() {
                    line.push_str(&format!(": {}", snippet.trim()));
                }
                reason = Some(line);
            }
        }
        if not_a_stream {
            summary.set_not_a_progress_stream();
        }
        if let Some((why, line)) = abort {
            // Whatever the bytes so far said, the run was stopped before their end.
            if summary.set_stopped_early(why) {
                error_response = false;
                notes.extend(reason.take());
                reason = Some(format!("incomplete ({}): {line}", why.name()));
            }
        }
        let mut code = summary.exit_code();
        if error_response {
            // An error response whose body is not a JSON error message: whatever the body
            // held, the daemon did not answer with a progress stream.
            code = 3;
        }
        if self.trailing > 0 {
            notes.push(format!(
                "{} bytes after the end of the HTTP response ignored",
                self.trailing
            ));
        }
        if self.sink.malformed > MAX_MALFORMED_SHOWN && !self.sink.quiet_malformed {
            notes.push(format!(
                "... and {} more malformed stretches not shown",
                self.sink.malformed - MAX_MALFORMED_SHOWN
            ));
        }
        Verdict {
            session: self,
            summary,
            code,
            reason,
            notes,
        }
    }
}

/// How a run ended, not printed yet.
struct Verdict {
    session: Session,
    summary: pullstream::summary::Summary,
    code: i32,
    /// A line that replaces the verdict line on stderr.
    reason: Option<String>,
    /// Lines for stderr before the verdict.
    notes: Vec<String>,
}

impl Verdict {
    /// An attempt that will be retried: its live display is erased, not left on screen.
    fn erase_live(&mut self) {
        let sink = &mut self.session.sink;
        if let Some(live) = &mut sink.live {
            live.erase(&mut sink.out);
        }
    }

    /// Prints the verdict (and the notes) and returns the exit code.
    fn report(self) -> i32 {
        let Verdict {
            mut session,
            summary,
            code,
            reason,
            notes,
        } = self;
        let sink = &mut session.sink;
        if let Some(live) = &mut sink.live {
            live.draw(&mut sink.out, session.pipeline.tracker(), sink.style);
        }
        if sink.mode != Mode::Human {
            sink.out.line(&summary.to_json());
        }
        let verdict_ok = code == 0 && reason.is_none();
        if sink.mode == Mode::Human && verdict_ok {
            sink.out.line(&render::verdict(&summary, code, sink.style));
        }
        sink.out.flush();
        for note in notes {
            warn(&note);
        }
        let failed_write = sink.out.failed.take();
        if let Some(error) = &failed_write {
            warn(&format!("cannot write to standard output: {error}"));
        }
        if !verdict_ok {
            let style = Style {
                color: color_allowed() && io::stderr().is_terminal(),
            };
            warn(&reason.unwrap_or_else(|| render::verdict(&summary, code, style)));
        }
        if failed_write.is_some() {
            // The output did not reach stdout: a script must not read this run as a success.
            return EXIT_OUTPUT_FAILED;
        }
        code
    }
}

/// The one line that says the input, given without `--http`, is read as an HTTP response.
fn http_detected_line(dechunked: bool) -> String {
    let mut line = String::from(
        "the input is a raw HTTP response (it begins with 'HTTP/1.'): decoding it as with --http",
    );
    if dechunked {
        line.push_str(
            "; its body was de-chunked already (curl without --raw?), so a cut in it \
             cannot be detected",
        );
    }
    line
}

/// The live display's width: `COLUMNS` when set (20 or more), else the terminal's own width
/// (the `terminal_size` crate asks stdout, then stderr), else 80.
fn terminal_width() -> usize {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&w| w >= 20)
    {
        return columns;
    }
    terminal_size::terminal_size_of(io::stdout())
        .or_else(|| terminal_size::terminal_size_of(io::stderr()))
        .map(|(terminal_size::Width(w), _)| usize::from(w))
        .filter(|&w| w >= 20)
        .unwrap_or(80)
}

/// `NO_COLOR` set to anything non-empty turns colours off.
fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn run(options: Options) -> i32 {
    let read_size = options.chunk_size.clamp(args::READ_SIZE, 16 << 20);
    if options.input == Input::Stdin && io::stdin().is_terminal() {
        warn(
            "waiting for a progress stream on standard input (pipe one in, or name a file; \
             Ctrl-D ends the input). To pull an image: pullstream pull IMAGE",
        );
    }
    let (rx, speed, label) = match &options.input {
        Input::Stdin => (
            spawn_reader(Box::new(io::stdin()), read_size),
            1.0,
            String::from("standard input"),
        ),
        Input::File(path) => {
            let rx = match File::open(path) {
                Ok(file) => spawn_reader(Box::new(file), read_size),
                // Reported like a read error, so that `--json` still prints its summary.
                Err(error) => failed_input(error),
            };
            (rx, 1.0, path.display().to_string())
        }
        Input::Demo { speed } => (spawn_demo(*speed), *speed, String::from("the demo")),
    };
    let detect = !options.http && !matches!(options.input, Input::Demo { .. });
    let session = Session::new(
        SessionSetup {
            mode: options.mode,
            quiet: false,
            chunk_size: options.chunk_size,
            label,
            http: options.http,
            detect,
        },
        Pipeline::new(),
    );
    let driven = drive(session, rx, speed, &Controls::default());
    driven.session.finish(driven.now_ms, driven.read_error)
}

/// What a [`Session`] is made from.
struct SessionSetup {
    mode: Mode,
    /// Human mode without the progress: only the verdict (and warnings).
    quiet: bool,
    chunk_size: usize,
    /// What the input is called on stderr.
    label: String,
    /// The input is a whole HTTP response.
    http: bool,
    /// Tell a whole HTTP response from a body by its first bytes.
    detect: bool,
}

impl Session {
    fn new(setup: SessionSetup, pipeline: Pipeline) -> Session {
        let terminal = setup.mode == Mode::Human && !setup.quiet && io::stdout().is_terminal();
        let style = Style {
            color: terminal && color_allowed(),
        };
        Session {
            chunk_size: setup.chunk_size,
            pipeline,
            label: setup.label,
            undecided: setup.detect.then(Vec::new),
            announce_http: false,
            detected_http: false,
            http: setup.http.then(ResponseDecoder::new),
            http_error: None,
            http_failure: None,
            trailing: 0,
            sink: Sink {
                mode: setup.mode,
                quiet: setup.quiet,
                out: Out::new(),
                style,
                live: terminal.then(Live::new),
                phases: render::PhaseLog::default(),
                malformed: 0,
                quiet_malformed: false,
                errors: 0,
            },
        }
    }
}

/// Ways a run can end before its input does (all off by default).
#[derive(Default)]
struct Controls {
    /// The whole operation must be over by then.
    deadline: Option<Instant>,
    /// No progress for this long is a stall: a layer the tracker finds stalled, or no byte at
    /// all while no layer is extracting.
    stall_after: Option<Duration>,
    /// Set (by the SIGINT handler) to stop.
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// Why [`drive`] stopped before the input ended: the `incomplete_reason` and a line.
type Abort = (IncompleteReason, String);

/// Where [`drive`] left a session.
struct Driven {
    session: Session,
    read_error: Option<io::Error>,
    abort: Option<Abort>,
    /// The session's clock when it stopped.
    now_ms: u64,
}

/// The `--timeout` ran out, or Ctrl-C came.
fn time_up_or_cancelled(controls: &Controls) -> Option<Abort> {
    if controls.deadline.is_some_and(|d| Instant::now() >= d) {
        return Some((
            IncompleteReason::TimedOut,
            String::from("the --timeout for the whole operation ran out"),
        ));
    }
    let cancel = controls.cancel.as_ref();
    if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
        return Some((
            IncompleteReason::Cancelled,
            String::from("interrupted (Ctrl-C)"),
        ));
    }
    None
}

/// Feeds what `rx` brings into `session` until the input ends or a control stops it.
fn drive(mut session: Session, rx: Receiver<Chunk>, speed: f64, controls: &Controls) -> Driven {
    let start = Instant::now();
    // The demo's clock runs as fast as its replay, so rates and ETAs look real.
    let now_ms = || (start.elapsed().as_secs_f64() * 1000.0 * speed) as u64;
    let mut read_error = None;
    let mut last_byte = Instant::now();
    let watching =
        controls.deadline.is_some() || controls.stall_after.is_some() || controls.cancel.is_some();
    let abort = loop {
        let chunk = if session.sink.live.is_some() || watching {
            rx.recv_timeout(REDRAW_EVERY)
        } else {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match chunk {
            Ok(Chunk::Data(data)) => {
                last_byte = Instant::now();
                session.input(&data, now_ms());
                if let Some(live) = &mut session.sink.live {
                    if live.due() {
                        live.draw(
                            &mut session.sink.out,
                            session.pipeline.tracker(),
                            session.sink.style,
                        );
                    }
                } else {
                    session.sink.out.flush();
                }
            }
            Ok(Chunk::End) | Err(RecvTimeoutError::Disconnected) => break None,
            Ok(Chunk::Failed(error)) => {
                read_error = Some(error);
                break None;
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = now_ms();
                let stalls = session.pipeline.tracker_mut().poll_stalls(now);
                if let Some(live) = &mut session.sink.live {
                    if live.dirty || !stalls.is_empty() || !live.pending.is_empty() {
                        live.draw(
                            &mut session.sink.out,
                            session.pipeline.tracker(),
                            session.sink.style,
                        );
                    }
                }
                if let Some(limit) = controls.stall_after {
                    if let Some(stall) = stalls.first() {
                        break Some((
                            IncompleteReason::Stalled,
                            format!(
                                "layer {} made no progress while {} for {}",
                                render::sanitize(&stall.layer, " "),
                                stall.phase.name(),
                                daemon::show_duration(limit)
                            ),
                        ));
                    }
                    let extracting = session
                        .pipeline
                        .tracker()
                        .snapshot()
                        .layers
                        .iter()
                        .any(|layer| layer.phase() == pullstream::tracker::Phase::Extracting);
                    if !extracting && last_byte.elapsed() >= limit {
                        break Some((
                            IncompleteReason::Stalled,
                            format!(
                                "the daemon sent nothing for {}",
                                daemon::show_duration(limit)
                            ),
                        ));
                    }
                }
            }
        }
        // Checked after data too: a stream that never pauses must still stop in time.
        if let Some(abort) = time_up_or_cancelled(controls) {
            break Some(abort);
        }
    };
    Driven {
        now_ms: now_ms(),
        session,
        read_error,
        abort,
    }
}
