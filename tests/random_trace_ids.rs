//! `TraceContextPropagator::set_random_trace_ids(false)`: the one process-wide setting, for an
//! id generator whose trace-ids are not random, set before first use. A test binary of its
//! own, since the setting is the whole process's; everything runs in one test, in order.
//! `tests/random_trace_ids_fixed.rs` shows a set after first use refused.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tctx::TraceContextPropagator;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

/// The flags of the `traceparent` injected for a span started under `parent`.
fn child_flags(sampler: Sampler, parent: &Context) -> String {
    let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
    let span = provider.tracer("test").start_with_context("span", parent);
    let mut out = HashMap::new();
    TraceContextPropagator::new().inject_context(&parent.with_span(span), &mut out);
    out["traceparent"][53..].to_owned()
}

fn extract(flags: &str) -> Context {
    let incoming = HashMap::from([(
        "traceparent".to_owned(),
        format!("00-{TRACE}-{PARENT}-{flags}"),
    )]);
    TraceContextPropagator::new().extract(&incoming)
}

#[test]
fn without_random_trace_ids_nothing_started_here_gets_the_random_bit() {
    assert!(TraceContextPropagator::random_trace_ids(), "the default");
    // Before first use: the set takes effect, and says so.
    assert!(TraceContextPropagator::set_random_trace_ids(false));
    assert!(!TraceContextPropagator::random_trace_ids());

    // 20, Random Trace ID Flag: roots started here carry no random bit.
    assert_eq!(child_flags(Sampler::AlwaysOn, &Context::new()), "01");
    assert_eq!(child_flags(Sampler::AlwaysOff, &Context::new()), "00");

    // The upstream bit is still kept exactly, through every sampling decision.
    for (upstream, sampled, dropped) in [("03", "03", "02"), ("01", "01", "00"), ("02", "03", "02")]
    {
        let cx = extract(upstream);
        assert_eq!(child_flags(Sampler::AlwaysOn, &cx), sampled, "-{upstream}");
        assert_eq!(child_flags(Sampler::AlwaysOff, &cx), dropped, "-{upstream}");
    }

    // A middleware that rebuilds the context from the bare span context can no longer add
    // the random bit to a Level 1 caller's trace: the safe side of the documented condition.
    let bare = extract("01").span().span_context().clone();
    let rebuilt = Context::new().with_remote_span_context(bare);
    assert_eq!(child_flags(Sampler::AlwaysOn, &rebuilt), "01");
    assert_eq!(child_flags(Sampler::AlwaysOff, &rebuilt), "00");

    #[cfg(feature = "sampler")]
    samplers_give_roots_an_explicit_rv();

    // Fixed: a second set is refused, says so, and changes nothing.
    assert!(!TraceContextPropagator::set_random_trace_ids(true));
    assert!(!TraceContextPropagator::random_trace_ids());
    assert_eq!(child_flags(Sampler::AlwaysOn, &Context::new()), "01");
}

/// "Root samplers set explicit randomness for non-random TraceIDs": "Root Samplers MAY insert
/// an explicit randomness value". Every consistent sampler decides on it, and keeps it.
#[cfg(feature = "sampler")]
fn samplers_give_roots_an_explicit_rv() {
    use opentelemetry::trace::{SpanKind, TraceId};
    use opentelemetry_sdk::trace::{SamplingDecision, ShouldSample};
    use tctx::probability::Randomness;
    use tctx::sampler::{
        Adaptive, ComposableParentThreshold, ComposableProbability, CompositeSampler, Probability,
    };

    let samplers: [(&str, Box<dyn ShouldSample>); 3] = [
        ("Probability", Box::new(Probability::new(0.5).unwrap())),
        (
            "CompositeSampler",
            Box::new(CompositeSampler::new(ComposableParentThreshold::new(
                ComposableProbability::new(0.5).unwrap(),
            ))),
        ),
        // Probability 1 until it has seen traffic: every root sampled, each with its rv.
        ("Adaptive", Box::new(Adaptive::new(1e6).unwrap())),
    ];
    // A root that already carries the user's rv keeps it: no second one is written.
    let user = opentelemetry::trace::SpanContext::new(
        TraceId::INVALID,
        opentelemetry::trace::SpanId::INVALID,
        opentelemetry::trace::TraceFlags::default(),
        false,
        "ot=rv:ffffffffffffff".parse().unwrap(),
    );
    let user = Context::new().with_remote_span_context(user);
    for (name, sampler) in &samplers {
        let result = sampler.should_sample(
            Some(&user),
            TraceId::from(1),
            "root",
            &SpanKind::Server,
            &[],
            &[],
        );
        let ot = result.trace_state.get("ot").unwrap_or_default().to_owned();
        assert_eq!(ot.matches("rv:").count(), 1, "{name}: {ot}");
        assert!(ot.contains("rv:ffffffffffffff"), "{name}: {ot}");
    }
    for (name, sampler) in samplers {
        let half = name != "Adaptive";
        let mut sampled = 0;
        for i in 0..2_000_u128 {
            let id = TraceId::from(0x4bf9_2f35_77b3_4da6_u128 << 64 | (i + 1));
            let result = sampler.should_sample(None, id, "root", &SpanKind::Server, &[], &[]);
            let ot = result
                .trace_state
                .get("ot")
                .expect("rv is written for such roots");
            let rv = ot
                .split(';')
                .find_map(|m| m.strip_prefix("rv:"))
                .unwrap_or_else(|| panic!("{name}: no rv in {ot}"));
            let rv = Randomness::parse(rv).unwrap();
            let is_sampled = result.decision == SamplingDecision::RecordAndSample;
            if half {
                assert_eq!(is_sampled, rv.bits() >= 0x80_0000_0000_0000, "{name}: {ot}");
                assert_eq!(is_sampled, ot.starts_with("th:8;"), "{name}: {ot}");
            }
            sampled += usize::from(is_sampled);
        }
        if half {
            // The rv comes from the sampler's own generator (`Randomness::random`), which no
            // test can seed: a bound of 10 standard deviations (22.4 each), crossed by chance
            // about once in 10^23 runs. Each decision is checked exactly above.
            assert!((776..1224).contains(&sampled), "{name}: {sampled} of 2000");
        } else {
            assert_eq!(sampled, 2_000, "{name}");
        }
    }
}
