import { ensureStreams, EventDecodeError, startProjection, streamNameFor, type EventCodec, type EventStoreLogger, type RunningProjection, type StoredEvent } from '@haven/eventstore';
import { memoryV1 } from '@haven/proto';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { SafetyEvent } from './domain/events';
import { ALERT_AGGREGATE_PREFIX } from './domain/events';
import { CRISIS_ALERTS_COLLECTION, SAFETY_SESSIONS_COLLECTION, type CrisisAlertDoc, type SafetySessionDoc } from './projections/safetyReadModels';

// GDPR erasure in the safety service (docs/privacy-erasure.md): on memory.UserErased the user's
// crisis alerts and per-session safety state are deleted (the retention policy allows deleting
// them; the SAFETY stream keeps the facts without message content), and a marker keeps replays
// and late events from re-creating them. Safety keeps no per-user state in Redis.

export const SAFETY_ERASURE_DURABLE = 'safety-erasure';
export const SAFETY_ERASED_USERS_COLLECTION = 'safety_erased_users';

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

/** `safety_erased_users`: who was erased, and which aggregates belonged to them. */
export class ErasedUsers {
  private readonly docs: Collection<ErasedUserDoc>;

  constructor(db: Db) {
    this.docs = db.collection<ErasedUserDoc>(SAFETY_ERASED_USERS_COLLECTION);
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

function userIdOf(e: SafetyEvent): string | undefined {
  return 'userId' in e.data ? e.data.userId : undefined;
}

/** Wraps the safety projection so that events of erased users are skipped (replays, late events). */
export function skipErasedSafety(
  erased: ErasedUsers,
  db: Db,
  inner: (e: StoredEvent<SafetyEvent>) => Promise<void>,
): (e: StoredEvent<SafetyEvent>) => Promise<void> {
  const alerts = db.collection<CrisisAlertDoc>(CRISIS_ALERTS_COLLECTION);
  const sessions = db.collection<SafetySessionDoc>(SAFETY_SESSIONS_COLLECTION);
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
      if (e.aggregateId.startsWith(ALERT_AGGREGATE_PREFIX)) await alerts.deleteOne({ _id: e.aggregateId.slice(ALERT_AGGREGATE_PREFIX.length) });
      else await sessions.deleteOne({ _id: e.aggregateId });
    }
  };
}

/** Deletes the user's crisis alerts and session safety state; idempotent. */
export function safetyUserEraser(db: Db, erased: ErasedUsers) {
  const alerts = db.collection<CrisisAlertDoc>(CRISIS_ALERTS_COLLECTION);
  const sessions = db.collection<SafetySessionDoc>(SAFETY_SESSIONS_COLLECTION);
  return async (userId: string, erasedAt: Date): Promise<void> => {
    const alertIds = (await alerts.find({ userId }, { projection: { _id: 1 } }).toArray()).map((d) => `${ALERT_AGGREGATE_PREFIX}${d._id}`);
    const sessionIds = (await sessions.find({ userId }, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    // Marker first: from now on the projection skips this user's events (by user id or aggregate).
    await erased.mark(userId, erasedAt, [...alertIds, ...sessionIds]);
    await alerts.deleteMany({ userId });
    await sessions.deleteMany({ userId });
  };
}

export interface StartSafetyErasureOptions {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly db: Db;
  readonly erased: ErasedUsers;
  readonly logger?: EventStoreLogger;
  readonly registry?: Registry;
  /** Durable name; tests isolate themselves with their own. */
  readonly name?: string;
}

/** Consumes memory.evt.> (durable `safety-erasure`) and erases on memory.UserErased. */
export async function startSafetyErasure(o: StartSafetyErasureOptions): Promise<RunningProjection> {
  await ensureMemoryStream(o.jsm);
  const erase = safetyUserEraser(o.db, o.erased);
  return startProjection({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name ?? SAFETY_ERASURE_DURABLE,
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
