//! The codec: W3C Trace Context Level 2 headers and OpenTelemetry's probability values, as
//! plain data.
//!
//! This room may import `core`, `std` and `rand`, and nothing else: no OpenTelemetry type
//! appears here, so the crate built with `default-features = false` is this codec alone.
//! Every other room (the OpenTelemetry adapters, the samplers, the configuration) reads and
//! writes headers through it, so each rule of the specification lives here once.
//!
//! Names mean one thing throughout: `parse` reads text (`Traceparent::parse`,
//! `TraceState::parse`, `TraceId::parse`, `Threshold::parse`), `encode` writes into the
//! caller's buffer; `new`, `make` and `from_*` construct; `with_*` returns a copy with one
//! part replaced (`OtValue::with_threshold`, as `Path::with_extension` does). A limit is an
//! associated constant of the type it limits (`Traceparent::ENCODED_LEN`,
//! `TraceState::MAX_MEMBERS`).

pub(crate) mod error;
pub(crate) mod hex;
pub(crate) mod id;
pub mod probability;
pub(crate) mod server_timing;
pub(crate) mod traceparent;
pub(crate) mod tracestate;
