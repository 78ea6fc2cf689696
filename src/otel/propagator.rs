//! [`TraceContextPropagator`]: the codec as an OpenTelemetry `TextMapPropagator`.
//!
//! This is the only module that extracts or injects; it adapts the codec to OpenTelemetry's
//! types and never fails: bad input returns the incoming context, as the stock propagator
//! does, and the processing model of W3C Trace Context asks (restart the trace, drop
//! tracestate).

use std::sync::OnceLock;

use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext, TraceContextExt, TraceFlags, TraceId as OtelTraceId, TraceState as OtelTraceState,
};
use opentelemetry::Context;

use crate::codec::traceparent::{FLAG_RANDOM, FLAG_SAMPLED};
use crate::codec::tracestate::{
    is_valid_value, same_key, scan_field, DEFAULT_MAX_HEADER_LEN, MAX_MEMBERS,
};
use crate::{SpanId, TraceId, TraceState, Traceparent};

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";
const SERVER_TIMING: &str = "server-timing";

/// Made once: `fields()` hands out `&String`s, so they must live somewhere.
fn fields() -> &'static [String; 2] {
    static FIELDS: OnceLock<[String; 2]> = OnceLock::new();
    FIELDS.get_or_init(|| [TRACEPARENT.to_owned(), TRACESTATE.to_owned()])
}

/// A W3C Trace Context Level 2 propagator for OpenTelemetry: a drop-in replacement for
/// `opentelemetry_sdk::propagation::TraceContextPropagator`.
///
/// ```
/// opentelemetry::global::set_text_map_propagator(tctx::TraceContextPropagator::new());
/// ```
///
/// # Extract
///
/// Reads `traceparent` and `tracestate` (lowercase names; case-insensitive lookup is the
/// carrier's job, as with the stock propagator).
/// - A missing or invalid `traceparent`, or more than one, returns the incoming context
///   unchanged, and `tracestate` is then not parsed ("Processing Model", W3C Trace Context).
/// - Otherwise the context gets a remote `SpanContext` whose `TraceFlags` keep the sampled
///   bit and the Level 2 random bit (`0x02`); other bits are zeroed.
/// - Several `tracestate` values are combined in order. An invalid `tracestate` is dropped
///   whole; the `traceparent` still counts.
///
/// # Inject
///
/// Writes `traceparent` (version `00`) from the context's span context, and `tracestate`
/// only when it has members, cut to [`max_tracestate_len`](TraceContextPropagatorBuilder::max_tracestate_len)
/// characters by the spec's truncation rules. Members that break the Level 2 grammar (which
/// OpenTelemetry's `TraceState` lets through in values) are left out. An invalid span
/// context injects nothing.
///
/// # The random flag, end to end
///
/// The SDK's tracer keeps the parent's flags on sampled and record-only spans, but resets
/// them to zero when a sampler drops a span, and gives root spans no random bit. tctx makes
/// the wire right anyway:
/// - A trace continued from upstream keeps exactly the upstream random bit on every outgoing
///   `traceparent` with that trace-id: when the bit could be lost, extract stores a small
///   marker in the context, which `Context::with_span` carries to child contexts.
/// - A trace started in this process carries the random bit, because the SDK's default
///   `RandomIdGenerator` draws every byte of the trace-id at random. Users of an id generator
///   that does not should turn this off with
///   [`random_trace_ids(false)`](TraceContextPropagatorBuilder::random_trace_ids).
///
/// A trace-id that another propagator extracted (B3, Jaeger) and that this process then
/// continues is treated like one started here.
///
/// # Level 2 tracestate keys OpenTelemetry cannot hold
///
/// `opentelemetry::trace::TraceState` checks keys with the Level 1 grammar and refuses some
/// valid Level 2 keys (`a@b@c`, `foo@@bar`, a vendor part after `@` longer than 13
/// characters). Such members still travel: extract puts the members OpenTelemetry accepts
/// into the span context's `TraceState`, and keeps the whole parsed list in the context next
/// to it. Inject merges the two: members that samplers or user code added or changed through
/// OpenTelemetry come first (newest left, as the spec asks), then the received list in its
/// order, without the members OpenTelemetry deleted or changed. The members OpenTelemetry
/// never saw stay where they were.
///
/// # Deliberate differences from the stock propagator
///
/// Everywhere else both give the same span context and the same headers. Each difference
/// is a test in `tests/propagator.rs`:
/// - The random flag is kept: `-03` stays `-03`; stock sends `-01`.
/// - Malformed `traceparent` values that stock accepts are rejected: version `00` followed
///   by `-`, a 31-digit trace-id, a `+` sign before an id, a trailing newline.
/// - Two `traceparent` values make the header invalid; stock reads the first.
/// - No empty `tracestate` header is sent; stock sends `tracestate: `.
/// - Valid Level 2 keys (`a@b@c`) are kept; stock discards the whole `tracestate`.
/// - A `tracestate` with a value that breaks the grammar (a tab) or with more than 32
///   members is discarded whole; stock forwards the tab, and keeps the first 32 members.
/// - A repeated key keeps its left-most member; stock forwards both.
/// - `tracestate` is cut to 512 characters by whole members; stock sends any length.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use opentelemetry::propagation::TextMapPropagator;
/// use opentelemetry::trace::TraceContextExt;
///
/// let propagator = tctx::TraceContextPropagator::new();
/// let mut incoming = HashMap::new();
/// incoming.insert(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".to_owned(),
/// );
/// incoming.insert("tracestate".to_owned(), "rojo=00f067aa0ba902b7,a@b@c=1".to_owned());
///
/// let cx = propagator.extract(&incoming);
/// assert!(cx.span().span_context().is_remote());
///
/// let mut outgoing = HashMap::new();
/// propagator.inject_context(&cx, &mut outgoing);
/// assert_eq!(outgoing["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
/// assert_eq!(outgoing["tracestate"], "rojo=00f067aa0ba902b7,a@b@c=1");
/// ```
#[derive(Clone, Debug)]
pub struct TraceContextPropagator {
    random_trace_ids: bool,
    max_tracestate_len: usize,
}

/// Options of a [`TraceContextPropagator`]; [`TraceContextPropagator::builder`] makes one.
///
/// # Examples
///
/// ```
/// let propagator = tctx::TraceContextPropagator::builder()
///     .random_trace_ids(false)
///     .max_tracestate_len(1024)
///     .build();
/// # let _ = propagator;
/// ```
#[derive(Clone, Debug)]
pub struct TraceContextPropagatorBuilder {
    propagator: TraceContextPropagator,
}

/// What extract learned that the span context cannot carry: the upstream random bit (which
/// the SDK resets on dropped spans) and tracestate members OpenTelemetry could not hold.
#[derive(Debug)]
struct Upstream {
    trace_id: OtelTraceId,
    random: bool,
    /// The whole received list, set only when some member is missing from the span context.
    /// Boxed: the marker is cloned into an `Arc` on every extract that needs it, and most
    /// have no tracestate to keep.
    tracestate: Option<Box<TraceState>>,
}

impl TraceContextPropagator {
    /// A propagator with the defaults: trace-ids started here are random (the SDK's default
    /// id generator), `tracestate` is cut at 512 characters.
    ///
    /// # Examples
    ///
    /// ```
    /// opentelemetry::global::set_text_map_propagator(tctx::TraceContextPropagator::new());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            random_trace_ids: true,
            max_tracestate_len: DEFAULT_MAX_HEADER_LEN,
        }
    }

    /// Options beyond the defaults of [`new`](Self::new).
    ///
    /// # Examples
    ///
    /// ```
    /// let propagator = tctx::TraceContextPropagator::builder().max_tracestate_len(2048).build();
    /// # let _ = propagator;
    /// ```
    #[must_use]
    pub fn builder() -> TraceContextPropagatorBuilder {
        TraceContextPropagatorBuilder {
            propagator: Self::new(),
        }
    }

    /// Parses the single `traceparent` the carrier holds, if it holds exactly one.
    fn extract_traceparent(extractor: &dyn Extractor) -> Option<Traceparent> {
        let values = extractor.get_all(TRACEPARENT)?;
        match values.as_slice() {
            [value] => Traceparent::parse(value).ok(),
            // Two traceparent fields cannot be combined into one valid value.
            _ => None,
        }
    }

    /// The traceparent to send for `span_context`, or `None` if it is invalid; `upstream` is
    /// the marker extract left for its trace, if any.
    fn outgoing_traceparent(
        &self,
        span_context: &SpanContext,
        upstream: Option<&Upstream>,
    ) -> Option<Traceparent> {
        let trace_id = TraceId::from_bytes(span_context.trace_id().to_bytes())?;
        let span_id = SpanId::from_bytes(span_context.span_id().to_bytes())?;
        let mut flags = span_context.trace_flags().to_u8() & FLAG_SAMPLED;
        if is_random(span_context, upstream, self.random_trace_ids) {
            flags |= FLAG_RANDOM;
        }
        Some(Traceparent::new(trace_id, span_id, flags))
    }

    /// The `trace` metric for a `Server-Timing` response header, naming the context's span
    /// (`21-http_response_header_format.md`), or `None` if the context has no valid span.
    /// Its random flag follows the same rules as an outgoing `traceparent`. Append it to the
    /// response's `Server-Timing` value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use opentelemetry::propagation::TextMapPropagator;
    ///
    /// let propagator = tctx::TraceContextPropagator::new();
    /// let request = HashMap::from([(
    ///     "traceparent".to_owned(),
    ///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".to_owned(),
    /// )]);
    /// let cx = propagator.extract(&request);
    /// assert_eq!(
    ///     propagator.server_timing(&cx).as_deref(),
    ///     Some("trace;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")
    /// );
    /// ```
    #[must_use]
    pub fn server_timing(&self, cx: &Context) -> Option<String> {
        let span = cx.span();
        let span_context = span.span_context();
        let traceparent = self.outgoing_traceparent(span_context, upstream_of(cx, span_context))?;
        let mut buf = [0u8; crate::SERVER_TIMING_METRIC_LEN];
        Some(traceparent.encode_server_timing(&mut buf).to_owned())
    }

    /// Reads the `trace` metric of a response's `Server-Timing` header (all its fields, in
    /// order) as a remote span context: the span that served the request. `None` when there
    /// is no valid trace metric.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::HashMap;
    ///
    /// let propagator = tctx::TraceContextPropagator::new();
    /// let response = HashMap::from([(
    ///     "server-timing".to_owned(),
    ///     "db;dur=53, trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned(),
    /// )]);
    /// let server_span = propagator.extract_server_timing(&response).unwrap();
    /// assert_eq!(server_span.span_id().to_string(), "b7ad6b7169203331");
    /// assert!(server_span.is_remote() && server_span.is_sampled());
    /// ```
    #[must_use]
    pub fn extract_server_timing(&self, extractor: &dyn Extractor) -> Option<SpanContext> {
        let fields = extractor.get_all(SERVER_TIMING)?;
        let traceparent = fields
            .iter()
            .find_map(|field| Traceparent::parse_server_timing(field).ok())?;
        Some(remote_span_context(&traceparent, OtelTraceState::NONE))
    }

    /// The outgoing `tracestate`, or `None` when it would be empty. One allocation: the
    /// returned `String` is the buffer the members were written into.
    fn tracestate_header(
        &self,
        current: &OtelTraceState,
        upstream: Option<&TraceState>,
    ) -> Option<String> {
        let state = match upstream {
            None if current.into_iter().len() == 0 => return None,
            None => {
                let header = otel_header(current);
                if header.len() <= self.max_tracestate_len {
                    return (!header.is_empty()).then_some(header);
                }
                // Rare: too long to send whole. Members were checked as they were written.
                TraceState::parse(&header).unwrap_or_default()
            }
            Some(received) => merge(current, received),
        };
        if state.is_empty() {
            return None;
        }
        let mut state = state;
        if state.as_str().len() > self.max_tracestate_len {
            state.truncate(self.max_tracestate_len);
        }
        (!state.is_empty()).then(|| state.into_string())
    }
}

/// OpenTelemetry's tracestate as a Level 2 header, written straight into the `String` that is
/// sent: members in order, without those that break the grammar and without repeated keys.
///
/// OpenTelemetry checks keys with a grammar narrower than Level 2's, except that it accepts
/// an empty key; its values may hold what the spec forbids (a tab, a trailing space, nothing).
fn otel_header(current: &OtelTraceState) -> String {
    let capacity = current
        .into_iter()
        .map(|(k, v)| k.len() + v.len() + 2)
        .sum();
    let mut header = String::with_capacity(capacity);
    let mut seen = SeenKeys::new();
    for (key, value) in current {
        if key.is_empty() || !is_valid_value(value) || !seen.insert(key) {
            continue;
        }
        if !header.is_empty() {
            header.push(',');
        }
        header.push_str(key);
        header.push('=');
        header.push_str(value);
    }
    header
}

/// Whether the right-most 7 bytes of `span_context`'s trace-id are random, so its outgoing
/// `traceparent` carries the random flag and samplers may compare them with a threshold.
///
/// The one rule for both: what extract learned from upstream wins (the SDK resets the flags of
/// dropped spans); then the span context's own random flag; then, for a trace that was not
/// received by this propagator, `random_trace_ids` (the trace started here).
// The entry point of the samplers and of `Traceparent::try_from(&Context)`; inject looks the
// marker up itself.
pub(crate) fn trace_id_is_random(
    cx: &Context,
    span_context: &SpanContext,
    random_trace_ids: bool,
) -> bool {
    is_random(
        span_context,
        upstream_of(cx, span_context),
        random_trace_ids,
    )
}

/// [`trace_id_is_random`] once the marker has been looked up.
fn is_random(
    span_context: &SpanContext,
    upstream: Option<&Upstream>,
    random_trace_ids: bool,
) -> bool {
    match upstream {
        Some(upstream) => upstream.random,
        None => {
            span_context.trace_flags().to_u8() & FLAG_RANDOM != 0
                || (random_trace_ids && !span_context.is_remote())
        }
    }
}

/// The marker extract left for the trace of `span_context`, if any.
fn upstream_of<'a>(cx: &'a Context, span_context: &SpanContext) -> Option<&'a Upstream> {
    cx.get::<Upstream>()
        .filter(|upstream| upstream.trace_id == span_context.trace_id())
}

fn remote_span_context(traceparent: &Traceparent, trace_state: OtelTraceState) -> SpanContext {
    SpanContext::new(
        OtelTraceId::from_bytes(traceparent.trace_id().to_bytes()),
        opentelemetry::trace::SpanId::from_bytes(traceparent.parent_id().to_bytes()),
        TraceFlags::new(traceparent.flags()),
        true,
        trace_state,
    )
}

/// The outgoing list when some received members never reached OpenTelemetry: members added
/// or changed through OpenTelemetry first, in its order, then the received list in its order
/// without the members OpenTelemetry deleted or changed.
fn merge(current: &OtelTraceState, received: &TraceState) -> TraceState {
    let unchanged = |key: &str, value: &str| received.get(key) == Some(value);
    let mut merged = TraceState::with_capacity(received.as_str().len() + 64);
    for (key, value) in current {
        if !unchanged(key, value) {
            merged.push_if_valid(key, value);
        }
    }
    for (key, value) in received {
        let kept = if otel_accepts_key(key) {
            current.get(key) == Some(value)
        } else {
            true
        };
        if kept {
            merged.push_if_valid(key, value);
        }
    }
    merged
}

/// Whether `opentelemetry::trace::TraceState` (0.33) accepts `key`, given that it is a valid
/// Level 2 key: at most one `@`, followed by at most 13 characters, the first of them
/// `a-z` or `0-9`. `tests/propagator.rs` checks this against OpenTelemetry itself.
fn otel_accepts_key(key: &str) -> bool {
    let Some(at) = key.bytes().position(|b| b == b'@') else {
        return true;
    };
    let vendor = &key.as_bytes()[at + 1..];
    vendor.len() <= 13
        && !vendor.contains(&b'@')
        && vendor
            .first()
            .is_none_or(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The received tracestate, borrowed from the carrier: its valid members in order, repeated
/// keys reduced to the left-most, or nothing if the header is invalid. No allocation.
fn received_members<'a>(
    fields: &[&'a str],
    members: &mut [(&'a str, &'a str); MAX_MEMBERS],
) -> usize {
    let mut count = 0;
    let mut seen = 0;
    let mut keys = SeenKeys::new();
    for field in fields {
        let scanned = scan_field(field, &mut seen, |member, key_len| {
            let (key, value) = (&member[..key_len], &member[key_len + 1..]);
            // `insert` refuses a 33rd key, so `count` stays in bounds.
            if keys.insert(key) {
                members[count] = (key, value);
                count += 1;
            }
        });
        if scanned.is_err() {
            return 0; // an invalid tracestate is discarded whole
        }
    }
    count
}

/// The keys of a list being built, to drop repeated ones (the left-most wins) and stop at 32.
/// One bit per key digest: a key whose bit is clear is new without any comparison, so the
/// check is linear for the common list without repeats.
struct SeenKeys<'a> {
    keys: [&'a str; MAX_MEMBERS],
    len: usize,
    digests: u64,
}

impl<'a> SeenKeys<'a> {
    fn new() -> Self {
        Self {
            keys: [""; MAX_MEMBERS],
            len: 0,
            digests: 0,
        }
    }

    /// Records `key` (never empty) and says whether it is new and there was room for it.
    fn insert(&mut self, key: &'a str) -> bool {
        if self.len == MAX_MEMBERS {
            return false;
        }
        let bit = key_digest(key);
        let seen = &self.keys[..self.len];
        if self.digests & bit != 0 && seen.iter().any(|k| same_key(k.as_bytes(), key.as_bytes())) {
            return false;
        }
        self.keys[self.len] = key;
        self.len += 1;
        self.digests |= bit;
        true
    }
}

/// One of 64 bits for `key`, from its length and last two bytes (where keys such as
/// `vendor1` .. `vendor31` differ). Keys are never empty.
fn key_digest(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let last = u32::from(bytes[bytes.len() - 1]);
    let before = u32::from(bytes[bytes.len().saturating_sub(2)]);
    let digest = (bytes.len() as u32)
        .wrapping_mul(7)
        .wrapping_add(last)
        .wrapping_add(before.wrapping_mul(10));
    1 << (digest % 64)
}

/// The received members as OpenTelemetry can hold them, and whether some were left out.
fn to_otel(members: &[(&str, &str)]) -> (OtelTraceState, bool) {
    if members.is_empty() {
        return (OtelTraceState::NONE, false);
    }
    let mut left_out = false;
    let accepted = members.iter().copied().filter(|(key, _)| {
        let accepted = otel_accepts_key(key);
        left_out |= !accepted;
        accepted
    });
    match OtelTraceState::from_key_value(accepted) {
        Ok(otel) => (otel, left_out),
        // Not expected (the filter mirrors OpenTelemetry's rules); if it happens, the whole
        // list still travels through the context.
        Err(_) => (OtelTraceState::NONE, true),
    }
}

impl Default for TraceContextPropagator {
    fn default() -> Self {
        Self::new()
    }
}

impl TraceContextPropagatorBuilder {
    /// Whether trace-ids started in this process are random in their right-most 7 bytes, so
    /// that their outgoing `traceparent` carries the random flag. Default `true`, right for
    /// the SDK's default `RandomIdGenerator`; set `false` for an id generator that is not.
    ///
    /// # Examples
    ///
    /// ```
    /// let propagator = tctx::TraceContextPropagator::builder().random_trace_ids(false).build();
    /// # let _ = propagator;
    /// ```
    #[must_use]
    pub fn random_trace_ids(mut self, random: bool) -> Self {
        self.propagator.random_trace_ids = random;
        self
    }

    /// The longest `tracestate` header to send, in characters; longer ones lose whole members
    /// by the rules of "tracestate Limits". Default 512, the least the spec asks vendors to
    /// propagate; a smaller value breaks that recommendation.
    ///
    /// # Examples
    ///
    /// ```
    /// let propagator = tctx::TraceContextPropagator::builder().max_tracestate_len(4096).build();
    /// # let _ = propagator;
    /// ```
    #[must_use]
    pub fn max_tracestate_len(mut self, max_len: usize) -> Self {
        self.propagator.max_tracestate_len = max_len;
        self
    }

    /// The propagator.
    ///
    /// # Examples
    ///
    /// ```
    /// let propagator = tctx::TraceContextPropagator::builder().build();
    /// # let _ = propagator;
    /// ```
    #[must_use]
    pub fn build(self) -> TraceContextPropagator {
        self.propagator
    }
}

impl TextMapPropagator for TraceContextPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let span_context = span.span_context();
        let upstream = upstream_of(cx, span_context);
        let Some(traceparent) = self.outgoing_traceparent(span_context, upstream) else {
            return; // an invalid span context injects nothing
        };
        let mut buf = [0u8; Traceparent::ENCODED_LEN];
        injector.set(TRACEPARENT, traceparent.encode(&mut buf).to_owned());

        let received = upstream.and_then(|up| up.tracestate.as_deref());
        if let Some(header) = self.tracestate_header(span_context.trace_state(), received) {
            injector.set(TRACESTATE, header);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let Some(traceparent) = Self::extract_traceparent(extractor) else {
            return cx.clone();
        };
        let fields = extractor.get_all(TRACESTATE).unwrap_or_default();
        let mut members = [("", ""); MAX_MEMBERS];
        let count = if fields.is_empty() {
            0
        } else {
            received_members(&fields, &mut members)
        };
        let members = &members[..count];
        let (otel_state, left_out) = to_otel(members);
        let span_context = remote_span_context(&traceparent, otel_state);
        let trace_id = span_context.trace_id();
        let cx = cx.with_remote_span_context(span_context);
        // The marker costs a context entry: add it only when the span context alone would
        // lose something, or to replace a marker an earlier extract left for this trace.
        let needed = traceparent.is_random() != self.random_trace_ids
            || left_out
            || cx.get::<Upstream>().is_some();
        if needed {
            cx.with_value(Upstream {
                trace_id,
                random: traceparent.is_random(),
                tracestate: left_out.then(|| {
                    let mut whole = TraceState::with_capacity(fields.iter().map(|f| f.len()).sum());
                    for (key, value) in members {
                        whole.push_if_valid(key, value);
                    }
                    Box::new(whole)
                }),
            })
        } else {
            cx
        }
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(fields())
    }
}
