//! Jaeger remote sampling through the public API, against a strategy server on loopback
//! (`tests/support/strategy_server.rs`): fetching, faults, decisions, the thread's end.

#[path = "support/strategy_server.rs"]
mod strategy_server;

use std::time::{Duration, Instant};

use strategy_server::StrategyServer;
use tctx::sampler::jaeger::Strategy;
use tctx::sampler::JaegerRemote;

/// Polls `condition` every 5 ms until it holds, at most `bound`; whether it held.
fn eventually(bound: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    condition()
}

#[test]
fn first_fetch_starts_when_built() {
    let server = StrategyServer::start();
    server.set_body(r#"{"probabilisticSampling":{"samplingRate":0.25}}"#);
    let built = Instant::now();
    let sampler = JaegerRemote::builder("checkout")
        .with_endpoint(server.endpoint())
        .with_polling_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    assert!(server.wait_for_requests(1, Duration::from_secs(5)));
    let first = server.requests()[0].at.duration_since(built);
    assert!(eventually(Duration::from_secs(5), || sampler
        .strategy()
        .is_some()));
    let installed = built.elapsed();
    eprintln!("time to first fetch: request after {first:?}, strategy in use after {installed:?}");
    assert_eq!(server.requests()[0].target, "/sampling?service=checkout");
    assert_eq!(
        sampler.strategy(),
        Some(Strategy::Probabilistic {
            sampling_rate: 0.25
        })
    );
    assert!(first < Duration::from_secs(1), "{first:?}");
}
