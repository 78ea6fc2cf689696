//! The strategy reader: a Jaeger `SamplingStrategyResponse` (jaeger-idl
//! `proto/api_v2/sampling.proto`) in its JSON form, bytes to a [`Strategy`]. Pure: no I/O, no
//! clock, no OpenTelemetry type; fuzzed (`fuzz/fuzz_targets/jaeger_strategy.rs`).

use std::fmt;

pub(crate) use crate::codec::error::cut;
use serde_json::{Map, Value};

/// The largest response body read, in bytes (1 MiB): a strategy for 2,000 operations takes
/// about 150 KiB.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// A sampling strategy served by a Jaeger agent, collector or an OpenTelemetry Collector's
/// remote sampling extension for one service (jaeger-idl `SamplingStrategyResponse`).
///
/// Which variant a response is: `operationSampling`, when present, wins over
/// `strategyType` (as in OpenTelemetry Go's `jaegerremote`; Java's agrees whenever the
/// operation list is not empty, and Jaeger's servers send `probabilisticSampling` beside it
/// with the same default rate); otherwise `strategyType` (`PROBABILISTIC`, the proto3 default
/// when it is omitted, or `RATE_LIMITING`) picks the message it names.
///
/// # Examples
///
/// ```
/// use tctx::sampler::jaeger::Strategy;
///
/// let strategy = Strategy::from_json(br#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.25}}"#)?;
/// assert_eq!(strategy, Strategy::Probabilistic { sampling_rate: 0.25 });
///
/// // The numeric enum form, and fields omitted when zero (proto3 JSON).
/// let strategy = Strategy::from_json(br#"{"strategyType":1,"rateLimitingSampling":{}}"#)?;
/// assert_eq!(strategy, Strategy::RateLimiting { max_traces_per_second: 0 });
/// # Ok::<(), tctx::sampler::jaeger::StrategyError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    /// `PROBABILISTIC`: every new trace sampled with this probability, in `[0, 1]`.
    Probabilistic {
        /// `probabilisticSampling.samplingRate`.
        sampling_rate: f64,
    },
    /// `RATE_LIMITING`: at most this many new traces a second.
    RateLimiting {
        /// `rateLimitingSampling.maxTracesPerSecond` (an `int32` in the proto, at least 0).
        max_traces_per_second: u32,
    },
    /// `operationSampling`: a probability per operation (the root span's name), a default for
    /// the others, and a lower bound of sampled traces per second per operation.
    PerOperation(OperationSampling),
}

/// The per-operation strategies (jaeger-idl `PerOperationSamplingStrategies`).
///
/// # Examples
///
/// ```
/// use tctx::sampler::jaeger::{OperationSampling, OperationStrategy, Strategy};
///
/// let strategy = Strategy::PerOperation(OperationSampling {
///     default_sampling_probability: 0.01,
///     default_lower_bound_traces_per_second: 0.5,
///     default_upper_bound_traces_per_second: 0.0,
///     per_operation_strategies: vec![OperationStrategy::new("GET /checkout", 1.0)],
/// });
/// assert_eq!(Strategy::from_json(strategy.to_json().as_bytes())?, strategy);
/// # Ok::<(), tctx::sampler::jaeger::StrategyError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OperationSampling {
    /// `defaultSamplingProbability`: the probability of operations not listed, in `[0, 1]`.
    pub default_sampling_probability: f64,
    /// `defaultLowerBoundTracesPerSecond`: every operation gets at least this many sampled
    /// traces a second (whatever its probability), finite and at least 0.
    pub default_lower_bound_traces_per_second: f64,
    /// `defaultUpperBoundTracesPerSecond`: read and kept, not enforced. Jaeger's clients and
    /// OpenTelemetry's Go, Java and JavaScript samplers ignore it too (Jaeger's adaptive
    /// sampling uses it in the collector).
    pub default_upper_bound_traces_per_second: f64,
    /// `perOperationStrategies`, in the order served.
    pub per_operation_strategies: Vec<OperationStrategy>,
}

/// One operation's probability (jaeger-idl `OperationSamplingStrategy`).
///
/// # Examples
///
/// ```
/// let op = tctx::sampler::jaeger::OperationStrategy::new("GET /health", 0.0);
/// assert_eq!(op.operation, "GET /health");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OperationStrategy {
    /// `operation`: the span name it applies to, compared exactly.
    pub operation: String,
    /// `probabilisticSampling.samplingRate`, in `[0, 1]` (0 when `probabilisticSampling` is
    /// absent, the proto3 default).
    pub sampling_rate: f64,
}

impl OperationStrategy {
    /// The strategy sampling `operation` with probability `sampling_rate`.
    ///
    /// # Examples
    ///
    /// ```
    /// let op = tctx::sampler::jaeger::OperationStrategy::new("checkout", 0.5);
    /// assert_eq!(op.sampling_rate, 0.5);
    /// ```
    #[must_use]
    pub fn new(operation: impl Into<String>, sampling_rate: f64) -> Self {
        Self {
            operation: operation.into(),
            sampling_rate,
        }
    }
}

/// Why a response is not a strategy: the field (as a JSON path, `operationSampling.
/// perOperationStrategies[3].probabilisticSampling.samplingRate`, or `body` for the response
/// as a whole) and what is wrong with it.
///
/// # Examples
///
/// ```
/// use tctx::sampler::jaeger::Strategy;
///
/// let err = Strategy::from_json(br#"{"probabilisticSampling":{"samplingRate":1.5}}"#).unwrap_err();
/// assert_eq!(err.field(), "probabilisticSampling.samplingRate");
/// assert_eq!(err.to_string(), "probabilisticSampling.samplingRate: 1.5 is outside [0, 1]");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrategyError {
    field: String,
    message: String,
}

impl StrategyError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The JSON path of the offending field, or `body`.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = tctx::sampler::jaeger::Strategy::from_json(b"[]").unwrap_err();
    /// assert_eq!(err.field(), "body");
    /// ```
    #[must_use]
    pub fn field(&self) -> &str {
        &self.field
    }
}

impl fmt::Display for StrategyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for StrategyError {}

/// Reads the fields of one JSON object, each by its proto3 JSON name (lowerCamelCase) or its
/// proto field name (`snake_case`), as proto3 JSON parsers must accept both.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value, path: &'a str) -> Result<Self, StrategyError> {
        match value {
            Value::Object(map) => Ok(Self { map, path }),
            other => Err(StrategyError::new(
                display_path(path),
                format!("expected an object, found {}", kind(other)),
            )),
        }
    }

    /// The value of a field; `null` is absent (proto3 JSON: the default value).
    fn get(&self, camel: &str, snake: &str) -> Option<&'a Value> {
        self.map
            .get(camel)
            .or_else(|| self.map.get(snake))
            .filter(|value| !value.is_null())
    }

    fn path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "body"
    } else {
        path
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A proto3 JSON `double`: a number, or a string holding one (`"0.5"`, `"NaN"`,
/// `"Infinity"`, which the checks then refuse).
fn double(value: &Value, path: &str) -> Result<f64, StrategyError> {
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            text => text.trim().parse::<f64>().ok().filter(|_| !text.is_empty()),
        },
        _ => None,
    };
    number.ok_or_else(|| {
        StrategyError::new(path, format!("expected a number, found {}", quote(value)))
    })
}

/// The value as written, cut to 64 bytes, for an error message.
fn quote(value: &Value) -> String {
    let text = match value {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        other => kind(other).to_owned(),
    };
    cut(&text)
}

fn rate(fields: &Fields<'_>, camel: &str, snake: &str) -> Result<f64, StrategyError> {
    let Some(value) = fields.get(camel, snake) else {
        return Ok(0.0);
    };
    let path = fields.path(camel);
    let rate = double(value, &path)?;
    if rate.is_nan() || !(0.0..=1.0).contains(&rate) {
        return Err(StrategyError::new(
            path,
            format!("{} is outside [0, 1]", quote(value)),
        ));
    }
    Ok(rate + 0.0) // -0 reads as 0
}

fn per_second(fields: &Fields<'_>, camel: &str, snake: &str) -> Result<f64, StrategyError> {
    let Some(value) = fields.get(camel, snake) else {
        return Ok(0.0);
    };
    let path = fields.path(camel);
    let rate = double(value, &path)?;
    if !rate.is_finite() || rate < 0.0 {
        return Err(StrategyError::new(
            path,
            format!("{} is not a finite number of at least 0", quote(value)),
        ));
    }
    Ok(rate + 0.0)
}

/// A proto3 JSON `int32` that must be at least 0: a whole number, or a string holding one.
fn count(fields: &Fields<'_>, camel: &str, snake: &str) -> Result<u32, StrategyError> {
    let Some(value) = fields.get(camel, snake) else {
        return Ok(0);
    };
    let path = fields.path(camel);
    let number = double(value, &path)?;
    if number.fract() != 0.0 || !(0.0..=f64::from(i32::MAX)).contains(&number) {
        return Err(StrategyError::new(
            path,
            format!("{} is not a whole number in [0, 2^31-1]", quote(value)),
        ));
    }
    // Whole and within [0, 2^31-1]: exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(number as u32)
}

/// The two strategy types of the proto's `SamplingStrategyType`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StrategyType {
    Probabilistic,
    RateLimiting,
}

fn strategy_type(fields: &Fields<'_>) -> Result<StrategyType, StrategyError> {
    let Some(value) = fields.get("strategyType", "strategy_type") else {
        return Ok(StrategyType::Probabilistic);
    };
    match value {
        Value::String(s) if s == "PROBABILISTIC" => Ok(StrategyType::Probabilistic),
        Value::String(s) if s == "RATE_LIMITING" => Ok(StrategyType::RateLimiting),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(StrategyType::Probabilistic),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(StrategyType::RateLimiting),
        other => Err(StrategyError::new(
            "strategyType",
            format!(
                "{} is not a strategy type (expected \"PROBABILISTIC\", \"RATE_LIMITING\", 0 or 1)",
                quote(other)
            ),
        )),
    }
}

impl Strategy {
    /// Reads a `SamplingStrategyResponse` in its JSON form: proto3 JSON (`"PROBABILISTIC"`,
    /// lowerCamelCase names), the numeric enum (`0`, `1`) of Jaeger agents' Thrift JSON, and
    /// proto field names (`sampling_rate`); fields left out are zero, `null` is left out,
    /// unknown fields are ignored. Numbers may be JSON numbers or strings (`"0.5"`).
    ///
    /// # Errors
    ///
    /// A [`StrategyError`] naming the field: a body over [`MAX_BODY_BYTES`] or not JSON
    /// (nesting deeper than 128 levels included), a field of the wrong type, an unknown
    /// `strategyType`, a rate outside `[0, 1]` (NaN included), a negative or infinite number of
    /// traces per second, a `maxTracesPerSecond` that is not a whole number.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::jaeger::Strategy;
    ///
    /// let json = br#"{
    ///   "strategyType": "PROBABILISTIC",
    ///   "probabilisticSampling": { "samplingRate": 0.001 },
    ///   "operationSampling": {
    ///     "defaultSamplingProbability": 0.001,
    ///     "defaultLowerBoundTracesPerSecond": 0.1,
    ///     "perOperationStrategies": [
    ///       { "operation": "GET /checkout", "probabilisticSampling": { "samplingRate": 1 } },
    ///       { "operation": "GET /health", "probabilisticSampling": { "samplingRate": 1.5 } }
    ///     ]
    ///   }
    /// }"#;
    /// let err = Strategy::from_json(json).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "operationSampling.perOperationStrategies[1].probabilisticSampling.samplingRate: \
    ///      1.5 is outside [0, 1]"
    /// );
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Self, StrategyError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(StrategyError::new(
                "body",
                format!(
                    "{} bytes is more than the limit of {MAX_BODY_BYTES}",
                    body.len()
                ),
            ));
        }
        // serde_json refuses nesting deeper than 128 levels: the depth is bounded too.
        let root: Value = serde_json::from_slice(body)
            .map_err(|error| StrategyError::new("body", format!("not JSON: {error}")))?;
        let fields = Fields::of(&root, "")?;
        if let Some(operations) = fields.get("operationSampling", "operation_sampling") {
            return Ok(Self::PerOperation(operation_sampling(operations)?));
        }
        match strategy_type(&fields)? {
            StrategyType::Probabilistic => {
                let sampling_rate =
                    match fields.get("probabilisticSampling", "probabilistic_sampling") {
                        None => 0.0,
                        Some(value) => {
                            let path = fields.path("probabilisticSampling");
                            rate(&Fields::of(value, &path)?, "samplingRate", "sampling_rate")?
                        }
                    };
                Ok(Self::Probabilistic { sampling_rate })
            }
            StrategyType::RateLimiting => {
                let max_traces_per_second =
                    match fields.get("rateLimitingSampling", "rate_limiting_sampling") {
                        None => 0,
                        Some(value) => {
                            let path = fields.path("rateLimitingSampling");
                            count(
                                &Fields::of(value, &path)?,
                                "maxTracesPerSecond",
                                "max_traces_per_second",
                            )?
                        }
                    };
                Ok(Self::RateLimiting {
                    max_traces_per_second,
                })
            }
        }
    }

    /// The strategy as proto3 JSON, which [`from_json`](Self::from_json) reads back to an
    /// equal strategy: for test servers and examples.
    ///
    /// # Examples
    ///
    /// ```
    /// use tctx::sampler::jaeger::Strategy;
    ///
    /// let json = Strategy::Probabilistic { sampling_rate: 0.5 }.to_json();
    /// assert_eq!(json, r#"{"probabilisticSampling":{"samplingRate":0.5},"strategyType":"PROBABILISTIC"}"#);
    /// ```
    #[must_use]
    pub fn to_json(&self) -> String {
        let value = match self {
            Self::Probabilistic { sampling_rate } => serde_json::json!({
                "strategyType": "PROBABILISTIC",
                "probabilisticSampling": { "samplingRate": sampling_rate },
            }),
            Self::RateLimiting {
                max_traces_per_second,
            } => serde_json::json!({
                "strategyType": "RATE_LIMITING",
                "rateLimitingSampling": { "maxTracesPerSecond": max_traces_per_second },
            }),
            Self::PerOperation(operations) => {
                let list: Vec<Value> = operations
                    .per_operation_strategies
                    .iter()
                    .map(|op| {
                        serde_json::json!({
                            "operation": op.operation,
                            "probabilisticSampling": { "samplingRate": op.sampling_rate },
                        })
                    })
                    .collect();
                serde_json::json!({
                    "strategyType": "PROBABILISTIC",
                    "probabilisticSampling": {
                        "samplingRate": operations.default_sampling_probability,
                    },
                    "operationSampling": {
                        "defaultSamplingProbability": operations.default_sampling_probability,
                        "defaultLowerBoundTracesPerSecond":
                            operations.default_lower_bound_traces_per_second,
                        "defaultUpperBoundTracesPerSecond":
                            operations.default_upper_bound_traces_per_second,
                        "perOperationStrategies": list,
                    },
                })
            }
        };
        value.to_string()
    }
}

fn operation_sampling(value: &Value) -> Result<OperationSampling, StrategyError> {
    let fields = Fields::of(value, "operationSampling")?;
    let default_sampling_probability = rate(
        &fields,
        "defaultSamplingProbability",
        "default_sampling_probability",
    )?;
    let default_lower_bound_traces_per_second = per_second(
        &fields,
        "defaultLowerBoundTracesPerSecond",
        "default_lower_bound_traces_per_second",
    )?;
    let default_upper_bound_traces_per_second = per_second(
        &fields,
        "defaultUpperBoundTracesPerSecond",
        "default_upper_bound_traces_per_second",
    )?;
    let list_path = fields.path("perOperationStrategies");
    let per_operation_strategies =
        match fields.get("perOperationStrategies", "per_operation_strategies") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| operation_strategy(item, &format!("{list_path}[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(StrategyError::new(
                    list_path,
                    format!("expected an array, found {}", kind(other)),
                ))
            }
        };
    Ok(OperationSampling {
        default_sampling_probability,
        default_lower_bound_traces_per_second,
        default_upper_bound_traces_per_second,
        per_operation_strategies,
    })
}

fn operation_strategy(value: &Value, path: &str) -> Result<OperationStrategy, StrategyError> {
    let fields = Fields::of(value, path)?;
    let operation = match fields.get("operation", "operation") {
        None => String::new(),
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            return Err(StrategyError::new(
                fields.path("operation"),
                format!("expected a string, found {}", kind(other)),
            ))
        }
    };
    let sampling_rate = match fields.get("probabilisticSampling", "probabilistic_sampling") {
        None => 0.0,
        Some(value) => {
            let path = fields.path("probabilisticSampling");
            rate(&Fields::of(value, &path)?, "samplingRate", "sampling_rate")?
        }
    };
    Ok(OperationStrategy {
        operation,
        sampling_rate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Strategy, String> {
        Strategy::from_json(json.as_bytes()).map_err(|e| e.to_string())
    }

    /// Every form of the response, each with its reason.
    #[rustfmt::skip]
    #[test]
    fn forms() {
        let p = |sampling_rate| Ok(Strategy::Probabilistic { sampling_rate });
        let r = |max_traces_per_second| Ok(Strategy::RateLimiting { max_traces_per_second });
        let cases: &[(&str, Result<Strategy, String>, &str)] = &[
            ("{}", p(0.0), "everything omitted: PROBABILISTIC at rate 0 (proto3 defaults)"),
            (r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.5}}"#, p(0.5), "proto3 JSON"),
            (r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.5}}"#, p(0.5), "numeric enum (Jaeger agent's Thrift JSON)"),
            (r#"{"strategy_type":"PROBABILISTIC","probabilistic_sampling":{"sampling_rate":0.5}}"#, p(0.5), "proto field names"),
            (r#"{"probabilisticSampling":{"samplingRate":"0.5"}}"#, p(0.5), "a double as a string (proto3 JSON)"),
            (r#"{"probabilisticSampling":{}}"#, p(0.0), "rate omitted when zero"),
            (r#"{"probabilisticSampling":{"samplingRate":1}}"#, p(1.0), "an integer rate"),
            (r#"{"probabilisticSampling":{"samplingRate":-0.0}}"#, p(0.0), "-0 is 0"),
            (r#"{"strategyType":null,"probabilisticSampling":null}"#, p(0.0), "null is omitted"),
            (r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":7}}"#, r(7), "rate limiting"),
            (r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":"7"}}"#, r(7), "numeric enum, int32 as a string"),
            (r#"{"strategyType":1}"#, r(0), "rate limiting, zero omitted"),
            (r#"{"strategyType":"RATE_LIMITING","probabilisticSampling":{"samplingRate":0.5},"rateLimitingSampling":{"maxTracesPerSecond":3}}"#, r(3), "the type picks the message"),
            (r#"{"probabilisticSampling":{"samplingRate":0.5},"future":{"x":[1,2]},"extra":1}"#, p(0.5), "unknown fields ignored"),
            (r#"{"strategyType":"ADAPTIVE"}"#, Err("strategyType: \"ADAPTIVE\" is not a strategy type (expected \"PROBABILISTIC\", \"RATE_LIMITING\", 0 or 1)".into()), "unknown type"),
            (r#"{"strategyType":2}"#, Err("strategyType: 2 is not a strategy type (expected \"PROBABILISTIC\", \"RATE_LIMITING\", 0 or 1)".into()), "unknown number"),
            (r#"{"probabilisticSampling":{"samplingRate":1.5}}"#, Err("probabilisticSampling.samplingRate: 1.5 is outside [0, 1]".into()), "above 1"),
            (r#"{"probabilisticSampling":{"samplingRate":-0.1}}"#, Err("probabilisticSampling.samplingRate: -0.1 is outside [0, 1]".into()), "negative"),
            (r#"{"probabilisticSampling":{"samplingRate":"NaN"}}"#, Err("probabilisticSampling.samplingRate: \"NaN\" is outside [0, 1]".into()), "NaN"),
            (r#"{"probabilisticSampling":{"samplingRate":"x"}}"#, Err("probabilisticSampling.samplingRate: expected a number, found \"x\"".into()), "not a number"),
            (r#"{"probabilisticSampling":{"samplingRate":true}}"#, Err("probabilisticSampling.samplingRate: expected a number, found a boolean".into()), "a boolean"),
            (r#"{"probabilisticSampling":0.5}"#, Err("probabilisticSampling: expected an object, found a number".into()), "a message as a number"),
            (r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":-1}}"#, Err("rateLimitingSampling.maxTracesPerSecond: -1 is not a whole number in [0, 2^31-1]".into()), "negative rate"),
            (r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":2.5}}"#, Err("rateLimitingSampling.maxTracesPerSecond: 2.5 is not a whole number in [0, 2^31-1]".into()), "int32 is whole"),
            ("[]", Err("body: expected an object, found an array".into()), "not an object"),
            ("{", Err("body: not JSON: EOF while parsing an object at line 1 column 1".into()), "truncated"),
        ];
        for (json, expected, reason) in cases {
            assert_eq!(&read(json), expected, "{reason}: {json}");
        }
    }

    #[rustfmt::skip]
    #[test]
    fn per_operation_forms() {
        let json = r#"{
            "strategyType": "PROBABILISTIC",
            "probabilisticSampling": {"samplingRate": 0.9},
            "operationSampling": {
                "defaultSamplingProbability": 0.001,
                "defaultLowerBoundTracesPerSecond": 0.5,
                "defaultUpperBoundTracesPerSecond": 10,
                "perOperationStrategies": [
                    {"operation": "GET /checkout", "probabilisticSampling": {"samplingRate": 1}},
                    {"operation": "GET /health", "probabilisticSampling": {}},
                    {"operation": "no rate"},
                    {"probabilisticSampling": {"samplingRate": 0.25}}
                ]
            }
        }"#;
        let expected = Strategy::PerOperation(OperationSampling {
            default_sampling_probability: 0.001,
            default_lower_bound_traces_per_second: 0.5,
            default_upper_bound_traces_per_second: 10.0,
            per_operation_strategies: vec![
                OperationStrategy::new("GET /checkout", 1.0),
                OperationStrategy::new("GET /health", 0.0),
                OperationStrategy::new("no rate", 0.0),
                OperationStrategy::new("", 0.25),
            ],
        });
        // operationSampling wins over probabilisticSampling, as in Go and Java.
        assert_eq!(read(json), Ok(expected));
        // Also when the type says RATE_LIMITING (Go), and with an empty list (Go; Java would
        // use the type's message, with the same default rate as Jaeger's servers send).
        let empty = Strategy::PerOperation(OperationSampling {
            default_sampling_probability: 0.2,
            default_lower_bound_traces_per_second: 0.0,
            default_upper_bound_traces_per_second: 0.0,
            per_operation_strategies: Vec::new(),
        });
        assert_eq!(read(r#"{"strategyType":1,"operationSampling":{"defaultSamplingProbability":0.2}}"#), Ok(empty.clone()));
        assert_eq!(read(r#"{"operation_sampling":{"default_sampling_probability":0.2,"per_operation_strategies":[]}}"#), Ok(empty));

        let errors = [
            (r#"{"operationSampling":{"perOperationStrategies":[{},{},{},{"probabilisticSampling":{"samplingRate":1.5}}]}}"#,
             "operationSampling.perOperationStrategies[3].probabilisticSampling.samplingRate: 1.5 is outside [0, 1]"),
            (r#"{"operationSampling":{"defaultSamplingProbability":2}}"#,
             "operationSampling.defaultSamplingProbability: 2 is outside [0, 1]"),
            (r#"{"operationSampling":{"defaultLowerBoundTracesPerSecond":-1}}"#,
             "operationSampling.defaultLowerBoundTracesPerSecond: -1 is not a finite number of at least 0"),
            (r#"{"operationSampling":{"defaultLowerBoundTracesPerSecond":"Infinity"}}"#,
             "operationSampling.defaultLowerBoundTracesPerSecond: \"Infinity\" is not a finite number of at least 0"),
            (r#"{"operationSampling":{"perOperationStrategies":{}}}"#,
             "operationSampling.perOperationStrategies: expected an array, found an object"),
            (r#"{"operationSampling":{"perOperationStrategies":[{"operation":7}]}}"#,
             "operationSampling.perOperationStrategies[0].operation: expected a string, found a number"),
            (r#"{"operationSampling":[]}"#, "operationSampling: expected an object, found an array"),
        ];
        for (json, message) in errors {
            assert_eq!(read(json), Err(message.to_owned()), "{json}");
        }
    }

    #[test]
    fn bounded_size_and_depth() {
        let big = format!(
            r#"{{"probabilisticSampling":{{"samplingRate":0.5}},"pad":"{}"}}"#,
            "x".repeat(MAX_BODY_BYTES)
        );
        let err = Strategy::from_json(big.as_bytes()).unwrap_err();
        assert_eq!(err.field(), "body");
        assert!(err.to_string().contains("more than the limit"), "{err}");
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = Strategy::from_json(deep.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
        // An error quotes at most 64 bytes of a value.
        let long = format!(r#"{{"strategyType":"{}"}}"#, "A".repeat(1000));
        assert!(read(&long).unwrap_err().len() < 200);
    }

    #[test]
    fn writer_round_trips() {
        let strategies = [
            Strategy::Probabilistic { sampling_rate: 0.0 },
            Strategy::Probabilistic {
                sampling_rate: 0.123_456_789,
            },
            Strategy::RateLimiting {
                max_traces_per_second: 40,
            },
            Strategy::PerOperation(OperationSampling {
                default_sampling_probability: 1.0,
                default_lower_bound_traces_per_second: 1e-3,
                default_upper_bound_traces_per_second: 5.0,
                per_operation_strategies: vec![OperationStrategy::new("a \"quoted\" é", 0.5)],
            }),
        ];
        for strategy in strategies {
            assert_eq!(
                Strategy::from_json(strategy.to_json().as_bytes()),
                Ok(strategy)
            );
        }
    }
}
