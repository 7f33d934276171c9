import type { Redis } from 'ioredis';

/** Presence, typing and mute/camera per session participant: live-only state in Redis, expiring. */
export class RedisPresence {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds = 6 * 3600,
  ) {}

  private key(sessionId: string, userId: string) {
    return `haven:presence:${sessionId}:${userId}`;
  }

  async set(sessionId: string, userId: string, fields: Record<string, string>): Promise<void> {
    await this.redis.multi().hset(this.key(sessionId, userId), fields).expire(this.key(sessionId, userId), this.ttlSeconds).exec();
  }

  async remove(sessionId: string, userId: string): Promise<void> {
    await this.redis.hset(this.key(sessionId, userId), { online: '0' });
  }
}
