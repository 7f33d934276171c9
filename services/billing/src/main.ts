import { connectNats, ensureStreams } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { billingV1 } from '@haven/proto';
import { billingConfig } from './config';
import { DEFAULT_PLANS } from './domain/plans';
import { planLimitsToProto } from './grpc/mapping';

async function main(): Promise<void> {
  const host = ServiceHost.create('billing', billingConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'billing'), (c) => c.drain(), (c) => c.flush());
  await ensureStreams(await nc.jetstreamManager(), { contexts: ['billing'], replicas: cfg.streamReplicas });
  await host.useMongo(cfg.mongoUrl, cfg.mongoDb);
  await host.useRedis(cfg.redisUrl);

  host.grpc.addService(billingV1.BillingServiceService, {
    getPlanConfig: async () => ({ plans: Object.values(DEFAULT_PLANS).map(planLimitsToProto) }),
    // Until the billing issue brings quotas and the credit ledger, every message is allowed, as the
    // live-sessions issue prescribes; the refusal codes and 422/413 mapping arrive with it.
    authorize: async () => ({ allowed: true, refusalCode: '', message: '', creditsRemaining: 0 }),
  });
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`billing failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
