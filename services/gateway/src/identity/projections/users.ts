import { applyVersioned, RetryLaterError, type StoredEvent } from '@haven/eventstore';
import type { Collection } from 'mongodb';
import type { IdentityEvent, Role } from '../domain/events';

/** Read model for look-ups and admin lists; rebuildable from the IDENTITY stream. */
export interface UserDoc {
  _id: string;
  /** Sealed with the user's data key `piiKeyId` (like displayName). */
  email: string;
  role: Role;
  displayName: string;
  piiKeyId?: string;
  /** sha256 of the normalised address, for exact look-ups. */
  emailHash?: string;
  locale: string;
  createdAt: Date;
  createdBy: string;
  lastLoginAt?: Date;
  failedLogins: number;
  /** Set when the account was erased; the personal fields are blanked then. */
  erasedAt?: Date;
  version: number;
}

export const USERS_COLLECTION = 'users';

function updateFor(e: StoredEvent<IdentityEvent>): Record<string, unknown> {
  const ev = e.event;
  switch (ev.type) {
    case 'UserRegistered': {
      const { userId: _id, passwordHash: _hash, ...rest } = ev.data;
      return { $set: { ...rest, createdAt: e.occurredAt, failedLogins: 0 } };
    }
    case 'LoginSucceeded':
      return { $set: { lastLoginAt: e.occurredAt, failedLogins: 0 } };
    case 'LoginFailed':
      return { $inc: { failedLogins: 1 } };
    case 'AccountErased':
      // Blank rather than delete: the version guard keeps later events (failed logins) in order.
      return { $set: { email: '', displayName: '', locale: '', erasedAt: e.occurredAt }, $unset: { lastLoginAt: '', piiKeyId: '', emailHash: '' } };
    case 'LoggedOut':
    case 'TokenRefreshed':
    case 'RefreshTokenReused':
    case 'AccessDenied':
    case 'EmailReserved':
    case 'DataExported':
      return {};
    default: {
      const never: never = ev;
      return never;
    }
  }
}

export function usersProjection(users: Collection<UserDoc>) {
  return async (e: StoredEvent<IdentityEvent>): Promise<void> => {
    // E-mail claim streams carry reservations and failures for unknown addresses: not users.
    if (e.aggregateId.startsWith('email-')) return;
    const result = await applyVersioned(users, e.aggregateId, e.version, updateFor(e));
    if (result === 'gap') throw new RetryLaterError(`users: ${e.aggregateId} v${e.version} arrived before its predecessor`);
  };
}
