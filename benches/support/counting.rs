//! Criterion groups whose rows can also be run a given number of times, for callgrind: with
//! `TCTX_BENCH_ROW` set to a row's full name (`<group>/<row>`), the bench binary skips
//! criterion, runs that row's closure `TCTX_BENCH_ITERS` times (default 1000) and exits.
//! `benches/callgrind.sh` runs a row with two counts and prints instructions per call.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};

/// A criterion group, or under `TCTX_BENCH_ROW` the one row to count instructions of.
pub struct Group<'c> {
    name: String,
    criterion: Option<BenchmarkGroup<'c, WallTime>>,
}

/// `TCTX_BENCH_ROW` and `TCTX_BENCH_ITERS`, when set: see the module docs.
pub fn counted_row() -> Option<(String, u64)> {
    let row = std::env::var("TCTX_BENCH_ROW").ok()?;
    let iters = std::env::var("TCTX_BENCH_ITERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    Some((row, iters))
}

impl<'c> Group<'c> {
    pub fn new(c: &'c mut Criterion, name: impl Into<String>) -> Self {
        let name = name.into();
        let criterion = counted_row().is_none().then(|| c.benchmark_group(&name));
        Self { name, criterion }
    }

    /// Benchmarks `f` as `<group>/<row>`; in counting mode, runs it the given number of times
    /// if it is the row asked for, and ends the process.
    pub fn row<R>(&mut self, row: &str, mut f: impl FnMut() -> R) {
        match (&mut self.criterion, counted_row()) {
            (Some(group), _) => {
                group.bench_function(row, |b| b.iter(&mut f));
            }
            (None, Some((wanted, iters))) if wanted == format!("{}/{row}", self.name) => {
                for _ in 0..iters {
                    black_box(f());
                }
                std::process::exit(0);
            }
            (None, _) => {}
        }
    }

    pub fn finish(self) {
        if let Some(group) = self.criterion {
            group.finish();
        }
    }
}
