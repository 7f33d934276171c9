import type { Redis } from 'ioredis';
import type { IncognitoEntry, IncognitoStore, ReplyClaims } from '../application/ports';

/** Incognito live context: `haven:incognito:<sessionId>`, a list of JSON entries with a TTL. */
export function redisIncognitoStore(redis: Redis, ttlSeconds: number): IncognitoStore {
  const key = (sessionId: string) => `haven:incognito:${sessionId}`;
  return {
    async append(sessionId, entry) {
      await redis.multi().rpush(key(sessionId), JSON.stringify(entry)).expire(key(sessionId), ttlSeconds).exec();
    },
    async list(sessionId) {
      const raw = await redis.lrange(key(sessionId), 0, -1);
      const seen = new Set<string>();
      const out: IncognitoEntry[] = [];
      for (const r of raw) {
        const e = JSON.parse(r) as IncognitoEntry;
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        out.push(e);
      }
      return out;
    },
    async drop(sessionId) {
      await redis.del(key(sessionId));
    },
  };
}

/**
 * `SET NX PX` lease per user message: the replica holding it writes the reply and renews it every
 * third of the lease; a twin request waits for the stored answer. A crashed holder stops renewing,
 * so its lease lapses within `leaseMs` and a retry takes over.
 */
export function redisReplyClaims(redis: Redis, leaseMs: number, owner: string): ReplyClaims {
  const key = (messageId: string) => `haven:conversation:reply-claim:${messageId}`;
  return {
    renewEveryMs: Math.max(100, Math.floor(leaseMs / 3)),
    async claim(messageId) {
      return (await redis.set(key(messageId), owner, 'PX', leaseMs, 'NX')) === 'OK';
    },
    async renew(messageId) {
      const ok = await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end", 1, key(messageId), owner, String(leaseMs));
      return ok === 1;
    },
    async release(messageId) {
      // Only our own claim: a compare-and-delete so an expired-and-retaken claim survives.
      await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, key(messageId), owner);
    },
  };
}
