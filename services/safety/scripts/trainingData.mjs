// Shared by train.mjs and evaluate.mjs --cv: the labelled files the models learn from, the
// calibration files and the deterministic stratified folds (ADR 0010).
//   - CALIBRATION_FILES (blind sets 3 to 6) are training files too; the level thresholds are
//     chosen on their out-of-fold probabilities (train.mjs), never on in-sample ones.
//   - TEST_FILE (blind set 7) is written blind and never trained, tuned or calibrated on;
//     evaluate.mjs measures it. It may not appear in TRAINING_FILES.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '../test/fixtures');
/**
 * The naive Bayes fallback (rules + NB, SAFETY_ENCODER=off) keeps learning from the files its
 * combination thresholds were tuned on. Trained on the later files too, it reads an ordinary
 * "see you next week, goodbye!" as HIGH_RISK: those files teach the history-aware head that a mild
 * line after a crisis is HIGH_RISK, which a bag of words without history cannot represent.
 */
export const NAIVE_BAYES_FILES = [
  'safety-devset.jsonl',
  'safety-devset-holdout.jsonl',
  'safety-blindset.jsonl',
  'safety-blindset2.jsonl',
  'safety-trainset2.jsonl',
  'safety-trainset3.jsonl',
];
/** Everything the head learns from. */
export const TRAINING_FILES = [
  ...NAIVE_BAYES_FILES,
  'safety-trainset4-everyday.jsonl',
  'safety-trainset4-hardnormal.jsonl',
  'safety-trainset4-distress.jsonl',
  'safety-trainset4-high.jsonl',
  'safety-blindset3.jsonl',
  'safety-blindset4.jsonl',
  'safety-trainset5-context.jsonl',
  'safety-trainset5-high.jsonl',
  'safety-trainset5-ordinary.jsonl',
  'safety-blindset5.jsonl',
  'safety-blindset6.jsonl',
  'safety-trainset6-ordinary.jsonl',
  'safety-trainset6-high.jsonl',
];
/**
 * The thresholds are chosen on these files' out-of-fold probabilities: messages written blind
 * (from SAFETY_LEVELS.md alone) in the natural mix of levels, which the rules were never written
 * against. The targeted training files (contrastive pairs, hard negatives) would skew the choice.
 */
export const CALIBRATION_FILES = ['safety-blindset3.jsonl', 'safety-blindset4.jsonl', 'safety-blindset5.jsonl', 'safety-blindset6.jsonl'];
export const TEST_FILE = 'safety-blindset7.jsonl';

export function readJsonLines(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

/** The labelled training rows, each with its `source` file name. A training file not yet written is left out (with a note). */
export function trainingRows(files = TRAINING_FILES) {
  return files.flatMap((name) => {
    if (name === TEST_FILE) throw new Error(`${name} is the test set: never train on it`);
    const file = join(FIXTURES, name);
    if (!existsSync(file)) {
      console.error(`note: ${name} is not there yet; training without it`);
      return [];
    }
    return readJsonLines(file).map((row) => ({ ...row, source: name }));
  });
}

/** Indices of the rows from the calibration files, where the thresholds are chosen. */
export function calibrationIndices(rows) {
  return rows.flatMap((row, i) => (CALIBRATION_FILES.includes(row.source) ? [i] : []));
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
