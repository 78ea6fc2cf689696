//! The `th` and `rv` values of OpenTelemetry's consistent probability sampling, tested from
//! the specification text: `trace/tracestate-probability-sampling.md` ("Algorithms") and
//! `trace/tracestate-handling.md` ("Sampling threshold value th", "Explicit randomness value
//! rv"). The module under test is `tctx::probability`.

// Numbers are written as the specification prints them, to compare at a glance.
// Probabilities such as 0.25 are exact in binary and compared exactly.
#![allow(clippy::unreadable_literal, clippy::float_cmp)]

use std::borrow::Cow;

use proptest::prelude::*;
use tctx::probability::{OtValue, Randomness, Threshold, MAX_ADJUSTED_COUNT, MIN_PROBABILITY};
use tctx::{ParseErrorKind, TraceId};

/// "Converting floating-point probability to threshold value": the table of 1-in-N
/// probabilities at precision 3, 4 and 5, every row of it.
#[rustfmt::skip]
const PRECISION_TABLE: &[(f64, [&str; 3])] = &[
    (1.0,                ["0", "0", "0"]),
    (0.5,                ["8", "8", "8"]),
    (0.3333333333333333, ["aab", "aaab", "aaaab"]),
    (0.25,               ["c", "c", "c"]),
    (0.2,                ["ccd", "cccd", "ccccd"]),
    (0.125,              ["e", "e", "e"]),
    (0.1,                ["e66", "e666", "e6666"]),
    (0.0625,             ["f", "f", "f"]),
    (0.01,               ["fd71", "fd70a", "fd70a4"]),
    (0.001,              ["ffbe7", "ffbe77", "ffbe76d"]),
    (0.0001,             ["fff972", "fff9724", "fff97247"]),
    (0.00001,            ["ffff584", "ffff583a", "ffff583a5"]),
    (0.000001,           ["ffffef4", "ffffef39", "ffffef391"]),
];

#[test]
fn probability_to_threshold_matches_the_spec_table() {
    for (probability, expected) in PRECISION_TABLE {
        for (precision, want) in [3, 4, 5].into_iter().zip(expected) {
            let th = Threshold::from_probability_rounded(*probability, precision).unwrap();
            assert_eq!(
                th.to_string(),
                *want,
                "p = {probability}, precision {precision}"
            );
        }
    }
}

#[test]
fn default_precision_is_four_digits() {
    // "OpenTelemetry SDKs are recommended to use 4 digits of precision by default."
    for (probability, expected) in PRECISION_TABLE {
        assert_eq!(
            Threshold::from_probability(*probability)
                .unwrap()
                .to_string(),
            expected[1]
        );
    }
}

#[test]
fn actual_probabilities_and_adjusted_counts_match_the_spec_table() {
    // The table's "Actual probability" and "Exact Adjusted Count" columns at precision 4.
    let rows = [
        ("aaab", 0.3333282470703125, 3.00004577706569),
        ("e666", 0.100006103515625, 9.99938968568813),
        ("fd70a", 0.010000228881835938, 99.99771123402633),
        ("ffbe77", 0.0009999871253967285, 1000.012874769029),
    ];
    for (th, probability, adjusted_count) in rows {
        let th = Threshold::parse(th).unwrap();
        assert!((th.probability() - probability).abs() < 1e-15, "{th}");
        assert!(
            (th.adjusted_count() - adjusted_count).abs() < 1e-9 * adjusted_count,
            "{th}"
        );
    }
}

#[test]
fn one_percent_at_full_precision() {
    // "Rejection Threshold (T)": (1 - 0.01) * 2^56 ≈ 0xfd70a3d70a3d71 at full 56 bits; with
    // 5 digits of precision 0xfd70a400000000, written `th:fd70a4` ("trailing zeros are
    // removed").
    let exact = Threshold::from_probability_exact(0.01).unwrap();
    assert_eq!(exact.to_string(), "fd70a3d70a3d71");
    assert_eq!(
        Threshold::from_probability_rounded(0.01, 5).unwrap().bits(),
        0xfd70a400000000
    );
}

#[test]
fn probabilities_outside_the_valid_range_have_no_threshold() {
    // "sampling probability is valid in the range 2^-56 through 1": zero is "never".
    for p in [
        0.0,
        -0.5,
        1.000_000_1,
        f64::NAN,
        f64::INFINITY,
        MIN_PROBABILITY / 2.0,
    ] {
        assert!(Threshold::from_probability(p).is_err(), "{p}");
        assert!(Threshold::from_probability_exact(p).is_err(), "{p}");
    }
    assert_eq!(
        Threshold::from_probability_exact(MIN_PROBABILITY)
            .unwrap()
            .bits(),
        MAX_ADJUSTED_COUNT - 1
    );
    assert!(Threshold::from_probability(MIN_PROBABILITY).is_ok());
}

#[test]
fn threshold_values() {
    // "Valid values of the th sub-fields include between 1 and 14 lowercase hexadecimal
    // digits"; "first extend the value with trailing zeros to make 14 digits".
    #[rustfmt::skip]
    let cases: &[(&str, Option<u64>, &str)] = &[
        ("0",              Some(0),                "th:0 samples everything"),
        ("c",              Some(0xc0000000000000), "extended with trailing zeros"),
        ("8",              Some(0x80000000000000), "50%"),
        ("fd70a4",         Some(0xfd70a400000000), "1% at precision 5"),
        ("ffffffffffffff", Some(0xffffffffffffff), "14 digits, the most"),
        ("00000000000001", Some(1),                "leading zeros are digits"),
        ("",               None,                   "at least one digit"),
        ("fffffffffffffff", None,                  "15 digits"),
        ("C",              None,                   "uppercase"),
        ("0x8",            None,                   "no prefix"),
        ("8 ",             None,                   "no whitespace"),
        ("-8",             None,                   "no sign"),
        ("g",              None,                   "not hex"),
    ];
    for (value, expected, reason) in cases {
        let parsed = Threshold::parse(value);
        assert_eq!(
            parsed.ok().map(Threshold::bits),
            *expected,
            "{value:?}: {reason}"
        );
        if expected.is_none() {
            assert_eq!(
                Threshold::parse(value).unwrap_err().kind(),
                ParseErrorKind::Threshold
            );
        }
    }
}

#[test]
fn threshold_encoding_drops_trailing_zeros() {
    // "Converting integer threshold to a T-value": `th:0` for zero, else hex without
    // trailing zeros.
    let cases = [
        (0u64, "0"),
        (0xc0000000000000, "c"),
        (0xfd70a400000000, "fd70a4"),
        (0x00000000000001, "00000000000001"),
        (0x10000000000000, "1"),
    ];
    for (bits, text) in cases {
        assert_eq!(Threshold::from_bits(bits).unwrap().to_string(), text);
    }
    assert!(Threshold::from_bits(MAX_ADJUSTED_COUNT).is_none());
}

#[test]
fn quarter_sampling_example() {
    // "tracestate: ot=th:c ... corresponds with 25% sampling probability".
    let th = OtValue::parse("th:c").threshold().unwrap();
    assert_eq!(th.bits(), 0xc0000000000000);
    assert_eq!(th.probability(), 0.25);
}

#[test]
fn randomness_values() {
    // "Values of rv MUST be exactly 14 lower-case hexadecimal digits".
    #[rustfmt::skip]
    let cases: &[(&str, Option<u64>, &str)] = &[
        ("6e6d1a75832a2f",  Some(0x6e6d1a75832a2f), "the spec's example"),
        ("7479cfb506891d",  Some(0x7479cfb506891d), "the spec's root example"),
        ("00000000000000",  Some(0),                "zero is a value"),
        ("6e6d1a75832a2",   None,                   "13 digits"),
        ("6e6d1a75832a2f0", None,                   "15 digits"),
        ("6E6D1A75832A2F",  None,                   "uppercase"),
        ("",                None,                   "empty"),
    ];
    for (value, expected, reason) in cases {
        assert_eq!(
            Randomness::parse(value).ok().map(Randomness::bits),
            *expected,
            "{value:?}: {reason}"
        );
    }
    assert_eq!(
        Randomness::parse("xyz").unwrap_err().kind(),
        ParseErrorKind::Randomness
    );
}

#[test]
fn randomness_of_a_trace_id_is_its_right_most_seven_bytes() {
    // "Randomness Value (R)": "taken from the trailing 7 bytes of the TraceID".
    let id: TraceId = "ffffffffffffffffff6e6d1a75832a2f".parse().unwrap();
    assert_eq!(Randomness::from_trace_id(id).bits(), 0x6e6d1a75832a2f);
}

#[test]
fn decision_is_randomness_at_least_threshold() {
    // "Decision algorithm": "If R >= T, keep the span, else drop the span."
    let th = Threshold::parse("8").unwrap();
    let at = Randomness::from_bits(0x80000000000000).unwrap();
    let below = Randomness::from_bits(0x7fffffffffffff).unwrap();
    assert!(th.samples(at));
    assert!(!th.samples(below));
    assert!(Threshold::SAMPLE_ALL.samples(Randomness::from_bits(0).unwrap()));
    // The rv example: 0x6e6d1a75832a2f supports sampling at thresholds from itself to 0.
    let rv = Randomness::parse("6e6d1a75832a2f").unwrap();
    assert!(Threshold::from_bits(0x6e6d1a75832a2f).unwrap().samples(rv));
    assert!(!Threshold::from_bits(0x6e6d1a75832a30).unwrap().samples(rv));
}

#[test]
fn ot_values_are_read_leniently() {
    // Malformed sub-keys are ignored, never an error and never a panic.
    #[rustfmt::skip]
    let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
        ("th:c;rv:6e6d1a75832a2f", Some("c"), Some("6e6d1a75832a2f"), "both"),
        ("rv:6e6d1a75832a2f;th:c", Some("c"), Some("6e6d1a75832a2f"), "order is free"),
        ("p:8;th:fd70a4;r:62",     Some("fd70a4"), None,              "with other sub-keys"),
        ("th:C",                   None, None,                        "uppercase th"),
        ("th:",                    None, None,                        "empty th"),
        ("th:123456789abcdef",     None, None,                        "15-digit th"),
        ("rv:123",                 None, None,                        "short rv"),
        ("th:8;th:c",              Some("8"), None,                   "first of a repeated key"),
        ("garbage",                None, None,                        "not a list"),
        ("",                       None, None,                        "empty"),
        (";;;",                    None, None,                        "empty members"),
        ("xth:8",                  None, None,                        "a key that ends in th"),
        ("rv:6e[;rv:6e6d1a75832a2f", None, Some("6e6d1a75832a2f"),    "a malformed member does not count"),
        ("rv:123;rv:6e6d1a75832a2f", None, None,                      "a well-formed but invalid rv does"),
    ];
    for (value, th, rv, reason) in cases {
        let ot = OtValue::parse(value);
        assert_eq!(
            ot.threshold().map(|t| t.to_string()).as_deref(),
            *th,
            "{value:?}: {reason}"
        );
        assert_eq!(
            ot.randomness().map(|r| r.to_string()).as_deref(),
            *rv,
            "{value:?}: {reason}"
        );
    }
}

#[test]
fn setting_the_threshold_rewrites_only_th() {
    // "Setting values": "Set values MUST be either updated or added to the ot entry, in
    // order to preserve existing values belonging to other OTel concerns."
    let quarter = Threshold::parse("c").unwrap();
    #[rustfmt::skip]
    let cases: &[(&str, Option<Threshold>, &str, bool)] = &[
        ("",                     Some(quarter), "th:c",                   true),
        ("p:8;r:62",             Some(quarter), "th:c;p:8;r:62",          true),
        ("p:8;th:8;r:62",        Some(quarter), "th:c;p:8;r:62",          true),
        ("rv:6e6d1a75832a2f;th:c", Some(quarter), "rv:6e6d1a75832a2f;th:c", false),
        ("th:C",                 Some(quarter), "th:c",                   true),
        ("th:8;th:c",            Some(quarter), "th:c",                   true),
        ("th:c;rv:6e6d1a75832a2f", None,        "rv:6e6d1a75832a2f",      true),
        ("th:c",                 None,          "",                       true),
        ("rv:6e6d1a75832a2f",    None,          "rv:6e6d1a75832a2f",      false),
        ("",                     None,          "",                       false),
        ("a: ;th:c",             None,          "",                       true),
        ("rv:6e6d1a75832a2f ;th:c", None,       "",                       true),
        ("p:8;garbage;X:1;k:v=w;th:8", Some(quarter), "th:c;p:8",         true),
    ];
    for (value, threshold, expected, rebuilt) in cases {
        let out = OtValue::parse(value).with_threshold(*threshold);
        assert_eq!(out, *expected, "{value:?} with {threshold:?}");
        assert_eq!(
            matches!(out, Cow::Owned(_)),
            *rebuilt,
            "{value:?}: rebuilt only when changed"
        );
    }
}

#[test]
fn the_ot_value_never_exceeds_256_characters() {
    // "The complete list length MUST NOT exceed 256 characters": a threshold that does not
    // fit is erased instead (an unknown probability), and the value never grows past 256.
    let long = format!("x:{}", "a".repeat(254));
    assert_eq!(long.len(), 256);
    let out = OtValue::parse(&long).with_threshold(Threshold::from_bits(0xc0000000000000));
    assert_eq!(out, long);
    let with_th = format!("th:8;x:{}", "a".repeat(249));
    assert_eq!(with_th.len(), 256);
    let out = OtValue::parse(&with_th).with_threshold(Threshold::from_bits(0xfd70a3d70a3d71));
    assert_eq!(out, format!("x:{}", "a".repeat(249)));
}

#[test]
fn a_value_already_over_256_characters_is_not_a_loop() {
    // Found by fuzzing: erasing th from an over-long value must not retry forever.
    let long = format!("th:8;rv:{}", "X".repeat(300));
    let out = OtValue::parse(&long).with_threshold(Threshold::from_bits(0));
    assert_eq!(out, format!("rv:{}", "X".repeat(300)));
}

proptest! {
    #[test]
    fn thresholds_round_trip(bits in 0u64..MAX_ADJUSTED_COUNT) {
        let th = Threshold::from_bits(bits).unwrap();
        prop_assert_eq!(Threshold::parse(&th.to_string()).unwrap(), th);
        let rv = Randomness::from_bits(bits).unwrap();
        prop_assert_eq!(Randomness::parse(&rv.to_string()).unwrap(), rv);
    }

    #[test]
    fn thresholds_are_monotonic_and_close(p in MIN_PROBABILITY..=1.0f64, q in MIN_PROBABILITY..=1.0f64) {
        // A higher probability never has a higher threshold, so a sampler at p samples every
        // span a sampler at q < p samples ("Consistent Sampling Decision").
        let (lo, hi) = if p <= q { (p, q) } else { (q, p) };
        prop_assert!(Threshold::from_probability(hi).unwrap() <= Threshold::from_probability(lo).unwrap());
        prop_assert!(Threshold::from_probability_exact(hi).unwrap() <= Threshold::from_probability_exact(lo).unwrap());
        // Four significant digits: within 2^-12 relative error, plus 2^-17 absolute near 1
        // (the spec adjusts the precision only for small probabilities, and caps it at 12
        // digits, which binds below 2^-32).
        if p >= 2f64.powi(-32) {
            let actual = Threshold::from_probability(p).unwrap().probability();
            prop_assert!((actual - p).abs() <= p * 2f64.powi(-12) + 2f64.powi(-17), "{} vs {}", actual, p);
        }
    }

    #[test]
    fn any_ot_value_is_read_and_rewritten_without_panic(value in "[ -~]{0,300}", bits in 0u64..MAX_ADJUSTED_COUNT) {
        let ot = OtValue::parse(&value);
        let th = Threshold::from_bits(bits);
        let set = ot.with_threshold(th);
        prop_assert!(set.len() <= value.len().max(256));
        let erased = ot.with_threshold(None);
        prop_assert!(OtValue::parse(&erased).threshold().is_none());
        // Room for `th:` and 14 digits and a `;`: the threshold is set, not dropped.
        if value.len() <= 256 - 18 {
            prop_assert_eq!(OtValue::parse(&set).threshold(), th);
        }
    }
}
