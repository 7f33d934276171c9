import { DomainError } from '@haven/platform';
import { describe, expect, it } from 'vitest';
import { accountDecider, sessionMinutesDebited, type AccountCommand, type AccountEvent, type AccountState } from '../src/domain/account';
import { DEFAULT_PLANS } from '../src/domain/plans';

const fold = (events: AccountEvent[]): AccountState => events.reduce(accountDecider.evolve, accountDecider.initialState());
const given = (events: AccountEvent[]) => ({ when: (c: AccountCommand) => accountDecider.decide(c, fold(events)) });
const granted = (amount: number, grantId = 'monthly-2025-01'): AccountEvent => ({ type: 'CreditsGranted', data: { userId: 'u1', amount, reason: 'signup', grantId, grantedBy: 'system' } });
const debited = (sessionId: string, minute: number): AccountEvent => ({ type: 'CreditsDebited', data: { userId: 'u1', sessionId, minute, amount: 1 } });
const debit = (sessionId: string, throughMinute: number): AccountCommand => ({ type: 'DebitSessionMinutes', data: { userId: 'u1', sessionId, throughMinute } });

describe('credit ledger decider', () => {
  it('grants once per grantId', () => {
    const cmd: AccountCommand = { type: 'GrantCredits', data: { userId: 'u1', amount: 5, reason: 'admin', grantId: 'g1', grantedBy: 'admin1' } };
    expect(given([]).when(cmd)).toEqual([{ type: 'CreditsGranted', data: cmd.data }]);
    expect(given([granted(60), { type: 'CreditsGranted', data: { ...cmd.data } }]).when(cmd)).toEqual([]);
  });

  it('refuses grants that are not whole positive amounts', () => {
    const cmd: AccountCommand = { type: 'GrantCredits', data: { userId: 'u1', amount: 0, reason: 'admin', grantId: 'g1', grantedBy: 'a' } };
    expect(() => given([]).when(cmd)).toThrow(DomainError);
  });

  it('debits each started minute exactly once, filling gaps up to the given minute', () => {
    expect(given([granted(60)]).when(debit('s1', 1))).toEqual([debited('s1', 1)]);
    expect(given([granted(60), debited('s1', 1)]).when(debit('s1', 1))).toEqual([]);
    expect(given([granted(60), debited('s1', 1), debited('s1', 3)]).when(debit('s1', 4))).toEqual([debited('s1', 2), debited('s1', 4)]);
    // another session's minutes are independent
    expect(given([granted(60), debited('s1', 1)]).when(debit('s2', 1))).toEqual([debited('s2', 1)]);
  });

  it('folds the balance: grants minus debits plus refunds', () => {
    const s = fold([granted(3), debited('s1', 1), debited('s1', 2), { type: 'CreditsRefunded', data: { userId: 'u1', sessionId: 's1', amount: 1, reason: 'outage', refundId: 'r1' } }]);
    expect(s.balance).toBe(2);
    expect(s.used).toBe(1);
    expect(sessionMinutesDebited(s, 's1')).toBe(2);
  });

  it('lets the balance go below zero for minutes used in the grace period (credits used = started minutes)', () => {
    const s = fold([granted(1), debited('s1', 1), debited('s1', 2)]);
    expect(s.balance).toBe(-1);
  });

  it('refunds once per refundId and never more than the session was charged', () => {
    const refund = (amount: number): AccountCommand => ({ type: 'RefundCredits', data: { userId: 'u1', sessionId: 's1', amount, reason: 'x', refundId: 'r1' } });
    expect(() => given([granted(5), debited('s1', 1)]).when(refund(2))).toThrow(/cannot exceed/);
    const ok = given([granted(5), debited('s1', 1)]).when(refund(1));
    expect(ok).toHaveLength(1);
    expect(given([granted(5), debited('s1', 1), ...ok]).when(refund(1))).toEqual([]);
  });

  it('changes plan only for open accounts, and a trial needs an end', () => {
    const to = (plan: 'paid' | 'trial', trialEndsAt?: Date): AccountCommand => ({ type: 'ChangePlan', data: { userId: 'u1', to: plan, changedBy: 'a', trialEndsAt } });
    expect(() => given([]).when(to('paid'))).toThrow(/no billing account/);
    expect(() => given([granted(1)]).when(to('trial'))).toThrow(/end date/);
    const end = new Date('2025-02-01T00:00:00Z');
    expect(given([granted(1)]).when(to('trial', end))).toEqual([{ type: 'PlanChanged', data: { userId: 'u1', from: 'free', to: 'trial', changedBy: 'a', trialEndsAt: end } }]);
    expect(given([granted(1), { type: 'PlanChanged', data: { userId: 'u1', from: 'free', to: 'paid', changedBy: 'a', trialEndsAt: undefined } }]).when(to('paid'))).toEqual([]);
  });

  it('grants monthly credits once per month, not in the sign-up month, by the effective plan', () => {
    const monthly = (period: string): AccountCommand => ({ type: 'GrantMonthlyCredits', data: { userId: 'u1', period, plans: DEFAULT_PLANS, now: new Date(`${period}-02T00:00:00Z`) } });
    expect(given([]).when(monthly('2025-02'))).toEqual([]);
    expect(given([granted(60, 'monthly-2025-01')]).when(monthly('2025-01'))).toEqual([]);
    const feb = given([granted(60, 'monthly-2025-01')]).when(monthly('2025-02'));
    expect(feb).toEqual([{ type: 'CreditsGranted', data: { userId: 'u1', amount: 60, reason: 'monthly', grantId: 'monthly-2025-02', grantedBy: 'system' } }]);
    const paid: AccountEvent = { type: 'PlanChanged', data: { userId: 'u1', from: 'free', to: 'paid', changedBy: 'a', trialEndsAt: undefined } };
    expect(given([granted(60, 'monthly-2025-01'), paid]).when(monthly('2025-02'))[0]).toMatchObject({ data: { amount: 600 } });
  });
});
