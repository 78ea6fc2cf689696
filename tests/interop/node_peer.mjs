// Node.js peer of tests/interop.rs: the npm package `tctx` (pinned there, installed under
// target/interop/node_modules), the JavaScript library the Rust crate is modelled on, on
// either side of a tctx Rust service. The test starts it; by hand (node >= 18):
//
//   node tests/interop/node_peer.mjs serve 0
//   node tests/interop/node_peer.mjs produce URL [NEXT_URL...] [--unsampled]
//
// TCTX_INTEROP_PREFIX names the npm prefix holding node_modules/tctx (default:
// target/interop next to this crate's Cargo.toml).
//
// The hop protocol, shared with python_peer.py and the Rust service in tests/interop.rs:
// POST /hop with `traceparent`/`tracestate` and a JSON body {"route": [URL, ...]}. A hop
// continues the trace with a span id of its own, adds its tracestate member, POSTs
// {"route": rest} to the first URL of the route, and answers with a JSON array of hop
// reports: its own, then the ones the next hop answered.
//
// serve PORT: answers POST /hop on 127.0.0.1:PORT (0: the system picks) as the consumer
//   `node-consumer`, the way the tctx README's consumer does: parse traceparent (a new trace
//   if it is missing or invalid), parse tracestate only if traceparent is valid,
//   state.set('js', 'consumer'), send parent.child(). Prints {"listening": PORT} once ready.
// produce URL [NEXT...]: starts a trace as `node-producer` with traceparent.make() (sampled
//   and random; --unsampled: unsample() it), tracestate with js=producer, POSTs to URL with
//   route [NEXT...], prints the reports as JSON.

import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TIMEOUT_MS = 10_000;

const prefix =
	process.env.TCTX_INTEROP_PREFIX ||
	fileURLToPath(new URL('../../target/interop/', import.meta.url));
// The package lives outside this file's directory tree, so resolve it from the prefix.
const require = createRequire(`${prefix}/package.json`);
const load = (name) => import(pathToFileURL(require.resolve(name)).href);
const traceparent = await load('tctx/traceparent');
const tracestate = await load('tctx/tracestate');

function report(name, received, tp, sent) {
	return {
		name,
		received,
		trace_id: tp.trace_id,
		span_id: tp.parent_id,
		parent_span_id: null, // tctx has ids, not spans: the received parent-id is the parent
		sampled: traceparent.is_sampled(tp),
		random: traceparent.is_randomed(tp),
		sent,
	};
}

// POSTs {"route": route} to url with the trace headers; returns the reports it answers.
async function post(url, route, sent) {
	const headers = { 'content-type': 'application/json', traceparent: sent.traceparent };
	if (sent.tracestate) headers.tracestate = sent.tracestate;
	const response = await fetch(url, {
		method: 'POST',
		headers,
		body: JSON.stringify({ route }),
		signal: AbortSignal.timeout(TIMEOUT_MS),
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`);
	return JSON.parse(text);
}

async function hop(request) {
	// headersDistinct keeps repeated header lines apart, as they arrived.
	const received = {
		traceparent: request.headersDistinct.traceparent ?? [],
		tracestate: request.headersDistinct.tracestate ?? [],
	};
	let body = '';
	for await (const chunk of request) body += chunk;
	const route = JSON.parse(body || '{}').route ?? [];

	const parent = received.traceparent.length === 1 ? traceparent.parse(received.traceparent[0]) : null;
	const state = parent && received.tracestate.length ? tracestate.parse(received.tracestate.join(',')) : tracestate.make();
	state.set('js', 'consumer');
	const child = (parent ?? traceparent.make()).child();

	let sent = null;
	let downstream = [];
	if (route.length) {
		sent = { traceparent: String(child), tracestate: String(state) };
		downstream = await post(route[0], route.slice(1), sent);
	}
	return [report('node-consumer', received, child, sent), ...downstream];
}

function serve(port) {
	const server = createServer((request, response) => {
		hop(request).then(
			(reports) => {
				response.writeHead(200, { 'content-type': 'application/json' });
				response.end(JSON.stringify(reports));
			},
			(error) => {
				console.error('node_peer:', error);
				response.writeHead(502, { 'content-type': 'text/plain' });
				response.end(`node-consumer: ${error}`);
			},
		);
	});
	server.listen(port, '127.0.0.1', () => {
		console.log(JSON.stringify({ listening: server.address().port }));
	});
}

async function produce(url, route, sampled) {
	const tp = traceparent.make();
	if (!sampled) traceparent.unsample(tp);
	const state = tracestate.make();
	state.set('js', 'producer');
	const sent = { traceparent: String(tp), tracestate: String(state) };
	const downstream = await post(url, route, sent);
	console.log(JSON.stringify([report('node-producer', null, tp, sent), ...downstream]));
}

const argv = process.argv.slice(2);
const flags = argv.filter((a) => a.startsWith('--'));
const args = argv.filter((a) => !a.startsWith('--'));
if (args.length === 2 && args[0] === 'serve') {
	serve(Number(args[1]));
} else if (args.length >= 2 && args[0] === 'produce' && flags.every((f) => f === '--unsampled')) {
	await produce(args[1], args.slice(2), !flags.includes('--unsampled'));
} else {
	console.error('usage: node_peer.mjs serve PORT | produce URL [NEXT_URL...] [--unsampled]');
	process.exit(2);
}
