//! Trace context through a background job queue: the codec in the job fields, OpenTelemetry
//! in the workers, and the `From`/`TryFrom` conversions between them.
//!
//! A producer enqueues jobs that carry their `traceparent` and `tracestate` as plain string
//! fields, as a message broker or a database row would. Worker threads parse them with the
//! codec, turn them into OpenTelemetry's remote parent with the conversions (no `HashMap`
//! and propagator round trip), record an OpenTelemetry span of their own, and may enqueue
//! more jobs carrying `Traceparent::try_from(&cx)`: one job fans out to several children,
//! which must all hang off the same parent. One job arrives with a corrupted `traceparent`:
//! its worker restarts the trace and drops the `tracestate`, as W3C Trace Context's
//! processing model asks.
//!
//! Run it with `cargo run --example job_queue`. Each line shows the worker, the trace-id, the
//! parent-id the job carried and the job's own span id: the fan-out children share a trace
//! and a parent, and the corrupted job stands alone.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::Duration;

use opentelemetry::trace::{
    SpanContext, TraceContextExt, TraceFlags, TraceState as OtelTraceState, Tracer,
    TracerProvider as _,
};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tctx::{SpanId, TraceId, TraceState, Traceparent};

/// A job as it sits in the queue: data plus the trace context, serialized.
#[derive(Clone, Debug)]
pub struct Job {
    /// What to do.
    pub name: String,
    /// Enqueue this many child jobs when done.
    pub fan_out: usize,
    /// The enqueuer's span, as a `traceparent` header value.
    pub traceparent: String,
    /// Vendor data, as a `tracestate` header value.
    pub tracestate: String,
}

/// What a worker did with a job.
#[derive(Clone, Debug)]
pub struct Record {
    /// The job's name.
    pub job: String,
    /// The worker that ran it.
    pub worker: usize,
    /// The trace the job's span belongs to.
    pub trace_id: TraceId,
    /// The span that enqueued the job; `None` when the trace was restarted.
    pub parent_id: Option<SpanId>,
    /// The job's own span.
    pub span_id: SpanId,
    /// The tracestate the job continued with.
    pub tracestate: String,
}

/// The queue: jobs waiting, and jobs enqueued but not finished (the workers stop when that
/// reaches zero, since a running job may still enqueue more).
#[derive(Default)]
struct Queue {
    state: Mutex<(VecDeque<Job>, usize)>,
    changed: Condvar,
}

impl Queue {
    fn push(&self, job: Job) {
        let mut state = self.state.lock().unwrap();
        state.0.push_back(job);
        state.1 += 1;
        self.changed.notify_one();
    }

    /// The next job, or `None` once every job is done.
    fn pop(&self) -> Option<Job> {
        let mut state = self.state.lock().unwrap();
        loop {
            if let Some(job) = state.0.pop_front() {
                return Some(job);
            }
            if state.1 == 0 {
                return None;
            }
            state = self.changed.wait(state).unwrap();
        }
    }

    fn done(&self) {
        let mut state = self.state.lock().unwrap();
        state.1 -= 1;
        if state.1 == 0 {
            self.changed.notify_all();
        }
    }
}

/// A worker's handling of one job: continue the trace (or restart it) with an OpenTelemetry
/// span, record, fan out.
fn process(queue: &Queue, tracer: &SdkTracer, worker: usize, job: &Job) -> Record {
    // Parse tracestate only if traceparent is valid; otherwise restart the trace.
    let (parent_cx, parent_id, mut state) = match Traceparent::parse(&job.traceparent) {
        Ok(parent) => {
            let state = TraceState::parse(&job.tracestate).unwrap_or_default();
            // The job's traceparent as OpenTelemetry's remote parent. `SpanContext::from(parent)`
            // would do without a tracestate; here the ids and the list are converted one by one.
            // OpenTelemetry's `TraceState` refuses some Level 2 keys (`a@b@c`): then the span
            // goes without it, and the codec's list, which stays authoritative, still travels.
            let remote = SpanContext::new(
                parent.trace_id().into(),
                parent.parent_id().into(),
                TraceFlags::new(parent.flags()),
                true,
                OtelTraceState::try_from(&state).unwrap_or_default(),
            );
            let cx = Context::new().with_remote_span_context(remote);
            (cx, Some(parent.parent_id()), state)
        }
        Err(_) => (Context::new(), None, TraceState::new()),
    };
    state
        .set("jobq", &format!("w{worker}"))
        .expect("a valid member");

    // This job's span, a child of the job's parent (or a new root). Every job made from the
    // same parent starts its span from the same parent context, so siblings are siblings.
    let span = tracer.start_with_context(job.name.clone(), &parent_cx);
    let cx = parent_cx.with_span(span);
    // The header to hand on: what tctx's propagator would inject for this span.
    let span_tp = Traceparent::try_from(&cx).expect("the SDK's spans have valid ids");

    // Fan-out: every child job carries this job's span as its parent, the same value each
    // time, and each child's worker makes its own span under it.
    //
    // Wrong: handing child k the header of child k-1 (`parent.child().child()...`). Each
    // header would then name the previous sibling as parent, and the trace view would show a
    // chain `parent -> child 1 -> child 2 -> child 3` instead of three siblings under the
    // parent, with made-up nesting and durations.
    for k in 1..=job.fan_out {
        queue.push(Job {
            name: format!("{}/child-{k}", job.name),
            fan_out: 0,
            traceparent: span_tp.to_string(),
            tracestate: state.to_string(),
        });
    }
    let span_context = cx.span().span_context().clone();
    cx.span().end();
    Record {
        job: job.name.clone(),
        worker,
        trace_id: TraceId::try_from(span_context.trace_id()).expect("a valid span"),
        parent_id,
        span_id: SpanId::try_from(span_context.span_id()).expect("a valid span"),
        tracestate: state.into_string(),
    }
}

/// Runs the demo: the producer's root span, and what the workers did, in completion order.
///
/// # Panics
///
/// If a worker panicked (a poisoned lock).
#[must_use]
pub fn run(workers: usize, fan_out: usize) -> (Traceparent, Vec<Record>) {
    let queue = Queue::default();
    let records = Mutex::new(Vec::new());
    // The workers' OpenTelemetry: default sampler (parent-based, always on), no exporter.
    let provider = SdkTracerProvider::builder().build();
    let tracer = provider.tracer("job_queue");

    // Producer: its own span is the root of the trace; it enqueues three jobs.
    let root = Traceparent::make();
    let state = TraceState::make([("shop", "checkout")]).expect("a valid member");
    let job = |name: &str, fan_out: usize, traceparent: String| Job {
        name: name.to_owned(),
        fan_out,
        traceparent,
        tracestate: state.to_string(),
    };
    queue.push(job("send-receipt", 0, root.to_string()));
    queue.push(job("resize-images", fan_out, root.to_string()));
    // Corrupted in storage: cut short. Its worker must not trust the tracestate either.
    queue.push(job("corrupted", 0, root.to_string()[..40].to_owned()));

    thread::scope(|scope| {
        for worker in 1..=workers {
            let (queue, records, tracer) = (&queue, &records, &tracer);
            scope.spawn(move || {
                while let Some(job) = queue.pop() {
                    let record = process(queue, tracer, worker, &job);
                    records.lock().unwrap().push(record);
                    thread::sleep(Duration::from_millis(5)); // the work itself
                    queue.done();
                }
            });
        }
    });
    (root, records.into_inner().unwrap())
}

fn main() {
    let (root, records) = run(3, 3);
    println!("producer enqueued 3 jobs from its span");
    println!("  traceparent: {root}\n");
    let header = ["job", "worker", "trace-id", "parent-id", "span-id"];
    println!(
        "{:<24} {:<6} {:<32} {:<16} {}",
        header[0], header[1], header[2], header[3], header[4]
    );
    for r in &records {
        let parent = r
            .parent_id
            .map_or("(new trace)".to_owned(), |id| id.to_string());
        println!(
            "{:<24} w{:<5} {} {:<16} {}",
            r.job, r.worker, r.trace_id, parent, r.span_id
        );
    }
    let corrupted = records.iter().find(|r| r.job == "corrupted");
    if let Some(r) = corrupted {
        println!(
            "\nthe corrupted job restarted the trace; its tracestate starts afresh: {}",
            r.tracestate
        );
    }
}
