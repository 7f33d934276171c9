import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams, EventStore } from '@haven/eventstore';
import { connectRedis, createLogger, createMetrics } from '@haven/platform';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../src/http/errors';
import { ErrorResponse } from '../src/http/schemas';
import { Accounts } from '../src/identity/application/accounts';
import type { IdentityEvent } from '../src/identity/domain/events';
import { identityCodec } from '../src/identity/infrastructure/codec';
import { ScryptPasswordHasher } from '../src/identity/infrastructure/passwords';
import { AccessTokens, RefreshTokens } from '../src/identity/infrastructure/tokens';
import { registerPrivacyRoutes } from '../src/privacy/routes';
import { createUpstreams, type Upstreams } from '../src/upstreams';
import { inMemoryDataKeys } from '@haven/testkit';

describe('GET /me/export appends identity.DataExported (real NATS and Redis)', () => {
  const run = Math.random().toString(36).slice(2, 8);
  let nc: NatsConnection;
  let redis: Redis;
  let app: FastifyInstance;
  let upstreams: Upstreams;
  let store: EventStore<IdentityEvent>;
  let accounts: Accounts;
  const accessTokens = new AccessTokens('z'.repeat(40), 900);

  beforeAll(async () => {
    const logger = createLogger('export-audit-test', 'silent');
    nc = await connectNats(process.env.NATS_URL!, 'export-audit-test');
    await ensureStreams(await nc.jetstreamManager(), { contexts: ['identity'] });
    redis = connectRedis(process.env.REDIS_URL!, logger);
    const refreshTokens = new RefreshTokens(redis, 3600, `haven:test-${run}`);
    store = new EventStore<IdentityEvent>({ js: nc.jetstream(), jsm: await nc.jetstreamManager(), context: 'identity', codec: identityCodec });
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
    // Every service is down: the export still answers (with notes) and is still recorded.
    const down = '127.0.0.1:1';
    upstreams = createUpstreams({ session: down, conversation: down, safety: down, billing: down, memory: down, audit: down }, createMetrics('export-audit-test'));
    const auth = { accessTokens, isRevoked: (userId: string, iatMs: number) => refreshTokens.accessRevoked(userId, iatMs), onAccessDenied: async () => undefined };
    app = Fastify();
    app.setErrorHandler(errorHandler);
    app.addSchema(ErrorResponse);
    registerPrivacyRoutes(app, { auth, upstreams, accounts, refreshTokens, accessTokenTtlSeconds: accessTokens.ttlSeconds });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    upstreams?.close();
    redis?.disconnect();
    await nc?.drain();
  });

  it('two exports → two DataExported events with the user id and IP on the user stream', async () => {
    const { user, accessToken } = await accounts.register({ email: `exp-${run}@example.org`, password: 'correct horse battery' }, { ip: '127.0.0.1', userAgent: 't' });
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/me/export', headers: { authorization: `Bearer ${accessToken}` }, remoteAddress: '203.0.113.9' });
      expect(res.statusCode).toBe(200);
    }
    const { events } = await store.load(user.id);
    const exported = events.filter((e) => e.type === 'identity.DataExported').map((e) => e.event);
    expect(exported).toEqual([
      { type: 'DataExported', data: { userId: user.id, ip: '203.0.113.9' } },
      { type: 'DataExported', data: { userId: user.id, ip: '203.0.113.9' } },
    ]);
  });
});
