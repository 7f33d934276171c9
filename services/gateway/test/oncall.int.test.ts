import { createGrpcClient, createLogger, createMetrics, errors, GrpcServer, type ServiceHandlers } from '@haven/platform';
import { safetyV1 } from '@haven/proto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthDeps } from '../src/http/auth';
import { errorHandler } from '../src/http/errors';
import { ErrorResponse } from '../src/http/schemas';
import type { Role } from '../src/identity/domain/events';
import { AccessTokens } from '../src/identity/infrastructure/tokens';
import { registerOncallRoutes } from '../src/oncall/routes';
import type { Upstreams } from '../src/upstreams';

// The routes against a small in-memory SafetyService over real gRPC: roles, mapping, errors.
describe('on-call routes', () => {
  let app: FastifyInstance;
  let grpc: GrpcServer;
  const tokens = new AccessTokens('x'.repeat(40), 900);
  const token = (role: Role, userId = `${role}-1`) => tokens.issue(userId, role, new Date());
  const raisedAt = new Date('2025-03-01T12:00:00Z');
  const alerts = new Map<string, safetyV1.CrisisAlert>();
  const calls: { method: string; req: unknown }[] = [];
  const denied: string[] = [];

  const alert = (id: string, status: string): safetyV1.CrisisAlert => ({
    id,
    sessionId: `session-${id}`,
    userId: 'user-7',
    severity: safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK,
    signals: ['method', 'timeframe_imminent'],
    status,
    raisedAt,
    acknowledgedAt: undefined,
    acknowledgedBy: '',
    resolvedAt: undefined,
    resolvedBy: '',
    resolutionNote: '',
    occurrences: 1,
  });

  beforeAll(async () => {
    alerts.set('a1', alert('a1', 'open'));
    alerts.set('a2', alert('a2', 'resolved'));
    const handlers: Partial<ServiceHandlers<typeof safetyV1.SafetyServiceService>> = {
      async listOpenAlerts(req) {
        calls.push({ method: 'list', req });
        return { alerts: [...alerts.values()].filter((a) => (req.status === '' ? a.status !== 'resolved' : a.status === req.status)) };
      },
      async acknowledgeAlert(req) {
        calls.push({ method: 'ack', req });
        const a = alerts.get(req.alertId);
        if (!a) throw errors.notFound('ALERT_NOT_FOUND', 'no such crisis alert');
        if (a.status !== 'open') throw errors.conflict('ALERT_ALREADY_ACKNOWLEDGED', 'already acknowledged');
        const updated = { ...a, status: 'acknowledged', acknowledgedAt: new Date('2025-03-01T12:01:00Z'), acknowledgedBy: req.staffId };
        alerts.set(a.id, updated);
        return { alert: updated };
      },
      async resolveAlert(req) {
        calls.push({ method: 'resolve', req });
        const a = alerts.get(req.alertId);
        if (!a) throw errors.notFound('ALERT_NOT_FOUND', 'no such crisis alert');
        if (a.status === 'resolved') throw errors.conflict('ALERT_ALREADY_RESOLVED', 'already resolved');
        const updated = { ...a, status: 'resolved', resolvedAt: new Date('2025-03-01T12:05:00Z'), resolvedBy: req.staffId, resolutionNote: req.note };
        alerts.set(a.id, updated);
        return { alert: updated };
      },
    };
    const logger = createLogger('oncall-test', 'silent');
    const metrics = createMetrics('oncall-test');
    grpc = new GrpcServer({ service: 'safety-fake', logger, metrics });
    grpc.addService(safetyV1.SafetyServiceService, handlers);
    const port = await grpc.start(0, '127.0.0.1');
    const safety = createGrpcClient(safetyV1.SafetyServiceClient, 'safety', `127.0.0.1:${port}`);
    const auth: AuthDeps = {
      accessTokens: tokens,
      isRevoked: async () => false,
      onAccessDenied: async (info) => {
        denied.push(info.userId);
      },
    };
    app = Fastify({ ajv: { customOptions: { coerceTypes: false } } });
    app.setErrorHandler(errorHandler);
    app.addSchema(ErrorResponse);
    registerOncallRoutes(app, { auth, upstreams: { safety, close: () => safety.close() } as unknown as Upstreams });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await grpc?.shutdown(500);
  });

  const get = (url: string, tok?: string) => app.inject({ method: 'GET', url, headers: tok ? { authorization: `Bearer ${tok}` } : {} });
  const post = (url: string, body: unknown, tok?: string) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...(tok ? { authorization: `Bearer ${tok}` } : {}) }, payload: JSON.stringify(body) });

  it('refuses clients and therapists with 403 and anonymous callers with 401', async () => {
    for (const role of ['client', 'therapist'] as const) {
      expect((await get('/api/v1/oncall/alerts', token(role))).statusCode).toBe(403);
      const ack = await post('/api/v1/oncall/alerts/a1/ack', {}, token(role));
      expect(ack.statusCode).toBe(403);
      expect(ack.json()).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
      expect((await post('/api/v1/oncall/alerts/a1/resolve', { note: 'x' }, token(role))).statusCode).toBe(403);
    }
    expect(denied).toEqual(expect.arrayContaining(['client-1', 'therapist-1']));
    expect((await get('/api/v1/oncall/alerts')).statusCode).toBe(401);
    expect(calls.filter((c) => c.method !== 'list')).toEqual([]);
  });

  it('lists alerts in the API.md shape, filtered by status', async () => {
    const open = await get('/api/v1/oncall/alerts?status=open', token('oncall'));
    expect(open.statusCode).toBe(200);
    expect(open.json()).toEqual({
      alerts: [{ id: 'a1', sessionId: 'session-a1', userId: 'user-7', severity: 'HIGH_RISK', signals: ['method', 'timeframe_imminent'], status: 'open', raisedAt: raisedAt.toISOString(), occurrences: 1 }],
    });
    const resolved = await get('/api/v1/oncall/alerts?status=resolved', token('admin'));
    expect(resolved.json().alerts.map((a: { id: string }) => a.id)).toEqual(['a2']);
    expect((await get('/api/v1/oncall/alerts?status=closed', token('oncall'))).statusCode).toBe(400);
  });

  it('acknowledges and resolves as the calling staff member; wrong transitions are 409, unknown ids 404', async () => {
    const ack = await post('/api/v1/oncall/alerts/a1/ack', {}, token('oncall', 'staff-42'));
    expect(ack.statusCode).toBe(200);
    expect(ack.json().alert).toMatchObject({ id: 'a1', status: 'acknowledged', acknowledgedAt: '2025-03-01T12:01:00.000Z', acknowledgedBy: 'staff-42' });
    expect((await post('/api/v1/oncall/alerts/a1/ack', {}, token('oncall'))).statusCode).toBe(409);

    expect((await post('/api/v1/oncall/alerts/a1/resolve', {}, token('oncall'))).statusCode).toBe(400);
    const res = await post('/api/v1/oncall/alerts/a1/resolve', { note: 'called; safe with family' }, token('oncall', 'staff-42'));
    expect(res.statusCode).toBe(200);
    expect(res.json().alert).toMatchObject({ status: 'resolved', resolvedBy: 'staff-42', note: 'called; safe with family' });
    const again = await post('/api/v1/oncall/alerts/a1/resolve', { note: 'again' }, token('oncall'));
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('ALERT_ALREADY_RESOLVED');

    const unknown = await post('/api/v1/oncall/alerts/nope/ack', {}, token('oncall'));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('ALERT_NOT_FOUND');
    expect((await post('/api/v1/oncall/alerts/bad%20id/ack', {}, token('oncall'))).statusCode).toBe(404);
  });
});
