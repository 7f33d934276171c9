import winkNLP, { type WinkMethods } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { markIdioms } from './idioms';
import { contextFrom, decideLevel, type SessionContext } from './riskDecision';
import { findInSentence, messageView } from './riskFindings';
import type { Assessment } from './riskLevel';
import { analyseSentences } from './sentenceAnalysis';
import { createMoodScorer, type Mood } from './sentenceMood';
import type { Token } from './tokenPattern';
import { normaliseText } from './textNormalisation';

export interface RiskClassifier {
  /**
   * Assesses one message. `history` is the user's earlier messages in the session, oldest
   * first. Pure and deterministic: the same input always gives the same assessment.
   */
  classify(text: string, history?: readonly string[]): Assessment;
}

export interface ClassifierOptions {
  /** How many of the most recent history messages are read for context (default 20). */
  readonly historyWindow?: number;
  /** How many analysed history messages are memoised (default 5000); 0 turns memoising off. */
  readonly historyCacheSize?: number;
}

interface MessageAnalysis {
  readonly signals: Set<string>;
  readonly ideationOnly: boolean;
  readonly wordCount: number;
}

/** Longer inputs are cut: a crisis message is never this long, and it bounds the worst case latency. */
const MAX_CHARS = 4000;

interface Pipeline {
  readonly nlp: WinkMethods;
  readonly isKnown: (word: string) => boolean;
  readonly mood: (tokens: readonly Token[]) => Mood;
}

function analyseMessage({ nlp, isKnown, mood }: Pipeline, raw: string): MessageAnalysis {
  const normalised = normaliseText(raw.slice(0, MAX_CHARS), isKnown);
  const sentences = analyseSentences(nlp, normalised.text);
  markIdioms(sentences);
  const view = messageView(sentences);
  const signals = new Set<string>(normalised.signals);
  let ideationOnly = false;
  let selfHarmNonIdeation = false;
  for (const sentence of sentences) {
    const found = findInSentence(sentence, mood(sentence.tokens), view);
    for (const code of found.signals) signals.add(code);
    if (found.signals.has('self_harm_intent')) {
      if (found.ideationOnly) ideationOnly = true;
      else selfHarmNonIdeation = true;
    }
  }
  const wordCount = sentences.reduce((n, s) => n + s.tokens.filter((t) => t.pos !== 'PUNCT' && t.pos !== 'SYM').length, 0);
  return { signals, ideationOnly: ideationOnly && !selfHarmNonIdeation, wordCount };
}

/**
 * Loads the language model once (about 100-200 ms) and returns a classifier whose calls
 * take well under a millisecond for chat-sized messages. No network, no downloads: the
 * model ships inside the wink-eng-lite-web-model package.
 */
export function createClassifier(options: ClassifierOptions = {}): RiskClassifier {
  const historyWindow = options.historyWindow ?? 20;
  const cacheSize = options.historyCacheSize ?? 5000;
  const nlp = winkNLP(model, ['sbd', 'negation', 'pos']);
  const lexicon = nlp.readDoc('');
  const pipeline: Pipeline = { nlp, isKnown: (word) => !lexicon.isOOV(word), mood: createMoodScorer() };
  // History messages are re-sent with every new message of a session; memoising their
  // analysis keeps per-message cost flat. The cache holds derived signals only, and its
  // contents never change a result, so classify stays deterministic.
  const historyCache = new Map<string, ReadonlySet<string>>();

  const remember = (message: string, signals: ReadonlySet<string>): void => {
    if (cacheSize <= 0 || historyCache.has(message)) return;
    if (historyCache.size >= cacheSize) {
      const oldest = historyCache.keys().next();
      if (!oldest.done) historyCache.delete(oldest.value);
    }
    historyCache.set(message, signals);
  };
  const historySignals = (message: string): ReadonlySet<string> => {
    const cached = historyCache.get(message);
    if (cached) return cached;
    const { signals } = analyseMessage(pipeline, message);
    remember(message, signals);
    return signals;
  };

  return {
    classify(text: string, history: readonly string[] = []): Assessment {
      const current = analyseMessage(pipeline, text);
      // Today's message is tomorrow's history: remembering it keeps a live session's history warm.
      remember(text, current.signals);
      const recent = history.slice(-historyWindow).filter((h) => typeof h === 'string' && h.trim() !== '');
      const context: SessionContext = contextFrom(recent.map(historySignals));
      const decision = decideLevel(current, context);
      const signals = [...new Set([...current.signals, ...decision.contextSignals])].sort();
      return { level: decision.level, signals, confidence: decision.confidence };
    },
  };
}
