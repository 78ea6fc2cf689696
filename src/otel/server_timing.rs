//! The `trace` metric of the `Server-Timing` response header, from and to OpenTelemetry's
//! `Context`, without a propagator instance.
//!
//! A server tells its caller which span served the request by appending
//! `trace;desc=00-<trace-id>-<span-id>-<flags>` to `Server-Timing` (W3C Trace Context,
//! "Trace Context HTTP Response Headers Format"); the caller reads it back as a remote span
//! context. Programs register tctx globally, behind `dyn TextMapPropagator`, so these are free
//! functions: they need no [`TraceContextPropagator`](crate::TraceContextPropagator), and the
//! random flag of the metric follows the same rules as an outgoing `traceparent`.
//!
//! # Examples
//!
//! ```
//! use std::collections::HashMap;
//!
//! use opentelemetry::propagation::TextMapPropagator;
//!
//! // The server: continue the caller's trace, answer with the span that served it.
//! let request = HashMap::from([(
//!     "traceparent".to_owned(),
//!     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".to_owned(),
//! )]);
//! let cx = tctx::TraceContextPropagator::new().extract(&request);
//! let mut response = HashMap::new();
//! tctx::server_timing::inject(&cx, &mut response);
//! assert_eq!(
//!     response["server-timing"],
//!     "trace;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"
//! );
//!
//! // The caller: which span served the request?
//! let served_by = tctx::server_timing::extract(&response).unwrap();
//! assert_eq!(served_by.span_id().to_string(), "00f067aa0ba902b7");
//! assert!(served_by.is_remote() && served_by.is_sampled());
//! ```

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceState as OtelTraceState};
use opentelemetry::Context;

use crate::otel::propagator::{remote_span_context, TraceContextPropagator};
use crate::otel::randomness::Received;
use crate::Traceparent;

/// The header's name, in the lowercase OpenTelemetry carriers use: `server-timing`.
pub const FIELD: &str = "server-timing";

/// The `trace` metric naming the context's span, `trace;desc=00-…-…-03`, or `None` if the
/// context has no valid span. Append it to a `Server-Timing` value that has other metrics
/// (`db;dur=53, trace;desc=…`); [`inject`] writes it as the whole header.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
/// use opentelemetry::Context;
///
/// let span = SpanContext::new(
///     TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
///     SpanId::from(0x00f0_67aa_0ba9_02b7),
///     TraceFlags::SAMPLED,
///     false, // a span of this process, whose SDK ids are random: flags 03
///     TraceState::NONE,
/// );
/// let cx = Context::new().with_remote_span_context(span);
/// let header = format!("db;dur=53, {}", tctx::server_timing::metric(&cx).unwrap());
/// assert_eq!(header, "db;dur=53, trace;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
///
/// assert_eq!(tctx::server_timing::metric(&Context::new()), None);
/// ```
#[must_use]
pub fn metric(cx: &Context) -> Option<String> {
    let span = cx.span();
    let span_context = span.span_context();
    let traceparent =
        TraceContextPropagator::outgoing_traceparent(span_context, Received::of(cx, span_context))?;
    let mut buf = [0u8; Traceparent::SERVER_TIMING_LEN];
    Some(traceparent.encode_server_timing(&mut buf).to_owned())
}

/// Sets the carrier's `server-timing` field to the context's [`metric`]; sets nothing when the
/// context has no valid span. It replaces the field: a response with other metrics appends
/// [`metric`] to its value instead.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
///
/// let mut response = HashMap::new();
/// tctx::server_timing::inject(&opentelemetry::Context::new(), &mut response);
/// assert!(response.is_empty()); // no span, no metric
/// ```
pub fn inject(cx: &Context, injector: &mut dyn Injector) {
    if let Some(value) = metric(cx) {
        injector.set(FIELD, value);
    }
}

/// Reads the `trace` metric of a response's `Server-Timing` header (all its fields, in order,
/// through `get_all`) as a remote span context: the span that served the request. `None`
/// when there is no valid `trace` metric.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
///
/// let response = HashMap::from([(
///     "server-timing".to_owned(),
///     "db;dur=53, trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned(),
/// )]);
/// let server_span = tctx::server_timing::extract(&response).unwrap();
/// assert_eq!(server_span.trace_id().to_string(), "0af7651916cd43dd8448eb211c80319c");
/// assert_eq!(server_span.span_id().to_string(), "b7ad6b7169203331");
/// assert!(server_span.is_remote() && server_span.is_sampled());
///
/// let no_metric = HashMap::from([("server-timing".to_owned(), "db;dur=53".to_owned())]);
/// assert!(tctx::server_timing::extract(&no_metric).is_none());
/// ```
#[must_use]
pub fn extract(extractor: &dyn Extractor) -> Option<SpanContext> {
    let fields = extractor.get_all(FIELD)?;
    let traceparent = Traceparent::parse_server_timing_all(fields).ok()?;
    Some(remote_span_context(&traceparent, OtelTraceState::NONE))
}
