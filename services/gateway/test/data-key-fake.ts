import { randomBytes } from 'node:crypto';
import { DataKeyCipher, errors, type DataKeyLookup } from '@haven/platform';
import type { memoryV1 } from '@haven/proto';

/**
 * The memory service's data keys for gateway component tests: a GetDataKey handler (to serve over
 * gRPC) and a DataKeyCipher over the same keys (to hand to Accounts directly). `erase` deletes a
 * key as memory.EraseUser does.
 */
export function dataKeyFake() {
  const keys = new Map<string, { keyId: string; key: Buffer } | 'erased'>();
  const lookup = (userId: string, create: boolean): DataKeyLookup => {
    const k = keys.get(userId);
    if (k === 'erased') return { status: 'erased' };
    if (k) return { status: 'active', ...k };
    if (!create) return { status: 'none' };
    const fresh = { keyId: `key-${userId}`, key: randomBytes(32) };
    keys.set(userId, fresh);
    return { status: 'active', ...fresh };
  };
  return {
    keys,
    erase: (userId: string) => keys.set(userId, 'erased'),
    getDataKey: async (req: memoryV1.GetDataKeyRequest): Promise<memoryV1.GetDataKeyResponse> => {
      const found = lookup(req.userId, req.create);
      if (found.status === 'none') throw errors.notFound('DATA_KEY_NOT_FOUND', 'no key yet');
      return found.status === 'erased' ? { keyId: '', key: Buffer.alloc(0), erased: true } : { keyId: found.keyId, key: found.key, erased: false };
    },
    cipher: new DataKeyCipher({ get: async (userId, { create }) => lookup(userId, create) }),
  };
}
