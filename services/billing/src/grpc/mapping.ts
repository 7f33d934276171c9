import { billingV1 } from '@haven/proto';
import type { PlanLimits, PlanName } from '../domain/plans';

const PLAN_TO_PROTO: Record<PlanName, billingV1.Plan> = {
  free: billingV1.Plan.PLAN_FREE,
  trial: billingV1.Plan.PLAN_TRIAL,
  paid: billingV1.Plan.PLAN_PAID,
};

export function planLimitsToProto(p: PlanLimits): billingV1.PlanLimits {
  return {
    plan: PLAN_TO_PROTO[p.plan],
    dailyMessageLimit: p.dailyMessageLimit,
    maxMessageLength: p.maxMessageLength,
    personaIds: p.personas === 'all' ? [] : [...p.personas],
    allPersonas: p.personas === 'all',
    sessionLengthsMinutes: [...p.sessionLengthsMinutes],
    monthlyCreditGrant: p.monthlyCreditGrant,
    priceCents: p.priceCents,
  };
}
