//! Log correlation: structured log lines that carry the trace-id and span-id of the current
//! OpenTelemetry context, so that the logs of one request can be found from its trace, and
//! the other way round (`grep 4bf92f3577b34da6a3ce929d0e0e4736` across every service).
//!
//! A tiny logging function writes one JSON object per line with `trace_id`, `span_id` and
//! `trace_flags` (the flags tctx sends for the span) read from
//! `opentelemetry::Context::current()`. It logs outside any span (no
//! ids), inside a root span, inside a child span, after extracting an incoming `traceparent`
//! with the tctx propagator (the caller's ids), and inside the server span that continues it.
//!
//! Real services get the same without writing a logger: `tracing` with
//! `tracing-opentelemetry` (and a JSON formatter such as `tracing-subscriber`'s) puts the ids
//! of the current span on every event. Those crates are not dependencies of tctx, so this
//! example reads the context by hand, which is all they do too.
//!
//! Run it with `cargo run --example log_correlation`.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Span, SpanContext, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::Context;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde_json::json;
use tctx::sampler::{AlwaysOn, ParentBased};

/// The `traceparent` of the incoming request in the demo.
pub const INCOMING: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";

/// A log line for `message`, as JSON, with the ids of the current context's span if it has
/// a valid one. `trace_flags` are the flags tctx sends downstream for that span (what
/// `Traceparent::try_from(&cx)` and the propagator's inject give): sampled `01`, plus random
/// `02`. A root started here says `03` (the SDK's ids are random), though the SDK's own span
/// context says `01`: the SDK keeps no random bit for the spans it starts.
#[must_use]
pub fn log_line(level: &str, message: &str) -> String {
    let cx = Context::current();
    let span = cx.span();
    let span_context = span.span_context();
    let mut line = json!({ "level": level, "message": message });
    if span_context.is_valid() {
        line["trace_id"] = json!(span_context.trace_id().to_string());
        line["span_id"] = json!(span_context.span_id().to_string());
        let sent = tctx::Traceparent::try_from(&cx).map(|sent| sent.flags());
        let flags = sent.unwrap_or_else(|_| span_context.trace_flags().to_u8());
        line["trace_flags"] = json!(format!("{flags:02x}"));
    }
    line.to_string()
}

/// The spans the demo's log lines were written in.
#[derive(Debug)]
pub struct Spans {
    /// The root span of a trace started here.
    pub root: SpanContext,
    /// A child of `root`.
    pub child: SpanContext,
    /// The caller's span, extracted from [`INCOMING`].
    pub remote: SpanContext,
    /// The server span that continues the caller's trace.
    pub server: SpanContext,
}

/// Runs the demo: returns the log lines, in order, and the spans they were written in.
#[must_use]
pub fn run() -> (Vec<String>, Spans) {
    let provider = SdkTracerProvider::builder()
        .with_sampler(ParentBased::new(AlwaysOn))
        .build();
    let tracer = provider.tracer("log_correlation");
    let propagator = tctx::TraceContextPropagator::new();
    let mut lines = Vec::new();
    let mut log = |level: &str, message: &str| lines.push(log_line(level, message));

    log("info", "service starting, outside any span");

    // A trace started here: the root span becomes current while `_root` lives.
    let root = tracer.start("checkout");
    let root_context = root.span_context().clone();
    let root_cx = Context::current_with_span(root);
    let child_context = {
        let _root = root_cx.clone().attach();
        log("info", "checkout started, in the root span");
        let child_context = {
            // Started in the current context, so a child of the root span.
            let child = tracer.start("load_cart");
            let child_context = child.span_context().clone();
            let _child = Context::current_with_span(child).attach();
            log("debug", "cart loaded, in the child span");
            Context::current().span().end();
            child_context
        };
        log("info", "checkout done, back in the root span");
        child_context
    };
    root_cx.span().end();

    // An incoming request: extract, then attach. Until the server span starts, the current
    // span is the caller's (remote) one, so its ids are the caller's.
    let headers = HashMap::from([("traceparent".to_owned(), INCOMING.to_owned())]);
    let incoming = propagator.extract(&headers);
    let remote_context = incoming.span().span_context().clone();
    let server_context = {
        let _incoming = incoming.clone().attach();
        log("info", "request received, caller's ids");
        let server = tracer.start_with_context("handle_request", &incoming);
        let server_context = server.span_context().clone();
        let _server = incoming.with_span(server).attach();
        log("warn", "payment slow, in the server span");
        Context::current().span().end();
        server_context
    };

    log("info", "shutting down, outside any span");
    let _ = provider.shutdown();
    let spans = Spans {
        root: root_context,
        child: child_context,
        remote: remote_context,
        server: server_context,
    };
    (lines, spans)
}

fn main() {
    let (lines, spans) = run();
    for line in &lines {
        println!("{line}");
    }
    println!(
        "\nspans: root {}, child {}",
        spans.root.span_id(),
        spans.child.span_id()
    );
    println!(
        "       caller {} (from the traceparent), server {}",
        spans.remote.span_id(),
        spans.server.span_id()
    );
    println!("every line of one request shares its trace_id: grep for it across services");
    println!(
        "trace_flags: the flags tctx sends downstream, 03 = sampled (01) + random trace-id (02,\n\
         W3C Level 2). The trace started here says 03: the SDK's ids are random, though its own\n\
         span context keeps only 01. The continued trace says 03: the caller's traceparent\n\
         ended in -03, and that bit is kept."
    );
}
