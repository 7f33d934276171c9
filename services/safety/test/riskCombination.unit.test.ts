import { describe, expect, it } from 'vitest';
import { crisisResourcesFor } from '../src/domain/crisisResources';
import { combineVerdicts } from '../src/domain/riskCombination';
import { parseClassification } from '../src/infrastructure/openaiRecall';

describe('combining offline and remote verdicts', () => {
  const offline = (level: 'NORMAL' | 'WATCH' | 'ELEVATED_CONCERN' | 'HIGH_RISK') => ({ level, signals: ['offline_signal'], confidence: 0.9 });

  it('a remote check may raise the level and adds its signals', () => {
    const r = combineVerdicts(offline('WATCH'), [{ source: 'moderation', level: 'HIGH_RISK', signals: ['moderation:self-harm/intent'] }]);
    expect(r).toMatchObject({ level: 'HIGH_RISK', signals: ['offline_signal', 'moderation:self-harm/intent'], sources: ['offline', 'moderation'] });
  });

  it('never lowers an offline HIGH_RISK', () => {
    const r = combineVerdicts(offline('HIGH_RISK'), [
      { source: 'moderation', level: undefined, signals: [] },
      { source: 'llm', level: 'NORMAL', signals: ['llm:just an idiom'] },
    ]);
    expect(r).toEqual({ level: 'HIGH_RISK', signals: ['offline_signal'], confidence: 0.9, sources: ['offline'] });
  });

  it('keeps the highest of several remote opinions', () => {
    const r = combineVerdicts(offline('NORMAL'), [
      { source: 'moderation', level: 'ELEVATED_CONCERN', signals: ['moderation:self-harm'] },
      { source: 'llm', level: 'WATCH', signals: ['llm:stress'] },
    ]);
    expect(r.level).toBe('ELEVATED_CONCERN');
  });
});

describe('LLM answer parsing', () => {
  it('reads a JSON answer, even wrapped in prose', () => {
    expect(parseClassification('Sure: {"level":"HIGH_RISK","signals":["plan","timeframe"]}')).toEqual({ source: 'llm', level: 'HIGH_RISK', signals: ['llm:plan', 'llm:timeframe'] });
  });
  it('treats anything unexpected as no opinion', () => {
    expect(parseClassification('I cannot help with that').level).toBeUndefined();
    expect(parseClassification('{"level":"SEVERE"}').level).toBeUndefined();
    expect(parseClassification('{not json}').level).toBeUndefined();
  });
});

describe('crisis resources by locale', () => {
  it('UK: 999 and Samaritans 116 123', () => {
    const phones = crisisResourcesFor('en-GB').map((r) => r.phone);
    expect(phones).toContain('999');
    expect(phones).toContain('116 123');
    expect(crisisResourcesFor('en_UK').map((r) => r.phone)).toContain('116 123');
  });
  it('US: 988 Suicide & Crisis Lifeline', () => {
    expect(crisisResourcesFor('en-US').some((r) => r.phone === '988' && r.name.includes('988'))).toBe(true);
  });
  it('IE, AU, CA, DE have their own lines', () => {
    for (const locale of ['en-IE', 'en-AU', 'fr-CA', 'de-DE']) expect(crisisResourcesFor(locale).length).toBeGreaterThan(1);
  });
  it('unknown or missing country falls back to international resources', () => {
    for (const locale of ['', 'pt-BR', 'es']) expect(crisisResourcesFor(locale).some((r) => r.url.includes('findahelpline.com'))).toBe(true);
  });
});
