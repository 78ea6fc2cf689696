//! Head sampling configured from `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, and how
//! each configuration treats new traces and callers' decisions.
//!
//! For each sampler, it starts 10,000 root spans, and 10,000 child spans of remote parents
//! extracted by the tctx propagator from `traceparent` headers with flags `-03` (sampled,
//! random), `-01` (sampled, Level 1 caller) and `-00` (not sampled). It prints the sampler's
//! description, how many spans of each case were sampled, and the `ot` tracestate value the
//! sampled spans carry: `th` is the sampling threshold tctx's consistent samplers write so
//! that services downstream can count and agree (`th:c` is a 25% threshold, for example).
//!
//! Run it with `cargo run --example sampling` to compare three configurations, or with your
//! own, e.g. `OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.5 cargo
//! run --example sampling`.
//!
//! With an OpenTelemetry configuration file, `OTEL_CONFIG_FILE=examples/sampling.yaml cargo
//! run --example sampling` samples by rules: it sends a mix of traffic (health checks,
//! checkouts, Redis `PING`s, callers with each flag, other requests) through the file's
//! sampler and prints, per rule, how many spans it matched and how many were sampled.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Span, Tracer, TracerProvider};
use opentelemetry::trace::{SpanId, SpanKind, TraceContextExt, TraceId};
use opentelemetry::Context;
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{IdGenerator, SdkTracerProvider};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tctx::config::{Config, ConfiguredSampler};
use tctx::sampler::{SamplerDescription, SamplingParams};
use tctx::{TraceContextPropagator, Traceparent};

/// What the "ot written" column means.
const OT_EXPLAINED: &str = "ot written: the `ot` member of the sampled spans' tracestate, which \
goes on to the\nnext service with their traceparent. th:X is the sampling threshold written by \
tctx's\nconsistent samplers (th:e666 keeps 10%, th:c 25%, th:0 all), so every service \
downstream\ncan count what a sampled span stands for (1/probability spans) and agree on the \
decision.\n\"no ot member\": sampled, but no threshold to send (a caller's decision followed \
without\none, or a sampler that is not consistent). \"(no span sampled)\": nothing to show.\n";

/// Spans started per case.
pub const SPANS: usize = 10_000;

/// The configurations shown when `OTEL_TRACES_SAMPLER` is unset: (sampler, argument).
pub const DEMO: [(&str, &str); 3] = [
    ("parentthreshold_probability", "0.25"),
    ("parentbased_ratelimited", "50"),
    ("traceidratio", "0.1"),
];

/// Where a span's parent comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// No parent: a new trace.
    Root,
    /// A remote parent extracted from a `traceparent` with these flags.
    Remote(u8),
}

impl Case {
    /// Every case, in the order they are simulated.
    pub const ALL: [Self; 4] = [
        Self::Root,
        Self::Remote(0x03),
        Self::Remote(0x01),
        Self::Remote(0x00),
    ];

    fn label(self) -> String {
        match self {
            Self::Root => "root (new trace)".to_owned(),
            Self::Remote(flags) => format!("remote parent -{flags:02x}"),
        }
    }
}

/// The outcome of one case.
#[derive(Clone, Debug)]
pub struct CaseReport {
    /// Which parent the spans had.
    pub case: Case,
    /// Spans started.
    pub spans: usize,
    /// Spans sampled.
    pub sampled: usize,
    /// The distinct `ot` tracestate values of the sampled spans (`""` when they had none).
    pub ot: BTreeSet<String>,
}

/// The outcome of one sampler.
#[derive(Clone, Debug)]
pub struct Report {
    /// The sampler's `description()`.
    pub description: String,
    /// One report per [`Case`].
    pub cases: Vec<CaseReport>,
    /// Time from building the sampler to the last span: a rate limiter's budget is at most
    /// its burst plus its rate times this.
    pub elapsed: Duration,
}

/// The samplers to compare: the environment's if `OTEL_TRACES_SAMPLER` is set, else [`DEMO`].
/// Each comes with its label and a function that builds it.
fn configurations() -> Vec<(String, Box<dyn Fn() -> ConfiguredSampler>)> {
    if let Ok(name) = std::env::var("OTEL_TRACES_SAMPLER") {
        let arg = std::env::var("OTEL_TRACES_SAMPLER_ARG").unwrap_or_default();
        let label =
            format!("OTEL_TRACES_SAMPLER={name} OTEL_TRACES_SAMPLER_ARG={arg} (environment)");
        // `from_env` logs bad values to OpenTelemetry's internal log and falls back; the pure
        // `sampler_from_env_vars` returns them, so show them here too.
        let (_, warnings) = tctx::config::sampler_from_env_vars(Some(&name), Some(&arg));
        for warning in warnings {
            println!("warning: {warning}");
        }
        // OTEL_CONFIG_FILE is unset here (`main` has read it), so this cannot fail.
        let from_env = || tctx::sampler::from_env().expect("OTEL_CONFIG_FILE is unset");
        return vec![(label, Box::new(from_env))];
    }
    DEMO.iter()
        .map(|&(name, arg)| {
            let label = format!("OTEL_TRACES_SAMPLER={name} OTEL_TRACES_SAMPLER_ARG={arg}");
            let make = move || {
                let (sampler, warnings) =
                    tctx::config::sampler_from_env_vars(Some(name), Some(arg));
                assert!(warnings.is_empty(), "{warnings:?}");
                sampler
            };
            (label, Box::new(make) as Box<dyn Fn() -> ConfiguredSampler>)
        })
        .collect()
}

/// The ids of the simulated spans, from a seeded generator: a simulation counts the same on
/// every run (and its tests never fail by chance). A service keeps the SDK's
/// `RandomIdGenerator`.
#[derive(Debug)]
pub struct SeededIds(Mutex<StdRng>);

impl SeededIds {
    /// Ids drawn from `StdRng::seed_from_u64(seed)`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(StdRng::seed_from_u64(seed)))
    }

    fn next(&self) -> u128 {
        let mut rng = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            let id = rng.random::<u128>();
            if id != 0 {
                return id;
            }
        }
    }
}

impl IdGenerator for SeededIds {
    fn new_trace_id(&self) -> TraceId {
        TraceId::from(self.next())
    }

    fn new_span_id(&self) -> SpanId {
        // The low half of a never-zero u128 can be zero: draw until it is not.
        loop {
            let id = self.next() as u64;
            if id != 0 {
                return SpanId::from(id);
            }
        }
    }
}

impl SeededIds {
    /// A caller's `traceparent` with these flags: a new trace, from these ids.
    fn traceparent(&self, flags: u8) -> Traceparent {
        let trace_id = tctx::TraceId::from_bytes(self.new_trace_id().to_bytes());
        let parent_id = tctx::SpanId::from_bytes(self.new_span_id().to_bytes());
        // Both are never zero, so both convert.
        let (Some(trace_id), Some(parent_id)) = (trace_id, parent_id) else {
            unreachable!("SeededIds draws no zero id")
        };
        Traceparent::new(trace_id, parent_id, flags)
    }
}

/// The seed of the simulations' ids.
pub const SEED: u64 = 2024;

/// Builds a sampler with `make`, puts it on a tracer provider and starts `spans` spans of
/// each [`Case`].
pub fn simulate(make: impl FnOnce() -> ConfiguredSampler, spans: usize) -> Report {
    let started = Instant::now();
    let sampler = make();
    let description = sampler.description();
    let provider = SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_id_generator(SeededIds::new(SEED))
        .build();
    let tracer = provider.tracer("sampling");
    let propagator = TraceContextPropagator::new();
    let callers = SeededIds::new(SEED + 1);

    let cases = Case::ALL
        .into_iter()
        .map(|case| {
            let mut report = CaseReport {
                case,
                spans,
                sampled: 0,
                ot: BTreeSet::new(),
            };
            for _ in 0..spans {
                let parent = match case {
                    Case::Root => Context::new(),
                    Case::Remote(flags) => {
                        // A caller's request: a new trace each time, with these flags.
                        let caller = callers.traceparent(flags);
                        let headers =
                            HashMap::from([("traceparent".to_owned(), caller.to_string())]);
                        propagator.extract(&headers)
                    }
                };
                let mut span = tracer.start_with_context("request", &parent);
                let span_context = span.span_context();
                if span_context.is_sampled() {
                    report.sampled += 1;
                    let ot = span_context.trace_state().get("ot").unwrap_or("");
                    report.ot.insert(ot.to_owned());
                }
                span.end();
            }
            report
        })
        .collect();
    let elapsed = started.elapsed();
    let _ = provider.shutdown();
    Report {
        description,
        cases,
        elapsed,
    }
}

/// A kind of traffic of the rules demo: a span's name, kind, attributes and caller.
#[derive(Clone, Debug)]
pub struct Traffic {
    /// What the traffic is, for the printout.
    pub label: &'static str,
    /// The span's kind.
    pub kind: SpanKind,
    /// The span's single attribute.
    pub attribute: (&'static str, &'static str),
    /// Where its parent comes from.
    pub case: Case,
}

/// The traffic mix of the rules demo, one kind after the other.
pub const TRAFFIC: [Traffic; 7] = [
    Traffic {
        label: "GET /healthz (new trace)",
        kind: SpanKind::Server,
        attribute: ("http.route", "/healthz"),
        case: Case::Root,
    },
    Traffic {
        label: "POST /checkout (new trace)",
        kind: SpanKind::Server,
        attribute: ("http.route", "/checkout"),
        case: Case::Root,
    },
    Traffic {
        label: "Redis PING (client)",
        kind: SpanKind::Client,
        attribute: ("db.operation", "PING"),
        case: Case::Root,
    },
    Traffic {
        label: "GET /api/users from -03",
        kind: SpanKind::Server,
        attribute: ("http.route", "/api/users"),
        case: Case::Remote(0x03),
    },
    Traffic {
        label: "GET /api/users from -01",
        kind: SpanKind::Server,
        attribute: ("http.route", "/api/users"),
        case: Case::Remote(0x01),
    },
    Traffic {
        label: "GET /api/users from -00",
        kind: SpanKind::Server,
        attribute: ("http.route", "/api/users"),
        case: Case::Remote(0x00),
    },
    Traffic {
        label: "GET /api/users (new trace)",
        kind: SpanKind::Server,
        attribute: ("http.route", "/api/users"),
        case: Case::Root,
    },
];

/// What one rule of a rule set saw.
#[derive(Clone, Debug, Default)]
pub struct RuleReport {
    /// The rule's predicate and sampler, as its description shows them.
    pub rule: String,
    /// Spans whose first matching rule this was.
    pub matched: usize,
    /// Of those, the sampled ones.
    pub sampled: usize,
    /// The distinct `ot` values the sampled ones carry (`""` for none).
    pub ot: BTreeSet<String>,
}

/// Sends `spans` spans of each kind of [`TRAFFIC`] through the sampler of `config`, and
/// counts, for every `rule_based` sampler of the file, which rule each span matched and
/// whether it was sampled. The second element counts the spans no rule matched (dropped),
/// per rule set.
#[must_use]
pub fn simulate_rules(config: &Config, spans: usize) -> Vec<(String, Vec<RuleReport>, usize)> {
    let provider = SdkTracerProvider::builder()
        .with_sampler(config.sampler())
        .with_id_generator(SeededIds::new(SEED))
        .build();
    let tracer = provider.tracer("sampling");
    let propagator = TraceContextPropagator::new();
    let callers = SeededIds::new(SEED + 1);
    let mut reports: Vec<(String, Vec<RuleReport>, usize)> = config
        .rule_based_samplers()
        .map(|(path, rules)| {
            let rules = rules
                .rules()
                .iter()
                .map(|rule| RuleReport {
                    rule: format!("{rule:?}"),
                    ..RuleReport::default()
                })
                .collect();
            (path.to_owned(), rules, 0)
        })
        .collect();
    for traffic in TRAFFIC {
        let attributes = [KeyValue::new(traffic.attribute.0, traffic.attribute.1)];
        for _ in 0..spans {
            let parent = match traffic.case {
                Case::Root => Context::new(),
                Case::Remote(flags) => {
                    let caller = callers.traceparent(flags);
                    propagator.extract(&HashMap::from([(
                        "traceparent".to_owned(),
                        caller.to_string(),
                    )]))
                }
            };
            let mut span = tracer
                .span_builder(traffic.label)
                .with_kind(traffic.kind.clone())
                .with_attributes(attributes.clone())
                .start_with_context(&tracer, &parent);
            let span_context = span.span_context().clone();
            span.end();
            // Which rule decided: asked of each rule set with the span's own parameters.
            let parent_span = parent
                .has_active_span()
                .then(|| parent.span().span_context().clone());
            let params = SamplingParams::new(
                parent_span.as_ref(),
                span_context.trace_id(),
                traffic.label,
                &traffic.kind,
                &attributes,
                &[],
            );
            for ((_, rule_reports, unmatched), (_, rules)) in
                reports.iter_mut().zip(config.rule_based_samplers())
            {
                let Some(i) = rules.first_match(&params) else {
                    *unmatched += 1;
                    continue;
                };
                let report = &mut rule_reports[i];
                report.matched += 1;
                if span_context.is_sampled() {
                    report.sampled += 1;
                    let ot = span_context.trace_state().get("ot").unwrap_or("");
                    report.ot.insert(ot.to_owned());
                }
            }
        }
    }
    let _ = provider.shutdown();
    reports
}

fn print_rules(path: &str, config: &Config) {
    println!(
        "OTEL_CONFIG_FILE={path}
  description: {}",
        config.sampler().description()
    );
    println!("  traffic: {SPANS} spans of each of");
    for traffic in TRAFFIC {
        println!("    {}", traffic.label);
    }
    for (path, rules, unmatched) in simulate_rules(config, SPANS) {
        println!("\n  {path}:");
        println!(
            "  {:<5} {:>8} {:>8}  {:<24} rule",
            "rule", "matched", "sampled", "ot written"
        );
        for (i, rule) in rules.iter().enumerate() {
            let ot: Vec<String> = rule
                .ot
                .iter()
                .map(|ot| {
                    if ot.is_empty() {
                        "no ot member".to_owned()
                    } else {
                        format!("ot={ot}")
                    }
                })
                .collect();
            let ot = if ot.is_empty() {
                "(no span sampled)".to_owned()
            } else {
                ot.join(" ")
            };
            println!(
                "  [{i}]   {:>8} {:>8}  {ot:<24} {}",
                rule.matched, rule.sampled, rule.rule
            );
        }
        println!(
            "  none  {unmatched:>8} {:>8}  (no rule matched: dropped)",
            0
        );
    }
}

fn main() {
    // Read once: a file that does not load stops the program, as it should a service.
    let config = match tctx::config::Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("OTEL_CONFIG_FILE: {error}");
            std::process::exit(1);
        }
    };
    if config.file_format().is_some() {
        let path = std::env::var("OTEL_CONFIG_FILE").unwrap_or_default();
        print_rules(&path, &config);
        println!("\n{OT_EXPLAINED}");
        return;
    }
    for (label, make) in configurations() {
        let report = simulate(make, SPANS);
        println!("{label}\n  description: {}", report.description);
        println!(
            "  {:<22} {:>7} {:>8}  ot written",
            "case", "spans", "sampled"
        );
        for case in &report.cases {
            let ot: Vec<String> = case
                .ot
                .iter()
                .map(|ot| {
                    if ot.is_empty() {
                        "no ot member".to_owned()
                    } else {
                        format!("ot={ot}")
                    }
                })
                .collect();
            println!(
                "  {:<22} {:>7} {:>8}  {}",
                case.case.label(),
                case.spans,
                case.sampled,
                if ot.is_empty() {
                    "(no span sampled)".to_owned()
                } else {
                    ot.join(" ")
                }
            );
        }
        println!(
            "  ({:.0?} from building the sampler to the last span)\n",
            report.elapsed
        );
    }
    println!("{OT_EXPLAINED}");
    if std::env::var_os("OTEL_TRACES_SAMPLER").is_none() {
        println!(
            "parentthreshold_probability and parentbased_ratelimited honour the caller's flag;"
        );
        println!("traceidratio alone ignores it (use parentbased_traceidratio).");
        println!("Try your own: OTEL_TRACES_SAMPLER=... cargo run --example sampling");
    }
}
