//! `TraceIdRatioBased`: the SDK's classic ratio sampler, kept bit for bit.

use std::fmt;
use std::sync::atomic::AtomicBool;

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::ShouldSample;
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult};

use super::{ot_value, passed_in_trace_state, result, warn_once, with_parent, SamplerDescription};

/// The SDK specification's `TraceIdRatioBased`, deciding exactly as
/// `opentelemetry_sdk::trace::Sampler::TraceIdRatioBased` 0.33 does: the low 8 bytes of the
/// trace-id, shifted right by one, below `ratio * 2^63`. Ratios of 1 or more sample every
/// span; 0 or less (and NaN) none. It ignores the parent's sampled flag and returns the
/// parent's tracestate unchanged.
///
/// Its decisions are not consistent with other SDKs (the algorithm was never specified), so
/// use it for root spans only, behind [`ParentBased`](super::ParentBased), during a migration;
/// [`Probability`](super::Probability) is its consistent successor. As the specification asks,
/// it warns (once) when it decides for a span that has a parent.
///
/// Description: `TraceIdRatioBased{RATIO}`.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{ParentBased, SamplerDescription, TraceIdRatioBased};
///
/// let sampler = TraceIdRatioBased::new(0.0001);
/// assert_eq!(sampler.description(), "TraceIdRatioBased{0.0001}");
/// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
///     .with_sampler(ParentBased::new(sampler))
///     .build();
/// # let _ = provider;
/// ```
#[derive(Clone, Copy)]
pub struct TraceIdRatioBased {
    ratio: f64,
}

impl TraceIdRatioBased {
    /// A sampler keeping about `ratio` of all traces.
    ///
    /// # Examples
    ///
    /// ```
    /// let sampler = tctx::sampler::TraceIdRatioBased::new(0.25);
    /// assert_eq!(sampler.ratio(), 0.25);
    /// ```
    #[must_use]
    pub fn new(ratio: f64) -> Self {
        Self { ratio }
    }

    /// The configured ratio.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(tctx::sampler::TraceIdRatioBased::new(1.0).ratio(), 1.0);
    /// ```
    #[must_use]
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    fn decide(self, trace_id: TraceId) -> SamplingDecision {
        if self.ratio >= 1.0 {
            return SamplingDecision::RecordAndSample;
        }
        #[allow(
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation
        )]
        let upper_bound = (self.ratio.max(0.0) * (1u64 << 63) as f64) as u64;
        let bytes = trace_id.to_bytes();
        let mut low = [0u8; 8];
        low.copy_from_slice(&bytes[8..]);
        if u64::from_be_bytes(low) >> 1 < upper_bound {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        }
    }
}

impl ShouldSample for TraceIdRatioBased {
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
            if let Some(parent) = parent {
                warn_child_use(ot_value(parent.trace_state()).threshold().is_some());
            }
        });
        result(self.decide(trace_id), passed_in_trace_state(parent_context))
    }
}

/// "Compatibility warnings for `TraceIdRatioBased` sampler": once per process.
fn warn_child_use(parent_uses_probability: bool) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    warn_once(&WARNED, || {
        if parent_uses_probability {
            opentelemetry::otel_warn!(
                name: "tctx.sampler.trace_id_ratio_child",
                message = "The TraceIdRatioBased sampler is operating as a child sampler and a \
                           parent is using ProbabilitySampler. Please upgrade this SDK \
                           configuration to use ProbabilitySampler."
            );
        } else {
            opentelemetry::otel_warn!(
                name: "tctx.sampler.trace_id_ratio_child",
                message = "The TraceIdRatioBased sampler is operating as a child sampler; the \
                           behavior is subject to change. Please upgrade this SDK configuration \
                           to use ProbabilitySampler."
            );
        }
    });
}

impl SamplerDescription for TraceIdRatioBased {
    fn description(&self) -> String {
        format!("TraceIdRatioBased{{{}}}", self.ratio)
    }
}

impl fmt::Debug for TraceIdRatioBased {
    /// The description: a combinator describes its delegate by its `Debug` text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}
