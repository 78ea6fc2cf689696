//! The composable samplers from the SDK specification: `trace_sdk.md` "`CompositeSampler`",
//! "`ComposableSampler`", "Built-in `ComposableSamplers`", "`AlwaysRecord`", and
//! `trace_tracestate-probability-sampling.md` "General requirements". Each case names the
//! sentence it checks.

#![allow(clippy::similar_names)] // "sampler" and "sampled" are the specification's words

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState,
    Tracer, TracerProvider,
};
use opentelemetry::{Array, Context, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, SdkTracerProvider, ShouldSample};
use proptest::prelude::*;
use tctx::probability::Threshold;
use tctx::sampler::{
    AlwaysOff, AlwaysOn, AlwaysRecord, ComposableAlwaysOff, ComposableAlwaysOn,
    ComposableAnnotating, ComposableParentThreshold, ComposableProbability, ComposableRateLimited,
    ComposableRuleBased, ComposableSampler, CompositeSampler, ManualClock, ParentKind, Predicate,
    Probability, RateLimiter, Rule, SamplerDescription, SamplingIntent, SamplingParams,
    SpanMatcher,
};

mod support;

// --- helpers -------------------------------------------------------------------------------

/// A trace-id whose randomness (right-most 7 bytes) is `r`.
fn trace_id(r: u64) -> TraceId {
    TraceId::from(0x4bf9_2f35_77b3_4da6_u128 << 64 | u128::from(r))
}

fn parent(id: TraceId, flags: u8, remote: bool, state: &str) -> Context {
    let state = if state.is_empty() {
        TraceState::NONE
    } else {
        state.parse().unwrap()
    };
    let sc = SpanContext::new(id, SpanId::from(7), TraceFlags::new(flags), remote, state);
    Context::new().with_remote_span_context(sc)
}

fn decide(sampler: &dyn ShouldSample, cx: Option<&Context>, id: TraceId) -> SamplingResult {
    sampler.should_sample(cx, id, "span", &SpanKind::Internal, &[], &[])
}

fn ot(result: &SamplingResult) -> Option<&str> {
    result.trace_state.get("ot")
}

fn sampled(result: &SamplingResult) -> bool {
    result.decision == SamplingDecision::RecordAndSample
}

const HALF: u64 = 0x80_0000_0000_0000; // th:8

// --- CompositeSampler and the built-ins: spec vectors ------------------------------------

struct Case {
    sampler: &'static str,
    /// Parent: None for a root, else (flags, tracestate).
    parent: Option<(u8, &'static str)>,
    randomness: u64,
    sampled: bool,
    ot: Option<&'static str>,
    reason: &'static str,
}

fn sampler_named(name: &str) -> CompositeSampler {
    match name {
        "on" => CompositeSampler::new(ComposableAlwaysOn),
        "off" => CompositeSampler::new(ComposableAlwaysOff),
        "p0.5" => CompositeSampler::new(ComposableProbability::new(0.5).unwrap()),
        "p0.25" => CompositeSampler::new(ComposableProbability::new(0.25).unwrap()),
        "pt(off)" => CompositeSampler::new(ComposableParentThreshold::new(ComposableAlwaysOff)),
        "pt(p0.5)" => CompositeSampler::new(ComposableParentThreshold::new(
            ComposableProbability::new(0.5).unwrap(),
        )),
        other => panic!("no sampler {other}"),
    }
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { sampler: "on", parent: None, randomness: 0, sampled: true, ot: Some("th:0"),
        reason: "ComposableAlwaysOn: threshold = 0, adjusted_count_reliable true: th:0 written" },
    Case { sampler: "on", parent: Some((1, "a=1")), randomness: 5, sampled: true, ot: Some("th:0"),
        reason: "ComposableAlwaysOn ignores the parent; CompositeSampler writes th" },
    Case { sampler: "off", parent: None, randomness: u64::MAX >> 8, sampled: false, ot: None,
        reason: "ComposableAlwaysOff: no threshold: DROP" },
    Case { sampler: "off", parent: Some((1, "ot=th:8")), randomness: u64::MAX >> 8, sampled: false, ot: None,
        reason: "negative decision: the sampler removes th" },
    Case { sampler: "p0.5", parent: None, randomness: HALF, sampled: true, ot: Some("th:8"),
        reason: "R >= T samples (R = T exactly)" },
    Case { sampler: "p0.5", parent: None, randomness: HALF - 1, sampled: false, ot: None,
        reason: "R < T drops" },
    Case { sampler: "p0.5", parent: Some((3, "ot=th:c")), randomness: HALF, sampled: true, ot: Some("th:8"),
        reason: "reliable threshold: th modified to the received THRESHOLD" },
    Case { sampler: "p0.5", parent: Some((1, "ot=th:c")), randomness: HALF, sampled: true, ot: Some("th:8"),
        reason: "Presumption of TraceID randomness: no random flag, still reliable, th written" },
    Case { sampler: "p0.5", parent: Some((3, "ot=rv:7fffffffffffff")), randomness: u64::MAX >> 8, sampled: false, ot: Some("rv:7fffffffffffff"),
        reason: "R from rv when present (rv < T drops although the trace-id would sample); rv MUST NOT be modified" },
    Case { sampler: "p0.5", parent: Some((3, "ot=rv:80000000000000;th:f")), randomness: 0, sampled: true, ot: Some("th:8;rv:80000000000000"),
        reason: "rv decides and stays; th replaced" },
    Case { sampler: "p0.25", parent: Some((3, "x=1,ot=th:8,y=2")), randomness: HALF, sampled: false, ot: None,
        reason: "dropped: th removed, other members kept" },
    Case { sampler: "pt(off)", parent: None, randomness: u64::MAX >> 8, sampled: false, ot: None,
        reason: "ComposableParentThreshold: no parent: the root sampler decides" },
    Case { sampler: "pt(p0.5)", parent: None, randomness: HALF, sampled: true, ot: Some("th:8"),
        reason: "ComposableParentThreshold: root sampler's threshold" },
    Case { sampler: "pt(off)", parent: Some((3, "ot=th:8")), randomness: HALF, sampled: true, ot: Some("th:8"),
        reason: "parent's threshold if available, reliable: th kept" },
    Case { sampler: "pt(off)", parent: Some((3, "")), randomness: 0, sampled: true, ot: None,
        reason: "no parent threshold, sampled flag set: threshold 0, unreliable: th absent" },
    Case { sampler: "pt(off)", parent: Some((2, "ot=th:8")), randomness: 0, sampled: false, ot: None,
        reason: "sampled flag not set: no threshold: DROP, th removed" },
    Case { sampler: "pt(off)", parent: Some((3, "ot=th:8")), randomness: HALF - 1, sampled: true, ot: None,
        reason: "General requirements: an apparently inconsistent threshold (R < th on a sampled parent) is erased; the parent's decision stands" },
    Case { sampler: "pt(off)", parent: Some((3, "ot=th:8;rv:ffffffffffffff")), randomness: 0, sampled: true, ot: Some("th:8;rv:ffffffffffffff"),
        reason: "consistency is judged on rv when present" },
];

#[test]
fn composite_sampler_vectors() {
    for case in CASES {
        let sampler = sampler_named(case.sampler);
        let id = trace_id(case.randomness);
        let cx = case
            .parent
            .map(|(flags, state)| parent(id, flags, true, state));
        let result = decide(&sampler, cx.as_ref(), id);
        assert_eq!(
            sampled(&result),
            case.sampled,
            "{}: {}",
            case.sampler,
            case.reason
        );
        assert_eq!(ot(&result), case.ot, "{}: {}", case.sampler, case.reason);
    }
}

#[test]
fn unchanged_tracestate_is_returned_as_it_came() {
    // "samplers SHOULD normally return the passed-in Tracestate": same members, same order.
    let sampler = sampler_named("pt(off)");
    let id = trace_id(HALF);
    let cx = parent(id, 3, true, "a=1,ot=th:8,b=2");
    assert_eq!(
        decide(&sampler, Some(&cx), id).trace_state.header(),
        "a=1,ot=th:8,b=2"
    );
}

#[test]
fn descriptions() {
    let rules = ComposableRuleBased::new([
        Rule::new(
            SpanMatcher::new().with_span_kinds([SpanKind::Server]),
            ComposableAlwaysOff,
        ),
        Rule::new(SpanMatcher::new(), ComposableProbability::new(0.1).unwrap()),
    ]);
    assert_eq!(
        CompositeSampler::new(ComposableParentThreshold::new(rules)).description(),
        "ComposableParentThreshold{root:ComposableRuleBased{rules:[(SpanMatcher{span_kinds:[Server]},\
         ComposableAlwaysOff),(SpanMatcher{},ComposableProbability{0.1})]}}"
    );
    assert_eq!(
        Probability::new(0.1).unwrap().description(),
        "ProbabilitySampler{0.1}"
    );
    assert_eq!(
        AlwaysRecord::new(AlwaysOn).description(),
        "AlwaysRecord{root:AlwaysOnSampler}"
    );
}

// --- ComposableAnnotating and providers ----------------------------------------------------

#[test]
fn annotating_adds_attributes_only_to_sampled_spans() {
    // "Delegates the sampling decision to another sampler but adds attributes to sampled spans".
    let attrs = [KeyValue::new("sampling.rule", "checkout")];
    let sampler = CompositeSampler::new(ComposableAnnotating::new(
        attrs.clone(),
        ComposableProbability::new(0.5).unwrap(),
    ));
    let kept = decide(&sampler, None, trace_id(HALF));
    assert!(sampled(&kept));
    assert_eq!(kept.attributes, attrs);
    let dropped = decide(&sampler, None, trace_id(1));
    assert!(!sampled(&dropped));
    assert!(dropped.attributes.is_empty());
    // Nested annotations add up, outer last.
    let nested = CompositeSampler::new(ComposableAnnotating::new(
        [KeyValue::new("outer", 1)],
        ComposableAnnotating::new([KeyValue::new("inner", 2)], ComposableAlwaysOn),
    ));
    let keys: Vec<String> = decide(&nested, None, trace_id(1))
        .attributes
        .iter()
        .map(|kv| kv.key.to_string())
        .collect();
    assert_eq!(keys, ["inner", "outer"]);
}

/// Writes `mark=<decision>` and tries to tamper with `ot`.
struct Marking;

impl ComposableSampler for Marking {
    fn sampling_intent<'s>(&'s self, _params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        fn provide(parent: &TraceState, sampled: bool) -> TraceState {
            parent
                .insert("mark", if sampled { "kept" } else { "dropped" })
                .and_then(|ts| ts.insert("ot", "th:1;rv:00000000000000"))
                .unwrap()
        }
        SamplingIntent::sample_at(Threshold::from_probability(0.5).unwrap())
            .with_trace_state_provider(&provide)
    }
}

impl SamplerDescription for Marking {
    fn description(&self) -> String {
        "Marking".to_owned()
    }
}

#[test]
fn trace_state_provider_gets_the_decision_and_cannot_change_ot() {
    // "calls the received trace_state_provider function passing the parent Tracestate and the
    // final sampling Decision"; "ComposableSamplers MUST NOT modify the OpenTelemetry
    // TraceState"; "The explicit randomness values MUST not be modified."
    let sampler = CompositeSampler::new(Marking);
    let kept = decide(
        &sampler,
        Some(&parent(trace_id(0), 3, true, "ot=rv:ffffffffffffff")),
        trace_id(0),
    );
    assert!(sampled(&kept));
    assert_eq!(kept.trace_state.get("mark"), Some("kept"));
    assert_eq!(ot(&kept), Some("th:8;rv:ffffffffffffff"));
    let dropped = decide(&sampler, None, trace_id(1));
    assert_eq!(dropped.trace_state.get("mark"), Some("dropped"));
    assert_eq!(ot(&dropped), None);
}

// --- rule-based sampling: matching tables -----------------------------------------------

struct RuleCase {
    matcher: fn() -> SpanMatcher,
    kind: SpanKind,
    parent: ParentKind,
    name: &'static str,
    attributes: fn() -> Vec<KeyValue>,
    matches: bool,
    reason: &'static str,
}

fn route(value: &'static str) -> Vec<KeyValue> {
    vec![KeyValue::new("http.route", value)]
}

#[rustfmt::skip]
fn rule_cases() -> Vec<RuleCase> {
    vec![
        RuleCase { matcher: SpanMatcher::new, kind: SpanKind::Client, parent: ParentKind::Local, name: "x", attributes: Vec::new, matches: true,
            reason: "no conditions: matches all spans that reach it" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_values("http.route", ["/healthz", "/livez"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || route("/livez"), matches: true,
            reason: "attribute_values: the attribute's value matches any of these" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_values("http.route", ["/healthz"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || route("/healthz/x"), matches: false,
            reason: "attribute_values is equality, not a prefix" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_values("http.route", ["/healthz"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: Vec::new, matches: false,
            reason: "a missing attribute matches no attribute condition" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_values("http.response.status_code", ["404"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("http.response.status_code", 404_i64)], matches: true,
            reason: "a value of \"404\" would match the http.response.status_code 404" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_values("flag", ["true"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("flag", true)], matches: true,
            reason: "non-string attributes are matched using their string representation (bool)" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_values("ratio", ["0.5"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("ratio", 0.5)], matches: true,
            reason: "string representation (double)" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_values("tags", ["b"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("tags", Value::Array(Array::String(vec![StringValue::from("a"), StringValue::from("b")])))], matches: true,
            reason: "for array attributes, if any item matches, it is considered a match" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_values("codes", ["500"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("codes", Value::Array(Array::I64(vec![200, 404])))], matches: false,
            reason: "no array item matches" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_patterns("http.path", ["/internal/*"], ["/internal/special/*"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("http.path", "/internal/a")], matches: true,
            reason: "attribute_patterns: included" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_patterns("http.path", ["/internal/*"], ["/internal/special/*"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("http.path", "/internal/special/a")], matches: false,
            reason: "excluded has higher priority than included" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_patterns("http.path", [""; 0], ["/internal/*"]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("http.path", "/public")], matches: true,
            reason: "no included patterns: all values are included" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_patterns("http.path", ["/API/*"], [""; 0]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("http.path", "/api/x")], matches: false,
            reason: "matching is case-sensitive" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_patterns("status", ["4*"], [""; 0]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("status", 404_i64)], matches: true,
            reason: "a pattern of \"4*\" would match any http.response.status_code in 400-499" },
        RuleCase { matcher: || SpanMatcher::new().with_attribute_patterns("v", ["a?c"], [""; 0]), kind: SpanKind::Server, parent: ParentKind::None, name: "GET", attributes: || vec![KeyValue::new("v", "abc")], matches: true,
            reason: "'?' matches any single character" },
        RuleCase { matcher: || SpanMatcher::new().with_span_kinds([SpanKind::Client, SpanKind::Producer]), kind: SpanKind::Producer, parent: ParentKind::None, name: "x", attributes: Vec::new, matches: true,
            reason: "span_kinds: if the span's kind matches any of these, it matches" },
        RuleCase { matcher: || SpanMatcher::new().with_span_kinds([SpanKind::Client]), kind: SpanKind::Server, parent: ParentKind::None, name: "x", attributes: Vec::new, matches: false,
            reason: "span_kinds: other kinds do not match" },
        RuleCase { matcher: || SpanMatcher::new().with_parents([ParentKind::None]), kind: SpanKind::Client, parent: ParentKind::None, name: "x", attributes: Vec::new, matches: true,
            reason: "parent none: the trace root" },
        RuleCase { matcher: || SpanMatcher::new().with_parents([ParentKind::None]), kind: SpanKind::Client, parent: ParentKind::Remote, name: "x", attributes: Vec::new, matches: false,
            reason: "parent none does not match a remote parent" },
        RuleCase { matcher: || SpanMatcher::new().with_parents([ParentKind::Remote, ParentKind::Local]), kind: SpanKind::Client, parent: ParentKind::Local, name: "x", attributes: Vec::new, matches: true,
            reason: "parent local" },
        RuleCase { matcher: || SpanMatcher::new().with_parents([ParentKind::None]).with_span_kinds([SpanKind::Client]), kind: SpanKind::Server, parent: ParentKind::None, name: "x", attributes: Vec::new, matches: false,
            reason: "several conditions: all must match" },
        RuleCase { matcher: || SpanMatcher::new().with_span_kinds([SpanKind::Client]).with_attribute_values("db.operation", ["PING"]), kind: SpanKind::Client, parent: ParentKind::Local, name: "PING", attributes: || vec![KeyValue::new("db.operation", "PING")], matches: true,
            reason: "the redis PING snippet: client span with db.operation=PING" },
        RuleCase { matcher: || SpanMatcher::new().with_span_name("PING"), kind: SpanKind::Client, parent: ParentKind::None, name: "PING", attributes: Vec::new, matches: true,
            reason: "span name (tctx extension): exact" },
        RuleCase { matcher: || SpanMatcher::new().with_span_name_pattern("GET /api/*"), kind: SpanKind::Server, parent: ParentKind::None, name: "GET /api/users", attributes: Vec::new, matches: true,
            reason: "span name pattern (tctx extension)" },
        RuleCase { matcher: || SpanMatcher::new().with_span_name_pattern("GET /api/*"), kind: SpanKind::Server, parent: ParentKind::None, name: "POST /api/users", attributes: Vec::new, matches: false,
            reason: "span name pattern must match the whole name" },
    ]
}

#[test]
fn rule_matching_table() {
    for (i, case) in rule_cases().into_iter().enumerate() {
        let id = trace_id(1);
        let parent_sc = match case.parent {
            ParentKind::None => None,
            ParentKind::Remote => Some(SpanContext::new(
                id,
                SpanId::from(1),
                TraceFlags::SAMPLED,
                true,
                TraceState::NONE,
            )),
            ParentKind::Local => Some(SpanContext::new(
                id,
                SpanId::from(1),
                TraceFlags::SAMPLED,
                false,
                TraceState::NONE,
            )),
        };
        let attributes = (case.attributes)();
        let params = SamplingParams::new(
            parent_sc.as_ref(),
            id,
            case.name,
            &case.kind,
            &attributes,
            &[],
        );
        assert_eq!(params.parent_kind(), case.parent);
        assert_eq!(
            (case.matcher)().matches(&params),
            case.matches,
            "case {i}: {}",
            case.reason
        );
    }
}

#[test]
fn first_matching_rule_decides_and_no_match_drops() {
    // "returns the SamplingIntent from the first matching sampler"; "If no rules match,
    // returns a non-sampling intent".
    let sampler = CompositeSampler::new(ComposableRuleBased::new([
        Rule::new(
            SpanMatcher::new().with_span_kinds([SpanKind::Server]),
            ComposableAlwaysOn,
        ),
        Rule::new(
            SpanMatcher::new().with_span_kinds([SpanKind::Server, SpanKind::Client]),
            ComposableAlwaysOff,
        ),
    ]));
    let id = trace_id(1);
    let server = sampler.should_sample(None, id, "s", &SpanKind::Server, &[], &[]);
    assert!(
        sampled(&server),
        "the first rule wins over a later one that also matches"
    );
    let client = sampler.should_sample(None, id, "c", &SpanKind::Client, &[], &[]);
    assert!(!sampled(&client));
    let internal = sampler.should_sample(None, id, "i", &SpanKind::Internal, &[], &[]);
    assert!(!sampled(&internal), "no rule matches: dropped");
    assert!(!sampled(&decide(
        &CompositeSampler::new(ComposableRuleBased::new([])),
        None,
        id
    )));
}

#[test]
fn user_predicates_closures_and_traits() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let long_names = move |params: &SamplingParams<'_>| {
        counted.fetch_add(1, Ordering::Relaxed);
        params.name().len() > 10
    };
    let sampler = CompositeSampler::new(ComposableRuleBased::new([Rule::new(
        long_names,
        ComposableAlwaysOn,
    )]));
    let id = trace_id(1);
    assert!(sampled(&sampler.should_sample(
        None,
        id,
        "a-long-span-name",
        &SpanKind::Internal,
        &[],
        &[]
    )));
    assert!(!sampled(&sampler.should_sample(
        None,
        id,
        "short",
        &SpanKind::Internal,
        &[],
        &[]
    )));
    assert_eq!(calls.load(Ordering::Relaxed), 2);
}

// --- rate limiting as a composable ----------------------------------------------------------

#[test]
fn rate_limited_composable_caps_and_erases_th() {
    let clock = ManualClock::new();
    let limiter = RateLimiter::new(2.0)
        .unwrap()
        .with_burst(2.0)
        .unwrap()
        .with_clock(clock.clone());
    let sampler = CompositeSampler::new(ComposableRateLimited::new(
        ComposableProbability::new(0.5).unwrap(),
        limiter,
    ));
    // Spans the delegate would drop take no token.
    for _ in 0..10 {
        assert!(!sampled(&decide(&sampler, None, trace_id(1))));
    }
    let first = decide(&sampler, None, trace_id(HALF));
    assert!(sampled(&first));
    assert_eq!(
        ot(&first),
        None,
        "a rate-limited span has an unknown probability: th erased"
    );
    assert!(sampled(&decide(&sampler, None, trace_id(HALF))));
    assert!(
        !sampled(&decide(&sampler, None, trace_id(HALF))),
        "burst of 2 spent"
    );
    clock.advance(std::time::Duration::from_millis(500));
    assert!(sampled(&decide(&sampler, None, trace_id(HALF))));
}

// --- AlwaysRecord -------------------------------------------------------------------------

#[test]
fn always_record_table() {
    // "AlwaysRecord MUST behave as follows": DROP -> RECORD_ONLY, RECORD_ONLY -> RECORD_ONLY,
    // RECORD_AND_SAMPLE -> RECORD_AND_SAMPLE.
    let id = trace_id(1);
    assert_eq!(
        decide(&AlwaysRecord::new(AlwaysOff), None, id).decision,
        SamplingDecision::RecordOnly
    );
    assert_eq!(
        decide(&AlwaysRecord::new(AlwaysOn), None, id).decision,
        SamplingDecision::RecordAndSample
    );
    assert_eq!(
        decide(&AlwaysRecord::new(AlwaysRecord::new(AlwaysOff)), None, id).decision,
        SamplingDecision::RecordOnly
    );
    // Through a real provider: the span records but is not sampled.
    let provider = SdkTracerProvider::builder()
        .with_sampler(AlwaysRecord::new(AlwaysOff))
        .build();
    let span = provider.tracer("t").start("s");
    assert!(span.is_recording());
    assert!(!span.span_context().is_sampled());
}

// --- end to end ------------------------------------------------------------------------------

#[test]
fn rules_through_a_real_provider() {
    let rules = ComposableRuleBased::new([
        Rule::new(
            SpanMatcher::new().with_attribute_values("http.route", ["/healthz"]),
            ComposableAlwaysOff,
        ),
        Rule::new(
            SpanMatcher::new().with_attribute_values("http.route", ["/checkout"]),
            ComposableAlwaysOn,
        ),
        Rule::new(
            SpanMatcher::new(),
            ComposableProbability::new(0.25).unwrap(),
        ),
    ]);
    let provider = SdkTracerProvider::builder()
        .with_sampler(CompositeSampler::new(ComposableParentThreshold::new(rules)))
        // Seeded: the count of `/other` spans below is the same on every run.
        .with_id_generator(support::SeededIds::new(4000))
        .build();
    let tracer = provider.tracer("e2e");
    let start = |route: &'static str| {
        tracer
            .span_builder("GET")
            .with_kind(SpanKind::Server)
            .with_attributes([KeyValue::new("http.route", route)])
            .start(&tracer)
    };
    for _ in 0..50 {
        assert!(!start("/healthz").span_context().is_sampled());
        let checkout = start("/checkout");
        assert!(checkout.span_context().is_sampled());
        assert_eq!(
            checkout.span_context().trace_state().get("ot"),
            Some("th:0")
        );
    }
    let kept = (0..4000)
        .filter(|_| start("/other").span_context().is_sampled())
        .count();
    assert!((850..1150).contains(&kept), "{kept} of 4000 at 0.25");
}

// --- properties ----------------------------------------------------------------------------

fn ratio() -> impl Strategy<Value = f64> {
    prop_oneof![Just(1.0), Just(0.5), Just(0.1), 1e-6..1.0_f64]
}

proptest! {
    /// A rule-based sampler whose every rule is `probability p` decides exactly as
    /// `ComposableProbability(p)`.
    #[test]
    fn rules_of_one_probability_decide_as_that_probability(
        p in ratio(), r in 0u64..(1 << 56), kind in 0usize..3, n_rules in 1usize..4,
    ) {
        let kinds = [SpanKind::Server, SpanKind::Client, SpanKind::Internal];
        let rules = ComposableRuleBased::new((0..n_rules).map(|i| {
            let matcher = if i + 1 == n_rules { SpanMatcher::new() } else { SpanMatcher::new().with_span_kinds([kinds[i].clone()]) };
            Rule::new(matcher, ComposableProbability::new(p).unwrap())
        }));
        let by_rules = CompositeSampler::new(rules);
        let plain = CompositeSampler::new(ComposableProbability::new(p).unwrap());
        let id = trace_id(r);
        let a = by_rules.should_sample(None, id, "s", &kinds[kind], &[], &[]);
        let b = plain.should_sample(None, id, "s", &kinds[kind], &[], &[]);
        prop_assert_eq!(a.decision, b.decision);
        prop_assert_eq!(a.trace_state.header(), b.trace_state.header());
    }

    /// Consistency: a child sampling at p2 >= p1 samples every trace its parent sampled at p1.
    #[test]
    fn children_at_a_higher_probability_keep_what_parents_sampled(
        p1 in ratio(), p2 in ratio(), r in 0u64..(1 << 56), flags in prop_oneof![Just(1u8), Just(3u8)],
    ) {
        let (p1, p2) = if p1 <= p2 { (p1, p2) } else { (p2, p1) };
        let id = trace_id(r);
        let root = decide(&CompositeSampler::new(ComposableProbability::new(p1).unwrap()), None, id);
        prop_assume!(sampled(&root));
        let cx = parent(id, flags, true, &root.trace_state.header());
        let child = decide(&CompositeSampler::new(ComposableProbability::new(p2).unwrap()), Some(&cx), id);
        prop_assert!(sampled(&child));
    }
}

/// A root started under a context whose span context is invalid but carries the user's
/// tracestate: "API users control the initial `TraceState` of a root span", and "SDKs and
/// Samplers MUST NOT overwrite explicit randomness" (`trace_sdk.md`, "Explicit randomness").
fn user_root(state: &str) -> Context {
    let sc = SpanContext::new(
        TraceId::INVALID,
        SpanId::INVALID,
        TraceFlags::default(),
        false,
        state.parse().unwrap(),
    );
    Context::new().with_remote_span_context(sc)
}

#[test]
fn a_root_keeps_the_users_tracestate_and_decides_on_its_rv() {
    let sampler = sampler_named("p0.5");
    // rv below the threshold: dropped although the trace-id would be sampled.
    let low = decide(
        &sampler,
        Some(&user_root("vendor=x,ot=rv:00000000000001")),
        trace_id(u64::MAX >> 8),
    );
    assert!(!sampled(&low));
    assert_eq!(low.trace_state.header(), "vendor=x,ot=rv:00000000000001");
    // rv above it: sampled, th added, rv and the vendor's member kept.
    let high = decide(
        &sampler,
        Some(&user_root("vendor=x,ot=rv:ffffffffffffff")),
        trace_id(0),
    );
    assert!(sampled(&high));
    assert_eq!(high.trace_state.get("vendor"), Some("x"));
    assert_eq!(ot(&high), Some("th:8;rv:ffffffffffffff"));
    // Without rv the trace-id decides, and the user's members stay.
    let plain = decide(&sampler, Some(&user_root("vendor=x")), trace_id(HALF));
    assert!(sampled(&plain));
    assert_eq!(plain.trace_state.get("vendor"), Some("x"));
    // Through a real provider.
    let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
    let tracer = provider.tracer("t");
    let kept = (0..200)
        .filter(|_| {
            tracer
                .start_with_context("root", &user_root("vendor=x,ot=rv:00000000000001"))
                .span_context()
                .is_sampled()
        })
        .count();
    assert_eq!(kept, 0, "every root decided on the user's rv, below th:8");
}

/// A composable may hand a span's parameters to other threads (`SamplingParams` is `Sync`),
/// and the attribute lookup gives the same answers from any of them and from a clone.
#[test]
fn sampling_params_are_shared_across_threads() {
    let attributes = [
        opentelemetry::KeyValue::new("http.route", "/cart"),
        opentelemetry::KeyValue::new("http.method", "GET"),
    ];
    let params = tctx::sampler::SamplingParams::new(
        None,
        opentelemetry::trace::TraceId::from(1),
        "GET",
        &opentelemetry::trace::SpanKind::Server,
        &attributes,
        &[],
    );
    let route = |p: &tctx::sampler::SamplingParams<'_>| {
        p.attribute("http.route").map(|v| v.as_str().into_owned())
    };
    std::thread::scope(|scope| {
        let params = &params;
        let seen = scope.spawn(move || (route(params), params.attribute("http.method").is_some()));
        assert_eq!(seen.join().unwrap(), (Some("/cart".to_owned()), true));
    });
    assert_eq!(route(&params.clone()), Some("/cart".to_owned()));
    assert!(params.attribute("missing").is_none());
}
