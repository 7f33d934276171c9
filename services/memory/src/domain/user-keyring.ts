import type { Decider } from '@haven/eventstore';
import { errors } from '@haven/platform';
import type { MemoryEvent } from './events';

/**
 * A user's key ring: whether a data key exists (its id, never the key) and whether the user was
 * erased. Erasure is final: no new key is ever created for an erased user.
 */
export type KeyringState =
  | { status: 'none' }
  | { status: 'active'; keyId: string; masterKeyId: string }
  | { status: 'erased' };

export type KeyringCommand =
  | { type: 'RecordDataKey'; data: { userId: string; keyId: string; masterKeyId: string } }
  | { type: 'EraseUser'; data: { userId: string; requestedBy: string } };

export const initialKeyringState = (): KeyringState => ({ status: 'none' });

export function evolveKeyring(state: KeyringState, event: MemoryEvent): KeyringState {
  switch (event.type) {
    case 'DataKeyCreated':
      return state.status === 'erased' ? state : { status: 'active', keyId: event.data.keyId, masterKeyId: event.data.masterKeyId };
    case 'UserErased':
      return { status: 'erased' };
    case 'MemoryProposed':
    case 'MemoryDecided':
    case 'MemoryEdited':
    case 'MemoryDeleted':
      return state;
    default: {
      const never: never = event;
      return never;
    }
  }
}

export function decideKeyring(command: KeyringCommand, state: KeyringState): MemoryEvent[] {
  switch (command.type) {
    case 'RecordDataKey':
      if (state.status === 'erased') throw errors.failedPrecondition('USER_ERASED', 'this user was erased');
      // Idempotent for the key already recorded; a second, different key means a lost race: refuse.
      if (state.status === 'active') {
        if (state.keyId === command.data.keyId) return [];
        throw errors.conflict('DATA_KEY_EXISTS', 'the user already has a data key');
      }
      return [{ type: 'DataKeyCreated', data: command.data }];
    case 'EraseUser':
      if (state.status === 'erased') return [];
      return [{ type: 'UserErased', data: command.data }];
    default: {
      const never: never = command;
      return never;
    }
  }
}

export const keyringDecider: Decider<KeyringCommand, MemoryEvent, KeyringState> = {
  initialState: initialKeyringState,
  evolve: evolveKeyring,
  decide: decideKeyring,
};
