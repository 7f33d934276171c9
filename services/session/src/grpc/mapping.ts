import type { sessionV1 } from '@haven/proto';
import type { SessionSummary } from '../application/ports';
import { activeSeconds, minutesToMs, secondsRemaining, type Session, type SessionRules } from '../domain/session';
import { phaseEnum, statusEnum, timeModeEnum } from '../infrastructure/proto-enums';

const orUndefined = (d: Date | null): Date | undefined => d ?? undefined;

/** The aggregate's state as the API's Session; time left is computed for `now`. */
export function sessionToProto(s: Session, version: number, now: Date, rules: SessionRules): sessionV1.Session {
  return {
    id: s.sessionId,
    userId: s.userId,
    personaId: s.personaId,
    status: statusEnum.toProto(s.status),
    phase: s.phase === null ? 0 : phaseEnum.toProto(s.phase),
    plannedDurationMinutes: s.plannedDurationMinutes,
    startedAt: orUndefined(s.startedAt),
    scheduledAt: orUndefined(s.scheduledAt),
    endedAt: orUndefined(s.endedAt),
    baselineMood: s.baselineMood ?? 0,
    closingMood: s.closingMood ?? 0,
    incognito: s.incognito,
    messageCount: s.messageCount,
    endReason: s.endReason ?? '',
    version,
    timeMode: timeModeEnum.toProto(s.timeMode),
    secondsRemaining: secondsRemaining(s, now, rules),
    forceClosing: s.forceClosing,
    reason: s.reason,
    rating: s.rating ?? 0,
    activeSeconds: activeSeconds(s, now, rules),
    reminder: s.reminder,
    moodChange: s.moodChange ?? 0,
  };
}

/** A read-model row as the API's Session (no free-text reason: the list does not carry it). */
export function summaryToProto(s: SessionSummary, now: Date, rules: SessionRules): sessionV1.Session {
  const planned = minutesToMs(s.plannedDuration, rules);
  const runningMs = s.runningSince === null ? 0 : Math.max(0, now.getTime() - s.runningSince.getTime());
  const activeMs = Math.min(planned, s.activeSeconds * 1000 + runningMs);
  const ended = s.status === 'completed' || s.status === 'cancelled';
  return {
    id: s.id,
    userId: s.userId,
    personaId: s.personaId,
    status: statusEnum.toProto(s.status),
    phase: s.phase === null ? 0 : phaseEnum.toProto(s.phase),
    plannedDurationMinutes: s.plannedDuration,
    startedAt: orUndefined(s.startedAt),
    scheduledAt: orUndefined(s.scheduledAt),
    endedAt: orUndefined(s.endedAt),
    baselineMood: s.baselineMood ?? 0,
    closingMood: s.closingMood ?? 0,
    incognito: s.incognito,
    messageCount: s.messageCount,
    endReason: s.endReason ?? '',
    version: s.version,
    timeMode: timeModeEnum.toProto(s.timeMode),
    secondsRemaining: ended ? 0 : Math.ceil((planned - activeMs) / 1000),
    forceClosing: s.forceClosing,
    reason: '',
    rating: s.rating ?? 0,
    activeSeconds: Math.round(activeMs / 1000),
    reminder: s.reminder,
    moodChange: s.moodChange ?? 0,
  };
}
