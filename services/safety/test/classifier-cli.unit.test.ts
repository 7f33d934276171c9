import { beforeAll, describe, expect, it } from 'vitest';
import { loadRiskClassifier, type RiskClassifier } from '../src/classifier';
import { classifyJsonLines, exitCodeFor } from '../src/cli/jsonLines';
import { loadConfig } from '@haven/platform';
import { classifierSettings, encoderModelPath } from '../src/config';

let classifier: RiskClassifier;
beforeAll(async () => {
  // The real sentence encoder (installed by deploy/local/setup.sh); a missing model fails here with install instructions.
  classifier = await loadRiskClassifier(encoderModelPath(loadConfig('safety-test', classifierSettings).encoderModelDir));
}, 60_000);

async function* linesOf(...lines: string[]): AsyncGenerator<string> {
  for (const line of lines) yield line;
}

async function run(...lines: string[]) {
  const out: unknown[] = [];
  // Batches of 2 so that a batch boundary falls inside the input.
  const outcome = await classifyJsonLines(linesOf(...lines), classifier, (line) => {
    out.push(JSON.parse(line));
  }, 2);
  return { out, outcome, exitCode: exitCodeFor(outcome) };
}

describe('batch classification of JSON lines', () => {
  it('answers each line in order, using history, and skips blank lines', async () => {
    const { out, exitCode } = await run(
      JSON.stringify({ id: 'a', text: 'this commute is killing me' }),
      '',
      JSON.stringify({ id: 2, text: "tonight's the night", history: ['I bought a rope'] }),
    );
    expect(out).toEqual([
      expect.objectContaining({ id: 'a', level: 'NORMAL' }),
      expect.objectContaining({ id: 2, level: 'HIGH_RISK', signals: expect.arrayContaining(['context:prior_method']) }),
    ]);
    expect(exitCode).toBe(0);
  });

  it('reports malformed lines inline and carries on', async () => {
    const { out, outcome, exitCode } = await run('{not json', JSON.stringify({ id: 'x', history: [] }), JSON.stringify({ id: 'ok', text: 'hello' }));
    expect(out[0]).toEqual({ id: null, error: 'not valid JSON' });
    expect(out[1]).toMatchObject({ id: 'x', error: expect.stringContaining('text') });
    expect(out[2]).toMatchObject({ id: 'ok', level: 'NORMAL' });
    expect(outcome).toEqual({ seen: 3, failed: 2 });
    expect(exitCode).toBe(0);
  });

  it('keeps input order across batches and matches one-at-a-time classification', async () => {
    const texts = ['hello there', 'i want to die fr fr tonight', 'that joke killed me', 'I bought a rope', 'work was so stressful today'];
    const { out } = await run(...texts.map((text, id) => JSON.stringify({ id, text })));
    const single = await Promise.all(texts.map((t) => classifier.classify(t)));
    expect(out).toEqual(single.map(({ level, signals, confidence }, id) => ({ id, level, signals, confidence })));
  });

  it('exits non-zero only when every line failed', async () => {
    expect((await run('nope', '[]')).exitCode).toBe(1);
    expect((await run()).exitCode).toBe(0);
  });
});
