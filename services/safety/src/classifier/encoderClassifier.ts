import { createClassifier, type RuleAnalysis, type RuleClassifier } from './classifier';
import { combineHeadWithRules } from './headCombination';
import { RISK_HEAD } from './model/riskHeadData';
import { headScore, loadRiskHead, meanEmbedding, sentencesOf, type HeadInput, type RiskHead, type RiskHeadJson } from './riskHead';
import type { Assessment } from './riskLevel';
import { loadSentenceEncoder, type EncoderOptions, type SegmentEmbedding, type SentenceEncoder } from './sentenceEncoder';

/** One message to assess, with the user's earlier messages of the session (oldest first). */
export interface ClassifyInput {
  readonly text: string;
  readonly history?: readonly string[];
}

/**
 * The offline risk classifier: rules (signals, negation, idioms, context) and a learned head over
 * sentence-encoder embeddings of the message and the recent history. Asynchronous because the
 * encoder runs in onnxruntime. Deterministic: the same input always gives the same assessment.
 */
export interface RiskClassifier {
  classify(text: string, history?: readonly string[]): Promise<Assessment>;
  /** Several messages at once: the encoder batches them, which is faster per message. Order is kept. */
  classifyBatch(inputs: readonly ClassifyInput[]): Promise<Assessment[]>;
  /** What the head reads for each input (used by scripts/train.mjs). */
  headInputs(inputs: readonly ClassifyInput[]): Promise<HeadInputWithRules[]>;
}

export interface HeadInputWithRules extends HeadInput {
  readonly rules: RuleAnalysis;
}

export interface EncoderClassifierOptions {
  readonly encoder: SentenceEncoder;
  /** The trained head (default: model/riskHeadData.ts). */
  readonly head?: RiskHeadJson;
  /** The rule layer (default: createClassifier({ model: null }), the rules without naive Bayes). */
  readonly rules?: RuleClassifier;
  /** How many of the most recent history messages the history embedding averages (default 3). */
  readonly historyEmbedded?: number;
  /** Embeddings memoised by text (default 5000): history is re-sent with every message of a session. */
  readonly embeddingCacheSize?: number;
}

export function createEncoderClassifier(options: EncoderClassifierOptions): RiskClassifier {
  const { encoder } = options;
  // Decoded on first use (loadRiskClassifier's warm-up), so headInputs() works without a head (train.mjs).
  let head: RiskHead | undefined;
  const trainedHead = (): RiskHead => (head ??= loadRiskHead(options.head ?? RISK_HEAD));
  const rules = options.rules ?? createClassifier({ model: null });
  const historyEmbedded = options.historyEmbedded ?? 3;
  const cacheSize = options.embeddingCacheSize ?? 5000;
  const cache = new Map<string, SegmentEmbedding>();

  // A text is always embedded the same way (its sentences in one encoder pass), whether it is the
  // message or history: embeddings are a pure function of the text, so memoising never changes a result.
  const embedAll = async (texts: readonly string[]): Promise<Map<string, SegmentEmbedding>> => {
    const found = new Map<string, SegmentEmbedding>();
    const missing: string[] = [];
    for (const t of texts) {
      const hit = cache.get(t);
      if (hit) found.set(t, hit);
      else if (!found.has(t) && !missing.includes(t)) missing.push(t);
    }
    if (missing.length > 0) {
      const vectors = await encoder.embedSegments(missing.map((t) => {
        const sentences = sentencesOf(t);
        return sentences.length > 0 ? sentences : [t];
      }));
      missing.forEach((t, i) => {
        found.set(t, vectors[i]!);
        if (cacheSize <= 0) return;
        if (cache.size >= cacheSize) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
        cache.set(t, vectors[i]!);
      });
    }
    return found;
  };

  const recentHistory = (history: readonly string[] | undefined): string[] =>
    (history ?? []).filter((h) => typeof h === 'string' && h.trim() !== '').slice(-historyEmbedded);

  const headInputs = async (inputs: readonly ClassifyInput[]): Promise<HeadInputWithRules[]> => {
    const texts = inputs.flatMap((i) => [i.text, ...recentHistory(i.history)]);
    const vectors = await embedAll(texts);
    return inputs.map((input) => {
      const analysis = rules.analyse(input.text, input.history ?? []);
      const message = vectors.get(input.text)!;
      return {
        message: message.whole,
        sentences: message.parts.length > 1 ? message.parts : [],
        history: meanEmbedding(recentHistory(input.history).map((h) => vectors.get(h)!.whole)),
        ruleLevel: analysis.level,
        signals: [...analysis.signals, ...analysis.contextCodes],
        rules: analysis,
      };
    });
  };

  const assess = (input: HeadInputWithRules): Assessment => {
    const model = trainedHead();
    return combineHeadWithRules({ probabilities: headScore(model, input), rules: input.rules }, model.thresholds);
  };

  return {
    async classify(text, history = []) {
      const [input] = await headInputs([{ text, history }]);
      return assess(input!);
    },
    async classifyBatch(inputs) {
      return (await headInputs(inputs)).map(assess);
    },
    headInputs,
  };
}

/**
 * Loads the encoder from `modelDir` (throws EncoderModelMissingError with install instructions
 * when it is not there) and returns the classifier, warmed up so the first real call is not slow.
 */
export async function loadRiskClassifier(modelDir: string, options: EncoderOptions & Omit<EncoderClassifierOptions, 'encoder'> = {}): Promise<RiskClassifier> {
  const encoder = await loadSentenceEncoder(modelDir, options);
  const classifier = createEncoderClassifier({ ...options, encoder });
  await classifier.classify('warm-up: I am fine, thanks', ['earlier message']);
  return classifier;
}
