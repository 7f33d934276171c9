import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, SERVICE_NAMES, startPlatform, type RunningPlatform } from '@haven/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface ReceivedSpan {
  name: string;
  traceId: string;
  service: string;
}

/** A tiny OTLP/HTTP (JSON) trace receiver: what a collector would see from the services. */
function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans?: { spans?: { name: string; traceId: string }[] }[] }[];
        };
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              // OTLP/JSON ids are hex; tolerate base64 from older encoders.
              const id = /^[0-9a-f]{32}$/i.test(s.traceId) ? s.traceId.toLowerCase() : Buffer.from(s.traceId, 'base64').toString('hex');
              spans.push({ name: s.name, traceId: id, service });
            }
          }
        }
      } catch {
        // not JSON (e.g. protobuf): ignored; the assertion below will say no span arrived
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, close: () => new Promise((r) => server.close(() => r())) }),
    ),
  );
}


describe('the whole platform as processes (real servers)', () => {
  let platform: RunningPlatform;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    platform = await startPlatform({
      natsUrl: process.env.NATS_URL!,
      redisUrl: process.env.REDIS_URL!,
      mongoUrl: process.env.MONGO_URL!,
      mongoDb: `e2e_${randomBytes(3).toString('hex')}`,
      ports: 'free',
      env: { LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '100' },
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await otlp?.close();
  });

  it('reports all seven services and the three servers healthy', async () => {
    const res = await fetch(`${platform.gatewayUrl}/api/v1/monitoring/health`);
    const body = (await res.json()) as { status: string; services: Record<string, { status: string; latencyMs: number }>; dependencies: Record<string, { status: string }> };
    expect(res.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(Object.keys(body.services).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const s of Object.values(body.services)) expect(s.status).toBe('ok');
    expect(Object.keys(body.dependencies).sort()).toEqual(['mongodb', 'nats', 'redis']);
    for (const d of Object.values(body.dependencies)) expect(d.status).toBe('ok');
    expect(await (await fetch(`${platform.gatewayUrl}/health`)).json()).toEqual({ status: 'ok' });
  });

  it('carries a trace id set at the gateway through NATS to the projection span', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${platform.gatewayUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify({ email: `trace-${traceId.slice(0, 8)}@example.org`, password: 'trace me through nats' }),
    });
    expect(res.status).toBe(201);
    // Registration appends EmailReserved then UserRegistered; both projection spans join the trace.
    const projectionSpan = await eventually(() => otlp.spans.find((s) => s.traceId === traceId && s.name === 'projection gateway-users identity.UserRegistered'));
    expect(projectionSpan.service).toBe('gateway');
    expect(otlp.spans.some((s) => s.traceId === traceId && s.name === 'projection gateway-users identity.EmailReserved')).toBe(true);
    expect(otlp.spans.some((s) => s.traceId === traceId && s.name.startsWith('HTTP POST'))).toBe(true);
  });

  it('exposes Prometheus metrics, liveness and readiness on every admin port', async () => {
    for (const name of SERVICE_NAMES) {
      const admin = platform.services[name].adminUrl;
      const metrics = await (await fetch(`${admin}/metrics`)).text();
      expect(metrics, name).toContain(`process_cpu_seconds_total{service="${name}"}`);
      expect((await fetch(`${admin}/healthz`)).status, name).toBe(200);
      expect((await fetch(`${admin}/readyz`)).status, name).toBe(200);
    }
    const gw = await (await fetch(`${platform.services.gateway.adminUrl}/metrics`)).text();
    expect(gw).toMatch(/haven_http_requests_total\{method="POST",route="\/api\/v1\/auth\/register",status="201",service="gateway"\}/);
    expect(gw).toContain('haven_projection_lag{projection="gateway-users"');
  });

  it('shuts a service down gracefully on SIGTERM and reports it down meanwhile', async () => {
    const billing = platform.services.billing;
    const started = Date.now();
    await billing.stop();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(billing.recentOutput().join('\n')).toContain('shutdown complete');
    const health = (await (await fetch(`${platform.gatewayUrl}/api/v1/monitoring/health`)).json()) as { status: string; services: Record<string, { status: string }> };
    expect(health.status).toBe('degraded');
    expect(health.services.billing!.status).toBe('down');
    await billing.restart();
    const again = (await (await fetch(`${platform.gatewayUrl}/api/v1/monitoring/health`)).json()) as { status: string };
    expect(again.status).toBe('ok');
  });
});
