import { z } from 'zod';
import type { Assessment, ClassifyInput } from '../classifier';

/** What the CLI needs of a classifier: the encoder classifier, or the rules alone wrapped in a promise. */
export interface BatchClassifier {
  classifyBatch(inputs: readonly ClassifyInput[]): Promise<Assessment[]>;
}

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

/** Lines classified together: the encoder embeds a batch faster per message than one at a time. */
export const BATCH_LINES = 32;

type Slot = { readonly out: string } | { readonly id: string | number; readonly input: ClassifyInput };

/**
 * Classifies JSON lines in batches of up to `batchLines`, writing one JSON line per non-blank
 * input line, in input order. `write` may return a promise (back-pressure); at most one batch
 * is held in memory.
 */
export async function classifyJsonLines(
  lines: AsyncIterable<string>,
  classifier: BatchClassifier,
  write: (line: string) => void | Promise<void>,
  batchLines = BATCH_LINES,
): Promise<BatchOutcome> {
  let seen = 0;
  let failed = 0;
  let pending: Slot[] = [];

  const flush = async (): Promise<void> => {
    const slots = pending;
    pending = [];
    const work = slots.filter((s): s is Extract<Slot, { input: ClassifyInput }> => 'input' in s);
    let results: Assessment[] | Error;
    try {
      results = work.length > 0 ? await classifier.classifyBatch(work.map((s) => s.input)) : [];
    } catch (error) {
      results = error instanceof Error ? error : new Error(String(error));
    }
    let next = 0;
    for (const slot of slots) {
      if ('out' in slot) {
        await write(slot.out);
        continue;
      }
      if (results instanceof Error) {
        failed++;
        await write(JSON.stringify({ id: slot.id, error: `classification failed: ${results.message}` }));
        continue;
      }
      const { level, signals, confidence } = results[next++]!;
      await write(JSON.stringify({ id: slot.id, level, signals, confidence }));
    }
  };

  for await (const raw of lines) {
    if (raw.trim() === '') continue;
    seen++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      failed++;
      pending.push({ out: JSON.stringify({ id: null, error: 'not valid JSON' }) });
      continue;
    }
    const input = InputLine.safeParse(parsed);
    if (!input.success) {
      failed++;
      pending.push({ out: JSON.stringify({ id: idOf(parsed), error: describe(input.error) }) });
      continue;
    }
    const { id, text, history } = input.data;
    pending.push({ id, input: { text, history: history ?? [] } });
    if (pending.length >= batchLines) await flush();
  }
  await flush();
  return { seen, failed };
}

/** Exit status: 1 only when there was input and every line failed. */
export function exitCodeFor({ seen, failed }: BatchOutcome): number {
  return seen > 0 && failed === seen ? 1 : 0;
}
