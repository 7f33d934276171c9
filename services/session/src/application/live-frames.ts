import type { SessionEvent } from '../domain/events';
import { FORCE_CLOSING_MINUTES, secondsRemaining, type Session, type SessionRules } from '../domain/session';
import type { LiveFrame } from './ports';

/**
 * The live frames (ADR 0005) that newly appended events produce. Derived from events, so a
 * frame goes out once per event, from the replica that appended it.
 */
export function framesFor(events: readonly SessionEvent[], after: Session, now: Date, rules: SessionRules): LiveFrame[] {
  const frames: LiveFrame[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'PhaseChanged': {
        frames.push({ type: 'phase_changed', phase: e.data.to });
        if (e.data.to === 'closing' && e.data.trigger === 'time') {
          const left = secondsRemaining(after, now, rules);
          const minutes = Math.max(1, Math.ceil(left / rules.secondsPerMinute));
          frames.push({
            type: 'session_warning',
            kind: 'time_running_out',
            message: `About ${minutes} minute${minutes === 1 ? '' : 's'} left: time to start wrapping up.`,
            secondsRemaining: left,
          });
        }
        break;
      }
      case 'ForceClosingSet':
        frames.push({
          type: 'session_warning',
          kind: 'force_closing',
          message: `${FORCE_CLOSING_MINUTES} minutes or less left: the session is closing now.`,
          secondsRemaining: e.data.secondsRemaining,
        });
        break;
      case 'SessionEnded':
        frames.push({ type: 'session_ended', reason: e.data.reason });
        break;
      case 'SessionCancelled':
        frames.push({ type: 'session_ended', reason: e.data.reason });
        break;
      case 'SessionReminderDue': {
        const minutes = Math.max(0, Math.round((e.data.scheduledAt.getTime() - now.getTime()) / 1000 / rules.secondsPerMinute));
        frames.push({
          type: 'session_reminder',
          sessionId: e.data.sessionId,
          personaId: after.personaId,
          scheduledAt: e.data.scheduledAt.toISOString(),
          message: minutes > 0 ? `Your session starts in about ${minutes} minute${minutes === 1 ? '' : 's'}.` : 'Your session is starting now.',
        });
        break;
      }
      case 'SessionScheduled':
      case 'SessionStarted':
      case 'SessionPaused':
      case 'SessionResumed':
      case 'UserMessageRecorded':
        break;
      default: {
        const never: never = e;
        return never;
      }
    }
  }
  return frames;
}
