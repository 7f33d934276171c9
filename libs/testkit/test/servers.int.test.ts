import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultBinDirs,
  launchProcess,
  MissingBinaryError,
  ProcessStartupError,
  resolveBinary,
  startInfra,
  startNatsServer,
  startRedisServer,
  type InfraEnv,
} from '../src/index';

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function expectAllAnswer(env: InfraEnv): Promise<void> {
  const nc = await connect({ servers: env.NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    const account = await jsm.getAccountInfo();
    expect(account.limits.max_streams).toBeDefined();
  } finally {
    await nc.close();
  }

  const redis = new Redis(env.REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
  } finally {
    redis.disconnect();
  }

  const mongo = new MongoClient(env.MONGO_URL);
  try {
    const docs = mongo.db('testkit').collection<{ _id: string; n: number }>('probe');
    await docs.insertOne({ _id: 'a', n: 1 });
    expect(await docs.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 1 });
  } finally {
    await mongo.close();
  }
}

let emptyDir: string;
beforeAll(async () => {
  emptyDir = await mkdtemp(join(tmpdir(), 'testkit-empty-'));
});
afterAll(async () => {
  await rm(emptyDir, { recursive: true, force: true });
});

describe('startInfra', () => {
  it('brings up NATS JetStream, Redis and FerretDB; stop() ends the processes and removes their temp dirs', async () => {
    const infra = await startInfra({ env: {} });
    const servers = [infra.nats, infra.redis, infra.mongo];
    try {
      expect(servers.map((s) => [s.role, s.origin, s.name])).toEqual([
        ['nats', 'process', 'nats-server'],
        ['redis', 'process', 'redis-server'],
        ['mongo', 'process', 'ferretdb'],
      ]);
      expect(infra.env.MONGO_URL).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/\?directConnection=true&retryWrites=false$/);
      for (const s of servers) expect(existsSync(s.dataDir as string)).toBe(true);
      await expectAllAnswer(infra.env);
    } finally {
      await infra.stop();
    }
    for (const s of servers) {
      expect(processIsGone(s.pid as number)).toBe(true);
      expect(existsSync(s.dataDir as string)).toBe(false);
    }
  });

  it('uses URLs from the environment instead of starting those servers', async () => {
    const env = { NATS_URL: 'nats://10.0.0.1:4222', REDIS_URL: 'redis://10.0.0.2:6379', MONGO_URL: 'mongodb://10.0.0.3:27017/' };
    const infra = await startInfra({ env });
    expect(infra.env).toEqual(env);
    expect([infra.nats.origin, infra.redis.origin, infra.mongo.origin]).toEqual(['environment', 'environment', 'environment']);
    expect(infra.nats.pid).toBeUndefined();
    await infra.stop();
  });

  it('gives the servers it was configured with to the tests through the global setup', async () => {
    await expectAllAnswer({
      NATS_URL: process.env.NATS_URL ?? '',
      REDIS_URL: process.env.REDIS_URL ?? '',
      MONGO_URL: process.env.MONGO_URL ?? '',
    });
  });

  it('names every missing binary and the install script', async () => {
    const failure = startInfra({ env: {}, binDirs: [emptyDir] });
    await expect(failure).rejects.toThrow(/nats-server not found/);
    await expect(failure).rejects.toThrow(/redis-server not found/);
    await expect(failure).rejects.toThrow(/ferretdb not found/);
    await expect(failure).rejects.toThrow(/deploy\/local\/install-tools\.sh/);
  });
});

describe('server launchers', () => {
  it('report a missing binary with the directories searched and the install script', async () => {
    const failure = startNatsServer({ binDirs: [emptyDir] });
    await expect(failure).rejects.toBeInstanceOf(MissingBinaryError);
    await expect(failure).rejects.toThrow(
      `nats-server not found (looked in: ${emptyDir}). Run deploy/local/install-tools.sh to build it into .haven/tools/bin.`,
    );
  });

  it('look in $HAVEN_TOOLS_DIR/bin before PATH', () => {
    const dirs = defaultBinDirs({ HAVEN_TOOLS_DIR: emptyDir, PATH: '' });
    expect(dirs).toEqual([join(emptyDir, 'bin')]);
    expect(() => resolveBinary('redis-server', dirs)).toThrow(/redis-server not found.*install-tools\.sh/);
  });

  it('reject with the server’s last output lines when it exits during start-up', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const failure = startRedisServer({ port });
      await expect(failure).rejects.toBeInstanceOf(ProcessStartupError);
      await expect(failure).rejects.toThrow(/redis-server exited during start-up[\s\S]*Address already in use/);
    } finally {
      blocker.close();
    }
  });

  it('keep a persistent Redis data dir (append-only file on) and remove a test one', async () => {
    const persistent = await startRedisServer({ persistent: true });
    const redis = new Redis(persistent.url);
    try {
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    } finally {
      redis.disconnect();
      await persistent.stop();
    }
    expect(existsSync(persistent.dataDir)).toBe(true);
    await rm(persistent.dataDir, { recursive: true, force: true });

    const plain = await startRedisServer();
    await plain.stop();
    expect(existsSync(plain.dataDir)).toBe(false);
  });

  it('time out with a clear error when a process never becomes ready, and kill it', async () => {
    let pid = 0;
    const failure = launchProcess({
      name: 'never-ready',
      command: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000)'],
      isReady: async () => false,
      startupTimeoutMs: 300,
      onOutput: () => undefined,
    }).catch((err: unknown) => {
      pid = Number(/pid (\d+)/.exec(String(err))?.[1]);
      throw err;
    });
    await expect(failure).rejects.toThrow(/never-ready \(pid \d+\) did not become ready within 300 ms; it was killed/);
    expect(processIsGone(pid)).toBe(true);
  });

  it('stop() escalates to SIGKILL when SIGTERM is ignored', async () => {
    let handlerInstalled = false;
    const proc = await launchProcess({
      name: 'stubborn',
      command: process.execPath,
      args: ['-e', "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"],
      onOutput: (line) => {
        if (line === 'up') handlerInstalled = true;
      },
      isReady: async () => handlerInstalled,
      stopTimeoutMs: 200,
    });
    await proc.stop();
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(processIsGone(proc.pid)).toBe(true);
  });
});
