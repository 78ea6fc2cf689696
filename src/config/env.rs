//! Configuration from the environment: `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` and
//! `OTEL_PROPAGATORS` ("General SDK Configuration", OpenTelemetry environment variable
//! specification).
//!
//! The readers of the process environment ([`from_env`], [`propagator_from_env`]) log each
//! problem and carry on; the pure functions behind them ([`from_env_vars`],
//! [`propagator_from_env_var`]) return the problems as [`EnvWarning`]s instead.

use std::borrow::Cow;
use std::env::VarError;
use std::fmt;

use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::BaggagePropagator;
use opentelemetry_sdk::trace::{SamplingResult, ShouldSample};

use crate::probability::MIN_PROBABILITY;
use crate::sampler::{
    delegate, Adaptive, AlwaysOff, AlwaysOn, Delegate, ParentBased, ParentThreshold, Probability,
    RateLimited, RateLimiter, SamplerDescription, TraceIdRatioBased,
};
use crate::TraceContextPropagator;

const SAMPLER_VAR: &str = "OTEL_TRACES_SAMPLER";
const SAMPLER_ARG_VAR: &str = "OTEL_TRACES_SAMPLER_ARG";
const PROPAGATORS_VAR: &str = "OTEL_PROPAGATORS";

/// The sampler used when `OTEL_TRACES_SAMPLER` is unset, empty or not understood.
const DEFAULT_SAMPLER: &str = "parentbased_always_on";
/// The ratio of the ratio samplers when `OTEL_TRACES_SAMPLER_ARG` is unset or invalid.
const DEFAULT_RATIO: f64 = 1.0;
/// The spans per second of the rate samplers when `OTEL_TRACES_SAMPLER_ARG` is unset or
/// invalid.
const DEFAULT_RATE: f64 = 100.0;

/// The sampler that [`from_env`] and [`from_env_vars`] build: any of the samplers of
/// [`tctx::sampler`](crate::sampler), behind one type. It forwards
/// [`ShouldSample`] and [`SamplerDescription`] to the sampler inside; clones share it.
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::SamplerDescription;
///
/// let (sampler, warnings) = tctx::sampler::from_env_vars(Some("always_off"), None);
/// assert!(warnings.is_empty());
/// assert_eq!(sampler.description(), "AlwaysOffSampler");
/// let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
/// # let _ = provider;
/// ```
#[derive(Clone, Debug)]
pub struct ConfiguredSampler {
    inner: Delegate,
}

impl ConfiguredSampler {
    fn new(sampler: impl ShouldSample + SamplerDescription + 'static) -> Self {
        Self {
            inner: delegate(sampler),
        }
    }
}

impl ShouldSample for ConfiguredSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        self.inner
            .should_sample(parent_context, trace_id, name, span_kind, attributes, links)
    }
}

impl SamplerDescription for ConfiguredSampler {
    fn description(&self) -> String {
        self.inner.description()
    }
}

/// A problem with an `OTEL_*` environment variable, and what was done instead. Its
/// [`Display`](fmt::Display) is a sentence for a log: the variable, the value, the problem,
/// the fallback.
///
/// # Examples
///
/// ```
/// let (_, warnings) = tctx::sampler::from_env_vars(Some("traceidratio"), Some("1.5"));
/// assert_eq!(warnings[0].variable(), "OTEL_TRACES_SAMPLER_ARG");
/// assert_eq!(warnings[0].value(), "1.5");
/// assert_eq!(
///     warnings[0].to_string(),
///     "OTEL_TRACES_SAMPLER_ARG=\"1.5\" is not a ratio in [0, 1] for sampler traceidratio; \
///      using the default 1.0"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvWarning {
    variable: &'static str,
    value: String,
    problem: Problem,
}

/// What is wrong with a value; the variable and value are in [`EnvWarning`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    /// `OTEL_TRACES_SAMPLER` names no sampler known to the specification or tctx.
    UnknownSampler,
    /// `OTEL_TRACES_SAMPLER` names a sampler of the specification that tctx lacks.
    UnsupportedSampler,
    /// The argument of a ratio sampler is not a number in `[0, 1]`.
    InvalidRatio(&'static str),
    /// The ratio of a probability sampler is above 0 but below 2^-56.
    RatioTooSmall(&'static str),
    /// The argument of a rate sampler is not a finite number above 0.
    InvalidRate(&'static str),
    /// The argument is set but the sampler takes none.
    UnusedArg(&'static str),
    /// The argument is set but `OTEL_TRACES_SAMPLER` is not.
    ArgWithoutSampler,
    /// An entry of `OTEL_PROPAGATORS` names no propagator known to the specification.
    UnknownPropagator,
    /// An entry of `OTEL_PROPAGATORS` names a propagator of the specification tctx lacks.
    UnsupportedPropagator,
    /// `none` is listed with other propagators.
    NoneWithOthers,
    /// No entry of `OTEL_PROPAGATORS` names a propagator tctx provides, and `none` is absent.
    NoKnownPropagator,
}

impl EnvWarning {
    fn new(variable: &'static str, value: &str, problem: Problem) -> Self {
        Self {
            variable,
            value: value.to_owned(),
            problem,
        }
    }

    /// The environment variable: `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` or
    /// `OTEL_PROPAGATORS`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_, warnings) = tctx::sampler::from_env_vars(Some("xray"), None);
    /// assert_eq!(warnings[0].variable(), "OTEL_TRACES_SAMPLER");
    /// ```
    #[must_use]
    pub fn variable(&self) -> &'static str {
        self.variable
    }

    /// The offending value, without surrounding whitespace: the whole value of a sampler
    /// variable, one entry of `OTEL_PROPAGATORS`. A value that was not UTF-8 is given with
    /// its invalid bytes replaced by U+FFFD.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_, warnings) = tctx::propagator_from_env_var(Some("tracecontext, b3"));
    /// assert_eq!(warnings[0].value(), "b3");
    /// ```
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for EnvWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={:?} ", self.variable, self.value)?;
        match self.problem {
            Problem::UnknownSampler => {
                write!(
                    f,
                    "is not a known sampler; using the default {DEFAULT_SAMPLER}"
                )
            }
            Problem::UnsupportedSampler => write!(
                f,
                "names a sampler tctx does not implement; using the default {DEFAULT_SAMPLER}"
            ),
            Problem::InvalidRatio(sampler) => write!(
                f,
                "is not a ratio in [0, 1] for sampler {sampler}; using the default 1.0"
            ),
            Problem::RatioTooSmall(sampler) => write!(
                f,
                "is below 2^-56, the smallest probability of sampler {sampler}; using 2^-56"
            ),
            Problem::InvalidRate(sampler) => write!(
                f,
                "is not a number of spans per second above 0 (and at most 10^9) for sampler \
                 {sampler}; using the default 100"
            ),
            Problem::UnusedArg(sampler) => {
                write!(f, "is ignored: sampler {sampler} takes no argument")
            }
            Problem::ArgWithoutSampler => {
                write!(f, "is ignored: {SAMPLER_VAR} is not set")
            }
            Problem::UnknownPropagator => write!(f, "is not a known propagator; ignored"),
            Problem::UnsupportedPropagator => {
                write!(f, "names a propagator tctx does not provide; ignored")
            }
            Problem::NoKnownPropagator => write!(
                f,
                "names no propagator tctx provides; using the default tracecontext,baggage"
            ),
            Problem::NoneWithOthers => {
                write!(f, "is ignored: it is listed with other propagators")
            }
        }
    }
}

/// The samplers `OTEL_TRACES_SAMPLER` can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatio,
    ParentBasedAlwaysOn,
    ParentBasedAlwaysOff,
    ParentBasedTraceIdRatio,
    Probability,
    ParentThresholdProbability,
    RateLimited,
    ParentBasedRateLimited,
    Adaptive,
    ParentThresholdAdaptive,
}

/// What `OTEL_TRACES_SAMPLER_ARG` means to a sampler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    None,
    Ratio,
    Rate,
}

impl Kind {
    const ALL: [Self; 12] = [
        Self::AlwaysOn,
        Self::AlwaysOff,
        Self::TraceIdRatio,
        Self::ParentBasedAlwaysOn,
        Self::ParentBasedAlwaysOff,
        Self::ParentBasedTraceIdRatio,
        Self::Probability,
        Self::ParentThresholdProbability,
        Self::RateLimited,
        Self::ParentBasedRateLimited,
        Self::Adaptive,
        Self::ParentThresholdAdaptive,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::AlwaysOn => "always_on",
            Self::AlwaysOff => "always_off",
            Self::TraceIdRatio => "traceidratio",
            Self::ParentBasedAlwaysOn => "parentbased_always_on",
            Self::ParentBasedAlwaysOff => "parentbased_always_off",
            Self::ParentBasedTraceIdRatio => "parentbased_traceidratio",
            Self::Probability => "probability",
            Self::ParentThresholdProbability => "parentthreshold_probability",
            Self::RateLimited => "ratelimited",
            Self::ParentBasedRateLimited => "parentbased_ratelimited",
            Self::Adaptive => "adaptive",
            Self::ParentThresholdAdaptive => "parentthreshold_adaptive",
        }
    }

    fn arg(self) -> Arg {
        match self {
            Self::AlwaysOn
            | Self::AlwaysOff
            | Self::ParentBasedAlwaysOn
            | Self::ParentBasedAlwaysOff => Arg::None,
            Self::TraceIdRatio
            | Self::ParentBasedTraceIdRatio
            | Self::Probability
            | Self::ParentThresholdProbability => Arg::Ratio,
            Self::RateLimited
            | Self::ParentBasedRateLimited
            | Self::Adaptive
            | Self::ParentThresholdAdaptive => Arg::Rate,
        }
    }

    /// The sampler named `name` (trimmed, any case), if tctx has it.
    fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name))
    }
}

/// Samplers of the specification's list ("General SDK Configuration") that tctx does not
/// implement.
const UNSUPPORTED_SAMPLERS: [&str; 3] = ["jaeger_remote", "parentbased_jaeger_remote", "xray"];

/// Propagators of the specification's list ("General SDK Configuration") that tctx does not
/// provide.
const UNSUPPORTED_PROPAGATORS: [&str; 5] = ["b3", "b3multi", "jaeger", "xray", "ottrace"];

/// A value, trimmed, or `None` when it is unset or blank ("Parsing empty value": empty is
/// unset).
fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// An environment variable as text: `None` when unset, the value with invalid bytes replaced
/// by U+FFFD when it is not UTF-8 (which no known value then matches, so it is reported).
fn read_var(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) => Some(value),
        Err(VarError::NotPresent) => None,
        Err(VarError::NotUnicode(raw)) => Some(raw.to_string_lossy().into_owned()),
    }
}

fn log(warnings: &[EnvWarning]) {
    for warning in warnings {
        opentelemetry::otel_warn!(name: "tctx.env.invalid", message = warning.to_string());
    }
}

/// The sampler that `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` configure, as
/// [`from_env_vars`] reads them; each problem is logged as a warning (`tctx.env.invalid`, in
/// OpenTelemetry's internal log) and the sampler falls back as described there. A value that
/// is not UTF-8 is invalid.
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let provider = SdkTracerProvider::builder()
///     .with_sampler(tctx::sampler::from_env())
///     .build();
/// # let _ = provider;
/// ```
#[must_use]
pub fn from_env() -> ConfiguredSampler {
    let sampler = read_var(SAMPLER_VAR);
    let arg = read_var(SAMPLER_ARG_VAR);
    let (sampler, warnings) = from_env_vars(sampler.as_deref(), arg.as_deref());
    log(&warnings);
    sampler
}

/// The sampler configured by the values of `OTEL_TRACES_SAMPLER` (`sampler`) and
/// `OTEL_TRACES_SAMPLER_ARG` (`arg`), and the problems found with them. Pure: it reads no
/// environment and logs nothing ([`from_env`] does both).
///
/// Names are case-insensitive; values are trimmed, and an empty or blank value is unset
/// ("Parsing empty value"). An unset sampler is the default, `parentbased_always_on`.
///
/// | `OTEL_TRACES_SAMPLER` | Sampler | `OTEL_TRACES_SAMPLER_ARG` |
/// |---|---|---|
/// | `always_on` | [`AlwaysOn`] | — |
/// | `always_off` | [`AlwaysOff`] | — |
/// | `traceidratio` | [`TraceIdRatioBased`] | ratio in `[0, 1]`, default `1.0` |
/// | `parentbased_always_on` (default) | [`ParentBased`]`::new(AlwaysOn)` | — |
/// | `parentbased_always_off` | [`ParentBased`]`::new(AlwaysOff)` | — |
/// | `parentbased_traceidratio` | [`ParentBased`]`::new(TraceIdRatioBased)` | ratio, default `1.0` |
/// | `probability` (tctx) | [`Probability`] (`AlwaysOff` for 0) | ratio, default `1.0` |
/// | `parentthreshold_probability` (tctx) | [`ParentThreshold`]`::new(Probability)` | ratio, default `1.0` |
/// | `ratelimited` (tctx) | [`RateLimited`]`::new(AlwaysOn, RateLimiter)` | spans per second, default `100` |
/// | `parentbased_ratelimited` (tctx) | [`ParentBased`]`::new(RateLimited)` | spans per second, default `100` |
/// | `adaptive` (tctx) | [`Adaptive`] | target sampled spans per second, default `100` |
/// | `parentthreshold_adaptive` (tctx) | [`ParentThreshold`]`::new(Adaptive)` | target spans per second, default `100` |
///
/// Each problem is an [`EnvWarning`], and the configuration falls back:
/// - An unknown sampler, or one of the specification's that tctx does not implement
///   (`jaeger_remote`, `parentbased_jaeger_remote`, `xray`): the default sampler.
/// - A ratio that is not a number in `[0, 1]` (`abc`, `1.5`, `-0.1`, `NaN`, `inf`), or a
///   rate that is not a finite number above 0 or that the sampler refuses (the
///   [`RateLimiter`] takes at most 10^9): as if `arg` were unset ("MUST behave as if
///   `OTEL_TRACES_SAMPLER_ARG` is not set"), ratio `1.0`, rate `100`.
/// - `probability` and `parentthreshold_probability` with ratio 0 use [`AlwaysOff`]: the
///   `ProbabilitySampler` cannot express 0. A ratio above 0 but below 2^-56, its smallest
///   probability, is raised to 2^-56, with a warning.
/// - `arg` set for a sampler that takes none, or without a sampler (the specification uses
///   it "only if `OTEL_TRACES_SAMPLER` is set"): ignored, with a warning. With an unknown
///   sampler, only the sampler is reported.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{from_env_vars, SamplerDescription};
///
/// let (sampler, warnings) = from_env_vars(Some("ParentBased_TraceIdRatio"), Some(" 0.25 "));
/// assert!(warnings.is_empty());
/// assert!(sampler.description().starts_with("ParentBased{root:TraceIdRatioBased{0.25},"));
///
/// let (sampler, warnings) = from_env_vars(Some("probability"), Some("abc"));
/// assert_eq!(sampler.description(), "ProbabilitySampler{1}");
/// assert_eq!(warnings[0].variable(), "OTEL_TRACES_SAMPLER_ARG");
/// ```
#[must_use]
pub fn from_env_vars(
    sampler: Option<&str>,
    arg: Option<&str>,
) -> (ConfiguredSampler, Vec<EnvWarning>) {
    let mut warnings = Vec::new();
    let arg = non_empty(arg);
    let Some(name) = non_empty(sampler) else {
        if let Some(arg) = arg {
            warnings.push(EnvWarning::new(
                SAMPLER_ARG_VAR,
                arg,
                Problem::ArgWithoutSampler,
            ));
        }
        return (default_sampler(), warnings);
    };
    let Some(kind) = Kind::parse(name) else {
        let problem = if UNSUPPORTED_SAMPLERS
            .iter()
            .any(|known| known.eq_ignore_ascii_case(name))
        {
            Problem::UnsupportedSampler
        } else {
            Problem::UnknownSampler
        };
        warnings.push(EnvWarning::new(SAMPLER_VAR, name, problem));
        return (default_sampler(), warnings);
    };
    let sampler = match kind.arg() {
        Arg::None => {
            if let Some(arg) = arg {
                let problem = Problem::UnusedArg(kind.name());
                warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
            }
            Some(fixed_sampler(kind))
        }
        Arg::Ratio => Some(ratio_sampler(kind, arg, &mut warnings)),
        Arg::Rate => rate_sampler(kind, arg, &mut warnings),
    };
    (sampler.unwrap_or_else(default_sampler), warnings)
}

fn default_sampler() -> ConfiguredSampler {
    ConfiguredSampler::new(ParentBased::new(AlwaysOn))
}

fn fixed_sampler(kind: Kind) -> ConfiguredSampler {
    match kind {
        Kind::AlwaysOn => ConfiguredSampler::new(AlwaysOn),
        Kind::AlwaysOff => ConfiguredSampler::new(AlwaysOff),
        Kind::ParentBasedAlwaysOff => ConfiguredSampler::new(ParentBased::new(AlwaysOff)),
        // `parentbased_always_on`, the only other sampler without an argument.
        _ => default_sampler(),
    }
}

/// The ratio in `arg`, or the default with a warning if it is not a number in `[0, 1]`.
fn ratio_arg(kind: Kind, arg: Option<&str>, warnings: &mut Vec<EnvWarning>) -> f64 {
    let Some(arg) = arg else {
        return DEFAULT_RATIO;
    };
    match arg.parse::<f64>() {
        // `+ 0.0` turns -0 into 0, so that descriptions say `0`.
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio + 0.0,
        _ => {
            let problem = Problem::InvalidRatio(kind.name());
            warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
            DEFAULT_RATIO
        }
    }
}

fn ratio_sampler(
    kind: Kind,
    arg: Option<&str>,
    warnings: &mut Vec<EnvWarning>,
) -> ConfiguredSampler {
    let ratio = ratio_arg(kind, arg, warnings);
    match kind {
        Kind::TraceIdRatio => ConfiguredSampler::new(TraceIdRatioBased::new(ratio)),
        Kind::ParentBasedTraceIdRatio => {
            ConfiguredSampler::new(ParentBased::new(TraceIdRatioBased::new(ratio)))
        }
        Kind::ParentThresholdProbability => match probability(kind, ratio, arg, warnings) {
            Some(root) => ConfiguredSampler::new(ParentThreshold::new(root)),
            None => ConfiguredSampler::new(ParentThreshold::new(AlwaysOff)),
        },
        _ => match probability(kind, ratio, arg, warnings) {
            Some(sampler) => ConfiguredSampler::new(sampler),
            None => ConfiguredSampler::new(AlwaysOff),
        },
    }
}

/// The `ProbabilitySampler` of a ratio in `[0, 1]`, or `None` for 0 (or if it somehow cannot
/// be built, which no ratio in `[2^-56, 1]` does).
fn probability(
    kind: Kind,
    ratio: f64,
    arg: Option<&str>,
    warnings: &mut Vec<EnvWarning>,
) -> Option<Probability> {
    if ratio <= 0.0 {
        return None;
    }
    let ratio = if ratio < MIN_PROBABILITY {
        let problem = Problem::RatioTooSmall(kind.name());
        warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg.unwrap_or(""), problem));
        MIN_PROBABILITY
    } else {
        ratio
    };
    Probability::new(ratio).ok()
}

/// The rate in `arg` if it is a finite number above 0; `None` if `arg` is unset, or (with a
/// warning) invalid.
fn rate_arg(kind: Kind, arg: Option<&str>, warnings: &mut Vec<EnvWarning>) -> Option<f64> {
    let arg = arg?;
    match arg.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Some(rate),
        _ => {
            let problem = Problem::InvalidRate(kind.name());
            warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
            None
        }
    }
}

/// A rate sampler of kind `kind` at `rate`, or `None` if its constructor refuses the rate.
fn build_rate_sampler(kind: Kind, rate: f64) -> Option<ConfiguredSampler> {
    match kind {
        Kind::RateLimited => {
            let limiter = RateLimiter::new(rate).ok()?;
            Some(ConfiguredSampler::new(RateLimited::new(AlwaysOn, limiter)))
        }
        Kind::ParentBasedRateLimited => {
            let limiter = RateLimiter::new(rate).ok()?;
            let root = RateLimited::new(AlwaysOn, limiter);
            Some(ConfiguredSampler::new(ParentBased::new(root)))
        }
        Kind::Adaptive => Some(ConfiguredSampler::new(Adaptive::new(rate).ok()?)),
        Kind::ParentThresholdAdaptive => {
            let root = Adaptive::new(rate).ok()?;
            Some(ConfiguredSampler::new(ParentThreshold::new(root)))
        }
        _ => None,
    }
}

/// A rate sampler at the rate of `arg` if it is valid and its constructor takes it, else
/// (with a warning if `arg` is set) at the default; `None` if even the default is refused,
/// which it is not.
fn rate_sampler(
    kind: Kind,
    arg: Option<&str>,
    warnings: &mut Vec<EnvWarning>,
) -> Option<ConfiguredSampler> {
    if let (Some(rate), Some(arg)) = (rate_arg(kind, arg, warnings), arg) {
        if let Some(sampler) = build_rate_sampler(kind, rate) {
            return Some(sampler);
        }
        // A rate the range check let through but the sampler refused (above 10^9).
        let problem = Problem::InvalidRate(kind.name());
        warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
    }
    build_rate_sampler(kind, DEFAULT_RATE)
}

/// The propagators that `OTEL_PROPAGATORS` configures, as [`propagator_from_env_var`] reads
/// it; each problem is logged as a warning (`tctx.env.invalid`, in OpenTelemetry's internal
/// log). A value that is not UTF-8 is invalid.
///
/// # Examples
///
/// ```
/// opentelemetry::global::set_text_map_propagator(tctx::propagator_from_env());
/// ```
#[must_use]
pub fn propagator_from_env() -> TextMapCompositePropagator {
    let value = read_var(PROPAGATORS_VAR);
    let (propagator, warnings) = propagator_from_env_var(value.as_deref());
    log(&warnings);
    propagator
}

/// The propagators configured by a value of `OTEL_PROPAGATORS`, and the problems found with
/// it. Pure: it reads no environment and logs nothing ([`propagator_from_env`] does both).
///
/// The value is a comma-separated list of names, each trimmed and case-insensitive; empty
/// entries are skipped. An unset, empty or blank value (or one of commas only) is the
/// default, `tracecontext,baggage` ("Parsing empty value").
///
/// | Name | Propagator | Fields |
/// |---|---|---|
/// | `tracecontext` | [`TraceContextPropagator`] | `traceparent`, `tracestate` |
/// | `baggage` | `opentelemetry_sdk::propagation::BaggagePropagator` | `baggage` |
/// | `none` | no propagator | — |
///
/// - Propagators run in the order listed; a name listed twice is registered once, at its
///   first place ("Values MUST be deduplicated").
/// - `none` alone configures no propagator: an empty composite, which injects and extracts
///   nothing. The specification says nothing of `none` among other names; tctx then ignores
///   `none`, with a warning, and registers the others.
/// - Any other name is ignored with a warning, including the specification's `b3`,
///   `b3multi`, `jaeger`, `xray` and `ottrace`, which tctx does not provide: compose them in
///   code with `TextMapCompositePropagator`. A list of only such names falls back to the
///   default, with one more warning, rather than silently stop propagating.
///
/// # Examples
///
/// ```
/// use opentelemetry::propagation::TextMapPropagator;
///
/// let (propagator, warnings) = tctx::propagator_from_env_var(None);
/// assert!(warnings.is_empty());
/// let mut fields: Vec<&str> = propagator.fields().collect();
/// fields.sort_unstable();
/// assert_eq!(fields, ["baggage", "traceparent", "tracestate"]);
///
/// let (propagator, warnings) = tctx::propagator_from_env_var(Some("none"));
/// assert!(warnings.is_empty());
/// assert_eq!(propagator.fields().count(), 0);
/// ```
#[must_use]
pub fn propagator_from_env_var(
    value: Option<&str>,
) -> (TextMapCompositePropagator, Vec<EnvWarning>) {
    let mut warnings = Vec::new();
    let entries: Vec<&str> = non_empty(value)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    let entries = if entries.is_empty() {
        vec!["tracecontext", "baggage"]
    } else {
        entries
    };
    let mut names: Vec<Cow<'_, str>> = Vec::with_capacity(entries.len());
    let mut originals: Vec<&str> = Vec::with_capacity(entries.len());
    for entry in entries {
        let name = if entry.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(entry.to_ascii_lowercase())
        } else {
            Cow::Borrowed(entry)
        };
        if !names.contains(&name) {
            names.push(name);
            originals.push(entry);
        }
    }
    let alone = names.len() == 1;
    let mut propagators: Vec<Box<dyn TextMapPropagator + Send + Sync>> = Vec::new();
    for (name, original) in names.iter().zip(originals) {
        match name.as_ref() {
            "tracecontext" => propagators.push(Box::new(TraceContextPropagator::new())),
            "baggage" => propagators.push(Box::new(BaggagePropagator::new())),
            "none" if alone => {}
            "none" => warnings.push(EnvWarning::new(
                PROPAGATORS_VAR,
                original,
                Problem::NoneWithOthers,
            )),
            other => {
                let problem = if UNSUPPORTED_PROPAGATORS.contains(&other) {
                    Problem::UnsupportedPropagator
                } else {
                    Problem::UnknownPropagator
                };
                warnings.push(EnvWarning::new(PROPAGATORS_VAR, original, problem));
            }
        }
    }
    // Nothing usable and no `none`: ignore the setting, as the specification asks of values
    // it does not recognise, rather than silently stop propagating.
    if propagators.is_empty() && !names.iter().any(|name| name == "none") {
        warnings.push(EnvWarning::new(
            PROPAGATORS_VAR,
            value.unwrap_or_default().trim(),
            Problem::NoKnownPropagator,
        ));
        propagators.push(Box::new(TraceContextPropagator::new()));
        propagators.push(Box::new(BaggagePropagator::new()));
    }
    (TextMapCompositePropagator::new(propagators), warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_by_its_name() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.name()), Some(kind));
            assert_eq!(Kind::parse(&kind.name().to_ascii_uppercase()), Some(kind));
        }
        assert_eq!(Kind::parse("always-on"), None);
    }

    #[test]
    fn min_probability_is_two_to_the_minus_56() {
        assert_eq!(MIN_PROBABILITY.to_bits(), 2f64.powi(-56).to_bits());
        assert!(Probability::new(MIN_PROBABILITY).is_ok());
        assert!(Probability::new(MIN_PROBABILITY / 2.0).is_err());
    }

    #[test]
    fn tiny_ratio_is_raised_with_a_warning() {
        let (sampler, warnings) = from_env_vars(Some("probability"), Some("1e-20"));
        assert_eq!(
            sampler.description(),
            format!("ProbabilitySampler{{{MIN_PROBABILITY}}}")
        );
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].problem, Problem::RatioTooSmall("probability"));
    }

    #[test]
    fn display_names_variable_value_and_fallback() {
        let warning = EnvWarning::new(SAMPLER_VAR, "foo", Problem::UnknownSampler);
        assert_eq!(
            warning.to_string(),
            "OTEL_TRACES_SAMPLER=\"foo\" is not a known sampler; using the default \
             parentbased_always_on"
        );
        let warning = EnvWarning::new(PROPAGATORS_VAR, "b3", Problem::UnsupportedPropagator);
        assert_eq!(
            warning.to_string(),
            "OTEL_PROPAGATORS=\"b3\" names a propagator tctx does not provide; ignored"
        );
    }
}
