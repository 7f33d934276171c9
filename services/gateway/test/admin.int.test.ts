import { connectMongo, connectRedis, createLogger, createMetrics, GrpcServer } from '@haven/platform';
import { billingV1, conversationV1, safetyV1, sessionV1 } from '@haven/proto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Collection } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAdminRoutes } from '../src/admin/routes';
import { registerAdminSessionRoutes } from '../src/admin/sessions-routes';
import { errorHandler } from '../src/http/errors';
import { ErrorResponse } from '../src/http/schemas';
import type { Role } from '../src/identity/domain/events';
import { AccessTokens } from '../src/identity/infrastructure/tokens';
import type { UserDoc } from '../src/identity/projections/users';
import { createUpstreams, type Upstreams } from '../src/upstreams';
import { emailHash } from '../src/identity/application/accounts';
import { inMemoryDataKeys } from '@haven/testkit';

const run = Math.random().toString(36).slice(2, 8);

describe('gateway admin routes (real Redis and FerretDB, fake session/billing/conversation/safety gRPC)', () => {
  let app: FastifyInstance;
  let redis: Redis;
  let users: Collection<UserDoc>;
  const keys = inMemoryDataKeys();
  let closeMongo: () => Promise<void>;
  let grpc: GrpcServer;
  let upstreams: Upstreams;
  const accessTokens = new AccessTokens('y'.repeat(40), 900);
  const token = (role: Role) => accessTokens.issue(`${role}-${run}`, role, new Date());
  const rlPrefix = `haven:rl-test-${run}:`;
  // The admin sessions browser's upstreams: what they were asked, and whether the decorating ones fail.
  const listAllCalls: sessionV1.ListAllSessionsRequest[] = [];
  const themeCalls: string[][] = [];
  let themesDown = false;
  const sessionRow = (id: string, userId: string, over: Partial<sessionV1.Session> = {}) =>
    sessionV1.Session.fromPartial({
      id, userId, personaId: 'alex', status: sessionV1.SessionStatus.SESSION_STATUS_COMPLETED, phase: sessionV1.Phase.PHASE_ENDED,
      timeMode: sessionV1.TimeMode.TIME_MODE_STANDARD, plannedDurationMinutes: 20, startedAt: new Date('2026-11-02T09:00:00Z'),
      endedAt: new Date('2026-11-02T09:18:00Z'), baselineMood: 2, closingMood: 4, moodChange: 2, messageCount: 7, endReason: 'completed',
      activeSeconds: 1080, rating: 5, ...over,
    });

  beforeAll(async () => {
    const logger = createLogger('admin-test', 'silent');
    const metrics = createMetrics('admin-test');
    redis = connectRedis(process.env.REDIS_URL!, logger);
    const mongo = await connectMongo(process.env.MONGO_URL!, `gateway_admin_${run}`, logger);
    closeMongo = () => mongo.close();
    users = mongo.db.collection<UserDoc>('users');
    const day = new Date();
    // As the identity projection holds them: e-mail and name sealed with each user's data key.
    const user = async (id: string, role: Role, email: string, createdAt: Date, erased = false): Promise<UserDoc> => {
      const sealedEmail = await keys.cipher.encrypt(id, email);
      return {
        _id: id, email: sealedEmail.ciphertext, role, displayName: (await keys.cipher.encrypt(id, `name of ${id}`)).ciphertext, piiKeyId: sealedEmail.keyId, emailHash: emailHash(email),
        locale: 'en', createdAt, createdBy: 'self', failedLogins: 0, version: 1, ...(erased ? { erasedAt: day } : {}),
      };
    };
    await users.insertMany(await Promise.all([
      user('u1', 'client', 'ana@example.org', new Date(day.getTime() - 3000)),
      user('u2', 'client', 'ben@example.org', new Date(day.getTime() - 2000)),
      user('u3', 'therapist', 'tess@example.org', new Date(day.getTime() - 1000)),
      user('u4', 'admin', 'root@example.org', new Date(day.getTime() - 500)),
      user('u5', 'client', 'gone@example.org', new Date(day.getTime() - 100), true),
    ]));
    await redis.set(`${rlPrefix}10.0.0.1`, '42', 'PX', 60_000);
    await redis.set(`${rlPrefix}10.0.0.2`, '7', 'PX', 60_000);

    grpc = new GrpcServer({ service: 'admin-fakes', logger, metrics });
    const unimplemented = async () => {
      throw new Error('not used here');
    };
    grpc.addService(billingV1.BillingServiceService, {
      authorize: unimplemented, grantCredits: unimplemented, updatePlanConfig: unimplemented, setPlan: unimplemented, checkSessionStart: unimplemented,
      getBalance: async (req: billingV1.GetBalanceRequest) => ({ plan: req.userId === 'u1' ? billingV1.Plan.PLAN_PAID : billingV1.Plan.PLAN_FREE, creditsRemaining: 30, messagesToday: 4, dailyMessageLimit: 50, maxMessageLength: 2000, creditsUsed: 1 }),
      getPlanConfig: async () => ({ plans: [], version: 3 }),
    } as never);
    grpc.addService(conversationV1.ConversationServiceService, {
      postMessage: unimplemented, getTranscript: unimplemented, getSummary: unimplemented, exportTranscript: unimplemented,
      listSessionThemes: async (req: conversationV1.ListSessionThemesRequest) => {
        themeCalls.push(req.sessionIds);
        if (themesDown) throw new Error('conversation is down');
        return { sessions: [{ sessionId: 's1', keyTopics: ['exams', 'sleep'], emotions: ['anxiety'], summarisedAt: new Date('2026-11-02T09:18:05Z') }] };
      },
      listPersonas: async () => ({ personas: [{ id: 'p-anna', name: 'Anna', specialty: 'anxiety', approach: 'CBT', free: true, modality: 'cbt', style: 'warm', voiceAvatar: false }] }),
    } as never);
    grpc.addService(sessionV1.SessionServiceService, {
      countUserSessions: async (req) => ({ counts: req.userIds.map((userId) => ({ userId, total: userId === 'u2' ? 3 : 0, completed: userId === 'u2' ? 2 : 0 })) }),
      listAllSessions: async (req) => {
        listAllCalls.push(req);
        if (req.personaId === 'nobody') return { sessions: [], nextCursor: '' };
        return {
          sessions: [sessionRow('s1', 'u1'), sessionRow('s2', 'u2', { status: sessionV1.SessionStatus.SESSION_STATUS_ACTIVE, phase: sessionV1.Phase.PHASE_EXPLORATION, endedAt: undefined, closingMood: 0, moodChange: 0, endReason: '', rating: 0, incognito: true })],
          nextCursor: 'next-page',
        };
      },
    });
    grpc.addService(safetyV1.SafetyServiceService, {
      listSessionFlags: async (req: safetyV1.ListSessionFlagsRequest) => ({
        sessions: req.sessionIds.filter((id) => id === 's2').map((sessionId) => ({
          sessionId, state: safetyV1.SafetyState.SAFETY_STATE_SAFETY_MODE, lastLevel: safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK,
          alertCount: 1, unresolvedAlertCount: 1, highestAlertSeverity: safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK,
        })),
      }),
      assess: unimplemented, getSafetyState: unimplemented, acknowledgeAlert: unimplemented, resolveAlert: unimplemented,
      listOpenAlerts: async () => ({
        alerts: [
          safetyV1.CrisisAlert.fromPartial({ id: 'a1', sessionId: 's1', userId: 'u1', severity: safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK, status: 'open', raisedAt: new Date() }),
          safetyV1.CrisisAlert.fromPartial({ id: 'a2', sessionId: 's2', userId: 'u2', severity: safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK, status: 'acknowledged', raisedAt: new Date() }),
        ],
      }),
    } as never);
    const port = await grpc.start(0, '127.0.0.1');
    const addr = `127.0.0.1:${port}`;
    upstreams = createUpstreams({ session: addr, conversation: addr, safety: addr, billing: addr, memory: addr, audit: addr }, metrics);

    // The gateway's own Ajv options (app.ts): unknown query parameters are refused, not stripped.
    app = Fastify({ ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } } });
    app.setErrorHandler(errorHandler);
    app.addSchema(ErrorResponse);
    registerAdminRoutes(app, {
      auth: { accessTokens, isRevoked: async () => false, onAccessDenied: async () => undefined },
      upstreams,
      users,
      pii: keys.cipher,
      redis,
      rateLimitPrefix: rlPrefix,
      settings: { accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 3600, rateLimit: { max: 600, timeWindowMs: 60_000, authMax: 20, authTimeWindowMs: 900_000 }, bodyLimitBytes: 65_536, llmOnline: false },
    });
    registerAdminSessionRoutes(app, { auth: { accessTokens, isRevoked: async () => false, onAccessDenied: async () => undefined }, upstreams });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    upstreams?.close();
    await grpc?.shutdown(500);
    await redis?.quit();
    await closeMongo?.();
  });

  const get = (url: string, role?: Role) => app.inject({ method: 'GET', url, headers: role ? { authorization: `Bearer ${token(role)}` } : {} });
  const routes = ['/api/v1/admin/overview', '/api/v1/admin/users', '/api/v1/admin/personas', '/api/v1/admin/rate-limits', '/api/v1/admin/settings', '/api/v1/admin/sessions'];

  for (const url of routes) {
    it(`${url}: 401 without a token, 403 for client, therapist and oncall, 200 for admin`, async () => {
      expect((await get(url)).statusCode).toBe(401);
      for (const role of ['client', 'therapist', 'oncall'] as const) {
        const res = await get(url, role);
        expect(res.statusCode, role).toBe(403);
        expect(res.json().error.code).toBeTypeOf('string');
      }
      expect((await get(url, 'admin')).statusCode).toBe(200);
    });
  }

  it('overview counts users by role (erased accounts excluded) and unresolved crisis alerts', async () => {
    const res = await get('/api/v1/admin/overview', 'admin');
    expect(res.statusCode, res.payload).toBe(200);
    const body = res.json();
    expect(body.users.byRole).toEqual({ client: 2, therapist: 1, oncall: 0, admin: 1 });
    expect(body.users.total).toBe(4);
    expect(body.crisisAlerts).toMatchObject({ open: 1, unresolved: 2, bySeverity: { high_risk: 2 } });
  });

  it('users: newest first, paged with a cursor, searchable, with plan and messages today', async () => {
    const first = (await get('/api/v1/admin/users?limit=2', 'admin')).json();
    expect(first.users.map((u: { id: string }) => u.id)).toEqual(['u4', 'u3']);
    expect(first.users[0]).toMatchObject({ status: 'active', email: 'root@example.org', displayName: 'name of u4', role: 'admin', plan: 'free', messagesToday: 4, creditsRemaining: 30, sessions: { total: 0, completed: 0 } });
    const second = (await get(`/api/v1/admin/users?limit=2&cursor=${first.nextCursor}`, 'admin')).json();
    expect(second.users.map((u: { id: string }) => u.id)).toEqual(['u2', 'u1']);
    expect(second.users[1].plan).toBe('paid');
    expect(second.users[0]).toMatchObject({ id: 'u2', sessions: { total: 3, completed: 2 } });
    // Erased accounts only on request, without address or name.
    const erased = (await get('/api/v1/admin/users?status=erased', 'admin')).json();
    expect(erased.users.map((u: { id: string; status: string; email: unknown }) => [u.id, u.status, u.email])).toEqual([['u5', 'erased', null]]);
    expect((await get('/api/v1/admin/users?status=all', 'admin')).json().users).toHaveLength(5);
    expect((await get('/api/v1/admin/users?status=gone', 'admin')).statusCode).toBe(400);
    expect(second.nextCursor).toBeNull();
    // Search is exact (addresses are sealed): a whole address, any case, or a user id.
    const found = (await get('/api/v1/admin/users?q=BEN@example.org', 'admin')).json();
    expect(found.users.map((u: { id: string }) => u.id)).toEqual(['u2']);
    expect((await get('/api/v1/admin/users?q=ben@', 'admin')).json().users).toEqual([]);
    expect((await get('/api/v1/admin/users?q=u3', 'admin')).json().users.map((u: { email: string }) => u.email)).toEqual(['tess@example.org']);
    expect((await get('/api/v1/admin/users?cursor=bogus', 'admin')).statusCode).toBe(400);
    expect((await get('/api/v1/admin/users?limit=abc', 'admin')).statusCode).toBe(400);
  });

  it('personas, rate limits (top IPs first) and settings (no secrets)', async () => {
    expect((await get('/api/v1/admin/personas', 'admin')).json().personas[0]).toMatchObject({ id: 'p-anna', modality: 'cbt' });
    const rl = (await get('/api/v1/admin/rate-limits', 'admin')).json();
    expect(rl.top.slice(0, 2).map((c: { ip: string; count: number }) => [c.ip, c.count])).toEqual([['10.0.0.1', 42], ['10.0.0.2', 7]]);
    const settings = await get('/api/v1/admin/settings', 'admin');
    expect(settings.json()).toMatchObject({ tokens: { accessTokenTtlSeconds: 900 }, planConfig: { version: 3 }, features: { llm: 'offline' } });
    expect(settings.payload.toLowerCase()).not.toMatch(/secret|password|api_?key/);
  });

  it('sessions: every user\'s sessions with length, mood change, themes and safety flags; filters passed on', async () => {
    const res = await get('/api/v1/admin/sessions?personaId=alex&userId=u1&status=completed&from=2026-11-01&to=2026-11-03T00:00:00Z&limit=10&cursor=abc', 'admin');
    expect(res.statusCode, res.payload).toBe(200);
    expect(listAllCalls.at(-1)).toEqual({
      personaId: 'alex', userId: 'u1', status: sessionV1.SessionStatus.SESSION_STATUS_COMPLETED,
      from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-03T00:00:00Z'), limit: 10, cursor: 'abc',
    });
    const body = res.json();
    expect(body.nextCursor).toBe('next-page');
    expect(body.unavailable).toEqual([]);
    expect(body.sessions[0]).toEqual({
      id: 's1', userId: 'u1', personaId: 'alex', status: 'completed', phase: 'ended', timeMode: 'standard', incognito: false,
      scheduledAt: null, startedAt: '2026-11-02T09:00:00.000Z', endedAt: '2026-11-02T09:18:00.000Z',
      plannedDuration: 20, activeSeconds: 1080, actualDuration: 18, messageCount: 7, endReason: 'completed',
      baselineMood: 2, closingMood: 4, moodChange: 2, rating: 5,
      themes: { topics: ['exams', 'sleep'], emotions: ['anxiety'], summarisedAt: '2026-11-02T09:18:05.000Z' },
      safety: null,
    });
    // Missing parts are null, not errors: no summary yet, no closing mood yet.
    expect(body.sessions[1]).toMatchObject({
      id: 's2', userId: 'u2', status: 'active', incognito: true, moodChange: null, closingMood: null, endedAt: null, themes: null,
      safety: { state: 'SAFETY_MODE', lastLevel: 'HIGH_RISK', alerts: 1, unresolvedAlerts: 1, highestAlertSeverity: 'HIGH_RISK' },
    });
    expect(themeCalls.at(-1)).toEqual(['s1', 's2']);
  });

  it('sessions: defaults, an empty page without asking for themes or flags, and themes down → nulls marked unavailable', async () => {
    const calls = themeCalls.length;
    const empty = (await get('/api/v1/admin/sessions?personaId=nobody', 'admin')).json();
    expect(empty).toEqual({ sessions: [], nextCursor: null, unavailable: [] });
    expect(themeCalls.length).toBe(calls);
    expect(listAllCalls.at(-1)).toMatchObject({ limit: 25, status: sessionV1.SessionStatus.SESSION_STATUS_UNSPECIFIED, userId: '', cursor: '', from: undefined, to: undefined });
    themesDown = true;
    try {
      const res = await get('/api/v1/admin/sessions', 'admin');
      expect(res.statusCode).toBe(200);
      expect(res.json().unavailable).toEqual(['themes']);
      expect(res.json().sessions.map((s: { themes: unknown }) => s.themes)).toEqual([null, null]);
      expect(res.json().sessions[1].safety.state).toBe('SAFETY_MODE');
    } finally {
      themesDown = false;
    }
  });

  it('sessions: clear 400s for bad query parameters', async () => {
    const bad = async (query: string, code: string, message: RegExp) => {
      const res = await get(`/api/v1/admin/sessions?${query}`, 'admin');
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error, query).toMatchObject({ code, message: expect.stringMatching(message) });
    };
    await bad('limit=101', 'INVALID_LIMIT', /limit must be 1 to 100/);
    await bad('limit=0', 'INVALID_LIMIT', /limit must be 1 to 100/);
    await bad('limit=ten', 'VALIDATION_FAILED', /limit/);
    await bad('status=done', 'INVALID_STATUS', /status must be one of scheduled, active, paused, completed, cancelled/);
    await bad('from=yesterday', 'INVALID_DATE', /from must be an ISO 8601 date/);
    await bad('to=2026-13-45', 'INVALID_DATE', /to must be an ISO 8601 date/);
    await bad('from=2026-11-03&to=2026-11-01', 'INVALID_RANGE', /from must be before to/);
    await bad('personaId=no%20spaces', 'VALIDATION_FAILED', /personaId/);
    await bad('sort=asc', 'VALIDATION_FAILED', /additional properties/);
  });
});
