import type { Decider } from '@haven/eventstore';
import { errors } from '@haven/platform';
import type { MemoryEvent, MemoryStatus } from './events';

/** One consented memory. Text is ciphertext; only the owner may act on it (others get NotFound). */
export type MemoryState =
  | { status: 'none' }
  | { status: MemoryStatus; memoryId: string; userId: string; personaId: string }
  | { status: 'deleted'; memoryId: string; userId: string };

export type MemoryCommand =
  | { type: 'ProposeMemory'; data: { memoryId: string; userId: string; personaId: string; sessionId: string; text: string; generalised: boolean } }
  | { type: 'DecideMemory'; data: { memoryId: string; userId: string; approved: boolean } }
  | { type: 'EditMemory'; data: { memoryId: string; userId: string; text: string; generalised: boolean } }
  | { type: 'DeleteMemory'; data: { memoryId: string; userId: string } };

export const initialMemoryState = (): MemoryState => ({ status: 'none' });

export function evolveMemory(state: MemoryState, event: MemoryEvent): MemoryState {
  switch (event.type) {
    case 'MemoryProposed':
      return { status: 'proposed', memoryId: event.data.memoryId, userId: event.data.userId, personaId: event.data.personaId };
    case 'MemoryDecided':
      return state.status === 'proposed' || state.status === 'approved' || state.status === 'rejected'
        ? { ...state, status: event.data.approved ? 'approved' : 'rejected' }
        : state;
    case 'MemoryDeleted':
      return { status: 'deleted', memoryId: event.data.memoryId, userId: event.data.userId };
    case 'MemoryEdited':
    case 'DataKeyCreated':
    case 'UserErased':
      return state;
    default: {
      const never: never = event;
      return never;
    }
  }
}

const notFound = () => errors.notFound('MEMORY_NOT_FOUND', 'no such memory');

type LiveMemory = Extract<MemoryState, { personaId: string }>;

/** The memory, if it exists, is not deleted and belongs to userId; otherwise NotFound (no hint which). */
function owned(state: MemoryState, userId: string): LiveMemory {
  if (state.status === 'none' || state.status === 'deleted' || state.userId !== userId) throw notFound();
  return state;
}

export function decideMemory(command: MemoryCommand, state: MemoryState): MemoryEvent[] {
  switch (command.type) {
    case 'ProposeMemory':
      if (state.status === 'none') return [{ type: 'MemoryProposed', data: command.data }];
      // The same proposal again (a redelivered session end): nothing new, and a memory the client
      // already decided on or deleted stays as they left it.
      if (state.userId === command.data.userId) return [];
      throw errors.conflict('MEMORY_EXISTS', 'this memory already exists');
    case 'DecideMemory': {
      const memory = owned(state, command.data.userId);
      const wanted: MemoryStatus = command.data.approved ? 'approved' : 'rejected';
      return memory.status === wanted ? [] : [{ type: 'MemoryDecided', data: command.data }];
    }
    case 'EditMemory': {
      const memory = owned(state, command.data.userId);
      // A rejected memory is one the user said no to: it is not carried anywhere, so editing it means nothing.
      if (memory.status === 'rejected') throw errors.failedPrecondition('MEMORY_REJECTED', 'a rejected memory cannot be edited; approve it first');
      return [{ type: 'MemoryEdited', data: command.data }];
    }
    case 'DeleteMemory':
      owned(state, command.data.userId);
      return [{ type: 'MemoryDeleted', data: command.data }];
    default: {
      const never: never = command;
      return never;
    }
  }
}

export const memoryDecider: Decider<MemoryCommand, MemoryEvent, MemoryState> = {
  initialState: initialMemoryState,
  evolve: evolveMemory,
  decide: decideMemory,
};
