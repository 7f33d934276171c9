import { distance } from 'fastest-levenshtein';
import { SLANG, SPELLING_TARGETS, slangSignal } from './slangLexicon';

/** Answers whether a lower-case word is in the language model's lexicon. */
export type IsKnownWord = (word: string) => boolean;

export interface NormalisedText {
  /** Plain-English rewrite of the message, punctuation kept so sentence splitting still works. */
  readonly text: string;
  /** `slang:*` and `spelling:*` codes for risk-relevant rewrites. */
  readonly signals: string[];
}

/** Spelling corrections worth reporting: the ones that turned a word into a risk term. */
const RISK_SPELLING_TARGETS = new Set(['suicide', 'suicidal', 'myself', 'overdose', 'overdosed', 'overdosing', 'unalive', 'killing']);

// Multi-word slang has to be rewritten on the raw string, before tokenisation splits it up.
const PHRASE_SLANG: ReadonlyArray<{ pattern: RegExp; plain: string; signal: string }> = [
  { pattern: /\bself[\s-]?delet(?:e|ing)\b/gi, plain: 'kill myself', signal: 'slang:self_delete' },
  { pattern: /\bsewer[\s-]?slide\b/gi, plain: 'suicide', signal: 'slang:sewerslide' },
  { pattern: /\bun[\s-]alive\b/gi, plain: 'kill', signal: 'slang:unalive' },
  // Intransitive "unalive" ("gonna unalive tonight") means oneself.
  { pattern: /\bunalive\b(?!\s+(?:my|me|him|her|them|someone|somebody|you|your|his|their|people|himself|herself|themselves|yourself))/gi, plain: 'kill myself', signal: 'slang:unalive' },
  { pattern: /\bunaliving\b(?!\s+(?:my|me|him|her|them|someone|somebody|you|your|his|their|people|himself|herself|themselves|yourself))/gi, plain: 'killing myself', signal: 'slang:unalive' },
  { pattern: /\bkill\s+my\s+self\b/gi, plain: 'kill myself', signal: 'spelling:myself' },
  // Texting "its" for "it's" where a possessive cannot follow: "its time", "its tn", "its over".
  { pattern: /\bits(?=\s+(?:time|tonight|tn|over|done|ok|okay|fine|not|so|too|been|going|gonna|all|just|really|happening|nearly|almost|now|rn)\b)/gi, plain: 'it is', signal: '' },
  { pattern: /\bend\s+my\s+self\b/gi, plain: 'end myself', signal: 'spelling:myself' },
];

const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };

// "kys" is aimed at someone else unless the writer is plainly its subject ("i should just kys").
const FIRST_PERSON_BEFORE = /\b(i|im|i'm|ima|me)\b[^.!?]*$/i;
const INTENT_BEFORE = /\b(gonna|going to|wanna|want to|finna|might|will|should|about to)\s+(just\s+)?$/i;
const SOMEONE_ELSE_SAID = /\b(told|tell|tells|telling|said|says|saying)\s+me\b[^.!?]*$/i;

function isAdjacentTransposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diffs: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diffs.push(i);
  const [first, second] = diffs;
  return diffs.length === 2 && first !== undefined && second === first + 1 && a[first] === b[second] && a[second] === b[first];
}

/** Nearest key term for an unknown word, or undefined when nothing is close enough. */
export function correctSpelling(word: string): string | undefined {
  if (word.length < 5) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const target of SPELLING_TARGETS) {
    if (target[0] !== word[0] || Math.abs(target.length - word.length) > 2) continue;
    const allowed = target.length >= 8 ? 2 : 1;
    const d = isAdjacentTransposition(word, target) ? 1 : distance(word, target);
    if (d <= allowed && d < bestDistance) {
      best = target;
      bestDistance = d;
    }
  }
  return best;
}

function squashRepeats(word: string, isKnown: IsKnownWord): string {
  if (!/(.)\1\1/.test(word)) return word;
  const toTwo = word.replace(/(.)\1{2,}/g, '$1$1');
  const toOne = word.replace(/(.)\1{2,}/g, '$1');
  if (isKnown(toTwo) || SLANG.has(toTwo)) return toTwo;
  if (isKnown(toOne) || SLANG.has(toOne)) return toOne;
  // "dieeee" -> "diee" is still unknown: also collapse the remaining doubles one at a time.
  const collapsedEverywhere = toOne.replace(/(.)\1/g, '$1');
  if (isKnown(collapsedEverywhere) || SLANG.has(collapsedEverywhere)) return collapsedEverywhere;
  return toTwo;
}

function normaliseWord(original: string, textBefore: string, isKnown: IsKnownWord, signals: Set<string>): string {
  let word = original.toLowerCase();
  if (word === 'i') return 'I';
  if (word === 'kys' || word === 'kysss') {
    const aboutSelf = (FIRST_PERSON_BEFORE.test(textBefore) || INTENT_BEFORE.test(textBefore)) && !SOMEONE_ELSE_SAID.test(textBefore);
    if (aboutSelf) signals.add('slang:kys');
    return aboutSelf ? 'kill myself' : 'kill yourself';
  }
  const slang = SLANG.get(word);
  if (slang) {
    if (slang.risk) signals.add(slangSignal(word));
    return slang.plain;
  }
  if (isKnown(word) || word.includes("'")) return original;
  word = squashRepeats(word, isKnown);
  const squashedSlang = SLANG.get(word);
  if (squashedSlang) {
    if (squashedSlang.risk) signals.add(slangSignal(word));
    return squashedSlang.plain;
  }
  if (isKnown(word)) return word;
  if (word.endsWith('in') && isKnown(`${word}g`)) return `${word}g`;
  // A single doubled letter is a common slip or an emphasis: "diee", "tiredd".
  for (const m of word.matchAll(/(.)\1/g)) {
    const single = word.slice(0, m.index) + word.slice(m.index + 1);
    if (isKnown(single) && single.length >= 3) return single;
  }
  if (/[a-z]/.test(word) && /[0-9@$]/.test(word)) {
    const unLeet = word.replace(/[0-9@$]/g, (c) => LEET[c] ?? c);
    const target = isKnown(unLeet) ? unLeet : correctSpelling(unLeet);
    if (target && !/^\d/.test(word)) return target;
  }
  const corrected = correctSpelling(word);
  if (corrected) {
    if (RISK_SPELLING_TARGETS.has(corrected)) signals.add(`spelling:${corrected}`);
    return corrected;
  }
  return word === original.toLowerCase() ? original : word;
}

/**
 * Rewrites texting style into plain English so the NLP pipeline and the patterns see one
 * vocabulary: multi-word slang, a slang/contraction map per token, letter-repeat squashing
 * ("sooo"), dropped g's ("thinkin"), leetspeak and edit-distance correction towards key terms.
 * Words the language model already knows are left alone, so corrections only touch unknowns.
 */
export function normaliseText(raw: string, isKnown: IsKnownWord): NormalisedText {
  const signals = new Set<string>();
  let text = raw.normalize('NFKC').replace(/[\u2018\u2019\u02bc`´]/g, "'").replace(/[\u201c\u201d]/g, '"');
  for (const { pattern, plain, signal } of PHRASE_SLANG) {
    text = text.replace(pattern, () => {
      if (signal) signals.add(signal);
      return plain;
    });
  }
  let out = '';
  let last = 0;
  for (const match of text.matchAll(/[A-Za-z0-9@$]+(?:'[A-Za-z]+)?/g)) {
    const start = match.index;
    out += text.slice(last, start);
    out += normaliseWord(match[0], out, isKnown, signals);
    last = start + match[0].length;
  }
  out += text.slice(last);
  return { text: out, signals: [...signals] };
}
