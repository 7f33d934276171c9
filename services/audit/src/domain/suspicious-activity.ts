import { unknownEventAction } from './classification';
import type { ConsumedEvent, EventMeta } from './consumed-events';

export type SuspiciousKind = 'failed_logins_account' | 'failed_logins_ip' | 'access_denied_user' | 'data_exports_user' | 'refresh_token_reuse';
export type FlagSeverity = 'high' | 'critical';

export interface DetectionRule {
  readonly kind: SuspiciousKind;
  readonly windowMs: number;
  /** Ascending: each threshold crossed is flagged once per window. */
  readonly thresholds: readonly { readonly count: number; readonly severity: FlagSeverity }[];
}

const MINUTE = 60_000;

export const DETECTION_RULES: Readonly<Record<SuspiciousKind, DetectionRule>> = {
  failed_logins_account: { kind: 'failed_logins_account', windowMs: 15 * MINUTE, thresholds: [{ count: 10, severity: 'high' }, { count: 30, severity: 'critical' }] },
  failed_logins_ip: { kind: 'failed_logins_ip', windowMs: 15 * MINUTE, thresholds: [{ count: 10, severity: 'high' }, { count: 30, severity: 'critical' }] },
  access_denied_user: { kind: 'access_denied_user', windowMs: 10 * MINUTE, thresholds: [{ count: 5, severity: 'high' }] },
  data_exports_user: { kind: 'data_exports_user', windowMs: 60 * MINUTE, thresholds: [{ count: 3, severity: 'high' }] },
  // A reused refresh token means a stolen token or a replay: one is enough.
  refresh_token_reuse: { kind: 'refresh_token_reuse', windowMs: 60 * MINUTE, thresholds: [{ count: 1, severity: 'high' }] },
};

/** One occurrence of something a rule counts, for one subject ("user:<id>", "email:<hash>", "ip:<address>"). */
export interface Signal {
  readonly rule: DetectionRule;
  readonly subject: string;
}

/** The sliding-window counters an event feeds. */
export function signalsFor(event: ConsumedEvent, meta: EventMeta): Signal[] {
  const signals: Signal[] = [];
  const add = (kind: SuspiciousKind, subject: string | undefined) => {
    if (subject !== undefined) signals.push({ rule: DETECTION_RULES[kind], subject });
  };
  switch (event.type) {
    case 'identity.LoginFailed': {
      const d = event.data;
      add('failed_logins_account', d.userId !== '' ? `user:${d.userId}` : d.emailHash !== '' ? `email:${d.emailHash}` : undefined);
      add('failed_logins_ip', d.ip !== '' ? `ip:${d.ip}` : undefined);
      break;
    }
    case 'identity.AccessDenied':
      add('access_denied_user', event.data.userId !== '' ? `user:${event.data.userId}` : undefined);
      break;
    case 'identity.RefreshTokenReused':
      add('refresh_token_reuse', event.data.userId !== '' ? `user:${event.data.userId}` : undefined);
      break;
    case 'other':
      if (unknownEventAction(event.eventType) === 'data_export') add('data_exports_user', meta.actor !== '' ? `user:${meta.actor}` : undefined);
      break;
    default:
      break;
  }
  return signals;
}

/**
 * Thresholds to flag now: crossed by `countInWindow` and not flagged for this subject within the
 * current window (`flaggedUntil` by severity, in event time).
 */
export function thresholdsToFlag(
  rule: DetectionRule,
  countInWindow: number,
  atMs: number,
  flaggedUntil: Readonly<Partial<Record<FlagSeverity, number>>>,
): FlagSeverity[] {
  return rule.thresholds
    .filter((t) => countInWindow >= t.count)
    .filter((t) => {
      const until = flaggedUntil[t.severity];
      return until === undefined || atMs >= until;
    })
    .map((t) => t.severity);
}
