//! A fake Docker Engine for the `pullstream pull` / `push` tests: std only, one thread per
//! connection, on a Unix socket in a fresh temporary directory or on TCP 127.0.0.1:0.
//!
//! It answers `GET /_ping` (with an `API-Version` header), `GET /version`,
//! `POST /vX/images/create`, `POST /vX/images/{name}/push` and `GET /vX/images/{name}/json`.
//! The create and push requests take their answers, one per request, from a script
//! ([`Answer`]); the last answer repeats. Every request is recorded, its `X-Registry-Auth`
//! header decoded, so tests can check the path, query, API version and credentials.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the daemon answers one create or push request (or, with [`Daemon::ping_answer`], the
/// ping).
#[derive(Clone, Debug)]
pub enum Answer {
    /// `200 OK`, the body sent as a chunked HTTP/1.1 response, `chunk` bytes per chunk with
    /// `pace` between chunks.
    Replay {
        body: Vec<u8>,
        chunk: usize,
        pace: Duration,
    },
    /// An error status with a `{"message": …}` body.
    Error { status: u16, message: String },
    /// `200 OK`, chunked; the first `at` bytes of `body` are sent inside one chunk announced
    /// with the whole body's length, then the connection is closed.
    CutMidChunk { body: Vec<u8>, at: usize },
    /// `200 OK`, chunked; `body` is sent, then nothing until the client goes away (or
    /// [`STALL_MAX`] passes; the response then ends without its last chunk).
    Stall { body: Vec<u8> },
    /// An HTTP/1.0 response: no chunking, body until the connection closes.
    Http10 { body: Vec<u8> },
    /// Bytes that are not HTTP at all, then close.
    NotHttp,
    /// A `200 OK` head with `bytes` of headers.
    HugeHeaders { bytes: usize },
    /// These bytes exactly, then close.
    Raw(Vec<u8>),
    /// Nothing at all until the client goes away (or [`STALL_MAX`] passes).
    Silent,
}

impl Answer {
    /// A fixture replayed whole, 512 bytes per chunk, without delay.
    pub fn fixture(name: &str) -> Answer {
        Answer::Replay {
            body: fixture(name),
            chunk: 512,
            pace: Duration::ZERO,
        }
    }
}

/// The bytes of `tests/fixtures/<name>.stream`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(format!("{name}.stream"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One request, as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    /// `X-Registry-Auth`, base64url-decoded and parsed.
    pub auth: Option<serde_json::Value>,
}

impl Request {
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the daemon does; shared with its threads.
struct Script {
    api_version: Option<String>,
    ping_answer: Option<Answer>,
    pulls: VecDeque<Answer>,
    pushes: VecDeque<Answer>,
    /// The id `GET /images/{name}/json` reports; `None`: 404.
    image_id: Option<String>,
    requests: Vec<Request>,
}

pub struct Daemon {
    script: Arc<Mutex<Script>>,
    /// `unix:///…/docker.sock` or `tcp://127.0.0.1:port`.
    pub host: String,
    dir: PathBuf,
    connections: Arc<AtomicUsize>,
}

/// The longest a [`Answer::Stall`] holds its connection open.
pub const STALL_MAX: Duration = Duration::from_secs(20);

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A fresh empty directory under the system's temporary directory, removed by [`Daemon`]'s
/// drop (or by the test that asked for it).
pub fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pullstream-{what}-{}-{}",
        std::process::id(),
        NEXT_DIR.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Daemon {
    fn new(host: String, dir: PathBuf) -> Daemon {
        Daemon {
            script: Arc::new(Mutex::new(Script {
                api_version: Some(String::from("1.45")),
                ping_answer: None,
                pulls: VecDeque::new(),
                pushes: VecDeque::new(),
                image_id: Some(String::from(
                    "sha256:9c7a54a9a43cca047013b82af109fe963fde787f63f9e016fdc3384500c2823d",
                )),
                requests: Vec::new(),
            })),
            host,
            dir,
            connections: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A daemon on `<tempdir>/docker.sock`.
    pub fn unix() -> Daemon {
        let dir = temp_dir("daemon");
        let path = dir.join("docker.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let daemon = Daemon::new(format!("unix://{}", path.display()), dir);
        let script = daemon.script.clone();
        let connections = daemon.connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                connections.fetch_add(1, Ordering::Relaxed);
                let script = script.clone();
                std::thread::spawn(move || serve(stream, &script));
            }
        });
        daemon
    }

    /// A daemon on `tcp://127.0.0.1:<port>`.
    pub fn tcp() -> Daemon {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let daemon = Daemon::new(format!("tcp://127.0.0.1:{port}"), temp_dir("daemon"));
        let script = daemon.script.clone();
        let connections = daemon.connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                connections.fetch_add(1, Ordering::Relaxed);
                let script = script.clone();
                std::thread::spawn(move || serve(stream, &script));
            }
        });
        daemon
    }

    /// The temporary directory this daemon owns (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues the answers to the next create (pull) requests.
    pub fn pulls(&self, answers: impl IntoIterator<Item = Answer>) -> &Daemon {
        self.script.lock().unwrap().pulls.extend(answers);
        self
    }

    /// Queues the answers to the next push requests.
    pub fn pushes(&self, answers: impl IntoIterator<Item = Answer>) -> &Daemon {
        self.script.lock().unwrap().pushes.extend(answers);
        self
    }

    /// The `API-Version` header of `/_ping` (`None`: no such header).
    pub fn api_version(&self, version: Option<&str>) -> &Daemon {
        self.script.lock().unwrap().api_version = version.map(str::to_string);
        self
    }

    /// Answers `/_ping` (and `/version`) with `answer` instead of a proper response.
    pub fn ping_answer(&self, answer: Answer) -> &Daemon {
        self.script.lock().unwrap().ping_answer = Some(answer);
        self
    }

    /// The image id of `GET /images/{name}/json`; `None` answers 404.
    pub fn image_id(&self, id: Option<&str>) -> &Daemon {
        self.script.lock().unwrap().image_id = id.map(str::to_string);
        self
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.script.lock().unwrap().requests.clone()
    }

    /// The requests other than pings and version queries.
    pub fn operations(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path != "/_ping" && !r.path.ends_with("/version"))
            .collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What [`serve`] needs of a connection.
trait Conn: Read + Write + Send + 'static {
    fn try_clone_box(&self) -> std::io::Result<Box<dyn Read + Send>>;
    fn set_timeout(&self, timeout: Duration);
}

impl Conn for UnixStream {
    fn try_clone_box(&self) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(self.try_clone()?))
    }

    fn set_timeout(&self, timeout: Duration) {
        let _ = self.set_read_timeout(Some(timeout));
    }
}

impl Conn for TcpStream {
    fn try_clone_box(&self) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(self.try_clone()?))
    }

    fn set_timeout(&self, timeout: Duration) {
        let _ = self.set_read_timeout(Some(timeout));
    }
}

/// Serves one request on `stream`, then closes it.
fn serve<S: Conn>(mut stream: S, script: &Mutex<Script>) {
    let Ok(reader) = stream.try_clone_box() else {
        return;
    };
    let mut reader = BufReader::new(reader);
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let path = request.path.clone();
    let method = request.method.clone();
    let answer = {
        let mut script = script.lock().unwrap();
        script.requests.push(request);
        let next = |queue: &mut VecDeque<Answer>| {
            if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            }
        };
        if path == "/_ping" || path.ends_with("/version") {
            if let Some(answer) = script.ping_answer.clone() {
                Some(answer)
            } else {
                let body = if path == "/_ping" {
                    String::from("OK")
                } else {
                    format!(
                        r#"{{"Version":"27.0.0","ApiVersion":"{}","MinAPIVersion":"1.24"}}"#,
                        script.api_version.clone().unwrap_or_default()
                    )
                };
                let mut head = String::from("HTTP/1.1 200 OK\r\n");
                if let Some(version) = &script.api_version {
                    head.push_str(&format!("API-Version: {version}\r\n"));
                }
                head.push_str(&format!(
                    "Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                ));
                let _ = stream.write_all(head.as_bytes());
                return;
            }
        } else if method == "POST" && path.ends_with("/images/create") {
            next(&mut script.pulls)
        } else if method == "POST" && path.ends_with("/push") {
            next(&mut script.pushes)
        } else if method == "GET" && path.ends_with("/json") {
            let (status, body) = match &script.image_id {
                Some(id) => (200, format!(r#"{{"Id":"{id}","RepoTags":[]}}"#)),
                None => (
                    404,
                    String::from(r#"{"message":"No such image: the one asked for"}"#),
                ),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            return;
        } else {
            Some(Answer::Error {
                status: 404,
                message: format!("page not found: {method} {path}"),
            })
        }
    };
    let answer = answer.unwrap_or(Answer::Error {
        status: 500,
        message: String::from("the fake daemon has no answer scripted"),
    });
    // A stall polls for the client going away; no read blocks the thread for good.
    stream.set_timeout(Duration::from_millis(200));
    answer_with(&mut stream, &mut reader, answer);
}

fn answer_with(stream: &mut impl Write, reader: &mut impl Read, answer: Answer) {
    const CHUNKED: &str =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    match answer {
        Answer::Replay { body, chunk, pace } => {
            if stream.write_all(CHUNKED.as_bytes()).is_err() {
                return;
            }
            for piece in body.chunks(chunk.max(1)) {
                if !pace.is_zero() {
                    std::thread::sleep(pace);
                }
                let mut framed = format!("{:x}\r\n", piece.len()).into_bytes();
                framed.extend_from_slice(piece);
                framed.extend_from_slice(b"\r\n");
                if stream.write_all(&framed).and(stream.flush()).is_err() {
                    return;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        }
        Answer::Error { status, message } => {
            let body = serde_json::json!({ "message": message }).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
        Answer::CutMidChunk { body, at } => {
            let mut out = CHUNKED.as_bytes().to_vec();
            out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
            out.extend_from_slice(&body[..at.min(body.len())]);
            let _ = stream.write_all(&out);
        }
        Answer::Stall { body } => {
            let mut out = CHUNKED.as_bytes().to_vec();
            out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
            out.extend_from_slice(&body);
            out.extend_from_slice(b"\r\n");
            if stream.write_all(&out).and(stream.flush()).is_err() {
                return;
            }
            wait_for_close(reader);
        }
        Answer::Http10 { body } => {
            let mut out = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec();
            out.extend_from_slice(&body);
            let _ = stream.write_all(&out);
        }
        Answer::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Answer::Silent => wait_for_close(reader),
        Answer::NotHttp => {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n");
        }
        Answer::HugeHeaders { bytes } => {
            let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
            while out.len() < bytes {
                out.extend_from_slice(b"X-Padding: ");
                out.extend(std::iter::repeat_n(b'a', 1000));
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"Content-Length: 2\r\n\r\n{}");
            let _ = stream.write_all(&out);
        }
    }
}

/// Until the client closes (read gives 0 or an error other than the poll's timeout), or
/// [`STALL_MAX`] at most.
fn wait_for_close(reader: &mut impl Read) {
    let mut sink = [0u8; 256];
    let start = std::time::Instant::now();
    while start.elapsed() < STALL_MAX {
        match reader.read(&mut sink) {
            Ok(0) => return,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Reads a request head (and discards a `Content-Length` body).
fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    let auth = headers
        .iter()
        .find(|(k, _)| k == "x-registry-auth")
        .and_then(|(_, v)| base64url_decode(v))
        .and_then(|json| serde_json::from_slice(&json).ok());
    Some(Request {
        method,
        path: percent_decode(path),
        query,
        headers,
        auth,
    })
}

pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes base64, URL-safe or standard alphabet, padding optional.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}
