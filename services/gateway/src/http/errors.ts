import { DomainError, type ErrorKind } from '@haven/platform';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The only place domain error kinds become HTTP statuses (STYLE.md §8). */
const KIND_TO_HTTP: Record<ErrorKind, number> = {
  InvalidArgument: 400,
  Unauthenticated: 401,
  PermissionDenied: 403,
  NotFound: 404,
  Conflict: 409,
  FailedPrecondition: 422,
  ResourceExhausted: 429,
  Internal: 500,
  Unavailable: 503,
  DeadlineExceeded: 504,
};

/** App codes whose HTTP status is more specific than their kind's (API.md: 413 too large). */
const CODE_TO_HTTP: Record<string, number> = {
  MESSAGE_TOO_LONG: 413,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, string> };
}

export function httpError(status: number, code: string, message: string): Error & { statusCode: number; code: string } {
  return Object.assign(new Error(message), { statusCode: status, code });
}

/** Maps anything thrown in a route to `{"error":{code,message}}` with the right status; nothing internal leaks. */
export function errorHandler(err: FastifyError | DomainError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof DomainError) {
    const status = CODE_TO_HTTP[err.code] ?? KIND_TO_HTTP[err.kind];
    if (status >= 500) req.log.warn({ code: err.code, kind: err.kind }, 'upstream error');
    return reply.status(status).send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } } satisfies ErrorBody);
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    // Ajv's message names the field, e.g. "body/email must match format \"email\"".
    return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: fe.message } } satisfies ErrorBody);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply.status(400).send({ error: { code: 'MALFORMED_JSON', message: 'request body is not valid JSON' } });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply.status(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' } });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply.status(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send JSON with content-type: application/json' } });
  }
  const status = fe.statusCode ?? 500;
  if (status >= 500) {
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  }
  const code = typeof fe.code === 'string' && /^[A-Z_]+$/.test(fe.code) && !fe.code.startsWith('FST_') ? fe.code : 'BAD_REQUEST';
  return reply.status(status).send({ error: { code, message: fe.message } });
}
