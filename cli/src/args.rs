//! Command-line arguments, parsed by hand.

use std::ffi::OsString;
use std::path::PathBuf;

/// What goes to stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Live display on a terminal, status changes otherwise, then a verdict.
    Human,
    /// Only the summary line.
    Json,
    /// One JSON object per event, then the summary line.
    Events,
}

/// Where the bytes come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
    /// The built-in demo pull, replayed with its delays divided by the speed.
    Demo { speed: f64 },
}

/// Everything the command line asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub mode: Mode,
    pub input: Input,
    /// Feed the decoder at most this many bytes at a time.
    pub chunk_size: usize,
    /// The input is a whole HTTP/1.1 response.
    pub http: bool,
}

/// The result of parsing.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Run(Options),
    Help,
    Version,
    /// `pull` or `push`, with the arguments after it.
    Daemon(&'static str, Vec<OsString>),
}

/// The default and the largest read size.
pub const READ_SIZE: usize = 64 * 1024;

pub const USAGE: &str = "\
Usage: pullstream [OPTIONS] [FILE]
       pullstream pull|push [OPTIONS] IMAGE   (see 'pullstream pull --help')

Reads a Docker Engine (or Podman) JSON progress stream -- the body of POST /images/create
(pull), /images/{name}/push, /build, /images/load or import -- from FILE or stdin ('-', the
default), shows its progress and prints a verdict.

Options:
      --json            print only the final summary, as one line of JSON
      --events          print every event as one line of JSON (NDJSON), then the summary
      --http            the input is a raw HTTP/1.1 response (curl -si --raw, nc -U ...):
                        status line, headers, then a chunked or identity body
      --chunk-size N    feed the decoder at most N bytes at a time (default 65536)
      --demo            replay a built-in sample pull (no Docker needed)
      --demo-speed X    replay the demo X times faster (default 1)
  -h, --help            print this help
  -V, --version         print the version

Exit status:
  0   success (downloaded, up to date, pushed, built, loaded, imported)
  1   the operation failed: the daemon reported an error
  2   incomplete: the stream ended before the operation finished, or was empty
  3   the input is not a progress stream, or could not be read
  64  usage error
  74  standard output could not be written (a full disk, not a closed pipe)

Environment: NO_COLOR (non-empty: no colours), COLUMNS (width of the live display).

Examples:
  pullstream pull alpine
  curl -s --unix-socket /var/run/docker.sock -X POST \\
    'http://localhost/v1.43/images/create?fromImage=alpine&tag=latest' | pullstream
";

fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    value
        .parse()
        .map_err(|_| format!("{flag}: '{value}' is not a valid number"))
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut mode = None;
    let mut file: Option<OsString> = None;
    let mut chunk_size = None;
    let mut http = false;
    let mut demo = false;
    let mut demo_speed = None;
    let mut only_files = false;
    let mut args = args.into_iter().peekable();
    // `pullstream pull …` and `pullstream push …`: the first argument names the command (a
    // file of that name is still read with `pullstream ./pull` or `pullstream -- pull`).
    for command in ["pull", "push"] {
        if args.peek().is_some_and(|first| first == command) {
            args.next();
            return Ok(Parsed::Daemon(command, args.collect()));
        }
    }
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if only_files || text == "-" || !text.starts_with('-') {
            if file.is_some() {
                return Err(format!(
                    "more than one input file ('{}' and '{text}')",
                    file.unwrap_or_default().to_string_lossy()
                ));
            }
            file = Some(arg);
            continue;
        }
        // `--flag=value` is the same as `--flag value`.
        let (flag, mut inline) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (text.clone(), None),
        };
        let takes_value = matches!(flag.as_str(), "--chunk-size" | "--demo-speed");
        if inline.is_some() && !takes_value {
            return Err(format!("{flag} takes no value"));
        }
        let mut value = || {
            inline
                .take()
                .or_else(|| args.next().map(|v| v.to_string_lossy().into_owned()))
        };
        match flag.as_str() {
            "--" => only_files = true,
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "--json" | "--events" => {
                let wanted = if flag == "--json" {
                    Mode::Json
                } else {
                    Mode::Events
                };
                if mode.is_some_and(|m| m != wanted) {
                    return Err("--json and --events cannot be used together".into());
                }
                mode = Some(wanted);
            }
            "--http" => http = true,
            "--demo" => demo = true,
            "--chunk-size" => {
                let n: usize = number(&flag, value())?;
                if n == 0 {
                    return Err("--chunk-size must be at least 1".into());
                }
                chunk_size = Some(n);
            }
            "--demo-speed" => {
                let x: f64 = number(&flag, value())?;
                if !(x.is_finite() && x > 0.0) {
                    return Err("--demo-speed must be a positive number".into());
                }
                demo_speed = Some(x);
            }
            _ => return Err(format!("unknown option '{text}'")),
        }
    }
    if demo_speed.is_some() && !demo {
        return Err("--demo-speed only applies to --demo".into());
    }
    let input = if demo {
        if file.is_some() {
            return Err("--demo reads no input file".into());
        }
        if http {
            return Err("--demo and --http cannot be used together".into());
        }
        Input::Demo {
            speed: demo_speed.unwrap_or(1.0),
        }
    } else {
        match file {
            Some(path) if path != "-" => Input::File(PathBuf::from(path)),
            _ => Input::Stdin,
        }
    };
    Ok(Parsed::Run(Options {
        mode: mode.unwrap_or(Mode::Human),
        input,
        chunk_size: chunk_size.unwrap_or(READ_SIZE),
        http,
    }))
}
