import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Accounts, RequestInfo } from '../../identity/application/accounts';
import { authenticate, type AuthDeps } from '../auth';
import { AuthResponse, ErrorResponse, LoginBody, RefreshBody, RegisterBody, StaffBody, User } from '../schemas';
import { Type } from '@sinclair/typebox';

export interface AuthRouteDeps {
  accounts: Accounts;
  auth: AuthDeps;
  /** Stricter limit for credential endpoints (API.md: 20 per 15 minutes per IP). */
  authRateLimit: { max: number; timeWindowMs: number };
}

export const requestInfo = (req: FastifyRequest): RequestInfo => ({
  ip: req.ip,
  userAgent: String(req.headers['user-agent'] ?? ''),
  correlationId: String(req.id),
});

const err = Type.Ref(ErrorResponse);

export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const rateLimit = { max: deps.authRateLimit.max, timeWindow: deps.authRateLimit.timeWindowMs };
  const tags = ['accounts'];

  app.post<{ Body: RegisterBody }>(
    '/api/v1/auth/register',
    { config: { rateLimit }, schema: { tags, summary: 'Create a client account', body: RegisterBody, response: { 201: Type.Ref(AuthResponse), 400: err, 409: err, 429: err } } },
    async (req, reply) => reply.status(201).send(await deps.accounts.register(req.body, requestInfo(req))),
  );

  app.post<{ Body: LoginBody }>(
    '/api/v1/auth/login',
    { config: { rateLimit }, schema: { tags, summary: 'Log in', body: LoginBody, response: { 200: Type.Ref(AuthResponse), 400: err, 401: err, 429: err } } },
    async (req) => deps.accounts.login(req.body.email, req.body.password, requestInfo(req)),
  );

  app.post<{ Body: RefreshBody }>(
    '/api/v1/auth/refresh',
    { config: { rateLimit }, schema: { tags, summary: 'Exchange a refresh token for a new pair (the old one stops working)', body: RefreshBody, response: { 200: Type.Ref(AuthResponse), 400: err, 401: err, 429: err } } },
    async (req) => deps.accounts.refresh(req.body.refreshToken, requestInfo(req)),
  );

  app.post(
    '/api/v1/auth/logout',
    { preHandler: authenticate(deps.auth), schema: { tags, summary: 'Sign out everywhere: revokes refresh tokens and current access tokens', security: [{ bearer: [] }], response: { 204: Type.Null(), 401: err } } },
    async (req, reply) => {
      await deps.accounts.logout(req.principal!.userId, requestInfo(req));
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/me',
    { preHandler: authenticate(deps.auth), schema: { tags, summary: 'The signed-in user', security: [{ bearer: [] }], response: { 200: Type.Ref(User), 401: err } } },
    async (req) => deps.accounts.getUser(req.principal!.userId),
  );

  app.post<{ Body: StaffBody }>(
    '/api/v1/admin/staff',
    {
      preHandler: authenticate(deps.auth, ['admin']),
      schema: { tags: ['admin'], summary: 'Create a therapist, on-call or admin account', security: [{ bearer: [] }], body: StaffBody, response: { 201: Type.Object({ user: Type.Ref(User) }), 400: err, 401: err, 403: err, 409: err } },
    },
    async (req, reply) => {
      const user = await deps.accounts.createAccount({ ...req.body, createdBy: req.principal!.userId }, requestInfo(req));
      return reply.status(201).send({ user });
    },
  );
}
