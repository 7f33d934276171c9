import Sentiment from 'sentiment';
import { LEXICON } from './lexicon';
import type { Token } from './tokenPattern';

/**
 * Affect of a sentence from the AFINN-165 lexicon (the `sentiment` package), computed over the
 * words that carry mood: figurative tokens ("killing me", "dying to") and the death and harm
 * vocabulary itself are left out, because the risk patterns judge those and AFINN would
 * otherwise score "I killed it in the match" as distress.
 */
export interface Mood {
  /** Sum of AFINN scores (negative = negative affect). */
  readonly score: number;
  /** Score per word. */
  readonly comparative: number;
}

const RISK_VOCABULARY = new Set<string>([
  ...LEXICON.SUICIDE_VERB, ...LEXICON.HARM_OTHER_VERB, ...LEXICON.DIE, ...LEXICON.SUICIDE_NOUN, ...LEXICON.SUICIDE_ADJ,
  ...LEXICON.METHOD, ...LEXICON.WEAPON, 'died', 'killed', 'killing', 'overdose', 'overdosed', 'suicide',
]);

export function createMoodScorer(): (tokens: readonly Token[]) => Mood {
  const afinn = new Sentiment();
  return (tokens) => {
    const words = tokens.filter((t) => !t.idiom && t.pos !== 'PUNCT' && !RISK_VOCABULARY.has(t.text) && !RISK_VOCABULARY.has(t.lemma)).map((t) => t.text);
    if (words.length === 0) return { score: 0, comparative: 0 };
    const result = afinn.analyze(words.join(' '));
    return { score: result.score, comparative: result.comparative };
  };
}
