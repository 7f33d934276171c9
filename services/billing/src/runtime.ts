import { EventStore, startProjection, streamNameFor, type RunningProjection } from '@haven/eventstore';
import type { Logger } from '@haven/platform';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { Accounts } from './application/accounts';
import { Billing } from './application/billing';
import { Metering } from './application/metering';
import type { SessionEnder } from './application/ports';
import { monthlyGrantId, utcMonth } from './domain/account';
import { ErasedUsers, skipErasedBalances, startBillingErasure } from './erasure';
import { PLAN_CONFIG_AGGREGATE_ID } from './domain/planConfig';
import { billingCodec, isAccountEvent, isPlanConfigEvent, narrowStore } from './infrastructure/codec';
import { identityEventCodec, NatsLiveFrames, sessionEventCodec, sessionFact, StreamSessionHeads } from './infrastructure/nats';
import { PlanConfigCache } from './infrastructure/planConfigCache';
import { RedisDailyCounter, RedisMeterStore } from './infrastructure/redisStores';
import { RedisTimerQueue } from './infrastructure/timerQueue';
import { createBillingMetrics } from './metrics';
import { BALANCES_COLLECTION, balancesProjection, MongoAccountReadModel, type BalanceDoc } from './projections/balances';

export interface BillingSettings {
  secondsPerMinute: number;
  graceSeconds: number;
  lowCreditsThreshold: number;
  trialDays: number;
  timerPollMs: number;
  tickToleranceMs: number;
}

export interface BillingRuntimeDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  db: Db;
  redis: Redis;
  logger: Logger;
  registry: Registry;
  sessions: SessionEnder;
  settings: BillingSettings;
  clock?: () => Date;
  /** Durable consumer names, a prefix for the metering keys in Redis, the plan-config aggregate id; tests isolate runs with them. */
  names?: { balances?: string; metering?: string; signup?: string; erasure?: string; redisPrefix?: string; planConfig?: string };
}

export interface BillingRuntime {
  billing: Billing;
  metering: Metering;
  plans: PlanConfigCache;
  accounts: Accounts;
  /** Starts the plan-config cache, the three consumers and the timer loop. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Billing's wiring, shared by main.ts and the integration tests (which run several side by side). */
export function createBillingRuntime(deps: BillingRuntimeDeps): BillingRuntime {
  const { nc, js, jsm, db, redis, logger, registry, settings } = deps;
  const clock = deps.clock ?? (() => new Date());
  const names = { balances: 'billing-balances', metering: 'billing-metering', signup: 'billing-signup-grants', erasure: 'billing-erasure', redisPrefix: '', planConfig: PLAN_CONFIG_AGGREGATE_ID, ...deps.names };

  const store = new EventStore({ js, jsm, context: 'billing', codec: billingCodec, logger, metrics: registry });
  const accounts = new Accounts(narrowStore(store, isAccountEvent, 'account'));
  const plans = new PlanConfigCache(nc, jsm, narrowStore(store, isPlanConfigEvent, 'plan-config'), logger, names.planConfig);
  const balances = db.collection<BalanceDoc>(BALANCES_COLLECTION);
  const readModel = new MongoAccountReadModel(balances);
  const metrics = createBillingMetrics(registry, () => readModel.countLowBalance(settings.lowCreditsThreshold));
  const timers = new RedisTimerQueue(redis, names.redisPrefix);
  const minuteMs = settings.secondsPerMinute * 1000;

  const billing = new Billing({
    accounts,
    readModel,
    plans,
    daily: new RedisDailyCounter(redis),
    metrics,
    updatePlanConfig: (command, now) => plans.update(command, now),
    clock,
    trialDays: settings.trialDays,
  });
  const metering = new Metering({
    accounts,
    meters: new RedisMeterStore(redis, names.redisPrefix),
    timers,
    heads: new StreamSessionHeads(jsm),
    frames: new NatsLiveFrames(nc),
    sessions: deps.sessions,
    metrics,
    clock,
    options: {
      minuteMs,
      // The grace is configured in billed seconds, so tests that shrink the minute shrink it too.
      graceMs: settings.graceSeconds * settings.secondsPerMinute * (1000 / 60),
      toleranceMs: Math.min(settings.tickToleranceMs, minuteMs / 4),
      lowCreditsThreshold: settings.lowCreditsThreshold,
    },
  });

  const running: RunningProjection[] = [];
  let timerLoop: { stop(): Promise<void> } | undefined;
  const common = { nc, js, jsm, logger, registry };

  return {
    billing,
    metering,
    plans,
    accounts,
    async start() {
      await plans.start(Math.min(5_000, Math.max(200, settings.timerPollMs * 4)));
      await balances.createIndex({ balance: 1 });
      const erased = new ErasedUsers(db);
      await erased.ensureIndexes();
      running.push(await startBillingErasure({ ...common, db, redis, erased, name: names.erasure }));
      running.push(
        await startProjection({ ...common, name: names.balances, stream: streamNameFor('billing'), filterSubjects: ['billing.evt.>'], codec: billingCodec, handle: skipErasedBalances(erased, balances, balancesProjection(balances)) }),
      );
      running.push(
        await startProjection({
          ...common,
          name: names.signup,
          stream: streamNameFor('identity'),
          filterSubjects: ['identity.evt.>'],
          codec: identityEventCodec,
          handle: async (e) => {
            if (e.event.type !== 'UserRegistered') return;
            const amount = plans.current().plans.free.monthlyCreditGrant;
            if (amount < 1) return;
            const { appended } = await accounts.handle(
              { type: 'GrantCredits', data: { userId: e.event.data.userId, amount, reason: 'signup', grantId: monthlyGrantId(utcMonth(e.occurredAt)), grantedBy: 'system' } },
              { actor: 'billing', now: clock(), causationId: e.id },
            );
            if (appended.length > 0) metrics.creditsGranted.inc({ reason: 'signup' }, amount);
          },
        }),
      );
      running.push(
        await startProjection({
          ...common,
          name: names.metering,
          stream: streamNameFor('session'),
          filterSubjects: ['session.evt.>'],
          codec: sessionEventCodec,
          handle: (e) => metering.onSessionEvent(sessionFact(e)),
        }),
      );
      timerLoop = timers.start((t) => metering.onTimer(t), clock, {
        pollMs: settings.timerPollMs,
        onError: (err, t) => logger.warn({ err, sessionId: t.sessionId, kind: t.kind }, 'billing timer failed; retrying'),
      });
    },
    async stop() {
      await timerLoop?.stop();
      await Promise.all(running.splice(0).map((p) => p.stop()));
      plans.stop();
    },
  };
}
