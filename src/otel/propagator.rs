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

use crate::codec::tracestate::Members;
use crate::otel::randomness::{self, is_random, Received};
use crate::{SpanId, TraceId, TraceState, Traceparent};

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

/// The room an outgoing `tracestate` reserves per OpenTelemetry member before it grows: a
/// vendor key, an `=`, a 16-digit value and a comma fit.
const EXPECTED_MEMBER_LEN: usize = 32;

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
/// tctx sees the values the carrier hands it, and no more. opentelemetry-http's
/// `HeaderExtractor` leaves out values that are not visible ASCII, so a request with two
/// `traceparent` fields, one of them not ASCII, reaches tctx as one valid field and is
/// extracted; the same fields read as two would be rejected. That is the carrier's choice;
/// `tests/propagator.rs` pins what tctx does with it.
///
/// # Inject
///
/// Writes `traceparent` (version `00`) from the context's span context, and `tracestate`
/// only when it has members, cut to [`with_max_tracestate_len`](TraceContextPropagatorBuilder::with_max_tracestate_len)
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
///   `traceparent` with that trace-id, as long as the `Context` that extract returned (not
///   just its span context) is the parent of the spans started for it: when the bit could be
///   lost, extract stores a small entry in that context, which `Context::with_span` carries
///   to child contexts.
/// - A trace started in this process carries the random bit, because the SDK's default
///   `RandomIdGenerator` draws every byte of the trace-id at random. Users of an id generator
///   that does not should turn this off with
///   [`TraceContextPropagator::set_random_trace_ids(false)`](Self::set_random_trace_ids),
///   which the samplers read too, once at start-up: the setting is fixed before first use.
///
/// The condition matters for a Level 1 caller (`-00` or `-01`): a middleware that rebuilds
/// the context from the bare span context
/// (`Context::new().with_remote_span_context(span_context)`) drops the entry, and a span
/// started under it looks to tctx exactly like one of a trace started here (not remote, no
/// random flag, no entry), so its outgoing `traceparent` gets the random bit: `-01` in, `-03`
/// out (and for a dropped span `-00` in, `-02` out). No design fails safe there without
/// taking the bit from the traces started here too: the SDK gives both spans the same span
/// context (local, the parent's flags or none, no entry), and the one field a child inherits
/// that could tell them apart, the tracestate, is sent and exported. Keep the extracted
/// context (or a context derived from it) as the parent; where a middleware cannot, call
/// `set_random_trace_ids(false)`, which fails safe. `tests/propagator.rs` and
/// `tests/random_trace_ids.rs` pin both behaviours.
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
    max_tracestate_len: usize,
}

/// Options of a [`TraceContextPropagator`]; [`TraceContextPropagator::builder`] makes one.
///
/// # Examples
///
/// ```
/// let propagator = tctx::TraceContextPropagator::builder()
///     .with_max_tracestate_len(1024)
///     .build();
/// # let _ = propagator;
/// ```
#[derive(Clone, Debug)]
pub struct TraceContextPropagatorBuilder {
    propagator: TraceContextPropagator,
}

impl TraceContextPropagator {
    /// A propagator with the defaults: `tracestate` is cut at 512 characters.
    ///
    /// # Examples
    ///
    /// ```
    /// opentelemetry::global::set_text_map_propagator(tctx::TraceContextPropagator::new());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            max_tracestate_len: TraceState::DEFAULT_MAX_HEADER_LEN,
        }
    }

    /// Options beyond the defaults of [`new`](Self::new).
    ///
    /// # Examples
    ///
    /// ```
    /// let propagator = tctx::TraceContextPropagator::builder().with_max_tracestate_len(2048).build();
    /// # let _ = propagator;
    /// ```
    #[must_use]
    pub fn builder() -> TraceContextPropagatorBuilder {
        TraceContextPropagatorBuilder {
            propagator: Self::new(),
        }
    }

    /// Declares whether trace-ids started in this process are random in their right-most 7
    /// bytes, so that their outgoing `traceparent` carries the random flag and the samplers
    /// of `tctx::sampler` compare them with their threshold. Default `true`, right for the
    /// SDK's default `RandomIdGenerator`; call it with `false` for an id generator that is not.
    ///
    /// One setting for the whole process, read by every propagator and sampler of this crate
    /// (it describes the id generator, which they must agree on), and **fixed before first
    /// use**: call it once at start-up, before the first extract, inject, conversion or
    /// sampling decision. The first of those fixes the setting in force (the default, if no
    /// call came first), so that no trace ever gets two answers. A later call changes nothing.
    ///
    /// Returns whether this call fixed the setting: `false` when an earlier call or a first
    /// use already had, even to the same value; [`random_trace_ids`](Self::random_trace_ids)
    /// then tells the setting in force.
    ///
    /// # Examples
    ///
    /// ```
    /// // At start-up, before building anything that traces.
    /// assert!(tctx::TraceContextPropagator::set_random_trace_ids(false));
    /// assert!(!tctx::TraceContextPropagator::random_trace_ids());
    ///
    /// // Too late: the setting is fixed.
    /// assert!(!tctx::TraceContextPropagator::set_random_trace_ids(true));
    /// assert!(!tctx::TraceContextPropagator::random_trace_ids());
    /// ```
    #[must_use = "`false` means the call changed nothing: the setting was already fixed"]
    pub fn set_random_trace_ids(random: bool) -> bool {
        randomness::set_random_trace_ids(random)
    }

    /// The setting of [`set_random_trace_ids`](Self::set_random_trace_ids) in force: `true`
    /// unless it was turned off. Asking does not fix it.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(tctx::TraceContextPropagator::random_trace_ids());
    /// ```
    #[must_use]
    pub fn random_trace_ids() -> bool {
        randomness::random_trace_ids_in_force()
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

    /// The traceparent to send for `span_context`, or `None` if it is invalid; `received` is
    /// the entry extract left for its trace, if any.
    pub(crate) fn outgoing_traceparent(
        span_context: &SpanContext,
        received: Option<&Received>,
    ) -> Option<Traceparent> {
        let trace_id = TraceId::from_bytes(span_context.trace_id().to_bytes())?;
        let span_id = SpanId::from_bytes(span_context.span_id().to_bytes())?;
        let mut flags = span_context.trace_flags().to_u8() & Traceparent::FLAG_SAMPLED;
        if is_random(span_context, received, randomness::random_trace_ids()) {
            flags |= Traceparent::FLAG_RANDOM;
        }
        Some(Traceparent::new(trace_id, span_id, flags))
    }

    /// The outgoing `tracestate`, or `None` when it would be empty: the members of
    /// `current` that are valid Level 2 members, merged with `received` when some of its
    /// members never reached OpenTelemetry, cut to the configured length. One allocation for
    /// members of up to 31 characters: the returned `String` is the buffer the members were
    /// written into.
    fn tracestate_header(
        &self,
        current: &OtelTraceState,
        received: Option<&TraceState>,
    ) -> Option<String> {
        // A capacity from the member count alone (OpenTelemetry's iterator knows it): a
        // second pass to sum the lengths cost more than the rare growth of a list of long
        // members (measured with callgrind, inject with 8 members).
        let current_len = current.into_iter().size_hint().0 * EXPECTED_MEMBER_LEN;
        let received_len = received.map_or(0, |received| received.as_str().len() + 1);
        if current_len + received_len == 0 {
            return None;
        }
        // `TraceState` is the builder: it leaves out invalid members (OpenTelemetry's values
        // may hold a tab, a trailing space, nothing; it accepts an empty key) and repeated
        // keys, and stops at 32.
        let mut outgoing = TraceState::with_capacity(current_len + received_len);
        match received {
            None => {
                for (key, value) in current {
                    outgoing.push_if_valid(key, value);
                }
            }
            Some(received) => {
                // Added or changed through OpenTelemetry first, newest left...
                for (key, value) in current {
                    if received.get(key) != Some(value) {
                        outgoing.push_if_valid(key, value);
                    }
                }
                // ...then the received list in its order, without what OpenTelemetry deleted
                // or changed; the members it never saw stay where they were.
                for (key, value) in received {
                    if !otel_accepts_key(key) || current.get(key) == Some(value) {
                        outgoing.push_if_valid(key, value);
                    }
                }
            }
        }
        outgoing.truncate(self.max_tracestate_len);
        (!outgoing.is_empty()).then(|| outgoing.into_string())
    }
}

pub(crate) fn remote_span_context(
    traceparent: &Traceparent,
    trace_state: OtelTraceState,
) -> SpanContext {
    SpanContext::new(
        OtelTraceId::from_bytes(traceparent.trace_id().to_bytes()),
        opentelemetry::trace::SpanId::from_bytes(traceparent.parent_id().to_bytes()),
        TraceFlags::new(traceparent.flags()),
        true,
        trace_state,
    )
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

/// The received tracestate as OpenTelemetry can hold it, and the whole list when some of its
/// members could not be held (sized by the members accepted, never by the fields). An
/// invalid tracestate is discarded whole.
fn received_tracestate(fields: &[&str]) -> (OtelTraceState, Option<Box<TraceState>>) {
    let mut members = Members::new();
    for field in fields {
        if members.read(field).is_err() {
            return (OtelTraceState::NONE, None);
        }
    }
    let members_read = members.as_slice();
    if members_read.is_empty() {
        return (OtelTraceState::NONE, None);
    }
    // The common case first: OpenTelemetry holds every member. Its own checks decide (the
    // values are valid, so only a key can fail), which spares a scan of every key here; only
    // a list with a key it refuses is read a second time.
    if let Ok(otel) = OtelTraceState::from_key_value(members_read.iter().copied()) {
        return (otel, None);
    }
    let accepted = members_read
        .iter()
        .copied()
        .filter(|(key, _)| otel_accepts_key(key));
    // An error is not expected (the filter mirrors OpenTelemetry's rules); if it happens,
    // the whole list still travels through the context.
    let otel = OtelTraceState::from_key_value(accepted).unwrap_or(OtelTraceState::NONE);
    (otel, Some(Box::new(TraceState::from_members(&members))))
}

impl Default for TraceContextPropagator {
    fn default() -> Self {
        Self::new()
    }
}

impl TraceContextPropagatorBuilder {
    /// The longest `tracestate` header to send, in characters; longer ones lose whole members
    /// by the rules of "tracestate Limits". Default 512, the least the spec asks vendors to
    /// propagate; a smaller value breaks that recommendation.
    ///
    /// # Examples
    ///
    /// ```
    /// let propagator = tctx::TraceContextPropagator::builder().with_max_tracestate_len(4096).build();
    /// # let _ = propagator;
    /// ```
    #[must_use]
    pub fn with_max_tracestate_len(mut self, max_len: usize) -> Self {
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
        let received = Received::of(cx, span_context);
        let Some(traceparent) = Self::outgoing_traceparent(span_context, received) else {
            return; // an invalid span context injects nothing
        };
        let mut buf = [0u8; Traceparent::ENCODED_LEN];
        injector.set(TRACEPARENT, traceparent.encode(&mut buf).to_owned());

        let received = received.and_then(|received| received.tracestate.as_deref());
        if let Some(header) = self.tracestate_header(span_context.trace_state(), received) {
            injector.set(TRACESTATE, header);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let Some(traceparent) = Self::extract_traceparent(extractor) else {
            return cx.clone();
        };
        let (otel_state, kept) = match extractor.get_all(TRACESTATE) {
            Some(fields) => received_tracestate(&fields),
            None => (OtelTraceState::NONE, None),
        };
        let random = traceparent.is_random();
        let span_context = remote_span_context(&traceparent, otel_state);
        let trace_id = span_context.trace_id();
        let cx = cx.with_remote_span_context(span_context);
        // The entry costs a context entry: add it only when the span context alone would
        // lose something.
        if Received::needed(&cx, random, kept.is_some()) {
            cx.with_value(Received {
                trace_id,
                random,
                tracestate: kept,
            })
        } else {
            cx
        }
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(fields())
    }
}
