import { jitteredBackoff } from './backoff';
import { WrongExpectedVersionError } from './errors';
import type { AppendMeta, EventStorePort } from './eventStore';
import type { StreamPosition } from './position';
import type { StoredEvent } from './storedEvent';

/**
 * A pure aggregate: `decide` turns a command and the current state into new events (or throws a
 * domain error), `evolve` folds one event into the state.
 */
export interface Decider<C, E, S> {
  readonly initialState: () => S;
  readonly evolve: (state: S, event: E) => S;
  readonly decide: (command: C, state: S) => readonly E[];
}

export interface HandleCommandOptions<C, E, S> {
  readonly store: EventStorePort<E>;
  readonly aggregateId: string;
  readonly decider: Decider<C, E, S>;
  readonly command: C;
  readonly meta: AppendMeta;
  /** Re-decisions after a concurrent writer won. Default 5. */
  readonly maxRetries?: number;
  /** Waits between retries; the default sleeps with jittered exponential backoff. */
  readonly backoff?: (retry: number) => Promise<void>;
}

export interface HandledCommand<E, S> {
  readonly newState: S;
  /** The events this command appended (empty when decide returned none). */
  readonly events: StoredEvent<E>[];
  readonly position: StreamPosition;
}

/**
 * load → fold → decide → append at the loaded position. When another writer appended in between
 * (WrongExpectedVersionError) the command is decided again on the fresh state, up to maxRetries
 * times; then the conflict error propagates. Domain errors thrown by decide propagate unchanged.
 */
export async function handleCommand<C, E, S>(options: HandleCommandOptions<C, E, S>): Promise<HandledCommand<E, S>> {
  const { store, aggregateId, decider, command, meta } = options;
  const maxRetries = options.maxRetries ?? 5;
  const backoff = options.backoff ?? jitteredBackoff;
  for (let retry = 0; ; retry += 1) {
    const { events: history, position } = await store.load(aggregateId);
    const state = history.reduce((s, e) => decider.evolve(s, e.event), decider.initialState());
    const decided = decider.decide(command, state);
    if (decided.length === 0) return { newState: state, events: [], position };
    try {
      const appended = await store.append(aggregateId, position, decided, meta);
      // A duplicate append (retried command with the same event ids) reports events that may
      // already be part of the loaded state: fold only what lies beyond it.
      const newState = appended.events
        .filter((e) => e.version > position.version)
        .reduce((s, e) => decider.evolve(s, e.event), state);
      return { newState, events: appended.events, position: appended.position };
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError) || retry >= maxRetries) throw err;
      await backoff(retry + 1);
    }
  }
}
