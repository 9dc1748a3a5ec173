//! Helpers shared by the integration tests: item logs, re-framing, and a small deterministic RNG.
#![allow(dead_code)]

use pullstream::{Config, Decoder, Error, Record};

/// One line of an item log: offset, exact bytes and parsed message for a record; offset and
/// kind for an error.
pub fn render(item: &Result<Record<'_>, Error>) -> String {
    match item {
        Ok(record) => format!(
            "record @{} {} {:?}",
            record.offset(),
            record.as_bytes().escape_ascii(),
            record.message()
        ),
        Err(error) => format!("error @{} {:?}", error.offset(), error.kind()),
    }
}

/// Feeds `pieces` in order, then `finish()`, and logs every item.
pub fn log_pieces<'p>(config: &Config, pieces: impl IntoIterator<Item = &'p [u8]>) -> Vec<String> {
    let mut decoder = Decoder::with_config(config.clone());
    let mut out = Vec::new();
    for piece in pieces {
        out.extend(decoder.feed(piece).map(|item| render(&item)));
    }
    out.extend(decoder.finish().map(|item| render(&item)));
    out
}

/// The whole input in one `feed`, then `finish()`.
pub fn log_whole(config: &Config, input: &[u8]) -> Vec<String> {
    log_pieces(config, [input])
}

/// The input in pieces of `size` bytes (the last one shorter), then `finish()`.
pub fn log_chunked(config: &Config, input: &[u8], size: usize) -> Vec<String> {
    log_pieces(config, input.chunks(size))
}

/// The input cut at the given indices (any order, duplicates and out-of-range values allowed).
pub fn log_cut_at(config: &Config, input: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    cuts.push(0);
    cuts.push(input.len());
    cuts.sort_unstable();
    let pieces: Vec<&[u8]> = cuts.windows(2).map(|w| &input[w[0]..w[1]]).collect();
    log_pieces(config, pieces)
}

/// xorshift64*: deterministic, dependency-free randomness for the early-drop tests.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// What the early-drop driver does at each step, decided by a source of small numbers.
pub trait Choices {
    /// A number in `0..n`.
    fn pick(&mut self, n: usize) -> usize;
}

impl Choices for Rng {
    fn pick(&mut self, n: usize) -> usize {
        self.below(n)
    }
}

/// Feeds `pieces`, but drops every iterator after a chosen number of items (`min_take` to 3)
/// and then either goes on with the next piece or calls `feed(&[])`; at the end drains with
/// `feed(&[])` and `finish()` (whose iterators are dropped early too). Logs every item taken.
pub fn log_with_early_drops(
    config: &Config,
    pieces: &[&[u8]],
    choices: &mut impl Choices,
    min_take: usize,
) -> Vec<String> {
    assert!(min_take < 4);
    let mut decoder = Decoder::with_config(config.clone());
    let mut out = Vec::new();
    let mut next_piece = 0;
    let mut guard = 0usize;
    loop {
        guard += 1;
        assert!(guard < 1_000_000, "early-drop driver made no progress");
        let chunk: &[u8] = if next_piece < pieces.len() && choices.pick(3) != 0 {
            next_piece += 1;
            pieces[next_piece - 1]
        } else {
            &[]
        };
        let take = min_take + choices.pick(4 - min_take);
        let mut items = decoder.feed(chunk);
        let mut ended = false;
        for _ in 0..take {
            match items.next() {
                Some(item) => out.push(render(&item)),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        drop(items);
        if ended && next_piece == pieces.len() {
            break;
        }
    }
    loop {
        guard += 1;
        assert!(
            guard < 1_000_000,
            "early-drop driver made no progress in finish"
        );
        let take = min_take + choices.pick(4 - min_take);
        let mut items = decoder.finish();
        let mut ended = false;
        for _ in 0..take {
            match items.next() {
                Some(item) => out.push(render(&item)),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        drop(items);
        if ended {
            break;
        }
    }
    out
}

/// Splits `input` into pieces of random sizes in `1..=max`.
pub fn random_pieces<'a>(input: &'a [u8], max: usize, rng: &mut Rng) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let n = (1 + rng.below(max)).min(rest.len());
        let (head, tail) = rest.split_at(n);
        pieces.push(head);
        rest = tail;
    }
    pieces
}

/// Re-frames a clean stream's records with another delimiter.
pub fn reframe(stream: &[u8], delimiter: &[u8]) -> Vec<u8> {
    let mut decoder = pullstream::Decoder::new();
    let mut out = Vec::new();
    for item in decoder.feed(stream) {
        out.extend_from_slice(item.unwrap().as_bytes());
        out.extend_from_slice(delimiter);
    }
    out
}
