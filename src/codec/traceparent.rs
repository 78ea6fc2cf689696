//! The `traceparent` header: parse, make, child, flags, encode.
//!
//! Spec: W3C Trace Context Level 2, "Traceparent Header" and "Versioning of traceparent"
//! (`20-http_request_header_format.md`).

use core::fmt;
use core::str::FromStr;

use crate::codec::error::{ParseError, ParseErrorKind};
use crate::codec::hex;
use crate::codec::id::{ascii_str, SpanId, TraceId};

// The flags of Level 2; public as `Traceparent::FLAG_SAMPLED` and `Traceparent::FLAG_RANDOM`.
pub(crate) const FLAG_SAMPLED: u8 = 0x01;
pub(crate) const FLAG_RANDOM: u8 = 0x02;

/// The flags this version of the specification defines. Every other bit "MUST be set to zero"
/// ("Other Flags"), so they are dropped when a header is parsed or built.
const KNOWN_FLAGS: u8 = FLAG_SAMPLED | FLAG_RANDOM;

/// Byte offsets of the fixed-width version-00 layout:
/// `vv-tttttttttttttttttttttttttttttttt-pppppppppppppppp-ff`.
const TRACE_ID_START: usize = 3;
const TRACE_ID_END: usize = TRACE_ID_START + TraceId::HEX_LEN;
const PARENT_ID_START: usize = TRACE_ID_END + 1;
const PARENT_ID_END: usize = PARENT_ID_START + SpanId::HEX_LEN;
const FLAGS_START: usize = PARENT_ID_END + 1;
const ENCODED_LEN: usize = FLAGS_START + 2;

/// A parsed or newly made `traceparent`: trace-id, parent-id and trace-flags.
///
/// The value always describes what this crate sends: version `00`, both ids non-zero, and
/// only the flags Level 2 defines ([`FLAG_SAMPLED`](Self::FLAG_SAMPLED), [`FLAG_RANDOM`](Self::FLAG_RANDOM)). A header of a higher
/// version is read by the rules of "Versioning of traceparent" and downgraded to `00`; unknown
/// flag bits are zeroed.
///
/// It is `Copy`, 25 bytes of data, and neither parsing nor encoding allocates.
///
/// # Examples
///
/// A consumer continues an incoming trace; a producer starts one:
///
/// ```
/// use tctx::Traceparent;
///
/// let incoming = Traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?;
/// let outgoing = incoming.child();
/// assert_eq!(outgoing.trace_id(), incoming.trace_id());
/// assert_ne!(outgoing.parent_id(), incoming.parent_id());
/// assert!(outgoing.is_sampled());
///
/// let root = Traceparent::make();
/// assert!(root.is_sampled() && root.is_random());
/// println!("traceparent: {root}");
/// # Ok::<(), tctx::ParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Traceparent {
    trace_id: TraceId,
    parent_id: SpanId,
    flags: u8,
}

impl Traceparent {
    /// Length of an encoded version-00 traceparent: always 55 bytes.
    pub const ENCODED_LEN: usize = ENCODED_LEN;

    /// The `sampled` trace flag (bit 0): the caller may have recorded trace data. The
    /// JavaScript `tctx` calls it `FLAG_SAMPLE`.
    pub const FLAG_SAMPLED: u8 = FLAG_SAMPLED;

    /// The `random-trace-id` trace flag (bit 1): at least the right-most 7 bytes of the
    /// trace-id are uniformly random (Level 2).
    pub const FLAG_RANDOM: u8 = FLAG_RANDOM;

    /// Builds a traceparent from its parts. Flag bits other than [`FLAG_SAMPLED`](Self::FLAG_SAMPLED) and
    /// [`FLAG_RANDOM`](Self::FLAG_RANDOM) are dropped.
    ///
    /// Set [`FLAG_RANDOM`](Self::FLAG_RANDOM) only if at least the right-most 7 bytes of `trace_id` are uniformly
    /// random: the specification makes that a MUST, and samplers downstream rely on it.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::{SpanId, TraceId, Traceparent};
    ///
    /// let trace_id = TraceId::from_bytes([0xab; 16]).unwrap();
    /// let parent_id = SpanId::from_bytes([0xcd; 8]).unwrap();
    /// let tp = Traceparent::new(trace_id, parent_id, Traceparent::FLAG_SAMPLED | 0x80);
    /// assert_eq!(tp.flags(), Traceparent::FLAG_SAMPLED);
    /// assert_eq!(tp.to_string(), "00-abababababababababababababababab-cdcdcdcdcdcdcdcd-01");
    /// ```
    #[must_use]
    pub const fn new(trace_id: TraceId, parent_id: SpanId, flags: u8) -> Self {
        Self {
            trace_id,
            parent_id,
            flags: flags & KNOWN_FLAGS,
        }
    }

    /// Starts a new trace: random trace-id and parent-id, flags sampled and random, as the
    /// JavaScript `tctx` does.
    ///
    /// The ids come from [`TraceId::random`] and [`SpanId::random`]: every byte uniformly
    /// random, so [`FLAG_RANDOM`](Self::FLAG_RANDOM) is honest.
    ///
    /// # Examples
    ///
    /// ```
    /// let tp = tctx::Traceparent::make();
    /// assert_eq!(tp.flags(), tctx::Traceparent::FLAG_SAMPLED | tctx::Traceparent::FLAG_RANDOM);
    /// assert!(tp.to_string().ends_with("-03"));
    /// ```
    #[must_use]
    pub fn make() -> Self {
        Self::new(
            TraceId::random(),
            SpanId::random(),
            FLAG_SAMPLED | FLAG_RANDOM,
        )
    }

    /// Parses a `traceparent` header value.
    ///
    /// Spaces and tabs around the value are ignored. Then, to the letter of the specification:
    /// - the version is 2 lowercase hex digits followed by `-`; `ff` is forbidden;
    /// - version `00` is exactly 55 characters: no trailing data;
    /// - a higher version is at least 55 characters, and its flags are followed by the end of
    ///   the value or by `-`; what follows is not looked at ("Versioning of traceparent");
    /// - trace-id (32), parent-id (16) and flags (2) are lowercase hex at fixed offsets,
    ///   separated by `-`; an all-zero trace-id or parent-id is invalid;
    /// - flag bits other than sampled and random are dropped.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] whose [`kind`](ParseError::kind) names the first rule that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::{ParseErrorKind, Traceparent};
    ///
    /// let tp = Traceparent::parse(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\t")?;
    /// assert!(tp.is_sampled());
    ///
    /// // A future version with extra fields is read and re-encoded as version 00.
    /// let future = Traceparent::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-extra")?;
    /// assert_eq!(future.to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    ///
    /// let err = Traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01").unwrap_err();
    /// assert_eq!(err.kind(), ParseErrorKind::ParentId);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        Self::parse_bytes(value.as_bytes())
    }

    /// Parses a `traceparent` header value given as bytes, as HTTP libraries hold them.
    /// The rules are those of [`parse`](Self::parse).
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse).
    ///
    /// # Examples
    ///
    /// ```
    /// let tp = tctx::Traceparent::parse_bytes(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?;
    /// assert!(!tp.is_sampled());
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn parse_bytes(value: &[u8]) -> Result<Self, ParseError> {
        let (skipped, value) = trim_ows(value);
        let fail = |kind, at: usize| Err(ParseError::new(kind, skipped + at));

        if value.len() < 3 || value[2] != b'-' {
            return fail(ParseErrorKind::Version, 0);
        }
        let Some([version]) = hex::decode::<1>(&value[..2]) else {
            return fail(ParseErrorKind::Version, 0);
        };
        if version == 0xff {
            return fail(ParseErrorKind::ForbiddenVersion, 0);
        }
        // The one length check; every offset below is in bounds after it.
        if value.len() < ENCODED_LEN {
            return fail(ParseErrorKind::Length, value.len());
        }
        if value.len() > ENCODED_LEN {
            if version == 0 {
                return fail(ParseErrorKind::Length, ENCODED_LEN);
            }
            if value[ENCODED_LEN] != b'-' {
                return fail(ParseErrorKind::Delimiter, ENCODED_LEN);
            }
        }
        if value[TRACE_ID_END] != b'-' {
            return fail(ParseErrorKind::Delimiter, TRACE_ID_END);
        }
        if value[PARENT_ID_END] != b'-' {
            return fail(ParseErrorKind::Delimiter, PARENT_ID_END);
        }
        let Some(trace_id) = TraceId::decode(&value[TRACE_ID_START..TRACE_ID_END]) else {
            return fail(ParseErrorKind::TraceId, TRACE_ID_START);
        };
        let Some(parent_id) = SpanId::decode(&value[PARENT_ID_START..PARENT_ID_END]) else {
            return fail(ParseErrorKind::ParentId, PARENT_ID_START);
        };
        let Some([flags]) = hex::decode::<1>(&value[FLAGS_START..ENCODED_LEN]) else {
            return fail(ParseErrorKind::Flags, FLAGS_START);
        };
        Ok(Self::new(trace_id, parent_id, flags))
    }

    /// The next hop of this trace: same trace-id and flags, a new random parent-id.
    ///
    /// Call it once per outgoing request on the context you received. For several calls in
    /// parallel, call `parent.child()` for each, never `parent.child().child()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let parent = tctx::Traceparent::make();
    /// let (a, b) = (parent.child(), parent.child());
    /// assert_eq!(a.trace_id(), parent.trace_id());
    /// assert_eq!(a.flags(), parent.flags());
    /// assert_ne!(a.parent_id(), b.parent_id());
    /// ```
    #[must_use]
    pub fn child(&self) -> Self {
        Self {
            parent_id: SpanId::random(),
            ..*self
        }
    }

    /// Sets the sampled flag.
    ///
    /// The specification lets the sampled flag change only together with the parent-id, so
    /// change it on a [`child`](Self::child), not on the value you received.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tp = tctx::Traceparent::make();
    /// tp.unsample();
    /// assert!(!tp.is_sampled());
    /// tp.sample();
    /// assert!(tp.is_sampled());
    /// ```
    pub fn sample(&mut self) {
        self.flags |= FLAG_SAMPLED;
    }

    /// Clears the sampled flag. See [`sample`](Self::sample).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut tp = tctx::Traceparent::make().child();
    /// tp.unsample();
    /// assert_eq!(tp.to_string().get(53..), Some("02"));
    /// ```
    pub fn unsample(&mut self) {
        self.flags &= !FLAG_SAMPLED;
    }

    /// Whether the sampled flag is set: the caller may have recorded trace data.
    ///
    /// # Examples
    ///
    /// ```
    /// let tp: tctx::Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".parse()?;
    /// assert!(tp.is_sampled());
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub const fn is_sampled(&self) -> bool {
        self.flags & FLAG_SAMPLED != 0
    }

    /// Whether the random-trace-id flag is set: the right-most 7 bytes of the trace-id are
    /// uniformly random.
    ///
    /// # Examples
    ///
    /// ```
    /// let tp: tctx::Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse()?;
    /// assert!(!tp.is_random());
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub const fn is_random(&self) -> bool {
        self.flags & FLAG_RANDOM != 0
    }

    /// The version this traceparent is sent with: always `0` (`00`), the only version
    /// Level 2 defines. A header of a higher version is read by "Versioning of traceparent"
    /// and re-encoded as `00`, so its version is not kept. The JavaScript `tctx` calls this
    /// `version`.
    ///
    /// # Examples
    ///
    /// ```
    /// let future: tctx::Traceparent = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x".parse()?;
    /// assert_eq!(future.version(), 0);
    /// assert!(future.to_string().starts_with("00-"));
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    #[allow(clippy::unused_self)] // an accessor like the others, though every value is version 00
    pub const fn version(&self) -> u8 {
        0
    }

    /// The trace-flags: a combination of [`FLAG_SAMPLED`](Self::FLAG_SAMPLED) and [`FLAG_RANDOM`](Self::FLAG_RANDOM).
    ///
    /// # Examples
    ///
    /// ```
    /// let tp: tctx::Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff".parse()?;
    /// assert_eq!(tp.flags(), 0x03);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub const fn flags(&self) -> u8 {
        self.flags
    }

    /// The trace-id, shared by every hop of the trace.
    ///
    /// # Examples
    ///
    /// ```
    /// let tp: tctx::Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse()?;
    /// assert_eq!(tp.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub const fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The parent-id: the id of the span that sent (or will send) this header.
    ///
    /// # Examples
    ///
    /// ```
    /// let tp: tctx::Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse()?;
    /// assert_eq!(tp.parent_id().to_string(), "00f067aa0ba902b7");
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub const fn parent_id(&self) -> SpanId {
        self.parent_id
    }

    /// Writes the version-00 header value into `buf` and returns it: no allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::Traceparent;
    ///
    /// let tp = Traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?;
    /// let mut buf = [0u8; Traceparent::ENCODED_LEN];
    /// assert_eq!(tp.encode(&mut buf), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn encode<'b>(&self, buf: &'b mut [u8; ENCODED_LEN]) -> &'b str {
        buf[..TRACE_ID_START].copy_from_slice(b"00-");
        hex::encode(
            &self.trace_id.to_bytes(),
            &mut buf[TRACE_ID_START..TRACE_ID_END],
        );
        buf[TRACE_ID_END] = b'-';
        hex::encode(
            &self.parent_id.to_bytes(),
            &mut buf[PARENT_ID_START..PARENT_ID_END],
        );
        buf[PARENT_ID_END] = b'-';
        hex::encode(&[self.flags], &mut buf[FLAGS_START..]);
        ascii_str(buf)
    }
}

/// Skips optional whitespace (space, horizontal tab) on both sides; returns how many bytes
/// were skipped on the left, for error offsets.
pub(crate) fn trim_ows(value: &[u8]) -> (usize, &[u8]) {
    let is_ows = |byte: &u8| *byte == b' ' || *byte == b'\t';
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |last| last + 1);
    (start, &value[start..end])
}

impl fmt::Display for Traceparent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; ENCODED_LEN];
        f.pad(self.encode(&mut buf))
    }
}

impl FromStr for Traceparent {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
