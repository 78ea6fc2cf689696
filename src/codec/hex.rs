//! Fixed-width lowercase hex: the only place bytes become ids and ids become bytes.
//!
//! W3C Trace Context allows lowercase hex only (`HEXDIGLC`), so the decode table maps
//! `0-9a-f` and nothing else; uppercase is as invalid as `g`.

/// Marks a byte that is not a lowercase hex digit. Any value with a high nibble set would do:
/// a valid digit decodes to at most `0x0f`, so one OR over all lookups finds any invalid byte.
const INVALID: u8 = 0xff;

static DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut digit = 0;
    while digit < 10 {
        table[(b'0' + digit) as usize] = digit;
        digit += 1;
    }
    let mut letter = 0;
    while letter < 6 {
        table[(b'a' + letter) as usize] = 10 + letter;
        letter += 1;
    }
    table
};

const ENCODE: &[u8; 16] = b"0123456789abcdef";

/// Decodes exactly `2 * N` lowercase hex digits into `N` bytes.
///
/// Returns `None` if `src` is not `2 * N` bytes long or holds any byte that is not `0-9a-f`.
/// Ids (`N` = 8 or 16) are decoded eight digits at a time in one `u64`; other widths (the
/// version and flags bytes) by table. Neither branches per digit: invalid digits are collected
/// and checked once at the end.
#[inline]
pub(crate) fn decode<const N: usize>(src: &[u8]) -> Option<[u8; N]> {
    if src.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    if N % 4 == 0 {
        let mut invalid = 0u64;
        for (bytes, digits) in out.chunks_exact_mut(4).zip(src.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(digits);
            let (decoded, word_invalid) = decode_word(u64::from_le_bytes(word));
            invalid |= word_invalid;
            bytes.copy_from_slice(&decoded.to_le_bytes());
        }
        return (invalid == 0).then_some(out);
    }
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(src.chunks_exact(2)) {
        let high = DECODE[usize::from(pair[0])];
        let low = DECODE[usize::from(pair[1])];
        invalid |= high | low;
        *byte = (high << 4) | low;
    }
    (invalid & 0xf0 == 0).then_some(out)
}

/// One in each byte lane of a `u64`.
const LANES: u64 = 0x0101_0101_0101_0101;
/// The high bit of each byte lane.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Decodes eight hex digits, the first in the lowest byte, into four bytes (first in the
/// lowest byte). The second value is non-zero if any digit is not `0-9a-f`.
///
/// Range checks are per-lane additions on the low 7 bits of each byte: adding `0x80 - c` sets
/// a lane's high bit exactly when the byte is at least `c`, and cannot carry into the next
/// lane (at most `0x7f + 0x50`). Bytes with their own high bit set are rejected separately.
#[inline]
fn decode_word(digits: u64) -> (u32, u64) {
    let low7 = digits & !HIGH_BITS;
    let at_least = |c: u64| low7.wrapping_add((0x80 - c) * LANES);
    let decimal = at_least(0x30) & !at_least(0x3a); // '0'..='9'
    let letter = at_least(0x61) & !at_least(0x67); // 'a'..='f'
    let valid = (decimal | letter) & !digits & HIGH_BITS;
    let invalid = valid ^ HIGH_BITS;
    // '0'..'9' is 0x3_, 'a'..'f' is 0x6_ with bit 6 set: nibble + 9 * bit6 is the digit value.
    let values = (digits & (0x0f * LANES)) + ((digits >> 6) & LANES) * 9;
    // Pair the nibbles of each 16-bit lane into a byte, then pack the four bytes together.
    let pairs = ((values & 0x00ff_00ff_00ff_00ff) << 4) | ((values >> 8) & 0x00ff_00ff_00ff_00ff);
    let pairs = (pairs | (pairs >> 8)) & 0x0000_ffff_0000_ffff;
    let packed = pairs | (pairs >> 16);
    (packed as u32, invalid)
}

/// The value of one lowercase hex digit, or `None` for any other byte.
#[inline]
pub(crate) fn digit(byte: u8) -> Option<u8> {
    let value = DECODE[usize::from(byte)];
    (value != INVALID).then_some(value)
}

/// Writes `bytes` as lowercase hex into `out`, which must be exactly twice as long: four
/// bytes at a time in one `u64` (ids), the rest by table (flags).
// Measured: with a plain `#[inline]` it was left out of line, three calls per traceparent.
#[allow(clippy::inline_always)]
#[inline(always)]
pub(crate) fn encode(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), 2 * bytes.len());
    let mut digits = out.chunks_exact_mut(8);
    let mut words = bytes.chunks_exact(4);
    for (digits, word) in (&mut digits).zip(&mut words) {
        let mut four = [0u8; 4];
        four.copy_from_slice(word);
        digits.copy_from_slice(&encode_word(u32::from_le_bytes(four)).to_le_bytes());
    }
    let rest = digits.into_remainder();
    for (pair, byte) in rest.chunks_exact_mut(2).zip(words.remainder()) {
        pair[0] = ENCODE[usize::from(byte >> 4)];
        pair[1] = ENCODE[usize::from(byte & 0x0f)];
    }
}

/// Encodes four bytes (the first in the lowest byte) as eight hex digits (the first in the
/// lowest byte): each byte is spread into a 16-bit lane, its high nibble then its low nibble
/// in their own byte lanes, and each nibble `d` becomes `'0' + d`, plus 39 (`'a' - '0' - 10`)
/// when `d > 9`.
#[allow(clippy::inline_always)] // as `encode`
#[inline(always)]
fn encode_word(bytes: u32) -> u64 {
    let spread = u64::from(bytes);
    let spread = (spread | (spread << 16)) & 0x0000_ffff_0000_ffff;
    let spread = (spread | (spread << 8)) & 0x00ff_00ff_00ff_00ff;
    let nibbles = ((spread >> 4) & 0x000f_000f_000f_000f) | ((spread & 0x000f_000f_000f_000f) << 8);
    let letters = ((nibbles + 6 * LANES) >> 4) & LANES;
    nibbles + 0x30 * LANES + letters * 39
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn decodes_every_lowercase_digit_and_rejects_every_other_byte() {
        for byte in 0..=255u8 {
            let input = [b'0', byte];
            let expected = match byte {
                b'0'..=b'9' => Some([byte - b'0']),
                b'a'..=b'f' => Some([byte - b'a' + 10]),
                _ => None,
            };
            assert_eq!(decode::<1>(&input), expected, "byte {byte:#04x}");
            let swapped = [byte, b'0'];
            assert_eq!(
                decode::<1>(&swapped),
                expected.map(|[value]| [value << 4]),
                "byte {byte:#04x} as high digit"
            );
        }
    }

    /// Digit by digit, the obvious way: the reference both decoders are checked against.
    fn reference<const N: usize>(src: &[u8]) -> Option<[u8; N]> {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut out = [0u8; N];
        for (byte, pair) in out.iter_mut().zip(src.chunks_exact(2)) {
            *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
        }
        Some(out)
    }

    #[test]
    fn word_decoder_matches_the_reference_for_every_byte_at_every_position() {
        let base = *b"0123456789abcdef";
        for position in 0..16 {
            for byte in 0..=255u8 {
                let mut digits = base;
                digits[position] = byte;
                assert_eq!(
                    decode::<8>(&digits),
                    reference::<8>(&digits),
                    "byte {byte:#04x} at {position}"
                );
            }
        }
        let mut digits32 = *b"0123456789abcdef0123456789abcdef";
        assert_eq!(decode::<16>(&digits32), reference::<16>(&digits32));
        digits32[31] = b'A';
        assert_eq!(decode::<16>(&digits32), None);
    }

    #[test]
    fn word_decoder_matches_the_reference_on_mixed_inputs() {
        // A fixed xorshift sequence: digits mixed with near misses (`/ : ` g A G` and high bytes).
        let alphabet = b"0123456789abcdef/:`gAG\x80\xff";
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut digits = [0u8; 16];
            for (i, digit) in digits.iter_mut().enumerate() {
                let pick = (state >> (i * 4)) & 0x0f;
                let near_miss = (state >> (i + 40)) % 8 == 0;
                *digit = if near_miss {
                    alphabet[16 + (pick % 8) as usize]
                } else {
                    alphabet[pick as usize]
                };
            }
            assert_eq!(decode::<8>(&digits), reference::<8>(&digits), "{digits:?}");
        }
    }

    #[test]
    fn rejects_wrong_lengths() {
        assert_eq!(decode::<2>(b"abc"), None);
        assert_eq!(decode::<2>(b"abcde"), None);
        assert_eq!(decode::<0>(b""), Some([]));
    }

    #[test]
    fn encode_then_decode_is_identity_for_every_byte() {
        for byte in 0..=255u8 {
            let mut out = [0u8; 2];
            encode(&[byte], &mut out);
            assert!(out
                .iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)));
            assert_eq!(decode::<1>(&out), Some([byte]));
        }
    }

    #[test]
    fn word_encoder_writes_every_byte_at_every_position() {
        for byte in 0..=255u8 {
            for at in 0..9 {
                let mut bytes = [0x5a_u8; 9];
                bytes[at] = byte;
                let mut out = [0u8; 18];
                encode(&bytes, &mut out);
                for (pair, b) in out.chunks_exact(2).zip(bytes) {
                    assert_eq!(pair, format!("{b:02x}").as_bytes(), "{byte:#04x} at {at}");
                }
            }
        }
    }
}
