//! Fuzzes `tctx::sampler::jaeger::Strategy::from_json`, the reader of Jaeger sampling
//! strategies: any input reads or fails with an error naming a field, never a panic, and a
//! strategy read round-trips through its writer. The check lives in `tests/fuzz_checks`,
//! which `cargo test` also runs over the corpus.
#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::jaeger_strategy::check_jaeger_strategy(data));
