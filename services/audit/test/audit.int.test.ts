import { connectNats, EventStore, oneofCodec, type EventCodec } from '@haven/eventstore';
import { connectMongo, connectRedis, createGrpcClient, createLogger, createMetrics, GrpcServer, type GrpcClient, type MongoHandle } from '@haven/platform';
import { auditV1, billingV1, eventsV1, conversationV1, identityV1, memoryV1, safetyV1, sessionV1 } from '@haven/proto';
import { startNatsServer, type RunningNatsServer } from '@haven/testkit';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAuditRoutes } from '../../gateway/src/admin/audit-routes';
import { errorHandler } from '../../gateway/src/http/errors';
import { ErrorResponse } from '../../gateway/src/http/schemas';
import { AccessTokens } from '../../gateway/src/identity/infrastructure/tokens';
import { createAuditApp, type AuditApp } from '../src/audit-app';
import { AUDIT_RECORDS_COLLECTION, AuditChain, ensureAuditRecordIndexes, verifyChain, type AuditRecordDoc } from '../src/infrastructure/audit-chain';

const run = Math.random().toString(36).slice(2, 8);
const id = (name: string) => `${name}-${run}`;
const SECRET = 'SECRET-CONTENT-123';

/** Polls until `check` returns a value (not undefined/false) or the time is up. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Events whose cases this build of audit does not know: bytes with only an unknown field (99).
const futureMemoryCodec: EventCodec<{ type: 'UserDataExported'; data: Record<string, never> }> = {
  context: 'memory',
  payloadType: 'haven.memory.v1.MemoryEvent',
  schemaVersion: 1,
  typeOf: (e) => e.type,
  encode: () => Uint8Array.from([0x9a, 0x06, 0x00]),
  decode: () => ({ type: 'UserDataExported', data: {} }),
};

describe('audit service (real NATS, Redis, FerretDB)', () => {
  let nats: RunningNatsServer;
  let nc: NatsConnection;
  let mongo: MongoHandle;
  let redis: Redis;
  let audit: AuditApp;
  let grpc: GrpcServer;
  let client: GrpcClient<auditV1.AuditServiceClient>;
  let registry: Registry;
  const logger = createLogger('audit-test', 'silent');
  const now = () => new Date();

  function makeStores(n: NatsConnection) {
    const js = n.jetstream();
    const jsmP = n.jetstreamManager();
    return jsmP.then((jsm) => ({
      identity: new EventStore({ js, jsm, context: 'identity', codec: oneofCodec('identity', identityV1.IdentityEvent) }),
      session: new EventStore({ js, jsm, context: 'session', codec: oneofCodec('session', sessionV1.SessionEvent) }),
      conversation: new EventStore({ js, jsm, context: 'conversation', codec: oneofCodec('conversation', conversationV1.ConversationEvent) }),
      safety: new EventStore({ js, jsm, context: 'safety', codec: oneofCodec('safety', safetyV1.SafetyEvent) }),
      billing: new EventStore({ js, jsm, context: 'billing', codec: oneofCodec('billing', billingV1.BillingEvent) }),
      memory: new EventStore({ js, jsm, context: 'memory', codec: oneofCodec('memory', memoryV1.MemoryEvent) }),
      futureMemory: new EventStore({ js, jsm, context: 'memory', codec: futureMemoryCodec }),
    }));
  }
  let s: Awaited<ReturnType<typeof makeStores>>;

  /** Appends one event and returns its id. */
  async function publish<E>(store: EventStore<E>, aggregateId: string, event: E, actor = 'system'): Promise<string> {
    const res = await store.append(aggregateId, 'any', [event], { actor, now: now() });
    return res.events[0]!.id;
  }
  const records = () => mongo.db.collection<AuditRecordDoc>(AUDIT_RECORDS_COLLECTION);
  const caughtUp = () => waitFor('consumers to catch up', async () => (await audit.lag()) === 0);

  beforeAll(async () => {
    // A private NATS server: the audit consumers read every context stream from the start, so
    // other test files' events must not reach them.
    nats = await startNatsServer();
    nc = await connectNats(nats.url, 'audit-test');
    mongo = await connectMongo(process.env.MONGO_URL!, `audit_${run}`, logger);
    redis = connectRedis(process.env.REDIS_URL!, logger);
    registry = new Registry();
    audit = await createAuditApp({ nc, db: mongo.db, redis, registry, logger });
    await audit.startConsumers();
    const metrics = createMetrics('audit-test');
    grpc = new GrpcServer({ service: 'audit', logger, metrics });
    grpc.addService(auditV1.AuditServiceService, audit.grpcHandlers);
    const port = await grpc.start(0, '127.0.0.1');
    client = createGrpcClient(auditV1.AuditServiceClient, 'audit', `127.0.0.1:${port}`, { metrics });
    s = await makeStores(nc);
  });

  afterAll(async () => {
    client?.close();
    await grpc?.shutdown(1000);
    await audit?.stop();
    await nc?.drain();
    redis?.disconnect();
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.close();
    await nats?.stop();
  });

  const clientX = id('client-x');
  const sessionX = id('sx');
  const ids: Record<string, string> = {};

  it('writes one record per security event with whitelisted fields, and never content', async () => {
    const { identity, session, conversation, safety, billing, memory } = s;
    ids.registered = await publish(identity, clientX, {
      type: 'UserRegistered',
      data: identityV1.UserRegistered.fromPartial({ userId: clientX, email: 'secret-person@example.org', passwordHash: 'scrypt$SECRET-HASH', role: identityV1.Role.ROLE_CLIENT, displayName: 'Ana' }),
    }, clientX);
    ids.staff = await publish(identity, id('staff'), {
      type: 'UserRegistered',
      data: identityV1.UserRegistered.fromPartial({ userId: id('staff'), email: 'staff@example.org', passwordHash: 'scrypt$x', role: identityV1.Role.ROLE_THERAPIST, createdBy: id('admin') }),
    }, id('admin'));
    ids.login = await publish(identity, clientX, { type: 'LoginSucceeded', data: identityV1.LoginSucceeded.fromPartial({ userId: clientX, ip: '10.9.0.1', userAgent: 'test' }) }, clientX);
    ids.loginFailed = await publish(identity, clientX, { type: 'LoginFailed', data: identityV1.LoginFailed.fromPartial({ userId: clientX, ip: '10.9.0.2', reason: 'wrong_password', emailHash: 'e'.repeat(64) }) });
    ids.logout = await publish(identity, clientX, { type: 'LoggedOut', data: identityV1.LoggedOut.fromPartial({ userId: clientX }) }, clientX);
    ids.reuse = await publish(identity, clientX, { type: 'RefreshTokenReused', data: identityV1.RefreshTokenReused.fromPartial({ userId: clientX, tokenFamily: 'fam', ip: '10.9.0.3' }) });
    ids.denied = await publish(identity, clientX, { type: 'AccessDenied', data: identityV1.AccessDenied.fromPartial({ userId: clientX, route: '/api/v1/admin/audit', reason: `free text ${SECRET}`, ip: '10.9.0.4' }) });
    ids.started = await publish(session, sessionX, { type: 'SessionStarted', data: sessionV1.SessionStarted.fromPartial({ sessionId: sessionX, userId: clientX, personaId: 'p1', reason: `my reason ${SECRET}` }) }, clientX);
    ids.message = await publish(conversation, sessionX, { type: 'MessagePosted', data: conversationV1.MessagePosted.fromPartial({ messageId: id('m1'), sessionId: sessionX, userId: clientX, content: SECRET }) }, clientX);
    ids.reply = await publish(conversation, sessionX, { type: 'AiReplyCompleted', data: conversationV1.AiReplyCompleted.fromPartial({ messageId: id('m2'), sessionId: sessionX, content: `reply ${SECRET}` }) });
    ids.ended = await publish(session, sessionX, { type: 'SessionEnded', data: sessionV1.SessionEnded.fromPartial({ sessionId: sessionX, reason: SECRET, rating: 5 }) }, clientX);
    ids.alert = await publish(safety, id('alert'), { type: 'CrisisAlertRaised', data: safetyV1.CrisisAlertRaised.fromPartial({ alertId: id('alert'), sessionId: sessionX, userId: clientX, severity: safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK, signals: ['x'] }) }, 'safety');
    ids.ack = await publish(safety, id('alert'), { type: 'CrisisAlertAcknowledged', data: safetyV1.CrisisAlertAcknowledged.fromPartial({ alertId: id('alert'), staffId: id('oncall') }) }, id('oncall'));
    ids.resolved = await publish(safety, id('alert'), { type: 'CrisisAlertResolved', data: safetyV1.CrisisAlertResolved.fromPartial({ alertId: id('alert'), staffId: id('oncall'), note: `note ${SECRET}` }) }, id('oncall'));
    ids.granted = await publish(billing, clientX, { type: 'CreditsGranted', data: billingV1.CreditsGranted.fromPartial({ userId: clientX, amount: 30, reason: SECRET, grantId: id('g1'), grantedBy: id('admin') }) }, id('admin'));
    ids.plan = await publish(billing, clientX, { type: 'PlanChanged', data: billingV1.PlanChanged.fromPartial({ userId: clientX, from: billingV1.Plan.PLAN_FREE, to: billingV1.Plan.PLAN_PAID, changedBy: id('admin') }) }, id('admin'));
    ids.erased = await publish(memory, `user-${clientX}`, { type: 'UserErased', data: memoryV1.UserErased.fromPartial({ userId: clientX, requestedBy: clientX }) }, clientX);

    const audited = ['registered', 'staff', 'login', 'loginFailed', 'logout', 'reuse', 'denied', 'started', 'ended', 'alert', 'ack', 'resolved', 'granted', 'plan', 'erased'];
    // ...and one more: the reused refresh token is flagged at once, and the flag is audited too.
    await waitFor('16 records', async () => (await records().countDocuments({})) >= audited.length + 1);
    await caughtUp();
    const all = await records().find({}).sort({ seq: 1 }).toArray();
    expect(all.filter((r) => r.context !== 'audit').map((r) => r._id).sort()).toEqual(audited.map((k) => ids[k]!).sort());
    expect(all.filter((r) => r.context === 'audit').map((r) => r.details)).toEqual([expect.objectContaining({ kind: 'refresh_token_reuse', subject: `user:${clientX}` })]);
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));

    const failed = all.find((r) => r._id === ids.loginFailed)!;
    expect(failed).toMatchObject({
      eventId: ids.loginFailed,
      eventType: 'identity.LoginFailed',
      context: 'identity',
      aggregateId: clientX,
      actor: clientX,
      ip: '10.9.0.2',
      severity: 'low',
      result: 'failure',
      category: 'auth',
      details: { action: 'login', emailHash: 'e'.repeat(64), reason: 'wrong_password' },
    });
    expect(failed.at).toBeInstanceOf(Date);
    expect(failed.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(all.find((r) => r._id === ids.denied)).toMatchObject({ severity: 'medium', result: 'denied', ip: '10.9.0.4', details: { route: '/api/v1/admin/audit' } });
    expect(all.find((r) => r._id === ids.staff)).toMatchObject({ category: 'admin', actor: id('admin'), subjectUserId: id('staff'), details: { action: 'staff_created', role: 'therapist' } });
    expect(all.find((r) => r._id === ids.alert)).toMatchObject({ severity: 'critical', subjectUserId: clientX, details: { riskLevel: 'high_risk' } });
    expect(all.find((r) => r._id === ids.plan)).toMatchObject({ actor: id('admin'), details: { from: 'free', to: 'paid' } });
    expect(all.find((r) => r._id === ids.reuse)).toMatchObject({ severity: 'high', ip: '10.9.0.3' });

    // Nothing written by the audit service anywhere holds content, free text, e-mails or hashes.
    for (const name of (await mongo.db.listCollections().toArray()).map((c) => c.name)) {
      const dump = JSON.stringify(await mongo.db.collection(name).find({}).toArray());
      expect(dump, name).not.toContain(SECRET);
      expect(dump, name).not.toContain('secret-person@example.org');
      expect(dump, name).not.toContain('SECRET-HASH');
    }
    const metrics = await registry.getSingleMetricAsString('haven_audit_records_total');
    expect(metrics).toContain('event_type="identity.LoginFailed"');
  });

  it('a duplicate delivery of an event gives one record', async () => {
    const jsm = await nc.jetstreamManager();
    const before = await records().countDocuments({});
    const beforeStats = await client.unary((c) => c.statistics, 'Statistics', {});
    // The AccessDenied envelope again under another message id, so JetStream stores and delivers it twice.
    const stored = await jsm.streams.getMessage('IDENTITY', { last_by_subj: `identity.evt.${clientX}` });
    expect(eventsV1.EventEnvelope.decode(stored.data).id).toBe(ids.denied);
    await nc.jetstream().publish(`identity.evt.${clientX}`, stored.data);
    await caughtUp();
    expect(await records().countDocuments({})).toBe(before);
    expect(await records().countDocuments({ _id: ids.denied })).toBe(1);
    expect((await client.unary((c) => c.statistics, 'Statistics', {})).totalEvents).toBe(beforeStats.totalEvents);
  });

  it('two writers (replicas) appending at once keep one gapless chain: the unique seq is the fence', async () => {
    const col = mongo.db.collection<AuditRecordDoc>(`chain_race_${run}`);
    await ensureAuditRecordIndexes(col);
    const a = new AuditChain(col, now);
    const b = new AuditChain(col, now);
    const entry = (i: number) => ({
      eventId: id(`race-${i}`), eventType: 'identity.LoggedOut', context: 'identity', aggregateId: 'u', category: 'auth' as const,
      actor: 'u', subjectUserId: 'u', ip: '', severity: 'info' as const, result: 'success' as const, at: now(), details: {},
    });
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).append(entry(i))));
    expect(outcomes.every((o) => o === 'appended')).toBe(true);
    expect(await Promise.all([a.append(entry(3)), b.append(entry(4))])).toEqual(['duplicate', 'duplicate']);
    expect(await verifyChain(col)).toMatchObject({ ok: true, checked: 20 });
  });

  it('the chain verifies over gRPC', async () => {
    const v = await client.unary((c) => c.verifyChain, 'VerifyChain', {});
    expect(v).toMatchObject({ ok: true, firstBrokenSeq: 0, firstBrokenId: '', reason: '' });
    expect(v.recordsChecked).toBe(await records().countDocuments({}));
  });

  it('ten failed logins for one account raise one high flag, published on AUDIT and recorded', async () => {
    const user = id('victim');
    for (let i = 0; i < 10; i++) {
      await publish(s.identity, user, { type: 'LoginFailed', data: identityV1.LoginFailed.fromPartial({ userId: user, ip: `10.8.${i}.1`, reason: 'wrong_password', emailHash: 'f'.repeat(64) }) });
    }
    const subject = `user:${user}`;
    await waitFor('a flag', async () => (await mongo.db.collection('suspicious').countDocuments({ subject })) > 0);
    for (let i = 0; i < 3; i++) {
      await publish(s.identity, user, { type: 'LoginFailed', data: identityV1.LoginFailed.fromPartial({ userId: user, ip: `10.8.${i}.2`, reason: 'wrong_password' }) });
    }
    await caughtUp();
    const flags = await mongo.db.collection('suspicious').find({ subject }).toArray();
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ kind: 'failed_logins_account', severity: 'high', count: 10 });

    const listed = await client.unary((c) => c.listSuspicious, 'ListSuspicious', { kind: 'failed_logins_account', limit: 10, cursor: '' });
    expect(listed.flags.map((f) => f.subject)).toEqual([subject]);
    const rec = await waitFor('the flag record', () => records().findOne({ eventType: 'audit.SuspiciousActivityFlagged', 'details.subject': subject }).then((r) => r ?? undefined));
    expect(rec).toMatchObject({ severity: 'high', result: 'flagged', category: 'security', subjectUserId: user, details: { kind: 'failed_logins_account', count: '10' } });
    expect(await registry.getSingleMetricAsString('haven_suspicious_activity_total')).toMatch(/kind="failed_logins_account",severity="high"[^\n]*\} 1/);
  });

  it('three data exports in an hour (an event type newer than this build) raise a high flag', async () => {
    const user = id('exporter');
    for (let i = 0; i < 3; i++) await publish(s.futureMemory, `user-${user}`, { type: 'UserDataExported', data: {} }, user);
    await waitFor('an export flag', async () => (await mongo.db.collection('suspicious').countDocuments({ subject: `user:${user}`, kind: 'data_exports_user' })) === 1);
    expect(await records().countDocuments({ eventType: 'memory.UserDataExported', actor: user })).toBe(3);
  });

  it('five access denials in ten minutes raise a high flag', async () => {
    const user = id('prober');
    for (let i = 0; i < 5; i++) await publish(s.identity, user, { type: 'AccessDenied', data: identityV1.AccessDenied.fromPartial({ userId: user, route: `/api/v1/admin/r${i}`, reason: 'role', ip: '10.7.0.1' }) });
    await waitFor('a denial flag', async () => (await mongo.db.collection('suspicious').countDocuments({ subject: `user:${user}`, kind: 'access_denied_user', severity: 'high' })) === 1);
  });

  it('statistics count every consumed event per type; funnels count distinct users and sessions', async () => {
    const [f1, f2, f3, g] = ['f1', 'f2', 'f3', 'g'].map(id) as [string, string, string, string];
    for (const u of [f1, f2, f3]) {
      await publish(s.identity, u, { type: 'UserRegistered', data: identityV1.UserRegistered.fromPartial({ userId: u, email: `${u}@example.org`, role: identityV1.Role.ROLE_CLIENT }) }, u);
    }
    const sessionFlow = async (sessionId: string, userId: string, opts: { message: boolean; end: boolean; rating: number }) => {
      await publish(s.session, sessionId, { type: 'SessionStarted', data: sessionV1.SessionStarted.fromPartial({ sessionId, userId, personaId: 'p1' }) }, userId);
      if (opts.message) await publish(s.conversation, sessionId, { type: 'MessagePosted', data: conversationV1.MessagePosted.fromPartial({ messageId: `${sessionId}-m`, sessionId, userId, content: 'hello' }) }, userId);
      if (opts.end) await publish(s.session, sessionId, { type: 'SessionEnded', data: sessionV1.SessionEnded.fromPartial({ sessionId, rating: opts.rating }) }, userId);
    };
    await sessionFlow(id('f1s1'), f1, { message: true, end: true, rating: 0 });
    await sessionFlow(id('f1s2'), f1, { message: true, end: true, rating: 4 });
    await sessionFlow(id('f2s1'), f2, { message: false, end: true, rating: 0 });
    await sessionFlow(id('gs1'), g, { message: true, end: false, rating: 0 });
    await caughtUp();

    const f = await client.unary((c) => c.funnels, 'Funnels', {});
    const steps = (name: string) => Object.fromEntries(f.funnels.find((x) => x.name === name)!.steps.map((x) => [x.name, x.count]));
    // clientX from the first test (registered, started, messaged, completed) plus f1..f3.
    expect(steps('onboarding')).toEqual({ registered: 4, first_session_started: 3, first_message: 2, first_session_completed: 2 });
    // sessionX, f1s1, f1s2, f2s1, gs1.
    expect(steps('session')).toEqual({ started: 5, message_sent: 4, ended: 3, rated: 2 });

    const st = await client.unary((c) => c.statistics, 'Statistics', {});
    const count = (t: string) => st.counts.find((c) => c.eventType === t)?.count;
    expect(count('conversation.MessagePosted')).toBe(4);
    expect(count('conversation.AiReplyCompleted')).toBe(1);
    expect(count('session.SessionStarted')).toBe(5);
    expect(count('identity.LoginFailed')).toBe(14);
    expect(count('memory.UserDataExported')).toBe(3);
    expect(st.auditRecords).toBe(await records().countDocuments({}));
    expect(st.suspiciousFlags).toBe(4);
    expect(st.totalEvents).toBe(st.counts.reduce((a, c) => a + c.count, 0));
    expect(await registry.getSingleMetricAsString('haven_funnel_step_total')).toContain('funnel="session",step="rated"');
  });

  describe('admin routes', () => {
    let app: FastifyInstance;
    const tokens = new AccessTokens('audit-test-secret-0123456789abcdef0123456789', 900);
    const denied: { route: string }[] = [];
    const routes = ['/api/v1/admin/audit', '/api/v1/admin/audit/verify', '/api/v1/admin/audit/suspicious', '/api/v1/admin/audit/statistics', '/api/v1/admin/analytics/funnels'];

    beforeAll(async () => {
      app = Fastify();
      app.setErrorHandler(errorHandler);
      app.addSchema(ErrorResponse);
      registerAuditRoutes(app, {
        auth: { accessTokens: tokens, isRevoked: async () => false, onAccessDenied: async (info) => void denied.push(info) },
        upstreams: { audit: client },
      });
      await app.ready();
    });
    afterAll(() => app?.close());

    const get = (url: string, role?: 'client' | 'therapist' | 'oncall' | 'admin') =>
      app.inject({ method: 'GET', url, headers: role ? { authorization: `Bearer ${tokens.issue(id(role), role, new Date())}` } : {} });

    it('refuse client, therapist and oncall with 403 and anonymous callers with 401, route by route', async () => {
      for (const url of routes) {
        expect((await get(url)).statusCode, url).toBe(401);
        for (const role of ['client', 'therapist', 'oncall'] as const) {
          const res = await get(url, role);
          expect(res.statusCode, `${role} ${url}`).toBe(403);
          expect(res.json()).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
        }
      }
      expect(denied).toHaveLength(routes.length * 3);
    });

    it('serve admins', async () => {
      for (const url of routes) expect((await get(url, 'admin')).statusCode, url).toBe(200);

      const page1 = (await get('/api/v1/admin/audit?type=identity.LoginFailed&limit=5', 'admin')).json();
      expect(page1.records).toHaveLength(5);
      expect(page1.records[0].seq).toBeGreaterThan(page1.records[1].seq);
      expect(page1.records[0]).toMatchObject({ eventType: 'identity.LoginFailed', severity: 'low', result: 'failure' });
      const page2 = (await get(`/api/v1/admin/audit?type=identity.LoginFailed&limit=50&cursor=${page1.nextCursor}`, 'admin')).json();
      expect(page2.records).toHaveLength(14 - 5);
      expect(page2.nextCursor).toBeNull();
      const byActor = (await get(`/api/v1/admin/audit?actor=${id('admin')}`, 'admin')).json();
      expect(byActor.records.map((r: { eventType: string }) => r.eventType).sort()).toEqual(['billing.CreditsGranted', 'billing.PlanChanged', 'identity.UserRegistered']);

      expect((await get('/api/v1/admin/audit/verify', 'admin')).json()).toMatchObject({ ok: true, firstBroken: null });
      const sus = (await get('/api/v1/admin/audit/suspicious', 'admin')).json();
      expect(sus.flags.map((x: { kind: string }) => x.kind).sort()).toEqual(['access_denied_user', 'data_exports_user', 'failed_logins_account', 'refresh_token_reuse']);
      expect((await get('/api/v1/admin/audit/statistics', 'admin')).json()).toMatchObject({ suspiciousFlags: 4 });
      const funnels = (await get('/api/v1/admin/analytics/funnels', 'admin')).json();
      expect(funnels.funnels[1]).toEqual({ name: 'session', steps: [{ name: 'started', count: 5 }, { name: 'message_sent', count: 4 }, { name: 'ended', count: 3 }, { name: 'rated', count: 2 }] });
      expect((await get('/api/v1/admin/audit?limit=abc', 'admin')).statusCode).toBe(400);
    });
  });

  it('editing one record in MongoDB makes verify report that record', async () => {
    const target = (await records().findOne({ _id: ids.loginFailed }))!;
    await records().updateOne({ _id: ids.loginFailed }, { $set: { ip: '203.0.113.66' } });
    const v = await client.unary((c) => c.verifyChain, 'VerifyChain', {});
    expect(v).toMatchObject({ ok: false, firstBrokenSeq: target.seq, firstBrokenId: ids.loginFailed, reason: 'hash_mismatch' });
    expect(v.recordsChecked).toBe(target.seq);
  });
});
