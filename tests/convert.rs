//! `From`/`TryFrom` between the codec's types and OpenTelemetry's, through the public API; the
//! `Context` conversion is checked against what the propagator injects, with a real
//! `SdkTracerProvider`.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    SpanContext, SpanId as OtelSpanId, TraceContextExt, TraceFlags, TraceId as OtelTraceId,
    TraceState as OtelTraceState, Tracer, TracerProvider,
};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tctx::{
    ConversionError, ParseErrorKind, SpanId, TraceContextPropagator, TraceId, TraceState,
    Traceparent,
};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

fn otel_trace_id() -> OtelTraceId {
    OtelTraceId::from_hex(TRACE).unwrap()
}

fn otel_span_id() -> OtelSpanId {
    OtelSpanId::from_hex(PARENT).unwrap()
}

#[test]
fn ids_keep_their_bytes_and_the_zero_id_is_refused() {
    let trace_id = TraceId::parse(TRACE).unwrap();
    let span_id = SpanId::parse(PARENT).unwrap();

    // Same bytes both ways.
    assert_eq!(OtelTraceId::from(trace_id), otel_trace_id());
    assert_eq!(TraceId::try_from(otel_trace_id()), Ok(trace_id));
    assert_eq!(OtelSpanId::from(span_id), otel_span_id());
    assert_eq!(SpanId::try_from(otel_span_id()), Ok(span_id));

    // "All bytes as zero is considered an invalid value" (traceparent, trace-id and parent-id):
    // OpenTelemetry's INVALID ids have no tctx counterpart.
    assert_eq!(
        TraceId::try_from(OtelTraceId::INVALID),
        Err(ConversionError::InvalidTraceId)
    );
    assert_eq!(
        SpanId::try_from(OtelSpanId::INVALID),
        Err(ConversionError::InvalidSpanId)
    );
}

#[test]
fn a_traceparent_becomes_the_remote_span_context_extract_would_give() {
    let propagator = TraceContextPropagator::new();
    #[rustfmt::skip]
    let cases = [
        ("00", "not sampled, Level 1"),
        ("01", "sampled, Level 1: no random bit made up"),
        ("02", "not sampled, random: the Level 2 bit kept"),
        ("03", "sampled and random"),
    ];
    for (flags, reason) in cases {
        let header = format!("00-{TRACE}-{PARENT}-{flags}");
        let tp = Traceparent::parse(&header).unwrap();
        let converted = SpanContext::from(tp);
        let extracted = propagator.extract(&HashMap::from([("traceparent".to_owned(), header)]));
        assert_eq!(
            &converted,
            extracted.span().span_context(),
            "{flags}: {reason}"
        );
        assert!(
            converted.is_remote(),
            "{flags}: a received traceparent is remote"
        );
        // And back: a remote span context keeps exactly its flags.
        assert_eq!(
            Traceparent::try_from(&converted),
            Ok(tp),
            "{flags}: {reason}"
        );
    }
}

#[test]
fn a_span_context_becomes_a_traceparent_with_the_propagators_random_rule() {
    #[rustfmt::skip]
    let cases: [(u8, bool, &str, &str); 7] = [
        (0x01, true,  "01", "remote from a Level 1 caller: the random bit is not made up"),
        (0x03, true,  "03", "remote from a Level 2 caller: kept"),
        (0x00, true,  "00", "remote, not sampled, Level 1"),
        (0x02, true,  "02", "remote, not sampled, random: kept"),
        (0x01, false, "03", "local span (a trace started here): the SDK's ids are random"),
        (0x00, false, "02", "local dropped root: still random, so it goes out as -02"),
        (0x81, true,  "01", "unknown flag bits are zeroed (\"Other Flags\")"),
    ];
    for (flags, remote, expected, reason) in cases {
        let span_context = SpanContext::new(
            otel_trace_id(),
            otel_span_id(),
            TraceFlags::new(flags),
            remote,
            OtelTraceState::NONE,
        );
        let tp = Traceparent::try_from(&span_context).unwrap();
        assert_eq!(
            tp.to_string(),
            format!("00-{TRACE}-{PARENT}-{expected}"),
            "{reason}"
        );
    }

    // An invalid span context has no traceparent: the propagator injects nothing for it.
    let zero_span = SpanContext::new(
        otel_trace_id(),
        OtelSpanId::INVALID,
        TraceFlags::SAMPLED,
        true,
        OtelTraceState::NONE,
    );
    assert_eq!(
        Traceparent::try_from(&SpanContext::NONE),
        Err(ConversionError::InvalidTraceId)
    );
    assert_eq!(
        Traceparent::try_from(zero_span),
        Err(ConversionError::InvalidSpanId)
    );
}

#[test]
fn a_context_becomes_exactly_the_traceparent_the_propagator_injects() {
    let propagator = TraceContextPropagator::new();
    #[rustfmt::skip]
    let cases = [
        ("01", Sampler::AlwaysOn,  "Level 1 caller, span sampled: the marker keeps -01"),
        ("01", Sampler::AlwaysOff, "Level 1 caller, span dropped (SDK resets flags): -00"),
        ("03", Sampler::AlwaysOn,  "Level 2 caller, span sampled: -03"),
        ("03", Sampler::AlwaysOff, "Level 2 caller, span dropped: the random bit survives, -02"),
        ("00", Sampler::AlwaysOn,  "not-sampled Level 1 caller"),
    ];
    for (flags, sampler, reason) in cases {
        let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
        let tracer = provider.tracer("convert");
        let request = HashMap::from([(
            "traceparent".to_owned(),
            format!("00-{TRACE}-{PARENT}-{flags}"),
        )]);
        let received = propagator.extract(&request);
        let cx = received.with_span(tracer.start_with_context("child", &received));

        let mut injected = HashMap::new();
        propagator.inject_context(&cx, &mut injected);
        let converted = Traceparent::try_from(&cx).unwrap();
        assert_eq!(converted.to_string(), injected["traceparent"], "{reason}");
        // The span context alone cannot know the Level 1 caller's bit: the whole Context can.
        if flags == "01" {
            assert!(!converted.is_random(), "{reason}");
        }
    }

    // A root started here: random, as the propagator says.
    let provider = SdkTracerProvider::builder().build();
    let root = provider.tracer("convert").start("root");
    let cx = Context::new().with_span(root);
    assert_eq!(Traceparent::try_from(&cx).unwrap().flags(), 0x03);
    assert_eq!(
        Traceparent::try_from(&Context::new()),
        Err(ConversionError::InvalidTraceId),
        "no span: nothing to send"
    );
}

#[test]
fn a_tracestate_becomes_opentelemetrys_unless_it_holds_a_key_opentelemetry_refuses() {
    #[rustfmt::skip]
    let cases: [(&str, Result<&str, &str>, &str); 7] = [
        ("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", Ok("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"), "order kept"),
        ("tenant@vendor=1", Ok("tenant@vendor=1"), "multi-tenant key with one @: both accept it"),
        ("ot=th:0, x= lead", Ok("ot=th:0,x= lead"), "a leading space is part of the value"),
        ("a@b@c=1", Err("a@b@c"), "Level 2 allows @ anywhere after the first character; OpenTelemetry one @"),
        ("foo@@bar=1", Err("foo@@bar"), "two @ in a row"),
        ("t@abcdefghijklmn=1", Err("t@abcdefghijklmn"), "OpenTelemetry allows at most 13 characters after @"),
        ("x=1,a@b@c=2,foo@@bar=3", Err("a@b@c"), "the first refused key is named"),
    ];
    for (header, expected, reason) in cases {
        let state = TraceState::parse(header).unwrap();
        let converted = OtelTraceState::try_from(&state);
        match expected {
            Ok(otel_header) => assert_eq!(converted.unwrap().header(), otel_header, "{reason}"),
            Err(key) => assert_eq!(
                converted,
                Err(ConversionError::UnsupportedKey(key.to_owned())),
                "{reason}"
            ),
        }
    }
    assert_eq!(
        OtelTraceState::try_from(TraceState::new()).unwrap(),
        OtelTraceState::NONE,
        "empty stays empty"
    );
}

/// Key-value pairs to build OpenTelemetry's `TraceState` from.
type Pairs = &'static [(&'static str, &'static str)];

#[test]
fn opentelemetrys_tracestate_becomes_tctxs_unless_it_holds_what_level_2_forbids() {
    #[rustfmt::skip]
    let cases: [(Pairs, Result<&str, ParseErrorKind>, &str); 7] = [
        (&[("rojo", "1"), ("congo", "2")], Ok("rojo=1,congo=2"), "order kept"),
        (&[("a", "1"), ("a", "2")], Ok("a=1"), "OpenTelemetry keeps repeated keys; the left-most wins, as parse does"),
        (&[], Ok(""), "empty stays empty"),
        (&[("rojo", "a\tb")], Err(ParseErrorKind::Value), "a tab is not printable ASCII (value grammar)"),
        (&[("rojo", "x ")], Err(ParseErrorKind::Value), "a value must not end in a space"),
        (&[("rojo", "")], Err(ParseErrorKind::Value), "a value has at least one character"),
        (&[("", "1")], Err(ParseErrorKind::Key), "OpenTelemetry accepts an empty key; the grammar does not"),
    ];
    for (pairs, expected, reason) in cases {
        let otel = OtelTraceState::from_key_value(pairs.iter().copied()).unwrap();
        let converted = TraceState::try_from(&otel);
        match expected {
            Ok(header) => assert_eq!(converted.unwrap().as_str(), header, "{reason}"),
            Err(kind) => match converted {
                Err(ConversionError::TraceState(error)) => {
                    assert_eq!(error.kind(), kind, "{reason}");
                }
                other => panic!("{reason}: {other:?}"),
            },
        }
    }
}

#[test]
fn conversion_errors_say_what_went_wrong() {
    #[rustfmt::skip]
    let cases = [
        (ConversionError::InvalidTraceId, "the all-zero trace-id is invalid"),
        (ConversionError::InvalidSpanId, "the all-zero span-id is invalid"),
        (ConversionError::UnsupportedKey("a@b@c".to_owned()),
         "OpenTelemetry's TraceState cannot hold the W3C Level 2 key \"a@b@c\""),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
    let otel = OtelTraceState::from_key_value([("rojo", "a\tb")]).unwrap();
    let error = TraceState::try_from(otel).unwrap_err();
    // A lone value has no byte offset worth printing.
    assert_eq!(
        error.to_string(),
        "invalid tracestate value: expected 1 to 256 printable ASCII characters except ',' and '=', not ending in a space"
    );
    assert!(std::error::Error::source(&error).is_some());
}
