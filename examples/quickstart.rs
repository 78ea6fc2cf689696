//! The producer/consumer story of trace context, in one process.
//!
//! Run it with `cargo run --example quickstart`.

use tctx::{TraceState, Traceparent};

fn main() -> Result<(), tctx::ParseError> {
    // Producer: no incoming request, so start a trace (sampled + random, as tctx does).
    let root = Traceparent::make();
    let state = TraceState::make([("frontend", "v1")])?;
    println!("producer starts a trace");
    println!("  traceparent: {root}");
    println!("  tracestate:  {state}");

    // Each downstream call gets a child: same trace-id and flags, new parent-id.
    let call = root.child();
    println!("\nproducer calls the cart service");
    println!("  traceparent: {call}");
    println!("  tracestate:  {state}");

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
        "  sampled:   {}, random: {}",
        parent.is_sampled(),
        parent.is_random()
    );

    // Add our own entry: it goes to the left; an update would move it there too.
    state.set("cart", "00f067aa0ba902b7")?;
    let downstream = parent.child();
    println!("\ncart service calls payment");
    println!("  traceparent: {downstream}");
    println!("  tracestate:  {state}");

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
