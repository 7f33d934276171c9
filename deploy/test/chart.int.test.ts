import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_DIR, KUBE_VERSION, VALUES_DIR, helm, installChartTools, renderChart, templateArgs, type Manifest } from './chart-tools';
import { schemaViolations } from './kubernetes-schemas';

const SERVICES = ['gateway', 'session', 'conversation', 'safety', 'billing', 'memory', 'audit'] as const;
const DEV = join(VALUES_DIR, 'dev.yaml');
const PROD = join(VALUES_DIR, 'prod.yaml');

interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; emptyDir?: Record<string, unknown> }[];
  automountServiceAccountToken: boolean;
}
type Deployment = Manifest & { spec: { replicas?: number; template: { spec: PodSpec } } };

const byKind = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);
const named = (ms: Manifest[], kind: string, name: string): Manifest => {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind} ${name} in ${ms.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return m;
};
const configOf = (ms: Manifest[], service: string) => (named(ms, 'ConfigMap', `haven-${service}`) as Manifest & { data: Record<string, string> }).data;

let scratch: string;
const rendered: Record<'default' | 'dev' | 'prod', Manifest[]> = { default: [], dev: [], prod: [] };

beforeAll(async () => {
  const ms = installChartTools();
  console.info(`[chart] helm + promtool ready in ${ms} ms`);
  scratch = mkdtempSync(join(tmpdir(), 'haven-chart-'));
  const started = Date.now();
  rendered.default = await renderChart();
  rendered.dev = await renderChart({ valuesFiles: [DEV] });
  rendered.prod = await renderChart({ valuesFiles: [PROD] });
  console.info(`[chart] three helm template runs in ${Date.now() - started} ms`);
}, 15 * 60_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('helm lint', () => {
  it.each([
    ['default values', [] as string[]],
    ['dev values', ['-f', DEV]],
    ['prod values', ['-f', PROD]],
  ])('passes with %s', async (_label, files) => {
    const res = await helm(['lint', CHART_DIR, '--strict', '--kube-version', KUBE_VERSION, ...files]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
  });
});

describe('rendered manifests', () => {
  it.each(['default', 'dev', 'prod'] as const)('%s: every manifest validates against the Kubernetes schemas', async (variant) => {
    const manifests = rendered[variant];
    expect(manifests.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const m of manifests) {
      for (const v of await schemaViolations(m)) problems.push(`${m.kind}/${m.metadata.name}: ${v}`);
    }
    expect(problems).toEqual([]);
  });

  it.each(['default', 'dev', 'prod'] as const)('%s: a Deployment, Service and ConfigMap per service, with hardened pods and probes on the admin port', (variant) => {
    const ms = rendered[variant];
    for (const name of SERVICES) {
      const d = named(ms, 'Deployment', `haven-${name}`) as Deployment;
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.containers).toHaveLength(1);
      const c = pod.containers[0]!;
      expect(c.name).toBe(`haven-${name}`);
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits?.memory).toBeDefined();
      expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(pod.volumes.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
      expect(c.envFrom).toContainEqual({ configMapRef: { name: `haven-${name}` } });
      const ports = c.ports.map((p) => p.name).sort();
      expect(ports).toEqual(name === 'gateway' ? ['admin', 'http'] : ['admin', 'grpc']);

      const svc = named(ms, 'Service', `haven-${name}`) as Manifest & { spec: { ports: { name: string }[] } };
      expect(svc.spec.ports.map((p) => p.name).sort()).toEqual(name === 'gateway' ? ['admin', 'http'] : ['admin', 'grpc']);
      if (name !== 'gateway') {
        const headless = named(ms, 'Service', `haven-${name}-grpc`) as Manifest & { spec: { clusterIP: string } };
        expect(headless.spec.clusterIP).toBe('None');
      }
      const cfg = configOf(ms, name);
      expect(cfg.ADMIN_PORT).toBe('9464');
      expect(cfg.GRPC_PORT).toBe('50051');
      for (const peer of SERVICES.filter((s) => s !== 'gateway')) {
        expect(cfg[`${peer.toUpperCase()}_GRPC_ADDR`]).toBe(`dns:///haven-${peer}-grpc.haven.svc:50051`);
      }
    }
    expect(configOf(ms, 'gateway').HTTP_PORT).toBe('8080');
  });

  it('default values: HPA (autoscaling/v2) and PDB per service, replicas left to the HPA', () => {
    const ms = rendered.default;
    expect(byKind(ms, 'HorizontalPodAutoscaler').map((m) => m.apiVersion)).toEqual(SERVICES.map(() => 'autoscaling/v2'));
    expect(byKind(ms, 'PodDisruptionBudget')).toHaveLength(7);
    for (const d of byKind(ms, 'Deployment') as Deployment[]) expect(d.spec.replicas).toBeUndefined();
    // Monitoring objects are opt-in (they need the prometheus-operator CRDs).
    expect(byKind(ms, 'ServiceMonitor')).toHaveLength(0);
    expect(byKind(ms, 'PrometheusRule')).toHaveLength(0);
  });

  it('dev values: one replica each, no HPA/PDB, development environment and no Secret', () => {
    const ms = rendered.dev;
    for (const d of byKind(ms, 'Deployment') as Deployment[]) expect(d.spec.replicas).toBe(1);
    expect(byKind(ms, 'HorizontalPodAutoscaler')).toHaveLength(0);
    expect(byKind(ms, 'Secret')).toHaveLength(0);
    expect(configOf(ms, 'session').HAVEN_ENV).toBe('development');
  });

  it('prod values: production, 3 JetStream replicas, secrets only from the existing Secret, monitoring on', () => {
    const ms = rendered.prod;
    for (const name of SERVICES) {
      const cfg = configOf(ms, name);
      expect(cfg.HAVEN_ENV).toBe('production');
      expect(cfg.NATS_STREAM_REPLICAS).toBe('3');
      expect(cfg).not.toHaveProperty('MONGO_URL');
      expect(cfg).not.toHaveProperty('JWT_SECRET');
    }
    expect(byKind(ms, 'Secret')).toHaveLength(0);
    const envOf = (name: string) => (named(ms, 'Deployment', `haven-${name}`) as Deployment).spec.template.spec.containers[0]!.env ?? [];
    expect(envOf('gateway').find((e) => e.name === 'JWT_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: 'haven-secrets', key: 'JWT_SECRET' });
    expect(envOf('memory').find((e) => e.name === 'MASTER_KEY')?.valueFrom?.secretKeyRef).toEqual({ name: 'haven-secrets', key: 'MASTER_KEY' });
    expect(envOf('conversation').find((e) => e.name === 'OPENAI_API_KEY')?.valueFrom?.secretKeyRef).toMatchObject({ name: 'haven-secrets', optional: true });
    expect(envOf('session').find((e) => e.name === 'MONGO_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'haven-mongodb-uri', key: 'MONGO_URL' });
    // Secrets go only to the services that read them.
    expect(envOf('session').map((e) => e.name)).not.toContain('JWT_SECRET');
    expect(envOf('gateway').map((e) => e.name)).not.toContain('MASTER_KEY');
    expect(byKind(ms, 'ServiceMonitor')).toHaveLength(1);
    expect(byKind(ms, 'PrometheusRule')).toHaveLength(1);
    expect(byKind(ms, 'ConfigMap').filter((m) => m.metadata.labels?.grafana_dashboard === '1')).toHaveLength(3);
  });

  it('the gateway alone is reachable from the ingress controller; gRPC only between Haven pods; admin only from Prometheus', () => {
    const policies = byKind(rendered.prod, 'NetworkPolicy') as (Manifest & {
      spec: { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[]; ingress?: { from: Record<string, unknown>[]; ports: { port: string | number }[] }[] };
    })[];
    const deny = policies.find((p) => p.metadata.name === 'haven-default-deny');
    expect(deny?.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    const ingressRules = policies.flatMap((p) => (p.spec.ingress ?? []).map((r) => ({ policy: p, rule: r })));
    const httpRules = ingressRules.filter(({ rule }) => rule.ports.some((port) => port.port === 'http'));
    expect(httpRules).toHaveLength(1);
    expect(httpRules[0]!.policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'gateway', 'app.kubernetes.io/instance': 'haven' });
    expect(httpRules[0]!.rule.from[0]).toHaveProperty('namespaceSelector');
    const grpcRule = ingressRules.find(({ rule }) => rule.ports.some((port) => port.port === 'grpc'));
    expect(grpcRule?.rule.from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'haven', 'app.kubernetes.io/instance': 'haven' } } }]);
    const adminRule = ingressRules.find(({ rule }) => rule.ports.some((port) => port.port === 'admin'));
    expect(adminRule?.rule.from[0]).toMatchObject({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } });
  });

  it('the Ingress routes to the gateway with long proxy timeouts for WebSockets', () => {
    const ing = named(rendered.prod, 'Ingress', 'haven-gateway') as Manifest & {
      metadata: { annotations: Record<string, string> };
      spec: { rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[] };
    };
    expect(Number(ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(Number(ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(ing.spec.rules[0]!.http.paths[0]!.backend.service).toEqual({ name: 'haven-gateway', port: { name: 'http' } });
    expect(configOf(rendered.prod, 'gateway').TRUST_PROXY).toBe('true');
  });

  it('images: one per service, overridable per service (as skaffold does)', async () => {
    const ms = await renderChart({ set: ['image.tag=1.2.3', 'services.session.image.repository=reg.local/s', 'services.session.image.tag=abc@sha256:0123'] });
    const image = (n: string) => (named(ms, 'Deployment', `haven-${n}`) as Deployment).spec.template.spec.containers[0]!.image;
    expect(image('gateway')).toBe('haven-gateway:1.2.3');
    expect(image('session')).toBe('reg.local/s:abc@sha256:0123');
  });

  it('secrets given as values (development) go into a chart-managed Secret', async () => {
    const ms = await renderChart({ set: [`secrets.jwtSecret=${'j'.repeat(40)}`] });
    const secret = named(ms, 'Secret', 'haven-secrets') as Manifest & { stringData: Record<string, string> };
    expect(Object.keys(secret.stringData)).toEqual(['JWT_SECRET']);
    const env = (named(ms, 'Deployment', 'haven-gateway') as Deployment).spec.template.spec.containers[0]!.env ?? [];
    expect(env.find((e) => e.name === 'JWT_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: 'haven-secrets', key: 'JWT_SECRET' });
  });
});

describe('bad values are rejected at template time, naming the field', () => {
  const rejects = async (valuesYaml: string, ...expected: RegExp[]) => {
    const file = join(scratch, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, valuesYaml);
    const res = await helm(templateArgs({ valuesFiles: [file] }));
    expect(res.code).not.toBe(0);
    for (const e of expected) expect(res.stderr).toMatch(e);
  };

  it('replicas must be an integer ≥ 1', async () => {
    await rejects('serviceDefaults:\n  replicas: 0\n', /\/serviceDefaults\/replicas.*minimum/);
    await rejects('services:\n  session:\n    replicas: "2"\n', /\/services\/session\/replicas.*want integer/);
    await rejects('services:\n  session:\n    replicas: 1.5\n', /\/services\/session\/replicas/);
  });

  it('image tags must be strings', async () => {
    await rejects('image:\n  tag: 1.2\n', /\/image\/tag.*want string/);
    await rejects('services:\n  billing:\n    image: { repository: "", tag: 7 }\n', /\/services\/billing\/image\/tag.*want string/);
  });

  it('server URLs are required and must have the right scheme', async () => {
    await rejects('nats:\n  url: ""\n', /\/nats/);
    await rejects('mongo:\n  url: http://mongo:27017\n', /\/mongo\/url/);
    await rejects('redis:\n  url: ""\n  secretKeyRef: { name: only-a-name }\n', /\/redis/);
  });

  it('unknown keys (typos) are refused', async () => {
    await rejects('services:\n  sesion: {}\n', /\/services.*sesion/);
    await rejects('serviceDefaults:\n  replica: 2\n', /\/serviceDefaults.*replica/);
  });

  it('production needs real secrets and 3 JetStream replicas', async () => {
    await rejects('environment: production\n', /\/secrets/, /\/nats\/streamReplicas/);
    await rejects('environment: production\nnats: { url: "nats://n:4222", secretKeyRef: {}, streamReplicas: 3 }\nsecrets:\n  existingSecret: ""\n  jwtSecret: short\n', /\/secrets\/jwtSecret/);
  });

  it('a secret cannot be smuggled in as plain env', async () => {
    await rejects('services:\n  gateway:\n    env: { JWT_SECRET: abc }\n', /\/services\/gateway\/env/);
  });
});
