import { z } from 'zod';
import { commonSettings, mongoSettings, natsSettings, setting, types } from '@haven/platform';

const base64Key = types.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');

export const memoryConfig = {
  ...commonSettings,
  ...natsSettings,
  ...mongoSettings,
  masterKey: setting({
    env: 'MASTER_KEY',
    schema: base64Key,
    devDefault: Buffer.alloc(32, 7).toString('base64'),
    secret: true,
    doc: 'master key (base64, 32 bytes) that wraps the per-user data keys; from a Secret/KMS in production',
  }),
  masterKeyId: setting({
    env: 'MASTER_KEY_ID',
    schema: types.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only'),
    default: 'mk1',
    doc: 'id of MASTER_KEY, recorded with every wrapped data key; change it together with the key when rotating',
  }),
  previousMasterKeys: setting({
    env: 'MASTER_KEYS_PREVIOUS',
    schema: z
      .string()
      .regex(/^([A-Za-z0-9_-]{1,64}=[A-Za-z0-9+/]{43}=)(,[A-Za-z0-9_-]{1,64}=[A-Za-z0-9+/]{43}=)*$/, 'comma-separated <id>=<base64 32-byte key> pairs')
      .optional(),
    secret: true,
    doc: 'older master keys still needed to unwrap data keys wrapped before a rotation: id=base64,id=base64',
  }),
  dataKeyCacheMs: setting({
    env: 'DATA_KEY_CACHE_MS',
    schema: types.int(0, 300_000),
    default: '30000',
    doc: 'how long an unwrapped data key stays cached in memory (other replicas learn of an erasure within this time at worst)',
  }),
};

/** `a=KEY,b=KEY` → [{id, key}]. */
export function parsePreviousMasterKeys(value: string | undefined): { id: string; key: Buffer }[] {
  if (value === undefined || value === '') return [];
  return value.split(',').map((pair) => {
    const at = pair.indexOf('=');
    return { id: pair.slice(0, at), key: Buffer.from(pair.slice(at + 1), 'base64') };
  });
}
