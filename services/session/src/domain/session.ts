import type { CancelReason, CheckpointAnswer, EndReason, Phase, SessionEvent, TimeMode } from './events';

/**
 * How long "a minute" is and the idle/reminder windows. Production: 60 s per minute; tests
 * shrink it, and every duration and threshold scales with it.
 */
export interface SessionRules {
  readonly secondsPerMinute: number;
  /** A live session with no user activity for this long ends 'expired'; a scheduled one never started is 'missed'. */
  readonly idleMinutes: number;
  /** Reminders are due this long before a scheduled start. */
  readonly reminderLeadMinutes: number;
}

export const MIN_DURATION_MINUTES = 5;
export const MAX_DURATION_MINUTES = 60;
/** ≤ 5 minutes of active time left: the closing phase. */
export const CLOSING_MINUTES = 5;
/** ≤ 3 minutes left: force-closing (the AI must wrap up now). */
export const FORCE_CLOSING_MINUTES = 3;

export type SessionStatus = 'scheduled' | 'active' | 'paused' | 'completed' | 'cancelled';

export interface Session {
  readonly status: SessionStatus;
  readonly sessionId: string;
  readonly userId: string;
  readonly personaId: string;
  readonly plannedDurationMinutes: number;
  readonly timeMode: TimeMode;
  readonly scheduledAt: Date | null;
  readonly reminder: boolean;
  readonly reminded: boolean;
  readonly startedAt: Date | null;
  readonly baselineMood: number | null;
  /** Sealed; see reasonKeyId. */
  readonly reason: string;
  readonly reasonKeyId: string;
  readonly incognito: boolean;
  /** null while scheduled (or cancelled before it started). */
  readonly phase: Phase | null;
  /** Active time accumulated before the current stretch; paused time never counts. */
  readonly activeMsBefore: number;
  /** Start of the current active stretch; null unless status is 'active'. */
  readonly resumedAt: Date | null;
  readonly forceClosing: boolean;
  readonly messageCount: number;
  readonly messageIds: ReadonlySet<string>;
  readonly lastMessageId: string | null;
  readonly lastCheckpointAnswer: CheckpointAnswer | null;
  /**
   * The message count whose phase step has been taken. A multi-event append can stop after
   * UserMessageRecorded (a concurrent timer wins the race); a retry of that message then sees
   * the step still pending and takes it, instead of skipping or repeating it.
   */
  readonly messageStepDoneFor: number;
  /** Last start, resume, pause or user message: idle expiry counts from here. */
  readonly lastActivityAt: Date | null;
  readonly endedAt: Date | null;
  readonly endReason: EndReason | CancelReason | null;
  readonly closingMood: number | null;
  readonly rating: number | null;
  readonly moodChange: number | null;
}

export type SessionState = { readonly status: 'none' } | Session;

export const initialSessionState = (): SessionState => ({ status: 'none' });

export function timeModeFor(durationMinutes: number): TimeMode {
  if (durationMinutes <= 10) return 'short';
  if (durationMinutes <= 30) return 'standard';
  return 'extended';
}

/** User-message counts at which the session pauses for a checkpoint ("how are you feeling now?"). */
export function checkpointCounts(mode: TimeMode): readonly number[] {
  switch (mode) {
    case 'short':
      return [3];
    case 'standard':
      return [9];
    case 'extended':
      return [15, 25];
    default: {
      const never: never = mode;
      return never;
    }
  }
}

export const minutesToMs = (minutes: number, rules: SessionRules): number => minutes * rules.secondsPerMinute * 1000;

export function isLive(s: SessionState): s is Session & { status: 'active' | 'paused' } {
  return s.status === 'active' || s.status === 'paused';
}

export function isOver(s: SessionState): s is Session & { status: 'completed' | 'cancelled' } {
  return s.status === 'completed' || s.status === 'cancelled';
}

/** Active milliseconds so far: the banked time plus the running stretch. */
export function activeMs(s: Session, now: Date): number {
  const running = s.status === 'active' && s.resumedAt !== null ? Math.max(0, now.getTime() - s.resumedAt.getTime()) : 0;
  return s.activeMsBefore + running;
}

export function plannedMs(s: Session, rules: SessionRules): number {
  return minutesToMs(s.plannedDurationMinutes, rules);
}

/** Remaining active time; paused time does not count. Computed from state and `now` only. */
export function remainingMs(s: Session, now: Date, rules: SessionRules): number {
  if (s.status === 'scheduled') return plannedMs(s, rules);
  if (isOver(s)) return 0;
  return Math.max(0, plannedMs(s, rules) - activeMs(s, now));
}

export function secondsRemaining(s: Session, now: Date, rules: SessionRules): number {
  return Math.ceil(remainingMs(s, now, rules) / 1000);
}

/** Active seconds, capped at the planned duration (what the user used). */
export function activeSeconds(s: Session, now: Date, rules: SessionRules): number {
  return Math.round(Math.min(activeMs(s, now), plannedMs(s, rules)) / 1000);
}

function session(state: SessionState): Session {
  // Events only ever follow a creation event: the store guarantees order per aggregate.
  if (state.status === 'none') throw new Error('session event before the session was created');
  return state;
}

const blank = {
  scheduledAt: null,
  reminder: false,
  reminded: false,
  startedAt: null,
  baselineMood: null,
  reason: '',
  reasonKeyId: '',
  incognito: false,
  phase: null,
  activeMsBefore: 0,
  resumedAt: null,
  forceClosing: false,
  messageCount: 0,
  messageIds: new Set<string>(),
  lastMessageId: null,
  lastCheckpointAnswer: null,
  messageStepDoneFor: 0,
  lastActivityAt: null,
  endedAt: null,
  endReason: null,
  closingMood: null,
  rating: null,
  moodChange: null,
} satisfies Omit<Session, 'status' | 'sessionId' | 'userId' | 'personaId' | 'plannedDurationMinutes' | 'timeMode'>;

export function evolveSession(state: SessionState, event: SessionEvent): SessionState {
  switch (event.type) {
    case 'SessionScheduled': {
      const d = event.data;
      return {
        ...blank,
        status: 'scheduled',
        sessionId: d.sessionId,
        userId: d.userId,
        personaId: d.personaId,
        plannedDurationMinutes: d.plannedDurationMinutes,
        timeMode: timeModeFor(d.plannedDurationMinutes),
        scheduledAt: d.scheduledAt,
        reminder: d.reminder,
      };
    }
    case 'SessionStarted': {
      const d = event.data;
      const before = state.status === 'none' ? blank : state;
      return {
        ...blank,
        scheduledAt: before.scheduledAt,
        reminder: before.reminder,
        reminded: before.reminded,
        status: 'active',
        sessionId: d.sessionId,
        userId: d.userId,
        personaId: d.personaId,
        plannedDurationMinutes: d.plannedDurationMinutes,
        timeMode: d.timeMode,
        startedAt: d.startedAt,
        baselineMood: d.baselineMood,
        reason: d.reason,
        reasonKeyId: d.reasonKeyId,
        incognito: d.incognito,
        phase: 'emotional_baseline',
        resumedAt: d.startedAt,
        lastActivityAt: d.startedAt,
      };
    }
    case 'SessionPaused': {
      const s = session(state);
      const stretch = s.resumedAt === null ? 0 : Math.max(0, event.data.pausedAt.getTime() - s.resumedAt.getTime());
      return { ...s, status: 'paused', activeMsBefore: s.activeMsBefore + stretch, resumedAt: null, lastActivityAt: event.data.pausedAt };
    }
    case 'SessionResumed': {
      const s = session(state);
      return { ...s, status: 'active', resumedAt: event.data.resumedAt, lastActivityAt: event.data.resumedAt };
    }
    case 'PhaseChanged': {
      const s = session(state);
      const byMessage = event.data.trigger === 'user_message' || event.data.trigger === 'checkpoint_answer';
      return { ...s, phase: event.data.to, messageStepDoneFor: byMessage ? s.messageCount : s.messageStepDoneFor };
    }
    case 'UserMessageRecorded': {
      const s = session(state);
      const d = event.data;
      return {
        ...s,
        messageCount: d.messageCount,
        messageIds: new Set([...s.messageIds, d.messageId]),
        lastMessageId: d.messageId,
        lastCheckpointAnswer: d.checkpointAnswer,
        lastActivityAt: d.recordedAt,
      };
    }
    case 'ForceClosingSet':
      return { ...session(state), forceClosing: true };
    case 'SessionEnded': {
      const s = session(state);
      const d = event.data;
      const stretch = s.status === 'active' && s.resumedAt !== null ? Math.max(0, d.endedAt.getTime() - s.resumedAt.getTime()) : 0;
      return {
        ...s,
        status: d.reason === 'cancelled' ? 'cancelled' : 'completed',
        phase: 'ended',
        activeMsBefore: s.activeMsBefore + stretch,
        resumedAt: null,
        endedAt: d.endedAt,
        endReason: d.reason,
        closingMood: d.closingMood,
        rating: d.rating,
        moodChange: d.moodChange,
      };
    }
    case 'SessionReminderDue':
      return { ...session(state), reminded: true };
    case 'SessionCancelled': {
      const s = session(state);
      return { ...s, status: 'cancelled', endedAt: event.data.cancelledAt, endReason: event.data.reason };
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}
