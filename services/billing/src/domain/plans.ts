import { errors } from '@haven/platform';

/** Plan limits. DEFAULT_PLANS apply until an admin stores a plan table (plan-config aggregate). */
export type PlanName = 'free' | 'trial' | 'paid';
export const PLAN_NAMES: readonly PlanName[] = ['free', 'trial', 'paid'];

export interface PlanLimits {
  plan: PlanName;
  dailyMessageLimit: number;
  maxMessageLength: number;
  /** Persona ids the plan may use; 'all' for every persona. */
  personas: readonly string[] | 'all';
  sessionLengthsMinutes: readonly number[];
  monthlyCreditGrant: number;
  priceCents: number;
}

export type PlanTable = Readonly<Record<PlanName, PlanLimits>>;

export const FREE_PERSONAS = ['alex', 'sarah', 'michael'] as const;

export const DEFAULT_PLANS: PlanTable = {
  free: { plan: 'free', dailyMessageLimit: 20, maxMessageLength: 250, personas: FREE_PERSONAS, sessionLengthsMinutes: [5, 10, 15, 20], monthlyCreditGrant: 60, priceCents: 0 },
  trial: { plan: 'trial', dailyMessageLimit: 500, maxMessageLength: 2000, personas: 'all', sessionLengthsMinutes: [5, 10, 15, 20, 30, 40, 45, 50, 60], monthlyCreditGrant: 300, priceCents: 0 },
  paid: { plan: 'paid', dailyMessageLimit: 500, maxMessageLength: 2000, personas: 'all', sessionLengthsMinutes: [5, 10, 15, 20, 30, 40, 45, 50, 60], monthlyCreditGrant: 600, priceCents: 1999 },
};

export const PLAN_LABEL: Readonly<Record<PlanName, string>> = { free: 'Free', trial: 'Trial', paid: 'Premium' };

/** The plan whose limits apply now: a trial past its end date falls back to free. */
export function effectivePlan(plan: PlanName, trialEndsAt: Date | undefined, now: Date): PlanName {
  if (plan === 'trial' && (trialEndsAt === undefined || now.getTime() >= trialEndsAt.getTime())) return 'free';
  return plan;
}

export function personaAllowed(limits: PlanLimits, personaId: string): boolean {
  return limits.personas === 'all' || limits.personas.includes(personaId);
}

const PERSONA_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BOUNDS = {
  dailyMessageLimit: [0, 1_000_000],
  maxMessageLength: [1, 100_000],
  monthlyCreditGrant: [0, 1_000_000],
  priceCents: [0, 100_000_000],
} as const;

/**
 * Checks a whole plan table an admin submitted; throws InvalidArgument naming the first bad
 * field (e.g. `plans.free.maxMessageLength`), so nothing half-valid is ever stored.
 */
export function validatePlanTable(plans: readonly PlanLimits[]): PlanTable {
  const byName = new Map<PlanName, PlanLimits>();
  for (const p of plans) {
    if (!PLAN_NAMES.includes(p.plan)) throw errors.invalidArgument('INVALID_PLAN_CONFIG', `plans: unknown plan ${JSON.stringify(p.plan)}`, { field: 'plans' });
    if (byName.has(p.plan)) throw errors.invalidArgument('INVALID_PLAN_CONFIG', `plans.${p.plan}: listed twice`, { field: `plans.${p.plan}` });
    byName.set(p.plan, p);
  }
  const table = {} as Record<PlanName, PlanLimits>;
  for (const name of PLAN_NAMES) {
    const p = byName.get(name);
    if (p === undefined) throw errors.invalidArgument('INVALID_PLAN_CONFIG', `plans.${name}: missing (the table needs free, trial and paid)`, { field: `plans.${name}` });
    const bad = (field: string, why: string) =>
      errors.invalidArgument('INVALID_PLAN_CONFIG', `plans.${name}.${field}: ${why}`, { field: `plans.${name}.${field}` });
    for (const [field, [min, max]] of Object.entries(BOUNDS)) {
      const v = p[field as keyof typeof BOUNDS];
      if (!Number.isInteger(v) || v < min || v > max) throw bad(field, `must be an integer from ${min} to ${max}`);
    }
    if (p.personas !== 'all') {
      if (p.personas.length === 0) throw bad('personas', 'list at least one persona or allow all');
      const wrong = p.personas.find((id) => !PERSONA_ID.test(id));
      if (wrong !== undefined) throw bad('personas', `${JSON.stringify(wrong)} is not a persona id`);
    }
    if (p.sessionLengthsMinutes.length === 0) throw bad('sessionLengthsMinutes', 'list at least one length');
    if (p.sessionLengthsMinutes.some((m) => !Number.isInteger(m) || m < 1 || m > 240)) throw bad('sessionLengthsMinutes', 'lengths are whole minutes from 1 to 240');
    table[name] = {
      ...p,
      personas: p.personas === 'all' ? 'all' : [...new Set(p.personas)],
      sessionLengthsMinutes: [...new Set(p.sessionLengthsMinutes)].sort((a, b) => a - b),
    };
  }
  return table;
}
