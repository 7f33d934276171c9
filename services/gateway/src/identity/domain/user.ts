import type { Decider } from '@haven/eventstore';
import { errors } from '@haven/platform';
import type { IdentityEvent, LoginFailureReason, Role } from './events';

/** The user account aggregate: pure decide/evolve (STYLE.md §1). */
export type UserState =
  | { status: 'none' }
  /** email and displayName as stored: sealed under piiKeyId. */
  | { status: 'registered'; userId: string; email: string; passwordHash: string; role: Role; displayName: string; locale: string; piiKeyId: string }
  | { status: 'erased'; userId: string };

export const initialUserState: UserState = { status: 'none' };

export type UserCommand =
  | { type: 'RegisterUser'; data: { userId: string; email: string; passwordHash: string; role: Role; displayName: string; locale: string; createdBy: string; piiKeyId: string; emailHash: string } }
  | { type: 'RecordLogin'; data: { userId: string; ip: string; userAgent: string; outcome: 'succeeded' | { failed: LoginFailureReason }; emailHash: string } }
  | { type: 'LogOut'; data: { userId: string } }
  | { type: 'RecordTokenRefresh'; data: { userId: string; tokenFamily: string } }
  | { type: 'RecordRefreshTokenReuse'; data: { userId: string; tokenFamily: string; ip: string } }
  | { type: 'EraseAccount'; data: { userId: string } }
  | { type: 'RecordDataExport'; data: { userId: string; ip: string } };

export function evolveUser(state: UserState, event: IdentityEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return state.status === 'erased' ? state : { status: 'registered', ...event.data };
    case 'AccountErased':
      return { status: 'erased', userId: event.data.userId };
    case 'EmailReserved':
    case 'LoginSucceeded':
    case 'LoginFailed':
    case 'LoggedOut':
    case 'TokenRefreshed':
    case 'RefreshTokenReused':
    case 'AccessDenied':
    case 'DataExported':
      return state;
    default: {
      const never: never = event;
      return never;
    }
  }
}

export function decideUser(command: UserCommand, state: UserState): IdentityEvent[] {
  switch (command.type) {
    case 'RegisterUser':
      if (state.status === 'registered') throw errors.conflict('USER_EXISTS', 'this account already exists');
      // The e-mail claim still points at the erased account; answered like any taken address.
      if (state.status === 'erased') throw errors.conflict('EMAIL_TAKEN', 'an account with this e-mail address already exists');
      return [{ type: 'UserRegistered', data: command.data }];
    case 'RecordLogin': {
      const { userId, ip, userAgent, outcome, emailHash } = command.data;
      if (outcome === 'succeeded') {
        if (state.status !== 'registered') throw errors.failedPrecondition('NO_ACCOUNT', 'cannot log in to an account that does not exist');
        return [{ type: 'LoginSucceeded', data: { userId, ip, userAgent } }];
      }
      return [{ type: 'LoginFailed', data: { userId, ip, reason: outcome.failed, emailHash } }];
    }
    case 'LogOut':
      if (state.status !== 'registered') throw errors.notFound('USER_NOT_FOUND', 'unknown user');
      return [{ type: 'LoggedOut', data: command.data }];
    case 'RecordTokenRefresh':
      if (state.status !== 'registered') throw errors.notFound('USER_NOT_FOUND', 'unknown user');
      return [{ type: 'TokenRefreshed', data: command.data }];
    case 'RecordRefreshTokenReuse':
      return [{ type: 'RefreshTokenReused', data: command.data }];
    case 'EraseAccount':
      // Idempotent: erasing twice is not an error (DELETE /me may be retried).
      if (state.status === 'erased') return [];
      if (state.status !== 'registered') throw errors.notFound('USER_NOT_FOUND', 'unknown user');
      return [{ type: 'AccountErased', data: command.data }];
    case 'RecordDataExport':
      if (state.status !== 'registered') throw errors.notFound('USER_NOT_FOUND', 'unknown user');
      return [{ type: 'DataExported', data: command.data }];
    default: {
      const never: never = command;
      return never;
    }
  }
}

export const userDecider: Decider<UserCommand, IdentityEvent, UserState> = { initialState: () => initialUserState, evolve: evolveUser, decide: decideUser };
