#!/usr/bin/env node
import { createInterface } from 'node:readline';
import { loadConfig } from '@haven/platform';
import { createClassifier, loadRiskClassifier } from '../classifier';
import { classifierSettings, encoderModelPath } from '../config';
import { classifyJsonLines, exitCodeFor, type BatchClassifier } from './jsonLines';

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

Input is streamed in batches of 32 lines; memory use does not grow with the input size.

Environment
  SAFETY_ENCODER_MODEL_DIR  sentence encoder folder (default .haven/models/all-minilm-l6-v2,
                            installed by \`bash deploy/local/setup.sh\`); a missing model is an error
  SAFETY_ENCODER=off        rules + naive Bayes only (much lower recall)`;

async function classifierFromEnvironment(): Promise<BatchClassifier> {
  const cfg = loadConfig('safety:classify', classifierSettings);
  if (cfg.encoder === 'on') return loadRiskClassifier(encoderModelPath(cfg.encoderModelDir), { threads: cfg.encoderThreads });
  const rules = createClassifier();
  return { classifyBatch: (inputs) => Promise.resolve(inputs.map((i) => rules.classify(i.text, i.history ?? []))) };
}

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
  // Load the model first: readline's async iterator only buffers lines from the moment it is
  // created, so lines read from stdin while the model loaded would be lost.
  const classifier = await classifierFromEnvironment();
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  return exitCodeFor(await classifyJsonLines(lines, classifier, write));
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
