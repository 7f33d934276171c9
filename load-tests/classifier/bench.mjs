#!/usr/bin/env node
// Latency benchmark of the offline risk classifier (built dist/ of @haven/safety).
//
//   node load-tests/classifier/bench.mjs [--iterations N] [--json]
//
// Prints the one-off start-up cost (module + language model load, first call) and, per
// scenario, p50/p99/mean/max latency per message and throughput on one core:
//   devset            each dev-set message with its own (short) history
//   history-20-cold   each message with a 20-message session history, history memo disabled
//   history-20-warm   the same with the default history memo (what a live session sees)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const safety = join(here, '../../services/safety');
const args = process.argv.slice(2);
const iterationsArg = args.indexOf('--iterations');
const iterations = iterationsArg >= 0 ? Number(args[iterationsArg + 1]) : 20;
const asJson = args.includes('--json');
if (!Number.isInteger(iterations) || iterations < 1) {
  console.error('--iterations must be a positive integer');
  process.exit(2);
}

const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;

const t0 = process.hrtime.bigint();
const require = createRequire(import.meta.url);
const { createClassifier } = require(join(safety, 'dist/classifier/index.js'));
const moduleLoadMs = ms(t0);
const t1 = process.hrtime.bigint();
const classifier = createClassifier();
const modelLoadMs = ms(t1);
const t2 = process.hrtime.bigint();
classifier.classify('first message of the process', []);
const firstCallMs = ms(t2);

const rows = readFileSync(join(safety, 'test/fixtures/safety-devset.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));
const texts = rows.map((r) => r.text);
const session = (i) => Array.from({ length: 20 }, (_, k) => texts[(i + k + 1) % texts.length]);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function run(name, target, inputs) {
  for (const { text, history } of inputs.slice(0, 50)) target.classify(text, history); // JIT warm-up
  const samples = [];
  const started = process.hrtime.bigint();
  for (let it = 0; it < iterations; it++) {
    for (const { text, history } of inputs) {
      const s = process.hrtime.bigint();
      target.classify(text, history);
      samples.push(ms(s));
    }
  }
  const totalMs = ms(started);
  samples.sort((a, b) => a - b);
  return {
    scenario: name,
    messages: samples.length,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    maxMs: samples[samples.length - 1],
    perSecond: samples.length / (totalMs / 1000),
  };
}

const results = [
  run('devset', classifier, rows.map((r) => ({ text: r.text, history: r.history ?? [] }))),
  run('history-20-cold', createClassifier({ historyCacheSize: 0 }), rows.map((r, i) => ({ text: r.text, history: session(i) }))),
  run('history-20-warm', classifier, rows.map((r, i) => ({ text: r.text, history: session(i) }))),
];
const startup = { moduleLoadMs, modelLoadMs, firstCallMs };

if (asJson) {
  console.log(JSON.stringify({ iterations, startup, results }, null, 2));
} else {
  const f = (x) => x.toFixed(3).padStart(9);
  console.log(`start-up: module load ${moduleLoadMs.toFixed(1)} ms, model load (createClassifier) ${modelLoadMs.toFixed(1)} ms, first call ${firstCallMs.toFixed(2)} ms`);
  console.log(`${iterations} passes over ${rows.length} dev-set messages per scenario (one core)\n`);
  console.log(`${'scenario'.padEnd(18)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'mean ms'.padStart(9)}${'max ms'.padStart(9)}${'msg/s'.padStart(10)}`);
  for (const r of results) {
    console.log(`${r.scenario.padEnd(18)}${f(r.p50Ms)}${f(r.p99Ms)}${f(r.meanMs)}${f(r.maxMs)}${String(Math.round(r.perSecond)).padStart(10)}`);
  }
}
