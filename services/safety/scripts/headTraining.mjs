// Training and cross-validation of the learned head (src/classifier/riskHead.ts), shared by
// train.mjs and evaluate.mjs --cv. Reads the built classifier (dist/), so build first.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stratifiedFolds } from './trainingData.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const safety = require(join(here, '../dist/classifier/index.js'));
const { encoderModelPath } = require(join(here, '../dist/config.js'));
export const { RISK_LEVELS, createEncoderClassifier, headFeatures, headScore, trainRiskHead, combineHeadWithRules, loadSentenceEncoder } = safety;

/** Head training settings: L2 chosen by scripts/train.mjs --search (out-of-fold log-loss). */
export const HEAD_TRAINING = { l2: 0.05, epochs: 300, learningRate: 0.02 };
/** A rule signal becomes a head feature when at least this many training messages carry it. */
const MIN_SIGNAL_ROWS = 3;

/** What the head needs for every row (rules analysis + embeddings), computed once. */
export async function headInputsFor(rows) {
  const modelDir = encoderModelPath(process.env.SAFETY_ENCODER_MODEL_DIR || '.haven/models/all-minilm-l6-v2');
  const encoder = await loadSentenceEncoder(modelDir, { threads: 2 });
  const started = performance.now();
  const classifier = createEncoderClassifier({ encoder, head: { version: 1, signals: [], mean: [], scale: [], weights: [], bias: [], thresholds: {} } });
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

export function fitHead(inputs, labels, options = HEAD_TRAINING) {
  const signals = signalVocabulary(inputs);
  const examples = inputs.map((input, i) => ({ x: headFeatures(input, signals), label: labels[i] }));
  return { ...trainRiskHead(examples, options), signals };
}

/** What the classifier does at run time: the message and each of its sentences, the most alarming wins (riskHead.ts headScore). */
export function probabilitiesOf(head, input) {
  return headScore(head, input);
}

/** Out-of-fold probabilities: each row scored by a head trained on the other folds. */
export function outOfFold(rows, inputs, k = 5, options = HEAD_TRAINING) {
  const fold = stratifiedFolds(rows, k);
  const probabilities = new Array(rows.length);
  for (let f = 0; f < k; f++) {
    const train = rows.map((_, i) => i).filter((i) => fold[i] !== f);
    const head = fitHead(train.map((i) => inputs[i]), train.map((i) => rows[i].label), options);
    rows.forEach((_, i) => {
      if (fold[i] === f) probabilities[i] = probabilitiesOf(head, inputs[i]);
    });
  }
  return { probabilities, fold };
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
export function printTradeOff(rows, probabilities) {
  const nNormal = rows.filter((r) => r.label === 'NORMAL').length;
  const nHigh = rows.filter((r) => r.label === 'HIGH_RISK').length;
  const points = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5].map((t) => {
    const recall = rows.filter((r, i) => r.label === 'HIGH_RISK' && probabilities[i][3] >= t).length / nHigh;
    const alarms = rows.filter((r, i) => r.label === 'NORMAL' && probabilities[i][3] >= t).length / nNormal;
    return `p≥${t}: recall ${recall.toFixed(3)}, NORMAL→HIGH ${(100 * alarms).toFixed(1)}%`;
  });
  console.log(`
trade-off (head alone, out of fold):
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
