import type { Decider } from '@haven/eventstore';
import type { SafetyEvent } from './events';
import { oneStateDown, stateCalledFor, stateRank, type RiskLevel, type SafetyState } from './levels';

/** Consecutive assessments below the current state before it steps down one level. */
export const STEP_DOWN_AFTER = 3;
/** Assessments remembered per session so a retried Assess (same message id) is answered, not re-recorded. */
export const REMEMBERED_ASSESSMENTS = 50;

export interface RecordedAssessment {
  messageId: string;
  level: RiskLevel;
  signals: string[];
  confidence: number;
  alertId: string;
}

/** The session safety aggregate (`safety.evt.<sessionId>`). */
export interface SessionSafetyState {
  state: SafetyState;
  lastLevel: RiskLevel | undefined;
  /** Consecutive assessments that called for a lower state than the current one. */
  lowerStreak: number;
  /** Set while in SAFETY_MODE: the alert whose resolution releases it. */
  openAlertId: string | undefined;
  userId: string;
  locale: string;
  recent: RecordedAssessment[];
}

export const initialSessionSafety = (): SessionSafetyState => ({
  state: 'NORMAL',
  lastLevel: undefined,
  lowerStreak: 0,
  openAlertId: undefined,
  userId: '',
  locale: '',
  recent: [],
});

export type SessionSafetyCommand =
  | {
      type: 'RecordAssessment';
      data: {
        sessionId: string;
        userId: string;
        messageId: string;
        locale: string;
        level: RiskLevel;
        signals: string[];
        confidence: number;
        classifier: string;
        /** Used only when HIGH_RISK and no alert is open for the session yet. */
        proposedAlertId: string;
      };
    }
  /** Sent after on-call staff resolved `alertId`; releases SAFETY_MODE if that alert is still the session's. */
  | { type: 'ReleaseSafetyMode'; data: { sessionId: string; alertId: string } }
  /** The open alert was resolved while a new HIGH_RISK was being recorded: open `alertId` instead. */
  | { type: 'LinkAlert'; data: { sessionId: string; alertId: string; replacedAlertId: string } };

export function evolveSessionSafety(s: SessionSafetyState, event: SafetyEvent): SessionSafetyState {
  switch (event.type) {
    case 'RiskAssessed': {
      const d = event.data;
      const called = stateCalledFor(d.level);
      const recorded: RecordedAssessment = { messageId: d.messageId, level: d.level, signals: d.signals, confidence: d.confidence, alertId: d.alertId };
      return {
        ...s,
        lastLevel: d.level,
        lowerStreak: stateRank(called) < stateRank(s.state) ? s.lowerStreak + 1 : 0,
        openAlertId: d.alertId !== '' ? d.alertId : s.openAlertId,
        userId: d.userId || s.userId,
        locale: d.locale || s.locale,
        recent: [...s.recent, recorded].slice(-REMEMBERED_ASSESSMENTS),
      };
    }
    case 'SafetyStateChanged':
      return {
        ...s,
        state: event.data.to,
        lowerStreak: 0,
        openAlertId: event.data.reason === 'alert_resolved' ? undefined : s.openAlertId,
      };
    case 'CrisisAlertLinked':
      return { ...s, openAlertId: event.data.alertId };
    case 'CrisisAlertRaised':
    case 'CrisisAlertEscalated':
    case 'CrisisAlertAcknowledged':
    case 'CrisisAlertResolved':
      return s;
    default: {
      const never: never = event;
      return never;
    }
  }
}

/**
 * Up at once, down slowly: a higher assessment moves the state up immediately; STEP_DOWN_AFTER
 * consecutive lower ones move it down by one level; SAFETY_MODE is never left by assessments.
 */
export function decideSessionSafety(command: SessionSafetyCommand, s: SessionSafetyState): SafetyEvent[] {
  switch (command.type) {
    case 'RecordAssessment': {
      const c = command.data;
      if (s.recent.some((r) => r.messageId === c.messageId)) return [];
      const alertId = c.level === 'HIGH_RISK' ? (s.openAlertId ?? c.proposedAlertId) : '';
      const assessed: SafetyEvent = {
        type: 'RiskAssessed',
        data: {
          sessionId: c.sessionId,
          messageId: c.messageId,
          userId: c.userId,
          level: c.level,
          signals: c.signals,
          confidence: c.confidence,
          classifier: c.classifier,
          locale: c.locale,
          alertId,
        },
      };
      const after = evolveSessionSafety(s, assessed);
      const called = stateCalledFor(c.level);
      let to: SafetyState = s.state;
      if (stateRank(called) > stateRank(s.state)) to = called;
      else if (after.lowerStreak >= STEP_DOWN_AFTER) to = oneStateDown(s.state);
      if (to === s.state) return [assessed];
      return [assessed, { type: 'SafetyStateChanged', data: { sessionId: c.sessionId, from: s.state, to, reason: 'assessment', alertId: '' } }];
    }
    case 'ReleaseSafetyMode': {
      const c = command.data;
      if (s.openAlertId !== c.alertId) return [];
      return [{ type: 'SafetyStateChanged', data: { sessionId: c.sessionId, from: s.state, to: 'ELEVATED', reason: 'alert_resolved', alertId: c.alertId } }];
    }
    case 'LinkAlert': {
      const c = command.data;
      // Someone else already linked a newer alert: that one is the session's.
      if (s.openAlertId !== undefined && s.openAlertId !== c.replacedAlertId) return [];
      const linked: SafetyEvent = { type: 'CrisisAlertLinked', data: { sessionId: c.sessionId, alertId: c.alertId } };
      if (s.state === 'SAFETY_MODE') return [linked];
      return [linked, { type: 'SafetyStateChanged', data: { sessionId: c.sessionId, from: s.state, to: 'SAFETY_MODE', reason: 'assessment', alertId: '' } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}

export const sessionSafetyDecider: Decider<SessionSafetyCommand, SafetyEvent, SessionSafetyState> = {
  initialState: initialSessionSafety,
  evolve: evolveSessionSafety,
  decide: decideSessionSafety,
};
