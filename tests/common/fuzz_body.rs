// The checks behind the fuzz targets, shared verbatim (`include!`) by `fuzz/fuzz_targets/*.rs`
// and by `tests/fuzz_regressions.rs`, so a crash file replays under plain `cargo test` with no
// fuzzing tool installed. It uses only `pullstream`, `serde_json` and `std`.
//
// Every fuzz input is plain bytes with a small documented layout (see `ChunkedCase::from_bytes`
// and `TrackerCase::from_bytes`); the encoders next to them (`to_bytes`) and the seed builders in
// `fuzz_body::seeds` write the same layouts: `cargo xtask fuzz-seeds` puts their output in
// `fuzz/seeds/`, and the replay tests build the same seeds in memory.

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
            if pause_every > 0 && seen.is_multiple_of(pause_every) {
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

        /// The layout [`ChunkedCase::from_bytes`] reads: `from_bytes(&case.to_bytes()) == case`
        /// whenever the case fits it (`max_record_len` the default or 2..=65535, `max_depth`
        /// 1..=255, `pause_every` at most 255, at most 31 cuts each at most 65535); values
        /// outside are clamped.
        pub fn to_bytes(&self) -> Vec<u8> {
            let len = if self.max_record_len == 8 << 20 {
                0
            } else {
                self.max_record_len.min(0xffff) as u16
            };
            let depth = if self.max_depth == 128 {
                0
            } else {
                self.max_depth.min(255) as u8
            };
            let cuts = &self.cuts[..self.cuts.len().min(31)];
            let mut out = Vec::with_capacity(6 + 2 * cuts.len() + self.data.len());
            out.extend_from_slice(&len.to_le_bytes());
            out.push(depth);
            out.push(u8::from(self.stop_at_first_error));
            out.push(self.pause_every.min(255) as u8);
            out.push(cuts.len() as u8);
            for &cut in cuts {
                out.extend_from_slice(&(cut.min(0xffff) as u16).to_le_bytes());
            }
            out.extend_from_slice(&self.data);
            out
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

    /// The layer id the one-byte id `k` (0..=6) stands for in tracker cases.
    pub fn pool_id(k: u8) -> String {
        format!("{k}a{k}b{k}c{k}d{k}e{k}f")
    }

    /// The pool byte of `id`, if it is one of [`pool_id`]'s ids.
    fn pool_index(id: &str) -> Option<u8> {
        (0..7).find(|&k| pool_id(k) == id)
    }

    /// Appends what [`Bytes`] reads back: the bytes as they are.
    pub struct Writer(pub Vec<u8>);

    impl Writer {
        pub fn u8(&mut self, value: u8) {
            self.0.push(value);
        }
        pub fn u16(&mut self, value: u16) {
            self.0.extend_from_slice(&value.to_le_bytes());
        }
        pub fn u32(&mut self, value: u32) {
            self.0.extend_from_slice(&value.to_le_bytes());
        }
        pub fn i64(&mut self, value: i64) {
            self.0.extend_from_slice(&value.to_le_bytes());
        }
        pub fn bytes(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
        /// What [`Bytes::string`] reads back: at most 23 bytes, cut at a character boundary.
        pub fn string(&mut self, text: &str) {
            let text = truncate(text, 23);
            self.u8(text.len() as u8);
            self.bytes(text.as_bytes());
        }
    }

    /// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
    pub fn truncate(text: &str, max: usize) -> &str {
        let mut end = text.len().min(max);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
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
                        let id = if k == 7 { b.string() } else { pool_id(k) };
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
                    k => Some(pool_id(k)),
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

    impl TrackerCase {
        /// The layout [`TrackerCase::from_bytes`] reads: `from_bytes(&case.to_bytes()) == case`
        /// whenever the case fits it (configuration values up to 65535 and 255 layers, shapes
        /// below `SHAPES.len()`, ids from [`pool_id`] or at most 23 bytes, texts at most 23
        /// bytes, `n` at most 255, at most 256 ops); values outside are clamped or truncated.
        /// Time moves by a step of up to 65535 ms, or jumps (bit 7 of the tag).
        pub fn to_bytes(&self) -> Vec<u8> {
            let mut w = Writer(Vec::new());
            w.u8(self.max_layers.min(255) as u8);
            for value in [
                self.stall_transfer_ms,
                self.stall_extract_ms,
                self.min_bytes_per_sec,
                self.rate_window_ms,
            ] {
                w.u16(value.min(0xffff) as u16);
            }
            let mut clock = 0u64;
            for op in &self.ops {
                // An expectation keeps the clock where it is.
                let now = match op {
                    TrackerOp::Record { now_ms, .. } | TrackerOp::Poll { now_ms } => *now_ms,
                    TrackerOp::Expect { .. } => clock,
                };
                let step = now.checked_sub(clock).filter(|step| *step <= 0xffff);
                let kind = match op {
                    TrackerOp::Poll { .. } => 0,
                    TrackerOp::Expect { size, .. } => 8 | if *size > 0xffff { 0x40 } else { 0 },
                    TrackerOp::Record { .. } => 1,
                };
                match step {
                    Some(step) => {
                        w.u8(kind);
                        w.u16(step as u16);
                    }
                    None => {
                        w.u8(kind | 0x80);
                        w.u16(0);
                        w.i64(now as i64);
                    }
                }
                clock = now;
                match op {
                    TrackerOp::Poll { .. } => {}
                    TrackerOp::Expect { id, size } => {
                        match pool_index(id) {
                            Some(k) => w.u8(k),
                            None => {
                                w.u8(7);
                                w.string(id);
                            }
                        }
                        if *size > 0xffff {
                            w.i64(*size as i64);
                        } else {
                            w.u16(*size as u16);
                        }
                    }
                    TrackerOp::Record {
                        shape,
                        id,
                        text,
                        current,
                        total,
                        seconds_unit,
                        hidecounts,
                        n,
                        ..
                    } => {
                        w.u8((shape % SHAPES.len()) as u8);
                        match id.as_deref() {
                            None => w.u8(0),
                            // Pool id 0 only exists for expectations: a record reads byte 0 as
                            // "no id".
                            Some(id) => match pool_index(id).filter(|&k| k != 0) {
                                Some(k) => w.u8(k),
                                None => {
                                    w.u8(7);
                                    w.string(id);
                                }
                            },
                        }
                        w.string(text);
                        let mode = |value: &Option<i64>| match value {
                            None => 0u8,
                            Some(-1) => 2,
                            Some(0..=0xffff) => 1,
                            Some(_) => 3,
                        };
                        let mut flags = mode(current) | mode(total) << 2;
                        if *seconds_unit {
                            flags |= 0x10;
                        }
                        if *hidecounts {
                            flags |= 0x20;
                        }
                        w.u8(flags);
                        for value in [current, total] {
                            match (mode(value), value) {
                                (1, Some(v)) => w.u16(*v as u16),
                                (3, Some(v)) => w.i64(*v),
                                _ => {}
                            }
                        }
                        w.u8((*n).min(255) as u8);
                    }
                }
            }
            w.0
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
    /// The seed corpus, built from the fixtures with the encoders above. `cargo xtask
    /// fuzz-seeds` writes it to `fuzz/seeds/<target>/<name>`; the replay tests run it from
    /// memory; a test in `capi/tests/fuzz_regressions.rs` checks the committed files are equal.
    pub mod seeds {
        use std::path::Path;

        use super::{ChunkedCase, TrackerCase, TrackerOp, SHAPES};

        /// One seed file.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Seed {
            pub target: &'static str,
            pub name: String,
            pub bytes: Vec<u8>,
        }

        /// The `*.stream` fixtures of `dir` as (name without the extension, bytes), by name.
        pub fn fixtures(dir: &Path) -> Vec<(String, Vec<u8>)> {
            let mut out = Vec::new();
            let entries = std::fs::read_dir(dir)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
            for entry in entries {
                let path = entry.expect("a directory entry").path();
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if let Some(stem) = name.strip_suffix(".stream") {
                    let bytes = std::fs::read(&path)
                        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                    out.push((stem.to_string(), bytes));
                }
            }
            out.sort();
            assert!(!out.is_empty(), "no fixtures in {}", dir.display());
            out
        }

        /// Writes `seeds` under `dir/<target>/<name>`.
        pub fn write(dir: &Path, seeds: &[Seed]) {
            for seed in seeds {
                let target = dir.join(seed.target);
                std::fs::create_dir_all(&target)
                    .unwrap_or_else(|e| panic!("cannot create {}: {e}", target.display()));
                let path = target.join(&seed.name);
                std::fs::write(&path, &seed.bytes)
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            }
        }

        fn chunked(data: &[u8], cuts: Vec<usize>) -> ChunkedCase {
            ChunkedCase {
                data: data.to_vec(),
                cuts,
                max_record_len: 8 << 20,
                max_depth: 128,
                stop_at_first_error: false,
                pause_every: 0,
            }
        }

        /// Three ways through the chunked target: even cuts with the default limits; small
        /// limits, three cuts and a pause after every item; stop at the first error.
        fn chunked_cases(data: &[u8]) -> [(&'static str, ChunkedCase); 3] {
            let n = data.len();
            let even = (1..=(n / 97).min(31)).map(|k| k * 97).collect();
            let thirds = vec![n / 3, n / 2, n.saturating_sub(1)];
            [
                ("default", chunked(data, even)),
                (
                    "small_limits_pause",
                    ChunkedCase {
                        max_record_len: 96,
                        max_depth: 3,
                        pause_every: 1,
                        ..chunked(data, thirds)
                    },
                ),
                (
                    "stop_first",
                    ChunkedCase {
                        stop_at_first_error: true,
                        pause_every: 2,
                        ..chunked(data, vec![1])
                    },
                ),
            ]
        }

        /// The JSON objects of a fixture (any framing), skipping what does not parse.
        fn records(data: &[u8]) -> Vec<serde_json::Map<String, serde_json::Value>> {
            let mut out = Vec::new();
            let mut pos = 0;
            while let Some(start) = data[pos..].iter().position(|&b| b == b'{') {
                let start = pos + start;
                let mut stream = serde_json::Deserializer::from_slice(&data[start..])
                    .into_iter::<serde_json::Value>();
                match stream.next() {
                    Some(Ok(value)) => {
                        pos = start + stream.byte_offset();
                        if let serde_json::Value::Object(map) = value {
                            out.push(map);
                        }
                    }
                    _ => pos = start + 1,
                }
            }
            out
        }

        /// (index into `SHAPES`, text) for one record.
        fn shape_of(record: &serde_json::Map<String, serde_json::Value>) -> (usize, String) {
            let text = |key: &str| match record.get(key) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            let shape = |name: &str| SHAPES.iter().position(|s| *s == name).expect("a shape");
            let truthy = |key: &str| {
                !matches!(
                    record.get(key),
                    None | Some(serde_json::Value::Null) | Some(serde_json::Value::Bool(false))
                ) && record.get(key) != Some(&serde_json::Value::String(String::new()))
            };
            if truthy("errorDetail") || truthy("error") {
                return (shape("<error>"), text("error"));
            }
            if record.contains_key("aux") {
                return (shape("<aux>"), String::new());
            }
            if record.contains_key("stream") {
                return (shape("<stream>"), text("stream"));
            }
            let status = match record.get("status") {
                None | Some(serde_json::Value::Null) => {
                    return if record.contains_key("message") {
                        (shape("<message>"), text("message"))
                    } else {
                        (shape("<empty>"), String::new())
                    };
                }
                Some(_) => text("status"),
            };
            if let Some(index) = SHAPES.iter().position(|s| *s == status) {
                return (index, String::new());
            }
            // A shape that ends with its text: "Pulling from {text}", "Digest: sha256:{text}"…
            for (index, shape) in SHAPES.iter().enumerate() {
                if let Some(prefix) = shape.strip_suffix("{text}") {
                    if !prefix.is_empty() {
                        if let Some(rest) = status.strip_prefix(prefix) {
                            return (index, rest.to_string());
                        }
                    }
                }
            }
            (shape("{text}"), status)
        }

        /// A fixture's records as tracker ops, 250 ms apart, with a `poll_stalls` 40 s later
        /// after every fifth; the first six layer ids map to the id pool, later ones stay.
        pub fn tracker_case(data: &[u8]) -> TrackerCase {
            let mut ops = Vec::new();
            let mut ids: Vec<String> = Vec::new();
            let mut clock = 0u64;
            for (i, record) in records(data).iter().enumerate() {
                clock += 250;
                let (shape, text) = shape_of(record);
                let id = match record.get("id") {
                    None | Some(serde_json::Value::Null) => None,
                    Some(value) => {
                        let layer = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                        match ids.iter().position(|known| *known == layer) {
                            Some(k) => Some(super::pool_id(k as u8 + 1)),
                            None if ids.len() < 6 => {
                                ids.push(layer);
                                Some(super::pool_id(ids.len() as u8))
                            }
                            None => Some(super::truncate(&layer, 23).to_string()),
                        }
                    }
                };
                let detail = record.get("progressDetail").and_then(|d| d.as_object());
                let number = |key: &str| detail.and_then(|d| d.get(key)).and_then(|v| v.as_i64());
                let flag = |key: &str| detail.and_then(|d| d.get(key));
                ops.push(TrackerOp::Record {
                    shape,
                    id,
                    text: super::truncate(&text, 23).to_string(),
                    current: number("current"),
                    total: number("total"),
                    seconds_unit: flag("units").and_then(|u| u.as_str()) == Some("s"),
                    hidecounts: flag("hidecounts").and_then(|h| h.as_bool()) == Some(true),
                    n: (i % 2 * 2) as u32,
                    now_ms: clock,
                });
                if i % 5 == 4 {
                    clock += 40_000;
                    ops.push(TrackerOp::Poll { now_ms: clock });
                }
            }
            ops.truncate(256);
            TrackerCase {
                max_layers: 8,
                stall_transfer_ms: 3000,
                stall_extract_ms: 6000,
                min_bytes_per_sec: 0,
                rate_window_ms: 1000,
                ops,
            }
        }

        /// The fixture as the body of an HTTP/1.1 response, Content-Length or chunked (with and
        /// without a chunk extension and a trailer, by `index`), cut in the head and the body.
        pub fn http_case(data: &[u8], index: usize) -> ChunkedCase {
            let head: &[u8] =
                b"HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Type: application/json\r\n";
            let mut wire = head.to_vec();
            if index.is_multiple_of(3) {
                wire.extend_from_slice(format!("Content-Length: {}\r\n\r\n", data.len()).as_bytes());
                wire.extend_from_slice(data);
            } else {
                wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                let step = 37 + 50 * (index % 5);
                for (k, piece) in data.chunks(step).enumerate() {
                    let extension = if k == 0 && index % 2 == 1 { ";x=1" } else { "" };
                    wire.extend_from_slice(format!("{:x}{extension}\r\n", piece.len()).as_bytes());
                    wire.extend_from_slice(piece);
                    wire.extend_from_slice(b"\r\n");
                }
                wire.extend_from_slice(if !index.is_multiple_of(4) {
                    b"0\r\n\r\n"
                } else {
                    b"0\r\nTrailer: x\r\n\r\n"
                });
            }
            let n = wire.len();
            chunked(&wire, vec![head.len() - 3, head.len() + 40, n / 2, n - 2])
        }

        /// Hostile shapes the fixtures do not have (whole and chunked targets).
        pub const HOSTILE: &[(&str, &[u8])] = &[
            ("alternating", b"{\"status\":\"Waiting\",\"id\":\"a\"}\ngarbage line\n{\"status\":\"Waiting\",\"id\":\"a\"}\ngarbage line\n{\"status\":\"Waiting\",\"id\":\"a\"}\ngarbage line\n{\"status\":\"Waiting\",\"id\":\"a\"}\ngarbage line\n"),
            ("duplicates", b"{\"status\":\"a\",\"status\":\"b\",\"id\":\"x\",\"id\":\"y\"}\r\n"),
            ("nul_and_bad_utf8", b"\x00\xff{\"status\":\"a\xff\x00b\",\"id\":\"\xc3(\"}\r\n\x00{}"),
            ("numbers", b"{\"status\":\"Downloading\",\"id\":\"a\",\"progressDetail\":{\"current\":1e400,\"total\":-5}}\n{\"status\":\"Downloading\",\"id\":\"a\",\"progressDetail\":{\"current\":99999999999999999999,\"total\":1.5}}\n"),
            ("surrogate", b"{\"status\":\"\\ud800\",\"id\":\"\\udc00\\ud800x\"}\n{\"status\":\"\\u0000\"}"),
        ];

        /// Responses that are not a 200 with a good body (http target).
        pub const HTTP_ERRORS: &[(&str, &[u8])] = &[
            ("http_404", b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n{\"message\":\"No such image\"}\n"),
            ("http_502", b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html>bad</html>"),
            ("http_bad_chunk", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n"),
            ("http_continue", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\n{}\n0\n\n"),
            ("http_huge_chunk", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}"),
        ];

        /// A 300-level nesting (past the default depth limit) built rather than spelled out.
        fn deep() -> Vec<u8> {
            let mut data = b"{\"a\":".to_vec();
            data.extend(std::iter::repeat_n(b'[', 300));
            data.extend(std::iter::repeat_n(b']', 300));
            data.extend_from_slice(b"}\r\n{}");
            data
        }

        /// The seeds of the core targets: whole, chunked, tracker and http.
        pub fn core(fixtures: &[(String, Vec<u8>)]) -> Vec<Seed> {
            let mut out = Vec::new();
            let mut seed = |target: &'static str, name: String, bytes: Vec<u8>| {
                out.push(Seed {
                    target,
                    name,
                    bytes,
                })
            };
            for (index, (name, data)) in fixtures.iter().enumerate() {
                seed("whole", name.clone(), data.clone());
                for (variant, case) in chunked_cases(data) {
                    seed("chunked", format!("{name}.{variant}"), case.to_bytes());
                }
                seed("tracker", name.clone(), tracker_case(data).to_bytes());
                seed("http", name.clone(), http_case(data, index).to_bytes());
            }
            let deep = deep();
            let hostile = HOSTILE
                .iter()
                .map(|(name, data)| (*name, data.to_vec()))
                .chain([("deep", deep)]);
            for (name, data) in hostile {
                seed("whole", format!("hostile_{name}"), data.clone());
                let case = ChunkedCase {
                    max_record_len: 64,
                    max_depth: 4,
                    pause_every: 1,
                    ..chunked(&data, vec![data.len() / 2])
                };
                seed("chunked", format!("hostile_{name}"), case.to_bytes());
            }
            for (name, wire) in HTTP_ERRORS {
                seed("http", name.to_string(), chunked(wire, vec![20]).to_bytes());
            }
            out
        }
    }
}
