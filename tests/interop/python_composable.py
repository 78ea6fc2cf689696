"""The Python side of tests/python_composable.rs: decides a batch of spans with
opentelemetry-sdk's composable samplers (opentelemetry.sdk.trace._sampling_experimental).

Reads one JSON document on stdin, {"cases": [CASE, ...]}, and prints one JSON document,
{"results": [RESULT, ...]}, a result per case, in order. No network, no files.

CASE:
  sampler     SAMPLER (below)
  parent      null for a root span, else {"span_id": 16 hex, "remote": bool, "sampled": bool,
              "random": bool, "trace_state": a tracestate header ("" for none)}
  trace_id    32 hex digits (the parent's too)
  name        the span name
  kind        "internal" | "server" | "client" | "producer" | "consumer"
  attributes  {key: value}: a string, integer, float, bool, or a list of one of those
  via         "sampler": should_sample() called directly, with the parent's tracestate as
              its trace_state argument (how the package's own tests call it);
              "tracer": a span started by an SDK Tracer whose sampler it is (how an
              application meets it: Tracer.start_span passes no trace_state)

SAMPLER, one key:
  {"always_on": {}}, {"always_off": {}}
  {"traceid_ratio": RATIO}
  {"parent_threshold": SAMPLER}
  {"rule_based": [{"predicates": [PREDICATE, ...], "sampler": SAMPLER}, ...]}
      no predicate: AlwaysMatchPredicate; one: itself; more: AllPredicate of them
PREDICATE, one key:
  {"attribute_values": {"key": K, "values": [V, ...]}}
  {"attribute_patterns": {"key": K, "included": [P, ...], "excluded": [P, ...]}}
  {"span_kinds": [KIND, ...]}
  {"parents": ["none" | "remote" | "local", ...]}

RESULT: {"sampled": bool, "trace_state": header ("" for none), "ot": the ot value or null,
"parent_trace_state": the parent's tracestate as Python read it, written back ("" for none)},
or {"error": "..."} if the case could not be run.
"""

import json
import sys
import traceback

from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace._sampling_experimental import (
    composable_always_off,
    composable_always_on,
    composable_parent_threshold,
    composable_rule_based,
    composable_traceid_ratio_based,
    composite_sampler,
)
from opentelemetry.sdk.trace._sampling_experimental._rule_based import (
    AllPredicate,
    AlwaysMatchPredicate,
    AttributePatternsPredicate,
    AttributeValuesPredicate,
    ParentPredicate,
    SpanKindPredicate,
)
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    TraceState,
    set_span_in_context,
)

KINDS = {
    "internal": SpanKind.INTERNAL,
    "server": SpanKind.SERVER,
    "client": SpanKind.CLIENT,
    "producer": SpanKind.PRODUCER,
    "consumer": SpanKind.CONSUMER,
}


def composable(spec):
    (kind, arg), = spec.items()
    if kind == "always_on":
        return composable_always_on()
    if kind == "always_off":
        return composable_always_off()
    if kind == "traceid_ratio":
        return composable_traceid_ratio_based(arg)
    if kind == "parent_threshold":
        return composable_parent_threshold(composable(arg))
    if kind == "rule_based":
        return composable_rule_based([(predicate(rule["predicates"]), composable(rule["sampler"])) for rule in arg])
    raise ValueError(f"unknown sampler {kind!r}")


def predicate(specs):
    predicates = [one_predicate(spec) for spec in specs]
    if not predicates:
        return AlwaysMatchPredicate()
    if len(predicates) == 1:
        return predicates[0]
    return AllPredicate(predicates)


def one_predicate(spec):
    (kind, arg), = spec.items()
    if kind == "attribute_values":
        return AttributeValuesPredicate(arg["key"], arg["values"])
    if kind == "attribute_patterns":
        return AttributePatternsPredicate(arg["key"], arg.get("included"), arg.get("excluded"))
    if kind == "span_kinds":
        return SpanKindPredicate([KINDS[k] for k in arg])
    if kind == "parents":
        return ParentPredicate(arg)
    raise ValueError(f"unknown predicate {kind!r}")


def attributes(spec):
    # JSON arrays become tuples: the SDK's attribute sequences.
    return {key: tuple(value) if isinstance(value, list) else value for key, value in spec.items()}


def parent_context(case, trace_id):
    parent = case["parent"]
    if parent is None:
        return Context(), None
    flags = TraceFlags.SAMPLED if parent["sampled"] else TraceFlags.DEFAULT
    if parent["random"]:
        flags |= TraceFlags.RANDOM_TRACE_ID
    header = parent["trace_state"]
    trace_state = TraceState.from_header([header]) if header else TraceState()
    span_context = SpanContext(
        trace_id,
        int(parent["span_id"], 16),
        is_remote=parent["remote"],
        trace_flags=TraceFlags(flags),
        trace_state=trace_state,
    )
    return set_span_in_context(NonRecordingSpan(span_context)), trace_state


def decide(case):
    sampler = composite_sampler(composable(case["sampler"]))
    trace_id = int(case["trace_id"], 16)
    context, parent_trace_state = parent_context(case, trace_id)
    kind = KINDS[case["kind"]]
    attrs = attributes(case["attributes"])
    if case["via"] == "sampler":
        result = sampler.should_sample(
            context, trace_id, case["name"], kind, attrs, None, trace_state=parent_trace_state
        )
        sampled = result.decision.is_sampled()
        trace_state = result.trace_state
    elif case["via"] == "tracer":
        if case["parent"] is None:
            raise ValueError("via tracer needs a parent: the tracer picks a root's trace-id")
        tracer = TracerProvider(sampler=sampler).get_tracer("python_composable")
        span = tracer.start_span(case["name"], context=context, kind=kind, attributes=attrs)
        span_context = span.get_span_context()
        sampled = span_context.trace_flags.sampled
        trace_state = span_context.trace_state
    else:
        raise ValueError(f"unknown via {case['via']!r}")
    trace_state = trace_state or TraceState()
    return {
        "parent_trace_state": parent_trace_state.to_header() if parent_trace_state is not None else "",
        "sampled": bool(sampled),
        "trace_state": trace_state.to_header(),
        "ot": trace_state.get("ot"),
    }


def main():
    cases = json.load(sys.stdin)["cases"]
    results = []
    for case in cases:
        try:
            results.append(decide(case))
        except Exception:  # reported per case, so one bad case does not hide the others
            results.append({"error": traceback.format_exc()})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
