import { connectNats, ensureStreams, EventStore, startProjection, type RunningProjection } from '@haven/eventstore';
import { connectMongo, createGrpcClient, createLogger, createMetrics, DomainError, GrpcServer, type GrpcClient, type MongoHandle } from '@haven/platform';
import { safetyV1 } from '@haven/proto';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertAggregateId, type SafetyEvent } from '../src/domain/events';
import type { RiskLevel } from '../src/domain/levels';
import { sessionFlagsHandlers } from '../src/grpc/server';
import { safetyCodec } from '../src/infrastructure/codec';
import { mongoSessionFlagsQuery, safetyProjection, safetyReadModels } from '../src/projections/safetyReadModels';
import { eventually } from '@haven/testkit';

const run = Math.random().toString(36).slice(2, 8);
const { RiskLevel: L, SafetyState: S } = safetyV1;


describe('ListSessionFlags over the safety projections (real NATS + FerretDB)', () => {
  let nc: NatsConnection;
  let mongo: MongoHandle;
  let store: EventStore<SafetyEvent>;
  let projection: RunningProjection;
  let server: GrpcServer;
  let client: GrpcClient<safetyV1.SafetyServiceClient>;

  beforeAll(async () => {
    const logger = createLogger('safety-flags-test', 'silent');
    nc = await connectNats(process.env.NATS_URL!, 'safety-flags-test');
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    await ensureStreams(jsm, { contexts: ['safety'] });
    mongo = await connectMongo(process.env.MONGO_URL!, `safety_flags_${run}`, logger);
    const models = await safetyReadModels(mongo.db);
    store = new EventStore({ js, jsm, context: 'safety', codec: safetyCodec });
    projection = await startProjection({ nc, js, jsm, name: `safety-flags-${run}`, stream: 'SAFETY', filterSubjects: ['safety.evt.>'], codec: safetyCodec, handle: safetyProjection(models) });
    const metrics = createMetrics('safety-flags-test');
    server = new GrpcServer({ service: 'safety-flags-test', logger, metrics });
    server.addService(safetyV1.SafetyServiceService, sessionFlagsHandlers(mongoSessionFlagsQuery(models)));
    const port = await server.start(0, '127.0.0.1');
    client = createGrpcClient(safetyV1.SafetyServiceClient, 'safety', `127.0.0.1:${port}`);
  });

  afterAll(async () => {
    client?.close();
    await server?.shutdown(1000);
    await projection?.stop();
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.close();
    await nc?.drain();
  });

  const flags = (sessionIds: string[]) => client.unary((c) => c.listSessionFlags, 'ListSessionFlags', { sessionIds });
  const meta = () => ({ actor: 'safety-flags-test', now: new Date() });
  const assessed = (sessionId: string, level: RiskLevel, alertId = ''): SafetyEvent => ({
    type: 'RiskAssessed',
    data: { sessionId, messageId: `m-${Math.random()}`, userId: `u-${run}`, level, signals: [], confidence: 0.9, classifier: 'test', locale: 'en', alertId },
  });
  const raised = (alertId: string, sessionId: string, severity: RiskLevel): SafetyEvent => ({
    type: 'CrisisAlertRaised',
    data: { alertId, sessionId, userId: `u-${run}`, severity, signals: ['plan'], raisedAt: new Date(), messageId: 'm' },
  });

  it('gives state, last level and alert counts per session, in the order asked, leaving out unknown sessions', async () => {
    const calm = `calm-${run}`;
    const crisis = `crisis-${run}`;
    const alertOnly = `alert-only-${run}`;
    await store.append(calm, 'any', [assessed(calm, 'WATCH'), { type: 'SafetyStateChanged', data: { sessionId: calm, from: 'NORMAL', to: 'WATCH', reason: 'assessment', alertId: '' } }, assessed(calm, 'NORMAL')], meta());
    // Two alerts in one session: the first resolved, the second still open.
    await store.append(crisis, 'any', [assessed(crisis, 'HIGH_RISK', `a1-${run}`), { type: 'SafetyStateChanged', data: { sessionId: crisis, from: 'NORMAL', to: 'SAFETY_MODE', reason: 'assessment', alertId: `a1-${run}` } }], meta());
    await store.append(alertAggregateId(`a1-${run}`), 'any', [raised(`a1-${run}`, crisis, 'HIGH_RISK'), { type: 'CrisisAlertResolved', data: { alertId: `a1-${run}`, staffId: 'staff', note: 'ok', resolvedAt: new Date() } }], meta());
    await store.append(alertAggregateId(`a2-${run}`), 'any', [raised(`a2-${run}`, crisis, 'ELEVATED_CONCERN'), { type: 'CrisisAlertAcknowledged', data: { alertId: `a2-${run}`, staffId: 'staff', acknowledgedAt: new Date() } }], meta());
    await store.append(alertAggregateId(`a3-${run}`), 'any', [raised(`a3-${run}`, alertOnly, 'HIGH_RISK')], meta());

    const ids = [crisis, `unknown-${run}`, calm, alertOnly];
    const res = await eventually(async () => {
      const r = await flags(ids);
      const c = r.sessions.find((s) => s.sessionId === crisis);
      return r.sessions.length === 3 && c?.alertCount === 2 && c.unresolvedAlertCount === 1 && r.sessions[1]?.lastLevel === L.RISK_LEVEL_NORMAL ? r : undefined;
    });
    expect(res.sessions).toEqual([
      { sessionId: crisis, state: S.SAFETY_STATE_SAFETY_MODE, lastLevel: L.RISK_LEVEL_HIGH_RISK, alertCount: 2, unresolvedAlertCount: 1, highestAlertSeverity: L.RISK_LEVEL_HIGH_RISK },
      { sessionId: calm, state: S.SAFETY_STATE_WATCH, lastLevel: L.RISK_LEVEL_NORMAL, alertCount: 0, unresolvedAlertCount: 0, highestAlertSeverity: L.RISK_LEVEL_UNSPECIFIED },
      { sessionId: alertOnly, state: S.SAFETY_STATE_UNSPECIFIED, lastLevel: L.RISK_LEVEL_UNSPECIFIED, alertCount: 1, unresolvedAlertCount: 1, highestAlertSeverity: L.RISK_LEVEL_HIGH_RISK },
    ]);
    // Repeated ids are answered once.
    expect((await flags([calm, calm])).sessions.map((s) => s.sessionId)).toEqual([calm]);
  });

  it('asks for 1 to 100 ids', async () => {
    for (const ids of [[], Array.from({ length: 101 }, (_, i) => `s${i}`), ['']]) {
      const err = await flags(ids).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ kind: 'InvalidArgument', code: 'INVALID_SESSION_IDS' });
    }
    expect((await flags(Array.from({ length: 100 }, (_, i) => `none-${run}-${i}`))).sessions).toEqual([]);
  });
});
