import { randomUUID } from 'node:crypto';
import { connectNats, ensureStreams, EventStore, oneofCodec, type RunningProjection } from '@haven/eventstore';
import { connectMongo, createLogger } from '@haven/platform';
import { memoryV1 } from '@haven/proto';
import type { Db } from 'mongodb';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@haven/testkit';
import type { SafetyEvent } from '../src/domain/events';
import { ErasedUsers, SAFETY_ERASED_USERS_COLLECTION, skipErasedSafety, startSafetyErasure } from '../src/erasure';
import { CRISIS_ALERTS_COLLECTION, SAFETY_SESSIONS_COLLECTION, safetyProjection, safetyReadModels, type CrisisAlertDoc, type SafetySessionDoc } from '../src/projections/safetyReadModels';

const run = randomUUID().slice(0, 8);


describe('safety erasure on memory.UserErased (real NATS, FerretDB)', () => {
  let nc: NatsConnection;
  let db: Db;
  let closeMongo: () => Promise<void>;
  let erasure: RunningProjection;

  beforeAll(async () => {
    const logger = createLogger('safety-erasure-test', 'silent');
    nc = await connectNats(process.env.NATS_URL!, 'safety-erasure-test');
    await ensureStreams(await nc.jetstreamManager(), { contexts: ['memory'] });
    const mongo = await connectMongo(process.env.MONGO_URL!, `safety_erasure_${run}`, logger);
    db = mongo.db;
    closeMongo = () => mongo.close();
    const erased = new ErasedUsers(db);
    await erased.ensureIndexes();
    erasure = await startSafetyErasure({ nc, js: nc.jetstream(), jsm: await nc.jetstreamManager(), db, erased, name: `safety-erasure-${run}` });
  });

  afterAll(async () => {
    await erasure?.stop();
    await closeMongo?.();
    await nc?.drain();
  });

  async function seed(userId: string, sessionId: string, alertId: string): Promise<void> {
    await db.collection<CrisisAlertDoc>(CRISIS_ALERTS_COLLECTION).insertOne({ _id: alertId, sessionId, userId, severity: 'HIGH_RISK', signals: ['plan'], status: 'open', raisedAt: new Date(), occurrences: 1, version: 1 });
    await db.collection<SafetySessionDoc>(SAFETY_SESSIONS_COLLECTION).insertOne({ _id: sessionId, state: 'SAFETY_MODE', userId, openAlertId: alertId, updatedAt: new Date(), version: 2 });
  }

  it("deletes the user's crisis alerts and session safety state, keeps another user's, and blocks re-creation", async () => {
    const [alice, bob] = [`alice-${run}`, `bob-${run}`];
    await seed(alice, `s1-${run}`, `a1-${run}`);
    await seed(bob, `s2-${run}`, `a2-${run}`);

    const memory = new EventStore({ js: nc.jetstream(), jsm: await nc.jetstreamManager(), context: 'memory', codec: oneofCodec('memory', memoryV1.MemoryEvent) });
    await memory.append(`user-${alice}`, 'any', [{ type: 'UserErased', data: { userId: alice, requestedBy: alice } }], { actor: alice, now: new Date() });

    const alerts = db.collection<CrisisAlertDoc>(CRISIS_ALERTS_COLLECTION);
    const sessions = db.collection<SafetySessionDoc>(SAFETY_SESSIONS_COLLECTION);
    await eventually(async () => ((await alerts.countDocuments({ userId: alice })) === 0 ? true : undefined), { what: 'the erasure' });
    expect(await sessions.countDocuments({ userId: alice })).toBe(0);
    expect(await db.collection(SAFETY_ERASED_USERS_COLLECTION).countDocuments({ _id: alice as never })).toBe(1);
    expect(await alerts.countDocuments({ userId: bob })).toBe(1);
    expect(await sessions.countDocuments({ userId: bob })).toBe(1);

    // A late acknowledgement of alice's alert (no user id in it) and a replayed raise create nothing.
    const handle = skipErasedSafety(new ErasedUsers(db), db, safetyProjection(await safetyReadModels(db)));
    const base = { sequence: 1, occurredAt: new Date(), actor: 'staff', correlationId: 'c', causationId: 'c' };
    const ack = { type: 'CrisisAlertAcknowledged', data: { alertId: `a1-${run}`, staffId: 'staff', acknowledgedAt: new Date() } } as SafetyEvent;
    await handle({ ...base, id: randomUUID(), type: 'safety.CrisisAlertAcknowledged', aggregateId: `alert-a1-${run}`, version: 2, event: ack });
    const raised = { type: 'CrisisAlertRaised', data: { alertId: `a3-${run}`, sessionId: `s1-${run}`, userId: alice, severity: 'HIGH_RISK', signals: [], raisedAt: new Date(), messageId: 'm' } } as SafetyEvent;
    await handle({ ...base, id: randomUUID(), type: 'safety.CrisisAlertRaised', aggregateId: `alert-a3-${run}`, version: 1, event: raised });
    expect(await alerts.countDocuments({ _id: { $in: [`a1-${run}`, `a3-${run}`] } })).toBe(0);
  });
});
