import { beforeAll, describe, expect, it } from 'vitest';
import { combineWithModel, createClassifier, DEFAULT_THRESHOLDS, type LevelOdds, type RuleClassifier } from '../src/classifier';

const leansHigh: LevelOdds = { NORMAL: -40, WATCH: -30, ELEVATED_CONCERN: -10, HIGH_RISK: 30 };
const leansElevated: LevelOdds = { NORMAL: -40, WATCH: -20, ELEVATED_CONCERN: 25, HIGH_RISK: -5 };
const undecided: LevelOdds = { NORMAL: -2, WATCH: -1, ELEVATED_CONCERN: -3, HIGH_RISK: -6 };
const act = { act: true, despair: true };
const none = { act: false, despair: false };

describe('combining the rules with the trained model', () => {
  it('raises the rule level when the model is confident and a risk word is said outright', () => {
    const out = combineWithModel({ ruleLevel: 'NORMAL', odds: leansHigh, signals: new Set(), vocabulary: act, priorRisk: false });
    expect(out).toEqual({ level: 'HIGH_RISK', modelSignal: 'model:HIGH_RISK' });
  });

  it('never lowers the rule level', () => {
    const out = combineWithModel({ ruleLevel: 'HIGH_RISK', odds: undecided, signals: new Set(['self_harm_intent']), vocabulary: act, priorRisk: false });
    expect(out.level).toBe('HIGH_RISK');
  });

  it('needs a death/self-harm/method/farewell cue for a model-only HIGH_RISK: a time word alone is not one', () => {
    const out = combineWithModel({ ruleLevel: 'NORMAL', odds: leansHigh, signals: new Set(['timeframe_imminent']), vocabulary: none, priorRisk: false });
    expect(out.level).not.toBe('HIGH_RISK');
    expect(out.level).not.toBe('ELEVATED_CONCERN');
  });

  it('lets an earlier method or intent in the session stand in for the cue', () => {
    const out = combineWithModel({ ruleLevel: 'NORMAL', odds: leansHigh, signals: new Set(['timeframe_imminent']), vocabulary: none, priorRisk: true });
    expect(out.level).toBe('HIGH_RISK');
  });

  it.each(['idiom', 'hyperbole', 'negated:self_harm', 'media_context', 'professional_context', 'third_person_past', 'denies_intent'])(
    'keeps a %s frame out of ELEVATED/HIGH even when the model leans risky',
    (frame) => {
      const out = combineWithModel({ ruleLevel: 'NORMAL', odds: leansHigh, signals: new Set([frame]), vocabulary: act, priorRisk: false });
      expect(['NORMAL', 'WATCH']).toContain(out.level);
    },
  );

  it('needs a despair cue for a model-only ELEVATED_CONCERN', () => {
    expect(combineWithModel({ ruleLevel: 'WATCH', odds: leansElevated, signals: new Set(['distress']), vocabulary: none, priorRisk: false }).level).toBe('WATCH');
    expect(combineWithModel({ ruleLevel: 'WATCH', odds: leansElevated, signals: new Set(['distress']), vocabulary: { act: false, despair: true }, priorRisk: false }).level).toBe(
      'ELEVATED_CONCERN',
    );
  });

  it('resolves an unsure ELEVATED_CONCERN with an act cue to HIGH_RISK', () => {
    const odds: LevelOdds = { NORMAL: -40, WATCH: -30, ELEVATED_CONCERN: 5, HIGH_RISK: -1 };
    expect(combineWithModel({ ruleLevel: 'ELEVATED_CONCERN', odds, signals: new Set(['passive_death_wish', 'method']), vocabulary: act, priorRisk: false }, DEFAULT_THRESHOLDS).level).toBe('HIGH_RISK');
    expect(combineWithModel({ ruleLevel: 'ELEVATED_CONCERN', odds, signals: new Set(['passive_death_wish']), vocabulary: act, priorRisk: false }).level).toBe('ELEVATED_CONCERN');
  });
});

describe('the shipped classifier (rules + trained model)', () => {
  let classifier: RuleClassifier;
  beforeAll(() => {
    classifier = createClassifier();
  });

  it.each([
    'this commute is killing me',
    'I could murder a pizza',
    "I'm dying to see it",
    "lol i'm dead",
    'I would never hurt myself, I just feel flat',
    "don't worry i'm not going to kill myself, i just need to vent about my landlord",
    'we watched a film about a man who takes his own life',
    "I'm going to bed early tonight.",
    "tonight's the night! concert time!",
  ])('leaves "%s" below ELEVATED_CONCERN', (text) => {
    expect(['NORMAL', 'WATCH']).toContain(classifier.classify(text).level);
  });

  it('is deterministic and exposes its features', () => {
    const text = 'gonna take all my pills tonight';
    expect(classifier.classify(text)).toEqual(classifier.classify(text));
    expect(classifier.features(text)).toEqual(expect.arrayContaining(['l:pill', 'r:HIGH_RISK']));
  });

  it('runs the rules alone when the model is switched off', () => {
    const rulesOnly = createClassifier({ model: null });
    expect(rulesOnly.classify('this commute is killing me').level).toBe('NORMAL');
    expect(rulesOnly.classify('this commute is killing me').signals.some((s) => s.startsWith('model:'))).toBe(false);
  });
});
