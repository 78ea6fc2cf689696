//! Consistent probability sampling: `Probability` (the specification's `ProbabilitySampler`)
//! and `ParentThreshold` (its `ComposableParentThreshold`, as a sampler of its own).

use std::fmt;

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::ShouldSample;
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult};

use super::{
    consistent_decision, delegate, ot_value, result, with_ot, with_parent, Delegate,
    SamplerDescription,
};
use crate::probability::{ProbabilityError, Randomness, Threshold};

/// Where four significant hex digits would need more than the 12 the specification's
/// algorithm allows.
const TWO_TO_MINUS_32: f64 = 1.0 / 4_294_967_296.0;

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
/// Trace-id randomness is trusted when the trace's random flag is set (the
/// [`TraceContextPropagator`](crate::TraceContextPropagator) keeps it from upstream) or the
/// trace looks started in this process (no remote parent, no marker from the propagator
/// saying otherwise) and ids are random (see [`random_trace_ids`](Self::random_trace_ids));
/// the module docs give the rule in full. Otherwise:
/// - a root span gets a new explicit randomness value `rv` in its tracestate;
/// - a child of a trace whose randomness is not known (a Level 1 caller) is decided on the
///   trace-id, presumed random as the specification says, but carries no `th`, since its
///   adjusted count is not reliable; a warning is logged once.
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
#[derive(Clone, Debug)]
pub struct Probability {
    ratio: f64,
    threshold: Threshold,
    random_trace_ids: bool,
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
        let threshold = if ratio < TWO_TO_MINUS_32 {
            Threshold::from_probability_exact(ratio)?
        } else {
            Threshold::from_probability(ratio)?
        };
        Ok(Self::with_threshold(threshold).ratio_label(ratio))
    }

    /// Samples at exactly this threshold.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    /// use tctx::sampler::{Probability, SamplerDescription};
    ///
    /// let sampler = Probability::with_threshold(Threshold::from_probability_exact(0.01)?);
    /// assert_eq!(sampler.threshold().to_string(), "fd70a3d70a3d71");
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    #[must_use]
    pub fn with_threshold(threshold: Threshold) -> Self {
        Self {
            ratio: threshold.probability(),
            threshold,
            random_trace_ids: true,
        }
    }

    fn ratio_label(mut self, ratio: f64) -> Self {
        self.ratio = ratio;
        self
    }

    /// Whether trace-ids started in this process are random (default `true`, right for the
    /// SDK's default id generator). Set `false` for an id generator that is not: root spans
    /// then get an explicit randomness value `rv`. Match the propagator's setting of the same
    /// name.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampler = tctx::sampler::Probability::new(0.5)?.random_trace_ids(false);
    /// # let _ = sampler;
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    #[must_use]
    pub fn random_trace_ids(mut self, random: bool) -> Self {
        self.random_trace_ids = random;
        self
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
        self.threshold
    }
}

impl ShouldSample for Probability {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        _name: &str,
        _span_kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        with_parent(parent_context, |parent| {
            consistent_decision(
                parent_context,
                parent,
                trace_id,
                Some(self.threshold),
                self.random_trace_ids,
            )
        })
    }
}

impl SamplerDescription for Probability {
    fn description(&self) -> String {
        format!("ProbabilitySampler{{{}}}", self.ratio)
    }
}

/// Follows the parent's decision and keeps its threshold; roots go to `root`. The
/// specification's `ComposableParentThreshold` as a sampler.
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
    pub fn new(root: impl ShouldSample + SamplerDescription + 'static) -> Self {
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
        let followed = with_parent(parent_context, |parent| {
            let parent = parent?;
            let trace_state = parent.trace_state();
            let ot = ot_value(trace_state);
            let randomness = ot
                .randomness()
                .unwrap_or_else(|| Randomness::from_trace_id_bytes(trace_id.to_bytes()));
            let (decision, threshold) = if parent.is_sampled() {
                let consistent = ot.threshold().filter(|th| th.samples(randomness));
                (SamplingDecision::RecordAndSample, consistent)
            } else {
                (SamplingDecision::Drop, None)
            };
            let new_ot = ot.with_threshold(threshold);
            Some(result(decision, with_ot(trace_state, &ot, &new_ot)))
        });
        followed.unwrap_or_else(|| {
            self.root
                .should_sample(parent_context, trace_id, name, span_kind, attributes, links)
        })
    }
}

impl SamplerDescription for ParentThreshold {
    fn description(&self) -> String {
        format!("ParentThreshold{{root:{}}}", self.root.description())
    }
}

impl fmt::Debug for ParentThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}
