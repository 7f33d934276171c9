import { CLOSING_MINUTES, FORCE_CLOSING_MINUTES, minutesToMs, remainingMs, type SessionRules, type SessionState } from './session';

/** When the clock next has something to decide for a session; null = nothing to wait for. */
export interface DueTimers {
  /** The Tick command: closing, force-closing, the planned end, idle expiry, a missed schedule. */
  readonly tick: Date | null;
  /** The Remind command, before a scheduled start. */
  readonly remind: Date | null;
}

const earliest = (times: readonly number[]): Date | null => (times.length === 0 ? null : new Date(Math.min(...times)));

/**
 * Derived from state and `now` only, so timers can be re-armed after every command (pausing
 * drops the end timers; resuming recomputes them from the remaining active time).
 */
export function dueTimers(state: SessionState, now: Date, rules: SessionRules): DueTimers {
  switch (state.status) {
    case 'none':
    case 'completed':
    case 'cancelled':
      return { tick: null, remind: null };
    case 'scheduled': {
      const at = state.scheduledAt?.getTime() ?? now.getTime();
      const remind = state.reminder && !state.reminded ? new Date(at - minutesToMs(rules.reminderLeadMinutes, rules)) : null;
      return { tick: new Date(at + minutesToMs(rules.idleMinutes, rules)), remind };
    }
    case 'paused':
    case 'active': {
      const idleAt = (state.lastActivityAt ?? now).getTime() + minutesToMs(rules.idleMinutes, rules);
      if (state.status === 'paused') return { tick: new Date(idleAt), remind: null };
      const t = now.getTime();
      const left = remainingMs(state, now, rules);
      const times = [idleAt, t + left];
      if (state.phase !== 'closing') times.push(t + Math.max(0, left - minutesToMs(CLOSING_MINUTES, rules)));
      if (!state.forceClosing) times.push(t + Math.max(0, left - minutesToMs(FORCE_CLOSING_MINUTES, rules)));
      return { tick: earliest(times), remind: null };
    }
    default: {
      const never: never = state;
      return never;
    }
  }
}
