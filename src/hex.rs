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
/// No branch per digit: invalid bytes are collected with one OR and checked once at the end.
#[inline]
pub(crate) fn decode<const N: usize>(src: &[u8]) -> Option<[u8; N]> {
    if src.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(src.chunks_exact(2)) {
        let high = DECODE[usize::from(pair[0])];
        let low = DECODE[usize::from(pair[1])];
        invalid |= high | low;
        *byte = (high << 4) | low;
    }
    if invalid & 0xf0 == 0 {
        Some(out)
    } else {
        None
    }
}

/// Writes `bytes` as lowercase hex into `out`, which must be exactly twice as long.
#[inline]
pub(crate) fn encode(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), 2 * bytes.len());
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = ENCODE[usize::from(byte >> 4)];
        pair[1] = ENCODE[usize::from(byte & 0x0f)];
    }
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
            assert!(out.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)));
            assert_eq!(decode::<1>(&out), Some([byte]));
        }
    }
}
