//! Speed of the `tctx` codec next to the stock OpenTelemetry code that does the same job.
//!
//! Each criterion group holds the two sides of one operation, `tctx` and `opentelemetry`, on
//! the same input, so their medians can be read off one after the other:
//!
//! - `traceparent_parse/{valid,invalid_early,invalid_late}`: [`Traceparent::parse`] against a
//!   copy of the steps `opentelemetry_sdk`'s `TraceContextPropagator` takes to extract a
//!   traceparent (see [`otel_parse_traceparent`]);
//! - `traceparent_encode`: [`Traceparent::encode`] into a stack buffer against the `format!`
//!   of the stock `inject_context`;
//! - `traceparent_child`: [`Traceparent::child`] against a new `SpanContext` with a span id
//!   from the SDK's `RandomIdGenerator`;
//! - `tracestate_parse/{1,8,32}`: [`TraceState::parse`] against
//!   `opentelemetry::trace::TraceState::from_str` on headers of 1, 8 and 32 members;
//! - `tracestate_set/{new_key,existing_key}`: [`TraceState::set`] against `TraceState::insert`
//!   on an 8-member state;
//! - `tracestate_encode`: [`TraceState::as_str`] and [`TraceState::encode_truncated`] against
//!   `TraceState::header`.
//!
//! Run them all with `cargo bench --bench codec`, or one group with a filter, for example
//! `cargo bench --bench codec -- tracestate_parse`.

use std::hint::black_box;
use std::str::FromStr;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use opentelemetry::trace::{
    SpanContext, SpanId as OtelSpanId, TraceFlags, TraceId as OtelTraceId,
    TraceState as OtelTraceState,
};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
use tctx::{TraceState, Traceparent};

/// The example header of the W3C specification.
const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// Fails on its first field: `g` is not a hex digit of the version.
const INVALID_EARLY: &str = "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// Fails on its last field: `g` is not a hex digit of the flags.
const INVALID_LATE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g";

/// Highest traceparent version the stock propagator accepts (`MAX_VERSION` there).
const OTEL_MAX_VERSION: u8 = 254;
/// The version the stock propagator writes (`SUPPORTED_VERSION` there).
const OTEL_SUPPORTED_VERSION: u8 = 0;

/// A faithful copy of the steps of `opentelemetry_sdk` 0.33's private
/// `TraceContextPropagator::extract_span_context`, for the traceparent alone: trim, split on
/// `-` with `split_terminator` into a `Vec`, check the part count and the version with
/// `u8::from_str_radix`, reject uppercase in each field, parse the ids with
/// `TraceId::from_hex` / `SpanId::from_hex` and the flags with `u8::from_str_radix`, keep only
/// the sampled flag, build a remote `SpanContext` and check that it is valid.
///
/// Only the `Extractor` lookups are left out (the value is passed in) and the tracestate is
/// the empty default, which is what the stock code builds when no tracestate header came. It
/// returns `Option` where the original returns `Result<_, ()>`.
fn otel_parse_traceparent(header_value: &str) -> Option<SpanContext> {
    let header_value = header_value.trim();
    let parts = header_value.split_terminator('-').collect::<Vec<&str>>();
    if parts.len() < 4 {
        return None;
    }

    let version = u8::from_str_radix(parts[0], 16).ok()?;
    if version > OTEL_MAX_VERSION || version == 0 && parts.len() != 4 {
        return None;
    }

    if parts[1].chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let trace_id = OtelTraceId::from_hex(parts[1]).ok()?;

    if parts[2].chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let span_id = OtelSpanId::from_hex(parts[2]).ok()?;

    if parts[3].chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let opts = u8::from_str_radix(parts[3], 16).ok()?;
    let trace_flags = TraceFlags::new(opts) & TraceFlags::SAMPLED;

    let span_context = SpanContext::new(
        trace_id,
        span_id,
        trace_flags,
        true,
        OtelTraceState::default(),
    );
    if !span_context.is_valid() {
        return None;
    }
    Some(span_context)
}

/// The traceparent value the stock `inject_context` writes, with its exact format string.
fn otel_encode_traceparent(span_context: &SpanContext) -> String {
    format!(
        "{:02x}-{}-{}-{:02x}",
        OTEL_SUPPORTED_VERSION,
        span_context.trace_id(),
        span_context.span_id(),
        span_context.trace_flags() & TraceFlags::SAMPLED
    )
}

/// A canonical tracestate header (no whitespace) of `members` realistic members, with keys
/// that both codecs accept, multi-tenant `tenant@vendor` keys among them.
fn tracestate_header(members: usize) -> String {
    (0..members)
        .map(|i| match i % 4 {
            0 => format!("vendor{i}=00f067aa0ba902b7"),
            1 => format!("congo{i}=t61rcWkgMzE"),
            2 => format!("tenant{i}@rojo=00f067aa0ba902b7"),
            _ => format!("dd{i}=s:1;o:rum;t.dm:-0"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn traceparent_parse(c: &mut Criterion) {
    // Both sides must agree on every input, or the comparison means nothing.
    assert!(Traceparent::parse(VALID).is_ok() && otel_parse_traceparent(VALID).is_some());
    for invalid in [INVALID_EARLY, INVALID_LATE] {
        assert!(Traceparent::parse(invalid).is_err());
        assert!(otel_parse_traceparent(invalid).is_none());
    }

    let mut group = c.benchmark_group("traceparent_parse");
    for (name, input) in [
        ("valid", VALID),
        ("invalid_early", INVALID_EARLY),
        ("invalid_late", INVALID_LATE),
    ] {
        group.bench_function(BenchmarkId::new("tctx", name), |b| {
            b.iter(|| Traceparent::parse(black_box(input)));
        });
        group.bench_function(BenchmarkId::new("opentelemetry", name), |b| {
            b.iter(|| otel_parse_traceparent(black_box(input)));
        });
    }
    group.finish();
}

fn traceparent_encode(c: &mut Criterion) {
    let tp = Traceparent::parse(VALID).expect("valid traceparent");
    let sc = otel_parse_traceparent(VALID).expect("valid traceparent");
    let mut buf = [0u8; Traceparent::ENCODED_LEN];
    assert_eq!(tp.encode(&mut buf), VALID);
    assert_eq!(otel_encode_traceparent(&sc), VALID);

    let mut group = c.benchmark_group("traceparent_encode");
    group.bench_function("tctx", |b| {
        b.iter(|| {
            let mut buf = [0u8; Traceparent::ENCODED_LEN];
            black_box(black_box(&tp).encode(&mut buf));
        });
    });
    group.bench_function("opentelemetry", |b| {
        b.iter(|| otel_encode_traceparent(black_box(&sc)));
    });
    group.finish();
}

fn traceparent_child(c: &mut Criterion) {
    let tp = Traceparent::parse(VALID).expect("valid traceparent");
    let sc = otel_parse_traceparent(VALID).expect("valid traceparent");
    let generator = RandomIdGenerator::default();

    let mut group = c.benchmark_group("traceparent_child");
    group.bench_function("tctx", |b| {
        b.iter(|| black_box(&tp).child());
    });
    group.bench_function("opentelemetry", |b| {
        b.iter(|| {
            // What the SDK tracer does for a child span: same trace id, flags and state,
            // a span id from the id generator.
            let parent = black_box(&sc);
            SpanContext::new(
                parent.trace_id(),
                generator.new_span_id(),
                parent.trace_flags(),
                false,
                parent.trace_state().clone(),
            )
        });
    });
    group.finish();
}

fn tracestate_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("tracestate_parse");
    for members in [1, 8, 32] {
        let header = tracestate_header(members);
        // Checked once, outside the timing loop: both sides accept the header whole.
        let ours = TraceState::parse(&header).expect("tctx accepts the header");
        let stock = OtelTraceState::from_str(&header).expect("OpenTelemetry accepts the header");
        assert_eq!(ours.len(), members);
        assert_eq!(ours.as_str(), header);
        assert_eq!(stock.header(), header);

        group.bench_with_input(BenchmarkId::new("tctx", members), &header, |b, header| {
            b.iter(|| TraceState::parse(black_box(header)));
        });
        group.bench_with_input(
            BenchmarkId::new("opentelemetry", members),
            &header,
            |b, header| {
                b.iter(|| OtelTraceState::from_str(black_box(header)));
            },
        );
    }
    group.finish();
}

fn tracestate_set(c: &mut Criterion) {
    let header = tracestate_header(8);
    let ours = TraceState::parse(&header).expect("tctx accepts the header");
    let stock = OtelTraceState::from_str(&header).expect("OpenTelemetry accepts the header");
    let new_value = "1f2e3d4c5b6a7988";
    let mut group = c.benchmark_group("tracestate_set");
    // A key not yet present (the list grows to 9), and the fifth member updated and moved to
    // the front.
    for (name, key) in [("new_key", "zipkin"), ("existing_key", "vendor4")] {
        let mut check = ours.clone();
        check.set(key, new_value).expect("tctx accepts the member");
        let stock_check = stock
            .insert(key, new_value)
            .expect("OpenTelemetry accepts it");
        assert_eq!(check.as_str(), stock_check.header());

        // `iter_batched_ref` clones the state outside the timing and drops it there too.
        group.bench_function(BenchmarkId::new("tctx", name), |b| {
            b.iter_batched_ref(
                || ours.clone(),
                |state| state.set(black_box(key), black_box(new_value)),
                BatchSize::SmallInput,
            );
        });
        // `insert` takes `&self` and returns a new state: its clone is part of the API.
        group.bench_function(BenchmarkId::new("opentelemetry", name), |b| {
            b.iter_batched_ref(
                || stock.clone(),
                |state| state.insert(black_box(key), black_box(new_value)),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

fn tracestate_encode(c: &mut Criterion) {
    let header = tracestate_header(8);
    let ours = TraceState::parse(&header).expect("tctx accepts the header");
    let stock = OtelTraceState::from_str(&header).expect("OpenTelemetry accepts the header");
    assert_eq!(ours.encode_truncated(512), header.as_str());
    assert_eq!(stock.header(), header);

    let mut group = c.benchmark_group("tracestate_encode");
    group.bench_function(BenchmarkId::new("tctx", "as_str"), |b| {
        b.iter(|| black_box(black_box(&ours).as_str()).len());
    });
    group.bench_function(BenchmarkId::new("tctx", "encode_truncated_512"), |b| {
        b.iter(|| black_box(&ours).encode_truncated(black_box(512)));
    });
    group.bench_function(BenchmarkId::new("opentelemetry", "header"), |b| {
        b.iter(|| black_box(&stock).header());
    });
    group.finish();
}

criterion_group!(
    benches,
    traceparent_parse,
    traceparent_encode,
    traceparent_child,
    tracestate_parse,
    tracestate_set,
    tracestate_encode
);
criterion_main!(benches);
