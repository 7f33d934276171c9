import { join } from 'node:path';
import { findFreePort, findRepoRoot, launchProcess, type LaunchedProcess } from './process-launcher';

export const SERVICE_NAMES = ['session', 'conversation', 'safety', 'billing', 'memory', 'audit', 'gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Fixed ports of the local stack (README's configuration table); tests use free ports instead. */
export const LOCAL_PORTS: Record<ServiceName, { grpc: number; admin: number }> = {
  session: { grpc: 50052, admin: 9462 },
  conversation: { grpc: 50053, admin: 9463 },
  safety: { grpc: 50054, admin: 9464 },
  billing: { grpc: 50055, admin: 9465 },
  memory: { grpc: 50056, admin: 9466 },
  audit: { grpc: 50057, admin: 9467 },
  gateway: { grpc: 0, admin: 9461 },
};
export const LOCAL_HTTP_PORT = 8080;

export interface PlatformOptions {
  natsUrl: string;
  redisUrl: string;
  mongoUrl: string;
  mongoDb?: string;
  /** 'free' picks free ports (tests); 'local' uses LOCAL_PORTS and LOCAL_HTTP_PORT. */
  ports?: 'free' | 'local';
  httpPort?: number;
  /** Extra environment for every service (LOG_LEVEL, OPENAI_BASE_URL, OTEL_EXPORTER_OTLP_ENDPOINT, …). */
  env?: NodeJS.ProcessEnv;
  serviceEnv?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /** Restart a service that exits on its own, with backoff (the local stack); tests leave it off. */
  restartOnCrash?: boolean;
  onOutput?: (service: ServiceName, line: string) => void;
  onEvent?: (service: ServiceName, message: string) => void;
  startupTimeoutMs?: number;
}

export interface RunningService {
  name: ServiceName;
  grpcAddr: string;
  adminUrl: string;
  pid(): number;
  /** Stops (SIGTERM, graceful) and starts the service again on the same ports. */
  restart(): Promise<void>;
  /** Sends a signal without waiting (e.g. SIGKILL to simulate a crash). */
  kill(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
  recentOutput(): string[];
}

export interface RunningPlatform {
  gatewayUrl: string;
  services: Record<ServiceName, RunningService>;
  /** Environment the services were started with (useful to start one more replica). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1500) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts the seven Haven services as child processes (compiled dist/main.js) against the given
 * servers, waits until each reports ready, and returns handles to restart or stop them.
 */
export async function startPlatform(opts: PlatformOptions): Promise<RunningPlatform> {
  const root = findRepoRoot();
  if (!root) throw new Error('cannot find the Haven repository root (package.json named "haven")');
  const ports = {} as Record<ServiceName, { grpc: number; admin: number }>;
  for (const name of SERVICE_NAMES) {
    ports[name] = opts.ports === 'local' ? LOCAL_PORTS[name] : { grpc: name === 'gateway' ? 0 : await findFreePort(), admin: await findFreePort() };
  }
  const httpPort = opts.httpPort ?? (opts.ports === 'local' ? LOCAL_HTTP_PORT : await findFreePort());
  const addr = (n: ServiceName) => `127.0.0.1:${ports[n].grpc}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: opts.natsUrl,
    REDIS_URL: opts.redisUrl,
    MONGO_URL: opts.mongoUrl,
    MONGO_DB: opts.mongoDb ?? 'haven',
    BIND_HOST: '127.0.0.1',
    SESSION_GRPC_ADDR: addr('session'),
    CONVERSATION_GRPC_ADDR: addr('conversation'),
    SAFETY_GRPC_ADDR: addr('safety'),
    BILLING_GRPC_ADDR: addr('billing'),
    MEMORY_GRPC_ADDR: addr('memory'),
    AUDIT_GRPC_ADDR: addr('audit'),
    HTTP_PORT: String(httpPort),
    ...opts.env,
  };

  const running = new Map<ServiceName, LaunchedProcess>();
  const stopped = new Set<ServiceName>();
  let shuttingDown = false;

  const launch = async (name: ServiceName): Promise<LaunchedProcess> => {
    const adminUrl = `http://127.0.0.1:${ports[name].admin}`;
    const proc = await launchProcess({
      name,
      command: process.execPath,
      args: ['--enable-source-maps', join(root, 'services', name, 'dist', 'main.js')],
      cwd: root,
      env: { ...env, GRPC_PORT: String(ports[name].grpc), ADMIN_PORT: String(ports[name].admin), ...opts.serviceEnv?.[name] },
      isReady: () => answers(`${adminUrl}/readyz`),
      startupTimeoutMs: opts.startupTimeoutMs ?? 60_000,
      stopTimeoutMs: 15_000,
      // HAVEN_TEST_SERVICE_LOGS=1 echoes every service line to stderr, for debugging a failing e2e test.
      onOutput: (line) => (opts.onOutput ? opts.onOutput(name, line) : process.env.HAVEN_TEST_SERVICE_LOGS ? process.stderr.write(`[${name}] ${line}\n`) : undefined),
    });
    running.set(name, proc);
    void proc.exited.then((exit) => {
      if (shuttingDown || stopped.has(name) || running.get(name) !== proc) return;
      opts.onEvent?.(name, `exited unexpectedly (code ${exit.code}, signal ${exit.signal})`);
      if (opts.restartOnCrash) void supervise(name, 1);
    });
    return proc;
  };

  const supervise = async (name: ServiceName, attempt: number): Promise<void> => {
    const delay = Math.min(30_000, 500 * 2 ** (attempt - 1));
    opts.onEvent?.(name, `restarting in ${delay} ms (attempt ${attempt})`);
    await new Promise((r) => setTimeout(r, delay));
    if (shuttingDown || stopped.has(name)) return;
    try {
      await launch(name);
      opts.onEvent?.(name, 'restarted and ready');
    } catch (err) {
      opts.onEvent?.(name, `restart failed: ${(err as Error).message.split('\n')[0]}`);
      await supervise(name, attempt + 1);
    }
  };

  const handle = (name: ServiceName): RunningService => ({
    name,
    grpcAddr: addr(name),
    adminUrl: `http://127.0.0.1:${ports[name].admin}`,
    pid: () => running.get(name)?.pid ?? -1,
    recentOutput: () => running.get(name)?.recentOutput() ?? [],
    kill: (signal) => {
      const pid = running.get(name)?.pid;
      if (pid) process.kill(pid, signal);
    },
    stop: async () => {
      stopped.add(name);
      await running.get(name)?.stop();
    },
    restart: async () => {
      stopped.add(name);
      await running.get(name)?.stop();
      stopped.delete(name);
      await launch(name);
    },
  });

  const stopAll = async () => {
    shuttingDown = true;
    // Gateway first (stop taking traffic), then the rest together.
    await running.get('gateway')?.stop();
    await Promise.all([...running.entries()].filter(([n]) => n !== 'gateway').map(([, p]) => p.stop()));
  };

  try {
    await Promise.all(SERVICE_NAMES.filter((n) => n !== 'gateway').map(launch));
    await launch('gateway');
  } catch (err) {
    await stopAll();
    throw err;
  }
  const services = Object.fromEntries(SERVICE_NAMES.map((n) => [n, handle(n)])) as Record<ServiceName, RunningService>;
  return { gatewayUrl: `http://127.0.0.1:${httpPort}`, services, env, stop: stopAll };
}
