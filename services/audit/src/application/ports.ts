import type { AuditEntry } from '../domain/audit-record';
import type { EventMeta } from '../domain/consumed-events';
import type { FunnelFact } from '../domain/funnels';
import type { FlagSeverity, SuspiciousKind } from '../domain/suspicious-activity';

export interface AuditChainPort {
  append(entry: AuditEntry): Promise<'appended' | 'duplicate'>;
}

/** Every consumed event's id and type (for statistics); true when it was not seen before. */
export interface EventLogPort {
  add(meta: EventMeta): Promise<boolean>;
}

export interface FunnelFactsPort {
  /** True when the fact is new. */
  add(fact: FunnelFact, at: Date): Promise<boolean>;
  /** The user of a session whose start was recorded. */
  sessionOwner(sessionId: string): Promise<string | undefined>;
}

export interface SlidingWindowsPort {
  observe(kind: SuspiciousKind, subject: string, eventId: string, atMs: number, windowMs: number): Promise<number>;
  flaggedUntil(kind: SuspiciousKind, subject: string, severities: readonly FlagSeverity[]): Promise<Partial<Record<FlagSeverity, number>>>;
  markFlagged(kind: SuspiciousKind, severity: FlagSeverity, subject: string, untilMs: number, windowMs: number): Promise<void>;
}

export interface SuspiciousFlag {
  readonly id: string;
  readonly kind: SuspiciousKind;
  readonly subject: string;
  readonly severity: FlagSeverity;
  readonly count: number;
  readonly windowSeconds: number;
  readonly triggerEventId: string;
  /** Occurred-at of the triggering event. */
  readonly at: Date;
}

export interface SuspiciousFlagsPort {
  /** Publishes SuspiciousActivityFlagged on the AUDIT stream; idempotent by flag id. */
  publish(flag: SuspiciousFlag): Promise<void>;
  /** Stores the flag in the `suspicious` collection; true when it is new. */
  store(flag: SuspiciousFlag): Promise<boolean>;
}

export interface AuditMetricsPort {
  recordAppended(eventType: string): void;
  flagRaised(kind: SuspiciousKind, severity: FlagSeverity): void;
  funnelStep(funnel: string, step: string): void;
}
