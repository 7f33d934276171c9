import { randomUUID } from 'node:crypto';
import { EventStore, startProjection } from '@haven/eventstore';
import { checkHealth, DataKeyCipher, dataKeysFromRpc, type ConfigOf, type Logger, type MongoHandle, type PlatformMetrics } from '@haven/platform';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import type { gatewayConfig } from './config';
import { buildApp } from './http/app';
import { Accounts } from './identity/application/accounts';
import type { IdentityEvent } from './identity/domain/events';
import { identityCodec } from './identity/infrastructure/codec';
import { ScryptPasswordHasher } from './identity/infrastructure/passwords';
import { AccessTokens, RefreshTokens } from './identity/infrastructure/tokens';
import { USERS_COLLECTION, usersProjection, type UserDoc } from './identity/projections/users';
import { LiveHub } from './live/live-hub';
import { createUpstreams } from './upstreams';

export interface GatewayDeps {
  cfg: ConfigOf<typeof gatewayConfig>;
  nc: NatsConnection;
  mongo: MongoHandle;
  redis: Redis;
  logger: Logger;
  metrics: PlatformMetrics;
}

export interface Gateway {
  app: FastifyInstance;
  accounts: Accounts;
  stop(): Promise<void>;
}

/** Wires the gateway from its connections; main.ts and the component tests share it. */
export async function createGateway({ cfg, nc, mongo, redis, logger, metrics }: GatewayDeps): Promise<Gateway> {
  const jsm = await nc.jetstreamManager();
  const store = new EventStore<IdentityEvent>({ js: nc.jetstream(), jsm, context: 'identity', codec: identityCodec, logger, metrics: metrics.registry });
  const accessTokens = new AccessTokens(cfg.jwtSecret, cfg.accessTokenTtlSeconds);
  const refreshTokens = new RefreshTokens(redis, cfg.refreshTokenTtlSeconds);
  const addresses = {
    session: cfg.sessionAddr,
    conversation: cfg.conversationAddr,
    safety: cfg.safetyAddr,
    billing: cfg.billingAddr,
    memory: cfg.memoryAddr,
    audit: cfg.auditAddr,
  };
  const upstreams = createUpstreams(addresses, metrics);
  // Account PII is sealed with the user's data key from the memory service (crypto-shredding).
  const pii = new DataKeyCipher(dataKeysFromRpc((req) => upstreams.memory.unary((c) => c.getDataKey, 'GetDataKey', req)), { cacheTtlMs: 60_000 });
  const accounts = new Accounts({
    store,
    pii,
    passwords: new ScryptPasswordHasher(),
    tokens: {
      issueAccess: (userId, role, now, locale) => accessTokens.issue(userId, role, now, locale),
      issueRefresh: (userId) => refreshTokens.issue(userId),
      rotateRefresh: (token) => refreshTokens.rotate(token),
      revokeUser: (userId, now) => refreshTokens.revokeUser(userId, now, cfg.accessTokenTtlSeconds),
    },
    newId: randomUUID,
    now: () => new Date(),
  });

  const users = mongo.db.collection<UserDoc>(USERS_COLLECTION);
  const projection = await startProjection({
    nc,
    js: nc.jetstream(),
    jsm,
    name: 'gateway-users',
    stream: 'IDENTITY',
    filterSubjects: ['identity.evt.>'],
    codec: identityCodec,
    handle: usersProjection(users),
    logger,
    registry: metrics.registry,
  });

  const hub = new LiveHub(nc, logger);
  const app = await buildApp({
    upstreams,
    refreshTokens,
    accessTokenTtlSeconds: cfg.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: cfg.refreshTokenTtlSeconds,
    users,
    hub,
    ...(cfg.publicUrl ? { publicUrl: cfg.publicUrl } : {}),
    logger,
    metrics,
    redis,
    accounts,
    auth: {
      accessTokens,
      isRevoked: (userId, iatMs) => refreshTokens.accessRevoked(userId, iatMs),
      onAccessDenied: async (info) => {
        await store.append(info.userId, 'any', [{ type: 'AccessDenied', data: info }], { actor: info.userId, now: new Date() });
      },
    },
    health: {
      services: {
        gateway: async () => undefined,
        ...Object.fromEntries(
          Object.entries(addresses).map(([name, addr]) => [
            name,
            async () => {
              const status = await checkHealth(addr, 1500);
              if (status !== 'SERVING') throw new Error(status);
            },
          ]),
        ),
      },
      dependencies: {
        nats: async () => nc.flush(),
        redis: async () => redis.ping(),
        mongodb: async () => mongo.ping(),
      },
    },
    trustProxy: cfg.trustProxy,
    rateLimit: { max: cfg.rateLimitMax, timeWindowMs: cfg.rateLimitWindowMs, authMax: cfg.authRateLimitMax, authTimeWindowMs: cfg.authRateLimitWindowMs },
    bodyLimitBytes: cfg.bodyLimitBytes,
  });

  return {
    app,
    accounts,
    stop: async () => {
      await app.close();
      upstreams.close();
      await projection.stop();
    },
  };
}
