//! Word-at-a-time byte classes (SWAR: "SIMD within a register"): the one home of the bit
//! tricks that let the splitter ([`crate::scan`]), the record parser's fast path
//! ([`crate::message`]) and the failure classifier's word scan ([`crate::failure`]) cross eight
//! bytes per step.
//!
//! Each mask has the high bit of a byte set where that byte is in the class. Borrows can set
//! false bits, but only in bytes *above* a true one, so the lowest set bit
//! (`trailing_zeros() / 8`, the words are little-endian) is always exact: that is the only way
//! these masks are read.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes equal to `byte`.
#[inline(always)]
pub(crate) fn eq(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Bytes below `bound` (at most 0x80).
#[inline(always)]
pub(crate) fn below(word: u64, bound: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(bound)) & !word & HIGHS
}

/// The eight bytes at `at`, if there are eight.
#[inline(always)]
pub(crate) fn load(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(at..at.wrapping_add(8))?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// ASCII bytes that are neither letters nor digits (bytes of 0x80 and above are not in the
/// class). Exact in every byte, not only the lowest: each byte's sum stays below 0x100, so no
/// carry crosses into the next byte.
#[inline(always)]
pub(crate) fn ascii_non_alphanumeric(word: u64) -> u64 {
    // Each byte's low seven bits; adding `0x80 - bound` sets the high bit where the byte is at
    // least `bound`.
    let low = word & !HIGHS;
    let at_least = |value: u64, bound: u8| (value + ONES * (0x80 - u64::from(bound))) & HIGHS;
    let digit = at_least(low, b'0') & !at_least(low, b'9' + 1);
    let folded = low | (ONES * 0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'z' + 1);
    !(word | digit | letter) & HIGHS
}

/// Index of the first ASCII byte from `from` that is neither a letter nor a digit (the end of
/// a word of the failure classifier, [`crate::failure`]), or `bytes.len()` when there is none.
#[inline]
pub(crate) fn word_end(bytes: &[u8], mut from: usize) -> usize {
    while let Some(word) = load(bytes, from) {
        let stops = ascii_non_alphanumeric(word);
        if stops != 0 {
            return from + (stops.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    while from < bytes.len() && (bytes[from].is_ascii_alphanumeric() || bytes[from] >= 0x80) {
        from += 1;
    }
    from
}

/// Index of the first `"`, `{`, `[`, `}` or `]` from `from`: what the splitter must look at
/// outside strings. `None` when the input ends first.
#[inline(always)]
pub(crate) fn structural_stop(bytes: &[u8], mut from: usize) -> Option<usize> {
    while let Some(word) = load(bytes, from) {
        // `[` and `]` are `{` and `}` without bit 5, and no other byte turns into either
        // when bit 5 is set: one comparison covers each pair.
        let folded = word | (ONES * 0x20);
        let stops = eq(word, b'"') | eq(folded, b'{') | eq(folded, b'}');
        if stops != 0 {
            return Some(from + (stops.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    let tail = bytes.get(from..)?;
    let k = tail
        .iter()
        .position(|&b| matches!(b, b'"' | b'{' | b'[' | b'}' | b']'))?;
    Some(from + k)
}

/// Index of the first `"` or control character (which includes the line break) from
/// `from`: [`string_stop`] without the backslash, for a caller that tells escaped bytes by
/// the backslashes before them. `None` when the input ends first.
#[inline(always)]
pub(crate) fn quote_or_control(bytes: &[u8], mut from: usize) -> Option<usize> {
    while let Some(word) = load(bytes, from) {
        // As in `string_stop`: flipping bit 1 turns `"` into 0x20.
        let stops = below(word ^ (ONES * 0x02), 0x21);
        if stops != 0 {
            return Some(from + (stops.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    let tail = bytes.get(from..)?;
    let k = tail.iter().position(|&b| b == b'"' || b < 0x20)?;
    Some(from + k)
}

/// Index of the first byte (from `from`) that ends a run of plain string content: `"`,
/// `\\` or a control character (which includes the line break). `None` when the input ends
/// first.
#[inline(always)]
pub(crate) fn string_stop(bytes: &[u8], mut from: usize) -> Option<usize> {
    while let Some(word) = load(bytes, from) {
        // Flipping bit 1 turns `"` (0x22) into 0x20 and maps the control characters onto
        // each other, so one "below 0x21" test finds both.
        let stops = below(word ^ (ONES * 0x02), 0x21) | eq(word, b'\\');
        if stops != 0 {
            return Some(from + (stops.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    let tail = bytes.get(from..)?;
    let k = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(from + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ascii_non_alphanumeric` marks exactly the bytes its doc names, at every position.
    #[test]
    fn ascii_non_alphanumeric_is_exact() {
        for byte in 0..=255u8 {
            for position in 0..8 {
                let mut word = [b'a'; 8];
                word[position] = byte;
                let bits = ascii_non_alphanumeric(u64::from_le_bytes(word));
                let in_class = byte < 0x80 && !byte.is_ascii_alphanumeric();
                let want = if in_class {
                    0x80u64 << (8 * position)
                } else {
                    0
                };
                assert_eq!(bits, want, "byte {byte:#04x} at {position}");
            }
        }
    }

    /// `eq` and `below` mark the lowest byte of their class exactly, for every byte value at
    /// every position of a word whose other bytes are either outside the class or also in it.
    #[test]
    fn masks_mark_the_lowest_byte_of_their_class() {
        for at in 0..8 {
            for byte in 0..=255u8 {
                for param in 0..=255u8 {
                    for filler in [0xffu8, 0x00, param] {
                        let mut bytes = [filler; 8];
                        bytes[at] = byte;
                        let word = u64::from_le_bytes(bytes);
                        let lowest = |mask: u64| (mask != 0).then(|| mask.trailing_zeros() / 8);
                        let first = |is: &dyn Fn(u8) -> bool| {
                            bytes.iter().position(|&b| is(b)).map(|i| i as u32)
                        };
                        assert_eq!(
                            lowest(eq(word, param)),
                            first(&|b| b == param),
                            "eq {param:#04x}: {bytes:02x?}"
                        );
                        if param <= 0x80 {
                            assert_eq!(
                                lowest(below(word, param)),
                                first(&|b| b < param),
                                "below {param:#04x}: {bytes:02x?}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// The word tests (and the byte-at-a-time tails) find exactly the first byte of their class, for
    /// every byte value at every position of inputs from 1 to 17 bytes, read from every start.
    #[test]
    fn stops_find_the_first_byte_of_their_class() {
        type Stop = fn(&[u8], usize) -> Option<usize>;
        type Class = (&'static str, Stop, fn(u8) -> bool);
        let classes: [Class; 3] = [
            ("structural", structural_stop, |b| {
                matches!(b, b'"' | b'{' | b'[' | b'}' | b']')
            }),
            ("quote or control", quote_or_control, |b| {
                b == b'"' || b < 0x20
            }),
            ("string", string_stop, |b| {
                b == b'"' || b == b'\\' || b < 0x20
            }),
        ];
        for (name, stop, is_stop) in classes {
            for len in 1..=17 {
                for at in 0..len {
                    for byte in 0..=255u8 {
                        // Filler that no class stops at, with one byte of interest, and a
                        // second candidate after it to check that the first one wins.
                        let mut input = vec![b'a'; len];
                        input[at] = byte;
                        if at + 1 < len {
                            input[at + 1] = b'"';
                        }
                        for from in 0..=len {
                            let expected = (from..len).find(|&i| is_stop(input[i]));
                            assert_eq!(
                                stop(&input, from),
                                expected,
                                "{name}: byte {byte:#04x} at {at} of {len}, from {from}"
                            );
                        }
                    }
                }
            }
        }
    }
}
