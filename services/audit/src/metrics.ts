import { Counter, type Registry } from 'prom-client';
import type { AuditMetricsPort } from './application/ports';

/** Audit's domain metrics (names in the shared contracts; the registry adds service=audit). */
export function auditMetrics(registry: Registry): AuditMetricsPort {
  const records = new Counter({ name: 'haven_audit_records_total', help: 'Audit records appended to the hash chain, by event type', labelNames: ['event_type'], registers: [registry] });
  const suspicious = new Counter({ name: 'haven_suspicious_activity_total', help: 'Suspicious-activity flags raised, by kind and severity', labelNames: ['kind', 'severity'], registers: [registry] });
  const funnel = new Counter({ name: 'haven_funnel_step_total', help: 'Subjects (users or sessions) reaching a funnel step for the first time', labelNames: ['funnel', 'step'], registers: [registry] });
  return {
    recordAppended: (eventType) => records.inc({ event_type: eventType }),
    flagRaised: (kind, severity) => suspicious.inc({ kind, severity }),
    funnelStep: (f, step) => funnel.inc({ funnel: f, step }),
  };
}
