//! A configuration file's YAML as a tree, with its limits: the events of `saphyr-parser` (a
//! YAML 1.2 parser) turned into [`Node`]s, with environment variable substitution in scalar
//! values (not keys) and the types of plain scalars resolved afterwards, by the YAML 1.2 core
//! schema, as `configuration_data-model.md` asks ("Node types MUST be interpreted after
//! environment variable substitution takes place").
//!
//! Limits, because a file may come from anywhere: its size (checked by the caller), nesting
//! depth, the number of nodes and the bytes of scalars after aliases are expanded and
//! variables substituted (so an alias bomb or a million `${BIG}` fail early), one document,
//! unique keys.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::number::{parse_f64, NumberError};
use super::substitute::{substitute, SubstitutionError, MAX_SUBSTITUTED_BYTES};

/// The deepest nesting of sequences and mappings accepted.
pub(crate) const MAX_DEPTH: usize = 64;
/// The most nodes a file may have, aliases expanded.
pub(crate) const MAX_NODES: usize = 100_000;
/// The most bytes of scalars a file may have, aliases expanded and variables substituted.
pub(crate) const MAX_SCALAR_BYTES: usize = 32 << 20;

/// A YAML node after substitution.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in file order; keys are unique.
    Map(Vec<(String, Node)>),
}

/// A scalar's text after substitution, and whether it was plain (unquoted, untagged), the
/// only scalars whose type the core schema resolves; all others are strings.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scalar {
    pub(crate) text: String,
    pub(crate) plain: bool,
}

/// A scalar's value by the YAML 1.2 core schema ("10.3.2 Tag Resolution").
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Resolved<'a> {
    Null,
    Bool(bool),
    /// An integer or a float, as text (read with [`Scalar::number`]).
    Number,
    Str(&'a str),
}

impl Scalar {
    /// The core schema's type of this scalar.
    pub(crate) fn resolve(&self) -> Resolved<'_> {
        if !self.plain {
            return Resolved::Str(&self.text);
        }
        match self.text.as_str() {
            "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
            "true" | "True" | "TRUE" => Resolved::Bool(true),
            "false" | "False" | "FALSE" => Resolved::Bool(false),
            text if is_core_int(text) || is_core_float(text) => Resolved::Number,
            text => Resolved::Str(text),
        }
    }

    /// The number of a scalar that resolves to [`Resolved::Number`].
    pub(crate) fn number(&self) -> Result<f64, NumberError> {
        let text = self.text.as_str();
        if let Some(hex) = text.strip_prefix("0x") {
            return radix(hex, 16);
        }
        if let Some(octal) = text.strip_prefix("0o") {
            return radix(octal, 8);
        }
        match text.trim_start_matches(['+', '-']) {
            ".inf" | ".Inf" | ".INF" => {
                return Ok(if text.starts_with('-') {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                })
            }
            ".nan" | ".NaN" | ".NAN" => return Ok(f64::NAN),
            _ => {}
        }
        parse_f64(text)
    }
}

fn radix(digits: &str, radix: u32) -> Result<f64, NumberError> {
    let value = u64::from_str_radix(digits, radix).map_err(|_| NumberError::Overflow)?;
    #[allow(clippy::cast_precision_loss)] // a ratio needs no more than 53 bits
    Ok(value as f64)
}

/// `[-+]? [0-9]+ | 0o [0-7]+ | 0x [0-9a-fA-F]+`
fn is_core_int(text: &str) -> bool {
    let all =
        |digits: &str, ok: fn(&u8) -> bool| !digits.is_empty() && digits.bytes().all(|b| ok(&b));
    if let Some(hex) = text.strip_prefix("0x") {
        return all(hex, u8::is_ascii_hexdigit);
    }
    if let Some(octal) = text.strip_prefix("0o") {
        return all(octal, |b| (b'0'..=b'7').contains(b));
    }
    all(
        text.strip_prefix(['+', '-']).unwrap_or(text),
        u8::is_ascii_digit,
    )
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`, `[-+]? \.inf`,
/// `\.nan` (in their three spellings).
fn is_core_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Why a text is not a configuration tree; the place is the path of the node, empty for the
/// file itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub(crate) path: String,
    pub(crate) message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A sequence or mapping being read.
enum Open {
    Seq {
        items: Vec<Node>,
        anchor: usize,
    },
    Map {
        entries: Vec<(String, Node)>,
        keys: HashSet<String>,
        key: Option<String>,
        anchor: usize,
    },
}

struct Builder<'l> {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    scalar_bytes: usize,
    substitution_budget: usize,
    lookup: &'l dyn Fn(&str) -> Option<String>,
}

/// The tree of `text`, its scalar values substituted from `lookup`. An empty document is a
/// null scalar.
pub(crate) fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Node, YamlError> {
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        scalar_bytes: 0,
        substitution_budget: MAX_SUBSTITUTED_BYTES,
        lookup,
    };
    let mut root = None;
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| {
            let mark = error.marker();
            file_error(format!(
                "invalid YAML at line {} column {}: {}",
                mark.line(),
                mark.col() + 1,
                error.info()
            ))
        })?;
        let completed = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(file_error(format!(
                        "more than one YAML document (the second starts at line {})",
                        span.start.line()
                    )));
                }
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                let untagged =
                    tag.is_none_or(|tag| !(tag.is_yaml_core_schema() && tag.suffix == "str"));
                let plain = style == ScalarStyle::Plain && untagged;
                Some((builder.scalar(&value, plain)?, anchor))
            }
            Event::Alias(anchor) => {
                let node = builder.alias(anchor)?;
                Some((node, 0))
            }
            Event::SequenceStart(anchor, _) => {
                builder.open(Open::Seq {
                    items: Vec::new(),
                    anchor,
                })?;
                None
            }
            Event::MappingStart(anchor, _) => {
                builder.open(Open::Map {
                    entries: Vec::new(),
                    keys: HashSet::new(),
                    key: None,
                    anchor,
                })?;
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match builder.stack.pop() {
                Some(Open::Seq { items, anchor }) => Some((Node::Seq(items), anchor)),
                Some(Open::Map {
                    entries, anchor, ..
                }) => Some((Node::Map(entries), anchor)),
                None => None,
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
        };
        if let Some((node, anchor)) = completed {
            if anchor != 0 {
                // The copy kept for aliases counts too.
                let (nodes, bytes) = weight(&node);
                builder.count(nodes, bytes)?;
                builder.anchors.insert(anchor, node.clone());
            }
            if let Some(node) = builder.add(node)? {
                root = Some(node);
            }
        }
    }
    Ok(root.unwrap_or(Node::Scalar(Scalar {
        text: String::new(),
        plain: true,
    })))
}

fn file_error(message: String) -> YamlError {
    YamlError {
        path: String::new(),
        message,
    }
}

impl Builder<'_> {
    /// Whether the next node completed is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Open::Map { key: None, .. }))
    }

    /// The path of the node being read, as the configuration errors print it.
    fn path(&self) -> String {
        let mut path = String::new();
        for open in &self.stack {
            match open {
                Open::Seq { items, .. } => {
                    let _ = write!(path, "[{}]", items.len());
                }
                Open::Map { key: Some(key), .. } => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Open::Map { key: None, .. } => {}
            }
        }
        path
    }

    fn error(&self, message: String) -> YamlError {
        YamlError {
            path: self.path(),
            message,
        }
    }

    fn count(&mut self, nodes: usize, bytes: usize) -> Result<(), YamlError> {
        self.nodes += nodes;
        self.scalar_bytes += bytes;
        if self.nodes > MAX_NODES {
            return Err(file_error(format!(
                "more than {MAX_NODES} YAML nodes (aliases expanded)"
            )));
        }
        if self.scalar_bytes > MAX_SCALAR_BYTES {
            return Err(file_error(format!(
                "more than {} MiB of scalars (aliases expanded, variables substituted)",
                MAX_SCALAR_BYTES >> 20
            )));
        }
        Ok(())
    }

    fn open(&mut self, open: Open) -> Result<(), YamlError> {
        if self.expects_key() {
            return Err(self.error("a mapping key must be a scalar".to_owned()));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.count(1, 0)?;
        self.stack.push(open);
        Ok(())
    }

    fn scalar(&mut self, value: &str, plain: bool) -> Result<Node, YamlError> {
        // Keys are not substituted ("Mapping keys are not candidates for substitution").
        let text = if self.expects_key() {
            value.to_owned()
        } else {
            substitute(value, self.lookup, &mut self.substitution_budget).map_err(|error| {
                self.error(match error {
                    SubstitutionError::InvalidReference(reference) => format!(
                        "invalid substitution reference \"${{{reference}}}\" (expected \
                         ${{NAME}}, ${{env:NAME}} or ${{NAME:-default}})"
                    ),
                    SubstitutionError::TooLarge => format!(
                        "substituted values exceed {} MiB in all",
                        MAX_SUBSTITUTED_BYTES >> 20
                    ),
                })
            })?
        };
        self.count(1, text.len())?;
        Ok(Node::Scalar(Scalar { text, plain }))
    }

    fn alias(&mut self, anchor: usize) -> Result<Node, YamlError> {
        let node = self
            .anchors
            .get(&anchor)
            .ok_or_else(|| self.error("alias of an unknown anchor".to_owned()))?
            .clone();
        let (nodes, bytes) = weight(&node);
        self.count(nodes, bytes)?;
        Ok(node)
    }

    /// Adds a completed node to the open sequence or mapping; returns it if it is the root.
    fn add(&mut self, node: Node) -> Result<Option<Node>, YamlError> {
        if self.expects_key() {
            return self.add_key(node).map(|()| None);
        }
        match self.stack.last_mut() {
            None => return Ok(Some(node)),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => {
                if let Some(key) = key.take() {
                    entries.push((key, node));
                }
            }
        }
        Ok(None)
    }

    /// Sets the key of the next entry of the open mapping; the path is printed only for an
    /// error.
    fn add_key(&mut self, node: Node) -> Result<(), YamlError> {
        let Node::Scalar(scalar) = node else {
            return Err(self.error("a mapping key must be a scalar".to_owned()));
        };
        if scalar.plain && scalar.text == "<<" {
            // YAML 1.1's merge key: YAML 1.2 has none, and ignoring it would silently drop
            // what it was meant to bring in.
            return Err(self.error(
                "merge keys (`<<`) are YAML 1.1, not 1.2: write the entries out".to_owned(),
            ));
        }
        let duplicate = matches!(self.stack.last(), Some(Open::Map { keys, .. }) if keys.contains(&scalar.text));
        if duplicate {
            let path = self.path();
            let message = format!("duplicate key \"{}\"", scalar.text);
            let path = if path.is_empty() {
                scalar.text
            } else {
                format!("{path}.{}", scalar.text)
            };
            return Err(YamlError { path, message });
        }
        if let Some(Open::Map { keys, key, .. }) = self.stack.last_mut() {
            keys.insert(scalar.text.clone());
            *key = Some(scalar.text);
        }
        Ok(())
    }
}

/// The nodes and scalar bytes of a tree (at most [`MAX_DEPTH`] deep).
fn weight(node: &Node) -> (usize, usize) {
    match node {
        Node::Scalar(scalar) => (1, scalar.text.len()),
        Node::Seq(items) => items.iter().map(weight).fold((1, 0), sum),
        Node::Map(entries) => entries
            .iter()
            .map(|(key, value)| {
                let (nodes, bytes) = weight(value);
                (nodes + 1, bytes + key.len())
            })
            .fold((1, 0), sum),
    }
}

fn sum(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    (a.0.saturating_add(b.0), a.1.saturating_add(b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::substitute::tests::env;

    /// What a scalar resolves to, by the tag names of the specification's table.
    #[derive(Debug, PartialEq)]
    enum Tag {
        Str(&'static str),
        Bool(bool),
        Int(f64),
        Float(f64),
        Null,
    }

    fn value_of(yaml: &str) -> Result<(String, Tag), YamlError> {
        let Node::Map(entries) = parse(yaml, &env)? else {
            panic!("not a mapping: {yaml}");
        };
        let (key, Node::Scalar(scalar)) = &entries[0] else {
            panic!("not a scalar: {yaml}");
        };
        let tag = match scalar.resolve() {
            Resolved::Null => Tag::Null,
            Resolved::Bool(b) => Tag::Bool(b),
            Resolved::Number if is_core_int(&scalar.text) => Tag::Int(scalar.number().unwrap()),
            Resolved::Number => Tag::Float(scalar.number().unwrap()),
            Resolved::Str(s) => Tag::Str(Box::leak(s.to_owned().into_boxed_str())),
        };
        Ok((key.clone(), tag))
    }

    /// Every row of the table of "Environment variable substitution"
    /// (`configuration_data-model.md`): the input, the resolved value and its tag.
    #[test]
    #[allow(clippy::too_many_lines)] // the table
    fn the_specification_table() {
        use Tag::{Bool, Float, Int, Null, Str};
        let rows: [(&str, &str, Tag, &str); 27] = [
            (
                "key: ${STRING_VALUE}",
                "key",
                Str("value"),
                "YAML parser resolves to string",
            ),
            (
                "key: ${BOOL_VALUE}",
                "key",
                Bool(true),
                "YAML parser resolves to true",
            ),
            (
                "key: ${INT_VALUE}",
                "key",
                Int(1.0),
                "YAML parser resolves to int",
            ),
            (
                "key: ${FLOAT_VALUE}",
                "key",
                Float(1.1),
                "YAML parser resolves to float",
            ),
            (
                "key: ${HEX_VALUE}",
                "key",
                Int(3_735_928_559.0),
                "resolves to int 3735928559",
            ),
            (
                "key: \"${STRING_VALUE}\"",
                "key",
                Str("value"),
                "double quoted: string",
            ),
            (
                "key: \"${BOOL_VALUE}\"",
                "key",
                Str("true"),
                "double quoted: string",
            ),
            (
                "key: \"${INT_VALUE}\"",
                "key",
                Str("1"),
                "double quoted: string",
            ),
            (
                "key: \"${FLOAT_VALUE}\"",
                "key",
                Str("1.1"),
                "double quoted: string",
            ),
            (
                "key: \"${HEX_VALUE}\"",
                "key",
                Str("0xdeadbeef"),
                "double quoted: string",
            ),
            (
                "key: ${env:STRING_VALUE}",
                "key",
                Str("value"),
                "alternative env: syntax",
            ),
            (
                "key: ${INVALID_MAP_VALUE}",
                "key",
                Str("value\nkey:value"),
                "map is not expanded",
            ),
            (
                "key: foo ${STRING_VALUE} ${FLOAT_VALUE}",
                "key",
                Str("foo value 1.1"),
                "multiple references",
            ),
            (
                "key: ${UNDEFINED_KEY}",
                "key",
                Null,
                "undefined is \"\", resolves to null",
            ),
            (
                "key: ${UNDEFINED_KEY:-fallback}",
                "key",
                Str("fallback"),
                "default value",
            ),
            (
                "${STRING_VALUE}: value",
                "${STRING_VALUE}",
                Str("value"),
                "keys are not substituted",
            ),
            (
                "key: ${REPLACE_ME}",
                "key",
                Str("${DO_NOT_REPLACE_ME}"),
                "not recursive",
            ),
            (
                "key: ${UNDEFINED_KEY:-${STRING_VALUE}}",
                "key",
                Str("${STRING_VALUE}"),
                "default not recursive",
            ),
            (
                "key: $${STRING_VALUE}",
                "key",
                Str("${STRING_VALUE}"),
                "$$ escape",
            ),
            (
                "key: $$${STRING_VALUE}",
                "key",
                Str("$value"),
                "$$ escape then a reference",
            ),
            (
                "key: $$$${STRING_VALUE}",
                "key",
                Str("$${STRING_VALUE}"),
                "two escapes",
            ),
            (
                "key: $${STRING_VALUE:-fallback}",
                "key",
                Str("${STRING_VALUE:-fallback}"),
                "escape",
            ),
            (
                "key: $${STRING_VALUE:-${STRING_VALUE}}",
                "key",
                Str("${STRING_VALUE:-value}"),
                "escape, then a reference",
            ),
            (
                "key: ${UNDEFINED_KEY:-$${UNDEFINED_KEY}}",
                "key",
                Str("${UNDEFINED_KEY:-${UNDEFINED_KEY}}"),
                "escape splits",
            ),
            (
                "key: ${VALUE_WITH_ESCAPE}",
                "key",
                Str("value$$"),
                "values are not unescaped",
            ),
            ("key: a $$ b", "key", Str("a $ b"), "$$ escape"),
            ("key: a $ b", "key", Str("a $ b"), "no escape, no reference"),
        ];
        for (yaml, key, tag, reason) in rows {
            assert_eq!(
                value_of(yaml),
                Ok((key.to_owned(), tag)),
                "{yaml}: {reason}"
            );
        }
        // `key: ${STRING_VALUE:?error}`: "Invalid substitution reference produces parse error".
        let error = value_of("key: ${STRING_VALUE:?error}").unwrap_err();
        assert_eq!(error.path, "key");
        assert!(error
            .message
            .starts_with("invalid substitution reference \"${STRING_VALUE:?error}\""));
    }

    /// The float expression matches integers too; the int one is tried first.
    #[test]
    fn core_schema_numbers() {
        for (text, int, float) in [
            ("1", true, true),
            ("-1", true, true),
            ("0o17", true, false),
            ("0x1F", true, false),
            ("1.5", false, true),
            (".5", false, true),
            ("1.", false, true),
            ("1e3", false, true),
            ("-.inf", false, true),
            (".NaN", false, true),
            ("1e", false, false),
            (".", false, false),
            ("0x", false, false),
            ("one", false, false),
            ("1_000", false, false),
        ] {
            assert_eq!(is_core_int(text), int, "{text}");
            assert_eq!(is_core_float(text), float, "{text}");
        }
    }

    #[test]
    fn limits() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep, &env)
            .unwrap_err()
            .message
            .contains("nested deeper"));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok, &env).is_ok());

        // Billion laughs: each level doubles the last.
        let mut laughs = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for level in 1..30 {
            let prev = level - 1;
            let _ = writeln!(
                laughs,
                "l{level}: &l{level} [*l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, \
                 *l{prev}, *l{prev}]"
            );
        }
        assert!(parse(&laughs, &env)
            .unwrap_err()
            .message
            .contains("YAML nodes"));

        assert!(parse("a: 1\na: 2\n", &env)
            .unwrap_err()
            .message
            .contains("duplicate key"));
        assert!(parse("a: 1\n---\nb: 2\n", &env)
            .unwrap_err()
            .message
            .contains("more than one YAML document"));
        assert!(parse("? [a]\n: 1\n", &env)
            .unwrap_err()
            .message
            .contains("key must be a scalar"));
    }

    #[test]
    fn aliases_within_budget_are_expanded() {
        let node = parse("a: &x {b: 1}\nc: *x\n", &env).unwrap();
        let Node::Map(entries) = node else { panic!() };
        assert_eq!(entries[0].1, entries[1].1);
    }
}
