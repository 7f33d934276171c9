import { randomBytes } from 'node:crypto';
import { SERVICE_NAMES, startPlatform, type RunningPlatform } from '@haven/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTERNAL_METRICS, exportedMetricNames, isExported, queriedMetrics } from './promql-metric-names';

/**
 * The dashboards and alert rules are only as good as the names they query: every metric they use
 * must be exported by a running service (or be one of the documented external metrics).
 */
describe('every metric queried by the dashboards and rules is exported by a running service', () => {
  let platform: RunningPlatform;
  const exported = new Set<string>();
  const exportedBy = new Map<string, string[]>();

  beforeAll(async () => {
    platform = await startPlatform({
      natsUrl: process.env.NATS_URL!,
      redisUrl: process.env.REDIS_URL!,
      mongoUrl: process.env.MONGO_URL!,
      mongoDb: `metrics_${randomBytes(3).toString('hex')}`,
      ports: 'free',
      env: { LOG_LEVEL: 'warn' },
    });
    for (const name of SERVICE_NAMES) {
      const res = await fetch(`${platform.services[name].adminUrl}/metrics`);
      expect(res.status, `${name} /metrics`).toBe(200);
      for (const metric of exportedMetricNames(await res.text())) {
        exported.add(metric);
        exportedBy.set(metric, [...(exportedBy.get(metric) ?? []), name]);
      }
    }
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('every service exports the platform RED metrics with its service label', async () => {
    for (const name of SERVICE_NAMES) {
      const text = await (await fetch(`${platform.services[name].adminUrl}/metrics`)).text();
      expect(text).toContain('# TYPE haven_grpc_server_requests_total counter');
      expect(text).toMatch(new RegExp(`process_cpu_seconds_total\\{service="${name}"\\}`));
    }
  });

  it('no dashboard panel or alert queries a metric that nothing exports', () => {
    const external = new Set<string>(EXTERNAL_METRICS);
    const missing: string[] = [];
    for (const [metric, usedIn] of queriedMetrics()) {
      if (external.has(metric)) continue;
      if (!isExported(metric, exported)) missing.push(`${metric} (used in ${[...new Set(usedIn)].join('; ')})`);
    }
    expect(missing, `not exported by any service:\n${missing.join('\n')}`).toEqual([]);
  });
});
