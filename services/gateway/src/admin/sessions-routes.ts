import { errors } from '@haven/platform';
import { safetyV1, sessionV1, type conversationV1 } from '@haven/proto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authenticate, type AuthDeps } from '../http/auth';
import { ErrorResponse } from '../http/schemas';
import { sessionToJson } from '../sessions/mapping';
import type { Upstreams } from '../upstreams';

const err = Type.Ref(ErrorResponse);
export const ADMIN_SESSIONS_MAX_PAGE = 100;
const DEFAULT_PAGE = 25;

const STATUSES = ['scheduled', 'active', 'paused', 'completed', 'cancelled'] as const;
type StatusName = (typeof STATUSES)[number];
const STATUS_TO_PROTO: Record<StatusName, sessionV1.SessionStatus> = {
  scheduled: sessionV1.SessionStatus.SESSION_STATUS_SCHEDULED,
  active: sessionV1.SessionStatus.SESSION_STATUS_ACTIVE,
  paused: sessionV1.SessionStatus.SESSION_STATUS_PAUSED,
  completed: sessionV1.SessionStatus.SESSION_STATUS_COMPLETED,
  cancelled: sessionV1.SessionStatus.SESSION_STATUS_CANCELLED,
};

const when = (bound: string) =>
  Type.String({ maxLength: 40, description: `${bound}; an ISO 8601 date (midnight UTC) or date-time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z` });
const SessionsQuery = Type.Object(
  {
    personaId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
    userId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,200}$' })),
    // Checked in the handler, whose message lists the statuses (Ajv's enum message does not).
    status: Type.Optional(Type.String({ maxLength: 20, description: `one of ${STATUSES.join(', ')}` })),
    from: Type.Optional(when('inclusive')),
    to: Type.Optional(when('exclusive')),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: `1 to ${ADMIN_SESSIONS_MAX_PAGE}; default ${DEFAULT_PAGE}` })),
    cursor: Type.Optional(Type.String({ maxLength: 500, pattern: '^[A-Za-z0-9_-]*$' })),
  },
  { additionalProperties: false },
);
type SessionsQuery = Static<typeof SessionsQuery>;

const Nullable = (t: TSchema) => Type.Union([t, Type.Null()]);
const NullableInt = Type.Union([Type.Integer(), Type.Null()]);
const Themes = Type.Object(
  { topics: Type.Array(Type.String()), emotions: Type.Array(Type.String()), summarisedAt: Nullable(Type.String()) },
  { description: "The session summary's key topics and emotions; null until the session has a summary" },
);
const SafetyFlags = Type.Object(
  {
    state: Nullable(Type.String()),
    lastLevel: Nullable(Type.String()),
    alerts: Type.Integer(),
    unresolvedAlerts: Type.Integer(),
    highestAlertSeverity: Nullable(Type.String()),
  },
  { description: 'Safety state, last assessed level and crisis alerts; null when no message of the session was assessed' },
);
// Declared so the OpenAPI document shows the shape and the serializer drops anything not listed here.
const AdminSession = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  personaId: Type.String(),
  status: Type.String(),
  phase: Nullable(Type.String()),
  timeMode: Nullable(Type.String()),
  incognito: Type.Boolean(),
  scheduledAt: Nullable(Type.String()),
  startedAt: Nullable(Type.String()),
  endedAt: Nullable(Type.String()),
  plannedDuration: Type.Integer({ description: 'minutes' }),
  activeSeconds: Type.Integer({ description: 'the length so far (paused time does not count)' }),
  actualDuration: Type.Union([Type.Integer({ description: 'minutes' }), Type.Null()]),
  messageCount: Type.Integer(),
  endReason: Nullable(Type.String()),
  baselineMood: NullableInt,
  closingMood: NullableInt,
  moodChange: Type.Union([Type.Integer({ description: 'closing minus baseline mood (1-5 scale)' }), Type.Null()]),
  rating: NullableInt,
  themes: Type.Union([Themes, Type.Null()]),
  safety: Type.Union([SafetyFlags, Type.Null()]),
});
const SessionsResponse = Type.Object({
  sessions: Type.Array(AdminSession),
  nextCursor: Nullable(Type.String()),
  unavailable: Type.Array(Type.Union([Type.Literal('themes'), Type.Literal('safety')]), {
    description: 'parts that could not be loaded this time (their fields are null on every row)',
  }),
});

export interface AdminSessionRouteDeps {
  auth: AuthDeps;
  upstreams: Pick<Upstreams, 'session' | 'conversation' | 'safety'>;
}

const iso = (d: Date | undefined) => (d && d.getTime() > 0 ? d.toISOString() : null);

/** `RISK_LEVEL_HIGH_RISK` → `HIGH_RISK` (as the on-call API spells levels); UNSPECIFIED → null. */
function enumName(json: string, prefix: string): string | null {
  if (!json.startsWith(prefix) || json === `${prefix}UNSPECIFIED`) return null;
  return json.slice(prefix.length);
}

/** A date alone is midnight UTC; anything Date.parse reads as another date is refused. */
function instantOf(value: string | undefined, field: 'from' | 'to'): Date | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw errors.invalidArgument('INVALID_DATE', `${field} must be an ISO 8601 date or date-time such as 2026-11-01 or 2026-11-01T08:00:00Z (got ${JSON.stringify(value)})`);
  return new Date(ms);
}

function statusOf(value: string | undefined): sessionV1.SessionStatus {
  if (value === undefined) return sessionV1.SessionStatus.SESSION_STATUS_UNSPECIFIED;
  if (!(STATUSES as readonly string[]).includes(value)) throw errors.invalidArgument('INVALID_STATUS', `status must be one of ${STATUSES.join(', ')} (got ${JSON.stringify(value)})`);
  return STATUS_TO_PROTO[value as StatusName];
}

function limitOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > ADMIN_SESSIONS_MAX_PAGE) throw errors.invalidArgument('INVALID_LIMIT', `limit must be 1 to ${ADMIN_SESSIONS_MAX_PAGE} (got ${value})`);
  return n;
}

function themesToJson(t: conversationV1.SessionThemes) {
  return { topics: t.keyTopics, emotions: t.emotions, summarisedAt: iso(t.summarisedAt) };
}

function flagsToJson(f: safetyV1.SessionFlags) {
  return {
    state: enumName(safetyV1.safetyStateToJSON(f.state), 'SAFETY_STATE_'),
    lastLevel: enumName(safetyV1.riskLevelToJSON(f.lastLevel), 'RISK_LEVEL_'),
    alerts: f.alertCount,
    unresolvedAlerts: f.unresolvedAlertCount,
    highestAlertSeverity: enumName(safetyV1.riskLevelToJSON(f.highestAlertSeverity), 'RISK_LEVEL_'),
  };
}

/**
 * GET /api/v1/admin/sessions — the admin sessions browser (API.md "Admin"): every user's sessions,
 * newest first, with persona, times, length, mood change, themes and safety flags; metadata only,
 * never message or summary text. Admin role only (others get 403, recorded as AccessDenied).
 */
export function registerAdminSessionRoutes(app: FastifyInstance, deps: AdminSessionRouteDeps): void {
  const preHandler = authenticate(deps.auth, ['admin']);
  const { session, conversation, safety } = deps.upstreams;

  app.get<{ Querystring: SessionsQuery }>(
    '/api/v1/admin/sessions',
    {
      preHandler,
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: 'All sessions, newest first (start, else scheduled time), filtered by persona, user, status and time; metadata, themes and safety flags only',
        querystring: SessionsQuery,
        response: { 200: SessionsResponse, 400: err, 401: err, 403: err },
      },
    },
    async (req) => {
      const q = req.query;
      const from = instantOf(q.from, 'from');
      const to = instantOf(q.to, 'to');
      if (from && to && from.getTime() >= to.getTime()) throw errors.invalidArgument('INVALID_RANGE', 'from must be before to');
      const page = await session.unary((c) => c.listAllSessions, 'ListAllSessions', {
        personaId: q.personaId ?? '',
        userId: q.userId ?? '',
        status: statusOf(q.status),
        from,
        to,
        limit: limitOf(q.limit),
        cursor: q.cursor ?? '',
      });
      const ids = page.sessions.map((s) => s.id);
      const unavailable: ('themes' | 'safety')[] = [];
      // Themes and flags decorate the page: if either service fails, the rows still come, with nulls.
      const bySession = async <T extends { sessionId: string }>(part: 'themes' | 'safety', call: () => Promise<{ sessions: T[] }>): Promise<Map<string, T>> => {
        if (ids.length === 0) return new Map();
        try {
          return new Map((await call()).sessions.map((x) => [x.sessionId, x]));
        } catch (e: unknown) {
          req.log.warn({ err: e instanceof Error ? e.message : String(e) }, `admin sessions: ${part === 'safety' ? 'safety flags' : part} unavailable`);
          unavailable.push(part);
          return new Map();
        }
      };
      const [themes, flags] = await Promise.all([
        bySession('themes', () => conversation.unary((c) => c.listSessionThemes, 'ListSessionThemes', { sessionIds: ids })),
        bySession('safety', () => safety.unary((c) => c.listSessionFlags, 'ListSessionFlags', { sessionIds: ids })),
      ]);
      return {
        sessions: page.sessions.map((s) => {
          const t = themes.get(s.id);
          const f = flags.get(s.id);
          return { ...sessionToJson(s), userId: s.userId, themes: t ? themesToJson(t) : null, safety: f ? flagsToJson(f) : null };
        }),
        nextCursor: page.nextCursor || null,
        unavailable: unavailable.sort(),
      };
    },
  );
}
