//! The trace context metric of `Server-Timing`: W3C Trace Context Level 2,
//! `21-http_response_header_format.md`, one table row per rule with its reason.

use tctx::{ParseErrorKind, Traceparent};

const METRIC: &str = "trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const EXPECTED: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

#[rustfmt::skip]
const VALID: &[(&str, &str, &str)] = &[
    (METRIC, EXPECTED, "Trace Context Metric: the example header"),
    ("TRACE;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", EXPECTED,
     "Metric Name: ASCII case-insensitive"),
    ("Trace;DESC=\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"", EXPECTED,
     "Server Timing: a parameter value may be a quoted string; parameter names are case-insensitive"),
    ("db;dur=53, trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01, cache;desc=hit", EXPECTED,
     "Server Timing: one metric among others"),
    ("trace ; dur=0 ; desc = 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", EXPECTED,
     "Server Timing: optional whitespace around ';' and '=', other parameters first"),
    ("trace;desc=\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-\\01\"", EXPECTED,
     "Server Timing: a quoted-pair stands for the character it escapes"),
    ("trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
     "Other Flags: only sampled and random are supported; other bits set to zero"),
    ("trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01, trace;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", EXPECTED,
     "the first trace metric counts"),
    ("db dur=1, trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", EXPECTED,
     "a malformed metric before it is skipped"),
    ("x;desc=\"a, trace;desc=1\", trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", EXPECTED,
     "a comma inside a quoted string does not end the metric"),
];

#[rustfmt::skip]
const INVALID: &[(&str, ParseErrorKind, &str)] = &[
    ("", ParseErrorKind::MissingMetric, "an empty header has no metric"),
    ("db;dur=53, cache;desc=hit", ParseErrorKind::MissingMetric, "no trace metric"),
    ("trace", ParseErrorKind::MissingMetric, "Metric Description Format: the description is required"),
    ("trace;dur=1", ParseErrorKind::MissingMetric, "the description is the desc parameter"),
    ("trace;desc=", ParseErrorKind::MissingMetric, "an empty description"),
    ("traces;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ParseErrorKind::MissingMetric,
     "Metric Name: exactly trace"),
    ("trace;desc=00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", ParseErrorKind::ParentId,
     "span-id: MUST ignore the metric when the span id is invalid (all zeros)"),
    ("trace;desc=00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01", ParseErrorKind::ParentId,
     "span-id: MUST ignore the metric for non-lowercase hex characters"),
    ("trace;desc=00-00000000000000000000000000000000-b7ad6b7169203331-01", ParseErrorKind::TraceId,
     "trace-id: all zeroes forbidden"),
    ("trace;desc=ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ParseErrorKind::ForbiddenVersion,
     "version: version ff is invalid"),
    ("trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1", ParseErrorKind::Length,
     "trace-flags: 2HEXDIGLC"),
    ("trace;desc=\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ParseErrorKind::MissingMetric,
     "an unterminated quoted string is no value"),
];

#[test]
fn valid_metrics_are_read() {
    for (header, expected, reason) in VALID {
        let tp =
            Traceparent::parse_server_timing(header).unwrap_or_else(|e| panic!("{reason}: {e}"));
        assert_eq!(tp.to_string(), *expected, "{reason}");
    }
}

#[test]
fn invalid_metrics_are_ignored_with_the_rule_that_broke() {
    for (header, kind, reason) in INVALID {
        let err = Traceparent::parse_server_timing(header).expect_err(reason);
        assert_eq!(err.kind(), *kind, "{reason}: {err}");
        assert!(err.offset() <= header.len(), "{reason}");
    }
}

#[test]
fn error_offsets_are_within_the_header() {
    let header = "db;dur=1, trace;desc=00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01";
    let err = Traceparent::parse_server_timing(header).unwrap_err();
    assert_eq!(&header[err.offset()..err.offset() + 16], "0000000000000000");
}

#[test]
fn encode_writes_the_example_and_round_trips() {
    let tp = Traceparent::parse(EXPECTED).unwrap();
    let mut buf = [0u8; Traceparent::SERVER_TIMING_LEN];
    assert_eq!(tp.encode_server_timing(&mut buf), METRIC);
    assert_eq!(Traceparent::SERVER_TIMING_LEN, METRIC.len());
    let made = Traceparent::make();
    assert_eq!(
        Traceparent::parse_server_timing(made.encode_server_timing(&mut buf)),
        Ok(made)
    );
}

#[test]
fn long_escaped_descriptions_are_bounded() {
    let long = format!("trace;desc=\"{}\"", "\\a".repeat(10_000));
    let err = Traceparent::parse_server_timing(&long).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Length);
}

#[test]
fn several_fields_read_as_their_joined_value() {
    // RFC 9110 section 5.3, Field Order: fields combine by joining them with ", ". Each case
    // gives the same result field by field as joined, a quoted string spanning fields too.
    #[rustfmt::skip]
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (&["db;dur=53", METRIC], Some(EXPECTED), "the trace metric in the second field"),
        (&["x;desc=\"open", METRIC], None, "a quoted string left open swallows the next field"),
        (&["x;desc=\"open", "still open\"", METRIC], Some(EXPECTED), "and closes in a later one"),
        (&["trace;desc=\"00-0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331-01\""], None,
         "a description spanning fields holds the joining comma"),
        (&["", METRIC], Some(EXPECTED), "an empty field"),
        (&[], None, "no field"),
    ];
    for (fields, expected, reason) in cases {
        let by_fields = Traceparent::parse_server_timing_all(fields.iter().copied());
        let joined = Traceparent::parse_server_timing(&fields.join(", "));
        assert_eq!(by_fields, joined, "{reason}");
        assert_eq!(
            by_fields.ok().map(|tp| tp.to_string()).as_deref(),
            *expected,
            "{reason}"
        );
    }
}
