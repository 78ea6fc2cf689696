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

/// Length of the metric [`Traceparent::encode_server_timing`] writes: `trace;desc=` and a
/// 55-character traceparent.
pub const SERVER_TIMING_METRIC_LEN: usize = METRIC_PREFIX.len() + Traceparent::ENCODED_LEN;

/// Longest `desc` value read from a quoted string with escapes: a traceparent of a future
/// version may be longer than 55 characters, but not without bound.
const MAX_ESCAPED_DESC_LEN: usize = 256;

impl Traceparent {
    /// Writes the trace context metric for a `Server-Timing` response header,
    /// `trace;desc=00-<trace-id>-<span-id>-<flags>`, into `buf`: no allocation. Append it to
    /// the response's `Server-Timing` value (comma-separated from other metrics).
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::{Traceparent, SERVER_TIMING_METRIC_LEN};
    ///
    /// let server_span = Traceparent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")?;
    /// let mut buf = [0u8; SERVER_TIMING_METRIC_LEN];
    /// assert_eq!(
    ///     server_span.encode_server_timing(&mut buf),
    ///     "trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    /// );
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn encode_server_timing<'b>(&self, buf: &'b mut [u8; SERVER_TIMING_METRIC_LEN]) -> &'b str {
        let (prefix, rest) = buf.split_at_mut(METRIC_PREFIX.len());
        prefix.copy_from_slice(METRIC_PREFIX);
        let mut traceparent = [0u8; Traceparent::ENCODED_LEN];
        rest.copy_from_slice(self.encode(&mut traceparent).as_bytes());
        ascii_str(buf)
    }

    /// Reads the trace context metric from a `Server-Timing` header value: the first metric
    /// named `trace` (ASCII case-insensitive) that has a `desc` parameter, whose value (a
    /// token or a quoted string) is parsed by the rules of [`Traceparent::parse`]. Other
    /// metrics, and malformed ones, are skipped. Several header fields are read by joining
    /// them with commas first.
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
        let mut cursor = Cursor {
            bytes: value.as_bytes(),
            pos: 0,
        };
        while !cursor.at_end() {
            if let Some(desc) = cursor.trace_metric_desc() {
                return desc.parse();
            }
        }
        Err(ParseError::new(ParseErrorKind::MissingMetric, value.len()))
    }
}

/// A parameter value as found in the header: a token, or a quoted string, perhaps escaped.
struct Desc<'a> {
    raw: &'a [u8],
    start: usize,
    escaped: bool,
}

impl Desc<'_> {
    fn parse(&self) -> Result<Traceparent, ParseError> {
        let at = |error: ParseError| ParseError::new(error.kind(), self.start + error.offset());
        if !self.escaped {
            return Traceparent::parse_bytes(self.raw).map_err(at);
        }
        let mut buf = [0u8; MAX_ESCAPED_DESC_LEN];
        let mut len = 0;
        let mut bytes = self.raw.iter();
        while let Some(&byte) = bytes.next() {
            let byte = if byte == b'\\' {
                bytes.next().copied().unwrap_or(byte)
            } else {
                byte
            };
            if len == buf.len() {
                return Err(ParseError::new(ParseErrorKind::Length, self.start + len));
            }
            buf[len] = byte;
            len += 1;
        }
        Traceparent::parse_bytes(&buf[..len]).map_err(at)
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    /// Reads a quoted string whose opening quote is at the cursor; `None` if it never closes.
    fn quoted(&mut self) -> Option<Desc<'a>> {
        let start = self.pos + 1;
        let mut escaped = false;
        let mut pos = start;
        while let Some(&byte) = self.bytes.get(pos) {
            match byte {
                b'"' => {
                    self.pos = pos + 1;
                    return Some(Desc {
                        raw: &self.bytes[start..pos],
                        start,
                        escaped,
                    });
                }
                b'\\' => {
                    escaped = true;
                    pos += 2;
                }
                _ => pos += 1,
            }
        }
        self.pos = self.bytes.len();
        None
    }

    /// Moves past the next comma outside a quoted string: the end of a malformed metric.
    fn skip_metric(&mut self) {
        while let Some(byte) = self.peek() {
            match byte {
                b',' => {
                    self.pos += 1;
                    return;
                }
                b'"' => {
                    let _ = self.quoted();
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Reads one metric; returns its `desc` if it is the trace metric and has one.
    fn trace_metric_desc(&mut self) -> Option<Desc<'a>> {
        self.skip_ows();
        let is_trace = self.token().eq_ignore_ascii_case(b"trace");
        let mut desc = None;
        loop {
            self.skip_ows();
            match self.peek() {
                None => break,
                Some(b',') => {
                    self.pos += 1;
                    break;
                }
                Some(b';') => self.pos += 1,
                Some(_) => {
                    self.skip_metric();
                    return None;
                }
            }
            self.skip_ows();
            let name = self.token();
            self.skip_ows();
            if self.peek() != Some(b'=') {
                continue; // a parameter without a value
            }
            self.pos += 1;
            self.skip_ows();
            let value = if self.peek() == Some(b'"') {
                self.quoted()
            } else {
                let start = self.pos;
                let raw = self.token();
                (!raw.is_empty()).then_some(Desc {
                    raw,
                    start,
                    escaped: false,
                })
            };
            if is_trace && desc.is_none() && name.eq_ignore_ascii_case(b"desc") {
                desc = value;
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
