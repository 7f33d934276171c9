import { randomBytes } from 'node:crypto';
import { identityV1 } from '@haven/proto';
import { MongoClient } from 'mongodb';
import type { Db } from 'mongodb';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import { connectNats, ensureStreams, EventStore, oneofCodec, streamNameFor } from '../src/index';
import type { EventCodec, OneofDomainEvent } from '../src/index';

export type IdentityEvent = OneofDomainEvent<identityV1.IdentityEvent>;

function requiredEnv(name: 'NATS_URL' | 'MONGO_URL'): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run integration tests through the vitest int project (harness global setup)`);
  }
  return value;
}

/** A fresh lower-case name per test, so parallel files and reruns never share streams or consumers. */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export interface NatsFixture {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** A bounded context of its own (stream `<CONTEXT>`), carrying identity events. */
  readonly context: string;
  readonly stream: string;
  readonly codec: EventCodec<IdentityEvent>;
  store(): EventStore<IdentityEvent>;
  connect(name: string): Promise<NatsConnection>;
  close(): Promise<void>;
}

export async function natsFixture(prefix = 't'): Promise<NatsFixture> {
  const url = requiredEnv('NATS_URL');
  const nc = await connectNats(url, 'eventstore-int-test');
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const context = uniqueName(prefix);
  await ensureStreams(jsm, { contexts: [context] });
  const stream = streamNameFor(context);
  const codec = oneofCodec(context, identityV1.IdentityEvent, { payloadType: 'haven.identity.v1.IdentityEvent' });
  const extra: NatsConnection[] = [];
  return {
    nc,
    js,
    jsm,
    context,
    stream,
    codec,
    store: () => new EventStore({ js, jsm, context, codec }),
    async connect(name) {
      const c = await connectNats(url, name);
      extra.push(c);
      return c;
    },
    async close() {
      for (const c of extra) if (!c.isClosed()) await c.close();
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    },
  };
}

export interface MongoFixture {
  readonly client: MongoClient;
  readonly db: Db;
  close(): Promise<void>;
}

export async function mongoFixture(): Promise<MongoFixture> {
  const client = new MongoClient(requiredEnv('MONGO_URL'), { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const db = client.db(uniqueName('eventstore_'));
  return {
    client,
    db,
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/** Polls until `check` returns a value that is not undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const meta = (actor = 'int-test') => ({ actor, now: new Date() });

export function registered(userId: string): IdentityEvent {
  return {
    type: 'UserRegistered',
    data: {
      userId,
      email: `${userId}@example.test`,
      passwordHash: 'scrypt$test',
      role: identityV1.Role.ROLE_CLIENT,
      displayName: userId,
      locale: 'en',
      createdBy: '',
      piiKeyId: '',
      emailHash: '',
    },
  };
}

export function loginSucceeded(userId: string, ip: string): IdentityEvent {
  return { type: 'LoginSucceeded', data: { userId, ip, userAgent: 'vitest' } };
}

export function loginFailed(userId: string, reason: string): IdentityEvent {
  return { type: 'LoginFailed', data: { userId, ip: '10.0.0.1', reason, emailHash: '' } };
}
