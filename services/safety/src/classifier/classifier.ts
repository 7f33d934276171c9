import winkNLP, { type WinkMethods } from 'wink-nlp';
import languageModel from 'wink-eng-lite-web-model';
import { markIdioms } from './idioms';
import { RISK_MODEL } from './model/riskModelData';
import { modelFeatures } from './modelFeatures';
import { combineWithModel, DEFAULT_THRESHOLDS, riskVocabulary, type ModelThresholds } from './modelCombination';
import { contextFrom, decideLevel, type SessionContext } from './riskDecision';
import { findInSentence, messageView } from './riskFindings';
import type { Assessment } from './riskLevel';
import { analyseSentences, type Sentence } from './sentenceAnalysis';
import { loadRiskModel, type RiskModel, type RiskModelJson } from './statisticalModel';
import { createMoodScorer, type Mood } from './sentenceMood';
import type { Token } from './tokenPattern';
import { normaliseText } from './textNormalisation';

/**
 * The rule layer (with its naive Bayes companion unless `model: null`): synchronous, no model
 * files. The service runs it under the sentence-encoder head (see encoderClassifier.ts); on its
 * own it is the fallback for SAFETY_ENCODER=off and the source of the head's rule features.
 */
export interface RuleClassifier {
  /**
   * Assesses one message. `history` is the user's earlier messages in the session, oldest
   * first. Pure and deterministic: the same input always gives the same assessment.
   */
  classify(text: string, history?: readonly string[]): Assessment;
  /** The bag of features the naive Bayes model reads for this message (used by scripts/train.mjs). */
  features(text: string, history?: readonly string[]): string[];
  /** The rules' own level and signals (no trained model), plus every context code the history gave. */
  analyse(text: string, history?: readonly string[]): RuleAnalysis;
}

export interface RuleAnalysis {
  readonly level: Assessment['level'];
  readonly confidence: number;
  /** Signals of the message itself. */
  readonly signals: readonly string[];
  /** Context codes from earlier messages (`context:prior_method`, ...), whether or not they changed the level. */
  readonly contextCodes: readonly string[];
}

export interface ClassifierOptions {
  /** How many of the most recent history messages are read for context (default 20). */
  readonly historyWindow?: number;
  /** How many analysed history messages are memoised (default 5000); 0 turns memoising off. */
  readonly historyCacheSize?: number;
  /**
   * The trained model combined with the rules (default: the model shipped in model/riskModelData.ts);
   * null runs the rules alone, as training and cross-validation need.
   */
  readonly model?: RiskModelJson | null;
  readonly thresholds?: ModelThresholds;
}

interface MessageAnalysis {
  readonly signals: Set<string>;
  readonly ideationOnly: boolean;
  readonly wordCount: number;
  readonly sentences: readonly Sentence[];
}

/**
 * A first-person report of feeling better ("I feel steadier now", "doing a bit better"). It keeps
 * a bare time word from reading as a plan after earlier crisis messages (riskDecision.ts), and
 * keeps the head from escalating on history alone (headCombination.ts).
 */
const FEELS_BETTER =
  /\b(?:i\s*(?:am|'m|m)?\s*(?:feel(?:ing)?|am|'m)\s+(?:(?:a\s+)?(?:bit|little|lot|much|so\s+much)\s+)?(?:better|steadier|calmer|safer|safe|okay|ok|fine|alright|more\s+(?:settled|stable|grounded|like\s+myself))|(?:doing|getting)\s+(?:(?:a\s+)?(?:bit|little|lot|much)\s+)?better)\b/i;

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
  if (FEELS_BETTER.test(normalised.text)) signals.add('feels_better');
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
  return { signals, ideationOnly: ideationOnly && !selfHarmNonIdeation, wordCount, sentences };
}

/**
 * Loads the language model once (about 100-200 ms) and returns a classifier whose calls
 * take well under a millisecond for chat-sized messages. No network, no downloads: the
 * model ships inside the wink-eng-lite-web-model package.
 */
export function createClassifier(options: ClassifierOptions = {}): RuleClassifier {
  const historyWindow = options.historyWindow ?? 20;
  const cacheSize = options.historyCacheSize ?? 5000;
  const nlp = winkNLP(languageModel, ['sbd', 'negation', 'pos']);
  const lexicon = nlp.readDoc('');
  const pipeline: Pipeline = { nlp, isKnown: (word) => !lexicon.isOOV(word), mood: createMoodScorer() };
  // History messages are re-sent with every new message of a session; memoising their
  // analysis keeps per-message cost flat. The cache holds derived signals only, and its
  // contents never change a result, so classify stays deterministic.
  const modelJson = options.model === undefined ? RISK_MODEL : options.model;
  const model: RiskModel | undefined = modelJson ? loadRiskModel(modelJson) : undefined;
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
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

  const assess = (text: string, history: readonly string[]) => {
    const current = analyseMessage(pipeline, text);
    // Today's message is tomorrow's history: remembering it keeps a live session's history warm.
    remember(text, current.signals);
    const recent = history.slice(-historyWindow).filter((h) => typeof h === 'string' && h.trim() !== '');
    const context: SessionContext = contextFrom(recent.map(historySignals));
    const decision = decideLevel(current, context);
    const contextCodes = Object.entries(context).filter(([, on]) => on).map(([name]) => name);
    const features = modelFeatures({ sentences: current.sentences, signals: current.signals, ruleLevel: decision.level, contextSignals: contextCodes });
    return { current, decision, features, contextCodes, priorRisk: contextCodes.length > 0 };
  };

  return {
    classify(text: string, history: readonly string[] = []): Assessment {
      const { current, decision, features, priorRisk } = assess(text, history);
      let level = decision.level;
      const extra: string[] = [];
      if (model) {
        const combined = combineWithModel(
          { ruleLevel: decision.level, odds: model.score(features), signals: current.signals, vocabulary: riskVocabulary(current.sentences), priorRisk },
          thresholds,
        );
        level = combined.level;
        if (combined.modelSignal) extra.push(combined.modelSignal);
      }
      const signals = [...new Set([...current.signals, ...decision.contextSignals, ...extra])].sort();
      // A level the model raised keeps the rules' confidence for their own level as an upper bound.
      const confidence = level === decision.level ? decision.confidence : Math.min(decision.confidence, 0.6);
      return { level, signals, confidence };
    },
    features(text: string, history: readonly string[] = []): string[] {
      return assess(text, history).features;
    },
    analyse(text: string, history: readonly string[] = []): RuleAnalysis {
      const { current, decision, contextCodes } = assess(text, history);
      return {
        level: decision.level,
        confidence: decision.confidence,
        signals: [...current.signals].sort(),
        contextCodes: contextCodes.map((name) => `context:${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`),
      };
    },
  };
}
