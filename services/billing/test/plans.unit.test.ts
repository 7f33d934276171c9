import { DomainError } from '@haven/platform';
import { describe, expect, it } from 'vitest';
import { dailyCapVerdict, messageVerdict, sessionStartVerdict } from '../src/domain/authorization';
import { activeMsAt, evolveMeter, minuteStartsAt, startedMinutes, type MeterState } from '../src/domain/metering';
import { DEFAULT_PLANS, effectivePlan, validatePlanTable, type PlanLimits } from '../src/domain/plans';

const free = DEFAULT_PLANS.free;
const paid = DEFAULT_PLANS.paid;

describe('plan rules', () => {
  it('refuses over-long messages, personas outside the plan and empty balances, with codes and plain words', () => {
    expect(messageVerdict(free, { messageLength: 251, personaId: 'alex', balance: 5 })).toMatchObject({ allowed: false, code: 'MESSAGE_TOO_LONG' });
    expect(messageVerdict(free, { messageLength: 250, personaId: 'alex', balance: 5 })).toEqual({ allowed: true });
    const persona = messageVerdict(free, { messageLength: 10, personaId: 'olivia', balance: 5 });
    expect(persona).toMatchObject({ allowed: false, code: 'PERSONA_NOT_IN_PLAN' });
    expect(persona.allowed ? '' : persona.message).toMatch(/Free plan/);
    expect(messageVerdict(paid, { messageLength: 2000, personaId: 'olivia', balance: 5 })).toEqual({ allowed: true });
    expect(messageVerdict(paid, { messageLength: 10, personaId: 'olivia', balance: 0 })).toMatchObject({ allowed: false, code: 'INSUFFICIENT_CREDITS' });
  });

  it('caps messages per day at the plan limit', () => {
    expect(dailyCapVerdict(free, 20)).toEqual({ allowed: true });
    expect(dailyCapVerdict(free, 21)).toMatchObject({ allowed: false, code: 'DAILY_LIMIT' });
  });

  it('checks session starts: persona, length, credits', () => {
    expect(sessionStartVerdict(free, { personaId: 'alex', durationMinutes: 60, balance: 5 })).toMatchObject({ code: 'SESSION_LENGTH_NOT_IN_PLAN' });
    expect(sessionStartVerdict(free, { personaId: 'olivia', durationMinutes: 10, balance: 5 })).toMatchObject({ code: 'PERSONA_NOT_IN_PLAN' });
    expect(sessionStartVerdict(free, { personaId: 'alex', durationMinutes: 10, balance: 0 })).toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
    expect(sessionStartVerdict(paid, { personaId: 'olivia', durationMinutes: 60, balance: 1 })).toEqual({ allowed: true });
  });

  it('a trial counts until its end date, then falls back to free', () => {
    const end = new Date('2025-03-01T00:00:00Z');
    expect(effectivePlan('trial', end, new Date('2025-02-28T23:59:59Z'))).toBe('trial');
    expect(effectivePlan('trial', end, end)).toBe('free');
    expect(effectivePlan('paid', undefined, end)).toBe('paid');
  });

  it('validates a whole plan table and names the bad field', () => {
    const table = Object.values(DEFAULT_PLANS) as PlanLimits[];
    expect(validatePlanTable(table).free.dailyMessageLimit).toBe(20);
    const bad = table.map((p) => (p.plan === 'paid' ? { ...p, maxMessageLength: 0 } : p));
    expect(() => validatePlanTable(bad)).toThrow(/plans\.paid\.maxMessageLength/);
    expect(() => validatePlanTable(table.slice(0, 2))).toThrow(/plans\.paid: missing/);
    try {
      validatePlanTable(table.map((p) => (p.plan === 'free' ? { ...p, sessionLengthsMinutes: [] } : p)));
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).details).toEqual({ field: 'plans.free.sessionLengthsMinutes' });
    }
  });
});

describe('metering arithmetic', () => {
  const M = 1000;
  const at = (ms: number) => new Date(ms);
  it('counts started minutes of active time (minute 1 at start), pauses excluded', () => {
    let s: MeterState | undefined = evolveMeter(undefined, { type: 'Started', userId: 'u', at: at(0) });
    expect(startedMinutes(activeMsAt(s!, 0), M)).toBe(1);
    expect(startedMinutes(activeMsAt(s!, 1000), M)).toBe(1);
    expect(startedMinutes(activeMsAt(s!, 1001), M)).toBe(2);
    s = evolveMeter(s, { type: 'Paused', at: at(1500) });
    expect(activeMsAt(s!, 99_999)).toBe(1500);
    s = evolveMeter(s, { type: 'Resumed', at: at(5000) });
    expect(minuteStartsAt(s!, 3, M)).toBe(5500);
    s = evolveMeter(s, { type: 'Ended', at: at(5600) });
    expect(s!.status).toBe('ended');
    expect(startedMinutes(s!.activeMsBefore, M)).toBe(3);
  });

  it('ignores a pause while paused and a resume while active', () => {
    const s = evolveMeter(undefined, { type: 'Started', userId: 'u', at: at(0) });
    expect(evolveMeter(s, { type: 'Resumed', at: at(10) })).toEqual(s);
    const p = evolveMeter(s, { type: 'Paused', at: at(20) });
    expect(evolveMeter(p, { type: 'Paused', at: at(30) })).toEqual(p);
  });
});
