// Shared by train.mjs and evaluate.mjs --cv: the labelled files the models learn from, the
// calibration set and the deterministic stratified folds.
//   - safety-blindset3.jsonl is the CALIBRATION set: the head never trains on it; the level
//     thresholds are chosen on it (train.mjs).
//   - safety-blindset4.jsonl is the TEST set: written blind, never trained, tuned or calibrated on;
//     evaluate.mjs measures it. Neither may appear in TRAINING_FILES.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '../test/fixtures');
export const TRAINING_FILES = [
  'safety-devset.jsonl',
  'safety-devset-holdout.jsonl',
  'safety-blindset.jsonl',
  'safety-blindset2.jsonl',
  'safety-trainset2.jsonl',
  'safety-trainset3.jsonl',
  'safety-trainset4-everyday.jsonl',
  'safety-trainset4-hardnormal.jsonl',
  'safety-trainset4-distress.jsonl',
  'safety-trainset4-high.jsonl',
];
/**
 * The naive Bayes fallback (rules + NB, SAFETY_ENCODER=off) keeps learning from the files its
 * combination thresholds were tuned on. Trained on the trainset4 files too, it reads an ordinary
 * "see you next week, goodbye!" as HIGH_RISK: those files teach the history-aware head that a mild
 * line after a crisis is HIGH_RISK, which a bag of words without history cannot represent.
 */
export const NAIVE_BAYES_FILES = TRAINING_FILES.filter((name) => !name.startsWith('safety-trainset4-'));
export const CALIBRATION_FILE = 'safety-blindset3.jsonl';
export const TEST_FILE = 'safety-blindset4.jsonl';
const HELD_OUT = /blindset[34]/;

export function readJsonLines(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

/** The labelled training rows, each with its `source` file name. A training file not yet written is left out (with a note). */
export function trainingRows(files = TRAINING_FILES) {
  return files.flatMap((name) => {
    if (HELD_OUT.test(name)) throw new Error(`${name} is the calibration or test set: never train on it`);
    const file = join(FIXTURES, name);
    if (!existsSync(file)) {
      console.error(`note: ${name} is not there yet; training without it`);
      return [];
    }
    return readJsonLines(file).map((row) => ({ ...row, source: name }));
  });
}

/** mulberry32: a tiny seeded PRNG, so folds are the same on every run and machine. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stratified k folds: each level is shuffled with a fixed seed and dealt round-robin. Returns fold index per row. */
export function stratifiedFolds(rows, k = 5, seed = 20240607) {
  const random = seeded(seed);
  const fold = new Array(rows.length).fill(0);
  const byLabel = new Map();
  rows.forEach((row, i) => byLabel.set(row.label, [...(byLabel.get(row.label) ?? []), i]));
  for (const label of [...byLabel.keys()].sort()) {
    const idx = byLabel.get(label);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    idx.forEach((rowIndex, n) => {
      fold[rowIndex] = n % k;
    });
  }
  return fold;
}
