import { errors } from '@haven/platform';
import type { RiskLevel, SafetyState } from '../domain/levels';

/** A session's safety at a glance, for the admin sessions browser; never message content. */
export interface SessionFlagsView {
  sessionId: string;
  /** null when no message of the session was assessed. */
  state: SafetyState | null;
  lastLevel: RiskLevel | null;
  alertCount: number;
  unresolvedAlertCount: number;
  /** null when the session raised no alert. */
  highestAlertSeverity: RiskLevel | null;
}

/** Read side of the safety projections (safety_sessions and crisis_alerts) by session. */
export interface SessionFlagsQuery {
  /** Flags of those sessions that were assessed or alerted; the others are left out. */
  bySessions(sessionIds: readonly string[]): Promise<SessionFlagsView[]>;
}

export const MAX_FLAG_SESSIONS = 100;

/** Validates the ids (1 to 100, each 1 to 200 characters) and asks the read models. */
export async function listSessionFlags(query: SessionFlagsQuery, sessionIds: readonly string[]): Promise<SessionFlagsView[]> {
  if (sessionIds.length === 0 || sessionIds.length > MAX_FLAG_SESSIONS) {
    throw errors.invalidArgument('INVALID_SESSION_IDS', `session_ids must hold 1 to ${MAX_FLAG_SESSIONS} ids (got ${sessionIds.length})`);
  }
  if (sessionIds.some((id) => id === '' || id.length > 200)) throw errors.invalidArgument('INVALID_SESSION_IDS', 'session_ids must be 1 to 200 characters each');
  return query.bySessions([...new Set(sessionIds)]);
}
