//! A peer written by others: tctx's `JaegerRemote` and OpenTelemetry JavaScript's
//! `JaegerRemoteSampler` (npm `@opentelemetry/sampler-jaeger-remote`, pinned below) polling
//! one strategy server on loopback (`tests/support/strategy_server.rs`), deciding on the same
//! seeded trace-ids. The peer is `tests/interop/jaeger_peer.mjs`; its header describes what
//! it reports.
//!
//! ```sh
//! cargo test --features jaeger-remote --test jaeger_peer -- --ignored
//! ```
//!
//! Ignored by a plain `cargo test`, which must pass on a machine without node; `.ci/run` runs
//! it explicitly. Needs `node` (>= 18.19) and `npm`. On the first run the test installs the
//! pinned package into `target/interop-jaeger` (`$CARGO_TARGET_DIR/interop-jaeger`) with `npm
//! install`; if that fails the test fails with npm's output: it never skips.
//!
//! Where both agree, it is asserted as agreement: the same per-operation strategy for each
//! operation (listed rate, else the default), rates within 4σ on the same ids (seeded
//! splitmix64, so nothing here can fail by chance). Where they differ, each difference is
//! asserted as what it is, with the reason tctx's behaviour is the right one, read from the
//! package's source (`build/src/JaegerRemoteSampler.js`, `PerOperationSampler.js`):
//!
//! 1. **First fetch.** tctx fetches when built; the peer's first request waits one whole
//!    polling interval (`setInterval`, no initial call): a fleet runs the initial sampler's
//!    rate for a full interval (60 s by default in tctx, 5 min in some SDKs) after every
//!    start, whatever the center says.
//! 2. **Lower bounds.** The peer never reads `defaultLowerBoundTracesPerSecond`: an operation
//!    at rate 0 (or 0.001) gets no traces at all. tctx samples at least the lower bound per
//!    second per operation, as Jaeger's own clients and its adaptive sampling expect (a rare
//!    endpoint still shows up).
//! 3. **Rate limiting.** The peer knows no rate-limiting strategy (its enum even spells it
//!    `RATELIMITING`; Jaeger sends `RATE_LIMITING`): it warns and keeps its initial sampler,
//!    here "everything". tctx limits to N traces a second, as the center asked.
//! 4. **The numeric enum.** `"strategyType": 0` (protobuf's JSON of `PROBABILISTIC`) is
//!    "not supported" by the peer, which keeps its initial sampler; tctx reads both forms.
//! 5. **Consistency.** The peer's `TraceIdRatioBasedSampler` XORs the trace-id's four 32-bit
//!    words and writes nothing to tracestate, so a backend cannot count the dropped spans and
//!    another service's decision is unrelated; tctx's threshold decision on the trace-id's
//!    randomness writes `ot=th:…` (OpenTelemetry's consistent probability sampling).
//! 6. **Attributes.** The peer sets none; tctx sets `sampler.type` / `sampler.param` as
//!    Jaeger's clients do (Jaeger's adaptive sampling reads them).
//! 7. **No request timeout.** The peer's `fetch` has no timeout and it skips every tick while
//!    a fetch is in flight: one server that accepts and never answers freezes its strategy for
//!    good (until undici's own 300 s header timeout, if ever). tctx's requests time out (the
//!    interval, at most 10 s) and polling goes on.
//! 8. **Stopping.** The peer has no way to stop (no `shutdown`), its timer is not `unref`ed
//!    and keeps polling after the sampler and the provider are dropped and collected, keeping
//!    node alive. tctx's thread ends when the last clone is dropped: no request after that.
//! 9. **The endpoint.** The peer appends `/sampling` to whatever endpoint it is given, so the
//!    full URL Jaeger documents (`http://localhost:5778/sampling`) becomes
//!    `/sampling/sampling`; tctx takes the URL as given and adds `/sampling` only to an
//!    endpoint without a path, so both forms work.

// Counts here are at most 10,000: exact as f64, and the 4σ bounds are clamped at 0. The
// first test walks the eight points in order, and reads best whole.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::too_many_lines
)]

#[path = "support/strategy_server.rs"]
mod strategy_server;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry::trace::{SpanKind, TraceId};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{SamplingDecision, ShouldSample};
use serde_json::{json, Value};
use strategy_server::{Mode, StrategyServer};
use tctx::sampler::{ComposableProbability, CompositeSampler, JaegerRemote};

/// The npm package, pinned; `.ci/run` installs the same.
const NPM_PACKAGE: &str = "@opentelemetry/sampler-jaeger-remote@0.222.0";
const NPM_VERSION: &str = "0.222.0";
const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);
const PEER_TIMEOUT: Duration = Duration::from_secs(60);
const SEED: u64 = 0x5eed_1a6e_0000_0017;
const SPANS: usize = 10_000;
/// The service names tctx and the peer poll for: the server serves both the same strategy
/// and tells their requests apart by the query.
const TCTX_SERVICE: &str = "tctx-shop";
const PEER_SERVICE: &str = "js-shop";

const PER_OPERATION: &str = r#"{
  "strategyType": "PROBABILISTIC",
  "probabilisticSampling": {"samplingRate": 1},
  "operationSampling": {
    "defaultSamplingProbability": 0.25,
    "defaultLowerBoundTracesPerSecond": 2,
    "defaultUpperBoundTracesPerSecond": 0,
    "perOperationStrategies": [
      {"operation": "checkout", "probabilisticSampling": {"samplingRate": 0.5}},
      {"operation": "search", "probabilisticSampling": {"samplingRate": 0.1}},
      {"operation": "health", "probabilisticSampling": {"samplingRate": 0}}
    ]
  }
}"#;

// ---------------------------------------------------------------------------------------
// The comparisons

#[test]
#[ignore = "needs node and npm and the npm registry: cargo test --features jaeger-remote --test jaeger_peer -- --ignored (CI runs it)"]
fn per_operation_strategies_first_fetch_lower_bound_th_and_stopping() {
    let server = StrategyServer::start();
    server.set_body(PER_OPERATION);
    let interval = Duration::from_secs(1);
    let operations = ["checkout", "search", "health", "browse"];
    let (tctx, peer) = both(
        &server,
        &Run {
            interval,
            initial_rate: 1.0,
            wait: Duration::from_secs(5),
            operations: &operations,
            linger: interval * 5 / 2,
        },
    );
    let all = format!("tctx: {tctx:#?}\npeer: {peer:#}");

    // 1. First fetch: tctx's at once, the peer's one interval late.
    let tctx_first = tctx.first_request.expect("tctx fetched");
    let peer_first = peer["fetches"][0]["start_ms"]
        .as_f64()
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .expect("the peer fetched");
    let peer_update = peer["first_update_ms"]
        .as_f64()
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .expect("the peer applied the strategy");
    eprintln!(
        "time to first fetch: tctx {tctx_first:?} (strategy in use after {:?}), \
         peer {peer_first:?} (strategy in use after {peer_update:?}), polling interval {interval:?}",
        tctx.first_update
    );
    assert!(tctx_first < interval / 2, "{all}");
    assert!(peer_first >= interval * 9 / 10, "difference 1: {all}");

    // 9. The endpoint: the peer was given `http://ADDR` and asked for `/sampling`; given
    // `http://ADDR/sampling`, it would ask for `/sampling/sampling`.
    assert_eq!(
        peer["fetches"][0]["url"],
        format!("http://{}/sampling?service={PEER_SERVICE}", server.addr()),
        "difference 9: {all}"
    );

    // Which strategy each operation gets: the listed rate, else the default; both agree.
    let expected = [
        ("checkout", 0.5),
        ("search", 0.1),
        ("health", 0.0),
        ("browse", 0.25),
    ];
    for (operation, rate) in expected {
        let ours = &tctx.operations[operation];
        let theirs = &peer["operations"][operation];
        let peer_sampled = theirs["sampled"].as_u64().unwrap() as usize;
        let probabilistic = ours.by_type.get("probabilistic").copied().unwrap_or(0);
        let lower_bound = ours.by_type.get("lowerbound").copied().unwrap_or(0);
        let (low, high) = within_4_sigma(SPANS, rate);
        eprintln!(
            "{operation} at {rate}: tctx {probabilistic} by probability ({}) + {lower_bound} by \
             the lower bound, peer {peer_sampled} ({}), of {SPANS} (4σ range {low}..={high})",
            sigmas(probabilistic, rate),
            sigmas(peer_sampled, rate)
        );
        assert!(
            (low..=high).contains(&probabilistic),
            "tctx {operation}: {all}"
        );
        assert!(
            (low..=high).contains(&peer_sampled),
            "peer {operation}: {all}"
        );
        assert_eq!(ours.sampled, probabilistic + lower_bound, "{all}");

        // 2. The lower bound (2 a second): tctx adds a few traces, never more than the
        // bucket and the elapsed time allow; at rate 0 the peer has none at all.
        assert!(lower_bound <= 2 + 2 * 10, "{operation}: {all}");
        if rate == 0.0 {
            assert!(lower_bound >= 1, "tctx: the lower bound's traces: {all}");
            assert_eq!(peer_sampled, 0, "difference 2: {all}");
        }

        // 5, 6. tctx: `th` of the rate on the probability's spans, none on the lower bound's;
        // `sampler.type` and `sampler.param`. The peer: neither.
        let th = if probabilistic > 0 {
            th_of(rate)
        } else {
            String::new()
        };
        let mut tracestates: Vec<&str> = Vec::new();
        if probabilistic > 0 {
            tracestates.push(&th);
        }
        if lower_bound > 0 {
            tracestates.push("");
        }
        let mut seen: Vec<&str> = ours.tracestates.iter().map(String::as_str).collect();
        seen.sort_unstable();
        tracestates.sort_unstable();
        assert_eq!(seen, tracestates, "tctx {operation}: {all}");
        assert_eq!(
            ours.attributes,
            ["sampler.param", "sampler.type"],
            "tctx {operation}: {all}"
        );
        assert_eq!(theirs["attributes"], json!([]), "difference 6: {all}");
        if peer_sampled > 0 {
            assert_eq!(theirs["tracestates"], json!([""]), "difference 5: {all}");
        }
    }

    // 8. Stopping: the peer has no stop method and polls on after being dropped; tctx's
    // thread makes no request once the sampler is dropped.
    assert_eq!(peer["stop_methods"], json!([]), "difference 8: {all}");
    assert_eq!(peer["gc_ran"], true, "{all}");
    assert!(
        peer["fetches_after_drop"].as_u64().unwrap() >= 2,
        "difference 8: {all}"
    );
    assert!(
        peer["active_resources_after_drop"]
            .as_array()
            .unwrap()
            .contains(&json!("Timeout")),
        "difference 8: {all}"
    );
    assert_eq!(tctx.requests_after_drop, 0, "{all}");
}

#[test]
#[ignore = "needs node and npm and the npm registry: cargo test --features jaeger-remote --test jaeger_peer -- --ignored (CI runs it)"]
fn rate_limiting_strategy() {
    let server = StrategyServer::start();
    server.set_body(
        r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":5}}"#,
    );
    let (tctx, peer) = both(&server, &Run::short(&["checkout"]));
    let all = format!("tctx: {tctx:#?}\npeer: {peer:#}");
    assert_fetched_ok(&peer, &all);

    // 3. tctx: at most 5 a second (the bucket, and the time the 10,000 decisions took);
    // `sampler.type=ratelimiting`, no `th`. The peer: its initial sampler still decides.
    let ours = &tctx.operations["checkout"];
    eprintln!(
        "rate limiting 5/s: tctx sampled {} of {SPANS}, peer {}",
        ours.sampled, peer["operations"]["checkout"]["sampled"]
    );
    assert!((1..=5 + 5 * 10).contains(&ours.sampled), "{all}");
    assert_eq!(
        ours.by_type.get("ratelimiting"),
        Some(&ours.sampled),
        "{all}"
    );
    assert_eq!(ours.tracestates, [""], "{all}");
    assert!(peer["first_update_ms"].is_null(), "difference 3: {all}");
    assert_eq!(
        peer["operations"]["checkout"]["sampled"],
        json!(SPANS),
        "difference 3: {all}"
    );
}

#[test]
#[ignore = "needs node and npm and the npm registry: cargo test --features jaeger-remote --test jaeger_peer -- --ignored (CI runs it)"]
fn numeric_strategy_type() {
    let server = StrategyServer::start();
    server.set_body(r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.1}}"#);
    let (tctx, peer) = both(&server, &Run::short(&["checkout"]));
    let all = format!("tctx: {tctx:#?}\npeer: {peer:#}");
    assert_fetched_ok(&peer, &all);

    // 4. tctx reads `0` as PROBABILISTIC; the peer keeps its initial sampler.
    let ours = &tctx.operations["checkout"];
    let (low, high) = within_4_sigma(SPANS, 0.1);
    eprintln!(
        "strategyType 0 at 0.1: tctx sampled {} of {SPANS} (4σ range {low}..={high}), peer {}",
        ours.sampled, peer["operations"]["checkout"]["sampled"]
    );
    assert!((low..=high).contains(&ours.sampled), "{all}");
    assert_eq!(ours.tracestates, [th_of(0.1)], "{all}");
    assert!(peer["first_update_ms"].is_null(), "difference 4: {all}");
    assert_eq!(
        peer["operations"]["checkout"]["sampled"],
        json!(SPANS),
        "difference 4: {all}"
    );
}

#[test]
#[ignore = "needs node and npm and the npm registry: cargo test --features jaeger-remote --test jaeger_peer -- --ignored (CI runs it)"]
fn a_server_that_never_answers() {
    let server = StrategyServer::start();
    server.set_mode(Mode::Hang);
    let interval = Duration::from_millis(300);
    let run = Run {
        interval,
        initial_rate: 1.0,
        wait: Duration::from_millis(2500),
        operations: &[],
        linger: Duration::ZERO,
    };
    let (tctx, peer) = both(&server, &run);
    let all = format!("tctx: {tctx:#?}\npeer: {peer:#}");

    // 7. tctx: each request times out (here after 200 ms), the next starts on time: about
    // one per interval over 2.5 s. The peer: one request, never answered, and no other.
    let fetches = peer["fetches"].as_array().unwrap();
    eprintln!(
        "a server that never answers, over {:?} at {interval:?}: tctx made {} requests, the peer {}",
        run.wait,
        tctx.requests,
        fetches.len()
    );
    assert!(tctx.requests >= 5, "{all}");
    assert_eq!(fetches.len(), 1, "difference 7: {all}");
    assert!(fetches[0]["end_ms"].is_null(), "difference 7: {all}");
}

/// The peer fetched the strategy (200) before it decided.
fn assert_fetched_ok(peer: &Value, all: &str) {
    assert_eq!(peer["fetches"][0]["status"], 200, "{all}");
    let answered = peer["fetches"][0]["end_ms"].as_f64().unwrap();
    assert!(answered < peer["dropped_at_ms"].as_f64().unwrap(), "{all}");
}

/// The tracestate tctx's `CompositeSampler(ComposableProbability(rate))` writes on a root it
/// samples: `ot=th:…` for `rate`.
fn th_of(rate: f64) -> String {
    let sampler = CompositeSampler::new(ComposableProbability::new(rate).unwrap());
    let result = sampler.should_sample(
        Some(&Context::new()),
        TraceId::from(u128::MAX),
        "probe",
        &SpanKind::Internal,
        &[],
        &[],
    );
    assert_eq!(result.decision, SamplingDecision::RecordAndSample);
    let header = result.trace_state.header();
    assert!(header.starts_with("ot=th:"), "{header}");
    header
}

/// How far `count` of [`SPANS`] is from the mean at `p`, in σ.
fn sigmas(count: usize, p: f64) -> String {
    let mean = SPANS as f64 * p;
    let sigma = (mean * (1.0 - p)).sqrt();
    if sigma == 0.0 {
        return format!("{:+}", count as f64 - mean);
    }
    format!("{:+.2}σ", (count as f64 - mean) / sigma)
}

/// `n·p ± 4σ` (σ = √(n·p·(1−p))), as whole counts.
fn within_4_sigma(n: usize, p: f64) -> (usize, usize) {
    let mean = n as f64 * p;
    let sigma = (mean * (1.0 - p)).sqrt();
    (
        (mean - 4.0 * sigma).floor().max(0.0) as usize,
        (mean + 4.0 * sigma).ceil() as usize,
    )
}

// ---------------------------------------------------------------------------------------
// Running both against one server

struct Run<'a> {
    interval: Duration,
    /// The initial sampler's probability, on both sides.
    initial_rate: f64,
    /// How long to wait for the first strategy before deciding anyway.
    wait: Duration,
    operations: &'a [&'a str],
    /// How long to watch for requests after the samplers are dropped.
    linger: Duration,
}

impl<'a> Run<'a> {
    /// A 500 ms interval; decisions once the strategy is in use or 1.5 s have passed (the
    /// peer's first fetch is over by then).
    fn short(operations: &'a [&'a str]) -> Self {
        Self {
            interval: Duration::from_millis(500),
            initial_rate: 1.0,
            wait: Duration::from_millis(1500),
            operations,
            linger: Duration::ZERO,
        }
    }
}

/// What tctx did, as the peer reports it.
#[derive(Debug, Default)]
struct TctxReport {
    /// From build to the server's receipt of the first request.
    first_request: Option<Duration>,
    /// From build to the first strategy in use.
    first_update: Option<Duration>,
    operations: BTreeMap<String, Counts>,
    /// Requests before the sampler was dropped.
    requests: usize,
    requests_after_drop: usize,
}

#[derive(Debug, Default)]
struct Counts {
    sampled: usize,
    /// Sampled spans by their `sampler.type`.
    by_type: BTreeMap<String, usize>,
    attributes: Vec<String>,
    tracestates: Vec<String>,
}

/// Runs the peer (in a thread) and tctx at the same time against `server`.
fn both(server: &StrategyServer, run: &Run) -> (TctxReport, Value) {
    let prefix = install_peer();
    let plan = json!({
        "endpoint": format!("http://{}", server.addr()),
        "service": PEER_SERVICE,
        "interval_ms": run.interval.as_millis() as u64,
        "initial_rate": run.initial_rate,
        "wait_ms": run.wait.as_millis() as u64,
        "operations": run.operations,
        "spans": SPANS,
        "seed": SEED,
        "linger_ms": run.linger.as_millis() as u64,
    });
    let mut node = Command::new("node");
    node.arg("--expose-gc")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/jaeger_peer.mjs"))
        .arg(plan.to_string())
        .env("TCTX_JAEGER_PEER_PREFIX", prefix);
    thread::scope(|scope| {
        let peer = scope.spawn(move || {
            let stdout = run_to_end(node, PEER_TIMEOUT);
            serde_json::from_str::<Value>(&stdout)
                .unwrap_or_else(|e| panic!("the peer printed {stdout:?}: {e}"))
        });
        let tctx = tctx_side(server, run);
        let peer = peer.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        assert_eq!(peer["version"], NPM_VERSION);
        (tctx, peer)
    })
}

/// tctx's side of a run: the steps of the peer's script, in the same order, on the same ids.
fn tctx_side(server: &StrategyServer, run: &Run) -> TctxReport {
    let mut report = TctxReport::default();
    let built = Instant::now();
    let sampler = JaegerRemote::builder(TCTX_SERVICE)
        .with_endpoint(server.endpoint())
        .with_polling_interval(run.interval)
        .with_request_timeout(run.interval.mul_f64(2.0 / 3.0))
        .with_initial_sampler(ComposableProbability::new(run.initial_rate).unwrap())
        .build()
        .unwrap();
    while built.elapsed() < run.wait {
        if sampler.strategy().is_some() {
            report.first_update = Some(built.elapsed());
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    let mut ids = SplitMix64(SEED);
    let root = Context::new();
    for operation in run.operations {
        let mut counts = Counts::default();
        for _ in 0..SPANS {
            let trace_id = TraceId::from((u128::from(ids.next()) << 64) | u128::from(ids.next()));
            let result = sampler.should_sample(
                Some(&root),
                trace_id,
                operation,
                &SpanKind::Internal,
                &[],
                &[],
            );
            if result.decision != SamplingDecision::RecordAndSample {
                continue;
            }
            counts.sampled += 1;
            for attribute in &result.attributes {
                let key = attribute.key.as_str().to_owned();
                if key == "sampler.type" {
                    *counts
                        .by_type
                        .entry(attribute.value.as_str().into_owned())
                        .or_default() += 1;
                }
                if !counts.attributes.contains(&key) {
                    counts.attributes.push(key);
                }
            }
            let tracestate = result.trace_state.header();
            if !counts.tracestates.contains(&tracestate) {
                counts.tracestates.push(tracestate);
            }
        }
        counts.attributes.sort();
        report.operations.insert((*operation).to_owned(), counts);
    }
    // Wait out the rest of the run's time, so both sides poll for as long.
    if let Some(left) = run.wait.checked_sub(built.elapsed()) {
        if report.first_update.is_none() {
            thread::sleep(left);
        }
    }
    let ours = |request: &&strategy_server::Request| {
        request.target == format!("/sampling?service={TCTX_SERVICE}")
    };
    let requests = server.requests();
    report.first_request = requests
        .iter()
        .find(ours)
        .map(|r| r.at.duration_since(built));
    report.requests = requests.iter().filter(ours).count();
    drop(sampler);
    let dropped = Instant::now();
    thread::sleep(run.linger);
    report.requests_after_drop = server
        .requests()
        .iter()
        .filter(ours)
        .filter(|r| r.at > dropped)
        .count();
    report
}

/// splitmix64, as in the peer's script: a trace-id is two outputs, high word first.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

// ---------------------------------------------------------------------------------------
// Installing and running the peer

/// `$CARGO_TARGET_DIR/interop-jaeger` (else `target/interop-jaeger`), with the pinned package
/// installed; installed once per test binary.
fn install_peer() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| manifest.join("target"), |dir| manifest.join(dir))
        .join("interop-jaeger");
    let package = dir.join("node_modules/@opentelemetry/sampler-jaeger-remote/package.json");
    let installed = || {
        let text = std::fs::read_to_string(&package).ok()?;
        let package: Value = serde_json::from_str(&text).ok()?;
        Some(package["version"] == NPM_VERSION)
    };
    if installed() != Some(true) {
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let mut npm = Command::new("npm");
        npm.arg("install").arg("--prefix").arg(&dir).args([
            "--no-audit",
            "--no-fund",
            "--save-exact",
            NPM_PACKAGE,
        ]);
        run_to_end(npm, INSTALL_TIMEOUT);
        assert_eq!(
            installed(),
            Some(true),
            "npm installed something other than {NPM_PACKAGE} at {}",
            package.display()
        );
    }
    dir
}

/// Runs `command` to its end within `timeout` and returns its stdout, or fails the test with
/// all it printed.
fn run_to_end(mut command: Command, timeout: Duration) -> String {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {shown}: {e} (is it installed?)"));
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    match status {
        Some(status) if status.success() => stdout,
        Some(status) => {
            panic!("{shown} failed ({status})\n--- stderr:\n{stderr}\n--- stdout:\n{stdout}")
        }
        None => panic!(
            "{shown} did not finish in {timeout:?}\n--- stderr:\n{stderr}\n--- stdout:\n{stdout}"
        ),
    }
}
