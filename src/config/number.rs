//! Decimal numbers from configuration text, without the silent rounding of `str::parse`:
//! `1e-400` parses to 0 and `1e400` to infinity there, which would turn a tiny sampling ratio
//! into "sample nothing". Both readers (environment and file) use this one.

use std::fmt;

/// Why a text is not a usable number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// Not a decimal number at all.
    NotANumber,
    /// A number other than zero too small for a 64-bit float: it would read as 0.
    Underflow,
    /// A finite number too large for a 64-bit float: it would read as infinity.
    Overflow,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotANumber => "not a number",
            Self::Underflow => "too small for a 64-bit float (it would read as 0)",
            Self::Overflow => "too large for a 64-bit float",
        })
    }
}

/// `text` (already trimmed) as an `f64` as Rust reads it (`0.5`, `5e-1`, `.5`, `inf`,
/// `NaN`), except that a number that is not 0 but reads as 0, or a finite number that reads
/// as infinite, is an error.
pub(crate) fn parse_f64(text: &str) -> Result<f64, NumberError> {
    let value: f64 = text.parse().map_err(|_| NumberError::NotANumber)?;
    if value == 0.0 && mantissa_has_nonzero_digit(text) {
        return Err(NumberError::Underflow);
    }
    if value.is_infinite() && text.bytes().any(|b| b.is_ascii_digit()) {
        return Err(NumberError::Overflow);
    }
    Ok(value)
}

/// Whether the digits before the exponent include one other than 0.
fn mantissa_has_nonzero_digit(text: &str) -> bool {
    text.bytes()
        .take_while(|&b| b != b'e' && b != b'E')
        .any(|b| matches!(b, b'1'..=b'9'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_rust_reads_but_refuses_what_it_rounds_away() {
        for (text, expected, reason) in [
            ("0.25", Ok(0.25), "plain"),
            ("0", Ok(0.0), "zero is zero"),
            ("0e-400", Ok(0.0), "zero with any exponent is zero"),
            ("-0.0", Ok(-0.0), "negative zero is zero"),
            ("1e-300", Ok(1e-300), "small but representable"),
            ("5e-324", Ok(5e-324), "the smallest subnormal"),
            (
                "1e-400",
                Err(NumberError::Underflow),
                "below every subnormal",
            ),
            ("-1e-400", Err(NumberError::Underflow), "negative too"),
            ("1e400", Err(NumberError::Overflow), "above f64::MAX"),
            (
                "inf",
                Ok(f64::INFINITY),
                "spelled infinity is not an overflow",
            ),
            ("abc", Err(NumberError::NotANumber), "not a number"),
            ("", Err(NumberError::NotANumber), "empty"),
        ] {
            assert_eq!(parse_f64(text), expected, "{text}: {reason}");
        }
    }
}
