import { Counter, Gauge, type Registry } from 'prom-client';
import type { LiveSessionIndex, SessionMetrics } from '../application/ports';
import { TIME_MODES } from '../domain/events';

export const METRIC_SESSIONS_ACTIVE = 'haven_sessions_active';
export const METRIC_SESSIONS_STARTED = 'haven_sessions_started_total';
export const METRIC_SESSIONS_ENDED = 'haven_sessions_ended_total';
export const METRIC_PHASE_CHANGES = 'haven_session_phase_changes_total';

/**
 * Domain metrics. Counters are incremented by the replica that appended the events (sum over
 * replicas); the gauge reads the shared Redis index at scrape time, so every replica reports
 * the same cluster-wide value (aggregate it with max, not sum).
 */
export function createSessionMetrics(registry: Registry, index: LiveSessionIndex): SessionMetrics {
  new Gauge({
    name: METRIC_SESSIONS_ACTIVE,
    help: 'Sessions in progress (active or paused) across the cluster, by time mode',
    labelNames: ['time_mode'],
    registers: [registry],
    async collect() {
      const counts = await index.counts();
      for (const mode of TIME_MODES) this.set({ time_mode: mode }, counts[mode]);
    },
  });
  const started = new Counter({ name: METRIC_SESSIONS_STARTED, help: 'Sessions started', registers: [registry] });
  const ended = new Counter({ name: METRIC_SESSIONS_ENDED, help: 'Sessions ended, by reason', labelNames: ['reason'], registers: [registry] });
  const phases = new Counter({ name: METRIC_PHASE_CHANGES, help: 'Phase changes, by the phase entered', labelNames: ['to'], registers: [registry] });
  return {
    observe(events) {
      for (const e of events) {
        if (e.type === 'SessionStarted') started.inc();
        else if (e.type === 'SessionEnded') {
          ended.inc({ reason: e.data.reason });
          phases.inc({ to: 'ended' });
        }
        else if (e.type === 'PhaseChanged') phases.inc({ to: e.data.to });
      }
    },
  };
}
