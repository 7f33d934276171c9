import { errors } from '@haven/platform';
import { safetyV1 } from '@haven/proto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate, type AuthDeps } from '../http/auth';
import { ErrorResponse } from '../http/schemas';
import type { Upstreams } from '../upstreams';

const err = Type.Ref(ErrorResponse);
const AlertParams = Type.Object({ id: Type.String() });
type AlertParams = Static<typeof AlertParams>;
const ListQuery = Type.Object(
  { status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')])) },
  { additionalProperties: false },
);
const ResolveBody = Type.Object({ note: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false });

const LEVEL_NAMES: Record<number, string> = {
  [safetyV1.RiskLevel.RISK_LEVEL_NORMAL]: 'NORMAL',
  [safetyV1.RiskLevel.RISK_LEVEL_WATCH]: 'WATCH',
  [safetyV1.RiskLevel.RISK_LEVEL_ELEVATED_CONCERN]: 'ELEVATED_CONCERN',
  [safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK]: 'HIGH_RISK',
};

/** API.md on-call alert shape; message content never reaches the safety service's alerts. */
export function alertToJson(a: safetyV1.CrisisAlert): Record<string, unknown> {
  return {
    id: a.id,
    sessionId: a.sessionId,
    userId: a.userId,
    severity: LEVEL_NAMES[a.severity] ?? 'UNSPECIFIED',
    signals: a.signals,
    status: a.status,
    raisedAt: a.raisedAt?.toISOString() ?? null,
    occurrences: a.occurrences,
    ...(a.acknowledgedAt ? { acknowledgedAt: a.acknowledgedAt.toISOString(), acknowledgedBy: a.acknowledgedBy } : {}),
    ...(a.resolvedAt ? { resolvedAt: a.resolvedAt.toISOString(), resolvedBy: a.resolvedBy, note: a.resolutionNote } : {}),
  };
}

/** An id that cannot exist is answered like an unknown one: 404. */
function alertId(req: FastifyRequest<{ Params: AlertParams }>): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(req.params.id)) throw errors.notFound('ALERT_NOT_FOUND', 'no such crisis alert');
  return req.params.id;
}

/** On-call crisis alert routes (API.md "On-call"); roles oncall and admin only. */
export function registerOncallRoutes(app: FastifyInstance, deps: { auth: AuthDeps; upstreams: Upstreams }): void {
  const { upstreams: up } = deps;
  const auth = authenticate(deps.auth, ['oncall', 'admin']);
  const tags = ['oncall'];
  const security = [{ bearer: [] }];
  const staffId = (req: FastifyRequest) => req.principal!.userId;

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/oncall/alerts',
    { preHandler: auth, schema: { tags, security, summary: 'Crisis alerts (default: open and acknowledged)', querystring: ListQuery, response: { 400: err, 401: err, 403: err } } },
    async (req) => {
      const res = await up.safety.unary((c) => c.listOpenAlerts, 'ListOpenAlerts', { status: req.query.status ?? '' });
      return { alerts: res.alerts.map(alertToJson) };
    },
  );

  app.post<{ Params: AlertParams }>(
    '/api/v1/oncall/alerts/:id/ack',
    { preHandler: auth, schema: { tags, security, summary: 'Acknowledge a crisis alert', params: AlertParams, response: { 401: err, 403: err, 404: err, 409: err } } },
    async (req) => {
      const res = await up.safety.unary((c) => c.acknowledgeAlert, 'AcknowledgeAlert', { alertId: alertId(req), staffId: staffId(req) });
      return { alert: alertToJson(res.alert!) };
    },
  );

  app.post<{ Params: AlertParams; Body: Static<typeof ResolveBody> }>(
    '/api/v1/oncall/alerts/:id/resolve',
    { preHandler: auth, schema: { tags, security, summary: 'Resolve a crisis alert (takes its session out of SAFETY_MODE)', params: AlertParams, body: ResolveBody, response: { 400: err, 401: err, 403: err, 404: err, 409: err } } },
    async (req) => {
      const res = await up.safety.unary((c) => c.resolveAlert, 'ResolveAlert', { alertId: alertId(req), staffId: staffId(req), note: req.body.note });
      return { alert: alertToJson(res.alert!) };
    },
  );
}
