import { connectNats, ensureStreams } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { sessionV1 } from '@haven/proto';
import { sessionConfig } from './config';

async function main(): Promise<void> {
  const host = ServiceHost.create('session', sessionConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'session'), (c) => c.drain(), (c) => c.flush());
  await ensureStreams(await nc.jetstreamManager(), { contexts: ['session'], replicas: cfg.streamReplicas });
  await host.useMongo(cfg.mongoUrl, cfg.mongoDb);
  await host.useRedis(cfg.redisUrl);

  // RPC handlers arrive with their issues; until then grpc-js answers UNIMPLEMENTED.
  host.grpc.addService(sessionV1.SessionServiceService, {});
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`session failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
