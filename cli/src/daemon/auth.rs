//! The `X-Registry-Auth` header: credentials for the image's registry.
//!
//! Found as the docker CLI finds them (docker/cli `cli/config/configfile/file.go`,
//! `GetCredentialsStore` and `GetAuthConfig`; `cli/config/config.go` for the directory):
//! the config is `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; a
//! `credHelpers[registry]` entry names the helper for that registry, else `credsStore` names
//! the one for all, else the `auths[registry]` entry holds them (`auth` is base64 of
//! `user:password`, or `identitytoken`). A helper is the program `docker-credential-<name>`,
//! run as `docker-credential-<name> get` with the server address on stdin; it prints
//! `{"ServerURL","Username","Secret"}`, and the user name `<token>` means the secret is an
//! identity token (docker/docker-credential-helpers `client/client.go`, `credentials/
//! credentials.go`). The header is the JSON `{"username","password","serveraddress"}` (or
//! `{"identitytoken","serveraddress"}`), base64url-encoded (moby `api/types/registry`
//! `EncodeAuthConfig`).
//!
//! Secrets never leave this module except inside the encoded header, and no error names them.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The header value with no credentials: base64url of `{}` (what the docker CLI sends to push
/// anonymously; the daemon refuses a push without the header).
pub const EMPTY: &str = "e30=";

/// A credential helper gets this long to answer.
/// The largest docker config read.
const CONFIG_MAX: u64 = 16 << 20;
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// The credentials of one registry. `Debug` is not derived: it would show the secret.
#[derive(Serialize, Default)]
pub struct Credentials {
    #[serde(skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    password: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    identitytoken: String,
    serveraddress: String,
}

impl Credentials {
    pub fn from_password(username: String, password: String, server: &str) -> Credentials {
        Credentials {
            username,
            password,
            identitytoken: String::new(),
            serveraddress: server.to_string(),
        }
    }

    /// The `X-Registry-Auth` value.
    pub fn header(&self) -> String {
        base64url(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }
}

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::HashMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: std::collections::HashMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
pub fn config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    let home = std::env::var_os("HOME").filter(|v| !v.is_empty())?;
    Some(PathBuf::from(home).join(".docker/config.json"))
}

/// The credentials for `registry` (a key as in `auths`: `https://index.docker.io/v1/` or a host
/// name), `None` when there are none. An error says what failed, never a secret.
pub fn lookup(registry: &str, deadline: Option<Instant>) -> Result<Option<Credentials>, String> {
    let Some(path) = config_path() else {
        return Ok(None);
    };
    // The docker CLI's own configs are a few kB; a larger file is not read whole.
    let text = match std::fs::File::open(&path).and_then(|file| {
        let mut text = Vec::new();
        file.take(CONFIG_MAX + 1).read_to_end(&mut text)?;
        Ok(text)
    }) {
        Ok(text) if text.len() as u64 > CONFIG_MAX => {
            return Err(format!(
                "{} is too large (over {} MiB)",
                path.display(),
                CONFIG_MAX >> 20
            ))
        }
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    // serde_json's message may quote the content ("invalid type: string \"…\"", a secret
    // perhaps): only the position is shown.
    let config: ConfigFile = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "{} is not a valid config file (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let helper = config
        .cred_helpers
        .get(registry)
        .or(config.creds_store.as_ref())
        .filter(|h| !h.is_empty());
    if let Some(helper) = helper {
        return run_helper(helper, registry, deadline);
    }
    // `auths` keys may be written with a scheme or path (`https://ghcr.io/v1/`).
    let entry = config.auths.get(registry).or_else(|| {
        config
            .auths
            .iter()
            .find(|(key, _)| bare_host(key) == bare_host(registry))
            .map(|(_, entry)| entry)
    });
    let Some(entry) = entry else {
        return Ok(None);
    };
    let mut credentials = Credentials {
        serveraddress: registry.to_string(),
        ..Credentials::default()
    };
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64_decode(auth)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                format!(
                    "{}: the auth entry for {registry} is not base64",
                    path.display()
                )
            })?;
        let (user, password) = decoded.split_once(':').ok_or_else(|| {
            format!(
                "{}: the auth entry for {registry} is not user:password",
                path.display()
            )
        })?;
        credentials.username = user.to_string();
        credentials.password = password.to_string();
    } else {
        credentials.username = entry.username.clone().unwrap_or_default();
        credentials.password = entry.password.clone().unwrap_or_default();
    }
    credentials.identitytoken = entry.identitytoken.clone().unwrap_or_default();
    Ok(Some(credentials))
}

/// `https://ghcr.io/v1/` → `ghcr.io`.
fn bare_host(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

/// Runs `docker-credential-<helper> get` for `registry`.
/// Runs the helper, for [`HELPER_TIMEOUT`] at most and not past `deadline` (`--timeout`).
fn run_helper(
    helper: &str,
    registry: &str,
    deadline: Option<Instant>,
) -> Result<Option<Credentials>, String> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("credential helper {program} (named in the docker config) cannot be run: {e}")
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(registry.as_bytes());
    }
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(stdout) = &mut stdout {
            let _ = stdout.take(1 << 20).read_to_end(&mut out);
        }
        out
    });
    let give_up = Instant::now() + HELPER_TIMEOUT;
    let give_up = deadline.map_or(give_up, |d| d.min(give_up));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < give_up => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "credential helper {program} did not answer in time"
                ));
            }
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        // Its output may hold anything; the helpers' own "not found" message is the one
        // worth telling apart (docker-credential-helpers `credentials/error.go`).
        let text = String::from_utf8_lossy(&out);
        if text.contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!(
            "credential helper {program} failed ({status}) for {registry}"
        ));
    }
    let answer: HelperAnswer = serde_json::from_slice(&out)
        .map_err(|_| format!("credential helper {program} gave an answer that is not its JSON"))?;
    let mut credentials = Credentials {
        serveraddress: registry.to_string(),
        ..Credentials::default()
    };
    if answer.username == "<token>" {
        credentials.identitytoken = answer.secret;
    } else {
        credentials.username = answer.username;
        credentials.password = answer.secret;
    }
    Ok(Some(credentials))
}

/// Base64url with padding (Go's `base64.URLEncoding`, which moby uses for the header).
pub fn base64url(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for group in data.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard or URL-safe base64, padding optional.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.trim().bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64url(b"{}"), EMPTY);
        assert_eq!(base64url(b"ab?"), "YWI_");
        assert_eq!(base64url(b"a"), "YQ==");
        for text in ["", "a", "ab", "abc", "user:pa ss~?>"] {
            assert_eq!(
                base64_decode(&base64url(text.as_bytes())).unwrap(),
                text.as_bytes()
            );
        }
    }
}
