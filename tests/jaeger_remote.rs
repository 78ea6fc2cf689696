//! Jaeger remote sampling through the public API, against a strategy server on loopback
//! (`tests/support/strategy_server.rs`): fetching, faults and recovery, consistent decisions
//! per operation, the lower bound, rate limiting, the thread's end, and a real
//! `SdkTracerProvider` with tctx's propagator.
//!
//! Waits poll with a bound, never a fixed sleep that a slow machine could break; statistical
//! checks run on seeded trace-ids, so they cannot fail by chance.

#[path = "support/strategy_server.rs"]
mod strategy_server;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    Span, SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer,
    TracerProvider,
};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, SdkTracerProvider, ShouldSample};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strategy_server::{Mode, StrategyServer};
use tctx::sampler::jaeger::{OperationSampling, OperationStrategy, Strategy};
use tctx::sampler::{
    ComposableAlwaysOff, ComposableAlwaysOn, ComposableParentThreshold, ComposableRuleBased,
    CompositeSampler, JaegerRemote, ManualClock, ParentThreshold, Rule, SamplerDescription,
    SpanMatcher,
};
use tctx::TraceContextPropagator;

/// Polls `condition` every 2 ms until it holds, at most `bound`; whether it held.
fn eventually(bound: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    condition()
}

const BOUND: Duration = Duration::from_secs(10);

fn sampler(server: &StrategyServer, interval_ms: u64) -> JaegerRemote {
    JaegerRemote::builder("checkout")
        .with_endpoint(server.endpoint())
        .with_polling_interval(Duration::from_millis(interval_ms))
        .build()
        .unwrap()
}

/// A sampler whose first strategy is `strategy`, served once: the server then answers 404.
fn installed(strategy: &Strategy, clock: &ManualClock) -> (StrategyServer, JaegerRemote) {
    let server = StrategyServer::start();
    server.set_body(strategy.to_json());
    let sampler = JaegerRemote::builder("checkout")
        .with_endpoint(server.endpoint())
        .with_polling_interval(Duration::from_secs(3600))
        .with_clock(clock.clone())
        .build()
        .unwrap();
    assert!(eventually(BOUND, || sampler.strategy().as_ref() == Some(strategy)));
    (server, sampler)
}

fn root(sampler: &dyn ShouldSample, trace_id: TraceId, name: &str) -> SamplingResult {
    sampler.should_sample(None, trace_id, name, &SpanKind::Server, &[], &[])
}

fn seeded_trace_ids(seed: u64, n: usize) -> Vec<TraceId> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| TraceId::from(rng.random::<u128>() | 1))
        .collect()
}

fn attribute<'r>(result: &'r SamplingResult, key: &str) -> Option<&'r Value> {
    result
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn sampled(result: &SamplingResult) -> bool {
    result.decision == SamplingDecision::RecordAndSample
}

// --- fetching --------------------------------------------------------------------------------

#[test]
fn first_fetch_starts_when_built_and_does_not_wait() {
    let server = StrategyServer::start();
    server.set_body(r#"{"probabilisticSampling":{"samplingRate":0.25}}"#);
    let built = Instant::now();
    let sampler = JaegerRemote::builder("checkout")
        .with_endpoint(server.endpoint())
        .with_polling_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    let returned = built.elapsed();
    assert!(server.wait_for_requests(1, BOUND));
    let first = server.requests()[0].at.duration_since(built);
    assert!(eventually(BOUND, || sampler.strategy().is_some()));
    let installed = built.elapsed();
    eprintln!(
        "time to first fetch: build returned after {returned:?}, request after {first:?}, \
         strategy in use after {installed:?}"
    );
    assert_eq!(server.requests()[0].target, "/sampling?service=checkout");
    assert_eq!(
        sampler.strategy(),
        Some(Strategy::Probabilistic {
            sampling_rate: 0.25
        })
    );
    // The first fetch does not wait for an interval (here an hour).
    assert!(first < Duration::from_secs(60), "{first:?}");
}

#[test]
fn a_new_strategy_is_picked_up_within_one_interval() {
    let server = StrategyServer::start();
    server.set_body(r#"{"probabilisticSampling":{"samplingRate":0.5}}"#);
    let sampler = sampler(&server, 150);
    assert!(eventually(BOUND, || sampler.strategy().is_some()));
    let changed = Instant::now();
    let count = server.request_count();
    server.set_body(r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":3}}"#);
    let expected = Strategy::RateLimiting {
        max_traces_per_second: 3,
    };
    assert!(eventually(BOUND, || sampler.strategy().as_ref() == Some(&expected)));
    eprintln!(
        "strategy change in use after {:?} (interval 150 ms)",
        changed.elapsed()
    );
    // It arrived with the next request, not a later one.
    assert_eq!(server.request_count(), count + 1);
    let requests = server.requests();
    let gaps: Vec<Duration> = requests
        .windows(2)
        .map(|w| w[1].at.duration_since(w[0].at))
        .collect();
    // One request per interval, not more often.
    assert!(
        gaps.iter().all(|gap| *gap >= Duration::from_millis(140)),
        "{gaps:?}"
    );
}

#[test]
fn every_json_form_through_the_wire() {
    let server = StrategyServer::start();
    let sampler = sampler(&server, 20);
    let forms = [
        (
            r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.3}}"#,
            Strategy::Probabilistic { sampling_rate: 0.3 },
        ),
        (
            r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.4}}"#,
            Strategy::Probabilistic { sampling_rate: 0.4 },
        ),
        (
            r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":5}}"#,
            Strategy::RateLimiting {
                max_traces_per_second: 5,
            },
        ),
        (
            r#"{"strategyType":1,"rateLimitingSampling":{}}"#,
            Strategy::RateLimiting {
                max_traces_per_second: 0,
            },
        ),
        (
            r#"{"probabilisticSampling":{},"unknown":[1,{"a":null}]}"#,
            Strategy::Probabilistic { sampling_rate: 0.0 },
        ),
        (
            r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":1},
                "operationSampling":{"defaultSamplingProbability":0.2,
                  "perOperationStrategies":[{"operation":"op","probabilisticSampling":{}}]}}"#,
            Strategy::PerOperation(OperationSampling {
                default_sampling_probability: 0.2,
                default_lower_bound_traces_per_second: 0.0,
                default_upper_bound_traces_per_second: 0.0,
                per_operation_strategies: vec![OperationStrategy::new("op", 0.0)],
            }),
        ),
    ];
    for (json, expected) in forms {
        server.set_body(json);
        assert!(
            eventually(BOUND, || sampler.strategy().as_ref() == Some(&expected)),
            "{json}"
        );
    }
}

// --- faults ----------------------------------------------------------------------------------

/// Before any success, every fault leaves the initial sampler in charge; decisions go on.
#[test]
fn faults_before_a_first_success_keep_the_initial_sampler() {
    let refused = JaegerRemote::builder("checkout")
        .with_endpoint(StrategyServer::refused_endpoint())
        .with_polling_interval(Duration::from_millis(20))
        .with_initial_sampler(ComposableAlwaysOn)
        .build()
        .unwrap();
    let modes = [
        Mode::Status(500),
        Mode::Status(404),
        Mode::Garbage,
        Mode::Huge(10 << 20),
        Mode::Close,
        Mode::Http2Only,
    ];
    let mut samplers = vec![(None, refused)];
    for mode in modes {
        let server = StrategyServer::start();
        server.set_mode(mode.clone());
        let sampler = JaegerRemote::builder("checkout")
            .with_endpoint(server.endpoint())
            .with_polling_interval(Duration::from_millis(20))
            .with_initial_sampler(ComposableAlwaysOn)
            .build()
            .unwrap();
        samplers.push((Some((server, mode)), sampler));
    }
    for (server, sampler) in &samplers {
        if let Some((server, mode)) = server {
            assert!(server.wait_for_requests(3, BOUND), "{mode:?}");
        }
        assert_eq!(sampler.strategy(), None);
        let result = root(sampler, TraceId::from(12_345), "op");
        assert!(sampled(&result));
        assert_eq!(result.trace_state.get("ot"), Some("th:0"));
        assert!(sampler
            .description()
            .ends_with("strategy:initial:ComposableAlwaysOn}"));
    }
}

/// After a success, each fault leaves that strategy in place; a good answer replaces it.
#[test]
fn faults_keep_the_last_strategy_then_recover() {
    let server = StrategyServer::start();
    let good = Strategy::Probabilistic { sampling_rate: 0.5 };
    server.set_body(good.to_json());
    let sampler = sampler(&server, 20);
    assert!(eventually(BOUND, || sampler.strategy().as_ref() == Some(&good)));
    for mode in [
        Mode::Status(503),
        Mode::Garbage,
        Mode::Huge(10 << 20),
        Mode::Huge((1 << 20) + 1),
        Mode::Close,
        Mode::Http2Only,
    ] {
        server.set_mode(mode.clone());
        let count = server.request_count();
        assert!(server.wait_for_requests(count + 3, BOUND), "{mode:?}");
        assert_eq!(sampler.strategy().as_ref(), Some(&good), "{mode:?}");
    }
    // A body that is JSON but not a strategy is a failure too.
    server.set_mode(Mode::Serve);
    server.set_body(r#"{"probabilisticSampling":{"samplingRate":7}}"#);
    let count = server.request_count();
    assert!(server.wait_for_requests(count + 3, BOUND));
    assert_eq!(sampler.strategy().as_ref(), Some(&good));
    // Recovery.
    let next = Strategy::Probabilistic {
        sampling_rate: 0.125,
    };
    server.set_body(next.to_json());
    assert!(eventually(BOUND, || sampler.strategy().as_ref() == Some(&next)));
}

/// A server that accepts and never answers: the request times out, and decisions flow
/// meanwhile (they never wait for the network).
#[test]
fn a_server_that_never_answers_times_out_and_decisions_flow() {
    let server = StrategyServer::start();
    server.set_mode(Mode::Hang);
    let sampler = JaegerRemote::builder("checkout")
        .with_endpoint(server.endpoint())
        .with_polling_interval(Duration::from_millis(50))
        .with_request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    assert!(server.wait_for_requests(1, BOUND));
    // A million decisions while the request hangs.
    let ids = seeded_trace_ids(1, 1000);
    let mut kept = 0;
    for _ in 0..1000 {
        for id in &ids {
            kept += usize::from(sampled(&root(&sampler, *id, "op")));
        }
    }
    assert!(kept < 5_000, "initial sampler at 0.001: {kept}");
    // The hung request timed out, and the next ones came.
    assert!(server.wait_for_requests(3, BOUND));
    assert_eq!(sampler.strategy(), None);
    server.set_mode(Mode::Serve);
    server.set_body(r#"{"probabilisticSampling":{"samplingRate":1}}"#);
    assert!(eventually(BOUND, || sampler.strategy().is_some()));
}

// --- the thread ------------------------------------------------------------------------------

#[test]
fn no_request_after_the_last_clone_is_dropped() {
    let server = StrategyServer::start();
    server.set_body(r#"{"probabilisticSampling":{"samplingRate":1}}"#);
    let sampler = sampler(&server, 30);
    let clone = sampler.clone();
    assert!(server.wait_for_requests(3, BOUND));
    drop(sampler);
    // A clone keeps it polling.
    let count = server.request_count();
    assert!(server.wait_for_requests(count + 2, BOUND));
    // Dropped through a provider, the last clone.
    let provider = SdkTracerProvider::builder().with_sampler(clone).build();
    let count = server.request_count();
    assert!(server.wait_for_requests(count + 1, BOUND));
    drop(provider);
    let stopped = server.request_count();
    // At most the request in flight when it was dropped; then nothing for 20 intervals.
    std::thread::sleep(Duration::from_millis(600));
    let after = server.request_count();
    assert!(after <= stopped + 1, "{stopped} then {after}");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(server.request_count(), after);
}

// --- decisions -------------------------------------------------------------------------------

/// Per-operation rates within 4 sigma on seeded trace-ids, with `th` for the rate, the
/// sampler attributes, and the default for operations not listed.
#[test]
fn per_operation_rates_are_consistent_and_carry_th() {
    let strategy = Strategy::PerOperation(OperationSampling {
        default_sampling_probability: 0.01,
        default_lower_bound_traces_per_second: 0.0,
        default_upper_bound_traces_per_second: 0.0,
        per_operation_strategies: vec![
            OperationStrategy::new("GET /checkout", 1.0),
            OperationStrategy::new("GET /search", 0.25),
            OperationStrategy::new("GET /cart", 0.1),
            OperationStrategy::new("GET /health", 0.0),
        ],
    });
    let (_server, sampler) = installed(&strategy, &ManualClock::new());
    let n = 100_000;
    let ids = seeded_trace_ids(17, n);
    let cases = [
        ("GET /checkout", 1.0, Some("th:0")),
        ("GET /search", 0.25, Some("th:c")),
        ("GET /cart", 0.1, Some("th:e666")),
        ("GET /health", 0.0, None),
        ("not listed", 0.01, Some("th:fd70a")),
    ];
    for (operation, p, th) in cases {
        let mut kept = 0usize;
        for id in &ids {
            let result = root(&sampler, *id, operation);
            if sampled(&result) {
                kept += 1;
                assert_eq!(result.trace_state.get("ot"), th, "{operation}");
                assert_eq!(
                    attribute(&result, "sampler.type"),
                    Some(&Value::from("probabilistic"))
                );
                assert_eq!(attribute(&result, "sampler.param"), Some(&Value::F64(p)));
            } else {
                assert!(result.attributes.is_empty());
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let (mean, sigma) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
        #[allow(clippy::cast_precision_loss)]
        let off = (kept as f64 - mean).abs();
        eprintln!(
            "{operation}: p {p}, {kept} of {n} sampled, expected {mean}, sigma {sigma:.1}, off by {:.2} sigma",
            if sigma > 0.0 { off / sigma } else { 0.0 }
        );
        assert!(off <= 4.0 * sigma, "{operation}: {kept}");
    }
    // Consistent: a trace kept at 0.1 is kept at 0.25 (the thresholds nest).
    for id in &ids {
        if sampled(&root(&sampler, *id, "GET /cart")) {
            assert!(sampled(&root(&sampler, *id, "GET /search")));
        }
    }
}

#[test]
fn the_lower_bound_adds_traces_without_th() {
    let strategy = Strategy::PerOperation(OperationSampling {
        default_sampling_probability: 0.0,
        default_lower_bound_traces_per_second: 2.0,
        default_upper_bound_traces_per_second: 0.0,
        per_operation_strategies: vec![OperationStrategy::new("rare", 0.0)],
    });
    let clock = ManualClock::new();
    let (_server, sampler) = installed(&strategy, &clock);
    let ids = seeded_trace_ids(5, 1000);
    for operation in ["rare", "not listed"] {
        let count = |sampler: &JaegerRemote| {
            ids.iter()
                .map(|id| root(sampler, *id, operation))
                .filter(|result| {
                    if sampled(result) {
                        assert_eq!(result.trace_state.get("ot"), None, "no th");
                        assert_eq!(
                            attribute(result, "sampler.type"),
                            Some(&Value::from("lowerbound"))
                        );
                        assert_eq!(attribute(result, "sampler.param"), Some(&Value::F64(0.0)));
                    }
                    sampled(result)
                })
                .count()
        };
        // Two a second per operation, whatever the traffic.
        assert_eq!(count(&sampler), 2, "{operation}");
        assert_eq!(count(&sampler), 0, "{operation}");
        clock.advance(Duration::from_millis(500));
        assert_eq!(count(&sampler), 1, "{operation}");
        clock.advance(Duration::from_secs(10));
        assert_eq!(count(&sampler), 2, "{operation}");
    }
}

#[test]
fn probabilistic_samples_count_towards_the_lower_bound() {
    let strategy = Strategy::PerOperation(OperationSampling {
        default_sampling_probability: 0.5,
        default_lower_bound_traces_per_second: 1.0,
        default_upper_bound_traces_per_second: 0.0,
        per_operation_strategies: vec![],
    });
    let clock = ManualClock::new();
    let (_server, sampler) = installed(&strategy, &clock);
    let ids = seeded_trace_ids(9, 10_000);
    let results: Vec<SamplingResult> = ids.iter().map(|id| root(&sampler, *id, "op")).collect();
    let by_lower_bound = results
        .iter()
        .filter(|r| sampled(r) && r.trace_state.get("ot").is_none())
        .count();
    // The first span sampled at 0.5 took the one token, so the lower bound added nothing.
    assert_eq!(by_lower_bound, usize::from(!sampled(&results[0])));
}

#[test]
fn at_most_2000_operations_are_tracked() {
    let listed: Vec<OperationStrategy> = (0..1500)
        .map(|i| OperationStrategy::new(format!("listed {i}"), 0.0))
        .collect();
    let strategy = Strategy::PerOperation(OperationSampling {
        default_sampling_probability: 0.0,
        default_lower_bound_traces_per_second: 1.0,
        default_upper_bound_traces_per_second: 0.0,
        per_operation_strategies: listed,
    });
    let (_server, sampler) = installed(&strategy, &ManualClock::new());
    let id = TraceId::from(99);
    // Listed operations each have their lower bound: one trace each.
    for i in 0..1500 {
        assert!(sampled(&root(&sampler, id, &format!("listed {i}"))));
    }
    // 500 more names fit under the cap; the rest get the default (0) without a lower bound.
    let kept = (0..1000)
        .filter(|i| sampled(&root(&sampler, id, &format!("seen {i}"))))
        .count();
    assert_eq!(kept, 500);
    assert!(!sampled(&root(&sampler, id, "listed 0")));
}

#[test]
fn span_names_longer_than_256_bytes_are_not_tracked() {
    let strategy = Strategy::PerOperation(OperationSampling {
        default_sampling_probability: 0.0,
        default_lower_bound_traces_per_second: 1.0,
        default_upper_bound_traces_per_second: 0.0,
        per_operation_strategies: Vec::new(),
    });
    let (_server, sampler) = installed(&strategy, &ManualClock::new());
    let id = TraceId::from(99);
    assert_eq!(tctx::sampler::jaeger::MAX_OPERATION_NAME_BYTES, 256);
    // 256 bytes: tracked, so its lower bound admits one trace.
    assert!(sampled(&root(&sampler, id, &"a".repeat(256))));
    // 257 bytes: the default (0), without a lower bound, however many arrive.
    let long = "b".repeat(257);
    assert!((0..10).all(|_| !sampled(&root(&sampler, id, &long))));
}

#[test]
fn rate_limiting_admits_n_a_second_without_th() {
    let strategy = Strategy::RateLimiting {
        max_traces_per_second: 5,
    };
    let clock = ManualClock::new();
    let (_server, sampler) = installed(&strategy, &clock);
    let ids = seeded_trace_ids(3, 1000);
    let count = || {
        ids.iter()
            .map(|id| root(&sampler, *id, "any"))
            .filter(|result| {
                if sampled(result) {
                    assert_eq!(result.trace_state.get("ot"), None);
                    assert_eq!(
                        attribute(result, "sampler.type"),
                        Some(&Value::from("ratelimiting"))
                    );
                    assert_eq!(attribute(result, "sampler.param"), Some(&Value::F64(5.0)));
                }
                sampled(result)
            })
            .count()
    };
    assert_eq!(count(), 5);
    assert_eq!(count(), 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(count(), 5);
    // Zero a second: nothing.
    let (_server, zero) = installed(
        &Strategy::RateLimiting {
            max_traces_per_second: 0,
        },
        &clock,
    );
    assert!(!sampled(&root(&zero, TraceId::from(1), "any")));
}

#[test]
fn probabilistic_strategy_writes_th_and_keeps_rv() {
    let (_server, sampler) = installed(
        &Strategy::Probabilistic { sampling_rate: 0.5 },
        &ManualClock::new(),
    );
    // Randomness 0xc0.. >= threshold 0x80..: sampled at th:8; an explicit rv decides.
    let cx = Context::new().with_remote_span_context(SpanContext::new(
        TraceId::INVALID,
        SpanId::INVALID,
        TraceFlags::default(),
        false,
        "ot=rv:c0000000000000".parse::<TraceState>().unwrap(),
    ));
    let result = sampler.should_sample(
        Some(&cx),
        TraceId::from(1),
        "op",
        &SpanKind::Server,
        &[],
        &[],
    );
    assert!(sampled(&result));
    assert_eq!(result.trace_state.get("ot"), Some("th:8;rv:c0000000000000"));
    assert_eq!(
        sampler.description(),
        format!(
            "JaegerRemote{{service:checkout,endpoint:{},strategy:probabilistic:0.5}}",
            sampler.url().split('?').next().unwrap()
        )
    );
    assert_eq!(format!("{sampler:?}"), sampler.description());
}

/// The composable form in rules: drop health checks, keep checkout, the center decides the
/// rest (here 0: nothing else).
#[test]
fn in_rules_the_center_decides_the_rest() {
    let (_server, center) = installed(
        &Strategy::Probabilistic { sampling_rate: 0.0 },
        &ManualClock::new(),
    );
    let rules = ComposableRuleBased::new([
        Rule::new(
            SpanMatcher::new().with_attribute_values("http.route", ["/healthz"]),
            ComposableAlwaysOff,
        ),
        Rule::new(
            SpanMatcher::new().with_attribute_values("http.route", ["/checkout"]),
            ComposableAlwaysOn,
        ),
        Rule::new(SpanMatcher::new(), center),
    ]);
    let sampler = CompositeSampler::new(ComposableParentThreshold::new(rules));
    let decide = |route: &str| {
        let attributes = [KeyValue::new("http.route", route.to_owned())];
        sampler.should_sample(
            None,
            TraceId::from(5),
            "GET",
            &SpanKind::Server,
            &attributes,
            &[],
        )
    };
    assert!(!sampled(&decide("/healthz")));
    assert!(sampled(&decide("/checkout")));
    assert!(!sampled(&decide("/other")));
}

// --- end to end ------------------------------------------------------------------------------

/// `parentbased_jaeger_remote` (`ParentThreshold` around `JaegerRemote`) under a real provider
/// and tctx's propagator: a sampled remote parent is honoured even when the center samples
/// nothing, a parent that is not sampled is not sampled even when the center samples all.
#[test]
fn a_sampled_remote_parent_is_honoured_end_to_end() {
    let propagator = TraceContextPropagator::new();
    let extract = |traceparent: &str, tracestate: &str| {
        let mut carrier = HashMap::new();
        carrier.insert("traceparent".to_owned(), traceparent.to_owned());
        carrier.insert("tracestate".to_owned(), tracestate.to_owned());
        propagator.extract(&carrier)
    };
    for (rate, traceparent, tracestate, expect_sampled, expect_ot) in [
        (
            0.0,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
            "ot=th:8",
            true,
            Some("th:8"),
        ),
        (
            0.0,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "",
            true,
            None,
        ),
        (
            1.0,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02",
            "",
            false,
            None,
        ),
    ] {
        let all = rate > 0.5;
        let (_server, center) = installed(
            &Strategy::Probabilistic {
                sampling_rate: rate,
            },
            &ManualClock::new(),
        );
        let provider = SdkTracerProvider::builder()
            .with_sampler(ParentThreshold::new(center))
            .build();
        let tracer = provider.tracer("e2e");
        let parent = extract(traceparent, tracestate);
        let span = tracer.start_with_context("GET /checkout", &parent);
        let cx = span.span_context();
        assert_eq!(cx.is_sampled(), expect_sampled, "{traceparent}, all {all}");
        assert_eq!(cx.trace_state().get("ot"), expect_ot, "{traceparent}");
        // And a root under the same provider follows the center.
        let root_span = tracer.start("GET /checkout");
        assert_eq!(root_span.span_context().is_sampled(), all);
        if all {
            assert_eq!(
                root_span.span_context().trace_state().get("ot"),
                Some("th:0")
            );
        }
        let mut injected = HashMap::new();
        propagator.inject_context(
            &Context::new().with_remote_span_context(cx.clone()),
            &mut injected,
        );
        // The decision travels on: the sampled bit of the flags written downstream.
        let flags = injected
            .get("traceparent")
            .and_then(|tp| u8::from_str_radix(&tp[tp.len() - 2..], 16).ok());
        assert_eq!(
            flags.map(|f| f & 1 == 1),
            Some(expect_sampled),
            "{injected:?}"
        );
    }
}

// --- configuration ---------------------------------------------------------------------------

/// `OTEL_TRACES_SAMPLER=parentbased_jaeger_remote` with the specification's argument keys;
/// the service name from `OTEL_SERVICE_NAME`, else `OTEL_RESOURCE_ATTRIBUTES`. The only test
/// of this binary that reads (and sets) these variables.
#[test]
fn from_the_environment() {
    let server = StrategyServer::start();
    server.set_body(r#"{"probabilisticSampling":{"samplingRate":0.75}}"#);
    let arg = format!(
        "endpoint={}, pollingIntervalMs=100000,initialSamplingRate=0.25,unknownKey=1",
        server.endpoint()
    );
    std::env::set_var("OTEL_SERVICE_NAME", "");
    std::env::set_var("OTEL_RESOURCE_ATTRIBUTES", "team=a,service.name=my%20shop");
    let (sampler, warnings) =
        tctx::config::sampler_from_env_vars(Some("parentbased_jaeger_remote"), Some(&arg));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].value(), "unknownKey=1");
    assert!(
        warnings[0]
            .to_string()
            .contains("take endpoint, pollingIntervalMs and initialSamplingRate"),
        "{}",
        warnings[0]
    );
    assert!(
        sampler
            .description()
            .starts_with("ParentBased{root:JaegerRemote{service:my shop,"),
        "{}",
        sampler.description()
    );
    assert!(server.wait_for_requests(1, BOUND));
    assert_eq!(server.requests()[0].target, "/sampling?service=my%20shop");
    assert!(eventually(BOUND, || sampler
        .description()
        .contains("strategy:probabilistic:0.75},remoteParentSampled:")));

    std::env::set_var("OTEL_SERVICE_NAME", "checkout");
    let (sampler, warnings) = tctx::config::sampler_from_env_vars(
        Some("jaeger_remote"),
        Some(&format!("endpoint={}", server.endpoint())),
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(sampler
        .description()
        .starts_with("JaegerRemote{service:checkout,"));
    // Before the first answer: the initial rate (default 0.001) as a composable probability.
    std::env::remove_var("OTEL_SERVICE_NAME");
    std::env::remove_var("OTEL_RESOURCE_ATTRIBUTES");
    let (sampler, warnings) = tctx::config::sampler_from_env_vars(
        Some("jaeger_remote"),
        Some("endpoint=https://secure:5778,pollingIntervalMs=-1,initialSamplingRate=0.5"),
    );
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(
        sampler.description(),
        "JaegerRemote{service:unknown_service,endpoint:http://localhost:5778/sampling,\
         strategy:initial:ComposableProbability{0.5}}"
    );
}

/// `jaeger_remote/development` in a configuration file, the service name from `resource`.
#[cfg(feature = "config")]
#[test]
fn from_a_configuration_file() {
    let server = StrategyServer::start();
    server.set_body(r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":9}}"#);
    let yaml = format!(
        "file_format: \"1.1\"\nresource:\n  attributes:\n    - name: service.name\n      value: cart\n\
         tracer_provider:\n  sampler:\n    jaeger_remote/development:\n      endpoint: {}\n      \
         interval: 100000\n      initial_sampler:\n        trace_id_ratio_based: {{ ratio: 0.5 }}\n",
        server.endpoint()
    );
    let config = tctx::config::Config::from_yaml_str(&yaml).unwrap();
    let sampler = config.sampler();
    assert!(
        sampler
            .description()
            .starts_with("JaegerRemote{service:cart,"),
        "{}",
        sampler.description()
    );
    assert!(server.wait_for_requests(1, BOUND));
    assert_eq!(server.requests()[0].target, "/sampling?service=cart");
    assert!(eventually(BOUND, || sampler
        .description()
        .ends_with("strategy:ratelimiting:9}")));
    // Under parent_based, as the schema composes it: children follow their parent.
    let wrapped = yaml.replace(
        "    jaeger_remote/development:\n      endpoint",
        "    parent_based:\n      root:\n        jaeger_remote/development:\n          endpoint",
    )
    .replace("\n      interval: 100000\n      initial_sampler:\n        trace_id_ratio_based", "\n          interval: 100000\n          initial_sampler:\n            trace_id_ratio_based");
    let wrapped = tctx::config::Config::from_yaml_str(&wrapped)
        .unwrap()
        .sampler();
    assert!(
        wrapped
            .description()
            .starts_with("ParentBased{root:JaegerRemote{service:cart,"),
        "{}",
        wrapped.description()
    );
    // Errors name the place.
    let bad = yaml.replace("interval: 100000", "interval: 0");
    let err = tctx::config::Config::from_yaml_str(&bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tracer_provider.sampler.jaeger_remote/development.interval: 0 is not a whole number of \
         milliseconds above 0"
    );
    let bad = yaml.replace("trace_id_ratio_based: { ratio: 0.5 }", "parent_based:");
    let err = tctx::config::Config::from_yaml_str(&bad).unwrap_err();
    assert!(err.to_string().starts_with(
        "tracer_provider.sampler.jaeger_remote/development.initial_sampler: initial sampler \"parent_based\""
    ), "{err}");
}

/// The Rust form of the README's "Sampling set from the center", verbatim between the two
/// marker lines (the README's doctests build without the feature `jaeger-remote`, so the
/// README shows it as `rust,ignore` and this file compiles and runs it).
mod readme {
    // README begin
    use std::time::Duration;

    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tctx::sampler::{ComposableProbability, JaegerRemote, ParentBased};

    pub fn readme_rust_form() -> Result<(), Box<dyn std::error::Error>> {
        let sampler = JaegerRemote::builder("checkout")
            .with_endpoint("http://localhost:5778/sampling") // the default; no path gets /sampling
            .with_polling_interval(Duration::from_secs(60)) // the default
            .with_request_timeout(Duration::from_secs(10)) // default: the interval, at most 10 s
            .with_initial_sampler(ComposableProbability::new(0.001)?) // the default
            .build()?;
        // What OTEL_TRACES_SAMPLER=parentbased_jaeger_remote and the YAML above build.
        let provider = SdkTracerProvider::builder()
            .with_sampler(ParentBased::new(sampler))
            .build();
        drop(provider);
        Ok(())
    }
    // README end
}

#[test]
fn readme_rust_form() {
    // Builds and drops the sampler: its thread's first fetch to localhost:5778 may fail, which
    // only logs; nothing waits for it.
    readme::readme_rust_form().unwrap();
    let source = include_str!("jaeger_remote.rs");
    let begin = source.find("    // README begin\n").unwrap() + "    // README begin\n".len();
    let end = source.find("    // README end\n").unwrap();
    let code: String = source[begin..end]
        .lines()
        .map(|line| line.strip_prefix("    ").unwrap_or(line))
        .flat_map(|line| [line, "\n"])
        .collect::<String>()
        .replace("pub fn readme_rust_form()", "fn main()");
    let readme = include_str!("../README.md");
    assert!(
        readme.contains(&format!("```rust,ignore\n{code}```\n")),
        "README.md's Rust form of Jaeger remote sampling is not the code of tests/jaeger_remote.rs:\n{code}"
    );
}
