import { DomainError } from '@haven/platform';
import { describe, expect, it } from 'vitest';
import { alertView, decideCrisisAlert, evolveCrisisAlert, initialCrisisAlert, type CrisisAlertCommand, type CrisisAlertState } from '../src/domain/crisisAlert';

const t0 = new Date('2025-01-01T10:00:00Z');
const raise = (messageId: string, signals: string[]): CrisisAlertCommand => ({
  type: 'RaiseAlert',
  data: { alertId: 'a1', sessionId: 's1', userId: 'u1', severity: 'HIGH_RISK', signals, messageId, now: t0 },
});
const ack = (staffId = 'staff1'): CrisisAlertCommand => ({ type: 'AcknowledgeAlert', data: { alertId: 'a1', staffId, now: new Date(t0.getTime() + 30_000) } });
const resolve = (): CrisisAlertCommand => ({ type: 'ResolveAlert', data: { alertId: 'a1', staffId: 'staff1', note: 'called, safe with family', now: new Date(t0.getTime() + 60_000) } });

function apply(state: CrisisAlertState, c: CrisisAlertCommand): CrisisAlertState {
  return decideCrisisAlert(c, state).reduce(evolveCrisisAlert, state);
}
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
  return undefined;
}

describe('crisis alert decider', () => {
  it('raises, acknowledges and resolves', () => {
    let s = apply(initialCrisisAlert(), raise('m1', ['method', 'timeframe_imminent']));
    expect(alertView(s)).toMatchObject({ status: 'open', severity: 'HIGH_RISK', signals: ['method', 'timeframe_imminent'], raisedAt: t0, occurrences: 1 });
    s = apply(s, ack());
    expect(alertView(s)).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'staff1' });
    s = apply(s, resolve());
    expect(alertView(s)).toMatchObject({ status: 'resolved', resolvedBy: 'staff1', note: 'called, safe with family' });
  });

  it('a further HIGH_RISK escalates the open alert with the new signals only', () => {
    const s = apply(initialCrisisAlert(), raise('m1', ['method']));
    const escalation = decideCrisisAlert(raise('m2', ['method', 'goodbye_letter']), s);
    expect(escalation).toEqual([{ type: 'CrisisAlertEscalated', data: { alertId: 'a1', sessionId: 's1', severity: 'HIGH_RISK', addedSignals: ['goodbye_letter'], messageId: 'm2' } }]);
    const after = escalation.reduce(evolveCrisisAlert, s);
    expect(alertView(after)).toMatchObject({ signals: ['method', 'goodbye_letter'], occurrences: 2 });
    // The same message again (retried Assess) changes nothing.
    expect(decideCrisisAlert(raise('m2', ['method']), after)).toEqual([]);
  });

  it('refuses wrong transitions with clear errors', () => {
    expect(codeOf(() => decideCrisisAlert(ack(), initialCrisisAlert()))).toBe('NotFound:ALERT_NOT_FOUND');
    expect(codeOf(() => decideCrisisAlert(resolve(), initialCrisisAlert()))).toBe('NotFound:ALERT_NOT_FOUND');
    const acked = apply(apply(initialCrisisAlert(), raise('m1', ['x'])), ack());
    expect(codeOf(() => decideCrisisAlert(ack('staff2'), acked))).toBe('Conflict:ALERT_ALREADY_ACKNOWLEDGED');
    const resolved = apply(acked, resolve());
    expect(codeOf(() => decideCrisisAlert(resolve(), resolved))).toBe('Conflict:ALERT_ALREADY_RESOLVED');
    expect(codeOf(() => decideCrisisAlert(ack(), resolved))).toBe('Conflict:ALERT_ALREADY_RESOLVED');
    expect(codeOf(() => decideCrisisAlert(raise('m9', ['x']), resolved))).toBe('Conflict:ALERT_ALREADY_RESOLVED');
  });

  it('may be resolved without a separate acknowledgement', () => {
    const s = apply(apply(initialCrisisAlert(), raise('m1', ['x'])), resolve());
    expect(alertView(s)?.status).toBe('resolved');
  });
});
