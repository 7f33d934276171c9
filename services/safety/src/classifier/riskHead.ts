import { RISK_LEVELS, type RiskLevel } from './riskLevel';

/**
 * The learned head of the offline classifier: a small ensemble of one-hidden-layer neural networks
 * (ReLU, softmax over the four levels; their probabilities are averaged) over
 *
 *   [ sentence embedding of the message | mean embedding of the last history messages |
 *     has-history flag | the rules' level (one-hot) | the rules' signals (0/1 per known code) ]
 *
 * The encoder supplies what rules cannot enumerate (indirect, euphemistic and slangy phrasing);
 * the rule features supply what a sentence embedding blurs (negation scope, idioms, context codes
 * from earlier messages). The hidden layer lets the head learn interactions a linear head cannot,
 * e.g. "a bare 'ok' is ordinary unless the history holds a plan" (ADR 0009). Trained with
 * scikit-learn by scripts/train.mjs (scripts/train_head.py) into model/riskHeadData.ts. Inference
 * here is pure: no I/O, deterministic.
 */
export interface RiskHeadJson {
  readonly version: 2;
  /** Rule signal codes, in feature order (learnt from the training data). */
  readonly signals: readonly string[];
  /** Input width: 2 × 384 + 1 + 4 + signals.length. */
  readonly inputs: number;
  readonly members: readonly HeadMemberJson[];
  readonly thresholds: HeadThresholds;
}

/** One network: weights as base64 of little-endian float32, row-major. */
export interface HeadMemberJson {
  readonly hidden: number;
  /** hidden × inputs */
  readonly w1: string;
  readonly b1: readonly number[];
  /** 4 × hidden */
  readonly w2: string;
  readonly b2: readonly number[];
}

/**
 * How the head's probabilities map to a level (chosen in train.mjs on the calibration set).
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

function float32s(base64: string, length: number, what: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== length * 4) throw new Error(`risk head: ${what} holds ${bytes.length / 4} weights, expected ${length}`);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

interface Member {
  readonly hidden: number;
  readonly w1: Float32Array;
  readonly b1: Float64Array;
  readonly w2: Float32Array;
  readonly b2: Float64Array;
}

/** A head ready to score: weights decoded once. */
export interface RiskHead {
  readonly signals: readonly string[];
  readonly thresholds: HeadThresholds;
  /** Probabilities of [NORMAL, WATCH, ELEVATED_CONCERN, HIGH_RISK] for a raw feature vector. */
  probabilities(x: Float64Array): number[];
}

/** Decodes and checks a trained head (model/riskHeadData.ts or one written by train.mjs). */
export function loadRiskHead(json: RiskHeadJson): RiskHead {
  if (json.version !== 2) throw new Error(`risk head: version ${String(json.version)} is not supported (expected 2); retrain with scripts/train.mjs`);
  const inputs = featureCount(json.signals);
  if (json.inputs !== inputs) throw new Error(`risk head: ${json.inputs} inputs, but ${inputs} features for ${json.signals.length} signals`);
  if (json.members.length === 0) throw new Error('risk head: no ensemble members');
  const levels = RISK_LEVELS.length;
  const members: Member[] = json.members.map((m, i) => {
    if (m.b1.length !== m.hidden || m.b2.length !== levels) throw new Error(`risk head: member ${i} has malformed biases`);
    return {
      hidden: m.hidden,
      w1: float32s(m.w1, m.hidden * inputs, `member ${i} w1`),
      b1: Float64Array.from(m.b1),
      w2: float32s(m.w2, levels * m.hidden, `member ${i} w2`),
      b2: Float64Array.from(m.b2),
    };
  });
  const h = new Float64Array(Math.max(...members.map((m) => m.hidden)));
  const z = new Float64Array(levels);
  return {
    signals: json.signals,
    thresholds: json.thresholds,
    probabilities(x) {
      if (x.length !== inputs) throw new Error(`risk head: got ${x.length} features, expected ${inputs}`);
      const mean = new Array<number>(levels).fill(0);
      for (const m of members) {
        for (let u = 0; u < m.hidden; u++) {
          let s = m.b1[u]!;
          const row = u * inputs;
          for (let j = 0; j < inputs; j++) s += m.w1[row + j]! * x[j]!;
          h[u] = s > 0 ? s : 0;
        }
        for (let k = 0; k < levels; k++) {
          let s = m.b2[k]!;
          const row = k * m.hidden;
          for (let u = 0; u < m.hidden; u++) s += m.w2[row + u]! * h[u]!;
          z[k] = s;
        }
        softmax(z).forEach((p, k) => (mean[k]! += p / members.length));
      }
      return mean;
    },
  };
}

/**
 * The head's probabilities for a message: those of the whole message, or of one of its sentences
 * when that sentence reads as more likely HIGH_RISK. Mean pooling over a long message dilutes one
 * crisis clause among ordinary ones; scoring the sentences too (with the same history and rule
 * features) finds it. The sentence embeddings are pooled from the same encoder pass as the whole
 * message (sentenceEncoder.embedSegments), so they cost no extra inference.
 */
export function headScore(model: RiskHead, input: HeadInput): number[] {
  let best = model.probabilities(headFeatures(input, model.signals));
  for (const sentence of input.sentences ?? []) {
    const p = model.probabilities(headFeatures({ ...input, message: sentence }, model.signals));
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

