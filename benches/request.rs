//! One request through the stack most Rust services run, in process: axum 0.8, `tracing` and
//! tracing-opentelemetry 0.34 on an `SdkTracerProvider`, three ways side by side:
//!
//! - `request_<input>/none`: no propagation, the floor of the stack;
//! - `request_<input>/opentelemetry`: the stock `TraceContextPropagator`;
//! - `request_<input>/tctx`: `tctx::TraceContextPropagator`.
//!
//! Each request is a tower `oneshot` through a `Router` whose middleware extracts the
//! incoming context (`HeaderExtractor`) and opens a server span with three attributes
//! (`http.request.method`, `url.path`, `http.response.status_code`) whose parent it sets
//! to the extracted `Context`, as `examples/axum_tracing.rs` does; the handler opens a client
//! span and injects its context into the outgoing request's headers (`HeaderInjector`). The
//! incoming request carries a Level 1 `traceparent` (`-01`): alone (input `traceparent`), or
//! with a `tracestate` of 8 members, every fourth key `tenantN@system`, as in
//! `benches/propagator.rs` (input `tracestate_8`). The sampler is
//! `ParentBased(AlwaysOn)`, so both spans are recorded; there is no exporter.
//!
//! `cargo bench --bench request`. Instructions per request, which noise does not move:
//! `benches/callgrind.sh request request_traceparent/tctx ...` (the method is in
//! `benches/propagator.rs`).

use std::hint::black_box;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator as StockPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tower::ServiceExt as _;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

#[path = "support/counting.rs"]
mod counting;
use counting::Group;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// The propagator of one way, or none.
type Way = Option<Arc<dyn TextMapPropagator + Send + Sync>>;

fn tracestate() -> String {
    (0..8)
        .map(|i| {
            if i % 4 == 3 {
                format!("tenant{i}@system=00f067aa0ba902b7")
            } else {
                format!("vendor{i}=00f067aa0ba902b7")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The middleware: extract, server span with three attributes, the rest of the stack in it.
async fn trace_requests(State(way): State<Way>, request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "request",
        otel.name = "GET /checkout",
        otel.kind = "server",
        http.request.method = %request.method(),
        url.path = request.uri().path(),
        http.response.status_code = tracing::field::Empty,
    );
    if let Some(propagator) = &way {
        // The whole extracted Context, as examples/axum_tracing.rs explains.
        let parent = propagator.extract(&HeaderExtractor(request.headers()));
        span.set_parent(parent).ok();
    }
    let response = next.run(request).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    response
}

/// The handler: a client span, and the headers of the call it would make. Answers with the
/// outgoing `traceparent`, so the setup can check each way.
async fn checkout(State(way): State<Way>) -> String {
    let span = tracing::info_span!("call", otel.name = "GET /stock", otel.kind = "client");
    let _entered = span.enter();
    let mut outgoing = HeaderMap::new();
    if let Some(propagator) = &way {
        propagator.inject_context(&span.context(), &mut HeaderInjector(&mut outgoing));
    }
    outgoing
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn router(way: Way) -> Router {
    Router::new()
        .route("/checkout", get(checkout))
        .layer(middleware::from_fn_with_state(way.clone(), trace_requests))
        .with_state(way)
}

fn incoming(tracestate: Option<&str>) -> Request {
    let mut request = axum::http::Request::get("/checkout")
        .header("host", "cart.internal")
        .header("accept", "application/json")
        .header("traceparent", TRACEPARENT);
    if let Some(tracestate) = tracestate {
        request = request.header("tracestate", tracestate);
    }
    request.body(Body::empty()).unwrap()
}

fn request(c: &mut Criterion) {
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench")));
    // `tracing` state is per thread; the runtime is the current thread's.
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ways: [(&str, Way); 3] = [
        ("none", None),
        ("opentelemetry", Some(Arc::new(StockPropagator::new()))),
        ("tctx", Some(Arc::new(tctx::TraceContextPropagator::new()))),
    ];
    for (input, tracestate) in [("traceparent", None), ("tracestate_8", Some(tracestate()))] {
        let mut group = Group::new(c, format!("request_{input}"));
        for (name, way) in &ways {
            let app = router(way.clone());
            // Each way must do its work: the client span continues the caller's trace (and
            // keeps its flags), or, without propagation, sends nothing.
            let response = runtime.block_on(app.clone().oneshot(incoming(tracestate.as_deref())));
            let body = runtime
                .block_on(response.unwrap().into_body().collect())
                .unwrap()
                .to_bytes();
            let sent = String::from_utf8_lossy(&body);
            if way.is_none() {
                assert_eq!(sent, "", "{name}");
            } else {
                assert!(
                    sent.starts_with(&TRACEPARENT[..36]) && sent.ends_with("-01"),
                    "{name}: {sent}"
                );
            }
            group.row(name, || {
                let request = incoming(black_box(tracestate.as_deref()));
                let response = runtime.block_on(app.clone().oneshot(request));
                black_box(response.map(Response::into_body))
            });
        }
        group.finish();
    }
}

criterion_group!(request_benches, request);
criterion_main!(request_benches);
