//! The OpenTelemetry adapters: the codec's headers as OpenTelemetry's `Context`.
//!
//! This room may import the codec and the `opentelemetry` API crate (not the SDK): the
//! [`TraceContextPropagator`](crate::TraceContextPropagator), the knowledge of whether a
//! trace's id is random that it shares with the samplers, the `Server-Timing` response
//! header, the environment variables that carry a context to a child process, and the
//! `From`/`TryFrom` conversions between the codec's types and OpenTelemetry's. The samplers
//! and the configuration build on it; it knows nothing of them.

pub(crate) mod convert;
pub mod env_carrier;
pub(crate) mod propagator;
pub(crate) mod randomness;
pub mod server_timing;
