import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

/**
 * One transport-agnostic error taxonomy (STYLE.md §8). Domain code throws DomainError; the gRPC
 * layer maps the kind to a status code, and only the gateway maps it to HTTP.
 */
export type ErrorKind =
  | 'InvalidArgument'
  | 'NotFound'
  | 'Conflict'
  | 'FailedPrecondition'
  | 'PermissionDenied'
  | 'Unauthenticated'
  | 'ResourceExhausted'
  | 'Unavailable'
  | 'DeadlineExceeded'
  | 'Internal';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable SNAKE_CASE code clients can switch on, e.g. EMAIL_TAKEN. */
    readonly code: string,
    message: string,
    readonly details?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const errors = {
  invalidArgument: (code: string, message: string, details?: Record<string, string>) => new DomainError('InvalidArgument', code, message, details),
  notFound: (code: string, message: string) => new DomainError('NotFound', code, message),
  conflict: (code: string, message: string) => new DomainError('Conflict', code, message),
  failedPrecondition: (code: string, message: string) => new DomainError('FailedPrecondition', code, message),
  permissionDenied: (code: string, message: string) => new DomainError('PermissionDenied', code, message),
  unauthenticated: (code: string, message: string) => new DomainError('Unauthenticated', code, message),
  resourceExhausted: (code: string, message: string) => new DomainError('ResourceExhausted', code, message),
  unavailable: (code: string, message: string) => new DomainError('Unavailable', code, message),
};

const KIND_TO_STATUS: Record<ErrorKind, status> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  NotFound: status.NOT_FOUND,
  Conflict: status.ALREADY_EXISTS,
  FailedPrecondition: status.FAILED_PRECONDITION,
  PermissionDenied: status.PERMISSION_DENIED,
  Unauthenticated: status.UNAUTHENTICATED,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
  Unavailable: status.UNAVAILABLE,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
  Internal: status.INTERNAL,
};

const STATUS_TO_KIND = new Map<number, ErrorKind>(Object.entries(KIND_TO_STATUS).map(([k, v]) => [v, k as ErrorKind]));
STATUS_TO_KIND.set(status.ABORTED, 'Conflict');
STATUS_TO_KIND.set(status.CANCELLED, 'Unavailable');
STATUS_TO_KIND.set(status.UNIMPLEMENTED, 'Internal');

const CODE_HEADER = 'haven-error-code';

/** Converts anything thrown by a handler into a gRPC status; unknown errors become INTERNAL without leaking their text. */
export function toGrpcError(err: unknown): Partial<ServiceError> & { code: status; details: string } {
  const metadata = new Metadata();
  if (err instanceof DomainError) {
    metadata.set(CODE_HEADER, err.code);
    return { code: KIND_TO_STATUS[err.kind], details: err.message, metadata };
  }
  metadata.set(CODE_HEADER, 'INTERNAL');
  return { code: status.INTERNAL, details: 'internal error', metadata };
}

export function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && 'code' in err && 'metadata' in err && typeof (err as ServiceError).code === 'number';
}

/** Turns a gRPC client error back into a DomainError so callers (the gateway) handle one type. */
export function fromGrpcError(err: unknown, target = 'upstream'): DomainError {
  if (err instanceof DomainError) return err;
  if (isServiceError(err)) {
    const kind = STATUS_TO_KIND.get(err.code) ?? 'Internal';
    const code = String(err.metadata?.get(CODE_HEADER)[0] ?? '') || (kind === 'Unavailable' ? 'SERVICE_UNAVAILABLE' : kind === 'DeadlineExceeded' ? 'UPSTREAM_TIMEOUT' : 'INTERNAL');
    const message = err.metadata?.get(CODE_HEADER).length ? err.details : `${target} ${kind === 'Unavailable' ? 'is unavailable' : kind === 'DeadlineExceeded' ? 'did not answer in time' : 'failed'}`;
    return new DomainError(kind, code, message);
  }
  return new DomainError('Internal', 'INTERNAL', 'internal error');
}
