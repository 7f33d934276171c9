import type { NatsConnection } from 'nats';
import type { LiveFrames } from '../application/ports';
import type { CrisisAlertView } from '../domain/crisisAlert';

export const ONCALL_SUBJECT = 'live.oncall';
export const sessionSubject = (sessionId: string): string => `live.session.${sessionId}`;

/** The alert as on-call clients see it (API.md: crisis_alert {alert}); never message content. */
export function alertJson(a: CrisisAlertView): Record<string, unknown> {
  return {
    id: a.alertId,
    sessionId: a.sessionId,
    userId: a.userId,
    severity: a.severity,
    signals: a.signals,
    status: a.status,
    raisedAt: a.raisedAt.toISOString(),
    occurrences: a.occurrences,
    ...(a.acknowledgedAt ? { acknowledgedAt: a.acknowledgedAt.toISOString(), acknowledgedBy: a.acknowledgedBy } : {}),
    ...(a.resolvedAt ? { resolvedAt: a.resolvedAt.toISOString(), resolvedBy: a.resolvedBy } : {}),
  };
}

/** Live frames on core NATS (ADR 0005): fire-and-forget, a lost frame is re-read from the API. */
export function natsLiveFrames(nc: NatsConnection): LiveFrames {
  return {
    safetyStateChanged(sessionId, frame) {
      nc.publish(sessionSubject(sessionId), JSON.stringify({ type: 'safety_state_changed', ...frame }));
    },
    crisisAlert(alert) {
      nc.publish(ONCALL_SUBJECT, JSON.stringify({ type: 'crisis_alert', alert: alertJson(alert) }));
    },
  };
}
