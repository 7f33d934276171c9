import { RetryLaterError } from '@haven/eventstore';
import { sessionMinutesDebited, type AccountState } from '../domain/account';
import { activeMsAt, evolveMeter, minuteStartsAt, startedMinutes, type MeterEvent, type MeterState } from '../domain/metering';
import type { BillingMetrics } from '../metrics';
import type { Accounts } from './accounts';
import type { LiveFrames, MeterStore, SessionEnder, SessionHeads, Timer, TimerQueue } from './ports';

export interface MeteringOptions {
  minuteMs: number;
  graceMs: number;
  /** A minute is debited only once the session has been active this long past its start. */
  toleranceMs: number;
  lowCreditsThreshold: number;
}

export interface MeteringDeps {
  accounts: Accounts;
  meters: MeterStore;
  timers: TimerQueue;
  heads: SessionHeads;
  frames: LiveFrames;
  sessions: SessionEnder;
  metrics: BillingMetrics;
  clock: () => Date;
  options: MeteringOptions;
}

/** A session event as metering sees it: its version (for ordering) and, when it matters, its effect. */
export interface SessionFact {
  sessionId: string;
  version: number;
  meter: MeterEvent | undefined;
}

const LOW_CREDITS = (n: number) => `You have ${n} credit${n === 1 ? '' : 's'} left: about ${n} minute${n === 1 ? '' : 's'} of session time.`;
const GRACE = (ms: number) => `You're out of credits. This session will end in about ${Math.max(1, Math.round(ms / 1000))} seconds unless you add credits.`;

/**
 * Per-minute metering. Every started minute of active time is debited exactly once: the ledger
 * decides per (sessionId, minute) and event ids derive from it, so replicas, retries and
 * redeliveries converge; a minute timer only debits once the SESSION stream has nothing newer
 * than the state it reads, and the end of a session settles every started minute from the
 * events' own timestamps.
 */
export class Metering {
  private readonly minuteMs: number;

  constructor(private readonly deps: MeteringDeps) {
    this.minuteMs = deps.options.minuteMs;
  }

  /** Applies one session event (in per-session version order; RetryLaterError when one is missing). */
  async onSessionEvent(fact: SessionFact): Promise<void> {
    const { meters } = this.deps;
    let state: MeterState | undefined;
    for (;;) {
      const current = await meters.get(fact.sessionId);
      if (current.version >= fact.version) {
        state = current.state; // redelivery: the side effects below are idempotent, so redo them
        break;
      }
      if (current.version < fact.version - 1) throw new RetryLaterError(`metering: ${fact.sessionId} v${fact.version} before v${current.version + 1}`);
      const next = fact.meter === undefined ? current.state : evolveMeter(current.state, fact.meter);
      if (await meters.compareAndSet(fact.sessionId, current.version, fact.version, next)) {
        state = next;
        break;
      }
    }
    if (state === undefined || fact.meter === undefined) return;
    await this.settle(fact.sessionId, state, fact.meter.at.getTime());
  }

  /** Debits every minute started by `atMs` (the event's own time) and schedules the next minute. */
  private async settle(sessionId: string, state: MeterState, atMs: number): Promise<void> {
    const through = startedMinutes(activeMsAt(state, atMs), this.minuteMs);
    await this.debit(sessionId, state, through, state.status === 'ended');
    if (state.status === 'active') await this.scheduleMinute(sessionId, state, through + 1);
  }

  private async scheduleMinute(sessionId: string, state: MeterState, minute: number): Promise<void> {
    const due = minuteStartsAt(state, minute, this.minuteMs);
    if (due !== undefined) await this.deps.timers.schedule({ sessionId, kind: 'minute', minute }, due + this.deps.options.toleranceMs);
  }

  async onTimer(timer: Timer): Promise<void> {
    if (timer.kind === 'grace') return this.onGraceOver(timer.sessionId);
    const { meters, heads, clock, options } = this.deps;
    const { version, state } = await meters.get(timer.sessionId);
    // Paused or ended: resuming schedules again, ending settles.
    if (state?.status !== 'active') return;
    if ((await heads.version(timer.sessionId)) > version) {
      // The session moved on (a pause or end not applied yet): decide after it is.
      await this.deps.timers.schedule(timer, clock().getTime() + Math.min(200, this.minuteMs / 4));
      return;
    }
    const activeMs = activeMsAt(state, clock().getTime() - options.toleranceMs);
    if (activeMs <= (timer.minute - 1) * this.minuteMs) {
      await this.scheduleMinute(timer.sessionId, state, timer.minute);
      return;
    }
    const through = startedMinutes(activeMs, this.minuteMs);
    await this.debit(timer.sessionId, state, through, false);
    await this.scheduleMinute(timer.sessionId, state, through + 1);
  }

  private async debit(sessionId: string, meter: MeterState, throughMinute: number, final: boolean): Promise<void> {
    const { accounts, frames, metrics, clock } = this.deps;
    const { state, appended, changed } = await accounts.handle(
      { type: 'DebitSessionMinutes', data: { userId: meter.userId, sessionId, throughMinute } },
      { actor: 'billing', now: clock(), causationId: sessionId },
    );
    if (appended.length > 0) metrics.creditsDebited.inc(appended.length);
    if (changed) frames.publish(sessionId, { type: 'credit_update', remaining: state.balance, used: sessionMinutesDebited(state, sessionId) });
    if (!final) await this.warn(sessionId, state);
  }

  private async warn(sessionId: string, account: AccountState): Promise<void> {
    const { meters, frames, timers, clock, options } = this.deps;
    if (account.balance <= 0) {
      if (await meters.flagOnce(sessionId, 'grace')) {
        frames.publish(sessionId, { type: 'session_warning', kind: 'out_of_credits_grace', message: GRACE(options.graceMs) });
        await timers.schedule({ sessionId, kind: 'grace', minute: 0 }, clock().getTime() + options.graceMs);
      }
    } else if (account.balance <= options.lowCreditsThreshold && (await meters.flagOnce(sessionId, 'low'))) {
      frames.publish(sessionId, { type: 'session_warning', kind: 'low_credits', message: LOW_CREDITS(account.balance) });
    }
  }

  private async onGraceOver(sessionId: string): Promise<void> {
    const { meters, accounts, sessions } = this.deps;
    const { state } = await meters.get(sessionId);
    if (state === undefined || state.status === 'ended') return;
    const account = await accounts.load(state.userId);
    if (account.balance > 0) {
      // Credits arrived during the grace period; a later zero starts a new one.
      await meters.clearFlag(sessionId, 'grace');
      return;
    }
    await sessions.endOutOfCredits(sessionId, state.userId);
  }
}
