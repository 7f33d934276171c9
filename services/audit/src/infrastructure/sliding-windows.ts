import type { Redis } from 'ioredis';
import type { FlagSeverity, SuspiciousKind } from '../domain/suspicious-activity';

/**
 * Sliding-window counters in Redis, in event time: one sorted set per kind and subject whose
 * members are event ids (so a redelivered event is not counted twice) scored by occurred-at.
 * Keys expire on their own once the window has passed.
 */
export class SlidingWindows {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'haven:audit',
  ) {}

  private windowKey(kind: SuspiciousKind, subject: string): string {
    return `${this.prefix}:sw:${kind}:${subject}`;
  }

  private flagKey(kind: SuspiciousKind, severity: FlagSeverity, subject: string): string {
    return `${this.prefix}:flagged:${kind}:${severity}:${subject}`;
  }

  /** Adds the event and returns how many events of this kind the subject had in the window ending at `atMs`. */
  async observe(kind: SuspiciousKind, subject: string, eventId: string, atMs: number, windowMs: number): Promise<number> {
    const key = this.windowKey(kind, subject);
    const from = atMs - windowMs;
    const res = await this.redis
      .multi()
      .zadd(key, atMs, eventId)
      .zremrangebyscore(key, '-inf', `(${from}`)
      .zcount(key, from, atMs)
      .pexpire(key, windowMs * 2)
      .exec();
    const counted = res?.[2];
    if (!counted || counted[0]) throw counted?.[0] ?? new Error('sliding window: redis transaction was aborted');
    return Number(counted[1]);
  }

  /** Until when (event time, ms) each severity of this kind is already flagged for the subject. */
  async flaggedUntil(kind: SuspiciousKind, subject: string, severities: readonly FlagSeverity[]): Promise<Partial<Record<FlagSeverity, number>>> {
    const out: Partial<Record<FlagSeverity, number>> = {};
    if (severities.length === 0) return out;
    const values = await this.redis.mget(...severities.map((s) => this.flagKey(kind, s, subject)));
    severities.forEach((s, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) out[s] = Number(v);
    });
    return out;
  }

  /** Suppresses further flags of this severity for the subject until `untilMs` (event time). */
  async markFlagged(kind: SuspiciousKind, severity: FlagSeverity, subject: string, untilMs: number, windowMs: number): Promise<void> {
    await this.redis.set(this.flagKey(kind, severity, subject), String(untilMs), 'PX', windowMs * 2);
  }
}
