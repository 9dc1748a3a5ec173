//! Image references, normalised as the docker CLI does.
//!
//! The rules follow distribution/reference `normalize.go` (`ParseNormalizedNamed`,
//! `splitDockerDomain`) and `helpers.go` (`TagNameOnly`), and the query the moby client sends
//! (`client/image_pull.go`: `fromImage` is the familiar name, `tag` the tag or the digest):
//!
//! - the part before the first `/` is a registry only when it contains `.` or `:`, or is
//!   `localhost`; otherwise the registry is `docker.io` (and `index.docker.io` is `docker.io`);
//! - on `docker.io`, a name without `/` is in `library/`;
//! - a name without tag or digest gets the tag `latest`;
//! - the repository must be lowercase.

/// The registry of names without one.
pub const DEFAULT_DOMAIN: &str = "docker.io";

/// A parsed, normalised reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// `docker.io`, `localhost:5000`, `ghcr.io`, …
    pub domain: String,
    /// The repository path within the registry: `library/alpine`.
    pub path: String,
    /// The tag, `latest` when neither tag nor digest was given.
    pub tag: Option<String>,
    /// `sha256:…`, when given.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `name[:tag][@digest]`.
    pub fn parse(text: &str) -> Result<Reference, String> {
        let bad = |why: &str| Err(format!("invalid reference '{text}': {why}"));
        if text.is_empty() {
            return bad("it is empty");
        }
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => {
                let Some((algorithm, hex)) = digest.split_once(':') else {
                    return bad("a digest is algorithm:hex");
                };
                if algorithm.is_empty()
                    || hex.len() < 32
                    || !hex
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                {
                    return bad("a digest is algorithm:hex, for example sha256:<64 hex digits>");
                }
                (rest, Some(digest.to_string()))
            }
            None => (text, None),
        };
        // A tag follows the last ':' after the last '/' (a ':' before it is a registry port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        // distribution/reference `reference.go`: `NameTotalLengthMax` (255) bounds the name,
        // registry included; the daemon would refuse a longer one after the connection.
        if name.len() > 255 {
            return Err(format!(
                "invalid reference: the name is {} characters long, at most 255 are allowed",
                name.len()
            ));
        }
        if let Some(tag) = tag {
            let valid = !tag.is_empty()
                && tag.len() <= 128
                && !tag.starts_with(['.', '-'])
                && tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !valid {
                return bad("a tag is up to 128 letters, digits, '_', '.' or '-'");
            }
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.to_lowercase() != first =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
        };
        let domain = if domain == "index.docker.io" {
            DEFAULT_DOMAIN.to_string()
        } else {
            domain
        };
        let path = if domain == DEFAULT_DOMAIN && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if path.is_empty()
            || path.split('/').any(|part| {
                part.is_empty()
                    || !part.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
            })
        {
            return bad("a repository name is lowercase letters, digits and separators");
        }
        let tag = match (tag, &digest) {
            (Some(tag), _) => Some(tag.to_string()),
            (None, Some(_)) => None,
            (None, None) => Some(String::from("latest")),
        };
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// `docker.io/library/alpine:latest`, `localhost:5000/x@sha256:…`.
    pub fn full(&self) -> String {
        let mut out = format!("{}/{}", self.domain, self.path);
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
        out
    }

    /// The name as the docker CLI shows and sends it: `alpine`, `user/app`, `ghcr.io/o/app`.
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            match self.path.strip_prefix("library/") {
                Some(short) if !short.contains('/') => short.to_string(),
                _ => self.path.clone(),
            }
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The `tag` query parameter of a pull: the digest when there is one, else the tag.
    pub fn api_tag(&self) -> String {
        self.digest
            .clone()
            .or_else(|| self.tag.clone())
            .unwrap_or_default()
    }

    /// The key of this registry in `config.json`'s `auths` and for credential helpers:
    /// `https://index.docker.io/v1/` for Docker Hub (docker/cli `registry.IndexServer`),
    /// the host name otherwise.
    pub fn registry_key(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            String::from("https://index.docker.io/v1/")
        } else {
            self.domain.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(text: &str) -> String {
        Reference::parse(text).unwrap().full()
    }

    #[test]
    fn normalises_like_the_docker_cli() {
        assert_eq!(full("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(full("alpine:3.20"), "docker.io/library/alpine:3.20");
        assert_eq!(full("user/app"), "docker.io/user/app:latest");
        assert_eq!(
            full("index.docker.io/alpine"),
            "docker.io/library/alpine:latest"
        );
        assert_eq!(full("localhost:5000/x"), "localhost:5000/x:latest");
        assert_eq!(full("localhost/x:1"), "localhost/x:1");
        assert_eq!(full("ghcr.io/o/app:v1"), "ghcr.io/o/app:v1");
        let digest = "sha256:bc5eac5eafc581aeda3008b4b1f07ebba230de2f27d47767129a6a905c84f470";
        let by_digest = Reference::parse(&format!("nginx@{digest}")).unwrap();
        assert_eq!(
            by_digest.full(),
            format!("docker.io/library/nginx@{digest}")
        );
        assert_eq!(by_digest.api_tag(), digest);
        assert_eq!(by_digest.familiar_name(), "nginx");
        let local = Reference::parse("localhost:5000/team/app:2").unwrap();
        assert_eq!(local.familiar_name(), "localhost:5000/team/app");
        assert_eq!(local.registry_key(), "localhost:5000");
        assert_eq!(
            Reference::parse("alpine").unwrap().registry_key(),
            "https://index.docker.io/v1/"
        );
    }

    #[test]
    fn rejects_what_the_docker_cli_rejects() {
        for bad in [
            "",
            "Alpine",
            "alpine:",
            "alpine@sha256:xyz",
            "a//b",
            "alpine:-x",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }
}
