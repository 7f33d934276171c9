#!/usr/bin/env node
import { createInterface } from 'node:readline';
import { createClassifier } from '../classifier';
import { classifyJsonLines, exitCodeFor } from './jsonLines';

const USAGE = `Usage: node services/safety/dist/cli/classify.js [--help]

Classifies chat messages with Haven's offline risk classifier (no network, no servers).

Input (stdin): one JSON object per line
  {"id": "m1", "text": "message text", "history": ["earlier message", "..."]}
  id       string or number, echoed back
  text     the message to assess
  history  optional: the user's earlier messages in the same session, oldest first

Output (stdout): one JSON object per input line, in input order
  {"id": "m1", "level": "HIGH_RISK", "signals": ["self_harm_intent", "timeframe_imminent"], "confidence": 0.88}
  level is NORMAL | WATCH | ELEVATED_CONCERN | HIGH_RISK.
  A line that is not valid JSON or lacks a string "text" produces
  {"id": <its id, or null>, "error": "<reason>"} and processing continues.
  Blank lines are skipped.

Exit status
  0  every line was classified, or at least one was (failed lines are reported inline)
  1  there was input and every line failed (likely the wrong format altogether)
  2  bad command-line arguments

Input is streamed line by line; memory use does not grow with the input size.`;

async function write(line: string): Promise<void> {
  if (!process.stdout.write(`${line}\n`)) {
    await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
  }
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(`unknown argument: ${argv[0]}\n\n${USAGE}\n`);
    return 2;
  }
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  return exitCodeFor(await classifyJsonLines(lines, createClassifier(), write));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`classify: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
