import { connectNats, ensureStreams } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { gatewayConfig } from './config';
import { createGateway } from './gateway';
import { seedAdmin } from './seed';

async function main(): Promise<void> {
  const host = ServiceHost.create('gateway', gatewayConfig);
  const { config: cfg, logger, metrics } = host;

  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'gateway'), (c) => c.drain(), (c) => c.flush());
  await ensureStreams(await nc.jetstreamManager(), { contexts: ['identity'], replicas: cfg.streamReplicas });
  const mongo = await host.useMongo(cfg.mongoUrl, cfg.mongoDb);
  const redis = await host.useRedis(cfg.redisUrl);

  const gateway = await createGateway({ cfg, nc, mongo, redis, logger, metrics });
  host.onShutdown('http+projections', () => gateway.stop());
  if (cfg.seedAdminEmail && cfg.seedAdminPassword) await seedAdmin(gateway.accounts, cfg.seedAdminEmail, cfg.seedAdminPassword, logger);

  await gateway.app.listen({ port: cfg.httpPort, host: cfg.bindHost });
  const { adminPort } = await host.start({ grpc: false });
  logger.info({ httpPort: cfg.httpPort, adminPort }, `gateway listening on ${cfg.publicUrl ?? `http://127.0.0.1:${cfg.httpPort}`}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
