import { EventStore, startProjection, streamNameFor, type RunningProjection } from '@haven/eventstore';
import type { Logger, ServiceHandlers } from '@haven/platform';
import type { sessionV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { ReasonCipher, TimerQueue } from './application/ports';
import { SessionCommands } from './application/session-commands';
import { startTimerPoller, type TimerPoller } from './application/timer-poller';
import type { SessionRules } from './domain/session';
import { ErasedUsers, skipErasedSessions, startSessionErasure } from './erasure';
import { sessionHandlers } from './grpc/handlers';
import { sessionCodec } from './infrastructure/codec';
import { createSessionMetrics } from './infrastructure/metrics';
import { NatsLiveFramePublisher } from './infrastructure/nats-live-frames';
import {
  RedisActiveSessionClaims,
  RedisLiveSessionIndex,
  RedisLiveStateCache,
  RedisTimerQueue,
} from './infrastructure/redis-live-state';
import {
  backfillOccursAt,
  ensureSessionIndexes,
  MongoSessionsReadModel,
  SESSIONS_COLLECTION,
  SESSIONS_PROJECTION,
  sessionsProjection,
  type SessionDoc,
} from './projections/sessions';

export interface SessionServiceOptions {
  readonly nc: NatsConnection;
  readonly db: Db;
  readonly redis: Redis;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly rules: SessionRules;
  readonly timerPollMs: number;
  readonly ids: () => string;
  readonly clock?: () => Date;
  /** Redis sorted set of this deployment's timers (tests isolate themselves with their own). */
  readonly timerKey?: string;
  /** Run the sessions projection in this process. Default true. */
  readonly projection?: boolean;
  /** Seals the client's free-text reason with their data key. */
  readonly reasons: ReasonCipher;
  /** Durable names of the sessions projection and the erasure consumer (tests isolate themselves with their own). */
  readonly durableNames?: { readonly projection: string; readonly erasure: string };
}

export interface SessionService {
  readonly handlers: ServiceHandlers<typeof sessionV1.SessionServiceService>;
  readonly commands: SessionCommands;
  readonly timers: TimerQueue;
  readonly poller: TimerPoller;
  /** Re-arms timers and live state of every session in progress or scheduled (after a restart). */
  resyncAll(): Promise<number>;
  stop(): Promise<void>;
}

/** Composes the session service from its connections; main.ts owns the process, this the objects. */
export async function createSessionService(o: SessionServiceOptions): Promise<SessionService> {
  const clock = o.clock ?? (() => new Date());
  const js = o.nc.jetstream();
  const jsm = await o.nc.jetstreamManager();
  const store = new EventStore({ js, jsm, context: 'session', codec: sessionCodec, logger: o.logger, metrics: o.registry });
  const index = new RedisLiveSessionIndex(o.redis);
  const timers = new RedisTimerQueue(o.redis, o.timerKey);
  const commands = new SessionCommands({
    store,
    rules: o.rules,
    claims: new RedisActiveSessionClaims(o.redis),
    live: new RedisLiveStateCache(o.redis),
    timers,
    index,
    frames: new NatsLiveFramePublisher(o.nc),
    metrics: createSessionMetrics(o.registry, index),
    logger: o.logger,
  });

  const sessions = o.db.collection<SessionDoc>(SESSIONS_COLLECTION);
  await ensureSessionIndexes(sessions);
  const backfilled = await backfillOccursAt(sessions);
  if (backfilled > 0) o.logger.info({ sessions: backfilled }, 'sessions: occursAt backfilled');
  let projection: RunningProjection | undefined;
  let erasure: RunningProjection | undefined;
  if (o.projection !== false) {
    const erased = new ErasedUsers(o.db);
    await erased.ensureIndexes();
    erasure = await startSessionErasure({
      nc: o.nc,
      js,
      jsm,
      db: o.db,
      redis: o.redis,
      erased,
      logger: o.logger,
      registry: o.registry,
      ...(o.timerKey ? { timerKey: o.timerKey } : {}),
      ...(o.durableNames ? { name: o.durableNames.erasure } : {}),
      // The reason's data key must not outlive the erasure in the cache.
      onErased: (userId) => o.reasons.forget?.(userId),
    });
    projection = await startProjection({
      nc: o.nc,
      js,
      jsm,
      name: o.durableNames?.projection ?? SESSIONS_PROJECTION,
      stream: streamNameFor('session'),
      filterSubjects: ['session.evt.>'],
      codec: sessionCodec,
      handle: skipErasedSessions(erased, sessions, sessionsProjection(sessions)),
      logger: o.logger,
      registry: o.registry,
    });
  }

  const handlers = sessionHandlers({ commands, readModel: new MongoSessionsReadModel(sessions), ids: o.ids, clock, rules: o.rules, reasons: o.reasons });
  const poller = startTimerPoller({ timers, commands, clock, intervalMs: o.timerPollMs, logger: o.logger });

  return {
    handlers,
    commands,
    timers,
    poller,
    async resyncAll() {
      const open = await sessions
        .find({ status: { $in: ['scheduled', 'active', 'paused'] } }, { projection: { _id: 1 } })
        .toArray();
      for (const doc of open) {
        await commands.resync(doc._id, clock()).catch((err: unknown) => o.logger.warn({ err, sessionId: doc._id }, 'session resync failed'));
      }
      return open.length;
    },
    async stop() {
      await poller.stop();
      await projection?.stop();
      await erasure?.stop();
    },
  };
}
