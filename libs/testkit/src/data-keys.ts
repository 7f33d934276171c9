import { randomBytes } from 'node:crypto';
import { DataKeyCipher, errors, type DataKeyLookup, type DataKeySource } from '@haven/platform';

/** What memory.GetDataKey answers (structural, so the testkit needs no generated code). */
export interface DataKeyAnswer {
  keyId: string;
  key: Buffer;
  erased: boolean;
}

export interface InMemoryDataKeys {
  /** For a DataKeyCipher in-process. */
  readonly source: DataKeySource;
  /** A cipher over these keys (hand it to code under test directly). */
  readonly cipher: DataKeyCipher;
  /** A GetDataKey handler to serve on a stand-in memory gRPC service. */
  getDataKey(req: { userId: string; create: boolean }): Promise<DataKeyAnswer>;
  /** Deletes the user's key as memory.EraseUser does. */
  erase(userId: string): void;
}

/**
 * The memory service's per-user data keys for component tests of other services (message content
 * and PII are sealed with them): keys are created on demand, named `key-<userId>`, and erasure
 * deletes them for good.
 */
export function inMemoryDataKeys(): InMemoryDataKeys {
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
  const source: DataKeySource = { get: async (userId, { create }) => lookup(userId, create) };
  return {
    source,
    cipher: new DataKeyCipher(source, { cacheTtlMs: 0 }),
    async getDataKey(req) {
      const found = lookup(req.userId, req.create);
      if (found.status === 'none') throw errors.notFound('DATA_KEY_NOT_FOUND', 'the user has no data key yet');
      return found.status === 'erased' ? { keyId: '', key: Buffer.alloc(0), erased: true } : { keyId: found.keyId, key: found.key, erased: false };
    },
    erase: (userId) => void keys.set(userId, 'erased'),
  };
}
