import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { eventually, findFreePort, findRepoRoot, launchProcess, startOpenAIStub, startPlatform, type OpenAIStub, type RunningPlatform } from '@haven/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsClient, type Frame } from './ws-client';

// "A minute" lasts this many seconds in this test, for session and billing alike (production: 60).
const SECONDS_PER_MINUTE = 3;


describe('live AI sessions end to end (whole platform, real servers, LLM stub)', () => {
  let platform: RunningPlatform;
  let stub: OpenAIStub;
  let replyNo = 0;

  beforeAll(async () => {
    stub = await startOpenAIStub({
      behaviour: { chat: { kind: 'reply', reply: () => `That sounds hard. Tell me more about it, reply ${++replyNo}.`, delayMsPerToken: 2 } },
    });
    platform = await startPlatform({
      natsUrl: process.env.NATS_URL!,
      redisUrl: process.env.REDIS_URL!,
      mongoUrl: process.env.MONGO_URL!,
      mongoDb: `e2e_sessions_${randomBytes(3).toString('hex')}`,
      ports: 'free',
      env: {
        LOG_LEVEL: process.env.HAVEN_TEST_LOG_LEVEL ?? 'warn',
        OPENAI_API_KEY: 'test-key',
        OPENAI_BASE_URL: stub.baseURL,
        OPENAI_MODEL: 'stub-model',
        SESSION_SECONDS_PER_MINUTE: String(SECONDS_PER_MINUTE),
        BILLING_SECONDS_PER_MINUTE: String(SECONDS_PER_MINUTE),
        SESSION_TIMER_POLL_MS: '200',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await stub?.close();
  });

  const api = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${platform.gatewayUrl}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), 'x-forwarded-for': '10.9.9.9' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    // Response bodies are asserted field by field below; loosely typed on purpose.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers, raw: res };
  };
  const register = async (name: string) => {
    const r = await api('POST', '/api/v1/auth/register', undefined, { email: `${name}-${randomBytes(4).toString('hex')}@example.org`, password: 'a long enough password' });
    expect(r.status).toBe(201);
    return r.json as { user: { id: string }; accessToken: string };
  };

  /** Sends one message over the socket and waits for its ai_response; returns the frames of that turn. */
  async function turn(ws: WsClient, sessionId: string, content: string, clientMessageId: string) {
    const from = ws.frames.length;
    ws.send({ type: 'send_message', sessionId, content, clientMessageId });
    const response = await ws.next((f) => f.type === 'ai_response' || f.type === 'error', 30_000, from);
    if (response.type === 'error') throw new Error(`error frame: ${JSON.stringify(response)}`);
    return { response, frames: ws.frames.slice(from) };
  }

  it('runs a 20-minute session: streamed replies, backend phases, restarts, end, transcript, summary, exports', async () => {
    const { accessToken: token } = await register('client');

    const personas = await api('GET', '/api/v1/personas', token);
    expect(personas.status).toBe(200);
    expect(personas.json.personas).toHaveLength(14);
    expect(personas.json.personas.filter((p: { free: boolean }) => p.free).map((p: { id: string }) => p.id).sort()).toEqual(['alex', 'michael', 'sarah']);

    const started = await api('POST', '/api/v1/sessions/start', token, { personaId: 'alex', durationMinutes: 20, baselineMood: 2, reason: 'stress at work' });
    expect(started.status).toBe(201);
    const session = started.json.session;
    expect(session).toMatchObject({ status: 'active', phase: 'emotional_baseline', personaId: 'alex', plannedDuration: 20 });
    expect(session.websocketUrl).toMatch(/^ws:\/\/.+\/api\/v1\/ws$/);

    let ws = await WsClient.connect(platform.gatewayUrl, token);
    ws.send({ type: 'join_session', sessionId: session.id });
    expect((await ws.next((f) => f.type === 'session_joined')).session).toMatchObject({ id: session.id });

    // Nine messages: standard mode → agenda after the 1st, exploration after the 2nd, checkpoint at the 9th.
    for (let i = 1; i <= 9; i++) {
      const { response, frames } = await turn(ws, session.id, `message number ${i}: work has been a lot lately`, `m${i}`);
      const tokens = frames.filter((f) => f.type === 'ai_token' && f.messageId === (response.message as { id: string }).id).map((f) => f.delta).join('');
      expect(tokens.length).toBeGreaterThan(0);
      expect(tokens).toBe((response.message as { content: string }).content);
      expect(frames.findIndex((f) => f.type === 'ai_token')).toBeLessThan(frames.indexOf(response));
      if (i === 8) expect(ws.ofType('phase_changed').map((f) => f.phase)).not.toContain('checkpoint');
    }
    const phases = ws.ofType('phase_changed').map((f) => f.phase);
    expect(phases.slice(0, 3)).toEqual(['agenda', 'exploration', 'checkpoint']);

    // A "worse" checkpoint answer moves to integration.
    await turn(ws, session.id, 'Honestly I feel worse than when we started.', 'm10');
    await ws.next((f) => f.type === 'phase_changed' && f.phase === 'integration');

    // Restart the conversation service in the middle of a reply; the client retries with the same id.
    stub.setBehaviour({ chat: { kind: 'reply', reply: () => `A slower reflective reply ${++replyNo} with several words to stream out.`, delayMsPerToken: 150 } });
    const from = ws.frames.length;
    ws.send({ type: 'send_message', sessionId: session.id, content: 'message eleven during a restart', clientMessageId: 'm11' });
    await ws.next((f) => f.type === 'ai_token', 15_000, from);
    platform.services.conversation.kill('SIGKILL');
    await platform.services.conversation.restart();
    stub.setBehaviour({ chat: { kind: 'reply', reply: () => `Back again, reply ${++replyNo}.`, delayMsPerToken: 2 } });
    await turn(ws, session.id, 'message eleven during a restart', 'm11');

    // Restart the session service too, and let the client reconnect its socket: the session carries
    // on from its events, in the phase it had.
    await platform.services.session.restart();
    const framesBefore = ws.frames;
    await ws.close();
    ws = await WsClient.connect(platform.gatewayUrl, token);
    ws.send({ type: 'join_session', sessionId: session.id });
    expect((await ws.next((f) => f.type === 'session_joined')).session).toMatchObject({ id: session.id, phase: 'integration', status: 'active' });
    await turn(ws, session.id, 'message twelve after the session service restarted', 'm12');
    ws.frames.unshift(...framesBefore);

    // Time-based phases: ≤ 5 minutes left → closing, with a warning frame.
    await ws.next((f) => f.type === 'phase_changed' && f.phase === 'closing', 20 * SECONDS_PER_MINUTE * 1000);
    await ws.next((f) => f.type === 'session_warning', 10_000);

    const ended = await api('POST', `/api/v1/sessions/${session.id}/end`, token, { closingMood: 4, rating: 5 });
    expect(ended.status).toBe(200);
    expect(ended.json.session).toMatchObject({ id: session.id, status: 'completed' });
    await ws.next((f) => f.type === 'session_ended');
    const details = await api('GET', `/api/v1/sessions/${session.id}`, token);
    expect(details.json.session).toMatchObject({ status: 'completed', moodChange: 2, phase: 'ended' });

    // Transcript: in order, both speakers, every user message exactly once.
    const transcript = (await api('GET', `/api/v1/sessions/${session.id}/transcript`, token)).json.transcript;
    const userMessages = transcript.messages.filter((m: { speaker: string }) => m.speaker === 'user').map((m: { content: string }) => m.content);
    expect(userMessages).toHaveLength(12);
    expect(new Set(userMessages).size).toBe(12);
    expect(userMessages[0]).toContain('message number 1');
    expect(userMessages[10]).toBe('message eleven during a restart');
    expect(transcript.messages.filter((m: { speaker: string }) => m.speaker === 'ai').length).toBeGreaterThanOrEqual(12);
    const times = transcript.messages.map((m: { timestamp: string }) => Date.parse(m.timestamp));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(transcript.messages[0].speaker).toBe('user');
    expect(transcript.messages[1].speaker).toBe('ai');

    const summary = await eventually(async () => {
      const r = await api('GET', `/api/v1/sessions/${session.id}/summary`, token);
      return r.status === 200 ? r.json.summary : undefined;
    }, 30_000);
    expect(summary.summary.length).toBeGreaterThan(10);
    expect(Array.isArray(summary.keyTopics)).toBe(true);

    const csv = await api('GET', `/api/v1/sessions/${session.id}/export?format=csv`, token);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text).toContain('message eleven during a restart');
    expect(csv.text.trim().split('\n').length).toBeGreaterThanOrEqual(25);

    const pdf = await fetch(`${platform.gatewayUrl}/api/v1/sessions/${session.id}/export?format=pdf`, { headers: { authorization: `Bearer ${token}` } });
    expect(pdf.headers.get('content-type')).toContain('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(bytes);
    expect(text).toContain('message number 1');

    // Metrics of the conversation and session services.
    const convMetrics = await (await fetch(`${platform.services.conversation.adminUrl}/metrics`)).text();
    expect(convMetrics).toMatch(/haven_messages_total\{[^}]*speaker="user"/);
    expect(convMetrics).toMatch(/haven_llm_request_duration_seconds_bucket\{[^}]*model="stub-model"/);
    expect(convMetrics).toMatch(/haven_llm_tokens_total\{[^}]*model="stub-model"/);
    const sessionMetrics = await (await fetch(`${platform.services.session.adminUrl}/metrics`)).text();
    expect(sessionMetrics).toContain('haven_sessions_active');
    await ws.close();
  }, 180_000);

  it('delivers frames to tabs on different gateway replicas (no sticky sessions)', async () => {
    const root = findRepoRoot()!;
    const [httpPort, adminPort] = [await findFreePort(), await findFreePort()];
    const gateway2 = await launchProcess({
      name: 'gateway-2',
      command: process.execPath,
      args: [join(root, 'services/gateway/dist/main.js')],
      cwd: root,
      env: { ...platform.env, HTTP_PORT: String(httpPort), ADMIN_PORT: String(adminPort), GRPC_PORT: '0' },
      isReady: async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.ok === true,
    });
    try {
      const { accessToken: token } = await register('two-tabs');
      const s = (await api('POST', '/api/v1/sessions/start', token, { personaId: 'michael', durationMinutes: 20 })).json.session;
      const tab1 = await WsClient.connect(platform.gatewayUrl, token);
      const tab2 = await WsClient.connect(`http://127.0.0.1:${httpPort}`, token);
      for (const tab of [tab1, tab2]) {
        tab.send({ type: 'join_session', sessionId: s.id });
        await tab.next((f) => f.type === 'session_joined');
      }
      // Sent on replica 1: the tab on replica 2 sees the tokens and the reply too, once each.
      const { response } = await turn(tab1, s.id, 'hello from the first tab', 'tab-1');
      const id = (response.message as { id: string }).id;
      const seen2 = await tab2.next((f) => f.type === 'ai_response' && (f.message as { id: string }).id === id);
      expect(seen2.message).toEqual(response.message);
      expect(tab2.frames.filter((f) => f.type === 'ai_token' && f.messageId === id).length).toBeGreaterThan(0);
      // And the other way round.
      const back = await turn(tab2, s.id, 'hello from the second tab', 'tab-2');
      const backId = (back.response.message as { id: string }).id;
      await tab1.next((f) => f.type === 'ai_response' && (f.message as { id: string }).id === backId);
      expect(tab1.frames.filter((f) => f.type === 'ai_response' && (f.message as { id: string }).id === id)).toHaveLength(1);
      await tab1.close();
      await tab2.close();
    } finally {
      await gateway2.stop();
    }
  }, 60_000);

  it('answers bad input with clear errors and changes nothing', async () => {
    const a = await register('alice');
    const b = await register('bob');
    const s = (await api('POST', '/api/v1/sessions/start', a.accessToken, { personaId: 'sarah', durationMinutes: 10 })).json.session;

    // REST
    expect((await api('POST', '/api/v1/sessions/start', a.accessToken, '{"personaId":')).json.error.code).toBe('MALFORMED_JSON');
    expect((await api('POST', '/api/v1/sessions/start', a.accessToken, { personaId: 'sarah', durationMinutes: 3 })).json.error.message).toMatch(/durationMinutes/);
    expect((await api('POST', '/api/v1/sessions/start', a.accessToken, { personaId: 'nobody', durationMinutes: 10 })).json.error.code).toBe('UNKNOWN_PERSONA');
    expect((await api('POST', `/api/v1/sessions/${s.id}/messages`, a.accessToken, { content: '' })).status).toBe(400);
    expect((await api('POST', `/api/v1/sessions/${s.id}/messages`, a.accessToken, { content: 'x'.repeat(70_000) })).status).toBe(413);
    const foreign = await api('POST', `/api/v1/sessions/${s.id}/messages`, b.accessToken, { content: 'hello' });
    expect(foreign.status).toBe(404);
    expect((await api('GET', `/api/v1/sessions/${s.id}`, b.accessToken)).status).toBe(404);
    expect((await api('GET', `/api/v1/sessions/${s.id}/transcript`, b.accessToken)).status).toBe(404);
    expect((await api('GET', '/api/v1/sessions/00000000-0000-0000-0000-000000000000', a.accessToken)).status).toBe(404);
    expect((await api('GET', '/api/v1/sessions/..%2F..%2Fetc', a.accessToken)).status).toBe(404);

    // Two tabs send the same clientMessageId at once: one user message, one reply.
    const [r1, r2] = await Promise.all([1, 2].map(() => api('POST', `/api/v1/sessions/${s.id}/messages`, a.accessToken, { content: 'same message from two tabs', clientMessageId: 'dup-1' })));
    expect([r1!.status, r2!.status].filter((x) => x === 200).length).toBeGreaterThanOrEqual(1);
    const t = (await api('GET', `/api/v1/sessions/${s.id}/transcript`, a.accessToken)).json.transcript.messages;
    expect(t.filter((m: { content: string }) => m.content === 'same message from two tabs')).toHaveLength(1);
    expect(t.filter((m: { speaker: string }) => m.speaker === 'ai')).toHaveLength(1);

    // WebSocket
    await expect(WsClient.connect(platform.gatewayUrl, 'not-a-token')).rejects.toThrow(/401/);
    const ws = await WsClient.connect(platform.gatewayUrl, a.accessToken);
    const err = async (frame: unknown) => {
      const from = ws.frames.length;
      ws.send(frame);
      return (await ws.next((f: Frame) => f.type === 'error', 5000, from)) as Frame & { code: string; message: string };
    };
    expect((await err('{not json')).code).toBe('MALFORMED_FRAME');
    expect((await err({ type: 'fly_to_moon' })).code).toBe('UNKNOWN_FRAME_TYPE');
    expect((await err({ type: 'send_message', sessionId: s.id, content: 'x'.repeat(20_000) })).code).toBe('FRAME_TOO_LARGE');
    expect((await err({ type: 'send_message', sessionId: s.id, content: '   ' })).code).toBe('INVALID_FRAME');
    expect((await err({ type: 'send_message', sessionId: s.id, content: 'hi' })).code).toBe('NOT_JOINED');
    const bobWs = await WsClient.connect(platform.gatewayUrl, b.accessToken);
    bobWs.send({ type: 'join_session', sessionId: s.id });
    expect(await bobWs.next((f) => f.type === 'error')).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    bobWs.send({ type: 'subscribe_oncall' });
    expect(await bobWs.next((f) => f.type === 'error' && f.code === 'FORBIDDEN')).toBeTruthy();
    ws.send({ type: 'ping' });
    await ws.next((f) => f.type === 'pong');

    // Messages to an ended session are refused.
    expect((await api('POST', `/api/v1/sessions/${s.id}/end`, a.accessToken, {})).status).toBe(200);
    const late = await api('POST', `/api/v1/sessions/${s.id}/messages`, a.accessToken, { content: 'anyone there?' });
    expect(late.status).toBe(422);
    expect(late.json.error.code).toMatch(/SESSION_(NOT_ACTIVE|ENDED)/);
    await ws.close();
    await bobWs.close();
  }, 120_000);

  it('reminds the user of a scheduled session on any open socket, then starts it through the API', async () => {
    const a = await register('planner');
    const other = await register('bystander');
    const ws = await WsClient.connect(platform.gatewayUrl, a.accessToken);
    const otherWs = await WsClient.connect(platform.gatewayUrl, other.accessToken);
    // The reminder is due 15 "minutes" (45 s here) before the start: schedule 16 minutes ahead.
    const scheduledAt = new Date(Date.now() + 16 * SECONDS_PER_MINUTE * 1000);
    const scheduled = await api('POST', '/api/v1/sessions/schedule', a.accessToken, { personaId: 'alex', scheduledAt: scheduledAt.toISOString(), durationMinutes: 20, reminder: true });
    expect(scheduled.status, scheduled.text).toBe(201);
    const id = scheduled.json.session.id as string;
    const reminder = await ws.next((f) => f.type === 'session_reminder', 20_000);
    expect(reminder).toMatchObject({ sessionId: id, personaId: 'alex', scheduledAt: scheduledAt.toISOString() });
    expect(reminder.message).toMatch(/^Your session starts in about 1[4-6] minutes\.$/);
    // Only the owner hears it.
    expect(otherWs.frames.some((f) => f.type === 'session_reminder')).toBe(false);

    expect((await api('POST', `/api/v1/sessions/${id}/start`, other.accessToken, {})).status).toBe(404);
    const started = await api('POST', `/api/v1/sessions/${id}/start`, a.accessToken, { baselineMood: 3 });
    expect(started.status, started.text).toBe(201);
    expect(started.json.session).toMatchObject({ id, status: 'active', personaId: 'alex', plannedDuration: 20, baselineMood: 3 });
    expect(started.json.session.websocketUrl).toMatch(/^ws/);
    const again = await api('POST', `/api/v1/sessions/${id}/start`, a.accessToken, {});
    expect(again.status).toBe(409);
    expect((await api('POST', `/api/v1/sessions/${id}/end`, a.accessToken, {})).status).toBe(200);
    await ws.close();
    await otherWs.close();
  }, 90_000);
});

async function pdfText(bytes: Buffer): Promise<string> {
  const mod = (await import('pdf-parse')) as unknown as { default?: (b: Buffer) => Promise<{ text: string }>; PDFParse?: new (o: { data: Buffer }) => { getText(): Promise<{ text: string }> } };
  if (mod.PDFParse) return (await new mod.PDFParse({ data: bytes }).getText()).text;
  return (await mod.default!(bytes)).text;
}
