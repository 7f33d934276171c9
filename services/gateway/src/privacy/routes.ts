import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { authenticate, type AuthDeps } from '../http/auth';
import { ErrorResponse } from '../http/schemas';
import type { Accounts } from '../identity/application/accounts';
import type { RefreshTokens } from '../identity/infrastructure/tokens';
import type { Upstreams } from '../upstreams';
import { eraseUser } from './erasure';
import { composeUserExport } from './export';

export interface PrivacyRouteDeps {
  auth: AuthDeps;
  upstreams: Upstreams;
  accounts: Pick<Accounts, 'getUser' | 'eraseAccount' | 'recordDataExport'>;
  refreshTokens: Pick<RefreshTokens, 'revokeUser'>;
  accessTokenTtlSeconds: number;
  now?: () => Date;
  /** The gateway's Redis, so erasure also deletes the user's presence keys. */
  redis?: Redis;
}

const err = Type.Ref(ErrorResponse);

/** GDPR: data export and erasure of the caller's own account (API.md "Accounts"). */
export function registerPrivacyRoutes(app: FastifyInstance, deps: PrivacyRouteDeps): void {
  const auth = authenticate(deps.auth);
  const now = deps.now ?? (() => new Date());
  const tags = ['privacy'];
  const security = [{ bearer: [] }];

  app.get(
    '/api/v1/me/export',
    {
      preHandler: auth,
      schema: {
        tags,
        summary: 'All of your data as JSON: account, sessions, transcripts, memories, credits (parts a service cannot provide now are listed in notes)',
        security,
        response: { 200: Type.Object({}, { additionalProperties: true }), 401: err, 404: err },
      },
    },
    async (req, reply) => {
      const userId = req.principal!.userId;
      const data = await composeUserExport({ accounts: deps.accounts, upstreams: deps.upstreams, now }, userId);
      // After a successful export only: the audit service flags unusual export activity from these.
      await deps.accounts.recordDataExport(userId, { ip: req.ip, userAgent: req.headers['user-agent'] ?? '' });
      return reply.header('content-disposition', 'attachment; filename="haven-export.json"').header('cache-control', 'no-store').send(data);
    },
  );

  app.delete(
    '/api/v1/me',
    {
      preHandler: auth,
      schema: {
        tags,
        summary: 'Erase your account and data (irreversible): keys destroyed, data deleted, signed out everywhere',
        security,
        response: { 202: Type.Object({ status: Type.Literal('erased'), alreadyErased: Type.Boolean() }), 401: err },
      },
    },
    async (req, reply) => {
      const { alreadyErased } = await eraseUser(
        { accounts: deps.accounts, refreshTokens: deps.refreshTokens, accessTokenTtlSeconds: deps.accessTokenTtlSeconds, upstreams: deps.upstreams, now, ...(deps.redis ? { redis: deps.redis } : {}) },
        req.principal!.userId,
      );
      return reply.status(202).send({ status: 'erased', alreadyErased });
    },
  );
}
