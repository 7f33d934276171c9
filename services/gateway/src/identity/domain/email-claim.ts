import type { Decider } from '@haven/eventstore';
import { errors } from '@haven/platform';
import type { IdentityEvent } from './events';

/**
 * E-mail uniqueness without a unique index: each address has its own aggregate (subject keyed by
 * the address's hash) and the event store's optimistic concurrency lets exactly one user claim it.
 */
export type EmailClaimState = { claimedBy: string | undefined };
export type EmailClaimCommand = { type: 'ClaimEmail'; data: { userId: string } };

export const initialEmailClaimState: EmailClaimState = { claimedBy: undefined };

export function evolveEmailClaim(state: EmailClaimState, event: IdentityEvent): EmailClaimState {
  return event.type === 'EmailReserved' && state.claimedBy === undefined ? { claimedBy: event.data.userId } : state;
}

export function decideEmailClaim(command: EmailClaimCommand, state: EmailClaimState): IdentityEvent[] {
  if (state.claimedBy !== undefined && state.claimedBy !== command.data.userId) {
    throw errors.conflict('EMAIL_TAKEN', 'an account with this e-mail address already exists');
  }
  if (state.claimedBy === command.data.userId) return [];
  return [{ type: 'EmailReserved', data: { userId: command.data.userId } }];
}

export const emailClaimDecider: Decider<EmailClaimCommand, IdentityEvent, EmailClaimState> = { initialState: () => initialEmailClaimState, evolve: evolveEmailClaim, decide: decideEmailClaim };
