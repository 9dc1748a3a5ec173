//! Which operation (pull, push, build, load, import) and which daemon (dialect) the stream
//! comes from, told from its vocabulary.

use super::*;

/// Vocabulary seen so far that tells daemons apart.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Markers {
    pub(super) docker: bool,
    pub(super) containerd: bool,
    pub(super) podman: bool,
    pub(super) legacy_v1: bool,
    pub(super) pulling_from: bool,
}

impl Tracker {
    pub(super) fn note_operation_and_dialect(&mut self, event: &Event<'_>) {
        use Event as E;
        let (operation, strong) = match event {
            E::PullingFrom { .. }
            | E::PullingFsLayer { .. }
            | E::VerifyingChecksum { .. }
            | E::Extracting { .. }
            | E::PullComplete { .. }
            | E::Digest { .. }
            | E::PullFinished { .. }
            | E::PullingRepository { .. }
            | E::LegacyNotice { .. }
            | E::PodmanPulledImage { .. }
            | E::Downloading { layer: Some(_), .. } => (Operation::Pull, true),
            // Both pulls and (containerd) pushes use these.
            E::Waiting { .. }
            | E::AlreadyExists { .. }
            | E::DownloadComplete { .. }
            | E::Retrying { .. } => (Operation::Pull, false),
            E::PushRefersTo { .. }
            | E::Preparing { .. }
            | E::Pushing { .. }
            | E::Pushed { .. }
            | E::LayerAlreadyExists { .. }
            | E::MountedFrom { .. }
            | E::TagDigest { .. }
            | E::PushResult { .. } => (Operation::Push, true),
            E::DownloadingFrom { .. } | E::Importing { .. } | E::ImportedImage { .. } => {
                (Operation::Import, true)
            }
            E::LoadingLayer { .. } | E::LoadedImage { .. } | E::LoadedImageId { .. } => {
                (Operation::Load, true)
            }
            E::BuiltImage { .. } | E::Tagged { .. } | E::BuildKitTrace { .. } => {
                (Operation::Build, true)
            }
            // Red Hat's docker wrote `Trying to pull repository …` as a `stream` record before
            // its pull records (atomic-reactor's captured logs show it).
            E::BuildOutput { text } if text.starts_with("Trying to pull repository ") => {
                (Operation::Pull, false)
            }
            // A build announces its steps; any other text is only a hint, because other
            // operations write `stream` lines too.
            E::BuildOutput { text } => (
                Operation::Build,
                text.starts_with("Step ") || text.starts_with("STEP "),
            ),
            // A classic build's `ADD <url>`; pulls always name the layer.
            E::Downloading { layer: None, .. } => (Operation::Build, false),
            // Only build steps fail with an exit code.
            E::Error(error) if error.kind == FailureKind::BuildFailed => (Operation::Build, false),
            _ => (Operation::Unknown, false),
        };
        // The first signal decides, except that a pull can turn out to be a build's base-image
        // pull, and a weak guess gives way to any strong signal.
        let replace = match (self.operation, self.operation_is_strong) {
            (Operation::Unknown, _) => operation != Operation::Unknown,
            (_, false) => strong,
            (Operation::Pull, true) => strong && operation == Operation::Build,
            _ => false,
        };
        if replace {
            self.operation = operation;
            self.operation_is_strong = strong;
        }

        let markers = &mut self.markers;
        match event {
            E::Downloading { progress, .. }
            | E::Extracting { progress, .. }
            | E::Pushing { progress, .. }
            | E::DownloadComplete { progress, .. }
            | E::AlreadyExists { progress, .. }
            | E::PullComplete { progress, .. }
                if progress.hidden || progress.unit == Unit::Seconds =>
            {
                markers.containerd = true
            }
            E::PullingFrom { .. } => {
                markers.docker = true;
                markers.pulling_from = true;
            }
            E::Digest { .. }
            | E::PullFinished { .. }
            | E::Waiting { .. }
            | E::VerifyingChecksum { .. }
            | E::Extracting { .. }
            | E::PushRefersTo { .. }
            | E::Preparing { .. }
            | E::LoadingLayer { .. }
            | E::LoadedImageId { .. }
            | E::BuildKitTrace { .. }
            | E::ImportedImage { .. }
            | E::DownloadingFrom { .. } => markers.docker = true,
            E::PullingRepository { .. } | E::LegacyNotice { .. } => {
                markers.docker = true;
                markers.legacy_v1 = true;
            }
            E::PodmanPulledImage { .. } => markers.podman = true,
            E::BuildOutput { text } => {
                if text.starts_with("STEP ") {
                    markers.podman = true;
                } else if text.starts_with("Step ") {
                    markers.docker = true;
                }
            }
            _ => {}
        }
    }

    /// The dialect, from the vocabulary seen so far.
    pub fn dialect(&self) -> Dialect {
        let m = self.markers;
        if m.containerd {
            Dialect::DockerContainerd
        } else if m.docker {
            Dialect::Docker
        } else if m.podman || (self.operation == Operation::Pull && !self.layers.is_empty()) {
            // Podman's compat pull has layer statuses but none of Docker's framing lines.
            Dialect::Podman
        } else {
            Dialect::Unknown
        }
    }

    /// The operation, from the vocabulary seen so far.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// How far a build got: the latest `Step N/M` (Docker's classic builder) or `STEP N/M:`
    /// (Podman) it started. `None` for other operations and for BuildKit, whose steps are
    /// inside its traces.
    pub fn build_step(&self) -> Option<BuildStep> {
        (self.operation == Operation::Build)
            .then_some(self.found.build_step)
            .flatten()
    }
}
