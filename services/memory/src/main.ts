import { randomUUID } from 'node:crypto';
import { connectNats, createUuidV7Generator, ensureStreams, EVENT_TYPE_HEADER, EventStore, startProjection, streamNameFor } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { memoryV1 } from '@haven/proto';
import { DataKeys } from './application/data-keys';
import { Memories } from './application/memories';
import { memoryConfig, parsePreviousMasterKeys } from './config';
import { MasterKeyRing } from './crypto/envelope-cipher';
import type { MemoryEvent } from './domain/events';
import { memoryHandlers } from './grpc/handlers';
import { memoryCodec } from './infrastructure/codec';
import { NatsDataKeyVault } from './infrastructure/data-key-vault';
import { MongoMemoryReadModel } from './projections/memories';

async function main(): Promise<void> {
  const host = ServiceHost.create('memory', memoryConfig);
  const cfg = host.config;
  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'memory'), (c) => c.drain(), (c) => c.flush());
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  await ensureStreams(jsm, { contexts: ['memory'], replicas: cfg.streamReplicas });
  const mongo = await host.useMongo(cfg.mongoUrl, cfg.mongoDb);

  const ring = new MasterKeyRing({ id: cfg.masterKeyId, key: Buffer.from(cfg.masterKey, 'base64') }, parsePreviousMasterKeys(cfg.previousMasterKeys));
  const vault = await NatsDataKeyVault.open(js, jsm, { replicas: cfg.streamReplicas });
  const store = new EventStore<MemoryEvent>({ js, jsm, context: 'memory', codec: memoryCodec, logger: host.logger, metrics: host.metrics.registry });
  const now = () => new Date();
  const keys = new DataKeys({ store, vault, ring, newKeyId: randomUUID, now, cacheTtlMs: cfg.dataKeyCacheMs });
  const readModel = new MongoMemoryReadModel(mongo.db, (userId) => keys.destroy(userId));
  await readModel.ensureIndexes();
  const newMemoryId = createUuidV7Generator();
  const memories = new Memories({ store, keys, readModel, newId: () => newMemoryId(now()), now });

  const projection = await startProjection({
    nc,
    js,
    jsm,
    name: 'memory-memories',
    stream: streamNameFor('memory'),
    filterSubjects: ['memory.evt.>'],
    codec: memoryCodec,
    handle: (e) => readModel.apply(e),
    logger: host.logger,
    registry: host.metrics.registry,
  });
  host.onShutdown('projection', () => projection.stop());

  // Erasures handled by another replica evict this replica's cached key at once (not after the TTL).
  const erasures = nc.subscribe('memory.evt.>', {
    callback: (err, msg) => {
      if (err || msg.headers?.get(EVENT_TYPE_HEADER) !== 'memory.UserErased') return;
      const userId = msg.subject.slice('memory.evt.user-'.length);
      if (msg.subject.startsWith('memory.evt.user-')) keys.evict(userId);
    },
  });
  host.onShutdown('erasure-listener', () => erasures.unsubscribe());

  host.grpc.addService(memoryV1.MemoryServiceService, memoryHandlers({ memories, keys, now }));
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`memory failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
