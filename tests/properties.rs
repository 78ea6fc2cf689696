//! Property tests: round trips and invariants over generated inputs, and a model-based test of
//! tracestate mutation against a plain `Vec` that follows "Mutating the tracestate Field".

use proptest::collection::vec;
use proptest::prelude::*;
use tctx::{SpanId, TraceId, TraceState, Traceparent};

fn traceparent() -> impl Strategy<Value = Traceparent> {
    (any::<[u8; 16]>(), any::<[u8; 8]>(), any::<u8>()).prop_filter_map(
        "ids must not be all zero",
        |(trace, span, flags)| {
            Some(Traceparent::new(
                TraceId::from_bytes(trace)?,
                SpanId::from_bytes(span)?,
                flags,
            ))
        },
    )
}

/// Keys from the Level 2 grammar: `(lcalpha / DIGIT) 0*255(keychar)`, kept short so that
/// collisions (duplicate keys) happen.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9][a-z0-9_*/@-]{0,8}",
        "[a-c]{1,2}",
        "[a-z0-9][a-z0-9_*/@-]{255}",
    ]
}

/// Values from the grammar: `0*255(chr) nblk-chr`, with leading spaces.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -+\\--<>-~]{0,12}[!-+\\--<>-~]",
        " {1,3}[a-z]{1,3}",
        "[!-+\\--<>-~]{256}",
    ]
}

fn ows() -> impl Strategy<Value = String> {
    "[ \t]{0,2}"
}

proptest! {
    #[test]
    fn traceparent_round_trips(tp in traceparent()) {
        let mut buf = [0u8; Traceparent::ENCODED_LEN];
        let encoded = tp.encode(&mut buf);
        prop_assert_eq!(encoded.len(), 55);
        prop_assert_eq!(Traceparent::parse(encoded), Ok(tp));
        prop_assert_eq!(tp.child().trace_id(), tp.trace_id());
    }

    #[test]
    fn traceparent_parses_any_bytes_without_panicking(data in vec(any::<u8>(), 0..120)) {
        let _ = Traceparent::parse_bytes(&data);
    }

    #[test]
    fn traceparent_mutated_headers_are_ok_or_err(tp in traceparent(), at in 0usize..55, byte in any::<u8>()) {
        let mut header = tp.to_string().into_bytes();
        header[at] = byte;
        if let Ok(parsed) = Traceparent::parse_bytes(&header) {
            // Whatever parses re-encodes to what was received, but for the flags' unknown
            // bits and a downgraded version.
            let encoded = parsed.to_string();
            prop_assert_eq!(&encoded.as_bytes()[2..53], &header[2..53]);
        }
    }

    #[test]
    fn tracestate_parses_any_text_without_panicking(input in "[ -~\t]{0,300}") {
        if let Ok(state) = TraceState::parse(&input) {
            prop_assert!(state.len() <= TraceState::MAX_MEMBERS);
            let reparsed = TraceState::parse(state.as_str());
            prop_assert_eq!(reparsed.as_ref(), Ok(&state));
        }
    }

    #[test]
    fn tracestate_keeps_valid_members_in_order_whatever_the_whitespace(
        members in vec((key(), value(), ows(), ows(), any::<bool>()), 0..=32)
    ) {
        let mut header = String::new();
        let mut expected: Vec<(String, String)> = Vec::new();
        for (key, value, before, after, empty_member) in &members {
            if empty_member & !header.is_empty() {
                header.push_str(", ");
            }
            if !header.is_empty() {
                header.push(',');
            }
            header.extend([before.as_str(), key, "=", value, after]);
            if !expected.iter().any(|(k, _)| k == key) {
                expected.push((key.clone(), value.clone()));
            }
        }
        let state = TraceState::parse(&header).map_err(|e| TestCaseError::fail(format!("{header:?}: {e}")))?;
        let got: Vec<(String, String)> = state.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        prop_assert_eq!(&got, &expected);
        let reparsed = TraceState::parse(state.as_str()).unwrap();
        prop_assert_eq!(&reparsed, &state);
        prop_assert_eq!(reparsed.as_str(), state.as_str());
        for (key, value) in &expected {
            prop_assert_eq!(state.get(key), Some(value.as_str()));
        }
    }

    #[test]
    fn tracestate_mutations_follow_the_list_model(
        initial in vec((key(), value()), 0..=32),
        ops in vec((any::<bool>(), key(), value()), 0..40),
    ) {
        let mut state = TraceState::make(initial.iter().map(|(k, v)| (k, v))).unwrap();
        let mut model: Vec<(String, String)> = Vec::new();
        for (k, v) in &initial {
            if !model.iter().any(|(mk, _)| mk == k) {
                model.push((k.clone(), v.clone()));
            }
        }
        for (is_set, key, value) in ops {
            let index = model.iter().position(|(k, _)| *k == key);
            if is_set {
                state.set(&key, &value).unwrap();
                // Modified keys move to the left; new keys are added to the left; a 33rd
                // member evicts the right-most.
                if let Some(i) = index {
                    model.remove(i);
                } else if model.len() == TraceState::MAX_MEMBERS {
                    model.pop();
                }
                model.insert(0, (key, value));
            } else {
                prop_assert_eq!(state.delete(&key), index.is_some());
                if let Some(i) = index {
                    model.remove(i);
                }
            }
            let got: Vec<(String, String)> = state.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
            prop_assert_eq!(&got, &model);
            prop_assert_eq!(state.len(), model.len());
            let reparsed = TraceState::parse(state.as_str());
            prop_assert_eq!(reparsed.as_ref(), Ok(&state));
        }
    }

    #[test]
    fn truncation_keeps_whole_members_in_order_within_the_limit(
        members in vec((key(), value()), 0..=32),
        limit in 0usize..2000,
    ) {
        let state = TraceState::make(members.iter().map(|(k, v)| (k, v))).unwrap();
        let truncated = state.encode_truncated(limit);
        prop_assert!(truncated.len() <= limit);
        let kept = TraceState::parse(&truncated).unwrap();
        // Kept members are a subsequence of the original.
        let mut original = state.iter();
        for member in &kept {
            prop_assert!(original.any(|m| m == member));
        }
        // Small members (up to 128 characters) go only after every large one has gone.
        let large_left = kept.iter().any(|(k, v)| k.len() + 1 + v.len() > 128);
        let small_removed = state.iter().any(|(k, v)| k.len() + 1 + v.len() <= 128 && kept.get(k).is_none());
        prop_assert!(!(large_left && small_removed));
    }
}
