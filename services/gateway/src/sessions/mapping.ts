import { conversationV1, sessionV1 } from '@haven/proto';

/** Proto → public JSON (API.md) for sessions and messages; enum names come from the generated *ToJSON. */

/** `PHASE_EMOTIONAL_BASELINE` → `emotional_baseline`; unset or unknown values → undefined. */
function enumName(json: string, prefix: string): string | undefined {
  if (!json.startsWith(prefix) || json === `${prefix}UNSPECIFIED`) return undefined;
  return json.slice(prefix.length).toLowerCase();
}

const iso = (d: Date | undefined) => (d && d.getTime() > 0 ? d.toISOString() : null);

export function sessionToJson(s: sessionV1.Session) {
  return {
    id: s.id,
    status: enumName(sessionV1.sessionStatusToJSON(s.status), 'SESSION_STATUS_') ?? 'unknown',
    phase: enumName(sessionV1.phaseToJSON(s.phase), 'PHASE_') ?? null,
    personaId: s.personaId,
    timeMode: enumName(sessionV1.timeModeToJSON(s.timeMode), 'TIME_MODE_') ?? null,
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
    speaker: (enumName(conversationV1.speakerToJSON(m.speaker), 'SPEAKER_') ?? 'system') as 'user' | 'ai' | 'system',
    content: m.content,
    timestamp: iso(m.createdAt),
    ...(m.safetyLevel ? { safetyLevel: m.safetyLevel } : {}),
    ...(m.speaker === conversationV1.Speaker.SPEAKER_AI ? { model: m.model, offline: m.offline } : {}),
    ...(m.clientMessageId ? { clientMessageId: m.clientMessageId } : {}),
  };
}
