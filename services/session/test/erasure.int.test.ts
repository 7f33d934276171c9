import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams, EventStore, oneofCodec, type RunningProjection } from '@haven/eventstore';
import { connectMongo, connectRedis, createLogger } from '@haven/platform';
import { memoryV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@haven/testkit';
import type { SessionEvent } from '../src/domain/events';
import { ErasedUsers, SESSION_ERASED_USERS_COLLECTION, skipErasedSessions, startSessionErasure } from '../src/erasure';
import { SESSIONS_COLLECTION, sessionsProjection, type SessionDoc } from '../src/projections/sessions';

const run = randomUUID().slice(0, 8);
const memoryCodec = oneofCodec('memory', memoryV1.MemoryEvent);


describe('session erasure on memory.UserErased (real NATS, Redis, FerretDB)', () => {
  const forgotten: string[] = [];
  let nc: NatsConnection;
  let redis: Redis;
  let db: Db;
  let closeMongo: () => Promise<void>;
  let erasure: RunningProjection;
  const timerKey = `haven:session:timers:erasure-${run}`;

  beforeAll(async () => {
    const logger = createLogger('session-erasure-test', 'silent');
    nc = await connectNats(process.env.NATS_URL!, 'session-erasure-test');
    await ensureStreams(await nc.jetstreamManager(), { contexts: ['session', 'memory'] });
    const mongo = await connectMongo(process.env.MONGO_URL!, `session_erasure_${run}`, logger);
    db = mongo.db;
    closeMongo = () => mongo.close();
    redis = connectRedis(process.env.REDIS_URL!, logger);
    const erased = new ErasedUsers(db);
    await erased.ensureIndexes();
    erasure = await startSessionErasure({ nc, js: nc.jetstream(), jsm: await nc.jetstreamManager(), db, redis, erased, timerKey, name: `session-erasure-${run}`, onErased: (userId) => forgotten.push(userId) });
  });

  afterAll(async () => {
    await erasure?.stop();
    await redis?.quit();
    await closeMongo?.();
    await nc?.drain();
  });

  async function seed(userId: string, sessionId: string): Promise<void> {
    await db.collection<SessionDoc>(SESSIONS_COLLECTION).insertOne({ _id: sessionId, userId, status: 'active', version: 3 } as unknown as SessionDoc);
    await redis.hset(`haven:live:${sessionId}`, { status: 'active' });
    await redis.set(`haven:session:active:${userId}`, sessionId);
    await redis.zadd(timerKey, Date.now() + 60_000, `tick:${sessionId}`);
    await redis.sadd('haven:sessions:live:standard', sessionId);
  }

  it('deletes the user\'s sessions and live state, keeps another user\'s, and blocks re-creation by replayed events', async () => {
    const [alice, bob] = [`alice-${run}`, `bob-${run}`];
    const [s1, s2, s3] = [`s1-${run}`, `s2-${run}`, `s3-${run}`];
    await seed(alice, s1);
    await seed(alice, s2);
    await seed(bob, s3);

    const memory = new EventStore({ js: nc.jetstream(), jsm: await nc.jetstreamManager(), context: 'memory', codec: memoryCodec });
    await memory.append(`user-${alice}`, 'any', [{ type: 'UserErased', data: { userId: alice, requestedBy: alice } }], { actor: alice, now: new Date() });

    const sessions = db.collection<SessionDoc>(SESSIONS_COLLECTION);
    await eventually(async () => ((await sessions.countDocuments({ userId: alice })) === 0 ? true : undefined), { what: 'the erasure' });
    expect(await redis.exists(`haven:live:${s1}`, `haven:live:${s2}`, `haven:session:active:${alice}`)).toBe(0);
    expect(await redis.zscore(timerKey, `tick:${s1}`)).toBeNull();
    expect(await redis.sismember('haven:sessions:live:standard', s1)).toBe(0);
    expect(await db.collection(SESSION_ERASED_USERS_COLLECTION).countDocuments({ _id: alice as never })).toBe(1);
    // The cached data key of the reason is dropped for alice only.
    expect(forgotten.filter((u) => u === alice || u === bob)).toEqual([alice]);

    // Bob is untouched.
    expect(await sessions.countDocuments({ userId: bob })).toBe(1);
    expect(await redis.exists(`haven:live:${s3}`, `haven:session:active:${bob}`)).toBe(2);
    expect(await redis.zscore(timerKey, `tick:${s3}`)).not.toBeNull();
    expect(await redis.sismember('haven:sessions:live:standard', s3)).toBe(1);

    // A replay of alice's history (a rebuild, a late event) does not bring her sessions back.
    const handle = skipErasedSessions(new ErasedUsers(db), sessions, sessionsProjection(sessions));
    const started = { sessionId: s1, userId: alice, personaId: 'p', plannedDurationMinutes: 20, timeMode: 'standard', startedAt: new Date(), baselineMood: 5, incognito: false } as unknown as Extract<SessionEvent, { type: 'SessionStarted' }>['data'];
    const base = { type: 'session.SessionStarted', aggregateId: s1, sequence: 1, occurredAt: new Date(), actor: alice, correlationId: 'c', causationId: 'c' };
    await handle({ ...base, id: randomUUID(), version: 1, event: { type: 'SessionStarted', data: started } });
    await handle({ ...base, id: randomUUID(), type: 'session.PhaseChanged', version: 2, event: { type: 'PhaseChanged', data: { sessionId: s1, from: 'emotional_baseline', to: 'exploration' } } as unknown as SessionEvent });
    expect(await sessions.countDocuments({ _id: s1 })).toBe(0);
  });
});
