//! The check behind the `jaeger_strategy` fuzz target: a strategy response is bytes from a
//! server, so any input reads to a `Strategy` or a `StrategyError` naming a field, never a
//! panic; a strategy read is within its ranges, and what the writer makes of it reads back
//! to an equal strategy.

use tctx::sampler::jaeger::{Strategy, MAX_BODY_BYTES};

pub fn check_jaeger_strategy(data: &[u8]) {
    let strategy = match Strategy::from_json(data) {
        Ok(strategy) => strategy,
        Err(error) => {
            assert!(!error.field().is_empty());
            // An error quotes at most 64 bytes of a value: its message stays short.
            assert!(error.to_string().len() < 600, "{error}");
            return;
        }
    };
    assert!(data.len() <= MAX_BODY_BYTES);
    let in_unit = |p: f64| (0.0..=1.0).contains(&p);
    match &strategy {
        Strategy::Probabilistic { sampling_rate } => assert!(in_unit(*sampling_rate)),
        Strategy::RateLimiting {
            max_traces_per_second,
        } => assert!(i32::try_from(*max_traces_per_second).is_ok()),
        Strategy::PerOperation(operations) => {
            assert!(in_unit(operations.default_sampling_probability));
            for bound in [
                operations.default_lower_bound_traces_per_second,
                operations.default_upper_bound_traces_per_second,
            ] {
                assert!(bound.is_finite() && bound >= 0.0, "{bound}");
            }
            for op in &operations.per_operation_strategies {
                assert!(in_unit(op.sampling_rate));
            }
        }
    }
    let written = strategy.to_json();
    assert_eq!(
        Strategy::from_json(written.as_bytes()).as_ref(),
        Ok(&strategy),
        "{written}"
    );
}
