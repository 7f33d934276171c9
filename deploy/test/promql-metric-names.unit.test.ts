import { describe, expect, it } from 'vitest';
import { allQueries, exportedMetricNames, isExported, metricNamesIn, queriedMetrics } from './promql-metric-names';

describe('metricNamesIn', () => {
  it('finds the series selectors, not functions, labels, keywords or Grafana variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, model) (rate(haven_llm_request_duration_seconds_bucket{service=~"$service",model!="x"}[$__rate_interval])))',
      ),
    ).toEqual(['haven_llm_request_duration_seconds_bucket']);
    expect(
      metricNamesIn('sum by (service) (rate(a_total{code=~"INTERNAL|UNKNOWN"}[5m])) / on(service) group_left sum by (service) (rate(b_total[5m])) > 0.05'),
    ).toEqual(['a_total', 'b_total']);
    expect(metricNamesIn('max(x_seconds) > 300 and bool y offset 5m')).toEqual(['x_seconds', 'y']);
    expect(metricNamesIn('absent(haven_x)')).toEqual(['haven_x']);
    expect(metricNamesIn('process_resident_memory_bytes{service=~"$service"}')).toEqual(['process_resident_memory_bytes']);
  });
});

describe('exposition parsing', () => {
  const text = [
    '# HELP haven_a_total a',
    '# TYPE haven_a_total counter',
    'haven_a_total{service="s"} 1',
    '# HELP haven_h_seconds h',
    '# TYPE haven_h_seconds histogram',
    '# HELP haven_g g',
    '# TYPE haven_g gauge',
  ].join('\n');
  it('reads names from # TYPE lines, including metrics without samples yet', () => {
    expect([...exportedMetricNames(text)].sort()).toEqual(['haven_a_total', 'haven_g', 'haven_h_seconds']);
  });
  it('treats _bucket/_sum/_count as the histogram', () => {
    const names = exportedMetricNames(text);
    expect(isExported('haven_h_seconds_bucket', names)).toBe(true);
    expect(isExported('haven_h_seconds_count', names)).toBe(true);
    expect(isExported('haven_missing_bucket', names)).toBe(false);
    expect(isExported('haven_g', names)).toBe(true);
  });
});

describe('the dashboards and rules', () => {
  it('have queries, and every one names at least one metric', () => {
    const queries = allQueries();
    expect(queries.length).toBeGreaterThan(40);
    for (const q of queries) expect(metricNamesIn(q.expr), `${q.source}: ${q.expr}`).not.toEqual([]);
  });
  it('query only haven_* metrics, the Node.js process defaults and the documented external ones', () => {
    for (const name of queriedMetrics().keys()) {
      expect(name).toMatch(/^(haven_|process_|nodejs_|kube_pod_container_status_restarts_total$|container_memory_working_set_bytes$)/);
    }
  });
});
