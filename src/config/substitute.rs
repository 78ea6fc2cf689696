//! Environment variable substitution in the scalar values of a configuration file
//! (`configuration_data-model.md`, "Environment variable substitution"): `${VAR}`,
//! `${env:VAR}`, `${VAR:-default}`, and `$$` for a literal `$`.
//!
//! The input is read once, left to right: each `$$` escape splits it, and references are
//! matched only within the text between two escapes, so the `$` an escape yields never starts
//! a reference. Substituted values are copied verbatim, never read again: no recursion, and
//! no YAML structure can come from the environment (the caller substitutes into scalars that
//! the YAML parser has already delimited).

use super::cut;

/// Why a value could not be substituted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SubstitutionError {
    /// `${...}` whose content is not `[env:]NAME[:-DEFAULT]` (tctx supports no prefix but
    /// `env`); the content, cut to 64 bytes.
    InvalidReference(String),
    /// The values substituted in the whole file exceed the budget.
    TooLarge,
}

/// The largest number of bytes that the values of all substitutions of one file may add to
/// it. The environment is the operator's, but a file of a million `${BIG}` would otherwise
/// ask for a million copies of `BIG`.
pub(crate) const MAX_SUBSTITUTED_BYTES: usize = 16 << 20;

/// `value` with its references replaced by `lookup` of their names (a variable that is unset
/// or empty takes the default, or else is empty) and each `$$` by `$`. `budget` is what the
/// substituted values may still add, shared by the scalars of one file.
pub(crate) fn substitute(
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    budget: &mut usize,
) -> Result<String, SubstitutionError> {
    if !value.contains('$') {
        return Ok(value.to_owned());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    loop {
        // The text up to the next escape, substituted on its own.
        let (segment, escaped) = match rest.find("$$") {
            Some(at) => (&rest[..at], Some(at)),
            None => (rest, None),
        };
        substitute_segment(segment, lookup, budget, &mut out)?;
        match escaped {
            Some(at) => {
                out.push('$');
                rest = &rest[at + 2..];
            }
            None => return Ok(out),
        }
    }
}

/// Replaces the references of a segment that holds no `$$`; appends the result to `out`.
fn substitute_segment(
    segment: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    budget: &mut usize,
    out: &mut String,
) -> Result<(), SubstitutionError> {
    let mut rest = segment;
    // SUBSTITUTION-REF: "${", at least one character other than "}", then "}".
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(len) = after.find('}').filter(|&len| len > 0) else {
            // No reference here, nor further on: no `}` follows (or `${}`, which the grammar
            // does not match), so the rest is text.
            if after.starts_with('}') {
                out.push_str(&rest[..start + 3]);
                rest = &rest[start + 3..];
                continue;
            }
            break;
        };
        out.push_str(&rest[..start]);
        let content = &after[..len];
        let (name, default) = parse_reference(content)?;
        let value = lookup(name).filter(|value| !value.is_empty());
        let value = value.as_deref().unwrap_or(default.unwrap_or(""));
        *budget = budget
            .checked_sub(value.len())
            .ok_or(SubstitutionError::TooLarge)?;
        out.push_str(value);
        rest = &after[len + 1..];
    }
    out.push_str(rest);
    Ok(())
}

/// The variable name and the default of the content of `${...}`: ENV-SUBSTITUTION, with an
/// optional `env:` prefix.
fn parse_reference(content: &str) -> Result<(&str, Option<&str>), SubstitutionError> {
    // Without a prefix first, so that `${NAME:-x}` is not read as prefix `NAME`.
    if let Some(parsed) = env_substitution(content) {
        return Ok(parsed);
    }
    // Other prefixes are "language-specific"; tctx has none.
    if let Some(generic) = content.strip_prefix("env:") {
        if let Some(parsed) = env_substitution(generic) {
            return Ok(parsed);
        }
    }
    Err(SubstitutionError::InvalidReference(cut(content)))
}

/// ENV-SUBSTITUTION = ENV-NAME [":-" DEFAULT-VALUE].
fn env_substitution(content: &str) -> Option<(&str, Option<&str>)> {
    let name_len = content
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
        .unwrap_or(content.len());
    let (name, rest) = content.split_at(name_len);
    // ENV-NAME = (ALPHA / "_") *(ALPHA / DIGIT / "_")
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    if rest.is_empty() {
        return Some((name, None));
    }
    let default = rest.strip_prefix(":-")?;
    // DEFAULT-VALUE = *(%x21-7C / "~" / WSP): printable ASCII and blanks, no `}` (already
    // excluded by the caller).
    default
        .bytes()
        .all(|b| matches!(b, 0x21..=0x7e | b' ' | b'\t'))
        .then_some((name, Some(default)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The environment of the specification's table (configuration_data-model.md), shared
    /// with the YAML reader's tests.
    pub(crate) fn env(name: &str) -> Option<String> {
        let value = match name {
            "STRING_VALUE" => "value",
            "BOOL_VALUE" => "true",
            "INT_VALUE" => "1",
            "FLOAT_VALUE" => "1.1",
            "HEX_VALUE" => "0xdeadbeef",
            "INVALID_MAP_VALUE" => "value\nkey:value",
            "DO_NOT_REPLACE_ME" => "Never use this value",
            "REPLACE_ME" => "${DO_NOT_REPLACE_ME}",
            "VALUE_WITH_ESCAPE" => "value$$",
            "EMPTY" => "",
            _ => return None,
        };
        Some(value.to_owned())
    }

    fn run(value: &str) -> Result<String, SubstitutionError> {
        substitute(value, &env, &mut MAX_SUBSTITUTED_BYTES.clone())
    }

    #[test]
    fn text_without_references_is_copied() {
        for (input, expected) in [
            ("a $ b", "a $ b"),
            ("${", "${"),
            ("${}", "${}"),
            ("x${}y${STRING_VALUE}", "x${}yvalue"),
            ("${STRING_VALUE", "${STRING_VALUE"),
            ("$", "$"),
            ("}", "}"),
        ] {
            assert_eq!(run(input).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn empty_variable_takes_the_default() {
        // "substituted if ENV-NAME is null, empty, or undefined"
        assert_eq!(run("${EMPTY:-x}").as_deref(), Ok("x"));
        assert_eq!(run("${EMPTY}").as_deref(), Ok(""));
        assert_eq!(run("${UNDEFINED:-}").as_deref(), Ok(""));
    }

    #[test]
    fn invalid_references_are_errors() {
        for (input, reason) in [
            ("${1API_KEY}", "a name starts with a letter or _"),
            ("${API_$KEY}", "$ is not in a name"),
            ("${STRING_VALUE:?error}", ":? is not :-"),
            ("${env:1A}", "env: then an invalid name"),
            ("${ STRING_VALUE}", "blank before the name"),
            ("${A:-\u{e9}}", "the default is ASCII"),
            ("${A:-a\nb}", "no newline in a default"),
        ] {
            assert!(
                matches!(run(input), Err(SubstitutionError::InvalidReference(_))),
                "{input}: {reason}"
            );
        }
        assert_eq!(
            run("${sys:java.home}"),
            Err(SubstitutionError::InvalidReference(
                "sys:java.home".to_owned()
            )),
            "a prefix other than env"
        );
    }

    #[test]
    fn budget_bounds_the_output() {
        let big = |_: &str| Some("x".repeat(1000));
        let mut budget = 2500;
        assert!(substitute("${A}${A}", &big, &mut budget).is_ok());
        assert_eq!(budget, 500);
        assert_eq!(
            substitute("${A}", &big, &mut budget),
            Err(SubstitutionError::TooLarge)
        );
    }
}
