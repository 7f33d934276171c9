import type { Decider } from '@haven/eventstore';
import { errors } from '@haven/platform';
import type { PlanName, PlanTable } from './plans';

/**
 * The credit ledger of one account (subject billing.evt.account-<userId>). Every change is an
 * event; the balance is a fold. Grants are idempotent by grantId, debits by (sessionId, minute),
 * refunds by refundId, so retried or raced commands decide nothing new.
 */
export type AccountEvent =
  | { type: 'CreditsGranted'; data: { userId: string; amount: number; reason: string; grantId: string; grantedBy: string } }
  | { type: 'CreditsDebited'; data: { userId: string; sessionId: string; minute: number; amount: number } }
  | { type: 'CreditsRefunded'; data: { userId: string; sessionId: string; amount: number; reason: string; refundId: string } }
  | { type: 'PlanChanged'; data: { userId: string; from: PlanName; to: PlanName; changedBy: string; trialEndsAt: Date | undefined } };

export interface AccountState {
  readonly opened: boolean;
  readonly plan: PlanName;
  readonly trialEndsAt: Date | undefined;
  readonly balance: number;
  readonly granted: number;
  readonly used: number;
  readonly grantIds: ReadonlySet<string>;
  readonly refundIds: ReadonlySet<string>;
  /** Minutes debited per session. */
  readonly debited: ReadonlyMap<string, ReadonlySet<number>>;
}

export const initialAccountState = (): AccountState => ({
  opened: false,
  plan: 'free',
  trialEndsAt: undefined,
  balance: 0,
  granted: 0,
  used: 0,
  grantIds: new Set(),
  refundIds: new Set(),
  debited: new Map(),
});

export type AccountCommand =
  | { type: 'GrantCredits'; data: { userId: string; amount: number; reason: string; grantId: string; grantedBy: string } }
  /** Debits every minute 1..throughMinute of the session not debited yet (a tick, or the settlement at the end). */
  | { type: 'DebitSessionMinutes'; data: { userId: string; sessionId: string; throughMinute: number } }
  | { type: 'RefundCredits'; data: { userId: string; sessionId: string; amount: number; reason: string; refundId: string } }
  | { type: 'ChangePlan'; data: { userId: string; to: PlanName; changedBy: string; trialEndsAt: Date | undefined } }
  /** Grants the plan's monthly credits for `period` (YYYY-MM) once; not in the month of sign-up. */
  | { type: 'GrantMonthlyCredits'; data: { userId: string; period: string; plans: PlanTable; now: Date } };

/**
 * The sign-up grant is the first month's grant (reason 'signup', id of the month the user
 * registered in): a redelivered UserRegistered, even months later, finds it, and no second
 * monthly grant follows in that month.
 */
export const monthlyGrantId = (period: string): string => `monthly-${period}`;
/** `YYYY-MM` of a UTC instant. */
export const utcMonth = (d: Date): string => d.toISOString().slice(0, 7);

export function sessionMinutesDebited(state: AccountState, sessionId: string): number {
  return state.debited.get(sessionId)?.size ?? 0;
}

export function evolveAccount(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'CreditsGranted': {
      const grantIds = new Set(state.grantIds).add(event.data.grantId);
      return { ...state, opened: true, grantIds, balance: state.balance + event.data.amount, granted: state.granted + event.data.amount };
    }
    case 'CreditsDebited': {
      const minutes = new Set(state.debited.get(event.data.sessionId) ?? []).add(event.data.minute);
      const debited = new Map(state.debited).set(event.data.sessionId, minutes);
      return { ...state, opened: true, debited, balance: state.balance - event.data.amount, used: state.used + event.data.amount };
    }
    case 'CreditsRefunded': {
      const refundIds = new Set(state.refundIds).add(event.data.refundId);
      return { ...state, opened: true, refundIds, balance: state.balance + event.data.amount, used: state.used - event.data.amount };
    }
    case 'PlanChanged':
      return { ...state, opened: true, plan: event.data.to, trialEndsAt: event.data.trialEndsAt };
    default: {
      const never: never = event;
      return never;
    }
  }
}

export function decideAccount(command: AccountCommand, state: AccountState): AccountEvent[] {
  switch (command.type) {
    case 'GrantCredits': {
      const d = command.data;
      if (!Number.isInteger(d.amount) || d.amount < 1) throw errors.invalidArgument('INVALID_AMOUNT', 'a grant is a whole number of credits, at least 1');
      if (d.grantId === '') throw errors.invalidArgument('GRANT_ID_REQUIRED', 'a grant needs an idempotency key (grantId)');
      if (state.grantIds.has(d.grantId)) return [];
      return [{ type: 'CreditsGranted', data: { ...d } }];
    }
    case 'DebitSessionMinutes': {
      const { userId, sessionId, throughMinute } = command.data;
      if (!Number.isInteger(throughMinute) || throughMinute < 0) throw errors.invalidArgument('INVALID_MINUTE', 'minutes are counted from 1');
      const done = state.debited.get(sessionId);
      const events: AccountEvent[] = [];
      for (let minute = 1; minute <= throughMinute; minute += 1) {
        if (!done?.has(minute)) events.push({ type: 'CreditsDebited', data: { userId, sessionId, minute, amount: 1 } });
      }
      return events;
    }
    case 'RefundCredits': {
      const d = command.data;
      if (!Number.isInteger(d.amount) || d.amount < 1) throw errors.invalidArgument('INVALID_AMOUNT', 'a refund is a whole number of credits, at least 1');
      if (state.refundIds.has(d.refundId)) return [];
      if (d.amount > sessionMinutesDebited(state, d.sessionId)) {
        throw errors.failedPrecondition('REFUND_EXCEEDS_DEBITS', 'a refund cannot exceed what the session was charged');
      }
      return [{ type: 'CreditsRefunded', data: { ...d } }];
    }
    case 'ChangePlan': {
      const d = command.data;
      if (!state.opened) throw errors.notFound('ACCOUNT_NOT_FOUND', 'no billing account for this user');
      if (d.to === 'trial' && d.trialEndsAt === undefined) throw errors.invalidArgument('TRIAL_END_REQUIRED', 'a trial needs an end date');
      const sameTrial = d.to === 'trial' && state.trialEndsAt?.getTime() === d.trialEndsAt?.getTime();
      if (state.plan === d.to && (d.to !== 'trial' || sameTrial)) return [];
      return [{ type: 'PlanChanged', data: { userId: d.userId, from: state.plan, to: d.to, changedBy: d.changedBy, trialEndsAt: d.to === 'trial' ? d.trialEndsAt : undefined } }];
    }
    case 'GrantMonthlyCredits': {
      const { userId, period, plans, now } = command.data;
      const grantId = monthlyGrantId(period);
      // Accounts are opened by the sign-up grant; before it there is nobody to grant to.
      if (!state.opened || state.grantIds.has(grantId)) return [];
      const plan = state.plan === 'trial' && (state.trialEndsAt === undefined || now >= state.trialEndsAt) ? 'free' : state.plan;
      const amount = plans[plan].monthlyCreditGrant;
      if (amount < 1) return [];
      return [{ type: 'CreditsGranted', data: { userId, amount, reason: 'monthly', grantId, grantedBy: 'system' } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}

export const accountDecider: Decider<AccountCommand, AccountEvent, AccountState> = {
  initialState: initialAccountState,
  evolve: evolveAccount,
  decide: decideAccount,
};
