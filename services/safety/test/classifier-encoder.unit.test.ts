import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@haven/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cosine,
  createEncoderClassifier,
  EncoderModelMissingError,
  featureCount,
  loadRiskHead,
  loadSentenceEncoder,
  MAX_TOKENS,
  sentencesOf,
  type RiskClassifier,
  type RiskLevel,
  type SentenceEncoder,
} from '../src/classifier';
import { RISK_HEAD } from '../src/classifier/model/riskHeadData';
import { classifierSettings, encoderModelPath } from '../src/config';
import { startOfflineClassifier } from '../src/infrastructure/offlineClassifier';

// The real model, installed by `bash deploy/local/setup.sh`. No skipping: without it these tests
// fail with EncoderModelMissingError, whose message says how to install it.
const modelDir = encoderModelPath(loadConfig('safety-test', classifierSettings).encoderModelDir);

let encoder: SentenceEncoder;
let classifier: RiskClassifier;
beforeAll(async () => {
  encoder = await loadSentenceEncoder(modelDir);
  classifier = createEncoderClassifier({ encoder });
}, 60_000);
afterAll(async () => {
  await encoder.release();
});

describe('sentence encoder (all-MiniLM-L6-v2, int8 ONNX)', () => {
  it('gives unit-length 384-dimensional embeddings', async () => {
    const [v] = await encoder.embed(['I had a long day at work']);
    expect(v).toHaveLength(384);
    expect(cosine(v!, v!)).toBeCloseTo(1, 4);
  });

  it('puts paraphrases closer together than unrelated sentences', async () => {
    const [a, b, c, d] = await encoder.embed([
      'I am going to end my life tonight',
      'tonight I will kill myself',
      'the bakery on the corner sells great bread',
      'my cat knocked a glass off the table',
    ]);
    expect(cosine(a!, b!)).toBeGreaterThan(0.6);
    expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, c!) + 0.3);
    expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, d!) + 0.3);
  });

  it('embeds a batch exactly as one at a time', async () => {
    const texts = ['short', 'a somewhat longer sentence with more word pieces in it', ''];
    const batch = await encoder.embed(texts);
    for (const [i, text] of texts.entries()) {
      const [single] = await encoder.embed([text]);
      expect(cosine(batch[i]!, single!)).toBeCloseTo(1, 4);
    }
  });

  it('tokenizes emojis, empty and very long input without failing, truncating to 256 tokens', async () => {
    const cls = encoder.tokenize('')[0];
    const sep = encoder.tokenize('').at(-1);
    expect(encoder.tokenize('')).toHaveLength(2);
    expect(encoder.tokenize('im done 😭🖤 bye').length).toBeGreaterThan(4);
    const long = encoder.tokenize('I have been feeling low and tired for weeks now. '.repeat(200));
    expect(long).toHaveLength(MAX_TOKENS);
    expect(long[0]).toBe(cls);
    expect(long.at(-1)).toBe(sep);
    const vectors = await encoder.embed(['', '😭😭😭', 'word '.repeat(5000)]);
    for (const v of vectors) expect(cosine(v, v)).toBeCloseTo(1, 4);
  });

  it('fails clearly when the model is not installed', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'haven-no-model-'));
    const failure = loadSentenceEncoder(empty);
    await expect(failure).rejects.toBeInstanceOf(EncoderModelMissingError);
    await expect(failure).rejects.toThrow(/deploy\/local\/setup\.sh/);
    await expect(startOfflineClassifier({ encoder: 'on', encoderModelDir: empty, encoderThreads: 1 })).rejects.toThrow(/SAFETY_ENCODER=off/);
  });
});

describe('encoder classifier: rules + learned head', () => {
  const level = async (text: string, history: string[] = []): Promise<RiskLevel> => (await classifier.classify(text, history)).level;

  it('ships a trained head (an ensemble of networks) with chosen thresholds', () => {
    expect(RISK_HEAD.version).toBe(2);
    expect(RISK_HEAD.members.length).toBeGreaterThan(1);
    expect(RISK_HEAD.inputs).toBe(featureCount(RISK_HEAD.signals));
    expect(RISK_HEAD.thresholds.high).toBeGreaterThan(0);
    const head = loadRiskHead(RISK_HEAD);
    const p = head.probabilities(new Float64Array(RISK_HEAD.inputs));
    expect(p).toHaveLength(4);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('refuses a head whose weights do not fit its shape, saying what is wrong', () => {
    const member = RISK_HEAD.members[0]!;
    expect(() => loadRiskHead({ ...RISK_HEAD, members: [{ ...member, w1: member.w1.slice(0, 400) }] })).toThrow(/member 0 w1 holds \d+ weights, expected/);
    expect(() => loadRiskHead({ ...RISK_HEAD, inputs: RISK_HEAD.inputs + 1 })).toThrow(/inputs/);
    expect(() => loadRiskHead({ ...RISK_HEAD, members: [] })).toThrow(/no ensemble members/);
    expect(() => loadRiskHead({ ...RISK_HEAD, version: 1 } as unknown as typeof RISK_HEAD)).toThrow(/retrain/);
    expect(() => loadRiskHead(RISK_HEAD).probabilities(new Float64Array(3))).toThrow(/got 3 features/);
  });

  it('"painless ways to die" is HIGH_RISK although "to die for" is an idiom', async () => {
    expect(await level('painless ways to die')).toBe('HIGH_RISK');
    expect(await level('this cake is to die for')).toBe('NORMAL');
  });

  it('"i want to die fr fr tonight" is HIGH_RISK', async () => {
    expect(await level('i want to die fr fr tonight')).toBe('HIGH_RISK');
  });

  it('"I feel steadier now" after a crisis message is not HIGH_RISK', async () => {
    expect(await level('I feel steadier now', ['I have 40 pills saved up and I am taking them tonight'])).not.toBe('HIGH_RISK');
    expect(await level('I feel steadier now', ['i want to kill myself', 'i bought a rope'])).not.toBe('HIGH_RISK');
    expect(await level("tonight's the night", ['I bought a rope'])).toBe('HIGH_RISK');
  });

  it.each(['this commute is killing me', 'I could murder a pizza', 'that joke killed me', 'hello', 'I passed my driving test today!', 'ok', 'k thx', 'can we pick up where we left off last time?', 'I had a calm walk by the river today'])(
    'leaves "%s" NORMAL',
    async (text) => {
      expect(await level(text)).toBe('NORMAL');
    },
  );

  it.each(['kms', 'gonna unalive myself tonight', 'I wrote letters to everyone I love. I won\'t be here after the weekend.', 'going to walk into the sea tonight'])(
    'finds "%s" HIGH_RISK',
    async (text) => {
      const a = await classifier.classify(text);
      expect(a.level).toBe('HIGH_RISK');
      expect(a.confidence).toBeGreaterThan(0);
    },
  );

  it('reads "tonight\'s the night" by its history: HIGH_RISK after a rope, not after concert tickets', async () => {
    expect(await level("tonight's the night", ['I bought a rope'])).toBe('HIGH_RISK');
    expect(await level("tonight's the night!", ['got tickets to see my favourite band', 'so excited'])).not.toMatch(/HIGH_RISK|ELEVATED_CONCERN/);
  });

  it('reads a bare "ok" by its history: ordinary alone, HIGH_RISK after a plan', async () => {
    expect(await level('ok')).toBe('NORMAL');
    expect(await level('ok', ['ive got the pills saved up', 'tonight when everyone is asleep'])).toBe('HIGH_RISK');
  });

  it('keeps the rule signals and adds the encoder signal', async () => {
    const a = await classifier.classify('gonna kms tonight');
    expect(a.signals).toEqual(expect.arrayContaining(['slang:kms', 'encoder:high_risk']));
  });

  it('is deterministic, and a batch equals single calls', async () => {
    const inputs = [{ text: 'I bought a rope' }, { text: "tonight's the night", history: ['I bought a rope'] }, { text: 'I passed my exam!' }];
    const batch = await classifier.classifyBatch(inputs);
    const single = await Promise.all(inputs.map((i) => classifier.classify(i.text, i.history ?? [])));
    expect(batch).toEqual(single);
    expect(await classifier.classifyBatch(inputs)).toEqual(batch);
  });

  it('scores the sentences of a longer message on their own', () => {
    expect(sentencesOf('Had a nice lunch with mum. Going to end it all tonight.')).toEqual(['Had a nice lunch with mum.', 'Going to end it all tonight.']);
    expect(sentencesOf('just one sentence here')).toEqual([]);
  });
});
