//! `AlwaysRecord`: every span reaches the span processors, sampled or not.

use std::fmt;

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};

use super::{delegate, describe, Delegate, SamplerDescription};

/// Turns its root sampler's `DROP` into `RECORD_ONLY`, so that span processors see every
/// span (for span-to-metrics) while exporters still get only the sampled ones (SDK
/// specification, "AlwaysRecord"):
///
/// | root sampler's decision | `AlwaysRecord`'s |
/// |---|---|
/// | `DROP` | `RECORD_ONLY` |
/// | `RECORD_ONLY` | `RECORD_ONLY` |
/// | `RECORD_AND_SAMPLE` | `RECORD_AND_SAMPLE` |
///
/// The root's attributes and tracestate are kept. Description `AlwaysRecord{root:…}`.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{Span, Tracer, TracerProvider};
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::{AlwaysOff, AlwaysRecord};
///
/// let provider = SdkTracerProvider::builder().with_sampler(AlwaysRecord::new(AlwaysOff)).build();
/// let span = provider.tracer("doc").start("recorded");
/// assert!(span.is_recording());
/// assert!(!span.span_context().is_sampled());
/// ```
#[derive(Clone)]
pub struct AlwaysRecord {
    root: Delegate,
}

impl AlwaysRecord {
    /// Records every span `root` drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{AlwaysRecord, ParentBased, Probability, SamplerDescription};
    ///
    /// let sampler = AlwaysRecord::new(Probability::new(0.5)?);
    /// assert_eq!(sampler.description(), "AlwaysRecord{root:ProbabilitySampler{0.5}}");
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    #[must_use]
    pub fn new(root: impl ShouldSample + 'static) -> Self {
        Self {
            root: delegate(root),
        }
    }
}

impl ShouldSample for AlwaysRecord {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let mut result =
            self.root
                .should_sample(parent_context, trace_id, name, span_kind, attributes, links);
        if result.decision == SamplingDecision::Drop {
            result.decision = SamplingDecision::RecordOnly;
        }
        result
    }
}

impl SamplerDescription for AlwaysRecord {
    fn description(&self) -> String {
        format!("AlwaysRecord{{root:{}}}", describe(self.root.as_ref()))
    }
}

impl fmt::Debug for AlwaysRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}
