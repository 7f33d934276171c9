import { connectNats, ensureStreams } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { conversationV1 } from '@haven/proto';
import { conversationConfig } from './config';

async function main(): Promise<void> {
  const host = ServiceHost.create('conversation', conversationConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'conversation'), (c) => c.drain(), (c) => c.flush());
  await ensureStreams(await nc.jetstreamManager(), { contexts: ['conversation'], replicas: cfg.streamReplicas });
  await host.useMongo(cfg.mongoUrl, cfg.mongoDb);
  await host.useRedis(cfg.redisUrl);

  // RPC handlers arrive with their issues; until then grpc-js answers UNIMPLEMENTED.
  host.grpc.addService(conversationV1.ConversationServiceService, {});
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`conversation failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
