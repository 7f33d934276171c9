import { errors, type ServiceHandlers } from '@haven/platform';
import type { billingV1 } from '@haven/proto';
import type { Balance, Billing } from '../application/billing';
import { planLimitsFromProto, planTableToProto, planToProto, requirePlan } from './mapping';

function balanceToProto(b: Balance): billingV1.GetBalanceResponse {
  return {
    plan: planToProto(b.plan),
    creditsRemaining: b.creditsRemaining,
    messagesToday: b.messagesToday,
    dailyMessageLimit: b.dailyMessageLimit,
    maxMessageLength: b.maxMessageLength,
    creditsUsed: b.creditsUsed,
    trialEndsAt: b.trialEndsAt,
  };
}

/** gRPC edge of billing: proto in, domain calls, proto out. */
export function billingHandlers(billing: Billing): ServiceHandlers<typeof billingV1.BillingServiceService> {
  return {
    authorize: async (req) => {
      const v = await billing.authorize({ userId: req.userId, personaId: req.personaId, messageLength: req.messageLength, messageId: req.messageId });
      return v.allowed
        ? { allowed: true, refusalCode: '', message: '', creditsRemaining: v.creditsRemaining }
        : { allowed: false, refusalCode: v.code, message: v.message, creditsRemaining: v.creditsRemaining };
    },
    getBalance: async (req) => balanceToProto(await billing.balance(req.userId)),
    grantCredits: async (req) => {
      if (req.amount < 1) throw errors.invalidArgument('INVALID_AMOUNT', 'amount must be at least 1', { field: 'amount' });
      if (req.grantId === '') throw errors.invalidArgument('GRANT_ID_REQUIRED', 'grant_id (idempotency key) is required', { field: 'grant_id' });
      const creditsRemaining = await billing.grant({ userId: req.userId, amount: req.amount, reason: req.reason, grantedBy: req.grantedBy, grantId: req.grantId });
      return { creditsRemaining };
    },
    getPlanConfig: async () => {
      const { plans, version } = billing.planConfig();
      return { plans: planTableToProto(plans), version };
    },
    updatePlanConfig: async (req) => {
      const { plans, version } = await billing.updatePlanConfig(
        req.plans.map((p, i) => planLimitsFromProto(p, `plans[${i}]`)),
        req.updatedBy,
      );
      return { plans: planTableToProto(plans), version };
    },
    setPlan: async (req) => ({
      balance: balanceToProto(await billing.setPlan({ userId: req.userId, plan: requirePlan(req.plan, 'plan'), changedBy: req.changedBy, trialDays: req.trialDays })),
    }),
    checkSessionStart: async (req) => {
      const v = await billing.checkSessionStart({ userId: req.userId, personaId: req.personaId, durationMinutes: req.durationMinutes });
      return v.allowed
        ? { allowed: true, refusalCode: '', message: '', creditsRemaining: v.creditsRemaining }
        : { allowed: false, refusalCode: v.code, message: v.message, creditsRemaining: v.creditsRemaining };
    },
  };
}
