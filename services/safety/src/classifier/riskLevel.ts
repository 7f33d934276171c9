/** The four safety levels of SAFETY_LEVELS.md, lowest first. */
export type RiskLevel = 'NORMAL' | 'WATCH' | 'ELEVATED_CONCERN' | 'HIGH_RISK';

export const RISK_LEVELS: readonly RiskLevel[] = ['NORMAL', 'WATCH', 'ELEVATED_CONCERN', 'HIGH_RISK'];

/** What the classifier says about one message. */
export interface Assessment {
  readonly level: RiskLevel;
  /** Short stable codes that explain the level, e.g. `self_harm_intent`, `timeframe_imminent`, `slang:kms`. */
  readonly signals: string[];
  /** 0..1, how sure the rules are about `level` (not a calibrated probability). */
  readonly confidence: number;
}

export function levelRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

export function maxLevel(a: RiskLevel, b: RiskLevel): RiskLevel {
  return levelRank(a) >= levelRank(b) ? a : b;
}
