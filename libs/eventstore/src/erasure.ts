import { memoryV1 } from '@haven/proto';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { EventCodec } from './codec';
import { EventDecodeError } from './errors';
import type { EventStoreLogger } from './logger';
import { streamNameFor } from './naming';
import { startProjection, type RunningProjection } from './projectionRunner';
import type { StoredEvent } from './storedEvent';
import { ensureStreams } from './streams';

// GDPR erasure, the part every service shares (docs/privacy-erasure.md): listening for
// memory.UserErased and remembering who was erased, so that replays and late events of that user
// never re-create a read model. What to delete stays with each service.

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
  /** Aggregates of the user seen at or after erasure: their later events may carry no user id. */
  aggregateIds: string[];
}

/** `<service>_erased_users`: who was erased, and which aggregates belonged to them. */
export class ErasedUsers {
  private readonly docs: Collection<ErasedUserDoc>;

  constructor(db: Db, collectionName: string) {
    this.docs = db.collection<ErasedUserDoc>(collectionName);
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

/** The user id an event carries in its data, if any. */
export function userIdInData(e: { data: unknown }): string | undefined {
  const d = e.data as { userId?: unknown } | null;
  return d && typeof d.userId === 'string' ? d.userId : undefined;
}

/**
 * Wraps a projection so that events of erased users are skipped (replays, late events), and undoes
 * a write that raced with the erasure (another subject, another worker).
 */
export function skipErasedEvents<E>(
  erased: ErasedUsers,
  inner: (e: StoredEvent<E>) => Promise<void>,
  opts: { userIdOf: (e: E) => string | undefined; undoLateWrite: (e: StoredEvent<E>) => Promise<unknown> },
): (e: StoredEvent<E>) => Promise<void> {
  return async (e) => {
    const userId = opts.userIdOf(e.event);
    if (await erased.covers(userId, e.aggregateId)) {
      if (userId !== undefined) await erased.mark(userId, e.occurredAt, [e.aggregateId]);
      return;
    }
    await inner(e);
    if (userId !== undefined && (await erased.isErased(userId))) {
      await erased.mark(userId, e.occurredAt, [e.aggregateId]);
      await opts.undoLateWrite(e);
    }
  };
}

export interface ErasureConsumerOptions {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Durable consumer name, e.g. `session-erasure`. */
  readonly name: string;
  /** Deletes what the service holds about the user; must be idempotent. */
  readonly erase: (userId: string, erasedAt: Date) => Promise<void>;
  readonly logger?: EventStoreLogger;
  readonly registry?: Registry;
}

/** Consumes memory.evt.> with a durable consumer and calls `erase` for each memory.UserErased. */
export async function startErasureConsumer(o: ErasureConsumerOptions): Promise<RunningProjection> {
  // The MEMORY stream is the memory service's; create it (one replica) only when this service starts first.
  try {
    await o.jsm.streams.info(streamNameFor('memory'));
  } catch {
    await ensureStreams(o.jsm, { contexts: ['memory'] });
  }
  return startProjection({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name,
    stream: streamNameFor('memory'),
    filterSubjects: ['memory.evt.>'],
    codec: memoryFactCodec,
    handle: async (e) => {
      if (e.event.type === 'UserErased') await o.erase(e.event.userId, e.occurredAt);
    },
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.registry ? { registry: o.registry } : {}),
  });
}
