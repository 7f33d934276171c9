import { commonSettings, mongoSettings, natsSettings, redisSettings, setting, types } from '@haven/platform';

export const conversationConfig = {
  ...commonSettings,
  ...natsSettings,
  ...mongoSettings,
  ...redisSettings,
  openaiBaseUrl: setting({ env: 'OPENAI_BASE_URL', schema: types.optionalString(), doc: 'OpenAI-compatible endpoint (default: the OpenAI API)' }),
  openaiApiKey: setting({ env: 'OPENAI_API_KEY', schema: types.optionalString(), secret: true, doc: 'API key; unset = offline responder, marked as offline in reply metadata' }),
  openaiModel: setting({ env: 'OPENAI_MODEL', schema: types.string(), default: 'gpt-4o-mini', doc: 'chat model' }),
  safetyAddr: setting({ env: 'SAFETY_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50054', doc: 'safety service gRPC address' }),
  billingAddr: setting({ env: 'BILLING_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50055', doc: 'billing service gRPC address' }),
  sessionAddr: setting({ env: 'SESSION_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50052', doc: 'session service gRPC address' }),
  memoryAddr: setting({ env: 'MEMORY_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50056', doc: 'memory service gRPC address' }),
};
