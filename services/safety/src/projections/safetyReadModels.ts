import { applyVersioned, RetryLaterError, type StoredEvent } from '@haven/eventstore';
import type { Collection, Db, UpdateFilter } from 'mongodb';
import type { AlertQuery } from '../application/ports';
import type { SessionFlagsQuery, SessionFlagsView } from '../application/sessionFlags';
import type { AlertStatus, CrisisAlertView } from '../domain/crisisAlert';
import { ALERT_AGGREGATE_PREFIX, type SafetyEvent } from '../domain/events';
import { higherRisk, type RiskLevel, type SafetyState } from '../domain/levels';

export const CRISIS_ALERTS_COLLECTION = 'crisis_alerts';
export const SAFETY_SESSIONS_COLLECTION = 'safety_sessions';

/** One crisis alert for on-call lists and the alert gauges; never message content. */
export interface CrisisAlertDoc {
  _id: string;
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
  resolutionNote?: string;
  version: number;
}

/** Safety state per session, for the SAFETY_MODE gauge and dashboards. */
export interface SafetySessionDoc {
  _id: string;
  state: SafetyState;
  lastLevel?: RiskLevel;
  userId?: string;
  openAlertId?: string | null;
  updatedAt: Date;
  version: number;
}

export interface SafetyReadModels {
  alerts: Collection<CrisisAlertDoc>;
  sessions: Collection<SafetySessionDoc>;
}

export async function safetyReadModels(db: Db): Promise<SafetyReadModels> {
  const alerts = db.collection<CrisisAlertDoc>(CRISIS_ALERTS_COLLECTION);
  const sessions = db.collection<SafetySessionDoc>(SAFETY_SESSIONS_COLLECTION);
  await alerts.createIndex({ status: 1, raisedAt: 1 });
  await alerts.createIndex({ sessionId: 1 });
  await sessions.createIndex({ state: 1 });
  return { alerts, sessions };
}

function alertUpdate(e: SafetyEvent): UpdateFilter<CrisisAlertDoc> | undefined {
  switch (e.type) {
    case 'CrisisAlertRaised': {
      const d = e.data;
      return { $set: { sessionId: d.sessionId, userId: d.userId, severity: d.severity, signals: d.signals, status: 'open', raisedAt: d.raisedAt, occurrences: 1 } };
    }
    case 'CrisisAlertEscalated': {
      const d = e.data;
      return {
        $set: { severity: d.severity },
        $inc: { occurrences: 1 },
        ...(d.addedSignals.length > 0 ? { $push: { signals: { $each: d.addedSignals } } } : {}),
      };
    }
    case 'CrisisAlertAcknowledged':
      return { $set: { status: 'acknowledged', acknowledgedAt: e.data.acknowledgedAt, acknowledgedBy: e.data.staffId } };
    case 'CrisisAlertResolved':
      return { $set: { status: 'resolved', resolvedAt: e.data.resolvedAt, resolvedBy: e.data.staffId, resolutionNote: e.data.note } };
    case 'RiskAssessed':
    case 'SafetyStateChanged':
    case 'CrisisAlertLinked':
      return undefined;
    default: {
      const never: never = e;
      return never;
    }
  }
}

function sessionUpdate(e: SafetyEvent, version: number, at: Date): UpdateFilter<SafetySessionDoc> | undefined {
  switch (e.type) {
    case 'RiskAssessed':
      return {
        $set: { lastLevel: e.data.level, userId: e.data.userId, updatedAt: at, ...(e.data.alertId ? { openAlertId: e.data.alertId } : {}) },
        // A session's first event is always an assessment; it starts NORMAL.
        ...(version === 1 ? { $setOnInsert: { state: 'NORMAL' as const } } : {}),
      };
    case 'SafetyStateChanged':
      return { $set: { state: e.data.to, updatedAt: at, ...(e.data.reason === 'alert_resolved' ? { openAlertId: null } : {}) } };
    case 'CrisisAlertLinked':
      return { $set: { openAlertId: e.data.alertId, updatedAt: at } };
    case 'CrisisAlertRaised':
    case 'CrisisAlertEscalated':
    case 'CrisisAlertAcknowledged':
    case 'CrisisAlertResolved':
      return undefined;
    default: {
      const never: never = e;
      return never;
    }
  }
}

/**
 * Projects SAFETY events into crisis_alerts (alert aggregates) and safety_sessions (session
 * aggregates). Every event advances its document's version, also those that change nothing.
 */
export function safetyProjection(models: SafetyReadModels) {
  return async (e: StoredEvent<SafetyEvent>): Promise<void> => {
    let result;
    if (e.aggregateId.startsWith(ALERT_AGGREGATE_PREFIX)) {
      const id = e.aggregateId.slice(ALERT_AGGREGATE_PREFIX.length);
      result = await applyVersioned(models.alerts, id, e.version, alertUpdate(e.event) ?? {});
    } else {
      result = await applyVersioned(models.sessions, e.aggregateId, e.version, sessionUpdate(e.event, e.version, e.occurredAt) ?? {});
    }
    if (result === 'gap') throw new RetryLaterError(`safety read models: ${e.aggregateId} v${e.version} arrived before its predecessor`);
  };
}

export function toAlertView(d: CrisisAlertDoc): CrisisAlertView {
  return {
    alertId: d._id,
    sessionId: d.sessionId,
    userId: d.userId,
    severity: d.severity,
    signals: d.signals,
    status: d.status,
    raisedAt: d.raisedAt,
    occurrences: d.occurrences,
    ...(d.acknowledgedAt ? { acknowledgedAt: d.acknowledgedAt, acknowledgedBy: d.acknowledgedBy ?? '' } : {}),
    ...(d.resolvedAt ? { resolvedAt: d.resolvedAt, resolvedBy: d.resolvedBy ?? '', note: d.resolutionNote ?? '' } : {}),
  };
}

export function mongoAlertQuery(alerts: Collection<CrisisAlertDoc>): AlertQuery {
  return {
    async list(status, limit) {
      const filter = status ? { status } : { status: { $in: ['open', 'acknowledged'] as AlertStatus[] } };
      // Unresolved: oldest first (the most urgent); resolved: newest first.
      const docs = await alerts.find(filter).sort({ raisedAt: status === 'resolved' ? -1 : 1 }).limit(limit).toArray();
      return docs.map(toAlertView);
    },
  };
}

export function mongoSessionFlagsQuery(models: SafetyReadModels): SessionFlagsQuery {
  return {
    async bySessions(sessionIds) {
      const ids = [...sessionIds];
      const [states, alerts] = await Promise.all([
        models.sessions.find({ _id: { $in: ids } }, { projection: { _id: 1, state: 1, lastLevel: 1 } }).toArray(),
        models.alerts.find({ sessionId: { $in: ids } }, { projection: { sessionId: 1, severity: 1, status: 1 } }).toArray(),
      ]);
      const flags = new Map<string, SessionFlagsView>();
      const flagsOf = (sessionId: string): SessionFlagsView => {
        let f = flags.get(sessionId);
        if (!f) {
          f = { sessionId, state: null, lastLevel: null, alertCount: 0, unresolvedAlertCount: 0, highestAlertSeverity: null };
          flags.set(sessionId, f);
        }
        return f;
      };
      for (const s of states) Object.assign(flagsOf(s._id), { state: s.state, lastLevel: s.lastLevel ?? null });
      for (const a of alerts) {
        const f = flagsOf(a.sessionId);
        f.alertCount += 1;
        if (a.status !== 'resolved') f.unresolvedAlertCount += 1;
        f.highestAlertSeverity = f.highestAlertSeverity === null ? a.severity : higherRisk(f.highestAlertSeverity, a.severity);
      }
      // In the order asked for.
      return ids.flatMap((id) => flags.get(id) ?? []);
    },
  };
}
