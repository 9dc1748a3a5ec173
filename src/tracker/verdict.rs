//! The verdict: what the stream said about its result, and the outcome it adds up to by the
//! rules of the daemon that sent it.

use super::*;

/// How the byte stream ended, as the decoder (and the transport, when it knows) saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ending {
    /// The stream ended between records.
    Clean,
    /// The stream stopped inside a record.
    CutMidRecord,
    /// The transport said the body ended before its own end (an HTTP body cut short). It
    /// outranks [`Ending::CutMidRecord`]: the framing proves the cut.
    TruncatedBody {
        /// The decoder was also inside a record when the body ended.
        inside_record: bool,
    },
}

/// What the stream said about its result so far.
#[derive(Clone, Debug, Default)]
pub(super) struct Findings {
    pub(super) first_error: Option<Failure>,
    /// A `Status:` line came after the last `Pulling from`.
    pub(super) pull_finished: bool,
    pub(super) any_downloaded: bool,
    pub(super) any_pull_result: bool,
    pub(super) pull_reference: Option<String>,
    pub(super) push_repository: Option<String>,
    pub(super) push_tag: Option<String>,
    pub(super) push_finished: bool,
    pub(super) digest: Option<String>,
    pub(super) built_image: Option<String>,
    /// A record that only the end of a whole build writes came (see `build_finished`).
    pub(super) build_finished: bool,
    /// The latest `Step N/M` (Docker) or `STEP N/M:` (Podman) a build started.
    pub(super) build_step: Option<BuildStep>,
    /// A Docker `Step N` line came: the build is not a quiet (`q=1`) one, so an id line is a
    /// step's own output, never the build's result.
    pub(super) docker_build_steps: bool,
    pub(super) tagged: Option<String>,
    pub(super) loaded_reference: Option<String>,
    pub(super) loaded_id: Option<String>,
    /// A `Loaded image…` line came and no layer loaded after it (a later `Loading layer`
    /// belongs to the archive's next image).
    pub(super) load_finished: bool,
    pub(super) imported_id: Option<String>,
    pub(super) podman_image: Option<String>,
    /// The last record could be Podman's closing record (see [`Tracker::podman_final_image`]):
    /// the index of the id it named.
    pub(super) podman_closing_candidate: Option<usize>,
}

impl Tracker {
    pub(super) fn finish_push(&mut self, tag: Option<JsonStr<'_>>, digest: Option<JsonStr<'_>>) {
        if let Some(tag) = tag {
            let tag = self.keep_text(tag);
            self.current_segment().tag = Some(tag.clone());
            self.found.push_tag = Some(tag);
        }
        if let Some(digest) = digest {
            let digest = self.keep_text(digest);
            self.current_segment().digest = Some(digest.clone());
            self.found.digest = Some(digest);
        }
        self.found.push_finished = true;
        // The daemon puts the manifest only after every layer of the tag was pushed (moby
        // `distribution/push_v2.go`, `daemon/containerd/image_push.go`, and the v1 pusher): a
        // layer still open here lost its last record, it is not still being pushed.
        for layer in &mut self.layers[self.segment_start..] {
            if layer.phase < Phase::Done {
                layer.phase = Phase::Done;
                layer.completion = Some(Completion::Pushed);
            }
        }
    }

    /// `Loaded image` means every layer read from the archive is in.
    pub(super) fn finish_loading(&mut self) {
        self.found.load_finished = true;
        for layer in &mut self.layers[self.segment_start..] {
            if layer.phase == Phase::Transferring {
                layer.phase = Phase::Done;
                layer.completion = Some(Completion::Loaded);
            }
        }
    }

    /// A layer event after a record that ends one image of a push or a load means the daemon
    /// went on with another one: the operation is unfinished until that one's own closing
    /// record. moby `distribution/push_v2.go` pushes tag after tag (layers, then
    /// `<tag>: digest:`), and `image/tarexport/load.go` loads image after image (layers, then
    /// `Loaded image…`); the v1 and Docker 1.6–1.8 pushers go tag by tag likewise.
    pub(super) fn reopen_if_more_follows(&mut self, event: &Event<'_>) {
        match (self.operation, event) {
            (Operation::Push, _) => self.found.push_finished = false,
            (Operation::Load, Event::LoadingLayer { .. }) => self.found.load_finished = false,
            _ => {}
        }
    }

    /// Whether a built-image record names the build's result, and whether it says that the
    /// whole build finished. Build steps print what they like (pip writes `Successfully built
    /// <package>`, a `RUN` may print a digest), so a record counts only in the form the daemon
    /// writes it and only where no step is still to come:
    ///
    /// - `Successfully built <id>`: moby `api/server/backend/build/backend.go` writes it once
    ///   `Build` returned, with the 12-digit short id (`stringid.TruncateID`); Podman's compat
    ///   handler writes the same 12 digits.
    /// - an id line (`sha256:<64 hex>` or 64 hex): Docker writes it only for a quiet build
    ///   (`build_routes.go` `postBuild`), whose steps are never shown, so it never counts after
    ///   a Docker `Step` line; Podman's builder writes it at the end, after its last `STEP`.
    /// - a stage's aux id: the classic builder writes one per stage; it is the result only
    ///   after the last `Step M/M` started.
    /// - BuildKit's `moby.image.id` aux: always the result.
    pub(super) fn build_result(&self, id: JsonStr<'_>, origin: BuiltImageOrigin) -> (bool, bool) {
        let step = self.found.build_step;
        // No step is still to come: none was announced, its count is unknown (Docker before
        // 1.13 wrote `Step N :`), or the last one started.
        let steps_done = step.is_none_or(|s| s.total.is_none_or(|total| s.current >= total));
        let last_step_started = step.is_some_and(|s| s.total == Some(s.current));
        match origin {
            BuiltImageOrigin::StageAux => (true, last_step_started),
            BuiltImageOrigin::BuildResultAux => (true, true),
            BuiltImageOrigin::SuccessfullyBuilt => {
                let counts = steps_done && id.raw().len() == 12 && is_hex(id.raw());
                (counts, counts)
            }
            BuiltImageOrigin::IdLine => {
                let counts = steps_done && !self.found.docker_build_steps;
                (counts, counts)
            }
        }
    }

    /// Whether `Download complete` is a layer's last phase in this segment: on Podman, the
    /// legacy v1 registry, and containerd stores that do not report extraction (Docker 24–27).
    pub(super) fn download_is_final(&self, segment: usize) -> bool {
        match self.dialect() {
            Dialect::Podman => true,
            _ if self.markers.legacy_v1 => true,
            Dialect::DockerContainerd => !self.layers.iter().any(|layer| {
                layer.segment == segment
                    && (layer.phase == Phase::Extracting
                        || layer.completion == Some(Completion::Pulled))
            }),
            _ => false,
        }
    }

    /// The id of Podman's closing record, when the stream ended on one.
    ///
    /// Podman's compat pull handler (containers/podman `pkg/api/handlers/compat/images.go`,
    /// 3.x-4.x; `pkg/api/handlers/utils/images.go` `CompatPull`, 4.6+) relays containers/image's
    /// progress events over an unbuffered channel and, once the pull returned, writes one more
    /// record: `Download complete` (`Pull complete` in 3.1, and for libpod requests in
    /// 3.2-4.5) with the first 12 digits of the image id, which is the config digest.
    pub(super) fn podman_final_image(&self) -> Option<usize> {
        (self.dialect() == Dialect::Podman && self.operation == Operation::Pull)
            .then_some(self.found.podman_closing_candidate)
            .flatten()
    }

    /// The verdict, given how the byte stream ended. Can be asked at any time; it does not
    /// change the state.
    pub fn outcome(&self, ending: Ending) -> Outcome {
        if let Some(failure) = &self.found.first_error {
            return Outcome::Failed(failure.clone());
        }
        let incomplete = |reason| {
            Outcome::Incomplete(Incomplete {
                reason,
                pending_layers: self.pending_layers(),
                build_step: self.build_step(),
            })
        };
        match ending {
            Ending::CutMidRecord => return incomplete(IncompleteReason::CutMidRecord),
            Ending::TruncatedBody { .. } => return incomplete(IncompleteReason::TruncatedBody),
            Ending::Clean => {}
        }
        if self.events == 0 {
            return incomplete(IncompleteReason::EmptyStream);
        }
        match self.success() {
            Some(success) => Outcome::Success(success),
            None => incomplete(IncompleteReason::NoTerminalStatus),
        }
    }

    pub(super) fn success(&self) -> Option<Success> {
        let (finished, details) = self.result_details();
        finished.then_some(details)
    }

    /// What the stream has said about the image so far (reference, digest, image id), whatever
    /// the outcome: a failed push may still have named its digest.
    pub fn image_details(&self) -> Success {
        self.result_details().1
    }

    /// Whether the operation reported that it finished, and what it reported.
    pub(super) fn result_details(&self) -> (bool, Success) {
        let found = &self.found;
        let mut details = Success {
            kind: SuccessKind::Downloaded,
            reference: None,
            digest: found.digest.clone(),
            image_id: None,
        };
        let finished = match self.operation {
            Operation::Pull => {
                details.reference = found.pull_reference.clone();
                if found.any_pull_result && !found.any_downloaded {
                    details.kind = SuccessKind::UpToDate;
                }
                if let Some(id) = &found.podman_image {
                    details.image_id = Some(id.clone());
                    true
                } else if self.markers.pulling_from || self.markers.legacy_v1 {
                    found.pull_finished
                } else if found.any_pull_result {
                    true
                } else {
                    match self.dialect() {
                        // Docker 24's containerd store writes no closing record at all (moby
                        // `daemon/containerd/image_pull.go` of 24.0): its end cannot be told
                        // from a cut, so it is never called finished.
                        Dialect::Podman => match self.podman_final_image() {
                            Some(image) => {
                                details.image_id = Some(self.layers[image].id.to_string());
                                self.pending_layers().is_empty()
                            }
                            None => false,
                        },
                        _ => false,
                    }
                }
            }
            Operation::Push => {
                details.kind = SuccessKind::Pushed;
                details.reference = match (&found.push_repository, &found.push_tag) {
                    (Some(repository), Some(tag)) => Some(format!("{repository}:{tag}")),
                    (Some(repository), None) => Some(repository.clone()),
                    _ => None,
                };
                // `push --all-tags` reports a digest per tag: a layer still pending means
                // another tag was on its way when the stream ended.
                found.push_finished && self.pending_layers().is_empty()
            }
            Operation::Build => {
                details.kind = SuccessKind::Built;
                // Until the build's result came, an id names an earlier stage's image, not
                // the build's.
                details.image_id = found
                    .build_finished
                    .then(|| found.built_image.clone())
                    .flatten();
                details.reference = found.tagged.clone();
                // A `Digest:` inside a build belongs to its base image.
                details.digest = None;
                found.build_finished
            }
            Operation::Load => {
                details.kind = SuccessKind::Loaded;
                details.reference = found.loaded_reference.clone();
                details.image_id = found.loaded_id.clone();
                // A layer still loading after the last `Loaded image` line belongs to the
                // archive's next image.
                found.load_finished && self.pending_layers().is_empty()
            }
            Operation::Import => {
                details.kind = SuccessKind::Imported;
                details.image_id = found.imported_id.clone();
                found.imported_id.is_some()
            }
            Operation::Unknown => false,
        };
        (finished, details)
    }
}
