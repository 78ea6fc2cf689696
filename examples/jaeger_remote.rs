//! Sampling set from the center: a strategy server on loopback changes the sampling rates of
//! a running service, and the next poll brings the change in, without a restart.
//!
//! ```sh
//! cargo run --example jaeger_remote --features jaeger-remote
//! ```
//!
//! The example starts a Jaeger strategy server in this process (the one the tests use,
//! `tests/support/strategy_server.rs`), builds a `JaegerRemote` sampler polling it every
//! 500 ms, and each second starts 1,000 root spans per operation through a real
//! `SdkTracerProvider`, printing per operation how many were sampled and the `th` (the
//! consistent sampling threshold in `tracestate`) they carry. After second 2 the center
//! changes its strategy; from second 3 on the service samples by the new one. It ends by
//! itself after 4 seconds.

#[path = "../tests/support/strategy_server.rs"]
mod strategy_server;

use std::collections::BTreeSet;
use std::time::Duration;

use opentelemetry::trace::{Span, TraceContextExt, Tracer, TracerProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use strategy_server::StrategyServer;
use tctx::sampler::{JaegerRemote, ParentThreshold, SamplerDescription};

/// Root spans started per operation each second.
pub const SPANS: usize = 1_000;
/// The operations (span names) of the service.
pub const OPERATIONS: [&str; 3] = ["checkout", "search", "browse"];
/// Seconds of the run; the strategy changes after [`CHANGE_AFTER`].
pub const SECONDS: u32 = 4;
/// The second after which the center changes its strategy.
pub const CHANGE_AFTER: u32 = 2;

/// The center's first strategy: checkout at 50%, search at 10%, the rest at 25%.
pub const FIRST: &str = r#"{
  "strategyType": "PROBABILISTIC",
  "operationSampling": {
    "defaultSamplingProbability": 0.25,
    "perOperationStrategies": [
      {"operation": "checkout", "probabilisticSampling": {"samplingRate": 0.5}},
      {"operation": "search", "probabilisticSampling": {"samplingRate": 0.1}}
    ]
  }
}"#;

/// Its second: keep every checkout, no search, the rest at 1/16.
pub const SECOND: &str = r#"{
  "strategyType": "PROBABILISTIC",
  "operationSampling": {
    "defaultSamplingProbability": 0.0625,
    "perOperationStrategies": [
      {"operation": "checkout", "probabilisticSampling": {"samplingRate": 1}},
      {"operation": "search", "probabilisticSampling": {"samplingRate": 0}}
    ]
  }
}"#;

/// What one operation did in one second.
#[derive(Debug)]
pub struct Line {
    /// The second, from 1.
    pub second: u32,
    /// The span name.
    pub operation: &'static str,
    /// Sampled of [`SPANS`].
    pub sampled: usize,
    /// The distinct `ot` values of the sampled spans' tracestate (`th:8`).
    pub ot: BTreeSet<String>,
}

/// Runs the demonstration, calling `print` with each line of output; returns every line's
/// numbers.
///
/// # Panics
///
/// If the sampler cannot be built (it can: the endpoint is the server's, on loopback).
pub fn run(mut print: impl FnMut(&str)) -> Vec<Line> {
    let server = StrategyServer::start();
    server.set_body(FIRST);
    let sampler = JaegerRemote::builder("shop")
        .with_endpoint(server.endpoint())
        .with_polling_interval(Duration::from_millis(500))
        .build()
        .expect("a valid configuration");
    let provider = SdkTracerProvider::builder()
        .with_sampler(ParentThreshold::new(sampler.clone()))
        .build();
    let tracer = provider.tracer("jaeger_remote example");

    print(&format!(
        "strategy server on {}; polling every 500 ms",
        server.endpoint()
    ));
    let mut lines = Vec::new();
    for second in 1..=SECONDS {
        std::thread::sleep(Duration::from_secs(1));
        print(&format!("second {second}: {}", sampler.description()));
        for operation in OPERATIONS {
            let mut kept = 0;
            let mut ot = BTreeSet::new();
            for _ in 0..SPANS {
                let mut span = tracer.start(operation);
                let context = span.span_context().clone();
                if context.is_sampled() {
                    kept += 1;
                    ot.insert(context.trace_state().get("ot").unwrap_or("").to_owned());
                }
                span.end();
            }
            let shown: Vec<&str> = ot.iter().map(String::as_str).collect();
            print(&format!(
                "  {operation:<9} sampled {kept:>4}/{SPANS}  {}",
                if shown.is_empty() {
                    "-".to_owned()
                } else {
                    shown.join(" ")
                }
            ));
            lines.push(Line {
                second,
                operation,
                sampled: kept,
                ot,
            });
        }
        if second == CHANGE_AFTER {
            server.set_body(SECOND);
            print(
                "the center changes: checkout 0.5 -> 1, search 0.1 -> 0, the rest 0.25 -> 0.0625",
            );
        }
    }
    // A span in the current context, to show that children follow their parent's decision.
    let parent = tracer.start("checkout");
    let cx = opentelemetry::Context::current_with_span(parent);
    let child = tracer.start_with_context("charge card", &cx);
    print(&format!(
        "a child of a sampled checkout is sampled too: {}",
        child.span_context().is_sampled()
    ));
    let _ = provider.shutdown();
    lines
}

fn main() {
    run(|line| println!("{line}"));
}
