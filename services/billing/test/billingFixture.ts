import { randomBytes } from 'node:crypto';
import { connectNats, ensureStreams, EventStore } from '@haven/eventstore';
import { connectMongo, connectRedis, createLogger, createMetrics, type MongoHandle } from '@haven/platform';
import { identityV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import type { SessionEnder } from '../src/application/ports';
import { identityEventCodec, sessionEventCodec, type IdentityEventWire, type SessionEventWire } from '../src/infrastructure/nats';
import { createBillingRuntime, type BillingRuntime, type BillingSettings } from '../src/runtime';

function env(name: 'NATS_URL' | 'REDIS_URL' | 'MONGO_URL'): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run through the vitest int project (harness global setup)`);
  return v;
}

export const uid = (prefix: string): string => `${prefix}${randomBytes(6).toString('hex')}`;
export const logger = createLogger('billing-test', 'silent');

export interface Fixture {
  nc: NatsConnection;
  redis: Redis;
  mongo: MongoHandle;
  run: string;
  identity: EventStore<IdentityEventWire>;
  sessions: EventStore<SessionEventWire>;
  /** A billing instance (consumers + timers) with its own NATS connection; same durable names = a replica. */
  replica(opts: { sessions: SessionEnder; settings?: Partial<BillingSettings>; names?: string }): Promise<BillingRuntime>;
  registerUser(userId: string): Promise<void>;
  close(): Promise<void>;
}

export async function billingFixture(): Promise<Fixture> {
  const run = uid('b');
  const nc = await connectNats(env('NATS_URL'), 'billing-test');
  const jsm = await nc.jetstreamManager();
  await ensureStreams(jsm, { contexts: ['billing', 'session', 'identity'] });
  const redis = connectRedis(env('REDIS_URL'), logger);
  const mongo = await connectMongo(env('MONGO_URL'), `billing_${run}`, logger);
  const js = nc.jetstream();
  const identity = new EventStore({ js, jsm, context: 'identity', codec: identityEventCodec });
  const sessions = new EventStore({ js, jsm, context: 'session', codec: sessionEventCodec });
  const opened: { rt: BillingRuntime; nc: NatsConnection }[] = [];
  return {
    nc,
    redis,
    mongo,
    run,
    identity,
    sessions,
    async replica({ sessions: ender, settings, names = run }) {
      const rnc = await connectNats(env('NATS_URL'), 'billing-test-replica');
      const rt = createBillingRuntime({
        nc: rnc,
        js: rnc.jetstream(),
        jsm: await rnc.jetstreamManager(),
        db: mongo.db,
        redis,
        logger,
        registry: createMetrics('billing').registry,
        sessions: ender,
        settings: { secondsPerMinute: 60, graceSeconds: 60, lowCreditsThreshold: 10, trialDays: 14, timerPollMs: 50, tickToleranceMs: 1000, ...settings },
        names: { balances: `bal-${names}`, metering: `meter-${names}`, signup: `signup-${names}`, redisPrefix: `${names}:`, planConfig: `plan-config-${run}` },
      });
      await rt.start();
      const entry = { rt, nc: rnc };
      opened.push(entry);
      const stop = rt.stop.bind(rt);
      rt.stop = async () => {
        await stop();
        await rnc.drain().catch(() => undefined);
        opened.splice(opened.indexOf(entry), 1);
      };
      return rt;
    },
    async registerUser(userId) {
      await identity.append(userId, { version: 0, sequence: 0 }, [
        { type: 'UserRegistered', data: { userId, email: `${userId}@example.org`, passwordHash: 'x', role: identityV1.Role.ROLE_CLIENT, displayName: '', locale: 'en', createdBy: '', piiKeyId: '', emailHash: '' } },
      ], { actor: userId, now: new Date() });
    },
    async close() {
      for (const { rt } of [...opened]) await rt.stop();
      await nc.drain();
      redis.disconnect();
      await mongo.close();
    },
  };
}

export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
