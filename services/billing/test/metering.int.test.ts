import { createGrpcClient, createMetrics, GrpcServer, type GrpcClient } from '@haven/platform';
import { sessionV1 } from '@haven/proto';
import type { Subscription } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionFact } from '../src/application/metering';
import type { SessionEnder } from '../src/application/ports';
import { sessionMinutesDebited } from '../src/domain/account';
import { startedMinutes } from '../src/domain/metering';
import { GrpcSessionEnder } from '../src/infrastructure/sessionEnder';
import type { BillingRuntime } from '../src/runtime';
import { billingFixture, eventually, logger, uid, type Fixture } from './billingFixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Plays the session service: appends lifecycle events with business timestamps; returns the active time. */
class FakeSession {
  version = 0;
  activeMs = 0;
  private since = 0;
  readonly facts: SessionFact[] = [];
  constructor(
    private readonly fx: Fixture,
    readonly sessionId: string,
    readonly userId: string,
  ) {}
  private async append(event: Parameters<Fixture['sessions']['append']>[2][number], fact: SessionFact['meter']) {
    const res = await this.fx.sessions.append(this.sessionId, 'any', [event], { actor: this.userId, now: new Date() });
    this.version = res.position.version;
    this.facts.push({ sessionId: this.sessionId, version: this.version, meter: fact });
  }
  async start() {
    const at = new Date();
    this.since = at.getTime();
    await this.append(
      { type: 'SessionStarted', data: { sessionId: this.sessionId, userId: this.userId, personaId: 'alex', plannedDurationMinutes: 10, baselineMood: 3, reason: '', reasonKeyId: '', incognito: false, timeMode: 1, startedAt: at } },
      { type: 'Started', userId: this.userId, at },
    );
  }
  async pause() {
    const at = new Date();
    this.activeMs += at.getTime() - this.since;
    await this.append({ type: 'SessionPaused', data: { sessionId: this.sessionId, activeSeconds: Math.round(this.activeMs / 1000), pausedAt: at } }, { type: 'Paused', at });
  }
  async resume() {
    const at = new Date();
    this.since = at.getTime();
    await this.append({ type: 'SessionResumed', data: { sessionId: this.sessionId, resumedAt: at } }, { type: 'Resumed', at });
  }
  /** Minutes the session had been charged (credit_update frames) before it ended. */
  liveUsed = 0;
  ended = false;
  async end(paused: boolean, reason = 'user') {
    this.ended = true;
    const at = new Date();
    if (!paused) this.activeMs += at.getTime() - this.since;
    await this.append(
      { type: 'SessionEnded', data: { sessionId: this.sessionId, reason, closingMood: 0, rating: 0, actualDurationSeconds: Math.round(this.activeMs / 1000), moodChange: 0, endedAt: at } },
      { type: 'Ended', at },
    );
  }
  async noise() {
    await this.append({ type: 'UserMessageRecorded', data: { sessionId: this.sessionId, messageId: uid('m'), messageCount: 1, checkpointAnswer: 0, recordedAt: new Date() } }, undefined);
  }
}

describe('per-minute metering (real NATS, Redis, FerretDB)', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await billingFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });

  async function openAccount(rt: BillingRuntime, userId: string, credits: number) {
    await rt.accounts.handle({ type: 'GrantCredits', data: { userId, amount: credits, reason: 'test', grantId: 'seed', grantedBy: 'test' } }, { actor: 'test', now: new Date() });
  }

  it('debits each started minute, warns at low credits, and ends the session via session.EndSession after the grace period', async () => {
    const ended: sessionV1.EndSessionRequest[] = [];
    const sessions = new Map<string, FakeSession>();
    const fake = new GrpcServer({ service: 'session', logger, metrics: createMetrics('fake-session') });
    fake.addService(sessionV1.SessionServiceService, {
      endSession: async (req) => {
        ended.push(req);
        const s = sessions.get(req.sessionId);
        if (s && req.userId === s.userId) await s.end(false, req.reason);
        return { session: undefined };
      },
    });
    const port = await fake.start(0, '127.0.0.1');
    const client: GrpcClient<sessionV1.SessionServiceClient> = createGrpcClient(sessionV1.SessionServiceClient, 'session', `127.0.0.1:${port}`);
    const minuteMs = 300;
    const rt = await fx.replica({ sessions: new GrpcSessionEnder(client), settings: { secondsPerMinute: minuteMs / 1000, graceSeconds: 60 }, names: `${fx.run}-ooc` });
    try {
      const userId = uid('u');
      await openAccount(rt, userId, 3);
      const session = new FakeSession(fx, uid('s'), userId);
      sessions.set(session.sessionId, session);
      const frames: Record<string, unknown>[] = [];
      const sub: Subscription = fx.nc.subscribe(`live.session.${session.sessionId}`, { callback: (_e, m) => frames.push(m.json()) });
      await fx.nc.flush();
      await session.start();

      // The SESSION stream is shared with other test files running at the same time: only this
      // session's EndSession calls count.
      const mine = () => ended.filter((r) => r.sessionId === session.sessionId);
      await eventually(async () => mine().length, (n) => n === 1, 15_000);
      expect(mine()[0]).toMatchObject({ sessionId: session.sessionId, userId, reason: 'out_of_credits' });
      const account = await eventually(() => rt.accounts.load(userId), (a) => sessionMinutesDebited(a, session.sessionId) === startedMinutes(session.activeMs, minuteMs));
      expect(account.balance).toBe(3 - startedMinutes(session.activeMs, minuteMs));
      sub.unsubscribe();

      // Each update carries the running totals. A scaled minute is only 300 ms, so on a loaded
      // machine one tick may debit two started minutes at once: check the totals, not one update per minute.
      const updates = frames.filter((f) => f['type'] === 'credit_update') as { remaining: number; used: number }[];
      expect(updates[0]).toEqual({ type: 'credit_update', remaining: 2, used: 1 });
      for (const u of updates) expect(u.remaining + u.used).toBe(3);
      updates.slice(1).forEach((u, i) => expect(u.used).toBeGreaterThan(updates[i]!.used));
      expect(updates.map((u) => u.remaining)).toContain(0);
      const warnings = frames.filter((f) => f['type'] === 'session_warning');
      expect(warnings.map((w) => w['kind'])).toEqual(['low_credits', 'out_of_credits_grace']);
      expect(String(warnings[0]?.['message'])).toMatch(/2 credits left/);
      // the grace period lets the session run about one (scaled) minute past zero
      expect(session.activeMs).toBeGreaterThanOrEqual(2 * minuteMs + minuteMs);
    } finally {
      await rt.stop();
      client.close();
      await fake.shutdown(500);
    }
  });

  it('two replicas, duplicated timers and redelivered events over random pause/resume/restart schedules debit exactly one credit per started active minute', async () => {
    const seed = Number(process.env.BILLING_PROPERTY_SEED ?? 20240611);
    const rand = prng(seed);
    const minuteMs = 400;
    const settings = { secondsPerMinute: minuteMs / 1000, graceSeconds: 600 };
    const noEnd: SessionEnder = { endOutOfCredits: async () => undefined };
    const names = `${fx.run}-prop`;
    const replicas = [await fx.replica({ sessions: noEnd, settings, names }), await fx.replica({ sessions: noEnd, settings, names })];
    const pick = () => replicas[Math.floor(rand() * replicas.length)]!;
    const users = [uid('u'), uid('u')];
    for (const u of users) await openAccount(replicas[0]!, u, 1000);

    const runs = 8;
    const played: FakeSession[] = [];
    const live = fx.nc.subscribe('live.session.>', {
      callback: (_e, m) => {
        const f = m.json<{ type: string; used?: number }>();
        const s = played.find((p) => m.subject === `live.session.${p.sessionId}`);
        if (s && !s.ended && f.type === 'credit_update') s.liveUsed = Math.max(s.liveUsed, f.used ?? 0);
      },
    });
    const chaos: Promise<unknown>[] = [];
    const play = async (i: number) => {
      const s = new FakeSession(fx, uid('s'), users[i % users.length]!);
      played.push(s);
      await sleep(rand() * 300);
      await s.start();
      const stretches = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < stretches; k += 1) {
        const activeFor = 50 + rand() * 1300;
        const until = Date.now() + activeFor;
        while (Date.now() < until) {
          await sleep(Math.min(until - Date.now(), 80 + rand() * 200));
          const r = rand();
          // duplicated or early minute timers, on both replicas at once
          const minute = 1 + Math.floor(rand() * 6);
          if (r < 0.35) chaos.push(Promise.all(replicas.map((rt) => rt.metering.onTimer({ sessionId: s.sessionId, kind: 'minute', minute }))));
          // a redelivered event, handled by two replicas concurrently
          else if (r < 0.6) {
            const fact = s.facts[Math.floor(rand() * s.facts.length)]!;
            chaos.push(Promise.all([pick().metering.onSessionEvent(fact), pick().metering.onSessionEvent(fact)]));
          } else if (r < 0.7) await s.noise();
        }
        if (k < stretches - 1 || rand() < 0.3) {
          await s.pause();
          await sleep(30 + rand() * 500);
          if (k === stretches - 1) {
            await s.end(true);
            return;
          }
          await s.resume();
        }
      }
      await s.end(false);
    };
    const restart = (async () => {
      // a replica restarts mid-run: stopped (its in-flight work drains) and a new one takes its place
      await sleep(1200);
      const old = replicas.shift()!;
      await old.stop();
      replicas.push(await fx.replica({ sessions: noEnd, settings, names }));
    })();
    await Promise.all([...Array.from({ length: runs }, (_, i) => play(i)), restart]);
    await Promise.allSettled(chaos);

    for (const s of played) {
      const expected = startedMinutes(s.activeMs, minuteMs);
      const account = await eventually(() => replicas[0]!.accounts.load(s.userId), (a) => sessionMinutesDebited(a, s.sessionId) >= expected, 15_000);
      // a late duplicate must not add anything either
      await Promise.all(replicas.map((rt) => rt.metering.onSessionEvent(s.facts[s.facts.length - 1]!)));
      await Promise.all(replicas.map((rt) => rt.metering.onTimer({ sessionId: s.sessionId, kind: 'minute', minute: expected + 1 })));
      const minutes = [...((await replicas[1]!.accounts.load(s.userId)).debited.get(s.sessionId) ?? [])].sort((a, b) => a - b);
      expect({ seed, session: s.sessionId, activeMs: s.activeMs, minutes }).toEqual({ seed, session: s.sessionId, activeMs: s.activeMs, minutes: Array.from({ length: expected }, (_, k) => k + 1) });
      expect(sessionMinutesDebited(account, s.sessionId)).toBe(expected);
    }
    live.unsubscribe();
    // the minute timers did the work while sessions ran; the settlement at the end only tops up
    const total = played.reduce((n, s) => n + startedMinutes(s.activeMs, minuteMs), 0);
    const charged = played.reduce((n, s) => n + s.liveUsed, 0);
    expect(charged).toBeGreaterThan(total / 2);
    for (const u of users) {
      const acct = await replicas[0]!.accounts.load(u);
      const mine = played.filter((s) => s.userId === u);
      expect(acct.used).toBe(mine.reduce((n, s) => n + startedMinutes(s.activeMs, minuteMs), 0));
      expect(acct.balance).toBe(1000 - acct.used);
    }
    for (const rt of replicas) await rt.stop();
  });
});
