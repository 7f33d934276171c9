import { connectNats, ensureStreams } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { auditV1 } from '@haven/proto';
import { auditConfig } from './config';

async function main(): Promise<void> {
  const host = ServiceHost.create('audit', auditConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'audit'), (c) => c.drain(), (c) => c.flush());
  await ensureStreams(await nc.jetstreamManager(), { contexts: ['audit'], replicas: cfg.streamReplicas });
  await host.useMongo(cfg.mongoUrl, cfg.mongoDb);

  // RPC handlers arrive with their issues; until then grpc-js answers UNIMPLEMENTED.
  host.grpc.addService(auditV1.AuditServiceService, {});
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`audit failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
