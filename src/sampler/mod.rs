//! Head samplers for `opentelemetry_sdk` that honour upstream flags.
//!
//! Every sampler here implements `opentelemetry_sdk::trace::ShouldSample`, so it drops into
//! `SdkTracerProvider::builder().with_sampler(...)`, and has the description string of the
//! SDK specification ([`SamplerDescription`]). They read the Level 2 random flag that
//! [`TraceContextPropagator`](crate::TraceContextPropagator) keeps, and write OpenTelemetry's
//! `ot=th:…` threshold so that collectors know how many spans each sampled one stands for.
//!
//! # Which sampler for which job
//!
//! | job | sampler |
//! |---|---|
//! | keep every trace (the SDK default) | `ParentBased::new(AlwaysOn)` |
//! | keep a fixed share of traces, consistently across services | [`Probability`] at the root, [`ParentThreshold`] around it |
//! | honour the caller's decision | [`ParentBased`] or [`ParentThreshold`] |
//! | cap the volume | [`RateLimited`] with a [`RateLimiter`] |
//! | stop callers who set the sampled flag on everything | [`ParentBased`] with a rate-limited `remote_parent_sampled` |
//! | a steady number of traces per second whatever the traffic | [`Adaptive`] |
//! | the classic SDK ratio, while migrating | [`TraceIdRatioBased`] behind [`ParentBased`] |
//! | whatever the `OTEL_TRACES_SAMPLER` variable says | [`from_env`] |
//!
//! ## Head-based ratio sampling
//!
//! The decision is made once, where the trace starts (the "head"), and travels in the
//! `sampled` flag. A consistent probability sampler decides on the trace's randomness (the
//! right-most 7 bytes of the trace-id, random by W3C Trace Context Level 2), so every service
//! that samples the same trace at the same or a higher probability keeps it too, and traces
//! stay whole even where services decide on their own.
//!
//! ```
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use tctx::sampler::{ParentThreshold, Probability};
//!
//! // 10% of new traces; continued traces keep their caller's decision and threshold.
//! let provider = SdkTracerProvider::builder()
//!     .with_sampler(ParentThreshold::new(Probability::new(0.1)?))
//!     .build();
//! # let _ = provider;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Respecting upstream sampling decisions
//!
//! A service that receives a traced request should normally honour the caller's decision:
//! record what the caller sampled, skip what it did not. [`ParentBased`] routes each of the
//! five cases (root, remote or local parent, sampled or not) to a sampler of its own;
//! [`ParentThreshold`] follows the parent and keeps its threshold when it is consistent.
//!
//! ```
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use tctx::sampler::{AlwaysOn, ParentBased};
//!
//! let provider = SdkTracerProvider::builder()
//!     .with_sampler(ParentBased::new(AlwaysOn))
//!     .build();
//! # let _ = provider;
//! ```
//!
//! ## Capping volume
//!
//! A rate limiter admits at most a number of spans per second, with a burst. Callers are
//! strangers (W3C Trace Context, "Security Considerations"): one that sets the sampled flag
//! on every request can flood the tracing system. Honour the flag, but only so often:
//!
//! ```
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use tctx::sampler::{AlwaysOn, ParentBased, Probability, RateLimited, RateLimiter};
//!
//! let sampler = ParentBased::new(RateLimited::new(Probability::new(0.1)?, RateLimiter::new(50.0)?))
//!     .remote_parent_sampled(RateLimited::new(AlwaysOn, RateLimiter::new(200.0)?));
//! let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
//! # let _ = provider;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A rate-limited span has no known probability, so its `th` is erased.
//!
//! ## Adaptive rates
//!
//! [`Adaptive`] aims at a number of sampled traces per second. It watches the traffic,
//! smooths the rate over a time constant, and turns the target into a threshold, so its
//! decisions stay consistent and its spans carry a correct `th`:
//!
//! ```
//! use std::time::Duration;
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use tctx::sampler::{Adaptive, ParentThreshold};
//!
//! let sampler = ParentThreshold::new(Adaptive::new(20.0)?.time_constant(Duration::from_secs(30)));
//! let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
//! # let _ = provider;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## The random flag
//!
//! The rule, in order (the same one the propagator uses for the flag it sends):
//!
//! 1. An explicit randomness value (`ot=rv:…`) always wins, and is never overwritten.
//! 2. If the tctx propagator extracted this trace, its upstream random bit decides: the
//!    propagator leaves a marker in the context for Level 1 callers (`-01`), which survives
//!    the SDK zeroing the flags of dropped spans.
//! 3. Otherwise the parent's random flag, if set, says the trace-id is random.
//! 4. Otherwise a local parent (or no parent) counts as a trace started here, random when
//!    `random_trace_ids` is `true` (the default, right for the SDK's id generator); a remote
//!    parent without the flag does not.
//!
//! When the trace-id is not known to be random, [`Probability`] and [`Adaptive`] still decide
//! on it, as the specification presumes, but their sampled spans carry no `th` (the
//! adjusted count is not reliable: "decide and record that the count is unreliable"), and a
//! root gets a new `rv` instead. [`ParentThreshold`] is different on purpose: it propagates
//! a parent's consistent `th` whatever the flag, as a parent-based sampler does.
//!
//! Rule 4 is only as good as the marker: a context rebuilt by hand, or extracted by another
//! propagator, from a Level 1 caller looks like a trace started here.

mod adaptive;
mod clock;
mod parent_based;
mod probability;
mod rate_limit;
mod ratio;

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use opentelemetry::trace::{
    Link, SpanContext, SpanKind, TraceContextExt, TraceId as OtelTraceId,
    TraceState as OtelTraceState,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};

use crate::otel::randomness::trace_id_is_random;
use crate::probability::{OtValue, Randomness, Threshold};

pub use crate::config::env::{from_env, from_env_vars, ConfiguredSampler, EnvWarning};
pub use adaptive::Adaptive;
pub use clock::{Clock, ManualClock, MonotonicClock};
pub use parent_based::ParentBased;
pub use probability::{ParentThreshold, Probability};
pub use rate_limit::{RateLimitError, RateLimited, RateLimiter};
pub use ratio::TraceIdRatioBased;

/// The key of OpenTelemetry's own tracestate member.
const OT_KEY: &str = "ot";

/// A sampler's name and configuration, as the SDK specification's `GetDescription` gives it:
/// `AlwaysOnSampler`, `TraceIdRatioBased{0.25}`,
/// `ParentBased{root:AlwaysOnSampler,remoteParentSampled:…}`. The combinators of this module
/// ([`ParentBased`], [`RateLimited`], [`ParentThreshold`]) take any `ShouldSample` that has
/// one, including the SDK's own `Sampler`.
///
/// A description may change over time (an [`Adaptive`] sampler reports its current
/// probability): do not cache it.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{AlwaysOn, ParentBased, SamplerDescription};
///
/// assert_eq!(AlwaysOn.description(), "AlwaysOnSampler");
/// assert_eq!(
///     ParentBased::new(opentelemetry_sdk::trace::Sampler::TraceIdRatioBased(0.5)).description(),
///     "ParentBased{root:TraceIdRatioBased{0.5},remoteParentSampled:AlwaysOnSampler,\
///      remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,\
///      localParentNotSampled:AlwaysOffSampler}"
/// );
/// ```
pub trait SamplerDescription {
    /// The description: the sampler's name and its configuration.
    fn description(&self) -> String;
}

impl SamplerDescription for Sampler {
    fn description(&self) -> String {
        match self {
            Sampler::AlwaysOn => AlwaysOn.description(),
            Sampler::AlwaysOff => AlwaysOff.description(),
            Sampler::TraceIdRatioBased(ratio) => format!("TraceIdRatioBased{{{ratio}}}"),
            Sampler::ParentBased(root) => format!(
                "ParentBased{{root:{},remoteParentSampled:AlwaysOnSampler,\
                 remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,\
                 localParentNotSampled:AlwaysOffSampler}}",
                describe_foreign(root.as_ref())
            ),
            #[allow(unreachable_patterns)] // variants behind features of the SDK
            other => format!("{other:?}"),
        }
    }
}

/// The best description of a sampler known only as `ShouldSample`: its `Debug` text.
fn describe_foreign(sampler: &dyn ShouldSample) -> String {
    format!("{sampler:?}")
}

/// A sampler the combinators can hold: any `ShouldSample` with a description.
pub(crate) trait DescribedSampler: ShouldSample + SamplerDescription {}

impl<T: ShouldSample + SamplerDescription> DescribedSampler for T {}

/// A shared delegate: samplers are immutable or share their state on purpose (a rate
/// limiter's budget), so clones of a combinator share their delegates.
pub(crate) type Delegate = Arc<dyn DescribedSampler>;

pub(crate) fn delegate(sampler: impl ShouldSample + SamplerDescription + 'static) -> Delegate {
    Arc::new(sampler)
}

/// Samples every span: `RECORD_AND_SAMPLE`, the parent's tracestate unchanged. Description
/// `AlwaysOnSampler`.
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let provider = SdkTracerProvider::builder().with_sampler(tctx::sampler::AlwaysOn).build();
/// # let _ = provider;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOn;

/// Samples no span: `DROP`, the parent's tracestate unchanged. Description
/// `AlwaysOffSampler`.
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let provider = SdkTracerProvider::builder().with_sampler(tctx::sampler::AlwaysOff).build();
/// # let _ = provider;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOff;

impl ShouldSample for AlwaysOn {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        _trace_id: OtelTraceId,
        _name: &str,
        _span_kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        result(
            SamplingDecision::RecordAndSample,
            passed_in_trace_state(parent_context),
        )
    }
}

impl ShouldSample for AlwaysOff {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        _trace_id: OtelTraceId,
        _name: &str,
        _span_kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        result(
            SamplingDecision::Drop,
            passed_in_trace_state(parent_context),
        )
    }
}

impl SamplerDescription for AlwaysOn {
    fn description(&self) -> String {
        "AlwaysOnSampler".to_owned()
    }
}

impl SamplerDescription for AlwaysOff {
    fn description(&self) -> String {
        "AlwaysOffSampler".to_owned()
    }
}

/// Calls `f` with the parent's span context if it is valid: an invalid one (a root span, or
/// a context without a span) is no parent at all ("`ShouldSample`": "The Span's `SpanContext` may
/// be invalid to indicate a root span").
pub(crate) fn with_parent<R>(
    parent_context: Option<&Context>,
    f: impl FnOnce(Option<&SpanContext>) -> R,
) -> R {
    match parent_context {
        Some(cx) => {
            let span = cx.span();
            let span_context = span.span_context();
            f(span_context.is_valid().then_some(span_context))
        }
        None => f(None),
    }
}

/// The tracestate of the context's span, valid or not, as the SDK's samplers return it. An
/// invalid span context has an empty one, so no validity check is needed.
fn passed_in_trace_state(parent_context: Option<&Context>) -> OtelTraceState {
    parent_context.map_or_else(OtelTraceState::default, |cx| {
        cx.span().span_context().trace_state().clone()
    })
}

/// The tracestate a sampler returns when it changes nothing ("samplers SHOULD normally return
/// the passed-in Tracestate"). Cloning an empty one does not allocate.
pub(crate) fn parent_trace_state(parent: Option<&SpanContext>) -> OtelTraceState {
    parent.map_or_else(OtelTraceState::default, |parent| {
        parent.trace_state().clone()
    })
}

pub(crate) fn result(decision: SamplingDecision, trace_state: OtelTraceState) -> SamplingResult {
    SamplingResult {
        decision,
        attributes: Vec::new(),
        trace_state,
    }
}

/// Where the randomness `R` of a decision came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RandomnessSource {
    /// `rv` in the parent's tracestate.
    Explicit(Randomness),
    /// The trace-id, known to be random (random flag, or started here with random ids).
    TraceId(Randomness),
    /// A new `rv` for a root whose trace-id is not random: it must be written out.
    NewExplicit(Randomness),
    /// The trace-id, presumed random but not known to be: decisions stay consistent with
    /// other samplers that presume the same, but the adjusted count is not reliable.
    Presumed(Randomness),
}

impl RandomnessSource {
    pub(crate) fn value(self) -> Randomness {
        match self {
            Self::Explicit(r) | Self::TraceId(r) | Self::NewExplicit(r) | Self::Presumed(r) => r,
        }
    }

    pub(crate) fn reliable(self) -> bool {
        !matches!(self, Self::Presumed(_))
    }
}

/// The randomness of a span about to start ("Randomness Value (R)", "Sampling Requirements"):
/// `rv` if the parent has one; else the trace-id if it is known to be random; else, for a
/// root, a new `rv`; else the trace-id, presumed random, with a warning the first time.
pub(crate) fn randomness(
    parent_context: Option<&Context>,
    parent: Option<&SpanContext>,
    ot: &OtValue<'_>,
    trace_id: OtelTraceId,
    random_trace_ids: bool,
) -> RandomnessSource {
    if let Some(rv) = ot.randomness() {
        return RandomnessSource::Explicit(rv);
    }
    let from_trace_id = Randomness::from_trace_id_bytes(trace_id.to_bytes());
    let known_random = match parent {
        None => random_trace_ids,
        Some(parent) => match parent_context {
            Some(cx) => trace_id_is_random(cx, parent, random_trace_ids),
            None => trace_id_is_random(&Context::new(), parent, random_trace_ids),
        },
    };
    if known_random {
        RandomnessSource::TraceId(from_trace_id)
    } else if parent.is_none() {
        RandomnessSource::NewExplicit(Randomness::random())
    } else {
        warn_presumed_randomness();
        RandomnessSource::Presumed(from_trace_id)
    }
}

fn warn_presumed_randomness() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    // Load first: once warned, the hot path only reads the flag, it never writes it.
    if !WARNED.load(Ordering::Relaxed) && !WARNED.swap(true, Ordering::Relaxed) {
        opentelemetry::otel_warn!(
            name: "tctx.sampler.presumed_randomness",
            message = "a probability sampler is presuming a trace-id is random, but its \
                       random flag is not set; sampled spans of such traces carry no \
                       threshold. Upgrade callers to W3C Trace Context Level 2."
        );
    }
}

/// The parent's `ot` tracestate value, or an empty one.
pub(crate) fn ot_value(trace_state: &OtelTraceState) -> OtValue<'_> {
    OtValue::parse(trace_state.get(OT_KEY).unwrap_or(""))
}

/// A consistent probability decision at `threshold` ("`ProbabilitySampler` sampler algorithm",
/// "CompositeSampler"): sample when `R >= T`; a sampled span gets `th` when its randomness is
/// reliable, and loses it otherwise; a dropped span loses it. `rv` is kept, or added for a
/// root whose trace-id is not random. The tracestate is rebuilt only when `ot` changes.
pub(crate) fn consistent_decision(
    parent_context: Option<&Context>,
    parent: Option<&SpanContext>,
    trace_id: OtelTraceId,
    threshold: Option<Threshold>,
    random_trace_ids: bool,
) -> SamplingResult {
    let empty = OtelTraceState::NONE;
    let trace_state = parent.map_or(&empty, SpanContext::trace_state);
    let ot = ot_value(trace_state);
    let source = randomness(parent_context, parent, &ot, trace_id, random_trace_ids);
    let sampled = threshold.is_some_and(|th| th.samples(source.value()));
    let new_threshold = threshold.filter(|_| sampled && source.reliable());
    let mut new_ot = ot.with_threshold(new_threshold);
    if let RandomnessSource::NewExplicit(rv) = source {
        let mut value = new_ot.into_owned();
        if !value.is_empty() {
            value.push(';');
        }
        value.push_str("rv:");
        value.push_str(rv.encode(&mut [0; 14]));
        new_ot = Cow::Owned(value);
    }
    let decision = if sampled {
        SamplingDecision::RecordAndSample
    } else {
        SamplingDecision::Drop
    };
    result(decision, with_ot(trace_state, &ot, &new_ot))
}

/// `trace_state` with its `ot` member replaced by `new_ot` (removed when empty). A borrowed
/// `new_ot` is, by the contract of [`OtValue::with_threshold`], the value `ot` already has:
/// then `trace_state` is cloned, not rebuilt (and not even compared).
// The variant of the `Cow` is the information: borrowed means unchanged.
#[allow(clippy::ptr_arg)]
pub(crate) fn with_ot(
    trace_state: &OtelTraceState,
    old: &OtValue<'_>,
    new_ot: &Cow<'_, str>,
) -> OtelTraceState {
    if matches!(new_ot, Cow::Borrowed(_)) || **new_ot == *old.as_str() {
        return trace_state.clone();
    }
    let updated = if new_ot.is_empty() {
        trace_state.delete(OT_KEY)
    } else {
        trace_state.insert(OT_KEY, new_ot.as_ref())
    };
    // Both only fail for keys or values outside the grammar, which `ot` and its rewritten
    // value are not. If they do, drop `ot` rather than keep a threshold that is now wrong.
    updated.unwrap_or_else(|_| {
        trace_state
            .delete(OT_KEY)
            .unwrap_or_else(|_| trace_state.clone())
    })
}
