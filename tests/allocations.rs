//! Exact heap-allocation counts of the codec's hot paths.
//!
//! dhat's allocator (in its testing mode) counts every heap block allocated, reallocations
//! included; each check reads the count before and after the code under test.
//!
//! The promises checked: parsing and encoding a traceparent, making a child, and rejecting
//! an invalid traceparent allocate nothing; parsing a canonical tracestate allocates exactly
//! one buffer whatever the member count; reading it back with `as_str` allocates nothing.

use std::hint::black_box;

use tctx::{TraceState, Traceparent};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Runs `f` and returns its result with the number of heap bytes allocated meanwhile.
fn bytes_allocated<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = dhat::HeapStats::get().total_bytes;
    let result = f();
    let after = dhat::HeapStats::get().total_bytes;
    (result, after - before)
}

/// Runs `f` and returns its result with the number of heap blocks allocated meanwhile.
///
/// dhat counts for the whole process, so the checks below run one after another inside a
/// single test: nothing else in this binary allocates while one is measured.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = dhat::HeapStats::get().total_blocks;
    let result = f();
    let after = dhat::HeapStats::get().total_blocks;
    (result, after - before)
}

const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A canonical tracestate header (no whitespace, no duplicates) of `members` members.
fn canonical_tracestate(members: usize) -> String {
    (0..members)
        .map(|i| match i % 3 {
            0 => format!("vendor{i}=00f067aa0ba902b7"),
            1 => format!("tenant{i}@rojo=t61rcWkgMzE"),
            _ => format!("dd{i}=s:1;o:rum;t.dm:-0"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn the_counter_sees_allocations() {
    let (boxed, count) = allocations(|| black_box(Box::new(black_box(7u64))));
    assert_eq!(*boxed, 7);
    assert_eq!(count, 1);
}

fn traceparent_parse_allocates_nothing() {
    let (parsed, count) = allocations(|| Traceparent::parse(black_box(VALID)));
    assert!(parsed.is_ok());
    assert_eq!(count, 0);

    let (parsed, count) = allocations(|| Traceparent::parse_bytes(black_box(VALID.as_bytes())));
    assert!(parsed.is_ok());
    assert_eq!(count, 0);
}

fn traceparent_encode_allocates_nothing() {
    let tp = Traceparent::parse(VALID).unwrap();
    let mut buf = [0u8; Traceparent::ENCODED_LEN];
    let (len, count) = allocations(|| black_box(&tp).encode(&mut buf).len());
    assert_eq!(count, 0);
    assert_eq!(len, Traceparent::ENCODED_LEN);
    assert_eq!(&buf[..], VALID.as_bytes());
}

fn traceparent_child_allocates_nothing_once_the_thread_rng_is_warm() {
    let tp = Traceparent::parse(VALID).unwrap();
    // The first use of the thread-local generator on this thread may allocate its state.
    let _ = black_box(tp.child());
    let (children, count) = allocations(|| {
        [
            black_box(&tp).child(),
            black_box(&tp).child(),
            black_box(&tp).child(),
        ]
    });
    assert_eq!(count, 0);
    assert!(children.iter().all(|c| c.trace_id() == tp.trace_id()));
}

fn traceparent_parse_error_allocates_nothing() {
    for invalid in [
        "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "",
    ] {
        let (parsed, count) = allocations(|| Traceparent::parse(black_box(invalid)));
        assert!(parsed.is_err(), "{invalid:?} should be rejected");
        assert_eq!(count, 0, "rejecting {invalid:?} allocated");
    }
}

fn tracestate_parse_allocates_exactly_once() {
    for members in [1, 8, 32] {
        let header = canonical_tracestate(members);
        let (state, count) = allocations(|| TraceState::parse(black_box(&header)));
        let state = state.unwrap();
        assert_eq!(state.len(), members);
        assert_eq!(count, 1, "parsing {members} members");
    }
}

fn tracestate_parse_sizes_its_buffer_from_what_it_accepted() {
    // Hardening: the buffer once reserved up to 16 KiB before anything was validated.
    let padded = format!("a=1{}", ",".repeat(20_000));
    let (state, bytes) = bytes_allocated(|| TraceState::parse(black_box(&padded)));
    assert_eq!(state.unwrap().as_str(), "a=1");
    assert_eq!(bytes, 3, "a valid header padded with empty members");

    let invalid = format!("a=1,{}B=2", " ".repeat(20_000));
    let (state, bytes) = bytes_allocated(|| TraceState::parse(black_box(&invalid)));
    assert!(state.is_err());
    assert_eq!(bytes, 0, "an invalid header");
}

fn tracestate_as_str_allocates_nothing() {
    let header = canonical_tracestate(8);
    let state = TraceState::parse(&header).unwrap();
    let (encoded, count) = allocations(|| black_box(&state).as_str().len());
    assert_eq!(count, 0);
    assert_eq!(encoded, header.len());

    // Under the limit, truncation borrows the header too.
    let (truncated, count) = allocations(|| black_box(&state).encode_truncated(512));
    assert_eq!(count, 0);
    assert_eq!(truncated, header.as_str());
}

/// The propagator allocates nothing beyond what the carrier and `Context` need.
#[cfg(feature = "opentelemetry")]
mod propagator {
    use std::collections::HashMap;
    use std::hint::black_box;

    use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    use opentelemetry::Context;
    use tctx::TraceContextPropagator;

    use super::allocations;

    /// An injector that drops what it is given: only the propagator's own allocations count.
    struct Discard;

    impl Injector for Discard {
        fn set(&mut self, _: &str, value: String) {
            black_box(value);
        }
    }

    fn carrier(traceparent: &str, tracestate: Option<&str>) -> HashMap<String, String> {
        let mut carrier = HashMap::new();
        carrier.insert("traceparent".to_owned(), traceparent.to_owned());
        if let Some(tracestate) = tracestate {
            carrier.insert("tracestate".to_owned(), tracestate.to_owned());
        }
        carrier
    }

    /// What any propagator pays for a traceparent-only extract: the carrier's lookups and
    /// the context holding a remote span context.
    fn floor(carrier: &HashMap<String, String>) -> u64 {
        let ((), count) = allocations(|| {
            black_box(carrier.get_all("traceparent"));
            black_box(carrier.get_all("tracestate"));
            let sc = SpanContext::new(
                TraceId::from_bytes([1; 16]),
                SpanId::from_bytes([1; 8]),
                TraceFlags::SAMPLED,
                true,
                TraceState::NONE,
            );
            black_box(Context::new().with_remote_span_context(sc));
        });
        count
    }

    pub(super) fn extract_allocates_only_what_carrier_and_context_need() {
        let propagator = TraceContextPropagator::new();
        // The first use of the current context on a thread sets up its stack.
        black_box(Context::current());
        let random = carrier(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
            None,
        );
        let floor = floor(&random);
        let (cx, count) = allocations(|| propagator.extract(black_box(&random)));
        assert!(cx.has_active_span());
        assert_eq!(count, floor, "traceparent-only extract, random flag set");

        // Without the random flag, the context also carries tctx's marker: one context entry.
        let (_, entry) = allocations(|| black_box(Context::new().with_value(7u8)));
        let plain = carrier(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            None,
        );
        let (_, count) = allocations(|| propagator.extract(black_box(&plain)));
        assert_eq!(
            count,
            floor + entry,
            "traceparent-only extract with the marker"
        );

        // An invalid header costs the carrier's lookup and nothing else.
        let invalid = carrier(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
            None,
        );
        let (_, lookup) = allocations(|| black_box(invalid.get_all("traceparent")));
        let (cx, count) = allocations(|| propagator.extract(black_box(&invalid)));
        assert!(!cx.has_active_span());
        assert_eq!(count, lookup, "invalid traceparent");
    }

    pub(super) fn extract_buffers_are_bounded_by_32_members() {
        // Hardening: a member OpenTelemetry cannot hold (`a@b@c`) once made extract copy the
        // whole received header, padding included, into a buffer sized by the input.
        let propagator = TraceContextPropagator::new();
        let padded = format!("a@b@c=1{}", ",".repeat(1 << 20));
        let incoming = carrier(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
            Some(&padded),
        );
        let (cx, bytes) = super::bytes_allocated(|| propagator.extract(black_box(&incoming)));
        let most_32_members_need: u64 = 32 * (256 + 1 + 256 + 1);
        assert!(
            bytes < most_32_members_need,
            "{bytes} bytes for a 7-byte member"
        );
        let mut out = HashMap::new();
        propagator.inject_context(&cx, &mut out);
        assert_eq!(out["tracestate"], "a@b@c=1");
    }

    pub(super) fn inject_allocates_one_string_per_header() {
        let propagator = TraceContextPropagator::new();
        for (tracestate, headers) in [(None, 1), (Some("rojo=1,congo=2,a@b@c=3"), 2)] {
            let cx = propagator.extract(&carrier(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
                tracestate,
            ));
            let ((), count) = allocations(|| propagator.inject_context(&cx, &mut Discard));
            assert_eq!(count, headers, "inject with tracestate {tracestate:?}");
        }
        let members = (0..8)
            .map(|i| format!("vendor{i}=00f067aa0ba902b7"))
            .collect::<Vec<_>>();
        let cx = propagator.extract(&carrier(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            Some(&members.join(",")),
        ));
        let ((), count) = allocations(|| propagator.inject_context(&cx, &mut Discard));
        assert_eq!(count, 2, "inject with 8 members");
    }

    pub(super) fn fields_allocate_nothing() {
        let propagator = TraceContextPropagator::new();
        let _ = propagator.fields().count(); // the first call builds the static field names
        let (names, count) = allocations(|| propagator.fields().count());
        assert_eq!((names, count), (2, 0));
    }
}

/// Samplers allocate nothing when the tracestate is empty and stays so, and no more than
/// the clone the SDK's own samplers make when it is not empty and does not change.
#[cfg(feature = "sampler")]
mod sampler {
    use std::hint::black_box;

    use opentelemetry::trace::{
        SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    use opentelemetry::Context;
    use opentelemetry::KeyValue;
    use opentelemetry_sdk::trace::{Sampler, SamplingDecision, ShouldSample};
    use tctx::sampler::{
        AlwaysOn, ComposableAlwaysOff, ComposableAlwaysOn, ComposableParentThreshold,
        ComposableProbability, ComposableRuleBased, CompositeSampler, ParentBased, ParentThreshold,
        Probability, Rule, SpanMatcher,
    };

    use super::allocations;

    /// Randomness 0x0e92..: dropped at 0.1. Randomness 0xfe92..: sampled.
    const LOW: u128 = 0x4bf9_2f35_77b3_4da6_a30e_929d_0e0e_4736;
    const HIGH: u128 = 0x4bf9_2f35_77b3_4da6_a3fe_929d_0e0e_4736;

    fn remote(trace_id: u128, state: TraceState) -> Context {
        Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from(trace_id),
            SpanId::from(1),
            TraceFlags::new(3),
            true,
            state,
        ))
    }

    fn count(sampler: &dyn ShouldSample, cx: &Context, trace_id: u128) -> (SamplingDecision, u64) {
        let (result, count) = allocations(|| {
            sampler.should_sample(
                Some(black_box(cx)),
                TraceId::from(trace_id),
                "span",
                &SpanKind::Internal,
                &[],
                &[],
            )
        });
        (result.decision, count)
    }

    pub(super) fn unchanged_tracestates_cost_no_more_than_the_sdk() {
        let probability = Probability::new(0.1).unwrap();
        let parent_threshold = ParentThreshold::new(probability.clone());
        let parent_based = ParentBased::new(AlwaysOn);
        let sdk = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
        let root = Context::new();
        let empty = remote(HIGH, TraceState::NONE);

        assert_eq!(count(&probability, &root, LOW), (SamplingDecision::Drop, 0));
        assert_eq!(
            count(&parent_threshold, &empty, HIGH),
            (SamplingDecision::RecordAndSample, 0)
        );
        assert_eq!(
            count(&parent_based, &empty, HIGH),
            (SamplingDecision::RecordAndSample, 0)
        );
        assert_eq!(
            count(&sdk, &empty, HIGH),
            (SamplingDecision::RecordAndSample, 0)
        );

        // Eight members with the sampler's own threshold: the one clone the result needs.
        let members: Vec<(String, String)> = (0..7)
            .map(|i| (format!("vendor{i}"), "00f067aa0ba902b7".to_owned()))
            .chain([("ot".to_owned(), "th:e666".to_owned())])
            .collect();
        let state = TraceState::from_key_value(members).unwrap();
        let (_, clone) = allocations(|| black_box(&state).clone());
        let eight = remote(HIGH, state);
        let (_, sdk_count) = count(&sdk, &eight, HIGH);
        assert_eq!(sdk_count, clone);
        for sampler in [
            &probability as &dyn ShouldSample,
            &parent_threshold,
            &parent_based,
        ] {
            assert_eq!(
                count(sampler, &eight, HIGH),
                (SamplingDecision::RecordAndSample, clone)
            );
        }
    }
    /// A five-rule sampler, matching its third rule on a span with 8 attributes, allocates
    /// nothing on a dropped root, and a child following a sampled parent that already has its
    /// threshold costs only the clone of the tracestate the result needs.
    pub(super) fn rule_based_decisions_allocate_nothing_when_the_tracestate_stays() {
        let sampler =
            CompositeSampler::new(ComposableParentThreshold::new(ComposableRuleBased::new([
                Rule::new(
                    SpanMatcher::new()
                        .with_span_kinds([SpanKind::Client])
                        .with_attribute_values("db.operation", ["PING"]),
                    ComposableAlwaysOff,
                ),
                Rule::new(
                    SpanMatcher::new().with_attribute_values("http.route", ["/healthz", "/livez"]),
                    ComposableAlwaysOff,
                ),
                Rule::new(
                    SpanMatcher::new().with_attribute_patterns(
                        "http.route",
                        ["/api/*"],
                        ["/api/internal/*"],
                    ),
                    ComposableProbability::new(0.1).unwrap(),
                ),
                Rule::new(
                    SpanMatcher::new().with_attribute_values("http.route", ["/checkout"]),
                    ComposableAlwaysOn,
                ),
                Rule::new(
                    SpanMatcher::new(),
                    ComposableProbability::new(0.01).unwrap(),
                ),
            ])));
        let attributes: Vec<KeyValue> = (0..7)
            .map(|i| KeyValue::new(format!("attribute.{i}"), i64::from(i)))
            .chain([KeyValue::new("http.route", "/api/users")])
            .collect();
        let root = Context::new();
        let (result, count) = allocations(|| {
            sampler.should_sample(
                Some(black_box(&root)),
                TraceId::from(LOW),
                "GET /api/users",
                &SpanKind::Server,
                black_box(&attributes),
                &[],
            )
        });
        assert_eq!((result.decision, count), (SamplingDecision::Drop, 0));
        let state = TraceState::from_key_value([("ot", "th:e666")]).unwrap();
        let (_, clone) = allocations(|| black_box(&state).clone());
        let child = remote(HIGH, state);
        let (result, count) = allocations(|| {
            sampler.should_sample(
                Some(black_box(&child)),
                TraceId::from(HIGH),
                "GET /api/users",
                &SpanKind::Server,
                black_box(&attributes),
                &[],
            )
        });
        assert_eq!(result.trace_state.get("ot"), Some("th:e666"));
        // Only the one clone of the tracestate that `SamplingResult` needs, as the SDK's own.
        assert_eq!(
            (result.decision, count),
            (SamplingDecision::RecordAndSample, clone)
        );
    }
}

#[test]
fn hot_paths_allocate_as_promised() {
    let _profiler = dhat::Profiler::builder().testing().build();
    the_counter_sees_allocations();
    traceparent_parse_allocates_nothing();
    traceparent_encode_allocates_nothing();
    traceparent_child_allocates_nothing_once_the_thread_rng_is_warm();
    traceparent_parse_error_allocates_nothing();
    tracestate_parse_allocates_exactly_once();
    tracestate_parse_sizes_its_buffer_from_what_it_accepted();
    tracestate_as_str_allocates_nothing();
    #[cfg(feature = "opentelemetry")]
    {
        propagator::extract_buffers_are_bounded_by_32_members();
        propagator::extract_allocates_only_what_carrier_and_context_need();
        propagator::inject_allocates_one_string_per_header();
        propagator::fields_allocate_nothing();
    }
    #[cfg(feature = "sampler")]
    {
        sampler::unchanged_tracestates_cost_no_more_than_the_sdk();
        sampler::rule_based_decisions_allocate_nothing_when_the_tracestate_stays();
    }
}
