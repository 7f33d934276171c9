import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger, PlatformMetrics } from '@haven/platform';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Accounts } from '../identity/application/accounts';
import type { AuthDeps } from './auth';
import { errorHandler, httpError } from './errors';
import { registerAuthRoutes } from './routes/auth';
import { registerHealthRoutes, type Probe } from './routes/health';
import { AuthResponse, ErrorResponse, User } from './schemas';
import { registerTracing } from './tracing';
import { registerWebSocket } from '../live/websocket';
import type { LiveHub } from '../live/live-hub';
import { RedisPresence } from '../live/presence';
import { registerSessionRoutes } from '../sessions/routes';
import { registerMemoryRoutes } from '../memories/routes';
import { registerOncallRoutes } from '../oncall/routes';
import { registerAdminRoutes } from '../admin/routes';
import type { Collection } from 'mongodb';
import type { UserDoc } from '../identity/projections/users';
import { registerBillingRoutes } from '../billing/routes';
import { registerAuditRoutes } from '../admin/audit-routes';
import { registerAdminSessionRoutes } from '../admin/sessions-routes';
import { registerPrivacyRoutes } from '../privacy/routes';
import type { RefreshTokens } from '../identity/infrastructure/tokens';
import type { Upstreams } from '../upstreams';

export interface AppDeps {
  logger: Logger;
  metrics: PlatformMetrics;
  redis: Redis;
  accounts: Accounts;
  auth: AuthDeps;
  health: { services: Record<string, Probe>; dependencies: Record<string, Probe> };
  trustProxy: boolean;
  rateLimit: { max: number; timeWindowMs: number; authMax: number; authTimeWindowMs: number };
  bodyLimitBytes: number;
  upstreams: Upstreams;
  hub: LiveHub;
  refreshTokens: RefreshTokens;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  users: Collection<UserDoc>;
  publicUrl?: string;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: deps.trustProxy,
    bodyLimit: deps.bodyLimitBytes,
    genReqId: () => randomUUID(),
    // Request lines are logged by our own hook below: path without the query string (which may
    // hold an access token), route template, status and duration.
    logController: new LogController({ disableRequestLogging: true }),
    // Wrong types are errors, not something to coerce into shape.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));

  registerTracing(app);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    req.log.info({ method: req.method, path: req.url.split('?')[0], route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  for (const schema of [ErrorResponse, User, AuthResponse]) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Haven API', version: '1.0.0', description: 'Public API of Haven (contract v1). Errors are {"error":{"code","message"}}.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(rateLimit, {
    global: true,
    max: deps.rateLimit.max,
    timeWindow: deps.rateLimit.timeWindowMs,
    redis: deps.redis,
    nameSpace: 'haven:rl:',
    keyGenerator: (req) => req.ip,
    skipOnError: false,
    errorResponseBuilder: (_req, ctx) => httpError(ctx.statusCode, 'RATE_LIMITED', `too many requests; try again in ${ctx.after}`),
  });

  // Frames over 64 KiB close the socket (1009); smaller oversized frames get an error frame.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  registerHealthRoutes(app, deps.health);
  registerAuthRoutes(app, { accounts: deps.accounts, auth: deps.auth, authRateLimit: { max: deps.rateLimit.authMax, timeWindowMs: deps.rateLimit.authTimeWindowMs } });
  registerSessionRoutes(app, { auth: deps.auth, upstreams: deps.upstreams, ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}) });
  registerBillingRoutes(app, { auth: deps.auth, upstreams: deps.upstreams });
  registerOncallRoutes(app, { auth: deps.auth, upstreams: deps.upstreams });
  registerAuditRoutes(app, { auth: deps.auth, upstreams: deps.upstreams });
  registerAdminSessionRoutes(app, { auth: deps.auth, upstreams: deps.upstreams });
  registerMemoryRoutes(app, { auth: deps.auth, upstreams: deps.upstreams });
  registerPrivacyRoutes(app, { auth: deps.auth, upstreams: deps.upstreams, accounts: deps.accounts, refreshTokens: deps.refreshTokens, accessTokenTtlSeconds: deps.accessTokenTtlSeconds, redis: deps.redis });
  registerAdminRoutes(app, {
    auth: deps.auth,
    upstreams: deps.upstreams,
    users: deps.users,
    pii: deps.accounts.pii,
    redis: deps.redis,
    settings: { accessTokenTtlSeconds: deps.accessTokenTtlSeconds, refreshTokenTtlSeconds: deps.refreshTokenTtlSeconds, rateLimit: deps.rateLimit, bodyLimitBytes: deps.bodyLimitBytes },
  });
  registerWebSocket(app, { auth: deps.auth, upstreams: deps.upstreams, hub: deps.hub, logger: deps.logger, presence: new RedisPresence(deps.redis) });
  return app;
}
