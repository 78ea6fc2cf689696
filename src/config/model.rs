//! The configuration model: what tctx reads from a configuration file's tree, checked against
//! the schema (opentelemetry-configuration: `opentelemetry_configuration.yaml`,
//! `tracer_provider.yaml`, `propagator.yaml`), with errors that name the place.
//!
//! Only the parts tctx builds are checked (`file_format`, `disabled`,
//! `tracer_provider.sampler`, `propagator`); everything else is accepted and left alone.

use std::fmt;
use std::sync::Arc;

use opentelemetry::trace::SpanKind;

use super::env::{choose_propagators, ConfiguredSampler, KnownPropagator, PropagatorProblem};
use super::yaml::{Node, Resolved, Scalar};
use super::{cut, ConfigError, ConfigErrorKind, ConfigWarning};
use crate::probability::MIN_PROBABILITY;
use crate::sampler::{
    AlwaysOff, AlwaysOn, AlwaysRecord, ComposableAlwaysOff, ComposableAlwaysOn,
    ComposableParentThreshold, ComposableProbability, ComposableRuleBased, ComposableSampler,
    CompositeSampler, ParentBased, ParentKind, Probability, Rule, SpanMatcher, TraceIdRatioBased,
};

/// The place of a node: its keys and indexes from the root, built on the stack and printed
/// only for an error (`tracer_provider.sampler.parent_based.root`, `rules[2]`).
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        segment: Segment::Root,
    };

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }

    fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.to_string(), message.into())
    }

    /// An error of a value of the right type but out of range.
    pub(crate) fn value_error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::of_kind(ConfigErrorKind::Value, self.to_string(), message.into())
    }

    fn warning(&self, message: String) -> ConfigWarning {
        ConfigWarning {
            path: self.to_string(),
            message,
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.segment {
            Segment::Root => Ok(()),
            Segment::Key(key) if matches!(self.parent, Some(p) if !matches!(p.segment, Segment::Root)) =>
            {
                write!(f, ".{key}")
            }
            Segment::Key(key) => f.write_str(key),
            Segment::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// What a node is, for "expected a ..., found a ..." messages.
fn kind(node: &Node) -> &'static str {
    match node {
        Node::Seq(_) => "a sequence",
        Node::Map(_) => "a mapping",
        Node::Scalar(scalar) => match scalar.resolve() {
            Resolved::Null => "null",
            Resolved::Bool(_) => "a boolean",
            Resolved::Number => "a number",
            Resolved::Str(_) => "a string",
        },
    }
}

fn is_null(node: &Node) -> bool {
    matches!(node, Node::Scalar(scalar) if scalar.resolve() == Resolved::Null)
}

type Entries = [(String, Node)];

/// The entries of a mapping; `null` is an empty mapping (a property "present but null" takes
/// its defaults, `configuration_sdk.md`, "Create").
fn object<'n>(node: &'n Node, path: &Path<'_>) -> Result<&'n Entries, ConfigError> {
    match node {
        Node::Map(entries) => Ok(entries),
        _ if is_null(node) => Ok(&[]),
        other => Err(path.error(format!("expected a mapping, found {}", kind(other)))),
    }
}

/// The entries of a mapping whose keys are all in `allowed` (`additionalProperties: false`).
fn closed_object<'n>(
    node: &'n Node,
    allowed: &[&str],
    path: &Path<'_>,
) -> Result<&'n Entries, ConfigError> {
    closed_object_entries(object(node, path)?, allowed, path)
}

/// The value of `key`, unless it is absent or null (which take the default).
fn get<'n>(entries: &'n Entries, key: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
        .filter(|value| !is_null(value))
}

fn required<'n>(entries: &'n Entries, key: &str, path: &Path<'_>) -> Result<&'n Node, ConfigError> {
    get(entries, key).ok_or_else(|| path.error(format!("\"{key}\" is required")))
}

/// The one entry of a mapping that names a plugin (`minProperties: 1, maxProperties: 1`).
fn single<'n>(
    node: &'n Node,
    what: &str,
    path: &Path<'_>,
) -> Result<(&'n str, &'n Node), ConfigError> {
    match object(node, path)? {
        [(name, value)] => Ok((name, value)),
        [] => Err(path.error(format!("expected one {what}, found none"))),
        more => Err(path.error(format!("expected one {what}, found {}", more.len()))),
    }
}

/// The text of a scalar where the schema wants a string. Numbers and booleans are taken as
/// written (`values: [404]` is `"404"`), as the rule's attribute values are compared as text.
fn string<'n>(node: &'n Node, path: &Path<'_>) -> Result<&'n str, ConfigError> {
    match node {
        Node::Scalar(scalar) if scalar.resolve() != Resolved::Null => Ok(&scalar.text),
        other => Err(path.error(format!("expected a string, found {}", kind(other)))),
    }
}

fn number(node: &Node, path: &Path<'_>) -> Result<f64, ConfigError> {
    match node {
        Node::Scalar(scalar @ Scalar { .. }) if scalar.resolve() == Resolved::Number => scalar
            .number()
            .map_err(|error| path.value_error(format!("{}: {error}", cut(&scalar.text)))),
        other => Err(path.error(format!("expected a number, found {}", kind(other)))),
    }
}

fn boolean(node: &Node, path: &Path<'_>) -> Result<bool, ConfigError> {
    match node {
        Node::Scalar(scalar) => match scalar.resolve() {
            Resolved::Bool(value) => Ok(value),
            _ => Err(path.error(format!("expected a boolean, found {}", kind(node)))),
        },
        other => Err(path.error(format!("expected a boolean, found {}", kind(other)))),
    }
}

/// The items of a sequence with at least one (`minItems: 1`).
fn items<'n>(node: &'n Node, path: &Path<'_>) -> Result<&'n [Node], ConfigError> {
    match node {
        Node::Seq(items) if items.is_empty() => Err(path.error("expected at least one item")),
        Node::Seq(items) => Ok(items),
        other => Err(path.error(format!("expected a sequence, found {}", kind(other)))),
    }
}

fn strings<'n>(node: &'n Node, path: &Path<'_>) -> Result<Vec<&'n str>, ConfigError> {
    items(node, path)?
        .iter()
        .enumerate()
        .map(|(i, item)| string(item, &path.index(i)))
        .collect()
}

/// `file_format`: required, major version 1 ("1.0", "1.1", "1.0-rc.2").
pub(crate) fn file_format(root: &Entries) -> Result<String, ConfigError> {
    let path = Path::ROOT;
    let path = path.key("file_format");
    let node = root
        .iter()
        .find(|(key, _)| key == "file_format")
        .map(|(_, value)| value)
        .ok_or_else(|| path.error("is required (e.g. file_format: \"1.1\")"))?;
    let text = string(node, &path)?;
    let major = text.split(['.', '-']).next().unwrap_or("");
    if major != "1" {
        return Err(path.error(format!(
            "version \"{}\" is not supported: tctx reads file format 1.x",
            cut(text)
        )));
    }
    Ok(text.to_owned())
}

/// `disabled`: `false` when absent or null.
pub(crate) fn disabled(root: &Entries) -> Result<bool, ConfigError> {
    let path = Path::ROOT;
    get(root, "disabled").map_or(Ok(false), |node| boolean(node, &path.key("disabled")))
}

/// The rule-based composables of a file, with the path of each, in file order.
pub(crate) type RuleSets = Vec<(String, ComposableRuleBased)>;

/// What building a file's sampler carries besides its nodes: the rule-based composables
/// found (with their paths), and what deep nodes need of the rest of the file.
pub(crate) struct Building {
    /// The rule-based composables found, in file order.
    pub(crate) rule_sets: RuleSets,
    /// The service name of the file's `resource`, for `jaeger_remote/development`.
    #[cfg(feature = "jaeger-remote")]
    service_name: String,
}

/// The sampler of `tracer_provider.sampler`: the schema's default (`parent_based` with an
/// `always_on` root) when `sampler` is absent or null; `None` when `tracer_provider` itself
/// is absent or null (a noop tracer provider).
/// The rule-based composables met are appended to `rule_sets`.
pub(crate) fn tracer_provider_sampler(
    root: &Entries,
    rule_sets: &mut RuleSets,
) -> Result<Option<ConfiguredSampler>, ConfigError> {
    let path = Path::ROOT;
    let path = path.key("tracer_provider");
    let Some(provider) = get(root, "tracer_provider") else {
        return Ok(None);
    };
    // The rest of the tracer provider (processors, limits, ...) is not tctx's to build.
    let entries = object(provider, &path)?;
    let sampler_path = path.key("sampler");
    let mut found = Building {
        rule_sets: Vec::new(),
        #[cfg(feature = "jaeger-remote")]
        service_name: resource_service_name(root),
    };
    let built = match get(entries, "sampler") {
        Some(node) => sampler(node, &sampler_path, &mut found).map(Some),
        None => Ok(Some(ConfiguredSampler::new(ParentBased::new(AlwaysOn)))),
    };
    rule_sets.append(&mut found.rule_sets);
    built
}

/// A `Sampler` node.
pub(crate) fn sampler(
    node: &Node,
    path: &Path<'_>,
    found: &mut Building,
) -> Result<ConfiguredSampler, ConfigError> {
    let (name, value) = single(node, "sampler", path)?;
    let here = path.key(name);
    let sampler = match name {
        "always_on" => {
            closed_object(value, &[], &here)?;
            ConfiguredSampler::new(AlwaysOn)
        }
        "always_off" => {
            closed_object(value, &[], &here)?;
            ConfiguredSampler::new(AlwaysOff)
        }
        "always_record" => {
            let entries = closed_object(value, &["root"], &here)?;
            let root = sampler(required(entries, "root", &here)?, &here.key("root"), found)?;
            ConfiguredSampler::new(AlwaysRecord::new(root))
        }
        "parent_based" => parent_based(value, &here, found)?,
        "trace_id_ratio_based" => {
            ConfiguredSampler::new(TraceIdRatioBased::new(ratio(value, &here)?))
        }
        "probability/development" => {
            let ratio = probability_ratio(value, &here)?;
            if ratio == 0.0 {
                // "A ratio value of 0 is considered non-probabilistic" (ComposableProbability).
                ConfiguredSampler::new(AlwaysOff)
            } else {
                let sampler = Probability::new(ratio)
                    .map_err(|error| here.key("ratio").value_error(error.to_string()))?;
                ConfiguredSampler::new(sampler)
            }
        }
        "composite/development" => {
            ConfiguredSampler::new(CompositeSampler::new(composable(value, &here, found)?))
        }
        "jaeger_remote/development" => jaeger_remote(value, &here, found)?,
        other => return Err(path.error(format!("unknown sampler \"{}\"", cut(other)))),
    };
    Ok(sampler)
}

const PARENT_BASED_KEYS: [&str; 5] = [
    "root",
    "remote_parent_sampled",
    "remote_parent_not_sampled",
    "local_parent_sampled",
    "local_parent_not_sampled",
];

/// `parent_based`: each branch absent or null takes the schema's default (`always_on` for the
/// root and sampled parents, `always_off` for parents not sampled), which are also
/// [`ParentBased`]'s.
fn parent_based(
    value: &Node,
    path: &Path<'_>,
    found: &mut Building,
) -> Result<ConfiguredSampler, ConfigError> {
    let entries = closed_object(value, &PARENT_BASED_KEYS, path)?;
    let mut branch = |key: &'static str| -> Result<Option<ConfiguredSampler>, ConfigError> {
        get(entries, key)
            .map(|node| sampler(node, &path.key(key), found))
            .transpose()
    };
    let mut parent_based = match branch("root")? {
        Some(root) => ParentBased::new(root),
        None => ParentBased::new(AlwaysOn),
    };
    if let Some(sampler) = branch("remote_parent_sampled")? {
        parent_based = parent_based.with_remote_parent_sampled(sampler);
    }
    if let Some(sampler) = branch("remote_parent_not_sampled")? {
        parent_based = parent_based.with_remote_parent_not_sampled(sampler);
    }
    if let Some(sampler) = branch("local_parent_sampled")? {
        parent_based = parent_based.with_local_parent_sampled(sampler);
    }
    if let Some(sampler) = branch("local_parent_not_sampled")? {
        parent_based = parent_based.with_local_parent_not_sampled(sampler);
    }
    Ok(ConfiguredSampler::new(parent_based))
}

/// The `ratio` of a ratio sampler: `1.0` when absent or null, else a number in `[0, 1]`.
fn ratio(value: &Node, path: &Path<'_>) -> Result<f64, ConfigError> {
    let entries = closed_object(value, &["ratio"], path)?;
    let Some(node) = get(entries, "ratio") else {
        return Ok(1.0);
    };
    let path = path.key("ratio");
    let ratio = number(node, &path)?;
    if !(0.0..=1.0).contains(&ratio) {
        return Err(path.value_error(format!("{} is not in [0, 1]", cut(&scalar_text(node)))));
    }
    // `+ 0.0` turns -0 into 0.
    Ok(ratio + 0.0)
}

/// The ratio of a probability sampler: as [`ratio`], and 0 or at least 2^-56 ("A value
/// between `2^-56` and 1.0 (inclusive)"; 0 is `always_off`).
fn probability_ratio(value: &Node, path: &Path<'_>) -> Result<f64, ConfigError> {
    let ratio = ratio(value, path)?;
    if ratio > 0.0 && ratio < MIN_PROBABILITY {
        return Err(path.key("ratio").value_error(format!(
            "{ratio:e} is below 2^-56, the smallest sampling probability (0 samples nothing)"
        )));
    }
    Ok(ratio)
}

fn scalar_text(node: &Node) -> String {
    match node {
        Node::Scalar(scalar) => scalar.text.clone(),
        other => kind(other).to_owned(),
    }
}

/// An `ExperimentalComposableSampler` node.
fn composable(
    node: &Node,
    path: &Path<'_>,
    found: &mut Building,
) -> Result<Arc<dyn ComposableSampler>, ConfigError> {
    let (name, value) = single(node, "sampler", path)?;
    let here = path.key(name);
    let sampler: Arc<dyn ComposableSampler> = match name {
        "always_on" => {
            closed_object(value, &[], &here)?;
            Arc::new(ComposableAlwaysOn)
        }
        "always_off" => {
            closed_object(value, &[], &here)?;
            Arc::new(ComposableAlwaysOff)
        }
        "probability" => composable_probability(value, &here)?,
        "parent_threshold" => {
            let entries = closed_object(value, &["root"], &here)?;
            let root = composable(required(entries, "root", &here)?, &here.key("root"), found)?;
            Arc::new(ComposableParentThreshold::new(root))
        }
        "rule_based" => {
            let entries = closed_object(value, &["rules"], &here)?;
            let rules = match get(entries, "rules") {
                // "If no rules match, the span is not sampled": no rules, nothing sampled.
                None => Vec::new(),
                Some(node) => {
                    let path = here.key("rules");
                    items(node, &path)?
                        .iter()
                        .enumerate()
                        .map(|(i, rule_node)| rule(rule_node, &path.index(i), found))
                        .collect::<Result<_, _>>()?
                }
            };
            let rule_based = ComposableRuleBased::new(rules);
            found.rule_sets.push((here.to_string(), rule_based.clone()));
            Arc::new(rule_based)
        }
        other => return Err(path.error(format!("unknown sampler \"{}\"", cut(other)))),
    };
    Ok(sampler)
}

const RULE_KEYS: [&str; 5] = [
    "attribute_values",
    "attribute_patterns",
    "span_kinds",
    "parent",
    "sampler",
];

/// A `{ratio: ...}` node as a composable: `ComposableProbability`, or `ComposableAlwaysOff`
/// for 0 ("For the zero case a `ComposableAlwaysOff` instance SHOULD be returned").
fn composable_probability(
    value: &Node,
    here: &Path<'_>,
) -> Result<Arc<dyn ComposableSampler>, ConfigError> {
    let ratio = probability_ratio(value, here)?;
    if ratio == 0.0 {
        return Ok(Arc::new(ComposableAlwaysOff));
    }
    ComposableProbability::new(ratio)
        .map(|sampler| Arc::new(sampler) as Arc<dyn ComposableSampler>)
        .map_err(|error| here.key("ratio").value_error(error.to_string()))
}

/// A rule of `rule_based`: its conditions (all must match; none matches every span) and its
/// sampler.
fn rule(node: &Node, path: &Path<'_>, found: &mut Building) -> Result<Rule, ConfigError> {
    let entries = match node {
        Node::Map(entries) => entries.as_slice(),
        other => return Err(path.error(format!("expected a mapping, found {}", kind(other)))),
    };
    let entries = closed_object_entries(entries, &RULE_KEYS, path)?;
    let mut matcher = SpanMatcher::new();
    // The cheap conditions first: all must match, so the order is only the cost's.
    if let Some(node) = get(entries, "span_kinds") {
        let path = path.key("span_kinds");
        let kinds = strings(node, &path)?
            .into_iter()
            .enumerate()
            .map(|(i, name)| span_kind(name, &path.index(i)))
            .collect::<Result<Vec<_>, _>>()?;
        matcher = matcher.with_span_kinds(kinds);
    }
    if let Some(node) = get(entries, "parent") {
        let path = path.key("parent");
        let parents = strings(node, &path)?
            .into_iter()
            .enumerate()
            .map(|(i, name)| parent_kind(name, &path.index(i)))
            .collect::<Result<Vec<_>, _>>()?;
        matcher = matcher.with_parents(parents);
    }
    if let Some(node) = get(entries, "attribute_values") {
        let path = path.key("attribute_values");
        let entries = closed_object(node, &["key", "values"], &path)?;
        let key = string(required(entries, "key", &path)?, &path.key("key"))?;
        let values = strings(required(entries, "values", &path)?, &path.key("values"))?;
        matcher = matcher.with_attribute_values(key.to_owned(), values);
    }
    if let Some(node) = get(entries, "attribute_patterns") {
        let path = path.key("attribute_patterns");
        let entries = closed_object(node, &["key", "included", "excluded"], &path)?;
        let key = string(required(entries, "key", &path)?, &path.key("key"))?;
        // An absent `included` includes every value ("defaultBehavior: all values are
        // included"), which an empty list means to `SpanMatcher`.
        let included = match get(entries, "included") {
            Some(node) => strings(node, &path.key("included"))?,
            None => Vec::new(),
        };
        let excluded = match get(entries, "excluded") {
            Some(node) => strings(node, &path.key("excluded"))?,
            None => Vec::new(),
        };
        matcher = matcher.with_attribute_patterns(key.to_owned(), included, excluded);
    }
    let sampler_path = path.key("sampler");
    let sampler = composable(required(entries, "sampler", path)?, &sampler_path, found)?;
    Ok(Rule::new(matcher, sampler))
}

fn closed_object_entries<'n>(
    entries: &'n Entries,
    allowed: &[&str],
    path: &Path<'_>,
) -> Result<&'n Entries, ConfigError> {
    if let Some((key, _)) = entries
        .iter()
        .find(|(key, _)| !allowed.contains(&key.as_str()))
    {
        let expected = if allowed.is_empty() {
            "it takes no configuration".to_owned()
        } else {
            format!("expected one of: {}", allowed.join(", "))
        };
        return Err(path.error(format!("unknown key \"{}\" ({expected})", cut(key))));
    }
    Ok(entries)
}

fn span_kind(name: &str, path: &Path<'_>) -> Result<SpanKind, ConfigError> {
    Ok(match name {
        "internal" => SpanKind::Internal,
        "server" => SpanKind::Server,
        "client" => SpanKind::Client,
        "producer" => SpanKind::Producer,
        "consumer" => SpanKind::Consumer,
        other => {
            return Err(path.error(format!(
                "unknown span kind \"{}\" (expected internal, server, client, producer or \
                 consumer)",
                cut(other)
            )))
        }
    })
}

fn parent_kind(name: &str, path: &Path<'_>) -> Result<ParentKind, ConfigError> {
    Ok(match name {
        "none" => ParentKind::None,
        "remote" => ParentKind::Remote,
        "local" => ParentKind::Local,
        other => {
            return Err(path.error(format!(
                "unknown parent \"{}\" (expected none, remote or local)",
                cut(other)
            )))
        }
    })
}

/// The propagators of `propagator`: `None` when it is absent or null, or when neither
/// `composite` nor `composite_list` is set (a noop propagator); else the entries of
/// `composite` then those of `composite_list`, repeated names dropped. Names tctx does not
/// provide are ignored with a warning, as in `OTEL_PROPAGATORS`.
pub(crate) fn propagators(
    root: &Entries,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Option<Vec<KnownPropagator>>, ConfigError> {
    let path = Path::ROOT;
    let path = path.key("propagator");
    let Some(node) = get(root, "propagator") else {
        return Ok(None);
    };
    let entries = closed_object(node, &["composite", "composite_list"], &path)?;
    let composite_path = path.key("composite");
    let list_path = path.key("composite_list");
    // (name, index in `composite`, or None for `composite_list`)
    let mut names: Vec<(&str, Option<usize>)> = Vec::new();
    if let Some(node) = get(entries, "composite") {
        for (i, item) in items(node, &composite_path)?.iter().enumerate() {
            let item_path = composite_path.index(i);
            let (name, value) = single(item, "propagator", &item_path)?;
            if matches!(name, "tracecontext" | "baggage") {
                // `additionalProperties: false`: these take no configuration.
                closed_object(value, &[], &item_path.key(name))?;
            }
            names.push((name, Some(i)));
        }
    }
    if let Some(node) = get(entries, "composite_list") {
        let list = string(node, &list_path)?;
        names.extend(
            list.split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(|name| (name, None)),
        );
    }
    if names.is_empty() {
        return Ok(None);
    }
    let chosen = choose_propagators(names.iter().copied());
    if chosen.fell_back {
        warnings.push(path.warning(PropagatorProblem::NoneKnown.to_string()));
    }
    for (name, place, problem) in chosen.problems {
        let message = format!("{:?} {problem}", cut(name));
        warnings.push(match place {
            Some(i) => composite_path.index(i).warning(message),
            None => list_path.warning(message),
        });
    }
    Ok(Some(chosen.propagators))
}

/// `jaeger_remote/development` (`ExperimentalJaegerRemoteSampler`): `endpoint` and
/// `initial_sampler` required, `interval` in milliseconds (default 60000); the service name is
/// the file's `resource`'s. The initial sampler is made composable, so that its decisions are
/// consistent and carry `th`: `always_on`, `always_off`, `trace_id_ratio_based` and
/// `probability/development` (as `ComposableProbability`) or `composite/development`.
#[cfg(feature = "jaeger-remote")]
fn jaeger_remote(
    value: &Node,
    path: &Path<'_>,
    found: &mut Building,
) -> Result<ConfiguredSampler, ConfigError> {
    use crate::sampler::JaegerRemote;

    let entries = closed_object(value, &["endpoint", "interval", "initial_sampler"], path)?;
    let endpoint_path = path.key("endpoint");
    let endpoint = string(required(entries, "endpoint", path)?, &endpoint_path)?;
    let mut builder = JaegerRemote::builder(found.service_name.as_str()).with_endpoint(endpoint);
    builder
        .check()
        .map_err(|error| endpoint_path.value_error(error.to_string()))?;
    if let Some(node) = get(entries, "interval") {
        let interval_path = path.key("interval");
        let ms = number(node, &interval_path)?;
        if ms.fract() != 0.0 || !(1.0..=1e12).contains(&ms) {
            return Err(interval_path.value_error(format!(
                "{} is not a whole number of milliseconds above 0",
                cut(&scalar_text(node))
            )));
        }
        // Whole and within [1, 1e12]: exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ms = ms as u64;
        builder = builder.with_polling_interval(std::time::Duration::from_millis(ms));
    }
    let initial_path = path.key("initial_sampler");
    let initial_node = required(entries, "initial_sampler", path)?;
    let (name, initial) = single(initial_node, "sampler", &initial_path)?;
    let here = initial_path.key(name);
    let initial: Arc<dyn ComposableSampler> = match name {
        // The composable samplers of the same names.
        "always_on" | "always_off" => composable(initial_node, &initial_path, found)?,
        "trace_id_ratio_based" | "probability/development" => {
            composable_probability(initial, &here)?
        }
        "composite/development" => composable(initial, &here, found)?,
        other => {
            return Err(initial_path.error(format!(
                "initial sampler \"{}\" is not supported here: tctx takes always_on, always_off, \
                 trace_id_ratio_based, probability/development or composite/development, whose \
                 decisions are consistent",
                cut(other)
            )))
        }
    };
    let sampler = builder
        .with_initial_sampler(initial)
        .build()
        .map_err(|error| path.value_error(error.to_string()))?;
    // The schema's `jaeger_remote` is the plain sampler, as OTEL_TRACES_SAMPLER=jaeger_remote
    // is: spans with a parent follow it under `parent_based` (`root: jaeger_remote/...`).
    Ok(ConfiguredSampler::new(sampler))
}

/// Without the feature, the node is an error that names it.
#[cfg(not(feature = "jaeger-remote"))]
fn jaeger_remote(
    _value: &Node,
    path: &Path<'_>,
    _found: &mut Building,
) -> Result<ConfiguredSampler, ConfigError> {
    Err(path.error(
        "needs the tctx feature `jaeger-remote` (a client for the remote sampling service), \
         which this build lacks",
    ))
}

/// The file's service name: `resource.attributes` entry `service.name`, else
/// `service.name` in `resource.attributes_list`, else `unknown_service`. The resource is
/// not tctx's to check: anything unexpected is skipped.
#[cfg(feature = "jaeger-remote")]
fn resource_service_name(root: &Entries) -> String {
    let resource = get(root, "resource").and_then(|node| match node {
        Node::Map(entries) => Some(entries.as_slice()),
        _ => None,
    });
    let Some(resource) = resource else {
        return super::jaeger::UNKNOWN_SERVICE.to_owned();
    };
    let from_attributes = match get(resource, "attributes") {
        Some(Node::Seq(items)) => items.iter().find_map(|item| match item {
            Node::Map(entries)
                if get(entries, "name")
                    .is_some_and(|n| matches!(n, Node::Scalar(s) if s.text == "service.name")) =>
            {
                match get(entries, "value") {
                    Some(Node::Scalar(value)) if !value.text.is_empty() => Some(value.text.clone()),
                    _ => None,
                }
            }
            _ => None,
        }),
        _ => None,
    };
    from_attributes.unwrap_or_else(|| {
        let list = match get(resource, "attributes_list") {
            Some(Node::Scalar(list)) => Some(list.text.as_str()),
            _ => None,
        };
        super::jaeger::service_name(None, list)
    })
}
