import { errors } from '@haven/platform';
import { utcMonth, type AccountState } from '../domain/account';
import { dailyCapVerdict, messageVerdict, sessionStartVerdict, utcDay, type Verdict } from '../domain/authorization';
import type { PlanConfigCommand } from '../domain/planConfig';
import { effectivePlan, type PlanLimits, type PlanName, type PlanTable } from '../domain/plans';
import type { BillingMetrics } from '../metrics';
import type { Accounts } from './accounts';
import type { AccountReadModel, AccountView, DailyCounter, PlanConfigSource } from './ports';

export interface Balance {
  plan: PlanName;
  creditsRemaining: number;
  creditsUsed: number;
  messagesToday: number;
  dailyMessageLimit: number;
  maxMessageLength: number;
  trialEndsAt: Date | undefined;
}

export interface BillingDeps {
  accounts: Accounts;
  readModel: AccountReadModel;
  plans: PlanConfigSource;
  daily: DailyCounter;
  metrics: BillingMetrics;
  updatePlanConfig: (command: PlanConfigCommand, now: Date) => Promise<{ plans: PlanTable; version: number }>;
  clock: () => Date;
  trialDays: number;
}

const USER_ID = /^[A-Za-z0-9_-]{1,200}$/;
function requireUserId(userId: string): string {
  if (!USER_ID.test(userId)) throw errors.invalidArgument('INVALID_USER_ID', 'user_id must be 1-200 characters of [A-Za-z0-9_-]', { field: 'user_id' });
  return userId;
}

function viewOf(userId: string, s: AccountState): AccountView {
  return { userId, plan: s.plan, trialEndsAt: s.trialEndsAt, balance: s.balance, used: s.used, lastGrantPeriod: undefined };
}

/** The synchronous questions billing answers: Authorize, GetBalance, session starts, admin changes. */
export class Billing {
  constructor(private readonly deps: BillingDeps) {}

  /**
   * The account as the projection has it; for an account the projection has not seen yet (just
   * registered), the ledger itself. Starts the month's grant when it is due.
   */
  private async account(userId: string, now: Date): Promise<AccountView> {
    const view = (await this.deps.readModel.get(userId)) ?? viewOf(userId, await this.deps.accounts.load(userId));
    const period = utcMonth(now);
    if (view.lastGrantPeriod !== undefined && view.lastGrantPeriod < period) {
      const { state } = await this.deps.accounts.handle(
        { type: 'GrantMonthlyCredits', data: { userId, period, plans: this.deps.plans.current().plans, now } },
        { actor: 'billing', now },
      );
      return viewOf(userId, state);
    }
    return view;
  }

  private limitsFor(view: AccountView, now: Date): PlanLimits {
    return this.deps.plans.current().plans[effectivePlan(view.plan, view.trialEndsAt, now)];
  }

  private count(v: Verdict): Verdict {
    if (!v.allowed) this.deps.metrics.refusals.inc({ code: v.code });
    return v;
  }

  async authorize(req: { userId: string; personaId: string; messageLength: number; messageId: string }): Promise<Verdict & { creditsRemaining: number }> {
    const now = this.deps.clock();
    const userId = requireUserId(req.userId);
    const view = await this.account(userId, now);
    const limits = this.limitsFor(view, now);
    const first = messageVerdict(limits, { messageLength: req.messageLength, personaId: req.personaId, balance: view.balance });
    if (!first.allowed) return { ...this.count(first), creditsRemaining: view.balance };
    const day = utcDay(now);
    const count = await this.deps.daily.increment(userId, day, req.messageId);
    const capped = dailyCapVerdict(limits, count);
    if (!capped.allowed) await this.deps.daily.decrement(userId, day, req.messageId);
    return { ...this.count(capped), creditsRemaining: view.balance };
  }

  async balance(userIdRaw: string): Promise<Balance> {
    const now = this.deps.clock();
    const userId = requireUserId(userIdRaw);
    const view = await this.account(userId, now);
    const limits = this.limitsFor(view, now);
    return {
      plan: limits.plan,
      creditsRemaining: view.balance,
      creditsUsed: view.used,
      messagesToday: await this.deps.daily.get(userId, utcDay(now)),
      dailyMessageLimit: limits.dailyMessageLimit,
      maxMessageLength: limits.maxMessageLength,
      trialEndsAt: view.plan === 'trial' ? view.trialEndsAt : undefined,
    };
  }

  async checkSessionStart(req: { userId: string; personaId: string; durationMinutes: number }): Promise<Verdict & { creditsRemaining: number }> {
    const now = this.deps.clock();
    const view = await this.account(requireUserId(req.userId), now);
    const verdict = sessionStartVerdict(this.limitsFor(view, now), { personaId: req.personaId, durationMinutes: req.durationMinutes, balance: view.balance });
    return { ...this.count(verdict), creditsRemaining: view.balance };
  }

  /** Admin or system grant, idempotent by grantId. Admin grants need an open account (404 otherwise). */
  async grant(req: { userId: string; amount: number; reason: string; grantedBy: string; grantId: string }): Promise<number> {
    const now = this.deps.clock();
    const userId = requireUserId(req.userId);
    if (!(await this.deps.accounts.load(userId)).opened) throw errors.notFound('ACCOUNT_NOT_FOUND', 'no billing account for this user');
    const reason = req.reason.trim() || 'admin';
    const { state, appended } = await this.deps.accounts.handle(
      { type: 'GrantCredits', data: { userId, amount: req.amount, reason, grantId: req.grantId, grantedBy: req.grantedBy } },
      { actor: req.grantedBy || 'billing', now },
    );
    for (const e of appended) if (e.type === 'CreditsGranted') this.deps.metrics.creditsGranted.inc({ reason: e.data.reason }, e.data.amount);
    return state.balance;
  }

  async setPlan(req: { userId: string; plan: PlanName; changedBy: string; trialDays: number }): Promise<Balance> {
    const now = this.deps.clock();
    const userId = requireUserId(req.userId);
    const days = req.trialDays > 0 ? req.trialDays : this.deps.trialDays;
    const trialEndsAt = req.plan === 'trial' ? new Date(now.getTime() + days * 86_400_000) : undefined;
    const { state } = await this.deps.accounts.handle(
      { type: 'ChangePlan', data: { userId, to: req.plan, changedBy: req.changedBy, trialEndsAt } },
      { actor: req.changedBy || 'billing', now },
    );
    const limits = this.deps.plans.current().plans[effectivePlan(state.plan, state.trialEndsAt, now)];
    return {
      plan: limits.plan,
      creditsRemaining: state.balance,
      creditsUsed: state.used,
      messagesToday: await this.deps.daily.get(userId, utcDay(now)),
      dailyMessageLimit: limits.dailyMessageLimit,
      maxMessageLength: limits.maxMessageLength,
      trialEndsAt: state.plan === 'trial' ? state.trialEndsAt : undefined,
    };
  }

  planConfig(): { plans: PlanTable; version: number } {
    return this.deps.plans.current();
  }

  updatePlanConfig(plans: readonly PlanLimits[], updatedBy: string): Promise<{ plans: PlanTable; version: number }> {
    return this.deps.updatePlanConfig({ type: 'UpdatePlanConfig', data: { plans, updatedBy } }, this.deps.clock());
  }
}
