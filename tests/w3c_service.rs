//! Drives `examples/w3c_service.rs` the way the official W3C Trace Context test suite does:
//! POST `/test` with a list of callbacks and check the headers each callback receives.
//! Everything runs on 127.0.0.1 with ports the system picks.

#[allow(dead_code)]
#[path = "../examples/w3c_service.rs"]
mod w3c_service;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tokio::net::TcpListener;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

/// What one callback request carried.
#[derive(Debug, Clone)]
struct Received {
    traceparent: Vec<String>,
    tracestate: Vec<String>,
    body: serde_json::Value,
}

/// Starts the service and a callback recorder; returns their addresses and the record.
async fn start() -> (String, String, Arc<Mutex<Vec<Received>>>) {
    let service = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let service_addr = service.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let provider = SdkTracerProvider::builder()
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
            .build();
        w3c_service::serve(service, &provider).await.unwrap();
    });

    let record = Arc::new(Mutex::new(Vec::new()));
    let callback = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback_addr = callback.local_addr().unwrap().to_string();
    let sink = Arc::clone(&record);
    tokio::spawn(async move {
        loop {
            let (stream, _) = callback.accept().await.unwrap();
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let handler = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let sink = Arc::clone(&sink);
                    async move {
                        let values = |headers: &HeaderMap, name| {
                            headers
                                .get_all(name)
                                .iter()
                                .map(|v| v.to_str().unwrap().to_owned())
                                .collect::<Vec<_>>()
                        };
                        let traceparent = values(request.headers(), "traceparent");
                        let tracestate = values(request.headers(), "tracestate");
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        sink.lock().unwrap().push(Received {
                            traceparent,
                            tracestate,
                            body: serde_json::from_slice(&body).unwrap(),
                        });
                        Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), handler)
                    .await;
            });
        }
    });
    (service_addr, callback_addr, record)
}

/// POSTs a test case to the service, as the suite's harness does, and returns the status.
async fn post_test(service: &str, headers: &[(&str, &str)], cases: &serde_json::Value) -> u16 {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::post(format!("http://{service}/test"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(serde_json::to_vec(cases).unwrap())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continues_the_trace_into_every_callback_in_order() {
    let (service, callback, record) = start().await;
    let url = format!("http://{callback}/callback");
    let cases = serde_json::json!([
        {"url": url, "arguments": [{"url": "next", "arguments": []}]},
        {"url": url, "arguments": []},
    ]);
    let traceparent = format!("00-{TRACE}-{PARENT}-03");
    let status = post_test(
        &service,
        &[
            ("traceparent", &traceparent),
            ("tracestate", "rojo=00f067aa0ba902b7"),
            ("tracestate", "congo=t61rcWkgMzE,a@b@c=1"),
        ],
        &cases,
    )
    .await;
    assert_eq!(status, 200);

    let received = record.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "one call per element, before the answer");
    assert_eq!(
        received[0].body,
        serde_json::json!([{"url": "next", "arguments": []}])
    );
    assert_eq!(received[1].body, serde_json::json!([]));
    let mut parent_ids = Vec::new();
    for call in &received {
        assert_eq!(call.traceparent.len(), 1);
        let tp = tctx::Traceparent::parse(&call.traceparent[0]).unwrap();
        assert_eq!(tp.trace_id().to_string(), TRACE);
        assert_ne!(tp.parent_id().to_string(), PARENT, "a child span's id");
        assert_eq!(tp.flags(), 0x03, "sampled, random kept");
        assert_eq!(
            call.tracestate,
            ["rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,a@b@c=1"]
        );
        parent_ids.push(tp.parent_id());
    }
    assert_ne!(parent_ids[0], parent_ids[1], "each call has its own span");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_the_trace_on_an_invalid_or_repeated_traceparent() {
    let (service, callback, record) = start().await;
    let url = format!("http://{callback}/callback");
    let cases = serde_json::json!([{"url": url, "arguments": []}]);
    let valid = format!("00-{TRACE}-{PARENT}-01");
    let invalid = format!("00-{TRACE}-{PARENT}-0x");
    for headers in [
        vec![("traceparent", invalid.as_str()), ("tracestate", "rojo=1")],
        vec![
            ("traceparent", valid.as_str()),
            ("traceparent", valid.as_str()),
            ("tracestate", "rojo=1"),
        ],
        vec![("tracestate", "rojo=1")],
    ] {
        assert_eq!(post_test(&service, &headers, &cases).await, 200);
        let call = record.lock().unwrap().pop().expect("one callback");
        let tp = tctx::Traceparent::parse(&call.traceparent[0]).unwrap();
        assert_ne!(tp.trace_id().to_string(), TRACE, "{headers:?}: a new trace");
        assert!(
            call.tracestate.is_empty(),
            "{headers:?}: tracestate deleted"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_other_requests_with_errors() {
    let (service, _, _) = start().await;
    assert_eq!(
        post_test(&service, &[], &serde_json::json!({"not": "a list"})).await,
        400
    );
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client
        .get(format!("http://{service}/").parse().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}
