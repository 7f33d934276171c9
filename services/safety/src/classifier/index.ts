export { createClassifier } from './classifier';
export type { ClassifierOptions, RuleAnalysis, RuleClassifier } from './classifier';
export { createEncoderClassifier, loadRiskClassifier } from './encoderClassifier';
export type { ClassifyInput, EncoderClassifierOptions, HeadInputWithRules, RiskClassifier } from './encoderClassifier';
export { combineHeadWithRules } from './headCombination';
export { EMBEDDING_DIMENSION, featureCount, headFeatures, headScore, levelFromProbabilities, loadRiskHead, meanEmbedding, sentencesOf } from './riskHead';
export type { HeadInput, HeadMemberJson, HeadThresholds, RiskHead, RiskHeadJson } from './riskHead';
export { cosine, EncoderModelMissingError, loadSentenceEncoder, MAX_TOKENS } from './sentenceEncoder';
export type { EncoderOptions, SentenceEncoder } from './sentenceEncoder';
export { RISK_LEVELS, levelRank, maxLevel } from './riskLevel';
export type { Assessment, RiskLevel } from './riskLevel';

export { trainRiskModel, loadRiskModel } from './statisticalModel';
export type { LevelOdds, RiskModel, RiskModelJson, TrainingExample } from './statisticalModel';
export { combineWithModel, DEFAULT_THRESHOLDS } from './modelCombination';
export type { CombinationInput, Combined, ModelThresholds } from './modelCombination';
