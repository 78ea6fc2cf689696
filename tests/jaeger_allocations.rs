//! Exact heap-allocation counts of `JaegerRemote`'s decisions (feature `jaeger-remote`), as
//! `tests/allocations.rs` counts the codec's: dhat's allocator in its testing mode, the count
//! read before and after the code under test.
//!
//! The promise checked: once the strategy is in place, a dropped root allocates nothing,
//! whatever the strategy (50 listed operations, the default probability for the others, a
//! lower bound already used up, rate limiting); a discovered operation's first sighting is
//! the one decision that may allocate (its entry), the next ones do not.
//!
//! dhat counts for the whole process: each sampler polls a strategy server on loopback once
//! an hour, and every check waits until the first fetch is over and the polling thread is
//! asleep, so nothing else allocates while a decision is measured.

#[path = "support/strategy_server.rs"]
mod strategy_server;

use std::hint::black_box;
use std::time::{Duration, Instant};

use opentelemetry::trace::{SpanKind, TraceId};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{SamplingDecision, ShouldSample};
use strategy_server::StrategyServer;
use tctx::sampler::{JaegerRemote, ManualClock};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Low 64 bits `0xa30e_929d_0e0e_4736`: randomness `0x0e92…`, dropped below about 0.94.
const DROPPED_ID: u128 = 0x4bf9_2f35_77b3_4da6_a30e_929d_0e0e_4736;

/// Runs `f` and returns its result with the number of heap blocks allocated meanwhile.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = dhat::HeapStats::get().total_blocks;
    let result = f();
    let after = dhat::HeapStats::get().total_blocks;
    (result, after - before)
}

fn operation(i: usize) -> String {
    format!("GET /api/v1/resource-{i}")
}

/// 50 operations at 0.1, the default at `default`, the lower bound `lower_bound`.
fn fifty_operations(default: f64, lower_bound: f64) -> String {
    let operations: Vec<String> = (0..50)
        .map(|i| {
            format!(
                r#"{{"operation":"{}","probabilisticSampling":{{"samplingRate":0.1}}}}"#,
                operation(i)
            )
        })
        .collect();
    format!(
        r#"{{"operationSampling":{{"defaultSamplingProbability":{default},"defaultLowerBoundTracesPerSecond":{lower_bound},"perOperationStrategies":[{}]}}}}"#,
        operations.join(",")
    )
}

/// A sampler with `body` in place, its clock stopped (rate limiters never refill), its
/// polling thread asleep for an hour; and the server it polls.
fn sampler_with(body: String) -> (JaegerRemote, StrategyServer) {
    let server = StrategyServer::start();
    server.set_body(body);
    let sampler = JaegerRemote::builder("shop")
        .with_endpoint(server.endpoint())
        .with_polling_interval(Duration::from_secs(3600))
        .with_clock(ManualClock::new())
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sampler.strategy().is_none() {
        assert!(Instant::now() < deadline, "no strategy in 10 s");
        std::thread::sleep(Duration::from_millis(2));
    }
    // The thread logs and goes back to waiting right after the swap: let it.
    std::thread::sleep(Duration::from_millis(100));
    (sampler, server)
}

fn decide(sampler: &JaegerRemote, name: &str, trace_id: u128) -> (SamplingDecision, u64) {
    let root = Context::new();
    let (result, count) = allocations(|| {
        sampler.should_sample(
            Some(black_box(&root)),
            black_box(TraceId::from(trace_id)),
            black_box(name),
            &SpanKind::Server,
            &[],
            &[],
        )
    });
    (result.decision, count)
}

fn fifty_listed_operations_drop_without_allocating() {
    let (sampler, _server) = sampler_with(fifty_operations(0.01, 0.0));
    for name in [
        operation(0),
        operation(37),
        operation(49),
        "unlisted".to_owned(),
    ] {
        assert_eq!(
            decide(&sampler, &name, DROPPED_ID),
            (SamplingDecision::Drop, 0),
            "{name}"
        );
    }
}

fn a_used_up_lower_bound_drops_without_allocating() {
    let (sampler, _server) = sampler_with(fifty_operations(0.01, 1.0));
    // Listed: the lower bound's token goes to the first span, the next one is dropped.
    let listed = operation(37);
    let (first, _) = decide(&sampler, &listed, DROPPED_ID);
    assert_eq!(first, SamplingDecision::RecordAndSample);
    assert_eq!(
        decide(&sampler, &listed, DROPPED_ID),
        (SamplingDecision::Drop, 0)
    );
    // Discovered: its first sighting may allocate its entry; after that, nothing.
    let (first, _) = decide(&sampler, "GET /discovered", DROPPED_ID);
    assert_eq!(first, SamplingDecision::RecordAndSample);
    assert_eq!(
        decide(&sampler, "GET /discovered", DROPPED_ID),
        (SamplingDecision::Drop, 0)
    );
}

fn a_used_up_rate_limit_drops_without_allocating() {
    let (sampler, _server) = sampler_with(
        r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":1}}"#
            .to_owned(),
    );
    let (first, _) = decide(&sampler, "checkout", DROPPED_ID);
    assert_eq!(first, SamplingDecision::RecordAndSample);
    assert_eq!(
        decide(&sampler, "checkout", DROPPED_ID),
        (SamplingDecision::Drop, 0)
    );
}

#[test]
fn dropped_roots_allocate_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let (boxed, count) = allocations(|| black_box(Box::new(black_box(7u64))));
    assert_eq!((*boxed, count), (7, 1), "the counter sees allocations");
    fifty_listed_operations_drop_without_allocating();
    a_used_up_lower_bound_drops_without_allocating();
    a_used_up_rate_limit_drops_without_allocating();
}
