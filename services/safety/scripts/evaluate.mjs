#!/usr/bin/env node
// Evaluates the built offline risk classifier (dist/) on labelled sets.
//
//   node services/safety/scripts/evaluate.mjs [--errors] [--only test|dev|holdout] [--no-encoder|--rules-only] [file.jsonl ...]
//   node services/safety/scripts/evaluate.mjs --cv [--errors]
//
// Without files: the test set (safety-blindset7.jsonl: written blind, never trained, tuned or
// calibrated on). Every other labelled file is training data, so numbers on it are in-sample.
// For each file: confusion matrix, precision/recall per level, HIGH_RISK recall and the false-alarm
// rates (NORMAL, and NORMAL+WATCH, raised to ELEVATED_CONCERN or HIGH_RISK).
// By default the service's classifier runs: rules + sentence encoder + learned head (the model from
// .haven/models, SAFETY_ENCODER_MODEL_DIR). --no-encoder: rules + naive Bayes (SAFETY_ENCODER=off).
// --rules-only: the rules alone. --errors lists every misclassified message with its signals.
//
// --cv: 5-fold stratified cross-validation of the head over the training files (trainingData.mjs),
// with the shipped thresholds: out-of-fold metrics for the calibration files (where train.mjs chose
// the thresholds), overall and per source file. The rules were written while looking at the older
// files, so the rule features are not blind there.
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headInputsFor, matrixOf, outOfFold, predict, printBySource, printErrors, printReport } from './headTraining.mjs';
import { CALIBRATION_FILES, calibrationIndices, FIXTURES, readJsonLines, TEST_FILE, trainingRows } from './trainingData.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { createClassifier, loadRiskClassifier } = require(join(here, '../dist/classifier/index.js'));
const { RISK_HEAD } = require(join(here, '../dist/classifier/model/riskHeadData.js'));
const { encoderModelPath } = require(join(here, '../dist/config.js'));

const args = process.argv.slice(2);
const valueOf = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const showErrors = args.includes('--errors');
const only = valueOf('--only');
const valued = new Set(['--only'].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
const explicit = args.filter((a, i) => !a.startsWith('--') && !valued.has(i));
const defaults = { test: join(FIXTURES, TEST_FILE), dev: join(FIXTURES, 'safety-devset.jsonl'), holdout: join(FIXTURES, 'safety-devset-holdout.jsonl') };
if (only && !defaults[only]) throw new Error(`--only ${only}: choose one of ${Object.keys(defaults).join(', ')}`);
const files = explicit.length > 0 ? explicit : [defaults[only ?? 'test']];

async function classifierFor() {
  if (args.includes('--rules-only') || args.includes('--no-encoder')) {
    const rules = createClassifier(args.includes('--rules-only') ? { model: null } : {});
    return { name: args.includes('--rules-only') ? 'rules only' : 'rules + naive Bayes', classifyBatch: async (inputs) => inputs.map((i) => rules.classify(i.text, i.history)) };
  }
  const modelDir = encoderModelPath(process.env.SAFETY_ENCODER_MODEL_DIR || '.haven/models/all-minilm-l6-v2');
  const classifier = await loadRiskClassifier(modelDir, { threads: 2 });
  return { name: 'rules + sentence encoder head', classifyBatch: (inputs) => classifier.classifyBatch(inputs) };
}

async function evaluateFiles() {
  const classifier = await classifierFor();
  for (const file of files) {
    const rows = readJsonLines(file);
    const got = await classifier.classifyBatch(rows.map((r) => ({ text: r.text, history: r.history ?? [] })));
    printReport(`${relative(process.cwd(), file)} (${rows.length} messages; ${classifier.name})`, matrixOf(rows, got.map((a) => a.level)));
    if (showErrors) printErrors(rows.map((r) => ({ ...r, source: relative(FIXTURES, file) })), got);
  }
}

async function crossValidate() {
  const rows = trainingRows();
  const inputs = await headInputsFor(rows);
  const { probabilities } = outOfFold(rows, inputs);
  const predictions = predict(inputs, probabilities, RISK_HEAD.thresholds);
  const levels = predictions.map((p) => p.level);
  const calibration = calibrationIndices(rows);
  printReport(`out of fold: calibration files ${CALIBRATION_FILES.join(' + ')}`, matrixOf(calibration.map((i) => rows[i]), calibration.map((i) => levels[i])));
  printReport(`5-fold stratified CV over ${rows.length} messages, thresholds ${JSON.stringify(RISK_HEAD.thresholds)}`, matrixOf(rows, levels));
  printBySource(rows, levels);
  if (showErrors) printErrors(rows, predictions, probabilities);
}

await (args.includes('--cv') ? crossValidate() : evaluateFiles());
