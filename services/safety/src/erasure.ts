import { type EventStoreLogger, type RunningProjection, type StoredEvent, ErasedUsers as SharedErasedUsers, startErasureConsumer, skipErasedEvents, userIdInData } from '@haven/eventstore';
import type { Db } from 'mongodb';
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

/** `safety_erased_users` (the shared marker of @haven/eventstore, under this service's name). */
export class ErasedUsers extends SharedErasedUsers {
  constructor(db: Db) {
    super(db, SAFETY_ERASED_USERS_COLLECTION);
  }
}

/** Wraps the safety projection so that events of erased users are skipped (replays, late events). */
export function skipErasedSafety(
  erased: ErasedUsers,
  db: Db,
  inner: (e: StoredEvent<SafetyEvent>) => Promise<void>,
): (e: StoredEvent<SafetyEvent>) => Promise<void> {
  const alerts = db.collection<CrisisAlertDoc>(CRISIS_ALERTS_COLLECTION);
  const sessions = db.collection<SafetySessionDoc>(SAFETY_SESSIONS_COLLECTION);
  return skipErasedEvents(erased, inner, {
    userIdOf: userIdInData,
    undoLateWrite: (e) =>
      e.aggregateId.startsWith(ALERT_AGGREGATE_PREFIX)
        ? alerts.deleteOne({ _id: e.aggregateId.slice(ALERT_AGGREGATE_PREFIX.length) })
        : sessions.deleteOne({ _id: e.aggregateId }),
  });
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
  return startErasureConsumer({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name ?? SAFETY_ERASURE_DURABLE,
    erase: safetyUserEraser(o.db, o.erased),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.registry ? { registry: o.registry } : {}),
  });
}
