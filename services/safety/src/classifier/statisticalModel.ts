import naiveBayesTextClassifier from 'wink-naive-bayes-text-classifier';
import { RISK_LEVELS, type RiskLevel } from './riskLevel';

/**
 * The trained half of the classifier: a multinomial naive Bayes model (wink-naive-bayes-text-classifier)
 * over the bag of features of modelFeatures.ts. It is trained offline by scripts/train.mjs and
 * shipped as a JSON count table; loading it takes a few milliseconds and scoring a message
 * is a few hundred hash look-ups.
 */
export interface TrainingExample {
  readonly features: readonly string[];
  readonly label: RiskLevel;
}

/** Per-level log2 odds (the level against all others); > 0 means the model prefers that level. */
export type LevelOdds = Readonly<Record<RiskLevel, number>>;

export interface RiskModel {
  score(features: readonly string[]): LevelOdds;
}

/** The model file: wink's exported learnings plus the feature vocabulary it was pruned to. */
export interface RiskModelJson {
  readonly format: 'haven-risk-nb/1';
  readonly learnings: string;
}

/** Features seen in fewer training messages than this are dropped: they add size, not evidence. */
const MIN_DOCUMENT_FREQUENCY = 2;
const SMOOTHING = 0.5;

function isRiskLevel(label: string): label is RiskLevel {
  return (RISK_LEVELS as readonly string[]).includes(label);
}

/** Deterministic: the result depends only on the examples and their order. */
export function trainRiskModel(examples: readonly TrainingExample[]): RiskModelJson {
  const documentFrequency = new Map<string, number>();
  for (const ex of examples) for (const f of new Set(ex.features)) documentFrequency.set(f, (documentFrequency.get(f) ?? 0) + 1);
  const nb = naiveBayesTextClassifier();
  nb.defineConfig({ considerOnlyPresence: false, smoothingFactor: SMOOTHING });
  for (const ex of examples) {
    nb.learn(ex.features.filter((f) => (documentFrequency.get(f) ?? 0) >= MIN_DOCUMENT_FREQUENCY), ex.label);
  }
  return { format: 'haven-risk-nb/1', learnings: nb.exportJSON() };
}

export function loadRiskModel(json: RiskModelJson): RiskModel {
  if (json.format !== 'haven-risk-nb/1') throw new Error(`unknown risk model format: ${String(json.format)}`);
  const nb = naiveBayesTextClassifier();
  nb.importJSON(json.learnings);
  nb.consolidate();
  return {
    score(features) {
      const odds: Record<RiskLevel, number> = { NORMAL: 0, WATCH: 0, ELEVATED_CONCERN: 0, HIGH_RISK: 0 };
      for (const [label, value] of nb.computeOdds([...features])) if (isRiskLevel(label)) odds[label] = value;
      return odds;
    },
  };
}
