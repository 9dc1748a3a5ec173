//! Outcome: the verdict at the end of a stream — success (of what kind), failed (why), or
//! incomplete (why, and what was still pending).

use crate::event::FailureKind;

/// What kind of operation the stream reported on, detected from its vocabulary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /images/create?fromImage=` (also the base-image pulls inside a build).
    Pull,
    /// `POST /images/{name}/push`.
    Push,
    /// `POST /build`.
    Build,
    /// `POST /images/load`.
    Load,
    /// `POST /images/create?fromSrc=`.
    Import,
    /// Nothing in the stream said.
    #[default]
    Unknown,
}

impl Operation {
    /// Stable name used in the JSON summary: `"pull"`, `"push"`, … `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Pull => "pull",
            Operation::Push => "push",
            Operation::Build => "build",
            Operation::Load => "load",
            Operation::Import => "import",
            Operation::Unknown => "unknown",
        }
    }
}

/// Which daemon (and image store) produced the stream, detected from its vocabulary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// Docker Engine with the classic (graphdriver) image store.
    Docker,
    /// Docker Engine with the containerd image store (`hidecounts`, `Extracting` in seconds).
    DockerContainerd,
    /// Podman's Docker-compatible API.
    Podman,
    /// Not enough vocabulary to tell.
    #[default]
    Unknown,
}

impl Dialect {
    /// Stable name used in the JSON summary: `"docker"`, `"docker-containerd"`, `"podman"`,
    /// `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Docker => "docker",
            Dialect::DockerContainerd => "docker-containerd",
            Dialect::Podman => "podman",
            Dialect::Unknown => "unknown",
        }
    }
}

/// What a successful stream achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SuccessKind {
    /// A pull fetched at least one new image.
    Downloaded,
    /// A pull found everything present already.
    UpToDate,
    /// A push finished.
    Pushed,
    /// A build produced an image.
    Built,
    /// A load read at least one image.
    Loaded,
    /// An import created an image.
    Imported,
}

impl SuccessKind {
    /// Stable name used in the JSON summary: `"downloaded"`, `"up_to_date"`, …
    pub fn as_str(self) -> &'static str {
        match self {
            SuccessKind::Downloaded => "downloaded",
            SuccessKind::UpToDate => "up_to_date",
            SuccessKind::Pushed => "pushed",
            SuccessKind::Built => "built",
            SuccessKind::Loaded => "loaded",
            SuccessKind::Imported => "imported",
        }
    }
}

/// Why a stream that reported no error still did not finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IncompleteReason {
    /// No record at all.
    EmptyStream,
    /// The stream stopped inside a record.
    CutMidRecord,
    /// The stream ended cleanly, but the operation never reported that it finished.
    NoTerminalStatus,
    /// The transport said the body ended before its own end: an HTTP body cut short (a chunked
    /// body without its terminating `0` chunk, a connection closed inside a chunk, an identity
    /// body shorter than its `Content-Length`). Whatever the records said, the stream was cut:
    /// a success inferred from a clean end of stream cannot be trusted. Set through
    /// [`crate::pipeline::Pipeline::note_truncated_body`] (or [`crate::tracker::Ending::TruncatedBody`]).
    TruncatedBody,
    /// The input is not a progress stream at all: no record with a field of the progress
    /// vocabulary was decoded, and at least one stretch of bytes could not be decoded (a
    /// README, an HTML page, a binary); or the command-line tool could not read its input
    /// before any record. Given by [`crate::summary::Summary`], which sees the decoder's counts;
    /// [`crate::tracker::Tracker::outcome`] never gives it. Exit code 3.
    NotAProgressStream,
}

impl IncompleteReason {
    /// Stable name used in the JSON summary: `"empty_stream"`, `"cut_mid_record"`,
    /// `"no_terminal_status"`, `"truncated_body"`, `"not_a_progress_stream"`.
    pub fn as_str(self) -> &'static str {
        match self {
            IncompleteReason::EmptyStream => "empty_stream",
            IncompleteReason::CutMidRecord => "cut_mid_record",
            IncompleteReason::NoTerminalStatus => "no_terminal_status",
            IncompleteReason::TruncatedBody => "truncated_body",
            IncompleteReason::NotAProgressStream => "not_a_progress_stream",
        }
    }
}

/// A successful operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Success {
    /// What was achieved.
    pub kind: SuccessKind,
    /// The image reference, when the stream named it.
    pub reference: Option<String>,
    /// The manifest digest, when the stream gave it.
    pub digest: Option<String>,
    /// The image id, when the stream gave it (builds, loads, imports, Podman pulls).
    pub image_id: Option<String>,
}

/// A failed operation: the first error the daemon reported, verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// Classification of the message.
    pub kind: FailureKind,
    /// The daemon's message, decoded, verbatim.
    pub message: String,
    /// `errorDetail.code`, when set.
    pub code: Option<i64>,
}

impl Failure {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

/// How far a build got: the step it announced last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BuildStep {
    /// The step number `N` (Docker 1.x counted from 0).
    pub current: u32,
    /// The number of steps `M`, when the daemon wrote it (Docker 1.13+ and Podman).
    pub total: Option<u32>,
}

impl BuildStep {
    /// Reads the step a line of build output starts: Docker's `Step N/M : …` (`Step N : …`
    /// before 1.13) or Podman's `STEP N/M: …`. `None` for any other text.
    ///
    /// ```
    /// use pullstream::outcome::BuildStep;
    /// let step = BuildStep::parse("Step 4/5 : RUN make").unwrap();
    /// assert_eq!((step.current, step.total), (4, Some(5)));
    /// assert_eq!(BuildStep::parse("STEP 2: COPY . /src").unwrap().total, None);
    /// assert!(BuildStep::parse(" ---> Running in 0123").is_none());
    /// ```
    pub fn parse(line: &str) -> Option<BuildStep> {
        let rest = line
            .strip_prefix("Step ")
            .or_else(|| line.strip_prefix("STEP "))?;
        let digits = |text: &str| text.bytes().take_while(u8::is_ascii_digit).count();
        let n = digits(rest);
        let current = rest[..n].parse().ok()?;
        let rest = &rest[n..];
        let (total, rest) = match rest.strip_prefix('/') {
            Some(after) => {
                let m = digits(after);
                (Some(after[..m].parse().ok()?), &after[m..])
            }
            None => (None, rest),
        };
        (rest.starts_with(" :") || rest.starts_with(':')).then_some(BuildStep { current, total })
    }
}

/// An operation that did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Incomplete {
    /// Why.
    pub reason: IncompleteReason,
    /// Layers that had started but not finished, in order of first appearance.
    pub pending_layers: Vec<String>,
    /// For a build: the step it had started when the stream ended (see [`BuildStep`]).
    pub build_step: Option<BuildStep>,
}

/// The verdict on a whole stream.
///
/// A stream counts as a success only when no error was reported, it ended cleanly, and the
/// operation reported that it finished by the rules of the daemon that sent it.
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The operation finished.
    Success(Success),
    /// The daemon reported an error.
    Failed(Failure),
    /// The stream ended before the operation finished.
    Incomplete(Incomplete),
}

impl Outcome {
    /// `"success"`, `"failed"` or `"incomplete"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Success(_) => "success",
            Outcome::Failed(_) => "failed",
            Outcome::Incomplete(_) => "incomplete",
        }
    }

    /// True for [`Outcome::Success`].
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success(_))
    }
}
