#!/usr/bin/env node
// Evaluates the built offline risk classifier (dist/) on labelled sets.
//
//   node services/safety/scripts/evaluate.mjs [--errors] [--only dev|holdout] [--rules-only] [file.jsonl ...]
//   node services/safety/scripts/evaluate.mjs --cv [--folds 5] [--errors] [--thresholds high,elevated,tieBreakHigh,watch]
//
// For each file: confusion matrix, precision/recall/F1 per level, HIGH_RISK recall and the
// false-alarm rate (NORMAL or WATCH messages raised to ELEVATED_CONCERN or HIGH_RISK).
// --errors lists every misclassified message with its signals. --rules-only switches the trained model off.
//
// --cv: stratified k-fold cross-validation over the training files (dev + holdout + blind set; see
// trainingData.mjs): per fold the model is trained on the other folds and tested on this one, the
// rules are unchanged. Prints the pooled confusion matrix and metrics averaged over folds. Note the
// rules were written while looking at all three files, so the rule half is not blind here.
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES, readJsonLines, stratifiedFolds, trainingRows } from './trainingData.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { createClassifier, trainRiskModel, RISK_LEVELS, DEFAULT_THRESHOLDS } = require(join(here, '../dist/classifier/index.js'));

const args = process.argv.slice(2);
const valueOf = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const showErrors = args.includes('--errors');
const only = valueOf('--only');
const folds = Number(valueOf('--folds') ?? 5);
const thresholdArg = valueOf('--thresholds');
const thresholds = thresholdArg
  ? Object.fromEntries(['high', 'elevated', 'tieBreakHigh', 'watch'].map((k, i) => [k, Number(thresholdArg.split(',')[i] ?? DEFAULT_THRESHOLDS[k])]))
  : DEFAULT_THRESHOLDS;
const valued = new Set(['--only', '--folds', '--thresholds'].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
const explicit = args.filter((a, i) => !a.startsWith('--') && !valued.has(i));
const defaults = { dev: join(FIXTURES, 'safety-devset.jsonl'), holdout: join(FIXTURES, 'safety-devset-holdout.jsonl') };
const files = explicit.length > 0 ? explicit : only ? [defaults[only]] : [defaults.dev, defaults.holdout];
const short = { NORMAL: 'NORMAL', WATCH: 'WATCH', ELEVATED_CONCERN: 'ELEVATED', HIGH_RISK: 'HIGH' };
const pad = (s, n) => String(s).padStart(n);

function emptyMatrix() {
  return Object.fromEntries(RISK_LEVELS.map((g) => [g, Object.fromEntries(RISK_LEVELS.map((p) => [p, 0]))]));
}

function metricsOf(matrix) {
  const perLevel = {};
  for (const l of RISK_LEVELS) {
    const tp = matrix[l][l];
    const predicted = RISK_LEVELS.reduce((n, g) => n + matrix[g][l], 0);
    const support = RISK_LEVELS.reduce((n, p) => n + matrix[l][p], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perLevel[l] = { precision, recall, f1, support };
  }
  const benign = ['NORMAL', 'WATCH'];
  const benignTotal = benign.reduce((n, g) => n + RISK_LEVELS.reduce((m, p) => m + matrix[g][p], 0), 0);
  const alarms = benign.reduce((n, g) => n + matrix[g].ELEVATED_CONCERN + matrix[g].HIGH_RISK, 0);
  const total = RISK_LEVELS.reduce((n, g) => n + RISK_LEVELS.reduce((m, p) => m + matrix[g][p], 0), 0);
  const accuracy = RISK_LEVELS.reduce((n, l) => n + matrix[l][l], 0) / total;
  return { perLevel, alarms, benignTotal, falseAlarmRate: alarms / benignTotal, accuracy, highRecall: perLevel.HIGH_RISK.recall };
}

function printReport(title, matrix, averaged) {
  const m = metricsOf(matrix);
  console.log(`\n== ${title}`);
  console.log(`${'gold \\ predicted'.padEnd(18)}${RISK_LEVELS.map((l) => pad(short[l], 10)).join('')}`);
  for (const g of RISK_LEVELS) console.log(`${short[g].padEnd(18)}${RISK_LEVELS.map((p) => pad(matrix[g][p], 10)).join('')}`);
  const src = averaged ?? m;
  console.log(`\n${'level'.padEnd(18)}${pad('precision', 10)}${pad('recall', 10)}${pad('F1', 10)}${pad('support', 10)}${averaged ? '   (mean over folds)' : ''}`);
  for (const l of RISK_LEVELS) {
    const x = src.perLevel[l];
    console.log(`${short[l].padEnd(18)}${pad(x.precision.toFixed(3), 10)}${pad(x.recall.toFixed(3), 10)}${pad(x.f1.toFixed(3), 10)}${pad(m.perLevel[l].support, 10)}`);
  }
  console.log(`\nHIGH_RISK recall:            ${src.highRecall.toFixed(3)} (${matrix.HIGH_RISK.HIGH_RISK}/${m.perLevel.HIGH_RISK.support}${averaged ? ' pooled' : ''})`);
  console.log(`false-alarm rate (N+W→E/H):  ${src.falseAlarmRate.toFixed(3)} (${m.alarms}/${m.benignTotal}${averaged ? ' pooled' : ''})`);
  console.log(`accuracy:                    ${src.accuracy.toFixed(3)}`);
}

function printErrors(errors) {
  console.log('\nmisclassified:');
  for (const { row, got } of errors) {
    const history = row.history ? `  [history: ${row.history.join(' | ')}]` : '';
    console.log(`  ${row.id} ${short[row.label]} → ${short[got.level]}: ${row.text}${history}  {${got.signals.join(', ')}}`);
  }
}

function evaluateFile(classifier, file) {
  const rows = readJsonLines(file);
  const matrix = emptyMatrix();
  const errors = [];
  for (const row of rows) {
    const got = classifier.classify(row.text, row.history ?? []);
    matrix[row.label][got.level] += 1;
    if (got.level !== row.label) errors.push({ row, got });
  }
  printReport(`${relative(process.cwd(), file)} (${rows.length} messages)`, matrix);
  if (showErrors) printErrors(errors);
}

function crossValidate() {
  const rows = trainingRows();
  const fold = stratifiedFolds(rows, folds);
  const rulesOnly = createClassifier({ model: null });
  const features = rows.map((row) => rulesOnly.features(row.text, row.history ?? []));
  const pooled = emptyMatrix();
  const perFold = [];
  const errors = [];
  for (let f = 0; f < folds; f++) {
    const train = rows.map((row, i) => ({ features: features[i], label: row.label })).filter((_, i) => fold[i] !== f);
    const classifier = createClassifier({ model: trainRiskModel(train), thresholds });
    const matrix = emptyMatrix();
    rows.forEach((row, i) => {
      if (fold[i] !== f) return;
      const got = classifier.classify(row.text, row.history ?? []);
      matrix[row.label][got.level] += 1;
      pooled[row.label][got.level] += 1;
      if (got.level !== row.label) errors.push({ row, got });
    });
    perFold.push(metricsOf(matrix));
  }
  const mean = (pick) => perFold.reduce((n, m) => n + pick(m), 0) / perFold.length;
  const averaged = {
    perLevel: Object.fromEntries(RISK_LEVELS.map((l) => [l, { precision: mean((m) => m.perLevel[l].precision), recall: mean((m) => m.perLevel[l].recall), f1: mean((m) => m.perLevel[l].f1) }])),
    highRecall: mean((m) => m.highRecall),
    falseAlarmRate: mean((m) => m.falseAlarmRate),
    accuracy: mean((m) => m.accuracy),
  };
  printReport(`${folds}-fold stratified CV over ${rows.length} messages (dev + holdout + blind set), thresholds ${JSON.stringify(thresholds)}`, pooled, averaged);
  console.log(`per fold HIGH_RISK recall:   ${perFold.map((m) => m.highRecall.toFixed(3)).join(' ')}`);
  console.log(`per fold false alarms:       ${perFold.map((m) => m.falseAlarmRate.toFixed(3)).join(' ')}`);
  if (showErrors) printErrors(errors);
}

if (args.includes('--cv')) {
  crossValidate();
} else {
  const classifier = createClassifier(args.includes('--rules-only') ? { model: null, thresholds } : { thresholds });
  for (const file of files) evaluateFile(classifier, file);
}
