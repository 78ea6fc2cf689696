//! Jaeger remote sampling: one decision under a 50-operation strategy, beside tctx's
//! `CompositeSampler(ComposableProbability)` (the same threshold decision without a strategy)
//! and beside `opentelemetry_sdk`'s `JaegerRemoteSampler` fed the same strategy.
//!
//! Group `jaeger_remote`, each sampler deciding on a root span of operation 37 of the 50, at
//! its rate 0.1, on a trace-id every sampler here drops (nothing to write, nothing to
//! allocate), measured per decision:
//! - `…/one_thread`: one thread deciding;
//! - `…/two_threads`: while a second thread decides on the same sampler in a loop (the
//!   SDK's takes a `Mutex` on every decision, tctx reads an atomically swapped `Arc`).
//!
//! Samplers: `tctx_jaeger_remote` (`tctx::sampler::JaegerRemote` polling a strategy server
//! on loopback, once it has its strategy), `tctx_composite_probability`
//! (`CompositeSampler::new(ComposableProbability::new(0.1))`), `sdk_jaeger_remote`
//! (`opentelemetry_sdk`'s, its strategy from a stub `HttpClient`, once it has it).
//!
//! Run with `cargo bench --bench jaeger_remote --features jaeger-remote`.
//!
//! Instructions per decision, stable under the shared machine's noise: run the bench binary
//! (`target/release/deps/jaeger_remote-*`) under callgrind, counting inside `decide` only, so
//! that no setup is counted, then divide by its calls:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='jaeger_remote::decide' \
//!     target/release/deps/jaeger_remote-HASH --bench --profile-time 2 tctx_jaeger_remote/one_thread
//! callgrind_annotate --inclusive=yes callgrind.out.PID           # PROGRAM TOTALS: instructions
//! callgrind_annotate --tree=calling callgrind.out.PID | grep -A1 'jaeger_remote::decide \['  # calls
//! ```
//!
//! tctx's counts move by about 10 from run to run: the operation maps are keyed per run.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../tests/support/strategy_server.rs"]
mod strategy_server;

use criterion::{criterion_group, criterion_main, Criterion};
use opentelemetry::trace::{SpanKind, TraceId};
use opentelemetry::Context;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, ShouldSample};
use strategy_server::StrategyServer;
use tctx::sampler::{ComposableProbability, CompositeSampler, JaegerRemote};

/// Low 64 bits `0xa30e_929d_0e0e_4736`: tctx's randomness `0x0e92…` is below the threshold of
/// 0.1 (`0xe666…`), and the SDK's `low >> 1` is above 0.1 × 2^63: dropped by all three.
const DROPPED_ID: u128 = 0x4bf9_2f35_77b3_4da6_a30e_929d_0e0e_4736;
const OPERATIONS: usize = 50;
const MEASURED: usize = 37;

fn operation(i: usize) -> String {
    format!("GET /api/v1/resource-{i}")
}

/// A Jaeger `SamplingStrategyResponse` with 50 per-operation rates: operation 37 at 0.1,
/// the others at 0.5, the default at 0.01.
fn strategy_json() -> String {
    let operations: Vec<String> = (0..OPERATIONS)
        .map(|i| {
            let rate = if i == MEASURED { 0.1 } else { 0.5 };
            format!(
                r#"{{"operation":"{}","probabilisticSampling":{{"samplingRate":{rate}}}}}"#,
                operation(i)
            )
        })
        .collect();
    format!(
        r#"{{"strategyType":"PROBABILISTIC","probabilisticSampling":{{"samplingRate":0.01}},"operationSampling":{{"defaultSamplingProbability":0.01,"defaultLowerBoundTracesPerSecond":0,"defaultUpperBoundTracesPerSecond":0,"perOperationStrategies":[{}]}}}}"#,
        operations.join(",")
    )
}

// Not inlined, so that callgrind can count the instructions of one decision.
#[inline(never)]
fn decide(sampler: &dyn ShouldSample, cx: &Context, name: &str) -> SamplingDecision {
    sampler
        .should_sample(
            Some(black_box(cx)),
            black_box(TraceId::from(DROPPED_ID)),
            black_box(name),
            &SpanKind::Server,
            &[],
            &[],
        )
        .decision
}

/// tctx's sampler with the 50-operation strategy in place, polling a strategy server on
/// loopback once an hour (so its thread sleeps during the measurement), and the server.
fn tctx_jaeger_remote() -> (JaegerRemote, StrategyServer) {
    let server = StrategyServer::start();
    server.set_body(strategy_json());
    let sampler = JaegerRemote::builder("shop")
        .with_endpoint(server.endpoint())
        .with_polling_interval(Duration::from_secs(3600))
        .build()
        .expect("tctx's Jaeger remote sampler");
    let deadline = Instant::now() + Duration::from_secs(10);
    while sampler.strategy().is_none() {
        assert!(
            Instant::now() < deadline,
            "tctx's sampler never applied the strategy"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    (sampler, server)
}

// ---------------------------------------------------------------------------------------
// opentelemetry_sdk's JaegerRemoteSampler, fed by a stub HTTP client

/// Answers the first request with the strategy and never answers again, so the SDK's
/// update task stops after its first success and does not disturb the measurement.
#[derive(Debug)]
struct StubClient {
    body: Bytes,
    requests: Arc<AtomicUsize>,
}

impl HttpClient for StubClient {
    // `HttpClient` is an `async_trait`; this is the signature it expands to.
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        _request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let first = self.requests.fetch_add(1, Ordering::SeqCst) == 0;
        let body = self.body.clone();
        Box::pin(async move {
            if !first {
                std::future::pending::<()>().await;
            }
            Ok(Response::new(body))
        })
    }
}

/// The SDK's sampler with the 50-operation strategy in place (its first fetch waits one
/// update interval, here 1 ms), and the runtime its update task runs on.
fn sdk_jaeger_remote() -> (Sampler, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let _entered = runtime.enter();
    let client = StubClient {
        body: Bytes::from(strategy_json()),
        requests: Arc::new(AtomicUsize::new(0)),
    };
    // The default sampler drops everything, so a sampled probe proves the strategy arrived.
    let sampler = Sampler::jaeger_remote(
        opentelemetry_sdk::runtime::Tokio,
        client,
        Sampler::AlwaysOff,
        "shop",
    )
    .with_endpoint("http://127.0.0.1:5778/sampling")
    .with_update_interval(Duration::from_millis(1))
    .build()
    .expect("the SDK's Jaeger remote sampler");
    let probe = |sampler: &Sampler| {
        sampler
            .should_sample(
                None,
                TraceId::from(0x4bf9_2f35_77b3_4da6_0000_0000_0000_0000),
                &operation(MEASURED),
                &SpanKind::Server,
                &[],
                &[],
            )
            .decision
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while probe(&sampler) != SamplingDecision::RecordAndSample {
        assert!(
            Instant::now() < deadline,
            "the SDK's sampler never applied the strategy"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    (sampler, runtime)
}

// ---------------------------------------------------------------------------------------
// The group

/// Times `iterations` decisions on this thread; with `contended`, while another thread
/// decides on the same sampler in a loop.
fn timed(
    sampler: &(dyn ShouldSample + Sync),
    name: &str,
    iterations: u64,
    contended: bool,
) -> Duration {
    let cx = Context::new();
    if !contended {
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(decide(sampler, &cx, name));
        }
        return start.elapsed();
    }
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let cx = Context::new();
            while !stop.load(Ordering::Relaxed) {
                black_box(decide(sampler, &cx, name));
            }
        });
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(decide(sampler, &cx, name));
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        elapsed
    })
}

fn jaeger_remote(c: &mut Criterion) {
    let name = operation(MEASURED);
    let (tctx, _server) = tctx_jaeger_remote();
    let (sdk, _runtime) = sdk_jaeger_remote();
    let composite = CompositeSampler::new(ComposableProbability::new(0.1).unwrap());
    let samplers: [(&str, &(dyn ShouldSample + Sync)); 3] = [
        ("tctx_jaeger_remote", &tctx),
        ("tctx_composite_probability", &composite),
        ("sdk_jaeger_remote", &sdk),
    ];
    let cx = Context::new();
    for (label, sampler) in &samplers {
        assert_eq!(
            decide(*sampler, &cx, &name),
            SamplingDecision::Drop,
            "{label}"
        );
    }

    let mut group = c.benchmark_group("jaeger_remote");
    for (label, sampler) in samplers {
        for (threads, contended) in [("one_thread", false), ("two_threads", true)] {
            group.bench_function(format!("{label}/{threads}"), |b| {
                b.iter_custom(|iterations| timed(sampler, &name, iterations, contended));
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = jaeger_remote_benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4));
    targets = jaeger_remote
}
criterion_main!(jaeger_remote_benches);
