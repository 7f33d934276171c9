/** Plan limits. Defaults here; admins will change them at run time (billing issue). */
export type PlanName = 'free' | 'trial' | 'paid';

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

export const FREE_PERSONAS = ['alex', 'sarah', 'michael'] as const;

export const DEFAULT_PLANS: Readonly<Record<PlanName, PlanLimits>> = {
  free: { plan: 'free', dailyMessageLimit: 20, maxMessageLength: 250, personas: FREE_PERSONAS, sessionLengthsMinutes: [5, 10, 15, 20], monthlyCreditGrant: 60, priceCents: 0 },
  trial: { plan: 'trial', dailyMessageLimit: 500, maxMessageLength: 2000, personas: 'all', sessionLengthsMinutes: [5, 10, 15, 20, 30, 40, 45, 50, 60], monthlyCreditGrant: 300, priceCents: 0 },
  paid: { plan: 'paid', dailyMessageLimit: 500, maxMessageLength: 2000, personas: 'all', sessionLengthsMinutes: [5, 10, 15, 20, 30, 40, 45, 50, 60], monthlyCreditGrant: 600, priceCents: 1999 },
};
