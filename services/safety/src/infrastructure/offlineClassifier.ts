import type { RiskClassifier } from '../application/ports';
import { createClassifier, loadRiskClassifier, type Assessment } from '../classifier';
import { encoderModelPath } from '../config';
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

/** Either classifier: the encoder one (async) or the rules alone (sync, SAFETY_ENCODER=off). */
export interface OfflineClassifier {
  classify(text: string, history: readonly string[]): Assessment | Promise<Assessment>;
}

/** Adapts the offline classifier to the RiskClassifier port (highest level over the windows). */
export function offlineRiskClassifier(classifier: OfflineClassifier): RiskClassifier {
  return async (text, history) => {
    let verdict: RiskVerdict | undefined;
    for (const part of windowsOf(text)) {
      const a = await classifier.classify(part, history);
      if (!verdict || higherRisk(a.level, verdict.level) !== verdict.level) {
        verdict = { level: a.level, signals: [...a.signals], confidence: a.confidence };
      } else if (a.level === verdict.level) {
        for (const s of a.signals) if (!verdict.signals.includes(s)) verdict.signals.push(s);
      }
    }
    return verdict!;
  };
}

export interface OfflineClassifierSettings {
  readonly encoder: 'on' | 'off';
  readonly encoderModelDir: string;
  readonly encoderThreads: number;
}

/**
 * Builds the service's offline classifier at start-up: loads the sentence encoder and warms it up,
 * so the first Assess is not slow. A missing model fails start-up (EncoderModelMissingError says
 * how to install it) rather than silently running the weaker rules; SAFETY_ENCODER=off opts out.
 */
export async function startOfflineClassifier(settings: OfflineClassifierSettings): Promise<{ classify: RiskClassifier; encoder: boolean }> {
  if (settings.encoder === 'off') return { classify: offlineRiskClassifier(createClassifier()), encoder: false };
  const classifier = await loadRiskClassifier(encoderModelPath(settings.encoderModelDir), { threads: settings.encoderThreads });
  return { classify: offlineRiskClassifier(classifier), encoder: true };
}
