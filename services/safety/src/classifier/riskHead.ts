import { RISK_LEVELS, type RiskLevel } from './riskLevel';

/**
 * The learned head of the offline classifier: multinomial logistic regression over
 *
 *   [ sentence embedding of the message | mean embedding of the last history messages |
 *     has-history flag | the rules' level (one-hot) | the rules' signals (0/1 per known code) ]
 *
 * The encoder supplies what rules cannot enumerate (indirect, euphemistic and slangy phrasing);
 * the rule features supply what a sentence embedding blurs (negation scope, idioms, context
 * codes from earlier messages). Pure: no I/O, deterministic. Trained by scripts/train.mjs into
 * model/riskHeadData.ts.
 */
export interface RiskHeadJson {
  readonly version: 1;
  /** Rule signal codes, in feature order (learnt from the training data). */
  readonly signals: readonly string[];
  /** Per-feature standardisation: x' = (x - mean) / scale. */
  readonly mean: readonly number[];
  readonly scale: readonly number[];
  /** weights[level][feature], levels in RISK_LEVELS order. */
  readonly weights: readonly (readonly number[])[];
  readonly bias: readonly number[];
  readonly thresholds: HeadThresholds;
}

/**
 * How the head's probabilities map to a level (chosen by out-of-fold cross-validation in train.mjs).
 * p = [NORMAL, WATCH, ELEVATED_CONCERN, HIGH_RISK].
 */
export interface HeadThresholds {
  /** HIGH_RISK when p[HIGH] >= high. */
  readonly high: number;
  /** Otherwise ELEVATED_CONCERN when p[ELEVATED] + p[HIGH] >= elevated. */
  readonly elevated: number;
  /** Otherwise WATCH when p[WATCH] / (p[NORMAL] + p[WATCH]) >= watch. */
  readonly watch: number;
  /** A HIGH_RISK from the rules stands when p[HIGH] >= ruleHighFloor (see headCombination.ts). */
  readonly ruleHighFloor: number;
}

export interface HeadInput {
  readonly message: Float32Array;
  /** Embeddings of the message's sentences (in context) when it has more than one (else empty); see headScore. */
  readonly sentences?: readonly Float32Array[];
  /** Mean of the recent history embeddings (unit length), or null for the first message of a session. */
  readonly history: Float32Array | null;
  readonly ruleLevel: RiskLevel;
  /** Rule signals of the message and context codes from history (e.g. `context:prior_method`). */
  readonly signals: Iterable<string>;
}

export const EMBEDDING_DIMENSION = 384;

export function featureCount(signals: readonly string[]): number {
  return 2 * EMBEDDING_DIMENSION + 1 + RISK_LEVELS.length + signals.length;
}

/** The raw (unstandardised) feature vector of one message. */
export function headFeatures(input: HeadInput, signalCodes: readonly string[]): Float64Array {
  const x = new Float64Array(featureCount(signalCodes));
  x.set(input.message.subarray(0, EMBEDDING_DIMENSION), 0);
  if (input.history) x.set(input.history.subarray(0, EMBEDDING_DIMENSION), EMBEDDING_DIMENSION);
  let at = 2 * EMBEDDING_DIMENSION;
  x[at++] = input.history ? 1 : 0;
  x[at + RISK_LEVELS.indexOf(input.ruleLevel)] = 1;
  at += RISK_LEVELS.length;
  const index = new Map(signalCodes.map((code, i) => [code, at + i]));
  for (const code of input.signals) {
    const i = index.get(code);
    if (i !== undefined) x[i] = 1;
  }
  return x;
}

/** Mean of unit vectors, renormalised; null when there are none. */
export function meanEmbedding(vectors: readonly Float32Array[]): Float32Array | null {
  if (vectors.length === 0) return null;
  const out = new Float32Array(EMBEDDING_DIMENSION);
  for (const v of vectors) for (let d = 0; d < EMBEDDING_DIMENSION; d++) out[d]! += v[d]!;
  let norm = 0;
  for (let d = 0; d < EMBEDDING_DIMENSION; d++) norm += out[d]! * out[d]!;
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < EMBEDDING_DIMENSION; d++) out[d]! /= norm;
  return out;
}

function softmax(z: Float64Array): number[] {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  const e = Array.from(z, (v) => {
    const x = Math.exp(v - max);
    sum += x;
    return x;
  });
  return e.map((v) => v / sum);
}

/** Probabilities of [NORMAL, WATCH, ELEVATED_CONCERN, HIGH_RISK] for a raw feature vector. */
export function headProbabilities(model: Pick<RiskHeadJson, 'mean' | 'scale' | 'weights' | 'bias'>, x: Float64Array): number[] {
  const z = new Float64Array(RISK_LEVELS.length);
  for (let k = 0; k < RISK_LEVELS.length; k++) {
    const w = model.weights[k]!;
    let s = model.bias[k]!;
    for (let j = 0; j < x.length; j++) s += w[j]! * ((x[j]! - model.mean[j]!) / model.scale[j]!);
    z[k] = s;
  }
  return softmax(z);
}

/**
 * The head's probabilities for a message: those of the whole message, or of one of its sentences
 * when that sentence reads as more likely HIGH_RISK. Mean pooling over a long message dilutes one
 * crisis clause among ordinary ones; scoring the sentences too (with the same history and rule
 * features) finds it. The sentence embeddings are pooled from the same encoder pass as the whole
 * message (sentenceEncoder.embedSegments), so they cost no extra inference.
 */
export function headScore(model: Pick<RiskHeadJson, 'mean' | 'scale' | 'weights' | 'bias' | 'signals'>, input: HeadInput): number[] {
  let best = headProbabilities(model, headFeatures(input, model.signals));
  for (const sentence of input.sentences ?? []) {
    const p = headProbabilities(model, headFeatures({ ...input, message: sentence }, model.signals));
    if (p[3]! > best[3]!) best = p;
  }
  return best;
}

/** Sentences of a message worth scoring on their own (two words or more); none when it is a single sentence. */
export function sentencesOf(text: string, limit = 8): string[] {
  const parts = text
    .split(/(?<=[.!?;])\s+|\n+|\s+[—–-]\s+/)
    .map((s) => s.trim())
    .filter((s) => s.split(/\s+/).length >= 2);
  return parts.length > 1 ? parts.slice(0, limit) : [];
}

export function levelFromProbabilities(p: readonly number[], t: HeadThresholds): RiskLevel {
  const [normal = 0, watch = 0, elevated = 0, high = 0] = p;
  if (high >= t.high) return 'HIGH_RISK';
  if (elevated + high >= t.elevated) return 'ELEVATED_CONCERN';
  return watch / (normal + watch || 1) >= t.watch ? 'WATCH' : 'NORMAL';
}

export interface TrainingOptions {
  /** L2 penalty on the weights (not the biases). */
  readonly l2: number;
  readonly epochs?: number;
  readonly learningRate?: number;
  /** Loss weight per level (RISK_LEVELS order); default: inverse level frequency, normalised to mean 1. */
  readonly levelWeights?: readonly number[];
}

export interface HeadExample {
  readonly x: Float64Array;
  readonly label: RiskLevel;
}

export type TrainedHead = Pick<RiskHeadJson, 'mean' | 'scale' | 'weights' | 'bias'>;

/**
 * Fits the head by full-batch Adam on the class-weighted cross-entropy + L2. Deterministic: zero
 * initial weights, a fixed number of epochs, a fixed summation order, so the same examples give
 * the same weights on every run and machine.
 */
export function trainRiskHead(examples: readonly HeadExample[], options: TrainingOptions): TrainedHead {
  const n = examples.length;
  if (n === 0) throw new Error('no training examples');
  const dim = examples[0]!.x.length;
  const levels = RISK_LEVELS.length;
  const epochs = options.epochs ?? 300;
  const lr = options.learningRate ?? 0.02;

  const mean = new Array<number>(dim).fill(0);
  const scale = new Array<number>(dim).fill(0);
  for (const { x } of examples) for (let j = 0; j < dim; j++) mean[j]! += x[j]! / n;
  for (const { x } of examples) for (let j = 0; j < dim; j++) scale[j]! += (x[j]! - mean[j]!) ** 2 / n;
  // A constant feature (a signal never seen in this fold) keeps scale 1: it contributes nothing.
  for (let j = 0; j < dim; j++) scale[j] = Math.sqrt(scale[j]!) || 1;
  const xs = examples.map(({ x }) => Float64Array.from(x, (v, j) => (v - mean[j]!) / scale[j]!));
  const ys = examples.map(({ label }) => RISK_LEVELS.indexOf(label));

  const counts = RISK_LEVELS.map((_, k) => ys.filter((y) => y === k).length);
  const rawWeights = options.levelWeights ?? counts.map((c) => (c > 0 ? n / (levels * c) : 0));
  const sampleWeight = ys.map((y) => rawWeights[y]!);
  const totalWeight = sampleWeight.reduce((a, b) => a + b, 0);

  const W = Array.from({ length: levels }, () => new Float64Array(dim));
  const b = new Float64Array(levels);
  const mW = Array.from({ length: levels }, () => new Float64Array(dim));
  const vW = Array.from({ length: levels }, () => new Float64Array(dim));
  const mb = new Float64Array(levels);
  const vb = new Float64Array(levels);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const gW = Array.from({ length: levels }, () => new Float64Array(dim));
  const gb = new Float64Array(levels);
  const z = new Float64Array(levels);

  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let k = 0; k < levels; k++) {
      gW[k]!.fill(0);
      gb[k] = 0;
    }
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      for (let k = 0; k < levels; k++) {
        const w = W[k]!;
        let s = b[k]!;
        for (let j = 0; j < dim; j++) s += w[j]! * x[j]!;
        z[k] = s;
      }
      const p = softmax(z);
      const weight = sampleWeight[i]! / totalWeight;
      for (let k = 0; k < levels; k++) {
        const err = (p[k]! - (ys[i] === k ? 1 : 0)) * weight;
        if (err === 0) continue;
        const g = gW[k]!;
        for (let j = 0; j < dim; j++) g[j]! += err * x[j]!;
        gb[k]! += err;
      }
    }
    const correction1 = 1 - beta1 ** epoch;
    const correction2 = 1 - beta2 ** epoch;
    for (let k = 0; k < levels; k++) {
      const w = W[k]!;
      const g = gW[k]!;
      const m = mW[k]!;
      const v = vW[k]!;
      for (let j = 0; j < dim; j++) {
        const grad = g[j]! + options.l2 * w[j]!;
        m[j] = beta1 * m[j]! + (1 - beta1) * grad;
        v[j] = beta2 * v[j]! + (1 - beta2) * grad * grad;
        w[j]! -= (lr * (m[j]! / correction1)) / (Math.sqrt(v[j]! / correction2) + eps);
      }
      mb[k] = beta1 * mb[k]! + (1 - beta1) * gb[k]!;
      vb[k] = beta2 * vb[k]! + (1 - beta2) * gb[k]! * gb[k]!;
      b[k]! -= (lr * (mb[k]! / correction1)) / (Math.sqrt(vb[k]! / correction2) + eps);
    }
  }
  return { mean, scale, weights: W.map((w) => Array.from(w)), bias: Array.from(b) };
}
