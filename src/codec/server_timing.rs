//! The `trace` metric of the `Server-Timing` response header, by which a server tells its
//! client which span served the request.
//!
//! Spec: W3C Trace Context Level 2, "Trace Context Server Timing Metric Format"
//! (`21-http_response_header_format.md`); the header grammar is W3C Server Timing's:
//! `metric *( OWS ";" OWS name OWS "=" OWS ( token / quoted-string ) )`, metrics separated by
//! commas.

use crate::codec::error::{ParseError, ParseErrorKind};
use crate::codec::id::ascii_str;
use crate::codec::traceparent::Traceparent;

const METRIC_PREFIX: &[u8] = b"trace;desc=";

const SERVER_TIMING_LEN: usize = METRIC_PREFIX.len() + Traceparent::ENCODED_LEN;

/// Longest `desc` value read: a traceparent of a future version may be longer than 55
/// characters, but not without bound.
const MAX_DESC_LEN: usize = 256;

impl Traceparent {
    /// Length of the metric [`encode_server_timing`](Self::encode_server_timing) writes:
    /// `trace;desc=` and a 55-character traceparent.
    pub const SERVER_TIMING_LEN: usize = SERVER_TIMING_LEN;

    /// Writes the trace context metric for a `Server-Timing` response header,
    /// `trace;desc=00-<trace-id>-<span-id>-<flags>`, into `buf`: no allocation. Append it to
    /// the response's `Server-Timing` value (comma-separated from other metrics).
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::Traceparent;
    ///
    /// let server_span = Traceparent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")?;
    /// let mut buf = [0u8; Traceparent::SERVER_TIMING_LEN];
    /// assert_eq!(
    ///     server_span.encode_server_timing(&mut buf),
    ///     "trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    /// );
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn encode_server_timing<'b>(&self, buf: &'b mut [u8; SERVER_TIMING_LEN]) -> &'b str {
        let (prefix, rest) = buf.split_at_mut(METRIC_PREFIX.len());
        prefix.copy_from_slice(METRIC_PREFIX);
        let mut traceparent = [0u8; Traceparent::ENCODED_LEN];
        rest.copy_from_slice(self.encode(&mut traceparent).as_bytes());
        ascii_str(buf)
    }

    /// Reads the trace context metric from a `Server-Timing` header value: the first metric
    /// named `trace` (ASCII case-insensitive) that has a `desc` parameter, whose value (a
    /// token or a quoted string) is parsed by the rules of [`Traceparent::parse`]. Other
    /// metrics, and malformed ones, are skipped. For a header of several fields, see
    /// [`parse_server_timing_all`](Self::parse_server_timing_all).
    ///
    /// # Errors
    ///
    /// [`ParseErrorKind::MissingMetric`] if there is no `trace` metric with a `desc`; else the
    /// error of the traceparent rule the description broke ("Tracing systems MUST ignore the
    /// trace context metric when the span id is invalid"), its offset within the header.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::{ParseErrorKind, Traceparent};
    ///
    /// let header = r#"db;dur=53, trace;desc="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", cache;desc=hit"#;
    /// let server_span = Traceparent::parse_server_timing(header)?;
    /// assert_eq!(server_span.parent_id().to_string(), "b7ad6b7169203331");
    ///
    /// let err = Traceparent::parse_server_timing("db;dur=53").unwrap_err();
    /// assert_eq!(err.kind(), ParseErrorKind::MissingMetric);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn parse_server_timing(value: &str) -> Result<Self, ParseError> {
        Self::parse_server_timing_all([value])
    }

    /// Reads the trace context metric from a `Server-Timing` header that arrived as several
    /// fields, in order. RFC 9110 section 5.3 ("Field Order") combines fields by joining
    /// them with `", "`, and so does this: the result is that of
    /// [`parse_server_timing`](Self::parse_server_timing) on the joined value, without
    /// building it. A quoted string left open at the end of one field goes on in the next.
    ///
    /// # Errors
    ///
    /// As [`parse_server_timing`](Self::parse_server_timing); offsets are within the joined
    /// value.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::Traceparent;
    ///
    /// let fields = ["db;dur=53", "trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"];
    /// let server_span = Traceparent::parse_server_timing_all(fields)?;
    /// assert_eq!(server_span.parent_id().to_string(), "b7ad6b7169203331");
    ///
    /// // A quoted string that the first field opens swallows the second field's metric.
    /// let fields = ["x;desc=\"open", "trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\""];
    /// assert!(Traceparent::parse_server_timing_all(fields).is_err());
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn parse_server_timing_all<'a, I>(fields: I) -> Result<Self, ParseError>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut first = true;
        let joined = fields.into_iter().flat_map(|field| {
            let separator: &[u8] = if first { b"" } else { b", " };
            first = false;
            separator.iter().chain(field.as_bytes()).copied()
        });
        let mut cursor = Cursor {
            bytes: joined.peekable(),
            pos: 0,
        };
        while cursor.peek().is_some() {
            if let Some(desc) = cursor.trace_metric_desc() {
                return desc.parse();
            }
        }
        Err(ParseError::new(ParseErrorKind::MissingMetric, cursor.pos))
    }
}

/// The `desc` value of a trace metric, unescaped into a fixed buffer: a token, or the
/// content of a quoted string.
struct Desc {
    buf: [u8; MAX_DESC_LEN],
    len: usize,
    /// Where the value starts in the header, for error offsets.
    start: usize,
    /// Whether the value was longer than the buffer.
    overflow: bool,
}

impl Desc {
    fn new(start: usize) -> Self {
        Self {
            buf: [0; MAX_DESC_LEN],
            len: 0,
            start,
            overflow: false,
        }
    }

    fn push(&mut self, byte: u8) {
        if self.len == MAX_DESC_LEN {
            self.overflow = true;
        } else {
            self.buf[self.len] = byte;
            self.len += 1;
        }
    }

    fn parse(&self) -> Result<Traceparent, ParseError> {
        if self.overflow {
            return Err(ParseError::new(
                ParseErrorKind::Length,
                self.start + MAX_DESC_LEN,
            ));
        }
        Traceparent::parse_bytes(&self.buf[..self.len])
            .map_err(|error| ParseError::new(error.kind(), self.start + error.offset()))
    }
}

/// Reads a header value byte by byte, once, front to back; `pos` is the offset of the next
/// byte.
struct Cursor<I: Iterator<Item = u8>> {
    bytes: core::iter::Peekable<I>,
    pos: usize,
}

impl<I: Iterator<Item = u8>> Cursor<I> {
    fn peek(&mut self) -> Option<u8> {
        self.bytes.peek().copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let byte = self.bytes.next()?;
        self.pos += 1;
        Some(byte)
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.bump();
        }
    }

    /// Reads a token and says whether it equals `name`, ASCII case-insensitively.
    fn token_is(&mut self, name: &[u8]) -> bool {
        let mut matched = 0;
        let mut equal = true;
        while let Some(byte) = self.peek().filter(|&b| is_tchar(b)) {
            equal &= name
                .get(matched)
                .is_some_and(|n| n.eq_ignore_ascii_case(&byte));
            matched += 1;
            self.bump();
        }
        equal && matched == name.len()
    }

    /// Reads a token into `desc`; whether it was not empty.
    fn token_into(&mut self, desc: &mut Desc) -> bool {
        let start = self.pos;
        while let Some(byte) = self.peek().filter(|&b| is_tchar(b)) {
            desc.push(byte);
            self.bump();
        }
        self.pos > start
    }

    /// Reads a quoted string whose opening quote is at the cursor, unescaping it into `desc`;
    /// whether it closed.
    fn quoted_into(&mut self, desc: &mut Desc) -> bool {
        self.bump(); // the opening quote
        while let Some(byte) = self.bump() {
            match byte {
                b'"' => return true,
                b'\\' => match self.bump() {
                    Some(escaped) => desc.push(escaped),
                    None => return false,
                },
                _ => desc.push(byte),
            }
        }
        false
    }

    /// Moves past the next comma outside a quoted string: the end of a malformed metric.
    fn skip_metric(&mut self) {
        while let Some(byte) = self.peek() {
            match byte {
                b',' => {
                    self.bump();
                    return;
                }
                b'"' => {
                    self.quoted_into(&mut Desc::new(0));
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Reads one metric; returns its `desc` if it is the trace metric and has one.
    fn trace_metric_desc(&mut self) -> Option<Desc> {
        self.skip_ows();
        let is_trace = self.token_is(b"trace");
        let mut desc: Option<Desc> = None;
        loop {
            self.skip_ows();
            match self.peek() {
                None => break,
                Some(b',') => {
                    self.bump();
                    break;
                }
                Some(b';') => {
                    self.bump();
                }
                Some(_) => {
                    self.skip_metric();
                    return None;
                }
            }
            self.skip_ows();
            let is_desc = self.token_is(b"desc");
            self.skip_ows();
            if self.peek() != Some(b'=') {
                continue; // a parameter without a value
            }
            self.bump();
            self.skip_ows();
            let wanted = is_trace && is_desc && desc.is_none();
            // Values of other parameters are read into a scratch buffer and dropped.
            let mut value = Desc::new(self.pos + usize::from(self.peek() == Some(b'"')));
            let read = if self.peek() == Some(b'"') {
                self.quoted_into(&mut value)
            } else {
                self.token_into(&mut value)
            };
            if wanted && read {
                desc = Some(value);
            }
        }
        // Traceparent parsing skips spaces a quoted description may pad the value with.
        desc.filter(|_| is_trace)
    }
}

/// `tchar` of RFC 9110: the characters of a token.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}
