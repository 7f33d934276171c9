// Container-backed infrastructure for machines with a Docker engine (HAVEN_TEST_INFRA=containers).
// `testcontainers` is loaded only inside these functions, so ordinary runs never pay for it.
import type * as TestcontainersModule from 'testcontainers';
import type { GenericContainer, StartedTestContainer } from 'testcontainers';
import type { InfraRole, InfraServer } from './infra';
import { ferretDbUrl, mongoAnswersPing, redisAnswersPing } from './servers';

type Testcontainers = typeof TestcontainersModule;

const NATS_IMAGE = 'nats:2.11';
const REDIS_IMAGE = 'redis:7';
const FERRETDB_IMAGE = 'ferretdb/ferretdb:1.24';

export type ContainerCheck = { available: true } | { available: false; reason: string };

let check: Promise<ContainerCheck> | undefined;

/** Whether testcontainers finds a container runtime (checked once per process). */
export function containersAvailable(): Promise<ContainerCheck> {
  check ??= (async (): Promise<ContainerCheck> => {
    try {
      const tc: Testcontainers = await import('testcontainers');
      await tc.getContainerRuntimeClient();
      return { available: true };
    } catch (err) {
      return { available: false, reason: err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err) };
    }
  })();
  return check;
}

interface ContainerRecipe {
  image: string;
  containerPort: number;
  configure: (container: GenericContainer, tc: Testcontainers) => GenericContainer;
  url: (host: string, port: number) => string;
  /** Extra readiness check after the container's own wait strategy. */
  probe?: (url: string) => Promise<boolean>;
}

const RECIPES: Record<InfraRole, ContainerRecipe> = {
  nats: {
    image: NATS_IMAGE,
    containerPort: 4222,
    configure: (c, tc) => c.withCommand(['-js']).withWaitStrategy(tc.Wait.forLogMessage(/Server is ready/)),
    url: (host, port) => `nats://${host}:${port}`,
  },
  redis: {
    image: REDIS_IMAGE,
    containerPort: 6379,
    configure: (c, tc) => c.withWaitStrategy(tc.Wait.forLogMessage(/Ready to accept connections/)),
    url: (host, port) => `redis://${host}:${port}`,
    probe: redisAnswersPing,
  },
  mongo: {
    image: FERRETDB_IMAGE,
    containerPort: 27017,
    // Same handler and switches as the process launcher (INFRA_NOTES), with the SQLite files on a
    // tmpfs so nothing outlives the container.
    configure: (c, tc) =>
      c
        .withTmpFs({ '/data': 'rw' })
        .withEnvironment({
          FERRETDB_HANDLER: 'sqlite',
          FERRETDB_SQLITE_URL: 'file:/data/',
          FERRETDB_TELEMETRY: 'disable',
          FERRETDB_LOG_LEVEL: 'warn',
          FERRETDB_STATE_DIR: '-',
        })
        .withWaitStrategy(tc.Wait.forListeningPorts()),
    url: ferretDbUrl,
    probe: mongoAnswersPing,
  },
};

async function waitForProbe(probe: (url: string) => Promise<boolean>, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe(url)) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`container at ${url} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startInfraContainers(
  role: InfraRole,
  opts: { startupTimeoutMs?: number } = {},
): Promise<InfraServer> {
  const tc: Testcontainers = await import('testcontainers');
  const recipe = RECIPES[role];
  const timeoutMs = opts.startupTimeoutMs ?? 120_000; // first runs pull images
  const startedAt = performance.now();
  const container: StartedTestContainer = await recipe
    .configure(new tc.GenericContainer(recipe.image).withExposedPorts(recipe.containerPort), tc)
    .withStartupTimeout(timeoutMs)
    .start();
  const host = container.getHost();
  const port = container.getMappedPort(recipe.containerPort);
  const url = recipe.url(host, port);
  try {
    if (recipe.probe) await waitForProbe(recipe.probe, url, timeoutMs);
  } catch (err) {
    await container.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    role,
    origin: 'container',
    name: recipe.image,
    url,
    address: `${host}:${port}`,
    startupMs: Math.round(performance.now() - startedAt),
    stop: () => {
      stopping ??= container.stop().then(() => undefined);
      return stopping;
    },
  };
}
