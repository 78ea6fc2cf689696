//! `tctx::config::Config::from_env` and its shorthands `tctx::sampler::from_env` and
//! `tctx::propagator_from_env` read the process environment
//! (`configuration_sdk-environment-variables.md`, "General SDK Configuration"). The only test
//! of the crate that sets environment variables, alone in its own test binary (process), as
//! `set_var` races with every other reader of the environment.

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

/// Removes every `OTEL_*` variable of the environment that runs the test (a developer's
/// shell, a CI runner), so that the test reads only what it sets.
fn clear_otel_vars() {
    for (name, _) in std::env::vars_os() {
        if name.as_encoded_bytes().starts_with(b"OTEL_") {
            std::env::remove_var(name);
        }
    }
}

#[test]
fn reads_the_process_environment() {
    clear_otel_vars();
    std::env::set_var(SAMPLER, " ParentBased_TraceIdRatio ");
    std::env::set_var(ARG, "0.25");
    std::env::set_var(PROPAGATORS, "baggage");
    assert!(tctx::sampler::from_env()
        .unwrap()
        .description()
        .starts_with("ParentBased{root:TraceIdRatioBased{0.25},"));
    assert_eq!(
        sorted_fields(&tctx::propagator_from_env().unwrap()),
        ["baggage"]
    );

    // Invalid values are logged (not returned: the environment specification asks to warn
    // and ignore) and fall back.
    std::env::set_var(SAMPLER, "probability");
    std::env::set_var(ARG, "1.5");
    std::env::set_var(PROPAGATORS, "b3");
    assert_eq!(
        tctx::sampler::from_env().unwrap().description(),
        "ProbabilitySampler{1}"
    );
    assert_eq!(
        sorted_fields(&tctx::propagator_from_env().unwrap()),
        ["baggage", "traceparent", "tracestate"]
    );

    // A value that is not UTF-8 is invalid: the default sampler.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::env::set_var(SAMPLER, std::ffi::OsStr::from_bytes(b"always_on\xff"));
        std::env::remove_var(ARG);
        assert!(tctx::sampler::from_env()
            .unwrap()
            .description()
            .starts_with("ParentBased{root:AlwaysOnSampler,"));
    }

    // Unset, and empty ("Parsing empty value"): the defaults.
    std::env::remove_var(SAMPLER);
    std::env::remove_var(ARG);
    std::env::set_var(PROPAGATORS, "");
    assert!(tctx::sampler::from_env()
        .unwrap()
        .description()
        .starts_with("ParentBased{root:AlwaysOnSampler,"));
    assert_eq!(
        sorted_fields(&tctx::propagator_from_env().unwrap()),
        ["baggage", "traceparent", "tracestate"]
    );
    std::env::remove_var(PROPAGATORS);

    #[cfg(feature = "config")]
    config_file();

    // A build that reads no file says so, rather than ignore the file and use the other
    // variables, which the file was meant to replace.
    #[cfg(not(feature = "config"))]
    {
        std::env::set_var("OTEL_CONFIG_FILE", "/etc/otel.yaml");
        let error = tctx::sampler::from_env().unwrap_err();
        assert_eq!(error.kind(), tctx::config::ConfigErrorKind::Unsupported);
        assert!(error
            .to_string()
            .starts_with("/etc/otel.yaml: OTEL_CONFIG_FILE is set"));
        std::env::remove_var("OTEL_CONFIG_FILE");
    }
}

/// `OTEL_CONFIG_FILE` ("configuration_sdk-environment-variables.md"): "When
/// `OTEL_CONFIG_FILE` is set, all other environment variables besides those referenced in
/// the configuration file for environment variable substitution MUST be ignored."
#[cfg(feature = "config")]
fn config_file() {
    const CONFIG_FILE: &str = "OTEL_CONFIG_FILE";
    let dir = std::env::temp_dir().join(format!("tctx-env-process-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("otel.yaml");
    std::fs::write(
        &file,
        "file_format: \"1.1\"\n\
         tracer_provider:\n  sampler:\n    trace_id_ratio_based:\n      ratio: ${TCTX_RATIO:-0.5}\n\
         propagator:\n  composite_list: baggage\n",
    )
    .unwrap();

    // The other variables say otherwise, and are ignored; the file's references are read.
    std::env::set_var(SAMPLER, "always_on");
    std::env::set_var(ARG, "0.1");
    std::env::set_var(PROPAGATORS, "tracecontext");
    std::env::set_var("TCTX_RATIO", "0.25");
    std::env::set_var(CONFIG_FILE, &file);
    assert_eq!(
        tctx::sampler::from_env().unwrap().description(),
        "TraceIdRatioBased{0.25}"
    );
    assert_eq!(
        sorted_fields(&tctx::propagator_from_env().unwrap()),
        ["baggage"]
    );
    let config = tctx::config::Config::from_env().unwrap();
    assert_eq!(config.file_format(), Some("1.1"));
    assert_eq!(config.sampler().description(), "TraceIdRatioBased{0.25}");
    assert_eq!(sorted_fields(&config.propagator()), ["baggage"]);

    // A file that fails to load is an error, naming the file and the place in it
    // (configuration_sdk.md, "Create": fail fast), never a silent fallback to 100%.
    std::fs::write(
        &file,
        "file_format: \"1.1\"\ntracer_provider:\n  sampler:\n    bogus:\n",
    )
    .unwrap();
    let expected = format!(
        "{}: tracer_provider.sampler: unknown sampler \"bogus\"",
        file.display()
    );
    let error = tctx::config::Config::from_env().unwrap_err();
    assert_eq!(error.kind(), tctx::config::ConfigErrorKind::Schema);
    assert_eq!(error.file(), Some(file.as_path()));
    assert_eq!(error.to_string(), expected);
    assert_eq!(tctx::sampler::from_env().unwrap_err().to_string(), expected);
    assert_eq!(
        tctx::propagator_from_env().unwrap_err().to_string(),
        expected
    );
    std::env::set_var(CONFIG_FILE, dir.join("missing.yaml"));
    let error = tctx::sampler::from_env().unwrap_err();
    assert_eq!(error.kind(), tctx::config::ConfigErrorKind::Io);
    let source = std::error::Error::source(&error).and_then(|e| e.downcast_ref::<std::io::Error>());
    assert_eq!(
        source.map(std::io::Error::kind),
        Some(std::io::ErrorKind::NotFound)
    );

    // Blank is unset ("Parsing empty value"): the other variables again.
    std::env::set_var(CONFIG_FILE, " ");
    assert_eq!(
        tctx::config::Config::from_env().unwrap().file_format(),
        None
    );
    assert_eq!(
        tctx::sampler::from_env().unwrap().description(),
        "AlwaysOnSampler"
    );
    assert_eq!(
        sorted_fields(&tctx::propagator_from_env().unwrap()),
        ["traceparent", "tracestate"]
    );

    for name in [CONFIG_FILE, SAMPLER, ARG, PROPAGATORS, "TCTX_RATIO"] {
        std::env::remove_var(name);
    }
    let _ = std::fs::remove_dir_all(dir);
}
