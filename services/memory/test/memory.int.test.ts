import { randomUUID } from 'node:crypto';
import { connectNats, createUuidV7Generator, ensureStreams, EventStore, startProjection, type RunningProjection } from '@haven/eventstore';
import type { DomainError} from '@haven/platform';
import { connectMongo, createGrpcClient, createLogger, createMetrics, GrpcServer, type GrpcClient, type MongoHandle } from '@haven/platform';
import { eventsV1, memoryV1 } from '@haven/proto';
import { consumerOpts, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataKeys } from '../src/application/data-keys';
import { Memories } from '../src/application/memories';
import { DecryptionError, decryptText, MasterKeyRing } from '../src/crypto/envelope-cipher';
import type { MemoryEvent } from '../src/domain/events';
import { memoryHandlers } from '../src/grpc/handlers';
import { memoryCodec } from '../src/infrastructure/codec';
import { NatsDataKeyVault } from '../src/infrastructure/data-key-vault';
import { MEMORIES_COLLECTION, MongoMemoryReadModel } from '../src/projections/memories';

const run = Math.random().toString(36).slice(2, 8);
const uid = (name: string) => `${name}-${run}-${randomUUID().slice(0, 8)}`;

describe('memory service (real NATS JetStream and FerretDB, gRPC on port 0)', () => {
  let nc: NatsConnection;
  let mongo: MongoHandle;
  let server: GrpcServer;
  let client: GrpcClient<memoryV1.MemoryServiceClient>;
  let vault: NatsDataKeyVault;
  let projection: RunningProjection;
  let wire: () => DataKeys;
  const ring = new MasterKeyRing({ id: 'mk-test', key: Buffer.alloc(32, 9) });

  beforeAll(async () => {
    const natsUrl = process.env.NATS_URL;
    const mongoUrl = process.env.MONGO_URL;
    if (!natsUrl || !mongoUrl) throw new Error('NATS_URL and MONGO_URL come from the test harness');
    const logger = createLogger('memory-test', 'silent');
    const metrics = createMetrics('memory-test');
    nc = await connectNats(natsUrl, 'memory-test');
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    await ensureStreams(jsm, { contexts: ['memory'] });
    mongo = await connectMongo(mongoUrl, `memory_${run}`, logger);
    vault = await NatsDataKeyVault.open(js, jsm, { replicas: 1, bucket: `haven_data_keys_${run}` });
    const store = new EventStore<MemoryEvent>({ js, jsm, context: 'memory', codec: memoryCodec });
    const now = () => new Date();
    wire = () => new DataKeys({ store, vault, ring, newKeyId: randomUUID, now, cacheTtlMs: 30_000 });
    const keys = wire();
    const readModel = new MongoMemoryReadModel(mongo.db, (userId) => keys.destroy(userId));
    await readModel.ensureIndexes();
    const ids = createUuidV7Generator();
    const memories = new Memories({ store, keys, readModel, newId: () => ids(now()), now });
    projection = await startProjection({ nc, js, jsm, name: `memory-test-${run}`, stream: 'MEMORY', filterSubjects: ['memory.evt.>'], codec: memoryCodec, handle: (e) => readModel.apply(e) });
    server = new GrpcServer({ service: 'memory-test', logger, metrics });
    server.addService(memoryV1.MemoryServiceService, memoryHandlers({ memories, keys, now }));
    const port = await server.start(0, '127.0.0.1');
    client = createGrpcClient(memoryV1.MemoryServiceClient, 'memory', `127.0.0.1:${port}`);
  });

  afterAll(async () => {
    client?.close();
    await server?.shutdown(1000);
    await projection?.stop();
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.close();
    await nc?.drain();
  });

  const propose = (userId: string, personaId: string, themes: string[]) =>
    client.unary((c) => c.proposeMemories, 'ProposeMemories', { userId, personaId, sessionId: 'sess-1', themes });
  const approved = async (userId: string, personaId: string) =>
    (await client.unary((c) => c.getApprovedMemories, 'GetApprovedMemories', { userId, personaId })).memories.map((m) => m.text);
  const list = async (userId: string) => (await client.unary((c) => c.listMemories, 'ListMemories', { userId })).memories;
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as DomainError);

  it('filters proposals: names and places generalised, trauma details dropped', async () => {
    const user = uid('u');
    const res = await propose(user, 'p-anna', ['my boss John in Leeds', 'the assault in 2019', 'my therapist Dr. Patel', 'work stress']);
    expect(res.dropped).toBe(1);
    expect(res.memories.map((m) => [m.text, m.status, m.generalised]).sort()).toEqual([
      ['my boss', 'proposed', true],
      ['my therapist', 'proposed', true],
      ['work stress', 'proposed', false],
    ]);
    const stored = await mongo.db.collection(MEMORIES_COLLECTION).find({ userId: user }).toArray();
    expect(stored).toHaveLength(3);
    for (const doc of stored) {
      expect(doc.text).toMatch(/^v1\./);
      expect(JSON.stringify(doc)).not.toMatch(/boss|therapist|work stress/);
    }
  });

  it('consent: only approved memories carry over, and only to their persona', async () => {
    const user = uid('u');
    const { memories } = await propose(user, 'p-anna', ['work stress', 'sleep routine', 'setting boundaries']);
    expect(memories).toHaveLength(3);
    const byText = new Map(memories.map((m) => [m.text, m.id]));
    expect(await approved(user, 'p-anna')).toEqual([]);
    const decided = await client.unary((c) => c.decideMemory, 'DecideMemory', { userId: user, memoryId: byText.get('work stress')!, approve: true });
    expect(decided.memory).toMatchObject({ text: 'work stress', status: 'approved' });
    await client.unary((c) => c.decideMemory, 'DecideMemory', { userId: user, memoryId: byText.get('sleep routine')!, approve: false });
    expect(await approved(user, 'p-anna')).toEqual(['work stress']);
    expect(await approved(user, 'p-ben')).toEqual([]);
    expect((await list(user)).map((m) => [m.text, m.status]).sort()).toEqual([
      ['setting boundaries', 'proposed'],
      ['sleep routine', 'rejected'],
      ['work stress', 'approved'],
    ]);
    // Another user cannot decide on, or even see, these memories.
    const stranger = uid('x');
    const e = await failure(client.unary((c) => c.decideMemory, 'DecideMemory', { userId: stranger, memoryId: byText.get('setting boundaries')!, approve: true }));
    expect(e).toMatchObject({ kind: 'NotFound', code: 'MEMORY_NOT_FOUND' });
    expect(await list(stranger)).toEqual([]);
    expect(await approved(stranger, 'p-anna')).toEqual([]);
  });

  it('proposing the same session themes again (a redelivered session end) changes nothing', async () => {
    const user = uid('u');
    const first = await propose(user, 'p-anna', ['evening walks', 'work stress']);
    const walk = first.memories.find((m) => m.text === 'evening walks')!;
    await client.unary((c) => c.decideMemory, 'DecideMemory', { userId: user, memoryId: walk.id, approve: false });
    const again = await propose(user, 'p-anna', ['evening walks', 'work stress']);
    expect(again.memories.map((m) => m.id).sort()).toEqual(first.memories.map((m) => m.id).sort());
    expect(again.memories.find((m) => m.id === walk.id)?.status).toBe('rejected');
    expect((await list(user)).map((m) => [m.text, m.status]).sort()).toEqual([
      ['evening walks', 'rejected'],
      ['work stress', 'proposed'],
    ]);
  });

  it('edit re-filters, refuses trauma details, and delete removes the memory', async () => {
    const user = uid('u');
    const [m] = (await propose(user, 'p-anna', ['work stress'])).memories;
    await client.unary((c) => c.decideMemory, 'DecideMemory', { userId: user, memoryId: m!.id, approve: true });
    const edited = await client.unary((c) => c.editMemory, 'EditMemory', { userId: user, memoryId: m!.id, text: 'stress with my manager Priya at Google' });
    expect(edited.memory).toMatchObject({ text: 'stress with my manager', generalised: true, status: 'approved' });
    expect(await approved(user, 'p-anna')).toEqual(['stress with my manager']);
    const refused = await failure(client.unary((c) => c.editMemory, 'EditMemory', { userId: user, memoryId: m!.id, text: 'the assault in 2019' }));
    expect(refused).toMatchObject({ kind: 'InvalidArgument', code: 'MEMORY_TEXT_NOT_ALLOWED' });
    const foreign = await failure(client.unary((c) => c.editMemory, 'EditMemory', { userId: uid('x'), memoryId: m!.id, text: 'sleep' }));
    expect(foreign).toMatchObject({ kind: 'NotFound' });
    await client.unary((c) => c.deleteMemory, 'DeleteMemory', { userId: user, memoryId: m!.id });
    expect(await list(user)).toEqual([]);
    expect(await approved(user, 'p-anna')).toEqual([]);
    expect(await failure(client.unary((c) => c.deleteMemory, 'DeleteMemory', { userId: user, memoryId: m!.id }))).toMatchObject({ kind: 'NotFound' });
    const bad = await failure(propose('bad.id', 'p', ['x']));
    expect(bad).toMatchObject({ kind: 'InvalidArgument' });
  });

  it("exports the user's memories and key metadata, and nobody else's, without key material", async () => {
    const alice = uid('alice');
    const bob = uid('bob');
    await propose(alice, 'p-anna', ['work stress', 'sleep routine']);
    await propose(bob, 'p-anna', ['setting boundaries']);
    const { json } = await client.unary((c) => c.exportUserData, 'ExportUserData', { userId: alice });
    const data = JSON.parse(json) as { userId: string; dataKey: Record<string, unknown>; memories: { text: string; status: string }[] };
    expect(data.userId).toBe(alice);
    expect(data.memories.map((m) => m.text).sort()).toEqual(['sleep routine', 'work stress']);
    expect(data.memories.every((m) => m.status === 'proposed')).toBe(true);
    expect(data.dataKey).toMatchObject({ status: 'active', algorithm: 'AES-256-GCM', masterKeyId: 'mk-test' });
    expect(json).not.toContain('setting boundaries');
    expect(json).not.toContain(bob);
    const key = await client.unary((c) => c.getDataKey, 'GetDataKey', { userId: alice, create: false });
    expect(key.key).toHaveLength(32);
    expect(json).not.toContain(Buffer.from(key.key).toString('base64'));
    expect(json).not.toContain('wrapped');
    const nobody = JSON.parse((await client.unary((c) => c.exportUserData, 'ExportUserData', { userId: uid('n') })).json) as { dataKey: { status: string }; memories: unknown[] };
    expect(nobody).toMatchObject({ dataKey: { status: 'none' }, memories: [] });
  });

  async function rawMemoryEvents(memoryIds: string[]): Promise<Extract<MemoryEvent, { type: 'MemoryProposed' | 'MemoryEdited' }>[]> {
    const js = nc.jetstream();
    const found: Extract<MemoryEvent, { type: 'MemoryProposed' | 'MemoryEdited' }>[] = [];
    for (const id of memoryIds) {
      const opts = consumerOpts();
      opts.orderedConsumer();
      const sub = await js.subscribe(`memory.evt.${id}`, opts);
      for await (const m of sub) {
        const env = eventsV1.EventEnvelope.decode(m.data);
        const ev = memoryCodec.decode(env.payload, { type: env.type, payloadType: env.payloadType, schemaVersion: env.schemaVersion });
        if (ev.type === 'MemoryProposed' || ev.type === 'MemoryEdited') found.push(ev);
        if (m.info.pending === 0) break;
      }
      sub.unsubscribe();
    }
    return found;
  }

  it('erasure shreds the key: raw events stay undecryptable, projections and KV revisions are gone, and it is idempotent', async () => {
    const user = uid('erase');
    const other = uid('keep');
    const { memories } = await propose(user, 'p-anna', ['work stress', 'sleep routine']);
    await propose(other, 'p-anna', ['setting boundaries']);
    const before = await client.unary((c) => c.getDataKey, 'GetDataKey', { userId: user, create: false });
    const events = await rawMemoryEvents(memories.map((m) => m.id));
    expect(events).toHaveLength(2);
    // With the key the raw events open; that is what erasure must make impossible.
    expect(events.map((e) => decryptText(Buffer.from(before.key), e.data.text, e.data.memoryId)).sort()).toEqual(['sleep routine', 'work stress']);

    expect(await client.unary((c) => c.eraseUser, 'EraseUser', { userId: user, requestedBy: user })).toEqual({ alreadyErased: false });

    // The key is gone for good: not from this replica, not from a fresh one with an empty cache.
    expect(await client.unary((c) => c.getDataKey, 'GetDataKey', { userId: user, create: true })).toMatchObject({ erased: true, keyId: '' });
    const fresh = await wire().get(user, { create: true });
    expect(fresh).toEqual({ status: 'erased' });
    const history = await vault.bucket.history({ key: `u.${user}` });
    const revisions: unknown[] = [];
    for await (const entry of history) revisions.push(entry);
    expect(revisions).toEqual([]);
    expect(await vault.get(user)).toBeUndefined();
    // Every key the system can still hand out fails on the raw ciphertexts.
    const otherKey = await client.unary((c) => c.getDataKey, 'GetDataKey', { userId: other, create: false });
    for (const e of await rawMemoryEvents(memories.map((m) => m.id))) {
      expect(() => decryptText(Buffer.from(otherKey.key), e.data.text, e.data.memoryId)).toThrow(DecryptionError);
    }

    expect(await mongo.db.collection(MEMORIES_COLLECTION).countDocuments({ userId: user })).toBe(0);
    expect(await list(user)).toEqual([]);
    const refused = await failure(propose(user, 'p-anna', ['work stress']));
    expect(refused).toMatchObject({ kind: 'FailedPrecondition', code: 'USER_ERASED' });
    expect(await client.unary((c) => c.eraseUser, 'EraseUser', { userId: user, requestedBy: user })).toEqual({ alreadyErased: true });
    const exported = JSON.parse((await client.unary((c) => c.exportUserData, 'ExportUserData', { userId: user })).json) as { dataKey: { status: string } };
    expect(exported.dataKey.status).toBe('erased');

    // The other user is untouched, and the projection consumer does not resurrect the erased user's memories.
    expect((await list(other)).map((m) => m.text)).toEqual(['setting boundaries']);
    const deadline = Date.now() + 10_000;
    while ((await projection.lag()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await mongo.db.collection(MEMORIES_COLLECTION).countDocuments({ userId: user })).toBe(0);
  });
});
