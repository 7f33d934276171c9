#!/usr/bin/env node
// Event store benchmark against real nats-server + FerretDB (started here on free ports, or the
// NATS_URL/MONGO_URL you export). Prints medians and p99 in ms; bounded in count and time.
//   node load-tests/eventstore/bench.mjs [--n 500]
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { startInfra } = require(join(root, 'libs/testkit/dist/index.js'));
const es = require(join(root, 'libs/eventstore/dist/index.js'));
const { identityV1 } = require(join(root, 'libs/proto/dist/index.js'));
const { MongoClient } = require('mongodb');

const n = Number(process.argv[process.argv.indexOf('--n') + 1] || 500) || 500;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (xs) => `median ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms (n=${xs.length})`;
const time = async (fn) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

const infra = await startInfra({ onServerReady: (s) => console.error(`[bench] ${s.name} ready (${s.startupMs} ms)`) });
const nc = await es.connectNats(infra.env.NATS_URL, 'bench');
const js = nc.jetstream();
const jsm = await nc.jetstreamManager();
const context = `bench${Date.now() % 100000}`;
await es.ensureStreams(jsm, { contexts: [context] });
const codec = es.oneofCodec(context, identityV1.IdentityEvent, { payloadType: 'haven.identity.v1.IdentityEvent' });
const store = new es.EventStore({ js, jsm, context, codec });
const ev = (i) => ({ type: 'LoginSucceeded', data: { userId: `u${i}`, ip: '127.0.0.1', userAgent: 'bench' } });
const meta = () => ({ actor: 'bench', now: new Date() });

try {
  // 1. append to new aggregates (one event each)
  const appendNew = [];
  for (let i = 0; i < n; i++) appendNew.push(await time(() => store.append(`agg-${i}`, es.NEW_AGGREGATE, [ev(i)], meta())));
  console.log(`append, new aggregate:           ${fmt(appendNew)}`);

  // 2. load → decide → append on one growing aggregate (the command-handler path)
  const handled = [];
  const decider = { initialState: () => 0, evolve: (s) => s + 1, decide: (_c, s) => [ev(s)] };
  for (let i = 0; i < Math.min(n, 200); i++) handled.push(await time(() => es.handleCommand({ store, aggregateId: 'hot', decider, command: {}, meta: meta() })));
  console.log(`handleCommand on a growing aggregate (1..${handled.length} events): ${fmt(handled)}`);

  // 3. load an aggregate of 10 / 100 events
  for (const size of [10, 100]) {
    const id = `load-${size}`;
    let pos = es.NEW_AGGREGATE;
    for (let i = 0; i < size; i++) pos = (await store.append(id, pos, [ev(i)], meta())).position;
    const loads = [];
    for (let i = 0; i < 50; i++) loads.push(await time(() => store.load(id)));
    console.log(`load, ${String(size).padStart(3)} events:                ${fmt(loads)}`);
  }

  // 4. contention: 8 writers on one aggregate, each appends 10 times with retries
  const contended = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 10; i++) contended.push(await time(() => es.handleCommand({ store, aggregateId: 'contended', decider, command: {}, meta: meta() })));
    }),
  );
  const final = await store.load('contended');
  console.log(`8 concurrent writers × 10 on one aggregate: ${fmt(contended)}; ${final.events.length} events stored (expected 80) in ${(performance.now() - started).toFixed(0)} ms`);

  // 5. projection throughput into FerretDB (applyVersioned per event)
  const mongo = new MongoClient(infra.env.MONGO_URL);
  await mongo.connect();
  const coll = mongo.db(`bench_${context}`).collection('docs');
  const total = (await jsm.streams.info(es.streamNameFor(context))).state.messages;
  let handledEvents = 0;
  const t0 = performance.now();
  const done = new Promise((resolve) => {
    const check = () => (handledEvents >= total ? resolve() : setTimeout(check, 20));
    check();
  });
  const projection = await es.startProjection({
    nc,
    js,
    jsm,
    name: `bench-${context}`,
    stream: es.streamNameFor(context),
    filterSubjects: [`${context}.evt.>`],
    codec,
    handle: async (e) => {
      await es.applyVersioned(coll, e.aggregateId, e.version, { $set: { last: e.type } });
      handledEvents++;
    },
  });
  await done;
  const secs = (performance.now() - t0) / 1000;
  console.log(`projection into FerretDB (SQLite): ${total} events in ${secs.toFixed(2)} s = ${(total / secs).toFixed(0)} events/s`);
  await projection.stop();
  await mongo.close();
} finally {
  await nc.drain();
  await infra.stop();
}
