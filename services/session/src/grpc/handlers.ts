import { errors, isContentErased, type ServiceHandlers } from '@haven/platform';
import { sessionV1 } from '@haven/proto';
import type { ReasonCipher, SessionListFilter, SessionsReadModel } from '../application/ports';
import type { SessionCommands } from '../application/session-commands';
import { END_REASONS, type CheckpointAnswer, type EndReason } from '../domain/events';
import { MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, type Session, type SessionRules, type SessionStatus } from '../domain/session';
import { checkpointAnswerEnum, statusEnum } from '../infrastructure/proto-enums';
import { sessionToProto, summaryToProto } from './mapping';

export interface SessionHandlerDeps {
  readonly commands: SessionCommands;
  readonly readModel: SessionsReadModel;
  /** New session ids (UUIDs in production). */
  readonly ids: () => string;
  readonly clock: () => Date;
  readonly rules: SessionRules;
  readonly reasons: ReasonCipher;
}

// ---- boundary validation: INVALID_ARGUMENT naming the field, before anything is loaded ------

const AGGREGATE_ID = /^[A-Za-z0-9_-]{1,200}$/;
const PERSONA_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_REASON_LENGTH = 500;
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

const invalid = (field: string, message: string, code = 'INVALID_ARGUMENT') => errors.invalidArgument(code, `${field} ${message}`, { field });

function sessionIdOf(value: string, field = 'session_id'): string {
  if (value === '') throw invalid(field, 'is required');
  if (!AGGREGATE_ID.test(value)) throw invalid(field, 'must be 1 to 200 characters of A-Z, a-z, 0-9, _ and -');
  return value;
}

function textId(value: string, field: string): string {
  if (value.trim() === '') throw invalid(field, 'is required');
  if (value.length > 200) throw invalid(field, 'must be at most 200 characters');
  return value;
}

function personaIdOf(value: string): string {
  if (value === '') throw invalid('persona_id', 'is required');
  if (!PERSONA_ID.test(value)) throw invalid('persona_id', 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -');
  return value;
}

function durationOf(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < MIN_DURATION_MINUTES || minutes > MAX_DURATION_MINUTES) {
    throw invalid('duration_minutes', `must be ${MIN_DURATION_MINUTES} to ${MAX_DURATION_MINUTES} (got ${minutes})`, 'INVALID_DURATION');
  }
  return minutes;
}

/** 0 = not given (proto3 has no null); otherwise 1–5. */
function scoreOf(value: number, field: string, code: string): number | null {
  if (value === 0) return null;
  if (!Number.isInteger(value) || value < 1 || value > 5) throw invalid(field, `must be 1 to 5 (got ${value})`, code);
  return value;
}

function endReasonOf(value: string): EndReason {
  if (value === '') return 'completed';
  if (!(END_REASONS as readonly string[]).includes(value)) throw invalid('reason', `must be one of ${END_REASONS.join(', ')}`, 'INVALID_END_REASON');
  return value as EndReason;
}

function checkpointAnswerOf(value: sessionV1.CheckpointAnswer): CheckpointAnswer | null {
  if (value === sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_UNSPECIFIED) return null;
  const answer = checkpointAnswerEnum.fromProto(value);
  if (answer === undefined) throw invalid('checkpoint_answer', `${value} is not a known answer`);
  return answer;
}

function filterOf(value: sessionV1.SessionFilter): SessionListFilter {
  switch (value) {
    case sessionV1.SessionFilter.SESSION_FILTER_UNSPECIFIED:
    case sessionV1.SessionFilter.SESSION_FILTER_HISTORY:
      return 'history';
    case sessionV1.SessionFilter.SESSION_FILTER_UPCOMING:
      return 'upcoming';
    case sessionV1.SessionFilter.SESSION_FILTER_ACTIVE:
      return 'active';
    default:
      throw invalid('filter', `${String(value)} is not a known filter`);
  }
}

/** UNSPECIFIED = any status. */
function statusFilterOf(value: sessionV1.SessionStatus): SessionStatus | null {
  if (value === sessionV1.SessionStatus.SESSION_STATUS_UNSPECIFIED) return null;
  const status = statusEnum.fromProto(value);
  if (status === undefined) throw invalid('status', `${String(value)} is not a known status`);
  return status;
}

/** An unset Timestamp arrives as undefined; the epoch is treated as unset too (proto3 has no null). */
const boundOf = (d: Date | undefined): Date | null => (d === undefined || d.getTime() === 0 ? null : d);

function cursorOf(value: string): string | null {
  if (value.length > 500) throw invalid('cursor', 'is not one this service returned', 'INVALID_CURSOR');
  return value === '' ? null : value;
}

/** SessionService over the session aggregate (commands, GetSession) and the sessions read model (ListSessions). */
export function sessionHandlers(deps: SessionHandlerDeps): ServiceHandlers<typeof sessionV1.SessionServiceService> {
  const { commands, clock, rules } = deps;
  /** The session as the API's Session, with its reason opened (an erased owner's reason is gone: ''). */
  const toProto = async (s: Session, version: number, now: Date): Promise<sessionV1.Session> => {
    const reason = s.reason === '' ? '' : await deps.reasons.decrypt(s.userId, { ciphertext: s.reason, keyId: s.reasonKeyId }).catch((err: unknown) => {
      if (isContentErased(err)) return '';
      throw err;
    });
    return { ...sessionToProto(s, version, now, rules), reason };
  };
  const respond = async (r: { session: Session; version: number }, now: Date) => ({ session: await toProto(r.session, r.version, now) });

  return {
    async startSession(req) {
      const userId = textId(req.userId, 'user_id');
      const fromSchedule = req.sessionId !== '';
      const sessionId = fromSchedule ? sessionIdOf(req.sessionId) : deps.ids();
      const personaId = fromSchedule ? null : personaIdOf(req.personaId);
      const durationMinutes = fromSchedule ? null : durationOf(req.durationMinutes);
      const baselineMood = scoreOf(req.baselineMood, 'baseline_mood', 'INVALID_MOOD');
      if (req.reason.length > MAX_REASON_LENGTH) throw invalid('reason', `must be at most ${MAX_REASON_LENGTH} characters`);
      const now = clock();
      // The reason is free text from the client: it is sealed with their data key before it
      // becomes an event. An incognito session keeps no reason at all.
      const reason = req.reason.trim() === '' || req.incognito ? { ciphertext: '', keyId: '' } : await deps.reasons.encrypt(userId, req.reason.trim());
      const result = await commands.start(sessionId, userId, {
        type: 'StartSession',
        data: { sessionId, fromSchedule, userId, personaId, durationMinutes, baselineMood, reason: reason.ciphertext, reasonKeyId: reason.keyId, incognito: req.incognito },
        metadata: { now },
      });
      return respond(result, now);
    },

    async scheduleSession(req) {
      const userId = textId(req.userId, 'user_id');
      const personaId = personaIdOf(req.personaId);
      const durationMinutes = durationOf(req.durationMinutes);
      const now = clock();
      if (req.scheduledAt === undefined) throw invalid('scheduled_at', 'is required');
      if (req.scheduledAt.getTime() <= now.getTime()) throw invalid('scheduled_at', 'must be in the future', 'SCHEDULED_IN_PAST');
      const sessionId = deps.ids();
      const result = await commands.execute(
        sessionId,
        {
          type: 'ScheduleSession',
          data: { sessionId, userId, personaId, scheduledAt: req.scheduledAt, durationMinutes, reminder: req.reminder },
          metadata: { now },
        },
        userId,
      );
      return respond(result, now);
    },

    async pauseSession(req) {
      const sessionId = sessionIdOf(req.sessionId);
      const userId = textId(req.userId, 'user_id');
      const now = clock();
      return respond(await commands.execute(sessionId, { type: 'PauseSession', data: { userId }, metadata: { now } }, userId), now);
    },

    async resumeSession(req) {
      const sessionId = sessionIdOf(req.sessionId);
      const userId = textId(req.userId, 'user_id');
      const now = clock();
      return respond(await commands.execute(sessionId, { type: 'ResumeSession', data: { userId }, metadata: { now } }, userId), now);
    },

    async endSession(req) {
      const sessionId = sessionIdOf(req.sessionId);
      const userId = textId(req.userId, 'user_id');
      const reason = endReasonOf(req.reason);
      const closingMood = scoreOf(req.closingMood, 'closing_mood', 'INVALID_MOOD');
      const rating = scoreOf(req.rating, 'rating', 'INVALID_RATING');
      const now = clock();
      const result = await commands.execute(sessionId, { type: 'EndSession', data: { userId, reason, closingMood, rating }, metadata: { now } }, userId);
      return respond(result, now);
    },

    async getSession(req) {
      const sessionId = sessionIdOf(req.sessionId);
      const userId = textId(req.userId, 'user_id');
      const now = clock();
      const { state, version } = await commands.load(sessionId);
      if (state.status === 'none' || state.userId !== userId) throw errors.notFound('SESSION_NOT_FOUND', 'no such session');
      return { session: await toProto(state, version, now) };
    },

    async listSessions(req) {
      const userId = textId(req.userId, 'user_id');
      const filter = filterOf(req.filter);
      const limit = req.limit === 0 ? DEFAULT_PAGE : Math.min(req.limit, MAX_PAGE);
      const cursor = cursorOf(req.cursor);
      const now = clock();
      const page = await deps.readModel.list({ userId, filter, cursor, limit, now });
      return { sessions: page.sessions.map((s) => summaryToProto(s, now, rules)), nextCursor: page.nextCursor ?? '' };
    },

    async listAllSessions(req) {
      const personaId = req.personaId === '' ? null : personaIdOf(req.personaId);
      const userId = req.userId === '' ? null : textId(req.userId, 'user_id');
      const status = statusFilterOf(req.status);
      const from = boundOf(req.from);
      const to = boundOf(req.to);
      if (from !== null && to !== null && from.getTime() >= to.getTime()) throw invalid('from', 'must be before to', 'INVALID_RANGE');
      const limit = req.limit === 0 ? DEFAULT_PAGE : Math.min(req.limit, MAX_PAGE);
      const cursor = cursorOf(req.cursor);
      const now = clock();
      const page = await deps.readModel.listAll({ personaId, userId, status, from, to, cursor, limit });
      return { sessions: page.sessions.map((s) => summaryToProto(s, now, rules)), nextCursor: page.nextCursor ?? '' };
    },

    async countUserSessions(req) {
      if (req.userIds.length === 0 || req.userIds.length > MAX_PAGE) throw invalid('user_ids', `must hold 1 to ${MAX_PAGE} ids (got ${req.userIds.length})`);
      const userIds = [...new Set(req.userIds.map((id) => textId(id, 'user_ids')))];
      const counts = await deps.readModel.countByUser(userIds);
      return { counts: userIds.map((userId) => ({ userId, total: counts.get(userId)?.total ?? 0, completed: counts.get(userId)?.completed ?? 0 })) };
    },

    async recordUserMessage(req) {
      const sessionId = sessionIdOf(req.sessionId);
      const userId = textId(req.userId, 'user_id');
      const messageId = textId(req.messageId, 'message_id');
      const checkpointAnswer = checkpointAnswerOf(req.checkpointAnswer);
      const now = clock();
      const result = await commands.execute(
        sessionId,
        { type: 'RecordUserMessage', data: { userId, messageId, checkpointAnswer }, metadata: { now } },
        userId,
      );
      // The time ran out before this message: the command ended the session instead of counting it.
      if (!result.session.messageIds.has(messageId)) throw errors.failedPrecondition('SESSION_ENDED', 'the session has ended');
      return respond(result, now);
    },
  };
}
