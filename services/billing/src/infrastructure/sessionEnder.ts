import { DomainError, type GrpcClient } from '@haven/platform';
import type { sessionV1 } from '@haven/proto';
import type { SessionEnder } from '../application/ports';

export const OUT_OF_CREDITS = 'out_of_credits';

/** Ends a session through the session service, as its owner would (EndSession checks ownership). */
export class GrpcSessionEnder implements SessionEnder {
  constructor(private readonly client: GrpcClient<sessionV1.SessionServiceClient>) {}

  async endOutOfCredits(sessionId: string, userId: string): Promise<void> {
    try {
      await this.client.unary((c) => c.endSession, 'EndSession', { sessionId, userId, reason: OUT_OF_CREDITS, closingMood: 0, rating: 0 });
    } catch (err) {
      // Already ended (or gone): nothing left to end. Anything else is retried by the timer.
      if (err instanceof DomainError && (err.kind === 'FailedPrecondition' || err.kind === 'NotFound' || err.kind === 'Conflict')) return;
      throw err;
    }
  }
}
