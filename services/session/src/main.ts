import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams } from '@haven/eventstore';
import { createGrpcClient, DataKeyCipher, dataKeysFromRpc, ServiceHost } from '@haven/platform';
import { memoryV1, sessionV1 } from '@haven/proto';
import { sessionConfig } from './config';
import { createSessionService } from './session-service';

async function main(): Promise<void> {
  const host = ServiceHost.create('session', sessionConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'session', { logger: host.logger }), (c) => c.drain(), (c) => c.flush());
  await ensureStreams(await nc.jetstreamManager(), { contexts: ['session', 'memory'], replicas: cfg.streamReplicas });
  const mongo = await host.useMongo(cfg.mongoUrl, cfg.mongoDb);
  const redis = await host.useRedis(cfg.redisUrl);

  const memory = createGrpcClient(memoryV1.MemoryServiceClient, 'memory', cfg.memoryAddr, { metrics: host.metrics, defaultDeadlineMs: cfg.upstreamDeadlineMs });
  host.onShutdown('memory-client', async () => memory.close());
  // The client's free-text reason is sealed with their data key (crypto-shredding).
  const reasons = new DataKeyCipher(dataKeysFromRpc((req) => memory.unary((c) => c.getDataKey, 'GetDataKey', req)), { cacheTtlMs: 60_000 });

  const service = await createSessionService({
    reasons,
    nc,
    db: mongo.db,
    redis,
    logger: host.logger,
    registry: host.metrics.registry,
    rules: { secondsPerMinute: cfg.secondsPerMinute, idleMinutes: cfg.idleMinutes, reminderLeadMinutes: cfg.reminderLeadMinutes },
    timerPollMs: cfg.timerPollMs,
    ids: randomUUID,
  });
  // Stops before the connections close (shutdown runs in reverse registration order).
  host.onShutdown('session-service', () => service.stop());

  host.grpc.addService(sessionV1.SessionServiceService, service.handlers);
  await host.start();
  // Timers and live state are derived data: re-arm them from events after a restart, in the background.
  void service
    .resyncAll()
    .then((n) => host.logger.info({ sessions: n }, 'session timers re-armed'))
    .catch((err: unknown) => host.logger.error({ err }, 'session resync failed'));
}

main().catch((err: unknown) => {
  process.stderr.write(`session failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
