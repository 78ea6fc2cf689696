//! Whether a trace's id is random: the one rule the propagator (for the random flag of an
//! outgoing `traceparent`) and the samplers (for comparing the trace-id with a threshold)
//! share, and the one setting it depends on.
//!
//! Spec: W3C Trace Context Level 2, "Random Trace ID Flag": the flag MUST only be set when at
//! least the right-most 7 bytes of the trace-id are random.
//!
//! What is known about a trace, most reliable first:
//! 1. What extract learned from upstream, kept in a [`Received`] entry of the `Context` when
//!    the span context alone could lose it: the SDK resets the flags of spans a sampler drops,
//!    and gives spans it starts under a local parent that parent's flags.
//! 2. The random flag of the span context itself.
//! 3. For a trace that no propagator received (its span context is not remote), the
//!    process-wide setting [`random_trace_ids`]: whether this process's id generator draws
//!    trace-ids at random. It is fixed before first use, so it cannot change under a trace.

use std::sync::atomic::{AtomicU8, Ordering};

use opentelemetry::trace::{SpanContext, TraceId as OtelTraceId};
use opentelemetry::Context;

use crate::codec::traceparent::FLAG_RANDOM;
use crate::TraceState;

/// Not fixed yet: the default (`true`) applies, and a set may still change it.
const UNFIXED: u8 = 0;
/// Fixed to `true`.
const RANDOM: u8 = 1;
/// Fixed to `false`.
const NOT_RANDOM: u8 = 2;

/// The one `random_trace_ids` setting of the process: the propagator and every sampler read
/// it. True by default, right for the SDK's `RandomIdGenerator`. It is fixed by the first
/// [`set_random_trace_ids`] or the first read of [`random_trace_ids`] (an extract, inject,
/// conversion or sampling decision), whichever comes first, and never changes after: one
/// trace gets one answer.
static RANDOM_TRACE_IDS: AtomicU8 = AtomicU8::new(UNFIXED);

fn encode(random: bool) -> u8 {
    if random {
        RANDOM
    } else {
        NOT_RANDOM
    }
}

/// Fixes [`random_trace_ids`] for the whole process, if nothing fixed it yet; returns whether
/// this call did.
pub(crate) fn set_random_trace_ids(random: bool) -> bool {
    RANDOM_TRACE_IDS
        .compare_exchange(
            UNFIXED,
            encode(random),
            Ordering::Relaxed,
            Ordering::Relaxed,
        )
        .is_ok()
}

/// Whether trace-ids started in this process are random in their right-most 7 bytes, as the
/// work of the crate uses it: the first read fixes the setting.
///
/// One relaxed load and a compare once fixed, as cheap as the flag it replaced; the value
/// never changes after it is fixed, so every thread reads the same.
#[inline]
pub(crate) fn random_trace_ids() -> bool {
    match RANDOM_TRACE_IDS.load(Ordering::Relaxed) {
        RANDOM => true,
        NOT_RANDOM => false,
        _ => fix_default(),
    }
}

/// The first use: fixes the default, unless a set won the race (then its value holds).
#[cold]
fn fix_default() -> bool {
    match RANDOM_TRACE_IDS.compare_exchange(UNFIXED, RANDOM, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => true,
        Err(fixed) => fixed == RANDOM,
    }
}

/// The setting in force, without fixing it: for the public query, which is no use.
pub(crate) fn random_trace_ids_in_force() -> bool {
    RANDOM_TRACE_IDS.load(Ordering::Relaxed) != NOT_RANDOM
}

/// What extract learned that the span context cannot carry through the SDK: the upstream
/// random bit (which the SDK resets on dropped spans, and which a local child inherits only
/// through its parent's flags) and the tracestate members OpenTelemetry could not hold.
/// `Context::with_span` carries it to child contexts; it applies to the trace it names.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) trace_id: OtelTraceId,
    /// The random flag of the received `traceparent`.
    pub(crate) random: bool,
    /// The whole received list, set only when some member is missing from the span context.
    /// Boxed: most extracts that need the entry have no tracestate to keep.
    pub(crate) tracestate: Option<Box<TraceState>>,
}

impl Received {
    /// The entry extract left in `cx` for the trace of `span_context`, if any.
    pub(crate) fn of<'a>(cx: &'a Context, span_context: &SpanContext) -> Option<&'a Self> {
        cx.get::<Self>()
            .filter(|received| received.trace_id == span_context.trace_id())
    }

    /// Whether extract must add an entry for a received trace whose flag says `random`, to
    /// `cx` (the context it extracts into): when [`is_random`] would answer otherwise for a
    /// local child that lost or inherited the flags, when tracestate members need keeping,
    /// or to replace an entry an earlier extract left.
    pub(crate) fn needed(cx: &Context, random: bool, keeps_tracestate: bool) -> bool {
        random != random_trace_ids() || keeps_tracestate || cx.get::<Self>().is_some()
    }
}

/// Whether the right-most 7 bytes of `span_context`'s trace-id are random, once the
/// [`Received`] entry for its trace has been looked up: the rule of the module docs.
pub(crate) fn is_random(
    span_context: &SpanContext,
    received: Option<&Received>,
    random_trace_ids: bool,
) -> bool {
    match received {
        Some(received) => received.random,
        None => {
            span_context.trace_flags().to_u8() & FLAG_RANDOM != 0
                || (random_trace_ids && !span_context.is_remote())
        }
    }
}

/// Whether the trace-id of `parent`, a span context in `cx`, is random: the samplers' entry
/// point, and the conversion to a `Traceparent`'s. Pass [`random_trace_ids()`](random_trace_ids)
/// as `random_trace_ids`.
pub(crate) fn trace_id_is_random(
    cx: &Context,
    parent: &SpanContext,
    random_trace_ids: bool,
) -> bool {
    is_random(parent, Received::of(cx, parent), random_trace_ids)
}
