import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@haven/platform';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, loadRiskClassifier, type Assessment, type RuleClassifier, type RiskLevel } from '../src/classifier';
import { classifierSettings, encoderModelPath } from '../src/config';

interface Labelled {
  id: string;
  text: string;
  history?: string[];
  label: RiskLevel;
}

function load(name: string): Labelled[] {
  return readFileSync(join(__dirname, 'fixtures', name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Labelled);
}

function score(classifier: RuleClassifier, rows: readonly Labelled[]) {
  return scoreLevels(rows, rows.map((row) => classifier.classify(row.text, row.history ?? [])));
}

function scoreLevels(rows: readonly Labelled[], assessments: readonly Assessment[]) {
  let highTotal = 0;
  let highFound = 0;
  let benignTotal = 0;
  let falseAlarms = 0;
  const missedHigh: string[] = [];
  const alarms: string[] = [];
  for (const [i, row] of rows.entries()) {
    const { level } = assessments[i]!;
    if (row.label === 'HIGH_RISK') {
      highTotal++;
      if (level === 'HIGH_RISK') highFound++;
      else missedHigh.push(`${row.id} ${row.text} → ${level}`);
    }
    if (row.label === 'NORMAL' || row.label === 'WATCH') {
      benignTotal++;
      if (level === 'ELEVATED_CONCERN' || level === 'HIGH_RISK') {
        falseAlarms++;
        alarms.push(`${row.id} ${row.text} → ${level}`);
      }
    }
  }
  return { highRecall: highFound / highTotal, falseAlarmRate: falseAlarms / benignTotal, missedHigh, alarms };
}

describe('offline risk classifier on the labelled development set', () => {
  let classifier: RuleClassifier;
  beforeAll(() => {
    classifier = createClassifier();
  });

  it('has a realistic mix of at least 400 messages', () => {
    const dev = load('safety-devset.jsonl');
    expect(dev.length).toBeGreaterThanOrEqual(400);
    const share = (level: RiskLevel) => dev.filter((r) => r.label === level).length / dev.length;
    expect(share('HIGH_RISK')).toBeGreaterThan(0.2);
    expect(share('NORMAL')).toBeGreaterThan(0.3);
    expect(dev.some((r) => (r.history ?? []).length > 0)).toBe(true);
  });

  it('finds at least 97% of HIGH_RISK messages and raises at most 5% of NORMAL/WATCH messages', () => {
    const result = score(classifier, load('safety-devset.jsonl'));
    expect(result.highRecall, `missed:\n${result.missedHigh.join('\n')}`).toBeGreaterThanOrEqual(0.97);
    expect(result.falseAlarmRate, `raised:\n${result.alarms.join('\n')}`).toBeLessThanOrEqual(0.05);
  });
});

describe('the service classifier (rules + sentence encoder head) on the development set', () => {
  // The development set is part of the head's training data (scripts/train.mjs), so this guards
  // against regressions; it does not measure generalisation (train.mjs prints out-of-fold numbers).
  // Blind measurement: scripts/evaluate.mjs on the test set, TEST_FILE in scripts/trainingData.mjs (ADR 0011).
  it('finds at least 97% of HIGH_RISK messages and raises at most 5% of NORMAL/WATCH messages', async () => {
    const classifier = await loadRiskClassifier(encoderModelPath(loadConfig('safety-test', classifierSettings).encoderModelDir));
    const rows = load('safety-devset.jsonl');
    const result = scoreLevels(rows, await classifier.classifyBatch(rows));
    expect(result.highRecall, `missed:\n${result.missedHigh.join('\n')}`).toBeGreaterThanOrEqual(0.97);
    expect(result.falseAlarmRate, `raised:\n${result.alarms.join('\n')}`).toBeLessThanOrEqual(0.05);
  }, 60_000);
});
