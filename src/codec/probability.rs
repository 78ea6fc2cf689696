//! Consistent probability sampling, as OpenTelemetry writes it into `tracestate`: the
//! rejection threshold `T` (`th`), the randomness `R` (`rv`, or the right-most 7 bytes of a
//! trace-id) and the `ot` list member that carries them (`ot=th:c;rv:6e6d1a75832a2f`).
//!
//! A span is sampled when `R >= T`. Both are 56-bit numbers; a threshold of 0 samples every
//! span, and the sampling probability is `(2^56 - T) / 2^56`. This module is plain data like
//! the rest of the codec; the samplers in `tctx::sampler` apply it to OpenTelemetry spans.
//!
//! Specifications: "`TraceState`: Probability Sampling" (`trace/tracestate-probability-sampling.md`)
//! and "`TraceState` Handling" (`trace/tracestate-handling.md`) of OpenTelemetry.
//!
//! # Examples
//!
//! ```
//! use tctx::probability::{OtValue, Randomness, Threshold};
//! use tctx::TraceId;
//!
//! let threshold = Threshold::from_probability(0.25)?;
//! assert_eq!(threshold.to_string(), "c");
//!
//! let trace_id: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse()?;
//! let randomness = Randomness::from_trace_id(trace_id);
//! assert_eq!(randomness.to_string(), "ce929d0e0e4736");
//! assert!(threshold.samples(randomness)); // 0xce92.. >= 0xc000..
//!
//! let ot = OtValue::parse("th:c;rv:6e6d1a75832a2f");
//! assert_eq!(ot.threshold(), Some(threshold));
//! assert_eq!(ot.randomness().map(|rv| rv.to_string()).as_deref(), Some("6e6d1a75832a2f"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use core::str::FromStr;
use std::borrow::Cow;

use crate::codec::error::{ParseError, ParseErrorKind};
use crate::codec::hex;
use crate::TraceId;

/// 2^56: the number of distinct 56-bit values, and the adjusted count of the least likely
/// sampling probability.
pub const MAX_ADJUSTED_COUNT: u64 = 1 << 56;

/// The smallest sampling probability OpenTelemetry defines: 2^-56.
#[allow(clippy::cast_precision_loss)] // 2^56 is exact in an f64
pub const MIN_PROBABILITY: f64 = 1.0 / MAX_ADJUSTED_COUNT as f64;

/// The number of hexadecimal digits of a threshold that the specification recommends by
/// default ("OpenTelemetry SDKs are recommended to use 4 digits of precision").
pub const DEFAULT_PRECISION: u32 = 4;

/// The longest `ot` value the specification allows ("the entire list of key-values MUST NOT
/// exceed 256 characters").
pub const MAX_OT_VALUE_LEN: usize = 256;

const DIGITS: usize = 14;

/// A 56-bit rejection threshold `T`: out of 2^56 spans, how many to drop. The `th` sub-key of
/// the `ot` tracestate member.
///
/// # Examples
///
/// ```
/// use tctx::probability::Threshold;
///
/// let tenth = Threshold::from_probability(0.1)?;
/// assert_eq!(tenth.to_string(), "e666");
/// assert!((tenth.probability() - 0.100006103515625).abs() < 1e-15);
/// assert_eq!(Threshold::parse("e666")?, tenth);
/// assert_eq!("e666".parse::<Threshold>()?, tenth); // FromStr
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Threshold(u64);

/// A 56-bit randomness value `R`: the `rv` sub-key of the `ot` tracestate member, or the
/// right-most 7 bytes of a trace-id.
///
/// # Examples
///
/// ```
/// use tctx::probability::Randomness;
///
/// let rv = Randomness::parse("6e6d1a75832a2f")?;
/// assert_eq!(rv.bits(), 0x6e6d1a75832a2f);
/// assert_eq!("6e6d1a75832a2f".parse::<Randomness>()?, rv); // FromStr
/// # Ok::<(), tctx::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Randomness(u64);

/// A sampling probability outside `[2^-56, 1]` (or not a number): it has no threshold.
///
/// # Examples
///
/// ```
/// use tctx::probability::Threshold;
///
/// let err = Threshold::from_probability(0.0).unwrap_err();
/// assert_eq!(err.to_string(), "sampling probability must be from 2^-56 to 1, not 0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbabilityError {
    probability: f64,
}

impl ProbabilityError {
    /// The rejected probability.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// assert_eq!(Threshold::from_probability(1.5).unwrap_err().probability(), 1.5);
    /// ```
    #[must_use]
    pub fn probability(&self) -> f64 {
        self.probability
    }
}

impl fmt::Display for ProbabilityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sampling probability must be from 2^-56 to 1, not {}",
            self.probability
        )
    }
}

impl std::error::Error for ProbabilityError {}

fn check_probability(probability: f64) -> Result<(), ProbabilityError> {
    if (MIN_PROBABILITY..=1.0).contains(&probability) {
        Ok(())
    } else {
        Err(ProbabilityError { probability })
    }
}

/// The exponent `e` of `x = m * 2^e` with `m` in `[0.5, 1)`, as C's `frexp` gives it, for a
/// normal positive `x` (every probability from 2^-56 to 1 is one).
fn frexp_exponent(x: f64) -> i32 {
    (((x.to_bits() >> 52) & 0x7ff) as i32) - 1022
}

impl Threshold {
    /// The threshold that samples every span (`th:0`, probability 1).
    pub const SAMPLE_ALL: Self = Self(0);

    /// The longest `th` value, 14 hex digits: the length of [`encode`](Self::encode)'s buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// let mut buf = [0u8; Threshold::MAX_ENCODED_LEN];
    /// assert_eq!(Threshold::from_bits(1).unwrap().encode(&mut buf), "00000000000001");
    /// ```
    pub const MAX_ENCODED_LEN: usize = DIGITS;

    /// The threshold of `probability` at the [default precision](DEFAULT_PRECISION) of four
    /// significant hexadecimal digits, by the specification's algorithm ("Converting
    /// floating-point probability to threshold value"): `0.25` gives `c`, `0.1` gives `e666`,
    /// `0.01` gives `fd70a`.
    ///
    /// # Errors
    ///
    /// When `probability` is not in `[2^-56, 1]`: zero is "never", not a probability.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// assert_eq!(Threshold::from_probability(0.01)?.to_string(), "fd70a");
    /// assert_eq!(Threshold::from_probability(1.0)?, Threshold::SAMPLE_ALL);
    /// assert!(Threshold::from_probability(f64::NAN).is_err());
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    pub fn from_probability(probability: f64) -> Result<Self, ProbabilityError> {
        Self::from_probability_rounded(probability, DEFAULT_PRECISION)
    }

    /// The threshold of `probability` rounded to `precision` significant hexadecimal digits
    /// (1 to 12; more is taken as 12, 0 as 1). Leading `f` digits do not count, so small
    /// probabilities keep their precision: at precision 4, `0.001` gives `ffbe77`.
    ///
    /// # Errors
    ///
    /// When `probability` is not in `[2^-56, 1]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// assert_eq!(Threshold::from_probability_rounded(1.0 / 3.0, 3)?.to_string(), "aab");
    /// assert_eq!(Threshold::from_probability_rounded(1.0 / 3.0, 5)?.to_string(), "aaaab");
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    pub fn from_probability_rounded(
        probability: f64,
        precision: u32,
    ) -> Result<Self, ProbabilityError> {
        check_probability(probability)?;
        // Exactly one: the specification's special case.
        #[allow(clippy::float_cmp)]
        if probability == 1.0 {
            return Ok(Self::SAMPLE_ALL);
        }
        // The specification's Python, step for step: raise the precision by the number of
        // leading `f` digits, then round 1 + (1 - p) at that hex digit and read the digits of
        // its mantissa, which are those of the rejection probability.
        let precision = i32::try_from(precision.min(12)).unwrap_or(12);
        let precision = (precision + (-frexp_exponent(probability)).div_euclid(4)).clamp(1, 12);
        let rejection = (2.0 - probability) + 0.5 * 16f64.powi(-precision);
        let mantissa = if rejection >= 2.0 {
            0x000f_ffff_ffff_ffff // 13 `f` digits
        } else {
            rejection.to_bits() & 0x000f_ffff_ffff_ffff
        };
        let kept_bits = 4 * precision.unsigned_abs();
        Ok(Self((mantissa >> (52 - kept_bits)) << (56 - kept_bits)))
    }

    /// The threshold of `probability` with all 56 bits: `2^56 - round(p * 2^56)`. `0.01`
    /// gives `fd70a3d70a3d71`.
    ///
    /// # Errors
    ///
    /// When `probability` is not in `[2^-56, 1]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// assert_eq!(Threshold::from_probability_exact(0.01)?.to_string(), "fd70a3d70a3d71");
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    pub fn from_probability_exact(probability: f64) -> Result<Self, ProbabilityError> {
        check_probability(probability)?;
        // Scaling by a power of two is exact, and so is rounding; p * 2^56 is in [1, 2^56].
        #[allow(clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let kept = (probability * MAX_ADJUSTED_COUNT as f64).round() as u64;
        Ok(Self(MAX_ADJUSTED_COUNT - kept))
    }

    /// The threshold with these 56 bits, or `None` if `bits >= 2^56`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// assert_eq!(Threshold::from_bits(0xc0_0000_0000_0000).unwrap().to_string(), "c");
    /// assert!(Threshold::from_bits(1 << 56).is_none());
    /// ```
    #[must_use]
    pub const fn from_bits(bits: u64) -> Option<Self> {
        if bits < MAX_ADJUSTED_COUNT {
            Some(Self(bits))
        } else {
            None
        }
    }

    /// The threshold as a 56-bit number.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// assert_eq!(Threshold::parse("8")?.bits(), 0x80_0000_0000_0000);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The sampling probability, `(2^56 - T) / 2^56`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// assert_eq!(Threshold::parse("c")?.probability(), 0.25);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn probability(self) -> f64 {
        (MAX_ADJUSTED_COUNT - self.0) as f64 / MAX_ADJUSTED_COUNT as f64
    }

    /// The adjusted count: how many spans each span sampled at this threshold stands for,
    /// `2^56 / (2^56 - T)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// assert_eq!(Threshold::parse("c")?.adjusted_count(), 4.0);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn adjusted_count(self) -> f64 {
        MAX_ADJUSTED_COUNT as f64 / (MAX_ADJUSTED_COUNT - self.0) as f64
    }

    /// Whether a span with this randomness is sampled: `R >= T` ("Decision algorithm").
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::{Randomness, Threshold};
    ///
    /// let half = Threshold::parse("8")?;
    /// assert!(half.samples(Randomness::parse("80000000000000")?));
    /// assert!(!half.samples(Randomness::parse("7fffffffffffff")?));
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub const fn samples(self, randomness: Randomness) -> bool {
        randomness.0 >= self.0
    }

    /// Reads a `th` value: 1 to 14 lowercase hex digits, extended with trailing zeros to 14.
    ///
    /// # Errors
    ///
    /// [`ParseErrorKind::Threshold`] for anything else, with the offset of the first bad byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    /// use tctx::ParseErrorKind;
    ///
    /// assert_eq!(Threshold::parse("fd70a4")?.to_string(), "fd70a4");
    /// assert_eq!(Threshold::parse("C").unwrap_err().kind(), ParseErrorKind::Threshold);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let bits = parse_hex_prefix(value, 1, ParseErrorKind::Threshold)?;
        Ok(Self(bits))
    }

    /// Writes the `th` value into `buf`: hex without trailing zeros, `0` for
    /// [`SAMPLE_ALL`](Self::SAMPLE_ALL) ("Converting integer threshold to a T-value").
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    ///
    /// let mut buf = [0u8; 14];
    /// assert_eq!(Threshold::from_probability(0.5)?.encode(&mut buf), "8");
    /// assert_eq!(Threshold::SAMPLE_ALL.encode(&mut buf), "0");
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    pub fn encode(self, buf: &mut [u8; DIGITS]) -> &str {
        let len = if self.0 == 0 {
            1
        } else {
            DIGITS - (self.0.trailing_zeros() / 4) as usize
        };
        encode_hex(self.0, buf, len)
    }
}

impl Randomness {
    /// The length of an `rv` value, always 14 hex digits: the length of
    /// [`encode`](Self::encode)'s buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Randomness;
    ///
    /// let mut buf = [0u8; Randomness::ENCODED_LEN];
    /// assert_eq!(Randomness::from_bits(1).unwrap().encode(&mut buf), "00000000000001");
    /// ```
    pub const ENCODED_LEN: usize = DIGITS;

    /// The randomness of a trace-id: its right-most 7 bytes, which W3C Trace Context Level 2
    /// asks to be random ("Randomness of trace-id").
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Randomness;
    /// use tctx::TraceId;
    ///
    /// let id: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse()?;
    /// assert_eq!(Randomness::from_trace_id(id).bits(), 0xce929d0e0e4736);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub fn from_trace_id(trace_id: TraceId) -> Self {
        Self::from_trace_id_bytes(trace_id.to_bytes())
    }

    /// [`from_trace_id`](Self::from_trace_id) for the 16 bytes of any trace-id, such as
    /// OpenTelemetry's `TraceId::to_bytes()`; all-zero bytes give zero randomness.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Randomness;
    ///
    /// let bytes = 0x4bf92f3577b34da6a3ce929d0e0e4736u128.to_be_bytes();
    /// assert_eq!(Randomness::from_trace_id_bytes(bytes).bits(), 0xce929d0e0e4736);
    /// ```
    #[must_use]
    pub fn from_trace_id_bytes(bytes: [u8; 16]) -> Self {
        let mut low = [0u8; 8];
        low.copy_from_slice(&bytes[8..]);
        Self(u64::from_be_bytes(low) & (MAX_ADJUSTED_COUNT - 1))
    }

    /// A new random value, for a root span whose trace-id is not random (an explicit
    /// randomness value, "Root samplers set explicit randomness for non-random `TraceIDs`").
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Randomness;
    ///
    /// assert!(Randomness::random().bits() < 1 << 56);
    /// ```
    #[must_use]
    pub fn random() -> Self {
        Self(rand::random::<u64>() & (MAX_ADJUSTED_COUNT - 1))
    }

    /// The randomness with these 56 bits, or `None` if `bits >= 2^56`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Randomness;
    ///
    /// assert_eq!(Randomness::from_bits(0x2a).unwrap().to_string(), "0000000000002a");
    /// ```
    #[must_use]
    pub const fn from_bits(bits: u64) -> Option<Self> {
        if bits < MAX_ADJUSTED_COUNT {
            Some(Self(bits))
        } else {
            None
        }
    }

    /// The randomness as a 56-bit number.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Randomness;
    ///
    /// assert_eq!(Randomness::parse("00000000000001")?.bits(), 1);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Reads an `rv` value: exactly 14 lowercase hex digits.
    ///
    /// # Errors
    ///
    /// [`ParseErrorKind::Randomness`] for anything else.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Randomness;
    ///
    /// assert!(Randomness::parse("6e6d1a75832a2f").is_ok());
    /// assert!(Randomness::parse("6e6d1a75832a2").is_err()); // 13 digits
    /// ```
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        parse_hex_prefix(value, DIGITS, ParseErrorKind::Randomness).map(Self)
    }

    /// Writes the `rv` value, all 14 digits, into `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Randomness;
    ///
    /// let mut buf = [0u8; 14];
    /// let rv = Randomness::from_bits(0x6e6d1a75832a2f).unwrap();
    /// assert_eq!(rv.encode(&mut buf), "6e6d1a75832a2f");
    /// ```
    pub fn encode(self, buf: &mut [u8; DIGITS]) -> &str {
        encode_hex(self.0, buf, DIGITS)
    }
}

/// Reads `min_len` to 14 lowercase hex digits as the high digits of a 56-bit number.
fn parse_hex_prefix(value: &str, min_len: usize, kind: ParseErrorKind) -> Result<u64, ParseError> {
    let bytes = value.as_bytes();
    if bytes.len() < min_len || bytes.len() > DIGITS {
        return Err(ParseError::new(kind, 0));
    }
    let mut bits = 0u64;
    for (at, &byte) in bytes.iter().enumerate() {
        let digit = hex::digit(byte).ok_or(ParseError::new(kind, at))?;
        bits = (bits << 4) | u64::from(digit);
    }
    Ok(bits << (4 * (DIGITS - bytes.len())))
}

/// The first `len` of the 14 hex digits of a 56-bit number.
fn encode_hex(bits: u64, buf: &mut [u8; DIGITS], len: usize) -> &str {
    let bytes = bits.to_be_bytes();
    let mut full = [0u8; 2 * 8];
    hex::encode(&bytes, &mut full);
    // Byte 0 of a 56-bit number is zero: its two digits are not part of the value.
    buf.copy_from_slice(&full[2..]);
    // Only ASCII hex digits were written.
    core::str::from_utf8(&buf[..len]).unwrap_or_default()
}

macro_rules! hex_display {
    ($type:ty, $name:literal) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.encode(&mut [0; DIGITS]))
            }
        }

        impl fmt::Debug for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($name, "({})"), self)
            }
        }

        /// The same as `parse`, for `str::parse`.
        impl FromStr for $type {
            type Err = ParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

hex_display!(Threshold, "Threshold");
hex_display!(Randomness, "Randomness");

/// The value of the `ot` tracestate member (`th:c;rv:6e6d1a75832a2f`), read leniently: the
/// sub-keys this crate understands are found, malformed ones ignored, and everything else is
/// kept as it was when the threshold is rewritten.
///
/// `th` counts only if it is 1 to 14 lowercase hex digits and `rv` only if it is exactly 14;
/// a malformed one is treated as absent ("Tracestate handling"), never as an error.
///
/// # Examples
///
/// ```
/// use tctx::probability::{OtValue, Threshold};
///
/// let ot = OtValue::parse("th:C;rv:6e6d1a75832a2f;foo:bar");
/// assert_eq!(ot.threshold(), None); // uppercase is not a threshold
/// assert!(ot.randomness().is_some());
///
/// let quarter = Threshold::from_probability(0.25)?;
/// assert_eq!(ot.with_threshold(Some(quarter)), "th:c;rv:6e6d1a75832a2f;foo:bar");
/// assert_eq!(ot.with_threshold(None), "rv:6e6d1a75832a2f;foo:bar");
/// # Ok::<(), tctx::probability::ProbabilityError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OtValue<'a> {
    value: &'a str,
    threshold: Option<Threshold>,
    randomness: Option<Randomness>,
    /// How many `th` sub-keys are present, valid or not (counted up to 2): rewriting must
    /// replace them all, and one valid `th` alone can be kept as it is.
    th_members: u8,
}

impl<'a> OtValue<'a> {
    /// Finds `th` and `rv` in an `ot` value. The first well-formed member with each key counts
    /// (keys "MUST be unique"); its value must then be a valid threshold or randomness, or the
    /// key counts as absent. Never fails and never allocates.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::OtValue;
    ///
    /// let ot = OtValue::parse("th:8");
    /// assert_eq!(ot.threshold().map(|th| th.probability()), Some(0.5));
    /// assert_eq!(OtValue::parse("garbage").threshold(), None);
    /// ```
    #[must_use]
    pub fn parse(value: &'a str) -> Self {
        let mut ot = Self {
            value,
            threshold: None,
            randomness: None,
            th_members: 0,
        };
        if value.is_empty() {
            return ot; // the common case: no `ot` member at all
        }
        let (mut seen_th, mut seen_rv) = (false, false);
        for member in value.split(';') {
            if member.starts_with("th:") {
                ot.th_members = ot.th_members.saturating_add(1).min(2);
            }
            // Only well-formed members count, the same ones a rewrite keeps: dropping a
            // malformed `rv` must not bring a later one to light.
            if !is_well_formed(member) {
                continue;
            }
            if let Some(th) = member.strip_prefix("th:") {
                if !seen_th {
                    seen_th = true;
                    ot.threshold = Threshold::parse(th).ok();
                }
            } else if let Some(rv) = member.strip_prefix("rv:") {
                if !seen_rv {
                    seen_rv = true;
                    ot.randomness = Randomness::parse(rv).ok();
                }
            }
        }
        ot
    }

    /// The sampling threshold `th`, if present and valid.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::OtValue;
    ///
    /// assert_eq!(OtValue::parse("th:0").threshold().map(|th| th.bits()), Some(0));
    /// assert_eq!(OtValue::parse("th:").threshold(), None);
    /// ```
    #[must_use]
    pub fn threshold(&self) -> Option<Threshold> {
        self.threshold
    }

    /// The explicit randomness `rv`, if present and valid.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::OtValue;
    ///
    /// assert!(OtValue::parse("rv:7479cfb506891d").randomness().is_some());
    /// assert!(OtValue::parse("rv:7479").randomness().is_none());
    /// ```
    #[must_use]
    pub fn randomness(&self) -> Option<Randomness> {
        self.randomness
    }

    /// The value as it was read.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::OtValue;
    ///
    /// assert_eq!(OtValue::parse("th:c").as_str(), "th:c");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        self.value
    }

    /// The `ot` value with its threshold set to `threshold`, or erased for `None`: `th` first,
    /// then the other sub-keys in their order. Borrowed when nothing changes (same threshold
    /// already there, or none to erase), so callers can skip rebuilding the tracestate.
    ///
    /// Members that break the grammar of "`TraceState` Handling" (`key:value`, a key of `a-z`
    /// then `a-z0-9`, a value of `A-Za-z0-9._-`) are dropped from a rewritten value: they mean
    /// nothing, and could turn into something (`rv:… ` with a trailing space) once moved.
    ///
    /// An empty result means the `ot` member should be removed. If setting the threshold
    /// would make the value longer than 256 characters, the threshold is erased instead: a
    /// sampled span with no `th` has an unknown probability, which is the truth here.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use tctx::probability::{OtValue, Threshold};
    ///
    /// let ot = OtValue::parse("rv:6e6d1a75832a2f;th:c");
    /// let quarter = Threshold::from_probability(0.25)?;
    /// assert!(matches!(ot.with_threshold(Some(quarter)), Cow::Borrowed(_)));
    /// assert_eq!(ot.with_threshold(Some(Threshold::SAMPLE_ALL)), "th:0;rv:6e6d1a75832a2f");
    /// assert_eq!(OtValue::parse("th:c").with_threshold(None), "");
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    #[must_use]
    pub fn with_threshold(&self, threshold: Option<Threshold>) -> Cow<'a, str> {
        let unchanged = match threshold {
            Some(th) => self.threshold == Some(th) && self.th_members == 1,
            None => self.th_members == 0,
        };
        if unchanged {
            return Cow::Borrowed(self.value);
        }
        let others = || {
            self.value
                .split(';')
                .filter(|member| !member.starts_with("th:") && is_well_formed(member))
        };
        let mut out = String::with_capacity(self.value.len() + 3 + DIGITS);
        if let Some(th) = threshold {
            out.push_str("th:");
            out.push_str(th.encode(&mut [0; DIGITS]));
        }
        for member in others() {
            if !out.is_empty() {
                out.push(';');
            }
            out.push_str(member);
        }
        // Erasing never makes a value longer, so this recurses at most once (an input already
        // over the limit stays over it: it was not ours to shorten).
        if threshold.is_some() && out.len() > MAX_OT_VALUE_LEN {
            return self.with_threshold(None);
        }
        Cow::Owned(out)
    }
}

/// `key ":" value` of "`TraceState` Handling": `lcalpha *(lcalpha / DIGIT)`, then
/// `*(ucalpha / lcalpha / DIGIT / "." / "_" / "-")`.
fn is_well_formed(member: &str) -> bool {
    let Some((key, value)) = member.split_once(':') else {
        return false;
    };
    let mut key_bytes = key.bytes();
    key_bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && key_bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::{frexp_exponent, Threshold};

    #[test]
    fn frexp_exponent_matches_c() {
        // frexp(1.0) = 0.5 * 2^1, frexp(0.01) = 0.64 * 2^-6, frexp(0.5) = 0.5 * 2^0.
        assert_eq!(frexp_exponent(1.0), 1);
        assert_eq!(frexp_exponent(0.5), 0);
        assert_eq!(frexp_exponent(0.01), -6);
        assert_eq!(frexp_exponent(2f64.powi(-56)), -55);
    }

    #[test]
    fn precision_is_clamped() {
        assert_eq!(
            Threshold::from_probability_rounded(0.1, 0).unwrap(),
            Threshold::from_probability_rounded(0.1, 1).unwrap()
        );
        assert_eq!(
            Threshold::from_probability_rounded(0.1, 40).unwrap(),
            Threshold::from_probability_rounded(0.1, 12).unwrap()
        );
    }
}
