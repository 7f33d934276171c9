import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

export type Probe = () => Promise<unknown>;

interface ProbeResult {
  status: 'ok' | 'down';
  latencyMs: number;
  error?: string;
}

async function probe(p: Probe, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))]);
    return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function probeAll(probes: Record<string, Probe>, timeoutMs: number): Promise<Record<string, ProbeResult>> {
  const names = Object.keys(probes);
  const results = await Promise.all(names.map((n) => probe(probes[n]!, timeoutMs)));
  return Object.fromEntries(names.map((n, i) => [n, results[i]!]));
}

const Probed = Type.Record(Type.String(), Type.Object({ status: Type.String(), latencyMs: Type.Number(), error: Type.Optional(Type.String()) }));

export function registerHealthRoutes(app: FastifyInstance, deps: { services: Record<string, Probe>; dependencies: Record<string, Probe>; timeoutMs?: number }): void {
  app.get('/health', { config: { rateLimit: false }, schema: { tags: ['health'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/api/v1/monitoring/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Every service (gRPC health) and server (NATS, Redis, MongoDB) with status and latency; 503 when any is down',
        response: { 200: Type.Object({ status: Type.String(), checkedAt: Type.String(), services: Probed, dependencies: Probed }), 503: Type.Object({ status: Type.String(), checkedAt: Type.String(), services: Probed, dependencies: Probed }) },
      },
    },
    async (_req, reply) => {
      const timeoutMs = deps.timeoutMs ?? 2000;
      const [services, dependencies] = await Promise.all([probeAll(deps.services, timeoutMs), probeAll(deps.dependencies, timeoutMs)]);
      const ok = [...Object.values(services), ...Object.values(dependencies)].every((r) => r.status === 'ok');
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checkedAt: new Date().toISOString(), services, dependencies });
    },
  );
}
