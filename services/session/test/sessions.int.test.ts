import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams, EventStore } from '@haven/eventstore';
import { connectMongo, connectRedis, createGrpcClient, createLogger, createMetrics, DomainError, GrpcServer, type GrpcClient } from '@haven/platform';
import { sessionV1 } from '@haven/proto';
import { eventually, inMemoryDataKeys, rejection } from '@haven/testkit';
import type { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveFrame } from '../src/application/ports';
import type { SessionEvent } from '../src/domain/events';
import { sessionCodec } from '../src/infrastructure/codec';
import { RedisTimerQueue } from '../src/infrastructure/redis-live-state';
import { createSessionService, type SessionService } from '../src/session-service';

// "A minute" lasts one second here: a 5-minute session is over in 5 s.
const SECONDS_PER_MINUTE = 1;
const rules = { secondsPerMinute: SECONDS_PER_MINUTE, idleMinutes: 30, reminderLeadMinutes: 15 };
const keys = inMemoryDataKeys();
const run = randomUUID().slice(0, 8);
const { Phase, SessionStatus, SessionFilter, CheckpointAnswer } = sessionV1;

type Client = GrpcClient<sessionV1.SessionServiceClient>;

interface Replica {
  service: SessionService;
  server: GrpcServer;
  client: Client;
  registry: Registry;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const user = (name: string) => `${name}-${run}-${randomUUID().slice(0, 6)}`;

describe('session service (real NATS, Redis, FerretDB; two replicas)', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let closeMongo: () => Promise<void>;
  let store: EventStore<SessionEvent>;
  const replicas: Replica[] = [];
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    const logger = createLogger('session-test', 'silent');
    nc = await connectNats(process.env.NATS_URL!, 'session-test');
    await ensureStreams(await nc.jetstreamManager(), { contexts: ['session'] });
    const mongo = await connectMongo(process.env.MONGO_URL!, `session_${run}`, logger);
    closeMongo = () => mongo.close();
    redis = connectRedis(process.env.REDIS_URL!, logger);
    store = new EventStore({ js: nc.jetstream(), jsm: await nc.jetstreamManager(), context: 'session', codec: sessionCodec });
    for (const name of ['a', 'b']) {
      const registry = new Registry();
      const service = await createSessionService({
        nc,
        db: mongo.db,
        redis,
        logger,
        registry,
        rules,
        timerPollMs: 100,
        ids: randomUUID,
        reasons: keys.cipher,
        timerKey: `haven:session:timers:test-${run}`,
        projection: name === 'a',
        // Own durables: an e2e platform's session service on the same NATS must not take these events.
        durableNames: { projection: `session-sessions-test-${run}`, erasure: `session-erasure-test-${run}` },
      });
      const server = new GrpcServer({ service: `session-${name}`, logger, metrics: createMetrics(`session-${name}`) });
      server.addService(sessionV1.SessionServiceService, service.handlers);
      const port = await server.start(0, '127.0.0.1');
      const client = createGrpcClient(sessionV1.SessionServiceClient, 'session', `127.0.0.1:${port}`, { defaultDeadlineMs: 10_000 });
      replicas.push({ service, server, client, registry });
    }
    a = replicas[0]!.client;
    b = replicas[1]!.client;
  });

  afterAll(async () => {
    for (const r of replicas) {
      r.client.close();
      await r.server.shutdown(1000);
      await r.service.stop();
    }
    await nc?.drain();
    redis?.disconnect();
    await closeMongo?.();
  });

  const start = (c: Client, req: Partial<sessionV1.StartSessionRequest> & { userId: string }) =>
    c.unary((x) => x.startSession, 'StartSession', { personaId: 'alex', durationMinutes: 20, baselineMood: 2, reason: 'stress', incognito: false, sessionId: '', ...req });
  const record = (c: Client, sessionId: string, userId: string, messageId: string, checkpointAnswer = CheckpointAnswer.CHECKPOINT_ANSWER_UNSPECIFIED) =>
    c.unary((x) => x.recordUserMessage, 'RecordUserMessage', { sessionId, userId, messageId, checkpointAnswer });
  const end = (c: Client, sessionId: string, userId: string, extra: Partial<sessionV1.EndSessionRequest> = {}) =>
    c.unary((x) => x.endSession, 'EndSession', { sessionId, userId, reason: '', closingMood: 0, rating: 0, ...extra });
  const get = (c: Client, sessionId: string, userId: string) => c.unary((x) => x.getSession, 'GetSession', { sessionId, userId });
  const list = (c: Client, userId: string, filter: sessionV1.SessionFilter, limit = 20, cursor = '') =>
    c.unary((x) => x.listSessions, 'ListSessions', { userId, filter, limit, cursor });
  const history = async (sessionId: string) => (await store.load(sessionId)).events.map((e) => e.event);
  const count = (events: SessionEvent[], pred: (e: SessionEvent) => boolean) => events.filter(pred).length;

  function listen(sessionId: string): LiveFrame[] {
    const frames: LiveFrame[] = [];
    const sub = nc.subscribe(`live.session.${sessionId}`);
    void (async () => {
      for await (const m of sub) frames.push(m.json<LiveFrame>());
    })();
    return frames;
  }
  const rejected = (p: Promise<unknown>) => rejection(p, DomainError);

  it('the client’s reason is sealed with their data key in events and Redis, opened for the owner; incognito keeps none', async () => {
    const userId = user('rhea');
    const marker = `SEALED${randomUUID().slice(0, 8)}`;
    const secret = `my sister ${marker} and the move`;
    const { session } = await start(a, { userId, reason: secret });
    expect(session?.reason).toBe(secret);
    expect((await get(b, session!.id, userId)).session?.reason).toBe(secret);
    const started = (await history(session!.id)).find((e) => e.type === 'SessionStarted');
    expect(started?.type === 'SessionStarted' && started.data).toMatchObject({ reasonKeyId: `key-${userId}`, reason: expect.stringMatching(/^v1\./) });
    expect(JSON.stringify(started)).not.toContain(marker);
    const redisDump = (await redis.keys(`*${session!.id}*`)).map(async (k) => String(await redis.dump(k)));
    for (const v of await Promise.all(redisDump)) expect(v).not.toContain(marker);
    // After erasure the reason is gone, not an error.
    keys.erase(userId);
    expect((await get(b, session!.id, userId)).session?.reason).toBe('');
    await end(a, session!.id, userId);

    const incognito = (await start(a, { userId: user('ivo'), reason: 'private words', incognito: true })).session!;
    expect(incognito.reason).toBe('');
    expect(JSON.stringify(await history(incognito.id))).not.toContain('private words');
    await end(a, incognito.id, incognito.userId);
  });

  it('start → user messages: backend phases, live frames, live state in Redis, end with mood change', async () => {
    const userId = user('ana');
    const { session } = await start(a, { userId });
    expect(session).toMatchObject({
      status: SessionStatus.SESSION_STATUS_ACTIVE,
      phase: Phase.PHASE_EMOTIONAL_BASELINE,
      timeMode: sessionV1.TimeMode.TIME_MODE_STANDARD,
      plannedDurationMinutes: 20,
      userId,
      version: 1,
    });
    const id = session!.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const frames = listen(id);
    await nc.flush();

    const phases: number[] = [];
    for (let i = 1; i <= 10; i++) {
      // Alternate replicas: any replica serves any session.
      const answer = i === 10 ? CheckpointAnswer.CHECKPOINT_ANSWER_WORSE : CheckpointAnswer.CHECKPOINT_ANSWER_UNSPECIFIED;
      const res = await record(i % 2 ? a : b, id, userId, `m${i}`, answer);
      phases.push(res.session!.phase);
      expect(res.session!.messageCount).toBe(i);
    }
    const P = Phase;
    expect(phases).toEqual([
      P.PHASE_AGENDA,
      P.PHASE_EXPLORATION,
      ...Array(6).fill(P.PHASE_EXPLORATION),
      P.PHASE_CHECKPOINT,
      P.PHASE_INTEGRATION,
    ]);
    await eventually(() => (frames.filter((f) => f.type === 'phase_changed').length >= 4 ? true : undefined));
    expect(frames).toEqual([
      { type: 'phase_changed', phase: 'agenda' },
      { type: 'phase_changed', phase: 'exploration' },
      { type: 'phase_changed', phase: 'checkpoint' },
      { type: 'phase_changed', phase: 'integration' },
    ]);
    const live = await redis.hgetall(`haven:live:${id}`);
    expect(live).toMatchObject({ phase: 'integration', status: 'active', forceClosing: '0' });
    expect(Number(live.secondsRemaining)).toBeGreaterThan(10);

    const ended = await end(b, id, userId, { closingMood: 4, rating: 5 });
    expect(ended.session).toMatchObject({ status: SessionStatus.SESSION_STATUS_COMPLETED, phase: P.PHASE_ENDED, endReason: 'completed', moodChange: 2, rating: 5, secondsRemaining: 0 });
    await eventually(() => frames.find((f) => f.type === 'session_ended'));
    expect(frames.filter((f) => f.type === 'session_ended')).toEqual([{ type: 'session_ended', reason: 'completed' }]);
    expect((await get(a, id, userId)).session).toMatchObject({ status: SessionStatus.SESSION_STATUS_COMPLETED, messageCount: 10, closingMood: 4, baselineMood: 2 });
    expect(await redis.hget(`haven:live:${id}`, 'status')).toBe('completed');
    expect((await rejected(record(a, id, userId, 'm11'))).code).toBe('SESSION_ENDED');
  });

  it('pause stops the clock and postpones the timers; resume re-arms them', async () => {
    const userId = user('ben');
    // 6 minutes: closing is due after 1 active "minute" (1 s).
    const { session } = await start(a, { userId, durationMinutes: 6 });
    const id = session!.id;
    const paused = await a.unary((x) => x.pauseSession, 'PauseSession', { sessionId: id, userId });
    expect(paused.session!.status).toBe(SessionStatus.SESSION_STATUS_PAUSED);
    const leftAtPause = paused.session!.secondsRemaining;
    await sleep(2000);
    const during = (await get(b, id, userId)).session!;
    expect(during.phase).toBe(Phase.PHASE_EMOTIONAL_BASELINE);
    expect(during.secondsRemaining).toBe(leftAtPause);
    expect((await rejected(record(a, id, userId, 'while-paused'))).code).toBe('SESSION_NOT_ACTIVE');
    expect((await rejected(a.unary((x) => x.pauseSession, 'PauseSession', { sessionId: id, userId }))).code).toBe('SESSION_NOT_ACTIVE');

    const resumed = await b.unary((x) => x.resumeSession, 'ResumeSession', { sessionId: id, userId });
    expect(resumed.session!.status).toBe(SessionStatus.SESSION_STATUS_ACTIVE);
    expect(resumed.session!.activeSeconds).toBeLessThan(1);
    const closing = await eventually(async () => {
      const s = (await get(a, id, userId)).session!;
      return s.phase === Phase.PHASE_CLOSING ? s : undefined;
    }, 5_000);
    expect(closing.secondsRemaining).toBeLessThanOrEqual(5);
    await end(a, id, userId);
  });

  it('timers: 5-minute sessions close, force-close and complete on their own, each timer firing once with two pollers', async () => {
    const users = [user('cy'), user('di'), user('ed')];
    const sessions = await Promise.all(users.map((userId, i) => start(i % 2 ? a : b, { userId, durationMinutes: 5 })));
    const ids = sessions.map((s) => s.session!.id);
    const frames = ids.map((id) => listen(id));
    await nc.flush();

    for (const [i, id] of ids.entries()) {
      await eventually(() => frames[i]!.find((f) => f.type === 'session_ended'), 15_000);
      const events = await history(id);
      expect(count(events, (e) => e.type === 'PhaseChanged' && e.data.to === 'closing')).toBe(1);
      expect(count(events, (e) => e.type === 'ForceClosingSet')).toBe(1);
      expect(count(events, (e) => e.type === 'SessionEnded')).toBe(1);
      const endEvent = events.find((e) => e.type === 'SessionEnded');
      expect(endEvent?.type === 'SessionEnded' && endEvent.data).toMatchObject({ reason: 'completed', actualDurationSeconds: 5 });
      const kinds = frames[i]!.map((f) => (f.type === 'session_warning' ? `warning:${f.kind}` : f.type));
      expect(kinds.filter((k) => k === 'warning:time_running_out')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'warning:force_closing')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'session_ended')).toHaveLength(1);
      expect(kinds.indexOf('warning:time_running_out')).toBeLessThan(kinds.indexOf('warning:force_closing'));
      const got = (await get(a, id, users[i]!)).session!;
      expect(got).toMatchObject({ status: SessionStatus.SESSION_STATUS_COMPLETED, endReason: 'completed', forceClosing: true, phase: Phase.PHASE_ENDED });
    }
    // The ended session freed the user's slot.
    const again = await start(b, { userId: users[0]!, durationMinutes: 30 });
    await end(b, again.session!.id, users[0]!);

    const metrics = await replicas[0]!.registry.metrics();
    expect(metrics).toContain('haven_sessions_started_total');
    expect(metrics).toMatch(/haven_sessions_ended_total\{reason="completed"\} \d+/);
    expect(metrics).toMatch(/haven_session_phase_changes_total\{to="closing"\} \d+/);
    expect(metrics).toMatch(/haven_sessions_active\{time_mode="standard"\} \d+/);
  });

  it('timer queue: two pollers claiming at once each get a due timer at most once, and nothing early', async () => {
    const queue = new RedisTimerQueue(redis, `haven:session:timers:claims-${run}`);
    const now = new Date();
    for (let i = 0; i < 60; i++) await queue.arm(`s${i}`, i % 2 ? 'tick' : 'remind', new Date(now.getTime() - i));
    await queue.arm('later', 'tick', new Date(now.getTime() + 60_000));
    const claims = await Promise.all([queue.claimDue(now, 20), queue.claimDue(now, 20), queue.claimDue(now, 20), queue.claimDue(now, 20)]);
    const rest = await queue.claimDue(now, 100);
    const all = [...claims.flat(), ...rest].map((t) => `${t.kind}:${t.sessionId}`);
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    expect(all).not.toContain('tick:later');
  });

  it('answers another user\'s session exactly like an unknown one: NOT_FOUND', async () => {
    const owner = user('fay');
    const intruder = user('gus');
    const { session } = await start(a, { userId: owner });
    const id = session!.id;
    // Lazy: each call starts when awaited, so no rejection waits unobserved.
    const calls: (() => Promise<unknown>)[] = [
      () => get(a, id, intruder),
      () => record(a, id, intruder, 'x'),
      () => a.unary((x) => x.pauseSession, 'PauseSession', { sessionId: id, userId: intruder }),
      () => a.unary((x) => x.resumeSession, 'ResumeSession', { sessionId: id, userId: intruder }),
      () => end(a, id, intruder),
      () => start(a, { userId: intruder, sessionId: id }),
      () => get(a, randomUUID(), owner),
    ];
    for (const call of calls) {
      const err = await rejected(call());
      expect(err.kind).toBe('NotFound');
      expect(err.code).toBe('SESSION_NOT_FOUND');
    }
    expect((await get(a, id, owner)).session!.messageCount).toBe(0);
    await end(a, id, owner);
  });

  it('rejects bad input with INVALID_ARGUMENT naming the field, and changes nothing', async () => {
    const userId = user('hal');
    const cases: [() => Promise<unknown>, string, string][] = [
      [() => start(a, { userId, durationMinutes: 3 }), 'INVALID_DURATION', 'duration_minutes'],
      [() => start(a, { userId, durationMinutes: 61 }), 'INVALID_DURATION', 'duration_minutes'],
      [() => start(a, { userId, baselineMood: 9 }), 'INVALID_MOOD', 'baseline_mood'],
      [() => start(a, { userId: '' }), 'INVALID_ARGUMENT', 'user_id'],
      [() => start(a, { userId, personaId: '' }), 'INVALID_ARGUMENT', 'persona_id'],
      [() => start(a, { userId, personaId: 'no spaces.or dots' }), 'INVALID_ARGUMENT', 'persona_id'],
      [() => get(a, '', userId), 'INVALID_ARGUMENT', 'session_id'],
      [() => get(a, 'a.b', userId), 'INVALID_ARGUMENT', 'session_id'],
      [() => end(a, 'x', userId, { closingMood: 9 }), 'INVALID_MOOD', 'closing_mood'],
      [() => end(a, 'x', userId, { rating: 7 }), 'INVALID_RATING', 'rating'],
      [() => end(a, 'x', userId, { reason: 'bored' }), 'INVALID_END_REASON', 'reason'],
      [() => record(a, 'x', userId, ''), 'INVALID_ARGUMENT', 'message_id'],
      [() => record(a, 'x', userId, 'm', 42 as sessionV1.CheckpointAnswer), 'INVALID_ARGUMENT', 'checkpoint_answer'],
      [
        () => a.unary((x) => x.scheduleSession, 'ScheduleSession', { userId, personaId: 'alex', durationMinutes: 20, reminder: true, scheduledAt: new Date(Date.now() - 1000) }),
        'SCHEDULED_IN_PAST',
        'scheduled_at',
      ],
      [() => a.unary((x) => x.scheduleSession, 'ScheduleSession', { userId, personaId: 'alex', durationMinutes: 20, reminder: true, scheduledAt: undefined }), 'INVALID_ARGUMENT', 'scheduled_at'],
      [() => list(a, userId, SessionFilter.SESSION_FILTER_HISTORY, 10, 'not-a-cursor'), 'INVALID_CURSOR', 'cursor'],
    ];
    for (const [call, code, field] of cases) {
      const err = await rejected(call());
      expect({ kind: err.kind, code: err.code }).toEqual({ kind: 'InvalidArgument', code });
      expect(err.message).toContain(field);
    }
    // Nothing started: the user may start now.
    const { session } = await start(a, { userId });
    await end(a, session!.id, userId);
  });

  it('allows one live session per user, also under concurrent starts', async () => {
    const userId = user('ida');
    const first = await start(a, { userId });
    const err = await rejected(start(b, { userId }));
    expect({ kind: err.kind, code: err.code }).toEqual({ kind: 'Conflict', code: 'SESSION_ALREADY_ACTIVE' });
    await a.unary((x) => x.pauseSession, 'PauseSession', { sessionId: first.session!.id, userId });
    expect((await rejected(start(b, { userId }))).code).toBe('SESSION_ALREADY_ACTIVE');
    await end(a, first.session!.id, userId);

    const racer = user('jo');
    const results = await Promise.allSettled([start(a, { userId: racer }), start(b, { userId: racer }), start(a, { userId: racer }), start(b, { userId: racer })]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as DomainError).code).toBe('SESSION_ALREADY_ACTIVE');
    // A claim left behind by a session that is over (e.g. lost cleanup) is reclaimed.
    const winner = (won[0] as PromiseFulfilledResult<sessionV1.StartSessionResponse>).value.session!.id;
    await end(a, winner, racer);
    await redis.set(`haven:session:active:${racer}`, winner);
    const next = await start(b, { userId: racer });
    await end(b, next.session!.id, racer);
  });

  it('counts a message once when the same messageId arrives twice at the same time', async () => {
    const userId = user('kim');
    const { session } = await start(a, { userId });
    const id = session!.id;
    const [r1, r2, r3] = await Promise.all([record(a, id, userId, 'dup'), record(b, id, userId, 'dup'), record(a, id, userId, 'dup')]);
    for (const r of [r1, r2, r3]) expect(r.session).toMatchObject({ messageCount: 1, phase: Phase.PHASE_AGENDA });
    const events = await history(id);
    expect(count(events, (e) => e.type === 'UserMessageRecorded')).toBe(1);
    expect(count(events, (e) => e.type === 'PhaseChanged')).toBe(1);
    const later = await record(b, id, userId, 'dup');
    expect(later.session!.messageCount).toBe(1);
    await end(a, id, userId);
  });

  it('lists history (newest first, paged), upcoming and active sessions from the projection', async () => {
    const userId = user('lou');
    const endedIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { session } = await start(a, { userId });
      await end(a, session!.id, userId);
      endedIds.push(session!.id);
    }
    const scheduled = await a.unary((x) => x.scheduleSession, 'ScheduleSession', {
      userId,
      personaId: 'sarah',
      durationMinutes: 45,
      reminder: false,
      scheduledAt: new Date(Date.now() + 3600_000),
    });
    expect(scheduled.session).toMatchObject({ status: SessionStatus.SESSION_STATUS_SCHEDULED, personaId: 'sarah', timeMode: sessionV1.TimeMode.TIME_MODE_EXTENDED });
    const active = await start(b, { userId, durationMinutes: 30 });

    const page1 = await eventually(async () => {
      const r = await list(a, userId, SessionFilter.SESSION_FILTER_HISTORY, 2);
      return r.sessions.length === 2 && r.nextCursor !== '' ? r : undefined;
    });
    expect(page1.sessions.map((s) => s.id)).toEqual([endedIds[2], endedIds[1]]);
    expect(page1.sessions[0]).toMatchObject({ status: SessionStatus.SESSION_STATUS_COMPLETED, endReason: 'completed', phase: Phase.PHASE_ENDED, userId });
    const page2 = await list(a, userId, SessionFilter.SESSION_FILTER_HISTORY, 2, page1.nextCursor);
    expect(page2.sessions.map((s) => s.id)).toEqual([endedIds[0]]);
    expect(page2.nextCursor).toBe('');

    const upcoming = await eventually(async () => {
      const r = await list(b, userId, SessionFilter.SESSION_FILTER_UPCOMING);
      return r.sessions.length === 1 ? r : undefined;
    });
    expect(upcoming.sessions[0]).toMatchObject({ id: scheduled.session!.id, status: SessionStatus.SESSION_STATUS_SCHEDULED, plannedDurationMinutes: 45 });
    const live = await eventually(async () => {
      const r = await list(b, userId, SessionFilter.SESSION_FILTER_ACTIVE);
      return r.sessions.length === 1 ? r : undefined;
    });
    expect(live.sessions[0]).toMatchObject({ id: active.session!.id, status: SessionStatus.SESSION_STATUS_ACTIVE, phase: Phase.PHASE_EMOTIONAL_BASELINE });
    expect(live.sessions[0]!.secondsRemaining).toBeGreaterThan(20);
    expect((await list(a, user('nobody'), SessionFilter.SESSION_FILTER_HISTORY)).sessions).toEqual([]);
    await end(b, active.session!.id, userId);
  });

  it('schedule → reminder event before the start; the scheduled session then starts with its own persona and duration', async () => {
    const userId = user('max');
    // Reminders are due 15 "minutes" (s) ahead: this one after about 1 s.
    const scheduledAt = new Date(Date.now() + 16_000);
    const { session } = await a.unary((x) => x.scheduleSession, 'ScheduleSession', { userId, personaId: 'sarah', durationMinutes: 12, reminder: true, scheduledAt });
    const id = session!.id;
    await eventually(async () => ((await history(id)).some((e) => e.type === 'SessionReminderDue') ? true : undefined), 10_000);
    const started = await start(b, { userId, sessionId: id, personaId: '', durationMinutes: 0, baselineMood: 3 });
    expect(started.session).toMatchObject({
      id,
      status: SessionStatus.SESSION_STATUS_ACTIVE,
      personaId: 'sarah',
      plannedDurationMinutes: 12,
      baselineMood: 3,
      scheduledAt,
    });
    expect((await history(id)).map((e) => e.type)).toEqual(['SessionScheduled', 'SessionReminderDue', 'SessionStarted']);
    expect((await rejected(start(a, { userId, sessionId: id }))).code).toBe('SESSION_EXISTS');
    await end(a, id, userId);
  });
});
