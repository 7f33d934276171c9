import { describe, expect, it } from 'vitest';
import { handleCommand, WrongExpectedVersionError } from '../src/index';
import type { AppendedEvents, AppendMeta, Decider, EventStorePort, LoadedEvents, StoredEvent, StreamPosition } from '../src/index';

// A small aggregate: a credit balance that may not go below zero.
type CreditEvent = { type: 'CreditsGranted'; data: { amount: number } } | { type: 'CreditsDebited'; data: { amount: number } };
type CreditCommand = { type: 'Debit'; data: { amount: number } } | { type: 'Grant'; data: { amount: number } };
interface Balance {
  credits: number;
}

class InsufficientCredits extends Error {}

const balance: Decider<CreditCommand, CreditEvent, Balance> = {
  initialState: () => ({ credits: 0 }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'CreditsGranted':
        return { credits: state.credits + event.data.amount };
      case 'CreditsDebited':
        return { credits: state.credits - event.data.amount };
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'Grant':
        return [{ type: 'CreditsGranted', data: command.data }];
      case 'Debit':
        if (command.data.amount === 0) return [];
        if (state.credits < command.data.amount) throw new InsufficientCredits(`only ${state.credits} credits`);
        return [{ type: 'CreditsDebited', data: command.data }];
      default: {
        const unreachable: never = command;
        return unreachable;
      }
    }
  },
};

/**
 * In-memory implementation of our EventStorePort with the same concurrency contract as the
 * JetStream store; `beforeAppend` lets a test slip in a concurrent writer.
 */
class InMemoryStore<E> implements EventStorePort<E> {
  readonly streams = new Map<string, StoredEvent<E>[]>();
  loads = 0;
  appends = 0;
  beforeAppend: ((aggregateId: string) => void) | undefined;
  private sequence = 0;

  async load(aggregateId: string): Promise<LoadedEvents<E>> {
    this.loads += 1;
    const events = [...(this.streams.get(aggregateId) ?? [])];
    return { events, position: this.positionOf(aggregateId) };
  }

  async append(
    aggregateId: string,
    expected: StreamPosition | 'any',
    events: readonly E[],
    meta: AppendMeta,
  ): Promise<AppendedEvents<E>> {
    this.appends += 1;
    this.beforeAppend?.(aggregateId);
    const current = this.positionOf(aggregateId);
    if (expected !== 'any' && expected.sequence !== current.sequence) {
      throw new WrongExpectedVersionError(aggregateId, expected, current.sequence, 0);
    }
    this.write(aggregateId, events, meta);
    return { position: this.positionOf(aggregateId), events: (this.streams.get(aggregateId) ?? []).slice(-events.length), duplicate: false };
  }

  write(aggregateId: string, events: readonly E[], meta: AppendMeta): void {
    const stream = this.streams.get(aggregateId) ?? [];
    for (const event of events) {
      this.sequence += 1;
      stream.push({
        id: `e${this.sequence}`,
        type: 'credits.Event',
        aggregateId,
        version: stream.length + 1,
        sequence: this.sequence,
        occurredAt: meta.now,
        actor: meta.actor,
        correlationId: meta.correlationId ?? '',
        causationId: meta.causationId ?? '',
        event,
      });
    }
    this.streams.set(aggregateId, stream);
  }

  private positionOf(aggregateId: string): StreamPosition {
    const last = this.streams.get(aggregateId)?.at(-1);
    return last === undefined ? { version: 0, sequence: 0 } : { version: last.version, sequence: last.sequence };
  }
}

const meta: AppendMeta = { actor: 'user-1', now: new Date('2025-03-01T10:00:00Z') };
const noWait = async (): Promise<void> => undefined;

describe('handleCommand', () => {
  it('loads, decides on the folded state and appends at the loaded position', async () => {
    const store = new InMemoryStore<CreditEvent>();
    store.write('acc-1', [{ type: 'CreditsGranted', data: { amount: 10 } }], meta);

    const result = await handleCommand({
      store,
      aggregateId: 'acc-1',
      decider: balance,
      command: { type: 'Debit', data: { amount: 4 } },
      meta,
    });

    expect(result.newState).toEqual({ credits: 6 });
    expect(result.events.map((e) => e.event)).toEqual([{ type: 'CreditsDebited', data: { amount: 4 } }]);
    expect(result.position).toEqual({ version: 2, sequence: 2 });
  });

  it('re-decides on the fresh state after a concurrent writer won', async () => {
    const store = new InMemoryStore<CreditEvent>();
    store.write('acc-1', [{ type: 'CreditsGranted', data: { amount: 10 } }], meta);
    let concurrentWrites = 0;
    store.beforeAppend = (id) => {
      if (concurrentWrites < 2) {
        concurrentWrites += 1;
        store.write(id, [{ type: 'CreditsDebited', data: { amount: 1 } }], meta);
      }
    };
    const backoffs: number[] = [];

    const result = await handleCommand({
      store,
      aggregateId: 'acc-1',
      decider: balance,
      command: { type: 'Debit', data: { amount: 5 } },
      meta,
      backoff: async (retry) => {
        backoffs.push(retry);
      },
    });

    expect(store.loads).toBe(3);
    expect(backoffs).toEqual([1, 2]);
    expect(result.newState).toEqual({ credits: 3 });
    expect(result.position.version).toBe(4);
  });

  it('surfaces the domain error of a re-decision (the concurrent writer used up the credits)', async () => {
    const store = new InMemoryStore<CreditEvent>();
    store.write('acc-1', [{ type: 'CreditsGranted', data: { amount: 5 } }], meta);
    store.beforeAppend = (id) => {
      store.beforeAppend = undefined;
      store.write(id, [{ type: 'CreditsDebited', data: { amount: 5 } }], meta);
    };

    await expect(
      handleCommand({ store, aggregateId: 'acc-1', decider: balance, command: { type: 'Debit', data: { amount: 5 } }, meta, backoff: noWait }),
    ).rejects.toBeInstanceOf(InsufficientCredits);
    expect(store.appends).toBe(1);
  });

  it('gives up after maxRetries with the conflict error', async () => {
    const store = new InMemoryStore<CreditEvent>();
    store.beforeAppend = (id) => store.write(id, [{ type: 'CreditsGranted', data: { amount: 1 } }], meta);

    const attempt = handleCommand({
      store,
      aggregateId: 'acc-1',
      decider: balance,
      command: { type: 'Grant', data: { amount: 1 } },
      meta,
      maxRetries: 3,
      backoff: noWait,
    });

    await expect(attempt).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(store.appends).toBe(4);
  });

  it('does not retry domain errors', async () => {
    const store = new InMemoryStore<CreditEvent>();
    await expect(
      handleCommand({ store, aggregateId: 'acc-1', decider: balance, command: { type: 'Debit', data: { amount: 1 } }, meta }),
    ).rejects.toBeInstanceOf(InsufficientCredits);
    expect(store.loads).toBe(1);
    expect(store.appends).toBe(0);
  });

  it('appends nothing when decide returns no events', async () => {
    const store = new InMemoryStore<CreditEvent>();
    store.write('acc-1', [{ type: 'CreditsGranted', data: { amount: 2 } }], meta);
    const result = await handleCommand({ store, aggregateId: 'acc-1', decider: balance, command: { type: 'Debit', data: { amount: 0 } }, meta });
    expect(store.appends).toBe(0);
    expect(result).toEqual({ newState: { credits: 2 }, events: [], position: { version: 1, sequence: 1 } });
  });

  it('waits with a jittered, growing backoff by default', async () => {
    const store = new InMemoryStore<CreditEvent>();
    store.beforeAppend = (id) => store.write(id, [{ type: 'CreditsGranted', data: { amount: 1 } }], meta);
    const started = performance.now();
    await expect(
      handleCommand({ store, aggregateId: 'acc-1', decider: balance, command: { type: 'Grant', data: { amount: 1 } }, meta, maxRetries: 2 }),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);
    // Two waits, each at least 1 ms and at most 10 ms / 20 ms.
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2);
    expect(elapsed).toBeLessThan(1_000);
  });
});
