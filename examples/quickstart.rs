//! The 60-second tour of tctx, in one process.
//!
//! Part 1 is the codec alone: what the four fields of a `traceparent` are, a producer starts a
//! trace, a consumer continues it, a header in uppercase hex is rejected, and a header is
//! encoded without allocating. Part 2 is the same story
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
    println!("\n== Part 2: OpenTelemetry, tctx propagator and sampler ==");
    opentelemetry_tour()?;
    Ok(())
}

/// The producer/consumer story with the plain codec.
fn codec_tour() -> Result<(), tctx::ParseError> {
    // Producer: no incoming request, so start a trace (sampled + random, as tctx does).
    let root = Traceparent::make();
    let state = TraceState::make([("frontend", "v1")])?;
    println!("producer starts a trace\n  traceparent: {root}\n  tracestate:  {state}");
    print_anatomy();

    // Each downstream call gets a child: same trace-id and flags, new parent-id.
    let call = root.child();
    println!("\nproducer calls the cart service (a child: only the parent-id changes)");
    println!("  traceparent: {call}\n  tracestate:  {state}");

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
        "  trace-id:    {} (same as the producer's)",
        parent.trace_id()
    );
    println!(
        "  parent-id:   {} (the producer's call)",
        parent.parent_id()
    );
    println!(
        "  flags:       {:02x} (sampled: {}, random: {})",
        parent.flags(),
        parent.is_sampled(),
        parent.is_random()
    );

    // Add our own entry: it goes to the left; an update would move it there too. The value
    // is the example value of the W3C specification ("rojo=00f067aa0ba902b7"), not a span-id
    // of this trace: a vendor puts whatever it needs there.
    state.set("cart", "00f067aa0ba902b7")?;
    let downstream = parent.child();
    println!("\ncart service calls payment");
    println!("  traceparent: {downstream}");
    println!("  tracestate:  {state}");
    println!("               (cart's own entry, newest left; 00f067aa0ba902b7 is the W3C");
    println!("               spec's example value, not a span-id of this trace)");

    // Bad input is normal input: a header that breaks a rule is rejected with the rule.
    let uppercase = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
    if let Err(error) = Traceparent::parse(uppercase) {
        println!("\na header with an uppercase trace-id (the spec allows lowercase hex only)");
        println!("  traceparent: {uppercase}");
        println!("  rejected:    {error}");
    }

    // Zero allocations on the hot path: encode into a stack buffer.
    let mut buf = [0u8; Traceparent::ENCODED_LEN];
    println!(
        "\nencoded without allocating: {}",
        downstream.encode(&mut buf)
    );
    Ok(())
}

/// What the four fields of a traceparent are, and which ones change from hop to hop.
fn print_anatomy() {
    println!(
        "\n  00-<trace-id>-<parent-id>-<flags>\n\
         \x20 version 00; trace-id: 32 hex, the same on every hop of the trace;\n\
         \x20 parent-id: 16 hex, the sender's span, new on every hop;\n\
         \x20 flags: 01 sampled, 02 random trace-id (Level 2), 03 both.\n\
         \x20 tracestate carries vendors' key=value entries along, newest left."
    );
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
    println!("  (ot=th:0 is the sampling threshold tctx's consistent sampler wrote, th:0 = keep");
    println!("  100%, so every service downstream can count and agree; flags 03 = sampled +");
    println!("  random: the SDK's trace-ids are random, and tctx's propagator says so)");

    // Hop 2, the cart service: extract on the other side, continue with a child span.
    let received = global::get_text_map_propagator(|propagator| propagator.extract(&hop1.headers));
    let remote_span = received.span();
    let remote_context = remote_span.span_context();
    let remote = remote_context.span_id().to_string();
    println!("\ncart service extracted a remote parent");
    println!(
        "  trace-id:    {} (same as the frontend's)",
        remote_context.trace_id()
    );
    println!("  parent-id:   {remote} (the frontend's span)");
    let add_item = tracer.start_with_context("add_item", &received);
    let cart = received.with_span(add_item);
    let hop2 = send("cart service", &cart, Some(remote));
    println!("  (the trace-id stayed the same; the parent-id is now the cart's span)");

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
        let label = format!("{name}:");
        println!(
            "  {label:<12} {}",
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
