import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformFixture, type PlatformFixture } from './platform-fixture';
import { eventually } from '@haven/testkit';

const AI_REPLY = 'Thank you for telling me. What weighs on you most right now?';
const CALM_MESSAGE = 'I keep worrying about my exams and I cannot sleep before them.';
const CRISIS_MESSAGE = "I've saved up my pills and I'm taking them all tonight. This is goodbye.";


describe('admin sessions browser end to end (whole platform, real servers, LLM stub)', () => {
  let fx: PlatformFixture;
  beforeAll(async () => {
    fx = await startPlatformFixture({}, () => AI_REPLY);
  }, 120_000);
  afterAll(async () => fx?.stop());

  it('lists two users\' sessions with persona, times, length, mood change, themes and safety flags, never content; admin only', async () => {
    const adminToken = await fx.login(fx.admin.email, fx.admin.password);
    const staffToken = async (role: 'therapist' | 'oncall') => {
      const email = `${role}-${randomBytes(3).toString('hex')}@haven.test`;
      expect((await fx.api('POST', '/api/v1/admin/staff', adminToken, { email, password: 'a staff password 1', role })).status).toBe(201);
      return fx.login(email, 'a staff password 1');
    };

    // Ana: a completed session with moods and one ordinary message, so it gets a summary.
    const ana = await fx.register('ana');
    const anaStart = await fx.api('POST', '/api/v1/sessions/start', ana.accessToken, { personaId: 'alex', durationMinutes: 20, baselineMood: 2, reason: 'exam stress' });
    expect(anaStart.status, anaStart.text).toBe(201);
    const anaSession = anaStart.json.session.id as string;
    const sent = await fx.api('POST', `/api/v1/sessions/${anaSession}/messages`, ana.accessToken, { content: CALM_MESSAGE });
    expect(sent.status, sent.text).toBe(200);
    expect((await fx.api('POST', `/api/v1/sessions/${anaSession}/end`, ana.accessToken, { closingMood: 4, rating: 5 })).status).toBe(200);

    // Ben: a live session with another persona whose message raises a crisis alert.
    const ben = await fx.register('ben');
    const benStart = await fx.api('POST', '/api/v1/sessions/start', ben.accessToken, { personaId: 'sarah', durationMinutes: 15 });
    expect(benStart.status, benStart.text).toBe(201);
    const benSession = benStart.json.session.id as string;
    expect((await fx.api('POST', `/api/v1/sessions/${benSession}/messages`, ben.accessToken, { content: CRISIS_MESSAGE })).status).toBe(200);

    const browse = (query: string) => fx.api('GET', `/api/v1/admin/sessions?${query}`, adminToken);
    // The summary and the alert arrive through projections: wait until both show.
    const anaRow = await eventually(async () => {
      const r = await browse(`userId=${ana.user.id}`);
      const row = r.json?.sessions?.[0];
      return row?.status === 'completed' && row.themes !== null ? row : undefined;
    }, 30_000);
    expect(anaRow).toMatchObject({
      id: anaSession,
      userId: ana.user.id,
      personaId: 'alex',
      status: 'completed',
      phase: 'ended',
      incognito: false,
      plannedDuration: 20,
      messageCount: 1,
      baselineMood: 2,
      closingMood: 4,
      moodChange: 2,
      rating: 5,
      endReason: 'completed',
      safety: { alerts: 0, unresolvedAlerts: 0, highestAlertSeverity: null },
    });
    expect(anaRow.activeSeconds).toBeGreaterThanOrEqual(0);
    expect(new Date(anaRow.startedAt).getTime()).toBeLessThanOrEqual(new Date(anaRow.endedAt).getTime());
    expect(anaRow.themes.topics).toContain('exams');
    expect(anaRow.themes.emotions.length).toBeGreaterThan(0);
    expect(anaRow.safety.state).not.toBeNull();

    const benRow = await eventually(async () => {
      const row = (await browse(`userId=${ben.user.id}`)).json?.sessions?.[0];
      return row?.safety?.alerts === 1 ? row : undefined;
    }, 30_000);
    expect(benRow).toMatchObject({
      id: benSession,
      personaId: 'sarah',
      status: 'active',
      endedAt: null,
      closingMood: null,
      moodChange: null,
      themes: null,
      safety: { state: 'SAFETY_MODE', lastLevel: 'HIGH_RISK', alerts: 1, unresolvedAlerts: 1, highestAlertSeverity: 'HIGH_RISK' },
    });

    // Newest first across users; filters by persona, status and time.
    const all = await browse('limit=100');
    expect(all.status).toBe(200);
    const order = all.json.sessions.map((s: { id: string }) => s.id);
    expect(order.indexOf(benSession)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(benSession)).toBeLessThan(order.indexOf(anaSession));
    expect((await browse(`personaId=sarah&userId=${ana.user.id}`)).json.sessions).toEqual([]);
    expect((await browse(`status=active&userId=${ben.user.id}`)).json.sessions.map((s: { id: string }) => s.id)).toEqual([benSession]);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await browse(`from=${tomorrow}&userId=${ana.user.id}`)).json.sessions).toEqual([]);
    expect((await browse(`to=${tomorrow}&userId=${ana.user.id}`)).json.sessions.map((s: { id: string }) => s.id)).toEqual([anaSession]);
    expect((await browse('personaId=no-such-persona')).json).toEqual({ sessions: [], nextCursor: null, unavailable: [] });
    expect((await browse('limit=101')).status).toBe(400);

    // No message text, AI reply, reason or crisis wording anywhere in what admins see.
    const payload = all.text + JSON.stringify(anaRow) + JSON.stringify(benRow);
    for (const secret of [CALM_MESSAGE, AI_REPLY, CRISIS_MESSAGE, 'exam stress', 'pills', 'goodbye', 'cannot sleep']) expect(payload).not.toContain(secret);
    for (const field of ['content', 'summary', 'reason', 'messages', 'transcript']) expect(payload).not.toContain(`"${field}"`);

    // Admin only, with real tokens of every other role.
    expect((await fx.api('GET', '/api/v1/admin/sessions')).status).toBe(401);
    for (const token of [ana.accessToken, await staffToken('therapist'), await staffToken('oncall')]) {
      const res = await fx.api('GET', '/api/v1/admin/sessions', token);
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('FORBIDDEN');
    }

    // The route is described in the OpenAPI document.
    const doc = (await fx.api('GET', '/docs/json')).json;
    expect(Object.keys(doc.paths['/api/v1/admin/sessions'].get.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  }, 120_000);
});
