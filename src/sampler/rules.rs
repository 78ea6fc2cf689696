//! Rule-based sampling: [`ComposableRuleBased`] picks the sampler of the first rule whose
//! [`Predicate`] matches; [`SpanMatcher`] is the predicate of the configuration schema's rule
//! (`ExperimentalComposableRuleBasedSamplerRule`).

use std::fmt::{self, Write as _};
use std::sync::Arc;

use opentelemetry::trace::SpanKind;
use opentelemetry::{Array, Key, Value};

use super::composable::{ComposableDelegate, ComposableSampler, SamplingIntent, SamplingParams};
use super::{ParentKind, SamplerDescription};

/// Whether a rule applies to a span. Any `Fn(&SamplingParams) -> bool + Send + Sync` is one;
/// [`SpanMatcher`] is the configurable one.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{SpanKind, TraceId};
/// use tctx::sampler::{Predicate, SamplingParams};
///
/// let long_name = |params: &SamplingParams<'_>| params.name().len() > 20;
/// let params = SamplingParams::new(None, TraceId::from(1), "short", &SpanKind::Internal, &[], &[]);
/// assert!(!long_name.matches(&params));
/// ```
pub trait Predicate: Send + Sync {
    /// Whether the span matches.
    fn matches(&self, params: &SamplingParams<'_>) -> bool;

    /// How the predicate shows in a sampler's description.
    fn description(&self) -> String {
        "Predicate".to_owned()
    }
}

impl<F> Predicate for F
where
    F: Fn(&SamplingParams<'_>) -> bool + Send + Sync,
{
    fn matches(&self, params: &SamplingParams<'_>) -> bool {
        self(params)
    }
}

/// A `*`/`?` wildcard pattern, as the configuration schema's `attribute_patterns` define it:
/// case-sensitive, `?` matches any one character, `*` any number of characters (none
/// included), every other character itself. The shapes rules mostly use (no wildcard, one
/// trailing or leading `*`) are told apart once, when the pattern is made, and matched
/// without the general loop.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    text: String,
    shape: Shape,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// No wildcard: equality.
    Exact,
    /// `literal*`.
    Prefix,
    /// `*literal`.
    Suffix,
    /// Anything else.
    Wildcard,
}

impl Pattern {
    fn new(text: String) -> Self {
        let wildcards = text.bytes().filter(|b| matches!(b, b'*' | b'?')).count();
        let shape = match wildcards {
            0 => Shape::Exact,
            1 if text.ends_with('*') => Shape::Prefix,
            1 if text.starts_with('*') => Shape::Suffix,
            _ => Shape::Wildcard,
        };
        Self { text, shape }
    }

    fn as_str(&self) -> &str {
        &self.text
    }

    fn matches(&self, text: &str) -> bool {
        let pattern = self.text.as_str();
        match self.shape {
            Shape::Exact => text == pattern,
            Shape::Prefix => text.starts_with(&pattern[..pattern.len() - 1]),
            Shape::Suffix => text.ends_with(&pattern[1..]),
            Shape::Wildcard => wildcard_matches(pattern.as_bytes(), text.as_bytes()),
        }
    }
}

/// The general match: backtracking over the last `*` only, so at most
/// `pattern.len() * text.len()` steps, with no allocation.
fn wildcard_matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, text index it covers to).
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                resume = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(b'?') => {
                p += 1;
                t += char_len(text[t]);
                continue;
            }
            Some(&byte) if byte == text[t] => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        // Mismatch: let the last `*` swallow one more character, or fail.
        match resume {
            Some((after_star, covered)) => {
                let next = covered + char_len(text[covered]);
                resume = Some((after_star, next));
                p = after_star;
                t = next;
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&byte| byte == b'*')
}

/// The length of the UTF-8 character that starts with `lead` (1 for a continuation byte,
/// which a `&str` never starts a character with).
fn char_len(lead: u8) -> usize {
    match lead {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// One condition of a [`SpanMatcher`].
#[derive(Clone, Debug)]
enum Condition {
    AttributeValues {
        key: Key,
        values: Vec<String>,
    },
    AttributePatterns {
        key: Key,
        included: Vec<Pattern>,
        excluded: Vec<Pattern>,
    },
    SpanKinds(Vec<SpanKind>),
    Parents(Vec<ParentKind>),
    SpanName(String),
    SpanNamePattern(Pattern),
}

/// Calls `f` with the string form of each item of `value` (one for a scalar, each for an
/// array: "For array attributes, if any item matches, it is considered a match") until it
/// returns `true`. Numbers are written into a stack buffer, not allocated.
fn any_string_form(value: &Value, mut f: impl FnMut(&str) -> bool) -> bool {
    match value {
        Value::String(s) => f(s.as_str()),
        Value::Bool(b) => f(bool_str(*b)),
        Value::I64(n) => f(NumberBuf::default().format(n)),
        Value::F64(x) => f(NumberBuf::default().format(x)),
        Value::Array(Array::String(items)) => items.iter().any(|s| f(s.as_str())),
        Value::Array(Array::Bool(items)) => items.iter().any(|b| f(bool_str(*b))),
        Value::Array(Array::I64(items)) => {
            let mut buf = NumberBuf::default();
            items.iter().any(|n| f(buf.format(n)))
        }
        Value::Array(Array::F64(items)) => {
            let mut buf = NumberBuf::default();
            items.iter().any(|x| f(buf.format(x)))
        }
        // Arrays of kinds added to the API later have no agreed string form.
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// A stack buffer for the decimal form of a number; a number whose form does not fit (an
/// `f64` such as `1e300`, written out in full) is written to the heap instead.
#[derive(Default)]
struct NumberBuf {
    bytes: [u8; 32],
    len: usize,
    spill: String,
}

impl NumberBuf {
    fn format(&mut self, number: &impl fmt::Display) -> &str {
        self.len = 0;
        self.spill.clear();
        if write!(self, "{number}").is_err() {
            self.spill.clear();
            let _ = write!(self.spill, "{number}");
            return &self.spill;
        }
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl fmt::Write for NumberBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dest = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        dest.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Condition {
    fn matches(&self, params: &SamplingParams<'_>) -> bool {
        match self {
            Self::AttributeValues { key, values } => params
                .attribute(key.as_str())
                .is_some_and(|value| any_string_form(value, |s| values.iter().any(|v| v == s))),
            Self::AttributePatterns {
                key,
                included,
                excluded,
            } => params.attribute(key.as_str()).is_some_and(|value| {
                any_string_form(value, |s| {
                    (included.is_empty() || included.iter().any(|p| p.matches(s)))
                        && !excluded.iter().any(|p| p.matches(s))
                })
            }),
            Self::SpanKinds(kinds) => kinds.contains(params.span_kind()),
            Self::Parents(parents) => parents.contains(&params.parent_kind()),
            Self::SpanName(name) => params.name() == name,
            Self::SpanNamePattern(pattern) => pattern.matches(params.name()),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AttributeValues { key, values } => {
                write!(f, "attribute_values:{key}={values:?}")
            }
            Self::AttributePatterns {
                key,
                included,
                excluded,
            } => {
                let included: Vec<&str> = included.iter().map(Pattern::as_str).collect();
                let excluded: Vec<&str> = excluded.iter().map(Pattern::as_str).collect();
                write!(
                    f,
                    "attribute_patterns:{key}:included={included:?},excluded={excluded:?}"
                )
            }
            Self::SpanKinds(kinds) => write!(f, "span_kinds:{kinds:?}"),
            Self::Parents(parents) => write!(f, "parent:{parents:?}"),
            Self::SpanName(name) => write!(f, "span_name:{name:?}"),
            Self::SpanNamePattern(pattern) => write!(f, "span_name_pattern:{:?}", pattern.as_str()),
        }
    }
}

/// A predicate made of conditions that must all match: the configuration schema's rule
/// (`attribute_values`, `attribute_patterns`, `span_kinds`, `parent`) and, as a tctx
/// extension, the span name. With no condition it matches every span.
///
/// - [`attribute_values`](Self::with_attribute_values): the attribute's value is one of these.
///   Non-string values are compared by their string form, Rust's `Display`: `404` matches
///   `"404"`, `true` matches `"true"`, and a double `1.0` matches `"1"` (Java and Python
///   write `"1.0"`; the schema does not say). An array matches when any item does.
/// - [`attribute_patterns`](Self::with_attribute_patterns): the value matches an included pattern
///   (all values when none is given) and no excluded one; `*` and `?` wildcards,
///   case-sensitive. For an array, one item that is included and not excluded is a match:
///   `[404, 401]` with included `4*` and excluded `404` matches (by `401`).
/// - [`span_kinds`](Self::with_span_kinds), [`parents`](Self::with_parents): the span's kind, or where
///   its parent is, is one of these.
/// - [`span_name`](Self::with_span_name), [`span_name_pattern`](Self::with_span_name_pattern): the span
///   name is this, or matches this pattern.
///
/// A missing attribute matches no attribute condition.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::{SpanKind, TraceId};
/// use opentelemetry::KeyValue;
/// use tctx::sampler::{Predicate, SamplingParams, SpanMatcher};
///
/// let health = SpanMatcher::new()
///     .with_span_kinds([SpanKind::Server])
///     .with_attribute_values("http.route", ["/healthz", "/livez"]);
/// let attributes = [KeyValue::new("http.route", "/livez")];
/// let params = SamplingParams::new(None, TraceId::from(1), "GET", &SpanKind::Server, &attributes, &[]);
/// assert!(health.matches(&params));
/// ```
#[derive(Clone, Debug, Default)]
pub struct SpanMatcher {
    conditions: Vec<Condition>,
}

impl SpanMatcher {
    /// A matcher with no condition: it matches every span.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::trace::{SpanKind, TraceId};
    /// use tctx::sampler::{Predicate, SamplingParams, SpanMatcher};
    ///
    /// let params = SamplingParams::new(None, TraceId::from(1), "any", &SpanKind::Client, &[], &[]);
    /// assert!(SpanMatcher::new().matches(&params));
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The attribute `key` has one of `values` (by string form; any item of an array).
    ///
    /// # Examples
    ///
    /// ```
    /// let matcher = tctx::sampler::SpanMatcher::new().with_attribute_values("http.response.status_code", ["404"]);
    /// # let _ = matcher;
    /// ```
    #[must_use]
    pub fn with_attribute_values(
        mut self,
        key: impl Into<Key>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.conditions.push(Condition::AttributeValues {
            key: key.into(),
            values: values.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// The attribute `key` matches one of `included` (any value if it is empty) and none of
    /// `excluded`.
    ///
    /// # Examples
    ///
    /// ```
    /// let internal = tctx::sampler::SpanMatcher::new().with_attribute_patterns(
    ///     "url.path",
    ///     ["/internal/*"],
    ///     ["/internal/special/*"],
    /// );
    /// # let _ = internal;
    /// ```
    #[must_use]
    pub fn with_attribute_patterns(
        mut self,
        key: impl Into<Key>,
        included: impl IntoIterator<Item = impl Into<String>>,
        excluded: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.conditions.push(Condition::AttributePatterns {
            key: key.into(),
            included: included
                .into_iter()
                .map(|p| Pattern::new(p.into()))
                .collect(),
            excluded: excluded
                .into_iter()
                .map(|p| Pattern::new(p.into()))
                .collect(),
        });
        self
    }

    /// The span's kind is one of `kinds`.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::trace::SpanKind;
    ///
    /// let outgoing = tctx::sampler::SpanMatcher::new().with_span_kinds([SpanKind::Client, SpanKind::Producer]);
    /// # let _ = outgoing;
    /// ```
    #[must_use]
    pub fn with_span_kinds(mut self, kinds: impl IntoIterator<Item = SpanKind>) -> Self {
        self.conditions
            .push(Condition::SpanKinds(kinds.into_iter().collect()));
        self
    }

    /// The span's parent is absent, remote or local, as one of `parents` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{ParentKind, SpanMatcher};
    ///
    /// let roots = SpanMatcher::new().with_parents([ParentKind::None]);
    /// # let _ = roots;
    /// ```
    #[must_use]
    pub fn with_parents(mut self, parents: impl IntoIterator<Item = ParentKind>) -> Self {
        self.conditions
            .push(Condition::Parents(parents.into_iter().collect()));
        self
    }

    /// The span's name is `name` (a tctx extension of the schema's rule).
    ///
    /// # Examples
    ///
    /// ```
    /// let ping = tctx::sampler::SpanMatcher::new().with_span_name("PING");
    /// # let _ = ping;
    /// ```
    #[must_use]
    pub fn with_span_name(mut self, name: impl Into<String>) -> Self {
        self.conditions.push(Condition::SpanName(name.into()));
        self
    }

    /// The span's name matches the `*`/`?` `pattern` (a tctx extension of the schema's rule).
    ///
    /// # Examples
    ///
    /// ```
    /// let gets = tctx::sampler::SpanMatcher::new().with_span_name_pattern("GET /api/*");
    /// # let _ = gets;
    /// ```
    #[must_use]
    pub fn with_span_name_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.conditions
            .push(Condition::SpanNamePattern(Pattern::new(pattern.into())));
        self
    }
}

impl Predicate for SpanMatcher {
    fn matches(&self, params: &SamplingParams<'_>) -> bool {
        self.conditions.iter().all(|c| c.matches(params))
    }

    fn description(&self) -> String {
        let conditions: Vec<String> = self.conditions.iter().map(ToString::to_string).collect();
        format!("SpanMatcher{{{}}}", conditions.join(","))
    }
}

/// A rule of a [`ComposableRuleBased`]: when `predicate` matches, `sampler` decides.
///
/// # Examples
///
/// ```
/// use tctx::sampler::{ComposableAlwaysOff, Rule, SpanMatcher};
///
/// let rule = Rule::new(SpanMatcher::new().with_attribute_values("http.route", ["/healthz"]), ComposableAlwaysOff);
/// # let _ = rule;
/// ```
#[derive(Clone)]
pub struct Rule {
    predicate: Arc<dyn Predicate>,
    sampler: ComposableDelegate,
}

impl Rule {
    /// A rule: `sampler` decides the spans `predicate` matches.
    #[must_use]
    pub fn new(
        predicate: impl Predicate + 'static,
        sampler: impl ComposableSampler + 'static,
    ) -> Self {
        Self {
            predicate: Arc::new(predicate),
            sampler: Arc::new(sampler),
        }
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({},{})",
            self.predicate.description(),
            self.sampler.description()
        )
    }
}

/// The sampler of the first rule that matches decides; when none matches, the span is
/// dropped ("`ComposableRuleBased`"). Description
/// `ComposableRuleBased{rules:[(predicate,sampler),…]}`.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::SpanKind;
/// use opentelemetry_sdk::trace::SdkTracerProvider;
/// use tctx::sampler::{
///     ComposableAlwaysOff, ComposableAlwaysOn, ComposableParentThreshold, ComposableProbability,
///     ComposableRuleBased, CompositeSampler, ParentKind, Rule, SpanMatcher,
/// };
///
/// // Drop health checks, keep every checkout, 10% of the rest; callers' decisions honoured.
/// let rules = ComposableRuleBased::new([
///     Rule::new(SpanMatcher::new().with_parents([ParentKind::Remote]), ComposableParentThreshold::new(ComposableAlwaysOff)),
///     Rule::new(SpanMatcher::new().with_span_kinds([SpanKind::Server]).with_attribute_values("http.route", ["/healthz"]), ComposableAlwaysOff),
///     Rule::new(SpanMatcher::new().with_attribute_values("http.route", ["/checkout"]), ComposableAlwaysOn),
///     Rule::new(SpanMatcher::new(), ComposableProbability::new(0.1)?),
/// ]);
/// let provider = SdkTracerProvider::builder().with_sampler(CompositeSampler::new(rules)).build();
/// # let _ = provider;
/// # Ok::<(), tctx::probability::ProbabilityError>(())
/// ```
#[derive(Clone, Default)]
pub struct ComposableRuleBased {
    rules: Vec<Rule>,
}

impl ComposableRuleBased {
    /// The rules, in the order they are tried. Without rules, no span matches, so none is
    /// sampled ("If no rules match, the span is not sampled").
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::{ComposableAlwaysOn, ComposableRuleBased, Rule, SamplerDescription, SpanMatcher};
    ///
    /// let sampler = ComposableRuleBased::new([Rule::new(SpanMatcher::new(), ComposableAlwaysOn)]);
    /// assert_eq!(sampler.description(), "ComposableRuleBased{rules:[(SpanMatcher{},ComposableAlwaysOn)]}");
    /// ```
    #[must_use]
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Self {
        Self {
            rules: rules.into_iter().collect(),
        }
    }

    /// The rules, in order.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The index of the rule that decides the span `params` describes: the first whose
    /// predicate matches, or `None` (the span is dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::trace::{SpanKind, TraceId};
    /// use tctx::sampler::{ComposableAlwaysOff, ComposableAlwaysOn, ComposableRuleBased, Rule, SamplingParams, SpanMatcher};
    ///
    /// let sampler = ComposableRuleBased::new([
    ///     Rule::new(SpanMatcher::new().with_span_kinds([SpanKind::Client]), ComposableAlwaysOff),
    ///     Rule::new(SpanMatcher::new(), ComposableAlwaysOn),
    /// ]);
    /// let server = SamplingParams::new(None, TraceId::from(1), "GET", &SpanKind::Server, &[], &[]);
    /// assert_eq!(sampler.first_match(&server), Some(1));
    /// ```
    #[must_use]
    pub fn first_match(&self, params: &SamplingParams<'_>) -> Option<usize> {
        self.rules
            .iter()
            .position(|rule| rule.predicate.matches(params))
    }
}

impl ComposableSampler for ComposableRuleBased {
    fn sampling_intent<'s>(&'s self, params: &SamplingParams<'_>) -> SamplingIntent<'s> {
        self.first_match(params)
            .map_or_else(SamplingIntent::no_threshold, |i| {
                self.rules[i].sampler.sampling_intent(params)
            })
    }
}

impl SamplerDescription for ComposableRuleBased {
    fn description(&self) -> String {
        let rules: Vec<String> = self.rules.iter().map(|rule| format!("{rule:?}")).collect();
        format!("ComposableRuleBased{{rules:[{}]}}", rules.join(","))
    }
}

impl fmt::Debug for ComposableRuleBased {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::{any_string_form, Pattern};
    use opentelemetry::{Array, StringValue, Value};

    #[rustfmt::skip]
    const PATTERNS: &[(&str, &str, bool, &str)] = &[
        ("/internal/*", "/internal/", true, "* matches no character"),
        ("/internal/*", "/internal/a/b", true, "* matches slashes too"),
        ("/internal/*", "/Internal/a", false, "case-sensitive"),
        ("a?c", "abc", true, "? matches one character"),
        ("a?c", "ac", false, "? needs a character"),
        ("a?c", "aéc", true, "? matches one character, not one byte"),
        ("*", "", true, "* matches the empty value"),
        ("", "", true, "empty matches empty"),
        ("", "a", false, "empty matches only empty"),
        ("*a*b*c", "xaxbxc", true, "several stars"),
        ("*a*b*c", "xaxbx", false, "several stars, missing end"),
        ("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, "backtracking stays bounded"),
        ("exact", "exact", true, "no wildcard: equality"),
        ("exact", "exactly", false, "no wildcard: equality"),
        ("*.jpg", "a.jpg.png", false, "suffix must end the value"),
        ("4*", "404", true, "the schema's example"),
    ];

    #[test]
    fn wildcard_patterns() {
        for &(pattern, text, expected, reason) in PATTERNS {
            assert_eq!(
                Pattern::new(pattern.to_owned()).matches(text),
                expected,
                "{pattern:?} vs {text:?}: {reason}"
            );
        }
    }

    #[test]
    fn string_forms() {
        let forms = |value: &Value| {
            let mut seen = Vec::new();
            any_string_form(value, |s| {
                seen.push(s.to_owned());
                false
            });
            seen
        };
        assert_eq!(forms(&Value::I64(404)), ["404"]);
        assert_eq!(forms(&Value::I64(-1)), ["-1"]);
        assert_eq!(forms(&Value::Bool(true)), ["true"]);
        assert_eq!(forms(&Value::F64(0.5)), ["0.5"]);
        assert_eq!(
            forms(&Value::F64(1e300)).len(),
            1,
            "long numbers spill to the heap"
        );
        assert_eq!(
            forms(&Value::Array(Array::String(vec![
                StringValue::from("a"),
                StringValue::from("b")
            ]))),
            ["a", "b"]
        );
    }
}
