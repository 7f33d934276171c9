import { PLAN_LABEL, personaAllowed, type PlanLimits } from './plans';

/** Why billing refuses a message or a session start; conversation and the gateway switch on these. */
export type RefusalCode = 'DAILY_LIMIT' | 'MESSAGE_TOO_LONG' | 'PERSONA_NOT_IN_PLAN' | 'INSUFFICIENT_CREDITS' | 'SESSION_LENGTH_NOT_IN_PLAN';
export type Verdict = { allowed: true } | { allowed: false; code: RefusalCode; message: string };

const ALLOWED: Verdict = { allowed: true };
const refuse = (code: RefusalCode, message: string): Verdict => ({ allowed: false, code, message });

const insufficientCredits = () =>
  refuse('INSUFFICIENT_CREDITS', "You're out of credits. Add credits or upgrade your plan to keep talking.");

const personaRefusal = (limits: PlanLimits) =>
  refuse('PERSONA_NOT_IN_PLAN', `This companion isn't included in the ${PLAN_LABEL[limits.plan]} plan. Choose another one or upgrade to talk with them.`);

/**
 * The checks that need no counter: length, persona, credits. The daily cap is checked after
 * these (dailyCapVerdict) so a message refused here does not use up the day's quota.
 */
export function messageVerdict(limits: PlanLimits, msg: { messageLength: number; personaId: string; balance: number }): Verdict {
  if (msg.messageLength > limits.maxMessageLength) {
    return refuse('MESSAGE_TOO_LONG', `Your message is ${msg.messageLength} characters; the ${PLAN_LABEL[limits.plan]} plan allows up to ${limits.maxMessageLength}. Please shorten it.`);
  }
  if (msg.personaId !== '' && !personaAllowed(limits, msg.personaId)) return personaRefusal(limits);
  if (msg.balance <= 0) return insufficientCredits();
  return ALLOWED;
}

/** `countWithThis` is the day's count including the message being authorized. */
export function dailyCapVerdict(limits: PlanLimits, countWithThis: number): Verdict {
  if (countWithThis <= limits.dailyMessageLimit) return ALLOWED;
  return refuse('DAILY_LIMIT', `You've reached today's limit of ${limits.dailyMessageLimit} messages on the ${PLAN_LABEL[limits.plan]} plan. It resets at midnight UTC, or upgrade for more.`);
}

export function sessionStartVerdict(limits: PlanLimits, req: { personaId: string; durationMinutes: number; balance: number }): Verdict {
  if (!personaAllowed(limits, req.personaId)) return personaRefusal(limits);
  if (!limits.sessionLengthsMinutes.includes(req.durationMinutes)) {
    return refuse('SESSION_LENGTH_NOT_IN_PLAN', `The ${PLAN_LABEL[limits.plan]} plan offers sessions of ${limits.sessionLengthsMinutes.join(', ')} minutes.`);
  }
  if (req.balance <= 0) return insufficientCredits();
  return ALLOWED;
}

/** `YYYY-MM-DD` of a UTC instant: the daily cap's day. */
export const utcDay = (d: Date): string => d.toISOString().slice(0, 10);
