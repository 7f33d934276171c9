import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, VALUES_DIR, installChartTools, promtool, renderChart, type Manifest } from './chart-tools';
import { GRAFANA_DIR, RULES_FILE } from './promql-metric-names';

const RULES_TEST = join(REPO_ROOT, 'deploy', 'prometheus', 'rules.test.yaml');

beforeAll(() => {
  installChartTools();
}, 15 * 60_000);

describe('Prometheus rules (promtool)', () => {
  it('promtool check rules passes', async () => {
    const res = await promtool(['check', 'rules', RULES_FILE]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool test rules: the crisis alert pages once an alert is unacknowledged for more than 5 minutes, not before', async () => {
    const res = await promtool(['test', 'rules', RULES_TEST]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain('SUCCESS');
  });

  it('the rules tests cover the page at exactly 5 minutes (none) and 5m15s (page)', () => {
    const tests = parse(readFileSync(RULES_TEST, 'utf8')) as {
      tests: { alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const crisis = tests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((a) => a.alertname === 'HavenCrisisAlertUnacknowledged');
    expect(crisis.find((a) => a.eval_time === '5m')?.exp_alerts).toEqual([]);
    expect(crisis.find((a) => a.eval_time === '5m15s')?.exp_alerts.length).toBeGreaterThan(0);
  });
});

describe('packaged by the chart', () => {
  let prod: Manifest[];
  beforeAll(async () => {
    prod = await renderChart({ valuesFiles: [join(VALUES_DIR, 'prod.yaml')] });
  });

  it('the PrometheusRule carries exactly the rules file', () => {
    const rule = prod.find((m) => m.kind === 'PrometheusRule') as Manifest & { spec: unknown };
    expect(rule.spec).toEqual(parse(readFileSync(RULES_FILE, 'utf8')));
  });

  it('one dashboard ConfigMap per JSON file, labelled for the Grafana sidecar, byte-identical', () => {
    const files = readdirSync(GRAFANA_DIR).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(['business.json', 'crisis-oncall.json', 'service-health.json']);
    const maps = prod.filter((m) => m.metadata.labels?.grafana_dashboard === '1') as (Manifest & { data: Record<string, string> })[];
    expect(maps.map((m) => m.metadata.namespace)).toEqual(files.map(() => 'monitoring'));
    for (const f of files) {
      const cm = maps.find((m) => f in m.data);
      expect(cm, f).toBeDefined();
      expect(cm!.data[f]).toBe(readFileSync(join(GRAFANA_DIR, f), 'utf8').replace(/\n$/, ''));
    }
  });
});

describe('Grafana dashboards', () => {
  interface Panel {
    id: number;
    type: string;
    title: string;
    datasource?: { uid: string };
    targets?: { expr: string; refId: string }[];
  }
  const dashboards = readdirSync(GRAFANA_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(GRAFANA_DIR, f), 'utf8')) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string }[] } } }));

  it('have unique uids and titles, a Prometheus data source variable, and unique panel ids', () => {
    expect(new Set(dashboards.map((d) => d.json.uid)).size).toBe(dashboards.length);
    expect(dashboards.map((d) => d.json.title).sort()).toEqual(['Haven / Business', 'Haven / Crisis on-call', 'Haven / Service health']);
    for (const { file, json } of dashboards) {
      expect(json.templating.list.find((v) => v.name === 'datasource')?.type, file).toBe('datasource');
      const ids = json.panels.map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
      for (const p of json.panels.filter((x) => x.type !== 'row')) {
        expect(p.datasource?.uid, `${file}: ${p.title}`).toBe('${datasource}');
        expect(p.targets?.length, `${file}: ${p.title}`).toBeGreaterThan(0);
      }
    }
  });

  it('show what on-call, operators and the business need', () => {
    const titles = (file: string) => dashboards.find((d) => d.file === file)!.json.panels.map((p) => p.title);
    expect(titles('crisis-oncall.json')).toEqual(
      expect.arrayContaining(['Open alerts by severity', 'Alerts raised by severity', 'Time to acknowledge', 'Sessions in SAFETY_MODE']),
    );
    expect(titles('service-health.json')).toEqual(
      expect.arrayContaining(['HTTP requests by status', 'gRPC requests by service', 'Projection (consumer) lag', 'LLM latency by model', 'LLM tokens by kind']),
    );
    expect(titles('business.json')).toEqual(expect.arrayContaining(['Active sessions', 'Messages by speaker', 'Credits debited and granted', 'Funnel steps (selected range)']));
  });
});
