import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

/** Repository root (deploy/test → ../..). */
export const REPO_ROOT = resolve(__dirname, '..', '..');
export const CHART_DIR = join(REPO_ROOT, 'charts', 'haven');
export const VALUES_DIR = join(REPO_ROOT, 'deploy', 'values');
const TOOLS_DIR = process.env.HAVEN_TOOLS_DIR ?? join(REPO_ROOT, '.haven', 'tools');
const TOOLS_BIN = join(TOOLS_DIR, 'bin');

/**
 * The helm built from the Go module proxy has no default Kubernetes version stamped in (it says
 * v1.20), which the chart's kubeVersion (>= 1.25) rejects; name a supported one explicitly.
 */
export const KUBE_VERSION = '1.31.0';

/**
 * Installs helm and promtool with the lead's idempotent installer (a no-op when present; building
 * helm from the Go module proxy takes minutes the first time). Returns how long it took.
 */
export function installChartTools(): number {
  const started = Date.now();
  mkdirSync(TOOLS_DIR, { recursive: true });
  // Test files run in parallel workers: one builds, the others wait for it instead of racing `go install`.
  execFileSync('flock', [join(TOOLS_DIR, '.chart-tools.lock'), join(REPO_ROOT, 'deploy', 'local', 'install-tools.sh'), 'helm', 'promtool'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  for (const tool of ['helm', 'promtool']) {
    if (!existsSync(join(TOOLS_BIN, tool))) throw new Error(`install-tools.sh did not provide ${tool} in ${TOOLS_BIN}`);
  }
  return Date.now() - started;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function tool(name: 'helm' | 'promtool', args: string[]): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(join(TOOLS_BIN, name), args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

export const helm = (args: string[]): Promise<ToolResult> => tool('helm', args);
export const promtool = (args: string[]): Promise<ToolResult> => tool('promtool', args);

export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;

/** `helm template` of the chart with the given values files / --set flags; throws with helm's message on failure. */
export async function renderChart(opts: { valuesFiles?: string[]; set?: string[]; release?: string; namespace?: string } = {}): Promise<Manifest[]> {
  const res = await helm(templateArgs(opts));
  if (res.code !== 0) throw new Error(res.stderr.trim());
  return parseManifests(res.stdout);
}

export function templateArgs(opts: { valuesFiles?: string[]; set?: string[]; release?: string; namespace?: string }): string[] {
  return [
    'template',
    opts.release ?? 'haven',
    CHART_DIR,
    '--namespace',
    opts.namespace ?? 'haven',
    '--kube-version',
    KUBE_VERSION,
    ...(opts.valuesFiles ?? []).flatMap((f) => ['-f', f]),
    ...(opts.set ?? []).flatMap((s) => ['--set', s]),
  ];
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}
