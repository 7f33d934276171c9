import { createGrpcClient, createMetrics, GrpcServer, type GrpcClient } from '@haven/platform';
import { billingV1 } from '@haven/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLANS, PLAN_NAMES } from '../src/domain/plans';
import { billingHandlers } from '../src/grpc/server';
import { planLimitsToProto } from '../src/grpc/mapping';
import type { BillingRuntime } from '../src/runtime';
import { billingFixture, eventually, logger, uid, type Fixture } from './billingFixture';

const noSessions = { endOutOfCredits: async () => undefined };

describe('billing Authorize, balances and plan config (real NATS, Redis, FerretDB; gRPC on port 0)', () => {
  let fx: Fixture;
  let a: BillingRuntime;
  let b: BillingRuntime;
  let server: GrpcServer;
  let client: GrpcClient<billingV1.BillingServiceClient>;

  beforeAll(async () => {
    fx = await billingFixture();
    a = await fx.replica({ sessions: noSessions });
    b = await fx.replica({ sessions: noSessions });
    server = new GrpcServer({ service: 'billing', logger, metrics: createMetrics('billing-grpc') });
    server.addService(billingV1.BillingServiceService, billingHandlers(a.billing));
    const port = await server.start(0, '127.0.0.1');
    client = createGrpcClient(billingV1.BillingServiceClient, 'billing', `127.0.0.1:${port}`);
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown(1000);
    await fx?.close();
  });

  const authorize = (userId: string, messageLength = 10, personaId = 'alex', messageId = '') =>
    client.unary((c) => c.authorize, 'Authorize', { userId, sessionId: 's', personaId, messageLength, messageId });
  const balance = (userId: string) => client.unary((c) => c.getBalance, 'GetBalance', { userId });

  /** A registered user whose sign-up grant has reached the balances projection. */
  async function newUser(): Promise<string> {
    const userId = uid('u');
    await fx.registerUser(userId);
    await eventually(() => balance(userId), (r) => r.creditsRemaining === DEFAULT_PLANS.free.monthlyCreditGrant);
    return userId;
  }

  it('grants the sign-up credits when identity registers a user, once', async () => {
    const userId = await newUser();
    const res = await balance(userId);
    expect(res).toMatchObject({ plan: billingV1.Plan.PLAN_FREE, creditsRemaining: 60, messagesToday: 0, dailyMessageLimit: 20, maxMessageLength: 250 });
    // the same grant decided again (a redelivery, a second replica) stores nothing
    const state = await a.accounts.handle(
      { type: 'GrantCredits', data: { userId, amount: 60, reason: 'signup', grantId: `monthly-${new Date().toISOString().slice(0, 7)}`, grantedBy: 'system' } },
      { actor: 'test', now: new Date() },
    );
    expect(state.appended).toEqual([]);
    expect(state.state.balance).toBe(60);
  });

  it('refuses the 21st message of the day on free with DAILY_LIMIT; a retried message id counts once', async () => {
    const userId = await newUser();
    for (let i = 0; i < 20; i += 1) expect((await authorize(userId, 10, 'alex', `m${i}`)).allowed).toBe(true);
    expect((await authorize(userId, 10, 'alex', 'm3')).allowed).toBe(true); // retry of message 3
    const refused = await authorize(userId, 10, 'alex', 'm20');
    expect(refused).toMatchObject({ allowed: false, refusalCode: 'DAILY_LIMIT' });
    expect(refused.message).toMatch(/20 messages/);
    expect((await balance(userId)).messagesToday).toBe(20);
  });

  it('refuses over-long messages and personas outside the plan without using the quota', async () => {
    const userId = await newUser();
    expect(await authorize(userId, 251)).toMatchObject({ allowed: false, refusalCode: 'MESSAGE_TOO_LONG' });
    expect(await authorize(userId, 10, 'olivia')).toMatchObject({ allowed: false, refusalCode: 'PERSONA_NOT_IN_PLAN' });
    expect((await balance(userId)).messagesToday).toBe(0);
    // paid allows every persona and 2000 characters
    await client.unary((c) => c.setPlan, 'SetPlan', { userId, plan: billingV1.Plan.PLAN_PAID, changedBy: 'admin', trialDays: 0 });
    await eventually(() => authorize(userId, 2000, 'olivia'), (r) => r.allowed);
  });

  it('refuses with INSUFFICIENT_CREDITS at zero credits', async () => {
    const stranger = uid('u'); // no account: nothing granted
    expect(await authorize(stranger)).toMatchObject({ allowed: false, refusalCode: 'INSUFFICIENT_CREDITS', creditsRemaining: 0 });
    const check = await client.unary((c) => c.checkSessionStart, 'CheckSessionStart', { userId: stranger, personaId: 'alex', durationMinutes: 10 });
    expect(check).toMatchObject({ allowed: false, refusalCode: 'INSUFFICIENT_CREDITS' });
  });

  it('checks session starts against the plan', async () => {
    const userId = await newUser();
    const check = (personaId: string, durationMinutes: number) => client.unary((c) => c.checkSessionStart, 'CheckSessionStart', { userId, personaId, durationMinutes });
    expect(await check('alex', 10)).toMatchObject({ allowed: true, creditsRemaining: 60 });
    expect(await check('alex', 60)).toMatchObject({ allowed: false, refusalCode: 'SESSION_LENGTH_NOT_IN_PLAN' });
    expect(await check('olivia', 10)).toMatchObject({ allowed: false, refusalCode: 'PERSONA_NOT_IN_PLAN' });
  });

  it('admin grants are idempotent by grantId and unknown accounts are NOT_FOUND', async () => {
    const userId = await newUser();
    const grant = () => client.unary((c) => c.grantCredits, 'GrantCredits', { userId, amount: 15, reason: 'goodwill', grantedBy: 'admin', grantId: 'g-1' });
    expect((await grant()).creditsRemaining).toBe(75);
    expect((await grant()).creditsRemaining).toBe(75);
    await expect(client.unary((c) => c.grantCredits, 'GrantCredits', { userId: uid('nobody'), amount: 1, reason: '', grantedBy: 'admin', grantId: 'g' })).rejects.toMatchObject({
      kind: 'NotFound',
      code: 'ACCOUNT_NOT_FOUND',
    });
  });

  it('an admin raising the daily cap reaches another instance without restart (< 1 s) and the next Authorize passes', async () => {
    const userId = await newUser();
    for (let i = 0; i < 20; i += 1) await authorize(userId, 10, 'alex', `x${i}`);
    expect(await b.billing.authorize({ userId, personaId: 'alex', messageLength: 10, messageId: 'x20' })).toMatchObject({ allowed: false, code: 'DAILY_LIMIT' });

    const raised = PLAN_NAMES.map((n) => planLimitsToProto(n === 'free' ? { ...DEFAULT_PLANS.free, dailyMessageLimit: 25 } : DEFAULT_PLANS[n]));
    const updated = await client.unary((c) => c.updatePlanConfig, 'UpdatePlanConfig', { plans: raised, updatedBy: 'admin' });
    expect(updated.version).toBeGreaterThan(0);
    const t0 = Date.now();
    await eventually(async () => b.plans.current().plans.free.dailyMessageLimit, (v) => v === 25, 1000, 10);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await b.billing.authorize({ userId, personaId: 'alex', messageLength: 10, messageId: 'x20' })).toEqual({ allowed: true, creditsRemaining: 60 });
    expect((await client.unary((c) => c.getPlanConfig, 'GetPlanConfig', {})).plans.find((p) => p.plan === billingV1.Plan.PLAN_FREE)?.dailyMessageLimit).toBe(25);
  });

  it('rejects an invalid plan table naming the field, and stores nothing', async () => {
    const before = a.plans.current().version;
    const bad = PLAN_NAMES.map((n) => planLimitsToProto(n === 'trial' ? { ...DEFAULT_PLANS.trial, maxMessageLength: 0 } : DEFAULT_PLANS[n]));
    await expect(client.unary((c) => c.updatePlanConfig, 'UpdatePlanConfig', { plans: bad, updatedBy: 'admin' })).rejects.toMatchObject({
      kind: 'InvalidArgument',
      message: expect.stringContaining('plans.trial.maxMessageLength'),
    });
    expect(a.plans.current().version).toBe(before);
  });
});
