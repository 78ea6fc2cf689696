//! Fuzzes `OtValue::parse` and `OtValue::with_threshold` against a reference model. The checks
//! live in `tests/fuzz_checks`, which `cargo test` also runs over the corpus.
#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::check_ot_value(data));
