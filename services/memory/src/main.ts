import { connectNats, ensureStreams } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { memoryV1 } from '@haven/proto';
import { memoryConfig } from './config';

async function main(): Promise<void> {
  const host = ServiceHost.create('memory', memoryConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'memory'), (c) => c.drain(), (c) => c.flush());
  await ensureStreams(await nc.jetstreamManager(), { contexts: ['memory'], replicas: cfg.streamReplicas });
  await host.useMongo(cfg.mongoUrl, cfg.mongoDb);

  // RPC handlers arrive with their issues; until then grpc-js answers UNIMPLEMENTED.
  host.grpc.addService(memoryV1.MemoryServiceService, {});
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`memory failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
