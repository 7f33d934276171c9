import { z } from 'zod';
import type { RiskClassifier } from '../classifier';

const InputLine = z.object({
  id: z.union([z.string(), z.number()]),
  text: z.string(),
  history: z.array(z.string()).optional(),
});

function idOf(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null || !('id' in value)) return null;
  const id = (value as { id: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ');
}

export interface BatchOutcome {
  /** Non-blank input lines. */
  readonly seen: number;
  /** Lines answered with an `error` object. */
  readonly failed: number;
}

/**
 * Classifies JSON lines one at a time, writing one JSON line per non-blank input line in order.
 * `write` may return a promise (back-pressure); nothing is buffered beyond one line.
 */
export async function classifyJsonLines(
  lines: AsyncIterable<string>,
  classifier: RiskClassifier,
  write: (line: string) => void | Promise<void>,
): Promise<BatchOutcome> {
  let seen = 0;
  let failed = 0;
  for await (const raw of lines) {
    if (raw.trim() === '') continue;
    seen++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      failed++;
      await write(JSON.stringify({ id: null, error: 'not valid JSON' }));
      continue;
    }
    const input = InputLine.safeParse(parsed);
    if (!input.success) {
      failed++;
      await write(JSON.stringify({ id: idOf(parsed), error: describe(input.error) }));
      continue;
    }
    const { id, text, history } = input.data;
    try {
      const { level, signals, confidence } = classifier.classify(text, history ?? []);
      await write(JSON.stringify({ id, level, signals, confidence }));
    } catch (error) {
      failed++;
      await write(JSON.stringify({ id, error: `classification failed: ${error instanceof Error ? error.message : String(error)}` }));
    }
  }
  return { seen, failed };
}

/** Exit status: 1 only when there was input and every line failed. */
export function exitCodeFor({ seen, failed }: BatchOutcome): number {
  return seen > 0 && failed === seen ? 1 : 0;
}
