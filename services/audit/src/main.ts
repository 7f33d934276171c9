import { connectNats } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { auditV1 } from '@haven/proto';
import { createAuditApp } from './audit-app';
import { auditConfig } from './config';

async function main(): Promise<void> {
  const host = ServiceHost.create('audit', auditConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'audit'), (c) => c.drain(), (c) => c.flush());
  const mongo = await host.useMongo(cfg.mongoUrl, cfg.mongoDb);
  const redis = await host.useRedis(cfg.redisUrl);

  const app = await createAuditApp({
    nc,
    db: mongo.db,
    redis,
    registry: host.metrics.registry,
    logger: host.logger,
    streamReplicas: cfg.streamReplicas,
    concurrency: cfg.consumerConcurrency,
  });
  host.grpc.addService(auditV1.AuditServiceService, app.grpcHandlers);
  await app.startConsumers();
  host.onShutdown('audit-consumers', () => app.stop());
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`audit failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
