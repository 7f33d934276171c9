import { LEXICON, type LexiconClass } from './lexicon';

/** One analysed token of a sentence. */
export interface Token {
  /** Normalised lower-case surface form. */
  readonly text: string;
  readonly lemma: string;
  /** Universal POS tag from the language model. */
  readonly pos: string;
  readonly index: number;
  /** Clause number inside the sentence (clauses split at punctuation and conjunctions). */
  readonly clause: number;
  /** Inside the scope of a negator within its clause ("I would never [hurt myself]"). */
  readonly negated: boolean;
  /** Part of an idiom or figurative use ("this commute is [killing me]"). */
  idiom: boolean;
}

/**
 * A tiny pattern language over tokens, written as space-separated elements:
 *   `kill|murder`  the token's text or lemma is one of the words
 *   `@METHOD`      the token's text or lemma is in a lexicon class (mixable: `@DRUG|it`)
 *   `#NOUN|PROPN`  the token's POS tag is one of these
 *   `*3`           skip 0..3 tokens (shortest first)
 *   `x?`           element x is optional
 *   `!x`           one token that does NOT match x
 * Matches never cross idiom tokens unless `allowIdioms` is set.
 */
type Element =
  | { kind: 'words'; words: ReadonlySet<string>; classes: ReadonlyArray<ReadonlySet<string>>; optional: boolean; negate: boolean }
  | { kind: 'pos'; tags: ReadonlySet<string>; optional: boolean; negate: boolean }
  | { kind: 'gap'; max: number };

export interface CompiledPattern {
  readonly source: string;
  readonly elements: readonly Element[];
  /** Words a match must start with, when the first element is a required word list (a cheap pre-filter). */
  readonly firstWords?: ReadonlySet<string>;
  /** The smallest required word list: a sentence without any of these words cannot match. */
  readonly anchor?: readonly string[];
}

export interface PatternMatch {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export function compilePattern(source: string): CompiledPattern {
  const elements = source.trim().split(/\s+/).map((raw): Element => {
    if (/^\*\d+$/.test(raw)) return { kind: 'gap', max: Number(raw.slice(1)) };
    let body = raw;
    const optional = body.endsWith('?') && body.length > 1;
    if (optional) body = body.slice(0, -1);
    const negate = body.startsWith('!');
    if (negate) body = body.slice(1);
    if (body.startsWith('#')) return { kind: 'pos', tags: new Set(body.slice(1).split('|')), optional, negate };
    const alternatives = body.split('|');
    const classes = alternatives.filter((a) => a.startsWith('@')).map((a) => {
      const set = LEXICON[a.slice(1) as LexiconClass] as ReadonlySet<string> | undefined;
      if (!set) throw new Error(`unknown lexicon class in pattern "${source}": ${a}`);
      return set;
    });
    // Tokens carry lower-case text, so pattern words are lower-cased too ("I" matches "i").
    return { kind: 'words', words: new Set(alternatives.filter((a) => !a.startsWith('@')).map((a) => a.toLowerCase())), classes, optional, negate };
  });
  const first = elements[0];
  const firstWords = first && first.kind === 'words' && !first.optional && !first.negate ? new Set([...first.words, ...first.classes.flatMap((c) => [...c])]) : undefined;
  const required = elements.flatMap((e) => (e.kind === 'words' && !e.optional && !e.negate ? [[...e.words, ...e.classes.flatMap((c) => [...c])]] : []));
  const anchor = required.sort((a, b) => a.length - b.length)[0];
  return { source, elements, firstWords, anchor };
}

const sentenceWords = new WeakMap<readonly Token[], ReadonlySet<string>>();

function wordsOf(tokens: readonly Token[]): ReadonlySet<string> {
  let words = sentenceWords.get(tokens);
  if (!words) {
    words = new Set(tokens.flatMap((t) => [t.text, t.lemma]));
    sentenceWords.set(tokens, words);
  }
  return words;
}

function elementMatches(element: Exclude<Element, { kind: 'gap' }>, token: Token): boolean {
  const hit =
    element.kind === 'pos'
      ? element.tags.has(token.pos)
      : element.words.has(token.text) || element.words.has(token.lemma) || element.classes.some((c) => c.has(token.text) || c.has(token.lemma));
  return element.negate ? !hit : hit;
}

function matchFrom(tokens: readonly Token[], elements: readonly Element[], e: number, t: number, allowIdioms: boolean): number {
  if (e === elements.length) return t;
  const element = elements[e];
  if (element === undefined) return t;
  if (element.kind === 'gap') {
    for (let skip = 0; skip <= element.max && t + skip <= tokens.length; skip++) {
      const end = matchFrom(tokens, elements, e + 1, t + skip, allowIdioms);
      if (end >= 0) return end;
    }
    return -1;
  }
  const token = tokens[t];
  if (token && (allowIdioms || !token.idiom) && elementMatches(element, token)) {
    const end = matchFrom(tokens, elements, e + 1, t + 1, allowIdioms);
    if (end >= 0) return end;
  }
  return element.optional ? matchFrom(tokens, elements, e + 1, t, allowIdioms) : -1;
}

/** All non-overlapping matches, left to right. */
export function findAll(tokens: readonly Token[], pattern: CompiledPattern, allowIdioms = false): PatternMatch[] {
  const found: PatternMatch[] = [];
  if (pattern.anchor && pattern.anchor.length <= 64) {
    const words = wordsOf(tokens);
    if (!pattern.anchor.some((w) => words.has(w))) return found;
  }
  const firstWords = pattern.firstWords;
  for (let start = 0; start < tokens.length; start++) {
    const token = tokens[start];
    if (firstWords && token && !firstWords.has(token.text) && !firstWords.has(token.lemma)) continue;
    const end = matchFrom(tokens, pattern.elements, 0, start, allowIdioms);
    if (end > start) {
      found.push({ start, end });
      start = end - 1;
    }
  }
  return found;
}

export function inClass(token: Token | undefined, name: LexiconClass): boolean {
  if (!token) return false;
  const set = LEXICON[name];
  return set.has(token.text) || set.has(token.lemma);
}
