# Python peer of tests/interop.rs: the OpenTelemetry Python SDK (pinned there, installed in
# target/interop/venv) with its stock W3C propagator, TraceContextTextMapPropagator, on
# either side of a tctx Rust service. The test starts it; by hand:
#
#   target/interop/venv/bin/python tests/interop/python_peer.py serve 0
#   target/interop/venv/bin/python tests/interop/python_peer.py produce URL [NEXT_URL...] [--unsampled]
#
# The hop protocol, shared with node_peer.mjs and the Rust service in tests/interop.rs:
# POST /hop with `traceparent`/`tracestate` and a JSON body {"route": [URL, ...]}. A hop
# continues the trace in a span of its own, adds its tracestate member, POSTs
# {"route": rest} to the first URL of the route, and answers with a JSON array of hop
# reports: its own, then the ones the next hop answered.
#
# serve PORT: answers POST /hop on 127.0.0.1:PORT (0: the system picks) as the consumer
#   `python-consumer`; prints {"listening": PORT} on one line once it accepts connections.
# produce URL [NEXT...]: starts a trace as `python-producer` (a root span; --unsampled: its
#   sampler drops it), POSTs to URL with route [NEXT...], prints the reports as JSON.
#
# Each span gets the member `py=<role>` from its sampler, the way OpenTelemetry lets code
# change tracestate: TraceState.update puts the key first (newest left).

import json
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import (
    SpanKind,
    TraceState,
    format_span_id,
    format_trace_id,
    set_span_in_context,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TIMEOUT_SECONDS = 10
PROPAGATOR = TraceContextTextMapPropagator()


class StampTraceState(Sampler):
    """Decides as `inner` does, and writes `py=<role>` first into the span's tracestate."""

    def __init__(self, inner, role):
        self._inner = inner
        self._role = role

    def should_sample(
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ):
        result = self._inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links
        )
        state = (result.trace_state or TraceState()).update("py", self._role)
        return SamplingResult(result.decision, result.attributes, state)

    def get_description(self):
        return f"StampTraceState({self._inner.get_description()}, py={self._role})"


def tracer(role, root_sampled=True):
    root = ALWAYS_ON if root_sampled else ALWAYS_OFF
    provider = TracerProvider(sampler=StampTraceState(ParentBased(root), role))
    return provider.get_tracer("python_peer")


def report(name, received, span, sent):
    """One hop's report. `parent_span_id` is the SDK's own record of the span's parent
    (None for a root span, and for a span the sampler dropped, which records nothing)."""
    parent = getattr(span, "parent", None)
    context = span.get_span_context()
    return {
        "name": name,
        "received": received,
        "trace_id": format_trace_id(context.trace_id),
        "span_id": format_span_id(context.span_id),
        "parent_span_id": format_span_id(parent.span_id) if parent else None,
        "sampled": context.trace_flags.sampled,
        "random": context.trace_flags.random_trace_id,
        "sent": sent,
    }


def post(url, route, span):
    """POSTs {"route": route} to url with the span's context; returns (sent headers, reports)."""
    headers = {}
    PROPAGATOR.inject(headers, context=set_span_in_context(span))
    request = urllib.request.Request(
        url,
        data=json.dumps({"route": route}).encode(),
        headers={**headers, "content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"POST {url}: {error.code} {error.read().decode()}") from None


class Hop(BaseHTTPRequestHandler):
    tracer = tracer("consumer")

    def do_POST(self):  # noqa: N802 (http.server's naming)
        try:
            received = {
                name: self.headers.get_all(name) or [] for name in ("traceparent", "tracestate")
            }
            length = int(self.headers.get("content-length") or 0)
            route = json.loads(self.rfile.read(length) or b"{}").get("route", [])
            parent = PROPAGATOR.extract({k: v for k, v in received.items() if v}, Context())
            span = self.tracer.start_span("hop", context=parent, kind=SpanKind.SERVER)
            sent, downstream = (None, [])
            if route:
                sent, downstream = post(route[0], route[1:], span)
            span.end()
            body = json.dumps([report("python-consumer", received, span, sent), *downstream])
            self.answer(200, body.encode())
        except Exception as error:  # noqa: BLE001 (the caller must see every failure)
            self.answer(502, f"python-consumer: {error!r}".encode())

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
        sys.stderr.write("python_peer: " + (format % args) + "\n")


def serve(port):
    server = ThreadingHTTPServer(("127.0.0.1", port), Hop)
    print(json.dumps({"listening": server.server_address[1]}), flush=True)
    server.serve_forever()


def produce(url, route, sampled):
    span = tracer("producer", root_sampled=sampled).start_span("produce", kind=SpanKind.CLIENT)
    sent, downstream = post(url, route, span)
    span.end()
    print(json.dumps([report("python-producer", None, span, sent), *downstream]))


def main(argv):
    flags = [a for a in argv if a.startswith("--")]
    args = [a for a in argv if not a.startswith("--")]
    if len(args) == 2 and args[0] == "serve":
        serve(int(args[1]))
    elif len(args) >= 2 and args[0] == "produce" and set(flags) <= {"--unsampled"}:
        produce(args[1], args[2:], "--unsampled" not in flags)
    else:
        sys.exit("usage: python_peer.py serve PORT | produce URL [NEXT_URL...] [--unsampled]")


if __name__ == "__main__":
    main(sys.argv[1:])
