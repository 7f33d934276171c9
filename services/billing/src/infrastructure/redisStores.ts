import type { Redis } from 'ioredis';
import type { DailyCounter, MeterStore } from '../application/ports';
import type { MeterState } from '../domain/metering';

const PREFIX = 'haven:billing';
// Metering state outlives its session long enough for any redelivery; it is rebuildable from events.
const METER_TTL_MS = 7 * 86_400_000;
const DAY_TTL_S = 2 * 86_400;

const CAS = `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

export class RedisMeterStore implements MeterStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = '',
  ) {}

  private key = (sessionId: string) => `${this.prefix}${PREFIX}:meter:${sessionId}`;

  async get(sessionId: string): Promise<{ version: number; state: MeterState | undefined }> {
    const [v, s] = await this.redis.hmget(this.key(sessionId), 'v', 's');
    return { version: Number(v ?? 0), state: s ? (JSON.parse(s) as MeterState) : undefined };
  }

  async compareAndSet(sessionId: string, expected: number, next: number, state: MeterState | undefined): Promise<boolean> {
    const done = await this.redis.eval(CAS, 1, this.key(sessionId), expected, next, state === undefined ? '' : JSON.stringify(state), METER_TTL_MS);
    return done === 1;
  }

  async flagOnce(sessionId: string, flag: 'low' | 'grace'): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}${PREFIX}:flag:${flag}:${sessionId}`, '1', 'PX', METER_TTL_MS, 'NX')) === 'OK';
  }

  async clearFlag(sessionId: string, flag: 'low' | 'grace'): Promise<void> {
    await this.redis.del(`${this.prefix}${PREFIX}:flag:${flag}:${sessionId}`);
  }
}

// Counts a message once per message id (when given) and returns the day's count.
const INCREMENT = `
if ARGV[1] ~= '' then
  if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) == false then
    return tonumber(redis.call('GET', KEYS[1]) or '0')
  end
end
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return n`;

export class RedisDailyCounter implements DailyCounter {
  constructor(private readonly redis: Redis) {}

  private key = (userId: string, day: string) => `${PREFIX}:daily:${userId}:${day}`;
  private seen = (userId: string, day: string, messageId: string) => `${PREFIX}:daily-msg:${userId}:${day}:${messageId}`;

  async increment(userId: string, day: string, messageId: string): Promise<number> {
    return Number(await this.redis.eval(INCREMENT, 2, this.key(userId, day), this.seen(userId, day, messageId), messageId, DAY_TTL_S));
  }

  async decrement(userId: string, day: string, messageId: string): Promise<void> {
    const tx = this.redis.multi().decr(this.key(userId, day));
    if (messageId !== '') tx.del(this.seen(userId, day, messageId));
    await tx.exec();
  }

  async get(userId: string, day: string): Promise<number> {
    return Number((await this.redis.get(this.key(userId, day))) ?? 0);
  }
}
