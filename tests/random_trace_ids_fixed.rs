//! `TraceContextPropagator::set_random_trace_ids` after first use: the setting is fixed before
//! first use, so one trace never gets two answers. A test binary of its own, since the
//! setting is the whole process's; everything runs in one test, in order.
//! (`tests/random_trace_ids.rs` shows a set before first use taking effect.)

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tctx::TraceContextPropagator;

/// The flags of the `traceparent` injected for a root span started here.
fn root_flags() -> String {
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::AlwaysOn)
        .build();
    let span = provider
        .tracer("test")
        .start_with_context("root", &Context::new());
    let mut out = HashMap::new();
    TraceContextPropagator::new().inject_context(&Context::new().with_span(span), &mut out);
    out["traceparent"][53..].to_owned()
}

#[test]
fn a_set_after_first_use_is_refused_and_changes_nothing() {
    // Asking is no use: the setting is not fixed by it.
    assert!(TraceContextPropagator::random_trace_ids(), "the default");

    // The first inject fixes the default: a root started here is random.
    assert_eq!(root_flags(), "03");

    // Too late: refused, reported, and the setting in force stays.
    assert!(!TraceContextPropagator::set_random_trace_ids(false));
    assert!(TraceContextPropagator::random_trace_ids());
    assert_eq!(
        root_flags(),
        "03",
        "the same answer as before the refused set"
    );

    // Asking again to set what is in force is refused alike: nothing changes either way.
    assert!(!TraceContextPropagator::set_random_trace_ids(true));
    assert!(TraceContextPropagator::random_trace_ids());
}
