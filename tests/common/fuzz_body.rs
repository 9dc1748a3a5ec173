// The checks behind the fuzz targets, shared verbatim (`include!`) by `fuzz/fuzz_targets/*.rs`
// and by `tests/fuzz_regressions.rs`, so a crash file replays under plain `cargo test` with no
// fuzzing tool installed. It uses only `pullstream`, `serde_json` and `std`.
//
// Every fuzz input is plain bytes with a small documented layout (see `ChunkedCase::from_bytes`
// and `TrackerCase::from_bytes`); `scripts/fuzz_seeds.sh` writes seeds in the same layouts.

#[allow(dead_code)]
mod fuzz_body {
    use std::fmt;
    use std::ops::ControlFlow;

    use pullstream::event::Event;
    use pullstream::pipeline::{Item, Pipeline};
    use pullstream::summary::Summary;
    use pullstream::tracker::{Ending, StallPhase, Tracker, TrackerConfig};
    use pullstream::{Config, Decoder};

    /// What one run of the pipeline produced.
    #[derive(Debug, PartialEq)]
    pub struct Run {
        /// One line per item, in order.
        pub log: Vec<String>,
        /// The summary JSON.
        pub summary: String,
    }

    fn render(item: &Item<'_, '_>) -> String {
        match item {
            Item::Event { record, event } => format!(
                "record @{} {} {:?}",
                record.offset(),
                record.as_bytes().escape_ascii(),
                event
            ),
            Item::Malformed(error) => format!("error @{} {:?}", error.offset(), error.kind()),
            Item::TrackerLimit(limit) => format!("limit {} {}", limit.which.name(), limit.limit),
        }
    }

    /// Checks what every item must satisfy, given the whole input.
    struct Checker<'i> {
        input: &'i [u8],
        config: Config,
        last_record: Option<u64>,
        records: u64,
    }

    impl Checker<'_> {
        fn item(&mut self, item: &Item<'_, '_>) {
            match item {
                Item::Event { record, .. } => {
                    let bytes = record.as_bytes();
                    let offset = record.offset();
                    assert!(bytes.len() >= 2, "record shorter than {{}}: {bytes:?}");
                    assert_eq!(bytes[0], b'{', "record does not start with {{");
                    assert_eq!(bytes[bytes.len() - 1], b'}', "record does not end with }}");
                    assert!(
                        bytes.len() <= self.config.get_max_record_len(),
                        "record of {} bytes delivered past max_record_len {}",
                        bytes.len(),
                        self.config.get_max_record_len()
                    );
                    let start = usize::try_from(offset).expect("offset fits usize");
                    let end = start + bytes.len();
                    assert!(
                        end <= self.input.len(),
                        "record @{offset} runs past the input"
                    );
                    assert_eq!(
                        &self.input[start..end],
                        bytes,
                        "record @{offset} is not the input"
                    );
                    if let Some(last) = self.last_record {
                        assert!(
                            offset > last,
                            "record offsets not increasing: {last} then {offset}"
                        );
                    }
                    self.last_record = Some(offset);
                    self.records += 1;
                }
                Item::Malformed(error) => {
                    assert!(
                        error.offset() <= self.input.len() as u64,
                        "error offset {} past the input ({} bytes)",
                        error.offset(),
                        self.input.len()
                    );
                    let _ = error.to_string();
                }
                _ => {}
            }
        }
    }

    fn check_aggregate(tracker: &mut Tracker, last: &mut (f64, f64)) {
        let aggregate = tracker.aggregate();
        let (count, bytes) = (aggregate.percent_by_count, aggregate.percent_by_bytes);
        assert!(
            (0.0..=100.0).contains(&count),
            "percent_by_count {count} out of range"
        );
        assert!(
            (0.0..=100.0).contains(&bytes),
            "percent_by_bytes {bytes} out of range"
        );
        assert!(
            count >= last.0,
            "percent_by_count went back: {} -> {count}",
            last.0
        );
        assert!(
            bytes >= last.1,
            "percent_by_bytes went back: {} -> {bytes}",
            last.1
        );
        assert!(aggregate.layers_done <= aggregate.layers_known);
        assert!(aggregate.layers_already_present <= aggregate.layers_done);
        *last = (count, bytes);
    }

    /// Feeds `pieces` through a [`Pipeline`], pausing after every `pause_every` items (0: never)
    /// and resuming with `feed(&[])`, then finishes; checks the invariants on the way.
    pub fn run_pipeline(
        config: &Config,
        tracker: &TrackerConfig,
        input: &[u8],
        pieces: &[&[u8]],
        pause_every: usize,
    ) -> Run {
        let mut pipeline = Pipeline::with_config(config.clone(), tracker.clone());
        let mut checker = Checker {
            input,
            config: config.clone(),
            last_record: None,
            records: 0,
        };
        let mut log = Vec::new();
        let mut seen = 0usize;
        let mut percents = (0.0, 0.0);
        let mut on_item = |item: Item<'_, '_>| {
            checker.item(&item);
            log.push(render(&item));
            seen += 1;
            if pause_every > 0 && seen % pause_every == 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        for piece in pieces {
            let mut flow = pipeline.feed(piece, 0, &mut on_item);
            let mut resumes = 0usize;
            while flow.is_break() {
                resumes += 1;
                assert!(
                    resumes <= input.len() + 16,
                    "pause/resume makes no progress"
                );
                flow = pipeline.feed(&[], 0, &mut on_item);
            }
            check_aggregate(pipeline.tracker_mut(), &mut percents);
        }
        let mut flow = pipeline.finish(0, &mut on_item);
        let mut resumes = 0usize;
        while flow.is_break() {
            resumes += 1;
            assert!(
                resumes <= input.len() + 16,
                "pause/resume in finish makes no progress"
            );
            flow = pipeline.finish(0, &mut on_item);
        }
        check_aggregate(pipeline.tracker_mut(), &mut percents);
        assert_eq!(
            pipeline.decoder().pending_len(),
            0,
            "bytes held after finish"
        );
        let summary = pipeline.summary();
        assert_eq!(
            summary.records, checker.records,
            "summary.records != records delivered"
        );
        assert_eq!(summary.layers.pending, summary.pending_layers.len());
        let json = summary.to_json();
        let parsed: serde_json::Value =
            serde_json::from_str(&json).expect("the summary is valid JSON");
        assert!(parsed.is_object());
        let _ = summary.exit_code();
        let tracker = pipeline.tracker();
        let _ = tracker.outcome(Ending::Clean);
        let _ = tracker.outcome(Ending::CutMidRecord);
        for inside_record in [false, true] {
            let ending = Ending::TruncatedBody { inside_record };
            // A body the transport cut short is never a success.
            assert!(
                !tracker.outcome(ending).is_success(),
                "a truncated body called success"
            );
        }
        Run { log, summary: json }
    }

    /// Target `whole`: the bytes as one chunk, through decoder, events, tracker and summary.
    pub fn check_whole(data: &[u8]) -> Run {
        let run = run_pipeline(
            &Config::default(),
            &TrackerConfig::default(),
            data,
            &[data],
            0,
        );
        // The bare decoder (no pipeline) must agree on the number of records.
        let mut decoder = Decoder::new();
        let mut records = 0u64;
        for record in decoder.feed(data).flatten() {
            let _ = Event::classify(record.message()).kind_name();
            let _ = record.message().status.map(|s| s.decode());
            records += 1;
        }
        // `finish` may still deliver records: those a record cut off at the end had swallowed,
        // read again (docs/FORMAT.md §2.3).
        records += decoder.finish().flatten().count() as u64;
        assert_eq!(decoder.stats().records, records);
        run
    }

    /// Target `chunked`: one input, its cut points, limits and pause policy.
    #[derive(Clone, PartialEq, Eq)]
    pub struct ChunkedCase {
        pub data: Vec<u8>,
        /// Indices into `data` (any order; clamped; duplicates give empty chunks).
        pub cuts: Vec<usize>,
        pub max_record_len: usize,
        pub max_depth: u32,
        pub stop_at_first_error: bool,
        /// Pause (return `Break`) after every this many items in the chunked run (0: never).
        pub pause_every: usize,
    }

    impl ChunkedCase {
        /// Layout: `[len_lo, len_hi, depth, flags, pause, ncuts, (cut_lo, cut_hi) × ncuts, data…]`.
        /// `len` 0 means the default record limit (8 MiB), otherwise `len` bytes (at least 2);
        /// `depth` 0 means the default (128); flags bit 0 is `stop_at_first_error`; `ncuts` is
        /// taken modulo 32. Missing header bytes count as 0.
        pub fn from_bytes(bytes: &[u8]) -> ChunkedCase {
            let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
            let len = u16::from_le_bytes([at(0), at(1)]) as usize;
            let ncuts = (at(5) % 32) as usize;
            let mut cuts = Vec::with_capacity(ncuts);
            for k in 0..ncuts {
                cuts.push(u16::from_le_bytes([at(6 + 2 * k), at(7 + 2 * k)]) as usize);
            }
            let start = (6 + 2 * ncuts).min(bytes.len());
            ChunkedCase {
                data: bytes[start..].to_vec(),
                cuts,
                max_record_len: if len == 0 { 8 << 20 } else { len },
                max_depth: if at(2) == 0 { 128 } else { u32::from(at(2)) },
                stop_at_first_error: at(3) & 1 == 1,
                pause_every: at(4) as usize,
            }
        }

        fn config(&self) -> Config {
            Config::default()
                .max_record_len(self.max_record_len)
                .max_depth(self.max_depth)
                .stop_at_first_error(self.stop_at_first_error)
        }

        fn pieces(&self) -> Vec<&[u8]> {
            let mut cuts: Vec<usize> = self.cuts.iter().map(|&c| c.min(self.data.len())).collect();
            cuts.push(0);
            cuts.push(self.data.len());
            cuts.sort_unstable();
            cuts.windows(2).map(|w| &self.data[w[0]..w[1]]).collect()
        }
    }

    /// Prints a reproducer ready to paste into `tests/fuzz_regressions.rs`.
    impl fmt::Debug for ChunkedCase {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            writeln!(f, "fuzz_body::check_chunked(&fuzz_body::ChunkedCase {{")?;
            writeln!(f, "    data: b\"{}\".to_vec(),", self.data.escape_ascii())?;
            writeln!(f, "    cuts: vec!{:?},", self.cuts)?;
            writeln!(f, "    max_record_len: {},", self.max_record_len)?;
            writeln!(f, "    max_depth: {},", self.max_depth)?;
            writeln!(f, "    stop_at_first_error: {},", self.stop_at_first_error)?;
            writeln!(f, "    pause_every: {},", self.pause_every)?;
            write!(f, "}});")
        }
    }

    /// Chunked (with pauses) must equal whole: same item log, same summary.
    pub fn check_chunked(case: &ChunkedCase) {
        let config = case.config();
        let tracker = TrackerConfig::default().max_layers(64);
        let whole = run_pipeline(&config, &tracker, &case.data, &[&case.data], 0);
        let pieces = case.pieces();
        let chunked = run_pipeline(&config, &tracker, &case.data, &pieces, case.pause_every);
        if whole != chunked {
            let first = whole
                .log
                .iter()
                .zip(&chunked.log)
                .position(|(a, b)| a != b)
                .unwrap_or(whole.log.len().min(chunked.log.len()));
            panic!(
                "chunked output differs from whole output at item {first}\n\
                 whole:   {:?}\nchunked: {:?}\nwhole summary:   {}\nchunked summary: {}\n\
                 reproducer:\n{case:?}",
                whole.log.get(first),
                chunked.log.get(first),
                whole.summary,
                chunked.summary
            );
        }
    }

    /// The head of a response: status, reason and headers.
    pub type HttpHead = (Option<u16>, Option<String>, Vec<(String, String)>);

    /// What an HTTP response decoder run produced.
    #[derive(Debug, PartialEq)]
    pub struct HttpRun {
        pub body: Vec<u8>,
        pub consumed: usize,
        pub head: Option<HttpHead>,
        pub complete: bool,
        pub error: Option<String>,
        pub finish: Option<String>,
    }

    fn run_http(max_head_len: usize, data: &[u8], pieces: &[&[u8]]) -> HttpRun {
        use pullstream::http::ResponseDecoder;
        let mut http = ResponseDecoder::with_max_head_len(max_head_len);
        let mut run = HttpRun {
            body: Vec::new(),
            consumed: 0,
            head: None,
            complete: false,
            error: None,
            finish: None,
        };
        'pieces: for piece in pieces {
            let mut input = *piece;
            while !input.is_empty() {
                let base = run.consumed;
                let body = &mut run.body;
                let result = http.feed(input, |slice| {
                    // Every body slice is a slice of the input.
                    let at = slice.as_ptr() as usize - input.as_ptr() as usize;
                    assert!(
                        at + slice.len() <= input.len(),
                        "body slice outside the input"
                    );
                    assert_eq!(&data[base + at..base + at + slice.len()], slice);
                    body.extend_from_slice(slice);
                });
                match result {
                    Ok(progress) => {
                        assert!(progress.consumed <= input.len());
                        run.consumed += progress.consumed;
                        input = &input[progress.consumed..];
                        if progress.head {
                            assert!(http.is_head_complete());
                            let headers = http
                                .headers()
                                .map(|(k, v)| (k.to_string(), v.to_string()))
                                .collect();
                            run.head =
                                Some((http.status(), http.reason().map(String::from), headers));
                            let _ = (http.is_chunked(), http.content_length(), http.is_success());
                        }
                        if progress.complete {
                            assert!(http.is_complete());
                            run.complete = true;
                            break 'pieces;
                        }
                        assert!(
                            progress.consumed > 0 || progress.head,
                            "feed made no progress"
                        );
                    }
                    Err(error) => {
                        assert!(error.offset() <= data.len() as u64);
                        // Errors are sticky.
                        let again = http.feed(b"x", |_| {}).expect_err("error is sticky");
                        assert_eq!(again, error);
                        run.error = Some(format!("{error} {:?}", error.kind()));
                        // How much of the input earlier calls used depends on where the cuts
                        // fell; after an error only the body and the error are comparable.
                        run.consumed = usize::MAX;
                        let _ = error.is_truncation();
                        break 'pieces;
                    }
                }
            }
        }
        assert_eq!(
            http.body_len(),
            run.body.len() as u64,
            "body_len != body delivered"
        );
        assert!(http.position() <= data.len() as u64);
        if run.error.is_none() {
            assert_eq!(
                http.position(),
                run.consumed as u64,
                "position != bytes consumed"
            );
        }
        run.finish = http.finish().err().map(|e| format!("{e}"));
        run
    }

    /// Target `http`: the HTTP/1.1 response decoder, whole versus cut (same layout as
    /// `chunked`; `max_record_len` is the head limit). Then the body goes through `whole`.
    pub fn check_http(case: &ChunkedCase) {
        let limit = case.max_record_len.min(1 << 16);
        let whole = run_http(limit, &case.data, &[&case.data]);
        let pieces = case.pieces();
        let chunked = run_http(limit, &case.data, &pieces);
        assert_eq!(
            whole, chunked,
            "HTTP decoding depends on chunking\n\
             reproducer (call check_http instead of check_chunked):\n{case:?}"
        );
        let _ = check_whole(&whole.body);
    }

    /// A cursor over fuzz bytes: every read succeeds (missing bytes read as 0).
    pub struct Bytes<'a> {
        data: &'a [u8],
        pos: usize,
    }

    impl<'a> Bytes<'a> {
        pub fn new(data: &'a [u8]) -> Self {
            Bytes { data, pos: 0 }
        }
        pub fn is_empty(&self) -> bool {
            self.pos >= self.data.len()
        }
        pub fn u8(&mut self) -> u8 {
            let b = self.data.get(self.pos).copied().unwrap_or(0);
            self.pos += 1;
            b
        }
        pub fn u16(&mut self) -> u16 {
            u16::from_le_bytes([self.u8(), self.u8()])
        }
        pub fn u32(&mut self) -> u32 {
            u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
        }
        pub fn i64(&mut self) -> i64 {
            let lo = u64::from(self.u32());
            let hi = u64::from(self.u32());
            (lo | hi << 32) as i64
        }
        /// A short string: a length byte (mod 24) then that many bytes, lossily as UTF-8.
        pub fn string(&mut self) -> String {
            let len = (self.u8() % 24) as usize;
            let start = self.pos.min(self.data.len());
            let end = (self.pos + len).min(self.data.len());
            self.pos += len;
            String::from_utf8_lossy(&self.data[start..end]).into_owned()
        }
    }

    /// The record shapes the tracker target builds (known Docker/Podman vocabulary).
    pub const SHAPES: &[&str] = &[
        "Pulling from {text}",
        "Pulling fs layer",
        "Waiting",
        "Downloading",
        "Verifying Checksum",
        "Download complete",
        "Extracting",
        "Pull complete",
        "Already exists",
        "Retrying in {n} seconds",
        "Digest: sha256:{text}",
        "Status: Downloaded newer image for {text}",
        "Status: Image is up to date for {text}",
        "The push refers to repository [{text}]",
        "Preparing",
        "Pushing",
        "Pushed",
        "Layer already exists",
        "Mounted from {text}",
        "{text}: digest: sha256:{text} size: {n}",
        "Loading layer",
        "Downloading from {text}",
        "Importing",
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "Pulling repository {text}",
        "Exists",
        "{text}",
        "<error>",
        "<aux>",
        "<stream>",
        "<empty>",
        "<message>",
    ];

    /// One step of a tracker case.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum TrackerOp {
        /// A record of a known shape (index into [`SHAPES`]) observed at `now_ms`.
        Record {
            shape: usize,
            id: Option<String>,
            text: String,
            current: Option<i64>,
            total: Option<i64>,
            seconds_unit: bool,
            hidecounts: bool,
            n: u32,
            now_ms: u64,
        },
        /// `poll_stalls(now_ms)`.
        Poll { now_ms: u64 },
        /// `expect_layer(id, size)`: a layer declared before the daemon mentions it.
        Expect { id: String, size: u64 },
    }

    impl TrackerOp {
        /// The JSON record for this op (`None` for polls).
        pub fn json(&self) -> Option<String> {
            let TrackerOp::Record {
                shape,
                id,
                text,
                current,
                total,
                seconds_unit,
                hidecounts,
                n,
                ..
            } = self
            else {
                return None;
            };
            let mut record = serde_json::Map::new();
            let template = SHAPES[*shape % SHAPES.len()];
            match template {
                "<error>" => {
                    record.insert("errorDetail".into(), serde_json::json!({ "message": text }));
                    record.insert("error".into(), text.clone().into());
                }
                "<aux>" => {
                    let aux = match n % 3 {
                        0 => serde_json::json!({ "ID": format!("sha256:{text}") }),
                        1 => serde_json::json!({ "Tag": text, "Digest": "sha256:00", "Size": n }),
                        _ => serde_json::json!({ "other": text }),
                    };
                    record.insert("aux".into(), aux);
                }
                "<stream>" => {
                    let line = match n % 4 {
                        0 => format!("Successfully built {text}\n"),
                        1 => format!("Successfully tagged {text}\n"),
                        2 => format!("Loaded image: {text}\n"),
                        _ => format!("Loaded image ID: sha256:{text}\n"),
                    };
                    record.insert("stream".into(), line.into());
                }
                "<message>" => {
                    record.insert("message".into(), text.clone().into());
                }
                "<empty>" => {}
                _ => {
                    let status = template
                        .replace("{text}", text)
                        .replace("{n}", &n.to_string());
                    record.insert("status".into(), status.into());
                }
            }
            if let Some(id) = id {
                record.insert("id".into(), id.clone().into());
            }
            let mut detail = serde_json::Map::new();
            if let Some(current) = current {
                detail.insert("current".into(), (*current).into());
            }
            if let Some(total) = total {
                detail.insert("total".into(), (*total).into());
            }
            if *seconds_unit {
                detail.insert("units".into(), "s".into());
            }
            if *hidecounts {
                detail.insert("hidecounts".into(), true.into());
            }
            if !detail.is_empty() || n % 2 == 0 {
                record.insert("progressDetail".into(), detail.into());
            }
            Some(serde_json::Value::Object(record).to_string())
        }
    }

    /// Target `tracker`: a tracker configuration and a sequence of ops.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct TrackerCase {
        pub max_layers: usize,
        pub stall_transfer_ms: u64,
        pub stall_extract_ms: u64,
        pub min_bytes_per_sec: u64,
        pub rate_window_ms: u64,
        pub ops: Vec<TrackerOp>,
    }

    impl TrackerCase {
        /// Layout: `[max_layers, stall_transfer(u16), stall_extract(u16), min_rate(u16),
        /// window(u16), ops…]`; each op starts with a byte whose low 3 bits pick a poll (0) or a
        /// record; then come its fields (see the code). Ids are drawn from a small pool
        /// (so layers repeat) or are arbitrary strings; at most 256 ops.
        pub fn from_bytes(data: &[u8]) -> TrackerCase {
            let mut b = Bytes::new(data);
            let max_layers = b.u8() as usize;
            let stall_transfer_ms = u64::from(b.u16());
            let stall_extract_ms = u64::from(b.u16());
            let min_bytes_per_sec = u64::from(b.u16());
            let rate_window_ms = u64::from(b.u16());
            let mut ops = Vec::new();
            let mut clock = 0u64;
            while !b.is_empty() && ops.len() < 256 {
                let tag = b.u8();
                // Time mostly moves forward by small steps; bit 7 makes it jump anywhere.
                let step = u64::from(b.u16());
                clock = if tag & 0x80 != 0 {
                    b.i64() as u64
                } else {
                    clock.saturating_add(step)
                };
                if tag & 7 == 0 {
                    if tag & 8 == 0 {
                        ops.push(TrackerOp::Poll { now_ms: clock });
                    } else {
                        let k = b.u8() % 8;
                        let id = if k == 7 {
                            b.string()
                        } else {
                            format!("{k}a{k}b{k}c{k}d{k}e{k}f")
                        };
                        let size = if tag & 0x40 != 0 {
                            b.i64() as u64
                        } else {
                            u64::from(b.u16())
                        };
                        ops.push(TrackerOp::Expect { id, size });
                    }
                    continue;
                }
                let shape = b.u8() as usize % SHAPES.len();
                let id_byte = b.u8();
                let id = match id_byte % 8 {
                    0 => None,
                    7 => Some(b.string()),
                    k => Some(format!("{k}a{k}b{k}c{k}d{k}e{k}f")),
                };
                let text = b.string();
                let flags = b.u8();
                let number = |b: &mut Bytes<'_>, mode: u8| -> Option<i64> {
                    match mode {
                        0 => None,
                        1 => Some(i64::from(b.u16())),
                        2 => Some(-1),
                        _ => Some(b.i64()),
                    }
                };
                let current = number(&mut b, flags & 3);
                let total = number(&mut b, (flags >> 2) & 3);
                ops.push(TrackerOp::Record {
                    shape,
                    id,
                    text,
                    current,
                    total,
                    seconds_unit: flags & 0x10 != 0,
                    hidecounts: flags & 0x20 != 0,
                    n: u32::from(b.u8()),
                    now_ms: clock,
                });
            }
            TrackerCase {
                max_layers,
                stall_transfer_ms,
                stall_extract_ms,
                min_bytes_per_sec,
                rate_window_ms,
                ops,
            }
        }
    }

    /// Runs a tracker case: no panic, percentages never decrease, the layer limit holds, stalls
    /// name tracked layers and are not reported twice in a row.
    pub fn check_tracker(case: &TrackerCase) {
        let config = TrackerConfig::default()
            .max_layers(case.max_layers)
            .stall_after(StallPhase::Transfer, case.stall_transfer_ms)
            .stall_after(StallPhase::Extract, case.stall_extract_ms)
            .min_bytes_per_sec(case.min_bytes_per_sec)
            .rate_window_ms(case.rate_window_ms);
        let mut tracker = Tracker::with_config(config);
        let mut percents = (0.0, 0.0);
        for op in &case.ops {
            match op {
                TrackerOp::Poll { now_ms } => {
                    let stalls = tracker.poll_stalls(*now_ms);
                    let snapshot = tracker.snapshot();
                    for stall in &stalls {
                        assert!(
                            snapshot.layers.iter().any(|l| l.id() == stall.layer),
                            "stall for an untracked layer {:?}",
                            stall.layer
                        );
                    }
                    let again = tracker.poll_stalls(*now_ms);
                    assert!(again.is_empty(), "stalls reported twice: {again:?}");
                }
                TrackerOp::Expect { id, size } => {
                    let before = tracker.snapshot().layers.len();
                    if tracker.expect_layer(id, *size).is_err() {
                        assert_eq!(tracker.snapshot().layers.len(), before);
                    }
                }
                TrackerOp::Record { now_ms, .. } => {
                    let json = op.json().expect("a record");
                    let mut decoder = Decoder::new();
                    for item in decoder.feed(json.as_bytes()) {
                        let record = match item {
                            Ok(record) => record,
                            Err(error) => panic!("generated record rejected: {error}: {json}"),
                        };
                        let event = Event::classify(record.message());
                        let _ = event.kind_name();
                        let _ = event.layer_id();
                        let _ = tracker.observe(&event, *now_ms);
                    }
                }
            }
            check_aggregate(&mut tracker, &mut percents);
            let snapshot = tracker.snapshot();
            assert!(
                snapshot.layers.len() <= case.max_layers,
                "{} layers tracked past the limit {}",
                snapshot.layers.len(),
                case.max_layers
            );
            assert!(snapshot.aggregate.percent_by_count >= percents.0);
            assert!(snapshot.aggregate.percent_by_bytes >= percents.1);
        }
        for ending in [
            Ending::Clean,
            Ending::CutMidRecord,
            Ending::TruncatedBody {
                inside_record: false,
            },
        ] {
            let summary = Summary::new(&tracker, Decoder::new().stats(), ending);
            let _: serde_json::Value = serde_json::from_str(&summary.to_json()).unwrap();
            let _ = tracker.outcome(ending);
        }
    }
}
