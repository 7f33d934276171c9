import type { Redis } from 'ioredis';
import type { Timer, TimerQueue } from '../application/ports';

const QUEUE = 'haven:billing:timers';
const LEASES = 'haven:billing:timers:leased';

// Claims due timers with ZREM (exactly one replica gets each) and parks them in a lease set, all
// in one script; timers whose lease ran out (their replica died mid-way) go back to the queue.
const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, m in ipairs(due) do
  if redis.call('ZREM', KEYS[1], m) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[2], m)
    table.insert(claimed, m)
  end
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(expired) do
  if redis.call('ZREM', KEYS[2], m) == 1 then redis.call('ZADD', KEYS[1], ARGV[1], m) end
end
return claimed`;

export const timerMember = (t: Timer): string => `${t.kind}|${t.minute}|${t.sessionId}`;

export function parseTimerMember(member: string): Timer | undefined {
  const [kind, minute, sessionId] = member.split('|');
  if ((kind !== 'minute' && kind !== 'grace') || sessionId === undefined || !/^\d+$/.test(minute ?? '')) return undefined;
  return { kind, minute: Number(minute), sessionId };
}

export interface TimerLoopOptions {
  pollMs: number;
  leaseMs?: number;
  batch?: number;
  onError: (err: unknown, timer: Timer) => void;
}

/** Timers in a Redis sorted set scored by due time; any replica polls, each timer fires on one. */
export class RedisTimerQueue implements TimerQueue {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = '',
  ) {}

  private get queue() {
    return `${this.prefix}${QUEUE}`;
  }
  private get leases() {
    return `${this.prefix}${LEASES}`;
  }

  async schedule(timer: Timer, dueMs: number): Promise<void> {
    await this.redis.zadd(this.queue, Math.round(dueMs), timerMember(timer));
  }

  async claim(nowMs: number, leaseMs: number, batch: number): Promise<string[]> {
    return (await this.redis.eval(CLAIM, 2, this.queue, this.leases, nowMs, nowMs + leaseMs, batch)) as string[];
  }

  async release(member: string): Promise<void> {
    await this.redis.zrem(this.leases, member);
  }

  /** Runs `fire` for due timers until stopped; a failed timer is retried after a second. */
  start(fire: (t: Timer) => Promise<void>, clock: () => Date, opts: TimerLoopOptions): { stop(): Promise<void> } {
    let stopped = false;
    let running: Promise<void> = Promise.resolve();
    const leaseMs = opts.leaseMs ?? 30_000;
    const tick = async () => {
      const now = clock().getTime();
      const members = await this.claim(now, leaseMs, opts.batch ?? 100);
      await Promise.all(
        members.map(async (m) => {
          const timer = parseTimerMember(m);
          if (timer === undefined) return this.release(m);
          try {
            await fire(timer);
            await this.release(m);
          } catch (err) {
            opts.onError(err, timer);
            await this.redis.multi().zrem(this.leases, m).zadd(this.queue, 'NX', clock().getTime() + 1000, m).exec();
          }
        }),
      );
    };
    const loop = async () => {
      while (!stopped) {
        running = tick().catch((err: unknown) => opts.onError(err, { sessionId: '', kind: 'minute', minute: 0 }));
        await running;
        if (!stopped) await new Promise((r) => setTimeout(r, opts.pollMs));
      }
    };
    const done = loop();
    return {
      stop: async () => {
        stopped = true;
        await running;
        await done;
      },
    };
  }
}
