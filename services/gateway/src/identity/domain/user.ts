import type { Decider } from '@haven/eventstore';
import { errors } from '@haven/platform';
import type { IdentityEvent, LoginFailureReason, Role } from './events';

/** The user account aggregate: pure decide/evolve (STYLE.md §1). */
export type UserState =
  | { status: 'none' }
  | { status: 'registered'; userId: string; email: string; passwordHash: string; role: Role; displayName: string; locale: string };

export const initialUserState: UserState = { status: 'none' };

export type UserCommand =
  | { type: 'RegisterUser'; data: { userId: string; email: string; passwordHash: string; role: Role; displayName: string; locale: string; createdBy: string } }
  | { type: 'RecordLogin'; data: { userId: string; ip: string; userAgent: string; outcome: 'succeeded' | { failed: LoginFailureReason }; emailHash: string } }
  | { type: 'LogOut'; data: { userId: string } }
  | { type: 'RecordTokenRefresh'; data: { userId: string; tokenFamily: string } }
  | { type: 'RecordRefreshTokenReuse'; data: { userId: string; tokenFamily: string; ip: string } };

export function evolveUser(state: UserState, event: IdentityEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return { status: 'registered', ...event.data };
    case 'EmailReserved':
    case 'LoginSucceeded':
    case 'LoginFailed':
    case 'LoggedOut':
    case 'TokenRefreshed':
    case 'RefreshTokenReused':
    case 'AccessDenied':
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
    default: {
      const never: never = command;
      return never;
    }
  }
}

export const userDecider: Decider<UserCommand, IdentityEvent, UserState> = { initialState: () => initialUserState, evolve: evolveUser, decide: decideUser };
