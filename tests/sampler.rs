//! The samplers of `tctx::sampler`, through `ShouldSample` and through a real
//! `SdkTracerProvider` with the tctx propagator. Sections cited are of OpenTelemetry's
//! `trace/sdk.md` ("Sampling") and `trace/tracestate-probability-sampling.md`.

// "sampler" and "sampled" are both the words of the specification.
#![allow(clippy::similar_names)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState,
    Tracer, TracerProvider,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    IdGenerator, RandomIdGenerator, Sampler, SamplingDecision, SamplingResult, SdkTracerProvider,
    ShouldSample, SpanData, SpanExporter,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tctx::probability::{Randomness, Threshold};
use tctx::sampler::{
    AlwaysOff, AlwaysOn, AlwaysRecord, Described, ParentBased, ParentThreshold, Probability,
    RateLimited, RateLimiter, SamplerDescription, TraceIdRatioBased,
};
use tctx::TraceContextPropagator;

mod support;

// --- helpers -------------------------------------------------------------------------------

fn decide(sampler: &dyn ShouldSample, cx: Option<&Context>, trace_id: TraceId) -> SamplingResult {
    sampler.should_sample(cx, trace_id, "span", &SpanKind::Internal, &[], &[])
}

fn parent(trace_id: TraceId, flags: u8, remote: bool, state: &str) -> Context {
    let state = if state.is_empty() {
        TraceState::NONE
    } else {
        state.parse().unwrap()
    };
    let sc = SpanContext::new(
        trace_id,
        SpanId::from(7),
        TraceFlags::new(flags),
        remote,
        state,
    );
    Context::new().with_remote_span_context(sc)
}

/// A trace-id whose randomness (right-most 7 bytes) is `r`.
fn trace_id_with_randomness(r: u64) -> TraceId {
    TraceId::from(0x4bf9_2f35_77b3_4da6_u128 << 64 | u128::from(r))
}

fn random_trace_ids(seed: u64, n: usize) -> Vec<TraceId> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| TraceId::from(rng.random::<u128>() | 1))
        .collect()
}

fn ot(result: &SamplingResult) -> Option<&str> {
    result.trace_state.get("ot")
}

/// Tags its results with its name, to see which branch decided.
#[derive(Clone, Debug)]
struct Tag(&'static str, SamplingDecision);

impl ShouldSample for Tag {
    fn should_sample(
        &self,
        _: Option<&Context>,
        _: TraceId,
        _: &str,
        _: &SpanKind,
        _: &[KeyValue],
        _: &[opentelemetry::trace::Link],
    ) -> SamplingResult {
        SamplingResult {
            decision: self.1.clone(),
            attributes: vec![KeyValue::new("branch", self.0)],
            trace_state: TraceState::from_key_value([("tag", self.0)]).unwrap(),
        }
    }
}

impl SamplerDescription for Tag {
    fn description(&self) -> String {
        self.0.to_owned()
    }
}

// --- AlwaysOn, AlwaysOff, descriptions ----------------------------------------------------------

#[test]
fn always_on_and_off_keep_the_parent_tracestate() {
    // "AlwaysOn: Returns RECORD_AND_SAMPLE always"; "AlwaysOff: Returns DROP always";
    // "samplers SHOULD normally return the passed-in Tracestate".
    let id = trace_id_with_randomness(1);
    let cx = parent(id, 0, true, "a=1,b=2");
    let on = decide(&AlwaysOn, Some(&cx), id);
    assert_eq!(on.decision, SamplingDecision::RecordAndSample);
    assert_eq!(on.trace_state.header(), "a=1,b=2");
    let off = decide(&AlwaysOff, Some(&cx), id);
    assert_eq!(off.decision, SamplingDecision::Drop);
    assert_eq!(off.trace_state.header(), "a=1,b=2");
    assert_eq!(
        decide(&AlwaysOn, None, id).decision,
        SamplingDecision::RecordAndSample
    );
}

#[test]
fn descriptions_are_the_ones_the_spec_gives() {
    // "GetDescription"; "Description MUST be AlwaysOnSampler" / "AlwaysOffSampler";
    // "TraceIdRatioBased{RATIO}".
    assert_eq!(AlwaysOn.description(), "AlwaysOnSampler");
    assert_eq!(AlwaysOff.description(), "AlwaysOffSampler");
    assert_eq!(
        TraceIdRatioBased::new(0.0001).description(),
        "TraceIdRatioBased{0.0001}"
    );
    assert_eq!(
        ParentBased::new(AlwaysOn)
            .with_remote_parent_not_sampled(TraceIdRatioBased::new(0.5))
            .description(),
        "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,\
         remoteParentNotSampled:TraceIdRatioBased{0.5},localParentSampled:AlwaysOnSampler,\
         localParentNotSampled:AlwaysOffSampler}"
    );
    assert_eq!(
        Probability::new(0.25).unwrap().description(),
        "ProbabilitySampler{0.25}"
    );
    assert_eq!(
        ParentThreshold::new(Probability::new(0.5).unwrap()).description(),
        "ParentThreshold{root:ProbabilitySampler{0.5}}"
    );
    assert_eq!(Sampler::AlwaysOff.description(), "AlwaysOffSampler");
}

// --- ParentBased --------------------------------------------------------------------------------

#[test]
fn parent_based_routes_all_five_cases_and_forwards_the_whole_result() {
    // "ParentBased": the table of five cases. Each branch is a different sampler, and its
    // decision, attributes and tracestate come back unchanged.
    let sampler = ParentBased::new(Tag("root", SamplingDecision::RecordOnly))
        .with_remote_parent_sampled(Tag("remote-sampled", SamplingDecision::Drop))
        .with_remote_parent_not_sampled(Tag(
            "remote-not-sampled",
            SamplingDecision::RecordAndSample,
        ))
        .with_local_parent_sampled(Tag("local-sampled", SamplingDecision::Drop))
        .with_local_parent_not_sampled(Tag("local-not-sampled", SamplingDecision::RecordOnly));
    let id = trace_id_with_randomness(5);
    let invalid_parent = Context::new().with_remote_span_context(SpanContext::empty_context());
    #[rustfmt::skip]
    let cases: [(&str, Option<Context>, &str, SamplingDecision); 7] = [
        ("no context",            None,                              "root",               SamplingDecision::RecordOnly),
        ("no span",               Some(Context::new()),              "root",               SamplingDecision::RecordOnly),
        ("invalid span context",  Some(invalid_parent),              "root",               SamplingDecision::RecordOnly),
        ("remote, sampled",       Some(parent(id, 1, true, "")),     "remote-sampled",     SamplingDecision::Drop),
        ("remote, not sampled",   Some(parent(id, 0, true, "")),     "remote-not-sampled", SamplingDecision::RecordAndSample),
        ("local, sampled",        Some(parent(id, 3, false, "")),    "local-sampled",      SamplingDecision::Drop),
        ("local, not sampled",    Some(parent(id, 2, false, "")),    "local-not-sampled",  SamplingDecision::RecordOnly),
    ];
    for (case, cx, branch, decision) in cases {
        let result = decide(&sampler, cx.as_ref(), id);
        assert_eq!(result.decision, decision, "{case}");
        assert_eq!(
            result.attributes,
            vec![KeyValue::new("branch", branch)],
            "{case}"
        );
        assert_eq!(result.trace_state.get("tag"), Some(branch), "{case}");
    }
}

#[test]
fn parent_based_defaults_follow_the_parent() {
    // "remoteParentSampled(Sampler) (default: AlwaysOn)", "remoteParentNotSampled (default:
    // AlwaysOff)", and the same for local parents.
    let sampler = ParentBased::new(AlwaysOff);
    let id = trace_id_with_randomness(5);
    for (flags, remote, expected) in [
        (1, true, SamplingDecision::RecordAndSample),
        (0, true, SamplingDecision::Drop),
        (1, false, SamplingDecision::RecordAndSample),
        (0, false, SamplingDecision::Drop),
    ] {
        let cx = parent(id, flags, remote, "k=v");
        let result = decide(&sampler, Some(&cx), id);
        assert_eq!(result.decision, expected);
        assert_eq!(result.trace_state.header(), "k=v");
    }
    assert_eq!(decide(&sampler, None, id).decision, SamplingDecision::Drop);
}

// --- TraceIdRatioBased -------------------------------------------------------------------------

#[test]
fn trace_id_ratio_based_decides_bit_for_bit_as_the_sdk() {
    // The classic sampler, for compatibility: the same decision as the SDK's for every
    // trace-id, at every ratio, with and without a parent (it "MUST ignore the parent
    // SampledFlag").
    let ids = random_trace_ids(7, 20_000);
    let edge_ids = [
        TraceId::from(1),
        TraceId::from(u128::MAX),
        TraceId::from(u128::from(u64::MAX >> 1)),
        TraceId::from(u128::from(1u64 << 62)),
    ];
    for ratio in [-1.0, 0.0, 1e-9, 0.1, 0.25, 0.5, 0.999, 1.0, 2.0, f64::NAN] {
        let ours = TraceIdRatioBased::new(ratio);
        let theirs = Sampler::TraceIdRatioBased(ratio);
        for &id in ids.iter().chain(&edge_ids) {
            let cx = parent(id, 1, true, "");
            for cx in [None, Some(&cx)] {
                assert_eq!(
                    decide(&ours, cx, id).decision,
                    decide(&theirs, cx, id).decision,
                    "ratio {ratio}, {id}"
                );
            }
        }
    }
}

// --- Probability --------------------------------------------------------------------------------

#[test]
fn probability_samples_when_randomness_reaches_the_threshold() {
    // "ProbabilitySampler sampler algorithm": R >= T returns RECORD_AND_SAMPLE and "the
    // OpenTelemetry TraceState SHOULD be modified to include the key-value th:T".
    let sampler = Probability::new(0.25).unwrap(); // T = 0xc0000000000000
    let at = trace_id_with_randomness(0xc0_0000_0000_0000);
    let below = trace_id_with_randomness(0xbf_ffff_ffff_ffff);
    let sampled = decide(&sampler, None, at);
    assert_eq!(sampled.decision, SamplingDecision::RecordAndSample);
    assert_eq!(ot(&sampled), Some("th:c"));
    let dropped = decide(&sampler, None, below);
    assert_eq!(dropped.decision, SamplingDecision::Drop);
    assert_eq!(dropped.trace_state, TraceState::NONE);
}

#[test]
fn probability_ignores_the_parent_sampled_flag_and_overwrites_th() {
    // "The ProbabilitySampler sampler MUST ignore the parent SampledFlag."
    let sampler = Probability::new(0.5).unwrap();
    let high = trace_id_with_randomness(0xf0_0000_0000_0000);
    let low = trace_id_with_randomness(0x10_0000_0000_0000);
    let unsampled_parent = parent(high, 2, true, "ot=th:c;p:1,x=y");
    let result = decide(&sampler, Some(&unsampled_parent), high);
    assert_eq!(result.decision, SamplingDecision::RecordAndSample);
    assert_eq!(result.trace_state.header(), "ot=th:8;p:1,x=y");
    let sampled_parent = parent(low, 3, true, "x=y,ot=th:0");
    let result = decide(&sampler, Some(&sampled_parent), low);
    assert_eq!(result.decision, SamplingDecision::Drop);
    // A dropped span loses its th ("CompositeSampler": "In case of negative sampling
    // decision, it removes the th value").
    assert_eq!(result.trace_state.header(), "x=y");
}

#[test]
fn probability_uses_explicit_randomness_and_keeps_it() {
    // "Randomness Value (R)": rv "is meant to be used instead of the least-significant 56
    // bits of the TraceID"; "the identical rv value must be set in the outgoing TraceState".
    let sampler = Probability::new(0.25).unwrap();
    let low_id = trace_id_with_randomness(0); // would be dropped on the trace-id
    let cx = parent(low_id, 1, true, "ot=rv:f0000000000000");
    let result = decide(&sampler, Some(&cx), low_id);
    assert_eq!(result.decision, SamplingDecision::RecordAndSample);
    assert_eq!(ot(&result), Some("th:c;rv:f0000000000000"));
    let cx = parent(low_id, 1, true, "ot=rv:10000000000000");
    let result = decide(&sampler, Some(&cx), low_id);
    assert_eq!(result.decision, SamplingDecision::Drop);
    assert_eq!(ot(&result), Some("rv:10000000000000"));
}

#[test]
fn probability_does_not_rebuild_an_unchanged_tracestate() {
    // Sampled at the parent's own threshold: the parent's tracestate comes back as it was,
    // member order included (a rebuilt `ot` would move to the front).
    let sampler = Probability::new(0.25).unwrap();
    let id = trace_id_with_randomness(0xff_0000_0000_0000);
    let cx = parent(id, 3, true, "a=1,ot=th:c,b=2");
    let result = decide(&sampler, Some(&cx), id);
    assert_eq!(result.trace_state.header(), "a=1,ot=th:c,b=2");
}

#[test]
fn probability_presumes_trace_id_randomness_and_writes_th() {
    // A remote parent without the random flag (a Level 1 caller): "OpenTelemetry samplers
    // SHOULD presume that TraceIDs meet the W3C Trace Context Level 2 randomness
    // requirements, unless an explicit randomness value is present" (trace_sdk.md,
    // "Presumption of TraceID randomness"), and ComposableProbability "Sets
    // adjusted_count_reliable to true": the sampled span carries th, as with the flag.
    let sampler = Probability::new(0.25).unwrap();
    let id = trace_id_with_randomness(0xff_0000_0000_0000);
    let level1 = parent(id, 1, true, "ot=th:8");
    let result = decide(&sampler, Some(&level1), id);
    assert_eq!(result.decision, SamplingDecision::RecordAndSample);
    assert_eq!(ot(&result), Some("th:c"));
    let level2 = parent(id, 3, true, "ot=th:8");
    assert_eq!(ot(&decide(&sampler, Some(&level2), id)), Some("th:c"));
    // Below the threshold both are dropped, and th erased.
    let low = trace_id_with_randomness(0x10_0000_0000_0000);
    let dropped = decide(&sampler, Some(&parent(low, 1, true, "ot=th:8")), low);
    assert_eq!(dropped.decision, SamplingDecision::Drop);
    assert_eq!(ot(&dropped), None);
}

#[test]
fn a_tenth_samples_a_tenth_of_random_traces() {
    // Over 100,000 random trace-ids the sampled fraction lies within 4 standard deviations
    // of the threshold's probability (0.100006 for th:e666).
    let sampler = Probability::new(0.1).unwrap();
    let p = sampler.threshold().probability();
    let n = 100_000;
    let sampled = random_trace_ids(42, n)
        .into_iter()
        .filter(|&id| decide(&sampler, None, id).decision == SamplingDecision::RecordAndSample)
        .count();
    #[allow(clippy::cast_precision_loss)]
    let (n, sampled) = (n as f64, sampled as f64);
    let sd = (n * p * (1.0 - p)).sqrt();
    assert!(
        (sampled - n * p).abs() <= 4.0 * sd,
        "{sampled} sampled, expected {} ± {}",
        n * p,
        4.0 * sd
    );
}

#[test]
fn children_at_the_same_or_a_higher_probability_sample_every_sampled_trace() {
    // "Consistent Sampling Decision": "a positive sampling decision made for a particular
    // span with probability p1 necessarily implies a positive sampling decision for any span
    // belonging to the same trace if it is made with probability p2 >= p1."
    let probabilities = [0.001, 0.01, 0.1, 0.25, 0.3333, 0.5, 0.9, 1.0];
    let ids = random_trace_ids(3, 20_000);
    for (i, &p1) in probabilities.iter().enumerate() {
        let parent_sampler = Probability::new(p1).unwrap();
        for &p2 in &probabilities[i..] {
            let child_sampler = Probability::new(p2).unwrap();
            for &id in &ids {
                let root = decide(&parent_sampler, None, id);
                if root.decision != SamplingDecision::RecordAndSample {
                    continue;
                }
                let sc = SpanContext::new(
                    id,
                    SpanId::from(9),
                    TraceFlags::new(3),
                    false,
                    root.trace_state,
                );
                let cx = Context::new().with_remote_span_context(sc);
                assert_eq!(
                    decide(&child_sampler, Some(&cx), id).decision,
                    SamplingDecision::RecordAndSample,
                    "p1 {p1}, p2 {p2}, {id}"
                );
            }
        }
    }
}

// --- ParentThreshold ----------------------------------------------------------------------------

#[test]
fn parent_threshold_keeps_consistent_thresholds_and_erases_the_rest() {
    // "Parent-based threshold": "If a sampled incoming threshold is apparently inconsistent,
    // erase it"; "a parent-based sampler that receives and propagates a sampled context with
    // threshold should check that the sampled flag matches the expression rv >= th".
    let sampler = ParentThreshold::new(AlwaysOff);
    let high = trace_id_with_randomness(0xd0_0000_0000_0000);
    let low = trace_id_with_randomness(0x10_0000_0000_0000);
    #[rustfmt::skip]
    let cases: [(&str, TraceId, u8, &str, SamplingDecision, &str); 7] = [
        ("sampled, consistent th kept",   high, 3, "ot=th:c,a=1",        SamplingDecision::RecordAndSample, "ot=th:c,a=1"),
        ("sampled, inconsistent th",      low,  3, "a=1,ot=th:c;p:1",    SamplingDecision::RecordAndSample, "ot=p:1,a=1"),
        ("sampled, rv decides",           low,  3, "ot=th:c;rv:e0000000000000", SamplingDecision::RecordAndSample, "ot=th:c;rv:e0000000000000"),
        ("sampled, no th stays without",  low,  1, "a=1",                SamplingDecision::RecordAndSample, "a=1"),
        ("not sampled: dropped, th gone", high, 2, "ot=th:c,a=1",        SamplingDecision::Drop,            "a=1"),
        ("not sampled, nothing to erase", high, 0, "a=1",                SamplingDecision::Drop,            "a=1"),
        ("sampled, malformed th erased",  high, 1, "ot=th:C",            SamplingDecision::RecordAndSample, ""),
    ];
    for (case, id, flags, state, decision, expected) in cases {
        let cx = parent(id, flags, true, state);
        let result = decide(&sampler, Some(&cx), id);
        assert_eq!(result.decision, decision, "{case}");
        assert_eq!(result.trace_state.header(), expected, "{case}");
    }
}

#[test]
fn parent_threshold_delegates_roots() {
    let sampler = ParentThreshold::new(Tag("root", SamplingDecision::RecordOnly));
    let result = decide(&sampler, Some(&Context::new()), trace_id_with_randomness(1));
    assert_eq!(result.decision, SamplingDecision::RecordOnly);
    assert_eq!(result.attributes, vec![KeyValue::new("branch", "root")]);
}

// --- end to end ---------------------------------------------------------------------------------

/// Keeps every exported span.
#[derive(Clone, Debug, Default)]
struct Exported(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Exported {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

fn provider(sampler: impl ShouldSample + 'static) -> (SdkTracerProvider, Exported) {
    let exported = Exported::default();
    let provider = SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_simple_exporter(exported.clone())
        .build();
    (provider, exported)
}

fn incoming(traceparent: &str, tracestate: &str) -> HashMap<String, String> {
    let mut headers = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    if !tracestate.is_empty() {
        headers.insert("tracestate".to_owned(), tracestate.to_owned());
    }
    headers
}

#[test]
fn upstream_threshold_reaches_the_exported_span_and_the_next_hop() {
    // An upstream `-01` with `ot=th:c` is sampled, and the exported span carries that
    // tracestate; the outgoing headers too. (R = 0xce929d0e0e4736 >= T = 0xc0000000000000.)
    let (provider, exported) = provider(ParentThreshold::new(Probability::new(0.5).unwrap()));
    let tracer = provider.tracer("e2e");
    let propagator = TraceContextPropagator::new();
    let cx = propagator.extract(&incoming(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "ot=th:c,rojo=00f067aa0ba902b7",
    ));
    let span = tracer.start_with_context("GET /cart", &cx);
    let cx = cx.with_span(span);
    let mut outgoing = HashMap::new();
    propagator.inject_context(&cx, &mut outgoing);
    cx.span().end();

    let spans = exported.0.lock().unwrap();
    assert_eq!(spans.len(), 1);
    assert_eq!(
        spans[0].span_context.trace_state().header(),
        "ot=th:c,rojo=00f067aa0ba902b7"
    );
    assert!(outgoing["traceparent"].ends_with("-01"));
    assert_eq!(outgoing["tracestate"], "ot=th:c,rojo=00f067aa0ba902b7");
}

#[test]
fn unsampled_upstream_is_not_exported() {
    let (provider, exported) = provider(ParentThreshold::new(Probability::new(1.0).unwrap()));
    let tracer = provider.tracer("e2e");
    let propagator = TraceContextPropagator::new();
    let cx = propagator.extract(&incoming(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        "ot=th:c",
    ));
    let span = tracer.start_with_context("GET /cart", &cx);
    assert!(!span.span_context().is_sampled());
    let cx = cx.with_span(span);
    let mut outgoing = HashMap::new();
    propagator.inject_context(&cx, &mut outgoing);
    cx.span().end();
    assert!(exported.0.lock().unwrap().is_empty());
    assert!(outgoing["traceparent"].ends_with("-00"));
}

#[test]
fn roots_sample_at_the_configured_ratio_and_carry_th_and_the_random_flag() {
    let exported = Exported::default();
    let provider = SdkTracerProvider::builder()
        .with_sampler(ParentThreshold::new(Probability::new(0.25).unwrap()))
        .with_simple_exporter(exported.clone())
        // Seeded: the count below is the same on every run.
        .with_id_generator(support::SeededIds::new(25))
        .build();
    let tracer = provider.tracer("e2e");
    let propagator = TraceContextPropagator::new();
    let n = 20_000;
    let mut sampled = 0;
    for _ in 0..n {
        let span = tracer.start("root");
        if span.span_context().is_sampled() {
            sampled += 1;
            assert_eq!(span.span_context().trace_state().get("ot"), Some("th:c"));
            let cx = Context::new().with_span(span);
            let mut outgoing = HashMap::new();
            propagator.inject_context(&cx, &mut outgoing);
            assert!(outgoing["traceparent"].ends_with("-03"), "random flag");
            assert_eq!(outgoing["tracestate"], "ot=th:c");
        }
    }
    // 4 standard deviations of Binomial(20000, 0.25) are 245.
    assert!((5000 - 245..=5000 + 245).contains(&sampled), "{sampled}");
    // Dropping a span ends it: the sampled ones, and only those, were exported.
    assert_eq!(exported.0.lock().unwrap().len(), sampled);
}

#[test]
fn sdk_random_ids_are_random_in_the_right_most_seven_bytes() {
    // The samplers trust the trace-id of a root because the SDK's RandomIdGenerator draws
    // every byte at random: check the 56 bits are roughly uniform. The generator under test
    // cannot be seeded, so the bound is 10 standard deviations (50 each), which chance
    // crosses about once in 10^23 runs.
    let generator = RandomIdGenerator::default();
    let threshold = Threshold::from_probability(0.5).unwrap();
    let half = (0..10_000)
        .filter(|_| {
            let id = generator.new_trace_id();
            threshold.samples(Randomness::from_trace_id_bytes(id.to_bytes()))
        })
        .count();
    assert!((4_500..5_500).contains(&half), "{half}");
}

#[test]
fn callers_who_sample_everything_are_capped() {
    // "Security Considerations" (W3C Trace Context): a caller can set the sampled flag on
    // every request. Honour it, but at most 10 a second (burst 10), over 5 simulated seconds
    // of 1,000 requests a second; roots still go to their own sampler.
    use std::time::Duration;
    use tctx::sampler::{ManualClock, RateLimited, RateLimiter};

    let clock = ManualClock::new();
    let limiter = RateLimiter::new(10.0).unwrap().with_clock(clock.clone());
    let sampler =
        ParentBased::new(AlwaysOn).with_remote_parent_sampled(RateLimited::new(AlwaysOn, limiter));
    let ids = random_trace_ids(5, 5_000);
    let mut admitted = 0;
    for (i, &id) in ids.iter().enumerate() {
        clock.set(Duration::from_millis(i as u64));
        let cx = parent(id, 1, true, "ot=th:0");
        let result = decide(&sampler, Some(&cx), id);
        if result.decision == SamplingDecision::RecordAndSample {
            admitted += 1;
            // A rate-limited span has no known probability: th is erased.
            assert_eq!(ot(&result), None);
        }
        assert_eq!(
            decide(&sampler, None, id).decision,
            SamplingDecision::RecordAndSample
        );
    }
    // 10 a second for 5 seconds, plus the burst of 10.
    assert!((50..=60).contains(&admitted), "{admitted}");
}

#[test]
fn tiny_probabilities_keep_their_threshold() {
    // The spec's algorithm stops at 12 hex digits, which cannot express less than 2^-48;
    // below 2^-32 Probability uses all 56 bits, so 2^-50 stays 2^-50.
    let tiny = 2f64.powi(-50);
    let sampler = Probability::new(tiny).unwrap();
    assert_eq!(
        sampler.threshold(),
        Threshold::from_probability_exact(tiny).unwrap()
    );
    assert!((sampler.threshold().probability() - tiny).abs() < tiny * 1e-9);
    assert_eq!(
        Probability::new(0.1).unwrap().threshold(),
        Threshold::from_probability(0.1).unwrap()
    );
}

/// A sampler of another crate: it implements `ShouldSample` and nothing of tctx. It samples
/// trace-ids that are even, and marks what it decided with an attribute.
#[derive(Clone, Debug)]
struct EvenIds;

impl ShouldSample for EvenIds {
    fn should_sample(
        &self,
        _parent_context: Option<&Context>,
        trace_id: TraceId,
        _name: &str,
        _span_kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[opentelemetry::trace::Link],
    ) -> SamplingResult {
        let even = u128::from_be_bytes(trace_id.to_bytes()) % 2 == 0;
        SamplingResult {
            decision: if even {
                SamplingDecision::RecordAndSample
            } else {
                SamplingDecision::Drop
            },
            attributes: vec![KeyValue::new("even", even)],
            trace_state: opentelemetry::trace::TraceState::default(),
        }
    }
}

/// Issue 16, point 3: the combinators take any `ShouldSample`, described by its `Debug` text or
/// by `Described`, and forward its whole result.
#[test]
fn combinators_wrap_a_sampler_that_knows_nothing_of_tctx() {
    let even = TraceId::from(2);
    let odd = TraceId::from(3);
    let samplers: Vec<(Box<dyn ShouldSample>, &str)> = vec![
        (
            Box::new(ParentBased::new(EvenIds)),
            "ParentBased{root:EvenIds,",
        ),
        (
            Box::new(ParentThreshold::new(EvenIds)),
            "ParentThreshold{root:EvenIds}",
        ),
        (
            Box::new(AlwaysRecord::new(EvenIds)),
            "AlwaysRecord{root:EvenIds}",
        ),
        (
            Box::new(RateLimited::new(EvenIds, RateLimiter::new(1000.0).unwrap())),
            "RateLimited{rate:1000,burst:1000,delegate:EvenIds}",
        ),
    ];
    for (sampler, description) in &samplers {
        assert!(
            format!("{sampler:?}").starts_with(description),
            "{sampler:?}"
        );
        let kept = decide(sampler.as_ref(), None, even);
        assert_eq!(
            kept.decision,
            SamplingDecision::RecordAndSample,
            "{description}"
        );
        assert_eq!(
            kept.attributes,
            [KeyValue::new("even", true)],
            "{description}"
        );
        let dropped = decide(sampler.as_ref(), None, odd);
        let expected = if description.starts_with("AlwaysRecord") {
            SamplingDecision::RecordOnly
        } else {
            SamplingDecision::Drop
        };
        assert_eq!(dropped.decision, expected, "{description}");
    }

    let named = ParentBased::new(Described::new(EvenIds, "EvenIdsSampler"));
    assert!(named
        .description()
        .starts_with("ParentBased{root:EvenIdsSampler,remoteParentSampled:AlwaysOnSampler,"));
    assert_eq!(
        decide(&named, None, even).decision,
        SamplingDecision::RecordAndSample
    );
    // tctx's own samplers and the SDK's keep their specification descriptions when wrapped.
    assert_eq!(
        ParentThreshold::new(opentelemetry_sdk::trace::Sampler::TraceIdRatioBased(0.5))
            .description(),
        "ParentThreshold{root:TraceIdRatioBased{0.5}}"
    );
    assert_eq!(
        AlwaysRecord::new(ParentThreshold::new(Probability::new(0.5).unwrap())).description(),
        "AlwaysRecord{root:ParentThreshold{root:ProbabilitySampler{0.5}}}"
    );
}
