//! tctx's samplers next to `opentelemetry_sdk`'s `Sampler`, in the same criterion groups.
//!
//! - `root/{tctx_probability,sdk_ratio,tctx_parent_based,sdk_parent_based}`: no parent;
//!   the probability samplers at 0.1 on a trace-id they drop (nothing to write).
//! - `remote_sampled_empty/…`: a sampled remote parent with an empty tracestate.
//! - `remote_sampled_8/…`: the same with 8 tracestate members, `ot=th:e666` among them, so
//!   the probability samplers find their own threshold there and change nothing.
//! - `rate_limiter/{one_thread,two_threads}`: `RateLimiter::try_acquire` alone, and while a
//!   second thread calls it in a loop on the same limiter.
//!
//! Run with `cargo bench --bench sampler`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState,
};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{Sampler, ShouldSample};
use tctx::sampler::{AlwaysOn, ParentBased, ParentThreshold, Probability, RateLimiter};

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
    targets = should_sample, rate_limiter
}
criterion_main!(sampler_benches);
