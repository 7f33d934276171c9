import { createHash } from 'node:crypto';
import { WrongExpectedVersionError, type EventStorePort, type StoredEvent } from '@haven/eventstore';
import { accountDecider, type AccountCommand, type AccountEvent, type AccountState } from '../domain/account';

/** Event ids from the event's identity, so a replica race or a retry re-publishes the same id (JetStream drops it). */
export function deterministicEventId(key: string): string {
  const b = createHash('sha256').update(key).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x80; // UUID version 8 (custom)
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function eventIdOf(e: AccountEvent, now: Date): string {
  switch (e.type) {
    case 'CreditsGranted':
      return deterministicEventId(`billing:grant:${e.data.userId}:${e.data.grantId}`);
    case 'CreditsDebited':
      return deterministicEventId(`billing:debit:${e.data.userId}:${e.data.sessionId}:${e.data.minute}`);
    case 'CreditsRefunded':
      return deterministicEventId(`billing:refund:${e.data.userId}:${e.data.refundId}`);
    case 'PlanChanged':
      return deterministicEventId(`billing:plan:${e.data.userId}:${e.data.to}:${e.data.trialEndsAt?.toISOString() ?? ''}:${now.toISOString()}`);
    default: {
      const never: never = e;
      return never;
    }
  }
}

export const accountAggregateId = (userId: string): string => `account-${userId}`;

export interface AccountCommandResult {
  readonly state: AccountState;
  /** Events this call stored (not those another replica stored first). */
  readonly appended: readonly AccountEvent[];
  /** True when the state moved past what this call loaded (by us or a racing writer). */
  readonly changed: boolean;
}

/**
 * load → fold → decide → append with ids derived from each event, re-deciding on conflict.
 * (handleCommand takes ids up front; here they depend on what decide returns.)
 */
export class Accounts {
  constructor(
    private readonly store: EventStorePort<AccountEvent>,
    private readonly maxRetries = 8,
  ) {}

  async load(userId: string): Promise<AccountState> {
    const { events } = await this.store.load(accountAggregateId(userId));
    return events.reduce((s, e) => accountDecider.evolve(s, e.event), accountDecider.initialState());
  }

  async handle(command: AccountCommand, meta: { actor: string; now: Date; causationId?: string }): Promise<AccountCommandResult> {
    const id = accountAggregateId(command.data.userId);
    for (let attempt = 0; ; attempt += 1) {
      const { events: history, position } = await this.store.load(id);
      const state = history.reduce((s, e) => accountDecider.evolve(s, e.event), accountDecider.initialState());
      const decided = accountDecider.decide(command, state);
      if (decided.length === 0) return { state, appended: [], changed: false };
      try {
        const result = await this.store.append(id, position, decided, {
          ...meta,
          eventIds: decided.map((e) => eventIdOf(e, meta.now)),
        });
        const fresh: StoredEvent<AccountEvent>[] = result.events.filter((e) => e.version > position.version);
        const next = fresh.reduce((s, e) => accountDecider.evolve(s, e.event), state);
        // A duplicate ack means another writer stored that event: it is not ours to count.
        return { state: next, appended: result.duplicate ? [] : decided, changed: fresh.length > 0 };
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError) || attempt >= this.maxRetries) throw err;
        if (err.appendedBeforeConflict > 0) continue;
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
      }
    }
  }
}
