import type { ConsumedEvent } from './consumed-events';

export type FunnelName = 'onboarding' | 'session';

/** Steps in order; each counts subjects (users or sessions) that reached it and every earlier step. */
export const FUNNEL_STEPS = {
  onboarding: ['registered', 'first_session_started', 'first_message', 'first_session_completed'],
  session: ['started', 'message_sent', 'ended', 'rated'],
} as const satisfies Record<FunnelName, readonly string[]>;

export type FunnelStepName<F extends FunnelName = FunnelName> = (typeof FUNNEL_STEPS)[F][number];

/** A subject (user id for onboarding, session id for session) reached a step. Idempotent by id. */
export interface FunnelFact {
  readonly funnel: FunnelName;
  readonly step: FunnelStepName;
  /** User id (onboarding) or session id (session). */
  readonly key: string;
  /** The user, when known (session facts keep it for the onboarding completion step). */
  readonly userId: string;
}

export const funnelFactId = (f: Pick<FunnelFact, 'funnel' | 'step' | 'key'>): string => `${f.funnel}:${f.step}:${f.key}`;

/**
 * Funnel facts an event produces. `sessionOwner` is the user of a session that started earlier
 * (SessionEnded carries no user id).
 */
export function funnelFactsFor(event: ConsumedEvent, sessionOwner: string | undefined): FunnelFact[] {
  switch (event.type) {
    case 'identity.UserRegistered':
      // Staff accounts created by an admin do not onboard.
      return event.data.createdBy === '' ? [{ funnel: 'onboarding', step: 'registered', key: event.data.userId, userId: event.data.userId }] : [];
    case 'session.SessionStarted': {
      const { sessionId, userId } = event.data;
      return [
        { funnel: 'session', step: 'started', key: sessionId, userId },
        { funnel: 'onboarding', step: 'first_session_started', key: userId, userId },
      ];
    }
    case 'conversation.MessagePosted': {
      const { sessionId, userId } = event.data;
      return [
        { funnel: 'session', step: 'message_sent', key: sessionId, userId },
        { funnel: 'onboarding', step: 'first_message', key: userId, userId },
      ];
    }
    case 'session.SessionEnded': {
      const { sessionId, rated } = event.data;
      const owner = sessionOwner ?? '';
      const facts: FunnelFact[] = [{ funnel: 'session', step: 'ended', key: sessionId, userId: owner }];
      if (rated) facts.push({ funnel: 'session', step: 'rated', key: sessionId, userId: owner });
      if (owner !== '') facts.push({ funnel: 'onboarding', step: 'first_session_completed', key: owner, userId: owner });
      return facts;
    }
    default:
      return [];
  }
}

export interface FunnelReport {
  readonly name: FunnelName;
  readonly steps: { readonly name: string; readonly count: number }[];
}

/** Strict funnels: a step counts only subjects that reached every earlier step. */
export function computeFunnels(reached: (funnel: FunnelName, step: string) => ReadonlySet<string>): FunnelReport[] {
  return (Object.keys(FUNNEL_STEPS) as FunnelName[]).map((name) => {
    let survivors: Set<string> | undefined;
    const steps = FUNNEL_STEPS[name].map((step) => {
      const here = reached(name, step);
      survivors = survivors === undefined ? new Set(here) : new Set([...survivors].filter((k) => here.has(k)));
      return { name: step, count: survivors.size };
    });
    return { name, steps };
  });
}
