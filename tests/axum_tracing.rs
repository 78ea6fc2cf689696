//! Runs `examples/axum_tracing.rs` (axum + `tracing` + `tracing-opentelemetry`, two services
//! on 127.0.0.1) and checks the wire: what the downstream service receives and what the
//! frontend answers in `Server-Timing`, for the callers W3C Trace Context describes. Every
//! request is bounded by the example's timeout.
//!
//! ```sh
//! cargo test --test axum_tracing
//! ```

#[allow(dead_code)]
#[path = "../examples/axum_tracing.rs"]
mod axum_tracing;

use axum::http::StatusCode;
use axum_tracing::{Hop, Outcome, LEVEL1_TRACEPARENT, LEVEL2_TRACEPARENT};

/// The headers `service` received.
fn hop<'a>(outcome: &'a Outcome, service: &str) -> &'a Hop {
    let found: Vec<_> = outcome
        .hops
        .iter()
        .filter(|h| h.service == service)
        .collect();
    assert_eq!(found.len(), 1, "{service}: {:?}", outcome.hops);
    found[0]
}

/// The one `traceparent` the inventory received, split into its four fields.
fn downstream(outcome: &Outcome) -> Vec<String> {
    assert_eq!(outcome.status, StatusCode::OK, "{}", outcome.body);
    let inventory = hop(outcome, "inventory");
    assert_eq!(inventory.traceparent.len(), 1, "{inventory:?}");
    inventory.traceparent[0]
        .split('-')
        .map(str::to_owned)
        .collect()
}

/// The traceparent in the answer's `Server-Timing`, split into its four fields.
fn server_timing(outcome: &Outcome) -> Vec<String> {
    let value = outcome
        .server_timing
        .as_deref()
        .expect("a Server-Timing header");
    let traceparent = value.strip_prefix("trace;desc=").expect("the trace metric");
    traceparent.split('-').map(str::to_owned).collect()
}

async fn run(headers: &[(&str, &str)]) -> Outcome {
    axum_tracing::run(headers).await.unwrap()
}

#[tokio::test]
async fn a_level_1_caller_stays_01() {
    // The whole extracted Context reached `set_parent`, so the caller's missing random flag
    // is kept on the next hop and in Server-Timing: Level 2 "random-trace-id" may only be
    // set when the trace-id is known to be random.
    let outcome = run(&[("traceparent", LEVEL1_TRACEPARENT)]).await;
    let sent = downstream(&outcome);
    let caller: Vec<&str> = LEVEL1_TRACEPARENT.split('-').collect();
    assert_eq!(sent[1], caller[1], "same trace");
    assert_ne!(
        sent[2], caller[2],
        "the frontend's client span is the new parent"
    );
    assert_eq!(sent[3], "01");
    assert_eq!(server_timing(&outcome)[3], "01");
}

#[tokio::test]
async fn a_level_2_caller_stays_03() {
    let outcome = run(&[("traceparent", LEVEL2_TRACEPARENT)]).await;
    let sent = downstream(&outcome);
    assert_eq!(sent[1], LEVEL2_TRACEPARENT.split('-').nth(1).unwrap());
    assert_eq!(sent[3], "03", "the Level 2 random flag is propagated");
    assert_eq!(server_timing(&outcome)[3], "03");
}

#[tokio::test]
async fn a_missing_or_invalid_traceparent_starts_a_random_trace() {
    // "Processing Model": an invalid traceparent is ignored and a new trace starts; the SDK's
    // ids are random, so the new trace carries the random flag (-03 sampled, -02 dropped).
    let given = "4bf92f3577b34da6a3ce929d0e0e4736";
    #[rustfmt::skip]
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[], "no traceparent"),
        (&[("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")],
         "uppercase hex is invalid"),
        (&[("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-")],
         "version 00 is exactly 55 characters"),
        (&[("traceparent", LEVEL1_TRACEPARENT), ("traceparent", LEVEL2_TRACEPARENT)],
         "two traceparent fields make it invalid: seen only through a carrier with get_all"),
    ];
    for (headers, reason) in cases {
        let outcome = run(headers).await;
        let sent = downstream(&outcome);
        assert_ne!(sent[1], given, "{reason}: a new trace-id");
        assert!(
            ["02", "03"].contains(&sent[3].as_str()),
            "{reason}: {sent:?}"
        );
        let answered = server_timing(&outcome);
        assert_eq!(
            answered[1], sent[1],
            "{reason}: Server-Timing names the same trace"
        );
        assert_eq!(answered[3], sent[3], "{reason}");
        // The frontend's server span is a root: no span of this run has a remote parent
        // outside the run.
        let root = outcome
            .spans
            .iter()
            .find(|s| s.span_context.span_id().to_string() == answered[2])
            .expect("Server-Timing names the frontend's server span");
        assert!(!root.parent_span_is_remote, "{reason}");
    }
}

#[tokio::test]
async fn a_level_2_tracestate_key_arrives_downstream_unchanged() {
    // `a@b@c` is a valid Level 2 key that OpenTelemetry's TraceState refuses; tctx's
    // extract keeps it in the Context, which is why the whole Context must be handed on.
    let outcome = run(&[
        ("traceparent", LEVEL2_TRACEPARENT),
        ("tracestate", "a@b@c=1"),
    ])
    .await;
    downstream(&outcome);
    assert_eq!(hop(&outcome, "inventory").tracestate, ["a@b@c=1"]);
}

#[tokio::test]
async fn repeated_tracestate_fields_are_combined_in_order() {
    // RFC 9110 "Field Order": several fields are one list. Through a carrier without
    // `get_all` the second field would be lost.
    let outcome = run(&[
        ("traceparent", LEVEL2_TRACEPARENT),
        ("tracestate", "rojo=00f067aa0ba902b7"),
        ("tracestate", "congo=t61rcWkgMzE"),
    ])
    .await;
    downstream(&outcome);
    assert_eq!(
        hop(&outcome, "inventory").tracestate,
        ["rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"]
    );
}

#[tokio::test]
async fn the_spans_form_one_tree_under_the_callers_span() {
    let outcome = run(&[("traceparent", LEVEL2_TRACEPARENT)]).await;
    let sent = downstream(&outcome);
    assert_eq!(outcome.spans.len(), 3, "{:#?}", outcome.spans);
    let caller_span = LEVEL2_TRACEPARENT.split('-').nth(2).unwrap();
    let by_id = |id: &str| {
        outcome
            .spans
            .iter()
            .find(|s| s.span_context.span_id().to_string() == id)
            .unwrap_or_else(|| panic!("span {id}: {:#?}", outcome.spans))
    };
    // frontend server span: child of the caller's span (remote), named in Server-Timing.
    let server = by_id(&server_timing(&outcome)[2]);
    assert!(server.parent_span_is_remote);
    assert_eq!(server.parent_span_id.to_string(), caller_span);
    // its client span is the parent the inventory received, and the inventory's server span
    // hangs under it.
    let client = by_id(&sent[2]);
    assert_eq!(client.parent_span_id, server.span_context.span_id());
    let inventory = outcome
        .spans
        .iter()
        .find(|s| s.parent_span_id == client.span_context.span_id())
        .expect("the inventory's server span");
    assert!(inventory.parent_span_is_remote);
    assert!(outcome.render().contains("[inventory] server GET /stock"));
}
