//! W3C Trace Context Level 2 for Rust: a strict, allocation-free codec for the `traceparent`
//! and `tracestate` headers, shaped like the JavaScript library
//! [`tctx`](https://www.npmjs.com/package/tctx).
//!
//! Every request in a distributed system carries two headers: `traceparent` names the trace
//! and the caller's span, `tracestate` carries vendor data along. This crate reads and writes
//! them exactly as the specification says:
//!
//! - [`Traceparent`]: [`make`](Traceparent::make), [`parse`](Traceparent::parse),
//!   [`child`](Traceparent::child), [`sample`](Traceparent::sample),
//!   [`unsample`](Traceparent::unsample), [`is_sampled`](Traceparent::is_sampled),
//!   [`is_random`](Traceparent::is_random), and [`encode`](Traceparent::encode) into a
//!   55-byte stack buffer. Parsing and encoding never allocate.
//! - [`TraceState`]: [`make`](TraceState::make), [`parse`](TraceState::parse),
//!   [`get`](TraceState::get), [`set`](TraceState::set), [`delete`](TraceState::delete),
//!   iteration and truncation to the specification's limits. Parsing allocates one buffer,
//!   whatever the number of members.
//! - [`ParseError`]: one small `Copy` error that names the rule a header broke.
//!
//! - `Server-Timing`: [`Traceparent::encode_server_timing`] and
//!   [`Traceparent::parse_server_timing`], the `trace` metric of the response side.
//!
//! The codec knows nothing of OpenTelemetry; it is plain data in, plain data out. On top of
//! it, with the default feature `opentelemetry`:
//!
//! - `TraceContextPropagator`: a drop-in replacement for OpenTelemetry's
//!   `TextMapPropagator` for W3C Trace Context, that keeps the Level 2 random flag and every
//!   valid tracestate member.
//!
//! - [`sampler`] (feature `sampler`): head samplers for `opentelemetry_sdk` that honour the
//!   random flag and write OpenTelemetry's consistent-probability threshold: `ParentBased`,
//!   `Probability`, `ParentThreshold`, rate limiting, adaptive rates, and configuration from
//!   `OTEL_TRACES_SAMPLER`. Its module docs are a guide to sampling.
//! - [`probability`]: the `th` and `rv` values of consistent probability sampling, as plain
//!   data (no OpenTelemetry types).
//!
//! ```
//! # #[cfg(feature = "sampler")] {
//! opentelemetry::global::set_text_map_propagator(tctx::TraceContextPropagator::new());
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
//!     .with_sampler(tctx::sampler::ParentThreshold::new(tctx::sampler::Probability::new(0.1)?))
//!     .build();
//! # let _ = provider;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Producer and consumer
//!
//! ```
//! use tctx::{TraceState, Traceparent};
//!
//! // The producer starts a trace and sends it downstream.
//! let root = Traceparent::make();
//! let state = TraceState::make([("service", "frontend")])?;
//! let headers = [("traceparent", root.to_string()), ("tracestate", state.to_string())];
//!
//! // The consumer continues it: parse traceparent first, and tracestate only if that worked
//! // (W3C Trace Context, "Tracestate Header").
//! let (parent, mut state) = match Traceparent::parse(&headers[0].1) {
//!     Ok(parent) => (parent, TraceState::parse(&headers[1].1).unwrap_or_default()),
//!     Err(_) => (Traceparent::make(), TraceState::new()), // restart the trace
//! };
//! state.set("cart", "processed")?;
//!
//! let outgoing = parent.child();
//! assert_eq!(outgoing.trace_id(), root.trace_id());
//! assert_eq!(state.as_str(), "cart=processed,service=frontend");
//! # Ok::<(), tctx::ParseError>(())
//! ```
//!
//! # Conformance
//!
//! Parsing follows W3C Trace Context Level 2 to the letter; every rule is a test in
//! `tests/`, citing its section. Where the specification leaves a choice, this crate rejects
//! a tracestate with more than 32 members or any invalid member whole, and keeps the
//! left-most of repeated keys (see [`TraceState`]).

// Four rooms; the arrows go one way: config -> sampler / otel -> codec.
mod codec;
#[cfg(feature = "sampler")]
mod config;
#[cfg(feature = "opentelemetry")]
mod otel;
#[cfg(feature = "sampler")]
pub mod sampler;

pub use codec::error::{ParseError, ParseErrorKind};
pub use codec::id::{SpanId, TraceId};
pub use codec::probability;
pub use codec::traceparent::Traceparent;
pub use codec::tracestate::{TraceState, TraceStateIter};
#[cfg(feature = "sampler")]
pub use config::env::{propagator_from_env, propagator_from_env_var};
#[cfg(feature = "opentelemetry")]
pub use otel::propagator::{TraceContextPropagator, TraceContextPropagatorBuilder};

// The README's examples are compiled and run as doctests, so they cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "sampler"))]
pub struct ReadmeDoctests;
