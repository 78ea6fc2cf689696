//! Configuration from `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` and `OTEL_PROPAGATORS`,
//! through the pure functions `tctx::config::sampler_from_env_vars` and
//! `tctx::config::propagator_from_env_vars`, against the OpenTelemetry environment variable
//! specification (`configuration_sdk-environment-variables.md`: "Parsing empty value",
//! "Numeric", "Enum", "General SDK Configuration") and the SDK's "Built-in samplers"
//! (`trace_sdk.md`). Nothing here touches the process environment: that is
//! `tests/env_process.rs`.

use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::{Injector, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState as OtelTraceState,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tctx::config::{sampler_from_env_vars, EnvWarning};
use tctx::sampler::SamplerDescription;

const SAMPLER: &str = "OTEL_TRACES_SAMPLER";
const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
const PROPAGATORS: &str = "OTEL_PROPAGATORS";

const ON: &str = "AlwaysOnSampler";
const OFF: &str = "AlwaysOffSampler";

/// The description of `ParentBased::new(root)` with its default branches
/// ("`ParentBased`").
fn parent_based(root: &str) -> String {
    format!(
        "ParentBased{{root:{root},remoteParentSampled:AlwaysOnSampler,\
         remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,\
         localParentNotSampled:AlwaysOffSampler}}"
    )
}

fn parent_threshold(root: &str) -> String {
    format!("ParentThreshold{{root:{root}}}")
}

fn rate_limited(rate: &str) -> String {
    format!("RateLimited{{rate:{rate},burst:{rate},delegate:AlwaysOnSampler}}")
}

/// The description of the sampler configured by `sampler` and `arg`, and the variables of its
/// warnings.
fn configure(sampler: Option<&str>, arg: Option<&str>) -> (String, Vec<&'static str>) {
    let (configured, warnings) = sampler_from_env_vars(sampler, arg);
    let variables = warnings.iter().map(EnvWarning::variable).collect();
    (configured.description(), variables)
}

/// `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`, the expected description and the
/// expected variables of the warnings.
type SamplerCase<'a> = (Option<&'a str>, Option<&'a str>, String, &'a [&'a str]);

fn check(cases: &[SamplerCase<'_>]) {
    for (sampler, arg, description, variables) in cases {
        let (actual, actual_variables) = configure(*sampler, *arg);
        assert_eq!(&actual, description, "sampler {sampler:?}, arg {arg:?}");
        assert_eq!(
            actual_variables, *variables,
            "warnings of sampler {sampler:?}, arg {arg:?}"
        );
    }
}

/// "Known values for `OTEL_TRACES_SAMPLER`", with the arguments of "Depending on the value of
/// `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` may be set as follows".
#[test]
fn every_specified_sampler() {
    check(&[
        (Some("always_on"), None, ON.to_owned(), &[]),
        (Some("always_off"), None, OFF.to_owned(), &[]),
        (
            Some("traceidratio"),
            Some("0.25"),
            "TraceIdRatioBased{0.25}".to_owned(),
            &[],
        ),
        (
            Some("traceidratio"),
            Some("0"),
            "TraceIdRatioBased{0}".to_owned(),
            &[],
        ),
        (
            Some("traceidratio"),
            Some("1"),
            "TraceIdRatioBased{1}".to_owned(),
            &[],
        ),
        // "Default is 1.0 if unset."
        (
            Some("traceidratio"),
            None,
            "TraceIdRatioBased{1}".to_owned(),
            &[],
        ),
        (Some("parentbased_always_on"), None, parent_based(ON), &[]),
        (Some("parentbased_always_off"), None, parent_based(OFF), &[]),
        (
            Some("parentbased_traceidratio"),
            Some("0.0001"),
            parent_based("TraceIdRatioBased{0.0001}"),
            &[],
        ),
        (
            Some("parentbased_traceidratio"),
            None,
            parent_based("TraceIdRatioBased{1}"),
            &[],
        ),
    ]);
}

/// The samplers tctx adds to the list.
#[test]
fn every_tctx_sampler() {
    check(&[
        (
            Some("probability"),
            Some("0.25"),
            "ProbabilitySampler{0.25}".to_owned(),
            &[],
        ),
        (
            Some("probability"),
            None,
            "ProbabilitySampler{1}".to_owned(),
            &[],
        ),
        // ProbabilitySampler cannot express 0.
        (Some("probability"), Some("0"), OFF.to_owned(), &[]),
        (Some("probability"), Some("-0"), OFF.to_owned(), &[]),
        (
            Some("parentthreshold_probability"),
            Some("0.1"),
            parent_threshold("ProbabilitySampler{0.1}"),
            &[],
        ),
        (
            Some("parentthreshold_probability"),
            Some("0"),
            parent_threshold(OFF),
            &[],
        ),
        (Some("ratelimited"), Some("10"), rate_limited("10"), &[]),
        (Some("ratelimited"), None, rate_limited("100"), &[]),
        (
            Some("parentbased_ratelimited"),
            Some("2.5"),
            parent_based(&rate_limited("2.5")),
            &[],
        ),
        (
            Some("parentbased_ratelimited"),
            None,
            parent_based(&rate_limited("100")),
            &[],
        ),
        // Callers' sampled spans capped too, by a limiter of their own.
        (
            Some("parentbased_ratelimited_callers"),
            Some("50"),
            format!(
                "ParentBased{{root:{0},remoteParentSampled:{0},\
                 remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,\
                 localParentNotSampled:AlwaysOffSampler}}",
                rate_limited("50")
            ),
            &[],
        ),
        (
            Some("ParentBased_RateLimited_Callers"),
            Some("1e400"),
            format!(
                "ParentBased{{root:{0},remoteParentSampled:{0},\
                 remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,\
                 localParentNotSampled:AlwaysOffSampler}}",
                rate_limited("100")
            ),
            &[ARG],
        ),
    ]);
}

/// `adaptive` and `parentthreshold_adaptive`, whose descriptions change over time: checked by
/// their shape and target.
#[test]
fn adaptive_samplers() {
    for (arg, target) in [(Some("25"), "25"), (None, "100"), (Some("0"), "100")] {
        let prefix = format!("Adaptive{{target:{target},");
        let (description, _) = configure(Some("adaptive"), arg);
        assert!(description.starts_with(&prefix), "{description}");
        let (description, _) = configure(Some("parentthreshold_adaptive"), arg);
        assert!(
            description.starts_with(&format!("ParentThreshold{{root:{prefix}")),
            "{description}"
        );
    }
    assert!(configure(Some("adaptive"), Some("25")).1.is_empty());
    assert_eq!(configure(Some("adaptive"), Some("0")).1, [ARG]);
}

/// "Parsing empty value": "The SDK MUST interpret an empty value of an environment variable
/// the same way as when the variable is unset"; the default sampler is
/// `parentbased_always_on` ("Built-in samplers": "The default sampler is
/// `ParentBased(root=AlwaysOn)`").
#[test]
fn empty_and_blank_values_are_unset() {
    let default = parent_based(ON);
    check(&[
        (None, None, default.clone(), &[]),
        (Some(""), None, default.clone(), &[]),
        (Some("  \t"), None, default.clone(), &[]),
        (Some(""), Some(""), default.clone(), &[]),
        (
            Some("traceidratio"),
            Some(""),
            "TraceIdRatioBased{1}".to_owned(),
            &[],
        ),
        (
            Some("traceidratio"),
            Some("   "),
            "TraceIdRatioBased{1}".to_owned(),
            &[],
        ),
        (Some("ratelimited"), Some(" "), rate_limited("100"), &[]),
        (Some(" always_off\n"), Some(" "), OFF.to_owned(), &[]),
        (
            Some("traceidratio"),
            Some(" 0.5 "),
            "TraceIdRatioBased{0.5}".to_owned(),
            &[],
        ),
    ]);
}

/// "Enum": "Enum values SHOULD be interpreted in a case-insensitive manner."
#[test]
fn sampler_names_are_case_insensitive() {
    check(&[
        (Some("ALWAYS_ON"), None, ON.to_owned(), &[]),
        (Some("Always_Off"), None, OFF.to_owned(), &[]),
        (
            Some("TraceIdRatio"),
            Some("0.5"),
            "TraceIdRatioBased{0.5}".to_owned(),
            &[],
        ),
        (
            Some("ParentBased_TraceIdRatio"),
            Some("0.5"),
            parent_based("TraceIdRatioBased{0.5}"),
            &[],
        ),
        (Some("PARENTBASED_ALWAYS_ON"), None, parent_based(ON), &[]),
        (
            Some("Probability"),
            Some("0.5"),
            "ProbabilitySampler{0.5}".to_owned(),
            &[],
        ),
        (Some("RateLimited"), Some("7"), rate_limited("7"), &[]),
    ]);
}

/// `OTEL_TRACES_SAMPLER_ARG`: "Invalid or unrecognized input MUST be logged and MUST be
/// otherwise ignored, i.e. the implementation MUST behave as if `OTEL_TRACES_SAMPLER_ARG` is not
/// set"; a ratio is "a number in the [0..1] range" ("Numeric": an unparsable value is a
/// warning and treated as not set).
#[test]
fn invalid_ratios_warn_and_use_the_default() {
    for arg in [
        "abc", "1.5", "-0.1", "NaN", "nan", "inf", "-inf", "0x1", "1,5", "50%",
    ] {
        check(&[
            (
                Some("traceidratio"),
                Some(arg),
                "TraceIdRatioBased{1}".to_owned(),
                &[ARG],
            ),
            (
                Some("parentbased_traceidratio"),
                Some(arg),
                parent_based("TraceIdRatioBased{1}"),
                &[ARG],
            ),
            (
                Some("probability"),
                Some(arg),
                "ProbabilitySampler{1}".to_owned(),
                &[ARG],
            ),
            (
                Some("parentthreshold_probability"),
                Some(arg),
                parent_threshold("ProbabilitySampler{1}"),
                &[ARG],
            ),
        ]);
    }
    let (_, warnings) = sampler_from_env_vars(Some("traceidratio"), Some(" 1.5 "));
    assert_eq!(warnings[0].value(), "1.5");
    let message = warnings[0].to_string();
    assert!(message.contains("OTEL_TRACES_SAMPLER_ARG"), "{message}");
    assert!(message.contains("\"1.5\""), "{message}");
    assert!(message.contains("1.0"), "{message}");
}

/// Rates must be finite numbers above 0 (and within what the `RateLimiter` takes).
#[test]
fn invalid_rates_warn_and_use_the_default() {
    for arg in ["abc", "0", "-1", "NaN", "inf", "-inf", "1e10", "10/s"] {
        check(&[
            (Some("ratelimited"), Some(arg), rate_limited("100"), &[ARG]),
            (
                Some("parentbased_ratelimited"),
                Some(arg),
                parent_based(&rate_limited("100")),
                &[ARG],
            ),
        ]);
        assert_eq!(configure(Some("adaptive"), Some(arg)).1, [ARG], "{arg}");
        assert_eq!(
            configure(Some("parentthreshold_adaptive"), Some(arg)).1,
            [ARG],
            "{arg}"
        );
    }
}

/// "Enum": an unrecognised value "MUST generate a warning and gracefully ignore the setting":
/// the default sampler. The specification's samplers tctx does not implement are reported too.
#[test]
fn unknown_samplers_warn_and_use_the_default() {
    let default = parent_based(ON);
    // Without the feature `jaeger-remote`, the Jaeger samplers too (tests/jaeger_remote.rs
    // has them with it).
    let jaeger: &[&str] = if cfg!(feature = "jaeger-remote") {
        &[]
    } else {
        &[
            "jaeger_remote",
            "parentbased_jaeger_remote",
            "Jaeger_Remote",
        ]
    };
    for name in jaeger.iter().copied().chain([
        "xray",
        "always-on",
        "alwayson",
        "traceidratio_parentbased",
        "parentbased_probability",
        "always_on,always_off",
        "\u{fffd}",
    ]) {
        check(&[(Some(name), None, default.clone(), &[SAMPLER])]);
        // Only the sampler is reported; its argument goes with it.
        check(&[(Some(name), Some("0.5"), default.clone(), &[SAMPLER])]);
    }
    let (_, warnings) = sampler_from_env_vars(Some(" xray "), None);
    assert_eq!(warnings[0].value(), "xray");
    let message = warnings[0].to_string();
    assert!(
        message.contains("OTEL_TRACES_SAMPLER=\"xray\""),
        "{message}"
    );
    assert!(message.contains("parentbased_always_on"), "{message}");
    if !cfg!(feature = "jaeger-remote") {
        let (_, warnings) = sampler_from_env_vars(Some("jaeger_remote"), None);
        let message = warnings[0].to_string();
        assert!(message.contains("feature `jaeger-remote`"), "{message}");
    }
}

/// An argument for a sampler that takes none, or without a sampler ("The specified value will
/// only be used if `OTEL_TRACES_SAMPLER` is set"): ignored, with a warning.
#[test]
fn unused_arguments_warn() {
    check(&[
        (Some("always_on"), Some("0.5"), ON.to_owned(), &[ARG]),
        (Some("always_off"), Some("x"), OFF.to_owned(), &[ARG]),
        (
            Some("parentbased_always_on"),
            Some("1"),
            parent_based(ON),
            &[ARG],
        ),
        (
            Some("parentbased_always_off"),
            Some("1"),
            parent_based(OFF),
            &[ARG],
        ),
        (None, Some("0.5"), parent_based(ON), &[ARG]),
        (Some(" "), Some("0.5"), parent_based(ON), &[ARG]),
    ]);
}

/// The configured sampler is a sampler for the SDK, whatever it wraps.
#[test]
fn configured_sampler_drives_a_provider() {
    use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};

    for (name, sampled) in [("always_on", true), ("always_off", false)] {
        let (sampler, _) = sampler_from_env_vars(Some(name), None);
        let copy = sampler.clone();
        assert_eq!(format!("{copy:?}"), format!("{sampler:?}"));
        let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
        let span = provider.tracer("env").start("root");
        assert_eq!(span.span_context().is_sampled(), sampled, "{name}");
    }
}

/// Records the order in which a propagator sets its fields.
#[derive(Default)]
struct Recorder(Vec<String>);

impl Injector for Recorder {
    fn set(&mut self, key: &str, _value: String) {
        self.0.push(key.to_owned());
    }
}

/// A context with a sampled remote span and one baggage entry, so that every propagator has
/// something to inject.
fn full_context() -> Context {
    let span_context = SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        OtelTraceState::from_key_value([("vendor", "value")]).unwrap(),
    );
    Context::new()
        .with_remote_span_context(span_context)
        .with_baggage([KeyValue::new("user", "alice")])
}

/// The configured propagators: their sorted fields, the fields they inject in order, and the
/// variables of the warnings.
fn propagate(value: Option<&str>) -> (Vec<String>, Vec<String>, Vec<&'static str>) {
    let (propagator, warnings) = tctx::config::propagator_from_env_vars(value);
    let mut fields: Vec<String> = propagator.fields().map(str::to_owned).collect();
    fields.sort_unstable();
    let mut recorder = Recorder::default();
    propagator.inject_context(&full_context(), &mut recorder);
    let variables = warnings.iter().map(EnvWarning::variable).collect();
    (fields, recorder.0, variables)
}

/// `OTEL_PROPAGATORS`, the expected sorted fields, the expected fields in injection order, and
/// the expected variables of the warnings.
type PropagatorCase<'a> = (Option<&'a str>, &'a [&'a str], &'a [&'a str], &'a [&'a str]);

const TRACE_CONTEXT: [&str; 2] = ["traceparent", "tracestate"];

/// `OTEL_PROPAGATORS`: "Propagators to be used as a comma-separated list", default
/// "tracecontext,baggage", "Values MUST be deduplicated in order to register a `Propagator`
/// only once", and `none`: "No automatically configured propagator".
#[test]
fn propagators() {
    let all = ["baggage", "traceparent", "tracestate"];
    let cases: &[PropagatorCase<'_>] = &[
        // Default, and "Parsing empty value".
        (None, &all, &["traceparent", "tracestate", "baggage"], &[]),
        (
            Some(""),
            &all,
            &["traceparent", "tracestate", "baggage"],
            &[],
        ),
        (
            Some(" \t "),
            &all,
            &["traceparent", "tracestate", "baggage"],
            &[],
        ),
        (
            Some(" , ,"),
            &all,
            &["traceparent", "tracestate", "baggage"],
            &[],
        ),
        (Some("tracecontext"), &TRACE_CONTEXT, &TRACE_CONTEXT, &[]),
        (Some("baggage"), &["baggage"], &["baggage"], &[]),
        // "none" alone: no propagator at all.
        (Some("none"), &[], &[], &[]),
        (Some(" NONE "), &[], &[], &[]),
        // Deduplicated: each propagator injects once.
        (
            Some("tracecontext,tracecontext"),
            &TRACE_CONTEXT,
            &TRACE_CONTEXT,
            &[],
        ),
        (
            Some("tracecontext, TraceContext ,TRACECONTEXT"),
            &TRACE_CONTEXT,
            &TRACE_CONTEXT,
            &[],
        ),
        // In the order listed, names trimmed and case-insensitive ("Enum").
        (
            Some("Baggage, TraceContext"),
            &all,
            &["baggage", "traceparent", "tracestate"],
            &[],
        ),
        (
            Some("tracecontext,,baggage,"),
            &all,
            &["traceparent", "tracestate", "baggage"],
            &[],
        ),
        // Known to the specification, not provided by tctx: a warning, ignored; with nothing
        // left, the setting is ignored as a whole (a second warning): the default.
        (
            Some("b3"),
            &all,
            &["traceparent", "tracestate", "baggage"],
            &[PROPAGATORS, PROPAGATORS],
        ),
        (
            Some("tracecontext,b3,b3multi,jaeger,xray,ottrace"),
            &TRACE_CONTEXT,
            &TRACE_CONTEXT,
            &[PROPAGATORS; 5],
        ),
        // Unknown: a warning, ignored.
        (
            Some("w3c, baggage"),
            &["baggage"],
            &["baggage"],
            &[PROPAGATORS],
        ),
        // "none" with others: ignored, with a warning.
        (
            Some("none,tracecontext"),
            &TRACE_CONTEXT,
            &TRACE_CONTEXT,
            &[PROPAGATORS],
        ),
        (Some("none,none"), &[], &[], &[]),
    ];
    for (value, fields, injected, variables) in cases {
        let (actual_fields, actual_injected, actual_variables) = propagate(*value);
        assert_eq!(actual_fields, *fields, "fields of {value:?}");
        assert_eq!(actual_injected, *injected, "injection order of {value:?}");
        assert_eq!(actual_variables, *variables, "warnings of {value:?}");
    }
}

/// The configured `tracecontext` propagator is tctx's (it keeps the Level 2 random flag), and
/// warnings name the offending entry.
#[test]
fn propagator_details() {
    let (propagator, _) = tctx::config::propagator_from_env_vars(Some("tracecontext"));
    let request = std::collections::HashMap::from([(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".to_owned(),
    )]);
    let cx = propagator.extract(&request);
    assert_eq!(cx.span().span_context().trace_flags().to_u8(), 0x03);

    let (_, warnings) = tctx::config::propagator_from_env_vars(Some("tracecontext, B3 ,none"));
    let values: Vec<&str> = warnings.iter().map(EnvWarning::value).collect();
    assert_eq!(values, ["B3", "none"]);
    let message = warnings[0].to_string();
    assert!(message.contains("OTEL_PROPAGATORS=\"B3\""), "{message}");
    assert!(message.contains("ignored"), "{message}");
}

/// Hardening: a bad value is quoted in the warning, but cut (a 1 MiB value must not make a
/// 1 MiB log line, nor be kept whole in the warning).
#[test]
fn long_bad_values_are_cut_in_warnings() {
    let long = "x".repeat(1 << 20);
    let (_, warnings) = sampler_from_env_vars(Some(&long), None);
    assert_eq!(warnings.len(), 1);
    // Compared, not printed: a failure must not print the megabyte either.
    assert!(warnings[0].value() == format!("{}…", "x".repeat(64)));
    assert!(warnings[0].to_string().len() < 200);

    let (_, warnings) = sampler_from_env_vars(Some("traceidratio"), Some(&long));
    assert_eq!(warnings[0].value().chars().count(), 65);

    let (_, warnings) =
        tctx::config::propagator_from_env_vars(Some(&format!("tracecontext,{long}")));
    assert_eq!(warnings[0].value().chars().count(), 65);
    // A multi-byte value is cut on a character boundary.
    let (_, warnings) = sampler_from_env_vars(Some(&"é".repeat(1000)), None);
    assert!(warnings[0].value().ends_with('…'));
}

/// Hardening: `1e-400` reads as 0 in `f64`, which would switch sampling off without a word;
/// `1e400` reads as infinity. Both are refused, with a warning, like any invalid argument
/// ("MUST behave as if `OTEL_TRACES_SAMPLER_ARG` is not set").
#[test]
fn numbers_that_do_not_fit_a_float_are_refused() {
    check(&[
        (
            Some("traceidratio"),
            Some("1e-400"),
            "TraceIdRatioBased{1}".to_owned(),
            &[ARG],
        ),
        (
            Some("parentbased_traceidratio"),
            Some("-1e-400"),
            parent_based("TraceIdRatioBased{1}"),
            &[ARG],
        ),
        (
            Some("probability"),
            Some("1e-400"),
            "ProbabilitySampler{1}".to_owned(),
            &[ARG],
        ),
        (
            Some("ratelimited"),
            Some("1e400"),
            rate_limited("100"),
            &[ARG],
        ),
        // Zero written with an exponent is still zero.
        (
            Some("traceidratio"),
            Some("0e-400"),
            "TraceIdRatioBased{0}".to_owned(),
            &[],
        ),
    ]);
    let (_, warnings) = sampler_from_env_vars(Some("traceidratio"), Some("1e-400"));
    assert!(
        warnings[0].to_string().contains("too small"),
        "{}",
        warnings[0]
    );
}

/// Hardening: a huge `OTEL_PROPAGATORS` still gives one warning per unknown name and the
/// same propagator. It measures no time; it guards the linear removal of repeated names only
/// in that 200,000 names took minutes with the quadratic one (30,000 took 0.7 s).
#[test]
fn two_hundred_thousand_propagator_names_each_get_a_warning() {
    let mut value = String::from("tracecontext");
    for i in 0..200_000 {
        value.push_str(",p");
        value.push_str(&i.to_string());
    }
    value.push_str(",TraceContext,baggage");
    let (propagator, warnings) = tctx::config::propagator_from_env_vars(Some(&value));
    assert_eq!(warnings.len(), 200_000);
    let mut fields: Vec<&str> = propagator.fields().collect();
    fields.sort_unstable();
    assert_eq!(fields, ["baggage", "traceparent", "tracestate"]);
}

/// Issue 16, point 4: each warning has a kind a program can match.
#[test]
fn warnings_have_kinds() {
    use tctx::config::{propagator_from_env_vars, EnvWarningKind};

    #[rustfmt::skip]
    let samplers = [
        (Some("alwayson"), None, EnvWarningKind::UnknownSampler, "a typo"),
        (Some("xray"), None, EnvWarningKind::UnsupportedSampler, "the spec's, not tctx's"),
        (Some("traceidratio"), Some("1.5"), EnvWarningKind::InvalidArgument, "a ratio above 1"),
        (Some("probability"), Some("1e-20"), EnvWarningKind::InvalidArgument, "a ratio below 2^-56"),
        (Some("ratelimited"), Some("-1"), EnvWarningKind::InvalidArgument, "a negative rate"),
        (Some("always_on"), Some("0.5"), EnvWarningKind::UnusedArgument, "no argument taken"),
        (None, Some("0.5"), EnvWarningKind::UnusedArgument, "an argument without a sampler"),
    ];
    for (sampler, arg, kind, reason) in samplers {
        let (_, warnings) = sampler_from_env_vars(sampler, arg);
        let kinds: Vec<EnvWarningKind> = warnings.iter().map(EnvWarning::kind).collect();
        assert_eq!(kinds, [kind], "{reason}");
    }
    #[rustfmt::skip]
    let propagators = [
        ("tracecontext,b4", vec![EnvWarningKind::UnknownPropagator], "a typo"),
        ("tracecontext,b3", vec![EnvWarningKind::UnsupportedPropagator], "the spec's, not tctx's"),
        ("tracecontext,none", vec![EnvWarningKind::NoneWithOthers], "none among others"),
        ("xray", vec![EnvWarningKind::UnsupportedPropagator, EnvWarningKind::NoKnownPropagator], "nothing usable"),
    ];
    for (value, kinds, reason) in propagators {
        let (_, warnings) = propagator_from_env_vars(Some(value));
        let found: Vec<EnvWarningKind> = warnings.iter().map(EnvWarning::kind).collect();
        assert_eq!(found, kinds, "{reason}");
    }
}
