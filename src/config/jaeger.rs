//! `OTEL_TRACES_SAMPLER=jaeger_remote` / `parentbased_jaeger_remote` (feature
//! `jaeger-remote`): `OTEL_TRACES_SAMPLER_ARG` read as the specification's comma-separated
//! `endpoint=...,pollingIntervalMs=...,initialSamplingRate=...`, and the service name from
//! `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else
//! `unknown_service` (the SDK's default).

use std::time::Duration;

use super::env::{read_var, ConfiguredSampler};
use super::number::parse_f64;
use crate::sampler::jaeger::{DEFAULT_ENDPOINT, DEFAULT_INITIAL_SAMPLING_RATE};
use crate::sampler::{ComposableAlwaysOff, ComposableProbability, JaegerRemote, ParentBased};

/// The service name when the environment gives none (the SDK's default resource).
pub(crate) const UNKNOWN_SERVICE: &str = "unknown_service";

/// A problem with one entry of the argument: the entry and a sentence ending in what was
/// done instead.
pub(crate) type ArgProblem<'a> = (&'a str, &'static str);

/// The service name of the process: `OTEL_SERVICE_NAME`, else `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service`.
pub(crate) fn service_name_from_env() -> String {
    service_name(
        read_var("OTEL_SERVICE_NAME").as_deref(),
        read_var("OTEL_RESOURCE_ATTRIBUTES").as_deref(),
    )
}

/// The service name from the values of `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`
/// (`key=value` pairs, comma-separated, values percent-decoded).
pub(crate) fn service_name(service_var: Option<&str>, resource_var: Option<&str>) -> String {
    if let Some(name) = service_var.map(str::trim).filter(|name| !name.is_empty()) {
        return name.to_owned();
    }
    resource_var
        .unwrap_or("")
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| key.trim() == "service.name")
        .map(|(_, value)| percent_decode(value.trim()))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| UNKNOWN_SERVICE.to_owned())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The settings of `OTEL_TRACES_SAMPLER_ARG` for the Jaeger samplers.
#[derive(Debug, PartialEq)]
pub(crate) struct JaegerArg {
    pub(crate) endpoint: String,
    pub(crate) interval: Option<Duration>,
    pub(crate) initial_rate: f64,
}

/// Reads `endpoint=...,pollingIntervalMs=...,initialSamplingRate=...` (keys as the
/// specification spells them; entries trimmed, empty ones skipped). A bad value is ignored
/// (the default is used) and an unknown key too, each with a problem.
pub(crate) fn parse_arg(arg: Option<&str>) -> (JaegerArg, Vec<ArgProblem<'_>>) {
    let mut settings = JaegerArg {
        endpoint: DEFAULT_ENDPOINT.to_owned(),
        interval: None,
        initial_rate: DEFAULT_INITIAL_SAMPLING_RATE,
    };
    let mut problems = Vec::new();
    for entry in arg.unwrap_or("").split(',').map(str::trim) {
        if entry.is_empty() {
            continue;
        }
        let Some((key, value)) = entry.split_once('=') else {
            problems.push((entry, "is not a key=value entry; ignored"));
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "endpoint" => {
                if JaegerRemote::builder("check")
                    .with_endpoint(value)
                    .check()
                    .is_ok()
                {
                    value.clone_into(&mut settings.endpoint);
                } else {
                    problems.push((
                        entry,
                        "is not an http:// endpoint (tctx speaks the HTTP form, no TLS); using \
                         the default http://localhost:5778/sampling",
                    ));
                }
            }
            "pollingIntervalMs" => match value.parse::<u64>() {
                Ok(ms) if ms > 0 => settings.interval = Some(Duration::from_millis(ms)),
                _ => problems.push((
                    entry,
                    "is not a whole number of milliseconds above 0; using the default 60000",
                )),
            },
            "initialSamplingRate" => match parse_f64(value) {
                Ok(rate) if (0.0..=1.0).contains(&rate) => settings.initial_rate = rate,
                _ => problems.push((entry, "is not a ratio in [0, 1]; using the default 0.001")),
            },
            _ => problems.push((
                entry,
                "is ignored: the Jaeger samplers take endpoint, pollingIntervalMs and \
                 initialSamplingRate",
            )),
        }
    }
    (settings, problems)
}

/// The sampler of `OTEL_TRACES_SAMPLER=jaeger_remote` (`parent_based` false) or
/// `parentbased_jaeger_remote`, for `service`.
pub(crate) fn build(
    settings: &JaegerArg,
    service: &str,
    parent_based: bool,
) -> Option<ConfiguredSampler> {
    let mut builder = JaegerRemote::builder(service).with_endpoint(settings.endpoint.as_str());
    if let Some(interval) = settings.interval {
        builder = builder.with_polling_interval(interval);
    }
    builder = if settings.initial_rate > 0.0 {
        builder.with_initial_sampler(
            ComposableProbability::new(
                settings
                    .initial_rate
                    .max(crate::probability::MIN_PROBABILITY),
            )
            .ok()?,
        )
    } else {
        builder.with_initial_sampler(ComposableAlwaysOff)
    };
    let sampler = builder.build().ok()?;
    Some(if parent_based {
        // As every parentbased_* sampler: the specification's ParentBased around the root's.
        ConfiguredSampler::new(ParentBased::new(sampler))
    } else {
        ConfiguredSampler::new(sampler)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        assert_eq!(
            service_name(Some(" shop "), Some("service.name=other")),
            "shop"
        );
        assert_eq!(
            service_name(Some(""), Some("a=b, service.name = my%20shop ,c=d")),
            "my shop"
        );
        assert_eq!(service_name(None, Some("a=b")), "unknown_service");
        assert_eq!(service_name(None, None), "unknown_service");
        assert_eq!(service_name(None, Some("service.name=%zz%4")), "%zz%4");
    }

    #[test]
    fn args() {
        let (settings, problems) = parse_arg(Some(
            "endpoint=http://agent:5778, pollingIntervalMs=5000,initialSamplingRate=0.25,",
        ));
        assert!(problems.is_empty());
        assert_eq!(
            settings,
            JaegerArg {
                endpoint: "http://agent:5778".to_owned(),
                interval: Some(Duration::from_secs(5)),
                initial_rate: 0.25,
            }
        );
        let (settings, problems) = parse_arg(Some(
            "endpoint=grpc://h:14250,pollingIntervalMs=0,initialSamplingRate=2,foo=1,bare",
        ));
        assert_eq!(settings, parse_arg(None).0);
        let entries: Vec<&str> = problems.iter().map(|(entry, _)| *entry).collect();
        assert_eq!(
            entries,
            [
                "endpoint=grpc://h:14250",
                "pollingIntervalMs=0",
                "initialSamplingRate=2",
                "foo=1",
                "bare"
            ]
        );
    }
}
