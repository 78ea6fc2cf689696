//! The two identifiers of a traceparent: [`TraceId`] and [`SpanId`].
//!
//! Both are never all zeros (the specification forbids it), so a value of these types is
//! always valid to send.

use core::fmt;
use core::str::FromStr;

use rand::RngCore;

use crate::codec::error::{ParseError, ParseErrorKind};
use crate::codec::hex;

/// The 16-byte id of a whole distributed trace (W3C Trace Context, section "trace-id").
///
/// Never all zeros. Displays as 32 lowercase hex digits.
///
/// # Examples
///
/// ```
/// use tctx::TraceId;
///
/// let id: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse()?;
/// assert_eq!(id.to_bytes()[0], 0x4b);
/// assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(TraceId::from_bytes([0; 16]).is_none());
/// # Ok::<(), tctx::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId([u8; 16]);

/// The 8-byte id of one span: the `parent-id` field of a traceparent names the caller's span
/// (W3C Trace Context, sections "parent-id" and "Considerations for span-id field generation").
///
/// Never all zeros. Displays as 16 lowercase hex digits.
///
/// # Examples
///
/// ```
/// use tctx::SpanId;
///
/// let id: SpanId = "00f067aa0ba902b7".parse()?;
/// assert_eq!(id.to_bytes(), [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
/// assert!("0000000000000000".parse::<SpanId>().is_err());
/// # Ok::<(), tctx::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId([u8; 8]);

/// Turns bytes this crate wrote from ASCII tables into `&str`.
///
/// `from_utf8` cannot fail on them; the empty fallback only keeps the function total.
pub(crate) fn ascii_str(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or_default()
}

impl TraceId {
    /// Number of hex digits in the encoded form.
    pub const HEX_LEN: usize = 32;

    /// Wraps 16 bytes, or returns `None` for the forbidden all-zero id.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = tctx::TraceId::from_bytes([1; 16]).unwrap();
    /// assert_eq!(id.to_string(), "01010101010101010101010101010101");
    /// ```
    #[must_use]
    pub fn from_bytes(bytes: [u8; 16]) -> Option<Self> {
        (bytes != [0; 16]).then_some(Self(bytes))
    }

    /// The id as 16 bytes, most significant first.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = tctx::TraceId::from_bytes([7; 16]).unwrap();
    /// assert_eq!(id.to_bytes(), [7; 16]);
    /// ```
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }

    /// A new id of 16 uniformly random bytes from the thread-local generator of `rand`
    /// (a cryptographically strong generator, reseeded from the operating system).
    ///
    /// All 16 bytes are random, so the right-most 7 bytes are uniform over `[0, 2^56)` as the
    /// `random-trace-id` flag promises (W3C Trace Context, "Random Trace ID Flag").
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = (tctx::TraceId::random(), tctx::TraceId::random());
    /// assert_ne!(a, b);
    /// ```
    #[must_use]
    pub fn random() -> Self {
        let mut rng = rand::rng();
        loop {
            let mut bytes = [0u8; 16];
            rng.fill_bytes(&mut bytes);
            if let Some(id) = Self::from_bytes(bytes) {
                return id;
            }
        }
    }

    /// Parses 32 lowercase hex digits.
    ///
    /// # Errors
    ///
    /// [`ParseErrorKind::TraceId`] if the input is not exactly 32 lowercase hex digits or is
    /// all zeros.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::TraceId;
    ///
    /// assert!(TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736").is_ok());
    /// assert!(TraceId::parse("4BF92F3577B34DA6A3CE929D0E0E4736").is_err());
    /// ```
    pub fn parse(hex: &str) -> Result<Self, ParseError> {
        Self::decode(hex.as_bytes()).ok_or(ParseError::unlocated(ParseErrorKind::TraceId))
    }

    #[inline]
    pub(crate) fn decode(hex: &[u8]) -> Option<Self> {
        hex::decode::<16>(hex).and_then(Self::from_bytes)
    }

    /// Writes the 32 lowercase hex digits into `buf` and returns them as `&str`.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = tctx::TraceId::from_bytes([0xab; 16]).unwrap();
    /// let mut buf = [0u8; 32];
    /// assert_eq!(id.encode(&mut buf), "abababababababababababababababab");
    /// ```
    pub fn encode<'b>(&self, buf: &'b mut [u8; 32]) -> &'b str {
        hex::encode(&self.0, buf);
        ascii_str(buf)
    }
}

impl SpanId {
    /// Number of hex digits in the encoded form.
    pub const HEX_LEN: usize = 16;

    /// Wraps 8 bytes, or returns `None` for the forbidden all-zero id.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(tctx::SpanId::from_bytes([0; 8]).is_none());
    /// assert!(tctx::SpanId::from_bytes([0, 0, 0, 0, 0, 0, 0, 1]).is_some());
    /// ```
    #[must_use]
    pub fn from_bytes(bytes: [u8; 8]) -> Option<Self> {
        (bytes != [0; 8]).then_some(Self(bytes))
    }

    /// The id as 8 bytes, most significant first.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = tctx::SpanId::from_bytes([9; 8]).unwrap();
    /// assert_eq!(id.to_bytes(), [9; 8]);
    /// ```
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0
    }

    /// A new id of 8 uniformly random bytes from the thread-local generator of `rand`
    /// (W3C Trace Context, "Randomness of span-id").
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = (tctx::SpanId::random(), tctx::SpanId::random());
    /// assert_ne!(a, b);
    /// ```
    #[must_use]
    pub fn random() -> Self {
        let mut rng = rand::rng();
        loop {
            if let Some(id) = Self::from_bytes(rng.next_u64().to_be_bytes()) {
                return id;
            }
        }
    }

    /// Parses 16 lowercase hex digits.
    ///
    /// # Errors
    ///
    /// [`ParseErrorKind::ParentId`] if the input is not exactly 16 lowercase hex digits or is
    /// all zeros.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::SpanId;
    ///
    /// assert!(SpanId::parse("00f067aa0ba902b7").is_ok());
    /// assert!(SpanId::parse("00f067aa0ba902b").is_err());
    /// ```
    pub fn parse(hex: &str) -> Result<Self, ParseError> {
        Self::decode(hex.as_bytes()).ok_or(ParseError::unlocated(ParseErrorKind::ParentId))
    }

    #[inline]
    pub(crate) fn decode(hex: &[u8]) -> Option<Self> {
        hex::decode::<8>(hex).and_then(Self::from_bytes)
    }

    /// Writes the 16 lowercase hex digits into `buf` and returns them as `&str`.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = tctx::SpanId::from_bytes([0x0f; 8]).unwrap();
    /// let mut buf = [0u8; 16];
    /// assert_eq!(id.encode(&mut buf), "0f0f0f0f0f0f0f0f");
    /// ```
    pub fn encode<'b>(&self, buf: &'b mut [u8; 16]) -> &'b str {
        hex::encode(&self.0, buf);
        ascii_str(buf)
    }
}

macro_rules! impl_text_traits {
    ($id:ident, $len:literal) => {
        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut buf = [0u8; $len];
                f.pad(self.encode(&mut buf))
            }
        }

        impl fmt::Debug for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($id), "({})"), self)
            }
        }

        impl FromStr for $id {
            type Err = ParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

impl_text_traits!(TraceId, 32);
impl_text_traits!(SpanId, 16);
