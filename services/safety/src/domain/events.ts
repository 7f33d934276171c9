import type { RiskLevel, SafetyState } from './levels';

export type StateChangeReason = 'assessment' | 'alert_resolved';

/**
 * safety.* events as the domain sees them. Session aggregates (`safety.evt.<sessionId>`) hold
 * RiskAssessed, SafetyStateChanged and CrisisAlertLinked; alert aggregates
 * (`safety.evt.alert-<alertId>`) hold the CrisisAlert* lifecycle. No event carries message text.
 */
export type SafetyEvent =
  | {
      type: 'RiskAssessed';
      data: {
        sessionId: string;
        messageId: string;
        userId: string;
        level: RiskLevel;
        signals: string[];
        confidence: number;
        classifier: string;
        locale: string;
        /** '' unless HIGH_RISK: the alert this assessment raised or escalated. */
        alertId: string;
      };
    }
  | { type: 'SafetyStateChanged'; data: { sessionId: string; from: SafetyState; to: SafetyState; reason: StateChangeReason; alertId: string } }
  | { type: 'CrisisAlertLinked'; data: { sessionId: string; alertId: string } }
  | {
      type: 'CrisisAlertRaised';
      data: { alertId: string; sessionId: string; userId: string; severity: RiskLevel; signals: string[]; raisedAt: Date; messageId: string };
    }
  | { type: 'CrisisAlertEscalated'; data: { alertId: string; sessionId: string; severity: RiskLevel; addedSignals: string[]; messageId: string } }
  | { type: 'CrisisAlertAcknowledged'; data: { alertId: string; staffId: string; acknowledgedAt: Date } }
  | { type: 'CrisisAlertResolved'; data: { alertId: string; staffId: string; note: string; resolvedAt: Date } };

export type SafetyEventType = SafetyEvent['type'];

/** Aggregate id of an alert's stream: `safety.evt.alert-<alertId>`. */
export function alertAggregateId(alertId: string): string {
  return `alert-${alertId}`;
}

export const ALERT_AGGREGATE_PREFIX = 'alert-';
