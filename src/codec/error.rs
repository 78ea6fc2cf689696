//! The one error type of the codec.

use core::fmt;

/// Why a `traceparent` or `tracestate` value, or a piece of one, was rejected.
///
/// Returned by [`Traceparent::parse`](crate::Traceparent::parse),
/// [`TraceState::parse`](crate::TraceState::parse), [`TraceState::set`](crate::TraceState::set)
/// and the id constructors. [`kind`](Self::kind) tells which rule of the specification failed,
/// [`offset`](Self::offset) where in the input, and `Display` says what was expected.
///
/// The error is `Copy` and never allocates: rejecting a header from a stranger costs nothing
/// beyond the bytes read to find the fault.
///
/// # Examples
///
/// ```
/// use tctx::{ParseErrorKind, Traceparent};
///
/// let err = Traceparent::parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").unwrap_err();
/// assert_eq!(err.kind(), ParseErrorKind::TraceId);
/// assert_eq!(err.offset(), 3);
/// assert_eq!(
///     err.to_string(),
///     "invalid traceparent: trace-id must be 32 lowercase hex digits, not all zero (at byte 3)"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParseError {
    kind: ParseErrorKind,
    offset: usize,
    /// Whether `offset` points into a header; false for a lone key or value checked by
    /// `TraceState::set` or `make`, where "at byte 0" would only be noise.
    located: bool,
}

/// Which rule of the W3C Trace Context specification a value broke.
///
/// New rules may be added in a minor release, so `match` on it with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The traceparent does not start with two lowercase hex digits and a dash.
    Version,
    /// The traceparent version is `ff`, which the specification forbids.
    ForbiddenVersion,
    /// The traceparent is shorter than 55 characters, or a version-00 header is not
    /// exactly 55 characters long.
    Length,
    /// A dash is missing where the format puts one (after the trace-id or the parent-id),
    /// or a higher-version header continues after the flags without a dash.
    Delimiter,
    /// The trace-id is not 32 lowercase hex digits, or is all zeros.
    TraceId,
    /// The parent-id (span-id) is not 16 lowercase hex digits, or is all zeros.
    ParentId,
    /// The trace-flags are not 2 lowercase hex digits.
    Flags,
    /// A `Server-Timing` header has no `trace` metric with a `desc` parameter.
    MissingMetric,
    /// A tracestate list has more than 32 members.
    TooManyMembers,
    /// A tracestate member has no `=` between its key and its value.
    Member,
    /// A tracestate key breaks the grammar: 1 to 256 characters, starting with `a`-`z` or
    /// `0`-`9`, then only `a`-`z`, `0`-`9`, `_`, `-`, `*`, `/` and `@`.
    Key,
    /// A tracestate value breaks the grammar: 1 to 256 printable ASCII characters other than
    /// `,` and `=`, not ending with a space.
    Value,
    /// An OpenTelemetry sampling threshold (`th`) is not 1 to 14 lowercase hex digits.
    Threshold,
    /// An OpenTelemetry randomness value (`rv`) is not exactly 14 lowercase hex digits.
    Randomness,
}

impl ParseError {
    pub(crate) const fn new(kind: ParseErrorKind, offset: usize) -> Self {
        Self {
            kind,
            offset,
            located: true,
        }
    }

    /// An error about a value given on its own (a key or value for `TraceState::set`), not
    /// a place in a header: its offset is 0 and `Display` names no byte.
    pub(crate) const fn unlocated(kind: ParseErrorKind) -> Self {
        Self {
            kind,
            offset: 0,
            located: false,
        }
    }

    /// Which rule failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::{ParseErrorKind, TraceState};
    ///
    /// let err = TraceState::parse("Vendor=value").unwrap_err();
    /// assert_eq!(err.kind(), ParseErrorKind::Key);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// Byte offset in the input where the failing part starts (after any surrounding
    /// whitespace that was skipped). For a key or value given on its own to
    /// [`TraceState::set`](crate::TraceState::set) or [`TraceState::make`](crate::TraceState::make)
    /// it is 0, and `Display` then names no byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::TraceState;
    ///
    /// let err = TraceState::parse("a=1,b=2,c").unwrap_err();
    /// assert_eq!(err.offset(), 8);
    /// assert!(err.to_string().ends_with("(at byte 8)"));
    ///
    /// let err = TraceState::new().set("Rojo", "1").unwrap_err();
    /// assert_eq!(err.offset(), 0);
    /// assert!(!err.to_string().contains("at byte"));
    /// ```
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

impl ParseErrorKind {
    const fn describe(self) -> &'static str {
        match self {
            Self::Version => {
                "invalid traceparent: expected a version of 2 lowercase hex digits followed by '-'"
            }
            Self::ForbiddenVersion => "invalid traceparent: version ff is forbidden",
            Self::Length => {
                "invalid traceparent: version 00 is exactly 55 characters, higher versions at least 55"
            }
            Self::Delimiter => "invalid traceparent: expected '-' between fields",
            Self::TraceId => {
                "invalid traceparent: trace-id must be 32 lowercase hex digits, not all zero"
            }
            Self::ParentId => {
                "invalid traceparent: parent-id must be 16 lowercase hex digits, not all zero"
            }
            Self::Flags => "invalid traceparent: trace-flags must be 2 lowercase hex digits",
            Self::MissingMetric => "invalid server-timing: no trace metric with a desc parameter",
            Self::TooManyMembers => "invalid tracestate: more than 32 list members",
            Self::Member => "invalid tracestate: expected a list member of the form key=value",
            Self::Key => {
                "invalid tracestate key: expected 1 to 256 of a-z 0-9 _ - * / @, starting with a-z or 0-9"
            }
            Self::Value => {
                "invalid tracestate value: expected 1 to 256 printable ASCII characters except ',' and '=', not ending in a space"
            }
            Self::Threshold => "invalid sampling threshold: expected 1 to 14 lowercase hex digits",
            Self::Randomness => "invalid randomness value: expected exactly 14 lowercase hex digits",
        }
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.located {
            write!(f, "{} (at byte {})", self.kind.describe(), self.offset)
        } else {
            f.write_str(self.kind.describe())
        }
    }
}

impl std::error::Error for ParseError {}

/// The longest value quoted in a warning or an error, in bytes.
#[cfg_attr(not(feature = "sampler"), allow(dead_code))]
pub(crate) const MAX_QUOTED: usize = 64;

/// At most [`MAX_QUOTED`] bytes of `text`, cut on a character boundary, with `…` if cut:
/// values come from anywhere, and a 1 MiB value must not become a 1 MiB log line.
#[cfg_attr(not(feature = "sampler"), allow(dead_code))]
pub(crate) fn cut(text: &str) -> String {
    if text.len() <= MAX_QUOTED {
        return text.to_owned();
    }
    let mut end = MAX_QUOTED;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
