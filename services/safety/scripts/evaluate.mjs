#!/usr/bin/env node
// Evaluates the built offline risk classifier (dist/) on the labelled development sets.
//
//   node services/safety/scripts/evaluate.mjs [--errors] [--only dev|holdout] [file.jsonl ...]
//
// For each file: confusion matrix, precision/recall/F1 per level, HIGH_RISK recall and the
// false-alarm rate (NORMAL or WATCH messages raised to ELEVATED_CONCERN or HIGH_RISK).
// --errors lists every misclassified message with its signals.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { createClassifier, RISK_LEVELS } = require(join(here, '../dist/classifier/index.js'));

const args = process.argv.slice(2);
const showErrors = args.includes('--errors');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const explicit = args.filter((a, i) => !a.startsWith('--') && !(onlyIndex >= 0 && i === onlyIndex + 1));
const fixtures = join(here, '../test/fixtures');
const defaults = { dev: join(fixtures, 'safety-devset.jsonl'), holdout: join(fixtures, 'safety-devset-holdout.jsonl') };
const files = explicit.length > 0 ? explicit : only ? [defaults[only]] : [defaults.dev, defaults.holdout];

const classifier = createClassifier();

function evaluate(file) {
  const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  const matrix = Object.fromEntries(RISK_LEVELS.map((g) => [g, Object.fromEntries(RISK_LEVELS.map((p) => [p, 0]))]));
  const errors = [];
  for (const row of rows) {
    const got = classifier.classify(row.text, row.history ?? []);
    matrix[row.label][got.level] += 1;
    if (got.level !== row.label) errors.push({ row, got });
  }
  const pad = (s, n) => String(s).padStart(n);
  const short = { NORMAL: 'NORMAL', WATCH: 'WATCH', ELEVATED_CONCERN: 'ELEVATED', HIGH_RISK: 'HIGH' };
  console.log(`\n== ${relative(process.cwd(), file)} (${rows.length} messages)`);
  console.log(`${'gold \\ predicted'.padEnd(18)}${RISK_LEVELS.map((l) => pad(short[l], 10)).join('')}`);
  for (const g of RISK_LEVELS) console.log(`${short[g].padEnd(18)}${RISK_LEVELS.map((p) => pad(matrix[g][p], 10)).join('')}`);
  console.log(`\n${'level'.padEnd(18)}${pad('precision', 10)}${pad('recall', 10)}${pad('F1', 10)}${pad('support', 10)}`);
  const metrics = {};
  for (const l of RISK_LEVELS) {
    const tp = matrix[l][l];
    const predicted = RISK_LEVELS.reduce((n, g) => n + matrix[g][l], 0);
    const support = RISK_LEVELS.reduce((n, p) => n + matrix[l][p], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    metrics[l] = { precision, recall, f1, support };
    console.log(`${short[l].padEnd(18)}${pad(precision.toFixed(3), 10)}${pad(recall.toFixed(3), 10)}${pad(f1.toFixed(3), 10)}${pad(support, 10)}`);
  }
  const benign = ['NORMAL', 'WATCH'];
  const benignTotal = benign.reduce((n, g) => n + RISK_LEVELS.reduce((m, p) => m + matrix[g][p], 0), 0);
  const alarms = benign.reduce((n, g) => n + matrix[g].ELEVATED_CONCERN + matrix[g].HIGH_RISK, 0);
  const accuracy = RISK_LEVELS.reduce((n, l) => n + matrix[l][l], 0) / rows.length;
  console.log(`\nHIGH_RISK recall:            ${metrics.HIGH_RISK.recall.toFixed(3)} (${matrix.HIGH_RISK.HIGH_RISK}/${metrics.HIGH_RISK.support})`);
  console.log(`false-alarm rate (N+W→E/H):  ${(alarms / benignTotal).toFixed(3)} (${alarms}/${benignTotal})`);
  console.log(`accuracy:                    ${accuracy.toFixed(3)}`);
  if (showErrors) {
    console.log('\nmisclassified:');
    for (const { row, got } of errors) {
      const history = row.history ? `  [history: ${row.history.join(' | ')}]` : '';
      console.log(`  ${row.id} ${short[row.label]} → ${short[got.level]}: ${row.text}${history}  {${got.signals.join(', ')}}`);
    }
  }
}

for (const file of files) evaluate(file);
