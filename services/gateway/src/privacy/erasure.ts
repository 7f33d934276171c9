import type { Redis } from 'ioredis';
import type { Accounts } from '../identity/application/accounts';
import type { RefreshTokens } from '../identity/infrastructure/tokens';
import type { Upstreams } from '../upstreams';

export interface ErasureDeps {
  accounts: Pick<Accounts, 'eraseAccount'>;
  refreshTokens: Pick<RefreshTokens, 'revokeUser'>;
  accessTokenTtlSeconds: number;
  upstreams: Pick<Upstreams, 'memory'>;
  now: () => Date;
  /** For the gateway's own per-user keys in Redis (presence); omitted, they expire on their own. */
  redis?: Redis;
}

/**
 * GDPR erasure (DELETE /api/v1/me). Order matters:
 * 1. memory.EraseUser destroys the user's data key (every ciphertext under it becomes unreadable)
 *    and announces memory.UserErased, on which the other services delete their read models;
 * 2. the account is erased (no sign-in, not found), then every refresh and access token revoked.
 * 3. the gateway's own per-user state in Redis (presence per session) is deleted.
 * Each step is idempotent, so a failed request can simply be repeated.
 */
export async function eraseUser(deps: ErasureDeps, userId: string): Promise<{ alreadyErased: boolean }> {
  const memory = await deps.upstreams.memory.unary((c) => c.eraseUser, 'EraseUser', { userId, requestedBy: userId });
  const account = await deps.accounts.eraseAccount(userId);
  await deps.refreshTokens.revokeUser(userId, deps.now(), deps.accessTokenTtlSeconds);
  if (deps.redis) await deleteUserKeys(deps.redis, userId);
  return { alreadyErased: memory.alreadyErased && account.alreadyErased };
}

/**
 * Presence hashes are `haven:presence:<sessionId>:<userId>`. Refresh families (`haven:auth:*`) are
 * revoked by revokeUser above; rate-limit counters are per IP, not per user.
 */
export async function deleteUserKeys(redis: Redis, userId: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `haven:presence:*:${userId}`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
