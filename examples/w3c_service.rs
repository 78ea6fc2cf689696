//! A service that speaks the protocol of the official W3C Trace Context test suite, with tctx
//! as its propagator.
//!
//! ```sh
//! cargo run --release --example w3c_service -- 127.0.0.1:7777
//! # then, in a checkout of w3c/trace-context: python test/test.py http://127.0.0.1:7777/test
//! ```
//!
//! It accepts `POST /test` with a JSON array of `{"url": ..., "arguments": [...]}`. For each
//! element, in order and before answering, it starts a child span of the request's extracted
//! context (a real `SdkTracerProvider`) and POSTs `arguments` as JSON to `url` with the
//! `traceparent` and `tracestate` that tctx injects for that span.
//!
//! Built on hyper 1 and tokio for both server and client: one mainstream, well-kept stack,
//! whose `HeaderMap` keeps repeated header lines as separate values, so a repeated
//! `traceparent` or `tracestate` reaches the extractor as the suite sends it.

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanKind, TraceContextExt, Tracer, TracerProvider};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider};
use tokio::net::TcpListener;

type BoxError = Box<dyn Error + Send + Sync>;

/// What every request handler shares.
struct Service {
    tracer: SdkTracer,
    propagator: tctx::TraceContextPropagator,
    client: Client<HttpConnector, Full<Bytes>>,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7777".to_owned())
        .parse()
        .map_err(|e| {
            format!("the first argument must be an address such as 127.0.0.1:7777: {e}")
        })?;
    let listener = TcpListener::bind(addr).await?;
    println!("w3c_service: POST http://{}/test", listener.local_addr()?);
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .build();
    serve(listener, &provider).await
}

/// Serves `POST /test` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, provider: &SdkTracerProvider) -> Result<(), BoxError> {
    let service = Arc::new(Service {
        tracer: provider.tracer("w3c_service"),
        propagator: tctx::TraceContextPropagator::new(),
        client: Client::builder(TokioExecutor::new()).build_http(),
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let service = Arc::clone(&service);
        tokio::spawn(async move {
            let handler = service_fn(move |request| {
                let service = Arc::clone(&service);
                async move { Ok::<_, Infallible>(service.handle(request).await) }
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await
            {
                eprintln!("w3c_service: connection error: {error}");
            }
        });
    }
}

impl Service {
    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        if request.method() != Method::POST || request.uri().path() != "/test" {
            return reply(StatusCode::NOT_FOUND, "only POST /test");
        }
        let parent = self.propagator.extract(&HeaderExtractor(request.headers()));
        let body = match request.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(error) => return reply(StatusCode::BAD_REQUEST, &error.to_string()),
        };
        let Ok(serde_json::Value::Array(cases)) = serde_json::from_slice(&body) else {
            return reply(StatusCode::BAD_REQUEST, "expected a JSON array");
        };
        for case in &cases {
            let (Some(url), Some(arguments)) = (case["url"].as_str(), case.get("arguments")) else {
                return reply(StatusCode::BAD_REQUEST, "expected {\"url\", \"arguments\"}");
            };
            let span = self
                .tracer
                .span_builder("POST")
                .with_kind(SpanKind::Client)
                .start_with_context(&self.tracer, &parent);
            let cx = parent.with_span(span);
            if let Err(error) = self.call(url, arguments, &cx).await {
                eprintln!("w3c_service: POST {url}: {error}");
            }
        }
        reply(StatusCode::OK, "")
    }

    async fn call(
        &self,
        url: &str,
        arguments: &serde_json::Value,
        cx: &opentelemetry::Context,
    ) -> Result<(), BoxError> {
        let mut request = Request::post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(serde_json::to_vec(arguments)?)))?;
        self.propagator
            .inject_context(cx, &mut HeaderInjector(request.headers_mut()));
        let response = self.client.request(request).await?;
        response.into_body().collect().await?;
        Ok(())
    }
}

fn reply(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::copy_from_slice(text.as_bytes())));
    *response.status_mut() = status;
    response
}
