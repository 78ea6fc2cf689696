//! Environment variables as carriers: trace context for batch jobs, CI steps and command-line
//! tools, where a parent process starts a child and no header travels between them.
//!
//! OpenTelemetry's "Environment Variables as Context Propagation Carriers"
//! (`context/env-carriers.md`, release candidate) maps each propagator field to a variable:
//! `traceparent` to `TRACEPARENT`, `tracestate` to `TRACESTATE`, `baggage` to `BAGGAGE`. The
//! parent injects into the child's environment when it spawns it; the child extracts at
//! startup. Any `TextMapPropagator` works with these carriers, tctx's or another:
//!
//! - [`EnvExtractor`] reads a snapshot of the process environment taken when it is made, so
//!   every field a propagator reads comes from the same environment ("Applications SHOULD
//!   read context-related environment variables during initialization").
//! - [`EnvInjector`] collects the variables a propagator writes, for a
//!   [`std::process::Command`] ([`EnvInjector::apply_to`]) or any other way of starting a
//!   process ([`EnvInjector::vars`]). It never changes the environment of this process
//!   ("Applications SHOULD NOT modify context-related environment variables").
//! - [`extract`] and [`inject`] do both in one call.
//!
//! The carriers are format-agnostic, as the specification asks: values are opaque strings,
//! passed unchanged in both directions; the propagators validate them. Names: a field's
//! variable is the field in upper case, with each character other than `A-Z`, `0-9` and `_`
//! replaced by `_` (`uber-trace-id` gives `UBER_TRACE_ID`); [`EnvExtractor::with_name`] and
//! [`EnvInjector::with_name`] choose another. Sizes: the carriers truncate nothing; tctx's
//! propagator cuts `tracestate` to 512 characters by whole members, as W3C Trace Context's
//! "Tracestate Limits" describe, far below every platform's limit on a variable.
//!
//! # Examples
//!
//! The parent starts a span and runs a child in it; the child continues the trace:
//!
//! ```
//! use std::process::Command;
//!
//! use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
//! use opentelemetry::Context;
//!
//! let propagator = tctx::TraceContextPropagator::new();
//! let span = SpanContext::new(
//!     TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
//!     SpanId::from(0x00f0_67aa_0ba9_02b7),
//!     TraceFlags::SAMPLED,
//!     false,
//!     TraceState::NONE,
//! );
//! let cx = Context::new().with_remote_span_context(span);
//!
//! let mut child = Command::new("env");
//! tctx::env_carrier::inject(&propagator, &cx, &mut child);
//! let vars: Vec<_> = child.get_envs().collect();
//! assert!(vars.contains(&(
//!     "TRACEPARENT".as_ref(),
//!     Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03".as_ref())
//! )));
//! // The child, at startup: `let cx = tctx::env_carrier::extract(&propagator);`
//! ```
//!
//! With the propagator registered globally:
//!
//! ```no_run
//! use opentelemetry::global;
//!
//! // The child, at startup: continue the trace of the process that started it.
//! let parent = global::get_text_map_propagator(|propagator| tctx::env_carrier::extract(propagator));
//!
//! // The parent, for each child it starts.
//! let mut command = std::process::Command::new("cargo");
//! global::get_text_map_propagator(|propagator| {
//!     tctx::env_carrier::inject(propagator, &parent, &mut command)
//! });
//! command.arg("build").status()?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::process::Command;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::Context;

/// The variable of `field` when no name was chosen for it: upper case, and `_` for each
/// character a portable variable name does not have ("Name Restrictions").
fn default_name(field: &str) -> Cow<'_, str> {
    let portable = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_';
    if field.chars().all(portable) {
        return Cow::Borrowed(field);
    }
    Cow::Owned(
        field
            .chars()
            .map(|c| c.to_ascii_uppercase())
            .map(|c| if portable(c) { c } else { '_' })
            .collect(),
    )
}

/// Field names mapped to variable names: the chosen ones, then the default rule.
#[derive(Clone, Debug, Default)]
struct Names {
    /// (field in lower case, variable), few enough that a list beats a map.
    chosen: Vec<(String, String)>,
}

impl Names {
    fn choose(&mut self, field: &str, variable: String) {
        let field = field.to_ascii_lowercase();
        match self.chosen.iter_mut().find(|(f, _)| *f == field) {
            Some(entry) => entry.1 = variable,
            None => self.chosen.push((field, variable)),
        }
    }

    fn variable<'a>(&'a self, field: &'a str) -> Cow<'a, str> {
        self.chosen
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(field))
            .map_or_else(|| default_name(field), |(_, v)| Cow::Borrowed(v.as_str()))
    }
}

/// An [`Extractor`] over a snapshot of environment variables: the process's own
/// ([`from_env`](Self::from_env)) or any given ones ([`from_vars`](Self::from_vars)).
///
/// `get("traceparent")` reads `TRACEPARENT`; see the [module docs](self) for the names.
///
/// # Examples
///
/// ```
/// use opentelemetry::propagation::{Extractor, TextMapPropagator};
/// use opentelemetry::trace::TraceContextExt;
///
/// let env = tctx::env_carrier::EnvExtractor::from_vars([
///     ("TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
///     ("HOME", "/root"),
/// ]);
/// assert_eq!(env.get("traceparent"), Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
///
/// let cx = tctx::TraceContextPropagator::new().extract(&env);
/// assert_eq!(cx.span().span_context().span_id().to_string(), "00f067aa0ba902b7");
/// ```
#[derive(Clone, Debug, Default)]
pub struct EnvExtractor {
    vars: HashMap<String, String>,
    names: Names,
}

impl EnvExtractor {
    /// A snapshot of this process's environment, taken now. Variables whose name or value is
    /// not valid Unicode are left out: no propagation format can use them.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::propagation::TextMapPropagator;
    ///
    /// let cx = tctx::TraceContextPropagator::new().extract(&tctx::env_carrier::EnvExtractor::from_env());
    /// # let _ = cx;
    /// ```
    #[must_use]
    pub fn from_env() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        Self {
            vars,
            names: Names::default(),
        }
    }

    /// These variables, as a child would find them in its environment: for tests, or for an
    /// environment read some other way (a job description, a container spec).
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::propagation::Extractor;
    ///
    /// let env = tctx::env_carrier::EnvExtractor::from_vars([("TRACESTATE", "congo=t61rcWkgMzE")]);
    /// assert_eq!(env.get("tracestate"), Some("congo=t61rcWkgMzE"));
    /// assert_eq!(env.get("traceparent"), None);
    /// ```
    #[must_use]
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            names: Names::default(),
        }
    }

    /// Reads `field` (any case) from `variable` instead of its default name.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::propagation::Extractor;
    ///
    /// let env = tctx::env_carrier::EnvExtractor::from_vars([("CI_TRACEPARENT", "00-…")])
    ///     .with_name("traceparent", "CI_TRACEPARENT");
    /// assert_eq!(env.get("traceparent"), Some("00-…"));
    /// ```
    #[must_use]
    pub fn with_name(mut self, field: &str, variable: impl Into<String>) -> Self {
        self.names.choose(field, variable.into());
        self
    }

    /// The variable `field` is read from: `TRACEPARENT` for `traceparent`, unless
    /// [`with_name`](Self::with_name) chose another.
    ///
    /// # Examples
    ///
    /// ```
    /// let env = tctx::env_carrier::EnvExtractor::from_vars::<[(&str, &str); 0], _, _>([]);
    /// assert_eq!(env.variable_name("uber-trace-id"), "UBER_TRACE_ID");
    /// ```
    #[must_use]
    pub fn variable_name<'a>(&'a self, field: &'a str) -> Cow<'a, str> {
        self.names.variable(field)
    }
}

impl Extractor for EnvExtractor {
    /// The value of `key`'s variable, unchanged.
    fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(self.names.variable(key).as_ref())
            .map(String::as_str)
    }

    /// The names of the variables that can be fields: those made of `A-Z`, `0-9` and `_`, and
    /// the variables chosen with [`with_name`](EnvExtractor::with_name), as their fields. An
    /// environment variable cannot tell `-` from `_`, so names are not turned back into
    /// fields; [`get`](Self::get) takes the fields.
    fn keys(&self) -> Vec<&str> {
        self.vars
            .keys()
            .filter_map(|name| {
                let chosen = self.names.chosen.iter().find(|(_, v)| v == name);
                match chosen {
                    Some((field, _)) => Some(field.as_str()),
                    None => (default_name(name) == name.as_str()).then_some(name.as_str()),
                }
            })
            .collect()
    }
}

/// An [`Injector`] that collects the variables a propagator writes, to start a child process
/// with them: [`apply_to`](Self::apply_to) a [`Command`], or read [`vars`](Self::vars).
///
/// `set("traceparent", …)` writes `TRACEPARENT`; see the [module docs](self) for the names.
///
/// # Examples
///
/// ```
/// use opentelemetry::propagation::Injector;
///
/// let mut env = tctx::env_carrier::EnvInjector::new();
/// env.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned());
/// let mut child = std::process::Command::new("env");
/// env.apply_to(&mut child);
/// assert_eq!(env.vars().collect::<Vec<_>>(), [("TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct EnvInjector {
    /// (variable, value) in the order first set; a field set twice keeps its last value.
    vars: Vec<(String, String)>,
    names: Names,
}

impl EnvInjector {
    /// An injector with no variables yet.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(tctx::env_carrier::EnvInjector::new().vars().count(), 0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `field` (any case) to `variable` instead of its default name.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::propagation::Injector;
    ///
    /// let mut env = tctx::env_carrier::EnvInjector::new().with_name("traceparent", "CI_TRACEPARENT");
    /// env.set("traceparent", "00-…".to_owned());
    /// assert_eq!(env.vars().collect::<Vec<_>>(), [("CI_TRACEPARENT", "00-…")]);
    /// ```
    #[must_use]
    pub fn with_name(mut self, field: &str, variable: impl Into<String>) -> Self {
        self.names.choose(field, variable.into());
        self
    }

    /// The variable `field` is written to: `TRACEPARENT` for `traceparent`, unless
    /// [`with_name`](Self::with_name) chose another.
    ///
    /// # Examples
    ///
    /// ```
    /// let env = tctx::env_carrier::EnvInjector::new();
    /// assert_eq!(env.variable_name("baggage"), "BAGGAGE");
    /// ```
    #[must_use]
    pub fn variable_name<'a>(&'a self, field: &'a str) -> Cow<'a, str> {
        self.names.variable(field)
    }

    /// The variables set so far, `(name, value)`, in the order they were first set.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::propagation::Injector;
    ///
    /// let mut env = tctx::env_carrier::EnvInjector::new();
    /// env.set("tracestate", "a=1".to_owned());
    /// env.set("tracestate", "a=2".to_owned());
    /// assert_eq!(env.vars().collect::<Vec<_>>(), [("TRACESTATE", "a=2")]);
    /// ```
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Adds the variables to the environment `command` gives its process (which otherwise
    /// inherits this process's), and returns `command` for chaining.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::propagation::Injector;
    ///
    /// let mut env = tctx::env_carrier::EnvInjector::new();
    /// env.set("baggage", "build.id=42".to_owned());
    /// let mut command = std::process::Command::new("env");
    /// env.apply_to(&mut command).arg("-0");
    /// assert_eq!(command.get_envs().count(), 1);
    /// ```
    pub fn apply_to<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command.envs(self.vars())
    }
}

impl Injector for EnvInjector {
    /// Sets `key`'s variable to `value`, unchanged.
    fn set(&mut self, key: &str, value: String) {
        let name = self.names.variable(key);
        if let Some(entry) = self.vars.iter_mut().find(|(n, _)| *n == name) {
            entry.1 = value;
        } else {
            let name = name.into_owned();
            self.vars.push((name, value));
        }
    }
}

/// The context the process that started this one passed in its environment: `propagator`
/// extracting from a fresh [`EnvExtractor::from_env`]. Call it once, at startup.
///
/// # Examples
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
///
/// let cx = tctx::env_carrier::extract(&tctx::TraceContextPropagator::new());
/// // Started by a traced parent, `cx` holds its span; otherwise no span.
/// let _ = cx.span().span_context().is_valid();
/// ```
#[must_use]
pub fn extract(propagator: &dyn TextMapPropagator) -> Context {
    propagator.extract(&EnvExtractor::from_env())
}

/// Gives the process `command` starts the trace context of `cx`: first removes the variables
/// of every field `propagator` uses, so that the child never inherits a stale `TRACEPARENT`
/// from this process's own environment, then sets those `propagator` writes.
///
/// # Examples
///
/// ```
/// use opentelemetry::Context;
///
/// // No span in the context: the child gets no TRACEPARENT, not even this process's.
/// let mut command = std::process::Command::new("env");
/// tctx::env_carrier::inject(&tctx::TraceContextPropagator::new(), &Context::new(), &mut command);
/// let traceparent = command.get_envs().find(|(name, _)| *name == "TRACEPARENT");
/// assert_eq!(traceparent, Some(("TRACEPARENT".as_ref(), None))); // None: removed
/// ```
pub fn inject(propagator: &dyn TextMapPropagator, cx: &Context, command: &mut Command) {
    let mut env = EnvInjector::new();
    for field in propagator.fields() {
        command.env_remove(env.variable_name(field).as_ref());
    }
    propagator.inject_context(cx, &mut env);
    env.apply_to(command);
}
