/**
 * The events of other contexts as the audit service sees them. The protobuf mapping
 * (infrastructure/consumed-event-codecs.ts) copies only the fields listed here, so message
 * content, free-text reasons and notes, e-mail addresses and password hashes never enter this
 * service's memory beyond the decoder.
 */
export type ConsumedEvent =
  | { type: 'identity.UserRegistered'; data: { userId: string; role: string; createdBy: string } }
  | { type: 'identity.LoginSucceeded'; data: { userId: string; ip: string } }
  | { type: 'identity.LoginFailed'; data: { userId: string; ip: string; emailHash: string; reasonCode: string } }
  | { type: 'identity.LoggedOut'; data: { userId: string } }
  | { type: 'identity.RefreshTokenReused'; data: { userId: string; ip: string } }
  | { type: 'identity.AccessDenied'; data: { userId: string; route: string; ip: string } }
  | { type: 'identity.AccountErased'; data: { userId: string } }
  | { type: 'session.SessionStarted'; data: { sessionId: string; userId: string; personaId: string; incognito: boolean } }
  | { type: 'session.SessionEnded'; data: { sessionId: string; rated: boolean } }
  | { type: 'conversation.MessagePosted'; data: { sessionId: string; userId: string; messageId: string } }
  | { type: 'safety.CrisisAlertRaised'; data: { alertId: string; sessionId: string; userId: string; riskLevel: string } }
  | { type: 'safety.CrisisAlertAcknowledged'; data: { alertId: string; staffId: string } }
  | { type: 'safety.CrisisAlertResolved'; data: { alertId: string; staffId: string } }
  | { type: 'billing.CreditsGranted'; data: { userId: string; amount: number; grantId: string; grantedBy: string } }
  | { type: 'billing.PlanChanged'; data: { userId: string; from: string; to: string; changedBy: string } }
  | { type: 'memory.UserErased'; data: { userId: string; requestedBy: string } }
  | {
      type: 'audit.SuspiciousActivityFlagged';
      data: { flagId: string; kind: string; subject: string; severity: string; count: number; windowSeconds: number; triggerEventId: string };
    }
  /** Any other event (not audited field by field, or newer than this build): only its type is known. */
  | { type: 'other'; eventType: string };

/** Envelope facts of a consumed event (no payload). */
export interface EventMeta {
  readonly id: string;
  /** Full type, e.g. `identity.LoginFailed`. */
  readonly type: string;
  readonly context: string;
  readonly aggregateId: string;
  readonly occurredAt: Date;
  readonly actor: string;
}

/** Login failure reasons are codes; anything else is dropped rather than copied. */
export const LOGIN_FAILURE_CODES: ReadonlySet<string> = new Set(['unknown_email', 'wrong_password', 'locked', 'erased', 'rate_limited']);
