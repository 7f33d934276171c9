import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams, EventStore, type StoredEvent } from '@haven/eventstore';
import { connectMongo, connectRedis, createGrpcClient, createLogger, createMetrics, DomainError, errors, GrpcServer, loadConfig, type GrpcClient, type MongoHandle } from '@haven/platform';
import { billingV1, conversationV1, memoryV1, safetyV1, sessionV1 } from '@haven/proto';
import { eventually, inMemoryDataKeys, startOpenAIStub, type OpenAIStub } from '@haven/testkit';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Redis } from 'ioredis';
import type { NatsConnection, Subscription } from 'nats';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { conversationConfig } from '../src/config';
import { createConversation, type Conversation } from '../src/conversation';
import type { ConversationEvent } from '../src/domain/transcript';
import { conversationCodec, sessionEventsCodec } from '../src/infrastructure/codec';
import { userMessageId } from '../src/domain/messageIds';

// ---- upstream fakes: tiny gRPC servers implementing only the RPCs conversation calls --------

interface FakeSession {
  userId: string;
  personaId: string;
  phase: sessionV1.Phase;
  incognito: boolean;
}

const run = Math.random().toString(36).slice(2, 8);
const logger = createLogger('conversation-int', 'silent');

const sessions = new Map<string, FakeSession>();
const recordCalls: sessionV1.RecordUserMessageRequest[] = [];
const assessCalls: safetyV1.AssessRequest[] = [];
const authorizeCalls: billingV1.AuthorizeRequest[] = [];
let safetyMode: 'normal' | 'high' | 'down' = 'normal';
let billingRefusal = '';

const upstream = new GrpcServer({ service: 'upstream-fakes', logger, metrics: createMetrics('upstream-fakes') });
upstream.addService(sessionV1.SessionServiceService, {
  recordUserMessage: async (req) => {
    recordCalls.push(req);
    const s = sessions.get(req.sessionId);
    if (!s || s.userId !== req.userId) throw errors.notFound('SESSION_NOT_FOUND', 'no such session');
    return {
      session: sessionV1.Session.fromPartial({
        id: req.sessionId,
        userId: s.userId,
        personaId: s.personaId,
        status: sessionV1.SessionStatus.SESSION_STATUS_ACTIVE,
        phase: s.phase,
        timeMode: sessionV1.TimeMode.TIME_MODE_STANDARD,
        plannedDurationMinutes: 30,
        secondsRemaining: 1500,
        reason: 'work stress',
        baselineMood: 4,
        incognito: s.incognito,
      }),
    };
  },
});
upstream.addService(safetyV1.SafetyServiceService, {
  assess: async (req) => {
    assessCalls.push(req);
    if (safetyMode === 'down') throw errors.unavailable('DOWN', 'safety is down');
    const high = safetyMode === 'high';
    return {
      level: high ? safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK : safetyV1.RiskLevel.RISK_LEVEL_NORMAL,
      signals: high ? ['plan'] : [],
      confidence: 0.9,
      state: high ? safetyV1.SafetyState.SAFETY_STATE_SAFETY_MODE : safetyV1.SafetyState.SAFETY_STATE_NORMAL,
      resources: high ? [{ name: 'Samaritans', phone: '116 123', text: '', url: 'https://www.samaritans.org' }] : [],
    };
  },
});
upstream.addService(billingV1.BillingServiceService, {
  authorize: async (req) => {
    authorizeCalls.push(req);
    if (billingRefusal) return { allowed: false, refusalCode: billingRefusal, message: `refused: ${billingRefusal}`, creditsRemaining: 0 };
    return { allowed: true, refusalCode: '', message: '', creditsRemaining: 100 };
  },
});

// The memory service's data keys, approved memories and proposals, over its real gRPC contract.
const dataKeys = inMemoryDataKeys();
const approved = new Map<string, string[]>(); // `${userId}/${personaId}` → themes
const proposeCalls: memoryV1.ProposeMemoriesRequest[] = [];
let memoryDown = false;
upstream.addService(memoryV1.MemoryServiceService, {
  getDataKey: (req) => dataKeys.getDataKey(req),
  getApprovedMemories: async (req) => {
    if (memoryDown) throw errors.unavailable('DOWN', 'memory is down');
    const texts = approved.get(`${req.userId}/${req.personaId}`) ?? [];
    return { memories: texts.map((text, i) => memoryV1.Memory.fromPartial({ id: `m${i}`, userId: req.userId, personaId: req.personaId, text, status: 'approved' })) };
  },
  proposeMemories: async (req) => {
    proposeCalls.push(req);
    return { memories: req.themes.map((text, i) => memoryV1.Memory.fromPartial({ id: `p${i}`, text, status: 'proposed' })), dropped: 0 };
  },
});

// ---- shared infrastructure -------------------------------------------------------------------

let nc: NatsConnection;
let mongo: MongoHandle;
let redis: Redis;
let stub: OpenAIStub;
let upstreamAddr = '';
let conversationStore: EventStore<ConversationEvent>;
const live: { subject: string; frame: Record<string, unknown> }[] = [];
let liveSub: Subscription;

function newSession(over: Partial<FakeSession> = {}): { sessionId: string; userId: string } {
  const sessionId = randomUUID();
  const userId = `user-${randomUUID()}`;
  sessions.set(sessionId, { userId, personaId: 'alex', phase: sessionV1.Phase.PHASE_EXPLORATION, incognito: false, ...over });
  return { sessionId, userId };
}

interface Instance {
  conversation: Conversation;
  client: GrpcClient<conversationV1.ConversationServiceClient>;
  metrics: ReturnType<typeof createMetrics>;
  stop(): Promise<void>;
}

async function startInstance(env: Record<string, string | undefined>): Promise<Instance> {
  const cfg = loadConfig('conversation', conversationConfig, {
    ...process.env,
    MONGO_DB: `conv_${run}`,
    LOG_LEVEL: 'silent',
    SESSION_GRPC_ADDR: upstreamAddr,
    SAFETY_GRPC_ADDR: upstreamAddr,
    BILLING_GRPC_ADDR: upstreamAddr,
    MEMORY_GRPC_ADDR: upstreamAddr,
    OPENAI_TIMEOUT_MS: '700',
    OPENAI_MAX_RETRIES: '2',
    OPENAI_MODEL: 'haven-stub-chat',
    ...env,
  });
  const metrics = createMetrics('conversation-int');
  const conversation = await createConversation({ cfg, nc, mongo, redis, logger, metrics });
  const server = new GrpcServer({ service: 'conversation', logger, metrics });
  server.addService(conversationV1.ConversationServiceService, conversation.handlers);
  const port = await server.start(0, '127.0.0.1');
  const client = createGrpcClient(conversationV1.ConversationServiceClient, 'conversation', `127.0.0.1:${port}`, { defaultDeadlineMs: 30_000 });
  return {
    conversation,
    client,
    metrics,
    async stop() {
      client.close();
      await server.shutdown(1000);
      await conversation.stop();
    },
  };
}

beforeAll(async () => {
  const natsUrl = process.env.NATS_URL;
  if (!natsUrl) throw new Error('NATS_URL is not set: run through the vitest int project');
  nc = await connectNats(natsUrl, 'conversation-int');
  const jsm = await nc.jetstreamManager();
  await ensureStreams(jsm, { contexts: ['conversation', 'session'] });
  mongo = await connectMongo(process.env.MONGO_URL ?? '', `conv_${run}`, logger);
  redis = connectRedis(process.env.REDIS_URL ?? '', logger);
  stub = await startOpenAIStub();
  upstreamAddr = `127.0.0.1:${await upstream.start(0, '127.0.0.1')}`;
  conversationStore = new EventStore({ js: nc.jetstream(), jsm, context: 'conversation', codec: conversationCodec });
  liveSub = nc.subscribe('live.session.>', {
    callback: (_err, msg) => live.push({ subject: msg.subject, frame: JSON.parse(new TextDecoder().decode(msg.data)) as Record<string, unknown> }),
  });
});

afterAll(async () => {
  liveSub?.unsubscribe();
  await upstream.shutdown(1000);
  await stub?.close();
  await nc?.drain();
  redis?.disconnect();
  await mongo?.db.dropDatabase().catch(() => undefined);
  await mongo?.close();
});

beforeEach(() => {
  stub.reset();
  safetyMode = 'normal';
  billingRefusal = '';
});

type Frame = NonNullable<conversationV1.PostMessageResponse['frame']>;

async function post(client: GrpcClient<conversationV1.ConversationServiceClient>, req: { sessionId: string; userId: string; content: string; clientMessageId?: string }): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const f of client.stream((c) => c.postMessage, 'PostMessage', { clientMessageId: '', locale: 'en-GB', ...req })) if (f.frame) frames.push(f.frame);
  return frames;
}

async function postError(client: GrpcClient<conversationV1.ConversationServiceClient>, req: { sessionId: string; userId: string; content: string; clientMessageId?: string }): Promise<DomainError> {
  const err = await post(client, req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

function completedOf(frames: Frame[]): conversationV1.Message {
  const last = frames[frames.length - 1];
  if (last?.$case !== 'completed') throw new Error(`no completed frame: ${JSON.stringify(frames.map((f) => f.$case))}`);
  return last.completed;
}

function acceptedOf(frames: Frame[]): conversationV1.Message {
  const first = frames[0];
  if (first?.$case !== 'accepted') throw new Error('no accepted frame');
  return first.accepted;
}

const chatRequests = () => stub.requests.filter((r) => r.endpoint === 'chat.completions');

async function eventsOf(sessionId: string): Promise<StoredEvent<ConversationEvent>[]> {
  return (await conversationStore.load(sessionId)).events;
}


async function transcriptWith(client: Instance['client'], sessionId: string, userId: string, count: number) {
  return eventually(async () => {
    const t = await client.unary((c) => c.getTranscript, 'GetTranscript', { sessionId, userId });
    return t.messages.length >= count ? t : undefined;
  });
}

// ---- with an LLM (the OpenAI stub) ----------------------------------------------------------

describe('conversation with an LLM (OpenAI stub)', () => {
  let inst: Instance;
  beforeAll(async () => {
    inst = await startInstance({ OPENAI_BASE_URL: stub.baseURL, OPENAI_API_KEY: 'test-key' });
    expect(inst.conversation.offline).toBe(false);
  });
  afterAll(async () => {
    await inst?.stop();
  });

  it('streams accepted, safety, tokens, completed; the reply equals the stub reply; live frames go out on NATS', async () => {
    const { sessionId, userId } = newSession();
    const frames = await post(inst.client, { sessionId, userId, content: '  I feel anxious about my exam tomorrow  ', clientMessageId: 'c1' });
    expect(frames[0]?.$case).toBe('accepted');
    expect(frames[1]?.$case).toBe('safety');
    const tokens = frames.filter((f): f is Extract<Frame, { $case: 'token' }> => f.$case === 'token');
    expect(tokens.length).toBeGreaterThan(1);
    expect(frames.slice(2, -1).every((f) => f.$case === 'token')).toBe(true);
    const accepted = acceptedOf(frames);
    expect(accepted.content).toBe('I feel anxious about my exam tomorrow');
    expect(accepted.speaker).toBe(conversationV1.Speaker.SPEAKER_USER);
    expect(accepted.sentiment).toBeLessThan(0);
    const completed = completedOf(frames);
    expect(completed.content).toBe('Echo: I feel anxious about my exam tomorrow');
    expect(tokens.map((t) => t.token).join('')).toBe(completed.content);
    expect(completed).toMatchObject({ speaker: conversationV1.Speaker.SPEAKER_AI, model: 'haven-stub-chat', offline: false });

    // The prompt: system + developer prompts first, usage requested.
    const body = chatRequests()[0]?.body as { messages: { role: string; content: string }[]; stream: boolean; stream_options: unknown };
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.messages[0]?.content).toContain('not a therapist and not a medical device');
    expect(body.messages[1]?.content).toContain("Client's stated reason: work stress.");

    // Safety saw the text; billing got the message id as idempotency key.
    expect(assessCalls.at(-1)).toMatchObject({ sessionId, text: 'I feel anxious about my exam tomorrow', history: [] });
    expect(authorizeCalls.at(-1)).toMatchObject({ sessionId, personaId: 'alex', messageId: accepted.id });

    const mine = await eventually(async () => {
      const f = live.filter((l) => l.subject === `live.session.${sessionId}`).map((l) => l.frame);
      return f.some((x) => x.type === 'ai_response') ? f : undefined;
    });
    expect(mine[0]).toEqual({ type: 'ai_typing', sessionId });
    expect(mine.filter((x) => x.type === 'ai_token').map((x) => x.delta).join('')).toBe(completed.content);
    expect(mine.filter((x) => x.type === 'ai_token').every((x) => x.messageId === completed.id)).toBe(true);
    expect(mine.at(-1)).toMatchObject({ type: 'ai_response', message: { id: completed.id, speaker: 'ai', content: completed.content, model: 'haven-stub-chat', offline: false } });

    const metrics = await inst.metrics.registry.metrics();
    expect(metrics).toMatch(/haven_llm_tokens_total\{[^}]*kind="completion"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/haven_llm_request_duration_seconds_count\{[^}]*outcome="ok"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/haven_messages_total\{[^}]*speaker="ai"[^}]*\} [1-9]/);

    const events = await eventsOf(sessionId);
    expect(events.map((e) => e.event.type)).toEqual(['MessagePosted', 'AiReplyCompleted']);
    const reply = events[1]?.event;
    expect(reply?.type === 'AiReplyCompleted' && reply.data.promptTokens > 0 && reply.data.completionTokens > 0).toBe(true);
    expect(events[0]?.id).toBe(accepted.id);
  });

  it('retries the LLM after two 500s and then answers', async () => {
    stub.setBehaviour({ chat: { kind: 'error', status: 500, times: 2, retryAfterMs: 20 } });
    const { sessionId, userId } = newSession();
    const frames = await post(inst.client, { sessionId, userId, content: 'Hello there' });
    expect(completedOf(frames).content).toBe('Echo: Hello there');
    expect(chatRequests()).toHaveLength(3);
  });

  it('a hanging LLM gives a clear timeout, stores no reply; the retry answers the stored message', async () => {
    stub.setBehaviour({ chat: { kind: 'hang' } });
    const { sessionId, userId } = newSession();
    const started = Date.now();
    const err = await postError(inst.client, { sessionId, userId, content: 'Are you there?', clientMessageId: 'hang-1' });
    expect(err.kind).toBe('DeadlineExceeded');
    expect(err.code).toBe('LLM_TIMEOUT');
    // 3 attempts × 700 ms plus the client's backoff.
    expect(Date.now() - started).toBeLessThan(8000);
    expect((await eventsOf(sessionId)).map((e) => e.event.type)).toEqual(['MessagePosted']);

    stub.reset();
    const frames = await post(inst.client, { sessionId, userId, content: 'Are you there?', clientMessageId: 'hang-1' });
    expect(completedOf(frames).content).toBe('Echo: Are you there?');
    expect((await eventsOf(sessionId)).map((e) => e.event.type)).toEqual(['MessagePosted', 'AiReplyCompleted']);
  });

  it('the same clientMessageId twice in a row: one message, one reply, no second LLM call', async () => {
    const { sessionId, userId } = newSession();
    const first = await post(inst.client, { sessionId, userId, content: 'Only once please', clientMessageId: 'dup' });
    const second = await post(inst.client, { sessionId, userId, content: 'Only once please', clientMessageId: 'dup' });
    expect(acceptedOf(second).id).toBe(acceptedOf(first).id);
    expect(completedOf(second).id).toBe(completedOf(first).id);
    expect(completedOf(second).content).toBe(completedOf(first).content);
    expect(second.map((f) => f.$case)).toEqual(['accepted', 'safety', 'completed']);
    expect(chatRequests()).toHaveLength(1);
    expect((await eventsOf(sessionId)).map((e) => e.event.type)).toEqual(['MessagePosted', 'AiReplyCompleted']);
  });

  it('the same clientMessageId concurrently: one reply; the twin returns the winner’s reply', async () => {
    stub.setBehaviour({ chat: { kind: 'reply', delayMsPerToken: 40 } });
    const { sessionId, userId } = newSession();
    const req = { sessionId, userId, content: 'Two tabs sent this at the same time', clientMessageId: 'twin' };
    const [a, b] = await Promise.all([post(inst.client, req), post(inst.client, req)]);
    expect(completedOf(a).id).toBe(completedOf(b).id);
    expect(completedOf(a).content).toBe(completedOf(b).content);
    expect(chatRequests()).toHaveLength(1);
    expect((await eventsOf(sessionId)).map((e) => e.event.type)).toEqual(['MessagePosted', 'AiReplyCompleted']);
  });

  it('a reply claim left by a crashed holder lapses within seconds and the retry answers', async () => {
    const { sessionId, userId } = newSession();
    // A holder that died mid-reply: its claim is never renewed nor released.
    await redis.set(`haven:conversation:reply-claim:${userMessageId(sessionId, 'orphan')}`, 'dead-replica', 'PX', 1500);
    const started = Date.now();
    const frames = await post(inst.client, { sessionId, userId, content: 'Still there after the crash?', clientMessageId: 'orphan' });
    expect(completedOf(frames).content).toBe('Echo: Still there after the crash?');
    expect(Date.now() - started).toBeLessThan(6000);
    expect((await eventsOf(sessionId)).map((e) => e.event.type)).toEqual(['MessagePosted', 'AiReplyCompleted']);
  });

  it('HIGH_RISK: no LLM call, the crisis protocol instead', async () => {
    safetyMode = 'high';
    const { sessionId, userId } = newSession();
    const frames = await post(inst.client, { sessionId, userId, content: 'I have a plan for tonight' });
    const safety = frames[1];
    expect(safety?.$case === 'safety' && safety.safety).toMatchObject({ level: 'HIGH_RISK', state: 'SAFETY_MODE', resources: ['Samaritans: call 116 123, https://www.samaritans.org'] });
    const completed = completedOf(frames);
    expect(completed.speaker).toBe(conversationV1.Speaker.SPEAKER_SYSTEM);
    expect(completed.content).toContain('Are you safe right now?');
    expect(completed.content).toContain('Samaritans');
    expect(chatRequests()).toHaveLength(0);
    expect((await eventsOf(sessionId)).map((e) => e.event.type)).toEqual(['MessagePosted', 'CrisisProtocolSent']);
  });

  it('safety unavailable: SAFETY_UNAVAILABLE, nothing stored, no billing, no LLM', async () => {
    safetyMode = 'down';
    const { sessionId, userId } = newSession();
    const billed = authorizeCalls.length;
    const err = await postError(inst.client, { sessionId, userId, content: 'hello' });
    expect(err).toMatchObject({ kind: 'Unavailable', code: 'SAFETY_UNAVAILABLE' });
    expect(await eventsOf(sessionId)).toEqual([]);
    expect(authorizeCalls.length).toBe(billed);
    expect(chatRequests()).toHaveLength(0);
  });

  it('billing refusals map to FailedPrecondition / InvalidArgument with the refusal code; nothing stored', async () => {
    const { sessionId, userId } = newSession();
    billingRefusal = 'DAILY_LIMIT';
    expect(await postError(inst.client, { sessionId, userId, content: 'hello' })).toMatchObject({ kind: 'FailedPrecondition', code: 'DAILY_LIMIT' });
    billingRefusal = 'MESSAGE_TOO_LONG';
    expect(await postError(inst.client, { sessionId, userId, content: 'hello' })).toMatchObject({ kind: 'InvalidArgument', code: 'MESSAGE_TOO_LONG' });
    expect(await eventsOf(sessionId)).toEqual([]);
  });

  it('validates content and ownership before anything else', async () => {
    const { sessionId, userId } = newSession();
    const calls = recordCalls.length;
    expect(await postError(inst.client, { sessionId, userId, content: '   ' })).toMatchObject({ kind: 'InvalidArgument', code: 'CONTENT_EMPTY' });
    expect(await postError(inst.client, { sessionId, userId, content: 'x'.repeat(4001) })).toMatchObject({ kind: 'InvalidArgument', code: 'CONTENT_TOO_LONG' });
    expect(recordCalls.length).toBe(calls);
    expect(await postError(inst.client, { sessionId, userId: 'someone-else', content: 'hi' })).toMatchObject({ kind: 'NotFound' });
  });

  it('classifies the answer to a checkpoint and passes it to the session', async () => {
    const { sessionId, userId } = newSession({ phase: sessionV1.Phase.PHASE_CHECKPOINT });
    await post(inst.client, { sessionId, userId, content: 'We talked a lot' });
    const asked = chatRequests()[0]?.body as { messages: { content: string }[] };
    expect(asked.messages[0]?.content).toContain('compared to the start of the session');
    sessions.set(sessionId, { ...sessions.get(sessionId)!, phase: sessionV1.Phase.PHASE_EXPLORATION });
    await post(inst.client, { sessionId, userId, content: 'Honestly I feel a bit better now' });
    const calls = recordCalls.filter((c) => c.sessionId === sessionId);
    expect(calls[0]?.checkpointAnswer).toBe(sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_UNSPECIFIED);
    expect(calls[1]?.checkpointAnswer).toBe(sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_BETTER);
  });

  it('GetTranscript: messages in order with speakers and safety levels, owner only; exports CSV and PDF', async () => {
    const { sessionId, userId } = newSession();
    await post(inst.client, { sessionId, userId, content: 'First, with "quotes", commas\nand a new line' });
    await post(inst.client, { sessionId, userId, content: 'Second message' });
    // Safety saw the earlier user message as history.
    expect(assessCalls.at(-1)?.history).toEqual(['First, with "quotes", commas\nand a new line']);
    const t = await transcriptWith(inst.client, sessionId, userId, 4);
    expect(t.messages.map((m) => m.speaker)).toEqual([
      conversationV1.Speaker.SPEAKER_USER,
      conversationV1.Speaker.SPEAKER_AI,
      conversationV1.Speaker.SPEAKER_USER,
      conversationV1.Speaker.SPEAKER_AI,
    ]);
    expect(t.messages[0]?.content).toBe('First, with "quotes", commas\nand a new line');
    expect(t.messages[2]?.content).toBe('Second message');
    expect(t.messages[0]?.safetyLevel).toBe('NORMAL');
    expect(t.messages[1]?.safetyLevel).toBe('');

    const notYours = await inst.client.unary((c) => c.getTranscript, 'GetTranscript', { sessionId, userId: 'intruder' }).catch((e: unknown) => e);
    expect(notYours).toMatchObject({ kind: 'NotFound' });
    const unknown = await inst.client.unary((c) => c.getTranscript, 'GetTranscript', { sessionId: randomUUID(), userId }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ kind: 'NotFound' });

    const csv = await inst.client.unary((c) => c.exportTranscript, 'ExportTranscript', { sessionId, userId, format: conversationV1.ExportFormat.EXPORT_FORMAT_CSV });
    expect(csv.contentType).toContain('text/csv');
    const rows = parseCsv(Buffer.from(csv.data).toString('utf8'), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((r) => r.speaker)).toEqual(['user', 'ai', 'user', 'ai']);
    expect(rows[0]?.content).toBe('First, with "quotes", commas\nand a new line');

    const pdf = await inst.client.unary((c) => c.exportTranscript, 'ExportTranscript', { sessionId, userId, format: conversationV1.ExportFormat.EXPORT_FORMAT_PDF });
    expect(pdf.contentType).toBe('application/pdf');
    const parser = new PDFParse({ data: new Uint8Array(pdf.data) });
    const text = (await parser.getText()).text;
    await parser.destroy();
    expect(text).toContain('Haven session transcript');
    expect(text).toContain('Persona: Alex');
    expect(text).toContain(`Session date: ${new Date().toISOString().slice(0, 10)}`);
    expect(text).toContain('Second message');
    expect(text).toMatch(/You · \d\d:\d\d/);
    expect(text).toContain('Echo: Second message');

    const bad = await inst.client.unary((c) => c.exportTranscript, 'ExportTranscript', { sessionId, userId, format: conversationV1.ExportFormat.EXPORT_FORMAT_UNSPECIFIED }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ kind: 'InvalidArgument' });
  });

  it('summarises the session after SessionEnded (LLM JSON); GetSummary says SUMMARY_NOT_READY before', async () => {
    stub.setBehaviour({
      chat: {
        kind: 'reply',
        reply: (r) =>
          r.body.response_format
            ? JSON.stringify({
                summary: 'You talked about exam stress.',
                keyTopics: ['exams'],
                emotions: ['Anxiety'],
                nextSteps: ['Plan one revision block'],
                memoryThemes: ['preparing calmly for exams', 'noticing anxious thoughts early'],
              })
            : `Echo: ${r.messages.at(-1)?.content ?? ''}`,
      },
    });
    const { sessionId, userId } = newSession();
    await post(inst.client, { sessionId, userId, content: 'My exams make me so anxious' });
    await transcriptWith(inst.client, sessionId, userId, 2);
    const early = await inst.client.unary((c) => c.getSummary, 'GetSummary', { sessionId, userId }).catch((e: unknown) => e);
    expect(early).toMatchObject({ kind: 'NotFound', code: 'SUMMARY_NOT_READY' });

    const sessionStore = new EventStore({ js: nc.jetstream(), jsm: await nc.jetstreamManager(), context: 'session', codec: sessionEventsCodec });
    await sessionStore.append(sessionId, 'any', [{ type: 'SessionEnded', data: { sessionId, reason: 'completed', closingMood: 6, rating: 5, actualDurationSeconds: 600, moodChange: 2, endedAt: new Date() } }], {
      actor: userId,
      now: new Date(),
    });
    const { summary } = await eventually(() =>
      inst.client.unary((c) => c.getSummary, 'GetSummary', { sessionId, userId }).then((r) => (r.summary ? r : undefined)),
    );
    expect(summary).toMatchObject({ sessionId, summary: 'You talked about exam stress.', keyTopics: ['exams'], nextSteps: ['Plan one revision block'], offline: false });
    expect(summary?.emotions).toContain('anxiety');
    expect(summary?.techniques).toContain('CBT');
    const events = await eventsOf(sessionId);
    expect(events.filter((e) => e.event.type === 'SummaryGenerated')).toHaveLength(1);
    // Summary, topics and next steps are sealed in the event; the themes went to memory, not into events.
    const stored = JSON.stringify(events.find((e) => e.event.type === 'SummaryGenerated'));
    for (const plain of ['exam stress', 'exams', 'revision', 'preparing calmly']) expect(stored).not.toContain(plain);
    // The admin browser's themes come back opened (topics only, never the summary text).
    const themes = await inst.client.unary((c) => c.listSessionThemes, 'ListSessionThemes', { sessionIds: [sessionId, 'no-such-session'] });
    expect(themes.sessions).toEqual([expect.objectContaining({ sessionId, keyTopics: ['exams'], emotions: expect.arrayContaining(['anxiety']) })]);
    expect(JSON.stringify(themes)).not.toContain('exam stress');
    expect(proposeCalls.filter((c) => c.sessionId === sessionId)).toEqual([
      { userId, personaId: 'alex', sessionId, themes: ['preparing calmly for exams', 'noticing anxious thoughts early'] },
    ]);
  });

  it('seals message content with the user’s data key: no plaintext in events or MongoDB; the transcript reads it back', async () => {
    const { sessionId, userId } = newSession();
    const marker = `MARKER-${run}-sealed`;
    await post(inst.client, { sessionId, userId, content: `my sister ${marker} again` });
    const t = await transcriptWith(inst.client, sessionId, userId, 2);
    expect(t.messages.map((m) => m.content)).toEqual([`my sister ${marker} again`, `Echo: my sister ${marker} again`]);
    const events = await eventsOf(sessionId);
    expect(JSON.stringify(events)).not.toContain(marker);
    const posted = events.find((e) => e.event.type === 'MessagePosted')?.event;
    expect(posted?.type === 'MessagePosted' && posted.data).toMatchObject({ keyId: `key-${userId}`, content: expect.stringMatching(/^v1\./) });
    const doc = await eventually(async () => {
      const d = await mongo.db.collection('transcripts').findOne({ _id: sessionId as never });
      return d && (d.messages as unknown[]).length === 2 ? d : undefined;
    });
    expect(JSON.stringify(doc)).not.toContain(marker);
  });

  it('memory block: the pair’s approved themes are in the developer prompt, another persona’s are not; a memory outage costs only the block', async () => {
    const a = newSession();
    approved.set(`${a.userId}/alex`, ['finding calm before work meetings']);
    approved.set(`${a.userId}/sarah`, ['a theme for another persona']);
    const developerPrompt = async (s: { sessionId: string; userId: string }, content: string) => {
      const before = chatRequests().length;
      expect(completedOf(await post(inst.client, { ...s, content })).content).toBe(`Echo: ${content}`);
      const body = chatRequests()[before]?.body as { messages: { role: string; content: string }[] };
      return body.messages[1]?.content ?? '';
    };
    const withMemory = await developerPrompt(a, 'Meetings again today');
    expect(withMemory).toContain('Memory from earlier sessions');
    expect(withMemory).toContain('finding calm before work meetings');
    expect(withMemory).not.toContain('another persona');

    const stranger = newSession();
    expect(await developerPrompt(stranger, 'Hello there')).not.toContain('Memory from earlier sessions');

    memoryDown = true;
    try {
      expect(await developerPrompt(a, 'Still here')).not.toContain('Memory from earlier sessions');
    } finally {
      memoryDown = false;
    }
  });

  it('a user erased before the summary: nothing to summarise, no proposal, no error', async () => {
    const { sessionId, userId } = newSession();
    await post(inst.client, { sessionId, userId, content: 'Talking about sleep' });
    await transcriptWith(inst.client, sessionId, userId, 2);
    dataKeys.erase(userId);
    // A fresh instance has no cached key, as after the UserErased consumer forgot it.
    const fresh = await startInstance({ OPENAI_BASE_URL: stub.baseURL, OPENAI_API_KEY: 'test-key' });
    try {
      expect(await fresh.conversation.summariseSession(sessionId)).toBe('erased');
    } finally {
      await fresh.stop();
    }
    expect(proposeCalls.some((c) => c.sessionId === sessionId)).toBe(false);
    expect((await eventsOf(sessionId)).some((e) => e.event.type === 'SummaryGenerated')).toBe(false);
  });

  it('incognito: no content in events or MongoDB; live context in Redis, dropped at the end', async () => {
    const { sessionId, userId } = newSession({ incognito: true });
    const frames = await post(inst.client, { sessionId, userId, content: 'A secret worry' });
    expect(completedOf(frames).content).toBe('Echo: A secret worry');
    const events = await eventsOf(sessionId);
    for (const e of events) {
      if (e.event.type === 'MessagePosted' || e.event.type === 'AiReplyCompleted') expect(e.event.data.content).toBe('');
    }
    const doc = await eventually(async () => {
      const d = await mongo.db.collection('transcripts').findOne({ _id: sessionId as never });
      return d && (d.messages as unknown[]).length === 2 ? d : undefined;
    });
    expect(JSON.stringify(doc)).not.toContain('secret');
    const t = await transcriptWith(inst.client, sessionId, userId, 2);
    expect(t.messages[0]?.content).toBe('A secret worry');
    expect(await redis.exists(`haven:incognito:${sessionId}`)).toBe(1);

    await inst.conversation.summariseSession(sessionId);
    expect(await redis.exists(`haven:incognito:${sessionId}`)).toBe(0);
    const summary = (await eventsOf(sessionId)).find((e) => e.event.type === 'SummaryGenerated')?.event;
    expect(JSON.stringify(summary)).not.toContain('secret');
    expect(proposeCalls.some((c) => c.sessionId === sessionId)).toBe(false);
  });
});

// ---- offline (no OPENAI_API_KEY) ----------------------------------------------------------------

describe('conversation offline (no API key)', () => {
  let inst: Instance;
  beforeAll(async () => {
    inst = await startInstance({ OPENAI_BASE_URL: stub.baseURL, OPENAI_API_KEY: '' });
    expect(inst.conversation.offline).toBe(true);
  });
  afterAll(async () => {
    await inst?.stop();
  });

  it('answers with the offline responder, marked offline, without calling any LLM', async () => {
    const { sessionId, userId } = newSession();
    const frames = await post(inst.client, { sessionId, userId, content: 'I feel so lonely lately' });
    const completed = completedOf(frames);
    expect(completed).toMatchObject({ model: 'offline', offline: true, speaker: conversationV1.Speaker.SPEAKER_AI });
    expect(completed.content).toContain('alone');
    expect(frames.filter((f) => f.$case === 'token').length).toBeGreaterThan(1);
    expect(stub.requests).toHaveLength(0);
    const again = await post(inst.client, { sessionId, userId, content: 'I feel so lonely lately' });
    expect(completedOf(again).content).toBe(completed.content);
    const t = await transcriptWith(inst.client, sessionId, userId, 4);
    expect(t.messages[1]).toMatchObject({ model: 'offline', offline: true });
  });
});
