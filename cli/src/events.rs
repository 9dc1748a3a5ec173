//! `--events`: one JSON object per event, keys in a fixed order.

use pullstream::decoder::Record;
use pullstream::event::{Event, Progress};
use pullstream::{Error, JsonStr, RawJson};
use serde::Serialize;

/// A JSON object written key by key, in order.
struct Obj(String);

impl Obj {
    fn new() -> Obj {
        Obj(String::from("{"))
    }

    fn raw(&mut self, key: &str, json: &str) -> &mut Obj {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
        self.0.push_str(json);
        self
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> &mut Obj {
        let json = serde_json::to_string(value).unwrap_or_else(|_| String::from("null"));
        self.raw(key, &json)
    }

    fn text(&mut self, key: &str, value: JsonStr<'_>) -> &mut Obj {
        self.field(key, value.decode().as_ref())
    }

    fn opt_text(&mut self, key: &str, value: Option<JsonStr<'_>>) -> &mut Obj {
        self.field(key, &value.map(|v| v.decode().into_owned()))
    }

    /// A raw JSON value from the record, re-serialised so that it fits on one line.
    fn json(&mut self, key: &str, value: RawJson<'_>) -> &mut Obj {
        let parsed: serde_json::Value =
            serde_json::from_str(value.get()).unwrap_or(serde_json::Value::Null);
        self.field(key, &parsed)
    }

    fn progress(&mut self, progress: &Progress) -> &mut Obj {
        let mut inner = Obj::new();
        inner
            .field("current", &progress.current)
            .field("total", &progress.total)
            .field("unit", progress.unit.name())
            .field("hidden", &progress.hidden);
        let inner = inner.finish();
        self.raw("progress", &inner)
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// The NDJSON line (without newline) for one event.
pub fn event_line(record: &Record<'_>, event: &Event<'_>) -> String {
    let message = record.message();
    let mut obj = Obj::new();
    obj.field("offset", &record.offset())
        .field("event", event.kind_name())
        .opt_text("layer", event.layer_id())
        .opt_text("status", message.status);
    if let Some(progress) = event.progress() {
        obj.progress(&progress);
    }
    match event {
        Event::PullingFrom { repository, tag } => {
            obj.text("repository", *repository).opt_text("tag", *tag);
        }
        Event::Retrying { seconds, .. } => {
            obj.field("seconds", seconds);
        }
        Event::Digest { digest } => {
            obj.text("digest", *digest);
        }
        Event::PullFinished { result, reference } => {
            obj.field("result", result.name())
                .text("reference", *reference);
        }
        Event::PushRefersTo { repository } | Event::MountedFrom { repository, .. } => {
            obj.text("repository", *repository);
        }
        Event::TagDigest { tag, digest, size } => {
            obj.text("tag", *tag)
                .text("digest", *digest)
                .field("size", size);
        }
        Event::PushResult { tag, digest, size } => {
            obj.opt_text("tag", *tag)
                .opt_text("digest", *digest)
                .field("size", size);
        }
        Event::BuildOutput { text } | Event::LegacyNotice { text } | Event::Warning { text } => {
            obj.text("text", *text);
        }
        Event::BuiltImage { id, .. }
        | Event::LoadedImageId { id }
        | Event::ImportedImage { id }
        | Event::PodmanPulledImage { id } => {
            obj.text("id", *id);
        }
        Event::Tagged { reference } | Event::LoadedImage { reference } => {
            obj.text("reference", *reference);
        }
        Event::BuildKitTrace { data } => {
            obj.json("data", *data);
        }
        Event::DownloadingFrom { url } => {
            obj.text("url", *url);
        }
        Event::PullingRepository { name } => {
            obj.text("name", *name);
        }
        Event::Aux { id, data } => {
            obj.opt_text("id", *id).json("data", *data);
        }
        Event::Error(error) => {
            let source = error.source.name();
            let mut inner = Obj::new();
            inner
                .field("kind", error.kind.name())
                .text("message", error.message)
                .field("code", &error.code)
                .field("retryable", &error.kind.is_retryable())
                .field("source", source);
            let inner = inner.finish();
            obj.raw("error", &inner);
        }
        _ => {}
    }
    obj.finish()
}

/// The NDJSON line (without newline) for bytes that could not be decoded.
pub fn malformed_line(error: &Error) -> String {
    let mut obj = Obj::new();
    obj.field("offset", &error.offset())
        .field("event", "malformed")
        .field("error", &error.to_string());
    obj.finish()
}
