//! The 60-second tour of tctx, in one process.
//!
//! Part 1 is the codec alone: a producer starts a trace, a consumer continues it, a forged
//! header is rejected, and a header is encoded without allocating. Part 2 is the same story
//! through OpenTelemetry: tctx's propagator and sampler installed globally, a span injected
//! into a `HashMap` of headers, extracted on the other side and continued by a child span.
//!
//! Run it with `cargo run --example quickstart`.

use std::collections::HashMap;

use opentelemetry::global;
use opentelemetry::trace::{TraceContextExt, Tracer};
use opentelemetry::Context;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tctx::sampler::{ParentThreshold, Probability};
use tctx::{TraceState, Traceparent};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("== Part 1: the codec ==\n");
    codec_tour()?;
    println!("\n== Part 2: OpenTelemetry, tctx propagator and sampler ==\n");
    opentelemetry_tour()?;
    Ok(())
}

/// The producer/consumer story with the plain codec.
fn codec_tour() -> Result<(), tctx::ParseError> {
    // Producer: no incoming request, so start a trace (sampled + random, as tctx does).
    let root = Traceparent::make();
    let state = TraceState::make([("frontend", "v1")])?;
    println!("producer starts a trace\n  traceparent: {root}\n  tracestate:  {state}");

    // Each downstream call gets a child: same trace-id and flags, new parent-id.
    let call = root.child();
    println!("\nproducer calls the cart service\n  traceparent: {call}\n  tracestate:  {state}");

    // Consumer: parse what arrived. Parse tracestate only if traceparent is valid.
    let incoming = (call.to_string(), state.to_string());
    let (parent, mut state) = match Traceparent::parse(&incoming.0) {
        Ok(parent) => (parent, TraceState::parse(&incoming.1).unwrap_or_default()),
        Err(error) => {
            println!("  invalid traceparent ({error}): restarting the trace");
            (Traceparent::make(), TraceState::new())
        }
    };
    println!("\ncart service received");
    println!(
        "  trace-id:  {} (same as the producer's)",
        parent.trace_id()
    );
    println!("  parent-id: {} (the producer's call)", parent.parent_id());
    println!(
        "  sampled: {}, random: {}",
        parent.is_sampled(),
        parent.is_random()
    );

    // Add our own entry: it goes to the left; an update would move it there too.
    state.set("cart", "00f067aa0ba902b7")?;
    let downstream = parent.child();
    println!("\ncart service calls payment\n  traceparent: {downstream}\n  tracestate:  {state}");

    // Bad input is normal input: a stranger's header is rejected with the rule it broke.
    let forged = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
    if let Err(error) = Traceparent::parse(forged) {
        println!("\na forged header {forged:?}\n  is rejected: {error}");
    }

    // Zero allocations on the hot path: encode into a stack buffer.
    let mut buf = [0u8; Traceparent::ENCODED_LEN];
    println!(
        "\nencoded without allocating: {}",
        downstream.encode(&mut buf)
    );
    Ok(())
}

/// One service's view of the request: its span and the headers it sends downstream.
#[derive(Debug)]
pub struct Hop {
    /// The trace-id of this hop's span, in hex.
    pub trace_id: String,
    /// The id of this hop's span, in hex.
    pub span_id: String,
    /// The span id of the parent this hop received, if any.
    pub received_parent_id: Option<String>,
    /// `traceparent` and `tracestate`, as injected by the global propagator.
    pub headers: HashMap<String, String>,
}

/// Installs tctx globally and follows one request across two services; returns both hops.
pub fn opentelemetry_tour() -> Result<[Hop; 2], Box<dyn std::error::Error>> {
    // The one-line swap: the stock W3C propagator becomes tctx's.
    global::set_text_map_propagator(tctx::TraceContextPropagator::new());
    // 100% of new traces for the demo (0.1 keeps 10%); continued traces follow their caller.
    let provider = SdkTracerProvider::builder()
        .with_sampler(ParentThreshold::new(Probability::new(1.0)?))
        .build();
    global::set_tracer_provider(provider.clone());
    let tracer = global::tracer("quickstart");

    // Hop 1, the frontend: a root span, injected into the outgoing request's headers.
    let checkout = tracer.start_with_context("checkout", &Context::new());
    let frontend = Context::new().with_span(checkout);
    let hop1 = send("frontend", &frontend, None);

    // Hop 2, the cart service: extract on the other side, continue with a child span.
    let received = global::get_text_map_propagator(|propagator| propagator.extract(&hop1.headers));
    let remote = received.span().span_context().span_id().to_string();
    println!("\ncart service extracted a remote parent: span {remote}");
    let add_item = tracer.start_with_context("add_item", &received);
    let cart = received.with_span(add_item);
    let hop2 = send("cart service", &cart, Some(remote));

    provider.shutdown()?;
    Ok([hop1, hop2])
}

/// What a service sends downstream from `cx`: the global propagator injects its span.
fn send(service: &str, cx: &Context, received_parent_id: Option<String>) -> Hop {
    let mut headers = HashMap::new();
    global::get_text_map_propagator(|propagator| propagator.inject_context(cx, &mut headers));
    let span = cx.span();
    let span_context = span.span_context();
    println!("\n{service} sends (span {})", span_context.span_id());
    for name in ["traceparent", "tracestate"] {
        println!(
            "  {name}: {}",
            headers.get(name).map_or("(none)", String::as_str)
        );
    }
    Hop {
        trace_id: span_context.trace_id().to_string(),
        span_id: span_context.span_id().to_string(),
        received_parent_id,
        headers,
    }
}
