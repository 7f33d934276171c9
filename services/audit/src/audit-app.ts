import { contextSubjects, ensureStreams, EventStore, startProjection, streamNameFor, type EventStoreLogger, type RunningProjection, type StoredEvent } from '@haven/eventstore';
import type { ServiceHandlers } from '@haven/platform';
import type { auditV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { auditConsumer } from './application/audit-consumer';
import type { ConsumedEvent } from './domain/consumed-events';
import { auditGrpcHandlers } from './grpc/server';
import { AuditChain, auditRecords, ensureAuditRecordIndexes } from './infrastructure/audit-chain';
import { AUDITED_CONTEXTS, CONSUMED_EVENT_CODECS } from './infrastructure/consumed-event-codecs';
import { auditCollections, auditStoreCodec, ensureReadModelIndexes, mongoEventLog, mongoFunnelFacts, suspiciousFlags, type AuditStoreEvent } from './infrastructure/read-models';
import { SlidingWindows } from './infrastructure/sliding-windows';
import { auditMetrics } from './metrics';

export interface AuditAppDeps {
  nc: NatsConnection;
  db: Db;
  redis: Redis;
  registry: Registry;
  logger: EventStoreLogger;
  now?: () => Date;
  streamReplicas?: number;
  /** Events handled at once per context consumer (chain appends are serialised regardless). */
  concurrency?: number;
}

export interface AuditApp {
  grpcHandlers: ServiceHandlers<typeof auditV1.AuditServiceService>;
  /** Starts one durable consumer per context stream (`audit-<context>`). */
  startConsumers(): Promise<void>;
  /** Consumer lag summed over the contexts. */
  lag(): Promise<number>;
  stop(): Promise<void>;
}

/** Wires the audit service's ports; main.ts and the tests share it. */
export async function createAuditApp(deps: AuditAppDeps): Promise<AuditApp> {
  const now = deps.now ?? (() => new Date());
  const jsm = await deps.nc.jetstreamManager();
  const js = deps.nc.jetstream();
  // Every context stream, so the consumers can start before the other services ever ran.
  await ensureStreams(jsm, { contexts: [...AUDITED_CONTEXTS], replicas: deps.streamReplicas ?? 1 });

  const records = auditRecords(deps.db);
  const collections = auditCollections(deps.db);
  await ensureAuditRecordIndexes(records);
  await ensureReadModelIndexes(collections);

  const store = new EventStore<AuditStoreEvent>({ js, jsm, context: 'audit', codec: auditStoreCodec, logger: deps.logger, metrics: deps.registry });
  const consume = auditConsumer({
    chain: new AuditChain(records, now),
    eventLog: mongoEventLog(collections),
    funnels: mongoFunnelFacts(collections),
    windows: new SlidingWindows(deps.redis),
    flags: suspiciousFlags(collections, store, now),
    metrics: auditMetrics(deps.registry),
  });
  const handle = (context: string) => (e: StoredEvent<ConsumedEvent>) =>
    consume(e.event, { id: e.id, type: e.type, context, aggregateId: e.aggregateId, occurredAt: e.occurredAt, actor: e.actor });

  const running: RunningProjection[] = [];
  return {
    grpcHandlers: auditGrpcHandlers({ records, collections }),
    async startConsumers() {
      for (const context of AUDITED_CONTEXTS) {
        running.push(
          await startProjection({
            nc: deps.nc,
            js,
            jsm,
            name: `audit-${context}`,
            stream: streamNameFor(context),
            filterSubjects: [contextSubjects(context)],
            codec: CONSUMED_EVENT_CODECS[context],
            handle: handle(context),
            concurrency: deps.concurrency ?? 4,
            logger: deps.logger,
            registry: deps.registry,
          }),
        );
      }
    },
    async lag() {
      const lags = await Promise.all(running.map((p) => p.lag()));
      return lags.reduce((a, b) => a + b, 0);
    },
    async stop() {
      await Promise.all(running.splice(0).map((p) => p.stop()));
    },
  };
}
