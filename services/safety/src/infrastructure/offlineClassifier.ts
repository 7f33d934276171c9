import type { RiskClassifier } from '../application/ports';
import type { RiskClassifier as OfflineClassifier } from '../classifier';
import { higherRisk } from '../domain/levels';
import type { RiskVerdict } from '../domain/riskCombination';

// The offline classifier reads at most 4000 characters of a message; Assess accepts 10 000.
// Longer messages are read in overlapping windows so that a crisis near the end is not cut off.
const WINDOW = 3_600;
const OVERLAP = 400;

function windowsOf(text: string): string[] {
  if (text.length <= WINDOW) return [text];
  const out: string[] = [];
  for (let start = 0; start < text.length; start += WINDOW - OVERLAP) {
    out.push(text.slice(start, start + WINDOW));
    if (start + WINDOW >= text.length) break;
  }
  return out;
}

/** Adapts the offline classifier to the RiskClassifier port (highest level over the windows). */
export function offlineRiskClassifier(classifier: OfflineClassifier): RiskClassifier {
  return (text, history) => {
    let verdict: RiskVerdict | undefined;
    for (const part of windowsOf(text)) {
      const a = classifier.classify(part, history);
      if (!verdict || higherRisk(a.level, verdict.level) !== verdict.level) {
        verdict = { level: a.level, signals: [...a.signals], confidence: a.confidence };
      } else if (a.level === verdict.level) {
        for (const s of a.signals) if (!verdict.signals.includes(s)) verdict.signals.push(s);
      }
    }
    return verdict!;
  };
}
