import { connectNats, ensureStreams } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { conversationV1 } from '@haven/proto';
import { conversationConfig } from './config';
import { createConversation } from './conversation';

async function main(): Promise<void> {
  const host = ServiceHost.create('conversation', conversationConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'conversation'), (c) => c.drain(), (c) => c.flush());
  // SESSION too: the summary consumer reads it, and may start before the session service has created it.
  await ensureStreams(await nc.jetstreamManager(), { contexts: ['conversation', 'session', 'memory'], replicas: cfg.streamReplicas });
  const mongo = await host.useMongo(cfg.mongoUrl, cfg.mongoDb);
  const redis = await host.useRedis(cfg.redisUrl);

  const conversation = await createConversation({ cfg, nc, mongo, redis, logger: host.logger, metrics: host.metrics });
  host.onShutdown('conversation', () => conversation.stop());
  host.grpc.addService(conversationV1.ConversationServiceService, conversation.handlers);
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`conversation failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
