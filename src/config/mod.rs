//! The configuration: samplers and propagators built from what operators write, the `OTEL_*`
//! environment variables.
//!
//! This room may import every other one; nothing imports it but the entry points re-exported
//! at the root ([`propagator_from_env`](crate::propagator_from_env)) and in
//! [`sampler`](crate::sampler) ([`from_env`](crate::sampler::from_env)). Values come from
//! strangers: every reader here returns a result or a warning for anything, never a panic.

pub(crate) mod env;
