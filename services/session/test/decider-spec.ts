import type { Decider } from '@haven/eventstore';
import { DomainError } from '@haven/platform';
import { expect } from 'vitest';

/**
 * given(events).when(command).then(events) for a pure decider (emmett's DeciderSpecification,
 * reduced to what these tests need).
 */
export function deciderSpec<C, E, S>(decider: Decider<C, E, S>) {
  return {
    given(history: readonly E[]) {
      const state = history.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command: C) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: readonly E[]): void {
              expect(run()).toEqual(expected);
            },
            /** The decided events, for assertions on a part of them. */
            events(): readonly E[] {
              return run();
            },
            thenThrows(code: string): void {
              let thrown: unknown;
              try {
                run();
              } catch (err) {
                thrown = err;
              }
              expect(thrown, `expected ${code}`).toBeInstanceOf(DomainError);
              expect((thrown as DomainError).code).toBe(code);
            },
          };
        },
      };
    },
  };
}
