import { randomUUID } from 'node:crypto';
import { DomainError, errors } from '@haven/platform';
import { billingV1 } from '@haven/proto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { authenticate, type AuthDeps } from '../http/auth';
import { ErrorResponse } from '../http/schemas';
import type { Upstreams } from '../upstreams';

const err = Type.Ref(ErrorResponse);
type PlanName = 'free' | 'trial' | 'paid';
const PLAN_NAMES: readonly PlanName[] = ['free', 'trial', 'paid'];
const PLAN_TO_PROTO: Record<PlanName, billingV1.Plan> = { free: billingV1.Plan.PLAN_FREE, trial: billingV1.Plan.PLAN_TRIAL, paid: billingV1.Plan.PLAN_PAID };
const planName = (p: billingV1.Plan): PlanName => PLAN_NAMES.find((n) => PLAN_TO_PROTO[n] === p) ?? 'free';

const PlanName = Type.Union([Type.Literal('free'), Type.Literal('trial'), Type.Literal('paid')]);
const Count = (max: number, description: string) => Type.Integer({ minimum: 0, maximum: max, description });
const PlanLimits = Type.Object(
  {
    dailyMessageLimit: Count(1_000_000, 'messages per UTC day'),
    maxMessageLength: Type.Integer({ minimum: 1, maximum: 100_000, description: 'characters per message' }),
    personas: Type.Union([Type.Literal('all'), Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), { minItems: 1, maxItems: 200, uniqueItems: true })], {
      description: '"all" or the persona ids the plan may use',
    }),
    sessionLengthsMinutes: Type.Array(Type.Integer({ minimum: 1, maximum: 240 }), { minItems: 1, maxItems: 50, uniqueItems: true }),
    monthlyCreditGrant: Count(1_000_000, 'credits granted each month (1 credit = 1 minute)'),
    priceCents: Count(100_000_000, 'monthly price in cents'),
  },
  { additionalProperties: false },
);
type PlanLimits = Static<typeof PlanLimits>;
const PlanTable = Type.Object({ free: PlanLimits, trial: PlanLimits, paid: PlanLimits }, { additionalProperties: false });
const ConfigBody = Type.Object({ plans: PlanTable }, { additionalProperties: false });
type ConfigBody = Static<typeof ConfigBody>;
const ConfigResponse = Type.Object({ plans: PlanTable, version: Type.Integer() });

const Credits = Type.Object({
  plan: PlanName,
  creditsRemaining: Type.Integer(),
  messagesToday: Type.Integer(),
  dailyMessageLimit: Type.Integer(),
  maxMessageLength: Type.Integer(),
});

const UserParams = Type.Object({ id: Type.String() });
type UserParams = Static<typeof UserParams>;
const PatchUserBody = Type.Object(
  {
    plan: Type.Optional(PlanName),
    grantCredits: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    trialDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'with plan "trial"; default from billing config' })),
    reason: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
type PatchUserBody = Static<typeof PatchUserBody>;
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,100}$' })) });

function limitsToJson(p: billingV1.PlanLimits): PlanLimits {
  return {
    dailyMessageLimit: p.dailyMessageLimit,
    maxMessageLength: p.maxMessageLength,
    personas: p.allPersonas ? 'all' : p.personaIds,
    sessionLengthsMinutes: p.sessionLengthsMinutes,
    monthlyCreditGrant: p.monthlyCreditGrant,
    priceCents: p.priceCents,
  };
}

function tableToJson(plans: billingV1.PlanLimits[], version: number): Static<typeof ConfigResponse> {
  const byName = new Map(plans.map((p) => [planName(p.plan), limitsToJson(p)]));
  const get = (n: PlanName) => {
    const l = byName.get(n);
    if (!l) throw errors.unavailable('PLAN_CONFIG_INCOMPLETE', `billing returned no limits for plan ${n}`);
    return l;
  };
  return { plans: { free: get('free'), trial: get('trial'), paid: get('paid') }, version };
}

function limitsToProto(plan: PlanName, l: PlanLimits): billingV1.PlanLimits {
  return {
    plan: PLAN_TO_PROTO[plan],
    dailyMessageLimit: l.dailyMessageLimit,
    maxMessageLength: l.maxMessageLength,
    personaIds: l.personas === 'all' ? [] : l.personas,
    allPersonas: l.personas === 'all',
    sessionLengthsMinutes: l.sessionLengthsMinutes,
    monthlyCreditGrant: l.monthlyCreditGrant,
    priceCents: l.priceCents,
  };
}

const creditsJson = (b: billingV1.GetBalanceResponse) => ({
  plan: planName(b.plan),
  creditsRemaining: b.creditsRemaining,
  messagesToday: b.messagesToday,
  dailyMessageLimit: b.dailyMessageLimit,
  maxMessageLength: b.maxMessageLength,
});

/**
 * Call before session.StartSession: refuses (422) a start the user's plan or balance does not
 * allow, with INSUFFICIENT_CREDITS, PERSONA_NOT_IN_PLAN or SESSION_LENGTH_NOT_IN_PLAN.
 * Resolves with the credits remaining (for the start response).
 */
export async function assertCanStartSession(upstreams: Pick<Upstreams, 'billing'>, userId: string, personaId: string, durationMinutes: number): Promise<{ creditsRemaining: number }> {
  const res = await upstreams.billing.unary((c) => c.checkSessionStart, 'CheckSessionStart', { userId, personaId, durationMinutes });
  if (!res.allowed) throw errors.failedPrecondition(res.refusalCode || 'NOT_ALLOWED', res.message || 'your plan does not allow this session');
  return { creditsRemaining: res.creditsRemaining };
}

export function registerBillingRoutes(app: FastifyInstance, deps: { auth: AuthDeps; upstreams: Upstreams }): void {
  const { upstreams: up } = deps;
  const anyUser = authenticate(deps.auth);
  const admin = authenticate(deps.auth, ['admin']);
  const security = [{ bearer: [] }];

  app.get(
    '/api/v1/user/credits',
    { preHandler: anyUser, schema: { tags: ['catalogue'], security, summary: 'Your plan, credits and today’s message quota', response: { 200: Credits, 401: err } } },
    async (req) => creditsJson(await up.billing.unary((c) => c.getBalance, 'GetBalance', { userId: req.principal!.userId })),
  );

  app.get(
    '/api/v1/admin/config',
    { preHandler: admin, schema: { tags: ['admin'], security, summary: 'Plan limits (free, trial, paid)', response: { 200: ConfigResponse, 401: err, 403: err } } },
    async () => {
      const res = await up.billing.unary((c) => c.getPlanConfig, 'GetPlanConfig', {});
      return tableToJson(res.plans, res.version);
    },
  );

  app.put<{ Body: ConfigBody }>(
    '/api/v1/admin/config',
    {
      preHandler: admin,
      schema: { tags: ['admin'], security, summary: 'Replace the plan limits; every billing instance applies them within a second', body: ConfigBody, response: { 200: ConfigResponse, 400: err, 401: err, 403: err } },
    },
    async (req) => {
      const plans = PLAN_NAMES.map((n) => limitsToProto(n, req.body.plans[n]));
      const res = await up.billing.unary((c) => c.updatePlanConfig, 'UpdatePlanConfig', { plans, updatedBy: req.principal!.userId });
      return tableToJson(res.plans, res.version);
    },
  );

  app.patch<{ Params: UserParams; Body: PatchUserBody; Headers: Static<typeof IdempotencyHeaders> }>(
    '/api/v1/admin/users/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['admin'],
        security,
        summary: "Change a user's plan and/or grant credits (send Idempotency-Key to make a grant retry-safe)",
        params: UserParams,
        headers: IdempotencyHeaders,
        body: PatchUserBody,
        response: { 200: Type.Object({ userId: Type.String(), ...Credits.properties }), 400: err, 401: err, 403: err, 404: err },
      },
    },
    async (req) => {
      const userId = req.params.id;
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(userId)) throw errors.notFound('USER_NOT_FOUND', 'no such user');
      const adminId = req.principal!.userId;
      // Answer from the ledger itself (the grant's and plan change's replies), not the read model, which may lag.
      let granted: number | undefined;
      let changed: billingV1.GetBalanceResponse | undefined;
      try {
        if (req.body.grantCredits !== undefined) {
          const res = await up.billing.unary((c) => c.grantCredits, 'GrantCredits', {
            userId,
            amount: req.body.grantCredits,
            reason: req.body.reason ?? 'admin',
            grantedBy: adminId,
            grantId: `admin-${req.headers['idempotency-key'] ?? randomUUID()}`,
          });
          granted = res.creditsRemaining;
        }
        if (req.body.plan !== undefined) {
          const res = await up.billing.unary((c) => c.setPlan, 'SetPlan', { userId, plan: PLAN_TO_PROTO[req.body.plan], changedBy: adminId, trialDays: req.body.trialDays ?? 0 });
          changed = res.balance;
        }
      } catch (e) {
        if (e instanceof DomainError && e.kind === 'NotFound') throw errors.notFound('USER_NOT_FOUND', 'no such user');
        throw e;
      }
      const balance = changed ?? (await up.billing.unary((c) => c.getBalance, 'GetBalance', { userId }));
      return { userId, ...creditsJson(balance), ...(granted !== undefined && changed === undefined ? { creditsRemaining: granted } : {}) };
    },
  );
}
