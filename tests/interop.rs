//! Interop: one trace crosses processes on 127.0.0.1 intact, through implementations nobody
//! on this team wrote, in both directions:
//!
//! - node producer → Rust → Python consumer → Rust
//! - Python producer → Rust → node consumer → Rust
//!
//! "node" is the npm package `tctx` (the JavaScript library this crate is modelled on),
//! "Python" is the OpenTelemetry Python SDK with its stock `TraceContextTextMapPropagator`,
//! "Rust" is a hyper service in this test with `tctx::TraceContextPropagator` and an
//! `SdkTracerProvider`. The peers are `tests/interop/node_peer.mjs` and
//! `tests/interop/python_peer.py`; their header comments describe the hop protocol.
//!
//! ```sh
//! cargo test --test interop -- --ignored
//! ```
//!
//! Ignored by a plain `cargo test`, which must pass on a machine without node or Python;
//! `.ci/run` runs it explicitly. Needs `node` (>= 18), `npm` and `python3` (with `venv`). On the first run the test installs
//! the pinned peers into `target/interop` (`$CARGO_TARGET_DIR/interop`): `npm install` and a
//! Python venv, which needs the npm and `PyPI` registries. If that fails the test fails, with
//! the command's output: it never skips. `.ci/run` installs the same pins first.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    Link, SpanContext, SpanKind, TraceContextExt, TraceId, Tracer, TracerProvider,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::trace::{
    Sampler, SamplingResult, SdkTracer, SdkTracerProvider, ShouldSample,
};
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// The npm package, pinned; `.ci/run` installs the same.
const NPM_TCTX: &str = "tctx@0.2.6";
const NPM_TCTX_VERSION: &str = "0.2.6";
/// `opentelemetry-api` and `opentelemetry-sdk`, pinned to the same release; `.ci/run` too.
const PY_OTEL_VERSION: &str = "1.45.2";

const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const CHAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// The Rust service's own call to the next hop (the peers use 10 s too).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

#[test]
#[ignore = "needs node, npm, python3 and the npm and PyPI registries: cargo test --test interop -- --ignored (CI runs it)"]
fn node_tctx_producer_through_rust_to_python_otel_consumer() {
    let peers = peers();
    let rust = RustService::start();
    let python = Peer::serve("python consumer", peers.python());
    for sampled in [true, false] {
        let reports = produce(
            peers.node(),
            &[rust.url(), python.url(), rust.url()],
            sampled,
        );
        check_chain(
            &reports,
            sampled,
            &[
                ("node-producer", "js=producer"),
                ("rust-relay", "rs=relay,js=producer"),
                ("python-consumer", "py=consumer,rs=relay,js=producer"),
                ("rust-terminal", "py=consumer,rs=relay,js=producer"),
            ],
        );
    }
}

#[test]
#[ignore = "needs node, npm, python3 and the npm and PyPI registries: cargo test --test interop -- --ignored (CI runs it)"]
fn python_otel_producer_through_rust_to_node_tctx_consumer() {
    let peers = peers();
    let rust = RustService::start();
    let node = Peer::serve("node consumer", peers.node());
    for sampled in [true, false] {
        let reports = produce(
            peers.python(),
            &[rust.url(), node.url(), rust.url()],
            sampled,
        );
        check_chain(
            &reports,
            sampled,
            &[
                ("python-producer", "py=producer"),
                ("rust-relay", "rs=relay,py=producer"),
                ("node-consumer", "js=consumer,rs=relay,py=producer"),
                ("rust-terminal", "js=consumer,rs=relay,py=producer"),
            ],
        );
    }
}

// ---------------------------------------------------------------------------------------
// The assertions

/// Checks one chain's hop reports, in order: `hops` names each hop and the `tracestate` it
/// sends (for the terminal Rust hop: what tctx re-injects from what it extracted).
fn check_chain(reports: &[Value], sampled: bool, hops: &[(&str, &str)]) {
    let names: Vec<&str> = reports.iter().map(|r| str_at(r, "name")).collect();
    let expected: Vec<&str> = hops.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, expected, "hops, in order: {reports:#?}");
    let all = format!("sampled={sampled}, every hop: {reports:#?}");

    // Sampled and random survive every hop. Rust tctx keeps `-03` (and `-02` unsampled:
    // the SDK zeroes the flags of a dropped span, tctx restores the random bit). The peers
    // keep it too, each for its own documented reason:
    // - npm tctx 0.2.6: make() sets sampled|random (0x03); child() copies the flags as
    //   they are; unsample() clears only the sampled bit (0x02 left).
    // - Python SDK 1.45.2: Tracer.start_span sets TraceFlags.RANDOM_TRACE_ID (0x02) on a
    //   root span because RandomIdGenerator.is_trace_id_random() is true, and on a child
    //   span exactly when the parent's flags have it; its propagator writes all the bits.
    let flags = if sampled { "03" } else { "02" };

    let producer = &reports[0];
    let trace_id = str_at(producer, "trace_id");
    assert_eq!(trace_id.len(), 32, "{all}");
    assert!(producer["received"].is_null(), "{all}");
    assert_eq!(producer["sampled"], sampled, "{all}");
    assert_eq!(producer["random"], true, "{all}");
    assert!(
        producer["parent_span_id"].is_null(),
        "a producer's span is a root: {all}"
    );

    let mut span_ids = vec![str_at(producer, "span_id")];
    for (i, hop) in reports.iter().enumerate() {
        let (name, tracestate) = hops[i];
        let ctx = format!("hop {i} ({name}), {all}");
        assert_eq!(str_at(hop, "trace_id"), trace_id, "same trace-id: {ctx}");
        // Each library's own view of its span or id: sampled as decided at the head, and
        // (where it has the notion) random.
        assert_eq!(hop["sampled"], sampled, "{ctx}");
        if let Some(random) = hop.get("random") {
            assert_eq!(*random, true, "{ctx}");
        }

        if i > 0 {
            // What the caller sent arrived as it was sent: one field of each header.
            let caller = &reports[i - 1];
            let received = &hop["received"];
            assert_eq!(
                received["traceparent"],
                json!([caller["sent"]["traceparent"]]),
                "{ctx}"
            );
            assert_eq!(
                received["tracestate"],
                json!([caller["sent"]["tracestate"]]),
                "{ctx}"
            );
            // Its parent-id is the caller's span id.
            let incoming = parse_traceparent(str_at(&received["traceparent"], 0), &ctx);
            assert_eq!(incoming.trace_id().to_string(), trace_id, "{ctx}");
            assert_eq!(
                incoming.parent_id().to_string(),
                str_at(caller, "span_id"),
                "parent-id is the caller's span id: {ctx}"
            );
        }

        if name == "rust-terminal" {
            check_terminal(hop, sampled, tracestate, &ctx);
            continue;
        }
        // The hop sends its own span id, the trace's id and flags, and its tracestate.
        let sent = &hop["sent"];
        let outgoing = parse_traceparent(str_at(sent, "traceparent"), &ctx);
        assert_eq!(
            str_at(sent, "traceparent"),
            format!("00-{trace_id}-{}-{flags}", str_at(hop, "span_id")),
            "sent: version 00, same trace-id, the hop's span id, flags {flags}: {ctx}"
        );
        assert_eq!(outgoing.is_sampled(), sampled, "{ctx}");
        assert!(outgoing.is_random(), "{ctx}");
        assert_eq!(
            str_at(sent, "tracestate"),
            tracestate,
            "its member first (newest left), the received ones after, in order: {ctx}"
        );
        if i > 0 {
            span_ids.push(str_at(hop, "span_id"));
        }
        check_sdk_parents(hop, name, sampled, &ctx);
    }
    let mut distinct = span_ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        span_ids.len(),
        "a new span id per hop: {all}"
    );
}

/// The last hop: what `tctx::TraceContextPropagator` extracted from the consumer's headers,
/// and what it injects again from that context alone.
fn check_terminal(hop: &Value, sampled: bool, tracestate: &str, ctx: &str) {
    let received = str_at(&hop["received"]["traceparent"], 0);
    assert_eq!(hop["remote"], true, "{ctx}");
    assert_eq!(hop["sampled"], sampled, "{ctx}");
    assert_eq!(
        hop["random"], true,
        "the remote span context keeps 0x02: {ctx}"
    );
    assert_eq!(hop["reinjected"]["traceparent"], received, "{ctx}");
    assert_eq!(hop["reinjected"]["tracestate"], tracestate, "{ctx}");
    assert!(hop["sent"].is_null(), "{ctx}");
}

/// The parent each SDK recorded for its spans (only a recording span keeps one).
fn check_sdk_parents(hop: &Value, name: &str, sampled: bool, ctx: &str) {
    let incoming = hop["received"]["traceparent"][0]
        .as_str()
        .map(|tp| parse_traceparent(tp, ctx).parent_id().to_string());
    match name {
        "rust-relay" if sampled => {
            // Server span: child of the caller; client span (the one sent): child of it.
            assert_eq!(
                hop["server_parent_span_id"].as_str(),
                incoming.as_deref(),
                "{ctx}"
            );
            assert_eq!(hop["parent_span_id"], hop["server_span_id"], "{ctx}");
            assert_ne!(hop["server_span_id"], hop["span_id"], "{ctx}");
        }
        "python-consumer" if sampled => {
            assert_eq!(hop["parent_span_id"].as_str(), incoming.as_deref(), "{ctx}");
        }
        // A dropped span records nothing, so there is no SDK parent to compare; a tctx
        // (node) hop has ids, not spans. The wire checks above cover them.
        _ => assert!(hop["parent_span_id"].is_null(), "{ctx}"),
    }
}

fn parse_traceparent(value: &str, ctx: &str) -> tctx::Traceparent {
    tctx::Traceparent::parse(value).unwrap_or_else(|e| panic!("{value:?}: {e}; {ctx}"))
}

fn str_at<I: serde_json::value::Index + std::fmt::Debug>(value: &Value, index: I) -> &str {
    value[&index]
        .as_str()
        .unwrap_or_else(|| panic!("{index:?} is not a string in {value:#}"))
}

// ---------------------------------------------------------------------------------------
// The Rust service: the same hop protocol as the peers, with tctx as its propagator

/// A sampler that decides as `Sampler::ParentBased(AlwaysOn)` and writes `rs=relay` first
/// into every span's tracestate: the way OpenTelemetry lets a service add its member.
#[derive(Clone, Debug)]
struct StampTraceState(Sampler);

impl ShouldSample for StampTraceState {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let mut result =
            self.0
                .should_sample(parent_context, trace_id, name, span_kind, attributes, links);
        if let Ok(state) = result.trace_state.insert("rs", "relay") {
            result.trace_state = state;
        }
        result
    }
}

/// What every request shares.
struct Hop {
    tracer: SdkTracer,
    propagator: tctx::TraceContextPropagator,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// The Rust service on its own runtime; dropping it stops it.
struct RustService {
    addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl RustService {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("the service's address");
        let provider = SdkTracerProvider::builder()
            .with_sampler(StampTraceState(Sampler::ParentBased(Box::new(
                Sampler::AlwaysOn,
            ))))
            .build();
        let hop = Arc::new(Hop {
            tracer: provider.tracer("interop"),
            propagator: tctx::TraceContextPropagator::new(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        runtime.spawn(serve(listener, hop));
        Self {
            addr,
            _runtime: runtime,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hop", self.addr)
    }
}

async fn serve(listener: TcpListener, hop: Arc<Hop>) {
    while let Ok((stream, _)) = listener.accept().await {
        let hop = Arc::clone(&hop);
        tokio::spawn(async move {
            let handler = service_fn(move |request| {
                let hop = Arc::clone(&hop);
                async move {
                    let (status, body) = match hop.handle(request).await {
                        Ok(reports) => (StatusCode::OK, reports.to_string()),
                        Err(error) => (StatusCode::BAD_GATEWAY, format!("rust: {error}")),
                    };
                    let mut response = Response::new(Full::new(Bytes::from(body)));
                    *response.status_mut() = status;
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}

fn header_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

impl Hop {
    /// One hop: extract; with a route, relay through a server and a client span; without,
    /// report what was extracted (the terminal hop).
    async fn handle(&self, request: Request<Incoming>) -> Result<Value, String> {
        if request.method() != Method::POST || request.uri().path() != "/hop" {
            return Err("only POST /hop".to_owned());
        }
        let received = json!({
            "traceparent": header_values(request.headers(), "traceparent"),
            "tracestate": header_values(request.headers(), "tracestate"),
        });
        let parent = self.propagator.extract(&HeaderExtractor(request.headers()));
        let body = request
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        let body: Value = serde_json::from_slice(&body.to_bytes()).map_err(|e| e.to_string())?;
        let route: Vec<String> =
            serde_json::from_value(body["route"].clone()).map_err(|e| format!("route: {e}"))?;
        match route.split_first() {
            None => Ok(json!([self.terminal(&received, &parent)])),
            Some((next, rest)) => self.relay(received, &parent, next, rest).await,
        }
    }

    fn terminal(&self, received: &Value, parent: &Context) -> Value {
        let span = parent.span();
        let sc = span.span_context();
        let mut reinjected = HashMap::<String, String>::new();
        self.propagator.inject_context(parent, &mut reinjected);
        json!({
            "name": "rust-terminal",
            "received": received,
            "trace_id": sc.trace_id().to_string(),
            "span_id": sc.span_id().to_string(),
            "remote": sc.is_remote(),
            "sampled": sc.is_sampled(),
            "random": sc.trace_flags().to_u8() & tctx::Traceparent::FLAG_RANDOM != 0,
            "reinjected": reinjected,
            "sent": null,
        })
    }

    async fn relay(
        &self,
        received: Value,
        parent: &Context,
        next: &str,
        rest: &[String],
    ) -> Result<Value, String> {
        let server = self
            .tracer
            .span_builder("hop")
            .with_kind(SpanKind::Server)
            .start_with_context(&self.tracer, parent);
        let server_data = server.exported_data();
        let server_cx = parent.with_span(server);
        let client = self
            .tracer
            .span_builder("POST")
            .with_kind(SpanKind::Client)
            .start_with_context(&self.tracer, &server_cx);
        let client_data = client.exported_data();
        let cx = server_cx.with_span(client);

        let mut request = Request::post(next)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(json!({ "route": rest }).to_string())))
            .map_err(|e| e.to_string())?;
        self.propagator
            .inject_context(&cx, &mut HeaderInjector(request.headers_mut()));
        let sent = json!({
            "traceparent": header_values(request.headers(), "traceparent").first(),
            "tracestate": header_values(request.headers(), "tracestate").first(),
        });
        let response = tokio::time::timeout(CALL_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| format!("POST {next}: no answer in {CALL_TIMEOUT:?}"))?
            .map_err(|e| format!("POST {next}: {e}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        if !status.is_success() {
            return Err(format!(
                "POST {next}: {status} {}",
                String::from_utf8_lossy(&body)
            ));
        }
        let downstream: Vec<Value> = serde_json::from_slice(&body).map_err(|e| e.to_string())?;

        let sc = cx.span().span_context().clone();
        let id = |sc: &SpanContext| sc.span_id().to_string();
        let mut reports = vec![json!({
            "name": "rust-relay",
            "received": received,
            "trace_id": sc.trace_id().to_string(),
            "span_id": id(&sc),
            "server_span_id": id(&server_cx.span().span_context().clone()),
            // What the SDK recorded as each span's parent (a dropped span records nothing).
            "parent_span_id": client_data.map(|d| d.parent_span_id.to_string()),
            "server_parent_span_id": server_data.map(|d| d.parent_span_id.to_string()),
            "sampled": sc.is_sampled(),
            "sent": sent,
        })];
        reports.extend(downstream);
        Ok(Value::Array(reports))
    }
}

// ---------------------------------------------------------------------------------------
// The peers: installing, starting, stopping

/// Where the peers are installed: `$CARGO_TARGET_DIR/interop`, else `target/interop`.
fn interop_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| manifest.join("target"), |dir| manifest.join(dir));
    target.join("interop")
}

/// The installed peers, installed once per test binary (the lock keeps the two tests from
/// installing at the same time).
struct Peers {
    dir: PathBuf,
}

fn peers() -> Peers {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = interop_dir();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    install_node_tctx(&dir);
    install_python_otel(&dir);
    Peers { dir }
}

impl Peers {
    fn node(&self) -> Command {
        let mut command = Command::new("node");
        command
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/node_peer.mjs"))
            .env("TCTX_INTEROP_PREFIX", &self.dir);
        command
    }

    fn python(&self) -> Command {
        let mut command = Command::new(self.dir.join("venv/bin/python"));
        command.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/python_peer.py"));
        command
    }
}

fn install_node_tctx(dir: &Path) {
    let manifest = dir.join("node_modules/tctx/package.json");
    let installed = || {
        let text = std::fs::read_to_string(&manifest).ok()?;
        let package: Value = serde_json::from_str(&text).ok()?;
        Some(package["version"] == NPM_TCTX_VERSION)
    };
    if installed() == Some(true) {
        return;
    }
    let mut npm = Command::new("npm");
    npm.arg("install").arg("--prefix").arg(dir).args([
        "--no-audit",
        "--no-fund",
        "--save-exact",
        NPM_TCTX,
    ]);
    run(npm, INSTALL_TIMEOUT);
    assert_eq!(
        installed(),
        Some(true),
        "npm installed something other than {NPM_TCTX} at {}",
        manifest.display()
    );
}

fn install_python_otel(dir: &Path) {
    let venv = dir.join("venv");
    let python = venv.join("bin/python");
    let installed = || {
        let mut check = Command::new(&python);
        check.args([
            "-c",
            "from importlib.metadata import version as v; \
             print(v('opentelemetry-api'), v('opentelemetry-sdk'))",
        ]);
        let output = check.output().ok()?;
        Some(
            String::from_utf8_lossy(&output.stdout).trim()
                == format!("{PY_OTEL_VERSION} {PY_OTEL_VERSION}"),
        )
    };
    if installed() == Some(true) {
        return;
    }
    if !python.exists() {
        let mut make_venv = Command::new("python3");
        make_venv.args(["-m", "venv"]).arg(&venv);
        run(make_venv, INSTALL_TIMEOUT);
    }
    let mut pip = Command::new(venv.join("bin/pip"));
    pip.args(["install", "--disable-pip-version-check"])
        .arg(format!("opentelemetry-api=={PY_OTEL_VERSION}"))
        .arg(format!("opentelemetry-sdk=={PY_OTEL_VERSION}"));
    run(pip, INSTALL_TIMEOUT);
    assert_eq!(
        installed(),
        Some(true),
        "opentelemetry-api/sdk {PY_OTEL_VERSION} not importable from {}",
        python.display()
    );
}

/// Runs a producer: `produce URL NEXT...` (with `--unsampled` unless `sampled`); returns the
/// hop reports it prints.
fn produce(mut command: Command, route: &[String], sampled: bool) -> Vec<Value> {
    command.arg("produce").args(route);
    if !sampled {
        command.arg("--unsampled");
    }
    let stdout = run(command, CHAIN_TIMEOUT);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("producer printed {stdout:?}: {e}"))
}

/// Runs `command` to the end within `timeout`; returns its stdout, or fails the test with
/// everything it printed.
fn run(mut command: Command, timeout: Duration) -> String {
    let shown = format!("{command:?}");
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {shown}: {e} (is it installed?)"));
    let mut process = Process::new(shown.clone(), child);
    let stdout = drain(process.child.stdout.take());
    let status = process.wait(timeout);
    let stdout = stdout.join().unwrap_or_default();
    let stderr = process.stderr();
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

/// A child process that is killed when this is dropped, test failure or not; if the test
/// is failing, what it wrote to stderr is shown.
struct Process {
    name: String,
    child: Child,
    stderr: Option<JoinHandle<String>>,
    stderr_text: Option<String>,
}

impl Process {
    fn new(name: String, mut child: Child) -> Self {
        let stderr = Some(drain(child.stderr.take()));
        Self {
            name,
            child,
            stderr,
            stderr_text: None,
        }
    }

    /// Waits for the exit; `None` (and the process killed) if it takes longer than `timeout`.
    fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                _ => {
                    self.kill();
                    return None;
                }
            }
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What it wrote to stderr; call once it has exited (or been killed).
    fn stderr(&mut self) -> String {
        if let Some(handle) = self.stderr.take() {
            self.stderr_text = Some(handle.join().unwrap_or_default());
        }
        self.stderr_text.clone().unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        // Shown unless a failure message already carries it.
        if thread::panicking() && self.stderr_text.is_none() {
            let stderr = self.stderr();
            eprintln!("--- stderr of {}:\n{stderr}", self.name);
        }
    }
}

/// Reads a pipe to its end on a thread.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// A peer serving the hop protocol on a port the system picked.
struct Peer {
    port: u16,
    _process: Process,
}

impl Peer {
    /// Starts `command serve 0` and waits for its `{"listening": PORT}` line.
    fn serve(name: &str, mut command: Command) -> Self {
        command
            .args(["serve", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name} ({command:?}): {e}"));
        let stdout = child.stdout.take();
        let mut process = Process::new(name.to_owned(), child);
        let ready = first_line(stdout);
        let Ok(line) = ready.recv_timeout(STARTUP_TIMEOUT) else {
            process.kill();
            panic!(
                "{name} did not print its port in {STARTUP_TIMEOUT:?}\n--- stderr:\n{}",
                process.stderr()
            );
        };
        let port = serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v["listening"].as_u64())
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or_else(|| panic!("{name} printed {line:?}, not {{\"listening\": PORT}}"));
        Self {
            port,
            _process: process,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hop", self.port)
    }
}

/// Sends the first line of `stdout` (and reads the rest to the end, so the peer never
/// blocks on a full pipe).
fn first_line(stdout: Option<ChildStdout>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Some(stdout) = stdout else { return };
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = tx.send(line);
        }
        for _ in lines {}
    });
    rx
}
