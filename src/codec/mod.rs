//! The codec: W3C Trace Context Level 2 headers and OpenTelemetry's probability values, as
//! plain data.
//!
//! This room may import `core`, `std` and `rand`, and nothing else: no OpenTelemetry type
//! appears here, so the crate built with `default-features = false` is this codec alone.
//! Every other room (the OpenTelemetry adapters, the samplers, the configuration) reads and
//! writes headers through it, so each rule of the specification lives here once.

pub(crate) mod error;
pub(crate) mod hex;
pub(crate) mod id;
pub mod probability;
pub(crate) mod server_timing;
pub(crate) mod traceparent;
pub(crate) mod tracestate;
