//! Jaeger remote sampling logs one warning when a streak of failed fetches starts and one
//! message when a fetch works again, however long the streak (issue 17, "Fetching"). The
//! polling thread logs from its own thread, so the subscriber is the global one: this test is
//! alone in its binary (process).

#[path = "support/strategy_server.rs"]
mod strategy_server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use strategy_server::{Mode, StrategyServer};
use tctx::sampler::JaegerRemote;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Counts the events named `tctx.jaeger_remote.fetch_failed` and `…fetch_recovered`.
#[derive(Clone, Default)]
struct Counts {
    failed: Arc<AtomicUsize>,
    recovered: Arc<AtomicUsize>,
}

impl Counts {
    fn get(&self) -> (usize, usize) {
        (
            self.failed.load(Ordering::SeqCst),
            self.recovered.load(Ordering::SeqCst),
        )
    }
}

impl<S: tracing::Subscriber> Layer<S> for Counts {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        match event.metadata().name() {
            "tctx.jaeger_remote.fetch_failed" => self.failed.fetch_add(1, Ordering::SeqCst),
            "tctx.jaeger_remote.fetch_recovered" => self.recovered.fetch_add(1, Ordering::SeqCst),
            _ => 0,
        };
    }
}

const BOUND: Duration = Duration::from_secs(10);

/// Polls `condition` every 2 ms until it holds, at most `BOUND`; whether it held.
fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + BOUND;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    condition()
}

#[test]
fn one_warning_per_failure_streak_and_one_on_recovery() {
    let counts = Counts::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(counts.clone()))
        .unwrap();
    let server = StrategyServer::start();
    server.set_mode(Mode::Status(500));
    let sampler = JaegerRemote::builder("checkout")
        .with_endpoint(server.endpoint())
        .with_polling_interval(Duration::from_millis(20))
        .build()
        .unwrap();

    // A streak of failures before any success: one warning.
    assert!(server.wait_for_requests(5, BOUND));
    assert!(eventually(|| counts.get() == (1, 0)), "{:?}", counts.get());

    // A success ends it: one message; more successes, nothing more.
    server.set_body(r#"{"probabilisticSampling":{"samplingRate":0.5}}"#);
    server.set_mode(Mode::Serve);
    assert!(eventually(|| sampler.strategy().is_some()));
    let recovered_at = server.request_count();
    assert!(server.wait_for_requests(recovered_at + 3, BOUND));
    assert_eq!(counts.get(), (1, 1));

    // A second streak (another kind of fault): one more warning, however long it lasts.
    server.set_mode(Mode::Garbage);
    let failing = server.request_count();
    assert!(server.wait_for_requests(failing + 5, BOUND));
    assert_eq!(counts.get(), (2, 1));
    assert!(sampler.strategy().is_some(), "the last strategy stays");
}
