import type { auditV1 } from '@haven/proto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authenticate, type AuthDeps } from '../http/auth';
import { ErrorResponse } from '../http/schemas';
import type { Upstreams } from '../upstreams';

const err = Type.Ref(ErrorResponse);
const Limit = Type.String({ pattern: '^[0-9]{1,3}$' });
const Cursor = Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9_-]*$' });
const AuditQuery = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 100, pattern: '^[a-z]+\\.[A-Za-z]+$', description: 'event type, e.g. identity.LoginFailed' })),
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  },
  { additionalProperties: false },
);
const SuspiciousQuery = Type.Object(
  { kind: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_]+$' })), cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) },
  { additionalProperties: false },
);

export interface AuditRouteDeps {
  auth: AuthDeps;
  upstreams: Pick<Upstreams, 'audit'>;
}

const iso = (d: Date | undefined) => d?.toISOString() ?? null;

function recordToJson(r: auditV1.AuditRecord) {
  return {
    id: r.id,
    seq: r.seq,
    eventType: r.eventType,
    context: r.context,
    aggregateId: r.aggregateId,
    category: r.category,
    actor: r.actor,
    subjectUserId: r.subjectUserId || null,
    ip: r.ip || null,
    severity: r.severity,
    result: r.result,
    at: iso(r.at),
    recordedAt: iso(r.recordedAt),
    details: r.details,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

function flagToJson(f: auditV1.SuspiciousFlag) {
  return { id: f.id, kind: f.kind, subject: f.subject, severity: f.severity, count: f.count, windowSeconds: f.windowSeconds, triggerEventId: f.triggerEventId, at: iso(f.at) };
}

/** Admin-only audit and analytics routes (every other role gets 403, recorded as AccessDenied). */
export function registerAuditRoutes(app: FastifyInstance, deps: AuditRouteDeps): void {
  const audit = deps.upstreams.audit;
  const preHandler = authenticate(deps.auth, ['admin']);
  const tags = ['admin'];
  const security = [{ bearer: [] }];
  const limitOf = (s: string | undefined) => (s === undefined ? 50 : Math.max(1, Math.min(200, Number(s) || 50)));

  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/api/v1/admin/audit',
    { preHandler, schema: { tags, security, summary: 'Audit records, newest first', querystring: AuditQuery, response: { 400: err, 401: err, 403: err } } },
    async (req) => {
      const res = await audit.unary((c) => c.queryAudit, 'QueryAudit', { eventType: req.query.type ?? '', actor: req.query.actor ?? '', cursor: req.query.cursor ?? '', limit: limitOf(req.query.limit) });
      return { records: res.records.map(recordToJson), nextCursor: res.nextCursor || null };
    },
  );

  app.get(
    '/api/v1/admin/audit/verify',
    { preHandler, schema: { tags, security, summary: 'Walk the hash chain and report the first broken link', response: { 401: err, 403: err } } },
    async () => {
      const v = await audit.unary((c) => c.verifyChain, 'VerifyChain', {}, { deadlineMs: 60_000 });
      return {
        ok: v.ok,
        recordsChecked: v.recordsChecked,
        headHash: v.headHash,
        firstBroken: v.ok ? null : { seq: v.firstBrokenSeq, id: v.firstBrokenId, reason: v.reason },
      };
    },
  );

  app.get<{ Querystring: Static<typeof SuspiciousQuery> }>(
    '/api/v1/admin/audit/suspicious',
    { preHandler, schema: { tags, security, summary: 'Suspicious-activity flags, newest first', querystring: SuspiciousQuery, response: { 400: err, 401: err, 403: err } } },
    async (req) => {
      const res = await audit.unary((c) => c.listSuspicious, 'ListSuspicious', { kind: req.query.kind ?? '', cursor: req.query.cursor ?? '', limit: limitOf(req.query.limit) });
      return { flags: res.flags.map(flagToJson), nextCursor: res.nextCursor || null };
    },
  );

  app.get(
    '/api/v1/admin/audit/statistics',
    { preHandler, schema: { tags, security, summary: 'Events consumed per type, audit records and flags', response: { 401: err, 403: err } } },
    async () => {
      const s = await audit.unary((c) => c.statistics, 'Statistics', {});
      return { counts: s.counts.map((c) => ({ eventType: c.eventType, count: c.count })), totalEvents: s.totalEvents, auditRecords: s.auditRecords, suspiciousFlags: s.suspiciousFlags };
    },
  );

  app.get(
    '/api/v1/admin/analytics/funnels',
    { preHandler, schema: { tags, security, summary: 'Onboarding and session funnels (distinct users / sessions per step)', response: { 401: err, 403: err } } },
    async () => {
      const f = await audit.unary((c) => c.funnels, 'Funnels', {});
      return { funnels: f.funnels.map((x) => ({ name: x.name, steps: x.steps.map((s) => ({ name: s.name, count: s.count })) })) };
    },
  );
}
