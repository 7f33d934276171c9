import type { Logger } from '@haven/platform';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock, SafetyRecorder } from './application/ports';
import type { RiskLevel } from './domain/levels';
import type { SafetyReadModels } from './projections/safetyReadModels';

// Severity series that always exist (0 when there is none), so alert rules see them.
const ALWAYS_REPORTED: readonly RiskLevel[] = ['HIGH_RISK'];

interface AlertSnapshot {
  open: Map<string, number>;
  unacknowledged: Map<string, number>;
  oldestUnacknowledgedSeconds: number;
  safetyMode: number;
}

/**
 * Safety metrics (/tmp contracts). Counters and histograms are recorded as commands succeed;
 * the gauges are read from the projections at scrape time, so they are right after a restart
 * and the same on every replica.
 */
export function createSafetyMetrics(registry: Registry, models: SafetyReadModels, clock: Clock, logger: Logger): SafetyRecorder {
  const assessments = new Counter({ name: 'haven_safety_assessments_total', help: 'messages assessed, by risk level', labelNames: ['level'], registers: [registry] });
  const classifierDuration = new Histogram({
    name: 'haven_safety_classifier_duration_seconds',
    help: 'time to classify one message (offline classifier plus remote recall checks)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5],
    registers: [registry],
  });
  const raised = new Counter({ name: 'haven_crisis_alerts_raised_total', help: 'crisis alerts raised, by severity', labelNames: ['severity'], registers: [registry] });
  const ackSeconds = new Histogram({
    name: 'haven_crisis_alert_ack_seconds',
    help: 'time from raising a crisis alert to its acknowledgement by on-call staff',
    buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers: [registry],
  });

  let inFlight: Promise<AlertSnapshot | undefined> | undefined;
  let last: AlertSnapshot | undefined;
  // One read per scrape: every gauge's collect() asks at once, they share the query.
  const snapshot = (): Promise<AlertSnapshot | undefined> => {
    inFlight ??= (async () => {
      try {
        const unresolved = await models.alerts.find({ status: { $in: ['open', 'acknowledged'] } }, { projection: { severity: 1, status: 1, raisedAt: 1 } }).toArray();
        const safetyMode = await models.sessions.countDocuments({ state: 'SAFETY_MODE' });
        const open = new Map<string, number>(ALWAYS_REPORTED.map((s) => [s, 0]));
        const unacknowledged = new Map<string, number>(ALWAYS_REPORTED.map((s) => [s, 0]));
        let oldest: number | undefined;
        for (const a of unresolved) {
          open.set(a.severity, (open.get(a.severity) ?? 0) + 1);
          if (a.status === 'open') {
            unacknowledged.set(a.severity, (unacknowledged.get(a.severity) ?? 0) + 1);
            oldest = Math.min(oldest ?? Infinity, a.raisedAt.getTime());
          }
        }
        const oldestUnacknowledgedSeconds = oldest === undefined ? 0 : Math.max(0, (clock.now().getTime() - oldest) / 1000);
        last = { open, unacknowledged, oldestUnacknowledgedSeconds, safetyMode };
        return last;
      } catch (err) {
        // A failed read keeps the previous values rather than failing the whole scrape.
        logger.warn({ err }, 'safety gauges: reading the read models failed');
        return last;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
  const setBySeverity = (gauge: Gauge<'severity'>, values: Map<string, number>) => {
    gauge.reset();
    for (const [severity, n] of values) gauge.set({ severity }, n);
  };

  new Gauge({
    name: 'haven_crisis_alerts_open',
    help: 'crisis alerts raised and not resolved, by severity',
    labelNames: ['severity'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      if (s) setBySeverity(this, s.open);
    },
  });
  new Gauge({
    name: 'haven_crisis_alerts_unacknowledged',
    help: 'crisis alerts nobody has acknowledged yet, by severity',
    labelNames: ['severity'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      if (s) setBySeverity(this, s.unacknowledged);
    },
  });
  new Gauge({
    name: 'haven_crisis_alert_oldest_unacknowledged_seconds',
    help: 'age of the oldest unacknowledged crisis alert (0 when none)',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      if (s) this.set(s.oldestUnacknowledgedSeconds);
    },
  });
  new Gauge({
    name: 'haven_sessions_safety_mode',
    help: 'sessions currently in SAFETY_MODE',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      if (s) this.set(s.safetyMode);
    },
  });

  return {
    assessed(level, seconds) {
      assessments.inc({ level });
      classifierDuration.observe(seconds);
    },
    alertRaised(severity) {
      raised.inc({ severity });
    },
    alertAcknowledged(seconds) {
      ackSeconds.observe(seconds);
    },
  };
}
