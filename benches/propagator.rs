//! `tctx::TraceContextPropagator` next to `opentelemetry_sdk`'s stock `TraceContextPropagator`,
//! in the same criterion groups, with two carriers: a `HashMap<String, String>` and an
//! `http::HeaderMap` behind opentelemetry-http's `HeaderExtractor` / `HeaderInjector`.
//!
//! The tracestate of `n` members is `vendor0=00f067aa0ba902b7,...` with every fourth key a
//! multi-tenant one (`tenant3@system`, `tenant7@system`, ...), which both propagators accept.
//!
//! Each extract group also has a `floor`: what any propagator must pay for that input, namely
//! the carrier lookups of both headers, the `Context` holding a remote span context, and the
//! OpenTelemetry `TraceState` built from the members (two `String`s each).
//!
//! Four groups have an `api_floor` too (issue 15): what any spec-exact Level 2 propagator pays
//! through OpenTelemetry 0.33's API with parsing and encoding free, one function per row:
//! - [`api_floor_extract_01`] (`extract_traceparent_only`): the carrier's `get_all` for both
//!   fields (a repeated `traceparent` is invalid, `tracestate` fields combine), the `Context`
//!   holding the span context, and one `Context::with_value` entry, which a `-01` header
//!   needs: nothing else keeps "not random" through the SDK. A static context (emptiness is
//!   not observable without `Debug`, which costs more), a private flag bit (the SDK zeroes
//!   dropped spans' flags, and flags reach exporters), a private tracestate member (it is
//!   exported), marking the random case instead (roots lose the bit), deciding at inject (a
//!   local child looks like a local root) and a process-wide table (probabilistic) each
//!   break behaviour or cost more.
//! - [`api_floor_extract_members`] (`extract_tracestate_8`, flags `03`): both `get_all`s,
//!   `TraceState::from_key_value` with its own validation, the `Context`.
//! - [`api_floor_inject`] (`inject_empty_tracestate`, `inject_tracestate_8`): one `Context`
//!   lookup (its span), the carrier's `set` and one `String` per header, the values already
//!   encoded.
//!
//! - `extract_<input>/<carrier>/{tctx,opentelemetry,floor}` for inputs `traceparent_only`
//!   (flags `01`: tctx adds one context entry to keep the upstream random bit unset),
//!   `traceparent_only_random` (flags `03`: no entry needed), `tracestate_1`, `tracestate_8`,
//!   `tracestate_32` (flags `03`), `invalid` and `missing`;
//! - `inject_<input>/<carrier>/{tctx,opentelemetry,floor,api_floor}` for `empty_tracestate` and
//!   `tracestate_8` (extracted from a `-01` header); the floor hands the carrier the finished
//!   header values as the owned `String`s the `Injector` API demands;
//! - `round_trip/{tctx,opentelemetry}`: extract, start a child span with an
//!   `SdkTracerProvider`, inject, as a server does for each request.
//!
//! Run with `cargo bench --bench propagator`, or one group with a filter such as
//! `cargo bench --bench propagator -- extract_traceparent_only`.
//!
//! # Instructions per call (callgrind)
//!
//! Timings on a shared machine are noisy; instruction counts are not. With `TCTX_BENCH_ROW`
//! set to a row's full name, the binary skips criterion, runs that row's closure
//! `TCTX_BENCH_ITERS` times and exits. Run it under callgrind twice, with two counts, and
//! divide the difference of the totals by the difference of the counts: setup cancels out.
//!
//! ```sh
//! cargo bench --bench propagator --no-run   # profile.bench keeps debug info
//! bin=$(ls -t target/release/deps/propagator-* | grep -v '\.d$' | head -1)
//! for n in 1000 11000; do
//!   TCTX_BENCH_ROW=extract_traceparent_only/hashmap/tctx TCTX_BENCH_ITERS=$n \
//!     valgrind --tool=callgrind --callgrind-out-file=cg.$n "$bin" 2>&1 | grep 'refs'
//! done   # (refs(11000) - refs(1000)) / 10000 = instructions per call
//! callgrind_annotate --inclusive=yes cg.11000 | head -40   # where they go
//! ```
//!
//! `benches/callgrind.sh <bench> <row>...` does exactly this and prints one line per row.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer, TracerProvider,
};
use opentelemetry::Context;
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::TraceContextPropagator as StockPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};

#[path = "support/counting.rs"]
mod counting;
use counting::Group;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACEPARENT_RANDOM: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";
const INVALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x";

/// A tracestate of `members` Level 1 members, which both propagators accept: every fourth
/// key is a multi-tenant one.
fn tracestate(members: usize) -> String {
    (0..members)
        .map(|i| {
            if i % 4 == 3 {
                format!("tenant{i}@system=00f067aa0ba902b7")
            } else {
                format!("vendor{i}=00f067aa0ba902b7")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn hash_map(traceparent: Option<&str>, tracestate: Option<&str>) -> HashMap<String, String> {
    let mut carrier = HashMap::new();
    if let Some(value) = traceparent {
        carrier.insert("traceparent".to_owned(), value.to_owned());
    }
    if let Some(value) = tracestate {
        carrier.insert("tracestate".to_owned(), value.to_owned());
    }
    carrier
}

fn header_map(traceparent: Option<&str>, tracestate: Option<&str>) -> HeaderMap {
    let mut carrier = HeaderMap::new();
    // Typical request headers around the two that matter.
    carrier.insert("host", HeaderValue::from_static("cart.internal"));
    carrier.insert("accept", HeaderValue::from_static("application/json"));
    carrier.insert("user-agent", HeaderValue::from_static("gateway/1.0"));
    if let Some(value) = traceparent {
        carrier.insert("traceparent", HeaderValue::from_str(value).unwrap());
    }
    if let Some(value) = tracestate {
        carrier.insert("tracestate", HeaderValue::from_str(value).unwrap());
    }
    carrier
}

/// The span context every floor builds: the ids of the benchmark's headers.
fn floor_span_context(flags: TraceFlags, state: TraceState) -> SpanContext {
    SpanContext::new(
        TraceId::from_bytes([0x4b; 16]),
        SpanId::from_bytes([0x0f; 8]),
        flags,
        true,
        state,
    )
}

/// The unavoidable cost of an extract: both lookups, the OpenTelemetry `TraceState` of the
/// members, and the context. Parsing costs nothing here: the values are known good.
fn floor(extractor: &dyn Extractor, members: &[(String, String)]) -> Context {
    let traceparent = extractor.get("traceparent");
    let tracestate = extractor.get("tracestate");
    black_box((traceparent, tracestate));
    let state = if members.is_empty() {
        TraceState::NONE
    } else {
        TraceState::from_key_value(members.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap()
    };
    Context::new().with_remote_span_context(floor_span_context(TraceFlags::SAMPLED, state))
}

/// What a spec-exact Level 2 extract of a `-01` header pays through OpenTelemetry's API: see
/// the module docs. The entry is a value of the size of tctx's (a trace-id and a flag).
fn api_floor_extract_01(extractor: &dyn Extractor) -> Context {
    /// A context entry the size of tctx's: a trace-id and a flag.
    #[allow(dead_code)]
    struct NotRandom(TraceId, bool, Option<Box<()>>);
    black_box(extractor.get_all("traceparent"));
    black_box(extractor.get_all("tracestate"));
    let span_context = floor_span_context(TraceFlags::SAMPLED, TraceState::NONE);
    Context::new()
        .with_remote_span_context(span_context)
        .with_value(NotRandom(TraceId::from_bytes([0x4b; 16]), false, None))
}

/// What a spec-exact Level 2 extract of a random (`-03`) header with `members` pays through
/// OpenTelemetry's API: see the module docs.
fn api_floor_extract_members(extractor: &dyn Extractor, members: &[(&str, &str)]) -> Context {
    black_box(extractor.get_all("traceparent"));
    black_box(extractor.get_all("tracestate"));
    let state = TraceState::from_key_value(members.iter().copied()).unwrap();
    let flags = TraceFlags::new(0x03);
    Context::new().with_remote_span_context(floor_span_context(flags, state))
}

/// What any inject pays through OpenTelemetry's API: one `Context` lookup, and the
/// carrier's `set` of one owned `String` per header, the values already encoded.
fn api_floor_inject(cx: &Context, headers: &[(&'static str, String)], injector: &mut dyn Injector) {
    black_box(cx.span().span_context().is_valid());
    for (name, value) in headers {
        injector.set(name, value.as_str().to_owned());
    }
}

fn extract(c: &mut Criterion) {
    let tctx = tctx::TraceContextPropagator::new();
    let stock = StockPropagator::new();
    let state_1 = tracestate(1);
    let state_8 = tracestate(8);
    let state_32 = tracestate(32);
    let inputs: [(&str, Option<&str>, Option<&str>); 7] = [
        ("traceparent_only", Some(TRACEPARENT), None),
        ("traceparent_only_random", Some(TRACEPARENT_RANDOM), None),
        ("tracestate_1", Some(TRACEPARENT_RANDOM), Some(&state_1)),
        ("tracestate_8", Some(TRACEPARENT_RANDOM), Some(&state_8)),
        ("tracestate_32", Some(TRACEPARENT_RANDOM), Some(&state_32)),
        ("invalid", Some(INVALID), Some(&state_8)),
        ("missing", None, None),
    ];
    for (name, traceparent, tracestate) in inputs {
        let members: Vec<(String, String)> = match (traceparent, tracestate) {
            (Some(tp), Some(ts)) if tp != INVALID => ts
                .split(',')
                .map(|m| {
                    let (k, v) = m.split_once('=').unwrap();
                    (k.to_owned(), v.to_owned())
                })
                .collect(),
            _ => Vec::new(),
        };
        let member_strs: Vec<(&str, &str)> = members
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let hash_map = hash_map(traceparent, tracestate);
        let header_map = header_map(traceparent, tracestate);
        let header_extractor = HeaderExtractor(&header_map);
        let carriers: [(&str, &dyn Extractor); 2] =
            [("hashmap", &hash_map), ("headermap", &header_extractor)];

        let mut group = Group::new(c, format!("extract_{name}"));
        for (carrier_name, carrier) in carriers {
            // Both must see the same trace, or the comparison means nothing.
            // (tctx keeps the random flag, which stock drops.)
            let (ours, theirs) = (tctx.extract(carrier), stock.extract(carrier));
            let (ours, theirs) = (ours.span(), theirs.span());
            let (ours, theirs) = (ours.span_context(), theirs.span_context());
            assert_eq!(
                (
                    ours.trace_id(),
                    ours.span_id(),
                    ours.is_sampled(),
                    ours.trace_state()
                ),
                (
                    theirs.trace_id(),
                    theirs.span_id(),
                    theirs.is_sampled(),
                    theirs.trace_state()
                )
            );

            group.row(&format!("{carrier_name}/tctx"), || {
                tctx.extract_with_context(&Context::new(), black_box(carrier))
            });
            group.row(&format!("{carrier_name}/opentelemetry"), || {
                stock.extract_with_context(&Context::new(), black_box(carrier))
            });
            if traceparent.is_some_and(|tp| tp != INVALID) {
                group.row(&format!("{carrier_name}/floor"), || {
                    floor(black_box(carrier), &members)
                });
            }
            match name {
                "traceparent_only" => {
                    group.row(&format!("{carrier_name}/api_floor"), || {
                        api_floor_extract_01(black_box(carrier))
                    });
                }
                "tracestate_8" => {
                    group.row(&format!("{carrier_name}/api_floor"), || {
                        api_floor_extract_members(black_box(carrier), &member_strs)
                    });
                }
                _ => {}
            }
        }
        group.finish();
    }
}

/// What an HTTP client does per request: a fresh header map, then inject.
fn inject(c: &mut Criterion) {
    let tctx = tctx::TraceContextPropagator::new();
    let stock = StockPropagator::new();
    let state_8 = tracestate(8);
    for (name, tracestate) in [("empty_tracestate", None), ("tracestate_8", Some(&state_8))] {
        let incoming = hash_map(Some(TRACEPARENT), tracestate.map(String::as_str));
        let ours = tctx.extract(&incoming);
        let theirs = stock.extract(&incoming);

        let mut group = Group::new(c, format!("inject_{name}"));
        group.row("hashmap/tctx", || {
            let mut carrier = HashMap::with_capacity(2);
            tctx.inject_context(black_box(&ours), &mut carrier);
            carrier
        });
        group.row("hashmap/opentelemetry", || {
            let mut carrier = HashMap::with_capacity(2);
            stock.inject_context(black_box(&theirs), &mut carrier);
            carrier
        });
        group.row("headermap/tctx", || {
            let mut carrier = HeaderMap::with_capacity(2);
            tctx.inject_context(black_box(&ours), &mut HeaderInjector(&mut carrier));
            carrier
        });
        group.row("headermap/opentelemetry", || {
            let mut carrier = HeaderMap::with_capacity(2);
            stock.inject_context(black_box(&theirs), &mut HeaderInjector(&mut carrier));
            carrier
        });
        // The floor: the headers' values, already encoded, handed over as the owned
        // `String`s the `Injector` API demands.
        let headers: Vec<(&'static str, String)> = {
            let mut written = Collect(Vec::new());
            tctx.inject_context(&ours, &mut written);
            written
                .0
                .iter()
                .map(|(k, v)| (fields_name(k), v.clone()))
                .collect()
        };
        group.row("hashmap/floor", || {
            let mut carrier = HashMap::with_capacity(2);
            for (name, value) in black_box(&headers) {
                Injector::set(&mut carrier, name, value.as_str().to_owned());
            }
            carrier
        });
        group.row("headermap/floor", || {
            let mut carrier = HeaderMap::with_capacity(2);
            let mut injector = HeaderInjector(&mut carrier);
            for (name, value) in black_box(&headers) {
                injector.set(name, value.as_str().to_owned());
            }
            carrier
        });
        group.row("hashmap/api_floor", || {
            let mut carrier = HashMap::with_capacity(2);
            api_floor_inject(black_box(&ours), &headers, &mut carrier);
            carrier
        });
        group.row("headermap/api_floor", || {
            let mut carrier = HeaderMap::with_capacity(2);
            api_floor_inject(
                black_box(&ours),
                &headers,
                &mut HeaderInjector(&mut carrier),
            );
            carrier
        });
        group.finish();
    }
}

/// A server's work per request: extract, start a child span, inject into the outgoing call.
fn round_trip(c: &mut Criterion) {
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .build();
    let tracer = provider.tracer("bench");
    let incoming = header_map(Some(TRACEPARENT), Some(&tracestate(8)));
    let propagators: [(&str, Box<dyn TextMapPropagator>); 2] = [
        ("tctx", Box::new(tctx::TraceContextPropagator::new())),
        ("opentelemetry", Box::new(StockPropagator::new())),
    ];
    let mut group = Group::new(c, "round_trip");
    for (name, propagator) in &propagators {
        group.row(name, || {
            let parent = propagator
                .extract_with_context(&Context::new(), &HeaderExtractor(black_box(&incoming)));
            let span = tracer.start_with_context("GET /cart", &parent);
            let cx = parent.with_span(span);
            let mut outgoing = HeaderMap::with_capacity(2);
            propagator.inject_context(&cx, &mut HeaderInjector(&mut outgoing));
            outgoing
        });
    }
    group.finish();
}

/// The static name of a header tctx writes.
fn fields_name(name: &str) -> &'static str {
    if name == "traceparent" {
        "traceparent"
    } else {
        "tracestate"
    }
}

/// An injector for checks outside the timed loops.
struct Collect(Vec<(String, String)>);

impl Injector for Collect {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_owned(), value));
    }
}

fn check_round_trip_agrees() {
    let incoming = hash_map(Some(TRACEPARENT), Some(&tracestate(8)));
    let tctx = tctx::TraceContextPropagator::new();
    let stock = StockPropagator::new();
    let (mut ours, mut theirs) = (Collect(Vec::new()), Collect(Vec::new()));
    tctx.inject_context(&tctx.extract(&incoming), &mut ours);
    stock.inject_context(&stock.extract(&incoming), &mut theirs);
    assert_eq!(
        ours.0, theirs.0,
        "both propagators must write the same headers"
    );
}

fn benches(c: &mut Criterion) {
    check_round_trip_agrees();
    extract(c);
    inject(c);
    round_trip(c);
}

criterion_group!(propagator_benches, benches);
criterion_main!(propagator_benches);
