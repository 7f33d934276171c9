import type { Redis } from 'ioredis';
import type { TimeMode } from '../domain/events';
import { TIME_MODES } from '../domain/events';
import type { ActiveSessionClaims, LiveSessionIndex, LiveSnapshot, LiveStateCache, TimerKind, TimerQueue } from '../application/ports';

// Everything here is reconstructible from the SESSION stream (SessionCommands.resync) or expires.

const COMPARE_AND_DELETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const COMPARE_AND_PERSIST = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PERSIST', KEYS[1]) end return 0`;

/** `haven:session:active:<userId>` = the session holding the user's live slot. */
export class RedisActiveSessionClaims implements ActiveSessionClaims {
  constructor(
    private readonly redis: Redis,
    /** How long a claim whose start has not completed stays valid. */
    private readonly provisionalMs = 30_000,
  ) {}

  private key(userId: string): string {
    return `haven:session:active:${userId}`;
  }

  async claim(userId: string, sessionId: string): Promise<string | null> {
    for (;;) {
      const set = await this.redis.set(this.key(userId), sessionId, 'PX', this.provisionalMs, 'NX');
      if (set === 'OK') return null;
      const holder = await this.redis.get(this.key(userId));
      if (holder !== null) return holder;
      // Released between our SET and GET: try again.
    }
  }

  async confirm(userId: string, sessionId: string): Promise<void> {
    await this.redis.eval(COMPARE_AND_PERSIST, 1, this.key(userId), sessionId);
  }

  async release(userId: string, sessionId: string): Promise<void> {
    await this.redis.eval(COMPARE_AND_DELETE, 1, this.key(userId), sessionId);
  }
}

/** `haven:live:<sessionId>` hash: phase, secondsRemaining (snapshot), status, forceClosing. */
export class RedisLiveStateCache implements LiveStateCache {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  async write(sessionId: string, s: LiveSnapshot): Promise<void> {
    const key = `haven:live:${sessionId}`;
    await this.redis
      .multi()
      .hset(key, {
        status: s.status,
        phase: s.phase ?? '',
        secondsRemaining: String(s.secondsRemaining),
        forceClosing: s.forceClosing ? '1' : '0',
        updatedAt: s.updatedAt.toISOString(),
      })
      .expire(key, this.ttlSeconds)
      .exec();
  }
}

/**
 * One sorted set scored by due time (ms); members `<kind>:<sessionId>`. Any replica may poll:
 * ZREM is the claim, so a due member goes to exactly one poller.
 */
export class RedisTimerQueue implements TimerQueue {
  constructor(
    private readonly redis: Redis,
    private readonly key = 'haven:session:timers',
  ) {}

  async arm(sessionId: string, kind: TimerKind, at: Date | null): Promise<void> {
    const member = `${kind}:${sessionId}`;
    if (at === null) await this.redis.zrem(this.key, member);
    else await this.redis.zadd(this.key, at.getTime(), member);
  }

  async claimDue(now: Date, limit: number): Promise<{ sessionId: string; kind: TimerKind }[]> {
    const due = await this.redis.zrangebyscore(this.key, '-inf', now.getTime(), 'LIMIT', 0, limit);
    if (due.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const member of due) pipeline.zrem(this.key, member);
    const removed = (await pipeline.exec()) ?? [];
    const claimed: { sessionId: string; kind: TimerKind }[] = [];
    due.forEach((member, i) => {
      const [err, count] = removed[i] ?? [null, 0];
      if (err || count !== 1) return; // another replica claimed it
      const sep = member.indexOf(':');
      const kind = member.slice(0, sep);
      if (kind === 'tick' || kind === 'remind') claimed.push({ kind, sessionId: member.slice(sep + 1) });
    });
    return claimed;
  }
}

/** `haven:sessions:live:<timeMode>` sets of sessions in progress (active or paused). */
export class RedisLiveSessionIndex implements LiveSessionIndex {
  constructor(private readonly redis: Redis) {}

  private key(mode: TimeMode): string {
    return `haven:sessions:live:${mode}`;
  }

  async add(sessionId: string, mode: TimeMode): Promise<void> {
    await this.redis.sadd(this.key(mode), sessionId);
  }

  async remove(sessionId: string, mode: TimeMode): Promise<void> {
    await this.redis.srem(this.key(mode), sessionId);
  }

  async counts(): Promise<Record<TimeMode, number>> {
    const pipeline = this.redis.pipeline();
    for (const mode of TIME_MODES) pipeline.scard(this.key(mode));
    const results = (await pipeline.exec()) ?? [];
    const counts = { short: 0, standard: 0, extended: 0 };
    TIME_MODES.forEach((mode, i) => {
      const value = results[i]?.[1];
      counts[mode] = typeof value === 'number' ? value : 0;
    });
    return counts;
  }
}
