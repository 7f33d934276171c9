import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams, EventStore } from '@haven/eventstore';
import { connectRedis, createLogger, createMetrics, errors, GrpcServer } from '@haven/platform';
import { memoryV1 } from '@haven/proto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../src/http/errors';
import { registerAuthRoutes } from '../src/http/routes/auth';
import { AuthResponse, ErrorResponse, User } from '../src/http/schemas';
import { Accounts } from '../src/identity/application/accounts';
import type { IdentityEvent } from '../src/identity/domain/events';
import { identityCodec } from '../src/identity/infrastructure/codec';
import { ScryptPasswordHasher } from '../src/identity/infrastructure/passwords';
import { AccessTokens, RefreshTokens } from '../src/identity/infrastructure/tokens';
import { registerMemoryRoutes } from '../src/memories/routes';
import { registerPrivacyRoutes } from '../src/privacy/routes';
import { createUpstreams, type Upstreams } from '../src/upstreams';
import { inMemoryDataKeys } from '@haven/testkit';

/** A stand-in memory service speaking the real gRPC API: memories per owner, erasure flags. */
function fakeMemoryService() {
  const memories = new Map<string, memoryV1.Memory>();
  const erased = new Set<string>();
  const owned = (userId: string, memoryId: string) => {
    const m = memories.get(memoryId);
    if (!m || m.userId !== userId) throw errors.notFound('MEMORY_NOT_FOUND', 'no such memory');
    return m;
  };
  const add = (userId: string, text: string) => {
    const id = randomUUID();
    memories.set(id, { id, userId, personaId: 'p-anna', sessionId: 's1', text, status: 'proposed', createdAt: new Date(), updatedAt: new Date(), generalised: false });
    return id;
  };
  const handlers = {
    listMemories: async (req: memoryV1.ListMemoriesRequest) => ({ memories: [...memories.values()].filter((m) => m.userId === req.userId) }),
    decideMemory: async (req: memoryV1.DecideMemoryRequest) => {
      const m = owned(req.userId, req.memoryId);
      m.status = req.approve ? 'approved' : 'rejected';
      return { memory: m };
    },
    editMemory: async (req: memoryV1.EditMemoryRequest) => {
      const m = owned(req.userId, req.memoryId);
      m.text = req.text;
      return { memory: m };
    },
    deleteMemory: async (req: memoryV1.DeleteMemoryRequest) => {
      owned(req.userId, req.memoryId);
      memories.delete(req.memoryId);
      return {};
    },
    exportUserData: async (req: memoryV1.ExportUserDataRequest) => ({
      json: JSON.stringify({ userId: req.userId, memories: [...memories.values()].filter((m) => m.userId === req.userId).map((m) => ({ id: m.id, text: m.text })) }),
    }),
    eraseUser: async (req: memoryV1.EraseUserRequest) => {
      const already = erased.has(req.userId);
      erased.add(req.userId);
      for (const [id, m] of memories) if (m.userId === req.userId) memories.delete(id);
      return { alreadyErased: already };
    },
  };
  return { handlers, add, erased };
}

describe('gateway memory and privacy routes (real NATS and Redis, fake memory gRPC service)', () => {
  const run = Math.random().toString(36).slice(2, 8);
  let nc: NatsConnection;
  let redis: Redis;
  let app: FastifyInstance;
  let grpc: GrpcServer;
  let upstreams: Upstreams;
  let accounts: Accounts;
  let refreshTokens: RefreshTokens;
  const fake = fakeMemoryService();
  const accessTokens = new AccessTokens('x'.repeat(40), 900);

  beforeAll(async () => {
    const logger = createLogger('privacy-test', 'silent');
    const metrics = createMetrics('privacy-test');
    nc = await connectNats(process.env.NATS_URL!, 'privacy-test');
    await ensureStreams(await nc.jetstreamManager(), { contexts: ['identity'] });
    redis = connectRedis(process.env.REDIS_URL!, logger);
    refreshTokens = new RefreshTokens(redis, 3600, `haven:test-${run}`);
    const store = new EventStore<IdentityEvent>({ js: nc.jetstream(), jsm: await nc.jetstreamManager(), context: 'identity', codec: identityCodec });
    accounts = new Accounts({
      store,
      pii: inMemoryDataKeys().cipher,
      passwords: new ScryptPasswordHasher(),
      tokens: {
        issueAccess: (userId, role, now) => accessTokens.issue(userId, role, now),
        issueRefresh: (userId) => refreshTokens.issue(userId),
        rotateRefresh: (token) => refreshTokens.rotate(token),
        revokeUser: (userId, now) => refreshTokens.revokeUser(userId, now, accessTokens.ttlSeconds),
      },
      newId: randomUUID,
      now: () => new Date(),
    });
    grpc = new GrpcServer({ service: 'memory-fake', logger, metrics });
    grpc.addService(memoryV1.MemoryServiceService, fake.handlers);
    const port = await grpc.start(0, '127.0.0.1');
    // Only memory answers; every other service is down, which the export must survive.
    const down = '127.0.0.1:1';
    upstreams = createUpstreams({ session: down, conversation: down, safety: down, billing: down, memory: `127.0.0.1:${port}`, audit: down }, metrics);
    const auth = {
      accessTokens,
      isRevoked: (userId: string, iatMs: number) => refreshTokens.accessRevoked(userId, iatMs),
      onAccessDenied: async () => undefined,
    };
    app = Fastify();
    app.setErrorHandler(errorHandler);
    for (const schema of [ErrorResponse, User, AuthResponse]) app.addSchema(schema);
    registerAuthRoutes(app, { accounts, auth, authRateLimit: { max: 1000, timeWindowMs: 60_000 } });
    registerMemoryRoutes(app, { auth, upstreams });
    registerPrivacyRoutes(app, { auth, upstreams, accounts, refreshTokens, accessTokenTtlSeconds: accessTokens.ttlSeconds });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    upstreams?.close();
    await grpc?.shutdown(500);
    redis?.disconnect();
    await nc?.drain();
  });

  const register = async (name: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: `${name}-${run}@example.org`, password: 'correct horse battery' } });
    expect(res.statusCode).toBe(201);
    return res.json() as { user: { id: string; email: string }; accessToken: string; refreshToken: string };
  };
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string, payload?: unknown) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  it('serves the caller their own memories only; other users get 404 on foreign ids', async () => {
    const ana = await register('ana');
    const ben = await register('ben');
    const mine = fake.add(ana.user.id, 'work stress');
    fake.add(ben.user.id, 'sleep routine');

    const list = await call('GET', '/api/v1/memories', ana.accessToken);
    expect(list.statusCode).toBe(200);
    expect(list.json().memories.map((m: { text: string }) => m.text)).toEqual(['work stress']);

    const decided = await call('POST', `/api/v1/memories/${mine}/decision`, ana.accessToken, { approve: true });
    expect(decided.statusCode).toBe(200);
    expect(decided.json().memory).toMatchObject({ id: mine, status: 'approved', text: 'work stress' });
    expect((await call('PATCH', `/api/v1/memories/${mine}`, ana.accessToken, { text: 'work pressure' })).json().memory.text).toBe('work pressure');

    for (const [method, payload] of [['POST', { approve: false }], ['PATCH', { text: 'x' }], ['DELETE', undefined]] as const) {
      const url = method === 'POST' ? `/api/v1/memories/${mine}/decision` : `/api/v1/memories/${mine}`;
      const res = await call(method, url, ben.accessToken, payload);
      expect(res.statusCode, method).toBe(404);
      expect(res.json().error.code).toBe('MEMORY_NOT_FOUND');
    }
    expect((await call('DELETE', '/api/v1/memories/not.an.id', ana.accessToken)).statusCode).toBe(404);
    expect((await call('POST', `/api/v1/memories/${mine}/decision`, ana.accessToken, { approve: 'yes' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/v1/memories' })).statusCode).toBe(401);
    expect((await call('DELETE', `/api/v1/memories/${mine}`, ana.accessToken)).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/memories', ana.accessToken)).json().memories).toEqual([]);
  });

  it("exports the caller's data only, with notes for services that cannot answer", async () => {
    const cleo = await register('cleo');
    const dan = await register('dan');
    fake.add(cleo.user.id, 'setting boundaries');
    fake.add(dan.user.id, 'grief');
    const res = await call('GET', '/api/v1/me/export', cleo.accessToken);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.account).toMatchObject({ id: cleo.user.id, email: cleo.user.email });
    expect(body.memories.memories.map((m: { text: string }) => m.text)).toEqual(['setting boundaries']);
    expect(body.sessions).toBeNull();
    expect(body.transcripts).toBeNull();
    expect(body.credits).toBeNull();
    expect(body.notes.map((n: { part: string }) => n.part).sort()).toEqual(['credits', 'sessions', 'transcripts']);
    expect(res.payload).not.toContain(dan.user.id);
    expect(res.payload).not.toContain('grief');
    expect(res.payload).not.toContain('scrypt');
  });

  it('DELETE /me erases: memory erased, tokens revoked, login refused, account gone; repeatable', async () => {
    const eve = await register('eve');
    fake.add(eve.user.id, 'work stress');
    const res = await call('DELETE', '/api/v1/me', eve.accessToken);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'erased', alreadyErased: false });
    expect(fake.erased.has(eve.user.id)).toBe(true);

    expect((await call('GET', '/api/v1/me', eve.accessToken)).statusCode).toBe(401);
    expect((await call('DELETE', '/api/v1/me', eve.accessToken)).statusCode).toBe(401);
    const refresh = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: eve.refreshToken } });
    expect(refresh.statusCode).toBe(401);
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: eve.user.email, password: 'correct horse battery' } });
    expect(login.statusCode).toBe(401);
    await expect(accounts.getUser(eve.user.id)).rejects.toMatchObject({ kind: 'NotFound' });
    const again = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: eve.user.email, password: 'correct horse battery' } });
    expect(again.statusCode).toBe(409);
    // A retried erasure (e.g. after a failure half-way) is accepted again and reported as already done.
    expect(await accounts.eraseAccount(eve.user.id)).toEqual({ alreadyErased: true });
  });
});
