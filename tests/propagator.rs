//! `TraceContextPropagator` through OpenTelemetry's public API and a real `SdkTracerProvider`:
//! the processing model of W3C Trace Context (`30-processing-model.md`), the random flag end
//! to end, Level 2 tracestate keys, equivalence with the stock propagator, and each
//! deliberate difference from it.

use std::collections::HashMap;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::{
    Extractor, Injector, TextMapCompositePropagator, TextMapPropagator,
};
use opentelemetry::trace::{
    Link, Span as _, SpanContext, SpanKind, TraceContextExt, TraceId, TraceState as OtelTraceState,
    Tracer, TracerProvider,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::{
    BaggagePropagator, TraceContextPropagator as StockPropagator,
};
use opentelemetry_sdk::trace::{
    Sampler, SamplingDecision, SamplingResult, SdkTracerProvider, ShouldSample,
};
use tctx::TraceContextPropagator;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn inject(propagator: &dyn TextMapPropagator, cx: &Context) -> HashMap<String, String> {
    let mut out = HashMap::new();
    propagator.inject_context(cx, &mut out);
    out
}

/// A sampler that always answers `RecordOnly`, which no built-in sampler does.
#[derive(Debug, Clone)]
struct RecordOnly;

impl ShouldSample for RecordOnly {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        _: TraceId,
        _: &str,
        _: &SpanKind,
        _: &[KeyValue],
        _: &[Link],
    ) -> SamplingResult {
        SamplingResult {
            decision: SamplingDecision::RecordOnly,
            attributes: Vec::new(),
            trace_state: parent_context
                .map(|cx| cx.span().span_context().trace_state().clone())
                .unwrap_or_default(),
        }
    }
}

/// A sampler that inserts a tracestate member on every span it samples, as consistent
/// probability samplers do with `ot=th:...`.
#[derive(Debug, Clone)]
struct AddsMember(&'static str, &'static str);

impl ShouldSample for AddsMember {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        _: TraceId,
        _: &str,
        _: &SpanKind,
        _: &[KeyValue],
        _: &[Link],
    ) -> SamplingResult {
        let parent = parent_context
            .map(|cx| cx.span().span_context().trace_state().clone())
            .unwrap_or_default();
        SamplingResult {
            decision: SamplingDecision::RecordAndSample,
            attributes: Vec::new(),
            trace_state: parent.insert(self.0, self.1).expect("a valid member"),
        }
    }
}

fn provider(sampler: impl ShouldSample + 'static) -> SdkTracerProvider {
    SdkTracerProvider::builder().with_sampler(sampler).build()
}

/// Extracts `incoming`, starts a server span as its child, and injects the child's context.
fn hop(
    propagator: &TraceContextPropagator,
    sampler: impl ShouldSample + 'static,
    incoming: &HashMap<String, String>,
) -> (SpanContext, HashMap<String, String>) {
    let provider = provider(sampler);
    let tracer = provider.tracer("test");
    let parent = propagator.extract(incoming);
    let span = tracer.start_with_context("server", &parent);
    let child_context = span.span_context().clone();
    let cx = parent.with_span(span);
    (child_context, inject(propagator, &cx))
}

fn flags_of(headers: &HashMap<String, String>) -> &str {
    &headers["traceparent"][53..]
}

// --- Processing model: "No traceparent Received" -------------------------------------------

#[test]
fn no_traceparent_starts_a_new_trace_and_discards_a_lone_tracestate() {
    // 30-processing-model: a tracestate without a traceparent is invalid and MUST be discarded.
    let propagator = TraceContextPropagator::new();
    let incoming = headers(&[("tracestate", "rojo=00f067aa0ba902b7")]);
    let cx = propagator.extract(&incoming);
    assert!(!cx.has_active_span());
    let (child, out) = hop(&propagator, Sampler::AlwaysOn, &incoming);
    assert!(child.is_valid());
    assert_ne!(child.trace_id().to_string(), TRACE);
    assert!(!out.contains_key("tracestate"), "{out:?}");
    // A root started here with the SDK's random ids carries the random flag.
    assert_eq!(flags_of(&out), "03");
}

// --- Processing model: "A traceparent is Received" -----------------------------------------

#[rustfmt::skip]
const RESTARTS: &[(&str, &str)] = &[
    ("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "2.1 the version cannot be parsed"),
    ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "2.1 version ff is forbidden"),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", "2.2 a higher version that fails to parse"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", "2.3 version 00 with trailing data"),
    ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "2.3 invalid trace-id"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "2.3 invalid parent-id"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", "2.3 invalid trace-flags"),
];

#[test]
fn an_invalid_traceparent_restarts_the_trace_and_deletes_tracestate() {
    let propagator = TraceContextPropagator::new();
    for (traceparent, reason) in RESTARTS {
        let incoming = headers(&[("traceparent", traceparent), ("tracestate", "rojo=1")]);
        let cx = propagator.extract(&incoming);
        assert!(
            !cx.has_active_span(),
            "{reason}: the incoming context is returned"
        );
        let (child, out) = hop(&propagator, Sampler::AlwaysOn, &incoming);
        assert_ne!(child.trace_id().to_string(), TRACE, "{reason}");
        assert!(!out.contains_key("tracestate"), "{reason}: {out:?}");
    }
}

#[test]
fn a_valid_traceparent_continues_the_trace_with_a_new_parent_id() {
    // 4.1: parent-id MUST be set to the current operation; sampled reflects the decision.
    let propagator = TraceContextPropagator::new();
    let incoming = headers(&[
        ("traceparent", &format!("00-{TRACE}-{PARENT}-01")),
        ("tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
    ]);
    let (child, out) = hop(&propagator, Sampler::AlwaysOn, &incoming);
    assert_eq!(
        out["traceparent"],
        format!("00-{TRACE}-{}-01", child.span_id())
    );
    assert_ne!(child.span_id().to_string(), PARENT);
    assert_eq!(out["tracestate"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");

    let (_, out) = hop(&propagator, Sampler::AlwaysOff, &incoming);
    assert!(out["traceparent"].ends_with("-00"), "not sampled: {out:?}");
}

#[test]
fn a_higher_version_is_continued_as_version_00_with_unknown_flags_zeroed() {
    // 2.2: parse with the 00 format; set unparsed flags to 0 on outgoing requests.
    let propagator = TraceContextPropagator::new();
    let incoming = headers(&[(
        "traceparent",
        &format!("cc-{TRACE}-{PARENT}-fd-what-the-future-will-be-like"),
    )]);
    let cx = propagator.extract(&incoming);
    let remote = cx.span().span_context().clone();
    assert!(remote.is_remote() && remote.is_sampled());
    assert_eq!(
        remote.trace_flags().to_u8(),
        0x01,
        "0xfd keeps only the sampled bit"
    );
    assert_eq!(
        inject(&propagator, &cx)["traceparent"],
        format!("00-{TRACE}-{PARENT}-01")
    );
}

#[test]
fn an_invalid_tracestate_does_not_affect_the_traceparent() {
    // 20: failure to parse tracestate MUST NOT affect the parsing of traceparent.
    let propagator = TraceContextPropagator::new();
    let incoming = headers(&[
        ("traceparent", &format!("00-{TRACE}-{PARENT}-01")),
        ("tracestate", "rojo=1,Invalid=2"),
    ]);
    let (child, out) = hop(&propagator, Sampler::AlwaysOn, &incoming);
    assert_eq!(child.trace_id().to_string(), TRACE);
    assert!(!out.contains_key("tracestate"));
}

#[test]
fn an_unmodified_pass_through_sends_what_it_received() {
    // 20, Mutating the traceparent Field: if traceparent is unchanged, tracestate MUST be too.
    let propagator = TraceContextPropagator::new();
    for flags in ["00", "01", "02", "03"] {
        let traceparent = format!("00-{TRACE}-{PARENT}-{flags}");
        let incoming = headers(&[
            ("traceparent", &traceparent),
            ("tracestate", "rojo=1,a@b@c=2,congo=3"),
        ]);
        let out = inject(&propagator, &propagator.extract(&incoming));
        assert_eq!(out["traceparent"], traceparent);
        assert_eq!(out["tracestate"], "rojo=1,a@b@c=2,congo=3");
    }
}

// --- Carriers -----------------------------------------------------------------------------

/// A carrier that holds repeated header lines, like an HTTP header map.
struct MultiMap(Vec<(&'static str, &'static str)>);

impl Extractor for MultiMap {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| *k).collect()
    }
    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        let values: Vec<&str> = self
            .0
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .collect();
        (!values.is_empty()).then_some(values)
    }
}

#[test]
fn two_traceparent_values_are_invalid() {
    let propagator = TraceContextPropagator::new();
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let carrier = MultiMap(vec![("traceparent", tp), ("traceparent", tp)]);
    assert!(!propagator.extract(&carrier).has_active_span());
    // A deliberate difference: the stock propagator reads the first value.
    assert!(StockPropagator::new().extract(&carrier).has_active_span());
}

#[test]
fn header_extractor_hides_a_traceparent_field_that_is_not_ascii() {
    // opentelemetry-http's `HeaderExtractor` leaves out values that are not visible ASCII:
    // of two traceparent fields, tctx then sees one, valid, and extracts it. Two visible
    // fields are rejected as above. The carrier's choice, documented on the propagator.
    use http::{HeaderMap, HeaderValue};
    use opentelemetry_http::HeaderExtractor;

    let propagator = TraceContextPropagator::new();
    let tp = format!("00-{TRACE}-{PARENT}-01");
    let mut carrier = HeaderMap::new();
    carrier.append("traceparent", HeaderValue::from_str(&tp).unwrap());
    carrier.append(
        "traceparent",
        HeaderValue::from_bytes(b"00-\xe9\xe9-bad").unwrap(),
    );
    assert_eq!(carrier.get_all("traceparent").iter().count(), 2);
    let cx = propagator.extract(&HeaderExtractor(&carrier));
    assert_eq!(cx.span().span_context().trace_id().to_string(), TRACE);

    let mut visible = HeaderMap::new();
    visible.append("traceparent", HeaderValue::from_str(&tp).unwrap());
    visible.append("traceparent", HeaderValue::from_static("00-bad"));
    assert!(!propagator
        .extract(&HeaderExtractor(&visible))
        .has_active_span());
}

#[test]
fn several_tracestate_values_combine_in_order() {
    // 20, tracestate Header Field Values: combined per RFC 9110 section 5.3.
    let propagator = TraceContextPropagator::new();
    let carrier = MultiMap(vec![
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        ("tracestate", "rojo=1"),
        ("tracestate", "congo=2,a@b@c=3"),
    ]);
    let out = inject(&propagator, &propagator.extract(&carrier));
    assert_eq!(out["tracestate"], "rojo=1,congo=2,a@b@c=3");
}

/// A carrier that returns strange things: an empty `get_all`, text that is not a header.
struct Strange(&'static str);

impl Extractor for Strange {
    fn get(&self, _: &str) -> Option<&str> {
        Some(self.0)
    }
    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
    fn get_all(&self, _: &str) -> Option<Vec<&str>> {
        if self.0.is_empty() {
            Some(Vec::new())
        } else {
            Some(vec![self.0])
        }
    }
}

#[test]
fn never_panics_whatever_the_carrier_returns() {
    let propagator = TraceContextPropagator::new();
    let long = "x".repeat(100_000);
    let long: &'static str = Box::leak(long.into_boxed_str());
    for value in ["", "\u{0}", "00-\u{e9}", long, "-----", ",,,,=,=,="] {
        let cx = propagator.extract(&Strange(value));
        assert!(!cx.has_active_span(), "{value:?}");
        assert!(inject(&propagator, &cx).is_empty());
    }
}

#[test]
fn fields_are_the_two_header_names() {
    let propagator = TraceContextPropagator::default();
    let fields: Vec<&str> = propagator.fields().collect();
    assert_eq!(fields, ["traceparent", "tracestate"]);
}

#[test]
fn an_invalid_span_context_injects_nothing() {
    let propagator = TraceContextPropagator::new();
    assert!(inject(&propagator, &Context::new()).is_empty());
    let cx = Context::new().with_remote_span_context(SpanContext::empty_context());
    assert!(inject(&propagator, &cx).is_empty());
}

#[test]
fn composes_with_the_baggage_propagator() {
    let composite = TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]);
    let incoming = headers(&[
        ("traceparent", &format!("00-{TRACE}-{PARENT}-03")),
        ("baggage", "user=alice"),
    ]);
    let cx = composite.extract(&incoming);
    assert_eq!(cx.span().span_context().trace_id().to_string(), TRACE);
    assert_eq!(
        cx.baggage().get("user").map(ToString::to_string),
        Some("alice".to_owned())
    );
    let out = inject(&composite, &cx);
    assert_eq!(out["traceparent"], format!("00-{TRACE}-{PARENT}-03"));
    assert_eq!(out["baggage"], "user=alice");
    let fields: Vec<&str> = composite.fields().collect();
    assert!(fields.contains(&"traceparent") && fields.contains(&"baggage"));
}

#[test]
fn works_as_the_global_propagator() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let incoming = headers(&[("traceparent", &format!("00-{TRACE}-{PARENT}-03"))]);
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&incoming));
    let out = opentelemetry::global::get_text_map_propagator(|p| {
        let mut out = HashMap::new();
        p.inject_context(&cx, &mut out);
        out
    });
    assert_eq!(out["traceparent"], format!("00-{TRACE}-{PARENT}-03"));
}

// --- The random flag end to end ------------------------------------------------------------

#[test]
fn an_upstream_random_bit_survives_every_sampling_decision() {
    // 20, Random Trace ID Flag: if set in the incoming traceparent, it MUST also be set in all
    // outgoing traceparent headers with the same trace-id; if unset, it MUST stay unset.
    // (`tests/random_trace_ids.rs` checks the same with `set_random_trace_ids(false)`.)
    let propagator = TraceContextPropagator::new();
    for (upstream, sampled, unsampled) in
        [("03", "03", "02"), ("01", "01", "00"), ("02", "03", "02")]
    {
        let incoming = headers(&[("traceparent", &format!("00-{TRACE}-{PARENT}-{upstream}"))]);
        let (_, out) = hop(&propagator, Sampler::AlwaysOn, &incoming);
        assert_eq!(flags_of(&out), sampled, "sampled child of -{upstream}");
        let (_, out) = hop(&propagator, Sampler::AlwaysOff, &incoming);
        assert_eq!(flags_of(&out), unsampled, "dropped child of -{upstream}");
        let (_, out) = hop(&propagator, RecordOnly, &incoming);
        assert_eq!(
            flags_of(&out),
            unsampled,
            "record-only child of -{upstream}"
        );
    }
}

#[test]
fn the_upstream_random_bit_is_kept_only_while_the_extracted_context_is_the_parent() {
    // The documented condition of "keeps exactly the upstream random bit": a middleware that
    // rebuilds the context from the bare span context loses tctx's context entry, and a
    // child of a Level 1 caller's trace then looks like a trace started here. Pinned here so
    // that a change to it is seen; `tests/random_trace_ids.rs` shows the way out.
    let propagator = TraceContextPropagator::new();
    for (upstream, sampler, kept, rebuilt) in [
        ("01", Sampler::AlwaysOn, "01", "03"),
        ("00", Sampler::AlwaysOff, "00", "02"),
        ("01", Sampler::AlwaysOff, "00", "02"),
        ("03", Sampler::AlwaysOn, "03", "03"),
        ("03", Sampler::AlwaysOff, "02", "02"),
    ] {
        let provider = provider(sampler);
        let tracer = provider.tracer("test");
        let incoming = headers(&[("traceparent", &format!("00-{TRACE}-{PARENT}-{upstream}"))]);
        let extracted = propagator.extract(&incoming);
        let bare = extracted.span().span_context().clone();
        let rebuilt_cx = Context::new().with_remote_span_context(bare);
        for (parent, expected, how) in [
            (&extracted, kept, "extracted"),
            (&rebuilt_cx, rebuilt, "rebuilt"),
        ] {
            let span = tracer.start_with_context("server", parent);
            let out = inject(&propagator, &parent.with_span(span));
            assert_eq!(flags_of(&out), expected, "-{upstream}, {how} context");
        }
        // The remote span context itself always carries the received flags.
        assert_eq!(flags_of(&inject(&propagator, &rebuilt_cx)), upstream);
    }
}

#[test]
fn the_random_bit_survives_nested_contexts() {
    let propagator = TraceContextPropagator::new();
    for (upstream, expected) in [("01", "00"), ("03", "02")] {
        let provider = provider(Sampler::AlwaysOff);
        let tracer = provider.tracer("test");
        let incoming = headers(&[("traceparent", &format!("00-{TRACE}-{PARENT}-{upstream}"))]);
        let mut cx = propagator.extract(&incoming);
        for depth in 0..4 {
            let span = tracer.start_with_context(format!("level {depth}"), &cx);
            cx = cx.with_span(span);
            assert_eq!(
                flags_of(&inject(&propagator, &cx)),
                expected,
                "depth {depth}"
            );
        }
        // Attached as the current context too.
        let _guard = cx.clone().attach();
        let span = tracer.start("current");
        let out = inject(&propagator, &Context::current_with_span(span));
        assert_eq!(flags_of(&out), expected);
    }
}

#[test]
fn roots_started_here_carry_the_random_bit() {
    // 20, Random Trace ID Flag: when the right-most 7 bytes are random, the flag SHOULD be set.
    // (`tests/random_trace_ids.rs`: not with `set_random_trace_ids(false)`.)
    let propagator = TraceContextPropagator::new();
    for (sampler, expected) in [(Sampler::AlwaysOn, "03"), (Sampler::AlwaysOff, "02")] {
        let provider = provider(sampler);
        let root = provider
            .tracer("test")
            .start_with_context("root", &Context::new());
        let cx = Context::new().with_span(root);
        assert_eq!(flags_of(&inject(&propagator, &cx)), expected);
    }
}

#[test]
fn a_new_root_inside_an_extracted_context_is_not_confused_with_upstream() {
    // A marker belongs to one trace-id: a different trace in the same context ignores it.
    let propagator = TraceContextPropagator::new();
    let incoming = headers(&[("traceparent", &format!("00-{TRACE}-{PARENT}-01"))]);
    let cx = propagator.extract(&incoming);
    let other = |remote| {
        SpanContext::new(
            TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
            opentelemetry::trace::SpanId::from_hex("b7ad6b7169203331").unwrap(),
            opentelemetry::trace::TraceFlags::SAMPLED,
            remote,
            OtelTraceState::default(),
        )
    };
    // Another remote context (another propagator's): its own flags.
    let out = inject(&propagator, &cx.with_remote_span_context(other(true)));
    assert_eq!(flags_of(&out), "01");
    // A local span of another trace: started here, so random.
    let out = inject(&propagator, &cx.with_remote_span_context(other(false)));
    assert_eq!(flags_of(&out), "03");
}

// --- Level 2 tracestate keys ---------------------------------------------------------------

#[test]
fn level_2_keys_opentelemetry_cannot_hold_still_travel_in_order() {
    let propagator = TraceContextPropagator::new();
    let received = "a@b@c=1,rojo=00f067aa0ba902b7,foo@@bar=2,tenant@averyverylongvendor=3,congo=4";
    let incoming = headers(&[
        ("traceparent", &format!("00-{TRACE}-{PARENT}-01")),
        ("tracestate", received),
    ]);
    let cx = propagator.extract(&incoming);
    let otel = cx.span().span_context().trace_state().clone();
    assert_eq!(
        otel.header(),
        "rojo=00f067aa0ba902b7,congo=4",
        "what OpenTelemetry can hold"
    );
    assert_eq!(inject(&propagator, &cx)["tracestate"], received);

    // A sampled child keeps them; a sampler that adds a member puts it first.
    let (_, out) = hop(&propagator, Sampler::AlwaysOn, &incoming);
    assert_eq!(out["tracestate"], received);
    let (_, out) = hop(&propagator, AddsMember("ot", "th:c"), &incoming);
    assert_eq!(out["tracestate"], format!("ot=th:c,{received}"));
    // An update through OpenTelemetry moves the key to the front.
    let (_, out) = hop(&propagator, AddsMember("rojo", "new"), &incoming);
    assert_eq!(
        out["tracestate"],
        "rojo=new,a@b@c=1,foo@@bar=2,tenant@averyverylongvendor=3,congo=4"
    );
}

#[test]
fn members_deleted_through_opentelemetry_stay_deleted() {
    let propagator = TraceContextPropagator::new();
    let incoming = headers(&[
        ("traceparent", &format!("00-{TRACE}-{PARENT}-01")),
        ("tracestate", "a@b@c=1,rojo=2,congo=3"),
    ]);
    let cx = propagator.extract(&incoming);
    let span = cx.span();
    let sc = span.span_context();
    let trimmed = SpanContext::new(
        sc.trace_id(),
        sc.span_id(),
        sc.trace_flags(),
        true,
        sc.trace_state().delete("rojo").unwrap(),
    );
    let out = inject(&propagator, &cx.with_remote_span_context(trimmed));
    assert_eq!(out["tracestate"], "a@b@c=1,congo=3");
}

#[test]
fn opentelemetry_values_that_break_the_grammar_are_not_sent() {
    // OpenTelemetry's TraceState accepts values with tabs or trailing spaces; the header may not.
    let propagator = TraceContextPropagator::new();
    let state =
        OtelTraceState::from_key_value([("good", "1"), ("tab", "a\tb"), ("space", "x ")]).unwrap();
    let sc = SpanContext::new(
        TraceId::from_hex(TRACE).unwrap(),
        opentelemetry::trace::SpanId::from_hex(PARENT).unwrap(),
        opentelemetry::trace::TraceFlags::SAMPLED,
        false,
        state,
    );
    let out = inject(&propagator, &Context::new().with_remote_span_context(sc));
    assert_eq!(out["tracestate"], "good=1");
}

#[test]
fn tracestate_is_truncated_by_whole_members() {
    // 20, tracestate Limits: whole entries, those over 128 characters first.
    let big = format!("big={}", "x".repeat(200));
    let small: Vec<String> = (0..40)
        .map(|i| format!("k{i:02}={}", "v".repeat(10)))
        .collect();
    let received = std::iter::once(big.clone())
        .chain(small[..31].iter().cloned())
        .collect::<Vec<_>>()
        .join(",");
    let incoming = headers(&[
        ("traceparent", &format!("00-{TRACE}-{PARENT}-01")),
        ("tracestate", &received),
    ]);
    let propagator = TraceContextPropagator::new();
    let out = inject(&propagator, &propagator.extract(&incoming));
    assert_eq!(
        out["tracestate"],
        small[..31].join(","),
        "the large member goes first"
    );
    assert!(out["tracestate"].len() <= 512);

    let propagator = TraceContextPropagator::builder()
        .with_max_tracestate_len(50)
        .build();
    let out = inject(&propagator, &propagator.extract(&incoming));
    assert_eq!(out["tracestate"], small[..3].join(","));

    let propagator = TraceContextPropagator::builder()
        .with_max_tracestate_len(5)
        .build();
    let out = inject(&propagator, &propagator.extract(&incoming));
    assert!(!out.contains_key("tracestate"), "nothing fits: no header");
}

// --- Equivalence with the stock propagator -------------------------------------------------

/// Inputs on which the stock propagator is spec-correct: no random flag, Level 1 keys,
/// canonical tracestate, and invalid inputs both reject.
#[rustfmt::skip]
const EQUIVALENT: &[(&str, &str)] = &[
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "rojo=1"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09", "tenant@vendor=x"),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "a=1,b=2"),
    ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "a=1 , b=2"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "Invalid=1"),
    ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "a=1"),
    ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "a=1"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "a=1"),
    ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "a=1"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "a=1"),
    ("", "a=1"),
];

#[test]
fn matches_the_stock_propagator_where_it_is_spec_correct() {
    let ours = TraceContextPropagator::new();
    let stock = StockPropagator::new();
    for (traceparent, tracestate) in EQUIVALENT {
        let incoming = headers(&[("traceparent", traceparent), ("tracestate", tracestate)]);
        let (our_cx, stock_cx) = (ours.extract(&incoming), stock.extract(&incoming));
        assert_eq!(
            our_cx.span().span_context(),
            stock_cx.span().span_context(),
            "extract {traceparent:?} {tracestate:?}"
        );
        let (our_out, mut stock_out) = (inject(&ours, &our_cx), inject(&stock, &stock_cx));
        // Deliberate: tctx sends no empty tracestate header; stock sends `tracestate: `.
        if stock_out.get("tracestate").is_some_and(String::is_empty) {
            stock_out.remove("tracestate");
        }
        assert_eq!(our_out, stock_out, "inject {traceparent:?} {tracestate:?}");
    }
}

// --- Each deliberate difference from the stock propagator ----------------------------------

fn both(traceparent: &str, tracestate: &str) -> (HashMap<String, String>, HashMap<String, String>) {
    let incoming = headers(&[("traceparent", traceparent), ("tracestate", tracestate)]);
    let ours = TraceContextPropagator::new();
    let stock = StockPropagator::new();
    (
        inject(&ours, &ours.extract(&incoming)),
        inject(&stock, &stock.extract(&incoming)),
    )
}

#[test]
fn difference_the_random_flag_is_kept() {
    let (ours, stock) = both(&format!("00-{TRACE}-{PARENT}-03"), "");
    assert_eq!(flags_of(&ours), "03");
    assert_eq!(flags_of(&stock), "01");
}

#[test]
fn difference_malformed_traceparents_the_stock_propagator_accepts() {
    #[rustfmt::skip]
    let cases = [
        (format!("00-{TRACE}-{PARENT}-01-"), "version 00 has no trailing data"),
        (format!("00-{}-{PARENT}-01", &TRACE[1..]), "a 31-digit trace-id"),
        (format!("00-+{}-{PARENT}-01", &TRACE[1..]), "a sign is not a hex digit"),
        (format!("00-{TRACE}-{PARENT}-01\n"), "a newline is not optional whitespace"),
    ];
    for (traceparent, reason) in cases {
        let (ours, stock) = both(&traceparent, "");
        assert!(ours.is_empty(), "{reason}: tctx rejects {traceparent:?}");
        assert!(!stock.is_empty(), "{reason}: stock accepts {traceparent:?}");
    }
}

#[test]
fn difference_no_empty_tracestate_header() {
    let (ours, stock) = both(&format!("00-{TRACE}-{PARENT}-01"), "");
    assert!(!ours.contains_key("tracestate"));
    assert_eq!(stock.get("tracestate").map(String::as_str), Some(""));
}

#[test]
fn difference_level_2_keys_are_kept() {
    let (ours, stock) = both(&format!("00-{TRACE}-{PARENT}-01"), "a@b@c=1,rojo=2");
    assert_eq!(ours["tracestate"], "a@b@c=1,rojo=2");
    assert_eq!(stock["tracestate"], "", "stock drops the whole header");
}

#[test]
fn difference_invalid_values_and_33_members_discard_the_header() {
    let (ours, stock) = both(&format!("00-{TRACE}-{PARENT}-01"), "rojo=a\tb");
    assert!(!ours.contains_key("tracestate"));
    assert_eq!(stock["tracestate"], "rojo=a\tb", "stock forwards a tab");

    let many = (0..33)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join(",");
    let (ours, stock) = both(&format!("00-{TRACE}-{PARENT}-01"), &many);
    assert!(!ours.contains_key("tracestate"));
    assert_eq!(
        stock["tracestate"].split(',').count(),
        32,
        "stock keeps the first 32"
    );
}

#[test]
fn difference_duplicate_keys_keep_the_left_most() {
    let (ours, stock) = both(&format!("00-{TRACE}-{PARENT}-01"), "a=1,b=2,a=3");
    assert_eq!(ours["tracestate"], "a=1,b=2");
    assert_eq!(
        stock["tracestate"], "a=1,b=2,a=3",
        "stock forwards the duplicate"
    );
}

#[test]
fn difference_long_tracestate_is_truncated() {
    let long = (0..32)
        .map(|i| format!("k{i:02}={}", "v".repeat(30)))
        .collect::<Vec<_>>()
        .join(",");
    let (ours, stock) = both(&format!("00-{TRACE}-{PARENT}-01"), &long);
    assert!(ours["tracestate"].len() <= 512);
    assert_eq!(stock["tracestate"], long);
}

/// `Injector` is implemented for `HashMap`; this one also checks it is only ever given
/// the two fields.
struct OnlyFields(Vec<String>);

impl Injector for OnlyFields {
    fn set(&mut self, key: &str, _: String) {
        assert!(key == "traceparent" || key == "tracestate");
        self.0.push(key.to_owned());
    }
}

#[test]
fn inject_writes_only_its_fields() {
    let propagator = TraceContextPropagator::new();
    let incoming = headers(&[
        ("traceparent", &format!("00-{TRACE}-{PARENT}-01")),
        ("tracestate", "a=1"),
    ]);
    let mut out = OnlyFields(Vec::new());
    propagator.inject_context(&propagator.extract(&incoming), &mut out);
    assert_eq!(out.0, ["traceparent", "tracestate"]);
}

proptest::proptest! {
    /// The members tctx hands to OpenTelemetry are exactly those its `TraceState` accepts;
    /// all of them travel either way.
    #[test]
    fn opentelemetry_gets_every_member_it_can_hold(
        key in "k[a-z0-9_*/@-]{0,6}(@[a-z0-9_*/@-]{0,16})?",
    ) {
        let propagator = TraceContextPropagator::new();
        let tracestate = format!("{key}=v,rojo=1");
        let incoming = headers(&[
            ("traceparent", &format!("00-{TRACE}-{PARENT}-01")),
            ("tracestate", &tracestate),
        ]);
        let cx = propagator.extract(&incoming);
        let span = cx.span();
        let held = span.span_context().trace_state();
        let accepted = OtelTraceState::from_key_value([(key.as_str(), "v")]).is_ok();
        proptest::prop_assert_eq!(held.get(&key).is_some(), accepted);
        proptest::prop_assert_eq!(held.get("rojo"), Some("1"));
        let out = inject(&propagator, &cx);
        proptest::prop_assert_eq!(&out["tracestate"], &tracestate);
    }
}

proptest::proptest! {
    /// Inject checks only the emptiness of the keys it takes from OpenTelemetry's
    /// `TraceState`: this pins that OpenTelemetry holds no key but the empty one and valid
    /// Level 2 keys ("Key", Level 2 grammar), for any printable ASCII and for long keys.
    #[test]
    fn every_key_opentelemetry_holds_is_empty_or_a_level_2_key(
        key in "[ -~]{0,24}|[a-z0-9_*/@-]{250,260}|[a-z0-9][a-z0-9_*/-]{0,8}@[ -~]{0,16}",
    ) {
        if OtelTraceState::from_key_value([(key.as_str(), "v")]).is_ok() {
            proptest::prop_assert!(
                key.is_empty() || tctx::TraceState::make([(key.as_str(), "v")]).is_ok(),
                "OpenTelemetry holds {key:?}, which the grammar forbids"
            );
        }
    }
}

proptest::proptest! {
    /// Inject checks only the part of the value grammar OpenTelemetry's `TraceState` lets
    /// through (printable ASCII, not empty, no trailing space): this pins that OpenTelemetry
    /// holds no value with `,` or `=`, or longer than 256 characters ("Value", Level 2
    /// grammar).
    #[test]
    fn every_value_opentelemetry_holds_has_no_comma_or_equals_and_fits(
        value in "[ -~]{0,24}|[ -~]{250,260}|[\\x00-\\x7f]{0,8}[,=][\\x00-\\x7f]{0,8}",
    ) {
        if OtelTraceState::from_key_value([("k", value.as_str())]).is_ok() {
            proptest::prop_assert!(
                value.len() <= 256 && !value.contains([',', '=']),
                "OpenTelemetry holds the value {value:?}"
            );
        }
    }
}

#[test]
fn an_empty_key_opentelemetry_holds_is_not_sent() {
    // OpenTelemetry accepts an empty key; "Key" (Level 2 grammar) does not.
    let propagator = TraceContextPropagator::new();
    let state = OtelTraceState::from_key_value([("", "1"), ("good", "2")]).unwrap();
    let sc = SpanContext::new(
        TraceId::from_hex(TRACE).unwrap(),
        opentelemetry::trace::SpanId::from_hex(PARENT).unwrap(),
        opentelemetry::trace::TraceFlags::SAMPLED,
        false,
        state,
    );
    let out = inject(&propagator, &Context::new().with_remote_span_context(sc));
    assert_eq!(out["tracestate"], "good=2");
}

// --- The response side: Server-Timing -----------------------------------------------------

#[test]
fn a_client_learns_the_server_span_from_server_timing() {
    // 21-http_response_header_format: the trace metric names the server's operation, and a
    // participant continuing an upstream trace MUST keep its random-trace-id flag.
    let propagator = TraceContextPropagator::new();
    for upstream in ["01", "03"] {
        let request = headers(&[("traceparent", &format!("00-{TRACE}-{PARENT}-{upstream}"))]);
        let provider = provider(Sampler::AlwaysOn);
        let parent = propagator.extract(&request);
        let server_span = provider
            .tracer("server")
            .start_with_context("GET /", &parent);
        let server_context = server_span.span_context().clone();
        let cx = parent.with_span(server_span);

        let metric = tctx::server_timing::metric(&cx).expect("a valid span");
        let response = headers(&[("server-timing", &format!("db;dur=53, {metric}"))]);
        let learned = tctx::server_timing::extract(&response).expect("a trace metric");
        assert_eq!(learned.trace_id(), server_context.trace_id());
        assert_eq!(learned.span_id(), server_context.span_id());
        assert!(learned.is_remote() && learned.is_sampled());
        assert_eq!(
            &metric[metric.len() - 2..],
            upstream,
            "random flag as received"
        );
    }
}

#[test]
fn server_timing_needs_a_valid_span_and_a_valid_metric() {
    assert_eq!(tctx::server_timing::metric(&Context::new()), None);
    for header in [
        "db;dur=53",
        "trace;desc=00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "",
    ] {
        let response = headers(&[("server-timing", header)]);
        assert_eq!(tctx::server_timing::extract(&response), None, "{header:?}");
    }
    assert_eq!(tctx::server_timing::extract(&headers(&[])), None);
    // Several header fields: the first with a valid trace metric counts.
    let carrier = MultiMap(vec![
        ("server-timing", "db;dur=53"),
        (
            "server-timing",
            "trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
    ]);
    let learned = tctx::server_timing::extract(&carrier).unwrap();
    assert_eq!(learned.span_id().to_string(), "b7ad6b7169203331");
}

#[test]
fn server_timing_fields_combine_as_their_joined_value() {
    // RFC 9110 section 5.3: fields combine by joining with ", ". A quoted string that the
    // first field leaves open swallows the second field's metric, in the joined value and
    // in the fields alike (the fields were once read one at a time, and disagreed).
    let metric = "trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    for (fields, found) in [
        (vec!["x;desc=\"open", metric], false),
        (vec!["x;desc=\"open", "close\"", metric], true),
        (vec!["db;dur=1", metric], true),
    ] {
        let joined = fields.join(", ");
        let carrier = MultiMap(fields.iter().map(|f| ("server-timing", *f)).collect());
        let one = headers(&[("server-timing", &joined)]);
        let (by_fields, by_join) = (
            tctx::server_timing::extract(&carrier),
            tctx::server_timing::extract(&one),
        );
        assert_eq!(by_fields, by_join, "{fields:?}");
        assert_eq!(by_fields.is_some(), found, "{fields:?}");
    }
}
