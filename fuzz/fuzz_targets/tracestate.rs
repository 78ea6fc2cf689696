//! Fuzzes `TraceState::parse` against a reference model and asserts round trips and the
//! invariants of set, delete and truncate. The checks live in `tests/fuzz_checks`, which
//! `cargo test` also runs over the corpus.
#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::check_tracestate(data));
