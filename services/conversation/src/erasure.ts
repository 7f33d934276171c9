import { ensureStreams, EventDecodeError, startProjection, streamNameFor, type EventCodec, type EventStoreLogger, type RunningProjection, type StoredEvent } from '@haven/eventstore';
import { memoryV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { ConversationEvent } from './domain/transcript';
import { TRANSCRIPTS_COLLECTION, type TranscriptDoc } from './projections/transcripts';

// GDPR erasure in the conversation service (docs/privacy-erasure.md): on memory.UserErased the
// user's transcripts (with their summaries) and incognito context in Redis are deleted, and a
// marker keeps replays and late events from re-creating them.

export const CONVERSATION_ERASURE_DURABLE = 'conversation-erasure';
export const CONVERSATION_ERASED_USERS_COLLECTION = 'conversation_erased_users';

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

/** `conversation_erased_users`: who was erased, and which aggregates belonged to them. */
export class ErasedUsers {
  private readonly docs: Collection<ErasedUserDoc>;

  constructor(db: Db) {
    this.docs = db.collection<ErasedUserDoc>(CONVERSATION_ERASED_USERS_COLLECTION);
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

function userIdOf(e: ConversationEvent): string | undefined {
  return 'userId' in e.data ? e.data.userId : undefined;
}

/** Wraps the transcripts projection so that events of erased users are skipped (replays, late events). */
export function skipErasedTranscripts(
  erased: ErasedUsers,
  transcripts: Collection<TranscriptDoc>,
  inner: (e: StoredEvent<ConversationEvent>) => Promise<void>,
): (e: StoredEvent<ConversationEvent>) => Promise<void> {
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
      await transcripts.deleteOne({ _id: e.aggregateId });
    }
  };
}

export interface ConversationErasureDeps {
  readonly db: Db;
  readonly redis: Redis;
}

/** Deletes the user's transcripts, summaries and incognito context; idempotent. */
export function conversationUserEraser(deps: ConversationErasureDeps, erased: ErasedUsers) {
  const transcripts = deps.db.collection<TranscriptDoc>(TRANSCRIPTS_COLLECTION);
  return async (userId: string, erasedAt: Date): Promise<void> => {
    const ids = (await transcripts.find({ userId }, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
    // Marker first: from now on the projection skips this user's events.
    await erased.mark(userId, erasedAt, ids);
    if (ids.length > 0) await deps.redis.del(...ids.map((id) => `haven:incognito:${id}`));
    await transcripts.deleteMany({ userId });
  };
}

export interface StartConversationErasureOptions extends ConversationErasureDeps {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly erased: ErasedUsers;
  readonly logger?: EventStoreLogger;
  readonly registry?: Registry;
  /** Durable name; tests isolate themselves with their own. */
  readonly name?: string;
}

/** Consumes memory.evt.> (durable `conversation-erasure`) and erases on memory.UserErased. */
export async function startConversationErasure(o: StartConversationErasureOptions): Promise<RunningProjection> {
  await ensureMemoryStream(o.jsm);
  const erase = conversationUserEraser(o, o.erased);
  return startProjection({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name ?? CONVERSATION_ERASURE_DURABLE,
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
