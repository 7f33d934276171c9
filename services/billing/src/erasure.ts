import { ensureStreams, EventDecodeError, startProjection, streamNameFor, type EventCodec, type EventStoreLogger, type RunningProjection, type StoredEvent } from '@haven/eventstore';
import { memoryV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import { MongoServerError, type Collection, type Db } from 'mongodb';
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

/** Only what erasure needs from the MEMORY stream; other memory events pass by untouched. */
export type MemoryFact = { type: 'UserErased'; userId: string } | { type: 'Other'; name: string };

const MEMORY_PAYLOAD = 'haven.memory.v1.MemoryEvent';

/** Decode-only codec: unknown or newer memory events become `Other` instead of dead letters. */
export const memoryFactCodec: EventCodec<MemoryFact> = {
  context: 'memory',
  payloadType: MEMORY_PAYLOAD,
  schemaVersion: 1,
  typeOf: (f) => (f.type === 'UserErased' ? 'UserErased' : f.name),
  encode() {
    throw new Error('the erasure consumer only decodes memory events');
  },
  decode(payload, info) {
    if (info.payloadType !== MEMORY_PAYLOAD) throw new EventDecodeError(`memory: payload type ${info.payloadType} is not ${MEMORY_PAYLOAD}`);
    let wrapper: memoryV1.MemoryEvent;
    try {
      wrapper = memoryV1.MemoryEvent.decode(payload);
    } catch (cause) {
      throw new EventDecodeError(`memory: payload of ${info.type} is not a valid ${MEMORY_PAYLOAD}`, { cause });
    }
    if (wrapper.event?.$case === 'userErased') return { type: 'UserErased', userId: wrapper.event.userErased.userId };
    return { type: 'Other', name: info.type.slice('memory.'.length) };
  },
};

interface ErasedUserDoc {
  _id: string;
  erasedAt: Date;
  /** Aggregates of the user seen at or after erasure (billing events all carry the user id). */
  aggregateIds: string[];
}

/** `billing_erased_users`: who was erased, and which aggregates belonged to them. */
export class ErasedUsers {
  private readonly docs: Collection<ErasedUserDoc>;

  constructor(db: Db) {
    this.docs = db.collection<ErasedUserDoc>(BILLING_ERASED_USERS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.docs.createIndex({ aggregateIds: 1 });
  }

  async mark(userId: string, erasedAt: Date, aggregateIds: readonly string[]): Promise<void> {
    try {
      await this.docs.updateOne({ _id: userId }, { $setOnInsert: { erasedAt } }, { upsert: true });
    } catch (err) {
      // A concurrent upsert of the same marker won (FerretDB): the marker exists, which is all we need.
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
    }
    for (const id of aggregateIds) await this.docs.updateOne({ _id: userId }, { $addToSet: { aggregateIds: id } });
  }

  async isErased(userId: string): Promise<boolean> {
    return (await this.docs.countDocuments({ _id: userId }, { limit: 1 })) > 0;
  }

  /** Whether the event belongs to an erased user: by its user id when it has one, else by its aggregate. */
  async covers(userId: string | undefined, aggregateId: string): Promise<boolean> {
    const filter = userId === undefined ? { aggregateIds: aggregateId } : { $or: [{ _id: userId }, { aggregateIds: aggregateId }] };
    return (await this.docs.countDocuments(filter, { limit: 1 })) > 0;
  }
}

/** Wraps the balances projection so that events of erased users are skipped (replays, late events). */
export function skipErasedBalances(
  erased: ErasedUsers,
  balances: Collection<BalanceDoc>,
  inner: (e: StoredEvent<BillingEvent>) => Promise<void>,
): (e: StoredEvent<BillingEvent>) => Promise<void> {
  return async (e) => {
    const userId = e.event.type === 'PlanConfigUpdated' ? undefined : e.event.data.userId;
    if (userId === undefined) return inner(e);
    if (await erased.covers(userId, e.aggregateId)) return;
    await inner(e);
    // The erasure may have run between the check and the write (another subject, another worker).
    if (await erased.isErased(userId)) await balances.deleteOne({ _id: e.aggregateId });
  };
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
  await ensureMemoryStream(o.jsm);
  const erase = billingUserEraser(o, o.erased);
  return startProjection({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name ?? BILLING_ERASURE_DURABLE,
    stream: streamNameFor('memory'),
    filterSubjects: ['memory.evt.>'],
    codec: memoryFactCodec,
    handle: async (e) => {
      if (e.event.type === 'UserErased') await erase(e.event.userId, e.occurredAt);
    },
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.registry ? { registry: o.registry } : {}),
  });
}

/** The MEMORY stream is the memory service's; create it (one replica) only when this service starts first. */
async function ensureMemoryStream(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.info(streamNameFor('memory'));
  } catch {
    await ensureStreams(jsm, { contexts: ['memory'] });
  }
}
