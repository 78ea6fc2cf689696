//! Sampling set from the center: Jaeger remote sampling (feature `jaeger-remote`).
//!
//! A Jaeger agent or collector, or an OpenTelemetry Collector with its
//! `jaegerremotesampling` extension, serves a *strategy* per service; every service polls it,
//! so operators change sampling rates for a whole fleet without redeploying.
//! [`JaegerRemote`] polls it and samples by it, consistently: OpenTelemetry names it
//! `jaeger_remote` (and `parentbased_jaeger_remote`, schema node `jaeger_remote/development`).
//!
//! # Strategies
//!
//! A strategy ([`Strategy`], read by the pure [`Strategy::from_json`]) is one of:
//!
//! - **probabilistic** `p`: each new trace sampled with probability `p`. tctx turns `p` into
//!   OpenTelemetry's consistent threshold, through the one decision path of its composable
//!   samplers, so sampled spans carry `ot=th:…` and backends can count what was dropped, and
//!   services that sample the same trace at the same or a higher rate keep it too;
//! - **rate limiting** `N`: at most `N` new traces a second, by tctx's lock-free
//!   [`RateLimiter`]; their count is unknown, so they carry no `th`;
//! - **per operation**: a probability per operation (the span's name, compared exactly), a
//!   default probability for the others, and a *lower bound*: every operation gets at least
//!   that many sampled traces a second, whatever its probability (so a rare endpoint at 0.1%
//!   still shows up). A span sampled by its probability uses up a lower-bound token too; a
//!   span the lower bound adds has no known probability and carries no `th`. Each operation
//!   has a rate limiter of its own. The upper bound of the response is read, and not
//!   enforced, as in Jaeger's clients and OpenTelemetry's other SDKs.
//!
//! Sampled spans get the attributes Jaeger's clients set, which Jaeger's collector reads for
//! its adaptive sampling: `sampler.type` (`probabilistic`, `ratelimiting` or `lowerbound`)
//! and `sampler.param` (the probability, or the traces per second of `ratelimiting`). These
//! are the names of Jaeger's own span model (`SamplerTypeKey`, `SamplerParamKey`), which its
//! adaptive-sampling aggregator reads; a `jaeger.`-prefixed name would be read by nothing.
//!
//! ## At most 2,000 operations
//!
//! A service's span names are not always bounded (a name with an id in it), and each
//! operation with a lower bound has a rate limiter. tctx tracks at most 2,000 operations per
//! strategy: the first 2,000 the strategy lists, then, when there is a lower bound, the names
//! of spans seen, in order of arrival, until there are 2,000 in all. Any other operation is
//! decided at the default probability, without a lower bound (as in Go's and Java's
//! samplers). Span names longer than [`MAX_OPERATION_NAME_BYTES`] (256) are never added, so
//! the names kept take at most about 512 KiB. A name's first sighting, while there is room,
//! is the only decision that allocates; a dropped root allocates nothing.
//!
//! # While the server is down
//!
//! The first fetch starts when the sampler is built (the constructor does not wait for it),
//! then one every polling interval (default 60 s), each with a timeout (the interval, at most
//! 10 s, unless the builder sets one). Until a first fetch succeeds, the *initial sampler*
//! decides (default: probability 0.001, as in OpenTelemetry's other SDKs). When a fetch fails
//! (connection refused, timeout, a status other than 2xx, a body over 1 MiB or not a
//! strategy), the strategy in use stays; one warning is logged when failures start, one
//! message when a fetch works again, in OpenTelemetry's internal log
//! (`tctx.jaeger_remote.fetch_failed`, `tctx.jaeger_remote.fetch_recovered`). Decisions never
//! wait for the network: they read the current strategy without a lock (an atomically
//! swapped `Arc`, read with `arc-swap`'s `load`).
//!
//! The HTTP client honours the proxy variables (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`,
//! their lower-case forms, and `NO_PROXY`), as
//! OpenTelemetry's other SDKs' clients do: a process behind a proxy that must reach a local
//! agent directly lists it in `NO_PROXY`.
//!
//! # The thread
//!
//! Each [`JaegerRemote`] has one background thread (`tctx-jaeger-remote`), so no async
//! runtime is needed. Clones share it. When the last clone is dropped (with the last clone
//! of the tracer provider that holds it, and its tracers; `shutdown()` alone keeps the
//! sampler, and so the polling), the thread is told to stop: it ends at once if it is
//! waiting, or when its request in flight ends (at most the request timeout), and makes no
//! request after that.
//!
//! # HTTP, not gRPC
//!
//! tctx speaks the HTTP form of the sampling API, `GET {endpoint}?service=NAME` answered with
//! JSON, as OpenTelemetry Go, JavaScript and the Rust SDK do: Jaeger's agent and the
//! OpenTelemetry Collector serve it on port 5778 (`http://localhost:5778/sampling`, the
//! default), Jaeger's collector on its admin port (`/api/sampling`). The gRPC form (port
//! 14250, named in the specification's `endpoint`) is not spoken: pointed at a gRPC port, each
//! fetch fails (the server does not answer HTTP/1.1), a warning says so, and the initial
//! sampler stays in charge. `https` endpoints are refused when the sampler is built: tctx
//! brings no TLS stack (strategies come from a local agent or collector).
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use tctx::sampler::{JaegerRemote, ParentThreshold};
//!
//! let sampler = JaegerRemote::builder("checkout")
//!     .with_endpoint("http://localhost:5778")
//!     .with_polling_interval(Duration::from_secs(30))
//!     .build()?;
//! // Roots by the center's strategy, children follow their parent.
//! let provider = SdkTracerProvider::builder()
//!     .with_sampler(ParentThreshold::new(sampler))
//!     .build();
//! # let _ = provider;
//! # Ok::<(), tctx::sampler::JaegerRemoteError>(())
//! ```
//!
//! In rules: drop health checks, keep checkouts, the center decides the rest.
//!
//! ```no_run
//! use opentelemetry_sdk::trace::SdkTracerProvider;
//! use tctx::sampler::{
//!     ComposableAlwaysOff, ComposableAlwaysOn, ComposableParentThreshold, ComposableRuleBased,
//!     CompositeSampler, JaegerRemote, Rule, SpanMatcher,
//! };
//!
//! let center = JaegerRemote::builder("checkout").build()?;
//! let rules = ComposableRuleBased::new([
//!     Rule::new(SpanMatcher::new().with_attribute_values("http.route", ["/healthz"]), ComposableAlwaysOff),
//!     Rule::new(SpanMatcher::new().with_attribute_values("http.route", ["/checkout"]), ComposableAlwaysOn),
//!     Rule::new(SpanMatcher::new(), center),
//! ]);
//! let sampler = CompositeSampler::new(ComposableParentThreshold::new(rules));
//! let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
//! # let _ = provider;
//! # Ok::<(), tctx::sampler::JaegerRemoteError>(())
//! ```

mod poller;
mod strategy;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use opentelemetry::trace::{Link, SpanKind, TraceId};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SamplingResult, ShouldSample};

use super::composable::{decide, SamplingIntent, SamplingParams};
use super::SamplerDescription;
use super::{Clock, ComposableProbability, ComposableSampler, MonotonicClock, RateLimiter};
use crate::probability::{Threshold, MIN_PROBABILITY};

pub use strategy::{OperationSampling, OperationStrategy, Strategy, StrategyError, MAX_BODY_BYTES};

/// The endpoint when none is given: a Jaeger agent or OpenTelemetry Collector on this host.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:5778/sampling";
/// The polling interval when none is given.
pub const DEFAULT_POLLING_INTERVAL: Duration = Duration::from_secs(60);
/// The longest default request timeout (the default is the interval, at most this).
pub const MAX_DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The probability of the default initial sampler.
pub const DEFAULT_INITIAL_SAMPLING_RATE: f64 = 0.001;
/// The most operations tracked per strategy (see the [module docs](self#at-most-2000-operations)).
pub const MAX_OPERATIONS: usize = 2000;
/// The longest span name added to the operations tracked as spans arrive; a longer name is
/// decided at the default probability (see the [module docs](self#at-most-2000-operations)).
pub const MAX_OPERATION_NAME_BYTES: usize = 256;

const SAMPLER_TYPE: &str = "sampler.type";
const SAMPLER_PARAM: &str = "sampler.param";

/// A sampler whose strategy is set from the center: polled from a Jaeger agent, collector, or
/// an OpenTelemetry Collector's remote sampling extension (see the [module docs](self)).
///
/// It is a `ShouldSample` that decides every span it is asked about by the current strategy
/// (the span's name is the operation): put it at the root, behind
/// [`ParentBased`](super::ParentBased) (what `parentbased_jaeger_remote` builds) or
/// [`ParentThreshold`](super::ParentThreshold) (which also erases a parent's inconsistent
/// `th`), so that children follow their parent. It is also a [`ComposableSampler`], for
/// [`CompositeSampler`](super::CompositeSampler) and rules. Clones share the strategy, the rate
/// limiters and the polling thread; dropping the last clone stops the thread.
///
/// Description: `JaegerRemote{service:checkout,endpoint:http://localhost:5778/sampling,strategy:…}`,
/// where the strategy is `initial:<the initial sampler's description>` until a first fetch
/// succeeds, then `probabilistic:0.25`, `ratelimiting:10` or
/// `perOperation:{default:0.001,lowerBound:0.1,operations:12}`.
///
/// # Examples
///
/// ```no_run
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::{JaegerRemote, ParentThreshold};
///
/// let sampler = JaegerRemote::builder("checkout").build()?;
/// let provider = SdkTracerProvider::builder().with_sampler(ParentThreshold::new(sampler)).build();
/// # let _ = provider;
/// # Ok::<(), tctx::sampler::JaegerRemoteError>(())
/// ```
#[derive(Clone)]
pub struct JaegerRemote {
    shared: Arc<Shared>,
    /// Stops the thread when the last clone goes.
    _poller: Arc<poller::Poller>,
}

/// What the sampler and its thread share.
pub(crate) struct Shared {
    service: String,
    url: String,
    initial: Arc<dyn ComposableSampler>,
    clock: Arc<dyn Clock>,
    /// `None` until a first fetch succeeds.
    current: ArcSwapOption<Compiled>,
}

impl Shared {
    fn has_strategy(&self) -> bool {
        self.current.load().is_some()
    }

    /// Swaps in `strategy`, unless it is the one in use (whose rate limiters then keep their
    /// state).
    fn install(&self, strategy: Strategy) {
        if self
            .current
            .load()
            .as_ref()
            .is_some_and(|current| current.strategy == strategy)
        {
            return;
        }
        let compiled = Compiled::new(strategy, &self.clock);
        self.current.store(Some(Arc::new(compiled)));
    }
}

/// Builds a [`JaegerRemote`]: the service name, then what differs from the defaults.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use tctx::sampler::{ComposableProbability, JaegerRemote};
///
/// let sampler = JaegerRemote::builder("checkout")
///     .with_endpoint("http://jaeger-agent:5778/sampling")
///     .with_polling_interval(Duration::from_secs(10))
///     .with_request_timeout(Duration::from_secs(2))
///     .with_initial_sampler(ComposableProbability::new(0.01)?)
///     .build()?;
/// # let _ = sampler;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct JaegerRemoteBuilder {
    service: String,
    endpoint: String,
    interval: Duration,
    timeout: Option<Duration>,
    initial: Option<Arc<dyn ComposableSampler>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for JaegerRemoteBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JaegerRemoteBuilder")
            .field("service", &self.service)
            .field("endpoint", &self.endpoint)
            .field("interval", &self.interval)
            .field("timeout", &self.timeout)
            .field(
                "initial",
                &self.initial.as_ref().map(SamplerDescription::description),
            )
            .finish_non_exhaustive()
    }
}

impl JaegerRemote {
    /// A builder for the sampler of the service `service_name` (OpenTelemetry's
    /// `service.name`), with the defaults: endpoint [`DEFAULT_ENDPOINT`], polling interval 60
    /// s, request timeout 10 s, initial sampler `ComposableProbability(0.001)`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let sampler = tctx::sampler::JaegerRemote::builder("checkout").build()?;
    /// # let _ = sampler;
    /// # Ok::<(), tctx::sampler::JaegerRemoteError>(())
    /// ```
    #[must_use]
    pub fn builder(service_name: impl Into<String>) -> JaegerRemoteBuilder {
        JaegerRemoteBuilder {
            service: service_name.into(),
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            interval: DEFAULT_POLLING_INTERVAL,
            timeout: None,
            initial: None,
            clock: Arc::new(MonotonicClock),
        }
    }

    /// The strategy in use: `None` until a first fetch succeeds (the initial sampler decides
    /// meanwhile).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let sampler = tctx::sampler::JaegerRemote::builder("checkout").build()?;
    /// assert_eq!(sampler.strategy(), None); // the first fetch has not answered yet
    /// # Ok::<(), tctx::sampler::JaegerRemoteError>(())
    /// ```
    #[must_use]
    pub fn strategy(&self) -> Option<Strategy> {
        self.shared
            .current
            .load()
            .as_ref()
            .map(|current| current.strategy.clone())
    }

    /// The URL fetched: the endpoint with `?service=NAME` (percent-encoded).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let sampler = tctx::sampler::JaegerRemote::builder("my shop").with_endpoint("http://agent:5778").build()?;
    /// assert_eq!(sampler.url(), "http://agent:5778/sampling?service=my%20shop");
    /// # Ok::<(), tctx::sampler::JaegerRemoteError>(())
    /// ```
    #[must_use]
    pub fn url(&self) -> &str {
        &self.shared.url
    }
}

impl JaegerRemoteBuilder {
    /// The sampling endpoint, `http://host:port/path`; an endpoint without a path gets
    /// `/sampling` (`http://localhost:5778` is `http://localhost:5778/sampling`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let sampler = tctx::sampler::JaegerRemote::builder("checkout")
    ///     .with_endpoint("http://jaeger-collector:14268/api/sampling")
    ///     .build()?;
    /// # let _ = sampler;
    /// # Ok::<(), tctx::sampler::JaegerRemoteError>(())
    /// ```
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// How often the strategy is fetched (default 60 s), counted from the start of one fetch
    /// to the start of the next.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let err = tctx::sampler::JaegerRemote::builder("checkout")
    ///     .with_polling_interval(Duration::ZERO)
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "the polling interval must be above zero");
    /// ```
    #[must_use]
    pub fn with_polling_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The timeout of each request, from connecting to the last byte of the body (default:
    /// the polling interval, at most 10 s).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// let sampler = tctx::sampler::JaegerRemote::builder("checkout")
    ///     .with_request_timeout(Duration::from_secs(1))
    ///     .build()?;
    /// # let _ = sampler;
    /// # Ok::<(), tctx::sampler::JaegerRemoteError>(())
    /// ```
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The composable sampler that decides until a first fetch succeeds (default
    /// `ComposableProbability(0.001)`, as in OpenTelemetry's other SDKs): any
    /// [`ComposableSampler`], so that the initial decisions are consistent and carry `th` too
    /// (`ComposableProbability::new(rate)` for the specification's `initialSamplingRate`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use tctx::sampler::{ComposableAlwaysOn, JaegerRemote};
    ///
    /// // Everything, until the center says otherwise.
    /// let sampler = JaegerRemote::builder("checkout").with_initial_sampler(ComposableAlwaysOn).build()?;
    /// # let _ = sampler;
    /// # Ok::<(), tctx::sampler::JaegerRemoteError>(())
    /// ```
    #[must_use]
    pub fn with_initial_sampler(mut self, sampler: impl ComposableSampler + 'static) -> Self {
        self.initial = Some(Arc::new(sampler));
        self
    }

    /// The clock of the rate limiters (rate-limiting strategies and lower bounds), for tests
    /// and simulations; the [`MonotonicClock`] by default.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use tctx::sampler::{JaegerRemote, ManualClock};
    ///
    /// let sampler = JaegerRemote::builder("checkout").with_clock(ManualClock::new()).build()?;
    /// # let _ = sampler;
    /// # Ok::<(), tctx::sampler::JaegerRemoteError>(())
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Whether the endpoint is one `build` accepts (for configuration readers).
    #[cfg_attr(not(feature = "config"), allow(dead_code))]
    pub(crate) fn check(&self) -> Result<(), JaegerRemoteError> {
        sampling_url(&self.endpoint, "check").map(drop)
    }

    /// Checks the configuration and starts polling: the first fetch starts now, in the
    /// background; this does not wait for it.
    ///
    /// # Errors
    ///
    /// An empty service name, an endpoint that is not an `http://` URL with a host (`https`
    /// included: tctx has no TLS), a zero polling interval or request timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::JaegerRemote;
    ///
    /// let err = JaegerRemote::builder("checkout").with_endpoint("localhost:5778").build().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "endpoint \"localhost:5778\": expected an http:// URL (http://host:port/path)"
    /// );
    /// ```
    pub fn build(self) -> Result<JaegerRemote, JaegerRemoteError> {
        if self.service.is_empty() {
            return Err(JaegerRemoteError::EmptyServiceName);
        }
        if self.interval.is_zero() {
            return Err(JaegerRemoteError::ZeroInterval);
        }
        let timeout = self
            .timeout
            .unwrap_or_else(|| self.interval.min(MAX_DEFAULT_TIMEOUT));
        if timeout.is_zero() {
            return Err(JaegerRemoteError::ZeroTimeout);
        }
        let url = sampling_url(&self.endpoint, &self.service)?;
        let initial = match self.initial {
            Some(initial) => initial,
            None => match ComposableProbability::new(DEFAULT_INITIAL_SAMPLING_RATE) {
                Ok(probability) => Arc::new(probability) as Arc<dyn ComposableSampler>,
                // 0.001 is a probability; should that ever change, sample nothing at first.
                Err(_) => Arc::new(super::ComposableAlwaysOff),
            },
        };
        let shared = Arc::new(Shared {
            service: self.service,
            url,
            initial,
            clock: self.clock,
            current: ArcSwapOption::empty(),
        });
        let poller = poller::Poller::start(Arc::clone(&shared), self.interval, timeout);
        Ok(JaegerRemote {
            shared,
            _poller: Arc::new(poller),
        })
    }
}

/// Why a [`JaegerRemote`] cannot be built.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{JaegerRemote, JaegerRemoteError};
///
/// let err = JaegerRemote::builder("").build().unwrap_err();
/// assert!(matches!(err, JaegerRemoteError::EmptyServiceName));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JaegerRemoteError {
    /// The service name is empty.
    EmptyServiceName,
    /// The endpoint is not an `http://` URL with a host; the endpoint (cut to 64 bytes) and
    /// why.
    InvalidEndpoint {
        /// The endpoint as given, cut to 64 bytes.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The polling interval is zero.
    ZeroInterval,
    /// The request timeout is zero.
    ZeroTimeout,
}

impl fmt::Display for JaegerRemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyServiceName => f.write_str("the service name is empty"),
            Self::InvalidEndpoint { endpoint, reason } => {
                write!(f, "endpoint {endpoint:?}: {reason}")
            }
            Self::ZeroInterval => f.write_str("the polling interval must be above zero"),
            Self::ZeroTimeout => f.write_str("the request timeout must be above zero"),
        }
    }
}

impl std::error::Error for JaegerRemoteError {}

/// `{endpoint}?service=NAME`, the endpoint checked, `/sampling` added when it has no path.
fn sampling_url(endpoint: &str, service: &str) -> Result<String, JaegerRemoteError> {
    let invalid = |reason| JaegerRemoteError::InvalidEndpoint {
        endpoint: strategy::cut(endpoint),
        reason,
    };
    let trimmed = endpoint.trim();
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Err(invalid(
            "https is not supported (tctx brings no TLS stack): use http:// to a local agent or \
             collector",
        ));
    }
    if !lower.starts_with("http://") {
        return Err(invalid("expected an http:// URL (http://host:port/path)"));
    }
    let rest = &trimmed["http://".len()..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.is_empty() || authority.contains('@') {
        return Err(invalid("expected a host (and no user) after http://"));
    }
    let host_end = authority.rfind(']').unwrap_or(0);
    if let Some(colon) = authority[host_end..].rfind(':') {
        let port = &authority[host_end + colon + 1..];
        if port.parse::<u16>().is_err() {
            return Err(invalid("the port is not a number from 0 to 65535"));
        }
    }
    if tail.contains('#') {
        return Err(invalid("a fragment (#) has no place in an endpoint"));
    }
    let mut url = format!("http://{authority}");
    if tail.is_empty() || tail.starts_with('?') {
        url.push_str("/sampling");
    }
    url.push_str(tail);
    url.push(if tail.contains('?') { '&' } else { '?' });
    url.push_str("service=");
    percent_encode(service, &mut url);
    // The URL as the client will read it: refuse now what every fetch would fail on.
    let parsed: Result<ureq::http::Uri, _> = url.parse();
    match parsed {
        Ok(uri) if uri.host().is_some_and(|host| !host.is_empty()) => Ok(url),
        _ => Err(invalid("not a valid URL")),
    }
}

/// Appends `text` percent-encoded as a query value (RFC 3986 unreserved characters kept).
fn percent_encode(text: &str, out: &mut String) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
}

/// A strategy ready to decide: thresholds computed, rate limiters made.
struct Compiled {
    strategy: Strategy,
    rule: Rule,
}

/// Operations by name. Span names can come from request paths, chosen by strangers: the
/// hash is keyed (seeded per process and per map), so colliding names cannot be picked in
/// advance; and it is foldhash, a few instructions on a short name where `SipHash`, std's
/// default, took a third of a decision.
type Operations<V> = HashMap<Box<str>, V, foldhash::fast::RandomState>;

enum Rule {
    Probabilistic(Operation),
    RateLimiting {
        limiter: Option<RateLimiter>,
        attributes: [KeyValue; 2],
    },
    PerOperation {
        listed: Operations<Operation>,
        /// The default for operations not listed (no lower bound: past the cap).
        default: Operation,
        /// Operations seen in spans, with their lower-bound limiter, when there is a lower
        /// bound and room under the cap.
        discovered: Option<Discovered>,
    },
}

/// How one operation is decided.
struct Operation {
    /// `None` for probability 0.
    threshold: Option<Threshold>,
    rate: f64,
    lower_bound: Option<RateLimiter>,
}

/// The operations met in spans: read without a lock (a swapped map), written under a mutex,
/// copied on write, at most [`MAX_OPERATIONS`] less the listed ones.
struct Discovered {
    operations: ArcSwap<Operations<Arc<Operation>>>,
    writer: Mutex<()>,
    room: usize,
    rate: f64,
    threshold: Option<Threshold>,
    lower_bound: f64,
    clock: Arc<dyn Clock>,
}

/// The threshold of probability `rate`: `None` for 0; a rate above 0 and below 2^-56 (the
/// smallest threshold) is raised to it.
fn threshold(rate: f64) -> Option<Threshold> {
    if rate <= 0.0 {
        return None;
    }
    ComposableProbability::new(rate.clamp(MIN_PROBABILITY, 1.0))
        .ok()
        .map(|p| p.threshold())
}

/// A limiter of `per_second` (at most 10^9, the limiter's range), `None` for 0.
fn limiter(per_second: f64, clock: &Arc<dyn Clock>) -> Option<RateLimiter> {
    if per_second <= 0.0 {
        return None;
    }
    let limiter = RateLimiter::new(per_second.min(1e9)).ok()?;
    Some(limiter.with_clock(Arc::clone(clock)))
}

impl Operation {
    fn new(rate: f64, lower_bound: f64, clock: &Arc<dyn Clock>) -> Self {
        Self {
            threshold: threshold(rate),
            rate,
            lower_bound: limiter(lower_bound, clock),
        }
    }

    fn intent(&self) -> SamplingIntent<'static> {
        // Only used where the decision is left to `decide` without attributes (not reached
        // in practice: see `intent_for`).
        match self.threshold {
            Some(threshold) => SamplingIntent::sample_at(threshold),
            None => SamplingIntent::no_threshold(),
        }
    }

    /// The intent for a span with randomness from `params`. The decision is known here: a
    /// reliable threshold is compared with the same randomness `decide` uses, so attributes
    /// are made for sampled spans only.
    fn intent_for(&self, params: &SamplingParams<'_>) -> SamplingIntent<'static> {
        let sampled = self
            .threshold
            .is_some_and(|threshold| threshold.samples(params.randomness()));
        if sampled {
            if let Some(limiter) = &self.lower_bound {
                // A sampled span counts towards the lower bound (at least N a second).
                let _ = limiter.try_acquire();
            }
            return self
                .intent()
                .with_owned_attributes(attributes("probabilistic", self.rate));
        }
        if self
            .lower_bound
            .as_ref()
            .is_some_and(RateLimiter::try_acquire)
        {
            return SamplingIntent::new(Some(Threshold::SAMPLE_ALL), false)
                .with_owned_attributes(attributes("lowerbound", self.rate));
        }
        self.intent()
    }
}

fn attributes(kind: &'static str, param: f64) -> Vec<KeyValue> {
    vec![
        KeyValue::new(SAMPLER_TYPE, kind),
        KeyValue::new(SAMPLER_PARAM, param),
    ]
}

impl Compiled {
    fn new(strategy: Strategy, clock: &Arc<dyn Clock>) -> Self {
        let rule = match &strategy {
            Strategy::Probabilistic { sampling_rate } => {
                Rule::Probabilistic(Operation::new(*sampling_rate, 0.0, clock))
            }
            Strategy::RateLimiting {
                max_traces_per_second,
            } => Rule::RateLimiting {
                limiter: limiter(f64::from(*max_traces_per_second), clock),
                attributes: [
                    KeyValue::new(SAMPLER_TYPE, "ratelimiting"),
                    KeyValue::new(SAMPLER_PARAM, f64::from(*max_traces_per_second)),
                ],
            },
            Strategy::PerOperation(operations) => {
                let lower_bound = operations.default_lower_bound_traces_per_second;
                let mut listed = Operations::default();
                for op in &operations.per_operation_strategies {
                    // A repeated operation: the last entry wins, as in Go's map.
                    if listed.len() < MAX_OPERATIONS || listed.contains_key(op.operation.as_str()) {
                        listed.insert(
                            op.operation.as_str().into(),
                            Operation::new(op.sampling_rate, lower_bound, clock),
                        );
                    }
                }
                let rate = operations.default_sampling_probability;
                let room = MAX_OPERATIONS - listed.len();
                let discovered = (lower_bound > 0.0 && room > 0).then(|| Discovered {
                    operations: ArcSwap::from_pointee(Operations::default()),
                    writer: Mutex::new(()),
                    room,
                    rate,
                    threshold: threshold(rate),
                    lower_bound,
                    clock: Arc::clone(clock),
                });
                Rule::PerOperation {
                    listed,
                    default: Operation::new(rate, 0.0, clock),
                    discovered,
                }
            }
        };
        Self { strategy, rule }
    }

    fn intent(&self, params: &SamplingParams<'_>) -> SamplingIntent<'static> {
        match &self.rule {
            Rule::Probabilistic(operation) => operation.intent_for(params),
            Rule::RateLimiting {
                limiter,
                attributes,
            } => {
                if limiter.as_ref().is_some_and(RateLimiter::try_acquire) {
                    SamplingIntent::new(Some(Threshold::SAMPLE_ALL), false)
                        .with_owned_attributes(attributes.to_vec())
                } else {
                    SamplingIntent::no_threshold()
                }
            }
            Rule::PerOperation {
                listed,
                default,
                discovered,
            } => {
                if let Some(operation) = listed.get(params.name()) {
                    return operation.intent_for(params);
                }
                match discovered {
                    Some(discovered) => match discovered.get_or_insert(params.name()) {
                        Some(operation) => operation.intent_for(params),
                        None => default.intent_for(params),
                    },
                    None => default.intent_for(params),
                }
            }
        }
    }

    fn describe(&self) -> String {
        match &self.strategy {
            Strategy::Probabilistic { sampling_rate } => format!("probabilistic:{sampling_rate}"),
            Strategy::RateLimiting {
                max_traces_per_second,
            } => format!("ratelimiting:{max_traces_per_second}"),
            Strategy::PerOperation(operations) => format!(
                "perOperation:{{default:{},lowerBound:{},operations:{}}}",
                operations.default_sampling_probability,
                operations.default_lower_bound_traces_per_second,
                operations.per_operation_strategies.len()
            ),
        }
    }
}

impl Discovered {
    /// The operation named `name`, added if there is room; `None` past the cap.
    fn get_or_insert(&self, name: &str) -> Option<Arc<Operation>> {
        {
            let operations = self.operations.load();
            if let Some(operation) = operations.get(name) {
                return Some(Arc::clone(operation));
            }
            // Full: the map never shrinks, so names past the cap take no lock. A name too
            // long to keep is never added.
            if operations.len() >= self.room || name.len() > MAX_OPERATION_NAME_BYTES {
                return None;
            }
        }
        // A poisoned lock only means another thread panicked while copying a map: the map in
        // place is whole (it is swapped, never changed), so carry on.
        let _writing = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = self.operations.load_full();
        if let Some(operation) = current.get(name) {
            return Some(Arc::clone(operation));
        }
        if current.len() >= self.room {
            return None;
        }
        let operation = Arc::new(Operation {
            threshold: self.threshold,
            rate: self.rate,
            lower_bound: limiter(self.lower_bound, &self.clock),
        });
        let mut next = HashMap::clone(&current);
        next.insert(name.into(), Arc::clone(&operation));
        self.operations.store(Arc::new(next));
        Some(operation)
    }
}

impl ComposableSampler for JaegerRemote {
    fn sampling_intent<'s>(&'s self, params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        let current = self.shared.current.load();
        match current.as_ref() {
            Some(compiled) => compiled.intent(params),
            None => self.shared.initial.sampling_intent(params),
        }
    }
}

impl ShouldSample for JaegerRemote {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        decide(
            self,
            parent_context,
            trace_id,
            name,
            span_kind,
            attributes,
            links,
        )
    }
}

impl SamplerDescription for JaegerRemote {
    fn description(&self) -> String {
        let strategy = match self.shared.current.load().as_ref() {
            Some(compiled) => compiled.describe(),
            None => format!("initial:{}", self.shared.initial.description()),
        };
        format!(
            "JaegerRemote{{service:{},endpoint:{},strategy:{strategy}}}",
            self.shared.service,
            self.shared
                .url
                .split_once('?')
                .map_or(self.shared.url.as_str(), |(endpoint, _)| endpoint)
        )
    }
}

impl fmt::Debug for JaegerRemote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let ok = [
            (
                "http://localhost:5778",
                "http://localhost:5778/sampling?service=svc",
            ),
            (
                "http://localhost:5778/",
                "http://localhost:5778/?service=svc",
            ),
            (
                "http://h:1/api/sampling",
                "http://h:1/api/sampling?service=svc",
            ),
            ("http://h:1?x=1", "http://h:1/sampling?x=1&service=svc"),
            ("http://h/s?x=1", "http://h/s?x=1&service=svc"),
            (" HTTP://h:1 ", "http://h:1/sampling?service=svc"),
            (
                "http://[::1]:5778",
                "http://[::1]:5778/sampling?service=svc",
            ),
        ];
        for (endpoint, url) in ok {
            assert_eq!(
                sampling_url(endpoint, "svc").as_deref(),
                Ok(url),
                "{endpoint}"
            );
        }
        assert_eq!(
            sampling_url("http://h:1", "a b/é&").as_deref(),
            Ok("http://h:1/sampling?service=a%20b%2F%C3%A9%26")
        );
        for endpoint in [
            "",
            "localhost:5778",
            "https://h:1",
            "http://",
            "http:///x",
            "ftp://h",
            "http://u@h",
            "http://h/#x",
            "http://h:99999999",
        ] {
            assert!(
                matches!(
                    sampling_url(endpoint, "svc"),
                    Err(JaegerRemoteError::InvalidEndpoint { .. })
                ),
                "{endpoint}"
            );
        }
    }

    #[test]
    fn thresholds() {
        assert_eq!(threshold(0.0), None);
        assert_eq!(threshold(1.0), Some(Threshold::SAMPLE_ALL));
        assert!(threshold(1e-300).is_some()); // raised to 2^-56
        assert_eq!(threshold(0.5).map(|t| t.to_string()), Some("8".to_owned()));
    }
}
