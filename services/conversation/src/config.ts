import { commonSettings, mongoSettings, natsSettings, redisSettings, setting, types } from '@haven/platform';

export const conversationConfig = {
  ...commonSettings,
  ...natsSettings,
  ...mongoSettings,
  ...redisSettings,
  openaiBaseUrl: setting({ env: 'OPENAI_BASE_URL', schema: types.optionalString(), doc: 'OpenAI-compatible endpoint (default: the OpenAI API)' }),
  openaiApiKey: setting({ env: 'OPENAI_API_KEY', schema: types.optionalString(), secret: true, doc: 'API key; unset = offline responder, marked as offline in reply metadata' }),
  openaiModel: setting({ env: 'OPENAI_MODEL', schema: types.string(), default: 'gpt-4o-mini', doc: 'chat model' }),
  openaiTimeoutMs: setting({ env: 'OPENAI_TIMEOUT_MS', schema: types.int(100, 600_000), default: '30000', doc: 'LLM request timeout per attempt (until the reply starts, and the longest pause between streamed tokens)' }),
  openaiMaxRetries: setting({ env: 'OPENAI_MAX_RETRIES', schema: types.int(0, 10), default: '2', doc: 'LLM retries with backoff on 429/5xx/timeouts before the reply starts' }),
  openaiMaxTokens: setting({ env: 'OPENAI_MAX_TOKENS', schema: types.int(16, 8192), default: '400', doc: 'upper bound of completion tokens per reply' }),
  upstreamDeadlineMs: setting({ env: 'UPSTREAM_DEADLINE_MS', schema: types.int(100, 60_000), default: '5000', doc: 'deadline for calls to session, safety, billing and memory' }),
  incognitoTtlSeconds: setting({ env: 'INCOGNITO_TTL_SECONDS', schema: types.int(60, 604_800), default: '21600', doc: 'lifetime of an incognito session’s live context in Redis' }),
  safetyAddr: setting({ env: 'SAFETY_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50054', doc: 'safety service gRPC address' }),
  billingAddr: setting({ env: 'BILLING_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50055', doc: 'billing service gRPC address' }),
  sessionAddr: setting({ env: 'SESSION_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50052', doc: 'session service gRPC address' }),
  memoryAddr: setting({ env: 'MEMORY_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50056', doc: 'memory service gRPC address' }),
};
