import { errors } from '@haven/platform';
import { billingV1 } from '@haven/proto';
import type { PlanLimits, PlanName, PlanTable } from '../domain/plans';
import { PLAN_NAMES } from '../domain/plans';

const PLAN_TO_PROTO: Record<PlanName, billingV1.Plan> = {
  free: billingV1.Plan.PLAN_FREE,
  trial: billingV1.Plan.PLAN_TRIAL,
  paid: billingV1.Plan.PLAN_PAID,
};
const PROTO_TO_PLAN = new Map<billingV1.Plan, PlanName>(PLAN_NAMES.map((p) => [PLAN_TO_PROTO[p], p]));

export const planToProto = (p: PlanName): billingV1.Plan => PLAN_TO_PROTO[p];

/** Undefined for PLAN_UNSPECIFIED or numbers this build does not know. */
export const planFromProto = (p: billingV1.Plan): PlanName | undefined => PROTO_TO_PLAN.get(p);

export function requirePlan(p: billingV1.Plan, field: string): PlanName {
  const plan = planFromProto(p);
  if (plan === undefined) throw errors.invalidArgument('INVALID_PLAN', `${field}: must be PLAN_FREE, PLAN_TRIAL or PLAN_PAID`, { field });
  return plan;
}

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

export function planLimitsFromProto(p: billingV1.PlanLimits, field = 'plans'): PlanLimits {
  return {
    plan: requirePlan(p.plan, `${field}.plan`),
    dailyMessageLimit: p.dailyMessageLimit,
    maxMessageLength: p.maxMessageLength,
    personas: p.allPersonas ? 'all' : [...p.personaIds],
    sessionLengthsMinutes: [...p.sessionLengthsMinutes],
    monthlyCreditGrant: p.monthlyCreditGrant,
    priceCents: p.priceCents,
  };
}

export const planTableToProto = (t: PlanTable): billingV1.PlanLimits[] => PLAN_NAMES.map((n) => planLimitsToProto(t[n]));
