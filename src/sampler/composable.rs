//! The composable samplers of the SDK specification ("`CompositeSampler`",
//! "`ComposableSampler`", "Built-in `ComposableSamplers`"): a [`ComposableSampler`] states an intent (a threshold, or
//! none), and the [`CompositeSampler`] turns it into the decision. The threshold compare,
//! writing and erasing `th`, and keeping `rv` live here once, in [`decide`]; every consistent
//! sampler of this module ([`Probability`](super::Probability),
//! [`ParentThreshold`](super::ParentThreshold), [`Adaptive`](super::Adaptive)) decides
//! through it.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use opentelemetry::trace::{
    Link, SpanContext, SpanKind, TraceContextExt, TraceId, TraceState as OtelTraceState,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};

use super::{ot_value, randomness, with_ot, SamplerDescription};
use crate::probability::{ProbabilityError, Randomness, Threshold};

/// What a [`ComposableSampler`] is asked about: the arguments of `ShouldSample` but the
/// trace-id ("`GetSamplingIntent`": "All of the original Sampler API parameters except
/// `traceId`"), with the parent's sampling state read once for every sampler of a composition
/// ("Parent context, threshold, incoming trace state, and trace flag information MAY be
/// precomputed").
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{SpanKind, TraceId};
/// use opentelemetry::KeyValue;
/// use tctx::sampler::{ParentKind, SamplingParams};
///
/// let attributes = [KeyValue::new("http.route", "/checkout")];
/// let params = SamplingParams::new(None, TraceId::from(7), "GET", &SpanKind::Server, &attributes, &[]);
/// assert_eq!(params.parent_kind(), ParentKind::None);
/// assert_eq!(params.attribute("http.route").map(|v| v.as_str().into_owned()), Some("/checkout".into()));
/// ```
pub struct SamplingParams<'a> {
    /// The index of the attribute [`attribute`](Self::attribute) found last ([`NOT_FOUND`]
    /// before): rules mostly test the same key one after the other, and a hit then costs one
    /// key compare. An atomic rather than a `Cell`, so that params are `Sync` (a sampler may
    /// hand them to threads); a relaxed load or store is a plain one on common targets.
    last_found: AtomicUsize,
    parent_context: Option<&'a Context>,
    parent: Option<&'a SpanContext>,
    parent_threshold: Option<Threshold>,
    randomness: Randomness,
    name: &'a str,
    span_kind: &'a SpanKind,
    attributes: &'a [KeyValue],
    links: &'a [Link],
}

/// Where a span's parent is, for rules that match on it (the configuration schema's
/// `ExperimentalSpanParent`).
///
/// # Examples
///
/// ```
/// use tctx::sampler::{ParentKind, SpanMatcher};
///
/// // Rules for spans that continue a caller's trace.
/// let matcher = SpanMatcher::new().with_parents([ParentKind::Remote]);
/// # let _ = matcher;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParentKind {
    /// No valid parent: the span starts a trace.
    None,
    /// A parent from another process (`SpanContext::is_remote`).
    Remote,
    /// A parent in this process.
    Local,
}

/// [`SamplingParams::last_found`] when no attribute was found yet.
const NOT_FOUND: usize = usize::MAX;

impl Clone for SamplingParams<'_> {
    fn clone(&self) -> Self {
        Self {
            last_found: AtomicUsize::new(self.last_found.load(Ordering::Relaxed)),
            ..*self
        }
    }
}

impl<'a> SamplingParams<'a> {
    /// The parameters of a span about to start under `parent` (`None`, or an invalid span
    /// context, for a root), for testing a composable sampler or a predicate: the
    /// [`CompositeSampler`] builds them itself from `ShouldSample`'s arguments. The trace-id
    /// is read for the randomness, and not kept; [`parent_context`](Self::parent_context) is
    /// `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::trace::{SpanKind, TraceId};
    /// use tctx::sampler::SamplingParams;
    ///
    /// let params = SamplingParams::new(None, TraceId::from(1), "span", &SpanKind::Internal, &[], &[]);
    /// assert_eq!(params.name(), "span");
    /// assert!(params.parent().is_none());
    /// ```
    #[must_use]
    pub fn new(
        parent: Option<&'a SpanContext>,
        trace_id: TraceId,
        name: &'a str,
        span_kind: &'a SpanKind,
        attributes: &'a [KeyValue],
        links: &'a [Link],
    ) -> Self {
        // A root's span context may be invalid and still carry the user's tracestate (and rv).
        let ot = ot_value(parent.map_or(&OtelTraceState::NONE, SpanContext::trace_state));
        let parent = parent.filter(|parent| parent.is_valid());
        let randomness = ot
            .randomness()
            .unwrap_or_else(|| Randomness::from_trace_id_bytes(trace_id.to_bytes()));
        Self::with_parent(
            None,
            parent,
            ot.threshold(),
            randomness,
            name,
            span_kind,
            attributes,
            links,
        )
    }

    #[allow(clippy::too_many_arguments)] // the SDK's arguments, plus what is read once
    fn with_parent(
        parent_context: Option<&'a Context>,
        parent: Option<&'a SpanContext>,
        threshold: Option<Threshold>,
        randomness: Randomness,
        name: &'a str,
        span_kind: &'a SpanKind,
        attributes: &'a [KeyValue],
        links: &'a [Link],
    ) -> Self {
        // A sampled parent's th is kept only when it is consistent with the randomness
        // ("General requirements": erase an apparently inconsistent threshold).
        let parent_threshold = parent
            .filter(|parent| parent.is_sampled())
            .and(threshold)
            .filter(|th| th.samples(randomness));
        Self {
            last_found: AtomicUsize::new(NOT_FOUND),
            parent_context,
            parent,
            parent_threshold,
            randomness,
            name,
            span_kind,
            attributes,
            links,
        }
    }

    /// The parent context as the SDK passed it (`None` for params made with
    /// [`new`](Self::new)).
    #[must_use]
    pub fn parent_context(&self) -> Option<&'a Context> {
        self.parent_context
    }

    /// The parent's span context, if it is valid; `None` for a root span.
    #[must_use]
    pub fn parent(&self) -> Option<&'a SpanContext> {
        self.parent
    }

    /// Whether the parent is absent, remote or local.
    #[must_use]
    pub fn parent_kind(&self) -> ParentKind {
        match self.parent {
            None => ParentKind::None,
            Some(parent) if parent.is_remote() => ParentKind::Remote,
            Some(_) => ParentKind::Local,
        }
    }

    /// The threshold of a sampled parent, when its `ot=th:` is present and consistent with
    /// the trace's randomness; otherwise `None`.
    #[must_use]
    pub fn parent_threshold(&self) -> Option<Threshold> {
        self.parent_threshold
    }

    /// The trace's randomness `R`: the parent's `rv`, or the right-most 56 bits of the
    /// trace-id. A tctx extension, for samplers whose count is unreliable anyway (rate
    /// limiting): a sampler whose intent is reliable must not condition its threshold on it
    /// ("General requirements").
    #[must_use]
    pub fn randomness(&self) -> Randomness {
        self.randomness
    }

    /// The name of the span about to start.
    #[must_use]
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The kind of the span about to start.
    #[must_use]
    pub fn span_kind(&self) -> &'a SpanKind {
        self.span_kind
    }

    /// The span's initial attributes.
    #[must_use]
    pub fn attributes(&self) -> &'a [KeyValue] {
        self.attributes
    }

    /// The value of the first attribute named `key`.
    #[must_use]
    pub fn attribute(&self, key: &str) -> Option<&'a opentelemetry::Value> {
        if let Some(kv) = self.attributes.get(self.last_found.load(Ordering::Relaxed)) {
            if kv.key.as_str() == key {
                return Some(&kv.value);
            }
        }
        let index = self
            .attributes
            .iter()
            .position(|kv| kv.key.as_str() == key)?;
        self.last_found.store(index, Ordering::Relaxed);
        Some(&self.attributes[index].value)
    }

    /// The span's links.
    #[must_use]
    pub fn links(&self) -> &'a [Link] {
        self.links
    }
}

impl fmt::Debug for SamplingParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamplingParams")
            .field("parent", &self.parent)
            .field("parent_threshold", &self.parent_threshold)
            .field("name", &self.name)
            .field("span_kind", &self.span_kind)
            .field("attributes", &self.attributes)
            .finish_non_exhaustive()
    }
}

/// A provider of the tracestate of a span ("`trace_state_provider`"): called with the
/// parent's tracestate and the final decision. The [`CompositeSampler`] then sets the `ot`
/// member itself, so whatever a provider writes there is replaced ("`ComposableSamplers` MUST
/// NOT modify the OpenTelemetry `TraceState`").
///
/// Any `Fn(&TraceState, bool) -> TraceState` is one.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::TraceState;
/// use tctx::sampler::TraceStateProvider;
///
/// let mark = |parent: &TraceState, sampled: bool| {
///     parent.insert("svc", if sampled { "kept" } else { "dropped" }).unwrap_or_else(|_| parent.clone())
/// };
/// assert_eq!(mark.trace_state(&TraceState::default(), true).get("svc"), Some("kept"));
/// ```
pub trait TraceStateProvider: Send + Sync {
    /// The tracestate for the span, from the parent's and the decision.
    fn trace_state(&self, parent: &OtelTraceState, sampled: bool) -> OtelTraceState;
}

impl<F> TraceStateProvider for F
where
    F: Fn(&OtelTraceState, bool) -> OtelTraceState + Send + Sync,
{
    fn trace_state(&self, parent: &OtelTraceState, sampled: bool) -> OtelTraceState {
        self(parent, sampled)
    }
}

/// A sampler's preference for a span ("`SamplingIntent`"): the threshold to sample at (or
/// none: drop), whether the threshold gives a reliable adjusted count, attributes for the span
/// if it is sampled, and optionally a tracestate provider.
///
/// Attributes are borrowed from the sampler and copied only when the span is sampled.
///
/// # Examples
///
/// ```
/// use tctx::probability::Threshold;
/// use tctx::sampler::SamplingIntent;
///
/// let intent = SamplingIntent::sample_at(Threshold::SAMPLE_ALL);
/// assert_eq!(intent.threshold(), Some(Threshold::SAMPLE_ALL));
/// assert!(intent.adjusted_count_reliable());
/// assert_eq!(SamplingIntent::no_threshold().threshold(), None);
/// ```
pub struct SamplingIntent<'s> {
    threshold: Option<Threshold>,
    adjusted_count_reliable: bool,
    attributes: Attributes<'s>,
    trace_state: Option<&'s dyn TraceStateProvider>,
}

/// Attributes gathered from the samplers of a composition, copied out only for sampled spans.
enum Attributes<'s> {
    None,
    Borrowed(&'s [KeyValue]),
    Owned(Vec<KeyValue>),
}

impl<'s> SamplingIntent<'s> {
    /// Sample when `R >= threshold`, with a reliable adjusted count.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    /// use tctx::sampler::SamplingIntent;
    ///
    /// let intent = SamplingIntent::sample_at(Threshold::from_probability(0.5)?);
    /// assert_eq!(intent.threshold().map(|th| th.to_string()), Some("8".to_owned()));
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    #[must_use]
    pub fn sample_at(threshold: Threshold) -> Self {
        Self::new(Some(threshold), true)
    }

    /// Drop the span: no threshold, and no reliable count.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!tctx::sampler::SamplingIntent::no_threshold().adjusted_count_reliable());
    /// ```
    #[must_use]
    pub fn no_threshold() -> Self {
        Self::new(None, false)
    }

    /// An intent from its two numbers. With `adjusted_count_reliable` false, the
    /// [`CompositeSampler`] compares the threshold with fresh randomness and erases `th`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    /// use tctx::sampler::SamplingIntent;
    ///
    /// // Sampled, but at no known probability (a rate limiter's admission).
    /// let intent = SamplingIntent::new(Some(Threshold::SAMPLE_ALL), false);
    /// assert!(!intent.adjusted_count_reliable());
    /// ```
    #[must_use]
    pub fn new(threshold: Option<Threshold>, adjusted_count_reliable: bool) -> Self {
        Self {
            threshold,
            adjusted_count_reliable,
            attributes: Attributes::None,
            trace_state: None,
        }
    }

    /// The threshold, or `None` to drop.
    #[must_use]
    pub fn threshold(&self) -> Option<Threshold> {
        self.threshold
    }

    /// Whether the threshold gives a reliable adjusted count.
    #[must_use]
    pub fn adjusted_count_reliable(&self) -> bool {
        self.adjusted_count_reliable
    }

    /// Adds `attributes` to the span if it is sampled (after those already added).
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::KeyValue;
    /// use tctx::sampler::SamplingIntent;
    ///
    /// let extra = [KeyValue::new("sampling.rule", "checkout")];
    /// let intent = SamplingIntent::no_threshold().with_attributes(&extra);
    /// # let _ = intent;
    /// ```
    #[must_use]
    pub fn with_attributes(mut self, attributes: &'s [KeyValue]) -> Self {
        if attributes.is_empty() {
            return self;
        }
        self.attributes = match self.attributes {
            Attributes::None => Attributes::Borrowed(attributes),
            Attributes::Borrowed(first) => Attributes::Owned([first, attributes].concat()),
            Attributes::Owned(mut all) => {
                all.extend_from_slice(attributes);
                Attributes::Owned(all)
            }
        };
        self
    }

    /// Adds owned `attributes` (computed for this span) if it is sampled.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::KeyValue;
    /// use tctx::sampler::SamplingIntent;
    ///
    /// let intent = SamplingIntent::no_threshold().with_owned_attributes(vec![KeyValue::new("a", 1)]);
    /// # let _ = intent;
    /// ```
    #[must_use]
    pub fn with_owned_attributes(mut self, attributes: Vec<KeyValue>) -> Self {
        if attributes.is_empty() {
            return self;
        }
        self.attributes = match self.attributes {
            Attributes::None => Attributes::Owned(attributes),
            Attributes::Borrowed(first) => Attributes::Owned([first, &attributes].concat()),
            Attributes::Owned(mut all) => {
                all.extend(attributes);
                Attributes::Owned(all)
            }
        };
        self
    }

    /// Sets the tracestate provider (replacing one set before).
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::trace::TraceState;
    /// use tctx::sampler::{SamplingIntent, TraceStateProvider};
    ///
    /// fn keep(parent: &TraceState, _sampled: bool) -> TraceState { parent.clone() }
    /// let provider: &'static dyn TraceStateProvider = &keep;
    /// let intent = SamplingIntent::no_threshold().with_trace_state_provider(provider);
    /// # let _ = intent;
    /// ```
    #[must_use]
    pub fn with_trace_state_provider(mut self, provider: &'s dyn TraceStateProvider) -> Self {
        self.trace_state = Some(provider);
        self
    }

    /// The same intent at another threshold and reliability, keeping attributes and provider.
    pub(crate) fn rethreshold(mut self, threshold: Option<Threshold>, reliable: bool) -> Self {
        self.threshold = threshold;
        self.adjusted_count_reliable = reliable;
        self
    }

    fn into_attributes(self) -> Vec<KeyValue> {
        match self.attributes {
            Attributes::None => Vec::new(),
            Attributes::Borrowed(attributes) => attributes.to_vec(),
            Attributes::Owned(attributes) => attributes,
        }
    }
}

impl fmt::Debug for SamplingIntent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamplingIntent")
            .field("threshold", &self.threshold)
            .field("adjusted_count_reliable", &self.adjusted_count_reliable)
            .field("trace_state_provider", &self.trace_state.is_some())
            .finish_non_exhaustive()
    }
}

/// A sampler that states an intent instead of deciding ("`ComposableSampler`"), so that
/// samplers compose: a rule picks a sampler, a parent-based sampler wraps a root sampler, and
/// the [`CompositeSampler`] makes one consistent decision from the result.
///
/// Implement it for a sampler of your own; it must not change `params` or write the `ot`
/// tracestate member (the `CompositeSampler` owns both).
///
/// # Examples
///
/// ```
/// use tctx::probability::Threshold;
/// use tctx::sampler::{ComposableSampler, CompositeSampler, SamplerDescription, SamplingIntent, SamplingParams};
///
/// /// Keeps every error span, drops the rest.
/// struct Errors;
///
/// impl ComposableSampler for Errors {
///     fn sampling_intent<'s>(&'s self, params: &SamplingParams<'_>) -> SamplingIntent<'s> {
///         match params.attribute("error") {
///             Some(_) => SamplingIntent::sample_at(Threshold::SAMPLE_ALL),
///             None => SamplingIntent::no_threshold(),
///         }
///     }
/// }
///
/// impl SamplerDescription for Errors {
///     fn description(&self) -> String { "Errors".to_owned() }
/// }
///
/// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
///     .with_sampler(CompositeSampler::new(Errors))
///     .build();
/// # let _ = provider;
/// ```
pub trait ComposableSampler: SamplerDescription + Send + Sync {
    /// The intent for the span `params` describes ("`GetSamplingIntent`").
    fn sampling_intent<'s>(&'s self, params: &SamplingParams<'_>) -> SamplingIntent<'s>;
}

impl<T: ComposableSampler + ?Sized> ComposableSampler for Arc<T> {
    fn sampling_intent<'s>(&'s self, params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        (**self).sampling_intent(params)
    }
}

impl<T: SamplerDescription + ?Sized> SamplerDescription for Arc<T> {
    fn description(&self) -> String {
        (**self).description()
    }
}

/// A shared composable delegate; clones of a composition share their samplers (and a rate
/// limiter's budget).
pub(crate) type ComposableDelegate = Arc<dyn ComposableSampler>;

/// The decision for a span from a composable sampler's intent ("`CompositeSampler`"), the one
/// place where a threshold meets randomness:
///
/// - no threshold: `DROP`;
/// - a reliable threshold: compared with `R` (`rv`, else the trace-id, presumed random);
///   an unreliable one: with fresh randomness;
/// - sampled: the intent's attributes, and `th` written when reliable, erased otherwise;
///   dropped: `th` erased;
/// - `rv` is never changed; a root whose trace-id is not random (the process-wide
///   `random_trace_ids` setting is false) gets a new `rv`;
/// - the passed-in tracestate is returned as it is, not rebuilt, when `ot` does not change
///   and no provider is set (a clone, as the SDK's own samplers return it: no allocation
///   when it is empty).
#[allow(clippy::too_many_arguments)] // ShouldSample's arguments, plus the sampler
pub(crate) fn decide(
    composable: &dyn ComposableSampler,
    parent_context: Option<&Context>,
    trace_id: TraceId,
    name: &str,
    span_kind: &SpanKind,
    attributes: &[KeyValue],
    links: &[Link],
) -> SamplingResult {
    // The passed-in tracestate is the span context's, valid or not: a root may carry the
    // user's ("API users control the initial TraceState of a root span"), `rv` included.
    let span = parent_context.map(TraceContextExt::span);
    let span_context = span
        .as_ref()
        .map(opentelemetry::trace::SpanRef::span_context);
    let parent = span_context.filter(|sc| sc.is_valid());
    let trace_state = span_context.map_or(&OtelTraceState::NONE, SpanContext::trace_state);
    let ot = ot_value(trace_state);
    let source = randomness(parent, &ot, trace_id);
    let params = SamplingParams::with_parent(
        parent_context,
        parent,
        ot.threshold(),
        source.value(),
        name,
        span_kind,
        attributes,
        links,
    );
    let intent = composable.sampling_intent(&params);
    let reliable = intent.adjusted_count_reliable;
    let sampled = match intent.threshold {
        None => false,
        Some(Threshold::SAMPLE_ALL) => true,
        Some(th) if reliable => {
            source.note_decision(parent_context, parent);
            th.samples(source.value())
        }
        Some(th) => th.samples(Randomness::random()),
    };
    let new_threshold = intent.threshold.filter(|_| sampled && reliable);
    let mut new_ot = ot.with_threshold(new_threshold);
    if let Some(rv) = source.new_explicit() {
        let mut value = new_ot.into_owned();
        if !value.is_empty() {
            value.push(';');
        }
        value.push_str("rv:");
        value.push_str(rv.encode(&mut [0; 14]));
        new_ot = Cow::Owned(value);
    }
    let new_trace_state = match intent.trace_state {
        None => with_ot(trace_state, &ot, &new_ot),
        Some(provider) => {
            // The provider may not touch `ot`: set it from the parent's, as computed.
            let from_provider = provider.trace_state(trace_state, sampled);
            let current = ot_value(&from_provider);
            with_ot(&from_provider, &current, &new_ot)
        }
    };
    let (decision, attributes) = if sampled {
        (SamplingDecision::RecordAndSample, intent.into_attributes())
    } else {
        (SamplingDecision::Drop, Vec::new())
    };
    SamplingResult {
        decision,
        attributes,
        trace_state: new_trace_state,
    }
}

/// A `ShouldSample` over any [`ComposableSampler`] ("`CompositeSampler`"): it asks the
/// composable for its intent and makes the consistent decision (see the
/// [module docs](super#composable-samplers) for the rules of `th` and `rv`).
///
/// Its description is its delegate's.
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::{ComposableParentThreshold, ComposableProbability, CompositeSampler};
///
/// // The specification's example: roots at 10%, children follow their parent.
/// let sampler = CompositeSampler::new(ComposableParentThreshold::new(ComposableProbability::new(0.1)?));
/// let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
/// # let _ = provider;
/// # Ok::<(), tctx::probability::ProbabilityError>(())
/// ```
#[derive(Clone)]
pub struct CompositeSampler {
    delegate: ComposableDelegate,
}

impl CompositeSampler {
    /// Decides with `delegate`'s intents.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{ComposableAlwaysOn, CompositeSampler, SamplerDescription};
    ///
    /// assert_eq!(CompositeSampler::new(ComposableAlwaysOn).description(), "ComposableAlwaysOn");
    /// ```
    #[must_use]
    pub fn new(delegate: impl ComposableSampler + 'static) -> Self {
        Self {
            delegate: Arc::new(delegate),
        }
    }
}

impl ShouldSample for CompositeSampler {
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
            self.delegate.as_ref(),
            parent_context,
            trace_id,
            name,
            span_kind,
            attributes,
            links,
        )
    }
}

impl SamplerDescription for CompositeSampler {
    fn description(&self) -> String {
        self.delegate.description()
    }
}

impl fmt::Debug for CompositeSampler {
    /// The description: a combinator describes its delegate by its `Debug` text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// Samples every span at threshold 0, with a reliable count ("`ComposableAlwaysOn`"): through
/// a [`CompositeSampler`], sampled spans carry `ot=th:0`. Description `ComposableAlwaysOn`.
///
/// # Examples
///
/// ```
/// use tctx::probability::Threshold;
/// use tctx::sampler::{ComposableAlwaysOn, ComposableSampler, SamplingParams};
/// use opentelemetry::trace::{SpanKind, TraceId};
///
/// let params = SamplingParams::new(None, TraceId::from(1), "s", &SpanKind::Internal, &[], &[]);
/// assert_eq!(ComposableAlwaysOn.sampling_intent(&params).threshold(), Some(Threshold::SAMPLE_ALL));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ComposableAlwaysOn;

/// Drops every span ("`ComposableAlwaysOff`"). Description `ComposableAlwaysOff`.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{ComposableAlwaysOff, ComposableSampler, SamplingParams};
/// use opentelemetry::trace::{SpanKind, TraceId};
///
/// let params = SamplingParams::new(None, TraceId::from(1), "s", &SpanKind::Internal, &[], &[]);
/// assert_eq!(ComposableAlwaysOff.sampling_intent(&params).threshold(), None);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ComposableAlwaysOff;

impl ComposableSampler for ComposableAlwaysOn {
    fn sampling_intent<'s>(&'s self, _params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        SamplingIntent::sample_at(Threshold::SAMPLE_ALL)
    }
}

impl SamplerDescription for ComposableAlwaysOn {
    fn description(&self) -> String {
        "ComposableAlwaysOn".to_owned()
    }
}

impl ComposableSampler for ComposableAlwaysOff {
    fn sampling_intent<'s>(&'s self, _params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        SamplingIntent::no_threshold()
    }
}

impl SamplerDescription for ComposableAlwaysOff {
    fn description(&self) -> String {
        "ComposableAlwaysOff".to_owned()
    }
}

/// Where four significant hex digits would need more than the 12 the specification's
/// algorithm allows.
const TWO_TO_MINUS_32: f64 = 1.0 / 4_294_967_296.0;

/// Samples a fixed share of traces, consistently, with a reliable count
/// ("`ComposableProbability`"). The ratio becomes a 56-bit threshold with 4 significant hex
/// digits (`0.1` is `th:e666`); below 2^-32 all 56 bits are used, as the specification's
/// 12-digit algorithm cannot go below 2^-48. Description `ComposableProbability{RATIO}`.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{ComposableProbability, SamplerDescription};
///
/// let sampler = ComposableProbability::new(0.1)?;
/// assert_eq!(sampler.threshold().to_string(), "e666");
/// assert_eq!(sampler.description(), "ComposableProbability{0.1}");
/// assert!(ComposableProbability::new(0.0).is_err()); // use ComposableAlwaysOff
/// # Ok::<(), tctx::probability::ProbabilityError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ComposableProbability {
    ratio: f64,
    threshold: Threshold,
}

impl ComposableProbability {
    /// Samples `ratio` of all traces, from 2^-56 to 1.
    ///
    /// # Errors
    ///
    /// When `ratio` is not in `[2^-56, 1]` (zero included: the specification says to use
    /// [`ComposableAlwaysOff`] for it).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(tctx::sampler::ComposableProbability::new(1.5).is_err());
    /// ```
    pub fn new(ratio: f64) -> Result<Self, ProbabilityError> {
        let threshold = if ratio < TWO_TO_MINUS_32 {
            Threshold::from_probability_exact(ratio)?
        } else {
            Threshold::from_probability(ratio)?
        };
        Ok(Self { ratio, threshold })
    }

    /// Samples at exactly this threshold.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::probability::Threshold;
    /// use tctx::sampler::ComposableProbability;
    ///
    /// let sampler = ComposableProbability::from_threshold(Threshold::from_probability_exact(0.01)?);
    /// assert_eq!(sampler.threshold().to_string(), "fd70a3d70a3d71");
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    #[must_use]
    pub fn from_threshold(threshold: Threshold) -> Self {
        Self {
            ratio: threshold.probability(),
            threshold,
        }
    }

    /// The rejection threshold `T`.
    #[must_use]
    pub fn threshold(&self) -> Threshold {
        self.threshold
    }

    /// The configured ratio.
    #[must_use]
    pub fn ratio(&self) -> f64 {
        self.ratio
    }
}

impl ComposableSampler for ComposableProbability {
    fn sampling_intent<'s>(&'s self, _params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        SamplingIntent::sample_at(self.threshold)
    }
}

impl SamplerDescription for ComposableProbability {
    fn description(&self) -> String {
        format!("ComposableProbability{{{}}}", self.ratio)
    }
}

/// The intent of following the parent ("`ComposableParentThreshold`", for spans with a
/// parent): its consistent threshold, reliably; a sampled parent without one: threshold 0,
/// not reliably; a parent that is not sampled: drop.
pub(crate) fn follow_parent<'s>(
    params: &SamplingParams<'_>,
    parent: &SpanContext,
) -> SamplingIntent<'s> {
    match params.parent_threshold() {
        Some(threshold) => SamplingIntent::sample_at(threshold),
        None if parent.is_sampled() => SamplingIntent::new(Some(Threshold::SAMPLE_ALL), false),
        None => SamplingIntent::no_threshold(),
    }
}

/// Follows the parent's decision and keeps its threshold; roots go to `root`
/// ("`ComposableParentThreshold`").
///
/// - No valid parent: `root`'s intent.
/// - A sampled parent with a consistent `th`: that threshold, reliably (`th` stays).
/// - A sampled parent without one (or with an inconsistent one, which is erased): sampled,
///   count unreliable (`th` erased).
/// - A parent that is not sampled: dropped.
///
/// Description `ComposableParentThreshold{root:…}`.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{ComposableParentThreshold, ComposableProbability, SamplerDescription};
///
/// let sampler = ComposableParentThreshold::new(ComposableProbability::new(0.25)?);
/// assert_eq!(sampler.description(), "ComposableParentThreshold{root:ComposableProbability{0.25}}");
/// # Ok::<(), tctx::probability::ProbabilityError>(())
/// ```
#[derive(Clone)]
pub struct ComposableParentThreshold {
    root: ComposableDelegate,
}

impl ComposableParentThreshold {
    /// Roots go to `root`; every other span follows its parent.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{ComposableAlwaysOn, ComposableParentThreshold};
    ///
    /// let sampler = ComposableParentThreshold::new(ComposableAlwaysOn);
    /// # let _ = sampler;
    /// ```
    #[must_use]
    pub fn new(root: impl ComposableSampler + 'static) -> Self {
        Self {
            root: Arc::new(root),
        }
    }
}

impl ComposableSampler for ComposableParentThreshold {
    fn sampling_intent<'s>(&'s self, params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        match params.parent() {
            None => self.root.sampling_intent(params),
            Some(parent) => follow_parent(params, parent),
        }
    }
}

impl SamplerDescription for ComposableParentThreshold {
    fn description(&self) -> String {
        format!(
            "ComposableParentThreshold{{root:{}}}",
            self.root.description()
        )
    }
}

impl fmt::Debug for ComposableParentThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// Adds attributes to the spans its delegate samples ("`ComposableAnnotating`"). Description
/// `ComposableAnnotating{attributes:[…],delegate:…}`.
///
/// # Examples
///
/// ```
/// use opentelemetry::KeyValue;
/// use tctx::sampler::{ComposableAlwaysOn, ComposableAnnotating};
///
/// let sampler = ComposableAnnotating::new([KeyValue::new("sampling.rule", "checkout")], ComposableAlwaysOn);
/// # let _ = sampler;
/// ```
#[derive(Clone)]
pub struct ComposableAnnotating {
    attributes: Vec<KeyValue>,
    delegate: ComposableDelegate,
}

impl ComposableAnnotating {
    /// Adds `attributes` to what `delegate` samples.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::KeyValue;
    /// use tctx::sampler::{ComposableAnnotating, ComposableProbability};
    ///
    /// let sampler = ComposableAnnotating::new([KeyValue::new("tier", "gold")], ComposableProbability::new(0.5)?);
    /// # let _ = sampler;
    /// # Ok::<(), tctx::probability::ProbabilityError>(())
    /// ```
    #[must_use]
    pub fn new(
        attributes: impl IntoIterator<Item = KeyValue>,
        delegate: impl ComposableSampler + 'static,
    ) -> Self {
        Self {
            attributes: attributes.into_iter().collect(),
            delegate: Arc::new(delegate),
        }
    }
}

impl ComposableSampler for ComposableAnnotating {
    fn sampling_intent<'s>(&'s self, params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        self.delegate
            .sampling_intent(params)
            .with_attributes(&self.attributes)
    }
}

impl SamplerDescription for ComposableAnnotating {
    fn description(&self) -> String {
        let attributes: Vec<String> = self
            .attributes
            .iter()
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect();
        format!(
            "ComposableAnnotating{{attributes:[{}],delegate:{}}}",
            attributes.join(","),
            self.delegate.description()
        )
    }
}

impl fmt::Debug for ComposableAnnotating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}
