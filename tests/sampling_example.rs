//! Runs the configurations of `examples/sampling.rs` and checks the counts it prints.

#[allow(dead_code)]
#[path = "../examples/sampling.rs"]
mod sampling;

use sampling::{Case, CaseReport, Report, DEMO, SPANS};

/// The report of `DEMO`'s configuration `name`, built with `from_env_vars` (not from the
/// process environment, so the test does not depend on it).
fn run(name: &str) -> Report {
    let (name, arg) = DEMO.into_iter().find(|(n, _)| *n == name).unwrap();
    sampling::simulate(
        || {
            let (sampler, warnings) = tctx::config::sampler_from_env_vars(Some(name), Some(arg));
            assert!(warnings.is_empty(), "{warnings:?}");
            sampler
        },
        SPANS,
    )
}

fn case(report: &Report, case: Case) -> &CaseReport {
    report.cases.iter().find(|c| c.case == case).unwrap()
}

/// Asserts that `sampled` of `spans` is within 4 standard deviations of a binomial(p).
#[allow(clippy::cast_precision_loss)]
fn assert_binomial(sampled: usize, spans: usize, p: f64) {
    let n = spans as f64;
    let sigma = (n * p * (1.0 - p)).sqrt();
    let delta = (sampled as f64 - n * p).abs();
    assert!(
        delta <= 4.0 * sigma,
        "{sampled} of {spans} at p = {p}: {delta} > 4 sigma ({sigma})"
    );
}

/// Under a parent-based sampler, callers decide: their unsampled traces are never sampled,
/// their sampled ones always are.
fn assert_honours_callers(report: &Report) {
    for flags in [0x03, 0x01] {
        let sampled = case(report, Case::Remote(flags));
        assert_eq!(sampled.sampled, sampled.spans, "-{flags:02x}: {report:?}");
    }
    assert_eq!(case(report, Case::Remote(0x00)).sampled, 0, "{report:?}");
}

#[test]
fn parentthreshold_probability_samples_a_quarter_of_new_traces() {
    let report = run("parentthreshold_probability");
    assert_eq!(
        report.description,
        "ParentThreshold{root:ProbabilitySampler{0.25}}"
    );
    let root = case(&report, Case::Root);
    assert_binomial(root.sampled, root.spans, 0.25);
    // Sampled roots carry the 25% threshold; continued traces have none to keep.
    assert_eq!(root.ot.iter().collect::<Vec<_>>(), ["th:c"]);
    assert!(case(&report, Case::Remote(0x03))
        .ot
        .iter()
        .all(String::is_empty));
    assert_honours_callers(&report);
}

#[test]
fn parentbased_ratelimited_caps_new_traces_but_not_callers() {
    // The limiter's clock cannot be injected through `from_env_vars`, so the bound is loose:
    // the burst (one second's worth) plus the rate over the whole run, plus one for rounding.
    let report = run("parentbased_ratelimited");
    assert!(report
        .description
        .starts_with("ParentBased{root:RateLimited{rate:50,burst:50,"));
    let root = case(&report, Case::Root);
    let bound = 50.0 + 50.0 * report.elapsed.as_secs_f64() + 1.0;
    #[allow(clippy::cast_precision_loss)]
    let sampled = root.sampled as f64;
    assert!(
        sampled <= bound,
        "{} roots sampled, bound {bound}",
        root.sampled
    );
    // The whole burst is available at the start.
    assert!(root.sampled >= 50, "{report:?}");
    // Callers' sampled traces go to `remoteParentSampled`, which is not rate limited here.
    assert_honours_callers(&report);
}

#[test]
fn traceidratio_ignores_callers() {
    let report = run("traceidratio");
    assert_eq!(report.description, "TraceIdRatioBased{0.1}");
    for case in &report.cases {
        assert_binomial(case.sampled, case.spans, 0.1);
        assert!(case.ot.iter().all(String::is_empty), "{case:?}");
    }
}

#[test]
fn the_rules_file_decides_per_rule() {
    // `OTEL_CONFIG_FILE=examples/sampling.yaml cargo run --example sampling`, with fewer spans.
    let config = tctx::config::Config::from_file("examples/sampling.yaml").unwrap();
    let spans = 2_000;
    let reports = sampling::simulate_rules(&config, spans);
    assert_eq!(reports.len(), 1, "one rule_based sampler in the file");
    let (path, rules, unmatched) = &reports[0];
    assert_eq!(
        path,
        "tracer_provider.sampler.composite/development.rule_based"
    );
    assert_eq!(*unmatched, 0, "the last rule matches everything");
    let counts: Vec<(usize, usize)> = rules.iter().map(|r| (r.matched, r.sampled)).collect();
    // Health checks never, checkouts always, Redis PING never, callers as they decided
    // (-03 and -01 sampled, -00 not), about 10% of new traces.
    assert_eq!(
        counts[..4],
        [
            (spans, 0),
            (spans, spans),
            (spans, 0),
            (3 * spans, 2 * spans)
        ]
    );
    assert_eq!(rules[4].matched, spans);
    assert_binomial(rules[4].sampled, spans, 0.1);
    assert_eq!(rules[1].ot.iter().collect::<Vec<_>>(), ["th:0"]);
    assert_eq!(rules[4].ot.iter().collect::<Vec<_>>(), ["th:e666"]);
}
