import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import type { Redis } from 'ioredis';
import type { Role } from '../domain/events';

export interface AccessClaims {
  sub: string;
  role: Role;
  /** Issue time in ms: compared with the user's revocation mark (logout, erasure). */
  iat_ms: number;
  jti: string;
  /** The user's locale at sign-in, for locale-specific content such as crisis resources. */
  locale: string;
}

/** Short-lived HS256 access tokens (fast-jwt). */
export class AccessTokens {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verifyToken: (token: string) => Record<string, unknown>;

  constructor(
    secret: string,
    readonly ttlSeconds: number,
    issuer = 'haven',
  ) {
    this.sign = createSigner({ key: secret, algorithm: 'HS256', expiresIn: ttlSeconds * 1000, iss: issuer, aud: 'haven-api' });
    this.verifyToken = createVerifier({ key: secret, algorithms: ['HS256'], allowedIss: issuer, allowedAud: 'haven-api' });
  }

  issue(userId: string, role: Role, now: Date, locale = ''): string {
    return this.sign({ sub: userId, role, iat_ms: now.getTime(), jti: randomUUID(), locale });
  }

  /** Throws when the token is malformed, forged or expired. */
  verify(token: string): AccessClaims {
    const c = this.verifyToken(token);
    if (typeof c.sub !== 'string' || typeof c.role !== 'string' || typeof c.iat_ms !== 'number') throw new Error('token lacks required claims');
    return { sub: c.sub, role: c.role as Role, iat_ms: c.iat_ms, jti: String(c.jti), locale: typeof c.locale === 'string' ? c.locale : '' };
  }
}

export type RotateResult =
  | { status: 'rotated'; userId: string; family: string; token: string }
  | { status: 'reused'; userId: string; family: string }
  | { status: 'invalid' };

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Opaque rotating refresh tokens in Redis. Each login starts a family; refreshing consumes the
 * presented token atomically (GETDEL) and issues the next one in the family. Presenting a consumed
 * token again is treated as theft: the whole family is revoked.
 */
export class RefreshTokens {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly prefix = 'haven:auth',
  ) {}

  private k(kind: string, id: string) {
    return `${this.prefix}:${kind}:${id}`;
  }

  async issue(userId: string, family: string = randomUUID()): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const h = sha(token);
    await this.redis
      .multi()
      .set(this.k('rt', h), JSON.stringify({ userId, family }), 'EX', this.ttlSeconds)
      .set(this.k('family', family), h, 'EX', this.ttlSeconds)
      .sadd(this.k('user-families', userId), family)
      .expire(this.k('user-families', userId), this.ttlSeconds)
      .exec();
    return token;
  }

  async rotate(token: string): Promise<RotateResult> {
    if (token.length < 20 || token.length > 200) return { status: 'invalid' };
    const h = sha(token);
    const raw = await this.redis.getdel(this.k('rt', h));
    if (raw) {
      const { userId, family } = JSON.parse(raw) as { userId: string; family: string };
      await this.redis.set(this.k('used', h), JSON.stringify({ userId, family }), 'EX', this.ttlSeconds);
      return { status: 'rotated', userId, family, token: await this.issue(userId, family) };
    }
    const used = await this.redis.get(this.k('used', h));
    if (!used) return { status: 'invalid' };
    const { userId, family } = JSON.parse(used) as { userId: string; family: string };
    await this.revokeFamily(family);
    return { status: 'reused', userId, family };
  }

  async revokeFamily(family: string): Promise<void> {
    const current = await this.redis.getdel(this.k('family', family));
    if (current) await this.redis.del(this.k('rt', current));
  }

  /** Revokes every refresh token of the user and marks all earlier access tokens invalid. */
  async revokeUser(userId: string, now: Date, accessTtlSeconds: number): Promise<void> {
    const families = await this.redis.smembers(this.k('user-families', userId));
    for (const f of families) await this.revokeFamily(f);
    await this.redis
      .multi()
      .del(this.k('user-families', userId))
      .set(this.k('revoked-before', userId), String(now.getTime()), 'EX', accessTtlSeconds + 60)
      .exec();
  }

  async accessRevoked(userId: string, issuedAtMs: number): Promise<boolean> {
    const mark = await this.redis.get(this.k('revoked-before', userId));
    return mark !== null && issuedAtMs <= Number(mark);
  }
}
