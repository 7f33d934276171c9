import { errors } from '@haven/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../identity/domain/events';
import type { AccessTokens } from '../identity/infrastructure/tokens';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: { userId: string; role: Role; locale: string };
  }
}

export interface AuthDeps {
  accessTokens: AccessTokens;
  isRevoked(userId: string, issuedAtMs: number): Promise<boolean>;
  onAccessDenied(info: { userId: string; route: string; reason: string; ip: string }): Promise<void>;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const q = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof q === 'string' ? q : undefined;
}

/** preHandler factory: verifies the access token (signature, expiry, revocation) and optionally the role. */
export function authenticate(deps: AuthDeps, roles?: readonly Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearer(req);
    if (!token) throw errors.unauthenticated('UNAUTHENTICATED', 'send an access token: Authorization: Bearer <token>');
    let claims;
    try {
      claims = deps.accessTokens.verify(token);
    } catch {
      throw errors.unauthenticated('INVALID_TOKEN', 'access token is invalid or expired; refresh it or log in again');
    }
    if (await deps.isRevoked(claims.sub, claims.iat_ms)) throw errors.unauthenticated('TOKEN_REVOKED', 'this access token was revoked; log in again');
    req.principal = { userId: claims.sub, role: claims.role, locale: claims.locale };
    if (roles && !roles.includes(claims.role)) {
      await deps.onAccessDenied({ userId: claims.sub, route: req.routeOptions.url ?? req.url, reason: `role ${claims.role} not in ${roles.join(',')}`, ip: req.ip });
      throw errors.permissionDenied('FORBIDDEN', 'your role may not use this endpoint');
    }
  };
}
