//! The check behind the `config_file` fuzz target: an OpenTelemetry configuration file is
//! text from strangers, so any input gets a `Config` or a `ConfigError`, never a panic, and a
//! `Config`'s sampler and propagators work.

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanKind, TraceId};
use opentelemetry_sdk::trace::ShouldSample;
use tctx::sampler::SamplerDescription;

/// Variables the fuzzer can reach with `${…}`, one of them YAML that would inject structure
/// if substitution were textual.
fn env(name: &str) -> Option<String> {
    match name {
        "RATIO" => Some("0.25".to_owned()),
        "YAML" => Some("a: [b, {c: d}]".to_owned()),
        "EMPTY" => Some(String::new()),
        _ => None,
    }
}

/// Loads `data` as a configuration file; on success decides one span with its sampler and
/// asks its propagator for its fields; on failure checks the error names a place or the file.
pub fn check_config_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // a file that is not UTF-8 is refused before parsing (`from_file`)
    };
    match tctx::config::Config::from_yaml_str_with_env(text, env) {
        Ok(config) => {
            let sampler = config.sampler();
            assert!(!sampler.description().is_empty());
            let _ = sampler.should_sample(
                None,
                TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
                "span",
                &SpanKind::Server,
                &[],
                &[],
            );
            let _ = config.propagator().fields().count();
            for (path, rules) in config.rule_based_samplers() {
                assert!(path.starts_with("tracer_provider.sampler"), "{path}");
                let _ = rules.rules().len();
            }
        }
        Err(error) => {
            assert!(!error.message().is_empty(), "an error says what is wrong");
            // The message is bounded by what tctx writes, not by what the file holds.
            assert!(
                error.to_string().len() <= 4096,
                "{} bytes",
                error.to_string().len()
            );
        }
    }
}
