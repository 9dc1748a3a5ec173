//! Outcome: the verdict at the end of a stream — success (of what kind), failed (why), or
//! incomplete (why, and what was still pending).

use crate::event::FailureKind;

crate::stable_enum! {
    /// What kind of operation the stream reported on, detected from its vocabulary.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Operation {
        /// Nothing in the stream said.
        Unknown = 0 => "unknown",
        /// `POST /images/create?fromImage=` (also the base-image pulls inside a build).
        Pull = 1 => "pull",
        /// `POST /images/{name}/push`.
        Push = 2 => "push",
        /// `POST /build`.
        Build = 3 => "build",
        /// `POST /images/load`.
        Load = 4 => "load",
        /// `POST /images/create?fromSrc=`.
        Import = 5 => "import",
    }
}

impl Default for Operation {
    /// [`Operation::Unknown`].
    fn default() -> Self {
        Operation::Unknown
    }
}

crate::stable_enum! {
    /// Which daemon (and image store) produced the stream, detected from its vocabulary.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Dialect {
        /// Not enough vocabulary to tell.
        Unknown = 0 => "unknown",
        /// Docker Engine with the classic (graphdriver) image store.
        Docker = 1 => "docker",
        /// Docker Engine with the containerd image store (`hidecounts`, `Extracting` in
        /// seconds).
        DockerContainerd = 2 => "docker-containerd",
        /// Podman's Docker-compatible API.
        Podman = 3 => "podman",
    }
}

impl Default for Dialect {
    /// [`Dialect::Unknown`].
    fn default() -> Self {
        Dialect::Unknown
    }
}

crate::stable_enum! {
    /// What a successful stream achieved.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum SuccessKind {
        /// A pull fetched at least one new image.
        Downloaded = 1 => "downloaded",
        /// A pull found everything present already.
        UpToDate = 2 => "up_to_date",
        /// A push finished.
        Pushed = 3 => "pushed",
        /// A build produced an image.
        Built = 4 => "built",
        /// A load read at least one image.
        Loaded = 5 => "loaded",
        /// An import created an image.
        Imported = 6 => "imported",
    }
}

crate::stable_enum! {
    /// Why a stream that reported no error still did not finish.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum IncompleteReason {
        /// No record at all.
        EmptyStream = 1 => "empty_stream",
        /// The stream stopped inside a record.
        CutMidRecord = 2 => "cut_mid_record",
        /// The stream ended cleanly, but the operation never reported that it finished.
        NoTerminalStatus = 3 => "no_terminal_status",
        /// The transport said the body ended before its own end: an HTTP body cut short (a
        /// chunked body without its terminating `0` chunk, a connection closed inside a chunk,
        /// an identity body shorter than its `Content-Length`). Whatever the records said, the
        /// stream was cut: a success inferred from a clean end of stream cannot be trusted. Told
        /// by the caller: `Pipeline::note_truncated_body` or `Ending::TruncatedBody` in Rust,
        /// `pullstream_http_finish_into` or `pullstream_decoder_set_truncated_body` in C.
        TruncatedBody = 4 => "truncated_body",
        /// The input is not a progress stream at all: no record with a field of the progress
        /// vocabulary was decoded, and at least one stretch of bytes could not be decoded (a
        /// README, an HTML page, a binary); or the command-line tool could not read its input
        /// before any record. Given by the summary, which sees the decoder's counts; the
        /// tracker's own outcome never gives it. Exit code 3.
        NotAProgressStream = 5 => "not_a_progress_stream",
        /// The caller stopped reading because the operation made no progress for longer than
        /// it allows (the command-line tool's `--stall-timeout`). Told by the caller:
        /// `Summary::set_stopped_early`.
        Stalled = 6 => "stalled",
        /// The caller stopped reading because its time limit for the whole operation ran out
        /// (the command-line tool's `--timeout`). Told by the caller:
        /// `Summary::set_stopped_early`.
        TimedOut = 7 => "timed_out",
        /// The caller stopped reading because it was asked to (Ctrl-C): closing the connection
        /// makes the daemon cancel the operation. Told by the caller:
        /// `Summary::set_stopped_early`.
        Cancelled = 8 => "cancelled",
    }
}

crate::stable_enum! {
    /// Which of the three verdicts an [`Outcome`] is (the JSON summary's `outcome`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Verdict {
        /// The operation finished.
        Success = 1 => "success",
        /// The daemon reported an error.
        Failed = 2 => "failed",
        /// The stream ended before the operation finished.
        Incomplete = 3 => "incomplete",
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
#[non_exhaustive]
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
#[non_exhaustive]
pub enum Outcome {
    /// The operation finished.
    Success(Success),
    /// The daemon reported an error.
    Failed(Failure),
    /// The stream ended before the operation finished.
    Incomplete(Incomplete),
}

impl Outcome {
    /// Which verdict this is.
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Success(_) => Verdict::Success,
            Outcome::Failed(_) => Verdict::Failed,
            Outcome::Incomplete(_) => Verdict::Incomplete,
        }
    }

    /// `"success"`, `"failed"` or `"incomplete"` (the name of [`Outcome::verdict`]).
    pub fn as_str(&self) -> &'static str {
        self.verdict().name()
    }

    /// True for [`Outcome::Success`].
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success(_))
    }
}
