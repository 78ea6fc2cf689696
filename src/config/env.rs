//! Configuration from the environment: `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` and
//! `OTEL_PROPAGATORS` ("General SDK Configuration", OpenTelemetry environment variable
//! specification), and `OTEL_CONFIG_FILE`, which replaces them all (feature `config`).
//!
//! [`Config::from_env`](super::Config::from_env) reads the process environment once and logs
//! each problem with a variable; the pure functions behind it ([`sampler_from_env_vars`],
//! [`propagator_from_env_vars`]) return the problems as [`EnvWarning`]s instead.
//! [`sampler_from_env`] (public as `tctx::sampler::from_env`) and [`propagator_from_env`]
//! (public as `tctx::propagator_from_env`) are its shorthands.

use std::borrow::Cow;
use std::collections::HashSet;
use std::env::VarError;
use std::fmt;
use std::sync::Arc;

use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::BaggagePropagator;
use opentelemetry_sdk::trace::{SamplingResult, ShouldSample};

use super::number::{parse_f64, NumberError};
use super::{cut, Config, ConfigError};
use crate::probability::MIN_PROBABILITY;
use crate::sampler::{
    delegate, describe, Adaptive, AlwaysOff, AlwaysOn, Clock, Delegate, MonotonicClock,
    ParentBased, ParentThreshold, Probability, RateLimited, RateLimiter, SamplerDescription,
    TraceIdRatioBased,
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

/// The sampler that [`Config::from_env`] and [`sampler_from_env_vars`] build (and a
/// configuration file's, with the feature `config`): any of the samplers of
/// [`tctx::sampler`](crate::sampler), behind one type. It forwards [`ShouldSample`] to the
/// sampler inside and has its description (also its `Debug` text); clones share it.
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::SamplerDescription;
///
/// let (sampler, warnings) = tctx::config::sampler_from_env_vars(Some("always_off"), None);
/// assert!(warnings.is_empty());
/// assert_eq!(sampler.description(), "AlwaysOffSampler");
/// let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
/// # let _ = provider;
/// ```
#[derive(Clone)]
pub struct ConfiguredSampler {
    inner: Delegate,
}

impl ConfiguredSampler {
    pub(crate) fn new(sampler: impl ShouldSample + 'static) -> Self {
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
        describe(self.inner.as_ref())
    }
}

impl fmt::Debug for ConfiguredSampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// A problem with an `OTEL_*` environment variable, and what was done instead. Its
/// [`Display`](fmt::Display) is a sentence for a log: the variable, the value, the problem,
/// the fallback.
///
/// # Examples
///
/// ```
/// let (_, warnings) = tctx::config::sampler_from_env_vars(Some("traceidratio"), Some("1.5"));
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
    /// The argument is a number that a 64-bit float cannot hold (it would read as 0 or
    /// infinity); the sampler and the default used instead.
    Unrepresentable(&'static str, NumberError, &'static str),
    /// The argument is set but the sampler takes none.
    UnusedArg(&'static str),
    /// The argument is set but `OTEL_TRACES_SAMPLER` is not.
    ArgWithoutSampler,
    /// `OTEL_TRACES_SAMPLER` names a sampler of a tctx feature this build lacks.
    #[cfg_attr(feature = "jaeger-remote", allow(dead_code))]
    NeedsFeature(&'static str),
    /// An entry of the Jaeger samplers' argument, and what was done instead.
    #[cfg_attr(not(feature = "jaeger-remote"), allow(dead_code))]
    JaegerArg(&'static str),
    /// A problem with an entry of `OTEL_PROPAGATORS`.
    Propagator(PropagatorProblem),
}

/// What is wrong with a propagator name, in `OTEL_PROPAGATORS` or a configuration file's
/// `propagator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PropagatorProblem {
    /// A name known to no specification.
    Unknown,
    /// A propagator of the specification that tctx does not provide.
    Unsupported,
    /// `none` is listed with other propagators.
    NoneWithOthers,
    /// No name is one tctx provides, and `none` is absent.
    NoneKnown,
}

impl fmt::Display for PropagatorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unknown => "is not a known propagator; ignored",
            Self::Unsupported => "names a propagator tctx does not provide; ignored",
            Self::NoneWithOthers => "is ignored: it is listed with other propagators",
            Self::NoneKnown => {
                "names no propagator tctx provides; using the default tracecontext,baggage"
            }
        })
    }
}

impl EnvWarning {
    /// A warning about `value`, kept (and later printed) cut to 64 bytes: values come from
    /// anywhere, and a 1 MiB value must not become a 1 MiB log line.
    fn new(variable: &'static str, value: &str, problem: Problem) -> Self {
        Self {
            variable,
            value: cut(value),
            problem,
        }
    }

    /// The environment variable: `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` or
    /// `OTEL_PROPAGATORS`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_, warnings) = tctx::config::sampler_from_env_vars(Some("xray"), None);
    /// assert_eq!(warnings[0].variable(), "OTEL_TRACES_SAMPLER");
    /// ```
    #[must_use]
    pub fn variable(&self) -> &'static str {
        self.variable
    }

    /// The offending value, without surrounding whitespace: the whole value of a sampler
    /// variable, one entry of `OTEL_PROPAGATORS`. A value longer than 64 bytes is cut there
    /// (on a character boundary) and ends with `…`. A value that was not UTF-8 is given with
    /// its invalid bytes replaced by U+FFFD.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_, warnings) = tctx::config::propagator_from_env_vars(Some("tracecontext, b3"));
    /// assert_eq!(warnings[0].value(), "b3");
    ///
    /// let (_, warnings) = tctx::config::sampler_from_env_vars(Some(&"x".repeat(1000)), None);
    /// assert_eq!(warnings[0].value(), format!("{}…", "x".repeat(64)));
    /// ```
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What kind of problem this is.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::config::{sampler_from_env_vars, EnvWarningKind};
    ///
    /// let (_, warnings) = sampler_from_env_vars(Some("traceidratio"), Some("abc"));
    /// assert_eq!(warnings[0].kind(), EnvWarningKind::InvalidArgument);
    /// ```
    #[must_use]
    pub fn kind(&self) -> EnvWarningKind {
        match self.problem {
            Problem::UnknownSampler => EnvWarningKind::UnknownSampler,
            Problem::UnsupportedSampler => EnvWarningKind::UnsupportedSampler,
            Problem::InvalidRatio(_)
            | Problem::RatioTooSmall(_)
            | Problem::InvalidRate(_)
            | Problem::Unrepresentable(..)
            | Problem::JaegerArg(_) => EnvWarningKind::InvalidArgument,
            Problem::NeedsFeature(_) => EnvWarningKind::NeedsFeature,
            Problem::UnusedArg(_) | Problem::ArgWithoutSampler => EnvWarningKind::UnusedArgument,
            Problem::Propagator(PropagatorProblem::Unknown) => EnvWarningKind::UnknownPropagator,
            Problem::Propagator(PropagatorProblem::Unsupported) => {
                EnvWarningKind::UnsupportedPropagator
            }
            Problem::Propagator(PropagatorProblem::NoneWithOthers) => {
                EnvWarningKind::NoneWithOthers
            }
            Problem::Propagator(PropagatorProblem::NoneKnown) => EnvWarningKind::NoKnownPropagator,
        }
    }
}

/// What kind of problem an [`EnvWarning`] is: each is ignored, and the setting falls back as
/// [`sampler_from_env_vars`] and [`propagator_from_env_vars`] describe.
///
/// # Examples
///
/// ```
/// use tctx::config::{propagator_from_env_vars, EnvWarningKind};
///
/// let (_, warnings) = propagator_from_env_vars(Some("tracecontext,b3"));
/// assert_eq!(warnings[0].kind(), EnvWarningKind::UnsupportedPropagator);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvWarningKind {
    /// `OTEL_TRACES_SAMPLER` names no sampler of the specification or tctx.
    UnknownSampler,
    /// `OTEL_TRACES_SAMPLER` names a sampler of the specification that tctx lacks.
    UnsupportedSampler,
    /// `OTEL_TRACES_SAMPLER` names a sampler of a tctx feature this build lacks (such as
    /// `jaeger_remote` without the feature `jaeger-remote`).
    NeedsFeature,
    /// `OTEL_TRACES_SAMPLER_ARG` is not a ratio or rate the sampler takes (or a ratio below
    /// 2^-56, raised to it).
    InvalidArgument,
    /// `OTEL_TRACES_SAMPLER_ARG` is set for a sampler that takes none, or without a sampler.
    UnusedArgument,
    /// An entry of `OTEL_PROPAGATORS` names no propagator of the specification.
    UnknownPropagator,
    /// An entry of `OTEL_PROPAGATORS` names a propagator of the specification that tctx
    /// does not provide.
    UnsupportedPropagator,
    /// `none` is listed with other propagators.
    NoneWithOthers,
    /// No entry of `OTEL_PROPAGATORS` is one tctx provides: the default is used.
    NoKnownPropagator,
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
            Problem::Unrepresentable(sampler, error, default) => write!(
                f,
                "is {error}, for sampler {sampler}; using the default {default}"
            ),
            Problem::UnusedArg(sampler) => {
                write!(f, "is ignored: sampler {sampler} takes no argument")
            }
            Problem::ArgWithoutSampler => {
                write!(f, "is ignored: {SAMPLER_VAR} is not set")
            }
            Problem::NeedsFeature(feature) => write!(
                f,
                "needs the tctx feature `{feature}`, which this build lacks; using the default \
                 {DEFAULT_SAMPLER}"
            ),
            Problem::JaegerArg(problem) => f.write_str(problem),
            Problem::Propagator(problem) => problem.fmt(f),
        }
    }
}

/// What `OTEL_TRACES_SAMPLER_ARG` means to a sampler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    None,
    /// A ratio in `[0, 1]`, default 1.
    Ratio,
    /// A ratio in `[0, 1]`, default 1, raised to 2^-56 if below (0 stays 0).
    Probability,
    /// Spans per second above 0, default 100.
    Rate,
}

/// The clock of the rate samplers, shared (tests give a manual one).
type SharedClock = Arc<dyn Clock>;

/// A sampler that `OTEL_TRACES_SAMPLER` can name: its name, its argument, and how it is
/// built from the argument's value (`None` if its constructor refuses it).
struct SamplerEntry {
    name: &'static str,
    arg: Arg,
    build: fn(f64, &SharedClock) -> Option<ConfiguredSampler>,
}

/// Every sampler `OTEL_TRACES_SAMPLER` can name, in one table (the specification's first,
/// then tctx's). The ratio given to the ratio samplers is in `[0, 1]`; to the probability
/// samplers, 0 or in `[2^-56, 1]`; the rate is finite and above 0.
const SAMPLERS: [SamplerEntry; 13] = [
    SamplerEntry {
        name: "always_on",
        arg: Arg::None,
        build: |_, _| Some(ConfiguredSampler::new(AlwaysOn)),
    },
    SamplerEntry {
        name: "always_off",
        arg: Arg::None,
        build: |_, _| Some(ConfiguredSampler::new(AlwaysOff)),
    },
    SamplerEntry {
        name: "traceidratio",
        arg: Arg::Ratio,
        build: |ratio, _| Some(ConfiguredSampler::new(TraceIdRatioBased::new(ratio))),
    },
    SamplerEntry {
        name: "parentbased_always_on",
        arg: Arg::None,
        build: |_, _| Some(default_sampler()),
    },
    SamplerEntry {
        name: "parentbased_always_off",
        arg: Arg::None,
        build: |_, _| Some(ConfiguredSampler::new(ParentBased::new(AlwaysOff))),
    },
    SamplerEntry {
        name: "parentbased_traceidratio",
        arg: Arg::Ratio,
        build: |ratio, _| {
            let root = TraceIdRatioBased::new(ratio);
            Some(ConfiguredSampler::new(ParentBased::new(root)))
        },
    },
    SamplerEntry {
        name: "probability",
        arg: Arg::Probability,
        build: |ratio, _| probability_or_off(ratio),
    },
    SamplerEntry {
        name: "parentthreshold_probability",
        arg: Arg::Probability,
        build: |ratio, _| {
            let root = probability_or_off(ratio)?;
            Some(ConfiguredSampler::new(ParentThreshold::new(root)))
        },
    },
    SamplerEntry {
        name: "ratelimited",
        arg: Arg::Rate,
        build: |rate, clock| {
            let limiter = RateLimiter::new(rate).ok()?.with_clock(clock.clone());
            Some(ConfiguredSampler::new(RateLimited::new(AlwaysOn, limiter)))
        },
    },
    SamplerEntry {
        name: "parentbased_ratelimited",
        arg: Arg::Rate,
        build: |rate, clock| {
            let limiter = RateLimiter::new(rate).ok()?.with_clock(clock.clone());
            let root = RateLimited::new(AlwaysOn, limiter);
            Some(ConfiguredSampler::new(ParentBased::new(root)))
        },
    },
    SamplerEntry {
        name: "parentbased_ratelimited_callers",
        arg: Arg::Rate,
        build: |rate, clock| {
            // Two limiters: callers who sample everything must not use up the roots' share.
            let roots = RateLimiter::new(rate).ok()?.with_clock(clock.clone());
            let callers = RateLimiter::new(rate).ok()?.with_clock(clock.clone());
            let sampler = ParentBased::new(RateLimited::new(AlwaysOn, roots))
                .with_remote_parent_sampled(RateLimited::new(AlwaysOn, callers));
            Some(ConfiguredSampler::new(sampler))
        },
    },
    SamplerEntry {
        name: "adaptive",
        arg: Arg::Rate,
        build: |rate, clock| {
            let sampler = Adaptive::new(rate).ok()?.with_clock(clock.clone());
            Some(ConfiguredSampler::new(sampler))
        },
    },
    SamplerEntry {
        name: "parentthreshold_adaptive",
        arg: Arg::Rate,
        build: |rate, clock| {
            let root = Adaptive::new(rate).ok()?.with_clock(clock.clone());
            Some(ConfiguredSampler::new(ParentThreshold::new(root)))
        },
    },
];

/// The sampler named `name` (trimmed, any case), if tctx has it.
fn find_sampler(name: &str) -> Option<&'static SamplerEntry> {
    SAMPLERS
        .iter()
        .find(|entry| entry.name.eq_ignore_ascii_case(name))
}

/// The `ProbabilitySampler` of a ratio, `AlwaysOff` for 0 (which it cannot express), `None`
/// if it refuses the ratio (which no ratio in `[2^-56, 1]` is).
fn probability_or_off(ratio: f64) -> Option<ConfiguredSampler> {
    if ratio <= 0.0 {
        return Some(ConfiguredSampler::new(AlwaysOff));
    }
    Some(ConfiguredSampler::new(Probability::new(ratio).ok()?))
}

/// Samplers of the specification's list ("General SDK Configuration") that tctx does not
/// implement.
const UNSUPPORTED_SAMPLERS: [&str; 1] = ["xray"];

/// The Jaeger remote samplers of the specification's list (feature `jaeger-remote`).
const JAEGER_SAMPLERS: [&str; 2] = ["jaeger_remote", "parentbased_jaeger_remote"];

/// `jaeger_remote` / `parentbased_jaeger_remote`: the argument read by `config::jaeger`,
/// the service name from the environment.
#[cfg(feature = "jaeger-remote")]
fn jaeger_sampler(
    name: &str,
    arg: Option<&str>,
    warnings: &mut Vec<EnvWarning>,
) -> Option<ConfiguredSampler> {
    let (settings, problems) = super::jaeger::parse_arg(arg);
    for (entry, problem) in problems {
        warnings.push(EnvWarning::new(
            SAMPLER_ARG_VAR,
            entry,
            Problem::JaegerArg(problem),
        ));
    }
    let parent_based = name.eq_ignore_ascii_case("parentbased_jaeger_remote");
    super::jaeger::build(
        &settings,
        &super::jaeger::service_name_from_env(),
        parent_based,
    )
}

/// Without the feature: the default sampler, with a warning that names the feature.
#[cfg(not(feature = "jaeger-remote"))]
fn jaeger_sampler(
    name: &str,
    _arg: Option<&str>,
    warnings: &mut Vec<EnvWarning>,
) -> Option<ConfiguredSampler> {
    warnings.push(EnvWarning::new(
        SAMPLER_VAR,
        name,
        Problem::NeedsFeature("jaeger-remote"),
    ));
    None
}

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
pub(crate) fn read_var(name: &str) -> Option<String> {
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

/// The sampler the process environment configures: a shorthand for
/// [`Config::from_env`]`()?.`[`sampler()`](Config::sampler), for a program that needs no
/// propagator from the environment. A program that needs both calls `Config::from_env()`
/// once and takes both from it: the configuration is then read once.
///
/// That is `OTEL_CONFIG_FILE`'s file when it is set (the other variables are then ignored),
/// else `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` as
/// [`sampler_from_env_vars`](crate::config::sampler_from_env_vars) reads them, each mistake
/// logged as a warning (`tctx.env.invalid`, in OpenTelemetry's internal log) and falling
/// back as described there.
///
/// # Errors
///
/// A file that does not load, as [`Config::from_env`]: a typo in a configuration file is not
/// silently a different sampler. Mistakes in the `OTEL_*` variables are warnings, never
/// errors.
///
/// # Examples
///
/// ```
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// let provider = SdkTracerProvider::builder()
///     .with_sampler(tctx::sampler::from_env()?)
///     .build();
/// # let _ = provider;
/// # Ok::<(), tctx::config::ConfigError>(())
/// ```
pub fn sampler_from_env() -> Result<ConfiguredSampler, ConfigError> {
    Config::from_env().map(|config| config.sampler())
}

/// The sampler and the propagators of `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` and
/// `OTEL_PROPAGATORS`, each problem logged.
pub(crate) fn from_process_env_logged() -> (ConfiguredSampler, Vec<KnownPropagator>) {
    let sampler = read_var(SAMPLER_VAR);
    let arg = read_var(SAMPLER_ARG_VAR);
    let (sampler, warnings) = sampler_from_env_vars(sampler.as_deref(), arg.as_deref());
    log(&warnings);
    let propagators = read_var(PROPAGATORS_VAR);
    let (propagators, warnings) = propagators_of(propagators.as_deref());
    log(&warnings);
    (sampler, propagators)
}

/// The sampler configured by the values of `OTEL_TRACES_SAMPLER` (`sampler`) and
/// `OTEL_TRACES_SAMPLER_ARG` (`arg`), and the problems found with them. Pure: it reads no
/// environment and logs nothing ([`Config::from_env`] does both); except that the Jaeger
/// samplers (feature `jaeger-remote`) read their service name from `OTEL_SERVICE_NAME` or
/// `OTEL_RESOURCE_ATTRIBUTES` and, once built, start polling their server.
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
/// | `parentbased_ratelimited` (tctx) | [`ParentBased`]`::new(RateLimited)`: roots capped, callers' decisions followed | spans per second, default `100` |
/// | `parentbased_ratelimited_callers` (tctx) | the same, and callers' sampled spans capped too: `.with_remote_parent_sampled(RateLimited)` | spans per second for roots, and as many again for callers; default `100` |
/// | `adaptive` (tctx) | [`Adaptive`] | target sampled spans per second, default `100` |
/// | `parentthreshold_adaptive` (tctx) | [`ParentThreshold`]`::new(Adaptive)` | target spans per second, default `100` |
/// | `jaeger_remote` (feature `jaeger-remote`) | `JaegerRemote`, strategies polled from the center | `endpoint=...,pollingIntervalMs=...,initialSamplingRate=...` |
/// | `parentbased_jaeger_remote` (feature `jaeger-remote`) | [`ParentBased`]`::new(JaegerRemote)`: children follow their parent | the same |
///
/// The Jaeger samplers (feature `jaeger-remote`) take the specification's comma-separated
/// `endpoint` (an `http://` URL; default `http://localhost:5778/sampling`, `/sampling` added
/// to an endpoint without a path), `pollingIntervalMs` (default 60000) and
/// `initialSamplingRate` (default 0.001, the probability until a first strategy arrives);
/// a bad value or an unknown key is ignored with a warning. They read the service name from
/// `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else
/// `unknown_service` (this is the one place where this function reads the environment).
/// Without the feature, they are the default sampler, with a warning that names the feature.
///
/// `parentbased_ratelimited_callers` is for services that callers outside your control reach
/// (W3C Trace Context, "Security Considerations": a caller that sets the sampled flag on
/// every request would otherwise decide how much you trace): it honours a caller's sampled
/// flag up to N spans per second, and samples up to N new traces per second, each with a
/// limiter of its own, so a flood of flagged calls cannot starve new traces. Callers'
/// unsampled spans are dropped, and local children follow their parent.
///
/// Each problem is an [`EnvWarning`], and the configuration falls back:
/// - An unknown sampler, or one of the specification's that tctx does not implement
///   (`xray`), or a Jaeger sampler in a build without the feature `jaeger-remote`: the
///   default sampler.
/// - A ratio that is not a number in `[0, 1]` (`abc`, `1.5`, `-0.1`, `NaN`, `inf`), or a
///   rate that is not a finite number above 0 or that the sampler refuses (the
///   [`RateLimiter`] takes at most 10^9), or a number a 64-bit float cannot hold (`1e-400`,
///   which would read as 0 and switch sampling off, or `1e400`): as if `arg` were unset
///   ("MUST behave as if `OTEL_TRACES_SAMPLER_ARG` is not set"), ratio `1.0`, rate `100`.
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
/// use tctx::config::sampler_from_env_vars;
/// use tctx::sampler::SamplerDescription;
///
/// let (sampler, warnings) = sampler_from_env_vars(Some("ParentBased_TraceIdRatio"), Some(" 0.25 "));
/// assert!(warnings.is_empty());
/// assert!(sampler.description().starts_with("ParentBased{root:TraceIdRatioBased{0.25},"));
///
/// let (sampler, warnings) = sampler_from_env_vars(Some("probability"), Some("abc"));
/// assert_eq!(sampler.description(), "ProbabilitySampler{1}");
/// assert_eq!(warnings[0].variable(), "OTEL_TRACES_SAMPLER_ARG");
///
/// let (sampler, _) = sampler_from_env_vars(Some("parentbased_ratelimited_callers"), Some("50"));
/// assert!(sampler.description().contains("remoteParentSampled:RateLimited{rate:50,"));
/// ```
#[must_use]
pub fn sampler_from_env_vars(
    sampler: Option<&str>,
    arg: Option<&str>,
) -> (ConfiguredSampler, Vec<EnvWarning>) {
    sampler_from_env_vars_with_clock(sampler, arg, &(Arc::new(MonotonicClock) as SharedClock))
}

fn sampler_from_env_vars_with_clock(
    sampler: Option<&str>,
    arg: Option<&str>,
    clock: &SharedClock,
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
    if JAEGER_SAMPLERS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(name))
    {
        let sampler = jaeger_sampler(name, arg, &mut warnings);
        return (sampler.unwrap_or_else(default_sampler), warnings);
    }
    let Some(entry) = find_sampler(name) else {
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
    let value = match entry.arg {
        Arg::None => {
            if let Some(arg) = arg {
                let problem = Problem::UnusedArg(entry.name);
                warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
            }
            0.0
        }
        Arg::Ratio | Arg::Probability => ratio_arg(entry, arg, &mut warnings),
        Arg::Rate => rate_arg(entry, arg, &mut warnings),
    };
    let sampler = (entry.build)(value, clock).or_else(|| {
        // A rate the range check let through but the sampler refused (above 10^9).
        let problem = Problem::InvalidRate(entry.name);
        warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg.unwrap_or(""), problem));
        (entry.build)(DEFAULT_RATE, clock)
    });
    (sampler.unwrap_or_else(default_sampler), warnings)
}

fn default_sampler() -> ConfiguredSampler {
    ConfiguredSampler::new(ParentBased::new(AlwaysOn))
}

/// The ratio in `arg`, or the default with a warning if it is not a number in `[0, 1]`;
/// for a probability sampler, a ratio above 0 and below 2^-56 is raised to 2^-56, with a
/// warning.
fn ratio_arg(entry: &SamplerEntry, arg: Option<&str>, warnings: &mut Vec<EnvWarning>) -> f64 {
    let Some(arg) = arg else {
        return DEFAULT_RATIO;
    };
    let ratio = match parse_f64(arg) {
        // `+ 0.0` turns -0 into 0, so that descriptions say `0`.
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio + 0.0,
        Err(error @ (NumberError::Underflow | NumberError::Overflow)) => {
            let problem = Problem::Unrepresentable(entry.name, error, "1.0");
            warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
            return DEFAULT_RATIO;
        }
        _ => {
            let problem = Problem::InvalidRatio(entry.name);
            warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
            return DEFAULT_RATIO;
        }
    };
    if entry.arg == Arg::Probability && ratio > 0.0 && ratio < MIN_PROBABILITY {
        let problem = Problem::RatioTooSmall(entry.name);
        warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
        return MIN_PROBABILITY;
    }
    ratio
}

/// The rate in `arg` if it is a finite number above 0; the default if `arg` is unset, or
/// (with a warning) invalid.
fn rate_arg(entry: &SamplerEntry, arg: Option<&str>, warnings: &mut Vec<EnvWarning>) -> f64 {
    let Some(arg) = arg else {
        return DEFAULT_RATE;
    };
    match parse_f64(arg) {
        Ok(rate) if rate.is_finite() && rate > 0.0 => rate,
        Err(error @ (NumberError::Underflow | NumberError::Overflow)) => {
            let problem = Problem::Unrepresentable(entry.name, error, "100");
            warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
            DEFAULT_RATE
        }
        _ => {
            let problem = Problem::InvalidRate(entry.name);
            warnings.push(EnvWarning::new(SAMPLER_ARG_VAR, arg, problem));
            DEFAULT_RATE
        }
    }
}

/// A propagator tctx provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KnownPropagator {
    TraceContext,
    Baggage,
}

impl KnownPropagator {
    fn build(self) -> Box<dyn TextMapPropagator + Send + Sync> {
        match self {
            Self::TraceContext => Box::new(TraceContextPropagator::new()),
            Self::Baggage => Box::new(BaggagePropagator::new()),
        }
    }
}

/// The composite of `propagators`, in order (none: a propagator that does nothing).
pub(crate) fn composite(propagators: &[KnownPropagator]) -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(propagators.iter().map(|p| p.build()).collect())
}

/// The propagators chosen from a list of names, and the problems with the names.
pub(crate) struct ChosenPropagators<'a, P> {
    pub(crate) propagators: Vec<KnownPropagator>,
    /// The name, where it came from (`P`), and its problem.
    pub(crate) problems: Vec<(&'a str, P, PropagatorProblem)>,
    /// No name was usable and none was `none`: the default, `tracecontext,baggage`, was used.
    pub(crate) fell_back: bool,
}

/// The propagators of a list of names (each trimmed, not empty), with where each came from
/// (`P`), for `OTEL_PROPAGATORS` and a configuration file's `propagator`: in order, names
/// compared without case, a repeated name kept at its first place ("Values MUST be
/// deduplicated"), in time linear in the length of the list.
pub(crate) fn choose_propagators<'a, P: Copy>(
    names: impl IntoIterator<Item = (&'a str, P)>,
) -> ChosenPropagators<'a, P> {
    let mut seen: HashSet<Cow<'a, str>> = HashSet::new();
    let mut distinct: Vec<(Cow<'a, str>, &'a str, P)> = Vec::new();
    for (name, place) in names {
        let lower = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        };
        if seen.insert(lower.clone()) {
            distinct.push((lower, name, place));
        }
    }
    let alone = distinct.len() == 1;
    let mut chosen = ChosenPropagators {
        propagators: Vec::new(),
        problems: Vec::new(),
        fell_back: false,
    };
    for (lower, name, place) in &distinct {
        match lower.as_ref() {
            "tracecontext" => chosen.propagators.push(KnownPropagator::TraceContext),
            "baggage" => chosen.propagators.push(KnownPropagator::Baggage),
            "none" if alone => {}
            "none" => {
                chosen
                    .problems
                    .push((name, *place, PropagatorProblem::NoneWithOthers));
            }
            other => {
                let problem = if UNSUPPORTED_PROPAGATORS.contains(&other) {
                    PropagatorProblem::Unsupported
                } else {
                    PropagatorProblem::Unknown
                };
                chosen.problems.push((name, *place, problem));
            }
        }
    }
    // Nothing usable and no `none`: ignore the setting, as the specification asks of values
    // it does not recognise, rather than silently stop propagating.
    if chosen.propagators.is_empty() && !seen.contains("none") {
        chosen.fell_back = true;
        chosen.propagators = vec![KnownPropagator::TraceContext, KnownPropagator::Baggage];
    }
    chosen
}

/// The propagators the process environment configures: what
/// [`Config::from_env`]`()?.`[`propagator()`](Config::propagator) gives, for a program that
/// needs no sampler from the environment (without a file, the sampler's variables are not
/// read, so a `jaeger_remote` sampler is not started for nothing). A program that needs both
/// calls `Config::from_env()` once and takes both from it: the configuration is then read once.
///
/// That is `OTEL_CONFIG_FILE`'s file when it is set (its `propagator`; `OTEL_PROPAGATORS` is
/// then ignored), else `OTEL_PROPAGATORS` as
/// [`propagator_from_env_vars`](crate::config::propagator_from_env_vars) reads it, each
/// mistake logged as a warning (`tctx.env.invalid`). A value that is not UTF-8 is invalid.
///
/// # Errors
///
/// A file that does not load, as [`Config::from_env`]. Mistakes in `OTEL_PROPAGATORS` are
/// warnings, never errors.
///
/// # Examples
///
/// ```
/// opentelemetry::global::set_text_map_propagator(tctx::propagator_from_env()?);
/// # Ok::<(), tctx::config::ConfigError>(())
/// ```
pub fn propagator_from_env() -> Result<TextMapCompositePropagator, ConfigError> {
    if let Some(config) = Config::from_env_file()? {
        return Ok(config.propagator());
    }
    let propagators = read_var(PROPAGATORS_VAR);
    let (propagators, warnings) = propagators_of(propagators.as_deref());
    log(&warnings);
    Ok(composite(&propagators))
}

/// The propagators configured by a value of `OTEL_PROPAGATORS`, and the problems found with
/// it. Pure: it reads no environment and logs nothing ([`Config::from_env`] does both).
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
/// let (propagator, warnings) = tctx::config::propagator_from_env_vars(None);
/// assert!(warnings.is_empty());
/// let mut fields: Vec<&str> = propagator.fields().collect();
/// fields.sort_unstable();
/// assert_eq!(fields, ["baggage", "traceparent", "tracestate"]);
///
/// let (propagator, warnings) = tctx::config::propagator_from_env_vars(Some("none"));
/// assert!(warnings.is_empty());
/// assert_eq!(propagator.fields().count(), 0);
/// ```
#[must_use]
pub fn propagator_from_env_vars(
    propagators: Option<&str>,
) -> (TextMapCompositePropagator, Vec<EnvWarning>) {
    let (propagators, warnings) = propagators_of(propagators);
    (composite(&propagators), warnings)
}

/// The propagators of a value of `OTEL_PROPAGATORS`, as [`propagator_from_env_vars`] reads
/// it.
fn propagators_of(value: Option<&str>) -> (Vec<KnownPropagator>, Vec<EnvWarning>) {
    let mut names = non_empty(value)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .peekable();
    let chosen = if names.peek().is_none() {
        choose_propagators([("tracecontext", ()), ("baggage", ())])
    } else {
        choose_propagators(names.map(|name| (name, ())))
    };
    let mut warnings: Vec<EnvWarning> = chosen
        .problems
        .iter()
        .map(|&(name, (), problem)| {
            EnvWarning::new(PROPAGATORS_VAR, name, Problem::Propagator(problem))
        })
        .collect();
    if chosen.fell_back {
        warnings.push(EnvWarning::new(
            PROPAGATORS_VAR,
            value.unwrap_or_default().trim(),
            Problem::Propagator(PropagatorProblem::NoneKnown),
        ));
    }
    (chosen.propagators, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceState as OtelTraceState,
    };
    use opentelemetry_sdk::trace::SamplingDecision;

    use crate::sampler::ManualClock;

    #[test]
    fn every_sampler_is_found_by_its_name_in_any_case() {
        for entry in &SAMPLERS {
            assert_eq!(find_sampler(entry.name).map(|e| e.name), Some(entry.name));
            let upper = entry.name.to_ascii_uppercase();
            assert_eq!(find_sampler(&upper).map(|e| e.name), Some(entry.name));
        }
        assert!(find_sampler("always-on").is_none());
    }

    #[test]
    fn min_probability_is_two_to_the_minus_56() {
        assert_eq!(MIN_PROBABILITY.to_bits(), 2f64.powi(-56).to_bits());
        assert!(Probability::new(MIN_PROBABILITY).is_ok());
        assert!(Probability::new(MIN_PROBABILITY / 2.0).is_err());
    }

    #[test]
    fn tiny_ratio_is_raised_with_a_warning() {
        let (sampler, warnings) = sampler_from_env_vars(Some("probability"), Some("1e-20"));
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
        let problem = Problem::Propagator(PropagatorProblem::Unsupported);
        let warning = EnvWarning::new(PROPAGATORS_VAR, "b3", problem);
        assert_eq!(
            warning.to_string(),
            "OTEL_PROPAGATORS=\"b3\" names a propagator tctx does not provide; ignored"
        );
        let problem = Problem::Unrepresentable("traceidratio", NumberError::Underflow, "1.0");
        let warning = EnvWarning::new(SAMPLER_ARG_VAR, "1e-400", problem);
        assert_eq!(
            warning.to_string(),
            "OTEL_TRACES_SAMPLER_ARG=\"1e-400\" is too small for a 64-bit float (it would read \
             as 0), for sampler traceidratio; using the default 1.0"
        );
    }

    /// `parentbased_ratelimited_callers` honours callers' sampled flags at most N times a
    /// second: 100,000 flagged calls in one (manual) second with a cap of 100 sample about 100
    /// (the burst, 100, plus what refills during the second: here none, the clock stands
    /// still, then 100 more after it moves on by a second). `parentbased_ratelimited`, for
    /// comparison, samples all of them.
    #[test]
    fn ratelimited_callers_caps_callers_who_sample_everything() {
        let flagged = Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
            SpanId::from(0x00f0_67aa_0ba9_02b7),
            TraceFlags::SAMPLED,
            true,
            OtelTraceState::NONE,
        ));
        let count = |name: &str, clock: &ManualClock| {
            let shared: SharedClock = Arc::new(clock.clone());
            let (sampler, warnings) =
                sampler_from_env_vars_with_clock(Some(name), Some("100"), &shared);
            assert!(warnings.is_empty());
            let mut kept = 0;
            for i in 0..100_000u128 {
                let result = sampler.should_sample(
                    Some(&flagged),
                    TraceId::from(i + 1),
                    "call",
                    &SpanKind::Server,
                    &[],
                    &[],
                );
                if result.decision == SamplingDecision::RecordAndSample {
                    kept += 1;
                }
            }
            kept
        };
        let clock = ManualClock::new();
        assert_eq!(count("parentbased_ratelimited", &clock), 100_000);
        let capped = count("parentbased_ratelimited_callers", &clock);
        assert!((95..=105).contains(&capped), "{capped} sampled");

        // Roots have their own limiter: callers using up theirs do not starve new traces.
        let shared: SharedClock = Arc::new(clock.clone());
        let (sampler, _) = sampler_from_env_vars_with_clock(
            Some("parentbased_ratelimited_callers"),
            Some("100"),
            &shared,
        );
        for i in 0..1_000u128 {
            let _ = sampler.should_sample(
                Some(&flagged),
                TraceId::from(i + 1),
                "call",
                &SpanKind::Server,
                &[],
                &[],
            );
        }
        let root =
            sampler.should_sample(None, TraceId::from(7), "root", &SpanKind::Server, &[], &[]);
        assert_eq!(root.decision, SamplingDecision::RecordAndSample);
    }
}
