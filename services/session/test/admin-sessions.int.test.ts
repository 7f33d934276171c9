import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams } from '@haven/eventstore';
import { connectMongo, connectRedis, createGrpcClient, createLogger, createMetrics, DomainError, GrpcServer, type GrpcClient } from '@haven/platform';
import { sessionV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import type { Collection } from 'mongodb';
import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillOccursAt, SESSIONS_COLLECTION, type SessionDoc } from '../src/projections/sessions';
import { createSessionService, type SessionService } from '../src/session-service';
import { eventually, inMemoryDataKeys, rejection } from '@haven/testkit';

// Real minutes: nothing here may end on its own timer while the tests run.
const rules = { secondsPerMinute: 60, idleMinutes: 30, reminderLeadMinutes: 15 };
const run = randomUUID().slice(0, 8);
const { SessionStatus } = sessionV1;
const DAY = 24 * 60 * 60 * 1000;

type Client = GrpcClient<sessionV1.SessionServiceClient>;


// The SESSION stream is shared with other test files: every query here filters on this run's personas or users.
const persona = (name: string) => `${name}-${run}`;
const user = (name: string) => `${name}-${run}`;

describe('ListAllSessions: the admin sessions browser over the sessions read model (real NATS, Redis, FerretDB)', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let closeMongo: () => Promise<void>;
  let sessions: Collection<SessionDoc>;
  let service: SessionService;
  let server: GrpcServer;
  let client: Client;

  beforeAll(async () => {
    const logger = createLogger('session-admin-test', 'silent');
    nc = await connectNats(process.env.NATS_URL!, 'session-admin-test');
    await ensureStreams(await nc.jetstreamManager(), { contexts: ['session', 'memory'] });
    const mongo = await connectMongo(process.env.MONGO_URL!, `session_admin_${run}`, logger);
    closeMongo = () => mongo.close();
    sessions = mongo.db.collection<SessionDoc>(SESSIONS_COLLECTION);
    redis = connectRedis(process.env.REDIS_URL!, logger);
    service = await createSessionService({
      nc,
      db: mongo.db,
      redis,
      logger,
      registry: new Registry(),
      rules,
      timerPollMs: 200,
      ids: randomUUID,
      reasons: inMemoryDataKeys().cipher,
      timerKey: `haven:session:timers:admin-test-${run}`,
      // Its own durables: another file's session service must not take this one's events.
      durableNames: { projection: `session-sessions-admin-${run}`, erasure: `session-erasure-admin-${run}` },
    });
    server = new GrpcServer({ service: 'session-admin', logger, metrics: createMetrics('session-admin') });
    server.addService(sessionV1.SessionServiceService, service.handlers);
    const port = await server.start(0, '127.0.0.1');
    client = createGrpcClient(sessionV1.SessionServiceClient, 'session', `127.0.0.1:${port}`, { defaultDeadlineMs: 10_000 });
  });

  afterAll(async () => {
    client?.close();
    await server?.shutdown(1000);
    await service?.stop();
    await nc?.drain();
    redis?.disconnect();
    await closeMongo?.();
  });

  const listAll = (req: Partial<sessionV1.ListAllSessionsRequest>) =>
    client.unary((x) => x.listAllSessions, 'ListAllSessions', sessionV1.ListAllSessionsRequest.fromPartial(req));
  const ids = (res: sessionV1.ListAllSessionsResponse) => res.sessions.map((s) => s.id);
  const schedule = async (userId: string, personaId: string, scheduledAt: Date) =>
    (await client.unary((x) => x.scheduleSession, 'ScheduleSession', { userId, personaId, scheduledAt, durationMinutes: 30, reminder: false })).session!;
  /** Waits until the projection holds `n` sessions of the persona (and, if given, they satisfy `ready`). */
  const projected = (personaId: string, n: number, ready: (res: sessionV1.ListAllSessionsResponse) => boolean = () => true) =>
    eventually(async () => {
      const res = await listAll({ personaId, limit: 100 });
      return res.sessions.length === n && ready(res) ? res : undefined;
    }, 20_000);
  const rejected = (p: Promise<unknown>) => rejection(p, DomainError);

  // Three sessions of two users and two personas: one completed, one live, one scheduled in two days.
  const ana = user('ana');
  const ben = user('ben');
  const calm = persona('calm');
  const bold = persona('bold');
  let completedId = '';
  let liveId = '';
  let scheduledId = '';
  let scheduledAt: Date;

  it('lists every user\'s sessions with metadata only, newest first (start, else scheduled time)', async () => {
    const started = await client.unary((x) => x.startSession, 'StartSession', {
      userId: ana, personaId: calm, durationMinutes: 20, baselineMood: 2, reason: 'a private reason', incognito: false, sessionId: '',
    });
    completedId = started.session!.id;
    await client.unary((x) => x.recordUserMessage, 'RecordUserMessage', { sessionId: completedId, userId: ana, messageId: 'm1', checkpointAnswer: 0 });
    await client.unary((x) => x.endSession, 'EndSession', { sessionId: completedId, userId: ana, reason: '', closingMood: 4, rating: 5 });
    liveId = (await client.unary((x) => x.startSession, 'StartSession', { userId: ben, personaId: bold, durationMinutes: 45, baselineMood: 0, reason: '', incognito: true, sessionId: '' })).session!.id;
    scheduledAt = new Date(Date.now() + 2 * DAY);
    scheduledId = (await schedule(ana, calm, scheduledAt)).id;

    // The end is projected after the start: wait for it, not just for the two documents.
    const calmPage = await projected(calm, 2, (res) => res.sessions.some((s) => s.id === completedId && s.status === SessionStatus.SESSION_STATUS_COMPLETED));
    expect(ids(calmPage)).toEqual([scheduledId, completedId]);
    expect(calmPage.nextCursor).toBe('');
    const completed = calmPage.sessions[1]!;
    expect(completed).toMatchObject({
      userId: ana,
      personaId: calm,
      status: SessionStatus.SESSION_STATUS_COMPLETED,
      plannedDurationMinutes: 20,
      baselineMood: 2,
      closingMood: 4,
      moodChange: 2,
      rating: 5,
      messageCount: 1,
      endReason: 'completed',
      secondsRemaining: 0,
      incognito: false,
    });
    expect(completed.startedAt).toBeInstanceOf(Date);
    expect(completed.endedAt).toBeInstanceOf(Date);
    // The free-text reason stays out of lists.
    expect(completed.reason).toBe('');
    expect(calmPage.sessions[0]).toMatchObject({ status: SessionStatus.SESSION_STATUS_SCHEDULED, scheduledAt });

    const live = (await projected(bold, 1)).sessions[0]!;
    expect(live).toMatchObject({ id: liveId, userId: ben, status: SessionStatus.SESSION_STATUS_ACTIVE, incognito: true, plannedDurationMinutes: 45 });
    expect(live.secondsRemaining).toBeGreaterThan(40 * 60);
  });

  it('filters by user, status and date range, and combines them', async () => {
    expect(ids(await listAll({ userId: ana }))).toEqual([scheduledId, completedId]);
    expect(ids(await listAll({ userId: ben }))).toEqual([liveId]);
    expect(ids(await listAll({ personaId: calm, status: SessionStatus.SESSION_STATUS_COMPLETED }))).toEqual([completedId]);
    expect(ids(await listAll({ personaId: calm, status: SessionStatus.SESSION_STATUS_SCHEDULED }))).toEqual([scheduledId]);
    expect(ids(await listAll({ userId: ben, status: SessionStatus.SESSION_STATUS_ACTIVE }))).toEqual([liveId]);
    expect(ids(await listAll({ userId: ben, status: SessionStatus.SESSION_STATUS_COMPLETED }))).toEqual([]);
    // `from` is inclusive, `to` exclusive, on the start (or scheduled) time.
    expect(ids(await listAll({ userId: ana, from: scheduledAt }))).toEqual([scheduledId]);
    expect(ids(await listAll({ userId: ana, to: scheduledAt }))).toEqual([completedId]);
    expect(ids(await listAll({ userId: ana, from: new Date(Date.now() - DAY), to: new Date(Date.now() + DAY) }))).toEqual([completedId]);
    expect(ids(await listAll({ userId: ana, from: new Date(Date.now() + 3 * DAY) }))).toEqual([]);
  });

  it('counts sessions per user for the admin user list (all and completed; zero for unknown users)', async () => {
    const nobody = user('nobody');
    const res = await client.unary((x) => x.countUserSessions, 'CountUserSessions', { userIds: [ana, ben, nobody, ana] });
    expect(res.counts).toEqual([
      { userId: ana, total: 2, completed: 1 },
      { userId: ben, total: 1, completed: 0 },
      { userId: nobody, total: 0, completed: 0 },
    ]);
    const none = await client.unary((x) => x.countUserSessions, 'CountUserSessions', { userIds: [] }).catch((e: unknown) => e);
    expect(none).toMatchObject({ kind: 'InvalidArgument' });
    const tooMany = await client.unary((x) => x.countUserSessions, 'CountUserSessions', { userIds: Array.from({ length: 101 }, (_, i) => `u${i}`) }).catch((e: unknown) => e);
    expect(tooMany).toMatchObject({ kind: 'InvalidArgument' });
  });

  it('an unknown persona or user is an empty page, not an error', async () => {
    expect(await listAll({ personaId: persona('nobody') })).toEqual({ sessions: [], nextCursor: '' });
    expect(await listAll({ userId: user('nobody') })).toEqual({ sessions: [], nextCursor: '' });
  });

  it('pages with a cursor: newest first, no repeats, no gaps, ties broken by id', async () => {
    const paged = persona('paged');
    const base = Date.now() + 10 * DAY;
    const expected: string[] = [];
    // Two sessions share one time: the id decides their order.
    for (const offset of [0, 1, 2, 2, 3]) expected.push((await schedule(user(`pager${expected.length}`), paged, new Date(base + offset * 60_000))).id);
    await projected(paged, 5);
    const order = [expected[4]!, ...[expected[2]!, expected[3]!].sort().reverse(), expected[1]!, expected[0]!];

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor = '';
    do {
      const page = await listAll({ personaId: paged, limit: 2, cursor });
      seen.push(...ids(page));
      sizes.push(page.sessions.length);
      cursor = page.nextCursor;
    } while (cursor !== '');
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(order);
    // Without a limit the page holds 20.
    expect((await listAll({ personaId: paged })).sessions).toHaveLength(5);
  });

  it('caps a page at 100 whatever the limit asked for', async () => {
    const many = persona('many');
    const base = Date.now() + 20 * DAY;
    for (let i = 0; i < 101; i++) await schedule(user(`crowd${i}`), many, new Date(base + i * 60_000));
    await eventually(async () => ((await sessions.countDocuments({ personaId: many })) === 101 ? true : undefined), 30_000);
    const first = await listAll({ personaId: many, limit: 5000 });
    expect(first.sessions).toHaveLength(100);
    expect(first.nextCursor).not.toBe('');
    const rest = await listAll({ personaId: many, limit: 5000, cursor: first.nextCursor });
    expect(rest.sessions).toHaveLength(1);
    expect(rest.nextCursor).toBe('');
    expect(new Set([...ids(first), ...ids(rest)]).size).toBe(101);
  }, 60_000);

  it('rejects bad filters with INVALID_ARGUMENT naming the field in its message', async () => {
    const inverted = await rejected(listAll({ userId: ana, from: new Date(Date.now() + DAY), to: new Date() }));
    expect(inverted).toMatchObject({ kind: 'InvalidArgument', code: 'INVALID_RANGE' });
    expect(await rejected(listAll({ personaId: 'not a persona!' }))).toMatchObject({ kind: 'InvalidArgument', message: expect.stringContaining('persona_id') });
    expect(await rejected(listAll({ status: 99 as sessionV1.SessionStatus }))).toMatchObject({ kind: 'InvalidArgument', message: expect.stringContaining('status') });
    expect(await rejected(listAll({ cursor: 'bogus' }))).toMatchObject({ kind: 'InvalidArgument', code: 'INVALID_CURSOR' });
    expect(await rejected(listAll({ userId: 'u'.repeat(201) }))).toMatchObject({ kind: 'InvalidArgument', message: expect.stringContaining('user_id') });
  });

  it('backfills occursAt on documents projected before it existed, never over a newer value', async () => {
    const old = persona('old');
    const startedAt = new Date(Date.now() - 5 * DAY);
    const projectedAt = new Date(Date.now() - 4 * DAY);
    const doc = (id: string, extra: Partial<SessionDoc>): SessionDoc => ({
      _id: id, userId: user('old'), personaId: old, status: 'completed', phase: 'ended', plannedDuration: 20, timeMode: 'standard',
      startedAt, scheduledAt: null, endedAt: new Date(startedAt.getTime() + 60_000), endReason: 'completed', baselineMood: null, closingMood: null,
      moodChange: null, rating: null, messageCount: 3, incognito: false, activeSeconds: 60, runningSince: null, forceClosing: false, reminder: false, version: 3,
      ...extra,
    });
    await sessions.insertMany([doc(`old-a-${run}`, {}), doc(`old-b-${run}`, { occursAt: projectedAt })]);
    expect(await backfillOccursAt(sessions)).toBeGreaterThanOrEqual(1);
    expect((await sessions.findOne({ _id: `old-a-${run}` }))?.occursAt).toEqual(startedAt);
    expect((await sessions.findOne({ _id: `old-b-${run}` }))?.occursAt).toEqual(projectedAt);
    expect(ids(await listAll({ personaId: old }))).toEqual([`old-b-${run}`, `old-a-${run}`]);
  });
});
