//! A command-line tool that runs a child process in its trace, through environment variables
//! (OpenTelemetry's "Environment Variables as Context Propagation Carriers").
//!
//! Run it with `cargo run --example env_carrier`. The parent starts a root span, and runs this
//! same program again, in child mode (the argument `child`), with `TRACEPARENT`, `TRACESTATE`
//! and `BAGGAGE` set by `tctx::env_carrier::inject`. The child extracts them at startup with
//! `tctx::env_carrier::extract`, starts its span under the parent's, and reports it on one
//! line; the parent prints both sides: one trace-id, the child's parent is the parent's span,
//! and the flags (`03`: sampled, random trace-id) and the sampling threshold went along.
//!
//! A CI step or a batch job would do the same with `cargo`, `make` or a script as the child;
//! a child that is not traced simply ignores the variables.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::{Span as _, SpanContext, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::BaggagePropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, Span, SpanData, SpanProcessor};
use tctx::sampler::{ParentThreshold, Probability};

/// The start of the line on which the child reports its span.
pub const REPORT: &str = "env_carrier child span:";

/// What the child reports: the span it recorded and what it found in its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildSpan {
    /// The trace the child's span belongs to (32 hex digits).
    pub trace_id: String,
    /// The child's span (16 hex digits).
    pub span_id: String,
    /// The span the SDK recorded as its parent (16 hex digits).
    pub parent_span_id: String,
    /// Whether the SDK recorded that parent as remote (from another process).
    pub parent_is_remote: bool,
    /// The child span's trace flags (2 hex digits).
    pub flags: String,
    /// The child span's tracestate.
    pub tracestate: String,
    /// The `job.id` baggage entry the child received.
    pub job_id: String,
}

impl ChildSpan {
    fn to_line(&self) -> String {
        format!(
            "{REPORT} trace_id={} span_id={} parent_span_id={} parent_is_remote={} flags={} \
             tracestate={} job.id={}",
            self.trace_id,
            self.span_id,
            self.parent_span_id,
            self.parent_is_remote,
            self.flags,
            self.tracestate,
            self.job_id
        )
    }

    /// Reads the report out of the child's output, if it is there.
    #[must_use]
    pub fn from_output(output: &str) -> Option<Self> {
        // Anywhere in a line: a test harness may print before it on the same line.
        let line = output
            .lines()
            .find_map(|line| Some(line.split_once(REPORT)?.1))?;
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_owned)
        };
        Some(Self {
            trace_id: field("trace_id")?,
            span_id: field("span_id")?,
            parent_span_id: field("parent_span_id")?,
            parent_is_remote: field("parent_is_remote")? == "true",
            flags: field("flags")?,
            tracestate: field("tracestate")?,
            job_id: field("job.id")?,
        })
    }
}

/// Keeps the spans that end, as an exporter would send them.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<SpanData>>>);

impl SpanProcessor for Recorder {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// W3C Trace Context (tctx) and W3C Baggage: `TRACEPARENT`, `TRACESTATE`, `BAGGAGE`.
fn propagator() -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(vec![
        Box::new(tctx::TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
}

/// A provider that samples every trace consistently (`ot=th:0`) and records into `recorder`.
fn provider(recorder: &Recorder) -> Result<SdkTracerProvider, Box<dyn std::error::Error>> {
    Ok(SdkTracerProvider::builder()
        .with_sampler(ParentThreshold::new(Probability::new(1.0)?))
        .with_span_processor(recorder.clone())
        .build())
}

/// Child mode: continue the trace found in the environment, record one span, report it on
/// standard output.
///
/// # Errors
///
/// When the sampler cannot be built (it always can) or the child recorded no span.
pub fn child() -> Result<ChildSpan, Box<dyn std::error::Error>> {
    let propagator = propagator();
    // Once, at startup, as the specification asks.
    let parent = tctx::env_carrier::extract(&propagator);
    let recorder = Recorder::default();
    let provider = provider(&recorder)?;
    let tracer = provider.tracer("env_carrier-child");
    tracer.start_with_context("child step", &parent).end();
    let span = recorder
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .pop()
        .ok_or("the child recorded no span")?;
    let job_id = parent
        .baggage()
        .get("job.id")
        .map_or_else(String::new, ToString::to_string);
    let report = ChildSpan {
        trace_id: span.span_context.trace_id().to_string(),
        span_id: span.span_context.span_id().to_string(),
        parent_span_id: span.parent_span_id.to_string(),
        parent_is_remote: span.parent_span_is_remote,
        flags: format!("{:02x}", span.span_context.trace_flags().to_u8()),
        tracestate: span.span_context.trace_state().header(),
        job_id,
    };
    println!("{}", report.to_line());
    Ok(report)
}

/// What the parent did: its span, the variables it gave the child, the child's report.
#[derive(Debug)]
pub struct Run {
    /// The parent's span, in which the child ran.
    pub parent: SpanContext,
    /// The variables `tctx::env_carrier::inject` set on the child's command.
    pub vars: Vec<(String, String)>,
    /// What the child reported.
    pub child: ChildSpan,
}

/// Parent mode: start a root span with a `job.id` baggage entry, run `command` (this program
/// in child mode) inside it, and read the child's report from its output.
///
/// # Errors
///
/// When the child cannot be started, fails, or reports no span.
pub fn parent(mut command: Command) -> Result<Run, Box<dyn std::error::Error>> {
    let propagator = propagator();
    let recorder = Recorder::default();
    let provider = provider(&recorder)?;
    let tracer = provider.tracer("env_carrier-parent");
    let span = tracer.start("run child");
    let cx = Context::current_with_span(span).with_baggage([KeyValue::new("job.id", "42")]);
    let parent = cx.span().span_context().clone();

    tctx::env_carrier::inject(&propagator, &cx, &mut command);
    let vars = command
        .get_envs()
        .filter_map(|(name, value)| Some((name.to_str()?.to_owned(), value?.to_str()?.to_owned())))
        .filter(|(name, _)| ["TRACEPARENT", "TRACESTATE", "BAGGAGE"].contains(&name.as_str()))
        .collect();
    let output = command.output()?;
    cx.span().end();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "the child failed ({}): {stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let child = ChildSpan::from_output(&stdout)
        .ok_or_else(|| format!("the child reported no span: {stdout}"))?;
    Ok(Run {
        parent,
        vars,
        child,
    })
}

#[allow(dead_code)] // the test includes this file and calls `child` and `parent` itself
fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("child") {
        child()?;
        return Ok(());
    }
    let mut command = Command::new(std::env::current_exe()?);
    command.arg("child");
    let run = parent(command)?;
    println!(
        "parent span: trace_id={} span_id={}",
        run.parent.trace_id(),
        run.parent.span_id()
    );
    for (name, value) in &run.vars {
        println!("  child environment: {name}={value}");
    }
    println!("{}", run.child.to_line());
    let same_trace = run.child.trace_id == run.parent.trace_id().to_string();
    let parented = run.child.parent_span_id == run.parent.span_id().to_string();
    println!(
        "same trace: {same_trace}; the child's parent is the parent's span: {parented}; \
         flags kept: {}",
        run.child.flags
    );
    Ok(())
}
