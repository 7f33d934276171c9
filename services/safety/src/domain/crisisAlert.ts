import type { Decider } from '@haven/eventstore';
import { errors } from '@haven/platform';
import type { SafetyEvent } from './events';
import { higherRisk, riskRank, type RiskLevel } from './levels';

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface CrisisAlertView {
  alertId: string;
  sessionId: string;
  userId: string;
  severity: RiskLevel;
  signals: string[];
  status: AlertStatus;
  raisedAt: Date;
  occurrences: number;
  acknowledgedAt?: Date;
  acknowledgedBy?: string;
  resolvedAt?: Date;
  resolvedBy?: string;
  note?: string;
}

/** The crisis alert aggregate (`safety.evt.alert-<alertId>`). */
export type CrisisAlertState = { status: 'none' } | (CrisisAlertView & { messageIds: string[] });

export const initialCrisisAlert = (): CrisisAlertState => ({ status: 'none' });

export type CrisisAlertCommand =
  | { type: 'RaiseAlert'; data: { alertId: string; sessionId: string; userId: string; severity: RiskLevel; signals: string[]; messageId: string; now: Date } }
  | { type: 'AcknowledgeAlert'; data: { alertId: string; staffId: string; now: Date } }
  | { type: 'ResolveAlert'; data: { alertId: string; staffId: string; note: string; now: Date } };

export function evolveCrisisAlert(s: CrisisAlertState, event: SafetyEvent): CrisisAlertState {
  switch (event.type) {
    case 'CrisisAlertRaised': {
      const d = event.data;
      return {
        status: 'open',
        alertId: d.alertId,
        sessionId: d.sessionId,
        userId: d.userId,
        severity: d.severity,
        signals: [...d.signals],
        raisedAt: d.raisedAt,
        occurrences: 1,
        messageIds: [d.messageId],
      };
    }
    case 'CrisisAlertEscalated':
      if (s.status === 'none') return s;
      return {
        ...s,
        severity: higherRisk(s.severity, event.data.severity),
        signals: [...s.signals, ...event.data.addedSignals.filter((x) => !s.signals.includes(x))],
        occurrences: s.occurrences + 1,
        messageIds: [...s.messageIds, event.data.messageId],
      };
    case 'CrisisAlertAcknowledged':
      if (s.status === 'none') return s;
      return { ...s, status: 'acknowledged', acknowledgedAt: event.data.acknowledgedAt, acknowledgedBy: event.data.staffId };
    case 'CrisisAlertResolved':
      if (s.status === 'none') return s;
      return { ...s, status: 'resolved', resolvedAt: event.data.resolvedAt, resolvedBy: event.data.staffId, note: event.data.note };
    case 'RiskAssessed':
    case 'SafetyStateChanged':
    case 'CrisisAlertLinked':
      return s;
    default: {
      const never: never = event;
      return never;
    }
  }
}

const notFound = () => errors.notFound('ALERT_NOT_FOUND', 'no such crisis alert');

export function decideCrisisAlert(command: CrisisAlertCommand, s: CrisisAlertState): SafetyEvent[] {
  switch (command.type) {
    case 'RaiseAlert': {
      const c = command.data;
      if (s.status === 'none') {
        return [
          {
            type: 'CrisisAlertRaised',
            data: { alertId: c.alertId, sessionId: c.sessionId, userId: c.userId, severity: c.severity, signals: [...new Set(c.signals)], raisedAt: c.now, messageId: c.messageId },
          },
        ];
      }
      if (s.status === 'resolved') throw errors.conflict('ALERT_ALREADY_RESOLVED', 'this crisis alert is resolved; raise a new one');
      // The same message again (a retried Assess) is already part of the alert.
      if (s.messageIds.includes(c.messageId)) return [];
      const addedSignals = [...new Set(c.signals)].filter((x) => !s.signals.includes(x));
      const severity = riskRank(c.severity) > riskRank(s.severity) ? c.severity : s.severity;
      return [{ type: 'CrisisAlertEscalated', data: { alertId: s.alertId, sessionId: s.sessionId, severity, addedSignals, messageId: c.messageId } }];
    }
    case 'AcknowledgeAlert': {
      const c = command.data;
      switch (s.status) {
        case 'none':
          throw notFound();
        case 'acknowledged':
          throw errors.conflict('ALERT_ALREADY_ACKNOWLEDGED', `this alert was already acknowledged by ${s.acknowledgedBy ?? 'someone'}`);
        case 'resolved':
          throw errors.conflict('ALERT_ALREADY_RESOLVED', 'this alert is already resolved');
        case 'open':
          return [{ type: 'CrisisAlertAcknowledged', data: { alertId: s.alertId, staffId: c.staffId, acknowledgedAt: c.now } }];
        default: {
          const never: never = s;
          return never;
        }
      }
    }
    case 'ResolveAlert': {
      const c = command.data;
      switch (s.status) {
        case 'none':
          throw notFound();
        case 'resolved':
          throw errors.conflict('ALERT_ALREADY_RESOLVED', 'this alert is already resolved');
        case 'open':
        case 'acknowledged':
          return [{ type: 'CrisisAlertResolved', data: { alertId: s.alertId, staffId: c.staffId, note: c.note, resolvedAt: c.now } }];
        default: {
          const never: never = s;
          return never;
        }
      }
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}

export const crisisAlertDecider: Decider<CrisisAlertCommand, SafetyEvent, CrisisAlertState> = {
  initialState: initialCrisisAlert,
  evolve: evolveCrisisAlert,
  decide: decideCrisisAlert,
};

/** The alert as seen from outside (no internal bookkeeping). */
export function alertView(s: CrisisAlertState): CrisisAlertView | undefined {
  if (s.status === 'none') return undefined;
  const { messageIds: _ids, ...view } = s;
  return view;
}
