import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformFixture, type PlatformFixture } from './platform-fixture';
import { WsClient } from './ws-client';

// "A minute" lasts 2 s in this test for both session and billing (production: 60 s).
const SECONDS_PER_MINUTE = 2;

describe('billing end to end (whole platform, real servers)', () => {
  let fx: PlatformFixture;
  let adminToken: string;
  let originalPlans: unknown;

  const setFreePlan = async (change: Record<string, unknown>) => {
    const current = await fx.api('GET', '/api/v1/admin/config', adminToken);
    expect(current.status).toBe(200);
    const plans = { ...current.json.plans, free: { ...current.json.plans.free, ...change } };
    const put = await fx.api('PUT', '/api/v1/admin/config', adminToken, { plans });
    expect(put.status).toBe(200);
  };

  beforeAll(async () => {
    fx = await startPlatformFixture({
      SESSION_SECONDS_PER_MINUTE: String(SECONDS_PER_MINUTE),
      BILLING_SECONDS_PER_MINUTE: String(SECONDS_PER_MINUTE),
      SESSION_TIMER_POLL_MS: '200',
      BILLING_TIMER_POLL_MS: '100',
    });
    adminToken = await fx.login(fx.admin.email, fx.admin.password);
    originalPlans = (await fx.api('GET', '/api/v1/admin/config', adminToken)).json.plans;
  }, 120_000);
  afterAll(async () => {
    // Plan limits live on the shared NATS: put them back for the test files that follow.
    if (originalPlans) await fx.api('PUT', '/api/v1/admin/config', adminToken, { plans: originalPlans });
    await fx?.stop();
  });

  it('meters a session minute by minute, warns, and ends it out_of_credits', async () => {
    await setFreePlan({ monthlyCreditGrant: 3 });
    const client = await fx.register('metered');
    const credits = await fx.api('GET', '/api/v1/user/credits', client.accessToken);
    expect(credits.json).toMatchObject({ plan: 'free', creditsRemaining: 3 });

    const started = await fx.api('POST', '/api/v1/sessions/start', client.accessToken, { personaId: 'alex', durationMinutes: 10 });
    expect(started.status).toBe(201);
    const session = started.json.session;
    const ws = await WsClient.connect(fx.platform.gatewayUrl, client.accessToken);
    ws.send({ type: 'join_session', sessionId: session.id });
    await ws.next((f) => f.type === 'session_joined');

    const ended = await ws.next((f) => f.type === 'session_ended', 30 * SECONDS_PER_MINUTE * 1000);
    expect(ended.reason).toBe('out_of_credits');
    const updates = ws.ofType('credit_update').map((f) => f.remaining);
    expect(updates).toContain(0);
    expect(updates).toEqual([...updates].sort((a, b) => Number(b) - Number(a)));
    expect(ws.ofType('session_warning').map((f) => f.kind)).toContain('low_credits');

    const after = await fx.api('GET', `/api/v1/sessions/${session.id}`, client.accessToken);
    expect(after.json.session).toMatchObject({ status: 'completed', endReason: 'out_of_credits' });
    // Never more than the started minutes of active time (3 credits + the grace minute at most).
    const balance = (await fx.api('GET', '/api/v1/user/credits', client.accessToken)).json;
    const startedMinutes = Math.ceil(after.json.session.activeSeconds / SECONDS_PER_MINUTE);
    expect(3 - balance.creditsRemaining).toBe(startedMinutes);
    expect(startedMinutes).toBeGreaterThanOrEqual(3);
    // Starting again with no credits is refused.
    const again = await fx.api('POST', '/api/v1/sessions/start', client.accessToken, { personaId: 'alex', durationMinutes: 10 });
    expect(again.status).toBe(422);
    expect(again.json.error.code).toBe('INSUFFICIENT_CREDITS');
    await ws.close();
  }, 120_000);

  it('enforces the free plan: daily cap 422, over-long 413, paid persona 422; an admin raises the cap live', async () => {
    await setFreePlan({ monthlyCreditGrant: 60, dailyMessageLimit: 2 });
    const client = await fx.register('capped');
    const paid = await fx.api('POST', '/api/v1/sessions/start', client.accessToken, { personaId: 'emma', durationMinutes: 10 });
    expect(paid.status).toBe(422);
    expect(paid.json.error.code).toBe('PERSONA_NOT_IN_PLAN');

    const session = (await fx.api('POST', '/api/v1/sessions/start', client.accessToken, { personaId: 'sarah', durationMinutes: 20 })).json.session;
    const send = (content: string, id: string) => fx.api('POST', `/api/v1/sessions/${session.id}/messages`, client.accessToken, { content, clientMessageId: id });

    const long = await send('x'.repeat(251), 'long');
    expect(long.status).toBe(413);
    expect(long.json.error.code).toBe('MESSAGE_TOO_LONG');
    expect((await send('first message today', 'd1')).status).toBe(200);
    expect((await send('second message today', 'd2')).status).toBe(200);
    const third = await send('third message today', 'd3');
    expect(third.status).toBe(422);
    expect(third.json.error.code).toBe('DAILY_LIMIT');
    expect(third.json.error.message.length).toBeGreaterThan(10);

    await setFreePlan({ dailyMessageLimit: 5 });
    // No restart: the next message passes (billing instances pick the change up within a second).
    let next = await send('third message, after the admin raised the cap', 'd3b');
    for (let i = 0; i < 10 && next.status === 422; i++) {
      await new Promise((r) => setTimeout(r, 300));
      next = await send('third message, after the admin raised the cap', `d3b-${i}`);
    }
    expect(next.status).toBe(200);
    // The transcript is a projection: give it a moment to catch up with the last message.
    let users: unknown[] = [];
    for (let i = 0; i < 30 && users.length < 3; i++) {
      const t = (await fx.api('GET', `/api/v1/sessions/${session.id}/transcript`, client.accessToken)).json.transcript.messages;
      users = t.filter((m: { speaker: string }) => m.speaker === 'user');
      if (users.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(users).toHaveLength(3);
  }, 120_000);
});
