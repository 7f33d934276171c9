import { connectNats, ensureStreams } from '@haven/eventstore';
import { connectMongo, connectRedis, createLogger, createMetrics, GrpcServer, loadConfig } from '@haven/platform';
import type { Redis } from 'ioredis';
import { consumerOpts, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayConfig } from '../src/config';
import { createGateway, type Gateway } from '../src/gateway';
import { identityCodec } from '../src/identity/infrastructure/codec';
import { eventsV1, memoryV1 } from '@haven/proto';
import { inMemoryDataKeys } from '@haven/testkit';

const run = Math.random().toString(36).slice(2, 8);
const email = (name: string) => `${name}-${run}@example.org`;
let ipCounter = 1;
/** Each test speaks from its own IP so the per-IP auth limit only bites where a test wants it. */
const freshIp = () => `10.${run.charCodeAt(0) % 200}.${Math.floor(ipCounter / 250)}.${ipCounter++ % 250}`;

describe('gateway accounts (real NATS, Redis, FerretDB)', () => {
  let gw: Gateway;
  let nc: NatsConnection;
  let redis: Redis;
  let closeMongo: () => Promise<void>;
  let memory: GrpcServer;
  const keys = inMemoryDataKeys();

  beforeAll(async () => {
    const logger = createLogger('gateway-test', 'silent');
    // The memory service's data keys (account PII is sealed with them), over the real gRPC API.
    memory = new GrpcServer({ service: 'memory-fake', logger, metrics: createMetrics('memory-fake') });
    memory.addService(memoryV1.MemoryServiceService, { getDataKey: keys.getDataKey });
    const memoryPort = await memory.start(0, '127.0.0.1');
    const cfg = loadConfig('gateway', gatewayConfig, { ...process.env, MONGO_DB: `gw_${run}`, LOG_LEVEL: 'silent', MEMORY_GRPC_ADDR: `127.0.0.1:${memoryPort}` });
    nc = await connectNats(cfg.natsUrl, 'gateway-test');
    await ensureStreams(await nc.jetstreamManager(), { contexts: ['identity'] });
    const mongo = await connectMongo(cfg.mongoUrl, cfg.mongoDb, logger);
    closeMongo = () => mongo.close();
    redis = connectRedis(cfg.redisUrl, logger);
    gw = await createGateway({ cfg, nc, mongo, redis, logger, metrics: createMetrics('gateway-test') });
    await gw.app.ready();
  });
  afterAll(async () => {
    await gw?.stop();
    await memory?.shutdown(500).catch(() => undefined);
    await nc?.drain();
    redis?.disconnect();
    await closeMongo?.();
  });

  const post = (url: string, body: unknown, opts: { ip?: string; token?: string; raw?: string; contentType?: string } = {}) =>
    gw.app.inject({
      method: 'POST',
      url,
      remoteAddress: opts.ip ?? freshIp(),
      headers: { 'content-type': opts.contentType ?? 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
      payload: opts.raw ?? JSON.stringify(body),
    });
  const get = (url: string, token?: string) => gw.app.inject({ method: 'GET', url, remoteAddress: freshIp(), headers: token ? { authorization: `Bearer ${token}` } : {} });

  async function identityEvents(filter: (type: string, data: Record<string, unknown>) => boolean) {
    const js = nc.jetstream();
    const opts = consumerOpts();
    opts.orderedConsumer();
    const sub = await js.subscribe('identity.evt.>', opts);
    const found: { type: string; data: Record<string, unknown> }[] = [];
    const info = await (await nc.jetstreamManager()).streams.info('IDENTITY');
    for await (const m of sub) {
      const env = eventsV1.EventEnvelope.decode(m.data);
      const ev = identityCodec.decode(env.payload, { type: env.type, payloadType: env.payloadType, schemaVersion: env.schemaVersion });
      if (filter(ev.type, ev.data as Record<string, unknown>)) found.push({ type: ev.type, data: ev.data as Record<string, unknown> });
      if (m.seq >= info.state.last_seq) break;
    }
    sub.unsubscribe();
    return found;
  }

  it('registers, logs in and returns the user from /me', async () => {
    const reg = await post('/api/v1/auth/register', { email: email('ana'), password: 'correct horse battery', displayName: 'Ana', locale: 'en-GB' });
    expect(reg.statusCode).toBe(201);
    const body = reg.json();
    expect(body.user).toMatchObject({ email: email('ana'), role: 'client', displayName: 'Ana', locale: 'en-GB' });
    expect(body.accessToken).toBeTypeOf('string');
    expect(body.refreshToken).toBeTypeOf('string');
    expect(JSON.stringify(body)).not.toContain('scrypt');

    const login = await post('/api/v1/auth/login', { email: email('ANA').toUpperCase().replace(run.toUpperCase(), run), password: 'correct horse battery' });
    expect(login.statusCode).toBe(200);
    const me = await get('/api/v1/me', login.json().accessToken);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual(body.user);
  });

  it('rejects a wrong password with 401 and records a LoginFailed event', async () => {
    const reg = await post('/api/v1/auth/register', { email: email('ben'), password: 'a proper passphrase' });
    const userId = reg.json().user.id;
    const bad = await post('/api/v1/auth/login', { email: email('ben'), password: 'not the passphrase' });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toEqual({ error: { code: 'INVALID_CREDENTIALS', message: 'e-mail or password is wrong' } });
    const unknown = await post('/api/v1/auth/login', { email: email('nobody'), password: 'whatever123' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.code).toBe('INVALID_CREDENTIALS');

    const failures = await identityEvents((t, d) => t === 'LoginFailed' && (d.userId === userId || d.reason === 'unknown_email'));
    expect(failures.some((f) => f.data.userId === userId && f.data.reason === 'wrong_password')).toBe(true);
    expect(failures.some((f) => f.data.reason === 'unknown_email')).toBe(true);
  });

  it('answers the 21st auth attempt within the window from one IP with 429 and Retry-After', async () => {
    const ip = freshIp();
    const codes: number[] = [];
    for (let i = 0; i < 21; i++) {
      const r = await post('/api/v1/auth/login', { email: email('flood'), password: 'wrong-password' }, { ip });
      codes.push(r.statusCode);
      if (i === 20) {
        expect(r.statusCode).toBe(429);
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
        expect(r.json().error.code).toBe('RATE_LIMITED');
      }
    }
    expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
    // Another IP is not affected.
    expect((await post('/api/v1/auth/login', { email: email('flood'), password: 'wrong-password' })).statusCode).toBe(401);
  });

  it('rotates refresh tokens and rejects a reused one, signing the family out', async () => {
    const reg = (await post('/api/v1/auth/register', { email: email('cai'), password: 'refresh me please' })).json();
    const first = await post('/api/v1/auth/refresh', { refreshToken: reg.refreshToken });
    expect(first.statusCode).toBe(200);
    const second = first.json();
    expect(second.refreshToken).not.toBe(reg.refreshToken);

    const reuse = await post('/api/v1/auth/refresh', { refreshToken: reg.refreshToken });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error.code).toBe('REFRESH_TOKEN_REUSED');
    // The thief's reuse revoked the family: the legitimate newer token is gone too.
    const after = await post('/api/v1/auth/refresh', { refreshToken: second.refreshToken });
    expect(after.statusCode).toBe(401);
    expect((await post('/api/v1/auth/refresh', { refreshToken: 'x'.repeat(43) })).json().error.code).toBe('INVALID_REFRESH_TOKEN');
  });

  it('lets exactly one of two concurrent refreshes with the same token win', async () => {
    const reg = (await post('/api/v1/auth/register', { email: email('dee'), password: 'race the refresh' })).json();
    const results = await Promise.all([1, 2].map(() => post('/api/v1/auth/refresh', { refreshToken: reg.refreshToken })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('logs out: the access token and refresh token stop working', async () => {
    const reg = (await post('/api/v1/auth/register', { email: email('eve'), password: 'logging out now' })).json();
    const out = await post('/api/v1/auth/logout', {}, { token: reg.accessToken });
    expect(out.statusCode).toBe(204);
    expect((await get('/api/v1/me', reg.accessToken)).json().error.code).toBe('TOKEN_REVOKED');
    expect((await post('/api/v1/auth/refresh', { refreshToken: reg.refreshToken })).statusCode).toBe(401);
    // Logging in again works.
    const again = await post('/api/v1/auth/login', { email: email('eve'), password: 'logging out now' });
    expect((await get('/api/v1/me', again.json().accessToken)).statusCode).toBe(200);
  });

  it('gives exactly one account when the same e-mail registers twice at once', async () => {
    const rs = await Promise.all([1, 2, 3].map((i) => post('/api/v1/auth/register', { email: email('twin'), password: `twin password ${i}` })));
    expect(rs.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    expect(rs.find((r) => r.statusCode === 409)!.json().error.code).toBe('EMAIL_TAKEN');
  });

  it('answers malformed and hostile bodies with clear 4xx errors', async () => {
    const cases: [string, Parameters<typeof post>[2], number, string, RegExp?][] = [
      ['{"email": ', {}, 400, 'MALFORMED_JSON'],
      [JSON.stringify({ password: 'long enough password' }), {}, 400, 'VALIDATION_FAILED', /email/],
      [JSON.stringify({ email: 'not-an-email', password: 'long enough password' }), {}, 400, 'VALIDATION_FAILED', /email/],
      [JSON.stringify({ email: 12345, password: 'long enough password' }), {}, 400, 'VALIDATION_FAILED', /email/],
      [JSON.stringify({ email: email('short'), password: 'short' }), {}, 400, 'VALIDATION_FAILED', /password/],
      [JSON.stringify({ email: email('x'), password: 'long enough password', role: 'admin' }), {}, 400, 'VALIDATION_FAILED', /additional/],
      [JSON.stringify({ email: email('big'), password: 'p'.repeat(100_000) }), {}, 413, 'PAYLOAD_TOO_LARGE'],
      ['email=a', { contentType: 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ];
    for (const [raw, opts, status, code, field] of cases) {
      const r = await post('/api/v1/auth/register', undefined, { ...opts, raw });
      expect(r.statusCode, raw.slice(0, 60)).toBe(status);
      expect(r.json().error.code).toBe(code);
      if (field) expect(r.json().error.message).toMatch(field);
    }
    expect((await get('/api/v1/me')).json().error.code).toBe('UNAUTHENTICATED');
    expect((await get('/api/v1/me', 'garbage.token.here')).json().error.code).toBe('INVALID_TOKEN');
    expect((await get('/api/v1/nope')).statusCode).toBe(404);
    // Nothing above created an account for the "x" address.
    expect((await post('/api/v1/auth/login', { email: email('x'), password: 'long enough password' })).statusCode).toBe(401);
  });

  it('refuses staff creation to non-admins with 403 and records AccessDenied', async () => {
    const reg = (await post('/api/v1/auth/register', { email: email('fay'), password: 'i am only a client' })).json();
    const r = await post('/api/v1/admin/staff', { email: email('staff'), password: 'therapist password', role: 'therapist' }, { token: reg.accessToken });
    expect(r.statusCode).toBe(403);
    const denied = await identityEvents((t, d) => t === 'AccessDenied' && d.userId === reg.user.id);
    expect(denied).toHaveLength(1);
  });

  it('projects users into MongoDB without password hashes', async () => {
    const reg = (await post('/api/v1/auth/register', { email: email('gus'), password: 'projected user' })).json();
    const users = (await connectMongo(process.env.MONGO_URL!, `gw_${run}`, createLogger('t', 'silent'))).db.collection('users');
    let doc: Record<string, unknown> | null = null;
    for (let i = 0; i < 50 && !doc; i++) {
      doc = await users.findOne({ _id: reg.user.id } as never);
      if (!doc) await new Promise((r) => setTimeout(r, 100));
    }
    expect(doc).toMatchObject({ role: 'client', version: 1, piiKeyId: `key-${reg.user.id}` });
    expect(JSON.stringify(doc)).not.toContain('scrypt');
    // E-mail and name are sealed with the user's data key, in the read model and in the events.
    expect(JSON.stringify(doc)).not.toContain(`gus-${run}`);
    const registered = await identityEvents((type, data) => type === 'UserRegistered' && data.userId === reg.user.id);
    expect(registered).toHaveLength(1);
    expect(JSON.stringify(registered)).not.toContain(`gus-${run}`);
    expect(registered[0]?.data).toMatchObject({ piiKeyId: `key-${reg.user.id}`, email: expect.stringMatching(/^v1\./), displayName: expect.stringMatching(/^v1\./) });
    // /me opens them again; once the key is gone (erasure) nothing can.
    const me = await get('/api/v1/me', reg.accessToken);
    expect(me.json()).toMatchObject({ email: email('gus'), displayName: `gus-${run}` });
    keys.erase(reg.user.id);
  });

  it('refuses to create an account with a clear error when the data-key service is unreachable (never stores PII unsealed)', async () => {
    await memory.shutdown(500);
    const r = await post('/api/v1/auth/register', { email: email('kim'), password: 'no keys right now' });
    expect(r.statusCode).toBeGreaterThanOrEqual(500);
    expect(r.json().error.code).toBeTypeOf('string');
    expect(await identityEvents((type, data) => type === 'UserRegistered' && JSON.stringify(data).includes(`kim-${run}`))).toEqual([]);
  });

  it('serves the OpenAPI document', async () => {
    const r = await get('/docs/json');
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/me', '/health']));
  });
});
