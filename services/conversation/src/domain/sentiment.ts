import Sentiment from 'sentiment';
import type { CheckpointAnswer } from './session';

// AFINN-165 lexicon with negation handling ("not good" scores negative); pure and synchronous.
const analyzer = new Sentiment();

/** Lexicon sentiment of one message, clamped to -5..5 and rounded to two decimals. */
export function sentimentOf(text: string): number {
  const { score } = analyzer.analyze(text);
  return Math.round(Math.max(-5, Math.min(5, score)) * 100) / 100;
}

// Explicit answers win over sentiment: "not better" is not "better", whatever the lexicon says.
const NO_CHANGE = /\b(no better|not (any|much|really|that much) (better|different)|not better|about the same|the same|same as before|no (real )?change|no different|nothing('s| has)? changed|neither better nor worse)\b/i;
const WORSE = /\b(worse|heavier|more (anxious|upset|stressed|scared|overwhelmed|tense|down)|less (calm|okay|ok|hopeful))\b/i;
const BETTER = /\b(better|lighter|calmer|relieved|improv(ed|ing)|helped|less (anxious|stressed|tense|heavy|overwhelmed|scared|worried)|more (calm|hopeful|relaxed|settled|at ease))\b/i;

/**
 * Classifies the answer to the checkpoint question ("how do you feel now compared to the
 * start?"): explicit phrases first, then the message's sentiment.
 */
export function classifyCheckpointAnswer(text: string): CheckpointAnswer {
  if (NO_CHANGE.test(text)) return 'same';
  if (WORSE.test(text)) return 'worse';
  if (BETTER.test(text)) return 'better';
  const score = sentimentOf(text);
  if (score >= 2) return 'better';
  if (score <= -2) return 'worse';
  return 'same';
}

const EMOTION_WORDS: ReadonlyArray<readonly [string, RegExp]> = [
  ['anxiety', /\b(anxious|anxiety|worr(y|ied|ying)|nervous|panic(ky|king)?|stress(ed|ful)?|tense|on edge|uneasy)\b/i],
  ['sadness', /\b(sad|down|low|depress(ed|ing)|cry(ing)?|cried|tearful|empty|miserable|heartbroken|grief|griev(e|ing))\b/i],
  ['loneliness', /\b(lonely|alone|isolated|left out|nobody)\b/i],
  ['anger', /\b(angry|anger|furious|irritated|annoyed|frustrat(ed|ing|ion)|resent(ful|ment)?|rage)\b/i],
  ['fear', /\b(scared|afraid|terrified|frightened|fear(ful)?)\b/i],
  ['shame', /\b(ashamed|shame|guilt(y)?|embarrass(ed|ing)|worthless|stupid|failure)\b/i],
  ['overwhelm', /\b(overwhelm(ed|ing)?|exhausted|drained|burn(ed|t) out|too much|tired)\b/i],
  ['hope', /\b(hope(ful)?|optimistic|looking forward|motivated)\b/i],
  ['calm', /\b(calm(er)?|relaxed|relieved|peaceful|settled|lighter)\b/i],
  ['joy', /\b(happy|glad|grateful|thankful|excited|proud|joy(ful)?)\b/i],
];

/** Emotions named in the text (lexicon), in catalogue order. */
export function emotionsIn(text: string): string[] {
  return EMOTION_WORDS.filter(([, re]) => re.test(text)).map(([name]) => name);
}
