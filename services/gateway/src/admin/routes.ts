import { billingV1, safetyV1 } from '@haven/proto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Collection, Filter } from 'mongodb';
import { authenticate, type AuthDeps } from '../http/auth';
import { ErrorResponse } from '../http/schemas';
import { emailHash, type PiiCipher } from '../identity/application/accounts';
import type { UserDoc } from '../identity/projections/users';
import type { Upstreams } from '../upstreams';

const err = Type.Ref(ErrorResponse);
const Limit = Type.String({ pattern: '^[0-9]{1,3}$' });
const UsersQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9_-]*$' })),
    limit: Type.Optional(Limit),
    q: Type.Optional(Type.String({ maxLength: 100 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('erased'), Type.Literal('all')], { description: 'account status (default active)' })),
  },
  { additionalProperties: false },
);

/** Non-secret effective settings shown to admins (never keys, secrets or URLs with credentials). */
export interface AdminSettings {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  rateLimit: { max: number; timeWindowMs: number; authMax: number; authTimeWindowMs: number };
  bodyLimitBytes: number;
  /** Whether an LLM endpoint is configured (OPENAI_API_KEY set) or replies come from the offline responder. */
  llmOnline?: boolean;
}

export interface AdminRouteDeps {
  auth: AuthDeps;
  upstreams: Pick<Upstreams, 'billing' | 'conversation' | 'safety' | 'session'>;
  users: Collection<UserDoc>;
  /** Opens the sealed e-mail and display name of the users projection (the owner's data key). */
  pii: Pick<PiiCipher, 'decrypt'>;
  redis: Redis;
  settings: AdminSettings;
  /** Rate-limit key prefix of @fastify/rate-limit (app.ts nameSpace). */
  rateLimitPrefix?: string;
}

const ROLES = ['client', 'therapist', 'oncall', 'admin'] as const;
const iso = (d: Date | undefined) => d?.toISOString() ?? null;
const planName = (p: billingV1.Plan) => billingV1.planToJSON(p).replace(/^PLAN_/, '').toLowerCase();
const levelName = (l: safetyV1.RiskLevel) => safetyV1.riskLevelToJSON(l).replace(/^RISK_LEVEL_/, '').toLowerCase();

// Keyset cursor over (createdAt desc, _id desc), opaque to clients.
function encodeCursor(d: UserDoc): string {
  return Buffer.from(JSON.stringify({ at: d.createdAt.getTime(), id: d._id })).toString('base64url');
}

function decodeCursor(raw: string): { at: Date; id: string } | undefined {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (typeof c === 'object' && c !== null && 'at' in c && 'id' in c && typeof c.at === 'number' && typeof c.id === 'string') return { at: new Date(c.at), id: c.id };
  } catch {
    // not ours
  }
  return undefined;
}


/**
 * Admin-only console routes (API.md "Admin"): overview, users, personas, rate limits, settings.
 * Every other role gets 403 (recorded as AccessDenied by authenticate).
 */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const preHandler = authenticate(deps.auth, ['admin']);
  const tags = ['admin'];
  const security = [{ bearer: [] }];
  const rlPrefix = deps.rateLimitPrefix ?? 'haven:rl:';
  const { billing, conversation, safety, session } = deps.upstreams;

  app.get(
    '/api/v1/admin/overview',
    { preHandler, schema: { tags, security, summary: 'Users by role, open crisis alerts by severity, sign-ups today', response: { 401: err, 403: err } } },
    async () => {
      const startOfDay = new Date();
      startOfDay.setUTCHours(0, 0, 0, 0);
      const live = { erasedAt: { $exists: false } } as Filter<UserDoc>;
      const byRole = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await deps.users.countDocuments({ ...live, role } as Filter<UserDoc>)] as const)));
      const signupsToday = await deps.users.countDocuments({ ...live, createdAt: { $gte: startOfDay } } as Filter<UserDoc>);
      const activeToday = await deps.users.countDocuments({ ...live, lastLoginAt: { $gte: startOfDay } } as Filter<UserDoc>);
      const alerts = (await safety.unary((c) => c.listOpenAlerts, 'ListOpenAlerts', { status: '' })).alerts;
      const bySeverity: Record<string, number> = {};
      for (const a of alerts) bySeverity[levelName(a.severity)] = (bySeverity[levelName(a.severity)] ?? 0) + 1;
      return {
        users: { total: Object.values(byRole).reduce((a, b) => a + b, 0), byRole, signupsToday, signedInToday: activeToday },
        crisisAlerts: { open: alerts.filter((a) => a.status === 'open').length, unresolved: alerts.length, bySeverity },
        at: new Date().toISOString(),
      };
    },
  );

  app.get<{ Querystring: Static<typeof UsersQuery> }>(
    '/api/v1/admin/users',
    { preHandler, schema: { tags, security, summary: 'Accounts, newest first, with status, plan, messages today and session counts; q = a whole e-mail address or a user id', querystring: UsersQuery, response: { 400: err, 401: err, 403: err } } },
    async (req, reply) => {
      const limit = Math.max(1, Math.min(100, Number(req.query.limit ?? 25) || 25));
      const status = req.query.status ?? 'active';
      const and: Filter<UserDoc>[] = status === 'all' ? [] : [{ erasedAt: { $exists: status === 'erased' } } as Filter<UserDoc>];
      if (req.query.q) {
        // Addresses are sealed per user, so the search is exact: a whole e-mail address (by its
        // hash) or a user id.
        and.push({ $or: [{ emailHash: emailHash(req.query.q) }, { _id: req.query.q }] } as Filter<UserDoc>);
      }
      if (req.query.cursor) {
        const c = decodeCursor(req.query.cursor);
        if (!c) return reply.status(400).send({ error: { code: 'INVALID_CURSOR', message: 'cursor is not one this route returned' } });
        and.push({ $or: [{ createdAt: { $lt: c.at } }, { createdAt: c.at, _id: { $lt: c.id } }] } as Filter<UserDoc>);
      }
      const docs = await deps.users.find((and.length > 0 ? { $and: and } : {}) as Filter<UserDoc>).sort({ createdAt: -1, _id: -1 }).limit(limit + 1).toArray();
      const page = docs.slice(0, limit);
      // A session-service outage must not hide the list either: counts are null then.
      const counts =
        page.length === 0
          ? new Map<string, { total: number; completed: number }>()
          : await session
              .unary((c) => c.countUserSessions, 'CountUserSessions', { userIds: page.map((u) => u._id) })
              .then((r) => new Map(r.counts.map((c) => [c.userId, { total: c.total, completed: c.completed }])))
              .catch(() => undefined);
      const users = await Promise.all(
        page.map(async (u) => {
          // A billing outage must not hide the user list: plan fields are null then.
          const balance = await billing.unary((c) => c.getBalance, 'GetBalance', { userId: u._id }).catch(() => undefined);
          // A user whose key is gone (erased meanwhile) shows no address rather than failing the page.
          const open = (sealed: string) => deps.pii.decrypt(u._id, { ciphertext: sealed, keyId: u.piiKeyId ?? '' }).catch(() => null);
          return {
            id: u._id,
            status: u.erasedAt ? 'erased' : 'active',
            email: u.erasedAt ? null : await open(u.email),
            role: u.role,
            displayName: await open(u.displayName),
            createdAt: iso(u.createdAt),
            lastLoginAt: iso(u.lastLoginAt),
            plan: balance ? planName(balance.plan) : null,
            creditsRemaining: balance?.creditsRemaining ?? null,
            messagesToday: balance?.messagesToday ?? null,
            sessions: counts ? (counts.get(u._id) ?? { total: 0, completed: 0 }) : null,
          };
        }),
      );
      const last = page[page.length - 1];
      return { users, nextCursor: docs.length > limit && last ? encodeCursor(last) : null };
    },
  );

  app.get(
    '/api/v1/admin/personas',
    { preHandler, schema: { tags, security, summary: 'The persona catalogue with modality and style', response: { 401: err, 403: err } } },
    async () => {
      const res = await conversation.unary((c) => c.listPersonas, 'ListPersonas', {});
      return { personas: res.personas.map((p) => ({ id: p.id, name: p.name, specialty: p.specialty, approach: p.approach, free: p.free, modality: p.modality, style: p.style, voiceAvatar: p.voiceAvatar })) };
    },
  );

  app.get(
    '/api/v1/admin/rate-limits',
    { preHandler, schema: { tags, security, summary: 'Top callers by IP in the current rate-limit windows', response: { 401: err, 403: err } } },
    async () => {
      const callers: { key: string; count: number; resetsInMs: number }[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await deps.redis.scan(cursor, 'MATCH', `${rlPrefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length === 0) continue;
        const pipeline = deps.redis.pipeline();
        for (const k of keys) pipeline.get(k).pttl(k);
        const results = (await pipeline.exec()) ?? [];
        keys.forEach((k, i) => {
          const count = Number(results[2 * i]?.[1] ?? 0);
          const ttl = Number(results[2 * i + 1]?.[1] ?? -1);
          if (Number.isFinite(count) && count > 0) callers.push({ key: k.slice(rlPrefix.length), count, resetsInMs: ttl });
        });
      } while (cursor !== '0');
      callers.sort((a, b) => b.count - a.count);
      return {
        limits: deps.settings.rateLimit,
        // Keys are the client IP (the auth routes' own limiter adds its route to the key).
        top: callers.slice(0, 50).map((c) => ({ ip: c.key, count: c.count, resetsInMs: c.resetsInMs })),
      };
    },
  );

  app.get(
    '/api/v1/admin/settings',
    { preHandler, schema: { tags, security, summary: 'Effective non-secret settings (token lifetimes, rate limits, plan limits version, LLM mode)', response: { 401: err, 403: err } } },
    async () => {
      const plans = await billing.unary((c) => c.getPlanConfig, 'GetPlanConfig', {}).catch(() => undefined);
      const s = deps.settings;
      return {
        tokens: { accessTokenTtlSeconds: s.accessTokenTtlSeconds, refreshTokenTtlSeconds: s.refreshTokenTtlSeconds },
        rateLimit: s.rateLimit,
        bodyLimitBytes: s.bodyLimitBytes,
        planConfig: plans ? { version: plans.version, plans: plans.plans } : null,
        features: { llm: s.llmOnline === undefined ? 'unknown' : s.llmOnline ? 'online' : 'offline' },
      };
    },
  );
}
