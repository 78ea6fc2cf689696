//! Fuzzes `tctx::config::Config::from_yaml_str_with_env`: any input loads or fails with an
//! error, never a panic, unbounded work or memory. The check lives in `tests/fuzz_checks`,
//! which `cargo test` also runs over the corpus.
#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::config_file::check_config_file(data));
