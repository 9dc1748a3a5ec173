//! Failure kinds: what an error message means, read in one pass over its text.
//!
//! The daemon almost never sets `errorDetail.code`, so the kind comes from the message, which is
//! a Go error chain (`outer: inner: cause`) assembled from moby, containerd, containers/image,
//! the registry and Go's own `net` and `net/http` packages. `docs/ERRORS.md` lists the real
//! messages this is checked against, and the test `tests/error_table.rs` reads that table.
//!
//! # How a message is read
//! The text is split into words: runs of ASCII letters and digits (bytes of 0x80 and above count
//! as letters, so a word with one is simply not known). Everything else separates words, and a
//! word never matches inside another (`eof` is not in `geoffrey`). JSON escapes (`\n`, `\"`,
//! `\u003c`) separate words too; Go never escapes a letter or a digit. A word is looked up only
//! if some known word has its first byte and length; then, ASCII case folded into two `u64`
//! keys, in a hash table built at compile time.
//!
//! Words joined by [`JOINER`] bytes alone (`-./_:@?=&%+~`, or an escape of one, with no space)
//! make one *compound*: an image reference, a path, a host name, a URL. Its words are never read
//! as phrase words, so a made-up name such as `acme/broken-pipe:1.0` or a tag `code-500` cannot
//! turn a missing image into a retryable network error. A compound is one token: a lone word is
//! itself; a few compounds are one term of Go's or the registry's text (`i/o`, `read-only`,
//! `non-zero`, `Client.Timeout`, `MANIFEST_UNKNOWN`, …, see [`COMPOUNDS`]) and read as that
//! term; any other is `JOINED`, which only a phrase that steps over a URL uses (containerd's
//! `unexpected status code <url>: 520 `). A separator at the end of a word with no word after it
//! (`timeout.`, `denied:`) joins nothing.
//!
//! Each token is checked against the phrases that end with it, longest first (only the longest
//! match at a token counts, so `permission denied` is not read as the registry's `denied`).
//! Cost: one pass over the bytes (eight at a time inside words), at most one table probe per
//! word, a few comparisons per compound of known words, and a few per known token: linear in
//! the text, however long, and no allocation.
//!
//! # Precedence
//! Every phrase belongs to a tier; the lowest tier found anywhere in the message wins, and
//! inside a tier the kind earlier in [`KIND_ORDER`] wins:
//!
//! 0. **What failed**: a build step (`did not complete successfully`, `returned a non-zero code`,
//!    …), a platform mismatch (`no matching manifest`, containerd's
//!    `no match for platform in manifest: not found`), Docker's
//!    `pull access denied … repository does not exist …` (read as `not_found`: Docker Hub
//!    answers a missing repository with `denied`, so the trailing registry code cannot tell),
//!    and an expired token (`token has expired`, ECR: `unauthorized`, which wins over the
//!    `pull access denied` wrapper). The registry's `DENIED` after Podman's `reading manifest`
//!    is read as Docker's `pull access denied` (moby's `translatePullError` turns `DENIED` on a
//!    pull into not found). These name what failed; the rest of their text is a
//!    command line or a wrapped cause.
//! 1. **An HTTP status code**: `429`, `401`, `403`, `404`, `408` or any `5xx`, either followed
//!    by its reason phrase (`429 Too Many Requests`) or after `status`, `code`, `StatusCode` or
//!    `HTTP` (`HTTP 429`, `status code 503`), or a 5xx after containerd's `code <url>:` or
//!    `request to <url>:` (Go has no reason phrase for `520`). A bare number is never read as
//!    a status.
//! 2. **Registry error codes** (distribution's `errcode`, as `MANIFEST_UNKNOWN` or as their
//!    error text `manifest unknown`): `TOOMANYREQUESTS`, `UNAUTHORIZED`, `DENIED`,
//!    `NAME_UNKNOWN`, `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `BLOB_UPLOAD_UNKNOWN`,
//!    `MANIFEST_BLOB_UNKNOWN`, `UNAVAILABLE` (`service unavailable`).
//! 3. **Go's error texts**: `Client.Timeout exceeded`, `context deadline exceeded`,
//!    `i/o timeout`, `TLS handshake timeout`, `connection refused`, `connection reset`,
//!    `no such host`, `Temporary failure in name resolution`, `unexpected EOF`, gRPC's
//!    `code = Unavailable`, `cannot assign requested address`, … (network), and
//!    `context canceled`, `request canceled`, `operation was canceled` (cancelled). Network comes
//!    before cancelled in [`KIND_ORDER`], so net/http's
//!    `request canceled (Client.Timeout exceeded …)` is a timeout.
//! 4. **errno texts**: `no space left on device`, `disk quota exceeded`,
//!    `read-only file system` (disk).
//! 5. **Words**: `not found`, `does not exist`, `authentication required`, `rate limit`,
//!    `EOF` (upper case only: Go's `io.EOF`; references are lower case), `timed out`, …

use crate::json::JsonStr;

crate::stable_enum! {
    /// The kind of failure, classified from the daemon's message text (the daemon almost never
    /// sets `errorDetail.code`). `docs/ERRORS.md` lists real messages of every kind. The names
    /// are the JSON summary's `error.kind`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum FailureKind {
        /// The registry's rate limit (`toomanyrequests`, HTTP 429).
        RateLimited = 1 => "rate_limited",
        /// Missing or rejected credentials, or access denied (HTTP 401, 403).
        Unauthorized = 2 => "unauthorized",
        /// The repository, tag, manifest or blob does not exist (HTTP 404).
        NotFound = 3 => "not_found",
        /// No image for the requested platform.
        PlatformMismatch = 4 => "platform_mismatch",
        /// The daemon's storage cannot take the data: no space left, quota exceeded, read-only
        /// file system.
        DiskFull = 5 => "disk_full",
        /// A connection failed or timed out (EOF, reset, refused, DNS, TLS handshake timeout), or
        /// the registry answered 5xx.
        Network = 6 => "network",
        /// The operation was cancelled.
        Cancelled = 7 => "cancelled",
        /// A build step failed.
        BuildFailed = 8 => "build_failed",
        /// Anything else.
        Other = 9 => "other",
    }
}

/// Inside one precedence tier, the kind listed first wins.
const KIND_ORDER: [FailureKind; 8] = [
    FailureKind::BuildFailed,
    FailureKind::RateLimited,
    FailureKind::PlatformMismatch,
    FailureKind::DiskFull,
    FailureKind::Unauthorized,
    FailureKind::NotFound,
    FailureKind::Network,
    FailureKind::Cancelled,
];

impl FailureKind {
    /// Whether trying again later may succeed without changing anything: rate limits and
    /// network failures (including timeouts and registry 5xx).
    pub fn is_retryable(self) -> bool {
        // Every kind named, so a new one cannot be left out by accident.
        match self {
            FailureKind::RateLimited | FailureKind::Network => true,
            FailureKind::Unauthorized
            | FailureKind::NotFound
            | FailureKind::PlatformMismatch
            | FailureKind::DiskFull
            | FailureKind::Cancelled
            | FailureKind::BuildFailed
            | FailureKind::Other => false,
        }
    }

    /// Classifies an error message in one pass over its text (see the module's precedence
    /// rules, also in `docs/ERRORS.md`).
    ///
    /// ```
    /// use pullstream::event::FailureKind;
    /// use pullstream::JsonStr;
    /// let kind = FailureKind::classify(JsonStr::plain("toomanyrequests: You have reached your pull rate limit."));
    /// assert_eq!(kind, FailureKind::RateLimited);
    /// assert!(kind.is_retryable());
    /// let timeout = "net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)";
    /// assert_eq!(FailureKind::classify(JsonStr::plain(timeout)), FailureKind::Network);
    /// ```
    pub fn classify(message: JsonStr<'_>) -> FailureKind {
        classify_bytes(message.raw().as_bytes(), message.has_escapes())
    }
}

const fn kind_rank(kind: FailureKind) -> u8 {
    let mut rank = 0;
    while (rank as usize) < KIND_ORDER.len() && KIND_ORDER[rank as usize] as u8 != kind as u8 {
        rank += 1;
    }
    rank
}

/// The precedence tiers, best first (see the module documentation).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    Operation,
    HttpStatus,
    RegistryCode,
    GoError,
    Errno,
    Word,
}

// ---------------------------------------------------------------------------------------------
// Words

macro_rules! words {
    (
        words { $($name:ident = $text:literal,)* }
        compounds { $($compound:ident = [$($part:ident)+],)* }
    ) => {
        /// A known word or known compound; `Unknown` for every other word.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u8)]
        enum W {
            // Id 0, never built: an unknown word is simply the number 0.
            #[allow(dead_code)]
            Unknown,
            $($name,)*
            $($compound,)*
        }
        /// Each known word's text, lower case, in the order of `W` (after `Unknown`).
        const WORD_TEXTS: &[&[u8]] = &[$($text,)*];
        const ALL_WORDS: &[W] = &[$(W::$name,)*];
        /// Each known compound: its words, and the token it reads as.
        const COMPOUNDS: &[(&[W], W)] = &[$((&[$(W::$part,)+], W::$compound),)*];
    };
}

words! {
    words {
    // status codes; every 5xx code reads as `S5xx`
    S401 = b"401", S403 = b"403", S404 = b"404", S408 = b"408", S429 = b"429",
    Status = b"status", StatusCode = b"statuscode", Code = b"code", Http = b"http",
    Too = b"too", Many = b"many", Requests = b"requests", Unauthorized = b"unauthorized",
    Forbidden = b"forbidden", Not = b"not", Found = b"found", Request = b"request",
    Timeout = b"timeout", Internal = b"internal", Bad = b"bad", Gateway = b"gateway",
    Service = b"service", Unavailable = b"unavailable",
    // registry codes
    TooManyRequests = b"toomanyrequests", Denied = b"denied", Name = b"name",
    Unknown_ = b"unknown", Manifest = b"manifest", Blob = b"blob", Upload = b"upload",
    // operations
    Non = b"non", Zero = b"zero", Did = b"did", Complete = b"complete",
    Successfully = b"successfully", Executor = b"executor", Failed = b"failed",
    Running = b"running", Copy = b"copy", Add = b"add", To = b"to", Compute = b"compute",
    Cache = b"cache", Key = b"key", Dockerfile = b"dockerfile", Parse = b"parse",
    Error = b"error", Read = b"read", Cannot = b"cannot", Locate = b"locate",
    Specified = b"specified", Current = b"current", Instruction = b"instruction", No = b"no", Matching = b"matching",
    Match = b"match", For = b"for", Platform = b"platform", Does = b"does", The = b"the",
    Image = b"image", In = b"in", List = b"list", Be = b"be", Used = b"used", On = b"on",
    This = b"this", Pull = b"pull", Access = b"access",
    // Go
    Exceeded = b"exceeded", Deadline = b"deadline", I = b"i", O = b"o", Tls = b"tls",
    Handshake = b"handshake", Connection = b"connection", Refused = b"refused",
    Reset = b"reset", Such = b"such", Host = b"host", Temporary = b"temporary",
    Failure = b"failure", Resolution = b"resolution", Server = b"server",
    Misbehaving = b"misbehaving", Network = b"network", Is = b"is", Unreachable = b"unreachable",
    Route = b"route", Timed = b"timed", Out = b"out", Operation = b"operation",
    Broken = b"broken", Pipe = b"pipe", Unexpected = b"unexpected", Eof = b"eof", Use = b"use",
    Of = b"of", Closed = b"closed", Goaway = b"goaway", Stream = b"stream",
    Awaiting = b"awaiting", Idle = b"idle", Forcibly = b"forcibly", Context = b"context",
    Canceled = b"canceled", Cancelled = b"cancelled", Was = b"was",
    // errno
    Permission = b"permission", Space = b"space", Left = b"left", Device = b"device",
    Disk = b"disk", Quota = b"quota", Only = b"only", File = b"file", System = b"system",
    // words
    Rate = b"rate", Limit = b"limit", Limited = b"limited", Exist = b"exist", Known = b"known",
    Authentication = b"authentication", Required = b"required", Basic = b"basic",
    Auth = b"auth", Credentials = b"credentials", Incorrect = b"incorrect",
    Username = b"username", Password = b"password", Unauthenticated = b"unauthenticated",
    Insufficient = b"insufficient", Scope = b"scope", Authorization = b"authorization",
    Invalid = b"invalid", Token = b"token", Has = b"has", Expired = b"expired",
    // Podman's pull, EADDRNOTAVAIL, net/http's Client.Timeout
    Reading = b"reading", Assign = b"assign", Requested = b"requested", Address = b"address",
    Client = b"client",
    }
    // Joined words that are one term of Go's or the registry's text (see `COMPOUNDS`).
    compounds {
    IO_ = [I O],
    ReadOnly = [Read Only],
    NonZero = [Non Zero],
    ClientTimeout = [Client Timeout],
    NameUnknown = [Name Unknown_],
    ManifestUnknown = [Manifest Unknown_],
    BlobUnknown = [Blob Unknown_],
    BlobUploadUnknown = [Blob Upload Unknown_],
    ManifestBlobUnknown = [Manifest Blob Unknown_],
    InsufficientScope = [Insufficient Scope],
    }
}

/// Every 5xx status code (after `Unknown`, the listed words and the compounds).
const S5XX: u8 = (ALL_WORDS.len() + COMPOUNDS.len()) as u8 + 1;
/// `EOF` in upper case, as Go's `io.EOF` writes it (`eof` in any other case is `W::Eof`).
const EOF_UPPER: u8 = S5XX + 1;
/// Any other compound: words joined without a space (a reference, a path, a URL, a host name).
/// None of its words is read; the compound is one token, so a phrase can step over it.
const JOINED: u8 = S5XX + 2;
/// Number of token ids, `Unknown`, the compounds, `S5xx`, `EofUpper` and `Joined` included.
const WORD_IDS: usize = JOINED as usize + 1;

/// Longest known compound, in words.
const MAX_COMPOUND: usize = 3;

/// Each known compound's word ids packed as `Compound::parts` holds them (newest in the low
/// byte), with its word count and token.
const COMPOUND_PACKED: [(u32, u8, u8); COMPOUNDS.len()] = {
    let mut packed = [(0u32, 0u8, 0u8); COMPOUNDS.len()];
    let mut c = 0;
    while c < COMPOUNDS.len() {
        let (parts, token) = COMPOUNDS[c];
        assert!(parts.len() >= 2 && parts.len() <= MAX_COMPOUND);
        let mut value = 0u32;
        let mut j = 0;
        while j < parts.len() {
            value = (value << 8) | parts[j] as u32;
            j += 1;
        }
        packed[c] = (value, parts.len() as u8, token as u8);
        c += 1;
    }
    packed
};

/// Longest known word: longer words are not looked up.
const MAX_WORD: usize = 16;

/// A word of 1 to `MAX_WORD` bytes as two little-endian `u64`s, case folded with `| 0x20` and
/// zero-padded. Folding is exact here: a word's bytes are ASCII letters (folded to lower case),
/// digits (unchanged) or bytes of 0x80 and above, which no known word contains, so they can
/// never make a key equal to a known word's. Words never contain a zero byte, so the padding
/// also tells lengths apart.
type Key = (u64, u64);

const FOLD: u64 = 0x2020_2020_2020_2020;

/// The key of a known word's text (lower case already), at compile time.
const fn text_key(text: &[u8]) -> Key {
    let mut lo = 0u64;
    let mut hi = 0u64;
    let mut i = 0;
    while i < text.len() {
        if i < 8 {
            lo |= (text[i] as u64) << (8 * i);
        } else {
            hi |= (text[i] as u64) << (8 * (i - 8));
        }
        i += 1;
    }
    (lo, hi)
}

/// `n` (0 to 8) bytes of `text` from `at`, folded, as a little-endian `u64`.
#[inline]
fn folded_bytes(text: &[u8], at: usize, n: usize) -> u64 {
    if n == 0 {
        return 0;
    }
    let value = match text.get(at..at + 8) {
        Some(eight) => u64::from_le_bytes(eight.try_into().unwrap_or([0; 8])),
        None => {
            // Near the end of the text: copy what there is.
            let mut eight = [0u8; 8];
            let end = (at + n).min(text.len());
            let from = at.min(end);
            eight[..end - from].copy_from_slice(&text[from..end]);
            u64::from_le_bytes(eight)
        }
    };
    let mask = if n >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    };
    (value | FOLD) & mask
}

/// The key of the word `text[start..start + len]` (`len` from 1 to `MAX_WORD`).
#[inline]
fn word_key(text: &[u8], start: usize, len: usize) -> Key {
    let first = len.min(8);
    (
        folded_bytes(text, start, first),
        folded_bytes(text, start + 8, len - first),
    )
}

/// The table slot of a key: multiplicative hashing of both halves.
const fn table_slot(key: Key) -> usize {
    let mixed = key.0 ^ key.1.wrapping_mul(0xC2B2_AE3D_27D4_EB4F).rotate_left(31);
    (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - TABLE_BITS)) as usize
}
const TABLE_BITS: u32 = 10;
const TABLE_SIZE: usize = 1 << TABLE_BITS;

/// Each known word's key, in the order of `W` (after `Unknown`).
const WORD_KEYS: [Key; WORD_TEXTS.len()] = {
    let mut keys = [(0u64, 0u64); WORD_TEXTS.len()];
    let mut word = 0;
    while word < WORD_TEXTS.len() {
        let text = WORD_TEXTS[word];
        assert!(!text.is_empty() && text.len() <= MAX_WORD);
        let mut i = 0;
        while i < text.len() {
            assert!(text[i].is_ascii_lowercase() || text[i].is_ascii_digit());
            i += 1;
        }
        keys[word] = text_key(text);
        word += 1;
    }
    keys
};

/// Open addressing: slot -> word id (0 = empty), linear probing. At most half full, so a probe
/// always reaches an empty slot.
const WORD_TABLE: [u8; TABLE_SIZE] = {
    assert!(WORD_TEXTS.len() < TABLE_SIZE / 2);
    let mut table = [0u8; TABLE_SIZE];
    let mut word = 0;
    while word < WORD_TEXTS.len() {
        let mut slot = table_slot(WORD_KEYS[word]);
        while table[slot] != 0 {
            slot = (slot + 1) % TABLE_SIZE;
        }
        table[slot] = (word + 1) as u8;
        word += 1;
    }
    table
};

/// For each first byte, a bit per length (1 to `MAX_WORD`) that some known word (or a 5xx
/// status code) has: most words are rejected by this one load, before any hashing.
const FIRST_AND_LENGTH: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut word = 0;
    while word < WORD_TEXTS.len() {
        let text = WORD_TEXTS[word];
        table[text[0] as usize] |= 1 << text.len();
        table[text[0].to_ascii_uppercase() as usize] |= 1 << text.len();
        word += 1;
    }
    table[b'5' as usize] |= 1 << 3;
    table
};

/// The id of the word `text[start..start + len]` (`len` from 1 to `MAX_WORD`), 0 when unknown.
#[inline]
fn lookup(text: &[u8], start: usize, len: usize) -> u8 {
    let first = text[start];
    if FIRST_AND_LENGTH[first as usize] & (1 << len) == 0 {
        return 0;
    }
    if first == b'5'
        && len == 3
        && text[start + 1].is_ascii_digit()
        && text[start + 2].is_ascii_digit()
    {
        return S5XX;
    }
    let key = word_key(text, start, len);
    let mut slot = table_slot(key);
    loop {
        let id = WORD_TABLE[slot];
        if id == 0 || WORD_KEYS[id as usize - 1] == key {
            return id;
        }
        slot = (slot + 1) % TABLE_SIZE;
    }
}

// ---------------------------------------------------------------------------------------------
// Phrases

/// What a phrase does when it is the longest match at a word.
#[derive(Clone, Copy)]
enum Effect {
    /// The message is of this kind, at the phrase's tier.
    Kind(FailureKind),
    /// Nothing: the phrase only masks shorter phrases that end on the same word.
    Mask,
    /// Marks the message as a pull (Podman's `reading manifest … in …:`); no kind.
    Pull,
    /// The registry's `DENIED`: `unauthorized`, or `not_found` once the message is a pull,
    /// as Docker reads it (see `docs/ERRORS.md`).
    Denied,
}

/// Consecutive tokens (words and compounds), and what they mean.
struct Phrase {
    words: &'static [u8],
    tier: Tier,
    effect: Effect,
}

/// Longest phrase, in words.
const MAX_PHRASE: usize = 6;
const _: () = assert!(MAX_PHRASE <= 8, "the recent words are one u64");

macro_rules! phrases {
    ($($tier:ident $kind:ident [$($word:ident)+],)*) => {
        const PHRASES: &[Phrase] = &[$(Phrase {
            words: &[$(phrase_word!($word),)+],
            tier: Tier::$tier,
            effect: phrase_effect!($kind),
        },)*];
    };
}
macro_rules! phrase_word {
    (S5xx) => {
        S5XX
    };
    (EofUpper) => {
        EOF_UPPER
    };
    (Joined) => {
        JOINED
    };
    ($word:ident) => {
        W::$word as u8
    };
}
macro_rules! phrase_effect {
    (Mask) => {
        Effect::Mask
    };
    (Pull) => {
        Effect::Pull
    };
    (Denied) => {
        Effect::Denied
    };
    ($kind:ident) => {
        Effect::Kind(FailureKind::$kind)
    };
}

phrases! {
    // 0: what failed
    Operation BuildFailed [NonZero Code],
    Operation BuildFailed [Did Not Complete Successfully],
    Operation BuildFailed [Executor Failed Running],
    Operation BuildFailed [Copy Failed],
    Operation BuildFailed [Add Failed],
    Operation BuildFailed [Failed To Compute Cache Key],
    Operation BuildFailed [Dockerfile Parse Error],
    Operation BuildFailed [Failed To Read Dockerfile],
    Operation BuildFailed [Cannot Locate Specified Dockerfile],
    Operation BuildFailed [Unknown_ Instruction],
    Operation PlatformMismatch [No Matching Manifest],
    Operation PlatformMismatch [No Match For Platform],
    Operation PlatformMismatch [No Match For Current Platform],
    Operation PlatformMismatch [Does Not Match The Specified Platform],
    Operation PlatformMismatch [No Image Found In Manifest List],
    Operation PlatformMismatch [Cannot Be Used On This Platform],
    Operation NotFound [Pull Access Denied],
    Operation Unauthorized [Token Has Expired],
    // Podman reading a manifest: the registry's `DENIED` after it means what Docker's
    // `pull access denied` means.
    Operation Pull [Reading Manifest],
    // 1: HTTP status codes
    HttpStatus RateLimited [S429 Too Many],
    HttpStatus Unauthorized [S401 Unauthorized],
    HttpStatus Unauthorized [S403 Forbidden],
    HttpStatus NotFound [S404 Not Found],
    HttpStatus Network [S408 Request Timeout],
    HttpStatus Network [S5xx Internal],
    HttpStatus Network [S5xx Bad Gateway],
    HttpStatus Network [S5xx Service Unavailable],
    HttpStatus Network [S5xx Gateway Timeout],
    HttpStatus RateLimited [Status S429], HttpStatus RateLimited [StatusCode S429],
    HttpStatus RateLimited [Code S429], HttpStatus RateLimited [Http S429],
    HttpStatus Unauthorized [Status S401], HttpStatus Unauthorized [StatusCode S401],
    HttpStatus Unauthorized [Code S401], HttpStatus Unauthorized [Http S401],
    HttpStatus Unauthorized [Status S403], HttpStatus Unauthorized [StatusCode S403],
    HttpStatus Unauthorized [Code S403], HttpStatus Unauthorized [Http S403],
    HttpStatus NotFound [Status S404], HttpStatus NotFound [StatusCode S404],
    HttpStatus NotFound [Code S404], HttpStatus NotFound [Http S404],
    HttpStatus Network [Status S408], HttpStatus Network [StatusCode S408],
    HttpStatus Network [Code S408], HttpStatus Network [Http S408],
    HttpStatus Network [Status S5xx], HttpStatus Network [StatusCode S5xx],
    HttpStatus Network [Code S5xx], HttpStatus Network [Http S5xx],
    // containerd: `unexpected status code <url>: 520 ` and `… request to <url>: 520 `; Go has
    // no reason phrase for some 5xx codes.
    HttpStatus Network [Code Joined S5xx], HttpStatus Network [Request To Joined S5xx],
    // 2: registry error codes
    RegistryCode RateLimited [TooManyRequests],
    RegistryCode RateLimited [Too Many Requests],
    RegistryCode Unauthorized [Unauthorized],
    RegistryCode Denied [Denied],
    RegistryCode NotFound [Name Unknown_],
    RegistryCode NotFound [Manifest Unknown_],
    RegistryCode NotFound [Blob Unknown_],
    RegistryCode NotFound [Blob Upload Unknown_],
    RegistryCode NotFound [NameUnknown],
    RegistryCode NotFound [ManifestUnknown],
    RegistryCode NotFound [BlobUnknown],
    RegistryCode NotFound [BlobUploadUnknown],
    RegistryCode NotFound [ManifestBlobUnknown],
    RegistryCode Network [Service Unavailable],
    // 3: Go's error texts
    GoError Network [Timeout Exceeded],
    GoError Network [ClientTimeout Exceeded],
    GoError Network [Deadline Exceeded],
    GoError Network [IO_ Timeout],
    GoError Network [Handshake Timeout],
    GoError Network [Connection Refused],
    GoError Network [Connection Reset],
    GoError Network [No Such Host],
    GoError Network [Temporary Failure In Name Resolution],
    GoError Network [Server Misbehaving],
    GoError Network [Network Is Unreachable],
    GoError Network [No Route To Host],
    GoError Network [Connection Timed Out],
    GoError Network [Operation Timed Out],
    GoError Network [Broken Pipe],
    GoError Network [Unexpected Eof],
    GoError Network [Unexpected EofUpper],
    GoError Network [Use Of Closed Network Connection],
    GoError Network [Goaway],
    GoError Network [Stream Error],
    GoError Network [Timeout Awaiting],
    GoError Network [Server Closed Idle Connection],
    GoError Network [Forcibly Closed],
    GoError Network [Code Unavailable],
    GoError Network [Cannot Assign Requested Address],
    GoError Cancelled [Context Canceled],
    GoError Cancelled [Request Canceled],
    GoError Cancelled [Operation Was Canceled],
    // 4: errno texts
    Errno DiskFull [No Space Left On Device],
    Errno DiskFull [Disk Quota Exceeded],
    Errno DiskFull [ReadOnly File System],
    Errno Mask [Permission Denied],
    // 5: words
    Word RateLimited [Rate Limit],
    Word RateLimited [Rate Limited],
    Word RateLimited [Rate Exceeded],
    Word NotFound [Not Found],
    Word NotFound [Not Exist],
    Word NotFound [No Such Image],
    Word NotFound [Not Known],
    Word NotFound [Unknown_ Blob],
    Word Unauthorized [Authentication Required],
    Word Unauthorized [Basic Auth Credentials],
    Word Unauthorized [Incorrect Username],
    Word Unauthorized [Invalid Username Password],
    Word Unauthorized [Unauthenticated],
    Word Unauthorized [Insufficient Scope],
    Word Unauthorized [InsufficientScope],
    Word Unauthorized [Authorization Failed],
    Word Unauthorized [Forbidden],
    Word Network [EofUpper],
    Word Network [Timed Out],
    Word Network [Timeout],
    Word Cancelled [Canceled],
    Word Cancelled [Cancelled],
}

/// `PHRASES` indices grouped by last word, each group longest first, and where each word's
/// group starts (`PHRASE_START[w]..PHRASE_START[w + 1]`).
const PHRASE_INDEX: ([u8; PHRASES.len()], [u16; WORD_IDS + 1]) = {
    assert!(PHRASES.len() < 256 && WORD_IDS < 256);
    let mut counts = [0u16; WORD_IDS + 1];
    let mut p = 0;
    while p < PHRASES.len() {
        let words = PHRASES[p].words;
        assert!(!words.is_empty() && words.len() <= MAX_PHRASE);
        counts[words[words.len() - 1] as usize + 1] += 1;
        p += 1;
    }
    let mut start = [0u16; WORD_IDS + 1];
    let mut w = 1;
    while w <= WORD_IDS {
        start[w] = start[w - 1] + counts[w];
        w += 1;
    }
    // Place each phrase, then insertion-sort its group by length, longest first.
    let mut order = [0u8; PHRASES.len()];
    let mut filled = [0u16; WORD_IDS + 1];
    let mut p = 0;
    while p < PHRASES.len() {
        let words = PHRASES[p].words;
        let last = words[words.len() - 1] as usize;
        let mut at = (start[last] + filled[last]) as usize;
        filled[last] += 1;
        order[at] = p as u8;
        while at > start[last] as usize && PHRASES[order[at - 1] as usize].words.len() < words.len()
        {
            order[at] = order[at - 1];
            order[at - 1] = p as u8;
            at -= 1;
        }
        p += 1;
    }
    (order, start)
};

/// A precedence: tier, then the rank of the kind (lower wins).
const fn priority(tier: Tier, kind: FailureKind) -> u8 {
    tier as u8 * 16 + kind_rank(kind)
}

/// Each phrase's precedence (`u8::MAX` for the phrases that give no kind of their own).
const PHRASE_PRIORITY: [u8; PHRASES.len()] = {
    let mut priorities = [u8::MAX; PHRASES.len()];
    let mut p = 0;
    while p < PHRASES.len() {
        if let Effect::Kind(kind) = PHRASES[p].effect {
            priorities[p] = priority(PHRASES[p].tier, kind);
        }
        p += 1;
    }
    priorities
};

/// Each phrase's words packed as the shift register of recent words holds them (newest in the
/// low byte), with the mask of the bytes it covers.
const PHRASE_PACKED: [(u64, u64); PHRASES.len()] = {
    let mut packed = [(0u64, 0u64); PHRASES.len()];
    let mut p = 0;
    while p < PHRASES.len() {
        let words = PHRASES[p].words;
        let mut value = 0u64;
        let mut j = 0;
        while j < words.len() {
            value = (value << 8) | words[j] as u64;
            j += 1;
        }
        let mask = if words.len() == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * words.len())) - 1
        };
        packed[p] = (value, mask);
        p += 1;
    }
    packed
};

// ---------------------------------------------------------------------------------------------
// The pass

/// Which bytes continue a word: ASCII letters and digits, and every byte of 0x80 and above.
const WORD_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || byte >= 0x80;
        b += 1;
    }
    table
};

/// Where the word that continues at `from` ends: at the first byte that is not a
/// [`WORD_BYTE`], eight bytes a step ([`crate::swar::word_end`]).
#[inline]
fn word_end(text: &[u8], from: usize) -> usize {
    crate::swar::word_end(text, from)
}

/// The separators that join two words into one compound when nothing else stands between them:
/// the punctuation of references (`acme/app:1.0`, `app@sha256:…`), paths, host names and URLs
/// (`?`, `=`, `&`, `%`, `+`, `~` of a query).
const JOINER: [bool; 256] = {
    let mut table = [false; 256];
    let joiners = b"-./_:@?=&%+~";
    let mut j = 0;
    while j < joiners.len() {
        table[joiners[j] as usize] = true;
        j += 1;
    }
    table
};

/// Whether the JSON escape after the backslash at `text[at - 1]` stands for a joiner (`\/`,
/// `\u0026` for `&`, which Go escapes inside URLs).
fn escape_joins(text: &[u8], at: usize) -> bool {
    match text.get(at) {
        Some(b'/') => true,
        Some(b'u') => match text.get(at + 1..at + 5) {
            Some([b'0', b'0', high, low]) => {
                let hex = |digit: u8| (digit as char).to_digit(16);
                match (hex(*high), hex(*low)) {
                    (Some(high), Some(low)) => JOINER[(high * 16 + low) as usize],
                    _ => false,
                }
            }
            _ => false,
        },
        _ => false,
    }
}

/// The words of the compound being read (words joined by `JOINER` bytes alone).
#[derive(Clone, Copy)]
struct Compound {
    /// The last word ids, newest in the low byte.
    parts: u32,
    /// Number of words, saturating.
    count: u8,
    /// Whether some word is not known (then the compound cannot be a known one).
    has_unknown: bool,
}

impl Compound {
    const EMPTY: Compound = Compound {
        parts: 0,
        count: 0,
        has_unknown: false,
    };

    #[inline]
    fn push(&mut self, id: u8) {
        self.parts = (self.parts << 8) | id as u32;
        self.count = self.count.saturating_add(1);
        self.has_unknown |= id == 0;
    }

    /// The token the compound reads as: a lone word is itself; joined words are a known compound
    /// (`i/o`, `read-only`, `MANIFEST_UNKNOWN`, …) or else `JOINED`, none of their words read.
    fn token(self) -> u8 {
        if self.count == 1 {
            return self.parts as u8;
        }
        if self.has_unknown || self.count as usize > MAX_COMPOUND {
            return JOINED;
        }
        // A compound of known words only: compared with the ten known compounds.
        for &(parts, count, token) in &COMPOUND_PACKED {
            if parts == self.parts && count == self.count {
                return token;
            }
        }
        JOINED
    }
}

/// What the pass has found so far.
struct Found {
    /// The best phrase: its priority (tier * 16 + kind rank, lower wins) and kind.
    best: (u8, FailureKind),
    /// The last MAX_PHRASE tokens, newest in the low byte.
    recent: u64,
    /// Whether Podman's `reading manifest` was seen.
    pull: bool,
}

impl Found {
    #[inline]
    fn token(&mut self, token: u8) {
        self.recent = (self.recent << 8) | token as u64;
        if token != 0 {
            match_phrases(self);
        }
    }
}

fn classify_bytes(text: &[u8], escaped: bool) -> FailureKind {
    let mut found = Found {
        best: (u8::MAX, FailureKind::Other),
        recent: 0,
        pull: false,
    };
    let mut compound = Compound::EMPTY;
    let mut i = 0;
    while i < text.len() {
        let byte = text[i];
        if !WORD_BYTE[byte as usize] {
            i += 1;
            let mut joins = JOINER[byte as usize];
            if byte == b'\\' && escaped {
                // `\n`, `\"`, `\u003c`: the escaped character is never a letter or digit, and
                // the letter after the backslash must not start a word.
                joins = escape_joins(text, i);
                i += if text.get(i) == Some(&b'u') { 5 } else { 1 };
            }
            if !joins && compound.count != 0 {
                found.token(compound.token());
                compound = Compound::EMPTY;
            }
            continue;
        }
        let start = i;
        i = word_end(text, i + 1);
        let word = &text[start..i];
        let mut id = if word.len() > MAX_WORD {
            0
        } else {
            lookup(text, start, word.len())
        };
        // Go's `io.EOF` is upper case; alone, a lower-case `eof` is part of a name.
        if id == W::Eof as u8 && word == b"EOF" {
            id = EOF_UPPER;
        }
        compound.push(id);
    }
    if compound.count != 0 {
        found.token(compound.token());
    }
    found.best.1
}

/// Checks the phrases that end with the newest token, longest first; only the longest match
/// counts. Out of line: most words are not known, and the scanning loop keeps its registers.
#[inline(never)]
fn match_phrases(found: &mut Found) {
    let (order, start) = &PHRASE_INDEX;
    let newest = (found.recent & 0xff) as usize;
    let group = &order[start[newest] as usize..start[newest + 1] as usize];
    for &p in group {
        let (packed, mask) = PHRASE_PACKED[p as usize];
        if found.recent & mask != packed {
            continue;
        }
        let (priority, kind) = match PHRASES[p as usize].effect {
            Effect::Kind(kind) => (PHRASE_PRIORITY[p as usize], kind),
            Effect::Mask => return,
            Effect::Pull => {
                found.pull = true;
                return;
            }
            // Docker reads the registry's `DENIED` on a pull as not found and says
            // `pull access denied` (tier 0); Podman's pull gets the same reading.
            Effect::Denied if found.pull => (
                priority(Tier::Operation, FailureKind::NotFound),
                FailureKind::NotFound,
            ),
            Effect::Denied => (
                priority(PHRASES[p as usize].tier, FailureKind::Unauthorized),
                FailureKind::Unauthorized,
            ),
        };
        if priority < found.best.0 {
            found.best = (priority, kind);
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> FailureKind {
        FailureKind::classify(JsonStr::plain(text))
    }

    #[test]
    fn every_word_is_found_in_the_table_in_any_case() {
        let find = |word: &[u8]| {
            // At the end of a text and inside a longer one (where eight bytes can be loaded).
            let padded = [word, b" padding padding"].concat();
            let at_end = lookup(word, 0, word.len());
            assert_eq!(lookup(&padded, 0, word.len()), at_end, "{word:?}");
            at_end
        };
        for (index, text) in WORD_TEXTS.iter().enumerate() {
            assert_eq!(find(text) as usize, index + 1, "{text:?}");
            let upper = text.to_ascii_uppercase();
            assert_eq!(find(&upper) as usize, index + 1, "{upper:?}");
        }
        // Near misses: one byte different, one byte longer or shorter, a byte of 0x80 and above.
        for miss in [
            &b"deXied"[..],
            b"deniedd",
            b"denie",
            b"den\xc3ed",
            b"\xc4enied",
            b"50x",
        ] {
            assert_eq!(find(miss), 0, "{miss:?}");
        }
        assert_eq!(find(b"503"), S5XX);
    }

    #[test]
    fn phrase_groups_are_longest_first_and_complete() {
        let (order, start) = &PHRASE_INDEX;
        let mut seen = vec![false; PHRASES.len()];
        for w in 0..WORD_IDS {
            let group = &order[start[w] as usize..start[w + 1] as usize];
            for pair in group.windows(2) {
                assert!(
                    PHRASES[pair[0] as usize].words.len() >= PHRASES[pair[1] as usize].words.len()
                );
            }
            for &p in group {
                assert_eq!(*PHRASES[p as usize].words.last().unwrap() as usize, w);
                seen[p as usize] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    /// Every kind but `Other` (the fallback) has its place in the precedence order.
    #[test]
    fn kind_order_ranks_every_kind_but_other() {
        for kind in FailureKind::ALL {
            let ranked = KIND_ORDER.contains(&kind);
            assert_eq!(ranked, kind != FailureKind::Other, "{kind:?}");
        }
    }

    /// The word-at-a-time scan ends words where the byte table does.
    #[test]
    fn word_end_agrees_with_the_byte_table() {
        for byte in 0..=255u8 {
            for position in 0..12 {
                let mut text = [b'a'; 12];
                text[position] = byte;
                let want = if WORD_BYTE[byte as usize] {
                    12
                } else {
                    position
                };
                assert_eq!(word_end(&text, 0), want, "byte {byte:#04x} at {position}");
            }
        }
    }

    #[test]
    fn escapes_separate_words() {
        let escaped = JsonStr::from_validated(r"foo\nEOF\u003cbar", true);
        assert_eq!(FailureKind::classify(escaped), FailureKind::Network);
        // Without escape handling `\nnot found` would read as `nnot found`.
        let escaped = JsonStr::from_validated(r"x\nnot found", true);
        assert_eq!(FailureKind::classify(escaped), FailureKind::NotFound);
    }

    #[test]
    fn long_and_odd_words_are_unknown() {
        assert_eq!(kind("toomanyrequestsxx"), FailureKind::Other);
        assert_eq!(
            kind("a-very-long-wordthatisnotknownatall EOF"),
            FailureKind::Network
        );
        assert_eq!(kind("éEOF"), FailureKind::Other);
        assert_eq!(kind(""), FailureKind::Other);
        assert_eq!(kind("\\"), FailureKind::Other);
        assert_eq!(kind("x\\u00"), FailureKind::Other);
    }
}
