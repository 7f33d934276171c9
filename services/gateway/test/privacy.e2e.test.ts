import { randomBytes } from 'node:crypto';
import { connectNats, EventStore, oneofCodec } from '@haven/eventstore';
import { createGrpcClient, DataKeyCipher, isContentErased, type DataKeySource, type GrpcClient } from '@haven/platform';
import { conversationV1, memoryV1 } from '@haven/proto';
import { eventually, type StubChatRequest } from '@haven/testkit';
import { MongoClient } from 'mongodb';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformFixture, type PlatformFixture } from './platform-fixture';

// Privacy end to end (issue: memory, privacy and audit): consented memory through real sessions,
// crypto-shredding of message content on erasure, and incognito content found nowhere — searched
// in every NATS stream, every MongoDB collection and every service log line.

const THEME_KEEP = 'finding calm before work meetings';
const THEME_DROP = 'keeping a gentle evening routine';

function stubReply(r: StubChatRequest): string {
  if (r.body.response_format) {
    return JSON.stringify({ summary: 'You talked about meetings and evenings.', keyTopics: ['meetings'], emotions: ['worry'], nextSteps: ['Take three slow breaths before a meeting'], memoryThemes: [THEME_KEEP, THEME_DROP] });
  }
  return 'Thank you for telling me. What feels most important right now?';
}


describe('privacy end to end (whole platform, real servers, LLM stub)', () => {
  let fx: PlatformFixture;
  let nc: NatsConnection;
  let mongo: MongoClient;
  let memory: GrpcClient<memoryV1.MemoryServiceClient>;
  const logLines: string[] = [];

  beforeAll(async () => {
    // Debug level everywhere: the strictest setting for "no content in logs".
    fx = await startPlatformFixture({ LOG_LEVEL: 'debug' }, stubReply, { onOutput: (service, line) => logLines.push(`[${service}] ${line}`) });
    nc = await connectNats(process.env.NATS_URL!, 'privacy-e2e');
    mongo = await MongoClient.connect(process.env.MONGO_URL!);
    memory = createGrpcClient(memoryV1.MemoryServiceClient, 'memory', fx.platform.services.memory.grpcAddr, { defaultDeadlineMs: 5000 });
  }, 120_000);
  afterAll(async () => {
    memory?.close();
    await nc?.drain();
    await mongo?.close();
    await fx?.stop();
  });

  /** The developer prompt of the streamed chat request that answered `content`. */
  function developerPromptFor(content: string): string {
    const req = fx.stub.requests.find((r) => {
      const body = r.body as { stream?: boolean; messages?: { role: string; content: string }[] };
      return r.endpoint === 'chat.completions' && body.stream === true && body.messages?.at(-1)?.content === content;
    });
    if (!req) throw new Error(`no chat request answered "${content}"`);
    return (req.body as { messages: { content: string }[] }).messages[1]?.content ?? '';
  }

  async function startSession(token: string, personaId: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await fx.api('POST', '/api/v1/sessions/start', token, { personaId, durationMinutes: 20, baselineMood: 3, ...extra });
    expect(r.status, r.text).toBe(201);
    return r.json.session.id as string;
  }

  async function say(token: string, sessionId: string, content: string) {
    const r = await fx.api('POST', `/api/v1/sessions/${sessionId}/messages`, token, { content });
    expect(r.status, r.text).toBe(200);
    return r.json;
  }

  it('consent lifecycle: proposed at the end, one approved, one rejected → the next session has exactly the approved theme; another persona none', async () => {
    const client = await fx.register('memory-client');
    const token = client.accessToken;

    const first = await startSession(token, 'alex');
    const firstWords = `Meetings at work make me anxious ${randomBytes(3).toString('hex')}`;
    await say(token, first, firstWords);
    // No consent yet: the first session's prompt carries no memory.
    expect(developerPromptFor(firstWords)).not.toContain('Memory from earlier sessions');
    expect((await fx.api('POST', `/api/v1/sessions/${first}/end`, token, { closingMood: 4, rating: 5 })).status).toBe(200);

    const proposed = await eventually(async () => {
      const r = await fx.api('GET', '/api/v1/memories', token);
      const mine = (r.json?.memories ?? []) as { id: string; text: string; status: string; sessionId: string; personaId: string }[];
      return mine.length >= 2 ? mine : undefined;
    }, { what: 'the proposed memories', timeoutMs: 20_000 });
    expect(proposed.map((m) => [m.text, m.status, m.sessionId, m.personaId]).sort()).toEqual([
      [THEME_KEEP, 'proposed', first, 'alex'],
      [THEME_DROP, 'proposed', first, 'alex'],
    ].sort());
    const keep = proposed.find((m) => m.text === THEME_KEEP)!;
    const drop = proposed.find((m) => m.text === THEME_DROP)!;
    expect((await fx.api('POST', `/api/v1/memories/${keep.id}/decision`, token, { approve: true })).json.memory.status).toBe('approved');
    expect((await fx.api('POST', `/api/v1/memories/${drop.id}/decision`, token, { approve: false })).json.memory.status).toBe('rejected');

    // The next session with the same persona: exactly the approved theme.
    const second = await startSession(token, 'alex');
    const secondWords = `Another week of meetings ${randomBytes(3).toString('hex')}`;
    await say(token, second, secondWords);
    const prompt = developerPromptFor(secondWords);
    expect(prompt).toContain('Memory from earlier sessions');
    expect(prompt).toContain(THEME_KEEP);
    expect(prompt).not.toContain(THEME_DROP);
    await fx.api('POST', `/api/v1/sessions/${second}/end`, token, {});

    // A different persona: nothing carries over.
    const other = await startSession(token, 'sarah');
    const otherWords = `Hello Sarah ${randomBytes(3).toString('hex')}`;
    await say(token, other, otherWords);
    const otherPrompt = developerPromptFor(otherWords);
    expect(otherPrompt).not.toContain('Memory from earlier sessions');
    expect(otherPrompt).not.toContain(THEME_KEEP);
    await fx.api('POST', `/api/v1/sessions/${other}/end`, token, {});

    // Ending the same session again (a duplicate request) proposes nothing new.
    const after = (await fx.api('GET', '/api/v1/memories', token)).json.memories as { sessionId: string }[];
    expect(after.filter((m) => m.sessionId === first)).toHaveLength(2);
  }, 90_000);

  it('crypto-shredding: content is sealed with the user’s key in events; after DELETE /me the key is gone and the events cannot be decrypted', async () => {
    const client = await fx.register('shred-client');
    const token = client.accessToken;
    const marker = `SHRED-${randomBytes(4).toString('hex')}`;
    const sessionId = await startSession(token, 'alex');
    await say(token, sessionId, `I argued with my brother ${marker}`);
    const transcript = await fx.api('GET', `/api/v1/sessions/${sessionId}/transcript`, token);
    expect(JSON.stringify(transcript.json)).toContain(marker);

    const store = new EventStore({ js: nc.jetstream(), jsm: await nc.jetstreamManager(), context: 'conversation', codec: oneofCodec('conversation', conversationV1.ConversationEvent) });
    const events = (await store.load(sessionId)).events;
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(events)).not.toContain(marker);
    const posted = events.map((e) => e.event).find((e) => e.type === 'MessagePosted') as { type: string; data: { content: string; keyId: string } } | undefined;
    expect(posted?.data.keyId).not.toBe('');

    const keys: DataKeySource = {
      async get(userId) {
        const r = await memory.unary((c) => c.getDataKey, 'GetDataKey', { userId, create: false });
        return r.erased ? { status: 'erased' } : { status: 'active', keyId: r.keyId, key: Buffer.from(r.key) };
      },
    };
    // Before erasure the user's key opens the event's content.
    expect(await new DataKeyCipher(keys).decrypt(client.user.id, { ciphertext: posted!.data.content, keyId: posted!.data.keyId })).toBe(`I argued with my brother ${marker}`);

    expect((await fx.api('DELETE', '/api/v1/me', token)).status).toBe(202);
    const err = await eventually(
      () => new DataKeyCipher(keys).decrypt(client.user.id, { ciphertext: posted!.data.content, keyId: posted!.data.keyId }).then(() => undefined, (e: unknown) => e),
      { what: 'the key to be gone', timeoutMs: 20_000 },
    );
    expect(isContentErased(err)).toBe(true);
    // The events are still in the stream (append-only), but only as ciphertext nobody can open.
    expect(JSON.stringify((await store.load(sessionId)).events)).not.toContain(marker);
    expect((await fx.api('GET', `/api/v1/sessions/${sessionId}/transcript`, token)).status).toBe(401);
  }, 60_000);

  it('incognito: the content reaches no NATS stream, no MongoDB collection and no log line (debug level); safety still answers', async () => {
    const client = await fx.register('incognito-client');
    const token = client.accessToken;
    const marker = `INCOGNITO-${randomBytes(5).toString('hex')}`;
    const sessionId = await startSession(token, 'alex', { incognito: true });
    const reply = await say(token, sessionId, `My favourite colour is green ${marker}`);
    expect(reply.safety).toBeDefined();
    expect(reply.reply?.speaker).toBe('ai');
    // The live context (Redis) serves the transcript while the session runs.
    expect(JSON.stringify((await fx.api('GET', `/api/v1/sessions/${sessionId}/transcript`, token)).json)).toContain(marker);
    expect((await fx.api('POST', `/api/v1/sessions/${sessionId}/end`, token, { closingMood: 4 })).status).toBe(200);
    // The summary runs at the end and drops the live context; wait for it so everything is written.
    await eventually(async () => {
      const r = await fx.api('GET', `/api/v1/sessions/${sessionId}/summary`, token);
      return r.status === 200 ? r : undefined;
    }, { what: 'the incognito summary', timeoutMs: 20_000 });

    // Every message of every stream on the server (events, KV buckets, DLQs), as raw bytes.
    const jsm = await nc.jetstreamManager();
    let scanned = 0;
    const needle = Buffer.from(marker);
    for await (const info of jsm.streams.list()) {
      const name = info.config.name;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(name, { seq }).catch(() => undefined);
        if (!m) continue;
        scanned += 1;
        expect(Buffer.from(m.data).includes(needle), `${name} seq ${seq}`).toBe(false);
      }
    }
    expect(scanned).toBeGreaterThan(0);

    // Every document of every collection of the platform's database.
    const db = mongo.db(fx.platform.env.MONGO_DB!);
    let docs = 0;
    for (const c of await db.listCollections().toArray()) {
      for (const d of await db.collection(c.name).find({}).toArray()) {
        docs += 1;
        expect(JSON.stringify(d).includes(marker), `${c.name}`).toBe(false);
      }
    }
    expect(docs).toBeGreaterThan(0);

    // Every log line of every service.
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((l) => l.includes(marker))).toEqual([]);

    // The session's metadata is kept.
    const s = await fx.api('GET', `/api/v1/sessions/${sessionId}`, token);
    expect(s.json.session).toMatchObject({ id: sessionId, incognito: true, status: 'completed' });
    // The search was not vacuous: the content did pass through the platform (to the LLM).
    expect(fx.stub.requests.some((r) => JSON.stringify(r.body).includes(marker))).toBe(true);
  }, 90_000);
});
