/**
 * Per-minute metering of one session, pure. Time is active (unpaused) time measured from the
 * session events' business timestamps. Minute m (1-based) starts when active time passes
 * (m-1) minutes; minute 1 starts with the session. A session that ends after `activeMs` of
 * active time has used max(1, ceil(activeMs / minuteMs)) started minutes — never more.
 */
export type MeterStatus = 'active' | 'paused' | 'ended';

export interface MeterState {
  readonly userId: string;
  readonly status: MeterStatus;
  /** Active time accumulated before the current active stretch. */
  readonly activeMsBefore: number;
  /** Start of the current active stretch (epoch ms); meaningful while active. */
  readonly activeSinceMs: number;
}

export type MeterEvent =
  | { type: 'Started'; userId: string; at: Date }
  | { type: 'Paused'; at: Date }
  | { type: 'Resumed'; at: Date }
  | { type: 'Ended'; at: Date };

export function evolveMeter(state: MeterState | undefined, event: MeterEvent): MeterState | undefined {
  switch (event.type) {
    case 'Started':
      return { userId: event.userId, status: 'active', activeMsBefore: 0, activeSinceMs: event.at.getTime() };
    case 'Paused':
      if (state?.status !== 'active') return state;
      return { ...state, status: 'paused', activeMsBefore: activeMsAt(state, event.at.getTime()) };
    case 'Resumed':
      if (state?.status !== 'paused') return state;
      return { ...state, status: 'active', activeSinceMs: event.at.getTime() };
    case 'Ended':
      if (state === undefined || state.status === 'ended') return state;
      return { ...state, status: 'ended', activeMsBefore: activeMsAt(state, event.at.getTime()) };
    default: {
      const never: never = event;
      return never;
    }
  }
}

export function activeMsAt(state: MeterState, nowMs: number): number {
  return state.status === 'active' ? state.activeMsBefore + Math.max(0, nowMs - state.activeSinceMs) : state.activeMsBefore;
}

/** Started minutes after `activeMs` of active time (a started session has started minute 1). */
export function startedMinutes(activeMs: number, minuteMs: number): number {
  return Math.max(1, Math.ceil(activeMs / minuteMs));
}

/** When (epoch ms) minute `minute` starts, if the session stays active; undefined unless active. */
export function minuteStartsAt(state: MeterState, minute: number, minuteMs: number): number | undefined {
  if (state.status !== 'active') return undefined;
  return state.activeSinceMs + Math.max(0, (minute - 1) * minuteMs - state.activeMsBefore);
}
