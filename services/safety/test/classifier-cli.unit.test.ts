import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, type RiskClassifier } from '../src/classifier';
import { classifyJsonLines, exitCodeFor } from '../src/cli/jsonLines';

let classifier: RiskClassifier;
beforeAll(() => {
  classifier = createClassifier();
});

async function* linesOf(...lines: string[]): AsyncGenerator<string> {
  for (const line of lines) yield line;
}

async function run(...lines: string[]) {
  const out: unknown[] = [];
  const outcome = await classifyJsonLines(linesOf(...lines), classifier, (line) => {
    out.push(JSON.parse(line));
  });
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

  it('exits non-zero only when every line failed', async () => {
    expect((await run('nope', '[]')).exitCode).toBe(1);
    expect((await run()).exitCode).toBe(0);
  });
});
