import { join } from 'node:path';
import { startFerretDb, startNatsServer, startRedisServer, type RunningServer } from './servers';
import { containersAvailable, startInfraContainers } from './containers';
import type { OutputStream } from './process-launcher';

export type InfraRole = 'nats' | 'redis' | 'mongo';

/** Where a server came from: a child process we started, a container, or a URL from the environment. */
export type InfraOrigin = 'process' | 'container' | 'environment';

export interface InfraServer {
  role: InfraRole;
  origin: InfraOrigin;
  /** Binary (nats-server, redis-server, ferretdb), image (nats:2.11, …) or the env var name. */
  name: string;
  url: string;
  /** host:port, for progress lines. */
  address: string;
  /** Only for origin 'process'. */
  pid?: number;
  /** Only for origin 'process'. */
  dataDir?: string;
  /** 0 for origin 'environment'. */
  startupMs: number;
  /** Ends what this harness started; a no-op for servers from the environment. */
  stop(): Promise<void>;
}

export interface InfraEnv {
  NATS_URL: string;
  REDIS_URL: string;
  MONGO_URL: string;
}

export interface Infra {
  nats: InfraServer;
  redis: InfraServer;
  mongo: InfraServer;
  /** The three URLs under the env var names services and tests read. */
  env: InfraEnv;
  /** Stops everything started here, in parallel. Idempotent. */
  stop(): Promise<void>;
}

export interface InfraOptions {
  /**
   * Read for NATS_URL / REDIS_URL / MONGO_URL (a set URL is used instead of starting that
   * server) and HAVEN_TEST_INFRA ("containers" = testcontainers when a Docker engine answers).
   * Default: process.env.
   */
  env?: NodeJS.ProcessEnv;
  /** Directories searched for the server binaries (see defaultBinDirs). */
  binDirs?: readonly string[];
  /** Per server. Default 30 000 ms. */
  startupTimeoutMs?: number;
  /** Fixed ports (the local stack); free ports by default. */
  ports?: Partial<Record<InfraRole, number>>;
  /** Data under <dataRoot>/nats, /redis, /ferretdb, kept on stop. Default: temp dirs, removed on stop. */
  dataRoot?: string;
  /** Redis with an append-only file (the local stack). */
  persistent?: boolean;
  /** Called as each server becomes ready (or is taken from the environment). */
  onServerReady?: (server: InfraServer) => void;
  /** Notices such as "no Docker engine, using processes". */
  onNotice?: (message: string) => void;
  onOutput?: (role: InfraRole, line: string, stream: OutputStream) => void;
}

const ENV_NAMES: Record<InfraRole, keyof InfraEnv> = { nats: 'NATS_URL', redis: 'REDIS_URL', mongo: 'MONGO_URL' };
const ROLES: readonly InfraRole[] = ['nats', 'redis', 'mongo'];

/** host:port of a URL without its credentials, for log lines. */
export function addressOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host || url;
  } catch {
    return '(unparseable URL)';
  }
}

function fromEnvironment(role: InfraRole, url: string): InfraServer {
  return {
    role,
    origin: 'environment',
    name: ENV_NAMES[role],
    url,
    address: addressOf(url),
    startupMs: 0,
    stop: async () => undefined,
  };
}

function fromProcess(role: InfraRole, server: RunningServer): InfraServer {
  return {
    role,
    origin: 'process',
    name: server.name,
    url: server.url,
    address: `${server.host}:${server.port}`,
    pid: server.pid,
    dataDir: server.dataDir,
    startupMs: server.startupMs,
    stop: () => server.stop(),
  };
}

function startProcess(role: InfraRole, opts: InfraOptions): Promise<InfraServer> {
  const common = {
    port: opts.ports?.[role],
    binDirs: opts.binDirs,
    startupTimeoutMs: opts.startupTimeoutMs,
    onOutput: opts.onOutput ? (line: string, stream: OutputStream) => opts.onOutput?.(role, line, stream) : undefined,
  };
  const dataDir = (sub: string): string | undefined => (opts.dataRoot ? join(opts.dataRoot, sub) : undefined);
  switch (role) {
    case 'nats':
      return startNatsServer({ ...common, dataDir: dataDir('nats') }).then((s) => fromProcess(role, s));
    case 'redis':
      return startRedisServer({ ...common, dataDir: dataDir('redis'), persistent: opts.persistent }).then((s) =>
        fromProcess(role, s),
      );
    case 'mongo':
      return startFerretDb({ ...common, dataDir: dataDir('ferretdb') }).then((s) => fromProcess(role, s));
    default: {
      const unreachable: never = role;
      throw new Error(`unknown infra role ${String(unreachable)}`);
    }
  }
}

/**
 * NATS (JetStream), Redis and FerretDB for tests and the local stack, started in parallel.
 * A URL already in the environment wins over starting that server. If any server fails, the
 * others are stopped again and the error lists every failure.
 */
export async function startInfra(opts: InfraOptions = {}): Promise<Infra> {
  const env = opts.env ?? process.env;
  const wanted = ROLES.filter((role) => !env[ENV_NAMES[role]]);

  let useContainers = false;
  if (wanted.length > 0 && env.HAVEN_TEST_INFRA === 'containers') {
    const check = await containersAvailable();
    if (check.available) useContainers = true;
    else opts.onNotice?.(`HAVEN_TEST_INFRA=containers but no container runtime answered (${check.reason}); starting local processes instead`);
  }

  const startOne = async (role: InfraRole): Promise<InfraServer> => {
    const given = env[ENV_NAMES[role]];
    const server = given
      ? fromEnvironment(role, given)
      : useContainers
        ? await startInfraContainers(role, { startupTimeoutMs: opts.startupTimeoutMs })
        : await startProcess(role, opts);
    opts.onServerReady?.(server);
    return server;
  };

  const results = await Promise.allSettled(ROLES.map(startOne));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    await Promise.allSettled(started.map((s) => s.stop()));
    const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
    const error = new Error(`could not start the test infrastructure:\n- ${messages.join('\n- ')}`, {
      cause: failures[0],
    });
    throw error;
  }

  const [nats, redis, mongo] = started as [InfraServer, InfraServer, InfraServer];
  let stopping: Promise<void> | undefined;
  return {
    nats,
    redis,
    mongo,
    env: { NATS_URL: nats.url, REDIS_URL: redis.url, MONGO_URL: mongo.url },
    stop: () => {
      stopping ??= Promise.all(started.map((s) => s.stop())).then(() => undefined);
      return stopping;
    },
  };
}
