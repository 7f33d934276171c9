import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../src/domain/events';
import { sessionCodec } from '../src/infrastructure/codec';

const at = new Date('2030-03-01T10:00:00.000Z');
const info = (type: string) => ({ type: `session.${type}`, payloadType: sessionCodec.payloadType, schemaVersion: 1 });

const samples: SessionEvent[] = [
  { type: 'SessionScheduled', data: { sessionId: 's', userId: 'u', personaId: 'p', scheduledAt: at, plannedDurationMinutes: 45, reminder: true } },
  {
    type: 'SessionStarted',
    data: { sessionId: 's', userId: 'u', personaId: 'p', plannedDurationMinutes: 20, baselineMood: null, reason: 'r', reasonKeyId: 'k', incognito: true, timeMode: 'standard', startedAt: at },
  },
  { type: 'SessionPaused', data: { sessionId: 's', activeSeconds: 61, pausedAt: at } },
  { type: 'SessionResumed', data: { sessionId: 's', resumedAt: at } },
  { type: 'PhaseChanged', data: { sessionId: 's', from: 'checkpoint', to: 'integration', trigger: 'checkpoint_answer' } },
  {
    type: 'SessionEnded',
    data: { sessionId: 's', reason: 'out_of_credits', closingMood: 3, rating: null, actualDurationSeconds: 600, moodChange: 0, endedAt: at },
  },
  { type: 'SessionEnded', data: { sessionId: 's', reason: 'safety', closingMood: null, rating: null, actualDurationSeconds: 1, moodChange: null, endedAt: at } },
  { type: 'UserMessageRecorded', data: { sessionId: 's', messageId: 'm', messageCount: 9, checkpointAnswer: 'worse', recordedAt: at } },
  { type: 'UserMessageRecorded', data: { sessionId: 's', messageId: 'm', messageCount: 1, checkpointAnswer: null, recordedAt: at } },
  { type: 'ForceClosingSet', data: { sessionId: 's', secondsRemaining: 180 } },
  { type: 'SessionReminderDue', data: { sessionId: 's', userId: 'u', scheduledAt: at } },
  { type: 'SessionCancelled', data: { sessionId: 's', reason: 'missed', cancelledAt: at } },
];

describe('session codec', () => {
  it.each(samples.map((e) => [e.type, e] as const))('round-trips %s through haven.session.v1.SessionEvent', (type, event) => {
    expect(sessionCodec.typeOf(event)).toBe(type);
    expect(sessionCodec.decode(sessionCodec.encode(event), info(type))).toEqual(event);
  });

  it('refuses payloads with unknown reasons or missing times instead of guessing', () => {
    const ended = samples[5]!;
    const bytes = sessionCodec.encode({ ...ended, data: { ...ended.data, reason: 'bored' } } as SessionEvent);
    expect(() => sessionCodec.decode(bytes, info('SessionEnded'))).toThrow(/end reason "bored"/);
    const resumed = sessionCodec.encode({ type: 'SessionResumed', data: { sessionId: 's', resumedAt: undefined as unknown as Date } });
    expect(() => sessionCodec.decode(resumed, info('SessionResumed'))).toThrow(/resumedAt is missing/);
  });
});
