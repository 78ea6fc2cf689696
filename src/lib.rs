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
//! - [`sampler`][sampler-module] (feature `sampler`): head samplers for `opentelemetry_sdk` that honour the
//!   random flag and write OpenTelemetry's consistent-probability threshold: `ParentBased`,
//!   `Probability`, `ParentThreshold`, rate limiting, adaptive rates, OpenTelemetry's
//!   composable samplers with rule-based sampling, and configuration from
//!   `OTEL_TRACES_SAMPLER`. Its module docs are a guide to sampling.
//! - `config` (feature `sampler`): `Config::from_env()`, the sampler and propagators of the
//!   `OTEL_*` variables read once, and (feature `config`) of an OpenTelemetry configuration
//!   file (`tracer_provider.sampler`, `propagator`), named by `OTEL_CONFIG_FILE` or loaded with
//!   `Config::from_file`. `sampler::from_env()` and `propagator_from_env()` are its shorthands.
//! - `tctx::env_carrier` and `tctx::server_timing` (feature `opentelemetry`): a context through environment variables to a child process
//!   (`TRACEPARENT`, `TRACESTATE`, `BAGGAGE`), and the `Server-Timing` trace metric of a
//!   response, with any propagator registered globally.
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
//! The versions that fit together (each OpenTelemetry minor is a tctx minor):
//!
//! | tctx | `opentelemetry`, `opentelemetry_sdk`, `opentelemetry-http` | `tracing-opentelemetry` | `axum-tracing-opentelemetry` | Rust (MSRV) |
//! |---|---|---|---|---|
//! | 0.1 | 0.33 | 0.34 | 0.42 (Rust 1.91) | 1.85 |
//!
//! tctx re-exports the two it implements, `tctx::opentelemetry` and
//! `tctx::opentelemetry_sdk`, so `tctx::opentelemetry::Context` is always the version tctx's
//! signatures use.
//!
//! `error[E0277]: the trait bound TraceContextPropagator: TextMapPropagator is not satisfied`,
//! or `ConfiguredSampler: ShouldSample is not satisfied` (from `with_sampler`), means the
//! project uses another version of `opentelemetry` or `opentelemetry_sdk` than tctx: Cargo
//! builds both, and tctx implements the traits of 0.33, not the ones the code asks for. Use
//! the versions of the table; `cargo tree -d -e normal` lists the duplicated crates.
//!
//! # With `tracing` and `tracing-opentelemetry`
//!
//! Three rules, each a silent loss when broken (`examples/axum_tracing.rs` follows them):
//!
//! 1. Hand `span.set_parent` the whole extracted `Context`, not a `SpanContext` taken out of
//!    it: what a Level 1 caller's trace lacks (the random bit) and Level 2 tracestate keys
//!    OpenTelemetry cannot hold live in the `Context`, beside the span context.
//! 2. Extract through a carrier that implements `Extractor::get_all`, such as
//!    `opentelemetry_http::HeaderExtractor`: W3C Trace Context lets `tracestate` come in
//!    several header fields, and a carrier with `get` alone shows only the first (the
//!    extractor of axum-tracing-opentelemetry is one).
//! 3. Attributes a sampling rule matches must be span fields when the span is created, such
//!    as `http.route` and `otel.kind`: the sampler decides when the span starts, and sees
//!    no field recorded later.
//!
//! ```
//! # #[cfg(feature = "opentelemetry")] {
//! use opentelemetry::propagation::TextMapPropagator;
//! use opentelemetry_http::HeaderExtractor;
//! use tracing_opentelemetry::OpenTelemetrySpanExt;
//!
//! // In a middleware (axum, hyper...), for each request:
//! let request = http::Request::builder()
//!     .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
//!     .body(())
//!     .unwrap();
//! let propagator = tctx::TraceContextPropagator::new(); // or the global one
//! let parent = propagator.extract(&HeaderExtractor(request.headers())); // rule 2: get_all
//! let span = tracing::info_span!(
//!     "request",
//!     otel.kind = "server",     // rule 3: the fields the sampler's rules match,
//!     http.route = "/checkout", // there at creation
//! );
//! // rule 1: the whole Context. (An error says no OpenTelemetry layer is installed.)
//! let _ = span.set_parent(parent);
//! # }
//! ```
//!
//! Features: `opentelemetry` (the propagator and the conversions), `sampler` (the samplers
//! and `OTEL_*` configuration; implies `opentelemetry`), `config` (configuration files;
//! implies `sampler`, adds `saphyr-parser`) and `internal-logs` (warnings to
//! OpenTelemetry's internal log) are on by default; without them tctx is the codec alone,
//! with `rand` as its only dependency. On docs.rs, each item says which feature it needs.
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

//!
#![cfg_attr(feature = "sampler", doc = "[sampler-module]: crate::sampler")]
#![cfg_attr(
    not(feature = "sampler"),
    doc = "[sampler-module]: https://docs.rs/tctx/latest/tctx/sampler/"
)]
// docs.rs (`--cfg docsrs`, nightly) labels each item with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

// Four rooms; the arrows go one way: config -> sampler / otel -> codec.
mod codec;
// The `OTEL_*` variables with the feature `sampler`; configuration files with `config`.
#[cfg(feature = "sampler")]
pub mod config;
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
pub use config::env::propagator_from_env;
/// The `opentelemetry` crate whose traits tctx implements (0.33): name its types through
/// `tctx::opentelemetry` to be sure of the version.
#[cfg(feature = "opentelemetry")]
pub use opentelemetry;
/// The `opentelemetry_sdk` crate whose `ShouldSample` tctx's samplers implement (0.33).
#[cfg(feature = "sampler")]
pub use opentelemetry_sdk;
#[cfg(feature = "opentelemetry")]
pub use otel::convert::ConversionError;
#[cfg(feature = "opentelemetry")]
pub use otel::propagator::{TraceContextPropagator, TraceContextPropagatorBuilder};
#[cfg(feature = "opentelemetry")]
pub use otel::{env_carrier, server_timing};

// The README's examples are compiled and run as doctests, so they cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "sampler"))]
pub struct ReadmeDoctests;
