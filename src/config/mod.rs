//! Configuration: samplers and propagators built from what operators write, the `OTEL_*`
//! environment variables and (feature `config`, a default) OpenTelemetry configuration files.
//!
//! This room may import every other one; nothing imports it but the two entry points named
//! where users look for them: [`propagator_from_env`](crate::propagator_from_env) at the root
//! and [`sampler::from_env`](crate::sampler::from_env). Both are re-exports of functions of
//! this module (the sampler room's code imports nothing from here). Values come from
//! strangers: every reader here returns a result or a warning for anything, never a panic,
//! and bounds what it reads.
//!
//! # One configuration, read once
//!
//! [`Config::from_env`] reads the process environment once: the file `OTEL_CONFIG_FILE`
//! names, else `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` and `OTEL_PROPAGATORS`. Call it
//! once where the program sets up OpenTelemetry and take both the sampler and the propagators
//! from it; a file that does not load is an error, mistakes in the variables are logged
//! warnings:
//!
//! ```
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//!
//! let config = tctx::config::Config::from_env()?;
//! opentelemetry::global::set_text_map_propagator(config.propagator());
//! let provider = SdkTracerProvider::builder().with_sampler(config.sampler()).build();
//! # let _ = provider;
//! # Ok::<(), tctx::config::ConfigError>(())
//! ```
//!
//! [`sampler::from_env`](crate::sampler::from_env) and
//! [`propagator_from_env`](crate::propagator_from_env) are shorthands for a program that needs
//! one of the two. [`sampler_from_env_vars`] and [`propagator_from_env_vars`] are the pure
//! functions behind the variables: values in, a sampler or propagator and its warnings out.
//!
//! # Configuration files
//!
//! OpenTelemetry's declarative configuration (`opentelemetry-configuration`, file format
//! 1.x) describes a whole SDK in one YAML file. tctx builds two parts of it: the sampler of
//! `tracer_provider.sampler` and the propagators of `propagator`. Load a file with
//! `Config::from_file` (or `Config::from_yaml_str`; feature `config`), or name it in `OTEL_CONFIG_FILE`.
//!
//! Health checks never, callers' decisions honoured, 10% of the rest, consistently across
//! services:
//!
//! ```
//! # #[cfg(feature = "config")] {
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//!
//! let config = tctx::config::Config::from_yaml_str(r#"
//! file_format: "1.1"
//! tracer_provider:
//!   sampler:
//!     composite/development:
//!       rule_based:
//!         rules:
//!           - attribute_values: { key: http.route, values: [/healthz, /livez] }
//!             sampler: { always_off: }
//!           - parent: [remote]
//!             sampler: { parent_threshold: { root: { always_off: } } }
//!           - sampler: { probability: { ratio: 0.1 } }
//! propagator:
//!   composite: [ { tracecontext: }, { baggage: } ]
//! "#)?;
//! opentelemetry::global::set_text_map_propagator(config.propagator());
//! let provider = SdkTracerProvider::builder().with_sampler(config.sampler()).build();
//! # let _ = provider;
//! # }
//! # Ok::<(), tctx::config::ConfigError>(())
//! ```
//!
//! What tctx reads, and how:
//!
//! - `file_format`: required, major version 1 (`"1.0"`, `"1.1"`); others are an error.
//! - `tracer_provider.sampler`: every sampler of the schema (`tracer_provider.yaml`):
//!
//!   | YAML | tctx |
//!   |---|---|
//!   | `always_on`, `always_off` | [`AlwaysOn`](crate::sampler::AlwaysOn), [`AlwaysOff`](crate::sampler::AlwaysOff) |
//!   | `always_record: {root}` | [`AlwaysRecord`](crate::sampler::AlwaysRecord) |
//!   | `parent_based: {root, remote_parent_sampled, ...}` (each branch defaults as the schema says) | [`ParentBased`](crate::sampler::ParentBased) |
//!   | `trace_id_ratio_based: {ratio}` | [`TraceIdRatioBased`](crate::sampler::TraceIdRatioBased) |
//!   | `probability/development: {ratio}` (0 is `AlwaysOff`) | [`Probability`](crate::sampler::Probability) |
//!   | `composite/development: <composable>` | [`CompositeSampler`](crate::sampler::CompositeSampler) |
//!   | composable `always_on`, `always_off`, `probability` (0 is `always_off`), `parent_threshold: {root}` | [`ComposableAlwaysOn`](crate::sampler::ComposableAlwaysOn), ... [`ComposableParentThreshold`](crate::sampler::ComposableParentThreshold) |
//!   | composable `rule_based: {rules}`; a rule's `attribute_values`, `attribute_patterns`, `span_kinds`, `parent` and `sampler` | [`ComposableRuleBased`](crate::sampler::ComposableRuleBased), [`SpanMatcher`](crate::sampler::SpanMatcher) |
//!   | `jaeger_remote/development: {endpoint, interval, initial_sampler}` (feature `jaeger-remote`; the service name from `resource`; the initial sampler one of `always_on`, `always_off`, `trace_id_ratio_based`, `probability/development`, `composite/development`) | `JaegerRemote` (as `OTEL_TRACES_SAMPLER=jaeger_remote`; under `parent_based` for children to follow their parent); without the feature, an error that names it |
//!
//!   A missing or null `sampler` is the schema's default, `parent_based` with an `always_on`
//!   root. A missing or null `tracer_provider` is a noop tracer provider for the schema, and
//!   `disabled: true` disables the SDK: in both cases the sampler is `AlwaysOff`, so no span
//!   is recorded (the SDK's other parts are not tctx's).
//! - `propagator`: the entries of `composite` (`- tracecontext:`), then those of
//!   `composite_list` (`"tracecontext,baggage"`, the format of `OTEL_PROPAGATORS`), repeated
//!   names dropped. `tracecontext` is [`TraceContextPropagator`](crate::TraceContextPropagator),
//!   `baggage` is the SDK's `BaggagePropagator`, `none` is nothing; other names are ignored
//!   with a [`ConfigWarning`], and a list of only such names falls back to
//!   `tracecontext,baggage` with a warning, as `OTEL_PROPAGATORS` does. A missing or null
//!   `propagator` (or one without `composite` and `composite_list`) is the schema's noop
//!   propagator. `disabled: true` leaves propagators alone (as `OTEL_SDK_DISABLED` does).
//! - Everything else (`resource`, processors, exporters, `meter_provider`, ...) is accepted
//!   and left alone, without being checked.
//!
//! Errors are [`ConfigError`]s, with a [`ConfigErrorKind`], that name the file and the place
//! (`tracer_provider.sampler.composite/development.rule_based.rules[2].sampler: unknown
//! sampler "alwayson"`): unknown keys where the schema allows none, a missing required
//! property, a wrong type, a ratio outside `[0, 1]`, below 2^-56 (except 0), or one a 64-bit
//! float cannot hold (`1e-400`) are errors, never a silently different sampler.
//!
//! ## YAML and substitution
//!
//! Files are YAML 1.2, read with the core schema, and must have the extension `.yaml` or
//! `.yml` (`configuration_data-model.md`). Scalar values (not keys) may refer to environment
//! variables, exactly as the data model specifies: `${NAME}` or `${env:NAME}` is the
//! variable's value (empty if unset), `${NAME:-default}` is the default when the variable is
//! unset or empty, `$$` is a `$`; values are substituted once, never read again, and a
//! reference that does not follow the grammar (`${1A}`, `${A:?b}`) is an error. A plain
//! scalar's type is read after substitution (`ratio: ${RATIO}` is a number), a quoted one is
//! a string. Values the schema wants as strings may be written as other scalars
//! (`values: [404]` is `"404"`), since rules compare attribute values as text.
//!
//! Limits, because a file is input: at most 4 MiB (`MAX_FILE_BYTES`), 64 levels of
//! nesting, 100,000 nodes and 32 MiB of scalars after aliases are expanded and variables
//! substituted (so an alias bomb fails early), one document, unique keys.

pub(crate) mod env;
mod file;
#[cfg(feature = "jaeger-remote")]
pub(crate) mod jaeger;
#[cfg(feature = "config")]
mod model;
mod number;
#[cfg(feature = "config")]
mod substitute;
#[cfg(feature = "config")]
mod yaml;

pub use env::{
    propagator_from_env_vars, sampler_from_env_vars, ConfiguredSampler, EnvWarning, EnvWarningKind,
};
#[cfg(feature = "config")]
pub use file::MAX_FILE_BYTES;
pub use file::{Config, ConfigError, ConfigErrorKind, ConfigWarning};

pub(crate) use crate::codec::error::cut;

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cut_keeps_char_boundaries() {
        assert_eq!(cut("abc"), "abc");
        assert_eq!(cut(&"a".repeat(64)), "a".repeat(64));
        let cut_value = cut(&"é".repeat(40));
        assert!(cut_value.ends_with('…'));
        assert_eq!(cut_value.len(), 64 + '…'.len_utf8());
    }
}
