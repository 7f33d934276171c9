import type { Phase, SessionEvent, TimeMode } from '../domain/events';
import type { SessionStatus } from '../domain/session';

/** The one live (active or paused) session a user may have at a time (ADR 0005). */
/**
 * Seals the client's free-text session reason with their data key (memory.GetDataKey,
 * @haven/platform DataKeyCipher): after erasure it cannot be read.
 */
export interface ReasonCipher {
  encrypt(userId: string, plaintext: string): Promise<{ ciphertext: string; keyId: string }>;
  decrypt(userId: string, sealed: { ciphertext: string; keyId: string }): Promise<string>;
  /** Drops a cached key once the user is erased. */
  forget?(userId: string): void;
}

export interface ActiveSessionClaims {
  /**
   * Claims the user's slot for `sessionId`, provisionally (it lapses on its own if the start
   * never completes). Returns null when claimed, or the id of the session holding the slot.
   */
  claim(userId: string, sessionId: string): Promise<string | null>;
  /** Makes a provisional claim permanent once the session has started. */
  confirm(userId: string, sessionId: string): Promise<void>;
  /** Frees the slot if `sessionId` holds it. */
  release(userId: string, sessionId: string): Promise<void>;
}

/** What a client or the prompt builder needs at a glance; cached, reconstructible from events. */
export interface LiveSnapshot {
  readonly status: SessionStatus;
  readonly phase: Phase | null;
  readonly secondsRemaining: number;
  readonly forceClosing: boolean;
  readonly updatedAt: Date;
}

export interface LiveStateCache {
  write(sessionId: string, snapshot: LiveSnapshot): Promise<void>;
}

export type TimerKind = 'tick' | 'remind';

export interface TimerQueue {
  /** Sets (or with null clears) the one due time of this kind for the session. */
  arm(sessionId: string, kind: TimerKind, at: Date | null): Promise<void>;
  /** Claims up to `limit` timers due at `now`; each is handed to exactly one caller. */
  claimDue(now: Date, limit: number): Promise<{ sessionId: string; kind: TimerKind }[]>;
}

/** Sessions in progress by time mode, for the active-sessions gauge. */
export interface LiveSessionIndex {
  add(sessionId: string, mode: TimeMode): Promise<void>;
  remove(sessionId: string, mode: TimeMode): Promise<void>;
  counts(): Promise<Record<TimeMode, number>>;
}

export type LiveFrame =
  | { type: 'phase_changed'; phase: Phase }
  | { type: 'session_warning'; kind: 'time_running_out' | 'force_closing'; message: string; secondsRemaining: number }
  | { type: 'session_ended'; reason: string }
  /** To the user (not the session): a scheduled session is about to begin. */
  | { type: 'session_reminder'; sessionId: string; personaId: string; scheduledAt: string; message: string };

/** Core NATS `live.session.<id>`: best effort, never events (ADR 0005). */
export interface LiveFramePublisher {
  publish(sessionId: string, frame: LiveFrame): void;
  /** Frames for the user wherever they are connected (`live.user.<userId>`), e.g. reminders. */
  publishToUser(userId: string, frame: LiveFrame): void;
}

/** Domain metrics; called by the replica that appended the events. */
export interface SessionMetrics {
  observe(events: readonly SessionEvent[]): void;
}

export type SessionListFilter = 'history' | 'upcoming' | 'active';

/** One row of the sessions read model (MongoDB `sessions`). */
export interface SessionSummary {
  readonly id: string;
  readonly userId: string;
  readonly personaId: string;
  readonly status: SessionStatus;
  readonly phase: Phase | null;
  readonly plannedDuration: number;
  readonly timeMode: TimeMode;
  readonly startedAt: Date | null;
  readonly scheduledAt: Date | null;
  readonly endedAt: Date | null;
  readonly endReason: string | null;
  readonly baselineMood: number | null;
  readonly closingMood: number | null;
  readonly moodChange: number | null;
  readonly rating: number | null;
  readonly messageCount: number;
  readonly incognito: boolean;
  /** Active seconds banked at the last pause or the end. */
  readonly activeSeconds: number;
  /** Start of the running active stretch (null unless active), to compute time left at read time. */
  readonly runningSince: Date | null;
  readonly forceClosing: boolean;
  readonly reminder: boolean;
  readonly version: number;
}

export interface SessionListQuery {
  readonly userId: string;
  readonly filter: SessionListFilter;
  /** Opaque, from a previous page's nextCursor. */
  readonly cursor: string | null;
  readonly limit: number;
  readonly now: Date;
}

/** The admin sessions browser: every user's sessions, newest first; null filters match anything. */
export interface AllSessionsQuery {
  readonly personaId: string | null;
  readonly userId: string | null;
  readonly status: SessionStatus | null;
  /** Inclusive bound on when the session takes place (its start, else its scheduled time). */
  readonly from: Date | null;
  /** Exclusive bound, as `from`. */
  readonly to: Date | null;
  /** Opaque, from a previous page's nextCursor. */
  readonly cursor: string | null;
  readonly limit: number;
}

export interface SessionsReadModel {
  list(query: SessionListQuery): Promise<{ sessions: SessionSummary[]; nextCursor: string | null }>;
  listAll(query: AllSessionsQuery): Promise<{ sessions: SessionSummary[]; nextCursor: string | null }>;
  /** Sessions per user (all, and completed), for the given users only. */
  countByUser(userIds: readonly string[]): Promise<Map<string, { total: number; completed: number }>>;
}
