//! The `tracestate` header: strict parse, get/set/delete, iteration, truncation, encode.
//!
//! Spec: W3C Trace Context Level 2, "Tracestate Header", "tracestate Limits" and "Mutating the
//! tracestate Field" (`20-http_request_header_format.md`).

use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;
use std::borrow::{Borrow, Cow};

use crate::codec::error::{ParseError, ParseErrorKind};

// The limits of the specification; public as `TraceState::MAX_MEMBERS` and so on.
const MAX_MEMBERS: usize = 32;
const MAX_KEY_LEN: usize = 256;
const MAX_VALUE_LEN: usize = 256;
const DEFAULT_MAX_HEADER_LEN: usize = 512;

/// Members longer than this are the first to go when a header is truncated ("Entries larger
/// than 128 characters long SHOULD be removed first").
const LARGE_MEMBER_LEN: usize = 128;

/// Character classes of the key grammar, one table lookup per byte.
const KEY_FIRST: u8 = 1; // lcalpha / DIGIT
const KEY_CHAR: u8 = 2; // lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"

static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = b'a';
    while c <= b'z' {
        table[c as usize] |= KEY_FIRST | KEY_CHAR;
        c += 1;
    }
    let mut c = b'0';
    while c <= b'9' {
        table[c as usize] |= KEY_FIRST | KEY_CHAR;
        c += 1;
    }
    table[b'_' as usize] |= KEY_CHAR;
    table[b'-' as usize] |= KEY_CHAR;
    table[b'*' as usize] |= KEY_CHAR;
    table[b'/' as usize] |= KEY_CHAR;
    table[b'@' as usize] |= KEY_CHAR;
    table
};

fn has_class(byte: u8, class: u8) -> bool {
    CLASS[usize::from(byte)] & class != 0
}

/// Optional whitespace around list members (`OWS` of RFC 9110).
fn is_ows(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// The end of the key that starts at `bytes[start]`: `(lcalpha / DIGIT) 0*(keychar)`, its
/// length unchecked; `start` itself if no key starts there.
#[inline]
fn key_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        Some(&first) if has_class(first, KEY_FIRST) => {
            let rest = &bytes[start + 1..];
            let run = rest.iter().position(|&b| !has_class(b, KEY_CHAR));
            start + 1 + run.unwrap_or(rest.len())
        }
        _ => start,
    }
}

/// One in each byte lane of a `u64`.
const LANES: u64 = 0x0101_0101_0101_0101;
/// The high bit of each byte lane.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The lanes (their high bits) of eight bytes that are not printable ASCII (`%x20-7E`).
///
/// Per-lane arithmetic on the low 7 bits cannot carry into the next lane (at most
/// `0x7f + 0x7f`): adding `0x80 - c` sets a lane's high bit exactly when it is at least `c`.
/// Bytes with their own high bit set are invalid.
#[inline]
fn non_printable_lanes(word: u64) -> u64 {
    let low7 = word & !HIGH_BITS;
    let at_least = |c: u64| low7.wrapping_add((0x80 - c) * LANES);
    (word | !at_least(0x20) | at_least(0x7f)) & HIGH_BITS
}

/// The lanes (their high bits) of eight bytes that are not value characters: the value
/// grammar's `chr = %x20 / nblk-chr`, `nblk-chr = %x21-2B / %x2D-3C / %x3E-7E`, that is
/// printable ASCII ([`non_printable_lanes`]) but `,` and `=`. Adding `0x7f` to a lane of the
/// low 7 bits sets its high bit exactly when it is not zero.
#[inline]
fn non_value_lanes(word: u64) -> u64 {
    let low7 = word & !HIGH_BITS;
    let equals = |c: u64| !(low7 ^ (c * LANES)).wrapping_add(0x7f * LANES);
    non_printable_lanes(word) | ((equals(0x2c) | equals(0x3d)) & HIGH_BITS)
}

/// The end of the run of value characters from `start`, eight bytes at a time.
#[inline]
fn value_run_end(bytes: &[u8], start: usize) -> usize {
    run_end(bytes, start, non_value_lanes)
}

/// The end of the run from `start` of bytes that `invalid_lanes` leaves clear (it must
/// pass a value character, as [`PADDING`] is made of them), eight bytes at a time.
#[allow(clippy::inline_always)] // one copy per class, in the loops of its callers
#[inline(always)]
fn run_end(bytes: &[u8], start: usize, invalid_lanes: impl Fn(u64) -> u64) -> usize {
    let mut pos = start;
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let invalid = invalid_lanes(u64::from_le_bytes(word));
        if invalid != 0 {
            return pos + (invalid.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while pos < bytes.len() && invalid_lanes(u64::from(bytes[pos]) | PADDING) == 0 {
        pos += 1;
    }
    pos
}

/// Seven value characters above the low byte, to test one byte with [`non_value_lanes`].
const PADDING: u64 = 0x6161_6161_6161_6100;

/// The length rules of a value whose characters are valid: 1 to 256, not ending in a space.
fn value_fits(value: &[u8]) -> bool {
    !value.is_empty() && value.len() <= MAX_VALUE_LEN && value[value.len() - 1] != b' '
}

/// Whether `key` is a valid Level 2 key.
#[inline]
pub(crate) fn is_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_KEY_LEN && key_end(bytes, 0) == bytes.len()
}

/// Whether `value` is a valid value.
#[inline]
pub(crate) fn is_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    value_run_end(bytes, 0) == bytes.len() && value_fits(bytes)
}

/// Key equality for duplicate checks, which compare every pair of members: distinct keys of
/// equal length (`vendor1`, `vendor2`) mostly differ in their last byte, so compare that
/// before the whole keys.
fn same_key(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.last() == b.last() && a == b
}

/// Where one member sits in the encoded header: `header[start..key_end]` is the key,
/// `header[key_end + 1..end]` the value. `u16` suffices: 32 members of at most 513 bytes and
/// 31 commas make at most 16,447 bytes.
#[derive(Clone, Copy, Default, Debug)]
struct Member {
    start: u16,
    key_end: u16,
    end: u16,
}

/// A W3C `tracestate`: an ordered list of at most 32 `key=value` members, left-most newest.
///
/// The list is held as its encoded header in one `String` plus the positions of its members,
/// so parsing allocates once whatever the member count, [`as_str`](Self::as_str) and `Display`
/// cost nothing, and [`get`](Self::get) returns slices of the header.
///
/// Two choices where the specification leaves room, both taken so the official W3C test suite
/// passes at its strict Level 2 setting:
/// - A header with more than 32 members, or with any member that breaks the key or value
///   grammar, is rejected whole ("If the tracestate header cannot be parsed the vendor MAY
///   discard the entire header").
/// - A key that appears twice keeps its left-most occurrence and the rest of the list stays
///   intact ("vendors MAY also discard duplicate keys").
///
/// # The name
///
/// `TraceState`, where its sibling is [`Traceparent`](crate::Traceparent) and not
/// `TraceParent`: this is the name OpenTelemetry gives the same list
/// (`opentelemetry::trace::TraceState`, and "`TraceState`" in its specification), so code that
/// moves members between the two reads alike. `Traceparent` has no OpenTelemetry counterpart
/// and takes its header's name, one word, as the W3C specification writes it.
///
/// # Examples
///
/// ```
/// use tctx::TraceState;
///
/// let mut state = TraceState::parse("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE")?;
/// assert_eq!(state.get("congo"), Some("t61rcWkgMzE"));
///
/// state.set("congo", "ucfJifl5GOE")?; // an update moves the key to the front
/// assert_eq!(state.to_string(), "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
///
/// state.delete("rojo");
/// assert_eq!(state.as_str(), "congo=ucfJifl5GOE");
/// # Ok::<(), tctx::ParseError>(())
/// ```
#[derive(Clone, Default)]
pub struct TraceState {
    header: String,
    members: [Member; MAX_MEMBERS],
    len: u8,
    /// The [`key_digest`] bits of the keys: a key whose bit is clear is absent without a
    /// comparison. Bits of deleted keys stay set, which costs a comparison, never a result.
    digests: u64,
}

impl TraceState {
    /// Most list members a tracestate may hold ("There can be a maximum of 32 list-members").
    pub const MAX_MEMBERS: usize = MAX_MEMBERS;

    /// Longest key, in characters (`(lcalpha / DIGIT) 0*255(keychar)`).
    pub const MAX_KEY_LEN: usize = MAX_KEY_LEN;

    /// Longest value, in characters (`0*255(chr) nblk-chr`).
    pub const MAX_VALUE_LEN: usize = MAX_VALUE_LEN;

    /// The header length the specification asks every vendor to propagate at least ("Vendors
    /// SHOULD propagate at least 512 characters of a combined header"): the limit the
    /// propagator cuts its outgoing header to by default, by the rules of
    /// [`truncate`](Self::truncate).
    pub const DEFAULT_MAX_HEADER_LEN: usize = DEFAULT_MAX_HEADER_LEN;

    /// An empty tracestate. It encodes to the empty string: check
    /// [`is_empty`](Self::is_empty) and send no header at all.
    ///
    /// # Examples
    ///
    /// ```
    /// let state = tctx::TraceState::new();
    /// assert!(state.is_empty());
    /// assert_eq!(state.as_str(), "");
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a tracestate from pairs, the first pair left-most, as the JavaScript `tctx`'s
    /// `make({ key: 'value' })` does.
    ///
    /// A key given twice keeps its first value, as [`parse`](Self::parse) does.
    ///
    /// # Errors
    ///
    /// [`ParseErrorKind::Key`] or [`ParseErrorKind::Value`] for a pair that breaks the grammar,
    /// [`ParseErrorKind::TooManyMembers`] for more than 32 pairs.
    ///
    /// # Examples
    ///
    /// Pairs by value or borrowed, `&str` or `String`:
    ///
    /// ```
    /// let state = tctx::TraceState::make([("service", "frontend"), ("region", "eu")])?;
    /// assert_eq!(state.as_str(), "service=frontend,region=eu");
    ///
    /// let borrowed = tctx::TraceState::make(&[("a", "1")])?;
    /// let owned = tctx::TraceState::make(vec![("a".to_owned(), "1".to_owned())])?;
    /// assert_eq!(borrowed, owned);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn make<I, K, V>(pairs: I) -> Result<Self, ParseError>
    where
        I: IntoIterator,
        I::Item: Borrow<(K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut state = Self::new();
        for (count, pair) in pairs.into_iter().enumerate() {
            let (key, value) = pair.borrow();
            let (key, value) = (key.as_ref(), value.as_ref());
            if count == MAX_MEMBERS {
                return Err(ParseError::unlocated(ParseErrorKind::TooManyMembers));
            }
            validate_key(key)?;
            validate_value(value)?;
            state.push_unless_duplicate(key, value);
        }
        Ok(state)
    }

    /// Parses one `tracestate` header value.
    ///
    /// Members are separated by commas; spaces and tabs around members are ignored and empty
    /// members are allowed. Each member must match the Level 2 grammar:
    /// - key: `(a-z / 0-9)` then up to 255 of `a-z 0-9 _ - * / @` (so `tenant@vendor`,
    ///   `a@b@c` and `foo@@bar` are valid keys);
    /// - value: 1 to 256 printable ASCII characters except `,` and `=`, not ending with a
    ///   space; leading spaces are part of the value.
    ///
    /// More than 32 members, or any invalid member, rejects the whole header. A repeated key
    /// keeps its left-most occurrence. See the type documentation for why.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] naming the first rule broken and where.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::{ParseErrorKind, TraceState};
    ///
    /// let state = TraceState::parse(" a=1 ,, tenant@vendor= x,a=2")?;
    /// assert_eq!(state.as_str(), "a=1,tenant@vendor= x");
    ///
    /// let err = TraceState::parse("a=1,b=trailing\ttab").unwrap_err();
    /// assert_eq!(err.kind(), ParseErrorKind::Value);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        Self::parse_all([value])
    }

    /// Parses a tracestate that arrived as several header fields, combining them in the order
    /// given, as RFC 9110 section 5.3 ("Field Order") says: the result is that of parsing the
    /// values joined with commas, without building the joined string.
    ///
    /// # Errors
    ///
    /// As [`parse`](Self::parse); the error's offset is within the field that broke a rule.
    ///
    /// # Examples
    ///
    /// ```
    /// let state = tctx::TraceState::parse_all(["rojo=1,congo=2", "", "blue=3"])?;
    /// assert_eq!(state.as_str(), "rojo=1,congo=2,blue=3");
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn parse_all<'a, I>(fields: I) -> Result<Self, ParseError>
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut members = Members::new();
        for field in fields {
            members.read(field)?;
        }
        Ok(Self::from_members(&members))
    }

    /// The tracestate of `members`, its buffer the exact size of the header: one allocation.
    pub(crate) fn from_members(members: &Members<'_>) -> Self {
        let members = members.as_slice();
        let commas = members.len().saturating_sub(1);
        let len = members
            .iter()
            .map(|(k, v)| k.len() + 1 + v.len())
            .sum::<usize>()
            + commas;
        let mut state = Self::new();
        state.header.reserve_exact(len);
        for &(key, value) in members {
            state.push(key, value, key_digest(key));
        }
        state
    }

    /// An empty tracestate whose buffer holds `capacity` bytes before it grows: for
    /// adapters that build a header from another list with
    /// [`push_if_valid`](Self::push_if_valid).
    #[cfg(feature = "opentelemetry")]
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            header: String::with_capacity(capacity),
            ..Self::default()
        }
    }

    /// Appends a member on the right if it is valid, its key is new and the list is not full;
    /// returns whether it was added. For adapters that build a header from another list.
    ///
    /// The callers pass the members of a [`TraceState`] and of OpenTelemetry's `TraceState`,
    /// whose own checks (0.33) admit the empty key and otherwise a subset of the Level 2 key
    /// grammar, and values of at most 256 characters without `,` or `=`
    /// (`tests/propagator.rs` pins both against OpenTelemetry). So only what OpenTelemetry
    /// lets through is checked: an empty key, and a value that is empty, ends in a space or
    /// holds a byte that is not printable ASCII (a tab).
    #[cfg(feature = "opentelemetry")]
    // Measured: out of line, its call per member cost more than its checks.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub(crate) fn push_if_valid(&mut self, key: &str, value: &str) -> bool {
        debug_assert!(key.is_empty() || is_key(key), "not a valid key: {key:?}");
        debug_assert!(
            value.len() <= MAX_VALUE_LEN && !value.contains([',', '=']),
            "not a value OpenTelemetry holds: {value:?}"
        );
        let bytes = value.as_bytes();
        usize::from(self.len) < MAX_MEMBERS
            && !key.is_empty()
            && run_end(bytes, 0, non_printable_lanes) == bytes.len()
            && value_fits(bytes)
            && self.push_unless_duplicate(key, value)
    }

    /// Appends a validated member on the right, unless its key is already present; returns
    /// whether it was added. There is room.
    // Measured (callgrind, inject with 8 members): out of line, its call per member cost
    // about 20 instructions of register spills.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn push_unless_duplicate(&mut self, key: &str, value: &str) -> bool {
        let digest = key_digest(key);
        let new = self.position_with(key, digest).is_none();
        if new {
            self.push(key, value, digest);
        }
        new
    }

    /// Appends a validated member on the right; there is room, its key is new and its
    /// [`key_digest`] is `digest`.
    #[allow(clippy::inline_always)] // as `push_unless_duplicate`
    #[inline(always)]
    fn push(&mut self, key: &str, value: &str, digest: u64) {
        if !self.header.is_empty() {
            self.header.push(',');
        }
        let start = self.header.len();
        self.header.push_str(key);
        self.header.push('=');
        self.header.push_str(value);
        self.members[usize::from(self.len)] = Member {
            start: start as u16,
            key_end: (start + key.len()) as u16,
            end: self.header.len() as u16,
        };
        self.len += 1;
        self.digests |= digest;
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.position_with(key, key_digest(key))
    }

    #[inline]
    fn position_with(&self, key: &str, digest: u64) -> Option<usize> {
        if self.digests & digest == 0 {
            return None;
        }
        let header = self.header.as_bytes();
        let keys = self
            .positions()
            .iter()
            .map(|m| &header[usize::from(m.start)..usize::from(m.key_end)]);
        find_key(keys, key)
    }

    fn positions(&self) -> &[Member] {
        &self.members[..usize::from(self.len)]
    }

    fn key_of(&self, member: Member) -> &str {
        &self.header[usize::from(member.start)..usize::from(member.key_end)]
    }

    fn value_of(&self, member: Member) -> &str {
        &self.header[usize::from(member.key_end) + 1..usize::from(member.end)]
    }

    /// The value of `key`, if present.
    ///
    /// # Examples
    ///
    /// ```
    /// let state = tctx::TraceState::parse("rojo=00f067aa0ba902b7")?;
    /// assert_eq!(state.get("rojo"), Some("00f067aa0ba902b7"));
    /// assert_eq!(state.get("congo"), None);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).map(|i| self.value_of(self.members[i]))
    }

    /// Sets `key` to `value` and moves it to the front (left), as "Mutating the tracestate
    /// Field" asks of both updates and additions. When a new key would make 33 members, the
    /// right-most member is removed.
    ///
    /// # Errors
    ///
    /// [`ParseErrorKind::Key`] or [`ParseErrorKind::Value`] if either breaks the grammar; the
    /// tracestate is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut state = tctx::TraceState::parse("congo=t61rcWkgMzE")?;
    /// state.set("rojo", "00f067aa0ba902b7")?;
    /// assert_eq!(state.as_str(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    ///
    /// assert!(state.set("Rojo", "x").is_err());
    /// assert!(state.set("rojo", "a,b").is_err());
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ParseError> {
        validate_key(key)?;
        validate_value(value)?;
        match self.position(key) {
            Some(index) => self.remove_at(index),
            None if usize::from(self.len) == MAX_MEMBERS => self.remove_at(MAX_MEMBERS - 1),
            None => {}
        }
        let separator = usize::from(!self.header.is_empty());
        let added = key.len() + 1 + value.len() + separator;
        self.header.reserve(added);
        if separator == 1 {
            self.header.insert(0, ',');
        }
        self.header.insert_str(0, value);
        self.header.insert(0, '=');
        self.header.insert_str(0, key);
        let len = usize::from(self.len);
        self.members.copy_within(..len, 1);
        for member in &mut self.members[1..=len] {
            member.start += added as u16;
            member.key_end += added as u16;
            member.end += added as u16;
        }
        self.members[0] = Member {
            start: 0,
            key_end: key.len() as u16,
            end: (key.len() + 1 + value.len()) as u16,
        };
        self.len += 1;
        self.digests |= key_digest(key);
        Ok(())
    }

    /// Removes `key`; returns whether it was present. The order of the other members is kept.
    ///
    /// The specification asks vendors not to delete keys they did not write.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut state = tctx::TraceState::parse("a=1,b=2,c=3")?;
    /// assert!(state.delete("b"));
    /// assert!(!state.delete("b"));
    /// assert_eq!(state.as_str(), "a=1,c=3");
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn delete(&mut self, key: &str) -> bool {
        match self.position(key) {
            Some(index) => {
                self.remove_at(index);
                true
            }
            None => false,
        }
    }

    fn remove_at(&mut self, index: usize) {
        let len = usize::from(self.len);
        let member = self.members[index];
        // Remove the member with one adjacent comma: the one after it, or for the last member
        // the one before it.
        let (from, to) = if index + 1 < len {
            (usize::from(member.start), usize::from(member.end) + 1)
        } else {
            (
                usize::from(member.start).saturating_sub(1),
                usize::from(member.end),
            )
        };
        self.header.replace_range(from..to, "");
        let removed = (to - from) as u16;
        self.members.copy_within(index + 1..len, index);
        for member in &mut self.members[index..len - 1] {
            member.start -= removed;
            member.key_end -= removed;
            member.end -= removed;
        }
        self.len -= 1;
    }

    /// The number of members.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(tctx::TraceState::parse("a=1,,b=2")?.len(), 2);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether there are no members. An empty tracestate should not be sent as a header.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(tctx::TraceState::parse(" , ")?.is_empty());
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The members in order, left-most first, as `(key, value)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let state = tctx::TraceState::parse("a=1,b=2")?;
    /// let pairs: Vec<_> = state.iter().collect();
    /// assert_eq!(pairs, [("a", "1"), ("b", "2")]);
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub fn iter(&self) -> TraceStateIter<'_> {
        TraceStateIter {
            state: self,
            members: self.positions().iter(),
        }
    }

    /// The header value: members joined by commas, without whitespace. Empty when there are
    /// no members.
    ///
    /// # Examples
    ///
    /// ```
    /// let state = tctx::TraceState::parse("a=1 , b= 2")?;
    /// assert_eq!(state.as_str(), "a=1,b= 2");
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.header
    }

    /// The header value, taking the buffer without a copy.
    ///
    /// # Examples
    ///
    /// ```
    /// let state = tctx::TraceState::parse("a=1, b=2")?;
    /// let header: String = state.into_string();
    /// assert_eq!(header, "a=1,b=2");
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub fn into_string(self) -> String {
        self.header
    }

    /// The header value cut to at most `max_len` characters by removing whole members, as
    /// "tracestate Limits" says: members longer than 128 characters go first, right-most
    /// first; then members from the right. Removal stops as soon as the header fits. Borrows
    /// when nothing needs to go.
    ///
    /// The specification asks to propagate at least 512 characters
    /// ([`DEFAULT_MAX_HEADER_LEN`](Self::DEFAULT_MAX_HEADER_LEN)); a smaller limit should be documented by whoever sets it.
    ///
    /// # Examples
    ///
    /// ```
    /// let long = "x".repeat(200);
    /// let state = tctx::TraceState::parse(&format!("a=1,big={long},b=2"))?;
    /// assert_eq!(state.encode_truncated(512), state.as_str());
    /// assert_eq!(state.encode_truncated(100), "a=1,b=2");
    /// assert_eq!(state.encode_truncated(5), "a=1");
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    #[must_use]
    pub fn encode_truncated(&self, max_len: usize) -> Cow<'_, str> {
        let keep = self.members_to_keep(max_len);
        if keep == self.all_members() {
            return Cow::Borrowed(&self.header);
        }
        let mut out = String::with_capacity(max_len.min(self.header.len()));
        for (index, member) in self.positions().iter().enumerate() {
            if keep & (1 << index) != 0 {
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(&self.header[usize::from(member.start)..usize::from(member.end)]);
            }
        }
        Cow::Owned(out)
    }

    /// Removes whole members until the header is at most `max_len` characters, by the rules
    /// of [`encode_truncated`](Self::encode_truncated).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut state = tctx::TraceState::parse("a=1,b=2,c=3")?;
    /// state.truncate(7);
    /// assert_eq!(state.as_str(), "a=1,b=2");
    /// # Ok::<(), tctx::ParseError>(())
    /// ```
    pub fn truncate(&mut self, max_len: usize) {
        if self.header.len() <= max_len {
            return;
        }
        let keep = self.members_to_keep(max_len);
        for index in (0..self.len()).rev() {
            if keep & (1 << index) == 0 {
                self.remove_at(index);
            }
        }
    }

    fn all_members(&self) -> u32 {
        // `len` is at most 32; a u64 shift keeps 32 itself from overflowing.
        ((1u64 << self.len) - 1) as u32
    }

    /// A bit set (bit i = member i) of the members that survive truncation to `max_len`:
    /// the rules of "tracestate Limits", in one place.
    fn members_to_keep(&self, max_len: usize) -> u32 {
        let mut keep = self.all_members();
        let mut header_len = self.header.len();
        if header_len <= max_len {
            return keep;
        }
        let mut remaining = self.len();
        let member_len = |m: &Member| usize::from(m.end - m.start);
        let large_first = self
            .positions()
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, m)| member_len(m) > LARGE_MEMBER_LEN);
        let then_from_right = self.positions().iter().enumerate().rev();
        for (index, member) in large_first.chain(then_from_right) {
            if header_len <= max_len {
                break;
            }
            if keep & (1 << index) == 0 {
                continue;
            }
            keep &= !(1 << index);
            remaining -= 1;
            // A member takes its length plus one comma, unless it was the only one left.
            header_len -= member_len(member) + usize::from(remaining > 0);
        }
        keep
    }
}

/// Checks a key against the Level 2 grammar.
fn validate_key(key: &str) -> Result<(), ParseError> {
    if is_key(key) {
        Ok(())
    } else {
        Err(ParseError::unlocated(ParseErrorKind::Key))
    }
}

/// Checks a value against the grammar.
fn validate_value(value: &str) -> Result<(), ParseError> {
    if is_value(value) {
        Ok(())
    } else {
        Err(ParseError::unlocated(ParseErrorKind::Value))
    }
}

/// The index of `key` among `keys`, compared byte for byte: how repeated keys are found,
/// wherever a list is read or built.
fn find_key<'k>(mut keys: impl Iterator<Item = &'k [u8]>, key: &str) -> Option<usize> {
    keys.position(|k| same_key(k, key.as_bytes()))
}

/// The members of a received tracestate, borrowed from its fields: at most 32, each valid,
/// each key once (the left-most wins). [`read`](Self::read) is the one reader of the list
/// grammar, for [`TraceState::parse`] and the OpenTelemetry propagator alike; it lives on the
/// stack and allocates nothing. [`TraceState`] is the one builder of headers.
pub(crate) struct Members<'a> {
    list: [(&'a str, &'a str); MAX_MEMBERS],
    len: usize,
    /// Members read so far, repeated keys included: the 32-member limit counts the header as
    /// received.
    read: usize,
    /// One bit per key digest (see [`key_digest`]): a key whose bit is clear is new without
    /// a comparison, which keeps a list without repeats linear.
    digests: u64,
}

impl<'a> Members<'a> {
    pub(crate) const fn new() -> Self {
        Self {
            list: [("", ""); MAX_MEMBERS],
            len: 0,
            read: 0,
            digests: 0,
        }
    }

    pub(crate) fn as_slice(&self) -> &[(&'a str, &'a str)] {
        &self.list[..self.len]
    }

    /// Appends a member on the right unless its key is already present; the reader has
    /// checked that there is room.
    fn push_new(&mut self, key: &'a str, value: &'a str) {
        let bit = key_digest(key);
        let seen = self.digests & bit != 0
            && find_key(self.as_slice().iter().map(|(k, _)| k.as_bytes()), key).is_some();
        if !seen {
            self.list[self.len] = (key, value);
            self.len += 1;
            self.digests |= bit;
        }
    }

    /// Reads one field of a `tracestate` header and appends its members. Members are
    /// separated by commas, with optional whitespace around them; empty members are allowed.
    /// On an error the whole header is invalid, members already appended included.
    pub(crate) fn read(&mut self, field: &'a str) -> Result<(), ParseError> {
        let bytes = field.as_bytes();
        let fail = |kind, at| Err(ParseError::new(kind, at));
        let mut pos = 0;
        loop {
            // Optional whitespace and empty members, in any order.
            while let Some(b' ' | b'\t' | b',') = bytes.get(pos) {
                pos += 1;
            }
            if pos == bytes.len() {
                return Ok(());
            }
            self.read += 1;
            if self.read > MAX_MEMBERS {
                return fail(ParseErrorKind::TooManyMembers, pos);
            }

            let key_start = pos;
            pos = key_end(bytes, pos);
            if bytes.get(pos) != Some(&b'=') || pos == key_start || pos - key_start > MAX_KEY_LEN {
                return Err(key_error(bytes, key_start, pos));
            }
            let key = &field[key_start..pos];

            pos += 1; // '='
            let value_start = pos;
            pos = value_run_end(bytes, pos);
            let at_separator = bytes.get(pos).is_none_or(|&b| b == b',');
            let value = if at_separator && value_fits(&bytes[value_start..pos]) {
                // The common member: a value ended by a comma or the end, no whitespace.
                &field[value_start..pos]
            } else {
                // Trailing spaces are optional whitespace, not part of the value.
                let mut value_end = pos;
                while value_end > value_start && bytes[value_end - 1] == b' ' {
                    value_end -= 1;
                }
                if !value_fits(&bytes[value_start..value_end]) {
                    return fail(ParseErrorKind::Value, value_start);
                }
                // The value may only be followed by optional whitespace, then a comma or the
                // end.
                let value_run_end = pos;
                while pos < bytes.len() && is_ows(bytes[pos]) {
                    pos += 1;
                }
                if pos < bytes.len() && bytes[pos] != b',' {
                    return fail(ParseErrorKind::Value, value_run_end);
                }
                &field[value_start..value_end]
            };
            pos += 1; // the comma, or past the end
                      // Slicing at these offsets is sound: every byte checked above is ASCII.
            self.push_new(key, value);
            if pos >= bytes.len() {
                return Ok(());
            }
        }
    }
}

/// The error of a member whose key, from `key_start`, ends at `key_end` without an `=` after
/// it, or is too long: which rule it broke, and where.
#[cold]
fn key_error(bytes: &[u8], key_start: usize, key_end: usize) -> ParseError {
    if key_end == key_start {
        return ParseError::new(ParseErrorKind::Key, key_end);
    }
    if bytes.get(key_end) != Some(&b'=') {
        // Either the member has no '=' at all, or the key holds a character it may not.
        let rest = &bytes[key_end..];
        let member_end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        return if rest[..member_end].contains(&b'=') {
            ParseError::new(ParseErrorKind::Key, key_end)
        } else {
            ParseError::new(ParseErrorKind::Member, key_start)
        };
    }
    ParseError::new(ParseErrorKind::Key, key_start)
}

/// One of 64 bits for `key`, from its length and last two bytes (where keys such as
/// `vendor1` .. `vendor31` differ).
#[inline]
fn key_digest(key: &str) -> u64 {
    let digest = match *key.as_bytes() {
        [] => 0,
        [last] => u32::from(last),
        [.., before, last] => u32::from(last) + 10 * u32::from(before),
    };
    1 << ((key.len() as u32).wrapping_mul(7).wrapping_add(digest) % 64)
}

/// Iterator over the `(key, value)` members of a [`TraceState`], left-most first.
///
/// # Examples
///
/// ```
/// let state = tctx::TraceState::parse("a=1,b=2")?;
/// for (key, value) in &state {
///     println!("{key} = {value}");
/// }
/// # Ok::<(), tctx::ParseError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TraceStateIter<'a> {
    state: &'a TraceState,
    members: core::slice::Iter<'a, Member>,
}

impl<'a> Iterator for TraceStateIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let member = *self.members.next()?;
        Some((self.state.key_of(member), self.state.value_of(member)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.members.size_hint()
    }
}

impl DoubleEndedIterator for TraceStateIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let member = *self.members.next_back()?;
        Some((self.state.key_of(member), self.state.value_of(member)))
    }
}

impl ExactSizeIterator for TraceStateIter<'_> {}

impl<'a> IntoIterator for &'a TraceState {
    type Item = (&'a str, &'a str);
    type IntoIter = TraceStateIter<'a>;

    fn into_iter(self) -> TraceStateIter<'a> {
        self.iter()
    }
}

impl PartialEq for TraceState {
    fn eq(&self, other: &Self) -> bool {
        // The member positions follow from the header, so the header decides.
        self.header == other.header
    }
}

impl Eq for TraceState {}

impl Hash for TraceState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.header.hash(state);
    }
}

impl fmt::Debug for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl fmt::Display for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl FromStr for TraceState {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::{non_printable_lanes, run_end, value_run_end};

    #[test]
    fn the_printable_class_is_printable_ascii_in_every_lane() {
        for byte in 0..=255u8 {
            for at in 0..11 {
                let mut bytes = [b'x'; 11];
                bytes[at] = byte;
                let expected = if (0x20..=0x7e).contains(&byte) {
                    11
                } else {
                    at
                };
                let end = run_end(&bytes, 0, non_printable_lanes);
                assert_eq!(end, expected, "{byte:#04x} at {at}");
            }
        }
    }

    #[test]
    fn the_value_class_is_printable_ascii_but_comma_and_equals_in_every_lane() {
        let is_value_char = |b: u8| (0x20..=0x7e).contains(&b) && b != b',' && b != b'=';
        for byte in 0..=255u8 {
            for at in 0..11 {
                let mut bytes = [b'x'; 11];
                bytes[at] = byte;
                let expected = if is_value_char(byte) { 11 } else { at };
                assert_eq!(value_run_end(&bytes, 0), expected, "{byte:#04x} at {at}");
                assert_eq!(value_run_end(&bytes[at..], 0), expected - at, "{byte:#04x}");
            }
        }
    }
}
