import { EventDecodeError, mapCodec, oneofCodec, type EventCodec, type OneofDomainEvent } from '@haven/eventstore';
import { safetyV1 } from '@haven/proto';
import type { SafetyEvent } from '../domain/events';
import type { RiskLevel, SafetyState } from '../domain/levels';

const LEVEL_TO_PROTO: Record<RiskLevel, safetyV1.RiskLevel> = {
  NORMAL: safetyV1.RiskLevel.RISK_LEVEL_NORMAL,
  WATCH: safetyV1.RiskLevel.RISK_LEVEL_WATCH,
  ELEVATED_CONCERN: safetyV1.RiskLevel.RISK_LEVEL_ELEVATED_CONCERN,
  HIGH_RISK: safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK,
};
const STATE_TO_PROTO: Record<SafetyState, safetyV1.SafetyState> = {
  NORMAL: safetyV1.SafetyState.SAFETY_STATE_NORMAL,
  WATCH: safetyV1.SafetyState.SAFETY_STATE_WATCH,
  ELEVATED: safetyV1.SafetyState.SAFETY_STATE_ELEVATED,
  SAFETY_MODE: safetyV1.SafetyState.SAFETY_STATE_SAFETY_MODE,
};
const PROTO_TO_LEVEL = new Map(Object.entries(LEVEL_TO_PROTO).map(([k, v]) => [v, k as RiskLevel]));
const PROTO_TO_STATE = new Map(Object.entries(STATE_TO_PROTO).map(([k, v]) => [v, k as SafetyState]));

export const levelToProto = (l: RiskLevel): safetyV1.RiskLevel => LEVEL_TO_PROTO[l];
export const stateToProto = (s: SafetyState): safetyV1.SafetyState => STATE_TO_PROTO[s];

function levelFromProto(l: safetyV1.RiskLevel): RiskLevel {
  const level = PROTO_TO_LEVEL.get(l);
  if (!level) throw new EventDecodeError(`safety: unknown risk level ${l}`);
  return level;
}
function stateFromProto(s: safetyV1.SafetyState): SafetyState {
  const state = PROTO_TO_STATE.get(s);
  if (!state) throw new EventDecodeError(`safety: unknown safety state ${s}`);
  return state;
}
function requiredDate(d: Date | undefined, what: string): Date {
  if (!d) throw new EventDecodeError(`safety: ${what} is missing`);
  return d;
}

type Wire = OneofDomainEvent<safetyV1.SafetyEvent>;

function toWire(e: SafetyEvent): Wire {
  switch (e.type) {
    case 'RiskAssessed':
      return { type: e.type, data: { ...e.data, level: LEVEL_TO_PROTO[e.data.level] } };
    case 'SafetyStateChanged':
      return { type: e.type, data: { ...e.data, from: STATE_TO_PROTO[e.data.from], to: STATE_TO_PROTO[e.data.to] } };
    case 'CrisisAlertLinked':
      return { type: e.type, data: e.data };
    case 'CrisisAlertRaised':
      return { type: e.type, data: { ...e.data, severity: LEVEL_TO_PROTO[e.data.severity] } };
    case 'CrisisAlertEscalated':
      return { type: e.type, data: { ...e.data, severity: LEVEL_TO_PROTO[e.data.severity] } };
    case 'CrisisAlertAcknowledged':
      return { type: e.type, data: e.data };
    case 'CrisisAlertResolved':
      return { type: e.type, data: e.data };
    default: {
      const never: never = e;
      return never;
    }
  }
}

function fromWire(w: Wire): SafetyEvent {
  switch (w.type) {
    case 'RiskAssessed':
      return { type: w.type, data: { ...w.data, level: levelFromProto(w.data.level) } };
    case 'SafetyStateChanged': {
      const reason = w.data.reason === 'alert_resolved' ? 'alert_resolved' : 'assessment';
      return { type: w.type, data: { ...w.data, from: stateFromProto(w.data.from), to: stateFromProto(w.data.to), reason } };
    }
    case 'CrisisAlertLinked':
      return { type: w.type, data: w.data };
    case 'CrisisAlertRaised':
      return { type: w.type, data: { ...w.data, severity: levelFromProto(w.data.severity), raisedAt: requiredDate(w.data.raisedAt, 'raised_at') } };
    case 'CrisisAlertEscalated':
      return { type: w.type, data: { ...w.data, severity: levelFromProto(w.data.severity) } };
    case 'CrisisAlertAcknowledged':
      return { type: w.type, data: { ...w.data, acknowledgedAt: requiredDate(w.data.acknowledgedAt, 'acknowledged_at') } };
    case 'CrisisAlertResolved':
      return { type: w.type, data: { ...w.data, resolvedAt: requiredDate(w.data.resolvedAt, 'resolved_at') } };
    default: {
      const never: never = w;
      return never;
    }
  }
}

/** safety.* events: protobuf on the wire, names (not enum numbers) in the domain. */
export const safetyCodec: EventCodec<SafetyEvent> = mapCodec(oneofCodec('safety', safetyV1.SafetyEvent), toWire, fromWire);
