import { type EventStoreLogger, type RunningProjection, type StoredEvent, ErasedUsers as SharedErasedUsers, startErasureConsumer, skipErasedEvents, userIdInData } from '@haven/eventstore';
import type { Redis } from 'ioredis';
import { type Collection, type Db } from 'mongodb';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { TIME_MODES, type SessionEvent } from './domain/events';
import type { SessionDoc } from './projections/sessions';

// GDPR erasure in the session service (docs/privacy-erasure.md): on memory.UserErased the user's
// session documents and live state in Redis are deleted, and a marker keeps replays and late
// events from re-creating them.

export const SESSION_ERASURE_DURABLE = 'session-erasure';
export const SESSION_ERASED_USERS_COLLECTION = 'session_erased_users';

/** `session_erased_users` (the shared marker of @haven/eventstore, under this service's name). */
export class ErasedUsers extends SharedErasedUsers {
  constructor(db: Db) {
    super(db, SESSION_ERASED_USERS_COLLECTION);
  }
}

/** Wraps the sessions projection so that events of erased users are skipped (replays, late events). */
export function skipErasedSessions(
  erased: ErasedUsers,
  sessions: Collection<SessionDoc>,
  inner: (e: StoredEvent<SessionEvent>) => Promise<void>,
): (e: StoredEvent<SessionEvent>) => Promise<void> {
  return skipErasedEvents(erased, inner, { userIdOf: userIdInData, undoLateWrite: (e) => sessions.deleteOne({ _id: e.aggregateId }) });
}

export interface SessionErasureDeps {
  readonly db: Db;
  readonly redis: Redis;
  /** The timer queue's sorted set (RedisTimerQueue key). */
  readonly timerKey?: string;
  /** Called once the user's data is gone (e.g. to drop their cached data key). */
  readonly onErased?: (userId: string) => void;
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
    deps.onErased?.(userId);
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
  return startErasureConsumer({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name ?? SESSION_ERASURE_DURABLE,
    erase: sessionUserEraser(o, o.erased),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.registry ? { registry: o.registry } : {}),
  });
}
