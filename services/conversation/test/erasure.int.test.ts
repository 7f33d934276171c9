import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams, EventStore, oneofCodec, type RunningProjection } from '@haven/eventstore';
import { connectMongo, connectRedis, createLogger } from '@haven/platform';
import { memoryV1 } from '@haven/proto';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@haven/testkit';
import type { ConversationEvent } from '../src/domain/transcript';
import { CONVERSATION_ERASED_USERS_COLLECTION, ErasedUsers, skipErasedTranscripts, startConversationErasure } from '../src/erasure';
import { TRANSCRIPTS_COLLECTION, transcriptsProjection, type TranscriptDoc } from '../src/projections/transcripts';

const run = randomUUID().slice(0, 8);


describe('conversation erasure on memory.UserErased (real NATS, Redis, FerretDB)', () => {
  let nc: NatsConnection;
  let redis: Redis;
  let db: Db;
  let closeMongo: () => Promise<void>;
  let erasure: RunningProjection;

  beforeAll(async () => {
    const logger = createLogger('conversation-erasure-test', 'silent');
    nc = await connectNats(process.env.NATS_URL!, 'conversation-erasure-test');
    await ensureStreams(await nc.jetstreamManager(), { contexts: ['memory'] });
    const mongo = await connectMongo(process.env.MONGO_URL!, `conversation_erasure_${run}`, logger);
    db = mongo.db;
    closeMongo = () => mongo.close();
    redis = connectRedis(process.env.REDIS_URL!, logger);
    const erased = new ErasedUsers(db);
    await erased.ensureIndexes();
    erasure = await startConversationErasure({ nc, js: nc.jetstream(), jsm: await nc.jetstreamManager(), db, redis, erased, name: `conversation-erasure-${run}` });
  });

  afterAll(async () => {
    await erasure?.stop();
    await redis?.quit();
    await closeMongo?.();
    await nc?.drain();
  });

  async function seed(userId: string, sessionId: string): Promise<void> {
    const summary = { summary: 's', keyTopics: ['sleep'], emotions: [], techniques: [], nextSteps: [], offline: true, keyId: 'k', createdAt: new Date() };
    await db.collection<TranscriptDoc>(TRANSCRIPTS_COLLECTION).insertOne({ _id: sessionId, userId, personaId: 'p', incognito: true, messages: [], summary, version: 3 });
    await redis.rpush(`haven:incognito:${sessionId}`, JSON.stringify({ id: 'm1', speaker: 'user', content: 'secret' }));
  }

  it("deletes the user's transcripts, summaries and incognito context, keeps another user's, and blocks re-creation", async () => {
    const [alice, bob] = [`alice-${run}`, `bob-${run}`];
    const [s1, s2, s3] = [`s1-${run}`, `s2-${run}`, `s3-${run}`];
    await seed(alice, s1);
    await seed(alice, s2);
    await seed(bob, s3);

    const memory = new EventStore({ js: nc.jetstream(), jsm: await nc.jetstreamManager(), context: 'memory', codec: oneofCodec('memory', memoryV1.MemoryEvent) });
    await memory.append(`user-${alice}`, 'any', [{ type: 'UserErased', data: { userId: alice, requestedBy: alice } }], { actor: alice, now: new Date() });

    const transcripts = db.collection<TranscriptDoc>(TRANSCRIPTS_COLLECTION);
    await eventually(async () => ((await transcripts.countDocuments({ userId: alice })) === 0 ? true : undefined), { what: 'the erasure' });
    expect(await redis.exists(`haven:incognito:${s1}`, `haven:incognito:${s2}`)).toBe(0);
    expect(await db.collection(CONVERSATION_ERASED_USERS_COLLECTION).countDocuments({ _id: alice as never })).toBe(1);
    expect(await transcripts.countDocuments({ userId: bob })).toBe(1);
    expect(await redis.exists(`haven:incognito:${s3}`)).toBe(1);

    // A replayed first message of alice's and a late summary of her session create nothing.
    const handle = skipErasedTranscripts(new ErasedUsers(db), transcripts, transcriptsProjection(transcripts));
    const base = { sequence: 1, occurredAt: new Date(), actor: alice, correlationId: 'c', causationId: 'c' };
    const posted = { type: 'MessagePosted', data: { sessionId: s1, userId: alice, messageId: 'm1', personaId: 'p', incognito: true } } as unknown as ConversationEvent;
    await handle({ ...base, id: randomUUID(), type: 'conversation.MessagePosted', aggregateId: s1, version: 1, event: posted });
    const summary = { type: 'SummaryGenerated', data: { sessionId: s2, summary: 'x', keyTopics: [], emotions: [], techniques: [], nextSteps: [], offline: true, keyId: 'k' } } as unknown as ConversationEvent;
    await handle({ ...base, id: randomUUID(), type: 'conversation.SummaryGenerated', aggregateId: s2, version: 4, event: summary });
    expect(await transcripts.countDocuments({ _id: { $in: [s1, s2] } })).toBe(0);
  });
});
