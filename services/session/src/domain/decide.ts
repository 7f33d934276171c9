import type { Decider } from '@haven/eventstore';
import { errors } from '@haven/platform';
import type { CheckpointAnswer, EndReason, Phase, PhaseTrigger, SessionEvent } from './events';
import {
  activeSeconds,
  checkpointCounts,
  CLOSING_MINUTES,
  evolveSession,
  FORCE_CLOSING_MINUTES,
  initialSessionState,
  isOver,
  MAX_DURATION_MINUTES,
  MIN_DURATION_MINUTES,
  minutesToMs,
  remainingMs,
  secondsRemaining,
  timeModeFor,
  type Session,
  type SessionRules,
  type SessionState,
} from './session';

interface Meta {
  readonly now: Date;
}

export type SessionCommand =
  | {
      type: 'ScheduleSession';
      data: { sessionId: string; userId: string; personaId: string; scheduledAt: Date; durationMinutes: number; reminder: boolean };
      metadata: Meta;
    }
  | {
      /** Starts a new session, or (fromSchedule) the scheduled one with this id, whose persona and duration it takes. */
      type: 'StartSession';
      data: {
        sessionId: string;
        fromSchedule: boolean;
        userId: string;
        personaId: string | null;
        durationMinutes: number | null;
        baselineMood: number | null;
        /** Already sealed by the caller (the domain never sees the plaintext). */
        reason: string;
        reasonKeyId: string;
        incognito: boolean;
      };
      metadata: Meta;
    }
  | { type: 'PauseSession'; data: { userId: string }; metadata: Meta }
  | { type: 'ResumeSession'; data: { userId: string }; metadata: Meta }
  | { type: 'RecordUserMessage'; data: { userId: string; messageId: string; checkpointAnswer: CheckpointAnswer | null }; metadata: Meta }
  | { type: 'EndSession'; data: { userId: string; reason: EndReason; closingMood: number | null; rating: number | null }; metadata: Meta }
  | { type: 'CancelSession'; data: { userId: string }; metadata: Meta }
  /** The clock: closing, force-closing, the planned end, idle expiry, missed schedules. */
  | { type: 'Tick'; metadata: Meta }
  | { type: 'Remind'; metadata: Meta };

const notFound = () => errors.notFound('SESSION_NOT_FOUND', 'no such session');
const ended = () => errors.failedPrecondition('SESSION_ENDED', 'the session has ended');

/** A session of another user is answered exactly like an unknown one. */
function owned(state: SessionState, userId: string): Session {
  if (state.status === 'none' || state.userId !== userId) throw notFound();
  return state;
}

function requireActive(s: Session): void {
  if (isOver(s)) throw ended();
  if (s.status !== 'active') throw errors.failedPrecondition('SESSION_NOT_ACTIVE', `the session is ${s.status}, not active`);
}

function validDuration(minutes: number | null): number {
  if (minutes === null || !Number.isInteger(minutes) || minutes < MIN_DURATION_MINUTES || minutes > MAX_DURATION_MINUTES) {
    throw errors.invalidArgument('INVALID_DURATION', `duration must be ${MIN_DURATION_MINUTES} to ${MAX_DURATION_MINUTES} whole minutes`);
  }
  return minutes;
}

function validScore(value: number | null, code: string, name: string): number | null {
  if (value !== null && (!Number.isInteger(value) || value < 1 || value > 5)) throw errors.invalidArgument(code, `${name} must be 1 to 5`);
  return value;
}

/** Collects events while folding them, so each rule sees the state the previous ones produced. */
class Emitter {
  readonly events: SessionEvent[] = [];
  constructor(public state: SessionState) {}
  emit(event: SessionEvent): void {
    this.events.push(event);
    this.state = evolveSession(this.state, event);
  }
  get session(): Session {
    if (this.state.status === 'none') throw notFound();
    return this.state;
  }
}

/** Phase after a user message; null when the message moves nothing. The backend decides, never the model. */
function phaseAfterMessage(s: Session): { to: Phase; trigger: PhaseTrigger } | null {
  switch (s.phase) {
    case 'emotional_baseline':
      return { to: 'agenda', trigger: 'user_message' };
    case 'agenda':
      return { to: 'exploration', trigger: 'user_message' };
    case 'exploration':
      return checkpointCounts(s.timeMode).includes(s.messageCount) ? { to: 'checkpoint', trigger: 'user_message' } : null;
    case 'checkpoint':
      return { to: s.lastCheckpointAnswer === 'worse' ? 'integration' : 'exploration', trigger: 'checkpoint_answer' };
    case 'integration':
    case 'closing':
    case 'ended':
    case null:
      return null;
    default: {
      const never: never = s.phase;
      return never;
    }
  }
}

function takeMessageStep(out: Emitter): void {
  const s = out.session;
  if (s.status !== 'active' || s.messageStepDoneFor >= s.messageCount || s.phase === null) return;
  const next = phaseAfterMessage(s);
  if (next) out.emit({ type: 'PhaseChanged', data: { sessionId: s.sessionId, from: s.phase, to: next.to, trigger: next.trigger } });
}

function endEvent(s: Session, now: Date, rules: SessionRules, reason: EndReason, closingMood: number | null, rating: number | null): SessionEvent {
  return {
    type: 'SessionEnded',
    data: {
      sessionId: s.sessionId,
      reason,
      closingMood,
      rating,
      actualDurationSeconds: activeSeconds(s, now, rules),
      moodChange: closingMood !== null && s.baselineMood !== null ? closingMood - s.baselineMood : null,
      endedAt: now,
    },
  };
}

/**
 * Level-triggered time rules for a live session, so repeating them is harmless: idle expiry,
 * the planned end, closing at ≤ 5 minutes left, force-closing at ≤ 3.
 */
function applyTimeRules(out: Emitter, now: Date, rules: SessionRules): void {
  const s = out.session;
  if (s.status !== 'active' && s.status !== 'paused') return;
  const idleFor = s.lastActivityAt === null ? 0 : now.getTime() - s.lastActivityAt.getTime();
  if (idleFor >= minutesToMs(rules.idleMinutes, rules)) {
    out.emit(endEvent(s, now, rules, 'expired', null, null));
    return;
  }
  if (s.status === 'paused') return; // paused time does not count
  const left = remainingMs(s, now, rules);
  if (left <= 0) {
    out.emit(endEvent(s, now, rules, 'completed', null, null));
    return;
  }
  if (left <= minutesToMs(CLOSING_MINUTES, rules) && s.phase !== 'closing' && s.phase !== null) {
    out.emit({ type: 'PhaseChanged', data: { sessionId: s.sessionId, from: s.phase, to: 'closing', trigger: 'time' } });
  }
  if (left <= minutesToMs(FORCE_CLOSING_MINUTES, rules) && !out.session.forceClosing) {
    out.emit({ type: 'ForceClosingSet', data: { sessionId: s.sessionId, secondsRemaining: secondsRemaining(s, now, rules) } });
  }
}

export function decideSession(command: SessionCommand, state: SessionState, rules: SessionRules): SessionEvent[] {
  const now = command.metadata.now;
  const out = new Emitter(state);
  switch (command.type) {
    case 'ScheduleSession': {
      const d = command.data;
      if (state.status !== 'none') throw errors.conflict('SESSION_EXISTS', 'this session already exists');
      const plannedDurationMinutes = validDuration(d.durationMinutes);
      if (d.scheduledAt.getTime() <= now.getTime()) throw errors.invalidArgument('SCHEDULED_IN_PAST', 'scheduledAt must be in the future');
      return [
        {
          type: 'SessionScheduled',
          data: { sessionId: d.sessionId, userId: d.userId, personaId: d.personaId, scheduledAt: d.scheduledAt, plannedDurationMinutes, reminder: d.reminder },
        },
      ];
    }
    case 'StartSession': {
      const d = command.data;
      const baselineMood = validScore(d.baselineMood, 'INVALID_MOOD', 'baselineMood');
      let personaId: string;
      let plannedDurationMinutes: number;
      if (state.status === 'none') {
        if (d.fromSchedule) throw notFound();
        if (d.personaId === null || d.personaId === '') throw errors.invalidArgument('INVALID_PERSONA', 'personaId is required');
        personaId = d.personaId;
        plannedDurationMinutes = validDuration(d.durationMinutes);
      } else {
        const s = owned(state, d.userId);
        if (isOver(s)) throw ended();
        if (!d.fromSchedule || s.status !== 'scheduled') throw errors.conflict('SESSION_EXISTS', 'this session has already started');
        personaId = s.personaId;
        plannedDurationMinutes = s.plannedDurationMinutes;
      }
      return [
        {
          type: 'SessionStarted',
          data: {
            sessionId: d.sessionId,
            userId: d.userId,
            personaId,
            plannedDurationMinutes,
            baselineMood,
            reason: d.reason,
            reasonKeyId: d.reasonKeyId,
            incognito: d.incognito,
            timeMode: timeModeFor(plannedDurationMinutes),
            startedAt: now,
          },
        },
      ];
    }
    case 'PauseSession': {
      const s = owned(state, command.data.userId);
      requireActive(s);
      const paused: SessionEvent = { type: 'SessionPaused', data: { sessionId: s.sessionId, activeSeconds: activeSeconds(s, now, rules), pausedAt: now } };
      return [paused];
    }
    case 'ResumeSession': {
      const s = owned(state, command.data.userId);
      if (isOver(s)) throw ended();
      if (s.status !== 'paused') throw errors.failedPrecondition('SESSION_NOT_PAUSED', `the session is ${s.status}, not paused`);
      out.emit({ type: 'SessionResumed', data: { sessionId: s.sessionId, resumedAt: now } });
      applyTimeRules(out, now, rules);
      return out.events;
    }
    case 'RecordUserMessage': {
      const d = command.data;
      const s = owned(state, d.userId);
      if (s.messageIds.has(d.messageId)) {
        // Already counted: only finish a phase step an interrupted append left pending.
        if (s.lastMessageId === d.messageId) takeMessageStep(out);
        return out.events;
      }
      requireActive(s);
      // Time that ran out ends the session instead of counting the message; the caller sees it ended.
      applyTimeRules(out, now, rules);
      if (out.session.status !== 'active') return out.events;
      out.emit({
        type: 'UserMessageRecorded',
        data: { sessionId: s.sessionId, messageId: d.messageId, messageCount: s.messageCount + 1, checkpointAnswer: d.checkpointAnswer, recordedAt: now },
      });
      takeMessageStep(out);
      return out.events;
    }
    case 'EndSession': {
      const d = command.data;
      const s = owned(state, d.userId);
      const closingMood = validScore(d.closingMood, 'INVALID_MOOD', 'closingMood');
      const rating = validScore(d.rating, 'INVALID_RATING', 'rating');
      if (isOver(s)) throw ended();
      if (s.status === 'scheduled') return [{ type: 'SessionCancelled', data: { sessionId: s.sessionId, reason: 'cancelled', cancelledAt: now } }];
      return [endEvent(s, now, rules, d.reason, closingMood, rating)];
    }
    case 'CancelSession': {
      const s = owned(state, command.data.userId);
      if (isOver(s)) throw ended();
      if (s.status !== 'scheduled') throw errors.failedPrecondition('SESSION_NOT_SCHEDULED', 'only a scheduled session can be cancelled; end it instead');
      return [{ type: 'SessionCancelled', data: { sessionId: s.sessionId, reason: 'cancelled', cancelledAt: now } }];
    }
    case 'Tick': {
      if (state.status === 'none' || isOver(state)) return [];
      if (state.status === 'scheduled') {
        const missedAt = (state.scheduledAt?.getTime() ?? 0) + minutesToMs(rules.idleMinutes, rules);
        if (now.getTime() >= missedAt) return [{ type: 'SessionCancelled', data: { sessionId: state.sessionId, reason: 'missed', cancelledAt: now } }];
        return [];
      }
      applyTimeRules(out, now, rules);
      return out.events;
    }
    case 'Remind': {
      if (state.status !== 'scheduled' || !state.reminder || state.reminded || state.scheduledAt === null) return [];
      if (now.getTime() < state.scheduledAt.getTime() - minutesToMs(rules.reminderLeadMinutes, rules)) return [];
      return [{ type: 'SessionReminderDue', data: { sessionId: state.sessionId, userId: state.userId, scheduledAt: state.scheduledAt } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}

export type SessionDecider = Decider<SessionCommand, SessionEvent, SessionState>;

export function createSessionDecider(rules: SessionRules): SessionDecider {
  return {
    initialState: initialSessionState,
    evolve: evolveSession,
    decide: (command, state) => decideSession(command, state, rules),
  };
}
