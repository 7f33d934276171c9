import type { StreamPosition } from './position';

/**
 * An append found the aggregate at another position than the caller expected: someone else
 * appended in between. Reload and decide again; never overwrite.
 */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly aggregateId: string,
    readonly expected: StreamPosition | 'any',
    /** Last stream sequence of the subject as reported by the server, when it said so. */
    readonly actualSequence: number | undefined,
    /**
     * Number of events of this append that were stored before the conflict. Multi-event appends
     * are chained publishes, not one atomic write (see docs/adr/0001): normally 0.
     */
    readonly appendedBeforeConflict: number,
  ) {
    super(
      `wrong expected version for aggregate ${aggregateId}: expected ` +
        (expected === 'any' ? 'any' : `version ${expected.version} (sequence ${expected.sequence})`) +
        (actualSequence === undefined ? '' : `, subject is at sequence ${actualSequence}`),
    );
  }
}

export class InvalidAggregateIdError extends Error {
  override readonly name = 'InvalidAggregateIdError';
  constructor(readonly aggregateId: string) {
    super(
      `invalid aggregate id ${JSON.stringify(aggregateId.slice(0, 80))}: ` +
        'use 1-200 characters of [A-Za-z0-9_-] (it becomes a NATS subject token)',
    );
  }
}

export class InvalidContextError extends Error {
  override readonly name = 'InvalidContextError';
  constructor(readonly context: string) {
    super(
      `invalid bounded context name ${JSON.stringify(context.slice(0, 80))}: ` +
        'use a lower-case letter followed by [a-z0-9_] (it becomes a stream name and subject prefix)',
    );
  }
}

/** A stored message that cannot be turned back into a domain event (envelope or payload). */
export class EventDecodeError extends Error {
  override readonly name = 'EventDecodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The same Nats-Msg-Id was already stored for another aggregate within the duplicate window:
 * the caller reused an event id. Nothing was written for it.
 */
export class EventIdCollisionError extends Error {
  override readonly name = 'EventIdCollisionError';
  constructor(
    readonly eventId: string,
    readonly aggregateId: string,
    readonly storedSubject: string,
  ) {
    super(`event id ${eventId} is already stored on ${storedSubject}, not on aggregate ${aggregateId}`);
  }
}

/**
 * Thrown by a projection handler for an event that can never be applied (invalid data, broken
 * invariant). The runner dead-letters it at once instead of retrying.
 */
export class PoisonEventError extends Error {
  override readonly name = 'PoisonEventError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Thrown by a projection handler when the event cannot be applied *yet* (an earlier event of the
 * same document is still missing, see applyVersioned's 'gap'). The runner naks it with a delay.
 */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    message: string,
    readonly delayMs?: number,
  ) {
    super(message);
  }
}
