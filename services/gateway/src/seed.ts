import { DomainError, type Logger } from '@haven/platform';
import type { Accounts } from './identity/application/accounts';

/** Local runs: make sure the printed admin account exists (idempotent across restarts). */
export async function seedAdmin(accounts: Accounts, email: string, password: string, logger: Logger): Promise<void> {
  try {
    await accounts.createAccount({ email, password, role: 'admin', displayName: 'Haven admin', createdBy: 'seed' }, { ip: '127.0.0.1', userAgent: 'seed' });
    logger.info('seeded admin account');
  } catch (err) {
    if (err instanceof DomainError && err.code === 'EMAIL_TAKEN') return;
    throw err;
  }
}
