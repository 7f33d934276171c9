import { describe, expect, it } from 'vitest';
import type { SafetyEvent } from '../src/domain/events';
import type { RiskLevel } from '../src/domain/levels';
import { decideSessionSafety, evolveSessionSafety, initialSessionSafety, STEP_DOWN_AFTER, type SessionSafetyCommand, type SessionSafetyState } from '../src/domain/sessionSafety';

let n = 0;
const assess = (level: RiskLevel, messageId = `m${++n}`): SessionSafetyCommand => ({
  type: 'RecordAssessment',
  data: { sessionId: 's1', userId: 'u1', messageId, locale: 'en-GB', level, signals: [level.toLowerCase()], confidence: 0.8, classifier: 'offline', proposedAlertId: `a-${messageId}` },
});

/** given(events).when(command) → then events; returns the state after them too. */
function run(commands: SessionSafetyCommand[]): { state: SessionSafetyState; events: SafetyEvent[][] } {
  let state = initialSessionSafety();
  const events: SafetyEvent[][] = [];
  for (const c of commands) {
    const decided = decideSessionSafety(c, state);
    events.push(decided);
    state = decided.reduce(evolveSessionSafety, state);
  }
  return { state, events };
}
const changes = (evs: SafetyEvent[]) => evs.filter((e) => e.type === 'SafetyStateChanged').map((e) => (e.type === 'SafetyStateChanged' ? `${e.data.from}->${e.data.to}` : ''));

describe('session safety decider', () => {
  it('records every assessment and rises at once', () => {
    const { state, events } = run([assess('NORMAL'), assess('ELEVATED_CONCERN')]);
    expect(events[0]!.map((e) => e.type)).toEqual(['RiskAssessed']);
    expect(changes(events[1]!)).toEqual(['NORMAL->ELEVATED']);
    expect(state.state).toBe('ELEVATED');
  });

  it('HIGH_RISK goes straight to SAFETY_MODE with an alert id', () => {
    const { state, events } = run([assess('WATCH'), assess('HIGH_RISK', 'hr')]);
    expect(changes(events[1]!)).toEqual(['WATCH->SAFETY_MODE']);
    const assessed = events[1]![0]!;
    expect(assessed.type === 'RiskAssessed' && assessed.data.alertId).toBe('a-hr');
    expect(state.openAlertId).toBe('a-hr');
  });

  it('a second HIGH_RISK reuses the open alert instead of proposing a new one', () => {
    const { events } = run([assess('HIGH_RISK', 'first'), assess('HIGH_RISK', 'second')]);
    const second = events[1]![0]!;
    expect(second.type === 'RiskAssessed' && second.data.alertId).toBe('a-first');
    expect(changes(events[1]!)).toEqual([]);
  });

  it(`falls one level only after ${STEP_DOWN_AFTER} consecutive lower assessments`, () => {
    const lower = Array.from({ length: STEP_DOWN_AFTER }, () => assess('NORMAL'));
    const { state, events } = run([assess('ELEVATED_CONCERN'), ...lower]);
    expect(events.slice(1, -1).every((e) => changes(e).length === 0)).toBe(true);
    expect(changes(events[events.length - 1]!)).toEqual(['ELEVATED->WATCH']);
    expect(state.state).toBe('WATCH');
  });

  it('an equal or higher assessment resets the streak', () => {
    const { state } = run([assess('ELEVATED_CONCERN'), assess('NORMAL'), assess('NORMAL'), assess('ELEVATED_CONCERN'), assess('NORMAL'), assess('NORMAL')]);
    expect(state.state).toBe('ELEVATED');
  });

  it('never leaves SAFETY_MODE by assessments', () => {
    const { state } = run([assess('HIGH_RISK'), ...Array.from({ length: 20 }, () => assess('NORMAL'))]);
    expect(state.state).toBe('SAFETY_MODE');
  });

  it('leaves SAFETY_MODE to ELEVATED only when its own alert is resolved', () => {
    const { state: inCrisis } = run([assess('HIGH_RISK', 'x')]);
    expect(decideSessionSafety({ type: 'ReleaseSafetyMode', data: { sessionId: 's1', alertId: 'other' } }, inCrisis)).toEqual([]);
    const released = decideSessionSafety({ type: 'ReleaseSafetyMode', data: { sessionId: 's1', alertId: 'a-x' } }, inCrisis);
    expect(changes(released)).toEqual(['SAFETY_MODE->ELEVATED']);
    const after = released.reduce(evolveSessionSafety, inCrisis);
    expect(after.openAlertId).toBeUndefined();
    // Released twice: nothing more happens.
    expect(decideSessionSafety({ type: 'ReleaseSafetyMode', data: { sessionId: 's1', alertId: 'a-x' } }, after)).toEqual([]);
  });

  it('is idempotent per message id', () => {
    const { events } = run([assess('HIGH_RISK', 'same'), assess('NORMAL', 'same')]);
    expect(events[1]).toEqual([]);
  });

  it('links a replacement alert after a concurrent resolution and returns to SAFETY_MODE', () => {
    const { state: inCrisis } = run([assess('HIGH_RISK', 'y')]);
    const released = decideSessionSafety({ type: 'ReleaseSafetyMode', data: { sessionId: 's1', alertId: 'a-y' } }, inCrisis).reduce(evolveSessionSafety, inCrisis);
    const linked = decideSessionSafety({ type: 'LinkAlert', data: { sessionId: 's1', alertId: 'new', replacedAlertId: 'a-y' } }, released);
    expect(linked.map((e) => e.type)).toEqual(['CrisisAlertLinked', 'SafetyStateChanged']);
    const after = linked.reduce(evolveSessionSafety, released);
    expect(after).toMatchObject({ state: 'SAFETY_MODE', openAlertId: 'new' });
    // Someone else linked first: keep theirs.
    expect(decideSessionSafety({ type: 'LinkAlert', data: { sessionId: 's1', alertId: 'newer', replacedAlertId: 'a-y' } }, after)).toEqual([]);
  });
});
