import { commonSettings, mongoSettings, natsSettings, setting, types } from '@haven/platform';

export const memoryConfig = {
  ...commonSettings,
  ...natsSettings,
  ...mongoSettings,
  masterKey: setting({
    env: 'MASTER_KEY',
    schema: types.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)'),
    devDefault: Buffer.alloc(32, 7).toString('base64'),
    secret: true,
    doc: 'master key (base64, 32 bytes) that wraps the per-user data keys; from a Secret/KMS in production',
  }),
};
