//! Deterministic generator of realistic Docker Engine pull progress streams.
//!
//! The output imitates the body of `POST /images/create` as written by a Docker Engine
//! (1.10 to 28.x, graphdriver image store, registry v2): many pulls back to back, each with
//! `Pulling from`, per-layer `Already exists` / `Pulling fs layer` / `Waiting`, interleaved
//! `Downloading` progress records of at most three concurrent downloads, `Verifying Checksum`,
//! `Download complete`, sequential `Extracting` and `Pull complete`, and finally `Digest:` and
//! `Status:` lines. Occasionally a layer download is retried (`Retrying in N seconds`), and when
//! enabled a pull ends with an in-stream error record instead.
//!
//! Records are encoded exactly like Go's `encoding/json` would (key order of the daemon's
//! structs, `<`, `>` and `&` escaped as `\u003c`, `\u003e`, `\u0026`), progress bars are rendered
//! like the daemon's formatter (Docker 17.06+ size style, e.g. `1.065MB`).
//!
//! The generator is driven by a small built-in PRNG and uses only integer arithmetic and
//! exactly-rounded IEEE operations, so the same seed and options give byte-identical output
//! on every platform.
//!
//! ```
//! let bytes = pullstream::synth::Generator::new(7).size(pullstream::synth::StreamSize::Tiny).generate();
//! assert!(bytes.starts_with(b"{\"status\":\"Pulling from "));
//! assert!(bytes.ends_with(b"}\r\n"));
//! ```

use std::io::Write as _;

/// How records are delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No delimiter at all: `…}{…` (daemons up to 0.8, and progress records up to 1.9).
    Concatenated,
    /// `"\r\n"` after every record (Docker 1.10 and later).
    Crlf,
    /// `"\n"` after every record (Podman's compat API, Go `json.Encoder`).
    Lf,
}

impl Framing {
    /// The bytes written after every record.
    pub const fn terminator(self) -> &'static [u8] {
        match self {
            Framing::Concatenated => b"",
            Framing::Crlf => b"\r\n",
            Framing::Lf => b"\n",
        }
    }
}

/// Preset stream sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamSize {
    /// A few KB: one or a few small pulls.
    Tiny,
    /// About 1 MiB.
    Small,
    /// 64 MiB (67 108 864 bytes), give or take one pull.
    Large,
}

impl StreamSize {
    /// The byte target of the preset. Generation stops at the end of the first pull that
    /// reaches it.
    pub const fn target_bytes(self) -> usize {
        match self {
            StreamSize::Tiny => 4 * 1024,
            StreamSize::Small => 1024 * 1024,
            StreamSize::Large => 64 * 1024 * 1024,
        }
    }
}

/// A deterministic generator of Docker pull progress streams.
///
/// Configure it with the builder methods, then call [`Generator::generate`] or
/// [`Generator::write_to`]. The same seed and options always produce the same bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    seed: u64,
    framing: Framing,
    target: usize,
    errors: bool,
}

impl Generator {
    /// A generator for `seed` with the defaults: [`Framing::Crlf`], [`StreamSize::Small`],
    /// error records enabled.
    pub fn new(seed: u64) -> Self {
        Generator {
            seed,
            framing: Framing::Crlf,
            target: StreamSize::Small.target_bytes(),
            errors: true,
        }
    }

    /// Sets how records are delimited.
    pub fn framing(mut self, f: Framing) -> Self {
        self.framing = f;
        self
    }

    /// Sets the target size from a preset (replaces any earlier [`Generator::target_bytes`]).
    pub fn size(mut self, s: StreamSize) -> Self {
        self.target = s.target_bytes();
        self
    }

    /// Sets the target size in bytes (replaces any earlier preset). Generation always ends
    /// on a complete pull, so the output is at least one pull long (`0` gives exactly one
    /// pull) and overshoots the target by less than one pull. The output is held in memory,
    /// so the target must fit in it.
    pub fn target_bytes(mut self, n: usize) -> Self {
        self.target = n;
        self
    }

    /// Enables or disables occasional error records (about 1 pull in 25 ends with one).
    /// Enabled by default. Download retries are not errors and happen either way.
    pub fn errors(mut self, yes: bool) -> Self {
        self.errors = yes;
        self
    }

    /// Generates the stream into a new buffer.
    pub fn generate(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    /// Appends the stream to `out`; the target size counts only the bytes appended here.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let start = out.len();
        // One pull is rarely above 512 KiB, so this usually avoids any reallocation. A target
        // too large to reserve is not an error here (only running out of memory later is).
        let _ = out.try_reserve(self.target.saturating_add(512 * 1024));
        let mut rng = Rng::new(self.seed);
        let mut em = Emitter::new(out, self.framing.terminator());
        loop {
            let remaining = self.target.saturating_sub(em.out.len() - start);
            let plan = plan_pull(&mut rng, remaining, self.errors);
            run_pull(&plan, &mut rng, &mut em);
            if em.out.len() - start >= self.target {
                break;
            }
        }
    }
}

/// One complete successful pull of `nginx:latest` (five layers, the base one already present)
/// built from hand-picked values, for a live demo.
///
/// Each element is one record without any delimiter (the caller adds the framing, normally
/// `"\r\n"`) and the delay in milliseconds to wait before sending it. The delays add up to
/// about seven seconds.
pub fn demo_pull() -> Vec<(Vec<u8>, u32)> {
    let layer = |id: &str, size: u64, exists: bool| LayerPlan {
        id: id.to_string(),
        size,
        exists,
    };
    let plan = PullPlan {
        image: &DEMO_IMAGE,
        tag: "latest",
        layers: vec![
            layer("2d429b9e73a6", 29_126_484, true),
            layer("20c8b685cc4b", 41_875_118, false),
            layer("06f2fa0d4f5b", 628, false),
            layer("0d20d2ae5b07", 956, false),
            layer("e8ad6baf1e64", 1_399, false),
        ],
        up_to_date: false,
        bandwidth: 8_200_000,
        extract_rate: 48_000_000,
        retry: None,
        failure: None,
        digest: "bc5eac5eafc581aeda3008b4b1f07ebba230de2f27d47767129a6a905c84f470".to_string(),
    };
    let mut buf = Vec::new();
    let mut em = Emitter::new(&mut buf, b"");
    em.marks = Some(Vec::new());
    // The manifest is fetched before the first line appears.
    em.now_ms = 320;
    run_pull(&plan, &mut Rng::new(0x006e_6769_6e78), &mut em);
    let marks = em.marks.take().unwrap_or_default();
    let mut records = Vec::with_capacity(marks.len());
    let mut previous_ms = 0;
    for (k, &(offset, at_ms)) in marks.iter().enumerate() {
        let end = marks.get(k + 1).map_or(buf.len(), |m| m.0);
        let delay = u32::try_from(at_ms.saturating_sub(previous_ms)).unwrap_or(u32::MAX);
        previous_ms = at_ms;
        records.push((buf[offset..end].to_vec(), delay));
    }
    records
}

// ---------------------------------------------------------------------------------------------
// Randomness

/// splitmix64: tiny, fast, and good enough for test data; any seed (including 0) is fine.
#[derive(Clone, Debug)]
struct Rng {
    state: u64,
}

impl Rng {
    fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0), by the multiply-shift method.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).saturating_add(1))
    }

    /// True with probability `1 / n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, digits: usize) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(digits);
        let mut bits = 0;
        let mut word = 0;
        for _ in 0..digits {
            if bits == 0 {
                word = self.next_u64();
                bits = 16;
            }
            s.push(char::from(HEX[(word & 15) as usize]));
            word >>= 4;
            bits -= 1;
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// What gets pulled

struct Image {
    /// Repository path as shown in `Pulling from`.
    path: &'static str,
    /// Familiar name as shown in `Status:`.
    familiar: &'static str,
    tags: &'static [&'static str],
}

const fn image(path: &'static str, familiar: &'static str, tags: &'static [&'static str]) -> Image {
    Image {
        path,
        familiar,
        tags,
    }
}

static DEMO_IMAGE: Image = image("library/nginx", "nginx", &["latest"]);

static IMAGES: &[Image] = &[
    image(
        "library/nginx",
        "nginx",
        &["latest", "1.27", "1.27-alpine", "stable", "mainline-alpine"],
    ),
    image(
        "library/redis",
        "redis",
        &["latest", "7.4", "7.4-alpine", "6.2-bookworm"],
    ),
    image(
        "library/postgres",
        "postgres",
        &["latest", "17", "16-alpine", "15.8-bookworm"],
    ),
    image(
        "library/node",
        "node",
        &["latest", "22", "20-alpine", "18-bullseye-slim"],
    ),
    image(
        "library/python",
        "python",
        &["latest", "3.13", "3.12-slim", "3.11-alpine"],
    ),
    image(
        "library/alpine",
        "alpine",
        &["latest", "3.20", "3.19", "edge"],
    ),
    image(
        "library/ubuntu",
        "ubuntu",
        &["latest", "24.04", "22.04", "noble"],
    ),
    image(
        "library/debian",
        "debian",
        &["latest", "bookworm", "bookworm-slim", "bullseye"],
    ),
    image(
        "library/golang",
        "golang",
        &["latest", "1.23", "1.22-alpine", "1.23-bookworm"],
    ),
    image(
        "library/rust",
        "rust",
        &["latest", "1.82", "1.82-slim", "alpine"],
    ),
    image(
        "library/mysql",
        "mysql",
        &["latest", "8.4", "9.1", "8.0-debian"],
    ),
    image(
        "library/mongo",
        "mongo",
        &["latest", "7.0", "8.0", "6.0-jammy"],
    ),
    image("library/httpd", "httpd", &["latest", "2.4", "2.4-alpine"]),
    image(
        "library/busybox",
        "busybox",
        &["latest", "1.36", "stable-musl"],
    ),
    image("library/traefik", "traefik", &["latest", "v3.2", "3.1"]),
    image(
        "library/rabbitmq",
        "rabbitmq",
        &["latest", "3.13-management", "4.0-alpine"],
    ),
    image(
        "library/memcached",
        "memcached",
        &["latest", "1.6", "1.6-alpine"],
    ),
    image(
        "library/eclipse-temurin",
        "eclipse-temurin",
        &["21-jre", "17-jdk", "21-jdk-alpine"],
    ),
    image(
        "library/wordpress",
        "wordpress",
        &["latest", "6.6-php8.3-apache", "php8.2-fpm"],
    ),
    image(
        "library/haproxy",
        "haproxy",
        &["latest", "3.0", "2.8-alpine"],
    ),
    image("bitnami/kafka", "bitnami/kafka", &["latest", "3.8"]),
    image("grafana/grafana", "grafana/grafana", &["latest", "11.3.0"]),
    image("prom/prometheus", "prom/prometheus", &["latest", "v2.55.0"]),
];

const RATE_LIMIT: &str =
    "toomanyrequests: You have reached your pull rate limit. You may increase \
the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit";

/// A proxy answering with HTML: the registry client quotes the body with Go's `%q`, so the
/// message holds literal `\r\n` sequences as well as `<` and `>`.
const HTML_BODY: &str = "error parsing HTTP 502 response body: invalid character '<' looking for \
beginning of value: \"<html>\\r\\n<head><title>502 Bad Gateway</title></head>\\r\\n<body>\\r\\n\
<center><h1>502 Bad Gateway</h1></center>\\r\\n</body>\\r\\n</html>\\r\\n\"";

const FULL_DISK_FILES: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/libicudata.so.72.1",
    "/usr/local/lib/python3.12/site-packages/numpy/core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so",
    "/usr/share/locale/de/LC_MESSAGES/coreutils.mo",
    "/usr/local/go/pkg/tool/linux_amd64/compile",
];

struct LayerPlan {
    /// First 12 hex digits of the compressed blob digest.
    id: String,
    size: u64,
    exists: bool,
}

enum Failure {
    /// Fails right after `Pulling from` (manifest fetch).
    Early(String),
    /// Fails while layer `layer` downloads, once `at` bytes are reached.
    Download {
        layer: usize,
        at: u64,
        message: String,
    },
    /// Fails while layer `layer` is extracted, once `at` bytes are reached.
    Extract {
        layer: usize,
        at: u64,
        message: String,
    },
}

struct PullPlan {
    image: &'static Image,
    tag: &'static str,
    layers: Vec<LayerPlan>,
    /// Every layer is present: the daemon prints only `Pulling from`, `Digest:`, `Status:`.
    up_to_date: bool,
    /// Bytes per second shared by the concurrent downloads.
    bandwidth: u64,
    /// Compressed bytes per second consumed by extraction.
    extract_rate: u64,
    /// Layer whose connection drops once it has `at` bytes, followed by a retry countdown.
    retry: Option<(usize, u64)>,
    failure: Option<Failure>,
    digest: String,
}

/// Bytes a pull costs per downloaded layer besides its progress records (about six short
/// status records).
const LAYER_OVERHEAD_BYTES: usize = 450;
/// Typical encoded size of one progress record including framing.
const PROGRESS_RECORD_BYTES: usize = 190;

/// Chooses everything about the next pull. `budget` is how many bytes are still wanted; when
/// it is small the pull is shrunk so that tiny targets give tiny streams.
fn plan_pull(rng: &mut Rng, budget: usize, errors: bool) -> PullPlan {
    let image = rng.pick(IMAGES);
    let tag = *rng.pick(image.tags);
    let max_layers = (budget / (2 * LAYER_OVERHEAD_BYTES)).clamp(2, 9) as u64;
    let count = rng.range(2, max_layers) as usize;
    let up_to_date = rng.one_in(10);
    // A layer can only already exist if the layers below it do (chain IDs), so the present
    // layers form a bottom prefix. Roughly 1 layer in 5 ends up present.
    let present = if up_to_date {
        count
    } else if rng.below(100) < 45 {
        0
    } else {
        rng.range(1, 3.min(count as u64 - 1)) as usize
    };
    let downloads = count - present;
    // 1.2 to 4.8 MB/s (10 to 38 Mbit/s), weighted towards the slow end.
    let octave = 1_200_000u64 << rng.below(2);
    let bandwidth = octave + rng.below(octave);
    // Near the end of the budget, shrink the largest possible layer to what the remaining
    // bytes can hold, so that small targets give small streams. A progress record covers
    // about bandwidth / 2 * 0.11 s of data.
    let per_record = bandwidth / 18;
    let records_left =
        budget.saturating_sub(downloads * LAYER_OVERHEAD_BYTES) / PROGRESS_RECORD_BYTES;
    let size_cap = (records_left as u64)
        .saturating_mul(per_record)
        .max(8 * 1024);
    let layers = (0..count)
        .map(|k| LayerPlan {
            id: rng.hex(12),
            size: layer_size(rng, size_cap),
            exists: k < present,
        })
        .collect::<Vec<_>>();
    let extract_rate = 20_000_000 + rng.below(60_000_000);
    let download_layer = |rng: &mut Rng| present + rng.below(downloads as u64) as usize;
    let retry = if !up_to_date && rng.one_in(20) {
        let k = download_layer(rng);
        let size = layers[k].size;
        Some((k, size / 10 + rng.below(size * 8 / 10)))
    } else {
        None
    };
    let failure = if errors && !up_to_date && rng.one_in(23) {
        let k = download_layer(rng);
        let at = 1 + rng.below(layers[k].size - 1);
        Some(match rng.below(100) {
            0..=34 => Failure::Early(RATE_LIMIT.to_string()),
            35..=44 => Failure::Early(HTML_BODY.to_string()),
            45..=69 => Failure::Download {
                layer: k,
                at,
                message: "unexpected EOF".to_string(),
            },
            70..=84 => {
                let blob = rng.hex(64);
                let message = format!(
                    "Get \"https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/\
                     blobs/sha256/{}/{}/data?expires={}&signature={}&version=2\": net/http: TLS \
                     handshake timeout",
                    &blob[..2],
                    blob,
                    1_730_000_000 + rng.below(50_000_000),
                    rng.hex(40),
                );
                Failure::Download {
                    layer: k,
                    at,
                    message,
                }
            }
            _ => Failure::Extract {
                layer: k,
                at,
                message: format!(
                    "failed to register layer: write {}: no space left on device",
                    rng.pick(FULL_DISK_FILES)
                ),
            },
        })
    } else {
        None
    };
    PullPlan {
        image,
        tag,
        layers,
        up_to_date,
        bandwidth,
        extract_rate,
        retry,
        failure,
        digest: rng.hex(64),
    }
}

/// Log-uniform-ish layer size from about 2 KB to about 60 MB: a uniformly chosen octave,
/// uniform within it, limited to octaves that fit under `cap`.
fn layer_size(rng: &mut Rng, cap: u64) -> u64 {
    const SMALLEST: u64 = 1_900;
    let mut octaves = 0;
    while octaves < 15 && (SMALLEST << (octaves + 1)) <= cap {
        octaves += 1;
    }
    let low = SMALLEST << rng.below(octaves + 1);
    (low + rng.below(low)).min(62_000_000)
}

// ---------------------------------------------------------------------------------------------
// Simulation of the daemon's download and extraction machinery

/// Docker's default `max-concurrent-downloads`.
const MAX_CONCURRENT_DOWNLOADS: usize = 3;
/// The daemon's progress reader is rate-limited to one update per 100 ms per layer.
const PROGRESS_INTERVAL_MS: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Present,
    Queued,
    Downloading,
    /// Countdown value of the last `Retrying in N seconds` record.
    Retrying(u8),
    Downloaded,
    Extracting,
    /// Extraction read everything; the layer is being registered before `Pull complete`.
    Registering,
    Done,
}

impl Phase {
    /// Phases that have a pending timed event.
    fn is_timed(self) -> bool {
        matches!(
            self,
            Phase::Downloading | Phase::Retrying(_) | Phase::Extracting | Phase::Registering
        )
    }
}

struct LayerRun {
    phase: Phase,
    current: u64,
    /// Time of the previous progress step, to turn a rate into bytes.
    last_ms: u64,
    next_ms: u64,
    retried: bool,
    total_human: Human,
}

/// Bytes moved in `dt_ms` at about `bytes_per_s` (±30 %), at least one.
fn bytes_moved(rng: &mut Rng, bytes_per_s: u64, dt_ms: u64) -> u64 {
    (bytes_per_s * dt_ms / 1000 * (700 + rng.below(600)) / 1000).max(1)
}

const COUNTDOWN: [&str; 6] = ["0", "1", "2", "3", "4", "5"];

/// Plays one pull through a discrete-event simulation and writes its records.
fn run_pull(plan: &PullPlan, rng: &mut Rng, em: &mut Emitter<'_>) {
    em.status(&["Pulling from ", plan.image.path], false, Some(plan.tag));
    if plan.up_to_date {
        em.now_ms += rng.range(40, 250);
        em.status(&["Digest: sha256:", &plan.digest], false, None);
        em.status(
            &[
                "Status: Image is up to date for ",
                plan.image.familiar,
                ":",
                plan.tag,
            ],
            false,
            None,
        );
        return;
    }
    if let Some(Failure::Early(message)) = &plan.failure {
        em.now_ms += rng.range(80, 600);
        em.error(message);
        return;
    }

    let layers = &plan.layers;
    let mut runs: Vec<LayerRun> = layers
        .iter()
        .map(|l| LayerRun {
            phase: if l.exists {
                Phase::Present
            } else {
                Phase::Queued
            },
            current: 0,
            last_ms: 0,
            next_ms: 0,
            retried: false,
            total_human: Human::of(l.size),
        })
        .collect();
    for l in layers {
        let status = if l.exists {
            "Already exists"
        } else {
            "Pulling fs layer"
        };
        em.status(&[status], true, Some(&l.id));
    }
    let downloads: Vec<usize> = (0..layers.len()).filter(|&k| !layers[k].exists).collect();
    let start_download = |run: &mut LayerRun, rng: &mut Rng, now: u64| {
        run.phase = Phase::Downloading;
        run.current = 0;
        run.last_ms = now;
        // Connection setup and the first read take longer than the steady cadence.
        run.next_ms = now + rng.range(120, 400);
    };
    let mut active = 0;
    let mut next_download = 0;
    while next_download < downloads.len() && active < MAX_CONCURRENT_DOWNLOADS {
        start_download(&mut runs[downloads[next_download]], rng, em.now_ms);
        next_download += 1;
        active += 1;
    }
    for &k in &downloads[next_download..] {
        em.status(&["Waiting"], true, Some(&layers[k].id));
    }
    // Extraction is sequential, bottom layer first.
    let mut extract_cursor = downloads.first().copied().unwrap_or(layers.len());

    loop {
        let mut due: Option<usize> = None;
        for (k, run) in runs.iter().enumerate() {
            let earliest = match due {
                None => true,
                Some(d) => run.next_ms < runs[d].next_ms,
            };
            if run.phase.is_timed() && earliest {
                due = Some(k);
            }
        }
        let Some(k) = due else { break };
        let now = runs[k].next_ms.max(em.now_ms);
        em.now_ms = now;
        let layer = &layers[k];
        let run = &mut runs[k];
        match run.phase {
            Phase::Downloading => {
                let first_step = run.current == 0;
                let step = bytes_moved(
                    rng,
                    plan.bandwidth / active.max(1) as u64,
                    now - run.last_ms,
                );
                let reached = (run.current + step).min(layer.size);
                run.last_ms = now;
                if let Some((_, at)) = plan.retry.filter(|&(r, at)| r == k && reached >= at) {
                    if !run.retried && at < layer.size {
                        run.retried = true;
                        run.phase = Phase::Retrying(5);
                        run.next_ms = now + 1000;
                        em.status(&["Retrying in 5 seconds"], true, Some(&layer.id));
                        continue;
                    }
                }
                if let Some(Failure::Download { at, message, .. }) = plan
                    .failure
                    .as_ref()
                    .filter(|f| matches!(f, Failure::Download { layer, .. } if *layer == k))
                {
                    if reached >= *at {
                        em.error(message);
                        return;
                    }
                }
                run.current = reached;
                if reached < layer.size {
                    em.progress(
                        "Downloading",
                        reached,
                        layer.size,
                        &run.total_human,
                        &layer.id,
                    );
                    run.next_ms = now + PROGRESS_INTERVAL_MS + rng.below(25);
                    continue;
                }
                // The daemon's progress channel is lossy, so the final 100 % update is often
                // never seen; small layers finishing in one read always show one record.
                if first_step || rng.below(5) < 3 {
                    em.progress(
                        "Downloading",
                        reached,
                        layer.size,
                        &run.total_human,
                        &layer.id,
                    );
                }
                em.status(&["Verifying Checksum"], true, Some(&layer.id));
                em.status(&["Download complete"], true, Some(&layer.id));
                run.phase = Phase::Downloaded;
                active -= 1;
                if next_download < downloads.len() {
                    start_download(&mut runs[downloads[next_download]], rng, now);
                    next_download += 1;
                    active += 1;
                }
            }
            Phase::Retrying(left) => {
                if left > 1 {
                    let left = left - 1;
                    run.phase = Phase::Retrying(left);
                    run.next_ms = now + 1000;
                    let unit = if left == 1 { " second" } else { " seconds" };
                    em.status(
                        &["Retrying in ", COUNTDOWN[usize::from(left)], unit],
                        true,
                        Some(&layer.id),
                    );
                } else {
                    start_download(run, rng, now);
                }
                continue;
            }
            Phase::Extracting => {
                let step = bytes_moved(rng, plan.extract_rate, now - run.last_ms);
                let reached = (run.current + step).min(layer.size);
                run.last_ms = now;
                if let Some(Failure::Extract {
                    layer: f,
                    at,
                    message,
                }) = &plan.failure
                {
                    if *f == k && reached >= *at {
                        em.error(message);
                        return;
                    }
                }
                run.current = reached;
                em.progress(
                    "Extracting",
                    reached,
                    layer.size,
                    &run.total_human,
                    &layer.id,
                );
                if reached == layer.size {
                    run.phase = Phase::Registering;
                    run.next_ms = now + rng.range(10, 150);
                } else {
                    run.next_ms = now + PROGRESS_INTERVAL_MS + rng.below(25);
                }
                continue;
            }
            Phase::Registering => {
                em.status(&["Pull complete"], true, Some(&layer.id));
                run.phase = Phase::Done;
                extract_cursor = (k + 1..layers.len())
                    .find(|&j| !layers[j].exists)
                    .unwrap_or(layers.len());
            }
            // Not timed; never selected.
            Phase::Present | Phase::Queued | Phase::Downloaded | Phase::Done => break,
        }
        // A download finished or a layer was registered: the next layer may start extracting.
        if let Some(run) = runs.get_mut(extract_cursor) {
            if run.phase == Phase::Downloaded {
                run.phase = Phase::Extracting;
                run.current = 0;
                run.last_ms = now;
                run.next_ms = now + rng.range(20, 120);
            }
        }
    }

    em.now_ms += rng.range(30, 200);
    em.status(&["Digest: sha256:", &plan.digest], false, None);
    em.status(
        &[
            "Status: Downloaded newer image for ",
            plan.image.familiar,
            ":",
            plan.tag,
        ],
        false,
        None,
    );
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Writes records the way the daemon's stream formatter does.
struct Emitter<'a> {
    out: &'a mut Vec<u8>,
    terminator: &'static [u8],
    /// Simulated clock, used only by [`demo_pull`] for its delays.
    now_ms: u64,
    /// When set, the start offset and time of every record (for [`demo_pull`]).
    marks: Option<Vec<(usize, u64)>>,
}

impl<'a> Emitter<'a> {
    fn new(out: &'a mut Vec<u8>, terminator: &'static [u8]) -> Self {
        Emitter {
            out,
            terminator,
            now_ms: 0,
            marks: None,
        }
    }

    fn begin(&mut self) {
        if let Some(marks) = &mut self.marks {
            marks.push((self.out.len(), self.now_ms));
        }
    }

    fn end(&mut self) {
        self.out.extend_from_slice(self.terminator);
    }

    /// `{"status":…}`, with `"progressDetail":{}` when `update` (a `progress.Update`
    /// record) and the `id` if any. The status is the concatenation of `parts`.
    fn status(&mut self, parts: &[&str], update: bool, id: Option<&str>) {
        self.begin();
        self.out.extend_from_slice(b"{\"status\":\"");
        for part in parts {
            push_json_text(self.out, part);
        }
        self.out.push(b'"');
        if update {
            self.out.extend_from_slice(b",\"progressDetail\":{}");
        }
        if let Some(id) = id {
            self.out.extend_from_slice(b",\"id\":\"");
            push_json_text(self.out, id);
            self.out.push(b'"');
        }
        self.out.push(b'}');
        self.end();
    }

    /// An error record in the order of Docker up to 28.x.
    fn error(&mut self, message: &str) {
        self.begin();
        self.out
            .extend_from_slice(b"{\"errorDetail\":{\"message\":\"");
        push_json_text(self.out, message);
        self.out.extend_from_slice(b"\"},\"error\":\"");
        push_json_text(self.out, message);
        self.out.extend_from_slice(b"\"}");
        self.end();
    }

    /// A byte progress record with its rendered bar. `status` and `id` must not need
    /// escaping (they are fixed words and hex).
    fn progress(&mut self, status: &str, current: u64, total: u64, total_human: &Human, id: &str) {
        const FILL: [u8; 50] = [b'='; 50];
        const BLANK: [u8; 50] = [b' '; 50];
        self.begin();
        let out = &mut *self.out;
        out.extend_from_slice(b"{\"status\":\"");
        out.extend_from_slice(status.as_bytes());
        out.extend_from_slice(b"\",\"progressDetail\":{\"current\":");
        push_u64(out, current);
        out.extend_from_slice(b",\"total\":");
        push_u64(out, total);
        out.extend_from_slice(b"},\"progress\":\"[");
        // Same arithmetic as the daemon: int(current/total*100) / 2, then `=`s, the head
        // and padding, 51 columns in all.
        let filled = ((current as f64 / total as f64 * 100.0) as i64 / 2).clamp(0, 50) as usize;
        out.extend_from_slice(&FILL[..filled]);
        out.extend_from_slice(b"\\u003e");
        out.extend_from_slice(&BLANK[..50 - filled]);
        out.extend_from_slice(b"] ");
        // `%8v` of the current size, then `/total` unless current overshot it.
        let current_human = Human::of(current);
        let text = current_human.as_bytes();
        out.extend_from_slice(&BLANK[..8usize.saturating_sub(text.len())]);
        out.extend_from_slice(text);
        if current <= total {
            out.push(b'/');
            out.extend_from_slice(total_human.as_bytes());
        }
        out.extend_from_slice(b"\",\"id\":\"");
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(b"\"}");
        self.end();
    }
}

fn push_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[at..]);
}

/// Appends `text` escaped like Go's `encoding/json` with HTML escaping on (the default for
/// `json.Marshal`): quotes, backslash, control characters, `<`, `>`, `&`, U+2028 and U+2029.
fn push_json_text(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut clean_from = 0;
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            b'<' => Some(b"\\u003c"),
            b'>' => Some(b"\\u003e"),
            b'&' => Some(b"\\u0026"),
            0xe2 if bytes.get(at + 1) == Some(&0x80) && bytes.get(at + 2) == Some(&0xa8) => {
                Some(b"\\u2028")
            }
            0xe2 if bytes.get(at + 1) == Some(&0x80) && bytes.get(at + 2) == Some(&0xa9) => {
                Some(b"\\u2029")
            }
            _ => None,
        };
        if let Some(escape) = escape {
            out.extend_from_slice(&bytes[clean_from..at]);
            out.extend_from_slice(escape);
            at += if b == 0xe2 { 3 } else { 1 };
            clean_from = at;
        } else if b < 0x20 {
            out.extend_from_slice(&bytes[clean_from..at]);
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
            at += 1;
            clean_from = at;
        } else {
            at += 1;
        }
    }
    out.extend_from_slice(&bytes[clean_from..]);
}

/// A size rendered like `units.HumanSize` (Docker 17.06+): four significant digits, decimal
/// units, no space, e.g. `1.065MB`, `512kB`, `621B`.
#[derive(Clone, Copy, Debug)]
struct Human {
    buf: [u8; 16],
    len: usize,
}

impl Human {
    fn of(bytes: u64) -> Human {
        const UNITS: [&[u8]; 9] = [b"B", b"kB", b"MB", b"GB", b"TB", b"PB", b"EB", b"ZB", b"YB"];
        let mut human = Human {
            buf: [0; 16],
            len: 0,
        };
        // Same float steps as the Go code, then `%.4g`. Rust's `{:.3e}` rounds the exact
        // binary value to four significant digits just like Go's strconv does.
        let mut size = bytes as f64;
        let mut unit = 0;
        while size >= 1000.0 && unit < UNITS.len() - 1 {
            size /= 1000.0;
            unit += 1;
        }
        let mut sci = [0u8; 24];
        let sci_len = {
            let mut cursor: &mut [u8] = &mut sci;
            // Cannot fail: "d.ddde-dd" fits easily.
            let _ = write!(cursor, "{size:.3e}");
            24 - cursor.len()
        };
        let sci = &sci[..sci_len];
        // sci is "d.ddde<exp>"; exp is 0..=3 for sizes >= 1 and 0 for 0 ("0.000e0").
        let digits = [sci[0], sci[2], sci[3], sci[4]];
        let exponent = sci[6..]
            .iter()
            .fold(0usize, |e, d| e * 10 + usize::from(d.wrapping_sub(b'0')));
        let point = (exponent + 1).min(4);
        let mut significant = 4;
        while significant > 1 && digits[significant - 1] == b'0' {
            significant -= 1;
        }
        for &d in &digits[..significant.min(point)] {
            human.push(d);
        }
        for _ in significant..point {
            human.push(b'0');
        }
        if significant > point {
            human.push(b'.');
            for &d in &digits[point..significant] {
                human.push(d);
            }
        }
        for &b in UNITS[unit] {
            human.push(b);
        }
        human
    }

    fn push(&mut self, b: u8) {
        if self.len < self.buf.len() {
            self.buf[self.len] = b;
            self.len += 1;
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Every record with its byte range (without surrounding whitespace).
    fn records(bytes: &[u8]) -> Vec<(Value, std::ops::Range<usize>)> {
        let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(value) = stream.next() {
            let value = value.expect("every record is valid JSON");
            let end = stream.byte_offset();
            let start = from
                + bytes[from..end]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count();
            assert!(value.is_object(), "record is not an object: {value}");
            out.push((value, start..end));
            from = end;
        }
        assert!(
            bytes[from..].iter().all(|b| b.is_ascii_whitespace()),
            "trailing garbage"
        );
        out
    }

    fn status(v: &Value) -> &str {
        v.get("status").and_then(Value::as_str).unwrap_or("")
    }

    fn id(v: &Value) -> &str {
        v.get("id").and_then(Value::as_str).unwrap_or("")
    }

    /// (record count, average bytes per record, share of Downloading records).
    fn stats(bytes: &[u8]) -> (usize, f64, f64) {
        let recs = records(bytes);
        let downloading = recs
            .iter()
            .filter(|(v, _)| status(v) == "Downloading")
            .count();
        (
            recs.len(),
            bytes.len() as f64 / recs.len() as f64,
            downloading as f64 / recs.len() as f64,
        )
    }

    #[test]
    fn human_sizes_match_go() {
        let cases: &[(u64, &str)] = &[
            (0, "0B"),
            (621, "621B"),
            (1000, "1kB"),
            (262_144, "262.1kB"),
            (512_000, "512kB"),
            (539_462, "539.5kB"),
            (999_999, "1000kB"),
            (1_000_000, "1MB"),
            (1_064_960, "1.065MB"),
            (1_062_500, "1.062MB"),
            (6_580_032, "6.58MB"),
            (27_092_161, "27.09MB"),
            (436_480_882, "436.5MB"),
            (33_554_431, "33.55MB"),
        ];
        for &(bytes, want) in cases {
            let human = Human::of(bytes);
            assert_eq!(
                std::str::from_utf8(human.as_bytes()).unwrap(),
                want,
                "{bytes}"
            );
        }
    }

    #[test]
    fn progress_record_has_go_shape() {
        let mut out = Vec::new();
        let mut em = Emitter::new(&mut out, b"");
        em.progress(
            "Downloading",
            1_064_960,
            27_092_161,
            &Human::of(27_092_161),
            "a2318d6c47ec",
        );
        em.progress("Extracting", 621, 621, &Human::of(621), "a2318d6c47ec");
        let want = concat!(
            r#"{"status":"Downloading","progressDetail":{"current":1064960,"total":27092161},"#,
            r#""progress":"[=\u003e                                                 ]  1.065MB/27.09MB","#,
            r#""id":"a2318d6c47ec"}"#,
            r#"{"status":"Extracting","progressDetail":{"current":621,"total":621},"#,
            r#""progress":"[==================================================\u003e]     621B/621B","#,
            r#""id":"a2318d6c47ec"}"#,
        );
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    #[test]
    fn escaping_matches_go() {
        let mut out = Vec::new();
        push_json_text(&mut out, "a<b>&\"\\\n\r\t\u{1}\u{2028}é");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"a\u003cb\u003e\u0026\"\\\n\r\t\u0001\u2028é"#
        );
    }

    #[test]
    fn deterministic() {
        let a = Generator::new(42).generate();
        let b = Generator::new(42).generate();
        let c = Generator::new(43).generate();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let tiny = Generator::new(42).size(StreamSize::Tiny);
        assert_eq!(tiny.generate(), tiny.generate());
    }

    #[test]
    fn write_to_appends() {
        let g = Generator::new(5).size(StreamSize::Tiny);
        let mut out = b"prefix".to_vec();
        g.write_to(&mut out);
        assert_eq!(&out[..6], b"prefix");
        assert_eq!(&out[6..], &g.generate()[..]);
    }

    #[test]
    fn small_stream_statistics() {
        for seed in [1, 2, 3] {
            let bytes = Generator::new(seed).generate();
            let (count, avg, share) = stats(&bytes);
            println!(
                "Small seed {seed}: {} bytes, {count} records, avg {avg:.1} B/record, Downloading {:.1} %",
                bytes.len(),
                share * 100.0
            );
            assert!(bytes.len() >= StreamSize::Small.target_bytes());
            assert!(bytes.len() < StreamSize::Small.target_bytes() + 1024 * 1024);
            assert!((150.0..=210.0).contains(&avg), "average record size {avg}");
            assert!((0.80..=0.95).contains(&share), "Downloading share {share}");
        }
    }

    #[test]
    fn tiny_is_a_few_kb() {
        for seed in 0..50 {
            let len = Generator::new(seed).size(StreamSize::Tiny).generate().len();
            assert!((4096..64 * 1024).contains(&len), "seed {seed}: {len} bytes");
        }
    }

    #[test]
    fn framings() {
        let g = Generator::new(9).target_bytes(200_000);
        let crlf = g.generate();
        let lf = g.clone().framing(Framing::Lf).generate();
        let cat = g.clone().framing(Framing::Concatenated).generate();
        // Framing does not change the records (only, through the byte budget, how the
        // last pulls are sized).
        let stripped: Vec<u8> = crlf.iter().copied().filter(|&b| b != b'\r').collect();
        assert!(lf[..50_000] == stripped[..50_000]);
        assert!(!cat.contains(&b'\r') && !cat.contains(&b'\n'));
        for (bytes, sep) in [(&crlf, &b"\r\n"[..]), (&lf, &b"\n"[..]), (&cat, &b""[..])] {
            let recs = records(bytes);
            let mut expect_start = 0;
            for (_, range) in &recs {
                assert_eq!(range.start, expect_start);
                assert_eq!(bytes[range.start], b'{');
                assert_eq!(bytes[range.end - 1], b'}');
                assert_eq!(&bytes[range.end..range.end + sep.len()], sep);
                expect_start = range.end + sep.len();
            }
            assert_eq!(expect_start, bytes.len());
        }
    }

    /// Splits into pulls and checks each pull's structure; returns per-pull endings.
    fn check_pulls(bytes: &[u8]) -> Vec<String> {
        let recs = records(bytes);
        assert!(status(&recs[0].0).starts_with("Pulling from "));
        let mut endings = Vec::new();
        let mut pull: Vec<&Value> = Vec::new();
        let mut finish = |pull: &[&Value]| {
            let last = pull.last().expect("non-empty pull");
            if last.get("error").is_some() {
                assert!(last.get("errorDetail").is_some());
                endings.push(format!("error: {}", last["error"].as_str().unwrap()));
            } else {
                assert!(
                    status(last).starts_with("Status: "),
                    "pull ends with {last}"
                );
                assert!(status(pull[pull.len() - 2]).starts_with("Digest: sha256:"));
                assert_eq!(
                    status(pull[pull.len() - 2]).len(),
                    "Digest: sha256:".len() + 64
                );
                endings.push(status(last).to_string());
            }
            for v in &pull[..pull.len() - 1] {
                assert!(v.get("error").is_none(), "error record inside a pull");
            }
            // At most three layers between their first Downloading and Download complete.
            let mut downloading: Vec<&str> = Vec::new();
            for v in pull {
                match status(v) {
                    "Downloading" => {
                        if !downloading.contains(&id(v)) {
                            downloading.push(id(v));
                        }
                        assert!(downloading.len() <= MAX_CONCURRENT_DOWNLOADS);
                    }
                    "Download complete" => downloading.retain(|d| *d != id(v)),
                    _ => {}
                }
            }
        };
        for (v, _) in &recs {
            if status(v).starts_with("Pulling from ") && !pull.is_empty() {
                finish(&pull);
                pull.clear();
            }
            pull.push(v);
        }
        finish(&pull);
        endings
    }

    #[test]
    fn pulls_are_complete_and_concurrency_is_bounded() {
        for seed in 0..4 {
            let endings = check_pulls(&Generator::new(seed).generate());
            assert!(endings.len() > 3);
        }
    }

    #[test]
    fn progress_bars_are_consistent() {
        let bytes = Generator::new(11).generate();
        assert!(!bytes.iter().any(|b| matches!(b, b'<' | b'>' | b'&')));
        for (v, _) in records(&bytes) {
            let Some(bar) = v.get("progress").and_then(Value::as_str) else {
                continue;
            };
            let cur = v["progressDetail"]["current"].as_u64().unwrap();
            let total = v["progressDetail"]["total"].as_u64().unwrap();
            assert!(cur > 0 && cur <= total);
            let inside = &bar[1..bar.find(']').unwrap()];
            assert_eq!(inside.len(), 51);
            let filled = inside.bytes().take_while(|&b| b == b'=').count();
            assert_eq!(
                filled,
                ((cur as f64 / total as f64 * 100.0) as usize / 2).min(50)
            );
            assert_eq!(inside.as_bytes()[filled], b'>');
            assert!(inside[filled + 1..].bytes().all(|b| b == b' '));
            let numbers = &bar[inside.len() + 3..];
            let (c, t) = numbers.split_once('/').unwrap();
            assert_eq!(c.len(), 8.max(c.trim_start().len()));
            assert_eq!(c.trim_start().as_bytes(), Human::of(cur).as_bytes());
            assert_eq!(t.as_bytes(), Human::of(total).as_bytes());
        }
    }

    #[test]
    fn single_pulls_cover_every_variant() {
        let mut endings = Vec::new();
        let mut retries = 0;
        let mut html = 0;
        for seed in 0..1000 {
            let bytes = Generator::new(seed).target_bytes(0).generate();
            let e = check_pulls(&bytes);
            assert_eq!(e.len(), 1, "target 0 gives exactly one pull");
            endings.extend(e);
            let text = String::from_utf8(bytes).unwrap();
            if text.contains("\"Retrying in 5 seconds\"") {
                retries += 1;
                assert!(text.contains("\"Retrying in 1 second\""));
            }
            if text.contains(r"\u003chtml\u003e\\r\\n\u003chead\u003e") {
                html += 1;
            }
        }
        let count = |p: &str| endings.iter().filter(|e| e.starts_with(p)).count();
        let newer = count("Status: Downloaded newer image for ");
        let up_to_date = count("Status: Image is up to date for ");
        let errors = count("error: ");
        println!("1000 pulls: {newer} newer, {up_to_date} up to date, {errors} errors, {retries} retries, {html} html");
        assert!((60..=140).contains(&up_to_date));
        assert!((20..=70).contains(&errors));
        assert!((25..=80).contains(&retries));
        assert!(html > 0);
        for kind in [
            "toomanyrequests",
            "unexpected EOF",
            "no space left on device",
            "TLS handshake",
        ] {
            assert!(endings.iter().any(|e| e.contains(kind)), "{kind}");
        }
    }

    #[test]
    fn errors_can_be_disabled() {
        for seed in 0..3 {
            let bytes = Generator::new(seed)
                .target_bytes(3_000_000)
                .errors(false)
                .generate();
            assert!(check_pulls(&bytes).iter().all(|e| !e.starts_with("error")));
        }
    }

    #[test]
    fn retried_layer_restarts_from_zero() {
        let mut seen = 0;
        for seed in 0..200 {
            let bytes = Generator::new(seed)
                .target_bytes(0)
                .errors(false)
                .generate();
            let recs = records(&bytes);
            let Some(at) = recs
                .iter()
                .position(|(v, _)| status(v) == "Retrying in 1 second")
            else {
                continue;
            };
            let layer = id(&recs[at].0);
            let next = recs[at..]
                .iter()
                .find(|(v, _)| id(v) == layer && status(v) == "Downloading")
                .expect("download resumes");
            let restarted = next.0["progressDetail"]["current"].as_u64().unwrap();
            let total = next.0["progressDetail"]["total"].as_u64().unwrap();
            assert!(restarted <= total);
            seen += 1;
        }
        assert!(seen > 0);
    }

    #[test]
    fn demo_is_a_seven_second_nginx_pull() {
        let demo = demo_pull();
        let total_ms: u64 = demo.iter().map(|&(_, d)| u64::from(d)).sum();
        println!("demo: {} records, {total_ms} ms", demo.len());
        assert!((6000..=8000).contains(&total_ms), "{total_ms} ms");
        let mut joined = Vec::new();
        for (record, _) in &demo {
            assert_eq!(records(record).len(), 1);
            assert!(!record.ends_with(b"\n"));
            joined.extend_from_slice(record);
            joined.extend_from_slice(b"\r\n");
        }
        let endings = check_pulls(&joined);
        assert_eq!(endings, ["Status: Downloaded newer image for nginx:latest"]);
        let recs = records(&joined);
        assert_eq!(status(&recs[0].0), "Pulling from library/nginx");
        assert_eq!(id(&recs[0].0), "latest");
        assert_eq!(
            recs.iter()
                .filter(|(v, _)| status(v) == "Already exists")
                .count(),
            1
        );
        assert_eq!(
            recs.iter()
                .filter(|(v, _)| status(v) == "Pull complete")
                .count(),
            4
        );
        assert_eq!(
            recs.iter().filter(|(v, _)| status(v) == "Waiting").count(),
            1
        );
    }

    #[test]
    #[ignore = "64 MiB; run with --release -- --ignored --nocapture"]
    fn large_stream_statistics_and_speed() {
        let g = Generator::new(2024).size(StreamSize::Large);
        let started = std::time::Instant::now();
        let bytes = g.generate();
        let elapsed = started.elapsed();
        let (count, avg, share) = stats(&bytes);
        println!(
            "Large: {} bytes in {elapsed:?}, {count} records, avg {avg:.1} B/record, Downloading {:.1} %",
            bytes.len(),
            share * 100.0
        );
        assert!(bytes.len() >= StreamSize::Large.target_bytes());
        assert!(bytes.len() < StreamSize::Large.target_bytes() + 1024 * 1024);
        assert!((150.0..=210.0).contains(&avg));
        assert!((0.80..=0.95).contains(&share));
        check_pulls(&bytes);
    }
}
