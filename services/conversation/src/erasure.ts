import { type EventStoreLogger, type RunningProjection, type StoredEvent, ErasedUsers as SharedErasedUsers, startErasureConsumer, skipErasedEvents, userIdInData } from '@haven/eventstore';
import type { Redis } from 'ioredis';
import { type Collection, type Db } from 'mongodb';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { ConversationEvent } from './domain/transcript';
import { TRANSCRIPTS_COLLECTION, type TranscriptDoc } from './projections/transcripts';

// GDPR erasure in the conversation service (docs/privacy-erasure.md): on memory.UserErased the
// user's transcripts (with their summaries) and incognito context in Redis are deleted, and a
// marker keeps replays and late events from re-creating them.

export const CONVERSATION_ERASURE_DURABLE = 'conversation-erasure';
export const CONVERSATION_ERASED_USERS_COLLECTION = 'conversation_erased_users';

/** `conversation_erased_users` (the shared marker of @haven/eventstore, under this service's name). */
export class ErasedUsers extends SharedErasedUsers {
  constructor(db: Db) {
    super(db, CONVERSATION_ERASED_USERS_COLLECTION);
  }
}

/** Wraps the transcripts projection so that events of erased users are skipped (replays, late events). */
export function skipErasedTranscripts(
  erased: ErasedUsers,
  transcripts: Collection<TranscriptDoc>,
  inner: (e: StoredEvent<ConversationEvent>) => Promise<void>,
): (e: StoredEvent<ConversationEvent>) => Promise<void> {
  return skipErasedEvents(erased, inner, { userIdOf: userIdInData, undoLateWrite: (e) => transcripts.deleteOne({ _id: e.aggregateId }) });
}

export interface ConversationErasureDeps {
  readonly db: Db;
  readonly redis: Redis;
  /** Called once the user's data is gone (e.g. to drop their cached data key). */
  readonly onErased?: (userId: string) => void;
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
    deps.onErased?.(userId);
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
  return startErasureConsumer({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name ?? CONVERSATION_ERASURE_DURABLE,
    erase: conversationUserEraser(o, o.erased),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.registry ? { registry: o.registry } : {}),
  });
}
