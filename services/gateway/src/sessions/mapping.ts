import { conversationV1, sessionV1 } from '@haven/proto';

/** Proto ⇄ public JSON (API.md) for sessions and messages; the only place enum numbers become names. */
const STATUS: Record<number, string> = {
  [sessionV1.SessionStatus.SESSION_STATUS_SCHEDULED]: 'scheduled',
  [sessionV1.SessionStatus.SESSION_STATUS_ACTIVE]: 'active',
  [sessionV1.SessionStatus.SESSION_STATUS_PAUSED]: 'paused',
  [sessionV1.SessionStatus.SESSION_STATUS_COMPLETED]: 'completed',
  [sessionV1.SessionStatus.SESSION_STATUS_CANCELLED]: 'cancelled',
};
const PHASE: Record<number, string> = {
  [sessionV1.Phase.PHASE_EMOTIONAL_BASELINE]: 'emotional_baseline',
  [sessionV1.Phase.PHASE_AGENDA]: 'agenda',
  [sessionV1.Phase.PHASE_EXPLORATION]: 'exploration',
  [sessionV1.Phase.PHASE_CHECKPOINT]: 'checkpoint',
  [sessionV1.Phase.PHASE_INTEGRATION]: 'integration',
  [sessionV1.Phase.PHASE_CLOSING]: 'closing',
  [sessionV1.Phase.PHASE_ENDED]: 'ended',
};
const TIME_MODE: Record<number, string> = {
  [sessionV1.TimeMode.TIME_MODE_SHORT]: 'short',
  [sessionV1.TimeMode.TIME_MODE_STANDARD]: 'standard',
  [sessionV1.TimeMode.TIME_MODE_EXTENDED]: 'extended',
};
const SPEAKER: Record<number, 'user' | 'ai' | 'system'> = {
  [conversationV1.Speaker.SPEAKER_USER]: 'user',
  [conversationV1.Speaker.SPEAKER_AI]: 'ai',
  [conversationV1.Speaker.SPEAKER_SYSTEM]: 'system',
};

const iso = (d: Date | undefined) => (d && d.getTime() > 0 ? d.toISOString() : null);

export function sessionToJson(s: sessionV1.Session) {
  return {
    id: s.id,
    status: STATUS[s.status] ?? 'unknown',
    phase: PHASE[s.phase] ?? null,
    personaId: s.personaId,
    timeMode: TIME_MODE[s.timeMode] ?? null,
    plannedDuration: s.plannedDurationMinutes,
    startedAt: iso(s.startedAt),
    scheduledAt: iso(s.scheduledAt),
    endedAt: iso(s.endedAt),
    secondsRemaining: s.secondsRemaining,
    forceClosing: s.forceClosing,
    messageCount: s.messageCount,
    baselineMood: s.baselineMood || null,
    closingMood: s.closingMood || null,
    moodChange: s.baselineMood && s.closingMood ? s.moodChange : null,
    rating: s.rating || null,
    incognito: s.incognito,
    endReason: s.endReason || null,
    actualDuration: s.activeSeconds ? Math.round(s.activeSeconds / 60) : null,
    activeSeconds: s.activeSeconds,
  };
}

export function messageToJson(m: conversationV1.Message) {
  return {
    id: m.id,
    sessionId: m.sessionId,
    speaker: SPEAKER[m.speaker] ?? 'system',
    content: m.content,
    timestamp: iso(m.createdAt),
    ...(m.safetyLevel ? { safetyLevel: m.safetyLevel } : {}),
    ...(m.speaker === conversationV1.Speaker.SPEAKER_AI ? { model: m.model, offline: m.offline } : {}),
    ...(m.clientMessageId ? { clientMessageId: m.clientMessageId } : {}),
  };
}
