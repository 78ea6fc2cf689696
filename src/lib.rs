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
//!   `Probability`, `ParentThreshold`, rate limiting, adaptive rates, OpenTelemetry's
//!   composable samplers with rule-based sampling, and configuration from
//!   `OTEL_TRACES_SAMPLER`. Its module docs are a guide to sampling.
//! - `config` (feature `config`): the sampler and propagators of an OpenTelemetry
//!   configuration file (`tracer_provider.sampler`, `propagator`), also read by
//!   `sampler::from_env()` and `propagator_from_env()` when `OTEL_CONFIG_FILE` is set.
//! - [`probability`]: the `th` and `rv` values of consistent probability sampling, as plain
//!   data (no OpenTelemetry types).
//! - `From`/`TryFrom` between the codec's [`TraceId`], [`SpanId`], [`Traceparent`],
//!   [`TraceState`] and OpenTelemetry's `TraceId`, `SpanId`, remote `SpanContext` and
//!   `TraceState` (feature `opentelemetry`); `ConversionError` says what did not convert.
//!
//! # Adding it
//!
//! ```sh
//! cargo add tctx
//! cargo add opentelemetry@0.33 opentelemetry_sdk@0.33
//! ```
//!
//! | tctx | `opentelemetry`, `opentelemetry_sdk` | Rust (MSRV) |
//! |---|---|---|
//! | 0.1 | 0.33 | 1.85 |
//!
//! `error[E0277]: the trait bound TraceContextPropagator: TextMapPropagator is not satisfied`
//! means the project uses another version of `opentelemetry` than tctx: Cargo builds both,
//! and tctx implements the trait of 0.33, not the one the code asks for. Use the versions of
//! the table; `cargo tree -d -e normal` lists the duplicated crates.
//!
//! Features: `opentelemetry` (the propagator and the conversions), `sampler` (the samplers
//! and `OTEL_*` configuration; implies `opentelemetry`), `config` (configuration files;
//! implies `sampler`, adds `saphyr-parser`) and `internal-logs` (warnings to
//! OpenTelemetry's internal log) are on by default; without them tctx is the codec alone,
//! with `rand` as its only dependency.
//!
//! # The headers
//!
//! `traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03` is
//! `version-trace_id-parent_id-flags`. The trace-id stays the same on every hop; the
//! parent-id is the sender's span and changes on every hop; the flags are `01` sampled,
//! `02` random trace-id (Level 2), `03` both ([`Traceparent::FLAG_SAMPLED`], which the JavaScript library
//! calls `FLAG_SAMPLE`, and [`Traceparent::FLAG_RANDOM`]). `tracestate` carries vendors' `key=value`
//! entries along, newest left; `ot=th:...` among them is the sampling threshold tctx's
//! consistent samplers write, so every service downstream can count and agree. A root that
//! a sampler dropped goes out as `-02`: not sampled, but its trace-id is still random.
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
//! With an id generator whose trace-ids are not random, say so first, before the first
//! extract, inject or sampling decision: `TraceContextPropagator::set_random_trace_ids(false)`
//! (feature `opentelemetry`). The setting is the whole process's and fixed before first use;
//! a later call changes nothing and returns `false`.
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
// Public with its configuration files; without them, only the home of the `OTEL_*` readers.
#[cfg(feature = "config")]
pub mod config;
#[cfg(all(feature = "sampler", not(feature = "config")))]
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
pub use otel::convert::ConversionError;
#[cfg(feature = "opentelemetry")]
pub use otel::propagator::{TraceContextPropagator, TraceContextPropagatorBuilder};

// The README's examples are compiled and run as doctests, so they cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "sampler"))]
pub struct ReadmeDoctests;
