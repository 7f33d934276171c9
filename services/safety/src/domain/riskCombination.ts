import { riskRank, type RiskLevel } from './levels';

const REMOTE_RAISE_CONFIDENCE = 0.7;

export interface RiskVerdict {
  level: RiskLevel;
  signals: string[];
  confidence: number;
}

/** What a remote check (moderation endpoint, LLM) said; `undefined` level = no opinion. */
export interface RemoteVerdict {
  source: 'moderation' | 'llm';
  level: RiskLevel | undefined;
  signals: string[];
}

/**
 * The offline verdict is the floor: remote checks may only raise the level (add recall), never
 * lower it. Signals of a remote check count only when it raised or matched the level.
 */
export function combineVerdicts(offline: RiskVerdict, remote: readonly RemoteVerdict[]): RiskVerdict & { sources: string[] } {
  let level = offline.level;
  let confidence = offline.confidence;
  const signals = [...offline.signals];
  const sources = ['offline'];
  for (const r of remote) {
    if (r.level === undefined || riskRank(r.level) < riskRank(offline.level)) continue;
    if (riskRank(r.level) > riskRank(level)) {
      level = r.level;
      // The offline confidence described a lower level; remote checks give no calibrated score.
      confidence = REMOTE_RAISE_CONFIDENCE;
    }
    if (riskRank(r.level) > riskRank(offline.level)) sources.push(r.source);
    for (const s of r.signals) if (!signals.includes(s)) signals.push(s);
  }
  return { level, signals, confidence, sources };
}
