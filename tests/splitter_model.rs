//! The splitter against a reference model: a byte-at-a-time framer written from the rules in
//! `scan.rs`'s documentation, with none of its shortcuts (word-at-a-time jumps, the two-byte
//! look-ahead, chained strings, `prev` read back from skipped bytes). On any bytes, whole or cut
//! anywhere, both must report the same boundaries, cuts, garbage and depth errors.

use proptest::prelude::*;
use pullstream::scan::{Split, Splitter};

/// One byte at a time, the rules and nothing else.
struct Model {
    place: Place,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// The last byte outside strings that is not whitespace (`"` for a string).
    prev: u8,
    /// One bit per open container, innermost in bit 0: set for an object.
    objects: u64,
    /// The record went deeper than the 64 levels `objects` can hold.
    levels_lost: bool,
    max_depth: u32,
    /// A line feed stood outside records since the last record ended.
    line_feed_between: bool,
    /// The open record began after such a line feed.
    line_record: bool,
    /// Outside strings in a record: only blanks since a line feed.
    line_start: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Between,
    Garbage,
    Record,
}

impl Model {
    fn new(max_depth: u32) -> Model {
        Model {
            place: Place::Between,
            depth: 0,
            in_string: false,
            escaped: false,
            prev: 0,
            objects: 0,
            levels_lost: false,
            max_depth: max_depth.max(1),
            line_feed_between: false,
            line_record: false,
            line_start: false,
        }
    }

    fn start(&mut self, at: usize) -> Split {
        *self = Model {
            place: Place::Record,
            depth: 1,
            prev: b'{',
            objects: 1,
            line_record: self.line_feed_between,
            ..Model::new(self.max_depth)
        };
        Split::Start(at)
    }

    fn abandon(&mut self, at: usize, reason: &'static str) -> Split {
        *self = Model::new(self.max_depth);
        Split::Unterminated { at, reason }
    }

    fn split(&mut self, input: &[u8], from: usize) -> Split {
        for (at, &byte) in input.iter().enumerate().skip(from) {
            match self.place {
                Place::Between => match byte {
                    b'\n' => self.line_feed_between = true,
                    b' ' | b'\t' | b'\r' => {}
                    b'{' => return self.start(at),
                    _ => {
                        self.place = Place::Garbage;
                        return Split::NotJson(at);
                    }
                },
                Place::Garbage => match byte {
                    b'{' => return self.start(at),
                    b'\n' => {
                        self.place = Place::Between;
                        self.line_feed_between = true;
                    }
                    _ => {}
                },
                Place::Record if self.in_string => {
                    if self.escaped && byte == b'\n' {
                        // A raw line feed ends a cut record even right after a backslash.
                        return self.abandon(at, "line break inside a string");
                    } else if self.escaped {
                        self.escaped = false;
                    } else if byte == b'\\' {
                        self.escaped = true;
                    } else if byte == b'"' {
                        self.in_string = false;
                    } else if byte == b'\n' {
                        return self.abandon(at, "line break inside a string");
                    }
                }
                Place::Record => match byte {
                    b'"' if !matches!(self.prev, b'{' | b'[' | b':' | b',') => {
                        let cut = self.abandon(at, "a string where none may stand");
                        self.place = Place::Garbage;
                        return cut;
                    }
                    b'"' => {
                        self.in_string = true;
                        self.prev = b'"';
                        self.line_start = false;
                    }
                    b'{' | b'[' => {
                        let value_may_start = match self.prev {
                            b':' | b'[' => true,
                            b',' => self.objects & 1 == 0,
                            _ => false,
                        };
                        if byte == b'{' && !value_may_start {
                            return self.abandon(at, "a new record began before this one closed");
                        }
                        if byte == b'{' && self.line_start && self.line_record {
                            let cut = self.abandon(at, "a record began at the start of a line");
                            self.line_feed_between = true;
                            return cut;
                        }
                        self.line_start = false;
                        self.depth = self.depth.saturating_add(1);
                        self.objects = (self.objects << 1) | u64::from(byte == b'{');
                        self.levels_lost |= self.depth > 64;
                        self.prev = byte;
                        if self.depth == self.max_depth.saturating_add(1) {
                            return Split::TooDeep(at);
                        }
                    }
                    b'}' | b']' => {
                        if !self.levels_lost && (byte == b'}') != (self.objects & 1 == 1) {
                            let cut = self.abandon(at, "a bracket that does not match");
                            self.place = Place::Garbage;
                            return cut;
                        }
                        self.line_start = false;
                        self.depth = self.depth.saturating_sub(1);
                        self.objects >>= 1;
                        self.prev = byte;
                        if self.depth == 0 {
                            self.place = Place::Between;
                            self.line_feed_between = false;
                            return Split::End(at + 1);
                        }
                    }
                    b'\n' => self.line_start = true,
                    b' ' | b'\t' | b'\r' => {}
                    _ => {
                        self.prev = byte;
                        self.line_start = false;
                    }
                },
            }
        }
        Split::NeedMore
    }
}

/// Everything `split` reports over `pieces` fed in order, with indices made absolute. The
/// `Unterminated` reason is kept: both sides must give the same cause.
fn run(mut split: impl FnMut(&[u8], usize) -> Split, pieces: &[&[u8]]) -> Vec<String> {
    let mut out = Vec::new();
    let mut base = 0;
    for piece in pieces {
        let mut pos = 0;
        loop {
            let found = split(piece, pos);
            pos = found.resume_at(piece.len());
            out.push(match found {
                Split::Start(i) => format!("start {}", base + i),
                Split::End(i) => format!("end {}", base + i),
                Split::NotJson(i) => format!("garbage {}", base + i),
                Split::Unterminated { at, reason } => format!("cut {} ({reason})", base + at),
                Split::TooDeep(i) => format!("deep {}", base + i),
                Split::NeedMore => break,
            });
        }
        base += piece.len();
    }
    out
}

/// Bytes drawn mostly from what matters to framing, with Docker-like runs mixed in so the
/// splitter's shortcuts (chained `":"` strings, long string runs, escapes) are exercised.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        6 => proptest::sample::select(&[
            b'{', b'}', b'[', b']', b'"', b'\\', b':', b',', b' ', b'\n', b'\r', b'\t', b'a',
            b'1', 0x01, 0x1f, 0x7f, 0xc3, 0xff,
        ][..]).prop_map(|b| vec![b]),
        2 => proptest::sample::select(DOCKERISH).prop_map(<[u8]>::to_vec),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(token, 0..48).prop_map(|tokens| tokens.concat())
}

/// Runs of bytes as daemons write them, and the awkward pieces around strings.
const DOCKERISH: &[&[u8]] = &[
    b"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1,\"total\":2},",
    b"\"progress\":\"[=\\u003e   ]  1B/2B\",\"id\":\"0123456789ab\"}\r\n",
    b"\":\"",
    b"\",\"",
    b"\":{",
    b"\"}",
    b"},{",
    b"\\\\\"",
    b"\\\"",
    b"\"abcdefghijklmnopq\"",
    b"{\"a\":[1,{\"b\":\"}{\"}]}",
    b"{\"x\":1,",
    b"\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn splitter_matches_the_model(
        input in stream(),
        max_depth in 1u32..6,
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut model = Model::new(max_depth);
        let expected = run(|piece, from| model.split(piece, from), &[&input]);

        let mut splitter = Splitter::with_max_depth(max_depth);
        let whole = run(|piece, from| splitter.split(piece, from), &[&input]);
        prop_assert_eq!(&whole, &expected, "whole input {:?}", String::from_utf8_lossy(&input));

        // The same bytes cut at a few places (empty pieces included).
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for point in points {
            pieces.push(&input[start..point]);
            start = point;
        }
        pieces.push(&input[start..]);
        let mut splitter = Splitter::with_max_depth(max_depth);
        let chunked = run(|piece, from| splitter.split(piece, from), &pieces);
        prop_assert_eq!(&chunked, &expected, "cut into {:?}", pieces);
    }
}

#[test]
fn the_model_reports_each_kind_of_stop() {
    // A sanity check of the model itself, so a wrong model cannot make the property vacuous.
    let mut model = Model::new(4);
    let log = run(
        |piece, from| model.split(piece, from),
        &[b"x\n{\"a\":\"b\n{\"c\":[[[[[1]]]]]}{{}"],
    );
    assert_eq!(
        log,
        [
            "garbage 0",
            "start 2",
            "cut 9 (line break inside a string)",
            "start 10",
            "deep 18",
            "end 27",
            "start 27",
            "cut 28 (a new record began before this one closed)",
            "start 28",
            "end 30",
        ]
    );
}
