import { createClassifier, type RiskClassifier } from './classifier';
import type { Assessment } from './riskLevel';

export { createClassifier } from './classifier';
export type { ClassifierOptions, RiskClassifier } from './classifier';
export { RISK_LEVELS, levelRank, maxLevel } from './riskLevel';
export type { Assessment, RiskLevel } from './riskLevel';

let shared: RiskClassifier | undefined;

/**
 * Classifies one user message, with the user's earlier messages of the session (oldest
 * first) as context. The first call loads the language model; use createClassifier() to
 * control when that cost is paid.
 */
export function classify(text: string, history: readonly string[] = []): Assessment {
  shared ??= createClassifier();
  return shared.classify(text, history);
}

export { trainRiskModel, loadRiskModel } from './statisticalModel';
export type { LevelOdds, RiskModel, RiskModelJson, TrainingExample } from './statisticalModel';
export { combineWithModel, DEFAULT_THRESHOLDS } from './modelCombination';
export type { CombinationInput, Combined, ModelThresholds } from './modelCombination';
