//! tctx's samplers next to `opentelemetry_sdk`'s `Sampler`, in the same criterion groups.
//!
//! - `root/{tctx_probability,sdk_ratio,tctx_parent_based,sdk_parent_based}`: no parent;
//!   the probability samplers at 0.1 on a trace-id they drop (nothing to write).
//! - `remote_sampled_empty/…`: a sampled remote parent with an empty tracestate.
//! - `remote_sampled_8/…`: the same with 8 tracestate members, `ot=th:e666` among them, so
//!   the probability samplers find their own threshold there and change nothing.
//! - `rule_based/{tctx_rule_based,hand_written}`: five rules, the third of which matches a
//!   server span with 8 attributes (`http.route` `/api/users` against `/api/*`), deciding at
//!   0.1 on a root it drops; beside a hand-written `ShouldSample` that tests the same
//!   conditions and makes the same decision.
//! - `composite/{tctx_composite_probability,tctx_probability}`: `CompositeSampler` over
//!   `ComposableProbability(0.1)` beside `Probability::new(0.1)`, on a root it samples
//!   (writing `th` into an empty tracestate).
//! - `config/load_sampling_yaml`: `tctx::config::Config::from_yaml_str` on `examples/sampling.yaml`
//!   (not a hot path: measured once, to know its order).
//! - `rate_limiter/{one_thread,two_threads}`: `RateLimiter::try_acquire` alone, and while a
//!   second thread calls it in a loop on the same limiter.
//!
//! Run with `cargo bench --bench sampler`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use opentelemetry::trace::Link;
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};
use tctx::probability::{OtValue, Randomness, Threshold};
use tctx::sampler::{
    AlwaysOn, ComposableAlwaysOff, ComposableAlwaysOn, ComposableProbability, ComposableRuleBased,
    CompositeSampler, ParentBased, ParentThreshold, Probability, RateLimiter, Rule, SpanMatcher,
};

/// Randomness 0x0e0e4736… is below the threshold of 0.1 (0xe666…): dropped by every
/// probability sampler here, so the roots need no tracestate.
const DROPPED_ID: u128 = 0x4bf9_2f35_77b3_4da6_a30e_929d_0e0e_4736;
/// Randomness 0xfe92… is above it: sampled.
const SAMPLED_ID: u128 = 0x4bf9_2f35_77b3_4da6_a3fe_929d_0e0e_4736;

fn remote_parent(trace_id: TraceId, state: TraceState) -> Context {
    let sc = SpanContext::new(
        trace_id,
        SpanId::from(0x00f0_67aa_0ba9_02b7),
        TraceFlags::new(0x03),
        true,
        state,
    );
    Context::new().with_remote_span_context(sc)
}

fn eight_members() -> TraceState {
    let mut members: Vec<(String, String)> = (0..7)
        .map(|i| (format!("vendor{i}"), "00f067aa0ba902b7".to_owned()))
        .collect();
    members.insert(3, ("ot".to_owned(), "th:e666".to_owned()));
    TraceState::from_key_value(members).unwrap()
}

fn should_sample(c: &mut Criterion) {
    let probability = Probability::new(0.1).unwrap();
    let samplers: [(&str, Box<dyn ShouldSample>); 5] = [
        ("tctx_probability", Box::new(probability.clone())),
        (
            "tctx_parent_threshold",
            Box::new(ParentThreshold::new(probability)),
        ),
        ("sdk_ratio", Box::new(Sampler::TraceIdRatioBased(0.1))),
        ("tctx_parent_based", Box::new(ParentBased::new(AlwaysOn))),
        (
            "sdk_parent_based",
            Box::new(Sampler::ParentBased(Box::new(Sampler::AlwaysOn))),
        ),
    ];
    let inputs = [
        ("root", Context::new(), TraceId::from(DROPPED_ID)),
        (
            "remote_sampled_empty",
            remote_parent(TraceId::from(SAMPLED_ID), TraceState::NONE),
            TraceId::from(SAMPLED_ID),
        ),
        (
            "remote_sampled_8",
            remote_parent(TraceId::from(SAMPLED_ID), eight_members()),
            TraceId::from(SAMPLED_ID),
        ),
    ];
    for (input, cx, trace_id) in &inputs {
        let mut group = c.benchmark_group(*input);
        for (name, sampler) in &samplers {
            group.bench_function(*name, |b| {
                b.iter(|| {
                    sampler.should_sample(
                        Some(black_box(cx)),
                        black_box(*trace_id),
                        "GET /cart",
                        &SpanKind::Server,
                        &[],
                        &[],
                    )
                });
            });
        }
        group.finish();
    }
}

/// The five rules of the `rule_based` group, as a tctx sampler.
fn five_rules() -> CompositeSampler {
    CompositeSampler::new(ComposableRuleBased::new([
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
    ]))
}

/// The same five rules, written by hand as a user would without composable samplers.
#[derive(Clone, Debug)]
struct HandWritten {
    tenth: Threshold,
    hundredth: Threshold,
}

impl HandWritten {
    /// The consistent decision at `threshold`, as the specification asks of any sampler:
    /// `R` from the parent's `rv` or the trace-id, `th` written when sampled and erased
    /// when dropped, other members kept.
    fn decide(
        threshold: Option<Threshold>,
        parent_context: Option<&Context>,
        trace_id: TraceId,
    ) -> SamplingResult {
        let parent_state = parent_context.and_then(|cx| {
            let span = cx.span();
            let sc = span.span_context();
            (sc.is_valid() && sc.trace_state() != &TraceState::NONE)
                .then(|| sc.trace_state().clone())
        });
        let (sampled, trace_state) = match parent_state {
            // No tracestate: the trace-id decides, and only a sampled span gets one.
            None => {
                let randomness = Randomness::from_trace_id_bytes(trace_id.to_bytes());
                let sampled = threshold.is_some_and(|th| th.samples(randomness));
                let trace_state = match threshold {
                    Some(th) if sampled => {
                        let value = format!("th:{}", th.encode(&mut [0; 14]));
                        TraceState::NONE.insert("ot", value).unwrap_or_default()
                    }
                    _ => TraceState::NONE,
                };
                (sampled, trace_state)
            }
            Some(parent_state) => {
                let ot = OtValue::parse(parent_state.get("ot").unwrap_or(""));
                let randomness = ot
                    .randomness()
                    .unwrap_or_else(|| Randomness::from_trace_id_bytes(trace_id.to_bytes()));
                let sampled = threshold.is_some_and(|th| th.samples(randomness));
                let new_ot = ot.with_threshold(threshold.filter(|_| sampled));
                let trace_state = if new_ot == ot.as_str() {
                    parent_state
                } else if new_ot.is_empty() {
                    parent_state.delete("ot").unwrap_or_default()
                } else {
                    parent_state
                        .insert("ot", new_ot.into_owned())
                        .unwrap_or_default()
                };
                (sampled, trace_state)
            }
        };
        let decision = if sampled {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        };
        SamplingResult {
            decision,
            attributes: Vec::new(),
            trace_state,
        }
    }
}

impl ShouldSample for HandWritten {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        _name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        let get = |key: &str| {
            attributes
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| kv.value.as_str())
        };
        let route = get("http.route");
        let route = route.as_deref();
        let ping = *span_kind == SpanKind::Client && get("db.operation").as_deref() == Some("PING");
        let threshold = if ping || matches!(route, Some("/healthz" | "/livez")) {
            None
        } else if route.is_some_and(|r| r.starts_with("/api/") && !r.starts_with("/api/internal/"))
        {
            Some(self.tenth)
        } else if route == Some("/checkout") {
            Some(Threshold::SAMPLE_ALL)
        } else {
            Some(self.hundredth)
        };
        Self::decide(threshold, parent_context, trace_id)
    }
}

fn rule_based(c: &mut Criterion) {
    let attributes = [
        KeyValue::new("http.request.method", "GET"),
        KeyValue::new("url.scheme", "https"),
        KeyValue::new("server.address", "shop.example"),
        KeyValue::new("server.port", 443),
        KeyValue::new("user_agent.original", "curl/8.5"),
        KeyValue::new("client.address", "192.0.2.7"),
        KeyValue::new("network.protocol.version", "1.1"),
        KeyValue::new("http.route", "/api/users"),
    ];
    let hand_written = HandWritten {
        tenth: Threshold::from_probability(0.1).unwrap(),
        hundredth: Threshold::from_probability(0.01).unwrap(),
    };
    let samplers: [(&str, Box<dyn ShouldSample>); 2] = [
        ("tctx_rule_based", Box::new(five_rules())),
        ("hand_written", Box::new(hand_written)),
    ];
    let cx = Context::new();
    let mut group = c.benchmark_group("rule_based");
    for (name, sampler) in &samplers {
        group.bench_function(*name, |b| {
            b.iter(|| {
                sampler.should_sample(
                    Some(black_box(&cx)),
                    black_box(TraceId::from(DROPPED_ID)),
                    "GET /api/users",
                    &SpanKind::Server,
                    black_box(&attributes),
                    &[],
                )
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("composite");
    let samplers: [(&str, Box<dyn ShouldSample>); 2] = [
        (
            "tctx_composite_probability",
            Box::new(CompositeSampler::new(
                ComposableProbability::new(0.1).unwrap(),
            )),
        ),
        ("tctx_probability", Box::new(Probability::new(0.1).unwrap())),
    ];
    for (name, sampler) in &samplers {
        group.bench_function(*name, |b| {
            b.iter(|| {
                sampler.should_sample(
                    Some(black_box(&cx)),
                    black_box(TraceId::from(SAMPLED_ID)),
                    "GET /cart",
                    &SpanKind::Server,
                    &[],
                    &[],
                )
            });
        });
    }
    group.finish();
}

#[cfg(feature = "config")]
fn config(c: &mut Criterion) {
    let text = include_str!("../examples/sampling.yaml");
    let mut group = c.benchmark_group("config");
    group.bench_function("load_sampling_yaml", |b| {
        b.iter(|| tctx::config::Config::from_yaml_str(black_box(text)).unwrap());
    });
    group.finish();
}

#[cfg(not(feature = "config"))]
fn config(_: &mut Criterion) {}

fn rate_limiter(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_limiter");
    // A budget never exhausted and one always exhausted cost the same compare-exchange; a
    // high rate keeps the benchmark about the atomic, not the refusal path.
    let limiter = RateLimiter::new(1e9).unwrap();
    group.bench_function("one_thread", |b| b.iter(|| limiter.try_acquire()));
    group.bench_function("two_threads", |b| {
        b.iter_custom(|iterations| {
            let stop = AtomicBool::new(false);
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        black_box(limiter.try_acquire());
                    }
                });
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(limiter.try_acquire());
                }
                let elapsed = start.elapsed();
                stop.store(true, Ordering::Relaxed);
                elapsed
            })
        });
    });
    group.finish();
}

criterion_group! {
    name = sampler_benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4));
    targets = should_sample, rule_based, config, rate_limiter
}
criterion_main!(sampler_benches);
