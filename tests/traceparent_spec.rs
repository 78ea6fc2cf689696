//! `traceparent` rules of W3C Trace Context Level 2, one table row per rule, each with its
//! reason and the section of `20-http_request_header_format.md` (unless noted) it comes from.

use tctx::{ParseErrorKind, SpanId, TraceId, Traceparent};

const FLAG_SAMPLED: u8 = Traceparent::FLAG_SAMPLED;
const FLAG_RANDOM: u8 = Traceparent::FLAG_RANDOM;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

/// Inputs that parse, and what they re-encode to (always version 00, known flags only).
#[rustfmt::skip]
const VALID: &[(&str, &str, &str)] = &[
    // (input, encoded, reason)
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     "Examples of HTTP traceparent Headers: caller sampled this request"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
     "Examples of HTTP traceparent Headers: caller didn't sample this request"),
    ("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
     "Relationship Between the Headers: the Congo example"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
     "trace-flags: 03 is sampled and random"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02",
     "Random Trace ID Flag: 02 is random, not sampled"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
     "Other Flags: unknown bits MUST be set to zero; sampled and random survive"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     "Other Flags: bit 3 is reserved and dropped, a bit field is not compared as a whole number"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fc", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
     "Other Flags: only reserved bits set means neither sampled nor random"),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     "Versioning of traceparent: a higher version of exactly 55 characters is parsed, re-encoded as 00"),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-like", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     "Versioning of traceparent: flags followed by a dash; unknown fields are not parsed"),
    ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     "Versioning of traceparent: flags followed by a dash and nothing else; unknown flags zeroed"),
    ("fe-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-XYZ\u{e9}", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     "Versioning of traceparent: MUST NOT parse or assume anything about unknown fields"),
    (" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     "optional leading space around the header value is ignored (RFC 9110 field values)"),
    ("\t00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \t", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
     "optional tabs and spaces on both sides are ignored (RFC 9110 field values)"),
    ("00-00000000000000000000000000000001-0000000000000001-01", "00-00000000000000000000000000000001-0000000000000001-01",
     "trace-id and parent-id: only all zeros is forbidden"),
];

/// Inputs that fail, with the rule that fails first.
#[rustfmt::skip]
const INVALID: &[(&str, ParseErrorKind, &str)] = &[
    ("", ParseErrorKind::Version,
     "version: an empty value has no version (processing model: restart the trace)"),
    ("   ", ParseErrorKind::Version, "version: whitespace only"),
    ("0", ParseErrorKind::Version, "version: 2HEXDIGLC"),
    ("00", ParseErrorKind::Version, "Versioning: the version is 2 hex characters followed by a dash"),
    ("000-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ParseErrorKind::Version,
     "Versioning: a 3-character version is not 2 hex characters followed by a dash"),
    ("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ParseErrorKind::Version,
     "version: g is not a hex digit"),
    ("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ParseErrorKind::Version,
     "version: HEXDIGLC is lowercase only"),
    ("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ParseErrorKind::Version,
     "traceparent Header Field Values: the dash is the delimiter"),
    ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ParseErrorKind::ForbiddenVersion,
     "version: version ff is forbidden"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", ParseErrorKind::Length,
     "version-format: version 00 is 55 characters, this is 54"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-010", ParseErrorKind::Length,
     "version-format: version 00 has no trailing data"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", ParseErrorKind::Length,
     "version-format: only higher versions may add fields"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n", ParseErrorKind::Length,
     "a newline is not optional whitespace"),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", ParseErrorKind::Length,
     "Versioning: a higher version shorter than 55 characters restarts the trace"),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what-the-future-will-be-like", ParseErrorKind::Delimiter,
     "Versioning: the flags MUST be at the end of the string or followed by a dash"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01", ParseErrorKind::Delimiter,
     "version-format: a dash follows the trace-id"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01", ParseErrorKind::Delimiter,
     "version-format: a dash follows the parent-id"),
    ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01-", ParseErrorKind::Delimiter,
     "trace-id: 31 digits put the dash in the wrong place"),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-7-01", ParseErrorKind::Delimiter,
     "Versioning: the parent-id MUST be 16 hex characters followed by a dash"),
    ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", ParseErrorKind::TraceId,
     "trace-id: 32HEXDIGLC, uppercase is invalid"),
    ("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", ParseErrorKind::TraceId,
     "trace-id: non-allowed characters MUST ignore the entire header"),
    ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", ParseErrorKind::TraceId,
     "trace-id: all zeros MUST ignore the entire header"),
    ("00- 4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", ParseErrorKind::TraceId,
     "trace-id: whitespace inside a field is not hex"),
    ("cc-0000000000000000000000000000000-000f067aa0ba902b7-01", ParseErrorKind::Delimiter,
     "Versioning: the trace-id MUST be 32 hex characters followed by a dash"),
    ("cc-00000000000000000000000000000000-00f067aa0ba902b7-01", ParseErrorKind::TraceId,
     "Versioning: a higher version keeps the all-zero rule"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", ParseErrorKind::ParentId,
     "parent-id: all zeros is invalid"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", ParseErrorKind::ParentId,
     "parent-id: MUST ignore the traceparent when it contains non-lowercase hex characters"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", ParseErrorKind::ParentId,
     "parent-id: 16HEXDIGLC"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", ParseErrorKind::Flags,
     "trace-flags: 2HEXDIGLC"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", ParseErrorKind::Flags,
     "trace-flags: lowercase only"),
    ("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-.1-", ParseErrorKind::Flags,
     "Versioning: the flags of a higher version are still 2 hex characters"),
];

#[test]
fn valid_headers_parse_and_reencode_as_version_00() {
    for (input, encoded, reason) in VALID {
        let tp = Traceparent::parse(input).unwrap_or_else(|e| panic!("{reason}: {input:?}: {e}"));
        assert_eq!(tp.to_string(), *encoded, "{reason}");
        let mut buf = [0u8; Traceparent::ENCODED_LEN];
        assert_eq!(tp.encode(&mut buf), *encoded, "{reason}");
        assert_eq!(
            Traceparent::parse_bytes(input.as_bytes()),
            Ok(tp),
            "{reason}: bytes"
        );
        assert_eq!(input.parse::<Traceparent>(), Ok(tp), "{reason}: FromStr");
    }
}

#[test]
fn invalid_headers_fail_with_the_rule_that_broke() {
    for (input, kind, reason) in INVALID {
        let err = Traceparent::parse(input).expect_err(reason);
        assert_eq!(err.kind(), *kind, "{reason}: {input:?}: {err}");
        assert!(
            err.offset() <= input.len(),
            "{reason}: offset {}",
            err.offset()
        );
        assert_eq!(
            Traceparent::parse_bytes(input.as_bytes()),
            Err(err),
            "{reason}: bytes"
        );
    }
}

#[test]
fn error_offsets_point_at_the_failing_field() {
    #[rustfmt::skip]
    let cases = [
        ("xx-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 0),
        ("  00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", 5),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", 36),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz", 53),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736+00f067aa0ba902b7-01", 35),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", 52),
    ];
    for (input, offset) in cases {
        assert_eq!(
            Traceparent::parse(input).unwrap_err().offset(),
            offset,
            "{input}"
        );
    }
}

#[test]
fn invalid_utf8_is_an_error_not_a_panic() {
    let mut input = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_vec();
    input[10] = 0xff;
    let err = Traceparent::parse_bytes(&input).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TraceId);
    assert!(Traceparent::parse_bytes(&[0xff; 55]).is_err());
    assert!(Traceparent::parse_bytes(&[0xc3; 300]).is_err());
}

#[test]
fn every_field_is_reachable() {
    // Trace Anatomy (seeds, producer/consumer): version, trace-id, parent-id, flags.
    let tp = Traceparent::parse(&format!("00-{TRACE}-{PARENT}-01")).unwrap();
    assert_eq!(tp.trace_id().to_string(), TRACE);
    assert_eq!(tp.parent_id().to_string(), PARENT);
    assert_eq!(tp.flags(), FLAG_SAMPLED);
    assert!(tp.is_sampled());
    assert!(!tp.is_random());
}

#[test]
fn flag_constants_are_the_spec_bits() {
    // trace-flags: FLAG_SAMPLED = 00000001, FLAG_RANDOM = 00000010.
    assert_eq!(FLAG_SAMPLED, 0b01);
    assert_eq!(FLAG_RANDOM, 0b10);
}

#[test]
fn make_starts_a_sampled_random_trace() {
    // Seeds: "traceparent.make() creates a sampled trace with both FLAG_SAMPLE and FLAG_RANDOM".
    let tp = Traceparent::make();
    assert_eq!(tp.flags(), FLAG_SAMPLED | FLAG_RANDOM);
    assert!(tp.is_sampled() && tp.is_random());
    let text = tp.to_string();
    assert!(text.starts_with("00-") && text.ends_with("-03") && text.len() == 55);
    assert_eq!(Traceparent::parse(&text), Ok(tp));
}

#[test]
fn made_trace_ids_have_uniform_random_right_most_7_bytes() {
    // Random Trace ID Flag: when set, the right-most 7 bytes MUST be uniformly random over
    // [0, 2^56). Over 4096 ids each of the 56 bits is set about half the time; a constant or
    // counter-based generator fails this (p < 1e-9 for a fair one to leave [1700, 2400]).
    let mut ones = [0u32; 56];
    let mut seen = std::collections::HashSet::new();
    for _ in 0..4096 {
        let tp = Traceparent::make();
        assert!(seen.insert(tp.trace_id()), "trace-id repeated");
        let bytes = tp.trace_id().to_bytes();
        let mut low = [0u8; 8];
        low[1..].copy_from_slice(&bytes[9..]);
        let random = u64::from_be_bytes(low);
        for (bit, count) in ones.iter_mut().enumerate() {
            *count += u32::from(random >> bit & 1 == 1);
        }
    }
    for (bit, count) in ones.iter().enumerate() {
        assert!(
            (1700..=2400).contains(count),
            "bit {bit} set {count} of 4096 times"
        );
    }
}

#[test]
fn child_keeps_trace_id_and_flags_and_draws_a_new_parent_id() {
    // Mutating the traceparent Field: "Update parent-id" is the default mutation.
    let parent = Traceparent::parse(&format!("00-{TRACE}-{PARENT}-03")).unwrap();
    let first = parent.child();
    let second = parent.child();
    for child in [first, second] {
        assert_eq!(child.trace_id(), parent.trace_id());
        assert_eq!(child.flags(), parent.flags());
        assert_ne!(child.parent_id(), parent.parent_id());
    }
    // Seeds, Best Practices: siblings from one parent have distinct span ids.
    assert_ne!(first.parent_id(), second.parent_id());
}

#[test]
fn sample_and_unsample_flip_only_the_sampled_bit() {
    // Update sampled: toggled in both directions; the random bit is untouched.
    let mut tp = Traceparent::make().child();
    tp.unsample();
    assert_eq!(tp.flags(), FLAG_RANDOM);
    tp.unsample();
    assert_eq!(tp.flags(), FLAG_RANDOM);
    tp.sample();
    assert_eq!(tp.flags(), FLAG_SAMPLED | FLAG_RANDOM);

    let mut plain = Traceparent::parse(&format!("00-{TRACE}-{PARENT}-00")).unwrap();
    plain.sample();
    assert_eq!(plain.to_string(), format!("00-{TRACE}-{PARENT}-01"));
}

#[test]
fn new_drops_unknown_flags_and_ids_reject_zero() {
    let trace_id = TraceId::parse(TRACE).unwrap();
    let parent_id = SpanId::parse(PARENT).unwrap();
    let tp = Traceparent::new(trace_id, parent_id, 0xff);
    assert_eq!(tp.flags(), FLAG_SAMPLED | FLAG_RANDOM);
    assert_eq!(TraceId::from_bytes([0; 16]), None);
    assert_eq!(SpanId::from_bytes([0; 8]), None);
    assert_eq!(
        TraceId::parse("00000000000000000000000000000000")
            .unwrap_err()
            .kind(),
        ParseErrorKind::TraceId
    );
    assert_eq!(
        SpanId::parse("0000000000000000").unwrap_err().kind(),
        ParseErrorKind::ParentId
    );
}

#[test]
fn display_pads_like_a_string() {
    let tp = Traceparent::parse(&format!("00-{TRACE}-{PARENT}-01")).unwrap();
    assert_eq!(format!("{tp:>56}"), format!(" 00-{TRACE}-{PARENT}-01"));
    assert_eq!(format!("{:?}", tp.trace_id()), format!("TraceId({TRACE})"));
}
