//! Runs the OpenTelemetry half of `examples/quickstart.rs` and checks the headers of each hop.

#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

/// `traceparent` split into its four fields.
fn fields(traceparent: &str) -> Vec<&str> {
    traceparent.split('-').collect()
}

#[test]
fn the_tour_keeps_one_trace_across_hops() {
    let [hop1, hop2] = quickstart::opentelemetry_tour().unwrap();
    let sent1 = fields(&hop1.headers["traceparent"]);
    let sent2 = fields(&hop2.headers["traceparent"]);

    // One trace: the same trace-id on both hops, in the spans and on the wire.
    assert_eq!(sent1[0], "00");
    assert_eq!(sent1[1], hop1.trace_id);
    assert_eq!(sent2[1], hop1.trace_id);
    assert_eq!(hop2.trace_id, hop1.trace_id);

    // Each hop sends its own span as the parent; hop 2's parent is hop 1's span.
    assert_eq!(sent1[2], hop1.span_id);
    assert_eq!(hop1.received_parent_id, None);
    assert_eq!(
        hop2.received_parent_id.as_deref(),
        Some(hop1.span_id.as_str())
    );
    assert_eq!(sent2[2], hop2.span_id);
    assert_ne!(hop2.span_id, hop1.span_id);

    // Sampled and random on both hops: the SDK's root span gets the Level 2 random bit.
    assert_eq!(sent1[3], "03");
    assert_eq!(sent2[3], "03");

    // The sampler's consistent-probability threshold travels in tracestate (100%: th:0).
    assert_eq!(hop1.headers["tracestate"], "ot=th:0");
    assert_eq!(hop2.headers["tracestate"], "ot=th:0");
}
