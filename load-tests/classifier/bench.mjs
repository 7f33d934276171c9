#!/usr/bin/env node
// Latency benchmark of the offline risk classifier (built dist/ of @haven/safety) as the service
// runs it: rules + sentence encoder (all-MiniLM-L6-v2, int8 ONNX, .haven/models) + learned head.
//
//   node load-tests/classifier/bench.mjs [--iterations N] [--threads N] [--json]
//
// Prints the one-off start-up cost (module load, encoder load + warm-up, rules load) and, per
// scenario, p50/p99/mean/max latency per message (one call at a time, awaited) and throughput:
//   short-cold        each dev-set message with its own short history, no embedding memo (worst case)
//   paragraph-cold    paragraphs of 4-6 dev-set messages (~60-150 word pieces), no memo
//   session-20        a live session: each new message with the 20 before it as history (memo on,
//                     so history embeddings are reused as in the service; the message itself is new)
//   rules+bayes       SAFETY_ENCODER=off: rules + naive Bayes only, for comparison
// --threads: onnxruntime threads per inference (SAFETY_ENCODER_THREADS, default 1).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const safety = join(here, '../../services/safety');
const args = process.argv.slice(2);
const numberArg = (flag, fallback) => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const iterations = numberArg('--iterations', 2);
const threads = numberArg('--threads', 1);
const asJson = args.includes('--json');
if (!Number.isInteger(iterations) || iterations < 1 || !Number.isInteger(threads) || threads < 1) {
  console.error('--iterations and --threads must be positive integers');
  process.exit(2);
}

const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;

const t0 = process.hrtime.bigint();
const require = createRequire(import.meta.url);
const { createClassifier, createEncoderClassifier, loadRiskClassifier, loadSentenceEncoder } = require(join(safety, 'dist/classifier/index.js'));
const { encoderModelPath } = require(join(safety, 'dist/config.js'));
const moduleLoadMs = ms(t0);
const modelDir = encoderModelPath(process.env.SAFETY_ENCODER_MODEL_DIR || '.haven/models/all-minilm-l6-v2');
const t1 = process.hrtime.bigint();
const classifier = await loadRiskClassifier(modelDir, { threads });
const encoderLoadMs = ms(t1);
const t2 = process.hrtime.bigint();
await classifier.classify('first message of the process', []);
const firstCallMs = ms(t2);
const t3 = process.hrtime.bigint();
const rulesAndBayes = createClassifier();
const rulesLoadMs = ms(t3);
const encoder = await loadSentenceEncoder(modelDir, { threads });
const cold = createEncoderClassifier({ encoder, embeddingCacheSize: 0 });

const rows = readFileSync(join(safety, 'test/fixtures/safety-devset.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));
const texts = rows.map((r) => r.text);
const paragraphs = Array.from({ length: 80 }, (_, i) => texts.slice(i * 5, i * 5 + 4 + (i % 3)).join(' ')).filter((p) => p.length > 0);
const tokens = paragraphs.map((p) => encoder.tokenize(p).length).sort((a, b) => a - b);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function run(name, classify, inputs, passes = iterations) {
  for (const { text, history } of inputs.slice(0, 20)) await classify(text, history); // warm-up
  const samples = [];
  const started = process.hrtime.bigint();
  for (let it = 0; it < passes; it++) {
    for (const { text, history } of inputs) {
      const s = process.hrtime.bigint();
      await classify(text, history);
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

// A live session: message i arrives with the 20 messages before it; only message i is new to the memo.
const sessionInputs = rows.map((r, i) => ({ text: `${r.text} (${i})`, history: rows.slice(Math.max(0, i - 20), i).map((h, k) => `${h.text} (${Math.max(0, i - 20) + k})`) }));
const results = [
  await run('short-cold', (t, h) => cold.classify(t, h), rows.map((r) => ({ text: r.text, history: r.history ?? [] }))),
  await run('paragraph-cold', (t, h) => cold.classify(t, h), paragraphs.map((text) => ({ text, history: [] }))),
  await run('session-20', (t, h) => classifier.classify(t, h), sessionInputs, 1),
  await run('rules+bayes', async (t, h) => rulesAndBayes.classify(t, h), rows.map((r) => ({ text: r.text, history: r.history ?? [] }))),
];
await encoder.release();
const startup = { moduleLoadMs, encoderLoadMs, firstCallMs, rulesLoadMs };

if (asJson) {
  console.log(JSON.stringify({ iterations, threads, startup, paragraphTokens: { p50: percentile(tokens, 50), max: tokens.at(-1) }, results }, null, 2));
} else {
  const f = (x) => x.toFixed(2).padStart(9);
  console.log(
    `start-up: module load ${moduleLoadMs.toFixed(0)} ms, encoder + rules load with warm-up (loadRiskClassifier) ${encoderLoadMs.toFixed(0)} ms, first call ${firstCallMs.toFixed(1)} ms; rules + Bayes alone ${rulesLoadMs.toFixed(0)} ms`,
  );
  console.log(`onnxruntime threads ${threads}; ${iterations} passes over ${rows.length} dev-set messages and ${paragraphs.length} paragraphs (word pieces p50 ${percentile(tokens, 50)}, max ${tokens.at(-1)})\n`);
  console.log(`${'scenario'.padEnd(16)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'mean ms'.padStart(9)}${'max ms'.padStart(9)}${'msg/s'.padStart(10)}`);
  for (const r of results) {
    console.log(`${r.scenario.padEnd(16)}${f(r.p50Ms)}${f(r.p99Ms)}${f(r.meanMs)}${f(r.maxMs)}${String(Math.round(r.perSecond)).padStart(10)}`);
  }
}
