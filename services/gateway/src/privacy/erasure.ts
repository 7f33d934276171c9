import type { Accounts } from '../identity/application/accounts';
import type { RefreshTokens } from '../identity/infrastructure/tokens';
import type { Upstreams } from '../upstreams';

export interface ErasureDeps {
  accounts: Pick<Accounts, 'eraseAccount'>;
  refreshTokens: Pick<RefreshTokens, 'revokeUser'>;
  accessTokenTtlSeconds: number;
  upstreams: Pick<Upstreams, 'memory'>;
  now: () => Date;
}

/**
 * GDPR erasure (DELETE /api/v1/me). Order matters:
 * 1. memory.EraseUser destroys the user's data key (every ciphertext under it becomes unreadable)
 *    and announces memory.UserErased, on which the other services delete their read models;
 * 2. the account is erased (no sign-in, not found), then every refresh and access token revoked.
 * Each step is idempotent, so a failed request can simply be repeated.
 */
export async function eraseUser(deps: ErasureDeps, userId: string): Promise<{ alreadyErased: boolean }> {
  const memory = await deps.upstreams.memory.unary((c) => c.eraseUser, 'EraseUser', { userId, requestedBy: userId });
  const account = await deps.accounts.eraseAccount(userId);
  await deps.refreshTokens.revokeUser(userId, deps.now(), deps.accessTokenTtlSeconds);
  return { alreadyErased: memory.alreadyErased && account.alreadyErased };
}
