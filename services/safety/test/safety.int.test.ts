import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectNats, createUuidV7Generator, ensureStreams, EventStore, startProjection, type RunningProjection } from '@haven/eventstore';
import { connectMongo, createGrpcClient, createLogger, createMetrics, DomainError, GrpcServer, type GrpcClient, type MongoHandle } from '@haven/platform';
import { safetyV1 } from '@haven/proto';
import { startOpenAIStub, type OpenAIStub } from '@haven/testkit';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertWorkflow } from '../src/application/alertWorkflow';
import { Assessment } from '../src/application/assessment';
import { createClassifier } from '../src/classifier';
import { safetyHandlers } from '../src/grpc/server';
import { safetyCodec } from '../src/infrastructure/codec';
import { startCrisisWebhook } from '../src/infrastructure/crisisWebhook';
import { natsLiveFrames } from '../src/infrastructure/liveFrames';
import { offlineRiskClassifier } from '../src/infrastructure/offlineClassifier';
import { llmClassificationCheck, moderationCheck, openAiClient } from '../src/infrastructure/openaiRecall';
import { createSafetyMetrics } from '../src/metrics';
import { mongoAlertQuery, safetyProjection, safetyReadModels, type SafetyReadModels } from '../src/projections/safetyReadModels';

const run = Math.random().toString(36).slice(2, 8);
let seq = 0;
const newSession = () => `s-${run}-${++seq}`;
const msg = () => `m-${run}-${++seq}`;

const HIGH_RISK_TEXT = 'I bought a rope and I am going to kill myself tonight';
const WATCH_TEXT = 'I have been feeling really stressed and anxious about work lately';
const NORMAL_TEXT = 'I watched a great film yesterday';
const { RiskLevel: L, SafetyState: S } = safetyV1;

interface Frame {
  type: string;
  [k: string]: unknown;
}

describe('safety service (real NATS + FerretDB, OpenAI stub)', () => {
  let nc: NatsConnection;
  let mongo: MongoHandle;
  let models: SafetyReadModels;
  let server: GrpcServer;
  let client: GrpcClient<safetyV1.SafetyServiceClient>;
  let stub: OpenAIStub;
  let registry: Registry;
  let projection: RunningProjection;
  let webhook: RunningProjection;
  let hookServer: Server;
  const hookCalls: { status: number; body: Record<string, unknown> }[] = [];
  // Planned webhook failures per session, so deliveries for other tests' alerts cannot use them up.
  const hookFailuresLeft = new Map<string, number>();
  const clock = { now: () => new Date() };

  beforeAll(async () => {
    const logger = createLogger('safety-test', 'silent');
    nc = await connectNats(process.env.NATS_URL!, 'safety-test');
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    await ensureStreams(jsm, { contexts: ['safety'] });
    mongo = await connectMongo(process.env.MONGO_URL!, `safety_${run}`, logger);
    models = await safetyReadModels(mongo.db);
    stub = await startOpenAIStub();
    const metrics = createMetrics('safety-test');
    registry = metrics.registry;
    const store = new EventStore({ js, jsm, context: 'safety', codec: safetyCodec, metrics: registry });
    const recorder = createSafetyMetrics(registry, models, clock, logger);
    const uuid = createUuidV7Generator();
    const newId = () => uuid(clock.now());
    const openai = openAiClient({ apiKey: 'test-key', baseURL: stub.baseURL });
    const alerts = new AlertWorkflow({ store, alerts: mongoAlertQuery(models.alerts), frames: natsLiveFrames(nc), recorder, clock, newId });
    const assessment = new Assessment({
      store,
      classify: offlineRiskClassifier(createClassifier()),
      remoteChecks: [moderationCheck(openai, 'omni-moderation-latest'), llmClassificationCheck(openai, 'haven-stub-chat')],
      alerts,
      recorder,
      clock,
      newId,
      logger,
    });
    projection = await startProjection({ nc, js, jsm, name: `safety-read-models-${run}`, stream: 'SAFETY', filterSubjects: ['safety.evt.>'], codec: safetyCodec, handle: safetyProjection(models) });

    hookServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        const left = hookFailuresLeft.get(String(parsed.sessionId)) ?? 0;
        const status = left > 0 ? 500 : 204;
        if (left > 0) hookFailuresLeft.set(String(parsed.sessionId), left - 1);
        hookCalls.push({ status, body: parsed });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/crisis`;
    webhook = await startCrisisWebhook({ nc, js, jsm, url: hookUrl, logger, clock, name: `safety-webhook-${run}`, backoffMs: [100, 200, 400], maxAttempts: 5 });

    server = new GrpcServer({ service: 'safety-test', logger, metrics });
    server.addService(safetyV1.SafetyServiceService, safetyHandlers({ assessment, alerts }));
    const port = await server.start(0, '127.0.0.1');
    client = createGrpcClient(safetyV1.SafetyServiceClient, 'safety', `127.0.0.1:${port}`);
  });

  afterAll(async () => {
    client?.close();
    await server?.shutdown(1000);
    await projection?.stop();
    await webhook?.stop();
    await stub?.close();
    await new Promise((r) => hookServer?.close(r));
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.close();
    await nc?.drain();
  });

  beforeEach(() => {
    stub.reset();
  });

  const assess = (sessionId: string, text: string, opts: { deadlineMs?: number; locale?: string; messageId?: string; history?: string[] } = {}) =>
    client.unary((c) => c.assess, 'Assess', { sessionId, userId: `u-${run}`, messageId: opts.messageId ?? msg(), text, history: opts.history ?? [], locale: opts.locale ?? 'en-GB' }, { deadlineMs: opts.deadlineMs ?? 5000 });

  /** Collects frames of a core NATS subject from now on. */
  function listen(subject: string): Frame[] {
    const frames: Frame[] = [];
    const sub = nc.subscribe(subject);
    void (async () => {
      for await (const m of sub) frames.push(JSON.parse(m.string()) as Frame);
    })();
    return frames;
  }
  async function until<T>(what: () => T | undefined | Promise<T | undefined>, ms = 5000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await what();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = registry.getSingleMetric(name);
    if (!metric) throw new Error(`no metric ${name}`);
    const { values } = await metric.get();
    return values
      .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val))
      .filter((v) => !('metricName' in v) || v.metricName === name || v.metricName === `${name}_count`)
      .reduce((sum, v) => sum + v.value, 0);
  }
  const openAlertFor = async (sessionId: string) =>
    (await client.unary((c) => c.listOpenAlerts, 'ListOpenAlerts', { status: '' })).alerts.find((a) => a.sessionId === sessionId);

  it('HIGH_RISK → SAFETY_MODE with resources, an alert, and live frames within a second', async () => {
    await nc.flush();
    const sessionId = newSession();
    const sessionFrames = listen(`live.session.${sessionId}`);
    const oncallFrames = listen('live.oncall');
    await nc.flush();
    const started = Date.now();
    const res = await assess(sessionId, HIGH_RISK_TEXT, { locale: 'en-GB' });
    expect(res.level).toBe(L.RISK_LEVEL_HIGH_RISK);
    expect(res.state).toBe(S.SAFETY_STATE_SAFETY_MODE);
    expect(res.resources.map((r) => r.phone)).toEqual(expect.arrayContaining(['999', '116 123']));

    const stateFrame = await until(() => sessionFrames.find((f) => f.type === 'safety_state_changed'), 1000);
    expect(stateFrame).toMatchObject({ state: 'SAFETY_MODE', level: 'HIGH_RISK' });
    expect((stateFrame.resources as unknown[]).length).toBeGreaterThan(0);
    const alertFrame = await until(() => oncallFrames.find((f) => f.type === 'crisis_alert' && (f.alert as { sessionId: string }).sessionId === sessionId), 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(alertFrame.alert).toMatchObject({ sessionId, userId: `u-${run}`, severity: 'HIGH_RISK', status: 'open' });
    expect(JSON.stringify(alertFrame)).not.toContain('rope and I am');
    // Never message content in events either.
    const state = await client.unary((c) => c.getSafetyState, 'GetSafetyState', { sessionId });
    expect(state).toEqual({ state: S.SAFETY_STATE_SAFETY_MODE, lastLevel: L.RISK_LEVEL_HIGH_RISK });
  });

  it('stays in SAFETY_MODE on later NORMAL messages; a second HIGH_RISK escalates the same alert', async () => {
    const sessionId = newSession();
    await assess(sessionId, HIGH_RISK_TEXT);
    for (let i = 0; i < 5; i++) expect((await assess(sessionId, NORMAL_TEXT)).state).toBe(S.SAFETY_STATE_SAFETY_MODE);
    await assess(sessionId, 'I wrote my goodbye letters, tonight is the night');
    const alerts = await until(async () => {
      const all = (await client.unary((c) => c.listOpenAlerts, 'ListOpenAlerts', { status: '' })).alerts.filter((a) => a.sessionId === sessionId);
      return all.length === 1 && all[0]!.occurrences === 2 ? all : undefined;
    });
    expect(alerts).toHaveLength(1);
  });

  it('ack then resolve: leaves SAFETY_MODE only after resolve; wrong transitions give clear errors', async () => {
    const sessionId = newSession();
    const frames = listen(`live.session.${sessionId}`);
    await assess(sessionId, HIGH_RISK_TEXT);
    const alert = await until(() => openAlertFor(sessionId));

    const acked = await client.unary((c) => c.acknowledgeAlert, 'AcknowledgeAlert', { alertId: alert.id, staffId: 'staff-1' });
    expect(acked.alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'staff-1' });
    expect((await client.unary((c) => c.getSafetyState, 'GetSafetyState', { sessionId })).state).toBe(S.SAFETY_STATE_SAFETY_MODE);

    const ackAgain = await client.unary((c) => c.acknowledgeAlert, 'AcknowledgeAlert', { alertId: alert.id, staffId: 'staff-2' }).catch((e: unknown) => e);
    expect(ackAgain).toMatchObject({ kind: 'Conflict', code: 'ALERT_ALREADY_ACKNOWLEDGED' });

    const resolved = await client.unary((c) => c.resolveAlert, 'ResolveAlert', { alertId: alert.id, staffId: 'staff-1', note: 'spoke with the client; safe' });
    expect(resolved.alert).toMatchObject({ status: 'resolved', resolvedBy: 'staff-1', resolutionNote: 'spoke with the client; safe' });
    expect((await client.unary((c) => c.getSafetyState, 'GetSafetyState', { sessionId })).state).toBe(S.SAFETY_STATE_ELEVATED);
    await until(() => frames.find((f) => f.type === 'safety_state_changed' && f.state === 'ELEVATED'), 1000);

    const twice = await client.unary((c) => c.resolveAlert, 'ResolveAlert', { alertId: alert.id, staffId: 'staff-1', note: 'again' }).catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(DomainError);
    expect(twice).toMatchObject({ kind: 'Conflict', code: 'ALERT_ALREADY_RESOLVED' });
    const unknown = await client.unary((c) => c.acknowledgeAlert, 'AcknowledgeAlert', { alertId: 'no-such-alert', staffId: 'staff-1' }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ kind: 'NotFound', code: 'ALERT_NOT_FOUND' });

    // The read model follows: resolved list has it with its note.
    await until(async () => (await client.unary((c) => c.listOpenAlerts, 'ListOpenAlerts', { status: 'resolved' })).alerts.find((a) => a.id === alert.id && a.resolutionNote !== ''));
    // A new HIGH_RISK after resolution raises a new alert.
    await assess(sessionId, HIGH_RISK_TEXT);
    const second = await until(() => openAlertFor(sessionId));
    expect(second.id).not.toBe(alert.id);
  });

  it('validates input', async () => {
    const tooLong = await assess(newSession(), 'a'.repeat(10_001)).catch((e: unknown) => e);
    expect(tooLong).toMatchObject({ kind: 'InvalidArgument', code: 'TEXT_TOO_LONG' });
    const noSession = await assess('', NORMAL_TEXT).catch((e: unknown) => e);
    expect(noSession).toMatchObject({ kind: 'InvalidArgument', code: 'INVALID_SESSION_ID' });
    const noMessage = await assess(newSession(), NORMAL_TEXT, { messageId: '' }).catch((e: unknown) => e);
    expect(noMessage).toMatchObject({ kind: 'InvalidArgument', code: 'INVALID_MESSAGE_ID' });
    const badStatus = await client.unary((c) => c.listOpenAlerts, 'ListOpenAlerts', { status: 'closed' }).catch((e: unknown) => e);
    expect(badStatus).toMatchObject({ kind: 'InvalidArgument' });
  });

  it('a retried Assess (same message id) is answered from the record, not recorded twice', async () => {
    const sessionId = newSession();
    const messageId = msg();
    const before = await metricValue('haven_safety_assessments_total', { level: 'WATCH' });
    const first = await assess(sessionId, WATCH_TEXT, { messageId });
    const again = await assess(sessionId, WATCH_TEXT, { messageId });
    expect(again).toEqual(first);
    expect(await metricValue('haven_safety_assessments_total', { level: 'WATCH' })).toBe(before + 1);
  });

  it('with the LLM and moderation hanging, Assess returns the offline result before the deadline', async () => {
    stub.setBehaviour({ chat: { kind: 'hang' }, moderation: { kind: 'hang' } });
    const deadlineMs = 1000;
    const started = performance.now();
    const res = await assess(newSession(), WATCH_TEXT, { deadlineMs });
    const took = performance.now() - started;
    expect(res.level).toBe(L.RISK_LEVEL_WATCH);
    expect(took).toBeLessThan(deadlineMs);
    expect(stub.requests.some((r) => r.endpoint === 'chat.completions')).toBe(true);
  });

  it('with the LLM and moderation failing, Assess returns the offline result quickly', async () => {
    stub.setBehaviour({ chat: { kind: 'error', status: 500 }, moderation: { kind: 'error', status: 503 } });
    const started = performance.now();
    const res = await assess(newSession(), WATCH_TEXT, { deadlineMs: 2000 });
    expect(res.level).toBe(L.RISK_LEVEL_WATCH);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('moderation flagging self-harm/intent adds recall: a WATCH message becomes HIGH_RISK with an alert', async () => {
    stub.setBehaviour({ moderation: { kind: 'classify', classify: () => ({ categories: { 'self-harm': true, 'self-harm/intent': true } }) } });
    const sessionId = newSession();
    const res = await assess(sessionId, WATCH_TEXT);
    expect(res.level).toBe(L.RISK_LEVEL_HIGH_RISK);
    expect(res.signals).toContain('moderation:self-harm/intent');
    expect(res.state).toBe(S.SAFETY_STATE_SAFETY_MODE);
    await until(() => openAlertFor(sessionId));
  });

  it('the LLM may raise a level (ELEVATED_CONCERN) but "not flagged" never lowers an offline HIGH_RISK', async () => {
    stub.setBehaviour({ chat: { kind: 'reply', reply: () => '{"level":"ELEVATED_CONCERN","signals":["passive ideation"]}' } });
    const raised = await assess(newSession(), WATCH_TEXT);
    expect(raised.level).toBe(L.RISK_LEVEL_ELEVATED_CONCERN);
    expect(raised.signals).toContain('llm:passive ideation');

    stub.setBehaviour({
      chat: { kind: 'reply', reply: () => '{"level":"NORMAL","signals":[]}' },
      moderation: { kind: 'classify', classify: () => ({ flagged: false }) },
    });
    const res = await assess(newSession(), HIGH_RISK_TEXT);
    expect(res.level).toBe(L.RISK_LEVEL_HIGH_RISK);
    expect(res.state).toBe(S.SAFETY_STATE_SAFETY_MODE);
  });

  it('the webhook receives the alert without message content and is retried after a 500', async () => {
    const sessionId = newSession();
    hookFailuresLeft.set(sessionId, 2);
    await assess(sessionId, HIGH_RISK_TEXT);
    const alert = await until(() => openAlertFor(sessionId));
    const calls = await until(() => {
      const mine = hookCalls.filter((c) => c.body.alertId === alert.id);
      return mine.some((c) => c.status === 204) ? mine : undefined;
    }, 10_000);
    expect(calls.map((c) => c.status)).toEqual([500, 500, 204]);
    expect(Object.keys(calls[2]!.body).sort()).toEqual(['alertId', 'raisedAt', 'sessionId', 'severity', 'signals']);
    expect(calls[2]!.body).toMatchObject({ alertId: alert.id, sessionId, severity: 'HIGH_RISK' });
    expect(JSON.stringify(calls)).not.toContain('rope');
  });

  it('metrics: counters on assessment/raise/ack, gauges from the read models (also for a fresh registry, as after a restart)', async () => {
    await projection.lag().then(() => until(async () => ((await projection.lag()) === 0 ? true : undefined)));
    const before = {
      high: await metricValue('haven_safety_assessments_total', { level: 'HIGH_RISK' }),
      raised: await metricValue('haven_crisis_alerts_raised_total', { severity: 'HIGH_RISK' }),
      open: await metricValue('haven_crisis_alerts_open', { severity: 'HIGH_RISK' }),
      unacked: await metricValue('haven_crisis_alerts_unacknowledged', { severity: 'HIGH_RISK' }),
      safetyMode: await metricValue('haven_sessions_safety_mode'),
      ackCount: await metricValue('haven_crisis_alert_ack_seconds'),
      classified: await metricValue('haven_safety_classifier_duration_seconds'),
    };
    const sessionId = newSession();
    await assess(sessionId, HIGH_RISK_TEXT);
    expect(await metricValue('haven_safety_assessments_total', { level: 'HIGH_RISK' })).toBe(before.high + 1);
    expect(await metricValue('haven_crisis_alerts_raised_total', { severity: 'HIGH_RISK' })).toBe(before.raised + 1);
    expect(await metricValue('haven_safety_classifier_duration_seconds')).toBe(before.classified + 1);
    await until(async () => ((await metricValue('haven_crisis_alerts_open', { severity: 'HIGH_RISK' })) === before.open + 1 ? true : undefined));
    await until(async () => ((await metricValue('haven_sessions_safety_mode')) === before.safetyMode + 1 ? true : undefined));
    expect(await metricValue('haven_crisis_alerts_unacknowledged', { severity: 'HIGH_RISK' })).toBe(before.unacked + 1);
    expect(await metricValue('haven_crisis_alert_oldest_unacknowledged_seconds')).toBeGreaterThan(0);

    // A fresh registry over the same read models (a restarted replica) reports the same gauges.
    const restarted = createMetrics('safety-restarted').registry;
    createSafetyMetrics(restarted, models, clock, createLogger('t', 'silent'));
    const restartedOpen = (await restarted.getSingleMetric('haven_crisis_alerts_open')!.get()).values.find((v) => v.labels.severity === 'HIGH_RISK')!.value;
    expect(restartedOpen).toBe(before.open + 1);

    const alert = await until(() => openAlertFor(sessionId));
    await client.unary((c) => c.acknowledgeAlert, 'AcknowledgeAlert', { alertId: alert.id, staffId: 'staff-9' });
    expect(await metricValue('haven_crisis_alert_ack_seconds')).toBe(before.ackCount + 1);
    await until(async () => ((await metricValue('haven_crisis_alerts_unacknowledged', { severity: 'HIGH_RISK' })) === before.unacked ? true : undefined));
    await client.unary((c) => c.resolveAlert, 'ResolveAlert', { alertId: alert.id, staffId: 'staff-9', note: 'resolved' });
    await until(async () => ((await metricValue('haven_crisis_alerts_open', { severity: 'HIGH_RISK' })) === before.open ? true : undefined));
    await until(async () => ((await metricValue('haven_sessions_safety_mode')) === before.safetyMode ? true : undefined));
  });
});
