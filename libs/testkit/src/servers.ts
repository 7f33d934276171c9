import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import {
  findFreePort,
  launchProcess,
  ProcessStartupError,
  resolveBinary,
  defaultBinDirs,
  type LaunchedProcess,
  type OutputStream,
} from './process-launcher';

export type ServerName = 'nats-server' | 'redis-server' | 'ferretdb';

export interface RunningServer {
  name: ServerName;
  /** Connection URL for clients (nats://, redis://, mongodb://). */
  url: string;
  host: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Milliseconds from spawn until the readiness probe first succeeded. */
  startupMs: number;
  /** Ends the process (SIGTERM, then SIGKILL) and removes the data dir if it was a temp dir we made. */
  stop(): Promise<void>;
}

export interface RunningNatsServer extends RunningServer {
  name: 'nats-server';
  monitorPort: number;
  /** e.g. http://127.0.0.1:8222 — /healthz, /varz, /jsz. */
  monitorUrl: string;
}

export interface ServerLaunchOptions {
  /** Fixed port; by default a free one is picked (and re-picked if another process wins the race). */
  port?: number;
  /**
   * Existing or to-be-created directory for the server's data. It is never removed. By default a
   * fresh temp dir is made and removed again by stop().
   */
  dataDir?: string;
  /** Directories searched for the binary, in order. Default: {@link defaultBinDirs}. */
  binDirs?: readonly string[];
  /** Default 30 000 ms. */
  startupTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL. Default 5 000 ms. */
  stopTimeoutMs?: number;
  /** Every line the server writes; by default output is only kept for error messages. */
  onOutput?: (line: string, stream: OutputStream) => void;
}

export interface NatsServerOptions extends ServerLaunchOptions {
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** HTTP monitoring port. Default: a free port. */
  monitorPort?: number;
}

export interface RedisServerOptions extends ServerLaunchOptions {
  /**
   * For the local stack: append-only file on (`--appendonly yes`) and a temp data dir is kept on
   * stop(). Tests leave it off: no RDB snapshots, no AOF.
   */
  persistent?: boolean;
}

export type FerretDbOptions = ServerLaunchOptions;

const LOOPBACK = '127.0.0.1';
const PORT_RACE_ATTEMPTS = 3;

interface DataDir {
  path: string;
  /** Whether stop() removes it. */
  owned: boolean;
}

// Temp dirs still present when this process exits (a run aborted before stop()) are removed
// then; the servers using them are SIGKILLed by the launcher's exit hook at the same moment.
const ownedDirs = new Set<string>();
let dirHookInstalled = false;
function trackOwnedDir(path: string): void {
  ownedDirs.add(path);
  if (!dirHookInstalled) {
    dirHookInstalled = true;
    process.once('exit', () => {
      for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
    });
  }
}

async function removeOwnedDir(dir: DataDir): Promise<void> {
  if (!dir.owned) return;
  await rm(dir.path, { recursive: true, force: true });
  ownedDirs.delete(dir.path);
}

async function prepareDataDir(name: ServerName, requested: string | undefined, keep: boolean): Promise<DataDir> {
  if (requested) {
    await mkdir(requested, { recursive: true });
    return { path: requested, owned: false };
  }
  const path = await mkdtemp(join(tmpdir(), `haven-${name}-`));
  if (!keep) trackOwnedDir(path);
  return { path, owned: !keep };
}

function isPortClash(err: unknown): boolean {
  return err instanceof ProcessStartupError && err.output.some((line) => /address already in use|EADDRINUSE/i.test(line));
}

/**
 * Starts a server on a given or free port. A freshly picked port can be taken by another process
 * between our check and the server's bind; then we pick again rather than fail the run.
 */
async function launchOnPort<T>(fixedPort: number | undefined, attempt: (port: number) => Promise<T>): Promise<T> {
  if (fixedPort !== undefined) return attempt(fixedPort);
  for (let i = 1; ; i++) {
    try {
      return await attempt(await findFreePort());
    } catch (err) {
      if (i >= PORT_RACE_ATTEMPTS || !isPortClash(err)) throw err;
    }
  }
}

function serverHandle<N extends ServerName>(
  name: N,
  proc: LaunchedProcess,
  fields: { url: string; host: string; port: number; dataDir: DataDir },
): RunningServer & { name: N } {
  let stopping: Promise<void> | undefined;
  return {
    name,
    url: fields.url,
    host: fields.host,
    port: fields.port,
    pid: proc.pid,
    dataDir: fields.dataDir.path,
    startupMs: proc.startupMs,
    stop: () => {
      stopping ??= (async () => {
        await proc.stop();
        await removeOwnedDir(fields.dataDir);
      })();
      return stopping;
    },
  };
}

async function withDataDirCleanup<T>(dataDir: DataDir, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    await removeOwnedDir(dataDir);
    throw err;
  }
}

/** Resolves true once something accepts TCP connections on host:port (a cheap pre-check). */
function tcpAccepts(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function natsJetStreamHealthy(monitorUrl: string): Promise<boolean> {
  const res = await fetch(`${monitorUrl}/healthz?js-enabled-only=true`, { signal: AbortSignal.timeout(1_000) });
  if (!res.ok) return false;
  const body = (await res.json()) as { status?: unknown };
  return body.status === 'ok';
}

export async function redisAnswersPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Connection failures are reported through the promise; without a listener ioredis would also
  // print them as unhandled 'error' events.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } finally {
    client.disconnect();
  }
}

export async function mongoAnswersPing(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
  try {
    await client.connect();
    const reply = await client.db('admin').command({ ping: 1 });
    return reply.ok === 1;
  } finally {
    await client.close();
  }
}

/** `nats-server -js` (JetStream, file storage in dataDir) with HTTP monitoring. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<RunningNatsServer> {
  const binary = resolveBinary('nats-server', opts.binDirs ?? defaultBinDirs());
  const host = opts.host ?? LOOPBACK;
  const dataDir = await prepareDataDir('nats-server', opts.dataDir, false);
  return withDataDirCleanup(dataDir, () =>
    launchOnPort(opts.port, async (port) => {
      const monitorPort = opts.monitorPort ?? (await findFreePort());
      const monitorUrl = `http://${host}:${monitorPort}`;
      const proc = await launchProcess({
        name: 'nats-server',
        command: binary,
        args: ['-js', '-sd', dataDir.path, '-a', host, '-p', String(port), '-m', String(monitorPort)],
        isReady: () => natsJetStreamHealthy(monitorUrl),
        startupTimeoutMs: opts.startupTimeoutMs,
        stopTimeoutMs: opts.stopTimeoutMs,
        onOutput: opts.onOutput,
      });
      const handle = serverHandle('nats-server', proc, { url: `nats://${host}:${port}`, host, port, dataDir });
      return { ...handle, monitorPort, monitorUrl };
    }),
  );
}

/** `redis-server` bound to 127.0.0.1; no persistence unless `persistent: true`. */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RunningServer & { name: 'redis-server' }> {
  const binary = resolveBinary('redis-server', opts.binDirs ?? defaultBinDirs());
  const persistent = opts.persistent ?? false;
  const dataDir = await prepareDataDir('redis-server', opts.dataDir, persistent);
  return withDataDirCleanup(dataDir, () =>
    launchOnPort(opts.port, async (port) => {
      const url = `redis://${LOOPBACK}:${port}`;
      const proc = await launchProcess({
        name: 'redis-server',
        command: binary,
        args: [
          '--port', String(port),
          '--bind', LOOPBACK,
          '--dir', dataDir.path,
          '--save', '',
          '--appendonly', persistent ? 'yes' : 'no',
        ],
        isReady: () => redisAnswersPing(url),
        startupTimeoutMs: opts.startupTimeoutMs,
        stopTimeoutMs: opts.stopTimeoutMs,
        onOutput: opts.onOutput,
      });
      return serverHandle('redis-server', proc, { url, host: LOOPBACK, port, dataDir });
    }),
  );
}

export function ferretDbUrl(host: string, port: number): string {
  return `mongodb://${host}:${port}/?directConnection=true&retryWrites=false`;
}

/** FerretDB v1 with the SQLite handler: the MongoDB wire protocol over files in dataDir. */
export async function startFerretDb(opts: FerretDbOptions = {}): Promise<RunningServer & { name: 'ferretdb' }> {
  const binary = resolveBinary('ferretdb', opts.binDirs ?? defaultBinDirs());
  const dataDir = await prepareDataDir('ferretdb', opts.dataDir, false);
  return withDataDirCleanup(dataDir, () =>
    launchOnPort(opts.port, async (port) => {
      const url = ferretDbUrl(LOOPBACK, port);
      const proc = await launchProcess({
        name: 'ferretdb',
        command: binary,
        // See INFRA_NOTES: the SQLite URL must be file:<existing dir>/; state and debug
        // endpoints are disabled so parallel instances don't clash on fixed defaults.
        args: [
          '--handler=sqlite',
          `--sqlite-url=file:${dataDir.path}/`,
          `--listen-addr=${LOOPBACK}:${port}`,
          '--telemetry=disable',
          '--log-level=warn',
          '--state-dir=-',
          '--debug-addr=-',
        ],
        // The TCP check fails fast while the driver would wait for its server-selection timeout.
        isReady: async () => (await tcpAccepts(LOOPBACK, port)) && mongoAnswersPing(url),
        startupTimeoutMs: opts.startupTimeoutMs,
        stopTimeoutMs: opts.stopTimeoutMs,
        onOutput: opts.onOutput,
      });
      return serverHandle('ferretdb', proc, { url, host: LOOPBACK, port, dataDir });
    }),
  );
}
