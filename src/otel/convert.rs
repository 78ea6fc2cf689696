//! Conversions between the codec's types and OpenTelemetry's: ids, a `traceparent` and a
//! remote `SpanContext`, and the two `TraceState`s.
//!
//! For code that carries trace context outside HTTP headers (a job field, a message
//! attribute) and also uses OpenTelemetry: no `HashMap` and propagator round trip, no copying
//! bytes by hand.
//!
//! | from | to | |
//! |---|---|---|
//! | [`TraceId`] / [`SpanId`] | OpenTelemetry's `TraceId` / `SpanId` | `From`: always works |
//! | OpenTelemetry's `TraceId` / `SpanId` | [`TraceId`] / [`SpanId`] | `TryFrom`: fails on the all-zero (invalid) id |
//! | [`Traceparent`] | `SpanContext` | `From`: a remote span context, sampled and random bits kept |
//! | `SpanContext`, `Context` | [`Traceparent`] | `TryFrom`: fails on an invalid span context; the random bit by the propagator's rule |
//! | [`TraceState`] | OpenTelemetry's `TraceState` | `TryFrom`: fails on Level 2 keys OpenTelemetry refuses (`a@b@c`) |
//! | OpenTelemetry's `TraceState` | [`TraceState`] | `TryFrom`: fails on members Level 2 forbids (a tab in a value) |

use core::fmt;

use opentelemetry::trace::{
    SpanContext, SpanId as OtelSpanId, TraceContextExt, TraceFlags, TraceId as OtelTraceId,
    TraceState as OtelTraceState,
};
use opentelemetry::Context;

use crate::codec::traceparent::{FLAG_RANDOM, FLAG_SAMPLED};
use crate::otel::randomness::{is_random, random_trace_ids, trace_id_is_random};
use crate::{ParseError, SpanId, TraceId, TraceState, Traceparent};

/// Why a value could not be converted between tctx's and OpenTelemetry's types.
///
/// # Examples
///
/// ```
/// use tctx::{ConversionError, TraceState};
///
/// let state = TraceState::parse("rojo=1,a@b@c=1")?;
/// let err = opentelemetry::trace::TraceState::try_from(&state).unwrap_err();
/// assert_eq!(err, ConversionError::UnsupportedKey("a@b@c".to_owned()));
/// assert_eq!(
///     err.to_string(),
///     "OpenTelemetry's TraceState cannot hold the W3C Level 2 key \"a@b@c\""
/// );
/// # Ok::<(), tctx::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConversionError {
    /// OpenTelemetry's trace-id is all zeros (`TraceId::INVALID`), which no `traceparent`
    /// may carry.
    InvalidTraceId,
    /// OpenTelemetry's span-id is all zeros (`SpanId::INVALID`), which no `traceparent`
    /// may carry.
    InvalidSpanId,
    /// A valid W3C Level 2 tracestate key that `opentelemetry::trace::TraceState` (0.33)
    /// refuses, because it checks keys with a narrower grammar: more than one `@` (`a@b@c`,
    /// `foo@@bar`), or more than 13 characters after the `@`, or a vendor part that does not
    /// start with `a-z` or `0-9`. The propagator carries such members beside the span
    /// context; a plain conversion cannot.
    UnsupportedKey(String),
    /// OpenTelemetry's `TraceState` holds a member that W3C Trace Context Level 2 forbids (an
    /// empty key, an empty value, a tab or a trailing space in a value), or more than 32
    /// members; the error names the rule.
    TraceState(ParseError),
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidTraceId => f.write_str("the all-zero trace-id is invalid"),
            Self::InvalidSpanId => f.write_str("the all-zero span-id is invalid"),
            Self::UnsupportedKey(key) => write!(
                f,
                "OpenTelemetry's TraceState cannot hold the W3C Level 2 key {key:?}"
            ),
            Self::TraceState(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ConversionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::TraceState(error) => Some(error),
            _ => None,
        }
    }
}

/// A tctx trace-id as OpenTelemetry's: the same 16 bytes. Never fails, since tctx's ids are
/// never zero.
///
/// # Examples
///
/// ```
/// let id = tctx::TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736")?;
/// let otel = opentelemetry::trace::TraceId::from(id);
/// assert_eq!(otel.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// # Ok::<(), tctx::ParseError>(())
/// ```
impl From<TraceId> for OtelTraceId {
    fn from(id: TraceId) -> Self {
        Self::from_bytes(id.to_bytes())
    }
}

/// OpenTelemetry's trace-id as tctx's: the same 16 bytes, or
/// [`ConversionError::InvalidTraceId`] for `TraceId::INVALID` (all zeros).
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::TraceId as OtelTraceId;
///
/// let otel = OtelTraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736")?;
/// assert_eq!(tctx::TraceId::try_from(otel)?.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(tctx::TraceId::try_from(OtelTraceId::INVALID).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl TryFrom<OtelTraceId> for TraceId {
    type Error = ConversionError;

    fn try_from(id: OtelTraceId) -> Result<Self, Self::Error> {
        Self::from_bytes(id.to_bytes()).ok_or(ConversionError::InvalidTraceId)
    }
}

/// A tctx span-id as OpenTelemetry's: the same 8 bytes. Never fails.
///
/// # Examples
///
/// ```
/// let id = tctx::SpanId::parse("00f067aa0ba902b7")?;
/// assert_eq!(opentelemetry::trace::SpanId::from(id).to_string(), "00f067aa0ba902b7");
/// # Ok::<(), tctx::ParseError>(())
/// ```
impl From<SpanId> for OtelSpanId {
    fn from(id: SpanId) -> Self {
        Self::from_bytes(id.to_bytes())
    }
}

/// OpenTelemetry's span-id as tctx's: the same 8 bytes, or
/// [`ConversionError::InvalidSpanId`] for `SpanId::INVALID` (all zeros).
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::SpanId as OtelSpanId;
///
/// let otel = OtelSpanId::from_hex("00f067aa0ba902b7")?;
/// assert_eq!(tctx::SpanId::try_from(otel)?.to_string(), "00f067aa0ba902b7");
/// assert!(tctx::SpanId::try_from(OtelSpanId::INVALID).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl TryFrom<OtelSpanId> for SpanId {
    type Error = ConversionError;

    fn try_from(id: OtelSpanId) -> Result<Self, Self::Error> {
        Self::from_bytes(id.to_bytes()).ok_or(ConversionError::InvalidSpanId)
    }
}

/// A received `traceparent` as the remote `SpanContext` that the propagator's extract would
/// give: the parent-id as span-id, the sampled and random flags kept, `is_remote` set, an
/// empty `TraceState` (to carry one, build the span context with `SpanContext::new` and a
/// converted [`TraceState`]).
///
/// Hand it on with `Context::with_remote_span_context`. Unlike extract, the result carries
/// no marker for a Level 1 caller (`-01`): local spans of that trace will say random when
/// converted back or injected. To keep the caller's random bit exactly, extract with
/// [`TraceContextPropagator`](crate::TraceContextPropagator) instead.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::SpanContext;
///
/// let tp = tctx::Traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")?;
/// let remote = SpanContext::from(tp);
/// assert!(remote.is_remote() && remote.is_sampled());
/// assert_eq!(remote.trace_flags().to_u8(), 0x03);
/// assert_eq!(remote.span_id().to_string(), "00f067aa0ba902b7");
/// # Ok::<(), tctx::ParseError>(())
/// ```
impl From<Traceparent> for SpanContext {
    fn from(traceparent: Traceparent) -> Self {
        SpanContext::new(
            traceparent.trace_id().into(),
            traceparent.parent_id().into(),
            TraceFlags::new(traceparent.flags()),
            true,
            OtelTraceState::NONE,
        )
    }
}

/// The `traceparent` to send for a span context: its trace-id, its span-id as parent-id, its
/// sampled flag, and the random flag by the propagator's rule for a span context alone: set
/// when the span context has it (as a remote one from a Level 2 caller does), or when the
/// span is local (a trace started here, whose trace-id the SDK's `RandomIdGenerator` drew at
/// random).
///
/// A local span of a trace continued from a Level 1 caller (`-01`) would wrongly say random:
/// the caller's bit lives in the `Context`, not in the span context (the SDK copies the
/// parent's flags but resets them on dropped spans). Convert the whole `Context` instead
/// (`Traceparent::try_from(&cx)`), which is exactly what the default propagator injects.
///
/// Fails with [`ConversionError::InvalidTraceId`] or [`ConversionError::InvalidSpanId`] for
/// an invalid span context (`SpanContext::NONE`).
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
/// use tctx::Traceparent;
///
/// let remote = SpanContext::new(
///     TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736")?,
///     SpanId::from_hex("00f067aa0ba902b7")?,
///     TraceFlags::SAMPLED,
///     true,
///     TraceState::NONE,
/// );
/// let tp = Traceparent::try_from(&remote)?;
/// assert_eq!(tp.to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
/// assert!(Traceparent::try_from(&SpanContext::NONE).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl TryFrom<&SpanContext> for Traceparent {
    type Error = ConversionError;

    fn try_from(span_context: &SpanContext) -> Result<Self, Self::Error> {
        traceparent_of(span_context, || {
            is_random(span_context, None, random_trace_ids())
        })
    }
}

/// As `TryFrom<&SpanContext>`.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::SpanContext;
///
/// let tp = tctx::Traceparent::make();
/// assert_eq!(tctx::Traceparent::try_from(SpanContext::from(tp))?, tp);
/// # Ok::<(), tctx::ConversionError>(())
/// ```
impl TryFrom<SpanContext> for Traceparent {
    type Error = ConversionError;

    fn try_from(span_context: SpanContext) -> Result<Self, Self::Error> {
        Self::try_from(&span_context)
    }
}

/// The `traceparent` that the default [`TraceContextPropagator`](crate::TraceContextPropagator)
/// injects for the context's span: the same trace-id, span-id and flags, with the random flag
/// of a Level 1 caller kept exactly (the propagator's extract left it in the context).
///
/// Fails as `TryFrom<&SpanContext>` when the context has no valid span. Follows
/// [`TraceContextPropagator::set_random_trace_ids`](crate::TraceContextPropagator::set_random_trace_ids)
/// as the propagator does.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use opentelemetry::propagation::TextMapPropagator;
/// use tctx::Traceparent;
///
/// let request = HashMap::from([(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
/// )]);
/// let cx = tctx::TraceContextPropagator::new().extract(&request);
/// // A Level 1 caller: no random flag, and none is made up.
/// assert!(!Traceparent::try_from(&cx)?.is_random());
/// # Ok::<(), tctx::ConversionError>(())
/// ```
impl TryFrom<&Context> for Traceparent {
    type Error = ConversionError;

    fn try_from(cx: &Context) -> Result<Self, Self::Error> {
        let span = cx.span();
        let span_context = span.span_context();
        traceparent_of(span_context, || {
            trace_id_is_random(cx, span_context, random_trace_ids())
        })
    }
}

/// The traceparent of a span context, its random flag decided by `is_random`.
fn traceparent_of(
    span_context: &SpanContext,
    is_random: impl FnOnce() -> bool,
) -> Result<Traceparent, ConversionError> {
    let trace_id = TraceId::try_from(span_context.trace_id())?;
    let parent_id = SpanId::try_from(span_context.span_id())?;
    let mut flags = span_context.trace_flags().to_u8() & FLAG_SAMPLED;
    if is_random() {
        flags |= FLAG_RANDOM;
    }
    Ok(Traceparent::new(trace_id, parent_id, flags))
}

/// A tctx tracestate as OpenTelemetry's, members in the same order.
///
/// Fails with [`ConversionError::UnsupportedKey`], naming the first such key, when a member
/// has a valid Level 2 key that OpenTelemetry 0.33 refuses: more than one `@` (`a@b@c`,
/// `foo@@bar`), more than 13 characters after the `@`, or a vendor part that starts with
/// another character than `a-z` or `0-9`. Values always convert.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::TraceState as OtelTraceState;
/// use tctx::TraceState;
///
/// let state = TraceState::parse("rojo=00f067aa0ba902b7,tenant@vendor=1")?;
/// let otel = OtelTraceState::try_from(&state)?;
/// assert_eq!(otel.header(), "rojo=00f067aa0ba902b7,tenant@vendor=1");
///
/// let level2 = TraceState::parse("a@b@c=1")?;
/// assert!(OtelTraceState::try_from(&level2).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl TryFrom<&TraceState> for OtelTraceState {
    type Error = ConversionError;

    fn try_from(state: &TraceState) -> Result<Self, Self::Error> {
        OtelTraceState::from_key_value(state).map_err(|_| {
            // OpenTelemetry's error type is not public: ask it member by member which key it
            // refuses (values valid at Level 2 always pass its check).
            let refused = state
                .iter()
                .find(|&member| OtelTraceState::from_key_value([member]).is_err())
                .map_or("", |(key, _)| key);
            ConversionError::UnsupportedKey(refused.to_owned())
        })
    }
}

/// As `TryFrom<&TraceState>`.
///
/// # Examples
///
/// ```
/// let state = tctx::TraceState::make([("ot", "th:0")])?;
/// let otel = opentelemetry::trace::TraceState::try_from(state)?;
/// assert_eq!(otel.get("ot"), Some("th:0"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl TryFrom<TraceState> for OtelTraceState {
    type Error = ConversionError;

    fn try_from(state: TraceState) -> Result<Self, Self::Error> {
        Self::try_from(&state)
    }
}

/// OpenTelemetry's tracestate as tctx's, members in the same order, checked against the
/// Level 2 grammar as [`TraceState::make`] checks them; a repeated key keeps its first value.
///
/// Fails with [`ConversionError::TraceState`] when OpenTelemetry holds what Level 2 forbids:
/// its own checks let through an empty key, an empty value, a tab or a trailing space in a
/// value, and more than 32 members built by `insert`.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::TraceState as OtelTraceState;
/// use tctx::{ConversionError, ParseErrorKind, TraceState};
///
/// let otel = OtelTraceState::from_key_value([("rojo", "1"), ("congo", "2")])?;
/// assert_eq!(TraceState::try_from(&otel)?.as_str(), "rojo=1,congo=2");
///
/// let tab = OtelTraceState::from_key_value([("rojo", "a\tb")])?;
/// let err = TraceState::try_from(&tab).unwrap_err();
/// assert!(matches!(err, ConversionError::TraceState(e) if e.kind() == ParseErrorKind::Value));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl TryFrom<&OtelTraceState> for TraceState {
    type Error = ConversionError;

    fn try_from(state: &OtelTraceState) -> Result<Self, Self::Error> {
        TraceState::make(state).map_err(ConversionError::TraceState)
    }
}

/// As `TryFrom<&opentelemetry::trace::TraceState>`.
///
/// # Examples
///
/// ```
/// let otel = opentelemetry::trace::TraceState::from_key_value([("ot", "th:0")])?;
/// assert_eq!(tctx::TraceState::try_from(otel)?.as_str(), "ot=th:0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl TryFrom<OtelTraceState> for TraceState {
    type Error = ConversionError;

    fn try_from(state: OtelTraceState) -> Result<Self, Self::Error> {
        Self::try_from(&state)
    }
}
