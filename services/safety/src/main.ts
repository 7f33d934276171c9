import { connectNats, createUuidV7Generator, ensureStreams, EventStore, startProjection } from '@haven/eventstore';
import { ServiceHost } from '@haven/platform';
import { safetyV1 } from '@haven/proto';
import { AlertWorkflow } from './application/alertWorkflow';
import { Assessment } from './application/assessment';
import type { Clock, RemoteRiskCheck } from './application/ports';
import { safetyConfig } from './config';
import { ErasedUsers, skipErasedSafety, startSafetyErasure } from './erasure';
import { safetyHandlers, sessionFlagsHandlers } from './grpc/server';
import { safetyCodec } from './infrastructure/codec';
import { startCrisisWebhook } from './infrastructure/crisisWebhook';
import { natsLiveFrames } from './infrastructure/liveFrames';
import { startOfflineClassifier } from './infrastructure/offlineClassifier';
import { llmClassificationCheck, moderationCheck, openAiClient } from './infrastructure/openaiRecall';
import { createSafetyMetrics } from './metrics';
import { mongoAlertQuery, mongoSessionFlagsQuery, safetyProjection, safetyReadModels } from './projections/safetyReadModels';

async function main(): Promise<void> {
  const host = ServiceHost.create('safety', safetyConfig);
  const cfg = host.config;
  const logger = host.logger;
  const registry = host.metrics.registry;
  const clock: Clock = { now: () => new Date() };
  const uuid = createUuidV7Generator();
  const newId = () => uuid(clock.now());

  const nc = await host.use('nats', connectNats(cfg.natsUrl, 'safety'), (c) => c.drain(), (c) => c.flush());
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  await ensureStreams(jsm, { contexts: ['safety', 'memory'], replicas: cfg.streamReplicas });
  const mongo = await host.useMongo(cfg.mongoUrl, cfg.mongoDb);
  await host.useRedis(cfg.redisUrl);

  const models = await safetyReadModels(mongo.db);
  const store = new EventStore({ js, jsm, context: 'safety', codec: safetyCodec, logger, metrics: registry });
  const recorder = createSafetyMetrics(registry, models, clock, logger);
  const frames = natsLiveFrames(nc);

  // Loading the language model and the sentence encoder takes a moment: pay it at start-up, not on
  // the first message. A missing encoder model fails start-up with install instructions.
  const { classify, encoder } = await startOfflineClassifier(cfg);
  const remoteChecks: RemoteRiskCheck[] = [];
  if (cfg.openaiApiKey && cfg.remoteChecks !== 'none') {
    const client = openAiClient({ apiKey: cfg.openaiApiKey, ...(cfg.openaiBaseUrl ? { baseURL: cfg.openaiBaseUrl } : {}) });
    if (cfg.remoteChecks.includes('moderation')) remoteChecks.push(moderationCheck(client, cfg.moderationModel));
    if (cfg.remoteChecks.includes('llm')) remoteChecks.push(llmClassificationCheck(client, cfg.openaiModel));
  }
  logger.info({ encoder, remoteChecks: remoteChecks.map((c) => c.name), webhook: Boolean(cfg.crisisWebhookUrl) }, 'safety assessment configured');

  const alerts = new AlertWorkflow({ store, alerts: mongoAlertQuery(models.alerts), frames, recorder, clock, newId });
  const assessment = new Assessment({ store, classify, remoteChecks, alerts, recorder, clock, newId, logger, remoteBudgetMs: cfg.remoteBudgetMs });

  const erased = new ErasedUsers(mongo.db);
  await erased.ensureIndexes();
  const erasure = await startSafetyErasure({ nc, js, jsm, db: mongo.db, erased, logger, registry });
  host.onShutdown('erasure', () => erasure.stop());
  const projection = await startProjection({
    nc,
    js,
    jsm,
    name: 'safety-read-models',
    stream: 'SAFETY',
    filterSubjects: ['safety.evt.>'],
    codec: safetyCodec,
    handle: skipErasedSafety(erased, mongo.db, safetyProjection(models)),
    logger,
    registry,
  });
  host.onShutdown('projection', () => projection.stop());
  if (cfg.crisisWebhookUrl) {
    const webhook = await startCrisisWebhook({ nc, js, jsm, url: cfg.crisisWebhookUrl, logger, clock, registry });
    host.onShutdown('crisis-webhook', () => webhook.stop());
  }

  host.grpc.addService(safetyV1.SafetyServiceService, { ...safetyHandlers({ assessment, alerts }), ...sessionFlagsHandlers(mongoSessionFlagsQuery(models)) });
  await host.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`safety failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
