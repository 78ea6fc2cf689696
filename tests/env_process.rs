//! `tctx::sampler::from_env` and `tctx::propagator_from_env` read the process environment
//! (`configuration_sdk-environment-variables.md`, "General SDK Configuration"). The only test
//! of the crate that sets environment variables, alone in its own test binary (process), as
//! `set_var` races with every other reader of the environment.
#![cfg(feature = "sampler")]

use opentelemetry::propagation::TextMapPropagator;
use tctx::sampler::SamplerDescription;

const SAMPLER: &str = "OTEL_TRACES_SAMPLER";
const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
const PROPAGATORS: &str = "OTEL_PROPAGATORS";

fn sorted_fields(propagator: &dyn TextMapPropagator) -> Vec<String> {
    let mut fields: Vec<String> = propagator.fields().map(str::to_owned).collect();
    fields.sort_unstable();
    fields
}

#[test]
fn reads_the_process_environment() {
    std::env::set_var(SAMPLER, " ParentBased_TraceIdRatio ");
    std::env::set_var(ARG, "0.25");
    std::env::set_var(PROPAGATORS, "baggage");
    assert!(tctx::sampler::from_env()
        .description()
        .starts_with("ParentBased{root:TraceIdRatioBased{0.25},"));
    assert_eq!(sorted_fields(&tctx::propagator_from_env()), ["baggage"]);

    // Invalid values are logged (not returned) and fall back.
    std::env::set_var(SAMPLER, "probability");
    std::env::set_var(ARG, "1.5");
    std::env::set_var(PROPAGATORS, "b3");
    assert_eq!(
        tctx::sampler::from_env().description(),
        "ProbabilitySampler{1}"
    );
    assert_eq!(
        sorted_fields(&tctx::propagator_from_env()),
        ["baggage", "traceparent", "tracestate"]
    );

    // A value that is not UTF-8 is invalid: the default sampler.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::env::set_var(SAMPLER, std::ffi::OsStr::from_bytes(b"always_on\xff"));
        std::env::remove_var(ARG);
        assert!(tctx::sampler::from_env()
            .description()
            .starts_with("ParentBased{root:AlwaysOnSampler,"));
    }

    // Unset, and empty ("Parsing empty value"): the defaults.
    std::env::remove_var(SAMPLER);
    std::env::remove_var(ARG);
    std::env::set_var(PROPAGATORS, "");
    assert!(tctx::sampler::from_env()
        .description()
        .starts_with("ParentBased{root:AlwaysOnSampler,"));
    assert_eq!(
        sorted_fields(&tctx::propagator_from_env()),
        ["baggage", "traceparent", "tracestate"]
    );
    std::env::remove_var(PROPAGATORS);
}
