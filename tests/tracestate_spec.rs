//! `tracestate` rules of W3C Trace Context Level 2, one table row per rule, each with its
//! reason and the section of `20-http_request_header_format.md` it comes from.

use tctx::{ParseErrorKind, TraceState};

fn members(n: usize) -> String {
    (0..n)
        .map(|i| format!("k{i}=v{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Inputs that parse, and their canonical encoding (members joined by commas, no OWS).
#[rustfmt::skip]
fn valid() -> Vec<(String, String, &'static str)> {
    let s = |x: &str| x.to_owned();
    let key_256 = format!("a{}", "b".repeat(255));
    let value_256 = "v".repeat(256);
    vec![
        (s("rojo=00f067aa0ba902b7"), s("rojo=00f067aa0ba902b7"),
         "Examples of tracestate HTTP Headers: single tracing system"),
        (s("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"), s("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
         "Examples of tracestate HTTP Headers: multiple tracing systems"),
        (s("vendorname1=opaqueValue1,vendorname2=opaqueValue2"), s("vendorname1=opaqueValue1,vendorname2=opaqueValue2"),
         "Combined Header Value: the example"),
        (s(""), s(""), "tracestate Header Field Values: vendors MUST accept empty tracestate headers"),
        (s(" \t "), s(""), "Empty and whitespace-only list members are allowed"),
        (s(",,, ,"), s(""), "list-member = (key \"=\" value) / OWS: empty members"),
        (s("a=1 , b=2"), s("a=1,b=2"), "Spaces surrounding list-members are ignored"),
        (s("\ta=1\t,\tb=2\t"), s("a=1,b=2"), "Horizontal tabs surrounding list-members are ignored"),
        (s(",a=1,,b=2,"), s("a=1,b=2"), "empty members before, between and after"),
        (s("a= 1"), s("a= 1"), "Value: all leading spaces MUST be preserved as part of the value"),
        (s("a=1   "), s("a=1"), "Value: trailing spaces are optional whitespace, not part of the value"),
        (s("a=x y"), s("a=x y"), "Value: chr includes the space inside a value"),
        (s("a=1;b:2"), s("a=1;b:2"), "Value: ';' and ':' are printable ASCII, one member"),
        (s("a=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~"), s("a=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~"),
         "Value: every printable character except ',' and '='"),
        (s("0a=1"), s("0a=1"), "Key: MUST begin with a lowercase letter or a digit"),
        (s("a_-*/@0=1"), s("a_-*/@0=1"), "Key: keychar is lcalpha / DIGIT / _ - * / @"),
        (s("tenant@vendor=1"), s("tenant@vendor=1"), "Key: the multi-tenant form"),
        (s("a@b@c=1"), s("a@b@c=1"), "Key: '@' may appear anywhere after the first character (Level 2)"),
        (s("foo@@bar=1"), s("foo@@bar=1"), "Key: consecutive '@' (Level 2)"),
        (s("a@=1"), s("a@=1"), "Key: '@' may be the last character (Level 2)"),
        (format!("{key_256}=1"), format!("{key_256}=1"), "Key: up to 256 characters"),
        (format!("a={value_256}"), format!("a={value_256}"), "Value: up to 256 characters"),
        (members(32), members(32), "list: a maximum of 32 list-members"),
        (format!("{},,, ,", members(32)), members(32), "empty members do not count toward 32"),
        (s("a=1,b=2,a=3"), s("a=1,b=2"), "duplicate key: the left-most is kept, the rest stays intact (a documented choice)"),
        (s("congo=congosFirstPosition,rojo=rojosFirstPosition,congo=congosSecondPosition"),
         s("congo=congosFirstPosition,rojo=rojosFirstPosition"),
         "Combined Header Value: a repeated vendor keeps its left-most entry"),
    ]
}

/// Inputs rejected whole, with the rule that fails first and where.
#[rustfmt::skip]
fn invalid() -> Vec<(String, ParseErrorKind, usize, &'static str)> {
    let s = |x: &str| x.to_owned();
    vec![
        (members(33), ParseErrorKind::TooManyMembers, members(32).len() + 1,
         "list: more than 32 list-members: the header is discarded (a documented choice)"),
        (format!("{},a=1", members(32)), ParseErrorKind::TooManyMembers, members(32).len() + 1,
         "duplicates count toward the 32 as received"),
        (s("a"), ParseErrorKind::Member, 0, "list-member: key \"=\" value"),
        (s("a=1, b"), ParseErrorKind::Member, 5, "list-member: one member without '=' discards the header"),
        (s("=1"), ParseErrorKind::Key, 0, "Key: at least one character"),
        (s("A=1"), ParseErrorKind::Key, 0, "Key: lowercase only"),
        (s("a=1,B=2"), ParseErrorKind::Key, 4, "Key: one invalid key discards the whole header"),
        (s("_a=1"), ParseErrorKind::Key, 0, "Key: MUST begin with a lowercase letter or a digit"),
        (s("@a=1"), ParseErrorKind::Key, 0, "Key: '@' is not allowed first"),
        (s("-a=1"), ParseErrorKind::Key, 0, "Key: '-' is not allowed first"),
        (s("a b=1"), ParseErrorKind::Key, 1, "Key: no spaces inside"),
        (s("a.b=1"), ParseErrorKind::Key, 1, "Key: '.' is not a keychar"),
        (s("a =1"), ParseErrorKind::Key, 1, "Key: no whitespace before '='"),
        (format!("a{}=1", "b".repeat(256)), ParseErrorKind::Key, 0, "Key: at most 256 characters"),
        (s("a="), ParseErrorKind::Value, 2, "Value: at least one non-space character"),
        (s("a=   "), ParseErrorKind::Value, 2, "Value: must end with a character which is not a space"),
        (format!("a={}", "v".repeat(257)), ParseErrorKind::Value, 2, "Value: at most 256 characters"),
        (s("a=b=c"), ParseErrorKind::Value, 3, "Value: '=' is excluded"),
        (s("a=1;b=2"), ParseErrorKind::Value, 5, "Value: ';' is no separator, so '=' lands in the value"),
        (s("a=1 b=2"), ParseErrorKind::Value, 5, "Value: a missing comma leaves '=' inside a value"),
        (s("a=x\ty"), ParseErrorKind::Value, 3, "Value: excludes tabs"),
        (s("a=x\ny"), ParseErrorKind::Value, 3, "Value: excludes newlines"),
        (s("a=x\u{7f}"), ParseErrorKind::Value, 3, "Value: DEL is not printable"),
        (s("a=caf\u{e9}"), ParseErrorKind::Value, 5, "Value: printable ASCII only"),
    ]
}

#[test]
fn valid_headers_parse_to_their_canonical_encoding() {
    for (input, encoded, reason) in valid() {
        let state =
            TraceState::parse(&input).unwrap_or_else(|e| panic!("{reason}: {input:?}: {e}"));
        assert_eq!(state.as_str(), encoded, "{reason}");
        assert_eq!(state.to_string(), encoded, "{reason}");
        assert_eq!(
            input.parse::<TraceState>().as_ref(),
            Ok(&state),
            "{reason}: FromStr"
        );
        assert_eq!(
            TraceState::parse(&encoded).as_ref(),
            Ok(&state),
            "{reason}: round trip"
        );
    }
}

#[test]
fn invalid_headers_are_discarded_whole() {
    for (input, kind, offset, reason) in invalid() {
        let err = TraceState::parse(&input).expect_err(reason);
        assert_eq!(
            (err.kind(), err.offset()),
            (kind, offset),
            "{reason}: {input:?}: {err}"
        );
    }
}

#[test]
fn leading_spaces_of_a_value_are_kept_by_get_and_iteration() {
    // Value: "All leading spaces MUST be preserved as part of the value."
    let state = TraceState::parse("a=  x  ,b=y").unwrap();
    assert_eq!(state.get("a"), Some("  x"));
    assert_eq!(state.iter().collect::<Vec<_>>(), [("a", "  x"), ("b", "y")]);
}

#[test]
fn split_headers_combine_in_field_order() {
    // tracestate Header Field Values: multiple fields MUST be combined per RFC 9110 5.3,
    // that is, in order, as if joined with commas.
    let state = TraceState::parse_all(["rojo=1", " congo=2 ,", "", ",blue=3"]).unwrap();
    assert_eq!(state.as_str(), "rojo=1,congo=2,blue=3");
    // The 32-member limit and the duplicate rule apply to the combined header.
    let first = members(20);
    let second = (20..33)
        .map(|i| format!("k{i}=v{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let err = TraceState::parse_all([first.as_str(), second.as_str()]).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TooManyMembers);
    let dup = TraceState::parse_all(["a=1", "a=2,b=3"]).unwrap();
    assert_eq!(dup.as_str(), "a=1,b=3");
    // An invalid member in any field discards everything.
    assert!(TraceState::parse_all(["a=1", "B=2"]).is_err());
}

#[test]
fn empty_state_encodes_to_nothing() {
    // Vendors MUST accept empty tracestate headers but SHOULD avoid sending them.
    let state = TraceState::parse(" , ").unwrap();
    assert!(state.is_empty());
    assert_eq!(state.len(), 0);
    assert_eq!(state.as_str(), "");
    assert_eq!(state, TraceState::new());
    assert_eq!(
        state.encode_truncated(TraceState::DEFAULT_MAX_HEADER_LEN),
        ""
    );
}

#[test]
fn the_spec_story_of_rojo_and_congo() {
    // Relationship Between the Headers: each vendor adds its entry to the left.
    let mut state = TraceState::parse("congo=t61rcWkgMzE").unwrap();
    state.set("rojo", "00f067aa0ba902b7").unwrap();
    assert_eq!(state.as_str(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    state.set("congo", "ucfJifl5GOE").unwrap();
    assert_eq!(state.as_str(), "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
    // Combined Header Value: Congo returning rewrites its entry rather than adding another.
    let mut state = TraceState::parse("rojo=rojosFirstPosition").unwrap();
    state.set("congo", "congosFirstPosition").unwrap();
    state.set("congo", "congosSecondPosition").unwrap();
    assert_eq!(
        state.as_str(),
        "congo=congosSecondPosition,rojo=rojosFirstPosition"
    );
}

#[test]
fn set_adds_to_the_left_updates_move_left_and_order_is_preserved() {
    // Mutating the tracestate Field: the order of unmodified pairs MUST be preserved;
    // modified keys MUST be moved to the beginning; a key MUST NOT be present twice.
    let mut state = TraceState::parse("a=1,b=2,c=3").unwrap();
    state.set("b", "20").unwrap();
    assert_eq!(state.as_str(), "b=20,a=1,c=3");
    state.set("c", "3").unwrap();
    assert_eq!(state.as_str(), "c=3,b=20,a=1");
    state.set("d", "4").unwrap();
    assert_eq!(state.as_str(), "d=4,c=3,b=20,a=1");
    assert_eq!(state.iter().filter(|(k, _)| *k == "d").count(), 1);
    assert_eq!(state.get("b"), Some("20"));
    assert_eq!(state.len(), 4);
}

#[test]
fn set_on_a_full_list_evicts_the_right_most_member() {
    // list: "If adding an entry would cause the tracestate list to contain more than 32
    // list-members the right-most list-member should be removed."
    let mut state = TraceState::parse(&members(32)).unwrap();
    state.set("new", "1").unwrap();
    assert_eq!(state.len(), TraceState::MAX_MEMBERS);
    assert_eq!(state.iter().next(), Some(("new", "1")));
    assert_eq!(state.get("k31"), None);
    assert_eq!(state.iter().next_back(), Some(("k30", "v30")));
    // Updating an existing key on a full list evicts nothing.
    state.set("k5", "x").unwrap();
    assert_eq!(state.len(), TraceState::MAX_MEMBERS);
    assert_eq!(state.get("k30"), Some("v30"));
    assert_eq!(TraceState::parse(state.as_str()).as_ref(), Ok(&state));
}

#[test]
fn set_rejects_invalid_members_and_leaves_the_state_unchanged() {
    let mut state = TraceState::parse("a=1").unwrap();
    #[rustfmt::skip]
    let cases = [
        ("", "v", ParseErrorKind::Key), ("Key", "v", ParseErrorKind::Key),
        ("_k", "v", ParseErrorKind::Key), ("k", "", ParseErrorKind::Value),
        ("k", "v ", ParseErrorKind::Value), ("k", "a,b", ParseErrorKind::Value),
        ("k", "a=b", ParseErrorKind::Value), ("k", "\t", ParseErrorKind::Value),
    ];
    for (key, value, kind) in cases {
        assert_eq!(
            state.set(key, value).unwrap_err().kind(),
            kind,
            "{key:?}={value:?}"
        );
        assert_eq!(state.as_str(), "a=1");
    }
    let long_key = "k".repeat(257);
    assert!(state.set(&long_key, "v").is_err());
    assert!(state.set("k", &"v".repeat(257)).is_err());
    state.set(&"k".repeat(256), &" v".repeat(128)[1..]).unwrap();
}

#[test]
fn delete_keeps_the_order_of_the_rest() {
    // Delete a key/value pair: any pair MAY be deleted; order of the others is preserved.
    let mut state = TraceState::parse("a=1,b=2,c=3,d=4").unwrap();
    assert!(state.delete("a"));
    assert_eq!(state.as_str(), "b=2,c=3,d=4");
    assert!(state.delete("d"));
    assert_eq!(state.as_str(), "b=2,c=3");
    assert!(state.delete("b"));
    assert!(state.delete("c"));
    assert!(!state.delete("c"));
    assert!(state.is_empty());
    assert_eq!(state.as_str(), "");
    state.set("e", "5").unwrap();
    assert_eq!(state.as_str(), "e=5");
}

#[test]
fn make_builds_left_to_right() {
    // Seeds: tracestate.make({ key: 'value' }).
    let state = TraceState::make([("key", "value")]).unwrap();
    assert_eq!(state.as_str(), "key=value");
    let state = TraceState::make(vec![
        ("a".to_owned(), "1"),
        ("b".to_owned(), "2"),
        ("a".to_owned(), "3"),
    ])
    .unwrap();
    assert_eq!(state.as_str(), "a=1,b=2");
    assert_eq!(
        TraceState::make([("A", "1")]).unwrap_err().kind(),
        ParseErrorKind::Key
    );
    let too_many: Vec<_> = (0..33).map(|i| (format!("k{i}"), "v")).collect();
    assert_eq!(
        TraceState::make(too_many).unwrap_err().kind(),
        ParseErrorKind::TooManyMembers
    );
    assert!(TraceState::make(Vec::<(&str, &str)>::new())
        .unwrap()
        .is_empty());
}

#[test]
fn make_takes_borrowed_pairs_too() {
    // A slice of pairs, as a caller writes `make(&[("a", "1")])`, and a borrowed Vec.
    let by_ref = TraceState::make(&[("a", "1"), ("b", "2")]).unwrap();
    let pairs = vec![
        ("a".to_owned(), "1".to_owned()),
        ("b".to_owned(), "2".to_owned()),
    ];
    let by_vec_ref = TraceState::make(&pairs).unwrap();
    let by_value = TraceState::make(pairs).unwrap();
    assert_eq!(by_ref.as_str(), "a=1,b=2");
    assert_eq!(by_vec_ref, by_ref);
    assert_eq!(by_value, by_ref);
}

#[test]
fn errors_about_a_lone_key_or_value_name_no_byte() {
    // The offset of `set`/`make` errors is always 0: printing it would be noise in a log line.
    #[rustfmt::skip]
    let cases: [(&str, Result<TraceState, tctx::ParseError>, &str); 4] = [
        ("uppercase key given to set", TraceState::new().set("Rojo", "1").map(|()| TraceState::new()),
         "invalid tracestate key: expected 1 to 256 of a-z 0-9 _ - * / @, starting with a-z or 0-9"),
        ("comma in a value given to set", TraceState::new().set("rojo", "a,b").map(|()| TraceState::new()),
         "invalid tracestate value: expected 1 to 256 printable ASCII characters except ',' and '=', not ending in a space"),
        ("empty value given to make", TraceState::make([("rojo", "")]),
         "invalid tracestate value: expected 1 to 256 printable ASCII characters except ',' and '=', not ending in a space"),
        ("33 pairs given to make", TraceState::make((0..33).map(|i| (format!("k{i}"), "v"))),
         "invalid tracestate: more than 32 list members"),
    ];
    for (reason, result, message) in cases {
        assert_eq!(result.unwrap_err().to_string(), message, "{reason}");
    }
    // In a header the offset means something and is kept.
    assert_eq!(
        TraceState::parse("a=1,B=2").unwrap_err().to_string(),
        "invalid tracestate key: expected 1 to 256 of a-z 0-9 _ - * / @, starting with a-z or 0-9 (at byte 4)"
    );
}

#[test]
fn truncation_removes_whole_entries_large_ones_first_then_from_the_right() {
    // tracestate Limits: MUST truncate whole entries; entries larger than 128 characters
    // SHOULD be removed first; then entries SHOULD be removed starting from the end.
    let big1 = format!("big1={}", "x".repeat(150));
    let big2 = format!("big2={}", "y".repeat(150));
    let header = format!("a=1,{big1},b=2,{big2},c=3");
    let state = TraceState::parse(&header).unwrap();
    assert_eq!(
        state.encode_truncated(header.len()),
        header.as_str(),
        "fits: unchanged"
    );
    assert!(matches!(
        state.encode_truncated(header.len()),
        std::borrow::Cow::Borrowed(_)
    ));
    // Removing the right-most large entry is enough.
    assert_eq!(
        state.encode_truncated(header.len() - 1),
        format!("a=1,{big1},b=2,c=3")
    );
    // Both large entries go before any small one.
    assert_eq!(state.encode_truncated(11), "a=1,b=2,c=3");
    // Then small entries from the right.
    assert_eq!(state.encode_truncated(10), "a=1,b=2");
    assert_eq!(state.encode_truncated(3), "a=1");
    assert_eq!(state.encode_truncated(2), "");
    // A large entry goes first even where removing a small one would have made room.
    let state = TraceState::parse(&format!("{big1},a=1")).unwrap();
    assert_eq!(state.encode_truncated(big1.len()), "a=1");
    // truncate() does the same in place.
    let mut state = TraceState::parse(&header).unwrap();
    state.truncate(10);
    assert_eq!(state.as_str(), "a=1,b=2");
    assert_eq!(state.len(), 2);
}

#[test]
fn at_least_512_characters_are_propagated_by_default() {
    // tracestate Limits: vendors SHOULD propagate at least 512 characters.
    assert_eq!(TraceState::DEFAULT_MAX_HEADER_LEN, 512);
    let header = (0..32)
        .map(|i| format!("k{i:02}={}", "v".repeat(11)))
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(header.len(), 32 * 15 + 31);
    let state = TraceState::parse(&header).unwrap();
    assert_eq!(
        state.encode_truncated(TraceState::DEFAULT_MAX_HEADER_LEN),
        header.as_str()
    );
}

#[test]
fn lookups_of_keys_that_cannot_exist_find_nothing() {
    let mut state = TraceState::parse("a=1,b=2").unwrap();
    for key in ["", "A", "a=1", "a,b", " a", "\u{e9}"] {
        assert_eq!(state.get(key), None, "{key:?}");
        assert!(!state.delete(key), "{key:?}");
    }
    assert_eq!(state.as_str(), "a=1,b=2");
}

#[test]
fn debug_shows_the_members() {
    let state = TraceState::parse("a=1,b=2").unwrap();
    assert_eq!(format!("{state:?}"), r#"{"a": "1", "b": "2"}"#);
}
