import { describe, expect, it } from 'vitest';
import { framesFor } from '../src/application/live-frames';
import type { SessionEvent } from '../src/domain/events';
import { evolveSession, initialSessionState, type Session } from '../src/domain/session';

const rules = { secondsPerMinute: 60, idleMinutes: 30, reminderLeadMinutes: 15 };
const t0 = Date.parse('2030-03-01T10:00:00.000Z');
const started: SessionEvent = {
  type: 'SessionStarted',
  data: { sessionId: 's', userId: 'u', personaId: 'p', plannedDurationMinutes: 20, baselineMood: 2, reason: '', reasonKeyId: '', incognito: false, timeMode: 'standard', startedAt: new Date(t0) },
};

describe('live frames', () => {
  it('phase changes, the 5- and 3-minute warnings and the end, in event order', () => {
    const events: SessionEvent[] = [
      { type: 'PhaseChanged', data: { sessionId: 's', from: 'exploration', to: 'closing', trigger: 'time' } },
      { type: 'ForceClosingSet', data: { sessionId: 's', secondsRemaining: 180 } },
    ];
    const state = [started, ...events].reduce(evolveSession, initialSessionState()) as Session;
    const frames = framesFor(events, state, new Date(t0 + 17 * 60_000), rules);
    expect(frames).toEqual([
      { type: 'phase_changed', phase: 'closing' },
      { type: 'session_warning', kind: 'time_running_out', message: 'About 3 minutes left: time to start wrapping up.', secondsRemaining: 180 },
      { type: 'session_warning', kind: 'force_closing', message: '3 minutes or less left: the session is closing now.', secondsRemaining: 180 },
    ]);
    const ended: SessionEvent = {
      type: 'SessionEnded',
      data: { sessionId: 's', reason: 'safety', closingMood: null, rating: null, actualDurationSeconds: 60, moodChange: null, endedAt: new Date(t0 + 60_000) },
    };
    expect(framesFor([ended], state, new Date(t0), rules)).toEqual([{ type: 'session_ended', reason: 'safety' }]);
  });

  it('no warning for a phase change that is not the clock', () => {
    const e: SessionEvent = { type: 'PhaseChanged', data: { sessionId: 's', from: 'emotional_baseline', to: 'agenda', trigger: 'user_message' } };
    const state = [started, e].reduce(evolveSession, initialSessionState()) as Session;
    expect(framesFor([e], state, new Date(t0), rules)).toEqual([{ type: 'phase_changed', phase: 'agenda' }]);
  });

  it('a due reminder becomes a session_reminder frame with the minutes left (for the user channel)', () => {
    const scheduledAt = new Date(t0 + 15 * 60_000);
    const scheduled: SessionEvent = { type: 'SessionScheduled', data: { sessionId: 's', userId: 'u', personaId: 'p', scheduledAt, plannedDurationMinutes: 20, reminder: true } };
    const due: SessionEvent = { type: 'SessionReminderDue', data: { sessionId: 's', userId: 'u', scheduledAt } };
    const state = [scheduled, due].reduce(evolveSession, initialSessionState()) as Session;
    expect(framesFor([due], state, new Date(t0), rules)).toEqual([
      { type: 'session_reminder', sessionId: 's', personaId: 'p', scheduledAt: scheduledAt.toISOString(), message: 'Your session starts in about 15 minutes.' },
    ]);
    expect(framesFor([due], state, scheduledAt, rules)[0]).toMatchObject({ message: 'Your session is starting now.' });
  });
});
