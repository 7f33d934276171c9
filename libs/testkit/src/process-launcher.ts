import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 5_000;
const DEFAULT_POLL_INTERVAL_MS = 50;
const DEFAULT_PROBE_TIMEOUT_MS = 2_000;
const OUTPUT_TAIL_LINES = 20;

export type OutputStream = 'stdout' | 'stderr';

export interface LaunchSpec {
  /** Used in messages, e.g. "nats-server". */
  name: string;
  /** Absolute path of the executable (see {@link resolveBinary}). */
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Polled until it resolves true; a rejection counts as "not ready yet". */
  isReady: () => Promise<boolean>;
  startupTimeoutMs?: number;
  pollIntervalMs?: number;
  /** A probe that has not answered after this long counts as "not ready yet". Default 2 000 ms. */
  probeTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before it sends SIGKILL. */
  stopTimeoutMs?: number;
  onOutput?: (line: string, stream: OutputStream) => void;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchedProcess {
  name: string;
  pid: number;
  /** Milliseconds from spawn until isReady() first answered true. */
  startupMs: number;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<ProcessExit>;
  /** The last lines the process wrote (stdout and stderr interleaved). */
  recentOutput(): string[];
  /** SIGTERM, then SIGKILL after stopTimeoutMs; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
}

/** The process exited or could not be spawned before it became ready. */
export class ProcessStartupError extends Error {
  constructor(
    message: string,
    readonly processName: string,
    readonly output: readonly string[],
    readonly exit: ProcessExit | undefined,
  ) {
    super(message);
    this.name = 'ProcessStartupError';
  }
}

/** A server binary is neither in the repo's tool folder nor on PATH. */
export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly searched: readonly string[],
  ) {
    super(
      `${binary} not found (looked in: ${searched.join(', ') || '(nowhere)'}). ` +
        `Run deploy/local/install-tools.sh to build it into .haven/tools/bin.`,
    );
    this.name = 'MissingBinaryError';
  }
}

// Children still running when this process exits are killed, so an aborted test run or a
// crashed launcher does not leave servers holding ports and temp dirs.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
}

export async function launchProcess(spec: LaunchSpec): Promise<LaunchedProcess> {
  const startupTimeoutMs = spec.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
  const pollIntervalMs = spec.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const probeTimeoutMs = spec.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const stopTimeoutMs = spec.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const startedAt = performance.now();
  const tail: string[] = [];

  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  // Both pipes are always drained: a child blocked on a full pipe would look like a hang.
  const follow = (stream: NodeJS.ReadableStream | null, kind: OutputStream): void => {
    if (!stream) return;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      tail.push(kind === 'stderr' ? `[stderr] ${line}` : line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
      spec.onOutput?.(line, kind);
    });
  };
  follow(child.stdout, 'stdout');
  follow(child.stderr, 'stderr');

  let exitInfo: ProcessExit | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      // 'exit' is not emitted when spawning itself failed.
      if (child.pid === undefined) {
        exitInfo = { code: null, signal: null };
        resolve(exitInfo);
      }
    });
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      liveChildren.delete(child);
      resolve(exitInfo);
    });
  });
  // 'close' comes after 'exit' once the pipes are drained: wait for it (briefly) before quoting
  // the output in an error, or the line explaining the failure may still be in flight.
  const outputDrained = new Promise<void>((resolve) => child.once('close', () => resolve()));
  trackChild(child);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), stopTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        child.kill('SIGKILL');
        await exited;
      }
    })();
    return stopping;
  };

  const describeTail = (): string =>
    tail.length ? `\nLast output lines:\n  ${tail.join('\n  ')}` : '\n(no output)';

  const deadline = startedAt + startupTimeoutMs;
  for (;;) {
    if (exitInfo || spawnError) {
      await stop();
      await Promise.race([outputDrained, new Promise((resolve) => setTimeout(resolve, 250))]);
      const reason = spawnError
        ? `could not be started: ${spawnError.message}`
        : `exited during start-up (code ${exitInfo?.code ?? 'none'}, signal ${exitInfo?.signal ?? 'none'})`;
      throw new ProcessStartupError(`${spec.name} ${reason}.${describeTail()}`, spec.name, [...tail], exitInfo);
    }
    // A probe can hang (e.g. something else owns the port and never answers): bound it, and
    // stop waiting for it as soon as the process dies.
    let probeTimer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      Promise.resolve().then(() => spec.isReady()).catch(() => false),
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        probeTimer = setTimeout(() => resolve(false), probeTimeoutMs);
      }),
    ]);
    clearTimeout(probeTimer);
    if (ready && !exitInfo) break;
    if (performance.now() > deadline) {
      await stop();
      throw new ProcessStartupError(
        `${spec.name} (pid ${child.pid ?? '?'}) did not become ready within ${startupTimeoutMs} ms; it was killed.${describeTail()}`,
        spec.name,
        [...tail],
        exitInfo,
      );
    }
    // Wake early if the process dies while we wait between probes.
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, pollIntervalMs))]);
  }

  return {
    name: spec.name,
    pid: child.pid as number,
    startupMs: Math.round(performance.now() - startedAt),
    exited,
    recentOutput: () => [...tail],
    stop,
  };
}

// Ports handed out recently by this process; listening on port 0 twice in a row can return the
// same port if nothing has bound it in between.
const recentlyHandedOut = new Set<number>();

/** A TCP port that was free on 127.0.0.1 a moment ago (listen on port 0, then close). */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const found = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(found));
      });
    });
    if (!recentlyHandedOut.has(port) || attempt >= 20) {
      recentlyHandedOut.add(port);
      if (recentlyHandedOut.size > 256) recentlyHandedOut.clear();
      return port;
    }
  }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The monorepo root: the nearest ancestor of this file whose package.json is named "haven". */
export function findRepoRoot(from: string = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (parsed.name === 'haven') return dir;
      } catch {
        // An unreadable package.json is not the root; keep walking up.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Where server binaries are looked up, in order: `$HAVEN_TOOLS_DIR/bin` (the same variable the
 * installer honours) or `<repo>/.haven/tools/bin`, then every PATH entry.
 */
export function defaultBinDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  const toolsDir = env.HAVEN_TOOLS_DIR;
  const root = findRepoRoot();
  if (toolsDir) dirs.push(join(toolsDir, 'bin'));
  else if (root) dirs.push(join(root, '.haven', 'tools', 'bin'));
  for (const entry of (env.PATH ?? '').split(delimiter)) if (entry) dirs.push(entry);
  return dirs;
}

/** Absolute path of `binary` in the first of `binDirs` that holds it, or a {@link MissingBinaryError}. */
export function resolveBinary(binary: string, binDirs: readonly string[] = defaultBinDirs()): string {
  for (const dir of binDirs) {
    const candidate = join(dir, binary);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new MissingBinaryError(binary, binDirs);
}
