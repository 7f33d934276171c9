import { DomainError, type Logger } from '@haven/platform';
import type { SessionCommand } from '../domain/decide';
import type { TimerKind, TimerQueue } from './ports';
import type { SessionCommands } from './session-commands';

export interface TimerPollerOptions {
  readonly timers: TimerQueue;
  readonly commands: SessionCommands;
  readonly clock: () => Date;
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Timers claimed per poll. Default 50. */
  readonly batch?: number;
  /** When firing failed for a transient reason, try again this much later. Default 5 s. */
  readonly retryDelayMs?: number;
}

export interface TimerPoller {
  /** Claims and fires what is due now; resolves with the number fired. */
  pollOnce(): Promise<number>;
  stop(): Promise<void>;
}

export const TIMER_ACTOR = 'session-timer';

/**
 * Runs in every replica. A due timer is claimed by exactly one replica (ZREM) and fired as a
 * command through the event store; deciders are idempotent and re-arm timers from state, so
 * an early, late or repeated fire is harmless.
 */
export function startTimerPoller(opts: TimerPollerOptions): TimerPoller {
  const batch = opts.batch ?? 50;
  const retryDelayMs = opts.retryDelayMs ?? 5_000;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> = Promise.resolve();

  const fire = async (sessionId: string, kind: TimerKind): Promise<void> => {
    const now = opts.clock();
    const command: SessionCommand = kind === 'tick' ? { type: 'Tick', metadata: { now } } : { type: 'Remind', metadata: { now } };
    try {
      await opts.commands.execute(sessionId, command, TIMER_ACTOR);
    } catch (err) {
      // A domain refusal (e.g. an unknown session) will not change by retrying.
      if (err instanceof DomainError && err.kind !== 'Unavailable') {
        opts.logger.warn({ sessionId, kind, code: err.code }, 'session timer dropped');
        return;
      }
      opts.logger.error({ err, sessionId, kind }, 'session timer failed; retrying later');
      await opts.timers.arm(sessionId, kind, new Date(now.getTime() + retryDelayMs)).catch(() => undefined);
    }
  };

  const pollOnce = async (): Promise<number> => {
    const claimed = await opts.timers.claimDue(opts.clock(), batch);
    await Promise.all(claimed.map((t) => fire(t.sessionId, t.kind)));
    return claimed.length;
  };

  const loop = (): void => {
    if (stopped) return;
    running = pollOnce()
      .catch((err: unknown) => {
        opts.logger.error({ err }, 'session timer poll failed');
        return 0;
      })
      .then((fired) => {
        if (stopped) return;
        // A full batch means more may be due: poll again at once.
        timer = setTimeout(loop, fired >= batch ? 0 : opts.intervalMs);
      });
  };
  timer = setTimeout(loop, 0);

  return {
    pollOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
