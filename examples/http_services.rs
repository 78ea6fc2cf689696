//! Three HTTP services in one process, gateway → cart → payment, traced end to end with
//! `tctx::TraceContextPropagator`, a tctx sampler and OpenTelemetry's SDK.
//!
//! ```sh
//! cargo run --example http_services
//! ```
//!
//! Each service listens on 127.0.0.1 (a port the system picks) and has its own
//! `SdkTracerProvider` (its `service.name`, the sampler
//! `ParentThreshold::new(Probability::new(1.0))`), all exporting to one in-memory list. A
//! client sends `GET /checkout` to the gateway, first with no `traceparent` (the gateway
//! starts the trace), then with one (the trace continues); each time the services shut down
//! after the answer, and the example prints the headers each service received and the trace
//! as a tree: one trace-id, parent and child spans, kind, service, duration.
//!
//! - [`Traced`] is the middleware (the tctx docs' "Middleware Pattern"), a generic hyper
//!   `Service` around any handler: it extracts the incoming context, starts a server span
//!   (`SpanKind::Server`), puts the context in the request's extensions and makes it current
//!   while the handler runs, and ends the span with the response's status.
//! - [`Downstream`] is a client for the next service (the "Service Client Pattern"): each
//!   call is a client span (`SpanKind::Client`) whose `traceparent` and `tracestate` tctx
//!   injects through `opentelemetry_http::HeaderInjector`. Before the call the service adds
//!   its own tracestate member (newest left), so members accumulate hop by hop.
//! - [`MemoryExporter`] is a `SpanExporter` that keeps every finished span in memory.
//!
//! Built on hyper 1, hyper-util and tokio: the crates `examples/w3c_service.rs` already uses,
//! so the example adds no dependency. `tests/http_services.rs` runs it and checks the trace.

use std::convert::Infallible;
use std::error::Error;
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{service_fn, Service};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt, Tracer as _,
    TracerProvider as _,
};
use opentelemetry::{Context, Key, KeyValue};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use tctx::sampler::{ParentThreshold, Probability};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// Any error, for `main` and the setup.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The list every service's exporter writes to.
pub type SpanList = Arc<Mutex<Vec<RecordedSpan>>>;

/// The list every service's middleware writes the headers it received to.
pub type HopList = Arc<Mutex<Vec<Hop>>>;

/// The `traceparent` of the second run's client request: an upstream caller's span.
pub const UPSTREAM_TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";

/// The `tracestate` of the second run's client request.
pub const UPSTREAM_TRACESTATE: &str = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    println!("== 1. GET /checkout with no traceparent: the gateway starts the trace\n");
    let first = run(&[]).await?;
    print!("{}", first.render());

    println!("\n== 2. GET /checkout with a traceparent and a tracestate: the trace continues\n");
    let second = run(&[
        ("traceparent", UPSTREAM_TRACEPARENT),
        ("tracestate", UPSTREAM_TRACESTATE),
    ])
    .await?;
    print!("{}", second.render());

    for outcome in [&first, &second] {
        if outcome.status != StatusCode::OK {
            return Err(format!("checkout failed: {} {}", outcome.status, outcome.body).into());
        }
    }
    println!(
        "\nReading the headers: a traceparent is 00-<trace-id>-<parent-id>-<flags>; the trace-id\n\
         stays, the parent-id is the sender's span, flags 03 = sampled + random trace-id.\n\
         ot=th:0 in tracestate is the sampling threshold tctx's consistent sampler wrote for\n\
         the root (th:0 = keep 100%), so every service downstream can count and agree;\n\
         gateway=... and cart=... are the services' own entries, newest left."
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The run: start the services, send one request, shut down, collect what was seen.

/// What one run observed.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The gateway's answer to the client.
    pub status: StatusCode,
    /// Its body.
    pub body: String,
    /// Every finished span of the three services, in the order they ended.
    pub spans: Vec<RecordedSpan>,
    /// The trace headers each service received, in the order the requests arrived.
    pub hops: Vec<Hop>,
}

/// Starts gateway, cart and payment, sends `GET /checkout` to the gateway with `headers`,
/// shuts the services down, and returns what happened.
pub async fn run(headers: &[(&str, &str)]) -> Result<Outcome, BoxError> {
    let spans = SpanList::default();
    let hops = HopList::default();
    let services = Services::start(&spans, &hops).await?;
    let answer = checkout(services.gateway.addr, headers).await;
    services.shutdown().await?;
    let (status, body) = answer?;
    Ok(Outcome {
        status,
        body,
        spans: take(&spans),
        hops: take(&hops),
    })
}

/// The client: `GET /checkout` on the gateway with `headers`, no tracing of its own.
pub async fn checkout(
    gateway: SocketAddr,
    headers: &[(&str, &str)],
) -> Result<(StatusCode, String), BoxError> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::get(format!("http://{gateway}/checkout"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(Bytes::new()))?)
        .await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn take<T>(list: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *list.lock().unwrap_or_else(PoisonError::into_inner))
}

// ---------------------------------------------------------------------------------------
// The three services.

/// The three running services.
pub struct Services {
    /// `GET /checkout`: calls the cart.
    pub gateway: Running,
    /// `GET /cart/checkout`: calls the payment service.
    pub cart: Running,
    /// `GET /pay`: authorizes the card (a span of its own) and answers.
    pub payment: Running,
}

impl Services {
    /// Starts payment, then cart, then gateway, each on `127.0.0.1:0`, each with a tracer
    /// provider that exports to `spans`; their middleware records the headers to `hops`.
    pub async fn start(spans: &SpanList, hops: &HopList) -> Result<Self, BoxError> {
        let payment = {
            let provider = provider("payment", spans)?;
            let tracer = provider.tracer("http_services");
            let handler = service_fn(move |request: Request<Incoming>| {
                let tracer = tracer.clone();
                async move { Ok::<_, Infallible>(payment(&request, &tracer)) }
            });
            Running::start("payment", provider, hops, handler).await?
        };
        let cart = {
            let provider = provider("cart", spans)?;
            let next = Arc::new(Downstream::new("cart", payment.addr, &provider));
            let handler = service_fn(move |request: Request<Incoming>| {
                let next = Arc::clone(&next);
                async move { Ok::<_, Infallible>(cart(&request, &next).await) }
            });
            Running::start("cart", provider, hops, handler).await?
        };
        let gateway = {
            let provider = provider("gateway", spans)?;
            let next = Arc::new(Downstream::new("gateway", cart.addr, &provider));
            let handler = service_fn(move |request: Request<Incoming>| {
                let next = Arc::clone(&next);
                async move { Ok::<_, Infallible>(gateway(&request, &next).await) }
            });
            Running::start("gateway", provider, hops, handler).await?
        };
        Ok(Self {
            gateway,
            cart,
            payment,
        })
    }

    /// Shuts the three down, gateway first.
    pub async fn shutdown(self) -> Result<(), BoxError> {
        self.gateway.shutdown().await?;
        self.cart.shutdown().await?;
        self.payment.shutdown().await
    }
}

/// A service's tracer provider: its `service.name`, a tctx sampler, the shared exporter.
///
/// `ParentThreshold` follows the caller's decision; a trace that starts here is sampled at
/// probability 1, so its tracestate gets OpenTelemetry's threshold `ot=th:0`.
fn provider(service: &'static str, spans: &SpanList) -> Result<SdkTracerProvider, BoxError> {
    Ok(SdkTracerProvider::builder()
        .with_sampler(ParentThreshold::new(Probability::new(1.0)?))
        .with_resource(Resource::builder_empty().with_service_name(service).build())
        .with_simple_exporter(MemoryExporter::new(Arc::clone(spans)))
        .build())
}

/// `GET /checkout`: checks the cart out.
async fn gateway(request: &Request<Incoming>, cart: &Downstream) -> Response<Full<Bytes>> {
    if request.uri().path() != "/checkout" {
        return reply(StatusCode::NOT_FOUND, "try GET /checkout");
    }
    let cx = context_of(request);
    match cart.get(&cx, "/cart/checkout").await {
        Ok((StatusCode::OK, body)) => reply(StatusCode::OK, &format!("order placed ({body})")),
        Ok((status, body)) => reply(StatusCode::BAD_GATEWAY, &format!("cart: {status} {body}")),
        Err(error) => reply(StatusCode::BAD_GATEWAY, &format!("cart: {error}")),
    }
}

/// `GET /cart/checkout`: pays for the cart.
async fn cart(request: &Request<Incoming>, payment: &Downstream) -> Response<Full<Bytes>> {
    if request.uri().path() != "/cart/checkout" {
        return reply(StatusCode::NOT_FOUND, "try GET /cart/checkout");
    }
    let cx = context_of(request);
    match payment.get(&cx, "/pay").await {
        Ok((StatusCode::OK, body)) => reply(StatusCode::OK, &format!("cart checked out, {body}")),
        Ok((status, body)) => reply(
            StatusCode::BAD_GATEWAY,
            &format!("payment: {status} {body}"),
        ),
        Err(error) => reply(StatusCode::BAD_GATEWAY, &format!("payment: {error}")),
    }
}

/// `GET /pay`: authorizes the card, in a span of its own.
fn payment(request: &Request<Incoming>, tracer: &SdkTracer) -> Response<Full<Bytes>> {
    if request.uri().path() != "/pay" {
        return reply(StatusCode::NOT_FOUND, "try GET /pay");
    }
    // No context passed by hand: the middleware made the request's context current, so
    // `start` makes this span a child of the server span.
    let mut span = tracer.start("authorize card");
    span.set_attribute(KeyValue::new("payment.method", "card"));
    span.end();
    reply(StatusCode::OK, "payment authorized")
}

/// The context the middleware stored in the request, or the current one.
fn context_of(request: &Request<Incoming>) -> Context {
    request
        .extensions()
        .get::<Context>()
        .cloned()
        .unwrap_or_else(Context::current)
}

fn reply(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::copy_from_slice(text.as_bytes())));
    *response.status_mut() = status;
    response
}

// ---------------------------------------------------------------------------------------
// Serving, with a way to stop.

/// A service that is serving: its address, its accept loop, its tracer provider.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
    provider: SdkTracerProvider,
}

impl Running {
    /// Binds `127.0.0.1:0` and serves `handler` behind the [`Traced`] middleware, each
    /// connection a task of the accept loop's own `JoinSet`.
    async fn start<S>(
        service: &'static str,
        provider: SdkTracerProvider,
        hops: &HopList,
        handler: S,
    ) -> Result<Self, BoxError>
    where
        S: Service<Request<Incoming>, Response = Response<Full<Bytes>>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let traced = Traced::new(service, handler, &provider, Arc::clone(hops));
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        eprintln!("{service}: accept failed, stopping: {error}");
                        return;
                    }
                };
                let traced = traced.clone();
                connections.spawn(async move {
                    let io = TokioIo::new(stream);
                    if let Err(error) = http1::Builder::new().serve_connection(io, traced).await {
                        eprintln!("{service}: connection error: {error}");
                    }
                });
                while connections.try_join_next().is_some() {} // reap finished connections
            }
        });
        Ok(Self {
            addr,
            task,
            provider,
        })
    }

    /// Stops accepting and closes the open connections (dropping the accept loop drops its
    /// `JoinSet`, which aborts them), then shuts the tracer provider down.
    pub async fn shutdown(self) -> Result<(), BoxError> {
        self.task.abort();
        match self.task.await {
            Err(error) if !error.is_cancelled() => return Err(error.into()),
            _ => {}
        }
        self.provider.shutdown()?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The middleware.

/// One request as a service received it: the trace headers, joined as `, ` if repeated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    /// The service that received it.
    pub service: &'static str,
    /// Its `traceparent`, if any.
    pub traceparent: Option<String>,
    /// Its `tracestate`, if any.
    pub tracestate: Option<String>,
}

impl Hop {
    fn of(service: &'static str, headers: &HeaderMap) -> Self {
        let value = |name: &str| {
            let values: Vec<_> = headers
                .get_all(name)
                .iter()
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .collect();
            (!values.is_empty()).then(|| values.join(", "))
        };
        Self {
            service,
            traceparent: value("traceparent"),
            tracestate: value("tracestate"),
        }
    }
}

/// Tracing middleware for any hyper `Service`, as the tctx docs' `traceMiddleware`: extract
/// the caller's context with `tctx::TraceContextPropagator`, start a server span as its
/// child, give the handler the context (in the request's extensions, and current while the
/// handler's future is polled), and end the span when the response is ready.
///
/// It also records the headers it saw to a [`HopList`], for this example's printout.
#[derive(Clone)]
pub struct Traced<S> {
    inner: S,
    service: &'static str,
    tracer: SdkTracer,
    propagator: tctx::TraceContextPropagator,
    hops: HopList,
}

impl<S> Traced<S> {
    /// Wraps `inner`, tracing with a tracer of `provider`.
    #[must_use]
    pub fn new(
        service: &'static str,
        inner: S,
        provider: &SdkTracerProvider,
        hops: HopList,
    ) -> Self {
        Self {
            inner,
            service,
            tracer: provider.tracer("http_services"),
            propagator: tctx::TraceContextPropagator::new(),
            hops,
        }
    }
}

impl<S, B> Service<Request<Incoming>> for Traced<S>
where
    S: Service<Request<Incoming>, Response = Response<B>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<B>, S::Error>> + Send>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let hop = Hop::of(self.service, request.headers());
        self.hops
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(hop);

        let parent = self.propagator.extract(&HeaderExtractor(request.headers()));
        let span = self
            .tracer
            .span_builder(format!("{} {}", request.method(), request.uri().path()))
            .with_kind(SpanKind::Server)
            .with_attributes([
                KeyValue::new("http.request.method", request.method().to_string()),
                KeyValue::new("url.path", request.uri().path().to_owned()),
            ])
            .start_with_context(&self.tracer, &parent);
        let cx = parent.with_span(span);
        request.extensions_mut().insert(cx.clone());

        let response = self.inner.call(request).with_context(cx.clone());
        Box::pin(async move {
            let result = response.await;
            let span = cx.span();
            match &result {
                Ok(response) => {
                    let status = response.status();
                    span.set_attribute(KeyValue::new(
                        "http.response.status_code",
                        i64::from(status.as_u16()),
                    ));
                    if status.is_server_error() {
                        span.set_status(Status::error(status.to_string()));
                    }
                }
                Err(_) => span.set_status(Status::error("the handler failed")),
            }
            span.end();
            result
        })
    }
}

// ---------------------------------------------------------------------------------------
// The client side.

/// A client for the next service, as the tctx docs' `ServiceClient`: each call is a client
/// span, child of the caller's context, and carries the headers tctx injects for it.
pub struct Downstream {
    service: &'static str,
    base: String,
    tracer: SdkTracer,
    propagator: tctx::TraceContextPropagator,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Downstream {
    /// A client of the service at `addr`, for `service` (also its tracestate key).
    #[must_use]
    pub fn new(service: &'static str, addr: SocketAddr, provider: &SdkTracerProvider) -> Self {
        Self {
            service,
            base: format!("http://{addr}"),
            tracer: provider.tracer("http_services"),
            propagator: tctx::TraceContextPropagator::new(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// `GET path` in a client span that is a child of `cx`; the status and body.
    pub async fn get(&self, cx: &Context, path: &str) -> Result<(StatusCode, String), BoxError> {
        let parent = with_member(cx, self.service);
        let span = self
            .tracer
            .span_builder(format!("GET {path}"))
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("url.full", format!("{}{path}", self.base)),
            ])
            .start_with_context(&self.tracer, &parent);
        let cx = parent.with_span(span);
        let result = self.send(&cx, path).await;
        let span = cx.span();
        match &result {
            Ok((status, _)) => {
                span.set_attribute(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status.as_u16()),
                ));
                if !status.is_success() {
                    span.set_status(Status::error(status.to_string()));
                }
            }
            Err(error) => span.set_status(Status::error(error.to_string())),
        }
        span.end();
        result
    }

    async fn send(&self, cx: &Context, path: &str) -> Result<(StatusCode, String), BoxError> {
        let mut request =
            Request::get(format!("{}{path}", self.base)).body(Full::new(Bytes::new()))?;
        self.propagator
            .inject_context(cx, &mut HeaderInjector(request.headers_mut()));
        let response = self.client.request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// `cx` with `key` added to its span context's tracestate, to the left (an existing `key`
/// moves there), valued with the span's id as the spec's `rojo=00f067aa0ba902b7` is. It is
/// the parent to start the client span from: samplers pass a parent's tracestate on, so the
/// client span carries the member and the propagator sends it downstream.
fn with_member(cx: &Context, key: &str) -> Context {
    let span = cx.span();
    let sc = span.span_context();
    match sc.trace_state().insert(key, sc.span_id().to_string()) {
        Ok(trace_state) => cx.with_remote_span_context(SpanContext::new(
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags(),
            sc.is_remote(), // the server span is local: the client span's parent stays local
            trace_state,
        )),
        // A key outside the tracestate grammar: send the tracestate unchanged.
        Err(_) => cx.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// The exporter.

/// A finished span, and the `service.name` of the provider that recorded it.
#[derive(Clone, Debug)]
pub struct RecordedSpan {
    /// The service.
    pub service: String,
    /// The span.
    pub data: SpanData,
}

/// A `SpanExporter` that appends every finished span to a shared list, tagged with the
/// `service.name` of its provider's resource. With `with_simple_exporter` a span is in the
/// list as soon as it ends.
#[derive(Clone, Debug)]
pub struct MemoryExporter {
    service: String,
    spans: SpanList,
}

impl MemoryExporter {
    /// An exporter appending to `spans`.
    #[must_use]
    pub fn new(spans: SpanList) -> Self {
        Self {
            service: "unknown_service".to_owned(),
            spans,
        }
    }
}

impl SpanExporter for MemoryExporter {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let result = match self.spans.lock() {
            Ok(mut spans) => {
                spans.extend(batch.into_iter().map(|data| RecordedSpan {
                    service: self.service.clone(),
                    data,
                }));
                Ok(())
            }
            Err(_) => Err(OTelSdkError::InternalFailure(
                "the span list is poisoned".to_owned(),
            )),
        };
        std::future::ready(result)
    }

    fn set_resource(&mut self, resource: &Resource) {
        if let Some(name) = resource.get(&Key::from_static_str("service.name")) {
            self.service = name.to_string();
        }
    }
}

// ---------------------------------------------------------------------------------------
// The printout.

impl Outcome {
    /// The headers each service received, then each trace as a tree.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "client got: {} {}\n", self.status, self.body);
        out.push_str("headers received:\n");
        let mut caller = "client";
        for hop in &self.hops {
            let _ = writeln!(
                out,
                "  {:<18} traceparent: {}\n  {:<18} tracestate:  {}",
                format!("{caller} -> {}", hop.service),
                hop.traceparent.as_deref().unwrap_or("(none)"),
                "",
                hop.tracestate.as_deref().unwrap_or("(none)"),
            );
            caller = hop.service;
        }
        let mut spans: Vec<&RecordedSpan> = self.spans.iter().collect();
        spans.sort_by_key(|span| span.data.start_time);
        let known = |id: SpanId| {
            spans
                .iter()
                .any(|span| span.data.span_context.span_id() == id)
        };
        let mut traces: Vec<_> = spans
            .iter()
            .map(|s| s.data.span_context.trace_id())
            .collect();
        traces.dedup();
        for trace_id in traces {
            let _ = writeln!(out, "\ntrace {trace_id}");
            let roots: Vec<_> = spans
                .iter()
                .filter(|s| s.data.span_context.trace_id() == trace_id)
                .filter(|s| !known(s.data.parent_span_id))
                .collect();
            for (i, root) in roots.iter().enumerate() {
                tree(&mut out, &spans, root, "", i + 1 == roots.len());
            }
        }
        out
    }
}

/// Writes `span` and, below it, its children in the order they started.
fn tree(out: &mut String, spans: &[&RecordedSpan], span: &RecordedSpan, prefix: &str, last: bool) {
    let data = &span.data;
    let kind = match data.span_kind {
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
        SpanKind::Internal => "internal",
    };
    let millis = data
        .end_time
        .duration_since(data.start_time)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0;
    let parent = if data.parent_span_is_remote {
        format!(", remote parent {}", data.parent_span_id)
    } else if data.parent_span_id == SpanId::INVALID {
        ", root".to_owned()
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{prefix}{} [{}] {kind} {} {millis:.3} ms (span {}{parent})",
        if last { "└─" } else { "├─" },
        span.service,
        data.name,
        data.span_context.span_id(),
    );
    let children: Vec<_> = spans
        .iter()
        .filter(|s| s.data.parent_span_id == data.span_context.span_id())
        .collect();
    let prefix = format!("{prefix}{}", if last { "   " } else { "│  " });
    for (i, child) in children.iter().enumerate() {
        tree(out, spans, child, &prefix, i + 1 == children.len());
    }
}
