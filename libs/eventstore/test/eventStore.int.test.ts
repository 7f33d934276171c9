import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStreams, handleCommand, WrongExpectedVersionError } from '../src/index';
import type { Decider } from '../src/index';
import { loginFailed, loginSucceeded, meta, natsFixture, registered, uniqueName } from './integrationFixture';
import type { IdentityEvent, NatsFixture } from './integrationFixture';

let fx: NatsFixture;
beforeAll(async () => {
  fx = await natsFixture('es');
});
afterAll(async () => {
  await fx.close();
});

describe('EventStore on JetStream', () => {
  it('lets exactly one of two concurrent appends at the same expected version win', async () => {
    const store = fx.store();
    const id = uniqueName('user-');
    const first = await store.append(id, { version: 0, sequence: 0 }, [registered(id)], meta());

    const results = await Promise.allSettled([
      store.append(id, first.position, [loginSucceeded(id, '10.0.0.1')], meta()),
      store.append(id, first.position, [loginSucceeded(id, '10.0.0.2')], meta()),
    ]);

    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toBeInstanceOf(WrongExpectedVersionError);
    const conflict = failed[0] as WrongExpectedVersionError;
    expect(conflict.aggregateId).toBe(id);
    expect(conflict.expected).toEqual(first.position);
    expect(conflict.appendedBeforeConflict).toBe(0);
    expect((await store.load(id)).position.version).toBe(2);
  });

  it('also refuses to create an aggregate twice', async () => {
    const store = fx.store();
    const id = uniqueName('user-');
    const results = await Promise.allSettled([
      store.append(id, { version: 0, sequence: 0 }, [registered(id)], meta()),
      store.append(id, { version: 0, sequence: 0 }, [registered(id)], meta()),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason instanceof WrongExpectedVersionError).toBe(true);
  });

  it('stores a re-published event (same id) once and reports the duplicate', async () => {
    const store = fx.store();
    const id = uniqueName('user-');
    const ids = [`${id}-e1`, `${id}-e2`];
    const events = [registered(id), loginSucceeded(id, '10.0.0.9')];
    const original = await store.append(id, { version: 0, sequence: 0 }, events, { ...meta(), eventIds: ids });
    expect(original.duplicate).toBe(false);

    // The caller did not see the ack and retries the very same append.
    const retried = await store.append(id, { version: 0, sequence: 0 }, events, { ...meta(), eventIds: ids });
    expect(retried.duplicate).toBe(true);
    expect(retried.position).toEqual(original.position);
    expect(retried.events.map((e) => [e.id, e.version, e.sequence])).toEqual(original.events.map((e) => [e.id, e.version, e.sequence]));

    // Even without an expectation the id is recognised.
    const again = await store.append(id, 'any', [events[0] ?? registered(id)], { ...meta(), eventIds: [ids[0] ?? ''] });
    expect(again.duplicate).toBe(true);
    expect(again.events[0]?.version).toBe(1);

    const loaded = await store.load(id);
    expect(loaded.events.map((e) => e.id)).toEqual(ids);
  });

  it('loads what was appended, in order, with versions 1..n', async () => {
    const store = fx.store();
    const id = uniqueName('user-');
    const other = uniqueName('user-');
    const batches: IdentityEvent[][] = [
      [registered(id)],
      [loginFailed(id, 'bad password'), loginFailed(id, 'bad password'), loginSucceeded(id, '10.1.1.1')],
      [{ type: 'LoggedOut', data: { userId: id } }],
    ];
    let position = { version: 0, sequence: 0 };
    const appended = [];
    for (const batch of batches) {
      // Another aggregate's events interleave in the stream and must not show up.
      await store.append(other, 'any', [loginFailed(other, 'unknown user')], meta());
      const result = await store.append(id, position, batch, { ...meta('user-7'), correlationId: 'corr-1', causationId: 'cmd-1' });
      position = result.position;
      appended.push(...result.events);
    }

    const loaded = await store.load(id);
    const all = batches.flat();
    expect(loaded.events.map((e) => e.event)).toEqual(all);
    expect(loaded.events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
    expect(loaded.events).toEqual(appended);
    expect(loaded.position).toEqual(position);
    expect(loaded.position.version).toBe(5);
    const sequences = loaded.events.map((e) => e.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    expect(loaded.events[1]).toMatchObject({ type: `${fx.context}.LoginFailed`, aggregateId: id, actor: 'user-7', correlationId: 'corr-1', causationId: 'cmd-1' });

    // The ephemeral ordered consumers used for loading are cleaned up.
    const consumers = await fx.jsm.consumers.list(fx.stream).next();
    expect(consumers).toHaveLength(0);
  });

  it('returns {0,0} for an aggregate without events', async () => {
    const loaded = await fx.store().load(uniqueName('nobody-'));
    expect(loaded).toEqual({ events: [], position: { version: 0, sequence: 0 } });
  });

  it("keeps versions exact for concurrent 'any' appends", async () => {
    const store = fx.store();
    const id = uniqueName('user-');
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.append(id, 'any', [loginFailed(id, `attempt ${i}`)], meta())));
    const loaded = await store.load(id);
    expect(loaded.events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('handleCommand serialises concurrent commands through conflicts and retries', async () => {
    const store = fx.store();
    const id = uniqueName('user-');
    interface LoginState {
      registered: boolean;
      logins: number;
    }
    type Command = { type: 'Register' } | { type: 'RecordLogin'; ip: string };
    const decider: Decider<Command, IdentityEvent, LoginState> = {
      initialState: () => ({ registered: false, logins: 0 }),
      evolve: (s, e) => (e.type === 'UserRegistered' ? { ...s, registered: true } : e.type === 'LoginSucceeded' ? { ...s, logins: s.logins + 1 } : s),
      decide: (c, s) => {
        if (c.type === 'Register') return s.registered ? [] : [registered(id)];
        if (!s.registered) throw new Error('not registered');
        return [loginSucceeded(id, c.ip)];
      },
    };
    await handleCommand({ store, aggregateId: id, decider, command: { type: 'Register' }, meta: meta() });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        handleCommand({ store, aggregateId: id, decider, command: { type: 'RecordLogin', ip: `10.0.0.${i}` }, meta: meta(), maxRetries: 20 }),
      ),
    );
    expect(results.map((r) => r.newState.logins).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const loaded = await store.load(id);
    expect(loaded.events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('carries the headers services and tools rely on', async () => {
    const store = fx.store();
    const id = uniqueName('user-');
    const result = await store.append(id, { version: 0, sequence: 0 }, [registered(id)], {
      ...meta(),
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    const msg = await fx.jsm.streams.getMessage(fx.stream, { seq: result.position.sequence });
    expect(msg.subject).toBe(`${fx.context}.evt.${id}`);
    expect(msg.header.get('Nats-Msg-Id')).toBe(result.events[0]?.id);
    expect(msg.header.get('Haven-Event-Type')).toBe(`${fx.context}.UserRegistered`);
    expect(msg.header.get('traceparent')).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(result.events[0]?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('ensureStreams is idempotent and applies replicas and the duplicate window', async () => {
    const contexts = [fx.context];
    await ensureStreams(fx.jsm, { contexts, duplicateWindowMs: 60_000 });
    const [info] = await ensureStreams(fx.jsm, { contexts, duplicateWindowMs: 60_000 });
    expect(info?.config.duplicate_window).toBe(60_000 * 1_000_000);
    expect(info?.config.num_replicas).toBe(1);
    expect(info?.config.subjects).toEqual([`${fx.context}.evt.>`]);
    expect(info?.config.storage).toBe('file');
    const dlq = await fx.jsm.streams.info('DEADLETTER');
    expect(dlq.config.subjects).toEqual(['dlq.>']);
  });
});
