//! `ParentBased`: the SDK specification's decorator with its five branches.

use std::fmt;

use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SamplingResult;
use opentelemetry_sdk::trace::ShouldSample;

use super::{delegate, describe, with_parent, AlwaysOff, AlwaysOn, Delegate, SamplerDescription};

/// Follows the parent's sampled flag, with a sampler for each of the five cases of the SDK
/// specification ("ParentBased"): no parent (`root`), a remote parent sampled or not, a local
/// parent sampled or not. The defaults after `root` are `AlwaysOn` for sampled parents and
/// `AlwaysOff` for the others. The chosen sampler's result is returned whole: decision,
/// attributes and tracestate.
///
/// "No parent" means no *valid* parent span context, as the specification says; a context
/// that holds a span with an invalid span context is a root. (The SDK's `Sampler::ParentBased`
/// treats it as an unsampled parent instead.)
///
/// Each branch takes any `ShouldSample` (see [`SamplerDescription`] for how it is described),
/// so the branches compose:
/// "honour an upstream sampled flag, but at most 100 per second" is
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::{AlwaysOn, ParentBased, Probability, RateLimited, RateLimiter};
///
/// let sampler = ParentBased::new(Probability::new(0.1)?)
///     .with_remote_parent_sampled(RateLimited::new(AlwaysOn, RateLimiter::new(100.0)?));
/// let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
/// # let _ = provider;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ParentBased {
    root: Branch,
    remote_parent_sampled: Branch,
    remote_parent_not_sampled: Branch,
    local_parent_sampled: Branch,
    local_parent_not_sampled: Branch,
}

/// A branch's sampler. The defaults are decided in place, without a virtual call: following
/// the parent is the common case, and costs no more than the SDK's own `ParentBased`.
#[derive(Clone)]
enum Branch {
    AlwaysOn,
    AlwaysOff,
    Delegate(Delegate),
}

impl Branch {
    fn of(sampler: impl ShouldSample + 'static) -> Self {
        Self::Delegate(delegate(sampler))
    }

    fn description(&self) -> String {
        match self {
            Self::AlwaysOn => AlwaysOn.description(),
            Self::AlwaysOff => AlwaysOff.description(),
            Self::Delegate(sampler) => describe(sampler.as_ref()),
        }
    }
}

impl ParentBased {
    /// Root spans go to `root`; children follow their parent's sampled flag.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{ParentBased, SamplerDescription, TraceIdRatioBased};
    ///
    /// let sampler = ParentBased::new(TraceIdRatioBased::new(0.25));
    /// assert!(sampler.description().starts_with("ParentBased{root:TraceIdRatioBased{0.25},"));
    /// ```
    #[must_use]
    pub fn new(root: impl ShouldSample + 'static) -> Self {
        Self {
            root: Branch::of(root),
            remote_parent_sampled: Branch::AlwaysOn,
            remote_parent_not_sampled: Branch::AlwaysOff,
            local_parent_sampled: Branch::AlwaysOn,
            local_parent_not_sampled: Branch::AlwaysOff,
        }
    }

    /// The sampler for spans whose parent is remote and sampled (default `AlwaysOn`).
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{AlwaysOn, ParentBased, RateLimited, RateLimiter};
    ///
    /// let sampler = ParentBased::new(AlwaysOn)
    ///     .with_remote_parent_sampled(RateLimited::new(AlwaysOn, RateLimiter::new(10.0)?));
    /// # let _ = sampler;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_remote_parent_sampled(mut self, sampler: impl ShouldSample + 'static) -> Self {
        self.remote_parent_sampled = Branch::of(sampler);
        self
    }

    /// The sampler for spans whose parent is remote and not sampled (default `AlwaysOff`).
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{AlwaysOn, ParentBased, Probability};
    ///
    /// // Give unsampled callers a 1% chance anyway.
    /// let sampler = ParentBased::new(AlwaysOn).with_remote_parent_not_sampled(Probability::new(0.01)?);
    /// # let _ = sampler;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_remote_parent_not_sampled(mut self, sampler: impl ShouldSample + 'static) -> Self {
        self.remote_parent_not_sampled = Branch::of(sampler);
        self
    }

    /// The sampler for spans whose parent is local and sampled (default `AlwaysOn`).
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{AlwaysOn, ParentBased};
    ///
    /// let sampler = ParentBased::new(AlwaysOn).with_local_parent_sampled(AlwaysOn);
    /// # let _ = sampler;
    /// ```
    #[must_use]
    pub fn with_local_parent_sampled(mut self, sampler: impl ShouldSample + 'static) -> Self {
        self.local_parent_sampled = Branch::of(sampler);
        self
    }

    /// The sampler for spans whose parent is local and not sampled (default `AlwaysOff`).
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{AlwaysOff, AlwaysOn, ParentBased};
    ///
    /// let sampler = ParentBased::new(AlwaysOn).with_local_parent_not_sampled(AlwaysOff);
    /// # let _ = sampler;
    /// ```
    #[must_use]
    pub fn with_local_parent_not_sampled(mut self, sampler: impl ShouldSample + 'static) -> Self {
        self.local_parent_not_sampled = Branch::of(sampler);
        self
    }
}

impl ShouldSample for ParentBased {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let branch = with_parent(parent_context, |parent| match parent {
            None => &self.root,
            Some(parent) => match (parent.is_remote(), parent.is_sampled()) {
                (true, true) => &self.remote_parent_sampled,
                (true, false) => &self.remote_parent_not_sampled,
                (false, true) => &self.local_parent_sampled,
                (false, false) => &self.local_parent_not_sampled,
            },
        });
        match branch {
            Branch::AlwaysOn => {
                AlwaysOn.should_sample(parent_context, trace_id, name, span_kind, attributes, links)
            }
            Branch::AlwaysOff => AlwaysOff.should_sample(
                parent_context,
                trace_id,
                name,
                span_kind,
                attributes,
                links,
            ),
            Branch::Delegate(sampler) => {
                sampler.should_sample(parent_context, trace_id, name, span_kind, attributes, links)
            }
        }
    }
}

impl SamplerDescription for ParentBased {
    fn description(&self) -> String {
        format!(
            "ParentBased{{root:{},remoteParentSampled:{},remoteParentNotSampled:{},\
             localParentSampled:{},localParentNotSampled:{}}}",
            self.root.description(),
            self.remote_parent_sampled.description(),
            self.remote_parent_not_sampled.description(),
            self.local_parent_sampled.description(),
            self.local_parent_not_sampled.description(),
        )
    }
}

impl fmt::Debug for ParentBased {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}
