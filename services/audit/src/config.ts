import { commonSettings, mongoSettings, natsSettings, redisSettings, setting, types } from '@haven/platform';

export const auditConfig = {
  ...commonSettings,
  ...natsSettings,
  ...mongoSettings,
  ...redisSettings,
  consumerConcurrency: setting({
    env: 'AUDIT_CONSUMER_CONCURRENCY',
    schema: types.int(1, 64),
    default: '4',
    doc: 'events handled at once per context stream; appends to the hash chain are serialised regardless',
  }),
};
