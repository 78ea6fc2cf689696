//! Runs `examples/http_services.rs` (gateway → cart → payment over real HTTP on 127.0.0.1)
//! and checks the trace it records: one trace-id, each server span a child of its caller's
//! client span, span kinds, tracestate members accumulating newest-left, and `-03` on every
//! hop.
//!
//! ```sh
//! cargo test --test http_services
//! ```

#[allow(dead_code)]
#[path = "../examples/http_services.rs"]
mod http_services;

use http::StatusCode;
use http_services::{Hop, Outcome, RecordedSpan, UPSTREAM_TRACEPARENT, UPSTREAM_TRACESTATE};
use opentelemetry::trace::{SpanId, SpanKind, TraceId};

/// The one span `service` recorded with `kind`.
fn span<'a>(outcome: &'a Outcome, service: &str, kind: &SpanKind) -> &'a RecordedSpan {
    let found: Vec<_> = outcome
        .spans
        .iter()
        .filter(|s| s.service == service && s.data.span_kind == *kind)
        .collect();
    assert_eq!(found.len(), 1, "{service} {kind:?}: {:#?}", outcome.spans);
    found[0]
}

fn id(span: &RecordedSpan) -> SpanId {
    span.data.span_context.span_id()
}

fn hop<'a>(outcome: &'a Outcome, service: &str) -> &'a Hop {
    let found: Vec<_> = outcome
        .hops
        .iter()
        .filter(|h| h.service == service)
        .collect();
    assert_eq!(found.len(), 1, "{service}: {:?}", outcome.hops);
    found[0]
}

/// Checks everything that holds with or without an upstream caller; returns the trace-id.
fn check_chain(outcome: &Outcome) -> TraceId {
    assert_eq!(outcome.status, StatusCode::OK, "{}", outcome.body);
    assert_eq!(
        outcome.body,
        "order placed (cart checked out, payment authorized)"
    );
    assert_eq!(outcome.spans.len(), 6, "{:#?}", outcome.spans);
    let services: Vec<_> = outcome.hops.iter().map(|h| h.service).collect();
    assert_eq!(services, ["gateway", "cart", "payment"]);

    // One trace-id for all services, every span sampled.
    let trace_id = outcome.spans[0].data.span_context.trace_id();
    for s in &outcome.spans {
        assert_eq!(s.data.span_context.trace_id(), trace_id, "{}", s.service);
        assert!(s.data.span_context.is_sampled(), "{}", s.service);
    }

    let gateway_server = span(outcome, "gateway", &SpanKind::Server);
    let gateway_client = span(outcome, "gateway", &SpanKind::Client);
    let cart_server = span(outcome, "cart", &SpanKind::Server);
    let cart_client = span(outcome, "cart", &SpanKind::Client);
    let payment_server = span(outcome, "payment", &SpanKind::Server);
    let payment_internal = span(outcome, "payment", &SpanKind::Internal);

    // Inside a service: client span under the server span, local parents.
    for (child, parent) in [
        (gateway_client, gateway_server),
        (cart_client, cart_server),
        (payment_internal, payment_server),
    ] {
        assert_eq!(child.data.parent_span_id, id(parent), "{}", child.data.name);
        assert!(!child.data.parent_span_is_remote, "{}", child.data.name);
    }
    // Across services: the server span's parent is the caller's client span, remote.
    for (server, client) in [(cart_server, gateway_client), (payment_server, cart_client)] {
        assert_eq!(server.data.parent_span_id, id(client), "{}", server.service);
        assert!(server.data.parent_span_is_remote, "{}", server.service);
    }
    assert_eq!(gateway_server.data.name, "GET /checkout");
    assert_eq!(gateway_client.data.name, "GET /cart/checkout");
    assert_eq!(cart_server.data.name, "GET /cart/checkout");
    assert_eq!(cart_client.data.name, "GET /pay");
    assert_eq!(payment_server.data.name, "GET /pay");
    assert_eq!(payment_internal.data.name, "authorize card");

    // On the wire: the caller's client span, sampled and random flags, each hop.
    for (service, client) in [("cart", gateway_client), ("payment", cart_client)] {
        let header = hop(outcome, service).traceparent.as_deref();
        let tp = tctx::Traceparent::parse(header.unwrap_or_default())
            .unwrap_or_else(|e| panic!("{service}: {header:?}: {e}"));
        assert_eq!(tp.trace_id().to_bytes(), trace_id.to_bytes(), "{service}");
        assert_eq!(
            tp.parent_id().to_bytes(),
            id(client).to_bytes(),
            "{service}"
        );
        assert_eq!(tp.flags(), 0x03, "{service}: sampled and random");
        assert!(header.is_some_and(|h| h.ends_with("-03")), "{service}");
    }
    trace_id
}

/// The tracestate each service received, with the members the services add spelled out.
fn tracestates(outcome: &Outcome) -> [Option<String>; 3] {
    let gateway = id(span(outcome, "gateway", &SpanKind::Server));
    let cart = id(span(outcome, "cart", &SpanKind::Server));
    ["gateway", "cart", "payment"].map(|service| {
        hop(outcome, service).tracestate.as_ref().map(|state| {
            state
                .replace(&gateway.to_string(), "GATEWAY_SPAN")
                .replace(&cart.to_string(), "CART_SPAN")
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_traceparent_gets_one_trace_across_three_services() {
    let outcome = http_services::run(&[]).await.expect("the run");
    let trace_id = check_chain(&outcome);

    let gateway_server = span(&outcome, "gateway", &SpanKind::Server);
    assert_eq!(
        gateway_server.data.parent_span_id,
        SpanId::INVALID,
        "a root"
    );
    assert!(!gateway_server.data.parent_span_is_remote);
    assert_ne!(trace_id, TraceId::INVALID);
    assert_eq!(hop(&outcome, "gateway").traceparent, None);

    // Members accumulate hop by hop, newest left; `ot=th:0` is the root sampler's
    // threshold (probability 1).
    assert_eq!(
        tracestates(&outcome),
        [
            None,
            Some("gateway=GATEWAY_SPAN,ot=th:0".to_owned()),
            Some("cart=CART_SPAN,gateway=GATEWAY_SPAN,ot=th:0".to_owned()),
        ]
    );
    // The server span that received it records it too (samplers pass it on).
    let payment_server = span(&outcome, "payment", &SpanKind::Server);
    let keys: Vec<_> = payment_server
        .data
        .span_context
        .trace_state()
        .header()
        .split(',')
        .filter_map(|member| member.split('=').next().map(str::to_owned))
        .collect();
    assert_eq!(keys, ["cart", "gateway", "ot"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_with_traceparent_continues_the_callers_trace() {
    let outcome = http_services::run(&[
        ("traceparent", UPSTREAM_TRACEPARENT),
        ("tracestate", UPSTREAM_TRACESTATE),
    ])
    .await
    .expect("the run");
    let trace_id = check_chain(&outcome);

    let upstream = tctx::Traceparent::parse(UPSTREAM_TRACEPARENT).expect("a valid constant");
    assert_eq!(trace_id.to_bytes(), upstream.trace_id().to_bytes());
    let gateway_server = span(&outcome, "gateway", &SpanKind::Server);
    assert_eq!(
        gateway_server.data.parent_span_id.to_bytes(),
        upstream.parent_id().to_bytes()
    );
    assert!(gateway_server.data.parent_span_is_remote);
    assert_eq!(
        tracestates(&outcome),
        [
            Some(UPSTREAM_TRACESTATE.to_owned()),
            Some(format!("gateway=GATEWAY_SPAN,{UPSTREAM_TRACESTATE}")),
            Some(format!(
                "cart=CART_SPAN,gateway=GATEWAY_SPAN,{UPSTREAM_TRACESTATE}"
            )),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_traceparent_restarts_the_trace_and_drops_tracestate() {
    let outcome = http_services::run(&[
        (
            "traceparent",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
        ),
        ("tracestate", UPSTREAM_TRACESTATE),
    ])
    .await
    .expect("the run");
    let trace_id = check_chain(&outcome);
    assert_ne!(
        trace_id.to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "a new trace"
    );
    let gateway_server = span(&outcome, "gateway", &SpanKind::Server);
    assert_eq!(gateway_server.data.parent_span_id, SpanId::INVALID);
    assert_eq!(
        tracestates(&outcome)[2].as_deref(),
        Some("cart=CART_SPAN,gateway=GATEWAY_SPAN,ot=th:0")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printout_is_one_tree_per_trace() {
    let outcome = http_services::run(&[]).await.expect("the run");
    let trace_id = check_chain(&outcome);
    let text = outcome.render();
    let tree: Vec<_> = text
        .lines()
        .skip_while(|line| *line != format!("trace {trace_id}"))
        .collect();
    assert_eq!(tree.len(), 7, "{text}");
    let expected = [
        "└─ [gateway] server GET /checkout ",
        "   └─ [gateway] client GET /cart/checkout ",
        "      └─ [cart] server GET /cart/checkout ",
        "         └─ [cart] client GET /pay ",
        "            └─ [payment] server GET /pay ",
        "               └─ [payment] internal authorize card ",
    ];
    for (line, start) in tree[1..].iter().zip(expected) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
        assert!(line.contains(" ms (span "), "{line}");
    }
    assert!(
        text.contains("client -> gateway  traceparent: (none)"),
        "{text}"
    );
    assert!(
        text.contains("cart -> payment    traceparent: 00-"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_stop_listening_after_shutdown() {
    let spans = http_services::SpanList::default();
    let hops = http_services::HopList::default();
    let services = http_services::Services::start(&spans, &hops)
        .await
        .expect("the services start");
    let addrs = [
        services.gateway.addr,
        services.cart.addr,
        services.payment.addr,
    ];
    let (status, _) = http_services::checkout(addrs[0], &[])
        .await
        .expect("an answer");
    assert_eq!(status, StatusCode::OK);
    services.shutdown().await.expect("a clean shutdown");
    for addr in addrs {
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "{addr} still accepts connections"
        );
    }
}
