import { connectNats, ensureStreams } from '@haven/eventstore';
import { createGrpcClient, ServiceHost } from '@haven/platform';
import { billingV1, sessionV1 } from '@haven/proto';
import { billingConfig } from './config';
import { billingHandlers } from './grpc/server';
import { GrpcSessionEnder } from './infrastructure/sessionEnder';
import { createBillingRuntime } from './runtime';

async function main(): Promise<void> {
  const host = ServiceHost.create('billing', billingConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'billing'), (c) => c.drain(), (c) => c.flush());
  const jsm = await nc.jetstreamManager();
  // billing consumes SESSION (metering) and IDENTITY (sign-up grants); ensuring them is idempotent.
  await ensureStreams(jsm, { contexts: ['billing', 'session', 'identity', 'memory'], replicas: cfg.streamReplicas });
  const mongo = await host.useMongo(cfg.mongoUrl, cfg.mongoDb);
  const redis = await host.useRedis(cfg.redisUrl);
  const session = createGrpcClient(sessionV1.SessionServiceClient, 'session', cfg.sessionAddr, { metrics: host.metrics });
  host.onShutdown('session-client', () => session.close());

  const runtime = createBillingRuntime({
    nc,
    js: nc.jetstream(),
    jsm,
    db: mongo.db,
    redis,
    logger: host.logger,
    registry: host.metrics.registry,
    sessions: new GrpcSessionEnder(session),
    settings: cfg,
  });
  await runtime.start();
  host.onShutdown('billing-consumers', () => runtime.stop());

  host.grpc.addService(billingV1.BillingServiceService, billingHandlers(runtime.billing));
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`billing failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
