// Training and cross-validation of the learned head (src/classifier/riskHead.ts), shared by
// train.mjs and evaluate.mjs --cv. Reads the built classifier (dist/), so build first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stratifiedFolds } from './trainingData.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const require = createRequire(import.meta.url);
const safety = require(join(here, '../dist/classifier/index.js'));
const { encoderModelPath } = require(join(here, '../dist/config.js'));
export const { RISK_LEVELS, createEncoderClassifier, featureCount, headFeatures, headScore, loadRiskHead, combineHeadWithRules, loadSentenceEncoder } = safety;

/**
 * Head training settings (scripts/train_head.py): an ensemble of `members` networks with one
 * hidden layer of `hidden` ReLU units, L2 penalty `alpha`, `max_iter` Adam epochs. Chosen by
 * comparison on the calibration data: alpha 0.1 / 0.3 / 0.03 / 0.01 gave NORMAL false alarms of
 * 7.8% / 13.3% / 5.0% / 3.9% at HIGH_RISK recall 0.98-0.99 on blind set 3 (ADR 0009); out of fold on
 * blind sets 3 + 4 at recall 0.98, five members raised 5.0% of NORMAL messages, three 6.1% (ADR 0010).
 * `rule_dropout`: the share of training rows added once more as if the rules had seen nothing
 * (train_head.py); out of fold on blind sets 3-6 at recall 0.98, 1 raised 4.3% of NORMAL messages,
 * 0 raised 5.2% (three members each, ADR 0011).
 */
export const HEAD_TRAINING = { hidden: 256, alpha: 0.01, members: 5, max_iter: 400, rule_dropout: 1 };

/** HEAD_TRAINING with overrides from the command line (--hidden N --alpha X --members N --max-iter N --rule-dropout X), for comparisons. */
export function headTrainingFrom(args) {
  const value = (flag, { zero = false } = {}) => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const n = Number(args[i + 1]);
    if (!Number.isFinite(n) || n < 0 || (n === 0 && !zero)) throw new Error(`${flag} needs a ${zero ? 'non-negative' : 'positive'} number, got ${args[i + 1]}`);
    return n;
  };
  const ruleDropout = value('--rule-dropout', { zero: true });
  if (ruleDropout !== undefined && ruleDropout > 1) throw new Error(`--rule-dropout is a share of the rows, from 0 to 1; got ${ruleDropout}`);
  return {
    hidden: value('--hidden') ?? HEAD_TRAINING.hidden,
    alpha: value('--alpha') ?? HEAD_TRAINING.alpha,
    members: value('--members') ?? HEAD_TRAINING.members,
    max_iter: value('--max-iter') ?? HEAD_TRAINING.max_iter,
    rule_dropout: ruleDropout ?? HEAD_TRAINING.rule_dropout,
  };
}
/** A rule signal becomes a head feature when at least this many training messages carry it. */
const MIN_SIGNAL_ROWS = 3;

/** What the head needs for every row (rules analysis + embeddings), computed once. */
export async function headInputsFor(rows) {
  const modelDir = encoderModelPath(process.env.SAFETY_ENCODER_MODEL_DIR || '.haven/models/all-minilm-l6-v2');
  const encoder = await loadSentenceEncoder(modelDir, { threads: 2 });
  const started = performance.now();
  const classifier = createEncoderClassifier({ encoder });
  const inputs = await classifier.headInputs(rows.map((r) => ({ text: r.text, history: r.history ?? [] })));
  console.error(`embedded and analysed ${rows.length} messages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await encoder.release();
  return inputs;
}

export function signalVocabulary(inputs) {
  const counts = new Map();
  for (const input of inputs) for (const s of new Set(input.signals)) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].filter(([, n]) => n >= MIN_SIGNAL_ROWS).map(([s]) => s).sort();
}

/**
 * The Python that trains the head: a virtualenv in .haven/venv-train with the pinned
 * scripts/requirements-train.txt (from PyPI), created on first use and reused while the pins match.
 */
function trainingPython() {
  const venv = join(root, '.haven/venv-train');
  const python = join(venv, 'bin/python');
  const requirements = join(here, 'requirements-train.txt');
  const stamp = join(venv, '.requirements');
  const wanted = readFileSync(requirements, 'utf8');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return python;
  console.error(`setting up ${relative(process.cwd(), venv)} (numpy, scikit-learn from PyPI) for head training…`);
  try {
    if (!existsSync(python)) execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements], { stdio: 'inherit' });
  } catch (error) {
    throw new Error(`could not prepare the head-training Python (python3 with venv and pip, and PyPI access, are needed): ${error.message}`);
  }
  writeFileSync(stamp, wanted);
  return python;
}

/**
 * Trains one head per subset of rows (indices into inputs/labels) with scikit-learn and returns
 * them as RiskHeadJson without thresholds. The features are exactly what the classifier computes
 * at run time (headFeatures), so Python and TypeScript see the same numbers.
 */
export function fitHeads(inputs, labels, subsets, options = HEAD_TRAINING) {
  const signals = signalVocabulary(inputs);
  const width = featureCount(signals);
  const matrix = (toFeatures) => {
    const out = new Float32Array(inputs.length * width);
    inputs.forEach((input, i) => out.set(toFeatures(input), i * width));
    return Buffer.from(out.buffer);
  };
  const work = mkdtempSync(join(tmpdir(), 'haven-head-'));
  try {
    writeFileSync(join(work, 'features.f32'), matrix((input) => headFeatures(input, signals)));
    // The copies for rule-feature dropout: the same rows as the classifier would see them had the rules found nothing.
    if (options.rule_dropout > 0) writeFileSync(join(work, 'rules-blind.f32'), matrix((input) => headFeatures({ ...input, ruleLevel: 'NORMAL', signals: [] }, signals)));
    writeFileSync(join(work, 'job.json'), JSON.stringify({ rows: inputs.length, inputs: width, labels: labels.map((l) => RISK_LEVELS.indexOf(l)), subsets, ...options }));
    execFileSync(trainingPython(), [join(here, 'train_head.py'), work], { stdio: ['ignore', 'inherit', 'inherit'] });
    const heads = JSON.parse(readFileSync(join(work, 'heads.json'), 'utf8'));
    return heads.map((h) => ({ version: 2, signals, inputs: width, members: h.members }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const NO_THRESHOLDS = { high: 1, elevated: 1, watch: 1, ruleHighFloor: 1 };

/** What the classifier does at run time: the message and each of its sentences, the most alarming wins (riskHead.ts headScore). */
export function probabilitiesOf(head, inputs) {
  const model = loadRiskHead({ thresholds: NO_THRESHOLDS, ...head });
  return inputs.map((input) => headScore(model, input));
}

/**
 * Out-of-fold probabilities: each row scored by a head trained on the other folds. With
 * `final: true` the head on all rows is fitted in the same run and returned as `head`.
 */
export function outOfFold(rows, inputs, { k = 5, options = HEAD_TRAINING, final = false } = {}) {
  const fold = stratifiedFolds(rows, k);
  const folds = Array.from({ length: k }, (_, f) => f);
  const all = rows.map((_, i) => i);
  const subsets = folds.map((f) => all.filter((i) => fold[i] !== f));
  const heads = fitHeads(inputs, rows.map((r) => r.label), final ? [...subsets, all] : subsets, options);
  const probabilities = new Array(rows.length);
  for (const f of folds) {
    const idx = all.filter((i) => fold[i] === f);
    probabilitiesOf(heads[f], idx.map((i) => inputs[i])).forEach((p, n) => {
      probabilities[idx[n]] = p;
    });
  }
  return { probabilities, fold, head: final ? heads[k] : undefined };
}

export function logLoss(rows, probabilities) {
  return -rows.reduce((n, row, i) => n + Math.log(Math.max(1e-12, probabilities[i][RISK_LEVELS.indexOf(row.label)])), 0) / rows.length;
}

export function predict(inputs, probabilities, thresholds) {
  return inputs.map((input, i) => combineHeadWithRules({ probabilities: probabilities[i], rules: input.rules }, thresholds));
}

export function emptyMatrix() {
  return Object.fromEntries(RISK_LEVELS.map((g) => [g, Object.fromEntries(RISK_LEVELS.map((p) => [p, 0]))]));
}

export function matrixOf(rows, levels) {
  const m = emptyMatrix();
  rows.forEach((row, i) => {
    m[row.label][levels[i]] += 1;
  });
  return m;
}

/** Per-level precision/recall, HIGH_RISK recall and the two false-alarm rates of the bar. */
export function metricsOf(matrix) {
  const total = (g) => RISK_LEVELS.reduce((n, p) => n + matrix[g][p], 0);
  const perLevel = {};
  for (const l of RISK_LEVELS) {
    const predicted = RISK_LEVELS.reduce((n, g) => n + matrix[g][l], 0);
    const support = total(l);
    perLevel[l] = { precision: predicted ? matrix[l][l] / predicted : 0, recall: support ? matrix[l][l] / support : 0, support };
  }
  const raised = (g) => matrix[g].ELEVATED_CONCERN + matrix[g].HIGH_RISK;
  const normalTotal = total('NORMAL');
  const benignTotal = normalTotal + total('WATCH');
  const all = RISK_LEVELS.reduce((n, g) => n + total(g), 0);
  return {
    perLevel,
    highRecall: perLevel.HIGH_RISK.recall,
    normalAlarms: raised('NORMAL'),
    normalTotal,
    normalFalseAlarmRate: normalTotal ? raised('NORMAL') / normalTotal : 0,
    benignFalseAlarmRate: benignTotal ? (raised('NORMAL') + raised('WATCH')) / benignTotal : 0,
    accuracy: all ? RISK_LEVELS.reduce((n, l) => n + matrix[l][l], 0) / all : 0,
  };
}

const grid = (from, to, step) => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => Math.round((from + i * step) * 1000) / 1000);

/**
 * Picks the thresholds on out-of-fold probabilities. Preference, in order:
 *   1. HIGH_RISK recall >= target.highRecall and NORMAL→ELEVATED/HIGH <= target.normalFalseAlarms:
 *      best accuracy (ties: fewer false alarms);
 *   2. otherwise HIGH_RISK recall >= target.minHighRecall with the fewest NORMAL false alarms
 *      (SAFETY_LEVELS.md: judged first on never missing HIGH_RISK, second on false alarms), then
 *      the best accuracy among those within the same whole percentage point;
 *   3. otherwise the best HIGH_RISK recall.
 */
export function chooseThresholds(rows, inputs, probabilities, target = { highRecall: 0.98, normalFalseAlarms: 0.04, minHighRecall: 0.97 }) {
  const levelsFor = (t) => predict(inputs, probabilities, t).map((a) => a.level);
  const tier = (m) => (m.highRecall >= target.highRecall && m.normalFalseAlarmRate <= target.normalFalseAlarms ? 0 : m.highRecall >= target.minHighRecall ? 1 : 2);
  let best;
  const better = (a, b) => {
    if (!b) return true;
    const [ta, tb] = [tier(a.m), tier(b.m)];
    if (ta !== tb) return ta < tb;
    if (ta === 0) return a.m.accuracy > b.m.accuracy || (a.m.accuracy === b.m.accuracy && a.m.normalFalseAlarmRate < b.m.normalFalseAlarmRate);
    // False alarms in whole percentage points, so that accuracy (ELEVATED and WATCH recall) can break near-ties.
    const [fa, fb] = [Math.round(100 * a.m.normalFalseAlarmRate), Math.round(100 * b.m.normalFalseAlarmRate)];
    if (ta === 1) return fa < fb || (fa === fb && a.m.accuracy > b.m.accuracy);
    return a.m.highRecall > b.m.highRecall || (a.m.highRecall === b.m.highRecall && a.m.normalFalseAlarmRate < b.m.normalFalseAlarmRate);
  };
  // Stage 1: the alarm thresholds (watch fixed); stage 2: watch for the NORMAL/WATCH split.
  for (const ruleHighFloor of [0, 0.02, 0.05, 0.1, 0.2, 0.35, 1.01]) {
    for (const high of grid(0.04, 0.8, 0.02)) {
      for (const elevated of grid(0.1, 0.8, 0.05)) {
        const thresholds = { high, elevated, watch: 0.5, ruleHighFloor };
        const m = metricsOf(matrixOf(rows, levelsFor(thresholds)));
        const candidate = { thresholds, m, ok: tier(m) === 0 };
        if (better(candidate, best)) best = candidate;
      }
    }
  }
  for (const watch of grid(0.2, 0.8, 0.05)) {
    const thresholds = { ...best.thresholds, watch };
    const m = metricsOf(matrixOf(rows, levelsFor(thresholds)));
    if (better({ thresholds, m, ok: tier(m) === 0 }, best)) best = { thresholds, m, ok: tier(m) === 0 };
  }
  return best;
}

/** HIGH_RISK recall against NORMAL false alarms as the HIGH threshold moves (rules floor off): the trade-off to decide on. */
export function printTradeOff(rows, probabilities, title = 'head alone') {
  const nNormal = rows.filter((r) => r.label === 'NORMAL').length;
  const nHigh = rows.filter((r) => r.label === 'HIGH_RISK').length;
  const points = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((t) => {
    const recall = rows.filter((r, i) => r.label === 'HIGH_RISK' && probabilities[i][3] >= t).length / nHigh;
    const alarms = rows.filter((r, i) => r.label === 'NORMAL' && probabilities[i][3] >= t).length / nNormal;
    return `p≥${t}: recall ${recall.toFixed(3)}, NORMAL→HIGH ${(100 * alarms).toFixed(1)}%`;
  });
  console.log(`
trade-off (${title}):
  ${points.join('\n  ')}`);
}

const short = { NORMAL: 'NORMAL', WATCH: 'WATCH', ELEVATED_CONCERN: 'ELEVATED', HIGH_RISK: 'HIGH' };
const pad = (s, n) => String(s).padStart(n);

export function printReport(title, matrix) {
  const m = metricsOf(matrix);
  console.log(`\n== ${title}`);
  console.log(`${'gold \\ predicted'.padEnd(18)}${RISK_LEVELS.map((l) => pad(short[l], 10)).join('')}`);
  for (const g of RISK_LEVELS) console.log(`${short[g].padEnd(18)}${RISK_LEVELS.map((p) => pad(matrix[g][p], 10)).join('')}`);
  console.log(`${'level'.padEnd(18)}${pad('precision', 10)}${pad('recall', 10)}${pad('support', 10)}`);
  for (const l of RISK_LEVELS) {
    const x = m.perLevel[l];
    console.log(`${short[l].padEnd(18)}${pad(x.precision.toFixed(3), 10)}${pad(x.recall.toFixed(3), 10)}${pad(x.support, 10)}`);
  }
  console.log(`HIGH_RISK recall ${m.highRecall.toFixed(3)} (${matrix.HIGH_RISK.HIGH_RISK}/${m.perLevel.HIGH_RISK.support}); NORMAL→ELEVATED/HIGH ${(100 * m.normalFalseAlarmRate).toFixed(1)}% (${m.normalAlarms}/${m.normalTotal}); NORMAL+WATCH→E/H ${(100 * m.benignFalseAlarmRate).toFixed(1)}%; accuracy ${m.accuracy.toFixed(3)}`);
  return m;
}

/** One report per source file of the rows (out-of-fold levels, for instance). */
export function printBySource(rows, levels, title = 'out of fold') {
  for (const source of [...new Set(rows.map((r) => r.source))]) {
    const idx = rows.flatMap((r, i) => (r.source === source ? [i] : []));
    printReport(`${title}: ${source} (${idx.length})`, matrixOf(idx.map((i) => rows[i]), idx.map((i) => levels[i])));
  }
}

export function printErrors(rows, predictions, probabilities) {
  console.log('\nmisclassified:');
  rows.forEach((row, i) => {
    const got = predictions[i];
    if (got.level === row.label) return;
    const history = row.history?.length ? `  [history: ${row.history.join(' | ')}]` : '';
    const p = probabilities ? ` p=${probabilities[i].map((x) => x.toFixed(2)).join('/')}` : '';
    console.log(`  ${row.source}:${row.id} ${short[row.label]} → ${short[got.level]}${p}: ${row.text}${history}  {${got.signals.join(', ')}}`);
  });
}
