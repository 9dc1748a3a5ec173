//! Every record kind in the format reference is classified as the right event.

use pullstream::event::{Event, FailureKind, PullResult, Unit};
use pullstream::Decoder;

/// Classifies one record written as JSON text.
fn kind_of(record: &str) -> String {
    let mut decoder = Decoder::new();
    let item = decoder.feed(record.as_bytes()).next().expect("one record");
    let record = item.expect("valid record");
    Event::classify(record.message()).kind_name().to_string()
}

#[test]
fn status_vocabulary_table() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"status":"Pulling from library/busybox","id":"latest"}"#,
            "pulling_from",
        ),
        (
            r#"{"status":"Pulling fs layer","progressDetail":{},"id":"a"}"#,
            "pulling_fs_layer",
        ),
        (
            r#"{"status":"Waiting","progressDetail":{},"id":"a"}"#,
            "waiting",
        ),
        (
            r#"{"status":"Downloading","progressDetail":{"current":1,"total":2},"progress":"[\u003e ]","id":"a"}"#,
            "downloading",
        ),
        (
            r#"{"status":"Downloading","progressDetail":{"current":1,"total":-1}}"#,
            "downloading",
        ),
        (
            r#"{"status":"Verifying Checksum","progressDetail":{},"id":"a"}"#,
            "verifying_checksum",
        ),
        (
            r#"{"status":"Download complete","progressDetail":{},"id":"a"}"#,
            "download_complete",
        ),
        (
            r#"{"status":"Extracting","progressDetail":{"current":1,"total":2},"id":"a"}"#,
            "extracting",
        ),
        (
            r#"{"status":"Pull complete","progressDetail":{},"id":"a"}"#,
            "pull_complete",
        ),
        (
            r#"{"status":"PullOptions complete","progressDetail":{},"id":"a"}"#,
            "pull_complete",
        ),
        (
            r#"{"status":"Already exists","progressDetail":{},"id":"a"}"#,
            "already_exists",
        ),
        (
            r#"{"status":"Exists","progressDetail":{},"id":"a"}"#,
            "already_exists",
        ),
        (
            r#"{"status":"Retrying in 5 seconds","progressDetail":{},"id":"a"}"#,
            "retrying",
        ),
        (
            r#"{"status":"Retrying in 1 second","progressDetail":{},"id":"a"}"#,
            "retrying",
        ),
        (r#"{"status":"Digest: sha256:abc"}"#, "digest"),
        (
            r#"{"status":"Status: Downloaded newer image for alpine:latest"}"#,
            "pull_finished",
        ),
        (
            r#"{"status":"Status: Image is up to date for alpine:latest"}"#,
            "pull_finished",
        ),
        (
            r#"{"status":"The push refers to repository [docker.io/me/app]"}"#,
            "push_refers_to",
        ),
        (
            r#"{"status":"The push refers to a repository [docker.io/me/app] (len: 1)"}"#,
            "push_refers_to",
        ),
        (
            r#"{"status":"Preparing","progressDetail":{},"id":"a"}"#,
            "preparing",
        ),
        (
            r#"{"status":"Pushing","progressDetail":{"current":3,"total":2},"id":"a"}"#,
            "pushing",
        ),
        (
            r#"{"status":"Pushed","progressDetail":{},"id":"a"}"#,
            "pushed",
        ),
        (
            r#"{"status":"Layer already exists","progressDetail":{},"id":"a"}"#,
            "layer_already_exists",
        ),
        (
            r#"{"status":"Image already exists","progressDetail":{},"id":"a"}"#,
            "layer_already_exists",
        ),
        (
            r#"{"status":"Mounted from library/alpine","progressDetail":{},"id":"a"}"#,
            "mounted_from",
        ),
        (
            r#"{"status":"v1: digest: sha256:abc size: 1571"}"#,
            "tag_digest",
        ),
        (r#"{"status":"latest: digest: sha256:abc"}"#, "tag_digest"),
        (
            r#"{"progressDetail":{},"aux":{"Tag":"v1","Digest":"sha256:abc","Size":1571}}"#,
            "push_result",
        ),
        (r#"{"stream":"Step 1/2 : FROM alpine"}"#, "build_output"),
        (r#"{"stream":"\n"}"#, "build_output"),
        (r#"{"aux":{"ID":"sha256:abc"}}"#, "built_image"),
        (
            r#"{"id":"moby.image.id","aux":{"ID":"sha256:abc"}}"#,
            "built_image",
        ),
        (
            r#"{"stream":"Successfully built 0123456789ab\n"}"#,
            "built_image",
        ),
        (r#"{"stream":"Successfully tagged app:latest\n"}"#, "tagged"),
        (
            r#"{"stream":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"}"#,
            "built_image",
        ),
        (
            r#"{"id":"moby.buildkit.trace","aux":"Cm8KR3NoYTI1Ng=="}"#,
            "buildkit_trace",
        ),
        (
            r#"{"status":"Loading layer","progressDetail":{"current":1,"total":2},"id":"a"}"#,
            "loading_layer",
        ),
        (
            r#"{"stream":"Loaded image: busybox:latest\n"}"#,
            "loaded_image",
        ),
        (r#"{"stream":"Loaded image: a,b"}"#, "loaded_image"),
        (
            r#"{"stream":"Loaded image ID: sha256:abc\n"}"#,
            "loaded_image_id",
        ),
        (
            r#"{"status":"Downloading from http://example.com/x.tar"}"#,
            "downloading_from",
        ),
        (
            r#"{"status":"Importing","progressDetail":{"current":1,"total":-1}}"#,
            "importing",
        ),
        (
            r#"{"status":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}"#,
            "imported_image",
        ),
        (
            r#"{"status":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","progress":"","progressDetail":{},"id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}"#,
            "imported_image",
        ),
        (
            r#"{"status":"pulling image (latest) from docker.io/library/alpine","error":"","progress":"","progressDetail":{},"id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}"#,
            "podman_pulled_image",
        ),
        (
            r#"{"status":"Pulling repository busybox"}"#,
            "pulling_repository",
        ),
        (
            r#"{"status":"x/y: this image was pulled from a legacy registry.  Important: This registry version will not be supported in future versions of docker."}"#,
            "legacy_notice",
        ),
        (
            r#"{"status":"WARNING: image with reference alpine was found but its platform (linux/amd64) does not match the specified platform (linux/arm64)"}"#,
            "warning",
        ),
        (r#"{"status":"\nWARNING: x"}"#, "warning"),
        (
            r#"{"status":"[DEPRECATION NOTICE] Docker Image Format v1 ..."}"#,
            "warning",
        ),
        (
            r#"{"errorDetail":{"message":"boom"},"error":"boom"}"#,
            "error",
        ),
        (
            r#"{"error":"boom","errorDetail":{"code":1,"message":"boom"}}"#,
            "error",
        ),
        (r#"{"progressDetail":{},"error":"boom\n"}"#, "error"),
        (r#"{"message":"pull access denied"}"#, "error"),
        (r#"{"status":"Pulling fs layer","error":""}"#, "other"),
        (r#"{"aux":{"manifestPushedInsteadOfIndex":true}}"#, "aux"),
        (
            r#"{"stream":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"}"#,
            "built_image",
        ),
        (
            r#"{"stream":"Error unpacking image app:1: failed to extract layer\n"}"#,
            "error",
        ),
        (
            r#"{"stream":"The image app:1 already exists, renaming the old one with ID sha256:aa to empty string\n"}"#,
            "warning",
        ),
        (r#"{}"#, "empty"),
        (r#"{"status":"Something new in Docker 42"}"#, "other"),
        // No field we know: nothing to do, like `{}`.
        (r#"{"weird":[1,2,3]}"#, "empty"),
    ];
    for (record, expected) in cases {
        assert_eq!(kind_of(record), *expected, "{record}");
    }
}

#[test]
fn variant_fields_are_extracted() {
    let mut decoder = Decoder::new();
    let stream = concat!(
        r#"{"status":"Pulling from library/alpine","id":"3.20"}"#,
        r#"{"status":"Retrying in 10 seconds","progressDetail":{},"id":"a"}"#,
        r#"{"status":"Extracting","progressDetail":{"current":3,"units":"s"},"progress":"3 s","id":"b"}"#,
        r#"{"status":"v1.2: digest: sha256:dd size: 1571"}"#,
        r#"{"status":"Status: Image is up to date for alpine:3.20"}"#,
        r#"{"status":"Downloading","progressDetail":{"current":-5,"total":-1},"id":"c"}"#,
        r#"{"errorDetail":{"code":2,"message":"The command 'make' returned a non-zero code: 2"},"error":"x"}"#,
        r#"{"stream":"Loaded image ID: sha256:aa\nLoaded image ID: sha256:bb\n"}"#,
        r#"{"status":"Mounted from library/\u0061lpine","progressDetail":{},"id":"d"}"#,
    );
    let events: Vec<String> = decoder
        .feed(stream.as_bytes())
        .map(|item| format!("{:?}", Event::classify(item.unwrap().message())))
        .collect();
    let expected_fragments = [
        r#"PullingFrom { repository: "library/alpine", tag: Some("3.20") }"#,
        r#"Retrying { layer: "a", seconds: 10 }"#,
        r#"Extracting { layer: "b", progress: Progress { current: Some(3), total: None, unit: Seconds, hidden: false } }"#,
        r#"TagDigest { tag: "v1.2", digest: "sha256:dd", size: Some(1571) }"#,
        r#"PullFinished { result: UpToDate, reference: "alpine:3.20" }"#,
        r#"Downloading { layer: Some("c"), progress: Progress { current: None, total: None, unit: Bytes, hidden: false } }"#,
        "kind: BuildFailed",
        r#"LoadedImageId { id: "sha256:aa" }"#,
        r#"MountedFrom { layer: "d", repository: "library/alpine" }"#,
    ];
    assert_eq!(events.len(), expected_fragments.len());
    for (event, fragment) in events.iter().zip(expected_fragments) {
        assert!(
            event.contains(fragment),
            "{event}\n  should contain {fragment}"
        );
    }
    let _ = (PullResult::Downloaded, Unit::Bytes);
}

#[test]
fn failure_classification_table() {
    let cases: &[(&str, FailureKind)] = &[
        ("toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit", FailureKind::RateLimited),
        ("error from registry: You have reached your pull rate limit", FailureKind::RateLimited),
        ("unauthorized: authentication required", FailureKind::Unauthorized),
        ("denied: requested access to the resource is denied", FailureKind::Unauthorized),
        ("pull access denied for nope, repository does not exist or may require 'docker login'", FailureKind::NotFound),
        ("manifest for alpine:nope not found: manifest unknown: manifest unknown", FailureKind::NotFound),
        ("An image does not exist locally with the tag: me/app", FailureKind::NotFound),
        ("tag does not exist: me/app:v9", FailureKind::NotFound),
        ("no matching manifest for linux/arm64/v8 in the manifest list entries", FailureKind::PlatformMismatch),
        ("failed to register layer: write /x: no space left on device", FailureKind::DiskFull),
        ("unexpected EOF", FailureKind::Network),
        ("Get \"https://registry-1.docker.io/v2/\": net/http: TLS handshake timeout", FailureKind::Network),
        ("read tcp 1.2.3.4:5->6.7.8.9:443: read: connection reset by peer", FailureKind::Network),
        ("dial tcp: lookup registry.example.com: no such host", FailureKind::Network),
        ("Get \"https://r/v2/\": dial tcp 1.2.3.4:443: i/o timeout", FailureKind::Network),
        ("context canceled", FailureKind::Cancelled),
        ("The command '/bin/sh -c make' returned a non-zero code: 2", FailureKind::BuildFailed),
        ("process \"/bin/sh -c make\" did not complete successfully: exit code: 2", FailureKind::BuildFailed),
        ("invalid reference format", FailureKind::Other),
    ];
    for (message, kind) in cases {
        assert_eq!(
            FailureKind::classify(pullstream::JsonStr::plain(message)),
            *kind,
            "{message}"
        );
        assert_eq!(
            kind.is_retryable(),
            matches!(kind, FailureKind::RateLimited | FailureKind::Network)
        );
    }
}

#[test]
fn error_sources_and_empty_error() {
    use pullstream::event::ErrorSource;
    let classify = |text: &str| {
        let mut decoder = Decoder::new();
        let record = decoder.feed(text.as_bytes()).next().unwrap().unwrap();
        match Event::classify(record.message()) {
            Event::Error(error) => Some((
                error.source,
                error.message.decode().into_owned(),
                error.code,
            )),
            _ => None,
        }
    };
    assert_eq!(
        classify(r#"{"errorDetail":{"code":3,"message":"a"},"error":"b"}"#),
        Some((ErrorSource::ErrorDetail, "a".into(), Some(3)))
    );
    assert_eq!(
        classify(r#"{"error":"b"}"#),
        Some((ErrorSource::Legacy, "b".into(), None))
    );
    assert_eq!(
        classify(r#"{"cause":"x","message":"m","response":404}"#),
        Some((ErrorSource::HttpBody, "m".into(), None))
    );
    assert_eq!(classify(r#"{"error":""}"#), None);
    assert_eq!(classify(r#"{"status":"x","message":"not an error"}"#), None);
}

/// Classifies one record and hands the event to `check`.
fn with_event(record: &str, check: impl FnOnce(Event<'_>)) {
    let mut decoder = Decoder::new();
    let item = decoder.feed(record.as_bytes()).next().expect("one record");
    let record = item.expect("valid record");
    check(Event::classify(record.message()));
}

#[test]
fn legacy_v1_and_vendor_statuses_are_typed() {
    // Docker <= 1.9 v1 pull of one tag (Red Hat's docker sends it too).
    with_event(
        r#"{"status":"Pulling image (7.9) from registry.example.com/acme/rhel, endpoint: https://registry.example.com/v1/","progressDetail":{},"id":"0123456789ab"}"#,
        |event| match event {
            Event::PullingRepository { name } => assert_eq!(name, "registry.example.com/acme/rhel"),
            other => panic!("{other:?}"),
        },
    );
    // Podman 2.x's lower-case record stays its own kind.
    assert_eq!(
        kind_of(
            r#"{"status":"pulling image (latest) from docker.io/acme/x:latest","error":"","progress":"","progressDetail":{},"id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}"#
        ),
        "podman_pulled_image"
    );
    // Docker 1.6-1.9 push statuses.
    let cases: &[(&str, &str)] = &[
        (
            r#"{"status":"Buffering to Disk","progressDetail":{},"id":"a1"}"#,
            "preparing",
        ),
        (
            r#"{"status":"Buffering to disk","progressDetail":{},"id":"a1"}"#,
            "preparing",
        ),
        (
            r#"{"status":"Image successfully pushed","progressDetail":{},"id":"a1"}"#,
            "pushed",
        ),
        (
            r#"{"status":"Image already pushed, skipping","progressDetail":{},"id":"a1"}"#,
            "layer_already_exists",
        ),
        (
            r#"{"status":"Image 0123456789ab already pushed, skipping"}"#,
            "layer_already_exists",
        ),
        (r#"{"status":"Sending image list"}"#, "other"),
        (
            r#"{"status":"Image push failed","progressDetail":{},"id":"a1"}"#,
            "other",
        ),
    ];
    for (record, kind) in cases {
        assert_eq!(kind_of(record), *kind, "{record}");
    }
    with_event(
        r#"{"status":"Image 0123456789ab already pushed, skipping"}"#,
        |event| assert_eq!(event.layer_id().unwrap(), "0123456789ab"),
    );
    with_event(
        r#"{"status":"Pushing tag for rev [0123456789ab] on {https://registry.example.com/v1/repositories/acme/app/tags/v3}"}"#,
        |event| match event {
            Event::PushResult { tag, digest, size } => {
                assert_eq!(tag.unwrap(), "v3");
                assert!(digest.is_none() && size.is_none());
            }
            other => panic!("{other:?}"),
        },
    );
}

#[test]
fn built_image_says_which_record_named_it() {
    use pullstream::event::BuiltImageOrigin as O;
    let id = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let cases = [
        (format!(r#"{{"aux":{{"ID":"{id}"}}}}"#), O::StageAux),
        (
            format!(r#"{{"id":"moby.image.id","aux":{{"ID":"{id}"}}}}"#),
            O::BuildResultAux,
        ),
        (
            r#"{"stream":"Successfully built 0123456789ab\n"}"#.to_string(),
            O::SuccessfullyBuilt,
        ),
        (format!(r#"{{"stream":"{id}\n"}}"#), O::IdLine),
    ];
    for (record, want) in cases {
        with_event(&record, |event| match event {
            Event::BuiltImage { origin, .. } => assert_eq!(origin, want, "{record}"),
            other => panic!("{record}: {other:?}"),
        });
    }
}
