//! Runs the fuzz targets' checks (`tests/fuzz_checks`) over the committed corpus in
//! `fuzz/corpus/`, so that every input the fuzzers found interesting is replayed by a plain
//! `cargo test` on stable.

mod fuzz_checks;

use std::fs;
use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a corpus entry").path();
        let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check(&data);
        count += 1;
    }
    // The seeds alone are more than this; an emptied corpus must not pass silently.
    assert!(count >= 8, "only {count} inputs in {}", dir.display());
}

#[test]
fn traceparent_corpus_matches_the_model_and_round_trips() {
    replay("traceparent", fuzz_checks::check_traceparent);
}

#[test]
fn server_timing_corpus_round_trips() {
    replay("server_timing", fuzz_checks::check_server_timing);
}

#[test]
fn tracestate_corpus_matches_the_model_and_round_trips() {
    replay("tracestate", fuzz_checks::check_tracestate);
}

#[test]
fn ot_value_corpus_matches_the_model() {
    replay("ot_value", fuzz_checks::check_ot_value);
}

#[cfg(feature = "config")]
#[test]
fn config_file_corpus_loads_or_fails_cleanly() {
    replay("config_file", fuzz_checks::config_file::check_config_file);
}

#[cfg(feature = "jaeger-remote")]
#[test]
fn jaeger_strategy_corpus_reads_or_fails_cleanly_and_round_trips() {
    replay(
        "jaeger_strategy",
        fuzz_checks::jaeger_strategy::check_jaeger_strategy,
    );
}
