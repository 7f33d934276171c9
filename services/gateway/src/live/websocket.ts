import { DomainError, type Logger } from '@haven/platform';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { authenticate, type AuthDeps } from '../http/auth';
import { sessionToJson } from '../sessions/mapping';
import { postMessage } from '../sessions/messages';
import type { Upstreams } from '../upstreams';
import { ONCALL_SUBJECT, sessionSubject, userSubject, type LiveHub } from './live-hub';

const MAX_FRAME_BYTES = 16 * 1024;
/** Same as billing's default BILLING_LOW_CREDITS_THRESHOLD (the per-minute warnings come from billing). */
const LOW_CREDITS_WARNING_AT = 10;
const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id');

/** Client → server frames of API.md, validated; anything else is answered with an error frame. */
const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('join_session'), sessionId: id }),
  z.object({ type: z.literal('send_message'), sessionId: id, content: z.string().trim().min(1, 'must not be empty').max(4000, 'is longer than 4000 characters'), clientMessageId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).optional() }),
  z.object({ type: z.literal('typing'), sessionId: id }),
  z.object({ type: z.literal('toggle_mute'), sessionId: id, muted: z.boolean() }),
  z.object({ type: z.literal('toggle_camera'), sessionId: id, cameraOff: z.boolean() }),
  z.object({ type: z.literal('pause_session'), sessionId: id.optional() }),
  z.object({ type: z.literal('resume_session'), sessionId: id.optional() }),
  z.object({ type: z.literal('end_session'), sessionId: id, reason: z.string().max(64).optional() }),
  z.object({ type: z.literal('subscribe_oncall') }),
  z.object({ type: z.literal('ping') }),
]);
type ClientFrame = z.infer<typeof ClientFrame>;

export interface WebSocketDeps {
  auth: AuthDeps;
  upstreams: Upstreams;
  hub: LiveHub;
  logger: Logger;
  presence: { set(sessionId: string, userId: string, fields: Record<string, string>): Promise<void>; remove(sessionId: string, userId: string): Promise<void> };
}

export function registerWebSocket(app: FastifyInstance, deps: WebSocketDeps): void {
  app.get('/api/v1/ws', { websocket: true, preHandler: authenticate(deps.auth), schema: { hide: true } }, (socket: WebSocket, req) => {
    const { userId, role, locale } = req.principal!;
    const joined = new Set<string>();
    const send = (frame: Record<string, unknown>) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    };
    const fail = (code: string, message: string, extra: Record<string, unknown> = {}) => send({ type: 'error', code, message, ...extra });
    // Every socket of the user hears their own channel (e.g. `session_reminder`) without joining anything.
    deps.hub.subscribe(userSubject(userId), socket);
    const requireJoined = (sessionId: string) => {
      if (!joined.has(sessionId)) throw new DomainError('FailedPrecondition', 'NOT_JOINED', `join_session ${sessionId} first`);
    };
    const current = (sessionId: string | undefined) => {
      const sid = sessionId ?? (joined.size === 1 ? [...joined][0] : undefined);
      if (!sid) throw new DomainError('InvalidArgument', 'SESSION_ID_REQUIRED', 'say which session: sessionId');
      requireJoined(sid);
      return sid;
    };

    const handle = async (f: ClientFrame): Promise<void> => {
      switch (f.type) {
        case 'ping':
          return send({ type: 'pong', at: new Date().toISOString() });
        case 'join_session': {
          const { session } = await deps.upstreams.session.unary((c) => c.getSession, 'GetSession', { sessionId: f.sessionId, userId });
          if (!joined.has(f.sessionId)) {
            joined.add(f.sessionId);
            deps.hub.subscribe(sessionSubject(f.sessionId), socket);
            await deps.presence.set(f.sessionId, userId, { online: '1' });
          }
          send({ type: 'session_joined', session: sessionToJson(session!) });
          // A socket that joins (or rejoins after a reconnect) learns the balance now, not at the
          // next metered minute, including a low-credit warning it may have missed.
          const balance = await deps.upstreams.billing.unary((c) => c.getBalance, 'GetBalance', { userId }).catch(() => undefined);
          if (balance) {
            send({ type: 'credit_update', remaining: balance.creditsRemaining, used: null });
            if (balance.creditsRemaining <= LOW_CREDITS_WARNING_AT) {
              send({ type: 'session_warning', kind: 'low_credits', message: `${Math.max(0, balance.creditsRemaining)} credits left: the session ends when they run out.` });
            }
          }
          return;
        }
        case 'send_message':
          requireJoined(f.sessionId);
          // The reply reaches this and every other tab through the live subject; here only errors surface.
          await postMessage(deps.upstreams, { sessionId: f.sessionId, userId, content: f.content, clientMessageId: f.clientMessageId ?? '', locale });
          return;
        case 'typing':
          requireJoined(f.sessionId);
          return deps.presence.set(f.sessionId, userId, { typingAt: String(Date.now()) });
        case 'toggle_mute':
          requireJoined(f.sessionId);
          return deps.presence.set(f.sessionId, userId, { muted: String(f.muted) });
        case 'toggle_camera':
          requireJoined(f.sessionId);
          return deps.presence.set(f.sessionId, userId, { cameraOff: String(f.cameraOff) });
        case 'pause_session': {
          const sid = current(f.sessionId);
          const { session } = await deps.upstreams.session.unary((c) => c.pauseSession, 'PauseSession', { sessionId: sid, userId });
          return send({ type: 'session_paused', session: sessionToJson(session!) });
        }
        case 'resume_session': {
          const sid = current(f.sessionId);
          const { session } = await deps.upstreams.session.unary((c) => c.resumeSession, 'ResumeSession', { sessionId: sid, userId });
          return send({ type: 'session_resumed', session: sessionToJson(session!) });
        }
        case 'end_session':
          requireJoined(f.sessionId);
          await deps.upstreams.session.unary((c) => c.endSession, 'EndSession', { sessionId: f.sessionId, userId, reason: f.reason ?? 'completed', closingMood: 0, rating: 0 });
          return;
        case 'subscribe_oncall':
          if (role !== 'oncall' && role !== 'admin') {
            await deps.auth.onAccessDenied({ userId, route: 'ws:subscribe_oncall', reason: `role ${role}`, ip: req.ip });
            throw new DomainError('PermissionDenied', 'FORBIDDEN', 'only on-call staff and admins may subscribe to crisis alerts');
          }
          deps.hub.subscribe(ONCALL_SUBJECT, socket);
          return send({ type: 'oncall_subscribed' });
        default: {
          const never: never = f;
          return never;
        }
      }
    };

    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return fail('BINARY_NOT_SUPPORTED', 'send JSON text frames');
      if (data.length > MAX_FRAME_BYTES) return fail('FRAME_TOO_LARGE', `frames are limited to ${MAX_FRAME_BYTES} bytes`);
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString('utf8'));
      } catch {
        return fail('MALFORMED_FRAME', 'frame is not valid JSON');
      }
      const parsed = ClientFrame.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String((raw as { type: unknown }).type).slice(0, 40) : undefined;
        const message = issue?.code === 'invalid_union' && issue.path.join('.') === 'type' ? `unknown frame type "${type}"` : `${issue?.path.join('.') || 'frame'} ${issue?.message ?? 'is invalid'}`;
        return fail(issue?.path[0] === 'type' ? 'UNKNOWN_FRAME_TYPE' : 'INVALID_FRAME', message, type ? { frame: type } : {});
      }
      handle(parsed.data).catch((err: unknown) => {
        if (err instanceof DomainError) return fail(err.code, err.message, { frame: parsed.data.type });
        deps.logger.error({ err, frame: parsed.data.type }, 'websocket frame failed');
        fail('INTERNAL', 'internal error', { frame: parsed.data.type });
      });
    });
    socket.on('close', () => {
      deps.hub.unsubscribeAll(socket);
      for (const sid of joined) void deps.presence.remove(sid, userId).catch(() => undefined);
    });
  });
}
