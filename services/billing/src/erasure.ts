import { type EventStoreLogger, type RunningProjection, type StoredEvent, ErasedUsers as SharedErasedUsers, skipErasedEvents, startErasureConsumer } from '@haven/eventstore';
import type { Redis } from 'ioredis';
import { type Collection, type Db } from 'mongodb';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { BillingEvent } from './infrastructure/codec';
import { BALANCES_COLLECTION, type BalanceDoc } from './projections/balances';

// GDPR erasure in the billing service (docs/privacy-erasure.md): on memory.UserErased the user's
// balance read model and daily message counters in Redis are deleted, and a marker keeps replays
// and late events from re-creating them. The BILLING stream keeps the ledger facts (amounts,
// dates, ids) that accounting needs; it holds no personal data beyond the user id.

export const BILLING_ERASURE_DURABLE = 'billing-erasure';
export const BILLING_ERASED_USERS_COLLECTION = 'billing_erased_users';

/** `billing_erased_users` (the shared marker of @haven/eventstore, under this service's name). */
export class ErasedUsers extends SharedErasedUsers {
  constructor(db: Db) {
    super(db, BILLING_ERASED_USERS_COLLECTION);
  }
}

/** Wraps the balances projection so that events of erased users are skipped (replays, late events). */
export function skipErasedBalances(
  erased: ErasedUsers,
  balances: Collection<BalanceDoc>,
  inner: (e: StoredEvent<BillingEvent>) => Promise<void>,
): (e: StoredEvent<BillingEvent>) => Promise<void> {
  return skipErasedEvents(erased, inner, {
    // Plan configuration belongs to nobody.
    userIdOf: (event) => (event.type === 'PlanConfigUpdated' ? undefined : event.data.userId),
    undoLateWrite: (e) => balances.deleteOne({ _id: e.aggregateId }),
  });
}

export interface BillingErasureDeps {
  readonly db: Db;
  readonly redis: Redis;
}

const SCAN_BATCH = 500;

/** Deletes the user's balance and daily counters; idempotent. */
export function billingUserEraser(deps: BillingErasureDeps, erased: ErasedUsers) {
  const balances = deps.db.collection<BalanceDoc>(BALANCES_COLLECTION);
  return async (userId: string, erasedAt: Date): Promise<void> => {
    const accountId = `account-${userId}`;
    // Marker first: from now on the projection skips this user's events.
    await erased.mark(userId, erasedAt, [accountId]);
    // Counters are per user and day (`daily:<userId>:<day>`, `daily-msg:<userId>:<day>:<messageId>`).
    for (const pattern of [`haven:billing:daily:${userId}:*`, `haven:billing:daily-msg:${userId}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await deps.redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH);
        cursor = next;
        if (keys.length > 0) await deps.redis.del(...keys);
      } while (cursor !== '0');
    }
    await balances.deleteMany({ $or: [{ _id: accountId }, { userId }] });
  };
}

export interface StartBillingErasureOptions extends BillingErasureDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly erased: ErasedUsers;
  readonly logger?: EventStoreLogger;
  readonly registry?: Registry;
  /** Durable name; tests isolate themselves with their own. */
  readonly name?: string;
}

/** Consumes memory.evt.> (durable `billing-erasure`) and erases on memory.UserErased. */
export async function startBillingErasure(o: StartBillingErasureOptions): Promise<RunningProjection> {
  return startErasureConsumer({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name ?? BILLING_ERASURE_DURABLE,
    erase: billingUserEraser(o, o.erased),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.registry ? { registry: o.registry } : {}),
  });
}
