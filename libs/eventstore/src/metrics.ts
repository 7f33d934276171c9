import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

// Metric names and labels are a contract with the Grafana dashboards and Prometheus rules in
// deploy/: do not rename.
export const METRIC_PROJECTION_LAG = 'haven_projection_lag';
export const METRIC_PROJECTION_EVENTS = 'haven_projection_events_total';
export const METRIC_PROJECTION_HANDLE_SECONDS = 'haven_projection_handle_seconds';
export const METRIC_APPENDS = 'haven_eventstore_appends_total';

export type AppendResult = 'ok' | 'conflict' | 'duplicate';
export type ProjectionResult = 'applied' | 'failed' | 'dead_lettered';

// Several stores / projections of one process share a registry: reuse what is registered.
function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Gauge) return existing as Gauge<L>;
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
  buckets: number[],
): Histogram<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Histogram) return existing as Histogram<L>;
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

export interface AppendMetrics {
  count(context: string, result: AppendResult): void;
}

export function appendMetrics(registry: Registry | undefined): AppendMetrics {
  if (registry === undefined) return { count: () => undefined };
  const appends = counter(registry, METRIC_APPENDS, 'Event store appends by outcome', ['context', 'result']);
  return { count: (context, result) => appends.inc({ context, result }) };
}

export interface ProjectionMetrics {
  setLag(value: number): void;
  count(result: ProjectionResult): void;
  observeHandleSeconds(seconds: number): void;
}

export function projectionMetrics(registry: Registry | undefined, projection: string): ProjectionMetrics {
  if (registry === undefined) {
    return { setLag: () => undefined, count: () => undefined, observeHandleSeconds: () => undefined };
  }
  const lag = gauge(registry, METRIC_PROJECTION_LAG, 'Messages not yet acknowledged by the projection', [
    'projection',
  ]);
  const events = counter(registry, METRIC_PROJECTION_EVENTS, 'Events handled by a projection, by outcome', [
    'projection',
    'result',
  ]);
  const handle = histogram(
    registry,
    METRIC_PROJECTION_HANDLE_SECONDS,
    'Time a projection handler took per event',
    ['projection'],
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  return {
    setLag: (value) => lag.set({ projection }, value),
    count: (result) => events.inc({ projection, result }),
    observeHandleSeconds: (seconds) => handle.observe({ projection }, seconds),
  };
}
