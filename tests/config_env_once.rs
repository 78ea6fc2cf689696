//! `OTEL_CONFIG_FILE` is read once by a program that configures OpenTelemetry the recommended
//! way: one `Config::from_env()`, its sampler and its propagators. Counted through what
//! every load of the file does once: log the file's warnings (`tctx.config.invalid`, in
//! OpenTelemetry's internal log, which is `tracing`). Alone in its own test binary (process),
//! as it sets environment variables.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use opentelemetry::propagation::TextMapPropagator;
use tctx::sampler::SamplerDescription;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Counts the events named `tctx.config.invalid`.
struct CountLoads(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> Layer<S> for CountLoads {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().name() == "tctx.config.invalid" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The fields of `propagator`, sorted.
fn fields(propagator: &dyn TextMapPropagator) -> Vec<&str> {
    let mut fields: Vec<&str> = propagator.fields().collect();
    fields.sort_unstable();
    fields
}

#[test]
fn the_recommended_way_reads_the_file_once() {
    // Every variable these readers depend on: set, or cleared.
    for name in [
        "OTEL_TRACES_SAMPLER",
        "OTEL_TRACES_SAMPLER_ARG",
        "OTEL_PROPAGATORS",
    ] {
        std::env::remove_var(name);
    }
    let dir = std::env::temp_dir().join(format!("tctx-config-env-once-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("otel.yaml");
    // One warning per load: `b3` is a propagator tctx does not provide.
    std::fs::write(
        &file,
        "file_format: \"1.1\"\n\
         tracer_provider:\n  sampler:\n    trace_id_ratio_based: { ratio: 0.25 }\n\
         propagator:\n  composite_list: tracecontext,b3\n",
    )
    .unwrap();
    std::env::set_var("OTEL_CONFIG_FILE", &file);

    let loads = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(CountLoads(Arc::clone(&loads)));
    tracing::subscriber::with_default(subscriber, || {
        // The recommended way: one load, both parts from it.
        let config = tctx::config::Config::from_env().unwrap();
        let sampler = config.sampler();
        let propagator = config.propagator();
        assert_eq!(loads.load(Ordering::Relaxed), 1, "one load, one warning");
        assert_eq!(sampler.description(), "TraceIdRatioBased{0.25}");
        assert_eq!(fields(&propagator), ["traceparent", "tracestate"]);
        assert_eq!(config.warnings().len(), 1);

        // The file changes after the load: what the program holds is one version of it.
        std::fs::write(
            &file,
            "file_format: \"1.1\"\ntracer_provider:\n  sampler:\n    always_off:\n",
        )
        .unwrap();
        assert_eq!(config.sampler().description(), "TraceIdRatioBased{0.25}");
        assert_eq!(fields(&config.propagator()), ["traceparent", "tracestate"]);

        // The two shorthands each load the configuration: as documented, a program that
        // needs both calls `Config::from_env()` instead.
        std::fs::write(
            &file,
            "file_format: \"1.1\"\npropagator:\n  composite_list: tracecontext,b3\n",
        )
        .unwrap();
        loads.store(0, Ordering::Relaxed);
        let _ = tctx::sampler::from_env().unwrap();
        let _ = tctx::propagator_from_env().unwrap();
        assert_eq!(loads.load(Ordering::Relaxed), 2);
    });

    std::env::remove_var("OTEL_CONFIG_FILE");
    let _ = std::fs::remove_dir_all(dir);
}
