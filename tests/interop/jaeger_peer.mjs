// Node.js peer of tests/jaeger_peer.rs: the npm package `@opentelemetry/sampler-jaeger-remote`
// (pinned there, installed under target/interop-jaeger/node_modules), OpenTelemetry
// JavaScript's Jaeger remote sampler, polling the same strategy server as tctx. The test
// starts it with one JSON argument; by hand (node >= 18):
//
//   node tests/interop/jaeger_peer.mjs '{"endpoint": "http://127.0.0.1:5778", "service": "shop",
//     "interval_ms": 1000, "initial_rate": 1, "wait_ms": 3000, "operations": ["checkout"],
//     "spans": 1000, "seed": 1, "linger_ms": 2000}'
//
// TCTX_JAEGER_PEER_PREFIX names the npm prefix holding the package (default:
// target/interop-jaeger next to this crate's Cargo.toml).
//
// What it does, in order, and prints as one JSON object on stdout:
// 1. Wraps the global `fetch` (the package's only way out) to record when each request starts
//    and ends, and how (`fetches`: [{start_ms, end_ms, status | error}], ms since step 2).
// 2. Builds `JaegerRemoteSampler({endpoint, serviceName, poolingInterval, initialSampler:
//    TraceIdRatioBasedSampler(initial_rate)})` and a `TracerProvider` with it and an id
//    generator that yields seeded trace-ids (the same splitmix64 sequence as the Rust test).
// 3. Waits until the sampler has replaced its initial sampler (`first_update_ms`; it polls
//    `toString()`, which names the current sampler), or until `wait_ms` has passed (null).
// 4. Starts `spans` root spans per operation, in the order given, and counts per operation the
//    sampled ones, the attribute keys of the sampled spans and the tracestates they carry.
// 5. Drops every reference to the sampler and the provider (and collects garbage if node was
//    started with --expose-gc), waits `linger_ms` and records the fetches that still happened
//    (`fetches_after_drop`), the resources that keep node's event loop alive, and whether the
//    sampler or the provider offered a way to stop it.
// Then it exits: the package's `setInterval` would keep the process alive forever.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const PACKAGE = '@opentelemetry/sampler-jaeger-remote';
const plan = JSON.parse(process.argv[2] ?? '{}');
for (const key of ['endpoint', 'service', 'interval_ms', 'initial_rate', 'wait_ms', 'operations', 'spans', 'seed', 'linger_ms']) {
	if (plan[key] === undefined) {
		console.error(`jaeger_peer.mjs: the plan lacks "${key}"`);
		process.exit(2);
	}
}

const prefix =
	process.env.TCTX_JAEGER_PEER_PREFIX ||
	fileURLToPath(new URL('../../target/interop-jaeger/', import.meta.url));
// The package lives outside this file's directory tree, so resolve it from the prefix, and
// its own dependencies from the package (the versions it was published with).
const require = createRequire(`${prefix}/package.json`);
const packageJson = require.resolve(`${PACKAGE}/package.json`);
const requireDependency = createRequire(packageJson);
const { JaegerRemoteSampler } = require(PACKAGE);
const { TracerProvider, TraceIdRatioBasedSampler } = requireDependency('@opentelemetry/sdk-trace');
const { version } = require(packageJson);

// splitmix64, as in the Rust test: the trace-id is two outputs, high word first.
const MASK = (1n << 64n) - 1n;
let state = BigInt(plan.seed) & MASK;
function next64() {
	state = (state + 0x9e3779b97f4a7c15n) & MASK;
	let z = state;
	z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
	z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
	return z ^ (z >> 31n);
}
const hex16 = (value) => value.toString(16).padStart(16, '0');
const idGenerator = {
	generateTraceId: () => hex16(next64()) + hex16(next64()),
	generateSpanId: () => '00f067aa0ba902b7',
};

const fetches = [];
let started = null;
const now = () => performance.now() - started;
const realFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
	const entry = { url: String(args[0]), start_ms: now(), end_ms: null };
	fetches.push(entry);
	try {
		const response = await realFetch(...args);
		entry.status = response.status;
		return response;
	} catch (error) {
		entry.error = String(error?.cause ?? error);
		throw error;
	} finally {
		entry.end_ms = now();
	}
};

started = performance.now();
let sampler = new JaegerRemoteSampler({
	endpoint: plan.endpoint,
	serviceName: plan.service,
	poolingInterval: plan.interval_ms,
	initialSampler: new TraceIdRatioBasedSampler(plan.initial_rate),
});
let provider = new TracerProvider({ sampler, idGenerator });
const initial = sampler.toString();

let firstUpdate = null;
while (now() < plan.wait_ms) {
	if (sampler.toString() !== initial) {
		firstUpdate = now();
		break;
	}
	await sleep(5);
}

const tracer = provider.getTracer('jaeger-peer');
const operations = {};
for (const operation of plan.operations) {
	const counts = { sampled: 0, attributes: [], tracestates: [] };
	for (let i = 0; i < plan.spans; i++) {
		const span = tracer.startSpan(operation);
		if (!span.isRecording()) continue;
		counts.sampled += 1;
		for (const key of Object.keys(span.attributes ?? {})) {
			if (!counts.attributes.includes(key)) counts.attributes.push(key);
		}
		const tracestate = span.spanContext().traceState?.serialize() ?? '';
		if (!counts.tracestates.includes(tracestate)) counts.tracestates.push(tracestate);
		span.end();
	}
	operations[operation] = counts;
}

const stoppable = ['shutdown', 'close', 'stop'].filter((name) => typeof sampler[name] === 'function');
const sampler_description = sampler.toString();
const fetchesAtDrop = fetches.length;
const droppedAt = now();
await provider.shutdown();
sampler = null;
provider = null;
globalThis.gc?.();
await sleep(plan.linger_ms);

console.log(
	JSON.stringify({
		version,
		fetches,
		first_update_ms: firstUpdate,
		sampler: sampler_description,
		operations,
		stop_methods: stoppable,
		dropped_at_ms: droppedAt,
		gc_ran: typeof globalThis.gc === 'function',
		fetches_after_drop: fetches.length - fetchesAtDrop,
		active_resources_after_drop: process.getActiveResourcesInfo(),
	}),
);
process.exit(0);
