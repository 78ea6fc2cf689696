//! [`Config`]: the sampler and propagators of a configuration, loaded once, from the
//! environment (`OTEL_CONFIG_FILE`, else the other `OTEL_*` variables) or (feature `config`) a
//! configuration file; its errors and warnings.

use std::fmt;
#[cfg(feature = "config")]
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use opentelemetry::propagation::TextMapCompositePropagator;

use super::env::{self, composite, read_var, ConfiguredSampler, KnownPropagator};
#[cfg(feature = "config")]
use super::model;
#[cfg(feature = "config")]
use super::yaml::{self, Node};
#[cfg(feature = "config")]
use crate::sampler::AlwaysOff;
use crate::sampler::ComposableRuleBased;

/// The largest configuration file read, in bytes (4 MiB; real ones are a few KiB).
///
/// # Examples
///
/// ```
/// let too_large = format!("file_format: \"1.1\"\n#{}", " ".repeat(tctx::config::MAX_FILE_BYTES));
/// assert!(tctx::config::Config::from_yaml_str(&too_large).is_err());
/// ```
#[cfg(feature = "config")]
pub const MAX_FILE_BYTES: usize = 4 << 20;

const CONFIG_FILE_VAR: &str = "OTEL_CONFIG_FILE";

/// Why a configuration could not be loaded, and where: the [`file`](Self::file), the place
/// in it ([`path`](Self::path), `tracer_provider.sampler.parent_based.root`), and what kind
/// of problem it is ([`kind`](Self::kind)). Its [`Display`](fmt::Display) is
/// `file: path: message` (each part there when known); the error it comes from, such as the
/// `io::Error` of a missing file, is its [`source`](std::error::Error::source).
///
/// # Examples
///
/// ```
/// use tctx::config::{Config, ConfigErrorKind};
///
/// # #[cfg(feature = "config")] {
/// let error = Config::from_yaml_str(
///     "file_format: \"1.1\"\ntracer_provider:\n  sampler:\n    alwayson:\n",
/// )
/// .unwrap_err();
/// assert_eq!(error.kind(), ConfigErrorKind::Schema);
/// assert_eq!(error.path(), "tracer_provider.sampler");
/// assert_eq!(error.to_string(), "tracer_provider.sampler: unknown sampler \"alwayson\"");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ConfigError {
    kind: ConfigErrorKind,
    file: Option<PathBuf>,
    path: String,
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// What kind of problem a [`ConfigError`] is, for a program that acts on it (retry a file
/// being written, report a typo to its operator).
///
/// # Examples
///
/// ```
/// use tctx::config::{Config, ConfigErrorKind};
///
/// # #[cfg(feature = "config")] {
/// let error = Config::from_file("/nonexistent/otel.yaml").unwrap_err();
/// assert_eq!(error.kind(), ConfigErrorKind::Io);
/// let io = std::error::Error::source(&error).and_then(|e| e.downcast_ref::<std::io::Error>());
/// assert_eq!(io.map(std::io::Error::kind), Some(std::io::ErrorKind::NotFound));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The file cannot be read: missing, not allowed, a directory, or a name that does not
    /// end in `.yaml` or `.yml`. The `io::Error`, if any, is the source.
    Io,
    /// The text is not YAML 1.2 as tctx reads it: not UTF-8, a syntax error, more than
    /// `MAX_FILE_BYTES` or another of the limits, a
    /// duplicate or merge key, a `${...}` reference outside the grammar.
    Yaml,
    /// The YAML is not a configuration tctx can build: an unknown key or sampler, a missing
    /// property, a wrong type, an unsupported `file_format`.
    Schema,
    /// A value of the right type that is out of range: a ratio outside `[0, 1]`, below 2^-56,
    /// or that a 64-bit float cannot hold.
    Value,
    /// The configuration needs what this build of tctx lacks: `OTEL_CONFIG_FILE` set in a
    /// build without the feature `config`.
    Unsupported,
}

impl ConfigError {
    #[cfg(feature = "config")]
    /// A schema error at `path` (the kind most errors of the model are).
    pub(crate) fn new(path: String, message: String) -> Self {
        Self::of_kind(ConfigErrorKind::Schema, path, message)
    }

    pub(crate) fn of_kind(kind: ConfigErrorKind, path: String, message: String) -> Self {
        Self {
            kind,
            file: None,
            path,
            message,
            source: None,
        }
    }

    /// The same error, caused by `source`.
    #[cfg(feature = "config")]
    fn caused_by(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The same error, in the file at `file`.
    fn in_file(mut self, file: &Path) -> Self {
        self.file = Some(file.to_path_buf());
        self
    }

    /// What kind of problem this is.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "config")] {
    /// use tctx::config::{Config, ConfigErrorKind};
    ///
    /// let error = Config::from_yaml_str("file_format: \"1.1\"\ntracer_provider:\n  sampler:\n    \
    ///     trace_id_ratio_based: { ratio: 1.5 }\n").unwrap_err();
    /// assert_eq!(error.kind(), ConfigErrorKind::Value);
    /// # }
    /// ```
    #[must_use]
    pub fn kind(&self) -> ConfigErrorKind {
        self.kind
    }

    /// The configuration file, when the error is in one (`Config::from_file`,
    /// `OTEL_CONFIG_FILE`).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "config")] {
    /// let error = tctx::config::Config::from_file("/nonexistent/otel.yaml").unwrap_err();
    /// assert_eq!(error.file(), Some(std::path::Path::new("/nonexistent/otel.yaml")));
    /// # }
    /// ```
    #[must_use]
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The place of the problem in the file: keys joined by `.`, sequence indexes in `[]`
    /// (`propagator.composite[1]`); empty when the problem is the file itself (unreadable,
    /// too large, not YAML).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "config")] {
    /// let error = tctx::config::Config::from_yaml_str("file_format: \"0.3\"").unwrap_err();
    /// assert_eq!(error.path(), "file_format");
    /// # }
    /// ```
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong, without the file and the place.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "config")] {
    /// let error = tctx::config::Config::from_yaml_str("file_format: \"0.3\"").unwrap_err();
    /// assert_eq!(error.message(), "version \"0.3\" is not supported: tctx reads file format 1.x");
    /// # }
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Errors are equal when their kind, file, place and message are (the sources are not
/// compared: `io::Error` cannot be).
impl PartialEq for ConfigError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.file == other.file
            && self.path == other.path
            && self.message == other.message
    }
}

impl Eq for ConfigError {}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

#[cfg(feature = "config")]
impl From<yaml::YamlError> for ConfigError {
    fn from(error: yaml::YamlError) -> Self {
        Self::of_kind(ConfigErrorKind::Yaml, error.path, error.message)
    }
}

/// Something in a configuration that tctx ignored, and where: a propagator it does not
/// provide, for example. Its [`Display`](fmt::Display) is `path: message`.
///
/// # Examples
///
/// ```
/// let config = tctx::config::Config::from_yaml_str(
///     "file_format: \"1.1\"\npropagator:\n  composite: [ { tracecontext: }, { b3: } ]\n",
/// )?;
/// assert_eq!(config.warnings()[0].path(), "propagator.composite[1]");
/// assert_eq!(
///     config.warnings()[0].to_string(),
///     "propagator.composite[1]: \"b3\" names a propagator tctx does not provide; ignored"
/// );
/// # Ok::<(), tctx::config::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    pub(crate) path: String,
    pub(crate) message: String,
}

impl ConfigWarning {
    /// The place in the file, as in [`ConfigError::path`].
    ///
    /// # Examples
    ///
    /// ```
    /// let config = tctx::config::Config::from_yaml_str(
    ///     "file_format: \"1.1\"\npropagator:\n  composite_list: tracecontext,xray\n",
    /// )?;
    /// assert_eq!(config.warnings()[0].path(), "propagator.composite_list");
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What was ignored, without the place.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = tctx::config::Config::from_yaml_str(
    ///     "file_format: \"1.1\"\npropagator:\n  composite_list: tracecontext,xray\n",
    /// )?;
    /// assert_eq!(
    ///     config.warnings()[0].message(),
    ///     "\"xray\" names a propagator tctx does not provide; ignored"
    /// );
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A loaded configuration: the sampler and the propagators it configures, from the
/// environment ([`from_env`](Self::from_env)) or an OpenTelemetry configuration file
/// (`from_file`; see [the module docs](crate::config) for what is read and
/// how). Loading checks everything tctx builds, so the sampler and propagator are ready;
/// clones share the sampler.
///
/// # Examples
///
/// ```
/// use tctx::sampler::SamplerDescription;
///
/// let config = tctx::config::Config::from_yaml_str(
///     "file_format: \"1.1\"\ntracer_provider:\n  sampler:\n    always_off:\n",
/// )?;
/// assert_eq!(config.sampler().description(), "AlwaysOffSampler");
/// # Ok::<(), tctx::config::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// `None` for a configuration of `OTEL_*` variables.
    file_format: Option<String>,
    disabled: bool,
    sampler: ConfiguredSampler,
    rule_sets: Vec<(String, ComposableRuleBased)>,
    propagators: Option<Vec<KnownPropagator>>,
    warnings: Vec<ConfigWarning>,
}

impl Config {
    /// The configuration of the process environment, read once: the file `OTEL_CONFIG_FILE`
    /// names when it is set (and not blank), else `OTEL_TRACES_SAMPLER`,
    /// `OTEL_TRACES_SAMPLER_ARG` and `OTEL_PROPAGATORS`. Call it once, where the program sets
    /// up OpenTelemetry, and take both [`sampler`](Self::sampler) and
    /// [`propagator`](Self::propagator) from it: the file is then read and checked once, its
    /// warnings logged once, and sampler and propagators come from the same version of it.
    /// ([`sampler::from_env`](crate::sampler::from_env) and
    /// [`propagator_from_env`](crate::propagator_from_env) are shorthands for one of the two;
    /// calling both loads the configuration twice.)
    ///
    /// - With `OTEL_CONFIG_FILE`, the other variables are ignored ("When `OTEL_CONFIG_FILE`
    ///   is set, all other environment variables besides those referenced in the
    ///   configuration file for environment variable substitution MUST be ignored"). A file
    ///   that does not load is an error (configuration SDK, "Parse" and "Create": fail fast
    ///   rather than run with a sampler nobody chose); what the file has that tctx ignores is
    ///   logged (`tctx.config.invalid`, in OpenTelemetry's internal log) and kept in
    ///   [`warnings`](Self::warnings).
    /// - Without it, a mistake in a variable is logged as a warning (`tctx.env.invalid`) and
    ///   the setting falls back, as the environment specification asks (see
    ///   [`sampler_from_env_vars`](crate::config::sampler_from_env_vars) and
    ///   [`propagator_from_env_vars`](crate::config::propagator_from_env_vars), the pure
    ///   functions that return the warnings instead). This never fails.
    ///
    /// # Errors
    ///
    /// With `OTEL_CONFIG_FILE` set, as `from_file` (the error names the
    /// file and the place in it); in a build without the feature `config`, an error of kind
    /// [`Unsupported`](ConfigErrorKind::Unsupported), since the file cannot be read.
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry_sdk::trace::SdkTracerProvider;
    ///
    /// let config = tctx::config::Config::from_env()?;
    /// opentelemetry::global::set_text_map_propagator(config.propagator());
    /// let provider = SdkTracerProvider::builder().with_sampler(config.sampler()).build();
    /// # let _ = provider;
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        if let Some(config) = Self::from_env_file()? {
            return Ok(config);
        }
        let (sampler, propagators) = env::from_process_env_logged();
        Ok(Self {
            file_format: None,
            disabled: false,
            sampler,
            rule_sets: Vec::new(),
            propagators: Some(propagators),
            warnings: Vec::new(),
        })
    }

    /// The file of `OTEL_CONFIG_FILE` when it is set (not blank), its warnings logged.
    pub(crate) fn from_env_file() -> Result<Option<Self>, ConfigError> {
        match read_var(CONFIG_FILE_VAR) {
            Some(file) if !file.trim().is_empty() => {
                Self::from_config_file_var(file.trim()).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The file of `OTEL_CONFIG_FILE`, its warnings logged.
    #[cfg(feature = "config")]
    fn from_config_file_var(file: &str) -> Result<Self, ConfigError> {
        let config = Self::from_file(file)?;
        for warning in config.warnings() {
            opentelemetry::otel_warn!(
                name: "tctx.config.invalid",
                message = format!("{CONFIG_FILE_VAR}={file}: {warning}")
            );
        }
        Ok(config)
    }

    #[cfg(not(feature = "config"))]
    fn from_config_file_var(file: &str) -> Result<Self, ConfigError> {
        let message = format!(
            "{CONFIG_FILE_VAR} is set, but this build of tctx reads no configuration file \
             (enable its feature `config`)"
        );
        Err(
            ConfigError::of_kind(ConfigErrorKind::Unsupported, String::new(), message)
                .in_file(Path::new(file)),
        )
    }

    /// The configuration in YAML `text`, its variables substituted from the process
    /// environment.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] if the text is larger than [`MAX_FILE_BYTES`], is not YAML, or is
    /// not a configuration tctx can build (see [the module docs](crate::config)).
    ///
    /// # Examples
    ///
    /// ```
    /// let config = tctx::config::Config::from_yaml_str("file_format: \"1.1\"")?;
    /// assert_eq!(config.file_format(), Some("1.1"));
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[cfg(feature = "config")]
    pub fn from_yaml_str(text: &str) -> Result<Self, ConfigError> {
        Self::from_yaml_str_with_env(text, read_var)
    }

    /// The configuration in YAML `text`, with `lookup` giving the value of each environment
    /// variable a scalar refers to (`None` when unset): for tests, or for variables from
    /// somewhere else than the process environment.
    ///
    /// # Errors
    ///
    /// As [`from_yaml_str`](Self::from_yaml_str).
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::SamplerDescription;
    ///
    /// let yaml = "file_format: \"1.1\"\n\
    ///             tracer_provider:\n  sampler:\n    trace_id_ratio_based:\n      ratio: ${RATIO:-1}\n";
    /// let env = |name: &str| (name == "RATIO").then(|| "0.25".to_owned());
    /// let config = tctx::config::Config::from_yaml_str_with_env(yaml, env)?;
    /// assert_eq!(config.sampler().description(), "TraceIdRatioBased{0.25}");
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[cfg(feature = "config")]
    pub fn from_yaml_str_with_env(
        text: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(too_large());
        }
        let root = yaml::parse(text, &lookup)?;
        let Node::Map(entries) = &root else {
            return Err(ConfigError::new(
                String::new(),
                "a configuration file is a YAML mapping (file_format: \"1.1\", ...)".to_owned(),
            ));
        };
        let file_format = model::file_format(entries)?;
        let disabled = model::disabled(entries)?;
        let mut rule_sets = Vec::new();
        let sampler = model::tracer_provider_sampler(entries, &mut rule_sets)?;
        let mut warnings = Vec::new();
        // "If no rules match, the span is not sampled": without rules, nothing is. Valid,
        // but seldom meant (a `rules:` key lost in an edit), so said where it is.
        for (path, rules) in &rule_sets {
            if rules.rules().is_empty() {
                warnings.push(ConfigWarning {
                    path: path.clone(),
                    message: "has no rules, so it samples no span".to_owned(),
                });
            }
        }
        let propagators = model::propagators(entries, &mut warnings)?;
        let sampler = match sampler {
            Some(sampler) if !disabled => sampler,
            // A disabled SDK, or a noop tracer provider: no span is recorded.
            _ => ConfiguredSampler::new(AlwaysOff),
        };
        Ok(Self {
            file_format: Some(file_format),
            disabled,
            sampler,
            rule_sets,
            propagators,
            warnings,
        })
    }

    /// The configuration in the file at `path`, its variables substituted from the process
    /// environment.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the file: of kind [`Io`](ConfigErrorKind::Io) if the file
    /// cannot be read (the `io::Error` is its source) or does not end in `.yaml` or `.yml`
    /// ("YAML configuration files MUST use file extensions `.yaml` or `.yml`"),
    /// [`Yaml`](ConfigErrorKind::Yaml) if it is not UTF-8, or as
    /// [`from_yaml_str`](Self::from_yaml_str).
    ///
    /// # Examples
    ///
    /// ```
    /// let error = tctx::config::Config::from_file("/nonexistent/otel.yaml").unwrap_err();
    /// assert_eq!(error.kind(), tctx::config::ConfigErrorKind::Io);
    /// assert!(error.to_string().starts_with("/nonexistent/otel.yaml: cannot read: "));
    /// ```
    #[cfg(feature = "config")]
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let io_error = |message: &str| {
            ConfigError::of_kind(ConfigErrorKind::Io, String::new(), message.to_owned())
                .in_file(path)
        };
        let yaml_extension = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"));
        if !yaml_extension {
            return Err(io_error(
                "a configuration file's name ends in .yaml or .yml",
            ));
        }
        let read =
            |error: std::io::Error| io_error(&format!("cannot read: {error}")).caused_by(error);
        let file = std::fs::File::open(path).map_err(read)?;
        // One byte more than the limit tells a file at the limit from a larger one.
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(read)?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(too_large().in_file(path));
        }
        let text = String::from_utf8(bytes).map_err(|error| {
            ConfigError::of_kind(
                ConfigErrorKind::Yaml,
                String::new(),
                "is not UTF-8".to_owned(),
            )
            .in_file(path)
            .caused_by(error)
        })?;
        Self::from_yaml_str(&text).map_err(|error| error.in_file(path))
    }

    /// The sampler: `tracer_provider.sampler`, its default when absent, or `AlwaysOff` when
    /// the file disables the SDK or has no `tracer_provider`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::SamplerDescription;
    ///
    /// let config = tctx::config::Config::from_yaml_str("file_format: \"1.1\"\ntracer_provider:\n")?;
    /// assert_eq!(config.sampler().description(), "AlwaysOffSampler");
    /// let config = tctx::config::Config::from_yaml_str("file_format: \"1.1\"\ntracer_provider: {}\n")?;
    /// assert!(config.sampler().description().starts_with("ParentBased{root:AlwaysOnSampler,"));
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn sampler(&self) -> ConfiguredSampler {
        self.sampler.clone()
    }

    /// Every `rule_based` sampler of the file, with its path (one nested in a rule of another
    /// comes before it): to tell which
    /// rule a span matches ([`ComposableRuleBased::first_match`]), for tools and tests that
    /// explain a configuration. The samplers share their rules with [`sampler`](Self::sampler).
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::trace::{SpanKind, TraceId};
    /// use opentelemetry::KeyValue;
    /// use tctx::sampler::SamplingParams;
    ///
    /// let config = tctx::config::Config::from_yaml_str(
    ///     "file_format: \"1.1\"\ntracer_provider:\n  sampler:\n    composite/development:\n      \
    ///      rule_based:\n        rules:\n          - attribute_values: {key: http.route, values: [/healthz]}\n            \
    ///      sampler: {always_off: }\n          - sampler: {always_on: }\n",
    /// )?;
    /// let (path, rules) = config.rule_based_samplers().next().expect("one rule_based sampler");
    /// assert_eq!(path, "tracer_provider.sampler.composite/development.rule_based");
    /// let attributes = [KeyValue::new("http.route", "/healthz")];
    /// let span = SamplingParams::new(None, TraceId::from(1), "GET", &SpanKind::Server, &attributes, &[]);
    /// assert_eq!(rules.first_match(&span), Some(0));
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    pub fn rule_based_samplers(&self) -> impl Iterator<Item = (&str, &ComposableRuleBased)> {
        self.rule_sets
            .iter()
            .map(|(path, rules)| (path.as_str(), rules))
    }

    /// The propagators of `propagator`, as one composite (empty, a noop, when the file
    /// configures none).
    ///
    /// # Examples
    ///
    /// ```
    /// use opentelemetry::propagation::TextMapPropagator;
    ///
    /// let config = tctx::config::Config::from_yaml_str(
    ///     "file_format: \"1.1\"\npropagator:\n  composite_list: tracecontext\n",
    /// )?;
    /// let propagator = config.propagator();
    /// let mut fields: Vec<&str> = propagator.fields().collect();
    /// fields.sort_unstable();
    /// assert_eq!(fields, ["traceparent", "tracestate"]);
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn propagator(&self) -> TextMapCompositePropagator {
        composite(self.propagators.as_deref().unwrap_or_default())
    }

    /// Whether the file disables the SDK (`disabled: true`); the sampler is then `AlwaysOff`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = tctx::config::Config::from_yaml_str("file_format: \"1.1\"\ndisabled: true\n")?;
    /// assert!(config.disabled());
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn disabled(&self) -> bool {
        self.disabled
    }

    /// The file's `file_format`, as written (`"1.1"`); `None` for a configuration of `OTEL_*`
    /// variables.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = tctx::config::Config::from_yaml_str("file_format: 1.0")?;
    /// assert_eq!(config.file_format(), Some("1.0"));
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn file_format(&self) -> Option<&str> {
        self.file_format.as_deref()
    }

    /// What was ignored, or is valid but most likely a mistake: propagators tctx does not
    /// provide, a `rule_based` sampler without rules (it samples nothing).
    ///
    /// # Examples
    ///
    /// ```
    /// let config = tctx::config::Config::from_yaml_str("file_format: \"1.1\"")?;
    /// assert!(config.warnings().is_empty());
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }
}

#[cfg(feature = "config")]
fn too_large() -> ConfigError {
    ConfigError::of_kind(
        ConfigErrorKind::Yaml,
        String::new(),
        format!(
            "a configuration file is at most {} MiB",
            MAX_FILE_BYTES >> 20
        ),
    )
}
