import type { RuleAnalysis } from './classifier';
import { levelFromProbabilities, type HeadThresholds } from './riskHead';
import { levelRank, type Assessment, type RiskLevel } from './riskLevel';

export interface HeadVerdict {
  /** The head's probabilities of [NORMAL, WATCH, ELEVATED_CONCERN, HIGH_RISK]. */
  readonly probabilities: readonly number[];
  readonly rules: RuleAnalysis;
}

function round(x: number): number {
  return Math.round(Math.min(0.99, Math.max(0.01, x)) * 100) / 100;
}

/**
 * The level is the head's (its thresholds were chosen by out-of-fold cross-validation for
 * HIGH_RISK recall first, few false alarms second). The head reads the rule signals as features,
 * so idioms, negation and context already weigh in there. On top of that, a HIGH_RISK from the
 * rules stands unless the head is nearly sure it is not (p[HIGH] below `ruleHighFloor`): a rule
 * that fired on a plan, a method or a time is kept as a safety net. A message that reports feeling
 * better, and that the rules do not read as a crisis, is capped at ELEVATED_CONCERN.
 */
export function combineHeadWithRules(verdict: HeadVerdict, t: HeadThresholds): Assessment {
  const p = verdict.probabilities;
  const pHigh = p[3] ?? 0;
  const headLevel = levelFromProbabilities(p, t);
  let level: RiskLevel = headLevel;
  if (verdict.rules.level === 'HIGH_RISK' && pHigh >= t.ruleHighFloor) level = 'HIGH_RISK';
  // A report of feeling better that the rules do not read as a crisis stays below HIGH_RISK even
  // after crisis messages: the history embedding alone must not turn relief into an alarm. Without
  // this cap, "Thank you. That helped, I feel a bit steadier." after an on-call person had resolved
  // the alert put the session straight back into SAFETY_MODE (crisis e2e test, ADR 0010).
  if (level === 'HIGH_RISK' && verdict.rules.level !== 'HIGH_RISK' && verdict.rules.signals.includes('feels_better')) level = 'ELEVATED_CONCERN';

  const signals = new Set(verdict.rules.signals);
  if (levelRank(level) >= levelRank('ELEVATED_CONCERN')) for (const code of verdict.rules.contextCodes) signals.add(code);
  if (headLevel === 'HIGH_RISK') signals.add('encoder:high_risk');
  else if (headLevel === 'ELEVATED_CONCERN') signals.add('encoder:elevated_concern');

  // How sure the head is of the chosen level or worse for the alarm levels, of the level itself otherwise.
  const confidence =
    level === 'HIGH_RISK' ? pHigh : level === 'ELEVATED_CONCERN' ? (p[2] ?? 0) + pHigh : level === 'WATCH' ? (p[1] ?? 0) : (p[0] ?? 0);
  return { level, signals: [...signals].sort(), confidence: round(confidence) };
}
