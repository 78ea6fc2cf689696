//! The checks behind the fuzz targets in `fuzz/`, shared with `tests/fuzz_corpus.rs` so that a
//! plain `cargo test` runs them over the committed corpus.
//!
//! Each check compares the crate against a reference model written here from the
//! specification text, as plainly as possible (strings, `split`, `char` tests), and asserts
//! round trips. A disagreement or a broken round trip panics, which is what the fuzzer reports.

use tctx::{TraceState, Traceparent};

// The fuzz crate has a `config` feature of its own, on by default, for this check.
#[cfg(feature = "config")]
pub mod config_file;
// The fuzz crate has a `jaeger-remote` feature of its own, on by default, for this check.
#[cfg(feature = "jaeger-remote")]
pub mod jaeger_strategy;

/// What the reference model makes of a traceparent: trace-id, parent-id, flags (known bits).
type ModelTraceparent = (String, String, u8);

fn is_lower_hex(s: &[u8]) -> bool {
    s.iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

fn is_all_zero(s: &[u8]) -> bool {
    s.iter().all(|&b| b == b'0')
}

fn text(hex: &[u8]) -> String {
    String::from_utf8(hex.to_vec()).expect("checked to be hex")
}

/// "Traceparent Header" and "Versioning of traceparent", read literally. Works on bytes:
/// what follows the flags of a higher version need not even be UTF-8.
fn model_traceparent(input: &[u8]) -> Option<ModelTraceparent> {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = input.iter().position(|b| !is_ows(b)).unwrap_or(input.len());
    let end = input
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    let value = &input[start..end];
    let version = value.get(0..2)?;
    if !is_lower_hex(version) || value.get(2) != Some(&b'-') || version == b"ff" {
        return None;
    }
    if version == b"00" && value.len() != 55 {
        return None;
    }
    if value.len() < 55 {
        return None;
    }
    if value.len() > 55 && value[55] != b'-' {
        return None;
    }
    let trace_id = &value[3..35];
    let parent_id = &value[36..52];
    let flags = &value[53..55];
    let dashes_ok = value[35] == b'-' && value[52] == b'-';
    let fields_ok = is_lower_hex(trace_id)
        && !is_all_zero(trace_id)
        && is_lower_hex(parent_id)
        && !is_all_zero(parent_id)
        && is_lower_hex(flags);
    if !(dashes_ok && fields_ok) {
        return None;
    }
    let flags = u8::from_str_radix(&text(flags), 16).ok()? & 0x03;
    Some((text(trace_id), text(parent_id), flags))
}

/// Parses `data` as a traceparent and checks the result against the model and a round trip.
pub fn check_traceparent(data: &[u8]) {
    let parsed = Traceparent::parse_bytes(data);
    let model = model_traceparent(data);
    match (&parsed, &model) {
        (Ok(tp), Some((trace_id, parent_id, flags))) => {
            assert_eq!(&tp.trace_id().to_string(), trace_id, "trace-id of {data:?}");
            assert_eq!(
                &tp.parent_id().to_string(),
                parent_id,
                "parent-id of {data:?}"
            );
            assert_eq!(tp.flags(), *flags, "flags of {data:?}");
            let mut buf = [0u8; Traceparent::ENCODED_LEN];
            let encoded = tp.encode(&mut buf);
            assert_eq!(
                encoded,
                format!("00-{trace_id}-{parent_id}-{flags:02x}"),
                "re-encoding {data:?}"
            );
            assert_eq!(
                Traceparent::parse(encoded).as_ref(),
                Ok(tp),
                "round trip of {data:?}"
            );
            assert_eq!(tp.to_string(), encoded);
        }
        (Err(error), None) => {
            assert!(
                error.offset() <= data.len(),
                "offset of {error:?} in {data:?}"
            );
            assert!(!error.to_string().is_empty());
        }
        _ => panic!("crate says {parsed:?}, model says {model:?}, for {data:?}"),
    }
}

fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && key.len() <= 256
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-*/@".contains(c))
}

fn is_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 256
        && value
            .chars()
            .all(|c| (' '..='~').contains(&c) && c != ',' && c != '=')
        && !value.ends_with(' ')
}

/// "tracestate Header Field Values", read literally, with this crate's two documented choices:
/// any invalid member or more than 32 members rejects the header; repeated keys keep the first.
fn model_tracestate(input: &str) -> Option<Vec<(String, String)>> {
    let mut members: Vec<(String, String)> = Vec::new();
    let mut count = 0;
    for raw in input.split(',') {
        let member = raw.trim_matches(|c| c == ' ' || c == '\t');
        if member.is_empty() {
            continue;
        }
        count += 1;
        if count > 32 {
            return None;
        }
        let (key, value) = member.split_once('=')?;
        // Trailing spaces are optional whitespace; trimming the member already removed them.
        if !is_key(key) || !is_value(value) {
            return None;
        }
        if !members.iter().any(|(k, _)| k == key) {
            members.push((key.to_owned(), value.to_owned()));
        }
    }
    Some(members)
}

/// Parses `data` as a tracestate and checks it against the model, a round trip, and the
/// invariants of `set`, `delete` and `truncate`.
pub fn check_tracestate(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let parsed = TraceState::parse(&input);
    let model = model_tracestate(&input);
    let state = match (parsed, model) {
        (Ok(state), Some(members)) => {
            let got: Vec<(String, String)> = state
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(got, members, "members of {input:?}");
            state
        }
        (Err(error), None) => {
            assert!(
                error.offset() <= input.len(),
                "offset of {error:?} in {input:?}"
            );
            return;
        }
        (parsed, model) => panic!("crate says {parsed:?}, model says {model:?}, for {input:?}"),
    };

    // Round trip: the encoding parses back to the same list, and is canonical.
    let encoded = state.to_string();
    let reparsed = TraceState::parse(&encoded).expect("an encoded tracestate parses");
    assert_eq!(reparsed, state, "round trip of {input:?}");
    assert_eq!(reparsed.to_string(), encoded);
    assert!(state.len() <= tctx::TraceState::MAX_MEMBERS);

    // Split across fields at every comma: the same list (RFC 9110 field order).
    let fields: Vec<&str> = input.split(',').collect();
    assert_eq!(TraceState::parse_all(fields).as_ref(), Ok(&state));

    // set moves the key to the front, keeps the others in order, never exceeds 32.
    let mut updated = state.clone();
    updated.set("fuzz@tctx", "v").expect("a valid member");
    assert_eq!(updated.iter().next(), Some(("fuzz@tctx", "v")));
    assert!(updated.len() <= tctx::TraceState::MAX_MEMBERS);
    let others: Vec<_> = state.iter().filter(|(k, _)| *k != "fuzz@tctx").collect();
    let kept: Vec<_> = updated.iter().skip(1).collect();
    assert!(others.starts_with(&kept), "set reordered {input:?}");
    assert_eq!(TraceState::parse(updated.as_str()).as_ref(), Ok(&updated));

    // delete removes exactly one member.
    if let Some((first, _)) = state.iter().next() {
        let mut deleted = state.clone();
        assert!(deleted.delete(first));
        assert_eq!(deleted.len(), state.len() - 1);
        assert_eq!(deleted.get(first), None);
        assert_eq!(TraceState::parse(deleted.as_str()).as_ref(), Ok(&deleted));
    }

    // Truncation keeps whole members, in order, within the limit.
    for limit in [0, 1, 64, 128, 512] {
        let truncated = state.encode_truncated(limit);
        assert!(truncated.len() <= limit, "truncated {input:?} to {limit}");
        let kept = TraceState::parse(&truncated).expect("whole members");
        let mut members = state.iter();
        for member in &kept {
            assert!(
                members.any(|m| m == member),
                "truncation invented {member:?}"
            );
        }
        let mut in_place = state.clone();
        in_place.truncate(limit);
        assert_eq!(in_place.as_str(), truncated);
    }
}

/// Reads `data` as a `Server-Timing` header and checks that whatever it finds is a valid
/// traceparent that survives the round trip through the metric, and that the metric the
/// crate writes is found again after the input's own metrics are skipped.
pub fn check_server_timing(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    match Traceparent::parse_server_timing(&input) {
        Ok(tp) => {
            let mut buf = [0u8; Traceparent::SERVER_TIMING_LEN];
            let metric = tp.encode_server_timing(&mut buf);
            assert_eq!(
                Traceparent::parse_server_timing(metric),
                Ok(tp),
                "{input:?}"
            );
        }
        Err(error) => assert!(error.offset() <= input.len(), "{error:?} in {input:?}"),
    }
    // Appended after a header that holds no trace metric, ours is the one read.
    if Traceparent::parse_server_timing(&input).is_err() && !input.contains('"') {
        let tp = Traceparent::make();
        let mut buf = [0u8; Traceparent::SERVER_TIMING_LEN];
        let header = format!("{input}, {}", tp.encode_server_timing(&mut buf));
        if !input.to_ascii_lowercase().contains("trace") {
            assert_eq!(
                Traceparent::parse_server_timing(&header),
                Ok(tp),
                "{header:?}"
            );
        }
    }
}

/// A well-formed sub-key of "`TraceState` Handling": `key ":" value`.
fn ot_well_formed(member: &str) -> bool {
    member.split_once(':').is_some_and(|(k, v)| {
        k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
    })
}

/// "Sampling threshold value th" and "Explicit randomness value rv", read literally: the
/// first well-formed `th:` and `rv:` members of the `;`-separated list, 1 to 14 (th) or exactly 14 (rv)
/// lowercase hex digits, th extended with trailing zeros.
fn ot_model(value: &str) -> (Option<u64>, Option<u64>) {
    let hex = |s: &str, min: usize| -> Option<u64> {
        let ok = (min..=14).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        ok.then(|| u64::from_str_radix(&format!("{s:0<14}"), 16).ok())
            .flatten()
    };
    let first = |key: &str| {
        value
            .split(';')
            .filter(|m| ot_well_formed(m))
            .find_map(|m| m.strip_prefix(key))
    };
    let th = first("th:").and_then(|s| hex(s, 1));
    let rv = first("rv:").and_then(|s| hex(s, 14));
    (th, rv)
}

/// Reads `data` as an `ot` tracestate value, checks `th` and `rv` against the model, and checks
/// that rewriting the threshold keeps every other member, in order, and stays within 256
/// characters.
pub fn check_ot_value(data: &[u8]) {
    use tctx::probability::{OtValue, Threshold};

    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    let ot = OtValue::parse(value);
    let (th, rv) = ot_model(value);
    assert_eq!(ot.threshold().map(Threshold::bits), th, "th of {value:?}");
    assert_eq!(
        ot.randomness().map(tctx::probability::Randomness::bits),
        rv,
        "rv of {value:?}"
    );

    // The threshold each prefix byte names, so inputs steer it too.
    let bits = data
        .iter()
        .take(7)
        .fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    let new = Threshold::from_bits(bits).expect("7 bytes are 56 bits");
    // The model of a well-formed sub-key: "TraceState Handling", `key ":" value`.
    let well_formed = |m: &str| {
        m.split_once(':').is_some_and(|(k, v)| {
            k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
        })
    };
    let others: Vec<&str> = value
        .split(';')
        .filter(|m| !m.starts_with("th:") && well_formed(m))
        .collect();
    for threshold in [Some(new), None] {
        let out = ot.with_threshold(threshold);
        let reread = OtValue::parse(&out);
        if out == value {
            continue; // unchanged: borrowed as it was
        }
        assert!(out.len() <= 256.max(value.len()), "{out:?} grew past 256");
        // The other members, in order, after the new th (a value may not end in a space).
        let body = match out.strip_prefix("th:") {
            Some(rest) => rest.split_once(';').map_or("", |(_, body)| body),
            None => &out,
        };
        assert_eq!(body, others.join(";"), "members of {value:?}");
        match threshold {
            Some(th) if out.starts_with("th:") => assert_eq!(reread.threshold(), Some(th)),
            _ => assert!(!out.split(';').any(|m| m.starts_with("th:")), "{out:?}"),
        }
        assert_eq!(reread.randomness(), ot.randomness());
    }
}
