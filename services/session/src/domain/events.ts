/**
 * Session domain events (ADR 0005). Enums are string unions here; the codec maps them to the
 * protobuf enums of haven.session.v1 at the edge. Every event that moves the clock carries its
 * business time, because evolve folds payloads, not envelopes.
 */

export const PHASES = ['emotional_baseline', 'agenda', 'exploration', 'checkpoint', 'integration', 'closing', 'ended'] as const;
export type Phase = (typeof PHASES)[number];

export const TIME_MODES = ['short', 'standard', 'extended'] as const;
export type TimeMode = (typeof TIME_MODES)[number];

export const CHECKPOINT_ANSWERS = ['better', 'same', 'worse'] as const;
export type CheckpointAnswer = (typeof CHECKPOINT_ANSWERS)[number];

export const END_REASONS = ['completed', 'cancelled', 'out_of_credits', 'safety', 'expired', 'emergency'] as const;
export type EndReason = (typeof END_REASONS)[number];

/** Why a scheduled session will not take place: the user cancelled it, or never started it. */
export const CANCEL_REASONS = ['cancelled', 'missed'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

/** What moved the phase: a user message, the answer to a checkpoint, or the clock. */
export const PHASE_TRIGGERS = ['user_message', 'checkpoint_answer', 'time'] as const;
export type PhaseTrigger = (typeof PHASE_TRIGGERS)[number];

export type SessionEvent =
  | {
      type: 'SessionScheduled';
      data: { sessionId: string; userId: string; personaId: string; scheduledAt: Date; plannedDurationMinutes: number; reminder: boolean };
    }
  | {
      type: 'SessionStarted';
      data: {
        sessionId: string;
        userId: string;
        personaId: string;
        plannedDurationMinutes: number;
        baselineMood: number | null;
        /** Sealed with the user's data key reasonKeyId ('' = no reason given). */
        reason: string;
        reasonKeyId: string;
        incognito: boolean;
        timeMode: TimeMode;
        startedAt: Date;
      };
    }
  | { type: 'SessionPaused'; data: { sessionId: string; activeSeconds: number; pausedAt: Date } }
  | { type: 'SessionResumed'; data: { sessionId: string; resumedAt: Date } }
  | { type: 'PhaseChanged'; data: { sessionId: string; from: Phase; to: Phase; trigger: PhaseTrigger } }
  | {
      type: 'SessionEnded';
      data: {
        sessionId: string;
        reason: EndReason;
        closingMood: number | null;
        rating: number | null;
        actualDurationSeconds: number;
        /** closing − baseline mood; null when either is missing. */
        moodChange: number | null;
        endedAt: Date;
      };
    }
  | {
      type: 'UserMessageRecorded';
      data: { sessionId: string; messageId: string; messageCount: number; checkpointAnswer: CheckpointAnswer | null; recordedAt: Date };
    }
  | { type: 'ForceClosingSet'; data: { sessionId: string; secondsRemaining: number } }
  | { type: 'SessionReminderDue'; data: { sessionId: string; userId: string; scheduledAt: Date } }
  | { type: 'SessionCancelled'; data: { sessionId: string; reason: CancelReason; cancelledAt: Date } };

export type SessionEventType = SessionEvent['type'];
