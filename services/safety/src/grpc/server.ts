import type { ServiceHandlers } from '@haven/platform';
import { safetyV1 } from '@haven/proto';
import type { AlertWorkflow } from '../application/alertWorkflow';
import type { Assessment } from '../application/assessment';
import { listSessionFlags, type SessionFlagsQuery } from '../application/sessionFlags';
import type { CrisisAlertView } from '../domain/crisisAlert';
import { levelToProto, stateToProto } from '../infrastructure/codec';

export function alertToProto(a: CrisisAlertView): safetyV1.CrisisAlert {
  return {
    id: a.alertId,
    sessionId: a.sessionId,
    userId: a.userId,
    severity: levelToProto(a.severity),
    signals: a.signals,
    status: a.status,
    raisedAt: a.raisedAt,
    acknowledgedAt: a.acknowledgedAt,
    acknowledgedBy: a.acknowledgedBy ?? '',
    resolvedAt: a.resolvedAt,
    resolvedBy: a.resolvedBy ?? '',
    resolutionNote: a.note ?? '',
    occurrences: a.occurrences,
  };
}

/** SafetyService handlers: proto ⇄ domain at the edge, the use cases do the work (ListSessionFlags: sessionFlagsHandlers). */
export function safetyHandlers(deps: { assessment: Assessment; alerts: AlertWorkflow }): Omit<ServiceHandlers<typeof safetyV1.SafetyServiceService>, 'listSessionFlags'> {
  return {
    async assess(req, ctx) {
      const r = await deps.assessment.assess(
        { sessionId: req.sessionId, userId: req.userId, messageId: req.messageId, text: req.text, history: req.history, locale: req.locale },
        { deadlineMs: ctx.deadlineMs, signal: ctx.signal },
      );
      return { level: levelToProto(r.level), signals: r.signals, confidence: r.confidence, state: stateToProto(r.state), resources: r.resources };
    },
    async getSafetyState(req) {
      const s = await deps.assessment.safetyState(req.sessionId);
      return {
        state: stateToProto(s.state),
        lastLevel: s.lastLevel ? levelToProto(s.lastLevel) : safetyV1.RiskLevel.RISK_LEVEL_UNSPECIFIED,
      };
    },
    async listOpenAlerts(req) {
      return { alerts: (await deps.alerts.list(req.status)).map(alertToProto) };
    },
    async acknowledgeAlert(req) {
      return { alert: alertToProto(await deps.alerts.acknowledge(req.alertId, req.staffId)) };
    },
    async resolveAlert(req) {
      return { alert: alertToProto(await deps.alerts.resolve(req.alertId, req.staffId, req.note)) };
    },
  };
}

/** ListSessionFlags (admin sessions browser), over the safety read models. */
export function sessionFlagsHandlers(flags: SessionFlagsQuery): Pick<ServiceHandlers<typeof safetyV1.SafetyServiceService>, 'listSessionFlags'> {
  return {
    async listSessionFlags(req) {
      const views = await listSessionFlags(flags, req.sessionIds);
      return {
        sessions: views.map((f) => ({
          sessionId: f.sessionId,
          state: f.state === null ? safetyV1.SafetyState.SAFETY_STATE_UNSPECIFIED : stateToProto(f.state),
          lastLevel: f.lastLevel === null ? safetyV1.RiskLevel.RISK_LEVEL_UNSPECIFIED : levelToProto(f.lastLevel),
          alertCount: f.alertCount,
          unresolvedAlertCount: f.unresolvedAlertCount,
          highestAlertSeverity: f.highestAlertSeverity === null ? safetyV1.RiskLevel.RISK_LEVEL_UNSPECIFIED : levelToProto(f.highestAlertSeverity),
        })),
      };
    },
  };
}
