import { createMetrics, GrpcServer } from '@haven/platform';
import { billingV1 } from '@haven/proto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBillingRoutes, assertCanStartSession } from '../../gateway/src/billing/routes';
import type { AuthDeps } from '../../gateway/src/http/auth';
import { errorHandler } from '../../gateway/src/http/errors';
import { ErrorResponse } from '../../gateway/src/http/schemas';
import { AccessTokens } from '../../gateway/src/identity/infrastructure/tokens';
import { createUpstreams, type Upstreams } from '../../gateway/src/upstreams';
import { billingHandlers } from '../src/grpc/server';
import type { BillingRuntime } from '../src/runtime';
import { billingFixture, eventually, logger, uid, type Fixture } from './billingFixture';

describe('gateway billing routes against a real billing service (gRPC on port 0)', () => {
  let fx: Fixture;
  let rt: BillingRuntime;
  let server: GrpcServer;
  let upstreams: Upstreams;
  let app: FastifyInstance;
  const tokens = new AccessTokens('x'.repeat(48), 900);
  const token = (userId: string, role: 'client' | 'admin' | 'therapist') => tokens.issue(userId, role, new Date());

  beforeAll(async () => {
    fx = await billingFixture();
    rt = await fx.replica({ sessions: { endOutOfCredits: async () => undefined } });
    server = new GrpcServer({ service: 'billing', logger, metrics: createMetrics('billing-grpc') });
    server.addService(billingV1.BillingServiceService, billingHandlers(rt.billing));
    const addr = `127.0.0.1:${await server.start(0, '127.0.0.1')}`;
    upstreams = createUpstreams({ session: addr, conversation: addr, safety: addr, billing: addr, memory: addr, audit: addr }, createMetrics('gw'));
    const auth: AuthDeps = { accessTokens: tokens, isRevoked: async () => false, onAccessDenied: async () => undefined };
    app = Fastify({ ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } } });
    app.setErrorHandler(errorHandler);
    app.addSchema(ErrorResponse);
    registerBillingRoutes(app, { auth, upstreams });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    upstreams?.close();
    await server?.shutdown(1000);
    await fx?.close();
  });

  const call = (method: 'GET' | 'PUT' | 'PATCH', url: string, bearer: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });

  async function newUser(): Promise<string> {
    const userId = uid('u');
    await fx.registerUser(userId);
    await eventually(() => rt.accounts.load(userId), (a) => a.balance === 60);
    return userId;
  }

  it('GET /api/v1/user/credits answers the caller’s plan, credits and quota', async () => {
    const userId = await newUser();
    const res = await eventually(() => call('GET', '/api/v1/user/credits', token(userId, 'client')), (r) => r.json().creditsRemaining === 60);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ plan: 'free', creditsRemaining: 60, messagesToday: 0, dailyMessageLimit: 20, maxMessageLength: 250 });
    expect((await app.inject({ method: 'GET', url: '/api/v1/user/credits' })).statusCode).toBe(401);
  });

  it('admin config: GET and PUT for admins only; PUT validates the whole table and names the field', async () => {
    const admin = token(uid('a'), 'admin');
    expect((await call('GET', '/api/v1/admin/config', token(uid('c'), 'client'))).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/admin/config', token(uid('t'), 'therapist'))).statusCode).toBe(403);
    const got = await call('GET', '/api/v1/admin/config', admin);
    expect(got.statusCode).toBe(200);
    const { plans } = got.json();
    expect(plans.free).toMatchObject({ dailyMessageLimit: 20, maxMessageLength: 250, personas: ['alex', 'sarah', 'michael'] });

    const bad = await call('PUT', '/api/v1/admin/config', admin, { plans: { ...plans, paid: { ...plans.paid, maxMessageLength: 0 } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('paid/maxMessageLength');
    const missing = await call('PUT', '/api/v1/admin/config', admin, { plans: { free: plans.free, paid: plans.paid } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toContain('trial');

    const put = await call('PUT', '/api/v1/admin/config', admin, { plans: { ...plans, free: { ...plans.free, maxMessageLength: 300 } } });
    expect(put.statusCode).toBe(200);
    expect(put.json().plans.free.maxMessageLength).toBe(300);
    expect(put.json().version).toBeGreaterThan(0);
    await call('PUT', '/api/v1/admin/config', admin, { plans });
  });

  it('PATCH /api/v1/admin/users/:id changes the plan and grants credits once per Idempotency-Key; unknown users are 404', async () => {
    const userId = await newUser();
    const admin = token(uid('a'), 'admin');
    expect((await call('PATCH', `/api/v1/admin/users/${userId}`, token(userId, 'client'), { grantCredits: 5 })).statusCode).toBe(403);
    const first = await call('PATCH', `/api/v1/admin/users/${userId}`, admin, { plan: 'paid', grantCredits: 40 }, { 'idempotency-key': 'k1' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ userId, plan: 'paid', creditsRemaining: 100, dailyMessageLimit: 500 });
    const again = await call('PATCH', `/api/v1/admin/users/${userId}`, admin, { grantCredits: 40 }, { 'idempotency-key': 'k1' });
    expect(again.statusCode).toBe(200);
    expect((await rt.accounts.load(userId)).balance).toBe(100);
    expect(again.json()).toMatchObject({ creditsRemaining: 100 });
    const credits = await eventually(() => call('GET', '/api/v1/user/credits', token(userId, 'client')), (r) => r.json().creditsRemaining === 100 && r.json().plan === 'paid');
    expect(credits.json()).toMatchObject({ plan: 'paid', dailyMessageLimit: 500, maxMessageLength: 2000 });
    expect((await call('PATCH', `/api/v1/admin/users/${uid('nobody')}`, admin, { grantCredits: 1 })).statusCode).toBe(404);
    expect((await call('PATCH', `/api/v1/admin/users/${userId}`, admin, {})).statusCode).toBe(400);
  });

  it('assertCanStartSession refuses with 422-kind DomainErrors', async () => {
    const userId = await newUser();
    await eventually(() => assertCanStartSession(upstreams, userId, 'alex', 10).catch(() => ({ creditsRemaining: -1 })), (r) => r.creditsRemaining === 60);
    await expect(assertCanStartSession(upstreams, userId, 'olivia', 10)).rejects.toMatchObject({ kind: 'FailedPrecondition', code: 'PERSONA_NOT_IN_PLAN' });
    await expect(assertCanStartSession(upstreams, userId, 'alex', 60)).rejects.toMatchObject({ kind: 'FailedPrecondition', code: 'SESSION_LENGTH_NOT_IN_PLAN' });
    await expect(assertCanStartSession(upstreams, uid('broke'), 'alex', 10)).rejects.toMatchObject({ kind: 'FailedPrecondition', code: 'INSUFFICIENT_CREDITS' });
  });
});
