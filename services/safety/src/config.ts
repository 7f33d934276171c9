import { isAbsolute, resolve } from 'node:path';
import { commonSettings, mongoSettings, natsSettings, redisSettings, setting, types } from '@haven/platform';

/** The repository (or image) root: this file is services/safety/{src,dist}/config.*. */
const ROOT = resolve(__dirname, '../../..');

/** SAFETY_ENCODER_MODEL_DIR as an absolute path: a relative one is read from the repository root. */
export function encoderModelPath(dir: string): string {
  return isAbsolute(dir) ? dir : resolve(ROOT, dir);
}

/** The offline classifier's own settings (also read by the batch CLI, which needs nothing else). */
export const classifierSettings = {
  encoder: setting({
    env: 'SAFETY_ENCODER',
    schema: types.enumOf(['on', 'off'] as const),
    default: 'on',
    doc: 'on: the offline classifier runs the sentence encoder + learned head over the rules, and start-up fails if the model is not installed; off: rules + naive Bayes only (much lower recall, ADR 0007)',
  }),
  encoderModelDir: setting({
    env: 'SAFETY_ENCODER_MODEL_DIR',
    schema: types.string(),
    default: '.haven/models/all-minilm-l6-v2',
    doc: 'folder of the sentence encoder (model.onnx, tokenizer.json); relative to the repository root; installed by `bash deploy/local/setup.sh`',
  }),
  encoderThreads: setting({
    env: 'SAFETY_ENCODER_THREADS',
    schema: types.int(1, 64),
    default: '1',
    doc: 'CPU threads one sentence-encoder inference may use',
  }),
};

export const safetyConfig = {
  ...commonSettings,
  ...natsSettings,
  ...mongoSettings,
  ...redisSettings,
  ...classifierSettings,
  openaiBaseUrl: setting({ env: 'OPENAI_BASE_URL', schema: types.optionalString(), doc: 'OpenAI-compatible endpoint for moderation/LLM recall (optional)' }),
  openaiApiKey: setting({ env: 'OPENAI_API_KEY', schema: types.optionalString(), secret: true, doc: 'API key; unset = offline classifier only' }),
  openaiModel: setting({ env: 'OPENAI_MODEL', schema: types.string(), default: 'gpt-4o-mini', doc: 'chat model asked to classify risk (only with OPENAI_API_KEY)' }),
  moderationModel: setting({ env: 'OPENAI_MODERATION_MODEL', schema: types.string(), default: 'omni-moderation-latest', doc: 'moderation model for the self-harm categories (only with OPENAI_API_KEY)' }),
  remoteChecks: setting({
    env: 'SAFETY_REMOTE_CHECKS',
    schema: types.enumOf(['moderation+llm', 'moderation', 'llm', 'none'] as const),
    default: 'moderation+llm',
    doc: 'remote checks that may add recall when OPENAI_API_KEY is set; they never lower the offline level',
  }),
  remoteBudgetMs: setting({
    env: 'SAFETY_REMOTE_BUDGET_MS',
    schema: types.int(50, 10_000),
    default: '1500',
    doc: 'upper bound for the remote checks per Assess; never beyond the caller deadline (minus 250 ms)',
  }),
  crisisWebhookUrl: setting({ env: 'CRISIS_WEBHOOK_URL', schema: types.optionalString(), doc: 'optional outbound webhook called for HIGH_RISK alerts (never with message content)' }),
};
