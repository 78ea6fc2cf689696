//! The one room of tctx with I/O: a thread that fetches the strategy over HTTP and swaps it
//! in. It has one owner ([`Poller`], held by every clone of a `JaegerRemote` through one
//! `Arc`) and one way to stop: the owner's `Drop` closes a channel, which wakes the thread at
//! once if it waits, or right after the request in flight (bounded by its timeout); it then
//! makes no other request.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::strategy::{Strategy, StrategyError, MAX_BODY_BYTES};
use super::Shared;

/// What a fetch can fail with; its `Display` is the warning's text.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// Connection refused, timeout, DNS, a malformed response, a body over the limit.
    Http(ureq::Error),
    /// A response that is not 2xx.
    Status(u16),
    /// A 2xx response whose body is not a strategy.
    Body(StrategyError),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Http(ureq::Error::BodyExceedsLimit(_)) => {
                write!(f, "the response body is larger than {MAX_BODY_BYTES} bytes")
            }
            Self::Http(ureq::Error::Timeout(_)) => f.write_str("the request timed out"),
            Self::Http(error) => write!(f, "{error}"),
            Self::Status(status) => write!(f, "the server answered HTTP {status}"),
            Self::Body(error) => write!(f, "the response is not a strategy: {error}"),
        }
    }
}

/// The owner of the polling thread: dropping it stops the thread.
#[derive(Debug)]
pub(crate) struct Poller {
    /// Closed (dropped) to stop the thread; never sent on.
    _stop: Sender<()>,
}

impl Poller {
    /// Starts the thread: a fetch at once, then one per `interval`.
    pub(crate) fn start(shared: Arc<Shared>, interval: Duration, timeout: Duration) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(3)
            .user_agent(concat!("tctx/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let spawned = thread::Builder::new()
            .name("tctx-jaeger-remote".to_owned())
            .spawn(move || {
                let mut failing = false;
                loop {
                    let started = Instant::now();
                    let outcome = fetch(&agent, &shared.url);
                    report(&shared, &outcome, &mut failing);
                    if let Ok(strategy) = outcome {
                        shared.install(strategy);
                    }
                    // One fetch per interval, counted from the start of the last one.
                    let wait = interval.saturating_sub(started.elapsed());
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            });
        if let Err(error) = spawned {
            // The sampler still works, on its initial sampler.
            opentelemetry::otel_warn!(
                name: "tctx.jaeger_remote.no_thread",
                message = format!(
                    "could not start the Jaeger remote sampling thread ({error}); the initial \
                     sampler decides"
                )
            );
        }
        Self { _stop: stop }
    }
}

/// One GET of the strategy.
fn fetch(agent: &ureq::Agent, url: &str) -> Result<Strategy, FetchError> {
    let mut response = agent.get(url).call().map_err(FetchError::Http)?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(FetchError::Status(status));
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES as u64)
        .read_to_vec()
        .map_err(FetchError::Http)?;
    Strategy::from_json(&body).map_err(FetchError::Body)
}

/// One warning when a streak of failures starts, one message when it ends.
fn report(shared: &Shared, outcome: &Result<Strategy, FetchError>, failing: &mut bool) {
    match outcome {
        Err(error) => {
            if !*failing {
                *failing = true;
                let keeping = if shared.has_strategy() {
                    "the last strategy fetched"
                } else {
                    "the initial sampler"
                };
                opentelemetry::otel_warn!(
                    name: "tctx.jaeger_remote.fetch_failed",
                    message = format!(
                        "fetching the sampling strategy from {} failed: {error}; keeping {keeping} \
                         until a fetch succeeds (no other warning until then)",
                        shared.url
                    )
                );
            }
        }
        Ok(_) => {
            if *failing {
                *failing = false;
                opentelemetry::otel_warn!(
                    name: "tctx.jaeger_remote.fetch_recovered",
                    message = format!("fetching the sampling strategy from {} works again", shared.url)
                );
            }
        }
    }
}
