//! Runs `examples/log_correlation.rs` and checks the ids of each log line against the spans.

#[allow(dead_code)]
#[path = "../examples/log_correlation.rs"]
mod log_correlation;

use opentelemetry::trace::SpanContext;
use serde_json::Value;

/// Asserts that `line` carries the ids of `span`, and the flags tctx sends for it: `03`,
/// sampled and random, for the trace started here (the SDK's span context says `01`) as for
/// the caller's.
fn assert_ids(line: &Value, span: &SpanContext) {
    assert_eq!(line["trace_id"], span.trace_id().to_string(), "{line}");
    assert_eq!(line["span_id"], span.span_id().to_string(), "{line}");
    assert_eq!(line["trace_flags"], "03", "{line}");
}

fn assert_no_ids(line: &Value) {
    for key in ["trace_id", "span_id", "trace_flags"] {
        assert!(line.get(key).is_none(), "{line}");
    }
}

#[test]
fn each_line_carries_the_ids_of_the_current_span() {
    let (lines, spans) = log_correlation::run();
    let lines: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    for line in &lines {
        assert!(
            line["level"].is_string() && line["message"].is_string(),
            "{line}"
        );
    }

    assert_no_ids(&lines[0]);
    assert_ids(&lines[1], &spans.root);
    assert_ids(&lines[2], &spans.child);
    assert_ids(&lines[3], &spans.root);
    assert_ids(&lines[4], &spans.remote);
    assert_ids(&lines[5], &spans.server);
    assert_no_ids(&lines[6]);

    // One trace started here, its child in it; the server span continues the caller's.
    assert_eq!(
        spans.root.trace_flags().to_u8(),
        0x01,
        "the SDK's own flags"
    );
    assert_eq!(spans.child.trace_id(), spans.root.trace_id());
    assert_ne!(spans.child.span_id(), spans.root.span_id());
    assert_eq!(lines[4]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(lines[4]["span_id"], "00f067aa0ba902b7");
    assert_eq!(lines[4]["trace_flags"], "03");
    assert!(spans.remote.is_remote());
    assert_eq!(lines[5]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_ne!(spans.server.span_id(), spans.remote.span_id());
    assert_ne!(spans.server.trace_id(), spans.root.trace_id());
}

#[test]
fn no_span_no_ids() {
    let line: Value = serde_json::from_str(&log_correlation::log_line("info", "hi")).unwrap();
    assert_eq!(line["message"], "hi");
    assert_no_ids(&line);
}
