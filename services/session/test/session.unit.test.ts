import { describe, expect, it } from 'vitest';
import { createSessionDecider, type SessionCommand } from '../src/domain/decide';
import type { CheckpointAnswer, Phase, SessionEvent } from '../src/domain/events';
import { evolveSession, initialSessionState, secondsRemaining, type Session, type SessionRules } from '../src/domain/session';
import { dueTimers } from '../src/domain/timers';
import { deciderSpec } from './decider-spec';

const rules: SessionRules = { secondsPerMinute: 60, idleMinutes: 30, reminderLeadMinutes: 15 };
const decider = createSessionDecider(rules);
const spec = deciderSpec(decider);

const T0 = Date.parse('2030-03-01T10:00:00.000Z');
/** A point in time, `s` seconds after T0. */
const at = (s: number) => new Date(T0 + s * 1000);
const min = (m: number) => m * 60;
const sessionId = 's-1';
const userId = 'u-1';
const meta = (s: number) => ({ now: at(s) });

function started(durationMinutes: number, opts: { baselineMood?: number | null; timeMode?: 'short' | 'standard' | 'extended' } = {}): SessionEvent {
  return {
    type: 'SessionStarted',
    data: {
      sessionId,
      userId,
      personaId: 'alex',
      plannedDurationMinutes: durationMinutes,
      baselineMood: opts.baselineMood === undefined ? 2 : opts.baselineMood,
      reason: 'sealed-stress',
      reasonKeyId: 'k1',
      incognito: false,
      timeMode: opts.timeMode ?? (durationMinutes <= 10 ? 'short' : durationMinutes <= 30 ? 'standard' : 'extended'),
      startedAt: at(0),
    },
  };
}
const startCmd = (durationMinutes: number | null, extra: Partial<Extract<SessionCommand, { type: 'StartSession' }>['data']> = {}): SessionCommand => ({
  type: 'StartSession',
  data: { sessionId, fromSchedule: false, userId, personaId: 'alex', durationMinutes, baselineMood: 2, reason: 'sealed-stress', reasonKeyId: 'k1', incognito: false, ...extra },
  metadata: meta(0),
});
const message = (id: string, s: number, checkpointAnswer: CheckpointAnswer | null = null, user = userId): SessionCommand => ({
  type: 'RecordUserMessage',
  data: { userId: user, messageId: id, checkpointAnswer },
  metadata: meta(s),
});
const tick = (s: number): SessionCommand => ({ type: 'Tick', metadata: meta(s) });
const fold = (events: readonly SessionEvent[]) => events.reduce(evolveSession, initialSessionState());
const live = (events: readonly SessionEvent[]) => fold(events) as Session;

/** Sends user messages one per second (answers by message number) and returns the history and the phase after each. */
function converse(durationMinutes: number, count: number, answers: Record<number, CheckpointAnswer> = {}) {
  const history: SessionEvent[] = [started(durationMinutes)];
  const phases: (Phase | null)[] = [];
  for (let i = 1; i <= count; i++) {
    history.push(...decider.decide(message(`m${i}`, i, answers[i] ?? null), fold(history)));
    phases.push(live(history).phase);
  }
  return { history, phases };
}

describe('session decider: start and schedule', () => {
  it.each([
    [5, 'short'],
    [10, 'short'],
    [11, 'standard'],
    [30, 'standard'],
    [31, 'extended'],
    [60, 'extended'],
  ] as const)('a %i-minute session runs in %s mode, starting in emotional_baseline', (duration, mode) => {
    const [event] = spec.given([]).when(startCmd(duration)).events();
    expect(event).toEqual(started(duration, { timeMode: mode }));
    expect(live([event!]).phase).toBe('emotional_baseline');
  });

  it.each([3, 4, 61, 7.5, 0])('rejects a planned duration of %s minutes', (duration) => {
    spec.given([]).when(startCmd(duration)).thenThrows('INVALID_DURATION');
  });

  it('rejects a baseline mood outside 1–5 and accepts none', () => {
    spec.given([]).when(startCmd(20, { baselineMood: 9 })).thenThrows('INVALID_MOOD');
    spec.given([]).when(startCmd(20, { baselineMood: 0 })).thenThrows('INVALID_MOOD');
    expect(spec.given([]).when(startCmd(20, { baselineMood: null })).events()).toEqual([started(20, { baselineMood: null })]);
  });

  it('refuses to start a session twice', () => {
    spec.given([started(20)]).when(startCmd(20)).thenThrows('SESSION_EXISTS');
  });

  const scheduled: SessionEvent = {
    type: 'SessionScheduled',
    data: { sessionId, userId, personaId: 'sarah', scheduledAt: at(min(60)), plannedDurationMinutes: 45, reminder: true },
  };

  it('schedules in the future only', () => {
    const cmd = (s: number): SessionCommand => ({
      type: 'ScheduleSession',
      data: { sessionId, userId, personaId: 'sarah', scheduledAt: at(s), durationMinutes: 45, reminder: true },
      metadata: meta(0),
    });
    spec.given([]).when(cmd(min(60))).then([scheduled]);
    spec.given([]).when(cmd(0)).thenThrows('SCHEDULED_IN_PAST');
  });

  it('starts a scheduled session with its persona and duration, for its owner only', () => {
    const events = spec.given([scheduled]).when(startCmd(null, { personaId: null, fromSchedule: true })).events();
    expect(events).toEqual([{ ...started(45), data: { ...started(45).data, personaId: 'sarah' } }]);
    const s = live([scheduled, ...events]);
    expect(s).toMatchObject({ status: 'active', scheduledAt: at(min(60)), phase: 'emotional_baseline' });
    spec.given([scheduled]).when(startCmd(null, { userId: 'intruder', fromSchedule: true })).thenThrows('SESSION_NOT_FOUND');
    spec.given([]).when(startCmd(null, { fromSchedule: true })).thenThrows('SESSION_NOT_FOUND');
    spec.given([scheduled]).when(startCmd(20)).thenThrows('SESSION_EXISTS');
  });

  it('reminds once, not before the lead time, and not when no reminder was asked for', () => {
    const remind = (s: number): SessionCommand => ({ type: 'Remind', metadata: meta(s) });
    const due: SessionEvent = { type: 'SessionReminderDue', data: { sessionId, userId, scheduledAt: at(min(60)) } };
    spec.given([scheduled]).when(remind(min(45) - 1)).then([]);
    spec.given([scheduled]).when(remind(min(45))).then([due]);
    spec.given([scheduled, due]).when(remind(min(50))).then([]);
    spec.given([{ ...scheduled, data: { ...scheduled.data, reminder: false } }]).when(remind(min(50))).then([]);
  });

  it('cancels a scheduled session (End or Cancel) and marks a never-started one missed', () => {
    const cancelled: SessionEvent = { type: 'SessionCancelled', data: { sessionId, reason: 'cancelled', cancelledAt: at(10) } };
    spec.given([scheduled]).when({ type: 'CancelSession', data: { userId }, metadata: meta(10) }).then([cancelled]);
    spec
      .given([scheduled])
      .when({ type: 'EndSession', data: { userId, reason: 'completed', closingMood: null, rating: null }, metadata: meta(10) })
      .then([cancelled]);
    spec.given([started(20)]).when({ type: 'CancelSession', data: { userId }, metadata: meta(10) }).thenThrows('SESSION_NOT_SCHEDULED');
    spec.given([scheduled]).when(tick(min(60 + 30) - 1)).then([]);
    spec.given([scheduled]).when(tick(min(60 + 30))).then([{ type: 'SessionCancelled', data: { sessionId, reason: 'missed', cancelledAt: at(min(90)) } }]);
  });
});

describe('session decider: phases from user messages', () => {
  it('short mode: baseline → agenda → exploration → checkpoint at the 3rd message', () => {
    const { phases } = converse(10, 4, { 4: 'better' });
    expect(phases).toEqual(['agenda', 'exploration', 'checkpoint', 'exploration']);
  });

  it('standard mode: checkpoint at the 9th message, not the 8th', () => {
    const { phases } = converse(20, 10, { 10: 'same' });
    expect(phases.slice(0, 8)).toEqual(['agenda', 'exploration', 'exploration', 'exploration', 'exploration', 'exploration', 'exploration', 'exploration']);
    expect(phases[8]).toBe('checkpoint');
    expect(phases[9]).toBe('exploration');
  });

  it('extended mode: checkpoints at the 15th and 25th messages', () => {
    const { phases } = converse(45, 26, { 16: 'better', 26: 'same' });
    const checkpoints = phases.map((p, i) => (p === 'checkpoint' ? i + 1 : 0)).filter(Boolean);
    expect(checkpoints).toEqual([15, 25]);
    expect(phases[15]).toBe('exploration');
  });

  it('a "worse" checkpoint answer moves to integration, which stays until closing', () => {
    const { history, phases } = converse(45, 26, { 16: 'worse' });
    expect(phases[14]).toBe('checkpoint');
    expect(phases.slice(15)).toEqual(Array(11).fill('integration'));
    const change = history.find((e) => e.type === 'PhaseChanged' && e.data.to === 'integration');
    expect(change?.data).toMatchObject({ from: 'checkpoint', trigger: 'checkpoint_answer' });
  });

  it('a checkpoint answered without a recognised answer goes back to exploration', () => {
    const { phases } = converse(10, 4);
    expect(phases[3]).toBe('exploration');
  });

  it('counts each message id once', () => {
    const { history } = converse(20, 2);
    spec.given(history).when(message('m2', 30)).then([]);
    spec.given(history).when(message('m1', 30)).then([]);
    expect(live(history).messageCount).toBe(2);
    const [recorded] = spec.given(history).when(message('m3', 30, 'better')).events();
    expect(recorded).toEqual({
      type: 'UserMessageRecorded',
      data: { sessionId, messageId: 'm3', messageCount: 3, checkpointAnswer: 'better', recordedAt: at(30) },
    });
  });

  it('finishes a phase step an interrupted append left pending, without repeating it', () => {
    const recorded: SessionEvent = { type: 'UserMessageRecorded', data: { sessionId, messageId: 'm1', messageCount: 1, checkpointAnswer: null, recordedAt: at(1) } };
    const step: SessionEvent = { type: 'PhaseChanged', data: { sessionId, from: 'emotional_baseline', to: 'agenda', trigger: 'user_message' } };
    spec.given([started(20), recorded]).when(message('m1', 2)).then([step]);
    spec.given([started(20), recorded, step]).when(message('m1', 2)).then([]);
  });

  it('refuses messages of another user, for paused or ended sessions', () => {
    spec.given([started(20)]).when(message('m1', 1, null, 'intruder')).thenThrows('SESSION_NOT_FOUND');
    spec.given([]).when(message('m1', 1)).thenThrows('SESSION_NOT_FOUND');
    const paused: SessionEvent = { type: 'SessionPaused', data: { sessionId, activeSeconds: 10, pausedAt: at(10) } };
    spec.given([started(20), paused]).when(message('m1', 11)).thenThrows('SESSION_NOT_ACTIVE');
    const endedEvent = decider.decide({ type: 'EndSession', data: { userId, reason: 'completed', closingMood: null, rating: null }, metadata: meta(20) }, fold([started(20)]));
    spec.given([started(20), ...endedEvent]).when(message('m1', 21)).thenThrows('SESSION_ENDED');
  });
});

describe('session decider: time', () => {
  const closing = (from: Phase): SessionEvent => ({ type: 'PhaseChanged', data: { sessionId, from, to: 'closing', trigger: 'time' } });
  const force = (secondsRemaining: number): SessionEvent => ({ type: 'ForceClosingSet', data: { sessionId, secondsRemaining } });
  const end = (s: number, reason: 'completed' | 'expired', activeSeconds: number): SessionEvent => ({
    type: 'SessionEnded',
    data: { sessionId, reason, closingMood: null, rating: null, actualDurationSeconds: activeSeconds, moodChange: null, endedAt: at(s) },
  });

  it.each([5, 10, 20, 45, 60])('a %i-minute session: closing at ≤ 5 min left, force-closing at ≤ 3, completed at 0', (duration) => {
    // Long idle window: these sessions have no messages, and idle expiry is tested on its own.
    const spec = deciderSpec(createSessionDecider({ ...rules, idleMinutes: 120 }));
    const planned = min(duration);
    const s0 = [started(duration)];
    if (duration > 5) spec.given(s0).when(tick(planned - min(5) - 1)).then([]);
    spec.given(s0).when(tick(planned - min(5))).then([closing('emotional_baseline')]);
    const s1 = [...s0, closing('emotional_baseline')];
    spec.given(s1).when(tick(planned - min(3) - 1)).then([]);
    spec.given(s1).when(tick(planned - min(3))).then([force(min(3))]);
    const s2 = [...s1, force(min(3))];
    spec.given(s2).when(tick(planned - 1)).then([]);
    spec.given(s2).when(tick(planned)).then([end(planned, 'completed', planned)]);
    // A late tick catches up everything at once and never repeats it.
    spec.given(s0).when(tick(planned - min(2))).then([closing('emotional_baseline'), force(min(2))]);
    spec.given([...s2, end(planned, 'completed', planned)]).when(tick(planned + 10)).then([]);
  });

  it('paused time does not count and does not trigger closing', () => {
    const pausedAt = min(2);
    const resumedAt = min(20);
    const history: SessionEvent[] = [
      started(20),
      { type: 'SessionPaused', data: { sessionId, activeSeconds: 120, pausedAt: at(pausedAt) } },
    ];
    expect(secondsRemaining(live(history), at(min(19)), rules)).toBe(min(18));
    spec.given(history).when(tick(min(19))).then([]);
    const resumed = spec.given(history).when({ type: 'ResumeSession', data: { userId }, metadata: meta(resumedAt) }).events();
    expect(resumed).toEqual([{ type: 'SessionResumed', data: { sessionId, resumedAt: at(resumedAt) } }]);
    history.push(...resumed);
    // 2 active minutes before the pause: closing after 13 more, not at minute 15 of the wall clock.
    spec.given(history).when(tick(resumedAt + min(13) - 1)).then([]);
    spec.given(history).when(tick(resumedAt + min(13))).then([closing('emotional_baseline')]);
    expect(secondsRemaining(live(history), at(resumedAt + min(10)), rules)).toBe(min(8));
  });

  it('pausing records the active seconds and refuses a second pause; resume needs a paused session', () => {
    const pause = (s: number, user = userId): SessionCommand => ({ type: 'PauseSession', data: { userId: user }, metadata: meta(s) });
    const paused = spec.given([started(20)]).when(pause(90)).events();
    expect(paused).toEqual([{ type: 'SessionPaused', data: { sessionId, activeSeconds: 90, pausedAt: at(90) } }]);
    spec.given([started(20), ...paused]).when(pause(100)).thenThrows('SESSION_NOT_ACTIVE');
    spec.given([started(20)]).when(pause(100, 'intruder')).thenThrows('SESSION_NOT_FOUND');
    spec.given([started(20)]).when({ type: 'ResumeSession', data: { userId }, metadata: meta(100) }).thenThrows('SESSION_NOT_PAUSED');
  });

  it('ends an idle session as expired (30 minutes without activity, paused or not)', () => {
    spec.given([started(60)]).when(tick(min(30) - 1)).then([]);
    spec.given([started(60)]).when(tick(min(30))).then([end(min(30), 'expired', min(30))]);
    const paused: SessionEvent = { type: 'SessionPaused', data: { sessionId, activeSeconds: 60, pausedAt: at(60) } };
    spec.given([started(60), paused]).when(tick(60 + min(30))).then([end(60 + min(30), 'expired', 60)]);
  });

  it('a user message inside the last 5 minutes moves to closing instead of taking a message step', () => {
    const events = spec.given([started(20)]).when(message('m1', min(15) + 1)).events();
    // The clock first: the message then finds the session closing and takes no message step.
    expect(events.map((e) => e.type)).toEqual(['PhaseChanged', 'UserMessageRecorded']);
    expect(events[0]).toEqual(closing('emotional_baseline'));
    const late = spec.given([started(20)]).when(message('m1', min(17) + 30)).events();
    expect(late.map((e) => e.type)).toEqual(['PhaseChanged', 'ForceClosingSet', 'UserMessageRecorded']);
  });

  it('a user message after the time ran out ends the session without counting it', () => {
    spec.given([started(20)]).when(message('m1', min(20))).then([end(min(20), 'completed', min(20))]);
  });
});

describe('session decider: end', () => {
  const endCmd = (data: Partial<Extract<SessionCommand, { type: 'EndSession' }>['data']>, s = min(10)): SessionCommand => ({
    type: 'EndSession',
    data: { userId, reason: 'completed', closingMood: null, rating: null, ...data },
    metadata: meta(s),
  });

  it.each(['completed', 'cancelled', 'out_of_credits', 'safety', 'expired', 'emergency'] as const)('ends with reason %s', (reason) => {
    const events = spec.given([started(20)]).when(endCmd({ reason, closingMood: 4, rating: 5 })).events();
    expect(events).toEqual([
      {
        type: 'SessionEnded',
        data: { sessionId, reason, closingMood: 4, rating: 5, actualDurationSeconds: min(10), moodChange: 2, endedAt: at(min(10)) },
      },
    ]);
    const s = live([started(20), ...events]);
    expect(s.status).toBe(reason === 'cancelled' ? 'cancelled' : 'completed');
    expect(s.phase).toBe('ended');
  });

  it('has no mood change without a baseline, validates moods and ratings, ends once', () => {
    const [e] = spec.given([started(20, { baselineMood: null })]).when(endCmd({ closingMood: 3 })).events();
    expect(e?.type === 'SessionEnded' && e.data.moodChange).toBeNull();
    spec.given([started(20)]).when(endCmd({ closingMood: 9 })).thenThrows('INVALID_MOOD');
    spec.given([started(20)]).when(endCmd({ rating: 6 })).thenThrows('INVALID_RATING');
    spec.given([started(20), ...decider.decide(endCmd({}), fold([started(20)]))]).when(endCmd({})).thenThrows('SESSION_ENDED');
    spec.given([started(20)]).when(endCmd({ userId: 'intruder' })).thenThrows('SESSION_NOT_FOUND');
  });

  it('counts only active time in the actual duration', () => {
    const history: SessionEvent[] = [
      started(20),
      { type: 'SessionPaused', data: { sessionId, activeSeconds: 60, pausedAt: at(60) } },
      { type: 'SessionResumed', data: { sessionId, resumedAt: at(600) } },
    ];
    const [e] = spec.given(history).when(endCmd({}, 660)).events();
    expect(e?.type === 'SessionEnded' && e.data.actualDurationSeconds).toBe(120);
  });
});

describe('due timers', () => {
  it('active: the next threshold; after closing the force mark; after that the end', () => {
    const s0 = [started(20)];
    expect(dueTimers(fold(s0), at(60), rules)).toEqual({ tick: at(min(15)), remind: null });
    const s1: SessionEvent[] = [...s0, { type: 'PhaseChanged', data: { sessionId, from: 'emotional_baseline', to: 'closing', trigger: 'time' } }];
    expect(dueTimers(fold(s1), at(min(15)), rules).tick).toEqual(at(min(17)));
    const s2: SessionEvent[] = [...s1, { type: 'ForceClosingSet', data: { sessionId, secondsRemaining: 180 } }];
    expect(dueTimers(fold(s2), at(min(17)), rules).tick).toEqual(at(min(20)));
  });

  it('paused: only idle expiry; resumed: end timers postponed by the pause', () => {
    const paused: SessionEvent[] = [started(20), { type: 'SessionPaused', data: { sessionId, activeSeconds: 120, pausedAt: at(120) } }];
    expect(dueTimers(fold(paused), at(200), rules).tick).toEqual(at(120 + min(30)));
    const resumed: SessionEvent[] = [...paused, { type: 'SessionResumed', data: { sessionId, resumedAt: at(min(10)) } }];
    expect(dueTimers(fold(resumed), at(min(10)), rules).tick).toEqual(at(min(10) + min(13)));
  });

  it('the idle expiry comes first when it is earlier than the thresholds', () => {
    expect(dueTimers(fold([started(60)]), at(0), rules).tick).toEqual(at(min(30)));
  });

  it('scheduled: reminder at the lead time, missed after the idle window; nothing once over', () => {
    const scheduled: SessionEvent = {
      type: 'SessionScheduled',
      data: { sessionId, userId, personaId: 'sarah', scheduledAt: at(min(60)), plannedDurationMinutes: 45, reminder: true },
    };
    expect(dueTimers(fold([scheduled]), at(0), rules)).toEqual({ tick: at(min(90)), remind: at(min(45)) });
    const cancelled: SessionEvent = { type: 'SessionCancelled', data: { sessionId, reason: 'cancelled', cancelledAt: at(1) } };
    expect(dueTimers(fold([scheduled, cancelled]), at(2), rules)).toEqual({ tick: null, remind: null });
  });
});
