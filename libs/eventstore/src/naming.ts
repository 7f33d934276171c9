import { InvalidAggregateIdError, InvalidContextError } from './errors';

// Aggregate ids become one NATS subject token: no dots, wildcards or whitespace.
const AGGREGATE_ID = /^[A-Za-z0-9_-]{1,200}$/;
// Contexts become a stream name (upper-cased) and a subject prefix.
const CONTEXT = /^[a-z][a-z0-9_]{0,62}$/;

export const DEAD_LETTER_STREAM = 'DEADLETTER';
export const DEAD_LETTER_SUBJECT_PREFIX = 'dlq';

export function assertValidAggregateId(aggregateId: string): void {
  if (!AGGREGATE_ID.test(aggregateId)) throw new InvalidAggregateIdError(aggregateId);
}

export function assertValidContext(context: string): void {
  if (!CONTEXT.test(context)) throw new InvalidContextError(context);
}

/** `identity` → `IDENTITY`. */
export function streamNameFor(context: string): string {
  assertValidContext(context);
  return context.toUpperCase();
}

/** `identity` → `identity.evt.>`: every event of the context. */
export function contextSubjects(context: string): string {
  assertValidContext(context);
  return `${context}.evt.>`;
}

/** `identity`, `u-1` → `identity.evt.u-1`: the subject holding one aggregate's events. */
export function aggregateSubject(context: string, aggregateId: string): string {
  assertValidContext(context);
  assertValidAggregateId(aggregateId);
  return `${context}.evt.${aggregateId}`;
}

/** Where a projection's dead letters go: `dlq.<durable>.<original subject>`. */
export function deadLetterSubject(durable: string, originalSubject: string): string {
  return `${DEAD_LETTER_SUBJECT_PREFIX}.${durable}.${originalSubject}`;
}
