//! Failure kinds: what an error message means, read in one pass over its text.
//!
//! The daemon almost never sets `errorDetail.code`, so the kind comes from the message, which is
//! a Go error chain (`outer: inner: cause`) assembled from moby, containerd, containers/image,
//! the registry and Go's own `net` and `net/http` packages. `docs/ERRORS.md` lists the real
//! messages this is checked against, and the test `tests/error_table.rs` reads that table.
//!
//! # How a message is read
//! The text is split into words: runs of ASCII letters and digits (bytes of 0x80 and above count
//! as letters, so a word with one is simply not known). Everything else separates words, so
//! `MANIFEST_UNKNOWN`, `manifest unknown` and `i/o timeout` are the words they look like, and a
//! word never matches inside another (`eof` is not in `geoffrey`). JSON escapes (`\n`, `\"`,
//! `\u003c`) separate words too; Go never escapes a letter or a digit. Each word is looked up,
//! ASCII case folded, in a hash table built at compile time, and each known word is checked
//! against the phrases that end with it, longest first (only the longest match at a word
//! counts, so `permission denied` is not read as the registry's `denied`). Cost: one pass over
//! the bytes, one table probe per word, and a few comparisons per known word: linear in the
//! text, however long.
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
//!    `pull access denied` wrapper). These name what failed; the rest of their text is a
//!    command line or a wrapped cause.
//! 1. **An HTTP status code**: `429`, `401`, `403`, `404`, `408` or any `5xx`, either followed
//!    by its reason phrase (`429 Too Many Requests`) or after `status`, `code`, `StatusCode` or
//!    `HTTP` (`HTTP 429`, `status code 503`). A bare number is never read as a status.
//! 2. **Registry error codes** (distribution's `errcode`, as `MANIFEST_UNKNOWN` or as their
//!    error text `manifest unknown`): `TOOMANYREQUESTS`, `UNAUTHORIZED`, `DENIED`,
//!    `NAME_UNKNOWN`, `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `BLOB_UPLOAD_UNKNOWN`,
//!    `MANIFEST_BLOB_UNKNOWN`, `UNAVAILABLE` (`service unavailable`).
//! 3. **Go's error texts**: `Client.Timeout exceeded`, `context deadline exceeded`,
//!    `i/o timeout`, `TLS handshake timeout`, `connection refused`, `connection reset`,
//!    `no such host`, `Temporary failure in name resolution`, `unexpected EOF`, gRPC's
//!    `code = Unavailable`, … (network), and
//!    `context canceled`, `request canceled`, `operation was canceled` (cancelled). Network comes
//!    before cancelled in [`KIND_ORDER`], so net/http's
//!    `request canceled (Client.Timeout exceeded …)` is a timeout.
//! 4. **errno texts**: `no space left on device`, `disk quota exceeded`,
//!    `read-only file system` (disk).
//! 5. **Words**: `not found`, `does not exist`, `authentication required`, `rate limit`,
//!    `EOF` (upper case only: Go's `io.EOF`; references are lower case), `timed out`, …

use crate::json::JsonStr;

/// The kind of failure, classified from the daemon's message text (the daemon almost never sets
/// `errorDetail.code`). `docs/ERRORS.md` lists real messages of every kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// The registry's rate limit (`toomanyrequests`, HTTP 429).
    RateLimited,
    /// Missing or rejected credentials, or access denied (HTTP 401, 403).
    Unauthorized,
    /// The repository, tag, manifest or blob does not exist (HTTP 404).
    NotFound,
    /// No image for the requested platform.
    PlatformMismatch,
    /// The daemon's storage cannot take the data: no space left, quota exceeded, read-only
    /// file system.
    DiskFull,
    /// A connection failed or timed out (EOF, reset, refused, DNS, TLS handshake timeout), or
    /// the registry answered 5xx.
    Network,
    /// The operation was cancelled.
    Cancelled,
    /// A build step failed.
    BuildFailed,
    /// Anything else.
    Other,
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
    /// The stable name used in the JSON summary and the C API (`"rate_limited"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::RateLimited => "rate_limited",
            FailureKind::Unauthorized => "unauthorized",
            FailureKind::NotFound => "not_found",
            FailureKind::PlatformMismatch => "platform_mismatch",
            FailureKind::DiskFull => "disk_full",
            FailureKind::Network => "network",
            FailureKind::Cancelled => "cancelled",
            FailureKind::BuildFailed => "build_failed",
            FailureKind::Other => "other",
        }
    }

    /// Whether trying again later may succeed without changing anything: rate limits and
    /// network failures (including timeouts and registry 5xx).
    pub fn is_retryable(self) -> bool {
        matches!(self, FailureKind::RateLimited | FailureKind::Network)
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

fn kind_rank(kind: FailureKind) -> u8 {
    let mut rank = 0;
    while (rank as usize) < KIND_ORDER.len() && KIND_ORDER[rank as usize] != kind {
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
    ($($name:ident = $text:literal,)*) => {
        /// A known word; `Unknown` for every other word.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u8)]
        enum W {
            // Id 0, never built: an unknown word is simply the number 0.
            #[allow(dead_code)]
            Unknown,
            $($name,)*
        }
        /// Each known word's text, lower case, in the order of `W` (after `Unknown`).
        const WORD_TEXTS: &[&[u8]] = &[$($text,)*];
        const ALL_WORDS: &[W] = &[$(W::$name,)*];
    };
}

words! {
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
}

/// Every 5xx status code (after `Unknown` and the listed words).
const S5XX: u8 = ALL_WORDS.len() as u8 + 1;
/// `EOF` in upper case, as Go's `io.EOF` writes it (`eof` in any other case is `W::Eof`).
const EOF_UPPER: u8 = ALL_WORDS.len() as u8 + 2;
/// Number of word ids, `Unknown`, `S5xx` and `EofUpper` included.
const WORD_IDS: usize = ALL_WORDS.len() + 3;

/// Longest known word: longer words are not looked up.
const MAX_WORD: usize = 16;

/// The table slot of a word: a multiplicative hash of its length and its first, second and
/// last bytes, case folded. No loop over the word: most words are not known, and an empty slot
/// says so after one probe. Folding with `| 0x20` is exact here: a word's bytes are ASCII
/// letters (folded to lower case), digits (unchanged) or bytes of 0x80 and above (which no
/// known word contains, so their folded value never matters).
const fn table_slot(word: &[u8]) -> usize {
    let len = word.len();
    let key = (len as u32)
        | ((word[0] | 0x20) as u32) << 8
        | ((word[1 % len] | 0x20) as u32) << 16
        | ((word[len - 1] | 0x20) as u32) << 24;
    (key.wrapping_mul(0x9E37_79B1) >> (32 - TABLE_BITS)) as usize
}
const TABLE_BITS: u32 = 10;
const TABLE_SIZE: usize = 1 << TABLE_BITS;

/// Open addressing: slot -> word id (0 = empty), linear probing. At most half full, so a probe
/// always reaches an empty slot.
const WORD_TABLE: [u8; TABLE_SIZE] = {
    assert!(WORD_TEXTS.len() < TABLE_SIZE / 2);
    let mut table = [0u8; TABLE_SIZE];
    let mut word = 0;
    while word < WORD_TEXTS.len() {
        let text = WORD_TEXTS[word];
        assert!(!text.is_empty() && text.len() <= MAX_WORD);
        let mut i = 0;
        while i < text.len() {
            assert!(text[i].is_ascii_lowercase() || text[i].is_ascii_digit());
            i += 1;
        }
        let mut slot = table_slot(text);
        while table[slot] != 0 {
            slot = (slot + 1) % TABLE_SIZE;
        }
        table[slot] = (word + 1) as u8;
        word += 1;
    }
    table
};

/// The id of a word of 1 to `MAX_WORD` word bytes, 0 when unknown.
#[inline]
fn lookup(word: &[u8]) -> u8 {
    if let [b'5', tens, units] = word {
        if tens.is_ascii_digit() && units.is_ascii_digit() {
            return S5XX;
        }
    }
    let mut slot = table_slot(word);
    loop {
        let id = WORD_TABLE[slot];
        if id == 0 {
            return 0;
        }
        let text = WORD_TEXTS[id as usize - 1];
        if text.len() == word.len() && text.iter().zip(word).all(|(&t, &w)| t == w | 0x20) {
            return id;
        }
        slot = (slot + 1) % TABLE_SIZE;
    }
}

// ---------------------------------------------------------------------------------------------
// Phrases

/// Consecutive words; `kind: None` only masks shorter phrases that end on the same word.
struct Phrase {
    words: &'static [u8],
    tier: Tier,
    kind: Option<FailureKind>,
}

/// Longest phrase, in words.
const MAX_PHRASE: usize = 6;
const _: () = assert!(MAX_PHRASE <= 8, "the recent words are one u64");

macro_rules! phrases {
    ($($tier:ident $kind:ident [$($word:ident)+],)*) => {
        const PHRASES: &[Phrase] = &[$(Phrase {
            words: &[$(phrase_word!($word),)+],
            tier: Tier::$tier,
            kind: phrase_kind!($kind),
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
    ($word:ident) => {
        W::$word as u8
    };
}
macro_rules! phrase_kind {
    (Mask) => {
        None
    };
    ($kind:ident) => {
        Some(FailureKind::$kind)
    };
}

phrases! {
    // 0: what failed
    Operation BuildFailed [Non Zero Code],
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
    // 2: registry error codes
    RegistryCode RateLimited [TooManyRequests],
    RegistryCode RateLimited [Too Many Requests],
    RegistryCode Unauthorized [Unauthorized],
    RegistryCode Unauthorized [Denied],
    RegistryCode NotFound [Name Unknown_],
    RegistryCode NotFound [Manifest Unknown_],
    RegistryCode NotFound [Blob Unknown_],
    RegistryCode NotFound [Blob Upload Unknown_],
    RegistryCode Network [Service Unavailable],
    // 3: Go's error texts
    GoError Network [Timeout Exceeded],
    GoError Network [Deadline Exceeded],
    GoError Network [I O Timeout],
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
    GoError Cancelled [Context Canceled],
    GoError Cancelled [Request Canceled],
    GoError Cancelled [Operation Was Canceled],
    // 4: errno texts
    Errno DiskFull [No Space Left On Device],
    Errno DiskFull [Disk Quota Exceeded],
    Errno DiskFull [Read Only File System],
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

/// The best match so far.
struct Best {
    tier: Tier,
    rank: u8,
    kind: FailureKind,
}

fn classify_bytes(text: &[u8], escaped: bool) -> FailureKind {
    let mut best: Option<Best> = None;
    // The last MAX_PHRASE word ids, newest in the low byte.
    let mut recent = 0u64;
    let mut i = 0;
    while i < text.len() {
        let byte = text[i];
        if !WORD_BYTE[byte as usize] {
            // `\n`, `\"`, `\u003c`: the escaped character is never a letter or digit, and the
            // letter after the backslash must not start a word.
            i += match (escaped && byte == b'\\', text.get(i + 1)) {
                (true, Some(b'u')) => 6,
                (true, Some(_)) => 2,
                _ => 1,
            };
            continue;
        }
        let start = i;
        i += 1;
        while i < text.len() && WORD_BYTE[text[i] as usize] {
            i += 1;
        }
        let word = &text[start..i];
        let mut id = if word.len() > MAX_WORD {
            0
        } else {
            lookup(word)
        };
        // Go's `io.EOF` is upper case; alone, a lower-case `eof` is part of a name.
        if id == W::Eof as u8 && word == b"EOF" {
            id = EOF_UPPER;
        }
        recent = (recent << 8) | id as u64;
        if id != 0 {
            match_phrases(recent, &mut best);
        }
    }
    best.map_or(FailureKind::Other, |b| b.kind)
}

/// Checks the phrases that end with the newest word, longest first; only the longest match
/// counts.
#[inline]
fn match_phrases(recent: u64, best: &mut Option<Best>) {
    let (order, start) = &PHRASE_INDEX;
    let newest = (recent & 0xff) as usize;
    let group = &order[start[newest] as usize..start[newest + 1] as usize];
    for &p in group {
        let (packed, mask) = PHRASE_PACKED[p as usize];
        if recent & mask != packed {
            continue;
        }
        let phrase = &PHRASES[p as usize];
        if let Some(kind) = phrase.kind {
            let rank = kind_rank(kind);
            let better = match best {
                Some(b) => (phrase.tier, rank) < (b.tier, b.rank),
                None => true,
            };
            if better {
                *best = Some(Best {
                    tier: phrase.tier,
                    rank,
                    kind,
                });
            }
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
        for (index, text) in WORD_TEXTS.iter().enumerate() {
            assert_eq!(lookup(text) as usize, index + 1, "{text:?}");
            let upper = text.to_ascii_uppercase();
            assert_eq!(lookup(&upper) as usize, index + 1, "{upper:?}");
        }
        // Near misses: same length and the same first, second and last bytes.
        assert_eq!(lookup(b"deXied"), 0);
        assert_eq!(lookup(b"den\xc3ed"), 0);
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
