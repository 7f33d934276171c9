import { handleCommand, WrongExpectedVersionError, type EventStorePort } from '@haven/eventstore';
import { errors, type Logger } from '@haven/platform';
import { createSessionDecider, type SessionCommand, type SessionDecider } from '../domain/decide';
import type { SessionEvent } from '../domain/events';
import { isLive, isOver, secondsRemaining, type Session, type SessionRules, type SessionState } from '../domain/session';
import { dueTimers } from '../domain/timers';
import { framesFor } from './live-frames';
import type { ActiveSessionClaims, LiveFramePublisher, LiveSessionIndex, LiveStateCache, SessionMetrics, TimerQueue } from './ports';

export interface SessionCommandDeps {
  readonly store: EventStorePort<SessionEvent>;
  readonly rules: SessionRules;
  readonly claims: ActiveSessionClaims;
  readonly live: LiveStateCache;
  readonly timers: TimerQueue;
  readonly index: LiveSessionIndex;
  readonly frames: LiveFramePublisher;
  readonly metrics: SessionMetrics;
  readonly logger: Logger;
}

export interface CommandResult {
  readonly session: Session;
  /** The aggregate's version after the command. */
  readonly version: number;
  /** The events this command appended (none for a repeat of an idempotent command). */
  readonly events: readonly SessionEvent[];
}

const alreadyActive = () => errors.conflict('SESSION_ALREADY_ACTIVE', 'you already have a session in progress; end it first');

/**
 * The edge of the session aggregate: load → decide → append (handleCommand), then bring the
 * derived state up to date — live cache, timers, live frames, the active-session slot, metrics.
 * The derived state is reconstructible from events (resync), so a failure there is logged and
 * repaired by the next command or the next start, never turned into a failed command.
 */
export class SessionCommands {
  readonly decider: SessionDecider;

  constructor(private readonly deps: SessionCommandDeps) {
    this.decider = createSessionDecider(deps.rules);
  }

  async load(sessionId: string): Promise<{ state: SessionState; version: number }> {
    const { events, position } = await this.deps.store.load(sessionId);
    const state = events.reduce((s, e) => this.decider.evolve(s, e.event), this.decider.initialState());
    return { state, version: position.version };
  }

  async execute(sessionId: string, command: SessionCommand, actor: string): Promise<CommandResult> {
    const now = command.metadata.now;
    let handled;
    try {
      handled = await handleCommand({ store: this.deps.store, aggregateId: sessionId, decider: this.decider, command, meta: { actor, now } });
    } catch (err) {
      if (err instanceof WrongExpectedVersionError) {
        throw errors.unavailable('SESSION_BUSY', 'the session is being changed by another request; retry');
      }
      throw err;
    }
    const state = handled.newState;
    if (state.status === 'none') throw errors.notFound('SESSION_NOT_FOUND', 'no such session');
    const events = handled.events.map((e) => e.event);
    await this.refreshDerivedState(sessionId, state, events, now);
    return { session: state, version: handled.position.version, events };
  }

  /**
   * Starts a new or a scheduled session in the user's one live slot. The slot is a Redis claim
   * (SET NX); a claim left by a session that has ended or never started is cleared and retaken.
   */
  async start(sessionId: string, userId: string, command: SessionCommand & { type: 'StartSession' }): Promise<CommandResult> {
    const claimedNow = await this.claimSlot(userId, sessionId);
    try {
      const result = await this.execute(sessionId, command, userId);
      await this.deps.claims.confirm(userId, sessionId);
      return result;
    } catch (err) {
      if (claimedNow) await this.deps.claims.release(userId, sessionId).catch(() => undefined);
      throw err;
    }
  }

  private async claimSlot(userId: string, sessionId: string): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const holder = await this.deps.claims.claim(userId, sessionId);
      if (holder === null) return true;
      if (holder === sessionId) return false;
      const { state } = await this.load(holder);
      // 'none': another start is in flight (its claim lapses by itself if that start dies).
      if (state.status === 'none' || isLive(state)) throw alreadyActive();
      await this.deps.claims.release(userId, holder);
    }
    throw alreadyActive();
  }

  /** Rebuilds a session's derived state from its events (after a restart or a lost update). */
  async resync(sessionId: string, now: Date): Promise<void> {
    const { state } = await this.load(sessionId);
    if (state.status === 'none') return;
    if (isLive(state)) {
      const holder = await this.deps.claims.claim(state.userId, sessionId);
      if (holder === null) await this.deps.claims.confirm(state.userId, sessionId);
    }
    await this.refreshDerivedState(sessionId, state, [], now);
  }

  private async refreshDerivedState(sessionId: string, state: Session, events: readonly SessionEvent[], now: Date): Promise<void> {
    const { rules, logger } = this.deps;
    this.deps.metrics.observe(events);
    for (const frame of framesFor(events, state, now, rules)) {
      try {
        if (frame.type === 'session_reminder') this.deps.frames.publishToUser(state.userId, frame);
        else this.deps.frames.publish(sessionId, frame);
      } catch (err) {
        logger.warn({ err, sessionId, frame: frame.type }, 'live frame not published');
      }
    }
    try {
      await this.deps.live.write(sessionId, {
        status: state.status,
        phase: state.phase,
        secondsRemaining: secondsRemaining(state, now, rules),
        forceClosing: state.forceClosing,
        updatedAt: now,
      });
      const due = dueTimers(state, now, rules);
      await this.deps.timers.arm(sessionId, 'tick', due.tick);
      await this.deps.timers.arm(sessionId, 'remind', due.remind);
      if (isLive(state)) await this.deps.index.add(sessionId, state.timeMode);
      if (isOver(state)) {
        await this.deps.index.remove(sessionId, state.timeMode);
        await this.deps.claims.release(state.userId, sessionId);
      }
    } catch (err) {
      logger.error({ err, sessionId }, 'session derived state not updated (repaired by the next command or resync)');
    }
  }
}
