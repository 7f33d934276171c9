import { randomUUID } from 'node:crypto';
import { EventStore, startProjection, streamNameFor, type RunningProjection } from '@haven/eventstore';
import { createGrpcClient, DataKeyCipher, type ConfigOf, type Logger, type MongoHandle, type PlatformMetrics, type ServiceHandlers } from '@haven/platform';
import { billingV1, memoryV1, safetyV1, sessionV1, type conversationV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import type { NatsConnection } from 'nats';
import { createPostMessage } from './application/postMessage';
import { createQueries, type TranscriptRecord } from './application/queries';
import { createSummariseSession } from './application/summariseSession';
import type { ReplyGenerator, SummaryGenerator } from './application/ports';
import type { conversationConfig } from './config';
import { startSessionEndedConsumer } from './consumers/sessionEnded';
import { ErasedUsers, skipErasedTranscripts, startConversationErasure } from './erasure';
import { conversationHandlers } from './grpc/server';
import { conversationCodec } from './infrastructure/codec';
import { natsLiveFrames } from './infrastructure/liveFrames';
import { OfflineReplyGenerator, OpenAIReplyGenerator } from './infrastructure/llm';
import { createConversationMetrics } from './infrastructure/metrics';
import { redisIncognitoStore, redisReplyClaims } from './infrastructure/redisStores';
import { billingPort, memoryDataKeys, memoryPort, safetyPort, sessionPort } from './infrastructure/upstreams';
import { TRANSCRIPTS_COLLECTION, TRANSCRIPTS_DURABLE, transcriptsProjection, type TranscriptDoc } from './projections/transcripts';

export type ConversationConfig = ConfigOf<typeof conversationConfig>;

export interface Conversation {
  handlers: ServiceHandlers<typeof conversationV1.ConversationServiceService>;
  /** Whether replies come from the offline responder (no OPENAI_API_KEY). */
  offline: boolean;
  summariseSession(sessionId: string): Promise<unknown>;
  /** Stops the consumers and closes the upstream clients. */
  stop(): Promise<void>;
}

/**
 * Builds the conversation service from its connected resources: ports and adapters, use cases,
 * the gRPC handlers, the transcripts projection and the session-ended consumer.
 */
export async function createConversation(deps: {
  cfg: ConversationConfig;
  nc: NatsConnection;
  mongo: MongoHandle;
  redis: Redis;
  logger: Logger;
  metrics: PlatformMetrics;
}): Promise<Conversation> {
  const { cfg, nc, mongo, redis, logger, metrics } = deps;
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const store = new EventStore({ js, jsm, context: 'conversation', codec: conversationCodec, logger, metrics: metrics.registry });
  const convMetrics = createConversationMetrics(metrics.registry);

  const offline = cfg.openaiApiKey === undefined;
  const llm: ReplyGenerator & SummaryGenerator = offline
    ? new OfflineReplyGenerator(convMetrics)
    : new OpenAIReplyGenerator(
        {
          baseURL: cfg.openaiBaseUrl,
          apiKey: cfg.openaiApiKey ?? '',
          model: cfg.openaiModel,
          timeoutMs: cfg.openaiTimeoutMs,
          maxRetries: cfg.openaiMaxRetries,
          maxCompletionTokens: cfg.openaiMaxTokens,
        },
        convMetrics,
        logger,
      );
  logger.info({ offline, model: offline ? 'offline' : cfg.openaiModel }, 'conversation replies');

  const sessionClient = createGrpcClient(sessionV1.SessionServiceClient, 'session', cfg.sessionAddr, { metrics, defaultDeadlineMs: cfg.upstreamDeadlineMs });
  const safetyClient = createGrpcClient(safetyV1.SafetyServiceClient, 'safety', cfg.safetyAddr, { metrics, defaultDeadlineMs: cfg.upstreamDeadlineMs });
  const billingClient = createGrpcClient(billingV1.BillingServiceClient, 'billing', cfg.billingAddr, { metrics, defaultDeadlineMs: cfg.upstreamDeadlineMs });
  const memoryClient = createGrpcClient(memoryV1.MemoryServiceClient, 'memory', cfg.memoryAddr, { metrics, defaultDeadlineMs: cfg.upstreamDeadlineMs });
  const memory = memoryPort(memoryClient, cfg.upstreamDeadlineMs);
  // Message content is sealed with the user's data key (crypto-shredding); erasure forgets the cached key.
  const cipher = new DataKeyCipher(memoryDataKeys(memoryClient, cfg.upstreamDeadlineMs), { cacheTtlMs: 60_000 });

  const incognito = redisIncognitoStore(redis, cfg.incognitoTtlSeconds);
  // Long enough for every retry of a slow LLM; a crashed holder's claim expires after it.
  // A twin waits as long as a live holder may take (all LLM attempts); a dead holder's lease lapses in seconds.
  const awaitTwinMs = cfg.openaiTimeoutMs * (cfg.openaiMaxRetries + 2) + 10_000;
  const claimLeaseMs = 6_000;
  const postMessage = createPostMessage({
    store,
    session: sessionPort(sessionClient, cfg.upstreamDeadlineMs),
    safety: safetyPort(safetyClient, cfg.upstreamDeadlineMs),
    billing: billingPort(billingClient, cfg.upstreamDeadlineMs),
    memory,
    replies: llm,
    live: natsLiveFrames(nc, logger),
    cipher,
    incognito,
    claims: redisReplyClaims(redis, claimLeaseMs, randomUUID()),
    metrics: convMetrics,
    logger,
    now: () => new Date(),
    newId: randomUUID,
    awaitTwinMs,
  });

  const transcripts = mongo.db.collection<TranscriptDoc>(TRANSCRIPTS_COLLECTION);
  const queries = createQueries({
    transcripts: {
      find: (id) => transcripts.findOne({ _id: id }) as Promise<TranscriptRecord | null>,
      themes: async (ids) => {
        // Only the summary's topic and emotion lists: the messages and the sealed summary text stay in the database.
        const docs = await transcripts
          .find({ _id: { $in: [...ids] }, summary: { $exists: true } }, { projection: { userId: 1, 'summary.keyTopics': 1, 'summary.emotions': 1, 'summary.createdAt': 1, 'summary.keyId': 1 } })
          .toArray();
        return docs.flatMap((d) => (d.summary && d.userId ? [{ sessionId: d._id, userId: d.userId, keyId: d.summary.keyId, keyTopics: d.summary.keyTopics, emotions: d.summary.emotions, summarisedAt: d.summary.createdAt }] : []));
      },
    },
    cipher,
    incognito,
  });
  const summariseSession = createSummariseSession({ store, summaries: llm, cipher, incognito, memory, now: () => new Date() });

  const consumers: RunningProjection[] = [];
  const erased = new ErasedUsers(mongo.db);
  await erased.ensureIndexes();
  consumers.push(await startConversationErasure({ nc, js, jsm, db: mongo.db, redis, erased, logger, registry: metrics.registry, onErased: (userId) => cipher.forget(userId) }));
  consumers.push(
    await startProjection({
      nc,
      js,
      jsm,
      name: TRANSCRIPTS_DURABLE,
      stream: streamNameFor('conversation'),
      filterSubjects: ['conversation.evt.>'],
      codec: conversationCodec,
      handle: skipErasedTranscripts(erased, transcripts, transcriptsProjection(transcripts)),
      logger,
      registry: metrics.registry,
    }),
  );
  consumers.push(await startSessionEndedConsumer({ nc, js, jsm, logger, registry: metrics.registry, summarise: summariseSession }));

  return {
    handlers: conversationHandlers({ postMessage, getTranscript: queries.getTranscript, getSummary: queries.getSummary, listSessionThemes: queries.listSessionThemes }),
    offline,
    summariseSession,
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
      for (const c of [sessionClient, safetyClient, billingClient, memoryClient]) c.close();
    },
  };
}
