import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams, EventStore, oneofCodec, type RunningProjection } from '@haven/eventstore';
import { connectMongo, connectRedis, createLogger } from '@haven/platform';
import { memoryV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@haven/testkit';
import { BILLING_ERASED_USERS_COLLECTION, ErasedUsers, skipErasedBalances, startBillingErasure } from '../src/erasure';
import type { BillingEvent } from '../src/infrastructure/codec';
import { RedisDailyCounter } from '../src/infrastructure/redisStores';
import { BALANCES_COLLECTION, balancesProjection, type BalanceDoc } from '../src/projections/balances';

const run = randomUUID().slice(0, 8);


describe('billing erasure on memory.UserErased (real NATS, Redis, FerretDB)', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let db: Db;
  let closeMongo: () => Promise<void>;
  let erasure: RunningProjection;

  beforeAll(async () => {
    const logger = createLogger('billing-erasure-test', 'silent');
    nc = await connectNats(process.env.NATS_URL!, 'billing-erasure-test');
    await ensureStreams(await nc.jetstreamManager(), { contexts: ['memory'] });
    const mongo = await connectMongo(process.env.MONGO_URL!, `billing_erasure_${run}`, logger);
    db = mongo.db;
    closeMongo = () => mongo.close();
    redis = connectRedis(process.env.REDIS_URL!, logger);
    const erased = new ErasedUsers(db);
    await erased.ensureIndexes();
    erasure = await startBillingErasure({ nc, js: nc.jetstream(), jsm: await nc.jetstreamManager(), db, redis, erased, name: `billing-erasure-${run}` });
  });

  afterAll(async () => {
    await erasure?.stop();
    await redis?.quit();
    await closeMongo?.();
    await nc?.drain();
  });

  it("deletes the user's balance and daily counters, keeps another user's, and blocks re-creation", async () => {
    const [alice, bob] = [`alice-${run}`, `bob-${run}`];
    const balances = db.collection<BalanceDoc>(BALANCES_COLLECTION);
    const daily = new RedisDailyCounter(redis);
    for (const u of [alice, bob]) {
      await balances.insertOne({ _id: `account-${u}`, userId: u, plan: 'free', balance: 10, granted: 10, used: 0, updatedAt: new Date(), version: 1 });
      await daily.increment(u, '2030-01-01', 'm1');
      await daily.increment(u, '2030-01-02', 'm2');
    }

    const memory = new EventStore({ js: nc.jetstream(), jsm: await nc.jetstreamManager(), context: 'memory', codec: oneofCodec('memory', memoryV1.MemoryEvent) });
    await memory.append(`user-${alice}`, 'any', [{ type: 'UserErased', data: { userId: alice, requestedBy: alice } }], { actor: alice, now: new Date() });

    await eventually(async () => ((await balances.countDocuments({ userId: alice })) === 0 ? true : undefined), { what: 'the erasure' });
    expect(await redis.keys(`haven:billing:daily*:${alice}:*`)).toEqual([]);
    expect(await db.collection(BILLING_ERASED_USERS_COLLECTION).countDocuments({ _id: alice as never })).toBe(1);
    expect(await balances.countDocuments({ userId: bob })).toBe(1);
    expect(await daily.get(bob, '2030-01-01')).toBe(1);
    expect((await redis.keys(`haven:billing:daily*:${bob}:*`)).length).toBe(4);

    // A replayed grant of alice's creates no balance again; bob's still applies.
    const handle = skipErasedBalances(new ErasedUsers(db), balances, balancesProjection(balances));
    const base = { sequence: 1, occurredAt: new Date(), actor: 'billing', correlationId: 'c', causationId: 'c', type: 'billing.CreditsGranted' };
    const grant = (userId: string) => ({ type: 'CreditsGranted', data: { userId, amount: 5, reason: 'signup', grantId: 'g', grantedBy: 'system' } }) as unknown as BillingEvent;
    await handle({ ...base, id: randomUUID(), aggregateId: `account-${alice}`, version: 1, event: grant(alice) });
    await handle({ ...base, id: randomUUID(), aggregateId: `account-${bob}`, version: 2, event: grant(bob) });
    expect(await balances.countDocuments({ _id: `account-${alice}` })).toBe(0);
    expect((await balances.findOne({ _id: `account-${bob}` }))?.balance).toBe(15);
  });
});
