//! Where the daemon is, connecting to it, and the request side of HTTP/1.1 (the response
//! side is `pullstream::http::ResponseDecoder`).

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pullstream::http::ResponseDecoder;

/// Docker's default socket (docker/cli `opts/hosts.go`, `DefaultUnixSocket`).
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";
/// Rootful Podman's socket (podman `docs/source/markdown/podman-system-service.1.md`).
pub const PODMAN_ROOT_SOCKET: &str = "/run/podman/podman.sock";

/// Connecting gives up after this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Small requests (`/_ping`, inspect) give up after this long without an answer.
pub const SMALL_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of a small response kept (its head and body).
const SMALL_RESPONSE_MAX: usize = 1 << 20;

/// A daemon address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    Unix(PathBuf),
    /// `host:port`.
    Tcp(String),
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Unix(path) => write!(f, "unix://{}", path.display()),
            Host::Tcp(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

/// Parses `unix:///path`, `tcp://host:port` (port 2375 when absent), or a bare socket path.
/// TLS and SSH get an error that says what to do instead.
pub fn parse_host(text: &str, tls_wanted: bool) -> Result<Host, String> {
    if let Some(path) = text.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(format!("'{text}' names no socket path"));
        }
        return Ok(Host::Unix(PathBuf::from(path)));
    }
    if let Some(addr) = text.strip_prefix("tcp://") {
        if tls_wanted {
            return Err(format!(
                "'{text}' with TLS (DOCKER_TLS_VERIFY or DOCKER_CERT_PATH is set) is not supported: \
                 forward a local socket instead (for example `ssh -L /tmp/docker.sock:/var/run/docker.sock host`, \
                 then --host unix:///tmp/docker.sock), or pipe `curl --cert ... -si --raw` into `pullstream --http`"
            ));
        }
        let addr = addr.trim_end_matches('/');
        if addr.is_empty() {
            return Err(format!("'{text}' names no host"));
        }
        // `host`, `[v6]`: no port; `host:port`: the port must be a number (else the error
        // would be a failed name lookup of `host:notaport:2375`, exit 69, not a usage error).
        let port = match addr.rsplit_once(':') {
            Some((_, after)) if !after.ends_with(']') => Some(after),
            _ => None,
        };
        let addr = match port {
            Some(port) if port.parse::<u16>().is_ok_and(|p| p != 0) => addr.to_string(),
            Some(port) => return Err(format!("'{text}': '{port}' is not a port number")),
            None => format!("{addr}:2375"),
        };
        return Ok(Host::Tcp(addr));
    }
    if text.starts_with("ssh://") {
        return Err(format!(
            "'{text}': ssh:// hosts are not supported: forward the remote socket with \
             `ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock {}` and use --host unix:///tmp/docker.sock",
            text.trim_start_matches("ssh://")
        ));
    }
    if text.starts_with('/') {
        return Ok(Host::Unix(PathBuf::from(text)));
    }
    Err(format!(
        "'{text}' is not a daemon address: use unix:///path/to/socket or tcp://host:port"
    ))
}

/// Where the daemon is, in docker/cli's order (`cli/command/cli.go`, `resolveContextName`):
/// `--host`; else the context `DOCKER_CONTEXT` names; else `DOCKER_HOST`; else the
/// `currentContext` of the docker config; else Docker's socket, else Podman's (rootless
/// `$XDG_RUNTIME_DIR/podman/podman.sock`, then rootful), else Docker's (so that the error
/// names it). The context `default` means "no context".
pub fn locate(flag: Option<&str>) -> Result<Host, String> {
    let tls = std::env::var_os("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty())
        || std::env::var_os("DOCKER_TLS").is_some_and(|v| !v.is_empty());
    if let Some(text) = flag {
        return parse_host(text, tls);
    }
    let env = |name: &str| std::env::var(name).ok().filter(|t| !t.is_empty());
    if let Some(context) = env("DOCKER_CONTEXT").filter(|c| c != "default") {
        return context_host(&context);
    }
    if let Some(text) = env("DOCKER_HOST") {
        return parse_host(&text, tls);
    }
    if let Some(context) = current_context().filter(|c| c != "default") {
        return context_host(&context);
    }
    let mut candidates = vec![PathBuf::from(DOCKER_SOCKET)];
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        candidates.push(Path::new(&runtime).join("podman/podman.sock"));
    }
    candidates.push(PathBuf::from(PODMAN_ROOT_SOCKET));
    let found = candidates.iter().find(|p| p.exists()).cloned();
    Ok(Host::Unix(
        found.unwrap_or_else(|| PathBuf::from(DOCKER_SOCKET)),
    ))
}

/// The docker config's `currentContext`, if any.
fn current_context() -> Option<String> {
    let text = std::fs::read(super::auth::config_path()?).ok()?;
    let config: serde_json::Value = serde_json::from_slice(&text).ok()?;
    config["currentContext"].as_str().map(str::to_string)
}

/// The docker endpoint of context `name`. Contexts live in
/// `<config dir>/contexts/meta/<sha256 of the name>/meta.json` (docker/cli
/// `cli/context/store/metadatastore.go`) as `{"Name", "Endpoints": {"docker": {"Host"}}}`;
/// the directories are searched by their `Name`, which needs no hash. A context with TLS
/// material (`contexts/tls/<same directory>/docker`) is refused like `tcp://` with TLS.
fn context_host(name: &str) -> Result<Host, String> {
    let dir = super::auth::config_path()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .ok_or_else(|| format!("docker context '{name}': no docker config directory"))?;
    let meta = dir.join("contexts/meta");
    let entries = std::fs::read_dir(&meta).map_err(|e| {
        format!(
            "docker context '{name}': cannot read {}: {e}",
            meta.display()
        )
    })?;
    for entry in entries.flatten() {
        let Ok(text) = std::fs::read(entry.path().join("meta.json")) else {
            continue;
        };
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&text) else {
            continue;
        };
        if json["Name"].as_str() != Some(name) {
            continue;
        }
        let Some(host) = json["Endpoints"]["docker"]["Host"].as_str() else {
            return Err(format!("docker context '{name}' has no docker endpoint"));
        };
        let tls = dir
            .join("contexts/tls")
            .join(entry.file_name())
            .join("docker")
            .exists();
        return parse_host(host, tls).map_err(|e| format!("docker context '{name}': {e}"));
    }
    Err(format!(
        "docker context '{name}' not found in {} (DOCKER_CONTEXT or currentContext names it)",
        meta.display()
    ))
}

/// A connection to the daemon.
pub enum Conn {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Conn {
    pub fn open(host: &Host) -> Result<Conn, String> {
        let conn = match host {
            Host::Unix(path) => UnixStream::connect(path).map(Conn::Unix).map_err(|e| {
                let hint = match e.kind() {
                    io::ErrorKind::NotFound => {
                        " (no such socket: is the daemon running? set --host or DOCKER_HOST)"
                    }
                    io::ErrorKind::ConnectionRefused => " (nothing listens there: is the daemon running?)",
                    io::ErrorKind::PermissionDenied => {
                        " (permission denied: join the 'docker' group, or use rootless Podman's socket)"
                    }
                    _ => "",
                };
                format!("cannot connect to {host}: {e}{hint}")
            }),
            Host::Tcp(addr) => {
                let addrs = addr
                    .to_socket_addrs()
                    .map_err(|e| format!("cannot resolve {host}: {e}"))?;
                let mut last = None;
                let mut conn = None;
                for sockaddr in addrs {
                    match TcpStream::connect_timeout(&sockaddr, CONNECT_TIMEOUT) {
                        Ok(stream) => {
                            conn = Some(stream);
                            break;
                        }
                        Err(e) => last = Some(e),
                    }
                }
                conn.map(Conn::Tcp).ok_or_else(|| {
                    let e = last.map_or_else(|| String::from("no address"), |e| e.to_string());
                    format!("cannot connect to {host}: {e} (is the daemon running and listening there?)")
                })
            }
        }?;
        Ok(conn)
    }

    pub fn set_read_timeout(&self, timeout: Option<Duration>) {
        let _ = match self {
            Conn::Unix(s) => s.set_read_timeout(timeout),
            Conn::Tcp(s) => s.set_read_timeout(timeout),
        };
    }

    /// Another handle on the same connection.
    pub fn try_clone(&self) -> io::Result<Conn> {
        Ok(match self {
            Conn::Unix(s) => Conn::Unix(s.try_clone()?),
            Conn::Tcp(s) => Conn::Tcp(s.try_clone()?),
        })
    }

    /// Closes both directions: a reader blocked on it wakes up, and the daemon sees the
    /// client go away (and cancels the pull).
    pub fn shutdown(&self) {
        let _ = match self {
            Conn::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            Conn::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
        };
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Unix(s) => s.read(buf),
            Conn::Tcp(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Unix(s) => s.write(buf),
            Conn::Tcp(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Unix(s) => s.flush(),
            Conn::Tcp(s) => s.flush(),
        }
    }
}

/// A request to send: one per connection (`Connection: close`).
pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query, already encoded.
    pub target: &'a str,
    /// Extra headers. Their values may be secret: they are never shown.
    pub headers: Vec<(&'a str, String)>,
}

impl Request<'_> {
    /// The bytes of the request: no body (`Content-Length: 0` for a POST).
    pub fn to_bytes(&self, host: &Host) -> Vec<u8> {
        let host_header = match host {
            // The Engine ignores the Host of a Unix socket; docker/cli sends a placeholder.
            Host::Unix(_) => "docker",
            Host::Tcp(addr) => addr.as_str(),
        };
        let mut out = format!(
            "{} {} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: pullstream/{}\r\nConnection: close\r\n",
            self.method,
            self.target,
            env!("CARGO_PKG_VERSION")
        );
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.method == "POST" {
            out.push_str("Content-Type: application/json\r\nContent-Length: 0\r\n");
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// Opens a connection and sends `request` on it.
pub fn send(host: &Host, request: &Request<'_>) -> Result<Conn, String> {
    let mut conn = Conn::open(host)?;
    conn.write_all(&request.to_bytes(host))
        .and_then(|()| conn.flush())
        .map_err(|e| format!("cannot send the request to {host}: {e}"))?;
    Ok(conn)
}

/// A whole small response.
pub struct Small {
    pub status: u16,
    pub api_version: Option<String>,
    pub body: Vec<u8>,
}

/// Sends a small request and reads its whole answer (at most 1 MiB, within
/// [`SMALL_REQUEST_TIMEOUT`]).
/// A read never waits past `deadline` (`--timeout`) either.
pub fn small_request(
    host: &Host,
    deadline: Option<std::time::Instant>,
    request: &Request<'_>,
) -> Result<Small, String> {
    let mut conn = send(host, request)?;
    let read_timeout = |conn: &Conn| -> Result<(), String> {
        let mut timeout = SMALL_REQUEST_TIMEOUT;
        if let Some(deadline) = deadline {
            timeout = timeout.min(deadline.saturating_duration_since(std::time::Instant::now()));
        }
        if timeout.is_zero() {
            return Err(format!("no answer from {host} within --timeout"));
        }
        conn.set_read_timeout(Some(timeout));
        Ok(())
    };
    let mut decoder = ResponseDecoder::new();
    let mut body = Vec::new();
    let mut buf = vec![0; 16 * 1024];
    let what = format!(
        "{} {}",
        request.method,
        request.target.split('?').next().unwrap_or("")
    );
    loop {
        read_timeout(&conn)?;
        let n = match conn.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("{what}: no answer from {host}: {e}")),
        };
        if n == 0 {
            decoder
                .finish()
                .map_err(|e| format!("{what}: {host} did not answer with HTTP: {e}"))?;
            break;
        }
        let mut rest = &buf[..n];
        while !rest.is_empty() && !decoder.is_complete() {
            let progress = decoder
                .feed(rest, |piece| {
                    let room = SMALL_RESPONSE_MAX.saturating_sub(body.len());
                    body.extend_from_slice(&piece[..room.min(piece.len())]);
                })
                .map_err(|e| format!("{what}: {host} did not answer with HTTP: {e}"))?;
            rest = &rest[progress.consumed..];
        }
        if decoder.is_complete() {
            break;
        }
    }
    Ok(Small {
        status: decoder.status().unwrap_or(0),
        api_version: decoder.header("api-version").map(str::to_string),
        body,
    })
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn query_escape(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a path segment that may hold `/` (an image name in `/images/{name}/push`).
pub fn path_escape(text: &str) -> String {
    text.split('/')
        .map(query_escape)
        .collect::<Vec<_>>()
        .join("/")
}
