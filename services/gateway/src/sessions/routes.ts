import { DomainError, errors } from '@haven/platform';
import { conversationV1, sessionV1 } from '@haven/proto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate, type AuthDeps } from '../http/auth';
import { ErrorResponse } from '../http/schemas';
import type { Upstreams } from '../upstreams';
import { messageToJson, sessionToJson } from './mapping';
import { postMessage } from './messages';
import { assertCanStartSession } from '../billing/routes';

const err = Type.Ref(ErrorResponse);
const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const SessionParams = Type.Object({ id: Type.String() });
type SessionParams = Static<typeof SessionParams>;

const StartBody = Type.Object(
  {
    personaId: Id,
    durationMinutes: Type.Integer({ minimum: 5, maximum: 60 }),
    baselineMood: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    incognito: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const ScheduleBody = Type.Object(
  {
    personaId: Id,
    scheduledAt: Type.String({ format: 'date-time' }),
    durationMinutes: Type.Integer({ minimum: 5, maximum: 60 }),
    reminder: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const StartScheduledBody = Type.Object(
  {
    baselineMood: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    incognito: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const EndBody = Type.Object(
  {
    reason: Type.Optional(Type.String({ maxLength: 64 })),
    closingMood: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    rating: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
  },
  { additionalProperties: false },
);
const MessageBody = Type.Object(
  { content: Type.String({ minLength: 1, maxLength: 4000 }), clientMessageId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })) },
  { additionalProperties: false },
);
const ListQuery = Type.Object({ cursor: Type.Optional(Type.String({ maxLength: 200 })), limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })) }, { additionalProperties: false });
const ExportQuery = Type.Object({ format: Type.Union([Type.Literal('csv'), Type.Literal('pdf')]) }, { additionalProperties: false });

export interface SessionRouteDeps {
  auth: AuthDeps;
  upstreams: Upstreams;
  publicUrl?: string;
}

/** An id that cannot exist is answered like one that is not yours: 404, no hint either way. */
function sessionId(req: FastifyRequest<{ Params: SessionParams }>): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(req.params.id)) throw errors.notFound('SESSION_NOT_FOUND', 'no such session');
  return req.params.id;
}

export function websocketUrl(req: FastifyRequest, publicUrl?: string): string {
  const base = publicUrl ?? `${req.protocol}://${req.host}`;
  return `${base.replace(/^http/, 'ws')}/api/v1/ws`;
}

export function registerSessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): void {
  const { upstreams: up } = deps;
  const auth = authenticate(deps.auth);
  const tags = ['sessions'];
  const security = [{ bearer: [] }];
  let personaCache: { at: number; personas: conversationV1.Persona[] } | undefined;

  const personas = async () => {
    if (!personaCache || Date.now() - personaCache.at > 60_000) {
      const res = await up.conversation.unary((c) => c.listPersonas, 'ListPersonas', {});
      personaCache = { at: Date.now(), personas: res.personas };
    }
    return personaCache.personas;
  };
  const requirePersona = async (id: string) => {
    if (!(await personas()).some((p) => p.id === id)) throw errors.invalidArgument('UNKNOWN_PERSONA', `personaId "${id}" is not one of GET /api/v1/personas`);
  };
  const userId = (req: FastifyRequest) => req.principal!.userId;

  app.get('/api/v1/personas', { schema: { tags: ['catalogue'], summary: 'The AI personas' } }, async () => ({
    personas: (await personas()).map((p) => ({ id: p.id, name: p.name, specialty: p.specialty, approach: p.approach, modality: p.modality, style: p.style, free: p.free, voiceAvatar: p.voiceAvatar })),
  }));

  app.post<{ Body: Static<typeof StartBody> }>(
    '/api/v1/sessions/start',
    { preHandler: auth, schema: { tags, security, summary: 'Start a session now', body: StartBody, response: { 400: err, 401: err, 409: err, 422: err } } },
    async (req, reply) => {
      await requirePersona(req.body.personaId);
      // Plan and credits first: no credits, a paid persona or a length outside the plan → 422.
      const { creditsRemaining } = await assertCanStartSession(up, userId(req), req.body.personaId, req.body.durationMinutes);
      const { session } = await up.session.unary((c) => c.startSession, 'StartSession', {
        sessionId: '',
        userId: userId(req),
        personaId: req.body.personaId,
        durationMinutes: req.body.durationMinutes,
        baselineMood: req.body.baselineMood ?? 0,
        reason: req.body.reason ?? '',
        incognito: req.body.incognito ?? false,
      });
      return reply.status(201).send({ session: { ...sessionToJson(session!), creditsRemaining, websocketUrl: websocketUrl(req, deps.publicUrl) } });
    },
  );

  app.post<{ Body: Static<typeof ScheduleBody> }>(
    '/api/v1/sessions/schedule',
    { preHandler: auth, schema: { tags, security, summary: 'Schedule a session', body: ScheduleBody, response: { 400: err, 401: err, 422: err } } },
    async (req, reply) => {
      await requirePersona(req.body.personaId);
      const at = new Date(req.body.scheduledAt);
      if (at.getTime() <= Date.now()) throw errors.invalidArgument('SCHEDULED_IN_PAST', 'scheduledAt must be in the future');
      await assertCanStartSession(up, userId(req), req.body.personaId, req.body.durationMinutes);
      const { session } = await up.session.unary((c) => c.scheduleSession, 'ScheduleSession', {
        userId: userId(req),
        personaId: req.body.personaId,
        scheduledAt: at,
        durationMinutes: req.body.durationMinutes,
        reminder: req.body.reminder ?? true,
      });
      return reply.status(201).send({ session: sessionToJson(session!) });
    },
  );

  app.post<{ Params: SessionParams; Body: Static<typeof StartScheduledBody> }>(
    '/api/v1/sessions/:id/start',
    {
      preHandler: auth,
      schema: { tags, security, summary: 'Start a scheduled session (early or on time)', params: SessionParams, body: Type.Optional(StartScheduledBody), response: { 400: err, 401: err, 404: err, 409: err, 422: err } },
    },
    async (req, reply) => {
      const { session: scheduled } = await up.session.unary((c) => c.getSession, 'GetSession', { sessionId: sessionId(req), userId: userId(req) });
      // Plan and credits are checked again now: they may have changed since it was scheduled.
      const { creditsRemaining } = await assertCanStartSession(up, userId(req), scheduled!.personaId, scheduled!.plannedDurationMinutes);
      const { session } = await up.session.unary((c) => c.startSession, 'StartSession', {
        sessionId: sessionId(req),
        userId: userId(req),
        personaId: '',
        durationMinutes: 0,
        baselineMood: req.body?.baselineMood ?? 0,
        reason: req.body?.reason ?? '',
        incognito: req.body?.incognito ?? false,
      });
      return reply.status(201).send({ session: { ...sessionToJson(session!), creditsRemaining, websocketUrl: websocketUrl(req, deps.publicUrl) } });
    },
  );

  const list = (filter: sessionV1.SessionFilter) => async (req: FastifyRequest<{ Querystring: Static<typeof ListQuery> }>) => {
    const res = await up.session.unary((c) => c.listSessions, 'ListSessions', {
      userId: userId(req),
      filter,
      cursor: req.query.cursor ?? '',
      limit: Math.min(100, Number(req.query.limit ?? 20) || 20),
    });
    return { sessions: res.sessions.map(sessionToJson), nextCursor: res.nextCursor || null };
  };
  const listSchema = (summary: string) => ({ preHandler: auth, schema: { tags, security, summary, querystring: ListQuery, response: { 400: err, 401: err } } });
  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/v1/sessions', listSchema('Session history (newest first)'), list(sessionV1.SessionFilter.SESSION_FILTER_HISTORY));
  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/v1/sessions/upcoming', listSchema('Scheduled sessions'), list(sessionV1.SessionFilter.SESSION_FILTER_UPCOMING));
  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/v1/sessions/active', listSchema('Active or paused sessions'), list(sessionV1.SessionFilter.SESSION_FILTER_ACTIVE));

  app.get<{ Params: SessionParams }>(
    '/api/v1/sessions/:id',
    { preHandler: auth, schema: { tags, security, summary: 'Session details', params: SessionParams, response: { 401: err, 404: err } } },
    async (req) => {
      const id = sessionId(req);
      const { session } = await up.session.unary((c) => c.getSession, 'GetSession', { sessionId: id, userId: userId(req) });
      const summary = await up.conversation.unary((c) => c.getSummary, 'GetSummary', { sessionId: id, userId: userId(req) }).then(
        (r) => r.summary,
        (e: unknown) => {
          if (e instanceof DomainError && (e.kind === 'NotFound' || e.code === 'SUMMARY_NOT_READY')) return undefined;
          throw e;
        },
      );
      const safety = await up.safety.unary((c) => c.getSafetyState, 'GetSafetyState', { sessionId: id }).then(
        (r) => r,
        () => undefined,
      );
      return {
        session: {
          ...sessionToJson(session!),
          safetyState: safety ? safetyStateName(safety.state) : 'unknown',
          summary: summary?.summary ?? null,
          keyTopics: summary?.keyTopics ?? [],
        },
      };
    },
  );

  app.post<{ Params: SessionParams; Body: Static<typeof MessageBody> }>(
    '/api/v1/sessions/:id/messages',
    { preHandler: auth, schema: { tags, security, summary: 'Send a message and wait for the reply (non-streaming twin of the WebSocket)', params: SessionParams, body: MessageBody, response: { 400: err, 401: err, 404: err, 409: err, 413: err, 422: err } } },
    async (req) => {
      const r = await postMessage(up, { sessionId: sessionId(req), userId: userId(req), content: req.body.content, clientMessageId: req.body.clientMessageId ?? '', locale: req.principal!.locale });
      return { message: r.message ? messageToJson(r.message) : null, reply: r.reply ? messageToJson(r.reply) : null, safety: r.safety };
    },
  );

  for (const [action, rpc] of [
    ['pause', 'PauseSession'],
    ['resume', 'ResumeSession'],
  ] as const) {
    app.post<{ Params: SessionParams }>(
      `/api/v1/sessions/:id/${action}`,
      { preHandler: auth, schema: { tags, security, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a session`, params: SessionParams, response: { 401: err, 404: err, 422: err } } },
      async (req) => {
        const input = { sessionId: sessionId(req), userId: userId(req) };
        const { session } = action === 'pause' ? await up.session.unary((c) => c.pauseSession, rpc, input) : await up.session.unary((c) => c.resumeSession, rpc, input);
        return { session: sessionToJson(session!) };
      },
    );
  }

  app.post<{ Params: SessionParams; Body: Static<typeof EndBody> }>(
    '/api/v1/sessions/:id/end',
    { preHandler: auth, schema: { tags, security, summary: 'End a session', params: SessionParams, body: Type.Optional(EndBody), response: { 400: err, 401: err, 404: err, 422: err } } },
    async (req) => {
      const body = req.body ?? {};
      const { session } = await up.session.unary((c) => c.endSession, 'EndSession', {
        sessionId: sessionId(req),
        userId: userId(req),
        reason: body.reason ?? 'completed',
        closingMood: body.closingMood ?? 0,
        rating: body.rating ?? 0,
      });
      return { session: { ...sessionToJson(session!), creditsUsed: null, summary: null } };
    },
  );

  app.get<{ Params: SessionParams }>(
    '/api/v1/sessions/:id/transcript',
    { preHandler: auth, schema: { tags, security, summary: 'The transcript, in order', params: SessionParams, response: { 401: err, 404: err } } },
    async (req) => {
      const res = await up.conversation.unary((c) => c.getTranscript, 'GetTranscript', { sessionId: sessionId(req), userId: userId(req) });
      return { transcript: { sessionId: res.sessionId, messages: res.messages.map(messageToJson) } };
    },
  );

  app.get<{ Params: SessionParams }>(
    '/api/v1/sessions/:id/summary',
    { preHandler: auth, schema: { tags, security, summary: 'AI summary of an ended session', params: SessionParams, response: { 401: err, 404: err } } },
    async (req) => {
      const { summary } = await up.conversation.unary((c) => c.getSummary, 'GetSummary', { sessionId: sessionId(req), userId: userId(req) });
      const s = summary!;
      return { summary: { sessionId: s.sessionId, summary: s.summary, keyTopics: s.keyTopics, emotions: s.emotions, techniques: s.techniques, nextSteps: s.nextSteps, offline: s.offline, createdAt: s.createdAt?.toISOString() ?? null } };
    },
  );

  app.get<{ Params: SessionParams; Querystring: Static<typeof ExportQuery> }>(
    '/api/v1/sessions/:id/export',
    { preHandler: auth, schema: { tags, security, summary: 'Transcript as CSV or PDF', params: SessionParams, querystring: ExportQuery, response: { 400: err, 401: err, 404: err } } },
    async (req, reply) => {
      const res = await up.conversation.unary((c) => c.exportTranscript, 'ExportTranscript', {
        sessionId: sessionId(req),
        userId: userId(req),
        format: req.query.format === 'pdf' ? conversationV1.ExportFormat.EXPORT_FORMAT_PDF : conversationV1.ExportFormat.EXPORT_FORMAT_CSV,
      });
      return reply
        .header('content-type', res.contentType)
        .header('content-disposition', `attachment; filename="${res.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
        .send(Buffer.from(res.data));
    },
  );
}

function safetyStateName(state: number): string {
  return ['unknown', 'NORMAL', 'WATCH', 'ELEVATED', 'SAFETY_MODE'][state] ?? 'unknown';
}
