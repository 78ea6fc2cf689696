//! tctx in the service most Rust users run: axum (tower), `tracing` and
//! `tracing-opentelemetry`.
//!
//! ```sh
//! cargo run --example axum_tracing
//! ```
//!
//! Two axum services on 127.0.0.1 (ports the system picks), `frontend` and `inventory`, in one
//! process. The example sends `GET /checkout` to the frontend three times (with no
//! `traceparent`, with a Level 1 caller's `-01` and a Level 2 caller's `-03` carrying a
//! Level 2 tracestate key), prints the headers each service received, the `Server-Timing`
//! answer and the spans as a tree, and ends.
//!
//! - [`trace_requests`] is the middleware: it extracts with the global propagator (tctx's)
//!   through `opentelemetry_http::HeaderExtractor`, and hands the **whole** extracted
//!   `Context` to the server span with `set_parent`. It answers with the `Server-Timing`
//!   `trace` metric (`TraceContextPropagator::server_timing`), so a browser or a client can
//!   name the server's span.
//! - [`call_inventory`] is the client: inside a client span it injects from
//!   `tracing::Span::current().context()` through `HeaderInjector`.
//!
//! Two things matter for the headers to be right:
//!
//! - **The carrier must implement `Extractor::get_all`.** `HeaderExtractor` of
//!   opentelemetry-http does; the extractor of `axum-tracing-opentelemetry` (and of
//!   `tracing-opentelemetry-instrumentation-sdk`) does not, so OpenTelemetry's default
//!   `get_all` returns only the first value of a repeated header: a second `tracestate` field
//!   is lost, and two `traceparent` fields, which W3C Trace Context makes invalid, look like
//!   one valid header.
//! - **Hand `set_parent` the whole extracted `Context`, not only its span context.** A Level 1
//!   caller (`-01`) does not say that its trace-id is random, and tctx's extract records that
//!   in the `Context`, beside the span context; the SDK copies flags to child spans but
//!   resets them when a sampler drops one, and gives every local span the benefit of the
//!   doubt. Rebuilding the parent from `span_context()` alone (as `SpanContext` into
//!   `Context::new().with_remote_span_context(...)`) loses that record, and the next hop
//!   would get `-03`: a random flag the caller never promised, on which samplers downstream
//!   would then base their decisions. Level 2 tracestate keys OpenTelemetry cannot hold
//!   (`a@b@c`) travel in the same place.
//!
//! `tracing` state is per thread: the example runs on tokio's current-thread runtime and
//! installs its subscriber with `set_default`, so both services and the client see it.
//! `tests/axum_tracing.rs` runs it and checks the wire.

use std::error::Error;
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use opentelemetry::global;
use opentelemetry::trace::{SpanId, SpanKind, TracerProvider as _};
use opentelemetry::Key;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tctx::sampler::{ParentThreshold, Probability};
use tctx::TraceContextPropagator;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

/// Any error, for `main` and the setup.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// A `traceparent` from a Level 1 caller: sampled, no random flag.
pub const LEVEL1_TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A `traceparent` from a Level 2 caller: sampled and random.
pub const LEVEL2_TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03";

/// No request may take longer than this: the example always ends.
const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let runs: [(&str, &[(&str, &str)]); 3] = [
        ("no traceparent: the frontend starts a random trace", &[]),
        (
            "a Level 1 caller (-01): the trace continues, and stays -01",
            &[("traceparent", LEVEL1_TRACEPARENT)],
        ),
        (
            "a Level 2 caller (-03) with a Level 2 tracestate key: both travel unchanged",
            &[
                ("traceparent", LEVEL2_TRACEPARENT),
                ("tracestate", "a@b@c=1"),
            ],
        ),
    ];
    for (i, (title, headers)) in runs.iter().enumerate() {
        println!("== {}. GET /checkout, {title}\n", i + 1);
        let outcome = run(headers).await?;
        print!("{}", outcome.render());
        if outcome.status != StatusCode::OK {
            return Err(format!("checkout failed: {} {}", outcome.status, outcome.body).into());
        }
        println!();
    }
    println!(
        "A traceparent ends in its flags: 01 sampled, 02 random trace-id (Level 2), 03 both.\n\
         ot=th:0 in tracestate is the sampling threshold tctx's consistent sampler wrote\n\
         (th:0 = keep 100%), so every service downstream can count and agree."
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// One run: both services, one request, shut down, collect.

/// What one run observed.
#[derive(Debug)]
pub struct Outcome {
    /// The frontend's answer to the client.
    pub status: StatusCode,
    /// Its body.
    pub body: String,
    /// Its `Server-Timing` header, if any.
    pub server_timing: Option<String>,
    /// The trace headers each service received, in the order the requests arrived.
    pub hops: Vec<Hop>,
    /// Every finished span, in the order they ended.
    pub spans: Vec<SpanData>,
}

/// The trace headers one service received.
#[derive(Clone, Debug)]
pub struct Hop {
    /// `frontend` or `inventory`.
    pub service: &'static str,
    /// Every `traceparent` field, in order.
    pub traceparent: Vec<String>,
    /// Every `tracestate` field, in order.
    pub tracestate: Vec<String>,
}

type Hops = Arc<Mutex<Vec<Hop>>>;
type Spans = Arc<Mutex<Vec<SpanData>>>;

/// Starts `inventory` and `frontend`, sends `GET /checkout` with `headers` (a name may
/// repeat: each pair is one header field), shuts both down, and returns what happened.
///
/// Installs tctx as the global propagator, and a `tracing` subscriber for the current thread
/// while it runs: call it on a current-thread runtime.
pub async fn run(headers: &[(&str, &str)]) -> Result<Outcome, BoxError> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let spans = Spans::default();
    let provider = SdkTracerProvider::builder()
        // 100% of new traces for the demo; continued traces follow their caller.
        .with_sampler(ParentThreshold::new(Probability::new(1.0)?))
        .with_simple_exporter(MemoryExporter(Arc::clone(&spans)))
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("axum_tracing")));
    let _guard = tracing::subscriber::set_default(subscriber);

    let hops = Hops::default();
    let (inventory, stop_inventory) = serve(
        Router::new().route("/stock", get(|| async { "3 in stock" })),
        "inventory",
        &hops,
    )
    .await?;
    let frontend_state = Frontend {
        inventory,
        client: Client::builder(TokioExecutor::new()).build_http(),
    };
    let (frontend, stop_frontend) = serve(
        Router::new()
            .route("/checkout", get(checkout))
            .with_state(frontend_state),
        "frontend",
        &hops,
    )
    .await?;

    let answer = tokio::time::timeout(TIMEOUT, send(frontend, headers)).await;
    for stop in [stop_frontend, stop_inventory] {
        stop.send(()).ok();
    }
    let (status, server_timing, body) = answer.map_err(|_| "no answer in time")??;
    provider.shutdown()?;
    Ok(Outcome {
        status,
        body,
        server_timing,
        hops: take(&hops),
        spans: take(&spans),
    })
}

/// Serves `router`, traced as `service`, on a port the system picks, until the returned
/// sender fires.
async fn serve(
    router: Router,
    service: &'static str,
    hops: &Hops,
) -> Result<(SocketAddr, oneshot::Sender<()>), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = router.layer(middleware::from_fn_with_state(
        (service, Arc::clone(hops)),
        trace_requests,
    ));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async {
            stopped.await.ok();
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .ok();
    });
    Ok((addr, stop))
}

/// The client: `GET /checkout` with `headers`, no tracing of its own. Returns the status,
/// the `Server-Timing` header and the body.
async fn send(
    frontend: SocketAddr,
    headers: &[(&str, &str)],
) -> Result<(StatusCode, Option<String>, String), BoxError> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = axum::http::Request::get(format!("http://{frontend}/checkout"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(Bytes::new()))?)
        .await?;
    let status = response.status();
    let server_timing = response
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        server_timing,
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

fn take<T>(list: &Mutex<Vec<T>>) -> Vec<T> {
    std::mem::take(&mut *list.lock().unwrap_or_else(PoisonError::into_inner))
}

// ---------------------------------------------------------------------------------------
// The middleware, the handler and the client call.

/// The tracing middleware of both services: extract, server span, `Server-Timing`.
pub async fn trace_requests(
    State((service, hops)): State<(&'static str, Hops)>,
    request: Request,
    next: Next,
) -> Response {
    hops.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Hop::of(service, request.headers()));

    // `HeaderExtractor` implements `get_all`: repeated `traceparent` fields are seen (and make
    // the header invalid), repeated `tracestate` fields are combined in order.
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    let span = tracing::info_span!(
        "request",
        otel.name = format!("{} {}", request.method(), request.uri().path()),
        otel.kind = "server",
        service,
    );
    // The whole Context: it carries what the span context cannot (a Level 1 caller's random
    // bit, Level 2 tracestate keys). An invalid or missing traceparent gives an empty
    // Context, and the span starts a new trace.
    span.set_parent(parent).ok();

    let mut response = next.run(request).instrument(span.clone()).await;
    // Name the server's span in the answer (W3C Trace Context, "Response header").
    let metric = tctx::server_timing::metric(&span.context());
    if let Some(value) = metric.and_then(|m| HeaderValue::from_str(&m).ok()) {
        response.headers_mut().append("server-timing", value);
    }
    response
}

/// The frontend's state: where the inventory is, and a client to call it.
#[derive(Clone)]
pub struct Frontend {
    inventory: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// `GET /checkout`: asks the inventory, answers with what it said.
async fn checkout(State(frontend): State<Frontend>) -> (StatusCode, String) {
    match call_inventory(&frontend).await {
        Ok(stock) => (StatusCode::OK, format!("order placed ({stock})")),
        Err(error) => (StatusCode::BAD_GATEWAY, format!("inventory: {error}")),
    }
}

/// `GET /stock` on the inventory, in a client span whose context tctx injects.
async fn call_inventory(frontend: &Frontend) -> Result<String, BoxError> {
    let span = tracing::info_span!(
        "call",
        otel.name = "GET /stock",
        otel.kind = "client",
        service = "frontend",
    );
    async {
        let mut request = axum::http::Request::get(format!("http://{}/stock", frontend.inventory))
            .body(Full::new(Bytes::new()))?;
        let cx = tracing::Span::current().context();
        global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&cx, &mut HeaderInjector(request.headers_mut()));
        });
        let response = frontend.client.request(request).await?;
        let body = response.into_body().collect().await?.to_bytes();
        Ok(String::from_utf8_lossy(&body).into_owned())
    }
    .instrument(span)
    .await
}

impl Hop {
    fn of(service: &'static str, headers: &HeaderMap) -> Self {
        let all = |name: &str| {
            headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect()
        };
        Self {
            service,
            traceparent: all("traceparent"),
            tracestate: all("tracestate"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The exporter and the printout.

/// A `SpanExporter` that appends every finished span to a shared list.
#[derive(Debug)]
struct MemoryExporter(Spans);

impl SpanExporter for MemoryExporter {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(batch);
        std::future::ready(Ok(()))
    }
}

impl Outcome {
    /// The headers each service received, the answer, then the trace as a tree.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut caller = "client";
        for hop in &self.hops {
            let label = format!("{caller} -> {}", hop.service);
            let join = |values: &[String]| {
                if values.is_empty() {
                    "(none)".to_owned()
                } else {
                    values.join(" | ")
                }
            };
            let _ = writeln!(out, "{label:<22} traceparent: {}", join(&hop.traceparent));
            let _ = writeln!(out, "{:<22} tracestate:  {}", "", join(&hop.tracestate));
            caller = hop.service;
        }
        let _ = writeln!(
            out,
            "client got {} \"{}\"\n{:<22} server-timing: {}",
            self.status,
            self.body,
            "",
            self.server_timing.as_deref().unwrap_or("(none)")
        );
        let mut spans: Vec<&SpanData> = self.spans.iter().collect();
        spans.sort_by_key(|span| span.start_time);
        let known = |id: SpanId| spans.iter().any(|s| s.span_context.span_id() == id);
        let roots: Vec<_> = spans.iter().filter(|s| !known(s.parent_span_id)).collect();
        for root in roots {
            let _ = writeln!(out, "trace {}", root.span_context.trace_id());
            tree(&mut out, &spans, root, "", true);
        }
        out
    }
}

/// Writes `span` and, below it, its children in the order they started.
fn tree(out: &mut String, spans: &[&SpanData], span: &SpanData, prefix: &str, last: bool) {
    let kind = match span.span_kind {
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        _ => "internal",
    };
    let service = span
        .attributes
        .iter()
        .find(|kv| kv.key == Key::from_static_str("service"))
        .map_or_else(String::new, |kv| kv.value.to_string());
    let parent = if span.parent_span_is_remote {
        format!(", remote parent {}", span.parent_span_id)
    } else if span.parent_span_id == SpanId::INVALID {
        ", root".to_owned()
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{prefix}{} [{service}] {kind} {} (span {}{parent})",
        if last { "└─" } else { "├─" },
        span.name,
        span.span_context.span_id(),
    );
    let children: Vec<_> = spans
        .iter()
        .filter(|s| s.parent_span_id == span.span_context.span_id())
        .collect();
    let prefix = format!("{prefix}{}", if last { "   " } else { "│  " });
    for (i, child) in children.iter().enumerate() {
        tree(out, spans, child, &prefix, i + 1 == children.len());
    }
}
