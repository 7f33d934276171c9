import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR } from './chart-tools';

/**
 * Metrics the dashboards and rules query that no Haven service exports: they come from
 * kube-state-metrics and the kubelet's cAdvisor (README.md, "Deploy to Kubernetes" lists them too).
 */
export const EXTERNAL_METRICS = ['kube_pod_container_status_restarts_total', 'container_memory_working_set_bytes'] as const;

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan',
]);

/**
 * Metric names used in a PromQL expression: identifiers that are not functions, keywords or
 * label names. Label matchers ({...}), grouping clauses (by/on/... (...)), ranges ([5m]) and
 * strings are removed first, so only series selectors remain.
 */
export function metricNamesIn(expr: string): string[] {
  let e = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    // numbers and durations (0.95, 1e3, 5m) before identifiers, so "5m" is not read as "m"
    .replace(/(?<![a-zA-Z0-9_:])\d+(\.\d+)?([eE][+-]?\d+)?(ms|s|m|h|d|w|y)?(?![a-zA-Z0-9_:])/g, ' ');
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of e.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const after = e.slice((m.index ?? 0) + word.length);
    if (/^\s*\(/.test(after)) continue; // a function call or an aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (/^[0-9]/.test(word)) continue;
    names.add(word);
  }
  return [...names].sort();
}

/** For a histogram series name (x_bucket, x_sum, x_count), the metric's own name x. */
export function histogramBase(name: string): string | undefined {
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  return m?.[1];
}

export interface Query {
  source: string;
  expr: string;
}

export const GRAFANA_DIR = join(CHART_DIR, 'files', 'grafana');
export const RULES_FILE = join(CHART_DIR, 'files', 'prometheus', 'rules.yaml');

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  title: string;
  panels: Panel[];
  templating?: { list: { name: string; query?: string | { query?: string } }[] };
}

/** Every PromQL expression of the dashboards (panels and template variables) and alert rules. */
export function allQueries(): Query[] {
  const queries: Query[] = [];
  for (const file of readdirSync(GRAFANA_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const dash = JSON.parse(readFileSync(join(GRAFANA_DIR, file), 'utf8')) as Dashboard;
    const visit = (panels: Panel[]) => {
      for (const p of panels) {
        for (const t of p.targets ?? []) if (t.expr) queries.push({ source: `${file}: ${p.title ?? '?'}`, expr: t.expr });
        visit(p.panels ?? []);
      }
    };
    visit(dash.panels);
    for (const v of dash.templating?.list ?? []) {
      const q = typeof v.query === 'string' ? v.query : v.query?.query;
      // label_values(metric, label): the metric is the first argument.
      const lv = q ? /label_values\(\s*([^,]+),/.exec(q) : null;
      if (lv?.[1]) queries.push({ source: `${file}: variable ${v.name}`, expr: lv[1] });
    }
  }
  const rules = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] };
  for (const g of rules.groups) for (const r of g.rules) queries.push({ source: `rules.yaml: ${r.alert ?? r.record ?? g.name}`, expr: r.expr });
  return queries;
}

/** Metric name → where it is queried. */
export function queriedMetrics(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const q of allQueries()) {
    for (const name of metricNamesIn(q.expr)) used.set(name, [...(used.get(name) ?? []), q.source]);
  }
  return used;
}

/** Metric names declared in a Prometheus text exposition (# TYPE lines: present even before the first sample). */
export function exportedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

/** Whether a queried name is exported (histogram series count as their histogram). */
export function isExported(name: string, exported: Set<string>): boolean {
  if (exported.has(name)) return true;
  const base = histogramBase(name);
  return base !== undefined && exported.has(base);
}
