//! Environment variables as carriers (OpenTelemetry "Environment Variables as Context
//! Propagation Carriers", `context/env-carriers.md`): the names, opaque values, and a real
//! child process that continues the trace, through `examples/env_carrier.rs`.

#[allow(dead_code)]
#[path = "../examples/env_carrier.rs"]
mod env_carrier_example;

use std::collections::HashMap;
use std::process::Command;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use tctx::env_carrier::{EnvExtractor, EnvInjector};

/// Set in the environment of the copy of this test binary that plays the child.
const CHILD_MODE: &str = "TCTX_TEST_ENV_CARRIER_CHILD";

fn sampled_context() -> Context {
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        SpanId::from(0x00f0_67aa_0ba9_02b7),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_key_value([("congo", "t61rcWkgMzE")]).unwrap(),
    ))
}

/// This test runs twice: here as the parent, and in a second process (this binary again,
/// with `CHILD_MODE` set, running only this test) as the child.
#[test]
fn a_child_process_continues_the_trace_of_its_parent() {
    if std::env::var_os(CHILD_MODE).is_some() {
        env_carrier_example::child().expect("the child records and reports its span");
        return;
    }
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "a_child_process_continues_the_trace_of_its_parent",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MODE, "1");
    let run = env_carrier_example::parent(command).unwrap();
    let vars: HashMap<_, _> = run.vars.iter().cloned().collect();

    // What the parent gave the child: its span, sampled with a random trace-id (a local
    // root), the threshold the sampler wrote, the baggage.
    let traceparent = format!("00-{}-{}-03", run.parent.trace_id(), run.parent.span_id());
    assert_eq!(vars["TRACEPARENT"], traceparent);
    assert_eq!(vars["TRACESTATE"], "ot=th:0");
    assert_eq!(vars["BAGGAGE"], "job.id=42");

    // What the child did with it: same trace, parented by the parent's span (a remote parent),
    // flags and threshold kept, baggage received.
    let child = &run.child;
    assert_eq!(child.trace_id, run.parent.trace_id().to_string());
    assert_eq!(child.parent_span_id, run.parent.span_id().to_string());
    assert!(child.parent_is_remote);
    assert_ne!(child.span_id, run.parent.span_id().to_string());
    assert_eq!(child.flags, "03");
    assert_eq!(child.tracestate, "ot=th:0");
    assert_eq!(child.job_id, "42");
    println!("parent: TRACEPARENT={traceparent}\nchild:  {child:?}");
}

#[test]
fn the_spec_names_are_the_fields_in_upper_case() {
    let mut env = EnvInjector::new();
    let propagator = tctx::TraceContextPropagator::new();
    propagator.inject_context(&sampled_context(), &mut env);
    let vars: Vec<_> = env.vars().collect();
    assert_eq!(
        vars,
        [
            (
                "TRACEPARENT",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            ),
            ("TRACESTATE", "congo=t61rcWkgMzE"),
        ]
    );
    assert_eq!(env.variable_name("baggage"), "BAGGAGE");
    // Characters a portable name does not have become `_`.
    assert_eq!(env.variable_name("uber-trace-id"), "UBER_TRACE_ID");
    assert_eq!(env.variable_name("x.b3.traceid"), "X_B3_TRACEID");
}

#[test]
fn extract_reads_what_inject_wrote() {
    let propagator = tctx::TraceContextPropagator::new();
    let mut env = EnvInjector::new();
    propagator.inject_context(&sampled_context(), &mut env);
    let child = EnvExtractor::from_vars(env.vars());
    let cx = propagator.extract(&child);
    let span = cx.span().span_context().clone();
    assert_eq!(
        span.trace_id(),
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736)
    );
    assert_eq!(span.span_id(), SpanId::from(0x00f0_67aa_0ba9_02b7));
    assert!(span.is_remote() && span.is_sampled());
    assert_eq!(span.trace_state().header(), "congo=t61rcWkgMzE");
}

/// "The environment variable carrier MUST be format-agnostic and MUST treat values as opaque
/// strings": whatever is in a variable reaches the propagator unchanged, and the propagator
/// decides.
#[test]
fn values_are_opaque_the_propagator_validates() {
    let junk = "  not a traceparent\t";
    let env = EnvExtractor::from_vars([("TRACEPARENT", junk), ("BAGGAGE", "")]);
    assert_eq!(env.get("traceparent"), Some(junk));
    assert_eq!(env.get("baggage"), Some(""));
    let cx = tctx::TraceContextPropagator::new().extract(&env);
    assert!(!cx.span().span_context().is_valid());

    let mut out = EnvInjector::new();
    out.set("traceparent", junk.to_owned());
    assert_eq!(out.vars().collect::<Vec<_>>(), [("TRACEPARENT", junk)]);
}

/// "SHOULD provide configuration options to override the default environment variable".
#[test]
fn names_can_be_chosen_per_field() {
    let env = EnvExtractor::from_vars([
        (
            "CI_TRACEPARENT",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        (
            "TRACEPARENT",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
    ])
    .with_name("TraceParent", "CI_TRACEPARENT");
    assert_eq!(env.variable_name("traceparent"), "CI_TRACEPARENT");
    let cx = tctx::TraceContextPropagator::new().extract(&env);
    assert_eq!(
        cx.span().span_context().span_id(),
        SpanId::from(0x00f0_67aa_0ba9_02b7)
    );
    // keys(): the chosen variable as its field, the portable names as they are.
    let mut keys = env.keys();
    keys.sort_unstable();
    assert_eq!(keys, ["TRACEPARENT", "traceparent"]);

    let mut out = EnvInjector::new().with_name("traceparent", "CI_TRACEPARENT");
    tctx::TraceContextPropagator::new().inject_context(&sampled_context(), &mut out);
    assert_eq!(
        out.vars().next().map(|(name, _)| name),
        Some("CI_TRACEPARENT")
    );
}

/// A child must not inherit this process's own TRACEPARENT when the context has no span:
/// `inject` removes every field's variable before it sets any.
#[test]
fn inject_removes_the_variables_of_fields_it_does_not_set() {
    let propagator = tctx::TraceContextPropagator::new();
    let mut command = Command::new("env");
    tctx::env_carrier::inject(&propagator, &Context::new(), &mut command);
    let mut envs: Vec<_> = command
        .get_envs()
        .map(|(name, value)| (name.to_str().unwrap().to_owned(), value.is_some()))
        .collect();
    envs.sort();
    assert_eq!(
        envs,
        [
            ("TRACEPARENT".to_owned(), false),
            ("TRACESTATE".to_owned(), false)
        ]
    );

    let mut command = Command::new("env");
    tctx::env_carrier::inject(&propagator, &sampled_context(), &mut command);
    let set: Vec<_> = command
        .get_envs()
        .filter_map(|(name, value)| Some((name.to_str()?, value?.to_str()?)))
        .collect();
    assert_eq!(set.len(), 2, "{set:?}");
    assert!(set.contains(&(
        "TRACEPARENT",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    )));
}

/// The snapshot is taken when the extractor is made.
#[test]
fn from_env_reads_the_process_environment() {
    let env = EnvExtractor::from_env();
    let path = std::env::var("PATH").ok();
    assert_eq!(env.get("path"), path.as_deref());
}
