//! Shared by the statistical tests: ids from a seeded generator, so that a count checked
//! against a binomial bound is the same on every run and never fails by chance.

use std::sync::Mutex;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::IdGenerator;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// An `IdGenerator` for `SdkTracerProvider::builder().with_id_generator(...)`: uniform,
/// never-zero ids from `StdRng::seed_from_u64(seed)`.
#[derive(Debug)]
pub struct SeededIds(Mutex<StdRng>);

impl SeededIds {
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }

    fn draw<T>(&self, draw: impl Fn(&mut StdRng) -> Option<T>) -> T {
        let mut rng = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if let Some(id) = draw(&mut rng) {
                return id;
            }
        }
    }
}

impl IdGenerator for SeededIds {
    fn new_trace_id(&self) -> TraceId {
        self.draw(|rng| {
            Some(rng.random::<u128>())
                .filter(|&id| id != 0)
                .map(TraceId::from)
        })
    }

    fn new_span_id(&self) -> SpanId {
        self.draw(|rng| {
            Some(rng.random::<u64>())
                .filter(|&id| id != 0)
                .map(SpanId::from)
        })
    }
}
