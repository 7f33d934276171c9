import { commonSettings, mongoSettings, natsSettings, redisSettings, setting, types } from '@haven/platform';

export const safetyConfig = {
  ...commonSettings,
  ...natsSettings,
  ...mongoSettings,
  ...redisSettings,
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
