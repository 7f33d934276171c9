import { Registry } from 'prom-client';
import type { Collection, UpdateFilter } from 'mongodb';
import { headers as natsHeaders } from 'nats';
import type { JetStreamClient, JsMsg } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyVersioned,
  DEAD_LETTER_STREAM,
  DLQ_DELIVERIES_HEADER,
  DLQ_DURABLE_HEADER,
  DLQ_ORIGINAL_MSG_ID_HEADER,
  DLQ_REASON_HEADER,
  DLQ_SEQUENCE_HEADER,
  PoisonEventError,
  RetryLaterError,
  startProjection,
} from '../src/index';
import type { ProjectionOptions, StoredEvent, VersionedApplyResult, VersionedDocument } from '../src/index';
import {
  eventually,
  loginFailed,
  loginSucceeded,
  meta,
  mongoFixture,
  natsFixture,
  registered,
  uniqueName,
} from './integrationFixture';
import type { IdentityEvent, MongoFixture, NatsFixture } from './integrationFixture';

interface UserView extends VersionedDocument {
  email?: string;
  logins?: number;
  failures?: number;
  lastIp?: string;
  logouts?: number;
}

function userViewUpdate(event: IdentityEvent): UpdateFilter<UserView> {
  switch (event.type) {
    case 'UserRegistered':
      return { $set: { email: event.data.email }, $setOnInsert: { logins: 0, failures: 0, logouts: 0 } };
    case 'LoginSucceeded':
      return { $inc: { logins: 1 }, $set: { lastIp: event.data.ip } };
    case 'LoginFailed':
      return { $inc: { failures: 1 } };
    case 'LoggedOut':
      return { $inc: { logouts: 1 } };
    case 'EmailReserved':
    case 'TokenRefreshed':
    case 'RefreshTokenReused':
    case 'AccessDenied':
    case 'AccountErased':
    case 'DataExported':
      return {};
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** The projection under test: an idempotent, version-guarded user view. */
function userViewProjection(collection: Collection<UserView>, onResult?: (r: VersionedApplyResult) => void) {
  return async (e: StoredEvent<IdentityEvent>): Promise<void> => {
    const result = await applyVersioned(collection, e.aggregateId, e.version, userViewUpdate(e.event));
    onResult?.(result);
    if (result === 'gap') throw new RetryLaterError(`event ${e.version} of ${e.aggregateId} arrived before its predecessor`, 100);
  };
}

async function readAll(js: JetStreamClient, stream: string, filter: string, count: number): Promise<JsMsg[]> {
  const consumer = await js.consumers.get(stream, { filterSubjects: [filter] });
  const out: JsMsg[] = [];
  const messages = await consumer.fetch({ max_messages: count, expires: 3_000 });
  for await (const m of messages) out.push(m);
  await consumer.delete().catch(() => undefined);
  return out;
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

let fx: NatsFixture;
let mongo: MongoFixture;
beforeAll(async () => {
  fx = await natsFixture('pr');
  mongo = await mongoFixture();
});
afterAll(async () => {
  await mongo.close();
  await fx.close();
});

// Each test filters on its own aggregates, so the tests of this file share one stream safely.
function baseOptions(name: string, aggregateIds: readonly string[]): Pick<ProjectionOptions<IdentityEvent>, 'name' | 'stream' | 'filterSubjects' | 'codec'> {
  return { name, stream: fx.stream, filterSubjects: aggregateIds.map((id) => `${fx.context}.evt.${id}`), codec: fx.codec };
}

describe('projection runner', () => {
  it('ends with the same read model after being killed mid-batch as a projection that never failed', async () => {
    const store = fx.store();
    const users = Array.from({ length: 10 }, () => uniqueName('u-'));
    // Round-robin over the users so the stream interleaves aggregates.
    for (let round = 0; round < 8; round += 1) {
      for (const id of users) {
        const event =
          round === 0 ? registered(id) : round % 3 === 0 ? loginFailed(id, 'bad password') : round === 7 ? ({ type: 'LoggedOut', data: { userId: id } } as const) : loginSucceeded(id, `10.0.${round}.1`);
        await store.append(id, 'any', [event], meta());
      }
    }
    const total = users.length * 8;

    // Reference: a projection that never fails.
    const reference = mongo.db.collection<UserView>('users_reference');
    const control = await startProjection({
      ...baseOptions(uniqueName('reference-'), users),
      nc: fx.nc,
      js: fx.js,
      jsm: fx.jsm,
      handle: userViewProjection(reference),
      concurrency: 4,
    });
    await eventually(async () => ((await control.lag()) === 0 ? true : undefined), 30_000, 'reference projection to catch up');
    await control.stop();
    expect(await reference.countDocuments()).toBe(users.length);

    // Victim: same projection, killed while handlers have written but not acked.
    const victimName = uniqueName('victim-');
    const victimView = mongo.db.collection<UserView>('users_victim');
    const ackWaitMs = 1_500;
    const nc1 = await fx.connect('victim-1');
    let written = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const victimResults: VersionedApplyResult[] = [];
    const writeThenHang = userViewProjection(victimView, (r) => victimResults.push(r));
    const victim = await startProjection({
      ...baseOptions(victimName, users),
      nc: nc1,
      js: nc1.jetstream(),
      jsm: await nc1.jetstreamManager(),
      handle: async (e) => {
        await writeThenHang(e);
        written += 1;
        if (written >= 30) await gate;
      },
      concurrency: 4,
      ackWaitMs,
    });
    await eventually(async () => (written >= 33 ? true : undefined), 30_000, 'victim to have in-flight writes');
    await nc1.close(); // abrupt: no drain, no acks for the hanging handlers
    release();
    await victim.stop();
    expect(await victimView.countDocuments()).toBeGreaterThan(0);

    const nc2 = await fx.connect('victim-2');
    const results: VersionedApplyResult[] = [];
    const restarted = await startProjection({
      ...baseOptions(victimName, users),
      nc: nc2,
      js: nc2.jetstream(),
      jsm: await nc2.jetstreamManager(),
      handle: userViewProjection(victimView, (r) => results.push(r)),
      concurrency: 4,
      ackWaitMs,
    });
    await eventually(async () => ((await restarted.lag()) === 0 ? true : undefined), 30_000, 'restarted projection to catch up');
    await restarted.stop();

    // Written-but-unacked events came back and were recognised as already applied.
    expect(results.filter((r) => r === 'stale').length).toBeGreaterThan(0);
    const applied = [...victimResults, ...results].filter((r) => r === 'applied');
    expect(applied).toHaveLength(total);
    const byId = { sort: { _id: 1 as const } };
    expect(await victimView.find({}, byId).toArray()).toEqual(await reference.find({}, byId).toArray());
  });

  it('dead-letters poison messages with their reason and keeps handling the ones after them', async () => {
    const store = fx.store();
    const registry = new Registry();
    const name = uniqueName('poison-');
    const [u1, u2, u3] = [uniqueName('u-'), uniqueName('u-'), uniqueName('u-')];
    const poisoned = await store.append(u1, { version: 0, sequence: 0 }, [registered(u1), loginSucceeded(u1, 'poison'), loginSucceeded(u1, '10.0.0.3')], meta());
    await store.append(u2, { version: 0, sequence: 0 }, [registered(u2), loginFailed(u2, 'explode'), loginSucceeded(u2, '10.0.0.4')], meta());
    const garbageHeaders = natsHeaders();
    garbageHeaders.set('Haven-Event-Type', 'garbage');
    const garbage = await fx.js.publish(`${fx.context}.evt.garbage`, new Uint8Array([0xff, 0x01, 0x02]), { headers: garbageHeaders });

    const handled: string[] = [];
    let explodeAttempts = 0;
    const projection = await startProjection({
      ...baseOptions(name, [u1, u2, u3, 'garbage']),
      nc: fx.nc,
      js: fx.js,
      jsm: fx.jsm,
      maxDeliver: 2,
      backoff: [50],
      registry,
      handle: async (e) => {
        if (e.event.type === 'LoginSucceeded' && e.event.data.ip === 'poison') throw new PoisonEventError('login from a poisoned address');
        if (e.event.type === 'LoginFailed' && e.event.data.reason === 'explode') {
          explodeAttempts += 1;
          throw new Error('read model rejected the event');
        }
        handled.push(`${e.aggregateId}@${e.version}`);
      },
    });
    // An event appended after the poison ones is handled too.
    await store.append(u3, { version: 0, sequence: 0 }, [registered(u3)], meta());

    const expected = [`${u1}@1`, `${u1}@3`, `${u2}@1`, `${u2}@3`, `${u3}@1`];
    await eventually(async () => (expected.every((h) => handled.includes(h)) ? true : undefined), 20_000, 'non-poison events');
    await eventually(async () => ((await projection.lag()) === 0 ? true : undefined), 20_000, 'lag 0');
    await projection.stop();
    expect(explodeAttempts).toBe(2);

    const dead = await readAll(fx.js, DEAD_LETTER_STREAM, `dlq.${name}.>`, 3);
    const bySubject = new Map(dead.map((m) => [m.subject, m]));
    expect(dead).toHaveLength(3);

    const poison = bySubject.get(`dlq.${name}.${fx.context}.evt.${u1}`);
    expect(poison?.headers?.get(DLQ_REASON_HEADER)).toMatch(/^poison: PoisonEventError: login from a poisoned address/);
    expect(poison?.headers?.get(DLQ_DURABLE_HEADER)).toBe(name);
    expect(poison?.headers?.get(DLQ_DELIVERIES_HEADER)).toBe('1');
    expect(poison?.headers?.get('Haven-Event-Type')).toBe(`${fx.context}.LoginSucceeded`);
    expect(poison?.headers?.get(DLQ_ORIGINAL_MSG_ID_HEADER)).toBe(poisoned.events[1]?.id);
    const original = await fx.jsm.streams.getMessage(fx.stream, { seq: poisoned.events[1]?.sequence ?? -1 });
    expect(poison?.headers?.get(DLQ_SEQUENCE_HEADER)).toBe(String(original.seq));
    expect(Buffer.from(poison?.data ?? []).equals(Buffer.from(original.data))).toBe(true);

    const exhausted = bySubject.get(`dlq.${name}.${fx.context}.evt.${u2}`);
    expect(exhausted?.headers?.get(DLQ_REASON_HEADER)).toMatch(/^max deliveries \(2\) reached: Error: read model rejected the event/);
    expect(exhausted?.headers?.get(DLQ_DELIVERIES_HEADER)).toBe('2');

    const undecodable = bySubject.get(`dlq.${name}.${fx.context}.evt.garbage`);
    expect(undecodable?.headers?.get(DLQ_REASON_HEADER)).toMatch(/^decode: EventDecodeError/);
    expect(undecodable?.headers?.get(DLQ_SEQUENCE_HEADER)).toBe(String(garbage.seq));
    expect(undecodable?.headers?.get('Haven-Event-Type')).toBe('garbage');

    const count = (result: string) => metricValue(registry, 'haven_projection_events_total', { projection: name, result });
    expect(await count('dead_lettered')).toBe(3);
    expect(await count('applied')).toBe(5);
    expect(await count('failed')).toBe(1);
  });

  it('stop() lets running handlers finish and hands unstarted messages back at once', async () => {
    const store = fx.store();
    const users = Array.from({ length: 6 }, () => uniqueName('u-'));
    for (const id of users) await store.append(id, { version: 0, sequence: 0 }, [registered(id), loginSucceeded(id, '10.2.0.1')], meta());
    const view = mongo.db.collection<UserView>('users_stopped');
    const name = uniqueName('stopping-');
    let started = 0;
    let finished = 0;
    const apply = userViewProjection(view);
    const first = await startProjection({
      ...baseOptions(name, users),
      nc: fx.nc,
      js: fx.js,
      jsm: fx.jsm,
      concurrency: 2,
      handle: async (e) => {
        started += 1;
        await new Promise((resolve) => setTimeout(resolve, 150));
        await apply(e);
        finished += 1;
      },
    });
    await eventually(async () => (started >= 2 ? true : undefined), 10_000, 'handlers to start');
    await first.stop();
    expect(finished).toBe(started); // nothing was cut off mid-handler
    expect(finished).toBeLessThan(users.length * 2);

    // The default ack wait is 30 s: finishing well within it shows nothing was left unacked.
    const second = await startProjection({ ...baseOptions(name, users), nc: fx.nc, js: fx.js, jsm: fx.jsm, handle: apply });
    await eventually(async () => ((await second.lag()) === 0 ? true : undefined), 10_000, 'second runner to finish');
    await second.stop();
    const docs = await view.find({}).toArray();
    expect(docs).toHaveLength(users.length);
    expect(docs.every((d) => d.version === 2 && d.logins === 1)).toBe(true);
  });

  it('reports pending messages as lag, in lag() and in the haven_projection_lag gauge', async () => {
    const store = fx.store();
    const registry = new Registry();
    const name = uniqueName('lag-');
    const id = uniqueName('u-');
    await store.append(id, { version: 0, sequence: 0 }, [registered(id), ...Array.from({ length: 6 }, (_, i) => loginSucceeded(id, `10.9.0.${i}`))], meta());

    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const projection = await startProjection({
      ...baseOptions(name, [id]),
      nc: fx.nc,
      js: fx.js,
      jsm: fx.jsm,
      registry,
      lagRefreshMs: 100,
      handle: () => gate,
    });
    const inStream = 7;
    await eventually(async () => ((await projection.lag()) === inStream ? true : undefined), 5_000, 'lag()');
    await eventually(async () => ((await metricValue(registry, 'haven_projection_lag', { projection: name })) === inStream ? true : undefined), 5_000, 'gauge');

    release();
    await eventually(async () => ((await projection.lag()) === 0 ? true : undefined), 20_000, 'lag 0');
    expect(await metricValue(registry, 'haven_projection_lag', { projection: name })).toBe(0);
    const handleSeconds = await registry.getSingleMetricAsString('haven_projection_handle_seconds');
    expect(handleSeconds).toContain(`haven_projection_handle_seconds_count{projection="${name}"} ${inStream}`);
    await projection.stop();
  });
});
