import type { AuditCategory, AuditEntry, AuditResult, Severity } from './audit-record';
import type { ConsumedEvent, EventMeta } from './consumed-events';

interface Classified {
  category: AuditCategory;
  actor: string;
  subjectUserId?: string;
  ip?: string;
  severity: Severity;
  result: AuditResult;
  details?: Record<string, string>;
}

/** What events the audit service does not know by name may still be: recognised by their type name only. */
const UNKNOWN_TYPE_RULES: readonly { pattern: RegExp; category: AuditCategory; action: string; severity: Severity }[] = [
  { pattern: /Export/, category: 'privacy', action: 'data_export', severity: 'medium' },
  { pattern: /Eras(e|ure)/, category: 'privacy', action: 'erasure', severity: 'medium' },
  { pattern: /(Accessed|Viewed)$/, category: 'privacy', action: 'data_access', severity: 'info' },
  { pattern: /(Role|Staff|Permission|Suspend|Ban|Config|Setting|Persona)/, category: 'admin', action: 'admin_change', severity: 'medium' },
];

/** The recognised action of an event we only know by type name, e.g. `data_export`. */
export function unknownEventAction(eventType: string): string | undefined {
  const name = eventType.slice(eventType.indexOf('.') + 1);
  return UNKNOWN_TYPE_RULES.find((r) => r.pattern.test(name))?.action;
}

const orAnonymous = (id: string) => (id === '' ? 'anonymous' : id);
const orEnvelope = (id: string, meta: EventMeta) => (id === '' ? meta.actor : id);

function classify(event: ConsumedEvent, meta: EventMeta): Classified | undefined {
  switch (event.type) {
    case 'identity.UserRegistered': {
      const d = event.data;
      if (d.createdBy !== '') {
        return { category: 'admin', actor: d.createdBy, subjectUserId: d.userId, severity: d.role === 'admin' ? 'high' : 'medium', result: 'success', details: { action: 'staff_created', role: d.role } };
      }
      return { category: 'account', actor: d.userId, subjectUserId: d.userId, severity: 'info', result: 'success', details: { action: 'registered', role: d.role } };
    }
    case 'identity.LoginSucceeded':
      return { category: 'auth', actor: event.data.userId, subjectUserId: event.data.userId, ip: event.data.ip, severity: 'info', result: 'success', details: { action: 'login' } };
    case 'identity.LoginFailed': {
      const d = event.data;
      const details: Record<string, string> = { action: 'login' };
      if (d.emailHash !== '') details.emailHash = d.emailHash;
      if (d.reasonCode !== '') details.reason = d.reasonCode;
      return { category: 'auth', actor: orAnonymous(d.userId), subjectUserId: d.userId, ip: d.ip, severity: 'low', result: 'failure', details };
    }
    case 'identity.LoggedOut':
      return { category: 'auth', actor: event.data.userId, subjectUserId: event.data.userId, severity: 'info', result: 'success', details: { action: 'logout' } };
    case 'identity.RefreshTokenReused':
      return { category: 'security', actor: orAnonymous(event.data.userId), subjectUserId: event.data.userId, ip: event.data.ip, severity: 'high', result: 'denied', details: { action: 'refresh_token_reuse' } };
    case 'identity.AccessDenied':
      return { category: 'access', actor: orAnonymous(event.data.userId), subjectUserId: event.data.userId, ip: event.data.ip, severity: 'medium', result: 'denied', details: { action: 'access_denied', route: event.data.route.slice(0, 200) } };
    case 'identity.AccountErased':
      return { category: 'privacy', actor: meta.actor, subjectUserId: event.data.userId, severity: 'medium', result: 'success', details: { action: 'account_erased' } };
    case 'session.SessionStarted': {
      const d = event.data;
      return { category: 'session', actor: d.userId, subjectUserId: d.userId, severity: 'info', result: 'success', details: { action: 'session_started', sessionId: d.sessionId, personaId: d.personaId, incognito: String(d.incognito) } };
    }
    case 'session.SessionEnded':
      return { category: 'session', actor: meta.actor, severity: 'info', result: 'success', details: { action: 'session_ended', sessionId: event.data.sessionId, rated: String(event.data.rated) } };
    case 'safety.CrisisAlertRaised': {
      const d = event.data;
      const severity: Severity = d.riskLevel === 'high_risk' ? 'critical' : d.riskLevel === 'elevated_concern' ? 'high' : 'medium';
      return { category: 'safety', actor: meta.actor, subjectUserId: d.userId, severity, result: 'success', details: { action: 'crisis_alert_raised', alertId: d.alertId, sessionId: d.sessionId, riskLevel: d.riskLevel } };
    }
    case 'safety.CrisisAlertAcknowledged':
      return { category: 'safety', actor: orEnvelope(event.data.staffId, meta), severity: 'info', result: 'success', details: { action: 'crisis_alert_acknowledged', alertId: event.data.alertId } };
    case 'safety.CrisisAlertResolved':
      return { category: 'safety', actor: orEnvelope(event.data.staffId, meta), severity: 'info', result: 'success', details: { action: 'crisis_alert_resolved', alertId: event.data.alertId } };
    case 'billing.CreditsGranted': {
      const d = event.data;
      // Automatic grants (sign-up, monthly top-up) are routine; a person granting credits is an admin change.
      const manual = d.grantedBy !== '' && d.grantedBy !== 'system' && d.grantedBy !== 'billing';
      return { category: manual ? 'admin' : 'billing', actor: orEnvelope(d.grantedBy, meta), subjectUserId: d.userId, severity: manual ? 'medium' : 'info', result: 'success', details: { action: 'credits_granted', amount: String(d.amount), grantId: d.grantId } };
    }
    case 'billing.PlanChanged': {
      const d = event.data;
      return { category: 'billing', actor: orEnvelope(d.changedBy, meta), subjectUserId: d.userId, severity: 'medium', result: 'success', details: { action: 'plan_changed', from: d.from, to: d.to } };
    }
    case 'memory.UserErased':
      return { category: 'privacy', actor: orEnvelope(event.data.requestedBy, meta), subjectUserId: event.data.userId, severity: 'medium', result: 'success', details: { action: 'user_erased' } };
    case 'audit.SuspiciousActivityFlagged': {
      const d = event.data;
      const severity: Severity = d.severity === 'critical' ? 'critical' : 'high';
      return {
        category: 'security',
        actor: meta.actor,
        subjectUserId: d.subject.startsWith('user:') ? d.subject.slice(5) : '',
        ip: d.subject.startsWith('ip:') ? d.subject.slice(3) : '',
        severity,
        result: 'flagged',
        details: { action: 'suspicious_activity', kind: d.kind, subject: d.subject, count: String(d.count), windowSeconds: String(d.windowSeconds), flagId: d.flagId, triggerEventId: d.triggerEventId },
      };
    }
    case 'conversation.MessagePosted':
      // Counted for statistics and funnels; a message is not a security event.
      return undefined;
    case 'other': {
      const name = event.eventType.slice(event.eventType.indexOf('.') + 1);
      const rule = UNKNOWN_TYPE_RULES.find((r) => r.pattern.test(name));
      if (!rule) return undefined;
      return { category: rule.category, actor: meta.actor, severity: rule.severity, result: 'success', details: { action: rule.action } };
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** The audit record for a security-relevant event, or undefined for events that are only counted. */
export function auditEntryFor(event: ConsumedEvent, meta: EventMeta): AuditEntry | undefined {
  const c = classify(event, meta);
  if (!c) return undefined;
  return {
    eventId: meta.id,
    eventType: meta.type,
    context: meta.context,
    aggregateId: meta.aggregateId,
    category: c.category,
    actor: c.actor === '' ? 'unknown' : c.actor,
    subjectUserId: c.subjectUserId ?? '',
    ip: c.ip ?? '',
    severity: c.severity,
    result: c.result,
    at: meta.occurredAt,
    details: c.details ?? {},
  };
}
