import { connectRedis, createLogger } from '@haven/platform';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteUserKeys } from '../src/privacy/erasure';

describe("gateway erasure deletes the user's own Redis keys (real Redis)", () => {
  const run = Math.random().toString(36).slice(2, 8);
  let redis: Redis;

  beforeAll(() => {
    redis = connectRedis(process.env.REDIS_URL!, createLogger('erasure-keys-test', 'silent'));
  });
  afterAll(async () => {
    await redis?.quit();
  });

  it("removes the user's presence in every session and leaves other users' presence alone", async () => {
    const [alice, bob] = [`alice-${run}`, `bob-${run}`];
    for (const s of ['s1', 's2']) {
      await redis.hset(`haven:presence:${s}-${run}:${alice}`, { online: '1' });
      await redis.hset(`haven:presence:${s}-${run}:${bob}`, { online: '1' });
    }
    expect(await deleteUserKeys(redis, alice)).toBe(2);
    expect(await redis.keys(`haven:presence:*-${run}:${alice}`)).toEqual([]);
    expect((await redis.keys(`haven:presence:*-${run}:${bob}`)).length).toBe(2);
    expect(await deleteUserKeys(redis, alice)).toBe(0);
  });
});
