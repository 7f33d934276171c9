import type { RiskLevel } from './riskLevel';
import type { Sentence } from './sentenceAnalysis';

/**
 * Features the trained model reads. They are plain strings (a bag of features), so the model
 * file stays a readable count table and the same extraction runs at training and at run time.
 *
 *   l:<lemma>        lemma of a word; `n:` instead of `l:` inside a negation scope, `i:` inside an idiom
 *   b:<a>_<b>        lemma bigram inside a sentence
 *   c:<chars>        character 4-gram of a normalised word (padded), robust to typos and new spellings
 *   s:<signal>       a rule signal of the message
 *   r:<level>        the rules' level for the message
 *   h:<signal>       a context signal from earlier messages of the session
 */
export interface FeatureInput {
  readonly sentences: readonly Sentence[];
  readonly signals: ReadonlySet<string>;
  readonly ruleLevel: RiskLevel;
  readonly contextSignals: readonly string[];
}

const CHAR_GRAM = 4;
/** Rule signals are the strongest evidence the model has; repeating them gives them weight in the multinomial counts. */
const SIGNAL_WEIGHT = 3;

function charGrams(word: string, out: string[]): void {
  const padded = ` ${word} `;
  if (padded.length <= CHAR_GRAM) {
    out.push(`c:${padded}`);
    return;
  }
  for (let i = 0; i + CHAR_GRAM <= padded.length; i++) out.push(`c:${padded.slice(i, i + CHAR_GRAM)}`);
}

export function modelFeatures(input: FeatureInput): string[] {
  const out: string[] = [];
  for (const sentence of input.sentences) {
    let previous: string | undefined;
    for (const token of sentence.tokens) {
      if (token.pos === 'PUNCT' || token.pos === 'SYM') {
        previous = undefined;
        continue;
      }
      const lemma = token.lemma.toLowerCase();
      const prefix = token.idiom ? 'i' : token.negated ? 'n' : 'l';
      out.push(`${prefix}:${lemma}`);
      if (previous !== undefined) out.push(`b:${previous}_${lemma}`);
      previous = lemma;
      if (/[a-z]/.test(token.text)) charGrams(token.text, out);
    }
  }
  for (const signal of input.signals) for (let k = 0; k < SIGNAL_WEIGHT; k++) out.push(`s:${signal}`);
  for (let k = 0; k < SIGNAL_WEIGHT; k++) out.push(`r:${input.ruleLevel}`);
  for (const signal of input.contextSignals) out.push(`h:${signal}`);
  return out;
}
