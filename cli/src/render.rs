//! Human output: sizes, log lines, the verdict, and the live per-layer display.

use std::collections::HashMap;

use pullstream::decoder::Record;
use pullstream::event::{Event, Unit};
use pullstream::outcome::{IncompleteReason, Operation, Verdict};
use pullstream::summary::Summary;
use pullstream::tracker::{
    Completion, Layer, Phase, Snapshot, DEFAULT_MAX_ID_LEN, DEFAULT_MAX_LAYERS,
};

pub const RESET: &str = "\x1b[0m";
pub const BOLD: &str = "\x1b[1m";
pub const DIM: &str = "\x1b[2m";
pub const RED: &str = "\x1b[31m";
pub const GREEN: &str = "\x1b[32m";
pub const YELLOW: &str = "\x1b[33m";
pub const CYAN: &str = "\x1b[36m";

/// `628 B`, `1.40 kB`, `27.1 MB`, `123 GB` (decimal units, like the daemon's own bars).
pub fn bytes(n: u64) -> String {
    if n < 1000 {
        return format!("{n} B");
    }
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    let unit = UNITS[unit];
    if value < 9.995 {
        format!("{value:.2} {unit}")
    } else if value < 99.95 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.0} {unit}")
    }
}

/// `7s`, `2m05s`, `1h04m`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return String::from("?");
    }
    let s = secs.round() as u64;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else if s < 100 * 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else {
        String::from(">99h")
    }
}

/// Text from the stream made safe for a terminal: escape sequences and control characters are
/// dropped, tabs become spaces, line breaks become `newline`.
pub fn sanitize(text: &str, newline: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI: ESC [ parameters final-byte; otherwise drop the next character.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for d in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&d) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\n' => out.push_str(newline),
            '\t' => out.push(' '),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Cuts `line` to `width` visible characters (escape sequences take no room).
pub fn fit(line: &str, width: usize) -> String {
    let mut out = String::with_capacity(line.len());
    let mut visible = 0;
    let mut in_escape = false;
    let mut cut = false;
    for c in line.chars() {
        if in_escape {
            out.push(c);
            if ('\x40'..='\x7e').contains(&c) && c != '[' {
                in_escape = false;
            }
            continue;
        }
        if c == '\x1b' {
            in_escape = true;
            out.push(c);
            continue;
        }
        if visible >= width {
            cut = true;
            continue;
        }
        out.push(c);
        visible += 1;
    }
    if cut && out.contains('\x1b') {
        out.push_str(RESET);
    }
    out
}

/// Colours on or off.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

/// The log line, if any, for an event that is not a layer's progress: what a person watching
/// a pull wants to read (`Pulling from`, digests, warnings, build output, errors).
pub fn log_line(record: &Record<'_>, event: &Event<'_>, style: Style) -> Option<String> {
    let message = record.message();
    // Build and load output arrive as `stream` text: show it as it is.
    if let Some(text) = message.stream {
        let text = text.decode();
        let line = sanitize(text.strip_suffix('\n').unwrap_or(&text), "\n");
        return (!line.trim().is_empty()).then_some(line);
    }
    let line = match event {
        Event::PullingFrom { repository, tag } => match tag {
            Some(tag) => format!("{}: Pulling from {}", tag.decode(), repository.decode()),
            None => format!("Pulling from {}", repository.decode()),
        },
        Event::PullingRepository { name } => format!("Pulling repository {}", name.decode()),
        Event::PushRefersTo { repository } => {
            format!("The push refers to repository [{}]", repository.decode())
        }
        Event::Digest { digest } => format!("Digest: {}", digest.decode()),
        Event::TagDigest { tag, digest, size } => match size {
            Some(size) => format!("{}: digest: {} size: {size}", tag.decode(), digest.decode()),
            None => format!("{}: digest: {}", tag.decode(), digest.decode()),
        },
        Event::DownloadingFrom { url } => format!("Downloading from {}", url.decode()),
        Event::Warning { text } | Event::LegacyNotice { text } => {
            style.paint(YELLOW, text.decode().trim())
        }
        Event::Error(error) => style.paint(
            RED,
            &format!("error: {}", error.message.decode().trim_end()),
        ),
        _ => return None,
    };
    Some(sanitize(&line, " "))
}

/// What a layer event says about the layer's phase, in the daemon's own words.
fn phase_word(event: &Event<'_>) -> Option<(&'static str, Option<u64>)> {
    let size = |p: &pullstream::event::Progress| {
        if p.unit == Unit::Bytes && !p.hidden {
            p.total
        } else {
            None
        }
    };
    Some(match event {
        Event::PullingFsLayer { .. } => ("queued", None),
        Event::Waiting { .. } => ("waiting", None),
        Event::Downloading { progress, .. } => ("downloading", size(progress)),
        Event::VerifyingChecksum { .. } => ("verifying", None),
        Event::DownloadComplete { .. } => ("downloaded", None),
        Event::Extracting { .. } => ("extracting", None),
        Event::PullComplete { .. } => ("pull complete", None),
        Event::AlreadyExists { .. } => ("already exists", None),
        Event::Retrying { .. } => ("retrying", None),
        Event::Preparing { .. } => ("preparing", None),
        Event::Pushing { progress, .. } => ("pushing", size(progress)),
        Event::Pushed { .. } => ("pushed", None),
        Event::LayerAlreadyExists { .. } => ("layer already exists", None),
        Event::MountedFrom { .. } => ("mounted", None),
        Event::LoadingLayer { progress, .. } => match (progress.current, progress.total) {
            (Some(c), Some(t)) if c >= t => ("loaded", Some(t)),
            _ => ("loading", size(progress)),
        },
        _ => return None,
    })
}

/// Non-terminal output: one line each time a layer changes phase.
///
/// Its memory is bounded like the tracker's, by the same default limits: at most
/// [`DEFAULT_MAX_LAYERS`] layers, with ids of at most [`DEFAULT_MAX_ID_LEN`] bytes. Layers past
/// either limit get no phase lines (the tracker's notice has said they are not tracked).
#[derive(Debug, Default)]
pub struct PhaseLog {
    /// Layer id -> (last phase word, size when known).
    layers: HashMap<String, (&'static str, Option<u64>)>,
}

impl PhaseLog {
    /// The line to print for this event, if the layer's phase changed.
    pub fn line(&mut self, event: &Event<'_>) -> Option<String> {
        let layer = event.layer_id()?;
        let (word, size) = phase_word(event)?;
        if layer.raw().len() > DEFAULT_MAX_ID_LEN && layer.decode().len() > DEFAULT_MAX_ID_LEN {
            return None;
        }
        let id = layer.decode();
        if !self.layers.contains_key(id.as_ref()) {
            if self.layers.len() >= DEFAULT_MAX_LAYERS {
                return None;
            }
            self.layers.insert(id.to_string(), ("", None));
        }
        let entry = self.layers.get_mut(id.as_ref())?;
        if size.is_some() {
            entry.1 = size;
        }
        if entry.0 == word {
            return None;
        }
        entry.0 = word;
        let mut line = format!("{}  {word}", sanitize(&id, " "));
        if let Event::Retrying { seconds, .. } = event {
            line.push_str(&format!(" in {seconds}s"));
        } else if let Some(size) = entry.1 {
            line.push_str("  ");
            line.push_str(&bytes(size));
        }
        Some(line)
    }
}

fn phase_label(layer: &Layer, operation: Operation) -> (&'static str, &'static str) {
    match layer.phase() {
        Phase::Queued => ("queued", DIM),
        Phase::Waiting => ("waiting", DIM),
        Phase::Retrying => ("retrying", RED),
        Phase::Transferring => match operation {
            Operation::Push => ("pushing", CYAN),
            Operation::Load => ("loading", CYAN),
            _ => ("downloading", CYAN),
        },
        Phase::Verifying => ("verifying", YELLOW),
        Phase::Downloaded => ("downloaded", YELLOW),
        Phase::Extracting => ("extracting", YELLOW),
        Phase::Done => match layer.completion() {
            Some(Completion::AlreadyPresent) => ("already exists", GREEN),
            Some(Completion::Pushed) => ("pushed", GREEN),
            Some(Completion::Loaded) => ("loaded", GREEN),
            _ => ("complete", GREEN),
        },
        _ => ("?", DIM),
    }
}

fn bar(fraction: f64, width: usize) -> String {
    let fraction = fraction.clamp(0.0, 1.0);
    let filled = (fraction * width as f64).round() as usize;
    let mut out = String::with_capacity(width + 2);
    out.push('[');
    for k in 0..width {
        out.push(if k < filled {
            '='
        } else if k == filled {
            '>'
        } else {
            ' '
        });
    }
    out.push(']');
    out
}

fn layer_line(layer: &Layer, operation: Operation, style: Style) -> String {
    let (word, code) = phase_label(layer, operation);
    let (counter, unit) = match layer.phase() {
        Phase::Extracting => layer.extract(),
        _ => (layer.transfer(), Unit::Bytes),
    };
    let amount = |n: u64| match unit {
        Unit::Bytes => bytes(n),
        Unit::Seconds => format!("{}s", n.saturating_sub(1)),
        // A unit newer than this tool: the number as the stream gave it.
        _ => n.to_string(),
    };
    let done = layer.phase() == Phase::Done;
    let (numbers, fraction) = match counter.total {
        _ if done && layer.completion() == Some(Completion::AlreadyPresent) => {
            (String::new(), Some(1.0))
        }
        Some(total) if done => (bytes(total.max(counter.current)), Some(1.0)),
        Some(total) => (
            format!("{} / {}", amount(counter.current), amount(total)),
            Some(counter.current as f64 / total as f64),
        ),
        None if done => (String::new(), Some(1.0)),
        None if counter.current > 0 => (amount(counter.current), None),
        None => (String::new(), None),
    };
    let mut label = word.to_string();
    let mut code = code;
    if layer.is_stalled() {
        label.push_str(" (stalled)");
        code = RED;
    } else if layer.retries() > 0 && !done {
        label.push_str(&format!(" (retry {})", layer.retries()));
    }
    let id: String = sanitize(layer.id(), " ").chars().take(12).collect();
    let bar = match fraction {
        Some(f) => bar(f, 20),
        None => String::new(),
    };
    format!(
        "{id:<12}  {}{}  {numbers:>19}  {bar}",
        style.paint(code, &label),
        " ".repeat(15usize.saturating_sub(label.len()))
    )
}

/// The lines of the live display: one per layer (as many as fit), then the aggregate line.
pub fn live_lines(snapshot: &Snapshot<'_>, max_layers: usize, style: Style) -> Vec<String> {
    let operation = snapshot.operation;
    let layers: Vec<&Layer> = snapshot
        .layers
        .iter()
        .filter(|l| !l.is_non_layer())
        .collect();
    let mut lines = Vec::new();
    if layers.len() <= max_layers {
        lines.extend(layers.iter().map(|l| layer_line(l, operation, style)));
    } else {
        // Too many to show: the unfinished ones first, in order, and a count of the rest.
        let shown: Vec<&&Layer> = layers
            .iter()
            .filter(|l| l.phase() != Phase::Done)
            .take(max_layers.saturating_sub(1))
            .collect();
        lines.extend(shown.iter().map(|l| layer_line(l, operation, style)));
        let hidden = layers.len() - shown.len();
        lines.push(style.paint(DIM, &format!("… and {hidden} more layers")));
    }
    let a = snapshot.aggregate;
    let percent = if a.bytes_total_known > 0 {
        a.percent_by_bytes
    } else {
        a.percent_by_count
    };
    let mut total = format!(
        "{percent:>5.1}%  {} / {}",
        bytes(a.bytes_done),
        bytes(a.bytes_total_known)
    );
    if let Some(rate) = a.bytes_per_sec.filter(|r| *r > 0.0) {
        total.push_str(&format!("  {}/s", bytes(rate as u64)));
    }
    if let Some(eta) = a.eta_secs.filter(|_| a.layers_done < a.layers_known) {
        total.push_str(&format!("  ETA {}", duration(eta)));
    }
    total.push_str(&format!("  {}/{} layers", a.layers_done, a.layers_known));
    lines.push(style.paint(BOLD, &total));
    lines
}

/// The verdict line and whether it describes a success.
pub fn verdict(summary: &Summary, exit_code: i32, style: Style) -> String {
    let clean = |s: &str| sanitize(s.trim(), " ");
    if exit_code == 3 {
        let skipped = format!(
            "{} stretch{} of bytes skipped",
            summary.malformed_records,
            if summary.malformed_records == 1 {
                ""
            } else {
                "es"
            }
        );
        return if summary.records == 0 {
            format!("not a progress stream: no record could be decoded ({skipped})")
        } else {
            format!(
                "not a progress stream: no record with a field of the progress vocabulary \
                 ({} JSON object{} without one, {skipped})",
                summary.records,
                if summary.records == 1 { "" } else { "s" }
            )
        };
    }
    match summary.outcome {
        Verdict::Success => {
            let result = summary
                .result
                .map_or("finished", |kind| kind.name())
                .replace('_', " ");
            let mut line = style.paint(GREEN, &result);
            if let Some(reference) = &summary.reference {
                line.push(' ');
                line.push_str(&clean(reference));
            }
            if summary.reference.is_none() && summary.image_id.is_none() {
                line.push_str(" (no reference given)");
            }
            if let Some(digest) = &summary.digest {
                line.push_str(&format!("  digest {}", clean(digest)));
            }
            if let Some(id) = &summary.image_id {
                let gap = if summary.reference.is_some() {
                    "  "
                } else {
                    " "
                };
                line.push_str(&format!("{gap}image {}", clean(id)));
            }
            let layers = summary.layers;
            if layers.seen > 0 {
                line.push_str(&format!("  ({} layers", layers.seen));
                if layers.already_present > 0 {
                    line.push_str(&format!(", {} already present", layers.already_present));
                }
                if summary.bytes.downloaded > 0 {
                    line.push_str(&format!(", {}", bytes(summary.bytes.downloaded)));
                }
                line.push(')');
            }
            line
        }
        Verdict::Failed => {
            let mut line = style.paint(RED, "failed");
            if let Some(error) = &summary.error {
                line.push_str(&format!(" ({}", error.kind.name()));
                if let Some(code) = error.code {
                    line.push_str(&format!(", code {code}"));
                }
                if error.retryable {
                    line.push_str(", retryable");
                }
                line.push_str("): ");
                line.push_str(&clean(&error.message));
            }
            line
        }
        // Incomplete (and verdicts newer than this tool).
        _ => {
            let why = match summary.incomplete_reason {
                Some(IncompleteReason::EmptyStream) => String::from("the stream was empty"),
                Some(IncompleteReason::CutMidRecord) => {
                    String::from("the stream ended inside a record")
                }
                Some(IncompleteReason::TruncatedBody) => {
                    String::from("the body was cut short (the transport ended it before its end)")
                }
                _ => format!(
                    "the stream ended before the {} reported that it finished",
                    match summary.operation {
                        Operation::Unknown => "operation",
                        op => op.name(),
                    }
                ),
            };
            let mut line = format!("{}: {why}", style.paint(YELLOW, "incomplete"));
            let pending = &summary.pending_layers;
            if !pending.is_empty() {
                let shown: Vec<String> = pending.iter().take(8).map(|p| clean(p)).collect();
                line.push_str(&format!("; pending layers: {}", shown.join(", ")));
                if pending.len() > shown.len() {
                    line.push_str(&format!(" and {} more", pending.len() - shown.len()));
                }
            }
            line
        }
    }
}
