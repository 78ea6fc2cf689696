//! Runs `examples/job_queue.rs` and checks the trace each job continued.

#[allow(dead_code)]
#[path = "../examples/job_queue.rs"]
mod job_queue;

use std::collections::HashSet;

use job_queue::Record;

fn find<'a>(records: &'a [Record], job: &str) -> &'a Record {
    records.iter().find(|r| r.job == job).unwrap()
}

#[test]
fn jobs_continue_the_producers_trace() {
    let (root, records) = job_queue::run(3, 4);
    assert_eq!(records.len(), 3 + 4);

    let receipt = find(&records, "send-receipt");
    assert_eq!(receipt.trace_id, root.trace_id());
    assert_eq!(receipt.parent_id, Some(root.parent_id()));
    assert_ne!(receipt.span_id, root.parent_id());
    assert!(receipt.tracestate.ends_with(",shop=checkout"));
}

#[test]
fn fan_out_children_are_siblings_under_the_parent_job() {
    let (root, records) = job_queue::run(3, 4);
    let parent = find(&records, "resize-images");
    assert_eq!(parent.trace_id, root.trace_id());
    assert_eq!(parent.parent_id, Some(root.parent_id()));

    let children: Vec<&Record> = records
        .iter()
        .filter(|r| r.job.starts_with("resize-images/child-"))
        .collect();
    assert_eq!(children.len(), 4);
    for child in &children {
        assert_eq!(child.trace_id, root.trace_id());
        assert_eq!(child.parent_id, Some(parent.span_id), "{child:?}");
        assert!(child.tracestate.contains("shop=checkout"));
    }
    let mut ids: HashSet<_> = children.iter().map(|c| c.span_id).collect();
    assert_eq!(ids.len(), 4, "children have distinct span ids");
    ids.insert(parent.span_id);
    ids.insert(root.parent_id());
    assert_eq!(ids.len(), 6, "and none is the parent's or the producer's");
}

#[test]
fn a_corrupted_traceparent_restarts_the_trace() {
    let (root, records) = job_queue::run(2, 1);
    let corrupted = find(&records, "corrupted");
    assert_ne!(corrupted.trace_id, root.trace_id());
    assert_eq!(corrupted.parent_id, None);
    // The tracestate that came with it is not trusted either.
    assert!(!corrupted.tracestate.contains("shop"));
}

#[test]
fn one_worker_is_enough() {
    let (_, records) = job_queue::run(1, 2);
    assert_eq!(records.len(), 5);
    assert!(records.iter().all(|r| r.worker == 1));
}
