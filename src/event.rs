//! Events: what one record means, classified from its fields without allocating.
//!
//! Docker never says what kind a record is; the only way to know is its `status` text, which
//! changed across daemon versions, image stores and Podman (see `docs/FORMAT.md`). The rules
//! here follow the order that survives all of them: error first, then `aux`, then `stream`, then
//! the status vocabulary, and anything unknown is passed through as [`Event::Other`].

pub use crate::error::ErrorSource;
use crate::error::SalvagedError;
pub use crate::failure::FailureKind;
use crate::json::{JsonStr, RawJson};
use crate::message::{Message, UNREADABLE_ERROR};

crate::stable_enum! {
    /// What a progress number counts.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Unit {
        /// Bytes (every progress record but the containerd store's `Extracting`).
        Bytes = 1 => "bytes",
        /// Seconds: the containerd store's `Extracting` (`"units":"s"`). Never added to byte
        /// counts.
        Seconds = 2 => "seconds",
    }
}

/// Numeric progress of one step, normalised: negative numbers and unknown totals (`-1`, absent,
/// zero) become `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Progress {
    /// Units done (bytes, or for [`Unit::Seconds`] the elapsed seconds + 1).
    pub current: Option<u64>,
    /// Units expected, when the daemon knew.
    pub total: Option<u64>,
    /// What the numbers count.
    pub unit: Unit,
    /// The daemon asked clients not to show counts (`hidecounts`).
    pub hidden: bool,
}

impl Progress {
    fn from_message(message: &Message<'_>) -> Progress {
        let detail = message.progress_detail.unwrap_or_default();
        let seconds = detail.units.is_some_and(|u| u == "s");
        Progress {
            current: detail.current.and_then(|c| u64::try_from(c).ok()),
            total: detail
                .total
                .and_then(|t| u64::try_from(t).ok())
                .filter(|&t| t > 0),
            unit: if seconds { Unit::Seconds } else { Unit::Bytes },
            hidden: detail.hidecounts == Some(true),
        }
    }
}

/// An error the daemon reported inside the stream (or as an HTTP error body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DaemonError<'a> {
    /// The message, verbatim.
    pub message: JsonStr<'a>,
    /// `errorDetail.code`, when set (exit status of a failed build step).
    pub code: Option<i64>,
    /// Classification of the message.
    pub kind: FailureKind,
    /// Which field carried it.
    pub source: ErrorSource,
}

// Here rather than beside `SalvagedError` (in `error`, a leaf every room may use): a daemon
// error and its classification belong to this room, which comes after `error`.
impl SalvagedError {
    /// The report as the event classifier gives a daemon error (an empty message reads as
    /// [`UNREADABLE_ERROR`]).
    pub fn daemon_error(&self) -> DaemonError<'_> {
        let text = if self.message.is_empty() {
            UNREADABLE_ERROR
        } else {
            self.message.as_str()
        };
        // Already decoded: its backslashes are text, not escapes.
        let message = JsonStr::from_validated(text, false);
        DaemonError {
            message,
            code: self.code,
            kind: FailureKind::classify(message),
            source: self.source,
        }
    }
}

crate::stable_enum! {
    /// How a pull ended, from its `Status:` line.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum PullResult {
        /// `Status: Downloaded newer image for …`.
        Downloaded = 1 => "downloaded",
        /// `Status: Image is up to date for …`.
        UpToDate = 2 => "up_to_date",
    }
}

/// Which record named a built image. The classic builder writes an `aux` id at the end of
/// *every* stage, so only some origins say that the whole build finished (see `docs/FORMAT.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuiltImageOrigin {
    /// `aux` `{"ID":…}` with no record id: the classic builder's result of one stage
    /// (moby `builder/dockerfile`, `emitImageID`), or Podman's compat result before its
    /// `Successfully built`.
    StageAux,
    /// `aux` `{"ID":…}` with the record id `moby.image.id`: BuildKit's final result (also the
    /// classic builder's squashed image).
    BuildResultAux,
    /// `stream` `Successfully built <short id>`: written once the whole build returned.
    SuccessfullyBuilt,
    /// A `stream` holding only an image id: `build -q`'s result, or Podman's final id line.
    IdLine,
}

crate::stable_enum! {
    /// What an [`Event`] is, without its data: one value per kind of record the classifier
    /// knows. Codes are the C `pullstream_event_kind` values and names the ones `--events`
    /// prints; the docs say which fields of the C `pullstream_event` carry the kind's values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum EventKind {
        /// A record the classifier does not know (never an error: daemons add statuses).
        Other = 0 => "other",
        /// `Pulling from <repository>`: `detail` is the repository, `tag` the tag.
        PullingFrom = 1 => "pulling_from",
        /// `Pulling fs layer`.
        PullingFsLayer = 2 => "pulling_fs_layer",
        /// `Waiting`.
        Waiting = 3 => "waiting",
        /// `Downloading`, with progress (no `layer_id` for a classic-builder `ADD <url>`).
        Downloading = 4 => "downloading",
        /// `Verifying Checksum`.
        VerifyingChecksum = 5 => "verifying_checksum",
        /// `Download complete`.
        DownloadComplete = 6 => "download_complete",
        /// `Extracting`, with progress in bytes or (containerd store) seconds.
        Extracting = 7 => "extracting",
        /// `Pull complete`.
        PullComplete = 8 => "pull_complete",
        /// `Already exists`.
        AlreadyExists = 9 => "already_exists",
        /// `Retrying in N seconds`: `retry_seconds` is N.
        Retrying = 10 => "retrying",
        /// `Digest: …`: `detail` is the digest.
        Digest = 11 => "digest",
        /// `Status: Downloaded newer image for …` / `… is up to date …`: `detail` is the reference,
        /// `pull_result` says which.
        PullFinished = 12 => "pull_finished",
        /// `The push refers to repository [...]`: `detail` is the repository.
        PushRefersTo = 13 => "push_refers_to",
        /// `Preparing`.
        Preparing = 14 => "preparing",
        /// `Pushing`, with progress.
        Pushing = 15 => "pushing",
        /// `Pushed`.
        Pushed = 16 => "pushed",
        /// `Layer already exists`.
        LayerAlreadyExists = 17 => "layer_already_exists",
        /// `Mounted from <repository>`: `detail` is the source repository.
        MountedFrom = 18 => "mounted_from",
        /// `<tag>: digest: <digest> size: <n>`: `tag`, `detail` (the digest) and `size`.
        TagDigest = 19 => "tag_digest",
        /// Push result in `aux`: `tag`, `detail` (the digest) and `size`.
        PushResult = 20 => "push_result",
        /// Build output (`stream`): `detail` is the text, not line-aligned.
        BuildOutput = 21 => "build_output",
        /// The image a build produced: `detail` is the image id.
        BuiltImage = 22 => "built_image",
        /// `Successfully tagged <reference>`: `detail` is the reference.
        Tagged = 23 => "tagged",
        /// A BuildKit trace: `detail` is the raw JSON value of `aux`, undecoded.
        BuildKitTrace = 24 => "buildkit_trace",
        /// `Loading layer`, with progress.
        LoadingLayer = 25 => "loading_layer",
        /// `Loaded image: <reference>`: `detail` is the reference.
        LoadedImage = 26 => "loaded_image",
        /// `Loaded image ID: <id>`: `detail` is the image id.
        LoadedImageId = 27 => "loaded_image_id",
        /// `Downloading from <url>`: `detail` is the URL.
        DownloadingFrom = 28 => "downloading_from",
        /// `Importing`, with progress.
        Importing = 29 => "importing",
        /// The image id an import created: `detail`.
        ImportedImage = 30 => "imported_image",
        /// Podman 2.x's single pull record: `detail` is the image id.
        PodmanPulledImage = 31 => "podman_pulled_image",
        /// `Pulling repository <name>` (legacy v1 registry): `detail` is the name.
        PullingRepository = 32 => "pulling_repository",
        /// A legacy-registry notice: `detail` is the text.
        LegacyNotice = 33 => "legacy_notice",
        /// `WARNING: …` and deprecation notices: `detail` is the text.
        Warning = 34 => "warning",
        /// Any other `aux` payload: `detail` is its raw JSON value, undecoded.
        Aux = 35 => "aux",
        /// An error reported by the daemon: `error_message`, `failure_kind`, `error_code`.
        Error = 36 => "error",
        /// `{}`: nothing to do.
        Empty = 37 => "empty",
    }
}

/// What one record means.
///
/// Variants borrow from the record. Layer ids are the daemon's short ids (12 hex digits).
///
/// ```
/// use pullstream::event::Event;
/// let mut decoder = pullstream::Decoder::new();
/// let record = decoder
///     .feed(br#"{"status":"Extracting","progressDetail":{"current":2,"units":"s"},"id":"0123456789ab"}"#)
///     .next()
///     .unwrap()?;
/// match Event::classify(record.message()) {
///     Event::Extracting { layer, progress } => {
///         assert_eq!(layer, "0123456789ab");
///         assert_eq!(progress.unit, pullstream::event::Unit::Seconds);
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), pullstream::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
// `Other` carries the whole message so an unknown record loses nothing; boxing it would cost an
// allocation per unknown record, and classification promises none.
#[allow(clippy::large_enum_variant)]
pub enum Event<'a> {
    /// `Pulling from <repository>`: a pull of one tag begins. Its `id` is the tag (or a digest
    /// reference), not a layer.
    PullingFrom {
        /// Repository path, e.g. `library/alpine`.
        repository: JsonStr<'a>,
        /// The tag or digest reference.
        tag: Option<JsonStr<'a>>,
    },
    /// `Pulling fs layer`: the layer is queued.
    PullingFsLayer {
        /// Layer id.
        layer: JsonStr<'a>,
    },
    /// `Waiting`: queued behind the concurrent-transfer limit.
    Waiting {
        /// Layer id.
        layer: JsonStr<'a>,
    },
    /// `Downloading`: bytes of a layer (no layer for a classic-builder `ADD <url>`).
    Downloading {
        /// Layer id, when there is one.
        layer: Option<JsonStr<'a>>,
        /// Bytes so far.
        progress: Progress,
    },
    /// `Verifying Checksum`.
    VerifyingChecksum {
        /// Layer id.
        layer: JsonStr<'a>,
    },
    /// `Download complete` (also, per image, on the legacy v1 registry path).
    DownloadComplete {
        /// Layer id.
        layer: JsonStr<'a>,
        /// Usually empty; the containerd store sends `hidecounts`.
        progress: Progress,
    },
    /// `Extracting`: bytes of the compressed layer, or seconds on the containerd store.
    Extracting {
        /// Layer id.
        layer: JsonStr<'a>,
        /// Progress, in [`Unit::Bytes`] or [`Unit::Seconds`].
        progress: Progress,
    },
    /// `Pull complete`: the layer is registered.
    PullComplete {
        /// Layer id.
        layer: JsonStr<'a>,
        /// Usually empty; the containerd store sends `hidecounts`.
        progress: Progress,
    },
    /// `Already exists` (alias `Exists`): the layer is present locally.
    AlreadyExists {
        /// Layer id.
        layer: JsonStr<'a>,
        /// Usually empty; the containerd store sends `hidecounts`.
        progress: Progress,
    },
    /// `Retrying in N seconds`: the transfer failed and restarts from zero.
    Retrying {
        /// Layer id.
        layer: JsonStr<'a>,
        /// Seconds until the retry.
        seconds: u32,
    },
    /// `Digest: sha256:…` (the manifest digest of the pulled tag).
    Digest {
        /// The digest.
        digest: JsonStr<'a>,
    },
    /// `Status: Downloaded newer image for …` / `Status: Image is up to date for …`.
    PullFinished {
        /// Which of the two.
        result: PullResult,
        /// The reference as the daemon wrote it (`alpine:latest`; the repository alone after
        /// `pull --all-tags`).
        reference: JsonStr<'a>,
    },
    /// `The push refers to repository [<name>]`.
    PushRefersTo {
        /// The repository name.
        repository: JsonStr<'a>,
    },
    /// `Preparing`.
    Preparing {
        /// Layer id.
        layer: JsonStr<'a>,
    },
    /// `Pushing`: bytes uploaded (may exceed the total).
    Pushing {
        /// Layer id.
        layer: JsonStr<'a>,
        /// Bytes so far.
        progress: Progress,
    },
    /// `Pushed`.
    Pushed {
        /// Layer id.
        layer: JsonStr<'a>,
    },
    /// `Layer already exists` (1.8–1.9: `Image already exists`; containerd store: `Already
    /// exists` during a push is reported as [`Event::AlreadyExists`]).
    LayerAlreadyExists {
        /// Layer id.
        layer: JsonStr<'a>,
    },
    /// `Mounted from <repository>`: the registry mounted the blob from another repository.
    MountedFrom {
        /// Layer id.
        layer: JsonStr<'a>,
        /// The source repository.
        repository: JsonStr<'a>,
    },
    /// `<tag>: digest: <digest> size: <size>`: the push of a tag finished.
    TagDigest {
        /// The tag.
        tag: JsonStr<'a>,
        /// The manifest digest.
        digest: JsonStr<'a>,
        /// The manifest size, when given.
        size: Option<u64>,
    },
    /// Push result in `aux`: `{"Tag":…,"Digest":…,"Size":…}`.
    PushResult {
        /// The tag.
        tag: Option<JsonStr<'a>>,
        /// The manifest digest.
        digest: Option<JsonStr<'a>>,
        /// The manifest size.
        size: Option<u64>,
    },
    /// A chunk of build output (`stream`). Not line-aligned.
    BuildOutput {
        /// The text, raw.
        text: JsonStr<'a>,
    },
    /// An image a build produced: `aux` `{"ID":…}` (classic builder: one per stage; BuildKit's
    /// `moby.image.id`), `Successfully built <id>`, or a bare image id line (`build -q`,
    /// Podman). [`BuiltImageOrigin`] says which, because only some of them end a build.
    BuiltImage {
        /// The image id (`sha256:…` or a short id).
        id: JsonStr<'a>,
        /// Which record carried it.
        origin: BuiltImageOrigin,
    },
    /// `Successfully tagged <reference>` (build).
    Tagged {
        /// The reference.
        reference: JsonStr<'a>,
    },
    /// A BuildKit trace (`moby.buildkit.trace`): base64 protobuf, passed through untouched.
    BuildKitTrace {
        /// The raw `aux` value.
        data: RawJson<'a>,
    },
    /// `Loading layer`: bytes of a layer read from an archive.
    LoadingLayer {
        /// Layer id (DiffID prefix).
        layer: JsonStr<'a>,
        /// Bytes so far.
        progress: Progress,
    },
    /// `Loaded image: <reference>` (Podman: several, comma-separated).
    LoadedImage {
        /// The reference(s), without the trailing newline.
        reference: JsonStr<'a>,
    },
    /// `Loaded image ID: sha256:…` (archives without tags; the first id when several).
    LoadedImageId {
        /// The image id.
        id: JsonStr<'a>,
    },
    /// `Downloading from <url>` (import from a URL).
    DownloadingFrom {
        /// The URL.
        url: JsonStr<'a>,
    },
    /// `Importing`: bytes of the imported archive.
    Importing {
        /// Bytes so far.
        progress: Progress,
    },
    /// The final status of an import: the new image id (`sha256:…`, or bare hex on old daemons
    /// and Podman).
    ImportedImage {
        /// The image id.
        id: JsonStr<'a>,
    },
    /// Podman 2.x's single pull record `pulling image (<tag>) from <names>` carrying the image id.
    PodmanPulledImage {
        /// The image id.
        id: JsonStr<'a>,
    },
    /// `Pulling repository <name>` (legacy v1 registry).
    PullingRepository {
        /// The repository.
        name: JsonStr<'a>,
    },
    /// `…: this image was pulled from a legacy registry. …` and `… has been verified`.
    LegacyNotice {
        /// The full text.
        text: JsonStr<'a>,
    },
    /// `WARNING: …`, `[DEPRECATION NOTICE] …`, schema1 notices.
    Warning {
        /// The full text.
        text: JsonStr<'a>,
    },
    /// Any other `aux` payload (e.g. containerd push notes).
    Aux {
        /// The record's `id`, if any.
        id: Option<JsonStr<'a>>,
        /// The raw value.
        data: RawJson<'a>,
    },
    /// An error reported by the daemon.
    Error(DaemonError<'a>),
    /// `{}` (or a record with no field this crate reads): written after the last update of some
    /// progress readers. Nothing to do.
    Empty,
    /// A record this classifier does not know. Never an error: new daemons add statuses.
    Other(Message<'a>),
}

/// Statuses that name a layer phase, with their aliases.
#[derive(Clone, Copy)]
enum LayerStatus {
    PullingFsLayer,
    Waiting,
    Downloading,
    VerifyingChecksum,
    DownloadComplete,
    Extracting,
    PullComplete,
    AlreadyExists,
    Preparing,
    Pushing,
    Pushed,
    LayerAlreadyExists,
    LoadingLayer,
}

const LAYER_STATUSES: &[(&str, LayerStatus)] = &[
    ("Downloading", LayerStatus::Downloading),
    ("Extracting", LayerStatus::Extracting),
    ("Pushing", LayerStatus::Pushing),
    ("Waiting", LayerStatus::Waiting),
    ("Pulling fs layer", LayerStatus::PullingFsLayer),
    ("Verifying Checksum", LayerStatus::VerifyingChecksum),
    ("Download complete", LayerStatus::DownloadComplete),
    ("Pull complete", LayerStatus::PullComplete),
    // Docker 26.0.0-rc1 briefly sent this instead of "Pull complete".
    ("PullOptions complete", LayerStatus::PullComplete),
    ("Already exists", LayerStatus::AlreadyExists),
    ("Exists", LayerStatus::AlreadyExists),
    ("Preparing", LayerStatus::Preparing),
    ("Pushed", LayerStatus::Pushed),
    ("Layer already exists", LayerStatus::LayerAlreadyExists),
    ("Image already exists", LayerStatus::LayerAlreadyExists),
    ("Loading layer", LayerStatus::LoadingLayer),
    // Docker 1.6-1.9 push (moby `graph/push_v1.go`, `graph/push_v2.go` of those releases): the
    // layer is written to a temporary file before its upload, then reported pushed or skipped.
    ("Buffering to Disk", LayerStatus::Preparing),
    ("Buffering to disk", LayerStatus::Preparing),
    ("Image successfully pushed", LayerStatus::Pushed),
    (
        "Image already pushed, skipping",
        LayerStatus::LayerAlreadyExists,
    ),
];

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A bare image id: `sha256:<64 hex>` or 64 hex digits.
fn image_id(text: JsonStr<'_>) -> bool {
    let raw = text.raw();
    let hex = raw.strip_prefix("sha256:").unwrap_or(raw);
    hex.len() == 64 && is_hex(hex)
}

/// Parses `Retrying in 5 seconds` / `Retrying in 1 second`.
fn retry_seconds(status: JsonStr<'_>) -> Option<u32> {
    let rest = status.strip_prefix("Retrying in ")?;
    let number = rest
        .strip_suffix(" seconds")
        .or_else(|| rest.strip_suffix(" second"))?;
    number.raw().parse().ok()
}

/// Parses `<tag>: digest: <digest> size: <n>` (Podman 3.1–3.4 omits ` size: <n>`).
fn tag_digest<'s>(status: JsonStr<'s>) -> Option<(JsonStr<'s>, JsonStr<'s>, Option<u64>)> {
    let raw = status.raw();
    let at = raw.find(": digest: ")?;
    let tag = &raw[..at];
    let rest = &raw[at + ": digest: ".len()..];
    let (digest, size) = match rest.find(" size: ") {
        Some(k) => (&rest[..k], rest[k + " size: ".len()..].parse().ok()),
        None => (rest, None),
    };
    if tag.is_empty() || !digest.contains(':') {
        return None;
    }
    Some((JsonStr::plain(tag), JsonStr::plain(digest), size))
}

/// The repository of a v1 `Pulling image (<tag>) from <repository>[, endpoint: <url>]`.
fn v1_pulling_image(status: JsonStr<'_>) -> Option<JsonStr<'_>> {
    let rest = status.strip_prefix("Pulling image (")?.raw();
    let from = rest.find(") from ")?;
    let repository = &rest[from + ") from ".len()..];
    let repository = repository.split(", ").next().unwrap_or_default();
    (!repository.is_empty()).then(|| JsonStr::plain(repository))
}

/// The tag of a v1 `Pushing tag for rev [<id>] on {<endpoint>repositories/<name>/tags/<tag>}`.
fn v1_pushing_tag(status: JsonStr<'_>) -> Option<JsonStr<'_>> {
    let rest = status.strip_prefix("Pushing tag for rev [")?.raw();
    let target = rest.strip_suffix('}')?;
    let tag = &target[target.rfind("/tags/")? + "/tags/".len()..];
    (!tag.is_empty()).then(|| JsonStr::plain(tag))
}

/// The image id of a v1 `Image <id> already pushed, skipping` (the id is in the text).
fn v1_already_pushed(status: JsonStr<'_>) -> Option<JsonStr<'_>> {
    let id = status
        .strip_prefix("Image ")?
        .raw()
        .strip_suffix(" already pushed, skipping")?;
    is_hex(id).then(|| JsonStr::plain(id))
}

impl<'a> Event<'a> {
    /// Classifies one record. Never fails and never allocates.
    pub fn classify(message: &Message<'a>) -> Event<'a> {
        if let Some(error) = Self::error(message) {
            return Event::Error(error);
        }
        if let Some(aux) = message.aux {
            return Self::aux(message, aux);
        }
        if let Some(text) = message.stream {
            return Self::stream(text);
        }
        if let Some(status) = message.status {
            return Self::status(message, status);
        }
        if *message == Message::default() {
            return Event::Empty;
        }
        Event::Other(*message)
    }

    fn error(message: &Message<'a>) -> Option<DaemonError<'a>> {
        let detail = message.error_detail.unwrap_or_default();
        let detail_message = detail.message.filter(|m| !m.is_empty());
        let legacy = message.error.filter(|m| !m.is_empty());
        let (text, source) = match (detail_message, legacy) {
            (Some(text), _) => (text, ErrorSource::ErrorDetail),
            (None, Some(text)) => (text, ErrorSource::Legacy),
            // A record with an `errorDetail` is an error whatever else is wrong with it (a code
            // that is not a number, no message). An empty `error` alone is not: Podman 2 sends
            // `"error":""` on every record.
            (None, None) if message.error_detail.is_some() => {
                (JsonStr::plain("unknown error"), ErrorSource::ErrorDetail)
            }

            // An HTTP error body: `{"message": …}` (Podman adds "cause" and "response").
            (None, None) => match message.message {
                Some(text) if message.status.is_none() && message.stream.is_none() => {
                    (text, ErrorSource::HttpBody)
                }
                _ => return None,
            },
        };
        Some(DaemonError {
            message: text,
            code: detail.code,
            kind: FailureKind::classify(text),
            source,
        })
    }

    fn aux(message: &Message<'a>, aux: RawJson<'a>) -> Event<'a> {
        let id = message.id;
        if id.is_some_and(|id| id == "moby.buildkit.trace") {
            return Event::BuildKitTrace { data: aux };
        }
        if let Some(image) = aux.field("ID").and_then(|v| v.as_str()) {
            let origin = if id.is_some_and(|id| id == "moby.image.id") {
                BuiltImageOrigin::BuildResultAux
            } else {
                BuiltImageOrigin::StageAux
            };
            return Event::BuiltImage { id: image, origin };
        }
        if let Some(digest) = aux.field("Digest").and_then(|v| v.as_str()) {
            return Event::PushResult {
                tag: aux.field("Tag").and_then(|v| v.as_str()),
                digest: Some(digest),
                size: aux
                    .field("Size")
                    .and_then(|v| v.as_i64())
                    .and_then(|s| u64::try_from(s).ok()),
            };
        }
        Event::Aux { id, data: aux }
    }

    fn stream(text: JsonStr<'a>) -> Event<'a> {
        let line = text.strip_suffix("\n").unwrap_or(text);
        if let Some(rest) = line.strip_prefix("Loaded image ID: ") {
            // Several ids arrive in one record, one per line: report the first.
            let first = rest.raw().split("\\n").next().unwrap_or_default();
            return Event::LoadedImageId {
                id: JsonStr::plain(first),
            };
        }
        if let Some(reference) = line.strip_prefix("Loaded image: ") {
            return Event::LoadedImage { reference };
        }
        if let Some(id) = line.strip_prefix("Successfully built ") {
            return Event::BuiltImage {
                id,
                origin: BuiltImageOrigin::SuccessfullyBuilt,
            };
        }
        if let Some(reference) = line.strip_prefix("Successfully tagged ") {
            return Event::Tagged { reference };
        }
        // `docker build -q` writes only `sha256:<id>`; Podman's builder writes the bare 64-hex
        // image id as a line of its own.
        if image_id(line) {
            return Event::BuiltImage {
                id: line,
                origin: BuiltImageOrigin::IdLine,
            };
        }
        // The containerd store reports a failed load as a line of output.
        if line.starts_with("Error unpacking image ") {
            return Event::Error(DaemonError {
                message: line,
                code: None,
                kind: FailureKind::classify(line),
                source: ErrorSource::Stream,
            });
        }
        // Graphdriver load: a tag moved from an old image to the loaded one.
        if line.starts_with("The image ")
            && line.raw().contains("already exists, renaming the old one")
        {
            return Event::Warning { text: line };
        }
        Event::BuildOutput { text }
    }

    fn status(message: &Message<'a>, status: JsonStr<'a>) -> Event<'a> {
        let id = message.id.filter(|id| !id.is_empty());
        let progress = Progress::from_message(message);
        // The fixed layer vocabulary first: it is most of every stream.
        let layer_status = LAYER_STATUSES
            .iter()
            .find(|(name, _)| status == *name)
            .map(|(_, kind)| *kind);
        if let Some(kind) = layer_status {
            if let Some(event) = Self::layer(kind, id, progress) {
                return event;
            }
        }
        if let (Some(layer), Some(seconds)) = (id, retry_seconds(status)) {
            return Event::Retrying { layer, seconds };
        }
        if let Some(repository) = status.strip_prefix("Pulling from ") {
            return Event::PullingFrom {
                repository,
                tag: id,
            };
        }
        if let Some(digest) = status.strip_prefix("Digest: ") {
            return Event::Digest { digest };
        }
        if let Some(reference) = status.strip_prefix("Status: Downloaded newer image for ") {
            return Event::PullFinished {
                result: PullResult::Downloaded,
                reference,
            };
        }
        if let Some(reference) = status.strip_prefix("Status: Image is up to date for ") {
            return Event::PullFinished {
                result: PullResult::UpToDate,
                reference,
            };
        }
        let push_prefix = status
            .strip_prefix("The push refers to repository [")
            .or_else(|| status.strip_prefix("The push refers to a repository ["));
        if let Some(rest) = push_prefix {
            let name = rest.raw().split(']').next().unwrap_or_default();
            return Event::PushRefersTo {
                repository: JsonStr::plain(name),
            };
        }
        if let (Some(layer), Some(repository)) = (id, status.strip_prefix("Mounted from ")) {
            return Event::MountedFrom { layer, repository };
        }
        if let Some((tag, digest, size)) = tag_digest(status) {
            return Event::TagDigest { tag, digest, size };
        }
        if id.is_none() && status == "Importing" {
            return Event::Importing { progress };
        }
        if let Some(url) = status.strip_prefix("Downloading from ") {
            return Event::DownloadingFrom { url };
        }
        if image_id(status) {
            return Event::ImportedImage { id: status };
        }
        if status.starts_with("pulling image (") {
            if let Some(image) = id.filter(|i| is_hex(i.raw())) {
                return Event::PodmanPulledImage { id: image };
            }
        }
        if let Some(name) = status.strip_prefix("Pulling repository ") {
            return Event::PullingRepository { name };
        }
        // v1 registry pull of one tag (Docker <= 1.9 `graph/pull_v1.go`, Red Hat's docker):
        // `Pulling image (<tag>) from <repository>[, endpoint: <url>]`, id = the v1 image id.
        if let Some(name) = v1_pulling_image(status) {
            return Event::PullingRepository { name };
        }
        // v1 registry push (Docker <= 1.9 `graph/push_v1.go`): the tag is written last.
        if let Some(tag) = v1_pushing_tag(status) {
            return Event::PushResult {
                tag: Some(tag),
                digest: None,
                size: None,
            };
        }
        if let Some(layer) = v1_already_pushed(status) {
            return Event::LayerAlreadyExists { layer };
        }
        let raw = status.raw();
        if raw.contains("pulled from a legacy registry") || raw.contains("has been verified") {
            return Event::LegacyNotice { text: status };
        }
        let trimmed = raw.trim_start_matches("\\n");
        if trimmed.starts_with("WARNING")
            || trimmed.starts_with("[DEPRECATION NOTICE]")
            || raw.contains("outdated schema1")
        {
            return Event::Warning { text: status };
        }
        Event::Other(*message)
    }

    fn layer(kind: LayerStatus, id: Option<JsonStr<'a>>, progress: Progress) -> Option<Event<'a>> {
        if let LayerStatus::Downloading = kind {
            return Some(Event::Downloading {
                layer: id,
                progress,
            });
        }
        if let (LayerStatus::LoadingLayer, None) = (kind, id) {
            return None;
        }
        let layer = id?;
        Some(match kind {
            LayerStatus::PullingFsLayer => Event::PullingFsLayer { layer },
            LayerStatus::Waiting => Event::Waiting { layer },
            LayerStatus::VerifyingChecksum => Event::VerifyingChecksum { layer },
            LayerStatus::DownloadComplete => Event::DownloadComplete { layer, progress },
            LayerStatus::Extracting => Event::Extracting { layer, progress },
            LayerStatus::PullComplete => Event::PullComplete { layer, progress },
            LayerStatus::AlreadyExists => Event::AlreadyExists { layer, progress },
            LayerStatus::Preparing => Event::Preparing { layer },
            LayerStatus::Pushing => Event::Pushing { layer, progress },
            LayerStatus::Pushed => Event::Pushed { layer },
            LayerStatus::LayerAlreadyExists => Event::LayerAlreadyExists { layer },
            LayerStatus::LoadingLayer => Event::LoadingLayer { layer, progress },
            LayerStatus::Downloading => Event::Downloading {
                layer: Some(layer),
                progress,
            },
        })
    }

    /// The layer this event is about, if any.
    pub fn layer_id(&self) -> Option<JsonStr<'a>> {
        match *self {
            Event::PullingFsLayer { layer }
            | Event::Waiting { layer }
            | Event::VerifyingChecksum { layer }
            | Event::DownloadComplete { layer, .. }
            | Event::Extracting { layer, .. }
            | Event::PullComplete { layer, .. }
            | Event::AlreadyExists { layer, .. }
            | Event::Retrying { layer, .. }
            | Event::Preparing { layer }
            | Event::Pushing { layer, .. }
            | Event::Pushed { layer }
            | Event::LayerAlreadyExists { layer }
            | Event::MountedFrom { layer, .. }
            | Event::LoadingLayer { layer, .. } => Some(layer),
            Event::Downloading { layer, .. } => layer,
            _ => None,
        }
    }

    /// The progress this event reports, for the kinds that carry one (downloading,
    /// extracting, pushing, loading, importing, and the layer states that end those).
    ///
    /// ```
    /// use pullstream::{Event, Message};
    ///
    /// let record = br#"{"status":"Downloading","progressDetail":{"current":5,"total":10},"id":"a1"}"#;
    /// let message = Message::parse(record, 16).unwrap();
    /// let progress = Event::classify(&message).progress().unwrap();
    /// assert_eq!((progress.current, progress.total), (Some(5), Some(10)));
    /// ```
    pub fn progress(&self) -> Option<Progress> {
        match *self {
            Event::Downloading { progress, .. }
            | Event::DownloadComplete { progress, .. }
            | Event::Extracting { progress, .. }
            | Event::PullComplete { progress, .. }
            | Event::AlreadyExists { progress, .. }
            | Event::Pushing { progress, .. }
            | Event::LoadingLayer { progress, .. }
            | Event::Importing { progress } => Some(progress),
            _ => None,
        }
    }

    /// What this event is, without its data.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::PullingFrom { .. } => EventKind::PullingFrom,
            Event::PullingFsLayer { .. } => EventKind::PullingFsLayer,
            Event::Waiting { .. } => EventKind::Waiting,
            Event::Downloading { .. } => EventKind::Downloading,
            Event::VerifyingChecksum { .. } => EventKind::VerifyingChecksum,
            Event::DownloadComplete { .. } => EventKind::DownloadComplete,
            Event::Extracting { .. } => EventKind::Extracting,
            Event::PullComplete { .. } => EventKind::PullComplete,
            Event::AlreadyExists { .. } => EventKind::AlreadyExists,
            Event::Retrying { .. } => EventKind::Retrying,
            Event::Digest { .. } => EventKind::Digest,
            Event::PullFinished { .. } => EventKind::PullFinished,
            Event::PushRefersTo { .. } => EventKind::PushRefersTo,
            Event::Preparing { .. } => EventKind::Preparing,
            Event::Pushing { .. } => EventKind::Pushing,
            Event::Pushed { .. } => EventKind::Pushed,
            Event::LayerAlreadyExists { .. } => EventKind::LayerAlreadyExists,
            Event::MountedFrom { .. } => EventKind::MountedFrom,
            Event::TagDigest { .. } => EventKind::TagDigest,
            Event::PushResult { .. } => EventKind::PushResult,
            Event::BuildOutput { .. } => EventKind::BuildOutput,
            Event::BuiltImage { .. } => EventKind::BuiltImage,
            Event::Tagged { .. } => EventKind::Tagged,
            Event::BuildKitTrace { .. } => EventKind::BuildKitTrace,
            Event::LoadingLayer { .. } => EventKind::LoadingLayer,
            Event::LoadedImage { .. } => EventKind::LoadedImage,
            Event::LoadedImageId { .. } => EventKind::LoadedImageId,
            Event::DownloadingFrom { .. } => EventKind::DownloadingFrom,
            Event::Importing { .. } => EventKind::Importing,
            Event::ImportedImage { .. } => EventKind::ImportedImage,
            Event::PodmanPulledImage { .. } => EventKind::PodmanPulledImage,
            Event::PullingRepository { .. } => EventKind::PullingRepository,
            Event::LegacyNotice { .. } => EventKind::LegacyNotice,
            Event::Warning { .. } => EventKind::Warning,
            Event::Aux { .. } => EventKind::Aux,
            Event::Error(_) => EventKind::Error,
            Event::Empty => EventKind::Empty,
            Event::Other(_) => EventKind::Other,
        }
    }

    /// The stable snake_case name of [`Event::kind`] (used by `--events` and the C API).
    pub fn kind_name(&self) -> &'static str {
        self.kind().name()
    }
}
