import type { Document, ItemSentence, ItsFunction, WinkMethods } from 'wink-nlp';
import type { Token } from './tokenPattern';

export interface Sentence {
  readonly tokens: Token[];
  readonly text: string;
  readonly isQuestion: boolean;
}

// Words that open a new clause even when the tagger does not call them conjunctions ("when" is often ADV).
const CLAUSE_OPENERS = new Set(['and', 'but', 'or', 'because', 'cause', 'if', 'when', 'although', 'though', 'while', 'until', 'unless', 'since', 'whereas']);
const NEGATORS = new Set(['not', 'never', 'no', 'nothing', 'nobody', 'none', 'neither', 'nor', 'noone']);
/** "can't stop thinking about it" is affirmative: the negation ends on these verbs. */
const NEGATION_ABSORBERS = new Set(['stop', 'help', 'resist', 'quit', 'wait']);
/** "never felt so alone", "not just sad": the negator intensifies or restricts, it does not negate. */
const INTENSIFIED_AFTER_NEVER = new Set(['so', 'this', 'more', 'such', 'as']);

interface RawToken {
  readonly text: string;
  readonly lemma: string;
  readonly pos: string;
}

function clauseNumbers(raw: readonly RawToken[]): number[] {
  const clauses: number[] = [];
  let clause = 0;
  raw.forEach((t, i) => {
    // Run-on texting ("i cant do this anymore im going to ...") starts a clause at a new "I" after a content word.
    const prev = raw[i - 1];
    const runOnSubject = t.text === 'i' && prev !== undefined && ['VERB', 'ADV', 'NOUN', 'ADJ', 'PRON'].includes(prev.pos) && !['that', 'what', 'if', 'when', 'so'].includes(prev.text);
    const opensClause = i > 0 && (t.pos === 'PUNCT' || t.pos === 'CCONJ' || t.pos === 'SCONJ' || CLAUSE_OPENERS.has(t.text) || runOnSubject);
    if (opensClause) clause++;
    clauses.push(clause);
  });
  return clauses;
}

function negationFlags(raw: readonly RawToken[], clauses: readonly number[]): boolean[] {
  const negated = raw.map(() => false);
  raw.forEach((t, i) => {
    if (!NEGATORS.has(t.text) || t.pos === 'INTJ') return;
    const next = raw[i + 1];
    const afterNext = raw[i + 2];
    if (next && (next.text === 'just' || next.text === 'only')) return;
    if (t.text === 'never' && next && (next.lemma === 'feel' || next.lemma === 'be') && afterNext && INTENSIFIED_AFTER_NEVER.has(afterNext.text)) return;
    for (let j = i + 1; j < raw.length && clauses[j] === clauses[i]; j++) {
      negated[j] = true;
      const tok = raw[j];
      if (tok && NEGATION_ABSORBERS.has(tok.lemma)) break;
    }
  });
  return negated;
}

/**
 * Words whose wink-nlp normal form (British to American spelling) merges them with a word that
 * means something else here: a "multi-storey" car park is not a "story" (a media frame).
 */
const KEEP_AS_WRITTEN: ReadonlySet<string> = new Set(['storey', 'storeys']);

function toSentence(nlp: WinkMethods, sentence: ItemSentence): Sentence {
  const its = nlp.its;
  // wink-nlp's typings declare its.lemma with a parameter type that does not fit ItsFunction;
  // at run time it is an ordinary token its-function.
  const lemma = its.lemma as unknown as ItsFunction<string>;
  const tokens = sentence.tokens();
  const texts = tokens.out(its.normal) as string[];
  const written = (tokens.out(its.value) as string[]).map((v) => v.toLowerCase());
  const lemmas = tokens.out(lemma) as string[];
  const tags = tokens.out(its.pos) as string[];
  const raw: RawToken[] = texts.map((text, i) => {
    const asWritten = written[i];
    if (asWritten !== undefined && KEEP_AS_WRITTEN.has(asWritten)) return { text: asWritten, lemma: asWritten, pos: tags[i] ?? 'X' };
    return { text, lemma: lemmas[i] ?? text, pos: tags[i] ?? 'X' };
  });
  const clauses = clauseNumbers(raw);
  const negated = negationFlags(raw, clauses);
  const analysed: Token[] = raw.map((t, index) => ({ ...t, index, clause: clauses[index] ?? 0, negated: negated[index] ?? false, idiom: false }));
  const text = sentence.out();
  return { tokens: analysed, text, isQuestion: /\?\s*$/.test(text) };
}

/** Sentence split, POS tags, lemmas, clause boundaries and negation scope for one (normalised) message. */
export function analyseSentences(nlp: WinkMethods, text: string): Sentence[] {
  const doc: Document = nlp.readDoc(text);
  const sentences: Sentence[] = [];
  doc.sentences().each((s: ItemSentence) => {
    sentences.push(toSentence(nlp, s));
  });
  return sentences;
}
