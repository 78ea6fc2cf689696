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
//! | rules: drop health checks, keep checkouts, a share of the rest | [`ComposableRuleBased`] in a [`CompositeSampler`] |
//! | span processors see every span, exporters only the sampled | [`AlwaysRecord`] |
//! | whatever the `OTEL_TRACES_SAMPLER` variable (or `OTEL_CONFIG_FILE`) says | [`from_env`] |
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
//!     .with_remote_parent_sampled(RateLimited::new(AlwaysOn, RateLimiter::new(200.0)?));
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
//! let sampler = ParentThreshold::new(Adaptive::new(20.0)?.with_time_constant(Duration::from_secs(30)));
//! let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
//! # let _ = provider;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Composable samplers
//!
//! OpenTelemetry standardised how samplers combine (SDK specification, "`CompositeSampler`"
//! and "Built-in `ComposableSamplers`"; status Development, so details may still move): a
//! [`ComposableSampler`] does not decide, it states an *intent*, a threshold (or none) and
//! whether that threshold gives a reliable count. The [`CompositeSampler`] asks its
//! composable for the intent and makes the one consistent decision: sample when the trace's
//! randomness `R` reaches the threshold, write `th` when the count is reliable, erase it
//! otherwise, keep `rv`. Composables nest:
//!
//! | composable | intent |
//! |---|---|
//! | [`ComposableAlwaysOn`] | threshold 0 (sampled spans carry `th:0`) |
//! | [`ComposableAlwaysOff`] | none: drop |
//! | [`ComposableProbability`] | the ratio's threshold |
//! | [`ComposableParentThreshold`] | roots: its root's; children: the parent's consistent threshold, or 0 (count unknown) under a sampled parent, or drop |
//! | [`ComposableRuleBased`] | the sampler of the first [`Rule`] whose [`Predicate`] matches; no match: drop |
//! | [`ComposableAnnotating`] | its delegate's, plus attributes on sampled spans |
//! | [`ComposableRateLimited`] | its delegate's, while a [`RateLimiter`] has tokens (count unknown) |
//! | [`Adaptive`] | a threshold that follows the traffic |
//!
//! [`Probability`] is `CompositeSampler(ComposableProbability)`, and [`ParentThreshold`]
//! decides children as `ComposableParentThreshold` does: every consistent sampler of this
//! module shares the one decision.
//!
//! ## Sampling by rules
//!
//! What operators configure most: "drop the health checks, keep every `/checkout`, 10% of
//! everything else, and honour callers who already decided". A [`SpanMatcher`] tests what the
//! configuration schema's rules test (attribute values and `*`/`?` patterns, span kinds,
//! where the parent is) and, as a tctx extension, the span name; any closure over
//! [`SamplingParams`] is a predicate too.
//!
//! ```
//! use opentelemetry::trace::SpanKind;
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use tctx::sampler::{
//!     ComposableAlwaysOff, ComposableAlwaysOn, ComposableParentThreshold, ComposableProbability,
//!     ComposableRuleBased, CompositeSampler, Rule, SpanMatcher,
//! };
//!
//! let rules = ComposableRuleBased::new([
//!     Rule::new(
//!         SpanMatcher::new().with_span_kinds([SpanKind::Server]).with_attribute_values("http.route", ["/healthz", "/livez"]),
//!         ComposableAlwaysOff,
//!     ),
//!     Rule::new(SpanMatcher::new().with_attribute_values("http.route", ["/checkout"]), ComposableAlwaysOn),
//!     Rule::new(SpanMatcher::new(), ComposableProbability::new(0.1)?),
//! ]);
//! // Roots by the rules; spans with a parent follow it, so callers' decisions stand.
//! let sampler = CompositeSampler::new(ComposableParentThreshold::new(rules));
//! let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
//! # let _ = provider;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same sampler from an OpenTelemetry configuration file (the schema's
//! `composite/development` node; see `tctx::config`):
//!
//! ```yaml
//! file_format: "1.0"
//! tracer_provider:
//!   sampler:
//!     composite/development:
//!       parent_threshold:
//!         root:
//!           rule_based:
//!             rules:
//!               - span_kinds: [server]
//!                 attribute_values: { key: http.route, values: [/healthz, /livez] }
//!                 sampler: { always_off: }
//!               - attribute_values: { key: http.route, values: [/checkout] }
//!                 sampler: { always_on: }
//!               - sampler: { probability: { ratio: 0.1 } }
//! ```
//!
//! # The random flag and `rv`
//!
//! The randomness `R` a decision compares with the threshold:
//!
//! 1. An explicit randomness value (`ot=rv:…`) always wins, and is never overwritten.
//! 2. Otherwise the right-most 56 bits of the trace-id, presumed random as the
//!    specification says ("Presumption of `TraceID` randomness"): a sampled span carries
//!    `th` whether or not its trace has the random flag. When a child is decided on a trace
//!    that is not known to be random (a Level 1 caller, no flag), a warning says once that
//!    callers should move to Level 2.
//! 3. A root started with an id generator that is not random gets a new `rv`, so that
//!    services downstream decide on true randomness. Say so once for the whole process, for
//!    the propagator and every sampler, before the first decision (the setting is fixed
//!    before first use; a later call changes nothing and returns `false`):
//!    [`TraceContextPropagator::set_random_trace_ids(false)`](crate::TraceContextPropagator::set_random_trace_ids).
//!
//! Whether a trace is known to be random is the propagator's knowledge: it keeps the Level 2
//! random flag from upstream (see [`TraceContextPropagator`](crate::TraceContextPropagator)).

mod adaptive;
mod always_record;
mod clock;
mod composable;
#[cfg(feature = "jaeger-remote")]
pub mod jaeger;
mod parent_based;
mod probability;
mod rate_limit;
mod ratio;
mod rules;

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use opentelemetry::trace::{
    Link, SpanContext, SpanKind, TraceContextExt, TraceId as OtelTraceId,
    TraceState as OtelTraceState,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};

use crate::otel::randomness::{random_trace_ids, trace_id_is_random};
use crate::probability::{OtValue, Randomness};

// Where users look for it; it lives in `config`, and nothing else here imports from there.
pub use crate::config::env::sampler_from_env as from_env;
pub use adaptive::Adaptive;
pub use always_record::AlwaysRecord;
pub use clock::{Clock, ManualClock, MonotonicClock};
pub use composable::{
    ComposableAlwaysOff, ComposableAlwaysOn, ComposableAnnotating, ComposableParentThreshold,
    ComposableProbability, ComposableSampler, CompositeSampler, ParentKind, SamplingIntent,
    SamplingParams, TraceStateProvider,
};
#[cfg(feature = "jaeger-remote")]
pub use jaeger::{JaegerRemote, JaegerRemoteBuilder, JaegerRemoteError};
pub use parent_based::ParentBased;

pub use probability::{ParentThreshold, Probability};
pub use rate_limit::{ComposableRateLimited, RateError, RateErrorKind, RateLimited, RateLimiter};
pub use ratio::TraceIdRatioBased;
pub use rules::{ComposableRuleBased, Predicate, Rule, SpanMatcher};

/// The key of OpenTelemetry's own tracestate member.
const OT_KEY: &str = "ot";

/// A sampler's name and configuration, as the SDK specification's `GetDescription` gives it:
/// `AlwaysOnSampler`, `TraceIdRatioBased{0.25}`,
/// `ParentBased{root:AlwaysOnSampler,remoteParentSampled:…}`. Every sampler of this module
/// has one, and its `Debug` text is the same.
///
/// The combinators of this module ([`ParentBased`], [`RateLimited`], [`ParentThreshold`],
/// [`AlwaysRecord`]) take any `ShouldSample` and describe it by its `Debug` text (every
/// `ShouldSample` has one), except the SDK's own `Sampler`, described as the specification
/// says. To give a sampler of another crate a description of your choice, wrap it in
/// [`Described`].
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
                describe(root.as_ref())
            ),
            #[allow(unreachable_patterns)] // variants behind features of the SDK
            other => format!("{other:?}"),
        }
    }
}

/// A shared delegate: samplers are immutable or share their state on purpose (a rate
/// limiter's budget), so clones of a combinator share their delegates. Any `ShouldSample`:
/// a decision costs the one virtual call it did when delegates had to be described.
pub(crate) type Delegate = Arc<dyn ShouldSample>;

/// `sampler` as a delegate. The SDK's `Sampler` is the one sampler whose `Debug` text is not
/// its description: it is wrapped (once, here) so that its description is the
/// specification's.
pub(crate) fn delegate(sampler: impl ShouldSample + 'static) -> Delegate {
    if let Some(sdk) = (&sampler as &dyn Any).downcast_ref::<Sampler>() {
        let description = sdk.description();
        return Arc::new(Described::new(sdk.clone(), description));
    }
    Arc::new(sampler)
}

/// The best description of a sampler known only as `ShouldSample`: its `Debug` text (which,
/// for tctx's samplers and [`Described`], is their description).
pub(crate) fn describe(sampler: &dyn ShouldSample) -> String {
    format!("{sampler:?}")
}

/// A sampler with a description of your choice: for a `ShouldSample` of another crate, whose
/// `Debug` text a combinator would show otherwise. It decides as the sampler inside does (a
/// call the compiler inlines: no allocation, no extra virtual call); its `Debug` text and
/// [`SamplerDescription`] are the description.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{Link, SpanKind, TraceId};
/// use opentelemetry::{Context, KeyValue};
/// use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};
/// use tctx::sampler::{Described, ParentBased, SamplerDescription};
///
/// /// A sampler from somewhere else: it implements `ShouldSample` and nothing of tctx.
/// #[derive(Clone, Debug)]
/// struct EveryOther;
///
/// impl ShouldSample for EveryOther {
///     fn should_sample(
///         &self,
///         _: Option<&Context>,
///         trace_id: TraceId,
///         _: &str,
///         _: &SpanKind,
///         _: &[KeyValue],
///         _: &[Link],
///     ) -> SamplingResult {
///         let sampled = u128::from_be_bytes(trace_id.to_bytes()) % 2 == 0;
///         SamplingResult {
///             decision: if sampled { SamplingDecision::RecordAndSample } else { SamplingDecision::Drop },
///             attributes: Vec::new(),
///             trace_state: Default::default(),
///         }
///     }
/// }
///
/// // Any ShouldSample is a delegate; its Debug text describes it...
/// assert!(ParentBased::new(EveryOther).description().starts_with("ParentBased{root:EveryOther,"));
/// // ...unless it is given a description.
/// let sampler = ParentBased::new(Described::new(EveryOther, "EveryOtherSampler"));
/// assert!(sampler.description().starts_with("ParentBased{root:EveryOtherSampler,"));
/// ```
#[derive(Clone)]
pub struct Described<S> {
    sampler: S,
    description: Cow<'static, str>,
}

impl<S> Described<S> {
    /// `sampler`, described as `description`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{Described, SamplerDescription};
    ///
    /// let sampler = Described::new(opentelemetry_sdk::trace::Sampler::AlwaysOn, "Everything");
    /// assert_eq!(sampler.description(), "Everything");
    /// assert_eq!(format!("{sampler:?}"), "Everything");
    /// ```
    #[must_use]
    pub fn new(sampler: S, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            sampler,
            description: description.into(),
        }
    }

    /// The sampler inside.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{AlwaysOn, Described};
    ///
    /// let sampler = Described::new(AlwaysOn, "On");
    /// let _: &AlwaysOn = sampler.get_ref();
    /// ```
    #[must_use]
    pub fn get_ref(&self) -> &S {
        &self.sampler
    }
}

impl<S: ShouldSample + Clone + 'static> ShouldSample for Described<S> {
    #[inline]
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: OtelTraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        self.sampler
            .should_sample(parent_context, trace_id, name, span_kind, attributes, links)
    }
}

impl<S> SamplerDescription for Described<S> {
    fn description(&self) -> String {
        self.description.clone().into_owned()
    }
}

impl<S> fmt::Debug for Described<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
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
#[derive(Clone, Copy, Default)]
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
#[derive(Clone, Copy, Default)]
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

impl fmt::Debug for AlwaysOn {
    /// The description: a combinator describes its delegate by its `Debug` text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

impl fmt::Debug for AlwaysOff {
    /// The description: a combinator describes its delegate by its `Debug` text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
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

/// The tracestate a sampler returns when it changes nothing ("samplers SHOULD normally return
/// the passed-in Tracestate"): the context's span's, valid or not, as the SDK's samplers
/// return it. Cloning an empty one does not allocate.
pub(crate) fn passed_in_trace_state(parent_context: Option<&Context>) -> OtelTraceState {
    parent_context.map_or_else(OtelTraceState::default, |cx| {
        cx.span().span_context().trace_state().clone()
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
    /// The trace-id: known to be random, or presumed so ("Presumption of `TraceID`
    /// randomness").
    TraceId(Randomness),
    /// A new `rv` for a root whose trace-id is not random: it must be written out.
    NewExplicit(Randomness),
}

impl RandomnessSource {
    pub(crate) fn value(self) -> Randomness {
        match self {
            Self::Explicit(r) | Self::TraceId(r) | Self::NewExplicit(r) => r,
        }
    }

    /// The `rv` to add to the tracestate, for a root whose trace-id is not random.
    pub(crate) fn new_explicit(self) -> Option<Randomness> {
        match self {
            Self::NewExplicit(r) => Some(r),
            Self::Explicit(_) | Self::TraceId(_) => None,
        }
    }

    /// Called when a decision rests on this randomness: a child decided on a trace-id that
    /// is not known to be random gets the specification's compatibility warning, once
    /// ("Compatibility warnings for `ProbabilitySampler`").
    pub(crate) fn note_decision(
        self,
        parent_context: Option<&Context>,
        parent: Option<&SpanContext>,
    ) {
        let (Self::TraceId(_), Some(parent)) = (self, parent) else {
            return;
        };
        if WARNED_PRESUMED.load(Ordering::Relaxed) {
            return; // the context lookup below is paid only until the warning is out
        }
        // A parent comes from a context, so there is one.
        let Some(cx) = parent_context else { return };
        if !trace_id_is_random(cx, parent, random_trace_ids()) {
            warn_once(&WARNED_PRESUMED, || {
                opentelemetry::otel_warn!(
                    name: "tctx.sampler.presumed_randomness",
                    message = "a probability sampler is presuming a trace-id is random, but \
                               its random flag is not set. Upgrade callers to W3C Trace \
                               Context Level 2."
                );
            });
        }
    }
}

/// The randomness of a span about to start ("Randomness Value (R)", "Presumption of `TraceID`
/// randomness"): `rv` if the parent has one; else, for a root whose trace-id is not random
/// ([`TraceContextPropagator::set_random_trace_ids`](crate::TraceContextPropagator::set_random_trace_ids)),
/// a new `rv`; else the trace-id, presumed random.
pub(crate) fn randomness(
    parent: Option<&SpanContext>,
    ot: &OtValue<'_>,
    trace_id: OtelTraceId,
) -> RandomnessSource {
    if let Some(rv) = ot.randomness() {
        RandomnessSource::Explicit(rv)
    } else if parent.is_none() && !random_trace_ids() {
        RandomnessSource::NewExplicit(Randomness::random())
    } else {
        RandomnessSource::TraceId(Randomness::from_trace_id_bytes(trace_id.to_bytes()))
    }
}

static WARNED_PRESUMED: AtomicBool = AtomicBool::new(false);

/// Calls `warn` the first time only. Once warned, a call only reads the flag: hot paths do
/// not write a shared cache line on every span.
pub(crate) fn warn_once(flag: &AtomicBool, warn: impl FnOnce()) {
    if !flag.load(Ordering::Relaxed) && !flag.swap(true, Ordering::Relaxed) {
        warn();
    }
}

/// The parent's `ot` tracestate value, or an empty one.
pub(crate) fn ot_value(trace_state: &OtelTraceState) -> OtValue<'_> {
    OtValue::parse(trace_state.get(OT_KEY).unwrap_or(""))
}

/// `trace_state` with its `ot` member replaced by `new_ot` (removed when empty); when `new_ot`
/// is the value `old` already has, `trace_state` is cloned, not rebuilt.
pub(crate) fn with_ot(
    trace_state: &OtelTraceState,
    old: &OtValue<'_>,
    new_ot: &str,
) -> OtelTraceState {
    // Mostly `new_ot` is `old`'s own text (`OtValue::with_threshold` changed nothing): the
    // same address and length, found without comparing bytes (callgrind: 15 instructions
    // less per decision than a compare alone).
    if std::ptr::eq(new_ot, old.as_str()) || new_ot == old.as_str() {
        return trace_state.clone();
    }
    let updated = if new_ot.is_empty() {
        trace_state.delete(OT_KEY)
    } else {
        trace_state.insert(OT_KEY, new_ot)
    };
    // Both only fail for keys or values outside the grammar, which `ot` and its rewritten
    // value are not. If they do, drop `ot` rather than keep a threshold that is now wrong.
    updated.unwrap_or_else(|_| {
        trace_state
            .delete(OT_KEY)
            .unwrap_or_else(|_| trace_state.clone())
    })
}
