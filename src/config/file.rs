//! Loading a configuration file: [`Config`], its errors and warnings, and `OTEL_CONFIG_FILE`.

use std::fmt;
use std::io::Read;
use std::path::Path;

use opentelemetry::propagation::TextMapCompositePropagator;

use super::env::{composite, read_var, ConfiguredSampler, KnownPropagator};
use super::model;
use super::yaml::{self, Node};
use crate::sampler::{AlwaysOff, ComposableRuleBased};

/// The largest configuration file read, in bytes (4 MiB; real ones are a few KiB).
///
/// # Examples
///
/// ```
/// let too_large = format!("file_format: \"1.1\"\n#{}", " ".repeat(tctx::config::MAX_FILE_BYTES));
/// assert!(tctx::config::from_yaml_str(&too_large).is_err());
/// ```
pub const MAX_FILE_BYTES: usize = 4 << 20;

const CONFIG_FILE_VAR: &str = "OTEL_CONFIG_FILE";

/// Why a configuration could not be loaded, and where: [`path`](Self::path) is the place in
/// the file (`tracer_provider.sampler.parent_based.root`), empty for the file as a whole. Its
/// [`Display`](fmt::Display) is `path: message`.
///
/// # Examples
///
/// ```
/// let error = tctx::config::from_yaml_str(
///     "file_format: \"1.1\"\ntracer_provider:\n  sampler:\n    alwayson:\n",
/// )
/// .unwrap_err();
/// assert_eq!(error.path(), "tracer_provider.sampler");
/// assert_eq!(error.to_string(), "tracer_provider.sampler: unknown sampler \"alwayson\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    path: String,
    message: String,
}

impl ConfigError {
    pub(crate) fn new(path: String, message: String) -> Self {
        Self { path, message }
    }

    /// The place of the problem in the file: keys joined by `.`, sequence indexes in `[]`
    /// (`propagator.composite[1]`); empty when the problem is the file itself (unreadable,
    /// too large, not YAML).
    ///
    /// # Examples
    ///
    /// ```
    /// let error = tctx::config::from_yaml_str("file_format: \"0.3\"").unwrap_err();
    /// assert_eq!(error.path(), "file_format");
    /// ```
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong, without the place.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = tctx::config::from_yaml_str("file_format: \"0.3\"").unwrap_err();
    /// assert_eq!(error.message(), "version \"0.3\" is not supported: tctx reads file format 1.x");
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<yaml::YamlError> for ConfigError {
    fn from(error: yaml::YamlError) -> Self {
        Self::new(error.path, error.message)
    }
}

/// Something in a configuration that tctx ignored, and where: a propagator it does not
/// provide, for example. Its [`Display`](fmt::Display) is `path: message`.
///
/// # Examples
///
/// ```
/// let config = tctx::config::from_yaml_str(
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
    /// let config = tctx::config::from_yaml_str(
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
    /// let config = tctx::config::from_yaml_str(
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

/// A loaded OpenTelemetry configuration file: the sampler and the propagators it configures
/// (see [the module docs](crate::config) for what is read and how). Loading checks everything
/// tctx builds, so the sampler and propagator are ready; clones share the sampler.
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
    file_format: String,
    disabled: bool,
    sampler: ConfiguredSampler,
    rule_sets: model::RuleSets,
    propagators: Option<Vec<KnownPropagator>>,
    warnings: Vec<ConfigWarning>,
}

impl Config {
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
    /// assert_eq!(config.file_format(), "1.1");
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
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
        let propagators = model::propagators(entries, &mut warnings)?;
        let sampler = match sampler {
            Some(sampler) if !disabled => sampler,
            // A disabled SDK, or a noop tracer provider: no span is recorded.
            _ => ConfiguredSampler::new(AlwaysOff),
        };
        Ok(Self {
            file_format,
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
    /// A [`ConfigError`] if the file cannot be read, does not end in `.yaml` or `.yml`
    /// ("YAML configuration files MUST use file extensions `.yaml` or `.yml`"), is not UTF-8,
    /// or as [`from_yaml_str`](Self::from_yaml_str).
    ///
    /// # Examples
    ///
    /// ```
    /// let error = tctx::config::Config::from_file("/nonexistent/otel.yaml").unwrap_err();
    /// assert!(error.to_string().starts_with("cannot read /nonexistent/otel.yaml: "));
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let file_error = |message: String| ConfigError::new(String::new(), message);
        let yaml_extension = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"));
        if !yaml_extension {
            return Err(file_error(format!(
                "{}: a configuration file's name ends in .yaml or .yml",
                path.display()
            )));
        }
        let file = std::fs::File::open(path)
            .map_err(|error| file_error(format!("cannot read {}: {error}", path.display())))?;
        // One byte more than the limit tells a file at the limit from a larger one.
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| file_error(format!("cannot read {}: {error}", path.display())))?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(too_large());
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| file_error(format!("{} is not UTF-8", path.display())))?;
        Self::from_yaml_str(&text)
    }

    /// The sampler: `tracer_provider.sampler`, its default when absent, or `AlwaysOff` when
    /// the file disables the SDK or has no `tracer_provider`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::SamplerDescription;
    ///
    /// let config = tctx::config::from_yaml_str("file_format: \"1.1\"\ntracer_provider:\n")?;
    /// assert_eq!(config.sampler().description(), "AlwaysOffSampler");
    /// let config = tctx::config::from_yaml_str("file_format: \"1.1\"\ntracer_provider: {}\n")?;
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
    /// let config = tctx::config::from_yaml_str(
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
    /// let config = tctx::config::from_yaml_str(
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
    /// let config = tctx::config::from_yaml_str("file_format: \"1.1\"\ndisabled: true\n")?;
    /// assert!(config.disabled());
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn disabled(&self) -> bool {
        self.disabled
    }

    /// The file's `file_format`, as written (`"1.1"`).
    ///
    /// # Examples
    ///
    /// ```
    /// let config = tctx::config::from_yaml_str("file_format: 1.0")?;
    /// assert_eq!(config.file_format(), "1.0");
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn file_format(&self) -> &str {
        &self.file_format
    }

    /// What was ignored: propagators tctx does not provide.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = tctx::config::from_yaml_str("file_format: \"1.1\"")?;
    /// assert!(config.warnings().is_empty());
    /// # Ok::<(), tctx::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }
}

fn too_large() -> ConfigError {
    ConfigError::new(
        String::new(),
        format!(
            "a configuration file is at most {} MiB",
            MAX_FILE_BYTES >> 20
        ),
    )
}

/// The configuration file at `path`; see [`Config::from_file`].
///
/// # Errors
///
/// As [`Config::from_file`].
///
/// # Examples
///
/// ```no_run
/// let config = tctx::config::from_file("otel.yaml")?;
/// let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
///     .with_sampler(config.sampler())
///     .build();
/// # Ok::<(), tctx::config::ConfigError>(())
/// ```
pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
    Config::from_file(path)
}

/// The configuration in YAML `text`; see [`Config::from_yaml_str`].
///
/// # Errors
///
/// As [`Config::from_yaml_str`].
///
/// # Examples
///
/// ```
/// let config = tctx::config::from_yaml_str("file_format: \"1.1\"")?;
/// assert!(!config.disabled());
/// # Ok::<(), tctx::config::ConfigError>(())
/// ```
pub fn from_yaml_str(text: &str) -> Result<Config, ConfigError> {
    Config::from_yaml_str(text)
}

/// The configuration file named by `OTEL_CONFIG_FILE`: `Ok(None)` when the variable is
/// unset, empty or blank. This is the specification's behaviour, where a file that fails
/// to load is an error; [`sampler::from_env`](crate::sampler::from_env) and
/// [`propagator_from_env`](crate::propagator_from_env) log the error and use defaults
/// instead.
///
/// # Errors
///
/// As [`Config::from_file`].
///
/// # Examples
///
/// ```
/// // Fail fast, as the specification asks, then configure the SDK.
/// let sampler = match tctx::config::from_env()? {
///     Some(config) => config.sampler(),
///     None => tctx::sampler::from_env(),
/// };
/// # let _ = sampler;
/// # Ok::<(), tctx::config::ConfigError>(())
/// ```
pub fn from_env() -> Result<Option<Config>, ConfigError> {
    let Some(path) = read_var(CONFIG_FILE_VAR) else {
        return Ok(None);
    };
    let path = path.trim();
    if path.is_empty() {
        return Ok(None);
    }
    Config::from_file(path).map(Some)
}

/// What `OTEL_CONFIG_FILE` gave.
pub(crate) enum ConfigFile {
    /// The variable is unset or blank.
    Unset,
    /// The file failed to load; the error is logged.
    Failed,
    /// The file's configuration; its warnings are logged.
    Loaded(Config),
}

/// The configuration `OTEL_CONFIG_FILE` names, its warnings or error logged.
pub(crate) fn config_file_from_env_logged() -> ConfigFile {
    match from_env() {
        Ok(None) => ConfigFile::Unset,
        Ok(Some(config)) => {
            for warning in config.warnings() {
                opentelemetry::otel_warn!(
                    name: "tctx.config.invalid",
                    message = format!("{CONFIG_FILE_VAR}: {warning}")
                );
            }
            ConfigFile::Loaded(config)
        }
        Err(error) => {
            opentelemetry::otel_warn!(
                name: "tctx.config.invalid",
                message = format!(
                    "{CONFIG_FILE_VAR}: {error}; ignoring the file and the other OTEL_* \
                     variables, using the default sampler and propagators"
                )
            );
            ConfigFile::Failed
        }
    }
}
