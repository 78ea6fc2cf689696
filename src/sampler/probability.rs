//! Consistent probability sampling: `Probability` (the specification's `ProbabilitySampler`)
//! and `ParentThreshold` (its `ComposableParentThreshold`, as a sampler of its own).

use std::fmt;

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SamplingResult;
use opentelemetry_sdk::trace::ShouldSample;

use super::composable::{decide, follow_parent, SamplingIntent, SamplingParams};
use super::{
    delegate, describe, with_parent, ComposableProbability, ComposableSampler, Delegate,
    SamplerDescription,
};
use crate::probability::{ProbabilityError, Threshold};

/// Samples a fixed fraction of traces, consistently: every service that uses it on the same
/// trace, at the same or a higher probability, samples it too. The specification's
/// `ProbabilitySampler` ("`TraceState`: Probability Sampling").
///
/// The ratio becomes a 56-bit rejection threshold `T` (4 significant hex digits by default);
/// the randomness `R` is the parent's `rv` if it has one, else the right-most 7 bytes of the
/// trace-id. A span is sampled when `R >= T`, and then carries `ot=th:T` in its tracestate, so
/// that collectors know its adjusted count. It ignores the parent's sampled flag: put it
/// behind [`ParentBased`](super::ParentBased) or [`ParentThreshold`] to honour it.
///
/// It is the specification's `CompositeSampler` over a `ComposableProbability`, and
/// decides exactly as [`CompositeSampler::new(ComposableProbability::new(ratio)?)`](super::CompositeSampler)
/// does. Trace-ids are presumed random ("Presumption of `TraceID` randomness") unless the
/// parent has an `rv`: a child of a Level 1 caller (no random flag) is decided on its
/// trace-id and, when sampled, carries `th` like any other; a warning says once that callers
/// should move to Level 2. A root whose trace-id is not random
/// ([`TraceContextPropagator::set_random_trace_ids(false)`](crate::TraceContextPropagator::set_random_trace_ids))
/// gets a new explicit `rv` instead.
///
/// The tracestate is left alone (not rebuilt, not allocated) when `ot` does not change: a
/// dropped span with no `th`, or a sampled span whose parent already has this `th`.
///
/// Description: `ProbabilitySampler{RATIO}`.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{Tracer, TracerProvider, Span};
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::Probability;
///
/// let provider = SdkTracerProvider::builder()
///     .with_sampler(Probability::new(0.25)?)
///     .build();
/// let span = provider.tracer("doc").start("root");
/// if span.span_context().is_sampled() {
///     assert_eq!(span.span_context().trace_state().get("ot"), Some("th:c"));
/// }
/// # Ok::<(), tctx::probability::ProbabilityError>(())
/// ```
#[derive(Clone)]
pub struct Probability {
    sampler: ComposableProbability,
}

impl Probability {
    /// Samples `ratio` of all traces, from 2^-56 to 1, with the default precision (`0.1`
    /// becomes `th:e666`, a probability of 0.100006). Below 2^-32 the specification's
    /// algorithm runs out of digits (it stops at 12, which cannot go below 2^-48), so such
    /// ratios get all 56 bits instead.
    ///
    /// # Errors
    ///
    /// When `ratio` is not in `[2^-56, 1]`: use [`AlwaysOff`](super::AlwaysOff) for zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::Probability;
    ///
    /// assert_eq!(Probability::new(0.1)?.threshold().to_string(), "e666");
    /// assert!(Probability::new(0.0).is_err());
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    pub fn new(ratio: f64) -> Result<Self, ProbabilityError> {
        Ok(Self {
            sampler: ComposableProbability::new(ratio)?,
        })
    }

    /// Samples at exactly this threshold.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    /// use tctx::sampler::{Probability, SamplerDescription};
    ///
    /// let sampler = Probability::from_threshold(Threshold::from_probability_exact(0.01)?);
    /// assert_eq!(sampler.threshold().to_string(), "fd70a3d70a3d71");
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    #[must_use]
    pub fn from_threshold(threshold: Threshold) -> Self {
        Self {
            sampler: ComposableProbability::from_threshold(threshold),
        }
    }

    /// The rejection threshold `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(tctx::sampler::Probability::new(0.25)?.threshold().to_string(), "c");
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    #[must_use]
    pub fn threshold(&self) -> Threshold {
        self.sampler.threshold()
    }
}

impl ShouldSample for Probability {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        decide(
            &self.sampler,
            parent_context,
            trace_id,
            name,
            span_kind,
            attributes,
            links,
        )
    }
}

impl SamplerDescription for Probability {
    fn description(&self) -> String {
        format!("ProbabilitySampler{{{}}}", self.sampler.ratio())
    }
}

/// Follows the parent's decision and keeps its threshold; roots go to `root`. The
/// specification's `ComposableParentThreshold` as a sampler, with any `ShouldSample` at the
/// root; children are decided exactly as
/// [`ComposableParentThreshold`](super::ComposableParentThreshold) decides them.
///
/// - No valid parent: `root` decides, and its whole result is returned.
/// - A sampled parent: sampled. Its `th` stays if it is consistent with the span's
///   randomness (`R >= T`, `R` from `rv` or the trace-id) and is erased otherwise
///   ("General requirements": an apparently inconsistent threshold must be erased).
/// - A parent that is not sampled: dropped, and any `th` erased.
///
/// The tracestate is not rebuilt when nothing changes.
///
/// Description: `ParentThreshold{root:…}`.
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::{ParentThreshold, Probability};
///
/// // Roots at 10%; children keep their parent's decision and th.
/// let provider = SdkTracerProvider::builder()
///     .with_sampler(ParentThreshold::new(Probability::new(0.1)?))
///     .build();
/// # let _ = provider;
/// # Ok::<(), tctx::probability::ProbabilityError>(())
/// ```
#[derive(Clone)]
pub struct ParentThreshold {
    root: Delegate,
}

impl ParentThreshold {
    /// Roots go to `root`; every other span follows its parent.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{AlwaysOn, ParentThreshold, SamplerDescription};
    ///
    /// let sampler = ParentThreshold::new(AlwaysOn);
    /// assert_eq!(sampler.description(), "ParentThreshold{root:AlwaysOnSampler}");
    /// ```
    #[must_use]
    pub fn new(root: impl ShouldSample + 'static) -> Self {
        Self {
            root: delegate(root),
        }
    }
}

impl ShouldSample for ParentThreshold {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        if with_parent(parent_context, |parent| parent.is_none()) {
            return self.root.should_sample(
                parent_context,
                trace_id,
                name,
                span_kind,
                attributes,
                links,
            );
        }
        decide(
            &FollowParent,
            parent_context,
            trace_id,
            name,
            span_kind,
            attributes,
            links,
        )
    }
}

/// The intent of a span with a parent under [`ParentThreshold`].
struct FollowParent;

impl ComposableSampler for FollowParent {
    fn sampling_intent<'s>(&'s self, params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        params
            .parent()
            .map_or_else(SamplingIntent::no_threshold, |parent| {
                follow_parent(params, parent)
            })
    }
}

impl SamplerDescription for FollowParent {
    fn description(&self) -> String {
        "FollowParent".to_owned()
    }
}

impl SamplerDescription for ParentThreshold {
    fn description(&self) -> String {
        format!("ParentThreshold{{root:{}}}", describe(self.root.as_ref()))
    }
}

impl fmt::Debug for Probability {
    /// The description: a combinator describes its delegate by its `Debug` text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

impl fmt::Debug for ParentThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}
