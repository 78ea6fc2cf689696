//! Exact heap-allocation counts of the codec's hot paths.
//!
//! dhat's allocator (in its testing mode) counts every heap block allocated, reallocations
//! included; each check reads the count before and after the code under test.
//!
//! The promises checked: parsing and encoding a traceparent, making a child, and rejecting
//! an invalid traceparent allocate nothing; parsing a canonical tracestate allocates exactly
//! one buffer whatever the member count; reading it back with `as_str` allocates nothing.

use std::hint::black_box;

use tctx::{TraceState, Traceparent};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Runs `f` and returns its result with the number of heap blocks allocated meanwhile.
///
/// dhat counts for the whole process, so the checks below run one after another inside a
/// single test: nothing else in this binary allocates while one is measured.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = dhat::HeapStats::get().total_blocks;
    let result = f();
    let after = dhat::HeapStats::get().total_blocks;
    (result, after - before)
}

const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A canonical tracestate header (no whitespace, no duplicates) of `members` members.
fn canonical_tracestate(members: usize) -> String {
    (0..members)
        .map(|i| match i % 3 {
            0 => format!("vendor{i}=00f067aa0ba902b7"),
            1 => format!("tenant{i}@rojo=t61rcWkgMzE"),
            _ => format!("dd{i}=s:1;o:rum;t.dm:-0"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn the_counter_sees_allocations() {
    let (boxed, count) = allocations(|| black_box(Box::new(black_box(7u64))));
    assert_eq!(*boxed, 7);
    assert_eq!(count, 1);
}

fn traceparent_parse_allocates_nothing() {
    let (parsed, count) = allocations(|| Traceparent::parse(black_box(VALID)));
    assert!(parsed.is_ok());
    assert_eq!(count, 0);

    let (parsed, count) = allocations(|| Traceparent::parse_bytes(black_box(VALID.as_bytes())));
    assert!(parsed.is_ok());
    assert_eq!(count, 0);
}

fn traceparent_encode_allocates_nothing() {
    let tp = Traceparent::parse(VALID).unwrap();
    let mut buf = [0u8; Traceparent::ENCODED_LEN];
    let (len, count) = allocations(|| black_box(&tp).encode(&mut buf).len());
    assert_eq!(count, 0);
    assert_eq!(len, Traceparent::ENCODED_LEN);
    assert_eq!(&buf[..], VALID.as_bytes());
}

fn traceparent_child_allocates_nothing_once_the_thread_rng_is_warm() {
    let tp = Traceparent::parse(VALID).unwrap();
    // The first use of the thread-local generator on this thread may allocate its state.
    let _ = black_box(tp.child());
    let (children, count) = allocations(|| {
        [
            black_box(&tp).child(),
            black_box(&tp).child(),
            black_box(&tp).child(),
        ]
    });
    assert_eq!(count, 0);
    assert!(children.iter().all(|c| c.trace_id() == tp.trace_id()));
}

fn traceparent_parse_error_allocates_nothing() {
    for invalid in [
        "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "",
    ] {
        let (parsed, count) = allocations(|| Traceparent::parse(black_box(invalid)));
        assert!(parsed.is_err(), "{invalid:?} should be rejected");
        assert_eq!(count, 0, "rejecting {invalid:?} allocated");
    }
}

fn tracestate_parse_allocates_exactly_once() {
    for members in [1, 8, 32] {
        let header = canonical_tracestate(members);
        let (state, count) = allocations(|| TraceState::parse(black_box(&header)));
        let state = state.unwrap();
        assert_eq!(state.len(), members);
        assert_eq!(count, 1, "parsing {members} members");
    }
}

fn tracestate_as_str_allocates_nothing() {
    let header = canonical_tracestate(8);
    let state = TraceState::parse(&header).unwrap();
    let (encoded, count) = allocations(|| black_box(&state).as_str().len());
    assert_eq!(count, 0);
    assert_eq!(encoded, header.len());

    // Under the limit, truncation borrows the header too.
    let (truncated, count) = allocations(|| black_box(&state).encode_truncated(512));
    assert_eq!(count, 0);
    assert_eq!(truncated, header.as_str());
}

#[test]
fn hot_paths_allocate_as_promised() {
    let _profiler = dhat::Profiler::builder().testing().build();
    the_counter_sees_allocations();
    traceparent_parse_allocates_nothing();
    traceparent_encode_allocates_nothing();
    traceparent_child_allocates_nothing_once_the_thread_rng_is_warm();
    traceparent_parse_error_allocates_nothing();
    tracestate_parse_allocates_exactly_once();
    tracestate_as_str_allocates_nothing();
}
