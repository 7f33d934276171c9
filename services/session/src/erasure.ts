import { ensureStreams, EventDecodeError, startProjection, streamNameFor, type EventCodec, type EventStoreLogger, type RunningProjection, type StoredEvent } from '@haven/eventstore';
import { memoryV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { TIME_MODES, type SessionEvent } from './domain/events';
import type { SessionDoc } from './projections/sessions';

// GDPR erasure in the session service (docs/privacy-erasure.md): on memory.UserErased the user's
// session documents and live state in Redis are deleted, and a marker keeps replays and late
// events from re-creating them.

export const SESSION_ERASURE_DURABLE = 'session-erasure';
export const SESSION_ERASED_USERS_COLLECTION = 'session_erased_users';

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
  /** Sessions of the user seen at or after erasure: their later events carry no user id. */
  aggregateIds: string[];
}

/** `session_erased_users`: who was erased, and which session aggregates belonged to them. */
export class ErasedUsers {
  private readonly docs: Collection<ErasedUserDoc>;

  constructor(db: Db) {
    this.docs = db.collection<ErasedUserDoc>(SESSION_ERASED_USERS_COLLECTION);
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

function userIdOf(e: SessionEvent): string | undefined {
  return 'userId' in e.data ? e.data.userId : undefined;
}

/** Wraps the sessions projection so that events of erased users are skipped (replays, late events). */
export function skipErasedSessions(
  erased: ErasedUsers,
  sessions: Collection<SessionDoc>,
  inner: (e: StoredEvent<SessionEvent>) => Promise<void>,
): (e: StoredEvent<SessionEvent>) => Promise<void> {
  return async (e) => {
    const userId = userIdOf(e.event);
    if (await erased.covers(userId, e.aggregateId)) {
      if (userId !== undefined) await erased.mark(userId, e.occurredAt, [e.aggregateId]);
      return;
    }
    await inner(e);
    // The erasure may have run between the check and the write (another subject, another worker).
    if (userId !== undefined && (await erased.isErased(userId))) {
      await erased.mark(userId, e.occurredAt, [e.aggregateId]);
      await sessions.deleteOne({ _id: e.aggregateId });
    }
  };
}

export interface SessionErasureDeps {
  readonly db: Db;
  readonly redis: Redis;
  /** The timer queue's sorted set (RedisTimerQueue key). */
  readonly timerKey?: string;
}

/** Deletes everything the session service holds about the user; idempotent. */
export function sessionUserEraser(deps: SessionErasureDeps, erased: ErasedUsers) {
  const sessions = deps.db.collection<SessionDoc>('sessions');
  const timerKey = deps.timerKey ?? 'haven:session:timers';
  return async (userId: string, erasedAt: Date): Promise<void> => {
    const ids = (await sessions.find({ userId }, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    // Marker first: from now on the projection skips this user's events.
    await erased.mark(userId, erasedAt, ids);
    const tx = deps.redis.multi().del(`haven:session:active:${userId}`);
    for (const id of ids) {
      tx.del(`haven:live:${id}`).zrem(timerKey, `tick:${id}`, `remind:${id}`);
      for (const mode of TIME_MODES) tx.srem(`haven:sessions:live:${mode}`, id);
    }
    await tx.exec();
    await sessions.deleteMany({ userId });
  };
}

export interface StartSessionErasureOptions extends SessionErasureDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly erased: ErasedUsers;
  readonly logger?: EventStoreLogger;
  readonly registry?: Registry;
  /** Durable name; tests isolate themselves with their own. */
  readonly name?: string;
}

/** Consumes memory.evt.> (durable `session-erasure`) and erases on memory.UserErased. */
export async function startSessionErasure(o: StartSessionErasureOptions): Promise<RunningProjection> {
  await ensureMemoryStream(o.jsm);
  const erase = sessionUserEraser(o, o.erased);
  return startProjection({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name ?? SESSION_ERASURE_DURABLE,
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
