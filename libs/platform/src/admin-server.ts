import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger';

export type ReadinessCheck = () => Promise<unknown>;

export interface AdminServer {
  port: number;
  close(): Promise<void>;
  /** Marks the process as shutting down: /readyz turns 503 so load balancers stop sending traffic. */
  setDraining(): void;
}

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(check: ReadinessCheck): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Per-service admin port: /metrics (Prometheus), /healthz (liveness), /readyz (dependencies). */
export async function startAdminServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  readiness: Record<string, ReadinessCheck>;
  logger: Logger;
}): Promise<AdminServer> {
  let draining = false;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return reply(405, { error: 'method not allowed' });
    if (path === '/metrics') {
      opts.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(text);
        })
        .catch((err: Error) => reply(500, { error: err.message }));
      return;
    }
    if (path === '/healthz') return reply(200, { status: 'ok' });
    if (path === '/readyz') {
      if (draining) return reply(503, { status: 'draining' });
      const names = Object.keys(opts.readiness);
      Promise.all(names.map((n) => runCheck(opts.readiness[n]!)))
        .then((results) => {
          const checks = Object.fromEntries(names.map((n, i) => [n, results[i]]));
          const ok = results.every((r) => r.ok);
          reply(ok ? 200 : 503, { status: ok ? 'ready' : 'not_ready', checks });
        })
        .catch((err: Error) => reply(500, { error: err.message }));
      return;
    }
    reply(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info({ port }, 'admin server listening');
  return {
    port,
    setDraining: () => {
      draining = true;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
